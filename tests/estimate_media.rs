//! Estimates of media requests whose request alone fixes the bill: text-to-speech
//! characters and DALL·E images. The estimate must equal what the answer then bills.

use tariff::estimate::{estimate, EstimateError};
use tariff::extract::{extract_with_request, Api};
use tariff::Catalog;

#[test]
fn speech_requests_hold_their_characters() {
    // 13 + 1 characters: the emoji is one character, as OpenAI counts `input`.
    let req = r#"{"model":"tts-1","input":"Hello, world! 👋","voice":"alloy"}"#;
    let est = estimate(Api::OpenAiSpeech, "tts-1", req.as_bytes()).unwrap();
    assert_eq!(est.usage.characters.get(), 15);
    assert!(est.usage.estimated);
    // What the answer (the audio itself) then bills is the same.
    let metered =
        extract_with_request(Api::OpenAiSpeech, b"ID3\x04\x00", Some(req.as_bytes())).unwrap();
    assert_eq!(metered.characters, est.usage.characters);
    // tts-1 at $15 per 1M characters: 15 x 15 / 1,000,000.
    let bill = Catalog::builtin().quote("tts-1", &est.usage).unwrap();
    assert_eq!(bill.total().to_string(), "0.000225");
    assert!(bill.estimated());
}

#[test]
fn minimax_and_doubao_requests_count_their_text() {
    let minimax =
        r#"{"model":"speech-02-hd","text":"你好，世界","voice_setting":{"voice_id":"x"}}"#;
    let est = estimate(Api::MiniMaxTts, "speech-02-hd", minimax.as_bytes()).unwrap();
    assert_eq!(est.usage.characters.get(), 5);
}

#[test]
fn dalle_requests_hold_the_images_they_ask_for_with_the_api_defaults() {
    let cases = [
        // (request, images, size, quality, total USD)
        (
            r#"{"model":"dall-e-3","prompt":"a lighthouse","size":"1024x1792","quality":"hd"}"#,
            1,
            "1024x1792",
            Some("hd"),
            "0.12",
        ),
        // DALL·E 3 defaults: 1024x1024, standard ($0.040).
        (
            r#"{"model":"dall-e-3","prompt":"a lighthouse"}"#,
            1,
            "1024x1024",
            Some("standard"),
            "0.04",
        ),
        // DALL·E 2 has no quality; three 512x512 images at $0.018.
        (
            r#"{"model":"dall-e-2","prompt":"a lighthouse","n":3,"size":"512x512"}"#,
            3,
            "512x512",
            None,
            "0.054",
        ),
    ];
    for (req, n, size, quality, total) in cases {
        let model = if req.contains("dall-e-3") {
            "dall-e-3"
        } else {
            "dall-e-2"
        };
        let est = estimate(Api::OpenAiImages, model, req.as_bytes()).unwrap();
        let img = &est.usage.images[0];
        assert_eq!(
            (img.count.get(), img.size.as_deref(), img.quality.as_deref()),
            (n, Some(size), quality),
            "{req}"
        );
        let bill = Catalog::builtin().quote(model, &est.usage).unwrap();
        assert_eq!(bill.total().to_string(), total, "{req}");
        // The answer, when it delivers every image asked for, bills the same.
        let data: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"url":"https://example.com/{i}.png"}}"#))
            .collect();
        let response = format!(r#"{{"created":1700000000,"data":[{}]}}"#, data.join(","));
        let metered =
            extract_with_request(Api::OpenAiImages, response.as_bytes(), Some(req.as_bytes()))
                .unwrap();
        assert_eq!(metered.images, est.usage.images, "{req}");
    }
}

#[test]
fn gpt_image_requests_without_a_token_table_are_refused_not_guessed() {
    // gpt-image-1 and 1.5 estimate from OpenAI's table (tests/estimate_images.rs); the mini
    // model has none.
    let req = br#"{"model":"gpt-image-1-mini","prompt":"a lighthouse"}"#;
    let err = estimate(Api::OpenAiImages, "gpt-image-1-mini", req).unwrap_err();
    assert!(matches!(err, EstimateError::Field { .. }), "{err:?}");
    assert!(err.to_string().contains("gpt-image-1-mini"), "{err}");
}

