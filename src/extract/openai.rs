//! OpenAI Chat Completions and Responses.
//!
//! Chat: `prompt_tokens` includes `cached_tokens` and prompt audio; `completion_tokens`
//! includes reasoning and output audio (and rejected prediction tokens, which are billed
//! as output), and image output where a relay reports it
//! (`completion_tokens_details.image_tokens`). Responses: `input_tokens` includes
//! `cached_tokens`; `output_tokens` includes `reasoning_tokens`.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{count, minus, parse, tokens, Api, ExtractError};
use crate::usage::{ServiceTier, Usage};

#[derive(Deserialize, Default)]
struct Details {
    #[serde(default)]
    cached_tokens: Option<u64>,
    #[serde(default)]
    audio_tokens: Option<u64>,
    #[serde(default)]
    reasoning_tokens: Option<u64>,
    /// Image output inside `completion_tokens` (Gemini image models through a relay's
    /// OpenAI chat format), priced apart from text output.
    #[serde(default)]
    image_tokens: Option<u64>,
}

/// Every usage field either API may send; which ones are present tells the family apart.
#[derive(Deserialize, Default)]
pub(super) struct RawUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<Details>,
    /// DeepSeek reports cache hits and misses as their own fields.
    #[serde(default)]
    prompt_cache_hit_tokens: Option<u64>,
    #[serde(default)]
    prompt_cache_miss_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens_details: Option<Details>,
    #[serde(default)]
    input_tokens_details: Option<Details>,
    #[serde(default)]
    output_tokens_details: Option<Details>,
}

#[derive(Deserialize)]
pub(super) struct OutputItem {
    #[serde(rename = "type", default)]
    kind: String,
}

/// A chat completion, a chat chunk, or a Responses `response` object.
#[derive(Deserialize, Default)]
pub(super) struct Body {
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    usage: Option<RawUsage>,
    #[serde(default)]
    service_tier: Option<String>,
    #[serde(default)]
    error: Option<IgnoredAny>,
    #[serde(default)]
    output: Option<Vec<OutputItem>>,
    #[serde(default, rename = "usageMetadata")]
    usage_metadata: Option<IgnoredAny>,
    #[serde(default)]
    candidates: Option<IgnoredAny>,
    /// A Responses stream event wraps the response object.
    #[serde(default)]
    response: Option<Box<Body>>,
}

fn check_family(api: Api, b: &Body) -> Result<(), ExtractError> {
    let markers = super::Markers {
        object: b.object.as_deref(),
        kind: b.kind.as_deref(),
        gemini: b.usage_metadata.is_some() || b.candidates.is_some(),
    };
    super::check_family(api, markers)
}

fn wrong(expected: Api, found: &str) -> ExtractError {
    ExtractError::WrongFamily {
        expected,
        found: found.to_string(),
    }
}

fn tier(api: Api, b: &Body) -> Result<Option<ServiceTier>, ExtractError> {
    match b.service_tier.as_deref() {
        None => Ok(None),
        Some(t) => ServiceTier::parse(t)
            .map(Some)
            .ok_or_else(|| ExtractError::Inconsistent {
                api,
                detail: format!("unknown service_tier `{t}`"),
            }),
    }
}

/// The cached share of the prompt: `prompt_tokens_details.cached_tokens`, or DeepSeek's
/// `prompt_cache_hit_tokens`, which must then add up with the misses to the prompt. When
/// both are given they must agree: two answers to one question are a reason to refuse.
fn cached_tokens(
    api: Api,
    u: &RawUsage,
    pd: Option<&Details>,
    prompt: u64,
) -> Result<u64, ExtractError> {
    let detail = pd.and_then(|d| d.cached_tokens);
    let Some(hit) = u.prompt_cache_hit_tokens else {
        return Ok(detail.unwrap_or(0));
    };
    let inconsistent = |detail: String| Err(ExtractError::Inconsistent { api, detail });
    if let Some(miss) = u.prompt_cache_miss_tokens {
        if u128::from(hit) + u128::from(miss) != u128::from(prompt) {
            return inconsistent(format!(
                "prompt_cache_hit_tokens ({hit}) + prompt_cache_miss_tokens ({miss}) is not prompt_tokens ({prompt})"
            ));
        }
    }
    match detail {
        Some(d) if d != hit => inconsistent(format!(
            "prompt_cache_hit_tokens ({hit}) disagrees with prompt_tokens_details.cached_tokens ({d})"
        )),
        _ => Ok(hit),
    }
}

