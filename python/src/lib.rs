//! The extension module `tariff._native`: tariff's catalog, engine and bills for Python.
//!
//! Money and quantities cross the boundary as decimal text, never as floats: a usage dict is
//! written as JSON text (ints and `decimal.Decimal`s as their exact digits) and read by
//! `Usage::from_json`; a bill is read through its serde form (the CLI's `quote --json`
//! object), so the bindings depend on the library's public serialization, not on its fields.

use std::fmt::Write as _;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::Value;
use tariff::{Catalog as RsCatalog, Currency, FxTable, ServiceTier, Usage};

mod arrow;
mod ops;

create_exception!(
    tariff,
    TariffError,
    PyValueError,
    "Any input tariff cannot price: the base of the errors below."
);
create_exception!(
    tariff,
    UsageError,
    TariffError,
    "A usage record (or request option) that cannot be priced as given."
);
create_exception!(
    tariff,
    PriceError,
    TariffError,
    "A request the catalog cannot price: no price in force, tier, region or unit."
);
create_exception!(
    tariff,
    UnknownModel,
    PriceError,
    "No model has this id, alias or pattern; `.suggestions` holds the closest ids."
);

/// `decimal.Decimal`, imported once.
fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static DECIMAL: GILOnceCell<Py<PyAny>> = GILOnceCell::new();
    DECIMAL
        .get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            Ok(py.import("decimal")?.getattr("Decimal")?.unbind())
        })
        .map(|d| d.bind(py))
}

/// A `decimal.Decimal` from exact decimal text.
fn py_decimal<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    decimal_type(py)?.call1((text,))
}

/// The Python exception for a library error, with the CLI's message.
fn price_err(e: tariff::PriceError) -> PyErr {
    match &e {
        tariff::PriceError::UnknownModel { model, known } => {
            let suggestions = known.closest(model);
            let err = UnknownModel::new_err(e.to_string());
            Python::with_gil(|py| {
                // Setting an attribute on a fresh exception object cannot fail short of
                // memory exhaustion; the message already names the suggestions.
                let _ = err.value(py).setattr("suggestions", suggestions);
            });
            err
        }
        _ => PriceError::new_err(e.to_string()),
    }
}

fn usage_err(msg: impl Into<String>) -> PyErr {
    UsageError::new_err(msg.into())
}

/// Writes a Python value as JSON text: dicts with string keys, lists and tuples, strings,
/// bools, None, ints and finite `Decimal`s (as their exact digits). A float is refused:
/// its binary value is not the decimal the caller meant. `path` names the value in errors.
fn write_json(v: &Bound<'_, PyAny>, path: &mut String, out: &mut String) -> PyResult<()> {
    if v.is_none() {
        out.push_str("null");
    } else if let Ok(b) = v.downcast::<PyBool>() {
        out.push_str(if b.is_true() { "true" } else { "false" });
    } else if v.is_instance_of::<PyInt>() {
        out.push_str(&v.str()?.to_cow()?);
    } else if let Ok(s) = v.downcast::<PyString>() {
        let s = s.to_cow()?;
        // Serializing a string to JSON cannot fail.
        out.push_str(&serde_json::to_string(&*s).unwrap_or_default());
    } else if let Ok(d) = v.downcast::<PyDict>() {
        out.push('{');
        for (i, (k, item)) in d.iter().enumerate() {
            let Ok(key) = k.downcast::<PyString>() else {
                return Err(usage_err(format!(
                    "usage{}: a key is not a string: {}",
                    at_path(path),
                    k.repr()?
                )));
            };
            let key = key.to_cow()?;
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(&*key).unwrap_or_default());
            out.push(':');
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key);
            write_json(&item, path, out)?;
            path.truncate(len);
        }
        out.push('}');
    } else if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        out.push('[');
        for (i, item) in v.try_iter()?.enumerate() {
            if i > 0 {
                out.push(',');
            }
            let len = path.len();
            let _ = write!(path, "[{i}]");
            write_json(&item?, path, out)?;
            path.truncate(len);
        }
        out.push(']');
    } else if v.is_instance_of::<PyFloat>() {
        return Err(usage_err(format!(
            "usage{}: the float {} is not exact; pass an int or a decimal.Decimal",
            at_path(path),
            v.repr()?
        )));
    } else if v.is_instance(decimal_type(v.py())?)? {
        if !v.call_method0("is_finite")?.is_truthy()? {
            return Err(usage_err(format!(
                "usage{}: {} is not a finite number",
                at_path(path),
                v.repr()?
            )));
        }
        // Fixed-point digits: JSON readers take an exponent as a float.
        let text = v.call_method1("__format__", ("f",))?;
        out.push_str(&text.downcast::<PyString>()?.to_cow()?);
    } else if v.hasattr("isoformat")? {
        // A datetime or date, as the RFC 3339 text `at` takes.
        let text = iso_time(v, path)?;
        out.push_str(&serde_json::to_string(&text).unwrap_or_default());
    } else {
        return Err(usage_err(format!(
            "usage{}: a {} cannot be read as usage (use dicts, lists, str, int, Decimal)",
            at_path(path),
            v.get_type().name()?
        )));
    }
    Ok(())
}

