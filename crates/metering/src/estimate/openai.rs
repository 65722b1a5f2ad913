//! OpenAI request families: Chat Completions, Responses, embeddings.

use serde_json::{Map, Value};

use super::media::{self, Dims};
use super::vision::{self, Detail, PdfFamily};
use super::{data, index, join, Builder, EstimateError};
use crate::request::Api;

fn object<'a>(
    b: &Builder,
    v: &'a Value,
    path: &str,
) -> Result<&'a Map<String, Value>, EstimateError> {
    v.as_object().ok_or_else(|| {
        b.field_error(
            if path.is_empty() { "(body)" } else { path },
            "must be a JSON object",
        )
    })
}

fn array<'a>(b: &Builder, v: &'a Value, path: &str) -> Result<&'a Vec<Value>, EstimateError> {
    v.as_array()
        .ok_or_else(|| b.field_error(path, "must be an array"))
}

fn string<'a>(b: &Builder, v: &'a Value, path: &str) -> Result<&'a str, EstimateError> {
    v.as_str()
        .ok_or_else(|| b.field_error(path, "must be a string"))
}

fn wrong(expected: Api, found: &str) -> EstimateError {
    EstimateError::WrongFamily {
        expected,
        found: found.to_string(),
    }
}

/// Refuses bodies that are plainly another family's.
fn check_family(b: &Builder, o: &Map<String, Value>) -> Result<(), EstimateError> {
    let api = b.api;
    if o.contains_key("contents") && api != Api::Gemini {
        return Err(wrong(api, "a Gemini generateContent request (`contents`)"));
    }
    match api {
        Api::OpenAiChat if !o.contains_key("messages") && o.contains_key("input") => Err(wrong(
            api,
            "an OpenAI Responses or embeddings request (`input`, no `messages`)",
        )),
        Api::OpenAiResponses | Api::OpenAiEmbeddings if o.contains_key("messages") => Err(wrong(
            api,
            "a chat request (`messages`): use openai-chat or anthropic",
        )),
        _ => Ok(()),
    }
}

/// `POST /v1/chat/completions`.
pub(super) fn chat(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
    let o = object(b, req, "")?;
    check_family(b, o)?;
    let cfg = &data::models().openai_chat;
    let note = format!(
        "{} per message, {} per name, {} to prime the reply ({})",
        cfg.tokens_per_message, cfg.tokens_per_name, cfg.reply_priming, cfg.source
    );
    let messages = o
        .get("messages")
        .ok_or_else(|| b.field_error("messages", "is required"))?;
    for (i, m) in array(b, messages, "messages")?.iter().enumerate() {
        let path = index("messages", i);
        let m = object(b, m, &path)?;
        b.framing(cfg.tokens_per_message, &note);
        for (key, v) in m {
            let p = join(&path, key);
            match key.as_str() {
                "content" => chat_content(b, v, &p)?,
                "name" => {
                    b.text(string(b, v, &p)?);
                    b.framing(cfg.tokens_per_name, &note);
                }
                "tool_calls" => {
                    for (j, call) in array(b, v, &p)?.iter().enumerate() {
                        let cp = index(&p, j);
                        let call = object(b, call, &cp)?;
                        if let Some(f) = call.get("function") {
                            let f = object(b, f, &join(&cp, "function"))?;
                            for k in ["name", "arguments"] {
                                if let Some(s) = f.get(k) {
                                    b.json(s);
                                }
                            }
                        } else if let Some(c) = call.get("custom") {
                            b.json(c);
                        }
                        if let Some(id) = call.get("id") {
                            b.json(id);
                        }
                    }
                }
                "function_call" | "audio" => b.json(v),
                // Role, tool_call_id, refusal: text the cookbook counts as it is.
                _ => match v {
                    Value::String(s) => b.text(s),
                    Value::Null | Value::Bool(_) | Value::Number(_) => {}
                    other => b.json(other),
                },
            }
        }
    }
    b.framing(cfg.reply_priming, &note);
    let mut tools = Tools::new(b, true);
    for key in ["tools", "functions"] {
        let Some(list) = o.get(key) else { continue };
        for (i, t) in array(b, list, key)?.iter().enumerate() {
            let tp = index(key, i);
            let t = object(b, t, &tp)?;
            // Chat tools wrap the definition in `function`; legacy `functions` are bare.
            let f = match t.get("function") {
                Some(f) => object(b, f, &join(&tp, "function"))?,
                None => t,
            };
            tools.function(b, f);
        }
    }
    tools.finish(b);
    let n = b.count_field("n", o.get("n"))?;
    let (field, given) = match (o.get("max_completion_tokens"), o.get("max_tokens")) {
        (Some(v), _) if !v.is_null() => ("max_completion_tokens", Some(v)),
        (_, Some(v)) if !v.is_null() => ("max_tokens", Some(v)),
        _ => ("max_completion_tokens", None),
    };
    b.output(field, given, n)
}

