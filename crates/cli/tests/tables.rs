//! Price tables as untrusted input: bounded reading, printable names, exact numbers, and
//! `tariff check` agreeing with `--prices`.

use std::path::PathBuf;

mod common;
use common::tariff;

use tariff::{Catalog, CatalogError, ProblemKind};

const ACME: &str = r#"
provider = "acme"
currency = "USD"

[[model]]
id = "acme-large"

[[model.price]]
source = "https://acme.example/pricing"
as_of = 2025-01-01
rates = { input_tokens = 1.25, output_tokens = 10 }
"#;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh scratch directory under the target directory, removed first if left over.
fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn kinds(e: &CatalogError) -> Vec<ProblemKind> {
    e.problems.iter().map(|p| p.kind).collect()
}

// ---- size limit (regression: `tariff check /dev/zero` grew without bound) ----

#[test]
fn a_table_over_the_limit_is_refused_naming_the_file_and_the_limit() {
    let d = scratch("too-large");
    let f = d.join("big.toml");
    // A valid table padded with a comment past the limit.
    let mut t = ACME.to_string();
    t.push('#');
    t.push_str(&"x".repeat(200));
    std::fs::write(&f, &t).unwrap();
    let e = Catalog::builder()
        .max_table_bytes(100)
        .path(&f)
        .build()
        .unwrap_err();
    assert_eq!(kinds(&e), [ProblemKind::TooLarge { limit: 100 }]);
    let p = &e.problems[0];
    assert_eq!(p.file, f.display().to_string());
    assert!(p.message.contains("limit of 100 bytes"), "{p}");
    // The same bytes as text are refused alike; a table within the limit loads.
    let e = Catalog::builder()
        .max_table_bytes(100)
        .text("big.toml", t)
        .build()
        .unwrap_err();
    assert_eq!(kinds(&e), [ProblemKind::TooLarge { limit: 100 }]);
    Catalog::builder()
        .max_table_bytes(ACME.len() as u64)
        .text("acme.toml", ACME)
        .build()
        .unwrap();
}

#[test]
fn the_default_limit_refuses_a_table_of_tens_of_megabytes() {
    let d = scratch("default-limit");
    let f = d.join("huge.toml");
    let size = tariff::catalog::MAX_TABLE_BYTES + 1;
    let file = std::fs::File::create(&f).unwrap();
    // A sparse file: its size, not its content, is what is refused.
    file.set_len(size).unwrap();
    let e = Catalog::builder().path(&f).build().unwrap_err();
    assert_eq!(
        kinds(&e),
        [ProblemKind::TooLarge {
            limit: tariff::catalog::MAX_TABLE_BYTES
        }]
    );
}

