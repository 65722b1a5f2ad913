//! Aggregation and reports: exact sums, per-group tables, the summary.
//!
//! Sums are exact whatever the order rows are added in: [`ExactSum`] keeps an integer
//! mantissa at the largest scale seen, so the totals of a run are the same on one thread
//! or many (a `Decimal` sum may round once its 96-bit mantissa fills up, and where that
//! happens depends on the order).

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use super::{
    Class, Cost, Denom, Dim, LogRow, Priced, RejectKind, Rejection, RelayCheck, RelayClass,
};

/// An exact sum of decimals: the integer parts in one `i128`, the fractional parts in
/// another at scale 28 (the finest a `Decimal` has), carried over as they fill.
///
/// Any order of adding gives the same sum, and any mix of magnitudes and scales stays
/// exact: a `Decimal` is under 2^96 and its fraction under 1, so the integer part overflows
/// only after some two billion rows at the decimal type's largest value (the sum then
/// reports `overflow`, never a rounded number).
///
/// ```
/// use tariff_operations::reconcile::ExactSum;
/// let mut s = ExactSum::default();
/// for x in ["0.1", "0.000000000000000000000000001", "-0.1", "79228162514264337593543950335"] {
///     s.add(x.parse().unwrap());
/// }
/// assert_eq!(s.to_string(), "79228162514264337593543950335.000000000000000000000000001");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExactSum {
    /// The integer part.
    int: i128,
    /// The fraction, in units of 10^-28: |frac| < 10^28, and of the sign of `int` unless
    /// `int` is zero (so each value has one representation).
    frac: i128,
    overflow: bool,
}

/// 10^28, one in the units of [`ExactSum`]'s fraction.
const ONE: i128 = 10_000_000_000_000_000_000_000_000_000;

fn pow10(k: u32) -> Option<i128> {
    10i128.checked_pow(k)
}

impl ExactSum {
    /// Adds a decimal, exactly.
    pub fn add(&mut self, d: Decimal) {
        // A decimal's scale is at most 28, its mantissa under 2^96: the split cannot fail.
        let (m, s) = (d.mantissa(), d.scale().min(28));
        let p = pow10(s).expect("10^28 fits");
        let frac = (m % p) * pow10(28 - s).expect("10^28 fits");
        self.add_parts(m / p, frac);
    }

    fn add_parts(&mut self, int: i128, frac: i128) {
        if self.overflow {
            return;
        }
        // Both fractions are under 10^28 in magnitude, so their sum fits.
        let frac = self.frac + frac;
        let sum = self
            .int
            .checked_add(int)
            .and_then(|i| i.checked_add(frac / ONE));
        let Some(mut int) = sum else {
            self.overflow = true;
            return;
        };
        let mut frac = frac % ONE;
        if int > 0 && frac < 0 {
            int -= 1;
            frac += ONE;
        } else if int < 0 && frac > 0 {
            int += 1;
            frac -= ONE;
        }
        self.int = int;
        self.frac = frac;
    }

    /// Adds another sum, exactly.
    pub fn merge(&mut self, o: &ExactSum) {
        if o.overflow {
            self.overflow = true;
        } else {
            self.add_parts(o.int, o.frac);
        }
    }

    /// Whether the sum outgrew 128 bits of integer part (it is then reported as an
    /// overflow, never rounded).
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// The fraction's digits without trailing zeros, and how many there are.
    fn fraction(&self) -> (i128, u32) {
        let (mut f, mut s) = (self.frac.abs(), 28);
        while s > 0 && f % 10 == 0 {
            f /= 10;
            s -= 1;
        }
        (f, s)
    }

    /// The sum as a `Decimal`, when it fits in one.
    pub fn to_decimal(&self) -> Option<Decimal> {
        if self.overflow {
            return None;
        }
        let (f, s) = self.fraction();
        let sign = if self.int < 0 || self.frac < 0 { -1 } else { 1 };
        let m = self
            .int
            .checked_abs()?
            .checked_mul(pow10(s)?)?
            .checked_add(f)?
            .checked_mul(sign)?;
        Decimal::try_from_i128_with_scale(m, s).ok()
    }

