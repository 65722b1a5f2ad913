//! With the feature `embed-json`, the estimators' data files as JSON, so that no TOML
//! parser is linked (the WebAssembly module's configuration).

#[path = "../core/embed/json.rs"]
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
