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
    #[arg(required = true)]
    files: Vec<String>,
    /// The log format: canonical or new-api (default: detected from the first record).
    #[arg(long, value_parser = parse_format)]
    format: Option<LogFormat>,
    /// Group by these dimensions: model, provider, user, group, day, month, class.
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
    let opts = Options {
        format: a.format,
        by: a.by.clone(),
        threads: a.threads,
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
    if a.csv {
        eprint!("{summary}");
        print!("{}", report.groups_csv());
    } else {
        println!("{summary}");
        print!("{}", report.groups_text());
    }
    Ok(())
}
