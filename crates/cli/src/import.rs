//! `tariff import`: another relay's price data in, tariff price tables out.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use rust_decimal::Decimal;
use tariff::convert::newapi::defaults;
use tariff::convert::{litellm, newapi, Collision};
use tariff::Catalog;

/// The formats `tariff import` reads.
#[derive(Clone, Copy, ValueEnum)]
pub enum From {
    /// new-api's ratio options: {"ModelRatio": {...}, "CompletionRatio": {...}, ...},
    /// at new-api's effective ratios (its defaults and name rules for --new-api-version).
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
    /// (new-api) The new-api version whose default ratios and name rules apply
    /// (default: the newest in data/new-api).
    #[arg(long, value_name = "V")]
    new_api_version: Option<String>,
    /// (new-api) The operation setting SelfUseModeEnabled is on: a model with no price
    /// and no ratio is priced at new-api's fallback ratio 37.5 (also read from an
    /// /api/option/ response).
    #[arg(long)]
    self_use_mode: bool,
    /// (new-api) Users accept unset-ratio models (accept_unset_model_ratio_model): the
    /// 37.5 fallback applies instead of a refusal.
    #[arg(long)]
    accept_unset_ratio_model: bool,
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
    let (tables, report, report_json, groups) = match a.from {
        From::NewApi => {
            let versions = defaults::Versions::embedded()?;
            let version = match &a.new_api_version {
                Some(v) => versions.get(v)?,
                None => versions.newest(),
            };
            let mut options = defaults::Options::from_json(&text, version)
                .with_context(|| format!("reading {}", a.file.display()))?;
            if a.self_use_mode {
                options = options.with_condition("self_use_mode_enabled")?;
            }
            if a.accept_unset_ratio_model {
                options = options.with_condition("user_accept_unset_ratio_model")?;
            }
            eprintln!(
                "new-api {} ({}): its default ratios and name rules apply",
                version.id, version.commit
            );
            let opts = newapi::ImportOptions {
                provider: a.provider.clone(),
                quota_per_unit: a.quota_per_unit,
                collisions,
                ..newapi::ImportOptions::new(source, as_of)
            };
            let mut out = defaults::import(version, &options, &opts, base)
                .with_context(|| format!("importing {}", a.file.display()))?;
            for k in &options.ignored {
                *out.report.ignored.entry(k.clone()).or_default() += 1;
            }
            let stem = a.provider.replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
                "-",
            );
            let json = out.report_json(version, &options);
            (
                vec![(stem, out.table)],
                out.report,
                json,
                Some(out.group_ratio),
            )
        }
        From::Litellm => {
            let opts = litellm::ImportOptions {
                source,
                as_of,
                collisions,
            };
            let out = litellm::import(&text, &opts, base)
                .with_context(|| format!("reading {}", a.file.display()))?;
            let json = serde_json::to_string_pretty(&out.report)?;
            (out.tables, out.report, json, None)
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
    write(&a.out.join("import-report.json"), &report_json)?;
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
