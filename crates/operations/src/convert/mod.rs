//! Moving prices between tariff's tables and other relays' formats.
//!
//! - [`newapi`]: new-api's ratio options (`ModelRatio`, `CompletionRatio`, `CacheRatio`,
//!   `CreateCacheRatio`, `ModelPrice`, `ImageRatio`, `GroupRatio`) in both directions, and
//!   the shape of its `/api/pricing` endpoint out.
//! - [`litellm`]: LiteLLM's model price map in.
//!
//! An import produces a [`Table`] (written as price-table TOML by [`Table::to_toml`]) and
//! a [`Report`] of everything that could not be carried over; an export produces the other
//! format and the same kind of report. Nothing is dropped without a line in the report.
//! Numbers are read from their JSON text into `Decimal`, never through `f64`.

pub mod litellm;
pub mod newapi;
mod toml_out;

use std::collections::BTreeMap;

use chrono::{NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::catalog::{Catalog, Kind};
use crate::money::Currency;
use crate::unit::Unit;
use crate::usage::ServiceTier;

/// A price table to be written as TOML (the schema of `pricing/README.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Provider id of the file.
    pub provider: String,
    /// Display name of the provider.
    pub name: Option<String>,
    /// Currency of every schedule.
    pub currency: Currency,
    /// File-wide fallbacks: a unit with no rate is priced as another.
    pub fallbacks: BTreeMap<Unit, Unit>,
    /// Comment lines written at the top of the file (without the `#`).
    pub header: Vec<String>,
    /// The models.
    pub models: Vec<TableModel>,
}

/// One model of a [`Table`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableModel {
    /// Canonical id.
    pub id: String,
    /// What the model does.
    pub kind: Kind,
    /// Other exact names.
    pub aliases: Vec<String>,
    /// Glob patterns.
    pub patterns: Vec<String>,
    /// Re-prices a model that an earlier table defines.
    pub replaces: bool,
    /// The schedules.
    pub schedules: Vec<TableSchedule>,
}

/// One schedule of a [`TableModel`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSchedule {
    /// Service tier.
    pub service_tier: ServiceTier,
    /// First day in force; `None` = since always.
    pub from: Option<NaiveDate>,
    /// Where the prices were read.
    pub source: String,
    /// When they were read.
    pub as_of: NaiveDate,
    /// Base rates.
    pub rates: Rates,
    /// Context tiers, ascending.
    pub tiers: Vec<TableTier>,
    /// Time-of-day windows.
    pub windows: Vec<TableWindow>,
    /// Option rules.
    pub options: Vec<TableOption>,
}

/// Prices by unit, each for the unit's default quantity (tokens per 1,000,000, searches
/// and tool calls per 1,000, everything else per one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rates {
    /// One price per scalar unit.
    pub scalar: BTreeMap<Unit, Decimal>,
    /// Image prices by variant.
    pub images: Vec<VariantPrice>,
    /// Video-second prices by variant.
    pub video: Vec<VariantPrice>,
}

impl Rates {
    /// Whether no unit is priced.
    pub fn is_empty(&self) -> bool {
        self.scalar.is_empty() && self.images.is_empty() && self.video.is_empty()
    }
}

/// A price for one variant of `images` or `video_seconds`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariantPrice {
    /// Image size; `None` matches any.
    pub size: Option<String>,
    /// Image quality; `None` matches any.
    pub quality: Option<String>,
    /// Video resolution; `None` matches any.
    pub resolution: Option<String>,
    /// The price of one image or one second.
    pub price: Decimal,
}

/// A whole-request context tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableTier {
    /// Its name.
    pub name: String,
    /// Threshold (exclusive).
    pub above: u64,
    /// Token buckets counted toward the threshold.
    pub counts: Vec<Unit>,
    /// Rates above it.
    pub rates: Rates,
}

/// A time-of-day window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableWindow {
    /// Its name.
    pub name: String,
    /// Offset of the local clock, like `+08:00`.
    pub utc_offset: String,
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end, `HH:MM` (at or before `start` wraps midnight).
    pub end: String,
    /// Weekdays it applies on; empty = every day.
    pub days: Vec<Weekday>,
    /// Rates in the window.
    pub rates: Rates,
}

/// Rates that apply when the request carries certain options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableOption {
    /// Its name.
    pub name: String,
    /// Option values that must all match.
    pub when: BTreeMap<String, String>,
    /// The rates.
    pub rates: Rates,
}

