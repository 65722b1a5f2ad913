//! Counting a text that arrives in pieces (a streamed response), in memory that does not
//! grow with its length.

use std::io::{self, Read};

use super::approx::{Counter, Features};
use super::{Encoding, PieceCache};

impl Encoding {
    /// The number of tokens in the UTF-8 text `reader` yields: exactly
    /// [`Encoding::count`] of the whole text, in memory that does not grow with its length.
    ///
    /// The text is read in 1 MiB chunks and each pre-tokenizer piece is counted once no
    /// continuation can change it (the rule [`StreamingCounter`] uses), so what is held is
    /// the unfinished piece, never the text read before it. Unlike [`StreamingCounter`]
    /// nothing is ever cut: a single piece of any length (a run of one letter, a base64
    /// blob) is held whole and merged exactly, at about five bytes per byte of the piece.
    ///
    /// Text that is not UTF-8 is an [`io::ErrorKind::InvalidData`] error naming the offset
    /// of the first bad byte.
    ///
    /// ```
    /// use tariff_tokenizer::Encoding;
    /// let text = "Streaming from a reader, as from a file: 12345 tokens?";
    /// let n = Encoding::O200kBase.count_reader(text.as_bytes()).unwrap();
    /// assert_eq!(n, Encoding::O200kBase.count(text));
    /// assert!(Encoding::O200kBase.count_reader(&b"caf\xe9"[..]).is_err());
    /// ```
    pub fn count_reader<R: Read>(self, reader: R) -> io::Result<usize> {
        self.count_reader_in(reader, 1 << 20)
    }

    /// [`Encoding::count_reader`] reading `chunk` bytes at a time.
    fn count_reader_in<R: Read>(self, mut reader: R, chunk: usize) -> io::Result<usize> {
        const MIN_CHUNK: usize = 4;
        let chunk = chunk.max(MIN_CHUNK);
        let mut cache = PieceCache::new();
        let mut carry = String::new();
        let mut buf = vec![0u8; chunk];
        // Bytes of a character split by the last read, kept at the start of `buf`.
        let mut pending = 0;
        // Bytes of text taken into `carry` so far, for the offset of a bad byte.
        let mut offset = 0u64;
        let mut total = 0usize;
        // The carry is split again only once it has grown by a chunk and doubled since the
        // last split, so a piece growing over many chunks is scanned O(1) times a byte.
        let mut next_split = chunk;
        let invalid = |at: u64| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not UTF-8 text (byte {at} is not part of a UTF-8 character)"),
            )
        };
        loop {
            let n = match reader.read(&mut buf[pending..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                if pending > 0 {
                    return Err(invalid(offset));
                }
                break;
            }
            let filled = pending + n;
            let valid = match std::str::from_utf8(&buf[..filled]) {
                Ok(_) => filled,
                // A character cut at the end of the buffer: finished by the next read.
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(e) => return Err(invalid(offset + e.valid_up_to() as u64)),
            };
            carry.push_str(std::str::from_utf8(&buf[..valid]).expect("validated above"));
            buf.copy_within(valid..filled, 0);
            pending = filled - valid;
            offset += valid as u64;
            if carry.len() >= next_split {
                let (done, tokens) = self.count_finished(&carry, &mut cache);
                total += tokens;
                carry.drain(..done);
                next_split = chunk.max(carry.len().saturating_mul(2));
            }
        }
        Ok(total + self.count_with(&carry, usize::MAX, Some(&mut cache)))
    }

    /// Counts the pieces of `text` that no continuation can change (see [`safe_end`]):
    /// returns where they end and their tokens.
    fn count_finished(self, text: &str, cache: &mut PieceCache) -> (usize, usize) {
        let (vocab, pattern) = (self.vocab(), self.pattern());
        let limit = safe_limit(text);
        let bytes = text.as_bytes();
        let (mut pos, mut tokens) = (0, 0);
        while pos < bytes.len() {
            let end = pattern.next_end(bytes, pos);
            // A boundary that starts the last piece is fine; one inside it does not exist.
            if end > limit || end >= bytes.len() {
                break;
            }
            tokens += cache.count(vocab, &bytes[pos..end]);
            pos = end;
        }
        (pos, tokens)
    }
}

