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
//! use tariff_metering::extract::{extract, Api};
//! let body = r#"{"object":"chat.completion","model":"gpt-4o","usage":{"prompt_tokens":1000,
//!   "completion_tokens":300,"total_tokens":1300,"prompt_tokens_details":{"cached_tokens":600},
//!   "completion_tokens_details":{"reasoning_tokens":100}}}"#;
//! let usage = extract(Api::OpenAiChat, body.as_bytes())?;
//! assert_eq!((usage.input_tokens.get(), usage.cache_read_tokens.get()), (400, 600));
//! assert_eq!((usage.output_tokens.get(), usage.reasoning_tokens.get()), (200, 100));
//! # Ok::<(), tariff_metering::extract::ExtractError>(())
//! ```

mod anthropic;
mod audio;
mod dashscope;
mod embed;
mod family;
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
mod request;
mod rerank;
mod sse;
mod video;

use serde::de::DeserializeOwned;

pub use openai::{CACHE_OPTION, RESERVED_CAPACITY};
pub use request::{CONTAINER_MEMORY, SEARCH_CONTEXT_SIZE, WEB_SEARCH_TOOL};
pub use sse::StreamMeter;

/// Request readers shared with the request estimates.
pub(crate) use embed::request_usage as gemini_embedding_request;
pub(crate) use rerank::{documents as rerank_documents, searches_for as rerank_searches};
pub(crate) use {audio::billed as billed_audio_seconds, form::file as form_file};

pub use crate::request::{Api, ExtractError};
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

/// Meters one complete response body.
///
/// A body that shows another family's markers is refused with
/// [`ExtractError::WrongFamily`] naming the family it looks like.
pub fn extract(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    family::check_event(api, body)?;
    extract_checked(api, body)
}

fn extract_checked(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    match api {
        Api::OpenAiChat => openai::chat(body),
        Api::OpenAiResponses => openai::responses(body),
        Api::OpenAiEmbeddings => openai::embeddings(body),
        Api::Anthropic => anthropic::message(body),
        Api::Gemini => gemini::generate(body),
        Api::OpenAiSpeech
        | Api::OpenAiTranscription
        | Api::MiniMaxTts
        | Api::DoubaoTts
        | Api::Suno
        | Api::Udio
        | Api::GeminiEmbeddings
        | Api::Rerank
        | Api::OpenAiModerations => media::meter(api, body, None),
        Api::OpenAiImages => images::openai(body, None),
        Api::Seedream => images::seedream(body),
        Api::QwenImage => qwen_image::result(body, None),
        Api::Imagen => images::imagen(body),
        Api::Midjourney => midjourney::task(body),
        Api::OpenAiVideo
        | Api::SoraChat
        | Api::Veo
        | Api::WanVideo
        | Api::Seedance
        | Api::Kling
        | Api::Jimeng
        | Api::Luma
        | Api::Runway => video::extract(api, body, None),
        Api::DashScope => dashscope::generation(body),
    }
}

/// Meters a body that may be a saved SSE stream or a plain JSON body: a body whose first
/// non-blank byte is `{` is read as JSON, anything else as SSE.
pub fn extract_any(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    family::check_event(api, body)?;
    any_checked(api, body)
}

