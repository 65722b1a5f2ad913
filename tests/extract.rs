//! Extractors: vendor bodies and streams become exclusive buckets; a stream and its final
//! body meter the same; bad bodies are typed errors.

use proptest::prelude::*;
use tariff::extract::{extract, extract_any, Api, ExtractError, StreamMeter};
use tariff::{Catalog, ServiceTier, Usage};

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

#[test]
fn openai_chat_subtracts_cached_and_reasoning_once() {
    let u = extract(Api::OpenAiChat, &fixture("openai-chat.json")).unwrap();
    // prompt 2006 = 1920 cached + 86 fresh; completion 300 = 192 reasoning + 108 text
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":86,"cache_read_tokens":1920,"output_tokens":108,"reasoning_tokens":192,"service_tier":"standard","options":{"thinking":"true"}})
    );
}

#[test]
fn openai_responses_counts_tool_calls() {
    let u = extract(Api::OpenAiResponses, &fixture("openai-responses.json")).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":304,"cache_read_tokens":1024,"output_tokens":356,"web_search_calls":2,"service_tier":"standard"})
    );
}

#[test]
fn anthropic_splits_cache_writes_by_lifetime() {
    let u = extract(Api::Anthropic, &fixture("anthropic.json")).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":1000,"cache_read_tokens":3000,"cache_write_tokens":2000,"cache_write_1h_tokens":500,"output_tokens":400,"web_search_calls":1,"service_tier":"standard"})
    );
    // The legacy single field is a 5-minute write.
    let legacy = br#"{"type":"message","usage":{"input_tokens":10,"cache_creation_input_tokens":70,"output_tokens":5}}"#;
    let u = extract(Api::Anthropic, legacy).unwrap();
    assert_eq!(
        (u.cache_write_tokens.get(), u.cache_write_1h_tokens.get()),
        (70, 0)
    );
}

#[test]
fn gemini_separates_cache_audio_thoughts_and_tool_prompts() {
    let u = extract(Api::Gemini, &fixture("gemini.json")).unwrap();
    // prompt 12000 includes 4000 cached (1000 of it audio) and 3000 audio in all:
    // audio fresh 2000, audio cached 1000, text cached 3000, text fresh 12000-4000-2000 = 6000, + 300 tool-use prompt
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":6300,"cache_read_tokens":3000,"audio_input_tokens":2000,"audio_cache_read_tokens":1000,"output_tokens":800,"reasoning_tokens":1200,"options":{"thinking":"true"}})
    );
}

#[test]
fn a_stream_and_its_final_body_meter_the_same() {
    for (api, body, stream) in [
        (
            Api::OpenAiChat,
            "openai-chat.json",
            "openai-chat-stream.sse",
        ),
        (
            Api::OpenAiResponses,
            "openai-responses.json",
            "openai-responses-stream.sse",
        ),
        (Api::Anthropic, "anthropic.json", "anthropic-stream.sse"),
        (Api::Gemini, "gemini.json", "gemini-stream.sse"),
    ] {
        let a = extract(api, &fixture(body)).unwrap();
        let b = extract_any(api, &fixture(stream)).unwrap();
        assert_eq!(a, b, "{api}");
    }
}

proptest! {
    #[test]
    fn streams_meter_the_same_however_they_are_chunked(sizes in proptest::collection::vec(1usize..97, 1..40), which in 0usize..4) {
        let (api, stream) = [
            (Api::OpenAiChat, "openai-chat-stream.sse"),
            (Api::OpenAiResponses, "openai-responses-stream.sse"),
            (Api::Anthropic, "anthropic-stream.sse"),
            (Api::Gemini, "gemini-stream.sse"),
        ][which];
        let bytes = fixture(stream);
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
fn crlf_streams_and_multiline_data_are_read() {
    let s = "event: message_start\r\ndata: {\"type\":\"message_start\",\r\ndata: \"message\":{\"type\":\"message\",\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\r\n\r\nevent: message_delta\r\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":9}}\r\n\r\n";
    let u = extract_any(Api::Anthropic, s.as_bytes()).unwrap();
    assert_eq!((u.input_tokens.get(), u.output_tokens.get()), (7, 9));
}

#[test]
fn malformed_json_reports_its_byte_offset() {
    match extract(
        Api::OpenAiChat,
        br#"{"object":"chat.completion","usage":{"prompt_tokens": 12,}}"#,
    )
    .unwrap_err()
    {
        ExtractError::Json { offset, .. } => {
            assert!((55..=58).contains(&offset), "offset {offset}")
        }
        e => panic!("{e}"),
    }
    match extract(Api::OpenAiChat, br#"{"usage":{"prompt_tokens":"12"}}"#).unwrap_err() {
        ExtractError::Json { path, .. } => assert_eq!(path, "usage.prompt_tokens"),
        e => panic!("{e}"),
    }
    let stream = b"data: {\"object\":\"chat.completion.chunk\"}\n\ndata: {oops}\n\n";
    match extract_any(Api::OpenAiChat, stream).unwrap_err() {
        ExtractError::Json { offset, .. } => assert_eq!(
            offset, 49,
            "offset into the whole stream: the `o` after the brace"
        ),
        e => panic!("{e}"),
    }
}

