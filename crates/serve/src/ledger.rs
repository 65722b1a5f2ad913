//! The durable ledger: credits, holds, settlements and refunds in SQLite or PostgreSQL.
//!
//! Every call is one transaction (on SQLite, a savepoint in a batch transaction that
//! commits with one fsync for every call in it: group commit) and answers only after it
//! has committed (SQLite runs in WAL mode with `synchronous=FULL`, so a commit is on disk). The invariant of the
//! in-memory ledger holds per account: `funded = balance + Σ outstanding holds + Σ
//! settled charges`, the holds and charges recomputed from the hold rows. Whether a hold
//! is granted, and how much it holds, is decided by `tariff::ledger::Ledger::hold` itself
//! on the account's committed balance (under a row lock on PostgreSQL; SQLite has one
//! writer), so the service and the library share one hold policy.
//!
//! Idempotency: a hold, settle, refund or fail repeated with the same request id and the
//! same body returns the stored first answer; with another body it is a 409. A credit is
//! idempotent by its key the same way.

use std::str::FromStr;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use tariff::ledger::{AccountId, Ledger, LedgerError, QuotaUnits, RequestId};
use tariff::outcome::Billing;
use tariff::{Bill, QuotaPolicy};

use crate::error::{ApiError, Kind};
use crate::pricing::{api_of, estimate_value, raw_json, usage_of};
use crate::{AppState, Body};

/// The ledger database.
pub struct Db {
    pub(crate) pool: AnyPool,
    /// PostgreSQL (row locks with `FOR UPDATE`) rather than SQLite (one writer).
    postgres: bool,
    /// SQLite: the one writing connection, whose transactions are batched (group commit).
    writer: Option<Writer>,
}

/// SQLite's writer. Every ledger call runs in a savepoint of the open batch transaction,
/// in arrival order; the first call to finish commits the batch — every call that joined
/// it while the previous commit was being synced — with one fsync, and each call answers
/// only after the batch holding it committed. With `synchronous=FULL` that is the same
/// guarantee as one transaction per call (an acknowledged call is on disk), at a fraction
/// of the syncs: a 2 ms fsync bounds unbatched calls to about 500/s.
pub(crate) struct Writer {
    batch: tokio::sync::Mutex<Batch>,
}

/// The writer's connection and the state of its batch transaction.
pub(crate) struct Batch {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    /// A batch transaction is open.
    open: bool,
    /// A call was abandoned inside its savepoint (its future dropped): the open batch may
    /// hold half of it, so it is rolled back whole and its calls answer 503.
    poisoned: bool,
    /// The number of the open (or last) batch.
    epoch: u64,
    /// Recent batches that did not commit.
    failed: std::collections::VecDeque<u64>,
}

/// How many failed batch numbers are remembered: a waiting call learns its batch's fate
/// within a few batches (it waits in the writer's FIFO queue).
const FAILED_KEPT: usize = 1024;

impl Batch {
    /// Rolls the open batch back and records it as failed.
    async fn abort(&mut self) {
        let _ = sqlx::query("ROLLBACK").execute(&mut *self.conn).await;
        self.open = false;
        self.poisoned = false;
        if self.failed.len() == FAILED_KEPT {
            self.failed.pop_front();
        }
        self.failed.push_back(self.epoch);
    }
}

impl Writer {
    /// Makes batch `epoch` durable (committing it if still open) and says whether it
    /// committed.
    async fn commit_through(&self, epoch: u64) -> Result<(), ApiError> {
        let mut b = self.batch.lock().await;
        if b.open && b.epoch == epoch {
            if b.poisoned {
                b.abort().await;
            } else {
                let done = sqlx::query("COMMIT").execute(&mut *b.conn).await;
                b.open = false;
                if let Err(e) = done {
                    eprintln!("ledger: a batch did not commit: {e}");
                    b.abort().await;
                }
            }
        }
        if b.failed.contains(&epoch) {
            return Err(ApiError::new(
                Kind::Unavailable,
                "the ledger database did not commit this call; it did not happen, repeat it",
            ));
        }
        Ok(())
    }
}

