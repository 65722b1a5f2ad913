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
    let what = path.display().to_string();
    let f = std::fs::File::open(path).with_context(|| format!("reading {what}"))?;
    text_of(read_bounded(f, &what)?, &what)
}

/// `bytes` as text without a byte order mark, or an error naming `what` was not UTF-8.
fn text_of(bytes: Vec<u8>, what: &str) -> Result<String> {
    let text = String::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!("{}", e.utf8_error()))
        .with_context(|| format!("reading {what} (it must be UTF-8 text)"))?;
    Ok(strip_bom(text))
}

/// The largest body, request or record read whole (1 GiB): a longer input (or an endless
/// one, such as `/dev/zero`) is refused once that much is read, instead of growing memory
/// without limit. `count` streams and has no such limit.
pub const MAX_INPUT: u64 = 1 << 30;

/// Reads at most [`MAX_INPUT`] bytes of `r`, refusing a longer input.
fn read_bounded(r: impl Read, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    r.take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {what}"))?;
    if bytes.len() as u64 > MAX_INPUT {
        bail!("{what} is longer than {MAX_INPUT} bytes, the most read as one input");
    }
    Ok(bytes)
}

/// Reads a text input: a file path, or stdin for `-` or nothing. A leading byte order
/// mark is skipped.
pub fn read_input(file: Option<&str>) -> Result<String> {
    let (bytes, what) = read_source(file)?;
    text_of(bytes, &what)
}

/// The bytes of a file path, or of stdin for `-` or nothing, and what they were.
fn read_source(file: Option<&str>) -> Result<(Vec<u8>, String)> {
    match file {
        None | Some("-") => Ok((
            read_bounded(std::io::stdin().lock(), "stdin")?,
            "stdin".into(),
        )),
        Some(path) => {
            let f = std::fs::File::open(path).with_context(|| format!("reading {path}"))?;
            Ok((read_bounded(f, path)?, path.to_string()))
        }
    }
}

/// Reads a response body as bytes (speech answers are audio, not text): a file path, or
/// stdin for `-` or nothing. A leading UTF-8 byte order mark is skipped (no audio or
/// image format starts with one).
pub fn read_body(file: Option<&str>) -> Result<Vec<u8>> {
    Ok(strip_bom_bytes(read_source(file)?.0))
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
        let what = format!("request {}", p.display());
        let f = std::fs::File::open(p).with_context(|| format!("reading {what}"))?;
        read_bounded(f, &what).map(strip_bom_bytes)
    })
    .transpose()
}
