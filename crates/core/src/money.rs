//! Currencies, exchange rates supplied by the caller, and relay quota units.
//!
//! Amounts are `rust_decimal::Decimal` throughout: exact, never `f64`. Rounding happens
//! once, at the edge, by a named [`Rounding`] policy.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ConvertError, FxError};

/// An ISO 4217-style currency code: three upper-case ASCII letters (`USD`, `CNY`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// US dollars.
    pub const USD: Currency = Currency(*b"USD");
    /// Chinese yuan.
    pub const CNY: Currency = Currency(*b"CNY");

    /// Parses a code; `None` unless it is three upper-case ASCII letters.
    pub fn parse(code: &str) -> Option<Currency> {
        let b = code.as_bytes();
        (b.len() == 3 && b.iter().all(u8::is_ascii_uppercase)).then(|| Currency([b[0], b[1], b[2]]))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("currency codes are ASCII")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s).ok_or_else(|| {
            format!("`{s}` is not a currency code (three upper-case letters, e.g. USD)")
        })
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Parsed inside the parser's call, so that an unknown code is reported at the code
        // itself (and its field named), not at the end of the record holding it.
        struct Code;
        impl serde::de::Visitor<'_> for Code {
            type Value = Currency;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a currency code")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Currency, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Code)
    }
}

/// Reads decimal text exactly: `12.5`, `-3`, `1.25e-7`. Text whose value a decimal cannot
/// hold digit for digit (more than 28 decimal places, or a mantissa above 2^96) is refused,
/// never rounded: a price or a quantity is the one written, or an error.
pub(crate) fn parse_exact(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    let (mant, exp) = match t.find(['e', 'E']) {
        Some(i) => (
            &t[..i],
            t[i + 1..]
                .parse::<i64>()
                .map_err(|_| "the exponent is not a whole number".to_string())?,
        ),
        None => (t, 0),
    };
    let (neg, mant) = match mant.as_bytes().first() {
        Some(b'-') => (true, &mant[1..]),
        Some(b'+') => (false, &mant[1..]),
        _ => (false, mant),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err("not a decimal number".to_string());
    }
    let mut digits = format!("{int}{frac}");
    // The value is digits × 10^-scale.
    let mut scale = i64::try_from(frac.len())
        .ok()
        .and_then(|f| f.checked_sub(exp))
        .ok_or("the exponent is out of range")?;
    let lead = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..lead);
    while digits.ends_with('0') {
        digits.pop();
        scale -= 1;
    }
    if digits.is_empty() {
        return Ok(Decimal::ZERO);
    }
    if scale < 0 {
        if digits.len() as i64 - scale > 29 {
            return Err("it is too large for a decimal".to_string());
        }
        digits.extend(std::iter::repeat_n(
            '0',
            usize::try_from(-scale).unwrap_or(0),
        ));
        scale = 0;
    }
    let too_precise = || {
        format!(
            "it has more digits than a decimal holds exactly ({} significant, {} places; at most 28 places)",
            digits.len(),
            scale
        )
    };
    if digits.len() > 29 || scale > 28 {
        return Err(too_precise());
    }
    let m: i128 = digits.parse().map_err(|_| too_precise())?;
    let m = if neg { -m } else { m };
    Decimal::try_from_i128_with_scale(m, u32::try_from(scale).map_err(|_| too_precise())?)
        .map_err(|_| too_precise())
}

/// How an exact amount becomes a whole number of units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Toward zero.
    Floor,
    /// Away from zero.
    Ceil,
    /// To nearest, halves away from zero.
    #[default]
    HalfUp,
    /// To nearest, halves to even (banker's rounding).
    HalfEven,
}

impl Rounding {
    /// Rounds `x` to `dp` decimal places.
    pub fn apply(self, x: Decimal, dp: u32) -> Decimal {
        let strategy = match self {
            Rounding::Floor => RoundingStrategy::ToZero,
            Rounding::Ceil => RoundingStrategy::AwayFromZero,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
        };
        x.round_dp_with_strategy(dp, strategy)
    }

