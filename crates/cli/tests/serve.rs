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
    start_cmd(serve_cmd(db, extra))
}

/// Starts a prepared `tariff serve` command and waits for its address.
fn start_cmd(mut cmd: Command) -> Server {
    let mut child = cmd.spawn().expect("spawn tariff serve");
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
    let acked = crash_load(s, "crash", |s| {
        // SIGKILL: no shutdown, no flush beyond what each commit already did.
        s.child.kill().unwrap();
        s.child.wait().unwrap();
    });
    let s = start(&db, &[]);
    check_acked(&s, "crash", &acked, 1_000_000_000);
}

/// An operation the server acknowledged: the request id, `held` or `settled`, the answer.
type Acked = (String, &'static str, Value);

/// Holds and settles on `acct` (request ids `{acct}-{i}`) from one client until `kill`
/// (called once 40 operations are acknowledged) stops the server; returns what was
/// acknowledged. At most 200 pairs and 20 s.
fn crash_load(mut s: Server, acct: &str, kill: impl FnOnce(&mut Server)) -> Vec<Acked> {
    let base = s.base.clone();
    let (tx, rx) = std::sync::mpsc::channel::<Acked>();
    let account = acct.to_string();
    let load = std::thread::spawn(move || {
        let agent = agent();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        for i in 0..200 {
            if std::time::Instant::now() > deadline {
                break;
            }
            let id = format!("{account}-{i}");
            let hold = json!({"request_id": id, "account": account, "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST});
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
    let mut kill = Some(kill);
    while let Ok(op) = rx.recv_timeout(Duration::from_secs(20)) {
        acked.push(op);
        if acked.len() == 40 {
            if let Some(k) = kill.take() {
                k(&mut s);
            }
        }
    }
    load.join().unwrap();
    assert!(
        acked.len() >= 40,
        "only {} operations acknowledged",
        acked.len()
    );
    acked
}

/// After a restart: every acknowledged hold and settle answers the same on repeat (the
/// stored first answer), so each is in the ledger, and the account balances.
fn check_acked(s: &Server, acct: &str, acked: &[Acked], funded: i64) {
    let mut charged = 0;
    for (id, what, answer) in acked {
        match *what {
            "held" => {
                let hold = json!({"request_id": id, "account": acct, "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST});
                assert_eq!(&s.post("/v1/holds", RELAY, &hold).1, answer, "{id}");
            }
            _ => {
                let i: i64 = id.rsplit('-').next().unwrap().parse().unwrap();
                let settle = json!({"usage": {"input_tokens": 100 + i, "output_tokens": 7}});
                let (st, v) = s.post(&format!("/v1/holds/{id}/settle"), RELAY, &settle);
                assert_eq!((st, &v), (200, answer), "{id}");
                charged += v["charged"].as_i64().unwrap();
            }
        }
    }
    let a = account(s, acct);
    // Settled charges include at least the acknowledged ones (an operation that committed
    // but whose answer was lost to the kill is also there).
    assert!(a["charged"].as_i64().unwrap() >= charged, "{a}");
    assert_eq!(a["funded"].as_i64(), Some(funded));
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

/// Two servers on the PostgreSQL database `TARIFF_TEST_POSTGRES_URL` names; `None`, with
/// a note, when it is not set.
fn two_postgres_servers() -> Option<(Server, Server)> {
    match (start_postgres(&[]), start_postgres(&[])) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => {
            eprintln!(
                "TARIFF_TEST_POSTGRES_URL is not set: the PostgreSQL test needs .ci/run's cluster"
            );
            None
        }
    }
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
    let Some((a, b)) = two_postgres_servers() else {
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

/// The usage views: `/v1/accounts/{a}/usage` by model and by day, and the relay's own
/// views (new-api's token usage, OpenAI's dashboard subscription and usage) from the
/// ledger, for an account token's own account or the account a relay token names.
#[test]
fn usage_views_read_the_ledger() {
    let dir = temp_dir("views");
    let mut cmd = serve_cmd(&dir.join("l.db"), &[]);
    cmd.env(
        "TARIFF_TOKENS",
        format!("relay:{RELAY},admin:{ADMIN},account:alice:alice-key,account:bob:bob-key"),
    );
    let s = start_cmd(cmd);
    // 10,000,000 units = $20 at new-api's 500,000 units per dollar.
    let (st, _) = s.post(
        "/v1/accounts/alice/credit",
        ADMIN,
        &json!({"amount": 10_000_000, "key": "v1"}),
    );
    assert_eq!(st, 200);
    let hold = |id: &str, model: &str| {
        let body = json!({"request_id": id, "account": "alice", "api": "openai-chat", "model": model, "request": CHAT_REQUEST});
        let (st, v) = s.post("/v1/holds", RELAY, &body);
        assert_eq!(st, 200, "{v}");
        v["held"].as_i64().unwrap()
    };
    let settle = |id: &str, usage: Value| {
        let (st, v) = s.post(
            &format!("/v1/holds/{id}/settle"),
            RELAY,
            &json!({"usage": usage}),
        );
        assert_eq!(st, 200, "{v}");
        v["charged"].as_i64().unwrap()
    };
    hold("v-1", "gpt-4o");
    hold("v-2", "gpt-4o");
    hold("v-3", "gpt-4o-mini");
    let open = hold("v-4", "gpt-4o");
    hold("v-5", "gpt-4o");
    let c1 = settle("v-1", json!({"input_tokens": 1000, "output_tokens": 200}));
    let c2 = settle(
        "v-2",
        json!({"input_tokens": 500, "cache_read_tokens": 100}),
    );
    let c3 = settle("v-3", json!({"input_tokens": 7, "output_tokens": 3}));
    // A refunded hold is not usage.
    assert_eq!(s.post("/v1/holds/v-5/refund", RELAY, &json!({})).0, 200);

    let (st, by_model) = s.get("/v1/accounts/alice/usage", RELAY);
    assert_eq!(st, 200, "{by_model}");
    assert_eq!(by_model["by"], "model");
    assert_eq!(
        by_model["groups"],
        json!([
            {"key": "gpt-4o", "requests": 2, "requests_without_usage": 0, "quota": c1 + c2,
             "usage": {"input_tokens": 1500, "cache_read_tokens": 100, "output_tokens": 200}},
            {"key": "gpt-4o-mini", "requests": 1, "requests_without_usage": 0, "quota": c3,
             "usage": {"input_tokens": 7, "output_tokens": 3}},
        ])
    );
    assert_eq!(by_model["total"]["quota"].as_i64(), Some(c1 + c2 + c3));
    assert_eq!(by_model["total"]["usage"]["input_tokens"], 1507);
    // By day: everything ended today (UTC), unless the test straddles midnight.
    let (st, by_day) = s.get("/v1/accounts/alice/usage?by=day", RELAY);
    assert_eq!(st, 200, "{by_day}");
    let days = by_day["groups"].as_array().unwrap();
    assert!((1..=2).contains(&days.len()), "{by_day}");
    assert_eq!(by_day["total"], by_model["total"]);
    // A window after now holds nothing; one from long ago holds everything.
    let (_, later) = s.get("/v1/accounts/alice/usage?from=2999-01-01", RELAY);
    assert_eq!(later["groups"], json!([]));
    assert_eq!(later["total"]["requests"], 0);
    let (_, all) = s.get(
        "/v1/accounts/alice/usage?from=2000-01-01&to=2999-01-01T00:00:00Z",
        RELAY,
    );
    assert_eq!(all["total"], by_model["total"]);
    // Bad queries name the parameter.
    let (st, v) = s.get("/v1/accounts/alice/usage?by=week", RELAY);
    assert_eq!((st, kind(&v)), (400, "bad_request"));
    assert!(
        v["error"]["message"].as_str().unwrap().contains("by"),
        "{v}"
    );
    let (st, v) = s.get("/v1/accounts/alice/usage?from=yesterday", RELAY);
    assert_eq!(st, 400);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("from"),
        "{v}"
    );
    assert_eq!(s.get("/v1/accounts/nobody/usage", RELAY).0, 404);

    // The relay's views. Used = charged + held (new-api moves a pre-consumed quota out of
    // the remaining quota while the request runs), available = balance.
    let charged = c1 + c2 + c3;
    let used = charged + open;
    let balance = 10_000_000 - used;
    let (st, tu) = s.get("/api/usage/token", "alice-key");
    assert_eq!(st, 200, "{tu}");
    assert_eq!(
        tu,
        json!({"code": true, "message": "ok", "data": {
            "object": "token_usage", "name": "alice", "total_granted": 10_000_000,
            "total_used": used, "total_available": balance, "unlimited_quota": false,
            "model_limits": {}, "model_limits_enabled": false, "expires_at": 0}})
    );
    assert_eq!(account(&s, "alice")["balance"].as_i64(), Some(balance));
    // A relay token names the account; the answer is the same.
    assert_eq!(s.get("/api/usage/token?account=alice", RELAY), (200, tu));
    let (st, sub) = s.get("/v1/dashboard/billing/subscription", "alice-key");
    assert_eq!(st, 200);
    assert_eq!(
        sub,
        json!({"object": "billing_subscription", "has_payment_method": true,
               "soft_limit_usd": 20, "hard_limit_usd": 20, "system_hard_limit_usd": 20,
               "access_until": 0})
    );
    // total_usage is in cents: used / 500,000 × 100 = used / 5,000, exact.
    let (st, text) = raw_get(
        &s,
        "/v1/dashboard/billing/usage?start_date=2025-01-01&end_date=2025-02-01",
        "alice-key",
    );
    assert_eq!(st, 200);
    let cents = rust_decimal_text(used, 5_000);
    assert_eq!(
        text,
        format!("{{\"object\":\"list\",\"total_usage\":{cents}}}")
    );
    // An account token reads only its own views; a relay token must name the account.
    let (st, v) = s.get("/api/usage/token?account=alice", "bob-key");
    assert_eq!((st, kind(&v)), (403, "forbidden"));
    assert_eq!(s.get("/v1/accounts/alice/usage", "bob-key").0, 403);
    assert_eq!(s.get("/v1/accounts/alice", "alice-key").0, 403);
    let (st, v) = s.post(
        "/v1/quote",
        "alice-key",
        &json!({"model": "gpt-4o", "usage": {}}),
    );
    assert_eq!((st, kind(&v)), (403, "forbidden"));
    let (st, v) = s.get("/api/usage/token", RELAY);
    assert_eq!((st, kind(&v)), (400, "bad_request"));
    assert_eq!(s.get("/api/usage/token", "bob-key").0, 404);
    assert_eq!(s.get("/v1/accounts/alice/usage", "alice-key").0, 200);
}

/// `n / d` as exact decimal text (the integer part, and the fraction without trailing
/// zeros), for the views' dollar amounts.
fn rust_decimal_text(n: i64, d: i64) -> String {
    let (q, mut r) = (n / d, n % d);
    if r == 0 {
        return q.to_string();
    }
    let mut frac = String::new();
    while r != 0 {
        r *= 10;
        frac.push(char::from(b'0' + u8::try_from(r / d).unwrap()));
        r %= d;
    }
    format!("{q}.{frac}")
}

/// A GET whose body is returned as text (to see a JSON number's digits as written).
fn raw_get(s: &Server, path: &str, token: &str) -> (u16, String) {
    let resp = agent()
        .get(&format!("{}{path}", s.base))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    let st = resp.status().as_u16();
    (st, resp.into_body().read_to_string().unwrap())
}

/// Random sequences of credits, holds, settles, refunds and fails from several concurrent
/// clients on shared accounts, spread over one or more servers on one ledger, checked
/// against a sequential model of the ledger built from the acknowledged answers alone
/// (several servers: a client's consecutive calls go to different servers, so a hold taken
/// on one is ended, repeated and raced on another): every answer is the one the model predicts (a hold is
/// the estimate's units, a settle the quote's units for its usage, a fail what the
/// classifier says), a repeat returns the first answer, two clients ending one hold at
/// once never both succeed, no balance is ever seen negative, and at the end every
/// account equals the model and its usage view sums the charges.
mod model {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    const ACCOUNTS: usize = 3;
    const CLIENTS: usize = 4;
    const OPS: usize = 24;
    /// Usages within the hold's bound (the request's 14 estimated input tokens and its
    /// `max_tokens` of 100), as a served request's are: the ledger lets a settle beyond
    /// the hold take the balance below zero (the request was served, its cost is owed), so
    /// "never negative" is a property of charges within their holds.
    const USAGES: [&str; 3] = [
        r#"{"input_tokens": 14, "output_tokens": 100}"#,
        r#"{"input_tokens": 4, "cache_read_tokens": 10, "output_tokens": 37}"#,
        r#"{"input_tokens": 1}"#,
    ];
    const FAILS: [(u16, &str); 3] = [
        (
            429,
            r#"{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}"#,
        ),
        (500, "upstream connection reset"),
        (
            400,
            r#"{"error":{"message":"This model's maximum context length is 128000 tokens","type":"invalid_request_error"}}"#,
        ),
    ];

    #[derive(Clone, Debug)]
    enum Op {
        /// Credit `halves` half-holds and one unit to an account.
        Credit {
            acct: usize,
            halves: i64,
        },
        /// Repeat this client's last credit (same key and body).
        RepeatCredit,
        Hold {
            acct: usize,
        },
        Settle {
            pick: usize,
            usage: usize,
        },
        Refund {
            pick: usize,
        },
        Fail {
            pick: usize,
            fail: usize,
        },
        /// Settle and refund one open hold from two threads at once.
        Race {
            pick: usize,
            usage: usize,
        },
        /// Repeat an earlier ending call (same path and body).
        Repeat {
            pick: usize,
        },
        Read {
            acct: usize,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            2 => (0..ACCOUNTS, 1..5i64).prop_map(|(acct, halves)| Op::Credit { acct, halves }),
            1 => Just(Op::RepeatCredit),
            5 => (0..ACCOUNTS).prop_map(|acct| Op::Hold { acct }),
            3 => (any::<usize>(), 0..USAGES.len()).prop_map(|(pick, usage)| Op::Settle { pick, usage }),
            1 => any::<usize>().prop_map(|pick| Op::Refund { pick }),
            1 => (any::<usize>(), 0..FAILS.len()).prop_map(|(pick, fail)| Op::Fail { pick, fail }),
            1 => (any::<usize>(), 0..USAGES.len()).prop_map(|(pick, usage)| Op::Race { pick, usage }),
            1 => any::<usize>().prop_map(|pick| Op::Repeat { pick }),
            1 => (0..ACCOUNTS).prop_map(|acct| Op::Read { acct }),
        ]
    }

    /// What the model expects of the ledger, from independent routes: units per hold
    /// (the estimate), per usage (the quote) and per fail (the classifier's billing).
    struct Expect {
        per: i64,
        usage_units: Vec<i64>,
        fail_charges: Vec<bool>,
    }

    /// The acknowledged effects one client saw.
    #[derive(Default)]
    struct Seen {
        credits: Vec<(usize, i64)>,
        holds: Vec<(String, usize)>,
        /// Hold id → units charged (0 for a refund).
        ends: BTreeMap<String, i64>,
        refused: usize,
    }

    fn post(agent: &ureq::Agent, base: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
        let r = agent
            .post(&format!("{base}{path}"))
            .header("Authorization", format!("Bearer {token}"))
            .send(body.as_bytes())
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let st = r.status().as_u16();
        let text = r.into_body().read_to_string().unwrap();
        (
            st,
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} → {st}: {e}: {text}")),
        )
    }

    /// Checks an ending answer against the model; returns the units charged.
    fn ended(x: &Expect, v: &Value, charge: Option<i64>) -> Result<i64, TestCaseError> {
        match charge {
            Some(units) => {
                prop_assert_eq!(v["charged"].as_i64(), Some(units), "{}", v);
                prop_assert_eq!(v["released"].as_i64(), Some(x.per), "{}", v);
                Ok(units)
            }
            None => {
                prop_assert_eq!(v["refunded"].as_i64(), Some(x.per), "{}", v);
                Ok(0)
            }
        }
    }

    /// One client's run of `ops`, as the model checks it step by step; its `i`-th call goes
    /// to `bases[(me + i) % bases.len()]`, the racing refund to the next server.
    fn client(
        bases: &[String],
        accts: &[String],
        x: &Expect,
        me: usize,
        ops: &[Op],
        ids: &AtomicUsize,
    ) -> Result<Seen, TestCaseError> {
        let agent = agent();
        let mut seen = Seen::default();
        let mut open: Vec<(String, usize)> = Vec::new();
        let mut done: Vec<(String, String, Value)> = Vec::new();
        let mut last_credit: Option<(String, String, Value)> = None;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        for (i, op) in ops.iter().enumerate() {
            prop_assert!(
                std::time::Instant::now() < deadline,
                "the run is over its time"
            );
            let base = bases[(me + i) % bases.len()].as_str();
            let other = bases[(me + i + 1) % bases.len()].as_str();
            match op {
                Op::Credit { acct, halves } => {
                    let amount = halves * x.per / 2 + 1;
                    let key = format!("{}-credit-{me}-{}", accts[*acct], ids.fetch_add(1, Relaxed));
                    let path = format!("/v1/accounts/{}/credit", accts[*acct]);
                    let body = json!({"amount": amount, "key": key}).to_string();
                    let (st, v) = post(&agent, base, &path, ADMIN, &body);
                    prop_assert_eq!(st, 200, "{}", v);
                    seen.credits.push((*acct, amount));
                    last_credit = Some((path, body, v));
                }
                Op::RepeatCredit => {
                    if let Some((path, body, first)) = &last_credit {
                        let (st, v) = post(&agent, base, path, ADMIN, body);
                        prop_assert_eq!((st, &v), (200, first));
                    }
                }
                Op::Hold { acct } => {
                    let id = format!("{}-h{me}-{}", accts[*acct], ids.fetch_add(1, Relaxed));
                    let body = json!({"request_id": id, "account": accts[*acct], "api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST}).to_string();
                    let (st, v) = post(&agent, base, "/v1/holds", RELAY, &body);
                    match st {
                        200 => {
                            prop_assert_eq!(v["held"].as_i64(), Some(x.per), "{}", v);
                            seen.holds.push((id.clone(), *acct));
                            open.push((id, *acct));
                        }
                        402 => seen.refused += 1,
                        _ => prop_assert!(false, "hold → {} {}", st, v),
                    }
                }
                Op::Settle { pick, usage } | Op::Race { pick, usage } if !open.is_empty() => {
                    let (id, _) = open.swap_remove(pick % open.len());
                    let path = format!("/v1/holds/{id}/settle");
                    let body = format!("{{\"usage\":{}}}", USAGES[*usage]);
                    let units = x.usage_units[*usage];
                    if matches!(op, Op::Race { .. }) {
                        // Settle and refund at once: exactly one succeeds, the other is
                        // told the hold already ended.
                        let refund = format!("/v1/holds/{id}/refund");
                        let (a, b) = std::thread::scope(|sc| {
                            let a = sc.spawn(|| post(&agent, base, &path, RELAY, &body));
                            let b = sc.spawn(|| post(&agent, other, &refund, RELAY, "{}"));
                            (a.join().unwrap(), b.join().unwrap())
                        });
                        let statuses = (a.0, b.0);
                        prop_assert!(
                            statuses == (200, 409) || statuses == (409, 200),
                            "race: {:?} {:?}",
                            a,
                            b
                        );
                        let (charged, p, bd, v) = if a.0 == 200 {
                            (ended(x, &a.1, Some(units))?, path, body, a.1)
                        } else {
                            (ended(x, &b.1, None)?, refund, "{}".to_string(), b.1)
                        };
                        seen.ends.insert(id, charged);
                        done.push((p, bd, v));
                    } else {
                        let (st, v) = post(&agent, base, &path, RELAY, &body);
                        prop_assert_eq!(st, 200, "{}", v);
                        seen.ends.insert(id, ended(x, &v, Some(units))?);
                        done.push((path, body, v));
                    }
                }
                Op::Refund { pick } if !open.is_empty() => {
                    let (id, _) = open.swap_remove(pick % open.len());
                    let path = format!("/v1/holds/{id}/refund");
                    let (st, v) = post(&agent, base, &path, RELAY, "{}");
                    prop_assert_eq!(st, 200, "{}", v);
                    seen.ends.insert(id, ended(x, &v, None)?);
                    done.push((path, "{}".into(), v));
                }
                Op::Fail { pick, fail } if !open.is_empty() => {
                    let (id, _) = open.swap_remove(pick % open.len());
                    let path = format!("/v1/holds/{id}/fail");
                    let (status, text) = FAILS[*fail];
                    let body = json!({"status": status, "body": text}).to_string();
                    let (st, v) = post(&agent, base, &path, RELAY, &body);
                    prop_assert_eq!(st, 200, "{}", v);
                    let charge = x.fail_charges[*fail].then_some(x.per);
                    seen.ends.insert(id, ended(x, &v, charge)?);
                    done.push((path, body, v));
                }
                Op::Repeat { pick } if !done.is_empty() => {
                    let (path, body, first) = &done[pick % done.len()];
                    let (st, v) = post(&agent, base, path, RELAY, body);
                    prop_assert_eq!((st, &v), (200, first));
                }
                Op::Read { acct } => {
                    let path = format!("/v1/accounts/{}", accts[*acct]);
                    let r = agent
                        .get(&format!("{base}{path}"))
                        .header("Authorization", format!("Bearer {RELAY}"))
                        .call()
                        .unwrap();
                    if r.status() == 200 {
                        let v: Value =
                            serde_json::from_str(&r.into_body().read_to_string().unwrap()).unwrap();
                        let n = |k: &str| v[k].as_i64().unwrap();
                        prop_assert!(n("balance") >= 0, "{}", v);
                        prop_assert_eq!(n("funded"), n("balance") + n("held") + n("charged"));
                    }
                }
                // An ending op with nothing open or done is skipped.
                _ => {}
            }
        }
        Ok(seen)
    }

    /// One server on a temporary SQLite ledger.
    #[test]
    fn concurrent_clients_match_a_sequential_model() {
        let dir = temp_dir("model");
        let s = start(&dir.join("l.db"), &[]);
        run(&[&s]);
    }

    /// Two server processes on one PostgreSQL database (`TARIFF_TEST_POSTGRES_URL`, which
    /// `.ci/run` sets): holds taken on one server are settled, refunded, failed, repeated
    /// and raced on the other, and both serve the same books at the end.
    #[test]
    fn postgres_two_servers_match_a_sequential_model() {
        let Some((a, b)) = two_postgres_servers() else {
            return;
        };
        run(&[&a, &b]);
    }

    /// The model's runs against `servers`, which share one ledger. Accounts are named for
    /// this run, so runs on a shared database do not meet.
    fn run(servers: &[&Server]) {
        let s = servers[0];
        let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
        let run_id = unique("m");
        let (st, est) = s.post(
            "/v1/estimate",
            RELAY,
            &json!({"api": "openai-chat", "model": "gpt-4o", "request": CHAT_REQUEST}),
        );
        assert_eq!(st, 200, "{est}");
        let usage_units = USAGES
            .iter()
            .map(|u| {
                let q = json!({"model": "gpt-4o", "usage": serde_json::from_str::<Value>(u).unwrap(), "quota": {}});
                let (st, v) = s.post("/v1/quote", RELAY, &q);
                assert_eq!(st, 200, "{v}");
                v["quota"]["units"].as_i64().unwrap()
            })
            .collect();
        let fail_charges = FAILS
            .iter()
            .map(|(status, body)| {
                let (_, v) = s.post(
                    "/v1/classify",
                    RELAY,
                    &json!({"status": status, "body": body}),
                );
                v["action"]["billing"] == "charge"
            })
            .collect();
        let x = Expect {
            per: est["quota"]["units"].as_i64().unwrap(),
            usage_units,
            fail_charges,
        };
        assert!(
            x.usage_units.iter().all(|u| (1..=x.per).contains(u)),
            "usages beyond the hold: {:?} > {}",
            x.usage_units,
            x.per
        );
        let ids = AtomicUsize::new(0);
        let cases = AtomicUsize::new(0);
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 6,
            max_shrink_iters: 8,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        let plan = prop::collection::vec(prop::collection::vec(op(), OPS), CLIENTS);
        runner
            .run(&plan, |plan| {
                // Fresh accounts per case, so cases (and shrinking) do not meet.
                let case = cases.fetch_add(1, Relaxed);
                let accts: Vec<String> = (0..ACCOUNTS)
                    .map(|a| format!("{run_id}-{case}-{a}"))
                    .collect();
                // Each account opens with one unit (less than any hold), so a hold on it is
                // answered 200 or 402, never 404.
                for (a, name) in accts.iter().enumerate() {
                    let (st, v) = servers[a % servers.len()].post(
                        &format!("/v1/accounts/{name}/credit"),
                        ADMIN,
                        &json!({"amount": 1, "key": format!("{name}-open")}),
                    );
                    prop_assert_eq!(st, 200, "{}", v);
                }
                let seen: Vec<Result<Seen, TestCaseError>> = std::thread::scope(|sc| {
                    let handles: Vec<_> = plan
                        .iter()
                        .enumerate()
                        .map(|(me, ops)| {
                            let (bases, accts, x, ids) = (&bases, &accts, &x, &ids);
                            sc.spawn(move || client(bases, accts, x, me, ops, ids))
                        })
                        .collect();
                    handles.into_iter().map(|h| h.join().unwrap()).collect()
                });
                // The sequential model: each account's books from the acknowledged answers.
                let mut funded = [1i64; ACCOUNTS];
                let mut held = [0i64; ACCOUNTS];
                let mut charged = [0i64; ACCOUNTS];
                for seen in seen {
                    let seen = seen?;
                    for (a, n) in &seen.credits {
                        funded[*a] += n;
                    }
                    for (id, a) in &seen.holds {
                        match seen.ends.get(id) {
                            Some(c) => charged[*a] += c,
                            None => held[*a] += x.per,
                        }
                    }
                }
                // Every server serves the same books.
                for (a, name) in accts.iter().enumerate() {
                    let want = json!({"account": name, "balance": funded[a] - held[a] - charged[a], "held": held[a], "charged": charged[a], "funded": funded[a]});
                    prop_assert!(want["balance"].as_i64().unwrap() >= 0, "{}", want);
                    for s in servers {
                        let (st, v) = s.get(&format!("/v1/accounts/{name}"), RELAY);
                        prop_assert_eq!((st, &v), (200, &want), "{}", s.base);
                        let (_, u) = s.get(&format!("/v1/accounts/{name}/usage"), RELAY);
                        prop_assert_eq!(u["total"]["quota"].as_i64(), Some(charged[a]), "{}", u);
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}

/// `kill -9` of a server on PostgreSQL during a load of holds and settles: after a restart
/// on the same database every acknowledged operation is there and the account balances.
/// Needs `TARIFF_TEST_POSTGRES_URL` (`.ci/run` sets it); bounded as the SQLite crash test
/// (at most 400 operations, 20 s; the kill after 40 acknowledgements).
#[test]
fn postgres_kill_9_loses_no_acknowledged_operation() {
    let Some(s) = start_postgres(&[]) else {
        eprintln!(
            "TARIFF_TEST_POSTGRES_URL is not set: the PostgreSQL test needs .ci/run's cluster"
        );
        return;
    };
    let acct = unique("pgcrash");
    let (st, _) = s.post(
        &format!("/v1/accounts/{acct}/credit"),
        ADMIN,
        &json!({"amount": 1_000_000_000, "key": unique("pgk")}),
    );
    assert_eq!(st, 200);
    let acked = crash_load(s, &acct, |s| {
        s.child.kill().unwrap();
        s.child.wait().unwrap();
    });
    let s = start_postgres(&[]).unwrap();
    check_acked(&s, &acct, &acked, 1_000_000_000);
}

/// `clients/go`, a relay's side in Go (standard library only), against the server: credit,
/// hold, settle, account and a refused credit, each checked by the program. Its `call`
/// function is the README's Go snippet, character for character. Skipped with a note when
/// no `go` is installed (`.ci/run` installs Debian's `golang-go`).
#[test]
fn go_client_runs_against_the_server() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../clients/go");
    let program = std::fs::read_to_string(format!("{root}/main.go")).unwrap();
    let snippet = readme_block("Go (`net/http`");
    assert!(
        program.contains(snippet.trim()),
        "clients/go/main.go and the README's Go snippet differ"
    );
    if Command::new("go").arg("version").output().is_err() {
        eprintln!("no `go` on PATH: the Go client is run by .ci/run, which installs golang-go");
        return;
    }
    let dir = temp_dir("go");
    let s = start(&dir.join("l.db"), &[]);
    let out = Command::new("go")
        .args(["run", "."])
        .current_dir(root)
        .env("TARIFF_URL", &s.base)
        .env("TARIFF_RELAY", RELAY)
        .env("TARIFF_ADMIN", ADMIN)
        // Its build cache in the test's directory (HOME may be unset or read-only).
        .env("GOCACHE", dir.join("gocache"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "go run: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
