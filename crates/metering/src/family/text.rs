//! Estimates of text families outside the chat builders: Gemini embeddings, rerank and
//! OpenAI moderations. Each reads the request as its extractor does, so that the estimate
//! is what the answer then meters.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::bound::{index, Builder, Estimate, Subject};
use super::data::ByModel;
use crate::request::Api;
use crate::request::{Basis, EstimateError, Part};
use crate::usage::{Count, Usage};

static TEXT_TOML: &str = crate::data::embedded!("estimate/text.toml");

/// Qwen's ChatML framing.
pub(super) struct Framing {
    pub tokens_per_message: u64,
    pub reply_priming: u64,
    pub source: String,
}

pub(super) struct Data {
    pub dashscope: Framing,
    per_search: ByModel<Vec<String>>,
    rerank_source: String,
    per_second: ByModel<Vec<String>>,
    transcription_source: String,
}

pub(super) fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| parse(TEXT_TOML).unwrap_or_else(|e| panic!("estimate/text.toml: {e}")))
}

/// Reads the file as a generic table (a typed struct per section would add a deserializer
/// for each to the WebAssembly build); every section must still carry `source` and `as_of`.
fn parse(text: &str) -> Result<Data, String> {
    let raw: BTreeMap<String, toml::Value> = crate::data::parse(text)?;
    let section = |name: &str| {
        let t = raw
            .get(name)
            .and_then(toml::Value::as_table)
            .ok_or(format!("no [{name}] table"))?;
        let source = t.get("source").and_then(toml::Value::as_str);
        match (source, t.get("as_of").and_then(toml::Value::as_datetime)) {
            (Some(s), Some(_)) => Ok((t, s.to_string())),
            _ => Err(format!("[{name}] needs `source` and `as_of`")),
        }
    };
    let number = |t: &toml::Table, k: &str| {
        t.get(k)
            .and_then(toml::Value::as_integer)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or(format!("`{k}` must be a non-negative integer"))
    };
    let models = |t: &toml::Table, k: &str| {
        let list: Option<Vec<String>> = t
            .get(k)
            .and_then(toml::Value::as_array)
            .and_then(|a| a.iter().map(|m| m.as_str().map(str::to_string)).collect());
        let list = list.ok_or(format!("`{k}` must be a list of model patterns"))?;
        ByModel::new(vec![list], |p| p.as_slice())
    };
    let (d, dashscope_source) = section("dashscope")?;
    let (r, rerank_source) = section("rerank")?;
    let (t, transcription_source) = section("transcription")?;
    Ok(Data {
        dashscope: Framing {
            tokens_per_message: number(d, "tokens_per_message")?,
            reply_priming: number(d, "reply_priming")?,
            source: dashscope_source,
        },
        per_search: models(r, "per_search")?,
        rerank_source,
        per_second: models(t, "per_second")?,
        transcription_source,
    })
}

fn one_part(api: Api, model: &str, counter: &str, usage: Usage, part: Part) -> Estimate {
    Estimate {
        api,
        model: model.to_string(),
        counter: counter.to_string(),
        usage: Usage {
            estimated: true,
            ..usage
        },
        parts: vec![part],
    }
}

/// `embedContent` / `batchEmbedContents`: the text parts, counted as the extractor meters an
/// answer without a token count.
pub(super) fn gemini_embeddings(model: &str, request: &[u8]) -> Result<Estimate, EstimateError> {
    let usage = crate::family::gemini_embedding_request(request)?;
    let part = Part {
        what: "text".into(),
        tokens: usage.input_tokens.get(),
        basis: Basis::Estimated,
        note: "text parts counted with o200k_base, a stand-in for Gemini's unpublished tokenizer, as an answer without usageMetadata is metered".into(),
    };
    Ok(one_part(
        Api::GeminiEmbeddings,
        model,
        "o200k_base",
        usage,
        part,
    ))
}

