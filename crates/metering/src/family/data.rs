//! The estimate data files, `estimate/models.toml` and `estimate/vision.toml`, embedded and
//! parsed once.

use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::Deserialize;

static MODELS_TOML: &str = crate::data::embedded!("estimate/models.toml");
static VISION_TOML: &str = crate::data::embedded!("estimate/vision.toml");

pub(crate) use crate::request::by_model::{normalize, ByModel};

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModels {
    chat_format: Vec<ChatFormat>,
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
    Ok(Models {
        chat_format: ByModel::new(r.chat_format, |c| &c.models)?,
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
