//! One test per kind of bad input: each is a typed error naming what was wrong, never a price.

use tariff::{Catalog, PriceError, Usage, UsageError};

fn json_err(text: &str) -> (String, String) {
    match Usage::from_json(text).unwrap_err() {
        UsageError::Json { path, message, .. } => (path, message),
        e => panic!("expected a JSON error, got {e}"),
    }
}

#[test]
fn malformed_usage_json_gives_its_position() {
    match Usage::from_json("{\n  \"input_tokens\": 12,\n  \"output_tokens\": }").unwrap_err() {
        UsageError::Json { line, column, .. } => assert_eq!((line, column), (3, 20)),
        e => panic!("{e}"),
    }
}

#[test]
fn unknown_usage_field_is_an_error_not_ignored() {
    let (path, msg) = json_err(r#"{"input_tokens": 1, "cached_tokens": 5}"#);
    assert_eq!(path, "cached_tokens");
    assert!(msg.contains("unknown field `cached_tokens`"), "{msg}");
    assert!(
        msg.contains("cache_read_tokens"),
        "the message lists the known fields: {msg}"
    );
}

#[test]
fn negative_count_names_the_field() {
    let (path, msg) = json_err(r#"{"output_tokens": -3}"#);
    assert_eq!(path, "output_tokens");
    assert!(msg.contains("negative"), "{msg}");
}

#[test]
fn overflowing_count_names_the_field() {
    let (path, msg) = json_err(r#"{"reasoning_tokens": 18446744073709551616}"#);
    assert_eq!(path, "reasoning_tokens");
    assert!(
        msg.contains("too large") || msg.contains("not a whole number"),
        "{msg}"
    );
    let (path, msg) = json_err(r#"{"input_tokens": 9007199254740992}"#);
    assert_eq!(path, "input_tokens");
    assert!(msg.contains("too large"), "{msg}");
}

#[test]
fn fractional_count_and_negative_seconds_are_rejected() {
    assert_eq!(
        json_err(r#"{"images": [{"count": 1.5}]}"#).0,
        "images[0].count"
    );
    assert_eq!(json_err(r#"{"video_seconds": -1}"#).0, "video_seconds");
}

#[test]
fn unknown_service_tier_is_an_error() {
    let (path, msg) = json_err(r#"{"input_tokens": 1, "service_tier": "turbo"}"#);
    assert_eq!(path, "service_tier");
    assert!(msg.contains("turbo"), "{msg}");
}

#[test]
fn bad_timestamp_is_an_error() {
    assert_eq!(
        json_err(r#"{"input_tokens": 1, "at": "yesterday"}"#).0,
        "at"
    );
}

#[test]
fn cached_above_total_is_inconsistent() {
    match Usage::from_json(r#"{"input_tokens": 10, "cache_read_tokens": 500, "total_tokens": 100}"#)
        .unwrap_err()
    {
        UsageError::Inconsistent { field, detail } => {
            assert_eq!(field, "cache_read_tokens");
            assert!(detail.contains("500") && detail.contains("100"), "{detail}");
        }
        e => panic!("{e}"),
    }
    match Usage::from_json(r#"{"input_tokens": 10, "output_tokens": 5, "total_tokens": 16}"#)
        .unwrap_err()
    {
        UsageError::Inconsistent { field, .. } => assert_eq!(field, "total_tokens"),
        e => panic!("{e}"),
    }
    assert!(
        Usage::from_json(r#"{"input_tokens": 10, "output_tokens": 6, "total_tokens": 16}"#).is_ok()
    );
}

const TABLE: &str = r#"
provider = "acme"
currency = "USD"
[[model]]
id = "acme-large"
aliases = ["acme-large-2025"]
[[model.price]]
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 1, output_tokens = 2 }
"#;

fn acme() -> Catalog {
    Catalog::builder().text("acme.toml", TABLE).build().unwrap()
}

#[test]
fn unknown_model_suggests_the_closest_ids() {
    let err = acme().quote("acme-larg", &Usage::default()).unwrap_err();
    match &err {
        PriceError::UnknownModel { model, known } => {
            assert_eq!(model, "acme-larg");
            assert_eq!(known.closest(model), ["acme-large"]);
        }
        e => panic!("{e}"),
    }
    assert!(
        err.to_string().contains("did you mean `acme-large`"),
        "{err}"
    );
}

#[test]
fn a_unit_without_a_rate_is_an_error_never_free() {
    let u = Usage::from_json(r#"{"input_tokens": 1, "web_search_calls": 2}"#).unwrap();
    match acme().quote("acme-large", &u).unwrap_err() {
        PriceError::UnpricedUnit { unit, priced, .. } => {
            assert_eq!(unit, tariff::Unit::WebSearchCalls);
            assert_eq!(priced, ["input_tokens", "output_tokens"]);
        }
        e => panic!("{e}"),
    }
}

#[test]
fn a_date_before_any_price_is_an_error() {
    let u = Usage::from_json(r#"{"input_tokens": 1, "at": "1999-01-01T00:00:00Z"}"#).unwrap();
    let t = TABLE.replace("source = \"test\"", "from = 2025-01-01\nsource = \"test\"");
    let c = Catalog::builder().text("acme.toml", t).build().unwrap();
    assert!(matches!(
        c.quote("acme-large", &u).unwrap_err(),
        PriceError::NoPriceAt { .. }
    ));
}

#[test]
fn an_unpriced_service_tier_is_an_error() {
    let u = Usage::from_json(r#"{"input_tokens": 1, "service_tier": "batch"}"#).unwrap();
    assert!(matches!(
        acme().quote("acme-large", &u).unwrap_err(),
        PriceError::UnpricedServiceTier { .. }
    ));
}

#[test]
fn overflow_is_an_error() {
    let t = TABLE.replace(
        "input_tokens = 1,",
        "input_tokens = \"79228162514264337593543950335\",",
    );
    let c = Catalog::builder().text("acme.toml", t).build().unwrap();
    let u = Usage::from_json(r#"{"input_tokens": 9007199254740991}"#).unwrap();
    assert!(matches!(
        c.quote("acme-large", &u).unwrap_err(),
        PriceError::Overflow { .. }
    ));
}

/// Loads a table and returns its problems as `line: message`.
fn problems(text: &str) -> Vec<String> {
    match Catalog::builder().text("bad.toml", text).build() {
        Ok(_) => Vec::new(),
        Err(e) => e
            .problems
            .iter()
            .map(|p| {
                assert_eq!(p.file, "bad.toml");
                format!("{}: {}", p.line.unwrap_or(0), p.message)
            })
            .collect(),
    }
}

fn assert_problem(text: &str, line: usize, needle: &str) {
    let ps = problems(text);
    assert!(
        ps.iter()
            .any(|p| p.starts_with(&format!("{line}: ")) && p.contains(needle)),
        "expected `{needle}` at line {line}, got {ps:#?}"
    );
}

#[test]
fn table_syntax_error_has_a_line() {
    assert_problem("provider = \"a\"\ncurrency = \"USD\"\n[[model]\n", 3, "");
}

#[test]
fn table_missing_source_is_reported() {
    let t = TABLE.replace("source = \"test\"\n", "");
    assert_problem(&t, 7, "missing field `source`");
}

#[test]
fn table_missing_as_of_is_reported() {
    let t = TABLE.replace("as_of = 2025-01-01\n", "");
    assert_problem(&t, 7, "missing field `as_of`");
}

#[test]
fn table_unknown_unit_is_reported() {
    let t = TABLE.replace("output_tokens = 2", "outptu_tokens = 2");
    assert_problem(&t, 10, "unknown unit `outptu_tokens`");
}

#[test]
fn table_unknown_key_is_reported() {
    let t = TABLE.replace("aliases =", "aliasses =");
    assert_problem(&t, 6, "unknown field `aliasses`");
}

#[test]
fn table_negative_price_is_reported() {
    let t = TABLE.replace("input_tokens = 1,", "input_tokens = -1,");
    assert_problem(&t, 10, "negative price");
}

#[test]
fn duplicate_ids_and_aliases_are_reported_across_files() {
    let other = TABLE
        .replace("id = \"acme-large\"", "id = \"acme-large-2025\"")
        .replace("aliases = [\"acme-large-2025\"]", "");
    let err = Catalog::builder()
        .text("a.toml", TABLE)
        .text("b.toml", other)
        .build()
        .unwrap_err();
    let p = &err.problems[0];
    assert_eq!((p.file.as_str(), p.line), ("b.toml", Some(4)));
    assert!(
        p.message.contains("already defined at a.toml:4"),
        "{}",
        p.message
    );
}

#[test]
fn overlapping_schedules_are_reported() {
    let t = format!(
        "{TABLE}[[model.price]]\nsource = \"test\"\nas_of = 2025-01-01\nrates = {{ input_tokens = 1 }}\n"
    );
    assert_problem(&t, 7, "without `from` overlap");
    let t = TABLE.replace("source = \"test\"", "from = 2025-01-01\nuntil = 2025-08-01\nsource = \"test\"")
        + "[[model.price]]\nfrom = 2025-07-01\nsource = \"t\"\nas_of = 2025-01-01\nrates = { input_tokens = 1 }\n";
    assert_problem(&t, 7, "after the next one starts");
}

#[test]
fn tiers_out_of_order_are_reported() {
    let t = format!(
        "{TABLE}[[model.price.tier]]\nname = \"b\"\nabove = 200\ncounts = [\"input_tokens\"]\nrates = {{ input_tokens = 2 }}\n\
         [[model.price.tier]]\nname = \"a\"\nabove = 100\ncounts = [\"input_tokens\"]\nrates = {{ input_tokens = 3 }}\n"
    );
    assert_problem(&t, 18, "out of order");
}

#[test]
fn fallback_cycles_are_reported() {
    let t = TABLE.replace(
        "aliases = [\"acme-large-2025\"]",
        "aliases = [\"acme-large-2025\"]\nfallbacks = { reasoning_tokens = \"output_tokens\", output_tokens = \"reasoning_tokens\" }",
    );
    assert_problem(&t, 4, "cycle");
}

#[test]
fn a_model_without_a_schedule_is_reported() {
    assert_problem(
        "provider = \"a\"\ncurrency = \"USD\"\n[[model]]\nid = \"x\"\n",
        3,
        "no [[model.price]]",
    );
}

#[test]
fn a_bad_currency_is_reported() {
    assert_problem(
        &TABLE.replace("\"USD\"", "\"usd\""),
        3,
        "not a currency code",
    );
}

#[test]
fn duplicate_variants_are_reported() {
    let t = TABLE.replace(
        "rates = { input_tokens = 1, output_tokens = 2 }",
        "rates = { images = [{ size = \"1x1\", price = 1 }, { size = \"1x1\", price = 2 }] }",
    );
    assert_problem(&t, 10, "twice");
}

#[test]
fn every_problem_is_reported_in_one_pass() {
    let t = TABLE
        .replace("input_tokens = 1,", "input_tokens = -1,")
        .replace("output_tokens = 2", "outptu_tokens = 2");
    assert_eq!(problems(&t).len(), 2, "{:#?}", problems(&t));
}

#[test]
fn an_option_naming_an_unknown_tier_is_reported() {
    let t = format!("{TABLE}[[model.price.option]]\nwhen = {{ thinking = \"true\" }}\ntier = \"huge\"\nrates = {{ output_tokens = 8 }}\n");
    assert_problem(&t, 13, "does not have");
}

#[test]
fn a_pattern_used_by_two_models_is_reported() {
    let a = TABLE.replace("aliases = [\"acme-large-2025\"]", "patterns = [\"acme-*\"]");
    let b = a.replace("acme-large", "acme-small");
    let err = Catalog::builder()
        .text("a.toml", a)
        .text("b.toml", b)
        .build()
        .unwrap_err();
    assert!(
        err.problems[0]
            .message
            .contains("pattern `acme-*` is already used at a.toml:4"),
        "{err}"
    );
}

/// Regression: serde reads a struct from a JSON array by position, so
/// `[1000000,0,0,0,1000000]` was a usage record billed at $12.50.
#[test]
fn a_record_written_as_an_array_is_refused_everywhere() {
    let e = Usage::from_json("[1000000,0,0,0,1000000]").unwrap_err();
    assert!(e.to_string().contains("expected struct Usage"), "{e}");
    // Nested: an image count as an array.
    let e = Usage::from_json(r#"{"images":[[2,"1024x1024"]]}"#).unwrap_err();
    match &e {
        UsageError::Json { path, .. } => assert_eq!(path, "images[0]"),
        other => panic!("{other}"),
    }
    // An exchange rate as an array.
    let e = tariff::FxTable::from_json(r#"[["USD","CNY","7.1","2025-01-01"]]"#).unwrap_err();
    assert!(e.to_string().contains("expected struct FxRate"), "{e}");
    // A price table's schedule or rate table as an array.
    let table = |price: &str| {
        format!(
            "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"acme-x\"\nprice = [{price}]\n"
        )
    };
    let ok = table(r#"{ source = "s", as_of = 2025-01-01, rates = { input_tokens = 1 } }"#);
    Catalog::builder().text("t.toml", ok).build().unwrap();
    let e = Catalog::builder()
        .text("t.toml", table(r#"[2025-01-01, 2026-01-01]"#))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("expected struct RawSchedule"), "{e}");
    let e = Catalog::builder()
        .text(
            "t.toml",
            table(r#"{ source = "s", as_of = 2025-01-01, rates = { images = [[0.04]] } }"#),
        )
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("expected struct RawVariant"), "{e}");
}
