//! `tariff import` and `tariff export`: files written, tables that load, refusals.

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::tariff;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tariff-convert-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const OPTIONS: &str = r#"{
  "ModelRatio": {"relay-model": 1.25, "claude-sonnet-4-5-20250929": 1.5},
  "CompletionRatio": {"relay-model": 4, "claude-sonnet-4-5-20250929": 5},
  "CacheRatio": {"relay-model": 0.5, "claude-sonnet-4-5-20250929": 0.1},
  "CreateCacheRatio": {"claude-sonnet-4-5-20250929": 1.25},
  "ModelPrice": {"relay-image": 0.04},
  "GroupRatio": {"default": 1, "vip": 0.8}
}"#;

#[test]
fn new_api_import_loads_with_check_and_prices() {
    let dir = scratch("newapi");
    let file = dir.join("options.json");
    std::fs::write(&file, OPTIONS).unwrap();
    let out_dir = dir.join("tables");
    let (f, o) = (file.to_str().unwrap(), out_dir.to_str().unwrap());
    let stdout = ok(&tariff(&[
        "import",
        "--from",
        "new-api",
        f,
        "--out",
        o,
        "--as-of",
        "2026-11-27",
    ]));
    assert!(stdout.contains("wrote 3 models"), "{stdout}");
    assert!(out_dir.join("new-api.toml").exists());
    assert!(out_dir.join("import-report.json").exists());
    let groups = std::fs::read_to_string(out_dir.join("group-ratio.json")).unwrap();
    assert!(groups.contains("\"vip\": 0.8"), "{groups}");
    let toml = std::fs::read_to_string(out_dir.join("new-api.toml")).unwrap();
    assert!(toml.contains("as_of = 2026-11-27"));
    assert!(toml.contains("source = \"options.json (new-api ratio options)\""));

    ok(&tariff(&["check", o]));
    let quote = ok(&tariff(&[
        "--prices",
        o,
        "quote",
        "--model",
        "relay-model",
        "--json",
        "--usage",
        r#"{"input_tokens":1000,"cache_read_tokens":2000,"output_tokens":500}"#,
    ]));
    let v: serde_json::Value = serde_json::from_str(&quote).unwrap();
    // (1000 × 2.5 + 2000 × 1.25 + 500 × 10) per 1M
    assert_eq!(v["total"], "0.01");
    // The replacement answers for the built-in model's canonical name too.
    let quote = ok(&tariff(&[
        "--prices",
        o,
        "quote",
        "--model",
        "claude-sonnet-4-5",
        "--json",
        "--usage",
        r#"{"input_tokens":1000000}"#,
    ]));
    let v: serde_json::Value = serde_json::from_str(&quote).unwrap();
    assert_eq!(v["total"], "3");
    assert_eq!(v["provider"], "new-api");

    // And back out: the same ratios.
    let exported = ok(&tariff(&[
        "--prices",
        o,
        "export",
        "--to",
        "new-api",
        "--provider",
        "new-api",
        "--groups",
        out_dir.join("group-ratio.json").to_str().unwrap(),
    ]));
    let v: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(v["ModelRatio"]["relay-model"].to_string(), "1.25");
    assert_eq!(v["CompletionRatio"]["relay-model"].to_string(), "4");
    assert_eq!(v["ModelPrice"]["relay-image"].to_string(), "0.04");
    assert_eq!(v["GroupRatio"]["vip"].to_string(), "0.8");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_writes_options_and_the_pricing_shape() {
    let dir = scratch("export");
    let report = dir.join("report.json");
    let out = tariff(&[
        "export",
        "--to",
        "new-api",
        "--at",
        "2025-11-01",
        "--report",
        report.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["ModelRatio"]["claude-sonnet-4-5"].to_string(), "1.5");
    // What could not be expressed is summarized on stderr and listed in the report.
    assert!(
        text(&out.stderr).contains("not converted"),
        "{}",
        text(&out.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(r["unmapped"]["context tiers"].as_u64().unwrap() > 0);

    let out = tariff(&["export", "--to", "new-api-pricing", "--at", "2025-11-01"]);
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    assert_eq!(v["success"], true);
    let item = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["model_name"] == "claude-sonnet-4-5")
        .unwrap();
    assert_eq!(item["quota_type"], 0);
    assert_eq!(item["owner_by"], "anthropic");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_options_are_refused_with_the_key_named() {
    let dir = scratch("bad");
    let file = dir.join("options.json");
    std::fs::write(&file, r#"{"ModelRatio": {"gpt-4o": "1.25x"}}"#).unwrap();
    let out_dir = dir.join("tables");
    let out = tariff(&[
        "import",
        "--from",
        "new-api",
        file.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("`ModelRatio` of `gpt-4o`: `\"1.25x\"` is not a number"),
        "{err}"
    );
    // Nothing half-written.
    assert!(!out_dir.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn litellm_import_of_the_sample() {
    let dir = scratch("litellm");
    let o = dir.to_str().unwrap();
    let out = tariff(&[
        "import",
        "--from",
        "litellm",
        "tests/fixtures/litellm-sample.json",
        "--out",
        o,
    ]);
    let stdout = ok(&out);
    assert!(stdout.contains("litellm-openai.toml"), "{stdout}");
    // as_of defaults to the file's date, and says so.
    assert!(text(&out.stderr).contains("the modification date of"));
    // The unmapped keys are on stderr and in the report.
    assert!(text(&out.stderr).contains("input_cost_per_pixel: 2"));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("import-report.json")).unwrap())
            .unwrap();
    assert_eq!(r["unmapped"]["fedramp_uplift_multiplier"], 2);
    ok(&tariff(&["check", o]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Imports `options` at a new-api version and quotes 1M output tokens of each model.
fn output_price(
    tag: &str,
    options: &str,
    extra: &[&str],
    models: &[&str],
) -> (Vec<String>, serde_json::Value) {
    let dir = scratch(&format!("effective-{tag}"));
    let file = dir.join("options.json");
    std::fs::write(&file, options).unwrap();
    let out_dir = dir.join("tables");
    let (f, o) = (file.to_str().unwrap(), out_dir.to_str().unwrap());
    let mut args = vec![
        "import",
        "--from",
        "new-api",
        f,
        "--out",
        o,
        "--as-of",
        "2026-12-06",
    ];
    args.extend(extra);
    ok(&tariff(&args));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("import-report.json")).unwrap())
            .unwrap();
    let totals = models
        .iter()
        .map(|m| {
            let quote = ok(&tariff(&[
                "--prices",
                o,
                "quote",
                "--model",
                m,
                "--json",
                "--usage",
                r#"{"output_tokens":1000000}"#,
            ]));
            let v: serde_json::Value = serde_json::from_str(&quote).unwrap();
            v["total"].as_str().unwrap().to_string()
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    (totals, report)
}

/// Regression: without a `CompletionRatio` entry the importer priced output at the input
/// price. new-api: `gpt-4o` → 4 (a name rule), `gpt-5` → 8 locked (even over a saved 1).
/// ModelRatio 1.25 = USD 2.5 per 1M input, so 1M output: 2.5 × 4 = 10 (was 2.5);
/// ModelRatio 0.625 = USD 1.25 per 1M input, 1.25 × 8 = 10 (was 1.25 × 1 = 1.25).
#[test]
fn new_api_import_applies_its_name_rules() {
    let options =
        r#"{"ModelRatio": {"gpt-4o": 1.25, "gpt-5": 0.625}, "CompletionRatio": {"gpt-5": 1}}"#;
    let (totals, report) = output_price("rules", options, &[], &["gpt-4o", "gpt-5"]);
    assert_eq!(totals, ["10", "10"]);
    assert_eq!(report["new_api_version"], "upstream-00f6587d");
    let gpt5 = &report["decisions"]["gpt-5"]["ratios"]["completion_ratio"];
    assert_eq!(gpt5["source"], "rule_locked");
    assert_eq!(gpt5["value"], "8");
    assert!(
        gpt5["by"].as_str().unwrap().contains("model_ratio.go"),
        "{gpt5}"
    );
    assert_eq!(
        report["decisions"]["gpt-4o"]["ratios"]["completion_ratio"]["source"],
        "rule"
    );
}

/// The same saved value under two versions: `gpt-4o` → 4 was locked at v0.6.3.1.1 and is
/// unlocked later, so a saved 3 wins only in the later version (2.5 × 3 = 7.5 vs 2.5 × 4).
/// An unpriced model is refused, or priced at 37.5 (USD 75 per 1M input, output ratio 1
/// → 75) when self-use mode is on.
#[test]
fn new_api_import_by_version_and_fallback() {
    let options =
        r#"{"ModelRatio": {"gpt-4o": 1.25}, "CompletionRatio": {"gpt-4o": 3, "mystery-model": 1}}"#;
    let (t, _) = output_price("newest", options, &[], &["gpt-4o"]);
    assert_eq!(t, ["7.5"]);
    let (t, r) = output_price(
        "old",
        options,
        &["--new-api-version", "v0.6.3.1.1"],
        &["gpt-4o"],
    );
    assert_eq!(t, ["10"]);
    assert_eq!(r["new_api_version"], "v0.6.3.1.1");
    assert_eq!(r["decisions"]["mystery-model"]["billed"], "refused");
    let (t, r) = output_price("selfuse", options, &["--self-use-mode"], &["mystery-model"]);
    assert_eq!(t, ["75"]);
    assert_eq!(
        r["decisions"]["mystery-model"]["ratios"]["model_ratio"]["source"],
        "fallback"
    );
    let out = tariff(&[
        "import",
        "--from",
        "new-api",
        "x.json",
        "--out",
        "/nonexistent/x",
        "--new-api-version",
        "v9",
    ]);
    assert!(!out.status.success());
}
