//! Streams and usage reports: a cut stream is never billed as final, reports inside one
//! stream are cumulative, and what the answer shows (cache writes, thinking, a thinking
//! mode) reaches the bill.

use std::process::Command;

use tariff::extract::{extract, extract_any, Api, ExtractError, StreamMeter};
use tariff::tokens::{Counter, Encoding, StreamingCounter};
use tariff::{Catalog, Usage};

fn ev(data: &str) -> String {
    format!("data: {data}\n\n")
}

fn named(event: &str, data: &str) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

fn buckets(u: &Usage) -> serde_json::Value {
    serde_json::from_str(&u.to_json()).unwrap()
}

fn missing(r: Result<Usage, ExtractError>, what: &str) -> String {
    match r {
        Err(ExtractError::MissingUsage { hint, .. }) => hint,
        other => panic!("{what}: a cut stream must not be billed as final: {other:?}"),
    }
}

fn inconsistent(r: Result<Usage, ExtractError>, field: &str) {
    match r {
        Err(e @ ExtractError::Inconsistent { .. }) => {
            assert!(e.to_string().contains(field), "{e}")
        }
        other => panic!("expected an inconsistency naming {field}: {other:?}"),
    }
}

const ANTHROPIC_START: &str = r#"{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","usage":{"input_tokens":1000,"cache_read_input_tokens":3000,"cache_creation_input_tokens":2500,"cache_creation":{"ephemeral_5m_input_tokens":2000,"ephemeral_1h_input_tokens":500},"output_tokens":1}}}"#;
const ANTHROPIC_TEXT: &str = r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"The ledger balances at the close of every day, column by column."}}"#;

fn anthropic_cut() -> String {
    named("message_start", ANTHROPIC_START) + &named("content_block_delta", ANTHROPIC_TEXT)
}

// ---------------------------------------------------------------- cut streams

#[test]
fn a_cut_stream_is_an_error_in_every_streaming_family() {
    // Anthropic: cut after message_start (its `output_tokens: 1` is a placeholder).
    missing(
        extract_any(Api::Anthropic, anthropic_cut().as_bytes()),
        "anthropic",
    );
    // Anthropic: an error event after message_start is not a success.
    let errored = anthropic_cut()
        + &named(
            "error",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
    let hint = missing(
        extract_any(Api::Anthropic, errored.as_bytes()),
        "anthropic error",
    );
    assert!(hint.contains("error event"), "{hint}");
    // Gemini: running totals without a finishReason.
    let gemini = ev(
        r#"{"candidates":[{"content":{"parts":[{"text":"Rain"}]}}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":5,"totalTokenCount":105}}"#,
    ) + &ev(
        r#"{"candidates":[{"content":{"parts":[{"text":" falls"}]}}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":40,"totalTokenCount":140}}"#,
    );
    missing(extract_any(Api::Gemini, gemini.as_bytes()), "gemini");
    // DashScope: running totals, every finish_reason still "null".
    let dashscope = ev(
        r#"{"output":{"choices":[{"message":{"content":"我"},"finish_reason":"null"}]},"usage":{"input_tokens":50,"output_tokens":3,"total_tokens":53},"request_id":"r"}"#,
    );
    missing(
        extract_any(Api::DashScope, dashscope.as_bytes()),
        "dashscope",
    );
    // Responses: a usage in an in-progress event is not the final one.
    let responses = named(
        "response.in_progress",
        r#"{"type":"response.in_progress","response":{"object":"response","status":"in_progress","usage":{"input_tokens":10,"output_tokens":2,"total_tokens":12}}}"#,
    );
    missing(
        extract_any(Api::OpenAiResponses, responses.as_bytes()),
        "responses",
    );
    // A Responses body fetched while still running is not a bill either.
    let running = r#"{"object":"response","status":"in_progress","usage":{"input_tokens":10,"output_tokens":2,"total_tokens":12}}"#;
    missing(
        extract(Api::OpenAiResponses, running.as_bytes()),
        "responses body",
    );
    // OpenAI-compatible chat with a running usage in every chunk (continuous usage stats).
    let chat = ev(
        r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11}}"#,
    );
    missing(extract_any(Api::OpenAiChat, chat.as_bytes()), "chat");
    // One such chunk saved as a body is not a bill either.
    let chunk = r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11}}"#;
    missing(
        extract(Api::OpenAiChat, chunk.as_bytes()),
        "a running chunk as a body",
    );
    // Compatible vendors that write "" or "null" while streaming have not finished.
    let blank = ev(
        r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":""}],"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11}}"#,
    );
    missing(
        extract_any(Api::OpenAiChat, blank.as_bytes()),
        "finish_reason \"\"",
    );
    // The same streams, completed, are billed on their final report.
    let done = chat
        + &ev(
            r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}"#,
        );
    assert_eq!(
        extract_any(Api::OpenAiChat, done.as_bytes())
            .unwrap()
            .output_tokens
            .get(),
        2
    );
    let gemini_done = gemini
        + &ev(
            r#"{"candidates":[{"content":{"parts":[{"text":"."}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":41,"totalTokenCount":141}}"#,
        );
    assert_eq!(
        extract_any(Api::Gemini, gemini_done.as_bytes())
            .unwrap()
            .output_tokens
            .get(),
        41
    );
    let anthropic_done = anthropic_cut()
        + &named(
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#,
        )
        + &named("message_stop", r#"{"type":"message_stop"}"#);
    let u = extract_any(Api::Anthropic, anthropic_done.as_bytes()).unwrap();
    assert_eq!((u.input_tokens.get(), u.output_tokens.get()), (1000, 15));
}

