//! The JSON form of the data files embedded with the feature `embed-json`, shared by the
//! build scripts of tariff-core and tariff-metering (included with `#[path]`; metering's
//! `embed/json.rs` is a link to this file, which `cargo package` archives as a copy).
//!
//! The JSON holds exactly the TOML's values: a date is written as the object the `toml`
//! crate's date type reads back, and a float as its literal text (a string) where `exact`,
//! so that no price passes through `f64`.

use std::path::Path;

/// The crate's `data/` directory, where its data files live: inside the crate, so that the
/// packaged crate builds on its own.
pub fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))
}

/// With the feature `embed-json`, writes each data file (a path from the crate's `data/`)
/// as `OUT_DIR/<path>.json`, which `data::embedded!` includes.
#[allow(dead_code)]
pub fn data(files: &[&str]) {
    if std::env::var_os("CARGO_FEATURE_EMBED_JSON").is_none() {
        return;
    }
    let out = std::env::var("OUT_DIR").unwrap();
    for path in files {
        let f = root().join(path);
        println!("cargo:rerun-if-changed={}", f.display());
        let dest = Path::new(&out).join(format!("{path}.json"));
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, to_json(&f, false)).unwrap();
    }
}

/// The file's values as JSON; a file that is not valid TOML fails the build, naming it.
/// With `exact`, floats are written as their literal text (price tables, whose numbers the
/// loader reads exactly from strings); otherwise as JSON numbers, which the data files'
/// own types read.
pub fn to_json(file: &Path, exact: bool) -> String {
    let text = std::fs::read_to_string(file).expect("data file is readable");
    let doc: toml_edit::DocumentMut = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::to_string(&table(doc.as_table(), exact)).unwrap()
}

fn table(t: &dyn toml_edit::TableLike, exact: bool) -> serde_json::Value {
    serde_json::Value::Object(
        t.iter()
            .map(|(k, v)| (k.to_string(), item(v, exact)))
            .collect(),
    )
}

fn item(i: &toml_edit::Item, exact: bool) -> serde_json::Value {
    use toml_edit::Item;
    match i {
        Item::None => serde_json::Value::Null,
        Item::Value(v) => value(v, exact),
        Item::Table(t) => table(t, exact),
        Item::ArrayOfTables(a) => a.iter().map(|t| table(t, exact)).collect(),
    }
}

fn value(v: &toml_edit::Value, exact: bool) -> serde_json::Value {
    use serde_json::Value as J;
    use toml_edit::Value;
    match v {
        Value::String(s) => J::String(s.value().clone()),
        Value::Integer(n) => J::from(*n.value()),
        // A float is written as its literal text, which the loader reads exactly: through
        // a JSON number it would be an f64 (1e-30 would become 0).
        Value::Float(f) if !exact => serde_json::json!(*f.value()),
        Value::Float(f) => {
            let literal = f
                .as_repr()
                .and_then(|r| r.as_raw().as_str())
                .map(str::to_string)
                .unwrap_or_else(|| f.value().to_string());
            J::String(literal.trim().replace('_', ""))
        }
        Value::Boolean(b) => J::Bool(*b.value()),
        // The object the `toml` crate's date type reads back.
        Value::Datetime(d) => {
            serde_json::json!({ "$__toml_private_datetime": d.value().to_string() })
        }
        Value::Array(a) => a.iter().map(|v| value(v, exact)).collect(),
        Value::InlineTable(t) => table(t, exact),
    }
}