    /// The policy's name (`floor`, `ceil`, `half_up`, `half_even`).
    pub const fn name(self) -> &'static str {
        match self {
            Rounding::Floor => "floor",
            Rounding::Ceil => "ceil",
            Rounding::HalfUp => "half_up",
            Rounding::HalfEven => "half_even",
        }
    }

    /// Parses a policy name (`floor`, `ceil`, `half_up`, `half_even`).
    pub fn parse(s: &str) -> Option<Rounding> {
        match s {
            "floor" => Some(Rounding::Floor),
            "ceil" => Some(Rounding::Ceil),
            "half_up" => Some(Rounding::HalfUp),
            "half_even" => Some(Rounding::HalfEven),
            _ => None,
        }
    }
}

/// One dated exchange rate: 1 `from` = `rate` `to`, in force from `from_date` on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxRate {
    /// The currency converted from.
    pub from: Currency,
    /// The currency converted to.
    pub to: Currency,
    /// Units of `to` per unit of `from`: a decimal string, or a JSON number taken as the
    /// shortest text of its float; read exactly, never rounded.
    #[serde(deserialize_with = "exact_decimal")]
    pub rate: Decimal,
    /// First day the rate applies.
    pub date: NaiveDate,
    /// Where the rate comes from.
    #[serde(default)]
    pub source: String,
}

impl FxRate {
    /// The opposite direction's rate, 1 / `rate`, to `places` decimal places rounded by
    /// `rounding` (one rounding, of the exact quotient), with the rounding stated in its
    /// source. Only the caller can decide that a rounded inverse is the rate they book.
    ///
    /// ```
    /// use tariff_core::{FxRate, Currency, Rounding};
    /// let r = FxRate { from: Currency::USD, to: Currency::CNY, rate: "7.1".parse().unwrap(),
    ///     date: "2025-01-01".parse().unwrap(), source: "bank".into() };
    /// let inv = r.inverse(8, Rounding::HalfEven)?;
    /// assert_eq!(inv.rate.to_string(), "0.14084507"); // 1 / 7.1 = 0.140845070422…
    /// assert_eq!((inv.from, inv.to), (Currency::CNY, Currency::USD));
    /// # Ok::<(), tariff_core::FxError>(())
    /// ```
    pub fn inverse(&self, places: u32, rounding: Rounding) -> Result<FxRate, FxError> {
        let err = || FxError::Inverse {
            from: self.from.to_string(),
            to: self.to.to_string(),
            rate: self.rate.to_string(),
            places,
        };
        if self.rate <= Decimal::ZERO {
            return Err(self.not_positive());
        }
        // rate = m / 10^s, so 1 / rate = 10^s / m, and in units of 10^-places the quotient
        // is 10^(s + places) / m: integer division with the remainder deciding the rounding.
        let r = self.rate.normalize();
        let m = r.mantissa();
        let num = 10i128.checked_pow(r.scale() + places).ok_or_else(err)?;
        let (q, rem) = (num / m, num % m);
        let up = match rounding {
            Rounding::Floor => false,
            Rounding::Ceil => rem != 0,
            Rounding::HalfUp => rem * 2 >= m,
            Rounding::HalfEven => rem * 2 > m || (rem * 2 == m && q % 2 == 1),
        };
        let q = if up { q + 1 } else { q };
        let rate = Decimal::try_from_i128_with_scale(q, places)
            .map_err(|_| err())?
            .normalize();
        let rate_text = self.rate.normalize();
        Ok(FxRate {
            from: self.to,
            to: self.from,
            rate,
            date: self.date,
            source: format!(
                "1 / {rate_text} ({}), rounded {} to {places} places",
                self.source,
                rounding.name()
            ),
        })
    }

    fn not_positive(&self) -> FxError {
        FxError::NotPositive {
            from: self.from.to_string(),
            to: self.to.to_string(),
            date: self.date.to_string(),
            rate: self.rate.to_string(),
        }
    }
}