/// Tool definitions counted with OpenAI's published formula (see `[[openai_tools]]` in
/// `estimate/models.toml`), itemized as one part.
struct Tools {
    func_init: i64,
    prop_init: i64,
    prop_key: i64,
    enum_init: i64,
    enum_item: i64,
    func_end: i64,
    source: String,
    /// The model has a row and the counter is exact: the formula is the API's count.
    exact_row: bool,
    /// Every schema so far is one the formula describes.
    covered: bool,
    /// Measured against the API for this request family (chat).
    measured: bool,
    functions: u64,
    /// Tokens of what the formula does not describe (other tools, schema parts).
    extra: u64,
    total: i64,
}

impl Tools {
    fn new(b: &Builder, measured: bool) -> Tools {
        let table = &data::models().openai_tools;
        let own = table.get(&b.model);
        // A model without a row: the row of a model of its encoding.
        let row = own.or_else(|| {
            let cl100k = matches!(
                b.counter,
                crate::tokens::Counter::Exact(crate::tokens::Encoding::Cl100kBase)
            );
            table.get(if cl100k { "gpt-4" } else { "gpt-4o" })
        });
        let row = row.expect("estimate/models.toml has rows for gpt-4o and gpt-4");
        Tools {
            func_init: row.func_init,
            prop_init: row.prop_init,
            prop_key: row.prop_key,
            enum_init: row.enum_init,
            enum_item: row.enum_item,
            func_end: row.func_end,
            source: row.source.clone(),
            exact_row: own.is_some() && b.counter.is_exact(),
            covered: true,
            measured,
            functions: 0,
            extra: 0,
            total: 0,
        }
    }

    fn tokens(b: &mut Builder, s: &str) -> i64 {
        i64::try_from(b.count(s)).unwrap_or(i64::MAX)
    }

    /// Counts what the formula does not describe as its compact JSON.
    fn uncovered(&mut self, b: &mut Builder, v: &Value) {
        self.covered = false;
        let n = b.count(&v.to_string());
        self.extra = self.extra.saturating_add(n);
    }

    /// One function definition: `{"name", "description", "parameters"}`.
    fn function(&mut self, b: &mut Builder, f: &Map<String, Value>) {
        self.functions += 1;
        let mut n = self.func_init;
        let name = match f.get("name") {
            Some(Value::String(s)) => s.as_str(),
            other => {
                self.uncovered(b, other.unwrap_or(&Value::Null));
                ""
            }
        };
        let desc = f.get("description").and_then(Value::as_str).unwrap_or("");
        n = n.saturating_add(Self::tokens(b, &format!("{name}:{}", strip_period(desc))));
        for (k, v) in f {
            match k.as_str() {
                "name" | "description" | "type" | "strict" => {}
                "parameters" => n = n.saturating_add(self.parameters(b, v)),
                _ => self.uncovered(b, v),
            }
        }
        self.total = self.total.saturating_add(n);
    }

    /// A function's parameters: a JSON schema of type object whose properties have a
    /// type, a description and perhaps an enum of strings.
    fn parameters(&mut self, b: &mut Builder, v: &Value) -> i64 {
        let Some(p) = v.as_object() else {
            self.uncovered(b, v);
            return 0;
        };
        let mut n = 0i64;
        for (k, v) in p {
            match (k.as_str(), v) {
                ("type", Value::String(t)) if t == "object" => {}
                ("required", _) | ("additionalProperties", _) => {}
                ("properties", Value::Object(props)) => {
                    if !props.is_empty() {
                        n = n.saturating_add(self.prop_init);
                    }
                    for (key, schema) in props {
                        n = n.saturating_add(self.prop_key);
                        n = n.saturating_add(self.property(b, key, schema));
                    }
                }
                _ => self.uncovered(b, v),
            }
        }
        n
    }

