//! The media and utility families (speech, transcription, music tasks, rerank, moderation,
//! Gemini embeddings): what their bodies look like, and the dispatch to each family.
//!
//! Unlike chat, several of these answer with something that is not JSON: text-to-speech
//! returns the audio itself, so what it consumed (characters) is read from the request;
//! others stream server-sent events whose last report is the usage. Each family module
//! decides which of the three shapes it accepts.

use super::{Api, ExtractError, StreamMeter};
use crate::usage::Usage;

/// What a body is, judged by its first non-blank bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// A JSON object or array.
    Json,
    /// A server-sent-event stream (`data:`, `event:`, `id:` or a `:` comment first).
    Sse,
    /// Anything else: audio bytes, plain text, SRT/VTT subtitles.
    Other,
}

/// Classifies a body without reading more than its first line.
pub(super) fn shape(body: &[u8]) -> Shape {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let rest = &body[start..];
    match rest.first() {
        Some(b'{') | Some(b'[') => Shape::Json,
        Some(b':') => Shape::Sse,
        _ if [&b"data:"[..], b"event:", b"id:", b"retry:"]
            .iter()
            .any(|p| rest.starts_with(p)) =>
        {
            Shape::Sse
        }
        _ => Shape::Other,
    }
}

/// Meters a saved stream of a family whose events [`event`] reads.
pub(super) fn stream(api: Api, body: &[u8]) -> Result<Usage, ExtractError> {
    let mut meter = StreamMeter::new(api);
    meter.feed(body)?;
    meter.finish()
}

pub(super) use super::parse_request;

/// The request, or [`ExtractError::MissingRequest`].
pub(super) fn need_request(api: Api, request: Option<&[u8]>) -> Result<&[u8], ExtractError> {
    request.ok_or(ExtractError::MissingRequest { api })
}

/// A body that says it is an error, as a missing usage with that hint.
pub(super) fn error_body(api: Api, detail: &str) -> ExtractError {
    ExtractError::MissingUsage {
        api,
        hint: if detail.is_empty() {
            "it is an error body".to_string()
        } else {
            format!("it is an error body ({detail})")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape(b"  {\"a\":1}"), Shape::Json);
        assert_eq!(shape(b"[1]"), Shape::Json);
        assert_eq!(shape(b"data: {}\n\n"), Shape::Sse);
        assert_eq!(shape(b"event: x\ndata: {}\n\n"), Shape::Sse);
        assert_eq!(shape(b": keep-alive\n"), Shape::Sse);
        assert_eq!(shape(b"ID3\x04\x00"), Shape::Other);
        assert_eq!(shape(b"Hello world"), Shape::Other);
        assert_eq!(shape(b""), Shape::Other);
    }
}
