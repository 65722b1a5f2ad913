//! genai-prices' data read as a [`Source`]: its JSON data file (a list of providers,
//! prices as JSON numbers, match rules `or` / `and`) or the dump of a release's
//! `genai_prices.data.providers` (an object with `package`, `version` and `providers`,
//! prices as decimal strings, match rules `or_` / `and_`, batch prices in `price_variants`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{dedupe, map_provider, Source, SourceError, SourceKind, SourceModel};
use crate::convert::parse_number;
use crate::unit::Unit;

/// A genai-prices match rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    Equals(String),
    StartsWith(String),
    EndsWith(String),
    Contains(String),
    /// Not evaluated (no regular-expression engine in the library): matches nothing.
    Regex,
    Or(Vec<Rule>),
    And(Vec<Rule>),
}

impl Rule {
    /// Whether the rule accepts a model name.
    pub(crate) fn matches(&self, name: &str) -> bool {
        match self {
            Rule::Equals(s) => name == s,
            Rule::StartsWith(s) => name.starts_with(s.as_str()),
            Rule::EndsWith(s) => name.ends_with(s.as_str()),
            Rule::Contains(s) => name.contains(s.as_str()),
            Rule::Regex => false,
            Rule::Or(r) => r.iter().any(|r| r.matches(name)),
            Rule::And(r) => r.iter().all(|r| r.matches(name)),
        }
    }

    /// Whether a regular expression is among its clauses (not evaluated).
    fn has_regex(&self) -> bool {
        match self {
            Rule::Regex => true,
            Rule::Or(r) | Rule::And(r) => r.iter().any(Rule::has_regex),
            _ => false,
        }
    }

    /// The exact names the rule lists (`equals` leaves under `or`).
    fn equals(&self, out: &mut Vec<String>) {
        match self {
            Rule::Equals(s) => out.push(s.clone()),
            Rule::Or(r) => r.iter().for_each(|r| r.equals(out)),
            _ => {}
        }
    }

    fn parse(v: &serde_json::Value, path: &str) -> Result<Rule, SourceError> {
        let shape = |m: &str| SourceError::Shape {
            what: path.to_string(),
            message: m.to_string(),
        };
        let obj = v
            .as_object()
            .ok_or_else(|| shape("a match rule is not an object"))?;
        let (k, x) = obj
            .iter()
            .next()
            .filter(|_| obj.len() == 1)
            .ok_or_else(|| shape("a match rule has not exactly one key"))?;
        let s = || {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| shape(&format!("`{k}` is not a string")))
        };
        let list = || -> Result<Vec<Rule>, SourceError> {
            x.as_array()
                .ok_or_else(|| shape(&format!("`{k}` is not a list")))?
                .iter()
                .enumerate()
                .map(|(i, r)| Rule::parse(r, &format!("{path}.{k}[{i}]")))
                .collect()
        };
        Ok(match k.as_str() {
            "equals" => Rule::Equals(s()?),
            "starts_with" => Rule::StartsWith(s()?),
            "ends_with" => Rule::EndsWith(s()?),
            "contains" => Rule::Contains(s()?),
            "regex" => Rule::Regex,
            "or" | "or_" => Rule::Or(list()?),
            "and" | "and_" => Rule::And(list()?),
            other => return Err(shape(&format!("unknown match rule `{other}`"))),
        })
    }
}

#[derive(Deserialize)]
struct Dump {
    version: Option<String>,
    providers: Vec<Provider>,
}

#[derive(Deserialize)]
struct Provider {
    id: String,
    #[serde(default)]
    models: Vec<GModel>,
}

#[derive(Deserialize)]
struct GModel {
    id: String,
    #[serde(rename = "match")]
    rule: serde_json::Value,
    prices: Box<RawValue>,
    #[serde(default)]
    deprecated: Option<bool>,
    #[serde(default)]
    price_variants: Option<Vec<Variant>>,
}

#[derive(Deserialize)]
struct Conditional {
    #[serde(default)]
    constraint: Option<BTreeMap<String, String>>,
    prices: BTreeMap<String, Box<RawValue>>,
}

#[derive(Deserialize)]
struct Variant {
    #[serde(default)]
    when: BTreeMap<String, String>,
    #[serde(default)]
    constraint: Option<BTreeMap<String, String>>,
    prices: BTreeMap<String, Box<RawValue>>,
}

