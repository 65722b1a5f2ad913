//! Invariants of every bill, checked on random usage against every built-in model:
//! total = sum of lines; every bucket priced exactly once; more usage never costs less;
//! the price at a date is that date's schedule.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff::{Catalog, Model, ServiceTier, Tokens, Unit, Usage};

fn at() -> DateTime<Utc> {
    "2026-11-01T00:00:00Z".parse().unwrap()
}

/// The token units a model prices (directly or through a fallback) at `at()`.
fn priced_token_units(m: &Model) -> Vec<Unit> {
    Unit::TOKEN_UNITS
        .into_iter()
        .filter(|u| {
            let mut usage = Usage {
                at: Some(at()),
                ..Usage::default()
            };
            set(&mut usage, *u, 1);
            tariff::price::quote(m, &usage).is_ok()
        })
        .collect()
}

fn set(u: &mut Usage, unit: Unit, n: u64) {
    let t = Tokens::new(n).unwrap();
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
        other => panic!("{other} is not a token unit"),
    }
}

/// Models priced at `at()` for the standard tier, with the token units they price.
fn subjects() -> Vec<(&'static Model, Vec<Unit>)> {
    Catalog::builtin()
        .models()
        .iter()
        .map(|m| (m, priced_token_units(m)))
        .filter(|(_, units)| !units.is_empty())
        .collect()
}

fn usage_strategy() -> impl Strategy<Value = (usize, Vec<u64>, usize, u64, usize)> {
    (
        any::<usize>(),
        proptest::collection::vec(0u64..400_000, Unit::TOKEN_UNITS.len()),
        any::<usize>(),
        1u64..300_000,
        0usize..ServiceTier::ALL.len(),
    )
}

fn build(units: &[Unit], counts: &[u64], tier: ServiceTier) -> Usage {
    let mut u = Usage {
        at: Some(at()),
        service_tier: Some(tier),
        ..Usage::default()
    };
    for (unit, n) in units.iter().zip(counts) {
        set(&mut u, *unit, *n);
    }
    u
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn bills_are_sums_of_exclusive_lines_and_monotone((pick, counts, grow, delta, tier) in usage_strategy()) {
        let subjects = subjects();
        prop_assume!(!subjects.is_empty());
        let (model, units) = &subjects[pick % subjects.len()];
        let tier = ServiceTier::ALL[tier];
        let usage = build(units, &counts, tier);
        let Ok(bill) = tariff::price::quote(model, &usage) else {
            // Only the service tier can be unpriced here: every unit was checked above.
            prop_assert!(tariff::price::quote(model, &build(units, &counts, ServiceTier::Standard)).is_ok());
            return Ok(());
        };
        // Total is the exact sum of the lines.
        prop_assert_eq!(bill.total(), bill.lines().iter().map(|l| l.amount()).sum::<Decimal>());
        // Every bucket appears on exactly one line, with exactly its quantity.
        for unit in Unit::TOKEN_UNITS {
            let lines: Vec<_> = bill.lines().iter().filter(|l| l.unit() == unit).collect();
            let q = usage.tokens(unit);
            if q == 0 {
                prop_assert!(lines.is_empty(), "{} has a line but no usage", unit);
            } else {
                prop_assert_eq!(lines.len(), 1, "{} must be on exactly one line", unit);
                prop_assert_eq!(lines[0].quantity(), Decimal::from(q));
            }
        }
        // More of any bucket never costs less.
        let unit = units[grow % units.len()];
        let mut more = usage.clone();
        set(&mut more, unit, usage.tokens(unit) + delta);
        let bigger = match tariff::price::quote(model, &more) {
            Ok(b) => b,
            // Growing into a band the vendor publishes no price for is an error, not a price.
            Err(tariff::PriceError::UnpricedTier { .. }) => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(format!("{}: {e}", model.id()))),
        };
        prop_assert!(bigger.total() >= bill.total(), "{}: +{} {} cost less: {} < {}", model.id(), delta, unit, bigger.total(), bill.total());
    }

    #[test]
    fn a_date_is_priced_by_the_schedule_in_force_then(pick in any::<usize>(), offset in 0i64..86_400 * 30) {
        // Models with a price history: pricing just after each change uses the new schedule.
        let with_history: Vec<&Model> = Catalog::builtin()
            .models()
            .iter()
            .filter(|m| m.schedules().iter().filter(|s| s.service_tier() == ServiceTier::Standard && s.from().is_some()).count() > 1)
            .collect();
        prop_assume!(!with_history.is_empty());
        let m = with_history[pick % with_history.len()];
        for s in m.schedules().iter().filter(|s| s.service_tier() == ServiceTier::Standard) {
            let Some(from) = s.from() else { continue };
            let mut t = from + Duration::seconds(offset);
            if let Some(until) = s.until() { if t >= until { t = from; } }
            let units = priced_token_units(m);
            let mut u = Usage { at: Some(t), region: s.region().map(str::to_string), ..Usage::default() };
            for unit in &units { set(&mut u, *unit, 1000); }
            if let Ok(bill) = tariff::price::quote(m, &u) {
                prop_assert_eq!(bill.schedule().from, s.from(), "{} at {}", m.id(), t);
                prop_assert_eq!(bill.schedule().source.as_ref(), s.source());
            }
        }
    }
}
