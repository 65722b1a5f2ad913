//! Metering a server-sent-event stream incrementally, in memory that does not grow with
//! the stream: only the current line, the current event's data and the usage so far are
//! kept.

use super::{anthropic, dashscope, gemini, media, openai, parse, Api, ExtractError};
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
        }
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
