//! LiteLLM's price map in: the reference snapshot imports, loads on top of the built-in
//! tables, and bills models as the JSON's numbers say (worked by hand below); the report
//! lists what has no tariff unit.

use std::sync::OnceLock;

use chrono::NaiveDate;
use tariff::convert::litellm::{import, ImportOptions, Imported};
use tariff::convert::{Collision, ImportError};
use tariff::{Catalog, Usage};

/// The snapshot the importer is tested on. A checkout without it (it lives beside the
/// repository, not in it) uses `tests/fixtures/litellm-sample.json`: the entries below,
/// copied verbatim from it, so the bills worked by hand hold for both.
const REFERENCE: &str = "/work/shared/reference/litellm-model-prices-1.110.2.json";
const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/litellm-sample.json"
);

/// The text imported, and whether it is the full snapshot.
fn source() -> (String, bool) {
    let path = std::env::var("TARIFF_LITELLM_REFERENCE").unwrap_or_else(|_| REFERENCE.into());
    match std::fs::read_to_string(&path) {
        Ok(t) => (t, true),
        Err(_) => {
            eprintln!("{path} not found: testing on {SAMPLE}");
            (std::fs::read_to_string(SAMPLE).unwrap(), false)
        }
    }
}

fn opts() -> ImportOptions {
    ImportOptions {
        source: "litellm-model-prices-1.110.2.json".into(),
        as_of: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        collisions: Collision::Replace,
    }
}

/// The reference imported once, and the built-in tables with it on top.
fn imported() -> &'static (Imported, Catalog, bool) {
    static CELL: OnceLock<(Imported, Catalog, bool)> = OnceLock::new();
    CELL.get_or_init(|| {
        let (text, full) = source();
        let out = import(&text, &opts(), Catalog::builtin()).unwrap();
        let mut b = Catalog::builder().builtin();
        for (stem, table) in &out.tables {
            b = b.text(format!("{stem}.toml"), table.to_toml());
        }
        let catalog = b.build().unwrap_or_else(|e| panic!("{e}"));
        (out, catalog, full)
    })
}

fn total(model: &str, usage: &str) -> String {
    let (_, c, _) = imported();
    c.quote(model, &Usage::from_json(usage).unwrap())
        .unwrap_or_else(|e| panic!("{model}: {e}"))
        .total()
        .to_string()
}

#[test]
fn the_reference_loads_on_top_of_the_built_in_tables() {
    let (out, c, full) = imported();
    if *full {
        assert!(out.report.models > 4000, "{}", out.report.models);
    }
    assert_eq!(
        c.models().len(),
        Catalog::builtin().models().len() + out.report.models
            - out
                .tables
                .iter()
                .flat_map(|(_, t)| &t.models)
                .filter(|m| m.replaces)
                .count()
    );
}

#[test]
fn per_token_costs_become_exact_per_million_prices() {
    // claude-sonnet-4-5: input 3e-06, cache write 3.75e-06, 1h 6e-06, cache read 3e-07,
    // output 1.5e-05 per token:
    // 1000 × 3e-06 + 2000 × 3.75e-06 + 500 × 6e-06 + 3000 × 3e-07 + 400 × 1.5e-05
    // = 0.003 + 0.0075 + 0.003 + 0.0009 + 0.006 = 0.0204
    let usage = r#"{"input_tokens":1000,"cache_write_tokens":2000,"cache_write_1h_tokens":500,"cache_read_tokens":3000,"output_tokens":400}"#;
    assert_eq!(total("claude-sonnet-4-5", usage), "0.0204");
    let (_, c, _) = imported();
    let m = c.model("claude-sonnet-4-5").unwrap();
    let s = m.current(chrono::Utc::now()).unwrap();
    let tariff::catalog::Prices::Rates { base, .. } = s.prices() else {
        panic!()
    };
    // 3e-06 per token is exactly 3 per million.
    assert_eq!(
        base.rate(tariff::Unit::InputTokens)
            .unwrap()
            .price()
            .to_string(),
        "3"
    );
    assert!(s.source().contains("litellm-model-prices-1.110.2.json"));
}

