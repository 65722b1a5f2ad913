//! The API families: one module per vendor family, each reading both sides of it — its
//! answers (response bodies, stream events) into usage, and, where a request alone fixes or
//! bounds the bill, its requests — and the registry that maps an [`Api`] to them.
//!
//! [`extract`](crate::extract) and [`estimate`](crate::estimate) are the public entry
//! points; both look a family up here. This module imports neither of them.

mod anthropic;
mod audio;
pub(crate) mod bound;
mod dashscope;
pub(crate) mod data;
pub(crate) mod dims;
mod embed;
mod form;
mod gemini;
mod images;
mod media;
mod midjourney;
mod moderation;
mod music;
mod openai;
#[cfg(test)]
mod paths;
mod qwen_image;
mod registry;
mod request;
mod rerank;
mod sniff;
mod sse;
mod text;
mod video;
pub mod vision;

use serde::de::DeserializeOwned;

pub(crate) use registry::Shape;

pub use openai::{CACHE_OPTION, RESERVED_CAPACITY};
pub use request::{CONTAINER_MEMORY, SEARCH_CONTEXT_SIZE, WEB_SEARCH_TOOL};
pub use sniff::{detect, Detected, Form};
pub use sse::StreamMeter;

/// Request readers shared with the request estimates.
pub(crate) use embed::request_usage as gemini_embedding_request;
pub(crate) use rerank::{documents as rerank_documents, searches_for as rerank_searches};
pub(crate) use {audio::billed as billed_audio_seconds, form::file as form_file};

pub(crate) use crate::request::{Api, ExtractError};
use crate::usage::{Count, Tokens, Usage};

/// What a body shows of its family: OpenAI's `object`, Anthropic's `type`, and whether it
/// has Gemini's `usageMetadata` / `candidates`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Markers<'a> {
    pub object: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub gemini: bool,
}

/// Refuses a body whose markers name another family than `expected`.
pub(crate) fn check_family(expected: Api, m: Markers) -> Result<(), ExtractError> {
    let found = if m.gemini {
        Api::Gemini
    } else if m.kind == Some("message") {
        Api::Anthropic
    } else if m.object == Some("response") {
        Api::OpenAiResponses
    } else if m.object == Some("list") {
        Api::OpenAiEmbeddings
    } else if m
        .object
        .is_some_and(|o| o.starts_with("chat.completion") || o == "text_completion")
    {
        Api::OpenAiChat
    } else {
        return Ok(());
    };
    if found == expected {
        return Ok(());
    }
    let found = match found {
        Api::Gemini => "a Gemini generateContent body",
        Api::Anthropic => "an Anthropic Messages body",
        Api::OpenAiResponses => "an OpenAI Responses body (use --api openai-responses)",
        Api::OpenAiChat => "an OpenAI chat completion (use --api openai-chat)",
        Api::OpenAiEmbeddings => "an OpenAI embeddings list (use --api openai-embeddings)",
        Api::DashScope => "a DashScope native body (use --api dashscope)",
        other => return Err(images::wrong_family(expected, other)),
    };
    Err(ExtractError::WrongFamily {
        expected,
        found: found.to_string(),
    })
}

/// The option a usage carries when its answer shows that the model thought (reasoning
/// tokens reported): tables that price a thinking mode apart (Qwen's thinking output,
/// Gemini 2.5 Flash Preview) select it without the caller having to say so.
pub const THINKING_OPTION: (&str, &str) = ("thinking", "true");

/// Marks `usage` as a thinking-mode answer when it reports reasoning tokens.
pub(crate) fn mark_thinking(usage: &mut Usage) {
    if !usage.reasoning_tokens.is_zero() {
        usage
            .options
            .insert(THINKING_OPTION.0.to_string(), THINKING_OPTION.1.to_string());
    }
}

/// Meters one complete response body (after the family check); see
/// [`extract`](crate::extract::extract).
pub(crate) fn meter(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    sniff::check_event(api, body)?;
    extract_checked(api, body)
}

fn extract_checked(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    (registry::of(api).meter)(body, None, data::Facts::DATA)
}

/// Meters a body that may be a saved SSE stream or a plain JSON body; see
/// [`extract_any`](crate::extract::extract_any).
pub(crate) fn meter_any(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    sniff::check_event(api, body)?;
    any_checked(api, body)
}

/// [`meter_any`] for a body whose family was checked.
fn any_checked(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    if registry::of(api).shape == Shape::Media {
        return extract_checked(api, body);
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        extract_checked(api, body)
    } else {
        let mut meter = StreamMeter::new(api);
        meter.feed(body)?;
        meter.finish()
    }
}

/// Meters a response with the request that produced it; see
/// [`extract_with_request`](crate::extract::extract_with_request).
pub(crate) fn meter_with_request(
    api: Api,
    body: &[u8],
    request: Option<&[u8]>,
) -> Result<Usage, ExtractError> {
    meter_with_request_in(data::Facts::DATA, api, body, request)
}

/// [`meter_with_request`] with the models the answer and request name resolved in `facts`
/// (see [`extract_with_request_in`](crate::extract::extract_with_request_in)).
pub(crate) fn meter_with_request_in(
    facts: data::Facts,
    api: Api,
    body: &[u8],
    request: Option<&[u8]>,
) -> Result<Usage, ExtractError> {
    sniff::check_event(api, body)?;
    let f = registry::of(api);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let mut usage = match f.shape {
        Shape::Media | Shape::Video => return (f.meter)(body, request, facts),
        Shape::Image if first == Some(&b'{') => (f.meter)(body, request, facts)?,
        _ => any_checked(api, body)?,
    };
    if let Some(r) = request {
        apply_request(facts, api, r, &mut usage)?;
    }
    Ok(usage)
}

