//! Typed errors. Each names what was wrong (field, model, file and line) and none carries
//! a price: a bad input is never quoted.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::unit::Unit;
use crate::usage::ServiceTier;

/// A usage record that cannot be priced as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// Malformed JSON, an unknown field, or a value of the wrong kind.
    #[error("usage{}: {message} (line {line}, column {column})", at_path(path))]
    Json {
        /// JSON path of the offending value (`images[0].count`), empty at the top level.
        path: String,
        /// 1-based line in the input.
        line: usize,
        /// 1-based column in the input.
        column: usize,
        /// What was wrong.
        message: String,
    },
    /// Numbers that contradict each other.
    #[error("usage field `{field}`: {detail}")]
    Inconsistent {
        /// The field at fault.
        field: String,
        /// What does not add up.
        detail: String,
    },
}

fn at_path(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" field `{path}`")
    }
}

/// A request that the catalog cannot price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// No model has this id, alias or pattern.
    #[error("unknown model `{model}`{}", crate::suggest::did_you_mean(&known.closest(model)))]
    UnknownModel {
        /// The id asked for.
        model: String,
        /// The catalog's names, from which the closest are suggested when the error is
        /// rendered ([`KnownNames::closest`]), not when it is made: an unknown name costs
        /// a caller that does not render it no more than a known one.
        known: KnownNames,
    },
    /// The model has no price in force at the time of the request.
    #[error("model `{model}` has no {tier} price in force at {at}; priced periods: {}", periods.join(", "))]
    NoPriceAt {
        /// The model.
        model: String,
        /// The time asked for.
        at: DateTime<Utc>,
        /// The service tier asked for.
        tier: ServiceTier,
        /// The periods that are priced, as text.
        periods: Vec<String>,
    },
    /// The model is not priced for this service tier.
    #[error("model `{model}` has no `{tier}` service tier; it has: {}", available.join(", "))]
    UnpricedServiceTier {
        /// The model.
        model: String,
        /// The tier asked for.
        tier: ServiceTier,
        /// The tiers it has.
        available: Vec<String>,
    },
    /// The model is priced by region and this region is not one of them.
    #[error("model `{model}` is not priced in region `{region}`; regions: {}", available.join(", "))]
    UnknownRegion {
        /// The model.
        model: String,
        /// The region asked for (empty when none was given and one is needed).
        region: String,
        /// The regions it is priced in.
        available: Vec<String>,
    },
    /// The usage has a unit the model's price has no rate (or fallback) for.
    #[error("model `{model}` has no price for `{unit}` (quantity {quantity}); it prices: {}", priced.join(", "))]
    UnpricedUnit {
        /// The model.
        model: String,
        /// The unit without a rate.
        unit: Unit,
        /// How much of it the usage had.
        quantity: String,
        /// The units the model does price.
        priced: Vec<String>,
    },
    /// The usage names a variant (image size/quality, video resolution) with no price.
    #[error("model `{model}` has no `{unit}` price for {wanted}; priced variants: {}", available.join("; "))]
    UnpricedVariant {
        /// The model.
        model: String,
        /// `images` or `video_seconds`.
        unit: Unit,
        /// The variant asked for, as text.
        wanted: String,
        /// The variants that are priced.
        available: Vec<String>,
    },
    /// The request falls in a context tier the vendor publishes no price for.
    #[error("model `{model}` has no published {service_tier} price for requests in tier `{tier}`")]
    UnpricedTier {
        /// The model.
        model: String,
        /// The context tier's name.
        tier: String,
        /// The service tier asked for.
        service_tier: ServiceTier,
    },
    /// An amount too large for exact decimal arithmetic.
    #[error("model `{model}`: the amount for `{unit}` overflows exact decimal arithmetic")]
    Overflow {
        /// The model.
        model: String,
        /// The unit whose amount overflowed.
        unit: Unit,
    },
    /// The model prices a unit only under request options, and none of them matches the
    /// usage's (e.g. a Midjourney action with no price).
    #[error("model `{model}` prices `{unit}` only under the options {}; the usage has {}", options.join(", "), if given.is_empty() { "no options".to_string() } else { given.join(", ") })]
    NoMatchingOption {
        /// The model.
        model: String,
        /// The unit without a rate.
        unit: Unit,
        /// The usage's options, as `key=value`.
        given: Vec<String>,
        /// The options that price the unit.
        options: Vec<String>,
    },
    /// The request chose an option (e.g. video without audio) the vendor publishes no price for.
    #[error("model `{model}` has no published price for requests with option `{option}`")]
    UnpricedOption {
        /// The model.
        model: String,
        /// The option rule's name, e.g. `audio=false`.
        option: String,
    },
}

