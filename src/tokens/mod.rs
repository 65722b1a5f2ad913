//! Exact token counts for OpenAI's public encodings.
//!
//! [`Encoding`] counts tokens exactly as OpenAI's `tiktoken` does for `o200k_base`,
//! `o200k_harmony` and `cl100k_base`: the same pre-tokenizer splits (reproduced by
//! hand-written scanners, not a regex engine), the same ranks (embedded from OpenAI's
//! files), the same merge order. [`Encoding::for_model`] picks the encoding of a model id
//! from a data table, `tokens/models.toml`.
//!
//! ```
//! use tariff::tokens::Encoding;
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
//! use tariff::tokens::Encoding;
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
//! # Cost
//!
//! The first use of an encoding builds its rank table from the embedded data (a few
//! milliseconds, about 3 MB of heap for `o200k_base`); after that, counting allocates
//! nothing for ordinary text.

mod models;
mod pretokenize;
mod unicode;
mod vocab;

use std::fmt;
use std::sync::OnceLock;

pub use pretokenize::Pieces;

use pretokenize::Pattern;
use vocab::Vocab;

static O200K_BASE: &[u8] = include_bytes!("../../tokens/o200k_base.bin");
static CL100K_BASE: &[u8] = include_bytes!("../../tokens/cl100k_base.bin");

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
    /// use tariff::tokens::Encoding;
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
    /// use tariff::tokens::Encoding;
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
    /// a fine-tune's `ft:` is removed first.
    ///
    /// ```
    /// use tariff::tokens::Encoding;
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
    /// use tariff::tokens::Encoding;
    /// assert_eq!(Encoding::O200kBase.count("tiktoken is great!"), 6);
    /// assert_eq!(Encoding::Cl100kBase.count(""), 0);
    /// ```
    pub fn count(self, text: &str) -> usize {
        let vocab = self.vocab();
        self.pieces(text)
            .map(|piece| vocab.encode_piece::<false>(piece.as_bytes(), &mut |_| {}))
            .sum()
    }

    /// Whether `text` is at most `limit` tokens. Stops as soon as the answer is known, so
    /// asking whether a long document fits in a small window costs little.
    ///
    /// ```
    /// use tariff::tokens::Encoding;
    /// let long = "word ".repeat(1_000_000);
    /// assert!(!Encoding::O200kBase.fits_within(&long, 100)); // reads about 100 words
    /// assert!(Encoding::O200kBase.fits_within("one two three", 3));
    /// ```
    pub fn fits_within(self, text: &str, limit: usize) -> bool {
        // Every token covers at least one byte.
        if text.len() <= limit {
            return true;
        }
        let vocab = self.vocab();
        let mut total = 0;
        for piece in self.pieces(text) {
            total += vocab.encode_piece::<false>(piece.as_bytes(), &mut |_| {});
            if total > limit {
                return false;
            }
        }
        true
    }

    /// The token ids of `text`, as tiktoken's `encode_ordinary`.
    ///
    /// ```
    /// use tariff::tokens::Encoding;
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

    /// The pieces the encoding's pre-tokenizer splits `text` into (the matches of
    /// tiktoken's regex, in order, covering the whole text); each is encoded on its own.
    ///
    /// ```
    /// use tariff::tokens::Encoding;
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
            Encoding::O200kBase | Encoding::O200kHarmony => {
                O200K.get_or_init(|| Vocab::from_embedded(O200K_BASE))
            }
            Encoding::Cl100kBase => CL100K.get_or_init(|| Vocab::from_embedded(CL100K_BASE)),
        }
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
