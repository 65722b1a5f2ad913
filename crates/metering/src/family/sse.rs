//! Metering a server-sent-event stream incrementally, in memory that does not grow with
//! the stream: only the current line, the current event's data and the usage so far are
//! kept.

use super::{anthropic, dashscope, gemini, openai, parse, Api, ExtractError};
use crate::tokens::StreamingCounter;
use crate::unit::Unit;
use crate::usage::{Tokens, Usage};

/// What has been learnt from the stream so far.
enum State {
    /// OpenAI chat: usage arrives in the last chunk (with `stream_options.include_usage`).
    /// Responses: in `response.completed` / `.incomplete` / `.failed`. Gemini and DashScope:
    /// every chunk repeats the running totals. Each report is cumulative, so it must not
    /// fall below the one before; the last is the answer when it is final.
    Last(Option<Usage>),
    /// Anthropic: `message_start` has the input side (and a placeholder output count),
    /// `message_delta`s carry cumulative counts that replace it field by field.
    Merged(Option<anthropic::RawUsage>),
}

/// Meters an SSE stream fed in chunks of any size (events may straddle chunks).
///
/// # Cut streams
///
/// A stream is billed only on its *final* usage report: OpenAI chat's usage chunk (after
/// the chunk with `finish_reason`, or with no choices), Responses' `response.completed` /
/// `.incomplete` / `.failed`, Anthropic's `message_delta`, and for Gemini and DashScope
/// (whose every chunk carries running totals) the report in or after the chunk with a
/// `finishReason` / `finish_reason`. A stream that ends before it (a client disconnect, a
/// relay timeout, an `error` event) is [`ExtractError::MissingUsage`], never its partial
/// count as if it were final: Anthropic's `message_start` says 1 output token, a cut
/// Gemini stream's last running total is short. [`StreamMeter::finish_or_estimate`]
/// settles such a stream instead on a bill marked `estimated`, keeping the input side the
/// stream reported and taking as output the larger of the partial count and the text
/// received.
///
/// Reports inside one stream are cumulative: a later report that lowers a count is
/// [`ExtractError::Inconsistent`], and an empty one (`"usage": {}`) changes nothing.
///
/// ```
/// use tariff_metering::extract::{Api, StreamMeter};
/// let stream = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n\
///               data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n\
///               data: [DONE]\n\n";
/// let mut meter = StreamMeter::new(Api::OpenAiChat);
/// for piece in stream.as_bytes().chunks(7) {
///     meter.feed(piece)?;
/// }
/// let usage = meter.finish()?;
/// assert_eq!((usage.input_tokens.get(), usage.output_tokens.get()), (9, 2));
/// # Ok::<(), tariff_metering::extract::ExtractError>(())
/// ```
pub struct StreamMeter {
    api: Api,
    line: Vec<u8>,
    data: Vec<u8>,
    /// Byte offset in the stream where the current event's data began.
    data_start: usize,
    consumed: usize,
    events: usize,
    saw_error: bool,
    state: State,
    /// Whether the stream has shown its end (a finish reason, a final event).
    ended: bool,
    /// Whether the usage held in `state` is a final report rather than a running one.
    final_report: bool,
    /// Gemini: the most search queries any chunk reported (they may come in another chunk
    /// than the last usage report).
    search_queries: u64,
    /// Counts the streamed text, for a stream that ends without usage (see `count_text`).
    text: Option<StreamingCounter>,
}

impl StreamMeter {
    /// A meter for one stream of the given family.
    pub fn new(api: Api) -> Self {
        let state = match api {
            Api::Anthropic => State::Merged(None),
            _ => State::Last(None),
        };
        StreamMeter {
            api,
            line: Vec::new(),
            data: Vec::new(),
            data_start: 0,
            consumed: 0,
            events: 0,
            saw_error: false,
            state,
            ended: false,
            final_report: false,
            search_queries: 0,
            text: None,
        }
    }