/// One ledger call's transaction: a PostgreSQL transaction, or a savepoint in SQLite's
/// batch. Every path ends in [`WriteTx::finish`]; one dropped before (its call abandoned)
/// poisons the batch.
pub(crate) enum WriteTx<'a> {
    Pg(sqlx::Transaction<'static, sqlx::Any>),
    Lite {
        writer: &'a Writer,
        batch: Held<'a>,
        epoch: u64,
    },
}

/// The writer's batch while a call runs in it; dropped unfinished, it poisons the batch.
pub(crate) struct Held<'a>(Option<tokio::sync::MutexGuard<'a, Batch>>);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.0.as_mut() {
            b.poisoned = true;
        }
    }
}

impl WriteTx<'_> {
    /// The connection to run the call's statements on.
    fn conn(&mut self) -> Result<&mut sqlx::AnyConnection, ApiError> {
        match self {
            WriteTx::Pg(tx) => Ok(&mut *tx),
            WriteTx::Lite { batch, .. } => batch
                .0
                .as_mut()
                .map(|b| &mut *b.conn)
                .ok_or_else(|| ApiError::new(Kind::Unavailable, "the call's batch was closed")),
        }
    }

    /// Commits the call when `r` is a success and undoes it when not; answers `r` once
    /// what it says is durable (SQLite: after its batch committed).
    async fn finish<T>(self, r: Result<T, ApiError>) -> Result<T, ApiError> {
        match self {
            WriteTx::Pg(tx) => {
                if r.is_ok() {
                    tx.commit().await?;
                }
                r
            }
            WriteTx::Lite {
                writer,
                mut batch,
                epoch,
            } => {
                let Some(mut b) = batch.0.take() else {
                    return Err(ApiError::new(
                        Kind::Unavailable,
                        "the call's batch was closed",
                    ));
                };
                let steps: &[&str] = if r.is_ok() {
                    &["RELEASE SAVEPOINT call"]
                } else {
                    &["ROLLBACK TO SAVEPOINT call", "RELEASE SAVEPOINT call"]
                };
                for step in steps {
                    if let Err(e) = sqlx::query(step).execute(&mut *b.conn).await {
                        b.poisoned = true;
                        return Err(e.into());
                    }
                }
                drop(b);
                // An error answer waits too: what it says (a 402, a 409) was read from the
                // batch, and is true only once the batch is.
                writer.commit_through(epoch).await?;
                r
            }
        }
    }
}

impl Db {
    /// Connects to `url` (`sqlite://PATH` — created if missing — or `postgres://…`) and
    /// applies the migrations.
    pub async fn open(url: &str) -> Result<Db, String> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let pool = if postgres {
            AnyPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await
                .map_err(|e| e.to_string())?
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            let url = if path.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            // One connection writes (the batch writer, held for the server's life, which
            // serializes the read-check-write of a hold: SQLite has a single writer);
            // the others read committed state beside it (WAL).
            AnyPoolOptions::new()
                .max_connections(4)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        sqlx::query("PRAGMA journal_mode=WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous=FULL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout=5000")
                            .execute(&mut *conn)
                            .await?;
                        Ok(())
                    })
                })
                .connect(&url)
                .await
                .map_err(|e| e.to_string())?
        } else {
            return Err("the database URL must start with sqlite:// or postgres://".into());
        };
        sqlx::migrate::Migrator::new(Embedded)
            .await
            .map_err(|e| format!("migrations: {e}"))?
            .run(&pool)
            .await
            .map_err(|e| format!("migrations: {e}"))?;
        let writer = if postgres {
            None
        } else {
            let conn = pool.acquire().await.map_err(|e| e.to_string())?;
            Some(Writer {
                batch: tokio::sync::Mutex::new(Batch {
                    conn,
                    open: false,
                    poisoned: false,
                    epoch: 0,
                    failed: std::collections::VecDeque::new(),
                }),
            })
        };
        Ok(Db {
            pool,
            postgres,
            writer,
        })
    }

    /// Begins a ledger call's transaction (SQLite: joins the open batch, or opens one).
    pub(crate) async fn write(&self) -> Result<WriteTx<'_>, ApiError> {
        let Some(writer) = &self.writer else {
            return Ok(WriteTx::Pg(self.pool.begin().await?));
        };
        let mut b = writer.batch.lock().await;
        if b.poisoned {
            b.abort().await;
        }
        if !b.open {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut *b.conn).await?;
            b.open = true;
            b.epoch += 1;
        }
        let epoch = b.epoch;
        if let Err(e) = sqlx::query("SAVEPOINT call").execute(&mut *b.conn).await {
            // Nothing of this call is in the batch; the batch stays as it was.
            return Err(e.into());
        }
        Ok(WriteTx::Lite {
            writer,
            batch: Held(Some(b)),
            epoch,
        })
    }

    /// The number of open holds and the quota units charged, over every account.
    pub async fn totals(&self) -> Result<(i64, i64), ApiError> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'held' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                    CAST(COALESCE(SUM(CASE WHEN state = 'settled' THEN charged ELSE 0 END), 0) AS BIGINT) \
             FROM holds",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// ` FOR UPDATE` on PostgreSQL, nothing on SQLite.
    fn lock(&self) -> &'static str {
        if self.postgres {
            " FOR UPDATE"
        } else {
            ""
        }
    }
}

