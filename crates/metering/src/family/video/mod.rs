//! Video generation tasks: a task's final status (and, where the price depends on it, the
//! create request) becomes seconds of video at a resolution, with the request options that
//! select a price (audio on or off, Kling's mode, Seedance's video input).
//!
//! The rules every family follows:
//!
//! - **The duration billed is the one delivered.** When the task result says how long the
//!   video is (Sora's `seconds`, Wan's `usage.duration`, Kling's `videos[].duration`), that is
//!   the quantity. Otherwise the request's duration counts, and when the request leaves it out,
//!   the vendor's documented default. With neither a delivered duration nor the request, the
//!   record cannot be made: [`ExtractError::MissingRequest`].
//! - **Several videos multiply.** Veo's `sampleCount`, Wan's `video_count`, Runway's outputs:
//!   the seconds are summed over the videos delivered (not asked for).
//! - **A failed or cancelled task is not charged**, and says so with a typed error,
//!   [`ExtractError::TaskFailed`], rather than a zero record: a zero bill would read as a free
//!   success in a log, whereas the relay's job is to refund what it held. An unfinished task is
//!   [`ExtractError::TaskUnfinished`]. Veo results whose every video was removed by the safety
//!   filter count as failed.
//! - **Resolution** is written as the vendor's pricing pages name it: Sora's pixel sizes
//!   (`1280x720`, priced per size), and elsewhere the short side with `p` (`720p`, `1080p`,
//!   `4k` as Veo writes it).
//!
//! ```
//! use tariff_metering::extract::{extract_with_request, Api};
//! let job = br#"{"id":"video_1","object":"video","model":"sora-2-pro","status":"completed",
//!   "seconds":"8","size":"1792x1024"}"#;
//! let usage = extract_with_request(Api::OpenAiVideo, job, None)?;
//! assert_eq!(usage.video_seconds.get().to_string(), "8");
//! assert_eq!(usage.resolution.as_deref(), Some("1792x1024"));
//! # Ok::<(), tariff_metering::extract::ExtractError>(())
//! ```

pub(super) mod jimeng;
pub(super) mod kling;
pub(super) mod luma;
pub(super) mod openai;
pub(super) mod runway;
pub(super) mod seedance;
pub(super) mod veo;
pub(super) mod wan;

use std::fmt;

use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

use super::{parse, Api, ExtractError};
use crate::request::{Basis, EstimateError, Part};
use crate::usage::{Seconds, Usage};

/// A request estimate of a task family: the usage the answer will bill when the vendor does
/// what was asked, and the one part saying what it rests on.
pub(crate) type Noted = Result<(Usage, Vec<Part>), EstimateError>;

/// What one estimated quantity rests on: read from the request, or a vendor default, or a
/// bound the request sets; every assumption is written into the part's note with its source.
pub(crate) struct Grounds {
    basis: Basis,
    notes: Vec<String>,
    /// The phrases of `read` naming fields a default stood in for.
    defaulted: Vec<String>,
}

impl Grounds {
    /// Grounds for a quantity read from the request (`Exact`) or computed from it (`Formula`).
    pub fn new(basis: Basis) -> Grounds {
        Grounds {
            basis,
            notes: Vec::new(),
            defaulted: Vec::new(),
        }
    }

    /// A vendor default stood in for what the request left out.
    pub fn default(&mut self, note: String) {
        self.basis = Basis::Default;
        self.notes.push(note);
    }

    /// Notes the vendor's `default` (documented at `source`) standing in for `field`, unless
    /// the request gave it.
    pub fn or_default(
        &mut self,
        given: bool,
        field: &str,
        default: &dyn fmt::Display,
        source: &str,
    ) {
        if !given {
            self.default(format!("no `{field}`: the default {default} ({source})"));
            self.defaulted.push(format!("`{field}` of the request"));
        }
    }

    /// The request bounds the quantity; the bound is held.
    pub fn bound(&mut self, note: String) {
        if self.basis != Basis::Default {
            self.basis = Basis::Bound;
        }
        self.notes.push(note);
    }

