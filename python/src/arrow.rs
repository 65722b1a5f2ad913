//! `quote_arrow`: a table of usage rows priced in one call, through the Arrow C data
//! interface (the PyCapsule protocol pyarrow, polars and pandas speak): the input's buffers
//! are read in place, and the output carries the input's columns plus `cost`
//! (`decimal128(38, 18)`), `currency` and `error`. A row that cannot be priced gets a null
//! cost and its reason in `error`; it never fails the batch.

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::Arc;

use arrow_array::builder::{Decimal128Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    new_null_array, Array, ArrayRef, PrimitiveArray, RecordBatch, RecordBatchIterator,
    RecordBatchReader, StructArray,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{ArrowError, DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};
use rust_decimal::Decimal;
use tariff::{Catalog as RsCatalog, Count, Currency, Model, ServiceTier, Tokens, Usage};

use crate::{usage_err, TariffError};

/// The buckets a column may carry, each an integer count: the usage record's buckets.
pub(crate) const BUCKETS: [&str; 17] = tariff::COUNT_BUCKETS;

/// The scale of the `cost` column: 18 places, more than any table's rate needs.
const SCALE: u32 = 18;

pub(crate) fn set_bucket(u: &mut Usage, i: usize, n: u64) -> Option<()> {
    let tokens = |n| Tokens::new(n);
    match i {
        0 => u.input_tokens = tokens(n)?,
        1 => u.cache_read_tokens = tokens(n)?,
        2 => u.cache_write_tokens = tokens(n)?,
        3 => u.cache_write_1h_tokens = tokens(n)?,
        4 => u.output_tokens = tokens(n)?,
        5 => u.reasoning_tokens = tokens(n)?,
        6 => u.audio_input_tokens = tokens(n)?,
        7 => u.audio_cache_read_tokens = tokens(n)?,
        8 => u.audio_output_tokens = tokens(n)?,
        9 => u.image_input_tokens = tokens(n)?,
        10 => u.image_output_tokens = tokens(n)?,
        11 => u.characters = Count::new(n)?,
        12 => u.requests = Count::new(n)?,
        13 => u.web_search_calls = Count::new(n)?,
        14 => u.file_search_calls = Count::new(n)?,
        15 => u.searches = Count::new(n)?,
        16 => u.container_sessions = Count::new(n)?,
        _ => return None,
    }
    Some(())
}

/// A string array of any of Arrow's plain string layouts.
enum Plain<'a> {
    Small(&'a arrow_array::StringArray),
    Large(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl Plain<'_> {
    fn of(a: &dyn Array) -> Option<Plain<'_>> {
        Some(match a.data_type() {
            DataType::Utf8 => Plain::Small(a.as_string::<i32>()),
            DataType::LargeUtf8 => Plain::Large(a.as_string::<i64>()),
            DataType::Utf8View => Plain::View(a.as_string_view()),
            _ => return None,
        })
    }

    fn len(&self) -> usize {
        match self {
            Plain::Small(a) => a.len(),
            Plain::Large(a) => a.len(),
            Plain::View(a) => a.len(),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&str> {
        match self {
            Plain::Small(a) => a.is_valid(i).then(|| a.value(i)),
            Plain::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Plain::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// A string column: plain, or dictionary-encoded (what pyarrow's `read_dictionary`, a pandas
/// `category` and a polars `Categorical` or `Enum` give) with keys of any integer type and
/// values of any plain string layout. Keys come from the producer unchecked (the C data
/// interface is imported without validation), so each is checked against the dictionary.
enum Strs<'a> {
    Plain(Plain<'a>),
    Dict(Ints<'a>, Plain<'a>),
}

impl Strs<'_> {
    fn of<'a>(name: &str, a: &'a ArrayRef) -> PyResult<Strs<'a>> {
        let not = || {
            usage_err(format!(
                "column `{name}` is {}, not a string column",
                a.data_type()
            ))
        };
        if let DataType::Dictionary(..) = a.data_type() {
            let d = a.as_any_dictionary();
            let keys = Ints::of(d.keys()).ok_or_else(not)?;
            let values = Plain::of(d.values().as_ref()).ok_or_else(not)?;
            return Ok(Strs::Dict(keys, values));
        }
        Plain::of(a.as_ref()).map(Strs::Plain).ok_or_else(not)
    }

    /// Row `i`'s index into the dictionary (`None` when the row is null), or the row's error
    /// when the index is not one of the dictionary's.
    #[inline]
    fn key(
        keys: &Ints<'_>,
        values: &Plain<'_>,
        name: &str,
        i: usize,
    ) -> Result<Option<usize>, String> {
        let Some(k) = keys.get(i) else {
            return Ok(None);
        };
        match usize::try_from(k) {
            Ok(k) if k < values.len() => Ok(Some(k)),
            _ => Err(format!(
                "{name} dictionary index {k} is out of range (the dictionary has {} values)",
                values.len()
            )),
        }
    }

    /// Row `i`'s text (`None` when it is null, or its dictionary value is), or the row's
    /// error when its dictionary index is out of range. `name` is the column's, for the
    /// message.
    #[inline]
    fn get(&self, name: &str, i: usize) -> Result<Option<&str>, String> {
        match self {
            Strs::Plain(a) => Ok(a.get(i)),
            Strs::Dict(keys, values) => {
                Ok(Self::key(keys, values, name, i)?.and_then(|k| values.get(k)))
            }
        }
    }
}

/// An integer column of any width, its type resolved once per batch (not per row), read
/// as i128 so that no value wraps.
enum Ints<'a> {
    I8(&'a PrimitiveArray<Int8Type>),
    I16(&'a PrimitiveArray<Int16Type>),
    I32(&'a PrimitiveArray<Int32Type>),
    I64(&'a PrimitiveArray<Int64Type>),
    U8(&'a PrimitiveArray<UInt8Type>),
    U16(&'a PrimitiveArray<UInt16Type>),
    U32(&'a PrimitiveArray<UInt32Type>),
    U64(&'a PrimitiveArray<UInt64Type>),
}

impl Ints<'_> {
    fn of(a: &dyn Array) -> Option<Ints<'_>> {
        Some(match a.data_type() {
            DataType::Int8 => Ints::I8(a.as_primitive()),
            DataType::Int16 => Ints::I16(a.as_primitive()),
            DataType::Int32 => Ints::I32(a.as_primitive()),
            DataType::Int64 => Ints::I64(a.as_primitive()),
            DataType::UInt8 => Ints::U8(a.as_primitive()),
            DataType::UInt16 => Ints::U16(a.as_primitive()),
            DataType::UInt32 => Ints::U32(a.as_primitive()),
            DataType::UInt64 => Ints::U64(a.as_primitive()),
            _ => return None,
        })
    }

    #[inline]
    fn get(&self, i: usize) -> Option<i128> {
        fn at<T: arrow_array::ArrowPrimitiveType>(
            a: &PrimitiveArray<T>,
            i: usize,
        ) -> Option<T::Native>
        where
            T::Native: Into<i128>,
        {
            a.is_valid(i).then(|| a.value(i))
        }
        match self {
            Ints::I8(a) => at(a, i).map(Into::into),
            Ints::I16(a) => at(a, i).map(Into::into),
            Ints::I32(a) => at(a, i).map(Into::into),
            Ints::I64(a) => at(a, i).map(Into::into),
            Ints::U8(a) => at(a, i).map(Into::into),
            Ints::U16(a) => at(a, i).map(Into::into),
            Ints::U32(a) => at(a, i).map(Into::into),
            Ints::U64(a) => at(a, i).map(Into::into),
        }
    }
}

/// The `at` column: a timestamp with a time zone (its values and nulls, whatever the
/// unit), or RFC 3339 text.
enum At<'a> {
    Stamp(&'a [i64], Option<&'a NullBuffer>, TimeUnit),
    Text(Strs<'a>),
}

impl<'a> At<'a> {
    fn stamps(a: &'a ArrayRef, unit: TimeUnit) -> At<'a> {
        use arrow_array::types::{
            TimestampMicrosecondType as Us, TimestampMillisecondType as Ms,
            TimestampNanosecondType as Ns, TimestampSecondType as S,
        };
        let values: &[i64] = match unit {
            TimeUnit::Second => a.as_primitive::<S>().values(),
            TimeUnit::Millisecond => a.as_primitive::<Ms>().values(),
            TimeUnit::Microsecond => a.as_primitive::<Us>().values(),
            TimeUnit::Nanosecond => a.as_primitive::<Ns>().values(),
        };
        // A primitive array's nulls are its null buffer (no dictionary or run ends).
        At::Stamp(values, a.nulls(), unit)
    }

    fn get(&self, i: usize) -> Result<DateTime<Utc>, String> {
        match self {
            At::Stamp(values, nulls, unit) => {
                if nulls.is_some_and(|n| n.is_null(i)) {
                    return Err("at is null".into());
                }
                let v = values[i];
                let t = match unit {
                    TimeUnit::Second => DateTime::from_timestamp(v, 0),
                    TimeUnit::Millisecond => DateTime::from_timestamp_millis(v),
                    TimeUnit::Microsecond => DateTime::from_timestamp_micros(v),
                    TimeUnit::Nanosecond => Some(DateTime::from_timestamp_nanos(v)),
                };
                t.ok_or_else(|| format!("at {v} ({unit:?}) is out of range"))
            }
            At::Text(s) => {
                let s = s.get("at", i)?.ok_or("at is null")?;
                crate::parse_time(s)
                    .map_err(|_| format!("at `{s}` is not an RFC 3339 time or a YYYY-MM-DD date"))
            }
        }
    }
}

/// How many distinct unknown model names of one `quote_arrow` call get the message
/// `tariff.quote` gives, with its suggestions: finding the closest known ids compares the
/// name with every name in the catalog (about 250 µs on a release build, some 1,000 quotes),
/// so a table of a million distinct unknown names would take minutes. Past this many, an
/// unknown name's message says it is unknown and why it has no suggestions (see
/// [`Names::unknown`]); at most about a quarter of a second of a call goes to suggestions.
pub(crate) const SUGGESTED_NAMES: usize = 1_000;

/// How many distinct model names one call remembers the resolution of, each at most
/// [`CACHED_NAME_BYTES`] long: at most about 2.5 MB, whatever the table. A name past
/// either bound is resolved on each of its rows, as it would be without the cache.
const CACHED_NAMES: usize = 10_000;
const CACHED_NAME_BYTES: usize = 256;

/// The model names of one call, each resolved once rather than on every row it appears
/// on (a log repeats a few dozen names over millions of rows), and the message of each
/// unknown one.
struct Names<'c> {
    catalog: &'c RsCatalog,
    /// Each name as written (resolution ignores ASCII case, the message quotes the name
    /// as given) and its model, or `None` for an unknown name. A seeded hash: the names
    /// come from the table.
    resolved: HashMap<Box<str>, Option<&'c Model>, foldhash::fast::RandomState>,
    /// The message of each unknown name given suggestions, at most [`SUGGESTED_NAMES`].
    unknown: HashMap<Box<str>, String>,
}

impl<'c> Names<'c> {
    fn new(catalog: &'c RsCatalog) -> Self {
        Names {
            catalog,
            resolved: HashMap::default(),
            unknown: HashMap::new(),
        }
    }

    /// The model a name resolves to, or the row's error message.
    #[inline]
    fn model(&mut self, name: &str) -> Result<&'c Model, String> {
        let found = match self.resolved.get(name) {
            Some(m) => *m,
            None => {
                let m = self.catalog.resolve(name);
                if self.resolved.len() < CACHED_NAMES && name.len() <= CACHED_NAME_BYTES {
                    self.resolved.insert(name.into(), m);
                }
                m
            }
        };
        found.ok_or_else(|| self.unknown(name))
    }

    /// An unknown name's message: `tariff.quote`'s (with the closest known ids) for the
    /// first [`SUGGESTED_NAMES`] distinct unknown names of the call, each computed once;
    /// past them the name without suggestions, and the reason.
    #[cold]
    fn unknown(&mut self, name: &str) -> String {
        if let Some(m) = self.unknown.get(name) {
            return m.clone();
        }
        if self.unknown.len() >= SUGGESTED_NAMES {
            return format!(
                "unknown model `{name}` (no suggestions: over {SUGGESTED_NAMES} distinct \
                 unknown model names in this call)"
            );
        }
        let m = match self.catalog.model(name) {
            Err(e) => e.to_string(),
            // Not reached: only a name `resolve` did not find comes here, and `model` is
            // `resolve` or this error.
            Ok(m) => format!("model `{name}` resolved to `{}` on a second look", m.id()),
        };
        self.unknown.insert(name.into(), m.clone());
        m
    }
}

/// What one dictionary value of a batch's `model` column resolved to.
#[derive(Clone, Copy)]
enum Slot<'c> {
    /// No row of the batch has named it yet.
    Unseen,
    Known(&'c Model),
    Unknown,
}

/// The resolution of each dictionary value of a batch's dictionary-encoded `model` column,
/// by index: a row reads its key's slot instead of hashing its name. A slot is filled
/// through [`Names`] on the first row that uses it, in row order, so every row gets what a
/// plain column of the same names gets (the same first distinct unknown names get
/// suggestions; unused values are never resolved). Empty (each row resolved through
/// [`Names`] by name) for a plain column, or for a dictionary larger than the batch and
/// [`DICT_SLOTS`]: a slice of a dictionary column keeps the whole dictionary, and polars
/// exports its whole category mapping, so a small batch may carry a large one. The table
/// is thus at most 16 bytes a row (as the `cost` column), or 16 KiB.
fn slots<'c>(model: &Strs<'_>, rows: usize) -> Vec<Slot<'c>> {
    match model {
        Strs::Dict(_, values) if values.len() <= rows.max(DICT_SLOTS) => {
            vec![Slot::Unseen; values.len()]
        }
        _ => Vec::new(),
    }
}

/// The size of dictionary a batch always resolves by index, whatever its number of rows.
const DICT_SLOTS: usize = 1024;

/// The columns a row is priced from, each of its type resolved once per batch.
struct Columns<'a> {
    model: Strs<'a>,
    at: At<'a>,
    tier: Option<Strs<'a>>,
    region: Option<Strs<'a>>,
    /// Each bucket column present: the bucket's index in [`BUCKETS`], its name, its values.
    buckets: Vec<(usize, &'static str, Ints<'a>)>,
}

/// Prices one batch: the input's columns, then `cost`, `currency`, `error`.
fn price_batch<'c>(names: &mut Names<'c>, batch: &RecordBatch) -> Result<RecordBatch, String> {
    let schema = batch.schema();
    let col = |name: &str| schema.index_of(name).ok().map(|i| batch.column(i));
    for name in ["cost", "currency", "error"] {
        if col(name).is_some() {
            return Err(format!(
                "the input already has a `{name}` column, which the output adds"
            ));
        }
    }
    let model =
        Strs::of("model", col("model").ok_or("no `model` column")?).map_err(|e| e.to_string())?;
    let at_col =
        col("at").ok_or("no `at` column (a timestamp with a time zone, or RFC 3339 text)")?;
    let at = match at_col.data_type() {
        DataType::Timestamp(unit, Some(_)) => At::stamps(at_col, *unit),
        DataType::Timestamp(_, None) => {
            return Err(
                "column `at` is a timestamp without a time zone, which is ambiguous; give it one (e.g. UTC)"
                    .into(),
            )
        }
        _ => At::Text(Strs::of("at", at_col).map_err(|e| e.to_string())?),
    };
    let tier = col("service_tier")
        .map(|a| Strs::of("service_tier", a))
        .transpose()
        .map_err(|e| e.to_string())?;
    let region = col("region")
        .map(|a| Strs::of("region", a))
        .transpose()
        .map_err(|e| e.to_string())?;
    let mut buckets = Vec::new();
    for (i, name) in BUCKETS.iter().enumerate() {
        if let Some(a) = col(name) {
            let ints = Ints::of(a.as_ref()).ok_or_else(|| {
                format!(
                    "column `{name}` is {}, not an integer column",
                    a.data_type()
                )
            })?;
            buckets.push((i, *name, ints));
        }
    }
    // A bucket column misspelled would be passed through and priced as zero: refuse it.
    for f in schema.fields() {
        let n = f.name();
        if n.ends_with("_tokens") && !BUCKETS.contains(&n.as_str()) && n != "total_tokens" {
            return Err(format!(
                "column `{n}` is not a usage bucket; buckets: {}",
                BUCKETS.join(", ")
            ));
        }
    }
    let cols = Columns {
        model,
        at,
        tier,
        region,
        buckets,
    };
    let rows = batch.num_rows();
    let mut slots = slots(&cols.model, rows);
    let mut cost = Decimal128Builder::with_capacity(rows);
    let mut currency = StringBuilder::with_capacity(rows, rows * 3);
    // The rows that failed, in order: the `error` column is built from them at the end, so
    // that a batch of priced rows writes no per-row entry for it.
    let mut errors: Vec<(usize, String)> = Vec::new();
    for i in 0..rows {
        match price_row(names, &mut slots, &cols, i) {
            Ok((c, ccy)) => {
                cost.append_value(c);
                currency.append_value(ccy.as_str());
            }
            Err(e) => {
                cost.append_null();
                currency.append_null();
                errors.push((i, e));
            }
        }
    }
    let error: ArrayRef = if errors.is_empty() {
        new_null_array(&DataType::Utf8, rows)
    } else {
        let bytes = errors.iter().map(|(_, e)| e.len()).sum();
        let mut error = StringBuilder::with_capacity(rows, bytes);
        let mut next = 0;
        for (i, e) in &errors {
            error.append_nulls(i - next);
            error.append_value(e);
            next = i + 1;
        }
        error.append_nulls(rows - next);
        Arc::new(error.finish())
    };
    let cost = cost
        .finish()
        .with_precision_and_scale(38, SCALE as i8)
        .map_err(|e| e.to_string())?;
    let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
    fields.push(Arc::new(Field::new(
        "cost",
        DataType::Decimal128(38, SCALE as i8),
        true,
    )));
    fields.push(Arc::new(Field::new("currency", DataType::Utf8, true)));
    fields.push(Arc::new(Field::new("error", DataType::Utf8, true)));
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns.push(Arc::new(cost));
    columns.push(Arc::new(currency.finish()));
    columns.push(error);
    RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
    )
    .map_err(|e| e.to_string())
}

/// Row `i` of an optional string column `name`: `None` when the column is absent or the
/// row null.
#[inline]
fn optional<'a>(
    col: &'a Option<Strs<'_>>,
    name: &str,
    i: usize,
) -> Result<Option<&'a str>, String> {
    col.as_ref().map_or(Ok(None), |c| c.get(name, i))
}

