//! The crate packages on its own: no source file includes anything from outside the crate
//! directory. (`cargo package -p tariff-tokenizer` in `.ci/run` verifies the same by
//! building the packaged crate; this catches it in `cargo test`.)

use std::path::Path;

/// Regression: the rank files were included from `../../../tokens/` and the data module
/// with `#[path = "../../core/embed/data.rs"]`, so the packaged crate did not build.
#[test]
fn no_source_reaches_outside_the_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("build.rs")];
    for entry in std::fs::read_dir(root.join("src")).unwrap() {
        files.push(entry.unwrap().path());
    }
    assert!(files.len() > 5, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let outside = line.contains("#[path")
                || line.contains("\"../../")
                || line.contains("CARGO_MANIFEST_DIR\"), \"/..");
            assert!(!outside, "{}:{}: {line}", f.display(), n + 1);
        }
    }
}
