//! Reconciliation: re-price logged requests at the prices in force when they ran,
//! compare with what was charged, and explain every difference.
//!
//! ```
//! use tariff_operations::reconcile::{Class, Options, Reconciler};
//! use tariff_core::Catalog;
//!
//! let log = concat!(
//!     r#"{"model":"claude-sonnet-4-5","at":"2025-11-01T00:00:00Z","input_tokens":1000,"output_tokens":400,"charged":"0.009","currency":"USD"}"#, "\n",
//!     r#"{"model":"claude-sonnet-4-5","at":"2025-11-01T00:00:00Z","input_tokens":1000,"cache_read_tokens":3000,"charged":"0.012","currency":"USD"}"#, "\n",
//!     r#"{"model":"claude-sonnet-9","at":"2025-11-01T00:00:00Z","input_tokens":1}"#, "\n",
//! );
//! let mut r = Reconciler::new(Catalog::builtin(), Options::default())?;
//! let mut rejects = Vec::new();
//! r.read("log.jsonl", log.as_bytes(), &mut |rej| rejects.push(rej.clone()), &mut |_| {})?;
//! let report = r.finish();
//! assert_eq!((report.rows_read, report.priced, report.rejected), (3, 2, 1));
//! assert_eq!(rejects[0].line, 3); // unknown model, with suggestions
//! let usd = &report.totals[&tariff_operations::reconcile::Denom::Money(tariff_core::Currency::USD)];
//! assert_eq!(usd.charged.to_string(), "0.021");
//! // 0.009, and 0.003 + 0.0009 for the second row: its cache reads cost $0.30/M, not $3.
//! assert_eq!(usd.expected.to_string(), "0.0129");
//! // The second row was charged as if its cache reads were plain input.
//! assert_eq!(usd.classes[Class::CacheMiscounted as usize].0, 1);
//! # Ok::<(), tariff_operations::reconcile::ReconcileError>(())
//! ```
//!
//! # Inputs
//!
//! **Canonical rows** (JSON lines or CSV with a header): the usage record of
//! [`Usage`] (its members, `at` required), plus `model` (required),
//! `request_id`, `user`, `charged` (a decimal, string or number) and `currency` (`USD`,
//! `CNY`, any ISO code, or `quota` for relay quota units, with an optional `group_ratio`).
//! A row without `charged` is priced but not compared (class `not_charged`).
//!
//! **new-api consume logs**, as its `logs` table is exported (JSON lines of the table's
//! rows, or CSV with the column names as header). Read from QuantumNous/new-api
//! (`model/log.go`, `service/text_quota.go`, `service/log_info_generate.go`):
//!
//! | log column / `other` member | meaning | canonical bucket |
//! |---|---|---|
//! | `created_at` | Unix seconds | `at` |
//! | `model_name` | billed model | `model` |
//! | `quota` | the charge, in quota units (500,000 per USD, times the group ratio) | `charged` (`quota`) |
//! | `type` | 2 = consume; any other type is rejected as not a request | — |
//! | `username` (else `user_id`), `group`, `id` | | `user`, group, `request_id` |
//! | `prompt_tokens` | input; **includes** cache reads and writes, except under Claude semantics | `input_tokens` after subtraction |
//! | `completion_tokens` | output, reasoning included (new-api logs no split) | `output_tokens` |
//! | `other.usage_semantic` = `anthropic`, or (older logs) `other.claude` = true | Claude semantics: `prompt_tokens` excludes cache tokens | |
//! | `other.cache_tokens` | cache reads | `cache_read_tokens` |
//! | `other.cache_creation_tokens`, `_5m`, `_1h` | cache writes (total, 5-minute, 1-hour) | `cache_write_tokens` (total − 1h), `cache_write_1h_tokens` |
//! | `other.image` + `other.image_output` | image input tokens inside the prompt | `image_input_tokens` |
//! | `other.audio_input_seperate_price` + `audio_input_token_count` | separately priced audio input | `audio_input_tokens` |
//! | `other.web_search_call_count` | web-search tool calls | `web_search_calls` |
//! | `other.model_price` > 0 and no `model_ratio` | a per-call model (Midjourney, tasks): charged `model_price` × group ratio per request | `requests` = 1 |
//! | `other.group_ratio` | the group multiplier | the quota conversion |
//!
//! The expected charge comes from the price tables. The ratios the row logged
//! (`model_ratio`, `completion_ratio`, `cache_ratio`, `cache_creation_ratio*`,
//! `group_ratio`, `user_group_ratio`, `model_price`, image and audio ratios,
//! `tool_surcharges`, `audio_input_price`, `billing_mode`) are checked apart ([`relay`]):
//! the quota they give by new-api's formula (the one `convert::newapi::defaults` evaluates)
//! against the quota charged, and, given [`Options::relay`] with a configuration, against
//! the ratios that configuration gives ([`RelayClass`]: `follows`, `ratio_mismatch`,
//! `unexplained`, `unchecked`). A row the list-price hypotheses do not explain but whose
//! quota follows its logged ratios is class `operator_price` (or `ratio_mismatch`), not
//! `unexplained`. Every row charged in quota or US dollars for a model priced in US dollars
//! also carries its margin ([`Cost`]: charged `quota / 500,000` against the list price). The
//! expected quota is the bill in USD × 500,000 × group ratio, rounded half away from zero
//! (new-api's `QuotaFromDecimal`), at least 1 for a non-zero bill.
//!
//! # Every row is accounted for
//!
//! `rows_read = priced + rejected`. A rejected row is reported with its file, line and
//! reason ([`Rejection`]): bad JSON or CSV quoting, a truncated line, a negative count, an
//! unknown model (with suggestions), a time before any price, a charge in a currency the
//! model is not priced in (no exchange rate is ever applied silently). Blank lines are
//! counted apart. Only a file that cannot be read at all (I/O error, unusable CSV header)
//! is an error.
//!
//! # Differences
//!
//! A row is priced at the schedule in force at its time. When the charge differs, the same
//! row is re-priced under a few alternative hypotheses, each a known way relays get
//! billing wrong, tried in this order; the first whose amount matches the charge (within
//! the rounding tolerance) names the [`Class`]:
//!
//! 1. `rounding` — within one quota unit, or 0.000001 of the currency, of the expected
//!    amount;
//! 2. `missing_usage` — the row carries no billable quantity, yet was charged;
//! 3. `price_changed` — the charge equals the price of another schedule of the same model
//!    (same service tier and region) at its last instant (an earlier schedule) or its first
//!    (a later one): a relay still charging an old price, or a new one early;
//! 4. `cache_miscounted` — the charge equals the row with its cache reads and writes billed
//!    as plain input; or not billed; or 1-hour writes billed as 5-minute writes; or cache
//!    tokens subtracted from the input a second time;
//! 5. `reasoning_miscounted` — the charge equals the row with its reasoning tokens not
//!    billed, or billed twice (once more as output);
//! 6. `operator_price` / `ratio_mismatch` — a new-api row whose quota follows the ratios
//!    it logged (which, for `ratio_mismatch`, disagree with the configuration given);
//! 7. otherwise `unexplained`.
//!
//! Each differing row keeps the hypothesis that matched ([`Priced::hint`]), shown with the
//! largest differences.
//!
//! # Parallelism and memory
//!
//! The input is read in chunks of about [`Options::chunk_bytes`], cut at record
//! boundaries; a bounded batch of chunks is priced in parallel (rayon) while the next is
//! read, and results are merged in chunk order, so the report and the rejects are the same
//! for any number of threads, and memory does not grow with the file.
//!
//! The number of worker threads is bounded: [`Options::threads`] above [`max_threads`]
//! (four per core) is refused with [`ReconcileError::ThreadCount`] rather than started, and
//! [`Options::chunk_bytes`] is clamped to [`MAX_RECORD`].

