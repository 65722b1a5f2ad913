//! Log rows: tariff's canonical usage records and new-api consume logs, as JSONL or CSV.
//!
//! Every reader turns one record into a [`LogRow`] or a [`RowError`] saying what is wrong
//! with it; none of them skips a record or guesses a value.

use std::borrow::Cow;

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::json::{for_each_member, is_number, ScanError, Val};
use super::relay::Logged;
use super::{Charge, ChargeUnit, LogRow, RejectKind, RowError};
use crate::convert::newapi::defaults::{NewApiUsage, QuotaPath, Semantics};
use crate::money::Currency;
use crate::usage::{Count, ServiceTier, Tokens, Usage};

/// The members a canonical row adds around the usage record.
const ROW_KEYS: [&str; 6] = [
    "model",
    "request_id",
    "user",
    "charged",
    "currency",
    "group_ratio",
];

/// Usage members read directly (whole counts): the usage record's buckets.
const COUNT_KEYS: [&str; 17] = tariff_core::COUNT_BUCKETS;

/// Usage members handed to the usage record's own decoder (rare, structured or checked).
const OTHER_USAGE_KEYS: [&str; 10] = [
    "at",
    "service_tier",
    "region",
    "images",
    "video_seconds",
    "resolution",
    "audio_seconds",
    "options",
    "estimated",
    "total_tokens",
];

/// The index of a row member in [`ROW_KEYS`] (a `match` compiles to a length switch and
/// one comparison, cheaper than a scan of the table on every member of every row).
fn row_key(key: &str) -> Option<usize> {
    match key {
        "model" => Some(0),
        "request_id" => Some(1),
        "user" => Some(2),
        "charged" => Some(3),
        "currency" => Some(4),
        "group_ratio" => Some(5),
        _ => None,
    }
}

/// The index of a count member in [`COUNT_KEYS`].
fn count_key(key: &str) -> Option<usize> {
    match key {
        "input_tokens" => Some(0),
        "cache_read_tokens" => Some(1),
        "cache_write_tokens" => Some(2),
        "cache_write_1h_tokens" => Some(3),
        "output_tokens" => Some(4),
        "reasoning_tokens" => Some(5),
        "audio_input_tokens" => Some(6),
        "audio_cache_read_tokens" => Some(7),
        "audio_output_tokens" => Some(8),
        "image_input_tokens" => Some(9),
        "image_output_tokens" => Some(10),
        "characters" => Some(11),
        "requests" => Some(12),
        "web_search_calls" => Some(13),
        "file_search_calls" => Some(14),
        "searches" => Some(15),
        "container_sessions" => Some(16),
        _ => None,
    }
}

fn field(kind: RejectKind, reason: String) -> RowError {
    RowError { kind, reason }
}

fn bad(reason: String) -> RowError {
    field(RejectKind::Field, reason)
}

/// The closest known member name, for "did you mean".
fn suggest(key: &str, known: &[&str]) -> String {
    crate::suggest::did_you_mean(&crate::suggest::similar(key, known.iter().copied(), 1))
}

fn canonical_keys() -> Vec<&'static str> {
    ROW_KEYS
        .iter()
        .chain(COUNT_KEYS.iter())
        .chain(OTHER_USAGE_KEYS.iter())
        .copied()
        .collect()
}

/// Whether a canonical CSV column name is known (for checking a header once).
pub(crate) fn is_canonical_key(key: &str) -> bool {
    ROW_KEYS.contains(&key) || COUNT_KEYS.contains(&key) || OTHER_USAGE_KEYS.contains(&key)
}

/// Parses a whole count, with the usage record's own wording for what is not one.
fn parse_count(key: &str, v: &Val<'_>) -> Result<u64, RowError> {
    let text = match v {
        Val::Num(t) => *t,
        Val::Str(s) => {
            return Err(bad(format!(
                "field `{key}`: expected a number, found the string \"{s}\""
            )))
        }
        Val::Raw(t) => return Err(bad(format!("field `{key}`: expected a number, found {t}"))),
    };
    if let Ok(n) = text.parse::<u64>() {
        if n <= crate::usage::MAX_COUNT {
            return Ok(n);
        }
        return Err(bad(format!(
            "field `{key}`: {n} is too large (the maximum count is {})",
            crate::usage::MAX_COUNT
        )));
    }
    if text.starts_with('-') && text[1..].bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad(format!(
            "field `{key}`: {text} is negative; counts are never negative"
        )));
    }
    Err(bad(format!("field `{key}`: {text} is not a whole number")))
}

