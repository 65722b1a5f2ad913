//! Other price sources compared with the tables, and the tables' own price history.
//!
//! - [`diff`] compares the catalog with another source's prices in force at one instant —
//!   LiteLLM's `model_prices_and_context_window.json` ([`read_litellm`], through the
//!   importer of [`crate::convert::litellm`], so both share one key mapping) or
//!   genai-prices' data ([`read_genai_prices`]: its JSON data file, or the field-by-field
//!   dump of a release's `genai_prices.data.providers`) — and lists the models the source
//!   prices that the catalog lacks, the prices that differ bucket by bucket, and the models
//!   the catalog still prices that the source has retired.
//! - [`explain`] reads `pricing/disagreements.toml`, where each known disagreement and
//!   intentional gap has a verdict and its evidence, and checks a diff against it.
//! - [`changes`] lists every price change in the catalog's own history.
//!
//! A *bucket* is a unit's price under some condition, written as text: `input_tokens`,
//! `input_tokens above 200000` (a context tier), `batch output_tokens` (a service tier),
//! `images [size 1024x1024]`. Prices are per the unit's default quantity (per 1M tokens,
//! per 1,000 searches, per one image), exact decimals read from the sources' text.

pub mod changes;
pub mod explain;
mod genai;
mod litellm;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::catalog::{Catalog, Model, Prices, Rate, RateSet, Schedule};
use crate::money::Currency;
use crate::unit::Unit;
use crate::usage::ServiceTier;

pub use genai::read_genai_prices;
pub use litellm::read_litellm;

/// The providers of the relay's seed document: a check fails on what the disagreements
/// file does not explain for these (other providers are reported, not enforced).
pub const SEED_PROVIDERS: [&str; 13] = [
    "openai",
    "anthropic",
    "google",
    "deepseek",
    "alibaba",
    "bytedance",
    "baidu",
    "minimax",
    "kling",
    "jimeng",
    "suno",
    "cohere",
    "jina",
];

/// Which kind of source a [`Source`] was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// LiteLLM's `model_prices_and_context_window.json`.
    Litellm,
    /// genai-prices' data (the JSON data file or a release's dump).
    GenaiPrices,
}

impl SourceKind {
    /// The name used on the command line and in `disagreements.toml`.
    pub const fn name(self) -> &'static str {
        match self {
            SourceKind::Litellm => "litellm",
            SourceKind::GenaiPrices => "genai-prices",
        }
    }

    /// Parses `litellm` or `genai-prices`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "litellm" => Some(SourceKind::Litellm),
            "genai-prices" | "genai_prices" => Some(SourceKind::GenaiPrices),
            _ => None,
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A source's prices, read at one instant.
#[derive(Clone, Debug)]
pub struct Source {
    /// Which source.
    pub kind: SourceKind,
    /// The shape detected, e.g. `genai-prices data file (v2)` or `genai-prices 0.2.5 dump`.
    pub format: String,
    /// The instant the prices were read at (date conditions and time windows).
    pub at: DateTime<Utc>,
    /// Every model of a provider that maps to a tariff provider.
    pub models: Vec<SourceModel>,
    /// Source providers not mapped to a tariff provider, with their model counts (not
    /// compared: resellers, clouds, other vendors).
    pub other_providers: BTreeMap<String, usize>,
    /// What could not be read as a price (keys, conditions), with counts.
    pub unread: BTreeMap<String, usize>,
}

/// One model of a source.
#[derive(Clone, Debug)]
pub struct SourceModel {
    /// The source's key or id for it (LiteLLM: `gemini/gemini-2.5-pro`).
    pub key: String,
    /// The source's provider name (`gemini`, `vertex_ai`, `dashscope`, …).
    pub source_provider: String,
    /// The tariff provider it maps to.
    pub provider: String,
    /// The names it answers to exactly: its key without a provider prefix, its aliases.
    pub names: Vec<String>,
    /// genai-prices' match rule, tried against tariff's names.
    pub(crate) rule: Option<genai::Rule>,
    /// Why the source considers it retired, if it does.
    pub retired: Option<String>,
    /// Bucket → price in force at the source's instant.
    pub prices: BTreeMap<String, Decimal>,
}

