//! Gemini `generateContent` (and each chunk of `streamGenerateContent`).
//!
//! `promptTokenCount` includes `cachedContentTokenCount`; audio is priced apart, so the
//! AUDIO share of the prompt and of the cache (by modality) goes to the audio buckets.
//! `candidatesTokenCount` excludes `thoughtsTokenCount`; tool-use prompt tokens are
//! billed as input. Image and audio output (native image generation, speech) are split
//! out of the candidates by modality.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{minus, parse, tokens, Api, ExtractError};
use crate::usage::Usage;

const API: Api = Api::Gemini;

#[derive(Deserialize)]
struct ModalityCount {
    #[serde(default)]
    modality: String,
    #[serde(default, rename = "tokenCount")]
    token_count: u64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Meta {
    #[serde(default)]
    prompt_token_count: Option<u64>,
    #[serde(default)]
    candidates_token_count: Option<u64>,
    #[serde(default)]
    total_token_count: Option<u64>,
    #[serde(default)]
    cached_content_token_count: Option<u64>,
    #[serde(default)]
    thoughts_token_count: Option<u64>,
    #[serde(default)]
    tool_use_prompt_token_count: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<Vec<ModalityCount>>,
    #[serde(default)]
    cache_tokens_details: Option<Vec<ModalityCount>>,
    #[serde(default)]
    candidates_tokens_details: Option<Vec<ModalityCount>>,
}

#[derive(Deserialize, Default)]
pub(super) struct Body {
    #[serde(default, rename = "usageMetadata")]
    pub usage_metadata: Option<Meta>,
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

fn modality(list: &Option<Vec<ModalityCount>>, name: &str) -> u64 {
    list.iter()
        .flatten()
        .filter(|m| m.modality == name)
        .map(|m| m.token_count)
        .sum()
}

pub(super) fn check_family(b: &Body) -> Result<(), ExtractError> {
    super::check_family(
        API,
        super::Markers {
            object: b.object.as_deref(),
            kind: b.kind.as_deref(),
            gemini: false,
        },
    )
}

pub(super) fn generate(body: &[u8]) -> Result<Usage, ExtractError> {
    // streamGenerateContent without SSE returns a JSON array of chunks with running totals.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let b: Body = if first == Some(&b'[') {
        let chunks: Vec<Body> = parse(API, body)?;
        chunks
            .into_iter()
            .rev()
            .find(|c| c.usage_metadata.is_some())
            .unwrap_or_default()
    } else {
        parse(API, body)?
    };
    check_family(&b)?;
    match &b.usage_metadata {
        Some(m) => to_usage(m),
        None => Err(ExtractError::MissingUsage {
            api: API,
            hint: if b.error.is_some() {
                "it is an error body".into()
            } else {
                String::new()
            },
        }),
    }
}

pub(super) fn to_usage(m: &Meta) -> Result<Usage, ExtractError> {
    let prompt = m.prompt_token_count.unwrap_or(0);
    let cached = m.cached_content_token_count.unwrap_or(0);
    let candidates = m.candidates_token_count.unwrap_or(0);
    let thoughts = m.thoughts_token_count.unwrap_or(0);
    let tool_prompt = m.tool_use_prompt_token_count.unwrap_or(0);
    let audio_prompt = modality(&m.prompt_tokens_details, "AUDIO");
    let audio_cached = modality(&m.cache_tokens_details, "AUDIO");
    let image_out = modality(&m.candidates_tokens_details, "IMAGE");
    let audio_out = modality(&m.candidates_tokens_details, "AUDIO");

    let uncached = minus(
        API,
        ("promptTokenCount", prompt),
        ("cachedContentTokenCount", cached),
    )?;
    let audio_uncached = minus(
        API,
        ("AUDIO promptTokensDetails", audio_prompt),
        ("AUDIO cacheTokensDetails", audio_cached),
    )?;
    let text_cached = minus(
        API,
        ("cachedContentTokenCount", cached),
        ("AUDIO cacheTokensDetails", audio_cached),
    )?;
    let text_uncached = minus(
        API,
        ("promptTokenCount minus cachedContentTokenCount", uncached),
        ("uncached AUDIO prompt tokens", audio_uncached),
    )?;
    let text_out = minus(
        API,
        ("candidatesTokenCount", candidates),
        (
            "IMAGE and AUDIO candidatesTokensDetails",
            image_out.saturating_add(audio_out),
        ),
    )?;
    if let Some(total) = m.total_token_count {
        let with_tools = [prompt, candidates, thoughts, tool_prompt]
            .map(u128::from)
            .iter()
            .sum::<u128>();
        // Some model versions leave tool-use prompt tokens out of the total.
        let total = u128::from(total);
        if total != with_tools && total != with_tools - u128::from(tool_prompt) {
            return Err(ExtractError::Inconsistent {
                api: API,
                detail: format!(
                    "totalTokenCount ({total}) is not promptTokenCount + candidatesTokenCount + thoughtsTokenCount + toolUsePromptTokenCount ({with_tools})"
                ),
            });
        }
    }
    Ok(Usage {
        input_tokens: tokens(
            API,
            "promptTokenCount",
            text_uncached.saturating_add(tool_prompt),
        )?,
        cache_read_tokens: tokens(API, "cachedContentTokenCount", text_cached)?,
        audio_input_tokens: tokens(API, "AUDIO prompt tokens", audio_uncached)?,
        audio_cache_read_tokens: tokens(API, "AUDIO cache tokens", audio_cached)?,
        output_tokens: tokens(API, "candidatesTokenCount", text_out)?,
        reasoning_tokens: tokens(API, "thoughtsTokenCount", thoughts)?,
        image_output_tokens: tokens(API, "IMAGE candidates tokens", image_out)?,
        audio_output_tokens: tokens(API, "AUDIO candidates tokens", audio_out)?,
        ..Usage::default()
    })
}
