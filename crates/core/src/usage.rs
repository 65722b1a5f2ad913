//! The canonical usage record: what one request consumed, in buckets that never overlap,
//! plus the context (time, service tier, region, request options) that selects a price.
//!
//! Every extractor turns its vendor's way of reporting usage into this one shape. The
//! buckets are *exclusive*: `input_tokens` is text input that was not served from cache,
//! `output_tokens` is text output without reasoning, and so on, so a bill can price each
//! bucket once and never count a token twice.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::UsageError;
use crate::unit::Unit;

/// The largest count accepted anywhere in a usage record: 2^53 − 1, the largest integer a
/// JavaScript number (and so a browser or a JSON log consumer) holds exactly.
pub const MAX_COUNT: u64 = (1 << 53) - 1;

/// The whole-count buckets of a usage record (tokens, characters, requests, calls), by the
/// names their fields carry in [`Usage`] and in its JSON, in the order of the fields. The one
/// list of them: readers of logs and tables (reconciliation, Arrow columns) take it from here,
/// so a bucket added to [`Usage`] is added to all of them.
pub const COUNT_BUCKETS: [&str; 17] = [
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
    "audio_input_tokens",
    "audio_cache_read_tokens",
    "audio_output_tokens",
    "image_input_tokens",
    "image_output_tokens",
    "characters",
    "requests",
    "web_search_calls",
    "file_search_calls",
    "searches",
    "container_sessions",
];

macro_rules! count_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);

            /// A count, or `None` above [`MAX_COUNT`].
            pub const fn new(n: u64) -> Option<Self> {
                if n <= MAX_COUNT {
                    Some(Self(n))
                } else {
                    None
                }
            }

            /// The count as a plain integer.
            pub const fn get(self) -> u64 {
                self.0
            }

            /// Whether the count is zero.
            pub const fn is_zero(&self) -> bool {
                self.0 == 0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let n = deserialize_count(d)?;
                Ok(Self(n))
            }
        }
    };
}

count_newtype!(
    /// A number of tokens (non-negative, at most [`MAX_COUNT`]).
    Tokens
);
count_newtype!(
    /// A number of discrete things: characters, requests, tool calls, searches, images.
    Count
);

/// Reads a JSON number of any kind, so that -5, 1.5 and 1e30 get a message of our own rather
/// than serde's "invalid type", and checks it while the parser is at it, so that an error is
/// reported at the number (and the path to it found, see `json_path`).
fn number<'de, D: Deserializer<'de>, T>(
    d: D,
    check: fn(serde_json::Number) -> Result<T, String>,
) -> Result<T, D::Error> {
    use serde::de::{Error, Visitor};
    struct Checked<T>(fn(serde_json::Number) -> Result<T, String>);
    impl<T> Visitor<'_> for Checked<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON number")
        }
        fn visit_u64<E: Error>(self, n: u64) -> Result<T, E> {
            (self.0)(n.into()).map_err(E::custom)
        }
        fn visit_i64<E: Error>(self, n: i64) -> Result<T, E> {
            (self.0)(n.into()).map_err(E::custom)
        }
        fn visit_f64<E: Error>(self, n: f64) -> Result<T, E> {
            let v = serde_json::Number::from_f64(n)
                .ok_or_else(|| E::custom(format!("{n} is not a number")))?;
            (self.0)(v).map_err(E::custom)
        }
    }
    d.deserialize_any(Checked(check))
}

fn deserialize_count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    number(d, |v| {
        if let Some(n) = v.as_u64() {
            if n <= MAX_COUNT {
                return Ok(n);
            }
            return Err(format!(
                "{n} is too large (the maximum count is {MAX_COUNT})"
            ));
        }
        if v.as_i64().is_some() {
            return Err(format!("{v} is negative; counts are never negative"));
        }
        Err(format!("{v} is not a whole number"))
    })
}

/// A non-negative quantity of seconds (may be fractional, e.g. 12.5 s of audio).
///
/// In JSON it is written as a decimal string (`"5.0416666666666666666666666667"`), which
/// keeps every digit: a JSON number is read through a binary float by most parsers, and
/// 122 frames at 24 fps or a vendor's `"8.123456789012345678"` would not read back as the
/// same quantity. It is read from a string or a number; a number is taken as the shortest
/// text of the float the JSON parser read, exact for up to 15 significant digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seconds(Decimal);

impl Serialize for Seconds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Normalized, so that the text is the quantity's and not its arithmetic's scale.
        s.collect_str(&self.0.normalize())
    }
}