fn parse_decimal(key: &str, v: &Val<'_>) -> Result<Decimal, RowError> {
    let text: &str = match v {
        Val::Num(t) => t,
        Val::Str(s) => s.as_ref(),
        Val::Raw(t) => return Err(bad(format!("field `{key}`: expected a decimal, found {t}"))),
    };
    let t = text.trim();
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t).ok()
    } else {
        t.parse::<Decimal>().ok()
    };
    parsed.ok_or_else(|| bad(format!("field `{key}`: `{text}` is not a decimal number")))
}

fn as_text<'a>(key: &str, v: Val<'a>) -> Result<Cow<'a, str>, RowError> {
    match v {
        Val::Str(s) => Ok(s),
        Val::Num(t) => Ok(Cow::Borrowed(t)),
        Val::Raw(t) => Err(bad(format!("field `{key}`: expected a string, found {t}"))),
    }
}

/// Parses an RFC 3339 time; the common `YYYY-MM-DDTHH:MM:SSZ` form without the general parser.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
    {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let mut n = 0u32;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + u32::from(c - b'0');
            }
            Some(n)
        };
        let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
        let t = date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
        return Some(t.and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads a canonical row from the members of one record (a JSON line or a CSV row).
///
/// Counts are set directly; a row with a structured usage member (images, options,
/// seconds…) is decoded again, whole, by [`Usage::from_json`], so both paths accept and
/// refuse exactly the same records.
pub(crate) struct CanonicalBuilder<'a> {
    model: Option<Cow<'a, str>>,
    request_id: Option<Cow<'a, str>>,
    user: Option<Cow<'a, str>>,
    charged: Option<Decimal>,
    currency: Option<Cow<'a, str>>,
    group_ratio: Option<Decimal>,
    usage: Usage,
    seen: u64,
    /// Set when a member needs the usage record's own decoder: the usage members as JSON.
    slow: Option<String>,
}

/// Returned by the fast pass when the record needs the full usage decoder.
pub(crate) const NEEDS_FULL_DECODE: &str = "\u{0}full";

impl<'a> CanonicalBuilder<'a> {
    pub(crate) fn new(full: bool) -> Self {
        CanonicalBuilder {
            model: None,
            request_id: None,
            user: None,
            charged: None,
            currency: None,
            group_ratio: None,
            usage: Usage::default(),
            seen: 0,
            slow: full.then(String::new),
        }
    }

    fn mark(&mut self, key: &str, index: usize) -> Result<(), RowError> {
        let bit = 1u64 << index;
        if self.seen & bit != 0 {
            return Err(bad(format!("duplicate field `{key}`")));
        }
        self.seen |= bit;
        Ok(())
    }

