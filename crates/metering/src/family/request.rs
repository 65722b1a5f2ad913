//! What a chat-family request adds to the usage its response reports: the settings that
//! select a tool fee but appear only in the request.
//!
//! - Chat Completions `web_search_options` (search models): one web search call, and the
//!   option `search_context_size` (`low` / `medium` / `high`; OpenAI's default is
//!   `medium`), which selects the per-call fee where a table prices sizes apart. A request
//!   naming a model of the `web-search` formula searched once whether or not it says so.
//! - Responses `tools`: a `web_search_preview` tool sets the option
//!   `web_search_tool = "preview"` (the preview tool is priced apart on non-reasoning
//!   models); a `code_interpreter` tool with `container.memory_limit` sets the option
//!   `container_memory` (`1g`, `4g`, `16g`, `64g`); an `image_generation` tool's `size`
//!   and `quality` fill in images whose output item did not name them.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::data::{Facts, Formula};
use super::{Api, ExtractError};
use crate::usage::{Count, Usage};

/// Option set from `web_search_options.search_context_size`.
pub const SEARCH_CONTEXT_SIZE: &str = "search_context_size";
/// Option set to `preview` when a Responses request used the `web_search_preview` tool.
pub const WEB_SEARCH_TOOL: &str = "web_search_tool";
/// Option set from a code-interpreter tool's `container.memory_limit`.
pub const CONTAINER_MEMORY: &str = "container_memory";

#[derive(Deserialize, Default)]
struct WebSearchOptions {
    #[serde(default)]
    search_context_size: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Container {
    Config {
        #[serde(default)]
        memory_limit: Option<String>,
    },
    /// A container id (string) or anything else: no size to read.
    Other(IgnoredAny),
}

#[derive(Deserialize)]
struct Tool {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    container: Option<Container>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    quality: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    web_search_options: Option<WebSearchOptions>,
    #[serde(default)]
    tools: Option<Vec<Tool>>,
}

const SIZES: [&str; 3] = ["low", "medium", "high"];

/// Adds what the request says to a chat or Responses usage: a chat request for a model of
/// the `web-search` formula (resolved in `facts`: a relay's own search model too) searched
/// once.
pub(super) fn apply(
    facts: Facts,
    api: Api,
    request: &[u8],
    usage: &mut Usage,
) -> Result<(), ExtractError> {
    let r: Request = super::parse_request(api, request)?;
    if api == Api::OpenAiChat {
        let search = r.model.as_deref().and_then(|m| facts.formula(m)) == Some(Formula::WebSearch);
        if search && usage.web_search_calls.is_zero() {
            usage.web_search_calls = Count::new(1).expect("1 is a valid count");
        }
        if let Some(w) = &r.web_search_options {
            let size = w.search_context_size.as_deref().unwrap_or("medium");
            if !SIZES.contains(&size) {
                return Err(ExtractError::Inconsistent {
                    api,
                    detail: format!(
                        "request web_search_options.search_context_size `{size}` is not one of low, medium, high"
                    ),
                });
            }
            usage
                .options
                .insert(SEARCH_CONTEXT_SIZE.to_string(), size.to_string());
            if usage.web_search_calls.is_zero() {
                usage.web_search_calls = Count::new(1).expect("1 is a valid count");
            }
        }
    }
    if api == Api::OpenAiResponses {
        for t in r.tools.iter().flatten() {
            match t.kind.as_str() {
                k if k.starts_with("web_search_preview") => {
                    usage
                        .options
                        .insert(WEB_SEARCH_TOOL.to_string(), "preview".to_string());
                }
                "code_interpreter" => {
                    if let Some(Container::Config {
                        memory_limit: Some(m),
                    }) = &t.container
                    {
                        usage
                            .options
                            .insert(CONTAINER_MEMORY.to_string(), m.to_ascii_lowercase());
                    }
                }
                "image_generation" => {
                    let known = |v: &Option<String>| v.clone().filter(|v| v != "auto");
                    for img in &mut usage.images {
                        if img.size.is_none() {
                            img.size = known(&t.size);
                        }
                        if img.quality.is_none() {
                            img.quality = known(&t.quality);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}
