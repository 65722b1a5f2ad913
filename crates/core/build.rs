//! Embeds every `data/pricing/*.toml` table in the library, converted here to JSON
//! (`embed/json.rs`, shared with tariff-metering's build script): serde_json reads the 369
//! built-in models about five times faster than the TOML parser does (2.6 ms against
//! 12.4 ms), which is most of a CLI run's start-up. A table given at run time is still read
//! as TOML, with line numbers in its problems. The JSON holds exactly the TOML's values: a date is written as the object the `toml` crate's date type reads back,
//! and a float as its literal text (a string), so that no price passes through `f64`.

use std::fmt::Write;
use std::path::Path;

/// Files in `data/pricing/` that are not price tables: the explanations of the tables'
/// disagreements with other sources, read by `tariff sources check`.
const NOT_TABLES: &[&str] = &["disagreements.toml"];

#[path = "embed/json.rs"]
mod json;

use json::to_json;

fn main() {
    // Links to the files tariff-tokenizer and tariff-metering own (one copy in the
    // repository; `cargo package` archives a link as the file it points to).
    json::data(&["tokens/models.toml", "estimate/models.toml"]);
    let root = json::root();
    let out = std::env::var("OUT_DIR").unwrap();
    let dir = root.join("pricing");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("data/pricing/ is readable")
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
        writeln!(list, "    ({name:?}, {:?}),", to_json(f, true)).unwrap();
    }
    list.push(']');
    std::fs::write(Path::new(&out).join("builtin_tables.rs"), list).unwrap();
}
