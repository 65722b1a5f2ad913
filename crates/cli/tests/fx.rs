//! Exchange rates: a table that would make a bill negative, free or a guess is refused;
//! an inverse rate is exact decimal with its rounding stated.

use std::process::Command;

use rust_decimal::Decimal;
use tariff::{Catalog, Currency, FxError, FxRate, FxTable, Rounding, Usage};

fn rate(from: &str, to: &str, r: &str, date: &str) -> FxRate {
    FxRate {
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        rate: r.parse().unwrap(),
        date: date.parse().unwrap(),
        source: "test".into(),
    }
}

/// Regression: a negative rate gave negative bills and a zero rate free ones.
#[test]
fn a_rate_that_is_not_positive_is_refused() {
    for r in ["-7.1", "0", "0.000"] {
        let e = FxTable::new(vec![rate("USD", "CNY", r, "2025-01-01")]).unwrap_err();
        assert!(matches!(e, FxError::NotPositive { .. }), "{r}: {e}");
        let json = format!(r#"[{{"from":"USD","to":"CNY","rate":"{r}","date":"2025-01-01"}}]"#);
        let e = FxTable::from_json(&json).unwrap_err();
        assert!(matches!(e, FxError::NotPositive { .. }), "{r}: {e}");
        assert!(e.to_string().contains("must be positive"), "{e}");
    }
    // As a number too.
    let e = FxTable::from_json(r#"[{"from":"USD","to":"CNY","rate":-1,"date":"2025-01-01"}]"#)
        .unwrap_err();
    assert!(matches!(e, FxError::NotPositive { .. }), "{e}");
}

/// Regression: of two rates for one pair and day, one was picked silently.
#[test]
fn two_rates_for_one_pair_and_day_are_refused() {
    let e = FxTable::new(vec![
        rate("USD", "CNY", "7.1", "2025-01-01"),
        rate("USD", "EUR", "0.9", "2025-01-01"),
        rate("USD", "CNY", "7.2", "2025-01-01"),
    ])
    .unwrap_err();
    assert_eq!(
        e,
        FxError::Duplicate {
            from: "USD".into(),
            to: "CNY".into(),
            date: "2025-01-01".into(),
            first: "7.1".into(),
            second: "7.2".into(),
        }
    );
    // The same pair on another day, or the other direction, is fine.
    FxTable::new(vec![
        rate("USD", "CNY", "7.1", "2025-01-01"),
        rate("USD", "CNY", "7.2", "2025-01-02"),
        rate("CNY", "USD", "0.14", "2025-01-01"),
    ])
    .unwrap();
}

#[test]
fn a_rate_from_a_currency_to_itself_is_refused() {
    let e = FxTable::new(vec![rate("USD", "USD", "2", "2025-01-01")]).unwrap_err();
    assert!(matches!(e, FxError::SameCurrency { .. }), "{e}");
}

#[test]
fn a_malformed_fx_file_names_the_field() {
    let e = FxTable::from_json(r#"[{"from":"USD","to":"CNY","rate":"7.1x","date":"2025-01-01"}]"#)
        .unwrap_err();
    match e {
        FxError::Json { path, .. } => assert_eq!(path, "[0].rate"),
        other => panic!("{other}"),
    }
    // A rate with more digits than a decimal holds is refused, not rounded.
    let e = FxTable::from_json(
        r#"[{"from":"USD","to":"CNY","rate":"7.10000000000000000000000000001","date":"2025-01-01"}]"#,
    )
    .unwrap_err();
    assert!(matches!(e, FxError::Json { .. }), "{e}");
}

#[test]
fn the_cli_refuses_a_bad_fx_file() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fx-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("fx.json");
    std::fs::write(
        &f,
        r#"[{"from":"USD","to":"CNY","rate":"-7.1","date":"2025-01-01"}]"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args([
            "quote",
            "--model",
            "claude-sonnet-4-5",
            "--usage",
            r#"{"input_tokens":1000,"at":"2025-11-01T00:00:00Z"}"#,
            "--currency",
            "CNY",
            "--fx",
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "a price was printed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must be positive"), "{err}");
}

#[test]
fn an_inverse_rate_is_one_rounding_of_the_exact_quotient() {
    let r = rate("USD", "CNY", "7.1", "2025-01-01");
    // 1 / 7.1 = 0.1408450704|2253521126…
    let at = |places, rounding| r.inverse(places, rounding).unwrap().rate.to_string();
    assert_eq!(at(10, Rounding::Floor), "0.1408450704");
    assert_eq!(at(10, Rounding::Ceil), "0.1408450705");
    assert_eq!(at(10, Rounding::HalfUp), "0.1408450704");
    // 1 / 8 = 0.125 exactly: the half cases.
    let eight = rate("USD", "XXX", "8", "2025-01-01");
    let half = |rounding| eight.inverse(2, rounding).unwrap().rate.to_string();
    assert_eq!(half(Rounding::HalfUp), "0.13");
    assert_eq!(half(Rounding::HalfEven), "0.12");
    assert_eq!(
        eight.inverse(3, Rounding::Floor).unwrap().rate.to_string(),
        "0.125"
    );
    let inv = r.inverse(12, Rounding::HalfEven).unwrap();
    assert_eq!(inv.rate, "0.140845070423".parse::<Decimal>().unwrap());
    assert_eq!(inv.source, "1 / 7.1 (test), rounded half_even to 12 places");
    // A converted bill uses the inverse as given: 0.009 USD × 7.1 = 0.0639 CNY, and back
    // at the rounded inverse 0.0639 × 0.140845070423 = 0.0090000000000297 USD.
    let fx = FxTable::new(vec![r.clone(), inv]).unwrap();
    let u = Usage::from_json(
        r#"{"input_tokens":1000,"output_tokens":400,"at":"2025-11-01T00:00:00Z"}"#,
    )
    .unwrap();
    let bill = Catalog::builtin().quote("claude-sonnet-4-5", &u).unwrap();
    let cny = bill.convert(&fx, Currency::CNY).unwrap();
    assert_eq!(cny.total().to_string(), "0.0639");
    let back = cny.convert(&fx, Currency::USD).unwrap();
    assert_eq!(back.total().to_string(), "0.0090000000000297");
    // Places the arithmetic cannot hold are an error, not a rounded rate.
    assert!(matches!(
        r.inverse(40, Rounding::HalfEven),
        Err(FxError::Inverse { .. })
    ));
}
