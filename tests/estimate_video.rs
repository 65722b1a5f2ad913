//! Estimates of the task families whose create request fixes the bill: Seedance, Kling,
//! Jimeng, Sora through chat, Suno and Udio. Each estimate must equal what the answer then
//! meters when the vendor does what was asked, say which quantities were defaulted or
//! bounded, and refuse a request it cannot read with an error naming the field.

use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff::estimate::{estimate, Basis, Estimate, EstimateError};
use tariff::extract::{extract_with_request, Api};
use tariff::{Catalog, Usage};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/responses/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The estimate of `request`, checked equal (but for the `estimated` flag) to what `answer`
/// then meters with that request.
fn golden(api: Api, model: &str, request: &[u8], answer: &[u8]) -> Estimate {
    let est = estimate(api, model, request).unwrap_or_else(|e| panic!("{api}: {e}"));
    assert!(est.usage.estimated);
    let metered = extract_with_request(api, answer, Some(request)).unwrap();
    let mut held = est.usage.clone();
    held.estimated = false;
    assert_eq!(
        held, metered,
        "{api}: the estimate is what the answer bills"
    );
    est
}

fn basis(est: &Estimate) -> Basis {
    assert_eq!(est.parts.len(), 1, "{:?}", est.parts);
    est.parts[0].basis
}

/// The field error of a refused request, checked to name `field`.
fn refused(api: Api, model: &str, request: &str, field: &str) -> String {
    let e = estimate(api, model, request.as_bytes()).unwrap_err();
    let msg = e.to_string();
    match &e {
        EstimateError::Field { path, .. } => assert_eq!(path, field, "{msg}"),
        EstimateError::Request(_) => assert!(msg.contains(field), "{msg}"),
        other => panic!("{other:?}"),
    }
    msg
}

fn quote(model: &str, u: &Usage) -> Result<Decimal, tariff::PriceError> {
    Catalog::builtin().quote(model, u).map(|b| b.total())
}

// ------------------------------------------------------------------------------ Seedance

const SD2: &str = "doubao-seedance-2-0-260128";

fn ark_answer(tokens: u64, resolution: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"cgt-1","model":"{SD2}","status":"succeeded","content":{{"video_url":"https://x/1.mp4"}},
        "usage":{{"completion_tokens":{tokens},"total_tokens":{tokens}}},"resolution":"{resolution}","ratio":"16:9","duration":5,"framespersecond":24}}"#
    )
    .into_bytes()
}

#[test]
fn seedance_holds_the_video_tokens_of_the_size_asked_for() {
    // 720p 16:9, 5 s: 1280 × 720 × 24 × 5 / 1024 = 108,000 tokens; at 46 元 per 1M (2.0,
    // no video input): 108,000 × 46 / 1,000,000 = 4.968 CNY.
    let req = format!(
        r#"{{"model":"{SD2}","content":[{{"type":"text","text":"a kite"}}],"resolution":"720p","ratio":"16:9","duration":5}}"#
    );
    let est = golden(
        Api::Seedance,
        SD2,
        req.as_bytes(),
        &ark_answer(108_000, "720p"),
    );
    assert_eq!(est.usage.output_tokens.get(), 108_000);
    assert_eq!(basis(&est), Basis::Formula);
    assert_eq!(quote(SD2, &est.usage).unwrap(), dec("4.968"));

    // 1080p 9:16 (the same frame turned), 5 s, as the recorded Ark task reports:
    // 1920 × 1080 × 24 × 5 / 1024 = 243,000 tokens at 51 元 per 1M = 12.393 CNY.
    let req = format!(
        r#"{{"model":"{SD2}","content":[{{"type":"text","text":"a kite"}}],"resolution":"1080p","ratio":"9:16","duration":5}}"#
    );
    let est = golden(
        Api::Seedance,
        SD2,
        req.as_bytes(),
        &fixture("video/seedance-task.json"),
    );
    assert_eq!(est.usage.output_tokens.get(), 243_000);
    assert_eq!(quote(SD2, &est.usage).unwrap(), dec("12.393"));
}

