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

mod anthropic;
mod dashscope;
mod data;
mod gemini;
mod images;
mod media;
mod openai;
mod text;
pub mod vision;

use serde::Serialize;
use serde_json::Value;

pub use media::{image_dims, media_seconds, pdf_pages, Dims, MediaDuration};
pub use vision::{Detail, Resolution};

use crate::request::Api;
pub use crate::request::{Basis, EstimateError, Part};
use crate::tokens::{BatchCounter, Counter, StreamingCounter};
use crate::usage::{Tokens, Usage};

/// An upper-bound estimate of a request's usage, itemized.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// The request's API family.
    #[serde(serialize_with = "api_name")]
    pub api: Api,
    /// The model the request was estimated for.
    pub model: String,
    /// What counted its text: an encoding (`o200k_base`) or an estimator (`approx:claude`).
    pub counter: String,
    /// The bound: input buckets from the request, `output_tokens` from the output limit ×
    /// `n`; always `estimated`.
    pub usage: Usage,
    /// The items the usage adds up from.
    pub parts: Vec<Part>,
}

impl Estimate {
    /// Input tokens of every kind (text, media, audio).
    pub fn input_tokens(&self) -> u64 {
        self.usage.input_tokens.get()
            + self.usage.cache_write_tokens.get()
            + self.usage.cache_write_1h_tokens.get()
            + self.usage.audio_input_tokens.get()
    }

    /// The output bound (already multiplied by `n`), image output tokens included.
    pub fn output_bound(&self) -> u64 {
        self.usage.output_tokens.get() + self.usage.image_output_tokens.get()
    }

    /// Whether the input side is exact: every input part counted by a public tokenizer or
    /// a vendor formula on known inputs.
    pub fn input_is_exact(&self) -> bool {
        self.parts
            .iter()
            .filter(|p| p.basis != Basis::Bound)
            .all(|p| matches!(p.basis, Basis::Exact | Basis::Formula))
    }

    /// A counter for the response text of this request, for a stream that may end without
    /// a usage report (see [`Estimate::settle_usage`]).
    pub fn output_counter(&self) -> StreamingCounter {
        StreamingCounter::new(Counter::for_model(&self.model))
    }

    /// The usage to settle on when a stream ended without a usage report: this estimate's
    /// input side, and `streamed` as the output (the count of the text received, e.g. from
    /// [`Estimate::output_counter`] or [`StreamMeter`](crate::extract::StreamMeter)'s
    /// text counter). Marked `estimated`, so the bill and the settlement say so.
    ///
    /// ```
    /// use tariff_metering::estimate::estimate;
    /// use tariff_metering::extract::Api;
    /// let est = estimate(Api::OpenAiChat, "gpt-4o", br#"{"max_tokens":100,"messages":[{"role":"user","content":"Hi"}]}"#)?;
    /// let mut out = est.output_counter();
    /// for delta in ["Hello", "! How can", " I help?"] { out.push(delta); }
    /// let usage = est.settle_usage(out.total() as u64);
    /// assert_eq!((usage.input_tokens.get(), usage.output_tokens.get()), (est.usage.input_tokens.get(), 7));
    /// assert!(usage.estimated);
    /// # Ok::<(), tariff_metering::estimate::EstimateError>(())
    /// ```
    pub fn settle_usage(&self, streamed: u64) -> Usage {
        let mut u = self.usage.clone();
        u.output_tokens =
            Tokens::new(streamed).unwrap_or(Tokens::new(crate::MAX_COUNT).expect("max"));
        u.estimated = true;
        u
    }
}