pub(super) fn chat(body: &[u8]) -> Result<Usage, ExtractError> {
    let b: Body = parse(Api::OpenAiChat, body)?;
    chat_usage(&b)?.ok_or_else(|| missing(Api::OpenAiChat, &b))
}

fn missing(api: Api, b: &Body) -> ExtractError {
    let hint = if b.error.is_some() {
        "it is an error body"
    } else {
        ""
    };
    ExtractError::MissingUsage {
        api,
        hint: hint.to_string(),
    }
}

/// The usage of a chat body or chunk; `None` when it carries none (e.g. a stream chunk).
pub(super) fn chat_usage(b: &Body) -> Result<Option<Usage>, ExtractError> {
    let api = Api::OpenAiChat;
    check_family(api, b)?;
    let Some(u) = &b.usage else { return Ok(None) };
    if u.prompt_tokens.is_none() && u.input_tokens.is_some() {
        return Err(wrong(
            api,
            "an OpenAI Responses body (usage has input_tokens, not prompt_tokens)",
        ));
    }
    let prompt = u.prompt_tokens.unwrap_or(0);
    let completion = u.completion_tokens.unwrap_or(0);
    let pd = u.prompt_tokens_details.as_ref();
    let cd = u.completion_tokens_details.as_ref();
    let cached = cached_tokens(api, u, pd, prompt)?;
    let audio_in = pd.and_then(|d| d.audio_tokens).unwrap_or(0);
    let reasoning = cd.and_then(|d| d.reasoning_tokens).unwrap_or(0);
    let audio_out = cd.and_then(|d| d.audio_tokens).unwrap_or(0);
    let image_out = cd.and_then(|d| d.image_tokens).unwrap_or(0);

    let uncached = minus(
        api,
        ("prompt_tokens", prompt),
        ("prompt_tokens_details.cached_tokens", cached),
    )?;
    let text_in = minus(
        api,
        ("prompt_tokens minus cached_tokens", uncached),
        ("prompt_tokens_details.audio_tokens", audio_in),
    )?;
    let after_reasoning = minus(
        api,
        ("completion_tokens", completion),
        ("completion_tokens_details.reasoning_tokens", reasoning),
    )?;
    let after_audio = minus(
        api,
        ("completion_tokens minus reasoning_tokens", after_reasoning),
        ("completion_tokens_details.audio_tokens", audio_out),
    )?;
    let text_out = minus(
        api,
        (
            "completion_tokens minus reasoning and audio tokens",
            after_audio,
        ),
        ("completion_tokens_details.image_tokens", image_out),
    )?;
    if let Some(t) = u.total_tokens {
        if u128::from(t) != u128::from(prompt) + u128::from(completion) {
            return Err(ExtractError::Inconsistent {
                api,
                detail: format!(
                    "total_tokens ({t}) is not prompt_tokens + completion_tokens ({})",
                    u128::from(prompt) + u128::from(completion)
                ),
            });
        }
    }
    Ok(Some(Usage {
        input_tokens: tokens(api, "prompt_tokens", text_in)?,
        cache_read_tokens: tokens(api, "cached_tokens", cached)?,
        audio_input_tokens: tokens(api, "prompt audio_tokens", audio_in)?,
        output_tokens: tokens(api, "completion_tokens", text_out)?,
        reasoning_tokens: tokens(api, "reasoning_tokens", reasoning)?,
        audio_output_tokens: tokens(api, "completion audio_tokens", audio_out)?,
        image_output_tokens: tokens(api, "completion image_tokens", image_out)?,
        service_tier: tier(api, b)?,
        ..Usage::default()
    }))
}