    pub(crate) fn member(&mut self, key: &str, v: Val<'a>) -> Result<(), RowError> {
        if let Some(i) = row_key(key) {
            self.mark(key, i)?;
            match i {
                0 => self.model = Some(as_text(key, v)?),
                1 => self.request_id = Some(as_text(key, v)?),
                2 => self.user = Some(as_text(key, v)?),
                3 => self.charged = Some(parse_decimal(key, &v)?),
                4 => self.currency = Some(as_text(key, v)?),
                _ => self.group_ratio = Some(parse_decimal(key, &v)?),
            }
            return Ok(());
        }
        if let Some(slow) = &mut self.slow {
            if !(COUNT_KEYS.contains(&key) || OTHER_USAGE_KEYS.contains(&key)) {
                return Err(unknown(key));
            }
            if !slow.is_empty() {
                slow.push(',');
            }
            slow.push_str(&serde_json::to_string(key).expect("a key serializes"));
            slow.push(':');
            slow.push_str(&v.to_json());
            return Ok(());
        }
        if let Some(i) = count_key(key) {
            self.mark(key, ROW_KEYS.len() + i)?;
            let n = parse_count(key, &v)?;
            let u = &mut self.usage;
            let tokens = |t: &mut Tokens| *t = Tokens::new(n).expect("checked against MAX_COUNT");
            let count = |c: &mut Count| *c = Count::new(n).expect("checked against MAX_COUNT");
            match i {
                0 => tokens(&mut u.input_tokens),
                1 => tokens(&mut u.cache_read_tokens),
                2 => tokens(&mut u.cache_write_tokens),
                3 => tokens(&mut u.cache_write_1h_tokens),
                4 => tokens(&mut u.output_tokens),
                5 => tokens(&mut u.reasoning_tokens),
                6 => tokens(&mut u.audio_input_tokens),
                7 => tokens(&mut u.audio_cache_read_tokens),
                8 => tokens(&mut u.audio_output_tokens),
                9 => tokens(&mut u.image_input_tokens),
                10 => tokens(&mut u.image_output_tokens),
                11 => count(&mut u.characters),
                12 => count(&mut u.requests),
                13 => count(&mut u.web_search_calls),
                14 => count(&mut u.file_search_calls),
                15 => count(&mut u.searches),
                _ => count(&mut u.container_sessions),
            }
            return Ok(());
        }
        let base = ROW_KEYS.len() + COUNT_KEYS.len();
        match key {
            "at" => {
                self.mark(key, base)?;
                let t = match &v {
                    Val::Str(s) => parse_time(s),
                    _ => None,
                };
                self.usage.at = Some(t.ok_or_else(|| {
                    bad(format!(
                        "field `at`: {} is not an RFC 3339 time",
                        v.to_json()
                    ))
                })?);
                Ok(())
            }
            "region" => {
                self.mark(key, base + 1)?;
                match v {
                    Val::Str(s) => {
                        self.usage.region = Some(s.into_owned());
                        Ok(())
                    }
                    other => Err(bad(format!(
                        "field `region`: expected a string, found {}",
                        other.to_json()
                    ))),
                }
            }
            "service_tier" => {
                self.mark(key, base + 2)?;
                let tier = match &v {
                    Val::Str(s) => ServiceTier::ALL.into_iter().find(|t| t.name() == s),
                    _ => None,
                };
                self.usage.service_tier = Some(tier.ok_or_else(|| {
                    bad(format!(
                        "field `service_tier`: {} is not one of standard, batch, flex, priority",
                        v.to_json()
                    ))
                })?);
                Ok(())
            }
            k if OTHER_USAGE_KEYS.contains(&k) => Err(bad(NEEDS_FULL_DECODE.to_string())),
            _ => Err(unknown(key)),
        }
    }

    pub(crate) fn finish(self) -> Result<LogRow<'a>, RowError> {
        let fast = self.slow.is_none();
        let usage = match self.slow {
            None => self.usage,
            Some(json) => {
                let text = format!("{{{json}}}");
                Usage::from_json(&text).map_err(|e| match e {
                    crate::UsageError::Json { path, message, .. } if !path.is_empty() => {
                        bad(format!("field `{path}`: {message}"))
                    }
                    crate::UsageError::Json { message, .. } => bad(message),
                    other => bad(other.to_string()),
                })?
            }
        };
        if fast {
            usage.validate().map_err(|e| bad(e.to_string()))?;
        }
        let model = self
            .model
            .filter(|m| !m.is_empty())
            .ok_or_else(|| bad("missing field `model`".to_string()))?;
        let at = usage.at.ok_or_else(|| {
            bad("missing field `at`: a row is re-priced at the time it ran".to_string())
        })?;
        let charge = match (self.charged, self.currency) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(field(
                    RejectKind::Currency,
                    "`charged` without `currency` (USD, CNY, … or quota)".to_string(),
                ))
            }
            (None, Some(_)) => {
                return Err(bad("`currency` without `charged`".to_string()));
            }
            (Some(amount), Some(cur)) => {
                if amount.is_sign_negative() && !amount.is_zero() {
                    return Err(bad(format!(
                        "field `charged`: {amount} is negative; a request is never charged less than nothing"
                    )));
                }
                let unit = if cur.eq_ignore_ascii_case("quota") {
                    ChargeUnit::Quota {
                        group_ratio: self.group_ratio.unwrap_or(Decimal::ONE),
                    }
                } else {
                    ChargeUnit::Money(Currency::parse(&cur).ok_or_else(|| {
                        field(
                            RejectKind::Currency,
                            format!("field `currency`: `{cur}` is not a currency code (USD, CNY, …) or `quota`"),
                        )
                    })?)
                };
                Some(Charge { amount, unit })
            }
        };
        if self.group_ratio.is_some()
            && !matches!(
                charge,
                Some(Charge {
                    unit: ChargeUnit::Quota { .. },
                    ..
                })
            )
        {
            return Err(bad(
                "`group_ratio` applies only to a charge in quota units (currency `quota`)"
                    .to_string(),
            ));
        }
        Ok(LogRow {
            model,
            at,
            request_id: self.request_id,
            user: self.user,
            group: None,
            channel: None,
            charge,
            usage,
            relay: None,
        })
    }
}