#[test]
fn seedance_reads_text_commands_and_applies_the_documented_defaults() {
    // `--rs 720p --dur 5` in the prompt; the ratio left out: 16:9 for text-to-video.
    let req = fixture("video/seedance-request-text.json");
    let est = golden(Api::Seedance, SD2, &req, &ark_answer(108_000, "720p"));
    assert_eq!(est.usage.output_tokens.get(), 108_000);
    assert_eq!(basis(&est), Basis::Default);
    assert!(
        est.parts[0].note.contains("`ratio`"),
        "{}",
        est.parts[0].note
    );

    // Nothing said: 720p, 16:9, 5 s — the same 108,000 tokens, marked as defaults.
    let bare =
        br#"{"model":"doubao-seedance-2-0-260128","content":[{"type":"text","text":"a kite"}]}"#;
    let est = golden(Api::Seedance, SD2, bare, &ark_answer(108_000, "720p"));
    assert_eq!(basis(&est), Basis::Default);
    let note = &est.parts[0].note;
    for field in ["`resolution`", "`ratio`", "`duration`", "volcengine.com"] {
        assert!(note.contains(field), "{note}");
    }
    // The model from the estimate call when the request names none; 2.0 fast at 37 元:
    // 108,000 × 37 / 1,000,000 = 3.996 CNY.
    let est = estimate(
        Api::Seedance,
        "doubao-seedance-2-0-fast-260128",
        br#"{"content":[{"type":"text","text":"a kite --rt 9:16"}]}"#,
    )
    .unwrap();
    assert_eq!(est.usage.output_tokens.get(), 108_000);
    let bill = Catalog::builtin()
        .quote("doubao-seedance-2-0-fast-260128", &est.usage)
        .unwrap();
    assert_eq!(bill.total(), dec("3.996"));
    assert!(bill.estimated());
}

#[test]
fn seedance_holds_the_longest_length_when_the_model_chooses() {
    // duration -1: Seedance 2.0 picks 4–15 s; the hold is 15 s at 720p:
    // 1280 × 720 × 24 × 15 / 1024 = 324,000 tokens.
    let req = format!(
        r#"{{"model":"{SD2}","content":[{{"type":"text","text":"a kite"}}],"resolution":"720p","ratio":"16:9","duration":-1}}"#
    );
    let est = estimate(Api::Seedance, SD2, req.as_bytes()).unwrap();
    assert_eq!(est.usage.output_tokens.get(), 324_000);
    assert_eq!(basis(&est), Basis::Bound);
}

