//! `tariff models` and `tariff check`: what the price tables hold, and whether they load.

use std::path::PathBuf;

use anyhow::Result;
use chrono::Utc;
use tariff::{Catalog, ServiceTier};

/// Loads the given tables on top of the built-in ones (unless `with_builtin` is false),
/// exactly as `--prices` does (so that a table `check` accepts is one `--prices` accepts),
/// and prints how many models and schedules the result holds; every problem is an error
/// naming its file and line.
pub fn check(paths: &[PathBuf], with_builtin: bool) -> Result<()> {
    let start = if with_builtin {
        Catalog::builder().builtin()
    } else {
        Catalog::builder()
    };
    let c = paths.iter().fold(start, |b, p| b.path(p)).build()?;
    // The built-in tables come first in the catalog; a given table's models that replace
    // built-in ones take their places, so what follows them is what the given tables add.
    let builtin = if paths.is_empty() || !with_builtin {
        0
    } else {
        Catalog::builtin().models().len()
    };
    let added = &c.models()[builtin.min(c.models().len())..];
    let schedules: usize = added.iter().map(|m| m.schedules().len()).sum();
    print!("ok: {} models, {} price schedules", added.len(), schedules);
    if paths.is_empty() || !with_builtin {
        println!();
    } else {
        println!(" added to the {builtin} built-in models (loaded as --prices loads them)");
    }
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
                    "currency": m.current(now).map(|s| s.currency().to_string()),
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
            .map(|s| s.currency().to_string())
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
    let mut t: Vec<ServiceTier> = m.schedules().iter().map(|s| s.service_tier()).collect();
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
