//! Chat shapes beyond OpenAI's own: Qwen (DashScope compatible and native), Doubao, Gemini
//! grounding, and the tool fees of Responses and the search models. Each fixture is written
//! from the vendor's documented response; each expectation is worked out by hand.

use proptest::prelude::*;
use tariff::extract::{extract, extract_any, extract_with_request, Api, ExtractError, StreamMeter};
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

fn inconsistent(r: Result<Usage, ExtractError>, needle: &str) {
    match r {
        Err(ExtractError::Inconsistent { detail, .. }) => {
            assert!(
                detail.contains(needle),
                "`{detail}` should mention `{needle}`"
            )
        }
        other => panic!("expected an inconsistency naming {needle}, got {other:?}"),
    }
}

#[test]
fn qwen_explicit_cache_creation_is_a_cache_write_taken_out_of_the_prompt_once() {
    let u = extract(Api::OpenAiChat, &fixture("qwen-explicit-cache-create.json")).unwrap();
    // prompt 18628 = 18613 written to the cache + 15 fresh
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":15,"cache_write_tokens":18613,"output_tokens":344,"options":{"cache":"explicit"}})
    );
}

#[test]
fn qwen_explicit_cache_hit_is_marked_explicit() {
    let u = extract(Api::OpenAiChat, &fixture("qwen-explicit-cache-hit.json")).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":15,"cache_read_tokens":18613,"output_tokens":445,"options":{"cache":"explicit"}})
    );
}

#[test]
fn qwen_implicit_cache_hit_carries_no_option() {
    let u = extract(Api::OpenAiChat, &fixture("qwen-implicit-cache.json")).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":971,"cache_read_tokens":2048,"output_tokens":104})
    );
}

#[test]
fn explicit_and_implicit_hits_price_differently() {
    let c = Catalog::builtin();
    let at = "2026-11-01T00:00:00Z".parse().unwrap();
    let mut hit = extract(Api::OpenAiChat, &fixture("qwen-explicit-cache-hit.json")).unwrap();
    hit.at = Some(at);
    let explicit = c.quote("qwen-plus", &hit).unwrap();
    // 15*0.8 + 18613*0.08 + 445*2 = 2391.04 per 1M
    assert_eq!(explicit.total().to_string(), "0.00239104");
    assert_eq!(explicit.option(), Some("explicit cache"));
    hit.options.clear();
    let implicit = c.quote("qwen-plus", &hit).unwrap();
    // 15*0.8 + 18613*0.16 + 445*2 = 3880.08 per 1M
    assert_eq!(implicit.total().to_string(), "0.00388008");
    // A cache write outside the explicit cache has no rate: an error, never plain input.
    let mut write = extract(Api::OpenAiChat, &fixture("qwen-explicit-cache-create.json")).unwrap();
    write.options.clear();
    assert!(c.quote("qwen-plus", &write).is_err());
}

#[test]
fn qwen_omni_splits_audio_and_keeps_video_and_image_as_input() {
    let u = extract(Api::OpenAiChat, &fixture("qwen-omni.json")).unwrap();
    // prompt 2430 = 30 text + 1800 video + 600 audio; completion 346 = 96 text + 250 audio
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":1830,"audio_input_tokens":600,"output_tokens":96,"audio_output_tokens":250})
    );
}

#[test]
fn doubao_reports_cached_and_reasoning_like_openai() {
    let u = extract(Api::OpenAiChat, &fixture("doubao-chat.json")).unwrap();
    // prompt 1250 = 1024 cached + 226; completion 58 = 41 reasoning + 17
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":226,"cache_read_tokens":1024,"output_tokens":17,"reasoning_tokens":41,"service_tier":"standard","options":{"thinking":"true"}})
    );
}

#[test]
fn a_reserved_capacity_service_tier_is_recorded_not_refused() {
    let body =
        br#"{"object":"chat.completion","model":"doubao-seed-1-6-250615","service_tier":"scale",
      "usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120}}"#;
    let u = extract(Api::OpenAiChat, body).unwrap();
    assert_eq!(u.service_tier, None);
    assert_eq!(u.options["reserved_capacity"], "scale");
    let bad = br#"{"object":"chat.completion","service_tier":"turbo","usage":{"prompt_tokens":1,"completion_tokens":1}}"#;
    inconsistent(extract(Api::OpenAiChat, bad), "service_tier");
}

