//! Writes the built-in price tables' snapshot (`Catalog::to_snapshot`) for the module to
//! embed: loaded and validated here, natively, once per build, so the module reads them
//! back without parsing JSON or checking them again. The same sources as the module's own
//! copy of tariff-core (this build dependency is built from the same checkout), so the
//! snapshot always holds the tables the module carries.

fn main() {
    let snapshot = tariff_core::Catalog::builtin().to_snapshot();
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("catalog.snapshot");
    std::fs::write(&out, snapshot).expect("OUT_DIR is writable");
    // tariff-core rebuilds when a table changes (its build script watches pricing/), and
    // cargo runs this script again whenever a build dependency was rebuilt.
    println!("cargo:rerun-if-changed=build.rs");
}
