//! Realistic synthetic logs, for benchmarks, demos and tests of reconciliation.
//!
//! Rows are drawn from a few usage profiles (a Claude model with 5-minute and 1-hour cache
//! writes and thinking, a GPT-5 reasoning model, DeepSeek and Gemini models whose prices
//! changed during the period, an older Claude model across its price cut), priced with
//! the catalog at the time they ran, and written as canonical rows or new-api consume
//! logs. The same seed always gives the same bytes.
//!
//! Known discrepancies can be injected at a rate; each injected row is labelled so a test
//! can check that reconciliation finds exactly those:
//!
//! - `price`: charged at the price of the previous schedule (its last instant);
//! - `cache`: charged as if cache reads and writes were plain input;
//! - `reasoning`: charged without the reasoning tokens (canonical rows only: new-api logs
//!   no reasoning split);
//! - `missing`: the usage is left out of the row, the charge kept;
//! - `rounding`: the charge is off by less than the rounding tolerance (one quota unit,
//!   or rounded to 0.000001);
//! - `unknown`: the model is renamed to one no table knows.
//!
//! A discrepancy is injected only into a row where it is visible and where no earlier
//! explanation in reconciliation's order would also match it; a row where it would not be
//! is written clean, so the labels are exact and the injected share is close to the rate.
//!
//! ```
//! use tariff_operations::synth::{Inject, Synth, SynthFormat, SynthOptions};
//! let opts = SynthOptions {
//!     rows: 3,
//!     format: SynthFormat::CanonicalJsonl,
//!     seed: 7,
//!     inject: vec![Inject::Cache],
//!     rate: 0.5,
//! };
//! let a: Vec<_> = Synth::new(tariff_core::Catalog::builtin(), opts.clone())?.collect();
//! let b: Vec<_> = Synth::new(tariff_core::Catalog::builtin(), opts)?.collect();
//! assert_eq!(a, b);
//! assert!(a[0].text.starts_with("{\"model\":"));
//! # Ok::<(), tariff_operations::synth::SynthError>(())
//! ```

use std::fmt::Write as _;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::catalog::{Catalog, Model, Prices};
use crate::money::QuotaPolicy;
use crate::price;
use crate::reconcile::csv_quote;
use crate::unit::Unit;
use crate::usage::{Tokens, Usage};

/// The shape of the rows written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynthFormat {
    /// Canonical rows as JSON lines.
    CanonicalJsonl,
    /// Canonical rows as CSV.
    CanonicalCsv,
    /// new-api consume logs as JSON lines (`other` as a JSON string, as new-api serves it).
    NewApiJsonl,
    /// new-api consume logs as CSV (the `logs` table's columns).
    NewApiCsv,
}

impl SynthFormat {
    /// Parses `canonical-jsonl`, `canonical-csv`, `new-api-jsonl` or `new-api-csv`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "canonical-jsonl" => Some(Self::CanonicalJsonl),
            "canonical-csv" => Some(Self::CanonicalCsv),
            "new-api-jsonl" => Some(Self::NewApiJsonl),
            "new-api-csv" => Some(Self::NewApiCsv),
            _ => None,
        }
    }

    fn new_api(self) -> bool {
        matches!(self, Self::NewApiJsonl | Self::NewApiCsv)
    }

    /// The header line of a CSV format (with its line end).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Self::CanonicalCsv => Some("model,at,request_id,user,input_tokens,cache_read_tokens,cache_write_tokens,cache_write_1h_tokens,output_tokens,reasoning_tokens,charged,currency\n"),
            Self::NewApiCsv => Some("id,user_id,created_at,type,content,username,token_name,model_name,quota,prompt_tokens,completion_tokens,use_time,is_stream,channel_id,token_id,group,ip,other\n"),
            _ => None,
        }
    }
}

/// A discrepancy to inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Inject {
    /// Charged at the previous schedule's price.
    Price,
    /// Cache tokens charged as plain input.
    Cache,
    /// Reasoning tokens not charged.
    Reasoning,
    /// Usage missing from the row.
    Missing,
    /// A charge off by less than the rounding tolerance.
    Rounding,
    /// A model no table knows.
    Unknown,
}

