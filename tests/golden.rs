//! Golden vectors: usage records priced by hand from vendor price pages
//! (`tests/golden/*.toml`), checked exactly against the built-in tables.

use std::path::Path;

use rust_decimal::Decimal;
use serde::Deserialize;
use tariff::{Catalog, Usage};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    model: String,
    usage: String,
    currency: String,
    total: String,
    work: String,
    source: String,
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    option: Option<String>,
}

fn cases() -> Vec<(String, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let file: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        out.extend(file.cases.into_iter().map(|c| (name.clone(), c)));
    }
    out
}

#[test]
fn golden_vectors_price_exactly() {
    let catalog = Catalog::builtin();
    let mut failures = Vec::new();
    let all = cases();
    for (file, c) in &all {
        assert!(
            !c.work.trim().is_empty() && !c.source.trim().is_empty(),
            "{file}: `{}` needs work and source",
            c.name
        );
        let usage =
            Usage::from_json(&c.usage).unwrap_or_else(|e| panic!("{file}: `{}`: {e}", c.name));
        assert!(
            usage.at.is_some(),
            "{file}: `{}`: golden usage must carry `at` so it never drifts",
            c.name
        );
        let want: Decimal = c
            .total
            .parse()
            .unwrap_or_else(|e| panic!("{file}: `{}`: total: {e}", c.name));
        match catalog.quote(&c.model, &usage) {
            Err(e) => failures.push(format!("{file}: `{}`: {e}", c.name)),
            Ok(bill) => {
                let sum: Decimal = bill.lines().iter().map(|l| l.amount()).sum();
                assert_eq!(
                    bill.total(),
                    sum,
                    "{file}: `{}`: total is not the sum of lines",
                    c.name
                );
                let mut wrong = Vec::new();
                if bill.total() != want {
                    wrong.push(format!("total {} (want {want})", bill.total()));
                }
                if bill.currency().as_str() != c.currency {
                    wrong.push(format!(
                        "currency {} (want {})",
                        bill.currency(),
                        c.currency
                    ));
                }
                if c.tier.is_some() && bill.tier() != c.tier.as_deref() {
                    wrong.push(format!("tier {:?} (want {:?})", bill.tier(), c.tier));
                }
                if c.window.is_some() && bill.window() != c.window.as_deref() {
                    wrong.push(format!("window {:?} (want {:?})", bill.window(), c.window));
                }
                if c.option.is_some() && bill.option() != c.option.as_deref() {
                    wrong.push(format!("option {:?} (want {:?})", bill.option(), c.option));
                }
                if !wrong.is_empty() {
                    failures.push(format!(
                        "{file}: `{}`: {}\n    work: {}",
                        c.name,
                        wrong.join(", "),
                        c.work
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden vectors failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn there_are_enough_golden_vectors() {
    let all = cases();
    assert!(all.len() >= 30, "only {} golden vectors", all.len());
    for cond in [
        "\"tier\"",
        "\"window\"",
        "service_tier",
        "region",
        "options",
    ] {
        let n = all
            .iter()
            .filter(|(_, c)| {
                c.usage.contains(cond)
                    || (cond == "\"tier\"" && c.tier.is_some())
                    || (cond == "\"window\"" && c.window.is_some())
            })
            .count();
        assert!(n > 0, "no golden vector exercises {cond}");
    }
}
