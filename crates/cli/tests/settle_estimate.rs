//! Settling a stream that ended without (complete) usage: `meter_or_estimate` and
//! `tariff quote --estimate-missing`.

use std::process::Command;

use tariff::estimate::{estimate, meter_or_estimate};
use tariff::extract::{extract_with_request, Api, ExtractError};
use tariff::tokens::Encoding;

const OPENAI_REQUEST: &[u8] =
    br#"{"model":"gpt-4o","max_tokens":200,"messages":[{"role":"user","content":"Name three rivers."}]}"#;

fn chunk(text: &str) -> String {
    format!(
        "data: {{\"object\":\"chat.completion.chunk\",\"choices\":[{{\"delta\":{{\"content\":{}}}}}]}}\n\n",
        serde_json::to_string(text).unwrap()
    )
}

#[test]
fn a_stream_without_usage_settles_on_the_estimate_with_the_text_counted() {
    let parts = ["The Nile,", " the Amazon", " and the Yangtze."];
    let stream: String = parts.iter().map(|p| chunk(p)).collect();
    let usage =
        meter_or_estimate(Api::OpenAiChat, "gpt-4o", stream.as_bytes(), OPENAI_REQUEST).unwrap();
    let est = estimate(Api::OpenAiChat, "gpt-4o", OPENAI_REQUEST).unwrap();
    // gpt-4o counts exactly with o200k_base: the output is the streamed text's count.
    let text = parts.concat();
    assert_eq!(
        usage.output_tokens.get(),
        Encoding::O200kBase.count(&text) as u64
    );
    assert_eq!(usage.input_tokens, est.usage.input_tokens);
    assert!(usage.estimated);
    // Without the fallback the same stream is an error, never a price.
    assert!(
        extract_with_request(Api::OpenAiChat, stream.as_bytes(), Some(OPENAI_REQUEST)).is_err()
    );
}

#[test]
fn a_stream_with_usage_is_metered_as_reported() {
    let mut stream: String = ["Hello", " there"].iter().map(|p| chunk(p)).collect();
    stream.push_str("data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":2,\"total_tokens\":14}}\n\ndata: [DONE]\n\n");
    let usage =
        meter_or_estimate(Api::OpenAiChat, "gpt-4o", stream.as_bytes(), OPENAI_REQUEST).unwrap();
    assert_eq!(
        (usage.input_tokens.get(), usage.output_tokens.get()),
        (12, 2)
    );
    assert!(!usage.estimated);
}

#[test]
fn a_cut_anthropic_stream_bills_at_least_the_text_received() {
    let request = br#"{"model":"claude-sonnet-4-5","max_tokens":1000,"messages":[{"role":"user","content":"Write a haiku."}]}"#;
    let text = "Ledgers close at dusk; the quiet sum of the day rests in its columns.";
    let stream = format!(
        "event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"usage\":{{\"input_tokens\":15,\"output_tokens\":1}}}}}}\n\n\
         event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{}}}}}\n\n",
        serde_json::to_string(text).unwrap()
    );
    // Regression: the placeholder `output_tokens: 1` of `message_start` was billed as final.
    let reported = extract_with_request(Api::Anthropic, stream.as_bytes(), Some(request));
    assert!(
        matches!(reported, Err(ExtractError::MissingUsage { .. })),
        "a cut stream is not a bill: {reported:?}"
    );
    let usage = meter_or_estimate(
        Api::Anthropic,
        "claude-sonnet-4-5",
        stream.as_bytes(),
        request,
    )
    .unwrap();
    assert_eq!(usage.input_tokens.get(), 15, "the reported input is kept");
    assert!(usage.output_tokens.get() > 10, "{usage:?}");
    assert!(usage.estimated);
}

#[test]
fn a_request_of_another_family_is_an_error() {
    let stream = chunk("Hi");
    let anthropic_request = br#"{"model":"claude-sonnet-4-5","max_tokens":10,"system":"x","messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}"#;
    assert!(meter_or_estimate(
        Api::Gemini,
        "gemini-2.5-pro",
        stream.as_bytes(),
        anthropic_request
    )
    .is_err());
}

#[test]
fn the_cli_prices_a_cut_stream_only_with_the_flag_and_says_it_is_estimated() {
    let dir = std::env::temp_dir().join(format!("tariff-settle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let req = dir.join("req.json");
    let body = dir.join("cut.sse");
    std::fs::write(&req, OPENAI_REQUEST).unwrap();
    std::fs::write(&body, chunk("The Nile.")).unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tariff"))
            .args([
                "quote",
                "--api",
                "openai-chat",
                "--model",
                "gpt-4o",
                "--at",
                "2025-11-01",
            ])
            .args(extra)
            .arg(&body)
            .output()
            .unwrap()
    };
    let without = run(&["--request", req.to_str().unwrap()]);
    assert!(!without.status.success());
    assert!(without.stdout.is_empty());
    let with = run(&["--request", req.to_str().unwrap(), "--estimate-missing"]);
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    assert!(String::from_utf8_lossy(&with.stdout).contains("ESTIMATED"));
    let no_request = run(&["--estimate-missing"]);
    assert!(!no_request.status.success());
    std::fs::remove_dir_all(&dir).ok();
}