/// The migrations, embedded in the binary (the directory is not there at run time).
#[derive(Debug)]
struct Embedded;

impl<'s> sqlx::migrate::MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>,
                > + Send
                + 's,
        >,
    > {
        Box::pin(async {
            let m = |version, name: &'static str, sql: &'static str| {
                sqlx::migrate::Migration::new(
                    version,
                    name.into(),
                    sqlx::migrate::MigrationType::Simple,
                    sql.into(),
                    false,
                )
            };
            Ok(vec![
                m(1, "ledger", include_str!("../migrations/0001_ledger.sql")),
                m(2, "usage", include_str!("../migrations/0002_usage.sql")),
            ])
        })
    }
}

pub(crate) fn path_of(p: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    p.map(|Path(s)| s)
        .map_err(|e| ApiError::bad(format!("path: {}", e.body_text())))
}

fn units_i64(u: u64, what: &str) -> Result<i64, ApiError> {
    i64::try_from(u).map_err(|_| ApiError::bad(format!("{what}: {u} units is too large")))
}

/// `{"account","balance","held","charged","funded"}` for an account, read in `conn`.
///
/// One statement, so one snapshot: read as two statements outside a write transaction, a
/// hold settled between them made `funded` differ from `balance + held + charged` (seen by
/// the concurrent model test). PostgreSQL's default isolation gives each statement its own
/// snapshot, and a read transaction alone would not have helped there.
pub(crate) async fn view(
    conn: &mut sqlx::AnyConnection,
    account: &str,
) -> Result<Option<Value>, ApiError> {
    let row = sqlx::query(
        "SELECT a.balance, a.funded, \
                CAST(COALESCE((SELECT SUM(h.held) FROM holds h \
                               WHERE h.account = a.account AND h.state = 'held'), 0) AS BIGINT), \
                CAST(COALESCE((SELECT SUM(h.charged) FROM holds h \
                               WHERE h.account = a.account AND h.state = 'settled'), 0) AS BIGINT) \
         FROM accounts a WHERE a.account = $1",
    )
    .bind(account)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (balance, funded, held, charged): (i64, i64, i64, i64) = (
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
    );
    Ok(Some(serde_json::json!({
        "account": account,
        "balance": balance,
        "held": held,
        "charged": charged,
        "funded": funded,
    })))
}

/// `GET /v1/accounts/{account}`.
pub async fn account(
    State(s): State<Arc<AppState>>,
    p: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let account = path_of(p)?;
    let mut conn = s.ledger.pool.acquire().await?;
    view(&mut conn, &account)
        .await?
        .map(axum::Json)
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("unknown account `{account}`")))
}

/// `POST /v1/accounts/{account}/credit`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditReq {
    amount: u64,
    key: String,
}