mod csv;
mod diff;
mod html;
mod json;
mod read;
pub mod relay;
mod report;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

#[cfg(feature = "synth")]
pub(crate) use csv::quote as csv_quote;
#[cfg(feature = "synth")]
pub(crate) use diff::cache_hypotheses;
pub use report::{
    ExactSum, FileSummary, GroupKey, Margin, RelayIssue, Report, TopDiff, Totals, FIRST_REJECTS,
    RELAY_ISSUES, TOP,
};

use crate::catalog::Catalog;
use crate::money::Currency;
use crate::usage::Usage;
pub use html::escape as html_escape;
pub use relay::{Logged, RelayCheck, RelayClass, RelayRules};

/// The kind of log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// tariff's canonical usage rows.
    Canonical,
    /// new-api's consume logs.
    NewApi,
}

impl LogFormat {
    /// Parses `canonical` or `new-api`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "canonical" => Some(Self::Canonical),
            "new-api" | "newapi" => Some(Self::NewApi),
            _ => None,
        }
    }
}

/// How records are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

/// A dimension to group by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dim {
    /// The model priced (its canonical id).
    Model,
    /// The model's provider.
    Provider,
    /// The row's user.
    User,
    /// The relay group (new-api logs).
    Group,
    /// The relay channel, the upstream account a request went to (new-api logs).
    Channel,
    /// The UTC day the request ran.
    Day,
    /// The UTC month the request ran.
    Month,
    /// The class of the difference.
    Class,
}

