//! Speech and transcription: OpenAI `/v1/audio/speech`, `/v1/audio/transcriptions` and
//! `/v1/audio/translations`; MiniMax `t2a_v2`; Doubao (Volcengine) speech synthesis 2.0.
//!
//! * Speech (`tts-1`, `tts-1-hd`) is priced per character of the request's `input`, and the
//!   response is the audio itself, so the count comes from the request: Unicode scalar
//!   values, the unit in which the API states its own limit ("The maximum length is 4096
//!   characters"). `gpt-4o-mini-tts` is priced per token and reports them only when
//!   streamed as events (`stream_format: "sse"`): `speech.audio.done` carries `usage`
//!   (`input_tokens` = text in, `output_tokens` = audio out).
//! * Transcription reports `usage` of type `tokens` (gpt-4o-transcribe: input split into
//!   text and audio tokens, text output) or of type `duration` (whisper-1: `seconds`);
//!   verbose JSON also has a top-level `duration`. Whisper is priced per minute and "billed
//!   to the nearest second" (the terms OpenAI's price is resold under on OpenRouter's
//!   whisper-1 page), so seconds are rounded half away from zero to whole seconds here.
//!   Plain-text, SRT and VTT transcripts carry no usage at all.
//! * MiniMax reports the characters it bills in `extra_info.usage_characters`; Doubao's
//!   session-finished event reports `usage.text_words`. When the relay has already turned
//!   either into bare audio, the request's text is counted instead and the record is marked
//!   estimated, since both vendors count characters by their own rules.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::media::{self, error_body, need_request, parse_request, Shape};
use super::video::{noted, Grounds, Noted};
use super::{check_total, count, minus, parse, tokens, Api, ExtractError, Markers};
use crate::request::Basis;
use crate::usage::{Seconds, Usage};

// ------------------------------------------------------------------ OpenAI speech

#[derive(Deserialize)]
struct SpeechUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
}

/// A speech event, or a JSON body a relay answers with (an error, or usage alone).
#[derive(Deserialize)]
struct SpeechBody {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    usage: Option<SpeechUsage>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SpeechRequest {
    #[serde(default)]
    input: Option<String>,
}

fn speech_tokens(u: &SpeechUsage) -> Result<Usage, ExtractError> {
    let api = Api::OpenAiSpeech;
    let input = u.input_tokens.unwrap_or(0);
    let output = u.output_tokens.unwrap_or(0);
    check_total(
        api,
        u.total_tokens,
        ("input_tokens", input),
        ("output_tokens", output),
    )?;
    Ok(Usage {
        input_tokens: tokens(api, "input_tokens", input)?,
        audio_output_tokens: tokens(api, "output_tokens", output)?,
        ..Usage::default()
    })
}

/// A `/v1/audio/speech` response: audio bytes (priced from the request), an event stream
/// with usage, or a JSON body.
pub(super) fn speech(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let api = Api::OpenAiSpeech;
    match media::shape(body) {
        Shape::Sse => media::stream(api, body),
        Shape::Json => {
            let b: SpeechBody = parse(api, body)?;
            if b.error.is_some() {
                return Err(error_body(api, ""));
            }
            super::check_family(
                api,
                Markers {
                    object: b.object.as_deref(),
                    kind: b.kind.as_deref(),
                    gemini: false,
                },
            )?;
            match &b.usage {
                Some(u) => speech_tokens(u),
                None => Err(ExtractError::WrongFamily {
                    expected: api,
                    found: "a JSON body without audio or usage".into(),
                }),
            }
        }
        Shape::Other if body.is_empty() => Err(ExtractError::MissingUsage {
            api,
            hint: "the body is empty: no audio was returned".into(),
        }),
        Shape::Other => {
            let req: SpeechRequest = parse_request(api, need_request(api, request)?)?;
            let text = req.input.ok_or_else(|| ExtractError::Json {
                api,
                message: "in the request: missing field `input`".into(),
                offset: 0,
                path: "input".into(),
            })?;
            Ok(Usage {
                characters: count(api, "input characters", text.chars().count() as u64)?,
                ..Usage::default()
            })
        }
    }
}

pub(super) fn speech_event(data: &[u8]) -> Result<Option<Usage>, ExtractError> {
    let b: SpeechBody = parse(Api::OpenAiSpeech, data)?;
    if b.error.is_some() || b.kind.as_deref() == Some("error") {
        return Err(error_body(Api::OpenAiSpeech, "in the stream"));
    }
    b.usage.as_ref().map(speech_tokens).transpose()
}

// ------------------------------------------------------------------ OpenAI transcription

#[derive(Deserialize)]
struct InputDetails {
    #[serde(default)]
    text_tokens: Option<u64>,
    #[serde(default)]
    audio_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct TranscriptionUsage {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    seconds: Option<serde_json::Number>,
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default)]
    input_token_details: Option<InputDetails>,
}