    /// Also counts the text the stream carries (content, reasoning and tool-argument
    /// deltas) with `counter`, so that a stream that ends without a usage report can be
    /// settled on an estimate of its output ([`StreamMeter::streamed_tokens`]). Memory
    /// stays bounded: the counter keeps only a short carry.
    ///
    /// ```
    /// use tariff_metering::extract::{Api, StreamMeter};
    /// use tariff_tokenizer::{Counter, Encoding, StreamingCounter};
    /// let stream = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there\"}}\n\n";
    /// let counter = StreamingCounter::new(Counter::Exact(Encoding::O200kBase));
    /// let mut meter = StreamMeter::new(Api::Anthropic).count_text(counter);
    /// meter.feed(stream.as_bytes())?;
    /// assert_eq!(meter.streamed_tokens(), Some(2));
    /// assert!(meter.finish().is_err()); // the stream was cut before any usage
    /// # Ok::<(), tariff_metering::extract::ExtractError>(())
    /// ```
    pub fn count_text(mut self, counter: StreamingCounter) -> Self {
        self.text = Some(counter);
        self
    }

    /// Ends the stream like [`StreamMeter::finish`], but when the stream carried no final
    /// usage report and its text was counted ([`StreamMeter::count_text`]), settles on an
    /// estimate marked `estimated` instead of [`ExtractError::MissingUsage`]:
    /// `estimate(streamed_tokens)`, or, when the stream reported a partial count before it
    /// was cut, that count with its output raised to at least the text received (the
    /// input side the vendor reported is kept). Other errors are returned as they are.
    ///
    /// ```
    /// use tariff_metering::estimate::estimate;
    /// use tariff_metering::extract::{Api, StreamMeter};
    /// let est = estimate(Api::OpenAiChat, "gpt-4o", br#"{"max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}"#).unwrap();
    /// let mut meter = StreamMeter::new(Api::OpenAiChat).count_text(est.output_counter());
    /// meter.feed(b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Hello!\"}}]}\n\ndata: [DONE]\n\n")?;
    /// let usage = meter.finish_or_estimate(|streamed| est.settle_usage(streamed))?;
    /// assert_eq!((usage.output_tokens.get(), usage.estimated), (2, true));
    /// # Ok::<(), tariff_metering::extract::ExtractError>(())
    /// ```
    pub fn finish_or_estimate(
        self,
        estimate: impl FnOnce(u64) -> Usage,
    ) -> Result<Usage, ExtractError> {
        let streamed = self.streamed_tokens();
        let (result, partial) = self.conclude();
        match (result, streamed) {
            (Err(ExtractError::MissingUsage { .. }), Some(n)) => {
                let mut u = estimate(n);
                if let Some(mut p) = partial {
                    // The vendor's own input count stands; its output count was a running
                    // one, so the text delivered is the floor.
                    let text = n.saturating_sub(p.reasoning_tokens.get());
                    if text > p.output_tokens.get() {
                        p.output_tokens = Tokens::new(text).unwrap_or(
                            Tokens::new(crate::MAX_COUNT).expect("the largest count is a count"),
                        );
                    }
                    for (k, v) in std::mem::take(&mut u.options) {
                        p.options.entry(k).or_insert(v);
                    }
                    u = p;
                }
                u.estimated = true;
                Ok(u)
            }
            (other, _) => other,
        }
    }

    /// Tokens of the text streamed so far, when [`StreamMeter::count_text`] was set.
    pub fn streamed_tokens(&self) -> Option<u64> {
        self.text.as_ref().map(|c| c.total() as u64)
    }

