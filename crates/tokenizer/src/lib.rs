//! Exact token counts for OpenAI's public encodings.
//!
//! [`Encoding`] counts tokens exactly as OpenAI's `tiktoken` does for `o200k_base`,
//! `o200k_harmony` and `cl100k_base`: the same pre-tokenizer splits (reproduced by
//! hand-written scanners, not a regex engine), the same ranks (embedded from OpenAI's
//! files), the same merge order. [`Encoding::for_model`] picks the encoding of a model id
//! from a data table, `tokens/models.toml`.
//!
//! ```
//! use tariff_tokenizer::Encoding;
//!
//! let enc = Encoding::for_model("gpt-4o-mini").unwrap();
//! assert_eq!(enc, Encoding::O200kBase);
//! assert_eq!(enc.count("Hello, world!"), 4);
//! assert!(enc.fits_within("Hello, world!", 4));
//! assert!(!enc.fits_within("Hello, world!", 3));
//! ```
//!
//! # Special tokens are ordinary text
//!
//! Every count here is tiktoken's `encode_ordinary`: text such as `<|endoftext|>` is
//! tokenized like any other characters, never as the special token it spells. That is what
//! the APIs bill: a request's messages are text, and the chat format's own special tokens
//! are added by the vendor (and reported in its usage), never parsed out of user content.
//!
//! ```
//! use tariff_tokenizer::Encoding;
//!
//! // One special token to the model, but seven ordinary tokens of text.
//! assert_eq!(Encoding::Cl100kBase.count("<|endoftext|>"), 7);
//! ```
//!
//! # `o200k_harmony`
//!
//! The gpt-oss encoding is `o200k_base`'s ranks and pattern plus special tokens for the
//! harmony chat format (tiktoken's `o200k_harmony` builds itself from `o200k_base` that
//! way). Since special tokens are ordinary text here, its counts equal `o200k_base`'s; it
//! is a separate variant so callers can name what a model really uses.
//!
//! # Other families: estimates
//!
//! Claude, Gemini, Qwen, DeepSeek, ERNIE, Doubao and the rest are estimated, never counted:
//! [`Approx`] is a linear model over character classes fitted to each family's tokenizer
//! (see its module docs and `BENCHMARKS.md` for the error), [`Counter::for_model`] picks
//! exact or estimated for a model, [`BatchCounter`] counts the many texts of one request,
//! and [`StreamingCounter`] counts a streamed text in bounded memory.
//!
//! # Cost
//!
//! The ranks are embedded compactly (`tokens/*.bin`: token bytes in rank order with their
//! lengths, 1.6 MB for `o200k_base`, 0.74 MB for `cl100k_base`), and on native targets
//! so is their hash table (`tokens/*.table`, 8 MB and 4 MB, used in place: the operating
//! system reads in only the pages lookups touch). The first use of an encoding then only
//! sums the token lengths: about 1 ms and 1 MB of heap for `o200k_base`, less for
//! `cl100k_base`, nothing for an encoding never used. (The WebAssembly build embeds the
//! ranks compressed and builds the table at first use.) After that, counting a text under
//! 32 KiB allocates nothing; a longer one allocates a cache of recent pieces (up to 464 KB, sized by the text) for
//! the duration of the call. Throughput is several times
//! tiktoken's (see `benches/tokens.rs`).
//!
//! Memory stays near the input: a pre-token piece longer than 64 bytes (a run of one
//! letter, a line of `=`) merges in about five bytes per byte (one length byte per byte
//! and four per candidate pair), and [`Encoding::count_reader`] counts a file or stdin
//! as it is read, holding only the unfinished piece.

#![warn(missing_docs)]

mod approx;
mod data;
mod embedded;
mod models;
mod pretokenize;
mod stream;
mod unicode;
mod vocab;

use std::fmt;
use std::sync::OnceLock;

pub use approx::{Approx, BatchCounter, Coefficients, Counter, Features};
pub use pretokenize::Pieces;
pub use stream::StreamingCounter;

use pretokenize::Pattern;
use vocab::Vocab;

