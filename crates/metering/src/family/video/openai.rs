//! OpenAI video jobs (`POST /v1/videos`, `GET /v1/videos/{id}`) and Sora through the chat
//! format.
//!
//! The job object carries what was delivered: `seconds` (a string, e.g. `"8"`) and `size`
//! (`"1280x720"`), so a Sora job meters without its request. The relay's OpenAI-compatible
//! video API returns the same object for other models (Veo among them), often without
//! `seconds`; then the request counts, and its model's documented default when it leaves the
//! duration out.
//!
//! Defaults, per model family (read from the vendors' API references):
//! - Sora (`sora-*`): `seconds` defaults to 4 and `size` to `720x1280`
//!   (<https://platform.openai.com/docs/api-reference/videos/create>).
//! - Veo (`veo*`): `durationSeconds` defaults to 8 and `resolution` to `720p`
//!   (<https://ai.google.dev/gemini-api/docs/video>).
//! - Kling, Wan, Jimeng and Luma models: 5 s; Runway (`gen3*`, `gen4*`): 10 s — the defaults
//!   of their own formats (see those modules). Any other model has no default: its request
//!   must say how long, or the job must.
//!
//! Which of these a model is, is its formula family (`Model::formula`): the `[[formula]]`
//! entries of `estimate/models.toml` by id, or `formula = "sora"` (etc.) on a relay's own
//! `[[model]]`.
//!
//! Every family but Sora is priced by the short side (`720p`), from the request's
//! `resolution` or the size.

use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{
    at, bool_word, checked_seconds, field_error, noted, parse_request, parse_task, refuse,
    require_done, resolution_word, seconds, short_side, stage, whole, Delivered, Grounds, Noted,
    Num,
};
use crate::family::bound::Subject;
use crate::family::data::{Facts, Formula};
use crate::family::{Api, ExtractError};
use crate::request::Basis;
use crate::usage::Usage;

#[derive(Deserialize)]
struct JobError {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Job {
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    seconds: Option<Num>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    error: Option<JobError>,
}

/// The create request, as JSON (`/v1/videos` takes JSON or multipart; a relay logs the JSON
/// form). Vendors' own names are accepted at the top level and under `metadata`, where the
/// relay passes parameters through to the upstream.
#[derive(Deserialize, Default)]
pub(super) struct VideoRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    seconds: Option<Num>,
    #[serde(default)]
    duration: Option<Num>,
    #[serde(default, rename = "durationSeconds", alias = "duration_seconds")]
    duration_seconds: Option<Num>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default, rename = "generateAudio", alias = "generate_audio")]
    generate_audio: Option<bool>,
    #[serde(default)]
    metadata: Option<Box<VideoRequest>>,
    #[serde(default)]
    messages: Option<IgnoredAny>,
}

impl VideoRequest {
    fn asked_seconds(&self) -> Option<Decimal> {
        self.seconds
            .or(self.duration)
            .or(self.duration_seconds)
            .map(|n| n.0)
            .or_else(|| self.metadata.as_ref().and_then(|m| m.asked_seconds()))
    }
    fn size(&self) -> Option<&str> {
        self.size
            .as_deref()
            .or_else(|| self.metadata.as_ref().and_then(|m| m.size()))
    }
    fn resolution(&self) -> Option<&str> {
        self.resolution
            .as_deref()
            .or_else(|| self.metadata.as_ref().and_then(|m| m.resolution()))
    }
    fn audio(&self) -> Option<bool> {
        self.generate_audio
            .or_else(|| self.metadata.as_ref().and_then(|m| m.audio()))
    }
}

