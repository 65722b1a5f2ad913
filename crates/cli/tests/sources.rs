//! `tariff::sources`: the diff against LiteLLM and genai-prices (both shapes), the
//! disagreements file and its check, and the price history of `models --changes`; with
//! the command line over the same fixtures (tests/fixtures/sources/).

use std::process::Output;

mod common;
use common::tariff;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use tariff::sources::changes::changes;
use tariff::sources::explain::{self, ItemKind};
use tariff::sources::{diff, read_genai_prices, read_litellm, Diff, SourceKind};
use tariff::Catalog;

const DIR: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/tests/fixtures/sources"
);

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap()
}

fn tables() -> Catalog {
    Catalog::builder()
        .text("tables.toml", fixture("tables.toml"))
        .build()
        .unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn litellm_diff() -> Diff {
    let s = read_litellm(&fixture("litellm.json"), at("2026-12-06T12:00:00Z")).unwrap();
    diff(&tables(), &s, None)
}

/// (model, bucket, tariff, other) of every differing bucket of a provider.
fn differs(d: &Diff, p: &str) -> Vec<(String, String, Decimal, Decimal)> {
    d.providers[p]
        .differs
        .iter()
        .map(|x| (x.model.clone(), x.bucket.clone(), x.tariff, x.other))
        .collect()
}

/// What both fixtures' gpt-x differ by before 2026-12-01: batch output (tariff 10 × 0.5 = 5,
/// the source 6) and output (tariff 10, the source 12).
fn gpt_x_differs() -> Vec<(String, String, Decimal, Decimal)> {
    vec![
        (
            "gpt-x".into(),
            "batch output_tokens".into(),
            dec("5"),
            dec("6"),
        ),
        ("gpt-x".into(), "output_tokens".into(), dec("10"), dec("12")),
    ]
}

fn lacks(d: &Diff, p: &str) -> Vec<String> {
    d.providers[p]
        .lacks
        .iter()
        .map(|l| l.model.clone())
        .collect()
}

fn retired(d: &Diff, p: &str) -> Vec<String> {
    d.providers[p]
        .retired
        .iter()
        .map(|r| r.model.clone())
        .collect()
}

#[test]
fn litellm_costs_per_token_become_exact_per_million_prices() {
    let s = read_litellm(&fixture("litellm.json"), at("2026-12-06T00:00:00Z")).unwrap();
    let x = s.models.iter().find(|m| m.key == "gpt-x").unwrap();
    // 3.3e-07 per token = 0.33 per 1M exactly (through f64: 0.32999999999999996).
    assert_eq!(x.prices["input_tokens"].to_string(), "0.33");
    assert_eq!(x.prices["cache_read_tokens"].to_string(), "0.033");
    assert_eq!(x.prices["input_tokens above 200000"].to_string(), "0.66");
    assert_eq!(x.prices["batch input_tokens"].to_string(), "0.165");
    assert_eq!(s.other_providers.get("azure"), Some(&1));
    assert_eq!(s.other_providers.get("acme"), Some(&1));
}

#[test]
fn litellm_diff_finds_lacks_differs_and_retired() {
    let d = litellm_diff();
    assert_eq!(d.source, SourceKind::Litellm);
    // gpt-new is priced by the source only; gpt-gone is retired there, so not a gap.
    assert_eq!(lacks(&d, "openai"), ["gpt-new"]);
    // Output: tariff 10, LiteLLM 1.2e-05 × 1M = 12. Batch output: tariff 10 × 0.5 = 5,
    // LiteLLM 6e-06 × 1M = 6. Everything else agrees: input 0.33, cache 0.033, above 200K
    // 0.66 / 15, batch input 0.33 × 0.5 = 0.165.
    assert_eq!(differs(&d, "openai"), gpt_x_differs());
    assert_eq!(
        d.providers["openai"].differs[1].tariff_source,
        "https://vendor.example/gpt-x"
    );
    // deprecation_date 2026-10-01 is before the instant and tariff still prices gpt-old.
    assert_eq!(retired(&d, "openai"), ["gpt-old"]);
    // gpt-x, gpt-old and gpt-snap (through its pattern `gpt-snap-*`).
    assert_eq!(d.providers["openai"].matched, 3);
    assert_eq!(d.providers["openai"].agreeing_buckets, 7);
    assert_eq!(lacks(&d, "runway"), ["gen9"]);
    assert_eq!(d.counts(), (2, 2, 1));
}

#[test]
fn a_deprecation_date_after_the_instant_is_not_retired() {
    let s = read_litellm(&fixture("litellm.json"), at("2026-09-30T00:00:00Z")).unwrap();
    let d = diff(&tables(), &s, Some("openai"));
    assert!(retired(&d, "openai").is_empty());
    // Not retired yet: gpt-gone is a model tariff lacks; gpt-old is compared (and agrees).
    assert_eq!(lacks(&d, "openai"), ["gpt-gone", "gpt-new"]);
    assert!(!d.providers.contains_key("runway"), "--provider filters");
}

#[test]
fn genai_prices_data_file_and_dump_are_both_read() {
    let v2 = read_genai_prices(&fixture("genai-data.json"), at("2026-11-15T12:00:00Z")).unwrap();
    let dump = read_genai_prices(&fixture("genai-dump.json"), at("2026-11-15T12:00:00Z")).unwrap();
    assert_eq!(v2.format, "genai-prices data file");
    assert_eq!(dump.format, "genai-prices 0.2.5 dump");
    for s in [&v2, &dump] {
        let new = s.models.iter().find(|m| m.key == "gpt-new").unwrap();
        // 5 per 1,000 requests = 0.005 per request.
        assert_eq!(new.prices["requests"].to_string(), "0.005");
        // Before 2026-12-01 the first conditional price holds: output 12, 15 above 200K.
        let x = s.models.iter().find(|m| m.key == "gpt-x").unwrap();
        assert_eq!(x.prices["output_tokens"], dec("12"));
        assert_eq!(x.prices["output_tokens above 200000"], dec("15"));
        // 12:00 UTC is inside 00:30..16:30: the peak price.
        let o = s.models.iter().find(|m| m.key == "gpt-offpeak").unwrap();
        assert_eq!(o.prices["input_tokens"], dec("2"));
    }
    let dx = dump.models.iter().find(|m| m.key == "gpt-x").unwrap();
    assert_eq!(dx.prices["batch output_tokens"], dec("6"));
}

#[test]
fn genai_prices_conditions_are_read_at_the_instant() {
    let late = read_genai_prices(&fixture("genai-data.json"), at("2026-12-06T20:00:00Z")).unwrap();
    let x = late.models.iter().find(|m| m.key == "gpt-x").unwrap();
    assert_eq!(
        x.prices["output_tokens"],
        dec("10"),
        "start_date 2026-12-01 holds"
    );
    let o = late.models.iter().find(|m| m.key == "gpt-offpeak").unwrap();
    assert_eq!(
        o.prices["input_tokens"],
        dec("1"),
        "20:00 is outside 00:30..16:30"
    );
    let dd = diff(&tables(), &late, None);
    assert!(differs(&dd, "openai").is_empty());
    assert_eq!(lacks(&dd, "openai"), ["gpt-new", "gpt-offpeak"]);
    assert_eq!(retired(&dd, "openai"), ["gpt-old"], "deprecated: true");
}

#[test]
fn genai_prices_match_rules_resolve_tariff_names() {
    // The source's `gpt-x` answers to `starts_with gpt-x-20`: tariff's alias
    // `gpt-x-2026-01-01` is matched by the rule, not by an exact name.
    let s = read_genai_prices(&fixture("genai-dump.json"), at("2026-11-15T12:00:00Z")).unwrap();
    let d = diff(&tables(), &s, None);
    assert_eq!(differs(&d, "openai"), gpt_x_differs());
    let renamed = fixture("tables.toml").replace("id = \"gpt-x\"", "id = \"gpt-x-prime\"");
    let c = Catalog::builder().text("t.toml", renamed).build().unwrap();
    let d2 = diff(&c, &s, None);
    assert!(
        !lacks(&d2, "openai").contains(&"gpt-x".to_string()),
        "matched through the alias and the rule"
    );
}

#[test]
fn a_shape_that_is_neither_is_refused_with_what_was_wrong() {
    let e = read_genai_prices("\"x\"", at("2026-12-06T00:00:00Z")).unwrap_err();
    assert!(e.to_string().contains("neither a list"), "{e}");
    let bad = fixture("genai-data.json").replace("\"input_mtok\": 1,", "\"input_mtok\": -1,");
    let e = read_genai_prices(&bad, at("2026-12-06T00:00:00Z")).unwrap_err();
    assert!(
        e.to_string().contains("openai.gpt-new.prices.input_mtok"),
        "{e}"
    );
    let e = read_litellm("[1]", at("2026-12-06T00:00:00Z")).unwrap_err();
    assert!(e.to_string().contains("expected a JSON object"), "{e}");
}

#[test]
fn explained_items_pass_and_an_entry_matching_nothing_is_stale() {
    let entries = explain::parse("d.toml", &fixture("disagreements.toml")).unwrap();
    let c = explain::check(&entries, &[litellm_diff()]);
    assert!(c.unexplained.is_empty(), "{:?}", c.unexplained);
    // gen9 is runway's: reported, not enforced.
    assert_eq!(c.unexplained_other.len(), 1);
    assert_eq!(c.unexplained_other[0].model, "gen9");
    assert_eq!(c.stale.len(), 1);
    assert_eq!(c.stale[0].index, 4);
    assert_eq!(c.stale[0].entry.model, "gpt-never-listed");
    assert!(!c.passes());
    let without: Vec<_> = entries[..4].to_vec();
    assert!(explain::check(&without, &[litellm_diff()]).passes());
}

#[test]
fn an_unexplained_item_of_a_seed_provider_fails() {
    let entries = explain::parse("d.toml", &fixture("disagreements.toml")).unwrap();
    let mut fewer = entries.clone();
    fewer.remove(2); // gpt-new's gap
    fewer.remove(3); // the stale one (index 4 before the removal)
    let c = explain::check(&fewer, &[litellm_diff()]);
    assert_eq!(c.unexplained.len(), 1);
    assert_eq!(c.unexplained[0].kind, ItemKind::Lacks);
    assert_eq!(c.unexplained[0].model, "gpt-new");
    assert!(!c.passes());
}

#[test]
fn a_pinned_value_stops_explaining_when_the_source_changes_it() {
    let text = fixture("disagreements.toml").replacen("value = \"12\"", "value = \"11\"", 1);
    let entries = explain::parse("d.toml", &text).unwrap();
    let c = explain::check(&entries[..4], &[litellm_diff()]);
    assert_eq!(c.unexplained.len(), 1);
    assert_eq!(c.unexplained[0].bucket.as_deref(), Some("output_tokens"));
    assert_eq!(c.stale.len(), 1, "the entry for 11 matches nothing");
}

#[test]
fn entries_for_another_source_are_not_judged_stale() {
    let entries = explain::parse("d.toml", &fixture("disagreements.toml")).unwrap();
    let s = read_genai_prices(&fixture("genai-dump.json"), at("2026-12-06T20:00:00Z")).unwrap();
    let c = explain::check(&entries, &[diff(&tables(), &s, None)]);
    // Only the source-less gpt-new entry applies to genai-prices, and it matches.
    assert!(c.stale.is_empty(), "{:?}", c.stale);
    let mut un: Vec<(ItemKind, String)> = c
        .unexplained
        .iter()
        .map(|i| (i.kind, i.model.clone()))
        .collect();
    un.sort();
    assert_eq!(
        un,
        [
            (ItemKind::Lacks, "gpt-offpeak".to_string()),
            (ItemKind::Differs, "gpt-x".to_string()),
            (ItemKind::Retired, "gpt-old".to_string()),
        ]
    );
}

#[test]
fn the_skeleton_never_explains_until_filled_in() {
    let d = litellm_diff();
    let items: Vec<_> = explain::items(&d);
    let sk = explain::skeleton(&items);
    assert!(sk.contains("kind = \"differs\""), "{sk}");
    assert!(sk.contains("value = \"12\""), "{sk}");
    // Empty verdicts and an unfilled date: the file does not load.
    assert!(explain::parse("stub.toml", &sk).is_err());
    let filled = sk
        .replace("verdict = \"\"", "verdict = \"gap\"")
        .replace("evidence = \"\"", "evidence = \"https://vendor.example\"")
        .replace("as_of = YYYY-MM-DD", "as_of = 2026-12-06");
    let entries = explain::parse("filled.toml", &filled).unwrap();
    let c = explain::check(&entries, &[d]);
    assert!(c.passes(), "{:?} {:?}", c.unexplained, c.stale);
    assert_eq!(c.explained, items.len());
}

#[test]
fn the_file_is_refused_with_the_entry_named() {
    for (from, to, want) in [
        (
            "verdict = \"gap\"",
            "verdict = \"maybe\"",
            "unknown variant `maybe`",
        ),
        (
            "evidence = \"https://vendor.example/gpt-new\"",
            "evidence = \" \"",
            "explained[2] (openai gpt-new): `evidence` is empty",
        ),
        (
            "source = \"litellm\"",
            "source = \"openrouter\"",
            "expected litellm or genai-prices",
        ),
        ("note = ", "colour = ", "unknown field `colour`"),
    ] {
        let text = fixture("disagreements.toml").replacen(from, to, 1);
        let e = explain::parse("d.toml", &text).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
}

fn history() -> Catalog {
    Catalog::builder()
        .text("history.toml", fixture("history.toml"))
        .build()
        .unwrap()
}

#[test]
fn changes_list_every_bucket_that_moved_between_consecutive_schedules() {
    let c = history();
    let list = changes(&c, None, None);
    let opt = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or("-".into());
    let show: Vec<String> = list
        .iter()
        .map(|c| {
            format!(
                "{} {} {}{} {} -> {}",
                c.effective.format("%Y-%m-%d"),
                c.bucket,
                c.service_tier,
                c.region
                    .as_deref()
                    .map(|r| format!("[{r}]"))
                    .unwrap_or_default(),
                opt(c.old),
                opt(c.new)
            )
        })
        .collect();
    assert_eq!(
        show,
        [
            "2026-03-01 cache_read_tokens standard - -> 0.15",
            "2026-03-01 input_tokens standard 2 -> 1.5",
            "2026-06-01 scale batch 0.5 -> 0.4",
            "2026-09-01 input_tokens above 128000 standard - -> 3",
            "2026-09-01 output_tokens standard 8 -> 6",
            "2026-09-01 output_tokens above 128000 standard - -> 12",
            "2026-10-01 output_tokens standard[cn] 16 -> 12",
        ]
    );
    let cn = list.last().unwrap();
    assert_eq!(
        (cn.old_currency.as_str(), cn.currency.as_str()),
        ("CNY", "CNY")
    );
    assert_eq!(cn.source, "https://acme.example/cn?v=2");
    assert_eq!(list[1].source, "https://acme.example/pricing?v=2");
}

#[test]
fn changes_filter_by_date_and_provider() {
    let c = history();
    let since = changes(&c, Some(at("2026-09-01T00:00:00Z")), None);
    assert_eq!(since.len(), 4, "on the date is included");
    assert!(changes(&c, None, Some("openai")).is_empty());
    // A table with one schedule per model has no changes.
    assert!(changes(&tables(), None, None).is_empty());
}

// The command line.

fn fx(name: &str) -> String {
    format!("{DIR}/{name}")
}

/// `tariff --prices tests/fixtures/sources/TABLE ARGS…`.
fn tariff_on(table: &str, args: &[&str]) -> Output {
    let t = fx(table);
    let mut all = vec!["--prices", t.as_str()];
    all.extend_from_slice(args);
    tariff(&all)
}

#[test]
fn cli_diff_json_has_the_buckets_as_decimal_strings() {
    let o = tariff(&[
        "sources",
        "diff",
        "--from",
        "litellm",
        &fx("litellm.json"),
        "--at",
        "2026-12-06",
        "--provider",
        "openai",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["source"], "litellm");
    let p = &v["providers"]["openai"];
    let lacks: Vec<&str> = p["lacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["model"].as_str().unwrap())
        .collect();
    // Against the built-in tables: the fixture's invented names are lacks.
    assert!(
        lacks.contains(&"gpt-new") && lacks.contains(&"gpt-snap-0101"),
        "{lacks:?}"
    );
    assert!(v["providers"].get("runway").is_none());
}

#[test]
fn cli_diff_with_prices_compares_the_relay_tables_too() {
    let o = tariff_on(
        "tables.toml",
        &[
            "sources",
            "diff",
            "--from",
            "genai-prices",
            &fx("genai-dump.json"),
            "--at",
            "2026-11-15T12:00:00Z",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let differs = v["providers"]["openai"]["differs"].as_array().unwrap();
    let x = differs
        .iter()
        .find(|x| x["model"] == "gpt-x" && x["bucket"] == "output_tokens")
        .unwrap();
    assert_eq!(x["tariff"], "10");
    assert_eq!(x["other"], "12");
    assert_eq!(v["format"], "genai-prices 0.2.5 dump");
    // The human form: a per-provider summary line and the total.
    let h = tariff_on(
        "tables.toml",
        &[
            "sources",
            "diff",
            "--from",
            "genai-prices",
            &fx("genai-dump.json"),
            "--at",
            "2026-11-15T12:00:00Z",
            "--provider",
            "openai",
        ],
    );
    let out = String::from_utf8_lossy(&h.stdout);
    assert!(out.contains("total: "), "{out}");
    assert!(out.contains("output_tokens"), "{out}");
}

#[test]
fn cli_check_fails_on_unexplained_and_stale_and_emits_stubs() {
    let dis = fx("disagreements.toml");
    let o = tariff_on(
        "tables.toml",
        &[
            "sources",
            "check",
            "--disagreements",
            &dis,
            "--litellm",
            &fx("litellm.json"),
            "--at",
            "2026-12-06",
        ],
    );
    assert!(!o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("stale: explained[4]"), "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("stale entr"), "{err}");
    let s = tariff_on(
        "tables.toml",
        &[
            "sources",
            "diff",
            "--from",
            "genai-prices",
            &fx("genai-data.json"),
            "--at",
            "2026-12-06T20:00:00Z",
            "--check",
            &dis,
            "--emit-skeleton",
        ],
    );
    assert!(!s.status.success());
    let stub = String::from_utf8_lossy(&s.stdout);
    assert!(stub.contains("model = \"gpt-offpeak\""), "{stub}");
    assert!(stub.contains("verdict = \"\""), "{stub}");
}

#[test]
fn cli_models_changes() {
    let o = tariff_on(
        "history.toml",
        &[
            "models",
            "--changes",
            "--provider",
            "acme",
            "--since",
            "2026-06-01",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 5);
    assert_eq!(a[0]["bucket"], "scale");
    assert_eq!(a[0]["old"], "0.5");
    assert_eq!(a[0]["new"], "0.4");
    assert_eq!(a[2]["bucket"], "output_tokens");
    assert_eq!(a[2]["old"], "8");
    assert_eq!(a[2]["new"], "6");
    assert_eq!(a[2]["effective"], "2026-09-01T00:00:00Z");
    let h = tariff_on(
        "history.toml",
        &["models", "--changes", "--provider", "acme"],
    );
    let out = String::from_utf8_lossy(&h.stdout);
    assert!(out.contains("2 USD -> 1.5 USD"), "{out}");
    assert!(out.contains("7 price changes"), "{out}");
}

// regression: build.rs embedded every pricing/*.toml, so the disagreements file (not a price
// table) made the built-in tables fail to load.
#[test]
fn the_disagreements_file_is_not_a_built_in_table_and_parses() {
    assert!(tariff::catalog::BUILTIN_TABLES
        .iter()
        .all(|(name, _)| *name != "disagreements.toml"));
    assert!(Catalog::builder().builtin().build().is_ok());
    let path = concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/pricing/disagreements.toml"
    );
    let entries = explain::parse(path, &std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(!entries.is_empty());
}

// regression: `sources diff --provider P --check FILE` judged every entry of the file, so the
// entries of other providers (not in the diff) were all reported stale.
#[test]
fn cli_diff_check_with_a_provider_judges_only_its_entries() {
    let o = tariff_on(
        "tables.toml",
        &[
            "sources",
            "diff",
            "--from",
            "litellm",
            &fx("litellm.json"),
            "--at",
            "2026-12-06",
            "--provider",
            "runway",
            "--check",
            &fx("disagreements.toml"),
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("0 stale entries"), "{out}");
    assert!(out.contains("1 unexplained for others"), "{out}");
}
