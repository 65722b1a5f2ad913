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
use super::{parse, Api, ExtractError, Markers};
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
