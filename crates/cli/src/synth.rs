//! `tariff synth`: realistic synthetic logs, seeded and deterministic.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use tariff::synth::{Inject, Synth, SynthFormat, SynthOptions};
use tariff::Catalog;

use crate::atomic::AtomicFile;

/// Arguments of `tariff synth`.
#[derive(Args)]
pub struct SynthArgs {
    /// Number of rows.
    #[arg(long)]
    rows: u64,
    /// canonical-jsonl, canonical-csv, new-api-jsonl or new-api-csv.
    #[arg(long, value_parser = parse_format, required_unless_present = "new_api_db", conflicts_with = "new_api_db")]
    format: Option<SynthFormat>,
    /// Create new-api's `logs` table in this database (sqlite://PATH, postgres://…,
    /// mysql://…) and fill it with the rows, as new-api consume logs; `--out` then writes
    /// the same rows as new-api JSON lines.
    #[arg(long, value_name = "URL")]
    new_api_db: Option<String>,
    /// The seed: the same seed gives the same bytes.
    #[arg(long, default_value = "1")]
    seed: u64,
    /// Discrepancies to inject: price, cache, reasoning, missing, rounding, unknown.
    #[arg(long, value_delimiter = ',', value_parser = parse_inject)]
    inject: Vec<Inject>,
    /// The share of rows to inject into (0 to 1).
    #[arg(long, default_value = "0.01")]
    rate: f64,
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<SynthFormat, String> {
    SynthFormat::parse(s).ok_or_else(|| {
        format!("unknown format `{s}`; formats: canonical-jsonl, canonical-csv, new-api-jsonl, new-api-csv")
    })
}

fn parse_inject(s: &str) -> Result<Inject, String> {
    Inject::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Inject::ALL.iter().map(|k| k.name()).collect();
        format!("unknown discrepancy `{s}`; kinds: {}", names.join(", "))
    })
}

/// Writes the rows.
pub fn run(catalog: &Catalog, a: SynthArgs) -> Result<()> {
    let synth = Synth::new(
        catalog,
        SynthOptions {
            rows: a.rows,
            format: a.format.unwrap_or(SynthFormat::NewApiJsonl),
            seed: a.seed,
            inject: a.inject,
            rate: a.rate,
        },
    )?;
    if let Some(url) = &a.new_api_db {
        return fill_db(url, synth, a.out.as_deref());
    }
    let write_all = |w: &mut dyn Write, synth: Synth<'_>| -> std::io::Result<()> {
        if let Some(h) = synth.header() {
            w.write_all(h.as_bytes())?;
        }
        for row in synth {
            w.write_all(row.text.as_bytes())?;
        }
        w.flush()
    };
    match &a.out {
        // Written whole or not at all (see `atomic`).
        Some(p) => {
            let mut file = AtomicFile::create(p)?;
            write_all(file.writer(), synth).with_context(|| format!("writing {}", p.display()))?;
            file.commit()
        }
        None => {
            let mut w = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            if let Err(e) = write_all(&mut w, synth) {
                crate::out::stdout_result(Err(e));
            }
            Ok(())
        }
    }
}

/// Fills new-api's `logs` table with the rows (new-api JSON lines, each parsed back into
/// the table's columns), writing the same lines to `out` when given.
fn fill_db(url: &str, synth: Synth<'_>, out: Option<&std::path::Path>) -> Result<()> {
    let mut file = out.map(AtomicFile::create).transpose()?;
    let rows = synth.map(|row| -> Result<crate::newapi_db::LogRecord> {
        if let (Some(f), Some(p)) = (file.as_mut(), out) {
            f.writer()
                .write_all(row.text.as_bytes())
                .with_context(|| format!("writing {}", p.display()))?;
        }
        serde_json::from_str(&row.text)
            .context("a synthetic new-api row as the logs table's columns")
    });
    let n = crate::newapi_db::create_and_fill(url, rows)?;
    if let Some(f) = file {
        f.commit()?;
    }
    eprintln!("{n} rows written to table logs");
    Ok(())
}