/// A tokenizer encoding with public ranks, counted exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `o200k_base`: GPT-4o, GPT-4.1, GPT-4.5, GPT-5, o1, o3, o4-mini.
    O200kBase,
    /// `o200k_harmony`: gpt-oss. Counts as `o200k_base` does (see the module docs).
    O200kHarmony,
    /// `cl100k_base`: GPT-4, GPT-3.5 Turbo, `text-embedding-3-*`, `text-embedding-ada-002`.
    Cl100kBase,
}

impl Encoding {
    /// Every encoding, in declaration order.
    pub const ALL: [Encoding; 3] = [
        Encoding::O200kBase,
        Encoding::O200kHarmony,
        Encoding::Cl100kBase,
    ];

    /// tiktoken's name for the encoding (`"o200k_base"`, ...).
    ///
    /// ```
    /// use tariff_tokenizer::Encoding;
    /// assert_eq!(Encoding::Cl100kBase.name(), "cl100k_base");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::O200kHarmony => "o200k_harmony",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }

    /// The encoding with tiktoken's name `name`, if it is one of these.
    ///
    /// ```
    /// use tariff_tokenizer::Encoding;
    /// assert_eq!(Encoding::from_name("o200k_harmony"), Some(Encoding::O200kHarmony));
    /// assert_eq!(Encoding::from_name("p50k_base"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Encoding> {
        Encoding::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The encoding a model uses, from the table in `tokens/models.toml`, or `None` for a
    /// model with no public tokenizer (Claude, Gemini, ...) or one the table does not know.
    ///
    /// Entries are exact ids or prefixes; the longest match wins, ASCII case is ignored, and
    /// a fine-tune (`ft:BASE:org:name:id`) is looked up by its base model.
    ///
    /// ```
    /// use tariff_tokenizer::Encoding;
    /// assert_eq!(Encoding::for_model("gpt-4o-2024-08-06"), Some(Encoding::O200kBase));
    /// assert_eq!(Encoding::for_model("gpt-4-turbo"), Some(Encoding::Cl100kBase));
    /// assert_eq!(Encoding::for_model("gpt-oss-120b"), Some(Encoding::O200kHarmony));
    /// assert_eq!(Encoding::for_model("ft:gpt-4.1-mini:acme::x1"), Some(Encoding::O200kBase));
    /// assert_eq!(Encoding::for_model("claude-sonnet-4-5"), None);
    /// ```
    pub fn for_model(model: &str) -> Option<Encoding> {
        models::for_model(model)
    }

    /// The number of tokens in `text`, as tiktoken's `len(enc.encode_ordinary(text))`.
    ///
    /// ```
    /// use tariff_tokenizer::Encoding;
    /// assert_eq!(Encoding::O200kBase.count("tiktoken is great!"), 6);
    /// assert_eq!(Encoding::Cl100kBase.count(""), 0);
    /// ```
    pub fn count(self, text: &str) -> usize {
        self.count_up_to(text, usize::MAX)
    }

    /// Whether `text` is at most `limit` tokens. Stops as soon as the answer is known, so
    /// asking whether a long document fits in a small window costs little.
    ///
    /// ```
    /// use tariff_tokenizer::Encoding;
    /// let long = "word ".repeat(1_000_000);
    /// assert!(!Encoding::O200kBase.fits_within(&long, 100)); // reads about 100 words
    /// assert!(Encoding::O200kBase.fits_within("one two three", 3));
    /// ```
    pub fn fits_within(self, text: &str, limit: usize) -> bool {
        // Every token covers at least one byte.
        if text.len() <= limit {
            return true;
        }
        self.count_up_to(text, limit) <= limit
    }

    /// The token ids of `text`, as tiktoken's `encode_ordinary`.
    ///
    /// ```
    /// use tariff_tokenizer::Encoding;
    /// assert_eq!(Encoding::Cl100kBase.encode("hello world"), [15339, 1917]);
    /// ```
    pub fn encode(self, text: &str) -> Vec<u32> {
        let vocab = self.vocab();
        let mut out = Vec::with_capacity(text.len() / 3);
        for piece in self.pieces(text) {
            vocab.encode_piece::<true>(piece.as_bytes(), &mut |r| out.push(r));
        }
        out
    }

