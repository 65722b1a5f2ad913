//! `tariff quote`: a usage record or a provider response in, an itemized bill out.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use rust_decimal::Decimal;
use tariff::extract::Api;
use tariff::{Bill, Catalog, Currency, FxTable, Kind, QuotaPolicy, Rounding, ServiceTier, Usage};

use crate::input::{api_parser, parse_time, read_body, read_input, read_request};

/// Arguments of `tariff quote`.
#[derive(Args)]
pub struct QuoteArgs {
    /// Model id, alias or dated snapshot.
    #[arg(long)]
    model: String,
    /// Read FILE as this API family's response body (or saved SSE stream, or task record)
    /// instead of a usage record.
    #[arg(long, value_parser = api_parser())]
    api: Option<Api>,
    /// The request that produced the response (with --api), for families priced from the
    /// request: image size and quality, video seconds, speech characters.
    #[arg(long, value_name = "FILE", requires = "api")]
    request: Option<PathBuf>,
    /// When a saved stream ended without a usage report, price an estimate instead of
    /// failing: the request's input estimate and the streamed text counted as output. The
    /// bill says it is estimated. Needs --api and --request.
    #[arg(long, requires = "request")]
    estimate_missing: bool,
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

/// Prices the usage record or response named by the arguments and prints the bill.
pub fn run(catalog: &Catalog, a: QuoteArgs) -> Result<()> {
    let mut usage = match (a.api, &a.usage) {
        (Some(api), inline) => {
            // A response may be audio bytes (text-to-speech), so it is read as bytes.
            let body = match inline {
                Some(u) => u.clone().into_bytes(),
                None => read_body(a.file.as_deref())?,
            };
            let request = read_request(a.request.as_deref())?;
            match request.as_deref() {
                Some(r) if a.estimate_missing => {
                    tariff::estimate::meter_or_estimate_in(catalog, api, &a.model, &body, r)?
                }
                r => tariff::extract::extract_with_request_in(catalog, api, &body, r)?,
            }
        }
        (None, Some(u)) => Usage::from_json(u)?,
        (None, None) => Usage::from_json(&read_input(a.file.as_deref())?)?,
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
        .with_context(|| format!("--fx {}", fx_path.display()))?;
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

pub fn print_bill(catalog: &Catalog, bill: &Bill) {
    let kind = catalog
        .model(bill.model())
        .map(|m| m.kind())
        .unwrap_or(Kind::Chat);
    let kind = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    println!(
        "{} ({}, {kind}) at {}",
        bill.model(),
        bill.provider(),
        bill.at().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let mut conditions = vec![format!("service tier {}", bill.service_tier())];
    if let Some(r) = &bill.region() {
        conditions.push(format!("region {r}"));
    }
    if let Some(t) = &bill.tier() {
        conditions.push(format!("context tier \"{t}\""));
    }
    if let Some(w) = &bill.window() {
        conditions.push(format!("window \"{w}\""));
    }
    if let Some(o) = &bill.option() {
        conditions.push(format!("option {o}"));
    }
    if let Some(s) = bill.schedule().scale {
        let mut c = format!("{s} x standard");
        if !bill.schedule().unscaled.is_empty() {
            let names: Vec<&str> = bill.schedule().unscaled.iter().map(|u| u.name()).collect();
            c.push_str(&format!(" (except {})", names.join(", ")));
        }
        conditions.push(c);
    }
    println!("  {}", conditions.join(", "));
    let period = match (bill.schedule().from, bill.schedule().until) {
        (Some(f), Some(u)) => format!("prices in force {} to {}", f.date_naive(), u.date_naive()),
        (Some(f), None) => format!("prices in force from {}", f.date_naive()),
        (None, Some(u)) => format!("prices in force until {}", u.date_naive()),
        (None, None) => "prices with no published start date".to_string(),
    };
    println!(
        "  {period}; read {} at {}",
        bill.schedule().as_of,
        bill.schedule().source
    );
    if bill.estimated() {
        println!("  ESTIMATED: some usage was estimated, not reported");
    }
    println!();
    let rows: Vec<[String; 5]> = bill
        .lines()
        .iter()
        .map(|l| {
            let item = match l.priced_as() {
                Some(p) => format!("{} (at {p} rate)", l.item()),
                None => l.item(),
            };
            [
                item,
                l.quantity().to_string(),
                l.unit_price().normalize().to_string(),
                l.per().to_string(),
                l.amount().to_string(),
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
    let total = bill.total().to_string();
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
        bill.currency(),
        a = width - w[4] - 2,
        e = w[4]
    );
}
