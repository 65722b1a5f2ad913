//! Anthropic Messages requests (`POST /v1/messages`).

use serde_json::{Map, Value};

use super::media;
use super::vision::{self, PdfFamily};
use super::{data, index, join, Builder, EstimateError};
use crate::request::Api;

fn wrong(found: &str) -> EstimateError {
    EstimateError::WrongFamily {
        expected: Api::Anthropic,
        found: found.to_string(),
    }
}

pub(super) fn messages(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
    let o = req
        .as_object()
        .ok_or_else(|| b.field_error("(body)", "must be a JSON object"))?;
    if o.contains_key("contents") {
        return Err(wrong("a Gemini generateContent request (`contents`)"));
    }
    if !o.contains_key("messages") && o.contains_key("input") {
        return Err(wrong("an OpenAI Responses or embeddings request (`input`)"));
    }
    let m = data::models();
    let note = format!(
        "{} per message ({})",
        m.anthropic.tokens_per_message, m.anthropic.source
    );
    // Prompt-cache prefix order: tools, then system, then messages.
    if let Some(tools) = o.get("tools") {
        let list = tools
            .as_array()
            .ok_or_else(|| b.field_error("tools", "must be an array"))?;
        let choice = o
            .get("tool_choice")
            .and_then(|c| c.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("auto");
        if !list.is_empty() {
            let (prompt, note) = match m.anthropic_tools.get(&b.model) {
                Some(t) => {
                    let n = if matches!(choice, "any" | "tool") { t.any } else { t.auto };
                    (n, format!("tool-use system prompt {n} (tool_choice {choice}; {}) plus each tool's name, description and schema", t.source))
                }
                None => (0, format!("no tool-use system prompt size known for `{}`; each tool's name, description and schema", b.model)),
            };
            b.tool_text("", prompt, &note);
        }
        for (i, t) in list.iter().enumerate() {
            let tp = index("tools", i);
            let t = t
                .as_object()
                .ok_or_else(|| b.field_error(&tp, "must be an object"))?;
            let text: Vec<String> = t
                .iter()
                .filter(|(k, _)| k.as_str() != "cache_control")
                .map(|(_, v)| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            b.tool_text(&text.join("\n"), 0, "");
            cache_mark(b, t);
        }
    }
    match o.get("system") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => b.text(s),
        Some(Value::Array(blocks)) => {
            for (i, blk) in blocks.iter().enumerate() {
                content_block(b, blk, &index("system", i))?;
            }
        }
        Some(_) => {
            return Err(b.field_error("system", "must be a string or an array of text blocks"))
        }
    }
    let msgs = o
        .get("messages")
        .ok_or_else(|| b.field_error("messages", "is required"))?;
    let msgs = msgs
        .as_array()
        .ok_or_else(|| b.field_error("messages", "must be an array"))?;
    for (i, msg) in msgs.iter().enumerate() {
        let path = index("messages", i);
        let msg = msg
            .as_object()
            .ok_or_else(|| b.field_error(&path, "must be an object"))?;
        let role = msg
            .get("role")
            .and_then(Value::as_str)
            .ok_or_else(|| b.field_error(&join(&path, "role"), "is required"))?;
        match role {
            "user" | "assistant" => {}
            "system" | "developer" | "tool" => {
                return Err(wrong("an OpenAI chat request (a `system`/`tool` role inside `messages`; Anthropic takes `system` at the top level)"))
            }
            other => return Err(b.field_error(&join(&path, "role"), format!("`{other}` is not `user` or `assistant`"))),
        }
        b.framing(m.anthropic.tokens_per_message, &note);
        match msg.get("content") {
            Some(Value::String(s)) => b.text(s),
            Some(Value::Array(blocks)) => {
                for (j, blk) in blocks.iter().enumerate() {
                    content_block(b, blk, &index(&join(&path, "content"), j))?;
                }
            }
            _ => {
                return Err(b.field_error(
                    &join(&path, "content"),
                    "must be a string or an array of content blocks",
                ))
            }
        }
    }
    let given = o.get("max_tokens").filter(|v| !v.is_null());
    if given.is_none() {
        return Err(b.field_error("max_tokens", "is required by the Messages API"));
    }
    b.output("max_tokens", given, 1)
}

/// Records a prompt-cache breakpoint after the block just counted.
fn cache_mark(b: &mut Builder, blk: &Map<String, Value>) {
    if let Some(cc) = blk.get("cache_control").filter(|v| !v.is_null()) {
        let hour = cc.get("ttl").and_then(Value::as_str) == Some("1h");
        let at = b.input_so_far();
        b.cache_marks.push((at, hour));
    }
}

fn content_block(b: &mut Builder, blk: &Value, path: &str) -> Result<(), EstimateError> {
    let o = blk
        .as_object()
        .ok_or_else(|| b.field_error(path, "must be an object"))?;
    let kind = o.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "text" => b.json(o.get("text").unwrap_or(&Value::Null)),
        "thinking" => b.json(o.get("thinking").unwrap_or(&Value::Null)),
        "redacted_thinking" => b.json(o.get("data").unwrap_or(&Value::Null)),
        "image" => {
            let src = o
                .get("source")
                .and_then(Value::as_object)
                .ok_or_else(|| b.field_error(&join(path, "source"), "is required"))?;
            let dims = match src.get("type").and_then(Value::as_str) {
                Some("base64") => src
                    .get("data")
                    .and_then(Value::as_str)
                    .and_then(media::image_dims_b64),
                _ => None,
            };
            let m = vision::anthropic_image(&b.model, dims);
            b.media(path, "image", m)?;
        }
        "document" => {
            let src = o
                .get("source")
                .and_then(Value::as_object)
                .ok_or_else(|| b.field_error(&join(path, "source"), "is required"))?;
            match src.get("type").and_then(Value::as_str) {
                Some("text") => b.json(src.get("data").unwrap_or(&Value::Null)),
                Some("content") => {
                    if let Some(Value::Array(items)) = src.get("content") {
                        for (i, it) in items.iter().enumerate() {
                            content_block(b, it, &index(&join(path, "source.content"), i))?;
                        }
                    }
                }
                Some("base64") => {
                    let pages = src
                        .get("data")
                        .and_then(Value::as_str)
                        .and_then(media::decode_all)
                        .and_then(|bytes| media::pdf_pages(&bytes))
                        .ok_or_else(|| b.media_error(path, "the document is not a PDF whose pages can be counted"))?;
                    let m = vision::pdf(PdfFamily::Anthropic, &b.model, pages).map_err(|_| b.media_error(path, "no PDF formula"))?;
                    b.media(path, "PDF", m)?;
                }
                _ => return Err(b.media_error(path, "a document given by URL or file id: its pages cannot be counted from the request")),
            }
            for k in ["title", "context"] {
                if let Some(v) = o.get(k) {
                    b.json(v);
                }
            }
        }
        "tool_use" | "server_tool_use" => {
            b.json(o.get("name").unwrap_or(&Value::Null));
            b.json(o.get("input").unwrap_or(&Value::Null));
        }
        "tool_result" => match o.get("content") {
            Some(Value::Array(items)) => {
                for (i, it) in items.iter().enumerate() {
                    content_block(b, it, &index(&join(path, "content"), i))?;
                }
            }
            Some(v) => b.json(v),
            None => {}
        },
        "image_url" | "input_audio" | "input_text" | "input_image" => {
            return Err(wrong(
                "an OpenAI request (content parts of type `image_url`/`input_*`)",
            ))
        }
        "" => return Err(b.field_error(&join(path, "type"), "is required")),
        // Search results, web-search results and other structured blocks: their JSON.
        _ => b.json(blk),
    }
    cache_mark(b, o);
    Ok(())
}
