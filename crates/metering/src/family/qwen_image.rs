//! DashScope image synthesis: Z-Image (`multimodal-generation`, answered at once) and Wanx /
//! Wan text-to-image (asynchronous: the task result from `/api/v1/tasks/{task_id}`).
//!
//! Both bill each image generated, which `usage.image_count` reports. Z-Image also bills a
//! dearer "thinking" image when the request sets `parameters.prompt_extend`; so a response
//! answered at once (`output.choices`) is read with its request, and the option
//! `prompt_extend` (`true` or `false`, the API's default) says which price applies. It must agree with
//! what the body shows: the images among `output.results` (entries with a `code` failed
//! and are not billed), `output.task_metrics.SUCCEEDED`, and the images in
//! `output.choices`. A task that `FAILED` or was `CANCELED` is not charged and meters as
//! an empty record; one still `PENDING` or `RUNNING` (or `UNKNOWN`: expired or never
//! created) has no usage yet and is an error saying so.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::bound::Subject;
use super::data::Formula;
use super::{images, parse, Api, ExtractError};
use crate::usage::Usage;

const API: Api = Api::QwenImage;

#[derive(Deserialize, Default)]
struct ResultItem {
    #[serde(default)]
    url: Option<IgnoredAny>,
    #[serde(default)]
    code: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
struct Metrics {
    #[serde(rename = "SUCCEEDED", default)]
    succeeded: Option<u64>,
}

#[derive(Deserialize, Default)]
struct ContentItem {
    #[serde(default)]
    image: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
struct Message {
    #[serde(default)]
    content: Option<Vec<ContentItem>>,
}

#[derive(Deserialize, Default)]
struct Choice {
    #[serde(default)]
    message: Option<Message>,
}

#[derive(Deserialize, Default)]
struct Output {
    #[serde(default)]
    task_status: Option<String>,
    #[serde(default)]
    results: Option<Vec<ResultItem>>,
    #[serde(default)]
    task_metrics: Option<Metrics>,
    #[serde(default)]
    choices: Option<Vec<Choice>>,
}

#[derive(Deserialize, Default)]
struct QUsage {
    #[serde(default)]
    image_count: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Body {
    #[serde(default)]
    output: Option<Output>,
    #[serde(default)]
    usage: Option<QUsage>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize, Default)]
struct Parameters {
    #[serde(default)]
    prompt_extend: Option<bool>,
    #[serde(default)]
    n: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Input {
    #[serde(default)]
    messages: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
struct Request {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    input: Option<Input>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

/// The images per request when `parameters.n` is left out, and the most it may be: Wan
/// text-to-image 4 of 1 to 4
/// (https://help.aliyun.com/zh/model-studio/developer-reference/text-to-image-v2-api-reference;
/// platform.qianwenai.com/docs/api-reference/image-generation/wan-text-to-image-v2: "生成图像的
/// 数量，取值范围 1 至 4，默认值 4"); Z-Image always 1
/// (https://www.alibabacloud.com/help/zh/model-studio/z-image-api-reference: "图像张数：固定1张").
/// As of 2026-11-27.
/// The model's family is its formula (`Model::formula`: `wan`, `z-image`), from
/// `estimate/models.toml` by id or from a relay's own `[[model]]`.
fn n_rule(formula: Option<Formula>) -> Option<(u64, u64, &'static str)> {
    match formula {
        Some(Formula::Wan) => Some((4, 4, "Wan text-to-image, help.aliyun.com/zh/model-studio/developer-reference/text-to-image-v2-api-reference")),
        Some(Formula::ZImage) => Some((
            1,
            1,
            "Z-Image makes one image, alibabacloud.com/help/zh/model-studio/z-image-api-reference",
        )),
        _ => None,
    }
}

/// What a DashScope image request asks for: `parameters.n` images (the model's documented
/// default when it is left out; a model without one must be given it), and for a request
/// answered at once (`input.messages`, as Z-Image's) the `prompt_extend` option its answer
/// is priced under. `model` names the model when the request does not.
pub(crate) fn request_images(
    request: &[u8],
    subject: &Subject,
) -> Result<(images::Asked, Option<bool>), (String, String)> {
    let r: Request = parse(API, request).map_err(|e| ("request".to_string(), e.to_string()))?;
    let formula = subject.formula_of(r.model.as_deref());
    let model = r.model.as_deref().unwrap_or(subject.id);
    let p = r.parameters.unwrap_or_default();
    let path = "parameters.n";
    let asked = match (n_rule(formula), p.n) {
        (Some((_, max, _)), Some(n)) if n > max => {
            return Err((
                path.into(),
                format!("must be 1 to {max} for `{model}`, not {n}"),
            ))
        }
        (Some((default, _, source)), n) => images::Asked::read(path, n, default, source),
        (None, Some(n)) => images::Asked::read(path, Some(n), 1, ""),
        (None, None) => Err(format!(
            "is left out and DashScope documents no default for `{model}`; set it"
        )),
    }
    .map_err(|e| (path.to_string(), e))?;
    let at_once = r.input.is_some_and(|i| i.messages.is_some());
    Ok((asked, at_once.then(|| p.prompt_extend.unwrap_or(false))))
}

/// Meters a Z-Image response (with its request) or a Wanx task result.
pub(super) fn result(body: &[u8], request: Option<&[u8]>) -> Result<Usage, ExtractError> {
    let b: Body = parse(API, body)?;
    let Some(out) = &b.output else {
        if let Some(code) = b.code.as_deref().filter(|c| !c.is_empty()) {
            return Err(ExtractError::MissingUsage {
                api: API,
                hint: format!(
                    "it is an error body ({code}{})",
                    b.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
            });
        }
        return Err(images::refuse(API, body, "no `output`"));
    };
    if let Some(status) = out.task_status.as_deref() {
        match status {
            "SUCCEEDED" => {}
            "FAILED" | "CANCELED" => return Ok(Usage::default()),
            other => {
                return Err(ExtractError::MissingUsage {
                    api: API,
                    hint: format!(
                        "the task is {other}; meter the task result once it has SUCCEEDED"
                    ),
                })
            }
        }
    }
    let Some(n) = b.usage.as_ref().and_then(|u| u.image_count) else {
        return Err(ExtractError::MissingUsage {
            api: API,
            hint: "no usage.image_count".into(),
        });
    };
    let mut shown = Vec::new();
    if let Some(r) = &out.results {
        let ok = r.iter().filter(|i| i.url.is_some() && i.code.is_none());
        shown.push(("output.results with a url", ok.count() as u64));
    }
    if let Some(s) = out.task_metrics.as_ref().and_then(|m| m.succeeded) {
        shown.push(("output.task_metrics.SUCCEEDED", s));
    }
    if let Some(c) = &out.choices {
        let images = c
            .iter()
            .filter_map(|c| c.message.as_ref()?.content.as_ref())
            .flatten()
            .filter(|i| i.image.is_some())
            .count();
        shown.push(("images in output.choices", images as u64));
    }
    if let Some((what, m)) = shown.into_iter().find(|(_, m)| *m != n) {
        return Err(ExtractError::Inconsistent {
            api: API,
            detail: format!("usage.image_count is {n} but {what} is {m}"),
        });
    }
    let mut usage = images::per_image(API, "usage.image_count", n)?;
    if out.choices.is_some() {
        let request = request.ok_or(ExtractError::MissingRequest { api: API })?;
        let r: Request = parse(API, request).map_err(images::in_request)?;
        let extend = r.parameters.and_then(|p| p.prompt_extend).unwrap_or(false);
        usage
            .options
            .insert("prompt_extend".to_string(), extend.to_string());
    }
    Ok(usage)
}
