//! A borrowing scanner for one flat JSON object per line.
//!
//! Log rows are flat objects of strings and numbers; decoding them through `serde_json`'s
//! derive (or a `Value`) allocates per key and costs several times the price of the row.
//! This scanner walks the object once, hands each member to the caller as borrowed text,
//! and leaves nested values (`options`, `images`, new-api's `other` object) as raw slices
//! for `serde_json` to decode when, and only when, someone needs them. It is strict: any
//! text that is not one complete JSON object is an error naming the column.

use std::borrow::Cow;

/// One member value, undecoded.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val<'a> {
    /// A string, unescaped.
    Str(Cow<'a, str>),
    /// A number, as written (JSON number grammar, checked).
    Num(&'a str),
    /// An object, array, `true`, `false` or `null`, as written.
    Raw(&'a str),
}

impl Val<'_> {
    /// The value as JSON text (strings re-escaped).
    pub(crate) fn to_json(&self) -> String {
        match self {
            Val::Str(s) => serde_json::to_string(s.as_ref()).expect("a string serializes"),
            Val::Num(t) | Val::Raw(t) => (*t).to_string(),
        }
    }
}

/// Why a line is not a JSON object, and where (1-based byte column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub column: usize,
    pub message: String,
}

/// What stopped a scan: bad syntax, or the caller refusing a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ScanError<E> {
    Syntax(SyntaxError),
    Field(E),
}

struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

/// Calls `f` with each member of the JSON object in `s`, in order.
pub(crate) fn for_each_member<'a, E>(
    s: &'a str,
    mut f: impl FnMut(Cow<'a, str>, Val<'a>) -> Result<(), E>,
) -> Result<(), ScanError<E>> {
    let mut sc = Scanner {
        s,
        b: s.as_bytes(),
        pos: 0,
    };
    sc.ws();
    match sc.peek() {
        Some(b'{') => sc.pos += 1,
        Some(_) => return Err(ScanError::Syntax(sc.err("expected a JSON object (`{`)"))),
        None => return Err(ScanError::Syntax(sc.err("empty record"))),
    }
    sc.ws();
    if sc.peek() == Some(b'}') {
        sc.pos += 1;
    } else {
        loop {
            sc.ws();
            match sc.peek() {
                Some(b'"') => {}
                None => return Err(ScanError::Syntax(sc.truncated())),
                Some(_) => {
                    return Err(ScanError::Syntax(
                        sc.err("expected a member name in double quotes"),
                    ))
                }
            }
            let key = sc.string().map_err(ScanError::Syntax)?;
            sc.ws();
            match sc.peek() {
                Some(b':') => sc.pos += 1,
                None => return Err(ScanError::Syntax(sc.truncated())),
                Some(_) => return Err(ScanError::Syntax(sc.err("expected `:`"))),
            }
            sc.ws();
            let val = sc.value().map_err(ScanError::Syntax)?;
            f(key, val).map_err(ScanError::Field)?;
            sc.ws();
            match sc.peek() {
                Some(b',') => sc.pos += 1,
                Some(b'}') => {
                    sc.pos += 1;
                    break;
                }
                None => return Err(ScanError::Syntax(sc.truncated())),
                Some(_) => return Err(ScanError::Syntax(sc.err("expected `,` or `}`"))),
            }
        }
    }
    sc.ws();
    if sc.pos < sc.b.len() {
        return Err(ScanError::Syntax(
            sc.err("unexpected text after the end of the object"),
        ));
    }
    Ok(())
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.peek() {
            self.pos += 1;
        }
    }

    fn err(&self, message: &str) -> SyntaxError {
        SyntaxError {
            column: self.pos + 1,
            message: message.to_string(),
        }
    }

    fn truncated(&self) -> SyntaxError {
        SyntaxError {
            column: self.pos + 1,
            message: "truncated: the record ends before its object is closed".to_string(),
        }
    }

    /// A string starting at the opening quote; unescaped only when it has escapes.
    ///
    /// Row strings are short (ids, names, times), so one plain pass that also checks for
    /// control characters beats a vectorized search plus a second pass.
    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let start = self.pos;
        let body = start + 1;
        let mut i = body;
        let mut escaped = false;
        loop {
            match self.b.get(i) {
                None => {
                    self.pos = self.b.len();
                    return Err(SyntaxError {
                        column: start + 1,
                        message: "truncated: the record ends inside a string".to_string(),
                    });
                }
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    i += 2;
                }
                Some(&c) if c < 0x20 => {
                    return Err(SyntaxError {
                        column: i + 1,
                        message: "control character inside a string".to_string(),
                    })
                }
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        let raw = &self.s[body..i];
        if !escaped {
            return Ok(Cow::Borrowed(raw));
        }
        serde_json::from_str::<String>(&self.s[start..=i])
            .map(Cow::Owned)
            .map_err(|e| SyntaxError {
                column: start + e.column().max(1),
                message: format!("bad escape in string: {}", strip_position(&e.to_string())),
            })
    }

    fn value(&mut self) -> Result<Val<'a>, SyntaxError> {
        match self.peek() {
            None => Err(self.truncated()),
            Some(b'"') => self.string().map(Val::Str),
            Some(b'-' | b'0'..=b'9') => self.number().map(Val::Num),
            Some(b'{' | b'[') => self.nested().map(Val::Raw),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(_) => Err(self.err("expected a value")),
        }
    }

    fn literal(&mut self, word: &'static str) -> Result<Val<'a>, SyntaxError> {
        let start = self.pos;
        if self.b[start..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Val::Raw(&self.s[start..self.pos]))
        } else if word.as_bytes().starts_with(&self.b[start..]) {
            self.pos = self.b.len();
            Err(self.truncated())
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<&'a str, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = self.digits();
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return Err(self.at(start, "invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.at(start, "invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.at(start, "invalid number"));
            }
        }
        Ok(&self.s[start..self.pos])
    }

    fn at(&self, pos: usize, message: &str) -> SyntaxError {
        SyntaxError {
            column: pos + 1,
            message: message.to_string(),
        }
    }

    /// Skips a balanced object or array (strings respected); its content is checked by
    /// whoever decodes it.
    fn nested(&mut self) -> Result<&'a str, SyntaxError> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        return Ok(&self.s[start..self.pos]);
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        Err(self.truncated())
    }
}

