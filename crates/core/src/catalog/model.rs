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
    pub(crate) price: Decimal,
    /// The quantity the price is for (e.g. 1,000,000 tokens).
    pub(crate) per: Decimal,
    /// The price in the form the engine prices a whole quantity in, worked out once when
    /// the table loads (`None` for a rate outside it, which the engine prices the general
    /// way). A function of `price` and `per`'s values, so equal rates have equal forms.
    #[serde(skip)]
    pub(crate) small: Option<crate::price::SmallRate>,
}

impl Rate {
    /// `price` per `per` units, with the engine's precomputed form of it.
    pub(crate) fn new(price: Decimal, per: Decimal) -> Rate {
        Rate {
            price,
            per,
            small: crate::price::SmallRate::of(price, per),
        }
    }

    /// The price of [`per`](Self::per) units, in the schedule's currency.
    pub fn price(&self) -> Decimal {
        self.price
    }

    /// The quantity the price is for (e.g. 1,000,000 tokens).
    pub fn per(&self) -> Decimal {
        self.per
    }
}

/// A price for one variant of a unit (an image size and quality, a video resolution).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// Image size the price is for; `None` matches any.
    pub(crate) size: Option<String>,
    /// Image quality the price is for; `None` matches any.
    pub(crate) quality: Option<String>,
    /// Video resolution the price is for; `None` matches any.
    pub(crate) resolution: Option<String>,
    /// The price.
    pub(crate) rate: Rate,
}

impl Variant {
    /// The image size the price is for; `None` matches any.
    pub fn size(&self) -> Option<&str> {
        self.size.as_deref()
    }

    /// The image quality the price is for; `None` matches any.
    pub fn quality(&self) -> Option<&str> {
        self.quality.as_deref()
    }

    /// The video resolution the price is for; `None` matches any.
    pub fn resolution(&self) -> Option<&str> {
        self.resolution.as_deref()
    }

    /// The price.
    pub fn rate(&self) -> &Rate {
        &self.rate
    }

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
    pub(crate) name: Arc<str>,
    /// The threshold (exclusive).
    pub(crate) above: u64,
    /// The token buckets counted toward the threshold.
    pub(crate) counts: Vec<Unit>,
    /// The rates that apply above it.
    pub(crate) rates: RateSet,
    /// The vendor publishes no price above the threshold: a request there is an error.
    pub(crate) unpriced: bool,
}

impl Tier {
    /// The tier's name, shown on bills.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The threshold (exclusive): the tier applies when the counted buckets sum above it.
    pub fn above(&self) -> u64 {
        self.above
    }

    /// The token buckets counted toward the threshold.
    pub fn counts(&self) -> &[Unit] {
        &self.counts
    }

    /// The rates that apply above the threshold, replacing the base rates unit by unit.
    pub fn rates(&self) -> &RateSet {
        &self.rates
    }

    /// Whether the vendor publishes no price above the threshold (a request there is an
    /// error rather than a price).
    pub fn unpriced(&self) -> bool {
        self.unpriced
    }
}

/// A time-of-day window (e.g. an off-peak discount).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// The window's name, shown on bills.
    pub(crate) name: Arc<str>,
    /// Offset of the local clock from UTC, in seconds.
    pub(crate) utc_offset_secs: i32,
    /// Local start time (inclusive).
    pub(crate) start: NaiveTime,
    /// Local end time (exclusive); at or before `start` means the window wraps midnight.
    pub(crate) end: NaiveTime,
    /// Local weekdays on which it applies (of the day the window starts); empty = every day.
    pub(crate) days: Vec<Weekday>,
    /// The rates in the window.
    pub(crate) rates: RateSet,
}

