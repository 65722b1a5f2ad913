//! Metering a server-sent-event stream incrementally, in memory that does not grow with
//! the stream: only the current line, the current event's data and the usage so far are
//! kept.

use super::{anthropic, dashscope, gemini, media, openai, parse, Api, ExtractError};
use crate::tokens::StreamingCounter;
use crate::usage::Usage;

/// What has been learnt from the stream so far.
enum State {
    /// OpenAI chat: usage arrives in the last chunk (with `stream_options.include_usage`).
    /// Responses: in `response.completed` / `.incomplete` / `.failed`. Gemini: every chunk
    /// repeats the running totals. In each case the last report is the answer.
    Last(Option<Usage>),
    /// Anthropic: `message_start` has the input side, `message_delta`s carry cumulative
    /// counts that replace it field by field.
    Merged(Option<anthropic::RawUsage>),
}

/// Meters an SSE stream fed in chunks of any size (events may straddle chunks).
///
/// ```
/// use tariff::extract::{Api, StreamMeter};
/// let stream = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n\
///               data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n\
///               data: [DONE]\n\n";
/// let mut meter = StreamMeter::new(Api::OpenAiChat);
/// for piece in stream.as_bytes().chunks(7) {
///     meter.feed(piece)?;
/// }
/// let usage = meter.finish()?;
/// assert_eq!((usage.input_tokens.get(), usage.output_tokens.get()), (9, 2));
/// # Ok::<(), tariff::extract::ExtractError>(())
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
    /// use tariff::extract::{Api, StreamMeter};
    /// use tariff::tokens::{Counter, Encoding, StreamingCounter};
    /// let stream = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there\"}}\n\n";
    /// let counter = StreamingCounter::new(Counter::Exact(Encoding::O200kBase));
    /// let mut meter = StreamMeter::new(Api::Anthropic).count_text(counter);
    /// meter.feed(stream.as_bytes())?;
    /// assert_eq!(meter.streamed_tokens(), Some(2));
    /// assert!(meter.finish().is_err()); // the stream was cut before any usage
    /// # Ok::<(), tariff::extract::ExtractError>(())
    /// ```
    pub fn count_text(mut self, counter: StreamingCounter) -> Self {
        self.text = Some(counter);
        self
    }

    /// Ends the stream like [`StreamMeter::finish`], but when the stream carried no usage
    /// report and its text was counted ([`StreamMeter::count_text`]), returns
    /// `estimate(streamed_tokens)` marked `estimated` instead of
    /// [`ExtractError::MissingUsage`]. Other errors are returned as they are.
    ///
    /// ```
    /// use tariff::estimate::estimate;
    /// use tariff::extract::{Api, StreamMeter};
    /// let est = estimate(Api::OpenAiChat, "gpt-4o", br#"{"max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}"#).unwrap();
    /// let mut meter = StreamMeter::new(Api::OpenAiChat).count_text(est.output_counter());
    /// meter.feed(b"data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Hello!\"}}]}\n\ndata: [DONE]\n\n")?;
    /// let usage = meter.finish_or_estimate(|streamed| est.settle_usage(streamed))?;
    /// assert_eq!((usage.output_tokens.get(), usage.estimated), (2, true));
    /// # Ok::<(), tariff::extract::ExtractError>(())
    /// ```
    pub fn finish_or_estimate(
        self,
        estimate: impl FnOnce(u64) -> Usage,
    ) -> Result<Usage, ExtractError> {
        let streamed = self.streamed_tokens();
        match (self.finish(), streamed) {
            (Err(ExtractError::MissingUsage { .. }), Some(n)) => {
                let mut u = estimate(n);
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

    /// Ends the stream and returns its usage.
    pub fn finish(mut self) -> Result<Usage, ExtractError> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            let start = self.consumed - line.len();
            self.on_line(&line, start)?;
        }
        self.dispatch()?;
        let usage = match self.state {
            State::Last(Some(mut u)) if self.api == Api::Gemini => {
                gemini::add_grounding(&mut u, self.search_queries)?;
                Some(u)
            }
            State::Last(u) => u,
            State::Merged(u) => u.map(|u| anthropic::to_usage(&u)).transpose()?,
        };
        usage.ok_or_else(|| ExtractError::MissingUsage {
            api: self.api,
            hint: if self.saw_error {
                "the stream carried an error event".into()
            } else if self.events == 0 {
                "no events in the stream".into()
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
            },
        })
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

    fn on_event(&mut self, data: &[u8]) -> Result<(), ExtractError> {
        if data.trim_ascii() == b"[DONE]" {
            return Ok(());
        }
        self.events += 1;
        if let Some(counter) = &mut self.text {
            count_deltas(self.api, data, counter);
        }
        match (&mut self.state, self.api) {
            (State::Last(last), Api::OpenAiChat) => {
                let b: openai::Body = parse(self.api, data)?;
                if let Some(u) = openai::chat_usage(&b)? {
                    *last = Some(u);
                }
            }
            (State::Last(last), Api::OpenAiResponses) => {
                let b: openai::Body = parse(self.api, data)?;
                if let Some(u) = openai::responses_usage(&b)? {
                    *last = Some(u);
                }
            }
            (State::Last(last), Api::OpenAiEmbeddings) => {
                // Embeddings are not streamed; a relay that wraps one in an event is read whole.
                *last = Some(openai::embeddings(data)?);
            }
            (State::Last(last), Api::Gemini) => {
                let b: gemini::Body = parse(self.api, data)?;
                gemini::check_family(&b)?;
                self.search_queries = self.search_queries.max(gemini::search_queries(&b));
                if let Some(m) = &b.usage_metadata {
                    *last = Some(gemini::to_usage(m)?);
                }
            }
            (State::Last(last), Api::DashScope) => {
                // Each chunk repeats the running totals (incremental_output or not).
                let b: dashscope::Body = parse(self.api, data)?;
                if let Some(u) = dashscope::usage(&b)? {
                    *last = Some(u);
                }
            }
            (State::Merged(acc), _) => {
                let b: anthropic::Body = parse(self.api, data)?;
                anthropic::check_family(&b)?;
                if b.kind.as_deref() == Some("error") {
                    self.saw_error = true;
                }
                let report = b.usage.or_else(|| b.message.and_then(|m| m.usage));
                if let Some(r) = report {
                    match acc {
                        Some(a) => a.merge(r),
                        None => *acc = Some(r),
                    }
                }
            }
            (
                State::Last(last),
                Api::OpenAiSpeech
                | Api::OpenAiTranscription
                | Api::MiniMaxTts
                | Api::DoubaoTts
                | Api::Suno
                | Api::Udio
                | Api::GeminiEmbeddings
                | Api::Rerank
                | Api::OpenAiModerations,
            ) => {
                if let Some(u) = media::event(self.api, data)? {
                    *last = Some(u);
                }
            }
            (State::Last(_), Api::Anthropic) => unreachable!("Anthropic streams merge"),
            (
                State::Last(last),
                Api::OpenAiVideo
                | Api::SoraChat
                | Api::Veo
                | Api::WanVideo
                | Api::Seedance
                | Api::Kling
                | Api::Jimeng
                | Api::Luma
                | Api::Runway,
            ) => {
                // A task result is one JSON document; a relay that wraps it in an event is read whole.
                *last = Some(super::video::extract(self.api, data, None)?);
            }
            (State::Last(last), api) => {
                if let Some(u) = super::images::stream_event(api, data)? {
                    *last = Some(u);
                }
            }
        }
        Ok(())
    }
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