#[test]
fn context_tiers_and_service_tiers() {
    // gemini-2.5-pro: above 200K input, 2.5e-06 in and 1.5e-05 out:
    // 250,000 × 2.5e-06 + 1000 × 1.5e-05 = 0.625 + 0.015
    assert_eq!(
        total(
            "gemini-2.5-pro",
            r#"{"input_tokens":250000,"output_tokens":1000}"#
        ),
        "0.64"
    );
    // below: 100,000 × 1.25e-06
    assert_eq!(
        total("gemini-2.5-pro", r#"{"input_tokens":100000}"#),
        "0.125"
    );
    // batch: input_cost_per_token_batches 6.25e-07
    assert_eq!(
        total(
            "gemini-2.5-pro",
            r#"{"input_tokens":100000,"service_tier":"batch"}"#
        ),
        "0.0625"
    );
    // gpt-4o priority: input_cost_per_token_priority 4.25e-06
    assert_eq!(
        total(
            "gpt-4o",
            r#"{"input_tokens":1000000,"service_tier":"priority"}"#
        ),
        "4.25"
    );
    // dashscope/qwen3-coder-plus tiered_pricing: [32000, 128000) at 1.8e-06 in, 9e-06 out:
    // 50,000 × 1.8e-06 + 1000 × 9e-06 = 0.09 + 0.009
    assert_eq!(
        total(
            "dashscope/qwen3-coder-plus",
            r#"{"input_tokens":50000,"output_tokens":1000}"#
        ),
        "0.099"
    );
}

#[test]
fn media_units() {
    // whisper-1: input_cost_per_second 0.0001 × 60 s
    assert_eq!(total("whisper-1", r#"{"audio_seconds": 60}"#), "0.006");
    // tts-1: input_cost_per_character 1.5e-05 × 1000
    assert_eq!(total("tts-1", r#"{"characters": 1000}"#), "0.015");
    // gpt-image-1: output_cost_per_image_token 4e-05 × 1000
    assert_eq!(
        total("gpt-image-1", r#"{"image_output_tokens": 1000}"#),
        "0.04"
    );
    // dashscope/wan3.0-video: 720p 0.082513 per second × 5; no resolution: 0.165025 × 5
    assert_eq!(
        total(
            "dashscope/wan3.0-video",
            r#"{"video_seconds": 5, "resolution": "720p"}"#
        ),
        "0.412565"
    );
    assert_eq!(
        total("dashscope/wan3.0-video", r#"{"video_seconds": 5}"#),
        "0.825125"
    );
    // A per-image price for any size.
    assert_eq!(
        total(
            "1024-x-1024/50-steps/bedrock/amazon.nova-canvas-v1:0",
            r#"{"images": [{"count": 2}]}"#
        ),
        "0.12"
    );
}

#[test]
fn search_context_sizes_and_off_peak_windows() {
    // perplexity/sonar: medium 0.008 per query by default, high 0.012 by option.
    assert_eq!(
        total("perplexity/sonar", r#"{"web_search_calls": 1}"#),
        "0.008"
    );
    assert_eq!(
        total(
            "perplexity/sonar",
            r#"{"web_search_calls": 1, "options": {"search_context_size": "high"}}"#
        ),
        "0.012"
    );
    // deepseek-v4-flash: off-peak 1.5e-07 per input token on weekdays 00:00-01:00 UTC,
    // 3e-07 otherwise. 2026-11-27 is a Friday.
    assert_eq!(
        total(
            "deepseek-v4-flash",
            r#"{"input_tokens": 1000000, "at": "2026-11-27T00:30:00Z"}"#
        ),
        "0.15"
    );
    assert_eq!(
        total(
            "deepseek-v4-flash",
            r#"{"input_tokens": 1000000, "at": "2026-11-27T02:00:00Z"}"#
        ),
        "0.3"
    );
    // Saturday: the all-day weekend window.
    assert_eq!(
        total(
            "deepseek-v4-flash",
            r#"{"input_tokens": 1000000, "at": "2026-11-28T14:00:00Z"}"#
        ),
        "0.15"
    );
}

#[test]
fn aliases_resolve_to_their_entry() {
    let (_, c, _) = imported();
    assert_eq!(
        c.model("bedrock/claude-fable-latest").unwrap().id(),
        "global.anthropic.claude-fable-5-1"
    );
}

#[test]
fn the_report_lists_what_has_no_tariff_unit() {
    let (out, _, full) = imported();
    let r = &out.report;
    // Counts of entries carrying each key, in the snapshot and in the sample.
    let expected: &[(&str, usize)] = if *full {
        &[
            ("input_cost_per_pixel", 37),
            ("output_cost_per_pixel", 31),
            ("fedramp_uplift_multiplier", 112),
            ("input_cost_per_token_ultrafast", 8),
            ("cache_creation_input_token_cost_above_12hr", 12),
            ("input_cost_per_video_per_second", 24),
            ("google_maps_grounding_cost_per_query", 49),
            ("input_cost_per_image", 99),
        ]
    } else {
        &[
            ("input_cost_per_pixel", 2),
            ("output_cost_per_pixel", 1),
            ("fedramp_uplift_multiplier", 2),
            ("google_maps_grounding_cost_per_query", 1),
        ]
    };
    for (key, n) in expected {
        assert_eq!(r.unmapped.get(*key), Some(n), "{key}");
    }
    // Mapped keys are not listed.
    for key in [
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
        "cache_creation_input_token_cost_above_1hr",
        "input_cost_per_token_batches",
        "output_cost_per_token_above_200k_tokens",
        "search_context_cost_per_query",
        "output_cost_per_second_720p",
    ] {
        assert!(!r.unmapped.contains_key(key), "{key}");
    }
    // Non-price keys are read and counted, not converted.
    let max_input = if *full { 3890 } else { 9 };
    assert_eq!(r.ignored.get("max_input_tokens"), Some(&max_input));
    assert!(r.ignored.contains_key("supports_vision"));
    // Entries with nothing to import are listed with the reason.
    assert!(r.skipped.iter().any(|s| s.model == "sample_spec"));
    assert!(r
        .skipped
        .iter()
        .any(|s| s.message.contains("none of its prices maps")));
}

#[test]
fn bad_input_names_the_entry_and_key() {
    let e = import(
        r#"{"m": {"input_cost_per_token": "cheap"}}"#,
        &opts(),
        &Catalog::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`input_cost_per_token` of `m`: `\"cheap\"` is not a number"
    );
    let e = import(
        r#"{"m": {"output_cost_per_token": -1e-06}}"#,
        &opts(),
        &Catalog::default(),
    )
    .unwrap_err();
    assert!(matches!(e, ImportError::Negative { .. }), "{e}");
    let e = import(r#"{"m": [1]}"#, &opts(), &Catalog::default()).unwrap_err();
    assert!(
        e.to_string().starts_with("m: expected a JSON object"),
        "{e}"
    );
    let e = import("{\"m\": {", &opts(), &Catalog::default()).unwrap_err();
    assert!(matches!(e, ImportError::Json { .. }), "{e}");
}

#[test]
fn litellm_prices_export_to_new_api_ratios() {
    use tariff::convert::newapi::{export, ExportOptions};
    let (_, c, _) = imported();
    let out = export(
        c,
        &ExportOptions::new("2026-11-27T00:00:00Z".parse().unwrap()),
    );
    let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
    // gpt-4o: 2.5e-06 in, 1e-05 out, 1.25e-06 cached per token = ratio 1.25, ×4, ×0.5
    assert_eq!(out.config.model_ratio["gpt-4o"], d("1.25"));
    assert_eq!(out.config.completion_ratio["gpt-4o"], d("4"));
    assert_eq!(out.config.cache_ratio["gpt-4o"], d("0.5"));
    // tts-1 is priced per character only: reported, not exported.
    assert!(!out.config.model_ratio.contains_key("tts-1"));
    assert!(out.report.skipped.iter().any(|s| s.model == "tts-1"));
}

/// Regression (found by the `importers` fuzz target): a model key or provider holding a
/// control character was written into a table the loader refuses; it is skipped and
/// reported instead, and the other entries still load.
#[test]
fn a_key_with_a_control_character_is_skipped_and_the_tables_still_load() {
    let text = r#"{
        "ok-model": {"litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 3e-06},
        "bad\u0007model": {"litellm_provider": "acme", "mode": "chat", "input_cost_per_token": 1e-06},
        "ok-2": {"litellm_provider": "ac\nme", "mode": "chat", "input_cost_per_token": 1e-06}
    }"#;
    let out = import(text, &opts(), &Catalog::default()).unwrap();
    let mut b = Catalog::builder();
    for (stem, table) in &out.tables {
        b = b.text(format!("{stem}.toml"), table.to_toml());
    }
    let catalog = b.build().unwrap_or_else(|e| panic!("{e}"));
    assert!(catalog.model("ok-model").is_ok());
    assert!(catalog.model("ok-2").is_err());
    let skipped: Vec<&str> = out
        .report
        .skipped
        .iter()
        .map(|n| n.model.as_str())
        .collect();
    assert!(skipped.contains(&"bad\\u{7}model"), "{skipped:?}");
    assert!(skipped.contains(&"ok-2"), "{skipped:?}");
}
