//! `tariff serve`: the billing service a relay in any language calls over loopback on
//! every request — quotes, metering, estimates, failure classification, and a durable
//! hold → settle → refund ledger in SQLite or PostgreSQL.
//!
//! Every answer is JSON; pricing answers have the shapes `tariff … --json` prints (they
//! are built from the same library values through serde), and every error is
//! `{"error": {"kind", "message"}}` with the status [`error::Kind`] gives it. No input
//! produces a 500: a body is parsed by hand (so a bad one is a 400 naming the field) and
//! every library error maps to a kind.

#![warn(missing_docs)]

pub mod error;
mod ledger;
mod metrics;
mod pricing;
mod views;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{FromRequest, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use tariff::ledger::HoldPolicy;
use tariff::Catalog;

pub use crate::error::{ApiError, Kind};

/// The address `tariff serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// The ledger database unless told otherwise (created on first start).
pub const DEFAULT_DB: &str = "sqlite://tariff.db";
/// The largest request body accepted unless told otherwise (16 MiB: a long chat request
/// with inline images fits; a larger body is refused with 413).
pub const DEFAULT_BODY_LIMIT: usize = 16 << 20;

/// What a bearer token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Quote, meter, estimate, classify, holds, and reading accounts.
    Relay,
    /// Everything a relay token may, and credits and administration.
    Admin,
}

/// Who is calling, as the bearer token says (a request extension the handlers read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// A relay or admin token.
    Service(Scope),
    /// An account token: it may read only its own account's views.
    Account(String),
}

impl Caller {
    /// The account a view is about: an account token's own (naming another is a 403), or
    /// the `account` query parameter a relay or admin token must give.
    pub(crate) fn account_of(&self, asked: Option<String>) -> Result<String, ApiError> {
        match (self, asked) {
            (Caller::Account(own), None) => Ok(own.clone()),
            (Caller::Account(own), Some(a)) if &a == own => Ok(a),
            (Caller::Account(_), Some(_)) => Err(ApiError::new(
                Kind::Forbidden,
                "an account token reads only its own account",
            )),
            (Caller::Service(_), Some(a)) if !a.is_empty() => Ok(a),
            (Caller::Service(_), _) => Err(ApiError::bad(
                "query `account`: required with a relay or admin token",
            )),
        }
    }

    /// Whether the caller may read `account`'s views.
    pub(crate) fn may_read(&self, account: &str) -> Result<(), ApiError> {
        self.account_of(Some(account.to_string())).map(|_| ())
    }
}

/// What one token grants.
#[derive(Clone, Debug)]
enum Grant {
    Scope(Scope),
    Account(String),
}

/// The bearer tokens the server accepts, each with its scope.
#[derive(Clone, Debug, Default)]
pub struct Tokens(Vec<(Grant, String)>);

