//! Image generation: OpenAI Images, Doubao Seedream, and Imagen through Gemini `predict`.
//!
//! - **OpenAI Images** (`/v1/images/generations`, `/edits`, `/variations`). GPT Image models
//!   report token usage: `input_tokens` is split by `input_tokens_details` into text and
//!   image input, and `output_tokens` is image output (or split by `output_tokens_details`
//!   into text and image output). DALL·E reports nothing: the images are counted from the
//!   response's `data` (what was delivered) and sized from the request (`size`, `quality`,
//!   and `model`, which also picks the API's defaults: `dall-e-2`, `1024x1024`, and for
//!   DALL·E 3 the `standard` quality). The request may be JSON or the `multipart/form-data`
//!   body edits and variations are sent as. Whether a model takes DALL·E's defaults is its
//!   formula family (`Model::formula`: `dall-e-2`, `dall-e-3`), from `estimate/models.toml`
//!   by id or from a relay's own `[[model]]`; another model gets no default size or quality.
//! - **Seedream** on Volcengine Ark bills each generated image; `usage.generated_images`
//!   counts the images that succeeded (in group output, failed images are reported in
//!   `data` with an `error` and not billed), and must match the images in `data`. Its
//!   `output_tokens` are a size measure, not a price basis, and are not carried over.
//! - **Imagen** (`models/imagen-…:predict`) bills each image returned; predictions removed
//!   by the safety filter (`raiFilteredReason`) carry no image and are not billed.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::bound::Subject;
use super::data::{Facts, Formula};
use super::video::{noted, Grounds, Noted};
use super::{check_total, count, form, parse, tokens, Api, ExtractError};
use crate::request::Basis;
use crate::usage::{ImageCount, Usage};

#[derive(Deserialize, Default)]
struct InDetails {
    #[serde(default)]
    text_tokens: Option<u64>,
    #[serde(default)]
    image_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct OutDetails {
    #[serde(default)]
    text_tokens: Option<u64>,
    #[serde(default)]
    image_tokens: Option<u64>,
}

/// The usage object of OpenAI Images and of Seedream (which tells them apart).
#[derive(Deserialize, Default)]
struct ImageUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default)]
    input_tokens_details: Option<InDetails>,
    #[serde(default)]
    output_tokens_details: Option<OutDetails>,
    #[serde(default)]
    generated_images: Option<u64>,
}

impl ImageUsage {
    /// GPT Image usage always reports `input_tokens`; a usage with only `output_tokens` (as
    /// some relays re-serialize Seedream's) is not a token bill.
    fn has_tokens(&self) -> bool {
        self.input_tokens.is_some()
    }
}

/// One entry of `data`: an image (`url` or `b64_json`), or a failed one (`error`).
#[derive(Deserialize, Default)]
struct Item {
    #[serde(default)]
    url: Option<IgnoredAny>,
    #[serde(default)]
    b64_json: Option<IgnoredAny>,
    #[serde(default)]
    error: Option<IgnoredAny>,
}

