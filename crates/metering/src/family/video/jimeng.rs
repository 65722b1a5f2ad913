//! Jimeng (即梦) video on Volcengine's visual services: `CVSync2AsyncSubmitTask`, then
//! `CVSync2AsyncGetResult` (`req_key` such as `jimeng_vgfm_t2v_l20`, `jimeng_t2v_v30`).
//!
//! The result says only whether the video is done (`data.status`: `in_queue`, `generating`,
//! `done`, `not_found`, `expired`; `code` 10000 is success), so the request is required: its
//! `frames` (24 per second plus one: 121 is 5 s, 241 is 10 s) or the relay's `duration`,
//! defaulting to 121 frames, 5 s (<https://www.volcengine.com/docs/85621/1792707>).

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{
    checked_seconds, parse_request, parse_task, refuse, require_done, stage, Delivered, Grounds,
    Noted, Num,
};
use crate::family::{Api, ExtractError};
use crate::request::Basis;
use crate::usage::Usage;

const API: Api = Api::Jimeng;

/// Jimeng's documented default length, and its frame rate.
pub(super) const DEFAULT_SECONDS: u32 = 5;
/// Where the default length is documented.
pub(super) const DOCS: &str = "https://www.volcengine.com/docs/85621/1792707";
const FRAMES_PER_SECOND: u32 = 24;
const SUCCESS: i64 = 10000;

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    video_url: Option<String>,
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
    frames: Option<Num>,
    #[serde(default)]
    duration: Option<Num>,
}

/// Meters a Jimeng task (`--api jimeng`).
pub(in crate::family) fn task(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let r: Response = parse_task(API, body)?;
    let Some(code) = r.code else {
        return Err(refuse(API, body, "code"));
    };
    if code != SUCCESS {
        return Err(ExtractError::TaskFailed {
            api: API,
            status: format!("failed (code {code})"),
            reason: r.message.unwrap_or_default(),
        });
    }
    let Some(data) = r
        .data
        .filter(|d| d.status.is_some() || d.video_url.is_some())
    else {
        return Err(refuse(API, body, "data.status"));
    };
    let status = data.status.unwrap_or_else(|| "done".into());
    require_done(API, &status, stage(&status), r.message.as_deref())?;
    let Some(request) = request else {
        return Err(ExtractError::MissingRequest { api: API });
    };
    let req: Request = parse_request(API, request)?;
    Delivered {
        seconds: seconds(&req)?,
        resolution: None,
        options: Vec::new(),
    }
    .into_usage(API)
}

/// The seconds a request asks for: from `frames`, else `duration`, else the default.
fn seconds(req: &Request) -> Result<Decimal, ExtractError> {
    let secs = match (req.frames, req.duration) {
        (Some(f), _) => {
            let frames = checked_seconds(API, "frames", f.0)?;
            (frames - Decimal::ONE) / Decimal::from(FRAMES_PER_SECOND)
        }
        (None, Some(d)) => d.0,
        (None, None) => Decimal::from(DEFAULT_SECONDS),
    };
    checked_seconds(API, "frames / duration", secs)
}

/// What a Jimeng submit request will bill: the seconds its `frames` (or `duration`) ask for,
/// or the default 121 frames (5 s), as [`task`] meters the finished task.
pub(in crate::family) fn request_only(request: &[u8]) -> Noted {
    let req: Request = parse_request(API, request)?;
    let field = if req.frames.is_some() {
        "frames"
    } else {
        "duration"
    };
    let secs = seconds(&req).map_err(|_| {
        super::field_error(API, field, "does not give a positive number of seconds")
    })?;
    let mut g = Grounds::new(Basis::Formula);
    if req.frames.is_none() && req.duration.is_none() {
        g.default(format!(
            "no `frames` or `duration`: Jimeng's default 121 frames, {DEFAULT_SECONDS} s ({DOCS})"
        ));
    }
    let parts = g.part(
        "seconds of video",
        super::whole(secs),
        format!("(`frames` − 1) / {FRAMES_PER_SECOND} frames a second, or `duration`"),
    );
    let usage = Delivered {
        seconds: secs,
        resolution: None,
        options: Vec::new(),
    }
    .into_usage(API)?;
    super::noted(usage, parts)
}
