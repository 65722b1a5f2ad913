//! Counting a text that arrives in pieces (a streamed response), in memory that does not
//! grow with its length.

use super::approx::{Counter, Features};
use super::{Encoding, PieceCache};

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
/// use tariff::tokens::{Counter, Encoding, StreamingCounter};
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
    let limit = trailing_space.min(tail);
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