fn at_path(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" field `{path}`")
    }
}

/// A `datetime` (with a time zone) or `date` as RFC 3339 text.
fn iso_time(v: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let is_datetime = v.hasattr("tzinfo")?;
    if is_datetime && v.call_method0("utcoffset")?.is_none() {
        return Err(usage_err(format!(
            "{what}: a datetime without a time zone is ambiguous; give it one (e.g. timezone.utc)"
        )));
    }
    let text: String = v.call_method0("isoformat")?.extract()?;
    Ok(if is_datetime {
        text
    } else {
        format!("{text}T00:00:00Z")
    })
}

/// A time as the CLI's `--at` takes it: RFC 3339, or a date (midnight UTC).
fn parse_time(s: &str) -> PyResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(t) = d.and_hms_opt(0, 0, 0) {
            return Ok(t.and_utc());
        }
    }
    Err(usage_err(format!(
        "at `{s}` is not an RFC 3339 time or a YYYY-MM-DD date"
    )))
}

/// The `at` argument: str, datetime (with a time zone) or date.
fn time_arg(v: &Bound<'_, PyAny>) -> PyResult<DateTime<Utc>> {
    if let Ok(s) = v.downcast::<PyString>() {
        return parse_time(&s.to_cow()?);
    }
    if v.hasattr("isoformat")? {
        return parse_time(&iso_time(v, "at")?);
    }
    Err(PyTypeError::new_err(format!(
        "at must be a str, datetime or date, not {}",
        v.get_type().name()?
    )))
}

