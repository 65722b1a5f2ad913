//! Bills: itemized, exact, and saying which prices applied and why.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::catalog::{Body, Schedule};
use crate::error::ConvertError;
use crate::money::{Currency, FxRate, FxTable, Quota, QuotaPolicy};
use crate::unit::Unit;
use crate::usage::ServiceTier;

/// One line of a bill: a quantity of one unit at one price.
///
/// Lines are made by the engine ([`Catalog::quote`](crate::Catalog::quote)); their fields
/// are read through methods of the same names, so that no line of a bill can change
/// without its total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    unit: Unit,
    variant: Option<String>,
    quantity: Decimal,
    unit_price: Decimal,
    per: Decimal,
    amount: Decimal,
    priced_as: Option<Unit>,
}

impl Line {
    /// A line made by the engine. `amount` is `quantity × unit_price / per`, computed by
    /// the caller with checked arithmetic.
    pub(crate) fn new(
        unit: Unit,
        variant: Option<String>,
        quantity: Decimal,
        unit_price: Decimal,
        per: Decimal,
        amount: Decimal,
        priced_as: Option<Unit>,
    ) -> Line {
        Line {
            unit,
            variant,
            quantity,
            unit_price,
            per,
            amount,
            priced_as,
        }
    }

    /// The unit counted.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// The variant priced (`size 1024x1024, quality hd`), for units priced by variant.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// How much of it.
    pub fn quantity(&self) -> Decimal {
        self.quantity
    }

    /// The price of [`per`](Line::per) units.
    pub fn unit_price(&self) -> Decimal {
        self.unit_price
    }

    /// The quantity [`unit_price`](Line::unit_price) is for.
    pub fn per(&self) -> Decimal {
        self.per
    }

    /// `quantity × unit_price / per`, exact.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// When the schedule has no rate for [`unit`](Line::unit), the unit whose rate was
    /// used instead.
    pub fn priced_as(&self) -> Option<Unit> {
        self.priced_as
    }

    /// The line's label: the unit, with its variant when it has one.
    pub fn item(&self) -> String {
        match &self.variant {
            Some(v) => format!("{} ({v})", self.unit),
            None => self.unit.name().to_string(),
        }
    }
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Line", 7)?;
        st.serialize_field("item", &self.item())?;
        st.serialize_field("unit", &self.unit)?;
        st.serialize_field("quantity", &self.quantity)?;
        st.serialize_field("unit_price", &self.unit_price)?;
        st.serialize_field("per", &self.per)?;
        st.serialize_field("amount", &self.amount)?;
        if let Some(p) = self.priced_as {
            st.serialize_field("priced_as", &p)?;
        } else {
            st.skip_field("priced_as")?;
        }
        st.end()
    }
}

/// Which schedule priced a bill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Start of the schedule's period.
    pub from: Option<DateTime<Utc>>,
    /// End of the schedule's period.
    pub until: Option<DateTime<Utc>>,
    /// Where its prices were read.
    pub source: Arc<str>,
    /// When they were read.
    pub as_of: NaiveDate,
    /// The factor applied to the standard schedule, for a derived (e.g. batch) schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<Decimal>,
    /// Units a derived schedule leaves at the standard rate.
    #[serde(skip_serializing_if = "is_empty")]
    pub unscaled: Arc<[Unit]>,
}

fn is_empty(units: &Arc<[Unit]>) -> bool {
    units.is_empty()
}

/// How many lines a bill holds inline (a text request has at most seven token buckets).
pub const INLINE_LINES: usize = 8;

/// A bill's lines: a vector that holds up to [`INLINE_LINES`] lines without allocating.
pub(crate) type Lines = smallvec::SmallVec<[Line; INLINE_LINES]>;

