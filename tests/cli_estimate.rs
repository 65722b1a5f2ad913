//! `tariff estimate` end to end.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tariff(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading stdin; a broken pipe here is not a failure.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

#[test]
fn estimate_prints_the_bound_and_the_held_price() {
    let req = r#"{"model":"gpt-4o","max_tokens":300,"messages":[{"role":"user","content":"Hello there"}]}"#;
    let out = tariff(
        &[
            "estimate",
            "--api",
            "openai-chat",
            "--model",
            "gpt-4o",
            "--at",
            "2025-11-01",
            "--json",
            "-",
        ],
        req,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 3 + "user" 1 + "Hello there" 2 + 3 priming = 9 input tokens; 300 output.
    assert_eq!(v["estimate"]["usage"]["input_tokens"], 9);
    assert_eq!(v["estimate"]["usage"]["output_tokens"], 300);
    assert_eq!(v["estimate"]["usage"]["estimated"], true);
    assert_eq!(v["bill"]["estimated"], true);
    // $2.50 × 9 / 1M + $10 × 300 / 1M = 0.0030225; × 500,000 = 1511.25 → 1511 units.
    assert_eq!(v["bill"]["total"], "0.0030225");
    assert_eq!(v["quota"]["units"], 1511);

    let out = tariff(
        &[
            "estimate",
            "--api",
            "openai-chat",
            "--model",
            "gpt-4o",
            "--at",
            "2025-11-01",
            "-",
        ],
        req,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ESTIMATE"), "{text}");
    assert!(text.contains("total"), "{text}");
    assert!(text.contains("hold: 1511 quota units"), "{text}");
}

#[test]
fn estimate_refuses_a_request_of_another_family() {
    let gemini = r#"{"contents":[{"parts":[{"text":"hi"}]}]}"#;
    let out = tariff(
        &[
            "estimate",
            "--api",
            "anthropic",
            "--model",
            "claude-sonnet-4-5",
            "-",
        ],
        gemini,
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no price is printed");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("the request is not of the anthropic family: it looks like a Gemini generateContent request"), "{err}");
}

#[test]
fn an_estimate_without_a_price_is_shown_and_the_command_fails() {
    // Kling has no public per-second price: the hold cannot be priced, but what the request
    // asks for is still worth seeing.
    let req = r#"{"model":"kling-v2-1-master","prompt":"a cat","duration":"10"}"#;
    let args = [
        "estimate",
        "--api",
        "kling",
        "--model",
        "kling-v2-1-master",
        "-",
    ];
    let out = tariff(&args, req);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("seconds of video") && stdout.contains("10"),
        "{stdout}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("kling-v2-1-master"), "{stderr}");

    let out = tariff(&[&args[..5], &["--json", "-"]].concat(), req);
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["estimate"]["usage"]["video_seconds"], "10");
    assert!(v["bill"].is_null());
    assert!(v["price_error"]
        .as_str()
        .unwrap()
        .contains("kling-v2-1-master"));
}
