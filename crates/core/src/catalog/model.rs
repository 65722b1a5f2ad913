//! Loaded price tables: a model, its schedules, and their rates, ready to price with.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::Currency;
use crate::unit::Unit;
use crate::usage::ServiceTier;

/// What a model does; informs the CLI and the calculator, not the price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Chat / text generation.
    Chat,
    /// Legacy text completion.
    Completion,
    /// Embeddings.
    Embedding,
    /// Moderation.
    Moderation,
    /// Image generation.
    Image,
    /// Video generation.
    Video,
    /// Speech and transcription.
    Audio,
    /// Music generation.
    Music,
    /// Reranking.
    Rerank,
}

impl Kind {
    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "chat" => Kind::Chat,
            "completion" => Kind::Completion,
            "embedding" => Kind::Embedding,
            "moderation" => Kind::Moderation,
            "image" => Kind::Image,
            "video" => Kind::Video,
            "audio" => Kind::Audio,
            "music" => Kind::Music,
            "rerank" => Kind::Rerank,
            _ => return None,
        })
    }
}

/// One price: `price` per `per` units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rate {
    /// The price of `per` units.
    pub price: Decimal,
    /// The quantity the price is for (e.g. 1,000,000 tokens).
    pub per: Decimal,
}

/// A price for one variant of a unit (an image size and quality, a video resolution).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// Image size the price is for; `None` matches any.
    pub size: Option<String>,
    /// Image quality the price is for; `None` matches any.
    pub quality: Option<String>,
    /// Video resolution the price is for; `None` matches any.
    pub resolution: Option<String>,
    /// The price.
    pub rate: Rate,
}

impl Variant {
    pub(crate) fn specificity(&self) -> usize {
        [&self.size, &self.quality, &self.resolution]
            .iter()
            .filter(|a| a.is_some())
            .count()
    }

    /// Whether the variant applies to these attributes (a missing attribute of the usage
    /// matches only a variant that leaves it open).
    pub(crate) fn matches(
        &self,
        size: Option<&str>,
        quality: Option<&str>,
        resolution: Option<&str>,
    ) -> bool {
        fn ok(want: &Option<String>, have: Option<&str>) -> bool {
            want.as_deref().is_none_or(|w| have == Some(w))
        }
        ok(&self.size, size) && ok(&self.quality, quality) && ok(&self.resolution, resolution)
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            ("size", &self.size),
            ("quality", &self.quality),
            ("resolution", &self.resolution),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
        if parts.is_empty() {
            f.write_str("any")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// A set of rates: one per scalar unit, and variant lists for images and video.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateSet {
    pub(crate) scalar: [Option<Rate>; Unit::COUNT],
    pub(crate) images: Option<Vec<Variant>>,
    pub(crate) video: Option<Vec<Variant>>,
}

impl RateSet {
    /// The rate for a scalar unit, if this set names one.
    pub fn rate(&self, unit: Unit) -> Option<&Rate> {
        self.scalar[unit.index()].as_ref()
    }

    /// The variants for `images` or `video_seconds`, if this set names them.
    pub fn variants(&self, unit: Unit) -> Option<&[Variant]> {
        match unit {
            Unit::Images => self.images.as_deref(),
            Unit::VideoSeconds => self.video.as_deref(),
            _ => None,
        }
    }

    /// Whether this set prices the unit.
    pub fn prices(&self, unit: Unit) -> bool {
        self.rate(unit).is_some() || self.variants(unit).is_some()
    }
}

/// A whole-request context tier: when the sum of `counts` is above `above`, its rates
/// replace the base rates for the units it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tier {
    /// The tier's name, shown on bills.
    pub name: Arc<str>,
    /// The threshold (exclusive).
    pub above: u64,
    /// The token buckets counted toward the threshold.
    pub counts: Vec<Unit>,
    /// The rates that apply above it.
    pub rates: RateSet,
    /// The vendor publishes no price above the threshold: a request there is an error.
    pub unpriced: bool,
}

/// A time-of-day window (e.g. an off-peak discount).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// The window's name, shown on bills.
    pub name: Arc<str>,
    /// Offset of the local clock from UTC, in seconds.
    pub utc_offset_secs: i32,
    /// Local start time (inclusive).
    pub start: NaiveTime,
    /// Local end time (exclusive); at or before `start` means the window wraps midnight.
    pub end: NaiveTime,
    /// Local weekdays on which it applies (of the day the window starts); empty = every day.
    pub days: Vec<Weekday>,
    /// The rates in the window.
    pub rates: RateSet,
}

/// Rates that apply when the request carries certain options (e.g. thinking mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionRule {
    /// A name for the rule, shown on bills.
    pub name: Arc<str>,
    /// Every key must be present in the usage's options with this value.
    pub when: Vec<(String, String)>,
    /// The context tier that must have applied (`base`: none did); `None` = any.
    pub tier: Option<Arc<str>>,
    /// The rates that apply.
    pub rates: RateSet,
    /// The vendor publishes no price for requests with these options: such a request is an
    /// error, not a price from the base rates.
    pub unpriced: bool,
}

/// What a schedule holds: its own rates, or a scaled copy of the standard schedule.
// Schedules are few and built once; boxing the large variant would only add a hop per quote.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// Rates, with tiers, windows and options.
    Rates {
        /// Base rates.
        base: RateSet,
        /// Context tiers, in ascending order.
        tiers: Vec<Tier>,
        /// Time windows.
        windows: Vec<Window>,
        /// Option rules.
        options: Vec<OptionRule>,
    },
    /// Every rate of the standard schedule in force, times `factor`, except the units in
    /// `unscaled` (e.g. a tool fee that a batch discount does not cover).
    Scale {
        /// The factor.
        factor: Decimal,
        /// Units priced at the standard rate (shared, so a bill can name them without
        /// copying on the pricing path).
        unscaled: Arc<[Unit]>,
    },
}