/// A problem reading a source: the shape is wrong, or a value is. Names where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The text is not what the source kind should be.
    #[error("{what}: {message}")]
    Shape {
        /// Where.
        what: String,
        /// What was wrong.
        message: String,
    },
    /// A price that is not a non-negative number, as the importer reported it.
    #[error(transparent)]
    Import(#[from] crate::convert::ImportError),
}

/// A price the catalog has, with where it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Priced {
    value: Decimal,
    source: String,
}

/// A model the source prices and the catalog does not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lack {
    /// The name the source gives it (without a provider prefix).
    pub model: String,
    /// The source's keys for it (several when several of its providers map to one).
    pub source_keys: Vec<String>,
    /// How many buckets the source prices for it.
    pub buckets: usize,
}

/// A bucket priced differently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Differ {
    /// Tariff's model id.
    pub model: String,
    /// The bucket.
    pub bucket: String,
    /// Tariff's price.
    pub tariff: Decimal,
    /// Where tariff's price was read (the schedule's `source`).
    pub tariff_source: String,
    /// The source's price.
    pub other: Decimal,
    /// The source's keys that give this price.
    pub source_keys: Vec<String>,
}

/// A model the catalog prices at the instant that the source has retired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Retired {
    /// Tariff's model id.
    pub model: String,
    /// The source's key.
    pub source_key: String,
    /// What the source says (`deprecated`, `deprecation_date 2026-07-24`).
    pub reason: String,
}

/// The comparison for one tariff provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProviderDiff {
    /// Models the source prices that the catalog lacks.
    pub lacks: Vec<Lack>,
    /// Prices that differ.
    pub differs: Vec<Differ>,
    /// Models the catalog prices that the source has retired.
    pub retired: Vec<Retired>,
    /// Models found on both sides.
    pub matched: usize,
    /// Buckets compared (priced on both sides) and equal.
    pub agreeing_buckets: usize,
    /// Matched models whose prices are in another currency than the source's (USD): not
    /// compared.
    pub other_currency: Vec<String>,
}

/// What [`diff`] found.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    /// The source compared with.
    pub source: SourceKind,
    /// The shape of its file.
    pub format: String,
    /// The instant compared at.
    pub at: DateTime<Utc>,
    /// Per tariff provider.
    pub providers: BTreeMap<String, ProviderDiff>,
    /// Source providers not mapped to a tariff one, with model counts.
    pub other_providers: BTreeMap<String, usize>,
    /// What of the source could not be read as a price, with counts.
    pub unread: BTreeMap<String, usize>,
}

impl Diff {
    /// Total lacks, differing buckets and retired models.
    pub fn counts(&self) -> (usize, usize, usize) {
        self.providers.values().fold((0, 0, 0), |(a, b, c), p| {
            (a + p.lacks.len(), b + p.differs.len(), c + p.retired.len())
        })
    }
}

