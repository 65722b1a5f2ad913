//! Every price change in the catalog's history: what a finance team needs to see why one
//! month's bill differs from the last.
//!
//! A model's schedules of the same conditions (service tier and region) follow one another
//! in time; each pair of consecutive schedules is compared bucket by bucket — base rates,
//! context tiers (`… above N`), time windows (`… in <window>`), option rules
//! (`… when k=v`), image and video variants — and every bucket whose price differs, appears
//! or disappears is a change effective at the later schedule's `from`. A derived schedule
//! (`scale = 0.5`) changes when its factor does (bucket `scale`); a change of the standard
//! schedule it scales is listed once, on the standard tier.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::rate_buckets;
use crate::catalog::{Catalog, Prices, Schedule};
use crate::usage::ServiceTier;

/// One price change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The model's id.
    pub model: String,
    /// Its provider.
    pub provider: String,
    /// The service tier of the schedules.
    pub service_tier: ServiceTier,
    /// Their region, if regional.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The bucket (unit and condition).
    pub bucket: String,
    /// The price before (`None`: the bucket was not priced).
    pub old: Option<Decimal>,
    /// The price after (`None`: no longer priced).
    pub new: Option<Decimal>,
    /// Currency before.
    pub old_currency: String,
    /// Currency after.
    pub currency: String,
    /// When the new price took effect.
    pub effective: DateTime<Utc>,
    /// Where the new price was read.
    pub source: String,
    /// When it was read.
    pub as_of: chrono::NaiveDate,
}

/// Every price change, ordered by effective time, then model and bucket; only changes
/// effective at or after `since`, and of the provider `provider`, when given.
///
/// ```
/// use tariff_core::Catalog;
/// use tariff_operations::sources::changes::changes;
/// let table = r#"
/// provider = "acme"
/// currency = "USD"
/// [[model]]
/// id = "m"
/// kind = "chat"
/// [[model.price]]
/// source = "https://acme.example/old"
/// as_of = 2026-01-01
/// rates = { input_tokens = 2, output_tokens = 8 }
/// [[model.price]]
/// from = 2026-06-01
/// source = "https://acme.example/new"
/// as_of = 2026-06-01
/// rates = { input_tokens = 1.5, output_tokens = 8 }
/// "#;
/// let c = Catalog::builder().text("acme.toml", table).build()?;
/// let list = changes(&c, None, None);
/// assert_eq!(list.len(), 1);
/// assert_eq!(list[0].bucket, "input_tokens");
/// assert_eq!(list[0].old.unwrap().to_string(), "2");
/// assert_eq!(list[0].new.unwrap().to_string(), "1.5");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn changes(
    catalog: &Catalog,
    since: Option<DateTime<Utc>>,
    provider: Option<&str>,
) -> Vec<Change> {
    let mut out = Vec::new();
    for m in catalog.models() {
        if provider.is_some_and(|p| p != m.provider()) {
            continue;
        }
        let mut groups: BTreeMap<(ServiceTier, Option<String>), Vec<&Schedule>> = BTreeMap::new();
        for s in m.schedules() {
            groups
                .entry((s.service_tier(), s.region().map(str::to_string)))
                .or_default()
                .push(s);
        }
        for ((tier, region), mut list) in groups {
            list.sort_by_key(|s| s.from());
            for pair in list.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let Some(effective) = b.from() else { continue };
                if since.is_some_and(|s| effective < s) {
                    continue;
                }
                let (old, new) = (buckets(a), buckets(b));
                let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
                for k in keys {
                    let (o, n) = (old.get(k).copied(), new.get(k).copied());
                    if o == n && a.currency() == b.currency() {
                        continue;
                    }
                    out.push(Change {
                        model: m.id().to_string(),
                        provider: m.provider().to_string(),
                        service_tier: tier,
                        region: region.clone(),
                        bucket: k.clone(),
                        old: o,
                        new: n,
                        old_currency: a.currency().to_string(),
                        currency: b.currency().to_string(),
                        effective,
                        source: b.source().to_string(),
                        as_of: b.as_of(),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (a.effective, &a.model, a.service_tier, &a.region, &a.bucket).cmp(&(
            b.effective,
            &b.model,
            b.service_tier,
            &b.region,
            &b.bucket,
        ))
    });
    out
}

/// A schedule's prices by bucket (its own; a derived schedule's factor as `scale`).
fn buckets(s: &Schedule) -> BTreeMap<String, Decimal> {
    let mut out = BTreeMap::new();
    match s.prices() {
        Prices::Scale { factor, .. } => {
            out.insert("scale".to_string(), factor.normalize());
        }
        Prices::Rates {
            base,
            tiers,
            windows,
            options,
        } => {
            rate_buckets(base, "", &mut out);
            for t in tiers {
                rate_buckets(t.rates(), &format!(" above {}", t.above()), &mut out);
            }
            for w in windows {
                rate_buckets(w.rates(), &format!(" in {}", w.name()), &mut out);
            }
            for o in options {
                let when: Vec<String> = o.when().iter().map(|(k, v)| format!("{k}={v}")).collect();
                let tier = o.tier().map(|t| format!(" (tier {t})")).unwrap_or_default();
                rate_buckets(
                    o.rates(),
                    &format!(" when {}{tier}", when.join(",")),
                    &mut out,
                );
            }
        }
    }
    out
}
