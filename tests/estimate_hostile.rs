//! Request estimates of hostile and odd input: a typed error naming the field, or an honest
//! bound, never a panic, a hang, a wrapped count or a double rounding. One test per class,
//! each checked against every family that reads the input in question.

mod media_fixtures;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use media_fixtures::wav_bytes;
use serde_json::{json, Value};
use tariff::estimate::vision::{anthropic_image, openai_image, openai_patches, openai_tiles};
use tariff::estimate::{estimate, Detail, Dims, Estimate, EstimateError};
use tariff::extract::Api;

fn run(api: Api, model: &str, req: &Value) -> Result<Estimate, EstimateError> {
    estimate(api, model, req.to_string().as_bytes())
}

/// Base64 media fields of every family that sniffs headers, each holding `data`.
fn media_requests(data: &str) -> Vec<(Api, &'static str, Value)> {
    let url = format!("data:image/png;base64,{data}");
    let pdf_url = format!("data:application/pdf;base64,{data}");
    vec![
        (
            Api::OpenAiChat,
            "gpt-4o",
            json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": url}}]}]}),
        ),
        (
            Api::OpenAiChat,
            "gpt-4.1-mini",
            json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": url}}]}]}),
        ),
        (
            Api::OpenAiChat,
            "gpt-4o",
            json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "file", "file": {"file_data": pdf_url}}]}]}),
        ),
        (
            Api::OpenAiResponses,
            "gpt-4o",
            json!({"max_output_tokens": 10, "input": [{"role": "user", "content": [
                {"type": "input_image", "image_url": url},
                {"type": "input_file", "file_data": data}]}]}),
        ),
        (
            Api::Anthropic,
            "claude-sonnet-4-5",
            json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}]}]}),
        ),
        (
            Api::Anthropic,
            "claude-sonnet-4-5",
            json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": data}}]}]}),
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash",
            json!({"contents": [{"parts": [
                {"inlineData": {"mimeType": "image/png", "data": data}}]}],
                "generationConfig": {"maxOutputTokens": 10}}),
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash",
            json!({"contents": [{"parts": [
                {"inlineData": {"mimeType": "audio/wav", "data": data}}]}],
                "generationConfig": {"maxOutputTokens": 10}}),
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash",
            json!({"contents": [{"parts": [
                {"inlineData": {"mimeType": "video/mp4", "data": data}}]}],
                "generationConfig": {"maxOutputTokens": 10}}),
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash",
            json!({"contents": [{"parts": [
                {"inlineData": {"mimeType": "application/pdf", "data": data}}]}],
                "generationConfig": {"maxOutputTokens": 10}}),
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash",
            json!({"contents": [{"parts": [
                {"inlineData": {"mimeType": "text/plain", "data": data}}]}],
                "generationConfig": {"maxOutputTokens": 10}}),
        ),
    ]
}

/// Regression: `AB` then 90,000 `€` in a base64 field panicked (a `str` cut at byte
/// 262,144, inside a `€`). Now an image whose header cannot be read is held at the
/// formula's largest count, and a medium whose duration or pages cannot be read is a typed
/// error at its path.
#[test]
fn non_base64_characters_in_media_fields_never_panic() {
    let data = format!("AB{}", "€".repeat(90_000));
    for (api, model, req) in media_requests(&data) {
        match run(api, model, &req) {
            Ok(est) => assert!(est.input_tokens() > 0, "{api}: {est:?}"),
            Err(e) => assert!(
                matches!(e, EstimateError::Media { .. } | EstimateError::Field { .. }),
                "{api}: {e:?}"
            ),
        }
    }
    // Characters of every UTF-8 length at every offset of the window's end.
    for c in ["é", "€", "😀"] {
        for pad in 0..4 {
            let data = format!("{}{}", "A".repeat(262_140 + pad), c.repeat(8));
            for (api, model, req) in media_requests(&data).into_iter().take(5) {
                let _ = run(api, model, &req);
            }
        }
    }
}

fn pdf_claiming(pages: &str) -> String {
    STANDARD.encode(format!(
        "%PDF-1.7\n1 0 obj << /Type /Pages /Count {pages} >>\n"
    ))
}

