//! `GET /metrics`: Prometheus text — requests by route and status, a latency histogram,
//! open holds and quota charged (read from the ledger at scrape time).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::{ApiError, AppState};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

/// Counters kept by the middleware.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// Counts every request by its route pattern (not its path, so ids do not multiply the
/// series) and status, and times it.
pub async fn track(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let t = Instant::now();
    let resp = next.run(req).await;
    let secs = t.elapsed().as_secs_f64();
    let m = &s.metrics;
    *m.requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry((route, resp.status().as_u16()))
        .or_default() += 1;
    for (i, b) in BUCKETS.iter().enumerate() {
        if secs <= *b {
            m.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    m.count.fetch_add(1, Ordering::Relaxed);
    let micros = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
    m.sum_micros.fetch_add(micros, Ordering::Relaxed);
    resp
}

/// `GET /metrics`.
pub async fn metrics(State(s): State<Arc<AppState>>) -> Result<Response, ApiError> {
    use std::fmt::Write;
    let (open, charged) = s.ledger.totals().await?;
    let m = &s.metrics;
    let mut out = String::new();
    out.push_str("# HELP tariff_requests_total Requests by route and status.\n");
    out.push_str("# TYPE tariff_requests_total counter\n");
    for ((route, status), n) in m.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let _ = writeln!(
            out,
            "tariff_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
        );
    }
    out.push_str("# HELP tariff_request_seconds Request latency.\n");
    out.push_str("# TYPE tariff_request_seconds histogram\n");
    for (i, b) in BUCKETS.iter().enumerate() {
        let _ = writeln!(
            out,
            "tariff_request_seconds_bucket{{le=\"{b}\"}} {}",
            m.buckets[i].load(Ordering::Relaxed)
        );
    }
    let count = m.count.load(Ordering::Relaxed);
    let _ = writeln!(out, "tariff_request_seconds_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(
        out,
        "tariff_request_seconds_sum {}",
        m.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
    );
    let _ = writeln!(out, "tariff_request_seconds_count {count}");
    out.push_str("# HELP tariff_open_holds Holds not yet settled or refunded.\n");
    out.push_str("# TYPE tariff_open_holds gauge\n");
    let _ = writeln!(out, "tariff_open_holds {open}");
    out.push_str("# HELP tariff_quota_charged_total Quota units charged by settlements.\n");
    out.push_str("# TYPE tariff_quota_charged_total counter\n");
    let _ = writeln!(out, "tariff_quota_charged_total {charged}");
    Ok(Response::builder()
        .header("content-type", "text/plain; version=0.0.4")
        .body(axum::body::Body::from(out))
        .unwrap_or_default())
}
