//! LiteLLM's price map read as a [`Source`], through the importer's key mapping.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::{dedupe, map_provider, tier_prefix, Source, SourceError, SourceKind, SourceModel};
use crate::catalog::{Catalog, Window};
use crate::convert::litellm::{import, ImportOptions};
use crate::convert::{Collision, Rates};

/// Reads LiteLLM's `model_prices_and_context_window.json` at an instant.
///
/// Keys map to buckets exactly as `tariff import --from litellm` maps them (costs per token
/// become exact per-1M prices); an entry whose `deprecation_date` is on or before the
/// instant's date is retired. Entries of providers that map to no tariff provider are only
/// counted.
///
/// ```
/// use tariff_operations::sources::{read_litellm, SourceKind};
/// let json = r#"{"gpt-x": {"litellm_provider": "openai", "mode": "chat",
///     "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05}}"#;
/// let s = read_litellm(json, "2026-12-06T12:00:00Z".parse()?)?;
/// assert_eq!(s.kind, SourceKind::Litellm);
/// assert_eq!(s.models[0].prices["input_tokens"].to_string(), "1.25");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_litellm(text: &str, at: DateTime<Utc>) -> Result<Source, SourceError> {
    let opts = ImportOptions {
        source: "LiteLLM".into(),
        as_of: at.date_naive(),
        collisions: Collision::Replace,
    };
    let imported = import(text, &opts, &Catalog::default())?;
    // Deprecation dates are not prices: the importer leaves them out; read them here.
    let top: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(text).map_err(|e| SourceError::Shape {
            what: "LiteLLM price map".into(),
            message: e.to_string(),
        })?;
    let deprecation = |key: &str| -> Option<NaiveDate> {
        #[derive(serde::Deserialize)]
        struct Dep {
            deprecation_date: Option<String>,
        }
        let raw = top.get(key)?;
        let d: Dep = serde_json::from_str(raw.get()).ok()?;
        NaiveDate::parse_from_str(d.deprecation_date?.trim(), "%Y-%m-%d").ok()
    };
    let mut unread = imported.report.unmapped.clone();
    let mut other_providers = BTreeMap::new();
    let mut models = Vec::new();
    for (_, table) in &imported.tables {
        let Some((provider, rank)) = map_provider(SourceKind::Litellm, &table.provider) else {
            *other_providers.entry(table.provider.clone()).or_default() += table.models.len();
            continue;
        };
        for m in &table.models {
            let mut names = vec![strip(&m.id).to_string()];
            for a in &m.aliases {
                let a = strip(a).to_string();
                if !names.contains(&a) {
                    names.push(a);
                }
            }
            let mut prices = BTreeMap::new();
            for s in &m.schedules {
                let prefix = tier_prefix(s.service_tier);
                let mut layer = BTreeMap::new();
                rates(&s.rates, "", &mut layer);
                if let Some(w) = s.windows.iter().rev().find(|w| window_holds(w, at)) {
                    rates(&w.rates, "", &mut layer);
                }
                for t in &s.tiers {
                    rates(&t.rates, &format!(" above {}", t.above), &mut layer);
                }
                if !s.options.is_empty() {
                    *unread
                        .entry("option rules (not compared)".into())
                        .or_default() += 1;
                }
                for (b, v) in layer {
                    prices.insert(format!("{prefix}{b}"), v);
                }
            }
            let retired = deprecation(&m.id)
                .filter(|d| *d <= at.date_naive())
                .map(|d| format!("deprecation_date {d}"));
            models.push((
                rank,
                SourceModel {
                    key: m.id.clone(),
                    source_provider: table.provider.clone(),
                    provider: provider.to_string(),
                    names,
                    rule: None,
                    retired,
                    prices,
                },
            ));
        }
    }
    Ok(Source {
        kind: SourceKind::Litellm,
        format: "LiteLLM model_prices_and_context_window.json".into(),
        at,
        models: dedupe(models),
        other_providers,
        unread,
    })
}

/// `gemini/gemini-2.5-pro` → `gemini-2.5-pro`.
fn strip(key: &str) -> &str {
    key.rsplit_once('/').map_or(key, |(_, n)| n)
}

fn rates(r: &Rates, suffix: &str, out: &mut BTreeMap<String, Decimal>) {
    for (u, v) in &r.scalar {
        out.insert(format!("{u}{suffix}"), v.normalize());
    }
    for (unit, list) in [("images", &r.images), ("video_seconds", &r.video)] {
        for v in list {
            let attrs: Vec<String> = [("size", &v.size), ("resolution", &v.resolution)]
                .iter()
                .filter_map(|(k, x)| x.as_ref().map(|x| format!("{k} {x}")))
                .collect();
            let label = if attrs.is_empty() {
                "any".to_string()
            } else {
                attrs.join(", ")
            };
            out.insert(format!("{unit} [{label}]{suffix}"), v.price.normalize());
        }
    }
}

fn window_holds(w: &crate::convert::TableWindow, at: DateTime<Utc>) -> bool {
    let (Ok(start), Ok(end)) = (
        NaiveTime::parse_from_str(&w.start, "%H:%M"),
        NaiveTime::parse_from_str(&w.end, "%H:%M"),
    ) else {
        return false;
    };
    // The importer writes LiteLLM's windows in UTC.
    Window::daily(&w.name, 0, start, end, w.days.clone()).contains(at)
}