    /// The part for `n` of `what`, with `read` saying what was read from the request.
    pub fn part(self, what: &str, n: u64, read: String) -> Vec<Part> {
        // A field the request left out was not read from it: its default says so instead.
        let mut note = read;
        for phrase in &self.defaulted {
            note = note.replace(&format!("{phrase}, "), "").replace(phrase, "");
        }
        let mut note = note.trim_start_matches([',', ' ']).to_string();
        for a in self.notes {
            if note.is_empty() {
                note = a;
                continue;
            }
            note.push_str("; ");
            note.push_str(&a);
        }
        vec![Part {
            what: what.to_string(),
            tokens: n,
            basis: self.basis,
            note,
        }]
    }
}

/// A request field that cannot give an estimate, and why.
pub(crate) fn field_error(api: Api, path: &str, problem: impl Into<String>) -> EstimateError {
    EstimateError::Field {
        api,
        path: path.to_string(),
        problem: problem.into(),
    }
}

/// Whole seconds for an estimate part (rounded up, as a hold must be).
pub(crate) fn whole(s: Decimal) -> u64 {
    u64::try_from(s.ceil()).unwrap_or(u64::MAX)
}

/// What a request-only part read: the duration `field`, at the resolution priced.
pub(crate) fn at(field: &str, u: &Usage) -> String {
    let res = u.resolution.as_deref();
    format!(
        "`{field}` of the request, at {}",
        res.unwrap_or("an unstated resolution")
    )
}

/// The estimate of a create request for one video of the seconds in `field` (`asked`), or
/// the vendor's `default` seconds (documented at `docs`) when the request says nothing.
pub(super) fn seconds_request(
    api: Api,
    field: &str,
    asked: Option<Num>,
    (default, docs): (u32, &str),
    resolution: Option<String>,
    options: Vec<(&'static str, String)>,
) -> Noted {
    let mut g = Grounds::new(Basis::Exact);
    g.or_default(asked.is_some(), field, &format_args!("{default} s"), docs);
    let secs = asked.map_or(Decimal::from(default), |n| n.0);
    let u = Delivered {
        seconds: checked_seconds(api, field, secs)?,
        resolution,
        options,
    }
    .into_usage(api)?;
    let parts = g.part("seconds of video", whole(secs), at(field, &u));
    noted(u, parts)
}

/// Marks a request-only usage as estimated and pairs it with its part.
pub(crate) fn noted(mut u: Usage, parts: Vec<Part>) -> Noted {
    u.estimated = true;
    Ok((u, parts))
}

/// A number that vendors write as a JSON number or as a string: `8`, `"8"`, `"8s"`, `"5.1"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Num(pub Decimal);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

struct NumVisitor;

impl NumVisitor {
    fn text<E: serde::de::Error>(text: &str) -> Result<Num, E> {
        let t = text.trim();
        let t = t.strip_suffix('s').unwrap_or(t).trim();
        t.parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(t))
            .map(Num)
            .map_err(|_| E::custom(format!("`{text}` is not a number")))
    }
}

impl serde::de::Visitor<'_> for NumVisitor {
    type Value = Num;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, or a string holding one (\"8\", \"8s\")")
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num(v.into()))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Num, E> {
        // The shortest text that reads back as the same f64 is the text the vendor wrote
        // for any duration with up to 15 significant digits.
        if !v.is_finite() {
            return Err(E::custom("a duration must be a finite number"));
        }
        Self::text(&v.to_string())
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Num, E> {
        Self::text(v)
    }
}

/// Where a task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    /// Finished and delivered.
    Done,
    /// Failed, cancelled or expired: nothing to charge.
    Failed,
    /// Queued or running.
    Running,
}

/// Reads a vendor's status word (case-insensitive). The vocabularies overlap across vendors
/// (and across the relays in front of them), so one table serves them all; a family whose
/// words mean something else there overrides before calling this.
pub(super) fn stage(status: &str) -> Option<Stage> {
    Some(match status.trim().to_ascii_lowercase().as_str() {
        "completed" | "complete" | "success" | "succeed" | "succeeded" | "finished" | "done" => {
            Stage::Done
        }
        "failed" | "failure" | "fail" | "error" | "cancelled" | "canceled" | "expired"
        | "not_found" => Stage::Failed,
        "queued" | "pending" | "submitted" | "not_start" | "notstarted" | "preparing"
        | "created" | "starting" | "processing" | "in_progress" | "running" | "generating"
        | "in_queue" | "dreaming" | "throttled" | "unknown" => Stage::Running,
        _ => return None,
    })
}

