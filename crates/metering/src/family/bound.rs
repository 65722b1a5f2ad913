//! The estimate of a request: the [`Estimate`] it comes to, the [`Builder`] that collects
//! its parts while a family's request reader walks the request, and [`Subject`], what the
//! estimate knows of its model (how its text is counted, its output limit).

use serde::Serialize;
use serde_json::Value;

use super::data::{Facts, Formula};
use super::vision;
use crate::request::{Api, Basis, EstimateError, Part};
use crate::tokens::{Approx, BatchCounter, Counter, Encoding, StreamingCounter};
use crate::usage::{Tokens, Usage};
use crate::Model;

/// What an estimate knows of its model: the name its data is keyed by, how its text is
/// counted, its output limit and its formula family. Made from a resolved [`Model`] (its
/// `encoding`, `max_output_tokens` and `formula`), so a model a relay defines in its own
/// table estimates exactly like a built-in one.
#[derive(Clone, Copy)]
pub(crate) struct Subject<'a> {
    /// The model id (or the name asked for), which the formula data are keyed by.
    pub id: &'a str,
    /// How its text is counted.
    pub counter: Counter,
    /// Its output limit, when known.
    pub max_output_tokens: Option<u64>,
    /// Its formula family (vendor defaults), when it has one.
    pub formula: Option<Formula>,
    /// Where the facts of another model a request names come from.
    pub facts: Facts<'a>,
}

impl<'a> Subject<'a> {
    /// The facts of a resolved model, estimated under the name `id`.
    pub fn of(id: &'a str, model: &Model) -> Subject<'a> {
        Subject {
            id,
            counter: counter_of(id, model.encoding()),
            max_output_tokens: model.max_output_tokens(),
            formula: model.formula().and_then(Formula::parse),
            facts: Facts::DATA,
        }
    }

    /// A name no catalog knows: its text is estimated (never counted with a guessed
    /// encoding) and it has no output limit, so a request that sets none is refused. Its
    /// formula family is the data files' entry for the name, if any.
    pub fn unknown(id: &'a str) -> Subject<'a> {
        Subject {
            id,
            counter: counter_of(id, None),
            max_output_tokens: None,
            formula: Facts::DATA.formula(id),
            facts: Facts::DATA,
        }
    }

    /// The subject, with the models a request names resolved in `facts`.
    pub fn with_facts(self, facts: Facts<'a>) -> Subject<'a> {
        Subject { facts, ..self }
    }

    /// The formula family of the model a request names (`named`), or the subject's own when
    /// the request names none or names the subject.
    pub fn formula_of(&self, named: Option<&str>) -> Option<Formula> {
        match named {
            Some(n) if n != self.id => self.facts.formula(n),
            _ => self.formula,
        }
    }
}

/// The counter of a model with `encoding`: exact with it, else the estimator family
/// `tokens/approx.toml` assigns the id, else the generic (cautious) one.
fn counter_of(id: &str, encoding: Option<&str>) -> Counter {
    match encoding.and_then(Encoding::from_name) {
        Some(e) => Counter::Exact(e),
        None => Counter::Approx(Approx::for_model(id).unwrap_or(Approx::Generic)),
    }
}

/// The counter named `name` (as [`Counter::name`] writes it).
fn counter_named(name: &str) -> Option<Counter> {
    match name.strip_prefix("approx:") {
        Some(a) => Approx::from_name(a).map(Counter::Approx),
        None => Encoding::from_name(name).map(Counter::Exact),
    }
}

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
        StreamingCounter::new(
            counter_named(&self.counter).unwrap_or(Counter::Approx(Approx::Generic)),
        )
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

/// Collects the parts of an estimate while a request is read.
pub(crate) struct Builder {
    pub api: Api,
    pub model: String,
    pub counter: Counter,
    max_output_tokens: Option<u64>,
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
    pub(crate) output: Option<Part>,
    /// Anthropic prompt caching: (input tokens so far at the breakpoint, 1-hour lifetime).
    pub cache_marks: Vec<(u64, bool)>,
}

impl Builder {
    pub fn new(api: Api, model: &Subject) -> Builder {
        Builder {
            api,
            model: model.id.to_string(),
            max_output_tokens: model.max_output_tokens,
            counter: model.counter,
            batch: BatchCounter::new(model.counter),
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
                let limit = self
                    .max_output_tokens
                    .ok_or_else(|| EstimateError::NoOutputBound {
                        model: self.model.clone(),
                        field: field.to_string(),
                    })?;
                (
                    limit,
                    format!("no `{field}`: the model's output limit (its `max_output_tokens`)"),
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

    pub fn finish(self) -> Result<Estimate, EstimateError> {
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

/// Reads a JSON request of a text family with `reader` and totals what it counted.
pub(crate) fn read(
    api: Api,
    model: &Subject,
    request: &[u8],
    reader: fn(&mut Builder, &Value) -> Result<(), EstimateError>,
) -> Result<Estimate, EstimateError> {
    let value = json(api, request)?;
    let mut b = Builder::new(api, model);
    reader(&mut b, &value)?;
    b.finish()
}

/// A request body as JSON, or the error naming where it stops being JSON.
pub(crate) fn json(api: Api, request: &[u8]) -> Result<Value, EstimateError> {
    serde_json::from_slice(request).map_err(|e| EstimateError::Json {
        api,
        message: crate::request::strip_position(&e.to_string()),
        offset: crate::request::byte_offset(request, e.line(), e.column()),
    })
}

/// The estimate of a request whose request alone fixes the bill (speech, DALL·E, video
/// tasks, Suno, Udio): the usage its answer will bill when the vendor does what was asked,
/// with parts saying which quantities were read, defaulted or bounded.
pub(crate) fn noted(
    api: Api,
    model: &str,
    noted: super::video::Noted,
) -> Result<Estimate, EstimateError> {
    let (mut usage, parts) = noted?;
    usage.estimated = true;
    Ok(Estimate {
        api,
        model: model.to_string(),
        counter: "nothing (quantities read from the request)".to_string(),
        usage,
        parts,
    })
}