    /// The bytes token `id` stands for (tiktoken's `decode_single_token_bytes`), or `None`
    /// for an id the encoding does not have. A token is a byte string, not always text: it
    /// may hold only part of a character's UTF-8 bytes.
    ///
    /// ```
    /// use tariff_tokenizer::Encoding;
    /// assert_eq!(Encoding::Cl100kBase.token_bytes(1917), Some(&b" world"[..]));
    /// assert_eq!(Encoding::Cl100kBase.token_bytes(u32::MAX), None);
    /// ```
    pub fn token_bytes(self, id: u32) -> Option<&'static [u8]> {
        self.vocab().token_bytes(id)
    }

    /// The tokens of `text` (as [`Encoding::encode`]) with the byte range of `text` each
    /// stands for. The ranges tile the text in order: the first starts at 0, each starts
    /// where the one before ends, the last ends at `text.len()`, and the bytes of each are
    /// its token's ([`Encoding::token_bytes`]).
    ///
    /// A range ends inside a character when a token holds only some of its UTF-8 bytes (an
    /// emoji split over two tokens), so slice `text.as_bytes()` with it, or take the tokens
    /// up to the next [`str::is_char_boundary`] together for a piece of text.
    ///
    /// ```
    /// use tariff_tokenizer::{Encoding, Token};
    /// let tokens = Encoding::Cl100kBase.encode_with_offsets("hello world");
    /// assert_eq!(tokens, [
    ///     Token { id: 15339, start: 0, end: 5 },
    ///     Token { id: 1917, start: 5, end: 11 },
    /// ]);
    /// ```
    pub fn encode_with_offsets(self, text: &str) -> Vec<Token> {
        let vocab = self.vocab();
        let mut out = Vec::with_capacity(text.len() / 3);
        let mut start = 0;
        for piece in self.pieces(text) {
            vocab.encode_piece::<true>(piece.as_bytes(), &mut |id| {
                // Every rank a merge emits is a token of the vocabulary, and the tokens
                // of a piece concatenate to it; an impossible miss spans nothing rather
                // than panicking.
                let len = vocab.token_bytes(id).map_or(0, <[u8]>::len);
                out.push(Token {
                    id,
                    start,
                    end: start + len,
                });
                start += len;
            });
        }
        out
    }

    /// The pieces the encoding's pre-tokenizer splits `text` into (the matches of
    /// tiktoken's regex, in order, covering the whole text); each is encoded on its own.
    ///
    /// ```
    /// use tariff_tokenizer::Encoding;
    /// let pieces: Vec<&str> = Encoding::O200kBase.pieces("We'll pay $100.").collect();
    /// assert_eq!(pieces, ["We'll", " pay", " $", "100", "."]);
    /// ```
    pub fn pieces(self, text: &str) -> Pieces<'_> {
        Pieces {
            text,
            pos: 0,
            pattern: self.pattern(),
        }
    }

    /// Counts the tokens of `text`, stopping early once the count exceeds `limit` (the
    /// result is then some number above `limit`).
    fn count_up_to(self, text: &str, limit: usize) -> usize {
        // Split a batch of pieces first, then count them all. Most pieces are whole
        // tokens, found with one read of a table larger than the processor's caches. In a
        // long text the same short pieces recur, so a small cache that does stay in the
        // processor's cache answers most of them; a short text has too few repeats to
        // repay filling one, and instead reads the big table for the whole batch back to
        // back, so that the processor overlaps those reads' cache misses (interleaved with
        // the scanner's hard-to-predict branches, each would wait alone).
        let bytes = text.as_bytes();
        // Reading stops near `limit` tokens, a few bytes each: size the decision by what
        // will be read, so a small `fits_within` on a long text allocates nothing.
        let to_read = bytes.len().min(limit.saturating_mul(16));
        let mut local = (to_read >= PieceCache::MIN_TEXT).then(|| PieceCache::for_text(to_read));
        self.count_with(text, limit, local.as_mut())
    }

    /// Counts `text` with a piece cache shared across calls (many short texts of one
    /// request repeat the same pieces, as one long text does).
    fn count_cached(self, text: &str, cache: &mut PieceCache) -> usize {
        self.count_with(text, usize::MAX, Some(cache))
    }

    /// The counting loop of [`Encoding::count_up_to`], with or without a cache.
    fn count_with(self, text: &str, limit: usize, mut cache: Option<&mut PieceCache>) -> usize {
        const BATCH: usize = 16;
        let vocab = self.vocab();
        let pattern = self.pattern();
        let bytes = text.as_bytes();
        let mut ends = [0usize; BATCH];
        let mut total = 0;
        let mut pos = 0;
        while pos < bytes.len() {
            let first = pos;
            let mut n = 0;
            while n < BATCH && pos < bytes.len() {
                pos = pattern.next_end(bytes, pos);
                ends[n] = pos;
                n += 1;
            }
            let mut start = first;
            if let Some(cache) = cache.as_deref_mut() {
                for &end in &ends[..n] {
                    total += cache.count(vocab, &bytes[start..end]);
                    start = end;
                }
            } else {
                let mut touched = 0;
                for &end in &ends[..n] {
                    touched ^= vocab.touch(&bytes[start..end]);
                    start = end;
                }
                std::hint::black_box(touched);
                let mut start = first;
                for &end in &ends[..n] {
                    total += vocab.encode_piece::<false>(&bytes[start..end], &mut |_| {});
                    start = end;
                }
            }
            if total > limit {
                break;
            }
        }
        total
    }

    /// Builds this encoding's tables afresh, as its first use does, and returns them (for
    /// `benches/tokens.rs`, which times loading; not part of the API).
    #[doc(hidden)]
    pub fn load_fresh_for_bench(self) -> impl Sized {
        match self {
            Encoding::O200kBase | Encoding::O200kHarmony => {
                Vocab::from_embedded(embedded::o200k_base(), embedded::o200k_base_table())
            }
            Encoding::Cl100kBase => {
                Vocab::from_embedded(embedded::cl100k_base(), embedded::cl100k_base_table())
            }
        }
    }

    fn pattern(self) -> Pattern {
        match self {
            Encoding::O200kBase | Encoding::O200kHarmony => Pattern::O200k,
            Encoding::Cl100kBase => Pattern::Cl100k,
        }
    }

    fn vocab(self) -> &'static Vocab {
        static O200K: OnceLock<Vocab> = OnceLock::new();
        static CL100K: OnceLock<Vocab> = OnceLock::new();
        match self {
            // Harmony shares o200k_base's mergeable ranks (see the module docs).
            Encoding::O200kBase | Encoding::O200kHarmony => O200K.get_or_init(|| {
                Vocab::from_embedded(embedded::o200k_base(), embedded::o200k_base_table())
            }),
            Encoding::Cl100kBase => CL100K.get_or_init(|| {
                Vocab::from_embedded(embedded::cl100k_base(), embedded::cl100k_base_table())
            }),
        }
    }
}