/// Regression: a PDF claiming 148,375,984,940,707,263 pages estimated 8 tokens on Anthropic
/// (`1,500 × pages` wrapped in release builds). Every family that counts PDF pages now
/// refuses a count past what a usage record holds, naming the part.
#[test]
fn pdf_page_counts_that_overflow_are_refused_at_their_part() {
    for pages in ["148375984940707263", "99999999999999999999999999"] {
        let data = pdf_claiming(pages);
        let cases = media_requests(&data);
        for i in [2, 3, 5, 9] {
            let (api, model, req) = &cases[i];
            let err = run(*api, model, req).unwrap_err();
            match &err {
                EstimateError::TooLarge { path, .. } => {
                    assert!(path.contains("[0]"), "{api}: {err}")
                }
                other => panic!("{api}: {other:?}"),
            }
        }
    }
    // A PDF of 1,000 pages is an honest bound, not an error: 1,000 × 258 for Gemini 2.5.
    let ok = media_requests(&pdf_claiming("1000"));
    let est = run(ok[9].0, ok[9].1, &ok[9].2).unwrap();
    let pdf = est.parts.iter().find(|p| p.what.ends_with("PDF")).unwrap();
    assert_eq!(pdf.tokens, 258_000);
}

fn clip(start: &str, end: &str) -> Value {
    json!({"contents": [{"parts": [{
        "fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/v.mp4"},
        "videoMetadata": {"startOffset": start, "endOffset": end}}]}],
        "generationConfig": {"maxOutputTokens": 1}})
}

/// Regression: `videoMetadata` offsets were parsed as floats and cast `as u64`: `"1e300s"`
/// saturated, and two such parts wrapped the sum into a small hold. Offsets are now
/// protobuf durations read exactly; anything else is an error naming the offset.
#[test]
fn video_offsets_are_exact_durations_or_errors_at_their_field() {
    let field = "contents[0].parts[0].videoMetadata.endOffset";
    for bad in [
        "1e300s",
        "-5s",
        "1.5",
        "0x10s",
        "1.0000000001s",
        "315576000001s",
        "s",
        ".5s",
    ] {
        let err = run(Api::Gemini, "gemini-2.5-flash", &clip("0s", bad)).unwrap_err();
        assert!(
            matches!(&err, EstimateError::Field { path, .. } if path == field),
            "{bad}: {err:?}"
        );
    }
    let err = run(Api::Gemini, "gemini-2.5-flash", &clip("10s", "5s")).unwrap_err();
    assert!(
        matches!(&err, EstimateError::Field { path, .. } if path == field),
        "{err:?}"
    );
    // Two parts of the longest duration add up without wrapping: 2 × 315,576,000,000 s ×
    // 263 tokens/s = 165,992,976,000,000 tokens, a (huge) honest bound.
    let mut two = clip("0s", "315576000000s");
    let part = two["contents"][0]["parts"][0].clone();
    two["contents"][0]["parts"]
        .as_array_mut()
        .unwrap()
        .push(part);
    let est = run(Api::Gemini, "gemini-2.5-flash", &two).unwrap();
    let video: u64 = est
        .parts
        .iter()
        .filter(|p| p.what.ends_with("video"))
        .map(|p| p.tokens)
        .sum();
    assert_eq!(video, 2 * 315_576_000_000 * 263);
}

/// Regression (rounding twice): 2.2 s − 1.2 s in floats is 1.0000000000000002 s, so the
/// clip came to ⌈263.00000000000006⌉ = 264 tokens. Exactly it is 1 s × 263 = 263.
#[test]
fn clip_lengths_are_rounded_once_from_exact_offsets() {
    let est = run(Api::Gemini, "gemini-2.5-flash", &clip("1.2s", "2.2s")).unwrap();
    let video = est
        .parts
        .iter()
        .find(|p| p.what.ends_with("video"))
        .unwrap();
    assert_eq!(video.tokens, 263);
    // 0.6 s to 1.1 s of audio at 32 tokens/s: ⌈0.5 × 32⌉ = 16 (floats: 17).
    let mut audio = clip("0.6s", "1.1s");
    audio["contents"][0]["parts"][0]["fileData"]["mimeType"] = json!("audio/mp3");
    let est = run(Api::Gemini, "gemini-2.5-flash", &audio).unwrap();
    assert_eq!(est.usage.audio_input_tokens.get(), 16);
}

fn transcription(file: &[u8]) -> Vec<u8> {
    let mut b = b"--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n".to_vec();
    b.extend_from_slice(file);
    b.extend_from_slice(b"\r\n--XyZ--\r\n");
    b
}

/// Regression (rounding twice): the transcription estimate rounded the header's seconds to
/// milliseconds, then to whole seconds: 24,996 bytes at 10,000 bytes/s = 2.4996 s became
/// 2.500 s and 3 billed seconds. Rounded once, to the nearest second, it is 2.
#[test]
fn transcription_seconds_are_rounded_once() {
    let est = estimate(
        Api::OpenAiTranscription,
        "whisper-1",
        &transcription(&wav_bytes(10_000, 24_996)),
    )
    .unwrap();
    assert_eq!(est.usage.audio_seconds.get().to_string(), "2");
    assert!(
        est.parts[0].note.starts_with("2.4996 s"),
        "{}",
        est.parts[0].note
    );
    // A true midpoint still rounds away from zero, as the answer is billed: 2.5 s → 3.
    let est = estimate(
        Api::OpenAiTranscription,
        "whisper-1",
        &transcription(&wav_bytes(10_000, 25_000)),
    )
    .unwrap();
    assert_eq!(est.usage.audio_seconds.get().to_string(), "3");
}