impl Dim {
    /// Every dimension.
    pub const ALL: [Dim; 8] = [
        Dim::Model,
        Dim::Provider,
        Dim::User,
        Dim::Group,
        Dim::Channel,
        Dim::Day,
        Dim::Month,
        Dim::Class,
    ];

    /// The dimension's name.
    pub const fn name(self) -> &'static str {
        match self {
            Dim::Model => "model",
            Dim::Provider => "provider",
            Dim::User => "user",
            Dim::Group => "group",
            Dim::Channel => "channel",
            Dim::Day => "day",
            Dim::Month => "month",
            Dim::Class => "class",
        }
    }

    /// Parses a dimension name.
    pub fn parse(s: &str) -> Option<Dim> {
        Self::ALL.into_iter().find(|d| d.name() == s)
    }
}

/// What a difference between charge and expected amount is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Charged exactly the expected amount.
    Match,
    /// Within one quota unit, or 0.000001 of the currency.
    Rounding,
    /// Charged the price of another period of the same model.
    PriceChanged,
    /// Charged as if cache tokens were counted another way.
    CacheMiscounted,
    /// Charged as if reasoning tokens were not billed, or billed twice.
    ReasoningMiscounted,
    /// Charged for a row with no billable usage.
    MissingUsage,
    /// Not the list price, but exactly what the relay's own logged ratios give: the
    /// operator's configured price (new-api rows).
    OperatorPrice,
    /// What the relay's logged ratios give, but those ratios disagree with the operator's
    /// configuration (new-api rows checked against `RelayRules::options`).
    RatioMismatch,
    /// No hypothesis explains the difference.
    Unexplained,
    /// The row carries no charge to compare with.
    NotCharged,
}

impl Class {
    /// Every class, in report order.
    pub const ALL: [Class; 10] = [
        Class::Match,
        Class::Rounding,
        Class::PriceChanged,
        Class::CacheMiscounted,
        Class::ReasoningMiscounted,
        Class::MissingUsage,
        Class::OperatorPrice,
        Class::RatioMismatch,
        Class::Unexplained,
        Class::NotCharged,
    ];

    /// The class's name.
    pub const fn name(self) -> &'static str {
        match self {
            Class::Match => "match",
            Class::Rounding => "rounding",
            Class::PriceChanged => "price_changed",
            Class::CacheMiscounted => "cache_miscounted",
            Class::ReasoningMiscounted => "reasoning_miscounted",
            Class::MissingUsage => "missing_usage",
            Class::OperatorPrice => "operator_price",
            Class::RatioMismatch => "ratio_mismatch",
            Class::Unexplained => "unexplained",
            Class::NotCharged => "not_charged",
        }
    }

    /// Whether the charge differs from the expected amount.
    pub const fn differs(self) -> bool {
        !matches!(self, Class::Match | Class::NotCharged)
    }
}

/// The denomination amounts are compared in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Denom {
    /// Money in a currency.
    Money(Currency),
    /// Relay quota units.
    Quota,
}

impl fmt::Display for Denom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denom::Money(c) => c.fmt(f),
            Denom::Quota => f.write_str("quota"),
        }
    }
}

impl Serialize for Denom {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What a row was charged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The amount.
    pub amount: Decimal,
    /// Its denomination.
    pub unit: ChargeUnit,
}

/// The denomination of a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeUnit {
    /// Money.
    Money(Currency),
    /// new-api quota units (500,000 per USD) under a group multiplier.
    Quota {
        /// The group multiplier.
        group_ratio: Decimal,
    },
}

/// One log row, ready to re-price.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRow<'a> {
    /// The model as logged.
    pub model: Cow<'a, str>,
    /// When the request ran.
    pub at: DateTime<Utc>,
    /// The request id, if logged.
    pub request_id: Option<Cow<'a, str>>,
    /// The user, if logged.
    pub user: Option<Cow<'a, str>>,
    /// The relay group, if logged.
    pub group: Option<Cow<'a, str>>,
    /// The relay channel the request went to (new-api's `channel_id`), if logged.
    pub channel: Option<Cow<'a, str>>,
    /// What was charged, if logged.
    pub charge: Option<Charge>,
    /// What the request consumed (its `at` is the row's time).
    pub usage: Usage,
    /// What a new-api row logged the relay applied (its ratios), to check the charge
    /// against the relay's own rules.
    pub relay: Option<Box<Logged>>,
}

