//! OpenAI Chat Completions and Responses.
//!
//! Chat: `prompt_tokens` includes `cached_tokens` and prompt audio; `completion_tokens`
//! includes reasoning and output audio (and rejected prediction tokens, which are billed
//! as output), and image output where a relay reports it
//! (`completion_tokens_details.image_tokens`). Responses: `input_tokens` includes `cached_tokens`; `output_tokens`
//! includes `reasoning_tokens`.
//!
//! The same chat shape is spoken by OpenAI-compatible vendors, with additions read here:
//! DeepSeek's `prompt_cache_hit_tokens`, and Qwen's (DashScope compatible mode) explicit
//! cache, whose `prompt_tokens_details.cache_creation_input_tokens` are also inside
//! `prompt_tokens` and are billed as cache writes; such a response is marked with the
//! option `cache = "explicit"`, because explicit-cache hits are billed at another rate than
//! implicit ones.
//!
//! OpenAI's prompt-cache writes (`prompt_tokens_details.cache_write_tokens`,
//! `input_tokens_details.cache_write_tokens`) are inside the prompt as well and go to
//! `cache_write_tokens`; when a body gives both them and Qwen's count, the two must agree.
//! An answer that reports reasoning tokens carries the option `thinking = "true"` (see
//! [`THINKING_OPTION`](super::THINKING_OPTION)).
//!
//! Tool fees: Responses output items are counted (`web_search_call`, `file_search_call`,
//! one container session per distinct `container_id` of `code_interpreter_call`, and one
//! image per `image_generation_call`); a chat completion from a search model
//! (`*-search-preview`, `*-search-api`) is one web search call.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{check_total, count, minus, parse, tokens, Api, ExtractError};
use crate::usage::{Count, ImageCount, ServiceTier, Usage};