fn unknown(key: &str) -> RowError {
    bad(format!(
        "unknown field `{key}`{}",
        suggest(key, &canonical_keys())
    ))
}

/// Reads a canonical JSON line.
pub(crate) fn canonical_json(line: &str) -> Result<LogRow<'_>, RowError> {
    match canonical_json_pass(line, false) {
        Err(e) if e.reason == NEEDS_FULL_DECODE => canonical_json_pass(line, true),
        r => r,
    }
}

fn canonical_json_pass(line: &str, full: bool) -> Result<LogRow<'_>, RowError> {
    let mut b = CanonicalBuilder::new(full);
    for_each_member(line, |k, v| b.member(&k, v)).map_err(scan_error)?;
    b.finish()
}

pub(crate) fn scan_error(e: ScanError<RowError>) -> RowError {
    match e {
        ScanError::Syntax(s) => field(
            RejectKind::Syntax,
            format!("invalid JSON at column {}: {}", s.column, s.message),
        ),
        ScanError::Field(f) => f,
    }
}

/// A CSV cell as a member value: named string columns stay strings; other cells are
/// numbers when they look like one, JSON when they hold an object or array.
pub(crate) fn csv_val<'a>(key: &str, cell: Cow<'a, str>, strings: &[&str]) -> Val<'a> {
    if strings.contains(&key) {
        return Val::Str(cell);
    }
    if is_number(&cell) {
        return match cell {
            Cow::Borrowed(s) => Val::Num(s),
            // Only quoted cells with doubled quotes are owned, and those are not numbers.
            Cow::Owned(s) => Val::Str(Cow::Owned(s)),
        };
    }
    let t = cell.trim_start();
    if t.starts_with('{') || t.starts_with('[') || matches!(t, "true" | "false" | "null") {
        if let Cow::Borrowed(s) = cell {
            return Val::Raw(s);
        }
    }
    Val::Str(cell)
}

/// Columns of a canonical CSV that always hold strings.
pub(crate) const CANONICAL_STRING_COLUMNS: [&str; 8] = [
    "model",
    "request_id",
    "user",
    "currency",
    "at",
    "region",
    "service_tier",
    "resolution",
];

/// Reads a canonical CSV row, given the header.
pub(crate) fn canonical_csv<'a>(
    header: &[String],
    cells: &[Cow<'a, str>],
) -> Result<LogRow<'a>, RowError> {
    match canonical_csv_pass(header, cells, false) {
        Err(e) if e.reason == NEEDS_FULL_DECODE => canonical_csv_pass(header, cells, true),
        r => r,
    }
}

fn canonical_csv_pass<'a>(
    header: &[String],
    cells: &[Cow<'a, str>],
    full: bool,
) -> Result<LogRow<'a>, RowError> {
    let mut b = CanonicalBuilder::new(full);
    for (k, c) in header.iter().zip(cells) {
        if c.is_empty() {
            continue;
        }
        b.member(k, csv_val(k, c.clone(), &CANONICAL_STRING_COLUMNS))?;
    }
    b.finish()
}

// ---------------------------------------------------------------------------------------
// new-api