/// Prices row `i`. Its checks run in `tariff.quote`'s order (model, time, counts, tier,
/// then the model's resolution and the price), so a row with two faults reports the one
/// `quote` would.
#[inline]
fn price_row<'c>(
    names: &mut Names<'c>,
    slots: &mut [Slot<'c>],
    cols: &Columns<'_>,
    i: usize,
) -> Result<(i128, Currency), String> {
    // The name, and its dictionary index when the batch resolves the model by index.
    let (name, key) = match &cols.model {
        Strs::Dict(keys, values) if !slots.is_empty() => {
            let k = Strs::key(keys, values, "model", i)?.ok_or("model is null")?;
            (values.get(k).ok_or("model is null")?, Some(k))
        }
        model => (model.get("model", i)?.ok_or("model is null")?, None),
    };
    let mut usage = Usage {
        at: Some(cols.at.get(i)?),
        ..Usage::default()
    };
    for (b, bucket, a) in &cols.buckets {
        let Some(v) = a.get(i) else { continue };
        let n = u64::try_from(v).map_err(|_| format!("{bucket} is {v}, not a count"))?;
        set_bucket(&mut usage, *b, n)
            .ok_or_else(|| format!("{bucket} is {n}, above {}", tariff::MAX_COUNT))?;
    }
    if let Some(t) = optional(&cols.tier, "service_tier", i)? {
        usage.service_tier = Some(ServiceTier::parse(t).ok_or_else(|| {
            format!("service_tier `{t}` is not one of standard, batch, flex, priority")
        })?);
    }
    if let Some(r) = optional(&cols.region, "region", i)? {
        usage.region = Some(r.to_string());
    }
    let model = match key.map(|k| (k, slots[k])) {
        None => names.model(name)?,
        Some((_, Slot::Known(m))) => m,
        Some((_, Slot::Unknown)) => return Err(names.unknown(name)),
        Some((k, Slot::Unseen)) => {
            let m = names.model(name);
            slots[k] = m.as_ref().map_or(Slot::Unknown, |m| Slot::Known(m));
            m?
        }
    };
    // Read in place: the bill (its lines held inline) is not moved out of the result.
    // The fields, not the serde form: this is the per-row hot path.
    match &tariff::price::quote(model, &usage) {
        Ok(bill) => Ok((scaled(bill.total())?, bill.currency())),
        Err(e) => Err(e.to_string()),
    }
}