#[test]
fn dashscope_native_text_and_vl() {
    let u = extract(Api::DashScope, &fixture("dashscope-native.json")).unwrap();
    // input 3019 = 2048 cached + 971; output 164 = 60 reasoning + 104
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":971,"cache_read_tokens":2048,"output_tokens":104,"reasoning_tokens":60,"options":{"thinking":"true"}})
    );
    let u = extract(Api::DashScope, &fixture("dashscope-native-vl.json")).unwrap();
    // image tokens are input tokens (priced as input); not subtracted a second time
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":1275,"output_tokens":40})
    );
}

#[test]
fn dashscope_native_stream_meters_its_last_running_total() {
    let body = extract(Api::DashScope, &fixture("dashscope-native.json")).unwrap();
    let stream = fixture("dashscope-native-stream.sse");
    for size in [1, 5, 64, stream.len()] {
        let mut m = StreamMeter::new(Api::DashScope);
        for piece in stream.chunks(size) {
            m.feed(piece).unwrap();
        }
        assert_eq!(m.finish().unwrap(), body, "chunk size {size}");
    }
    assert_eq!(extract_any(Api::DashScope, &stream).unwrap(), body);
}

#[test]
fn dashscope_native_explicit_cache() {
    let body = br#"{"request_id":"r","output":{"choices":[]},"usage":{"input_tokens":5000,"output_tokens":10,
      "total_tokens":5010,"prompt_tokens_details":{"cached_tokens":0,"cache_creation_input_tokens":4096,
      "cache_creation":{"ephemeral_5m_input_tokens":4096},"cache_type":"ephemeral"}}}"#;
    let u = extract(Api::DashScope, body).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":904,"cache_write_tokens":4096,"output_tokens":10,"options":{"cache":"explicit"}})
    );
}

#[test]
fn dashscope_refuses_other_families_and_error_bodies() {
    let chat = fixture("qwen-implicit-cache.json");
    assert!(matches!(
        extract(Api::DashScope, &chat),
        Err(ExtractError::WrongFamily { .. })
    ));
    let err = br#"{"request_id":"r","code":"InvalidParameter","message":"Range of input length should be [1, 30720]"}"#;
    match extract(Api::DashScope, err) {
        Err(ExtractError::MissingUsage { hint, .. }) => assert!(hint.contains("InvalidParameter")),
        other => panic!("{other:?}"),
    }
    let total = br#"{"output":{},"usage":{"input_tokens":10,"output_tokens":5,"total_tokens":16}}"#;
    inconsistent(extract(Api::DashScope, total), "total_tokens");
    assert_eq!(Api::parse("dashscope"), Some(Api::DashScope));
}

#[test]
fn inconsistent_cache_numbers_are_refused() {
    // creation larger than the prompt
    let over = br#"{"object":"chat.completion","usage":{"prompt_tokens":100,"completion_tokens":1,
      "prompt_tokens_details":{"cache_creation_input_tokens":101,"cache_type":"ephemeral"}}}"#;
    inconsistent(
        extract(Api::OpenAiChat, over),
        "cache_creation_input_tokens",
    );
    // hits and creation together larger than the prompt
    let both = br#"{"object":"chat.completion","usage":{"prompt_tokens":100,"completion_tokens":1,
      "prompt_tokens_details":{"cached_tokens":60,"cache_creation_input_tokens":50}}}"#;
    inconsistent(
        extract(Api::OpenAiChat, both),
        "cache_creation_input_tokens",
    );
    // the lifetime split disagrees with the total
    let split = br#"{"object":"chat.completion","usage":{"prompt_tokens":100,"completion_tokens":1,
      "prompt_tokens_details":{"cache_creation_input_tokens":50,"cache_creation":{"ephemeral_5m_input_tokens":40}}}}"#;
    inconsistent(extract(Api::OpenAiChat, split), "ephemeral_5m_input_tokens");
    let native = br#"{"output":{},"usage":{"input_tokens":10,"output_tokens":1,
      "prompt_tokens_details":{"cached_tokens":8,"cache_creation_input_tokens":8}}}"#;
    inconsistent(
        extract(Api::DashScope, native),
        "cache_creation_input_tokens",
    );
}

