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

pub use crate::family::{
    detect, Detected, Form, StreamMeter, CACHE_OPTION, CONTAINER_MEMORY, RESERVED_CAPACITY,
    SEARCH_CONTEXT_SIZE, THINKING_OPTION, WEB_SEARCH_TOOL,
};
pub use crate::request::{Api, ExtractError};
use crate::usage::Usage;

/// Meters one complete response body.
///
/// A body that shows another family's markers is refused with
/// [`ExtractError::WrongFamily`] naming the family it looks like.
pub fn extract(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    crate::family::meter(api, body)
}

/// Meters a body that may be a saved SSE stream or a plain JSON body: a body whose first
/// non-blank byte is `{` is read as JSON, anything else as SSE.
pub fn extract_any(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    crate::family::meter_any(api, body)
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
/// assert_eq!(bill.total().to_string(), "0.12");
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
    crate::family::meter_with_request(api, body, request)
}

/// [`extract_with_request`] with the models the answer and its request name resolved in
/// `catalog`, so that a model a relay defines in its own table meters under the vendor
/// defaults its `[[model]]` sets (`formula = "dall-e-3"`, `"sora"`, `"web-search"`, …) as
/// the built-in model of that family does. A name the catalog resolves to a model without
/// a formula gets none (it is not read off the name); a name it does not resolve is looked
/// up in the data files (`estimate/models.toml`), as [`extract_with_request`] does for
/// every name.
///
/// ```
/// use tariff_core::CatalogBuilder;
/// use tariff_metering::extract::{extract_with_request, extract_with_request_in, Api};
/// let relay = CatalogBuilder::new().text("relay.toml", r#"
///     provider = "acme"
///     currency = "USD"
///     [[model]]
///     id = "house-painter"
///     kind = "image"
///     formula = "dall-e-3"
///     [[model.price]]
///     source = "https://acme.example/pricing"
///     as_of = 2025-11-01
///     rates = { images = [{ size = "1024x1024", quality = "standard", price = 0.04 }] }
/// "#).build()?;
/// let response = br#"{"created":1700000000,"data":[{"url":"https://example.com/1.png"}]}"#;
/// let request = br#"{"model":"house-painter","prompt":"a lighthouse"}"#;
/// // DALL·E 3's defaults: 1024x1024, standard.
/// let usage = extract_with_request_in(&relay, Api::OpenAiImages, response, Some(request))?;
/// let img = &usage.images[0];
/// assert_eq!((img.size.as_deref(), img.quality.as_deref()), (Some("1024x1024"), Some("standard")));
/// assert_eq!(relay.quote("house-painter", &usage)?.total().to_string(), "0.04");
/// // Without the relay's catalog the name has no formula: no size or quality is assumed.
/// let bare = extract_with_request(Api::OpenAiImages, response, Some(request))?;
/// assert_eq!((bare.images[0].size.as_deref(), bare.images[0].quality.as_deref()), (None, None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn extract_with_request_in(
    catalog: &crate::Catalog,
    api: Api,
    body: &[u8],
    request: Option<&[u8]>,
) -> Result<Usage, ExtractError> {
    crate::family::meter_with_request_in(
        crate::family::data::Facts::of(catalog),
        api,
        body,
        request,
    )
}