/// `POST /v1/accounts/{account}/credit` (admin): adds units, idempotent by key.
pub async fn credit(
    State(s): State<Arc<AppState>>,
    p: Result<Path<String>, PathRejection>,
    Body(c): Body<CreditReq>,
) -> Result<Response, ApiError> {
    let account = path_of(p)?;
    if c.amount == 0 {
        return Err(ApiError::bad("field `amount`: must be at least 1"));
    }
    let amount = units_i64(c.amount, "field `amount`")?;
    let db = &s.ledger;
    let mut tx = db.write().await?;
    let r = credit_in(tx.conn()?, db.lock(), &account, amount, &c.key).await;
    tx.finish(r).await.map(raw_json)
}

/// A credit's statements, in the call's transaction: the account's view as JSON text.
async fn credit_in(
    tx: &mut sqlx::AnyConnection,
    lock: &str,
    account: &str,
    amount: i64,
    key: &str,
) -> Result<String, ApiError> {
    let prior = sqlx::query("SELECT account, amount, result FROM credits WHERE credit_key = $1")
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(row) = prior {
        let (a, n, result): (String, i64, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if a == account && n == amount {
            return Ok(result);
        }
        return Err(ApiError::new(
            Kind::Conflict,
            format!(
                "credit key `{}` was used for {n} units to `{a}`; a different credit needs a new key",
                key
            ),
        ));
    }
    let row = sqlx::query(&format!(
        "SELECT funded FROM accounts WHERE account = $1{}",
        lock
    ))
    .bind(account)
    .fetch_optional(&mut *tx)
    .await?;
    let funded: i64 = match row {
        Some(r) => r.try_get(0)?,
        None => 0,
    };
    if funded.checked_add(amount).is_none() {
        return Err(ApiError::bad(format!(
            "field `amount`: the account's credits would exceed {} units",
            i64::MAX
        )));
    }
    sqlx::query(
        "INSERT INTO accounts (account, balance, funded) VALUES ($1, $2, $2) \
         ON CONFLICT (account) DO UPDATE SET balance = accounts.balance + excluded.balance, \
         funded = accounts.funded + excluded.funded",
    )
    .bind(account)
    .bind(amount)
    .execute(&mut *tx)
    .await?;
    let result = view(&mut *tx, account)
        .await?
        .ok_or_else(|| ApiError::new(Kind::Unavailable, "the credited account vanished"))?
        .to_string();
    let inserted = sqlx::query(
        "INSERT INTO credits (credit_key, account, amount, result) VALUES ($1, $2, $3, $4)",
    )
    .bind(key)
    .bind(account)
    .bind(amount)
    .bind(&result)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return Err(retry_conflict(e));
    }
    Ok(result)
}

/// A unique-key race (another server inserted the same key first) is a conflict the
/// caller resolves by repeating; anything else is the database's.
fn retry_conflict(e: sqlx::Error) -> ApiError {
    match e.as_database_error() {
        Some(d) if d.is_unique_violation() => ApiError::new(
            Kind::Conflict,
            "another call with this key committed at the same moment; repeat the call to get its result",
        ),
        _ => e.into(),
    }
}

/// `POST /v1/holds`'s body.
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct HoldReq {
    request_id: String,
    account: String,
    api: String,
    model: String,
    request: String,
    #[serde(default)]
    group_ratio: Option<Decimal>,
}

fn policy_of(group_ratio: Decimal) -> QuotaPolicy {
    QuotaPolicy {
        group_ratio,
        ..QuotaPolicy::new_api()
    }
}

/// `POST /v1/holds`: estimates the request, prices the bound, and holds its units under
/// the ledger's hold policy; 402 when the balance cannot cover it.
pub async fn hold(
    State(s): State<Arc<AppState>>,
    Body(h): Body<HoldReq>,
) -> Result<Response, ApiError> {
    let api = api_of(&h.api, "api")?;
    let group_ratio = h.group_ratio.unwrap_or(Decimal::ONE);
    if group_ratio.is_sign_negative() {
        return Err(ApiError::bad("field `group_ratio`: must not be negative"));
    }
    let key = serde_json::to_string(&h).map_err(|e| ApiError::bad(e.to_string()))?;
    // Priced before the ledger is locked (the writer waits for no pricing); a repeat
    // answers its stored result even if the estimate would now fail.
    let estimated = estimate_value(
        &s.tables().catalog,
        api,
        &h.model,
        h.request.as_bytes(),
        None,
    );
    let db = &s.ledger;
    let mut tx = db.write().await?;
    let r = hold_in(
        tx.conn()?,
        db.lock(),
        &h,
        api,
        group_ratio,
        &key,
        estimated,
        s.hold_policy,
    )
    .await;
    tx.finish(r).await.map(raw_json)
}

