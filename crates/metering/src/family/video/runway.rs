//! Runway: `POST /v1/image_to_video` (or `text_to_video`, `video_to_video`), then
//! `GET /v1/tasks/{id}`.
//!
//! The task (`status`: `PENDING`, `THROTTLED`, `RUNNING`, `SUCCEEDED`, `FAILED`, `CANCELLED`)
//! lists its `output` URLs but not their length, so the request is required: `duration`,
//! defaulting to 10 s (<https://docs.dev.runwayml.com/api/>), and `ratio` (`1280:720`), whose
//! short side is the resolution.

use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{
    checked_seconds, parse_request, parse_task, refuse, require_done, seconds, seconds_request,
    short_side, stage, times, Delivered, Noted, Num,
};
use crate::family::{count, Api, ExtractError};
use crate::usage::Usage;

const API: Api = Api::Runway;

/// Runway's documented default duration.
pub(super) const DEFAULT_SECONDS: u32 = 10;
pub(super) const DOCS: &str = "https://docs.dev.runwayml.com/api/";

#[derive(Deserialize)]
struct Task {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    output: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    failure: Option<String>,
    #[serde(default, rename = "createdAt")]
    created_at: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    duration: Option<Num>,
    #[serde(default)]
    ratio: Option<String>,
}

/// Meters a Runway task (`--api runway`).
pub(in crate::family) fn task(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let t: Task = parse_task(API, body)?;
    let marked = t.created_at.is_some() || t.output.is_some() || t.failure.is_some();
    let Some(status) = t.status.clone().filter(|_| marked) else {
        return Err(refuse(API, body, "status with createdAt or output"));
    };
    require_done(API, &status, stage(&status), t.failure.as_deref())?;
    let outputs = t.output.as_ref().map_or(0, Vec::len);
    if outputs == 0 {
        return Err(ExtractError::MissingUsage {
            api: API,
            hint: "the task succeeded but lists no output".into(),
        });
    }
    let videos = count(API, "output", outputs as u64)?;
    let req: Option<Request> = request.map(|r| parse_request(API, r)).transpose()?;
    let secs = seconds(
        API,
        None,
        req.is_some(),
        req.as_ref().and_then(|r| r.duration).map(|n| n.0),
        Some(Decimal::from(DEFAULT_SECONDS)),
        None,
    )?;
    let secs = checked_seconds(API, "duration", secs)?;
    Delivered {
        seconds: times(API, secs, videos.get())?,
        resolution: req
            .as_ref()
            .and_then(|r| r.ratio.as_deref())
            .and_then(short_side),
        options: Vec::new(),
    }
    .into_usage(API)
}

/// What a Runway create request alone will bill: one video of `duration` (default 10 s,
/// noted) at the short side of its `ratio`.
pub(in crate::family) fn request_only(request: &[u8]) -> Noted {
    let r: Request = parse_request(API, request)?;
    let resolution = r.ratio.as_deref().and_then(short_side);
    seconds_request(
        API,
        "duration",
        r.duration,
        (DEFAULT_SECONDS, DOCS),
        resolution,
        Vec::new(),
    )
}