/// Estimates the usage of a `request` body of family `api` for `model`.
///
/// Errors: [`EstimateError::Json`] and [`EstimateError::Field`] for malformed requests,
/// [`EstimateError::WrongFamily`] for a request of another family,
/// [`EstimateError::NoOutputBound`] when neither the request nor the data bounds the output,
/// [`EstimateError::Media`] for media whose tokens cannot be worked out, and
/// [`EstimateError::Unsupported`] for families without an estimator.
pub fn estimate(api: Api, model: &str, request: &[u8]) -> Result<Estimate, EstimateError> {
    if let Some(est) = images::estimate(api, model, request) {
        return est;
    }
    if let Some(noted) = crate::family::request_noted(api, model, request) {
        let (mut usage, parts) = noted?;
        usage.estimated = true;
        return Ok(Estimate {
            api,
            model: model.to_string(),
            counter: "nothing (quantities read from the request)".to_string(),
            usage,
            parts,
        });
    }
    if api == Api::GeminiEmbeddings {
        return text::gemini_embeddings(model, request);
    }
    if api == Api::OpenAiTranscription {
        return text::transcription(model, request);
    }
    let value: Value = serde_json::from_slice(request).map_err(|e| EstimateError::Json {
        api,
        message: crate::request::strip_position(&e.to_string()),
        offset: crate::request::byte_offset(request, e.line(), e.column()),
    })?;
    let mut b = Builder::new(api, model);
    match api {
        Api::OpenAiChat => openai::chat(&mut b, &value)?,
        Api::OpenAiResponses => openai::responses(&mut b, &value)?,
        Api::OpenAiEmbeddings => openai::embeddings(&mut b, &value)?,
        Api::Anthropic => anthropic::messages(&mut b, &value)?,
        Api::Gemini => gemini::generate(&mut b, &value)?,
        Api::DashScope => dashscope::generation(&mut b, &value)?,
        Api::OpenAiModerations => {
            text::moderations(&mut b, &value)?;
            return b.finish().map(text::one_request);
        }
        Api::Rerank => {
            if let Some(est) = text::rerank(&mut b, &value, request)? {
                return Ok(est);
            }
            return b.finish().map(text::query_per_document);
        }
        #[allow(unreachable_patterns)]
        _ => return Err(EstimateError::Unsupported { api }),
    }
    b.finish()
}

/// Collects the parts of an estimate while a request is read.
pub(crate) struct Builder {
    pub api: Api,
    pub model: String,
    pub counter: Counter,
    batch: BatchCounter,
    text_tokens: u64,
    text_items: u64,
    framing: u64,
    framing_note: String,
    tools: u64,
    tools_note: String,
    /// How the tool definitions were counted: estimated unless a published formula was
    /// applied to a schema it describes.
    pub tools_basis: Basis,
    parts: Vec<Part>,
    input: u64,
    audio_input: u64,
    output: Option<Part>,
    /// Anthropic prompt caching: (input tokens so far at the breakpoint, 1-hour lifetime).
    pub cache_marks: Vec<(u64, bool)>,
}

impl Builder {
    fn new(api: Api, model: &str) -> Builder {
        Builder {
            api,
            model: model.to_string(),
            counter: Counter::for_model(model),
            batch: BatchCounter::new(Counter::for_model(model)),
            text_tokens: 0,
            text_items: 0,
            framing: 0,
            framing_note: String::new(),
            tools: 0,
            tools_note: String::new(),
            tools_basis: Basis::Estimated,
            parts: Vec::new(),
            input: 0,
            audio_input: 0,
            output: None,
            cache_marks: Vec::new(),
        }
    }

    /// Counts a text of the request.
    pub fn text(&mut self, s: &str) {
        let n = count64(self.batch.count(s));
        self.text_tokens = self.text_tokens.saturating_add(n);
        self.text_items = self.text_items.saturating_add(1);
    }

