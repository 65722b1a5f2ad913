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

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{
    bool_word, field_error, noted, parse_request, parse_task, refuse, require_done,
    resolution_word, stage, Grounds, Noted, Num,
};
use crate::family::{minus, tokens, Api, ExtractError};
use crate::request::{seedance, Basis};
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
    model: Option<String>,
    #[serde(default)]
    content: Option<Vec<Item>>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default)]
    ratio: Option<String>,
    #[serde(default)]
    duration: Option<Num>,
    #[serde(default)]
    frames: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    generate_audio: Option<bool>,
}

/// A parameter written as a text command in the prompt (`--rs 1080p`, `--rt 16:9`,
/// `--dur 5`), the older way of setting it: the word after the first of `keys`.
fn text_command<'a>(items: &'a [Item], keys: &[&str]) -> Option<&'a str> {
    items
        .iter()
        .filter_map(|i| i.text.as_deref())
        .find_map(|t| {
            let mut words = t.split_whitespace();
            while let Some(w) = words.next() {
                if keys.contains(&w) {
                    return words.next();
                }
            }
            None
        })
}

const RESOLUTION: &[&str] = &["--rs", "--resolution"];

/// Meters an Ark content-generation task (`--api seedance`).
pub(in crate::family) fn task(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
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
        .or_else(|| text_command(items, RESOLUTION).map(resolution_word));
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

/// What an Ark create request will bill: the video tokens of the video it asks for, width ×
/// height × fps × seconds / 1024 at the frame size of its resolution and ratio
/// (`estimate/seedance.toml`), each read from the request field or its text command, else
/// the model's documented default; `duration: -1` (the model chooses) holds the longest.
/// A reference video (billed as input, of a length the request does not give), an
/// `adaptive` ratio and ratios without a recorded frame size are refused, naming the field.
pub(in crate::family) fn request_only(request: &[u8], model: &str) -> Noted {
    let req: Request = parse_request(API, request)?;
    let items = req.content.as_deref().unwrap_or(&[]);
    let model = req.model.as_deref().unwrap_or(model);
    let Some(m) = seedance::table().get(model) else {
        return Err(field_error(
            API,
            "model",
            format!("`{model}` has no frame-size entry in estimate/seedance.toml"),
        ));
    };
    if let Some(i) = items
        .iter()
        .position(|i| i.kind.as_deref() == Some("video_url"))
    {
        return Err(field_error(
            API,
            &format!("content[{i}].video_url"),
            "a reference video is billed as input tokens, and the request does not say how long it is",
        ));
    }
    if req.frames.is_some() {
        return Err(field_error(
            API,
            "frames",
            "is not read: give `duration` in seconds",
        ));
    }
    let mut g = Grounds::new(Basis::Formula);
    let resolution = match req
        .resolution
        .as_deref()
        .or_else(|| text_command(items, RESOLUTION))
    {
        Some(r) => resolution_word(r),
        None => {
            g.default(format!("no `resolution`: {}", m.default_resolution));
            m.default_resolution.clone()
        }
    };
    let Some(&(w, h)) = m.frames.get(&resolution) else {
        return Err(field_error(
            API,
            "resolution",
            format!("`{resolution}` is not offered by `{model}` (estimate/seedance.toml)"),
        ));
    };
    let image = items.iter().any(|i| i.kind.as_deref() == Some("image_url"));
    match req.ratio.as_deref().or_else(|| text_command(items, &["--rt", "--ratio"])) {
        Some("16:9" | "9:16") => {}
        None if !image => g.default("no `ratio`: 16:9 for text-to-video".into()),
        other => {
            return Err(field_error(
                API,
                "ratio",
                match other {
                    None | Some("adaptive") => "follows the input image (`adaptive`), whose size the request does not give".to_string(),
                    Some(r) => format!("`{r}` has no recorded frame size (estimate/seedance.toml records 16:9 and 9:16)"),
                },
            ))
        }
    }
    let asked = match req.duration {
        Some(d) => Some(d.0),
        None => match text_command(items, &["--dur", "--duration"]) {
            Some(t) => Some(t.parse::<Decimal>().map_err(|_| {
                field_error(API, "--dur", format!("`{t}` is not a number of seconds"))
            })?),
            None => None,
        },
    };
    let secs = match asked {
        Some(d) if d == Decimal::NEGATIVE_ONE => {
            g.bound(format!(
                "`duration` -1 lets the model choose: its longest, {} s, held",
                m.max_seconds
            ));
            Decimal::from(m.max_seconds)
        }
        Some(d)
            if d > Decimal::ZERO && d.fract().is_zero() && d <= Decimal::from(m.max_seconds) =>
        {
            d
        }
        Some(d) => {
            return Err(field_error(
                API,
                "duration",
                format!(
                    "{d} is not a whole number of seconds up to {} (or -1)",
                    m.max_seconds
                ),
            ))
        }
        None => {
            g.default(format!("no `duration`: {} s", m.default_seconds));
            Decimal::from(m.default_seconds)
        }
    };
    let secs = u64::try_from(secs).unwrap_or(u64::MAX);
    let n = w * h * u64::from(m.fps) * secs / 1024;
    let parts = g.part(
        "video tokens",
        n,
        format!(
            "{w} × {h} × {} fps × {secs} s / 1024; defaults and sizes: {}",
            m.fps, m.source
        ),
    );
    let mut usage = Usage {
        output_tokens: tokens(API, "video tokens", n)?,
        resolution: Some(resolution.clone()),
        ..Usage::default()
    };
    usage.options.insert("video_input".into(), bool_word(false));
    usage.options.insert("resolution".into(), resolution);
    if let Some(a) = req.generate_audio {
        usage.options.insert("audio".into(), bool_word(a));
    }
    noted(usage, parts)
}
