//! `tariff reconcile --db`: new-api's `logs` table read straight from SQLite (always),
//! PostgreSQL (TARIFF_TEST_POSTGRES_URL) and MariaDB/MySQL (TARIFF_TEST_MYSQL_URL), with
//! new-api's schema (`model/log.go`, as GORM creates it), against the same rows read from a
//! JSON-lines export: the same report.

use std::path::PathBuf;
use std::process::Command;

use sqlx::{Connection, Executor};

fn tariff() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tariff"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    c
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tariff-db-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const OTHER_FOLLOWS: &str = r#"{"model_ratio":1.25,"completion_ratio":4,"cache_tokens":200,"cache_ratio":0.5,"model_price":-1,"group_ratio":1,"user_group_ratio":-1}"#;
const OTHER_MARKUP: &str = r#"{"model_ratio":2,"completion_ratio":4,"cache_tokens":200,"cache_ratio":0.5,"model_price":-1,"group_ratio":1,"user_group_ratio":-1}"#;

/// (id, created_at, type, model, quota, other): gpt-4o, 1000 prompt (200 cached), 500 out.
/// 3625 follows its ratios at list price; 5800 is the operator's 2× ratio (operator
/// price); 5000 follows nothing (unexplained); a top-up (type 1) is not read; the last
/// row is outside the --until window.
fn rows() -> Vec<(i64, i64, i64, &'static str, i64, &'static str)> {
    vec![
        (1, 1760000000, 2, "gpt-4o", 3625, OTHER_FOLLOWS),
        (2, 1760000100, 2, "gpt-4o", 5800, OTHER_MARKUP),
        (3, 1760000200, 1, "", 500000, ""),
        (4, 1760000300, 2, "gpt-4o", 5000, OTHER_MARKUP),
        (5, 1760000400, 2, "<script>x</script>", 1, OTHER_FOLLOWS),
        (6, 1770000000, 2, "gpt-4o", 3625, OTHER_FOLLOWS),
    ]
}

