//! LiteLLM's model price map (`model_prices_and_context_window.json`) in.
//!
//! Each entry becomes a model in a table of its `litellm_provider`. Costs are read from
//! their JSON text (`3e-06` is exactly 3 per million tokens) and mapped to tariff units:
//!
//! | LiteLLM key | tariff |
//! |---|---|
//! | `input_cost_per_token`, `output_cost_per_token` | `input_tokens`, `output_tokens` (× 1,000,000) |
//! | `cache_read_input_token_cost` (or `input_cost_per_token_cache_hit`) | `cache_read_tokens` |
//! | `cache_creation_input_token_cost`, `…_above_1hr` | `cache_write_tokens`, `cache_write_1h_tokens` |
//! | `output_cost_per_reasoning_token` | `reasoning_tokens` |
//! | `input_cost_per_audio_token`, `cache_read_input_audio_token_cost`, `output_cost_per_audio_token` | `audio_input_tokens`, `audio_cache_read_tokens`, `audio_output_tokens` |
//! | `input_cost_per_image_token`, `output_cost_per_image_token` | `image_input_tokens`, `image_output_tokens` |
//! | `input_cost_per_character` | `characters` (× 1,000,000) |
//! | `output_cost_per_image`, `output_cost_per_image_<size>` | `images` (any size, or that size) |
//! | `output_cost_per_second` (video), `output_cost_per_second_<resolution>` | `video_seconds` (any, or that resolution) |
//! | `input_cost_per_second` (transcription), `output_cost_per_second` (speech) | `audio_seconds` |
//! | `input_cost_per_query` | `searches` (× 1,000) |
//! | `input_cost_per_request` | `requests` |
//! | `file_search_cost_per_1k_calls` | `file_search_calls` |
//! | `search_context_cost_per_query` | `web_search_calls` (× 1,000) at the medium size; low / high as option rules on `search_context_size` |
//! | `…_above_<N>k_tokens`, `tiered_pricing` ranges | context tiers above N×1,000 tokens, counting every input-side token bucket |
//! | `…_batches`, `…_flex`, `…_priority` | batch, flex and priority schedules |
//! | `off_peak_pricing` | time windows (UTC; weekdays 1 = Monday) |
//! | `alias_of` (an entry with no prices) | an alias of the entry it names |
//!
//! Every other cost key (per pixel, per video second of input, 12-hour cache writes,
//! `_ultrafast` / `_decisions` tiers, uplift multipliers, …) is counted in the report's
//! `unmapped`; keys that are not prices (limits, capabilities) in its `ignored`.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::{
    json_error, read_price, resolve_collisions, Collision, ImportError, Rates, Report, Table,
    TableModel, TableOption, TableSchedule, TableTier, TableWindow, VariantPrice,
};
use crate::catalog::{Catalog, Kind};
use crate::money::Currency;
use crate::unit::Unit;
use crate::usage::ServiceTier;

/// How an import is written.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The file imported, named in every schedule's `source`.
    pub source: String,
    /// The date the prices were read (`as_of`).
    pub as_of: NaiveDate,
    /// What to do with models the base tables already define.
    pub collisions: Collision,
}

/// The result of an import: one table per LiteLLM provider, and the report.
#[derive(Clone, Debug)]
pub struct Imported {
    /// `(file stem, table)`, e.g. `("litellm-openai", …)`.
    pub tables: Vec<(String, Table)>,
    /// What could not be mapped.
    pub report: Report,
}

/// The token buckets a context tier counts: every input-side bucket, as LiteLLM compares
/// its thresholds with the prompt's token count.
const INPUT_SIDE: [Unit; 7] = [
    Unit::InputTokens,
    Unit::CacheReadTokens,
    Unit::CacheWriteTokens,
    Unit::CacheWrite1hTokens,
    Unit::AudioInputTokens,
    Unit::AudioCacheReadTokens,
    Unit::ImageInputTokens,
];

/// Keys read for what they say about the entry rather than converted as prices.
const USED: [&str; 4] = ["litellm_provider", "mode", "source", "alias_of"];

/// Where one LiteLLM cost goes.
#[derive(Clone, Debug, PartialEq)]
enum Target {
    /// A scalar unit, the cost multiplied by this factor (to the unit's default quantity).
    Scalar(Unit, Decimal),
    /// An image price, for any size or one size.
    Image(Option<String>),
    /// A video-second price, for any resolution or one.
    Video(Option<String>),
}

