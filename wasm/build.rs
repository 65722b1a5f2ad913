//! Embeds the library's price tables (`../pricing/*.toml`) without their comment lines.
//!
//! The comments (sources, gaps, working notes) are a third of the text; a page downloads
//! and parses every byte of what is embedded, so the module carries the tables without
//! them. Whole-line comments and blank lines only: nothing that is TOML syntax changes (no
//! table uses multi-line strings, where a `#` line would be text), and a test checks that
//! the catalog loaded from these equals the library's built-in one, model for model.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pricing");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("pricing/ is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let text = std::fs::read_to_string(f).expect("table is readable");
        assert!(
            !text.contains("\"\"\"") && !text.contains("'''"),
            "{}: multi-line strings would make comment stripping unsafe",
            f.display()
        );
        let stripped: String = text
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                !t.is_empty() && !t.starts_with('#')
            })
            .map(|l| format!("{}\n", l.trim_start()))
            .collect();
        let name = format!("pricing/{}", f.file_name().unwrap().to_string_lossy());
        writeln!(out, "    ({name:?}, {stripped:?}),").unwrap();
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("tables.rs");
    std::fs::write(dest, out).unwrap();
}
