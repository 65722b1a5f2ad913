//! new-api's ratio options in and out, and the shape of its `/api/pricing` endpoint.
//!
//! How new-api turns its options into quota (read in QuantumNous/new-api:
//! `setting/ratio_setting/{model_ratio,cache_ratio,group_ratio}.go`, `relay/helper/price.go`,
//! `service/text_quota.go`):
//!
//! ```text
//! quota = ( uncached_prompt + cached × CacheRatio + cache_created × CreateCacheRatio
//!         + image × ImageRatio + completion × CompletionRatio ) × ModelRatio × GroupRatio
//! ```
//!
//! and `QuotaPerUnit` (500,000) quota is one US dollar. So a `ModelRatio` of `r` prices input
//! at `r × 1,000,000 / 500,000 = 2r` USD per million tokens (ratio 1 = USD 0.002 per 1K);
//! output, cache reads, cache writes and image input are that input price times their
//! ratio; a 1-hour cache write (Anthropic usage) is `CreateCacheRatio × 6 / 3.75`. A model
//! with a `ModelPrice` of `p` is billed `p × QuotaPerUnit × GroupRatio` quota per call, i.e.
//! `p` USD per call whatever its tokens, and its ratios are not consulted. Defaults when an
//! option does not name the model: `CacheRatio` 1, `CreateCacheRatio` 1.25, `ImageRatio` 1,
//! and for `CompletionRatio` a ratio new-api chooses by model name in code (1 for names it
//! does not list) — [`import`] uses 1 and says so, and takes every option as written.
//! [`defaults::import`] (what `tariff import --from new-api` runs) applies new-api's own
//! defaults and name rules per version instead, including the rules that override a saved
//! value (`gpt-5`, Claude) and the 37.5 fallback. Reasoning, audio and image-output tokens are prompt or completion
//! tokens to new-api's text billing: imported tables price them through fallbacks.
//!
//! `GroupRatio` multiplies a user group's quota; it is not a price, so an import returns
//! it beside the table and an export passes it through.

pub mod defaults;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;

use super::{
    json_error, number_json, read_price, resolve_collisions, Collision, ImportError, Rates, Report,
    Table, TableModel, TableSchedule,
};
use crate::catalog::{Catalog, Kind, Model, Prices, RateSet};
use crate::money::{Currency, FxTable};
use crate::unit::Unit;
use crate::usage::ServiceTier;

/// The option names this module reads and writes, in new-api's spelling.
pub const OPTIONS: [&str; 7] = [
    "ModelRatio",
    "CompletionRatio",
    "CacheRatio",
    "CreateCacheRatio",
    "ModelPrice",
    "ImageRatio",
    "GroupRatio",
];

/// new-api options that exist but have no conversion here, with the reason.
const UNSUPPORTED: [(&str, &str); 4] = [
    ("AudioRatio", "new-api prices audio tokens through a separate path (PostAudioConsumeQuota) that this importer does not model; remove it and price audio in the imported table by hand"),
    ("AudioCompletionRatio", "new-api prices audio tokens through a separate path (PostAudioConsumeQuota) that this importer does not model; remove it and price audio in the imported table by hand"),
    ("GroupGroupRatio", "per-user-group overrides of GroupRatio are relay policy, not prices"),
    ("UserUsableGroups", "the groups a user may choose are relay policy, not prices"),
];

/// new-api's default: quota units per US dollar (`common.QuotaPerUnit`).
pub fn default_quota_per_unit() -> Decimal {
    Decimal::from(500_000)
}

/// The ratio multiplying `CreateCacheRatio` for 1-hour cache writes (new-api's
/// `claudeCacheCreation1hMultiplier`, 6 / 3.75).
pub fn cache_1h_multiplier() -> Decimal {
    Decimal::new(16, 1)
}

/// new-api's default `CreateCacheRatio` for a model the option does not name.
pub fn default_create_cache_ratio() -> Decimal {
    Decimal::new(125, 2)
}

/// new-api's ratio options: one map per option, model (or group) name to an exact decimal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RatioConfig {
    /// `ModelRatio`: input price in quota per token.
    pub model_ratio: BTreeMap<String, Decimal>,
    /// `CompletionRatio`: output price / input price.
    pub completion_ratio: BTreeMap<String, Decimal>,
    /// `CacheRatio`: cache-read price / input price.
    pub cache_ratio: BTreeMap<String, Decimal>,
    /// `CreateCacheRatio`: cache-write price / input price.
    pub create_cache_ratio: BTreeMap<String, Decimal>,
    /// `ModelPrice`: USD per call.
    pub model_price: BTreeMap<String, Decimal>,
    /// `ImageRatio`: image-input-token price / input price.
    pub image_ratio: BTreeMap<String, Decimal>,
    /// `GroupRatio`: quota multiplier per user group.
    pub group_ratio: BTreeMap<String, Decimal>,
}