/// The count buckets by name, each with its index in [`arrow::BUCKETS`], built once.
fn bucket_index(py: Python<'_>) -> PyResult<&Bound<'_, PyDict>> {
    static INDEX: GILOnceCell<Py<PyDict>> = GILOnceCell::new();
    INDEX
        .get_or_try_init(py, || -> PyResult<Py<PyDict>> {
            let d = PyDict::new(py);
            for (i, b) in arrow::BUCKETS.iter().enumerate() {
                d.set_item(b, i)?;
            }
            Ok(d.unbind())
        })
        .map(|d| d.bind(py))
}

/// The common record read directly: a dict whose every key is a count bucket and every
/// value an int in range. `None` for anything else (another key, a Decimal, a negative or
/// too large count, a bool), which the JSON route reads with its full checks and messages.
/// Both routes give the same `Usage` (python/tests/test_quote.py checks it); this one
/// skips writing and parsing JSON text on the per-call path.
fn counts_only(d: &Bound<'_, PyDict>) -> Option<Usage> {
    let index = bucket_index(d.py()).ok()?;
    let mut usage = Usage::default();
    for (k, v) in d.iter() {
        // Looked up in a dict of the bucket names: the key's cached hash, no UTF-8 copy.
        // A str subclass (its own __eq__ or __hash__) takes the JSON route.
        if !k.is_exact_instance_of::<PyString>() {
            return None;
        }
        let i: usize = index.get_item(&k).ok()??.extract().ok()?;
        // A bool is an int to Python, not a count to the JSON route.
        if !v.is_exact_instance_of::<PyInt>() {
            return None;
        }
        arrow::set_bucket(&mut usage, i, v.extract::<u64>().ok()?)?;
    }
    Some(usage)
}

/// Reads the usage dict (or JSON text) and applies the keyword overrides as `tariff quote`'s
/// flags do: they replace the record's values, options are merged key by key.
fn read_usage(
    usage: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    service_tier: Option<&str>,
    region: Option<String>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Usage> {
    let mut usage = if let Ok(s) = usage.downcast::<PyString>() {
        Usage::from_json(&s.to_cow()?)
    } else if let Ok(d) = usage.downcast::<PyDict>() {
        match counts_only(d) {
            Some(u) => Ok(u),
            None => {
                let mut text = String::with_capacity(256);
                write_json(usage, &mut String::new(), &mut text)?;
                Usage::from_json(&text)
            }
        }
    } else {
        return Err(PyTypeError::new_err(format!(
            "usage must be a dict of buckets or its JSON text, not {}",
            usage.get_type().name()?
        )));
    }
    .map_err(|e| usage_err(e.to_string()))?;
    if let Some(at) = at {
        usage.at = Some(time_arg(at)?);
    }
    if let Some(t) = service_tier {
        usage.service_tier = Some(ServiceTier::parse(t).ok_or_else(|| {
            usage_err(format!(
                "service_tier `{t}` is not one of standard, batch, flex, priority"
            ))
        })?);
    }
    if let Some(r) = region {
        usage.region = Some(r);
    }
    if let Some(opts) = options {
        for (k, v) in opts.iter() {
            let k: String = k
                .extract()
                .map_err(|_| usage_err("options: keys must be strings"))?;
            let v = if let Ok(b) = v.downcast::<PyBool>() {
                b.is_true().to_string()
            } else {
                v.str()?.to_cow()?.into_owned()
            };
            usage.options.insert(k, v);
        }
    }
    Ok(usage)
}

/// The `fx` argument: a list of rate dicts, or its JSON text.
fn fx_table(fx: &Bound<'_, PyAny>) -> PyResult<FxTable> {
    let text = if let Ok(s) = fx.downcast::<PyString>() {
        s.to_cow()?.into_owned()
    } else {
        let mut text = String::new();
        write_json(fx, &mut "fx".to_string(), &mut text)?;
        text
    };
    FxTable::from_json(&text).map_err(|e| TariffError::new_err(format!("fx: {e}")))
}

/// A JSON value as Python objects (what `json.loads` gives for the same text).
fn to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                // The library writes money and quantities as strings; a JSON number with
                // a fraction would only come from a float field.
                py_decimal(py, &n.to_string())?
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(to_py(py, x)?)?;
            }
            list.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// An exact decimal from a JSON field written as a string (or integer).
fn dec_field<'py>(py: Python<'py>, v: &Value, name: &str) -> PyResult<Bound<'py, PyAny>> {
    match v.get(name) {
        Some(Value::String(s)) => py_decimal(py, s),
        Some(Value::Number(n)) => py_decimal(py, &n.to_string()),
        _ => Ok(py.None().into_bound(py)),
    }
}

/// One line of a bill: a quantity of one unit at one price.
#[pyclass(module = "tariff", frozen)]
struct Line {
    json: Value,
}

#[pymethods]
impl Line {
    /// The line's label: the unit, with its variant when it has one.
    #[getter]
    fn item(&self) -> &str {
        self.json["item"].as_str().unwrap_or_default()
    }
    /// The unit counted (`input_tokens`, `images`, ...).
    #[getter]
    fn unit(&self) -> &str {
        self.json["unit"].as_str().unwrap_or_default()
    }
    /// How much of it.
    #[getter]
    fn quantity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dec_field(py, &self.json, "quantity")
    }
    /// The price of `per` units.
    #[getter]
    fn unit_price<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dec_field(py, &self.json, "unit_price")
    }
    /// The quantity `unit_price` is for: an int (a Decimal only if the table says a fraction).
    #[getter]
    fn per<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = match &self.json["per"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match text.parse::<i64>() {
            Ok(i) => Ok(i.into_pyobject(py)?.into_any()),
            Err(_) => py_decimal(py, &text),
        }
    }
    /// `quantity × unit_price / per`, exact.
    #[getter]
    fn amount<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dec_field(py, &self.json, "amount")
    }
    /// When the schedule has no rate for `unit`, the unit whose rate was used.
    #[getter]
    fn priced_as(&self) -> Option<&str> {
        self.json.get("priced_as").and_then(Value::as_str)
    }
    /// The line as the CLI's JSON writes it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.json)
    }
    fn __repr__(&self) -> String {
        format!(
            "Line({} {} x {} per {} = {})",
            self.item(),
            self.json["quantity"].as_str().unwrap_or_default(),
            self.json["unit_price"].as_str().unwrap_or_default(),
            self.json["per"].as_str().unwrap_or_default(),
            self.json["amount"].as_str().unwrap_or_default()
        )
    }
}