#[derive(Deserialize)]
struct TranscriptionBody {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    text: Option<IgnoredAny>,
    #[serde(default)]
    duration: Option<serde_json::Number>,
    #[serde(default)]
    usage: Option<TranscriptionUsage>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

/// Seconds as billed: the reported duration rounded to the nearest whole second.
fn billed_seconds(api: Api, field: &str, n: &serde_json::Number) -> Result<Seconds, ExtractError> {
    let text = n.to_string();
    let bad = || ExtractError::Inconsistent {
        api,
        detail: format!("{field} ({text}) is not a valid number of seconds"),
    };
    let exact = text
        .parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| bad())?;
    billed(exact).ok_or_else(bad)
}

/// Exact seconds rounded as transcriptions bill them: to the nearest whole second.
pub(crate) fn billed(exact: Decimal) -> Option<Seconds> {
    Seconds::new(exact.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero))
}

fn transcription_usage(b: &TranscriptionBody) -> Result<Option<Usage>, ExtractError> {
    let api = Api::OpenAiTranscription;
    let Some(u) = &b.usage else {
        // Verbose JSON without usage: its duration is the bill. Only a transcript has one;
        // a body with a `duration` and no `text` is something else (a video request).
        return b
            .duration
            .as_ref()
            .filter(|_| b.text.is_some())
            .map(|d| {
                Ok(Usage {
                    audio_seconds: billed_seconds(api, "duration", d)?,
                    ..Usage::default()
                })
            })
            .transpose();
    };
    let by_duration = u.kind.as_deref() == Some("duration")
        || (u.kind.is_none() && u.seconds.is_some() && u.input_tokens.is_none());
    if by_duration {
        let Some(s) = &u.seconds else {
            return Err(ExtractError::MissingUsage {
                api,
                hint: "usage of type duration has no seconds".into(),
            });
        };
        return Ok(Some(Usage {
            audio_seconds: billed_seconds(api, "usage.seconds", s)?,
            ..Usage::default()
        }));
    }
    if let Some(k) = u.kind.as_deref().filter(|k| *k != "tokens") {
        return Err(ExtractError::Inconsistent {
            api,
            detail: format!("unknown usage type `{k}` (expected tokens or duration)"),
        });
    }
    let input = u.input_tokens.unwrap_or(0);
    let output = u.output_tokens.unwrap_or(0);
    let Some(d) = &u.input_token_details else {
        // Audio and text input are priced apart; without the split there is no exact price.
        return Err(ExtractError::MissingUsage {
            api,
            hint: "usage has no input_token_details to split audio from text input".into(),
        });
    };
    let audio = d.audio_tokens.unwrap_or(0);
    let text = match d.text_tokens {
        Some(t) => {
            if u128::from(t) + u128::from(audio) != u128::from(input) {
                return Err(ExtractError::Inconsistent {
                    api,
                    detail: format!(
                        "input_token_details text_tokens ({t}) + audio_tokens ({audio}) is not input_tokens ({input})"
                    ),
                });
            }
            t
        }
        None => minus(
            api,
            ("input_tokens", input),
            ("input_token_details.audio_tokens", audio),
        )?,
    };
    check_total(
        api,
        u.total_tokens,
        ("input_tokens", input),
        ("output_tokens", output),
    )?;
    Ok(Some(Usage {
        input_tokens: tokens(api, "text_tokens", text)?,
        audio_input_tokens: tokens(api, "audio_tokens", audio)?,
        output_tokens: tokens(api, "output_tokens", output)?,
        ..Usage::default()
    }))
}

