//! Gemini `generateContent` / `streamGenerateContent` requests.

use serde_json::{Map, Value};

use super::media::{self, MediaDuration};
use super::vision::{self, PdfFamily, Resolution};
use super::{data, index, join, Builder, EstimateError};
use crate::request::Api;

/// A field in either of Gemini's spellings (`inlineData` / `inline_data`).
fn get<'a>(o: &'a Map<String, Value>, camel: &str, snake: &str) -> Option<&'a Value> {
    o.get(camel)
        .or_else(|| o.get(snake))
        .filter(|v| !v.is_null())
}

pub(super) fn generate(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
    let o = req
        .as_object()
        .ok_or_else(|| b.field_error("(body)", "must be a JSON object"))?;
    if o.contains_key("messages") {
        return Err(EstimateError::WrongFamily {
            expected: Api::Gemini,
            found: "a chat request (`messages`): use openai-chat or anthropic".into(),
        });
    }
    let overhead = &data::models().gemini;
    let note = format!(
        "{} per content ({})",
        overhead.tokens_per_message, overhead.source
    );
    let gc = get(o, "generationConfig", "generation_config").and_then(Value::as_object);
    let global_res = gc
        .and_then(|g| get(g, "mediaResolution", "media_resolution"))
        .map(|v| resolution(b, v, "generationConfig.mediaResolution"))
        .transpose()?;
    if let Some(si) = get(o, "systemInstruction", "system_instruction") {
        content(b, si, "systemInstruction", global_res)?;
    }
    let contents =
        get(o, "contents", "contents").ok_or_else(|| b.field_error("contents", "is required"))?;
    let list: Vec<&Value> = match contents {
        Value::Array(a) => a.iter().collect(),
        Value::Object(_) => vec![contents],
        _ => return Err(b.field_error("contents", "must be an array of contents")),
    };
    for (i, c) in list.into_iter().enumerate() {
        b.framing(overhead.tokens_per_message, &note);
        content(b, c, &index("contents", i), global_res)?;
    }
    if let Some(tools) = get(o, "tools", "tools") {
        let tools = tools
            .as_array()
            .ok_or_else(|| b.field_error("tools", "must be an array"))?;
        for t in tools {
            match t
                .as_object()
                .and_then(|t| get(t, "functionDeclarations", "function_declarations"))
            {
                Some(Value::Array(decls)) => {
                    for d in decls {
                        b.tool_text(
                            &d.to_string(),
                            0,
                            "each declaration's JSON (Gemini publishes no rendering)",
                        );
                    }
                }
                _ => b.tool_text(
                    &t.to_string(),
                    0,
                    "each declaration's JSON (Gemini publishes no rendering)",
                ),
            }
        }
    }
    let n = b.count_field(
        "generationConfig.candidateCount",
        gc.and_then(|g| get(g, "candidateCount", "candidate_count")),
    )?;
    let max = gc.and_then(|g| get(g, "maxOutputTokens", "max_output_tokens"));
    b.output("generationConfig.maxOutputTokens", max, n)
}

fn resolution(b: &Builder, v: &Value, path: &str) -> Result<Resolution, EstimateError> {
    // A string, or Gemini 3's per-part `{"level": "MEDIA_RESOLUTION_HIGH"}`.
    let s = v
        .as_str()
        .or_else(|| v.get("level").and_then(Value::as_str));
    s.and_then(Resolution::parse)
        .ok_or_else(|| b.field_error(path, format!("`{v}` is not a media resolution")))
}

fn content(
    b: &mut Builder,
    c: &Value,
    path: &str,
    res: Option<Resolution>,
) -> Result<(), EstimateError> {
    let c = c
        .as_object()
        .ok_or_else(|| b.field_error(path, "must be an object with `parts`"))?;
    let parts = match get(c, "parts", "parts") {
        Some(Value::Array(p)) => p,
        Some(_) => return Err(b.field_error(&join(path, "parts"), "must be an array")),
        None => return Ok(()),
    };
    for (i, p) in parts.iter().enumerate() {
        let pp = index(&join(path, "parts"), i);
        let p = p
            .as_object()
            .ok_or_else(|| b.field_error(&pp, "must be an object"))?;
        let res = match get(p, "mediaResolution", "media_resolution") {
            Some(v) => Some(resolution(b, v, &join(&pp, "mediaResolution"))?),
            None => res,
        };
        if let Some(t) = get(p, "text", "text") {
            b.json(t);
        }
        for (camel, snake) in [
            ("functionCall", "function_call"),
            ("functionResponse", "function_response"),
            ("executableCode", "executable_code"),
            ("codeExecutionResult", "code_execution_result"),
        ] {
            if let Some(v) = get(p, camel, snake) {
                b.json(v);
            }
        }
        if let Some(d) = get(p, "inlineData", "inline_data") {
            let dp = join(&pp, "inlineData");
            let mime = d
                .get("mimeType")
                .or_else(|| d.get("mime_type"))
                .and_then(Value::as_str)
                .ok_or_else(|| b.field_error(&join(&dp, "mimeType"), "is required"))?;
            let data = d
                .get("data")
                .and_then(Value::as_str)
                .ok_or_else(|| b.field_error(&join(&dp, "data"), "is required"))?;
            inline(b, &pp, mime, data, res, p)?;
        }
        if let Some(f) = get(p, "fileData", "file_data") {
            let mime = f
                .get("mimeType")
                .or_else(|| f.get("mime_type"))
                .and_then(Value::as_str)
                .unwrap_or("");
            file(b, &pp, mime, res, p)?;
        }
    }
    Ok(())
}

fn no_formula(b: &Builder, path: &str) -> EstimateError {
    b.media_error(
        path,
        format!(
            "no media formula is known for model `{}` (estimate/vision.toml)",
            b.model
        ),
    )
}

