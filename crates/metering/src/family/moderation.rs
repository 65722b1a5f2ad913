//! OpenAI moderations (`/v1/moderations`): free, but metered as one request per call so
//! that a relay's log and its bills count them.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::media::error_body;
use super::{parse, tokens, Api, ExtractError, Markers};
use crate::usage::{Count, Usage};

const API: Api = Api::OpenAiModerations;

#[derive(Deserialize)]
struct RawUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    results: Option<Vec<IgnoredAny>>,
    /// Relays may add the input tokens they counted.
    #[serde(default)]
    usage: Option<RawUsage>,
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

/// A moderation answer: one request (plus input tokens when a relay reports them).
pub(super) fn moderation(body: &[u8]) -> Result<Usage, ExtractError> {
    let b: Body = parse(API, body)?;
    super::check_family(
        API,
        Markers {
            object: b.object.as_deref(),
            kind: b.kind.as_deref(),
            gemini: false,
        },
    )?;
    if b.error.is_some() {
        return Err(error_body(API, ""));
    }
    match &b.results {
        Some(r) if !r.is_empty() => {}
        _ => {
            return Err(ExtractError::MissingUsage {
                api: API,
                hint: "no moderation results".into(),
            })
        }
    }
    let input = b
        .usage
        .as_ref()
        .and_then(|u| u.prompt_tokens.or(u.total_tokens))
        .unwrap_or(0);
    Ok(Usage {
        requests: Count::new(1).expect("1 is a count"),
        input_tokens: tokens(API, "usage.prompt_tokens", input)?,
        ..Usage::default()
    })
}
