//! Strict RFC 4180 CSV, split for parallel reading.
//!
//! The `csv` crate recovers from bad quoting by guessing (`a"b` becomes a field, a stray
//! quote swallows the rest of the file), which would turn a malformed row into a wrong
//! price instead of a rejected row. Reconciliation needs the opposite: every record that
//! is not well-formed is named, with its line, and reading goes on. It also needs record
//! boundaries found before parsing, so chunks can be parsed on several threads. Both are
//! small enough to write here.

use std::borrow::Cow;

/// A problem in one record, at a 1-based byte column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CsvError {
    pub column: usize,
    pub message: String,
}

/// Scans `buf` (which starts at a record boundary) for the end of the last complete
/// record: the index just past its newline. `None` when no record ends in `buf`.
pub(crate) fn last_boundary(buf: &[u8]) -> Option<usize> {
    let mut in_quote = false;
    let mut last = None;
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            in_quote = !in_quote;
        } else if !in_quote {
            last = Some(i + 1);
        }
    }
    last
}

/// Records of a chunk, each with its first line number and the number of lines it spans.
pub(crate) struct Records<'a> {
    buf: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> Records<'a> {
    pub(crate) fn new(buf: &'a [u8], first_line: u64) -> Self {
        Records {
            buf,
            pos: 0,
            line: first_line,
        }
    }
}

impl<'a> Iterator for Records<'a> {
    /// (first line, record bytes without the line end)
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let line = self.line;
        let mut in_quote = false;
        let rest = &self.buf[start..];
        let mut end = self.buf.len();
        let mut next = self.buf.len();
        for i in memchr::memchr2_iter(b'"', b'\n', rest) {
            if rest[i] == b'"' {
                in_quote = !in_quote;
                continue;
            }
            self.line += 1;
            if !in_quote {
                end = start + i;
                next = end + 1;
                break;
            }
        }
        if next == self.buf.len() && end == self.buf.len() {
            // The last record of the chunk has no line end; count its line anyway.
            self.line += 1;
        }
        self.pos = next;
        let mut rec = &self.buf[start..end];
        if let [head @ .., b'\r'] = rec {
            rec = head;
        }
        Some((line, rec))
    }
}

/// Splits one record into its fields (quotes removed, `""` unescaped).
pub(crate) fn fields<'a>(rec: &'a str, out: &mut Vec<Cow<'a, str>>) -> Result<(), CsvError> {
    out.clear();
    let b = rec.as_bytes();
    let mut pos = 0;
    loop {
        if b.get(pos) == Some(&b'"') {
            let open = pos;
            pos += 1;
            let body = pos;
            let mut escaped = false;
            loop {
                match memchr::memchr(b'"', &b[pos..]) {
                    None => {
                        return Err(CsvError {
                            column: open + 1,
                            message: "unterminated quoted field".to_string(),
                        })
                    }
                    Some(i) => {
                        pos += i;
                        if b.get(pos + 1) == Some(&b'"') {
                            escaped = true;
                            pos += 2;
                        } else {
                            break;
                        }
                    }
                }
            }
            let text = &rec[body..pos];
            out.push(if escaped {
                Cow::Owned(text.replace("\"\"", "\""))
            } else {
                Cow::Borrowed(text)
            });
            pos += 1;
            match b.get(pos) {
                None => return Ok(()),
                Some(b',') => pos += 1,
                Some(_) => {
                    return Err(CsvError {
                        column: pos + 1,
                        message:
                            "text after a closing quote (a quote inside a field must be doubled)"
                                .to_string(),
                    })
                }
            }
        } else {
            let end = memchr::memchr(b',', &b[pos..]).map_or(b.len(), |i| pos + i);
            let text = &rec[pos..end];
            if let Some(q) = text.find('"') {
                return Err(CsvError {
                    column: pos + q + 1,
                    message: "quote inside an unquoted field".to_string(),
                });
            }
            out.push(Cow::Borrowed(text));
            if end == b.len() {
                return Ok(());
            }
            pos = end + 1;
        }
    }
}

/// Quotes a field when it needs quoting.
pub(crate) fn quote(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(rec: &str) -> Result<Vec<String>, CsvError> {
        let mut v = Vec::new();
        fields(rec, &mut v)?;
        Ok(v.into_iter().map(|c| c.into_owned()).collect())
    }

    #[test]
    fn fields_and_quoting() {
        assert_eq!(split("a,,c").unwrap(), ["a", "", "c"]);
        assert_eq!(split(r#""a,b","x""y","""#).unwrap(), ["a,b", "x\"y", ""]);
        assert_eq!(split("\"multi\nline\",2").unwrap(), ["multi\nline", "2"]);
        assert_eq!(split("").unwrap(), [""]);
        assert_eq!(split(r#"a,"b"c"#).unwrap_err().column, 6);
        assert_eq!(split(r#"a,b"c"#).unwrap_err().column, 4);
        assert_eq!(split(r#"a,"bc"#).unwrap_err().column, 3);
    }

    #[test]
    fn records_respect_quotes_and_count_lines() {
        let buf = b"h1,h2\r\n\"x\ny\",1\nlast,2";
        let recs: Vec<_> = Records::new(buf, 1).collect();
        assert_eq!(
            recs,
            vec![
                (1, &b"h1,h2"[..]),
                (2, &b"\"x\ny\",1"[..]),
                (4, &b"last,2"[..])
            ]
        );
        assert_eq!(last_boundary(b"a,b\n\"c\nd"), Some(4));
        assert_eq!(last_boundary(b"\"a\nb\"\nc"), Some(6));
        assert_eq!(last_boundary(b"abc"), None);
    }
}
