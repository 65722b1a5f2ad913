//! With the feature `embed-json`, the estimators' data files (`data/estimate/*.toml`) as
//! JSON, so that no TOML parser is linked (the WebAssembly module's configuration).

// A link to tariff-core's `embed/json.rs`: one helper for both build scripts, inside each
// crate's directory so that each packages on its own.
#[path = "embed/json.rs"]
mod json;

fn main() {
    json::data(&[
        "estimate/images.toml",
        "estimate/models.toml",
        "estimate/seedance.toml",
        "estimate/text.toml",
        "estimate/vision.toml",
    ]);
}