impl Inject {
    /// Every kind.
    pub const ALL: [Inject; 6] = [
        Inject::Price,
        Inject::Cache,
        Inject::Reasoning,
        Inject::Missing,
        Inject::Rounding,
        Inject::Unknown,
    ];

    /// The kind's name.
    pub const fn name(self) -> &'static str {
        match self {
            Inject::Price => "price",
            Inject::Cache => "cache",
            Inject::Reasoning => "reasoning",
            Inject::Missing => "missing",
            Inject::Rounding => "rounding",
            Inject::Unknown => "unknown",
        }
    }

    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthOptions {
    /// Number of rows.
    pub rows: u64,
    /// Their shape.
    pub format: SynthFormat,
    /// The seed.
    pub seed: u64,
    /// Discrepancies to inject (each row draws one of them at `rate`).
    pub inject: Vec<Inject>,
    /// The share of rows to inject into, 0 to 1.
    pub rate: f64,
}

/// One generated row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthRow {
    /// The record, with its line end.
    pub text: String,
    /// The discrepancy injected, if any.
    pub injected: Option<Inject>,
}

/// Why generation cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SynthError {
    /// A profile's model is missing from the catalog or cannot be priced over its period.
    #[error("synthetic profile `{model}`: {message}")]
    Profile {
        /// The model.
        model: String,
        /// What failed.
        message: String,
    },
    /// A rate outside 0..=1.
    #[error("injection rate {0} is not between 0 and 1")]
    Rate(f64),
}

/// A small, fixed PRNG (SplitMix64): generated logs must stay byte-identical for a seed
/// across releases, which a general-purpose generator's crate does not promise.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
}

/// (probability, min, max) of a bucket being non-zero.
type Bucket = (f64, u64, u64);

struct Profile<'c> {
    /// The name logged (an alias, as relays log them).
    logged: &'static str,
    model: &'c Model,
    weight: u64,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    input: Bucket,
    cache_read: Bucket,
    cache_write: Bucket,
    cache_write_1h: Bucket,
    output: Bucket,
    reasoning: Bucket,
    /// new-api's Claude semantics (prompt_tokens excludes cache tokens).
    claude: bool,
}

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .expect("a valid date")
}

const NONE: Bucket = (0.0, 0, 0);

/// A profile as written: logged name, weight, period, buckets (input, cache read, 5-minute
/// and 1-hour cache writes, output, reasoning), Claude semantics.
type Spec = (
    &'static str,
    u64,
    DateTime<Utc>,
    DateTime<Utc>,
    [Bucket; 6],
    bool,
);

/// Generates rows; an iterator of [`SynthRow`].
pub struct Synth<'c> {
    catalog: &'c Catalog,
    opts: SynthOptions,
    profiles: Vec<Profile<'c>>,
    total_weight: u64,
    rng: Rng,
    i: u64,
}

