//! # tariff
//!
//! Exact, itemized, explainable prices for every request an LLM API relay handles.
//!
//! Data flows one way: a vendor's usage report becomes a canonical [`Usage`] record
//! (exclusive buckets: nothing counted twice), the [`Catalog`] of price tables (data, not
//! code: every price has a source and a date) finds the rates in force, and the engine
//! returns a [`Bill`] whose lines are exact decimals that add up to its total.
//!
//! ```
//! use tariff::{Catalog, Usage};
//!
//! let usage = Usage::from_json(r#"{
//!     "input_tokens": 1000, "cache_write_tokens": 2000, "cache_write_1h_tokens": 500,
//!     "cache_read_tokens": 3000, "output_tokens": 400, "at": "2025-11-01T00:00:00Z"
//! }"#)?;
//! let bill = Catalog::builtin().quote("claude-sonnet-4-5-20250929", &usage)?;
//! assert_eq!(bill.model.as_ref(), "claude-sonnet-4-5");
//! assert_eq!(bill.total.to_string(), "0.0204");
//! for line in &bill.lines {
//!     println!("{:<24} {:>8} × {}/{} = {}", line.item(), line.quantity, line.unit_price, line.per, line.amount);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod bill;
pub mod catalog;
pub mod convert;
mod data;
mod error;
pub mod estimate;
pub mod extract;
mod json_path;
pub mod ledger;
mod money;
pub mod outcome;
pub mod price;
pub mod reconcile;
pub mod sources;
pub mod strict;
pub mod synth;
pub mod tokens;
mod unit;
mod usage;

pub use bill::{Applied, Bill, Line};
pub use catalog::{Catalog, CatalogBuilder, Kind, Model};
pub use error::{
    CatalogError, ConvertError, FxError, PriceError, Problem, ProblemKind, UsageError,
};
pub use money::{Currency, FxRate, FxTable, Quota, QuotaPolicy, Rounding};
pub use unit::Unit;
pub use usage::{Count, ImageCount, Seconds, ServiceTier, Tokens, Usage, MAX_COUNT};
