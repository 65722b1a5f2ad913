//! Hand-written pre-tokenizers that split text exactly where tiktoken's regexes do.
//!
//! tiktoken splits text with a regex (run by `fancy-regex`, backtracking, leftmost
//! alternative first) and byte-pair-encodes each piece on its own. A regex engine spends
//! most of tiktoken's time; these scanners replace it with a few table lookups per
//! character. Each function below takes the pattern's alternatives in order and says, in
//! its comments, what backtracking would do, so that the first alternative a backtracking
//! engine accepts is the one returned here. `tests/tokens.rs` checks the scanners against
//! the regexes themselves on the test corpus and on generated strings.
//!
//! Every character starts some alternative of both patterns, so matches are contiguous:
//! a piece always starts where the previous one ended.

use super::unicode::{at, L, N, P, Q, S, U, W};

/// Which pattern to split with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pattern {
    /// `o200k_base` (and `o200k_harmony`).
    O200k,
    /// `cl100k_base`.
    Cl100k,
}

impl Pattern {
    /// End of the piece that starts at `p` (`p < s.len()`).
    #[inline]
    pub(super) fn next_end(self, s: &[u8], p: usize) -> usize {
        match self {
            Pattern::O200k => o200k(s, p),
            Pattern::Cl100k => cl100k(s, p),
        }
    }
}

/// Advances from `i` over characters having any of `flags`.
#[inline(always)]
fn run(s: &[u8], mut i: usize, flags: u8) -> usize {
    loop {
        let (f, l) = at(s, i);
        if f & flags == 0 {
            return i;
        }
        i += l;
    }
}

/// `\p{N}{1,3}` from `p`, where `p` is known to start a number.
#[inline(always)]
fn digits(s: &[u8], p: usize) -> usize {
    let mut i = p;
    for _ in 0..3 {
        let (f, l) = at(s, i);
        if f & N == 0 {
            break;
        }
        i += l;
    }
    i
}

/// End of an ASCII-case-insensitive match of `lit` (lower case) at `i`, if any.
///
/// `(?i)` in the `regex` crate uses Unicode simple case folding; of the letters in the
/// contraction suffixes only `s` has a non-ASCII fold (`ſ`, U+017F), handled by callers.
#[inline(always)]
fn ascii_ci(s: &[u8], i: usize, lit: &[u8]) -> Option<usize> {
    let end = i + lit.len();
    let got = s.get(i..end)?;
    got.eq_ignore_ascii_case(lit).then_some(end)
}

/// After an apostrophe at `i`: the end of `(?i:s|t|re|ve|m|ll|d)`, the suffixes both
/// patterns accept (o200k lists them in another order, but no two share a first letter, so
/// the order cannot matter).
#[inline]
fn contraction(s: &[u8], i: usize) -> Option<usize> {
    if s.get(i) != Some(&b'\'') {
        return None;
    }
    let j = i + 1;
    match s.get(j)?.to_ascii_lowercase() {
        b's' | b't' | b'm' | b'd' => Some(j + 1),
        b'r' => ascii_ci(s, j, b"re"),
        b'v' => ascii_ci(s, j, b"ve"),
        b'l' => ascii_ci(s, j, b"ll"),
        // ſ (U+017F LATIN SMALL LETTER LONG S) folds to `s`.
        0xC5 if s.get(j + 1) == Some(&0xBF) => Some(j + 2),
        _ => None,
    }
}

/// The white-space alternatives, from `p`, which starts a white-space run.
///
/// Scans the run once and reports its end, the end of its last `\r`/`\n`, and the start of
/// its last character: every white-space alternative of both patterns ends at one of them.
#[inline]
fn space_run(s: &[u8], p: usize) -> (usize, Option<usize>, usize) {
    let mut i = p;
    let mut newline_end = None;
    let mut last = p;
    loop {
        let (f, l) = at(s, i);
        if f & S == 0 {
            return (i, newline_end, last);
        }
        if s[i] == b'\r' || s[i] == b'\n' {
            newline_end = Some(i + 1);
        }
        last = i;
        i += l;
    }
}

// ---------------------------------------------------------------------------------------
// o200k_base:
//
//   1  [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//   2  [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//   3  \p{N}{1,3}
//   4   ?[^\s\p{L}\p{N}]+[\r\n/]*
//   5  \s*[\r\n]+
//   6  \s+(?!\S)
//   7  \s+
//
// With P = [^\r\n\p{L}\p{N}], U = the first bracket (upper), W = the second (lower).
// ---------------------------------------------------------------------------------------

