//! Video task results (with their create requests) metered and priced: the seconds billed
//! are the ones delivered, else asked for, else the vendor's default; failed tasks are never
//! charged; bodies of another family are refused.
//!
//! Expected amounts are worked by hand from the rates in pricing/*.toml (each quoted where
//! it is used), never by running the code under test.

use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff::extract::{extract, extract_any, extract_with_request, Api, ExtractError};
use tariff::{Catalog, PriceError, Usage};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/responses/video/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn meter(api: Api, body: &str, request: Option<&str>) -> Result<Usage, ExtractError> {
    let req = request.map(fixture);
    extract_with_request(api, &fixture(body), req.as_deref())
}

fn ok(api: Api, body: &str, request: Option<&str>) -> Usage {
    meter(api, body, request).unwrap_or_else(|e| panic!("{api} {body}: {e}"))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Seconds, resolution and options of a record, for compact comparisons.
fn shape(u: &Usage) -> (String, Option<String>, Vec<(String, String)>) {
    (
        u.video_seconds.get().normalize().to_string(),
        u.resolution.clone(),
        u.options
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

fn opts(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Prices a metered record at a fixed time with the built-in tables.
fn price(model: &str, mut u: Usage) -> Result<tariff::Bill, PriceError> {
    u.at = Some("2026-11-01T00:00:00Z".parse().unwrap());
    Catalog::builtin().quote(model, &u)
}

fn total(model: &str, u: Usage) -> Decimal {
    let bill = price(model, u).unwrap_or_else(|e| panic!("{model}: {e}"));
    assert_eq!(
        bill.total(),
        bill.lines().iter().map(|l| l.amount()).sum::<Decimal>()
    );
    bill.total()
}

#[test]
fn sora_jobs_bill_the_seconds_and_size_delivered_not_asked() {
    // The request asked 4 s at 720x1280; the job delivered 8 s at 1280x720.
    let u = ok(Api::OpenAiVideo, "sora-job.json", Some("sora-request.json"));
    assert_eq!(shape(&u), ("8".into(), Some("1280x720".into()), vec![]));
    // The job alone carries everything.
    assert_eq!(u, ok(Api::OpenAiVideo, "sora-job.json", None));
    // sora-2 at 1280x720: 8 s × $0.10 = $0.80.
    assert_eq!(total("sora-2", u), dec("0.8"));
}

#[test]
fn sora_pro_sizes_price_apart() {
    let big = br#"{"object":"video","model":"sora-2-pro","status":"completed","seconds":"12","size":"1792x1024"}"#;
    let u = extract_with_request(Api::OpenAiVideo, big, None).unwrap();
    // 12 s × $0.50 at 1792x1024 = $6.
    assert_eq!(total("sora-2-pro", u), dec("6"));
    let small = br#"{"object":"video","model":"sora-2-pro","status":"completed","seconds":"4","size":"720x1280"}"#;
    let u = extract_with_request(Api::OpenAiVideo, small, None).unwrap();
    // 4 s × $0.30 = $1.20.
    assert_eq!(total("sora-2-pro", u), dec("1.2"));
    // A size with no published price is an error naming the priced ones, never a guess.
    let hd = br#"{"object":"video","model":"sora-2-pro","status":"completed","seconds":"4","size":"1920x1080"}"#;
    let u = extract_with_request(Api::OpenAiVideo, hd, None).unwrap();
    match price("sora-2-pro", u).unwrap_err() {
        PriceError::UnpricedVariant { available, .. } => {
            assert!(
                available.iter().any(|v| v.contains("1792x1024")),
                "{available:?}"
            )
        }
        e => panic!("{e}"),
    }
}

#[test]
fn veo_through_the_openai_format_reads_the_request() {
    // The job says nothing of length or resolution: the request's metadata does.
    let u = ok(
        Api::OpenAiVideo,
        "veo-openai-job.json",
        Some("veo-openai-request.json"),
    );
    assert_eq!(shape(&u), ("6".into(), Some("1080p".into()), vec![]));
    // veo-3.1-fast at 1080p: 6 s × $0.12 = $0.72.
    assert_eq!(total("veo-3.1-fast-generate-preview", u), dec("0.72"));
    // Nothing asked: Veo's defaults, 8 s at 720p: 8 × $0.10 = $0.80.
    let u = ok(
        Api::OpenAiVideo,
        "veo-openai-job.json",
        Some("veo-openai-request-defaults.json"),
    );
    assert_eq!(shape(&u), ("8".into(), Some("720p".into()), vec![]));
    assert_eq!(total("veo-3.1-fast", u), dec("0.8"));
    // No request at all: it is needed.
    assert!(matches!(
        meter(Api::OpenAiVideo, "veo-openai-job.json", None).unwrap_err(),
        ExtractError::MissingRequest {
            api: Api::OpenAiVideo
        }
    ));
}

#[test]
fn other_vendors_through_the_openai_format_use_their_own_defaults() {
    let job = br#"{"object":"video","model":"wan2.7-t2v","status":"completed"}"#;
    let u = extract_with_request(
        Api::OpenAiVideo,
        job,
        Some(br#"{"model":"wan2.7-t2v","size":"1280*720"}"#),
    )
    .unwrap();
    // Wan's default 5 s, priced by the short side: 5 × $0.10 = $0.50.
    assert_eq!(shape(&u), ("5".into(), Some("720p".into()), vec![]));
    assert_eq!(total("wan2.7-t2v", u), dec("0.5"));
    let job = br#"{"object":"video","model":"gen4_turbo","status":"completed"}"#;
    let u = extract_with_request(Api::OpenAiVideo, job, Some(b"{}")).unwrap();
    assert_eq!(u.video_seconds.get(), dec("10"));
    // A model with no documented default must say how long.
    let job = br#"{"object":"video","model":"mystery-video-1","status":"completed"}"#;
    match extract_with_request(Api::OpenAiVideo, job, Some(b"{}")).unwrap_err() {
        ExtractError::MissingUsage { hint, .. } => {
            assert!(hint.contains("mystery-video-1"), "{hint}")
        }
        e => panic!("{e}"),
    }
    let u = extract_with_request(Api::OpenAiVideo, job, Some(br#"{"duration":7}"#)).unwrap();
    assert_eq!(u.video_seconds.get(), dec("7"));
}

#[test]
fn sora_chat_format_prices_from_the_request() {
    let json = ok(
        Api::SoraChat,
        "sora-chat.json",
        Some("sora-chat-request.json"),
    );
    let sse = ok(
        Api::SoraChat,
        "sora-chat-stream.sse",
        Some("sora-chat-request.json"),
    );
    assert_eq!(json, sse);
    assert_eq!(shape(&json), ("12".into(), Some("1280x720".into()), vec![]));
    // 12 s × $0.10 = $1.20.
    assert_eq!(total("sora-2", json), dec("1.2"));
    // The request leaves seconds and size out: Sora's defaults, 4 s at 720x1280 = $0.40.
    let u = ok(
        Api::SoraChat,
        "sora-chat.json",
        Some("sora-chat-request-defaults.json"),
    );
    assert_eq!(shape(&u), ("4".into(), Some("720x1280".into()), vec![]));
    assert_eq!(total("sora-2", u), dec("0.4"));
    assert!(matches!(
        meter(Api::SoraChat, "sora-chat.json", None).unwrap_err(),
        ExtractError::MissingRequest { .. }
    ));
    // A chat error body is a failed generation.
    let err = extract_with_request(
        Api::SoraChat,
        br#"{"error":{"message":"quota","type":"x"}}"#,
        Some(&fixture("sora-chat-request.json")),
    )
    .unwrap_err();
    assert!(matches!(err, ExtractError::TaskFailed { .. }), "{err}");
}

#[test]
fn veo_operations_sum_the_videos_delivered() {
    // One sample delivered (sampleCount 2 was asked): 6 s at 1080p, audio on.
    let u = ok(Api::Veo, "veo-operation.json", Some("veo-request.json"));
    assert_eq!(
        shape(&u),
        ("6".into(), Some("1080p".into()), opts(&[("audio", "true")]))
    );
    // veo-3.0 at any resolution it offers: 6 × $0.40 = $2.40.
    assert_eq!(total("veo-3.0-generate-001", u), dec("2.4"));
    // Vertex AI shape, two videos: 12 s at 1080p on veo-3.1-fast = 12 × $0.12 = $1.44.
    let u = ok(
        Api::Veo,
        "veo-vertex-operation.json",
        Some("veo-request.json"),
    );
    assert_eq!(u.video_seconds.get(), dec("12"));
    assert_eq!(total("veo-3.1-fast-generate-001", u), dec("1.44"));
    // Defaults: 8 s at 720p; veo-3.1 at 720p is $0.40/s = $3.20.
    let u = ok(
        Api::Veo,
        "veo-operation.json",
        Some("veo-request-defaults.json"),
    );
    assert_eq!(shape(&u), ("8".into(), Some("720p".into()), vec![]));
    assert_eq!(total("veo-3.1", u), dec("3.2"));
    // 4k on veo-3.1: 8 × $0.60 = $4.80.
    let req = br#"{"instances":[{"prompt":"x"}],"parameters":{"resolution":"4K"}}"#;
    let u = extract_with_request(Api::Veo, &fixture("veo-operation.json"), Some(req)).unwrap();
    assert_eq!(u.resolution.as_deref(), Some("4k"));
    assert_eq!(total("veo-3.1", u), dec("4.8"));
}

#[test]
fn veo_without_audio_has_no_published_price() {
    let req = br#"{"instances":[{"prompt":"x"}],"parameters":{"durationSeconds":8,"generateAudio":false}}"#;
    let u = extract_with_request(Api::Veo, &fixture("veo-operation.json"), Some(req)).unwrap();
    assert_eq!(u.options.get("audio").map(String::as_str), Some("false"));
    match price("veo-3.0-generate-001", u).unwrap_err() {
        PriceError::UnpricedOption { option, .. } => assert_eq!(option, "without audio"),
        e => panic!("{e}"),
    }
}

#[test]
fn wan_bills_the_usage_it_reports() {
    // The task reports 10 s at SR 1080 although the request asked 5 s at 1280*720.
    let u = ok(Api::WanVideo, "wan-task.json", Some("wan-request.json"));
    assert_eq!(
        shape(&u),
        (
            "10".into(),
            Some("1080p".into()),
            opts(&[("audio", "true")])
        )
    );
    // wan2.7-t2v (Singapore, USD) at 1080p: 10 × $0.15 = $1.50.
    assert_eq!(total("wan2.7-t2v", u), dec("1.5"));
    // The task alone is enough when it reports usage.
    let alone = ok(Api::WanVideo, "wan-task.json", None);
    assert_eq!(shape(&alone), ("10".into(), Some("1080p".into()), vec![]));
    // No usage: the request's resolution and Wan's default 5 s: 5 × $0.10 = $0.50.
    let u = ok(
        Api::WanVideo,
        "wan-task-no-usage.json",
        Some("wan-request-defaults.json"),
    );
    assert_eq!(shape(&u), ("5".into(), Some("720p".into()), vec![]));
    assert_eq!(total("wan2.7-t2v", u), dec("0.5"));
    assert!(matches!(
        meter(Api::WanVideo, "wan-task-no-usage.json", None).unwrap_err(),
        ExtractError::MissingRequest { .. }
    ));
    // A success that delivered no video is inconsistent, not a free task.
    let none = br#"{"output":{"task_status":"SUCCEEDED"},"usage":{"duration":5,"video_count":0,"SR":720}}"#;
    assert!(matches!(
        extract_with_request(Api::WanVideo, none, None).unwrap_err(),
        ExtractError::Inconsistent { .. }
    ));
    // Only the Singapore deployment is priced: a Beijing usage is an error, not a guess.
    let mut cn = ok(Api::WanVideo, "wan-task.json", None);
    cn.region = Some("cn".into());
    assert!(matches!(
        price("wan2.7-t2v", cn).unwrap_err(),
        PriceError::UnknownRegion { .. }
    ));
}

#[test]
fn seedance_prices_tokens_by_resolution_and_video_input() {
    let u = ok(
        Api::Seedance,
        "seedance-task.json",
        Some("seedance-request.json"),
    );
    assert_eq!(u.output_tokens.get(), 243_000);
    assert_eq!(u.input_tokens.get(), 0);
    assert_eq!(
        u.options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [("resolution", "1080p"), ("video_input", "true")]
    );
    // 2.0 at 1080p with a video in the request: 243,000 × 31 / 1M = 7.533 CNY.
    let bill = price("doubao-seedance-2-0", u).unwrap();
    assert_eq!(bill.total(), dec("7.533"));
    assert_eq!(bill.option(), Some("1080p, video input"));
    assert_eq!(bill.currency().to_string(), "CNY");
    // Text only (the prompt's `--rs 720p` loses to the task's reported 1080p): 243,000 × 51 / 1M.
    let u = ok(
        Api::Seedance,
        "seedance-task.json",
        Some("seedance-request-text.json"),
    );
    assert_eq!(
        u.options.get("video_input").map(String::as_str),
        Some("false")
    );
    assert_eq!(total("doubao-seedance-2-0-260128", u), dec("12.393"));
    // Only the request says whether a video went in.
    assert!(matches!(
        meter(Api::Seedance, "seedance-task.json", None).unwrap_err(),
        ExtractError::MissingRequest { .. }
    ));
    // Fast has no 1080p price: an error, not the 720p price.
    let u = ok(
        Api::Seedance,
        "seedance-task.json",
        Some("seedance-request.json"),
    );
    assert!(matches!(
        price("doubao-seedance-2-0-fast", u).unwrap_err(),
        PriceError::UnpricedOption { .. }
    ));
}

#[test]
fn seedance_input_tokens_are_the_excess_of_the_total() {
    let body = br#"{"id":"cgt-1","status":"succeeded","content":{},"usage":{"completion_tokens":100000,"total_tokens":150000},"resolution":"720p"}"#;
    let req = fixture("seedance-request.json");
    let u = extract_with_request(Api::Seedance, body, Some(&req)).unwrap();
    assert_eq!(
        (u.input_tokens.get(), u.output_tokens.get()),
        (50_000, 100_000)
    );
    // 720p with video input: 150,000 × 28 / 1M = 4.2 CNY.
    assert_eq!(total("doubao-seedance-2-0", u), dec("4.2"));
    let bad =
        br#"{"id":"cgt-1","status":"succeeded","usage":{"completion_tokens":10,"total_tokens":5}}"#;
    assert!(matches!(
        extract_with_request(Api::Seedance, bad, Some(&req)).unwrap_err(),
        ExtractError::Inconsistent { .. }
    ));
}

#[test]
fn kling_bills_whole_delivered_seconds_by_mode() {
    // Delivered 10.1 s for a 10 s pro order.
    let u = ok(Api::Kling, "kling-task.json", Some("kling-request.json"));
    assert_eq!(shape(&u), ("10".into(), None, opts(&[("mode", "pro")])));
    // A video without its duration: the request's, and Kling's defaults (5 s, std) when absent.
    let body = br#"{"code":0,"data":{"task_id":"t","task_status":"succeed","task_result":{"videos":[{"id":"v","url":"u"}]}}}"#;
    let u = extract_with_request(
        Api::Kling,
        body,
        Some(&fixture("kling-request-defaults.json")),
    )
    .unwrap();
    assert_eq!(shape(&u), ("5".into(), None, opts(&[("mode", "std")])));
    let u = extract_with_request(Api::Kling, body, Some(&fixture("kling-request.json"))).unwrap();
    assert_eq!(u.video_seconds.get(), dec("10"));
    // The mode is only in the request.
    assert!(matches!(
        meter(Api::Kling, "kling-task.json", None).unwrap_err(),
        ExtractError::MissingRequest { .. }
    ));
    // No Kling price is published in money: an unknown model, with no guess.
    assert!(matches!(
        price(
            "kling-v2-1-master",
            ok(Api::Kling, "kling-task.json", Some("kling-request.json"))
        )
        .unwrap_err(),
        PriceError::UnknownModel { .. }
    ));
}

#[test]
fn jimeng_reads_frames_from_the_request() {
    // 241 frames at 24 fps plus one = 10 s.
    let u = ok(Api::Jimeng, "jimeng-task.json", Some("jimeng-request.json"));
    assert_eq!(shape(&u), ("10".into(), None, vec![]));
    // No frames, no duration: the default 121 frames, 5 s.
    let u = ok(
        Api::Jimeng,
        "jimeng-task.json",
        Some("jimeng-request-defaults.json"),
    );
    assert_eq!(u.video_seconds.get(), dec("5"));
    assert!(matches!(
        meter(Api::Jimeng, "jimeng-task.json", None).unwrap_err(),
        ExtractError::MissingRequest { .. }
    ));
}

#[test]
fn luma_generations_carry_their_request() {
    let u = ok(Api::Luma, "luma-generation.json", None);
    assert_eq!(shape(&u), ("9".into(), Some("720p".into()), vec![]));
    // A copy without its request needs one; a request that omits the duration gets 5 s.
    assert!(matches!(
        meter(Api::Luma, "luma-generation-bare.json", None).unwrap_err(),
        ExtractError::MissingRequest { .. }
    ));
    let u = extract_with_request(
        Api::Luma,
        &fixture("luma-generation-bare.json"),
        Some(br#"{"prompt":"x","model":"ray-2"}"#),
    )
    .unwrap();
    assert_eq!(shape(&u), ("5".into(), None, vec![]));
}

#[test]
fn runway_needs_the_request_for_the_duration() {
    let u = ok(Api::Runway, "runway-task.json", Some("runway-request.json"));
    assert_eq!(shape(&u), ("5".into(), Some("720p".into()), vec![]));
    // gen4_turbo: 5 s × $0.05 = $0.25.
    assert_eq!(total("gen4_turbo", u), dec("0.25"));
    // Duration omitted: Runway's default 10 s; 10 × $0.05 = $0.50.
    let u = ok(
        Api::Runway,
        "runway-task.json",
        Some("runway-request-defaults.json"),
    );
    assert_eq!(shape(&u), ("10".into(), Some("720p".into()), vec![]));
    assert_eq!(total("gen4_turbo", u), dec("0.5"));
    assert!(matches!(
        meter(Api::Runway, "runway-task.json", None).unwrap_err(),
        ExtractError::MissingRequest { .. }
    ));
}

#[test]
fn failed_tasks_are_never_charged() {
    let cases = [
        (
            Api::OpenAiVideo,
            "sora-failed.json",
            "blocked by our moderation",
        ),
        (
            Api::Veo,
            "veo-filtered.json",
            "removed by the safety filter",
        ),
        (Api::Veo, "veo-error.json", "could not be submitted"),
        (Api::WanVideo, "wan-failed.json", "inappropriate content"),
        (Api::Seedance, "seedance-failed.json", "sensitive content"),
        (Api::Kling, "kling-failed.json", "risk control"),
        (Api::Jimeng, "jimeng-failed.json", "Risk Not Pass"),
        (Api::Luma, "luma-failed.json", "Prompt not allowed"),
        (Api::Runway, "runway-failed.json", "unexpected error"),
    ];
    for (api, body, why) in cases {
        // With or without the request: failure is read first.
        for req in [None, Some(fixture(body))] {
            let e = extract_with_request(api, &fixture(body), req.as_deref()).unwrap_err();
            match &e {
                ExtractError::TaskFailed { api: a, .. } => assert_eq!(*a, api),
                other => panic!("{api} {body}: {other}"),
            }
            let text = e.to_string();
            assert!(text.contains(why), "{api}: {text}");
            assert!(text.contains("nothing is charged"), "{text}");
        }
    }
}

#[test]
fn unfinished_tasks_are_not_metered_yet() {
    for (api, body) in [
        (Api::OpenAiVideo, "sora-queued.json"),
        (Api::Veo, "veo-running.json"),
    ] {
        let e = meter(api, body, None).unwrap_err();
        assert!(matches!(e, ExtractError::TaskUnfinished { .. }), "{e}");
    }
    let running = br#"{"output":{"task_id":"t","task_status":"RUNNING"}}"#;
    assert!(matches!(
        extract_with_request(Api::WanVideo, running, None).unwrap_err(),
        ExtractError::TaskUnfinished { .. }
    ));
    let queued = br#"{"id":"x","status":"THROTTLED","createdAt":"2025-01-01T00:00:00Z"}"#;
    assert!(matches!(
        extract_with_request(Api::Runway, queued, None).unwrap_err(),
        ExtractError::TaskUnfinished { .. }
    ));
}

#[test]
fn a_body_of_another_family_is_refused() {
    let cases = [
        (Api::Kling, "veo-operation.json", "--api veo"),
        (Api::WanVideo, "sora-job.json", "--api openai-video"),
        (Api::Veo, "kling-task.json", "--api kling"),
        (Api::Runway, "wan-task.json", "--api wan-video"),
        (Api::Luma, "runway-task.json", "--api runway"),
        (Api::OpenAiVideo, "sora-chat.json", "chat completion"),
        (Api::SoraChat, "sora-job.json", "--api openai-video"),
        (Api::Jimeng, "luma-generation.json", "--api luma"),
        (Api::Seedance, "kling-task.json", "--api kling"),
    ];
    for (api, body, hint) in cases {
        let e = meter(api, body, None).unwrap_err();
        match &e {
            ExtractError::WrongFamily { expected, found } => {
                assert_eq!(*expected, api);
                assert!(found.contains(hint), "{api} {body}: {found}");
            }
            other => panic!("{api} {body}: {other}"),
        }
    }
    // A chat-family body given to a video format, and a video body to a chat format.
    let chat = std::fs::read(format!(
        "{}/tests/fixtures/responses/openai-chat.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(matches!(
        extract_with_request(Api::OpenAiVideo, &chat, None).unwrap_err(),
        ExtractError::WrongFamily { .. }
    ));
    assert!(extract(Api::OpenAiChat, &fixture("sora-job.json")).is_err());
}

#[test]
fn a_bad_request_is_named_as_the_request() {
    let e = extract_with_request(
        Api::Runway,
        &fixture("runway-task.json"),
        Some(br#"{"duration": "ten"}"#),
    )
    .unwrap_err();
    match e {
        ExtractError::Json { message, path, .. } => {
            assert!(message.starts_with("in the request"), "{message}");
            assert_eq!(path, "duration");
        }
        other => panic!("{other}"),
    }
    // A negative or zero duration is inconsistent, not a negative bill.
    let e = extract_with_request(
        Api::Runway,
        &fixture("runway-task.json"),
        Some(br#"{"duration": -5}"#),
    )
    .unwrap_err();
    assert!(matches!(e, ExtractError::Inconsistent { .. }), "{e}");
}

#[test]
fn every_video_format_is_listed_and_parses_by_name() {
    for name in [
        "openai-video",
        "sora-chat",
        "veo",
        "wan-video",
        "seedance",
        "kling",
        "jimeng",
        "luma",
        "runway",
    ] {
        let api = Api::parse(name).unwrap_or_else(|| panic!("{name}"));
        assert!(Api::ALL.contains(&api));
        assert_eq!(api.name(), name);
    }
}

/// Writes a request asking for a duration, or leaving it out.
type RequestWriter = fn(Option<u32>) -> String;

/// The families whose result can lack a duration, each with a body that carries none, a way to
/// write a request with or without a duration, and the vendor's default.
fn default_cases() -> Vec<(Api, Vec<u8>, RequestWriter, u32)> {
    fn sora(d: Option<u32>) -> String {
        match d {
            Some(d) => format!(r#"{{"model":"sora-2","seconds":"{d}"}}"#),
            None => r#"{"model":"sora-2"}"#.into(),
        }
    }
    fn veo(d: Option<u32>) -> String {
        match d {
            Some(d) => format!(r#"{{"instances":[],"parameters":{{"durationSeconds":{d}}}}}"#),
            None => r#"{"instances":[],"parameters":{}}"#.into(),
        }
    }
    fn wan(d: Option<u32>) -> String {
        match d {
            Some(d) => format!(r#"{{"parameters":{{"duration":{d}}}}}"#),
            None => r#"{"parameters":{}}"#.into(),
        }
    }
    fn plain(d: Option<u32>) -> String {
        match d {
            Some(d) => format!(r#"{{"duration":{d}}}"#),
            None => "{}".into(),
        }
    }
    fn kling(d: Option<u32>) -> String {
        match d {
            Some(d) => format!(r#"{{"duration":"{d}","mode":"std"}}"#),
            None => "{}".into(),
        }
    }
    let sora_job = br#"{"object":"video","model":"sora-2","status":"completed","size":"1280x720"}"#;
    let kling_task =
        br#"{"code":0,"data":{"task_status":"succeed","task_result":{"videos":[{"url":"u"}]}}}"#;
    vec![
        (Api::OpenAiVideo, sora_job.to_vec(), sora, 4),
        (
            Api::SoraChat,
            fixture("sora-chat.json"),
            |d| {
                let mut s = sora(d);
                s.insert_str(1, r#""messages":[],"#);
                s
            },
            4,
        ),
        (Api::Veo, fixture("veo-operation.json"), veo, 8),
        (Api::WanVideo, fixture("wan-task-no-usage.json"), wan, 5),
        (Api::Kling, kling_task.to_vec(), kling, 5),
        (Api::Jimeng, fixture("jimeng-task.json"), plain, 5),
        (Api::Luma, fixture("luma-generation-bare.json"), plain, 5),
        (Api::Runway, fixture("runway-task.json"), plain, 10),
    ]
}

proptest! {
    /// The default duration applies exactly when the request omits it and the result carries
    /// none; a duration asked for is billed as asked; no request at all is an error.
    #[test]
    fn the_default_applies_exactly_when_nothing_says_otherwise(which in 0usize..8, asked in 1u32..60) {
        let cases = default_cases();
        let (api, body, request, default) = &cases[which];
        let omitted = extract_with_request(*api, body, Some(request(None).as_bytes())).unwrap();
        prop_assert_eq!(omitted.video_seconds.get(), Decimal::from(*default));
        let given = extract_with_request(*api, body, Some(request(Some(asked)).as_bytes())).unwrap();
        prop_assert_eq!(given.video_seconds.get(), Decimal::from(asked));
        let none = extract_with_request(*api, body, None).unwrap_err();
        prop_assert!(matches!(none, ExtractError::MissingRequest { .. }), "{}", none);
    }

    /// A delivered duration wins over whatever the request asked, and over the default.
    #[test]
    fn the_delivered_duration_wins(delivered in 1u32..60, asked in proptest::option::of(1u32..60)) {
        let sora = format!(r#"{{"object":"video","model":"sora-2","status":"completed","seconds":"{delivered}","size":"720x1280"}}"#);
        let wan = format!(r#"{{"output":{{"task_status":"SUCCEEDED"}},"usage":{{"duration":{delivered},"SR":720}}}}"#);
        let kling = format!(r#"{{"code":0,"data":{{"task_status":"succeed","task_result":{{"videos":[{{"duration":"{delivered}.1"}}]}}}}}}"#);
        let (sr, wr, kr) = match asked {
            Some(a) => (format!(r#"{{"seconds":{a}}}"#), format!(r#"{{"parameters":{{"duration":{a}}}}}"#), format!(r#"{{"duration":"{a}"}}"#)),
            None => ("{}".into(), "{}".into(), "{}".into()),
        };
        for (api, body, req) in [(Api::OpenAiVideo, sora, sr), (Api::WanVideo, wan, wr), (Api::Kling, kling, kr)] {
            let u = extract_with_request(api, body.as_bytes(), Some(req.as_bytes())).unwrap();
            prop_assert_eq!(u.video_seconds.get(), Decimal::from(delivered));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// Task results and requests with bytes flipped, cut or spliced give a usage or a typed
    /// error for every video format, never a panic.
    #[test]
    fn video_extractors_never_panic(
        which in 0usize..40,
        api in 5usize..14,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<usize>(),
        noise in proptest::collection::vec(any::<u8>(), 0..48),
        mutate_request in any::<bool>(),
    ) {
        let dir = format!("{}/tests/fixtures/responses/video", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        let name = &names[which % names.len()];
        let request = fixture(&names[(which + 1) % names.len()]);
        let mut bytes = fixture(name);
        let target = if mutate_request { request.clone() } else { bytes.clone() };
        let mut target = target;
        for (at, b) in edits {
            let i = at % target.len();
            target[i] = b;
        }
        target.truncate(cut % (target.len() + 1));
        target.extend_from_slice(&noise);
        let request = if mutate_request { target } else { bytes = target; request };
        let api = Api::ALL[api];
        let _ = extract_with_request(api, &bytes, Some(&request));
        let _ = extract_with_request(api, &bytes, None);
        let _ = extract_any(api, &bytes);
        let _ = extract(api, &noise);
    }
}
