//! Metering image responses: the bodies carry the images themselves (base64 PNGs of one to
//! a few megabytes), and edits and variations send theirs in a multipart request, so the
//! cost of reading past them matters more than the few numbers taken out.
//!
//! `cargo bench --bench images -- --warm-up-time 1 --measurement-time 3`
//!
//! Groups:
//! - `extract/*`: one body to a usage record, by format, with realistic payload sizes;
//! - `meter_and_quote/*`: the body (and request) to a bill, model resolved by name.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tariff::extract::{extract_with_request, Api};
use tariff::Catalog;

/// Deterministic base64-looking text of `n` bytes (what an inline PNG looks like to a parser).
fn b64(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x: u32 = 0x9E37_79B9;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            ALPHABET[(x % 64) as usize] as char
        })
        .collect()
}

/// A gpt-image-1 response with one 1024x1024 PNG inline (about 2 MB of base64).
fn gpt_image_body() -> Vec<u8> {
    format!(
        r#"{{"created":1745000000,"background":"opaque","output_format":"png","quality":"high","size":"1024x1024","data":[{{"b64_json":"{}"}}],"usage":{{"input_tokens":50,"input_tokens_details":{{"text_tokens":10,"image_tokens":40}},"output_tokens":4160,"total_tokens":4210}}}}"#,
        b64(2_000_000)
    )
    .into_bytes()
}

/// A DALL·E 2 variations exchange: a URL response and a multipart request carrying a 1 MB PNG.
fn variations() -> (Vec<u8>, Vec<u8>) {
    let body = br#"{"created":1700000100,"data":[{"url":"https://example.com/1.png"},{"url":"https://example.com/2.png"}]}"#.to_vec();
    let mut req = Vec::new();
    req.extend_from_slice(b"--------------------------5f3a1c\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n");
    req.extend_from_slice(b64(1_000_000).as_bytes());
    req.extend_from_slice(b"\r\n--------------------------5f3a1c\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ndall-e-2\r\n--------------------------5f3a1c\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n2\r\n--------------------------5f3a1c\r\nContent-Disposition: form-data; name=\"size\"\r\n\r\n512x512\r\n--------------------------5f3a1c--\r\n");
    (body, req)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/responses/images/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

struct Case {
    label: &'static str,
    api: Api,
    model: &'static str,
    body: Vec<u8>,
    request: Option<Vec<u8>>,
}

fn cases() -> Vec<Case> {
    let (var_body, var_req) = variations();
    vec![
        Case {
            label: "gpt-image-1_2MB_b64",
            api: Api::OpenAiImages,
            model: "gpt-image-1",
            body: gpt_image_body(),
            request: None,
        },
        Case {
            label: "dall-e-2_variations_1MB_multipart_request",
            api: Api::OpenAiImages,
            model: "dall-e-2",
            body: var_body,
            request: Some(var_req),
        },
        Case {
            label: "seedream_group",
            api: Api::Seedream,
            model: "doubao-seedream-4.0",
            body: fixture("seedream-group.json"),
            request: None,
        },
        Case {
            label: "wanx_task",
            api: Api::QwenImage,
            model: "wanx2.1-t2i-turbo",
            body: fixture("wanx-task.json"),
            request: None,
        },
        Case {
            label: "midjourney_task",
            api: Api::Midjourney,
            model: "mj_imagine",
            body: fixture("mj-imagine.json"),
            request: None,
        },
    ]
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let cases = cases();
    let mut g = c.benchmark_group("extract");
    for case in &cases {
        let bytes = case.body.len() + case.request.as_ref().map_or(0, Vec::len);
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(case.label, |b| {
            b.iter(|| {
                extract_with_request(
                    case.api,
                    black_box(&case.body),
                    case.request.as_deref().map(black_box),
                )
                .expect("meters")
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("meter_and_quote");
    for case in cases.iter().filter(|c| c.body.len() < 10_000) {
        g.throughput(Throughput::Elements(1));
        g.bench_function(case.label, |b| {
            b.iter(|| {
                let mut usage =
                    extract_with_request(case.api, black_box(&case.body), case.request.as_deref())
                        .expect("meters");
                usage.at = Some("2026-06-01T00:00:00Z".parse().expect("time"));
                catalog
                    .quote(black_box(case.model), &usage)
                    .expect("prices")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