#[test]
fn a_speech_request_without_text_is_a_typed_error() {
    let err = estimate(
        Api::OpenAiSpeech,
        "tts-1",
        br#"{"model":"tts-1","voice":"alloy"}"#,
    )
    .unwrap_err();
    assert!(matches!(err, EstimateError::Request(_)), "{err:?}");
}

#[test]
fn every_family_has_a_request_estimator() {
    // A request too empty to estimate gets a typed error about the request, never
    // `Unsupported`: every family the extractors read can be held before the call.
    for api in Api::ALL {
        for request in [&b"{}"[..], b"{\"model\":\"m\",\"prompt\":\"x\"}"] {
            if let Err(e) = estimate(api, "m", request) {
                assert_ne!(e, EstimateError::Unsupported { api }, "{api}");
            }
        }
    }
}

#[test]
fn video_requests_hold_the_seconds_asked_for_or_the_vendor_default() {
    let catalog = Catalog::builtin();
    // (api, model, request, seconds, resolution, total USD)
    let cases = [
        // Sora 2 at $0.10 a second: 8 s asked for.
        (
            Api::OpenAiVideo,
            "sora-2",
            r#"{"model":"sora-2","prompt":"otters","seconds":"8","size":"1280x720"}"#,
            "8",
            "1280x720",
            "0.80",
        ),
        // Nothing said: Sora's documented 4 s at 720x1280.
        (
            Api::OpenAiVideo,
            "sora-2",
            r#"{"model":"sora-2","prompt":"otters"}"#,
            "4",
            "720x1280",
            "0.40",
        ),
        // Veo 3 Fast at $0.12 a second at 1080p: two samples of 6 s.
        (
            Api::Veo,
            "veo-3.0-fast-generate-001",
            r#"{"instances":[{"prompt":"otters"}],"parameters":{"durationSeconds":6,"resolution":"1080p","sampleCount":2}}"#,
            "12",
            "1080p",
            "1.44",
        ),
        // Nothing said: Veo's 8 s at 720p, one sample ($0.10 a second).
        (
            Api::Veo,
            "veo-3.0-fast-generate-001",
            r#"{"instances":[{"prompt":"otters"}]}"#,
            "8",
            "720p",
            "0.80",
        ),
    ];
    for (api, model, req, secs, resolution, total) in cases {
        let est = estimate(api, model, req.as_bytes()).unwrap();
        assert_eq!(est.usage.video_seconds.get().to_string(), secs, "{req}");
        assert_eq!(est.usage.resolution.as_deref(), Some(resolution), "{req}");
        assert!(est.usage.estimated);
        let bill = catalog.quote(model, &est.usage).unwrap();
        assert_eq!(
            bill.total(),
            total.parse::<rust_decimal::Decimal>().unwrap(),
            "{req}"
        );
    }
}

#[test]
fn runway_wan_and_luma_requests_hold_their_seconds_or_the_default() {
    let catalog = Catalog::builtin();
    // Runway gen4_turbo at $0.05 a second (5 credits at $0.01): 5 s asked for, then the
    // documented 10 s default.
    for (req, secs, total) in [
        (
            r#"{"model":"gen4_turbo","promptImage":"https://example.com/a.png","ratio":"1280:720","duration":5}"#,
            "5",
            "0.25",
        ),
        (
            r#"{"model":"gen4_turbo","promptImage":"https://example.com/a.png","ratio":"1280:720"}"#,
            "10",
            "0.5",
        ),
    ] {
        let est = estimate(Api::Runway, "gen4_turbo", req.as_bytes()).unwrap();
        assert_eq!(est.usage.video_seconds.get().to_string(), secs);
        assert_eq!(est.usage.resolution.as_deref(), Some("720p"));
        let bill = catalog.quote("gen4_turbo", &est.usage).unwrap();
        assert_eq!(
            bill.total(),
            total.parse::<rust_decimal::Decimal>().unwrap()
        );
    }
    // Wan 2.7 text-to-video at $0.15 a second at 1080P, 5 s.
    let wan = r#"{"model":"wan2.7-t2v","input":{"prompt":"otters"},"parameters":{"resolution":"1080P","duration":5}}"#;
    let est = estimate(Api::WanVideo, "wan2.7-t2v", wan.as_bytes()).unwrap();
    assert_eq!(est.usage.resolution.as_deref(), Some("1080p"));
    let bill = catalog.quote("wan2.7-t2v", &est.usage).unwrap();
    assert_eq!(
        bill.total(),
        "0.75".parse::<rust_decimal::Decimal>().unwrap()
    );
    // Luma: the documented 5 s when the request says nothing (no price is published).
    let est = estimate(
        Api::Luma,
        "ray-2",
        br#"{"prompt":"otters","model":"ray-2"}"#,
    )
    .unwrap();
    assert_eq!(est.usage.video_seconds.get().to_string(), "5");
}