impl<'c> Synth<'c> {
    /// A generator over the built-in profiles, priced with `catalog`.
    pub fn new(catalog: &'c Catalog, opts: SynthOptions) -> Result<Self, SynthError> {
        if !(0.0..=1.0).contains(&opts.rate) {
            return Err(SynthError::Rate(opts.rate));
        }
        let specs: [Spec; 5] = [
            (
                "claude-sonnet-4-5-20250929",
                30,
                day(2025, 9, 29),
                day(2025, 11, 27),
                [
                    (1.0, 200, 20_000),
                    (0.6, 1_000, 60_000),
                    (0.3, 500, 8_000),
                    (0.15, 200, 4_000),
                    (1.0, 50, 4_000),
                    (0.3, 100, 3_000),
                ],
                true,
            ),
            (
                "gpt-5",
                25,
                day(2025, 8, 7),
                day(2025, 11, 27),
                [
                    (1.0, 100, 30_000),
                    (0.5, 1_000, 40_000),
                    NONE,
                    NONE,
                    (1.0, 50, 3_000),
                    (0.6, 100, 8_000),
                ],
                false,
            ),
            (
                "deepseek-chat",
                20,
                day(2025, 8, 1),
                day(2025, 11, 27),
                [
                    (1.0, 100, 30_000),
                    (0.5, 1_000, 30_000),
                    NONE,
                    NONE,
                    (1.0, 50, 4_000),
                    NONE,
                ],
                false,
            ),
            (
                "gemini-2.5-flash",
                15,
                day(2025, 6, 17),
                // Its cache reads are unpriced from 2025-10-03 (a gap in the tables).
                day(2025, 10, 3),
                [
                    (1.0, 100, 40_000),
                    (0.3, 1_000, 30_000),
                    NONE,
                    NONE,
                    (1.0, 50, 3_000),
                    (0.5, 100, 6_000),
                ],
                false,
            ),
            (
                "claude-3-5-haiku-20241022",
                10,
                day(2024, 11, 4),
                day(2025, 1, 31),
                [
                    (1.0, 100, 10_000),
                    (0.4, 500, 20_000),
                    (0.2, 500, 4_000),
                    NONE,
                    (1.0, 20, 2_000),
                    NONE,
                ],
                true,
            ),
        ];
        let mut profiles = Vec::new();
        for (logged, weight, from, until, b, claude) in specs {
            let model = catalog.model(logged).map_err(|e| SynthError::Profile {
                model: logged.to_string(),
                message: e.to_string(),
            })?;
            let p = Profile {
                logged,
                model,
                weight,
                from,
                until,
                input: b[0],
                cache_read: b[1],
                cache_write: b[2],
                cache_write_1h: b[3],
                output: b[4],
                reasoning: b[5],
                claude,
            };
            // Every bucket at its largest, at both ends of the period: if this prices,
            // every row of the profile does.
            let u = Usage {
                input_tokens: tokens(p.input.2),
                cache_read_tokens: tokens(p.cache_read.2),
                cache_write_tokens: tokens(p.cache_write.2),
                cache_write_1h_tokens: tokens(p.cache_write_1h.2),
                output_tokens: tokens(p.output.2),
                reasoning_tokens: tokens(p.reasoning.2),
                ..Usage::default()
            };
            let last = p.until - Duration::seconds(1);
            let inside = |t: DateTime<Utc>| (p.from..=last).contains(&t);
            let boundaries = model
                .schedules()
                .iter()
                .flat_map(|s| [s.from(), s.until().map(|u| u - Duration::seconds(1))])
                .flatten()
                .filter(|t| inside(*t));
            for t in [p.from, last].into_iter().chain(boundaries) {
                quote_at(model, &u, t).map_err(|e| SynthError::Profile {
                    model: logged.to_string(),
                    message: e.to_string(),
                })?;
            }
            profiles.push(p);
        }
        let total_weight = profiles.iter().map(|p| p.weight).sum();
        Ok(Synth {
            catalog,
            rng: Rng(opts.seed),
            opts,
            profiles,
            total_weight,
            i: 0,
        })
    }

