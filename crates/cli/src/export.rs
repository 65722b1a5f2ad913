//! `tariff export`: tariff price tables out, as new-api's ratio options or `/api/pricing`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use rust_decimal::Decimal;
use tariff::convert::newapi;
use tariff::{Catalog, FxTable};

use crate::input::parse_time;

/// The formats `tariff export` writes.
#[derive(Clone, Copy, ValueEnum)]
pub enum To {
    /// new-api's ratio options: one object per option name.
    NewApi,
    /// The shape of new-api's `/api/pricing` response.
    NewApiPricing,
}

/// Arguments of `tariff export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The format to write (to stdout).
    #[arg(long, value_enum)]
    to: To,
    /// Export the prices in force at this time (RFC 3339 or YYYY-MM-DD; default now).
    #[arg(long)]
    at: Option<String>,
    /// Exchange rates for models priced in other currencies: a JSON list of
    /// {from, to, rate, date, source} with rates to USD. Without one they are not exported.
    #[arg(long, value_name = "FILE")]
    fx: Option<PathBuf>,
    /// Only this provider's models.
    #[arg(long)]
    provider: Option<String>,
    /// GroupRatio to include: a JSON object of group -> ratio, or options with a GroupRatio.
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
    /// Write only each model's id, not its aliases, as keys.
    #[arg(long)]
    no_aliases: bool,
    /// Quota units per US dollar.
    #[arg(long, default_value = "500000")]
    quota_per_unit: Decimal,
    /// Also write the full report (what could not be expressed) as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// Exports the catalog's prices and prints them; the report's summary goes to stderr.
pub fn run(catalog: &Catalog, a: ExportArgs) -> Result<()> {
    let at = match &a.at {
        Some(t) => parse_time(t)?,
        None => chrono::Utc::now(),
    };
    let mut opts = newapi::ExportOptions::new(at);
    opts.quota_per_unit = a.quota_per_unit;
    opts.provider = a.provider.clone();
    opts.aliases = !a.no_aliases;
    if let Some(p) = &a.fx {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        opts.fx = Some(FxTable::from_json(&text).with_context(|| format!("--fx {}", p.display()))?);
    }
    if let Some(p) = &a.groups {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let config = if text.contains("\"GroupRatio\"") {
            newapi::RatioConfig::from_json(&text)
        } else {
            newapi::RatioConfig::from_json(&format!("{{\"GroupRatio\": {text}}}"))
        }
        .with_context(|| format!("reading {}", p.display()))?;
        opts.group_ratio = config.group_ratio;
    }
    let out = newapi::export(catalog, &opts);
    match a.to {
        To::NewApi => println!("{}", out.config.to_json()),
        To::NewApiPricing => println!("{}", out.pricing_json()),
    }
    eprint!("{}", out.report.summary());
    if let Some(p) = &a.report {
        std::fs::write(p, serde_json::to_string_pretty(&out.report)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}
