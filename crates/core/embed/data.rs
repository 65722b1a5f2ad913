//! The data files the library embeds besides the price tables (estimate constants,
//! estimator weights, the model → encoding map), and how they are read.
//!
//! They are TOML. With the feature `embed-json`, `build.rs` embeds their JSON form instead
//! and they are read with `serde_json`, so that a build which parses no TOML of its own
//! (the WebAssembly module) links no TOML parser.
//!
//! Shared by tariff-core, tariff-metering and tariff-tokenizer (metering's `embed/data.rs`
//! and the tokenizer's `src/data.rs` are links to this file; `cargo package` archives a link
//! as the file). Every path is under the crate's `data/`, so each crate packages on its own.

use serde::de::DeserializeOwned;

/// The text of an embedded data file, by path from the crate's `data/`: the TOML file, or its
/// JSON form with the feature `embed-json`.
macro_rules! embedded {
    ($path:literal) => {{
        #[cfg(not(feature = "embed-json"))]
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/", $path));
        #[cfg(feature = "embed-json")]
        let text = include_str!(concat!(env!("OUT_DIR"), "/", $path, ".json"));
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