#[cfg(unix)]
#[test]
fn a_device_is_refused_not_read_without_end() {
    // Before: read_to_string(/dev/zero) grew until memory ran out.
    let e = Catalog::builder().path("/dev/zero").build().unwrap_err();
    assert_eq!(kinds(&e), [ProblemKind::NotAFile]);
    assert_eq!(e.problems[0].file, "/dev/zero");
    let out = tariff(&["check", "/dev/zero"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("/dev/zero: is not a regular file"));
    let out = tariff(&["--prices", "/dev/zero", "models"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
}

// ---- `check` agrees with `--prices` ----

#[test]
fn check_refuses_a_table_that_reuses_a_builtin_id_as_prices_does() {
    let d = scratch("reuse");
    let f = d.join("mine.toml");
    std::fs::write(&f, ACME.replace("acme-large", "gpt-4o")).unwrap();
    let f = f.to_str().unwrap();
    let prices = tariff(&["--prices", f, "models"]);
    assert!(!prices.status.success());
    // Before: `check` loaded the file alone and said "ok".
    let check = tariff(&["check", f]);
    assert!(!check.status.success(), "{}", text(&check.stdout));
    assert!(
        text(&check.stderr).contains("model name `gpt-4o` is already defined"),
        "{}",
        text(&check.stderr)
    );
}

#[test]
fn check_counts_what_the_given_tables_add() {
    let out = tariff(&["check", "tests/fixtures/acme.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("ok: 1 models, 1 price schedules added"));
}

#[test]
fn a_subdirectory_of_a_table_directory_is_reported_not_skipped() {
    let d = scratch("subdir");
    std::fs::write(d.join("acme.toml"), ACME).unwrap();
    std::fs::create_dir(d.join("more")).unwrap();
    std::fs::write(
        d.join("more/other.toml"),
        ACME.replace("acme-large", "acme-small"),
    )
    .unwrap();
    let e = Catalog::builder().path(&d).build().unwrap_err();
    assert_eq!(kinds(&e), [ProblemKind::NotAFile]);
    assert!(e.problems[0].file.ends_with("more"), "{}", e.problems[0]);
    assert!(e.problems[0].message.contains("subdirectory"));
}

// ---- names are printable (regression: control characters were printed raw) ----

#[test]
fn control_characters_in_names_are_refused() {
    let cases = [
        (
            "id = \"acme-large\"",
            "id = \"acme\\u001b[2Jlarge\"",
            "model id",
        ),
        (
            "id = \"acme-large\"",
            "id = \"acme-large\"\naliases = [\"acme\\u0007\"]",
            "alias",
        ),
        (
            "id = \"acme-large\"",
            "id = \"acme-large\"\npatterns = [\"acme-\\r*\"]",
            "pattern",
        ),
        (
            "provider = \"acme\"",
            "provider = \"ac\\u009bme\"",
            "provider",
        ),
        (
            "id = \"acme-large\"",
            "id = \"acme\\u202elarge\"",
            "model id",
        ),
        (
            "id = \"acme-large\"",
            "id = \"acme-large\"\nname = \"Acme\\nLarge\"",
            "model name",
        ),
    ];
    for (from, to, what) in cases {
        let t = ACME.replace(from, to);
        let e = Catalog::builder().text("t.toml", t).build().unwrap_err();
        assert_eq!(kinds(&e), [ProblemKind::ControlCharacter], "{to}: {e}");
        let msg = &e.problems[0].message;
        assert!(msg.starts_with(what), "{msg}");
        // The message itself never carries the raw control character.
        assert!(!msg.chars().any(char::is_control), "{msg:?}");
    }
}

// ---- numbers read exactly (regression: unquoted floats passed through f64) ----

/// The input-token rate of the one model of a table whose rates are `rates`.
fn input_rate(rates: &str) -> Result<(String, String), CatalogError> {
    let t = ACME.replace(
        "rates = { input_tokens = 1.25, output_tokens = 10 }",
        &format!("rates = {rates}"),
    );
    let c = Catalog::builder().text("t.toml", t).build()?;
    let m = c.model("acme-large").unwrap();
    let tariff::catalog::Prices::Rates { base, .. } = m.schedules()[0].prices() else {
        panic!("a rates schedule")
    };
    let r = base.rate(tariff::Unit::InputTokens).unwrap();
    Ok((r.price().to_string(), r.per().to_string()))
}

#[test]
fn an_unquoted_price_is_read_from_its_literal() {
    // Before: 1.0000000000000001 read as the f64 1.0, and so priced as 1.
    let cases = [
        (
            "{ input_tokens = 1.0000000000000001 }",
            "1.0000000000000001",
            "1000000",
        ),
        (
            "{ input_tokens = 0.1234567890123456789 }",
            "0.1234567890123456789",
            "1000000",
        ),
        (
            "{ input_tokens = 1_000.000_000_000_000_01 }",
            "1000.00000000000001",
            "1000000",
        ),
        (
            "{ input_tokens = { price = 2.00000000000000001, per = 1.5000000000000000001 } }",
            "2.00000000000000001",
            "1.5000000000000000001",
        ),
        ("{ input_tokens = 3e-7 }", "0.0000003", "1000000"),
        (
            "{ input_tokens = \"1.0000000000000001\" }",
            "1.0000000000000001",
            "1000000",
        ),
    ];
    for (rates, price, per) in cases {
        assert_eq!(
            input_rate(rates).unwrap(),
            (price.to_string(), per.to_string()),
            "{rates}"
        );
    }
}

#[test]
fn a_price_a_decimal_cannot_hold_is_refused_not_rounded() {
    // Before: 1e-30 read as 0 (a free model).
    for rates in [
        "{ input_tokens = 1e-30 }",
        "{ input_tokens = \"1e-30\" }",
        "{ input_tokens = 1.00000000000000000000000000000001 }",
        "{ input_tokens = { price = 1, per = 1.00000000000000000000000000000001 } }",
    ] {
        let e = input_rate(rates).unwrap_err();
        assert!(
            e.to_string().contains("cannot be read exactly"),
            "{rates}: {e}"
        );
    }
}

#[test]
fn variant_prices_and_scales_are_exact_too() {
    let t = r#"
provider = "acme"
currency = "USD"

[[model]]
id = "acme-image"
kind = "image"

[[model.price]]
source = "https://acme.example/pricing"
as_of = 2025-01-01
rates = { images = [{ size = "1024x1024", price = 0.0400000000000000001 }] }

[[model.price]]
service_tier = "batch"
source = "https://acme.example/pricing"
as_of = 2025-01-01
scale = 0.50000000000000000001
"#;
    let c = Catalog::builder().text("t.toml", t).build().unwrap();
    let m = c.model("acme-image").unwrap();
    let mut seen = Vec::new();
    for s in m.schedules() {
        match s.prices() {
            tariff::catalog::Prices::Rates { base, .. } => {
                let v = base.variants(tariff::Unit::Images).unwrap();
                seen.push(v[0].rate().price().to_string());
            }
            tariff::catalog::Prices::Scale { factor, .. } => seen.push(factor.to_string()),
        }
    }
    seen.sort();
    assert_eq!(seen, ["0.0400000000000000001", "0.50000000000000000001"]);
}

/// The JSON form `build.rs` embeds (feature `embed-json`) holds each float's literal.
#[test]
fn builtin_tables_load_with_the_same_prices_from_their_files() {
    // Every table `build.rs` embeds: the provider files, not the disagreements file that
    // sits beside them (it is read by `tariff sources check`, not as a table).
    let mut files: Vec<_> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../pricing"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter(|p| !p.ends_with("disagreements.toml"))
            .collect();
    files.sort();
    let mut builder = Catalog::builder();
    for f in &files {
        builder = builder.path(f);
    }
    let from_files = builder.build().unwrap();
    assert_eq!(
        format!("{:?}", from_files.models()),
        format!("{:?}", Catalog::builtin().models())
    );
}

// The built-in tables are embedded as JSON (build.rs) and read through a spanless adapter;
// the same files read as TOML must give the same catalog, model for model, price for price.
#[test]
fn the_embedded_json_tables_load_exactly_as_their_toml_files() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../pricing"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| !p.ends_with("disagreements.toml"))
        .collect();
    files.sort();
    let from_toml = files
        .iter()
        .fold(Catalog::builder(), |b, p| b.path(p))
        .build()
        .unwrap();
    let builtin = Catalog::builtin();
    assert_eq!(from_toml.models().len(), builtin.models().len());
    assert!(builtin.models().len() > 300);
    for (a, b) in from_toml.models().iter().zip(builtin.models()) {
        assert_eq!(a, b, "{}", a.id());
    }
}

// The built-in tables are embedded as JSON, whose problems carry no line; `check
// --no-builtin` reads a table's TOML file alone, so every built-in file checks with lines.
#[test]
fn check_no_builtin_reads_each_built_in_file_alone_with_line_numbers() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../pricing"));
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") || path.ends_with("disagreements.toml") {
            continue;
        }
        let out = tariff(&["check", "--no-builtin", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).starts_with("ok: "),
            "{}",
            text(&out.stdout)
        );
        checked += 1;
    }
    assert!(checked >= 13, "{checked} tables");
    // On top of the built-in tables the same file redefines every model.
    assert!(!tariff(&["check", "pricing/openai.toml"]).status.success());
    let bad = scratch("check-no-builtin").join("acme.toml");
    std::fs::write(&bad, ACME.replace("1.25", "-1.25")).unwrap();
    let out = tariff(&["check", "--no-builtin", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("acme.toml:11:") && err.contains("negative price"),
        "{err}"
    );
}
