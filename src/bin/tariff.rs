//! `tariff`: the command-line face of the library. It parses arguments, calls the
//! library and prints; all pricing logic lives in the library.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use rust_decimal::Decimal;
use tariff::extract::Api;
use tariff::tokens::Encoding;
use tariff::{Bill, Catalog, Currency, FxTable, Kind, QuotaPolicy, Rounding, ServiceTier, Usage};

// `println!` panics when stdout is a closed pipe (`tariff models | head`); a CLI should
// just stop, as `cat` does. These shadow the std macros for this file.
macro_rules! println {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        stdout_result(writeln!(std::io::stdout().lock(), $($t)*))
    }};
}

macro_rules! print {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        stdout_result(write!(std::io::stdout().lock(), $($t)*))
    }};
}

fn stdout_result(r: std::io::Result<()>) {
    match r {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: writing to stdout: {e}");
            std::process::exit(1);
        }
    }
}

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
    Quote(Box<QuoteArgs>),
    /// Print the canonical usage record metered from a provider response body or SSE stream.
    Meter {
        /// The response format: openai-chat, openai-responses, openai-embeddings, anthropic, gemini.
        #[arg(long, value_parser = parse_api)]
        api: Api,
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
        /// The error body as text, or `-` (or nothing) for stdin.
        body: Option<String>,
    },
    /// List the priced models.
    Models {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Only this provider's models.
        #[arg(long)]
        provider: Option<String>,
    },
    /// Validate price tables: the given files or directories, or the built-in tables.
    Check {
        /// Files or directories to check (default: the built-in tables).
        paths: Vec<PathBuf>,
    },
}

#[derive(Args)]
struct QuoteArgs {
    /// Model id, alias or dated snapshot.
    #[arg(long)]
    model: String,
    /// Read FILE as this provider's response body (or saved SSE stream) instead of a usage
    /// record: openai-chat, openai-responses, openai-embeddings, anthropic, gemini.
    #[arg(long, value_parser = parse_api)]
    api: Option<Api>,
    /// The usage record as inline JSON.
    #[arg(long, conflicts_with = "file")]
    usage: Option<String>,
    /// A file holding the usage record, or `-` for stdin.
    file: Option<String>,
    /// Price at this time (RFC 3339, or a date YYYY-MM-DD); overrides the record's `at`.
    #[arg(long)]
    at: Option<String>,
    /// Service tier: standard, batch, flex or priority; overrides the record's.
    #[arg(long)]
    tier: Option<String>,
    /// Region, for regionally priced models; overrides the record's.
    #[arg(long)]
    region: Option<String>,
    /// A request option that selects a price, as KEY=VALUE (e.g. thinking=true); repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// Convert the bill to this currency (needs --fx).
    #[arg(long, requires = "fx")]
    currency: Option<String>,
    /// Exchange rates: a JSON list of {from, to, rate, date, source}.
    #[arg(long, value_name = "FILE")]
    fx: Option<PathBuf>,
    /// Also show the charge in relay quota units (new-api: 500,000 per USD).
    #[arg(long)]
    quota: bool,
    /// Group multiplier for quota units.
    #[arg(long, default_value = "1", requires = "quota")]
    group_ratio: Decimal,
    /// Rounding of quota units: floor, ceil, half_up, half_even.
    #[arg(long, default_value = "half_up", requires = "quota")]
    rounding: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
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
        Command::Check { paths } => check(&paths),
        Command::Models { json, provider } => {
            let catalog = catalog(&cli.prices)?;
            models(&catalog, json, provider.as_deref())
        }
        Command::Count {
            model,
            encoding,
            json,
            file,
        } => count(model.as_deref(), encoding.as_deref(), json, file.as_deref()),
        Command::Classify {
            status,
            rules,
            json,
            body,
        } => classify(status, &rules, json, body.as_deref()),
        Command::Meter { api, file } => {
            let body = read_input(file.as_deref())?;
            let usage = tariff::extract::extract_any(api, body.as_bytes())?;
            println!("{}", usage.to_json());
            Ok(())
        }
        Command::Quote(args) => {
            let catalog = catalog(&cli.prices)?;
            quote(&catalog, *args)
        }
    }
}

fn catalog(extra: &[PathBuf]) -> Result<std::borrow::Cow<'static, Catalog>> {
    if extra.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(Catalog::builtin()));
    }
    let mut b = Catalog::builder().builtin();
    for p in extra {
        b = b.path(p);
    }
    Ok(std::borrow::Cow::Owned(b.build()?))
}

