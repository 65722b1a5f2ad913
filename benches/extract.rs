//! Metering throughput: response bodies and SSE streams to usage, and on to a bill.
//!
//! `cargo bench --bench extract -- --warm-up-time 1 --measurement-time 3`
//!
//! Groups:
//! - `body_2kb/*`: a 2 KB chat completion body (the answer's text makes up the bulk, as
//!   in real traffic) metered (`extract`) and metered then priced by model name
//!   (`extract_and_quote`), for each chat family;
//! - `stream_10k_events/*`: a 10,000-event OpenAI chat stream (content deltas, then the
//!   usage chunk) fed to `StreamMeter` in 4 KB reads, as a relay receives it. Memory use of
//!   the same stream is checked in `tests/stream_memory.rs`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tariff::extract::{extract, Api, StreamMeter};
use tariff::{Catalog, Usage};

/// Pads a body template's `@TEXT@` with prose until the body is about `size` bytes.
fn body_of_size(template: &str, size: usize) -> String {
    let sentence = "The relay forwards the request, meters the answer and settles the hold. ";
    let mut text = String::new();
    while template.len() + text.len() + sentence.len() < size {
        text.push_str(sentence);
    }
    template.replace("@TEXT@", &text)
}

fn bodies() -> Vec<(Api, &'static str, String)> {
    vec![
        (
            Api::OpenAiChat,
            "gpt-4o",
            body_of_size(
                r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"@TEXT@","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1117,"completion_tokens":446,"total_tokens":1563,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_fc9f1d7035"}"#,
                2048,
            ),
        ),
        (
            Api::Anthropic,
            "claude-sonnet-4-5",
            body_of_size(
                r#"{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"@TEXT@"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":1200,"cache_creation_input_tokens":4000,"cache_read_input_tokens":24000,"cache_creation":{"ephemeral_5m_input_tokens":3000,"ephemeral_1h_input_tokens":1000},"output_tokens":446,"service_tier":"standard"}}"#,
                2048,
            ),
        ),
        (
            Api::Gemini,
            "gemini-2.5-pro",
            body_of_size(
                r#"{"candidates":[{"content":{"parts":[{"text":"@TEXT@"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1117,"candidatesTokenCount":446,"totalTokenCount":1963,"thoughtsTokenCount":400,"promptTokensDetails":[{"modality":"TEXT","tokenCount":1117}]},"modelVersion":"gemini-2.5-pro","responseId":"mGtnaKb0Hu6cz7IPvduQ8QI"}"#,
                2048,
            ),
        ),
    ]
}

fn body_2kb(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let mut g = c.benchmark_group("body_2kb");
    g.throughput(Throughput::Elements(1));
    for (api, model, body) in bodies() {
        assert!(
            (1900..=2100).contains(&body.len()),
            "{api}: {} bytes",
            body.len()
        );
        let mut usage: Usage = extract(api, body.as_bytes()).expect("fixture meters");
        usage.at = Some("2025-11-01T00:00:00Z".parse().expect("time"));
        catalog.quote(model, &usage).expect("fixture prices");
        g.bench_with_input(BenchmarkId::new("extract", api), &body, |b, body| {
            b.iter(|| extract(api, black_box(body.as_bytes())).expect("meters"))
        });
        g.bench_with_input(
            BenchmarkId::new("extract_and_quote", api),
            &body,
            |b, body| {
                b.iter(|| {
                    let usage = extract(api, black_box(body.as_bytes())).expect("meters");
                    catalog.quote(black_box(model), &usage).expect("prices")
                })
            },
        );
    }
    g.finish();
}

/// A saved OpenAI chat stream of `deltas` content events followed by the usage chunk.
pub fn chat_stream(deltas: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..deltas {
        s.push_str(&format!(
            "data: {{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1741570283,\"model\":\"gpt-4o\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" token{i}\"}},\"finish_reason\":null}}],\"usage\":null}}\n\n"
        ));
    }
    s.push_str("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1741570283,\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":2006,\"completion_tokens\":10000,\"total_tokens\":12006}}\n\ndata: [DONE]\n\n");
    s.into_bytes()
}

fn stream_10k(c: &mut Criterion) {
    let stream = chat_stream(10_000);
    let mut g = c.benchmark_group("stream_10k_events");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("openai-chat", |b| {
        b.iter(|| {
            let mut meter = StreamMeter::new(Api::OpenAiChat);
            for chunk in black_box(&stream).chunks(4096) {
                meter.feed(chunk).expect("feeds");
            }
            meter.finish().expect("has usage")
        })
    });
    g.finish();
}

criterion_group!(benches, body_2kb, stream_10k);
criterion_main!(benches);
