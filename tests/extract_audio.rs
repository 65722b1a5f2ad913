//! Speech, transcription, music, rerank, moderation and Gemini-embedding extractors: vendor
//! bodies (and, where the price depends on it, requests) become usage records; bad or
//! foreign bodies are typed errors; nothing panics on mutated input.

use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff::extract::{extract, extract_any, extract_with_request, Api, ExtractError, StreamMeter};
use tariff::tokens::Encoding;
use tariff::{Catalog, Usage};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/responses/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn buckets(u: &Usage) -> serde_json::Value {
    serde_json::from_str(&u.to_json()).unwrap()
}

fn meter(api: Api, body: &str, request: Option<&str>) -> Result<Usage, ExtractError> {
    extract_with_request(api, &fixture(body), request.map(fixture).as_deref())
}

fn total(model: &str, u: &Usage) -> Decimal {
    let mut u = u.clone();
    u.at = Some("2026-11-01T00:00:00Z".parse().unwrap());
    Catalog::builtin().quote(model, &u).unwrap().total()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn speech_audio_is_priced_by_the_characters_of_its_request() {
    let u = meter(
        Api::OpenAiSpeech,
        "openai-speech.mp3",
        Some("openai-speech-request.json"),
    )
    .unwrap();
    // 70 Unicode scalar values (88 UTF-8 bytes, 71 UTF-16 units): the emoji is one character.
    assert_eq!(buckets(&u), serde_json::json!({"characters": 70}));
    assert_eq!(total("tts-1", &u), dec("0.00105")); // 70 * $15 / 1M
    assert_eq!(total("tts-1-hd", &u), dec("0.0021")); // 70 * $30 / 1M
}

#[test]
fn speech_without_its_request_is_refused() {
    let e = meter(Api::OpenAiSpeech, "openai-speech.mp3", None).unwrap_err();
    assert_eq!(
        e,
        ExtractError::MissingRequest {
            api: Api::OpenAiSpeech
        }
    );
    assert!(e.to_string().contains("pass the request"), "{e}");
    // A request without `input` names the field.
    let e = extract_with_request(
        Api::OpenAiSpeech,
        &fixture("openai-speech.mp3"),
        Some(br#"{"model":"tts-1","voice":"alloy"}"#),
    )
    .unwrap_err();
    assert!(e.to_string().contains("input"), "{e}");
    // An empty body returned no audio.
    assert!(matches!(
        extract_with_request(Api::OpenAiSpeech, b"", Some(b"{\"input\":\"hi\"}")),
        Err(ExtractError::MissingUsage { .. })
    ));
}

#[test]
fn streamed_speech_reports_tokens_and_needs_no_request() {
    let u = meter(Api::OpenAiSpeech, "openai-speech-stream.sse", None).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens": 14, "audio_output_tokens": 1013})
    );
    // 14 * 0.60 + 1013 * 12 = 12164.4 per 1M
    assert_eq!(total("gpt-4o-mini-tts", &u), dec("0.0121644"));
    let bad = "data: {\"type\":\"speech.audio.done\",\"usage\":{\"input_tokens\":1,\"output_tokens\":2,\"total_tokens\":4}}\n\n";
    assert!(matches!(
        extract_any(Api::OpenAiSpeech, bad.as_bytes()),
        Err(ExtractError::Inconsistent { .. })
    ));
}

#[test]
fn transcription_tokens_split_text_and_audio_input() {
    let u = meter(Api::OpenAiTranscription, "openai-transcription.json", None).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens": 22, "audio_input_tokens": 1332, "output_tokens": 45})
    );
    // 22 * 2.50 + 1332 * 6 + 45 * 10 = 8497 per 1M
    assert_eq!(total("gpt-4o-transcribe", &u), dec("0.008497"));
    let streamed = meter(
        Api::OpenAiTranscription,
        "openai-transcription-stream.sse",
        None,
    )
    .unwrap();
    assert_eq!(
        buckets(&streamed),
        serde_json::json!({"audio_input_tokens": 230, "output_tokens": 8})
    );
    assert_eq!(total("gpt-4o-mini-transcribe", &streamed), dec("0.00073"));
}

