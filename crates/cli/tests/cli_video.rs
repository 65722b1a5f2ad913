//! `tariff quote --api FORMAT --request REQUEST_FILE RESPONSE_FILE` and `tariff meter` for the
//! video families: the bill or the record on stdout, refusals on stderr with nothing on stdout.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const DIR: &str = "tests/fixtures/responses/video";

fn tariff(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        match child.stdin.take().unwrap().write_all(s) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other.unwrap(),
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn path(name: &str) -> String {
    format!("{}/../../{DIR}/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn refused(out: &Output, why: &str) {
    assert!(
        !out.status.success(),
        "expected a failure: {}",
        text(&out.stdout)
    );
    assert!(
        out.stdout.is_empty(),
        "no price on stdout: {}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    assert!(err.contains(why), "stderr should mention `{why}`: {err}");
}

#[test]
fn quote_prices_a_task_result_with_its_request() {
    let (body, req) = (path("veo-operation.json"), path("veo-request.json"));
    let out = tariff(
        &[
            "quote",
            "--api",
            "veo",
            "--model",
            "veo-3.0",
            "--request",
            &req,
            "--at",
            "2026-11-01",
            "--json",
            &body,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 6 s at $0.40 (veo-3.0-generate-001).
    assert_eq!(v["total"], "2.4");
    assert_eq!(v["currency"], "USD");
    assert_eq!(v["model"], "veo-3.0-generate-001");
    assert_eq!(v["lines"][0]["unit"], "video_seconds");
    assert_eq!(v["lines"][0]["item"], "video_seconds (resolution 1080p)");
    assert_eq!(v["lines"][0]["quantity"], "6");
}

#[test]
fn quote_reads_the_result_from_stdin() {
    let body = std::fs::read(path("sora-job.json")).unwrap();
    let out = tariff(
        &[
            "quote",
            "--api",
            "openai-video",
            "--model",
            "sora-2",
            "--at",
            "2026-11-01",
            "--json",
            "-",
        ],
        Some(&body),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 8 s at 1280x720, $0.10/s.
    assert_eq!(v["total"], "0.8");
}

#[test]
fn meter_prints_the_canonical_record() {
    let (body, req) = (path("seedance-task.json"), path("seedance-request.json"));
    let out = tariff(
        &["meter", "--api", "seedance", "--request", &req, &body],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["output_tokens"], 243000);
    assert_eq!(v["options"]["video_input"], "true");
    assert_eq!(v["options"]["resolution"], "1080p");
    // The record prices the same through --usage.
    let usage = text(&out.stdout);
    let out = tariff(
        &[
            "quote",
            "--model",
            "doubao-seedance-2-0",
            "--at",
            "2026-11-01",
            "--json",
            "--usage",
            usage.trim(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 243,000 × 31 / 1M CNY.
    assert_eq!(v["total"], "7.533");
}

#[test]
fn a_missing_request_is_refused_saying_so() {
    let out = tariff(
        &[
            "quote",
            "--api",
            "runway",
            "--model",
            "gen4_turbo",
            &path("runway-task.json"),
        ],
        None,
    );
    refused(&out, "pass the request");
}

#[test]
fn a_failed_task_is_refused_and_never_priced() {
    let out = tariff(
        &[
            "quote",
            "--api",
            "openai-video",
            "--model",
            "sora-2-pro",
            &path("sora-failed.json"),
        ],
        None,
    );
    refused(&out, "nothing is charged");
    let out = tariff(&["meter", "--api", "veo", &path("veo-filtered.json")], None);
    refused(&out, "safety filter");
}

#[test]
fn a_body_of_another_family_is_refused_with_the_right_format() {
    let out = tariff(
        &[
            "quote",
            "--api",
            "veo",
            "--model",
            "veo-3.0",
            "--request",
            &path("veo-request.json"),
            &path("kling-task.json"),
        ],
        None,
    );
    refused(&out, "--api kling");
}

#[test]
fn an_unpriced_option_is_refused() {
    let req = r#"{"instances":[{"prompt":"x"}],"parameters":{"generateAudio":false}}"#;
    let dir = std::env::temp_dir().join(format!("tariff-cli-video-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let req_path = dir.join("silent.json");
    std::fs::write(&req_path, req).unwrap();
    let out = tariff(
        &[
            "quote",
            "--api",
            "veo",
            "--model",
            "veo-3.1",
            "--request",
            req_path.to_str().unwrap(),
            &path("veo-operation.json"),
        ],
        None,
    );
    refused(
        &out,
        "no published price for requests with option `without audio`",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unknown_format_lists_the_video_formats() {
    let out = tariff(&["meter", "--api", "videos", &path("sora-job.json")], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    for f in [
        "openai-video",
        "sora-chat",
        "veo",
        "wan-video",
        "seedance",
        "kling",
        "jimeng",
        "luma",
        "runway",
    ] {
        assert!(err.contains(f), "{f} missing from: {err}");
    }
}