/// Which vendor's defaults and resolution naming apply: the model's formula family
/// (`Model::formula`, joined from `estimate/models.toml` by id or set by a relay's table).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Priced by pixel size; 4 s at 720x1280 by default.
    Sora,
    /// 8 s at 720p by default.
    Veo,
    /// Another vendor's model behind the relay's OpenAI-compatible API, with its documented
    /// default duration in seconds and where it is documented (the defaults of the vendor's
    /// own format), if known.
    Other(Option<(u32, &'static str)>),
}

fn family(formula: Option<Formula>) -> Family {
    use super::{jimeng, kling, luma, runway, wan};
    // The defaults of the vendor's own format (see its module).
    let other = |seconds, docs| Family::Other(Some((seconds, docs)));
    match formula {
        Some(Formula::Sora) => Family::Sora,
        Some(Formula::Veo) => Family::Veo,
        Some(Formula::Kling) => other(kling::DEFAULT_SECONDS, kling::DOCS),
        Some(Formula::Wan) => other(wan::DEFAULT_SECONDS, wan::DOCS),
        Some(Formula::Jimeng) => other(jimeng::DEFAULT_SECONDS, jimeng::DOCS),
        Some(Formula::Luma) => other(luma::DEFAULT_SECONDS, luma::DOCS),
        Some(Formula::Runway) => other(runway::DEFAULT_SECONDS, runway::DOCS),
        // Not a video family (or none): no default length.
        Some(Formula::DallE2 | Formula::DallE3 | Formula::ZImage | Formula::WebSearch) | None => {
            Family::Other(None)
        }
    }
}

/// Sora's documented defaults.
const SORA_SECONDS: u32 = 4;
const SORA_SIZE: &str = "720x1280";
const SORA_DOCS: &str = "https://platform.openai.com/docs/api-reference/videos/create";
/// Veo's documented defaults.
const VEO_SECONDS: u32 = 8;
const VEO_RESOLUTION: &str = "720p";
const VEO_DOCS: &str = "https://ai.google.dev/gemini-api/docs/video";

/// Seconds, resolution and options of one video from what the response delivered and what
/// the request asked.
fn meter(
    api: Api,
    model: Option<&str>,
    fam: Family,
    delivered_seconds: Option<Decimal>,
    delivered_size: Option<&str>,
    req: Option<&VideoRequest>,
) -> Result<Delivered, ExtractError> {
    let default = match fam {
        Family::Sora => Some(Decimal::from(SORA_SECONDS)),
        Family::Veo => Some(Decimal::from(VEO_SECONDS)),
        Family::Other(d) => d.map(|d| Decimal::from(d.0)),
    };
    let asked = req.and_then(VideoRequest::asked_seconds);
    let secs = seconds(api, delivered_seconds, req.is_some(), asked, default, model)?;
    let secs = checked_seconds(api, "seconds", secs)?;
    let size = delivered_size.or(req.and_then(VideoRequest::size));
    let resolution = match fam {
        // Sora is priced by pixel size.
        Family::Sora => Some(size.unwrap_or(SORA_SIZE).trim().to_string()),
        Family::Veo => Some(
            req.and_then(VideoRequest::resolution)
                .map(resolution_word)
                .or_else(|| size.and_then(short_side))
                .unwrap_or_else(|| VEO_RESOLUTION.to_string()),
        ),
        // Everyone but Sora prices by the short side.
        Family::Other(_) => req
            .and_then(VideoRequest::resolution)
            .map(resolution_word)
            .or_else(|| size.and_then(short_side)),
    };
    let mut options = Vec::new();
    if let Some(a) = req.and_then(VideoRequest::audio) {
        options.push(("audio", bool_word(a)));
    }
    Ok(Delivered {
        seconds: secs,
        resolution,
        options,
    })
}

/// What an OpenAI video create request alone will bill: the seconds and size it asks for,
/// or the model's documented defaults (Sora 4 s at 720x1280, Veo 8 s at 720p), noted; the
/// request's `model`, else `model`, picks the defaults.
pub(in crate::family) fn request_only(request: &[u8], model: &Subject) -> Noted {
    let api = Api::OpenAiVideo;
    request_noted(api, &parse_request(api, request)?, model)
}

/// The family of the model an answer names, else of the one its request names.
fn family_named(facts: Facts, answer: Option<&str>, req: Option<&VideoRequest>) -> Family {
    let named = answer.or(req.and_then(|r| r.model.as_deref()));
    family(named.and_then(|m| facts.formula(m)))
}

/// Meters an OpenAI video job object (`--api openai-video`).
pub(in crate::family) fn job(
    body: &[u8],
    request: Option<&[u8]>,
    facts: Facts,
) -> Result<Usage, ExtractError> {
    let api = Api::OpenAiVideo;
    let j: Job = parse_task(api, body)?;
    if !j.object.as_deref().is_some_and(|o| o.starts_with("video")) {
        return Err(refuse(api, body, "object: \"video\""));
    }
    let status = j.status.as_deref().unwrap_or("");
    let reason = j.error.as_ref().and_then(|e| e.message.as_deref());
    require_done(api, status, stage(status), reason)?;
    let req: Option<VideoRequest> = request.map(|r| parse_request(api, r)).transpose()?;
    let delivered = match j.seconds {
        Some(n) => Some(checked_seconds(api, "seconds", n.0)?),
        None => None,
    };
    let fam = family_named(facts, j.model.as_deref(), req.as_ref());
    meter(
        api,
        j.model.as_deref(),
        fam,
        delivered,
        j.size.as_deref(),
        req.as_ref(),
    )?
    .into_usage(api)
}

#[derive(Deserialize)]
struct ChatBody {
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// Meters Sora through the chat format (`--api sora-chat`): the completion (a JSON body or a
/// saved stream) says only that the video was made, so the seconds and size come from the
/// request (`seconds`, `size`, or their defaults).
pub(in crate::family) fn chat(
    body: &[u8],
    request: Option<&[u8]>,
    facts: Facts,
) -> Result<Usage, ExtractError> {
    let api = Api::SoraChat;
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let mut model = None;
    if first == Some(&b'{') {
        let c: ChatBody = parse_task(api, body)?;
        check_chat(api, &c, body)?;
        model = c.model;
    } else {
        let mut chunks = 0usize;
        for line in body.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(data) = line.strip_prefix(b"data:") else {
                continue;
            };
            let data = data.trim_ascii();
            if data == b"[DONE]" || data.is_empty() {
                continue;
            }
            let c: ChatBody = parse_task(api, data)?;
            check_chat(api, &c, data)?;
            model = model.or(c.model);
            chunks += 1;
        }
        if chunks == 0 {
            return Err(ExtractError::MissingUsage {
                api,
                hint: "neither a chat completion nor a stream of chunks".into(),
            });
        }
    }
    let Some(request) = request else {
        return Err(ExtractError::MissingRequest { api });
    };
    let req: VideoRequest = parse_request(api, request)?;
    if req.messages.is_none() {
        return Err(ExtractError::Json {
            api,
            message: "in the request: a chat-format request has `messages`".into(),
            offset: 0,
            path: String::new(),
        });
    }
    let fam = family_named(facts, model.as_deref(), Some(&req));
    meter(api, model.as_deref(), fam, None, None, Some(&req))?.into_usage(api)
}

/// What a Sora chat-format request will bill, read as [`chat`] reads it: the seconds and
/// size asked for (`seconds`, `size`, or under `metadata`), or the model's documented
/// defaults; the request's `model`, else `model`, picks the defaults.
pub(in crate::family) fn chat_request(request: &[u8], model: &Subject) -> Noted {
    let api = Api::SoraChat;
    let req: VideoRequest = parse_request(api, request)?;
    if req.messages.is_none() {
        return Err(field_error(
            api,
            "messages",
            "is missing: a chat-format request has it",
        ));
    }
    request_noted(api, &req, model)
}

/// The estimate of a create request (either format), each default noted with its source.
fn request_noted(api: Api, req: &VideoRequest, subject: &Subject) -> Noted {
    let model = req.model.as_deref().unwrap_or(subject.id);
    let fam = family(subject.formula_of(req.model.as_deref()));
    if req.asked_seconds().is_none() && fam == Family::Other(None) {
        return Err(field_error(
            api,
            "seconds",
            format!("is missing, and `{model}` has no documented default length"),
        ));
    }
    if let Some(s) = req.asked_seconds().filter(|s| *s <= Decimal::ZERO) {
        return Err(field_error(
            api,
            "seconds",
            format!("is {s}, not a positive number"),
        ));
    }
    let d = meter(api, Some(model), fam, None, None, Some(req))?;
    let mut g = Grounds::new(Basis::Exact);
    let given = req.asked_seconds().is_some();
    match fam {
        Family::Sora => {
            g.or_default(
                given,
                "seconds",
                &format_args!("{SORA_SECONDS} s"),
                SORA_DOCS,
            );
            g.or_default(req.size().is_some(), "size", &SORA_SIZE, SORA_DOCS);
        }
        Family::Veo => {
            g.or_default(given, "seconds", &format_args!("{VEO_SECONDS} s"), VEO_DOCS);
            let res = req.resolution().or(req.size()).is_some();
            g.or_default(res, "resolution", &VEO_RESOLUTION, VEO_DOCS);
        }
        Family::Other(d) => {
            let (secs, docs) = d.unwrap_or_default();
            g.or_default(given, "seconds", &format_args!("{secs} s"), docs);
        }
    }
    let secs = whole(d.seconds);
    let u = d.into_usage(api)?;
    let parts = g.part("seconds of video", secs, at("seconds", &u));
    noted(u, parts)
}

fn check_chat(api: Api, c: &ChatBody, body: &[u8]) -> Result<(), ExtractError> {
    if let Some(e) = &c.error {
        let reason = e
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("")
            .to_string();
        return Err(ExtractError::TaskFailed {
            api,
            status: "failed".into(),
            reason,
        });
    }
    let is_chat = c.choices.is_some()
        || c.object
            .as_deref()
            .is_some_and(|o| o.starts_with("chat.completion"));
    if !is_chat {
        return Err(refuse(api, body, "choices"));
    }
    Ok(())
}
