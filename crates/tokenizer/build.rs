//! With the feature `embed-json`, the tokenizer's data files (`data/approx.toml`,
//! `data/models.toml`) as JSON in `OUT_DIR`, so that no TOML parser is linked (the
//! WebAssembly module's configuration). Their numbers are weights and counts, not prices:
//! a float may pass through `f64` here, as it does when the TOML is read at run time.

use std::path::Path;

fn main() {
    let Some(out) = std::env::var_os("OUT_DIR") else {
        return;
    };
    for file in ["approx.toml", "models.toml"] {
        let path = Path::new("data").join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        if std::env::var_os("CARGO_FEATURE_EMBED_JSON").is_none() {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let value: serde_json::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json = serde_json::to_string(&value).expect("a JSON value serializes");
        std::fs::write(Path::new(&out).join(format!("{file}.json")), json)
            .unwrap_or_else(|e| panic!("writing {file}.json: {e}"));
    }
}
