//! The engine's mechanics on small tables written for each case: schedule history, context
//! tiers, windows, options, service tiers, regions, variants, fallbacks and conversions.

use rust_decimal::Decimal;
use tariff::{Catalog, Currency, FxTable, PriceError, QuotaPolicy, Rounding, Unit, Usage};

fn catalog(toml: &str) -> Catalog {
    Catalog::builder()
        .text("test.toml", toml)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn quote(c: &Catalog, model: &str, usage: &str) -> tariff::Bill {
    c.quote(model, &Usage::from_json(usage).unwrap())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

const HISTORY: &str = r#"
provider = "acme"
currency = "USD"
[fallbacks]
reasoning_tokens = "output_tokens"
[[model]]
id = "m"
aliases = ["m-2025-01-01"]
patterns = ["m-*"]
[[model.price]]
from = 2025-01-01
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 2, output_tokens = 8, cache_read_tokens = 0.5 }
[[model.price]]
from = 2025-06-01T12:00:00Z
source = "test"
as_of = 2025-06-01
rates = { input_tokens = 1, output_tokens = 4, cache_read_tokens = 0.25 }
[[model.price]]
service_tier = "batch"
from = 2025-01-01
scale = 0.5
source = "test"
as_of = 2025-01-01
[[model.price]]
service_tier = "priority"
from = 2025-01-01
until = 2025-09-01
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 3.5, output_tokens = 14 }
"#;

#[test]
fn price_history_picks_the_schedule_in_force() {
    let c = catalog(HISTORY);
    let before = quote(
        &c,
        "m",
        r#"{"input_tokens":1000000,"at":"2025-06-01T11:59:59Z"}"#,
    );
    let after = quote(
        &c,
        "m",
        r#"{"input_tokens":1000000,"at":"2025-06-01T12:00:00Z"}"#,
    );
    assert_eq!(before.total(), dec("2"));
    assert_eq!(after.total(), dec("1"));
    assert_eq!(
        before.schedule().until,
        after.schedule().from,
        "a later `from` closes the earlier schedule"
    );
    let err = c
        .quote(
            "m",
            &Usage::from_json(r#"{"input_tokens":1,"at":"2024-12-31T23:59:59Z"}"#).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, PriceError::NoPriceAt { .. }), "{err}");
}

#[test]
fn scaled_batch_follows_the_standard_history() {
    let c = catalog(HISTORY);
    let early = quote(
        &c,
        "m",
        r#"{"input_tokens":1000000,"output_tokens":1000000,"service_tier":"batch","at":"2025-03-01T00:00:00Z"}"#,
    );
    let late = quote(
        &c,
        "m",
        r#"{"input_tokens":1000000,"output_tokens":1000000,"service_tier":"batch","at":"2025-07-01T00:00:00Z"}"#,
    );
    assert_eq!(early.total(), dec("5")); // (2 + 8) / 2
    assert_eq!(late.total(), dec("2.5")); // (1 + 4) / 2
    assert_eq!(early.schedule().scale, Some(dec("0.5")));
    assert_eq!(early.lines()[0].unit_price(), dec("1"));
}

#[test]
fn explicit_until_ends_a_schedule() {
    let c = catalog(HISTORY);
    let p = quote(
        &c,
        "m",
        r#"{"input_tokens":2000000,"service_tier":"priority","at":"2025-08-31T00:00:00Z"}"#,
    );
    assert_eq!(p.total(), dec("7"));
    let err = c
        .quote(
            "m",
            &Usage::from_json(
                r#"{"input_tokens":1,"service_tier":"priority","at":"2025-09-01T00:00:00Z"}"#,
            )
            .unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, PriceError::NoPriceAt { .. }), "{err}");
    let err = c
        .quote(
            "m",
            &Usage::from_json(r#"{"input_tokens":1,"service_tier":"flex"}"#).unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(err, PriceError::UnpricedServiceTier { .. }),
        "{err}"
    );
}

#[test]
fn aliases_and_patterns_resolve_to_the_model() {
    let c = catalog(HISTORY);
    for name in ["m", "m-2025-01-01", "m-2030-12-31"] {
        assert_eq!(c.model(name).unwrap().id(), "m", "{name}");
    }
    match c.model("n").unwrap_err() {
        PriceError::UnknownModel { known, .. } => {
            let suggestions = known.closest("n");
            assert!(suggestions.is_empty() || suggestions == ["m"])
        }
        e => panic!("{e}"),
    }
}

#[test]
fn fallback_prices_reasoning_at_the_output_rate_and_says_so() {
    let c = catalog(HISTORY);
    let b = quote(
        &c,
        "m",
        r#"{"output_tokens":100,"reasoning_tokens":300,"at":"2025-03-01T00:00:00Z"}"#,
    );
    let r = b
        .lines()
        .iter()
        .find(|l| l.unit() == Unit::ReasoningTokens)
        .unwrap();
    assert_eq!(r.priced_as(), Some(Unit::OutputTokens));
    assert_eq!(r.amount(), dec("0.0024"));
    assert_eq!(b.total(), dec("0.0032"));
    let err = c
        .quote(
            "m",
            &Usage::from_json(r#"{"audio_input_tokens":5,"at":"2025-03-01T00:00:00Z"}"#).unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            PriceError::UnpricedUnit {
                unit: Unit::AudioInputTokens,
                ..
            }
        ),
        "{err}"
    );
}

const TIERED: &str = r#"
provider = "acme"
currency = "CNY"
[[model]]
id = "banded"
[[model.price]]
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 0.8, output_tokens = 2, cache_read_tokens = 0.16 }
[[model.price.tier]]
name = "long output"
above = 200
counts = ["output_tokens", "reasoning_tokens"]
rates = { output_tokens = 8 }
[[model.price.tier]]
name = "32K+"
above = 32_000
counts = ["input_tokens", "cache_read_tokens"]
rates = { input_tokens = 1.2, output_tokens = 16, cache_read_tokens = 0.24 }
[[model.price.tier]]
name = "128K+"
above = 128_000
counts = ["input_tokens", "cache_read_tokens"]
rates = { input_tokens = 2.4, output_tokens = 24, cache_read_tokens = 0.48 }
"#;

