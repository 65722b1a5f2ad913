//! new-api's `logs` table read straight from its database (`sqlite://`, `postgres://`,
//! `mysql://`), read-only and streaming: the consume rows (type 2) in id order become the
//! JSON lines of a log export and go to the reconciler through a bounded pipe, so the
//! report and its row accounting are those of the file readers, and memory stays flat
//! whatever the table's size.
//!
//! Column names and types are new-api's `model/log.go` (`Log`, GORM: `int` → integer /
//! bigint, `string` → text; `group` is a reserved word, quoted per database).

use std::io::{self, Read};
use std::str::FromStr;
use std::sync::mpsc::{sync_channel, Receiver};

use anyhow::{bail, Context, Result};
use futures_util::TryStreamExt;
use sqlx::{ConnectOptions, Row};

/// Bytes of JSON lines sent through the pipe at a time.
const BATCH: usize = 64 << 10;
/// Batches in flight (so at most about `BATCH * (DEPTH + 2)` bytes are buffered).
const DEPTH: usize = 4;

/// The database kind a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `sqlite://PATH` (new-api's default `one-api.db`).
    Sqlite,
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `mysql://` or `mariadb://`.
    Mysql,
}

/// The kind of database a URL names.
pub fn kind(url: &str) -> Result<Kind> {
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    Ok(match scheme {
        "sqlite" => Kind::Sqlite,
        "postgres" | "postgresql" => Kind::Postgres,
        "mysql" | "mariadb" => Kind::Mysql,
        _ => bail!(
            "--db {}: expected sqlite://PATH, postgres://… or mysql://…",
            redact(url)
        ),
    })
}

/// The URL without its password, to name the source in reports and rejects.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let auth = &url[s + 3..at];
            let user = auth.split(':').next().unwrap_or("");
            format!("{}://{user}@{}", &url[..s], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

fn query(kind: Kind) -> &'static str {
    match kind {
        Kind::Sqlite => {
            // NOT INDEXED: a scan in rowid (= id) order. With new-api's (created_at, type)
            // index SQLite would otherwise search the index and sort every row in a
            // temporary B-tree for the ORDER BY (5,000,000 rows: spilled to disk, 2.6x the
            // file reader's time).
            r#"SELECT id, created_at, type, model_name, username, user_id, "group", quota, prompt_tokens, completion_tokens, channel_id, other FROM logs NOT INDEXED WHERE type = 2 AND created_at >= ?1 AND created_at < ?2 ORDER BY id"#
        }
        Kind::Postgres => {
            r#"SELECT id::bigint, created_at::bigint, type::bigint, model_name::text, username::text, user_id::bigint, "group"::text, quota::bigint, prompt_tokens::bigint, completion_tokens::bigint, channel_id::bigint, other::text FROM logs WHERE type = 2 AND created_at >= $1 AND created_at < $2 ORDER BY id"#
        }
        Kind::Mysql => {
            "SELECT CAST(id AS SIGNED), CAST(created_at AS SIGNED), CAST(type AS SIGNED), model_name, username, CAST(user_id AS SIGNED), `group`, CAST(quota AS SIGNED), CAST(prompt_tokens AS SIGNED), CAST(completion_tokens AS SIGNED), CAST(channel_id AS SIGNED), other FROM logs WHERE type = 2 AND created_at >= ? AND created_at < ? ORDER BY id"
        }
    }
}

/// The columns read, in the order of the queries, and whether each is an integer.
const COLUMNS: [(&str, bool); 12] = [
    ("id", true),
    ("created_at", true),
    ("type", true),
    ("model_name", false),
    ("username", false),
    ("user_id", true),
    ("group", false),
    ("quota", true),
    ("prompt_tokens", true),
    ("completion_tokens", true),
    ("channel_id", true),
    ("other", false),
];