/// What an import or export could not carry over, and the assumptions it made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The file or catalog converted.
    pub source: String,
    /// Models written.
    pub models: usize,
    /// Price keys that have no equivalent on the other side, with how many entries had
    /// each (LiteLLM keys, or units / conditions on export).
    pub unmapped: BTreeMap<String, usize>,
    /// Keys that are not prices (capabilities, limits, documentation), with counts: read
    /// and deliberately not converted.
    pub ignored: BTreeMap<String, usize>,
    /// Models not converted at all, and why.
    pub skipped: Vec<Note>,
    /// Per-model notes: defaults assumed, approximations, conditions left out.
    pub notes: Vec<Note>,
}

/// One line of a [`Report`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The model (or key) it is about.
    pub model: String,
    /// What happened.
    pub message: String,
}

impl Report {
    pub(crate) fn note(&mut self, model: &str, message: impl Into<String>) {
        self.notes.push(Note {
            model: model.to_string(),
            message: message.into(),
        });
    }

    pub(crate) fn skip(&mut self, model: &str, message: impl Into<String>) {
        self.skipped.push(Note {
            model: model.to_string(),
            message: message.into(),
        });
    }

    pub(crate) fn unmapped(&mut self, key: &str) {
        *self.unmapped.entry(key.to_string()).or_default() += 1;
    }

    /// A short human summary: counts, then every unmapped key and skipped model.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{}: {} models converted, {} skipped, {} notes\n",
            self.source,
            self.models,
            self.skipped.len(),
            self.notes.len()
        );
        if !self.unmapped.is_empty() {
            out.push_str("not converted (key: entries):\n");
            for (k, n) in &self.unmapped {
                out.push_str(&format!("  {k}: {n}\n"));
            }
        }
        if !self.ignored.is_empty() {
            out.push_str(&format!(
                "{} non-price keys read and not converted (listed in the JSON report)\n",
                self.ignored.len()
            ));
        }
        for s in &self.skipped {
            out.push_str(&format!("skipped {}: {}\n", s.model, s.message));
        }
        out
    }
}

/// What to do with an imported model whose name the base tables already define.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Collision {
    /// Write it with `replaces = true`: it re-prices the built-in model.
    #[default]
    Replace,
    /// Leave it out (and report it).
    Skip,
}