/// The decimal as an i128 at [`SCALE`] places, exactly (or an error, never a rounding).
/// At most [`SCALE`] places, the mantissa times a power of ten is the value, normalized or
/// not (the same number, so the same overflow); only more places need the trailing zeros
/// stripped first.
fn scaled(d: Decimal) -> Result<i128, String> {
    let d = if d.scale() > SCALE { d.normalize() } else { d };
    if d.scale() > SCALE {
        return Err(format!("cost {d} has more than {SCALE} decimal places"));
    }
    10i128
        .checked_pow(SCALE - d.scale())
        .and_then(|f| d.mantissa().checked_mul(f))
        .ok_or_else(|| {
            format!(
                "cost {} does not fit decimal128(38, {SCALE})",
                d.normalize()
            )
        })
}

fn arrow_err(e: ArrowError) -> PyErr {
    TariffError::new_err(format!("reading the Arrow data: {e}"))
}

/// Reads the batches of any object speaking the Arrow PyCapsule protocol.
fn import(data: &Bound<'_, PyAny>) -> PyResult<(Arc<Schema>, Vec<RecordBatch>, bool)> {
    if data.hasattr("__arrow_c_stream__")? && !data.hasattr("__arrow_c_array__")? {
        let cap = data.call_method0("__arrow_c_stream__")?;
        let cap = cap.downcast::<PyCapsule>()?;
        let ptr = cap.pointer() as *mut FFI_ArrowArrayStream;
        // SAFETY: the protocol's stream capsule holds an ArrowArrayStream; `from_raw`
        // moves it out and leaves a released stream behind for the capsule to drop.
        let reader = unsafe { RecordBatchStreamReader::from_raw(ptr) }.map_err(arrow_err)?;
        let schema = reader.schema();
        let batches = reader.collect::<Result<Vec<_>, _>>().map_err(arrow_err)?;
        return Ok((schema, batches, true));
    }
    if data.hasattr("__arrow_c_array__")? {
        let pair = data.call_method0("__arrow_c_array__")?;
        let pair = pair.downcast::<PyTuple>()?;
        let schema_cap = pair.get_item(0)?;
        let schema_cap = schema_cap.downcast::<PyCapsule>()?;
        let array_cap = pair.get_item(1)?;
        let array_cap = array_cap.downcast::<PyCapsule>()?;
        // SAFETY: the protocol's capsules hold an ArrowSchema and an ArrowArray; the schema
        // is borrowed, the array moved out (its release callback keeps the producer's
        // buffers alive for as long as the arrays built on them).
        let data = unsafe {
            let schema = &*(schema_cap.pointer() as *const FFI_ArrowSchema);
            let array = FFI_ArrowArray::from_raw(array_cap.pointer() as *mut FFI_ArrowArray);
            from_ffi(array, schema)
        }
        .map_err(arrow_err)?;
        if !matches!(data.data_type(), DataType::Struct(_)) {
            return Err(usage_err(
                "quote_arrow takes a table or record batch, not a single array",
            ));
        }
        let batch = RecordBatch::from(StructArray::from(data));
        return Ok((batch.schema(), vec![batch], false));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "quote_arrow takes a pyarrow Table or RecordBatch (any object with __arrow_c_stream__ \
         or __arrow_c_array__), not {}",
        data.get_type().name()?
    )))
}

