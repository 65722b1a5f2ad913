//! Music: Suno tasks and Udio (served through a chat-completions endpoint).
//!
//! Neither vendor publishes an API price; relays charge per task. A Suno task is read from
//! its task record (the fetch result `{"code": "success", "data": {"action": "MUSIC",
//! "status": "SUCCESS", …}}`, or the bare record), which names its action: the record
//! becomes one request with the option `action` (`music`, `lyrics`, …) in lower case, and
//! the relay's tables price each action as its own model (`suno_music`, `suno_lyrics`), the
//! names the relay bills them under. A failed task is not billed. The submit answer
//! (`data` = the task id) names no action and cannot be priced. Udio answers like a chat
//! completion and is one request per completion, whatever its token counts.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::media::{self, error_body, Shape};
use super::video::{field_error, noted, Grounds, Noted};
use super::{parse, Api, ExtractError, Markers};
use crate::request::Basis;
use crate::usage::{Count, Usage};

#[derive(Deserialize)]
struct Task {
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    fail_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Data {
    Id(String),
    One(Task),
    Many(Vec<Task>),
    Other(IgnoredAny),
}

#[derive(Deserialize)]
struct SunoBody {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    fail_reason: Option<String>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

fn task_usage(t: &Task) -> Result<Usage, ExtractError> {
    let api = Api::Suno;
    let status = t.status.as_deref().unwrap_or("").to_ascii_uppercase();
    if matches!(status.as_str(), "FAILURE" | "FAILED" | "FAIL") {
        return Err(ExtractError::MissingUsage {
            api,
            hint: format!(
                "the task failed ({}); a failed task is not billed",
                t.fail_reason.as_deref().unwrap_or("no reason given")
            ),
        });
    }
    let Some(action) = t.action.as_deref().filter(|a| !a.trim().is_empty()) else {
        return Err(ExtractError::MissingUsage {
            api,
            hint: "the task names no action (music, lyrics, …)".into(),
        });
    };
    let mut usage = Usage {
        requests: Count::new(1).expect("1 is a count"),
        ..Usage::default()
    };
    usage
        .options
        .insert("action".into(), action.trim().to_ascii_lowercase());
    Ok(usage)
}

/// A Suno task record (fetch result), wrapped or bare.
pub(super) fn suno(body: &[u8]) -> Result<Usage, ExtractError> {
    let api = Api::Suno;
    let b: SunoBody = parse(api, body)?;
    let code_ok = match &b.code {
        None => true,
        Some(serde_json::Value::String(s)) => s == "success",
        // GoAPI-style wrappers use numeric codes, 200 for success.
        Some(serde_json::Value::Number(n)) => n.as_u64() == Some(200),
        Some(_) => false,
    };
    if b.error.is_some() || !code_ok {
        return Err(error_body(api, b.message.as_deref().unwrap_or("")));
    }
    match &b.data {
        Some(Data::One(t)) => task_usage(t),
        Some(Data::Many(ts)) if ts.len() == 1 => task_usage(&ts[0]),
        Some(Data::Many(ts)) => Err(ExtractError::Inconsistent {
            api,
            detail: format!(
                "a batch of {} tasks: meter each task record on its own",
                ts.len()
            ),
        }),
        Some(Data::Id(id)) => Err(ExtractError::MissingUsage {
            api,
            hint: format!("a submit answer (task {id}) names no action; meter the task record"),
        }),
        Some(Data::Other(_)) | None => {
            let bare = Task {
                action: b.action,
                status: b.status,
                fail_reason: b.fail_reason,
            };
            if bare.action.is_none() && bare.status.is_none() {
                return Err(ExtractError::MissingUsage {
                    api,
                    hint: "no task record (action, status)".into(),
                });
            }
            task_usage(&bare)
        }
    }
}

#[derive(Deserialize)]
struct ChatBody {
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

fn one_completion(b: &ChatBody) -> Result<Option<Usage>, ExtractError> {
    let api = Api::Udio;
    if b.error.is_some() {
        return Err(error_body(api, ""));
    }
    let Some(object) = b.object.as_deref() else {
        super::check_family(
            api,
            Markers {
                object: None,
                kind: b.kind.as_deref(),
                gemini: false,
            },
        )?;
        return Ok(None);
    };
    if !object.starts_with("chat.completion") {
        return Err(ExtractError::WrongFamily {
            expected: api,
            found: format!("an object of type `{object}`, not a chat completion"),
        });
    }
    Ok(Some(Usage {
        requests: Count::new(1).expect("1 is a count"),
        ..Usage::default()
    }))
}

/// A Udio song through the chat-completions endpoint (body or stream): one request.
pub(super) fn udio(body: &[u8]) -> Result<Usage, ExtractError> {
    let api = Api::Udio;
    match media::shape(body) {
        Shape::Sse => media::stream(api, body),
        _ => {
            let b: ChatBody = parse(api, body)?;
            one_completion(&b)?.ok_or_else(|| ExtractError::MissingUsage {
                api,
                hint: "not a chat completion (no `object`)".into(),
            })
        }
    }
}

pub(super) fn udio_event(data: &[u8]) -> Result<Option<Usage>, ExtractError> {
    let b: ChatBody = parse(Api::Udio, data)?;
    one_completion(&b)
}

/// A Suno submit body (`POST /suno/submit/{action}`): the fields only a song takes.
#[derive(Deserialize)]
struct SunoRequest {
    #[serde(default)]
    gpt_description_prompt: Option<IgnoredAny>,
    #[serde(default)]
    mv: Option<IgnoredAny>,
    #[serde(default)]
    tags: Option<IgnoredAny>,
    #[serde(default)]
    title: Option<IgnoredAny>,
    #[serde(default)]
    continue_clip_id: Option<IgnoredAny>,
    #[serde(default)]
    make_instrumental: Option<IgnoredAny>,
}

/// What a Suno submit body will bill: one task of its action, as [`suno`] meters the task
/// record. The action is in the submit path, not the body; the relay bills each action as a
/// model named for it (`suno_music`, `suno_lyrics`), so `model` names it when it is one of
/// those, and otherwise a body with a song's fields (`gpt_description_prompt`, `mv`, `tags`,
/// `title`, `continue_clip_id`, `make_instrumental`) is a `music` task. The relay bills per
/// task, not per clip (a song task yields two clips at one price).
pub(super) fn suno_request(request: &[u8], model: &str) -> Noted {
    let api = Api::Suno;
    let r: SunoRequest = super::parse_request(api, request)?;
    let song = r.gpt_description_prompt.is_some()
        || r.mv.is_some()
        || r.tags.is_some()
        || r.title.is_some()
        || r.continue_clip_id.is_some()
        || r.make_instrumental.is_some();
    let m = model.trim().to_ascii_lowercase();
    let named = m
        .strip_prefix("suno_")
        .or_else(|| m.strip_prefix("suno-"))
        .filter(|a| !a.is_empty());
    let (action, read) = match named {
        Some(a) if song && a != "music" => {
            return Err(field_error(
                api,
                "action",
                format!("is `{a}` by the model `{model}`, but the body has a song's fields"),
            ))
        }
        Some(a) => (a.to_string(), format!("the action the model `{model}` names")),
        None if song => ("music".to_string(), "a song's fields in the body".to_string()),
        None => {
            return Err(field_error(
                api,
                "action",
                format!(
                    "cannot be told: the body has only a prompt (lyrics or a custom song) and the model `{model}` names no action; estimate with the model `suno_music` or `suno_lyrics`"
                ),
            ))
        }
    };
    let mut usage = Usage {
        requests: Count::new(1).expect("1 is a count"),
        ..Usage::default()
    };
    usage.options.insert("action".into(), action.clone());
    let parts = Grounds::new(Basis::Exact).part(
        "tasks",
        1,
        format!("one `{action}` task, from {read}; billed per task, not per clip"),
    );
    noted(usage, parts)
}

/// A Udio chat-completions request: it asks for messages.
#[derive(Deserialize)]
struct UdioRequest {
    #[serde(default)]
    messages: Option<IgnoredAny>,
}

/// What a Udio chat-completions request will bill: one request, as [`udio`] meters every
/// completion whatever its token counts.
pub(super) fn udio_request(request: &[u8]) -> Noted {
    let api = Api::Udio;
    let r: UdioRequest = super::parse_request(api, request)?;
    if r.messages.is_none() {
        return Err(field_error(
            api,
            "messages",
            "is missing: a chat-format request has it",
        ));
    }
    let usage = Usage {
        requests: Count::new(1).expect("1 is a count"),
        ..Usage::default()
    };
    let parts =
        Grounds::new(Basis::Exact).part("requests", 1, "one song request per completion".into());
    noted(usage, parts)
}