/// One row as the JSON line of a log export, written straight into `out`: text columns are
/// borrowed from the row and escaped by serde_json, integers written in decimal; NULL
/// columns are left out, as an export leaves out what it does not have.
fn line<R: Row>(r: &R, out: &mut Vec<u8>) -> Result<(), sqlx::Error>
where
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<&'a str>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    use std::io::Write as _;
    out.push(b'{');
    let mut first = true;
    let mut key = |out: &mut Vec<u8>, k: &str| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"\":");
    };
    for (i, (k, is_int)) in COLUMNS.into_iter().enumerate() {
        if is_int {
            if let Some(n) = r.try_get::<Option<i64>, _>(i)? {
                key(out, k);
                write!(out, "{n}").expect("writing to a Vec");
            }
        } else if let Some(t) = r.try_get::<Option<&str>, _>(i)? {
            key(out, k);
            serde_json::to_writer(&mut *out, t).expect("a string serializes");
        }
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// The consume rows of the `logs` table as a stream of JSON lines.
pub struct LogRows {
    rx: Receiver<io::Result<Vec<u8>>>,
    buf: Vec<u8>,
    pos: usize,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Read for LogRows {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            match self.rx.recv() {
                Ok(Ok(b)) => {
                    self.buf = b;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    if let Some(w) = self.worker.take() {
                        let _ = w.join();
                    }
                    return Ok(0);
                }
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// After a row was written into `batch`: sends the batch on once it holds [`BATCH`] bytes,
/// or the row's error. False when the reading stops (an error, or the reader has gone).
fn add_row<E: std::fmt::Display>(
    tx: &std::sync::mpsc::SyncSender<io::Result<Vec<u8>>>,
    batch: &mut Vec<u8>,
    written: Result<(), E>,
) -> bool {
    if let Err(e) = written {
        let _ = tx.send(Err(io_err(format!("reading a logs row: {e}"))));
        return false;
    }
    batch.len() < BATCH
        || tx
            .send(Ok(std::mem::replace(
                batch,
                Vec::with_capacity(BATCH + 4096),
            )))
            .is_ok()
}

macro_rules! stream_rows {
    ($conn:expr, $kind:expr, $since:expr, $until:expr, $tx:expr) => {{
        let mut rows = sqlx::query(query($kind))
            .bind($since)
            .bind($until)
            .fetch(&mut $conn);
        let mut batch = Vec::with_capacity(BATCH + 4096);
        loop {
            match rows.try_next().await {
                Ok(Some(r)) => {
                    let written = line(&r, &mut batch);
                    if !add_row(&$tx, &mut batch, written) {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = $tx.send(Err(io_err(format!("reading table logs: {e}"))));
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = $tx.send(Ok(batch));
        }
    }};
}

/// The file a `sqlite://PATH` or `sqlite:PATH` URL names (its `?…` options left out: the
/// file is always opened read-only).
fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split_once('?').map_or(rest, |(p, _)| p)
}

/// One SQLite row as a JSON line, from SQLite's own buffers. SQLite's columns are
/// dynamically typed: an integer in a text column is written as its text; text, a real
/// or a blob in an integer column is an error naming the column.
fn sqlite_line(r: &rusqlite::Row<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    use rusqlite::types::ValueRef;
    use std::io::Write as _;
    out.push(b'{');
    let mut first = true;
    for (i, (k, is_int)) in COLUMNS.into_iter().enumerate() {
        let v = r.get_ref(i).map_err(|e| format!("column {k}: {e}"))?;
        if v == ValueRef::Null {
            continue;
        }
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b"\":");
        match v {
            ValueRef::Integer(n) if is_int => write!(out, "{n}").expect("writing to a Vec"),
            ValueRef::Integer(n) => write!(out, "\"{n}\"").expect("writing to a Vec"),
            ValueRef::Text(t) | ValueRef::Blob(t) if !is_int => {
                let t =
                    std::str::from_utf8(t).map_err(|_| format!("column {k}: not UTF-8 text"))?;
                serde_json::to_writer(&mut *out, t).expect("a string serializes");
            }
            other => {
                return Err(format!(
                    "column {k}: {:?} where an integer is expected",
                    other.data_type()
                ))
            }
        }
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// SQLite, read through rusqlite on this thread: rows stepped in id order and written from
/// SQLite's buffers straight into the batch. (sqlx's driver copies every value and hands
/// each row across threads: 2.4x the CPU of the file reader over 5,000,000 rows.)
fn sqlite_rows(
    url: &str,
    since: i64,
    until: i64,
    tx: &std::sync::mpsc::SyncSender<io::Result<Vec<u8>>>,
    ready: std::sync::mpsc::SyncSender<Result<(), String>>,
) {
    use rusqlite::OpenFlags;
    let conn = match rusqlite::Connection::open_with_flags(
        sqlite_path(url),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    let mut stmt = match conn.prepare(query(Kind::Sqlite)) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    let mut rows = match stmt.query((since, until)) {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let mut batch = Vec::with_capacity(BATCH + 4096);
    loop {
        match rows.next() {
            Ok(Some(r)) => {
                let written = sqlite_line(r, &mut batch);
                if !add_row(tx, &mut batch, written) {
                    return;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Err(io_err(format!("reading table logs: {e}"))));
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(Ok(batch));
    }
}

/// Opens the database read-only and streams the consume rows created in
/// `since <= created_at < until` (Unix seconds), in id order.
pub fn open(url: &str, since: i64, until: i64) -> Result<LogRows> {
    let kind = kind(url)?;
    let shown = redact(url);
    let url = url.to_string();
    let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
    let (ready_tx, ready_rx) = sync_channel::<Result<(), String>>(1);
    let worker = std::thread::Builder::new()
        .name("tariff-db".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            if kind == Kind::Sqlite {
                sqlite_rows(&url, since, until, &tx, ready_tx);
                return;
            }
            rt.block_on(async move {
                macro_rules! connected {
                    ($r:expr) => {
                        match $r {
                            Ok(c) => {
                                let _ = ready_tx.send(Ok(()));
                                c
                            }
                            Err(e) => {
                                let _ = ready_tx.send(Err(e.to_string()));
                                return;
                            }
                        }
                    };
                }
                match kind {
                    Kind::Sqlite => unreachable!("read by sqlite_rows"),
                    Kind::Postgres => {
                        let c = async {
                            sqlx::postgres::PgConnectOptions::from_str(&url)?
                                .options([("default_transaction_read_only", "on")])
                                .connect()
                                .await
                        };
                        let mut c = connected!(c.await);
                        stream_rows!(c, kind, since, until, tx);
                    }
                    Kind::Mysql => {
                        let url = url.replacen("mariadb://", "mysql://", 1);
                        let c = async {
                            let mut c = sqlx::mysql::MySqlConnectOptions::from_str(&url)?
                                .connect()
                                .await?;
                            sqlx::query("SET SESSION TRANSACTION READ ONLY")
                                .execute(&mut c)
                                .await?;
                            Ok::<_, sqlx::Error>(c)
                        };
                        let mut c = connected!(c.await);
                        stream_rows!(c, kind, since, until, tx);
                    }
                }
            });
        })
        .context("starting the database reader")?;
    match ready_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => bail!("--db {shown}: {e}"),
        Err(_) => bail!("--db: the database reader stopped before connecting"),
    }
    Ok(LogRows {
        rx,
        buf: Vec::new(),
        pos: 0,
        worker: Some(worker),
    })
}

/// new-api's `logs` table as GORM creates it from `model/log.go` on each database, with
/// the `(created_at, type)` index the relay's log queries use. `tariff synth --new-api-db`
/// creates it; the `reconcile --db` tests create theirs through it.
pub fn schema(kind: Kind) -> &'static str {
    match kind {
        Kind::Sqlite => {
            "CREATE TABLE `logs` (`id` integer PRIMARY KEY AUTOINCREMENT,`user_id` integer,`created_at` integer,`type` integer,`content` text,`username` text DEFAULT '',`token_name` text DEFAULT '',`model_name` text DEFAULT '',`quota` integer DEFAULT 0,`prompt_tokens` integer DEFAULT 0,`completion_tokens` integer DEFAULT 0,`use_time` integer DEFAULT 0,`is_stream` numeric,`channel_id` integer,`token_id` integer DEFAULT 0,`group` text,`ip` text DEFAULT '',`other` text);
             CREATE INDEX idx_created_at_type ON logs(created_at, type);"
        }
        Kind::Postgres => {
            r#"CREATE TABLE logs (id bigserial PRIMARY KEY, user_id bigint, created_at bigint, type bigint, content text, username text DEFAULT '', token_name text DEFAULT '', model_name text DEFAULT '', quota bigint DEFAULT 0, prompt_tokens bigint DEFAULT 0, completion_tokens bigint DEFAULT 0, use_time bigint DEFAULT 0, is_stream boolean, channel_id bigint, token_id bigint DEFAULT 0, "group" text, ip text DEFAULT '', other text);
               CREATE INDEX idx_created_at_type ON logs(created_at, type);"#
        }
        Kind::Mysql => {
            "CREATE TABLE `logs` (`id` bigint AUTO_INCREMENT PRIMARY KEY,`user_id` bigint,`created_at` bigint,`type` bigint,`content` longtext,`username` varchar(191) DEFAULT '',`token_name` varchar(191) DEFAULT '',`model_name` varchar(191) DEFAULT '',`quota` bigint DEFAULT 0,`prompt_tokens` bigint DEFAULT 0,`completion_tokens` bigint DEFAULT 0,`use_time` bigint DEFAULT 0,`is_stream` boolean,`channel_id` bigint,`token_id` bigint DEFAULT 0,`group` varchar(191),`ip` varchar(191) DEFAULT '',`other` longtext, INDEX idx_created_at_type (created_at, type)) DEFAULT CHARSET=utf8mb4"
        }
    }
}

/// One row of the `logs` table, as new-api serves it in JSON (the channel id is `channel`).
#[derive(Debug, serde::Deserialize)]
pub struct LogRecord {
    id: i64,
    user_id: i64,
    created_at: i64,
    #[serde(rename = "type")]
    kind: i64,
    content: String,
    username: String,
    token_name: String,
    model_name: String,
    quota: i64,
    prompt_tokens: i64,
    completion_tokens: i64,
    use_time: i64,
    is_stream: bool,
    channel: i64,
    token_id: i64,
    group: String,
    ip: String,
    other: String,
}

/// Rows per INSERT statement: 18 parameters each stays under every driver's limit
/// (SQLite 32,766, PostgreSQL and MySQL 65,535).
const INSERT_ROWS: usize = 1000;
/// Statements per transaction.
const TX_STATEMENTS: usize = 50;

macro_rules! insert_batches {
    ($conn:expr, $db:ty, $insert:expr, $rows:expr) => {{
        let mut n: u64 = 0;
        let mut batch: Vec<LogRecord> = Vec::with_capacity(INSERT_ROWS);
        let mut rows = $rows;
        let mut tx = sqlx::Connection::begin(&mut $conn).await?;
        let mut statements = 0usize;
        loop {
            let next = rows.next().transpose()?;
            let done = next.is_none();
            if let Some(r) = next {
                batch.push(r);
            }
            if batch.len() == INSERT_ROWS || (done && !batch.is_empty()) {
                let mut q = sqlx::QueryBuilder::<$db>::new($insert);
                q.push_values(batch.drain(..), |mut b, r| {
                    b.push_bind(r.id)
                        .push_bind(r.user_id)
                        .push_bind(r.created_at)
                        .push_bind(r.kind)
                        .push_bind(r.content)
                        .push_bind(r.username)
                        .push_bind(r.token_name)
                        .push_bind(r.model_name)
                        .push_bind(r.quota)
                        .push_bind(r.prompt_tokens)
                        .push_bind(r.completion_tokens)
                        .push_bind(r.use_time)
                        .push_bind(r.is_stream)
                        .push_bind(r.channel)
                        .push_bind(r.token_id)
                        .push_bind(r.group)
                        .push_bind(r.ip)
                        .push_bind(r.other);
                    n += 1;
                });
                q.build().execute(&mut *tx).await?;
                statements += 1;
                if statements == TX_STATEMENTS {
                    tx.commit().await?;
                    tx = sqlx::Connection::begin(&mut $conn).await?;
                    statements = 0;
                }
            }
            if done {
                break;
            }
        }
        tx.commit().await?;
        n
    }};
}

/// Creates new-api's `logs` table in the database `url` names (a SQLite file is created if
/// missing; the table must not exist yet) and inserts `rows` in batches, so memory stays
/// bounded whatever their number. Returns the number of rows inserted.
pub fn create_and_fill(url: &str, rows: impl Iterator<Item = Result<LogRecord>>) -> Result<u64> {
    let kind = kind(url)?;
    let shown = redact(url);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the database writer")?;
    let cols = |group: &str| {
        format!("INSERT INTO logs (id, user_id, created_at, type, content, username, token_name, model_name, quota, prompt_tokens, completion_tokens, use_time, is_stream, channel_id, token_id, {group}, ip, other) ")
    };
    rt.block_on(async move {
        match kind {
            Kind::Sqlite => {
                let mut c = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .connect()
                    .await?;
                sqlx::raw_sql(schema(kind)).execute(&mut c).await?;
                Ok(insert_batches!(c, sqlx::Sqlite, cols("`group`"), rows))
            }
            Kind::Postgres => {
                let mut c = sqlx::postgres::PgConnectOptions::from_str(url)?
                    .connect()
                    .await?;
                sqlx::raw_sql(schema(kind)).execute(&mut c).await?;
                let n = insert_batches!(c, sqlx::Postgres, cols("\"group\""), rows);
                // The ids were given: the sequence continues after them, as new-api's own
                // inserts would need.
                sqlx::raw_sql(
                    "SELECT setval(pg_get_serial_sequence('logs', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM logs",
                )
                .execute(&mut c)
                .await?;
                Ok(n)
            }
            Kind::Mysql => {
                let url = url.replacen("mariadb://", "mysql://", 1);
                let mut c = sqlx::mysql::MySqlConnectOptions::from_str(&url)?
                    .connect()
                    .await?;
                sqlx::raw_sql(schema(kind)).execute(&mut c).await?;
                Ok(insert_batches!(c, sqlx::MySql, cols("`group`"), rows))
            }
        }
    })
    .map_err(|e: anyhow::Error| e.context(format!("--new-api-db {shown}")))
}

/// A `--since` / `--until` bound: Unix seconds, an RFC 3339 time, or a date (UTC midnight).
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp());
    }
    Err(format!(
        "`{s}`: expected Unix seconds, an RFC 3339 time or YYYY-MM-DD"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://ann:s3cret@db:5432/newapi"),
            "postgres://ann@db:5432/newapi"
        );
        assert_eq!(
            redact("sqlite:///data/one-api.db"),
            "sqlite:///data/one-api.db"
        );
        assert_eq!(parse_time("2025-10-09"), Ok(1759968000));
        assert_eq!(parse_time("1760000000"), Ok(1760000000));
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_path("sqlite:///data/one-api.db"), "/data/one-api.db");
        assert_eq!(sqlite_path("sqlite://one-api.db?mode=ro"), "one-api.db");
        assert_eq!(sqlite_path("sqlite:one-api.db"), "one-api.db");
    }

    /// SQLite's dynamic types: an integer in a text column is written as text; a text in an
    /// integer column is an error naming the column, not a row with the field dropped.
    #[test]
    fn sqlite_rows_keep_their_types() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let line = |sql: &str| {
            let mut st = c.prepare(sql).unwrap();
            let mut rows = st.query(()).unwrap();
            let r = rows.next().unwrap().unwrap();
            let mut out = Vec::new();
            sqlite_line(r, &mut out).map(|()| String::from_utf8(out).unwrap())
        };
        assert_eq!(
            line("SELECT 7, 1760000000, 2, 'gpt-4o', 12, 3, 'vip', 100, 10, 5, NULL, '{\"a\":\"é\"}'")
                .unwrap(),
            "{\"id\":7,\"created_at\":1760000000,\"type\":2,\"model_name\":\"gpt-4o\",\"username\":\"12\",\"user_id\":3,\"group\":\"vip\",\"quota\":100,\"prompt_tokens\":10,\"completion_tokens\":5,\"other\":\"{\\\"a\\\":\\\"é\\\"}\"}\n"
        );
        let e =
            line("SELECT 7, 1760000000, 2, 'm', 'u', 3, 'g', '100', 10, 5, 1, '{}'").unwrap_err();
        assert!(e.contains("column quota"), "{e}");
        let e = line("SELECT 7, 1760000000, 2, 'm', 'u', 3, 'g', 1.5, 10, 5, 1, '{}'").unwrap_err();
        assert!(e.contains("column quota"), "{e}");
    }
}
