//! # tariff-operations
//!
//! What runs around the pricing core: the [`ledger`] of holds and settlements, the
//! [`outcome`] of a failed request (who is at fault, what is billed), [`reconcile`]
//! (re-pricing logs at the prices in force when they ran), [`convert`] (importing and
//! exporting other price formats), [`sources`] (the tables against other public price
//! lists), and, with the feature `synth`, a synthetic-log generator for tests and benches.

#![warn(missing_docs)]

pub mod convert;
pub mod ledger;
pub mod outcome;
pub mod reconcile;
pub mod sources;
#[cfg(feature = "synth")]
pub mod synth;

// The core's modules and items, under the paths these modules have always used
// (`crate::catalog`, `crate::Usage`, ...).
use tariff_core::*;
