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

/// Scans `buf`, which starts at a record boundary, calling `boundary` with the index of
/// each newline that ends a record until it returns false. Returns whether `buf` ends
/// inside a quoted field.
///
/// As in RFC 4180, a quote opens a quoted field only at the start of a field; anywhere
/// else it is a stray character (the record is then rejected by [`fields`]), so one bad
/// quote costs one record, not the rest of the file.
pub(crate) fn scan(buf: &[u8], mut boundary: impl FnMut(usize) -> bool) -> bool {
    let mut field_start = 0;
    let mut quoted = false;
    let mut skip = None;
    for i in memchr::memchr3_iter(b',', b'"', b'\n', buf) {
        if skip == Some(i) {
            continue;
        }
        match (quoted, buf[i]) {
            (true, b'"') => {
                if buf.get(i + 1) == Some(&b'"') {
                    skip = Some(i + 1);
                } else {
                    quoted = false;
                }
            }
            (true, _) => {}
            (false, b'"') => quoted = i == field_start,
            (false, b',') => field_start = i + 1,
            (false, _) => {
                field_start = i + 1;
                if !boundary(i) {
                    return false;
                }
            }
        }
    }
    quoted
}

/// The end of the last complete record in `buf` (the index just past its newline), or
/// `None` when no record ends in `buf`.
pub(crate) fn last_boundary(buf: &[u8]) -> Option<usize> {
    let mut last = None;
    scan(buf, |i| {
        last = Some(i + 1);
        true
    });
    last
}

/// Records of a chunk, each with the line it starts on.
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
        let rest = &self.buf[start..];
        let mut end = None;
        scan(rest, |i| {
            end = Some(i);
            false
        });
        let (end, next) = match end {
            Some(i) => (start + i, start + i + 1),
            None => (self.buf.len(), self.buf.len()),
        };
        // Lines inside quoted fields count too; a last record without a line end is a line.
        self.line += memchr::memchr_iter(b'\n', &self.buf[start..next]).count() as u64;
        if next == end {
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
        // A stray quote inside a field does not open a quoted field.
        assert_eq!(last_boundary(b"a\"b,c\nd,e\n"), Some(10));
        assert!(scan(b"a,\"b\"\"\n", |_| true));
        assert!(!scan(b"a,\"b\"\"\"\n", |_| true));
    }
}
