//! `tariff reconcile`: re-price logged requests and explain every difference.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use tariff::reconcile::{Dim, LogFormat, Options, Reconciler, Rejection};
use tariff::Catalog;

use crate::atomic::AtomicFile;

/// Arguments of `tariff reconcile`.
#[derive(Args)]
pub struct ReconcileArgs {
    /// Log files: canonical rows or new-api consume logs, JSON lines or CSV (`-` for stdin).
    #[arg(required_unless_present = "db")]
    files: Vec<String>,
    /// Read new-api's `logs` table (consume rows) straight from its database, read-only:
    /// sqlite://PATH (one-api.db), postgres://USER@HOST/DB or mysql://USER@HOST/DB.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// With --db: only rows created at or after T (Unix seconds, RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "T", requires = "db", value_parser = crate::newapi_db::parse_time)]
    since: Option<i64>,
    /// With --db: only rows created before T (Unix seconds, RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "T", requires = "db", value_parser = crate::newapi_db::parse_time)]
    until: Option<i64>,
    /// new-api rows: compare the ratios each row logged with this configuration (the
    /// options JSON `tariff import --from new-api` reads); differing rows are ratio_mismatch.
    #[arg(long, value_name = "OPTIONS.json")]
    new_api_options: Option<PathBuf>,
    /// new-api rows: the new-api version whose quota formula and defaults apply
    /// (default: the newest in data/new-api).
    #[arg(long, value_name = "V")]
    new_api_version: Option<String>,
    /// Also print charged vs upstream cost at list price (USD) per model and per day, and
    /// the models sold below cost.
    #[arg(long)]
    margin: bool,
    /// Write the report as one self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// The log format: canonical or new-api (default: detected from the first record).
    #[arg(long, value_parser = parse_format)]
    format: Option<LogFormat>,
    /// Group by these dimensions: model, provider, user, group, channel, day, month, class.
    #[arg(long, value_delimiter = ',', value_parser = parse_dim, default_value = "model")]
    by: Vec<Dim>,
    /// Print the whole report as JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the per-group table as CSV (the summary goes to stderr).
    #[arg(long)]
    csv: bool,
    /// Write every rejected row (file, line, kind, reason, record) to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Worker threads (default: every core; at most four per core).
    #[arg(long)]
    threads: Option<usize>,
}

fn parse_format(s: &str) -> Result<LogFormat, String> {
    LogFormat::parse(s).ok_or_else(|| format!("unknown format `{s}`; formats: canonical, new-api"))
}

fn parse_dim(s: &str) -> Result<Dim, String> {
    Dim::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Dim::ALL.iter().map(|d| d.name()).collect();
        format!("unknown dimension `{s}`; dimensions: {}", names.join(", "))
    })
}