impl Item {
    fn delivered(&self) -> bool {
        self.error.is_none() && (self.url.is_some() || self.b64_json.is_some())
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Prediction {
    #[serde(default)]
    bytes_base64_encoded: Option<IgnoredAny>,
    #[serde(default)]
    gcs_uri: Option<IgnoredAny>,
}

/// Every field the image families (and the families they are mistaken for) may send.
#[derive(Deserialize, Default)]
struct Body {
    #[serde(default)]
    data: Option<Vec<Item>>,
    #[serde(default)]
    usage: Option<ImageUsage>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    quality: Option<String>,
    #[serde(default)]
    predictions: Option<Vec<Prediction>>,
    #[serde(default)]
    error: Option<IgnoredAny>,
    // Markers of other families.
    #[serde(default)]
    object: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(rename = "usageMetadata", default)]
    usage_metadata: Option<IgnoredAny>,
    #[serde(default)]
    candidates: Option<IgnoredAny>,
    #[serde(default)]
    output: Option<IgnoredAny>,
    #[serde(default)]
    action: Option<IgnoredAny>,
    #[serde(default)]
    status: Option<IgnoredAny>,
}

impl Body {
    /// The image family this body evidently belongs to, when it shows one.
    fn family(&self) -> Option<Api> {
        if self.predictions.is_some() {
            Some(Api::Imagen)
        } else if self.output.is_some() {
            Some(Api::QwenImage)
        } else if self.action.is_some() && self.status.is_some() {
            Some(Api::Midjourney)
        } else if self
            .usage
            .as_ref()
            .is_some_and(|u| u.generated_images.is_some())
        {
            Some(Api::Seedream)
        } else if self.usage.as_ref().is_some_and(ImageUsage::has_tokens) {
            Some(Api::OpenAiImages)
        } else {
            None
        }
    }
}

/// Refuses a body that shows another family's markers.
fn check(expected: Api, b: &Body) -> Result<(), ExtractError> {
    super::check_family(
        expected,
        super::Markers {
            object: b.object.as_deref(),
            kind: b.kind.as_deref().filter(|k| !k.starts_with("image_")),
            gemini: b.usage_metadata.is_some() || b.candidates.is_some(),
        },
    )?;
    match b.family() {
        Some(found) if found != expected => Err(wrong_family(expected, found)),
        _ => Ok(()),
    }
}

/// The error for a body of family `found` read as `expected`.
pub(super) fn wrong_family(expected: Api, found: Api) -> ExtractError {
    let what = found.description();
    ExtractError::WrongFamily {
        expected,
        found: format!("{what} (use --api {found})"),
    }
}

/// For extractors with their own body types: says which family a body that lacks their
/// fields looks like, or that it has no usage.
pub(super) fn refuse(expected: Api, body: &[u8], hint: &str) -> ExtractError {
    let b: Body = match parse(expected, body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    if let Err(e) = check(expected, &b) {
        return e;
    }
    ExtractError::MissingUsage {
        api: expected,
        hint: if b.error.is_some() {
            "it is an error body".into()
        } else {
            hint.into()
        },
    }
}

fn missing(api: Api, b: &Body, hint: &str) -> ExtractError {
    ExtractError::MissingUsage {
        api,
        hint: if b.error.is_some() {
            "it is an error body".into()
        } else {
            hint.into()
        },
    }
}

/// An OpenAI Images response, with its request when the model reports no token usage.
pub(super) fn openai(
    body: &[u8],
    request: Option<&[u8]>,
    facts: Facts,
) -> Result<Usage, ExtractError> {
    const API: Api = Api::OpenAiImages;
    let b: Body = parse(API, body)?;
    check(API, &b)?;
    if let Some(u) = b.usage.as_ref().filter(|u| u.has_tokens()) {
        return token_usage(u);
    }
    let Some(data) = &b.data else {
        return Err(missing(API, &b, "neither `usage` nor `data`"));
    };
    let delivered = data.iter().filter(|i| i.delivered()).count() as u64;
    // No image delivered, nothing to bill, whatever the request asked for.
    if delivered == 0 {
        return Ok(Usage::default());
    }
    let request = request.ok_or(ExtractError::MissingRequest { api: API })?;
    let req = ImageRequest::read(API, request)?;
    if let Some(n) = req.n {
        if delivered > n {
            return Err(ExtractError::Inconsistent {
                api: API,
                detail: format!("the response has {delivered} images but the request's n is {n}"),
            });
        }
    }
    // The API's defaults, so that a request that leaves them out is priced as it ran.
    let model = req.model.as_deref().unwrap_or(DALLE_MODEL);
    let formula = facts.formula(model);
    let (size, quality) = dalle_defaults(formula, b.size.or(req.size), b.quality.or(req.quality));
    Ok(Usage {
        images: vec![ImageCount {
            count: count(API, "data", delivered)?,
            size,
            quality,
        }],
        ..Usage::default()
    })
}

fn token_usage(u: &ImageUsage) -> Result<Usage, ExtractError> {
    const API: Api = Api::OpenAiImages;
    let input = u.input_tokens.unwrap_or(0);
    let output = u.output_tokens.unwrap_or(0);
    let (text_in, image_in) = match &u.input_tokens_details {
        Some(d) => {
            let (t, i) = (d.text_tokens.unwrap_or(0), d.image_tokens.unwrap_or(0));
            if u128::from(t) + u128::from(i) != u128::from(input) {
                return Err(ExtractError::Inconsistent {
                    api: API,
                    detail: format!(
                        "input_tokens_details text_tokens ({t}) + image_tokens ({i}) is not input_tokens ({input})"
                    ),
                });
            }
            (t, i)
        }
        None if input == 0 => (0, 0),
        // Text and image input are priced apart; guessing the split would misprice one.
        None => {
            return Err(ExtractError::Inconsistent {
                api: API,
                detail: format!(
                    "input_tokens ({input}) has no input_tokens_details to split it into text and image tokens"
                ),
            })
        }
    };
    let (text_out, image_out) = match &u.output_tokens_details {
        Some(d) => {
            let (t, i) = (d.text_tokens.unwrap_or(0), d.image_tokens.unwrap_or(0));
            if u128::from(t) + u128::from(i) != u128::from(output) {
                return Err(ExtractError::Inconsistent {
                    api: API,
                    detail: format!(
                        "output_tokens_details text_tokens ({t}) + image_tokens ({i}) is not output_tokens ({output})"
                    ),
                });
            }
            (t, i)
        }
        // Without details, every output token is an image token (GPT Image 1 and 1 mini).
        None => (0, output),
    };
    check_total(
        API,
        u.total_tokens,
        ("input_tokens", input),
        ("output_tokens", output),
    )?;
    Ok(Usage {
        input_tokens: tokens(API, "input_tokens_details.text_tokens", text_in)?,
        image_input_tokens: tokens(API, "input_tokens_details.image_tokens", image_in)?,
        output_tokens: tokens(API, "output_tokens_details.text_tokens", text_out)?,
        image_output_tokens: tokens(API, "output image tokens", image_out)?,
        ..Usage::default()
    })
}

/// A Seedream (Volcengine Ark images) response.
pub(super) fn seedream(body: &[u8]) -> Result<Usage, ExtractError> {
    const API: Api = Api::Seedream;
    let b: Body = parse(API, body)?;
    check(API, &b)?;
    seedream_usage(&b)?.ok_or_else(|| missing(API, &b, "no `usage` with generated_images"))
}

fn seedream_usage(b: &Body) -> Result<Option<Usage>, ExtractError> {
    const API: Api = Api::Seedream;
    let reported = b.usage.as_ref().and_then(|u| u.generated_images);
    let delivered = b
        .data
        .as_ref()
        .map(|d| d.iter().filter(|i| i.delivered()).count() as u64);
    let n = match (reported, delivered) {
        (Some(n), Some(d)) if n != d => {
            return Err(ExtractError::Inconsistent {
                api: API,
                detail: format!(
                    "usage.generated_images is {n} but `data` holds {d} generated images"
                ),
            })
        }
        (Some(n), _) => n,
        // Relays that re-serialize the usage drop generated_images; each image in `data` is
        // one billed image all the same.
        (None, Some(d)) if b.usage.is_some() => d,
        _ => return Ok(None),
    };
    Ok(Some(per_image(API, "usage.generated_images", n)?))
}

/// An Imagen `predict` response.
pub(super) fn imagen(body: &[u8]) -> Result<Usage, ExtractError> {
    const API: Api = Api::Imagen;
    let b: Body = parse(API, body)?;
    check(API, &b)?;
    let Some(p) = &b.predictions else {
        return Err(missing(API, &b, "no `predictions`"));
    };
    let n = p
        .iter()
        .filter(|p| p.bytes_base64_encoded.is_some() || p.gcs_uri.is_some())
        .count() as u64;
    per_image(API, "predictions", n)
}

/// Where the OpenAI Images API documents its defaults (model, `n`, `size`, `quality`).
const DALLE_DOCS: &str = "https://platform.openai.com/docs/api-reference/images/create";
const DALLE_MODEL: &str = "dall-e-2";
const DALLE_SIZE: &str = "1024x1024";

/// The size and quality a DALL·E image is priced at: what was asked or delivered, else the
/// API's defaults (`1024x1024`; for DALL·E 3 `standard`, which `auto` also picks). DALL·E 2
/// has one quality, so none is named. A model of no DALL·E formula keeps what was given.
fn dalle_defaults(
    formula: Option<Formula>,
    size: Option<String>,
    quality: Option<String>,
) -> (Option<String>, Option<String>) {
    let dalle = matches!(formula, Some(Formula::DallE2 | Formula::DallE3));
    let dalle3 = formula == Some(Formula::DallE3);
    let size = size.or_else(|| dalle.then(|| DALLE_SIZE.to_string()));
    let quality = match quality {
        _ if formula == Some(Formula::DallE2) => None,
        None if dalle3 => Some("standard".to_string()),
        Some(q) if q == "auto" && dalle3 => Some("standard".to_string()),
        q => q,
    };
    (size, quality)
}

/// What a DALL·E request asks for, before any image comes back: `n` images at the
/// request's size and quality, each default it falls back on noted with its source. (GPT
/// Image requests bill tokens and are estimated before this is reached.)
pub(super) fn openai_request(subject: &Subject, request: &[u8]) -> Noted {
    const API: Api = Api::OpenAiImages;
    let req = ImageRequest::read(API, request)?;
    let model = req.model.as_deref().unwrap_or(DALLE_MODEL);
    let formula = subject.formula_of(Some(model));
    let (size, quality) = dalle_defaults(formula, req.size.clone(), req.quality.clone());
    let mut g = Grounds::new(Basis::Exact);
    g.or_default(req.model.is_some(), "model", &DALLE_MODEL, DALLE_DOCS);
    g.or_default(req.n.is_some(), "n", &1, DALLE_DOCS);
    g.or_default(
        req.size.is_some() || size.is_none(),
        "size",
        &DALLE_SIZE,
        DALLE_DOCS,
    );
    if quality.is_some() && req.quality != quality {
        // Only `auto` is given and replaced.
        let how = if req.quality.is_some() {
            "`quality` auto"
        } else {
            "no `quality`"
        };
        g.default(format!(
            "{how}: the default standard for DALL·E 3 ({DALLE_DOCS})"
        ));
    }
    let n = req.n.unwrap_or(1);
    let read = format!(
        "`n` of the request, {model} at {} {}",
        size.as_deref().unwrap_or("an unstated size"),
        quality.as_deref().unwrap_or_default()
    );
    let u = Usage {
        images: vec![ImageCount {
            count: count(API, "n", n)?,
            size,
            quality,
        }],
        ..Usage::default()
    };
    noted(
        u,
        g.part("images asked for", n, read.trim_end().to_string()),
    )
}

/// How many images a request asks for, and how that number was arrived at.
pub(crate) struct Asked {
    /// Images.
    pub(crate) n: u64,
    /// Given by the request, the vendor's default, or the most the request allows.
    pub(crate) basis: Basis,
    /// The field read and, for a default or a bound, its source.
    pub(crate) note: String,
}

impl Asked {
    pub(super) fn read(
        field: &str,
        given: Option<u64>,
        default: u64,
        source: &str,
    ) -> Result<Asked, String> {
        match given {
            Some(0) => Err("must be at least 1".into()),
            Some(n) => Ok(Asked {
                n,
                basis: Basis::Exact,
                note: format!("`{field}` of the request"),
            }),
            None => Ok(Asked {
                n: default,
                basis: Basis::Default,
                note: format!("no `{field}`: the default, {default} ({source})"),
            }),
        }
    }
}

#[derive(Deserialize, Default)]
struct SeedreamOptions {
    #[serde(default)]
    max_images: Option<u64>,
}

#[derive(Deserialize, Default)]
struct SeedreamRequest {
    #[serde(default)]
    n: Option<u64>,
    #[serde(default)]
    image: Option<serde_json::Value>,
    #[serde(default)]
    sequential_image_generation: Option<String>,
    #[serde(default)]
    sequential_image_generation_options: Option<SeedreamOptions>,
}

/// Ark's image API: reference images plus generated images may not exceed 15, and
/// `max_images` (1–15) defaults to 15;
/// https://www.volcengine.com/docs/82379/1541523 (图片生成 API, as of 2026-11-27).
const SEEDREAM_MAX_IMAGES: u64 = 15;

/// The images a Seedream request may generate. Group output
/// (`sequential_image_generation: "auto"`) lets the model choose how many, up to
/// `max_images` less the reference images: that bound is held. Otherwise (`disabled`, the
/// default) one image, or the `n` a relay's OpenAI-style request gives.
pub(crate) fn seedream_request(request: &[u8]) -> Result<Asked, (String, String)> {
    let r: SeedreamRequest =
        parse(Api::Seedream, request).map_err(|e| ("request".to_string(), e.to_string()))?;
    let refs = match &r.image {
        None | Some(serde_json::Value::Null) => 0,
        Some(serde_json::Value::Array(a)) => a.len() as u64,
        Some(_) => 1,
    };
    let field = |f: &str, p: String| (f.to_string(), p);
    match r.sequential_image_generation.as_deref().unwrap_or("disabled") {
        "auto" => {
            let given = r.sequential_image_generation_options.and_then(|o| o.max_images);
            let max = given.unwrap_or(SEEDREAM_MAX_IMAGES);
            let path = "sequential_image_generation_options.max_images";
            if !(1..=SEEDREAM_MAX_IMAGES).contains(&max) {
                return Err(field(path, format!("must be 1 to 15, not {max}")));
            }
            let room = SEEDREAM_MAX_IMAGES.checked_sub(refs).filter(|r| *r > 0);
            let room = room.ok_or_else(|| {
                field("image", format!("{refs} reference images leave no room for output (15 at most in all)"))
            })?;
            let n = max.min(room);
            Ok(Asked {
                n,
                basis: Basis::Bound,
                note: format!(
                    "group output: the model generates up to {n} (max_images {}{max}, {refs} reference images, 15 in all; volcengine.com/docs/82379/1541523)",
                    if given.is_some() { "" } else { "by default " }
                ),
            })
        }
        // Ark itself has no `n`; a relay's OpenAI-style `n` may fan out, so it is held.
        "disabled" => Asked::read(
            "n",
            r.n,
            1,
            "one image when sequential_image_generation is disabled, its default; volcengine.com/docs/82379/1541523",
        )
        .map_err(|p| field("n", p)),
        other => Err(field(
            "sequential_image_generation",
            format!("`{other}` is neither `auto` nor `disabled`"),
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ImagenParameters {
    #[serde(default)]
    sample_count: Option<u64>,
}

#[derive(Deserialize, Default)]
struct ImagenRequest {
    #[serde(default)]
    parameters: Option<ImagenParameters>,
}

/// The images an Imagen `predict` request asks for: `parameters.sampleCount` (1–4).
pub(crate) fn imagen_request(request: &[u8]) -> Result<Asked, (String, String)> {
    let r: ImagenRequest =
        parse(Api::Imagen, request).map_err(|e| ("request".to_string(), e.to_string()))?;
    let given = r.parameters.and_then(|p| p.sample_count);
    let path = "parameters.sampleCount";
    if given.is_some_and(|n| n > 4) {
        return Err((
            path.into(),
            format!("must be 1 to 4, not {}", given.unwrap_or(0)),
        ));
    }
    Asked::read(
        path,
        given,
        4,
        "https://ai.google.dev/gemini-api/docs/imagen: numberOfImages 1 to 4, default 4",
    )
    .map_err(|p| (path.into(), p))
}

/// `n` images of no particular size or quality (zero images: an empty record).
pub(crate) fn per_image(api: Api, field: &str, n: u64) -> Result<Usage, ExtractError> {
    if n == 0 {
        return Ok(Usage::default());
    }
    Ok(Usage {
        images: vec![ImageCount {
            count: count(api, field, n)?,
            size: None,
            quality: None,
        }],
        ..Usage::default()
    })
}

/// One event of a streamed image response: the usage it completes, if any. Families that
/// do not stream are read whole, as a relay that wraps a body in one event sends them.
pub(super) fn stream_event(api: Api, data: &[u8]) -> Result<Option<Usage>, ExtractError> {
    match api {
        Api::OpenAiImages => {
            let b: Body = parse(api, data)?;
            check(api, &b)?;
            match b.usage.as_ref().filter(|u| u.has_tokens()) {
                Some(u) => token_usage(u).map(Some),
                None => Ok(None),
            }
        }
        Api::Seedream => {
            let b: Body = parse(api, data)?;
            check(api, &b)?;
            seedream_usage(&b)
        }
        _ => super::meter(api, data).map(Some),
    }
}

/// What an image request says about price: the model, how many, what size and quality,
/// and (for GPT Image token estimates) the prompt, whether input images come with it, and
/// the partial images a stream asks for.
#[derive(Default)]
pub(crate) struct ImageRequest {
    pub(crate) model: Option<String>,
    pub(crate) n: Option<u64>,
    pub(crate) size: Option<String>,
    pub(crate) quality: Option<String>,
    pub(crate) prompt: Option<String>,
    /// The request field that carries input images (`image`, `images`, `mask`), if any: a
    /// multipart body is an edit, whose images are file parts.
    pub(crate) input_images: Option<&'static str>,
    pub(crate) partial_images: Option<u64>,
}

#[derive(Deserialize)]
struct JsonRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    n: Option<u64>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    quality: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    image: Option<IgnoredAny>,
    #[serde(default)]
    images: Option<IgnoredAny>,
    #[serde(default)]
    mask: Option<IgnoredAny>,
    #[serde(default)]
    partial_images: Option<u64>,
}

impl ImageRequest {
    pub(crate) fn read(api: Api, request: &[u8]) -> Result<Self, ExtractError> {
        let first = request.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'{') {
            let r: JsonRequest = parse(api, request).map_err(in_request)?;
            let input_images = [
                ("image", r.image.is_some()),
                ("images", r.images.is_some()),
                ("mask", r.mask.is_some()),
            ]
            .into_iter()
            .find_map(|(k, present)| present.then_some(k));
            return Ok(ImageRequest {
                model: r.model,
                n: r.n,
                size: r.size,
                quality: r.quality,
                prompt: r.prompt,
                input_images,
                partial_images: r.partial_images,
            });
        }
        let Some(fields) = form::fields(request) else {
            return Err(ExtractError::Json {
                api,
                message: "the request is neither a JSON object nor multipart/form-data".into(),
                offset: 0,
                path: "request".into(),
            });
        };
        let mut r = ImageRequest {
            input_images: Some("image"),
            ..ImageRequest::default()
        };
        for (k, v) in fields {
            match k.as_str() {
                "model" => r.model = Some(v),
                "size" => r.size = Some(v),
                "quality" => r.quality = Some(v),
                "prompt" => r.prompt = Some(v),
                "n" | "partial_images" => {
                    let n = v.parse().map_err(|_| ExtractError::Json {
                        api,
                        message: format!("form field {k} `{v}` is not a whole number"),
                        offset: 0,
                        path: format!("request.{k}"),
                    })?;
                    if k == "n" {
                        r.n = Some(n);
                    } else {
                        r.partial_images = Some(n);
                    }
                }
                _ => {}
            }
        }
        Ok(r)
    }
}

/// Marks a JSON error as the request's, not the response's.
pub(super) fn in_request(e: ExtractError) -> ExtractError {
    match e {
        ExtractError::Json {
            api,
            message,
            offset,
            path,
        } => ExtractError::Json {
            api,
            message: format!("in the request: {message}"),
            offset,
            path: if path.is_empty() || path == "." {
                "request".into()
            } else {
                format!("request.{path}")
            },
        },
        other => other,
    }
}

pub(crate) mod bound {
    //! The request side: a request read into an upper bound of its usage.
    //!
    //! Estimates of image generation requests.
    //!
    //! - **GPT Image** (`openai-images` with a `gpt-image-*` model) bills tokens: the prompt,
    //!   counted with o200k_base, and per image the output tokens of OpenAI's table by size and
    //!   quality (`estimate/images.toml`), times `n`. `auto` (the default) size or quality is
    //!   held at the most the vendor may pick. Edits (input images) and partial images are
    //!   refused: OpenAI publishes no token count for them. DALL·E requests are priced per
    //!   image as the extractor reads them.
    //! - **Seedream**, **Imagen** and **DashScope** (Wan, Z-Image) bill per image: the images
    //!   asked for, the vendor's default, or, for Seedream's group output, the most the model
    //!   may generate.
    //! - **Midjourney** runs one task per request, priced by its action, read from the request
    //!   (a button's `customId`, a change) or the relay's `mj_<action>` model name.

    use std::sync::OnceLock;

    use serde::Deserialize;

    use crate::family::bound::Estimate;
    use crate::family::data::{ByModel, Formula};
    use crate::family::{self as extract, Api, ImageRequest};
    use crate::request::{Basis, EstimateError, Part};
    use crate::tokens::Encoding;
    use crate::usage::{Tokens, Usage};

    static IMAGES_TOML: &str = crate::data::embedded!("estimate/images.toml");

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct GptImageOutput {
        pub models: Vec<String>,
        pub sizes: Vec<String>,
        pub low: Vec<u64>,
        pub medium: Vec<u64>,
        pub high: Vec<u64>,
        pub source: String,
        #[allow(dead_code)]
        pub as_of: toml::value::Datetime,
    }

    impl GptImageOutput {
        fn row(&self, quality: &str) -> Option<&[u64]> {
            match quality {
                "low" => Some(&self.low),
                "medium" => Some(&self.medium),
                "high" => Some(&self.high),
                _ => None,
            }
        }
    }

    /// Models whose image answers may also bill text output tokens that no documented limit
    /// bounds: the estimate says so, with its source, and holds none.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct UnboundedText {
        pub models: Vec<String>,
        pub source: String,
        #[allow(dead_code)]
        pub as_of: toml::value::Datetime,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawImages {
        gpt_image_output: Vec<GptImageOutput>,
        unbounded_text_output: Vec<UnboundedText>,
    }

    pub(crate) struct Tables {
        pub gpt_image_output: ByModel<GptImageOutput>,
        pub unbounded_text: ByModel<UnboundedText>,
    }

    pub(crate) fn parse_images(text: &str) -> Result<Tables, String> {
        let r: RawImages =
            crate::data::parse(text).map_err(|e| format!("estimate/images.toml: {e}"))?;
        for t in &r.gpt_image_output {
            let n = t.sizes.len();
            if n == 0 || [&t.low, &t.medium, &t.high].iter().any(|r| r.len() != n) {
                return Err(format!(
                    "estimate/images.toml: {:?}: low, medium and high need one count per size",
                    t.models
                ));
            }
        }
        Ok(Tables {
            gpt_image_output: ByModel::new(r.gpt_image_output, |t| &t.models)?,
            unbounded_text: ByModel::new(r.unbounded_text_output, |t| &t.models)?,
        })
    }

    fn tables() -> &'static Tables {
        static T: OnceLock<Tables> = OnceLock::new();
        // Embedded at build time and parsed by a unit test: a failure is a build defect.
        T.get_or_init(|| parse_images(IMAGES_TOML).expect("estimate/images.toml is valid"))
    }

    fn table() -> &'static ByModel<GptImageOutput> {
        &tables().gpt_image_output
    }

    /// An OpenAI Images request: GPT Image by its tokens; DALL·E, which reports none, by the
    /// images and their size and quality, as its answer is metered.
    pub(crate) fn openai(
        model: &crate::family::bound::Subject,
        request: &[u8],
    ) -> Result<Estimate, EstimateError> {
        match gpt_image(model, request) {
            Some(est) => est,
            None => crate::family::bound::noted(
                Api::OpenAiImages,
                model.id,
                super::openai_request(model, request),
            ),
        }
    }

    /// A Seedream request, per image asked for.
    pub(crate) fn seedream(model: &str, request: &[u8]) -> Result<Estimate, EstimateError> {
        let asked = extract::seedream_request(request).map(|a| (a, None));
        per_image(Api::Seedream, model, asked)
    }

    /// An Imagen `predict` request, per image asked for.
    pub(crate) fn imagen(model: &str, request: &[u8]) -> Result<Estimate, EstimateError> {
        let asked = extract::imagen_request(request).map(|a| (a, None));
        per_image(Api::Imagen, model, asked)
    }

    /// A DashScope image request, per image asked for.
    pub(crate) fn qwen_image(
        model: &crate::family::bound::Subject,
        request: &[u8],
    ) -> Result<Estimate, EstimateError> {
        let asked = extract::qwen_image_request(request, model);
        per_image(Api::QwenImage, model.id, asked)
    }

    fn per_image(
        api: Api,
        model: &str,
        asked: Result<(extract::Asked, Option<bool>), (String, String)>,
    ) -> Result<Estimate, EstimateError> {
        let (asked, prompt_extend) =
            asked.map_err(|(path, problem)| EstimateError::Field { api, path, problem })?;
        let mut usage = extract::per_image(api, "images asked for", asked.n)?;
        usage.estimated = true;
        // Priced under the option its answer will carry (Z-Image's thinking price).
        if let Some(extend) = prompt_extend {
            usage
                .options
                .insert("prompt_extend".to_string(), extend.to_string());
        }
        Ok(Estimate {
            api,
            model: model.to_string(),
            counter: "nothing (images counted from the request)".to_string(),
            usage,
            parts: vec![Part {
                what: "images".to_string(),
                tokens: asked.n,
                basis: asked.basis,
                note: asked.note,
            }],
        })
    }

    /// One Midjourney task, priced per action.
    pub(crate) fn midjourney(model: &str, request: &[u8]) -> Result<Estimate, EstimateError> {
        const API: Api = Api::Midjourney;
        let (action, from) =
            extract::midjourney_action(request, model).map_err(|(path, problem)| {
                EstimateError::Field {
                    api: API,
                    path,
                    problem,
                }
            })?;
        let mut usage = extract::midjourney_task(action.clone());
        usage.estimated = true;
        Ok(Estimate {
            api: API,
            model: model.to_string(),
            counter: "nothing (one task per request)".to_string(),
            usage,
            parts: vec![Part {
                what: format!("one {action} task"),
                tokens: 1,
                basis: Basis::Exact,
                note: format!("action from {from}"),
            }],
        })
    }

    fn gpt_image(
        subject: &crate::family::bound::Subject,
        request: &[u8],
    ) -> Option<Result<Estimate, EstimateError>> {
        const API: Api = Api::OpenAiImages;
        let req = match ImageRequest::read(API, request) {
            Ok(r) => r,
            Err(e) => return Some(Err(e.into())),
        };
        let formula = subject.formula_of(req.model.as_deref());
        if matches!(formula, Some(Formula::DallE2 | Formula::DallE3)) {
            return None;
        }
        let model = req.model.clone().unwrap_or_else(|| subject.id.to_string());
        Some(gpt_image_tokens(&model, req))
    }

    fn gpt_image_tokens(model: &str, req: ImageRequest) -> Result<Estimate, EstimateError> {
        const API: Api = Api::OpenAiImages;
        let field = |path: &str, problem: String| EstimateError::Field {
            api: API,
            path: path.to_string(),
            problem,
        };
        let t = table().get(model).ok_or_else(|| {
        field(
            "model",
            format!("`{model}` has no output token table in estimate/images.toml (GPT Image models listed there: gpt-image-1, gpt-image-1.5)"),
        )
    })?;
        if let Some(path) = req.input_images {
            return Err(EstimateError::Media {
            api: API,
            path: path.to_string(),
            problem: "input images of a GPT Image edit bill image tokens for which OpenAI publishes no formula".into(),
        });
        }
        if let Some(p) = req.partial_images.filter(|p| *p > 0) {
            return Err(field(
            "partial_images",
            format!("{p} partial images bill output tokens that OpenAI's table does not give; ask for 0"),
        ));
        }
        let prompt = req
            .prompt
            .ok_or_else(|| field("prompt", "is missing".into()))?;
        let n = match req.n {
            Some(0) => return Err(field("n", "must be at least 1".into())),
            Some(n) => n,
            None => 1,
        };
        let (quality, q_auto) = match req.quality.as_deref().unwrap_or("auto") {
            "auto" => ("high", true),
            q if t.row(q).is_some() => (q, false),
            q => {
                return Err(field(
                    "quality",
                    format!("`{q}` is not low, medium, high or auto"),
                ))
            }
        };
        let row = t.row(quality).expect("quality checked");
        let (size, per_image) = match req.size.as_deref().unwrap_or("auto") {
            "auto" => {
                let i = (0..row.len()).max_by_key(|&i| row[i]).expect("sizes");
                (format!("auto, held at {}", t.sizes[i]), row[i])
            }
            s => {
                let i = t.sizes.iter().position(|x| x == s).ok_or_else(|| {
                    field(
                        "size",
                        format!("`{s}` is not one of {} or auto", t.sizes.join(", ")),
                    )
                })?;
                (s.to_string(), row[i])
            }
        };
        let bound = q_auto || size.starts_with("auto");
        let too_large = |path: &str, quantity: String| EstimateError::TooLarge {
            api: API,
            path: path.to_string(),
            quantity,
        };
        let output = per_image
            .checked_mul(n)
            .and_then(Tokens::new)
            .ok_or_else(|| too_large("n", format!("{n} images × {per_image} output tokens")))?;
        let text = crate::family::bound::count64(Encoding::O200kBase.count(&prompt));
        let usage = Usage {
            input_tokens: Tokens::new(text)
                .ok_or_else(|| too_large("prompt", format!("a prompt of {text} tokens")))?,
            image_output_tokens: output,
            estimated: true,
            ..Usage::default()
        };
        let mut parts = vec![
            Part {
                what: "prompt".to_string(),
                tokens: text,
                basis: Basis::Exact,
                note: "o200k_base".to_string(),
            },
            Part {
                what: "output image tokens".to_string(),
                tokens: output.get(),
                basis: match (bound, req.n) {
                    (true, _) => Basis::Bound,
                    (false, None) => Basis::Default,
                    (false, Some(_)) => Basis::Formula,
                },
                note: format!(
                    "{per_image} per image at {size}, quality {quality}{} × n = {n}{} ({})",
                    if q_auto { " (auto: the most)" } else { "" },
                    if req.n.is_none() {
                        " (no `n`: the default, platform.openai.com/docs/api-reference/images/create)"
                    } else {
                        ""
                    },
                    t.source
                ),
            },
        ];
        if let Some(u) = tables().unbounded_text.get(model) {
            parts.push(Part {
                what: "text output".to_string(),
                tokens: 0,
                basis: Basis::Estimated,
                note: format!(
                    "{model} may bill text output tokens and no bound is documented, so none is held ({})",
                    u.source
                ),
            });
        }
        Ok(Estimate {
            api: API,
            model: model.to_string(),
            counter: Encoding::O200kBase.name().to_string(),
            usage,
            parts,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn embedded_table_parses_and_matches_models() {
            let all = parse_images(IMAGES_TOML).unwrap();
            let t = &all.gpt_image_output;
            assert_eq!(t.get("gpt-image-1").unwrap().high[0], 4160);
            assert!(t.get("gpt-image-1.5-2025-12-16").is_some());
            assert!(t.get("gpt-image-1-mini").is_none());
            assert!(t.get("gpt-image-2").is_none());
            let u = &all.unbounded_text;
            assert!(u.get("gpt-image-1.5-2025-12-16").is_some());
            assert!(u.get("gpt-image-1").is_none());
        }

        // Edits the TOML text, which `embed-json` builds do not embed.
        #[cfg(not(feature = "embed-json"))]
        #[test]
        fn rejects_ragged_rows() {
            let bad = IMAGES_TOML.replacen("low = [272, 408, 400]", "low = [272, 408]", 1);
            let err = parse_images(&bad).err().expect("ragged rows are refused");
            assert!(err.contains("one count per size"));
        }
    }
}
