//! DashScope native generation requests (Qwen: `{"model", "input": {"messages"}, "parameters"}`).

use serde_json::Value;

use super::{index, join, text, Builder, EstimateError};

/// `POST /api/v1/services/aigc/text-generation/generation`: the messages (or the legacy
/// `input.prompt`), ChatML framing, and the output bound from `parameters`.
pub(super) fn generation(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
    if req.get("messages").is_some() {
        return Err(super::EstimateError::WrongFamily {
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