impl Tokens {
    /// Parses `TARIFF_TOKENS`: entries separated by commas, `relay:TOKEN`, `admin:TOKEN`,
    /// or `account:NAME:TOKEN` (a token that reads only account NAME's usage views, for a
    /// relay's end users). Blank entries are skipped; an unknown scope, an empty account
    /// name or an empty token is an error.
    ///
    /// ```
    /// let t = tariff_serve::Tokens::parse("relay:abc, admin:xyz, account:alice:k1").unwrap();
    /// assert_eq!(t.len(), 3);
    /// assert!(tariff_serve::Tokens::parse("root:abc").is_err());
    /// assert!(tariff_serve::Tokens::parse("account::k1").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let mut out = Vec::new();
        for (i, entry) in text.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let n = i + 1;
            let (scope, token) = entry
                .split_once(':')
                .ok_or_else(|| format!("TARIFF_TOKENS entry {n} is not scope:token"))?;
            let (grant, token) = match scope.trim() {
                "relay" => (Grant::Scope(Scope::Relay), token),
                "admin" => (Grant::Scope(Scope::Admin), token),
                "account" => {
                    let (name, token) = token.split_once(':').ok_or_else(|| {
                        format!("TARIFF_TOKENS entry {n} is not account:NAME:TOKEN")
                    })?;
                    let name = name.trim();
                    if name.is_empty() {
                        return Err(format!("TARIFF_TOKENS entry {n} has an empty account"));
                    }
                    (Grant::Account(name.to_string()), token)
                }
                other => {
                    return Err(format!(
                        "TARIFF_TOKENS entry {n}: scope `{other}` is not relay, admin or account"
                    ))
                }
            };
            let token = token.trim();
            if token.is_empty() {
                return Err(format!("TARIFF_TOKENS entry {n} has an empty token"));
            }
            out.push((grant, token.to_string()));
        }
        Ok(Tokens(out))
    }

    /// The number of tokens.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Who `token` stands for, comparing every known token in full (no early exit on the
    /// first differing byte, so timing does not reveal a prefix). A token listed twice
    /// grants the widest of its grants (admin over relay over an account).
    fn caller_of(&self, token: &str) -> Option<Caller> {
        let mut found: Option<Caller> = None;
        for (grant, known) in &self.0 {
            let (a, b) = (known.as_bytes(), token.as_bytes());
            let mut diff = u8::from(a.len() != b.len());
            for (i, x) in a.iter().enumerate() {
                diff |= x ^ b.get(i).copied().unwrap_or(0);
            }
            if diff != 0 {
                continue;
            }
            let rank = |c: &Option<Caller>| match c {
                None => 0,
                Some(Caller::Account(_)) => 1,
                Some(Caller::Service(Scope::Relay)) => 2,
                Some(Caller::Service(Scope::Admin)) => 3,
            };
            let this = Some(match grant {
                Grant::Scope(s) => Caller::Service(*s),
                Grant::Account(a) => Caller::Account(a.clone()),
            });
            if rank(&this) > rank(&found) {
                found = this;
            }
        }
        found
    }
}

/// How `tariff serve` is configured.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The ledger database: `sqlite://PATH` or `postgres://…`.
    pub db: String,
    /// Extra price tables loaded on top of the built-in ones.
    pub prices: Vec<PathBuf>,
    /// The accepted bearer tokens.
    pub tokens: Tokens,
    /// Serve without auth (allowed only on a loopback address).
    pub no_auth: bool,
    /// The largest request body, in bytes.
    pub body_limit: usize,
    /// How holds are sized (the ledger's policy).
    pub hold_policy: HoldPolicy,
}

impl Config {
    /// The defaults: loopback port 8787, `sqlite://tariff.db`, no tokens (so [`run`]
    /// refuses to start until some are given or `no_auth` is set), holds of the full bound.
    pub fn new() -> Self {
        Config {
            listen: DEFAULT_LISTEN.parse().expect("a valid address"),
            db: DEFAULT_DB.to_string(),
            prices: Vec::new(),
            tokens: Tokens::default(),
            no_auth: false,
            body_limit: DEFAULT_BODY_LIMIT,
            hold_policy: HoldPolicy::FullBound,
        }
    }