/// Compares the catalog with a source at the source's instant (`source.at`): only the
/// providers `only` names, when given.
///
/// A source model matches a tariff model of its provider by any of its names (tariff's
/// ids, aliases and patterns), or, for genai-prices, when its match rule accepts one of
/// tariff's names (as genai-prices would resolve that name). Prices compared are the
/// schedules in force at the instant for each service tier (the default region), with the
/// context tiers, and the time window the instant falls in; option rules are not compared.
pub fn diff(catalog: &Catalog, source: &Source, only: Option<&str>) -> Diff {
    let at = source.at;
    let mut exact: HashMap<&str, usize> = HashMap::new();
    for (i, m) in catalog.models().iter().enumerate() {
        for n in std::iter::once(m.id()).chain(m.aliases().iter().map(String::as_str)) {
            exact.entry(n).or_insert(i);
        }
    }
    let wanted = |p: &str| only.is_none_or(|o| o == p);
    let mut providers: BTreeMap<String, ProviderDiff> = BTreeMap::new();
    // Source model index → tariff model index.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut matched_source: BTreeSet<usize> = BTreeSet::new();
    for (si, sm) in source.models.iter().enumerate() {
        if !wanted(&sm.provider) {
            continue;
        }
        let hit = sm.names.iter().find_map(|n| {
            exact
                .get(n.as_str())
                .copied()
                .or_else(|| {
                    let m = catalog.model(n).ok()?;
                    catalog.models().iter().position(|x| x.id() == m.id())
                })
                .filter(|&i| catalog.models()[i].provider() == sm.provider)
        });
        if let Some(ti) = hit {
            pairs.push((si, ti));
            matched_source.insert(si);
        }
    }
    // genai-prices' rules, the way it resolves a name: the first model of the provider
    // whose rule accepts it.
    for (ti, m) in catalog.models().iter().enumerate() {
        if !wanted(m.provider()) {
            continue;
        }
        let names: Vec<&str> = std::iter::once(m.id())
            .chain(m.aliases().iter().map(String::as_str))
            .collect();
        let hit = source.models.iter().position(|sm| {
            sm.provider == m.provider()
                && sm
                    .rule
                    .as_ref()
                    .is_some_and(|r| names.iter().any(|n| r.matches(n)))
        });
        if let Some(si) = hit {
            if !pairs.contains(&(si, ti)) {
                pairs.push((si, ti));
            }
            matched_source.insert(si);
        }
    }
    // Lacks: priced, not retired, matched by nothing; one per name.
    let mut lacks: BTreeMap<(String, String), Lack> = BTreeMap::new();
    for (si, sm) in source.models.iter().enumerate() {
        if !wanted(&sm.provider)
            || matched_source.contains(&si)
            || sm.retired.is_some()
            || sm.prices.is_empty()
        {
            continue;
        }
        let name = sm.names.first().cloned().unwrap_or_else(|| sm.key.clone());
        let l = lacks
            .entry((sm.provider.clone(), name.clone()))
            .or_insert(Lack {
                model: name,
                source_keys: Vec::new(),
                buckets: 0,
            });
        l.source_keys.push(sm.key.clone());
        l.buckets = l.buckets.max(sm.prices.len());
    }
    for ((p, _), l) in lacks {
        providers.entry(p).or_default().lacks.push(l);
    }
    // Differs and retired, per matched pair.
    let mut tariff_cache: HashMap<usize, Option<BTreeMap<String, Priced>>> = HashMap::new();
    let mut differs: BTreeMap<(String, String, String, Decimal), Differ> = BTreeMap::new();
    let mut agreeing: BTreeSet<(String, String)> = BTreeSet::new();
    let mut matched: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut other_currency: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut retired: BTreeMap<(String, String), Retired> = BTreeMap::new();
    for &(si, ti) in &pairs {
        let sm = &source.models[si];
        let m = &catalog.models()[ti];
        matched.entry(sm.provider.clone()).or_default().insert(ti);
        let priced_now = m.schedules().iter().any(|s| s.covers(at));
        if let Some(reason) = &sm.retired {
            if priced_now {
                retired
                    .entry((sm.provider.clone(), m.id().to_string()))
                    .or_insert_with(|| Retired {
                        model: m.id().to_string(),
                        source_key: sm.key.clone(),
                        reason: reason.clone(),
                    });
            }
            continue;
        }
        let ours = tariff_cache
            .entry(ti)
            .or_insert_with(|| tariff_prices(m, at));
        let Some(ours) = ours else {
            if priced_now {
                other_currency
                    .entry(sm.provider.clone())
                    .or_default()
                    .insert(m.id().to_string());
            }
            continue;
        };
        for (bucket, theirs) in &sm.prices {
            let Some(p) = ours.get(bucket) else { continue };
            if p.value == *theirs {
                agreeing.insert((m.id().to_string(), bucket.clone()));
                continue;
            }
            let d = differs
                .entry((
                    sm.provider.clone(),
                    m.id().to_string(),
                    bucket.clone(),
                    *theirs,
                ))
                .or_insert_with(|| Differ {
                    model: m.id().to_string(),
                    bucket: bucket.clone(),
                    tariff: p.value,
                    tariff_source: p.source.clone(),
                    other: *theirs,
                    source_keys: Vec::new(),
                });
            d.source_keys.push(sm.key.clone());
        }
    }
    for ((p, ..), d) in differs {
        providers.entry(p).or_default().differs.push(d);
    }
    for ((p, _), r) in retired {
        providers.entry(p).or_default().retired.push(r);
    }
    for (p, set) in matched {
        let pd = providers.entry(p).or_default();
        pd.matched = set.len();
        pd.agreeing_buckets = set
            .iter()
            .map(|&ti| {
                let id = catalog.models()[ti].id();
                agreeing.iter().filter(|(m, _)| m == id).count()
            })
            .sum();
    }
    for (p, set) in other_currency {
        providers.entry(p).or_default().other_currency = set.into_iter().collect();
    }
    Diff {
        source: source.kind,
        format: source.format.clone(),
        at,
        providers,
        other_providers: source.other_providers.clone(),
        unread: source.unread.clone(),
    }
}

