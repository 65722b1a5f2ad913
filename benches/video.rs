//! Metering and pricing video task results, as a relay does when a task finishes.
//!
//! `cargo bench --bench video -- --warm-up-time 1 --measurement-time 3`
//!
//! Groups:
//! - `video/meter/*`: `extract_with_request` on a task result (and its create request where
//!   the family needs it);
//! - `video/meter_and_quote/*`: the same, then `tariff::price::quote` with the model resolved
//!   beforehand (the whole settle path of one task).

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use tariff::extract::{extract_with_request, Api};
use tariff::{price, Catalog};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/responses/video/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A label, the format, the result, the request (if any) and the model that prices it.
type Case = (&'static str, Api, Vec<u8>, Option<Vec<u8>>, &'static str);

fn cases() -> Vec<Case> {
    vec![
        (
            "sora_job",
            Api::OpenAiVideo,
            fixture("sora-job.json"),
            None,
            "sora-2",
        ),
        (
            "veo_operation",
            Api::Veo,
            fixture("veo-vertex-operation.json"),
            Some(fixture("veo-request.json")),
            "veo-3.1-fast",
        ),
        (
            "seedance_task",
            Api::Seedance,
            fixture("seedance-task.json"),
            Some(fixture("seedance-request.json")),
            "doubao-seedance-2-0",
        ),
        (
            "wan_task",
            Api::WanVideo,
            fixture("wan-task.json"),
            None,
            "wan2.7-t2v",
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let at: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
    let catalog = Catalog::builtin();
    let mut meter = c.benchmark_group("video/meter");
    for (label, api, body, req, _) in cases() {
        meter.bench_function(label, |b| {
            b.iter(|| extract_with_request(api, black_box(&body), black_box(req.as_deref())))
        });
    }
    meter.finish();
    let mut both = c.benchmark_group("video/meter_and_quote");
    for (label, api, body, req, model) in cases() {
        let m = catalog.model(model).expect("priced model");
        both.bench_function(label, |b| {
            b.iter(|| {
                let mut u = extract_with_request(api, black_box(&body), black_box(req.as_deref()))
                    .expect("meters");
                u.at = Some(at);
                price::quote(m, &u).expect("prices")
            })
        });
    }
    both.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