/// Alternative 1 without its prefix, from `q`: `U*W+` then an optional contraction.
///
/// Backtracking: `U*` first takes the whole U-run. If the character after it is in W
/// (then it is `Ll`, the only W that is not U), `W+` takes the W-run from there. Otherwise
/// `U*` gives characters back until `W+` can start, i.e. at the last W inside the run;
/// `W+` then stops after that one character, since what follows it is not W. No W at all:
/// no match.
#[inline]
fn o200k_lower_word(s: &[u8], q: usize) -> Option<usize> {
    let mut i = q;
    let mut last_w_end = None;
    loop {
        let (f, l) = at(s, i);
        if f & U == 0 {
            let end = if f & W != 0 {
                run(s, i + l, W)
            } else {
                last_w_end?
            };
            return Some(contraction(s, end).unwrap_or(end));
        }
        i += l;
        if f & W != 0 {
            last_w_end = Some(i);
        }
    }
}

/// Alternative 2 without its prefix, from `q`: `U+W*` then an optional contraction.
#[inline]
fn o200k_upper_word(s: &[u8], q: usize) -> Option<usize> {
    let (f, l) = at(s, q);
    if f & U == 0 {
        return None;
    }
    let end = run(s, run(s, q + l, U), W);
    Some(contraction(s, end).unwrap_or(end))
}

fn o200k(s: &[u8], p: usize) -> usize {
    // Fast path for the commonest pieces, ASCII words with an optional leading space
    // (" word", "Word", " HTTP"): in ASCII, U is A-Z and W is a-z, so alternative 1 is
    // "upper run, then a non-empty lower run" and alternative 2 "a non-empty upper run".
    // Anything else, including a word that continues past ASCII, takes the general path.
    let mut i = p + usize::from(s[p] == b' ');
    let word = i;
    while s.get(i).is_some_and(u8::is_ascii_uppercase) {
        i += 1;
    }
    while s.get(i).is_some_and(u8::is_ascii_lowercase) {
        i += 1;
    }
    // With a lower run alternative 1 matches up to here; without one it fails and
    // alternative 2 matches the same characters. Either way a contraction may follow.
    if i > word && s.get(i).is_none_or(u8::is_ascii) {
        return contraction(s, i).unwrap_or(i);
    }
    o200k_general(s, p)
}

fn o200k_general(s: &[u8], p: usize) -> usize {
    let (f0, l0) = at(s, p);
    let q = p + l0;
    if f0 & L != 0 {
        // A letter is in U or W, so alternative 1 or 2 matches (a letter is no prefix).
        return o200k_lower_word(s, p)
            .or_else(|| o200k_upper_word(s, p))
            .unwrap_or(q);
    }
    if f0 & P != 0 {
        // Alternatives 1 and 2, each first with the prefix and then without it. Without
        // it only a mark (in P, U and W at once) can start a word.
        if let Some(e) = o200k_lower_word(s, q) {
            return e;
        }
        if f0 & U != 0 {
            if let Some(e) = o200k_lower_word(s, p) {
                return e;
            }
        }
        if let Some(e) = o200k_upper_word(s, q) {
            return e;
        }
        if f0 & U != 0 {
            if let Some(e) = o200k_upper_word(s, p) {
                return e;
            }
        }
    }
    if f0 & N != 0 {
        return digits(s, p);
    }
    // 4: an optional space, a run of punctuation, then any \r, \n and /.
    if let Some(end) = punctuation(s, p, q, f0, b"\r\n/") {
        return end;
    }
    // Only white space is left (every other class returned above).
    debug_assert!(f0 & S != 0);
    let (end, newline_end, last) = space_run(s, p);
    // 5: `\s*` backtracks to the run's last newline, `[\r\n]+` takes it.
    if let Some(e) = newline_end {
        return e;
    }
    // 6: the whole run at the end of the text, else all but the last character, which is
    // followed by a non-space; 7: a single space before a non-space.
    if end == s.len() {
        end
    } else if last > p {
        last
    } else {
        end
    }
}

// ---------------------------------------------------------------------------------------
// cl100k_base:
//
//   1  '(?i:[sdmt]|ll|ve|re)
//   2  [^\r\n\p{L}\p{N}]?+\p{L}++
//   3  \p{N}{1,3}+
//   4   ?[^\s\p{L}\p{N}]++[\r\n]*+
//   5  \s++$
//   6  \s*[\r\n]
//   7  \s+(?!\S)
//   8  \s
// ---------------------------------------------------------------------------------------

