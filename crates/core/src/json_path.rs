//! The JSON path of the place where `serde_json` stopped with an error, worked out from the
//! text afterwards.
//!
//! A tracker such as `serde_path_to_error` finds the path while parsing, but it wraps every
//! type's deserializer, which doubles the code of each response type: more than the
//! WebAssembly module can carry. Parsing once and re-reading the text up to the error gives
//! the same paths, in the same notation (`choices[0].message`, `.` for the top), with one
//! difference: inside a value the type ignores (a field it does not have), the tracker stops
//! at the field while this goes on to the place itself. The tests check both against the
//! tracker on every error they meet.

/// A `serde_json` error message without the " at line L column C" it ends with: the
/// errors of every crate carry the position apart (a byte offset, a JSON path), so it is
/// cut from the message.
///
/// ```
/// use tariff_core::json_path::strip_position;
/// let e = serde_json::from_str::<u8>("300").unwrap_err();
/// assert_eq!(strip_position(&e.to_string()), "invalid value: integer `300`, expected u8");
/// ```
pub fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The path, in `serde_path_to_error`'s notation, of the value `serde_json` was reading when
/// it failed on `text` with `error`.
/// The JSON path of the value at which `error` (from parsing `text`) arose.
#[doc(hidden)]
pub fn at(text: &[u8], error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let end = index(text, error.line(), error.column());
    // A syntax error is reported just past the byte the parser looked at and refused, which
    // it did not take in; the other errors are reported where it stopped.
    let end = match error.classify() {
        Category::Syntax => end.saturating_sub(1),
        Category::Io | Category::Data | Category::Eof => end,
    };
    // A `0` the parser refused a digit after is a number it was still reading.
    let leading_zero = text.get(end).is_some_and(u8::is_ascii_digit);
    let frames = scan(&text[..end], leading_zero);
    // In an array, a refused byte that could not close it starts the next element.
    let element = !matches!(text.get(end), None | Some(b']'));
    render(&frames, error.classify() == Category::Data, element)
}

/// The byte index `serde_json` reports as (line, column): the column counts the bytes before
/// it on its line.
fn index(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', &text[start..]) {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    (start + column).min(text.len())
}

/// Where the reader is inside one object or array.
#[derive(Debug, PartialEq)]
enum State {
    /// Before a key (objects) or an element (arrays).
    Expect,
    /// An object's key is read; its colon is not.
    AfterKey,
    /// After the colon, before the value.
    BeforeValue,
    /// Inside the value: a container, or a scalar the text stops in.
    InValue,
    /// The value is complete.
    Done,
}

#[derive(Debug)]
struct Frame {
    /// The object's current key, or `None` for an array.
    key: Option<String>,
    /// The array's current index.
    index: usize,
    array: bool,
    state: State,
}

fn is_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

/// Reads `text` (the bytes before the error) and returns the open containers. A literal the
/// text ends in is still being read unless it is a whole one (`true`, `12.5`), or is a `0`
/// the parser refused more digits after (`leading_zero`).
fn scan(text: &[u8], leading_zero: bool) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    let mut i = 0;
    let value_starts = |frames: &mut Vec<Frame>| {
        if let Some(f) = frames.last_mut() {
            f.state = State::InValue;
        }
    };
    while i < text.len() {
        let b = text[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'{' | b'[' => {
                value_starts(&mut frames);
                frames.push(Frame {
                    key: None,
                    index: 0,
                    array: b == b'[',
                    state: State::Expect,
                });
                i += 1;
            }
            b'}' | b']' => {
                frames.pop();
                if let Some(f) = frames.last_mut() {
                    f.state = State::Done;
                }
                i += 1;
            }
            b',' => {
                if let Some(f) = frames.last_mut() {
                    if f.array {
                        f.index += 1;
                    } else {
                        f.key = None;
                    }
                    f.state = State::Expect;
                }
                i += 1;
            }
            b':' => {
                if let Some(f) = frames.last_mut() {
                    f.state = State::BeforeValue;
                }
                i += 1;
            }
            b'"' => {
                let (s, closed, next) = string(text, i + 1);
                i = next;
                let Some(f) = frames.last_mut() else { continue };
                if !f.array && f.state == State::Expect {
                    if closed {
                        f.key = Some(s);
                        f.state = State::AfterKey;
                    }
                } else {
                    f.state = if closed { State::Done } else { State::InValue };
                }
            }
            _ => {
                let start = i;
                while i < text.len() && is_literal(text[i]) {
                    i += 1;
                }
                if i == start {
                    // A byte no JSON value starts with: the parser stopped on it.
                    i += 1;
                    continue;
                }
                let literal = &text[start..i];
                let whole = whole(literal) && !(leading_zero && literal.ends_with(b"0"));
                if let Some(f) = frames.last_mut() {
                    f.state = if i == text.len() && !whole {
                        State::InValue
                    } else {
                        State::Done
                    };
                }
            }
        }
    }
    frames
}