/// A transcription or translation: JSON / verbose JSON, or a stream of `transcript.text.*`.
pub(super) fn transcription(body: &[u8]) -> Result<Usage, ExtractError> {
    let api = Api::OpenAiTranscription;
    match media::shape(body) {
        Shape::Sse => media::stream(api, body),
        Shape::Other => Err(ExtractError::MissingUsage {
            api,
            hint: "a text, SRT or VTT transcript carries no usage; ask for response_format json or verbose_json".into(),
        }),
        Shape::Json => {
            let b: TranscriptionBody = parse(api, body)?;
            if b.error.is_some() {
                return Err(error_body(api, ""));
            }
            super::check_family(
                api,
                Markers {
                    object: b.object.as_deref(),
                    kind: b.kind.as_deref(),
                    gemini: false,
                },
            )?;
            transcription_usage(&b)?.ok_or_else(|| ExtractError::MissingUsage {
                api,
                hint: if b.text.is_some() {
                    "the transcript has neither usage nor duration".into()
                } else {
                    String::new()
                },
            })
        }
    }
}

pub(super) fn transcription_event(data: &[u8]) -> Result<Option<Usage>, ExtractError> {
    let b: TranscriptionBody = parse(Api::OpenAiTranscription, data)?;
    if b.error.is_some() || b.kind.as_deref() == Some("error") {
        return Err(error_body(Api::OpenAiTranscription, "in the stream"));
    }
    // Deltas carry no usage; `transcript.text.done` does.
    if b.usage.is_none() {
        return Ok(None);
    }
    transcription_usage(&b)
}

// ------------------------------------------------------------------ MiniMax

#[derive(Deserialize)]
struct MiniMaxExtra {
    #[serde(default)]
    usage_characters: Option<u64>,
}

#[derive(Deserialize)]
struct MiniMaxBase {
    #[serde(default)]
    status_code: Option<i64>,
    #[serde(default)]
    status_msg: Option<String>,
}