/// The price of one request: exact, itemized, with its provenance.
#[pyclass(module = "tariff", frozen)]
struct Bill {
    bill: tariff::Bill,
    /// The serde form, built on first use.
    json: OnceLock<Value>,
}

impl Bill {
    fn new(bill: tariff::Bill) -> Self {
        Bill {
            bill,
            json: OnceLock::new(),
        }
    }

    fn json(&self) -> &Value {
        self.json.get_or_init(|| {
            // A bill is plain data: serializing it to a JSON value cannot fail.
            serde_json::to_value(&self.bill).unwrap_or(Value::Null)
        })
    }
}

#[pymethods]
impl Bill {
    /// The sum of the lines, exact.
    #[getter]
    fn total<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // From the bill, not its serde form (the per-call path): the same text, as serde
        // writes a Decimal with its Display.
        py_decimal(py, &self.bill.total().to_string())
    }
    /// The ISO 4217 code of every amount.
    #[getter]
    fn currency(&self) -> String {
        self.bill.currency().as_str().to_owned()
    }
    /// The canonical id of the model priced.
    #[getter]
    fn model(&self) -> &str {
        self.bill.model()
    }
    /// The model's provider.
    #[getter]
    fn provider(&self) -> &str {
        self.bill.provider()
    }
    /// The time the prices were taken at (RFC 3339).
    #[getter]
    fn at(&self) -> &str {
        self.json()["at"].as_str().unwrap_or_default()
    }
    /// Whether some usage was estimated rather than reported.
    #[getter]
    fn estimated(&self) -> bool {
        self.json()["estimated"].as_bool().unwrap_or(false)
    }
    /// One line per unit (and variant) used.
    #[getter]
    fn lines(&self) -> Vec<Line> {
        match &self.json()["lines"] {
            Value::Array(a) => a.iter().map(|l| Line { json: l.clone() }).collect(),
            _ => Vec::new(),
        }
    }
    /// The bill as `tariff quote --json` prints it (amounts as exact decimal strings).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.json())
    }
    /// The bill as JSON text (the `quote --json` object).
    fn to_json(&self) -> String {
        self.json().to_string()
    }
    fn __repr__(&self) -> String {
        let j = self.json();
        format!(
            "Bill({} {} {})",
            j["model"].as_str().unwrap_or_default(),
            j["total"].as_str().unwrap_or_default(),
            j["currency"].as_str().unwrap_or_default()
        )
    }
}

/// A catalog of price tables: the built-in ones, plus any table files or directories given
/// (as the CLI's `--prices`).
#[pyclass(module = "tariff", frozen)]
struct Catalog {
    /// `None` for the built-in catalog, which lives for the whole process.
    own: Option<RsCatalog>,
}

impl Catalog {
    fn get(&self) -> &RsCatalog {
        self.own.as_ref().unwrap_or_else(|| RsCatalog::builtin())
    }
}

#[allow(clippy::too_many_arguments)]
fn quote_with(
    catalog: &RsCatalog,
    model: &str,
    usage: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    service_tier: Option<&str>,
    region: Option<String>,
    options: Option<&Bound<'_, PyDict>>,
    currency: Option<&str>,
    fx: Option<&Bound<'_, PyAny>>,
) -> PyResult<Bill> {
    let usage = read_usage(usage, at, service_tier, region, options)?;
    let mut bill = catalog.quote(model, &usage).map_err(price_err)?;
    match (currency, fx) {
        (Some(ccy), Some(fx)) => {
            let to = Currency::parse(ccy)
                .ok_or_else(|| TariffError::new_err(format!("`{ccy}` is not a currency code")))?;
            bill = bill
                .convert(&fx_table(fx)?, to)
                .map_err(|e| TariffError::new_err(e.to_string()))?;
        }
        (Some(_), None) => {
            return Err(TariffError::new_err(
                "currency needs fx: a list of {from, to, rate, date, source} rates",
            ))
        }
        (None, _) => {}
    }
    Ok(Bill::new(bill))
}