#[test]
fn context_tiers_are_whole_request_cliffs_and_the_last_match_wins() {
    let c = catalog(TIERED);
    let cases = [
        (
            r#"{"input_tokens":10000,"output_tokens":200}"#,
            None,
            "0.0084",
        ),
        (
            r#"{"input_tokens":10000,"output_tokens":201}"#,
            Some("long output"),
            "0.009608",
        ),
        (
            r#"{"input_tokens":20000,"cache_read_tokens":12000,"output_tokens":10}"#,
            None,
            "0.01794",
        ),
        (
            r#"{"input_tokens":20000,"cache_read_tokens":12001,"output_tokens":10}"#,
            Some("32K+"),
            "0.02704024",
        ),
        (
            r#"{"input_tokens":200000,"output_tokens":1000}"#,
            Some("128K+"),
            "0.504",
        ),
    ];
    for (usage, tier, total) in cases {
        let b = quote(&c, "banded", usage);
        assert_eq!(b.tier(), tier, "{usage}");
        assert_eq!(b.total(), dec(total), "{usage}");
        assert_eq!(b.currency(), Currency::CNY);
    }
}

const WINDOWED: &str = r#"
provider = "acme"
currency = "USD"
[[model]]
id = "w"
[[model.price]]
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 0.27, output_tokens = 1.10 }
[[model.price.window]]
name = "off-peak"
utc_offset = "+00:00"
start = "16:30"
end = "00:30"
rates = { input_tokens = 0.135, output_tokens = 0.55 }
[[model.price.window]]
name = "weekend morning"
utc_offset = "+08:00"
start = "08:00"
end = "09:00"
days = ["sat", "sun"]
rates = { input_tokens = 0 }
"#;

#[test]
fn time_windows_wrap_midnight_and_honour_weekdays_in_local_time() {
    let c = catalog(WINDOWED);
    let at = |t: &str| {
        quote(
            &c,
            "w",
            &format!(r#"{{"input_tokens":1000000,"at":"{t}"}}"#),
        )
    };
    assert_eq!(at("2025-03-03T16:29:59Z").window(), None);
    assert_eq!(at("2025-03-03T16:30:00Z").window(), Some("off-peak"));
    assert_eq!(at("2025-03-03T16:30:00Z").total(), dec("0.135"));
    assert_eq!(at("2025-03-04T00:29:59Z").window(), Some("off-peak"));
    assert_eq!(at("2025-03-04T00:30:00Z").window(), None);
    // 2025-03-01 is a Saturday: 08:30 at +08:00 is 00:30 UTC.
    assert_eq!(at("2025-03-01T00:30:00Z").window(), Some("weekend morning"));
    assert_eq!(at("2025-03-01T00:30:00Z").total(), dec("0"));
    // Monday 08:30 local: not a weekend.
    assert_eq!(at("2025-03-03T00:30:00Z").window(), None);
}

const OPTIONS_REGIONS: &str = r#"
provider = "acme"
currency = "CNY"
[[model]]
id = "q"
default_region = "cn"
[[model.price]]
region = "cn"
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 0.8, output_tokens = 2 }
[[model.price.option]]
when = { thinking = "true" }
rates = { output_tokens = 8, reasoning_tokens = 8 }
[[model.price]]
region = "intl"
currency = "USD"
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 0.4, output_tokens = 1.2, reasoning_tokens = 1.2 }
"#;