/// The rates in force for one service tier (and region) over one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// First instant it applies (inclusive); `None` = since always.
    pub from: Option<DateTime<Utc>>,
    /// First instant it no longer applies; `None` = still in force. Either written, or
    /// the `from` of the next schedule for the same tier and region.
    pub until: Option<DateTime<Utc>>,
    /// The service tier it prices.
    pub service_tier: ServiceTier,
    /// The region it prices; `None` = any.
    pub region: Option<Arc<str>>,
    /// The currency of its prices.
    pub currency: Currency,
    /// Where the prices were read.
    pub source: Arc<str>,
    /// When they were read.
    pub as_of: NaiveDate,
    /// The rates.
    pub body: Body,
}

impl Schedule {
    /// Whether the schedule is in force at `at`.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| f <= at) && self.until.is_none_or(|u| at < u)
    }

    /// The period as text, e.g. `2025-09-05..2025-09-29` or `2025-09-29..`.
    pub fn period(&self) -> String {
        let d = |t: Option<DateTime<Utc>>| {
            t.map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
                .unwrap_or_default()
        };
        let region = self
            .region
            .as_deref()
            .map(|r| format!(" [{r}]"))
            .unwrap_or_default();
        format!("{}..{}{}", d(self.from), d(self.until), region)
    }
}

/// A priced model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    pub(crate) id: Arc<str>,
    pub(crate) name: Option<String>,
    pub(crate) provider: Arc<str>,
    pub(crate) kind: Kind,
    pub(crate) aliases: Vec<String>,
    pub(crate) patterns: Vec<String>,
    pub(crate) fallbacks: [Option<Unit>; Unit::COUNT],
    pub(crate) default_region: Option<Arc<str>>,
    pub(crate) regional: bool,
    pub(crate) schedules: Vec<Schedule>,
    /// What a bill priced by each schedule says about it, one per schedule in the same
    /// order, built when the catalog loads (so a quote clones one `Arc`, not five).
    pub(crate) heads: Box<[Arc<crate::bill::Head>]>,
    pub(crate) replaces: bool,
    /// Set by the model's table, or joined from `tokens/models.toml` by id.
    pub(crate) encoding: Option<&'static str>,
    /// Set by the model's table, or joined from `estimate/models.toml` by id.
    pub(crate) max_output_tokens: Option<u64>,
}

impl Model {
    /// The region whose schedules apply when a usage record names none, if the model has
    /// regional prices.
    pub fn default_region(&self) -> Option<&str> {
        self.default_region.as_deref()
    }

    /// Whether the model's schedules are priced per region.
    pub fn regional(&self) -> bool {
        self.regional
    }

    /// The tokenizer encoding the model counts text with (tiktoken's name, e.g.
    /// `"o200k_base"`; one of [`ENCODINGS`](super::ENCODINGS)), or `None` for a model with no
    /// public tokenizer (Claude, Gemini, ...), whose counts can only be estimated.
    ///
    /// A table sets it with `encoding = "..."` on a `[[model]]`; otherwise it is joined
    /// from `tokens/models.toml` by the model's id when the catalog loads.
    ///
    /// ```
    /// use tariff_core::Catalog;
    /// let c = Catalog::builtin();
    /// assert_eq!(c.resolve("gpt-4o").unwrap().encoding(), Some("o200k_base"));
    /// assert_eq!(c.resolve("claude-sonnet-4-5").unwrap().encoding(), None);
    /// ```
    pub fn encoding(&self) -> Option<&str> {
        self.encoding
    }

    /// The most output tokens one request can produce (what a request that sets no
    /// `max_tokens` may run to), or `None` when unknown.
    ///
    /// A table sets it with `max_output_tokens = N` on a `[[model]]`; otherwise it is
    /// joined from the `[[output]]` entries of `estimate/models.toml` by the model's id.
    ///
    /// ```
    /// use tariff_core::Catalog;
    /// let m = Catalog::builtin().resolve("claude-sonnet-4-5").unwrap();
    /// assert_eq!(m.max_output_tokens(), Some(64000));
    /// ```
    pub fn max_output_tokens(&self) -> Option<u64> {
        self.max_output_tokens
    }

    /// The canonical id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The display name, if the table gives one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// The provider id.
    pub fn provider(&self) -> &str {
        &self.provider
    }
    /// What the model does.
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// Other exact names.
    pub fn aliases(&self) -> &[String] {
        &self.aliases
    }
    /// Glob patterns that resolve to this model.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
    /// Every schedule, grouped by tier and region, oldest first.
    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }
    /// The unit a unit falls back to when a schedule has no rate for it.
    pub fn fallback(&self, unit: Unit) -> Option<Unit> {
        self.fallbacks[unit.index()]
    }
    /// The schedule in force now (or at `at`) for the standard tier and default region.
    pub fn current(&self, at: DateTime<Utc>) -> Option<&Schedule> {
        let region = self.default_region.as_deref();
        self.schedules
            .iter()
            .filter(|s| {
                s.service_tier == ServiceTier::Standard
                    && (!self.regional || s.region.as_deref() == region)
            })
            .find(|s| s.covers(at))
    }
}
