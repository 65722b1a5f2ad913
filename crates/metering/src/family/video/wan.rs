//! Wan (通义万相) video synthesis on DashScope: `POST
//! /api/v1/services/aigc/video-generation/video-synthesis`, then `GET /api/v1/tasks/{id}`.
//!
//! A finished task reports what it delivered in `usage`: the seconds (`output_video_duration`,
//! or `duration`, or older `video_duration`), how many videos (`video_count`) and the
//! resolution (`SR`, e.g. `720`, or a `video_ratio` / `size` like `1280*720`). Without those,
//! the request's `parameters.duration` counts, defaulting to 5 s
//! (<https://help.aliyun.com/zh/model-studio/text-to-video-api-reference>), and its
//! `parameters.resolution` (`720P`) or `parameters.size` (`1280*720`). `parameters.audio`
//! (Wan 2.5 and later) becomes the `audio` option.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{
    bool_word, checked_seconds, parse_request, parse_task, refuse, require_done, resolution_word,
    seconds, seconds_request, short_side, stage, times, Delivered, Noted, Num, Stage,
};
use crate::family::{count, Api, ExtractError};
use crate::usage::Usage;

const API: Api = Api::WanVideo;

/// Wan's documented default duration.
pub(super) const DEFAULT_SECONDS: u32 = 5;
pub(super) const DOCS: &str = "https://help.aliyun.com/zh/model-studio/text-to-video-api-reference";

#[derive(Deserialize, Default)]
struct Output {
    #[serde(default)]
    task_status: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize, Default)]
struct WanUsage {
    #[serde(default)]
    output_video_duration: Option<Num>,
    #[serde(default)]
    duration: Option<Num>,
    #[serde(default)]
    video_duration: Option<Num>,
    #[serde(default)]
    video_count: Option<u64>,
    #[serde(default, rename = "SR")]
    sr: Option<Num>,
    #[serde(default)]
    video_ratio: Option<String>,
    #[serde(default)]
    size: Option<String>,
}

#[derive(Deserialize)]
struct Task {
    #[serde(default)]
    output: Option<Output>,
    #[serde(default)]
    usage: Option<WanUsage>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize, Default)]
struct Parameters {
    #[serde(default)]
    duration: Option<Num>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    audio: Option<bool>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    parameters: Option<Parameters>,
}

/// Meters a DashScope video task (`--api wan-video`).
pub(in crate::family) fn task(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let t: Task = parse_task(API, body)?;
    let Some(status) = t.output.as_ref().and_then(|o| o.task_status.clone()) else {
        return Err(refuse(API, body, "output.task_status"));
    };
    // DashScope's UNKNOWN is a task it no longer knows (expired): a failure, not a wait.
    let st = match status.as_str() {
        "UNKNOWN" => Some(Stage::Failed),
        s => stage(s),
    };
    let reason = t
        .output
        .as_ref()
        .and_then(|o| o.message.as_deref())
        .or(t.message.as_deref());
    require_done(API, &status, st, reason)?;

    let req: Option<Request> = request.map(|r| parse_request(API, r)).transpose()?;
    let p = req.as_ref().and_then(|r| r.parameters.as_ref());
    let u = t.usage.unwrap_or_default();
    let delivered = u
        .output_video_duration
        .or(u.duration)
        .or(u.video_duration)
        .map(|n| n.0);
    let secs = seconds(
        API,
        delivered,
        req.is_some(),
        p.and_then(|p| p.duration).map(|n| n.0),
        Some(Decimal::from(DEFAULT_SECONDS)),
        None,
    )?;
    let secs = checked_seconds(API, "usage.duration", secs)?;
    let videos = count(API, "usage.video_count", u.video_count.unwrap_or(1))?;
    if videos.is_zero() {
        return Err(ExtractError::Inconsistent {
            api: API,
            detail: "usage.video_count is 0 for a task that succeeded".into(),
        });
    }
    let resolution =
        u.sr.filter(|n| n.0 > Decimal::ZERO)
            .map(|n| format!("{}p", n.0.normalize()))
            .or_else(|| u.video_ratio.as_deref().and_then(short_side))
            .or_else(|| u.size.as_deref().and_then(short_side))
            .or_else(|| p.and_then(|p| p.resolution.as_deref()).map(resolution_word))
            .or_else(|| p.and_then(|p| p.size.as_deref()).and_then(short_side));
    let mut options = Vec::new();
    if let Some(a) = p.and_then(|p| p.audio) {
        options.push(("audio", bool_word(a)));
    }
    Delivered {
        seconds: times(API, secs, videos.get())?,
        resolution,
        options,
    }
    .into_usage(API)
}

/// What a Wan create request alone will bill: one video of `parameters.duration` (default
/// 5 s, noted) at its resolution (or the short side of its size), with the audio option.
pub(in crate::family) fn request_only(request: &[u8]) -> Noted {
    let r: Request = parse_request(API, request)?;
    let p = r.parameters.unwrap_or_default();
    let mut options = Vec::new();
    if let Some(a) = p.audio {
        options.push(("audio", bool_word(a)));
    }
    let resolution = p
        .resolution
        .as_deref()
        .map(resolution_word)
        .or_else(|| p.size.as_deref().and_then(short_side));
    let defaults = (DEFAULT_SECONDS, DOCS);
    seconds_request(
        API,
        "parameters.duration",
        p.duration,
        defaults,
        resolution,
        options,
    )
}