/// The price of one request: exact, itemized, with its provenance.
///
/// **The total is the sum of the lines**, by construction: a bill is made only by the
/// engine ([`Catalog::quote`](crate::Catalog::quote), [`price::quote`](crate::price::quote))
/// or by [`Bill::convert`], each of which sums the lines it made with checked arithmetic, and
/// its fields are read through methods of the same names (`bill.total()`, `bill.lines()`),
/// never written. The JSON form (`serde`) is the fields, in this order.
///
/// ```
/// use tariff_core::{Catalog, Usage};
/// let usage = Usage::from_json(r#"{"input_tokens": 1000, "output_tokens": 400, "at": "2025-11-01T00:00:00Z"}"#)?;
/// let bill = Catalog::builtin().quote("claude-sonnet-4-5", &usage)?;
/// assert_eq!(bill.total(), bill.lines().iter().map(|l| l.amount()).sum());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A bill cannot be edited so that its total and lines disagree:
///
/// ```compile_fail
/// # use tariff_core::{Catalog, Usage};
/// # let usage = Usage::from_json(r#"{"input_tokens": 1000}"#).unwrap();
/// let mut bill = Catalog::builtin().quote("claude-sonnet-4-5", &usage).unwrap();
/// bill.total = Default::default();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bill {
    /// Everything the schedule alone decides, shared with every other bill it priced.
    head: Arc<Head>,
    currency: Currency,
    total: Decimal,
    lines: Lines,
    at: DateTime<Utc>,
    service_tier: ServiceTier,
    tier: Option<Arc<str>>,
    window: Option<Arc<str>>,
    option: Option<Arc<str>>,
    estimated: bool,
    fx: Option<FxRate>,
}

/// What a bill says that depends only on the schedule that priced it: the model, its
/// provider, the region and the schedule's provenance. Built once per schedule when the
/// catalog loads, so that a quote takes one reference count for all of it rather than one
/// per name (each a locked instruction, on the clone and again on the drop).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Head {
    model: Arc<str>,
    provider: Arc<str>,
    region: Option<Arc<str>>,
    schedule: Applied,
}

impl Head {
    /// The heads of a model's schedules, in their order.
    pub(crate) fn of_schedules(
        model: &Arc<str>,
        provider: &Arc<str>,
        schedules: &[Schedule],
    ) -> Box<[Arc<Head>]> {
        schedules
            .iter()
            .map(|s| {
                let (scale, unscaled) = match &s.body {
                    Body::Scale { factor, unscaled } => (Some(*factor), unscaled.clone()),
                    Body::Rates { .. } => (None, Arc::from([])),
                };
                Arc::new(Head {
                    model: model.clone(),
                    provider: provider.clone(),
                    region: s.region.clone(),
                    schedule: Applied {
                        from: s.from,
                        until: s.until,
                        source: s.source.clone(),
                        as_of: s.as_of,
                        scale,
                        unscaled,
                    },
                })
            })
            .collect()
    }
}

/// The JSON form: the fields in this order, absent ones left out.
impl Serialize for Bill {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        fn opt<S: SerializeStruct, T: Serialize>(
            st: &mut S,
            key: &'static str,
            v: &Option<T>,
        ) -> Result<(), S::Error> {
            match v {
                Some(v) => st.serialize_field(key, v),
                None => st.skip_field(key),
            }
        }
        // The number of fields written, as serde's derive counts it.
        let present = [
            self.head.region.is_some(),
            self.tier.is_some(),
            self.window.is_some(),
            self.option.is_some(),
            self.fx.is_some(),
        ];
        let len = 9 + present.iter().filter(|p| **p).count();
        let mut st = s.serialize_struct("Bill", len)?;
        st.serialize_field("model", &self.head.model)?;
        st.serialize_field("provider", &self.head.provider)?;
        st.serialize_field("currency", &self.currency)?;
        st.serialize_field("total", &self.total)?;
        st.serialize_field("lines", &self.lines)?;
        st.serialize_field("at", &self.at)?;
        st.serialize_field("service_tier", &self.service_tier)?;
        opt(&mut st, "region", &self.head.region)?;
        st.serialize_field("schedule", &self.head.schedule)?;
        opt(&mut st, "tier", &self.tier)?;
        opt(&mut st, "window", &self.window)?;
        opt(&mut st, "option", &self.option)?;
        st.serialize_field("estimated", &self.estimated)?;
        opt(&mut st, "fx", &self.fx)?;
        st.end()
    }
}

/// Everything a bill says besides its lines and total that the quote decides.
pub(crate) struct Provenance {
    pub(crate) head: Arc<Head>,
    pub(crate) currency: Currency,
    pub(crate) at: DateTime<Utc>,
    pub(crate) service_tier: ServiceTier,
    pub(crate) tier: Option<Arc<str>>,
    pub(crate) window: Option<Arc<str>>,
    pub(crate) option: Option<Arc<str>>,
    pub(crate) estimated: bool,
}

impl Bill {
    /// A bill without lines, for the engine to fill ([`Bill::push`]) and then
    /// [`close`](Bill::close). Only the engine makes bills, and it returns one only closed.
    pub(crate) fn open(p: Provenance) -> Bill {
        Bill {
            head: p.head,
            currency: p.currency,
            total: Decimal::ZERO,
            lines: Lines::new(),
            at: p.at,
            service_tier: p.service_tier,
            tier: p.tier,
            window: p.window,
            option: p.option,
            estimated: p.estimated,
            fx: None,
        }
    }

