//! `tariff serve` as a relay calls it: the real binary on a loopback port, a temporary
//! SQLite ledger, HTTP from a real client. Every server started here is killed when its
//! handle drops.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const RELAY: &str = "relay-secret";
const ADMIN: &str = "admin-secret";

/// A running server; killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh temporary directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tariff-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn serve_cmd(db: &std::path::Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tariff"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(format!("sqlite://{}", db.display()))
        .args(extra)
        .env("TARIFF_TOKENS", format!("relay:{RELAY},admin:{ADMIN}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the server and waits for its `listening on http://ADDR` line.
fn start(db: &std::path::Path, extra: &[&str]) -> Server {
    let mut child = serve_cmd(db, extra).spawn().expect("spawn tariff serve");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let Some(addr) = line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "server did not start: {line:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    Server {
        base: addr.to_string(),
        child,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

impl Server {
    /// Sends a request and returns the status and the JSON body.
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let agent = agent();
        let auth = token.map(|t| format!("Bearer {t}"));
        let resp = match (method, body) {
            ("GET", _) => {
                let mut r = agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            (_, body) => {
                let mut r = agent.post(&url).header("Content-Type", "application/json");
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.send(body.unwrap_or(b""))
            }
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.into_body().read_to_string().unwrap();
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} → {status}: not JSON ({e}): {text}"));
        (status, v)
    }

    fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.call("POST", path, Some(token), Some(body.to_string().as_bytes()))
    }

    fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call("GET", path, Some(token), None)
    }
}

fn tariff(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn cli_json(args: &[&str], stdin: &str) -> Value {
    let out = tariff(args, stdin);
    assert!(
        out.status.success(),
        "tariff {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn kind(v: &Value) -> &str {
    v["error"]["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("no error kind in {v}"))
}

const CHAT_REQUEST: &str = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Say hello to the billing service."}],"max_tokens":100}"#;

fn openai_response() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/responses/openai-chat.json"
    ))
    .unwrap()
}

#[test]
fn refuses_to_start_without_tokens_or_with_no_auth_off_loopback() {
    let dir = temp_dir("refuse");
    let db = dir.join("l.db");
    let out = serve_cmd(&db, &[])
        .env_remove("TARIFF_TOKENS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no tokens"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(["serve", "--no-auth", "--listen", "0.0.0.0:0", "--db"])
        .arg(format!("sqlite://{}", db.display()))
        .env_remove("TARIFF_TOKENS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    let out = serve_cmd(&db, &[])
        .env("TARIFF_TOKENS", "root:x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    // --no-auth on loopback starts and serves without a token.
    let mut cmd = serve_cmd(&db, &["--no-auth"]);
    cmd.env_remove("TARIFF_TOKENS");
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let s = Server {
        base: line
            .trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_string(),
        child,
    };
    assert_eq!(s.call("GET", "/v1/models", None, None).0, 200);
}

#[test]
fn auth_and_every_error_status() {
    let dir = temp_dir("errors");
    let s = start(&dir.join("l.db"), &["--body-limit", "4096"]);
    // /healthz needs no token.
    assert_eq!(
        s.call("GET", "/healthz", None, None),
        (200, json!({"status": "ok"}))
    );
    // 401: no token, a wrong one, a non-bearer header.
    let (st, v) = s.call("GET", "/v1/models", None, None);
    assert_eq!((st, kind(&v)), (401, "unauthorized"));
    let (st, v) = s.get("/v1/models", "nope");
    assert_eq!((st, kind(&v)), (401, "unauthorized"));
    // A prefix of a real token is not a token.
    let (st, _) = s.get("/v1/models", &RELAY[..5]);
    assert_eq!(st, 401);
    // 403: a relay token on an admin route; the admin token works.
    let credit = json!({"amount": 1_000_000, "key": "c1"});
    let (st, v) = s.post("/v1/accounts/alice/credit", RELAY, &credit);
    assert_eq!((st, kind(&v)), (403, "forbidden"));
    let (st, v) = s.post("/v1/accounts/alice/credit", ADMIN, &credit);
    assert_eq!(st, 200, "{v}");
    // 400 naming the field.
    let (st, v) = s.post(
        "/v1/quote",
        RELAY,
        &json!({"model": "gpt-4o", "usage": {"input_tokens": "many"}}),
    );
    assert_eq!((st, kind(&v)), (400, "bad_request"));
    assert!(
        v["error"]["message"].as_str().unwrap().contains("usage"),
        "{v}"
    );
    let (st, v) = s.post("/v1/quote", RELAY, &json!({"usage": {}}));
    assert_eq!(st, 400);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("model"),
        "{v}"
    );
    let (st, v) = s.post("/v1/holds", RELAY, &json!({"request_id": "r", "account": "alice", "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST, "group_ratio": "x"}));
    assert_eq!(st, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("group_ratio"),
        "{v}"
    );
    let (st, _) = s.call("POST", "/v1/quote", Some(RELAY), Some(b"{not json"));
    assert_eq!(st, 400);
    // 422: an unknown model, with suggestions.
    let (st, v) = s.post(
        "/v1/quote",
        RELAY,
        &json!({"model": "gpt-4oo", "usage": {"input_tokens": 1}}),
    );
    assert_eq!((st, kind(&v)), (422, "unpriced_model"));
    assert!(
        v["error"]["message"].as_str().unwrap().contains("gpt-4o"),
        "{v}"
    );
    // 413: a body over the limit.
    let big = json!({"status": 500, "body": "x".repeat(5000)});
    let (st, v) = s.post("/v1/classify", RELAY, &big);
    assert_eq!((st, kind(&v)), (413, "payload_too_large"));
    // 404: unknown account, hold, route.
    let (st, v) = s.get("/v1/accounts/bob", RELAY);
    assert_eq!((st, kind(&v)), (404, "not_found"));
    let (st, _) = s.post("/v1/holds/nope/refund", RELAY, &json!({}));
    assert_eq!(st, 404);
    let (st, _) = s.post("/v1/holds", RELAY, &json!({"request_id": "r0", "account": "bob", "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST}));
    assert_eq!(st, 404);
    let (st, _) = s.get("/v1/nothing", RELAY);
    assert_eq!(st, 404);
    // 405 in the same shape.
    let (st, v) = s.get("/v1/quote", RELAY);
    assert_eq!((st, kind(&v)), (405, "method_not_allowed"));
    // 402: a hold the balance cannot cover.
    let (st, _) = s.post(
        "/v1/accounts/poor/credit",
        ADMIN,
        &json!({"amount": 1, "key": "p1"}),
    );
    assert_eq!(st, 200);
    let (st, v) = s.post("/v1/holds", RELAY, &json!({"request_id": "r1", "account": "poor", "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST}));
    assert_eq!((st, kind(&v)), (402, "insufficient_balance"), "{v}");
    // 409: a credit key reused with another amount.
    let (st, v) = s.post(
        "/v1/accounts/alice/credit",
        ADMIN,
        &json!({"amount": 5, "key": "c1"}),
    );
    assert_eq!((st, kind(&v)), (409, "conflict"));
}

#[test]
fn answers_equal_the_cli_json() {
    let dir = temp_dir("same");
    let s = start(&dir.join("l.db"), &[]);
    // quote: a usage record with options the CLI takes as flags.
    let usage = r#"{"input_tokens":1200,"output_tokens":300,"cache_read_tokens":200}"#;
    let cli = cli_json(
        &[
            "quote",
            "--model",
            "gpt-4o",
            "--at",
            "2025-11-01",
            "--quota",
            "--group-ratio",
            "1.5",
            "--rounding",
            "ceil",
            "--json",
            "-",
        ],
        usage,
    );
    let (st, srv) = s.post(
        "/v1/quote",
        RELAY,
        &json!({"model": "gpt-4o", "usage": serde_json::from_str::<Value>(usage).unwrap(), "at": "2025-11-01", "quota": {"group_ratio": "1.5", "rounding": "ceil"}}),
    );
    assert_eq!(st, 200, "{srv}");
    assert_eq!(srv, cli);
    // estimate
    let cli = cli_json(
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
        CHAT_REQUEST,
    );
    let (st, srv) = s.post("/v1/estimate", RELAY, &json!({"api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST, "at": "2025-11-01"}));
    assert_eq!(st, 200, "{srv}");
    assert_eq!(srv, cli);
    // meter
    let response = openai_response();
    let cli = cli_json(&["meter", "--api", "openai-chat", "-"], &response);
    let (st, srv) = s.post(
        "/v1/meter",
        RELAY,
        &json!({"api": "openai-chat", "response": response}),
    );
    assert_eq!(st, 200, "{srv}");
    assert_eq!(srv, cli);
    // classify
    let body = r#"{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}"#;
    let cli = cli_json(
        &["classify", "--status", "429", "--json", "--body", body],
        "",
    );
    let (st, srv) = s.post("/v1/classify", RELAY, &json!({"status": 429, "body": body}));
    assert_eq!(st, 200, "{srv}");
    assert_eq!(srv, cli);
    // /api/pricing (prices in force now: the two calls are seconds apart, and no table
    // changes price within the day the test runs in, which the equality would show).
    let cli = cli_json(&["export", "--to", "new-api-pricing"], "");
    let (st, srv) = s.get("/api/pricing", RELAY);
    assert_eq!(st, 200);
    assert_eq!(srv, cli);
    // /v1/models lists every model `tariff models` does.
    let cli = cli_json(&["models", "--json"], "");
    let (st, srv) = s.get("/v1/models", RELAY);
    assert_eq!(st, 200);
    assert_eq!(srv["object"], "list");
    let ids: Vec<&Value> = srv["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    let cli_ids: Vec<&Value> = cli.as_array().unwrap().iter().map(|m| &m["id"]).collect();
    assert_eq!(ids, cli_ids);
    assert_eq!(srv["data"][0]["owned_by"], cli[0]["provider"]);
}

/// The account view, checked against the invariant.
fn account(s: &Server, name: &str) -> Value {
    let (st, v) = s.get(&format!("/v1/accounts/{name}"), RELAY);
    assert_eq!(st, 200, "{v}");
    let n = |k: &str| v[k].as_i64().unwrap();
    assert_eq!(n("funded"), n("balance") + n("held") + n("charged"), "{v}");
    v
}

#[test]
fn ledger_lifecycle_survives_a_restart() {
    let dir = temp_dir("ledger");
    let db = dir.join("ledger.db");
    let s = start(&db, &[]);
    let credit = json!({"amount": 10_000_000, "key": "top-up-1"});
    let (st, first) = s.post("/v1/accounts/alice/credit", ADMIN, &credit);
    assert_eq!(st, 200, "{first}");
    assert_eq!(
        first,
        json!({"account": "alice", "balance": 10_000_000, "held": 0, "charged": 0, "funded": 10_000_000})
    );
    // The same key and body: the first answer, and no second credit.
    assert_eq!(
        s.post("/v1/accounts/alice/credit", ADMIN, &credit),
        (200, first.clone())
    );

    // Hold: the estimate's bill in quota units, as `tariff estimate --json` gives it.
    let hold = json!({"request_id": "req-1", "account": "alice", "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST});
    let (st, h) = s.post("/v1/holds", RELAY, &hold);
    assert_eq!(st, 200, "{h}");
    let held = h["held"].as_i64().unwrap();
    assert!(held > 0);
    assert_eq!(
        held,
        h["estimate"]["quota"]["units"].as_i64().unwrap(),
        "{h}"
    );
    assert_eq!(s.post("/v1/holds", RELAY, &hold), (200, h.clone()));
    let mut other = hold.clone();
    other["model"] = json!("gpt-4o-mini");
    let (st, v) = s.post("/v1/holds", RELAY, &other);
    assert_eq!((st, kind(&v)), (409, "conflict"));
    let a = account(&s, "alice");
    assert_eq!(
        (a["balance"].as_i64().unwrap(), a["held"].as_i64().unwrap()),
        (10_000_000 - held, held)
    );

    // Settle from the response, metered with the hold's api and model; the charge equals
    // what /v1/quote gives for the metered usage.
    let response = openai_response();
    let (_, usage) = s.post(
        "/v1/meter",
        RELAY,
        &json!({"api": "openai-chat", "response": response}),
    );
    let (_, q) = s.post(
        "/v1/quote",
        RELAY,
        &json!({"model": "gpt-4o", "usage": usage, "quota": {}}),
    );
    let want = q["quota"]["units"].as_i64().unwrap();
    let settle = json!({"response": response});
    let (st, st1) = s.post("/v1/holds/req-1/settle", RELAY, &settle);
    assert_eq!(st, 200, "{st1}");
    assert_eq!(
        st1,
        json!({"request_id": "req-1", "charged": want, "released": held, "estimated": false})
    );
    assert_eq!(
        s.post("/v1/holds/req-1/settle", RELAY, &settle),
        (200, st1.clone())
    );
    let (st, v) = s.post(
        "/v1/holds/req-1/settle",
        RELAY,
        &json!({"usage": {"input_tokens": 1}}),
    );
    assert_eq!((st, kind(&v)), (409, "conflict"));
    let (st, _) = s.post("/v1/holds/req-1/refund", RELAY, &json!({}));
    assert_eq!(st, 409);

    // A second hold refunded; a third failed with a rate limit (refund by the rules).
    for id in ["req-2", "req-3"] {
        let mut h2 = hold.clone();
        h2["request_id"] = json!(id);
        assert_eq!(s.post("/v1/holds", RELAY, &h2).0, 200);
    }
    let (st, r) = s.post("/v1/holds/req-2/refund", RELAY, &json!({}));
    assert_eq!((st, r["refunded"].as_i64()), (200, Some(held)), "{r}");
    assert_eq!(
        s.post("/v1/holds/req-2/refund", RELAY, &json!({})),
        (200, r)
    );
    let (st, f) = s.post("/v1/holds/req-3/fail", RELAY, &json!({"status": 429, "body": "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit_error\"}}"}));
    assert_eq!(st, 200, "{f}");
    assert_eq!(f["outcome"]["action"]["billing"], "refund");
    assert_eq!(f["refunded"].as_i64(), Some(held));

    let before = account(&s, "alice");
    assert_eq!(
        before,
        json!({"account": "alice", "balance": 10_000_000 - want, "held": 0, "charged": want, "funded": 10_000_000})
    );
    drop(s);
    // The ledger is on disk: a new server on the same file sees the same books and
    // remembers every answer.
    let s = start(&db, &[]);
    assert_eq!(account(&s, "alice"), before);
    assert_eq!(s.post("/v1/holds/req-1/settle", RELAY, &settle), (200, st1));
    assert_eq!(
        s.post("/v1/accounts/alice/credit", ADMIN, &credit),
        (200, first)
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const ROUTES: [&str; 11] = [
        "/v1/quote",
        "/v1/meter",
        "/v1/estimate",
        "/v1/classify",
        "/v1/holds",
        "/v1/holds/fz/settle",
        "/v1/holds/fz/refund",
        "/v1/holds/fz/fail",
        "/v1/accounts/fz/credit",
        "/v1/accounts/f%ZZ/credit",
        "/api/pricing",
    ];

    /// Bodies: raw bytes, and JSON objects with the routes' field names and odd values.
    fn body() -> impl Strategy<Value = Vec<u8>> {
        let leaf = prop_oneof![
            Just(json!(null)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            "[a-z0-9 .:\\-]{0,12}".prop_map(|s| json!(s)),
            Just(json!("gpt-4o")),
            Just(json!("openai-chat")),
            Just(json!(CHAT_REQUEST)),
            Just(json!({"input_tokens": 18446744073709551615u64})),
            Just(json!({"input_tokens": 1000, "output_tokens": 10})),
        ];
        let keys = prop::sample::select(vec![
            "model",
            "usage",
            "api",
            "response",
            "request",
            "status",
            "body",
            "at",
            "service_tier",
            "quota",
            "currency",
            "fx",
            "amount",
            "key",
            "request_id",
            "account",
            "group_ratio",
            "options",
            "region",
        ]);
        let object = prop::collection::btree_map(keys, leaf, 0..6)
            .prop_map(|m| serde_json::to_vec(&m).unwrap());
        prop_oneof![prop::collection::vec(any::<u8>(), 0..64), object]
    }

    /// Random bodies to every route, as relay and admin: never a 500, and every error in
    /// the error shape. One server for all cases (started here, killed at the end).
    #[test]
    fn no_input_gets_a_500() {
        let dir = temp_dir("fuzz");
        let s = start(&dir.join("l.db"), &[]);
        s.post(
            "/v1/accounts/fz/credit",
            ADMIN,
            &json!({"amount": 1_000_000, "key": "fz"}),
        );
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 160,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let strategy = (prop::sample::select(ROUTES.to_vec()), body(), any::<bool>());
        runner
            .run(&strategy, |(route, body, admin)| {
                let token = if admin { ADMIN } else { RELAY };
                let (st, v) = s.call("POST", route, Some(token), Some(&body));
                prop_assert!(
                    st < 500,
                    "{route} {} → {st} {v}",
                    String::from_utf8_lossy(&body)
                );
                if st >= 400 {
                    prop_assert!(
                        v["error"]["kind"].is_string() && v["error"]["message"].is_string(),
                        "{v}"
                    );
                }
                Ok(())
            })
            .unwrap();
    }
}

/// `kill -9` during a load of holds and settles: after a restart on the same file, every
/// acknowledged operation is there and every account balances. The load is bounded (at
/// most 400 operations, 20 s); the kill comes once 40 have been acknowledged.
#[test]
fn kill_9_loses_no_acknowledged_operation() {
    let dir = temp_dir("crash");
    let db = dir.join("ledger.db");
    let s = start(&db, &[]);
    let (st, _) = s.post(
        "/v1/accounts/crash/credit",
        ADMIN,
        &json!({"amount": 1_000_000_000, "key": "crash-1"}),
    );
    assert_eq!(st, 200);
    let base = s.base.clone();
    let (tx, rx) = std::sync::mpsc::channel::<(String, &'static str, Value)>();
    let load = std::thread::spawn(move || {
        let agent = agent();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        for i in 0..200 {
            if std::time::Instant::now() > deadline {
                break;
            }
            let id = format!("c-{i}");
            let hold = json!({"request_id": id, "account": "crash", "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST});
            let post = |path: String, body: &Value| {
                agent
                    .post(&format!("{base}{path}"))
                    .header("Authorization", format!("Bearer {RELAY}"))
                    .send(body.to_string().as_bytes())
                    .ok()
                    .filter(|r| r.status() == 200)
                    .and_then(|r| {
                        serde_json::from_str::<Value>(&r.into_body().read_to_string().ok()?).ok()
                    })
            };
            let Some(h) = post("/v1/holds".into(), &hold) else {
                break;
            };
            if tx.send((id.clone(), "held", h)).is_err() {
                break;
            }
            let settle = json!({"usage": {"input_tokens": 100 + i, "output_tokens": 7}});
            let Some(v) = post(format!("/v1/holds/{id}/settle"), &settle) else {
                break;
            };
            if tx.send((id, "settled", v)).is_err() {
                break;
            }
        }
    });
    let mut acked = Vec::new();
    let mut s = s;
    while let Ok(op) = rx.recv_timeout(Duration::from_secs(20)) {
        acked.push(op);
        if acked.len() == 40 {
            // SIGKILL: no shutdown, no flush beyond what each commit already did.
            s.child.kill().unwrap();
            s.child.wait().unwrap();
        }
    }
    load.join().unwrap();
    assert!(
        acked.len() >= 40,
        "only {} operations acknowledged",
        acked.len()
    );
    drop(s);
    let s = start(&db, &[]);
    // Every acknowledged hold and settle answers the same on repeat (the stored first
    // answer), so each is in the ledger.
    let mut charged = 0;
    for (id, what, answer) in &acked {
        match *what {
            "held" => {
                let hold = json!({"request_id": id, "account": "crash", "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST});
                assert_eq!(&s.post("/v1/holds", RELAY, &hold).1, answer, "{id}");
            }
            _ => {
                let i: i64 = id[2..].parse().unwrap();
                let settle = json!({"usage": {"input_tokens": 100 + i, "output_tokens": 7}});
                let (st, v) = s.post(&format!("/v1/holds/{id}/settle"), RELAY, &settle);
                assert_eq!((st, &v), (200, answer), "{id}");
                charged += v["charged"].as_i64().unwrap();
            }
        }
    }
    let a = account(&s, "crash");
    // Settled charges include at least the acknowledged ones (an operation that committed
    // but whose answer was lost to the kill is also there).
    assert!(a["charged"].as_i64().unwrap() >= charged, "{a}");
    assert_eq!(a["funded"].as_i64(), Some(1_000_000_000));
}

/// A server on the PostgreSQL database `TARIFF_TEST_POSTGRES_URL` names (`.ci/run` starts
/// a throwaway cluster and sets it); `None` when it is not set.
fn start_postgres(extra: &[&str]) -> Option<Server> {
    let url = std::env::var("TARIFF_TEST_POSTGRES_URL").ok()?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &url])
        .args(extra)
        .env("TARIFF_TOKENS", format!("relay:{RELAY},admin:{ADMIN}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("server did not start on {url}: {line:?}"))
        .to_string();
    Some(Server { child, base })
}

/// Names unique to this run, so runs share a database without meeting.
fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Two servers on one PostgreSQL database, many clients: concurrent holds that together
/// exceed the balance succeed exactly as far as it covers; then random settles, refunds
/// and fails from both servers leave the account equal to the sum of the acknowledged
/// answers (an independent model), balanced.
#[test]
fn postgres_two_servers_never_spend_a_balance_twice() {
    let (Some(a), Some(b)) = (start_postgres(&[]), start_postgres(&[])) else {
        eprintln!(
            "TARIFF_TEST_POSTGRES_URL is not set: the PostgreSQL test needs .ci/run's cluster"
        );
        return;
    };
    let acct = unique("pg");
    // One hold's price, from the estimate.
    let (st, est) = a.post(
        "/v1/estimate",
        RELAY,
        &json!({"api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST}),
    );
    assert_eq!(st, 200, "{est}");
    let per = est["quota"]["units"].as_i64().unwrap();
    // Funds for exactly 37 holds and a bit (not enough for a 38th).
    let funded = per * 37 + per / 2;
    let (st, _) = b.post(
        &format!("/v1/accounts/{acct}/credit"),
        ADMIN,
        &json!({"amount": funded, "key": unique("k")}),
    );
    assert_eq!(st, 200);
    // 8 clients × 10 holds = 80 tries across both servers, at most 30 s.
    let servers = [a.base.clone(), b.base.clone()];
    let granted = std::sync::Mutex::new(Vec::new());
    let refused = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (servers, granted, refused, acct) = (&servers, &granted, &refused, &acct);
            scope.spawn(move || {
                let agent = agent();
                for i in 0..10 {
                    let id = format!("{acct}-{t}-{i}");
                    let body = json!({"request_id": id, "account": acct, "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST});
                    let r = agent
                        .post(&format!("{}/v1/holds", servers[(t + i) % 2]))
                        .header("Authorization", format!("Bearer {RELAY}"))
                        .send(body.to_string().as_bytes())
                        .unwrap();
                    match r.status().as_u16() {
                        200 => granted.lock().unwrap().push(id),
                        402 => {
                            refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        s => panic!("hold {id}: {s} {}", r.into_body().read_to_string().unwrap()),
                    }
                }
            });
        }
    });
    let granted = granted.into_inner().unwrap();
    assert_eq!(granted.len(), 37, "holds granted");
    assert_eq!(refused.into_inner(), 80 - 37);
    let view = account(&a, &acct);
    assert_eq!(view["held"].as_i64(), Some(per * 37), "{view}");
    // Finish every hold from both servers concurrently: settle, refund or fail by index.
    let charged = std::sync::atomic::AtomicI64::new(0);
    std::thread::scope(|scope| {
        for (n, chunk) in granted.chunks(10).enumerate() {
            let (servers, charged) = (&servers, &charged);
            scope.spawn(move || {
                let agent = agent();
                for (i, id) in chunk.iter().enumerate() {
                    let base = &servers[(n + i) % 2];
                    let (path, body) = match i % 3 {
                        0 => (
                            "settle",
                            json!({"usage": {"input_tokens": 50 + i, "output_tokens": 10}}),
                        ),
                        1 => ("refund", json!({})),
                        _ => (
                            "fail",
                            json!({"status": 503, "body": "upstream unavailable"}),
                        ),
                    };
                    let r = agent
                        .post(&format!("{base}/v1/holds/{id}/{path}"))
                        .header("Authorization", format!("Bearer {RELAY}"))
                        .send(body.to_string().as_bytes())
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 200, "{path} {id}");
                    let v: Value =
                        serde_json::from_str(&r.into_body().read_to_string().unwrap()).unwrap();
                    if let Some(c) = v["charged"].as_i64() {
                        charged.fetch_add(c, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let charged = charged.into_inner();
    assert!(charged > 0);
    let view = account(&b, &acct);
    assert_eq!(
        view,
        json!({"account": acct, "balance": funded - charged, "held": 0, "charged": charged, "funded": funded})
    );
}

/// The README's code block that follows `marker`.
fn readme_block(marker: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let after = &readme[readme
        .find(marker)
        .unwrap_or_else(|| panic!("README lacks {marker}"))..];
    let start = after.find("```").unwrap();
    let body = &after[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_string()
}

/// The README's Python and Node clients, run against the server: a credit as admin, then
/// a quote and the account as relay, each checked by the script.
#[test]
fn readme_clients_run_against_the_server() {
    let dir = temp_dir("clients");
    let s = start(&dir.join("l.db"), &[]);
    let python = format!(
        "{}\nb = {:?}\nv = call(b, {ADMIN:?}, '/v1/accounts/py/credit', {{'amount': 1000, 'key': 'py-1'}})\n\
         assert v['funded'] == 1000, v\n\
         q = call(b, {RELAY:?}, '/v1/quote', {{'model': 'gpt-4o', 'usage': {{'input_tokens': 1000000}}, 'at': '2025-11-01'}})\n\
         assert q['total'] == '2.5', q\n\
         assert call(b, {RELAY:?}, '/v1/accounts/py')['balance'] == 1000\nprint('ok')\n",
        readme_block("Python (standard library):"),
        s.base
    );
    let node = format!(
        "{}\n(async () => {{\n const b = {:?};\n\
         const v = await call(b, {ADMIN:?}, '/v1/accounts/js/credit', {{amount: 1000, key: 'js-1'}});\n\
         if (v.funded !== 1000) throw new Error(JSON.stringify(v));\n\
         const q = await call(b, {RELAY:?}, '/v1/quote', {{model: 'gpt-4o', usage: {{input_tokens: 1000000}}, at: '2025-11-01'}});\n\
         if (q.total !== '2.5') throw new Error(JSON.stringify(q));\n\
         let refused = false;\n\
         try {{ await call(b, {RELAY:?}, '/v1/accounts/js/credit', {{amount: 1, key: 'js-2'}}); }} catch (e) {{ refused = /403 forbidden/.test(e.message); }}\n\
         if (!refused) throw new Error('a relay token credited');\n\
         console.log('ok');\n}})().catch(e => {{ console.error(e); process.exit(1); }});\n",
        readme_block("TypeScript / Node (built-in `fetch`):"),
        s.base
    );
    for (prog, flag, code) in [("python3", "-c", python), ("node", "-e", node)] {
        let out = match Command::new(prog).args([flag, &code]).output() {
            Ok(o) => o,
            Err(e) => panic!("{prog} is needed to run the README's client: {e}"),
        };
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
            "{prog}: {}{}\n{code}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn acme_table(input_rate: &str) -> String {
    format!(
        "provider = \"acme\"\ncurrency = \"USD\"\n[[model]]\nid = \"acme-serve\"\n[[model.price]]\n\
         from = 2025-01-01\nsource = \"test\"\nas_of = 2025-01-01\nrates = {{ input_tokens = {input_rate} }}\n"
    )
}

/// Prices change without a restart: `POST /admin/reload` and SIGHUP swap in new tables, a
/// table with a problem is refused and the old tables stay in force.
#[test]
fn reload_swaps_tables_and_refuses_a_bad_one() {
    let dir = temp_dir("reload");
    let tables = dir.join("tables");
    std::fs::create_dir_all(&tables).unwrap();
    std::fs::write(tables.join("acme.toml"), acme_table("2")).unwrap();
    let s = start(&dir.join("l.db"), &["--prices", tables.to_str().unwrap()]);
    let quote =
        json!({"model": "acme-serve", "usage": {"input_tokens": 1000000}, "at": "2025-06-01"});
    let total = |s: &Server| s.post("/v1/quote", RELAY, &quote).1["total"].clone();
    assert_eq!(total(&s), json!("2"));
    let (st, v1) = s.get("/v1/prices/version", RELAY);
    assert_eq!(st, 200);
    // A relay token may not reload.
    assert_eq!(s.post("/admin/reload", RELAY, &json!({})).0, 403);
    // A negative price: refused, with the problem; the old tables stay.
    std::fs::write(tables.join("acme.toml"), acme_table("-3")).unwrap();
    let (st, v) = s.post("/admin/reload", ADMIN, &json!({}));
    assert_eq!((st, kind(&v)), (422, "invalid_tables"), "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("negative"),
        "{v}"
    );
    assert_eq!(s.get("/v1/prices/version", RELAY).1, v1);
    assert_eq!(total(&s), json!("2"));
    // A good change through the route.
    std::fs::write(tables.join("acme.toml"), acme_table("3")).unwrap();
    let (st, v2) = s.post("/admin/reload", ADMIN, &json!({}));
    assert_eq!(st, 200, "{v2}");
    assert_ne!(v2["hash"], v1["hash"]);
    assert_eq!(s.get("/v1/prices/version", RELAY).1, v2);
    assert_eq!(total(&s), json!("3"));
    // And through SIGHUP (polled for at most 10 s).
    std::fs::write(tables.join("acme.toml"), acme_table("4")).unwrap();
    let hup = Command::new("kill")
        .args(["-HUP", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while total(&s) != json!("4") {
        assert!(
            std::time::Instant::now() < deadline,
            "SIGHUP did not reload"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM: the server stops and exits 0.
#[test]
fn sigterm_exits_zero() {
    let dir = temp_dir("term");
    let mut s = start(&dir.join("l.db"), &[]);
    assert_eq!(s.get("/healthz", RELAY).0, 200);
    let term = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}

/// `/metrics`: requests by route pattern and status, the latency histogram, open holds and
/// quota charged.
#[test]
fn metrics_count_routes_holds_and_charges() {
    let dir = temp_dir("metrics");
    let s = start(&dir.join("l.db"), &[]);
    s.post(
        "/v1/accounts/m/credit",
        ADMIN,
        &json!({"amount": 10_000_000, "key": "m1"}),
    );
    for id in ["m-1", "m-2"] {
        let hold = json!({"request_id": id, "account": "m", "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST});
        assert_eq!(s.post("/v1/holds", RELAY, &hold).0, 200);
    }
    let (_, st) = s.post(
        "/v1/holds/m-1/settle",
        RELAY,
        &json!({"usage": {"input_tokens": 1000}}),
    );
    s.post("/v1/quote", RELAY, &json!({"model": "nope", "usage": {}}));
    let resp = agent()
        .get(&format!("{}/metrics", s.base))
        .header("Authorization", format!("Bearer {RELAY}"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.into_body().read_to_string().unwrap();
    for want in [
        "tariff_requests_total{route=\"/v1/holds\",status=\"200\"} 2".to_string(),
        "tariff_requests_total{route=\"/v1/holds/{request_id}/settle\",status=\"200\"} 1"
            .to_string(),
        "tariff_requests_total{route=\"/v1/quote\",status=\"422\"} 1".to_string(),
        "tariff_request_seconds_count 5".to_string(),
        "tariff_open_holds 1".to_string(),
        format!("tariff_quota_charged_total {}", st["charged"]),
    ] {
        assert!(text.lines().any(|l| l == want), "no `{want}` in\n{text}");
    }
}
