//! Gemini `generateContent` (and each chunk of `streamGenerateContent`).
//!
//! `promptTokenCount` includes `cachedContentTokenCount`; audio is priced apart, so the
//! AUDIO share of the prompt and of the cache (by modality) goes to the audio buckets.
//! `candidatesTokenCount` excludes `thoughtsTokenCount`; tool-use prompt tokens are
//! billed as input. Image and audio output (native image generation, speech) are split
//! out of the candidates by modality.
//!
//! An answer with `thoughtsTokenCount` was made in thinking mode and carries the option
//! `thinking = "true"` (Gemini 2.5 Flash Preview priced all output at the thinking rate
//! then).
//!
//! A streamed answer (SSE, or a JSON array of chunks) repeats running totals in every
//! chunk: they must not fall from one chunk to the next, and an empty `usageMetadata`
//! changes nothing.
//!
//! Grounding with Google Search: a response whose candidates carry
//! `groundingMetadata.webSearchQueries` ran that many distinct search queries for one
//! grounded prompt. Both are metered: the prompt as one `searches` unit (Gemini 2.x bills
//! per grounded prompt) and the queries as `web_search_calls` (Gemini 3 bills per query);
//! each model's table prices the one its vendor bills and writes the other as 0.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::{count, minus, parse, tokens, Api, ExtractError};
use crate::usage::Usage;

const API: Api = Api::Gemini;