/// A hold's statements, in the call's transaction: the answer as JSON text.
#[allow(clippy::too_many_arguments)]
async fn hold_in(
    tx: &mut sqlx::AnyConnection,
    lock: &str,
    h: &HoldReq,
    api: tariff::extract::Api,
    group_ratio: Decimal,
    key: &str,
    estimated: Result<(Value, Bill), ApiError>,
    policy: tariff::ledger::HoldPolicy,
) -> Result<String, ApiError> {
    if let Some(done) = repeat(&mut *tx, &h.request_id, "hold_key", "hold_result", key).await? {
        return Ok(done);
    }
    let (estimate, bill) = estimated?;
    let row = sqlx::query(&format!(
        "SELECT balance FROM accounts WHERE account = $1{}",
        lock
    ))
    .bind(&h.account)
    .fetch_optional(&mut *tx)
    .await?;
    let balance: i64 = match row {
        Some(r) => r.try_get(0)?,
        None => {
            return Err(ApiError::new(
                Kind::NotFound,
                format!("unknown account `{}`", h.account),
            ))
        }
    };
    // The library's ledger decides, on this balance: the same refusal and the same
    // amount held as an in-process relay gets.
    let mut decide = Ledger::new(policy_of(group_ratio));
    let (acct, rid) = (
        AccountId::from(h.account.as_str()),
        RequestId::from(h.request_id.as_str()),
    );
    if let Ok(b) = u64::try_from(balance) {
        if b > 0 {
            decide.credit(&acct, QuotaUnits(b));
        }
    }
    let held = match decide.hold(&acct, &rid, &bill, policy) {
        Ok(hold) => hold.held.0,
        Err(e @ LedgerError::InsufficientBalance { .. }) => {
            return Err(ApiError::new(Kind::InsufficientBalance, e.to_string()))
        }
        Err(e) => return Err(ApiError::bad(e.to_string())),
    };
    let held_i = units_i64(held, "the hold")?;
    let result = serde_json::json!({
        "request_id": h.request_id,
        "held": held,
        "estimate": estimate,
    })
    .to_string();
    sqlx::query("UPDATE accounts SET balance = balance - $1 WHERE account = $2")
        .bind(held_i)
        .bind(&h.account)
        .execute(&mut *tx)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO holds (request_id, account, api, model, request, group_ratio, hold_key, \
         hold_result, state, held, charged, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'held', $9, 0, $10)",
    )
    .bind(&h.request_id)
    .bind(&h.account)
    .bind(api.name())
    .bind(&h.model)
    .bind(&h.request)
    .bind(group_ratio.to_string())
    .bind(key)
    .bind(&result)
    .bind(held_i)
    .bind(chrono::Utc::now().timestamp())
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return Err(retry_conflict(e));
    }
    Ok(result)
}

/// The stored answer when `request_id` already has a `key_col` equal to `key`; a 409 when
/// it has another.
async fn repeat(
    conn: &mut sqlx::AnyConnection,
    request_id: &str,
    key_col: &str,
    result_col: &str,
    key: &str,
) -> Result<Option<String>, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {key_col}, {result_col} FROM holds WHERE request_id = $1"
    ))
    .bind(request_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let (k, r): (Option<String>, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
    match (k, r) {
        (Some(k), Some(r)) if k == key => Ok(Some(r)),
        (Some(_), Some(_)) => Err(ApiError::new(
            Kind::Conflict,
            format!("request `{request_id}` was already used with a different body"),
        )),
        _ => Ok(None),
    }
}

/// What a hold row says about its request.
struct HoldRow {
    account: String,
    api: String,
    model: String,
    request: String,
    group_ratio: Decimal,
    state: String,
    held: i64,
}

fn hold_row(row: &AnyRow) -> Result<HoldRow, ApiError> {
    let ratio: String = row.try_get(4)?;
    Ok(HoldRow {
        account: row.try_get(0)?,
        api: row.try_get(1)?,
        model: row.try_get(2)?,
        request: row.try_get(3)?,
        group_ratio: Decimal::from_str(&ratio)
            .map_err(|e| ApiError::new(Kind::Unavailable, format!("stored group ratio: {e}")))?,
        state: row.try_get(5)?,
        held: row.try_get(6)?,
    })
}

async fn load_hold(
    conn: &mut sqlx::AnyConnection,
    request_id: &str,
    lock: &str,
) -> Result<HoldRow, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT account, api, model, request, group_ratio, state, held FROM holds \
         WHERE request_id = $1{lock}"
    ))
    .bind(request_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| ApiError::new(Kind::NotFound, format!("no hold `{request_id}`")))?;
    hold_row(&row)
}

