//! The crate packages on its own: what its build script reads and what its sources include
//! lies inside the crate directory (data files under `data/`). `cargo package` in `.ci/run`
//! verifies the same by building the packaged crate; this catches it in `cargo test`.
//!
//! One file for three crates: tariff-metering's and tariff-operations'
//! `tests/self_contained.rs` are links to it, and each checks its own crate.

use std::path::{Component, Path, PathBuf};

/// `base` joined with `rel`, `.` and `..` folded as text: a path through a link is judged
/// by where it is written (what the packaged crate sees), not where the link points.
fn resolve(base: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in base.join(rel.trim_start_matches('/')).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// The string literals on a line (none of the lines checked escapes a quote).
fn literals(line: &str) -> Vec<&str> {
    line.split('"').skip(1).step_by(2).collect()
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}

/// Regression: tariff-core's build script read `../../pricing`, `../../estimate` and
/// `../../tokens`, tariff-metering's included `../core/embed/json.rs` and its library
/// `../../core/embed/data.rs`, and tariff-operations' build script read `../../data/new-api`:
/// none of them built as a packaged crate.
#[test]
fn no_source_reaches_outside_the_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut build = vec![root.join("build.rs")];
    rust_files(&root.join("embed"), &mut build);
    let mut lib = Vec::new();
    rust_files(&root.join("src"), &mut lib);
    assert!(lib.len() > 2, "{lib:?}");
    let mut checked = 0;
    for (f, is_build) in build
        .iter()
        .map(|f| (f, true))
        .chain(lib.iter().map(|f| (f, false)))
    {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let dir = f.parent().unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            let includes = ["#[path", "include_str!", "include_bytes!"]
                .iter()
                .any(|m| code.contains(m));
            let manifest = code.contains("CARGO_MANIFEST_DIR");
            // A library's run-time path (a unit test reading the repository's fixtures)
            // is not built by `cargo package`; what it compiles in, and everything a build
            // script reads, is.
            if code.contains("OUT_DIR") || !(includes || is_build) {
                continue;
            }
            let lits = literals(code);
            let (base, rel) = if manifest {
                let after = lits
                    .iter()
                    .skip_while(|l| **l != "CARGO_MANIFEST_DIR")
                    .skip(1);
                (root, after.copied().collect::<String>())
            } else if includes {
                (dir, lits.concat())
            } else {
                // A build script's other paths are relative to the crate root (cargo runs
                // it there); only those that climb can leave it.
                match lits.iter().find(|l| l.contains("..")) {
                    Some(l) => (root, l.to_string()),
                    None => continue,
                }
            };
            checked += 1;
            let target = resolve(base, &rel);
            assert!(
                target.starts_with(root),
                "{}:{}: {} is outside the crate",
                f.display(),
                n + 1,
                target.display()
            );
        }
    }
    assert!(
        checked > 0,
        "no include or data path found under {}",
        root.display()
    );
}