impl RatioConfig {
    /// The map of one option, by its new-api name.
    pub fn option(&self, name: &str) -> Option<&BTreeMap<String, Decimal>> {
        Some(match name {
            "ModelRatio" => &self.model_ratio,
            "CompletionRatio" => &self.completion_ratio,
            "CacheRatio" => &self.cache_ratio,
            "CreateCacheRatio" => &self.create_cache_ratio,
            "ModelPrice" => &self.model_price,
            "ImageRatio" => &self.image_ratio,
            "GroupRatio" => &self.group_ratio,
            _ => return None,
        })
    }

    fn option_mut(&mut self, name: &str) -> Option<&mut BTreeMap<String, Decimal>> {
        Some(match name {
            "ModelRatio" => &mut self.model_ratio,
            "CompletionRatio" => &mut self.completion_ratio,
            "CacheRatio" => &mut self.cache_ratio,
            "CreateCacheRatio" => &mut self.create_cache_ratio,
            "ModelPrice" => &mut self.model_price,
            "ImageRatio" => &mut self.image_ratio,
            "GroupRatio" => &mut self.group_ratio,
            _ => return None,
        })
    }

    /// Reads a JSON object of options: `{"ModelRatio": {"gpt-4o": 1.25}, ...}`. Each value
    /// is the option's object, or the JSON text of it as new-api stores it (a string).
    /// Numbers are read exactly from their text. Unknown options, non-numeric or negative
    /// values and empty names are errors naming the option and model.
    ///
    /// ```
    /// use tariff_operations::convert::newapi::RatioConfig;
    /// let c = RatioConfig::from_json(r#"{"ModelRatio": {"gpt-4o": 1.25}, "CompletionRatio": "{\"gpt-4o\": 4}"}"#).unwrap();
    /// assert_eq!(c.completion_ratio["gpt-4o"].to_string(), "4");
    /// let e = RatioConfig::from_json(r#"{"ModelRatio": {"gpt-4o": "cheap"}}"#).unwrap_err();
    /// assert_eq!(e.to_string(), "`ModelRatio` of `gpt-4o`: `\"cheap\"` is not a number");
    /// ```
    pub fn from_json(text: &str) -> Result<Self, ImportError> {
        let top = object(text, "new-api options")?;
        let mut config = RatioConfig::default();
        for (key, raw) in top {
            if let Some((_, reason)) = UNSUPPORTED.iter().find(|(k, _)| *k == key) {
                return Err(ImportError::UnsupportedOption {
                    key,
                    reason: reason.to_string(),
                });
            }
            let Some(map) = config.option_mut(&key) else {
                let suggestions: Vec<String> =
                    crate::suggest::similar(&key, OPTIONS.iter().copied(), 3)
                        .into_iter()
                        .map(str::to_string)
                        .collect();
                return Err(ImportError::UnknownOption {
                    key,
                    suggestions,
                    known: OPTIONS.iter().map(|k| k.to_string()).collect(),
                });
            };
            // new-api keeps each option as JSON text; accept that as well as an object.
            let inner = if raw.get().trim_start().starts_with('"') {
                let s: String =
                    crate::strict::from_str(raw.get()).map_err(|e| json_error(&key, &e))?;
                object(&s, &key)?
            } else {
                object(raw.get(), &key)?
            };
            for (name, v) in inner {
                if name.is_empty() {
                    return Err(ImportError::EmptyName { option: key });
                }
                let d = read_price(&v, &key, &name)?;
                map.insert(name, d);
            }
        }
        Ok(config)
    }

    /// The options as a JSON object of objects, numbers written exactly; empty options
    /// are left out.
    pub fn to_json(&self) -> String {
        let mut out: BTreeMap<&str, BTreeMap<&str, Box<RawValue>>> = BTreeMap::new();
        for name in OPTIONS {
            let map = self.option(name).expect("every listed option has a map");
            if !map.is_empty() {
                out.insert(
                    name,
                    map.iter()
                        .map(|(k, v)| (k.as_str(), number_json(*v)))
                        .collect(),
                );
            }
        }
        serde_json::to_string_pretty(&out).expect("options serialize")
    }
}

