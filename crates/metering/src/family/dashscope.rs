//! DashScope native generation (Qwen through `/api/v1/services/aigc/...`, not the
//! OpenAI-compatible mode): `{"output": {...}, "usage": {...}, "request_id": ...}`.
//!
//! `input_tokens` includes `prompt_tokens_details.cached_tokens` and, with the explicit
//! cache, `prompt_tokens_details.cache_creation_input_tokens`; multimodal models split the
//! input by modality in `input_tokens_details` (audio is priced apart; text, image and video
//! tokens are billed as input). `output_tokens` includes
//! `output_tokens_details.reasoning_tokens` and any output audio. An answer with reasoning
//! tokens was made in thinking mode, and carries the option `thinking = "true"` that the
//! Qwen tables price thinking output by.

use serde::Deserialize;

use super::openai::{all_cache_writes, is_explicit_cache, Details, CACHE_OPTION};
use super::{check_total, minus, parse, tokens, Api, ExtractError};
use crate::usage::Usage;

const API: Api = Api::DashScope;

#[derive(Deserialize, Default)]
struct Modalities {
    #[serde(default)]
    audio_tokens: Option<u64>,
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct RawUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
    /// Present only in the OpenAI-compatible shape: the sign of a wrong family.
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<Details>,
    #[serde(default)]
    input_tokens_details: Option<Modalities>,
    #[serde(default)]
    output_tokens_details: Option<Modalities>,
}

#[derive(Deserialize, Default)]
struct Choice {
    #[serde(default)]
    finish_reason: Option<String>,
}

/// The `output` of a body or chunk: only whether it has finished is read here.
#[derive(Deserialize, Default)]
struct Output {
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    choices: Option<Vec<Choice>>,
}

/// A finish reason that ends the answer (DashScope writes the string `"null"` while the
/// answer is still streaming).
fn ends(r: &Option<String>) -> bool {
    r.as_deref().is_some_and(|r| r != "null" && !r.is_empty())
}

impl RawUsage {
    /// An empty report (`"usage": {}`): nothing to take from it.
    fn is_empty(&self) -> bool {
        self.input_tokens.is_none()
            && self.output_tokens.is_none()
            && self.total_tokens.is_none()
            && self.prompt_tokens.is_none()
            && self.prompt_tokens_details.is_none()
            && self.input_tokens_details.is_none()
            && self.output_tokens_details.is_none()
    }
}

