//! Metering, estimates, token counts, failure classification and reconciliation: the CLI's
//! `quote --api`, `estimate`, `count`, `classify` and `reconcile` as functions returning
//! what their `--json` prints.

use std::io::Write as _;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use tariff::extract::Api;
use tariff::reconcile::{Dim, LogFormat, Options, Reconciler, Rejection};
use tariff::tokens::Encoding;
use tariff::{Catalog as RsCatalog, QuotaPolicy};

use crate::{to_py, usage_err, TariffError};

/// A body as bytes: `bytes`, `str` (UTF-8), or any JSON-serializable object (through
/// Python's `json.dumps`: a request's floats, such as `temperature`, are not money).
fn body_bytes(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(b) = v.downcast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = v.downcast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    let dumps = v.py().import("json")?.getattr("dumps")?;
    let text = dumps.call1((v,)).map_err(|e| {
        PyTypeError::new_err(format!(
            "{what} must be bytes, str or a JSON-serializable object: {e}"
        ))
    })?;
    Ok(text.extract::<String>()?.into_bytes())
}

fn api_arg(api: &str) -> PyResult<Api> {
    Api::parse(api).ok_or_else(|| {
        let names: Vec<&str> = Api::ALL.iter().map(|a| a.name()).collect();
        TariffError::new_err(format!("unknown api `{api}`; apis: {}", names.join(", ")))
    })
}

/// The usage record of a provider response (body, saved SSE stream or task record), as
/// `tariff quote --api` reads it: a dict of canonical buckets.
#[pyfunction]
#[pyo3(signature = (api, response, request=None))]
pub fn meter<'py>(
    py: Python<'py>,
    api: &str,
    response: &Bound<'py, PyAny>,
    request: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let api = api_arg(api)?;
    let body = body_bytes(response, "response")?;
    let request = request.map(|r| body_bytes(r, "request")).transpose()?;
    let usage = py
        .allow_threads(|| tariff::extract::extract_with_request(api, &body, request.as_deref()))
        .map_err(|e| usage_err(e.to_string()))?;
    let v = serde_json::to_value(&usage).map_err(|e| TariffError::new_err(e.to_string()))?;
    to_py(py, &v)
}

/// The most a request can cost (the hold), as `tariff estimate --json` prints it:
/// `{"estimate", "bill", "quota", "price_error"}`.
#[pyfunction]
#[pyo3(signature = (api, model, request, *, at=None))]
pub fn estimate<'py>(
    py: Python<'py>,
    api: &str,
    model: &str,
    request: &Bound<'py, PyAny>,
    at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let api = api_arg(api)?;
    let body = body_bytes(request, "request")?;
    let at = at.map(crate::time_arg).transpose()?;
    let out = py.allow_threads(|| -> Result<serde_json::Value, String> {
        let est = tariff::estimate::estimate(api, model, &body).map_err(|e| e.to_string())?;
        let mut usage = est.usage.clone();
        if at.is_some() {
            usage.at = at;
        }
        let (bill, quota, error) = match RsCatalog::builtin().quote(model, &usage) {
            Ok(b) => (
                serde_json::to_value(&b).map_err(|e| e.to_string())?,
                b.quota(&QuotaPolicy::new_api()).ok(),
                None,
            ),
            Err(e) => (serde_json::Value::Null, None, Some(e.to_string())),
        };
        Ok(serde_json::json!({
            "estimate": est,
            "bill": bill,
            "quota": quota,
            "price_error": error,
        }))
    });
    to_py(py, &out.map_err(usage_err)?)
}