/// An embeddings list: every token is input (`prompt_tokens` = `total_tokens`).
pub(super) fn embeddings(body: &[u8]) -> Result<Usage, ExtractError> {
    let api = Api::OpenAiEmbeddings;
    let b: Body = parse(api, body)?;
    check_family(api, &b)?;
    let Some(u) = &b.usage else {
        return Err(missing(api, &b));
    };
    let Some(prompt) = u.prompt_tokens.or(u.input_tokens) else {
        return Err(ExtractError::MissingUsage {
            api,
            hint: "usage has no prompt_tokens".into(),
        });
    };
    let output = u.completion_tokens.or(u.output_tokens).unwrap_or(0);
    if output != 0 {
        return Err(ExtractError::Inconsistent {
            api,
            detail: format!("an embeddings response with {output} completion tokens"),
        });
    }
    if let Some(t) = u.total_tokens.filter(|t| *t != prompt) {
        return Err(ExtractError::Inconsistent {
            api,
            detail: format!("total_tokens ({t}) is not prompt_tokens ({prompt})"),
        });
    }
    Ok(Usage {
        input_tokens: tokens(api, "prompt_tokens", prompt)?,
        ..Usage::default()
    })
}

pub(super) fn responses(body: &[u8]) -> Result<Usage, ExtractError> {
    let b: Body = parse(Api::OpenAiResponses, body)?;
    responses_usage(&b)?.ok_or_else(|| missing(Api::OpenAiResponses, &b))
}

/// The usage of a `response` object, or of a stream event that wraps one.
pub(super) fn responses_usage(b: &Body) -> Result<Option<Usage>, ExtractError> {
    let api = Api::OpenAiResponses;
    if let Some(inner) = &b.response {
        return responses_usage(inner);
    }
    check_family(api, b)?;
    let Some(u) = &b.usage else { return Ok(None) };
    if u.input_tokens.is_none() && u.prompt_tokens.is_some() {
        return Err(wrong(
            api,
            "an OpenAI chat completion (usage has prompt_tokens, not input_tokens)",
        ));
    }
    let input = u.input_tokens.unwrap_or(0);
    let output = u.output_tokens.unwrap_or(0);
    let cached = u
        .input_tokens_details
        .as_ref()
        .and_then(|d| d.cached_tokens)
        .unwrap_or(0);
    let reasoning = u
        .output_tokens_details
        .as_ref()
        .and_then(|d| d.reasoning_tokens)
        .unwrap_or(0);
    let text_in = minus(
        api,
        ("input_tokens", input),
        ("input_tokens_details.cached_tokens", cached),
    )?;
    let text_out = minus(
        api,
        ("output_tokens", output),
        ("output_tokens_details.reasoning_tokens", reasoning),
    )?;
    if let Some(t) = u.total_tokens {
        if u128::from(t) != u128::from(input) + u128::from(output) {
            return Err(ExtractError::Inconsistent {
                api,
                detail: format!(
                    "total_tokens ({t}) is not input_tokens + output_tokens ({})",
                    u128::from(input) + u128::from(output)
                ),
            });
        }
    }
    let calls = |kind: &str| b.output.iter().flatten().filter(|o| o.kind == kind).count() as u64;
    Ok(Some(Usage {
        input_tokens: tokens(api, "input_tokens", text_in)?,
        cache_read_tokens: tokens(api, "cached_tokens", cached)?,
        output_tokens: tokens(api, "output_tokens", text_out)?,
        reasoning_tokens: tokens(api, "reasoning_tokens", reasoning)?,
        web_search_calls: count(api, "web_search_call", calls("web_search_call"))?,
        file_search_calls: count(api, "file_search_call", calls("file_search_call"))?,
        service_tier: tier(api, b)?,
        ..Usage::default()
    }))
}