    /// Counts a JSON value as its compact serialization (schemas, arguments, tool inputs).
    pub fn json(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.text(s),
            Value::Null => {}
            other => self.text(&other.to_string()),
        }
    }

    /// Adds framing tokens (per-message overheads).
    pub fn framing(&mut self, n: u64, note: &str) {
        self.framing = self.framing.saturating_add(n);
        if self.framing_note.is_empty() {
            self.framing_note = note.to_string();
        }
    }

    /// Counts a tool definition's text (tools are itemized apart from the messages).
    pub fn tool_text(&mut self, s: &str, overhead: u64, note: &str) {
        let n = count64(self.batch.count(s)).saturating_add(overhead);
        self.tools = self.tools.saturating_add(n);
        if self.tools_note.is_empty() {
            self.tools_note = note.to_string();
        }
    }

    /// The tokens of `s` with the request's counter, added to nothing (for formulas that
    /// combine counts with constants).
    pub fn count(&mut self, s: &str) -> u64 {
        count64(self.batch.count(s))
    }

    /// Adds tool-definition tokens worked out by a formula.
    pub fn tool_tokens(&mut self, n: u64, note: &str) {
        self.tools = self.tools.saturating_add(n);
        if self.tools_note.is_empty() {
            self.tools_note = note.to_string();
        }
    }

    /// Adds a medium (image, PDF, video) at `path` counted as input tokens; refuses one
    /// whose count passes what a usage record holds.
    pub fn media(
        &mut self,
        path: &str,
        kind: &str,
        m: vision::MediaTokens,
    ) -> Result<(), EstimateError> {
        self.add_medium(path, kind, m, false)
    }

    /// Adds audio input tokens at `path` (refused past what a usage record holds).
    pub fn audio(
        &mut self,
        path: &str,
        kind: &str,
        m: vision::MediaTokens,
    ) -> Result<(), EstimateError> {
        self.add_medium(path, kind, m, true)
    }

    fn add_medium(
        &mut self,
        path: &str,
        kind: &str,
        m: vision::MediaTokens,
        audio: bool,
    ) -> Result<(), EstimateError> {
        let part = self.medium(path, kind, m)?;
        let bucket = if audio {
            &mut self.audio_input
        } else {
            &mut self.input
        };
        *bucket = bucket.saturating_add(part.tokens);
        self.parts.push(part);
        Ok(())
    }

    fn medium(
        &self,
        path: &str,
        kind: &str,
        m: vision::MediaTokens,
    ) -> Result<Part, EstimateError> {
        if m.tokens > crate::MAX_COUNT {
            return Err(EstimateError::TooLarge {
                api: self.api,
                path: path.to_string(),
                quantity: match m.tokens {
                    u64::MAX => format!("the {kind} comes to more than 2^64 tokens ({})", m.note),
                    n => format!("the {kind} comes to {n} tokens ({})", m.note),
                },
            });
        }
        Ok(Part {
            what: format!("{path} {kind}"),
            tokens: m.tokens,
            basis: m.basis,
            note: m.note,
        })
    }

    /// Input tokens counted so far (for cache breakpoints).
    pub fn input_so_far(&self) -> u64 {
        self.text_tokens
            .saturating_add(self.framing)
            .saturating_add(self.tools)
            .saturating_add(self.input)
    }

    /// Sets the output bound from the request's `field` (if given) or the model's limit,
    /// times `n`.
    pub fn output(
        &mut self,
        field: &str,
        given: Option<&Value>,
        n: u64,
    ) -> Result<(), EstimateError> {
        let (limit, note) = match given {
            Some(v) => {
                let limit = v.as_u64().ok_or_else(|| {
                    self.field_error(field, format!("must be a non-negative integer, not {v}"))
                })?;
                (limit, format!("`{field}` of the request"))
            }
            None => {
                let o = data::models().output.get(&self.model).ok_or_else(|| {
                    EstimateError::NoOutputBound {
                        model: self.model.clone(),
                        field: field.to_string(),
                    }
                })?;
                (
                    o.max_output_tokens,
                    format!("no `{field}`: the model's output limit ({})", o.source),
                )
            }
        };
        let tokens = limit
            .checked_mul(n)
            .filter(|t| *t <= crate::MAX_COUNT)
            .ok_or_else(|| EstimateError::TooLarge {
                api: self.api,
                path: field.to_string(),
                quantity: format!("an output limit of {limit} tokens × n = {n}"),
            })?;
        let note = if n > 1 {
            format!("{note} × n = {n}")
        } else {
            note
        };
        self.output = Some(Part {
            what: "output (bound)".into(),
            tokens,
            basis: Basis::Bound,
            note,
        });
        Ok(())
    }

    /// `n` / `candidateCount`: a positive integer, 1 when absent.
    pub fn count_field(&self, field: &str, v: Option<&Value>) -> Result<u64, EstimateError> {
        match v {
            None | Some(Value::Null) => Ok(1),
            Some(v) => v.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
                self.field_error(field, format!("must be a positive integer, not {v}"))
            }),
        }
    }

    pub fn field_error(&self, path: &str, problem: impl Into<String>) -> EstimateError {
        EstimateError::Field {
            api: self.api,
            path: path.to_string(),
            problem: problem.into(),
        }
    }

    pub fn media_error(&self, path: &str, problem: impl Into<String>) -> EstimateError {
        EstimateError::Media {
            api: self.api,
            path: path.to_string(),
            problem: problem.into(),
        }
    }

    fn finish(self) -> Result<Estimate, EstimateError> {
        let input = self.input_so_far();
        let text_basis = if self.counter.is_exact() {
            Basis::Exact
        } else {
            Basis::Estimated
        };
        let mut parts = Vec::new();
        parts.push(Part {
            what: "text".into(),
            tokens: self.text_tokens,
            basis: text_basis,
            note: format!(
                "{} texts counted with {}",
                self.text_items,
                self.counter.name()
            ),
        });
        if self.framing > 0 {
            // The documented overheads hold for the tokenizers they were documented with.
            let basis = if self.counter.is_exact() && self.api != Api::Anthropic {
                Basis::Formula
            } else {
                Basis::Estimated
            };
            parts.push(Part {
                what: "message framing".into(),
                tokens: self.framing,
                basis,
                note: self.framing_note,
            });
        }
        if self.tools > 0 {
            parts.push(Part {
                what: "tool definitions".into(),
                tokens: self.tools,
                basis: self.tools_basis,
                note: self.tools_note,
            });
        }
        parts.extend(self.parts);
        let mut usage = Usage {
            estimated: true,
            ..Usage::default()
        };
        // Anthropic prompt caching: the prefix up to the last breakpoint is (at most) written
        // to the cache, which costs more than plain input, so a bound prices it as written.
        let mut rest = input;
        if let Some(&(last, _)) = self.cache_marks.iter().max_by_key(|m| m.0) {
            let hour = self
                .cache_marks
                .iter()
                .filter(|m| m.1)
                .map(|m| m.0)
                .max()
                .unwrap_or(0);
            let last = last.min(input);
            let hour = hour.min(last);
            usage.cache_write_1h_tokens = tokens(self.api, "cache_write_1h_tokens", hour)?;
            usage.cache_write_tokens = tokens(self.api, "cache_write_tokens", last - hour)?;
            rest = input - last;
        }
        usage.input_tokens = tokens(self.api, "input_tokens", rest)?;
        usage.audio_input_tokens = tokens(self.api, "audio_input_tokens", self.audio_input)?;
        if let Some(o) = self.output {
            usage.output_tokens = tokens(self.api, "output_tokens", o.tokens)?;
            parts.push(o);
        }
        Ok(Estimate {
            api: self.api,
            model: self.model,
            counter: self.counter.name(),
            usage,
            parts,
        })
    }
}