#[test]
fn gemini_grounding_meters_one_prompt_and_its_distinct_queries() {
    let u = extract(Api::Gemini, &fixture("gemini-grounding.json")).unwrap();
    // three queries listed, two distinct
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":1500,"output_tokens":400,"reasoning_tokens":250,"web_search_calls":2,"searches":1,"options":{"thinking":"true"}})
    );
    let c = Catalog::builtin();
    let mut u2 = u.clone();
    u2.at = Some("2026-11-01T00:00:00Z".parse().unwrap());
    // Gemini 2.5 Flash: per grounded prompt; 1500*0.3 + 650*2.5 = 2075 per 1M + 35/1K
    assert_eq!(
        c.quote("gemini-2.5-flash", &u2)
            .unwrap()
            .total()
            .to_string(),
        "0.037075"
    );
    // Gemini 3 Flash: per query; 1500*0.5 + 650*3 = 2700 per 1M + 2*14/1K
    assert_eq!(
        c.quote("gemini-3-flash-preview", &u2)
            .unwrap()
            .total()
            .to_string(),
        "0.0307"
    );
    // Without grounding there is nothing to bill.
    let plain = extract(Api::Gemini, &fixture("gemini.json")).unwrap();
    assert!(plain.searches.is_zero() && plain.web_search_calls.is_zero());
}

#[test]
fn gemini_grounding_in_a_stream_is_kept_when_later_chunks_omit_it() {
    let stream = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Spain\"}]},\"groundingMetadata\":{\"webSearchQueries\":[\"euro 2024 winner\"]}}],\"usageMetadata\":{\"promptTokenCount\":100,\"candidatesTokenCount\":1,\"totalTokenCount\":101}}\r\n\r\n\
                  data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" won.\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":100,\"candidatesTokenCount\":9,\"totalTokenCount\":109}}\r\n\r\n";
    let u = extract_any(Api::Gemini, stream.as_bytes()).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":100,"output_tokens":9,"web_search_calls":1,"searches":1})
    );
    // The same as a JSON array of chunks.
    let array = br#"[{"candidates":[{"groundingMetadata":{"webSearchQueries":["a","b"]}}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":1}},
                     {"candidates":[{}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":3}}]"#;
    let u = extract(Api::Gemini, array).unwrap();
    assert_eq!((u.searches.get(), u.web_search_calls.get()), (1, 2));
}

#[test]
fn responses_tools_are_counted_and_containers_are_sessions() {
    let body = fixture("openai-responses-tools.json");
    let u = extract(Api::OpenAiResponses, &body).unwrap();
    // input 5000 = 1000 cached + 4000; output 900 = 300 reasoning + 600; containers a1 (twice) and b2
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":4000,"cache_read_tokens":1000,"output_tokens":600,"reasoning_tokens":300,
            "images":[{"count":2,"size":"1024x1024","quality":"high"}],
            "file_search_calls":1,"container_sessions":2,"service_tier":"standard","options":{"thinking":"true"}})
    );
    // The request names the container memory; container sessions have no price in the
    // built-in tables, so pricing them is an error rather than free.
    let request = br#"{"model":"gpt-5","tools":[{"type":"code_interpreter","container":{"type":"auto","memory_limit":"4G"}},{"type":"web_search_preview"}]}"#;
    let u = extract_with_request(Api::OpenAiResponses, &body, Some(request)).unwrap();
    assert_eq!(u.options["container_memory"], "4g");
    assert_eq!(u.options["web_search_tool"], "preview");
    let mut only_containers = Usage {
        input_tokens: u.input_tokens,
        container_sessions: u.container_sessions,
        ..Usage::default()
    };
    only_containers.at = Some("2026-11-01T00:00:00Z".parse().unwrap());
    let err = Catalog::builtin()
        .quote("gpt-5", &only_containers)
        .unwrap_err()
        .to_string();
    assert!(err.contains("container_sessions"), "{err}");
}

#[test]
fn image_generation_size_and_quality_come_from_the_request_when_the_item_has_none() {
    let body = br#"{"object":"response","output":[{"type":"image_generation_call","id":"ig","status":"completed","result":""}],
      "usage":{"input_tokens":10,"output_tokens":5,"total_tokens":15}}"#;
    let request =
        br#"{"tools":[{"type":"image_generation","size":"1536x1024","quality":"medium"}]}"#;
    let u = extract_with_request(Api::OpenAiResponses, body, Some(request)).unwrap();
    assert_eq!(
        buckets(&u)["images"],
        serde_json::json!([{"count":1,"size":"1536x1024","quality":"medium"}])
    );
    // "auto" names no size: the image stays without one rather than being guessed.
    let auto = br#"{"tools":[{"type":"image_generation","size":"auto"}]}"#;
    let u = extract_with_request(Api::OpenAiResponses, body, Some(auto)).unwrap();
    assert_eq!(buckets(&u)["images"], serde_json::json!([{"count":1}]));
}