#[derive(Deserialize)]
struct MiniMaxBody {
    #[serde(default)]
    extra_info: Option<MiniMaxExtra>,
    #[serde(default)]
    base_resp: Option<MiniMaxBase>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct TextRequest {
    /// MiniMax `t2a_v2`.
    #[serde(default)]
    text: Option<String>,
    /// The OpenAI-shaped speech endpoint a relay exposes.
    #[serde(default)]
    input: Option<String>,
    /// Volcengine v1: `request.text`.
    #[serde(default)]
    request: Option<Box<TextRequest>>,
    /// Volcengine v3: `req_params.text`.
    #[serde(default)]
    req_params: Option<Box<TextRequest>>,
}

impl TextRequest {
    fn text(&self) -> Option<&str> {
        self.text
            .as_deref()
            .or(self.input.as_deref())
            .or_else(|| self.request.as_ref().and_then(|r| r.text()))
            .or_else(|| self.req_params.as_ref().and_then(|r| r.text()))
    }
}

fn minimax_usage(b: &MiniMaxBody) -> Result<Option<Usage>, ExtractError> {
    let api = Api::MiniMaxTts;
    if let Some(base) = &b.base_resp {
        if base.status_code.is_some_and(|c| c != 0) {
            return Err(error_body(
                api,
                &format!(
                    "base_resp.status_code {}: {}",
                    base.status_code.unwrap_or(0),
                    base.status_msg.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    if b.error.is_some() {
        return Err(error_body(api, ""));
    }
    b.extra_info
        .as_ref()
        .and_then(|e| e.usage_characters)
        .map(|n| {
            Ok(Usage {
                characters: count(api, "extra_info.usage_characters", n)?,
                ..Usage::default()
            })
        })
        .transpose()
}

/// Counts the request's text: the fallback when the vendor's own count is gone.
pub(super) fn estimate_from_request(
    api: Api,
    request: Option<&[u8]>,
) -> Result<Usage, ExtractError> {
    let req: TextRequest = parse_request(api, need_request(api, request)?)?;
    let text = req.text().ok_or_else(|| ExtractError::Json {
        api,
        message: "in the request: no text to speak (`text`, `input`, `request.text` or `req_params.text`)".into(),
        offset: 0,
        path: String::new(),
    })?;
    Ok(Usage {
        characters: count(api, "request characters", text.chars().count() as u64)?,
        estimated: true,
        ..Usage::default()
    })
}

/// The estimate of a text-to-speech request: the characters of its text, read, not assumed
/// (no vendor default stands in for any of them).
pub(super) fn speech_request(api: Api, request: &[u8]) -> Noted {
    let u = estimate_from_request(api, Some(request))?;
    let n = u.characters.get();
    let read =
        "characters of the request's text (`input`, `text`, `request.text` or `req_params.text`)";
    noted(
        u,
        Grounds::new(Basis::Exact).part("characters to speak", n, read.into()),
    )
}

/// A stream's own count; when it ends without one (cut short, or a relay dropped the final
/// event), the request's text, marked estimated, if the request is at hand.
fn stream_or_request(api: Api, body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    match media::stream(api, body) {
        // Error events fail the stream before this point; the meter's own hint names an
        // `event: error` line, and a stream that carried one is not billed from its request.
        Err(ExtractError::MissingUsage { hint, .. })
            if request.is_some() && !hint.contains("error") =>
        {
            estimate_from_request(api, request)
        }
        other => other,
    }
}

/// A MiniMax `t2a_v2` body or stream; bare audio (a relay decoded it) needs the request.
pub(super) fn minimax(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let api = Api::MiniMaxTts;
    match media::shape(body) {
        Shape::Sse => stream_or_request(api, body, request),
        Shape::Json => {
            let b: MiniMaxBody = parse(api, body)?;
            minimax_usage(&b)?.ok_or_else(|| ExtractError::MissingUsage {
                api,
                hint: "no extra_info.usage_characters".into(),
            })
        }
        Shape::Other => estimate_from_request(api, request),
    }
}

pub(super) fn minimax_event(data: &[u8]) -> Result<Option<Usage>, ExtractError> {
    let b: MiniMaxBody = parse(Api::MiniMaxTts, data)?;
    minimax_usage(&b)
}

// ------------------------------------------------------------------ Doubao (Volcengine)

#[derive(Deserialize)]
struct DoubaoUsage {
    #[serde(default)]
    text_words: Option<u64>,
}

#[derive(Deserialize)]
struct DoubaoBody {
    #[serde(default)]
    usage: Option<DoubaoUsage>,
    #[serde(default)]
    error: Option<IgnoredAny>,
    /// Volcengine's numeric status: 20000000 is success in v3, 3000 in v1.
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

fn doubao_usage(b: &DoubaoBody) -> Result<Option<Usage>, ExtractError> {
    let api = Api::DoubaoTts;
    if b.error.is_some()
        || b.code
            .is_some_and(|c| c != 0 && c != 3000 && c != 20_000_000)
    {
        return Err(error_body(
            api,
            &format!(
                "code {}: {}",
                b.code.unwrap_or(0),
                b.message.as_deref().unwrap_or("")
            ),
        ));
    }
    b.usage
        .as_ref()
        .and_then(|u| u.text_words)
        .map(|n| {
            Ok(Usage {
                characters: count(api, "usage.text_words", n)?,
                ..Usage::default()
            })
        })
        .transpose()
}

/// Doubao speech 2.0: an event stream whose session-finished event reports
/// `usage.text_words`, or audio bytes (priced from the request's text).
pub(super) fn doubao(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let api = Api::DoubaoTts;
    match media::shape(body) {
        Shape::Sse => stream_or_request(api, body, request),
        Shape::Json => {
            let b: DoubaoBody = parse(api, body)?;
            match doubao_usage(&b)? {
                Some(u) => Ok(u),
                None => estimate_from_request(api, request).map_err(|e| match e {
                    ExtractError::MissingRequest { .. } => ExtractError::MissingUsage {
                        api,
                        hint: "no usage.text_words, and no request to count".into(),
                    },
                    other => other,
                }),
            }
        }
        Shape::Other => estimate_from_request(api, request),
    }
}

pub(super) fn doubao_event(data: &[u8]) -> Result<Option<Usage>, ExtractError> {
    let b: DoubaoBody = parse(Api::DoubaoTts, data)?;
    doubao_usage(&b)
}