/// The billing details new-api writes to a consume log's `other` column (the members
/// reconciliation reads; every other member is ignored).
#[derive(Debug, Default, Deserialize)]
struct Other {
    model_ratio: Option<serde_json::Number>,
    group_ratio: Option<serde_json::Number>,
    completion_ratio: Option<serde_json::Number>,
    model_price: Option<serde_json::Number>,
    cache_tokens: Option<i64>,
    cache_creation_tokens: Option<i64>,
    cache_creation_tokens_5m: Option<i64>,
    cache_creation_tokens_1h: Option<i64>,
    web_search_call_count: Option<i64>,
    image: Option<bool>,
    image_output: Option<i64>,
    audio_input_seperate_price: Option<bool>,
    audio_input_token_count: Option<i64>,
    claude: Option<bool>,
    usage_semantic: Option<String>,
    // What the relay applied, for the check against its own rules (`relay`).
    cache_ratio: Option<serde_json::Number>,
    cache_creation_ratio: Option<serde_json::Number>,
    cache_creation_ratio_5m: Option<serde_json::Number>,
    cache_creation_ratio_1h: Option<serde_json::Number>,
    user_group_ratio: Option<serde_json::Number>,
    image_ratio: Option<serde_json::Number>,
    audio_ratio: Option<serde_json::Number>,
    audio_completion_ratio: Option<serde_json::Number>,
    audio_input_price: Option<serde_json::Number>,
    audio: Option<bool>,
    ws: Option<bool>,
    text_input: Option<i64>,
    text_output: Option<i64>,
    audio_input: Option<i64>,
    audio_output: Option<i64>,
    billing_mode: Option<String>,
    tool_surcharges: Option<Vec<ToolSurcharge>>,
    admin_info: Option<AdminInfo>,
}

/// One tool-call surcharge line of `other.tool_surcharges`.
#[derive(Debug, Deserialize)]
struct ToolSurcharge {
    count: i64,
    price: serde_json::Number,
}

/// The member of `other.admin_info` that bears on the price.
#[derive(Debug, Default, Deserialize)]
struct AdminInfo {
    billing_model: Option<String>,
}

/// What a new-api record says, before it becomes a row.
#[derive(Default)]
pub(crate) struct NewApiBuilder<'a> {
    id: Option<Cow<'a, str>>,
    created_at: Option<i64>,
    kind: Option<i64>,
    model: Option<Cow<'a, str>>,
    user: Option<Cow<'a, str>>,
    user_id: Option<Cow<'a, str>>,
    group: Option<Cow<'a, str>>,
    channel: Option<Cow<'a, str>>,
    quota: Option<i64>,
    prompt: Option<i64>,
    completion: Option<i64>,
    other: Option<Val<'a>>,
}

/// new-api log types (model/log.go).
fn log_type_name(t: i64) -> &'static str {
    match t {
        1 => "top-up",
        2 => "consume",
        3 => "manage",
        4 => "system",
        5 => "error",
        6 => "refund",
        _ => "unknown",
    }
}

fn int(key: &str, v: &Val<'_>) -> Result<i64, RowError> {
    let text: &str = match v {
        Val::Num(t) => t,
        Val::Str(s) => s.as_ref(),
        Val::Raw(t) => {
            return Err(bad(format!(
                "field `{key}`: expected an integer, found {t}"
            )))
        }
    };
    text.trim()
        .parse::<i64>()
        .map_err(|_| bad(format!("field `{key}`: `{text}` is not an integer")))
}

fn count_of(key: &str, n: i64) -> Result<u64, RowError> {
    if n < 0 {
        return Err(bad(format!(
            "field `{key}`: {n} is negative; counts are never negative"
        )));
    }
    Ok(n as u64)
}

fn ratio(key: &str, n: &Option<serde_json::Number>) -> Result<Option<Decimal>, RowError> {
    let Some(n) = n else { return Ok(None) };
    let t = n.to_string();
    let d = if t.contains(['e', 'E']) {
        Decimal::from_scientific(&t).ok()
    } else {
        t.parse().ok()
    };
    d.map(Some)
        .ok_or_else(|| bad(format!("other.{key}: `{t}` is not a decimal number")))
}

/// Columns of a new-api CSV export that always hold strings.
pub(crate) const NEW_API_STRING_COLUMNS: [&str; 8] = [
    "model_name",
    "username",
    "token_name",
    "content",
    "group",
    "ip",
    "channel_name",
    "other",
];

/// Columns a new-api export must have for its rows to be re-priced.
pub(crate) const NEW_API_REQUIRED: [&str; 3] = ["created_at", "model_name", "quota"];

