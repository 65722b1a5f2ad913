//! `tariff serve`: the billing service over HTTP (the `tariff-serve` crate does the work).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::{Args, ValueEnum};
use tariff::ledger::HoldPolicy;

/// How holds are sized.
#[derive(Clone, Copy, ValueEnum)]
pub enum Holds {
    /// Hold the whole estimate (the request's worst case).
    Full,
    /// Hold only the estimate's input side.
    Prompt,
    /// new-api's: refuse as `full` does, but hold nothing above $10 of balance.
    NewApi,
}

/// Arguments of `tariff serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free one; the address is printed).
    #[arg(long, default_value = tariff_serve::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// The ledger database: sqlite://PATH (created on first start) or postgres://...
    #[arg(long, default_value = tariff_serve::DEFAULT_DB)]
    db: String,
    /// Serve without bearer tokens (allowed only on a loopback address).
    #[arg(long)]
    no_auth: bool,
    /// The largest request body in bytes (larger ones get 413).
    #[arg(long, default_value_t = tariff_serve::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// How holds are sized.
    #[arg(long, value_enum, default_value = "full")]
    holds: Holds,
}

/// Runs the service until SIGTERM or SIGINT. Tokens come from `TARIFF_TOKENS`.
pub fn run(prices: &[PathBuf], a: ServeArgs) -> Result<()> {
    let tokens = tariff_serve::Tokens::parse(&std::env::var("TARIFF_TOKENS").unwrap_or_default())
        .map_err(|e| anyhow!(e))?;
    let config = tariff_serve::Config {
        listen: a.listen,
        db: a.db,
        prices: prices.to_vec(),
        tokens,
        no_auth: a.no_auth,
        body_limit: a.body_limit,
        hold_policy: match a.holds {
            Holds::Full => HoldPolicy::FullBound,
            Holds::Prompt => HoldPolicy::PromptOnly,
            Holds::NewApi => HoldPolicy::new_api(),
        },
    };
    tariff_serve::run_blocking(config).map_err(|e| anyhow!(e))
}