/// Regression (rounding twice): the patch multiplier was a float, so 150 patches × 1.62
/// came to 243.00000000000003 and rounded up to 244. 320×480 is 10 × 15 = 150 patches;
/// 150 × 1.62 = 243 exactly.
#[test]
fn patch_multipliers_are_exact_decimals() {
    let d = Some(Dims {
        width: 320,
        height: 480,
    });
    assert_eq!(openai_patches(320, 480), 150);
    assert_eq!(
        openai_image("gpt-4.1-mini", d, Detail::High)
            .unwrap()
            .tokens,
        243
    );
    // 1,100 patches (1,100 × 32 wide, one patch high): 1,782 tokens, not 1,783.
    assert_eq!(openai_patches(35_200, 32), 1_100);
    assert_eq!(
        openai_image(
            "gpt-4.1-mini",
            Some(Dims {
                width: 35_200,
                height: 32
            }),
            Detail::High
        )
        .unwrap()
        .tokens,
        1_782
    );
}

/// Image dimensions from a header are untrusted too: the formulas run in exact integers
/// (or hold at their documented cap), so an extreme shape neither wraps nor shrinks a side
/// to zero tiles or patches.
#[test]
fn extreme_image_dimensions_hold_at_least_one_tile() {
    let max = u64::from(u32::MAX);
    // 1 × 4,294,967,295: fitted into 2,048 px the short side is below a pixel, and still
    // occupies its column of tiles (4 tiles down the 2,048 px side).
    assert_eq!(openai_tiles(85, 170, 1, max), 85 + 170 * 4);
    assert_eq!(openai_tiles(85, 170, max, max), 85 + 170 * 4);
    assert_eq!(openai_tiles(85, 170, u64::MAX, u64::MAX), 85 + 170 * 4);
    // Patches: a degenerate shape is held at the 1,536-patch cap, never 0.
    for (w, h) in [(1, max), (max, 1), (max, max), (u64::MAX, u64::MAX)] {
        let p = openai_patches(w, h);
        assert!((1..=1_536).contains(&p), "{w}×{h}: {p}");
    }
    // Claude: scaled to the long-edge limit, capped at 1,600 tokens.
    for (w, h) in [(max, max), (u64::MAX, u64::MAX), (1, u64::MAX)] {
        let t = anthropic_image(
            "claude-sonnet-4-5",
            Some(Dims {
                width: w,
                height: h,
            }),
        )
        .tokens;
        assert!(t <= 1_600, "{w}×{h}: {t}");
    }
}

/// The output bound is an untrusted product: `n` × `max_tokens` past what a usage record
/// holds is refused naming the field, in every family that takes a count.
#[test]
fn output_bounds_that_overflow_are_refused_naming_the_field() {
    let big = 1u64 << 40;
    let cases = [
        (
            Api::OpenAiChat,
            "gpt-4o",
            json!({"n": big, "max_tokens": big, "messages": [{"role": "user", "content": "hi"}]}),
            "max_tokens",
        ),
        (
            Api::Gemini,
            "gemini-2.5-flash",
            json!({"contents": [{"parts": [{"text": "hi"}]}],
                "generationConfig": {"candidateCount": big, "maxOutputTokens": big}}),
            "generationConfig.maxOutputTokens",
        ),
        (
            Api::DashScope,
            "qwen-plus",
            json!({"input": {"prompt": "hi"}, "parameters": {"n": big, "max_tokens": big}}),
            "parameters.max_tokens",
        ),
        (
            Api::Anthropic,
            "claude-sonnet-4-5",
            json!({"max_tokens": u64::MAX, "messages": [{"role": "user", "content": "hi"}]}),
            "max_tokens",
        ),
    ];
    for (api, model, req, field) in cases {
        let err = run(api, model, &req).unwrap_err();
        assert!(
            matches!(&err, EstimateError::TooLarge { path, .. } if path == field),
            "{api}: {err:?}"
        );
    }
    // A Qwen thinking budget × n on top of the output bound.
    let req = json!({"input": {"prompt": "hi"}, "parameters": {"n": 4, "max_tokens": 10,
        "enable_thinking": true, "thinking_budget": u64::MAX / 2}});
    let err = run(Api::DashScope, "qwen-plus", &req).unwrap_err();
    assert!(
        matches!(&err, EstimateError::TooLarge { path, .. } if path == "parameters.thinking_budget"),
        "{err:?}"
    );
}