/// [`extract_any`] for a body whose family was checked.
fn any_checked(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    if media::is_media(api) {
        return media::meter(api, body, None);
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

/// Meters a response together with the request that produced it. Families priced from the
/// request (images by size and quality, video by the seconds asked for, speech by its
/// characters) need it and fail with [`ExtractError::MissingRequest`] without it; the
/// others read the response alone, as [`extract_any`] does, and take from a request, when
/// given, the settings that select a tool fee (a search model's `search_context_size`, the
/// Responses web-search tool version, a code-interpreter container's memory).
///
/// ```
/// use tariff_metering::extract::{extract_with_request, Api, ExtractError};
/// // Text-to-speech answers with the audio itself: the characters come from the request.
/// let audio = b"ID3\x04\x00\x00\xff\xfb\x90";
/// let request = r#"{"model":"tts-1","input":"Hello, world!","voice":"alloy"}"#;
/// let usage = extract_with_request(Api::OpenAiSpeech, audio, Some(request.as_bytes()))?;
/// assert_eq!(usage.characters.get(), 13);
/// assert!(matches!(
///     extract_with_request(Api::OpenAiSpeech, audio, None),
///     Err(ExtractError::MissingRequest { .. })
/// ));
/// use tariff_core::Catalog;
/// // DALL·E reports no usage: the images are counted from the response, sized from the request.
/// let response = br#"{"created":1700000000,"data":[{"url":"https://example.com/1.png"}]}"#;
/// let request = br#"{"model":"dall-e-3","prompt":"a lighthouse","size":"1024x1792","quality":"hd"}"#;
/// let usage = extract_with_request(Api::OpenAiImages, response, Some(request))?;
/// let bill = Catalog::builtin().quote("dall-e-3", &usage).unwrap();
/// assert_eq!(bill.total.to_string(), "0.12");
/// // Without the request the price cannot be known: an error, never a guess.
/// let missing = extract_with_request(Api::OpenAiImages, response, None);
/// assert_eq!(missing, Err(ExtractError::MissingRequest { api: Api::OpenAiImages }));
/// // A Veo operation lists its videos but not their length: the request says 6 s at 1080p.
/// let op = br#"{"name":"models/veo-3.0-generate-001/operations/x","done":true,
///   "response":{"generateVideoResponse":{"generatedSamples":[{"video":{"uri":"u"}}]}}}"#;
/// let req = br#"{"instances":[{"prompt":"otters"}],"parameters":{"durationSeconds":6,"resolution":"1080p"}}"#;
/// let usage = extract_with_request(Api::Veo, op, Some(req))?;
/// assert_eq!((usage.video_seconds.get().to_string(), usage.resolution.as_deref()), ("6".into(), Some("1080p")));
/// assert!(matches!(extract_with_request(Api::Veo, op, None), Err(ExtractError::MissingRequest { .. })));
/// // A search model searches on every request; the request says how much context.
/// let body = br#"{"object":"chat.completion","model":"gpt-4o-search-preview",
///   "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#;
/// let request = br#"{"model":"gpt-4o-search-preview","messages":[],
///   "web_search_options":{"search_context_size":"high"}}"#;
/// let u = extract_with_request(Api::OpenAiChat, body, Some(request))?;
/// assert_eq!(u.web_search_calls.get(), 1);
/// assert_eq!(u.options["search_context_size"], "high");
/// # Ok::<(), ExtractError>(())
/// ```
pub fn extract_with_request(
    api: Api,
    body: &[u8],
    request: Option<&[u8]>,
) -> Result<Usage, ExtractError> {
    family::check_event(api, body)?;
    if video::is_video(api) {
        return video::extract(api, body, request);
    }
    if media::is_media(api) {
        return media::meter(api, body, request);
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let mut usage = match api {
        Api::OpenAiImages if first == Some(&b'{') => images::openai(body, request)?,
        Api::QwenImage if first == Some(&b'{') => qwen_image::result(body, request)?,
        _ => any_checked(api, body)?,
    };
    if let Some(r) = request {
        apply_request(api, r, &mut usage)?;
    }
    Ok(usage)
}

/// Adds to a metered chat or Responses usage the settings its request holds that select a
/// tool fee; other families read their request while metering, so this leaves them alone.
pub(crate) fn apply_request(
    api: Api,
    request: &[u8],
    usage: &mut Usage,
) -> Result<(), ExtractError> {
    if matches!(api, Api::OpenAiChat | Api::OpenAiResponses) {
        request::apply(api, request, usage)?;
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

/// The estimate of a media request whose request alone fixes the bill (speech, DALL·E,
/// video tasks, Suno, Udio): the usage its answer will bill when the vendor does what was
/// asked, with a part saying which quantities were read, defaulted (with the default's
/// source) or bounded. `None` for other families.
pub(crate) fn request_noted(api: Api, model: &str, request: &[u8]) -> Option<video::Noted> {
    match api {
        Api::OpenAiSpeech | Api::MiniMaxTts | Api::DoubaoTts => {
            Some(audio::speech_request(api, request))
        }
        Api::OpenAiImages => Some(images::openai_request(request)),
        Api::Suno => Some(music::suno_request(request, model)),
        Api::Udio => Some(music::udio_request(request)),
        _ => video::request_noted(api, model, request),
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