/// Reads a decimal from a string or a JSON number exactly (see [`parse_exact`]).
pub(crate) fn exact_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    use serde::de::{Error, Visitor};
    struct V;
    impl Visitor<'_> for V {
        type Value = Decimal;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a decimal string or a number")
        }
        fn visit_u64<E: Error>(self, n: u64) -> Result<Decimal, E> {
            Ok(n.into())
        }
        fn visit_i64<E: Error>(self, n: i64) -> Result<Decimal, E> {
            Ok(n.into())
        }
        fn visit_f64<E: Error>(self, n: f64) -> Result<Decimal, E> {
            if !n.is_finite() {
                return Err(E::custom(format!("{n} is not a number")));
            }
            // Rust prints the shortest text that reads back as the same float: the text
            // written, for any number of up to 15 significant digits.
            self.visit_str(&n.to_string())
        }
        fn visit_str<E: Error>(self, s: &str) -> Result<Decimal, E> {
            parse_exact(s).map_err(|e| E::custom(format!("`{s}`: {e}")))
        }
    }
    d.deserialize_any(V)
}

/// Exchange rates the caller supplies. tariff holds none of its own: the rate a finance
/// team books is theirs to choose.
///
/// Every rate is positive, converts between two different currencies, and is the only one
/// for its pair on its day: a table that breaks any of these is refused ([`FxError`]), as
/// a conversion at it would be negative, free or a guess.
///
/// ```
/// use tariff_core::{FxTable, Currency};
/// let fx = FxTable::from_json(r#"[{"from":"USD","to":"CNY","rate":"7.1","date":"2025-01-01"}]"#).unwrap();
/// let d = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
/// assert_eq!(fx.rate(Currency::USD, Currency::CNY, d).unwrap().rate.to_string(), "7.1");
/// assert!(fx.rate(Currency::CNY, Currency::USD, d).is_none());
/// assert!(FxTable::from_json(r#"[{"from":"USD","to":"CNY","rate":"0","date":"2025-01-01"}]"#).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FxTable {
    rates: Vec<FxRate>,
}

impl<'de> Deserialize<'de> for FxTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let rates = Vec::<FxRate>::deserialize(d)?;
        FxTable::new(rates).map_err(serde::de::Error::custom)
    }
}

impl FxTable {
    /// A table from a list of rates, checked (see [`FxTable`]).
    pub fn new(rates: Vec<FxRate>) -> Result<Self, FxError> {
        let mut seen: std::collections::HashMap<(Currency, Currency, NaiveDate), &FxRate> =
            std::collections::HashMap::new();
        for r in &rates {
            if r.rate <= Decimal::ZERO {
                return Err(r.not_positive());
            }
            if r.from == r.to {
                return Err(FxError::SameCurrency {
                    currency: r.from.to_string(),
                    date: r.date.to_string(),
                });
            }
            if let Some(first) = seen.insert((r.from, r.to, r.date), r) {
                return Err(FxError::Duplicate {
                    from: r.from.to_string(),
                    to: r.to.to_string(),
                    date: r.date.to_string(),
                    first: first.rate.to_string(),
                    second: r.rate.to_string(),
                });
            }
        }
        Ok(FxTable { rates })
    }

    /// Reads a JSON list of `{from, to, rate, date, source?}` (rate as a decimal string or
    /// number), checked (see [`FxTable`]).
    pub fn from_json(text: &str) -> Result<Self, FxError> {
        let rates: Vec<FxRate> = crate::strict::from_str(text).map_err(|e| {
            let path = crate::json_path::at(text.as_bytes(), &e);
            FxError::Json {
                path: if path == "." { String::new() } else { path },
                line: e.line(),
                column: e.column(),
                message: crate::json_path::strip_position(&e.to_string()),
            }
        })?;
        FxTable::new(rates)
    }

