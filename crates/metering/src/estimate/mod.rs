//! Request estimates: what a request will consume at most, before it is sent, so a relay
//! can hold enough quota for it.
//!
//! [`estimate`] reads a request body of one API family and returns an [`Estimate`]: an
//! upper-bound [`Usage`] (input from counting the request, output from its `max_tokens` or
//! the model's output limit, times `n`) that plugs into [`Catalog::quote`] and
//! `Ledger::hold` (tariff-operations), and the itemized [`Part`]s it was made of, each saying whether it is
//! exact (a public tokenizer, a vendor formula on known dimensions) or approximated (the
//! character-class estimator, an undocumented overhead, a default for unknown media).
//! The usage is always marked `estimated`, and so is every bill priced from it.
//!
//! Every constant that a vendor can change (per-message overheads, image tile and patch
//! sizes, tokens per second of video, output limits, GPT Image output tokens, Seedance frame
//! sizes) is data: `estimate/models.toml`, `estimate/vision.toml`, `estimate/images.toml` and
//! `estimate/seedance.toml`, keyed by model, each with its source; `estimate/text.toml` holds
//! the Qwen chat framing and which rerank and transcription models bill per search or second.
//!
//! ```
//! use tariff_metering::estimate::{estimate, Basis};
//! use tariff_metering::extract::Api;
//! use tariff_core::Catalog;
//!
//! let request = br#"{"model": "gpt-4o", "max_tokens": 500, "messages": [
//!     {"role": "system", "content": "You are terse."},
//!     {"role": "user", "content": [
//!         {"type": "text", "text": "What is in this picture?"},
//!         {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}}
//!     ]}
//! ]}"#;
//! let est = estimate(Api::OpenAiChat, "gpt-4o", request)?;
//! // Text counted exactly (o200k_base) plus framing, plus 85 tokens for a low-detail image.
//! assert_eq!(est.usage.input_tokens.get(), 3 + 1 + 4 + 3 + 1 + 6 + 85 + 3);
//! assert_eq!(est.usage.output_tokens.get(), 500);
//! assert!(est.usage.estimated);
//! assert!(est.parts.iter().all(|p| p.basis != Basis::Estimated));
//!
//! // Priced through the catalog, ready for a ledger hold.
//! let mut usage = est.usage.clone();
//! usage.at = Some("2025-11-01T00:00:00Z".parse().unwrap());
//! let bill = Catalog::builtin().quote("gpt-4o", &usage)?;
//! assert!(bill.estimated());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Catalog::quote`]: crate::Catalog::quote

pub use crate::family::bound::Estimate;
use crate::family::bound::Subject;
pub use crate::family::dims::{image_dims, media_seconds, pdf_pages, Dims, MediaDuration};
pub use crate::family::vision;
pub use crate::family::vision::{Detail, Resolution};
use crate::request::Api;
pub use crate::request::{Basis, EstimateError, Part};
use crate::usage::{Tokens, Usage};
use crate::{Catalog, Model};

/// Estimates the usage of a `request` body of family `api` for a resolved `model`: its text
/// is counted with the model's [`encoding`](Model::encoding) (estimated when it has none)
/// and a request that sets no output limit is bounded by its
/// [`max_output_tokens`](Model::max_output_tokens). A model a relay defines in its own
/// table (`encoding = "o200k_base"`, `max_output_tokens = N` on its `[[model]]`) estimates
/// exactly like a built-in one with the same facts.
///
/// ```
/// use tariff_core::CatalogBuilder;
/// use tariff_metering::estimate::{estimate, estimate_model};
/// use tariff_metering::extract::Api;
/// let relay = CatalogBuilder::new().text("relay.toml", r#"
///     provider = "acme"
///     currency = "USD"
///     [[model]]
///     id = "house-4o"
///     encoding = "o200k_base"
///     max_output_tokens = 16384
///     [[model.price]]
///     source = "https://acme.example/pricing"
///     as_of = 2025-11-01
///     rates = { input_tokens = 2.5, output_tokens = 10.0 }
/// "#).build()?;
/// let request = br#"{"messages":[{"role":"user","content":"Hi"}]}"#;
/// let ours = estimate_model(Api::OpenAiChat, relay.resolve("house-4o").unwrap(), request)?;
/// let builtin = estimate(Api::OpenAiChat, "gpt-4o", request)?;
/// assert_eq!((ours.usage, ours.parts), (builtin.usage, builtin.parts));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Errors: [`EstimateError::Json`] and [`EstimateError::Field`] for malformed requests,
/// [`EstimateError::WrongFamily`] for a request of another family,
/// [`EstimateError::NoOutputBound`] when neither the request nor the model bounds the
/// output, [`EstimateError::Media`] for media whose tokens cannot be worked out, and
/// [`EstimateError::Unsupported`] for families without an estimator.
pub fn estimate_model(api: Api, model: &Model, request: &[u8]) -> Result<Estimate, EstimateError> {
    crate::family::estimate(api, &Subject::of(model.id(), model), request)
}