/// `/v1/moderations`: one request, and the tokens of its text inputs.
pub(super) fn moderations(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
    let input = req
        .get("input")
        .ok_or_else(|| b.field_error("input", "is required"))?;
    match input {
        Value::String(s) => b.text(s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let path = index("input", i);
                match item {
                    Value::String(s) => b.text(s),
                    Value::Object(o) => match (o.get("type").and_then(Value::as_str), o.get("text")) {
                        (Some("text"), Some(Value::String(s))) => b.text(s),
                        (Some("image_url"), _) => {
                            return Err(b.media_error(
                                &path,
                                "OpenAI does not publish how many tokens a moderation image input counts",
                            ))
                        }
                        _ => {
                            return Err(b.field_error(
                                &path,
                                "must be a string, a `text` part or an `image_url` part",
                            ))
                        }
                    },
                    _ => return Err(b.field_error(&path, "must be a string or an object")),
                }
            }
        }
        _ => return Err(b.field_error("input", "must be a string or an array")),
    }
    Ok(())
}

/// A moderations request: the tokens of its texts, one request.
pub(super) fn moderations_estimate(
    model: &Subject,
    request: &[u8],
) -> Result<Estimate, EstimateError> {
    super::bound::read(Api::OpenAiModerations, model, request, moderations).map(one_request)
}

/// A rerank request: searches, or the tokens of its query and documents.
pub(super) fn rerank_estimate(model: &Subject, request: &[u8]) -> Result<Estimate, EstimateError> {
    let value = super::bound::json(Api::Rerank, request)?;
    let mut b = Builder::new(Api::Rerank, model);
    if let Some(est) = rerank(&mut b, &value, request)? {
        return Ok(est);
    }
    b.finish().map(query_per_document)
}

/// Marks a moderation estimate as the one request the extractor meters.
pub(super) fn one_request(mut est: Estimate) -> Estimate {
    est.usage.requests = Count::new(1).expect("1 is a count");
    est
}

/// Says how a token-billed rerank was counted: the vendors (Jina, Cohere Rerank 5,
/// Xinference) do not publish how they count a request, and a cross-encoder reads the
/// query once with each document.
pub(super) fn query_per_document(mut est: Estimate) -> Estimate {
    if let Some(p) = est.parts.iter_mut().find(|p| p.what == "text") {
        p.note.push_str("; the query counted once per document, as a cross-encoder reads each (query, document) pair");
    }
    est
}

/// `/v1/rerank`: searches for the models billed per search, else the tokens of the query
/// and documents.
pub(super) fn rerank(
    b: &mut Builder,
    req: &Value,
    request: &[u8],
) -> Result<Option<Estimate>, EstimateError> {
    let d = data();
    if d.per_search.get(&b.model).is_some() {
        let docs = crate::family::rerank_documents(request)?;
        let (searches, basis, note) = match req.get("max_chunks_per_doc") {
            None | Some(Value::Null) => (
                crate::family::rerank_searches(docs),
                Basis::Formula,
                format!("⌈{docs} documents / 100⌉, at least 1 ({})", d.rerank_source),
            ),
            Some(v) => {
                let chunks = v.as_u64().filter(|c| *c >= 1).ok_or_else(|| {
                    b.field_error(
                        "max_chunks_per_doc",
                        format!("must be a positive integer, not {v}"),
                    )
                })?;
                (
                    crate::family::rerank_searches(docs.saturating_mul(chunks)),
                    Basis::Bound,
                    format!("each of {docs} documents split into at most {chunks} chunks (`max_chunks_per_doc`), 100 chunks per search ({})", d.rerank_source),
                )
            }
        };
        let usage = Usage {
            searches: Count::new(searches).ok_or_else(|| {
                b.field_error(
                    "documents",
                    format!("would need {searches} searches, more than a usage record holds"),
                )
            })?,
            ..Usage::default()
        };
        let part = Part {
            what: "searches".into(),
            tokens: searches,
            basis,
            note,
        };
        return Ok(Some(one_part(
            Api::Rerank,
            &b.model,
            "nothing (searches counted from the documents)",
            usage,
            part,
        )));
    }
    let query = match req.get("query") {
        Some(Value::String(q)) => q.as_str(),
        Some(Value::Object(o)) => match o.get("text") {
            Some(Value::String(q)) => q.as_str(),
            _ => return Err(b.field_error("query", "must be a string or an object with `text`")),
        },
        Some(_) => return Err(b.field_error("query", "must be a string")),
        None => return Err(b.field_error("query", "is required")),
    };
    let docs = match req.get("documents") {
        Some(Value::Array(d)) => d,
        Some(_) => return Err(b.field_error("documents", "must be an array")),
        None => return Err(b.field_error("documents", "is required")),
    };
    // A cross-encoder reads the query with every document, so each pair counts it.
    for (i, doc) in docs.iter().enumerate() {
        let text = match doc {
            Value::String(s) => s.as_str(),
            Value::Object(o) => match o.get("text") {
                Some(Value::String(s)) => s.as_str(),
                _ if o.contains_key("image") => {
                    return Err(b.media_error(
                        &index("documents", i),
                        "rerank image documents have no published token count",
                    ))
                }
                _ => {
                    return Err(b.field_error(
                        &index("documents", i),
                        "must be a string or an object with `text`",
                    ))
                }
            },
            _ => {
                return Err(b.field_error(
                    &index("documents", i),
                    "must be a string or an object with `text`",
                ))
            }
        };
        b.text(query);
        b.text(text);
    }
    Ok(None)
}

