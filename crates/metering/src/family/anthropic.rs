//! Anthropic Messages.
//!
//! `input_tokens` already excludes cache reads and writes; `cache_creation` splits writes
//! by lifetime (5 minutes, 1 hour) and must add up to `cache_creation_input_tokens`.
//! Thinking is inside `output_tokens`; where the answer counts it apart
//! (`output_tokens_details.thinking_tokens`) it goes to `reasoning_tokens` and is taken out
//! of the output, and the usage carries the option `thinking = "true"`.
//!
//! In a stream, `message_start` reports the input side and a placeholder output count;
//! `message_delta`s carry cumulative counts that replace it field by field. A count may
//! not fall from one report to the next. A `message_delta` that raises
//! `cache_creation_input_tokens` without a new `cache_creation` breakdown leaves the
//! lifetime of the difference unknown: it is billed as 1-hour writes, the dearer lifetime,
//! so an unknown split never bills less than the vendor does (a body with no breakdown at
//! all is the legacy shape, whose writes all had the 5-minute lifetime).

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{count, parse, tokens, Api, ExtractError};
use crate::usage::{ServiceTier, Usage};

const API: Api = Api::Anthropic;

#[derive(Deserialize, Default, Clone, Copy)]
struct CacheCreation {
    #[serde(default)]
    ephemeral_5m_input_tokens: Option<u64>,
    #[serde(default)]
    ephemeral_1h_input_tokens: Option<u64>,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct OutputDetails {
    #[serde(default)]
    thinking_tokens: Option<u64>,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct ServerToolUse {
    #[serde(default)]
    web_search_requests: Option<u64>,
    // `web_fetch_requests` is deliberately not read: web fetch has no fee beyond the
    // tokens it adds, which are already in input_tokens.
}

/// A usage object; in a stream, later (cumulative) objects override earlier fields.
#[derive(Deserialize, Default, Clone)]
pub(super) struct RawUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation: Option<CacheCreation>,
    #[serde(default)]
    server_tool_use: Option<ServerToolUse>,
    #[serde(default)]
    service_tier: Option<String>,
    #[serde(default)]
    output_tokens_details: Option<OutputDetails>,
}

impl RawUsage {
    /// Whether the report counts the output (the final `message_delta` always does).
    pub(super) fn has_output(&self) -> bool {
        self.output_tokens.is_some()
    }

    /// Folds a later (cumulative) report over this one: fields it carries replace ours,
    /// and none may be lower than ours.
    pub(super) fn merge(&mut self, later: RawUsage) -> Result<(), ExtractError> {
        fn keep(
            field: &str,
            ours: &mut Option<u64>,
            theirs: Option<u64>,
        ) -> Result<(), ExtractError> {
            theirs.map_or(Ok(()), |t| keep_up(field, ours, t))
        }
        keep("input_tokens", &mut self.input_tokens, later.input_tokens)?;
        keep(
            "output_tokens",
            &mut self.output_tokens,
            later.output_tokens,
        )?;
        keep(
            "cache_read_input_tokens",
            &mut self.cache_read_input_tokens,
            later.cache_read_input_tokens,
        )?;
        let mut thinking = self.output_tokens_details.and_then(|d| d.thinking_tokens);
        keep(
            "output_tokens_details.thinking_tokens",
            &mut thinking,
            later.output_tokens_details.and_then(|d| d.thinking_tokens),
        )?;
        if thinking.is_some() {
            self.output_tokens_details = Some(OutputDetails {
                thinking_tokens: thinking,
            });
        }
        let mut searches = self.server_tool_use.and_then(|s| s.web_search_requests);
        keep(
            "server_tool_use.web_search_requests",
            &mut searches,
            later.server_tool_use.and_then(|s| s.web_search_requests),
        )?;
        if later.server_tool_use.is_some() || searches.is_some() {
            self.server_tool_use = Some(ServerToolUse {
                web_search_requests: searches,
            });
        }
        self.merge_cache_writes(&later)?;
        if later.service_tier.is_some() {
            self.service_tier = later.service_tier;
        }
        Ok(())
    }

