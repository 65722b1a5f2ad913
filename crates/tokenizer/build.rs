//! With the feature `embed-json`, the tokenizer's data files as JSON, so that no TOML
//! parser is linked (the WebAssembly module's configuration).

#[path = "../core/embed/json.rs"]
mod json;

fn main() {
    json::data(&["tokens/approx.toml", "tokens/models.toml"]);
}