    /// Changes the sign (exact: both parts are far from `i128::MIN`).
    pub fn negate(&mut self) {
        self.int = -self.int;
        self.frac = -self.frac;
    }

    /// Whether the sum is below zero.
    pub fn is_negative(&self) -> bool {
        !self.overflow && (self.int < 0 || self.frac < 0)
    }

    /// Whether the sum is zero.
    pub fn is_zero(&self) -> bool {
        !self.overflow && self.int == 0 && self.frac == 0
    }
}

impl fmt::Display for ExactSum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.overflow {
            return f.write_str("overflow");
        }
        let sign = if self.int < 0 || self.frac < 0 {
            "-"
        } else {
            ""
        };
        let int = self.int.unsigned_abs();
        let (frac, s) = self.fraction();
        if s == 0 {
            write!(f, "{sign}{int}")
        } else {
            write!(f, "{sign}{int}.{frac:0width$}", width = s as usize)
        }
    }
}

impl Serialize for ExactSum {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Totals of a set of rows in one denomination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Rows priced.
    pub rows: u64,
    /// Rows that carried a charge to compare with.
    pub compared: u64,
    /// Sum of the charges.
    pub charged: ExactSum,
    /// Sum of the expected amounts of the rows that carried a charge.
    pub expected: ExactSum,
    /// Sum of the expected amounts of the rows without a charge.
    pub uncharged_expected: ExactSum,
    /// Sum of `charged - expected`.
    pub difference: ExactSum,
    /// Per class: rows and the sum of their differences.
    pub classes: [(u64, ExactSum); Class::ALL.len()],
    /// new-api rows checked against the relay's own rules, per [`RelayClass`].
    pub relay: [u64; RelayClass::ALL.len()],
    /// What rows were charged and what they cost upstream, in US dollars.
    pub margin: Margin,
}

/// Charged against upstream cost, in US dollars, over the rows that have both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Margin {
    /// Rows summed.
    pub rows: u64,
    /// What they were charged.
    pub charged: ExactSum,
    /// What they cost at the vendor's list price.
    pub upstream: ExactSum,
}

impl Margin {
    pub(crate) fn add(&mut self, c: &Cost) {
        self.rows += 1;
        self.charged.add(c.charged);
        self.upstream.add(c.upstream);
    }

    pub(crate) fn merge(&mut self, o: &Margin) {
        self.rows += o.rows;
        self.charged.merge(&o.charged);
        self.upstream.merge(&o.upstream);
    }

    /// `charged - upstream`, exactly.
    pub fn margin(&self) -> ExactSum {
        let mut m = self.charged;
        let mut neg = self.upstream;
        neg.negate();
        m.merge(&neg);
        m
    }
}

impl Serialize for Margin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Margin", 5)?;
        st.serialize_field("currency", "USD")?;
        st.serialize_field("rows", &self.rows)?;
        st.serialize_field("charged", &self.charged)?;
        st.serialize_field("upstream", &self.upstream)?;
        st.serialize_field("margin", &self.margin())?;
        st.end()
    }
}

impl Totals {
    pub(crate) fn add(&mut self, p: &Priced) {
        self.rows += 1;
        let (n, diff) = &mut self.classes[p.class as usize];
        *n += 1;
        match p.charged {
            Some(c) => {
                self.compared += 1;
                self.charged.add(c);
                self.expected.add(p.expected);
                let d = c - p.expected;
                self.difference.add(d);
                diff.add(d);
            }
            None => self.uncharged_expected.add(p.expected),
        }
        if let Some(r) = &p.relay {
            self.relay[r.class as usize] += 1;
        }
        if let Some(c) = &p.cost {
            self.margin.add(c);
        }
    }

