//! The durable ledger: credits, holds, settlements and refunds in SQLite or PostgreSQL.
//!
//! Every call is one transaction and answers only after it has committed (SQLite runs in
//! WAL mode with `synchronous=FULL`, so a commit is on disk). The invariant of the
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
            // One connection: SQLite has a single writer, and one connection serializes
            // the read-check-write of a hold without a lock the driver cannot express.
            AnyPoolOptions::new()
                .max_connections(1)
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
        Ok(Db { pool, postgres })
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
pub(crate) async fn view(
    conn: &mut sqlx::AnyConnection,
    account: &str,
) -> Result<Option<Value>, ApiError> {
    let row = sqlx::query("SELECT balance, funded FROM accounts WHERE account = $1")
        .bind(account)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let (balance, funded): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let sums = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'held' THEN held ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(CASE WHEN state = 'settled' THEN charged ELSE 0 END), 0) AS BIGINT) \
         FROM holds WHERE account = $1",
    )
    .bind(account)
    .fetch_one(&mut *conn)
    .await?;
    let (held, charged): (i64, i64) = (sums.try_get(0)?, sums.try_get(1)?);
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
    let mut tx = db.pool.begin().await?;
    let prior = sqlx::query("SELECT account, amount, result FROM credits WHERE credit_key = $1")
        .bind(&c.key)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(row) = prior {
        let (a, n, result): (String, i64, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if a == account && n == amount {
            return Ok(raw_json(result));
        }
        return Err(ApiError::new(
            Kind::Conflict,
            format!(
                "credit key `{}` was used for {n} units to `{a}`; a different credit needs a new key",
                c.key
            ),
        ));
    }
    let row = sqlx::query(&format!(
        "SELECT funded FROM accounts WHERE account = $1{}",
        db.lock()
    ))
    .bind(&account)
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
    .bind(&account)
    .bind(amount)
    .execute(&mut *tx)
    .await?;
    let result = view(&mut tx, &account)
        .await?
        .ok_or_else(|| ApiError::new(Kind::Unavailable, "the credited account vanished"))?
        .to_string();
    let inserted = sqlx::query(
        "INSERT INTO credits (credit_key, account, amount, result) VALUES ($1, $2, $3, $4)",
    )
    .bind(&c.key)
    .bind(&account)
    .bind(amount)
    .bind(&result)
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return Err(retry_conflict(e));
    }
    tx.commit().await?;
    Ok(raw_json(result))
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
    let db = &s.ledger;
    let mut tx = db.pool.begin().await?;
    if let Some(done) = repeat(&mut tx, &h.request_id, "hold_key", "hold_result", &key).await? {
        return Ok(raw_json(done));
    }
    let (estimate, bill) = estimate_value(
        &s.tables().catalog,
        api,
        &h.model,
        h.request.as_bytes(),
        None,
    )?;
    let row = sqlx::query(&format!(
        "SELECT balance FROM accounts WHERE account = $1{}",
        db.lock()
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
    let held = match decide.hold(&acct, &rid, &bill, s.hold_policy) {
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
    .bind(&key)
    .bind(&result)
    .bind(held_i)
    .bind(chrono::Utc::now().timestamp())
    .execute(&mut *tx)
    .await;
    if let Err(e) = inserted {
        return Err(retry_conflict(e));
    }
    tx.commit().await?;
    Ok(raw_json(result))
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
    let mut tx = db.pool.begin().await?;
    if let Some(done) = repeat(&mut tx, request_id, "end_key", "end_result", key).await? {
        return Ok(raw_json(done));
    }
    let h = load_hold(&mut tx, request_id, db.lock()).await?;
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
    tx.commit().await?;
    Ok(raw_json(result))
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
