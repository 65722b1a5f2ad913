//! Character classes for the pre-tokenizers.
//!
//! tiktoken's patterns are evaluated by the `regex` crate, so "is this a letter" means
//! whatever that crate's Unicode tables say. `tokens/unicode.bin` is generated from those
//! very tables (`tools/gen-tokens`) and `tests/tokens.rs` checks it against `regex` on every
//! code point, so the scanners here agree with the patterns on all of Unicode, including
//! unassigned code points.
//!
//! Each class is returned as a set of flags, one per character set the patterns use, so a
//! scanner tests membership with a single `&`.

/// `\p{L}`.
pub(super) const L: u8 = 1;
/// o200k's "upper" set `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`.
pub(super) const U: u8 = 2;
/// o200k's "lower" set `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`.
pub(super) const W: u8 = 4;
/// `\p{N}`.
pub(super) const N: u8 = 8;
/// `\s` (Unicode `White_Space`).
pub(super) const S: u8 = 16;
/// `[^\r\n\p{L}\p{N}]`: the optional one-character prefix of a word.
pub(super) const P: u8 = 32;
/// `[^\s\p{L}\p{N}]`: punctuation, symbols, marks and everything unassigned.
pub(super) const Q: u8 = 64;

/// Flags of each class id stored in `unicode.bin` (see `tools/gen-tokens`).
const FLAGS: [u8; 7] = [
    P | Q,         // 0 other
    L | U,         // 1 Lu, Lt
    L | W,         // 2 Ll
    L | U | W,     // 3 Lm, Lo
    U | W | P | Q, // 4 M
    N,             // 5 N
    S | P,         // 6 White_Space (\r and \n are set apart below)
];

static TABLE: &[u8; include_bytes!("../data/unicode.bin").len()] =
    include_bytes!("../data/unicode.bin");

/// Code points per block, as a shift; the generator writes it in the header.
const SHIFT: u32 = 7;
const INDEX: usize = 12;
const BLOCKS: usize = INDEX + 2 * (0x110000 >> SHIFT);

// A stale or truncated table would misclassify silently; refuse to build instead.
const _: () = {
    assert!(TABLE[0] == b'T' && TABLE[1] == b'U' && TABLE[2] == b'C' && TABLE[3] == b'1');
    assert!(TABLE[4] as u32 == SHIFT);
    let blocks = u32::from_le_bytes([TABLE[8], TABLE[9], TABLE[10], TABLE[11]]) as usize;
    assert!(TABLE.len() == BLOCKS + (blocks << SHIFT));
};

/// Class flags of a code point; `cp` must be a Unicode scalar value.
#[inline]
const fn lookup(cp: u32) -> u8 {
    let slot = INDEX + 2 * (cp >> SHIFT) as usize;
    let block = u16::from_le_bytes([TABLE[slot], TABLE[slot + 1]]) as usize;
    FLAGS[TABLE[BLOCKS + (block << SHIFT) + (cp as usize & ((1 << SHIFT) - 1))] as usize]
}

/// Flags of every ASCII byte, computed at compile time from the same table.
static ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        t[i] = lookup(i as u32);
        i += 1;
    }
    // `\r` and `\n` are white space but never a word prefix (`[^\r\n...]`).
    t[b'\r' as usize] = S;
    t[b'\n' as usize] = S;
    t
};

/// Flags and UTF-8 length of the character starting at byte `i` of `s`, or `(0, 0)` at
/// the end of the text (no flags: the end belongs to no set).
///
/// `s` must be valid UTF-8 and `i` a character boundary; both hold because `s` comes from
/// a `&str` and the scanners advance by the lengths returned here.
#[inline(always)]
pub(super) fn at(s: &[u8], i: usize) -> (u8, usize) {
    let Some(&b0) = s.get(i) else {
        return (0, 0);
    };
    if b0 < 0x80 {
        return (ASCII[b0 as usize], 1);
    }
    // Valid UTF-8, so the continuation bytes exist; `get` keeps this free of `unsafe`.
    let b = |k: usize| (s.get(i + k).copied().unwrap_or(0) & 0x3F) as u32;
    let (cp, len) = if b0 < 0xE0 {
        (((b0 as u32 & 0x1F) << 6) | b(1), 2)
    } else if b0 < 0xF0 {
        (((b0 as u32 & 0x0F) << 12) | (b(1) << 6) | b(2), 3)
    } else {
        (
            ((b0 as u32 & 0x07) << 18) | (b(1) << 12) | (b(2) << 6) | b(3),
            4,
        )
    };
    (lookup(cp), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_classes() {
        assert_eq!(at(b"a", 0), (L | W, 1));
        assert_eq!(at(b"Z", 0), (L | U, 1));
        assert_eq!(at(b"7", 0), (N, 1));
        assert_eq!(at(b" ", 0), (S | P, 1));
        assert_eq!(at(b"\n", 0), (S, 1));
        assert_eq!(at(b"'", 0), (P | Q, 1));
        assert_eq!(at(b"", 0), (0, 0));
    }

    #[test]
    fn non_ascii_classes() {
        let flags = |c: char| at(c.to_string().as_bytes(), 0);
        assert_eq!(flags('é'), (L | W, 2));
        assert_eq!(flags('中'), (L | U | W, 3));
        assert_eq!(flags('\u{0301}'), (U | W | P | Q, 2));
        assert_eq!(flags('\u{3000}'), (S | P, 3));
        assert_eq!(flags('😀'), (P | Q, 4));
        assert_eq!(flags('٣'), (N, 2));
    }

    /// Every code point's flags equal its membership in the very character sets of
    /// tiktoken's patterns, as the `regex` crate (which evaluates them) decides.
    #[test]
    fn every_code_point_matches_regex() {
        let sets: [(u8, &str); 7] = [
            (L, r"\p{L}"),
            (U, r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"),
            (W, r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"),
            (N, r"\p{N}"),
            (S, r"\s"),
            (P, r"[^\r\n\p{L}\p{N}]"),
            (Q, r"[^\s\p{L}\p{N}]"),
        ];
        let all: String = (0..=0x10FFFF).filter_map(char::from_u32).collect();
        let mut want = vec![0u8; 0x110000];
        for (flag, set) in sets {
            let re = regex::Regex::new(&format!("{set}+")).unwrap();
            for m in re.find_iter(&all) {
                for c in m.as_str().chars() {
                    want[c as usize] |= flag;
                }
            }
        }
        let mut buf = [0u8; 4];
        for c in all.chars() {
            let got = at(c.encode_utf8(&mut buf).as_bytes(), 0);
            assert_eq!(got, (want[c as usize], c.len_utf8()), "U+{:04X}", c as u32);
        }
    }
}