fn target(base: &str, mode: &str) -> Option<Target> {
    let million = Decimal::from(1_000_000);
    let thousand = Decimal::from(1_000);
    let tok = |u| Some(Target::Scalar(u, million));
    match base {
        "input_cost_per_token" => tok(Unit::InputTokens),
        "output_cost_per_token" => tok(Unit::OutputTokens),
        "cache_read_input_token_cost" | "input_cost_per_token_cache_hit" => {
            tok(Unit::CacheReadTokens)
        }
        "cache_creation_input_token_cost" => tok(Unit::CacheWriteTokens),
        "cache_creation_input_token_cost_above_1hr" => tok(Unit::CacheWrite1hTokens),
        "output_cost_per_reasoning_token" => tok(Unit::ReasoningTokens),
        "input_cost_per_audio_token" => tok(Unit::AudioInputTokens),
        "cache_read_input_audio_token_cost" => tok(Unit::AudioCacheReadTokens),
        "output_cost_per_audio_token" => tok(Unit::AudioOutputTokens),
        "input_cost_per_image_token" => tok(Unit::ImageInputTokens),
        "output_cost_per_image_token" => tok(Unit::ImageOutputTokens),
        "input_cost_per_character" => tok(Unit::Characters),
        "input_cost_per_query" => Some(Target::Scalar(Unit::Searches, thousand)),
        "input_cost_per_request" => Some(Target::Scalar(Unit::Requests, Decimal::ONE)),
        "file_search_cost_per_1k_calls" => {
            Some(Target::Scalar(Unit::FileSearchCalls, Decimal::ONE))
        }
        "input_cost_per_second" if mode == "audio_transcription" => {
            Some(Target::Scalar(Unit::AudioSeconds, Decimal::ONE))
        }
        "output_cost_per_second" if mode == "audio_speech" => {
            Some(Target::Scalar(Unit::AudioSeconds, Decimal::ONE))
        }
        "output_cost_per_second" if mode == "video_generation" => Some(Target::Video(None)),
        "output_cost_per_image" if mode != "audio_speech" => Some(Target::Image(None)),
        _ => {
            if let Some(size) = base.strip_prefix("output_cost_per_image_") {
                if size != "token" && !size.contains("token") {
                    return Some(Target::Image(Some(size.to_string())));
                }
            }
            if let Some(res) = base.strip_prefix("output_cost_per_second_") {
                if mode == "video_generation" {
                    return Some(Target::Video(Some(res.to_string())));
                }
            }
            None
        }
    }
}

/// Splits `…_above_200k_tokens_batches` into the base key, the tier threshold and the
/// service tier.
fn split_key(key: &str) -> (&str, Option<u64>, ServiceTier) {
    let (rest, tier) = [
        ("_batches", ServiceTier::Batch),
        ("_flex", ServiceTier::Flex),
        ("_priority", ServiceTier::Priority),
    ]
    .into_iter()
    .find_map(|(suffix, t)| key.strip_suffix(suffix).map(|r| (r, t)))
    .unwrap_or((key, ServiceTier::Standard));
    if let Some(stem) = rest.strip_suffix("k_tokens") {
        if let Some(i) = stem.rfind("_above_") {
            if let Ok(n) = stem[i + 7..].parse::<u64>() {
                return (&stem[..i], Some(n * 1000), tier);
            }
        }
    }
    (rest, None, tier)
}

fn is_price_key(key: &str) -> bool {
    ["cost", "price", "pricing", "multiplier"]
        .iter()
        .any(|w| key.contains(w))
}

fn kind_of(mode: &str) -> Option<Kind> {
    Some(match mode {
        "chat" | "responses" | "realtime" => Kind::Chat,
        "completion" => Kind::Completion,
        "embedding" => Kind::Embedding,
        "image_generation" | "image_edit" => Kind::Image,
        "video_generation" => Kind::Video,
        "audio_transcription" | "audio_speech" => Kind::Audio,
        "moderation" | "moderations" => Kind::Moderation,
        "rerank" => Kind::Rerank,
        _ => return None,
    })
}

/// Rates being gathered for one service tier of one entry.
#[derive(Default)]
struct Acc {
    base: Rates,
    tiers: BTreeMap<u64, Rates>,
    windows: Vec<TableWindow>,
    options: Vec<TableOption>,
    keys: Vec<String>,
}

