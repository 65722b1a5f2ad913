//! Gemini embeddings: `embedContent` (`{"embedding": {"values": […]}}`) and
//! `batchEmbedContents` (`{"embeddings": […]}`).
//!
//! The Developer API answer carries no token count; Vertex-style answers add
//! `usageMetadata.promptTokenCount`, which is used when present. Without it the input is
//! estimated from the request's text parts and the record is marked estimated: Gemini's
//! tokenizer is not public, so the count is made with `o200k_base`, a stand-in whose counts
//! are close for ordinary text but not Google's.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::media::{error_body, parse_request};
use super::{parse, tokens, Api, ExtractError};
use crate::tokens::Encoding;
use crate::usage::Usage;

const API: Api = Api::GeminiEmbeddings;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[serde(default)]
    prompt_token_count: Option<u64>,
    #[serde(default)]
    total_token_count: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(default)]
    embedding: Option<IgnoredAny>,
    #[serde(default)]
    embeddings: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    usage_metadata: Option<Meta>,
    #[serde(default)]
    candidates: Option<IgnoredAny>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    requests: Option<Vec<Request>>,
}

impl Request {
    fn count(&self, enc: Encoding) -> u64 {
        let own: u64 = self
            .content
            .iter()
            .flat_map(|c| &c.parts)
            .filter_map(|p| p.text.as_deref())
            .map(|t| enc.count(t) as u64)
            .sum();
        let nested: u64 = self.requests.iter().flatten().map(|r| r.count(enc)).sum();
        own.saturating_add(nested)
    }
}

/// An embedContent / batchEmbedContents answer, with its request when it has no usage.
pub(super) fn gemini(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let b: Body = parse(API, body)?;
    if b.error.is_some() {
        return Err(error_body(API, ""));
    }
    if b.candidates.is_some() {
        return Err(ExtractError::WrongFamily {
            expected: API,
            found: "a Gemini generateContent body (use --api gemini)".into(),
        });
    }
    if b.object.as_deref() == Some("list") {
        return Err(ExtractError::WrongFamily {
            expected: API,
            found: "an OpenAI embeddings list (use --api openai-embeddings)".into(),
        });
    }
    if b.embedding.is_none() && b.embeddings.is_none() {
        return Err(ExtractError::MissingUsage {
            api: API,
            hint: "no embedding or embeddings".into(),
        });
    }
    if let Some(m) = &b.usage_metadata {
        let prompt = m.prompt_token_count.or(m.total_token_count).unwrap_or(0);
        if let Some(t) = m.total_token_count.filter(|t| *t != prompt) {
            return Err(ExtractError::Inconsistent {
                api: API,
                detail: format!("totalTokenCount ({t}) is not promptTokenCount ({prompt})"),
            });
        }
        return Ok(Usage {
            input_tokens: tokens(API, "promptTokenCount", prompt)?,
            ..Usage::default()
        });
    }
    let Some(req) = request else {
        return Err(ExtractError::MissingUsage {
            api: API,
            hint: "Gemini embedding answers carry no token count; pass the request to estimate it"
                .into(),
        });
    };
    request_usage(req)
}

/// The input tokens an embedContent / batchEmbedContents request holds, counted as an answer
/// without usage is metered (`o200k_base`, marked estimated).
pub(crate) fn request_usage(req: &[u8]) -> Result<Usage, ExtractError> {
    let r: Request = parse_request(API, req)?;
    if r.content.is_none() && r.requests.is_none() {
        return Err(ExtractError::Json {
            api: API,
            message: "in the request: neither `content` nor `requests`".into(),
            offset: 0,
            path: String::new(),
        });
    }
    Ok(Usage {
        input_tokens: tokens(API, "estimated input tokens", r.count(Encoding::O200kBase))?,
        estimated: true,
        ..Usage::default()
    })
}