/// A problem with an input file that stops an import: each names the key and model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The text is not valid JSON.
    #[error("{what}: invalid JSON: {message} (line {line}, column {column})")]
    Json {
        /// What was being read.
        what: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A value that should be a JSON object is not.
    #[error("{what}: expected a JSON object, found `{found}`")]
    NotAnObject {
        /// Where (option name or model).
        what: String,
        /// The start of the value found.
        found: String,
    },
    /// An option name new-api does not have (or this importer does not know).
    #[error("unknown option `{key}`{}; known options: {}", crate::suggest::did_you_mean(suggestions), known.join(", "))]
    UnknownOption {
        /// The key.
        key: String,
        /// Close known names.
        suggestions: Vec<String>,
        /// Every name this importer reads.
        known: Vec<String>,
    },
    /// A new-api option that this importer cannot convert.
    #[error("option `{key}` is not supported: {reason}")]
    UnsupportedOption {
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A value that is not a number.
    #[error("`{option}` of `{name}`: `{found}` is not a number")]
    NotANumber {
        /// The option or price key.
        option: String,
        /// The model (or group).
        name: String,
        /// The value found.
        found: String,
    },
    /// A negative ratio or price.
    #[error("`{option}` of `{name}` is negative ({value})")]
    Negative {
        /// The option or price key.
        option: String,
        /// The model (or group).
        name: String,
        /// The value.
        value: String,
    },
    /// A number too large or too precise for exact decimal arithmetic.
    #[error("`{option}` of `{name}`: `{value}` does not fit an exact decimal (28 digits)")]
    OutOfRange {
        /// The option or price key.
        option: String,
        /// The model (or group).
        name: String,
        /// The value.
        value: String,
    },
    /// An empty model name.
    #[error("`{option}` has an empty model name")]
    EmptyName {
        /// The option.
        option: String,
    },
}

/// The names an importer has written so far, by the catalog's case rule (ASCII case
/// ignored): a later name that differs from one of them only in case would make the table
/// fail to load, so the importer skips it with [`CaseTwins::check`]'s reason.
#[derive(Default)]
pub(crate) struct CaseTwins(std::collections::HashMap<String, String>);

impl CaseTwins {
    /// Records `name`, or says why it is skipped when an earlier name is its case twin.
    pub(crate) fn check(&mut self, name: &str) -> Option<String> {
        let key = name.to_ascii_lowercase();
        if let Some(first) = self.0.get(&key) {
            return Some(format!(
                "differs from `{}` only in ASCII case, and model names are compared without regard to it",
                first.escape_debug()
            ));
        }
        self.0.insert(key, name.to_string());
        None
    }
}

fn json_error(what: &str, e: &serde_json::Error) -> ImportError {
    ImportError::Json {
        what: what.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

/// Reads a JSON number's text exactly (`3e-06` is 0.000003, not the nearest `f64`).
/// `None` when the text is not a number or does not fit a `Decimal`.
pub(crate) fn parse_number(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let first = t.as_bytes().first()?;
    if !(first.is_ascii_digit() || *first == b'-') {
        return None;
    }
    let d = if t.contains(['e', 'E']) {
        Decimal::from_scientific(&t.to_ascii_lowercase()).ok()?
    } else {
        Decimal::from_str_exact(t).ok()?
    };
    Some(d.normalize())
}

/// A non-negative number from its raw JSON text, or an error naming the key and model.
pub(crate) fn read_price(
    raw: &serde_json::value::RawValue,
    option: &str,
    name: &str,
) -> Result<Decimal, ImportError> {
    let text = raw.get().trim();
    let looks_numeric = text
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'-');
    let shown = || text.chars().take(40).collect::<String>();
    let d = match parse_number(text) {
        Some(d) => d,
        None if looks_numeric => {
            return Err(ImportError::OutOfRange {
                option: option.to_string(),
                name: name.to_string(),
                value: shown(),
            })
        }
        None => {
            return Err(ImportError::NotANumber {
                option: option.to_string(),
                name: name.to_string(),
                found: shown(),
            })
        }
    };
    if d.is_sign_negative() && !d.is_zero() {
        return Err(ImportError::Negative {
            option: option.to_string(),
            name: name.to_string(),
            value: d.to_string(),
        });
    }
    Ok(d)
}

/// A JSON number with exactly this decimal text.
pub(crate) fn number_json(d: Decimal) -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string(d.normalize().to_string())
        .expect("a decimal's text is a JSON number")
}

/// Makes models whose names the base tables define re-price them (or leaves them out),
/// so that the imported table loads on top of the base. Several imported models naming
/// the same base model become one model with aliases when their prices agree; otherwise
/// the first is kept and the others are reported.
pub(crate) fn resolve_collisions(
    models: Vec<TableModel>,
    base: &Catalog,
    policy: Collision,
    report: &mut Report,
) -> Vec<TableModel> {
    // Exact names only (patterns do not collide), looked up without `Catalog::model`,
    // whose misses compute suggestions.
    let names: std::collections::HashMap<&str, &str> = base
        .models()
        .iter()
        .flat_map(|b| {
            std::iter::once(b.id())
                .chain(b.aliases().iter().map(String::as_str))
                .map(move |n| (n, b.id()))
        })
        .collect();
    let mut out: Vec<TableModel> = Vec::with_capacity(models.len());
    // Index in `out` of the model that re-prices each base model.
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    for mut m in models {
        let target = std::iter::once(&m.id)
            .chain(&m.aliases)
            .find_map(|name| names.get(name.as_str()))
            .map(|id| id.to_string());
        let Some(target) = target else {
            out.push(m);
            continue;
        };
        if policy == Collision::Skip {
            report.skip(
                &m.id,
                format!("the base tables already price it (as `{target}`)"),
            );
            continue;
        }
        match taken.get(&target) {
            None => {
                m.replaces = true;
                report.note(
                    &m.id,
                    format!(
                        "replaces the base tables' `{target}`: every name of that model now resolves to this price"
                    ),
                );
                taken.insert(target, out.len());
                out.push(m);
            }
            Some(&i) => {
                let first = &mut out[i];
                if same_prices(&first.schedules, &m.schedules) {
                    first.aliases.push(m.id.clone());
                    first.aliases.extend(m.aliases);
                } else {
                    report.skip(
                        &m.id,
                        format!(
                            "it and `{}` both name the base tables' model `{target}` (one model there) but their prices differ; only `{}` was imported",
                            first.id, first.id
                        ),
                    );
                }
            }
        }
    }
    out
}

fn same_prices(a: &[TableSchedule], b: &[TableSchedule]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.service_tier == y.service_tier
                && x.from == y.from
                && x.rates == y.rates
                && x.tiers == y.tiers
                && x.windows == y.windows
                && x.options == y.options
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_from_their_text() {
        assert_eq!(parse_number("3e-06").unwrap().to_string(), "0.000003");
        assert_eq!(parse_number("1.5E-07").unwrap().to_string(), "0.00000015");
        assert_eq!(parse_number("0.3572").unwrap().to_string(), "0.3572");
        assert_eq!(parse_number("2.0").unwrap().to_string(), "2");
        assert_eq!(parse_number("-1").unwrap().to_string(), "-1");
        assert_eq!(parse_number("\"1\""), None);
        assert_eq!(parse_number("true"), None);
        assert_eq!(parse_number("1e400"), None);
        assert_eq!(number_json(Decimal::new(6250, 4)).get(), "0.625");
    }
}