impl Seconds {
    /// Zero seconds.
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// Seconds from a decimal, or `None` when negative or above [`MAX_COUNT`].
    pub fn new(s: Decimal) -> Option<Self> {
        (s >= Decimal::ZERO && s <= Decimal::from(MAX_COUNT)).then_some(Self(s))
    }

    /// The number of seconds.
    pub const fn get(self) -> Decimal {
        self.0
    }

    /// Whether this is zero seconds.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{Error, Visitor};
        struct S;
        impl Visitor<'_> for S {
            type Value = Seconds;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of seconds (a decimal string or a JSON number)")
            }
            fn visit_u64<E: Error>(self, n: u64) -> Result<Seconds, E> {
                seconds(&n.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: Error>(self, n: i64) -> Result<Seconds, E> {
                seconds(&n.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: Error>(self, n: f64) -> Result<Seconds, E> {
                let v = serde_json::Number::from_f64(n)
                    .ok_or_else(|| E::custom(format!("{n} is not a number")))?;
                // The shortest text that reads back as the parser's float: the text written
                // for any number of up to 15 significant digits.
                seconds(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<Seconds, E> {
                seconds(s).map_err(E::custom)
            }
        }
        d.deserialize_any(S)
    }
}

/// Reads seconds from decimal text exactly: text with more digits than a decimal holds is
/// refused rather than rounded.
fn seconds(text: &str) -> Result<Seconds, String> {
    let dec = crate::money::parse_exact(text)
        .map_err(|e| format!("`{text}` is not a valid number of seconds: {e}"))?;
    Seconds::new(dec)
        .ok_or_else(|| format!("{text} is out of range (seconds are 0 to {MAX_COUNT})"))
}

/// The service tier a request ran under. Batch, flex and priority are priced apart.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ServiceTier {
    /// The default, synchronous tier.
    #[default]
    Standard,
    /// Asynchronous batch processing.
    Batch,
    /// Slower, cheaper processing (OpenAI `flex`).
    Flex,
    /// Faster, dearer processing (OpenAI `priority`).
    Priority,
}

impl ServiceTier {
    /// Every tier, in a stable order.
    pub const ALL: [ServiceTier; 4] = [Self::Standard, Self::Batch, Self::Flex, Self::Priority];

    /// The tier's name as written in JSON and TOML.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Batch => "batch",
            Self::Flex => "flex",
            Self::Priority => "priority",
        }
    }

    /// Parses a tier name (`standard`, `batch`, `flex`, `priority`; `default` and `auto`
    /// mean standard, as vendors report them).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "standard" | "default" | "auto" => Some(Self::Standard),
            "batch" => Some(Self::Batch),
            "flex" => Some(Self::Flex),
            // OpenAI renamed priority processing "fast" in 2026 and reports either name.
            "priority" | "fast" => Some(Self::Priority),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Images of one kind: how many, at which size and quality.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageCount {
    /// How many images.
    pub count: Count,
    /// Size as the vendor names it, e.g. `1024x1024`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Quality as the vendor names it, e.g. `standard`, `hd`, `low`, `high`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
}

/// What one request consumed, in exclusive buckets, and the context that selects its price.
///
/// All fields are optional in JSON and default to zero / absent. Unknown fields are an
/// error, so a misspelt bucket is never silently free.
///
/// ```
/// use tariff_core::Usage;
/// let u = Usage::from_json(r#"{"input_tokens": 1200, "cache_read_tokens": 800, "output_tokens": 300}"#)?;
/// assert_eq!(u.input_tokens.get(), 1200);
/// assert!(Usage::from_json(r#"{"input_tokenz": 1}"#).is_err());
/// # Ok::<(), tariff_core::UsageError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// Text input not served from cache.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub input_tokens: Tokens,
    /// Input served from cache (cache hits).
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub cache_read_tokens: Tokens,
    /// Input written to cache with the default (5-minute) lifetime.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub cache_write_tokens: Tokens,
    /// Input written to cache with a 1-hour lifetime.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub cache_write_1h_tokens: Tokens,
    /// Text output, reasoning excluded.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub output_tokens: Tokens,
    /// Reasoning / thinking output.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub reasoning_tokens: Tokens,
    /// Audio input not served from cache.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub audio_input_tokens: Tokens,
    /// Audio input served from cache.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub audio_cache_read_tokens: Tokens,
    /// Audio output.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub audio_output_tokens: Tokens,
    /// Image input tokens.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub image_input_tokens: Tokens,
    /// Image output tokens.
    #[serde(default, skip_serializing_if = "Tokens::is_zero")]
    pub image_output_tokens: Tokens,
    /// Images produced, by size and quality.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageCount>,
    /// Seconds of video produced.
    #[serde(default, skip_serializing_if = "Seconds::is_zero")]
    pub video_seconds: Seconds,
    /// The resolution of the video produced, e.g. `720p`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Seconds of audio (transcription input, generated speech).
    #[serde(default, skip_serializing_if = "Seconds::is_zero")]
    pub audio_seconds: Seconds,
    /// Characters of input (text-to-speech).
    #[serde(default, skip_serializing_if = "Count::is_zero")]
    pub characters: Count,
    /// Whole requests, calls or tasks.
    #[serde(default, skip_serializing_if = "Count::is_zero")]
    pub requests: Count,
    /// Web-search tool calls.
    #[serde(default, skip_serializing_if = "Count::is_zero")]
    pub web_search_calls: Count,
    /// File-search tool calls.
    #[serde(default, skip_serializing_if = "Count::is_zero")]
    pub file_search_calls: Count,
    /// Search units (rerank searches, grounded prompts).
    #[serde(default, skip_serializing_if = "Count::is_zero")]
    pub searches: Count,
    /// Code-interpreter container sessions opened (OpenAI bills each container session).
    #[serde(default, skip_serializing_if = "Count::is_zero")]
    pub container_sessions: Count,
    /// Optional check: the total of all token buckets as the vendor reported it. When
    /// given, the buckets must add up to it exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<Tokens>,

    /// When the request ran (RFC 3339). Selects the price in force; absent means now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// The service tier; absent means standard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// The region or data residency, for models priced by region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Request options that select a price, e.g. `{"thinking": "true"}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// Set when some bucket was estimated rather than reported by the upstream.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

impl Usage {
    /// Parses a canonical usage record from JSON and checks it is consistent.
    ///
    /// Errors name the field (as a JSON path) and the position in the text.
    pub fn from_json(text: &str) -> Result<Usage, UsageError> {
        let usage: Usage = crate::strict::from_str(text).map_err(|inner| {
            #[cfg(any(test, feature = "path-check"))]
            crate::json_path::check::<Usage>(text.as_bytes(), &inner);
            let path = crate::json_path::at(text.as_bytes(), &inner);
            UsageError::Json {
                path: if path == "." { String::new() } else { path },
                line: inner.line(),
                column: inner.column(),
                message: crate::json_path::strip_position(&inner.to_string()),
            }
        })?;
        usage.validate()?;
        Ok(usage)
    }

    /// Checks what serde cannot: that the buckets add up to `total_tokens` when it is given.
    pub fn validate(&self) -> Result<(), UsageError> {
        let Some(total) = self.total_tokens else {
            return Ok(());
        };
        let mut sum: u64 = 0;
        for unit in Unit::TOKEN_UNITS {
            let n = self.tokens(unit);
            if n > total.get() {
                return Err(UsageError::Inconsistent {
                    field: unit.name().to_string(),
                    detail: format!("{} is {n}, more than total_tokens {total}", unit.name()),
                });
            }
            sum += n;
        }
        if sum != total.get() {
            return Err(UsageError::Inconsistent {
                field: "total_tokens".to_string(),
                detail: format!("the token buckets add up to {sum}, but total_tokens is {total}"),
            });
        }
        Ok(())
    }

    /// The count in a token bucket (zero for units that are not token buckets).
    pub fn tokens(&self, unit: Unit) -> u64 {
        match unit {
            Unit::InputTokens => self.input_tokens.get(),
            Unit::CacheReadTokens => self.cache_read_tokens.get(),
            Unit::CacheWriteTokens => self.cache_write_tokens.get(),
            Unit::CacheWrite1hTokens => self.cache_write_1h_tokens.get(),
            Unit::OutputTokens => self.output_tokens.get(),
            Unit::ReasoningTokens => self.reasoning_tokens.get(),
            Unit::AudioInputTokens => self.audio_input_tokens.get(),
            Unit::AudioCacheReadTokens => self.audio_cache_read_tokens.get(),
            Unit::AudioOutputTokens => self.audio_output_tokens.get(),
            Unit::ImageInputTokens => self.image_input_tokens.get(),
            Unit::ImageOutputTokens => self.image_output_tokens.get(),
            _ => 0,
        }
    }

    /// The quantity of a scalar unit (every unit but `images`, which is itemized by variant).
    pub fn quantity(&self, unit: Unit) -> Decimal {
        match unit {
            Unit::Characters => self.characters.get().into(),
            Unit::Requests => self.requests.get().into(),
            Unit::WebSearchCalls => self.web_search_calls.get().into(),
            Unit::FileSearchCalls => self.file_search_calls.get().into(),
            Unit::Searches => self.searches.get().into(),
            Unit::ContainerSessions => self.container_sessions.get().into(),
            Unit::AudioSeconds => self.audio_seconds.get(),
            Unit::VideoSeconds => self.video_seconds.get(),
            Unit::Images => self
                .images
                .iter()
                .map(|i| Decimal::from(i.count.get()))
                .sum(),
            token => self.tokens(token).into(),
        }
    }

    /// The quantity of a unit counted in whole numbers (tokens, characters, requests, calls,
    /// searches, sessions); `None` for seconds and images. The engine's common line.
    #[inline]
    pub(crate) fn whole(&self, unit: Unit) -> Option<u64> {
        Some(match unit {
            Unit::Characters => self.characters.get(),
            Unit::Requests => self.requests.get(),
            Unit::WebSearchCalls => self.web_search_calls.get(),
            Unit::FileSearchCalls => self.file_search_calls.get(),
            Unit::Searches => self.searches.get(),
            Unit::ContainerSessions => self.container_sessions.get(),
            Unit::AudioSeconds | Unit::VideoSeconds | Unit::Images => return None,
            token => self.tokens(token),
        })
    }

    /// The units this record uses, as bits by [`Unit::index`]: a bit is set when
    /// [`quantity`](Usage::quantity) is not zero (for images, when some image kind has a
    /// count). Read in one pass over the fields, so that the engine visits only those units,
    /// in the order of [`Unit::ALL`], instead of asking each of the twenty.
    pub(crate) fn used(&self) -> u32 {
        let bits = |counts: &[u64]| {
            counts
                .iter()
                .enumerate()
                .fold(0, |bits, (i, n)| bits | (u32::from(*n != 0) << i))
        };
        // The text buckets, by `Unit::index` 0 to 5.
        let text = bits(&[
            self.input_tokens.get(),
            self.cache_read_tokens.get(),
            self.cache_write_tokens.get(),
            self.cache_write_1h_tokens.get(),
            self.output_tokens.get(),
            self.reasoning_tokens.get(),
        ]);
        // The rest (6 to 19), which most records leave at zero: looked at one by one only
        // when one is not.
        let rest = [
            self.audio_input_tokens.get(),
            self.audio_cache_read_tokens.get(),
            self.audio_output_tokens.get(),
            self.image_input_tokens.get(),
            self.image_output_tokens.get(),
            self.characters.get(),
            self.requests.get(),
            self.web_search_calls.get(),
            self.file_search_calls.get(),
            self.searches.get(),
            u64::from(!self.audio_seconds.is_zero()),
            u64::from(self.images.iter().any(|i| !i.count.is_zero())),
            u64::from(!self.video_seconds.is_zero()),
            self.container_sessions.get(),
        ];
        if rest.iter().all(|n| *n == 0) {
            return text;
        }
        text | (bits(&rest) << 6)
    }

    /// The service tier, defaulting to standard.
    pub fn tier(&self) -> ServiceTier {
        self.service_tier.unwrap_or_default()
    }

    /// The record as compact JSON (zero buckets omitted).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a usage record always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `used` has a unit's bit exactly when the unit's quantity is not zero, for a record
    /// with each unit alone and for one with all of them.
    #[test]
    fn used_is_the_units_with_a_quantity() {
        // A record with one unit alone, written as its JSON bucket.
        let one = |unit: Unit| {
            let value = match unit {
                Unit::Images => r#"[{"count": 0}, {"count": 3}]"#,
                Unit::AudioSeconds | Unit::VideoSeconds => r#""2.5""#,
                _ => "3",
            };
            Usage::from_json(&format!(r#"{{"{}": {value}}}"#, unit.name())).unwrap()
        };
        let mut all = 0;
        for unit in Unit::ALL {
            let u = one(unit);
            assert_eq!(u.used(), 1 << unit.index(), "{unit}");
            assert!(!u.quantity(unit).is_zero(), "{unit}");
            // A whole quantity is the quantity, for every unit but seconds and images.
            match unit {
                Unit::AudioSeconds | Unit::VideoSeconds | Unit::Images => {
                    assert_eq!(u.whole(unit), None, "{unit}")
                }
                _ => assert_eq!(u.whole(unit).map(Decimal::from), Some(u.quantity(unit))),
            }
            all |= u.used();
        }
        assert_eq!(all, (1 << Unit::COUNT) - 1);
        assert_eq!(Usage::default().used(), 0);
        // Images of no count are not a use.
        let u = Usage {
            images: vec![ImageCount::default()],
            ..Default::default()
        };
        assert_eq!(u.used(), 0);
    }
}