fn jsonl() -> String {
    rows()
        .into_iter()
        .filter(|r| r.2 == 2 && r.1 < 1765000000)
        .map(|(id, at, ty, m, q, o)| {
            serde_json::json!({"id": id, "created_at": at, "type": ty, "model_name": m,
                "username": "ann", "user_id": 1, "group": "default", "quota": q,
                "prompt_tokens": 1000, "completion_tokens": 500, "channel_id": 3, "other": o})
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// new-api's `logs` table, created by `tariff synth --new-api-db URL --rows 0` (the schema
/// lives in one place, the CLI's).
fn create_table(url: &str) {
    run_ok(&["synth", "--new-api-db", url, "--rows", "0"]);
}

async fn fill<C: Connection>(c: &mut C, insert: &str)
where
    for<'c> &'c mut C: Executor<'c, Database = C::Database>,
    for<'q> <C::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, C::Database>,
    for<'q> i64: sqlx::Encode<'q, C::Database> + sqlx::Type<C::Database>,
    for<'q> &'q str: sqlx::Encode<'q, C::Database> + sqlx::Type<C::Database>,
{
    for (id, at, ty, m, q, o) in rows() {
        sqlx::query(insert)
            .bind(id)
            .bind(at)
            .bind(ty)
            .bind(m)
            .bind(q)
            .bind(o)
            .execute(&mut *c)
            .await
            .unwrap();
    }
}

/// Runs tariff with `args`, which must succeed.
fn run_ok(args: &[&str]) -> std::process::Output {
    let out = tariff().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn report(args: &[&str]) -> serde_json::Value {
    let out = run_ok(args);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The parts of a report that do not name the source.
fn essence(mut v: serde_json::Value) -> serde_json::Value {
    let o = v.as_object_mut().unwrap();
    o.remove("files");
    for t in o["top"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("file");
    }
    for t in o["relay_issues"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("file");
    }
    v
}

/// `tag` names the test's own directory: the tests run in parallel, and one removing a
/// shared directory while another reads its export made that one fail (regression).
fn check_db(url: &str, tag: &str) {
    let dir = tmp(tag);
    let file = dir.join("logs.jsonl");
    std::fs::write(&file, jsonl()).unwrap();
    let args = ["reconcile", "--json", "--margin", "--by", "model,group"];
    let from_db = report(
        &[
            &args[..],
            &[
                "--db",
                url,
                "--since",
                "2025-10-09",
                "--until",
                "1765000000",
            ],
        ]
        .concat(),
    );
    let from_file = report(&[&args[..], &[file.to_str().unwrap()]].concat());
    // Four consume rows in the window: three priced, one unknown model rejected.
    assert_eq!(from_db["rows_read"], 4);
    assert_eq!(from_db["priced"], 3);
    assert_eq!(from_db["rejects_by_kind"]["unknown_model"], 1);
    let q = &from_db["totals"]["quota"];
    assert_eq!(q["relay"]["follows"], 2);
    assert_eq!(q["relay"]["unexplained"], 1);
    assert_eq!(q["classes"]["operator_price"]["rows"], 1);
    // (3625 + 5800 + 5000) / 500,000 = 0.02885 charged; 3 × 0.00725 = 0.02175 upstream.
    assert_eq!(q["margin"]["charged"], "0.02885");
    assert_eq!(q["margin"]["upstream"], "0.02175");
    assert_eq!(q["margin"]["margin"], "0.0071");
    // All three priced rows went through channel 3 (the table's `channel_id`).
    assert_eq!(from_db["margin_by_channel"]["3"]["rows"], 3);
    assert_eq!(from_db["margin_by_channel"]["3"]["margin"], "0.0071");
    assert_eq!(from_db["relay_issues"][0]["line"], 3);
    assert_eq!(from_db["relay_issues"][0]["request_id"], "4");
    assert_eq!(essence(from_db), essence(from_file));
    std::fs::remove_dir_all(&dir).ok();
}

/// A fresh database on the server `url` names, filled with [`rows`]: its URL.
fn fresh<C: Connection>(url: &str, insert: &str) -> String
where
    for<'c> &'c mut C: Executor<'c, Database = C::Database>,
    for<'q> <C::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, C::Database>,
    for<'q> i64: sqlx::Encode<'q, C::Database> + sqlx::Type<C::Database>,
    for<'q> &'q str: sqlx::Encode<'q, C::Database> + sqlx::Type<C::Database>,
{
    let db = format!("newapi_{}", std::process::id());
    rt().block_on(async {
        let mut admin = C::connect(url).await.unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE {db}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let base = url.rsplit_once('/').unwrap().0;
        let db_url = format!("{base}/{db}");
        create_table(&db_url);
        let mut c = C::connect(&db_url).await.unwrap();
        fill(&mut c, insert).await;
        db_url
    })
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sqlite_database_reads_like_its_export() {
    let dir = tmp("sqlite");
    let db = dir.join("one-api.db");
    let url = format!("sqlite://{}", db.display());
    create_table(&url);
    rt().block_on(async {
        let mut c = sqlx::sqlite::SqliteConnection::connect(&url)
            .await
            .unwrap();
        fill(
            &mut c,
            "INSERT INTO logs (id, created_at, type, model_name, quota, other, username, user_id, `group`, prompt_tokens, completion_tokens, channel_id, is_stream) VALUES (?, ?, ?, ?, ?, ?, 'ann', 1, 'default', 1000, 500, 3, 0)",
        )
        .await;
    });
    check_db(&url, "cmp-sqlite");
    // The HTML page from the database.
    let html = dir.join("report.html");
    run_ok(&["reconcile", "--db", &url, "--html", html.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Margin by model"));
    assert!(page.contains("Margin by channel"));
    // A database that does not exist is an error naming it, not an empty report.
    let out = tariff()
        .args(["reconcile", "--db", "sqlite:///nonexistent/one-api.db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:///nonexistent/one-api.db"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn postgres_database_reads_like_its_export() {
    let Ok(url) = std::env::var("TARIFF_TEST_POSTGRES_URL") else {
        eprintln!("TARIFF_TEST_POSTGRES_URL not set: skipped (.ci/run sets it)");
        return;
    };
    let db_url = fresh::<sqlx::postgres::PgConnection>(
        &url,
        r#"INSERT INTO logs (id, created_at, type, model_name, quota, other, username, user_id, "group", prompt_tokens, completion_tokens, channel_id, is_stream) VALUES ($1, $2, $3, $4, $5, $6, 'ann', 1, 'default', 1000, 500, 3, false)"#,
    );
    check_db(&db_url, "cmp-postgres");
}

#[test]
fn mysql_database_reads_like_its_export() {
    let Ok(url) = std::env::var("TARIFF_TEST_MYSQL_URL") else {
        eprintln!("TARIFF_TEST_MYSQL_URL not set: skipped (.ci/run sets it)");
        return;
    };
    let db_url = fresh::<sqlx::mysql::MySqlConnection>(
        &url,
        "INSERT INTO logs (id, created_at, type, model_name, quota, other, username, user_id, `group`, prompt_tokens, completion_tokens, channel_id, is_stream) VALUES (?, ?, ?, ?, ?, ?, 'ann', 1, 'default', 1000, 500, 3, false)",
    );
    check_db(&db_url, "cmp-mysql");
}

/// `tariff synth --new-api-db` fills a SQLite database with N consume rows and writes the
/// same rows as JSON lines: `reconcile --db` reads all N with the report of the file.
#[test]
fn synth_fills_a_sqlite_database_that_reads_like_its_lines() {
    let dir = tmp("synth");
    let db = dir.join("one-api.db");
    let url = format!("sqlite://{}", db.display());
    let lines = dir.join("logs.jsonl");
    run_ok(&[
        "synth",
        "--new-api-db",
        &url,
        "--rows",
        "2500",
        "--seed",
        "5",
        "--out",
        lines.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&lines).unwrap();
    assert_eq!(text.lines().count(), 2500);
    // The lines are those of `synth --format new-api-jsonl` with the same seed.
    let plain = tariff()
        .args([
            "synth",
            "--format",
            "new-api-jsonl",
            "--rows",
            "2500",
            "--seed",
            "5",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(plain.stdout).unwrap(), text);
    let args = ["reconcile", "--json", "--margin", "--by", "model,group,day"];
    let from_db = report(&[&args[..], &["--db", &url]].concat());
    let from_file = report(&[&args[..], &[lines.to_str().unwrap()]].concat());
    assert_eq!(from_db["rows_read"], 2500);
    assert!(from_db["priced"].as_u64().unwrap() > 2000, "{from_db}");
    // synth's channels 1 to 6: `channel` in the lines, `channel_id` in the table.
    assert_eq!(from_db["margin_by_channel"].as_object().unwrap().len(), 6);
    assert_eq!(essence(from_db), essence(from_file));
    // A second fill of the same database is refused: the table exists.
    let again = tariff()
        .args(["synth", "--new-api-db", &url, "--rows", "1"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("logs"));
    std::fs::remove_dir_all(&dir).ok();
}