#[test]
fn whisper_seconds_round_to_the_nearest_second() {
    let u = meter(
        Api::OpenAiTranscription,
        "openai-whisper-verbose.json",
        None,
    )
    .unwrap();
    assert_eq!(buckets(&u), serde_json::json!({"audio_seconds": "126"}));
    // 126 s at $0.006 / 60 s
    assert_eq!(total("whisper-1", &u), dec("0.0126"));
    for (seconds, billed) in [("3", "3"), ("2.4", "2"), ("2.5", "3"), ("0.49", "0")] {
        let body = format!(r#"{{"text":"x","usage":{{"type":"duration","seconds":{seconds}}}}}"#);
        let u = extract(Api::OpenAiTranscription, body.as_bytes()).unwrap();
        assert_eq!(u.audio_seconds.get(), dec(billed), "{seconds}");
    }
    // verbose_json without usage: the top-level duration.
    let u = extract(
        Api::OpenAiTranscription,
        br#"{"task":"translate","duration":59.6,"text":"x"}"#,
    )
    .unwrap();
    assert_eq!(u.audio_seconds.get(), dec("60"));
}

#[test]
fn transcription_refusals_name_the_problem() {
    let plain = extract_any(Api::OpenAiTranscription, b"Hello there.");
    assert!(
        matches!(&plain, Err(ExtractError::MissingUsage { hint, .. }) if hint.contains("verbose_json")),
        "{plain:?}"
    );
    let split = extract(
        Api::OpenAiTranscription,
        br#"{"text":"x","usage":{"type":"tokens","input_tokens":10,"input_token_details":{"text_tokens":3,"audio_tokens":8},"output_tokens":1,"total_tokens":11}}"#,
    );
    assert!(matches!(split, Err(ExtractError::Inconsistent { .. })));
    let nosplit = extract(
        Api::OpenAiTranscription,
        br#"{"text":"x","usage":{"type":"tokens","input_tokens":10,"output_tokens":1}}"#,
    );
    assert!(matches!(nosplit, Err(ExtractError::MissingUsage { .. })));
    let chat = extract(Api::OpenAiTranscription, &fixture("openai-chat.json"));
    assert!(matches!(chat, Err(ExtractError::WrongFamily { .. })));
}

#[test]
fn minimax_bills_its_own_character_count() {
    let u = meter(Api::MiniMaxTts, "minimax-tts.json", None).unwrap();
    assert_eq!(buckets(&u), serde_json::json!({"characters": 163}));
    assert_eq!(total("speech-02-hd", &u), dec("0.0163"));
    let s = meter(Api::MiniMaxTts, "minimax-tts-stream.sse", None).unwrap();
    assert_eq!(buckets(&s), serde_json::json!({"characters": 101}));
    assert_eq!(total("speech-2.6-turbo", &s), dec("0.00606"));
    let failed =
        br#"{"data":null,"base_resp":{"status_code":1004,"status_msg":"authentication failed"}}"#;
    match extract(Api::MiniMaxTts, failed).unwrap_err() {
        ExtractError::MissingUsage { hint, .. } => assert!(hint.contains("1004"), "{hint}"),
        e => panic!("{e}"),
    }
    // Bare audio from a relay: the request's text, marked estimated.
    let u = extract_with_request(
        Api::MiniMaxTts,
        b"\xff\xfb\x90\x64",
        Some(r#"{"model":"speech-02-hd","text":"你好，世界"}"#.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"characters": 5, "estimated": true})
    );
}

#[test]
fn doubao_reads_text_words_or_counts_the_request() {
    let u = meter(Api::DoubaoTts, "doubao-tts-stream.sse", None).unwrap();
    assert_eq!(buckets(&u), serde_json::json!({"characters": 38}));
    let u = extract_with_request(
        Api::DoubaoTts,
        &fixture("openai-speech.mp3"),
        Some(r#"{"req_params":{"text":"豆包语音合成"}}"#.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"characters": 6, "estimated": true})
    );
    assert!(matches!(
        extract_with_request(Api::DoubaoTts, &fixture("openai-speech.mp3"), None),
        Err(ExtractError::MissingRequest { .. })
    ));
    let failed =
        "event: 153\ndata: {\"event\":153,\"code\":45000000,\"message\":\"quota exceeded\"}\n\n";
    assert!(matches!(
        extract_any(Api::DoubaoTts, failed.as_bytes()),
        Err(ExtractError::MissingUsage { .. })
    ));
}

#[test]
fn suno_tasks_are_one_request_per_action() {
    let u = meter(Api::Suno, "suno-task.json", None).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"requests": 1, "options": {"action": "music"}})
    );
    assert_eq!(total("suno_music", &u), dec("0.1"));
    let l = meter(Api::Suno, "suno-lyrics-task.json", None).unwrap();
    assert_eq!(l.options.get("action").map(String::as_str), Some("lyrics"));
    assert_eq!(total("suno_lyrics", &l), dec("0.01"));
    // The bare record reads the same as the wrapped one.
    let bare = extract(
        Api::Suno,
        br#"{"task_id":"t","action":"MUSIC","status":"IN_PROGRESS"}"#,
    );
    assert_eq!(bare.unwrap(), u);
    let failed = br#"{"code":"success","data":{"task_id":"t","action":"MUSIC","status":"FAILURE","fail_reason":"moderation"}}"#;
    match extract(Api::Suno, failed).unwrap_err() {
        ExtractError::MissingUsage { hint, .. } => assert!(hint.contains("moderation"), "{hint}"),
        e => panic!("{e}"),
    }
    let submit = br#"{"code":"success","message":"","data":"f4a94d75"}"#;
    assert!(matches!(
        extract(Api::Suno, submit),
        Err(ExtractError::MissingUsage { .. })
    ));
    let refused = br#"{"code":"quota_not_enough","message":"quota not enough","data":null}"#;
    assert!(matches!(
        extract(Api::Suno, refused),
        Err(ExtractError::MissingUsage { .. })
    ));
}