/// A priced row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Priced {
    /// The model's canonical id.
    pub model: Arc<str>,
    /// The model's provider.
    pub provider: Arc<str>,
    /// The denomination of `expected` and `charged`.
    pub denom: Denom,
    /// What the price tables say the row costs.
    pub expected: Decimal,
    /// What was charged, if logged.
    pub charged: Option<Decimal>,
    /// The class of the difference.
    pub class: Class,
    /// The hypothesis that matched, for a differing row.
    pub hint: Option<String>,
    /// A new-api row checked against the relay's own rules (its logged ratios).
    pub relay: Option<RelayCheck>,
    /// What the row was charged and what it cost upstream at the list price, both in US
    /// dollars (a charge in quota units is `quota / 500,000`); `None` when the model is
    /// not priced in dollars (no exchange rate is applied) or the row has no charge.
    pub cost: Option<Cost>,
}

/// A row's charge and upstream cost in US dollars: its margin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// What the operator charged.
    pub charged: Decimal,
    /// What the request cost at the vendor's list price in force when it ran.
    pub upstream: Decimal,
}

/// Why a row was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectKind {
    /// Not well-formed JSON or CSV (truncated lines, bad quoting, wrong field count).
    Syntax,
    /// Not UTF-8 text.
    Encoding,
    /// A member missing, of the wrong kind, or out of range (negative counts).
    Field,
    /// A model no table names.
    UnknownModel,
    /// No price in force at the row's time (before any price, or after the last).
    NoPrice,
    /// The model has no price for some of the row's usage.
    Unpriced,
    /// The charge's currency is not the model's, or is missing.
    Currency,
    /// A log record that is not a request (new-api top-ups, errors, refunds…).
    NotConsume,
    /// The difference between the charge and the expected amount has more digits than
    /// the decimal type holds, so it cannot be reported exactly.
    Overflow,
}

impl RejectKind {
    /// The kind's name.
    pub const fn name(self) -> &'static str {
        match self {
            RejectKind::Syntax => "syntax",
            RejectKind::Encoding => "encoding",
            RejectKind::Field => "field",
            RejectKind::UnknownModel => "unknown_model",
            RejectKind::NoPrice => "no_price",
            RejectKind::Unpriced => "unpriced",
            RejectKind::Currency => "currency",
            RejectKind::NotConsume => "not_consume",
            RejectKind::Overflow => "overflow",
        }
    }
}

/// Why one row cannot be priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The kind of problem.
    pub kind: RejectKind,
    /// What is wrong, naming the field.
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.reason)
    }
}

/// A rejected row: where it is, why, and its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The file.
    pub file: Arc<str>,
    /// The line (1-based) the record starts on.
    pub line: u64,
    /// The kind of problem.
    pub kind: RejectKind,
    /// What is wrong.
    pub reason: String,
    /// The record as read (at most [`MAX_REJECT_TEXT`] bytes of it).
    pub record: String,
}

/// The most of a rejected record's text kept with it.
pub const MAX_REJECT_TEXT: usize = 4096;

/// A file that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// Reading failed.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The CSV header does not name the columns needed, or names unknown ones.
    #[error("{file}: CSV header: {message}")]
    Header {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The number of worker threads asked for is 0 or above [`max_threads`].
    #[error("{threads} worker threads asked for; between 1 and {max} (four per core) are allowed")]
    ThreadCount {
        /// Threads asked for.
        threads: usize,
        /// The most allowed on this machine.
        max: usize,
    },
    /// The worker threads could not be started.
    #[error("starting {threads} worker threads: {message}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// The error.
        message: String,
    },
}

