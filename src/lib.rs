//! # tariff
//!
//! Exact, itemized, explainable prices for every request an LLM API relay handles.
//!
//! This crate gathers tariff's crates under one name, at the paths the library has always
//! had; each can also be used on its own:
//!
//! - [`tariff_core`]: usage records, units, exact money, the catalog of price tables and
//!   the engine (`Catalog::quote`) — what a relay links to quote;
//! - [`tariff_tokenizer`] ([`tokens`]): tiktoken's encodings, exact;
//! - [`tariff_metering`] ([`extract`]: answers → usage, and [`extract::detect`], which
//!   says what a pasted body is; [`estimate`]: requests → bound, for a resolved model);
//! - [`tariff_operations`] ([`ledger`], [`outcome`], [`reconcile`], [`convert`],
//!   [`sources`], and `synth` with the feature `synth`).
//!
//! Data flows one way: a vendor's usage report becomes a canonical [`Usage`] record
//! (exclusive buckets: nothing counted twice), the [`Catalog`] of price tables (data, not
//! code: every price has a source and a date) finds the rates in force at the record's
//! time, and the engine returns a [`Bill`] whose lines are exact decimals that add up to its
//! total. [`tariff_core`]'s documentation explains each of these.
//!
//! A relay's path, in order (`cargo run --example relay` runs it in process):
//!
//! 1. **resolve** the model a request names: [`Catalog::resolve`] (no allocation);
//! 2. **estimate** the request's worst case, [`estimate::estimate`], price it with
//!    [`price::quote`] and **hold** it: [`ledger::Ledger::hold`];
//! 3. **meter** the upstream's answer ([`extract::extract`], or a stream's events) and
//!    **settle** at its price: [`ledger::Ledger::settle`];
//! 4. on a failure, **classify** it ([`outcome::classify`]) and **refund** the hold:
//!    [`ledger::Ledger::refund`].
//!
//! ```
//! use tariff::{Catalog, Usage};
//!
//! let usage = Usage::from_json(r#"{
//!     "input_tokens": 1000, "cache_write_tokens": 2000, "cache_write_1h_tokens": 500,
//!     "cache_read_tokens": 3000, "output_tokens": 400, "at": "2025-11-01T00:00:00Z"
//! }"#)?;
//! let bill = Catalog::builtin().quote("claude-sonnet-4-5-20250929", &usage)?;
//! assert_eq!(bill.model(), "claude-sonnet-4-5");
//! assert_eq!(bill.total().to_string(), "0.0204");
//! for line in bill.lines() {
//!     println!("{:<24} {:>8} × {}/{} = {}", line.item(), line.quantity(), line.unit_price(), line.per(), line.amount());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub use tariff_core::{catalog, price, strict};
pub use tariff_metering::{estimate, extract};
#[cfg(feature = "synth")]
pub use tariff_operations::synth;
pub use tariff_operations::{convert, ledger, outcome, reconcile, sources};
pub use tariff_tokenizer as tokens;

pub use tariff_core::{
    Applied, Bill, Catalog, CatalogBuilder, CatalogError, ConvertError, Count, Currency, FxError,
    FxRate, FxTable, ImageCount, Kind, Line, Model, PriceError, Problem, ProblemKind, Quota,
    QuotaPolicy, Rounding, Seconds, ServiceTier, Tokens, Unit, Usage, UsageError, COUNT_BUCKETS,
    MAX_COUNT,
};

pub use tariff_core;
pub use tariff_metering;
pub use tariff_operations;
pub use tariff_tokenizer;
