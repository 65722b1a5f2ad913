//! Extractors: a provider's response body (or saved SSE stream) becomes a canonical
//! [`Usage`] record with exclusive buckets.
//!
//! Each vendor overlaps its numbers differently (OpenAI's `prompt_tokens` includes cached
//! tokens, Anthropic's `input_tokens` excludes cache reads and writes, Gemini's
//! `promptTokenCount` includes cached content while its candidates exclude thoughts). Each
//! extractor subtracts what is included exactly once and refuses numbers that cannot be
//! consistent (cached > prompt), so a bucket is never counted twice.
//!
//! ```
//! use tariff::extract::{extract, Api};
//! let body = r#"{"object":"chat.completion","model":"gpt-4o","usage":{"prompt_tokens":1000,
//!   "completion_tokens":300,"total_tokens":1300,"prompt_tokens_details":{"cached_tokens":600},
//!   "completion_tokens_details":{"reasoning_tokens":100}}}"#;
//! let usage = extract(Api::OpenAiChat, body.as_bytes())?;
//! assert_eq!((usage.input_tokens.get(), usage.cache_read_tokens.get()), (400, 600));
//! assert_eq!((usage.output_tokens.get(), usage.reasoning_tokens.get()), (200, 100));
//! # Ok::<(), tariff::extract::ExtractError>(())
//! ```

mod anthropic;
mod dashscope;
mod gemini;
mod openai;
mod request;
mod sse;

use std::fmt;

use serde::de::DeserializeOwned;

pub use openai::{CACHE_OPTION, RESERVED_CAPACITY};
pub use request::{CONTAINER_MEMORY, SEARCH_CONTEXT_SIZE, WEB_SEARCH_TOOL};
pub use sse::StreamMeter;

use crate::usage::{Count, Tokens, Usage};

/// The API families whose responses can be metered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// OpenAI Chat Completions (`/v1/chat/completions`), and legacy Completions.
    OpenAiChat,
    /// OpenAI Responses (`/v1/responses`).
    OpenAiResponses,
    /// OpenAI embeddings (`/v1/embeddings`), and relays' OpenAI-compatible embeddings.
    OpenAiEmbeddings,
    /// Anthropic Messages (`/v1/messages`).
    Anthropic,
    /// Gemini `generateContent` / `streamGenerateContent`.
    Gemini,
    /// DashScope native generation (Qwen: `{"output": ..., "usage": {"input_tokens": ...}}`).
    DashScope,
}

impl Api {
    /// Every family, in the order `--help` lists them.
    pub const ALL: [Api; 6] = [
        Api::OpenAiChat,
        Api::OpenAiResponses,
        Api::OpenAiEmbeddings,
        Api::Anthropic,
        Api::Gemini,
        Api::DashScope,
    ];

    /// The format name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Api::OpenAiChat => "openai-chat",
            Api::OpenAiResponses => "openai-responses",
            Api::OpenAiEmbeddings => "openai-embeddings",
            Api::Anthropic => "anthropic",
            Api::Gemini => "gemini",
            Api::DashScope => "dashscope",
        }
    }

    /// Parses a format name.
    pub fn parse(name: &str) -> Option<Api> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A response body that cannot be metered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Not JSON, or JSON of an unexpected shape.
    #[error(
        "{api} body is not valid: {message} at byte {offset}{}",
        path_note(path)
    )]
    Json {
        /// The format being read.
        api: Api,
        /// What was wrong.
        message: String,
        /// Byte offset in the input (0-based) near the error.
        offset: usize,
        /// JSON path of the offending value, when known.
        path: String,
    },
    /// The body belongs to another API family.
    #[error("this is not a {expected} body: it looks like {found}")]
    WrongFamily {
        /// The format asked for.
        expected: Api,
        /// What it looks like instead.
        found: String,
    },
    /// The body has no usage report (e.g. an error body, or a stream cut short).
    #[error("the {api} body has no usage report{}", hint_note(hint))]
    MissingUsage {
        /// The format being read.
        api: Api,
        /// What was seen instead, if anything useful.
        hint: String,
    },
    /// The family prices from the request (image size, seconds asked for, characters to
    /// speak), and none was given.
    #[error("{api} is priced from its request as well as its response; pass the request")]
    MissingRequest {
        /// The format being read.
        api: Api,
    },
    /// The reported numbers contradict each other.
    #[error("inconsistent {api} usage: {detail}")]
    Inconsistent {
        /// The format being read.
        api: Api,
        /// What does not add up, naming the fields.
        detail: String,
    },
}

fn path_note(p: &str) -> String {
    if p.is_empty() || p == "." {
        String::new()
    } else {
        format!(" (field `{p}`)")
    }
}

fn hint_note(h: &str) -> String {
    if h.is_empty() {
        String::new()
    } else {
        format!(": {h}")
    }
}

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
    };
    Err(ExtractError::WrongFamily {
        expected,
        found: found.to_string(),
    })
}

/// Meters one complete response body.
pub fn extract(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    match api {
        Api::OpenAiChat => openai::chat(body),
        Api::OpenAiResponses => openai::responses(body),
        Api::OpenAiEmbeddings => openai::embeddings(body),
        Api::Anthropic => anthropic::message(body),
        Api::Gemini => gemini::generate(body),
        Api::DashScope => dashscope::generation(body),
    }
}

/// Meters a body that may be a saved SSE stream or a plain JSON body: a body whose first
/// non-blank byte is `{` is read as JSON, anything else as SSE.
pub fn extract_any(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        extract(api, body)
    } else {
        let mut meter = StreamMeter::new(api);
        meter.feed(body)?;
        meter.finish()
    }
}

/// Meters a response together with the request that produced it. Families priced from the
/// request (images by size and quality, video by the seconds asked for, speech by its
/// characters) need it and fail with [`ExtractError::MissingRequest`] without it; the
/// others read the response alone, as [`extract_any`] does, and take from a request, when
/// given, the settings that select a tool fee (a search model's `search_context_size`, the
/// Responses web-search tool version, a code-interpreter container's memory).
///
/// ```
/// use tariff::extract::{extract_with_request, Api};
/// let body = br#"{"object":"chat.completion","model":"gpt-4o-search-preview",
///   "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#;
/// let request = br#"{"model":"gpt-4o-search-preview","messages":[],
///   "web_search_options":{"search_context_size":"high"}}"#;
/// let u = extract_with_request(Api::OpenAiChat, body, Some(request))?;
/// assert_eq!(u.web_search_calls.get(), 1);
/// assert_eq!(u.options["search_context_size"], "high");
/// # Ok::<(), tariff::extract::ExtractError>(())
/// ```
pub fn extract_with_request(
    api: Api,
    body: &[u8],
    request: Option<&[u8]>,
) -> Result<Usage, ExtractError> {
    let mut usage = extract_any(api, body)?;
    if let (Some(r), Api::OpenAiChat | Api::OpenAiResponses) = (request, api) {
        request::apply(api, r, &mut usage)?;
    }
    Ok(usage)
}

/// Parses JSON into `T`, reporting the byte offset and path of the first problem.
pub(crate) fn parse<T: DeserializeOwned>(api: Api, body: &[u8]) -> Result<T, ExtractError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ExtractError::Json {
            api,
            offset: byte_offset(body, inner.line(), inner.column()),
            message: strip(&inner.to_string()),
            path,
        }
    })
}

fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut l = 1;
    for (i, b) in body.iter().enumerate() {
        if l == line {
            return (i + column.saturating_sub(1)).min(body.len());
        }
        if *b == b'\n' {
            l += 1;
        }
    }
    body.len()
}

fn strip(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
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
