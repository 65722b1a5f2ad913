//! Units of metering: what a rate prices and a bill line counts.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

/// One unit of metering. Each usage bucket is exactly one unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Unit {
    /// Text input not served from cache.
    InputTokens,
    /// Input served from cache.
    CacheReadTokens,
    /// Input written to cache, default (5-minute) lifetime.
    CacheWriteTokens,
    /// Input written to cache, 1-hour lifetime.
    CacheWrite1hTokens,
    /// Text output, reasoning excluded.
    OutputTokens,
    /// Reasoning / thinking output.
    ReasoningTokens,
    /// Audio input not served from cache.
    AudioInputTokens,
    /// Audio input served from cache.
    AudioCacheReadTokens,
    /// Audio output.
    AudioOutputTokens,
    /// Image input tokens.
    ImageInputTokens,
    /// Image output tokens.
    ImageOutputTokens,
    /// Characters of input.
    Characters,
    /// Whole requests, calls or tasks.
    Requests,
    /// Web-search tool calls.
    WebSearchCalls,
    /// File-search tool calls.
    FileSearchCalls,
    /// Search units.
    Searches,
    /// Seconds of audio.
    AudioSeconds,
    /// Images, priced by variant (size, quality).
    Images,
    /// Seconds of video, priced by variant (resolution).
    VideoSeconds,
    /// Code-interpreter (hosted container) sessions.
    ContainerSessions,
}

impl Unit {
    /// Number of units.
    pub const COUNT: usize = 20;

    /// Every unit, in the order bills list them.
    pub const ALL: [Unit; Self::COUNT] = [
        Unit::InputTokens,
        Unit::CacheReadTokens,
        Unit::CacheWriteTokens,
        Unit::CacheWrite1hTokens,
        Unit::OutputTokens,
        Unit::ReasoningTokens,
        Unit::AudioInputTokens,
        Unit::AudioCacheReadTokens,
        Unit::AudioOutputTokens,
        Unit::ImageInputTokens,
        Unit::ImageOutputTokens,
        Unit::Characters,
        Unit::Requests,
        Unit::WebSearchCalls,
        Unit::FileSearchCalls,
        Unit::Searches,
        Unit::AudioSeconds,
        Unit::Images,
        Unit::VideoSeconds,
        Unit::ContainerSessions,
    ];

    /// The units that count tokens.
    pub const TOKEN_UNITS: [Unit; 11] = [
        Unit::InputTokens,
        Unit::CacheReadTokens,
        Unit::CacheWriteTokens,
        Unit::CacheWrite1hTokens,
        Unit::OutputTokens,
        Unit::ReasoningTokens,
        Unit::AudioInputTokens,
        Unit::AudioCacheReadTokens,
        Unit::AudioOutputTokens,
        Unit::ImageInputTokens,
        Unit::ImageOutputTokens,
    ];

    /// The unit's name, as in usage JSON and price tables.
    pub const fn name(self) -> &'static str {
        match self {
            Unit::InputTokens => "input_tokens",
            Unit::CacheReadTokens => "cache_read_tokens",
            Unit::CacheWriteTokens => "cache_write_tokens",
            Unit::CacheWrite1hTokens => "cache_write_1h_tokens",
            Unit::OutputTokens => "output_tokens",
            Unit::ReasoningTokens => "reasoning_tokens",
            Unit::AudioInputTokens => "audio_input_tokens",
            Unit::AudioCacheReadTokens => "audio_cache_read_tokens",
            Unit::AudioOutputTokens => "audio_output_tokens",
            Unit::ImageInputTokens => "image_input_tokens",
            Unit::ImageOutputTokens => "image_output_tokens",
            Unit::Characters => "characters",
            Unit::Requests => "requests",
            Unit::WebSearchCalls => "web_search_calls",
            Unit::FileSearchCalls => "file_search_calls",
            Unit::Searches => "searches",
            Unit::AudioSeconds => "audio_seconds",
            Unit::Images => "images",
            Unit::VideoSeconds => "video_seconds",
            Unit::ContainerSessions => "container_sessions",
        }
    }

    /// Parses a unit name.
    pub fn parse(name: &str) -> Option<Unit> {
        Self::ALL.into_iter().find(|u| u.name() == name)
    }

    /// Whether the unit counts tokens.
    pub const fn is_tokens(self) -> bool {
        (self as u8) <= (Unit::ImageOutputTokens as u8)
    }

    /// Whether the unit is priced by variant (a list of size / quality / resolution prices).
    pub const fn has_variants(self) -> bool {
        matches!(self, Unit::Images | Unit::VideoSeconds)
    }

    /// The quantity one price is quoted for when a table names none: tokens and characters
    /// per million, tool calls and searches per thousand, everything else per one.
    pub fn default_per(self) -> Decimal {
        match self {
            u if u.is_tokens() => Decimal::from(1_000_000),
            Unit::Characters => Decimal::from(1_000_000),
            Unit::WebSearchCalls | Unit::FileSearchCalls | Unit::Searches => Decimal::from(1_000),
            _ => Decimal::ONE,
        }
    }

    /// Index of the unit in [`Unit::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_indexes_match() {
        for (i, u) in Unit::ALL.into_iter().enumerate() {
            assert_eq!(Unit::parse(u.name()), Some(u));
            assert_eq!(u.index(), i);
        }
        assert_eq!(Unit::parse("input_tokenz"), None);
        assert!(Unit::TOKEN_UNITS.iter().all(|u| u.is_tokens()));
        assert!(!Unit::Characters.is_tokens());
    }
}
