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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bill {
    pub(crate) model: Arc<str>,
    pub(crate) provider: Arc<str>,
    pub(crate) currency: Currency,
    total: Decimal,
    lines: Lines,
    pub(crate) at: DateTime<Utc>,
    pub(crate) service_tier: ServiceTier,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<Arc<str>>,
    pub(crate) schedule: Applied,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tier: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) window: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) option: Option<Arc<str>>,
    pub(crate) estimated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fx: Option<FxRate>,
}

/// Everything a bill says besides its lines and total: what the engine fills in.
pub(crate) struct Provenance {
    pub(crate) model: Arc<str>,
    pub(crate) provider: Arc<str>,
    pub(crate) currency: Currency,
    pub(crate) at: DateTime<Utc>,
    pub(crate) service_tier: ServiceTier,
    pub(crate) region: Option<Arc<str>>,
    pub(crate) schedule: Applied,
    pub(crate) tier: Option<Arc<str>>,
    pub(crate) window: Option<Arc<str>>,
    pub(crate) option: Option<Arc<str>>,
    pub(crate) estimated: bool,
}

impl Bill {
    /// The only way to make a bill: its total is computed here, as the checked sum of the
    /// lines' amounts (normalized, as every amount is). `None` on overflow, with the unit
    /// of the line that overflowed.
    pub(crate) fn from_lines(p: Provenance, lines: Lines) -> Result<Bill, Unit> {
        let total = sum(&lines)?;
        Ok(Bill {
            model: p.model,
            provider: p.provider,
            currency: p.currency,
            total: crate::price::normalize(total),
            lines,
            at: p.at,
            service_tier: p.service_tier,
            region: p.region,
            schedule: p.schedule,
            tier: p.tier,
            window: p.window,
            option: p.option,
            estimated: p.estimated,
            fx: None,
        })
    }

    /// The canonical id of the model priced.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The model's provider.
    pub fn provider(&self) -> &str {
        &self.provider
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
        self.region.as_deref()
    }

    /// The schedule that applied.
    pub fn schedule(&self) -> &Applied {
        &self.schedule
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

/// The checked sum of the lines' amounts; on overflow, the unit of the line that overflowed.
fn sum(lines: &[Line]) -> Result<Decimal, Unit> {
    let mut total = Decimal::ZERO;
    for l in lines {
        total = total.checked_add(l.amount).ok_or(l.unit)?;
    }
    Ok(total)
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
