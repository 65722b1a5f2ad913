//! Reconciliation throughput: parsing a row, pricing it, and the whole pipeline.
//!
//! `cargo bench --bench reconcile -- --warm-up-time 1 --measurement-time 3`
//!
//! Groups (throughput in rows):
//! - `row/*`: one canonical JSON row parsed by the reconciler's scanner, next to
//!   `serde_json::Value` and `Usage::from_json` (the reasons the scanner exists), and
//!   parsed and priced;
//! - `pipeline/*`: 100,000 generated rows of each format through `Reconciler::read` from
//!   memory, on one thread and on every core.
//!
//! The whole-process benchmark (10 million rows from a file, peak memory) is
//! `benches/reconcile.sh`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tariff::reconcile::{parse_json_line, price_row, LogFormat, Options, Reconciler};
use tariff::synth::{Inject, Synth, SynthFormat, SynthOptions};
use tariff::{Catalog, Usage};

fn generate(format: SynthFormat, rows: u64) -> String {
    let s = Synth::new(
        Catalog::builtin(),
        SynthOptions {
            rows,
            format,
            seed: 1,
            inject: Inject::ALL.to_vec(),
            rate: 0.01,
        },
    )
    .expect("the built-in profiles price");
    let mut out = s.header().unwrap_or("").to_string();
    for r in s {
        out.push_str(&r.text);
    }
    out
}

fn rows(c: &mut Criterion) {
    let text = generate(SynthFormat::CanonicalJsonl, 1000);
    let lines: Vec<&str> = text.lines().collect();
    let mut g = c.benchmark_group("row");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("scan_canonical", |b| {
        b.iter(|| {
            for l in &lines {
                let _ = black_box(parse_json_line(LogFormat::Canonical, black_box(l)));
            }
        })
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for l in &lines {
                let _ = black_box(serde_json::from_str::<serde_json::Value>(black_box(l)));
            }
        })
    });
    // The usage record alone (its own decoder rejects the row members, so they are cut).
    let usages: Vec<String> = lines
        .iter()
        .map(|l| {
            let mut v: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(l).expect("generated rows are JSON");
            for k in ["model", "request_id", "user", "charged", "currency"] {
                v.remove(k);
            }
            serde_json::to_string(&v).expect("serializes")
        })
        .collect();
    g.bench_function("usage_from_json", |b| {
        b.iter(|| {
            for u in &usages {
                let _ = black_box(Usage::from_json(black_box(u)));
            }
        })
    });
    g.bench_function("scan_and_price", |b| {
        b.iter(|| {
            for l in &lines {
                let row = parse_json_line(LogFormat::Canonical, black_box(l));
                let _ = black_box(row.and_then(|r| price_row(Catalog::builtin(), &r)));
            }
        })
    });
    g.finish();
}

fn pipeline(c: &mut Criterion) {
    const N: u64 = 100_000;
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N));
    for (name, format) in [
        ("canonical_jsonl", SynthFormat::CanonicalJsonl),
        ("canonical_csv", SynthFormat::CanonicalCsv),
        ("new_api_jsonl", SynthFormat::NewApiJsonl),
        ("new_api_csv", SynthFormat::NewApiCsv),
    ] {
        let text = generate(format, N);
        for (threads, label) in [(Some(1), "1_thread"), (None, "all_cores")] {
            g.bench_function(format!("{name}/{label}"), |b| {
                b.iter(|| {
                    let opts = Options {
                        threads,
                        ..Options::default()
                    };
                    let mut r = Reconciler::new(Catalog::builtin(), opts).expect("threads");
                    r.read("bench", text.as_bytes(), &mut |_| {}, &mut |_| {})
                        .expect("reads");
                    black_box(r.finish())
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, rows, pipeline);
criterion_main!(benches);