#[test]
fn udio_is_one_request_per_completion() {
    let u = meter(Api::Udio, "udio-chat.json", None).unwrap();
    assert_eq!(buckets(&u), serde_json::json!({"requests": 1}));
    let stream = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[]}\n\ndata: {\"object\":\"chat.completion.chunk\",\"choices\":[]}\n\ndata: [DONE]\n\n";
    assert_eq!(extract_any(Api::Udio, stream.as_bytes()).unwrap(), u);
    assert!(matches!(
        extract(Api::Udio, &fixture("openai-responses.json")),
        Err(ExtractError::WrongFamily { .. })
    ));
}

#[test]
fn gemini_embeddings_use_usage_metadata_or_estimate_from_the_request() {
    let with = extract(
        Api::GeminiEmbeddings,
        br#"{"embedding":{"values":[0.1]},"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12}}"#,
    )
    .unwrap();
    assert_eq!(buckets(&with), serde_json::json!({"input_tokens": 12}));
    let e = meter(Api::GeminiEmbeddings, "gemini-batch-embeddings.json", None).unwrap_err();
    assert!(matches!(e, ExtractError::MissingUsage { .. }), "{e}");
    let u = meter(
        Api::GeminiEmbeddings,
        "gemini-batch-embeddings.json",
        Some("gemini-batch-embeddings-request.json"),
    )
    .unwrap();
    let expect = Encoding::O200kBase.count("What is the meaning of life?")
        + Encoding::O200kBase.count("How does the brain work?");
    assert_eq!(u.input_tokens.get(), expect as u64);
    assert!(u.estimated);
    let bill = {
        let mut u = u.clone();
        u.at = Some("2026-11-01T00:00:00Z".parse().unwrap());
        Catalog::builtin()
            .quote("gemini-embedding-001", &u)
            .unwrap()
    };
    assert!(bill.estimated());
    assert!(matches!(
        extract(Api::GeminiEmbeddings, &fixture("gemini.json")),
        Err(ExtractError::WrongFamily { .. })
    ));
}