impl Window {
    /// A window with no rates of its own, to ask whether an instant falls in a vendor's
    /// daily hours (an importer comparing a source's off-peak prices). Only a loaded table
    /// puts a window into a [`Schedule`].
    pub fn daily(
        name: &str,
        utc_offset_secs: i32,
        start: NaiveTime,
        end: NaiveTime,
        days: Vec<Weekday>,
    ) -> Window {
        Window {
            name: name.into(),
            utc_offset_secs,
            start,
            end,
            days,
            rates: RateSet::default(),
        }
    }

    /// Whether the window is open at `at`: the local time (UTC plus the window's offset)
    /// is in `start..end` (wrapping midnight when `end` is at or before `start`), on one of
    /// its days, counted from the day the window opened.
    ///
    /// ```
    /// use chrono::{NaiveTime, TimeZone, Utc, Weekday};
    /// use tariff_core::catalog::Window;
    /// let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    /// // 22:00–06:00 on Fridays, UTC+8: Saturday 03:00 local is still Friday's window.
    /// let w = Window::daily("night", 8 * 3600, t(22), t(6), vec![Weekday::Fri]);
    /// let sat_3am_local = Utc.with_ymd_and_hms(2025, 11, 7, 19, 0, 0).unwrap();
    /// assert!(w.contains(sat_3am_local));
    /// assert!(!w.contains(Utc.with_ymd_and_hms(2025, 11, 8, 19, 0, 0).unwrap()));
    /// ```
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        crate::price::in_window(self, at)
    }

    /// The window's name, shown on bills.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Offset of the window's local clock from UTC, in seconds.
    pub fn utc_offset_secs(&self) -> i32 {
        self.utc_offset_secs
    }

    /// Local start time (inclusive).
    pub fn start(&self) -> NaiveTime {
        self.start
    }

    /// Local end time (exclusive); at or before [`start`](Self::start) means the window
    /// wraps midnight.
    pub fn end(&self) -> NaiveTime {
        self.end
    }

    /// Local weekdays on which the window opens; empty means every day.
    pub fn days(&self) -> &[Weekday] {
        &self.days
    }

    /// The rates in the window.
    pub fn rates(&self) -> &RateSet {
        &self.rates
    }
}

/// Rates that apply when the request carries certain options (e.g. thinking mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionRule {
    /// A name for the rule, shown on bills.
    pub(crate) name: Arc<str>,
    /// Every key must be present in the usage's options with this value.
    pub(crate) when: Vec<(String, String)>,
    /// The context tier that must have applied (`base`: none did); `None` = any.
    pub(crate) tier: Option<Arc<str>>,
    /// The rates that apply.
    pub(crate) rates: RateSet,
    /// The vendor publishes no price for requests with these options: such a request is an
    /// error, not a price from the base rates.
    pub(crate) unpriced: bool,
}

impl OptionRule {
    /// The rule's name, shown on bills.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The options the usage must carry, each key with this value.
    pub fn when(&self) -> &[(String, String)] {
        &self.when
    }

    /// The context tier that must have applied (`base`: none did); `None` means any.
    pub fn tier(&self) -> Option<&str> {
        self.tier.as_deref()
    }

    /// The rates that apply.
    pub fn rates(&self) -> &RateSet {
        &self.rates
    }

    /// Whether the vendor publishes no price for requests with these options (such a
    /// request is an error, not a price from the base rates).
    pub fn unpriced(&self) -> bool {
        self.unpriced
    }
}

/// What a schedule holds: its own rates, or a scaled copy of the standard schedule.
// Schedules are few and built once; boxing the large variant would only add a hop per quote.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Body {
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

/// A read-only view of what a [`Schedule`] holds ([`Schedule::prices`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prices<'a> {
    /// Rates, with tiers, windows and options.
    Rates {
        /// Base rates.
        base: &'a RateSet,
        /// Context tiers, in ascending order of threshold.
        tiers: &'a [Tier],
        /// Time windows (the last one open at an instant wins).
        windows: &'a [Window],
        /// Option rules.
        options: &'a [OptionRule],
    },
    /// Every rate of the standard schedule in force, times `factor`, except the units in
    /// `unscaled` (priced at the standard rate).
    Scale {
        /// The factor.
        factor: Decimal,
        /// Units priced at the standard rate.
        unscaled: &'a [Unit],
    },
}

