//! `tariff sources diff` and `tariff sources check`: the tables against LiteLLM and
//! genai-prices, and the disagreements file that explains what differs.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clap::{Args, Subcommand};
use tariff::sources::explain::{self, Check, Item, ItemKind};
use tariff::sources::{self, Diff, Source, SourceKind};
use tariff::Catalog;

use crate::input::parse_time;

/// The `sources` subcommands.
#[derive(Subcommand)]
pub enum SourcesCommand {
    /// Compare the tables with LiteLLM's price map or genai-prices' data at a date.
    Diff(DiffArgs),
    /// Check every source given against the disagreements file (non-zero exit on anything
    /// of the seed's providers it does not explain, and on stale entries).
    Check(CheckArgs),
}

/// `tariff sources diff`.
#[derive(Args)]
pub struct DiffArgs {
    /// The source's kind: litellm or genai-prices (its data file or a release's dump, detected).
    #[arg(long = "from", value_parser = ["litellm", "genai-prices"])]
    from: String,
    /// The source's JSON file.
    file: PathBuf,
    /// The instant compared at (RFC 3339, or YYYY-MM-DD = midnight UTC); default now.
    #[arg(long)]
    at: Option<String>,
    /// Only this tariff provider.
    #[arg(long)]
    provider: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Check the diff against this disagreements file (exit non-zero on unexplained items
    /// of the seed's providers and on stale entries for this source).
    #[arg(long, value_name = "FILE")]
    check: Option<PathBuf>,
    /// With --check: print a TOML stub for each unexplained item (verdict and evidence to
    /// be filled in by hand).
    #[arg(long, requires = "check")]
    emit_skeleton: bool,
}

/// `tariff sources check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The disagreements file.
    #[arg(long, default_value = "pricing/disagreements.toml")]
    disagreements: PathBuf,
    /// LiteLLM price maps to check (repeatable).
    #[arg(long, value_name = "FILE")]
    litellm: Vec<PathBuf>,
    /// genai-prices data files or dumps to check (repeatable).
    #[arg(long = "genai-prices", value_name = "FILE")]
    genai_prices: Vec<PathBuf>,
    /// The instant compared at (RFC 3339, or YYYY-MM-DD = midnight UTC); default now.
    #[arg(long)]
    at: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Print a TOML stub for each unexplained item instead of the report.
    #[arg(long)]
    emit_skeleton: bool,
}

/// Runs a `sources` subcommand.
pub fn run(catalog: &Catalog, cmd: SourcesCommand) -> Result<()> {
    match cmd {
        SourcesCommand::Diff(a) => {
            let kind = SourceKind::parse(&a.from).expect("clap checks the value");
            let source = read(kind, &a.file, a.at.as_deref())?;
            let d = sources::diff(catalog, &source, a.provider.as_deref());
            let Some(file) = a.check else {
                if a.json {
                    println!("{}", serde_json::to_string_pretty(&d)?);
                } else {
                    print_diff(&d, &a.file);
                }
                return Ok(());
            };
            // With --provider, entries of other providers are not judged (nor stale).
            let entries: Vec<_> = read_entries(&file)?
                .into_iter()
                .filter(|e| a.provider.as_deref().is_none_or(|p| e.provider == p))
                .collect();
            let c = explain::check(&entries, std::slice::from_ref(&d));
            report_check(&c, &[(d, a.file)], a.json, a.emit_skeleton, &file)
        }
        SourcesCommand::Check(a) => {
            if a.litellm.is_empty() && a.genai_prices.is_empty() {
                bail!("name at least one source: --litellm FILE or --genai-prices FILE");
            }
            let entries = read_entries(&a.disagreements)?;
            let mut diffs = Vec::new();
            for (kind, files) in [
                (SourceKind::Litellm, &a.litellm),
                (SourceKind::GenaiPrices, &a.genai_prices),
            ] {
                for f in files {
                    let s = read(kind, f, a.at.as_deref())?;
                    diffs.push((sources::diff(catalog, &s, None), f.clone()));
                }
            }
            let only: Vec<Diff> = diffs.iter().map(|(d, _)| d.clone()).collect();
            let c = explain::check(&entries, &only);
            report_check(&c, &diffs, a.json, a.emit_skeleton, &a.disagreements)
        }
    }
}

fn read(kind: SourceKind, file: &PathBuf, at: Option<&str>) -> Result<Source> {
    let at = match at {
        Some(t) => parse_time(t)?,
        None => Utc::now(),
    };
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let s = match kind {
        SourceKind::Litellm => sources::read_litellm(&text, at),
        SourceKind::GenaiPrices => sources::read_genai_prices(&text, at),
    };
    s.with_context(|| format!("reading {} as {kind}", file.display()))
}