/// Whether `t` is a whole JSON literal or number.
fn whole(t: &[u8]) -> bool {
    if matches!(t, b"true" | b"false" | b"null") {
        return true;
    }
    let digits = |t: &[u8], at: usize| t[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = usize::from(t.first() == Some(&b'-'));
    let n = digits(t, i);
    if n == 0 || (n > 1 && t[i] == b'0') {
        return false;
    }
    i += n;
    if t.get(i) == Some(&b'.') {
        let n = digits(t, i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if matches!(t.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(t.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(t, i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == t.len()
}

/// A string's decoded text from after its opening quote, whether it closed, and the index
/// after it.
fn string(text: &[u8], mut i: usize) -> (String, bool, usize) {
    let mut out = Vec::new();
    while i < text.len() {
        match text[i] {
            b'"' => return (String::from_utf8_lossy(&out).into_owned(), true, i + 1),
            b'\\' if i + 1 < text.len() => {
                let e = text[i + 1];
                i += 2;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let hex = text.get(i..i + 4).and_then(|h| std::str::from_utf8(h).ok());
                        let mut code = hex.and_then(|h| u32::from_str_radix(h, 16).ok());
                        i += 4;
                        // A surrogate pair is two escapes.
                        if let Some(hi @ 0xD800..=0xDBFF) = code {
                            let lo = text
                                .get(i..i + 6)
                                .filter(|l| l.starts_with(b"\\u"))
                                .and_then(|l| std::str::from_utf8(&l[2..]).ok())
                                .and_then(|h| u32::from_str_radix(h, 16).ok());
                            if let Some(lo @ 0xDC00..=0xDFFF) = lo {
                                code = Some(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
                                i += 6;
                            }
                        }
                        let c = code.and_then(char::from_u32).unwrap_or('\u{FFFD}');
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    other => out.push(other),
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), false, i)
}

/// The path of the open containers. Outer ones name their current member. The innermost
/// one names it while it is being read, and once its key or value is read if the error is
/// about data (an unknown key, a wrong type); a syntax error after a complete member is the
/// container's, written `?` in an object, as the tracker writes a key it never got.
fn render(frames: &[Frame], data: bool, element: bool) -> String {
    let mut out = String::new();
    let last = frames.len().saturating_sub(1);
    for (n, f) in frames.iter().enumerate() {
        let segment = if n < last {
            Segment::Member
        } else {
            match (&f.state, data) {
                (State::BeforeValue | State::InValue, _) => Segment::Member,
                (State::AfterKey | State::Done, true) => Segment::Member,
                (State::AfterKey, false) => Segment::None,
                // A wrong type is reported where the value starts (`[{` for a list of text).
                (State::Expect, true) if f.array => Segment::Member,
                (State::Expect, false) if f.array && element => Segment::Member,
                (State::Expect | State::Done, _) if f.array => Segment::None,
                (State::Expect | State::Done, _) => Segment::Unknown,
            }
        };
        let text = match (segment, f.array) {
            (Segment::None, _) => break,
            (Segment::Member, true) => format!("[{}]", f.index),
            (Segment::Member, false) => f.key.clone().unwrap_or_else(|| "?".into()),
            (Segment::Unknown, _) => "?".into(),
        };
        if !out.is_empty() && !f.array {
            out.push('.');
        }
        out.push_str(&text);
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// What the innermost container adds to the path.
#[derive(Clone, Copy)]
enum Segment {
    /// Nothing: the error is the container's own.
    None,
    /// Its current key or index.
    Member,
    /// A key not (yet) read.
    Unknown,
}

/// Checks, in the tests, the path found here against `serde_path_to_error`'s for the same
/// text and type: the same, or deeper where the tracker stopped at an ignored value.
#[cfg(any(test, feature = "path-check"))]
#[doc(hidden)]
pub fn check<T: serde::de::DeserializeOwned>(text: &[u8], error: &serde_json::Error) {
    let found = at(text, error);
    let de = &mut serde_json::Deserializer::from_slice(text);
    let tracked =
        match serde_path_to_error::deserialize::<_, T>(crate::strict::Strict::new(&mut *de)) {
            Err(e) => {
                assert_eq!(e.inner().to_string(), error.to_string());
                e.path().to_string()
            }
            // Text after the value, which only `from_slice` refuses: every container is closed.
            Ok(_) => ".".to_string(),
        };
    let extends = |deeper: &str| {
        tracked == "."
            || deeper == tracked
            || deeper
                .strip_prefix(tracked.as_str())
                .is_some_and(|rest| rest.starts_with(['.', '[']))
    };
    assert!(
        extends(&found),
        "path of `{error}` in {:?}: found {found}, tracked {tracked}",
        String::from_utf8_lossy(text)
    );
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        a: Inner,
        list: Vec<Inner>,
        #[serde(default)]
        tagged: Option<Tagged>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        n: u64,
        #[serde(default)]
        s: Option<String>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    #[serde(tag = "type")]
    enum Tagged {
        One { x: u64 },
    }

    fn both(text: &str) -> (String, String) {
        let de = &mut serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, Outer>(&mut *de) {
            Err(e) => (super::at(text.as_bytes(), e.inner()), e.path().to_string()),
            // Text after the value: the tracker has left every container.
            Ok(_) => (
                super::at(text.as_bytes(), &de.end().unwrap_err()),
                ".".into(),
            ),
        }
    }

    #[test]
    fn paths_agree_with_the_tracker() {
        let cases = [
            r#"{"a": {"n": "x"}, "list": []}"#,
            r#"{"a": {"n": 1}, "list": [{"n": 1}, {"n": -1}]}"#,
            r#"{"a": {}, "list": []}"#,
            r#"{"a": {"n": 1 }, "list": [{"s": "y"}]}"#,
            r#"{"a": {"n": 1, "zz": 2}, "list": []}"#,
            r#"{"a": {"n": 1}, "list": [], "tagged": {"type": "Two"}}"#,
            r#"{"a": {"n": 1}, "list": [1"#,
            r#"{"a": {"n": 1}, "list": [{"n": 1},"#,
            r#"{"a": {"n": tru"#,
            r#"{"a": {"n": 1 x}"#,
            r#"{"a": {"n":"#,
            r#"{"a": {"n""#,
            r#"{"a": {"n\u0041": 1}}"#,
            r#"{"a": {"n": 1}, "list": {}}"#,
            "[1, 2]",
            "",
            r#"{"a": {"n": 1}, "list": []} x"#,
            r#"{"a": {"#,
            r#"{"a": {"n": 1,}"#,
            r#"{"a": {"n": 1}, "list": [1,]}"#,
            r#"{"a": {"n": 1}, "list": [{"n": 1} {"n": 2}]}"#,
            r#"{"a": {"n": 1}, "list": [{"n": "\ud83d\ude00"}]}"#,
            "{\"a\": {\"n\": 1},\n \"list\": [\n{\"n\": null}]}",
            r#"{"a" 1}"#,
            "{",
            "  ",
            r#"{"a": {"n": 1}, "list": [], "tagged": {"x": 1}}"#,
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter_map(|text| {
                let (found, tracked) = both(text);
                (found != tracked).then(|| format!("{text}: found {found}, tracked {tracked}"))
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}