/// The rates in force for one service tier (and region) over one period.
///
/// Only the catalog's loader builds a schedule, after validating the table it comes from;
/// everything else reads it through the accessors, so no caller can put a schedule with
/// no `source`, or a rate the loader would reject, into a catalog:
///
/// ```compile_fail
/// let c = tariff_core::Catalog::builtin();
/// let mut s = c.resolve("gpt-4o").unwrap().schedules()[0].clone();
/// s.source = "".into(); // private: read it with `s.source()`
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// First instant it applies (inclusive); `None` = since always.
    pub(crate) from: Option<DateTime<Utc>>,
    /// First instant it no longer applies; `None` = still in force. Either written, or
    /// the `from` of the next schedule for the same tier and region.
    pub(crate) until: Option<DateTime<Utc>>,
    /// The service tier it prices.
    pub(crate) service_tier: ServiceTier,
    /// The region it prices; `None` = any.
    pub(crate) region: Option<Arc<str>>,
    /// The currency of its prices.
    pub(crate) currency: Currency,
    /// Where the prices were read.
    pub(crate) source: Arc<str>,
    /// When they were read.
    pub(crate) as_of: NaiveDate,
    /// The rates.
    pub(crate) body: Body,
}

impl Schedule {
    /// First instant it applies (inclusive); `None` means since always.
    pub fn from(&self) -> Option<DateTime<Utc>> {
        self.from
    }

    /// First instant it no longer applies; `None` means still in force.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.until
    }

    /// The service tier it prices.
    pub fn service_tier(&self) -> ServiceTier {
        self.service_tier
    }

    /// The region it prices; `None` means any.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The currency of its prices.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Where the prices were read (a vendor page's address).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// When they were read.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// What the schedule holds: its own rates, or a scaled copy of the standard schedule.
    ///
    /// ```
    /// use tariff_core::catalog::Prices;
    /// use tariff_core::{Catalog, Unit};
    /// let m = Catalog::builtin().resolve("claude-sonnet-4-5").unwrap();
    /// let s = m.schedules().iter().find(|s| s.until().is_none()).unwrap();
    /// let Prices::Rates { base, .. } = s.prices() else { panic!("own rates") };
    /// assert_eq!(base.rate(Unit::InputTokens).unwrap().price().to_string(), "3");
    /// ```
    pub fn prices(&self) -> Prices<'_> {
        match &self.body {
            Body::Rates {
                base,
                tiers,
                windows,
                options,
            } => Prices::Rates {
                base,
                tiers,
                windows,
                options,
            },
            Body::Scale { factor, unscaled } => Prices::Scale {
                factor: *factor,
                unscaled,
            },
        }
    }

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
    /// Set by the model's table, or joined from `estimate/models.toml` by id.
    pub(crate) formula: Option<&'static str>,
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

    /// The metering formula family the model's requests and answers are read under (one of
    /// [`FORMULAS`](super::FORMULAS)): which vendor defaults apply when a request leaves a
    /// size, a quality, a length or a count out, and whether every request searches the
    /// web. `None` for a model metered by its API family alone.
    ///
    /// A table sets it with `formula = "..."` on a `[[model]]`; otherwise it is joined from
    /// the `[[formula]]` entries of `estimate/models.toml` by the model's id.
    ///
    /// ```
    /// use tariff_core::Catalog;
    /// let c = Catalog::builtin();
    /// assert_eq!(c.resolve("dall-e-3").unwrap().formula(), Some("dall-e-3"));
    /// assert_eq!(c.resolve("gpt-4o").unwrap().formula(), None);
    /// ```
    pub fn formula(&self) -> Option<&str> {
        self.formula
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
