//! `tariff estimate` end to end.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tariff(args: &[&str], stdin: &str) -> Output {
    tariff_bytes(args, stdin.as_bytes())
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

fn tariff_bytes(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading stdin; a broken pipe here is not a failure.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// Regression: `AB` and 90,000 `€` in a base64 image field made `tariff estimate` panic
/// (exit 101) in every family, and `quote --estimate-missing` with it.
#[test]
fn non_base64_media_is_estimated_not_a_panic() {
    let bad = format!("AB{}", "€".repeat(90_000));
    let cases = [
        (
            "openai-chat",
            "gpt-4o",
            serde_json::json!({"model": "gpt-4o", "max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{bad}")}}]}]}),
        ),
        (
            "anthropic",
            "claude-sonnet-4-5",
            serde_json::json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": bad}}]}]}),
        ),
        (
            "gemini",
            "gemini-2.5-flash",
            serde_json::json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": bad}}]}],
                "generationConfig": {"maxOutputTokens": 10}}),
        ),
    ];
    for (api, model, req) in &cases {
        let body = req.to_string();
        let out = tariff(
            &[
                "estimate",
                "--api",
                api,
                "--model",
                model,
                "--at",
                "2025-11-01",
                "--json",
                "-",
            ],
            &body,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{api}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // The image's size is unknown: held at the formula's most, flagged as a default.
        let parts = v["estimate"]["parts"].as_array().unwrap();
        assert!(
            parts
                .iter()
                .any(|p| p["what"].as_str().unwrap().ends_with("image") && p["basis"] == "default"),
            "{api}: {parts:?}"
        );
    }
    // The same request through `quote --estimate-missing`, with a stream cut before usage.
    let dir = std::env::temp_dir().join(format!("tariff-est-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let req = dir.join("req.json");
    std::fs::write(&req, cases[0].2.to_string()).unwrap();
    let stream = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Hello!\"}}]}\n\n";
    let out = tariff(
        &[
            "quote",
            "--model",
            "gpt-4o",
            "--api",
            "openai-chat",
            "--request",
            req.to_str().unwrap(),
            "--estimate-missing",
            "--at",
            "2025-11-01",
            "--json",
            "-",
        ],
        stream,
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["estimated"], true);
}

/// Regression: `tariff estimate` read its request as UTF-8 text, so a real multipart
/// transcription request (a binary WAV part) failed with "it must be UTF-8 text".
#[test]
fn a_multipart_request_with_a_binary_file_part_is_estimated() {
    // 16 kHz mono 16-bit WAV (32,000 bytes/s) of 3 s, its samples not valid UTF-8.
    let mut wav = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0".to_vec();
    wav.extend_from_slice(&16_000u32.to_le_bytes());
    wav.extend_from_slice(&32_000u32.to_le_bytes());
    wav.extend_from_slice(b"\x02\0\x10\0data");
    wav.extend_from_slice(&96_000u32.to_le_bytes());
    wav.extend((0..96_000u32).map(|i| (i % 251) as u8 | 0x80));
    assert!(std::str::from_utf8(&wav).is_err());
    let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n".to_vec();
    body.extend_from_slice(&wav);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let dir = std::env::temp_dir().join(format!("tariff-mp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("req.multipart");
    std::fs::write(&file, &body).unwrap();
    let args = |src: &'static str| {
        [
            "estimate",
            "--api",
            "openai-transcription",
            "--model",
            "whisper-1",
            "--at",
            "2025-11-01",
            "--json",
            src,
        ]
    };
    let path = file.to_str().unwrap().to_string();
    let path: &'static str = Box::leak(path.into_boxed_str());
    for (out, how) in [
        (tariff_bytes(&args("-"), &body), "stdin"),
        (tariff_bytes(&args(path), b""), "file"),
    ] {
        assert!(
            out.status.success(),
            "{how}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // Seconds are serialized as a decimal string or a number, depending on the build.
        let secs = &v["estimate"]["usage"]["audio_seconds"];
        assert!(secs == "3" || secs.as_f64() == Some(3.0), "{how}: {secs}");
        // whisper-1: $0.006 a minute, 3 s = $0.0003.
        assert_eq!(v["bill"]["total"], "0.0003", "{how}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A directory holding one relay table, `relay.toml`, for `--prices`.
fn relay_prices(name: &str, table: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("tariff-cli-estimate-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("relay.toml"), table).unwrap();
    dir
}

/// The relay's own models: `house-4o` with the encoding and output limit of `gpt-4o`
/// (o200k_base, 16,384), and `house-bare` with neither.
const RELAY_TABLE: &str = r#"
provider = "house"
currency = "USD"

[[model]]
id = "house-4o"
encoding = "o200k_base"
max_output_tokens = 16384
[[model.price]]
source = "https://house.example/pricing"
as_of = 2025-11-01
rates = { input_tokens = 2.5, output_tokens = 10.0 }

[[model]]
id = "house-bare"
[[model.price]]
source = "https://house.example/pricing"
as_of = 2025-11-01
rates = { input_tokens = 2.5, output_tokens = 10.0 }
"#;

fn estimate_json(prices: &std::path::Path, model: &str, req: &str) -> (Output, serde_json::Value) {
    let out = tariff(
        &[
            "estimate",
            "--prices",
            prices.to_str().unwrap(),
            "--api",
            "openai-chat",
            "--model",
            model,
            "--at",
            "2025-11-01",
            "--json",
            "-",
        ],
        req,
    );
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, v)
}

/// A model a relay defines in its own table with `encoding` and `max_output_tokens`
/// estimates exactly as the built-in model with the same facts: the same parts, counter,
/// usage and (at the same rates) bill. Regression: the estimate looked the name up in the
/// metering crate's own tables, so `house-4o` was counted with the generic estimator and
/// had no output limit.
#[test]
fn a_relay_model_with_facts_estimates_like_the_builtin_one() {
    let dir = relay_prices("facts", RELAY_TABLE);
    // No `max_tokens`: the output bound is the model's limit.
    let req = r#"{"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Summarize the plot of Hamlet in one line."}]}"#;
    let (out, house) = estimate_json(&dir, "house-4o", req);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, builtin) = estimate_json(&dir, "gpt-4o", req);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let (mut h, mut b) = (house["estimate"].clone(), builtin["estimate"].clone());
    assert_eq!(h["model"], "house-4o");
    assert_eq!(b["model"], "gpt-4o");
    h["model"] = serde_json::Value::Null;
    b["model"] = serde_json::Value::Null;
    assert_eq!(h, b);
    assert_eq!(h["counter"], "o200k_base");
    assert_eq!(h["usage"]["output_tokens"], 16384);
    // The same rates as gpt-4o on 2025-11-01, so the same hold.
    assert_eq!(house["bill"]["total"], builtin["bill"]["total"]);
    assert_eq!(house["quota"], builtin["quota"]);
}

/// A relay model with no facts gets an honest answer: its text estimated (marked so, never
/// counted with an encoding guessed from its name), and without an output limit a request
/// that sets none is refused rather than held at its input alone.
#[test]
fn a_relay_model_without_facts_is_estimated_honestly() {
    let dir = relay_prices("bare", RELAY_TABLE);
    let unbounded = r#"{"messages":[{"role":"user","content":"Hello there"}]}"#;
    let (out, _) = estimate_json(&dir, "house-bare", unbounded);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no bound, so no price");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("model `house-bare` has no known output limit")
            && err.contains("`max_completion_tokens`"),
        "{err}"
    );

    let bounded = r#"{"max_tokens":200,"messages":[{"role":"user","content":"Hello there"}]}"#;
    let (out, v) = estimate_json(&dir, "house-bare", bounded);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let est = &v["estimate"];
    assert_eq!(est["counter"], "approx:generic");
    assert_eq!(est["usage"]["output_tokens"], 200);
    assert_eq!(est["parts"][0]["what"], "text");
    assert_eq!(est["parts"][0]["basis"], "estimated");
    assert!(est["usage"]["input_tokens"].as_u64().unwrap() > 0);
}
