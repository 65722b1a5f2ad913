//! new-api's effective ratios from `data/new-api/`: every hand-computed vector of
//! `data/new-api/vectors.toml` (the arithmetic is in that file's comments) through the Rust
//! evaluator, and the evaluator on arbitrary options and names.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::Deserialize;
use tariff::convert::newapi::defaults::{
    quota_i64, Call, Charge, NewApiUsage, Options, QuotaPath, Versions,
};

#[derive(Deserialize)]
struct Vectors {
    vector: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    id: String,
    version: String,
    vendor: String,
    model: String,
    path: String,
    options: String,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    usage: NewApiUsage,
    expect: BTreeMap<String, toml::Value>,
}

fn vectors() -> Vec<Vector> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/new-api/vectors.toml");
    let text = std::fs::read_to_string(path).unwrap();
    toml::from_str::<Vectors>(&text).unwrap().vector
}

fn charge(v: &Vector) -> Charge {
    let version = Versions::embedded().unwrap().get(&v.version).unwrap();
    let mut options = Options::from_json(&v.options, version).unwrap();
    for c in &v.conditions {
        options = options.with_condition(c).unwrap();
    }
    let call = if v.path == "per_call" {
        Call::PerCall
    } else {
        Call::Tokens
    };
    version
        .quota(
            &v.model,
            call,
            v.group.as_deref().unwrap_or("default"),
            &v.usage,
            &options,
        )
        .unwrap()
}

/// What the vector's `expect` keys name, from a charge: ratios by kind, `<kind>_source`,
/// `quota`, `refused`.
fn observed(c: &Charge) -> BTreeMap<String, toml::Value> {
    let mut out = BTreeMap::new();
    for (kind, r) in &c.ratios {
        if let Some(v) = r.value {
            out.insert(kind.clone(), toml::Value::String(v.to_string()));
        }
        out.insert(
            format!("{kind}_source"),
            toml::Value::String(r.source.name().into()),
        );
    }
    if let Some(q) = c.quota {
        out.insert("quota".into(), toml::Value::Integer(quota_i64(q)));
    }
    if c.refused {
        out.insert("refused".into(), toml::Value::Boolean(true));
    }
    out
}