#[test]
fn a_cut_stream_settles_on_an_estimate_keeping_the_reported_input() {
    let counter = || StreamingCounter::new(Counter::Exact(Encoding::O200kBase));
    let text = "The ledger balances at the close of every day, column by column.";
    let streamed = Encoding::O200kBase.count(text) as u64;
    // The estimate's own input side is deliberately wrong: the vendor's count must win.
    let estimate = |n: u64| Usage {
        input_tokens: tariff::Tokens::new(7).unwrap(),
        output_tokens: tariff::Tokens::new(n).unwrap(),
        ..Usage::default()
    };
    let mut m = StreamMeter::new(Api::Anthropic).count_text(counter());
    m.feed(anthropic_cut().as_bytes()).unwrap();
    let u = m.finish_or_estimate(estimate).unwrap();
    assert!(u.estimated);
    assert_eq!(
        (
            u.input_tokens.get(),
            u.cache_read_tokens.get(),
            u.cache_write_tokens.get(),
            u.cache_write_1h_tokens.get(),
            u.output_tokens.get()
        ),
        (1000, 3000, 2000, 500, streamed)
    );
    // Gemini: the partial count (40) is above the text counted here, so it stands.
    let gemini = ev(
        r#"{"candidates":[{"content":{"parts":[{"text":"Rain"}]}}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":40,"totalTokenCount":140}}"#,
    );
    let mut m = StreamMeter::new(Api::Gemini).count_text(counter());
    m.feed(gemini.as_bytes()).unwrap();
    let u = m.finish_or_estimate(estimate).unwrap();
    assert_eq!(
        (u.input_tokens.get(), u.output_tokens.get(), u.estimated),
        (100, 40, true)
    );
}

