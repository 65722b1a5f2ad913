//! The Seedance frame-size table, `estimate/seedance.toml`, embedded and parsed once: what a
//! Seedance create request's video tokens come to (width × height × fps × seconds / 1024).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::data::ByModel;

static SEEDANCE_TOML: &str = include_str!("../../estimate/seedance.toml");

/// One model's defaults and frame sizes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Model {
    pub models: Vec<String>,
    pub default_resolution: String,
    pub default_seconds: u32,
    pub max_seconds: u32,
    pub fps: u32,
    /// Resolution word (`720p`) to the 16:9 frame size (width, height).
    pub frames: BTreeMap<String, (u64, u64)>,
    pub source: String,
    #[allow(dead_code)]
    pub as_of: toml::value::Datetime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    model: Vec<Model>,
}

pub(crate) fn parse(text: &str) -> Result<ByModel<Model>, String> {
    let r: Raw = toml::from_str(text).map_err(|e| format!("estimate/seedance.toml: {e}"))?;
    ByModel::new(r.model, |m| &m.models)
}

/// The table, keyed by model.
pub(crate) fn table() -> &'static ByModel<Model> {
    static T: OnceLock<ByModel<Model>> = OnceLock::new();
    // Embedded at build time and parsed by a unit test: a failure is a build defect.
    T.get_or_init(|| parse(SEEDANCE_TOML).expect("estimate/seedance.toml is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses_and_sizes_give_whole_tokens() {
        let t = parse(SEEDANCE_TOML).unwrap();
        assert_eq!(t.items.len(), 3);
        // Every second of every size is a whole number of tokens, so the hold equals what
        // Ark reports rather than a rounding of it.
        for m in &t.items {
            assert!(m.frames.contains_key(&m.default_resolution));
            for (w, h) in m.frames.values() {
                assert_eq!(w * h * u64::from(m.fps) % 1024, 0);
            }
        }
        let fast = table().get("doubao-seedance-2-0-fast-260128").unwrap();
        assert!(!fast.frames.contains_key("1080p"));
        let pro = table().get("doubao-seedance-2-0-260128").unwrap();
        assert_eq!(pro.frames["1080p"], (1920, 1080));
    }
}