#[derive(Deserialize, Default)]
pub(super) struct CacheCreation {
    #[serde(default)]
    pub ephemeral_5m_input_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
pub(super) struct Details {
    #[serde(default)]
    pub cached_tokens: Option<u64>,
    #[serde(default)]
    pub audio_tokens: Option<u64>,
    #[serde(default)]
    pub reasoning_tokens: Option<u64>,
    /// Qwen explicit cache: tokens written to the cache by this request (inside the prompt).
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    /// Qwen explicit cache: the same writes by lifetime (only 5 minutes exists).
    #[serde(default)]
    pub cache_creation: Option<CacheCreation>,
    /// Qwen: `ephemeral` when the request used the explicit cache.
    #[serde(default)]
    pub cache_type: Option<String>,
    /// Image output inside `completion_tokens` (Gemini image models through a relay's
    /// OpenAI chat format), priced apart from text output.
    #[serde(default)]
    pub image_tokens: Option<u64>,
    /// OpenAI prompt-cache writes (GPT-5.6 and later): inside the prompt, billed at the
    /// cache-write rate.
    #[serde(default)]
    pub cache_write_tokens: Option<u64>,
}

/// The prompt-cache writes a details object reports: Qwen's explicit cache
/// (`cache_creation_input_tokens`, by lifetime in `cache_creation`) or OpenAI's
/// `cache_write_tokens`. When both are given they must agree.
pub(super) fn all_cache_writes(
    api: Api,
    d: Option<&Details>,
    field: &str,
) -> Result<u64, ExtractError> {
    let explicit = cache_writes(api, d)?;
    match d.and_then(|d| d.cache_write_tokens) {
        Some(w) if explicit != 0 && w != explicit => Err(ExtractError::Inconsistent {
            api,
            detail: format!(
                "{field}.cache_write_tokens ({w}) disagrees with {field}.cache_creation_input_tokens ({explicit})"
            ),
        }),
        Some(w) => Ok(w),
        None => Ok(explicit),
    }
}

/// The explicit-cache writes a details object reports, checked against each other.
pub(super) fn cache_writes(api: Api, d: Option<&Details>) -> Result<u64, ExtractError> {
    let Some(d) = d else { return Ok(0) };
    let total = d.cache_creation_input_tokens;
    let by_lifetime = d
        .cache_creation
        .as_ref()
        .and_then(|c| c.ephemeral_5m_input_tokens);
    match (total, by_lifetime) {
        (Some(t), Some(l)) if t != l => Err(ExtractError::Inconsistent {
            api,
            detail: format!(
                "cache_creation.ephemeral_5m_input_tokens ({l}) disagrees with cache_creation_input_tokens ({t})"
            ),
        }),
        (t, l) => Ok(t.or(l).unwrap_or(0)),
    }
}

/// Whether a details object says Qwen's explicit cache was used (OpenAI's own
/// `cache_write_tokens` are not the explicit cache).
pub(super) fn is_explicit_cache(d: Option<&Details>) -> bool {
    d.is_some_and(|d| {
        d.cache_type.as_deref() == Some("ephemeral")
            || d.cache_creation_input_tokens.is_some_and(|n| n > 0)
            || d.cache_creation
                .as_ref()
                .and_then(|c| c.ephemeral_5m_input_tokens)
                .is_some_and(|n| n > 0)
    })
}

/// The option key and value that mark an explicit-cache request in the usage.
pub const CACHE_OPTION: (&str, &str) = ("cache", "explicit");

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

impl RawUsage {
    /// An empty report (`"usage": {}`): no count at all, so nothing to take from it.
    fn is_empty(&self) -> bool {
        self.prompt_tokens.is_none()
            && self.completion_tokens.is_none()
            && self.input_tokens.is_none()
            && self.output_tokens.is_none()
            && self.total_tokens.is_none()
            && self.prompt_cache_hit_tokens.is_none()
            && self.prompt_cache_miss_tokens.is_none()
            && self.prompt_tokens_details.is_none()
            && self.completion_tokens_details.is_none()
            && self.input_tokens_details.is_none()
            && self.output_tokens_details.is_none()
    }
}

#[derive(Deserialize, Default)]
pub(super) struct Choice {
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct OutputItem {
    #[serde(rename = "type", default)]
    kind: String,
    /// `code_interpreter_call`: the container the code ran in.
    #[serde(default)]
    container_id: Option<String>,
    /// `image_generation_call`: the size and quality of the image made.
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    quality: Option<String>,
}

/// A chat completion, a chat chunk, or a Responses `response` object.
#[derive(Deserialize, Default)]
pub(super) struct Body {
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    /// Whether `model` names a search model; read without keeping the name.
    #[serde(default)]
    model: SearchModel,
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
    /// Chat: the choices of a body or chunk (a chunk's `finish_reason` ends the stream).
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    /// Responses: `in_progress` until the response is done.
    #[serde(default)]
    status: Option<String>,
}

impl Body {
    /// Whether the body or event is an error report.
    pub(super) fn is_error(&self) -> bool {
        self.error.is_some() || matches!(self.kind.as_deref(), Some("error" | "response.failed"))
    }

    /// Chat: whether a choice of this chunk has finished.
    pub(super) fn finished(&self) -> bool {
        // Some compatible vendors write `""` or `"null"` while the choice is streaming.
        self.choices.iter().flatten().any(|c| {
            c.finish_reason
                .as_deref()
                .is_some_and(|r| !r.is_empty() && r != "null")
        })
    }

    /// Chat: whether the chunk carries no choices (the usage chunk of a stream).
    pub(super) fn no_choices(&self) -> bool {
        self.choices.as_ref().is_none_or(Vec::is_empty)
    }