#[test]
fn a_search_model_response_is_one_web_search_call() {
    let body = fixture("openai-chat-search.json");
    let u = extract(Api::OpenAiChat, &body).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":500,"output_tokens":400,"web_search_calls":1,"service_tier":"standard"})
    );
    let request = br#"{"model":"gpt-4o-search-preview","web_search_options":{"search_context_size":"low"},"messages":[]}"#;
    let u = extract_with_request(Api::OpenAiChat, &body, Some(request)).unwrap();
    assert_eq!(
        u.web_search_calls.get(),
        1,
        "the request does not add a second call"
    );
    assert_eq!(u.options["search_context_size"], "low");
    // web_search_options without a size means OpenAI's default, medium.
    let default = br#"{"web_search_options":{}}"#;
    let u = extract_with_request(Api::OpenAiChat, &body, Some(default)).unwrap();
    assert_eq!(u.options["search_context_size"], "medium");
    let bad = br#"{"web_search_options":{"search_context_size":"huge"}}"#;
    inconsistent(
        extract_with_request(Api::OpenAiChat, &body, Some(bad)),
        "search_context_size",
    );
    let broken = b"{\"web_search_options\": ";
    assert!(matches!(
        extract_with_request(Api::OpenAiChat, &body, Some(broken)),
        Err(ExtractError::Json { .. })
    ));
    // A plain model's response is no search.
    let plain = extract(Api::OpenAiChat, &fixture("openai-chat.json")).unwrap();
    assert!(plain.web_search_calls.is_zero());
}

#[test]
fn the_search_context_size_option_selects_a_rate_where_a_table_prices_sizes() {
    let table = r#"
provider = "relay"
name = "Relay"
currency = "USD"

[[model]]
id = "relay-search"
name = "Relay search"
kind = "chat"

[[model.price]]
source = "test table"
as_of = 2026-11-27
rates = { input_tokens = 1, output_tokens = 2, web_search_calls = 30 }

[[model.price.option]]
name = "high context"
when = { search_context_size = "high" }
rates = { web_search_calls = 50 }
"#;
    let c = Catalog::builder()
        .text("relay.toml", table)
        .build()
        .unwrap();
    let body = br#"{"object":"chat.completion","model":"relay-search-preview","usage":{"prompt_tokens":0,"completion_tokens":0}}"#;
    let high = br#"{"web_search_options":{"search_context_size":"high"}}"#;
    let low = br#"{"web_search_options":{"search_context_size":"low"}}"#;
    let price = |req: &[u8]| {
        let mut u = extract_with_request(Api::OpenAiChat, body, Some(req)).unwrap();
        u.at = Some("2026-11-01T00:00:00Z".parse().unwrap());
        c.quote("relay-search", &u).unwrap().total().to_string()
    };
    assert_eq!(price(high), "0.05");
    assert_eq!(price(low), "0.03");
}

proptest! {
    /// However a Qwen prompt splits into fresh, cached and written tokens, the buckets add up
    /// to the prompt and nothing is counted twice.
    #[test]
    fn qwen_prompt_buckets_partition_the_prompt(
        fresh in 0u64..1_000_000, hit in 0u64..1_000_000, written in 0u64..1_000_000,
        audio in 0u64..10_000, out in 0u64..100_000, explicit in any::<bool>(),
    ) {
        let prompt = fresh + hit + written + audio;
        let kind = if explicit { r#","cache_type":"ephemeral""# } else { "" };
        let body = format!(
            r#"{{"object":"chat.completion","usage":{{"prompt_tokens":{prompt},"completion_tokens":{out},"total_tokens":{},
               "prompt_tokens_details":{{"cached_tokens":{hit},"cache_creation_input_tokens":{written},"audio_tokens":{audio}{kind}}}}}}}"#,
            prompt + out
        );
        let u = extract(Api::OpenAiChat, body.as_bytes()).unwrap();
        prop_assert_eq!(u.input_tokens.get(), fresh);
        prop_assert_eq!(u.cache_read_tokens.get(), hit);
        prop_assert_eq!(u.cache_write_tokens.get(), written);
        prop_assert_eq!(u.audio_input_tokens.get(), audio);
        prop_assert_eq!(
            u.input_tokens.get() + u.cache_read_tokens.get() + u.cache_write_tokens.get() + u.audio_input_tokens.get(),
            prompt
        );
        prop_assert_eq!(u.options.contains_key("cache"), explicit || written > 0);
    }
}
