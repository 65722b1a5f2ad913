//! Bills: itemized, exact, and saying which prices applied and why.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::error::ConvertError;
use crate::money::{Currency, FxRate, FxTable, Quota, QuotaPolicy};
use crate::unit::Unit;
use crate::usage::ServiceTier;

/// One line of a bill: a quantity of one unit at one price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The unit counted.
    pub unit: Unit,
    /// The variant priced (`size 1024x1024, quality hd`), for units priced by variant.
    pub variant: Option<String>,
    /// How much of it.
    pub quantity: Decimal,
    /// The price of `per` units.
    pub unit_price: Decimal,
    /// The quantity `unit_price` is for.
    pub per: Decimal,
    /// `quantity × unit_price / per`, exact.
    pub amount: Decimal,
    /// When the schedule has no rate for `unit`, the unit whose rate was used instead.
    pub priced_as: Option<Unit>,
}

impl Line {
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
pub type Lines = smallvec::SmallVec<[Line; INLINE_LINES]>;

/// The price of one request: exact, itemized, with its provenance.
///
/// `total` always equals the sum of the lines' amounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bill {
    /// The canonical id of the model priced.
    pub model: Arc<str>,
    /// The model's provider.
    pub provider: Arc<str>,
    /// The currency of every amount.
    pub currency: Currency,
    /// The sum of the lines.
    pub total: Decimal,
    /// One line per unit (and variant) used; up to [`INLINE_LINES`] are held without a
    /// heap allocation.
    pub lines: Lines,
    /// The time the prices were taken at.
    pub at: DateTime<Utc>,
    /// The service tier priced.
    pub service_tier: ServiceTier,
    /// The region priced, for regional models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Arc<str>>,
    /// The schedule that applied.
    pub schedule: Applied,
    /// The context tier that applied, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Arc<str>>,
    /// The time window that applied, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Arc<str>>,
    /// The option rule that applied, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<Arc<str>>,
    /// Whether some usage was estimated rather than reported.
    pub estimated: bool,
    /// The exchange rate applied, when the bill was converted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fx: Option<FxRate>,
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
        out.total = Decimal::ZERO;
        for l in &mut out.lines {
            l.unit_price = l
                .unit_price
                .checked_mul(rate.rate)
                .ok_or(ConvertError::Overflow)?;
            l.amount = l
                .amount
                .checked_mul(rate.rate)
                .ok_or(ConvertError::Overflow)?;
            out.total = out
                .total
                .checked_add(l.amount)
                .ok_or(ConvertError::Overflow)?;
        }
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