#[test]
fn rerank_counts_searches_or_tokens_by_vendor() {
    let cohere = meter(
        Api::Rerank,
        "rerank-cohere.json",
        Some("rerank-cohere-request.json"),
    )
    .unwrap();
    assert_eq!(buckets(&cohere), serde_json::json!({"searches": 2}));
    // 150 documents = 2 searches at $2.00 / 1,000
    assert_eq!(total("rerank-v3.5", &cohere), dec("0.004"));
    let jina = meter(Api::Rerank, "rerank-jina.json", None).unwrap();
    assert_eq!(buckets(&jina), serde_json::json!({"input_tokens": 815}));
    assert_eq!(
        total("jina-reranker-v2-base-multilingual", &jina),
        dec("0.00004075")
    );
    let xinference = meter(Api::Rerank, "rerank-xinference.json", None).unwrap();
    assert_eq!(
        buckets(&xinference),
        serde_json::json!({"input_tokens": 42})
    );
    // Xinference is self-hosted: no built-in price, an error naming the model.
    let mut x = xinference.clone();
    x.at = Some("2026-11-01T00:00:00Z".parse().unwrap());
    assert!(Catalog::builtin().quote("bge-reranker-v2-m3", &x).is_err());
}

#[test]
fn rerank_searches_are_checked_against_the_request() {
    // 150 documents need at least 2 searches; a report of 1 contradicts the request.
    let one = br#"{"id":"x","results":[],"meta":{"billed_units":{"search_units":1}}}"#;
    let e = extract_with_request(
        Api::Rerank,
        one,
        Some(&fixture("rerank-cohere-request.json")),
    )
    .unwrap_err();
    assert!(matches!(e, ExtractError::Inconsistent { .. }), "{e}");
    // No billed units: counted from the request's documents, marked estimated.
    let none = br#"{"id":"x","results":[{"index":0,"relevance_score":0.5}],"meta":{"api_version":{"version":"2"}}}"#;
    let u = extract_with_request(
        Api::Rerank,
        none,
        Some(&fixture("rerank-cohere-request.json")),
    )
    .unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"searches": 2, "estimated": true})
    );
    assert!(matches!(
        extract(Api::Rerank, none),
        Err(ExtractError::MissingUsage { .. })
    ));
    assert!(matches!(
        extract(Api::Rerank, br#"{"detail":"Invalid API key"}"#),
        Err(ExtractError::MissingUsage { .. })
    ));
}

#[test]
fn moderations_are_free_but_metered() {
    let u = meter(Api::OpenAiModerations, "openai-moderations.json", None).unwrap();
    assert_eq!(buckets(&u), serde_json::json!({"requests": 1}));
    assert_eq!(total("omni-moderation-latest", &u), Decimal::ZERO);
    assert!(matches!(
        extract(Api::OpenAiModerations, &fixture("openai-chat.json")),
        Err(ExtractError::WrongFamily { .. })
    ));
    assert!(matches!(
        extract(Api::OpenAiModerations, br#"{"error":{"message":"bad"}}"#),
        Err(ExtractError::MissingUsage { .. })
    ));
}

#[test]
fn gemini_tts_audio_output_is_priced_as_audio() {
    let body = br#"{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"audio/L16;codec=pcm;rate=24000","data":"AAAA"}}]}}],
      "usageMetadata":{"promptTokenCount":20,"candidatesTokenCount":2000,"totalTokenCount":2020,
      "promptTokensDetails":[{"modality":"TEXT","tokenCount":20}],"candidatesTokensDetails":[{"modality":"AUDIO","tokenCount":2000}]}}"#;
    let u = extract(Api::Gemini, body).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens": 20, "audio_output_tokens": 2000})
    );
    // 20 * 0.50 + 2000 * 10 = 20010 per 1M
    assert_eq!(total("gemini-2.5-flash-preview-tts", &u), dec("0.02001"));
}