/// The catalog's USD prices for `m` at `at`, by bucket; `None` when nothing in force is
/// priced in USD.
fn tariff_prices(m: &Model, at: DateTime<Utc>) -> Option<BTreeMap<String, Priced>> {
    // The default region first; a regional model priced in another currency there (Qwen in
    // CNY in Beijing) is compared through a region priced in USD (Singapore), if any.
    let mut regions: Vec<Option<&str>> = vec![m.default_region()];
    if m.regional() {
        for s in m.schedules() {
            if s.currency() == Currency::USD && s.covers(at) && !regions.contains(&s.region()) {
                regions.push(s.region());
            }
        }
    }
    regions.into_iter().find_map(|r| tariff_prices_in(m, r, at))
}

/// [`tariff_prices`] in one region.
fn tariff_prices_in(
    m: &Model,
    region: Option<&str>,
    at: DateTime<Utc>,
) -> Option<BTreeMap<String, Priced>> {
    let in_force = |tier: ServiceTier| {
        m.schedules().iter().find(|s| {
            s.service_tier() == tier
                && (!m.regional() || s.region() == region)
                && (m.regional() || s.region().is_none())
                && s.covers(at)
        })
    };
    let mut out = BTreeMap::new();
    let mut any_usd = false;
    for tier in ServiceTier::ALL {
        let Some(s) = in_force(tier) else { continue };
        if s.currency() != Currency::USD {
            continue;
        }
        any_usd = true;
        let prefix = tier_prefix(tier);
        let mut buckets = BTreeMap::new();
        match s.prices() {
            Prices::Rates { .. } => flatten_at(s, at, None, &mut buckets),
            Prices::Scale { factor, unscaled } => {
                if let Some(std) = in_force(ServiceTier::Standard) {
                    flatten_at(std, at, Some((factor, unscaled)), &mut buckets);
                }
            }
        }
        for (b, v) in buckets {
            out.insert(
                format!("{prefix}{b}"),
                Priced {
                    value: v,
                    source: s.source().to_string(),
                },
            );
        }
    }
    any_usd.then_some(out)
}

/// `batch ` for the batch tier, nothing for standard.
pub(crate) fn tier_prefix(tier: ServiceTier) -> String {
    match tier {
        ServiceTier::Standard => String::new(),
        t => format!("{} ", t.name()),
    }
}

/// The buckets of a schedule at an instant: base rates with the window in force applied
/// over them, and each context tier (`… above N`); scaled when `scale` is given.
fn flatten_at(
    s: &Schedule,
    at: DateTime<Utc>,
    scale: Option<(Decimal, &[Unit])>,
    out: &mut BTreeMap<String, Decimal>,
) {
    let Prices::Rates {
        base,
        tiers,
        windows,
        ..
    } = s.prices()
    else {
        return;
    };
    let window = windows.iter().rev().find(|w| w.contains(at));
    let mut layer = BTreeMap::new();
    rate_buckets(base, "", &mut layer);
    if let Some(w) = window {
        rate_buckets(w.rates(), "", &mut layer);
    }
    for t in tiers.iter().filter(|t| !t.unpriced()) {
        rate_buckets(t.rates(), &format!(" above {}", t.above()), &mut layer);
    }
    for (bucket, v) in layer {
        let v = match scale {
            Some((f, unscaled)) if !unscaled.iter().any(|u| bucket_unit(&bucket) == Some(*u)) => {
                (v * f).normalize()
            }
            _ => v,
        };
        out.insert(bucket, v);
    }
}