    /// The rates, as given.
    pub fn rates(&self) -> &[FxRate] {
        &self.rates
    }

    /// The latest rate for the pair whose date is on or before `on`. Only the direction
    /// given is used: inverting a rate would not be exact.
    pub fn rate(&self, from: Currency, to: Currency, on: NaiveDate) -> Option<&FxRate> {
        self.rates
            .iter()
            .filter(|r| r.from == from && r.to == to && r.date <= on)
            .max_by_key(|r| r.date)
    }
}

/// A relay's quota units: new-api counts 500,000 units per US dollar, times a group
/// multiplier, rounded to a whole unit by a named policy, with an optional minimum.
///
/// ```
/// use tariff_core::{QuotaPolicy, Rounding};
/// use rust_decimal::Decimal;
/// let p = QuotaPolicy::new_api();
/// assert_eq!(p.units(Decimal::new(20400, 6))?.units, 10_200); // $0.0204
/// let vip = QuotaPolicy { group_ratio: Decimal::new(8, 1), ..QuotaPolicy::new_api() };
/// assert_eq!(vip.units(Decimal::new(1, 6))?.units, 1); // 0.4 rounds to 0, minimum 1
/// assert!(p.units(Decimal::new(-1, 0)).is_err());
/// # Ok::<(), tariff_core::ConvertError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaPolicy {
    /// The currency quota is defined in (new-api: USD).
    pub currency: Currency,
    /// Units per one unit of `currency` (new-api: 500,000).
    pub per_unit: Decimal,
    /// The user group's multiplier (new-api's GroupRatio).
    pub group_ratio: Decimal,
    /// How the exact quota becomes whole units.
    pub rounding: Rounding,
    /// The least a non-zero charge costs, in units (new-api charges at least 1).
    pub minimum: u64,
}

impl QuotaPolicy {
    /// new-api's defaults: USD, 500,000 per dollar, group ratio 1, half-up, minimum 1.
    pub fn new_api() -> Self {
        QuotaPolicy {
            currency: Currency::USD,
            per_unit: Decimal::from(500_000),
            group_ratio: Decimal::ONE,
            rounding: Rounding::HalfUp,
            minimum: 1,
        }
    }

    /// Converts an amount in `self.currency` to quota units.
    ///
    /// A negative amount, or one whose quota does not fit in `u64` units, is an error: a
    /// charge is never saturated or wrapped into a smaller one.
    pub fn units(&self, amount: Decimal) -> Result<Quota, ConvertError> {
        let exact = amount
            .checked_mul(self.per_unit)
            .and_then(|x| x.checked_mul(self.group_ratio))
            .ok_or(ConvertError::Overflow)?;
        let rounded = self.rounding.apply(exact, 0);
        let whole = rounded.mantissa() / 10i128.pow(rounded.scale());
        let mut units = u64::try_from(whole).map_err(|_| ConvertError::Overflow)?;
        if exact > Decimal::ZERO && units < self.minimum {
            units = self.minimum;
        }
        Ok(Quota {
            units,
            exact: exact.normalize(),
        })
    }
}

/// An amount in quota units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Quota {
    /// Whole units charged.
    pub units: u64,
    /// The exact value before rounding and the minimum.
    #[serde(with = "rust_decimal::serde::str")]
    pub exact: Decimal,
}

#[cfg(test)]
mod tests {
    use super::QuotaPolicy;

    #[test]
    fn a_bad_currency_code_is_reported_at_the_code() {
        let text = r#"{"currency": "usd", "per_unit": "500000", "group_ratio": "1", "rounding": "nearest", "minimum": 1}"#;
        let e = serde_json::from_str::<QuotaPolicy>(text).unwrap_err();
        assert!(
            e.to_string().contains("`usd` is not a currency code"),
            "{e}"
        );
        // Just past the code, not at the end of the record.
        assert_eq!((e.line(), e.column()), (1, 18));
        assert_eq!(crate::json_path::at(text.as_bytes(), &e), "currency");
    }
}
