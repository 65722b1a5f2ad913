//! The stateless routes: models, /api/pricing, quote, meter, estimate, classify. Each
//! answer is the JSON the matching `tariff … --json` command prints.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use tariff::convert::newapi;
use tariff::extract::Api;
use tariff::{Bill, Catalog, Currency, FxTable, QuotaPolicy, Rounding, ServiceTier, Usage};

use crate::{ApiError, AppState, Body};

/// A JSON text the library already rendered, sent as is.
pub(crate) fn raw_json(text: String) -> Response {
    ([(CONTENT_TYPE, "application/json")], text).into_response()
}

/// `GET /v1/models`: OpenAI's list shape.
pub async fn models(State(s): State<Arc<AppState>>) -> Json<Value> {
    let tables = s.tables();
    let data: Vec<Value> = tables
        .catalog
        .models()
        .iter()
        .map(|m| serde_json::json!({"id": m.id(), "object": "model", "owned_by": m.provider()}))
        .collect();
    Json(serde_json::json!({"object": "list", "data": data}))
}

/// `GET /api/pricing`: as `tariff export --to new-api-pricing` prints it (prices in
/// force now).
pub async fn api_pricing(State(s): State<Arc<AppState>>) -> Response {
    let out = newapi::export(&s.tables().catalog, &newapi::ExportOptions::new(Utc::now()));
    raw_json(out.pricing_json())
}

/// Parses an API family name, naming the field.
pub(crate) fn api_of(name: &str, field: &str) -> Result<Api, ApiError> {
    Api::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Api::ALL.iter().map(|a| a.name()).collect();
        ApiError::bad(format!(
            "field `{field}`: `{name}` is not an API family; one of {}",
            names.join(", ")
        ))
    })
}

/// Parses a time the way `--at` does: RFC 3339 or a `YYYY-MM-DD` date (midnight UTC).
pub(crate) fn parse_time(s: &str, field: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            ApiError::bad(format!(
                "field `{field}`: `{s}` is not an RFC 3339 time or a YYYY-MM-DD date"
            ))
        })
}

/// Parses a usage record given as a JSON value, naming the field.
pub(crate) fn usage_of(v: &Value, field: &str) -> Result<Usage, ApiError> {
    Usage::from_json(&v.to_string()).map_err(|e| ApiError::bad(format!("field `{field}`: {e}")))
}

/// The quota part of a quote request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaReq {
    #[serde(default = "one")]
    group_ratio: Decimal,
    #[serde(default)]
    rounding: Option<String>,
}

fn one() -> Decimal {
    Decimal::ONE
}

/// `POST /v1/quote`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteReq {
    model: String,
    usage: Value,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    service_tier: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    options: BTreeMap<String, String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    fx: Option<Value>,
    #[serde(default)]
    quota: Option<QuotaReq>,
}

/// Prices a quote request: the bill and, when asked, its quota, as `tariff quote --json`
/// prints them.
pub(crate) fn quote_value(catalog: &Catalog, q: QuoteReq) -> Result<Value, ApiError> {
    let mut usage = usage_of(&q.usage, "usage")?;
    if let Some(at) = &q.at {
        usage.at = Some(parse_time(at, "at")?);
    }
    if let Some(t) = &q.service_tier {
        usage.service_tier = Some(ServiceTier::parse(t).ok_or_else(|| {
            ApiError::bad(format!(
                "field `service_tier`: `{t}` is not one of standard, batch, flex, priority"
            ))
        })?);
    }
    if let Some(r) = q.region {
        usage.region = Some(r);
    }
    for (k, v) in q.options {
        usage.options.insert(k, v);
    }
    let mut bill = catalog.quote(&q.model, &usage)?;
    if let Some(ccy) = &q.currency {
        let to: Currency = ccy
            .parse()
            .map_err(|e| ApiError::bad(format!("field `currency`: {e}")))?;
        let fx =
            q.fx.as_ref()
                .ok_or_else(|| ApiError::bad("field `fx`: required with `currency`"))?;
        let fx = FxTable::from_json(&fx.to_string())
            .map_err(|e| ApiError::bad(format!("field `fx`: {e}")))?;
        bill = bill
            .convert(&fx, to)
            .map_err(|e| ApiError::bad(format!("field `fx`: {e}")))?;
    }
    let quota = match q.quota {
        Some(qr) => {
            let rounding = match qr.rounding.as_deref() {
                None => Rounding::HalfUp,
                Some(r) => Rounding::parse(r).ok_or_else(|| {
                    ApiError::bad(format!(
                        "field `quota.rounding`: `{r}` is not one of floor, ceil, half_up, half_even"
                    ))
                })?,
            };
            let policy = QuotaPolicy {
                group_ratio: qr.group_ratio,
                rounding,
                ..QuotaPolicy::new_api()
            };
            Some(
                bill.quota(&policy)
                    .map_err(|e| ApiError::bad(format!("field `quota`: {e}")))?,
            )
        }
        None => None,
    };
    #[derive(serde::Serialize)]
    struct Out<'a> {
        #[serde(flatten)]
        bill: &'a Bill,
        #[serde(skip_serializing_if = "Option::is_none")]
        quota: Option<tariff::Quota>,
    }
    serde_json::to_value(Out { bill: &bill, quota })
        .map_err(|e| ApiError::bad(format!("the bill cannot be written as JSON: {e}")))
}