/// Reads genai-prices' data at an instant, detecting which of its two shapes the text is.
///
/// Of a model's conditional prices, the last whose constraint holds at the instant applies
/// (`start_date` on or before its date, `start_time`..`end_time` holding its UTC time), as
/// genai-prices chooses; `deprecated: true` is retired. `price_variants` with
/// `when = {processing = "batch"}` are batch prices. Match rules other than regular
/// expressions are kept and tried against tariff's names.
///
/// ```
/// use tariff_operations::sources::read_genai_prices;
/// let json = r#"[{"id": "openai", "models": [{"id": "gpt-x", "match": {"equals": "gpt-x"},
///     "prices": {"input_mtok": 1.25, "output_mtok": {"base": 10, "tiers": [{"start": 272000, "price": 20}]}}}]}]"#;
/// let s = read_genai_prices(json, "2026-12-06T12:00:00Z".parse()?)?;
/// assert_eq!(s.models[0].prices["output_tokens above 272000"].to_string(), "20");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_genai_prices(text: &str, at: DateTime<Utc>) -> Result<Source, SourceError> {
    let shape = |what: &str, e: serde_json::Error| SourceError::Shape {
        what: what.to_string(),
        message: e.to_string(),
    };
    let trimmed = text.trim_start();
    let (providers, format) = if trimmed.starts_with('[') {
        let p: Vec<Provider> =
            serde_json::from_str(text).map_err(|e| shape("genai-prices data file", e))?;
        (p, "genai-prices data file".to_string())
    } else if trimmed.starts_with('{') {
        let d: Dump = serde_json::from_str(text).map_err(|e| {
            shape(
                "genai-prices dump (an object with `providers`; the data file is a list)",
                e,
            )
        })?;
        let v = d.version.unwrap_or_else(|| "?".into());
        (d.providers, format!("genai-prices {v} dump"))
    } else {
        return Err(SourceError::Shape {
            what: "genai-prices data".into(),
            message: "neither a list of providers (the data file) nor an object (a release's dump)"
                .into(),
        });
    };
    let mut unread: BTreeMap<String, usize> = BTreeMap::new();
    let mut other_providers = BTreeMap::new();
    let mut models = Vec::new();
    for p in providers {
        let Some((provider, rank)) = map_provider(SourceKind::GenaiPrices, &p.id) else {
            *other_providers.entry(p.id.clone()).or_default() += p.models.len();
            continue;
        };
        for m in p.models {
            let path = format!("{}.{}", p.id, m.id);
            let rule = Rule::parse(&m.rule, &format!("{path}.match"))?;
            if rule.has_regex() {
                *unread
                    .entry("regex match rules (not evaluated)".into())
                    .or_default() += 1;
            }
            let mut names = vec![m.id.clone()];
            let mut eq = Vec::new();
            rule.equals(&mut eq);
            for n in eq {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            let mut prices = BTreeMap::new();
            let chosen = choose(&m.prices, at, &path, &mut unread)?;
            if let Some(chosen) = chosen {
                read_prices(&chosen, "", &path, &mut prices, &mut unread)?;
            }
            for v in m.price_variants.iter().flatten().rev() {
                let batch = v.when.len() == 1
                    && v.when.get("processing").map(String::as_str) == Some("batch");
                if !batch {
                    *unread
                        .entry("price_variants (other than batch)".into())
                        .or_default() += 1;
                    continue;
                }
                if prices.keys().any(|k: &String| k.starts_with("batch ")) {
                    continue;
                }
                if holds(v.constraint.as_ref(), at, &mut unread) {
                    read_prices(&v.prices, "batch ", &path, &mut prices, &mut unread)?;
                }
            }
            models.push((
                rank,
                SourceModel {
                    key: m.id.clone(),
                    source_provider: p.id.clone(),
                    provider: provider.to_string(),
                    names,
                    rule: Some(rule),
                    retired: (m.deprecated == Some(true)).then(|| "deprecated".to_string()),
                    prices,
                },
            ));
        }
    }
    Ok(Source {
        kind: SourceKind::GenaiPrices,
        format,
        at,
        models: dedupe(models),
        other_providers,
        unread,
    })
}

type PriceMap = BTreeMap<String, Box<RawValue>>;

/// The prices in force: the object itself, or the last conditional price that holds.
fn choose(
    raw: &RawValue,
    at: DateTime<Utc>,
    path: &str,
    unread: &mut BTreeMap<String, usize>,
) -> Result<Option<PriceMap>, SourceError> {
    let shape = |e: serde_json::Error| SourceError::Shape {
        what: format!("{path}.prices"),
        message: e.to_string(),
    };
    if raw.get().trim_start().starts_with('[') {
        let list: Vec<Conditional> = serde_json::from_str(raw.get()).map_err(shape)?;
        Ok(list
            .into_iter()
            .rev()
            .find(|c| holds(c.constraint.as_ref(), at, unread))
            .map(|c| c.prices))
    } else {
        Ok(Some(serde_json::from_str(raw.get()).map_err(shape)?))
    }
}

