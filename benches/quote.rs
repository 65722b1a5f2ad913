//! Quote throughput, catalog load time, and independence from catalog size.
//!
//! `cargo bench --bench quote -- --warm-up-time 1 --measurement-time 3`
//!
//! Groups:
//! - `quote/resolved/*`: `tariff::price::quote` with a model resolved beforehand (the
//!   engine alone);
//! - `quote/by_name/*`: `Catalog::quote`, name lookup included (an alias, as a relay
//!   receives it);
//! - `catalog/load_builtin`: parsing and validating every embedded table (their JSON form,
//!   converted by `build.rs`), beside `catalog/load_toml`: the same tables read from their
//!   TOML text, as a table given with `--prices` is (and as the built-in ones were until
//!   the JSON form);
//! - `padded/*`: the same quote against the built-in catalog plus 10,000 synthetic models
//!   (each with an alias and a pattern), next to the unpadded catalog.
//!
//! - `resolve/*`: `Catalog::resolve` alone, a known id, a known alias and an unknown name,
//!   on catalogs of 200, 2,000 and 20,000 synthetic models.
//!
//! Set `TARIFF_BENCH_PRICES=DIR` to quote against the tables of `DIR` instead of the
//! built-in ones (the load benchmark always loads the built-in tables).

use std::fmt::Write;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tariff::{price, Catalog, CatalogBuilder, Model, Usage};

/// One benchmark case: a label, the model it prices, and the usage record.
struct Case {
    label: &'static str,
    model: &'static str,
    usage: Usage,
}

fn cases() -> Vec<Case> {
    let at = r#""at": "2025-11-01T00:00:00Z""#;
    let case = |label, model, body: &str| Case {
        label,
        model,
        usage: Usage::from_json(&format!("{{{body}, {at}}}")).expect("valid usage"),
    };
    vec![
        // Every text bucket Anthropic reports: fresh input, a cache hit, 5-minute and
        // 1-hour cache writes, output and extended thinking.
        case(
            "sonnet-4-5_typical",
            "claude-sonnet-4-5",
            r#""input_tokens": 1200, "cache_read_tokens": 24000, "cache_write_tokens": 3000,
               "cache_write_1h_tokens": 1000, "output_tokens": 650, "reasoning_tokens": 900"#,
        ),
        // The same buckets above the 200K-input cliff: the tier's rates apply.
        case(
            "sonnet-4-5_above_200k",
            "claude-sonnet-4-5",
            r#""input_tokens": 180000, "cache_read_tokens": 30000, "cache_write_tokens": 4000,
               "cache_write_1h_tokens": 2000, "output_tokens": 2000, "reasoning_tokens": 4000"#,
        ),
        // An OpenAI reasoning model with a cached prefix.
        case(
            "gpt-5_cached_reasoning",
            "gpt-5",
            r#""input_tokens": 3000, "cache_read_tokens": 12000, "output_tokens": 400,
               "reasoning_tokens": 2000"#,
        ),
    ]
}

fn builder() -> CatalogBuilder {
    match std::env::var_os("TARIFF_BENCH_PRICES") {
        Some(dir) => CatalogBuilder::new().path(dir),
        None => CatalogBuilder::new().builtin(),
    }
}

fn resolve<'c>(catalog: &'c Catalog, name: &str) -> &'c Model {
    catalog.model(name).unwrap_or_else(|e| {
        panic!("the benchmark needs `{name}` in the catalog ({e}); set TARIFF_BENCH_PRICES=DIR to use other tables")
    })
}

/// The name a relay would most likely receive: the model's first alias, else its id.
fn alias(m: &Model) -> String {
    m.aliases()
        .first()
        .cloned()
        .unwrap_or_else(|| m.id().to_string())
}

/// A name that only a glob pattern resolves, if the model has a pattern.
fn pattern_name(catalog: &Catalog, m: &Model) -> Option<String> {
    m.patterns().iter().find_map(|p| {
        let name = p.replace('*', "20991231");
        // Only a name that misses the id/alias map and lands on this model.
        let exact = name == m.id() || m.aliases().contains(&name);
        (!exact && catalog.model(&name).is_ok_and(|r| r.id() == m.id())).then_some(name)
    })
}

