//! Reading the command line's inputs: files or stdin, times, formats, price tables.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use tariff::extract::Api;
use tariff::Catalog;

/// The built-in catalog, or the built-in tables with the `--prices` overlays on top.
pub fn catalog(extra: &[PathBuf]) -> Result<std::borrow::Cow<'static, Catalog>> {
    if extra.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(Catalog::builtin()));
    }
    let mut b = Catalog::builder().builtin();
    for p in extra {
        b = b.path(p);
    }
    Ok(std::borrow::Cow::Owned(b.build()?))
}

/// The `--api` values: every family's name, listed by `--help` and checked by clap.
pub fn api_parser() -> impl clap::builder::TypedValueParser<Value = Api> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Api::ALL.map(Api::name))
        .map(|name| Api::parse(&name).expect("clap accepts only the listed names"))
}

/// Reads a text input: a file path, or stdin for `-` or nothing.
pub fn read_input(file: Option<&str>) -> Result<String> {
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

/// Reads a response body as bytes (speech answers are audio, not text): a file path, or
/// stdin for `-` or nothing.
pub fn read_body(file: Option<&str>) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    match file {
        None | Some("-") => {
            std::io::stdin()
                .read_to_end(&mut body)
                .context("reading stdin")?;
        }
        Some(path) => body = std::fs::read(path).with_context(|| format!("reading {path}"))?,
    }
    Ok(body)
}

/// Parses `--at`: an RFC 3339 time or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    bail!("--at `{s}` is not an RFC 3339 time or a YYYY-MM-DD date")
}

/// Reads the `--request` file, when one is given.
pub fn read_request(path: Option<&std::path::Path>) -> Result<Option<Vec<u8>>> {
    path.map(|p| std::fs::read(p).with_context(|| format!("reading request {}", p.display())))
        .transpose()
}
