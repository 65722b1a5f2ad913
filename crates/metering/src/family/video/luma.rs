//! Luma Dream Machine: `POST /dream-machine/v1/generations`, then `GET …/generations/{id}`.
//!
//! The generation object repeats its request (`request.duration` such as `"5s"`,
//! `request.resolution` such as `"720p"`), so it meters alone; a separately given request
//! fills what the copy leaves out. The duration defaults to 5 s
//! (<https://docs.lumalabs.ai/docs/video-generation>). `state`: `queued`, `dreaming`,
//! `completed`, `failed`.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{
    checked_seconds, parse_request, parse_task, refuse, require_done, resolution_word, seconds,
    seconds_request, stage, Delivered, Noted, Num,
};
use crate::family::{Api, ExtractError};
use crate::usage::Usage;

const API: Api = Api::Luma;

/// Luma's documented default duration.
pub(super) const DEFAULT_SECONDS: u32 = 5;
pub(super) const DOCS: &str = "https://docs.lumalabs.ai/docs/video-generation";

#[derive(Deserialize, Default)]
struct Request {
    #[serde(default)]
    duration: Option<Num>,
    #[serde(default)]
    resolution: Option<String>,
}

#[derive(Deserialize)]
struct Generation {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    failure_reason: Option<String>,
    #[serde(default)]
    request: Option<Request>,
}

/// Meters a Luma generation (`--api luma`).
pub(in crate::family) fn generation(
    body: &[u8],
    request: Option<&[u8]>,
) -> Result<Usage, ExtractError> {
    let g: Generation = parse_task(API, body)?;
    let Some(state) = g.state.clone() else {
        return Err(refuse(API, body, "state"));
    };
    require_done(API, &state, stage(&state), g.failure_reason.as_deref())?;
    let given: Option<Request> = request.map(|r| parse_request(API, r)).transpose()?;
    let copies = [g.request.as_ref(), given.as_ref()];
    let any_request = copies.iter().any(Option::is_some);
    let asked = copies
        .iter()
        .flatten()
        .find_map(|r| r.duration)
        .map(|n| n.0);
    let secs = seconds(
        API,
        None,
        any_request,
        asked,
        Some(Decimal::from(DEFAULT_SECONDS)),
        None,
    )?;
    let resolution = copies
        .iter()
        .flatten()
        .find_map(|r| r.resolution.as_deref())
        .map(resolution_word);
    Delivered {
        seconds: checked_seconds(API, "request.duration", secs)?,
        resolution,
        options: Vec::new(),
    }
    .into_usage(API)
}

/// What a Luma create request alone will bill: `duration` (default 5 s, noted) at its
/// resolution.
pub(in crate::family) fn request_only(request: &[u8]) -> Noted {
    let r: Request = parse_request(API, request)?;
    let resolution = r.resolution.as_deref().map(resolution_word);
    seconds_request(
        API,
        "duration",
        r.duration,
        (DEFAULT_SECONDS, DOCS),
        resolution,
        Vec::new(),
    )
}
