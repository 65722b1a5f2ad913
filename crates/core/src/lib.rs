//! # tariff-core
//!
//! The pricing core of tariff: turns what an LLM API request consumed into an exact,
//! itemized bill, at the prices in force when it ran. No tokenizer, no thread pool, no
//! command line: what a relay links to quote.
//!
//! Four ideas, in the order data flows (usage → catalog → engine → bill):
//!
//! ## 1. Usage: exclusive buckets
//!
//! A [`Usage`] record says how much of each [`Unit`] a request consumed, in buckets that
//! never overlap: `input_tokens` are the fresh input only, `cache_read_tokens` the input
//! served from cache, `output_tokens` exclude `reasoning_tokens`, and so on. Vendors report
//! overlapping totals (OpenAI's `prompt_tokens` includes the cached ones); the extractors of
//! tariff-metering split them, so that no token is counted, or priced, twice. Counts are
//! checked integers ([`Tokens`], [`Count`], at most [`MAX_COUNT`]) or exact decimals
//! ([`Seconds`]), never floats.
//!
//! ```
//! use tariff_core::{Unit, Usage};
//! let usage = Usage::from_json(r#"{"input_tokens": 1200, "cache_read_tokens": 24000,
//!     "output_tokens": 650, "at": "2025-11-01T00:00:00Z"}"#)?;
//! assert_eq!(usage.tokens(Unit::CacheReadTokens), 24_000);
//! // A count that is not a whole number is an error naming the field, not a rounding.
//! let err = Usage::from_json(r#"{"input_tokens": 1.5}"#).unwrap_err();
//! assert!(err.to_string().contains("input_tokens"), "{err}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## 2. The catalog: prices are data
//!
//! A [`Catalog`] holds price tables (TOML: the built-in `pricing/*.toml`, plus a relay's
//! own through [`CatalogBuilder`]). Each model has schedules, one per service tier (and
//! region) and period, and every schedule says where its prices were read (`source`) and
//! when (`as_of`). A table with a problem is refused whole, with every problem listed
//! ([`CatalogError`]). [`Catalog::resolve`] finds a model by id, alias or pattern, ignoring
//! ASCII case, without allocating.
//!
//! ```
//! use tariff_core::Catalog;
//! let catalog = Catalog::builder().builtin().text("relay.toml", r#"
//! provider = "relay"
//! currency = "USD"
//! [[model]]
//! id = "house-model"
//! aliases = ["house"]
//! [[model.price]]
//! source = "our price list, 2025-10"
//! as_of = 2025-10-01
//! rates = { input_tokens = 0.5, output_tokens = 2 }
//! "#).build()?;
//! assert_eq!(catalog.resolve("HOUSE").map(|m| m.id()), Some("house-model"));
//! assert_eq!(catalog.resolve("gpt-4o-2024-08-06").map(|m| m.id()), Some("gpt-4o"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## 3. The engine: the rates in force, at the record's time
//!
//! [`price::quote`] (or [`Catalog::quote`], which resolves the name first) selects the
//! schedule for the usage's service tier and region in force at the usage's `at` — the only
//! time a quote has — then the context tier, time window and option rule that apply, and
//! prices each unit: `quantity × price / per`, exactly. A unit the schedule does not price is
//! an error ([`PriceError`]), never a zero.
//!
//! ## 4. The bill: exact, itemized, and whole
//!
//! A [`Bill`] has one [`Line`] per unit (and variant) and a total that is the sum of the
//! lines' amounts, by construction: only the engine makes bills, and their fields are read
//! through methods. Money is `rust_decimal::Decimal` end to end (JSON included: amounts are
//! strings). [`Bill::convert`] changes currency at a dated rate ([`FxTable`]); [`Bill::quota`]
//! gives a relay's quota units ([`QuotaPolicy`]).
//!
//! ```
//! use tariff_core::{Catalog, QuotaPolicy, Unit, Usage};
//!
//! let usage = Usage::from_json(r#"{
//!     "input_tokens": 1000, "cache_write_tokens": 2000, "cache_write_1h_tokens": 500,
//!     "cache_read_tokens": 3000, "output_tokens": 400, "at": "2025-11-01T00:00:00Z"
//! }"#)?;
//! let bill = Catalog::builtin().quote("claude-sonnet-4-5-20250929", &usage)?;
//! assert_eq!(bill.model(), "claude-sonnet-4-5");
//! // 1000 × $3/M + 2000 × $3.75/M + 500 × $6/M + 3000 × $0.30/M + 400 × $15/M
//! assert_eq!(bill.total().to_string(), "0.0204");
//! assert_eq!(bill.total(), bill.lines().iter().map(|l| l.amount()).sum());
//! let out = bill.lines().iter().find(|l| l.unit() == Unit::OutputTokens).unwrap();
//! assert_eq!((out.quantity().to_string(), out.amount().to_string()), ("400".into(), "0.006".into()));
//! assert_eq!(bill.quota(&QuotaPolicy::new_api())?.units, 10_200); // 500,000 per USD
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
pub mod suggest;
#[doc(hidden)]
pub mod unit;
#[doc(hidden)]
pub mod usage;

pub use bill::{Applied, Bill, Line, INLINE_LINES};
pub use catalog::{Catalog, CatalogBuilder, Kind, Model};
pub use error::{
    CatalogError, ConvertError, FxError, KnownNames, PriceError, Problem, ProblemKind, UsageError,
};
pub use money::{Currency, FxRate, FxTable, Quota, QuotaPolicy, Rounding};
pub use unit::Unit;
pub use usage::{Count, ImageCount, Seconds, ServiceTier, Tokens, Usage, COUNT_BUCKETS, MAX_COUNT};