    fn property(&mut self, b: &mut Builder, key: &str, schema: &Value) -> i64 {
        let Some(s) = schema.as_object() else {
            self.uncovered(b, schema);
            return Self::tokens(b, &format!("{key}::"));
        };
        let mut n = 0i64;
        let mut kind = "";
        let mut desc = "";
        for (k, v) in s {
            match (k.as_str(), v) {
                ("type", Value::String(t)) => kind = t,
                ("description", Value::String(d)) => desc = d,
                ("enum", Value::Array(items)) => {
                    n = n.saturating_add(self.enum_init);
                    for item in items {
                        n = n.saturating_add(self.enum_item);
                        match item {
                            Value::String(x) => n = n.saturating_add(Self::tokens(b, x)),
                            other => {
                                self.covered = false;
                                n = n.saturating_add(Self::tokens(b, &other.to_string()));
                            }
                        }
                    }
                }
                _ => self.uncovered(b, v),
            }
        }
        n.saturating_add(Self::tokens(
            b,
            &format!("{key}:{kind}:{}", strip_period(desc)),
        ))
    }

    fn finish(self, b: &mut Builder) {
        if self.functions == 0 && self.extra == 0 {
            return;
        }
        let total = self.total.saturating_add(self.func_end);
        // The negative enum constant can only offset what the same property added.
        let total = u64::try_from(total).unwrap_or(0).saturating_add(self.extra);
        let exact = self.exact_row && self.covered && self.measured;
        b.tools_basis = if exact {
            super::Basis::Formula
        } else {
            super::Basis::Estimated
        };
        let note = format!(
            "OpenAI's function counting: {} + \"name:description\" per function, {} + {} per property, {} + {} per enum item, {} at the end{} ({})",
            self.func_init,
            self.prop_init,
            self.prop_key,
            self.enum_init,
            self.enum_item,
            self.func_end,
            if exact {
                ""
            } else {
                "; estimated: schema parts the formula does not describe, other tools, a model or request family it was not published for count their JSON"
            },
            self.source
        );
        b.tool_tokens(total, &note);
    }
}

/// One trailing period dropped, as OpenAI's rendering does.
fn strip_period(s: &str) -> &str {
    s.strip_suffix('.').unwrap_or(s)
}

fn chat_content(b: &mut Builder, v: &Value, path: &str) -> Result<(), EstimateError> {
    let parts = match v {
        Value::String(s) => {
            b.text(s);
            return Ok(());
        }
        Value::Null => return Ok(()),
        Value::Array(a) => a,
        _ => return Err(b.field_error(path, "must be a string or an array of content parts")),
    };
    for (i, part) in parts.iter().enumerate() {
        let pp = index(path, i);
        let p = object(b, part, &pp)?;
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "text" | "input_text" | "output_text" | "refusal" => {
                let key = if kind == "refusal" { "refusal" } else { "text" };
                let t = p.get(key).ok_or_else(|| b.field_error(&join(&pp, key), "is required"))?;
                b.text(string(b, t, &join(&pp, key))?);
            }
            "image_url" => {
                let iu = p.get("image_url").ok_or_else(|| b.field_error(&join(&pp, "image_url"), "is required"))?;
                // Either {"url": ..., "detail": ...} or a bare URL string.
                let (url, detail) = match iu {
                    Value::String(s) => (s.as_str(), None),
                    Value::Object(m) => (
                        m.get("url").and_then(Value::as_str).ok_or_else(|| b.field_error(&join(&pp, "image_url.url"), "is required"))?,
                        m.get("detail").and_then(Value::as_str),
                    ),
                    _ => return Err(b.field_error(&join(&pp, "image_url"), "must be an object with `url`")),
                };
                image(b, &pp, url, detail)?;
            }
            "input_audio" => {
                return Err(b.media_error(
                    &pp,
                    "OpenAI publishes no tokens-per-second figure for input audio, so its tokens cannot be estimated",
                ))
            }
            "file" => {
                let f = p.get("file").and_then(Value::as_object).ok_or_else(|| b.field_error(&join(&pp, "file"), "must be an object"))?;
                file(b, &pp, f.get("file_data").and_then(Value::as_str), f.get("file_id"))?;
            }
            "image" | "document" | "tool_use" | "tool_result" => {
                return Err(wrong(b.api, "an Anthropic Messages request (content blocks of type `image`/`document`/`tool_use`)"))
            }
            "" => return Err(b.field_error(&join(&pp, "type"), "is required")),
            other => return Err(b.field_error(&join(&pp, "type"), format!("`{other}` is not a content part type this estimator knows"))),
        }
    }
    Ok(())
}

