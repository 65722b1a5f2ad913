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

/// Regression: a charge whose difference from the expected amount has more digits than a
/// decimal holds was rounded into the totals, and sums mixing such magnitudes with fine
/// scales printed `overflow` as a money value. The row is a typed reject (`overflow`), and
/// sums of representable rows are exact.
#[test]
fn a_difference_too_large_for_a_decimal_is_a_typed_reject() {
    let log = scratch("overflow.jsonl");
    let rejects = scratch("overflow-rejects.jsonl");
    let row = |charged: &str| {
        format!(
            r#"{{"model":"deepseek-chat","at":"2025-10-29T15:55:19Z","input_tokens":4368,"output_tokens":923,"charged":"{charged}","currency":"USD"}}"#
        )
    };
    // deepseek-chat at 2025-10-29 (the synth fixture's price): 0.0016107 expected.
    // 79228162514264337593543950335 - 0.0016107 needs 36 digits: refused.
    // 1e21 - 0.0016107 = 999999999999999999999.9983893 (28 digits) and a charge at scale 28:
    // both exact, and their sum needs more than one i128 mantissa at scale 28.
    let rows = [
        row("79228162514264337593543950335"),
        row("1000000000000000000000"),
        row("0.0016107000000000000000000001"),
    ]
    .join("\n");
    std::fs::write(&log, rows).unwrap();
    let out = tariff(&[
        "reconcile",
        log.to_str().unwrap(),
        "--json",
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["priced"], 2, "{report}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["kind"], "overflow");
    assert_eq!(lines[0]["line"], 1);
    assert!(lines[0]["reason"].as_str().unwrap().contains("`charged`"));
    let usd = &report["totals"]["USD"];
    assert_eq!(
        usd["charged"], "1000000000000000000000.0016107000000000000000000001",
        "{report}"
    );
    assert_eq!(
        usd["difference"], "999999999999999999999.9983893000000000000000000001",
        "{report}"
    );
    // `overflow` is a reject kind here, never a money value.
    assert!(!text(&out.stdout).contains(":\"overflow\""), "{report}");
    assert_eq!(report["rejects_by_kind"]["overflow"], 1);
}

/// Regression: `--rejects` was written in place, so a run that failed midway (or was
/// interrupted) left a file that looked complete. It is written beside the destination and
/// renamed into place only when the run succeeds; a failed run leaves neither.
#[test]
fn a_failed_run_leaves_no_rejects_file() {
    let dir = std::env::temp_dir().join(format!("tariff-atomic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log.jsonl");
    let rejects = dir.join("rejects.jsonl");
    // One priced row and one rejected one, so there is something to write.
    std::fs::write(
        &log,
        "{\"model\":\"deepseek-chat\",\"at\":\"2025-10-29T15:55:19Z\",\"input_tokens\":1}\n{\"model\":\"no-such-model\",\"at\":\"2025-10-29T15:55:19Z\"}\n",
    )
    .unwrap();
    // The first log is read (its reject written), the second cannot be opened.
    let missing = dir.join("missing.jsonl");
    let reconcile = |logs: &[&std::path::Path]| {
        let mut args = vec!["reconcile", "--rejects", rejects.to_str().unwrap()];
        args.extend(logs.iter().map(|p| p.to_str().unwrap()));
        tariff(&args)
    };
    let out = reconcile(&[&log, &missing]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("missing.jsonl"));
    assert!(!rejects.exists(), "a failed run left {}", rejects.display());
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["log.jsonl"], "{left:?}");
    // The same run without the missing log writes the file whole.
    let out = reconcile(&[&log]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(written.lines().count(), 1, "{written}");
    assert!(written.contains("unknown_model"));
    // A failed run does not touch an existing file either.
    let out = reconcile(&[&log, &missing]);
    assert!(!out.status.success());
    assert_eq!(std::fs::read_to_string(&rejects).unwrap(), written);
    // `synth --out` likewise: an unwritable destination leaves nothing behind.
    let out = tariff(&[
        "synth",
        "--rows",
        "5",
        "--format",
        "canonical-csv",
        "--out",
        dir.join("no-dir/x.csv").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}