/// Adds to a metered chat or Responses usage the settings its request holds that select a
/// tool fee (and, for a search model the request names, its search); other families read
/// their request while metering, so this leaves them alone.
pub(crate) fn apply_request(
    facts: data::Facts,
    api: Api,
    request: &[u8],
    usage: &mut Usage,
) -> Result<(), ExtractError> {
    if matches!(api, Api::OpenAiChat | Api::OpenAiResponses) {
        request::apply(facts, api, request, usage)?;
    }
    Ok(())
}

/// Parses a request body like [`parse`], naming the request in any error so that it is not
/// mistaken for the response.
pub(crate) fn parse_request<T: DeserializeOwned>(
    api: Api,
    request: &[u8],
) -> Result<T, ExtractError> {
    parse(api, request).map_err(|e| match e {
        ExtractError::Json {
            api,
            message,
            offset,
            path,
        } => ExtractError::Json {
            api,
            message: format!("in the request: {message}"),
            offset,
            path,
        },
        other => other,
    })
}

/// Parses JSON into `T`, reporting the byte offset and path of the first problem.
pub(crate) fn parse<T: DeserializeOwned>(api: Api, body: &[u8]) -> Result<T, ExtractError> {
    // Strict: a vendor's usage object sent as an array is refused, never read by position.
    crate::strict::from_slice(body).map_err(|inner| {
        #[cfg(test)]
        crate::json_path::check::<T>(body, &inner);
        ExtractError::Json {
            api,
            offset: crate::request::byte_offset(body, inner.line(), inner.column()),
            message: crate::request::strip_position(&inner.to_string()),
            path: crate::json_path::at(body, &inner),
        }
    })
}

/// `a - b`, or an inconsistency naming both.
pub(crate) fn minus(api: Api, a: (&str, u64), b: (&str, u64)) -> Result<u64, ExtractError> {
    a.1.checked_sub(b.1)
        .ok_or_else(|| ExtractError::Inconsistent {
            api,
            detail: format!(
                "{} ({}) is larger than {} ({}) which includes it",
                b.0, b.1, a.0, a.1
            ),
        })
}

/// Refuses a reported `total_tokens` that is not the sum of the two counts it totals
/// (summed in `u128`, so two counts near `u64::MAX` cannot wrap into agreement).
pub(crate) fn check_total(
    api: Api,
    total: Option<u64>,
    a: (&str, u64),
    b: (&str, u64),
) -> Result<(), ExtractError> {
    let Some(t) = total else { return Ok(()) };
    let sum = u128::from(a.1) + u128::from(b.1);
    if u128::from(t) == sum {
        return Ok(());
    }
    Err(ExtractError::Inconsistent {
        api,
        detail: format!(
            "total_tokens ({t}) is not {} ({}) + {} ({}) = {sum}",
            a.0, a.1, b.0, b.1
        ),
    })
}

/// A count as a bucket, or an inconsistency when it exceeds what JSON consumers hold.
pub(crate) fn tokens(api: Api, field: &str, n: u64) -> Result<Tokens, ExtractError> {
    Tokens::new(n).ok_or_else(|| ExtractError::Inconsistent {
        api,
        detail: format!("{field} ({n}) is implausibly large"),
    })
}

/// Like [`tokens`], for counts of calls and requests.
pub(crate) fn count(api: Api, field: &str, n: u64) -> Result<Count, ExtractError> {
    Count::new(n).ok_or_else(|| ExtractError::Inconsistent {
        api,
        detail: format!("{field} ({n}) is implausibly large"),
    })
}

/// Estimates a request of family `api` for `model`; see
/// [`estimate`](crate::estimate::estimate).
pub(crate) fn estimate(
    api: Api,
    model: &bound::Subject,
    request: &[u8],
) -> Result<bound::Estimate, crate::request::EstimateError> {
    let f = registry::of(api);
    match (f.estimate, f.request) {
        (Some(estimate), _) => estimate(model, request),
        (None, Some(fixed)) => bound::noted(api, model.id, fixed(model, request)),
        (None, None) => Err(crate::request::EstimateError::Unsupported { api }),
    }
}

/// Image request readers, shared with the request estimates.
pub(crate) use images::{imagen_request, per_image, seedream_request, Asked, ImageRequest};
pub(crate) use midjourney::{one_task as midjourney_task, request_action as midjourney_action};
pub(crate) use qwen_image::request_images as qwen_image_request;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_total_is_summed_without_wrapping() {
        // u64::MAX + 1 wraps to 0 in u64; a total of 0 must not pass for it.
        let huge = ("input_tokens", u64::MAX);
        let one = ("output_tokens", 1);
        assert!(check_total(Api::OpenAiChat, Some(0), huge, one).is_err());
        assert!(check_total(Api::OpenAiChat, Some(u64::MAX), huge, ("output_tokens", 0)).is_ok());
        assert!(check_total(Api::OpenAiChat, None, huge, one).is_ok());
        let e = check_total(Api::Anthropic, Some(12), ("a", 5), ("b", 6)).unwrap_err();
        assert!(
            e.to_string()
                .contains("total_tokens (12) is not a (5) + b (6) = 11"),
            "{e}"
        );
    }
}
