//! Prices a file of usage records with the built-in catalog and reports the throughput.
//!
//! ```text
//! cargo run --release --example price_records -- RECORDS.jsonl [--repeat N] [--totals OUT.tsv]
//! ```
//!
//! Each line of `RECORDS.jsonl` is an object with at least `"id"`, `"model"` (a name as a
//! relay receives it) and `"usage"` (a canonical usage record); other fields are ignored.
//! All records are parsed up front; then pricing every record, name lookup included
//! (`Catalog::quote`), is timed `N` times (default 20) and the best pass is reported, next
//! to the same with models resolved beforehand (`tariff::price::quote`).
//!
//! It prints the number of records, the exact sum of their totals, and records/s.
//! `--totals` writes one line per record, `id<TAB>total<TAB>input side<TAB>output side`
//! (or `id<TAB>ERROR<TAB>message`), for comparison with other tools.
//!
//! `TARIFF_BENCH_PRICES=DIR` prices with the tables of `DIR` instead of the built-in ones.

use std::hint::black_box;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use tariff::{price, Bill, CatalogBuilder, Unit, Usage};

struct Record {
    id: String,
    model: String,
    usage: Usage,
}

struct Args {
    records: String,
    repeat: usize,
    totals: Option<String>,
}

fn args() -> Result<Args, String> {
    let mut records = None;
    let mut repeat = 20;
    let mut totals = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--repeat" => {
                repeat = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--repeat takes a positive number")?
            }
            "--totals" => totals = Some(it.next().ok_or("--totals takes a file name")?),
            _ if records.is_none() && !a.starts_with("--") => records = Some(a),
            _ => return Err(format!("unexpected argument `{a}`")),
        }
    }
    Ok(Args {
        records: records
            .ok_or("usage: price_records RECORDS.jsonl [--repeat N] [--totals OUT.tsv]")?,
        repeat,
        totals,
    })
}

fn read(path: &str) -> Result<Vec<Record>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = || format!("{path}:{}", i + 1);
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{}: {e}", at()))?;
        let field = |k: &str| v.get(k).ok_or_else(|| format!("{}: no `{k}`", at()));
        let id = match field("id")? {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let model = field("model")?
            .as_str()
            .ok_or_else(|| format!("{}: `model` is not a string", at()))?
            .to_string();
        let usage =
            Usage::from_json(&field("usage")?.to_string()).map_err(|e| format!("{}: {e}", at()))?;
        out.push(Record { id, model, usage });
    }
    Ok(out)
}

/// The best of `repeat` passes of `f` over all records.
fn best(repeat: usize, mut f: impl FnMut() -> Decimal) -> (Duration, Decimal) {
    let mut best = Duration::MAX;
    let mut sum = Decimal::ZERO;
    for _ in 0..repeat {
        let t = Instant::now();
        sum = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, sum)
}

fn output_side(u: Unit) -> bool {
    matches!(
        u,
        Unit::OutputTokens
            | Unit::ReasoningTokens
            | Unit::AudioOutputTokens
            | Unit::ImageOutputTokens
    )
}

fn sides(b: &Bill) -> (Decimal, Decimal) {
    let out: Decimal = b
        .lines()
        .iter()
        .filter(|l| output_side(l.unit()))
        .map(|l| l.amount())
        .sum();
    (b.total() - out, out)
}

fn run() -> Result<(), String> {
    let args = args()?;
    let load = Instant::now();
    let catalog = match std::env::var_os("TARIFF_BENCH_PRICES") {
        Some(dir) => CatalogBuilder::new().path(dir),
        None => CatalogBuilder::new().builtin(),
    }
    .build()
    .map_err(|e| e.to_string())?;
    let load = load.elapsed();
    let records = read(&args.records)?;

    // One untimed pass: every record's bill, for the totals file and to leave out of the
    // timing any record the catalog cannot price (each one is reported).
    let bills: Vec<Result<Bill, String>> = records
        .iter()
        .map(|r| catalog.quote(&r.model, &r.usage).map_err(|e| e.to_string()))
        .collect();
    if let Some(path) = &args.totals {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?,
        );
        for (r, b) in records.iter().zip(&bills) {
            let line = match b {
                Ok(b) => {
                    let (i, o) = sides(b);
                    format!("{}\t{}\t{}\t{}", r.id, b.total(), i, o)
                }
                Err(e) => format!("{}\tERROR\t{}", r.id, e.replace(['\t', '\n'], " ")),
            };
            writeln!(f, "{line}").map_err(|e| format!("{path}: {e}"))?;
        }
    }
    let failed: Vec<(&Record, &String)> = records
        .iter()
        .zip(&bills)
        .filter_map(|(r, b)| b.as_ref().err().map(|e| (r, e)))
        .collect();
    for (r, e) in failed.iter().take(5) {
        eprintln!("record {} ({}): {e}", r.id, r.model);
    }
    if !failed.is_empty() {
        eprintln!(
            "{} of {} records could not be priced; they are left out of the timing",
            failed.len(),
            records.len()
        );
    }
    let ok: Vec<&Record> = records
        .iter()
        .zip(&bills)
        .filter(|(_, b)| b.is_ok())
        .map(|(r, _)| r)
        .collect();

    let (by_name, sum) = best(args.repeat, || {
        let mut sum = Decimal::ZERO;
        for r in &ok {
            let bill = catalog
                .quote(black_box(&r.model), black_box(&r.usage))
                .expect("priced in the first pass");
            sum += bill.total();
        }
        sum
    });
    let resolved: Vec<(&tariff::Model, &Usage)> = ok
        .iter()
        .map(|r| (catalog.model(&r.model).expect("resolved"), &r.usage))
        .collect();
    let (pre, sum2) = best(args.repeat, || {
        let mut sum = Decimal::ZERO;
        for (m, u) in &resolved {
            let bill = price::quote(black_box(m), black_box(u)).expect("priced");
            sum += bill.total();
        }
        sum
    });
    assert_eq!(sum, sum2, "both passes price the same");

    let rate = |d: Duration| ok.len() as f64 / d.as_secs_f64();
    println!("catalog_load_s\t{:.6}", load.as_secs_f64());
    println!("models\t{}", catalog.models().len());
    println!("records\t{}", records.len());
    println!("priced\t{}", ok.len());
    println!("sum_of_totals\t{sum}");
    println!("repeat\t{}", args.repeat);
    println!("by_name_records_per_s\t{:.0}", rate(by_name));
    println!("resolved_records_per_s\t{:.0}", rate(pre));
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("price_records: {e}");
            ExitCode::FAILURE
        }
    }
}