fn quote(c: &mut Criterion) {
    let catalog = builder().build().expect("the tables load");
    let cases = cases();

    let mut g = c.benchmark_group("quote/resolved");
    g.throughput(Throughput::Elements(1));
    for case in &cases {
        let m = resolve(&catalog, case.model);
        // A record without a time would be priced at the clock's, read on every quote.
        assert!(case.usage.at.is_some(), "every case has a time");
        // Fail loudly here rather than time an error path.
        price::quote(m, &case.usage).expect("the case prices");
        g.bench_function(case.label, |b| {
            b.iter(|| price::quote(black_box(m), black_box(&case.usage)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("quote/by_name");
    g.throughput(Throughput::Elements(1));
    for case in &cases {
        let name = alias(resolve(&catalog, case.model));
        catalog.quote(&name, &case.usage).expect("the case prices");
        g.bench_function(case.label, |b| {
            b.iter(|| catalog.quote(black_box(&name), black_box(&case.usage)))
        });
    }
    g.finish();
}

fn load(c: &mut Criterion) {
    let mut g = c.benchmark_group("catalog");
    g.sample_size(20);
    g.bench_function("load_builtin", |b| {
        b.iter(|| {
            CatalogBuilder::new()
                .builtin()
                .build()
                .expect("the built-in tables load")
        })
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pricing");
    let mut tables: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("pricing/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| !p.ends_with("disagreements.toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a table is readable");
            (p.display().to_string(), text)
        })
        .collect();
    tables.sort();
    g.bench_function("load_toml", |b| {
        b.iter(|| {
            tables
                .iter()
                .fold(CatalogBuilder::new(), |b, (name, text)| {
                    b.text(name.as_str(), text.as_str())
                })
                .build()
                .expect("the tables load as TOML")
        })
    });
    g.finish();
}

/// A table of `n` synthetic models, each with an alias and a pattern whose literal part is
/// longer than any real one (so a pattern lookup tries all of them first).
fn synthetic(n: usize) -> String {
    let mut t = String::from("provider = \"synthetic\"\ncurrency = \"USD\"\n");
    for i in 0..n {
        write!(
            t,
            r#"
[[model]]
id = "synthetic-padding-model-{i:05}"
aliases = ["synthetic-padding-model-{i:05}-latest"]
patterns = ["synthetic-padding-model-{i:05}-snapshot-*"]
[[model.price]]
source = "synthetic"
as_of = 2025-01-01
rates = {{ input_tokens = {p}, output_tokens = {q}, cache_read_tokens = 0.1 }}
"#,
            p = 1 + i % 7,
            q = 2 + i % 11,
        )
        .unwrap();
    }
    t
}

fn padded(c: &mut Criterion) {
    const N: usize = 10_000;
    let plain = builder().build().expect("the tables load");
    let text = synthetic(N);
    let t = std::time::Instant::now();
    let padded = builder()
        .text("synthetic.toml", text)
        .build()
        .expect("the padded tables load");
    eprintln!(
        "padded: loading the tables plus {N} synthetic models took {:.3} s (once, not timed below)",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(padded.models().len(), plain.models().len() + N);

    let case = &cases()[0];
    assert!(case.usage.at.is_some(), "every case has a time");
    let mut g = c.benchmark_group("padded");
    g.throughput(Throughput::Elements(1));
    for (label, catalog) in [("plain", &plain), ("plus_10k", &padded)] {
        let m = resolve(catalog, case.model);
        g.bench_function(format!("resolved/{label}"), |b| {
            b.iter(|| price::quote(black_box(m), black_box(&case.usage)))
        });
        let name = alias(m);
        g.bench_function(format!("by_alias/{label}"), |b| {
            b.iter(|| catalog.quote(black_box(&name), black_box(&case.usage)))
        });
        if let Some(name) = pattern_name(catalog, m) {
            g.bench_function(format!("by_pattern/{label}"), |b| {
                b.iter(|| catalog.quote(black_box(&name), black_box(&case.usage)))
            });
        }
    }
    g.finish();
}

/// The name lookup alone, on catalogs of synthetic models only (200, 2,000 and 20,000):
/// a known id, a known alias, and an unknown name (near a real one, as a typo is), which
/// must cost about what a known name does and not grow with the catalog.
fn lookup(c: &mut Criterion) {
    let mut g = c.benchmark_group("resolve");
    g.throughput(Throughput::Elements(1));
    for n in [200, 2_000, 20_000] {
        // 20,000 synthetic models are a larger table than the default 4 MiB limit allows.
        let catalog = CatalogBuilder::new()
            .max_table_bytes(64 << 20)
            .text("synthetic.toml", synthetic(n))
            .build()
            .expect("the synthetic tables load");
        let names = [
            ("known_id", "synthetic-padding-model-00100"),
            ("known_alias", "synthetic-padding-model-00100-latest"),
            ("unknown", "synthetic-paddng-model-00100-latest"),
        ];
        for (label, name) in names {
            assert_eq!(
                catalog.resolve(name).is_some(),
                label != "unknown",
                "{label}: {name}"
            );
            g.bench_function(format!("{label}/{n}"), |b| {
                b.iter(|| catalog.resolve(black_box(name)).is_some())
            });
        }
    }
    g.finish();
}

criterion_group!(benches, quote, load, padded, lookup);
criterion_main!(benches);