impl RatioConfig {
    /// Reads the response of new-api's `GET /api/option/` (`{"success": true, "data":
    /// [{"key": "ModelRatio", "value": "{...}"}, ...]}`): the ratio options are read as by
    /// [`RatioConfig::from_json`]; the names of every other option are returned, for the
    /// report (they are settings, not prices).
    ///
    /// ```
    /// use tariff_operations::convert::newapi::RatioConfig;
    /// let (c, others) = RatioConfig::from_option_list(r#"{"success": true, "data": [
    ///     {"key": "ModelRatio", "value": "{\"gpt-4o\": 1.25}"},
    ///     {"key": "QuotaPerUnit", "value": "500000"}]}"#).unwrap();
    /// assert_eq!(c.model_ratio["gpt-4o"].to_string(), "1.25");
    /// assert_eq!(others, ["QuotaPerUnit"]);
    /// ```
    pub fn from_option_list(text: &str) -> Result<(Self, Vec<String>), ImportError> {
        #[derive(serde::Deserialize)]
        struct Item {
            key: String,
            value: Box<RawValue>,
        }
        #[derive(serde::Deserialize)]
        struct List {
            data: Vec<Item>,
        }
        let list: List =
            crate::strict::from_str(text).map_err(|e| json_error("new-api option list", &e))?;
        let mut others = Vec::new();
        let mut picked: BTreeMap<String, Box<RawValue>> = BTreeMap::new();
        for item in list.data {
            if OPTIONS.contains(&item.key.as_str()) {
                picked.insert(item.key, item.value);
            } else {
                others.push(item.key);
            }
        }
        let json = serde_json::to_string(&picked).expect("raw values serialize");
        Ok((Self::from_json(&json)?, others))
    }

    /// Reads either shape: an object of options, or the `/api/option/` response (whose
    /// other settings are returned by name).
    pub fn from_any_json(text: &str) -> Result<(Self, Vec<String>), ImportError> {
        let top = object(text, "new-api options")?;
        if top.contains_key("data") && !top.contains_key("ModelRatio") {
            Self::from_option_list(text)
        } else {
            Ok((Self::from_json(text)?, Vec::new()))
        }
    }
}

fn object(text: &str, what: &str) -> Result<BTreeMap<String, Box<RawValue>>, ImportError> {
    let t = text.trim_start();
    if !t.starts_with('{') {
        return Err(ImportError::NotAnObject {
            what: what.to_string(),
            found: t.chars().take(40).collect(),
        });
    }
    crate::strict::from_str(text).map_err(|e| json_error(what, &e))
}

/// One imported model priced by `rates`; a wildcard name becomes a pattern too.
pub(crate) fn table_model(
    name: &str,
    rates: Rates,
    opts: &ImportOptions,
    report: &mut Report,
) -> TableModel {
    let patterns = if name.contains('*') {
        report.note(name, "a wildcard name: imported as a pattern (`*` = any run of characters); new-api maps names onto such keys with rules of its own");
        vec![name.to_string()]
    } else {
        Vec::new()
    };
    TableModel {
        id: name.to_string(),
        kind: Kind::Chat,
        aliases: Vec::new(),
        patterns,
        replaces: false,
        schedules: vec![TableSchedule {
            service_tier: ServiceTier::Standard,
            from: opts.from,
            source: format!("{} (new-api ratio options)", opts.source),
            as_of: opts.as_of,
            rates,
            tiers: Vec::new(),
            windows: Vec::new(),
            options: Vec::new(),
        }],
    }
}

/// How an import is written.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The file imported, named in every schedule's `source`.
    pub source: String,
    /// The date the prices were read (`as_of`).
    pub as_of: NaiveDate,
    /// First day the prices apply (`from`); `None` = since always.
    pub from: Option<NaiveDate>,
    /// Provider id of the table written.
    pub provider: String,
    /// Quota units per US dollar (new-api: 500,000).
    pub quota_per_unit: Decimal,
    /// What to do with models the base tables already define.
    pub collisions: Collision,
}

impl ImportOptions {
    /// new-api's defaults: provider `new-api`, 500,000 quota per USD, collisions replace.
    pub fn new(source: impl Into<String>, as_of: NaiveDate) -> Self {
        ImportOptions {
            source: source.into(),
            as_of,
            from: None,
            provider: "new-api".into(),
            quota_per_unit: default_quota_per_unit(),
            collisions: Collision::Replace,
        }
    }
}