#[pymethods]
impl Catalog {
    /// The built-in tables, plus each path in `prices` (a `.toml` file or a directory of them).
    #[new]
    #[pyo3(signature = (prices=None))]
    fn new(py: Python<'_>, prices: Option<Vec<std::path::PathBuf>>) -> PyResult<Self> {
        match prices {
            None => Ok(Catalog { own: None }),
            Some(paths) if paths.is_empty() => Ok(Catalog { own: None }),
            Some(paths) => py.allow_threads(|| {
                let mut b = RsCatalog::builder().builtin();
                for p in &paths {
                    b = b.path(p);
                }
                b.build()
                    .map(|c| Catalog { own: Some(c) })
                    .map_err(|e| TariffError::new_err(e.to_string()))
            }),
        }
    }

    /// Prices one usage record; see `tariff.quote`.
    #[pyo3(signature = (model, usage, *, at=None, service_tier=None, region=None, options=None, currency=None, fx=None))]
    #[allow(clippy::too_many_arguments)]
    fn quote(
        &self,
        model: &str,
        usage: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
        service_tier: Option<&str>,
        region: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
        currency: Option<&str>,
        fx: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bill> {
        quote_with(
            self.get(),
            model,
            usage,
            at,
            service_tier,
            region,
            options,
            currency,
            fx,
        )
    }

    /// Every model's canonical id, in table order.
    fn models(&self) -> Vec<String> {
        self.get()
            .models()
            .iter()
            .map(|m| m.id().to_string())
            .collect()
    }

    /// One model (id, alias or dated snapshot): its id, name, provider, kind, aliases and
    /// patterns, as `tariff models --json` lists them.
    fn model<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Bound<'py, PyAny>> {
        let m = self.get().model(id).map_err(price_err)?;
        let v = serde_json::json!({
            "id": m.id(),
            "name": m.name(),
            "provider": m.provider(),
            "kind": m.kind(),
            "aliases": m.aliases(),
            "patterns": m.patterns(),
        });
        to_py(py, &v)
    }

    fn __repr__(&self) -> String {
        format!("Catalog({} models)", self.get().models().len())
    }
}

/// Prices one usage record on the built-in tables.
#[pyfunction]
#[pyo3(signature = (model, usage, *, at=None, service_tier=None, region=None, options=None, currency=None, fx=None))]
#[allow(clippy::too_many_arguments)]
fn quote(
    model: &str,
    usage: &Bound<'_, PyAny>,
    at: Option<&Bound<'_, PyAny>>,
    service_tier: Option<&str>,
    region: Option<String>,
    options: Option<&Bound<'_, PyDict>>,
    currency: Option<&str>,
    fx: Option<&Bound<'_, PyAny>>,
) -> PyResult<Bill> {
    quote_with(
        RsCatalog::builtin(),
        model,
        usage,
        at,
        service_tier,
        region,
        options,
        currency,
        fx,
    )
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("TariffError", py.get_type::<TariffError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("PriceError", py.get_type::<PriceError>())?;
    m.add("UnknownModel", py.get_type::<UnknownModel>())?;
    m.add_class::<Bill>()?;
    m.add_class::<Line>()?;
    m.add_class::<Catalog>()?;
    m.add_function(wrap_pyfunction!(quote, m)?)?;
    m.add_function(wrap_pyfunction!(ops::meter, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::quote_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(ops::estimate, m)?)?;
    m.add_function(wrap_pyfunction!(ops::count, m)?)?;
    m.add_function(wrap_pyfunction!(ops::classify, m)?)?;
    m.add_function(wrap_pyfunction!(ops::reconcile, m)?)?;
    Ok(())
}