/// The exact token count of `text` with the model's (or the named) encoding.
#[pyfunction]
#[pyo3(signature = (text, *, model=None, encoding=None))]
pub fn count(
    py: Python<'_>,
    text: &str,
    model: Option<&str>,
    encoding: Option<&str>,
) -> PyResult<usize> {
    let enc = match (encoding, model) {
        (Some(name), _) => Encoding::from_name(name).ok_or_else(|| {
            TariffError::new_err(format!(
                "unknown encoding `{name}`; encodings: o200k_base, o200k_harmony, cl100k_base"
            ))
        })?,
        (None, Some(m)) => Encoding::for_model(m).ok_or_else(|| {
            TariffError::new_err(format!(
                "no exact tokenizer is known for model `{m}`; pass encoding= to choose one"
            ))
        })?,
        (None, None) => return Err(TariffError::new_err("model or encoding is required")),
    };
    Ok(py.allow_threads(|| enc.count(text)))
}

/// Whose fault a failed request was and what to do with its hold, as
/// `tariff classify --json` prints it.
#[pyfunction]
pub fn classify<'py>(
    py: Python<'py>,
    status: u16,
    body: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let body = body_bytes(body, "body")?;
    let body = String::from_utf8_lossy(&body);
    let outcome = tariff::outcome::Classifier::builtin().classify(status, &body);
    let v = serde_json::to_value(&outcome).map_err(|e| TariffError::new_err(e.to_string()))?;
    to_py(py, &v)
}

/// Re-prices logged requests at the prices in force when they ran, as
/// `tariff reconcile --json` reports them.
#[pyfunction]
#[pyo3(signature = (paths, *, format=None, by=vec!["model".to_string()], threads=None, rejects=None))]
pub fn reconcile<'py>(
    py: Python<'py>,
    paths: Vec<std::path::PathBuf>,
    format: Option<&str>,
    by: Vec<String>,
    threads: Option<usize>,
    rejects: Option<std::path::PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let format = format
        .map(|s| {
            LogFormat::parse(s).ok_or_else(|| {
                TariffError::new_err(format!("unknown format `{s}`; formats: canonical, new-api"))
            })
        })
        .transpose()?;
    let by = by
        .iter()
        .map(|s| {
            Dim::parse(s).ok_or_else(|| {
                let names: Vec<&str> = Dim::ALL.iter().map(|d| d.name()).collect();
                TariffError::new_err(format!(
                    "unknown dimension `{s}`; dimensions: {}",
                    names.join(", ")
                ))
            })
        })
        .collect::<PyResult<Vec<Dim>>>()?;
    if let Some(n) = threads {
        let max = tariff::reconcile::max_threads();
        if n == 0 || n > max {
            return Err(TariffError::new_err(format!(
                "threads {n}: between 1 and {max} (four per core) are allowed"
            )));
        }
    }
    let report = py.allow_threads(|| -> Result<serde_json::Value, String> {
        let opts = Options {
            format,
            by,
            threads,
            ..Options::default()
        };
        let mut r = Reconciler::new(RsCatalog::builtin(), opts).map_err(|e| e.to_string())?;
        let mut out = rejects
            .as_ref()
            .map(|p| {
                std::fs::File::create(p)
                    .map(std::io::BufWriter::new)
                    .map_err(|e| format!("writing rejects {}: {e}", p.display()))
            })
            .transpose()?;
        let mut write_error = None;
        let mut on_reject = |rej: &Rejection| {
            if let (Some(w), None) = (&mut out, &write_error) {
                let line = serde_json::to_string(rej).unwrap_or_default();
                if let Err(e) = writeln!(w, "{line}") {
                    write_error = Some(e);
                }
            }
        };
        for p in &paths {
            let name = p.display().to_string();
            let f = std::fs::File::open(p).map_err(|e| format!("opening {name}: {e}"))?;
            r.read(&name, f, &mut on_reject, &mut |_| {})
                .map_err(|e| e.to_string())?;
        }
        if let Some(mut w) = out {
            if let Some(e) = write_error {
                return Err(format!("writing rejects: {e}"));
            }
            w.flush().map_err(|e| format!("writing rejects: {e}"))?;
        }
        serde_json::to_value(r.finish()).map_err(|e| e.to_string())
    });
    to_py(py, &report.map_err(TariffError::new_err)?)
}