#[test]
fn options_and_regions_select_rates_and_currency() {
    let c = catalog(OPTIONS_REGIONS);
    let plain = quote(
        &c,
        "q",
        r#"{"input_tokens":1000000,"output_tokens":1000000}"#,
    );
    assert_eq!(
        (plain.total(), plain.currency()),
        (dec("2.8"), Currency::CNY)
    );
    let thinking = quote(
        &c,
        "q",
        r#"{"input_tokens":1000000,"output_tokens":1000000,"options":{"thinking":"true"}}"#,
    );
    assert_eq!(thinking.total(), dec("8.8"));
    assert_eq!(thinking.option(), Some("thinking=true"));
    let intl = quote(
        &c,
        "q",
        r#"{"input_tokens":1000000,"output_tokens":1000000,"region":"intl"}"#,
    );
    assert_eq!((intl.total(), intl.currency()), (dec("1.6"), Currency::USD));
    let err = c
        .quote(
            "q",
            &Usage::from_json(r#"{"input_tokens":1,"region":"mars"}"#).unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(err, PriceError::UnknownRegion { ref available, .. } if available == &["cn", "intl"]),
        "{err}"
    );
}

const MEDIA: &str = r#"
provider = "acme"
currency = "USD"
[[model]]
id = "painter"
kind = "image"
[[model.price]]
source = "test"
as_of = 2025-01-01
rates = { images = [
  { size = "1024x1024", quality = "standard", price = 0.04 },
  { size = "1024x1024", quality = "hd", price = 0.08 },
  { size = "1792x1024", price = 0.12 },
] }
[[model]]
id = "filmer"
kind = "video"
[[model.price]]
source = "test"
as_of = 2025-01-01
rates = { video_seconds = [ { resolution = "720p", price = 0.10 }, { resolution = "1080p", price = 0.15 } ], audio_seconds = { price = 0.006, per = 60 } }
"#;

#[test]
fn images_and_video_are_priced_by_variant() {
    let c = catalog(MEDIA);
    let b = quote(
        &c,
        "painter",
        r#"{"images":[{"count":2,"size":"1024x1024","quality":"hd"},{"count":1,"size":"1792x1024","quality":"standard"}]}"#,
    );
    assert_eq!(b.total(), dec("0.28"));
    assert_eq!(b.lines().len(), 2);
    let err = c
        .quote(
            "painter",
            &Usage::from_json(r#"{"images":[{"count":1,"size":"512x512"}]}"#).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, PriceError::UnpricedVariant { .. }), "{err}");
    let v = quote(
        &c,
        "filmer",
        r#"{"video_seconds":8,"resolution":"1080p","audio_seconds":90}"#,
    );
    assert_eq!(v.total(), dec("1.209"));
    let err = c
        .quote(
            "filmer",
            &Usage::from_json(r#"{"video_seconds":8}"#).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, PriceError::UnpricedVariant { .. }), "{err}");
}

#[test]
fn conversions_keep_total_equal_to_lines_and_round_once() {
    let c = catalog(HISTORY);
    let b = quote(
        &c,
        "m",
        r#"{"input_tokens":1234,"output_tokens":567,"at":"2025-03-01T00:00:00Z"}"#,
    );
    assert_eq!(b.total(), dec("0.007004"));
    let fx = FxTable::from_json(
        r#"[{"from":"USD","to":"CNY","rate":"7.1","date":"2025-01-01"},{"from":"USD","to":"CNY","rate":"7.3","date":"2025-04-01"}]"#,
    )
    .unwrap();
    let cny = b.convert(&fx, Currency::CNY).unwrap();
    assert_eq!(cny.total(), dec("0.0497284"));
    assert_eq!(
        cny.total(),
        cny.lines().iter().map(|l| l.amount()).sum::<Decimal>()
    );
    assert!(b.convert(&fx, Currency::parse("EUR").unwrap()).is_err());

    let q = b.quota(&QuotaPolicy::new_api()).unwrap();
    assert_eq!((q.units, q.exact), (3502, dec("3502")));
    let floor = QuotaPolicy {
        group_ratio: dec("1.5"),
        rounding: Rounding::Floor,
        ..QuotaPolicy::new_api()
    };
    assert_eq!(b.quota(&floor).unwrap().units, 5253); // 5253.0
    let ceil = QuotaPolicy {
        group_ratio: dec("0.3"),
        rounding: Rounding::Ceil,
        ..QuotaPolicy::new_api()
    };
    assert_eq!(b.quota(&ceil).unwrap().units, 1051); // 1050.6
    assert!(
        cny.quota(&QuotaPolicy::new_api()).is_err(),
        "quota is defined in USD"
    );
}

#[test]
fn a_relay_table_can_replace_a_model_explicitly() {
    let markup = r#"
provider = "relay"
currency = "USD"
[[model]]
id = "m"
replaces = true
[[model.price]]
source = "relay price list"
as_of = 2025-01-01
rates = { input_tokens = 3, output_tokens = 12 }
"#;
    let c = Catalog::builder()
        .text("base.toml", HISTORY)
        .text("relay.toml", markup)
        .build()
        .unwrap();
    for name in ["m", "m-2025-01-01", "m-2099"] {
        let b = quote(
            &c,
            name,
            r#"{"input_tokens":1000000,"at":"2025-03-01T00:00:00Z"}"#,
        );
        assert_eq!((b.total(), b.provider()), (dec("3"), "relay"), "{name}");
    }
    let without = markup.replace("replaces = true\n", "");
    let err = Catalog::builder()
        .text("base.toml", HISTORY)
        .text("relay.toml", without)
        .build()
        .unwrap_err();
    assert!(
        err.problems[0]
            .message
            .contains("already defined at base.toml"),
        "{err}"
    );
    let nothing = markup.replace("id = \"m\"", "id = \"zz\"");
    let err = Catalog::builder()
        .text("base.toml", HISTORY)
        .text("relay.toml", nothing)
        .build()
        .unwrap_err();
    assert!(
        err.problems[0].message.contains("replaces nothing"),
        "{err}"
    );
}

#[test]
fn a_band_without_a_published_price_is_an_error_not_the_band_below() {
    let t = r#"
provider = "acme"
currency = "USD"
[[model]]
id = "long"
[[model.price]]
service_tier = "priority"
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 5, output_tokens = 20 }
[[model.price.tier]]
name = "over 272K"
above = 272_000
counts = ["input_tokens", "cache_read_tokens"]
unpriced = true
"#;
    let c = catalog(t);
    let ok = quote(
        &c,
        "long",
        r#"{"input_tokens":272000,"service_tier":"priority"}"#,
    );
    assert_eq!(ok.total(), dec("1.36"));
    let err = c
        .quote(
            "long",
            &Usage::from_json(r#"{"input_tokens":272001,"service_tier":"priority"}"#).unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, PriceError::UnpricedTier { .. }), "{err}");
    let both = t.replace(
        "unpriced = true",
        "unpriced = true\nrates = { input_tokens = 10 }",
    );
    assert!(Catalog::builder().text("t.toml", both).build().is_err());
}

#[test]
fn the_most_literal_pattern_wins() {
    let t = r#"
provider = "acme"
currency = "USD"
[[model]]
id = "big"
patterns = ["big-*"]
[[model.price]]
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 1 }
[[model]]
id = "big-mini"
patterns = ["big-mini-*"]
[[model.price]]
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 1 }
[[model]]
id = "big-preview"
patterns = ["big-*-preview-*"]
[[model.price]]
source = "test"
as_of = 2025-01-01
rates = { input_tokens = 1 }
"#;
    let c = catalog(t);
    for (name, want) in [
        ("big-2025", "big"),
        ("big-mini-2025", "big-mini"),
        ("big-x-preview-1", "big-preview"),
        ("big-mini-preview-1", "big-preview"),
    ] {
        assert_eq!(c.model(name).unwrap().id(), want, "{name}");
    }
    assert!(c.model("bi").is_err());
}