/// Counts tokens of a text fed as deltas, keeping only a bounded carry.
///
/// For an exact encoding, a pre-tokenizer piece is final once enough text follows it
/// (see `safe_end`: a few characters, and the end of any white-space run after it), so
/// finished pieces are counted as they arrive and only the unfinished tail is carried. A piece is normally a word, a number of at most three digits or a run
/// of white space or punctuation; a single piece longer than [`StreamingCounter::MAX_CARRY`]
/// bytes (a long run of spaces, a base64 blob) is cut there and counted in parts, which can
/// differ from the whole-text count by a token at each cut, and the count is then reported
/// as not exact. For an estimated family the character-class counts are incremental
/// already and nothing is carried.
///
/// ```
/// use tariff_tokenizer::{Counter, Encoding, StreamingCounter};
///
/// let text = "Streaming, then counting: 12345 tokens?  Or not.";
/// let mut c = StreamingCounter::new(Counter::Exact(Encoding::O200kBase));
/// for delta in ["Stream", "ing, th", "en counting: 12", "345 tokens?  ", " Or not."] {
///     c.push(delta);
/// }
/// assert_eq!(c.total(), Encoding::O200kBase.count(text));
/// assert!(c.is_exact());
/// ```
pub struct StreamingCounter {
    counter: Counter,
    /// Exact encodings: text of the last, possibly unfinished, piece.
    carry: String,
    /// Exact encodings: tokens of the finished pieces.
    counted: usize,
    /// Estimated families: the character classes so far.
    features: Features,
    /// Whether a piece was cut at `MAX_CARRY`.
    cut: bool,
    bytes: u64,
    /// Exact encodings, once a long text has streamed: recently seen pieces (96 KB).
    cache: Option<Box<PieceCache>>,
}

impl StreamingCounter {
    /// The longest carry kept, in bytes, before a piece is cut.
    pub const MAX_CARRY: usize = 4096;

    /// A counter for one text.
    pub fn new(counter: Counter) -> Self {
        StreamingCounter {
            counter,
            carry: String::new(),
            counted: 0,
            features: Features::default(),
            cut: false,
            bytes: 0,
            cache: None,
        }
    }

    /// What counts the text.
    pub fn counter(&self) -> Counter {
        self.counter
    }

    /// Feeds the next delta of the text.
    pub fn push(&mut self, delta: &str) {
        self.bytes += delta.len() as u64;
        let enc = match self.counter {
            Counter::Approx(_) => {
                self.features.add(delta);
                return;
            }
            Counter::Exact(e) => e,
        };
        self.carry.push_str(delta);
        let safe = safe_end(enc, &self.carry);
        if safe > 0 {
            let vocab = enc.vocab();
            if self.cache.is_none() && self.bytes >= PieceCache::MIN_TEXT as u64 {
                self.cache = Some(Box::new(PieceCache::new()));
            }
            // Split the whole carry, not the prefix alone: at the prefix's end the
            // white-space alternatives would see an end of text that is not there.
            let mut pos = 0;
            for piece in enc.pieces(&self.carry) {
                if pos >= safe {
                    break;
                }
                pos += piece.len();
                self.counted += match &mut self.cache {
                    Some(c) => c.count(vocab, piece.as_bytes()),
                    None => vocab.encode_piece::<false>(piece.as_bytes(), &mut |_| {}),
                };
            }
            debug_assert_eq!(pos, safe);
            self.carry.drain(..safe);
        }
        // One delta may bring many times the bound: cut until the carry fits.
        while self.carry.len() > Self::MAX_CARRY {
            let mut cut = Self::MAX_CARRY;
            while !self.carry.is_char_boundary(cut) {
                cut -= 1;
            }
            self.counted += enc.count(&self.carry[..cut]);
            self.carry.drain(..cut);
            self.cut = true;
        }
    }

    /// Tokens of everything fed so far (the carried piece counted as if the text ended
    /// here).
    pub fn total(&self) -> usize {
        match self.counter {
            Counter::Approx(a) => a.estimate(&self.features),
            Counter::Exact(e) => self.counted + e.count(&self.carry),
        }
    }

    /// Whether [`StreamingCounter::total`] is the exact count of the whole text: the
    /// encoding is exact and no piece had to be cut.
    pub fn is_exact(&self) -> bool {
        self.counter.is_exact() && !self.cut
    }