fn cl100k(s: &[u8], p: usize) -> usize {
    // Fast path: an ASCII word with an optional leading space is alternative 2 whenever
    // the character after it is ASCII too (so not a letter the word would continue with).
    let mut i = p + usize::from(s[p] == b' ');
    let word = i;
    while s.get(i).is_some_and(u8::is_ascii_alphabetic) {
        i += 1;
    }
    if i > word && s.get(i).is_none_or(u8::is_ascii) {
        return i;
    }
    cl100k_general(s, p)
}

fn cl100k_general(s: &[u8], p: usize) -> usize {
    // 1
    if let Some(e) = contraction(s, p) {
        return e;
    }
    let (f0, l0) = at(s, p);
    let q = p + l0;
    // 2: the prefix is possessive, but giving it back could not help: without it the
    // match would have to start with a letter, and the prefix is not one.
    if f0 & L != 0 {
        return run(s, q, L);
    }
    if f0 & P != 0 {
        let (f1, l1) = at(s, q);
        if f1 & L != 0 {
            return run(s, q + l1, L);
        }
    }
    // 3
    if f0 & N != 0 {
        return digits(s, p);
    }
    // 4: an optional space, a run of punctuation, then any \r and \n.
    if let Some(end) = punctuation(s, p, q, f0, b"\r\n") {
        return end;
    }
    debug_assert!(f0 & S != 0);
    let (end, newline_end, last) = space_run(s, p);
    // 5: `$` without the multi-line flag is the end of the text.
    if end == s.len() {
        return end;
    }
    // 6, then 7 (all but the last character, which precedes a non-space), then 8.
    if let Some(e) = newline_end {
        e
    } else if last > p {
        last
    } else {
        q
    }
}

/// Iterator over the pieces of a text; see [`Encoding::pieces`](super::Encoding::pieces).
#[derive(Clone, Debug)]
pub struct Pieces<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
    pub(super) pattern: Pattern,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        self.pos = self.pattern.next_end(self.text.as_bytes(), start);
        // Scanners end pieces on character boundaries; `get` keeps that checked.
        self.text.get(start..self.pos)
    }
}

impl std::iter::FusedIterator for Pieces<'_> {}

/// Alternative 4 of both patterns: ` ?[^\s\p{L}\p{N}]+` followed by any of `tail` (o200k
/// also swallows `/`, cl100k does not). `q` is the position after `s[p]`, `f0` its classes.
#[inline]
fn punctuation(s: &[u8], p: usize, q: usize, f0: u8, tail: &[u8]) -> Option<usize> {
    let start = if s[p] == b' ' && at(s, q).0 & Q != 0 {
        q
    } else if f0 & Q != 0 {
        p
    } else {
        return None;
    };
    let mut i = run(s, start, Q);
    while s.get(i).is_some_and(|b| tail.contains(b)) {
        i += 1;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(pattern: Pattern, text: &str) -> Vec<&str> {
        Pieces {
            text,
            pos: 0,
            pattern,
        }
        .collect()
    }

    #[test]
    fn o200k_examples() {
        let o = |t| split(Pattern::O200k, t);
        assert_eq!(o("Hello world"), ["Hello", " world"]);
        assert_eq!(o("DON'T we'll"), ["DON'T", " we'll"]);
        assert_eq!(o("HELLo AbC"), ["HELLo", " Ab", "C"]);
        assert_eq!(o("12345"), ["123", "45"]);
        assert_eq!(o("a  b"), ["a", " ", " b"]);
        assert_eq!(o("x\n\n  y"), ["x", "\n\n", " ", " y"]);
        assert_eq!(o("a  "), ["a", "  "]);
        assert_eq!(o("!!\n/x"), ["!!\n/", "x"]);
        assert_eq!(o("中文A"), ["中文", "A"]);
    }

    #[test]
    fn cl100k_examples() {
        let c = |t| split(Pattern::Cl100k, t);
        assert_eq!(c("Hello world"), ["Hello", " world"]);
        assert_eq!(c("DON'T we'll"), ["DON", "'T", " we", "'ll"]);
        assert_eq!(c("12345"), ["123", "45"]);
        assert_eq!(c("a\n  "), ["a", "\n  "]);
        assert_eq!(c("a\n  b"), ["a", "\n", " ", " b"]);
        assert_eq!(c("'hello"), ["'hello"]);
    }
}