#[test]
fn seedance_refuses_what_the_request_cannot_tell() {
    let text = r#"{"type":"text","text":"a kite"}"#;
    // A reference video is billed as input tokens of a length the request does not give.
    let msg = refused(
        Api::Seedance,
        SD2,
        &String::from_utf8(fixture("video/seedance-request.json")).unwrap(),
        "content[1].video_url",
    );
    assert!(msg.contains("reference video"), "{msg}");
    // An adaptive ratio, or none with an input image: the size follows the image.
    refused(
        Api::Seedance,
        SD2,
        &format!(r#"{{"content":[{text}],"ratio":"adaptive"}}"#),
        "ratio",
    );
    refused(
        Api::Seedance,
        SD2,
        &format!(
            r#"{{"content":[{text},{{"type":"image_url","image_url":{{"url":"https://x/a.png"}},"role":"first_frame"}}]}}"#
        ),
        "ratio",
    );
    // A ratio whose frame size is not recorded, a resolution the model does not offer, a
    // length out of range, a model without a table.
    refused(
        Api::Seedance,
        SD2,
        &format!(r#"{{"content":[{text}],"ratio":"4:3"}}"#),
        "ratio",
    );
    let msg = refused(
        Api::Seedance,
        "doubao-seedance-2-0-fast-260128",
        &format!(r#"{{"content":[{text}],"resolution":"1080p"}}"#),
        "resolution",
    );
    assert!(msg.contains("1080p"), "{msg}");
    refused(
        Api::Seedance,
        SD2,
        &format!(r#"{{"content":[{text}],"duration":16}}"#),
        "duration",
    );
    refused(
        Api::Seedance,
        SD2,
        &format!(r#"{{"content":[{text}],"duration":0}}"#),
        "duration",
    );
    refused(
        Api::Seedance,
        "doubao-seedance-1-0-pro-250528",
        &format!(r#"{{"content":[{text}]}}"#),
        "model",
    );
    // Not a number at all: the parse error names the field.
    refused(
        Api::Seedance,
        SD2,
        &format!(r#"{{"content":[{text}],"duration":"long"}}"#),
        "duration",
    );
}

// ------------------------------------------------------------------------- Kling, Jimeng

#[test]
fn kling_holds_the_seconds_and_mode_asked_for_and_is_unpriced_like_its_answer() {
    // 10 s in pro mode; Kling delivers "10.1" s, billed as the 10 s ordered.
    let req = fixture("video/kling-request.json");
    let est = golden(
        Api::Kling,
        "kling-v2-1-master",
        &req,
        &fixture("video/kling-task.json"),
    );
    assert_eq!(est.usage.video_seconds.get(), dec("10"));
    assert_eq!(est.usage.options["mode"], "pro");
    assert_eq!(basis(&est), Basis::Exact);
    // No Kling price is published in money: the estimate fails to quote exactly as the
    // metered usage does.
    let metered = extract_with_request(
        Api::Kling,
        &fixture("video/kling-task.json"),
        Some(req.as_slice()),
    )
    .unwrap();
    let e = quote("kling-v2-1-master", &est.usage).unwrap_err();
    assert_eq!(e, quote("kling-v2-1-master", &metered).unwrap_err());
    assert!(matches!(e, tariff::PriceError::UnknownModel { .. }), "{e}");
}

#[test]
fn kling_defaults_to_five_seconds_in_standard_mode() {
    let est = estimate(
        Api::Kling,
        "kling-video-o1",
        &fixture("video/kling-request-defaults.json"),
    )
    .unwrap();
    assert_eq!(est.usage.video_seconds.get(), dec("5"));
    assert_eq!(est.usage.options["mode"], "std");
    assert_eq!(basis(&est), Basis::Default);
    assert!(est.parts[0].note.contains("klingai.com"));
    let msg = refused(Api::Kling, "kling-v2-1", r#"{"duration":"0"}"#, "duration");
    assert!(msg.contains("positive"), "{msg}");
    refused(
        Api::Kling,
        "kling-v2-1",
        r#"{"duration":"ten"}"#,
        "duration",
    );
}

#[test]
fn jimeng_holds_the_seconds_its_frames_ask_for() {
    // 241 frames at 24 a second plus one: (241 − 1) / 24 = 10 s.
    let req = fixture("video/jimeng-request.json");
    let est = golden(
        Api::Jimeng,
        "jimeng_vgfm_t2v_l20",
        &req,
        &fixture("video/jimeng-task.json"),
    );
    assert_eq!(est.usage.video_seconds.get(), dec("10"));
    assert_eq!(basis(&est), Basis::Formula);
    let metered = extract_with_request(
        Api::Jimeng,
        &fixture("video/jimeng-task.json"),
        Some(req.as_slice()),
    )
    .unwrap();
    assert_eq!(
        quote("jimeng_vgfm_t2v_l20", &est.usage).unwrap_err(),
        quote("jimeng_vgfm_t2v_l20", &metered).unwrap_err()
    );
    // Nothing said: the default 121 frames, 5 s.
    let est = golden(
        Api::Jimeng,
        "jimeng_vgfm_t2v_l20",
        &fixture("video/jimeng-request-defaults.json"),
        &fixture("video/jimeng-task.json"),
    );
    assert_eq!(est.usage.video_seconds.get(), dec("5"));
    assert_eq!(basis(&est), Basis::Default);
    refused(Api::Jimeng, "jimeng_t2v_v30", r#"{"frames":0}"#, "frames");
    refused(
        Api::Jimeng,
        "jimeng_t2v_v30",
        r#"{"duration":-5}"#,
        "duration",
    );
}

// ---------------------------------------------------------------------------- Sora (chat)

#[test]
fn sora_chat_holds_the_seconds_and_size_its_request_asks_for() {
    // 12 s at 1280x720, sora-2 at $0.10 a second: 12 × 0.10 = $1.20.
    let est = golden(
        Api::SoraChat,
        "sora-2",
        &fixture("video/sora-chat-request.json"),
        &fixture("video/sora-chat.json"),
    );
    assert_eq!(est.usage.video_seconds.get(), dec("12"));
    assert_eq!(est.usage.resolution.as_deref(), Some("1280x720"));
    assert_eq!(basis(&est), Basis::Exact);
    assert_eq!(quote("sora-2", &est.usage).unwrap(), dec("1.2"));
    // Nothing said: Sora's 4 s at 720x1280, $0.40; the streamed answer meters the same.
    let est = golden(
        Api::SoraChat,
        "sora-2",
        &fixture("video/sora-chat-request-defaults.json"),
        &fixture("video/sora-chat-stream.sse"),
    );
    assert_eq!(est.usage.video_seconds.get(), dec("4"));
    assert_eq!(est.usage.resolution.as_deref(), Some("720x1280"));
    assert_eq!(basis(&est), Basis::Default);
    assert_eq!(quote("sora-2", &est.usage).unwrap(), dec("0.4"));
}

#[test]
fn sora_chat_refuses_requests_without_messages_or_a_length() {
    refused(
        Api::SoraChat,
        "sora-2",
        r#"{"model":"sora-2","seconds":"8"}"#,
        "messages",
    );
    refused(
        Api::SoraChat,
        "sora-2",
        r#"{"model":"sora-2","seconds":"0","messages":[{"role":"user","content":"x"}]}"#,
        "seconds",
    );
    // A model with no documented default length must say how long.
    refused(
        Api::SoraChat,
        "mystery-video",
        r#"{"model":"mystery-video","messages":[{"role":"user","content":"x"}]}"#,
        "seconds",
    );
}

// ------------------------------------------------------------------------------- Music

#[test]
fn suno_holds_one_task_of_its_action() {
    // A song task (a song's fields), billed per task at the relay's $0.10, whatever clips
    // it yields (the recorded task delivered two).
    let song = br#"{"gpt_description_prompt":"a summer pop song","mv":"chirp-v4","make_instrumental":false}"#;
    let est = golden(Api::Suno, "suno_music", song, &fixture("suno-task.json"));
    assert_eq!(est.usage.requests.get(), 1);
    assert_eq!(est.usage.options["action"], "music");
    assert_eq!(quote("suno_music", &est.usage).unwrap(), dec("0.1"));
    // The same body estimated under another model name still reads as a song.
    let est = estimate(Api::Suno, "chirp-v4", song).unwrap();
    assert_eq!(est.usage.options["action"], "music");
    // Lyrics: the body is only a prompt, so the model the relay bills names the action
    // ($0.01 a task).
    let lyrics = br#"{"prompt":"rain on the window"}"#;
    let est = golden(
        Api::Suno,
        "suno_lyrics",
        lyrics,
        &fixture("suno-lyrics-task.json"),
    );
    assert_eq!(est.usage.options["action"], "lyrics");
    assert_eq!(quote("suno_lyrics", &est.usage).unwrap(), dec("0.01"));
}

#[test]
fn suno_refuses_a_body_whose_action_cannot_be_told() {
    let msg = refused(Api::Suno, "suno", r#"{"prompt":"rain"}"#, "action");
    assert!(msg.contains("suno_lyrics"), "{msg}");
    refused(
        Api::Suno,
        "suno_lyrics",
        r#"{"prompt":"rain","mv":"chirp-v4"}"#,
        "action",
    );
}

#[test]
fn udio_holds_one_request_and_is_unpriced_like_its_answer() {
    let req = br#"{"model":"udio-130","messages":[{"role":"user","content":"a sea shanty"}]}"#;
    let est = golden(Api::Udio, "udio-130", req, &fixture("udio-chat.json"));
    assert_eq!(est.usage.requests.get(), 1);
    assert_eq!(basis(&est), Basis::Exact);
    let metered = extract_with_request(Api::Udio, &fixture("udio-chat.json"), Some(req)).unwrap();
    assert_eq!(
        quote("udio-130", &est.usage).unwrap_err(),
        quote("udio-130", &metered).unwrap_err()
    );
    refused(Api::Udio, "udio-130", r#"{"model":"udio-130"}"#, "messages");
}

// ---------------------------------------------------------------------------- Invariants

proptest! {
    /// A longer video never holds less, and Seedance's hold is exactly its tokens a second
    /// (21,600 at 720p) times the seconds.
    #[test]
    fn longer_videos_never_estimate_less(a in 1u32..=15, b in 1u32..=15, res in 0usize..3) {
        let (short, long) = (a.min(b), a.max(b));
        let resolution = ["480p", "720p", "1080p"][res];
        let seedance = |d: u32| {
            let req = format!(
                r#"{{"content":[{{"type":"text","text":"x"}}],"resolution":"{resolution}","ratio":"16:9","duration":{d}}}"#
            );
            estimate(Api::Seedance, SD2, req.as_bytes()).unwrap().usage.output_tokens.get()
        };
        prop_assert!(seedance(short) <= seedance(long));
        if resolution == "720p" {
            prop_assert_eq!(seedance(long), 21_600 * u64::from(long));
        }
        let kling = |d: u32| {
            let req = format!(r#"{{"duration":"{d}"}}"#);
            estimate(Api::Kling, "kling-v2-1", req.as_bytes()).unwrap().usage.video_seconds
        };
        prop_assert!(kling(short) <= kling(long));
        let jimeng = |d: u32| {
            let req = format!(r#"{{"frames":{}}}"#, 24 * d + 1);
            estimate(Api::Jimeng, "jimeng_t2v_v30", req.as_bytes()).unwrap().usage.video_seconds
        };
        prop_assert!(jimeng(short) <= jimeng(long));
        prop_assert_eq!(jimeng(long).get(), Decimal::from(long));
    }
}