/// Estimates a `request` for the model `catalog` resolves `model` to, as
/// [`estimate_model`] does; the estimate carries the name as given. A name the catalog
/// does not know is estimated honestly rather than guessed at: its text with the
/// estimator (never an encoding read off its name), and without an output limit, so a
/// request that sets none fails with [`EstimateError::NoOutputBound`].
pub fn estimate_in(
    catalog: &Catalog,
    api: Api,
    model: &str,
    request: &[u8],
) -> Result<Estimate, EstimateError> {
    crate::family::estimate(api, &subject(catalog, model), request)
}

/// [`estimate_in`] the built-in catalog ([`Catalog::builtin`]).
pub fn estimate(api: Api, model: &str, request: &[u8]) -> Result<Estimate, EstimateError> {
    estimate_in(Catalog::builtin(), api, model, request)
}

fn subject<'a>(catalog: &'a Catalog, model: &'a str) -> Subject<'a> {
    let facts = crate::family::data::Facts::of(catalog);
    match catalog.resolve(model) {
        Some(m) => Subject::of(model, m),
        None => Subject::unknown(model),
    }
    .with_facts(facts)
}

/// Why [`meter_or_estimate`] gave no usage: the response could not be metered, or the
/// request could not be estimated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettleError {
    /// The response is unreadable, of another family, or inconsistent.
    #[error(transparent)]
    Extract(#[from] crate::request::ExtractError),
    /// The request, needed for the estimate, could not be estimated.
    #[error(transparent)]
    Estimate(#[from] EstimateError),
}

/// Meters a response (plain body or saved stream) as
/// [`extract_with_request`](crate::extract::extract_with_request) does; when it is a stream
/// that ended without a usage report (a client disconnect, a relay that did not ask for
/// usage), settles instead on the request's estimate with the streamed text counted as the
/// output, marked `estimated`. Any other problem is an error, as without the fallback.
///
/// ```
/// use tariff_metering::estimate::meter_or_estimate;
/// use tariff_metering::extract::Api;
/// let request = br#"{"model":"gpt-4o","max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}"#;
/// let cut = b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Hello!\"}}]}\n\n";
/// let usage = meter_or_estimate(Api::OpenAiChat, "gpt-4o", cut, request)?;
/// assert_eq!((usage.output_tokens.get(), usage.estimated), (2, true));
/// # Ok::<(), tariff_metering::estimate::SettleError>(())
/// ```
pub fn meter_or_estimate(
    api: Api,
    model: &str,
    body: &[u8],
    request: &[u8],
) -> Result<Usage, SettleError> {
    meter_or_estimate_in(Catalog::builtin(), api, model, body, request)
}

/// [`meter_or_estimate`] with the model resolved in `catalog` (see [`estimate_in`]).
pub fn meter_or_estimate_in(
    catalog: &Catalog,
    api: Api,
    model: &str,
    body: &[u8],
    request: &[u8],
) -> Result<Usage, SettleError> {
    use crate::family::{data::Facts, meter_with_request_in, StreamMeter};
    let facts = Facts::of(catalog);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return Ok(meter_with_request_in(facts, api, body, Some(request))?);
    }
    // A stream: meter it with its text counted, and estimate only if it has no usage.
    let est = estimate_in(catalog, api, model, request)?;
    let mut meter = StreamMeter::new(api).count_text(est.output_counter());
    meter.feed(body)?;
    let streamed = meter.streamed_tokens().unwrap_or(0);
    let mut usage = meter.finish_or_estimate(|streamed| est.settle_usage(streamed))?;
    if usage.estimated {
        return Ok(usage);
    }
    // The stream had usage: add what the request says (tool settings), without metering
    // the stream a second time.
    crate::family::apply_request(facts, api, request, &mut usage)?;
    // A stream cut before its last report (Anthropic's `message_start` says 1 output
    // token) may report less output than was streamed: the text received is the floor.
    let reported = usage.output_tokens.get() + usage.reasoning_tokens.get();
    if streamed > reported {
        let text = streamed - usage.reasoning_tokens.get();
        usage.output_tokens =
            Tokens::new(text).unwrap_or(Tokens::new(crate::MAX_COUNT).expect("max"));
        usage.estimated = true;
    }
    Ok(usage)
}
