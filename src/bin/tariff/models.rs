//! `tariff models` and `tariff check`: what the price tables hold, and whether they load.

use std::path::PathBuf;

use anyhow::Result;
use chrono::Utc;
use tariff::{Catalog, ServiceTier};

/// Loads the given tables (or the built-in ones) and prints how many models and schedules
/// they hold; every problem is an error naming its file and line.
pub fn check(paths: &[PathBuf]) -> Result<()> {
    let mut b = Catalog::builder();
    b = if paths.is_empty() {
        b.builtin()
    } else {
        paths.iter().fold(b, |b, p| b.path(p))
    };
    let c = match b.build() {
        Ok(c) => c,
        // A table that re-prices built-in models (`replaces = true`, as `tariff import`
        // writes) is checked where it is used: on top of the built-in tables.
        Err(e)
            if !paths.is_empty()
                && e.problems
                    .iter()
                    .all(|p| p.message.contains("replaces nothing")) =>
        {
            let c = paths
                .iter()
                .fold(Catalog::builder().builtin(), |b, p| b.path(p))
                .build()?;
            eprintln!(
                "{} model(s) replace built-in ones: checked on top of the built-in tables",
                e.problems.len()
            );
            c
        }
        Err(e) => return Err(e.into()),
    };
    let schedules: usize = c.models().iter().map(|m| m.schedules().len()).sum();
    println!(
        "ok: {} models, {} price schedules",
        c.models().len(),
        schedules
    );
    Ok(())
}

/// Lists the models of the catalog, as a table or JSON.
pub fn list(catalog: &Catalog, json: bool, provider: Option<&str>) -> Result<()> {
    let now = Utc::now();
    let list: Vec<_> = catalog
        .models()
        .iter()
        .filter(|m| provider.is_none_or(|p| m.provider() == p))
        .collect();
    if json {
        let out: Vec<_> = list
            .iter()
            .map(|m| {
                serde_json::json!({
                    "id": m.id(),
                    "name": m.name(),
                    "provider": m.provider(),
                    "kind": m.kind(),
                    "aliases": m.aliases(),
                    "patterns": m.patterns(),
                    "currency": m.current(now).map(|s| s.currency.to_string()),
                    "service_tiers": tiers_of(m),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{:<40} {:<10} {:<11} {:<8} tiers",
        "model", "provider", "kind", "currency"
    );
    for m in list {
        let kind = serde_json::to_value(m.kind())?
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ccy = m
            .current(now)
            .map(|s| s.currency.to_string())
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<40} {:<10} {:<11} {:<8} {}",
            m.id(),
            m.provider(),
            kind,
            ccy,
            tiers_of(m).join(",")
        );
    }
    Ok(())
}

fn tiers_of(m: &tariff::Model) -> Vec<&'static str> {
    let mut t: Vec<ServiceTier> = m.schedules().iter().map(|s| s.service_tier).collect();
    t.sort();
    t.dedup();
    t.into_iter().map(ServiceTier::name).collect()
}

/// Lists every price change in the tables (`tariff models --changes`).
pub fn changes(
    catalog: &Catalog,
    json: bool,
    provider: Option<&str>,
    since: Option<chrono::DateTime<Utc>>,
) -> Result<()> {
    let list = tariff::sources::changes::changes(catalog, since, provider);
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    // A derived schedule's factor is a ratio, not money.
    let show = |d: Option<rust_decimal::Decimal>, ccy: &str, bucket: &str| match d {
        Some(d) if bucket == "scale" => d.to_string(),
        Some(d) => format!("{d} {ccy}"),
        None => "-".to_string(),
    };
    println!(
        "{:<10} {:<32} {:<14} {:<40} {:>14}    {:<14} source",
        "effective", "model", "tier", "bucket", "old", "new"
    );
    for c in &list {
        let tier = match &c.region {
            Some(r) => format!("{} [{r}]", c.service_tier.name()),
            None => c.service_tier.name().to_string(),
        };
        println!(
            "{:<10} {:<32} {:<14} {:<40} {:>14} -> {:<14} {}",
            c.effective.format("%Y-%m-%d"),
            c.model,
            tier,
            c.bucket,
            show(c.old, &c.old_currency, &c.bucket),
            show(c.new, &c.currency, &c.bucket),
            c.source
        );
    }
    println!("{} price changes", list.len());
    Ok(())
}
