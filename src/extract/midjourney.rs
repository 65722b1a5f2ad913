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
    Ok(Usage {
        requests: if charged {
            Count::new(1).expect("1 is a valid count")
        } else {
            Count::ZERO
        },
        options: BTreeMap::from([("action".to_string(), action)]),
        ..Usage::default()
    })
}