    pub(crate) fn merge(&mut self, o: &Totals) {
        self.rows += o.rows;
        self.compared += o.compared;
        self.charged.merge(&o.charged);
        self.expected.merge(&o.expected);
        self.uncharged_expected.merge(&o.uncharged_expected);
        self.difference.merge(&o.difference);
        for (a, b) in self.classes.iter_mut().zip(&o.classes) {
            a.0 += b.0;
            a.1.merge(&b.1);
        }
        for (a, b) in self.relay.iter_mut().zip(&o.relay) {
            *a += b;
        }
        self.margin.merge(&o.margin);
    }

    /// Rows whose charge differs from the expected amount (rounding included).
    pub fn differing(&self) -> u64 {
        Class::ALL
            .iter()
            .filter(|c| c.differs())
            .map(|c| self.classes[*c as usize].0)
            .sum()
    }
}

impl Serialize for Totals {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Classes<'a>(&'a [(u64, ExactSum); Class::ALL.len()]);
        impl Serialize for Classes<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                for c in Class::ALL {
                    let (n, d) = &self.0[c as usize];
                    if *n > 0 {
                        m.serialize_entry(
                            c.name(),
                            &serde_json::json!({"rows": n, "difference": d.to_string()}),
                        )?;
                    }
                }
                m.end()
            }
        }
        let mut st = s.serialize_struct("Totals", 9)?;
        st.serialize_field("rows", &self.rows)?;
        st.serialize_field("compared", &self.compared)?;
        st.serialize_field("charged", &self.charged)?;
        st.serialize_field("expected", &self.expected)?;
        st.serialize_field("difference", &self.difference)?;
        st.serialize_field("uncharged_expected", &self.uncharged_expected)?;
        st.serialize_field("classes", &Classes(&self.classes))?;
        if self.relay.iter().any(|n| *n > 0) {
            let relay: BTreeMap<&str, u64> = RelayClass::ALL
                .iter()
                .map(|c| (c.name(), self.relay[*c as usize]))
                .collect();
            st.serialize_field("relay", &relay)?;
        }
        if self.margin.rows > 0 {
            st.serialize_field("margin", &self.margin)?;
        }
        st.end()
    }
}

/// One of the largest differences, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopDiff {
    /// The file.
    pub file: Arc<str>,
    #[serde(skip)]
    pub(crate) file_index: usize,
    /// The line (1-based) the record starts on.
    pub line: u64,
    /// The request id, when the row has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The model priced (canonical id).
    pub model: Arc<str>,
    /// The denomination of the amounts.
    pub unit: Denom,
    /// What was charged.
    pub charged: Decimal,
    /// What the tables say.
    pub expected: Decimal,
    /// `charged - expected`.
    pub difference: Decimal,
    /// The class of the difference.
    pub class: Class,
    /// What the matching hypothesis was, when one matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl TopDiff {
    fn order(&self, o: &Self) -> std::cmp::Ordering {
        o.difference
            .abs()
            .cmp(&self.difference.abs())
            .then(self.file_index.cmp(&o.file_index))
            .then(self.line.cmp(&o.line))
    }
}

/// A new-api row that did not follow the relay's own rules (or could not be checked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RelayIssue {
    /// The file.
    pub file: Arc<str>,
    /// The line (1-based) the record starts on.
    pub line: u64,
    /// The request id (new-api's log id), when the row has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The model as logged.
    pub model: String,
    /// The quota charged.
    pub charged: Decimal,
    /// The quota the logged ratios give, when computable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<Decimal>,
    /// The class.
    pub class: RelayClass,
    /// Why.
    pub reason: String,
}

/// How many rows that did not follow the relay's rules a report keeps (in file order).
pub const RELAY_ISSUES: usize = 100;

/// Per-file counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileSummary {
    /// The file's name as given.
    pub name: String,
    /// Records read (blank lines excluded).
    pub rows: u64,
    /// Records priced.
    pub priced: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Blank lines (not records).
    pub blank_lines: u64,
}

