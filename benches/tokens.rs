//! Token counting throughput: tariff against tiktoken-rs, side by side, on one corpus.
//!
//! ```sh
//! cargo bench --bench tokens
//! ```
//!
//! `count`: the hand-written files of `tests/corpus/` (prose, Chinese, Japanese, many
//! scripts, emoji, code, edge cases), repeated in turn up to 1 MiB, then the long runs of
//! `runs.txt` once, counted in one call. Before timing, the bench checks that both sides
//! give the same count; tiktoken-rs is timed as `encode_ordinary(text).len()`, the count a
//! caller of it gets. tariff keeps a small per-call cache of merged pieces, which the
//! repetition helps; `count_per_file` therefore also times each corpus file once, one call
//! per file, where nothing repeats across calls.

use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tariff::tokens::Encoding;

/// The corpus files, each once.
fn files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut names: Vec<_> = fs::read_dir(&dir)
        .expect("tests/corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|n| fs::read_to_string(dir.join(n)).expect("corpus file"))
        .collect()
}

fn corpus() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut names: Vec<_> = fs::read_dir(&dir)
        .expect("tests/corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") && n != "runs.txt")
        .collect();
    names.sort();
    let files: Vec<String> = names
        .iter()
        .map(|n| fs::read_to_string(dir.join(n)).expect("corpus file"))
        .collect();
    let mut text = String::new();
    while text.len() < 1 << 20 {
        for f in &files {
            text.push_str(f);
        }
    }
    text.push_str(&fs::read_to_string(dir.join("runs.txt")).expect("runs.txt"));
    text
}

fn count(c: &mut Criterion) {
    let text = corpus();
    let mut group = c.benchmark_group("count");
    group
        .throughput(Throughput::Bytes(text.len() as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let cases = [
        (Encoding::O200kBase, tiktoken_rs::o200k_base_singleton()),
        (Encoding::Cl100kBase, tiktoken_rs::cl100k_base_singleton()),
    ];
    for (enc, reference) in cases {
        let ours = enc.count(&text);
        let theirs = reference.encode_ordinary(&text).len();
        assert_eq!(ours, theirs, "{enc}: counts differ");
        println!("{enc}: {} bytes, {ours} tokens on both sides", text.len());
        group.bench_with_input(BenchmarkId::new("tariff", enc), &text, |b, t| {
            b.iter(|| enc.count(black_box(t)))
        });
        group.bench_with_input(BenchmarkId::new("tiktoken-rs", enc), &text, |b, t| {
            b.iter(|| reference.encode_ordinary(black_box(t)).len())
        });
    }
    group.finish();

    // The same files once each, one call per file, as a relay counts one request at a time:
    // no piece repeats across calls, so the per-call merge cache starts cold every time.
    let files = files();
    let bytes: usize = files.iter().map(String::len).sum();
    let mut group = c.benchmark_group("count_per_file");
    group
        .throughput(Throughput::Bytes(bytes as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    for (enc, reference) in cases {
        group.bench_function(BenchmarkId::new("tariff", enc), |b| {
            b.iter(|| files.iter().map(|f| enc.count(black_box(f))).sum::<usize>())
        });
        group.bench_function(BenchmarkId::new("tiktoken-rs", enc), |b| {
            b.iter(|| {
                files
                    .iter()
                    .map(|f| reference.encode_ordinary(black_box(f)).len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();

    // Early stopping: a 1 MiB text against a 4,096-token window reads only what it must.
    let mut group = c.benchmark_group("fits_within");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("o200k_base/1MiB_in_4096", |b| {
        b.iter(|| Encoding::O200kBase.fits_within(black_box(&text), 4096))
    });
    group.finish();
}

criterion_group!(benches, count);
criterion_main!(benches);