    /// Feeds the next bytes of the stream.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), ExtractError> {
        while let Some(nl) = bytes.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&bytes[..nl]);
            let line_start = self.consumed;
            self.consumed += nl + 1;
            bytes = &bytes[nl + 1..];
            let line = std::mem::take(&mut self.line);
            self.on_line(&line, line_start)?;
            self.line = line;
            self.line.clear();
        }
        self.consumed += bytes.len();
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// Ends the stream and returns its usage: the final usage report, or
    /// [`ExtractError::MissingUsage`] when the stream ended before it (see the type's
    /// docs on cut streams).
    pub fn finish(self) -> Result<Usage, ExtractError> {
        self.conclude().0
    }

    /// The stream's usage, and the partial (running) report it held when it was cut.
    fn conclude(mut self) -> (Result<Usage, ExtractError>, Option<Usage>) {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            let start = self.consumed - line.len();
            if let Err(e) = self.on_line(&line, start) {
                return (Err(e), None);
            }
        }
        if let Err(e) = self.dispatch() {
            return (Err(e), None);
        }
        let usage = match std::mem::replace(&mut self.state, State::Last(None)) {
            State::Last(Some(mut u)) if self.api == Api::Gemini => {
                if let Err(e) = gemini::add_grounding(&mut u, self.search_queries) {
                    return (Err(e), None);
                }
                Some(u)
            }
            State::Last(u) => u,
            State::Merged(u) => match u.map(|u| anthropic::to_usage(&u)).transpose() {
                Ok(u) => u,
                Err(e) => return (Err(e), None),
            },
        };
        match usage {
            Some(u) if self.final_report => (Ok(u), None),
            partial => {
                let hint = self.missing_hint(partial.as_ref());
                (
                    Err(ExtractError::MissingUsage {
                        api: self.api,
                        hint,
                    }),
                    partial,
                )
            }
        }
    }

    fn missing_hint(&self, partial: Option<&Usage>) -> String {
        if self.saw_error {
            "the stream carried an error event before its final usage report".into()
        } else if self.events == 0 {
            "no events in the stream".into()
        } else if let Some(p) = partial {
            format!(
                "the stream ended before its final usage report (it may have been cut short); \
                 the last report was a running count ({} output tokens), not the bill",
                p.output_tokens.get() + p.reasoning_tokens.get()
            )
        } else if self.api == Api::OpenAiChat {
            format!(
                "{} events but no usage chunk (was stream_options.include_usage set?)",
                self.events
            )
        } else {
            format!(
                "{} events but none with usage (the stream may have been cut short)",
                self.events
            )
        }
    }

    fn on_line(&mut self, line: &[u8], start: usize) -> Result<(), ExtractError> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return self.dispatch();
        }
        if let Some(rest) = line.strip_prefix(b"data:") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            if self.data.is_empty() {
                self.data_start = start + (line.len() - rest.len());
            } else {
                self.data.push(b'\n');
            }
            self.data.extend_from_slice(rest);
        } else if line.starts_with(b"event:") {
            let name = line[6..].trim_ascii();
            if name == b"error" {
                self.saw_error = true;
            }
        }
        // Comments (`:`), `id:` and `retry:` lines carry no usage.
        Ok(())
    }

    fn dispatch(&mut self) -> Result<(), ExtractError> {
        if self.data.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.data);
        let result = self.on_event(&data);
        self.data = data;
        self.data.clear();
        result.map_err(|e| match e {
            ExtractError::Json {
                api,
                message,
                offset,
                path,
            } => ExtractError::Json {
                api,
                message,
                offset: self.data_start + offset,
                path,
            },
            other => other,
        })
    }

    /// Takes a report of a `Last` family: checked against the one before (reports are
    /// cumulative), final when `is_final` says so.
    fn report(&mut self, usage: Option<Usage>, is_final: bool) -> Result<(), ExtractError> {
        let Some(u) = usage else { return Ok(()) };
        if let State::Last(last) = &mut self.state {
            if let Some(before) = last.as_ref() {
                cumulative(self.api, before, &u)?;
            }
            *last = Some(u);
        }
        self.final_report = is_final;
        Ok(())
    }

    fn on_event(&mut self, data: &[u8]) -> Result<(), ExtractError> {
        if data.trim_ascii() == b"[DONE]" {
            return Ok(());
        }
        self.events += 1;
        if let Some(counter) = &mut self.text {
            count_deltas(self.api, data, counter);
        }
        super::sniff::check_event(self.api, data)?;
        match self.api {
            Api::OpenAiChat => {
                let b: openai::Body = parse(self.api, data)?;
                self.saw_error |= b.is_error();
                self.ended |= b.finished();
                let u = openai::chat_usage(&b)?;
                // The usage chunk follows the chunk with the finish reason (or carries no
                // choices); a report in a chunk still streaming choices is a running one.
                let is_final = self.ended || b.no_choices();
                self.report(u, is_final)?;
            }
            Api::OpenAiResponses => {
                let b: openai::Body = parse(self.api, data)?;
                self.saw_error |= b.is_error();
                let u = openai::responses_usage(&b)?;
                let is_final = b.response_finished();
                self.report(u, is_final)?;
            }
            Api::OpenAiEmbeddings => {
                // Embeddings are not streamed; a relay that wraps one in an event is read whole.
                let u = openai::embeddings(data)?;
                self.report(Some(u), true)?;
            }
            Api::Gemini => {
                let b: gemini::Body = parse(self.api, data)?;
                gemini::check_family(&b)?;
                self.saw_error |= b.is_error();
                self.search_queries = self.search_queries.max(gemini::search_queries(&b));
                self.ended |= b.finished();
                let u = gemini::chunk_usage(&b)?;
                let is_final = self.ended;
                self.report(u, is_final)?;
            }
            Api::DashScope => {
                // Each chunk repeats the running totals (incremental_output or not).
                let b: dashscope::Body = parse(self.api, data)?;
                self.saw_error |= b.is_error();
                self.ended |= b.finished();
                let u = dashscope::usage(&b)?;
                let is_final = self.ended;
                self.report(u, is_final)?;
            }
            Api::Anthropic => {
                let b: anthropic::Body = parse(self.api, data)?;
                anthropic::check_family(&b)?;
                if b.kind.as_deref() == Some("error") {
                    self.saw_error = true;
                }
                // `message_start`'s output count is a placeholder; the counts are final in
                // `message_delta` (or in a whole `message` a relay sends as one event).
                let is_final = matches!(b.kind.as_deref(), Some("message_delta" | "message"));
                let report = match b.kind.as_deref() {
                    Some("message_start") => b.message.and_then(|m| m.usage),
                    _ => b.usage.or_else(|| b.message.and_then(|m| m.usage)),
                };
                if let Some(r) = report {
                    let counts_output = r.has_output();
                    if let State::Merged(acc) = &mut self.state {
                        match acc {
                            Some(a) => a.merge(r)?,
                            None => *acc = Some(r),
                        }
                    }
                    if is_final && counts_output && !self.saw_error {
                        self.final_report = true;
                    }
                }
            }
            api => match super::registry::of(api) {
                // Media families report usage once, when the answer is complete, in
                // events of their own format (or one event wrapping the whole answer).
                f if f.shape == super::Shape::Media => {
                    let u = match f.event {
                        Some(event) => event(data)?,
                        None => Some((f.meter)(data, None, super::data::Facts::DATA)?),
                    };
                    self.report(u, true)?;
                }
                // A task result is one JSON document; a relay that wraps it in an event is read whole.
                f if f.shape == super::Shape::Video => {
                    let u = (f.meter)(data, None, super::data::Facts::DATA)?;
                    self.report(Some(u), true)?;
                }
                // The image families: OpenAI Images, Seedream, Qwen image, Imagen, Midjourney.
                _ => {
                    let u = super::images::stream_event(api, data)?;
                    self.report(u, true)?;
                }
            },
        }
        Ok(())
    }
}