impl<'a> NewApiBuilder<'a> {
    pub(crate) fn member(&mut self, key: &str, v: Val<'a>) -> Result<(), RowError> {
        match key {
            "id" => self.id = Some(as_text(key, v)?),
            "created_at" => self.created_at = Some(int(key, &v)?),
            "type" => self.kind = Some(int(key, &v)?),
            "model_name" => self.model = Some(as_text(key, v)?),
            "username" => self.user = Some(as_text(key, v)?),
            "user_id" => self.user_id = Some(as_text(key, v)?),
            "group" => self.group = Some(as_text(key, v)?),
            // `channel` in new-api's JSON, `channel_id` in its table and CSV.
            "channel" | "channel_id" => self.channel = Some(as_text(key, v)?),
            "quota" => self.quota = Some(int(key, &v)?),
            "prompt_tokens" => self.prompt = Some(int(key, &v)?),
            "completion_tokens" => self.completion = Some(int(key, &v)?),
            "other" => self.other = Some(v),
            // The rest of the log table (content, token id, ip, timings) does
            // not bear on the price.
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<LogRow<'a>, RowError> {
        if let Some(t) = self.kind {
            if t != 2 {
                return Err(field(
                    RejectKind::NotConsume,
                    format!(
                        "log type {t} ({}) is not a consume record",
                        log_type_name(t)
                    ),
                ));
            }
        }
        let secs = self
            .created_at
            .ok_or_else(|| bad("missing field `created_at`".to_string()))?;
        let at = Utc
            .timestamp_opt(secs, 0)
            .single()
            .ok_or_else(|| bad(format!("field `created_at`: {secs} is not a Unix time")))?;
        let model = self
            .model
            .filter(|m| !m.is_empty())
            .ok_or_else(|| bad("missing field `model_name`".to_string()))?;
        let quota = self
            .quota
            .ok_or_else(|| bad("missing field `quota`".to_string()))?;
        if quota < 0 {
            return Err(bad(format!(
                "field `quota`: {quota} is negative (a task re-consume adjustment, not a request)"
            )));
        }
        let prompt = count_of("prompt_tokens", self.prompt.unwrap_or(0))?;
        let completion = count_of("completion_tokens", self.completion.unwrap_or(0))?;
        let other: Other = match &self.other {
            None => {
                return Err(bad(
                    "missing field `other` (the billing details)".to_string()
                ))
            }
            Some(Val::Str(s)) if s.trim().is_empty() => {
                return Err(bad(
                    "field `other` is empty (the billing details)".to_string()
                ))
            }
            Some(Val::Str(s)) => serde_json::from_str(s),
            Some(Val::Raw(s)) => serde_json::from_str(s),
            Some(Val::Num(s)) => serde_json::from_str(s),
        }
        .map_err(|e| {
            bad(format!(
                "field `other`: {}",
                super::json::strip_position(&e.to_string())
            ))
        })?;
        let group_ratio = ratio("group_ratio", &other.group_ratio)?
            .ok_or_else(|| bad("other has no `group_ratio`".to_string()))?;
        if group_ratio.is_sign_negative() {
            return Err(bad(format!("other.group_ratio: {group_ratio} is negative")));
        }
        let model_price = ratio("model_price", &other.model_price)?;
        let logged = logged(&other, prompt, completion, group_ratio, model_price)?;

        let tokens = |key: &str, n: Option<i64>| -> Result<u64, RowError> {
            count_of(&format!("other.{key}"), n.unwrap_or(0))
        };
        let cache = tokens("cache_tokens", other.cache_tokens)?;
        let creation = tokens("cache_creation_tokens", other.cache_creation_tokens)?;
        let c5 = tokens("cache_creation_tokens_5m", other.cache_creation_tokens_5m)?;
        let c1 = tokens("cache_creation_tokens_1h", other.cache_creation_tokens_1h)?;
        let image = match other.image {
            Some(true) => tokens("image_output", other.image_output)?,
            _ => 0,
        };
        let audio = match other.audio_input_seperate_price {
            Some(true) => tokens("audio_input_token_count", other.audio_input_token_count)?,
            _ => 0,
        };
        let searches = tokens("web_search_call_count", other.web_search_call_count)?;

        let mut usage = Usage {
            at: Some(at),
            ..Usage::default()
        };
        let set = |n: u64, what: &str| -> Result<Tokens, RowError> {
            Tokens::new(n).ok_or_else(|| bad(format!("{what}: {n} is too large")))
        };
        if logged.path == Some(QuotaPath::PerCall) {
            // A per-call model (a Midjourney or task row: a price and no model ratio):
            // new-api charges model_price × group ratio whatever the tokens. A price-billed
            // chat model still consumed tokens upstream, which is what the list prices.
            usage.requests = Count::new(1).expect("one");
        } else {
            // Cache writes without a lifetime split are new-api's default (5-minute) writes.
            let writes = creation.max(c5 + c1);
            let w5 = writes - c1;
            let claude = match other.usage_semantic.as_deref() {
                Some(s) => s == "anthropic",
                None => other.claude == Some(true),
            };
            let input = if claude {
                // Anthropic semantics: prompt_tokens already excludes cache reads and writes.
                prompt.checked_sub(image + audio)
            } else {
                prompt.checked_sub(cache + writes + image + audio)
            };
            let input = input.ok_or_else(|| {
                bad(format!(
                    "prompt_tokens {prompt} is less than the cache, image and audio tokens it includes ({})",
                    if claude { image + audio } else { cache + writes + image + audio }
                ))
            })?;
            usage.input_tokens = set(input, "prompt_tokens")?;
            usage.cache_read_tokens = set(cache, "other.cache_tokens")?;
            usage.cache_write_tokens = set(w5, "other.cache_creation_tokens")?;
            usage.cache_write_1h_tokens = set(c1, "other.cache_creation_tokens_1h")?;
            usage.image_input_tokens = set(image, "other.image_output")?;
            usage.audio_input_tokens = set(audio, "other.audio_input_token_count")?;
            usage.output_tokens = set(completion, "completion_tokens")?;
            usage.web_search_calls = Count::new(searches)
                .ok_or_else(|| bad("other.web_search_call_count is too large".to_string()))?;
        }
        Ok(LogRow {
            model,
            at,
            request_id: self.id,
            user: self.user.or(self.user_id),
            group: self.group,
            channel: self.channel,
            charge: Some(Charge {
                amount: Decimal::from(quota),
                unit: ChargeUnit::Quota { group_ratio },
            }),
            usage,
            relay: Some(Box::new(logged)),
        })
    }
}

/// What `other` says the relay applied: the ratios (the price-path `model_price` only
/// when it is positive: new-api logs -1 for a ratio-billed model), the quota path and the
/// usage its formula sees. Counts are checked non-negative, ratios are exact decimals.
fn logged(
    other: &Other,
    prompt: u64,
    completion: u64,
    group_ratio: Decimal,
    model_price: Option<Decimal>,
) -> Result<Logged, RowError> {
    let mut l = Logged::default();
    l.ratios.insert("group_ratio", group_ratio);
    let pairs: [(&'static str, &Option<serde_json::Number>); 9] = [
        ("model_ratio", &other.model_ratio),
        ("completion_ratio", &other.completion_ratio),
        ("cache_ratio", &other.cache_ratio),
        ("cache_creation_ratio", &other.cache_creation_ratio),
        ("cache_creation_ratio_5m", &other.cache_creation_ratio_5m),
        ("cache_creation_ratio_1h", &other.cache_creation_ratio_1h),
        ("image_ratio", &other.image_ratio),
        ("audio_ratio", &other.audio_ratio),
        ("audio_completion_ratio", &other.audio_completion_ratio),
    ];
    for (k, v) in pairs {
        if let Some(d) = ratio(k, v)? {
            l.ratios.insert(k, d);
        }
    }
    let ugr = ratio("user_group_ratio", &other.user_group_ratio)?;
    l.special_group = ugr.is_some_and(|r| r > Decimal::ZERO);
    let has_ratio = l.ratios.contains_key("model_ratio");
    let priced = model_price.filter(|p| *p > Decimal::ZERO);
    if let Some(p) = priced {
        l.ratios.insert("model_price", p);
    }
    l.path = match (priced, has_ratio) {
        (Some(_), false) => Some(QuotaPath::PerCall),
        _ if other.audio == Some(true) || other.ws == Some(true) => Some(QuotaPath::Audio),
        (Some(_), true) | (None, true) => Some(QuotaPath::Text),
        (None, false) => None,
    };
    let n = |key: &str, v: Option<i64>| count_of(&format!("other.{key}"), v.unwrap_or(0));
    let claude = match other.usage_semantic.as_deref() {
        Some(s) => s == "anthropic",
        None => other.claude == Some(true),
    };
    l.usage = NewApiUsage {
        prompt,
        completion,
        cached: n("cache_tokens", other.cache_tokens)?,
        cache_write: n("cache_creation_tokens", other.cache_creation_tokens)?,
        cache_write_5m: n("cache_creation_tokens_5m", other.cache_creation_tokens_5m)?,
        cache_write_1h: n("cache_creation_tokens_1h", other.cache_creation_tokens_1h)?,
        image: match other.image {
            Some(true) => n("image_output", other.image_output)?,
            _ => 0,
        },
        text_in: n("text_input", other.text_input)?,
        text_out: n("text_output", other.text_output)?,
        audio_in: n("audio_input", other.audio_input)?,
        audio_out: n("audio_output", other.audio_output)?,
        semantics: if claude {
            Semantics::Anthropic
        } else {
            Semantics::Openai
        },
    };
    if other.audio_input_seperate_price == Some(true) {
        if let Some(p) = ratio("audio_input_price", &other.audio_input_price)? {
            let t = n("audio_input_token_count", other.audio_input_token_count)?;
            // Priced apart, so out of the text base (calculateTextQuotaSummary).
            l.usage.prompt = prompt.checked_sub(t).ok_or_else(|| {
                bad(format!(
                    "other.audio_input_token_count {t} is more than prompt_tokens {prompt}"
                ))
            })?;
            l.audio_input = Some((p, t));
        }
    }
    for (i, s) in other.tool_surcharges.iter().flatten().enumerate() {
        let count = count_of(&format!("other.tool_surcharges[{i}].count"), s.count)?;
        let price = ratio(
            &format!("tool_surcharges[{i}].price"),
            &Some(s.price.clone()),
        )?
        .expect("a number");
        l.surcharges.push((price, count));
    }
    l.tiered = other.billing_mode.as_deref() == Some("tiered_expr");
    l.billing_model = other
        .admin_info
        .as_ref()
        .and_then(|a| a.billing_model.clone())
        .filter(|m| !m.is_empty());
    Ok(l)
}

/// Reads a new-api log row as JSON (the `logs` table row, `other` as a string or object).
pub(crate) fn new_api_json(line: &str) -> Result<LogRow<'_>, RowError> {
    let mut b = NewApiBuilder::default();
    for_each_member(line, |k, v| b.member(&k, v)).map_err(scan_error)?;
    b.finish()
}

/// Reads a new-api CSV row, given the header.
pub(crate) fn new_api_csv<'a>(
    header: &[String],
    cells: &[Cow<'a, str>],
) -> Result<LogRow<'a>, RowError> {
    let mut b = NewApiBuilder::default();
    for (k, c) in header.iter().zip(cells) {
        if c.is_empty() {
            continue;
        }
        b.member(k, csv_val(k, c.clone(), &NEW_API_STRING_COLUMNS))?;
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_matches_agree_with_the_tables() {
        for (i, k) in ROW_KEYS.iter().enumerate() {
            assert_eq!(row_key(k), Some(i));
        }
        for (i, k) in COUNT_KEYS.iter().enumerate() {
            assert_eq!(count_key(k), Some(i));
        }
        assert_eq!(row_key("input_tokens"), None);
        assert_eq!(count_key("model"), None);
    }

    /// Regression: the reader's own list of buckets lacked `container_sessions`, so a
    /// canonical row carrying it was refused as an unknown member.
    #[test]
    fn every_usage_bucket_is_read_from_a_canonical_row() {
        for (i, k) in tariff_core::COUNT_BUCKETS.iter().enumerate() {
            let line = format!(
                r#"{{"model":"m","at":"2025-11-01T00:00:00Z","{k}":{}}}"#,
                i + 1
            );
            let row = canonical_json(&line).unwrap_or_else(|e| panic!("{k}: {}", e.reason));
            let v: serde_json::Value = serde_json::from_str(&row.usage.to_json()).unwrap();
            assert_eq!(v[*k], i + 1, "{k}");
        }
    }

    #[test]
    fn fast_times_match_the_general_parser() {
        for t in [
            "2025-06-01T12:34:56Z",
            "2024-02-29T00:00:00Z",
            "1999-12-31T23:59:59Z",
        ] {
            assert_eq!(
                parse_time(t),
                Some(DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc))
            );
        }
        assert_eq!(parse_time("2025-02-30T00:00:00Z"), None);
        assert_eq!(parse_time("2025-06-01T12:34:5xZ"), None);
        assert!(parse_time("2025-06-01T12:34:56.5+08:00").is_some());
    }
}
