//! The TOML data files the crate embeds (`data/approx.toml`, the estimator's weights;
//! `data/models.toml`, model name → encoding), and how they are read.
//!
//! With the feature `embed-json`, `build.rs` embeds their JSON form instead and they are
//! read with `serde_json`, so that a build which parses no TOML (the WebAssembly module)
//! links no TOML parser. Every path is inside the crate, so it packages on its own.

use serde::de::DeserializeOwned;

/// The text of an embedded data file, by its name in `data/`: the TOML file, or its JSON
/// form with the feature `embed-json`.
macro_rules! embedded {
    ($file:literal) => {{
        #[cfg(not(feature = "embed-json"))]
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/", $file));
        #[cfg(feature = "embed-json")]
        let text = include_str!(concat!(env!("OUT_DIR"), "/", $file, ".json"));
        text
    }};
}
pub(crate) use embedded;

/// Reads the text of an embedded data file (see [`embedded`]) into its shapes.
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    #[cfg(feature = "embed-json")]
    return serde_json::from_str(text).map_err(|e| e.to_string());
    #[cfg(not(feature = "embed-json"))]
    toml::from_str(text).map_err(|e| e.to_string())
}
