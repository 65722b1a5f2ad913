//! Per-model metering facts on `Model`: set by a relay's own table, or joined from the data
//! files (`tokens/models.toml`, `estimate/models.toml`) by id.

use tariff_core::{Catalog, CatalogBuilder, ProblemKind};

const HEAD: &str = r#"
provider = "acme"
currency = "USD"
"#;

fn table(model_extra: &str) -> String {
    format!(
        r#"{HEAD}
[[model]]
id = "acme-chat"
{model_extra}
[[model.price]]
source = "https://acme.example/pricing"
as_of = 2025-11-01
rates = {{ input_tokens = 1.0, output_tokens = 2.0 }}
"#
    )
}

fn load(text: &str) -> Result<Catalog, tariff_core::CatalogError> {
    CatalogBuilder::new().text("acme.toml", text).build()
}

#[test]
fn relay_table_sets_encoding_and_output_limit() {
    let c = load(&table(
        "encoding = \"o200k_base\"\nmax_output_tokens = 32000",
    ))
    .unwrap();
    let m = c.resolve("acme-chat").unwrap();
    assert_eq!(m.encoding(), Some("o200k_base"));
    assert_eq!(m.max_output_tokens(), Some(32000));
}

#[test]
fn relay_model_without_facts_has_none() {
    let c = load(&table("")).unwrap();
    let m = c.resolve("acme-chat").unwrap();
    assert_eq!(m.encoding(), None);
    assert_eq!(m.max_output_tokens(), None);
}

#[test]
fn unknown_encoding_is_a_problem_on_its_line() {
    let text = table("encoding = \"p50k_base\"");
    let e = load(&text).unwrap_err();
    let line = text
        .lines()
        .position(|l| l.starts_with("encoding"))
        .unwrap()
        + 1;
    assert_eq!(e.problems.len(), 1, "{e}");
    // A build with `embed-json` reads tables without positions (the wasm configuration).
    if cfg!(not(feature = "embed-json")) {
        assert_eq!(e.problems[0].line, Some(line));
    }
    assert!(e.problems[0].message.contains("p50k_base"), "{e}");
    assert_eq!(e.problems[0].kind, ProblemKind::Invalid);
}

#[test]
fn output_limit_must_be_positive_and_bounded() {
    for bad in ["0", "-5", "100000001", "9223372036854775807"] {
        let text = table(&format!("max_output_tokens = {bad}"));
        let e = load(&text).unwrap_err();
        let line = text
            .lines()
            .position(|l| l.starts_with("max_output_tokens"))
            .unwrap()
            + 1;
        assert_eq!(e.problems.len(), 1, "{bad}: {e}");
        if cfg!(not(feature = "embed-json")) {
            assert_eq!(e.problems[0].line, Some(line), "{bad}: {e}");
        }
        assert!(e.problems[0].message.contains("max_output_tokens"), "{e}");
    }
    let c = load(&table("max_output_tokens = 100000000")).unwrap();
    assert_eq!(
        c.resolve("acme-chat").unwrap().max_output_tokens(),
        Some(tariff_core::catalog::MAX_OUTPUT_TOKENS)
    );
}

#[test]
fn builtin_models_carry_the_data_files_facts() {
    let c = Catalog::builtin();
    // tokens/models.toml: `gpt-4o*` → o200k_base, `gpt-4-*` → cl100k_base,
    // `gpt-oss*` → o200k_harmony; Claude has no public tokenizer.
    assert_eq!(c.resolve("gpt-4o").unwrap().encoding(), Some("o200k_base"));
    assert_eq!(c.resolve("gpt-5").unwrap().encoding(), Some("o200k_base"));
    assert_eq!(c.resolve("claude-sonnet-4-5").unwrap().encoding(), None);
    // estimate/models.toml [[output]]: gpt-4o* 16,384; gpt-5* 128,000;
    // claude-sonnet-4* 64,000.
    assert_eq!(
        c.resolve("gpt-4o").unwrap().max_output_tokens(),
        Some(16384)
    );
    assert_eq!(
        c.resolve("gpt-5").unwrap().max_output_tokens(),
        Some(128000)
    );
    assert_eq!(
        c.resolve("claude-sonnet-4-5").unwrap().max_output_tokens(),
        Some(64000)
    );
    // Every encoding joined is one the tokenizer implements.
    for m in c.models() {
        if let Some(e) = m.encoding() {
            assert!(tariff_core::catalog::ENCODINGS.contains(&e), "{}", m.id());
        }
    }
    assert!(c.models().iter().filter(|m| m.encoding().is_some()).count() > 10);
}

#[test]
fn a_replacement_keeps_its_own_facts() {
    // A relay re-pricing a built-in model may set a different output limit.
    let text = r#"
provider = "openai"
currency = "USD"
[[model]]
id = "gpt-4o"
replaces = true
max_output_tokens = 4096
[[model.price]]
source = "https://relay.example/pricing"
as_of = 2025-11-01
rates = { input_tokens = 1.0, output_tokens = 2.0 }
"#;
    let c = CatalogBuilder::new()
        .builtin()
        .text("relay.toml", text)
        .build()
        .unwrap();
    let m = c.resolve("gpt-4o").unwrap();
    assert_eq!(m.max_output_tokens(), Some(4096));
    // The encoding it does not set is still joined by id.
    assert_eq!(m.encoding(), Some("o200k_base"));
}

#[test]
fn names_resolve_without_regard_to_ascii_case() {
    let c = load(&table(
        "aliases = [\"Acme-Chat-Latest\"]\npatterns = [\"acme-chat-*\"]",
    ))
    .unwrap();
    for name in [
        "acme-chat",
        "ACME-CHAT",
        "acme-chat-latest",
        "ACME-CHAT-LATEST",
        "Acme-Chat-2099",
    ] {
        assert_eq!(c.resolve(name).map(|m| m.id()), Some("acme-chat"), "{name}");
    }
    assert!(c.resolve("acme-chatter").is_none());
    // Non-ASCII letters compare exactly.
    assert!(c.resolve("acme-chät").is_none());
}

#[test]
fn names_differing_only_in_case_are_one_name() {
    // An alias in other capitals of its own model's id is the same name: accepted.
    let c = load(&table("aliases = [\"ACME-chat\"]")).unwrap();
    assert_eq!(c.resolve("Acme-Chat").unwrap().id(), "acme-chat");
    // The same name, in other capitals, for another model is a duplicate.
    let other = r#"
[[model]]
id = "ACME-CHAT"
[[model.price]]
source = "https://acme.example/pricing"
as_of = 2025-11-01
rates = { input_tokens = 1.0, output_tokens = 2.0 }
"#;
    let e = load(&format!("{}{other}", table(""))).unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert!(e.problems[0].message.contains("already defined"), "{e}");
}