/// An image given by URL (`data:` or remote) to an OpenAI model.
fn image(
    b: &mut Builder,
    path: &str,
    url: &str,
    detail: Option<&str>,
) -> Result<(), EstimateError> {
    let detail = Detail::parse(detail)
        .ok_or_else(|| b.field_error(&join(path, "detail"), "must be `low`, `high` or `auto`"))?;
    let dims: Option<Dims> = match media::data_url(url) {
        Some((_, data)) => media::image_dims_b64(data),
        None => None,
    };
    let m = vision::openai_image(&b.model, dims, detail).map_err(|_| {
        b.media_error(
            path,
            format!(
                "no image formula is known for model `{}` (estimate/vision.toml)",
                b.model
            ),
        )
    })?;
    b.media(path, "image", m)?;
    Ok(())
}

/// A file part: a PDF given inline (pages counted), or by id (pages unknown).
fn file(
    b: &mut Builder,
    path: &str,
    data: Option<&str>,
    id: Option<&Value>,
) -> Result<(), EstimateError> {
    let Some(data) = data else {
        let what = if id.is_some() {
            "a file given by id"
        } else {
            "a file part without data"
        };
        return Err(b.media_error(
            path,
            format!("{what}: its pages cannot be counted from the request"),
        ));
    };
    let payload = media::data_url(data).map_or(data, |(_, d)| d);
    let pages = media::decode_all(payload)
        .and_then(|bytes| media::pdf_pages(&bytes))
        .ok_or_else(|| b.media_error(path, "the file is not a PDF whose pages can be counted"))?;
    let m = vision::pdf(PdfFamily::OpenAi, &b.model, pages)
        .map_err(|_| b.media_error(path, "no PDF formula"))?;
    b.media(path, "PDF", m)?;
    Ok(())
}

/// `POST /v1/responses`.
pub(super) fn responses(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
    let o = object(b, req, "")?;
    check_family(b, o)?;
    let cfg = &data::models().openai_chat;
    let note = format!(
        "{} per message, {} to prime the reply (as chat; {})",
        cfg.tokens_per_message, cfg.reply_priming, cfg.source
    );
    if let Some(i) = o.get("instructions").filter(|v| !v.is_null()) {
        b.text(string(b, i, "instructions")?);
        b.framing(cfg.tokens_per_message, &note);
    }
    match o.get("input") {
        None | Some(Value::Null) => return Err(b.field_error("input", "is required")),
        Some(Value::String(s)) => {
            b.text(s);
            b.framing(cfg.tokens_per_message, &note);
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let ip = index("input", i);
                let it = object(b, item, &ip)?;
                let kind = it.get("type").and_then(Value::as_str).unwrap_or("message");
                b.framing(cfg.tokens_per_message, &note);
                match kind {
                    "message" => {
                        if let Some(r) = it.get("role") {
                            b.text(string(b, r, &join(&ip, "role"))?);
                        }
                        let c = it
                            .get("content")
                            .ok_or_else(|| b.field_error(&join(&ip, "content"), "is required"))?;
                        responses_content(b, c, &join(&ip, "content"))?;
                    }
                    "function_call" | "custom_tool_call" => {
                        for k in ["name", "arguments", "input", "call_id"] {
                            if let Some(v) = it.get(k) {
                                b.json(v);
                            }
                        }
                    }
                    "function_call_output" | "custom_tool_call_output" => {
                        if let Some(v) = it.get("output") {
                            b.json(v);
                        }
                    }
                    "reasoning" => {
                        if let Some(Value::Array(s)) = it.get("summary") {
                            for x in s {
                                if let Some(t) = x.get("text") {
                                    b.json(t);
                                }
                            }
                        }
                    }
                    "item_reference" => {}
                    // Built-in tool calls and their results: their JSON, approximately.
                    _ => b.json(item),
                }
            }
        }
        Some(_) => return Err(b.field_error("input", "must be a string or an array of items")),
    }
    b.framing(cfg.reply_priming, &note);
    // Responses renders function tools as chat does, as far as is published; the formula
    // was measured on chat, so the count is flagged estimated.
    let mut tools = Tools::new(b, false);
    if let Some(list) = o.get("tools") {
        for (i, t) in array(b, list, "tools")?.iter().enumerate() {
            let t = object(b, t, &index("tools", i))?;
            if t.get("type").and_then(Value::as_str) == Some("function") {
                tools.function(b, t);
            } else {
                // Built-in tools (web search, file search, …): their JSON.
                tools.uncovered(b, &Value::Object(t.clone()));
            }
        }
    }
    tools.finish(b);
    b.output(
        "max_output_tokens",
        o.get("max_output_tokens").filter(|v| !v.is_null()),
        1,
    )
}