/// `POST /v1/quote`.
pub async fn quote(
    State(s): State<Arc<AppState>>,
    Body(q): Body<QuoteReq>,
) -> Result<Json<Value>, ApiError> {
    quote_value(&s.tables().catalog, q).map(Json)
}

/// `POST /v1/meter`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeterReq {
    api: String,
    response: String,
    #[serde(default)]
    request: Option<String>,
}

/// `POST /v1/meter`: the usage record, as `tariff meter` prints it.
pub async fn meter(Body(m): Body<MeterReq>) -> Result<Response, ApiError> {
    let api = api_of(&m.api, "api")?;
    let usage = tariff::extract::extract_with_request(
        api,
        m.response.as_bytes(),
        m.request.as_deref().map(str::as_bytes),
    )
    .map_err(|e| ApiError::bad(format!("field `response`: {e}")))?;
    Ok(raw_json(usage.to_json()))
}

/// `POST /v1/estimate`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateReq {
    api: String,
    model: String,
    request: String,
    #[serde(default)]
    at: Option<String>,
}

/// Estimates a request and prices the bound: `tariff estimate --json`'s object, and the
/// bill (for the ledger's hold). An unpriced model is a 422.
pub(crate) fn estimate_value(
    catalog: &Catalog,
    api: Api,
    model: &str,
    request: &[u8],
    at: Option<DateTime<Utc>>,
) -> Result<(Value, Bill), ApiError> {
    let est = tariff::estimate::estimate(api, model, request)
        .map_err(|e| ApiError::bad(format!("field `request`: {e}")))?;
    let mut usage = est.usage.clone();
    if at.is_some() {
        usage.at = at;
    }
    let bill = catalog.quote(model, &usage)?;
    let value = serde_json::json!({
        "estimate": est,
        "bill": bill,
        "quota": bill.quota(&QuotaPolicy::new_api()).ok(),
        "price_error": Value::Null,
    });
    Ok((value, bill))
}

/// `POST /v1/estimate`.
pub async fn estimate(
    State(s): State<Arc<AppState>>,
    Body(e): Body<EstimateReq>,
) -> Result<Json<Value>, ApiError> {
    let api = api_of(&e.api, "api")?;
    let at = e.at.as_deref().map(|t| parse_time(t, "at")).transpose()?;
    estimate_value(&s.tables().catalog, api, &e.model, e.request.as_bytes(), at)
        .map(|(v, _)| Json(v))
}

/// `POST /v1/classify`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyReq {
    status: u16,
    body: String,
}

/// `POST /v1/classify`: the outcome, as `tariff classify --json` prints it.
pub async fn classify(Body(c): Body<ClassifyReq>) -> Json<Value> {
    let outcome = tariff::outcome::Classifier::builtin().classify(c.status, &c.body);
    Json(serde_json::to_value(outcome).unwrap_or(Value::Null))
}