fn api_name<S: serde::Serializer>(api: &Api, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(api.name())
}

fn tokens(api: Api, field: &str, n: u64) -> Result<Tokens, EstimateError> {
    Tokens::new(n).ok_or_else(|| EstimateError::TooLarge {
        api,
        path: field.to_string(),
        quantity: if n == u64::MAX {
            "the parts add up to more than 2^64 tokens".to_string()
        } else {
            format!("the parts add up to {n} tokens")
        },
    })
}

/// A count of texts or tokens as a `u64` (lossless wherever `usize` is at most 64 bits).
pub(crate) fn count64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A JSON path segment helper: `parent.key`.
pub(crate) fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// A JSON path segment helper: `parent[i]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
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
    use crate::family::{meter_with_request as extract_with_request, StreamMeter};
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return Ok(extract_with_request(api, body, Some(request))?);
    }
    // A stream: meter it with its text counted, and estimate only if it has no usage.
    let est = estimate(api, model, request)?;
    let mut meter = StreamMeter::new(api).count_text(est.output_counter());
    meter.feed(body)?;
    let streamed = meter.streamed_tokens().unwrap_or(0);
    let mut usage = meter.finish_or_estimate(|streamed| est.settle_usage(streamed))?;
    if usage.estimated {
        return Ok(usage);
    }
    // The stream had usage: add what the request says (tool settings), without metering
    // the stream a second time.
    crate::family::apply_request(api, request, &mut usage)?;
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
