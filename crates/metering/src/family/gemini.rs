//! Gemini `generateContent` (and each chunk of `streamGenerateContent`).
//!
//! `promptTokenCount` includes `cachedContentTokenCount`; audio is priced apart, so the
//! AUDIO share of the prompt and of the cache (by modality) goes to the audio buckets.
//! `candidatesTokenCount` excludes `thoughtsTokenCount`; tool-use prompt tokens are
//! billed as input. Image and audio output (native image generation, speech) are split
//! out of the candidates by modality.
//!
//! An answer with `thoughtsTokenCount` was made in thinking mode and carries the option
//! `thinking = "true"` (Gemini 2.5 Flash Preview priced all output at the thinking rate
//! then).
//!
//! A streamed answer (SSE, or a JSON array of chunks) repeats running totals in every
//! chunk: they must not fall from one chunk to the next, and an empty `usageMetadata`
//! changes nothing.
//!
//! Grounding with Google Search: a response whose candidates carry
//! `groundingMetadata.webSearchQueries` ran that many distinct search queries for one
//! grounded prompt. Both are metered: the prompt as one `searches` unit (Gemini 2.x bills
//! per grounded prompt) and the queries as `web_search_calls` (Gemini 3 bills per query);
//! each model's table prices the one its vendor bills and writes the other as 0.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{count, minus, parse, tokens, Api, ExtractError};
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
struct Grounding {
    #[serde(default, rename = "webSearchQueries")]
    web_search_queries: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct Candidate {
    #[serde(default, rename = "groundingMetadata")]
    grounding_metadata: Option<Grounding>,
    /// Set on the candidate's last chunk: the answer is complete.
    #[serde(default, rename = "finishReason")]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct PromptFeedback {
    /// A blocked prompt: the stream ends with this chunk, no candidate follows.
    #[serde(default, rename = "blockReason")]
    block_reason: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct Body {
    #[serde(default, rename = "usageMetadata")]
    pub usage_metadata: Option<Meta>,
    #[serde(default)]
    candidates: Option<Vec<Candidate>>,
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    error: Option<IgnoredAny>,
    #[serde(default, rename = "promptFeedback")]
    prompt_feedback: Option<PromptFeedback>,
}

impl Body {
    /// Whether the chunk is an error report.
    pub(super) fn is_error(&self) -> bool {
        self.error.is_some()
    }

    /// Whether the chunk ends the answer: a candidate's `finishReason`, or a prompt
    /// blocked before any candidate.
    pub(super) fn finished(&self) -> bool {
        self.candidates
            .iter()
            .flatten()
            .any(|c| c.finish_reason.is_some())
            || self
                .prompt_feedback
                .as_ref()
                .is_some_and(|p| p.block_reason.is_some())
    }
}

impl Meta {
    /// An empty report (`"usageMetadata": {}`): nothing to take from it.
    fn is_empty(&self) -> bool {
        self.prompt_token_count.is_none()
            && self.candidates_token_count.is_none()
            && self.total_token_count.is_none()
            && self.cached_content_token_count.is_none()
            && self.thoughts_token_count.is_none()
            && self.tool_use_prompt_token_count.is_none()
            && self.prompt_tokens_details.is_none()
            && self.cache_tokens_details.is_none()
            && self.candidates_tokens_details.is_none()
    }
}

/// The usage a chunk reports; `None` when it has none, or an empty one.
pub(super) fn chunk_usage(b: &Body) -> Result<Option<Usage>, ExtractError> {
    match &b.usage_metadata {
        Some(m) if !m.is_empty() => to_usage(m).map(Some),
        _ => Ok(None),
    }
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
    if first == Some(&b'[') {
        let chunks: Vec<Body> = parse(API, body)?;
        // The queries may arrive in another chunk than the last usage report.
        let queries = chunks.iter().map(search_queries).max().unwrap_or(0);
        // Each chunk's report is a running total: a later one may not fall below an
        // earlier one, and an empty one changes nothing.
        let mut last: Option<Usage> = None;
        let mut error = false;
        for c in &chunks {
            check_family(c)?;
            error |= c.is_error();
            if let Some(u) = chunk_usage(c)? {
                if let Some(before) = &last {
                    super::sse::cumulative(API, before, &u)?;
                }
                last = Some(u);
            }
        }
        let Some(mut u) = last else {
            return Err(ExtractError::MissingUsage {
                api: API,
                hint: if error {
                    "it is an error body".into()
                } else {
                    String::new()
                },
            });
        };
        add_grounding(&mut u, queries)?;
        return Ok(u);
    }
    let (b, queries) = {
        let b: Body = parse(API, body)?;
        let q = search_queries(&b);
        (b, q)
    };
    check_family(&b)?;
    match chunk_usage(&b)? {
        Some(mut u) => {
            add_grounding(&mut u, queries)?;
            Ok(u)
        }
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

/// The distinct Google Search queries a body's candidates report.
pub(super) fn search_queries(b: &Body) -> u64 {
    let mut seen: Vec<&str> = Vec::new();
    for q in b
        .candidates
        .iter()
        .flatten()
        .filter_map(|c| c.grounding_metadata.as_ref())
        .filter_map(|g| g.web_search_queries.as_ref())
        .flatten()
    {
        if !seen.contains(&q.as_str()) {
            seen.push(q);
        }
    }
    seen.len() as u64
}

/// Meters grounding: one grounded prompt and its queries, when any query ran.
pub(super) fn add_grounding(u: &mut Usage, queries: u64) -> Result<(), ExtractError> {
    if queries > 0 {
        u.searches = count(API, "grounded prompt", 1)?;
        u.web_search_calls = count(API, "groundingMetadata.webSearchQueries", queries)?;
    }
    Ok(())
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
    let mut usage = Usage {
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
    };
    super::mark_thinking(&mut usage);
    Ok(usage)
}