    /// The cache writes of a later report: its breakdown when it gives one; otherwise the
    /// rise of the total is added to the 1-hour writes (see the module docs).
    fn merge_cache_writes(&mut self, later: &RawUsage) -> Result<(), ExtractError> {
        let split = |c: Option<CacheCreation>| {
            c.map(|c| {
                (
                    c.ephemeral_5m_input_tokens.unwrap_or(0),
                    c.ephemeral_1h_input_tokens.unwrap_or(0),
                )
            })
        };
        let (ours, theirs) = (split(self.cache_creation), split(later.cache_creation));
        if let (Some((m5, h1)), Some((m5b, h1b))) = (ours, theirs) {
            let mut a = Some(m5);
            keep_up("cache_creation.ephemeral_5m_input_tokens", &mut a, m5b)?;
            let mut b = Some(h1);
            keep_up("cache_creation.ephemeral_1h_input_tokens", &mut b, h1b)?;
        }
        let mut total = self.cache_creation_input_tokens;
        if let Some(t) = later.cache_creation_input_tokens {
            keep_up("cache_creation_input_tokens", &mut total, t)?;
        }
        match (theirs, later.cache_creation_input_tokens, ours) {
            (Some(_), _, _) => {
                self.cache_creation = later.cache_creation;
                if later.cache_creation_input_tokens.is_some() {
                    self.cache_creation_input_tokens = later.cache_creation_input_tokens;
                }
            }
            (None, Some(t), Some((m5, h1))) => {
                // A new total without a breakdown: the rise has no known lifetime.
                let known = m5.checked_add(h1).ok_or_else(|| ExtractError::Inconsistent {
                    api: API,
                    detail: format!(
                        "cache_creation.ephemeral_5m_input_tokens ({m5}) + ephemeral_1h_input_tokens ({h1}) is implausibly large"
                    ),
                })?;
                let rise = t.checked_sub(known).ok_or_else(|| ExtractError::Inconsistent {
                    api: API,
                    detail: format!(
                        "cache_creation_input_tokens ({t}) in a later report is less than the cache_creation breakdown before it ({known})"
                    ),
                })?;
                self.cache_creation = Some(CacheCreation {
                    ephemeral_5m_input_tokens: Some(m5),
                    ephemeral_1h_input_tokens: Some(h1 + rise),
                });
                self.cache_creation_input_tokens = Some(t);
            }
            (None, Some(t), None) => self.cache_creation_input_tokens = Some(t),
            (None, None, _) => {}
        }
        Ok(())
    }
}

/// Takes `theirs` over `ours` unless it is lower: counts in one stream only grow.
fn keep_up(field: &str, ours: &mut Option<u64>, theirs: u64) -> Result<(), ExtractError> {
    if let Some(o) = *ours {
        if theirs < o {
            return Err(ExtractError::Inconsistent {
                api: API,
                detail: format!(
                    "a later usage report in the stream lowers {field} from {o} to {theirs} (reports are cumulative)"
                ),
            });
        }
    }
    *ours = Some(theirs);
    Ok(())
}

/// A message, or a stream event (`message_start` wraps one; `message_delta` has usage).
#[derive(Deserialize, Default)]
pub(super) struct Body {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub usage: Option<RawUsage>,
    #[serde(default)]
    pub message: Option<Box<Body>>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default, rename = "usageMetadata")]
    usage_metadata: Option<IgnoredAny>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

pub(super) fn check_family(b: &Body) -> Result<(), ExtractError> {
    super::check_family(
        API,
        super::Markers {
            object: b.object.as_deref(),
            kind: b.kind.as_deref(),
            gemini: b.usage_metadata.is_some(),
        },
    )
}