#[test]
fn every_vector_in_the_data_holds() {
    let all = vectors();
    assert!(all.len() >= 57, "{} vectors", all.len());
    let mut failures = Vec::new();
    let mut vendors: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &all {
        *vendors.entry(&v.vendor).or_default() += 1;
        let c = charge(v);
        let want_path = match v.path.as_str() {
            "text" => QuotaPath::Text,
            "audio" => QuotaPath::Audio,
            "per_call" => QuotaPath::PerCall,
            p => panic!("{}: path {p}", v.id),
        };
        if c.path != want_path {
            failures.push(format!("{}: new-api's dispatch picks {:?}", v.id, c.path));
        }
        let got = observed(&c);
        for (k, want) in &v.expect {
            let have = got.get(k);
            let ok = match (want, have) {
                // ratios compare as decimals ("2.0" = "2"); sources as names
                (toml::Value::String(w), Some(toml::Value::String(h)))
                    if !k.ends_with("_source") =>
                {
                    w.parse::<Decimal>().unwrap() == h.parse::<Decimal>().unwrap()
                }
                (w, Some(h)) => w == h,
                (_, None) => false,
            };
            if !ok {
                failures.push(format!("{}: {k} expected {want:?}, got {have:?}", v.id));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The coverage the data promises: OpenAI, Claude, Gemini, DeepSeek, ERNIE, Qwen,
    // Midjourney, Suno among them.
    for vendor in [
        "OpenAI",
        "Claude",
        "Gemini",
        "DeepSeek",
        "ERNIE",
        "Qwen",
        "Midjourney",
        "Suno",
    ] {
        assert!(
            vendors.contains_key(vendor),
            "no {vendor} vector: {vendors:?}"
        );
    }
}

/// Regression: the importer used a completion ratio of 1 for every model the
/// `CompletionRatio` option does not name, so `gpt-4o` output billed at the input price
/// (new-api: 4x) and `gpt-5` at 1x (new-api: 8x, locked).
#[test]
fn gpt_4o_output_is_4x_and_gpt_5_8x() {
    let v = Versions::embedded().unwrap().newest();
    let o = Options::from_json("{}", v).unwrap();
    let c = v.eval("completion_ratio", "gpt-4o", &o).unwrap();
    assert_eq!(c.value, Some(Decimal::from(4)));
    let c = v.eval("completion_ratio", "gpt-5", &o).unwrap();
    assert_eq!(c.value, Some(Decimal::from(8)));
    // Locked: a saved 1 does not change it.
    let o = Options::from_json(r#"{"CompletionRatio": {"gpt-5": 1}}"#, v).unwrap();
    assert_eq!(
        v.eval("completion_ratio", "gpt-5", &o).unwrap().value,
        Some(Decimal::from(8))
    );
}

#[test]
fn the_newest_version_is_the_last_in_versions_toml() {
    let vs = Versions::embedded().unwrap();
    assert_eq!(vs.ids(), ["v0.6.3.1.1", "upstream-00f6587d"]);
    assert_eq!(vs.newest().id, "upstream-00f6587d");
    assert!(vs.get("v9").is_err());
}

#[test]
fn saved_numbers_are_read_as_new_api_holds_them() {
    let v = Versions::embedded().unwrap().newest();
    // More digits than a float64 holds: new-api keeps the float64's shortest decimal.
    let o = Options::from_json(r#"{"ModelRatio": {"m": 0.33333333333333333333}}"#, v).unwrap();
    assert_eq!(o.maps["ModelRatio"]["m"].to_string(), "0.3333333333333333");
    for (bad, what) in [
        (r#"{"ModelRatio": {"m": 1e400}}"#, "does not fit"),
        (r#"{"ModelRatio": {"m": -1}}"#, "negative"),
        (r#"{"ModelRatio": {"m": "x"}}"#, "not a number"),
        (r#"{"ModelRatio": {"": 1}}"#, "empty model name"),
        // Best first (one suggestion rule for every message): `ModelRatio` before `ModelPrice`.
        (r#"{"ModelRatioo": {"m": 1}}"#, "did you mean `ModelRatio`,"),
    ] {
        let e = Options::from_json(bad, v).unwrap_err().to_string();
        assert!(e.contains(what), "{bad}: {e}");
    }
    // The option list: SelfUseModeEnabled is the condition; other settings are named.
    let o = Options::from_json(
        r#"{"success": true, "data": [{"key": "SelfUseModeEnabled", "value": "true"},
            {"key": "ModelRatio", "value": "{\"m\": 2}"}, {"key": "Logo", "value": ""}]}"#,
        v,
    )
    .unwrap();
    assert!(o.conditions.contains("self_use_mode_enabled"));
    assert_eq!(o.ignored, ["Logo"]);
    // An option that does not exist at the older version is refused there.
    let old = Versions::embedded().unwrap().get("v0.6.3.1.1").unwrap();
    assert!(Options::from_json(r#"{"AudioRatio": {"m": 1}}"#, old).is_err());
    assert!(Options::from_json(r#"{"AudioRatio": {"m": 1}}"#, v).is_ok());
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9.\\-/*]{0,24}",
        "(gpt-4o|gpt-5|gemini-2.5-flash|claude-3|o3|gpt-4-gizmo|ERNIE-Speed-)[a-z0-9.\\-]{0,12}",
        any::<String>(),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..1000, 0u32..20).prop_map(|(m, s)| format!("{m}e-{s}")),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        "[0-9]{1,40}",
        Just("-0".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Arbitrary saved options, names and counts: a charge or a typed error, never a panic.
    #[test]
    fn the_evaluator_never_panics(
        model in name(),
        option in prop::sample::select(vec!["ModelRatio", "CompletionRatio", "CacheRatio",
            "CreateCacheRatio", "ModelPrice", "ImageRatio", "AudioRatio", "AudioCompletionRatio",
            "GroupRatio"]),
        key in name(),
        value in number(),
        counts in prop::collection::vec(prop_oneof![0u64..100_000, any::<u64>()], 11),
        anthropic in any::<bool>(),
        per_call in any::<bool>(),
        self_use in any::<bool>(),
    ) {
        let key_json = serde_json::to_string(&key).unwrap();
        let text = format!(r#"{{"{option}": {{{key_json}: {value}, "gpt-4o": 2}}}}"#);
        for version in ["v0.6.3.1.1", "upstream-00f6587d"] {
            let v = Versions::embedded().unwrap().get(version).unwrap();
            let Ok(mut o) = Options::from_json(&text, v) else { continue };
            if self_use {
                o = o.with_condition("self_use_mode_enabled").unwrap();
            }
            let u = NewApiUsage {
                prompt: counts[0], completion: counts[1], cached: counts[2], cache_write: counts[3],
                cache_write_5m: counts[4], cache_write_1h: counts[5], image: counts[6],
                text_in: counts[7], text_out: counts[8], audio_in: counts[9], audio_out: counts[10],
                semantics: if anthropic { tariff::convert::newapi::defaults::Semantics::Anthropic }
                    else { tariff::convert::newapi::defaults::Semantics::Openai },
            };
            let call = if per_call { Call::PerCall } else { Call::Tokens };
            for m in [model.as_str(), key.as_str()] {
                for kind in v.kinds().collect::<Vec<_>>() {
                    let _ = v.eval(kind, m, &o);
                }
                if let Ok(c) = v.quota(m, call, "default", &u, &o) {
                    // A charged quota is a whole, non-negative number of units.
                    if let Some(q) = c.quota {
                        prop_assert!(q >= Decimal::ZERO && q.fract().is_zero(), "{q}");
                    }
                }
            }
        }
    }
}