#[test]
fn the_cli_refuses_a_cut_anthropic_stream_and_estimates_it_only_when_asked() {
    let dir = std::env::temp_dir().join(format!("tariff-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("cut.sse");
    let req = dir.join("req.json");
    std::fs::write(&body, anthropic_cut()).unwrap();
    std::fs::write(
        &req,
        r#"{"model":"claude-sonnet-4-5","max_tokens":1000,"messages":[{"role":"user","content":"Write a line."}]}"#,
    )
    .unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tariff"))
            .args([
                "quote",
                "--api",
                "anthropic",
                "--model",
                "claude-sonnet-4-5",
                "--json",
            ])
            .args(extra)
            .arg(&body)
            .output()
            .unwrap()
    };
    let plain = run(&[]);
    assert!(
        !plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stdout)
    );
    let est = run(&["--request", req.to_str().unwrap(), "--estimate-missing"]);
    assert!(
        est.status.success(),
        "{}",
        String::from_utf8_lossy(&est.stderr)
    );
    let out = String::from_utf8_lossy(&est.stdout);
    assert!(out.contains("\"estimated\": true"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------- cumulative reports

#[test]
fn an_empty_later_report_changes_nothing_and_a_falling_one_is_refused() {
    let usage_chunk = ev(
        r#"{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":300,"total_tokens":1300}}"#,
    );
    let finish = ev(
        r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
    );
    let base = finish.clone() + &usage_chunk;
    let expected = extract_any(Api::OpenAiChat, base.as_bytes()).unwrap();
    assert_eq!(expected.input_tokens.get(), 1000);
    // `"usage": {}` after the real report: nothing changes (it billed $0 before).
    let empty = base.clone() + &ev(r#"{"object":"chat.completion.chunk","choices":[],"usage":{}}"#);
    assert_eq!(
        extract_any(Api::OpenAiChat, empty.as_bytes()).unwrap(),
        expected
    );
    // An all-zero report after it lowers every count.
    let zero = base
        + &ev(
            r#"{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}"#,
        );
    inconsistent(
        extract_any(Api::OpenAiChat, zero.as_bytes()),
        "input_tokens",
    );

    // Anthropic: cumulative counts that fall.
    let fall = named("message_start", ANTHROPIC_START)
        + &named(
            "message_delta",
            r#"{"type":"message_delta","usage":{"output_tokens":400}}"#,
        )
        + &named(
            "message_delta",
            r#"{"type":"message_delta","usage":{"output_tokens":100}}"#,
        );
    inconsistent(
        extract_any(Api::Anthropic, fall.as_bytes()),
        "output_tokens",
    );
    let read_fall = named("message_start", ANTHROPIC_START)
        + &named(
            "message_delta",
            r#"{"type":"message_delta","usage":{"cache_read_input_tokens":0,"output_tokens":400}}"#,
        );
    inconsistent(
        extract_any(Api::Anthropic, read_fall.as_bytes()),
        "cache_read_input_tokens",
    );
    let anthropic_empty = named("message_start", ANTHROPIC_START)
        + &named(
            "message_delta",
            r#"{"type":"message_delta","usage":{"output_tokens":400}}"#,
        )
        + &named("message_delta", r#"{"type":"message_delta","usage":{}}"#);
    assert_eq!(
        extract_any(Api::Anthropic, anthropic_empty.as_bytes())
            .unwrap()
            .output_tokens
            .get(),
        400
    );

    // Gemini, as SSE and as a JSON array: an empty usageMetadata changes nothing, a
    // falling one is refused.
    let g1 = r#"{"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":30,"totalTokenCount":130}}"#;
    let g2 = r#"{"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":50,"totalTokenCount":150}}"#;
    let g_empty = r#"{"candidates":[{"finishReason":"STOP"}],"usageMetadata":{}}"#;
    let g_low = r#"{"candidates":[{"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":100,"candidatesTokenCount":10,"totalTokenCount":110}}"#;
    let sse = ev(g1) + &ev(g2) + &ev(g_empty);
    assert_eq!(
        extract_any(Api::Gemini, sse.as_bytes())
            .unwrap()
            .output_tokens
            .get(),
        50
    );
    let array = format!("[{g1},{g2},{g_empty}]");
    assert_eq!(
        extract(Api::Gemini, array.as_bytes())
            .unwrap()
            .output_tokens
            .get(),
        50
    );
    let sse = ev(g1) + &ev(g2) + &ev(g_low);
    inconsistent(extract_any(Api::Gemini, sse.as_bytes()), "output_tokens");
    let array = format!("[{g1},{g2},{g_low}]");
    inconsistent(extract(Api::Gemini, array.as_bytes()), "output_tokens");

    // DashScope: an empty usage after the final chunk changes nothing.
    let d = ev(
        r#"{"output":{"choices":[{"message":{"content":"好"},"finish_reason":"stop"}]},"usage":{"input_tokens":50,"output_tokens":9,"total_tokens":59},"request_id":"r"}"#,
    ) + &ev(r#"{"output":{"choices":[]},"usage":{},"request_id":"r"}"#);
    assert_eq!(
        extract_any(Api::DashScope, d.as_bytes())
            .unwrap()
            .output_tokens
            .get(),
        9
    );
}

// ---------------------------------------------------------------- buckets

#[test]
fn openai_cache_writes_are_their_own_bucket_and_priced() {
    // prompt 10000 = 2000 cached + 3000 written + 5000 fresh; completion 1000
    let body = br#"{"object":"chat.completion","model":"gpt-5.6-sol","usage":{"prompt_tokens":10000,"completion_tokens":1000,"total_tokens":11000,
      "prompt_tokens_details":{"cached_tokens":2000,"cache_write_tokens":3000}}}"#;
    let mut u = extract(Api::OpenAiChat, body).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":5000,"cache_read_tokens":2000,"cache_write_tokens":3000,"output_tokens":1000})
    );
    u.at = Some("2026-07-15T00:00:00Z".parse().unwrap());
    // GPT-5.6 Sol (from 2026-07-09): 5000×5 + 2000×0.5 + 3000×6.25 + 1000×30
    // = 25,000 + 1,000 + 18,750 + 30,000 = 74,750 per 1M = 0.07475 (0.071 when the writes
    // were billed as fresh input).
    let bill = Catalog::builtin().quote("gpt-5.6-sol", &u).unwrap();
    assert_eq!(bill.total().to_string(), "0.07475");
    // Responses: the same in input_tokens_details.
    let resp = br#"{"object":"response","status":"completed","usage":{"input_tokens":10000,"output_tokens":1000,"total_tokens":11000,
      "input_tokens_details":{"cached_tokens":2000,"cache_write_tokens":3000},"output_tokens_details":{"reasoning_tokens":0}}}"#;
    let r = extract(Api::OpenAiResponses, resp).unwrap();
    assert_eq!(
        (
            r.input_tokens.get(),
            r.cache_read_tokens.get(),
            r.cache_write_tokens.get()
        ),
        (5000, 2000, 3000)
    );
    // Writes and reads that exceed the prompt are refused.
    let over = br#"{"object":"chat.completion","usage":{"prompt_tokens":100,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":60,"cache_write_tokens":50}}}"#;
    inconsistent(extract(Api::OpenAiChat, over), "cache_write_tokens");
    let over = br#"{"object":"response","usage":{"input_tokens":100,"output_tokens":1,"input_tokens_details":{"cache_write_tokens":101}}}"#;
    inconsistent(extract(Api::OpenAiResponses, over), "cache_write_tokens");
    // Two counts of the writes that disagree are refused.
    let two = br#"{"object":"chat.completion","usage":{"prompt_tokens":100,"completion_tokens":1,"prompt_tokens_details":{"cache_creation_input_tokens":40,"cache_write_tokens":30}}}"#;
    inconsistent(extract(Api::OpenAiChat, two), "cache_write_tokens");
}

#[test]
fn anthropic_thinking_tokens_are_reasoning_not_output() {
    let body = br#"{"type":"message","usage":{"input_tokens":100,"output_tokens":900,"output_tokens_details":{"thinking_tokens":600}}}"#;
    let u = extract(Api::Anthropic, body).unwrap();
    assert_eq!(
        buckets(&u),
        serde_json::json!({"input_tokens":100,"output_tokens":300,"reasoning_tokens":600,"options":{"thinking":"true"}})
    );
    let stream = named(
        "message_start",
        r#"{"type":"message_start","message":{"type":"message","usage":{"input_tokens":100,"output_tokens":1}}}"#,
    ) + &named(
        "message_delta",
        r#"{"type":"message_delta","usage":{"output_tokens":900,"output_tokens_details":{"thinking_tokens":600}}}"#,
    );
    assert_eq!(extract_any(Api::Anthropic, stream.as_bytes()).unwrap(), u);
    let over = br#"{"type":"message","usage":{"input_tokens":1,"output_tokens":5,"output_tokens_details":{"thinking_tokens":6}}}"#;
    inconsistent(extract(Api::Anthropic, over), "thinking_tokens");
}

#[test]
fn a_cache_write_total_without_a_breakdown_goes_to_the_dearer_lifetime() {
    // message_start: 2000 5-minute + 500 1-hour writes; the delta raises the total to 3000
    // without a breakdown. The 500 more are billed as 1-hour writes (never the cheaper 5m).
    let stream = named("message_start", ANTHROPIC_START)
        + &named(
            "message_delta",
            r#"{"type":"message_delta","usage":{"input_tokens":1000,"cache_creation_input_tokens":3000,"cache_read_input_tokens":3000,"output_tokens":400}}"#,
        );
    let u = extract_any(Api::Anthropic, stream.as_bytes()).unwrap();
    assert_eq!(
        (u.cache_write_tokens.get(), u.cache_write_1h_tokens.get()),
        (2000, 1000)
    );
    // The same total as message_start: nothing moves.
    let same = named("message_start", ANTHROPIC_START)
        + &named(
            "message_delta",
            r#"{"type":"message_delta","usage":{"cache_creation_input_tokens":2500,"output_tokens":400}}"#,
        );
    let u = extract_any(Api::Anthropic, same.as_bytes()).unwrap();
    assert_eq!(
        (u.cache_write_tokens.get(), u.cache_write_1h_tokens.get()),
        (2000, 500)
    );
    // A delta with its own breakdown is taken as it is.
    let split = named("message_start", ANTHROPIC_START)
        + &named(
            "message_delta",
            r#"{"type":"message_delta","usage":{"cache_creation_input_tokens":3000,"cache_creation":{"ephemeral_5m_input_tokens":2400,"ephemeral_1h_input_tokens":600},"output_tokens":400}}"#,
        );
    let u = extract_any(Api::Anthropic, split.as_bytes()).unwrap();
    assert_eq!(
        (u.cache_write_tokens.get(), u.cache_write_1h_tokens.get()),
        (2400, 600)
    );
    // A breakdown naming one lifetime: the other is the rest of the total.
    let one = br#"{"type":"message","usage":{"input_tokens":1,"cache_creation_input_tokens":3000,"cache_creation":{"ephemeral_5m_input_tokens":2000},"output_tokens":1}}"#;
    let u = extract(Api::Anthropic, one).unwrap();
    assert_eq!(
        (u.cache_write_tokens.get(), u.cache_write_1h_tokens.get()),
        (2000, 1000)
    );
    let over = br#"{"type":"message","usage":{"input_tokens":1,"cache_creation_input_tokens":3000,"cache_creation":{"ephemeral_1h_input_tokens":3001},"output_tokens":1}}"#;
    inconsistent(extract(Api::Anthropic, over), "cache_creation_input_tokens");
    // A total below the breakdown before it is refused.
    let low = named("message_start", ANTHROPIC_START)
        + &named(
            "message_delta",
            r#"{"type":"message_delta","usage":{"cache_creation_input_tokens":2000,"output_tokens":400}}"#,
        );
    inconsistent(
        extract_any(Api::Anthropic, low.as_bytes()),
        "cache_creation_input_tokens",
    );
}

// ---------------------------------------------------------------- thinking mode

fn quote_json(api: &str, model: &str, body: &str, extra: &[&str]) -> serde_json::Value {
    let dir =
        std::env::temp_dir().join(format!("tariff-think-{}-{api}-{model}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("body.json");
    std::fs::write(&path, body).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(["quote", "--api", api, "--model", model, "--json"])
        .args(extra)
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{api} {model}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_answer_that_shows_thinking_selects_the_thinking_price() {
    // qwen-turbo (cn, CNY per 1M): input 0.3; thinking output and reasoning 3.
    // 1000×0.3 + 200×3 + 300×3 = 300 + 600 + 900 = 1800 per 1M = 0.0018 CNY.
    let native = r#"{"output":{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]},"usage":{"input_tokens":1000,"output_tokens":500,"total_tokens":1500,"output_tokens_details":{"reasoning_tokens":300}},"request_id":"r"}"#;
    let bill = quote_json("dashscope", "qwen-turbo", native, &[]);
    assert_eq!(
        (bill["total"].as_str(), bill["currency"].as_str()),
        (Some("0.0018"), Some("CNY"))
    );
    // The same answer through the OpenAI-compatible mode.
    let compat = r#"{"object":"chat.completion","model":"qwen-turbo","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,"completion_tokens_details":{"reasoning_tokens":300}}}"#;
    let bill = quote_json("openai-chat", "qwen-turbo", compat, &[]);
    assert_eq!(bill["total"].as_str(), Some("0.0018"));
    // Gemini 2.5 Flash Preview 05-20 priced every output token at $3.50 with thinking on:
    // 1000×0.15 + 200×3.50 + 800×3.50 = 150 + 700 + 2800 = 3650 per 1M = 0.00365
    // (0.00307 with the answer at the non-thinking $0.60).
    let gemini = r#"{"candidates":[{"content":{"parts":[{"text":"ok"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":200,"thoughtsTokenCount":800,"totalTokenCount":2000},"modelVersion":"gemini-2.5-flash-preview-05-20"}"#;
    let bill = quote_json("gemini", "gemini-2.5-flash-preview-05-20", gemini, &[]);
    assert_eq!(bill["total"].as_str(), Some("0.00365"));
    // Without thoughts the answer stays at the non-thinking price: 1000×0.15 + 200×0.60 = 270.
    let plain = r#"{"candidates":[{"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1000,"candidatesTokenCount":200,"totalTokenCount":1200}}"#;
    let bill = quote_json("gemini", "gemini-2.5-flash-preview-05-20", plain, &[]);
    assert_eq!(bill["total"].as_str(), Some("0.00027"));
}

// ---------------------------------------------------------------- every cut

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/responses/{name}",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    ))
    .unwrap()
}

/// Cut at every byte, a stream is either refused or billed exactly as the whole stream:
/// never on a partial count.
#[test]
fn every_prefix_of_a_stream_is_refused_or_the_whole_bill() {
    let anthropic = named("message_start", ANTHROPIC_START)
        + &named("content_block_delta", ANTHROPIC_TEXT)
        + &named(
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#,
        )
        + &named("message_stop", r#"{"type":"message_stop"}"#);
    let cases = [
        (Api::Anthropic, anthropic.into_bytes()),
        (Api::Gemini, fixture("gemini-stream.sse")),
        (Api::DashScope, fixture("dashscope-native-stream.sse")),
        (Api::OpenAiChat, fixture("openai-chat-stream.sse")),
        (Api::OpenAiResponses, fixture("openai-responses-stream.sse")),
    ];
    for (api, stream) in cases {
        let whole = extract_any(api, &stream).unwrap();
        for cut in 0..stream.len() {
            if let Ok(u) = extract_any(api, &stream[..cut]) {
                assert_eq!(u, whole, "{api} cut at byte {cut} billed a partial count");
            }
        }
    }
}