    /// Responses: whether this event reports the response done (`response.completed`,
    /// `.incomplete`, `.failed`, or a response object that is no longer in progress).
    pub(super) fn response_finished(&self) -> bool {
        let running = |b: &Body| {
            matches!(
                b.kind.as_deref(),
                Some("response.created" | "response.in_progress" | "response.queued")
            ) || matches!(b.status.as_deref(), Some("in_progress" | "queued"))
        };
        !(running(self) || self.response.as_deref().is_some_and(running))
    }
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

/// Option set to `scale` when the response says it ran on reserved capacity.
pub const RESERVED_CAPACITY: &str = "reserved_capacity";

/// `service_tier: "scale"` is reserved, prepaid capacity (OpenAI Scale Tier; Volcengine Ark's
/// TPM guarantee package, 保障包): not a price tier of its own. The usage keeps the standard
/// tier and says so in the option `reserved_capacity = "scale"`, for tables that price it.
fn mark_reserved(b: &Body, usage: &mut Usage) {
    if b.service_tier.as_deref() == Some("scale") {
        usage
            .options
            .insert(RESERVED_CAPACITY.to_string(), "scale".to_string());
    }
}

fn tier(api: Api, b: &Body) -> Result<Option<ServiceTier>, ExtractError> {
    match b.service_tier.as_deref() {
        None | Some("scale") => Ok(None),
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
    let usage = chat_usage(&b)?.ok_or_else(|| missing(Api::OpenAiChat, &b))?;
    // One chunk of a stream whose choices are still streaming holds a running count, not
    // the bill (the usage chunk has no choices, or follows the finish reason).
    if b.object.as_deref() == Some("chat.completion.chunk") && !b.no_choices() && !b.finished() {
        return Err(ExtractError::MissingUsage {
            api: Api::OpenAiChat,
            hint: "this is one stream chunk whose usage is a running count; meter the whole stream"
                .into(),
        });
    }
    Ok(usage)
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
    let Some(u) = b.usage.as_ref().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
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
    let writes = all_cache_writes(api, pd, "prompt_tokens_details")?;
    let audio_in = pd.and_then(|d| d.audio_tokens).unwrap_or(0);
    let reasoning = cd.and_then(|d| d.reasoning_tokens).unwrap_or(0);
    let audio_out = cd.and_then(|d| d.audio_tokens).unwrap_or(0);
    let image_out = cd.and_then(|d| d.image_tokens).unwrap_or(0);

    let uncached = minus(
        api,
        ("prompt_tokens", prompt),
        ("prompt_tokens_details.cached_tokens", cached),
    )?;
    let unwritten = minus(
        api,
        ("prompt_tokens minus cached_tokens", uncached),
        (
            "prompt_tokens_details.cache_creation_input_tokens / cache_write_tokens",
            writes,
        ),
    )?;
    let text_in = minus(
        api,
        (
            "prompt_tokens minus cached and cache-creation tokens",
            unwritten,
        ),
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
    check_total(
        api,
        u.total_tokens,
        ("prompt_tokens", prompt),
        ("completion_tokens", completion),
    )?;
    let mut usage = Usage {
        input_tokens: tokens(api, "prompt_tokens", text_in)?,
        cache_read_tokens: tokens(api, "cached_tokens", cached)?,
        cache_write_tokens: tokens(api, "cache_creation_input_tokens", writes)?,
        audio_input_tokens: tokens(api, "prompt audio_tokens", audio_in)?,
        output_tokens: tokens(api, "completion_tokens", text_out)?,
        reasoning_tokens: tokens(api, "reasoning_tokens", reasoning)?,
        audio_output_tokens: tokens(api, "completion audio_tokens", audio_out)?,
        image_output_tokens: tokens(api, "completion image_tokens", image_out)?,
        service_tier: tier(api, b)?,
        ..Usage::default()
    };
    if is_explicit_cache(pd) {
        usage
            .options
            .insert(CACHE_OPTION.0.to_string(), CACHE_OPTION.1.to_string());
    }
    super::mark_thinking(&mut usage);
    mark_reserved(b, &mut usage);
    if b.model.0 {
        usage.web_search_calls = Count::new(1).expect("1 is a valid count");
    }
    Ok(Some(usage))
}

/// OpenAI's Chat Completions search models search the web on every request.
pub(super) fn is_search_model(model: &str) -> bool {
    model.contains("-search-preview") || model.contains("-search-api")
}

/// A body's `model`, reduced to whether it is a search model, so that metering an
/// ordinary chat body allocates nothing for its model name.
#[derive(Default)]
pub(super) struct SearchModel(bool);

impl<'de> Deserialize<'de> for SearchModel {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SearchModel;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a model name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SearchModel, E> {
                Ok(SearchModel(is_search_model(v)))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<SearchModel, E> {
                Ok(SearchModel(false))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<SearchModel, E> {
                Ok(SearchModel(false))
            }
        }
        d.deserialize_any(V)
    }
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
    check_total(
        api,
        u.total_tokens,
        ("prompt_tokens", prompt),
        ("completion_tokens", output),
    )?;
    Ok(Usage {
        input_tokens: tokens(api, "prompt_tokens", prompt)?,
        ..Usage::default()
    })
}

pub(super) fn responses(body: &[u8]) -> Result<Usage, ExtractError> {
    let b: Body = parse(Api::OpenAiResponses, body)?;
    let usage = responses_usage(&b)?.ok_or_else(|| missing(Api::OpenAiResponses, &b))?;
    // A response fetched while still running (background mode) or one in-progress event
    // holds no final count.
    if !b.response_finished() {
        return Err(ExtractError::MissingUsage {
            api: Api::OpenAiResponses,
            hint: "the response is still in progress; meter it once it has completed".into(),
        });
    }
    Ok(usage)
}

/// The usage of a `response` object, or of a stream event that wraps one.
pub(super) fn responses_usage(b: &Body) -> Result<Option<Usage>, ExtractError> {
    let api = Api::OpenAiResponses;
    if let Some(inner) = &b.response {
        return responses_usage(inner);
    }
    check_family(api, b)?;
    let Some(u) = b.usage.as_ref().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
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
    let id = u.input_tokens_details.as_ref();
    let writes = all_cache_writes(api, id, "input_tokens_details")?;
    let uncached = minus(
        api,
        ("input_tokens", input),
        ("input_tokens_details.cached_tokens", cached),
    )?;
    let text_in = minus(
        api,
        ("input_tokens minus cached_tokens", uncached),
        (
            "input_tokens_details.cache_write_tokens / cache_creation_input_tokens",
            writes,
        ),
    )?;
    let text_out = minus(
        api,
        ("output_tokens", output),
        ("output_tokens_details.reasoning_tokens", reasoning),
    )?;
    check_total(
        api,
        u.total_tokens,
        ("input_tokens", input),
        ("output_tokens", output),
    )?;
    let items = || b.output.iter().flatten();
    let calls = |kind: &str| items().filter(|o| o.kind == kind).count() as u64;
    let mut usage = Usage {
        input_tokens: tokens(api, "input_tokens", text_in)?,
        cache_read_tokens: tokens(api, "cached_tokens", cached)?,
        cache_write_tokens: tokens(api, "cache_write_tokens", writes)?,
        output_tokens: tokens(api, "output_tokens", text_out)?,
        reasoning_tokens: tokens(api, "reasoning_tokens", reasoning)?,
        web_search_calls: count(api, "web_search_call", calls("web_search_call"))?,
        file_search_calls: count(api, "file_search_call", calls("file_search_call"))?,
        container_sessions: count(api, "code_interpreter_call", containers(items()))?,
        images: images(items()),
        service_tier: tier(api, b)?,
        ..Usage::default()
    };
    if is_explicit_cache(id) {
        usage
            .options
            .insert(CACHE_OPTION.0.to_string(), CACHE_OPTION.1.to_string());
    }
    super::mark_thinking(&mut usage);
    mark_reserved(b, &mut usage);
    Ok(Some(usage))
}

/// Container sessions: one per distinct container the code ran in (several calls in one
/// container are one session); a call naming no container is counted on its own.
fn containers<'a>(items: impl Iterator<Item = &'a OutputItem>) -> u64 {
    let mut ids: Vec<&str> = Vec::new();
    let mut anonymous = 0;
    for o in items.filter(|o| o.kind == "code_interpreter_call") {
        match o.container_id.as_deref() {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => anonymous += 1,
        }
    }
    ids.len() as u64 + anonymous
}

/// Images made by the image-generation tool, grouped by size and quality as reported.
fn images<'a>(items: impl Iterator<Item = &'a OutputItem>) -> Vec<ImageCount> {
    let mut out: Vec<ImageCount> = Vec::new();
    for o in items.filter(|o| o.kind == "image_generation_call") {
        let size = o.size.clone().filter(|s| s != "auto");
        let quality = o.quality.clone().filter(|q| q != "auto");
        match out
            .iter_mut()
            .find(|i| i.size == size && i.quality == quality)
        {
            Some(i) => i.count = Count::new(i.count.get() + 1).unwrap_or(i.count),
            None => out.push(ImageCount {
                count: Count::new(1).expect("1 is a valid count"),
                size,
                quality,
            }),
        }
    }
    out
}