/// Key of one group: the values of the chosen dimensions, and the denomination.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    /// One value per dimension, in the order asked for.
    pub values: Vec<String>,
    /// The denomination of the group's amounts.
    pub unit: Denom,
}

/// The result of a reconciliation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The dimensions the groups are keyed by.
    pub by: Vec<Dim>,
    /// Per-file counts, in the order read.
    pub files: Vec<FileSummary>,
    /// Records read (`priced + rejected`).
    pub rows_read: u64,
    /// Records priced.
    pub priced: u64,
    /// Records rejected (each one reported with its line and reason).
    pub rejected: u64,
    /// Blank lines (not records).
    pub blank_lines: u64,
    /// Rejected records by kind.
    pub rejects_by_kind: BTreeMap<RejectKind, u64>,
    /// Totals per denomination.
    pub totals: BTreeMap<Denom, Totals>,
    /// Totals per group.
    pub groups: BTreeMap<GroupKey, Totals>,
    /// The largest differences, largest first (ties: file and line order).
    pub top: Vec<TopDiff>,
    /// The first rejected records (all of them go to the rejects sink).
    pub first_rejects: Vec<Rejection>,
    /// The first [`RELAY_ISSUES`] new-api rows classed `ratio_mismatch` or `unexplained`
    /// by the relay's own rules, in file order (rows the tables could not price included).
    pub relay_issues: Vec<RelayIssue>,
    /// new-api rows the tables could not price (rejected: unknown model, no price in force,
    /// unpriced usage, another currency) but still checked against the relay's own rules,
    /// per [`RelayClass`]. Priced rows are counted in their [`Totals::relay`].
    pub relay_unpriced: [u64; RelayClass::ALL.len()],
    /// With [`super::Options::margin`]: the margin per model (canonical id).
    pub margin_by_model: BTreeMap<String, Margin>,
    /// With [`super::Options::margin`]: the margin per UTC day (`YYYY-MM-DD`).
    pub margin_by_day: BTreeMap<String, Margin>,
    /// With [`super::Options::margin`]: the margin per relay channel (rows that log one).
    pub margin_by_channel: BTreeMap<String, Margin>,
}

/// How many of the largest differences a report keeps.
pub const TOP: usize = 10;
/// How many rejected records a report keeps for display.
pub const FIRST_REJECTS: usize = 10;

/// What one chunk of records adds to a report.
#[derive(Default)]
pub(crate) struct ChunkResult {
    pub rows: u64,
    pub priced: u64,
    pub blank: u64,
    pub rejects: Vec<Rejection>,
    groups: HashMap<String, (Denom, Totals)>,
    totals: HashMap<Denom, Totals>,
    top: Vec<TopDiff>,
    key: String,
    relay_issues: Vec<RelayIssue>,
    relay_unpriced: [u64; RelayClass::ALL.len()],
    pub(crate) margin: bool,
    by_model: HashMap<Arc<str>, Margin>,
    by_day: HashMap<String, Margin>,
    by_channel: HashMap<String, Margin>,
}

/// `YYYY-MM-DD` (or `YYYY-MM`) without the general formatter, which costs more than the
/// rest of the row's aggregation.
fn push_date(out: &mut String, at: chrono::DateTime<chrono::Utc>, with_day: bool) {
    use chrono::Datelike;
    let d = at.date_naive();
    let digits = |out: &mut String, n: u32, width: usize| {
        let mut buf = [b'0'; 10];
        let mut i = buf.len();
        let mut n = n;
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let start = i.min(buf.len() - width);
        out.push_str(std::str::from_utf8(&buf[start..]).expect("ASCII digits"));
    };
    match u32::try_from(d.year()) {
        Ok(y) if y < 10_000 => digits(out, y, 4),
        _ => {
            let _ = write!(out, "{}", d.year());
        }
    }
    out.push('-');
    digits(out, d.month(), 2);
    if with_day {
        out.push('-');
        digits(out, d.day(), 2);
    }
}

