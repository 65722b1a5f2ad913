//! `tariff`: the command-line face of the library. It parses arguments, calls the
//! library and prints; all pricing logic lives in the library. Each subcommand has its
//! own module; this file only declares the command line and dispatches.

#[macro_use]
mod out;
mod atomic;
mod classify;
mod count;
mod estimate;
mod export;
mod import;
mod input;
mod models;
mod newapi_db;
mod quote;
mod reconcile;
mod serve;
mod sources;
mod synth;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use tariff::extract::Api;

use crate::input::api_parser;

#[derive(Parser)]
#[command(
    name = "tariff",
    version,
    about = "Exact, itemized prices for LLM API requests"
)]
struct Cli {
    /// Extra price tables (a .toml file or a directory of them), loaded on top of the built-in ones.
    #[arg(long = "prices", global = true, value_name = "PATH")]
    prices: Vec<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Price a canonical usage record (from FILE, stdin, or --usage).
    Quote(Box<quote::QuoteArgs>),
    /// Print the canonical usage record metered from a provider response body or SSE stream.
    Meter {
        /// The response format (the API family of the body).
        #[arg(long, value_parser = api_parser())]
        api: Api,
        /// The request that produced the response, for families priced from the request.
        #[arg(long, value_name = "FILE")]
        request: Option<PathBuf>,
        /// The response body or saved SSE stream, or `-` for stdin.
        file: Option<String>,
    },
    /// Count the tokens of a text (exact, for models with a public tokenizer).
    Count {
        /// Model id; its tokenizer comes from tokens/models.toml.
        #[arg(long, required_unless_present = "encoding")]
        model: Option<String>,
        /// Use this encoding instead: o200k_base, o200k_harmony, cl100k_base.
        #[arg(long)]
        encoding: Option<String>,
        /// Print JSON instead of a number.
        #[arg(long)]
        json: bool,
        /// The text, or `-` for stdin.
        file: Option<String>,
    },
    /// Classify a failed request: whose fault it was and what to do with the hold.
    Classify {
        /// HTTP status of the failed response (0 when there was none).
        #[arg(long)]
        status: u16,
        /// Operator rules (TOML, the format of outcomes/rules.toml), tried before the
        /// built-in ones; a rule with a built-in id replaces it. Repeatable; later files win.
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The error body given inline, as text (instead of FILE).
        #[arg(long, value_name = "TEXT", conflicts_with = "file")]
        body: Option<String>,
        /// A file holding the error body, or `-` (or nothing) for stdin.
        file: Option<String>,
    },
    /// List the priced models.
    Models {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Only this provider's models.
        #[arg(long)]
        provider: Option<String>,
        /// List every price change in the tables instead (model, bucket, old -> new, effective date, source).
        #[arg(long)]
        changes: bool,
        /// With --changes: only changes effective at or after this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long, requires = "changes")]
        since: Option<String>,
    },
    /// Compare the tables with LiteLLM or genai-prices, and check the disagreements file.
    Sources {
        #[command(subcommand)]
        command: sources::SourcesCommand,
    },
    /// Re-price logged requests at the prices in force when they ran and explain every difference.
    Reconcile(Box<reconcile::ReconcileArgs>),
    /// Write realistic synthetic logs (seeded), optionally with known discrepancies.
    Synth(synth::SynthArgs),
    /// Estimate a request before sending it: the usage bound and the price to hold.
    Estimate(Box<estimate::EstimateArgs>),
    /// Validate price tables: the given files or directories on top of the built-in tables
    /// (as `--prices` loads them), or the built-in tables alone.
    Check {
        /// Files or directories to check, loaded after the built-in tables.
        paths: Vec<PathBuf>,
        /// Check the given tables alone, without the built-in ones: `tariff check
        /// --no-builtin pricing/openai.toml` reads a built-in table from its TOML file, with
        /// line numbers (the library embeds it as JSON, whose problems have none).
        #[arg(long)]
        no_builtin: bool,
    },
    /// Convert new-api ratio options or LiteLLM's price map into price tables.
    Import(Box<import::ImportArgs>),
    /// Write the price tables as new-api ratio options or its /api/pricing shape.
    Export(Box<export::ExportArgs>),
    /// Run the billing service: quotes, metering and a durable hold/settle ledger over
    /// HTTP (bearer tokens from TARIFF_TOKENS as scope:token pairs).
    Serve(Box<serve::ServeArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Check { paths, no_builtin } => models::check(&paths, !no_builtin),
        Command::Models {
            json,
            provider,
            changes,
            since,
        } => {
            let catalog = input::catalog(&cli.prices)?;
            if changes {
                let since = since.as_deref().map(input::parse_time).transpose()?;
                models::changes(&catalog, json, provider.as_deref(), since)
            } else {
                models::list(&catalog, json, provider.as_deref())
            }
        }
        Command::Sources { command } => {
            let catalog = input::catalog(&cli.prices)?;
            sources::run(&catalog, command)
        }
        Command::Count {
            model,
            encoding,
            json,
            file,
        } => count::run(model.as_deref(), encoding.as_deref(), json, file.as_deref()),
        Command::Classify {
            status,
            rules,
            json,
            body,
            file,
        } => classify::run(status, &rules, json, body, file.as_deref()),
        Command::Meter { api, request, file } => {
            let body = input::read_body(file.as_deref())?;
            let request = input::read_request(request.as_deref())?;
            let usage = tariff::extract::extract_with_request(api, &body, request.as_deref())?;
            println!("{}", usage.to_json());
            Ok(())
        }
        Command::Reconcile(args) => {
            let catalog = input::catalog(&cli.prices)?;
            reconcile::run(&catalog, *args)
        }
        Command::Synth(args) => {
            let catalog = input::catalog(&cli.prices)?;
            synth::run(&catalog, args)
        }
        Command::Quote(args) => {
            let catalog = input::catalog(&cli.prices)?;
            quote::run(&catalog, *args)
        }
        Command::Import(args) => {
            let catalog = input::catalog(&cli.prices)?;
            import::run(&catalog, &cli.prices, *args)
        }
        Command::Export(args) => {
            let catalog = input::catalog(&cli.prices)?;
            export::run(&catalog, *args)
        }
        Command::Serve(args) => serve::run(&cli.prices, *args),
        Command::Estimate(args) => {
            let catalog = input::catalog(&cli.prices)?;
            estimate::run(&catalog, *args)
        }
    }
}
