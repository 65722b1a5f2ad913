//! # tariff-core
//!
//! The pricing core of tariff: a canonical [`Usage`] record (exclusive buckets: nothing
//! counted twice), exact [money](Currency), the [`Catalog`] of price tables (data, not
//! code: every price has a source and a date), and the engine that turns a usage record
//! into a [`Bill`] whose lines are exact decimals that add up to its total. No tokenizer,
//! no thread pool, no command line: what a relay links to quote.
//!
//! Data flows one way: usage → catalog (the rates in force) → bill.
//!
//! ```
//! use tariff_core::{Catalog, Usage};
//!
//! let usage = Usage::from_json(r#"{
//!     "input_tokens": 1000, "cache_write_tokens": 2000, "cache_write_1h_tokens": 500,
//!     "cache_read_tokens": 3000, "output_tokens": 400, "at": "2025-11-01T00:00:00Z"
//! }"#)?;
//! let bill = Catalog::builtin().quote("claude-sonnet-4-5-20250929", &usage)?;
//! assert_eq!(bill.model(), "claude-sonnet-4-5");
//! assert_eq!(bill.total().to_string(), "0.0204");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

// Modules the other tariff crates build on. Their items are re-exported below; the
// modules are public (hidden) so that those crates can name them by path.
#[doc(hidden)]
pub mod bill;
pub mod catalog;
#[path = "../embed/data.rs"]
mod data;
#[doc(hidden)]
pub mod error;
#[doc(hidden)]
pub mod json_path;
#[doc(hidden)]
pub mod money;
pub mod price;
pub mod strict;
#[doc(hidden)]
pub mod unit;
#[doc(hidden)]
pub mod usage;

pub use bill::{Applied, Bill, Line, Lines, INLINE_LINES};
pub use catalog::{Catalog, CatalogBuilder, Kind, Model};
pub use error::{
    CatalogError, ConvertError, FxError, KnownNames, PriceError, Problem, ProblemKind, UsageError,
};
pub use money::{Currency, FxRate, FxTable, Quota, QuotaPolicy, Rounding};
pub use unit::Unit;
pub use usage::{Count, ImageCount, Seconds, ServiceTier, Tokens, Usage, MAX_COUNT};