/// The unit a bucket prices (its first word, after a service tier).
fn bucket_unit(bucket: &str) -> Option<Unit> {
    bucket.split([' ', '[']).find_map(Unit::parse)
}

/// A rate per the unit's default quantity (`0.006 per 60` seconds → 0.0001 per second).
pub(crate) fn per_default(unit: Unit, r: &Rate) -> Decimal {
    let d = unit.default_per();
    if r.per() == d {
        return r.price().normalize();
    }
    r.price()
        .checked_mul(d)
        .and_then(|x| x.checked_div(r.per()))
        .unwrap_or(r.price())
        .normalize()
}

/// Every rate of a set as `unit{suffix}` → price (variants as `unit [size …]{suffix}`).
pub(crate) fn rate_buckets(set: &RateSet, suffix: &str, out: &mut BTreeMap<String, Decimal>) {
    for u in Unit::ALL {
        if let Some(r) = set.rate(u) {
            out.insert(format!("{u}{suffix}"), per_default(u, r));
        }
        for v in set.variants(u).unwrap_or_default() {
            out.insert(format!("{u} [{v}]{suffix}"), per_default(u, v.rate()));
        }
    }
}

/// Maps a source's provider name to tariff's provider and a rank (lower wins when several
/// of a source's providers list one model name).
pub(crate) fn map_provider(kind: SourceKind, name: &str) -> Option<(&'static str, u8)> {
    Some(match kind {
        SourceKind::Litellm => match name {
            "openai" => ("openai", 0),
            "text-completion-openai" => ("openai", 1),
            "anthropic" => ("anthropic", 0),
            "gemini" => ("google", 0),
            "vertex_ai-language-models" => ("google", 1),
            "vertex_ai" => ("google", 2),
            "vertex_ai-video-models" => ("google", 3),
            "vertex_ai-embedding-models" => ("google", 4),
            "deepseek" => ("deepseek", 0),
            "dashscope" => ("alibaba", 0),
            "qwen_ai_platform" => ("alibaba", 1),
            "qwencloud" => ("alibaba", 2),
            "volcengine" => ("bytedance", 0),
            "cohere" => ("cohere", 0),
            "cohere_chat" => ("cohere", 1),
            "jina_ai" => ("jina", 0),
            "minimax" => ("minimax", 0),
            "runwayml" => ("runway", 0),
            _ => return None,
        },
        SourceKind::GenaiPrices => match name {
            "openai" => ("openai", 0),
            "anthropic" => ("anthropic", 0),
            "google" => ("google", 0),
            "deepseek" => ("deepseek", 0),
            "cohere" => ("cohere", 0),
            "minimax" => ("minimax", 0),
            _ => return None,
        },
    })
}

/// Keeps one model per (provider, first name): the one from the best-ranked source
/// provider (LiteLLM lists a Gemini model under `gemini` and again under Vertex AI).
pub(crate) fn dedupe(models: Vec<(u8, SourceModel)>) -> Vec<SourceModel> {
    let mut best: BTreeMap<(String, String), (u8, usize)> = BTreeMap::new();
    for (i, (rank, m)) in models.iter().enumerate() {
        let k = (
            m.provider.clone(),
            m.names.first().cloned().unwrap_or_default(),
        );
        match best.get(&k) {
            Some((r, _)) if r <= rank => {}
            _ => {
                best.insert(k, (*rank, i));
            }
        }
    }
    let keep: BTreeSet<usize> = best.values().map(|(_, i)| *i).collect();
    models
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, (_, m))| m)
        .collect()
}