fn put(rates: &mut Rates, t: &Target, value: Decimal) -> Result<(), String> {
    match t {
        Target::Scalar(u, factor) => {
            let p = (value * factor).normalize();
            match rates.scalar.insert(*u, p) {
                Some(old) if old != p => Err(format!("two keys price {u}: {old} and {p}")),
                _ => Ok(()),
            }
        }
        Target::Image(size) => {
            add_variant(&mut rates.images, size.clone(), None, value.normalize())
        }
        Target::Video(res) => add_variant(&mut rates.video, None, res.clone(), value.normalize()),
    }
}

fn add_variant(
    list: &mut Vec<VariantPrice>,
    size: Option<String>,
    resolution: Option<String>,
    price: Decimal,
) -> Result<(), String> {
    if let Some(v) = list
        .iter()
        .find(|v| v.size == size && v.resolution == resolution)
    {
        return if v.price == price {
            Ok(())
        } else {
            Err(format!(
                "two keys price the same variant: {} and {price}",
                v.price
            ))
        };
    }
    list.push(VariantPrice {
        size,
        quality: None,
        resolution,
        price,
    });
    Ok(())
}

fn object(raw: &RawValue, what: &str) -> Result<BTreeMap<String, Box<RawValue>>, ImportError> {
    let t = raw.get().trim_start();
    if !t.starts_with('{') {
        return Err(ImportError::NotAnObject {
            what: what.to_string(),
            found: t.chars().take(40).collect(),
        });
    }
    crate::strict::from_str(raw.get()).map_err(|e| json_error(what, &e))
}

