//! Reading the ledger back: `GET /v1/accounts/{account}/usage` (tokens by bucket and quota
//! charged, by model or by day), and the relay's own account views in the shapes new-api
//! serves them — token usage (`GET /api/usage/token`) and OpenAI's dashboard billing
//! (`GET /v1/dashboard/billing/subscription`, `GET /v1/dashboard/billing/usage`).
//!
//! new-api keeps a user's remaining quota and used quota; its pre-consumed quota (our hold)
//! is already moved from the one to the other while the request runs. The views read the
//! ledger the same way: granted = funded, used = charged + held, available = balance, so
//! granted = used + available as in new-api. Amounts in dollars are quota units / 500,000
//! (new-api's QuotaPerUnit), written as exact decimal JSON numbers.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};
use sqlx::Row;
use tariff::{Unit, Usage};

use crate::error::{ApiError, Kind};
use crate::ledger::{path_of, view};
use crate::pricing::{parse_time, raw_json};
use crate::{AppState, Caller};

/// new-api's quota units per US dollar.
const QUOTA_PER_USD: i64 = 500_000;

/// The query of `GET /v1/accounts/{account}/usage`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    by: Option<String>,
}

/// Totals of one group: requests, tokens (and other quantities) by bucket, quota charged.
#[derive(Default)]
struct Group {
    requests: u64,
    quota: i64,
    /// Requests charged without a usage record (a failure charged as held).
    without_usage: u64,
    quantities: BTreeMap<&'static str, Decimal>,
}

impl Group {
    fn add(&mut self, charged: i64, usage: Option<&Usage>) -> Result<(), ApiError> {
        let overflow = || ApiError::new(Kind::BadRequest, "the sums exceed what can be counted");
        self.requests = self.requests.checked_add(1).ok_or_else(overflow)?;
        self.quota = self.quota.checked_add(charged).ok_or_else(overflow)?;
        let Some(u) = usage else {
            self.without_usage = self.without_usage.checked_add(1).ok_or_else(overflow)?;
            return Ok(());
        };
        for unit in Unit::ALL {
            let q = u.quantity(unit);
            if !q.is_zero() {
                let sum = self.quantities.entry(unit.name()).or_default();
                *sum = sum.checked_add(q).ok_or_else(overflow)?;
            }
        }
        Ok(())
    }

    fn to_json(&self, key: &str) -> Value {
        let mut buckets = Map::new();
        for (name, q) in &self.quantities {
            // Whole counts are integers, as in a usage record; seconds stay decimal strings.
            let v = match q.normalize() {
                n if n.scale() == 0 => n.to_u64().map(Value::from),
                _ => None,
            }
            .unwrap_or_else(|| Value::String(q.normalize().to_string()));
            buckets.insert((*name).to_string(), v);
        }
        serde_json::json!({
            "key": key,
            "requests": self.requests,
            "requests_without_usage": self.without_usage,
            "usage": buckets,
            "quota": self.quota,
        })
    }
}

/// `GET /v1/accounts/{account}/usage?from=&to=&by=model|day`: the settled requests whose
/// hold ended in `[from, to)` (RFC 3339 or `YYYY-MM-DD`; both optional), grouped by model
/// (default) or by UTC day, with their usage summed by bucket and the quota charged.
pub async fn usage(
    State(s): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<UsageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let account = path_of(p)?;
    caller.may_read(&account)?;
    let Query(q) = q.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let from = q
        .from
        .as_deref()
        .map(|t| parse_time(t, "from"))
        .transpose()?;
    let to = q.to.as_deref().map(|t| parse_time(t, "to")).transpose()?;
    let by_day = match q.by.as_deref() {
        None | Some("model") => false,
        Some("day") => true,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "query `by`: `{other}` is not model or day"
            )))
        }
    };
    let secs = |t: Option<DateTime<Utc>>, dflt: i64| t.map_or(dflt, |t| t.timestamp());
    let (lo, hi) = (secs(from, i64::MIN), secs(to, i64::MAX));
    let mut conn = s.ledger.pool.acquire().await?;
    if view(&mut conn, &account).await?.is_none() {
        return Err(ApiError::new(
            Kind::NotFound,
            format!("unknown account `{account}`"),
        ));
    }
    let rows = sqlx::query(
        "SELECT model, charged, usage_json, COALESCE(ended_at, created_at) FROM holds \
         WHERE account = $1 AND state = 'settled' \
         AND COALESCE(ended_at, created_at) >= $2 AND COALESCE(ended_at, created_at) < $3",
    )
    .bind(&account)
    .bind(lo)
    .bind(hi)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut total = Group::default();
    for row in rows {
        let (model, charged, usage_json, at): (String, i64, Option<String>, i64) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        let usage = usage_json
            .as_deref()
            .map(Usage::from_json)
            .transpose()
            .map_err(|e| ApiError::new(Kind::Unavailable, format!("a stored usage record: {e}")))?;
        let key = if by_day {
            DateTime::from_timestamp(at, 0)
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "invalid-time".to_string())
        } else {
            model
        };
        groups
            .entry(key)
            .or_default()
            .add(charged, usage.as_ref())?;
        total.add(charged, usage.as_ref())?;
    }
    let rfc = |t: Option<DateTime<Utc>>| {
        t.map(|t| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
            .unwrap_or(Value::Null)
    };
    let out = serde_json::json!({
        "account": account,
        "from": rfc(from),
        "to": rfc(to),
        "by": if by_day { "day" } else { "model" },
        "groups": groups.iter().map(|(k, g)| g.to_json(k)).collect::<Vec<_>>(),
        "total": total.to_json("total"),
    });
    Ok(raw_json(out.to_string()))
}