#[test]
fn openai_chat_audio_tokens_are_split_and_priced() {
    let body = br#"{"object":"chat.completion","model":"gpt-audio","usage":{"prompt_tokens":600,"completion_tokens":1050,"total_tokens":1650,
      "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":500},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":1000}}}"#;
    let u = extract(Api::OpenAiChat, body).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":100,"audio_input_tokens":500,"output_tokens":50,"audio_output_tokens":1000})
    );
    // 100 * 2.50 + 500 * 32 + 50 * 10 + 1000 * 64 = 80750 per 1M
    assert_eq!(total("gpt-audio", &u), dec("0.08075"));
}

const MEDIA: [Api; 9] = [
    Api::OpenAiSpeech,
    Api::OpenAiTranscription,
    Api::MiniMaxTts,
    Api::DoubaoTts,
    Api::Suno,
    Api::Udio,
    Api::GeminiEmbeddings,
    Api::Rerank,
    Api::OpenAiModerations,
];

const FIXTURES: [&str; 18] = [
    "openai-speech.mp3",
    "openai-speech-stream.sse",
    "openai-transcription.json",
    "openai-whisper-verbose.json",
    "openai-transcription-stream.sse",
    "minimax-tts.json",
    "minimax-tts-stream.sse",
    "doubao-tts-stream.sse",
    "suno-task.json",
    "suno-lyrics-task.json",
    "udio-chat.json",
    "gemini-batch-embeddings.json",
    "rerank-cohere.json",
    "rerank-jina.json",
    "rerank-xinference.json",
    "openai-moderations.json",
    "openai-speech-request.json",
    "rerank-cohere-request.json",
];

#[test]
fn every_media_format_has_a_name_that_parses_back() {
    for api in MEDIA {
        assert!(Api::ALL.contains(&api));
        assert_eq!(Api::parse(api.name()), Some(api));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Fixtures and requests with bytes flipped, cut or spliced give a usage or a typed
    /// error for every media format, never a panic.
    #[test]
    fn media_extractors_never_panic(
        which in 0usize..FIXTURES.len(),
        req in 0usize..FIXTURES.len(),
        api in 0usize..MEDIA.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<usize>(),
        noise in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = fixture(FIXTURES[which]);
        for (at, b) in edits {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        bytes.extend_from_slice(&noise);
        let api = MEDIA[api];
        let request = fixture(FIXTURES[req]);
        let _ = extract_with_request(api, &bytes, Some(&request));
        let _ = extract_with_request(api, &fixture(FIXTURES[which]), Some(&bytes));
        let _ = extract_any(api, &bytes);
        let _ = extract(api, &noise);
    }

    /// A media stream meters the same however it is cut into chunks.
    #[test]
    fn media_streams_meter_the_same_however_chunked(sizes in proptest::collection::vec(1usize..61, 1..30), which in 0usize..4) {
        let (api, name) = [
            (Api::OpenAiSpeech, "openai-speech-stream.sse"),
            (Api::OpenAiTranscription, "openai-transcription-stream.sse"),
            (Api::MiniMaxTts, "minimax-tts-stream.sse"),
            (Api::DoubaoTts, "doubao-tts-stream.sse"),
        ][which];
        let bytes = fixture(name);
        let whole = extract_any(api, &bytes).unwrap();
        let mut meter = StreamMeter::new(api);
        let mut rest = &bytes[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].min(rest.len());
            meter.feed(&rest[..n]).unwrap();
            rest = &rest[n..];
            i += 1;
        }
        prop_assert_eq!(meter.finish().unwrap(), whole);
    }
}

#[test]
fn a_speech_stream_cut_short_falls_back_to_the_request() {
    let cut = b"event: 352\ndata: {\"event\":352,\"code\":0,\"data\":\"SUQz\"}\n\n";
    let u =
        extract_with_request(Api::DoubaoTts, cut, Some("{\"input\":\"你好\"}".as_bytes())).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"characters": 2, "estimated": true})
    );
    assert!(matches!(
        extract_any(Api::DoubaoTts, cut),
        Err(ExtractError::MissingUsage { .. })
    ));
    // A stream that carried an error event is not billed from its request.
    let errored = b"event: error\ndata: {\"event\":153,\"code\":0}\n\n";
    assert!(matches!(
        extract_with_request(Api::MiniMaxTts, errored, Some(b"{\"text\":\"hi\"}")),
        Err(ExtractError::MissingUsage { .. })
    ));
}