fn string(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

/// Converts LiteLLM's price map to tariff price tables.
///
/// ```
/// use tariff_operations::convert::{litellm, Collision};
/// use tariff_core::{Catalog, Usage};
/// use chrono::NaiveDate;
///
/// let json = r#"{"my-model": {"litellm_provider": "acme", "mode": "chat",
///     "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05, "max_tokens": 8192}}"#;
/// let opts = litellm::ImportOptions { source: "prices.json".into(),
///     as_of: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(), collisions: Collision::Replace };
/// let out = litellm::import(json, &opts, &Catalog::default())?;
/// assert_eq!(out.report.ignored["max_tokens"], 1);
/// let (name, table) = &out.tables[0];
/// assert_eq!(name, "litellm-acme");
/// let catalog = Catalog::builder().text("acme.toml", table.to_toml()).build()?;
/// let bill = catalog.quote("my-model", &Usage::from_json(r#"{"input_tokens": 1000000}"#)?)?;
/// assert_eq!(bill.total().to_string(), "3"); // 3e-06 per token, exactly
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn import(text: &str, opts: &ImportOptions, base: &Catalog) -> Result<Imported, ImportError> {
    let top: BTreeMap<String, Box<RawValue>> = {
        let t = text.trim_start();
        if !t.starts_with('{') {
            return Err(ImportError::NotAnObject {
                what: "LiteLLM price map".into(),
                found: t.chars().take(40).collect(),
            });
        }
        crate::strict::from_str(text).map_err(|e| json_error("LiteLLM price map", &e))?
    };
    let mut report = Report {
        source: opts.source.clone(),
        ..Report::default()
    };
    let mut models: Vec<TableModel> = Vec::new();
    let mut provider_of: BTreeMap<String, String> = BTreeMap::new();
    let mut aliases: Vec<(String, String)> = Vec::new();
    let mut unknown_modes: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen_case = super::CaseTwins::default();
    for (key, raw) in &top {
        if key == "sample_spec" {
            report.skip(key, "LiteLLM's description of its own schema, not a model");
            continue;
        }
        let fields = object(raw, key)?;
        let provider = fields
            .get("litellm_provider")
            .and_then(|r| string(r))
            .unwrap_or_else(|| "unknown".into());
        let fault = crate::catalog::id_fault(key)
            .map(|f| format!("not a model id: it {f}"))
            .or_else(|| {
                crate::catalog::unprintable(&provider).map(|c| {
                    format!("its provider holds the control character U+{:04X}; names are printable text", u32::from(c))
                })
            });
        if let Some(fault) = fault {
            report.skip(&key.escape_debug().to_string(), fault);
            continue;
        }
        if let Some(why) = seen_case.check(key) {
            report.skip(&key.escape_debug().to_string(), why);
            continue;
        }
        let mode = fields
            .get("mode")
            .and_then(|r| string(r))
            .unwrap_or_default();
        let upstream = fields.get("source").and_then(|r| string(r));
        let has_prices = fields.keys().any(|k| is_price_key(k));
        if let Some(target) = fields.get("alias_of").and_then(|r| string(r)) {
            if !has_prices {
                aliases.push((key.clone(), target));
                count_ignored(&mut report, &fields);
                continue;
            }
        }
        let mut accs: BTreeMap<ServiceTier, Acc> = BTreeMap::new();
        let mut problems: Vec<String> = Vec::new();
        for (k, v) in &fields {
            if USED.contains(&k.as_str()) {
                continue;
            }
            if !is_price_key(k) {
                *report.ignored.entry(k.clone()).or_default() += 1;
                continue;
            }
            match k.as_str() {
                "search_context_cost_per_query" => {
                    search_context(
                        &mut report,
                        key,
                        v,
                        accs.entry(ServiceTier::Standard).or_default(),
                    )?;
                    continue;
                }
                "tiered_pricing" => {
                    tiered(
                        &mut report,
                        key,
                        &mode,
                        v,
                        accs.entry(ServiceTier::Standard).or_default(),
                        &mut problems,
                    )?;
                    continue;
                }
                "off_peak_pricing" => {
                    off_peak(
                        &mut report,
                        key,
                        &mode,
                        v,
                        accs.entry(ServiceTier::Standard).or_default(),
                        &mut problems,
                    )?;
                    continue;
                }
                _ => {}
            }
            let (base_key, above, tier) = split_key(k);
            let Some(t) = target(base_key, &mode) else {
                report.unmapped(k);
                continue;
            };
            let value = read_price(v, k, key)?;
            let acc = accs.entry(tier).or_default();
            acc.keys.push(k.clone());
            let rates = match above {
                None => &mut acc.base,
                Some(n) => acc.tiers.entry(n).or_default(),
            };
            if let Err(e) = put(rates, &t, value) {
                problems.push(format!("`{k}`: {e}"));
            }
        }
        for p in problems {
            report.note(key, p);
        }
        let kind = kind_of(&mode).unwrap_or_else(|| {
            *unknown_modes.entry(mode.clone()).or_default() += 1;
            Kind::Chat
        });
        let source = match &upstream {
            Some(u) => format!("{}: {key} (LiteLLM's source: {u})", opts.source),
            None => format!("{}: {key}", opts.source),
        };
        let mut schedules = Vec::new();
        for (tier, acc) in accs {
            if acc.base.is_empty() {
                if !acc.tiers.is_empty() || !acc.windows.is_empty() || !acc.options.is_empty() {
                    for k in &acc.keys {
                        report.unmapped(k);
                    }
                    report.note(
                        key,
                        format!("{tier} prices name only context tiers or conditions, with no base price: not imported"),
                    );
                }
                continue;
            }
            let tiers = acc
                .tiers
                .into_iter()
                .map(|(above, rates)| TableTier {
                    name: format!("above {}K input", above / 1000),
                    above,
                    counts: INPUT_SIDE.to_vec(),
                    rates,
                })
                .collect();
            schedules.push(TableSchedule {
                service_tier: tier,
                from: None,
                source: source.clone(),
                as_of: opts.as_of,
                rates: acc.base,
                tiers,
                windows: acc.windows,
                options: acc.options,
            });
        }
        if schedules.is_empty() {
            report.skip(
                key,
                if has_prices {
                    "none of its prices maps to a tariff unit (see unmapped)"
                } else {
                    "it has no prices"
                },
            );
            continue;
        }
        provider_of.insert(key.clone(), provider);
        models.push(TableModel {
            id: key.clone(),
            kind,
            aliases: Vec::new(),
            patterns: Vec::new(),
            replaces: false,
            schedules,
        });
    }
    for (mode, n) in unknown_modes {
        report.note(
            "mode",
            format!("mode `{mode}` ({n} entries) has no tariff kind: written as chat"),
        );
    }
    for (alias, target) in aliases {
        match models.iter_mut().find(|m| m.id == target) {
            Some(m) => m.aliases.push(alias),
            None => report.skip(
                &alias,
                format!("an alias of `{target}`, which was not imported"),
            ),
        }
    }
    let models = resolve_collisions(models, base, opts.collisions, &mut report);
    report.models = models.len();
    let mut by_provider: BTreeMap<String, Vec<TableModel>> = BTreeMap::new();
    for m in models {
        let p = provider_of
            .get(&m.id)
            .cloned()
            .unwrap_or_else(|| "unknown".into());
        by_provider.entry(p).or_default().push(m);
    }
    let tables = by_provider
        .into_iter()
        .map(|(provider, models)| {
            let stem: String = provider
                .to_ascii_lowercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let table = Table {
                provider: provider.clone(),
                name: Some(format!("{provider} (from LiteLLM)")),
                currency: Currency::USD,
                fallbacks: BTreeMap::new(),
                header: vec![
                    format!(
                        "Imported by `tariff import --from litellm` from {}, read {}.",
                        opts.source, opts.as_of
                    ),
                    "GAPS: LiteLLM keys with no tariff unit are listed in import-report.json (`unmapped`).".into(),
                ],
                models,
            };
            (format!("litellm-{stem}"), table)
        })
        .collect();
    Ok(Imported { tables, report })
}

fn count_ignored(report: &mut Report, fields: &BTreeMap<String, Box<RawValue>>) {
    for k in fields.keys().filter(|k| !USED.contains(&k.as_str())) {
        *report.ignored.entry(k.clone()).or_default() += 1;
    }
}

fn search_context(
    report: &mut Report,
    model: &str,
    raw: &RawValue,
    acc: &mut Acc,
) -> Result<(), ImportError> {
    let key = "search_context_cost_per_query";
    let sizes = object(raw, &format!("{model}: {key}"))?;
    let mut prices: BTreeMap<&str, Decimal> = BTreeMap::new();
    for (k, v) in &sizes {
        match k.strip_prefix("search_context_size_") {
            Some(size @ ("low" | "medium" | "high")) => {
                prices.insert(
                    size,
                    read_price(v, &format!("{key}.{k}"), model)? * Decimal::from(1000),
                );
            }
            _ => report.unmapped(&format!("{key}.{k}")),
        }
    }
    let Some(medium) = prices.get("medium").copied() else {
        if !prices.is_empty() {
            report.unmapped(key);
            report.note(
                model,
                "search context prices without a medium (default) size: not imported",
            );
        }
        return Ok(());
    };
    acc.keys.push(key.into());
    acc.base
        .scalar
        .insert(Unit::WebSearchCalls, medium.normalize());
    for size in ["low", "high"] {
        if let Some(p) = prices.get(size).filter(|p| **p != medium) {
            let mut rates = Rates::default();
            rates.scalar.insert(Unit::WebSearchCalls, p.normalize());
            acc.options.push(TableOption {
                name: format!("search context {size}"),
                when: [("search_context_size".to_string(), size.to_string())]
                    .into_iter()
                    .collect(),
                rates,
            });
        }
    }
    Ok(())
}

fn tiered(
    report: &mut Report,
    model: &str,
    mode: &str,
    raw: &RawValue,
    acc: &mut Acc,
    problems: &mut Vec<String>,
) -> Result<(), ImportError> {
    let key = "tiered_pricing";
    let items: Vec<Box<RawValue>> = crate::strict::from_str(raw.get())
        .map_err(|e| json_error(&format!("{model}: {key}"), &e))?;
    if items.iter().any(|i| i.get().contains("max_results_range")) {
        report.unmapped("tiered_pricing (by max_results_range)");
        return Ok(());
    }
    for item in &items {
        let fields = object(item, &format!("{model}: {key}"))?;
        let lower = fields
            .get("range")
            .and_then(|r| serde_json::from_str::<Vec<Box<RawValue>>>(r.get()).ok())
            .and_then(|r| r.first().and_then(|x| super::parse_number(x.get())))
            .and_then(|d| u64::try_from(d.trunc()).ok());
        let Some(lower) = lower else {
            return Err(ImportError::NotANumber {
                option: format!("{key}.range"),
                name: model.to_string(),
                found: item.get().chars().take(40).collect(),
            });
        };
        for (k, v) in fields.iter().filter(|(k, _)| k.as_str() != "range") {
            let Some(t) = target(k, mode) else {
                report.unmapped(&format!("{key}.{k}"));
                continue;
            };
            let value = read_price(v, &format!("{key}.{k}"), model)?;
            let rates = if lower == 0 {
                &mut acc.base
            } else {
                acc.tiers.entry(lower).or_default()
            };
            if let Err(e) = put(rates, &t, value) {
                problems.push(format!("`{key}` from {lower} tokens: {e}"));
            }
        }
    }
    acc.keys.push(key.into());
    Ok(())
}

fn off_peak(
    report: &mut Report,
    model: &str,
    mode: &str,
    raw: &RawValue,
    acc: &mut Acc,
    problems: &mut Vec<String>,
) -> Result<(), ImportError> {
    let key = "off_peak_pricing";
    let fields = object(raw, &format!("{model}: {key}"))?;
    if fields.contains_key("weekday_timezone") {
        // Hours in UTC with weekdays in another zone do not make one fixed-offset window.
        report.unmapped("off_peak_pricing (with weekday_timezone)");
        report.note(
            model,
            "off-peak windows with weekdays in another time zone than their hours: not imported",
        );
        return Ok(());
    }
    let mut rates = Rates::default();
    let mut spans: Vec<(String, String, Vec<Weekday>)> = Vec::new();
    for (k, v) in &fields {
        if k == "windows" {
            let ws: Vec<BTreeMap<String, serde_json::Value>> = serde_json::from_str(v.get())
                .map_err(|e| json_error(&format!("{model}: {key}.windows"), &e))?;
            for w in ws {
                let hours: Vec<String> = match w.get("hours_utc") {
                    Some(serde_json::Value::String(s)) => vec![s.clone()],
                    Some(serde_json::Value::Array(a)) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                };
                let days: Option<Vec<Weekday>> = match w.get("weekdays") {
                    None => Some(Vec::new()),
                    Some(serde_json::Value::Array(a)) => a
                        .iter()
                        .map(|d| {
                            d.as_u64()
                                .filter(|d| (1..=7).contains(d))
                                .and_then(|d| Weekday::try_from(d as u8 - 1).ok())
                        })
                        .collect(),
                    _ => None,
                };
                let spans_ok: Option<Vec<(String, String)>> = hours
                    .iter()
                    .map(|h| {
                        let (a, b) = h.split_once('-')?;
                        let ok = |t: &str| chrono::NaiveTime::parse_from_str(t, "%H:%M").is_ok();
                        (ok(a) && ok(b)).then(|| (a.to_string(), b.to_string()))
                    })
                    .collect();
                match (spans_ok, days) {
                    (Some(s), Some(d)) if !s.is_empty() => {
                        spans.extend(s.into_iter().map(|(a, b)| (a, b, d.clone())))
                    }
                    _ => {
                        report.unmapped(&format!("{key}.windows"));
                        report.note(
                            model,
                            format!("an off-peak window it could not read: {w:?}"),
                        );
                        return Ok(());
                    }
                }
            }
            continue;
        }
        let Some(t) = target(k, mode) else {
            report.unmapped(&format!("{key}.{k}"));
            continue;
        };
        let value = read_price(v, &format!("{key}.{k}"), model)?;
        if let Err(e) = put(&mut rates, &t, value) {
            problems.push(format!("`{key}`: {e}"));
        }
    }
    if spans.is_empty() || rates.is_empty() {
        report.unmapped(key);
        return Ok(());
    }
    for (i, (start, end, days)) in spans.into_iter().enumerate() {
        acc.windows.push(TableWindow {
            name: format!("off-peak {}", i + 1),
            utc_offset: "+00:00".into(),
            start,
            end,
            days,
            rates: rates.clone(),
        });
    }
    acc.keys.push(key.into());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_into_base_tier_and_service_tier() {
        assert_eq!(
            split_key("input_cost_per_token_above_200k_tokens_batches"),
            ("input_cost_per_token", Some(200_000), ServiceTier::Batch)
        );
        assert_eq!(
            split_key("cache_creation_input_token_cost_above_1hr"),
            (
                "cache_creation_input_token_cost_above_1hr",
                None,
                ServiceTier::Standard
            )
        );
        assert_eq!(
            split_key("cache_creation_input_token_cost_above_1hr_above_200k_tokens"),
            (
                "cache_creation_input_token_cost_above_1hr",
                Some(200_000),
                ServiceTier::Standard
            )
        );
        assert_eq!(
            split_key("input_cost_per_token_ultrafast"),
            (
                "input_cost_per_token_ultrafast",
                None,
                ServiceTier::Standard
            )
        );
        assert_eq!(target("input_cost_per_token_ultrafast", "chat"), None);
        assert_eq!(
            target("output_cost_per_second_720p", "video_generation"),
            Some(Target::Video(Some("720p".into())))
        );
        assert_eq!(
            target("output_cost_per_second", "audio_transcription"),
            None
        );
    }
}