/// How a hold ends.
enum End {
    /// Charge these units (the bill was estimated or not) for this usage record (its
    /// JSON; `None` when a failure charges the hold as held).
    Charge {
        units: u64,
        estimated: bool,
        usage: Option<String>,
    },
    /// Release the hold.
    Refund,
}

/// Ends a held request in one transaction: the stored answer for a repeat of the same
/// call, a 409 for another call on an ended hold, else the new state and balance.
/// `extra` fields are added to the answer (the outcome, for `fail`).
async fn finish(
    s: &AppState,
    request_id: &str,
    key: &str,
    end: End,
    extra: Option<(&str, Value)>,
) -> Result<Response, ApiError> {
    let db = &s.ledger;
    let mut tx = db.write().await?;
    let r = finish_in(tx.conn()?, db.lock(), request_id, key, end, extra).await;
    tx.finish(r).await.map(raw_json)
}

/// The statements that end a hold, in the call's transaction: the answer as JSON text.
async fn finish_in(
    tx: &mut sqlx::AnyConnection,
    lock: &str,
    request_id: &str,
    key: &str,
    end: End,
    extra: Option<(&str, Value)>,
) -> Result<String, ApiError> {
    if let Some(done) = repeat(&mut *tx, request_id, "end_key", "end_result", key).await? {
        return Ok(done);
    }
    let h = load_hold(&mut *tx, request_id, lock).await?;
    if h.state != "held" {
        return Err(ApiError::new(
            Kind::Conflict,
            format!("request `{request_id}` is already {}", h.state),
        ));
    }
    let mut usage_json = None;
    let (state, charged, delta, mut result) = match end {
        End::Charge {
            units,
            estimated,
            usage,
        } => {
            usage_json = usage;
            let charged = units_i64(units, "the charge")?;
            let delta = charged
                .checked_sub(h.held)
                .ok_or_else(|| ApiError::bad("the charge is too large"))?;
            let released = h.held;
            (
                "settled",
                charged,
                delta,
                serde_json::json!({
                    "request_id": request_id,
                    "charged": units,
                    "released": released,
                    "estimated": estimated,
                }),
            )
        }
        End::Refund => (
            "refunded",
            0,
            -h.held,
            serde_json::json!({"request_id": request_id, "refunded": h.held}),
        ),
    };
    if let (Some((name, v)), Some(obj)) = (extra, result.as_object_mut()) {
        obj.insert(name.to_string(), v);
    }
    let result = result.to_string();
    sqlx::query("UPDATE accounts SET balance = balance - $1 WHERE account = $2")
        .bind(delta)
        .bind(&h.account)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE holds SET state = $1, charged = $2, end_key = $3, end_result = $4, \
         usage_json = $5, ended_at = $6 WHERE request_id = $7",
    )
    .bind(state)
    .bind(charged)
    .bind(key)
    .bind(&result)
    .bind(usage_json)
    .bind(chrono::Utc::now().timestamp())
    .bind(request_id)
    .execute(&mut *tx)
    .await?;
    Ok(result)
}

