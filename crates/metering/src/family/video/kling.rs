//! Kling (可灵): `POST /v1/videos/text2video` or `/v1/videos/image2video` (and the
//! `kling-video-o1` model through the same task shape), then `GET …/{task_id}`.
//!
//! A succeeded task lists its videos with the `duration` each delivered, as a string of
//! seconds that runs slightly past the ordered length (`"5.1"` for a 5 s order); Kling sells
//! 5 s and 10 s videos, so each delivered duration is billed rounded to the nearest whole
//! second. A video without a duration falls back to the request's `duration`, defaulting to 5
//! (<https://app.klingai.com/global/dev/document-api/apiReference/model/textToVideo>). The
//! price depends on `mode` (`std`, the default, or `pro`), which only the request shows, so
//! the request is required; `sound` (`on`/`off`) becomes the `audio` option.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;

use super::{
    bool_word, checked_seconds, field_error, noted, parse_request, parse_task, refuse,
    require_done, stage, whole, Delivered, Grounds, Noted, Num,
};
use crate::family::{Api, ExtractError};
use crate::request::Basis;
use crate::usage::{Seconds, Usage};

const API: Api = Api::Kling;

/// Kling's documented defaults.
pub(super) const DEFAULT_SECONDS: u32 = 5;
const DEFAULT_MODE: &str = "std";
pub(super) const DOCS: &str =
    "https://app.klingai.com/global/dev/document-api/apiReference/model/textToVideo";

#[derive(Deserialize)]
struct Video {
    #[serde(default)]
    duration: Option<Num>,
}

#[derive(Deserialize, Default)]
struct TaskResult {
    #[serde(default)]
    videos: Option<Vec<Video>>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    task_status: Option<String>,
    #[serde(default)]
    task_status_msg: Option<String>,
    #[serde(default)]
    task_result: Option<TaskResult>,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    duration: Option<Num>,
    #[serde(default)]
    sound: Option<String>,
}

/// Meters a Kling task (`--api kling`).
pub(in crate::family) fn task(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let r: Response = parse_task(API, body)?;
    if let Some(code) = r.code.filter(|c| *c != 0) {
        return Err(ExtractError::TaskFailed {
            api: API,
            status: format!("failed (code {code})"),
            reason: r.message.unwrap_or_default(),
        });
    }
    let Some(data) = r.data.filter(|d| d.task_status.is_some()) else {
        return Err(refuse(API, body, "data.task_status"));
    };
    let status = data.task_status.clone().unwrap_or_default();
    require_done(
        API,
        &status,
        stage(&status),
        data.task_status_msg.as_deref(),
    )?;
    let videos = data
        .task_result
        .unwrap_or_default()
        .videos
        .unwrap_or_default();
    if videos.is_empty() {
        return Err(ExtractError::MissingUsage {
            api: API,
            hint: "the task succeeded but lists no videos".into(),
        });
    }
    let Some(request) = request else {
        return Err(ExtractError::MissingRequest { api: API });
    };
    let req: Request = parse_request(API, request)?;
    let asked = req
        .duration
        .map(|n| n.0)
        .unwrap_or_else(|| Decimal::from(DEFAULT_SECONDS));
    let mut total = Decimal::ZERO;
    for (i, v) in videos.iter().enumerate() {
        let secs = match v.duration {
            Some(d) => {
                d.0.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            }
            None => asked,
        };
        let secs = checked_seconds(API, &format!("task_result.videos[{i}].duration"), secs)?;
        total = total
            .checked_add(secs)
            .filter(|t| Seconds::new(*t).is_some())
            .ok_or_else(|| ExtractError::Inconsistent {
                api: API,
                detail: "the videos' durations add up past the largest number of seconds".into(),
            })?;
    }
    Delivered {
        seconds: total,
        resolution: None,
        options: options(&req),
    }
    .into_usage(API)
}

/// The options that select a price: `mode` (default `std`) and `sound` as `audio`.
fn options(req: &Request) -> Vec<(&'static str, String)> {
    let mode = req
        .mode
        .as_deref()
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_else(|| DEFAULT_MODE.to_string());
    let mut options = vec![("mode", mode)];
    match req.sound.as_deref().map(str::trim) {
        Some("on") => options.push(("audio", bool_word(true))),
        Some("off") => options.push(("audio", bool_word(false))),
        _ => {}
    }
    options
}

/// What a Kling create request will bill: one video of its `duration` (default 5 s) in its
/// `mode` (default `std`), as [`task`] meters it when the video is delivered at that length.
pub(in crate::family) fn request_only(request: &[u8]) -> Noted {
    let req: Request = parse_request(API, request)?;
    let mut g = Grounds::new(Basis::Exact);
    g.or_default(
        req.duration.is_some(),
        "duration",
        &format_args!("{DEFAULT_SECONDS} s"),
        DOCS,
    );
    g.or_default(
        req.mode.is_some(),
        "mode",
        &format_args!("`{DEFAULT_MODE}`"),
        DOCS,
    );
    let secs = req.duration.map_or(Decimal::from(DEFAULT_SECONDS), |d| d.0);
    let secs = checked_seconds(API, "duration", secs).map_err(|_| {
        field_error(
            API,
            "duration",
            format!("is {secs}, not a positive number of seconds"),
        )
    })?;
    let parts = g.part(
        "seconds of video",
        whole(secs),
        "`duration` of the request".into(),
    );
    let usage = Delivered {
        seconds: secs,
        resolution: None,
        options: options(&req),
    }
    .into_usage(API)?;
    noted(usage, parts)
}