/// The names a catalog resolves (ids and aliases, each with its model's id), shared with
/// the [`PriceError::UnknownModel`] errors it returns so that suggestions are computed only
/// when one is rendered.
#[derive(Clone, Default)]
pub struct KnownNames(pub(crate) Arc<[(Box<str>, Arc<str>)]>);

impl KnownNames {
    /// Up to five model ids whose names (ids and aliases) are closest to `name`, best
    /// first, by [`suggest::similar`](crate::suggest::similar)'s rule.
    ///
    /// Its cost is the catalog's number of names times at most
    /// [`MAX_COMPARED_CHARS`](crate::suggest::MAX_COMPARED_CHARS) characters of `name`:
    /// meant for an error message, not a request's hot path.
    pub fn closest(&self, name: &str) -> Vec<String> {
        /// A name with its model's id, compared by the name.
        struct Named<'a>(&'a (Box<str>, Arc<str>));
        impl AsRef<str> for Named<'_> {
            fn as_ref(&self) -> &str {
                &self.0 .0
            }
        }
        let names: Vec<Named<'_>> = self.0.iter().map(Named).collect();
        let mut out: Vec<String> = Vec::new();
        for Named((_, id)) in crate::suggest::similar(name, &names, usize::MAX) {
            // Suggest canonical ids: an alias stands for its model.
            if !out.iter().any(|o| **o == **id) {
                out.push(id.to_string());
            }
            if out.len() == 5 {
                break;
            }
        }
        out
    }
}

impl fmt::Debug for KnownNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KnownNames({} names)", self.0.len())
    }
}

/// Two errors' name lists are equal when they are the same catalog's.
impl PartialEq for KnownNames {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for KnownNames {}

/// A converting a bill to another currency or to quota units failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The FX table has no rate for this pair at this date.
    #[error("no exchange rate {from}->{to} in force at {at}")]
    NoRate {
        /// Currency of the bill.
        from: String,
        /// Currency asked for.
        to: String,
        /// The date of the bill.
        at: String,
    },
    /// An amount too large for exact decimal arithmetic.
    #[error("the converted amount overflows exact decimal arithmetic")]
    Overflow,
}

/// An exchange-rate table (or one rate) that cannot be used: a conversion at it would give a
/// negative, free or ambiguous bill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FxError {
    /// The text is not a JSON list of rates.
    #[error("FX table: {path}: {message} (line {line}, column {column})")]
    Json {
        /// The JSON path to the value (`[2].rate`), empty for the whole text.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A rate of zero or below: it would make bills free or negative.
    #[error("FX rate {from}->{to} on {date} is {rate}; a rate must be positive")]
    NotPositive {
        /// The currency converted from.
        from: String,
        /// The currency converted to.
        to: String,
        /// The rate's first day.
        date: String,
        /// The rate as given.
        rate: String,
    },
    /// Two rates for the same pair and day: which one a bill used would be a guess.
    #[error("FX rate {from}->{to} on {date} is given twice ({first} and {second})")]
    Duplicate {
        /// The currency converted from.
        from: String,
        /// The currency converted to.
        to: String,
        /// The day both rates start.
        date: String,
        /// The first rate given.
        first: String,
        /// The second rate given.
        second: String,
    },
    /// A rate from a currency to itself.
    #[error("FX rate {currency}->{currency} on {date}: a currency is not converted to itself")]
    SameCurrency {
        /// The currency.
        currency: String,
        /// The rate's first day.
        date: String,
    },
    /// An inverse rate that does not fit exact decimal arithmetic at the places asked.
    #[error("the inverse of FX rate {from}->{to} {rate} does not fit exact decimal arithmetic at {places} places")]
    Inverse {
        /// The currency converted from.
        from: String,
        /// The currency converted to.
        to: String,
        /// The rate.
        rate: String,
        /// The decimal places asked for.
        places: u32,
    },
}

/// One problem found in a price table, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (or the name given to a table read from text).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// Which class of problem it is, for callers that act on it rather than print it.
    pub kind: ProblemKind,
}

/// The class of a [`Problem`] in a price table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The table's content is invalid (syntax, an unknown unit, overlapping schedules...).
    Invalid,
    /// The file could not be read.
    Io,
    /// The file (or text) is larger than the limit, in bytes, a table may have.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The path is neither a regular file nor a directory (a device, a pipe...).
    NotAFile,
    /// A name (model id, alias, pattern, provider) holds a control character.
    ControlCharacter,
    /// A number cannot be held exactly as a decimal (too many digits, or out of range).
    InexactNumber,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Price tables that failed to load or validate: every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) in the price tables:", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogError {}
