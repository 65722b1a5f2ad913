//! `tariff estimate`: a request body in, the most it can cost out (the hold).

use anyhow::Result;
use clap::Args;
use tariff::estimate::Basis;
use tariff::extract::Api;
use tariff::{Catalog, QuotaPolicy};

use crate::input::{api_parser, parse_time, read_input};
use crate::quote::print_bill;

/// Arguments of `tariff estimate`.
#[derive(Args)]
pub struct EstimateArgs {
    /// The request format: openai-chat, openai-responses, openai-embeddings, anthropic, gemini.
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
    /// The request body, or `-` for stdin.
    file: Option<String>,
}

/// Estimates the request, prices the bound and prints both.
pub fn run(catalog: &Catalog, a: EstimateArgs) -> Result<()> {
    let body = read_input(a.file.as_deref())?;
    let est = tariff::estimate::estimate(a.api, &a.model, body.as_bytes())?;
    let mut usage = est.usage.clone();
    if let Some(at) = &a.at {
        usage.at = Some(parse_time(at)?);
    }
    let bill = catalog.quote(&a.model, &usage)?;
    let quota = bill.quota(&QuotaPolicy::new_api()).ok();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "estimate": est,
                "bill": bill,
                "quota": quota,
            }))?
        );
        return Ok(());
    }
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
    println!();
    let width = est
        .parts
        .iter()
        .map(|p| p.what.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("  {:<width$}  {:>9}  {:<9}  how", "part", "tokens", "basis");
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
    print_bill(catalog, &bill);
    if let Some(q) = quota {
        println!("hold: {} quota units at new-api's 500,000 per USD", q.units);
    }
    Ok(())
}
