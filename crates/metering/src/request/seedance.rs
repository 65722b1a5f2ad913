//! The Seedance frame-size table, `estimate/seedance.toml`, embedded and parsed once: what a
//! Seedance create request's video tokens come to (width × height × fps × seconds / 1024).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use toml::{Table, Value};

use super::by_model::ByModel;

static SEEDANCE_TOML: &str = crate::data::embedded!("estimate/seedance.toml");

/// One model's defaults and frame sizes.
pub(crate) struct Model {
    pub models: Vec<String>,
    pub default_resolution: String,
    pub default_seconds: u32,
    pub max_seconds: u32,
    pub fps: u32,
    /// Resolution word (`720p`) to the 16:9 frame size (width, height).
    pub frames: BTreeMap<String, (u64, u64)>,
    pub source: String,
}

// Read as a map of `toml::Value`s (the deserializer the approximate counters' data already
// brings in) rather than through a derived `Deserialize`, which costs the WebAssembly module
// 2.3 KB gzipped more for twelve lines of data.
fn model(t: &Table) -> Result<Model, String> {
    let num = |k: &str| {
        t.get(k)
            .and_then(Value::as_integer)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("`{k}` must be a non-negative integer"))
    };
    let text = |k: &str| {
        t.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("`{k}` must be a string"))
    };
    let list = |k: &str| t.get(k).and_then(Value::as_array).map(Vec::as_slice);
    let models = list("models")
        .unwrap_or_default()
        .iter()
        .map(|m| {
            m.as_str()
                .map(str::to_string)
                .ok_or("`models` holds strings")
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut frames = BTreeMap::new();
    for (res, size) in t
        .get("frames")
        .and_then(Value::as_table)
        .into_iter()
        .flatten()
    {
        let wh: Vec<u64> = size
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_integer().and_then(|n| u64::try_from(n).ok()))
            .collect();
        match wh[..] {
            [w, h] if w > 0 && h > 0 => frames.insert(res.clone(), (w, h)),
            _ => return Err(format!("frames.{res} must be [width, height]")),
        };
    }
    for k in t.keys() {
        if !KEYS.contains(&k.as_str()) {
            return Err(format!("unknown key `{k}`"));
        }
    }
    if !t.contains_key("as_of") {
        return Err("`as_of` is missing".into());
    }
    Ok(Model {
        models,
        default_resolution: text("default_resolution")?,
        default_seconds: num("default_seconds")?,
        max_seconds: num("max_seconds")?,
        fps: num("fps")?,
        frames,
        source: text("source")?,
    })
}

const KEYS: &[&str] = &[
    "models",
    "default_resolution",
    "default_seconds",
    "max_seconds",
    "fps",
    "frames",
    "source",
    "as_of",
];

/// Parses `estimate/seedance.toml`.
pub(crate) fn parse(text: &str) -> Result<ByModel<Model>, String> {
    let t: BTreeMap<String, Value> =
        crate::data::parse(text).map_err(|e| format!("estimate/seedance.toml: {e}"))?;
    let items = t
        .get("model")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, m)| {
            m.as_table()
                .ok_or_else(|| "not a table".to_string())
                .and_then(model)
                .map_err(|e| format!("estimate/seedance.toml: model[{i}]: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    ByModel::new(items, |m| &m.models)
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
        let text = SEEDANCE_TOML;
        let t = parse(text).unwrap();
        assert_eq!(t.items.len(), 3);
        // Every second of every size is a whole number of tokens, so the hold equals what
        // Ark reports rather than a rounding of it.
        for m in &t.items {
            assert!(m.frames.contains_key(&m.default_resolution));
            for (w, h) in m.frames.values() {
                assert_eq!(w * h * u64::from(m.fps) % 1024, 0);
            }
        }
        // Edits of the TOML text, which `embed-json` builds do not embed.
        #[cfg(not(feature = "embed-json"))]
        {
            assert!(parse(&text.replace("fps = 24", "fps = \"24\"")).is_err());
            assert!(parse(&text.replace("max_seconds", "longest")).is_err());
            assert!(parse(&text.replace("\"720p\" = [1280, 720]", "\"720p\" = [1280]")).is_err());
        }
        let fast = table().get("doubao-seedance-2-0-fast-260128").unwrap();
        assert!(!fast.frames.contains_key("1080p"));
        let pro = table().get("doubao-seedance-2-0-260128").unwrap();
        assert_eq!(pro.frames["1080p"], (1920, 1080));
    }
}