    /// The bill's lines are added through a [`Fill`], which sums them as they come and
    /// sets the total when it closes.
    pub(crate) fn fill(&mut self) -> Fill<'_> {
        Fill {
            bill: self,
            sum: Some((0, 0)),
        }
    }

    /// The canonical id of the model priced.
    pub fn model(&self) -> &str {
        &self.head.model
    }

    /// The model's provider.
    pub fn provider(&self) -> &str {
        &self.head.provider
    }

    /// The currency of every amount.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The sum of the lines' amounts, exactly.
    pub fn total(&self) -> Decimal {
        self.total
    }

    /// One line per unit (and variant) used; up to [`INLINE_LINES`] are held without a
    /// heap allocation.
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// The time the prices were taken at (the usage's `at`).
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The service tier priced.
    pub fn service_tier(&self) -> ServiceTier {
        self.service_tier
    }

    /// The region priced, for regional models.
    pub fn region(&self) -> Option<&str> {
        self.head.region.as_deref()
    }

    /// The schedule that applied.
    pub fn schedule(&self) -> &Applied {
        &self.head.schedule
    }

    /// The context tier that applied, if any.
    pub fn tier(&self) -> Option<&str> {
        self.tier.as_deref()
    }

    /// The time window that applied, if any.
    pub fn window(&self) -> Option<&str> {
        self.window.as_deref()
    }

    /// The option rule that applied, if any.
    pub fn option(&self) -> Option<&str> {
        self.option.as_deref()
    }

    /// Whether some usage was estimated rather than reported.
    pub fn estimated(&self) -> bool {
        self.estimated
    }

    /// The exchange rate applied, when the bill was converted.
    pub fn fx(&self) -> Option<&FxRate> {
        self.fx.as_ref()
    }
}

/// An open bill being filled by the engine: its lines go in only through here, summed as
/// they come (by [`add_small`], as [`sum_small`] would sum them afterwards), and
/// [`close`](Fill::close) sets the total.
pub(crate) struct Fill<'a> {
    bill: &'a mut Bill,
    /// The sum so far as (mantissa, scale), while every amount and the sum fit a `u64`.
    sum: Option<(u64, u32)>,
}

impl Fill<'_> {
    /// Adds a line.
    #[inline(always)]
    pub(crate) fn push(&mut self, line: Line) {
        self.sum = self
            .sum
            .and_then(|t| add_small(t, crate::price::small(line.amount)?));
        self.bill.lines.push(line);
    }

    /// Adds a line whose amount the engine has at hand as `(mantissa, scale)`, so that it
    /// is not taken apart again to be summed. Inlined, so that the line is written where
    /// the bill keeps it rather than passed through a copy.
    #[inline(always)]
    pub(crate) fn push_small(&mut self, line: Line, amount: (u64, u32)) {
        debug_assert_eq!(
            (line.amount.mantissa(), line.amount.scale()),
            (i128::from(amount.0), amount.1)
        );
        self.sum = self.sum.and_then(|t| add_small(t, amount));
        self.bill.lines.push(line);
    }

    /// Sets the total to the checked sum of the lines' amounts (normalized, as every amount
    /// is): the only place a quoted bill's total is made. On overflow, the unit of the line
    /// that overflowed.
    #[inline]
    pub(crate) fn close(self) -> Result<(), Unit> {
        let total = match self.sum.filter(|_| crate::price::shortcuts()) {
            Some((m, s)) => crate::price::from_small(m, s),
            None => sum(&self.bill.lines)?,
        };
        self.bill.total = crate::price::normalize(total);
        Ok(())
    }
}

/// The checked sum of the lines' amounts; on overflow, the unit of the line that overflowed.
fn sum(lines: &[Line]) -> Result<Decimal, Unit> {
    if let Some(total) = sum_small(lines).filter(|_| crate::price::shortcuts()) {
        return Ok(total);
    }
    let mut total = Decimal::ZERO;
    for l in lines {
        total = total.checked_add(l.amount).ok_or(l.unit)?;
    }
    Ok(total)
}

/// The same sum as `Decimal`'s (the same value, at the largest scale of the amounts) for
/// the common bill, whose amounts are non-negative with mantissas that fit a `u64`: on
/// integers, where `Decimal`'s addition rescales and adds 96-bit mantissas for each line.
/// `None` (and the general sum) otherwise, or when the sum would not fit.
fn sum_small(lines: &[Line]) -> Option<Decimal> {
    let mut total = (0u64, 0u32);
    for l in lines {
        total = add_small(total, crate::price::small(l.amount)?)?;
    }
    Some(crate::price::from_small(total.0, total.1))
}