/// Turns a stage into "go on" or the error for failed and unfinished tasks.
pub(super) fn require_done(
    api: Api,
    status: &str,
    stage: Option<Stage>,
    reason: Option<&str>,
) -> Result<(), ExtractError> {
    match stage {
        Some(Stage::Done) => Ok(()),
        Some(Stage::Failed) => Err(ExtractError::TaskFailed {
            api,
            status: status.to_string(),
            reason: reason.unwrap_or("").trim().to_string(),
        }),
        Some(Stage::Running) => Err(ExtractError::TaskUnfinished {
            api,
            status: status.to_string(),
        }),
        None => Err(ExtractError::MissingUsage {
            api,
            hint: format!("unknown task status `{status}`"),
        }),
    }
}

/// Parses a task result; a body of the wrong shape that another family's markers explain is
/// refused as that family rather than reported as bad JSON.
pub(super) fn parse_task<T: serde::de::DeserializeOwned>(
    api: Api,
    body: &[u8],
) -> Result<T, ExtractError> {
    parse(api, body).map_err(|e| match e {
        ExtractError::Json { .. } => {
            let found = serde_json::from_slice::<Probe>(body)
                .ok()
                .and_then(|p| looks_like(&p))
                .filter(|f| *f != api && !(api == Api::SoraChat && *f == Api::OpenAiChat));
            match found {
                Some(f) => wrong_family(api, f),
                None => e,
            }
        }
        other => other,
    })
}

pub(super) use super::parse_request;

/// The seconds of one video: delivered, else asked for, else the vendor's default.
///
/// `request` is `None` when no request was given at all: then only a delivered duration
/// will do. `asked` is what the request says (`None` when it leaves the duration out).
pub(super) fn seconds(
    api: Api,
    delivered: Option<Decimal>,
    request_given: bool,
    asked: Option<Decimal>,
    default: Option<Decimal>,
    model: Option<&str>,
) -> Result<Decimal, ExtractError> {
    if let Some(d) = delivered {
        return Ok(d);
    }
    if !request_given {
        return Err(ExtractError::MissingRequest { api });
    }
    asked.or(default).ok_or_else(|| ExtractError::MissingUsage {
        api,
        hint: format!(
            "no duration was delivered or asked for, and {} has no documented default",
            model.map_or_else(|| "the model".to_string(), |m| format!("`{m}`"))
        ),
    })
}

/// `1280x720`, `1280*720` or `1280:720` as the short side with `p` (`720p`).
pub(super) fn short_side(size: &str) -> Option<String> {
    let (w, h) = size.trim().split_once(['x', 'X', '*', ':', '×'])?;
    let (w, h): (u32, u32) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    (w > 0 && h > 0).then(|| format!("{}p", w.min(h)))
}

/// A resolution word as the price pages write it: `720P` -> `720p`, `4K` -> `4k`.
pub(super) fn resolution_word(r: &str) -> String {
    r.trim().to_ascii_lowercase()
}