impl ChunkResult {
    pub(crate) fn add(
        &mut self,
        by: &[Dim],
        file: &Arc<str>,
        file_index: usize,
        line: u64,
        row: &LogRow<'_>,
        p: Priced,
    ) {
        self.rows += 1;
        self.priced += 1;
        self.key.clear();
        for (i, d) in by.iter().enumerate() {
            if i > 0 {
                self.key.push('\u{1f}');
            }
            match d {
                Dim::Model => self.key.push_str(&p.model),
                Dim::Provider => self.key.push_str(&p.provider),
                Dim::User => self.key.push_str(row.user.as_deref().unwrap_or("-")),
                Dim::Group => self.key.push_str(row.group.as_deref().unwrap_or("-")),
                Dim::Channel => self.key.push_str(row.channel.as_deref().unwrap_or("-")),
                Dim::Day => push_date(&mut self.key, row.at, true),
                Dim::Month => push_date(&mut self.key, row.at, false),
                Dim::Class => self.key.push_str(p.class.name()),
            }
        }
        let _ = write!(self.key, "\u{1e}{}", p.denom);
        match self.groups.get_mut(self.key.as_str()) {
            Some((_, t)) => t.add(&p),
            None => {
                let mut t = Totals::default();
                t.add(&p);
                self.groups.insert(self.key.clone(), (p.denom, t));
            }
        }
        self.totals.entry(p.denom).or_default().add(&p);
        if let (Some(r), Some(charged)) = (&p.relay, p.charged) {
            self.relay_issue(file, line, row, r, charged);
        }
        if let (true, Some(c)) = (self.margin, &p.cost) {
            self.by_model.entry(p.model.clone()).or_default().add(c);
            let mut day = String::with_capacity(10);
            push_date(&mut day, row.at, true);
            self.by_day.entry(day).or_default().add(c);
            if let Some(ch) = &row.channel {
                match self.by_channel.get_mut(ch.as_ref()) {
                    Some(m) => m.add(c),
                    None => {
                        let mut m = Margin::default();
                        m.add(c);
                        self.by_channel.insert(ch.to_string(), m);
                    }
                }
            }
        }
        if p.class.differs() {
            if let Some(charged) = p.charged {
                self.top.push(TopDiff {
                    file: file.clone(),
                    file_index,
                    line,
                    request_id: row.request_id.as_deref().map(str::to_string),
                    model: p.model,
                    unit: p.denom,
                    charged,
                    expected: p.expected,
                    difference: charged - p.expected,
                    class: p.class,
                    hint: p.hint,
                });
                if self.top.len() >= 4 * TOP {
                    self.trim_top();
                }
            }
        }
    }

    /// Keeps a row that did not follow the relay's rules, up to [`RELAY_ISSUES`].
    fn relay_issue(
        &mut self,
        file: &Arc<str>,
        line: u64,
        row: &LogRow<'_>,
        r: &RelayCheck,
        charged: Decimal,
    ) {
        if matches!(r.class, RelayClass::RatioMismatch | RelayClass::Unexplained)
            && self.relay_issues.len() < RELAY_ISSUES
        {
            self.relay_issues.push(RelayIssue {
                file: file.clone(),
                line,
                request_id: row.request_id.as_deref().map(str::to_string),
                model: row.model.to_string(),
                charged,
                quota: r.quota,
                class: r.class,
                reason: r.reason.clone().unwrap_or_default(),
            });
        }
    }

    /// Counts the relay check of a row the tables could not price (the row itself is
    /// rejected separately).
    pub(crate) fn relay_unpriced(
        &mut self,
        file: &Arc<str>,
        line: u64,
        row: &LogRow<'_>,
        r: RelayCheck,
    ) {
        self.relay_unpriced[r.class as usize] += 1;
        if let Some(c) = &row.charge {
            self.relay_issue(file, line, row, &r, c.amount);
        }
    }