/// Reconciles the files and prints the report.
pub fn run(catalog: &Catalog, a: ReconcileArgs) -> Result<()> {
    if let Some(n) = a.threads {
        let max = tariff::reconcile::max_threads();
        if n == 0 || n > max {
            bail!("--threads {n}: between 1 and {max} (four per core) are allowed");
        }
    }
    let relay = if a.new_api_options.is_some() || a.new_api_version.is_some() {
        use tariff::convert::newapi::defaults::{Options as NewApiOptions, Versions};
        let versions = Versions::embedded().map_err(|e| anyhow::anyhow!("{e}"))?;
        let version = match &a.new_api_version {
            Some(v) => versions
                .get(v)
                .map_err(|e| anyhow::anyhow!("--new-api-version: {e}"))?,
            None => versions.newest(),
        };
        let options = match &a.new_api_options {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                Some(
                    NewApiOptions::from_json(&text, version)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
                )
            }
            None => None,
        };
        Some(std::sync::Arc::new(tariff::reconcile::RelayRules {
            version,
            options,
        }))
    } else {
        None
    };
    let opts = Options {
        format: if a.db.is_some() {
            Some(LogFormat::NewApi)
        } else {
            a.format
        },
        by: a.by.clone(),
        threads: a.threads,
        relay,
        margin: a.margin || a.html.is_some(),
        ..Options::default()
    };
    let mut r = Reconciler::new(catalog, opts)?;
    // Written whole or not at all: a run that fails midway leaves no rejects file that
    // looks complete (see `atomic`).
    let mut rejects = a.rejects.as_deref().map(AtomicFile::create).transpose()?;
    let mut write_error: Option<std::io::Error> = None;
    let mut on_reject = |rej: &Rejection| {
        if let (Some(w), None) = (&mut rejects, &write_error) {
            let line = serde_json::to_string(rej).expect("a rejection serializes");
            if let Err(e) = writeln!(w.writer(), "{line}") {
                write_error = Some(e);
            }
        }
    };
    let show = std::io::stderr().is_terminal();
    if let Some(url) = &a.db {
        let rows = crate::newapi_db::open(
            url,
            a.since.unwrap_or(i64::MIN),
            a.until.unwrap_or(i64::MAX),
        )?;
        let name = format!("db:{}", crate::newapi_db::redact(url));
        r.read(&name, rows, &mut on_reject, &mut |_| {})?;
    }
    for f in &a.files {
        let (reader, size): (Box<dyn std::io::Read + Send>, Option<u64>) = if f == "-" {
            (Box::new(std::io::stdin()), None)
        } else {
            let file = File::open(f).with_context(|| format!("opening {f}"))?;
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(file), size)
        };
        let bar = if show {
            let bar = match size {
                Some(n) => indicatif::ProgressBar::new(n),
                None => indicatif::ProgressBar::new_spinner(),
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
                )
                .expect("a valid template"),
            );
            bar.set_message(f.clone());
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        r.read(f, reader, &mut on_reject, &mut |n| bar.set_position(n))?;
        bar.finish_and_clear();
    }
    if let Some(e) = write_error {
        bail!("writing rejects: {e}");
    }
    if let Some(w) = rejects {
        w.commit().context("writing rejects")?;
    }
    let report = r.finish();
    if let Some(p) = &a.html {
        let mut w = AtomicFile::create(p)?;
        w.writer()
            .write_all(report.html("tariff reconcile").as_bytes())
            .with_context(|| format!("writing {}", p.display()))?;
        w.commit()
            .with_context(|| format!("writing {}", p.display()))?;
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("a report serializes")
        );
        return Ok(());
    }
    let mut summary = report.summary_text();
    if a.rejects.is_none() && !report.first_rejects.is_empty() {
        summary.push_str(
            "
first rejected rows (write them all with --rejects FILE)
",
        );
        for rej in &report.first_rejects {
            summary.push_str(&format!(
                "  {}:{}: {}: {}\n",
                rej.file,
                rej.line,
                rej.kind.name(),
                rej.reason
            ));
        }
    }
    if a.margin {
        summary.push_str(&margin_text(&report));
    }
    if a.csv {
        eprint!("{summary}");
        print!("{}", report.groups_csv());
    } else {
        println!("{summary}");
        print!("{}", report.groups_text());
    }
    Ok(())
}

/// Charged against upstream cost per model and per day, and the models sold below cost.
fn margin_text(report: &tariff::reconcile::Report) -> String {
    use std::fmt::Write as _;
    let mut o = String::from("\nmargin (USD: charged, upstream at list price, margin)\n");
    let rows = |o: &mut String,
                what: &str,
                m: &std::collections::BTreeMap<String, tariff::reconcile::Margin>| {
        let _ = writeln!(o, "  by {what}");
        for (k, v) in m {
            let _ = writeln!(
                o,
                "    {k:<32} {:>8} rows  {}  {}  {}",
                v.rows,
                v.charged,
                v.upstream,
                v.margin()
            );
        }
    };
    rows(&mut o, "model", &report.margin_by_model);
    rows(&mut o, "day", &report.margin_by_day);
    if !report.margin_by_channel.is_empty() {
        rows(&mut o, "channel", &report.margin_by_channel);
    }
    // And by the --by dimensions (model, group, user, ...).
    let by: Vec<&str> = report.by.iter().map(|d| d.name()).collect();
    let groups: std::collections::BTreeMap<String, tariff::reconcile::Margin> = report
        .groups
        .iter()
        .filter(|(_, t)| t.margin.rows > 0)
        .map(|(k, t)| {
            (
                format!("{} [{}]", k.values.join(" / "), k.unit),
                t.margin.clone(),
            )
        })
        .collect();
    rows(&mut o, &by.join(" / "), &groups);
    let below: Vec<&str> = report
        .margin_by_model
        .iter()
        .filter(|(_, m)| m.margin().is_negative())
        .map(|(k, _)| k.as_str())
        .collect();
    if !below.is_empty() {
        let _ = writeln!(o, "  sold below cost: {}", below.join(", "));
    }
    o
}