/// `/v1/audio/transcriptions` and `/translations` (multipart): the seconds of the `file`,
/// read from its header and rounded as the answer is billed, for the models billed per
/// second.
pub(super) fn transcription(model: &str, request: &[u8]) -> Result<Estimate, EstimateError> {
    let api = Api::OpenAiTranscription;
    let media = |path: &str, problem: String| EstimateError::Media {
        api,
        path: path.to_string(),
        problem,
    };
    let d = data();
    if d.per_second.get(model).is_none() {
        return Err(media(
            "model",
            format!("`{model}` is not billed per second of audio; gpt-4o-transcribe models bill audio tokens and OpenAI publishes no audio tokens per second for them"),
        ));
    }
    let file = crate::family::form_file(request, "file").ok_or_else(|| EstimateError::Field {
        api,
        path: "file".into(),
        problem: "is missing: the request must be multipart/form-data with a `file` part".into(),
    })?;
    let exact = super::dims::media_seconds(file).ok_or_else(|| {
        media(
            "file",
            "its duration cannot be read from the header (WAV, MP3, FLAC and MP4 / M4A are read; OGG and WebM are not)".into(),
        )
    })?;
    // The header's exact fraction goes to the billing rule, which rounds it once (see
    // `MediaDuration::to_decimal`): rounding to milliseconds first made 2.4996 s 2.500 s
    // and then 3 billed seconds.
    let seconds = exact
        .to_decimal()
        .and_then(crate::family::billed_audio_seconds)
        .ok_or_else(|| EstimateError::TooLarge {
            api,
            path: "file".into(),
            quantity: format!("a duration of {exact} s"),
        })?;
    let usage = Usage {
        audio_seconds: seconds,
        ..Usage::default()
    };
    let part = Part {
        what: "seconds of audio".into(),
        tokens: rust_decimal::prelude::ToPrimitive::to_u64(&seconds.get()).unwrap_or(u64::MAX),
        basis: Basis::Formula,
        note: format!(
            "{exact} s read from the file's header, billed to the nearest second ({})",
            d.transcription_source
        ),
    };
    Ok(one_part(
        api,
        model,
        "nothing (seconds read from the audio header)",
        usage,
        part,
    ))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn the_data_file_parses_and_every_section_is_sourced() {
        let d = parse(super::TEXT_TOML).unwrap();
        assert_eq!(
            (d.dashscope.tokens_per_message, d.dashscope.reply_priming),
            (4, 3)
        );
        assert!(d.per_search.get("cohere/rerank-v3.5").is_some());
        assert!(d.per_search.get("rerank-v5.0-pro").is_none());
        assert!(d.per_second.get("whisper-1").is_some());
        assert!(d.per_second.get("gpt-4o-transcribe").is_none());
        // Edits of the TOML text, which `embed-json` builds do not embed.
        #[cfg(not(feature = "embed-json"))]
        {
            let unsourced = super::TEXT_TOML.replacen("as_of = 2026-11-27", "", 1);
            assert!(parse(&unsourced)
                .err()
                .unwrap()
                .contains("`source` and `as_of`"));
            let negative =
                super::TEXT_TOML.replacen("tokens_per_message = 4", "tokens_per_message = -4", 1);
            assert!(parse(&negative)
                .err()
                .unwrap()
                .contains("tokens_per_message"));
        }
    }
}
