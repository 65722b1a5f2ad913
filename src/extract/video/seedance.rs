//! Doubao Seedance on Volcengine Ark: `POST /api/v3/contents/generations/tasks`, then
//! `GET /api/v3/contents/generations/tasks/{id}`.
//!
//! Seedance is priced per token of video: a succeeded task reports `usage.completion_tokens`
//! (the generated video's tokens) and `usage.total_tokens`; any excess of the total over the
//! completion is input (a reference video's tokens) and is metered as `input_tokens`, never
//! dropped. The price per token depends on the output resolution (the task's `resolution`,
//! else the request's) and, from Seedance 2.0, on whether the request carried a video
//! (`content[].type == "video_url"`), which only the request shows: so the request is
//! required. Both become options (`resolution`, `video_input`), as does `generate_audio`
//! (`audio`) when the task or the request states it.

use serde::Deserialize;

use super::{bool_word, parse_request, parse_task, refuse, require_done, resolution_word, stage};
use crate::extract::{minus, tokens, Api, ExtractError};
use crate::usage::Usage;

const API: Api = Api::Seedance;

#[derive(Deserialize)]
struct ArkUsage {
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct ArkError {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Task {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    content: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    usage: Option<ArkUsage>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default)]
    generate_audio: Option<bool>,
    #[serde(default)]
    error: Option<ArkError>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    content: Option<Vec<Item>>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default)]
    generate_audio: Option<bool>,
}

/// A resolution written as a text command in the prompt (`--rs 1080p` / `--resolution 1080p`),
/// the older way of setting it.
fn text_command(items: &[Item]) -> Option<String> {
    items
        .iter()
        .filter_map(|i| i.text.as_deref())
        .find_map(|t| {
            let mut words = t.split_whitespace();
            while let Some(w) = words.next() {
                if w == "--rs" || w == "--resolution" {
                    return words.next().map(resolution_word);
                }
            }
            None
        })
}

/// Meters an Ark content-generation task (`--api seedance`).
pub(super) fn task(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let t: Task = parse_task(API, body)?;
    let marked = t.content.is_some()
        || t.usage.is_some()
        || t.id.as_deref().is_some_and(|i| i.starts_with("cgt-"));
    let Some(status) = t.status.clone().filter(|_| marked) else {
        return Err(refuse(API, body, "status with content or usage"));
    };
    let reason = t.error.as_ref().and_then(|e| e.message.as_deref());
    require_done(API, &status, stage(&status), reason)?;
    let Some(u) = t.usage else {
        return Err(ExtractError::MissingUsage {
            api: API,
            hint: "the task succeeded but reports no usage".into(),
        });
    };
    let Some(completion) = u.completion_tokens else {
        return Err(ExtractError::MissingUsage {
            api: API,
            hint: "usage has no completion_tokens".into(),
        });
    };
    let input = match u.total_tokens {
        Some(total) => minus(
            API,
            ("total_tokens", total),
            ("completion_tokens", completion),
        )?,
        None => 0,
    };
    let Some(request) = request else {
        return Err(ExtractError::MissingRequest { api: API });
    };
    let req: Request = parse_request(API, request)?;
    let items = req.content.as_deref().unwrap_or(&[]);
    let video_input = items.iter().any(|i| i.kind.as_deref() == Some("video_url"));
    let resolution = t
        .resolution
        .as_deref()
        .map(resolution_word)
        .or_else(|| req.resolution.as_deref().map(resolution_word))
        .or_else(|| text_command(items));
    let mut usage = Usage {
        output_tokens: tokens(API, "usage.completion_tokens", completion)?,
        input_tokens: tokens(API, "usage.total_tokens - completion_tokens", input)?,
        resolution: resolution.clone(),
        ..Usage::default()
    };
    usage
        .options
        .insert("video_input".into(), bool_word(video_input));
    if let Some(r) = resolution {
        usage.options.insert("resolution".into(), r);
    }
    if let Some(a) = t.generate_audio.or(req.generate_audio) {
        usage.options.insert("audio".into(), bool_word(a));
    }
    Ok(usage)
}
