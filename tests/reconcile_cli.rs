//! `tariff synth` and `tariff reconcile` on the command line.

use std::process::{Command, Output};

fn tariff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tariff-reconcile-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn synth_then_reconcile_with_json_csv_and_rejects() {
    let log = scratch("log.csv");
    let rejects = scratch("rejects.jsonl");
    let log_s = log.to_str().unwrap();
    let args = [
        "synth",
        "--rows",
        "2000",
        "--format",
        "new-api-csv",
        "--seed",
        "9",
        "--inject",
        "unknown,cache",
        "--rate",
        "0.05",
        "--out",
        log_s,
    ];
    let out = tariff(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Deterministic: the same command writes the same bytes.
    let first = std::fs::read(&log).unwrap();
    assert!(tariff(&args).status.success());
    assert_eq!(first, std::fs::read(&log).unwrap());

    let out = tariff(&[
        "reconcile",
        log_s,
        "--json",
        "--by",
        "model,class",
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (read, priced, rejected) = (
        report["rows_read"].as_u64().unwrap(),
        report["priced"].as_u64().unwrap(),
        report["rejected"].as_u64().unwrap(),
    );
    assert_eq!(read, 2000);
    assert_eq!(priced + rejected, read);
    assert!(rejected > 0);
    assert!(
        report["totals"]["quota"]["classes"]["cache_miscounted"]["rows"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(report["groups"][0]["model"].is_string());
    // Every rejected row is in the rejects file, with its line and reason.
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, rejected);
    for r in &lines {
        assert_eq!(r["kind"], "unknown_model");
        assert!(r["line"].as_u64().unwrap() >= 2);
        assert!(r["reason"].as_str().unwrap().contains("did you mean"));
    }

    let out = tariff(&["reconcile", log_s, "--csv", "--by", "class"]);
    assert!(out.status.success());
    let csv = text(&out.stdout);
    assert!(
        csv.starts_with("class,unit,rows,compared,charged,expected,difference"),
        "{csv}"
    );
    assert!(text(&out.stderr).contains("rows read 2000"));
}

#[test]
fn bad_arguments_and_unreadable_files_are_refused() {
    let out = tariff(&["reconcile", "/nonexistent/log.jsonl"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("/nonexistent/log.jsonl"));
    let out = tariff(&["reconcile", "x", "--by", "colour"]);
    assert!(text(&out.stderr).contains("unknown dimension `colour`"));
    let out = tariff(&[
        "synth",
        "--rows",
        "1",
        "--format",
        "canonical-jsonl",
        "--inject",
        "typo",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown discrepancy `typo`"));
}

/// Regression: `--threads 100000` started 100,000 threads and ran for minutes on a small
/// log; it is refused at once, naming the bound.
#[test]
fn thread_counts_above_the_bound_are_refused() {
    let log = scratch("threads.jsonl");
    let out = tariff(&[
        "synth",
        "--rows",
        "20",
        "--format",
        "canonical-jsonl",
        "--out",
        log.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let started = std::time::Instant::now();
    for n in ["0", "100000"] {
        let out = tariff(&["reconcile", log.to_str().unwrap(), "--threads", n]);
        assert!(!out.status.success(), "--threads {n} was accepted");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("--threads {n}: between 1 and")),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let out = tariff(&["reconcile", log.to_str().unwrap(), "--threads", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