pub(super) fn message(body: &[u8]) -> Result<Usage, ExtractError> {
    let b: Body = parse(API, body)?;
    check_family(&b)?;
    match b.usage {
        Some(u) => to_usage(&u),
        None => Err(ExtractError::MissingUsage {
            api: API,
            hint: if b.error.is_some() || b.kind.as_deref() == Some("error") {
                "it is an error body".into()
            } else {
                String::new()
            },
        }),
    }
}

pub(super) fn to_usage(u: &RawUsage) -> Result<Usage, ExtractError> {
    let created = u.cache_creation_input_tokens.unwrap_or(0);
    let (five_min, one_hour) = match u.cache_creation {
        Some(c) => {
            // A breakdown naming one lifetime leaves the other to the total.
            let rest = |given: u64| {
                if u.cache_creation_input_tokens.is_some() {
                    created.saturating_sub(given)
                } else {
                    0
                }
            };
            let (m5, h1) = match (c.ephemeral_5m_input_tokens, c.ephemeral_1h_input_tokens) {
                (Some(m5), Some(h1)) => (m5, h1),
                (Some(m5), None) => (m5, rest(m5)),
                (None, Some(h1)) => (rest(h1), h1),
                (None, None) => (0, 0),
            };
            if u.cache_creation_input_tokens.is_some()
                && u128::from(m5) + u128::from(h1) != u128::from(created)
            {
                return Err(ExtractError::Inconsistent {
                    api: API,
                    detail: format!(
                        "cache_creation.ephemeral_5m_input_tokens ({m5}) + ephemeral_1h_input_tokens ({h1}) is not cache_creation_input_tokens ({created})"
                    ),
                });
            }
            (m5, h1)
        }
        // The legacy single field: every write had the default 5-minute lifetime.
        None => (created, 0),
    };
    let service_tier = match u.service_tier.as_deref() {
        None => None,
        Some(t) => Some(
            ServiceTier::parse(t).ok_or_else(|| ExtractError::Inconsistent {
                api: API,
                detail: format!("unknown service_tier `{t}`"),
            })?,
        ),
    };
    let all_output = u.output_tokens.unwrap_or(0);
    let thinking = u
        .output_tokens_details
        .and_then(|d| d.thinking_tokens)
        .unwrap_or(0);
    let output = super::minus(
        API,
        ("output_tokens", all_output),
        ("output_tokens_details.thinking_tokens", thinking),
    )?;
    let mut usage = Usage {
        input_tokens: tokens(API, "input_tokens", u.input_tokens.unwrap_or(0))?,
        cache_read_tokens: tokens(
            API,
            "cache_read_input_tokens",
            u.cache_read_input_tokens.unwrap_or(0),
        )?,
        cache_write_tokens: tokens(API, "ephemeral_5m_input_tokens", five_min)?,
        cache_write_1h_tokens: tokens(API, "ephemeral_1h_input_tokens", one_hour)?,
        output_tokens: tokens(API, "output_tokens", output)?,
        reasoning_tokens: tokens(API, "output_tokens_details.thinking_tokens", thinking)?,
        web_search_calls: count(
            API,
            "server_tool_use.web_search_requests",
            u.server_tool_use
                .and_then(|s| s.web_search_requests)
                .unwrap_or(0),
        )?,
        service_tier,
        ..Usage::default()
    };
    super::mark_thinking(&mut usage);
    Ok(usage)
}

pub(crate) mod bound {
    //! The request side: a request read into an upper bound of its usage.
    //!
    //! Anthropic Messages requests (`POST /v1/messages`).

    use serde_json::{Map, Value};

    use crate::family::bound::{index, join, Builder};
    use crate::family::data;
    use crate::family::dims as media;
    use crate::family::vision::{self, PdfFamily};
    use crate::request::Api;
    use crate::request::EstimateError;

    fn wrong(found: &str) -> EstimateError {
        EstimateError::WrongFamily {
            expected: Api::Anthropic,
            found: found.to_string(),
        }
    }

    pub(crate) fn messages(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
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
}