fn responses_content(b: &mut Builder, v: &Value, path: &str) -> Result<(), EstimateError> {
    let parts = match v {
        Value::String(s) => {
            b.text(s);
            return Ok(());
        }
        Value::Array(a) => a,
        _ => return Err(b.field_error(path, "must be a string or an array of content parts")),
    };
    for (i, part) in parts.iter().enumerate() {
        let pp = index(path, i);
        let p = object(b, part, &pp)?;
        match p.get("type").and_then(Value::as_str).unwrap_or("") {
            "input_text" | "output_text" | "text" | "summary_text" => {
                let t = p.get("text").ok_or_else(|| b.field_error(&join(&pp, "text"), "is required"))?;
                b.text(string(b, t, &join(&pp, "text"))?);
            }
            "refusal" => b.json(p.get("refusal").unwrap_or(&Value::Null)),
            "input_image" => {
                let url = p.get("image_url").and_then(Value::as_str).unwrap_or("");
                image(b, &pp, url, p.get("detail").and_then(Value::as_str))?;
            }
            "input_file" => file(b, &pp, p.get("file_data").and_then(Value::as_str), p.get("file_id"))?,
            "input_audio" => {
                return Err(b.media_error(
                    &pp,
                    "OpenAI publishes no tokens-per-second figure for input audio, so its tokens cannot be estimated",
                ))
            }
            "" => return Err(b.field_error(&join(&pp, "type"), "is required")),
            other => return Err(b.field_error(&join(&pp, "type"), format!("`{other}` is not a content part type this estimator knows"))),
        }
    }
    Ok(())
}

/// `POST /v1/embeddings`: input only; token arrays count as their length.
pub(super) fn embeddings(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
    let o = object(b, req, "")?;
    check_family(b, o)?;
    let input = o
        .get("input")
        .ok_or_else(|| b.field_error("input", "is required"))?;
    let mut ids = 0u64;
    match input {
        Value::String(s) => b.text(s),
        Value::Array(items) => {
            for (i, it) in items.iter().enumerate() {
                let p = index("input", i);
                match it {
                    Value::String(s) => b.text(s),
                    Value::Number(_) => ids = ids.saturating_add(1),
                    Value::Array(a) => {
                        if a.iter().any(|x| !x.is_u64()) {
                            return Err(b.field_error(&p, "must be an array of token ids"));
                        }
                        ids = ids.saturating_add(super::count64(a.len()));
                    }
                    Value::Object(_) => {
                        return Err(wrong(
                            b.api,
                            "an OpenAI Responses request (`input` holds items, not texts)",
                        ))
                    }
                    _ => return Err(b.field_error(&p, "must be a string or token ids")),
                }
            }
        }
        _ => {
            return Err(b.field_error(
                "input",
                "must be a string, an array of strings, or token ids",
            ))
        }
    }
    if ids > 0 {
        b.media(
            "input",
            "token ids",
            vision::MediaTokens {
                tokens: ids,
                basis: super::Basis::Exact,
                note: "token ids given by the request, one token each".into(),
            },
        )?;
    }
    Ok(())
}