/// The bill of what a held request used: metered from the response with the hold's api,
/// model and request (a stream that ended without usage is estimated), or priced from a
/// usage record.
fn bill_of(
    s: &AppState,
    h: &HoldRow,
    response: Option<&str>,
    usage: Option<&Value>,
) -> Result<(u64, bool, String), ApiError> {
    let api = api_of(&h.api, "api")?;
    let usage = match (response, usage) {
        (Some(r), None) => {
            tariff::estimate::meter_or_estimate(api, &h.model, r.as_bytes(), h.request.as_bytes())
                .map_err(|e| ApiError::bad(format!("field `response`: {e}")))?
        }
        (None, Some(u)) => usage_of(u, "usage")?,
        _ => return Err(ApiError::bad("give exactly one of `response` and `usage`")),
    };
    let bill: Bill = s.tables().catalog.quote(&h.model, &usage)?;
    let quota = bill
        .quota(&policy_of(h.group_ratio))
        .map_err(|e| ApiError::bad(e.to_string()))?;
    let estimated = serde_json::to_value(&bill)
        .ok()
        .and_then(|v| v.get("estimated").and_then(Value::as_bool))
        .unwrap_or(false);
    Ok((quota.units, estimated, usage.to_json()))
}

/// `POST /v1/holds/{request_id}/settle`'s body.
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SettleReq {
    #[serde(default)]
    response: Option<String>,
    #[serde(default)]
    usage: Option<Value>,
}

/// `POST /v1/holds/{request_id}/settle`.
pub async fn settle(
    State(s): State<Arc<AppState>>,
    p: Result<Path<String>, PathRejection>,
    Body(b): Body<SettleReq>,
) -> Result<Response, ApiError> {
    let request_id = path_of(p)?;
    let key = serde_json::json!({"settle": &b}).to_string();
    let mut conn = s.ledger.pool.acquire().await?;
    if let Some(done) = repeat(&mut conn, &request_id, "end_key", "end_result", &key).await? {
        return Ok(raw_json(done));
    }
    let h = load_hold(&mut conn, &request_id, "").await?;
    drop(conn);
    let (units, estimated, usage) = bill_of(&s, &h, b.response.as_deref(), b.usage.as_ref())?;
    finish(
        &s,
        &request_id,
        &key,
        End::Charge {
            units,
            estimated,
            usage: Some(usage),
        },
        None,
    )
    .await
}

/// `POST /v1/holds/{request_id}/refund`.
pub async fn refund(
    State(s): State<Arc<AppState>>,
    p: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let request_id = path_of(p)?;
    finish(&s, &request_id, "{\"refund\":{}}", End::Refund, None).await
}

/// `POST /v1/holds/{request_id}/fail`'s body.
#[derive(Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FailReq {
    status: u16,
    body: String,
    /// What was delivered before the failure (a cut stream), charged when the outcome
    /// says to charge.
    #[serde(default)]
    response: Option<String>,
}

/// `POST /v1/holds/{request_id}/fail`: classifies the failure, then refunds the hold or
/// charges what was delivered (the `response` given; without one, the hold as held).
pub async fn fail(
    State(s): State<Arc<AppState>>,
    p: Result<Path<String>, PathRejection>,
    Body(f): Body<FailReq>,
) -> Result<Response, ApiError> {
    let request_id = path_of(p)?;
    let key = serde_json::json!({"fail": &f}).to_string();
    let outcome = tariff::outcome::Classifier::builtin().classify(f.status, &f.body);
    let outcome_json = serde_json::to_value(&outcome).unwrap_or(Value::Null);
    let end = match outcome.action.billing {
        Billing::Refund => End::Refund,
        Billing::Charge => {
            let mut conn = s.ledger.pool.acquire().await?;
            if let Some(done) =
                repeat(&mut conn, &request_id, "end_key", "end_result", &key).await?
            {
                return Ok(raw_json(done));
            }
            let h = load_hold(&mut conn, &request_id, "").await?;
            drop(conn);
            match &f.response {
                Some(r) => {
                    let (units, estimated, usage) = bill_of(&s, &h, Some(r), None)?;
                    End::Charge {
                        units,
                        estimated,
                        usage: Some(usage),
                    }
                }
                None => End::Charge {
                    units: u64::try_from(h.held).unwrap_or(0),
                    estimated: true,
                    usage: None,
                },
            }
        }
    };
    finish(&s, &request_id, &key, end, Some(("outcome", outcome_json))).await
}
