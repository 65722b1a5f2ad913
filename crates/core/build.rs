//! Embeds every `pricing/*.toml` table in the library.
//!
//! With the feature `embed-json` the tables are embedded in a JSON form instead, converted
//! here (`embed/json.rs`, shared with the other crates' build scripts), so that a build which never parses TOML
//! at run time (the WebAssembly module) links no TOML parser. The JSON holds exactly the
//! TOML's values: a date is written as the object the `toml` crate's date type reads back,
//! and a float as its literal text (a string), so that no price passes through `f64`.

use std::fmt::Write;
use std::path::Path;

/// Files in `pricing/` that are not price tables: the explanations of the tables'
/// disagreements with other sources, read by `tariff sources check`.
const NOT_TABLES: &[&str] = &["disagreements.toml"];

#[path = "embed/json.rs"]
mod json;

use json::to_json;

fn main() {
    let root = json::root();
    let out = std::env::var("OUT_DIR").unwrap();
    let as_json = std::env::var_os("CARGO_FEATURE_EMBED_JSON").is_some();
    let dir = root.join("pricing");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("pricing/ is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| NOT_TABLES.iter().any(|t| n == *t))
        })
        .collect();
    files.sort();
    let mut list = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        if as_json {
            writeln!(list, "    ({name:?}, {:?}),", to_json(f, true)).unwrap();
        } else {
            writeln!(
                list,
                "    ({name:?}, include_str!({:?})),",
                f.display().to_string()
            )
            .unwrap();
        }
    }
    list.push(']');
    std::fs::write(Path::new(&out).join("builtin_tables.rs"), list).unwrap();
}