#[derive(Deserialize, Default)]
pub(super) struct Body {
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    output: Option<Output>,
    #[serde(default)]
    usage: Option<RawUsage>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl Body {
    /// Whether the body is an error report (`code` and `message` at the top level).
    pub(super) fn is_error(&self) -> bool {
        self.code.as_deref().is_some_and(|c| !c.is_empty())
    }

    /// Whether the answer has finished: a finish reason other than `"null"`.
    pub(super) fn finished(&self) -> bool {
        self.output.as_ref().is_some_and(|o| {
            ends(&o.finish_reason) || o.choices.iter().flatten().any(|c| ends(&c.finish_reason))
        })
    }
}

pub(super) fn generation(body: &[u8]) -> Result<Usage, ExtractError> {
    let b: Body = parse(API, body)?;
    usage(&b)?.ok_or_else(|| ExtractError::MissingUsage {
        api: API,
        hint: match (&b.code, &b.message) {
            (Some(c), Some(m)) => format!("it is an error body ({c}: {m})"),
            (Some(c), None) => format!("it is an error body ({c})"),
            _ if b.output.is_none() => "no `output` either".to_string(),
            _ => String::new(),
        },
    })
}

/// The usage of a body or stream chunk; `None` when it carries none.
pub(super) fn usage(b: &Body) -> Result<Option<Usage>, ExtractError> {
    if let Some(o) = b.object.as_deref() {
        let found = if o.starts_with("chat.completion") {
            "an OpenAI-compatible chat completion (use --api openai-chat)"
        } else if o == "response" {
            "an OpenAI Responses body (use --api openai-responses)"
        } else {
            "a body of another family"
        };
        return Err(ExtractError::WrongFamily {
            expected: API,
            found: format!("{found}: it has `object: {o}`"),
        });
    }
    let Some(u) = b.usage.as_ref().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    if u.prompt_tokens.is_some() && u.input_tokens.is_none() {
        return Err(ExtractError::WrongFamily {
            expected: API,
            found: "an OpenAI-compatible chat completion (usage has prompt_tokens; use --api openai-chat)"
                .into(),
        });
    }
    let input = u.input_tokens.unwrap_or(0);
    let output = u.output_tokens.unwrap_or(0);
    let pd = u.prompt_tokens_details.as_ref();
    let cached = pd.and_then(|d| d.cached_tokens).unwrap_or(0);
    let writes = all_cache_writes(API, pd, "prompt_tokens_details")?;
    let audio_in = u
        .input_tokens_details
        .as_ref()
        .and_then(|d| d.audio_tokens)
        .unwrap_or(0);
    let od = u.output_tokens_details.as_ref();
    let reasoning = od.and_then(|d| d.reasoning_tokens).unwrap_or(0);
    let audio_out = od.and_then(|d| d.audio_tokens).unwrap_or(0);

    let uncached = minus(
        API,
        ("input_tokens", input),
        ("prompt_tokens_details.cached_tokens", cached),
    )?;
    let unwritten = minus(
        API,
        ("input_tokens minus cached_tokens", uncached),
        ("prompt_tokens_details.cache_creation_input_tokens", writes),
    )?;
    let text_in = minus(
        API,
        (
            "input_tokens minus cached and cache-creation tokens",
            unwritten,
        ),
        ("input_tokens_details.audio_tokens", audio_in),
    )?;
    let after_reasoning = minus(
        API,
        ("output_tokens", output),
        ("output_tokens_details.reasoning_tokens", reasoning),
    )?;
    let text_out = minus(
        API,
        ("output_tokens minus reasoning_tokens", after_reasoning),
        ("output_tokens_details.audio_tokens", audio_out),
    )?;
    check_total(
        API,
        u.total_tokens,
        ("input_tokens", input),
        ("output_tokens", output),
    )?;
    let mut usage = Usage {
        input_tokens: tokens(API, "input_tokens", text_in)?,
        cache_read_tokens: tokens(API, "cached_tokens", cached)?,
        cache_write_tokens: tokens(API, "cache_creation_input_tokens", writes)?,
        audio_input_tokens: tokens(API, "input audio_tokens", audio_in)?,
        output_tokens: tokens(API, "output_tokens", text_out)?,
        reasoning_tokens: tokens(API, "reasoning_tokens", reasoning)?,
        audio_output_tokens: tokens(API, "output audio_tokens", audio_out)?,
        ..Usage::default()
    };
    if is_explicit_cache(pd) {
        usage
            .options
            .insert(CACHE_OPTION.0.to_string(), CACHE_OPTION.1.to_string());
    }
    super::mark_thinking(&mut usage);
    Ok(Some(usage))
}

pub(crate) mod bound {
    //! The request side: a request read into an upper bound of its usage.
    //!
    //! DashScope native generation requests (Qwen: `{"model", "input": {"messages"}, "parameters"}`).

    use serde_json::Value;

    use crate::family::bound::{index, join, Builder};
    use crate::family::text;
    use crate::request::EstimateError;

