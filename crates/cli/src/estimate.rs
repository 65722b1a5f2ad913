//! `tariff estimate`: a request body in, the most it can cost out (the hold).

use anyhow::Result;
use clap::Args;
use tariff::estimate::Basis;
use tariff::extract::Api;
use tariff::{Catalog, QuotaPolicy};

use crate::input::{api_parser, parse_time, read_body};
use crate::quote::print_bill;

/// Arguments of `tariff estimate`.
#[derive(Args)]
pub struct EstimateArgs {
    /// The request format (every family `tariff quote` reads; see the README for which
    /// requests fix their bill).
    #[arg(long, value_parser = api_parser())]
    api: Api,
    /// Model id (Gemini requests do not name it; relays may rename it).
    #[arg(long)]
    model: String,
    /// Price at this time (RFC 3339, or a date YYYY-MM-DD); default now.
    #[arg(long)]
    at: Option<String>,
    /// Print JSON (the estimate, the bill and its quota units) instead of tables.
    #[arg(long)]
    json: bool,
    /// The request body, or `-` for stdin: read as bytes, since a multipart request
    /// (transcription, image edit) carries binary file parts.
    file: Option<String>,
}

/// Estimates the request, prices the bound and prints both.
pub fn run(catalog: &Catalog, a: EstimateArgs) -> Result<()> {
    let body = read_body(a.file.as_deref())?;
    // Resolved in the catalog `--prices` extends, so a relay's own model (its `encoding`
    // and `max_output_tokens`) estimates as a built-in one does.
    let est = tariff::estimate::estimate_in(catalog, a.api, &a.model, &body)?;
    let mut usage = est.usage.clone();
    if let Some(at) = &a.at {
        usage.at = Some(parse_time(at)?);
    }
    // The estimate is worth showing even when the model has no price: print it, then fail.
    let bill = catalog.quote(&a.model, &usage);
    if a.json {
        let (bill_json, quota, error) = match &bill {
            Ok(b) => (
                serde_json::to_value(b)?,
                b.quota(&QuotaPolicy::new_api()).ok(),
                None,
            ),
            Err(e) => (serde_json::Value::Null, None, Some(e.to_string())),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "estimate": est,
                "bill": bill_json,
                "quota": quota,
                "price_error": error,
            }))?
        );
        bill?;
        return Ok(());
    }
    // Media requests hold quantities (seconds, images, characters) rather than tokens.
    let media = est.input_tokens() == 0 && est.output_bound() == 0;
    if media {
        println!(
            "{} request for {}: ESTIMATE, an upper bound (quantities read from the request)",
            est.api, est.model
        );
    } else {
        println!(
            "{} request for {} (text counted with {}): ESTIMATE, an upper bound",
            est.api, est.model, est.counter
        );
        println!(
            "  input {} tokens ({}), output at most {} tokens",
            est.input_tokens(),
            if est.input_is_exact() {
                "exact"
            } else {
                "partly estimated"
            },
            est.output_bound()
        );
    }
    println!();
    let width = est
        .parts
        .iter()
        .map(|p| p.what.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let amount = if media { "quantity" } else { "tokens" };
    println!("  {:<width$}  {:>9}  {:<9}  how", "part", amount, "basis");
    for p in &est.parts {
        let flag = if matches!(p.basis, Basis::Exact | Basis::Formula | Basis::Bound) {
            ""
        } else {
            " *"
        };
        println!(
            "  {:<width$}  {:>9}  {:<9}  {}{flag}",
            p.what, p.tokens, p.basis, p.note
        );
    }
    println!();
    let bill = bill?;
    print_bill(catalog, &bill);
    if let Ok(q) = bill.quota(&QuotaPolicy::new_api()) {
        println!("hold: {} quota units at new-api's 500,000 per USD", q.units);
    }
    Ok(())
}
