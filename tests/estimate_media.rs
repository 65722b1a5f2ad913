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
    assert_eq!(bill.total.to_string(), "0.000225");
    assert!(bill.estimated);
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
        assert_eq!(bill.total.to_string(), total, "{req}");
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
            bill.total,
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
        assert_eq!(bill.total, total.parse::<rust_decimal::Decimal>().unwrap());
    }
    // Wan 2.7 text-to-video at $0.15 a second at 1080P, 5 s.
    let wan = r#"{"model":"wan2.7-t2v","input":{"prompt":"otters"},"parameters":{"resolution":"1080P","duration":5}}"#;
    let est = estimate(Api::WanVideo, "wan2.7-t2v", wan.as_bytes()).unwrap();
    assert_eq!(est.usage.resolution.as_deref(), Some("1080p"));
    let bill = catalog.quote("wan2.7-t2v", &est.usage).unwrap();
    assert_eq!(bill.total, "0.75".parse::<rust_decimal::Decimal>().unwrap());
    // Luma: the documented 5 s when the request says nothing (no price is published).
    let est = estimate(
        Api::Luma,
        "ray-2",
        br#"{"prompt":"otters","model":"ray-2"}"#,
    )
    .unwrap();
    assert_eq!(est.usage.video_seconds.get().to_string(), "5");
}
