//! Schedules priced only through options (one price per Midjourney action, say): they load,
//! price the option that matches, and refuse a usage that matches none — naming the options —
//! instead of falling back to any price.

use tariff::{Catalog, PriceError, Usage};

const TABLE: &str = r#"
provider = "acme"
currency = "USD"

[[model]]
id = "acme-actions"
kind = "image"

[[model.price]]
source = "https://acme.example/prices"
as_of = 2026-01-01

[[model.price.option]]
name = "draw"
when = { action = "draw" }
rates = { requests = 0.25 }

[[model.price.option]]
when = { action = "erase" }
rates = { requests = 0 }

[[model]]
id = "acme-mixed"
kind = "image"

[[model.price]]
source = "https://acme.example/prices"
as_of = 2026-01-01
rates = { requests = 1 }

[[model.price.option]]
name = "cheap"
when = { action = "cheap" }
rates = { requests = 0.5 }
"#;

fn catalog() -> Catalog {
    Catalog::builder().text("acme.toml", TABLE).build().unwrap()
}

fn usage(action: Option<&str>, requests: u64) -> Usage {
    let options = action
        .map(|a| format!(r#","options":{{"action":"{a}"}}"#))
        .unwrap_or_default();
    Usage::from_json(&format!(
        r#"{{"requests":{requests}{options},"at":"2026-02-01T00:00:00Z"}}"#
    ))
    .unwrap()
}

#[test]
fn an_options_only_schedule_prices_the_matching_option() {
    let c = catalog();
    let bill = c.quote("acme-actions", &usage(Some("draw"), 3)).unwrap();
    assert_eq!(bill.total().to_string(), "0.75");
    assert_eq!(bill.option(), Some("draw"));
    // A free action is an explicit zero, with its line.
    let bill = c.quote("acme-actions", &usage(Some("erase"), 2)).unwrap();
    assert!(bill.total().is_zero());
    assert_eq!(bill.lines().len(), 1);
    assert_eq!(bill.option(), Some("action=erase"));
}

#[test]
fn no_matching_option_is_an_error_naming_the_options() {
    let c = catalog();
    for (action, given) in [(Some("smudge"), "action=smudge"), (None, "no options")] {
        let e = c.quote("acme-actions", &usage(action, 1)).unwrap_err();
        match &e {
            PriceError::NoMatchingOption { options, .. } => {
                assert_eq!(options, &["draw".to_string(), "action=erase".to_string()]);
            }
            other => panic!("{other}"),
        }
        let msg = e.to_string();
        assert!(
            msg.contains("draw, action=erase") && msg.contains(given),
            "{msg}"
        );
    }
}

#[test]
fn a_base_rate_still_prices_usage_no_option_matches() {
    let c = catalog();
    assert_eq!(
        c.quote("acme-mixed", &usage(Some("other"), 2))
            .unwrap()
            .total()
            .to_string(),
        "2"
    );
    assert_eq!(
        c.quote("acme-mixed", &usage(Some("cheap"), 2))
            .unwrap()
            .total()
            .to_string(),
        "1"
    );
}

#[test]
fn a_schedule_with_neither_rates_nor_options_is_a_table_error() {
    let table = r#"
provider = "acme"
currency = "USD"

[[model]]
id = "acme-empty"
kind = "image"

[[model.price]]
source = "https://acme.example/prices"
as_of = 2026-01-01
"#;
    let e = Catalog::builder()
        .text("empty.toml", table)
        .build()
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("empty.toml:9"), "{msg}");
    assert!(msg.contains("no `rates` (and no options)"), "{msg}");
}