    pub(crate) fn reject(&mut self, r: Rejection) {
        self.rows += 1;
        self.rejects.push(r);
    }

    fn trim_top(&mut self) {
        self.top.sort_by(TopDiff::order);
        self.top.truncate(TOP);
    }
}

impl Report {
    /// Adds a chunk's results, in chunk order.
    pub(crate) fn merge_chunk(&mut self, mut c: ChunkResult, file: &mut FileSummary) {
        let rejected = c.rejects.len() as u64;
        self.rows_read += c.rows;
        self.priced += c.priced;
        self.rejected += rejected;
        self.blank_lines += c.blank;
        file.rows += c.rows;
        file.priced += c.priced;
        file.rejected += rejected;
        file.blank_lines += c.blank;
        for r in &c.rejects {
            *self.rejects_by_kind.entry(r.kind).or_default() += 1;
        }
        let room = FIRST_REJECTS.saturating_sub(self.first_rejects.len());
        self.first_rejects
            .extend(c.rejects.iter().take(room).cloned());
        for (k, (unit, t)) in std::mem::take(&mut c.groups) {
            let values = match k.rsplit_once('\u{1e}') {
                Some(("", _)) if self.by.is_empty() => Vec::new(),
                Some((v, _)) => v.split('\u{1f}').map(str::to_string).collect(),
                None => Vec::new(),
            };
            self.groups
                .entry(GroupKey { values, unit })
                .or_default()
                .merge(&t);
        }
        for (d, t) in std::mem::take(&mut c.totals) {
            self.totals.entry(d).or_default().merge(&t);
        }
        let room = RELAY_ISSUES.saturating_sub(self.relay_issues.len());
        self.relay_issues
            .extend(c.relay_issues.drain(..).take(room));
        for (a, b) in self.relay_unpriced.iter_mut().zip(&c.relay_unpriced) {
            *a += b;
        }
        for (m, t) in c.by_model.drain() {
            self.margin_by_model
                .entry(m.to_string())
                .or_default()
                .merge(&t);
        }
        for (d, t) in c.by_day.drain() {
            self.margin_by_day.entry(d).or_default().merge(&t);
        }
        for (ch, t) in c.by_channel.drain() {
            self.margin_by_channel.entry(ch).or_default().merge(&t);
        }
        c.trim_top();
        self.top.append(&mut c.top);
        self.top.sort_by(TopDiff::order);
        self.top.truncate(TOP);
    }