    /// The header line of a CSV format (with its line end).
    pub fn header(&self) -> Option<&'static str> {
        self.opts.format.header()
    }

    fn row(&mut self) -> SynthRow {
        let i = self.i;
        let mut pick = self.rng.range(0, self.total_weight - 1);
        let mut pi = 0;
        while pick >= self.profiles[pi].weight {
            pick -= self.profiles[pi].weight;
            pi += 1;
        }
        let p = &self.profiles[pi];
        let rng = &mut self.rng;
        let span = (p.until - p.from).num_seconds() as u64;
        let at = p.from + Duration::seconds(rng.range(0, span - 1) as i64);
        let mut draw = |b: Bucket| {
            if b.0 > 0.0 && rng.chance(b.0) {
                tokens(rng.range(b.1, b.2))
            } else {
                Tokens::ZERO
            }
        };
        let mut usage = Usage {
            input_tokens: draw(p.input),
            cache_read_tokens: draw(p.cache_read),
            cache_write_tokens: draw(p.cache_write),
            cache_write_1h_tokens: draw(p.cache_write_1h),
            output_tokens: draw(p.output),
            reasoning_tokens: draw(p.reasoning),
            ..Usage::default()
        };
        let new_api = self.opts.format.new_api();
        if new_api {
            // new-api logs reasoning inside completion_tokens: the log (and so the
            // charge) knows only the sum.
            usage.output_tokens = tokens(usage.output_tokens.get() + usage.reasoning_tokens.get());
            usage.reasoning_tokens = Tokens::ZERO;
        }
        let group_ratio = if new_api {
            [
                Decimal::ONE,
                Decimal::ONE,
                Decimal::new(8, 1),
                Decimal::new(15, 1),
            ][rng.range(0, 3) as usize]
        } else {
            Decimal::ONE
        };
        let conv = |total: Decimal| -> Decimal {
            if new_api {
                let policy = QuotaPolicy {
                    group_ratio,
                    ..QuotaPolicy::new_api()
                };
                Decimal::from(
                    policy
                        .units(total)
                        .expect("synthetic amounts are small")
                        .units,
                )
            } else {
                total
            }
        };
        let amount = |u: &Usage, t: DateTime<Utc>| -> Option<Decimal> {
            quote_at(p.model, u, t).ok().map(|b| conv(b.total()))
        };
        let expected = amount(&usage, at).expect("profiles are checked");
        let tol = if new_api {
            Decimal::ONE
        } else {
            Decimal::new(1, 6)
        };
        let far = |a: Decimal, b: Decimal| (a - b).abs() > tol;

        let kind = if !self.opts.inject.is_empty() && rng.chance(self.opts.rate) {
            Some(self.opts.inject[rng.range(0, self.opts.inject.len() as u64 - 1) as usize])
        } else {
            None
        };
        // Amounts under the explanations reconciliation tries before the injected one.
        let other_schedules = |u: &Usage| -> Vec<Decimal> {
            let bill = quote_at(p.model, u, at).expect("profiles are checked");
            p.model
                .schedules()
                .iter()
                .filter(|s| {
                    s.service_tier() == bill.service_tier()
                        && s.region() == bill.region()
                        && !s.covers(at)
                })
                .filter_map(|s| match (s.from(), s.until()) {
                    (_, Some(un)) if un <= at => Some(un - Duration::seconds(1)),
                    (Some(f), _) if f > at => Some(f),
                    _ => None,
                })
                .filter_map(|t| amount(u, t))
                .collect()
        };
        let mut charged = expected;
        let mut logged_usage = usage.clone();
        let mut model_name = p.logged.to_string();
        let injected = match kind {
            None => None,
            Some(Inject::Price) => {
                let bill = quote_at(p.model, &usage, at).expect("profiles are checked");
                let prev = p
                    .model
                    .schedules()
                    .iter()
                    .filter(|s| {
                        s.service_tier() == bill.service_tier()
                            && s.region() == bill.region()
                            && s.until().is_some_and(|u| u <= at)
                    })
                    .max_by_key(|s| s.until());
                match prev.and_then(|s| s.until()) {
                    Some(u) => {
                        let old = amount(&usage, u - Duration::seconds(1));
                        old.filter(|o| far(*o, expected)).map(|old| {
                            charged = old;
                            Inject::Price
                        })
                    }
                    None => None,
                }
            }
            Some(Inject::Cache) => {
                let cached = usage.cache_read_tokens.get()
                    + usage.cache_write_tokens.get()
                    + usage.cache_write_1h_tokens.get();
                let mut as_input = usage.clone();
                as_input.input_tokens = tokens(usage.input_tokens.get() + cached);
                as_input.cache_read_tokens = Tokens::ZERO;
                as_input.cache_write_tokens = Tokens::ZERO;
                as_input.cache_write_1h_tokens = Tokens::ZERO;
                let c = amount(&as_input, at).expect("plain input is priced");
                (cached > 0
                    && far(c, expected)
                    && other_schedules(&usage).iter().all(|o| far(c, *o)))
                .then(|| {
                    charged = c;
                    Inject::Cache
                })
            }
            Some(Inject::Reasoning) => {
                let mut without = usage.clone();
                without.reasoning_tokens = Tokens::ZERO;
                let c = amount(&without, at).expect("fewer tokens are priced");
                let earlier: Vec<Decimal> = other_schedules(&usage)
                    .into_iter()
                    .chain(
                        crate::reconcile::cache_hypotheses(&usage)
                            .iter()
                            .filter_map(|(u, _)| amount(u, at)),
                    )
                    .collect();
                (usage.reasoning_tokens.get() > 0
                    && far(c, expected)
                    && earlier.iter().all(|o| far(c, *o)))
                .then(|| {
                    charged = c;
                    Inject::Reasoning
                })
            }
            Some(Inject::Missing) => far(expected, Decimal::ZERO).then(|| {
                logged_usage = Usage::default();
                Inject::Missing
            }),
            Some(Inject::Rounding) => {
                charged = if new_api {
                    expected + Decimal::ONE
                } else {
                    let r = expected.round_dp(6);
                    if r != expected {
                        r
                    } else {
                        expected + Decimal::new(1, 6)
                    }
                };
                Some(Inject::Rounding)
            }
            Some(Inject::Unknown) => {
                // A typo after the first character: no alias, and no prefix pattern, matches.
                let mut name = p.logged.to_string();
                name.insert(1, ['x', 'q', 'z'][(i % 3) as usize]);
                self.catalog.model(&name).is_err().then(|| {
                    model_name = name;
                    Inject::Unknown
                })
            }
        };
        let claude = p.claude;
        let model = p.model;
        self.i += 1;
        let text = if new_api {
            self.new_api_row(
                i,
                &model_name,
                at,
                &logged_usage,
                charged,
                group_ratio,
                claude,
                model,
            )
        } else {
            self.canonical_row(i, &model_name, at, &logged_usage, charged)
        };
        SynthRow { text, injected }
    }

    fn canonical_row(
        &mut self,
        i: u64,
        model: &str,
        at: DateTime<Utc>,
        u: &Usage,
        charged: Decimal,
    ) -> String {
        let user = self.rng.range(1, 200);
        let at = at.format("%Y-%m-%dT%H:%M:%SZ");
        let charged = charged.normalize();
        let mut o = String::with_capacity(256);
        let counts = [
            ("input_tokens", u.input_tokens),
            ("cache_read_tokens", u.cache_read_tokens),
            ("cache_write_tokens", u.cache_write_tokens),
            ("cache_write_1h_tokens", u.cache_write_1h_tokens),
            ("output_tokens", u.output_tokens),
            ("reasoning_tokens", u.reasoning_tokens),
        ];
        if self.opts.format == SynthFormat::CanonicalCsv {
            let _ = write!(o, "{model},{at},req-{i:08},user-{user:03}");
            for (_, n) in counts {
                let _ = write!(o, ",{n}");
            }
            let _ = writeln!(o, ",{charged},USD");
        } else {
            let _ = write!(
                o,
                r#"{{"model":"{model}","at":"{at}","request_id":"req-{i:08}","user":"user-{user:03}""#
            );
            for (k, n) in counts {
                if !n.is_zero() {
                    let _ = write!(o, r#","{k}":{n}"#);
                }
            }
            let _ = writeln!(o, r#","charged":"{charged}","currency":"USD"}}"#);
        }
        o
    }

    #[allow(clippy::too_many_arguments)]
    fn new_api_row(
        &mut self,
        i: u64,
        model_name: &str,
        at: DateTime<Utc>,
        u: &Usage,
        quota: Decimal,
        group_ratio: Decimal,
        claude: bool,
        model: &Model,
    ) -> String {
        let user = self.rng.range(1, 200);
        let channel = self.rng.range(1, 6);
        let use_time = self.rng.range(1, 40);
        let stream = self.rng.chance(0.7);
        let (cache, w5, w1) = (
            u.cache_read_tokens.get(),
            u.cache_write_tokens.get(),
            u.cache_write_1h_tokens.get(),
        );
        let prompt = if claude {
            u.input_tokens.get()
        } else {
            u.input_tokens.get() + cache + w5 + w1
        };
        let completion = u.output_tokens.get();
        // The relay's ratios, as new-api would be configured at list price: $2 per million
        // input tokens is model ratio 1.
        let rates = model.current(at).and_then(|s| match s.prices() {
            Prices::Rates { base, .. } => Some(base),
            Prices::Scale { .. } => None,
        });
        let rate = |unit: Unit| rates.and_then(|r| r.rate(unit)).map(|r| r.price());
        let input = rate(Unit::InputTokens).unwrap_or(Decimal::ZERO);
        let ratio_to_input = |unit: Unit| match rate(unit) {
            Some(p) if !input.is_zero() => (p / input).round_dp(6).normalize(),
            _ => Decimal::ONE,
        };
        let mut other = String::with_capacity(256);
        let _ = write!(
            other,
            r#"{{"admin_info":{{"use_channel":["{channel}"]}},"cache_ratio":{},"cache_tokens":{cache},"completion_ratio":{},"frt":{},"group_ratio":{},"model_price":-1,"model_ratio":{}"#,
            ratio_to_input(Unit::CacheReadTokens),
            ratio_to_input(Unit::OutputTokens),
            use_time * 100,
            group_ratio.normalize(),
            (input / Decimal::TWO).normalize(),
        );
        if w5 + w1 > 0 {
            let _ = write!(
                other,
                r#","cache_creation_ratio":{},"cache_creation_tokens":{}"#,
                ratio_to_input(Unit::CacheWriteTokens),
                w5 + w1
            );
        }
        if w5 > 0 {
            let _ = write!(
                other,
                r#","cache_creation_ratio_5m":{},"cache_creation_tokens_5m":{w5}"#,
                ratio_to_input(Unit::CacheWriteTokens)
            );
        }
        if w1 > 0 {
            let _ = write!(
                other,
                r#","cache_creation_ratio_1h":{},"cache_creation_tokens_1h":{w1}"#,
                ratio_to_input(Unit::CacheWrite1hTokens)
            );
        }
        if claude {
            other.push_str(r#","claude":true,"usage_semantic":"anthropic""#);
        }
        other.push_str(r#","request_path":"/v1/chat/completions"}"#);
        let created = at.timestamp();
        let quota = quota.normalize();
        let id = i + 1;
        if self.opts.format == SynthFormat::NewApiCsv {
            format!(
                "{id},{user},{created},2,,user-{user:03},default,{model_name},{quota},{prompt},{completion},{use_time},{stream},{channel},{user},default,,{}\n",
                csv_quote(&other)
            )
        } else {
            let other = serde_json::to_string(&other).expect("a string serializes");
            format!(
                r#"{{"id":{id},"user_id":{user},"created_at":{created},"type":2,"content":"","username":"user-{user:03}","token_name":"default","model_name":"{model_name}","quota":{quota},"prompt_tokens":{prompt},"completion_tokens":{completion},"use_time":{use_time},"is_stream":{stream},"channel":{channel},"token_id":{user},"group":"default","ip":"","other":{other}}}"#
            ) + "\n"
        }
    }
}

fn tokens(n: u64) -> Tokens {
    Tokens::new(n).expect("synthetic counts are small")
}

impl Iterator for Synth<'_> {
    type Item = SynthRow;

    fn next(&mut self) -> Option<SynthRow> {
        (self.i < self.opts.rows).then(|| self.row())
    }
}

/// Prices a generated record at `t`: the time of a quote is the record's own `at`, so the
/// record is priced as a copy carrying `t`.
fn quote_at(
    model: &Model,
    usage: &Usage,
    t: DateTime<Utc>,
) -> Result<crate::Bill, crate::PriceError> {
    price::quote(
        model,
        &Usage {
            at: Some(t),
            ..usage.clone()
        },
    )
}