/// `a + b`, each `(mantissa, scale)`, at the larger scale (as `Decimal`'s addition aligns
/// them); `None` when a mantissa would not fit a `u64`.
#[inline(always)]
fn add_small((total, scale): (u64, u32), (m, s): (u64, u32)) -> Option<(u64, u32)> {
    let pow10 = |k: u32| crate::price::POW10.get(usize::try_from(k).ok()?).copied();
    if s > scale {
        let total = total.checked_mul(pow10(s - scale)?)?;
        return Some((total.checked_add(m)?, s));
    }
    Some((total.checked_add(m.checked_mul(pow10(scale - s)?)?)?, scale))
}

impl Bill {
    /// The bill in another currency, at the caller's rate in force on the bill's date.
    /// Each line is converted exactly and the total re-summed, so it still equals the
    /// sum of the lines.
    pub fn convert(&self, fx: &FxTable, to: Currency) -> Result<Bill, ConvertError> {
        if to == self.currency {
            return Ok(self.clone());
        }
        let day = self.at.date_naive();
        let rate = fx
            .rate(self.currency, to, day)
            .ok_or_else(|| ConvertError::NoRate {
                from: self.currency.to_string(),
                to: to.to_string(),
                at: day.to_string(),
            })?;
        let mut out = self.clone();
        out.currency = to;
        for l in &mut out.lines {
            l.unit_price = l
                .unit_price
                .checked_mul(rate.rate)
                .ok_or(ConvertError::Overflow)?;
            l.amount = l
                .amount
                .checked_mul(rate.rate)
                .ok_or(ConvertError::Overflow)?;
        }
        out.total = sum(&out.lines).map_err(|_| ConvertError::Overflow)?;
        out.fx = Some(rate.clone());
        Ok(out)
    }

    /// The bill in relay quota units. The bill must be in the policy's currency (convert
    /// it first otherwise).
    pub fn quota(&self, policy: &QuotaPolicy) -> Result<Quota, ConvertError> {
        if self.currency != policy.currency {
            return Err(ConvertError::NoRate {
                from: self.currency.to_string(),
                to: format!("{} quota", policy.currency),
                at: self.at.date_naive().to_string(),
            });
        }
        policy.units(self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lines(amounts: &[Decimal]) -> Vec<Line> {
        amounts
            .iter()
            .map(|a| {
                Line::new(
                    Unit::InputTokens,
                    None,
                    Decimal::ONE,
                    *a,
                    Decimal::ONE,
                    *a,
                    None,
                )
            })
            .collect()
    }

    fn general(lines: &[Line]) -> Option<Decimal> {
        lines
            .iter()
            .try_fold(Decimal::ZERO, |t, l| t.checked_add(l.amount))
    }

    proptest! {
        /// The `u64` sum is `Decimal`'s, value and scale, whenever it applies.
        #[test]
        fn the_small_sum_is_the_general_one(
            parts in prop::collection::vec((0u64..=u64::MAX >> 8, 0u32..=28), 0..9),
        ) {
            let amounts: Vec<Decimal> = parts
                .iter()
                .map(|(m, s)| Decimal::from_i128_with_scale((*m).into(), *s))
                .collect();
            let lines = lines(&amounts);
            if let Some(fast) = sum_small(&lines) {
                let slow = general(&lines).unwrap();
                prop_assert_eq!((fast, fast.scale()), (slow, slow.scale()));
            }
        }
    }

    #[test]
    fn the_small_sum_of_a_bill() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // The typical Sonnet 4.5 record's amounts (1,200 × $3/M, 24,000 × $0.30/M, ...).
        let ls = lines(&[
            d("0.0036"),
            d("0.0072"),
            d("0.01125"),
            d("0.006"),
            d("0.00975"),
            d("0.0135"),
        ]);
        assert_eq!(sum_small(&ls), Some(d("0.05130")));
        assert_eq!(sum_small(&ls).unwrap().scale(), 5);
        assert_eq!(sum_small(&[]), Some(Decimal::ZERO));
        // Negative, or past 64 bits: the general sum.
        assert_eq!(sum_small(&lines(&[d("-1")])), None);
        assert_eq!(
            sum_small(&lines(&[d("18446744073709551615"), d("1")])),
            None
        );
        assert_eq!(
            sum(&lines(&[d("18446744073709551615"), d("1")])),
            Ok(d("18446744073709551616"))
        );
    }
}
