//! The time of a quote lives in one place: the usage record's `at`.
//!
//! Regression: `price::quote(model, usage, at)` took a time beside the record's own, and
//! the parameter silently won, so a record logged in November 2024 and handed over with
//! the caller's clock was billed at December's prices while the record said November.
//! The parameter is gone (the tests below do not compile against the old three-argument
//! signature); the engine reads `usage.at`, and the bill reports it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tariff_core::{price, Catalog, Usage};

fn usage(at: Option<&str>) -> Usage {
    let mut u = Usage::from_json(r#"{"input_tokens": 1000000, "output_tokens": 1000000}"#).unwrap();
    u.at = at.map(|t| t.parse::<DateTime<Utc>>().unwrap());
    u
}

/// Claude Haiku 3.5 launched at $1/M input and $5/M output (from 2024-11-04) and was
/// re-priced to $0.80/M and $4/M from 2024-12-04 (pricing/anthropic.toml).
#[test]
fn the_record_time_selects_the_schedule_and_is_the_bill_time() {
    let c = Catalog::builtin();
    let m = c.resolve("claude-3-5-haiku").unwrap();

    // 1M × $1/M + 1M × $5/M = $6.
    let launch = usage(Some("2024-11-20T12:00:00Z"));
    let bill = price::quote(m, &launch).unwrap();
    assert_eq!(bill.total(), Decimal::from(6));
    assert_eq!(bill.at(), launch.at.unwrap());
    assert_eq!(
        bill.schedule().from,
        Some("2024-11-04T00:00:00Z".parse().unwrap())
    );
    // The by-name path agrees: one rule, whichever entry point.
    assert_eq!(c.quote("claude-3-5-haiku-20241022", &launch).unwrap(), bill);

    // 1M × $0.80/M + 1M × $4/M = $4.80.
    let later = usage(Some("2024-12-04T00:00:00Z"));
    let bill = price::quote(m, &later).unwrap();
    assert_eq!(bill.total(), Decimal::new(48, 1));
    assert_eq!(bill.at(), later.at.unwrap());
}

/// A record without a time is priced at the current time, read once, and the bill says
/// which time that was.
#[test]
fn a_record_without_a_time_is_priced_now() {
    let m = Catalog::builtin().resolve("claude-3-5-haiku").unwrap();
    let before = Utc::now();
    let bill = price::quote(m, &usage(None)).unwrap();
    let after = Utc::now();
    assert!(before <= bill.at() && bill.at() <= after, "{}", bill.at());
    // Today's schedule: the one from 2024-12-04 on.
    assert_eq!(bill.total(), Decimal::new(48, 1));
}
