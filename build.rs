//! Embeds every `pricing/*.toml` table in the library.
//!
//! With the feature `embed-json` the tables and the other embedded data files (`DATA`) are
//! embedded in a JSON form instead, converted here, so that a build which never parses TOML
//! at run time (the WebAssembly module) links no TOML parser. The JSON holds exactly the
//! TOML's values: a date is written as the object the `toml` crate's date type reads back.

use std::fmt::Write;
use std::path::Path;

/// Files in `pricing/` that are not price tables: the explanations of the tables'
/// disagreements with other sources, read by `tariff sources check`.
const NOT_TABLES: &[&str] = &["disagreements.toml"];

/// Data files read at run time besides the price tables, by path from the crate root.
const DATA: &[&str] = &[
    "estimate/images.toml",
    "estimate/models.toml",
    "estimate/seedance.toml",
    "estimate/text.toml",
    "estimate/vision.toml",
    "tokens/approx.toml",
    "tokens/models.toml",
];

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::var("OUT_DIR").unwrap();
    let json = std::env::var_os("CARGO_FEATURE_EMBED_JSON").is_some();
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
        if json {
            writeln!(list, "    ({name:?}, {:?}),", to_json(f)).unwrap();
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

    if json {
        for path in DATA {
            let f = root.join(path);
            println!("cargo:rerun-if-changed={}", f.display());
            let dest = Path::new(&out).join(format!("{path}.json"));
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(dest, to_json(&f)).unwrap();
        }
    }
}

/// The file's values as JSON; a file that is not valid TOML fails the build, naming it.
fn to_json(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("data file is readable");
    let value: toml::Value =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::to_string(&value).unwrap()
}