/// One token of a text ([`Encoding::encode_with_offsets`]): its id and the byte range of
/// the text it stands for, `start..end` (which may end inside a character).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token {
    /// The token's id (its rank).
    pub id: u32,
    /// Where its bytes start in the text.
    pub start: usize,
    /// Where they end (exclusive).
    pub end: usize,
}

/// Token counts of recently seen pieces, for one counting call over a long text.
///
/// Two-way set-associative and exact: an entry answers only a piece equal to the one it
/// holds, and a piece has two places to live, so the few that share a set do not keep
/// evicting each other (in a direct-mapped cache half full, a third of the pieces would
/// collide). Short pieces (up to 16 bytes, most of prose and code) are held as their
/// first and last eight bytes, which overlap when shorter, plus their length: 8,192
/// entries in 256 KB, one cache line a set, that stay in the processor's cache where the
/// rank table does not. Longer pieces up to `LONG` bytes (a clause of Chinese or Japanese,
/// a long identifier) are held whole, 2,048 entries in 208 KB: they cost the most to
/// merge, and text repeats them too. A newly counted piece takes the first way of its set
/// and moves the one there to the second.
struct PieceCache {
    short: Box<[ShortSet]>,
    long: Box<[LongEntry]>,
    /// `64 - log2(sets)` for each part: a hash's top bits pick the set.
    short_shift: u32,
    long_shift: u32,
}