/// The result of an import.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The price table.
    pub table: Table,
    /// `GroupRatio`, which is not a price: pass a group's value as the quota policy's
    /// `group_ratio` (`tariff quote --quota --group-ratio`).
    pub group_ratio: BTreeMap<String, Decimal>,
    /// What could not be carried over, and the defaults assumed.
    pub report: Report,
}

/// Converts new-api options to a tariff price table, one model per `ModelRatio` or
/// `ModelPrice` name. `base` is the catalog the table will be loaded on top of (its names
/// decide `replaces`).
///
/// ```
/// use tariff_operations::convert::newapi::{import, ImportOptions, RatioConfig};
/// use tariff_core::{Catalog, Usage};
/// use chrono::NaiveDate;
///
/// let config = RatioConfig::from_json(r#"{"ModelRatio": {"my-model": 1}, "CompletionRatio": {"my-model": 4}}"#)?;
/// let opts = ImportOptions::new("options.json", NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
/// let imported = import(&config, &opts, &Catalog::default());
/// let catalog = Catalog::builder().text("new-api.toml", imported.table.to_toml()).build()?;
/// // ratio 1 = USD 2 per 1M input tokens; completion ratio 4 = USD 8 per 1M output tokens
/// let bill = catalog.quote("my-model", &Usage::from_json(r#"{"input_tokens": 1000, "output_tokens": 1000}"#)?)?;
/// assert_eq!(bill.total().to_string(), "0.01");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn import(config: &RatioConfig, opts: &ImportOptions, base: &Catalog) -> Imported {
    let mut report = Report {
        source: opts.source.clone(),
        ..Report::default()
    };
    let names: BTreeSet<&String> = config
        .model_ratio
        .keys()
        .chain(config.model_price.keys())
        .collect();
    for (option, map) in [
        ("CompletionRatio", &config.completion_ratio),
        ("CacheRatio", &config.cache_ratio),
        ("CreateCacheRatio", &config.create_cache_ratio),
        ("ImageRatio", &config.image_ratio),
    ] {
        for name in map.keys().filter(|n| !names.contains(n)) {
            report.skip(
                name,
                format!("`{option}` names it but neither `ModelRatio` nor `ModelPrice` does: new-api has no price for it to multiply"),
            );
        }
    }
    let million = Decimal::from(1_000_000);
    let mut defaults: BTreeMap<&str, usize> = BTreeMap::new();
    let mut models = Vec::new();
    let mut seen_case = super::CaseTwins::default();
    for name in names {
        if let Some(fault) = crate::catalog::id_fault(name) {
            report.skip(
                &name.escape_debug().to_string(),
                format!("not a model id: it {fault}"),
            );
            continue;
        }
        if let Some(why) = seen_case.check(name) {
            report.skip(&name.escape_debug().to_string(), why);
            continue;
        }
        let mut rates = Rates::default();
        if let Some(price) = config.model_price.get(name) {
            rates.scalar.insert(Unit::Requests, *price);
            if let Some(r) = config.model_ratio.get(name) {
                report.note(name, format!("ModelRatio {r} not imported: ModelPrice wins in new-api, which bills the model per call"));
            }
            for (option, map) in [
                ("CompletionRatio", &config.completion_ratio),
                ("CacheRatio", &config.cache_ratio),
                ("CreateCacheRatio", &config.create_cache_ratio),
                ("ImageRatio", &config.image_ratio),
            ] {
                if let Some(r) = map.get(name) {
                    report.note(name, format!("{option} {r} not imported: new-api does not consult it for a model billed per call"));
                }
            }
        } else {
            let ratio = config.model_ratio[name];
            let Some(input) = ratio
                .checked_mul(million)
                .and_then(|x| x.checked_div(opts.quota_per_unit))
            else {
                report.skip(
                    name,
                    format!("ModelRatio {ratio} overflows exact decimal arithmetic"),
                );
                continue;
            };
            let mut times = |unit: Unit, r: Decimal| match input.checked_mul(r) {
                Some(p) => {
                    rates.scalar.insert(unit, p.normalize());
                    true
                }
                None => false,
            };
            let completion = match config.completion_ratio.get(name) {
                Some(c) => *c,
                None => {
                    *defaults.entry("CompletionRatio").or_default() += 1;
                    report.note(name, "no CompletionRatio: new-api picks one by model name in code (1 for names it does not list); imported as 1");
                    Decimal::ONE
                }
            };
            let cache = config.cache_ratio.get(name).copied().unwrap_or_else(|| {
                *defaults.entry("CacheRatio").or_default() += 1;
                Decimal::ONE
            });
            let create = config
                .create_cache_ratio
                .get(name)
                .copied()
                .unwrap_or_else(|| {
                    *defaults.entry("CreateCacheRatio").or_default() += 1;
                    default_create_cache_ratio()
                });
            let mut ok = times(Unit::InputTokens, Decimal::ONE)
                && times(Unit::OutputTokens, completion)
                && times(Unit::CacheReadTokens, cache)
                && times(Unit::CacheWriteTokens, create)
                && times(Unit::CacheWrite1hTokens, create * cache_1h_multiplier());
            if let Some(img) = config.image_ratio.get(name) {
                ok &= times(Unit::ImageInputTokens, *img);
            }
            if !ok {
                report.skip(name, "a price overflows exact decimal arithmetic");
                continue;
            }
        }
        models.push(table_model(name, rates, opts, &mut report));
    }
    for (option, n) in &defaults {
        let what = match *option {
            "CompletionRatio" => "output priced at 1 × input".to_string(),
            "CacheRatio" => "cache reads priced at 1 × input (new-api's default)".to_string(),
            _ => format!(
                "cache writes priced at {} × input (new-api's default), 1-hour writes at {} × input",
                default_create_cache_ratio(),
                default_create_cache_ratio() * cache_1h_multiplier()
            ),
        };
        report.note(option, format!("{n} models have no {option}: {what}"));
    }
    let models = resolve_collisions(models, base, opts.collisions, &mut report);
    report.models = models.len();
    let mut header = vec![
        format!(
            "Imported by `tariff import --from new-api` from {}, read {}.",
            opts.source, opts.as_of
        ),
        format!(
            "A ratio r is r x 1,000,000 / {} USD per 1M tokens; ModelPrice is USD per call.",
            opts.quota_per_unit
        ),
        "Reasoning, audio and image-output tokens fall back to new-api's prompt/completion prices."
            .into(),
    ];
    header.push(if report.skipped.is_empty() {
        "GAPS: none".into()
    } else {
        "GAPS: not imported (see the import report):".into()
    });
    for s in &report.skipped {
        header.push(format!("  {}: {}", s.model, s.message));
    }
    let fallbacks = [
        (Unit::ReasoningTokens, Unit::OutputTokens),
        (Unit::AudioInputTokens, Unit::InputTokens),
        (Unit::AudioCacheReadTokens, Unit::CacheReadTokens),
        (Unit::AudioOutputTokens, Unit::OutputTokens),
        (Unit::ImageInputTokens, Unit::InputTokens),
        (Unit::ImageOutputTokens, Unit::OutputTokens),
    ]
    .into_iter()
    .collect();
    Imported {
        table: Table {
            provider: opts.provider.clone(),
            name: Some("new-api ratio options".into()),
            currency: Currency::USD,
            fallbacks,
            header,
            models,
        },
        group_ratio: config.group_ratio.clone(),
        report,
    }
}

