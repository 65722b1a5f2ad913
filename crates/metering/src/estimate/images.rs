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

use super::data::ByModel;
use super::{Basis, Estimate, EstimateError, Part};
use crate::family::{self as extract, Api, ImageRequest};
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImages {
    gpt_image_output: Vec<GptImageOutput>,
}

pub(crate) fn parse_images(text: &str) -> Result<ByModel<GptImageOutput>, String> {
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
    ByModel::new(r.gpt_image_output, |t| &t.models)
}

fn table() -> &'static ByModel<GptImageOutput> {
    static T: OnceLock<ByModel<GptImageOutput>> = OnceLock::new();
    // Embedded at build time and parsed by a unit test: a failure is a build defect.
    T.get_or_init(|| parse_images(IMAGES_TOML).expect("estimate/images.toml is valid"))
}

/// The estimate of an image request, or `None` for the families (and DALL·E) priced
/// elsewhere.
pub(super) fn estimate(
    api: Api,
    model: &str,
    request: &[u8],
) -> Option<Result<Estimate, EstimateError>> {
    let asked = match api {
        Api::OpenAiImages => return gpt_image(model, request),
        Api::Seedream => extract::seedream_request(request).map(|a| (a, None)),
        Api::Imagen => extract::imagen_request(request).map(|a| (a, None)),
        Api::QwenImage => extract::qwen_image_request(request, model),
        Api::Midjourney => return Some(midjourney(model, request)),
        _ => return None,
    };
    Some(per_image(api, model, asked))
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
fn midjourney(model: &str, request: &[u8]) -> Result<Estimate, EstimateError> {
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

fn gpt_image(model: &str, request: &[u8]) -> Option<Result<Estimate, EstimateError>> {
    const API: Api = Api::OpenAiImages;
    let req = match ImageRequest::read(API, request) {
        Ok(r) => r,
        Err(e) => return Some(Err(e.into())),
    };
    let model = req.model.clone().unwrap_or_else(|| model.to_string());
    if super::data::normalize(&model).starts_with("dall-e") {
        return None;
    }
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
    let text = super::count64(Encoding::O200kBase.count(&prompt));
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
    if super::data::normalize(model).starts_with("gpt-image-1.5") {
        parts.push(Part {
            what: "text output".to_string(),
            tokens: 0,
            basis: Basis::Estimated,
            note: "GPT Image 1.5 may bill text output tokens; OpenAI documents no bound, so none is held".to_string(),
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
        let t = parse_images(IMAGES_TOML).unwrap();
        assert_eq!(t.get("gpt-image-1").unwrap().high[0], 4160);
        assert!(t.get("gpt-image-1.5-2025-12-16").is_some());
        assert!(t.get("gpt-image-1-mini").is_none());
        assert!(t.get("gpt-image-2").is_none());
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
