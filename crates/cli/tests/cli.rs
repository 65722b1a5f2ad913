//! The `tariff` command line: output contracts, exit codes, errors on stderr.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tariff(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        // The CLI may refuse (and exit) before reading stdin: a closed pipe is not a failure.
        match child.stdin.take().unwrap().write_all(s.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other.unwrap(),
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A refusal: non-zero exit, nothing on stdout (never a price), and stderr saying `why`.
fn assert_refused(out: &Output, why: &str) -> String {
    assert!(!out.status.success(), "expected a failure");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    assert!(err.contains(why), "stderr should mention `{why}`: {err}");
    err
}

const USAGE: &str = r#"{"input_tokens":1000,"cache_read_tokens":4000,"output_tokens":200,"reasoning_tokens":300,"at":"2025-06-01T00:00:00Z"}"#;

#[test]
fn quote_json_has_the_contract_fields() {
    let out = tariff(
        &[
            "--prices",
            "tests/fixtures/acme.toml",
            "quote",
            "--model",
            "acme-large-2025-01-01",
            "--json",
            "--usage",
            USAGE,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["model"], "acme-large");
    assert_eq!(v["currency"], "USD");
    // 1000×1.25 + 4000×0.125 + 200×10 + 300×10 = 1250 + 500 + 2000 + 3000 = 6750 per 1M
    assert_eq!(v["total"], "0.00675");
    let lines = v["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 4);
    for l in lines {
        for k in ["item", "quantity", "unit_price", "amount"] {
            assert!(l[k].is_string(), "line field {k}: {l}");
        }
    }
    assert_eq!(lines[3]["priced_as"], "output_tokens");
}

#[test]
fn quote_reads_stdin_and_prints_a_table() {
    let out = tariff(
        &[
            "--prices",
            "tests/fixtures/acme.toml",
            "quote",
            "--model",
            "acme-large",
            "-",
        ],
        Some(USAGE),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("reasoning_tokens (at output_tokens rate)"),
        "{s}"
    );
    assert!(s.lines().last().unwrap().contains("0.00675 USD"), "{s}");
}

#[test]
fn quote_overrides_from_flags_and_quota() {
    let out = tariff(
        &[
            "--prices",
            "tests/fixtures/acme.toml",
            "quote",
            "--model",
            "acme-large",
            "--at",
            "2025-02-01",
            "--json",
            "--quota",
            "--group-ratio",
            "2",
            "--usage",
            r#"{"input_tokens":1000}"#,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["at"], "2025-02-01T00:00:00Z");
    assert_eq!(v["quota"]["units"], 1250); // $0.00125 × 500,000 × 2
}

#[test]
fn unknown_model_fails_with_suggestions_and_prints_no_price() {
    let out = tariff(
        &[
            "--prices",
            "tests/fixtures/acme.toml",
            "quote",
            "--model",
            "acme-lrage",
            "--usage",
            USAGE,
        ],
        None,
    );
    let err = assert_refused(&out, "unknown model `acme-lrage`");
    assert!(err.contains("acme-large"), "{err}");
}

#[test]
fn bad_usage_fails_naming_the_field() {
    let out = tariff(
        &[
            "--prices",
            "tests/fixtures/acme.toml",
            "quote",
            "--model",
            "acme-large",
            "--usage",
            r#"{"input_tokens":1,"cached_tokens":2}"#,
        ],
        None,
    );
    assert_refused(&out, "cached_tokens");
}

#[test]
fn check_reports_file_and_line() {
    let out = tariff(&["check", "tests/fixtures/bad.toml"], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("tests/fixtures/bad.toml:10: `input_tokens` has a negative price"),
        "{err}"
    );
    assert!(
        err.contains("tests/fixtures/bad.toml:10: unknown unit `outptu_tokens`"),
        "{err}"
    );
    let ok = tariff(&["check", "tests/fixtures/acme.toml"], None);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).starts_with("ok: 1 models"));
}

#[test]
fn check_passes_on_the_builtin_tables() {
    let out = tariff(&["check"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn models_json_lists_relay_models_with_the_builtin_ones() {
    let out = tariff(
        &[
            "--prices",
            "tests/fixtures/acme.toml",
            "models",
            "--json",
            "--provider",
            "acme",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["id"], "acme-large");
    assert_eq!(v[0]["aliases"][0], "acme-large-2025-01-01");
}

#[test]
fn the_readme_acceptance_command_prints_the_exact_bill() {
    let out = tariff(
        &[
            "quote",
            "--model",
            "claude-sonnet-4-5",
            "--at",
            "2025-11-01",
            "--json",
            "--usage",
            r#"{"input_tokens":1000,"cache_write_tokens":2000,"cache_write_1h_tokens":500,"cache_read_tokens":3000,"output_tokens":400}"#,
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 1000×3 + 2000×3.75 + 500×6 + 3000×0.30 + 400×15 = 20,400 per 1M tokens
    assert_eq!(v["total"], "0.0204");
    let amounts: Vec<&str> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["0.003", "0.0009", "0.0075", "0.003", "0.006"]);
}

#[test]
fn count_prints_exact_token_counts_and_refuses_unknown_tokenizers() {
    // "hello world" is two tokens in both cl100k_base and o200k_base (tiktoken).
    let out = tariff(&["count", "--model", "gpt-4o", "-"], Some("hello world"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "2");
    let out = tariff(
        &["count", "--encoding", "cl100k_base", "--json", "-"],
        Some("hello world"),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["encoding"].as_str(), v["tokens"].as_u64()),
        (Some("cl100k_base"), Some(2))
    );
    let out = tariff(
        &["count", "--model", "claude-sonnet-4-5", "-"],
        Some("hello"),
    );
    assert_refused(&out, "--encoding");
}

#[test]
fn count_refuses_invalid_utf8() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(["count", "--model", "gpt-4o", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ok \xff\xfe")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_refused(&out, "UTF-8");
}

#[test]
fn classify_prints_fault_and_action_as_json() {
    let body = r#"{"error":{"message":"prompt is too long: 228527 tokens > 200000 maximum","type":"invalid_request_error"}}"#;
    let out = tariff(
        &["classify", "--status", "400", "--json", "--body", body],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fault"], "client");
    assert_eq!(v["action"]["billing"], "refund");
    let out = tariff(
        &["classify", "--status", "429", "--json", "-"],
        Some("You exceeded your current quota, please check your plan and billing details."),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fault"], "upstream_account");
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(["models"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end before the CLI writes its hundred-odd lines, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}

/// `tariff count FILE` streams the file (memory is bounded by the longest pre-token piece;
/// see tests/count_memory.rs) and still counts exactly, across its 1 MiB reads.
#[test]
fn count_of_a_file_is_exact_across_reads() {
    let dir = std::env::temp_dir().join(format!("tariff-cli-count-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("text.txt");
    // 3 MB: prose with multi-byte characters, a 1.5 MB run of one letter, more prose.
    let prose = "Ünïcödé prose, 1234 digits — and 😀 too.\n".repeat(20_000);
    let body = format!("{prose}{}{prose}", "a".repeat(1_500_000));
    std::fs::write(&path, &body).unwrap();
    let want = tariff::tokens::Encoding::O200kBase.count(&body);
    let out = tariff(
        &["count", "--model", "gpt-4o", path.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), want.to_string());
    std::fs::write(&path, b"fine \xc3(").unwrap();
    let out = tariff(
        &["count", "--model", "gpt-4o", path.to_str().unwrap()],
        None,
    );
    assert_refused(&out, "byte 5 ");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tariff-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Regression: `tariff classify FILE` classified the file's *name* as the body; it reads
/// the file, like every other command's `[FILE|-]`. Inline text moved to `--body`, and a
/// path that does not exist is refused with that hint rather than classified.
#[test]
fn classify_reads_a_file_argument() {
    let dir = scratch_dir("classify");
    let path = dir.join("error-body.json");
    std::fs::write(
        &path,
        r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota"}}"#,
    )
    .unwrap();
    let p = path.to_str().unwrap();
    // A 429 whose body says the account is out of quota: the account's fault. Its path
    // alone would be a plain rate limit (`upstream`).
    let out = tariff(&["classify", "--status", "429", "--json", p], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fault"], "upstream_account", "{v}");
    // The same body inline, and on stdin.
    let body = std::fs::read_to_string(&path).unwrap();
    for args in [
        vec!["classify", "--status", "429", "--json", "--body", &body],
        vec!["classify", "--status", "429", "--json", "-"],
        vec!["classify", "--status", "429", "--json"],
    ] {
        let out = tariff(&args, Some(&body));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["fault"], "upstream_account", "{args:?}: {v}");
    }
    let out = tariff(
        &["classify", "--status", "500", "no such file here.json"],
        None,
    );
    assert_refused(&out, "--body");
    let out = tariff(&["classify", "--status", "500", "--body", "x", p], None);
    assert!(!out.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Regression: a UTF-8 byte order mark (Excel and Windows exports) at the start of a usage
/// file, a response body, a request body or a rules file was a syntax error; it is skipped.
#[test]
fn a_byte_order_mark_is_skipped_in_every_input() {
    let dir = scratch_dir("bom");
    let bom = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, format!("\u{feff}{body}")).unwrap();
        path.to_str().unwrap().to_string()
    };
    // A usage record: 1,000,000 input tokens of gpt-4o at $2.50 per 1M = 2.5.
    let usage = bom("usage.json", r#"{"input_tokens":1000000}"#);
    // From a file, and on stdin.
    for (file, stdin) in [
        (usage.as_str(), None),
        ("-", Some("\u{feff}{\"input_tokens\":1000000}")),
    ] {
        let args = [
            "quote",
            "--model",
            "gpt-4o",
            "--at",
            "2025-11-01",
            "--json",
            file,
        ];
        let out = tariff(&args, stdin);
        assert!(out.status.success(), "quote {file}: {}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["total"], "2.5", "{v}");
    }
    // A response body.
    let response = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/responses/openai-chat.json"
    ))
    .unwrap();
    let plain = tariff(&["meter", "--api", "openai-chat", "-"], Some(&response));
    assert!(plain.status.success(), "{}", text(&plain.stderr));
    let with_bom = bom("response.json", &response);
    let out = tariff(&["meter", "--api", "openai-chat", &with_bom], None);
    assert!(out.status.success(), "meter: {}", text(&out.stderr));
    assert_eq!(out.stdout, plain.stdout);
    // A request body to estimate.
    let request = bom(
        "request.json",
        r#"{"model":"gpt-4o","max_tokens":300,"messages":[{"role":"user","content":"Hello there"}]}"#,
    );
    let out = tariff(
        &[
            "estimate",
            "--api",
            "openai-chat",
            "--model",
            "gpt-4o",
            "--json",
            &request,
        ],
        None,
    );
    assert!(out.status.success(), "estimate: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["estimate"]["usage"]["input_tokens"], 9);
    // A classifier rules file and an error body.
    let rules = bom(
        "rules.toml",
        r#"
[[rule]]
id = "acme-overload"
match = "acme cluster overloaded"
fault = "upstream"
retry = true
"#,
    );
    let body = bom("body.txt", "Acme cluster overloaded, try later");
    let out = tariff(
        &[
            "classify", "--status", "400", "--json", "--rules", &rules, &body,
        ],
        None,
    );
    assert!(out.status.success(), "classify: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rule"], "acme-overload", "{v}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Regression sibling of bounded counting: a body, request or usage record is read whole,
/// and an endless input (`/dev/zero`) grew memory without limit; past 1 GiB it is refused.
#[test]
#[cfg(unix)]
fn an_endless_input_is_refused_not_read_forever() {
    let out = tariff(&["meter", "--api", "openai-chat", "/dev/zero"], None);
    assert_refused(&out, "longer than 1073741824 bytes");
}
