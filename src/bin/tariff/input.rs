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

/// The UTF-8 byte order mark some editors and spreadsheet exports (Excel, Windows tools)
/// put at the start of a file. It is not content: every input skips it.
const BOM: &str = "\u{feff}";

/// `text` without a leading byte order mark.
pub fn strip_bom(mut text: String) -> String {
    if text.starts_with(BOM) {
        text.drain(..BOM.len());
    }
    text
}

/// `bytes` without a leading UTF-8 byte order mark.
pub fn strip_bom_bytes(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.starts_with(BOM.as_bytes()) {
        bytes.drain(..BOM.len());
    }
    bytes
}

/// Reads a text file (rules, rates), skipping a byte order mark.
pub fn read_text_file(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {} (it must be UTF-8 text)", path.display()))?;
    Ok(strip_bom(text))
}

/// Reads a text input: a file path, or stdin for `-` or nothing. A leading byte order
/// mark is skipped.
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
    Ok(strip_bom(text))
}

/// Reads a response body as bytes (speech answers are audio, not text): a file path, or
/// stdin for `-` or nothing. A leading UTF-8 byte order mark is skipped (no audio or
/// image format starts with one).
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
    Ok(strip_bom_bytes(body))
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

/// Reads the `--request` file, when one is given, skipping a byte order mark.
pub fn read_request(path: Option<&std::path::Path>) -> Result<Option<Vec<u8>>> {
    path.map(|p| {
        std::fs::read(p)
            .map(strip_bom_bytes)
            .with_context(|| format!("reading request {}", p.display()))
    })
    .transpose()
}
