//! A bill's total is the sum of its lines: over random usage records, every built-in
//! model, every service tier and times across the tables' history, and again after a
//! currency conversion and in the JSON form (what `tariff quote --json` prints).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff_core::{
    price, Bill, Catalog, Count, Currency, FxRate, FxTable, Seconds, ServiceTier, Tokens, Unit,
    Usage,
};

/// The scalar units a random record may carry (images and video are itemized by variant and
/// covered by the engine's own tests).
const UNITS: [Unit; 15] = [
    Unit::InputTokens,
    Unit::CacheReadTokens,
    Unit::CacheWriteTokens,
    Unit::CacheWrite1hTokens,
    Unit::OutputTokens,
    Unit::ReasoningTokens,
    Unit::AudioInputTokens,
    Unit::AudioCacheReadTokens,
    Unit::AudioOutputTokens,
    Unit::ImageInputTokens,
    Unit::ImageOutputTokens,
    Unit::Requests,
    Unit::WebSearchCalls,
    Unit::Characters,
    Unit::AudioSeconds,
];

fn set(u: &mut Usage, unit: Unit, n: u64) {
    let t = Tokens::new(n).expect("a small count");
    let c = Count::new(n).expect("a small count");
    match unit {
        Unit::InputTokens => u.input_tokens = t,
        Unit::CacheReadTokens => u.cache_read_tokens = t,
        Unit::CacheWriteTokens => u.cache_write_tokens = t,
        Unit::CacheWrite1hTokens => u.cache_write_1h_tokens = t,
        Unit::OutputTokens => u.output_tokens = t,
        Unit::ReasoningTokens => u.reasoning_tokens = t,
        Unit::AudioInputTokens => u.audio_input_tokens = t,
        Unit::AudioCacheReadTokens => u.audio_cache_read_tokens = t,
        Unit::AudioOutputTokens => u.audio_output_tokens = t,
        Unit::ImageInputTokens => u.image_input_tokens = t,
        Unit::ImageOutputTokens => u.image_output_tokens = t,
        Unit::Requests => u.requests = c,
        Unit::WebSearchCalls => u.web_search_calls = c,
        Unit::Characters => u.characters = c,
        // Tenths of a second: quantities are decimals, not only integers.
        Unit::AudioSeconds => {
            u.audio_seconds = Seconds::new(Decimal::new(n as i64, 1)).expect("a small count")
        }
        other => unreachable!("{other} is not in UNITS"),
    }
}

fn sum(lines: impl IntoIterator<Item = Decimal>) -> Decimal {
    lines.into_iter().fold(Decimal::ZERO, |a, b| a + b)
}

fn decimal(v: &serde_json::Value) -> Decimal {
    match v {
        serde_json::Value::String(s) => s.parse().expect("an exact decimal"),
        other => other.to_string().parse().expect("an exact decimal"),
    }
}

/// Checks every form of the invariant on one bill.
fn check(bill: &Bill, fx_rate: Decimal) -> Result<(), TestCaseError> {
    let lines = bill.lines();
    prop_assert_eq!(bill.total(), sum(lines.iter().map(|l| l.amount())));
    for l in lines {
        prop_assert!(l.amount() >= Decimal::ZERO);
        prop_assert!(!l.quantity().is_zero(), "a line for nothing: {}", l.item());
    }

    // The JSON form says the same, exactly.
    let json = serde_json::to_value(bill).expect("a bill serializes");
    let json_lines = json["lines"].as_array().expect("lines");
    prop_assert_eq!(json_lines.len(), lines.len());
    prop_assert_eq!(
        decimal(&json["total"]),
        sum(json_lines.iter().map(|l| decimal(&l["amount"])))
    );
    prop_assert_eq!(decimal(&json["total"]), bill.total());

    // Converted: each line times the rate, and the total re-summed from them.
    let to = if bill.currency() == Currency::USD {
        Currency::CNY
    } else {
        Currency::USD
    };
    let day = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
    let fx = FxTable::new(vec![FxRate {
        from: bill.currency(),
        to,
        rate: fx_rate,
        date: day,
        source: "test".into(),
    }])
    .expect("a valid table");
    let converted = bill.convert(&fx, to).expect("converts");
    prop_assert_eq!(converted.currency(), to);
    prop_assert_eq!(converted.lines().len(), lines.len());
    prop_assert_eq!(
        converted.total(),
        sum(converted.lines().iter().map(|l| l.amount()))
    );
    for (a, b) in lines.iter().zip(converted.lines()) {
        prop_assert_eq!(b.amount(), a.amount() * fx_rate);
        prop_assert_eq!(b.quantity(), a.quantity());
    }
    Ok(())
}

fn start() -> DateTime<Utc> {
    "2024-01-01T00:00:00Z".parse().expect("a time")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn a_bill_total_is_the_sum_of_its_lines(
        pick in any::<usize>(),
        counts in prop::collection::vec(prop_oneof![Just(0u64), 1u64..1_000, 1u64..5_000_000], UNITS.len()),
        tier in 0usize..ServiceTier::ALL.len(),
        minutes in 0i64..(3 * 366 * 24 * 60),
        fx_mantissa in 1i64..100_000_000_000,
        fx_scale in 0u32..10,
    ) {
        let models = Catalog::builtin().models();
        let model = &models[pick % models.len()];
        let mut usage = Usage {
            at: Some(start() + Duration::minutes(minutes)),
            service_tier: Some(ServiceTier::ALL[tier]),
            region: model.default_region().map(str::to_string),
            ..Usage::default()
        };
        for (unit, n) in UNITS.iter().zip(&counts) {
            set(&mut usage, *unit, *n);
        }
        let fx_rate = Decimal::new(fx_mantissa, fx_scale);
        // Most random records name a unit the model does not price (an error, not a bill):
        // drop such units one at a time until the record prices or nothing is left.
        loop {
            match price::quote(model, &usage) {
                Ok(bill) => {
                    prop_assert_eq!(bill.at(), usage.at.expect("set above"));
                    prop_assert_eq!(bill.model(), model.id());
                    check(&bill, fx_rate)?;
                    break;
                }
                Err(tariff_core::PriceError::UnpricedUnit { unit, .. })
                | Err(tariff_core::PriceError::NoMatchingOption { unit, .. }) => {
                    prop_assume!(UNITS.contains(&unit));
                    set(&mut usage, unit, 0);
                }
                // No schedule for the tier, the region or the time: nothing to check.
                Err(_) => break,
            }
        }
    }
}

/// The property above is not vacuous: the typical Anthropic record prices, with six lines.
#[test]
fn the_property_sees_real_bills() {
    let m = Catalog::builtin()
        .resolve("claude-sonnet-4-5")
        .expect("built in");
    let mut usage = Usage {
        at: Some("2025-11-01T00:00:00Z".parse().expect("a time")),
        ..Usage::default()
    };
    for (unit, n) in UNITS.iter().zip([1200, 24000, 3000, 1000, 650, 900]) {
        set(&mut usage, *unit, n);
    }
    let bill = price::quote(m, &usage).expect("prices");
    assert_eq!(bill.lines().len(), 6);
    check(&bill, Decimal::new(71, 1)).expect("the invariant holds");
}