/// How an export chooses and converts prices.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The prices in force at this time are exported.
    pub at: DateTime<Utc>,
    /// Quota units per US dollar (new-api: 500,000).
    pub quota_per_unit: Decimal,
    /// Exchange rates for models priced in another currency than USD.
    pub fx: Option<FxTable>,
    /// Only this provider's models.
    pub provider: Option<String>,
    /// Also write each alias as a key of its own (new-api matches exact names).
    pub aliases: bool,
    /// `GroupRatio` to pass through.
    pub group_ratio: BTreeMap<String, Decimal>,
}

impl ExportOptions {
    /// Prices in force at `at`, new-api's quota unit, aliases included, no FX, no groups.
    pub fn new(at: DateTime<Utc>) -> Self {
        ExportOptions {
            at,
            quota_per_unit: default_quota_per_unit(),
            fx: None,
            provider: None,
            aliases: true,
            group_ratio: BTreeMap::new(),
        }
    }
}

/// The result of an export.
#[derive(Clone, Debug)]
pub struct Exported {
    /// The options.
    pub config: RatioConfig,
    /// The provider of each exported key (`owner_by` in `/api/pricing`).
    pub owners: BTreeMap<String, String>,
    /// What could not be expressed in ratios.
    pub report: Report,
}

/// Converts the catalog's standard prices in force at `opts.at` to new-api options:
/// `ModelRatio = input USD per 1M × QuotaPerUnit / 1,000,000` (USD per 1M / 2 at the
/// default), `CompletionRatio = output / input`, `CacheRatio = cache read / input`,
/// `CreateCacheRatio = cache write / input`, `ImageRatio = image input / input` (when the
/// table prices image tokens itself), `ModelPrice` = the per-request price of a model with
/// no token prices. Context tiers, windows, options, other service tiers, regions other
/// than the default, units new-api has no ratio for, and prices in a currency with no FX
/// rate are reported, never dropped silently.
///
/// ```
/// use tariff_operations::convert::newapi::{export, ExportOptions};
/// use tariff_core::Catalog;
/// let at = "2025-11-01T00:00:00Z".parse().unwrap();
/// let out = export(Catalog::builtin(), &ExportOptions::new(at));
/// // Claude Sonnet 4.5: USD 3 / 15 / 0.30 / 3.75 per 1M
/// assert_eq!(out.config.model_ratio["claude-sonnet-4-5"].to_string(), "1.5");
/// assert_eq!(out.config.completion_ratio["claude-sonnet-4-5"].to_string(), "5");
/// assert_eq!(out.config.cache_ratio["claude-sonnet-4-5"].to_string(), "0.1");
/// assert_eq!(out.config.create_cache_ratio["claude-sonnet-4-5"].to_string(), "1.25");
/// ```
pub fn export(catalog: &Catalog, opts: &ExportOptions) -> Exported {
    let mut config = RatioConfig {
        group_ratio: opts.group_ratio.clone(),
        ..RatioConfig::default()
    };
    let mut owners = BTreeMap::new();
    let mut report = Report {
        source: format!("price tables in force at {}", opts.at.to_rfc3339()),
        ..Report::default()
    };
    for m in catalog.models() {
        if opts.provider.as_deref().is_some_and(|p| p != m.provider()) {
            continue;
        }
        let Some(ratios) = export_model(m, opts, &mut report) else {
            continue;
        };
        let mut keys = vec![m.id().to_string()];
        if opts.aliases {
            keys.extend(m.aliases().iter().cloned());
        }
        if !m.patterns().is_empty() {
            report.unmapped("patterns");
            report.note(
                m.id(),
                format!(
                    "patterns {} not exported: new-api matches exact names",
                    m.patterns().join(", ")
                ),
            );
        }
        for k in keys {
            for (option, value) in &ratios {
                config
                    .option_mut(option)
                    .expect("known option")
                    .insert(k.clone(), *value);
            }
            owners.insert(k, m.provider().to_string());
        }
        report.models += 1;
    }
    Exported {
        config,
        owners,
        report,
    }
}