/// Two short entries: first and last eight bytes, length (0: empty), token count.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct ShortSet([(u64, u64, u32, u32); 2]);

/// The longest piece [`PieceCache`] keeps.
const LONG: usize = 96;

/// A piece of 17 to `LONG` bytes and its token count (`len` 0: empty).
#[derive(Clone, Copy)]
struct LongEntry {
    key: [u8; LONG],
    len: u32,
    count: u32,
}

impl PieceCache {
    /// Texts shorter than this count without a cache (filling one would not pay).
    const MIN_TEXT: usize = 32 * 1024;
    /// Sets of short entries, as a power of two, at most.
    const BITS: u32 = 12;
    /// Sets of long entries (two entries each, side by side), as a power of two, at most.
    const LONG_BITS: u32 = 10;
    const K: u64 = 0x9E37_79B9_7F4A_7C15;

    /// A cache of full size, for texts of any length.
    fn new() -> PieceCache {
        PieceCache::with_bits(Self::BITS, Self::LONG_BITS)
    }

    /// A cache sized for reading about `bytes` bytes: a set of short entries per 64 bytes
    /// and a set of long ones per 256, up to full size, so that a call that reads little
    /// (`fits_within` with a small limit) does not fill a large cache it will not use.
    fn for_text(bytes: usize) -> PieceCache {
        let bits = |per: usize, max: u32| (bytes / per).max(2).ilog2().min(max);
        PieceCache::with_bits(bits(64, Self::BITS), bits(256, Self::LONG_BITS))
    }

    fn with_bits(bits: u32, long_bits: u32) -> PieceCache {
        let empty = LongEntry {
            key: [0; LONG],
            len: 0,
            count: 0,
        };
        PieceCache {
            short: vec![ShortSet([(0, 0, 0, 0); 2]); 1 << bits].into_boxed_slice(),
            long: vec![empty; 2 << long_bits].into_boxed_slice(),
            short_shift: 64 - bits,
            long_shift: 64 - long_bits,
        }
    }

    #[inline]
    fn count(&mut self, vocab: &Vocab, piece: &[u8]) -> usize {
        let len = piece.len();
        if len > 16 {
            return self.count_long(vocab, piece);
        }
        let first = vocab::head(piece);
        let last = if len > 8 {
            vocab::head(&piece[len - 8..])
        } else {
            0
        };
        let mixed = (first ^ last.rotate_left(31) ^ len as u64).wrapping_mul(Self::K);
        let set = &mut self.short[(mixed >> self.short_shift) as usize].0;
        let key = (first, last, len as u32);
        if (set[0].0, set[0].1, set[0].2) == key {
            return set[0].3 as usize;
        }
        if (set[1].0, set[1].1, set[1].2) == key {
            let count = set[1].3;
            set.swap(0, 1);
            return count as usize;
        }
        let n = vocab.encode_piece::<false>(piece, &mut |_| {});
        // At most one token per byte, so at most 16.
        set[1] = set[0];
        set[0] = (first, last, len as u32, n as u32);
        n
    }