pub(crate) use tariff_core::json_path::strip_position;

/// Whether `s` is a JSON number (used for CSV cells).
pub(crate) fn is_number(s: &str) -> bool {
    let mut sc = Scanner {
        s,
        b: s.as_bytes(),
        pos: 0,
    };
    sc.number().is_ok() && sc.pos == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &str) -> Result<Vec<(String, Val<'_>)>, ScanError<()>> {
        let mut out = Vec::new();
        for_each_member(s, |k, v| {
            out.push((k.into_owned(), v));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_flat_objects() {
        let m =
            members(r#" {"a": "x\"y", "b": -1.5e3, "c": {"d": [1, "}"]}, "e": true} "#).unwrap();
        assert_eq!(m[0], ("a".into(), Val::Str("x\"y".into())));
        assert_eq!(m[1], ("b".into(), Val::Num("-1.5e3")));
        assert_eq!(m[2], ("c".into(), Val::Raw(r#"{"d": [1, "}"]}"#)));
        assert_eq!(m[3], ("e".into(), Val::Raw("true")));
        assert_eq!(members("{}").unwrap(), vec![]);
    }

    #[test]
    fn refuses_what_is_not_one_object() {
        for (bad, col) in [
            (r#"{"a": 1"#, 8),
            (r#"{"a": "xy"#, 7),
            (r#"{"a": 01}"#, 7),
            (r#"{"a": 1,}"#, 9),
            (r#"{"a": 1} x"#, 10),
            (r#"{"a" 1}"#, 6),
            (r#"[1]"#, 1),
            (r#"{"a": tru"#, 10),
            (r#"{"a": {"b": 1}"#, 15),
            ("", 1),
        ] {
            match members(bad) {
                Err(ScanError::Syntax(e)) => assert_eq!(e.column, col, "{bad}: {e:?}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn numbers() {
        for ok in ["0", "-0", "12", "1.5", "1e5", "1E-5", "-2.5e+3"] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in ["", "-", "01", "1.", ".5", "1e", "1x", "+1", "0x1"] {
            assert!(!is_number(bad), "{bad}");
        }
    }
}
