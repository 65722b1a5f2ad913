//! The estimate data files, `estimate/models.toml` and `estimate/vision.toml`, embedded and
//! parsed once.

use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::Deserialize;

static MODELS_TOML: &str = crate::data::embedded!("estimate/models.toml");
static VISION_TOML: &str = crate::data::embedded!("estimate/vision.toml");

pub(crate) use crate::request::by_model::ByModel;

/// An `[[output]]` entry: the output limits are joined onto the catalog's models by the
/// core crate (`Model::max_output_tokens`); they are parsed here too so that every entry is
/// checked for its `source` and `as_of`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct Output {
    pub models: Vec<String>,
    pub max_output_tokens: u64,
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenAiChat {
    pub tokens_per_message: u64,
    pub tokens_per_name: u64,
    pub reply_priming: u64,
    pub source: String,
}

/// OpenAI's counting of function definitions for a family of models (the cookbook's
/// `num_tokens_for_tools` constants); `enum_init` is negative.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenAiTools {
    pub models: Vec<String>,
    pub func_init: i64,
    pub prop_init: i64,
    pub prop_key: i64,
    pub enum_init: i64,
    pub enum_item: i64,
    pub func_end: i64,
    /// The row a model without its own counts with when its text is counted in this
    /// encoding.
    #[serde(default)]
    pub encoding: Option<String>,
    /// The row for a model with neither its own row nor one for its encoding.
    #[serde(default)]
    pub default: bool,
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Overhead {
    #[serde(alias = "tokens_per_content")]
    pub tokens_per_message: u64,
    #[allow(dead_code)]
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnthropicTools {
    pub models: Vec<String>,
    pub auto: u64,
    pub any: u64,
    #[allow(dead_code)]
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

/// A family answering in the chat-completion format under models of its own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatFormat {
    /// The family's format name (`udio`, `sora-chat`).
    pub api: String,
    pub models: Vec<String>,
    #[allow(dead_code)]
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

/// A `[[formula]]` entry: the models metered under a formula family's defaults and rules
/// (joined onto the catalog's models as `Model::formula` by the core crate).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FormulaEntry {
    pub name: String,
    pub models: Vec<String>,
    #[allow(dead_code)]
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

/// The formula families (`tariff_core::catalog::FORMULAS`): the vendor defaults and
/// per-request rules a model's requests and answers are metered under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Formula {
    /// OpenAI video: priced by pixel size; 4 s at 720x1280 by default.
    Sora,
    /// Veo: 8 s at 720p by default.
    Veo,
    /// Kling video: 5 s by default.
    Kling,
    /// Alibaba Wan: video 5 s; text-to-image 4 images by default, at most 4.
    Wan,
    /// Jimeng video: 5 s by default.
    Jimeng,
    /// Luma (Ray): 5 s by default.
    Luma,
    /// Runway (Gen-3, Gen-4): 10 s by default.
    Runway,
    /// DALL·E 2: 1024x1024 by default, one quality.
    DallE2,
    /// DALL·E 3: 1024x1024 and `standard` by default (and for `auto`).
    DallE3,
    /// Z-Image: always one image.
    ZImage,
    /// A chat model that searches the web on every request.
    WebSearch,
}

impl Formula {
    /// Every formula with its name.
    pub const ALL: [(Formula, &'static str); 11] = [
        (Formula::Sora, "sora"),
        (Formula::Veo, "veo"),
        (Formula::Kling, "kling"),
        (Formula::Wan, "wan"),
        (Formula::Jimeng, "jimeng"),
        (Formula::Luma, "luma"),
        (Formula::Runway, "runway"),
        (Formula::DallE2, "dall-e-2"),
        (Formula::DallE3, "dall-e-3"),
        (Formula::ZImage, "z-image"),
        (Formula::WebSearch, "web-search"),
    ];

    /// The formula of this name.
    pub fn parse(name: &str) -> Option<Formula> {
        Formula::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }
}

/// Where the per-model facts of a name an answer or a request carries come from: the
/// catalog's model it resolves to (a relay's own `[[model]]` with its `formula`, or a
/// built-in one with the data files' join), else, for a name no catalog resolves (or
/// without a catalog), the `[[formula]]` entries of `estimate/models.toml` by the name
/// itself. A resolved model without the fact has none: it is not read off its name.
#[derive(Clone, Copy, Default)]
pub(crate) struct Facts<'a> {
    catalog: Option<&'a crate::Catalog>,
}

impl<'a> Facts<'a> {
    /// Facts from the data files alone, by name.
    pub const DATA: Facts<'static> = Facts { catalog: None };

    /// Facts of the models `catalog` resolves, the data files' for other names.
    pub fn of(catalog: &'a crate::Catalog) -> Facts<'a> {
        Facts {
            catalog: Some(catalog),
        }
    }

    /// The formula family of the model named `name`.
    pub fn formula(&self, name: &str) -> Option<Formula> {
        match self.catalog.and_then(|c| c.resolve(name)) {
            Some(m) => m.formula().and_then(Formula::parse),
            None => models()
                .formula
                .get(name)
                .and_then(|f| Formula::parse(&f.name)),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModels {
    chat_format: Vec<ChatFormat>,
    formula: Vec<FormulaEntry>,
    #[allow(dead_code)]
    output: Vec<Output>,
    openai_chat: OpenAiChat,
    openai_tools: Vec<OpenAiTools>,
    anthropic: Overhead,
    anthropic_tools: Vec<AnthropicTools>,
    gemini: Overhead,
}

pub(crate) struct Models {
    /// Which family a chat completion naming the model belongs to (by its format name).
    pub chat_format: ByModel<ChatFormat>,
    /// The formula family of a model named in an answer or a request.
    pub formula: ByModel<FormulaEntry>,
    pub openai_chat: OpenAiChat,
    pub openai_tools: ByModel<OpenAiTools>,
    pub anthropic: Overhead,
    pub anthropic_tools: ByModel<AnthropicTools>,
    pub gemini: Overhead,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tiles {
    pub models: Vec<String>,
    pub base: u64,
    pub tile: u64,
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Patches {
    pub models: Vec<String>,
    /// A decimal string, read exactly (a float rounds `1.62 × 150` up past 243).
    #[serde(with = "rust_decimal::serde::str")]
    pub multiplier: rust_decimal::Decimal,
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchRules {
    pub patch: u64,
    pub max_patches: u64,
    #[allow(dead_code)]
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TileRules {
    pub fit: u64,
    pub short_side: u64,
    pub tile: u64,
    #[allow(dead_code)]
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PerPage {
    pub tokens_per_page: u64,
    pub source: String,
    #[serde(default)]
    #[allow(dead_code)]
    pub as_of: Option<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnthropicImage {
    pub pixels_per_token: u64,
    pub max_long_edge: u64,
    pub max_tokens: u64,
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Gemini2 {
    pub models: Vec<String>,
    pub small_image_max: u64,
    pub tile_size: u64,
    pub tokens_per_tile: u64,
    pub video_tokens_per_second: u64,
    pub audio_tokens_per_second: u64,
    pub tokens_per_pdf_page: u64,
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Gemini3 {
    pub models: Vec<String>,
    pub image_low: u64,
    pub image_medium: u64,
    pub image_high: u64,
    pub video_frame_low: u64,
    pub video_frame_medium: u64,
    pub video_frame_high: u64,
    pub audio_tokens_per_second: u64,
    pub tokens_per_pdf_page: u64,
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVision {
    openai_tiles: Vec<Tiles>,
    openai_patches: Vec<Patches>,
    openai_patch_rules: PatchRules,
    openai_tile_rules: TileRules,
    openai_pdf: PerPage,
    anthropic_image: AnthropicImage,
    anthropic_pdf: PerPage,
    gemini: Vec<Gemini2>,
    gemini3: Vec<Gemini3>,
    gemini_unknown_image: UnknownTiles,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnknownTiles {
    pub tiles: u64,
    #[allow(dead_code)]
    pub source: String,
}

pub(crate) struct Vision {
    pub openai_tiles: ByModel<Tiles>,
    pub openai_patches: ByModel<Patches>,
    pub openai_patch_rules: PatchRules,
    pub openai_tile_rules: TileRules,
    pub openai_pdf: PerPage,
    pub anthropic_image: AnthropicImage,
    pub anthropic_pdf: PerPage,
    pub gemini: ByModel<Gemini2>,
    pub gemini3: ByModel<Gemini3>,
    pub gemini_unknown_image: UnknownTiles,
}

fn parse<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, String> {
    crate::data::parse(text).map_err(|e| format!("{name}: {e}"))
}

pub(crate) fn parse_models(text: &str) -> Result<Models, String> {
    let r: RawModels = parse("estimate/models.toml", text)?;
    // Checked here as well as where they are joined, so a bad pattern fails this file's test.
    ByModel::new(r.output, |o| &o.models)?;
    for c in &r.chat_format {
        if crate::request::Api::parse(&c.api).is_none() {
            return Err(format!(
                "estimate/models.toml: chat_format: unknown api `{}`",
                c.api
            ));
        }
    }
    if r.openai_tools.iter().filter(|t| t.default).count() != 1 {
        return Err(
            "estimate/models.toml: openai_tools: exactly one row has `default = true`".into(),
        );
    }
    let mut seen = Vec::new();
    for e in r.openai_tools.iter().filter_map(|t| t.encoding.as_deref()) {
        if !tariff_core::catalog::ENCODINGS.contains(&e) || seen.contains(&e) {
            return Err(format!(
                "estimate/models.toml: openai_tools: encoding `{e}` is unknown or given twice"
            ));
        }
        seen.push(e);
    }
    for f in &r.formula {
        if Formula::parse(&f.name).is_none() {
            return Err(format!(
                "estimate/models.toml: formula: unknown name `{}`",
                f.name
            ));
        }
    }
    Ok(Models {
        chat_format: ByModel::new(r.chat_format, |c| &c.models)?,
        formula: ByModel::new(r.formula, |f| &f.models)?,
        openai_chat: r.openai_chat,
        openai_tools: ByModel::new(r.openai_tools, |o| &o.models)?,
        anthropic: r.anthropic,
        anthropic_tools: ByModel::new(r.anthropic_tools, |o| &o.models)?,
        gemini: r.gemini,
    })
}

pub(crate) fn parse_vision(text: &str) -> Result<Vision, String> {
    let r: RawVision = parse("estimate/vision.toml", text)?;
    Ok(Vision {
        openai_tiles: ByModel::new(r.openai_tiles, |o| &o.models)?,
        openai_patches: ByModel::new(r.openai_patches, |o| &o.models)?,
        openai_patch_rules: r.openai_patch_rules,
        openai_tile_rules: r.openai_tile_rules,
        openai_pdf: r.openai_pdf,
        anthropic_image: r.anthropic_image,
        anthropic_pdf: r.anthropic_pdf,
        gemini: ByModel::new(r.gemini, |o| &o.models)?,
        gemini3: ByModel::new(r.gemini3, |o| &o.models)?,
        gemini_unknown_image: r.gemini_unknown_image,
    })
}

pub(crate) fn models() -> &'static Models {
    static M: OnceLock<Models> = OnceLock::new();
    // Embedded at build time and parsed by a unit test: a failure is a build defect.
    M.get_or_init(|| parse_models(MODELS_TOML).expect("estimate/models.toml is valid"))
}

pub(crate) fn vision() -> &'static Vision {
    static V: OnceLock<Vision> = OnceLock::new();
    V.get_or_init(|| parse_vision(VISION_TOML).expect("estimate/vision.toml is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_parse() {
        let m = parse_models(MODELS_TOML).unwrap();
        assert!(m.openai_tools.items.len() >= 2);
        let v = parse_vision(VISION_TOML).unwrap();
        assert!(v.openai_tiles.items.len() >= 4);
    }

    #[test]
    fn longest_pattern_wins() {
        let v = vision();
        assert_eq!(
            v.openai_tiles.get("gpt-4o-mini-2024-07-18").unwrap().base,
            2833
        );
        assert_eq!(v.openai_tiles.get("gpt-4o-2024-08-06").unwrap().base, 85);
        assert_eq!(v.openai_tiles.get("openai/GPT-4o").unwrap().base, 85);
        assert!(v.openai_tiles.get("gpt-4.1-mini").is_none());
        assert!(v.openai_patches.get("gpt-4.1-mini").is_some());
    }

    #[test]
    fn chat_format_models_name_their_family() {
        let m = models();
        let api = |id: &str| m.chat_format.get(id).map(|c| c.api.as_str());
        assert_eq!(api("udio-130"), Some("udio"));
        assert_eq!(api("suno/UDIO-32"), Some("udio"));
        assert_eq!(api("sora-2-pro"), Some("sora-chat"));
        assert_eq!(api("gpt-4o"), None);
    }

    #[test]
    fn formulas_are_the_cores() {
        let ours: Vec<&str> = Formula::ALL.iter().map(|(_, n)| *n).collect();
        assert_eq!(ours, tariff_core::catalog::FORMULAS);
        for (f, n) in Formula::ALL {
            assert_eq!(Formula::parse(n), Some(f));
        }
        assert_eq!(Formula::parse("Sora"), None);
    }

    #[test]
    fn formula_by_name_and_by_catalog() {
        let data = Facts::DATA;
        assert_eq!(data.formula("sora-2-pro"), Some(Formula::Sora));
        assert_eq!(data.formula("openai/DALL-E-3"), Some(Formula::DallE3));
        assert_eq!(data.formula("wanx2.1-t2i-turbo"), Some(Formula::Wan));
        assert_eq!(data.formula("gpt-4o"), None);
        // The built-in catalog's models carry the same join.
        let builtin = Facts::of(crate::Catalog::builtin());
        for name in [
            "sora-2",
            "veo-3.0-generate-001",
            "dall-e-2",
            "z-image-turbo",
            "gpt-4o",
        ] {
            assert_eq!(builtin.formula(name), data.formula(name), "{name}");
        }
    }

    #[test]
    fn tool_rows_for_models_without_their_own() {
        let m = models();
        let by = |e: &str| {
            m.openai_tools
                .items
                .iter()
                .find(|r| r.encoding.as_deref() == Some(e))
                .map(|r| r.func_init)
        };
        // The cookbook: gpt-4o's counts (func_init 7) for o200k_base, gpt-4's (10) for
        // cl100k_base; gpt-4o's for any other model.
        assert_eq!(by("o200k_base"), Some(7));
        assert_eq!(by("cl100k_base"), Some(10));
        let default: Vec<i64> = m
            .openai_tools
            .items
            .iter()
            .filter(|r| r.default)
            .map(|r| r.func_init)
            .collect();
        assert_eq!(default, [7]);
    }

    // Edits the TOML text, which `embed-json` builds do not embed.
    #[cfg(not(feature = "embed-json"))]
    #[test]
    fn rejects_tool_rows_without_one_default() {
        let none = MODELS_TOML.replacen("default = true", "default = false", 1);
        assert!(parse_models(&none).is_err());
        let twice =
            MODELS_TOML.replacen("encoding = \"cl100k_base\"", "encoding = \"o200k_base\"", 1);
        assert!(parse_models(&twice).is_err());
    }

    // Edits the TOML text, which `embed-json` builds do not embed.
    #[cfg(not(feature = "embed-json"))]
    #[test]
    fn rejects_an_unknown_formula() {
        let bad = MODELS_TOML.replacen("name = \"sora\"", "name = \"sora2\"", 1);
        assert!(parse_models(&bad)
            .err()
            .is_some_and(|e| e.contains("sora2")));
    }

    // Edits the TOML text, which `embed-json` builds do not embed.
    #[cfg(not(feature = "embed-json"))]
    #[test]
    fn rejects_an_unknown_chat_format_family() {
        let bad = MODELS_TOML.replacen("api = \"udio\"", "api = \"udio2\"", 1);
        assert!(parse_models(&bad)
            .err()
            .is_some_and(|e| e.contains("udio2")));
    }

    // Edits the TOML text, which `embed-json` builds do not embed.
    #[cfg(not(feature = "embed-json"))]
    #[test]
    fn rejects_bad_patterns() {
        let bad = MODELS_TOML.replacen("models = [\"gpt-4.1*\"]", "models = [\"*\"]", 1);
        assert!(parse_models(&bad).is_err());
    }
}