fn check(paths: &[PathBuf]) -> Result<()> {
    let mut b = Catalog::builder();
    b = if paths.is_empty() {
        b.builtin()
    } else {
        paths.iter().fold(b, |b, p| b.path(p))
    };
    let c = b.build()?;
    let schedules: usize = c.models().iter().map(|m| m.schedules().len()).sum();
    println!(
        "ok: {} models, {} price schedules",
        c.models().len(),
        schedules
    );
    Ok(())
}

fn models(catalog: &Catalog, json: bool, provider: Option<&str>) -> Result<()> {
    let now = Utc::now();
    let list: Vec<_> = catalog
        .models()
        .iter()
        .filter(|m| provider.is_none_or(|p| m.provider() == p))
        .collect();
    if json {
        let out: Vec<_> = list
            .iter()
            .map(|m| {
                serde_json::json!({
                    "id": m.id(),
                    "name": m.name(),
                    "provider": m.provider(),
                    "kind": m.kind(),
                    "aliases": m.aliases(),
                    "patterns": m.patterns(),
                    "currency": m.current(now).map(|s| s.currency.to_string()),
                    "service_tiers": tiers_of(m),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{:<40} {:<10} {:<11} {:<8} tiers",
        "model", "provider", "kind", "currency"
    );
    for m in list {
        let kind = serde_json::to_value(m.kind())?
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ccy = m
            .current(now)
            .map(|s| s.currency.to_string())
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<40} {:<10} {:<11} {:<8} {}",
            m.id(),
            m.provider(),
            kind,
            ccy,
            tiers_of(m).join(",")
        );
    }
    Ok(())
}

fn tiers_of(m: &tariff::Model) -> Vec<&'static str> {
    let mut t: Vec<ServiceTier> = m.schedules().iter().map(|s| s.service_tier).collect();
    t.sort();
    t.dedup();
    t.into_iter().map(ServiceTier::name).collect()
}

fn count(
    model: Option<&str>,
    encoding: Option<&str>,
    json: bool,
    file: Option<&str>,
) -> Result<()> {
    let enc = match (encoding, model) {
        (Some(name), _) => Encoding::from_name(name).with_context(|| {
            format!("unknown encoding `{name}`; encodings: o200k_base, o200k_harmony, cl100k_base")
        })?,
        (None, Some(m)) => Encoding::for_model(m).with_context(|| {
            format!("no exact tokenizer is known for model `{m}`; pass --encoding to choose one")
        })?,
        (None, None) => bail!("--model or --encoding is required"),
    };
    let text = read_input(file)?;
    let n = enc.count(&text);
    if json {
        println!(
            "{}",
            serde_json::json!({ "model": model, "encoding": enc.name(), "tokens": n })
        );
    } else {
        println!("{n}");
    }
    Ok(())
}

fn classify(status: u16, rules: &[PathBuf], json: bool, body: Option<&str>) -> Result<()> {
    let body = match body {
        None | Some("-") => read_input(None)?,
        Some(text) => text.to_string(),
    };
    let mut classifier = tariff::outcome::Classifier::builtin().clone();
    for path in rules {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let overlay = tariff::outcome::Classifier::from_toml(&text)
            .with_context(|| format!("in {}", path.display()))?;
        classifier.extend(overlay);
    }
    let outcome = classifier.classify(status, &body);
    if json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{outcome}");
    }
    Ok(())
}

fn parse_api(s: &str) -> Result<Api, String> {
    Api::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Api::ALL.iter().map(|a| a.name()).collect();
        format!("unknown format `{s}`; formats: {}", names.join(", "))
    })
}

fn read_input(file: Option<&str>) -> Result<String> {
    let mut text = String::new();
    match file {
        None | Some("-") => {
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading stdin (it must be UTF-8 text)")?;
        }
        Some(path) => {
            text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {path} (it must be UTF-8 text)"))?
        }
    }
    Ok(text)
}

fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    bail!("--at `{s}` is not an RFC 3339 time or a YYYY-MM-DD date")
}