    /// `count` for a piece longer than 16 bytes.
    #[inline(never)]
    fn count_long(&mut self, vocab: &Vocab, piece: &[u8]) -> usize {
        let len = piece.len();
        if len > LONG {
            return vocab.encode_piece::<false>(piece, &mut |_| {});
        }
        let mut h = (len as u64).wrapping_mul(Self::K);
        for chunk in piece.chunks(8) {
            h = (h.rotate_left(29) ^ vocab::head(chunk)).wrapping_mul(Self::K);
        }
        let at = 2 * (h >> self.long_shift) as usize;
        for entry in &self.long[at..at + 2] {
            if entry.len as usize == len && entry.key[..len] == *piece {
                return entry.count as usize;
            }
        }
        let n = vocab.encode_piece::<false>(piece, &mut |_| {});
        // A count is at most the piece's length (every token covers a byte), so it fits.
        if let Ok(count) = u32::try_from(n) {
            self.long[at + 1] = self.long[at];
            let entry = &mut self.long[at];
            entry.key[..len].copy_from_slice(piece);
            entry.len = len as u32;
            entry.count = count;
        }
        n
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Checks what `encode_with_offsets` promises for `text`: the ids are `encode`'s, the
    /// ranges tile the text in order, and each range's bytes are its token's.
    fn check_offsets(enc: Encoding, text: &str) -> Result<(), TestCaseError> {
        let tokens = enc.encode_with_offsets(text);
        let ids: Vec<u32> = tokens.iter().map(|t| t.id).collect();
        prop_assert_eq!(ids, enc.encode(text));
        let mut at = 0;
        for t in &tokens {
            prop_assert_eq!(t.start, at, "{:?} in {:?}", t, text);
            prop_assert!(t.end > t.start, "{:?} is empty", t);
            prop_assert_eq!(
                Some(&text.as_bytes()[t.start..t.end]),
                enc.token_bytes(t.id),
                "{:?}",
                t
            );
            at = t.end;
        }
        prop_assert_eq!(at, text.len());
        // Decoding the ids gives the text back, byte for byte.
        let decoded: Vec<u8> = tokens
            .iter()
            .flat_map(|t| enc.token_bytes(t.id).unwrap_or_default().iter().copied())
            .collect();
        prop_assert_eq!(decoded, text.as_bytes());
        Ok(())
    }

    /// Text the pre-tokenizers treat in every way: words, numbers, punctuation runs,
    /// whitespace runs, contractions, CJK, accents, emoji whose UTF-8 bytes the
    /// vocabularies split across tokens, and random characters.
    fn mixed_text() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            Just("Hello".to_string()),
            Just(" world".to_string()),
            Just("We'll".to_string()),
            Just(" 12345".to_string()),
            Just("...!?".to_string()),
            Just("\n\n  \t".to_string()),
            Just("价格是数据。".to_string()),
            Just("naïve café".to_string()),
            Just("🦀".to_string()),
            Just("👩‍👩‍👧".to_string()),
            Just("     ".to_string()),
            any::<char>().prop_map(String::from),
            "[a-z ]{1,12}",
        ];
        prop::collection::vec(part, 0..24).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn offsets_tile_the_text_and_decode_to_their_tokens(text in mixed_text()) {
            for enc in Encoding::ALL {
                check_offsets(enc, &text)?;
            }
        }

        #[test]
        fn offsets_of_random_strings(text in any::<String>()) {
            for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
                check_offsets(enc, &text)?;
            }
        }
    }

    #[test]
    fn a_token_may_end_inside_a_character() {
        // The crab (F0 9F A6 80) is not one token in either vocabulary: its tokens split
        // its four bytes, and the offsets say so instead of rounding to characters.
        for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
            let text = "a🦀";
            let tokens = enc.encode_with_offsets(text);
            assert!(
                tokens.iter().any(|t| !text.is_char_boundary(t.end)),
                "{enc}: {tokens:?}"
            );
            check_offsets(enc, text).unwrap();
        }
        // A long run (the large-piece merge) tiles as well.
        check_offsets(Encoding::O200kBase, &" ".repeat(10_000)).unwrap();
        check_offsets(Encoding::Cl100kBase, &"=".repeat(3_000)).unwrap();
        assert!(Encoding::O200kBase.encode_with_offsets("").is_empty());
    }

    #[test]
    fn token_bytes_of_every_id_and_past_the_end() {
        for enc in Encoding::ALL {
            let vocab = enc.vocab();
            let n = u32::try_from(vocab.len()).unwrap();
            for id in (0..n).step_by(97).chain([n - 1]) {
                let bytes = enc.token_bytes(id).unwrap();
                assert!(!bytes.is_empty());
                assert_eq!(vocab.rank(bytes), Some(id));
            }
            assert_eq!(enc.token_bytes(n), None);
            assert_eq!(enc.token_bytes(u32::MAX), None);
        }
    }

    #[test]
    fn vocab_sizes_and_round_trip() {
        let o = Encoding::O200kBase.vocab();
        assert_eq!(o.len(), 199_998);
        let c = Encoding::Cl100kBase.vocab();
        assert_eq!(c.len(), 100_256);
        for vocab in [o, c] {
            for rank in (0..vocab.len() as u32).step_by(7) {
                assert_eq!(vocab.rank(vocab.token(rank)), Some(rank));
            }
        }
    }
}
