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

/// OpenAI's Chat Completions search models search the web on every request: a model of the
/// `web-search` formula (the `[[formula]]` entries of `estimate/models.toml`, by name;
/// allocates nothing), or one named by OpenAI's rule for them, `<base>-search-preview` or
/// `<base>-search-api` (a search snapshot the data does not list yet is still billed its
/// search). A relay's own search model (`formula = "web-search"` on its `[[model]]`) is
/// recognized by the model its request names, when the answer is metered with the request
/// and its catalog (`extract_with_request_in`).
pub(super) fn is_search_model(model: &str) -> bool {
    super::data::Facts::DATA.formula(model) == Some(super::data::Formula::WebSearch)
        || model.contains("-search-preview")
        || model.contains("-search-api")
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

pub(crate) mod bound {
    //! The request side: a request read into an upper bound of its usage.
    //!
    //! OpenAI request families: Chat Completions, Responses, embeddings.

    use serde_json::{Map, Value};

    use crate::family::bound::{index, join, Builder};
    use crate::family::data;
    use crate::family::dims::{self as media, Dims};
    use crate::family::vision::{self, Detail, PdfFamily};
    use crate::request::Api;
    use crate::request::EstimateError;

    fn object<'a>(
        b: &Builder,
        v: &'a Value,
        path: &str,
    ) -> Result<&'a Map<String, Value>, EstimateError> {
        v.as_object().ok_or_else(|| {
            b.field_error(
                if path.is_empty() { "(body)" } else { path },
                "must be a JSON object",
            )
        })
    }

    fn array<'a>(b: &Builder, v: &'a Value, path: &str) -> Result<&'a Vec<Value>, EstimateError> {
        v.as_array()
            .ok_or_else(|| b.field_error(path, "must be an array"))
    }

    fn string<'a>(b: &Builder, v: &'a Value, path: &str) -> Result<&'a str, EstimateError> {
        v.as_str()
            .ok_or_else(|| b.field_error(path, "must be a string"))
    }

    fn wrong(expected: Api, found: &str) -> EstimateError {
        EstimateError::WrongFamily {
            expected,
            found: found.to_string(),
        }
    }

    /// Refuses bodies that are plainly another family's.
    fn check_family(b: &Builder, o: &Map<String, Value>) -> Result<(), EstimateError> {
        let api = b.api;
        if o.contains_key("contents") && api != Api::Gemini {
            return Err(wrong(api, "a Gemini generateContent request (`contents`)"));
        }
        match api {
            Api::OpenAiChat if !o.contains_key("messages") && o.contains_key("input") => {
                Err(wrong(
                    api,
                    "an OpenAI Responses or embeddings request (`input`, no `messages`)",
                ))
            }
            Api::OpenAiResponses | Api::OpenAiEmbeddings if o.contains_key("messages") => {
                Err(wrong(
                    api,
                    "a chat request (`messages`): use openai-chat or anthropic",
                ))
            }
            _ => Ok(()),
        }
    }

    /// `POST /v1/chat/completions`.
    pub(crate) fn chat(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
        let o = object(b, req, "")?;
        check_family(b, o)?;
        let cfg = &data::models().openai_chat;
        let note = format!(
            "{} per message, {} per name, {} to prime the reply ({})",
            cfg.tokens_per_message, cfg.tokens_per_name, cfg.reply_priming, cfg.source
        );
        let messages = o
            .get("messages")
            .ok_or_else(|| b.field_error("messages", "is required"))?;
        for (i, m) in array(b, messages, "messages")?.iter().enumerate() {
            let path = index("messages", i);
            let m = object(b, m, &path)?;
            b.framing(cfg.tokens_per_message, &note);
            for (key, v) in m {
                let p = join(&path, key);
                match key.as_str() {
                    "content" => chat_content(b, v, &p)?,
                    "name" => {
                        b.text(string(b, v, &p)?);
                        b.framing(cfg.tokens_per_name, &note);
                    }
                    "tool_calls" => {
                        for (j, call) in array(b, v, &p)?.iter().enumerate() {
                            let cp = index(&p, j);
                            let call = object(b, call, &cp)?;
                            if let Some(f) = call.get("function") {
                                let f = object(b, f, &join(&cp, "function"))?;
                                for k in ["name", "arguments"] {
                                    if let Some(s) = f.get(k) {
                                        b.json(s);
                                    }
                                }
                            } else if let Some(c) = call.get("custom") {
                                b.json(c);
                            }
                            if let Some(id) = call.get("id") {
                                b.json(id);
                            }
                        }
                    }
                    "function_call" | "audio" => b.json(v),
                    // Role, tool_call_id, refusal: text the cookbook counts as it is.
                    _ => match v {
                        Value::String(s) => b.text(s),
                        Value::Null | Value::Bool(_) | Value::Number(_) => {}
                        other => b.json(other),
                    },
                }
            }
        }
        b.framing(cfg.reply_priming, &note);
        let mut tools = Tools::new(b, true);
        for key in ["tools", "functions"] {
            let Some(list) = o.get(key) else { continue };
            for (i, t) in array(b, list, key)?.iter().enumerate() {
                let tp = index(key, i);
                let t = object(b, t, &tp)?;
                // Chat tools wrap the definition in `function`; legacy `functions` are bare.
                let f = match t.get("function") {
                    Some(f) => object(b, f, &join(&tp, "function"))?,
                    None => t,
                };
                tools.function(b, f);
            }
        }
        tools.finish(b);
        let n = b.count_field("n", o.get("n"))?;
        let (field, given) = match (o.get("max_completion_tokens"), o.get("max_tokens")) {
            (Some(v), _) if !v.is_null() => ("max_completion_tokens", Some(v)),
            (_, Some(v)) if !v.is_null() => ("max_tokens", Some(v)),
            _ => ("max_completion_tokens", None),
        };
        b.output(field, given, n)
    }

    /// Tool definitions counted with OpenAI's published formula (see `[[openai_tools]]` in
    /// `estimate/models.toml`), itemized as one part.
    struct Tools {
        func_init: i64,
        prop_init: i64,
        prop_key: i64,
        enum_init: i64,
        enum_item: i64,
        func_end: i64,
        source: String,
        /// The model has a row and the counter is exact: the formula is the API's count.
        exact_row: bool,
        /// Every schema so far is one the formula describes.
        covered: bool,
        /// Measured against the API for this request family (chat).
        measured: bool,
        functions: u64,
        /// Tokens of what the formula does not describe (other tools, schema parts).
        extra: u64,
        total: i64,
    }

    impl Tools {
        fn new(b: &Builder, measured: bool) -> Tools {
            let table = &data::models().openai_tools;
            let own = table.get(&b.model);
            // A model without a row: the row for its encoding, else the default row (both
            // named in estimate/models.toml; the file's check guarantees a default).
            let encoding = match b.counter {
                crate::tokens::Counter::Exact(e) => Some(e.name()),
                crate::tokens::Counter::Approx(_) => None,
            };
            let row = own
                .or_else(|| {
                    let e = encoding?;
                    table
                        .items
                        .iter()
                        .find(|r| r.encoding.as_deref() == Some(e))
                })
                .or_else(|| table.items.iter().find(|r| r.default));
            let row = row.expect("estimate/models.toml has a default openai_tools row");
            Tools {
                func_init: row.func_init,
                prop_init: row.prop_init,
                prop_key: row.prop_key,
                enum_init: row.enum_init,
                enum_item: row.enum_item,
                func_end: row.func_end,
                source: row.source.clone(),
                exact_row: own.is_some() && b.counter.is_exact(),
                covered: true,
                measured,
                functions: 0,
                extra: 0,
                total: 0,
            }
        }

        fn tokens(b: &mut Builder, s: &str) -> i64 {
            i64::try_from(b.count(s)).unwrap_or(i64::MAX)
        }

        /// Counts what the formula does not describe as its compact JSON.
        fn uncovered(&mut self, b: &mut Builder, v: &Value) {
            self.covered = false;
            let n = b.count(&v.to_string());
            self.extra = self.extra.saturating_add(n);
        }

        /// One function definition: `{"name", "description", "parameters"}`.
        fn function(&mut self, b: &mut Builder, f: &Map<String, Value>) {
            self.functions += 1;
            let mut n = self.func_init;
            let name = match f.get("name") {
                Some(Value::String(s)) => s.as_str(),
                other => {
                    self.uncovered(b, other.unwrap_or(&Value::Null));
                    ""
                }
            };
            let desc = f.get("description").and_then(Value::as_str).unwrap_or("");
            n = n.saturating_add(Self::tokens(b, &format!("{name}:{}", strip_period(desc))));
            for (k, v) in f {
                match k.as_str() {
                    "name" | "description" | "type" | "strict" => {}
                    "parameters" => n = n.saturating_add(self.parameters(b, v)),
                    _ => self.uncovered(b, v),
                }
            }
            self.total = self.total.saturating_add(n);
        }

        /// A function's parameters: a JSON schema of type object whose properties have a
        /// type, a description and perhaps an enum of strings.
        fn parameters(&mut self, b: &mut Builder, v: &Value) -> i64 {
            let Some(p) = v.as_object() else {
                self.uncovered(b, v);
                return 0;
            };
            let mut n = 0i64;
            for (k, v) in p {
                match (k.as_str(), v) {
                    ("type", Value::String(t)) if t == "object" => {}
                    ("required", _) | ("additionalProperties", _) => {}
                    ("properties", Value::Object(props)) => {
                        if !props.is_empty() {
                            n = n.saturating_add(self.prop_init);
                        }
                        for (key, schema) in props {
                            n = n.saturating_add(self.prop_key);
                            n = n.saturating_add(self.property(b, key, schema));
                        }
                    }
                    _ => self.uncovered(b, v),
                }
            }
            n
        }

        fn property(&mut self, b: &mut Builder, key: &str, schema: &Value) -> i64 {
            let Some(s) = schema.as_object() else {
                self.uncovered(b, schema);
                return Self::tokens(b, &format!("{key}::"));
            };
            let mut n = 0i64;
            let mut kind = "";
            let mut desc = "";
            for (k, v) in s {
                match (k.as_str(), v) {
                    ("type", Value::String(t)) => kind = t,
                    ("description", Value::String(d)) => desc = d,
                    ("enum", Value::Array(items)) => {
                        n = n.saturating_add(self.enum_init);
                        for item in items {
                            n = n.saturating_add(self.enum_item);
                            match item {
                                Value::String(x) => n = n.saturating_add(Self::tokens(b, x)),
                                other => {
                                    self.covered = false;
                                    n = n.saturating_add(Self::tokens(b, &other.to_string()));
                                }
                            }
                        }
                    }
                    _ => self.uncovered(b, v),
                }
            }
            n.saturating_add(Self::tokens(
                b,
                &format!("{key}:{kind}:{}", strip_period(desc)),
            ))
        }

        fn finish(self, b: &mut Builder) {
            if self.functions == 0 && self.extra == 0 {
                return;
            }
            let total = self.total.saturating_add(self.func_end);
            // The negative enum constant can only offset what the same property added.
            let total = u64::try_from(total).unwrap_or(0).saturating_add(self.extra);
            let exact = self.exact_row && self.covered && self.measured;
            b.tools_basis = if exact {
                crate::request::Basis::Formula
            } else {
                crate::request::Basis::Estimated
            };
            let note = format!(
            "OpenAI's function counting: {} + \"name:description\" per function, {} + {} per property, {} + {} per enum item, {} at the end{} ({})",
            self.func_init,
            self.prop_init,
            self.prop_key,
            self.enum_init,
            self.enum_item,
            self.func_end,
            if exact {
                ""
            } else {
                "; estimated: schema parts the formula does not describe, other tools, a model or request family it was not published for count their JSON"
            },
            self.source
        );
            b.tool_tokens(total, &note);
        }
    }

    /// One trailing period dropped, as OpenAI's rendering does.
    fn strip_period(s: &str) -> &str {
        s.strip_suffix('.').unwrap_or(s)
    }

    fn chat_content(b: &mut Builder, v: &Value, path: &str) -> Result<(), EstimateError> {
        let parts = match v {
            Value::String(s) => {
                b.text(s);
                return Ok(());
            }
            Value::Null => return Ok(()),
            Value::Array(a) => a,
            _ => return Err(b.field_error(path, "must be a string or an array of content parts")),
        };
        for (i, part) in parts.iter().enumerate() {
            let pp = index(path, i);
            let p = object(b, part, &pp)?;
            let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
            match kind {
            "text" | "input_text" | "output_text" | "refusal" => {
                let key = if kind == "refusal" { "refusal" } else { "text" };
                let t = p.get(key).ok_or_else(|| b.field_error(&join(&pp, key), "is required"))?;
                b.text(string(b, t, &join(&pp, key))?);
            }
            "image_url" => {
                let iu = p.get("image_url").ok_or_else(|| b.field_error(&join(&pp, "image_url"), "is required"))?;
                // Either {"url": ..., "detail": ...} or a bare URL string.
                let (url, detail) = match iu {
                    Value::String(s) => (s.as_str(), None),
                    Value::Object(m) => (
                        m.get("url").and_then(Value::as_str).ok_or_else(|| b.field_error(&join(&pp, "image_url.url"), "is required"))?,
                        m.get("detail").and_then(Value::as_str),
                    ),
                    _ => return Err(b.field_error(&join(&pp, "image_url"), "must be an object with `url`")),
                };
                image(b, &pp, url, detail)?;
            }
            "input_audio" => {
                return Err(b.media_error(
                    &pp,
                    "OpenAI publishes no tokens-per-second figure for input audio, so its tokens cannot be estimated",
                ))
            }
            "file" => {
                let f = p.get("file").and_then(Value::as_object).ok_or_else(|| b.field_error(&join(&pp, "file"), "must be an object"))?;
                file(b, &pp, f.get("file_data").and_then(Value::as_str), f.get("file_id"))?;
            }
            "image" | "document" | "tool_use" | "tool_result" => {
                return Err(wrong(b.api, "an Anthropic Messages request (content blocks of type `image`/`document`/`tool_use`)"))
            }
            "" => return Err(b.field_error(&join(&pp, "type"), "is required")),
            other => return Err(b.field_error(&join(&pp, "type"), format!("`{other}` is not a content part type this estimator knows"))),
        }
        }
        Ok(())
    }

    /// An image given by URL (`data:` or remote) to an OpenAI model.
    fn image(
        b: &mut Builder,
        path: &str,
        url: &str,
        detail: Option<&str>,
    ) -> Result<(), EstimateError> {
        let detail = Detail::parse(detail).ok_or_else(|| {
            b.field_error(&join(path, "detail"), "must be `low`, `high` or `auto`")
        })?;
        let dims: Option<Dims> = match media::data_url(url) {
            Some((_, data)) => media::image_dims_b64(data),
            None => None,
        };
        let m = vision::openai_image(&b.model, dims, detail).map_err(|_| {
            b.media_error(
                path,
                format!(
                    "no image formula is known for model `{}` (estimate/vision.toml)",
                    b.model
                ),
            )
        })?;
        b.media(path, "image", m)?;
        Ok(())
    }

    /// A file part: a PDF given inline (pages counted), or by id (pages unknown).
    fn file(
        b: &mut Builder,
        path: &str,
        data: Option<&str>,
        id: Option<&Value>,
    ) -> Result<(), EstimateError> {
        let Some(data) = data else {
            let what = if id.is_some() {
                "a file given by id"
            } else {
                "a file part without data"
            };
            return Err(b.media_error(
                path,
                format!("{what}: its pages cannot be counted from the request"),
            ));
        };
        let payload = media::data_url(data).map_or(data, |(_, d)| d);
        let pages = media::decode_all(payload)
            .and_then(|bytes| media::pdf_pages(&bytes))
            .ok_or_else(|| {
                b.media_error(path, "the file is not a PDF whose pages can be counted")
            })?;
        let m = vision::pdf(PdfFamily::OpenAi, &b.model, pages)
            .map_err(|_| b.media_error(path, "no PDF formula"))?;
        b.media(path, "PDF", m)?;
        Ok(())
    }

    /// `POST /v1/responses`.
    pub(crate) fn responses(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
        let o = object(b, req, "")?;
        check_family(b, o)?;
        let cfg = &data::models().openai_chat;
        let note = format!(
            "{} per message, {} to prime the reply (as chat; {})",
            cfg.tokens_per_message, cfg.reply_priming, cfg.source
        );
        if let Some(i) = o.get("instructions").filter(|v| !v.is_null()) {
            b.text(string(b, i, "instructions")?);
            b.framing(cfg.tokens_per_message, &note);
        }
        match o.get("input") {
            None | Some(Value::Null) => return Err(b.field_error("input", "is required")),
            Some(Value::String(s)) => {
                b.text(s);
                b.framing(cfg.tokens_per_message, &note);
            }
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let ip = index("input", i);
                    let it = object(b, item, &ip)?;
                    let kind = it.get("type").and_then(Value::as_str).unwrap_or("message");
                    b.framing(cfg.tokens_per_message, &note);
                    match kind {
                        "message" => {
                            if let Some(r) = it.get("role") {
                                b.text(string(b, r, &join(&ip, "role"))?);
                            }
                            let c = it.get("content").ok_or_else(|| {
                                b.field_error(&join(&ip, "content"), "is required")
                            })?;
                            responses_content(b, c, &join(&ip, "content"))?;
                        }
                        "function_call" | "custom_tool_call" => {
                            for k in ["name", "arguments", "input", "call_id"] {
                                if let Some(v) = it.get(k) {
                                    b.json(v);
                                }
                            }
                        }
                        "function_call_output" | "custom_tool_call_output" => {
                            if let Some(v) = it.get("output") {
                                b.json(v);
                            }
                        }
                        "reasoning" => {
                            if let Some(Value::Array(s)) = it.get("summary") {
                                for x in s {
                                    if let Some(t) = x.get("text") {
                                        b.json(t);
                                    }
                                }
                            }
                        }
                        "item_reference" => {}
                        // Built-in tool calls and their results: their JSON, approximately.
                        _ => b.json(item),
                    }
                }
            }
            Some(_) => return Err(b.field_error("input", "must be a string or an array of items")),
        }
        b.framing(cfg.reply_priming, &note);
        // Responses renders function tools as chat does, as far as is published; the formula
        // was measured on chat, so the count is flagged estimated.
        let mut tools = Tools::new(b, false);
        if let Some(list) = o.get("tools") {
            for (i, t) in array(b, list, "tools")?.iter().enumerate() {
                let t = object(b, t, &index("tools", i))?;
                if t.get("type").and_then(Value::as_str) == Some("function") {
                    tools.function(b, t);
                } else {
                    // Built-in tools (web search, file search, …): their JSON.
                    tools.uncovered(b, &Value::Object(t.clone()));
                }
            }
        }
        tools.finish(b);
        b.output(
            "max_output_tokens",
            o.get("max_output_tokens").filter(|v| !v.is_null()),
            1,
        )
    }

    fn responses_content(b: &mut Builder, v: &Value, path: &str) -> Result<(), EstimateError> {
        let parts = match v {
            Value::String(s) => {
                b.text(s);
                return Ok(());
            }
            Value::Array(a) => a,
            _ => return Err(b.field_error(path, "must be a string or an array of content parts")),
        };
        for (i, part) in parts.iter().enumerate() {
            let pp = index(path, i);
            let p = object(b, part, &pp)?;
            match p.get("type").and_then(Value::as_str).unwrap_or("") {
            "input_text" | "output_text" | "text" | "summary_text" => {
                let t = p.get("text").ok_or_else(|| b.field_error(&join(&pp, "text"), "is required"))?;
                b.text(string(b, t, &join(&pp, "text"))?);
            }
            "refusal" => b.json(p.get("refusal").unwrap_or(&Value::Null)),
            "input_image" => {
                let url = p.get("image_url").and_then(Value::as_str).unwrap_or("");
                image(b, &pp, url, p.get("detail").and_then(Value::as_str))?;
            }
            "input_file" => file(b, &pp, p.get("file_data").and_then(Value::as_str), p.get("file_id"))?,
            "input_audio" => {
                return Err(b.media_error(
                    &pp,
                    "OpenAI publishes no tokens-per-second figure for input audio, so its tokens cannot be estimated",
                ))
            }
            "" => return Err(b.field_error(&join(&pp, "type"), "is required")),
            other => return Err(b.field_error(&join(&pp, "type"), format!("`{other}` is not a content part type this estimator knows"))),
        }
        }
        Ok(())
    }

    /// `POST /v1/embeddings`: input only; token arrays count as their length.
    pub(crate) fn embeddings(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
        let o = object(b, req, "")?;
        check_family(b, o)?;
        let input = o
            .get("input")
            .ok_or_else(|| b.field_error("input", "is required"))?;
        let mut ids = 0u64;
        match input {
            Value::String(s) => b.text(s),
            Value::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    let p = index("input", i);
                    match it {
                        Value::String(s) => b.text(s),
                        Value::Number(_) => ids = ids.saturating_add(1),
                        Value::Array(a) => {
                            if a.iter().any(|x| !x.is_u64()) {
                                return Err(b.field_error(&p, "must be an array of token ids"));
                            }
                            ids = ids.saturating_add(crate::family::bound::count64(a.len()));
                        }
                        Value::Object(_) => {
                            return Err(wrong(
                                b.api,
                                "an OpenAI Responses request (`input` holds items, not texts)",
                            ))
                        }
                        _ => return Err(b.field_error(&p, "must be a string or token ids")),
                    }
                }
            }
            _ => {
                return Err(b.field_error(
                    "input",
                    "must be a string, an array of strings, or token ids",
                ))
            }
        }
        if ids > 0 {
            b.media(
                "input",
                "token ids",
                vision::MediaTokens {
                    tokens: ids,
                    basis: crate::request::Basis::Exact,
                    note: "token ids given by the request, one token each".into(),
                },
            )?;
        }
        Ok(())
    }
}