    /// `POST /api/v1/services/aigc/text-generation/generation`: the messages (or the legacy
    /// `input.prompt`), ChatML framing, and the output bound from `parameters`.
    pub(crate) fn generation(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
        if req.get("messages").is_some() {
            return Err(EstimateError::WrongFamily {
                expected: b.api,
                found: "an OpenAI-compatible chat request (top-level `messages`): use openai-chat"
                    .into(),
            });
        }
        let cfg = &text::data().dashscope;
        let note = format!(
            "{} per message and {} to prime the reply (ChatML, {})",
            cfg.tokens_per_message, cfg.reply_priming, cfg.source
        );
        let input = req
            .get("input")
            .and_then(Value::as_object)
            .ok_or_else(|| b.field_error("input", "is required and must be an object"))?;
        match (input.get("messages"), input.get("prompt")) {
            (Some(Value::Array(messages)), _) => {
                for (i, m) in messages.iter().enumerate() {
                    let path = index("input.messages", i);
                    let m = m
                        .as_object()
                        .ok_or_else(|| b.field_error(&path, "must be an object"))?;
                    b.framing(cfg.tokens_per_message, &note);
                    if let Some(Value::String(role)) = m.get("role") {
                        b.text(role);
                    }
                    let cp = join(&path, "content");
                    match m.get("content") {
                        Some(Value::String(s)) => b.text(s),
                        Some(Value::Array(parts)) => {
                            for (j, p) in parts.iter().enumerate() {
                                let pp = index(&cp, j);
                                match p.get("text") {
                                Some(Value::String(s)) => b.text(s),
                                _ if p.as_object().is_some_and(|o| o.len() == 1) => {
                                    return Err(b.media_error(
                                        &pp,
                                        "Qwen-VL / Omni media parts are not estimated; only text parts are",
                                    ))
                                }
                                _ => return Err(b.field_error(&pp, "must be an object with `text`")),
                            }
                            }
                        }
                        Some(Value::Null) | None => {}
                        Some(_) => return Err(b.field_error(&cp, "must be a string or an array")),
                    }
                    if let Some(calls) = m.get("tool_calls") {
                        b.json(calls);
                    }
                }
            }
            (Some(_), _) => return Err(b.field_error("input.messages", "must be an array")),
            (None, Some(Value::String(prompt))) => {
                b.framing(cfg.tokens_per_message, &note);
                b.text(prompt);
            }
            (None, Some(_)) => return Err(b.field_error("input.prompt", "must be a string")),
            (None, None) => return Err(b.field_error("input.messages", "is required")),
        }
        b.framing(cfg.reply_priming, &note);
        let params = match req.get("parameters") {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => Some(p),
            Some(_) => return Err(b.field_error("parameters", "must be an object")),
        };
        if let Some(tools) = params.and_then(|p| p.get("tools")) {
            b.tool_text(
                &tools.to_string(),
                0,
                "the tool definitions' JSON, counted as text",
            );
        }
        let n = b.count_field("parameters.n", params.and_then(|p| p.get("n")))?;
        let max = params
            .and_then(|p| p.get("max_tokens"))
            .filter(|v| !v.is_null());
        b.output("parameters.max_tokens", max, n)?;
        // Whether `max_tokens` also caps the reasoning of a thinking request is not documented
        // for the native API; `thinking_budget` is the documented cap, so the bound adds it.
        if params.and_then(|p| p.get("enable_thinking")) == Some(&Value::Bool(true)) {
            let field = "parameters.thinking_budget";
            let budget = match params.and_then(|p| p.get("thinking_budget")) {
            Some(v) => v.as_u64().ok_or_else(|| {
                b.field_error(field, format!("must be a non-negative integer, not {v}"))
            })?,
            None => {
                return Err(b.field_error(
                    field,
                    "is needed when `parameters.enable_thinking` is true: nothing else in the request bounds the reasoning",
                ))
            }
        };
            let api = b.api;
            if let Some(o) = b.output.as_mut() {
                o.tokens = budget
                    .checked_mul(n)
                    .and_then(|t| t.checked_add(o.tokens))
                    .filter(|t| *t <= crate::MAX_COUNT)
                    .ok_or_else(|| EstimateError::TooLarge {
                        api,
                        path: field.to_string(),
                        quantity: format!(
                        "a thinking budget of {budget} tokens × n = {n} on top of the output bound"
                    ),
                    })?;
                o.note.push_str(&format!(
                    ", plus `{field}` ({budget}) × n for the reasoning"
                ));
            }
        }
        Ok(())
    }
}