/// The priced batches, handed back through the stream capsule protocol.
#[pyclass(module = "tariff")]
struct ArrowOut {
    batches: Option<(Arc<Schema>, Vec<RecordBatch>)>,
}

#[pymethods]
impl ArrowOut {
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &mut self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let (schema, batches) = self
            .batches
            .take()
            .ok_or_else(|| TariffError::new_err("the stream was already read"))?;
        let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        let name = CString::new("arrow_array_stream").expect("no NUL inside");
        PyCapsule::new(py, stream, Some(name))
    }
}

/// Prices every row of a table; see the package documentation.
#[pyfunction]
#[pyo3(signature = (data, *, catalog=None))]
pub fn quote_arrow<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    catalog: Option<PyRef<'py, crate::Catalog>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (schema, batches, is_table) = import(data)?;
    let cat: &RsCatalog = match &catalog {
        Some(c) => c.get(),
        None => RsCatalog::builtin(),
    };
    let mut names = Names::new(cat);
    let out = py.allow_threads(|| -> Result<Vec<RecordBatch>, String> {
        batches.iter().map(|b| price_batch(&mut names, b)).collect()
    });
    let out = out.map_err(usage_err)?;
    let out_schema = match out.first() {
        Some(b) => b.schema(),
        // No batches: price an empty one for the schema (and its checks).
        None => price_batch(&mut names, &RecordBatch::new_empty(schema))
            .map_err(usage_err)?
            .schema(),
    };
    let pa = py.import("pyarrow")?;
    let stream = Bound::new(
        py,
        ArrowOut {
            batches: Some((out_schema, out)),
        },
    )?;
    let table = pa
        .getattr("RecordBatchReader")?
        .call_method1("from_stream", (stream,))?
        .call_method0("read_all")?;
    if is_table {
        Ok(table)
    } else {
        // A record batch in, one record batch out.
        let batches = table
            .call_method0("combine_chunks")?
            .call_method0("to_batches")?;
        if batches.len()? == 0 {
            return pa
                .getattr("RecordBatch")?
                .call_method1("from_pylist", (Vec::<i32>::new(), table.getattr("schema")?));
        }
        batches.get_item(0)
    }
}