/// The one part of a media request's estimate: its basis and note.
fn basis_of(api: Api, model: &str, req: &str) -> (tariff::estimate::Basis, String) {
    let est = estimate(api, model, req.as_bytes()).unwrap();
    assert_eq!(est.parts.len(), 1, "{req}");
    (est.parts[0].basis, est.parts[0].note.clone())
}

#[test]
fn a_media_quantity_the_request_gives_is_exact_and_a_vendor_default_says_so() {
    use tariff::estimate::Basis;
    // (api, model, request that gives every quantity, request that leaves some out, what
    // the note must name for each default: the field, the default, its source)
    let cases: [(Api, &str, &str, &str, &[&str]); 7] = [
        (
            Api::OpenAiVideo,
            "sora-2",
            r#"{"model":"sora-2","prompt":"otters","seconds":"8","size":"1280x720"}"#,
            r#"{"model":"sora-2","prompt":"otters"}"#,
            &[
                "no `seconds`: the default 4 s",
                "no `size`: the default 720x1280",
                "platform.openai.com/docs/api-reference/videos/create",
            ],
        ),
        (
            // A Veo model through the OpenAI-compatible video API: Veo's defaults.
            Api::OpenAiVideo,
            "veo-3.0-fast-generate-001",
            r#"{"model":"veo-3.0-fast-generate-001","prompt":"otters","seconds":6,"resolution":"1080p"}"#,
            r#"{"model":"veo-3.0-fast-generate-001","prompt":"otters"}"#,
            &[
                "no `seconds`: the default 8 s",
                "no `resolution`: the default 720p",
                "ai.google.dev/gemini-api/docs/video",
            ],
        ),
        (
            Api::Veo,
            "veo-3.0-fast-generate-001",
            r#"{"instances":[{"prompt":"otters"}],"parameters":{"durationSeconds":6,"resolution":"1080p","sampleCount":2}}"#,
            r#"{"instances":[{"prompt":"otters"}],"parameters":{"resolution":"1080p"}}"#,
            &[
                "no `parameters.durationSeconds`: the default 8 s",
                "no `parameters.sampleCount`: the default 1 video",
                "ai.google.dev/gemini-api/docs/video",
            ],
        ),
        (
            Api::WanVideo,
            "wan2.7-t2v",
            r#"{"model":"wan2.7-t2v","parameters":{"resolution":"1080P","duration":10}}"#,
            r#"{"model":"wan2.7-t2v","parameters":{"resolution":"1080P"}}"#,
            &[
                "no `parameters.duration`: the default 5 s",
                "help.aliyun.com/zh/model-studio/text-to-video-api-reference",
            ],
        ),
        (
            Api::Luma,
            "ray-2",
            r#"{"model":"ray-2","prompt":"otters","duration":"9s","resolution":"720p"}"#,
            r#"{"model":"ray-2","prompt":"otters","resolution":"720p"}"#,
            &[
                "no `duration`: the default 5 s",
                "docs.lumalabs.ai/docs/video-generation",
            ],
        ),
        (
            Api::Runway,
            "gen4_turbo",
            r#"{"model":"gen4_turbo","ratio":"1280:720","duration":5}"#,
            r#"{"model":"gen4_turbo","ratio":"1280:720"}"#,
            &[
                "no `duration`: the default 10 s",
                "docs.dev.runwayml.com/api/",
            ],
        ),
        (
            Api::OpenAiImages,
            "dall-e-3",
            r#"{"model":"dall-e-3","prompt":"a lighthouse","n":1,"size":"1024x1792","quality":"hd"}"#,
            r#"{"model":"dall-e-3","prompt":"a lighthouse"}"#,
            &[
                "no `n`: the default 1",
                "no `size`: the default 1024x1024",
                "no `quality`: the default standard for DALL·E 3",
                "platform.openai.com/docs/api-reference/images/create",
            ],
        ),
    ];
    for (api, model, given, omitted, names) in cases {
        let (basis, note) = basis_of(api, model, given);
        assert_eq!(basis, Basis::Exact, "{given}: {note}");
        assert!(!note.contains("default"), "{given}: {note}");
        let (basis, note) = basis_of(api, model, omitted);
        assert_eq!(basis, Basis::Default, "{omitted}: {note}");
        // A field the request left out is not said to be read from it.
        assert!(!note.contains("of the request"), "{omitted}: {note}");
        for name in names {
            assert!(note.contains(name), "{omitted}: {note} lacks {name}");
        }
    }
}