#[test]
fn a_body_of_another_family_is_refused() {
    for (api, body) in [
        (Api::OpenAiChat, "anthropic.json"),
        (Api::OpenAiChat, "openai-responses.json"),
        (Api::Anthropic, "gemini.json"),
        (Api::Gemini, "openai-chat.json"),
        (Api::OpenAiResponses, "openai-chat.json"),
    ] {
        let e = extract(api, &fixture(body)).unwrap_err();
        assert!(
            matches!(e, ExtractError::WrongFamily { .. }),
            "{api} on {body}: {e}"
        );
    }
}

#[test]
fn missing_usage_is_an_error_saying_why() {
    let e = extract(
        Api::OpenAiChat,
        br#"{"error":{"message":"Rate limit reached","type":"requests"}}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("error body"), "{e}");
    let no_usage_chunk = b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":null}\n\ndata: [DONE]\n\n";
    let e = extract_any(Api::OpenAiChat, no_usage_chunk).unwrap_err();
    assert!(
        matches!(e, ExtractError::MissingUsage { .. }) && e.to_string().contains("include_usage"),
        "{e}"
    );
    let cut = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"type\":\"message\"}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}\n\n";
    let e = extract_any(Api::Anthropic, cut).unwrap_err();
    assert!(e.to_string().contains("error event"), "{e}");
}

#[test]
fn inconsistent_numbers_are_refused() {
    let cases: [(Api, &[u8], &str); 5] = [
        (Api::OpenAiChat, br#"{"usage":{"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":11}}}"#, "cached_tokens"),
        (Api::OpenAiChat, br#"{"usage":{"prompt_tokens":10,"completion_tokens":5,"completion_tokens_details":{"reasoning_tokens":6}}}"#, "reasoning_tokens"),
        (Api::OpenAiChat, br#"{"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":16}}"#, "total_tokens"),
        (Api::Anthropic, br#"{"type":"message","usage":{"input_tokens":1,"cache_creation_input_tokens":10,"cache_creation":{"ephemeral_5m_input_tokens":4,"ephemeral_1h_input_tokens":5}}}"#, "cache_creation"),
        (Api::Gemini, br#"{"usageMetadata":{"promptTokenCount":10,"cachedContentTokenCount":20,"candidatesTokenCount":1}}"#, "cachedContentTokenCount"),
    ];
    for (api, body, field) in cases {
        let e = extract(api, body).unwrap_err();
        assert!(
            matches!(e, ExtractError::Inconsistent { .. }) && e.to_string().contains(field),
            "{api}: {e}"
        );
    }
}

#[test]
fn an_extracted_body_prices_end_to_end() {
    let table = r#"
provider = "acme"
currency = "USD"
[[model]]
id = "acme-claude"
[[model.price]]
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 3, output_tokens = 15, cache_read_tokens = 0.30, cache_write_tokens = 3.75, cache_write_1h_tokens = 6, web_search_calls = 10 }
"#;
    let c = Catalog::builder().text("t.toml", table).build().unwrap();
    let mut u = extract(Api::Anthropic, &fixture("anthropic.json")).unwrap();
    u.at = Some("2025-11-01T00:00:00Z".parse().unwrap());
    assert_eq!(u.tier(), ServiceTier::Standard);
    let bill = c.quote("acme-claude", &u).unwrap();
    // 1000×3 + 3000×0.30 + 2000×3.75 + 500×6 + 400×15 = 20,400 per 1M = 0.0204; + 1 search × $10/1000 = 0.01
    assert_eq!(bill.total().to_string(), "0.0304");
}

#[test]
fn deepseek_cache_hits_and_misses_are_read_and_checked() {
    let u = extract(Api::OpenAiChat, &fixture("deepseek-chat.json")).unwrap();
    // prompt 1500 = 1024 hit + 476 miss; completion 820 = 700 reasoning + 120 answer
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":476,"cache_read_tokens":1024,"output_tokens":120,"reasoning_tokens":700,"options":{"thinking":"true"}})
    );
    let only_hit_miss = br#"{"object":"chat.completion","usage":{"prompt_tokens":100,"completion_tokens":5,"prompt_cache_hit_tokens":64,"prompt_cache_miss_tokens":36}}"#;
    assert_eq!(
        extract(Api::OpenAiChat, only_hit_miss)
            .unwrap()
            .cache_read_tokens
            .get(),
        64
    );
    let bad_sum = br#"{"usage":{"prompt_tokens":100,"completion_tokens":5,"prompt_cache_hit_tokens":64,"prompt_cache_miss_tokens":30}}"#;
    let e = extract(Api::OpenAiChat, bad_sum).unwrap_err();
    assert!(e.to_string().contains("prompt_cache_miss_tokens"), "{e}");
    let disagree = br#"{"usage":{"prompt_tokens":100,"completion_tokens":5,"prompt_cache_hit_tokens":64,"prompt_tokens_details":{"cached_tokens":32}}}"#;
    let e = extract(Api::OpenAiChat, disagree).unwrap_err();
    assert!(e.to_string().contains("disagrees"), "{e}");
}

#[test]
fn openai_embeddings_are_input_only_and_price_end_to_end() {
    let mut u = extract(Api::OpenAiEmbeddings, &fixture("openai-embeddings.json")).unwrap();
    assert_eq!(buckets(&u), serde_json::json!({"input_tokens":2500}));
    u.at = Some("2025-11-01T00:00:00Z".parse().unwrap());
    // text-embedding-3-small: $0.02 per 1M tokens -> 2500 × 0.02 / 1M = 0.00005
    let bill = Catalog::builtin()
        .quote("text-embedding-3-small", &u)
        .unwrap();
    assert_eq!(bill.total().to_string(), "0.00005");
    let bad = br#"{"object":"list","usage":{"prompt_tokens":10,"total_tokens":12}}"#;
    assert!(matches!(
        extract(Api::OpenAiEmbeddings, bad).unwrap_err(),
        ExtractError::Inconsistent { .. }
    ));
    let chat = extract(Api::OpenAiChat, &fixture("openai-embeddings.json")).unwrap_err();
    assert!(matches!(chat, ExtractError::WrongFamily { .. }), "{chat}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Until cargo-fuzz targets exist: arbitrary bytes, and fixtures with bytes flipped,
    /// cut or spliced, give a usage or a typed error for every format, never a panic.
    #[test]
    fn extractors_never_panic(
        which in 0usize..9,
        api in 0usize..5,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<usize>(),
        noise in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let names = [
            "openai-chat.json", "openai-chat-stream.sse", "openai-responses.json",
            "openai-responses-stream.sse", "anthropic.json", "anthropic-stream.sse",
            "gemini.json", "gemini-stream.sse", "deepseek-chat.json",
        ];
        let mut bytes = fixture(names[which]);
        for (at, b) in edits {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        bytes.extend_from_slice(&noise);
        let api = Api::ALL[api];
        let _ = extract_any(api, &bytes);
        let _ = extract(api, &bytes);
        let _ = extract_any(api, &noise);
    }
}

#[test]
fn huge_counts_are_errors_not_overflow_panics() {
    let max = u64::MAX;
    let bodies: [(Api, String); 4] = [
        (
            Api::OpenAiChat,
            format!(
                r#"{{"usage":{{"prompt_tokens":{max},"completion_tokens":{max},"total_tokens":5,"prompt_cache_hit_tokens":{max},"prompt_cache_miss_tokens":{max}}}}}"#
            ),
        ),
        (
            Api::OpenAiResponses,
            format!(
                r#"{{"object":"response","usage":{{"input_tokens":{max},"output_tokens":{max},"total_tokens":5}}}}"#
            ),
        ),
        (
            Api::Anthropic,
            format!(
                r#"{{"type":"message","usage":{{"input_tokens":1,"cache_creation_input_tokens":5,"cache_creation":{{"ephemeral_5m_input_tokens":{max},"ephemeral_1h_input_tokens":{max}}}}}}}"#
            ),
        ),
        (
            Api::Gemini,
            format!(
                r#"{{"usageMetadata":{{"promptTokenCount":{max},"candidatesTokenCount":{max},"thoughtsTokenCount":{max},"toolUsePromptTokenCount":{max},"totalTokenCount":5,"candidatesTokensDetails":[{{"modality":"IMAGE","tokenCount":{max}}},{{"modality":"AUDIO","tokenCount":{max}}}]}}}}"#
            ),
        ),
    ];
    for (api, body) in bodies {
        assert!(extract(api, body.as_bytes()).is_err(), "{api}");
    }
    let big_tool = format!(
        r#"{{"usageMetadata":{{"promptTokenCount":{max},"toolUsePromptTokenCount":{max}}}}}"#
    );
    assert!(extract(Api::Gemini, big_tool.as_bytes()).is_err());
}