    /// Refuses a configuration that would serve without auth off loopback, or with no
    /// tokens and no `no_auth`.
    pub fn validate(&self) -> Result<(), String> {
        if self.no_auth {
            if !self.listen.ip().is_loopback() {
                return Err(format!(
                    "--no-auth is allowed only on a loopback address, not {}",
                    self.listen
                ));
            }
        } else if self.tokens.is_empty() {
            return Err(
                "no tokens: set TARIFF_TOKENS (e.g. relay:SECRET,admin:SECRET2), \
                        or pass --no-auth on a loopback address"
                    .to_string(),
            );
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// The price tables in force: the catalog, a hash of what was loaded, and when.
pub struct Tables {
    /// The catalog (built-in tables and `--prices`).
    pub catalog: Catalog,
    /// A hash of the loaded tables (it changes when any price, model or date does).
    pub hash: String,
    /// When they were loaded.
    pub loaded_at: chrono::DateTime<chrono::Utc>,
}

/// Loads the built-in tables and `prices` on top, validated as `--prices` loads them.
pub fn load_tables(prices: &[PathBuf]) -> Result<Tables, String> {
    use std::hash::{Hash, Hasher};
    let mut b = Catalog::builder().builtin();
    for p in prices {
        b = b.path(p);
    }
    let catalog = b.build().map_err(|e| format!("price tables: {e}"))?;
    // SipHash with fixed keys over the loaded catalog's full debug rendering: the same
    // tables give the same hash in every process of this build.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{catalog:?}").hash(&mut h);
    Ok(Tables {
        catalog,
        hash: format!("{:016x}", h.finish()),
        loaded_at: chrono::Utc::now(),
    })
}

/// The state every handler shares.
pub struct AppState {
    tables: std::sync::RwLock<Arc<Tables>>,
    prices: Vec<PathBuf>,
    metrics: metrics::Metrics,
    tokens: Tokens,
    no_auth: bool,
    ledger: ledger::Db,
    hold_policy: HoldPolicy,
}

/// Loads the catalog (built-in tables and `--prices`) and opens the ledger database
/// (creating it and applying migrations), ready for [`router`].
pub async fn state(config: &Config) -> Result<Arc<AppState>, String> {
    config.validate()?;
    let tables = load_tables(&config.prices)?;
    let ledger = ledger::Db::open(&config.db)
        .await
        .map_err(|e| format!("ledger database {}: {e}", config.db))?;
    Ok(Arc::new(AppState {
        tables: std::sync::RwLock::new(Arc::new(tables)),
        prices: config.prices.clone(),
        metrics: metrics::Metrics::default(),
        tokens: config.tokens.clone(),
        no_auth: config.no_auth,
        ledger,
        hold_policy: config.hold_policy,
    }))
}

impl AppState {
    /// The tables in force; a call keeps the ones it started with across a reload.
    pub fn tables(&self) -> Arc<Tables> {
        self.tables
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the built-in and `--prices` tables and swaps them in; a table with a
    /// problem is refused and the old tables stay.
    pub fn reload(&self) -> Result<Arc<Tables>, String> {
        let fresh = Arc::new(load_tables(&self.prices)?);
        *self.tables.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        Ok(fresh)
    }
}

fn version_of(t: &Tables) -> serde_json::Value {
    serde_json::json!({
        "hash": t.hash,
        "loaded_at": t.loaded_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "models": t.catalog.models().len(),
    })
}

async fn prices_version(State(s): State<Arc<AppState>>) -> axum::Json<serde_json::Value> {
    axum::Json(version_of(&s.tables()))
}

async fn admin_reload(
    State(s): State<Arc<AppState>>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    match s.reload() {
        Ok(t) => Ok(axum::Json(version_of(&t))),
        Err(e) => {
            eprintln!("reload refused, the tables in force stay: {e}");
            Err(ApiError::new(Kind::InvalidTables, e))
        }
    }
}

/// Reloads the tables on every SIGHUP, logging the outcome.
fn reload_on_sighup(state: Arc<AppState>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            match state.reload() {
                Ok(t) => eprintln!("SIGHUP: tables reloaded, hash {}", t.hash),
                Err(e) => eprintln!("SIGHUP: reload refused, the tables in force stay: {e}"),
            }
        }
    });
    #[cfg(not(unix))]
    let _ = state;
}

/// The router: every route, auth, the body limit, and JSON answers for unknown routes
/// and methods.
pub fn router(state: Arc<AppState>, body_limit: usize) -> Router {
    let api = Router::new()
        .route("/v1/models", get(pricing::models))
        .route("/api/pricing", get(pricing::api_pricing))
        .route("/v1/quote", post(pricing::quote))
        .route("/v1/meter", post(pricing::meter))
        .route("/v1/estimate", post(pricing::estimate))
        .route("/v1/classify", post(pricing::classify))
        .route("/v1/accounts/{account}", get(ledger::account))
        .route("/v1/accounts/{account}/credit", post(ledger::credit))
        .route("/v1/accounts/{account}/usage", get(views::usage))
        .route("/api/usage/token", get(views::token_usage))
        .route(
            "/v1/dashboard/billing/subscription",
            get(views::subscription),
        )
        .route("/v1/dashboard/billing/usage", get(views::billing_usage))
        .route("/v1/holds", post(ledger::hold))
        .route("/v1/holds/{request_id}/settle", post(ledger::settle))
        .route("/v1/holds/{request_id}/refund", post(ledger::refund))
        .route("/v1/holds/{request_id}/fail", post(ledger::fail))
        .route("/v1/prices/version", get(prices_version))
        .route("/admin/reload", post(admin_reload))
        .route("/metrics", get(metrics::metrics))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(api)
        .fallback(|| async { ApiError::new(Kind::NotFound, "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                Kind::MethodNotAllowed,
                "this route does not take that method",
            )
        })
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Serves until SIGTERM or SIGINT, then finishes the calls in flight and returns. The
/// bound address is printed on stdout first (`listening on http://ADDR`), so a caller
/// that asked for port 0 learns the port.
pub async fn run(config: Config) -> Result<(), String> {
    let state = state(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("listening on {}: {e}", config.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("listening on {}: {e}", config.listen))?;
    reload_on_sighup(state.clone());
    println!("listening on http://{addr}");
    axum::serve(listener, router(state, config.body_limit))
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| format!("serving: {e}"))
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown() {
    let int = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = int.await;
                    return;
                }
            };
        tokio::select! {
            _ = int => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = int.await;
    }
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// Routes only an admin token may call.
fn admin_only(path: &str) -> bool {
    path.starts_with("/admin/") || (path.starts_with("/v1/accounts/") && path.ends_with("/credit"))
}

/// Routes an account token may call: its own usage views (the handler checks the
/// account named).
fn account_route(path: &str) -> bool {
    matches!(
        path,
        "/api/usage/token" | "/v1/dashboard/billing/subscription" | "/v1/dashboard/billing/usage"
    ) || (path.starts_with("/v1/accounts/") && path.ends_with("/usage"))
}

async fn auth(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    if state.no_auth {
        req.extensions_mut().insert(Caller::Service(Scope::Admin));
        return next.run(req).await;
    }
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let caller = match token.and_then(|t| state.tokens.caller_of(t)) {
        Some(c) => c,
        None => {
            let why = if token.is_none() {
                "an Authorization: Bearer TOKEN header is required"
            } else {
                "unknown token"
            };
            return ApiError::new(Kind::Unauthorized, why).into_response();
        }
    };
    let path = req.uri().path();
    match &caller {
        Caller::Service(Scope::Relay) if admin_only(path) => {
            return ApiError::new(Kind::Forbidden, "this route needs an admin token")
                .into_response();
        }
        Caller::Account(_) if !account_route(path) => {
            return ApiError::new(
                Kind::Forbidden,
                "an account token reads only its account's usage views",
            )
            .into_response();
        }
        _ => {}
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// A JSON body parsed by hand: a 413 for a body over the limit and a 400 naming the field
/// for a bad one, both in the error shape (axum's own extractor answers in plain text).
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| {
                if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(Kind::TooLarge, "the request body is larger than the limit")
                } else {
                    ApiError::bad(format!("reading the request body: {}", r.body_text()))
                }
            })?;
        parse_body(&bytes).map(Body)
    }
}

/// Parses a JSON body, naming the field path of the first problem.
fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." || path.is_empty() {
            ApiError::bad(format!("request body: {}", e.inner()))
        } else {
            ApiError::bad(format!("field `{path}`: {}", e.inner()))
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad(format!("request body: {e}")))?;
    Ok(value)
}

/// [`run`] on a multi-threaded runtime of its own, for a synchronous `main`.
pub fn run_blocking(config: Config) -> Result<(), String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?
        .block_on(run(config))
}
