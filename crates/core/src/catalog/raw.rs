//! The price-table files as written: serde shapes of the TOML, with spans kept so that
//! every problem can be reported with its line.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::value::Datetime;

#[cfg(not(feature = "embed-json"))]
pub use toml::Spanned;

/// A value with its place in the file where the parser reports places; the JSON form of
/// the built-in tables (feature `embed-json`) has none, and this stands in with an empty
/// span so that the loader is the same code either way.
#[cfg(feature = "embed-json")]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Spanned<T>(T);

#[cfg(feature = "embed-json")]
impl<T> Spanned<T> {
    pub fn span(&self) -> std::ops::Range<usize> {
        0..0
    }
    pub fn get_ref(&self) -> &T {
        &self.0
    }
    pub fn into_inner(self) -> T {
        self.0
    }
}

#[cfg(feature = "embed-json")]
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Spanned)
    }
}

/// A map of unit name to rate, as written under `rates`.
pub type RawRates = BTreeMap<Spanned<String>, Spanned<RawRate>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub provider: Spanned<String>,
    /// The provider's display name; documentation for readers of the file.
    #[serde(default)]
    #[allow(dead_code)]
    pub name: Option<String>,
    pub currency: Spanned<String>,
    #[serde(default)]
    pub fallbacks: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default, rename = "model")]
    pub models: Vec<Spanned<RawModel>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub id: Spanned<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    #[serde(default)]
    pub aliases: Vec<Spanned<String>>,
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    #[serde(default)]
    pub fallbacks: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub default_region: Option<Spanned<String>>,
    #[serde(default)]
    pub replaces: bool,
    #[serde(default)]
    pub encoding: Option<Spanned<String>>,
    #[serde(default)]
    pub max_output_tokens: Option<Spanned<i64>>,
    #[serde(default)]
    pub formula: Option<Spanned<String>>,
    #[serde(default, rename = "price")]
    pub prices: Vec<Spanned<RawSchedule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    #[serde(default)]
    pub from: Option<Spanned<Datetime>>,
    #[serde(default)]
    pub until: Option<Spanned<Datetime>>,
    #[serde(default)]
    pub service_tier: Option<Spanned<String>>,
    #[serde(default)]
    pub region: Option<Spanned<String>>,
    #[serde(default)]
    pub currency: Option<Spanned<String>>,
    pub source: Spanned<String>,
    pub as_of: Spanned<Datetime>,
    #[serde(default)]
    pub scale: Option<Spanned<RawNumber>>,
    #[serde(default)]
    pub unscaled: Vec<Spanned<String>>,
    #[serde(default)]
    pub rates: RawRates,
    #[serde(default, rename = "tier")]
    pub tiers: Vec<Spanned<RawTier>>,
    #[serde(default, rename = "window")]
    pub windows: Vec<Spanned<RawWindow>>,
    #[serde(default, rename = "option")]
    pub options: Vec<Spanned<RawOption>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTier {
    pub name: Spanned<String>,
    pub above: Spanned<u64>,
    pub counts: Vec<Spanned<String>>,
    #[serde(default)]
    pub rates: RawRates,
    #[serde(default)]
    pub unpriced: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWindow {
    pub name: Spanned<String>,
    pub utc_offset: Spanned<String>,
    pub start: Spanned<String>,
    pub end: Spanned<String>,
    #[serde(default)]
    pub days: Option<Vec<Spanned<String>>>,
    pub rates: RawRates,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOption {
    #[serde(default)]
    pub name: Option<String>,
    pub when: BTreeMap<String, String>,
    #[serde(default)]
    pub tier: Option<Spanned<String>>,
    #[serde(default)]
    pub rates: RawRates,
    #[serde(default)]
    pub unpriced: Option<Spanned<bool>>,
}

/// A number written as an integer, a float or a decimal string. The second field is set
/// when it was an unquoted float: its value here went through `f64` (`1e-30` reads as 0,
/// `1.0000000000000001` as 1), so the loader reads it again, exactly, from the text at its
/// span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RawNumber(pub Decimal, pub bool);

impl<'de> Deserialize<'de> for RawNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = RawNumber;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a decimal string")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawNumber, E> {
        Ok(RawNumber(v.into(), false))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawNumber, E> {
        Ok(RawNumber(v.into(), false))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawNumber, E> {
        if !v.is_finite() {
            return Err(E::custom("a price must be a finite number"));
        }
        // A stand-in until the loader reads the literal (see `RawNumber`): the shortest
        // text of the float. A float even that text cannot hold exactly (1e-30) is
        // refused here already.
        parse_decimal(&v.to_string())
            .map(|d| RawNumber(d, true))
            .map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawNumber, E> {
        parse_decimal(v)
            .map(|d| RawNumber(d, false))
            .map_err(E::custom)
    }
}

/// Reads a number's text exactly (TOML allows `_` between digits); text a decimal cannot
/// hold digit for digit is refused, never rounded.
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.trim().replace('_', "");
    crate::money::parse_exact(&t)
        .map(|d| d.normalize())
        .map_err(|e| format!("`{s}` cannot be read exactly: {e}"))
}

/// A rate as written: a bare price, `{ price, per }`, or a list of variants.
pub enum RawRate {
    /// A bare price's span is the rate's own.
    Price {
        price: Spanned<RawNumber>,
        per: Option<Spanned<RawNumber>>,
        bare: bool,
    },
    Variants(Vec<RawVariant>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVariant {
    #[serde(default)]
    pub size: Option<String>,
    #[serde(default)]
    pub quality: Option<String>,
    #[serde(default)]
    pub resolution: Option<String>,
    pub price: Spanned<RawNumber>,
    #[serde(default)]
    pub per: Option<Spanned<RawNumber>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPriceTable {
    price: Spanned<RawNumber>,
    #[serde(default)]
    per: Option<Spanned<RawNumber>>,
}

impl<'de> Deserialize<'de> for RawRate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RateVisitor)
    }
}

struct RateVisitor;

impl<'de> Visitor<'de> for RateVisitor {
    type Value = RawRate;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a price (number or decimal string), a table { price, per }, or a list of variants",
        )
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawRate, E> {
        NumberVisitor.visit_i64(v).map(bare)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawRate, E> {
        NumberVisitor.visit_u64(v).map(bare)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawRate, E> {
        NumberVisitor.visit_f64(v).map(bare)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawRate, E> {
        NumberVisitor.visit_str(v).map(bare)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawRate, A::Error> {
        let t = RawPriceTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(RawRate::Price {
            price: t.price,
            per: t.per,
            bare: false,
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawRate, A::Error> {
        let v = Vec::<RawVariant>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok(RawRate::Variants(v))
    }
}

fn bare(price: RawNumber) -> RawRate {
    RawRate::Price {
        price: spanless(price),
        per: None,
        bare: true,
    }
}

/// A value without a place of its own (a bare price takes its rate's).
#[cfg(not(feature = "embed-json"))]
fn spanless<T>(v: T) -> Spanned<T> {
    Spanned::new(0..0, v)
}

#[cfg(feature = "embed-json")]
fn spanless<T>(v: T) -> Spanned<T> {
    Spanned(v)
}