#[derive(Deserialize)]
struct ModalityCount {
    #[serde(default)]
    modality: String,
    #[serde(default, rename = "tokenCount")]
    token_count: u64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Meta {
    #[serde(default)]
    prompt_token_count: Option<u64>,
    #[serde(default)]
    candidates_token_count: Option<u64>,
    #[serde(default)]
    total_token_count: Option<u64>,
    #[serde(default)]
    cached_content_token_count: Option<u64>,
    #[serde(default)]
    thoughts_token_count: Option<u64>,
    #[serde(default)]
    tool_use_prompt_token_count: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<Vec<ModalityCount>>,
    #[serde(default)]
    cache_tokens_details: Option<Vec<ModalityCount>>,
    #[serde(default)]
    candidates_tokens_details: Option<Vec<ModalityCount>>,
}

#[derive(Deserialize, Default)]
struct Grounding {
    #[serde(default, rename = "webSearchQueries")]
    web_search_queries: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct Candidate {
    #[serde(default, rename = "groundingMetadata")]
    grounding_metadata: Option<Grounding>,
    /// Set on the candidate's last chunk: the answer is complete.
    #[serde(default, rename = "finishReason")]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct PromptFeedback {
    /// A blocked prompt: the stream ends with this chunk, no candidate follows.
    #[serde(default, rename = "blockReason")]
    block_reason: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct Body {
    #[serde(default, rename = "usageMetadata")]
    pub usage_metadata: Option<Meta>,
    #[serde(default)]
    candidates: Option<Vec<Candidate>>,
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    error: Option<IgnoredAny>,
    #[serde(default, rename = "promptFeedback")]
    prompt_feedback: Option<PromptFeedback>,
}

impl Body {
    /// Whether the chunk is an error report.
    pub(super) fn is_error(&self) -> bool {
        self.error.is_some()
    }

    /// Whether the chunk ends the answer: a candidate's `finishReason`, or a prompt
    /// blocked before any candidate.
    pub(super) fn finished(&self) -> bool {
        self.candidates
            .iter()
            .flatten()
            .any(|c| c.finish_reason.is_some())
            || self
                .prompt_feedback
                .as_ref()
                .is_some_and(|p| p.block_reason.is_some())
    }
}

impl Meta {
    /// An empty report (`"usageMetadata": {}`): nothing to take from it.
    fn is_empty(&self) -> bool {
        self.prompt_token_count.is_none()
            && self.candidates_token_count.is_none()
            && self.total_token_count.is_none()
            && self.cached_content_token_count.is_none()
            && self.thoughts_token_count.is_none()
            && self.tool_use_prompt_token_count.is_none()
            && self.prompt_tokens_details.is_none()
            && self.cache_tokens_details.is_none()
            && self.candidates_tokens_details.is_none()
    }
}

/// The usage a chunk reports; `None` when it has none, or an empty one.
pub(super) fn chunk_usage(b: &Body) -> Result<Option<Usage>, ExtractError> {
    match &b.usage_metadata {
        Some(m) if !m.is_empty() => to_usage(m).map(Some),
        _ => Ok(None),
    }
}

fn modality(list: &Option<Vec<ModalityCount>>, name: &str) -> u64 {
    list.iter()
        .flatten()
        .filter(|m| m.modality == name)
        .map(|m| m.token_count)
        .sum()
}

pub(super) fn check_family(b: &Body) -> Result<(), ExtractError> {
    super::check_family(
        API,
        super::Markers {
            object: b.object.as_deref(),
            kind: b.kind.as_deref(),
            gemini: false,
        },
    )
}

pub(super) fn generate(body: &[u8]) -> Result<Usage, ExtractError> {
    // streamGenerateContent without SSE returns a JSON array of chunks with running totals.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        let chunks: Vec<Body> = parse(API, body)?;
        // The queries may arrive in another chunk than the last usage report.
        let queries = chunks.iter().map(search_queries).max().unwrap_or(0);
        // Each chunk's report is a running total: a later one may not fall below an
        // earlier one, and an empty one changes nothing.
        let mut last: Option<Usage> = None;
        let mut error = false;
        for c in &chunks {
            check_family(c)?;
            error |= c.is_error();
            if let Some(u) = chunk_usage(c)? {
                if let Some(before) = &last {
                    super::sse::cumulative(API, before, &u)?;
                }
                last = Some(u);
            }
        }
        let Some(mut u) = last else {
            return Err(ExtractError::MissingUsage {
                api: API,
                hint: if error {
                    "it is an error body".into()
                } else {
                    String::new()
                },
            });
        };
        add_grounding(&mut u, queries)?;
        return Ok(u);
    }
    let (b, queries) = {
        let b: Body = parse(API, body)?;
        let q = search_queries(&b);
        (b, q)
    };
    check_family(&b)?;
    match chunk_usage(&b)? {
        Some(mut u) => {
            add_grounding(&mut u, queries)?;
            Ok(u)
        }
        None => Err(ExtractError::MissingUsage {
            api: API,
            hint: if b.error.is_some() {
                "it is an error body".into()
            } else {
                String::new()
            },
        }),
    }
}

/// The distinct Google Search queries a body's candidates report.
pub(super) fn search_queries(b: &Body) -> u64 {
    let mut seen: Vec<&str> = Vec::new();
    for q in b
        .candidates
        .iter()
        .flatten()
        .filter_map(|c| c.grounding_metadata.as_ref())
        .filter_map(|g| g.web_search_queries.as_ref())
        .flatten()
    {
        if !seen.contains(&q.as_str()) {
            seen.push(q);
        }
    }
    seen.len() as u64
}

/// Meters grounding: one grounded prompt and its queries, when any query ran.
pub(super) fn add_grounding(u: &mut Usage, queries: u64) -> Result<(), ExtractError> {
    if queries > 0 {
        u.searches = count(API, "grounded prompt", 1)?;
        u.web_search_calls = count(API, "groundingMetadata.webSearchQueries", queries)?;
    }
    Ok(())
}

pub(super) fn to_usage(m: &Meta) -> Result<Usage, ExtractError> {
    let prompt = m.prompt_token_count.unwrap_or(0);
    let cached = m.cached_content_token_count.unwrap_or(0);
    let candidates = m.candidates_token_count.unwrap_or(0);
    let thoughts = m.thoughts_token_count.unwrap_or(0);
    let tool_prompt = m.tool_use_prompt_token_count.unwrap_or(0);
    let audio_prompt = modality(&m.prompt_tokens_details, "AUDIO");
    let audio_cached = modality(&m.cache_tokens_details, "AUDIO");
    let image_out = modality(&m.candidates_tokens_details, "IMAGE");
    let audio_out = modality(&m.candidates_tokens_details, "AUDIO");

    let uncached = minus(
        API,
        ("promptTokenCount", prompt),
        ("cachedContentTokenCount", cached),
    )?;
    let audio_uncached = minus(
        API,
        ("AUDIO promptTokensDetails", audio_prompt),
        ("AUDIO cacheTokensDetails", audio_cached),
    )?;
    let text_cached = minus(
        API,
        ("cachedContentTokenCount", cached),
        ("AUDIO cacheTokensDetails", audio_cached),
    )?;
    let text_uncached = minus(
        API,
        ("promptTokenCount minus cachedContentTokenCount", uncached),
        ("uncached AUDIO prompt tokens", audio_uncached),
    )?;
    let text_out = minus(
        API,
        ("candidatesTokenCount", candidates),
        (
            "IMAGE and AUDIO candidatesTokensDetails",
            image_out.saturating_add(audio_out),
        ),
    )?;
    if let Some(total) = m.total_token_count {
        let with_tools = [prompt, candidates, thoughts, tool_prompt]
            .map(u128::from)
            .iter()
            .sum::<u128>();
        // Some model versions leave tool-use prompt tokens out of the total.
        let total = u128::from(total);
        if total != with_tools && total != with_tools - u128::from(tool_prompt) {
            return Err(ExtractError::Inconsistent {
                api: API,
                detail: format!(
                    "totalTokenCount ({total}) is not promptTokenCount + candidatesTokenCount + thoughtsTokenCount + toolUsePromptTokenCount ({with_tools})"
                ),
            });
        }
    }
    let mut usage = Usage {
        input_tokens: tokens(
            API,
            "promptTokenCount",
            text_uncached.saturating_add(tool_prompt),
        )?,
        cache_read_tokens: tokens(API, "cachedContentTokenCount", text_cached)?,
        audio_input_tokens: tokens(API, "AUDIO prompt tokens", audio_uncached)?,
        audio_cache_read_tokens: tokens(API, "AUDIO cache tokens", audio_cached)?,
        output_tokens: tokens(API, "candidatesTokenCount", text_out)?,
        reasoning_tokens: tokens(API, "thoughtsTokenCount", thoughts)?,
        image_output_tokens: tokens(API, "IMAGE candidates tokens", image_out)?,
        audio_output_tokens: tokens(API, "AUDIO candidates tokens", audio_out)?,
        ..Usage::default()
    };
    super::mark_thinking(&mut usage);
    Ok(usage)
}

pub(crate) mod bound {
    //! The request side: a request read into an upper bound of its usage.
    //!
    //! Gemini `generateContent` / `streamGenerateContent` requests.

    use serde_json::{Map, Value};

    use crate::family::bound::{index, join, Builder};
    use crate::family::data;
    use crate::family::dims::{self as media, MediaDuration};
    use crate::family::vision::{self, PdfFamily, Resolution};
    use crate::request::Api;
    use crate::request::EstimateError;

    /// A field in either of Gemini's spellings (`inlineData` / `inline_data`).
    fn get<'a>(o: &'a Map<String, Value>, camel: &str, snake: &str) -> Option<&'a Value> {
        o.get(camel)
            .or_else(|| o.get(snake))
            .filter(|v| !v.is_null())
    }

    pub(crate) fn generate(b: &mut Builder, req: &Value) -> Result<(), EstimateError> {
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
        let contents = get(o, "contents", "contents")
            .ok_or_else(|| b.field_error("contents", "is required"))?;
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
            let m =
                vision::pdf(PdfFamily::Gemini, &model, pages).map_err(|_| no_formula(b, path))?;
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
}