/// The price of one unit per its default quantity, following the model's fallbacks;
/// `explicit` is false when a fallback supplied it.
fn effective(m: &Model, rates: &RateSet, unit: Unit) -> Option<(Decimal, bool)> {
    let mut u = unit;
    for step in 0..Unit::COUNT {
        if let Some(r) = rates.rate(u) {
            let p = r
                .price()
                .checked_mul(unit.default_per())?
                .checked_div(r.per())?;
            return Some((p.normalize(), step == 0));
        }
        u = m.fallback(u)?;
    }
    None
}

fn export_model(
    m: &Model,
    opts: &ExportOptions,
    report: &mut Report,
) -> Option<Vec<(&'static str, Decimal)>> {
    let id = m.id();
    let Some(s) = m.current(opts.at) else {
        report.skip(
            id,
            format!("no standard price in force at {}", opts.at.to_rfc3339()),
        );
        return None;
    };
    let fx = if s.currency() == Currency::USD {
        Decimal::ONE
    } else {
        let day = opts.at.date_naive();
        match opts
            .fx
            .as_ref()
            .and_then(|t| t.rate(s.currency(), Currency::USD, day))
        {
            Some(r) => {
                report.note(
                    id,
                    format!(
                        "converted from {} at {} (rate of {})",
                        s.currency(),
                        r.rate,
                        r.date
                    ),
                );
                r.rate
            }
            None => {
                report.skip(
                    id,
                    format!(
                        "priced in {}: new-api ratios are USD; give an FX table with a {}->USD rate in force on {day}",
                        s.currency(), s.currency()
                    ),
                );
                return None;
            }
        }
    };
    for other in m
        .schedules()
        .iter()
        .filter(|o| o.service_tier() != ServiceTier::Standard && o.covers(opts.at))
    {
        report.unmapped(&format!("{} schedules", other.service_tier()));
        report.note(
            id,
            format!(
                "{} prices not exported: new-api has no service tiers",
                other.service_tier()
            ),
        );
    }
    if m.regional() {
        report.unmapped("regional schedules");
        report.note(
            id,
            format!(
                "priced by region: exported {}",
                s.region().unwrap_or("the global schedule")
            ),
        );
    }
    let Prices::Rates {
        base,
        tiers,
        windows,
        options,
    } = s.prices()
    else {
        report.skip(
            id,
            "its standard schedule is derived by scale, which a loaded table never has",
        );
        return None;
    };
    for (what, n) in [
        ("context tiers", tiers.len()),
        ("time windows", windows.len()),
        ("option rules", options.len()),
    ] {
        if n > 0 {
            report.unmapped(what);
            report.note(
                id,
                format!("{n} {what} not exported: new-api charges the base rates in every case"),
            );
        }
    }
    let eff = |u: Unit| effective(m, base, u).map(|(p, explicit)| (p * fx, explicit));
    let mut out: Vec<(&'static str, Decimal)> = Vec::new();
    let mut handled: Vec<Unit> = vec![Unit::Requests];
    match (eff(Unit::InputTokens), eff(Unit::Requests)) {
        (Some((input, _)), requests) => {
            if requests.is_some_and(|(p, _)| !p.is_zero()) {
                report.unmapped("requests with token prices");
                report.note(id, "its per-request fee is not exported: new-api bills a model either per token (ModelRatio) or per call (ModelPrice)");
            }
            let million = Decimal::from(1_000_000);
            let ratio = (input * opts.quota_per_unit / million).normalize();
            if ratio * million / opts.quota_per_unit != input {
                report.note(id, format!("ModelRatio {ratio} is rounded: input {input} USD per 1M is not a whole multiple of the quota unit"));
            }
            out.push(("ModelRatio", ratio));
            handled.extend([Unit::InputTokens]);
            let mut ratio_of = |option: &'static str, unit: Unit, default: Option<Decimal>| {
                handled.push(unit);
                let Some((p, explicit)) = eff(unit) else {
                    if let Some(d) = default {
                        report.note(id, format!("no {unit} price: new-api will charge them at its default {option} {d}"));
                    }
                    return;
                };
                if option == "ImageRatio" && !explicit {
                    return;
                }
                if input.is_zero() {
                    if p.is_zero() {
                        out.push((option, Decimal::ONE));
                    } else {
                        report.note(id, format!("{unit} at {p} per 1M cannot be a multiple of a free input price; {option} not exported"));
                        report.unmapped(&format!("{unit} with free input"));
                    }
                    return;
                }
                let r = (p / input).normalize();
                if r * input != p {
                    report.note(
                        id,
                        format!("{option} {r} is rounded: {p} / {input} does not terminate"),
                    );
                }
                out.push((option, r));
            };
            ratio_of("CompletionRatio", Unit::OutputTokens, Some(Decimal::ONE));
            ratio_of("CacheRatio", Unit::CacheReadTokens, Some(Decimal::ONE));
            ratio_of(
                "CreateCacheRatio",
                Unit::CacheWriteTokens,
                Some(default_create_cache_ratio()),
            );
            ratio_of("ImageRatio", Unit::ImageInputTokens, None);
            handled.push(Unit::CacheWrite1hTokens);
            if let Some((p1h, _)) = eff(Unit::CacheWrite1hTokens) {
                let create = out
                    .iter()
                    .find(|(o, _)| *o == "CreateCacheRatio")
                    .map_or(default_create_cache_ratio(), |(_, r)| *r);
                let charged = input * create * cache_1h_multiplier();
                if charged.normalize() != p1h {
                    report.unmapped("cache_write_1h_tokens");
                    report.note(id, format!("1-hour cache writes cost {p1h} per 1M here; new-api will charge CreateCacheRatio x 1.6 = {} per 1M", charged.normalize()));
                }
            }
            // new-api counts reasoning in completion tokens and audio/image output in
            // prompt/completion tokens of its text billing.
            for (unit, like) in [
                (Unit::ReasoningTokens, Unit::OutputTokens),
                (Unit::ImageOutputTokens, Unit::OutputTokens),
                (Unit::AudioOutputTokens, Unit::OutputTokens),
                (Unit::AudioInputTokens, Unit::InputTokens),
                (Unit::AudioCacheReadTokens, Unit::CacheReadTokens),
            ] {
                handled.push(unit);
                if let (Some((p, true)), other) = (eff(unit), eff(like)) {
                    if other.map(|(o, _)| o) != Some(p) {
                        report.unmapped(unit.name());
                        report.note(
                            id,
                            format!("{unit} cost {p} per 1M here; new-api bills them as {like}"),
                        );
                    }
                }
            }
        }
        (None, Some((price, _))) => {
            out.push(("ModelPrice", price.normalize()));
        }
        (None, None) => {
            let priced: Vec<&str> = Unit::ALL
                .iter()
                .filter(|u| base.prices(**u))
                .map(|u| u.name())
                .collect();
            report.skip(
                id,
                format!(
                    "no input-token or per-request price (it prices {}): new-api ratios cannot express it",
                    priced.join(", ")
                ),
            );
            for u in priced {
                report.unmapped(u);
            }
            return None;
        }
    }
    for u in Unit::ALL {
        if !handled.contains(&u) && base.prices(u) {
            report.unmapped(u.name());
            report.note(
                id,
                format!("{u} price not exported: new-api has no ratio for it"),
            );
        }
    }
    Some(out)
}