/// A Gemini request with inline audio whose first RIFF chunk claims 0xFFFFFFF7 bytes (the
/// walk's step wrapped to zero in wasm32's 32-bit `usize` and hung the calculator page): the
/// walk steps past the end on every target, and the part is a typed error.
#[test]
fn gemini_inline_audio_with_a_hostile_chunk_size_is_an_error_at_its_part() {
    for size in [0xFFFF_FFF7u32, 0xFFFF_FFF8, 0xFFFF_FFFF] {
        let mut w = b"RIFF\0\0\0\0WAVEjunk".to_vec();
        w.extend_from_slice(&size.to_le_bytes());
        w.extend_from_slice(&wav_bytes(32_000, 64_000)[12..]);
        let req = json!({"contents": [{"parts": [
            {"inlineData": {"mimeType": "audio/wav", "data": STANDARD.encode(&w)}}]}],
            "generationConfig": {"maxOutputTokens": 1}});
        let err = run(Api::Gemini, "gemini-2.5-flash", &req).unwrap_err();
        assert!(
            matches!(&err, EstimateError::Media { path, .. } if path == "contents[0].parts[0]"),
            "{size:#x}: {err:?}"
        );
    }
    // Without the hostile chunk the same audio is 2 s × 32 tokens.
    let req = json!({"contents": [{"parts": [
        {"inlineData": {"mimeType": "audio/wav", "data": STANDARD.encode(wav_bytes(32_000, 64_000))}}]}],
        "generationConfig": {"maxOutputTokens": 1}});
    let est = run(Api::Gemini, "gemini-2.5-flash", &req).unwrap();
    assert_eq!(est.usage.audio_input_tokens.get(), 64);
}

/// GPT Image: `n` × the table's output tokens past what a usage record holds is refused
/// naming `n` (it was saturated, and the error then quoted 18446744073709551615 as `n`).
#[test]
fn gpt_image_output_that_overflows_is_refused_naming_n() {
    let req = json!({"model": "gpt-image-1", "prompt": "a cat", "n": u64::MAX / 2,
        "size": "1024x1024", "quality": "high"});
    let err = run(Api::OpenAiImages, "gpt-image-1", &req).unwrap_err();
    assert!(
        matches!(&err, EstimateError::TooLarge { path, quantity, .. }
            if path == "n" && quantity.contains(&(u64::MAX / 2).to_string())),
        "{err:?}"
    );
}

/// The estimate fuzz target's findings in this area, replayed as the target decodes them
/// (family byte, model, body; a `\x01…\x01` span is base64-encoded, a grown body repeats
/// its unit to 300 KiB). Each panicked with overflow checks on, or wrapped without.
#[test]
fn fuzz_findings_replay_without_panics() {
    // estimate-base64-window-char-boundary: openai-chat, `AB` then `€` grown to 300 KiB.
    let head = r#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AB"#;
    let body = format!("{head}{}\"}}}}]}}]}}", "€".repeat(300 * 1024 / 3));
    let est = estimate(Api::OpenAiChat, "gpt-4o", body.as_bytes());
    assert!(est.is_err() || est.unwrap().input_tokens() > 0);
    // estimate-pdf-pages-multiply-overflow: anthropic, a PDF claiming 148375984940707263
    // pages.
    let body = json!({"max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "document",
        "source": {"type": "base64", "media_type": "application/pdf",
        "data": STANDARD.encode("%PDF /Count 148375984940707263")}}]}]});
    let err = run(Api::Anthropic, "claude-sonnet-4-5", &body).unwrap_err();
    assert!(matches!(err, EstimateError::TooLarge { .. }), "{err:?}");
    // estimate-gemini-video-offset-sum-overflow: two clips ending at "1e300s".
    let body = br#"{"contents":[{"parts":[{"file_data":{"mime_type":"video/mp4","file_uri":"gs://a/b.mp4"},"videoMetadata":{"startOffset":"0s","endOffset":"1e300s"}},{"file_data":{"mime_type":"video/mp4","file_uri":"gs://a/c.mp4"},"videoMetadata":{"startOffset":"0s","endOffset":"1e300s"}}]}],"generationConfig":{"maxOutputTokens":5}}"#;
    let err = estimate(Api::Gemini, "gemini-2.5-flash", body).unwrap_err();
    assert!(
        matches!(&err, EstimateError::Field { path, .. }
            if path == "contents[0].parts[0].videoMetadata.endOffset"),
        "{err:?}"
    );
}