proptest! {
    /// Any text, JSON-escaped however serde_json escapes it, is counted in Unicode scalar
    /// values: the speech request round-trips to exactly `chars().count()` characters.
    #[test]
    fn speech_characters_are_the_unicode_scalars_of_the_input(text in ".{1,200}") {
        let request = serde_json::json!({"model": "tts-1", "input": text, "voice": "alloy"});
        let u = extract_with_request(
            Api::OpenAiSpeech,
            b"\xff\xfb\x90\x64",
            Some(request.to_string().as_bytes()),
        )
        .unwrap();
        prop_assert_eq!(u.characters.get(), text.chars().count() as u64);
        prop_assert!(!u.estimated);
    }

    /// Cohere searches: ⌈documents / 100⌉ (at least one) from the request; a reported
    /// count below that is refused, any count at or above it is taken as reported.
    #[test]
    fn rerank_searches_follow_the_hundred_document_rule(docs in 0usize..1_000, extra in 0u64..5) {
        let request = serde_json::json!({"query": "q", "documents": vec!["d"; docs]}).to_string();
        let least = (docs as u64).div_ceil(100).max(1);
        let counted = extract_with_request(
            Api::Rerank,
            br#"{"id":"x","results":[]}"#,
            Some(request.as_bytes()),
        )
        .unwrap();
        prop_assert_eq!(counted.searches.get(), least);
        let body = |n: u64| format!(r#"{{"results":[],"meta":{{"billed_units":{{"search_units":{n}}}}}}}"#);
        let reported = extract_with_request(Api::Rerank, body(least + extra).as_bytes(), Some(request.as_bytes())).unwrap();
        prop_assert_eq!(reported.searches.get(), least + extra);
        prop_assert!(!reported.estimated);
        if least > 1 {
            let fewer = extract_with_request(Api::Rerank, body(least - 1).as_bytes(), Some(request.as_bytes()));
            prop_assert!(matches!(fewer, Err(ExtractError::Inconsistent { .. })), "{fewer:?}");
        }
    }

    /// Whisper seconds: rounded half away from zero to whole seconds, never further than
    /// half a second from what was reported, and never decreasing as the audio grows.
    #[test]
    fn whisper_seconds_round_and_stay_monotone(millis in 0u64..10_000_000, more in 0u64..10_000) {
        let secs = |ms: u64| {
            let body = format!(r#"{{"text":"x","usage":{{"type":"duration","seconds":{}.{:03}}}}}"#, ms / 1000, ms % 1000);
            extract(Api::OpenAiTranscription, body.as_bytes()).unwrap().audio_seconds.get()
        };
        let reported = Decimal::new(millis as i64, 3);
        let billed = secs(millis);
        prop_assert_eq!(billed.fract(), Decimal::ZERO);
        prop_assert!((billed - reported).abs() <= Decimal::new(5, 1));
        if reported.fract() == Decimal::new(5, 1) {
            prop_assert_eq!(billed, reported + Decimal::new(5, 1));
        }
        prop_assert!(secs(millis + more) >= billed);
    }
}