impl Exported {
    /// The export in the shape of new-api's `/api/pricing` response: `success`, `data` (one
    /// item per key: `model_name`, `quota_type` 0 for ratio / 1 for per-call, `model_ratio`,
    /// `model_price`, `owner_by`, `completion_ratio`, `cache_ratio` and
    /// `create_cache_ratio` and `image_ratio` when set, `enable_groups`,
    /// `supported_endpoint_types`), `group_ratio` and `usable_group`. Numbers are exact.
    pub fn pricing_json(&self) -> String {
        #[derive(Serialize)]
        struct Item<'a> {
            model_name: &'a str,
            quota_type: u8,
            model_ratio: Box<RawValue>,
            model_price: Box<RawValue>,
            owner_by: &'a str,
            completion_ratio: Box<RawValue>,
            #[serde(skip_serializing_if = "Option::is_none")]
            cache_ratio: Option<Box<RawValue>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            create_cache_ratio: Option<Box<RawValue>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            image_ratio: Option<Box<RawValue>>,
            enable_groups: &'a [String],
            supported_endpoint_types: [&'a str; 0],
        }
        #[derive(Serialize)]
        struct Out<'a> {
            success: bool,
            data: Vec<Item<'a>>,
            group_ratio: BTreeMap<&'a str, Box<RawValue>>,
            usable_group: BTreeMap<&'a str, &'a str>,
        }
        let c = &self.config;
        let groups: Vec<String> = if c.group_ratio.is_empty() {
            vec!["default".to_string()]
        } else {
            c.group_ratio.keys().cloned().collect()
        };
        let names: BTreeSet<&String> = c.model_ratio.keys().chain(c.model_price.keys()).collect();
        let opt = |m: &BTreeMap<String, Decimal>, k: &str| m.get(k).map(|d| number_json(*d));
        let data = names
            .into_iter()
            .map(|k| {
                let price = c.model_price.get(k);
                Item {
                    model_name: k,
                    quota_type: u8::from(price.is_some()),
                    model_ratio: number_json(match price {
                        Some(_) => Decimal::ZERO,
                        None => c.model_ratio[k],
                    }),
                    model_price: number_json(price.copied().unwrap_or_default()),
                    owner_by: self.owners.get(k).map_or("", String::as_str),
                    completion_ratio: number_json(match price {
                        Some(_) => Decimal::ZERO,
                        None => c.completion_ratio.get(k).copied().unwrap_or(Decimal::ONE),
                    }),
                    cache_ratio: opt(&c.cache_ratio, k),
                    create_cache_ratio: opt(&c.create_cache_ratio, k),
                    image_ratio: opt(&c.image_ratio, k),
                    enable_groups: &groups,
                    supported_endpoint_types: [],
                }
            })
            .collect();
        let out = Out {
            success: true,
            data,
            group_ratio: if c.group_ratio.is_empty() {
                [("default", number_json(Decimal::ONE))]
                    .into_iter()
                    .collect()
            } else {
                c.group_ratio
                    .iter()
                    .map(|(k, v)| (k.as_str(), number_json(*v)))
                    .collect()
            },
            usable_group: groups.iter().map(|g| (g.as_str(), g.as_str())).collect(),
        };
        serde_json::to_string_pretty(&out).expect("pricing serializes")
    }
}
