//! Veo long-running operations (`models/{model}:predictLongRunning`, then
//! `GET {operation name}`), as the Gemini API and Vertex AI return them.
//!
//! A finished operation lists the videos made (`generateVideoResponse.generatedSamples` on the
//! Gemini API, `videos` on Vertex AI) but neither their length nor their resolution, so the
//! request is needed: `parameters.durationSeconds` (default 8), `parameters.resolution`
//! (default `720p`) and `parameters.generateAudio` (<https://ai.google.dev/gemini-api/docs/video>,
//! <https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/veo-video-generation>).
//! The seconds are summed over the videos delivered: a video the safety filter removed
//! (`raiMediaFilteredCount`) is not delivered and not charged.

use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{
    bool_word, checked_seconds, noted, parse_request, parse_task, refuse, resolution_word, seconds,
    times, whole, Delivered, Grounds, Noted, Num,
};
use crate::family::{count, Api, ExtractError};
use crate::request::Basis;
use crate::usage::Usage;

const API: Api = Api::Veo;

/// Veo's documented defaults.
const DEFAULT_SECONDS: u32 = 8;
const DEFAULT_RESOLUTION: &str = "720p";
const DOCS: &str = "https://ai.google.dev/gemini-api/docs/video";

#[derive(Deserialize, Default)]
struct Generated {
    #[serde(default, rename = "generatedSamples")]
    samples: Option<Vec<IgnoredAny>>,
    #[serde(default, rename = "raiMediaFilteredCount")]
    filtered: Option<u64>,
}

#[derive(Deserialize, Default)]
struct OpResponse {
    #[serde(default, rename = "generateVideoResponse")]
    generated: Option<Generated>,
    #[serde(default)]
    videos: Option<Vec<IgnoredAny>>,
    #[serde(default, rename = "raiMediaFilteredCount")]
    filtered: Option<u64>,
}

#[derive(Deserialize)]
struct OpError {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Operation {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    done: Option<bool>,
    #[serde(default)]
    response: Option<OpResponse>,
    #[serde(default)]
    error: Option<OpError>,
}

#[derive(Deserialize, Default)]
struct Parameters {
    #[serde(default, rename = "durationSeconds")]
    duration_seconds: Option<Num>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default, rename = "generateAudio")]
    generate_audio: Option<bool>,
    /// How many videos the request asks for (the operation says how many it delivered).
    #[serde(default, rename = "sampleCount")]
    sample_count: Option<u64>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    instances: Option<IgnoredAny>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

/// Meters a Veo operation (`--api veo`).
pub(in crate::family) fn operation(
    body: &[u8],
    request: Option<&[u8]>,
) -> Result<Usage, ExtractError> {
    let op: Operation = parse_task(API, body)?;
    let named = op
        .name
        .as_deref()
        .is_some_and(|n| n.contains("operations/"));
    if !named && op.done.is_none() {
        return Err(refuse(API, body, "name: \"…/operations/…\""));
    }
    if let Some(e) = &op.error {
        return Err(ExtractError::TaskFailed {
            api: API,
            status: "failed".into(),
            reason: e.message.clone().unwrap_or_default(),
        });
    }
    if op.done != Some(true) {
        return Err(ExtractError::TaskUnfinished {
            api: API,
            status: "running (done is not true)".into(),
        });
    }
    let resp = op.response.unwrap_or_default();
    let (delivered, filtered) = match (&resp.generated, &resp.videos) {
        (Some(g), _) => (
            g.samples.as_ref().map_or(0, Vec::len),
            g.filtered.or(resp.filtered).unwrap_or(0),
        ),
        (None, Some(v)) => (v.len(), resp.filtered.unwrap_or(0)),
        (None, None) => (0, resp.filtered.unwrap_or(0)),
    };
    if delivered == 0 {
        return Err(ExtractError::TaskFailed {
            api: API,
            status: "done without a video".into(),
            reason: if filtered > 0 {
                format!("{filtered} video(s) removed by the safety filter")
            } else {
                String::new()
            },
        });
    }
    let videos = count(API, "generated videos", delivered as u64)?;
    let Some(request) = request else {
        return Err(ExtractError::MissingRequest { api: API });
    };
    let req: Request = parse_request(API, request)?;
    if req.instances.is_none() && req.parameters.is_none() {
        return Err(ExtractError::Json {
            api: API,
            message: "in the request: a Veo request has `instances` and `parameters`".into(),
            offset: 0,
            path: String::new(),
        });
    }
    bill(req.parameters.unwrap_or_default(), videos.get())
}

/// What a Veo request alone will bill: `sampleCount` videos (default 1) of the seconds and
/// resolution it asks for, or Veo's defaults, each default noted with its source.
pub(in crate::family) fn request_only(request: &[u8]) -> Noted {
    let req: Request = parse_request(API, request)?;
    let p = req.parameters.unwrap_or_default();
    let mut g = Grounds::new(Basis::Exact);
    let field = "parameters.durationSeconds";
    g.or_default(
        p.duration_seconds.is_some(),
        field,
        &format_args!("{DEFAULT_SECONDS} s"),
        DOCS,
    );
    let field = "parameters.resolution";
    g.or_default(p.resolution.is_some(), field, &DEFAULT_RESOLUTION, DOCS);
    let field = "parameters.sampleCount";
    g.or_default(p.sample_count.is_some(), field, &"1 video", DOCS);
    let videos = p.sample_count.unwrap_or(1).max(1);
    let u = bill(p, videos)?;
    let read = format!(
        "{videos} × `parameters.durationSeconds` at {}",
        u.resolution.as_deref().unwrap_or_default()
    );
    let parts = g.part("seconds of video", whole(u.video_seconds.get()), read);
    noted(u, parts)
}

/// Seconds × videos at the asked (or default) duration and resolution, and the audio option.
fn bill(p: Parameters, videos: u64) -> Result<Usage, ExtractError> {
    let secs = seconds(
        API,
        None,
        true,
        p.duration_seconds.map(|n| n.0),
        Some(Decimal::from(DEFAULT_SECONDS)),
        None,
    )?;
    let secs = checked_seconds(API, "parameters.durationSeconds", secs)?;
    let mut options = Vec::new();
    if let Some(a) = p.generate_audio {
        options.push(("audio", bool_word(a)));
    }
    Delivered {
        seconds: times(API, secs, videos)?,
        resolution: Some(
            p.resolution
                .as_deref()
                .map(resolution_word)
                .unwrap_or_else(|| DEFAULT_RESOLUTION.to_string()),
        ),
        options,
    }
    .into_usage(API)
}