    /// The summary as text: counts, totals per denomination, differences by class, the
    /// rejects by kind and the largest differences.
    pub fn summary_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "rows read {}  priced {}  rejected {}{}",
            self.rows_read,
            self.priced,
            self.rejected,
            if self.blank_lines > 0 {
                format!("  (blank lines {})", self.blank_lines)
            } else {
                String::new()
            }
        );
        for f in &self.files {
            if self.files.len() > 1 {
                let _ = writeln!(
                    o,
                    "  {}: rows {}  priced {}  rejected {}",
                    f.name, f.rows, f.priced, f.rejected
                );
            }
        }
        for (d, t) in &self.totals {
            let _ = writeln!(
                o,
                "\n{d}: {} rows priced, {} with a charge",
                t.rows, t.compared
            );
            let _ = writeln!(o, "  charged     {}", t.charged);
            let _ = writeln!(o, "  expected    {}", t.expected);
            let _ = writeln!(o, "  difference  {}", t.difference);
            if !t.uncharged_expected.is_zero() {
                let _ = writeln!(
                    o,
                    "  expected for rows without a charge  {}",
                    t.uncharged_expected
                );
            }
            let _ = writeln!(o, "  {:<22} {:>10}  difference", "class", "rows");
            for c in Class::ALL {
                let (n, diff) = &t.classes[c as usize];
                if *n > 0 {
                    let _ = writeln!(o, "  {:<22} {:>10}  {}", c.name(), n, diff);
                }
            }
        }
        if !self.rejects_by_kind.is_empty() {
            let _ = writeln!(o, "\nrejected by kind");
            for (k, n) in &self.rejects_by_kind {
                let _ = writeln!(o, "  {:<22} {:>10}", k.name(), n);
            }
        }
        if !self.top.is_empty() {
            let _ = writeln!(o, "\nlargest differences");
            for t in &self.top {
                let _ = writeln!(
                    o,
                    "  {}:{}{} {} charged {} expected {} ({} {}){}",
                    t.file,
                    t.line,
                    t.request_id
                        .as_deref()
                        .map(|r| format!(" [{r}]"))
                        .unwrap_or_default(),
                    t.model,
                    t.charged,
                    t.expected,
                    t.unit,
                    t.class.name(),
                    t.hint
                        .as_deref()
                        .map(|h| format!(": {h}"))
                        .unwrap_or_default()
                );
            }
        }
        o
    }

    fn group_header(&self) -> Vec<String> {
        let mut h: Vec<String> = self.by.iter().map(|d| d.name().to_string()).collect();
        for c in [
            "unit",
            "rows",
            "compared",
            "charged",
            "expected",
            "difference",
            "differing",
        ] {
            h.push(c.to_string());
        }
        h.extend(Class::ALL.iter().map(|c| c.name().to_string()));
        h
    }

    fn group_cells(&self, k: &GroupKey, t: &Totals) -> Vec<String> {
        let mut r = k.values.clone();
        r.push(k.unit.to_string());
        r.push(t.rows.to_string());
        r.push(t.compared.to_string());
        r.push(t.charged.to_string());
        r.push(t.expected.to_string());
        r.push(t.difference.to_string());
        r.push(t.differing().to_string());
        r.extend(
            Class::ALL
                .iter()
                .map(|c| t.classes[*c as usize].0.to_string()),
        );
        r
    }

    /// The per-group table as text, columns aligned.
    pub fn groups_text(&self) -> String {
        let mut rows = vec![self.group_header()];
        rows.extend(self.groups.iter().map(|(k, t)| self.group_cells(k, t)));
        let cols = rows[0].len();
        let widths: Vec<usize> = (0..cols)
            .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
            .collect();
        let mut o = String::new();
        for r in &rows {
            let line: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
                .collect();
            let _ = writeln!(o, "{}", line.join("  ").trim_end());
        }
        o
    }

    /// The per-group table as CSV.
    pub fn groups_csv(&self) -> String {
        let mut o = String::new();
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .map(|c| super::csv::quote(c).into_owned())
                .collect::<Vec<_>>()
                .join(",")
        };
        let _ = writeln!(o, "{}", line(self.group_header()));
        for (k, t) in &self.groups {
            let _ = writeln!(o, "{}", line(self.group_cells(k, t)));
        }
        o
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Groups<'a>(&'a Report);
        impl Serialize for Groups<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(self.0.groups.len()))?;
                for (k, t) in &self.0.groups {
                    let mut v = serde_json::to_value(t).map_err(serde::ser::Error::custom)?;
                    let obj = v.as_object_mut().expect("totals serialize as an object");
                    for (d, val) in self.0.by.iter().zip(&k.values) {
                        obj.insert(d.name().to_string(), val.clone().into());
                    }
                    obj.insert("unit".to_string(), k.unit.to_string().into());
                    seq.serialize_element(&v)?;
                }
                seq.end()
            }
        }
        let totals: BTreeMap<String, &Totals> = self
            .totals
            .iter()
            .map(|(d, t)| (d.to_string(), t))
            .collect();
        let kinds: BTreeMap<&str, u64> = self
            .rejects_by_kind
            .iter()
            .map(|(k, n)| (k.name(), *n))
            .collect();
        let mut st = s.serialize_struct("Report", 15)?;
        st.serialize_field("rows_read", &self.rows_read)?;
        st.serialize_field("priced", &self.priced)?;
        st.serialize_field("rejected", &self.rejected)?;
        st.serialize_field("blank_lines", &self.blank_lines)?;
        st.serialize_field("files", &self.files)?;
        st.serialize_field("rejects_by_kind", &kinds)?;
        st.serialize_field("totals", &totals)?;
        st.serialize_field("by", &self.by.iter().map(|d| d.name()).collect::<Vec<_>>())?;
        st.serialize_field("groups", &Groups(self))?;
        st.serialize_field("top", &self.top)?;
        st.serialize_field("relay_issues", &self.relay_issues)?;
        if self.relay_unpriced.iter().any(|n| *n > 0) {
            let relay: BTreeMap<&str, u64> = RelayClass::ALL
                .iter()
                .map(|c| (c.name(), self.relay_unpriced[*c as usize]))
                .collect();
            st.serialize_field("relay_unpriced", &relay)?;
        }
        if !self.margin_by_model.is_empty() {
            st.serialize_field("margin_by_model", &self.margin_by_model)?;
            st.serialize_field("margin_by_day", &self.margin_by_day)?;
            st.serialize_field("margin_by_channel", &self.margin_by_channel)?;
        }
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::ExactSum;
    use rust_decimal::Decimal;

    #[test]
    fn dates_match_the_general_formatter() {
        for t in [
            "2025-01-09T23:59:59Z",
            "0999-12-01T00:00:00Z",
            "2024-02-29T12:00:00Z",
        ] {
            let at: chrono::DateTime<chrono::Utc> = t.parse().unwrap();
            let (mut day, mut month) = (String::new(), String::new());
            super::push_date(&mut day, at, true);
            super::push_date(&mut month, at, false);
            assert_eq!(day, at.format("%Y-%m-%d").to_string());
            assert_eq!(month, at.format("%Y-%m").to_string());
        }
    }

    #[test]
    fn exact_sums_do_not_depend_on_order() {
        let xs: Vec<Decimal> = [
            "1000000000000",
            "0.000000000000000000000001",
            "-1000000000000",
            "1.5",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let mut a = ExactSum::default();
        let mut b = ExactSum::default();
        for x in &xs {
            a.add(*x);
        }
        for x in xs.iter().rev() {
            b.add(*x);
        }
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "1.500000000000000000000001");
        // Regression: the largest decimal plus the smallest overflowed a single i128
        // mantissa at scale 28 and was reported as "overflow"; it is exact.
        let mut big = ExactSum::default();
        big.add(Decimal::MAX);
        big.add(Decimal::new(1, 28));
        assert!(!big.overflowed());
        assert_eq!(
            big.to_string(),
            "79228162514264337593543950335.0000000000000000000000000001"
        );
        assert_eq!(big.to_decimal(), None, "more digits than a Decimal holds");
        big.add(Decimal::MIN);
        assert_eq!(big.to_string(), "0.0000000000000000000000000001");
        assert_eq!(big.to_decimal(), Some(Decimal::new(1, 28)));
        let mut neg = ExactSum::default();
        for x in ["-1.25", "0.5", "-3", "0.0000000000000000000000000001"] {
            neg.add(x.parse().unwrap());
        }
        assert_eq!(neg.to_string(), "-3.7499999999999999999999999999");
        assert_eq!(
            neg.to_decimal(),
            Some("-3.7499999999999999999999999999".parse().unwrap())
        );
        let mut tiny = ExactSum::default();
        tiny.add("-0.5".parse().unwrap());
        assert_eq!(tiny.to_string(), "-0.5");
        // Many rows at the largest value: still exact.
        let mut many = ExactSum::default();
        for _ in 0..1000 {
            many.add(Decimal::MAX);
            many.add(Decimal::new(-7, 3));
        }
        assert_eq!(many.to_string(), "79228162514264337593543950334993");
    }
}
