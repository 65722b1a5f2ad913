//! `tariff import`: another relay's price data in, tariff price tables out.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use rust_decimal::Decimal;
use tariff::convert::{litellm, newapi, Collision, Report};
use tariff::Catalog;

/// The formats `tariff import` reads.
#[derive(Clone, Copy, ValueEnum)]
pub enum From {
    /// new-api's ratio options: {"ModelRatio": {...}, "CompletionRatio": {...}, ...}.
    NewApi,
    /// LiteLLM's model price map (model_prices_and_context_window.json).
    Litellm,
}

/// Arguments of `tariff import`.
#[derive(Args)]
pub struct ImportArgs {
    /// The format of FILE.
    #[arg(long, value_enum)]
    from: From,
    /// The file to import.
    file: PathBuf,
    /// Directory to write the price tables and import-report.json into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The date the prices were read, written as every schedule's `as_of`
    /// (default: the file's modification date).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// Leave out models the base tables already price, instead of writing them with
    /// `replaces = true`.
    #[arg(long)]
    skip_existing: bool,
    /// (new-api) Quota units per US dollar.
    #[arg(long, default_value = "500000")]
    quota_per_unit: Decimal,
    /// (new-api) Provider id of the table written.
    #[arg(long, default_value = "new-api")]
    provider: String,
}

/// Imports the file into `args.out`, checks that the tables load on top of the base
/// tables, and reports what could not be carried over on stderr and in
/// `import-report.json`.
pub fn run(base: &Catalog, extra: &[PathBuf], a: ImportArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("reading {}", a.file.display()))?;
    let as_of = match &a.as_of {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .with_context(|| format!("--as-of `{d}` is not a YYYY-MM-DD date"))?,
        None => {
            let modified = std::fs::metadata(&a.file)
                .and_then(|m| m.modified())
                .with_context(|| {
                    format!("reading the modification time of {}", a.file.display())
                })?;
            let d = chrono::DateTime::<chrono::Utc>::from(modified).date_naive();
            eprintln!(
                "as_of {d}: the modification date of {} (pass --as-of to set it)",
                a.file.display()
            );
            d
        }
    };
    let source = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| a.file.display().to_string());
    let collisions = if a.skip_existing {
        Collision::Skip
    } else {
        Collision::Replace
    };
    let (tables, report, groups) = match a.from {
        From::NewApi => {
            let (config, settings) = newapi::RatioConfig::from_any_json(&text)
                .with_context(|| format!("reading {}", a.file.display()))?;
            let opts = newapi::ImportOptions {
                provider: a.provider.clone(),
                quota_per_unit: a.quota_per_unit,
                collisions,
                ..newapi::ImportOptions::new(source, as_of)
            };
            let mut out = newapi::import(&config, &opts, base);
            for k in settings {
                *out.report.ignored.entry(k).or_default() += 1;
            }
            let stem = a.provider.replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
                "-",
            );
            (vec![(stem, out.table)], out.report, Some(out.group_ratio))
        }
        From::Litellm => {
            let opts = litellm::ImportOptions {
                source,
                as_of,
                collisions,
            };
            let out = litellm::import(&text, &opts, base)
                .with_context(|| format!("reading {}", a.file.display()))?;
            (out.tables, out.report, None)
        }
    };
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut written = Vec::new();
    for (stem, table) in &tables {
        let path = a.out.join(format!("{stem}.toml"));
        write(&path, &table.to_toml())?;
        written.push((path, table.models.len()));
    }
    if let Some(groups) = groups.filter(|g| !g.is_empty()) {
        let config = newapi::RatioConfig {
            group_ratio: groups,
            ..Default::default()
        };
        let path = a.out.join("group-ratio.json");
        write(&path, &config.to_json())?;
        println!(
            "wrote GroupRatio to {} (for `tariff export --groups`)",
            path.display()
        );
    }
    write_report(&a.out, &report)?;
    eprint!("{}", report.summary());
    // The tables must load where they will be used: on top of the base tables.
    let mut b = Catalog::builder().builtin();
    for p in extra {
        b = b.path(p);
    }
    for (path, _) in &written {
        b = b.path(path);
    }
    if let Err(e) = b.build() {
        bail!("the imported tables do not load: {e}");
    }
    for (path, n) in written {
        println!("wrote {n} models to {}", path.display());
    }
    println!("report: {}", a.out.join("import-report.json").display());
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn write_report(dir: &Path, report: &Report) -> Result<()> {
    write(
        &dir.join("import-report.json"),
        &serde_json::to_string_pretty(report)?,
    )
}