#[test]
fn dall_e_defaults_name_the_model_and_what_auto_picks() {
    use tariff::estimate::Basis;
    // No model: the API's default DALL·E 2, which has one quality, so none is defaulted.
    let (basis, note) = basis_of(
        Api::OpenAiImages,
        "dall-e-2",
        r#"{"prompt":"x","n":2,"size":"512x512"}"#,
    );
    assert_eq!(basis, Basis::Default);
    assert!(note.contains("no `model`: the default dall-e-2"), "{note}");
    assert!(!note.contains("quality"), "{note}");
    // `auto` is given, but the quality priced is DALL·E 3's standard: a default.
    let req = r#"{"model":"dall-e-3","prompt":"x","n":1,"size":"1024x1024","quality":"auto"}"#;
    let (basis, note) = basis_of(Api::OpenAiImages, "dall-e-3", req);
    assert_eq!(basis, Basis::Default);
    assert!(
        note.contains("`quality` auto: the default standard"),
        "{note}"
    );
}

#[test]
fn another_vendors_default_length_through_the_openai_video_api_names_its_source() {
    use tariff::estimate::Basis;
    // Runway's 10 s, documented with Runway's own API.
    let est = estimate(
        Api::OpenAiVideo,
        "gen4_turbo",
        br#"{"model":"gen4_turbo","prompt":"otters","size":"1280x720"}"#,
    )
    .unwrap();
    assert_eq!(est.usage.video_seconds.get().to_string(), "10");
    assert_eq!(est.parts[0].basis, Basis::Default);
    let note = &est.parts[0].note;
    assert!(
        note.contains("no `seconds`: the default 10 s (https://docs.dev.runwayml.com/api/)"),
        "{note}"
    );
}

#[test]
fn speech_characters_are_read_never_defaulted() {
    use tariff::estimate::Basis;
    // The text is the quantity: no vendor default stands in for any of it.
    for (api, model, req) in [
        (
            Api::OpenAiSpeech,
            "tts-1",
            r#"{"model":"tts-1","input":"Hello","voice":"alloy"}"#,
        ),
        (
            Api::MiniMaxTts,
            "speech-02-hd",
            r#"{"model":"speech-02-hd","text":"你好"}"#,
        ),
        (
            Api::DoubaoTts,
            "doubao-tts",
            r#"{"app":{},"request":{"text":"你好世界"}}"#,
        ),
    ] {
        let est = estimate(api, model, req.as_bytes()).unwrap();
        assert_eq!(est.parts.len(), 1, "{req}");
        assert_eq!(est.parts[0].what, "characters to speak");
        assert_eq!(est.parts[0].basis, Basis::Exact, "{req}");
        assert_eq!(est.parts[0].tokens, est.usage.characters.get(), "{req}");
    }
}