    /// Bytes of text fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Bytes currently carried (at most [`StreamingCounter::MAX_CARRY`]).
    pub fn carried(&self) -> usize {
        self.carry.len()
    }
}

/// The end of the longest prefix of `text` whose pieces no continuation of `text` can
/// change: a piece boundary at or before the start of the last piece, before any trailing
/// run of white space, and at least [`LOOKAHEAD`] characters from the end.
///
/// Why each condition: the last piece may grow (`hel` + `lo`); a white-space piece is
/// matched by scanning the whole run of white space after it (`\s*[\r\n]+` backtracks
/// from the run's end), so while the text ends in white space the run may still change
/// where it splits; and o200k's letter pieces take an optional contraction suffix, so
/// `don` followed by a final `'` becomes `don't` when `t` arrives. Nothing else in either
/// pattern reads more than one character past the piece it matches.
///
/// The prefix's pieces are taken as split inside `text` (on its own, its end would look
/// like the end of the text to the white-space alternatives); the rest is split from the
/// same starting point later (the patterns have no look-behind), so a count in parts
/// equals the whole count.
fn safe_end(enc: Encoding, text: &str) -> usize {
    let limit = safe_limit(text);
    let mut best = 0;
    let mut pos = 0;
    for piece in enc.pieces(text) {
        if pos > limit {
            break;
        }
        let end = pos + piece.len();
        // A boundary that starts the last piece is fine; one inside it does not exist.
        if end <= limit && end < text.len() {
            best = end;
        }
        pos = end;
    }
    best
}

/// The last byte offset a finished piece may end at (see [`safe_end`]): before any
/// trailing run of white space and at least [`LOOKAHEAD`] characters from the end.
fn safe_limit(text: &str) -> usize {
    let trailing_space = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_whitespace())
        .last()
        .map_or(text.len(), |(i, _)| i);
    // Byte offset of the LOOKAHEAD-th character from the end.
    let tail = text
        .char_indices()
        .rev()
        .nth(LOOKAHEAD - 1)
        .map_or(0, |(i, _)| i);
    trailing_space.min(tail)
}

impl std::fmt::Debug for StreamingCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingCounter")
            .field("counter", &self.counter)
            .field("total", &self.total())
            .field("carried", &self.carry.len())
            .field("exact", &self.is_exact())
            .finish()
    }
}

/// Characters kept back from the end: the longest contraction suffix (`'ll`, `'re`,
/// `'ve`) plus the character after it.
const LOOKAHEAD: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads at most `step` bytes at a time, so characters and pieces are split anywhere.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn text_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => prop::char::range('a', 'z'),
            1 => prop::char::range('A', 'Z'),
            3 => prop::sample::select(vec![' ', ' ', '\n', '\r', '\t', '\'', '.', '!', '0', '7']),
            1 => prop::sample::select(vec!['é', 'ß', '中', '😀', '\u{301}', '\u{a0}', '\u{3000}']),
            1 => any::<char>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// Counting from a reader in chunks of any size is the whole text's count.
        #[test]
        fn reader_counts_equal_whole_counts(
            chars in prop::collection::vec(text_char(), 0..200),
            chunk in 4usize..40,
            step in 1usize..50,
        ) {
            let text: String = chars.into_iter().collect();
            for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
                let n = enc.count_reader_in(Trickle(text.as_bytes(), step), chunk).unwrap();
                prop_assert_eq!(n, enc.count(&text));
            }
        }
    }

    #[test]
    fn long_pieces_across_chunks_are_counted_whole() {
        for text in [
            "a".repeat(300_000),
            format!("{} x", " ".repeat(200_000)),
            format!("word {} end", "Zz".repeat(100_000)),
            "0123456789".repeat(30_000),
        ] {
            for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
                let n = enc
                    .count_reader_in(Trickle(text.as_bytes(), 997), 4096)
                    .unwrap();
                assert_eq!(n, enc.count(&text));
            }
        }
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_with_its_offset() {
        for (bytes, at) in [
            (&b"abc\xffdef"[..], 3),
            (&b"ok \xe2\x82"[..], 3),
            (&b"\xc3"[..], 0),
        ] {
            let e = Encoding::O200kBase
                .count_reader_in(Trickle(bytes, 1), 4)
                .unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
            assert!(e.to_string().contains(&format!("byte {at} ")), "{e}");
        }
    }
}
