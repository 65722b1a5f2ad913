//! Anthropic Messages.
//!
//! `input_tokens` already excludes cache reads and writes; `cache_creation` splits writes
//! by lifetime (5 minutes, 1 hour) and must add up to `cache_creation_input_tokens`.
//! Thinking is inside `output_tokens` (Anthropic reports no separate count).

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{count, parse, tokens, Api, ExtractError};
use crate::usage::{ServiceTier, Usage};

const API: Api = Api::Anthropic;

#[derive(Deserialize, Default, Clone, Copy)]
struct CacheCreation {
    #[serde(default)]
    ephemeral_5m_input_tokens: Option<u64>,
    #[serde(default)]
    ephemeral_1h_input_tokens: Option<u64>,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct ServerToolUse {
    #[serde(default)]
    web_search_requests: Option<u64>,
    // `web_fetch_requests` is deliberately not read: web fetch has no fee beyond the
    // tokens it adds, which are already in input_tokens.
}

/// A usage object; in a stream, later (cumulative) objects override earlier fields.
#[derive(Deserialize, Default, Clone)]
pub(super) struct RawUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation: Option<CacheCreation>,
    #[serde(default)]
    server_tool_use: Option<ServerToolUse>,
    #[serde(default)]
    service_tier: Option<String>,
}

impl RawUsage {
    /// Folds a later report over this one: fields it carries replace ours.
    pub(super) fn merge(&mut self, later: RawUsage) {
        macro_rules! take {
            ($($f:ident),*) => { $( if later.$f.is_some() { self.$f = later.$f; } )* };
        }
        take!(
            input_tokens,
            output_tokens,
            cache_creation_input_tokens,
            cache_read_input_tokens,
            cache_creation,
            server_tool_use
        );
        if later.service_tier.is_some() {
            self.service_tier = later.service_tier;
        }
    }
}

/// A message, or a stream event (`message_start` wraps one; `message_delta` has usage).
#[derive(Deserialize, Default)]
pub(super) struct Body {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub usage: Option<RawUsage>,
    #[serde(default)]
    pub message: Option<Box<Body>>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default, rename = "usageMetadata")]
    usage_metadata: Option<IgnoredAny>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

pub(super) fn check_family(b: &Body) -> Result<(), ExtractError> {
    super::check_family(
        API,
        super::Markers {
            object: b.object.as_deref(),
            kind: b.kind.as_deref(),
            gemini: b.usage_metadata.is_some(),
        },
    )
}

pub(super) fn message(body: &[u8]) -> Result<Usage, ExtractError> {
    let b: Body = parse(API, body)?;
    check_family(&b)?;
    match b.usage {
        Some(u) => to_usage(&u),
        None => Err(ExtractError::MissingUsage {
            api: API,
            hint: if b.error.is_some() || b.kind.as_deref() == Some("error") {
                "it is an error body".into()
            } else {
                String::new()
            },
        }),
    }
}

pub(super) fn to_usage(u: &RawUsage) -> Result<Usage, ExtractError> {
    let created = u.cache_creation_input_tokens.unwrap_or(0);
    let (five_min, one_hour) = match u.cache_creation {
        Some(c) => {
            let (m5, h1) = (
                c.ephemeral_5m_input_tokens.unwrap_or(0),
                c.ephemeral_1h_input_tokens.unwrap_or(0),
            );
            if u.cache_creation_input_tokens.is_some()
                && u128::from(m5) + u128::from(h1) != u128::from(created)
            {
                return Err(ExtractError::Inconsistent {
                    api: API,
                    detail: format!(
                        "cache_creation.ephemeral_5m_input_tokens ({m5}) + ephemeral_1h_input_tokens ({h1}) is not cache_creation_input_tokens ({created})"
                    ),
                });
            }
            (m5, h1)
        }
        // The legacy single field: every write had the default 5-minute lifetime.
        None => (created, 0),
    };
    let service_tier = match u.service_tier.as_deref() {
        None => None,
        Some(t) => Some(
            ServiceTier::parse(t).ok_or_else(|| ExtractError::Inconsistent {
                api: API,
                detail: format!("unknown service_tier `{t}`"),
            })?,
        ),
    };
    Ok(Usage {
        input_tokens: tokens(API, "input_tokens", u.input_tokens.unwrap_or(0))?,
        cache_read_tokens: tokens(
            API,
            "cache_read_input_tokens",
            u.cache_read_input_tokens.unwrap_or(0),
        )?,
        cache_write_tokens: tokens(API, "ephemeral_5m_input_tokens", five_min)?,
        cache_write_1h_tokens: tokens(API, "ephemeral_1h_input_tokens", one_hour)?,
        output_tokens: tokens(API, "output_tokens", u.output_tokens.unwrap_or(0))?,
        web_search_calls: count(
            API,
            "server_tool_use.web_search_requests",
            u.server_tool_use
                .and_then(|s| s.web_search_requests)
                .unwrap_or(0),
        )?,
        service_tier,
        ..Usage::default()
    })
}