fn quote(catalog: &Catalog, a: QuoteArgs) -> Result<()> {
    let text = match &a.usage {
        Some(u) => u.clone(),
        None => read_input(a.file.as_deref())?,
    };
    let mut usage = match a.api {
        Some(api) => tariff::extract::extract_any(api, text.as_bytes())?,
        None => Usage::from_json(&text)?,
    };
    if let Some(at) = &a.at {
        usage.at = Some(parse_time(at)?);
    }
    if let Some(t) = &a.tier {
        usage.service_tier = Some(ServiceTier::parse(t).with_context(|| {
            format!("--tier `{t}` is not one of standard, batch, flex, priority")
        })?);
    }
    if let Some(r) = &a.region {
        usage.region = Some(r.clone());
    }
    for o in &a.options {
        let (k, v) = o
            .split_once('=')
            .with_context(|| format!("--option `{o}` is not KEY=VALUE"))?;
        usage.options.insert(k.to_string(), v.to_string());
    }
    let mut bill = catalog.quote(&a.model, &usage)?;
    if let Some(ccy) = &a.currency {
        let to: Currency = ccy.parse().map_err(anyhow::Error::msg)?;
        let fx_path = a.fx.as_ref().expect("clap requires --fx with --currency");
        let fx = FxTable::from_json(
            &std::fs::read_to_string(fx_path)
                .with_context(|| format!("reading {}", fx_path.display()))?,
        )
        .map_err(anyhow::Error::msg)?;
        bill = bill.convert(&fx, to)?;
    }
    let quota = if a.quota {
        let rounding = Rounding::parse(&a.rounding).with_context(|| {
            format!(
                "--rounding `{}` is not one of floor, ceil, half_up, half_even",
                a.rounding
            )
        })?;
        let policy = QuotaPolicy {
            group_ratio: a.group_ratio,
            rounding,
            ..QuotaPolicy::new_api()
        };
        Some(bill.quota(&policy)?)
    } else {
        None
    };
    if a.json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            bill: &'a Bill,
            #[serde(skip_serializing_if = "Option::is_none")]
            quota: Option<tariff::Quota>,
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&Out { bill: &bill, quota })?
        );
    } else {
        print_bill(catalog, &bill);
        if let Some(q) = quota {
            println!("quota: {} units (exact {})", q.units, q.exact);
        }
    }
    Ok(())
}

fn print_bill(catalog: &Catalog, bill: &Bill) {
    let kind = catalog
        .model(&bill.model)
        .map(|m| m.kind())
        .unwrap_or(Kind::Chat);
    let kind = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    println!(
        "{} ({}, {kind}) at {}",
        bill.model,
        bill.provider,
        bill.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let mut conditions = vec![format!("service tier {}", bill.service_tier)];
    if let Some(r) = &bill.region {
        conditions.push(format!("region {r}"));
    }
    if let Some(t) = &bill.tier {
        conditions.push(format!("context tier \"{t}\""));
    }
    if let Some(w) = &bill.window {
        conditions.push(format!("window \"{w}\""));
    }
    if let Some(o) = &bill.option {
        conditions.push(format!("option {o}"));
    }
    if let Some(s) = bill.schedule.scale {
        let mut c = format!("{s} x standard");
        if !bill.schedule.unscaled.is_empty() {
            let names: Vec<&str> = bill.schedule.unscaled.iter().map(|u| u.name()).collect();
            c.push_str(&format!(" (except {})", names.join(", ")));
        }
        conditions.push(c);
    }
    println!("  {}", conditions.join(", "));
    let period = match (bill.schedule.from, bill.schedule.until) {
        (Some(f), Some(u)) => format!("prices in force {} to {}", f.date_naive(), u.date_naive()),
        (Some(f), None) => format!("prices in force from {}", f.date_naive()),
        (None, Some(u)) => format!("prices in force until {}", u.date_naive()),
        (None, None) => "prices with no published start date".to_string(),
    };
    println!(
        "  {period}; read {} at {}",
        bill.schedule.as_of, bill.schedule.source
    );
    if bill.estimated {
        println!("  ESTIMATED: some usage was estimated, not reported");
    }
    println!();
    let rows: Vec<[String; 5]> = bill
        .lines
        .iter()
        .map(|l| {
            let item = match l.priced_as {
                Some(p) => format!("{} (at {p} rate)", l.item()),
                None => l.item(),
            };
            [
                item,
                l.quantity.to_string(),
                l.unit_price.normalize().to_string(),
                l.per.to_string(),
                l.amount.to_string(),
            ]
        })
        .collect();
    let header = ["item", "quantity", "unit price", "per", "amount"];
    let mut w = header.map(str::len);
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.len());
        }
    }
    let total = bill.total.to_string();
    w[4] = w[4].max(total.len());
    println!(
        "  {:<a$}  {:>b$}  {:>c$}  {:>d$}  {:>e$}",
        header[0],
        header[1],
        header[2],
        header[3],
        header[4],
        a = w[0],
        b = w[1],
        c = w[2],
        d = w[3],
        e = w[4]
    );
    for r in &rows {
        println!(
            "  {:<a$}  {:>b$}  {:>c$}  {:>d$}  {:>e$}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3],
            e = w[4]
        );
    }
    let width = w.iter().sum::<usize>() + 8;
    println!("  {}", "-".repeat(width));
    println!(
        "  {:<a$}  {:>e$} {}",
        "total",
        total,
        bill.currency,
        a = width - w[4] - 2,
        e = w[4]
    );
}
