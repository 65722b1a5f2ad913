//! Midjourney task records, as a relay returns them from `/mj/task/{id}/fetch`.
//!
//! Each task is one action (imagine, upscale, variation, reroll, zoom, pan, blend, modal,
//! describe, shorten, swap face, upload, edits, video …), priced per action: a finished
//! task meters as `requests = 1` with the option `action` set to the task's action in
//! lower case (`IMAGINE` → `imagine`, `SWAP_FACE` → `swap_face`), and the price table
//! prices `requests` under one option per action. A task that failed or was cancelled is
//! not charged: it meters as a record with the action and nothing to bill. A task still
//! queued or running, and a submit receipt, have no usage yet and are errors saying so.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{images, parse, Api, ExtractError};
use crate::usage::{Count, Usage};

const API: Api = Api::Midjourney;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Task {
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    progress: Option<String>,
    #[serde(default)]
    fail_reason: Option<String>,
    // A submit receipt: {code, description, result: task id}.
    #[serde(default)]
    code: Option<IgnoredAny>,
    #[serde(default)]
    result: Option<IgnoredAny>,
    #[serde(default)]
    description: Option<String>,
}

/// Meters one task record.
pub(super) fn task(body: &[u8]) -> Result<Usage, ExtractError> {
    // `/mj/task/list-by-condition` answers with a list; each task is its own bill.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ExtractError::Json {
            api: API,
            message: "a list of tasks: meter each task record on its own".into(),
            offset: 0,
            path: String::new(),
        });
    }
    let t: Task = parse(API, body)?;
    let (Some(action), Some(status)) = (&t.action, &t.status) else {
        if t.code.is_some() && t.result.is_some() {
            return Err(ExtractError::MissingUsage {
                api: API,
                hint: format!(
                    "it is a submit receipt{}; meter the task record from /mj/task/{{id}}/fetch once the task has finished",
                    t.description
                        .as_deref()
                        .map(|d| format!(" (`{d}`)"))
                        .unwrap_or_default()
                ),
            });
        }
        return Err(images::refuse(
            API,
            body,
            "no `action` and `status`: not a Midjourney task record",
        ));
    };
    let action = action.trim().to_ascii_lowercase();
    if action.is_empty() {
        return Err(ExtractError::Inconsistent {
            api: API,
            detail: "the task's `action` is empty".into(),
        });
    }
    let charged = match status.trim().to_ascii_uppercase().as_str() {
        "SUCCESS" => true,
        // A failed or cancelled task is refunded by the relay: nothing to bill.
        "FAILURE" | "CANCEL" | "CANCELLED" | "CANCELED" => false,
        s @ ("NOT_START" | "SUBMITTED" | "IN_PROGRESS" | "MODAL") => {
            return Err(ExtractError::MissingUsage {
                api: API,
                hint: format!(
                    "the task is {s}{}; meter it once it has finished",
                    t.progress
                        .as_deref()
                        .filter(|p| !p.is_empty())
                        .map(|p| format!(" at {p}"))
                        .unwrap_or_default()
                ),
            })
        }
        other => {
            return Err(ExtractError::MissingUsage {
                api: API,
                hint: format!(
                    "unknown task status `{other}` (expected SUCCESS, FAILURE, NOT_START, SUBMITTED, IN_PROGRESS or MODAL){}",
                    t.fail_reason
                        .as_deref()
                        .filter(|r| !r.is_empty())
                        .map(|r| format!("; failReason: {r}"))
                        .unwrap_or_default()
                ),
            })
        }
    };
    let mut usage = one_task(action);
    if !charged {
        usage.requests = Count::ZERO;
    }
    Ok(usage)
}

/// The fields of a Midjourney submit request that say which action it is.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Submit {
    #[serde(default)]
    custom_id: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    prompt: Option<IgnoredAny>,
    #[serde(default)]
    base64: Option<IgnoredAny>,
    #[serde(default)]
    dimensions: Option<IgnoredAny>,
    #[serde(default)]
    mask_base64: Option<IgnoredAny>,
    #[serde(default)]
    source_base64: Option<IgnoredAny>,
}

/// The action of a button's `customId` (`MJ::JOB::upsample::1::…`), as the relay reads it
/// (new-api `CoverPlusActionToNormalAction`).
fn custom_id_action(id: &str) -> Option<&'static str> {
    let mut parts = id.split("::");
    let (_, second) = (parts.next()?, parts.next()?);
    let name = if second == "JOB" {
        parts.next()?
    } else {
        second
    };
    Some(match name {
        n if n.contains("upsample") => "upscale",
        "low_variation" => "low_variation",
        "high_variation" => "high_variation",
        n if n.contains("variation") => "variation",
        n if n.contains("pan") => "pan",
        n if n.contains("reroll") => "reroll",
        "Outpaint" => "zoom",
        "CustomZoom" => "custom_zoom",
        "Inpaint" => "inpaint",
        _ => return None,
    })
}

/// The action a Midjourney submit request will run, and where it was read: a button's
/// `customId`, a simple change's `content` (`"<task id> U1"`), a change's `action`, the
/// relay's model name for the endpoint (`mj_<action>`, `swap_face`), or a body only one
/// endpoint accepts. A prompt alone (imagine or shorten) needs the model name.
pub(crate) fn request_action(
    request: &[u8],
    model: &str,
) -> Result<(String, &'static str), (String, String)> {
    let r: Submit = parse(API, request).map_err(|e| ("request".to_string(), e.to_string()))?;
    let err = |f: &str, p: String| Err((f.to_string(), p));
    if let Some(id) = r.custom_id.as_deref() {
        return match custom_id_action(id.trim()) {
            Some(a) => Ok((a.to_string(), "customId")),
            None => err("customId", format!("`{id}` names no known action")),
        };
    }
    if let Some(c) = r.content.as_deref() {
        let word = c
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_ascii_lowercase();
        return match word.chars().next() {
            Some('u') => Ok(("upscale".into(), "content")),
            Some('v') => Ok(("variation".into(), "content")),
            _ if word == "r" => Ok(("reroll".into(), "content")),
            _ => err(
                "content",
                format!("`{c}` is not `<task id> U1..U4 | V1..V4 | R`"),
            ),
        };
    }
    if let Some(a) = r.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        return Ok((a.to_ascii_lowercase(), "action"));
    }
    let m = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    if let Some(a) = m.strip_prefix("mj_").filter(|a| !a.is_empty()) {
        return Ok((a.to_string(), "the relay's model name"));
    }
    if m == "swap_face" || r.source_base64.is_some() {
        return Ok(("swap_face".into(), "the request's fields"));
    }
    let shape = if r.mask_base64.is_some() {
        "modal"
    } else if r.dimensions.is_some() {
        "blend"
    } else if r.base64.is_some() && r.prompt.is_none() {
        "describe"
    } else {
        return err(
            "prompt",
            format!("a prompt may be imagine or shorten, and `{model}` is not the relay's mj_<action> model name; pass that"),
        );
    };
    Ok((shape.into(), "the request's fields"))
}

/// One task of `action`, as a finished task meters.
pub(crate) fn one_task(action: String) -> Usage {
    Usage {
        requests: Count::new(1).expect("1 is a valid count"),
        options: BTreeMap::from([("action".to_string(), action)]),
        ..Usage::default()
    }
}
