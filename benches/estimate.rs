//! Request estimates: a 100,000-token chat request (many messages, tools, an image) in each
//! family, and the streaming counter. Target: well under 10 ms for the chat request.
//!
//! cargo bench --bench estimate -- --warm-up-time 1 --measurement-time 3

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::{json, Value};
use tariff::estimate::estimate;
use tariff::extract::Api;
use tariff::tokens::{Counter, StreamingCounter};

/// Paragraphs of English, Chinese and code from the test corpus, in turn.
fn paragraphs() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/estimate/");
    let mut out = Vec::new();
    for f in [
        "en_prose.txt",
        "zh_prose.txt",
        "code_rust.txt",
        "mixed_zh_en.txt",
        "code_python.txt",
    ] {
        let text = std::fs::read_to_string(format!("{dir}{f}")).unwrap();
        out.extend(
            text.split("\n\n")
                .filter(|p| !p.trim().is_empty())
                .map(str::to_string),
        );
    }
    out
}

fn png(width: u32, height: u32) -> String {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0]);
    // A realistic payload size (200 KB) behind the header.
    b.resize(200_000, 7);
    STANDARD.encode(b)
}

/// Messages whose text is about `target` o200k tokens, alternating user and assistant.
fn texts(target: usize) -> Vec<String> {
    let paras = paragraphs();
    let enc = tariff::tokens::Encoding::O200kBase;
    let (mut out, mut n, mut i) = (Vec::new(), 0, 0);
    while n < target {
        let p = paras[i % paras.len()].clone();
        n += enc.count(&p) + 4;
        out.push(p);
        i += 1;
    }
    out
}

fn tools() -> Value {
    json!([{"type": "function", "function": {"name": "search", "description": "Search the knowledge base.",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}}, "required": ["query"]}}},
        {"type": "function", "function": {"name": "get_invoice", "description": "Fetch an invoice by id.",
        "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}}])
}

fn chat(texts: &[String]) -> Vec<u8> {
    let mut messages: Vec<Value> =
        vec![json!({"role": "system", "content": "You are a careful assistant."})];
    for (i, t) in texts.iter().enumerate() {
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        messages.push(json!({"role": role, "content": t}));
    }
    messages.push(json!({"role": "user", "content": [
        {"type": "text", "text": "And this picture?"},
        {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", png(1600, 1200)), "detail": "high"}}]}));
    json!({"model": "gpt-4o", "max_tokens": 4000, "messages": messages, "tools": tools()})
        .to_string()
        .into_bytes()
}

fn anthropic(texts: &[String]) -> Vec<u8> {
    let mut messages: Vec<Value> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        messages.push(json!({"role": role, "content": t}));
    }
    messages.push(json!({"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png(1600, 1200)}},
        {"type": "text", "text": "And this picture?"}]}));
    json!({"model": "claude-sonnet-4-5", "max_tokens": 4000, "system": "You are careful.", "messages": messages,
        "tools": [{"name": "search", "description": "Search.", "input_schema": {"type": "object"}}]})
    .to_string()
    .into_bytes()
}

fn gemini(texts: &[String]) -> Vec<u8> {
    let mut contents: Vec<Value> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let role = if i % 2 == 0 { "user" } else { "model" };
        contents.push(json!({"role": role, "parts": [{"text": t}]}));
    }
    contents.push(json!({"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": png(1600, 1200)}}]}));
    json!({"contents": contents, "generationConfig": {"maxOutputTokens": 4000}})
        .to_string()
        .into_bytes()
}

fn bench(c: &mut Criterion) {
    let t = texts(100_000);
    let body = chat(&t);
    let e = estimate(Api::OpenAiChat, "gpt-4o", &body).unwrap();
    eprintln!(
        "chat request: {} messages, {} bytes, {} input tokens (o200k_base)",
        t.len() + 2,
        body.len(),
        e.usage.input_tokens.get()
    );
    let mut g = c.benchmark_group("estimate_100k_tokens");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("openai-chat gpt-4o (exact)", |b| {
        b.iter(|| estimate(Api::OpenAiChat, "gpt-4o", &body).unwrap())
    });
    // The floor: the same texts counted with o200k_base and no request around them, so the
    // cost of reading the request can be told apart from the cost of counting (and the
    // ratio holds on a busy machine, where absolute times do not).
    g.bench_function("floor: count the texts only (o200k_base)", |b| {
        b.iter(|| {
            let mut c = tariff::tokens::BatchCounter::new(Counter::for_model("gpt-4o"));
            t.iter().map(|x| c.count(x)).sum::<usize>()
        })
    });
    let body = anthropic(&t);
    g.bench_function("anthropic claude-sonnet-4-5 (estimated)", |b| {
        b.iter(|| estimate(Api::Anthropic, "claude-sonnet-4-5", &body).unwrap())
    });
    let body = gemini(&t);
    g.bench_function("gemini gemini-2.5-pro (estimated)", |b| {
        b.iter(|| estimate(Api::Gemini, "gemini-2.5-pro", &body).unwrap())
    });
    g.finish();

    // The streaming counter over the same text, fed in 16-byte deltas (a typical SSE
    // content delta is a few tokens).
    let joined = t.join("\n\n");
    let deltas: Vec<&str> = {
        let mut v = Vec::new();
        let mut start = 0;
        while start < joined.len() {
            let mut end = (start + 16).min(joined.len());
            while !joined.is_char_boundary(end) {
                end += 1;
            }
            v.push(&joined[start..end]);
            start = end;
        }
        v
    };
    let mut g = c.benchmark_group("streaming_counter");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(joined.len() as u64));
    for counter in [
        Counter::for_model("gpt-4o"),
        Counter::for_model("claude-sonnet-4-5"),
    ] {
        g.bench_with_input(
            BenchmarkId::new("16-byte deltas", counter.name()),
            &deltas,
            |b, deltas| {
                b.iter(|| {
                    let mut s = StreamingCounter::new(counter);
                    for d in deltas {
                        s.push(d);
                    }
                    s.total()
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