fn read_entries(file: &PathBuf) -> Result<Vec<explain::Entry>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(explain::parse(&file.display().to_string(), &text)?)
}

fn print_diff(d: &Diff, file: &std::path::Path) {
    println!(
        "{} ({}) against tariff at {}",
        file.display(),
        d.format,
        d.at.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let (l, x, r) = d.counts();
    println!(
        "{:<12} {:>7} {:>6} {:>8} {:>8} {:>9}",
        "provider", "matched", "lacks", "differs", "retired", "agreeing"
    );
    for (p, pd) in &d.providers {
        println!(
            "{:<12} {:>7} {:>6} {:>8} {:>8} {:>9}",
            p,
            pd.matched,
            pd.lacks.len(),
            pd.differs.len(),
            pd.retired.len(),
            pd.agreeing_buckets
        );
    }
    println!("total: {l} lacking models, {x} differing prices, {r} retired models\n");
    for (p, pd) in &d.providers {
        if pd.lacks.is_empty()
            && pd.differs.is_empty()
            && pd.retired.is_empty()
            && pd.other_currency.is_empty()
        {
            continue;
        }
        println!("== {p}");
        if !pd.lacks.is_empty() {
            println!("  lacks ({}):", pd.lacks.len());
            for m in &pd.lacks {
                println!("    {:<44} {}", m.model, m.source_keys.join(", "));
            }
        }
        if !pd.differs.is_empty() {
            println!("  differs ({}):", pd.differs.len());
            let mut last = "";
            for x in &pd.differs {
                if x.model != last {
                    println!("    {}  (tariff: {})", x.model, x.tariff_source);
                    last = &x.model;
                }
                println!(
                    "      {:<40} tariff {:>12}  {} {:>12}",
                    x.bucket, x.tariff, d.source, x.other
                );
            }
        }
        if !pd.retired.is_empty() {
            println!(
                "  retired by the source, still priced ({}):",
                pd.retired.len()
            );
            for r in &pd.retired {
                println!("    {:<44} {} ({})", r.model, r.source_key, r.reason);
            }
        }
        if !pd.other_currency.is_empty() {
            println!(
                "  not compared (priced in another currency): {}",
                pd.other_currency.join(", ")
            );
        }
    }
    if !d.other_providers.is_empty() {
        let n: usize = d.other_providers.values().sum();
        println!(
            "\nnot compared: {n} models of {} providers with no tariff counterpart (--json lists them)",
            d.other_providers.len()
        );
    }
}

fn report_check(
    c: &Check,
    diffs: &[(Diff, PathBuf)],
    json: bool,
    skeleton: bool,
    file: &std::path::Path,
) -> Result<()> {
    if skeleton {
        print!("{}", explain::skeleton(&c.unexplained));
    } else if json {
        println!("{}", serde_json::to_string_pretty(c)?);
    } else {
        for (d, f) in diffs {
            let (l, x, r) = d.counts();
            println!(
                "{} ({}): {l} lacking, {x} differing, {r} retired",
                f.display(),
                d.format
            );
        }
        println!(
            "{}: {} items explained, {} unexplained for the seed's providers, {} unexplained for others (not enforced), {} stale entries",
            file.display(),
            c.explained,
            c.unexplained.len(),
            c.unexplained_other.len(),
            c.stale.len()
        );
        for i in &c.unexplained {
            println!("  unexplained: {}", describe(i));
        }
        for st in &c.stale {
            let (i, e) = (st.index, &st.entry);
            println!(
                "  stale: explained[{i}] {} {} {}{} matches nothing",
                e.kind.name(),
                e.provider,
                e.model,
                e.bucket
                    .as_deref()
                    .map(|b| format!(" [{b}]"))
                    .unwrap_or_default()
            );
        }
    }
    if !c.passes() {
        bail!(
            "{} unexplained item(s), {} stale entr(ies) in {} (tariff sources check --emit-skeleton prints stubs)",
            c.unexplained.len(),
            c.stale.len(),
            file.display()
        );
    }
    Ok(())
}

fn describe(i: &Item) -> String {
    match i.kind {
        ItemKind::Differs => format!(
            "{} differs {} {} {}: tariff {} vs {}",
            i.source,
            i.provider,
            i.model,
            i.bucket.as_deref().unwrap_or_default(),
            i.tariff.map(|d| d.to_string()).unwrap_or_default(),
            i.other.map(|d| d.to_string()).unwrap_or_default()
        ),
        k => format!(
            "{} {} {} {} ({})",
            i.source,
            k.name(),
            i.provider,
            i.model,
            i.detail.as_deref().unwrap_or_default()
        ),
    }
}