/// How to read and report.
#[derive(Clone, Debug)]
pub struct Options {
    /// The log format; `None` detects it from the first record (`model_name` means new-api).
    pub format: Option<LogFormat>,
    /// The dimensions groups are keyed by.
    pub by: Vec<Dim>,
    /// Worker threads; `None` uses every core. At most [`max_threads`].
    pub threads: Option<usize>,
    /// Approximate size of a chunk of records priced as one unit of work (clamped to
    /// 1 ..= [`MAX_RECORD`]).
    pub chunk_bytes: usize,
    /// The rules new-api rows are checked by (their logged ratios recomputed, and compared
    /// with a configuration); `None`: the newest version's formula, no configuration.
    pub relay: Option<Arc<RelayRules>>,
    /// Also sum the margin by model, by channel and by day ([`Report::margin_by_model`]).
    pub margin: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            format: None,
            by: vec![Dim::Model],
            threads: None,
            chunk_bytes: 1 << 20,
            relay: None,
            margin: false,
        }
    }
}

/// The largest record accepted; a longer one is rejected and skipped (memory stays bounded).
pub const MAX_RECORD: usize = 16 << 20;

/// The most worker threads [`Options::threads`] may ask for: four per core. Pricing is
/// CPU-bound, so more threads than cores only add memory and scheduling; a few per core
/// still leave room for slow reads.
pub fn max_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .saturating_mul(4)
}

/// Reads one JSON line of the given format.
pub fn parse_json_line(format: LogFormat, line: &str) -> Result<LogRow<'_>, RowError> {
    match format {
        LogFormat::Canonical => read::canonical_json(line),
        LogFormat::NewApi => read::new_api_json(line),
    }
}

/// Prices one row against a catalog and classifies its difference.
pub fn price_row(catalog: &Catalog, row: &LogRow<'_>) -> Result<Priced, RowError> {
    diff::price_row(&mut diff::ModelCache::new(catalog, None), row)
}

/// Prices one row as [`price_row`] does, checking a new-api row by `rules`.
pub fn price_row_with(
    catalog: &Catalog,
    rules: &RelayRules,
    row: &LogRow<'_>,
) -> Result<Priced, RowError> {
    let mut cache = diff::ModelCache::new(catalog, None);
    cache.relay = Some(rules);
    diff::price_row(&mut cache, row)
}

/// Reconciles one or more logs into a [`Report`].
pub struct Reconciler<'c> {
    catalog: &'c Catalog,
    opts: Options,
    pool: Option<rayon::ThreadPool>,
    report: Report,
}

enum ChunkKind {
    Records,
    /// A quoted CSV field opened on this line and never closed.
    Unterminated,
    /// A record longer than [`MAX_RECORD`].
    Oversized,
}

struct Chunk {
    first_line: u64,
    bytes: Vec<u8>,
    kind: ChunkKind,
}

/// Cuts a stream into chunks at record boundaries, numbering lines.
struct Splitter<R> {
    r: R,
    buf: Vec<u8>,
    eof: bool,
    line: u64,
    csv: bool,
    chunk: usize,
    pending: VecDeque<Chunk>,
    consumed: u64,
}

impl<R: Read> Splitter<R> {
    fn fill(&mut self, want: usize) -> io::Result<()> {
        if self.buf.len() < want && !self.eof {
            let need = (want - self.buf.len()) as u64;
            self.buf.reserve(need as usize);
            // `take` + `read_to_end` fills the spare capacity without zeroing it first.
            let n = (&mut self.r).take(need).read_to_end(&mut self.buf)?;
            if (n as u64) < need {
                self.eof = true;
            }
        }
        Ok(())
    }

    fn emit(&mut self, upto: usize, kind: ChunkKind) {
        let rest = self.buf.split_off(upto);
        let bytes = std::mem::replace(&mut self.buf, rest);
        let first_line = self.line;
        self.line += memchr::memchr_iter(b'\n', &bytes).count() as u64;
        self.consumed += bytes.len() as u64;
        self.pending.push_back(Chunk {
            first_line,
            bytes,
            kind,
        });
    }

