//! Token counting: tariff against every tiktoken-compatible Rust crate, side by side, on
//! one corpus, and the time each takes to load an encoding.
//!
//! ```sh
//! cargo bench --bench tokens
//! ```
//!
//! The crates: tiktoken-rs 0.12, `tiktoken` 4.x (crates.io's `tiktoken`) and bpe-openai
//! 0.3. Each is timed counting tokens the way a caller of it counts: tariff's
//! `Encoding::count`, `tiktoken`'s `CoreBpe::count`, bpe-openai's `Tokenizer::count`, and
//! tiktoken-rs's `encode_ordinary(text).len()` (it has no count). Before timing, the bench
//! checks that all four give the same count.
//!
//! `count`: the hand-written files of `tests/corpus/` (prose, Chinese, Japanese, many
//! scripts, emoji, code, edge cases), repeated in turn up to 1 MiB, then the long runs of
//! `runs.txt` once, counted in one call. Criterion calls each counter again and again on
//! that text: that is the steady state, in which caches kept across calls (`tiktoken`
//! 4.x keeps a thread-local cache of merged pieces) are warm. `count_per_file` times each
//! corpus file once, one call per file.
//!
//! `load`: building an encoding from what the crate embeds. The first use in the process
//! is timed once for each crate before anything else runs (printed as `first use`;
//! bpe-openai loads only into a process-wide static, so that is its only figure); then
//! criterion times a fresh load again and again for the crates that can build one.

use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

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

/// One encoding as each crate names it.
struct Crates {
    ours: Encoding,
    tiktoken_rs: &'static tiktoken_rs::CoreBPE,
    tiktoken: &'static tiktoken::CoreBpe,
    bpe_openai: &'static bpe_openai::Tokenizer,
}

/// A crate's token count of a text.
type Counter<'a> = Box<dyn Fn(&str) -> usize + 'a>;

impl Crates {
    /// Each crate's count, by name, as its callers count: tiktoken-rs has no count, so
    /// its callers take the length of `encode_ordinary`.
    fn counters(&self) -> [(&'static str, Counter<'_>); 4] {
        let enc = self.ours;
        [
            ("tariff", Box::new(move |t| enc.count(t))),
            ("tiktoken", Box::new(|t| self.tiktoken.count(t))),
            ("bpe-openai", Box::new(|t| self.bpe_openai.count(t))),
            (
                "tiktoken-rs",
                Box::new(|t| self.tiktoken_rs.encode_ordinary(t).len()),
            ),
        ]
    }
}

/// Times `f` once, in milliseconds.
fn once<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed().as_secs_f64() * 1e3)
}

/// Loads every encoding of every crate, timing each first use (before anything else in
/// the process has touched that crate's data).
fn first_use() -> [Crates; 2] {
    let mut out = Vec::new();
    for (enc, name) in [
        (Encoding::O200kBase, "o200k_base"),
        (Encoding::Cl100kBase, "cl100k_base"),
    ] {
        let (_, ours) = once(|| enc.count("a"));
        let (tiktoken_rs, t_rs) = once(|| match enc {
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
            _ => tiktoken_rs::o200k_base_singleton(),
        });
        let (tiktoken, t_4) = once(|| tiktoken::get_encoding(name).expect("encoding"));
        let (bpe_openai, t_bpe) = once(|| {
            let t = match enc {
                Encoding::Cl100kBase => bpe_openai::cl100k_base(),
                _ => bpe_openai::o200k_base(),
            };
            t.count("a");
            t
        });
        println!(
            "load/first use/{name}: tariff {ours:.2} ms, tiktoken {t_4:.2} ms, \
             bpe-openai {t_bpe:.2} ms, tiktoken-rs {t_rs:.2} ms"
        );
        out.push(Crates {
            ours: enc,
            tiktoken_rs,
            tiktoken,
            bpe_openai,
        });
    }
    out.try_into()
        .unwrap_or_else(|_| unreachable!("two encodings"))
}

fn count(c: &mut Criterion) {
    let cases = first_use();
    let text = corpus();
    for case in &cases {
        let counts: Vec<(&str, usize)> = case
            .counters()
            .iter()
            .map(|(name, count)| (*name, count(&text)))
            .collect();
        assert!(
            counts.iter().all(|&(_, n)| n == counts[0].1),
            "{}: counts differ: {counts:?}",
            case.ours
        );
        println!(
            "{}: {} bytes, {} tokens from all four",
            case.ours,
            text.len(),
            counts[0].1
        );
    }

    let mut group = c.benchmark_group("count");
    group
        .throughput(Throughput::Bytes(text.len() as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for case in &cases {
        for (name, count) in case.counters() {
            group.bench_with_input(BenchmarkId::new(name, case.ours), &text, |b, t| {
                b.iter(|| count(black_box(t)))
            });
        }
    }
    group.finish();

    // The same files once each, one call per file, as a relay counts one request at a time.
    let files = files();
    let bytes: usize = files.iter().map(String::len).sum();
    let mut group = c.benchmark_group("count_per_file");
    group
        .throughput(Throughput::Bytes(bytes as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    for case in &cases {
        for (name, count) in case.counters() {
            group.bench_function(BenchmarkId::new(name, case.ours), |b| {
                b.iter(|| files.iter().map(|f| count(black_box(f))).sum::<usize>())
            });
        }
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

/// A fresh load, again and again, for the crates that can build one.
fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
        group.bench_function(BenchmarkId::new("tariff", enc), |b| {
            b.iter(|| enc.load_fresh_for_bench())
        });
        group.bench_function(BenchmarkId::new("tiktoken", enc), |b| {
            b.iter(|| match enc {
                Encoding::Cl100kBase => tiktoken::encoding::cl100k_base(),
                _ => tiktoken::encoding::o200k_base(),
            })
        });
        group.bench_function(BenchmarkId::new("tiktoken-rs", enc), |b| {
            b.iter(|| match enc {
                Encoding::Cl100kBase => tiktoken_rs::cl100k_base().expect("cl100k_base"),
                _ => tiktoken_rs::o200k_base().expect("o200k_base"),
            })
        });
    }
    group.finish();
}

criterion_group!(benches, count, load);
criterion_main!(benches);