/// Refuses a later report of one stream that lowers a count of an earlier one: reports
/// are cumulative, so a fall means one of them is wrong, and taking either would bill a
/// guess.
pub(super) fn cumulative(api: Api, before: &Usage, later: &Usage) -> Result<(), ExtractError> {
    for unit in Unit::ALL {
        let (a, b) = (before.quantity(unit), later.quantity(unit));
        if b < a {
            return Err(ExtractError::Inconsistent {
                api,
                detail: format!(
                    "a later usage report in the stream lowers {} from {a} to {b} (reports are cumulative)",
                    unit.name()
                ),
            });
        }
    }
    Ok(())
}

/// Feeds the text deltas of one event to `counter`. Events that do not parse are left to
/// the usage reader, which reports them.
fn count_deltas(api: Api, data: &[u8], counter: &mut StreamingCounter) {
    use serde_json::Value;
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let mut push = |t: Option<&Value>| {
        if let Some(s) = t.and_then(Value::as_str) {
            counter.push(s);
        }
    };
    match api {
        Api::OpenAiChat | Api::Udio => {
            for c in v["choices"].as_array().into_iter().flatten() {
                let d = &c["delta"];
                for k in ["content", "reasoning_content", "reasoning", "refusal"] {
                    push(d.get(k));
                }
                for call in d["tool_calls"].as_array().into_iter().flatten() {
                    push(call["function"].get("arguments"));
                }
                push(c.get("text"));
            }
        }
        Api::OpenAiResponses if v["type"].as_str().is_some_and(|t| t.ends_with(".delta")) => {
            push(v.get("delta"));
        }
        Api::Anthropic => {
            let d = &v["delta"];
            for k in ["text", "thinking", "partial_json"] {
                push(d.get(k));
            }
        }
        Api::Gemini => {
            for c in v["candidates"].as_array().into_iter().flatten() {
                for p in c["content"]["parts"].as_array().into_iter().flatten() {
                    push(p.get("text"));
                }
            }
        }
        // Other families report usage in every answer (or stream cumulative text, as
        // DashScope does without `incremental_output`): there is nothing safe to count.
        _ => {}
    }
}
