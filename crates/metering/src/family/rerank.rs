//! Rerank: Jina, Cohere and Xinference shapes, and the relay's own (Jina-like) answer.
//!
//! Vendors bill rerank in two different units, and the body says which:
//! * Cohere reports `meta.billed_units.search_units`: one search is one query over up to
//!   100 documents; more documents are more searches (and a document too long for the
//!   model's context is split, each chunk counting as a document), so the count can only be
//!   at least ⌈documents / 100⌉. With the request at hand that lower bound is checked.
//! * Jina (and the relay's normalized answer) report tokens in `usage`
//!   (`total_tokens`, and `prompt_tokens` when the relay adds it); Xinference reports
//!   `meta.tokens.input_tokens`. Those become input tokens.
//!
//! A Cohere-shaped answer without `billed_units` is priced from the request's documents by
//! the rule above and marked estimated, because the chunking of long documents is unknown.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::media::{error_body, parse_request};
use super::{count, parse, tokens, Api, ExtractError, Markers};
use crate::usage::Usage;

const API: Api = Api::Rerank;

/// Documents per Cohere search unit.
const DOCUMENTS_PER_SEARCH: u64 = 100;

#[derive(Deserialize)]
struct TokenUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct BilledUnits {
    #[serde(default)]
    search_units: Option<u64>,
}

#[derive(Deserialize)]
struct MetaTokens {
    #[serde(default)]
    input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    billed_units: Option<BilledUnits>,
    #[serde(default)]
    tokens: Option<MetaTokens>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    results: Option<IgnoredAny>,
    #[serde(default)]
    usage: Option<TokenUsage>,
    #[serde(default)]
    meta: Option<Meta>,
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    error: Option<IgnoredAny>,
    /// Jina and FastAPI-style error bodies.
    #[serde(default)]
    detail: Option<IgnoredAny>,
    /// Cohere error bodies carry only `message`.
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    documents: Option<Vec<IgnoredAny>>,
}

/// The searches a request needs by Cohere's rule: ⌈documents / 100⌉, at least one.
pub(crate) fn searches_for(documents: u64) -> u64 {
    documents.div_ceil(DOCUMENTS_PER_SEARCH).max(1)
}

pub(crate) fn documents(request: &[u8]) -> Result<u64, ExtractError> {
    let r: Request = parse_request(API, request)?;
    r.documents
        .map(|d| d.len() as u64)
        .ok_or_else(|| ExtractError::Json {
            api: API,
            message: "in the request: missing field `documents`".into(),
            offset: 0,
            path: "documents".into(),
        })
}

/// A rerank answer, with its request when the searches must be counted from it.
pub(super) fn rerank(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let b: Body = parse(API, body)?;
    super::check_family(
        API,
        Markers {
            object: b.object.as_deref(),
            kind: b.kind.as_deref(),
            gemini: false,
        },
    )?;
    if b.error.is_some() || (b.results.is_none() && (b.detail.is_some() || b.message.is_some())) {
        return Err(error_body(API, b.message.as_deref().unwrap_or("")));
    }
    let meta = b.meta.as_ref();
    if let Some(units) = meta
        .and_then(|m| m.billed_units.as_ref())
        .and_then(|u| u.search_units)
    {
        if let Some(req) = request {
            let least = searches_for(documents(req)?);
            if units < least {
                return Err(ExtractError::Inconsistent {
                    api: API,
                    detail: format!(
                        "meta.billed_units.search_units ({units}) is fewer than the {least} searches the request's documents need"
                    ),
                });
            }
        }
        return Ok(Usage {
            searches: count(API, "search_units", units)?,
            ..Usage::default()
        });
    }
    if let Some(n) = meta
        .and_then(|m| m.tokens.as_ref())
        .and_then(|t| t.input_tokens)
    {
        return Ok(Usage {
            input_tokens: tokens(API, "meta.tokens.input_tokens", n)?,
            ..Usage::default()
        });
    }
    if let Some(u) = &b.usage {
        let out = u.completion_tokens.unwrap_or(0);
        if out != 0 {
            return Err(ExtractError::Inconsistent {
                api: API,
                detail: format!("a rerank answer with {out} completion tokens"),
            });
        }
        let n = match (u.prompt_tokens, u.total_tokens) {
            (Some(p), Some(t)) if p != t => {
                return Err(ExtractError::Inconsistent {
                    api: API,
                    detail: format!("usage.total_tokens ({t}) is not usage.prompt_tokens ({p})"),
                })
            }
            (Some(p), _) => p,
            (None, Some(t)) => t,
            (None, None) => {
                return Err(ExtractError::MissingUsage {
                    api: API,
                    hint: "usage has neither prompt_tokens nor total_tokens".into(),
                })
            }
        };
        return Ok(Usage {
            input_tokens: tokens(API, "usage.total_tokens", n)?,
            ..Usage::default()
        });
    }
    if b.results.is_none() {
        return Err(ExtractError::MissingUsage {
            api: API,
            hint: "no results and no usage".into(),
        });
    }
    let Some(req) = request else {
        return Err(ExtractError::MissingUsage {
            api: API,
            hint: "no billed_units or token usage; pass the request to count searches from its documents".into(),
        });
    };
    Ok(Usage {
        searches: count(API, "searches", searches_for(documents(req)?))?,
        estimated: true,
        ..Usage::default()
    })
}

#[cfg(test)]
mod tests {
    use super::searches_for;

    #[test]
    fn searches_are_chunks_of_one_hundred_documents() {
        assert_eq!(searches_for(0), 1);
        assert_eq!(searches_for(1), 1);
        assert_eq!(searches_for(100), 1);
        assert_eq!(searches_for(101), 2);
        assert_eq!(searches_for(250), 3);
    }
}