/// What one task delivered, ready to become a usage record.
#[derive(Default)]
pub(super) struct Delivered {
    /// Seconds of video in all, over every video delivered.
    pub seconds: Decimal,
    /// The resolution, as the price tables name it.
    pub resolution: Option<String>,
    /// Request options that select a price.
    pub options: Vec<(&'static str, String)>,
}

impl Delivered {
    /// The canonical usage record.
    pub fn into_usage(self, api: Api) -> Result<Usage, ExtractError> {
        let secs = Seconds::new(self.seconds).ok_or_else(|| ExtractError::Inconsistent {
            api,
            detail: format!("{} seconds of video is out of range", self.seconds),
        })?;
        let mut u = Usage {
            video_seconds: secs,
            resolution: self.resolution,
            ..Usage::default()
        };
        for (k, v) in self.options {
            u.options.insert(k.to_string(), v);
        }
        Ok(u)
    }
}

/// A duration as it must be to bill: positive and within range.
pub(super) fn checked_seconds(api: Api, field: &str, s: Decimal) -> Result<Decimal, ExtractError> {
    if s <= Decimal::ZERO || Seconds::new(s).is_none() {
        return Err(ExtractError::Inconsistent {
            api,
            detail: format!("{field} is {s}, not a positive number of seconds"),
        });
    }
    Ok(s)
}

/// `seconds × count`, or an inconsistency when it overflows.
pub(super) fn times(api: Api, seconds: Decimal, count: u64) -> Result<Decimal, ExtractError> {
    seconds
        .checked_mul(Decimal::from(count))
        .filter(|t| Seconds::new(*t).is_some())
        .ok_or_else(|| ExtractError::Inconsistent {
            api,
            detail: format!("{count} videos of {seconds} s is out of range"),
        })
}

fn bool_word(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

/// What a body shows of its family, read only to explain a refusal.
#[derive(Deserialize, Default)]
struct Probe {
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    choices: Option<IgnoredAny>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    done: Option<IgnoredAny>,
    #[serde(default)]
    output: Option<serde_json::Value>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    state: Option<IgnoredAny>,
    #[serde(default)]
    content: Option<IgnoredAny>,
    #[serde(rename = "createdAt", default)]
    created_at: Option<IgnoredAny>,
    #[serde(rename = "usageMetadata", default)]
    usage_metadata: Option<IgnoredAny>,
    #[serde(default)]
    candidates: Option<IgnoredAny>,
}

/// The family a body looks like, by its markers.
fn looks_like(p: &Probe) -> Option<Api> {
    let data_has = |k: &str| p.data.as_ref().and_then(|d| d.get(k)).is_some();
    Some(
        if p.object.as_deref().is_some_and(|o| o.starts_with("video")) {
            Api::OpenAiVideo
        } else if p.choices.is_some()
            || p.object
                .as_deref()
                .is_some_and(|o| o.starts_with("chat.completion"))
        {
            Api::OpenAiChat
        } else if p.object.as_deref() == Some("response") {
            Api::OpenAiResponses
        } else if p.kind.as_deref() == Some("message") {
            Api::Anthropic
        } else if p.usage_metadata.is_some() || p.candidates.is_some() {
            Api::Gemini
        } else if p.done.is_some() || p.name.as_deref().is_some_and(|n| n.contains("operations/")) {
            Api::Veo
        } else if p
            .output
            .as_ref()
            .is_some_and(|o| o.get("task_status").is_some())
        {
            Api::WanVideo
        } else if data_has("task_status") {
            Api::Kling
        } else if data_has("status") || data_has("video_url") {
            Api::Jimeng
        } else if p.state.is_some() {
            Api::Luma
        } else if p.created_at.is_some() {
            Api::Runway
        } else if p.content.is_some() {
            Api::Seedance
        } else {
            return None;
        },
    )
}

/// The refusal for a body that lacks `expected`'s markers: another family, or no task at all.
pub(super) fn refuse(expected: Api, body: &[u8], missing: &str) -> ExtractError {
    let probe: Probe = serde_json::from_slice(body).unwrap_or_default();
    match looks_like(&probe).filter(|f| *f != expected) {
        Some(found) => wrong_family(expected, found),
        None => ExtractError::MissingUsage {
            api: expected,
            hint: format!("not a {expected} task result (no `{missing}`)"),
        },
    }
}

/// A body of family `found` given where `expected` was asked for.
pub(super) fn wrong_family(expected: Api, found: Api) -> ExtractError {
    ExtractError::WrongFamily {
        expected,
        found: format!("{} (use --api {})", found.description(), found.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_become_short_sides() {
        assert_eq!(short_side("1280x720").as_deref(), Some("720p"));
        assert_eq!(short_side("720*1280").as_deref(), Some("720p"));
        assert_eq!(short_side("1920:1080").as_deref(), Some("1080p"));
        assert_eq!(short_side("0x720"), None);
        assert_eq!(short_side("wide"), None);
    }

    #[test]
    fn numbers_read_from_numbers_and_strings() {
        let n: Num = serde_json::from_str(r#""8s""#).unwrap();
        assert_eq!(n.0, Decimal::from(8));
        let n: Num = serde_json::from_str(r#""5.1""#).unwrap();
        assert_eq!(n.0.to_string(), "5.1");
        let n: Num = serde_json::from_str("12.5").unwrap();
        assert_eq!(n.0.to_string(), "12.5");
        assert!(serde_json::from_str::<Num>(r#""long""#).is_err());
    }

    #[test]
    fn statuses_map_to_stages() {
        assert_eq!(stage("SUCCEEDED"), Some(Stage::Done));
        assert_eq!(stage("succeed"), Some(Stage::Done));
        assert_eq!(stage("CANCELLED"), Some(Stage::Failed));
        assert_eq!(stage("in_progress"), Some(Stage::Running));
        assert_eq!(stage("dreaming"), Some(Stage::Running));
        assert_eq!(stage("weird"), None);
    }
}