    /// Drops the rest of an oversized record, up to and including its line end.
    fn discard_line(&mut self) -> io::Result<()> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf) {
                self.consumed += i as u64 + 1;
                self.buf.drain(..=i);
                self.line += 1;
                return Ok(());
            }
            self.consumed += self.buf.len() as u64;
            self.buf.clear();
            if self.eof {
                self.line += 1;
                return Ok(());
            }
            self.fill(self.chunk)?;
        }
    }

    fn next(&mut self) -> io::Result<Option<Chunk>> {
        let mut want = self.chunk;
        loop {
            if let Some(c) = self.pending.pop_front() {
                return Ok(Some(c));
            }
            self.fill(want)?;
            if self.buf.is_empty() {
                return Ok(None);
            }
            let cut = if self.csv {
                csv::last_boundary(&self.buf)
            } else {
                memchr::memrchr(b'\n', &self.buf).map(|i| i + 1)
            };
            if self.eof {
                let tail = &self.buf[cut.unwrap_or(0)..];
                let open = self.csv && csv::scan(tail, |_| true);
                if !open {
                    self.emit(self.buf.len(), ChunkKind::Records);
                    continue;
                }
                if let Some(c) = cut {
                    self.emit(c, ChunkKind::Records);
                }
                // The quote never closes: reject the line it opened on and read on from
                // the next line.
                let end = memchr::memchr(b'\n', &self.buf).map_or(self.buf.len(), |i| i + 1);
                self.emit(end, ChunkKind::Unterminated);
                continue;
            }
            match cut {
                Some(c) => self.emit(c, ChunkKind::Records),
                None if self.buf.len() < MAX_RECORD => want = self.buf.len() + self.chunk,
                None => {
                    let newline = memchr::memchr(b'\n', &self.buf);
                    match newline {
                        Some(i) if self.csv => self.emit(i + 1, ChunkKind::Unterminated),
                        _ => {
                            let first_line = self.line;
                            self.discard_line()?;
                            self.pending.push_back(Chunk {
                                first_line,
                                bytes: Vec::new(),
                                kind: ChunkKind::Oversized,
                            });
                        }
                    }
                    want = self.chunk;
                }
            }
        }
    }
}

/// What the workers need to know about a file.
struct FileCtx<'c> {
    name: Arc<str>,
    index: usize,
    format: LogFormat,
    encoding: Encoding,
    header: Vec<String>,
    by: Vec<Dim>,
    catalog: &'c Catalog,
    models: diff::SharedModels<'c>,
    relay: Option<Arc<RelayRules>>,
    margin: bool,
}

fn record_text(b: &[u8]) -> String {
    let b = &b[..b.len().min(MAX_REJECT_TEXT)];
    String::from_utf8_lossy(b).into_owned()
}

impl FileCtx<'_> {
    fn reject(&self, out: &mut report::ChunkResult, line: u64, e: RowError, rec: &[u8]) {
        out.reject(Rejection {
            file: self.name.clone(),
            line,
            kind: e.kind,
            reason: e.reason,
            record: record_text(rec),
        });
    }

    fn row<'a>(&self, rec: &'a str, cells: &mut Vec<Cow<'a, str>>) -> Result<LogRow<'a>, RowError> {
        match self.encoding {
            Encoding::Jsonl => parse_json_line(self.format, rec),
            Encoding::Csv => {
                csv::fields(rec, cells).map_err(|e| RowError {
                    kind: RejectKind::Syntax,
                    reason: format!("bad CSV at column {}: {}", e.column, e.message),
                })?;
                if cells.len() != self.header.len() {
                    return Err(RowError {
                        kind: RejectKind::Syntax,
                        reason: format!(
                            "{} fields, but the header has {}",
                            cells.len(),
                            self.header.len()
                        ),
                    });
                }
                match self.format {
                    LogFormat::Canonical => read::canonical_csv(&self.header, cells),
                    LogFormat::NewApi => read::new_api_csv(&self.header, cells),
                }
            }
        }
    }

    fn record(
        &self,
        out: &mut report::ChunkResult,
        cache: &mut diff::ModelCache<'_, '_>,
        line: u64,
        rec: &[u8],
    ) {
        if rec.iter().all(u8::is_ascii_whitespace) {
            out.blank += 1;
            return;
        }
        let text = match std::str::from_utf8(rec) {
            Ok(t) => t,
            Err(e) => {
                let err = RowError {
                    kind: RejectKind::Encoding,
                    reason: format!("not UTF-8 text (byte {})", e.valid_up_to() + 1),
                };
                return self.reject(out, line, err, rec);
            }
        };
        let mut cells = Vec::new();
        let row = match self.row(text, &mut cells) {
            Ok(row) => row,
            Err(e) => return self.reject(out, line, e, rec),
        };
        match diff::price_row(cache, &row) {
            Ok(p) => out.add(&self.by, &self.name, self.index, line, &row, p),
            Err(e) => {
                // The list price is out of reach (a model the tables do not name, no price
                // in force, usage they do not price, another currency), but whether the
                // relay billed the row by its own logged ratios does not depend on them.
                if matches!(
                    e.kind,
                    RejectKind::UnknownModel
                        | RejectKind::NoPrice
                        | RejectKind::Unpriced
                        | RejectKind::Currency
                ) {
                    if let Some(check) = diff::relay_check(cache, &row) {
                        out.relay_unpriced(&self.name, line, &row, check);
                    }
                }
                self.reject(out, line, e, rec)
            }
        }
    }

    fn process(&self, chunk: &Chunk) -> report::ChunkResult {
        let mut out = report::ChunkResult::default();
        out.margin = self.margin;
        let mut cache = diff::ModelCache::new(self.catalog, Some(&self.models));
        cache.relay = self.relay.as_deref();
        match chunk.kind {
            ChunkKind::Unterminated => {
                let e = RowError {
                    kind: RejectKind::Syntax,
                    reason: "bad CSV: a quoted field opens on this line and never closes"
                        .to_string(),
                };
                self.reject(&mut out, chunk.first_line, e, &chunk.bytes);
            }
            ChunkKind::Oversized => {
                let e = RowError {
                    kind: RejectKind::Syntax,
                    reason: format!("record longer than {MAX_RECORD} bytes"),
                };
                self.reject(&mut out, chunk.first_line, e, &chunk.bytes);
            }
            ChunkKind::Records => match self.encoding {
                Encoding::Jsonl => {
                    let mut line = chunk.first_line;
                    let mut start = 0;
                    let b = &chunk.bytes;
                    while start < b.len() {
                        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
                        let mut rec = &b[start..end];
                        if let [head @ .., b'\r'] = rec {
                            rec = head;
                        }
                        self.record(&mut out, &mut cache, line, rec);
                        line += 1;
                        start = end + 1;
                    }
                }
                Encoding::Csv => {
                    for (line, rec) in csv::Records::new(&chunk.bytes, chunk.first_line) {
                        self.record(&mut out, &mut cache, line, rec);
                    }
                }
            },
        }
        out
    }
}

