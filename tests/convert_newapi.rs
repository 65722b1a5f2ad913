//! new-api ratio options in and out: golden conversions worked by hand from new-api's
//! billing rules, bad input, collisions with the built-in tables, round trips.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff::convert::newapi::{export, import, ExportOptions, ImportOptions, RatioConfig};
use tariff::convert::ImportError;
use tariff::{Catalog, FxRate, FxTable, QuotaPolicy, Usage};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn opts() -> ImportOptions {
    ImportOptions::new(
        "options.json",
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
    )
}

/// Imports the options onto nothing and loads the table.
fn load(json: &str) -> (Catalog, tariff::convert::Report) {
    let config = RatioConfig::from_json(json).unwrap();
    let out = import(&config, &opts(), &Catalog::default());
    let toml = out.table.to_toml();
    let catalog = Catalog::builder()
        .text("new-api.toml", toml.clone())
        .build()
        .unwrap_or_else(|e| panic!("{e}\n{toml}"));
    (catalog, out.report)
}

fn total(c: &Catalog, model: &str, usage: &str) -> String {
    c.quote(model, &Usage::from_json(usage).unwrap())
        .unwrap()
        .total()
        .to_string()
}

#[test]
fn model_ratio_one_is_two_dollars_per_million_input_tokens() {
    let (c, _) = load(r#"{"ModelRatio": {"m": 1}, "CompletionRatio": {"m": 1}}"#);
    // 1 = USD 0.002 per 1K tokens
    assert_eq!(total(&c, "m", r#"{"input_tokens": 1000}"#), "0.002");
    assert_eq!(total(&c, "m", r#"{"input_tokens": 1000000}"#), "2");
}

#[test]
fn gpt_4o_ratios_give_its_list_price() {
    // new-api's defaults for gpt-4o: ModelRatio 1.25, CompletionRatio 4 (in code), CacheRatio 0.5:
    // input 2.5, output 10, cached input 1.25 USD per 1M.
    let (c, _) = load(
        r#"{"ModelRatio": {"gpt-4o": 1.25}, "CompletionRatio": {"gpt-4o": 4}, "CacheRatio": {"gpt-4o": 0.5}}"#,
    );
    // 1000 × 2.5 + 2000 × 1.25 + 500 × 10, per 1M
    assert_eq!(
        total(
            &c,
            "gpt-4o",
            r#"{"input_tokens": 1000, "cache_read_tokens": 2000, "output_tokens": 500}"#
        ),
        "0.01"
    );
}

#[test]
fn claude_ratios_give_the_same_bill_as_the_vendor_table() {
    // Claude Sonnet 4.5 in new-api: ModelRatio 1.5, CompletionRatio 5, CacheRatio 0.1,
    // CreateCacheRatio 1.25, and 1-hour writes at CreateCacheRatio × 6/3.75: 3 / 15 / 0.3 /
    // 3.75 / 6 USD per 1M, Anthropic's price list.
    let (c, _) = load(
        r#"{"ModelRatio": {"claude-sonnet-4-5-20250929": 1.5}, "CompletionRatio": {"claude-sonnet-4-5-20250929": 5},
            "CacheRatio": {"claude-sonnet-4-5-20250929": 0.1}, "CreateCacheRatio": {"claude-sonnet-4-5-20250929": 1.25}}"#,
    );
    let usage = r#"{"input_tokens":1000,"cache_write_tokens":2000,"cache_write_1h_tokens":500,"cache_read_tokens":3000,"output_tokens":400,"at":"2025-11-01T00:00:00Z"}"#;
    assert_eq!(total(&c, "claude-sonnet-4-5-20250929", usage), "0.0204");
    assert_eq!(
        Catalog::builtin()
            .quote("claude-sonnet-4-5", &Usage::from_json(usage).unwrap())
            .unwrap()
            .total()
            .to_string(),
        "0.0204"
    );
}

#[test]
fn model_price_is_dollars_per_call_and_wins_over_the_ratio() {
    let (c, report) = load(r#"{"ModelPrice": {"dall-e-3": 0.04}, "ModelRatio": {"dall-e-3": 5}}"#);
    assert_eq!(total(&c, "dall-e-3", r#"{"requests": 3}"#), "0.12");
    // Tokens are not what new-api bills it by.
    assert!(c
        .quote(
            "dall-e-3",
            &Usage::from_json(r#"{"input_tokens": 10}"#).unwrap()
        )
        .is_err());
    assert!(report
        .notes
        .iter()
        .any(|n| n.model == "dall-e-3" && n.message.contains("ModelPrice wins")));
}

#[test]
fn absent_ratios_take_new_apis_defaults_and_say_so() {
    let (c, report) = load(r#"{"ModelRatio": {"m": 2}}"#);
    // input 4 per 1M; cache reads 1 × input; cache writes 1.25 × input; 1-hour writes
    // 1.25 × 1.6 = 2 × input; output 1 × input (with a note).
    assert_eq!(total(&c, "m", r#"{"cache_read_tokens": 1000000}"#), "4");
    assert_eq!(total(&c, "m", r#"{"cache_write_tokens": 1000000}"#), "5");
    assert_eq!(total(&c, "m", r#"{"cache_write_1h_tokens": 1000000}"#), "8");
    assert_eq!(total(&c, "m", r#"{"output_tokens": 1000000}"#), "4");
    assert!(report
        .notes
        .iter()
        .any(|n| n.model == "m" && n.message.contains("no CompletionRatio")));
    // Reasoning is completion to new-api: priced through the fallback to output.
    let (c, _) = load(r#"{"ModelRatio": {"m": 2}, "CompletionRatio": {"m": 3}}"#);
    let bill = c
        .quote(
            "m",
            &Usage::from_json(r#"{"reasoning_tokens": 1000000}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(bill.total().to_string(), "12");
    assert_eq!(
        bill.lines()[0].priced_as(),
        Some(tariff::Unit::OutputTokens)
    );
}

#[test]
fn image_ratio_prices_image_tokens() {
    let (c, _) =
        load(r#"{"ModelRatio": {"m": 1}, "CompletionRatio": {"m": 1}, "ImageRatio": {"m": 2}}"#);
    assert_eq!(total(&c, "m", r#"{"image_input_tokens": 1000000}"#), "4");
}

#[test]
fn quota_matches_new_apis_formula_with_a_group_ratio() {
    let (c, _) = load(
        r#"{"ModelRatio": {"m": 1.25}, "CompletionRatio": {"m": 4}, "CacheRatio": {"m": 0.5}, "GroupRatio": {"vip": 0.8}}"#,
    );
    let bill = c
        .quote(
            "m",
            &Usage::from_json(
                r#"{"input_tokens": 1000, "cache_read_tokens": 2000, "output_tokens": 500}"#,
            )
            .unwrap(),
        )
        .unwrap();
    // new-api: (1000 + 2000 × 0.5 + 500 × 4) × 1.25 × 0.8 = 4000 quota
    let policy = QuotaPolicy {
        group_ratio: d("0.8"),
        ..QuotaPolicy::new_api()
    };
    assert_eq!(bill.quota(&policy).unwrap().units, 4000);
}

#[test]
fn option_values_may_be_json_text_as_new_api_stores_them() {
    let c = RatioConfig::from_json(
        r#"{"ModelRatio": "{\"a\": 0.3572, \"b\": 1e-3}", "GroupRatio": {"default": 1, "vip": 0.75}}"#,
    )
    .unwrap();
    assert_eq!(c.model_ratio["a"], d("0.3572"));
    assert_eq!(c.model_ratio["b"], d("0.001"));
    assert_eq!(c.group_ratio["vip"], d("0.75"));
}

#[test]
fn bad_options_are_errors_naming_the_key_and_model() {
    let err = |j: &str| RatioConfig::from_json(j).unwrap_err();
    let e = err(r#"{"ModelRatios": {"a": 1}}"#);
    assert!(
        matches!(&e, ImportError::UnknownOption { key, suggestions, .. }
        if key == "ModelRatios" && suggestions.contains(&"ModelRatio".to_string()))
    );
    assert!(e.to_string().contains("did you mean `ModelRatio`"), "{e}");

    let e = err(r#"{"CompletionRatio": {"gpt-4o": "four"}}"#);
    assert_eq!(
        e.to_string(),
        "`CompletionRatio` of `gpt-4o`: `\"four\"` is not a number"
    );
    let e = err(r#"{"CacheRatio": {"gpt-4o": null}}"#);
    assert!(matches!(e, ImportError::NotANumber { ref name, .. } if name == "gpt-4o"));
    let e = err(r#"{"ModelRatio": {"gpt-4o": -1.25}}"#);
    assert_eq!(
        e.to_string(),
        "`ModelRatio` of `gpt-4o` is negative (-1.25)"
    );
    let e = err(r#"{"ModelRatio": {"gpt-4o": 1e999}}"#);
    assert!(matches!(e, ImportError::OutOfRange { .. }), "{e}");
    let e = err(r#"{"ModelRatio": [1, 2]}"#);
    assert!(
        e.to_string().contains("ModelRatio: expected a JSON object"),
        "{e}"
    );
    let e = err(r#"{"ModelRatio": {"": 1}}"#);
    assert_eq!(e.to_string(), "`ModelRatio` has an empty model name");
    let e = err("{\"ModelRatio\": {\"a\": 1,}}");
    assert!(matches!(e, ImportError::Json { line: 1, .. }), "{e}");
    let e = err(r#"{"AudioRatio": {"gpt-4o-audio-preview": 16}}"#);
    assert!(
        e.to_string()
            .starts_with("option `AudioRatio` is not supported"),
        "{e}"
    );
    let e = err("[]");
    assert!(matches!(e, ImportError::NotAnObject { .. }));
}

#[test]
fn ratios_for_models_without_a_price_are_reported_not_dropped() {
    let (_, report) = load(r#"{"ModelRatio": {"a": 1}, "CompletionRatio": {"a": 2, "ghost": 3}}"#);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].model, "ghost");
    assert!(report.skipped[0].message.contains("CompletionRatio"));
}

#[test]
fn wildcard_keys_become_patterns() {
    let (c, _) =
        load(r#"{"ModelRatio": {"gpt-4-gizmo-*": 15}, "CompletionRatio": {"gpt-4-gizmo-*": 2}}"#);
    assert_eq!(
        total(&c, "gpt-4-gizmo-g-abc", r#"{"input_tokens": 1000}"#),
        "0.03"
    );
}

#[test]
fn built_in_models_are_replaced_and_both_load_together() {
    let config = RatioConfig::from_json(
        r#"{"ModelRatio": {"claude-sonnet-4-5-20250929": 2, "claude-sonnet-4-5": 2, "my-own": 1},
            "CompletionRatio": {"claude-sonnet-4-5-20250929": 5, "claude-sonnet-4-5": 5, "my-own": 1}}"#,
    )
    .unwrap();
    let out = import(&config, &opts(), Catalog::builtin());
    let toml = out.table.to_toml();
    assert!(toml.contains("replaces = true"));
    let c = Catalog::builder()
        .builtin()
        .text("new-api.toml", toml)
        .build()
        .unwrap();
    // Both names resolve to the one replacement: 4 per 1M input.
    for name in ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"] {
        assert_eq!(total(&c, name, r#"{"input_tokens": 1000000}"#), "4");
    }
    assert_eq!(total(&c, "my-own", r#"{"input_tokens": 1000000}"#), "2");
    assert!(out.report.skipped.is_empty());

    // Two names of one built-in model with different prices: the second is reported.
    let config = RatioConfig::from_json(
        r#"{"ModelRatio": {"claude-sonnet-4-5-20250929": 2, "claude-sonnet-4-5": 1.5}}"#,
    )
    .unwrap();
    let out = import(&config, &opts(), Catalog::builtin());
    assert_eq!(out.report.skipped.len(), 1);
    assert_eq!(out.report.skipped[0].model, "claude-sonnet-4-5-20250929");
    Catalog::builder()
        .builtin()
        .text("new-api.toml", out.table.to_toml())
        .build()
        .unwrap();

    // Or left out altogether.
    let mut o = opts();
    o.collisions = tariff::convert::Collision::Skip;
    let out = import(&config, &o, Catalog::builtin());
    assert_eq!(out.table.models.len(), 0);
    assert_eq!(out.report.skipped.len(), 2);
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn export_of_the_built_in_claude_table() {
    let out = export(
        Catalog::builtin(),
        &ExportOptions::new(at("2025-11-01T00:00:00Z")),
    );
    let c = &out.config;
    for key in ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"] {
        // 3 / 15 / 0.30 / 3.75 USD per 1M: ratio 1.5, ×5, ×0.1, ×1.25
        assert_eq!(c.model_ratio[key], d("1.5"));
        assert_eq!(c.completion_ratio[key], d("5"));
        assert_eq!(c.cache_ratio[key], d("0.1"));
        assert_eq!(c.create_cache_ratio[key], d("1.25"));
    }
    // The long-context tier and the batch schedule are reported, not silently dropped.
    let notes: Vec<&str> = out
        .report
        .notes
        .iter()
        .filter(|n| n.model == "claude-sonnet-4-5")
        .map(|n| n.message.as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("context tiers not exported")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("batch prices not exported")),
        "{notes:?}"
    );
    // 6 = 3.75 × 1.6: no note about 1-hour writes.
    assert!(!notes.iter().any(|n| n.contains("1-hour")), "{notes:?}");
}

const CNY_TABLE: &str = r#"
provider = "cnco"
currency = "CNY"

[[model]]
id = "cn-model"

[[model.price]]
source = "test"
as_of = 2026-01-01
rates = { input_tokens = 7.2, output_tokens = 14.4 }
"#;

#[test]
fn cny_prices_need_an_fx_rate() {
    let c = Catalog::builder()
        .text("cn.toml", CNY_TABLE)
        .build()
        .unwrap();
    let o = ExportOptions::new(at("2026-06-01T00:00:00Z"));
    let out = export(&c, &o);
    assert!(out.config.model_ratio.is_empty());
    assert!(out.report.skipped[0].message.contains("priced in CNY"));
    let mut o = o;
    o.fx = Some(
        FxTable::new(vec![FxRate {
            from: "CNY".parse().unwrap(),
            to: "USD".parse().unwrap(),
            rate: d("0.14"),
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            source: "test".into(),
        }])
        .unwrap(),
    );
    let out = export(&c, &o);
    // 7.2 CNY × 0.14 = 1.008 USD per 1M = ratio 0.504; output is twice the input.
    assert_eq!(out.config.model_ratio["cn-model"], d("0.504"));
    assert_eq!(out.config.completion_ratio["cn-model"], d("2"));
}

#[test]
fn units_new_api_cannot_express_are_reported() {
    let table = r#"
provider = "x"
currency = "USD"

[[model]]
id = "searcher"

[[model.price]]
source = "test"
as_of = 2026-01-01
rates = { input_tokens = 1, output_tokens = 2, web_search_calls = 10, reasoning_tokens = 5 }

[[model]]
id = "painter"
kind = "image"

[[model.price]]
source = "test"
as_of = 2026-01-01
rates = { images = [{ size = "1024x1024", price = 0.04 }] }
"#;
    let c = Catalog::builder().text("x.toml", table).build().unwrap();
    let out = export(&c, &ExportOptions::new(at("2026-06-01T00:00:00Z")));
    assert_eq!(out.config.model_ratio["searcher"], d("0.5"));
    assert_eq!(out.report.unmapped["web_search_calls"], 1);
    assert_eq!(out.report.unmapped["reasoning_tokens"], 1);
    assert_eq!(out.report.unmapped["images"], 1);
    assert_eq!(out.report.skipped[0].model, "painter");
}

#[test]
fn pricing_endpoint_shape() {
    let (c, _) = load(
        r#"{"ModelRatio": {"m": 1.25}, "CompletionRatio": {"m": 4}, "CacheRatio": {"m": 0.5}, "ModelPrice": {"p": 0.04}}"#,
    );
    let mut o = ExportOptions::new(Utc::now());
    o.group_ratio = BTreeMap::from([
        ("default".to_string(), d("1")),
        ("vip".to_string(), d("0.8")),
    ]);
    let out = export(&c, &o);
    let v: serde_json::Value = serde_json::from_str(&out.pricing_json()).unwrap();
    assert_eq!(v["success"], true);
    let data = v["data"].as_array().unwrap();
    let m = data.iter().find(|i| i["model_name"] == "m").unwrap();
    assert_eq!(m["quota_type"], 0);
    assert_eq!(m["model_ratio"].to_string(), "1.25");
    assert_eq!(m["completion_ratio"].to_string(), "4");
    assert_eq!(m["cache_ratio"].to_string(), "0.5");
    assert_eq!(m["create_cache_ratio"].to_string(), "1.25");
    assert_eq!(m["owner_by"], "new-api");
    assert_eq!(m["enable_groups"], serde_json::json!(["default", "vip"]));
    let p = data.iter().find(|i| i["model_name"] == "p").unwrap();
    assert_eq!(p["quota_type"], 1);
    assert_eq!(p["model_price"].to_string(), "0.04");
    assert_eq!(v["group_ratio"]["vip"].to_string(), "0.8");
}

/// new-api's text quota before rounding, for usage in exclusive buckets (the prompt
/// tokens new-api sees are input + cache reads + cache writes).
fn new_api_quota(c: &RatioConfig, m: &str, u: [u64; 5], group: Decimal) -> Decimal {
    let [input, cached, created, created_1h, completion] = u.map(Decimal::from);
    let cache = c.cache_ratio.get(m).copied().unwrap_or(Decimal::ONE);
    let create = c.create_cache_ratio.get(m).copied().unwrap_or(d("1.25"));
    let comp = c.completion_ratio.get(m).copied().unwrap_or(Decimal::ONE);
    (input + cached * cache + created * create + created_1h * create * d("1.6") + completion * comp)
        * c.model_ratio[m]
        * group
}

/// Ratios up to 10,000 with up to seven decimals (new-api's are under 100).
fn ratio() -> impl Strategy<Value = Decimal> {
    (0u32..10_000_000, 3u32..8).prop_map(|(m, s)| Decimal::new(m.into(), s))
}

fn config_strategy() -> impl Strategy<Value = RatioConfig> {
    let model = (
        ratio(),
        proptest::option::of(ratio()),
        proptest::option::of(ratio()),
        proptest::option::of(ratio()),
        proptest::option::of(ratio()),
        proptest::option::of(ratio()),
    );
    (
        proptest::collection::vec(model, 1..6),
        proptest::collection::btree_map("[a-z]{1,6}", ratio(), 0..3),
    )
        .prop_map(|(models, groups)| {
            let mut c = RatioConfig {
                group_ratio: groups,
                ..RatioConfig::default()
            };
            for (i, (mr, comp, cache, create, image, price)) in models.into_iter().enumerate() {
                let name = format!("model-{i}");
                if let Some(p) = price.filter(|_| i % 3 == 2) {
                    c.model_price.insert(name, p);
                    continue;
                }
                c.model_ratio.insert(name.clone(), mr);
                for (map, v) in [
                    (&mut c.completion_ratio, comp),
                    (&mut c.cache_ratio, cache),
                    (&mut c.create_cache_ratio, create),
                    (&mut c.image_ratio, image),
                ] {
                    if let Some(v) = v {
                        map.insert(name.clone(), v);
                    }
                }
            }
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// import → export → import gives the same table, and the export carries every value
    /// the options gave (plus new-api's defaults, made explicit).
    #[test]
    fn import_export_import_is_identity(config in config_strategy()) {
        let first = import(&config, &opts(), &Catalog::default());
        let toml = first.table.to_toml();
        let catalog = Catalog::builder().text("a.toml", toml.clone()).build().unwrap();
        let mut o = ExportOptions::new(Utc::now());
        o.group_ratio = first.group_ratio.clone();
        let exported = export(&catalog, &o);
        prop_assert!(exported.report.skipped.is_empty(), "{:?}", exported.report.skipped);
        for option in tariff::convert::newapi::OPTIONS {
            let given = config.option(option).unwrap();
            let back = exported.config.option(option).unwrap();
            for (k, v) in given {
                // A per-call model's ratios are not new-api's either: they are not carried.
                if option != "ModelPrice" && option != "GroupRatio" && config.model_price.contains_key(k) {
                    continue;
                }
                // Any ratio of a free input price is free: the export writes 1.
                if option != "ModelRatio" && config.model_ratio.get(k).is_some_and(|r| r.is_zero()) {
                    continue;
                }
                prop_assert_eq!(back.get(k).map(|x| x.normalize()), Some(v.normalize()), "{} of {}", option, k);
            }
        }
        let again = import(&exported.config, &opts(), &Catalog::default());
        prop_assert_eq!(again.table.to_toml(), toml);
        prop_assert_eq!(again.group_ratio, config.group_ratio);
    }

    /// A bill from the imported table, in quota units, is exactly what new-api computes.
    #[test]
    fn bills_match_new_apis_quota(config in config_strategy(), u in proptest::array::uniform5(0u64..1_000_000), g in (0u32..10_000, 3u32..6).prop_map(|(m, s)| Decimal::new(m.into(), s))) {
        let out = import(&config, &opts(), &Catalog::default());
        let catalog = Catalog::builder().text("a.toml", out.table.to_toml()).build().unwrap();
        for m in config.model_ratio.keys().filter(|m| !config.model_price.contains_key(*m)) {
            let usage = Usage::from_json(&format!(
                r#"{{"input_tokens":{},"cache_read_tokens":{},"cache_write_tokens":{},"cache_write_1h_tokens":{},"output_tokens":{}}}"#,
                u[0], u[1], u[2], u[3], u[4]
            )).unwrap();
            let bill = catalog.quote(m, &usage).unwrap();
            let policy = QuotaPolicy { group_ratio: g, ..QuotaPolicy::new_api() };
            let quota = bill.quota(&policy).unwrap();
            prop_assert_eq!(quota.exact, new_api_quota(&config, m, u, g).normalize());
        }
    }
}

#[test]
fn the_option_list_endpoint_shape_is_read_and_other_settings_named() {
    let text = r#"{"success": true, "message": "", "data": [
        {"key": "ModelRatio", "value": "{\"gpt-4o\": 1.25}"},
        {"key": "CompletionRatio", "value": "{\"gpt-4o\": 4}"},
        {"key": "QuotaPerUnit", "value": "500000"},
        {"key": "SystemName", "value": "relay"}]}"#;
    let (c, others) = RatioConfig::from_any_json(text).unwrap();
    assert_eq!(c.model_ratio["gpt-4o"], d("1.25"));
    assert_eq!(c.completion_ratio["gpt-4o"], d("4"));
    assert_eq!(others, ["QuotaPerUnit", "SystemName"]);
    // The plain shape is still strict.
    assert!(RatioConfig::from_any_json(r#"{"ModelRatio": {}, "QuotaPerUnit": 1}"#).is_err());
    // A bad value inside the list names its option and model.
    let e = RatioConfig::from_any_json(
        r#"{"data": [{"key": "CacheRatio", "value": "{\"gpt-4o\": \"half\"}"}]}"#,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`CacheRatio` of `gpt-4o`: `\"half\"` is not a number"
    );
}

/// Regression (found by the `importers` fuzz target): a ratio named with a control
/// character was written into the table, which the loader then refused; a line break in a
/// name reported in the table's header comment could end the comment and write table text.
/// Such a model is skipped and reported, escaped, and the rest of the options still load.
#[test]
fn a_name_with_a_control_character_is_skipped_and_the_table_still_loads() {
    let json = r#"{"ModelRatio": {"gpt-4o": 1.25, "mj_imagine\u007f": 1,
        "evil\n[[model]]\nid = \"injected\"": 1},
        "CompletionRatio": {"other\n[[model]]\nid = \"injected2\"": 4}}"#;
    let (catalog, report) = load(json);
    assert!(catalog.model("gpt-4o").is_ok());
    assert!(catalog.model("injected").is_err() && catalog.model("injected2").is_err());
    assert!(catalog.model("mj_imagine\u{7f}").is_err());
    let skipped: Vec<&str> = report.skipped.iter().map(|n| n.model.as_str()).collect();
    assert!(skipped.contains(&"mj_imagine\\u{7f}"), "{skipped:?}");
    assert!(
        skipped.iter().any(|s| s.starts_with("evil\\n")),
        "{skipped:?}"
    );
    // gpt-4o's ratio 1.25 = USD 2.50 per 1M input tokens.
    assert_eq!(
        total(&catalog, "gpt-4o", r#"{"input_tokens": 1000000}"#),
        "2.5"
    );
}

/// Regression (the `importers` fuzz target): a name with a space was written as a model
/// id the loader refuses; it is skipped and reported like any name that cannot be an id.
#[test]
fn a_name_with_a_space_is_skipped_and_the_table_still_loads() {
    let (catalog, report) = load(r#"{"ModelRatio": {"my- model": 1, "gpt-4o": 1.25}}"#);
    assert!(catalog.model("gpt-4o").is_ok());
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert_eq!(report.skipped[0].model, "my- model");
}