/// The `account` query parameter of the relay's views.
#[derive(Deserialize)]
pub struct AccountQuery {
    #[serde(default)]
    account: Option<String>,
    // new-api's dashboard usage takes a date range it does not use; accepted and ignored
    // the same way, so its clients work unchanged.
    #[serde(default)]
    #[allow(dead_code)]
    start_date: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    end_date: Option<String>,
}

/// `(funded, used = charged + held, available = balance)` of the account the caller may
/// read: an account token's own, or the `account` parameter with a relay or admin token.
async fn books(
    s: &AppState,
    caller: &Caller,
    q: Result<Query<AccountQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<(String, i64, i64, i64), ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad(format!("query: {}", e.body_text())))?;
    let account = caller.account_of(q.account)?;
    let mut conn = s.ledger.pool.acquire().await?;
    let v = view(&mut conn, &account)
        .await?
        .ok_or_else(|| ApiError::new(Kind::NotFound, format!("unknown account `{account}`")))?;
    let n = |k: &str| v[k].as_i64().unwrap_or(0);
    let used = n("charged")
        .checked_add(n("held"))
        .ok_or_else(|| ApiError::new(Kind::Unavailable, "the account's sums overflow"))?;
    Ok((account, n("funded"), used, n("balance")))
}

/// Quota units in US dollars (exact; a JSON number with every digit).
fn usd(units: i64) -> String {
    (Decimal::from(units) / Decimal::from(QUOTA_PER_USD))
        .normalize()
        .to_string()
}

/// `GET /api/usage/token`: new-api's token usage object for the account.
pub async fn token_usage(
    State(s): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<AccountQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (account, funded, used, available) = books(&s, &caller, q).await?;
    let name = serde_json::to_string(&account).unwrap_or_else(|_| "\"\"".into());
    Ok(raw_json(format!(
        "{{\"code\":true,\"message\":\"ok\",\"data\":{{\"object\":\"token_usage\",\"name\":{name},\
         \"total_granted\":{funded},\"total_used\":{used},\"total_available\":{available},\
         \"unlimited_quota\":false,\"model_limits\":{{}},\"model_limits_enabled\":false,\
         \"expires_at\":0}}}}"
    )))
}

/// `GET /v1/dashboard/billing/subscription`: OpenAI's subscription object as new-api
/// serves it — the limits are what the account was granted, in dollars.
pub async fn subscription(
    State(s): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<AccountQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (_, funded, _, _) = books(&s, &caller, q).await?;
    let limit = usd(funded);
    Ok(raw_json(format!(
        "{{\"object\":\"billing_subscription\",\"has_payment_method\":true,\
         \"soft_limit_usd\":{limit},\"hard_limit_usd\":{limit},\
         \"system_hard_limit_usd\":{limit},\"access_until\":0}}"
    )))
}

/// `GET /v1/dashboard/billing/usage`: OpenAI's usage object as new-api serves it —
/// `total_usage` is what was used, in cents of a dollar.
pub async fn billing_usage(
    State(s): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    q: Result<Query<AccountQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (_, _, used, _) = books(&s, &caller, q).await?;
    let cents = (Decimal::from(used) * Decimal::from(100) / Decimal::from(QUOTA_PER_USD))
        .normalize()
        .to_string();
    Ok(raw_json(format!(
        "{{\"object\":\"list\",\"total_usage\":{cents}}}"
    )))
}
