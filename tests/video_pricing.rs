//! The price-table mechanics video needs, on small tables written for each case: options
//! that have no published price, per-second prices by mode (Kling's 5 s / 10 s videos),
//! prices by pixel size, and the validation of option rules.

use rust_decimal::Decimal;
use tariff::{Catalog, PriceError, Usage};

const TABLE: &str = r#"
provider = "acme"
currency = "USD"

[[model]]
id = "clip"
kind = "video"

[[model.price]]
source = "test"
as_of = 2026-01-01
rates = { video_seconds = [ { resolution = "720p", price = 0.10 }, { resolution = "1080p", price = 0.15 } ] }

[[model.price.option]]
name = "pro mode"
when = { mode = "pro" }
rates = { video_seconds = [ { resolution = "720p", price = 0.35 }, { resolution = "1080p", price = 0.50 } ] }

[[model.price.option]]
name = "silent"
when = { audio = "false" }
unpriced = true

[[model]]
id = "sized"
kind = "video"

[[model.price]]
source = "test"
as_of = 2026-01-01
rates = { video_seconds = [ { resolution = "720x1280", price = 0.30 }, { resolution = "1024x1792", price = 0.50 } ] }
"#;

fn catalog() -> Catalog {
    Catalog::builder()
        .text("acme.toml", TABLE)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn quote(model: &str, usage: &str) -> Result<tariff::Bill, PriceError> {
    catalog().quote(model, &Usage::from_json(usage).unwrap())
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn a_mode_option_replaces_the_per_second_variants() {
    let std = quote(
        "clip",
        r#"{"video_seconds":5,"resolution":"720p","options":{"mode":"std"},"at":"2026-02-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(std.total(), dec("0.5"));
    assert_eq!(std.option(), None);
    // A 10 s pro video costs twice the 5 s one: per-second prices express 5 s / 10 s tiers.
    let five = quote(
        "clip",
        r#"{"video_seconds":5,"resolution":"1080p","options":{"mode":"pro"},"at":"2026-02-01T00:00:00Z"}"#,
    )
    .unwrap();
    let ten = quote(
        "clip",
        r#"{"video_seconds":10,"resolution":"1080p","options":{"mode":"pro"},"at":"2026-02-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!((five.total(), ten.total()), (dec("2.5"), dec("5")));
    assert_eq!(ten.option(), Some("pro mode"));
}

#[test]
fn an_unpriced_option_is_an_error_not_the_base_price() {
    let e = quote(
        "clip",
        r#"{"video_seconds":8,"resolution":"720p","options":{"audio":"false"},"at":"2026-02-01T00:00:00Z"}"#,
    )
    .unwrap_err();
    match e {
        PriceError::UnpricedOption { model, option } => {
            assert_eq!((model.as_str(), option.as_str()), ("clip", "silent"))
        }
        other => panic!("{other}"),
    }
    // Audio on is the base price.
    let on = quote(
        "clip",
        r#"{"video_seconds":8,"resolution":"720p","options":{"audio":"true"},"at":"2026-02-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(on.total(), dec("0.8"));
}

#[test]
fn pixel_sizes_are_variants_and_unknown_ones_are_errors() {
    let b = quote(
        "sized",
        r#"{"video_seconds":4,"resolution":"1024x1792","at":"2026-02-01T00:00:00Z"}"#,
    )
    .unwrap();
    assert_eq!(b.total(), dec("2"));
    assert_eq!(b.lines()[0].variant(), Some("resolution 1024x1792"));
    assert!(matches!(
        quote(
            "sized",
            r#"{"video_seconds":4,"resolution":"1080x1920","at":"2026-02-01T00:00:00Z"}"#
        )
        .unwrap_err(),
        PriceError::UnpricedVariant { .. }
    ));
    // No resolution at all cannot pick a size.
    assert!(matches!(
        quote(
            "sized",
            r#"{"video_seconds":4,"at":"2026-02-01T00:00:00Z"}"#
        )
        .unwrap_err(),
        PriceError::UnpricedVariant { .. }
    ));
}

#[test]
fn an_option_needs_rates_or_unpriced_but_not_both() {
    let base = r#"
provider = "acme"
currency = "USD"
[[model]]
id = "m"
[[model.price]]
source = "test"
as_of = 2026-01-01
rates = { input_tokens = 1 }
[[model.price.option]]
when = { audio = "false" }
"#;
    for (extra, ok) in [
        ("unpriced = true", true),
        ("rates = { input_tokens = 2 }", true),
        ("", false),
        ("unpriced = true\nrates = { input_tokens = 2 }", false),
        ("unpriced = false", false),
    ] {
        let text = format!("{base}{extra}\n");
        let r = Catalog::builder().text("t.toml", text).build();
        assert_eq!(
            r.is_ok(),
            ok,
            "{extra:?}: {:?}",
            r.err().map(|e| e.to_string())
        );
        if let Err(e) = r {
            let msg = e.to_string();
            assert!(
                msg.contains("unpriced = true") && msg.contains("t.toml"),
                "{msg}"
            );
        }
    }
}