/// The largest protobuf `Duration`: 10,000 years of seconds.
const MAX_DURATION_SECONDS: u64 = 315_576_000_000;

/// A JSON `Duration` (`"12.5s"`: decimal seconds, at most nine decimals, then `s`), read
/// exactly. Anything else (`"1e300s"`, a sign, a number) is refused at its path: parsed as
/// a float and cast, such a value saturated, and two of them wrapped the sum.
fn duration(b: &Builder, v: &Value, path: &str) -> Result<MediaDuration, EstimateError> {
    let bad = || {
        b.field_error(
            path,
            format!("`{v}` is not a duration like \"12.5s\" (0 to {MAX_DURATION_SECONDS} seconds, at most 9 decimals)"),
        )
    };
    let text = v
        .as_str()
        .and_then(|s| s.strip_suffix('s'))
        .ok_or_else(bad)?;
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |d: &str| d.bytes().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 9 {
        return Err(bad());
    }
    let whole: u64 = whole
        .parse()
        .ok()
        .filter(|s| *s <= MAX_DURATION_SECONDS)
        .ok_or_else(bad)?;
    let scale = 10u64.pow(u32::try_from(frac.len()).map_err(|_| bad())?);
    let part: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    // At most 3.2 × 10²⁰: inside u128.
    MediaDuration::new(
        u128::from(whole) * u128::from(scale) + u128::from(part),
        scale,
    )
    .ok_or_else(bad)
}

/// The clip's length from `videoMetadata` offsets, when an end is given (the start
/// defaults to 0); `None` without one. Offsets that are not durations, or an end before
/// the start, are errors naming the field.
fn clip_seconds(
    b: &Builder,
    p: &Map<String, Value>,
    path: &str,
) -> Result<Option<MediaDuration>, EstimateError> {
    let Some(vm) = get(p, "videoMetadata", "video_metadata") else {
        return Ok(None);
    };
    let vp = join(path, "videoMetadata");
    let offset = |camel: &str, snake: &str| {
        vm.get(camel)
            .or_else(|| vm.get(snake))
            .filter(|v| !v.is_null())
            .map(|v| duration(b, v, &join(&vp, camel)))
            .transpose()
    };
    let Some(end) = offset("endOffset", "end_offset")? else {
        return Ok(None);
    };
    let start = offset("startOffset", "start_offset")?.unwrap_or(MediaDuration::whole(0));
    end.checked_sub(&start)
        .map(Some)
        .ok_or_else(|| b.field_error(&join(&vp, "endOffset"), "is before `startOffset`"))
}

fn inline(
    b: &mut Builder,
    path: &str,
    mime: &str,
    data: &str,
    res: Option<Resolution>,
    p: &Map<String, Value>,
) -> Result<(), EstimateError> {
    let model = b.model.clone();
    if mime.starts_with("image/") {
        let dims = media::image_dims_b64(data);
        let m = vision::gemini_image(&model, dims, res).map_err(|_| no_formula(b, path))?;
        b.media(path, "image", m)?;
    } else if mime.starts_with("audio/") || mime.starts_with("video/") {
        let secs = clip_seconds(b, p, path)?
            .or_else(|| media::decode_all(data).and_then(|bytes| media::media_seconds(&bytes)))
            .ok_or_else(|| b.media_error(path, format!("the duration of this {mime} cannot be read (WAV and MP4 headers are read; give videoMetadata offsets otherwise)")))?;
        if mime.starts_with("audio/") {
            let m = vision::gemini_audio(&model, secs).map_err(|_| no_formula(b, path))?;
            b.audio(path, "audio", m)?;
        } else {
            let m = vision::gemini_video(&model, secs, res).map_err(|_| no_formula(b, path))?;
            b.media(path, "video", m)?;
        }
    } else if mime == "application/pdf" {
        let pages = media::decode_all(data)
            .and_then(|bytes| media::pdf_pages(&bytes))
            .ok_or_else(|| b.media_error(path, "the PDF's pages cannot be counted"))?;
        let m = vision::pdf(PdfFamily::Gemini, &model, pages).map_err(|_| no_formula(b, path))?;
        b.media(path, "PDF", m)?;
    } else if mime.starts_with("text/") || mime == "application/json" {
        let bytes = media::decode_all(data)
            .ok_or_else(|| b.field_error(&join(path, "inlineData.data"), "is not base64"))?;
        b.text(&String::from_utf8_lossy(&bytes));
    } else {
        return Err(b.media_error(
            path,
            format!("`{mime}` is not a media type this estimator knows"),
        ));
    }
    Ok(())
}

fn file(
    b: &mut Builder,
    path: &str,
    mime: &str,
    res: Option<Resolution>,
    p: &Map<String, Value>,
) -> Result<(), EstimateError> {
    let model = b.model.clone();
    if mime.starts_with("image/") {
        let m = vision::gemini_image(&model, None, res).map_err(|_| no_formula(b, path))?;
        b.media(path, "image", m)?;
        return Ok(());
    }
    if mime.starts_with("audio/") || mime.starts_with("video/") {
        let secs = clip_seconds(b, p, path)?.ok_or_else(|| {
            b.media_error(path, "a file given by URI has no duration in the request; give videoMetadata startOffset/endOffset")
        })?;
        if mime.starts_with("audio/") {
            let m = vision::gemini_audio(&model, secs).map_err(|_| no_formula(b, path))?;
            b.audio(path, "audio", m)?;
        } else {
            let m = vision::gemini_video(&model, secs, res).map_err(|_| no_formula(b, path))?;
            b.media(path, "video", m)?;
        }
        return Ok(());
    }
    Err(b.media_error(
        path,
        format!("a `{mime}` file given by URI: its size cannot be read from the request"),
    ))
}