/// Whether a constraint holds at the instant: every condition it names.
fn holds(
    c: Option<&BTreeMap<String, String>>,
    at: DateTime<Utc>,
    unread: &mut BTreeMap<String, usize>,
) -> bool {
    let Some(c) = c else { return true };
    let time = |s: &str| {
        let s = s.trim_end_matches('Z').trim_end_matches("+00:00");
        NaiveTime::parse_from_str(s, "%H:%M:%S").ok()
    };
    let now = at.time().with_nanosecond(0).unwrap_or(at.time());
    let mut ok = true;
    for (k, v) in c {
        ok &= match k.as_str() {
            "start_date" => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(|d| d <= at.date_naive())
                .unwrap_or(false),
            "end_date" => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(|d| at.date_naive() < d)
                .unwrap_or(false),
            "start_time" | "end_time" => {
                let (Some(s), Some(e)) = (
                    c.get("start_time").and_then(|s| time(s)),
                    c.get("end_time").and_then(|s| time(s)),
                ) else {
                    return false;
                };
                if s < e {
                    s <= now && now < e
                } else {
                    now >= s || now < e
                }
            }
            other => {
                *unread
                    .entry(format!("constraint `{other}` (not evaluated)"))
                    .or_default() += 1;
                false
            }
        };
    }
    ok
}

/// genai-prices' price keys → tariff's unit and the divisor to tariff's default quantity.
fn unit_of(key: &str) -> Option<(Unit, Decimal)> {
    let one = Decimal::ONE;
    Some(match key {
        "input_mtok" => (Unit::InputTokens, one),
        "output_mtok" => (Unit::OutputTokens, one),
        "cache_read_mtok" => (Unit::CacheReadTokens, one),
        "cache_write_mtok" => (Unit::CacheWriteTokens, one),
        "cache_write_1h_mtok" => (Unit::CacheWrite1hTokens, one),
        "output_reasoning_mtok" => (Unit::ReasoningTokens, one),
        "input_audio_mtok" => (Unit::AudioInputTokens, one),
        "cache_audio_read_mtok" => (Unit::AudioCacheReadTokens, one),
        "output_audio_mtok" => (Unit::AudioOutputTokens, one),
        "input_image_mtok" => (Unit::ImageInputTokens, one),
        "output_image_mtok" => (Unit::ImageOutputTokens, one),
        "input_mchars" => (Unit::Characters, one),
        "web_searches_kcount" => (Unit::WebSearchCalls, one),
        // Per 1,000 requests there; per request in tariff.
        "requests_kcount" => (Unit::Requests, Decimal::from(1000)),
        _ => return None,
    })
}

/// A price from its JSON text: a number, or a decimal string (the dump's form).
fn number(raw: &RawValue, what: &str) -> Result<Decimal, SourceError> {
    let t = raw.get().trim();
    let inner = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t);
    parse_number(inner)
        .filter(|d| !d.is_sign_negative() || d.is_zero())
        .ok_or_else(|| SourceError::Shape {
            what: what.to_string(),
            message: format!(
                "`{}` is not a non-negative number",
                t.chars().take(40).collect::<String>()
            ),
        })
}

fn read_prices(
    p: &PriceMap,
    prefix: &str,
    path: &str,
    out: &mut BTreeMap<String, Decimal>,
    unread: &mut BTreeMap<String, usize>,
) -> Result<(), SourceError> {
    #[derive(Deserialize)]
    struct Tiered {
        base: Box<RawValue>,
        tiers: Vec<TierPrice>,
    }
    #[derive(Deserialize)]
    struct TierPrice {
        start: Box<RawValue>,
        price: Box<RawValue>,
    }
    for (k, raw) in p {
        let Some((unit, div)) = unit_of(k) else {
            *unread.entry(k.clone()).or_default() += 1;
            continue;
        };
        let what = format!("{path}.prices.{k}");
        let conv = |d: Decimal| (d / div).normalize();
        if raw.get().trim_start().starts_with('{') {
            let t: Tiered = serde_json::from_str(raw.get()).map_err(|e| SourceError::Shape {
                what: what.clone(),
                message: e.to_string(),
            })?;
            out.insert(format!("{prefix}{unit}"), conv(number(&t.base, &what)?));
            for tp in t.tiers {
                let start = number(&tp.start, &format!("{what}.tiers.start"))?;
                out.insert(
                    format!("{prefix}{unit} above {}", start.normalize()),
                    conv(number(&tp.price, &format!("{what}.tiers.price"))?),
                );
            }
        } else {
            out.insert(format!("{prefix}{unit}"), conv(number(raw, &what)?));
        }
    }
    Ok(())
}
