//! # tariff-metering
//!
//! Metering for tariff: a provider's answer (a response body or a saved stream) becomes a
//! canonical usage record ([`extract`]), and a request becomes an itemized upper bound of
//! its usage before it is sent ([`estimate`]). Both read requests through [`request`],
//! which owns what they share (the API families, the bases of a count, the error types):
//! `extract` and `request` import nothing from `estimate`.
//!
//! ```
//! use tariff_metering::extract::{extract, Api};
//! let body = br#"{"object":"chat.completion","usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#;
//! let usage = extract(Api::OpenAiChat, body)?;
//! assert_eq!((usage.input_tokens.get(), usage.output_tokens.get()), (10, 5));
//! # Ok::<(), tariff_metering::extract::ExtractError>(())
//! ```

#![warn(missing_docs)]

#[path = "../embed/data.rs"]
mod data;
pub mod estimate;
pub mod extract;
mod family;
pub mod request;

// The core's modules and items and the tokenizer, under the paths these modules have always used.
use tariff_core::*;
use tariff_tokenizer as tokens;