impl<'c> Reconciler<'c> {
    /// A reconciler pricing against `catalog`.
    pub fn new(catalog: &'c Catalog, opts: Options) -> Result<Self, ReconcileError> {
        let pool = match opts.threads {
            None => None,
            Some(n) if n == 0 || n > max_threads() => {
                return Err(ReconcileError::ThreadCount {
                    threads: n,
                    max: max_threads(),
                })
            }
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| ReconcileError::Threads {
                        threads: n,
                        message: e.to_string(),
                    })?,
            ),
        };
        let report = Report {
            by: opts.by.clone(),
            ..Report::default()
        };
        Ok(Reconciler {
            catalog,
            opts,
            pool,
            report,
        })
    }

    /// Reads one log. `on_reject` receives every rejected row, in file order; `progress`
    /// receives the number of bytes of this log consumed so far.
    pub fn read<R: Read + Send>(
        &mut self,
        name: &str,
        reader: R,
        on_reject: &mut dyn FnMut(&Rejection),
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ReconcileError> {
        let io_err = |source| ReconcileError::Io {
            file: name.to_string(),
            source,
        };
        let mut sp = Splitter {
            r: reader,
            buf: Vec::new(),
            eof: false,
            line: 1,
            csv: false,
            chunk: self.opts.chunk_bytes.clamp(1, MAX_RECORD),
            pending: VecDeque::new(),
            consumed: 0,
        };
        // Sniff the encoding (and, unless given, the format) from the first bytes.
        sp.fill(sp.chunk.max(64 << 10)).map_err(io_err)?;
        // A byte order mark (Excel's "CSV UTF-8", Windows exports) is not a record.
        if sp.buf.starts_with(b"\xEF\xBB\xBF") {
            sp.buf.drain(..3);
            sp.consumed += 3;
        }
        let first = sp.buf.iter().position(|c| !c.is_ascii_whitespace());
        let encoding = match first.map(|i| sp.buf[i]) {
            Some(b'{') => Encoding::Jsonl,
            Some(_) => Encoding::Csv,
            None => Encoding::Jsonl,
        };
        sp.csv = encoding == Encoding::Csv;
        let mut header = Vec::new();
        let mut format = self.opts.format;
        if encoding == Encoding::Csv {
            let Some(mut chunk) = sp.next().map_err(io_err)? else {
                unreachable!("a file with a non-blank byte has a chunk")
            };
            let (hline, hrec) = csv::Records::new(&chunk.bytes, chunk.first_line)
                .next()
                .expect("a chunk with a non-blank byte has a record");
            let len = hrec.len();
            let text = std::str::from_utf8(hrec).map_err(|_| ReconcileError::Header {
                file: name.to_string(),
                message: "not UTF-8 text".to_string(),
            })?;
            let mut cells = Vec::new();
            csv::fields(text, &mut cells).map_err(|e| ReconcileError::Header {
                file: name.to_string(),
                message: format!("column {}: {}", e.column, e.message),
            })?;
            header = cells.iter().map(|c| c.trim().to_string()).collect();
            let fmt = *format.get_or_insert(if header.iter().any(|h| h == "model_name") {
                LogFormat::NewApi
            } else {
                LogFormat::Canonical
            });
            check_header(name, fmt, &header)?;
            // The header's own line end, then the rest of the chunk is data.
            let skip = (len
                + chunk.bytes[len..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(chunk.bytes.len() - len, |i| i + 1))
            .min(chunk.bytes.len());
            let header_lines = memchr::memchr_iter(b'\n', &chunk.bytes[..skip]).count() as u64;
            chunk.bytes.drain(..skip);
            chunk.first_line = hline + header_lines.max(1);
            sp.pending.push_front(chunk);
        } else if format.is_none() {
            let line_end = memchr::memchr(b'\n', &sp.buf).unwrap_or(sp.buf.len());
            let first = &sp.buf[..line_end];
            format = Some(
                if memchr::memmem::find(first, b"\"model_name\"").is_some() {
                    LogFormat::NewApi
                } else {
                    LogFormat::Canonical
                },
            );
        }
        let ctx = FileCtx {
            name: Arc::from(name),
            index: self.report.files.len(),
            format: format.unwrap_or(LogFormat::Canonical),
            encoding,
            header,
            by: self.opts.by.clone(),
            catalog: self.catalog,
            models: Default::default(),
            relay: self.opts.relay.clone(),
            margin: self.opts.margin,
        };
        let mut summary = FileSummary {
            name: name.to_string(),
            ..FileSummary::default()
        };
        let threads = self
            .pool
            .as_ref()
            .map_or_else(rayon::current_num_threads, |p| p.current_num_threads());
        // Bounded work in flight: one batch priced while the next is read.
        let batch = (threads * 4).clamp(4, 32);
        let read_batch = |sp: &mut Splitter<R>| -> io::Result<Vec<Chunk>> {
            let mut v = Vec::with_capacity(batch);
            while v.len() < batch {
                match sp.next()? {
                    Some(c) => v.push(c),
                    None => break,
                }
            }
            Ok(v)
        };
        let pool = self.pool.as_ref();
        let ctx = &ctx;
        let run = |current: Vec<Chunk>, sp: &mut Splitter<R>| {
            let mut work = || {
                rayon::join(
                    || {
                        current
                            .par_iter()
                            .map(|c| ctx.process(c))
                            .collect::<Vec<_>>()
                    },
                    || read_batch(sp),
                )
            };
            match pool {
                Some(p) => p.install(work),
                None => work(),
            }
        };
        let mut next = read_batch(&mut sp).map_err(io_err)?;
        while !next.is_empty() {
            let (results, following) = run(std::mem::take(&mut next), &mut sp);
            next = following.map_err(io_err)?;
            for r in results {
                for rej in &r.rejects {
                    on_reject(rej);
                }
                self.report.merge_chunk(r, &mut summary);
            }
            progress(sp.consumed);
        }
        self.report.files.push(summary);
        Ok(())
    }

    /// The report of everything read.
    pub fn finish(self) -> Report {
        self.report
    }
}

fn check_header(name: &str, format: LogFormat, header: &[String]) -> Result<(), ReconcileError> {
    let err = |message: String| ReconcileError::Header {
        file: name.to_string(),
        message,
    };
    let mut seen = std::collections::HashSet::new();
    for h in header {
        if !seen.insert(h.as_str()) {
            return Err(err(format!("column `{h}` appears twice")));
        }
    }
    match format {
        LogFormat::Canonical => {
            if let Some(h) = header.iter().find(|h| !read::is_canonical_key(h)) {
                return Err(err(format!("unknown column `{h}`")));
            }
            for need in ["model", "at"] {
                if !header.iter().any(|h| h == need) {
                    return Err(err(format!("no `{need}` column")));
                }
            }
        }
        LogFormat::NewApi => {
            for need in read::NEW_API_REQUIRED {
                if !header.iter().any(|h| h == need) {
                    return Err(err(format!("no `{need}` column (a new-api log export needs created_at, model_name, quota and other)")));
                }
            }
        }
    }
    Ok(())
}
