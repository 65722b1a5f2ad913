//! Price tables: loading, validation and model lookup (ids, aliases, patterns).
//!
//! The built-in tables (`pricing/*.toml`) are embedded at build time; a relay adds its own
//! files on top with [`CatalogBuilder`].

mod facts;
mod load;
#[doc(hidden)]
pub use load::{id_fault, unprintable};
mod model;
mod raw;
#[cfg(any(feature = "snapshot", test))]
mod snapshot;
#[cfg(all(feature = "snapshot", fuzzing))]
#[doc(hidden)]
pub use snapshot::{payload_for_fuzzing, seal_for_fuzzing};

use std::collections::HashMap;

use hashbrown::HashTable;
use std::path::Path;
use std::sync::OnceLock;

pub use facts::{ENCODINGS, FORMULAS, MAX_OUTPUT_TOKENS};
pub(crate) use model::Body;
pub use model::{Kind, Model, OptionRule, Prices, Rate, RateSet, Schedule, Tier, Variant, Window};

use crate::error::{CatalogError, KnownNames, PriceError, Problem, ProblemKind};

/// The built-in price tables: `(file name, the table's JSON form)`, converted from
/// `pricing/*.toml` at build time (see `build.rs`; JSON loads several times faster). Their
/// problems carry no line numbers: `tariff check pricing/FILE.toml` reads a table as TOML.
pub const BUILTIN_TABLES: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_tables.rs"));

/// A set of loaded, validated price tables.
///
/// ```
/// use tariff_core::{Catalog, Usage};
/// let catalog = Catalog::builtin();
/// let usage = Usage::from_json(r#"{"input_tokens": 1000, "output_tokens": 400, "at": "2025-11-01T00:00:00Z"}"#).unwrap();
/// let bill = catalog.quote("claude-sonnet-4-5", &usage).unwrap();
/// assert_eq!(bill.total().to_string(), "0.009"); // 1000 × $3/M + 400 × $15/M
/// assert_eq!(bill.total(), bill.lines().iter().map(|l| l.amount()).sum());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    models: Vec<Model>,
    /// Ids and aliases, ASCII lower case, by [`fold_hash`]: a lookup hashes the name
    /// once and allocates nothing.
    names: HashTable<(Box<str>, usize)>,
    /// Patterns of the form `prefix*`, by the prefix in ASCII lower case: a lookup costs
    /// the name's length, not the number of patterns.
    prefixes: HashTable<(Box<str>, usize)>,
    /// `prefix_len[n]`: some prefix in `prefixes` is `n` bytes long.
    prefix_len: Vec<bool>,
    /// Every other pattern (ASCII lower case), most literal first.
    patterns: Vec<(String, usize)>,
    /// Every id and alias with its model's id, for an unknown name's suggestions.
    known: KnownNames,
}

/// The hash of a name under the catalog's case rule (ASCII case ignored), eight bytes at a
/// time: each word is folded to ASCII lower case with word-wide arithmetic and mixed in with
/// one multiply, and the state is finished with murmur3's finalizer so that the high bits
/// (which the table's probes use) depend on every byte. Unkeyed: the tables hold the
/// catalog's own names, so a client-chosen name can cost at most a probe's compares.
fn fold_hash(bytes: &[u8]) -> u64 {
    let mut h = (bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().expect("eight bytes"));
        h = (h.rotate_left(23) ^ fold_word(w)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ fold_word(u64::from_le_bytes(last)))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Eight bytes with every ASCII upper-case letter made lower case, the others unchanged.
const fn fold_word(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const fn each(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }
    let low = w & LOW7;
    // High bit of each byte: its low seven bits are at least `A`, and more than `Z`
    // (no carry crosses a byte: each sum is below 0x100).
    let at_least_a = low + each(0x80 - b'A');
    let past_z = low + each(0x80 - b'Z' - 1);
    // Upper case: at least `A`, not past `Z`, and ASCII (its own high bit clear).
    let upper = at_least_a & !past_z & !w & HIGH;
    w | (upper >> 2)
}

fn table_of(entries: HashMap<String, usize>) -> HashTable<(Box<str>, usize)> {
    let mut t = HashTable::with_capacity(entries.len());
    for (k, i) in entries {
        t.insert_unique(
            fold_hash(k.as_bytes()),
            (k.into_boxed_str(), i),
            |(k, _)| fold_hash(k.as_bytes()),
        );
    }
    t
}

/// Builds a [`Catalog`] from several tables, checking names across all of them.
#[derive(Debug, Default)]
pub struct CatalogBuilder {
    /// (name, text, how to read it).
    sources: Vec<(String, String, load::Format)>,
    problems: Vec<Problem>,
    /// The largest table accepted, in bytes; `None` for [`MAX_TABLE_BYTES`].
    limit: Option<u64>,
}

/// The name an option rule uses for "no context tier applied" (a `tier` the rule matches
/// when no context tier applies); the loader accepts it as a known tier.
pub const BASE_TIER: &str = "base";

/// The largest price table read by default, in bytes: 4 MiB, some fifty times the largest
/// built-in table. Parsing takes a few dozen times a table's size in memory, so the limit
/// is what bounds loading's memory.
pub const MAX_TABLE_BYTES: u64 = 4 << 20;

impl CatalogBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the built-in tables.
    pub fn builtin(mut self) -> Self {
        for (name, text) in BUILTIN_TABLES {
            self.sources
                .push((format!("pricing/{name}"), (*text).to_string(), load::JSON));
        }
        self
    }

    /// Adds one table from text; `name` is used in problem reports. A text longer than the
    /// limit ([`MAX_TABLE_BYTES`] unless [`CatalogBuilder::max_table_bytes`] says otherwise)
    /// is reported, not parsed.
    pub fn text(mut self, name: impl Into<String>, text: impl Into<String>) -> Self {
        let (name, text) = (name.into(), text.into());
        if text.len() as u64 > self.limit() {
            self.too_large(name);
        } else {
            self.sources.push((name, text, load::TOML));
        }
        self
    }

    /// Sets the largest table, in bytes, that [`CatalogBuilder::text`] and
    /// [`CatalogBuilder::path`] accept (default [`MAX_TABLE_BYTES`]); applies to the tables
    /// added after it.
    pub fn max_table_bytes(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    fn limit(&self) -> u64 {
        self.limit.unwrap_or(MAX_TABLE_BYTES)
    }

    /// Adds a `.toml` file, or every `.toml` file of a directory (sorted by name).
    ///
    /// A directory's subdirectories are not read: each is reported, so that a table moved
    /// into one is never silently left out. A path that is neither a regular file nor a
    /// directory (a device such as `/dev/zero`, a pipe) is reported, and a file is read at
    /// most up to the size limit, so that no input makes loading grow without bound.
    pub fn path(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        let mut files = Vec::new();
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(rd) => {
                    for e in rd {
                        let p = match e {
                            Ok(e) => e.path(),
                            Err(e) => {
                                self.fail(path, &e);
                                continue;
                            }
                        };
                        if p.is_dir() {
                            self.problem(
                                &p,
                                ProblemKind::NotAFile,
                                "is a subdirectory, which is not read: give it as a path of its own"
                                    .to_string(),
                            );
                        } else if p.extension().is_some_and(|x| x == "toml") {
                            files.push(p);
                        }
                    }
                }
                Err(e) => self.fail(path, &e),
            }
            files.sort();
        } else {
            files.push(path.to_path_buf());
        }
        for f in files {
            match self.read_bounded(&f) {
                Ok(Some(t)) => self.sources.push((f.display().to_string(), t, load::TOML)),
                Ok(None) => {}
                Err(e) => self.fail(&f, &e),
            }
        }
        self
    }

    /// Reads a regular file of at most the limit; `None` when a problem was reported.
    fn read_bounded(&mut self, f: &Path) -> std::io::Result<Option<String>> {
        use std::io::Read;
        let file = std::fs::File::open(f)?;
        if !file.metadata()?.is_file() {
            self.problem(
                f,
                ProblemKind::NotAFile,
                "is not a regular file (a device, a pipe or a socket); a price table is a file"
                    .to_string(),
            );
            return Ok(None);
        }
        let limit = self.limit();
        let mut bytes = Vec::new();
        // One byte past the limit tells a file at the limit from a longer one (which may
        // have grown since its size was read) without reading the rest.
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            self.too_large(f.display().to_string());
            return Ok(None);
        }
        match String::from_utf8(bytes) {
            Ok(t) => Ok(Some(t)),
            Err(e) => {
                self.problem(
                    f,
                    ProblemKind::Invalid,
                    format!("is not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
                );
                Ok(None)
            }
        }
    }

    fn too_large(&mut self, file: String) {
        let limit = self.limit();
        self.problems.push(Problem {
            file,
            line: None,
            message: format!(
                "the table is larger than the limit of {limit} bytes; split it into several files"
            ),
            kind: ProblemKind::TooLarge { limit },
        });
    }

    fn problem(&mut self, path: &Path, kind: ProblemKind, message: String) {
        self.problems.push(Problem {
            file: path.display().to_string(),
            line: None,
            message,
            kind,
        });
    }

    fn fail(&mut self, path: &Path, e: &std::io::Error) {
        self.problem(path, ProblemKind::Io, e.to_string());
    }

    /// Loads and validates everything added; every problem found is reported.
    pub fn build(self) -> Result<Catalog, CatalogError> {
        let mut problems = self.problems;
        let mut catalog = Catalog::default();
        // Names (ASCII lower case: the catalog's case rule) -> model index.
        let mut names: HashMap<String, usize> = HashMap::new();
        // Where each name was first defined, for the duplicate report.
        let mut defined: HashMap<String, (String, usize)> = HashMap::new();
        let mut patterns_seen: HashMap<String, (String, usize, usize)> = HashMap::new();
        let mut patterns: Vec<(String, usize)> = Vec::new();
        for (file, text, format) in &self.sources {
            let mut rep = load::Reporter::new(file, text, *format);
            for (model, line) in load::parse_file(&mut rep) {
                let idx = if model.replaces {
                    // A relay's own table re-prices a model an earlier table defines: the
                    // replacement takes over the id and every name that led to it.
                    match names.get(&model.id().to_ascii_lowercase()) {
                        Some(&i) => i,
                        None => {
                            problems.push(Problem {
                                file: file.clone(),
                                line: Some(line),
                                message: format!(
                                    "model `{}` replaces nothing: no earlier table defines it",
                                    model.id()
                                ),
                                kind: ProblemKind::Invalid,
                            });
                            continue;
                        }
                    }
                } else {
                    catalog.models.len()
                };
                let all = std::iter::once(model.id()).chain(model.aliases.iter().map(|a| &**a));
                for name in all {
                    let key = name.to_ascii_lowercase();
                    match defined.get(&key) {
                        // The same name again for the same model (a replacement's, or an
                        // alias in the vendor's own capitals): one name, nothing to report.
                        Some(_) if names.get(&key) == Some(&idx) && (model.replaces || name != model.id()) => {}
                        Some((f, l)) => problems.push(Problem {
                            file: file.clone(),
                            line: Some(line),
                            message: format!(
                                "model name `{name}` is already defined at {f}:{l} (names are compared without regard to ASCII case)"
                            ),
                            kind: ProblemKind::Invalid,
                        }),
                        None => {
                            defined.insert(key.clone(), (file.clone(), line));
                            names.insert(key, idx);
                        }
                    }
                }
                for p in &model.patterns {
                    let key = p.to_ascii_lowercase();
                    match patterns_seen.get(&key) {
                        Some((_, _, owner)) if *owner == idx => {}
                        Some((f, l, _)) => problems.push(Problem {
                            file: file.clone(),
                            line: Some(line),
                            message: format!("pattern `{p}` is already used at {f}:{l}"),
                            kind: ProblemKind::Invalid,
                        }),
                        None => {
                            patterns_seen.insert(key.clone(), (file.clone(), line, idx));
                            patterns.push((key, idx));
                        }
                    }
                }
                if idx == catalog.models.len() {
                    catalog.models.push(model);
                } else {
                    catalog.models[idx] = model;
                }
            }
            problems.extend(rep.problems);
        }
        // Metering facts a table leaves unset come from the data files, by id.
        for m in &mut catalog.models {
            if m.encoding.is_none() {
                m.encoding = facts::encoding_for(&m.id);
            }
            if m.max_output_tokens.is_none() {
                m.max_output_tokens = facts::max_output_tokens_for(&m.id);
            }
            if m.formula.is_none() {
                m.formula = facts::formula_for(&m.id);
            }
        }
        // The most literal pattern wins when several match, so order them that way once.
        patterns.sort_by_key(|(p, _)| std::cmp::Reverse(p.len() - p.matches('*').count()));
        let (prefixes, others): (Vec<_>, Vec<_>) = patterns
            .into_iter()
            .partition(|(p, _)| p.find('*') == Some(p.len() - 1));
        catalog.patterns = others;
        let mut by_prefix = HashMap::new();
        for (mut p, i) in prefixes {
            p.pop();
            let n = p.len();
            if catalog.prefix_len.len() <= n {
                catalog.prefix_len.resize(n + 1, false);
            }
            catalog.prefix_len[n] = true;
            by_prefix.insert(p, i);
        }
        catalog.prefixes = table_of(by_prefix);
        let mut known: Vec<(Box<str>, std::sync::Arc<str>)> = Vec::new();
        for m in &catalog.models {
            known.push((m.id().into(), m.id.clone()));
            known.extend(m.aliases.iter().map(|a| (a.as_str().into(), m.id.clone())));
        }
        catalog.known = KnownNames(known.into());
        catalog.names = table_of(names);
        if problems.is_empty() {
            Ok(catalog)
        } else {
            Err(CatalogError { problems })
        }
    }
}

impl Catalog {
    /// The built-in tables, loaded once per process.
    ///
    /// # Panics
    /// If the embedded tables are invalid, which the test suite rules out.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            CatalogBuilder::new()
                .builtin()
                .build()
                .unwrap_or_else(|e| panic!("the built-in price tables are invalid: {e}"))
        })
    }

    /// A builder, to combine the built-in tables with a relay's own.
    pub fn builder() -> CatalogBuilder {
        CatalogBuilder::new()
    }

    /// Every model, in table order.
    pub fn models(&self) -> &[Model] {
        &self.models
    }

    /// Resolves an id, alias or pattern to its model; an unknown name is a
    /// [`PriceError::UnknownModel`], whose suggestions are computed when it is rendered.
    pub fn model(&self, name: &str) -> Result<&Model, PriceError> {
        self.resolve(name).ok_or_else(|| PriceError::UnknownModel {
            model: name.to_string(),
            known: self.known.clone(),
        })
    }

    /// Resolves a name a request carries to its model: an id, an alias, or a pattern.
    ///
    /// **The case rule.** Names are compared without regard to ASCII case, everywhere a
    /// model is named: ids, aliases and patterns here (`GPT-4o` is `gpt-4o`), and the join
    /// of the data files' per-model facts ([`Model::encoding`], [`Model::max_output_tokens`],
    /// [`Model::formula`]) when the catalog loads (where a fine-tune's `ft:BASE:…` is its base
    /// model and a routing prefix up to the last `/` is dropped), and the metering crate's
    /// lookups of data keyed by model for names no catalog resolves. Two names a table defines that differ only in ASCII case are
    /// the same name (a duplicate, reported at load). Non-ASCII characters compare exactly.
    ///
    /// **Order.** An id or alias wins; otherwise the longest matching `prefix*` pattern and
    /// the most literal other pattern compete, the more literal winning.
    ///
    /// **Cost.** No heap allocation. An id or alias is one hash of the name and one table
    /// probe, whatever the catalog's size; a miss adds a probe per distinct length of the
    /// `prefix*` patterns (hashed in the same pass over the name) and a match against each
    /// other pattern (few: most tables write patterns as `prefix*`). Nothing else is computed
    /// for an unknown name: suggestions are made only when an error is rendered
    /// ([`Catalog::model`]).
    ///
    /// ```
    /// use tariff_core::Catalog;
    /// let c = Catalog::builtin();
    /// assert_eq!(c.resolve("claude-sonnet-4-5-20250929").unwrap().id(), "claude-sonnet-4-5");
    /// assert_eq!(c.resolve("Claude-Sonnet-4-5").unwrap().id(), "claude-sonnet-4-5");
    /// assert!(c.resolve("no-such-model").is_none());
    /// ```
    pub fn resolve(&self, name: &str) -> Option<&Model> {
        let bytes = name.as_bytes();
        // An id or alias first: one hash of the name, one probe.
        let whole = fold_hash(bytes);
        if let Some((_, i)) = self
            .names
            .find(whole, |(k, _)| k.as_bytes().eq_ignore_ascii_case(bytes))
        {
            return Some(&self.models[*i]);
        }
        self.resolve_pattern(name, whole)
    }

    /// The pattern that resolves a name that is no id or alias, if any: the longest
    /// matching `prefix*` (a probe per distinct prefix length up to the name's, each hashing
    /// that prefix) and the most literal other pattern compete, the more literal winning.
    #[inline(never)]
    fn resolve_pattern(&self, name: &str, whole: u64) -> Option<&Model> {
        let bytes = name.as_bytes();
        let mut by_prefix = None;
        // No `prefix*` pattern at all: `prefix_len` is empty, and there is nothing to probe.
        let longest = bytes.len().min(self.prefix_len.len());
        for n in (0..=longest).rev() {
            if self.prefix_len.get(n) != Some(&true) {
                continue;
            }
            let probe = &bytes[..n];
            // A prefix of a `str` at a byte offset need not be a `str`: hash the bytes.
            let h = if n == bytes.len() {
                whole
            } else {
                fold_hash(probe)
            };
            if let Some((_, i)) = self
                .prefixes
                .find(h, |(k, _)| k.as_bytes().eq_ignore_ascii_case(probe))
            {
                by_prefix = Some((n, *i));
                break;
            }
        }
        // The most literal other pattern; the more literal of the two wins.
        let other = self
            .patterns
            .iter()
            .find(|(p, _)| glob_fold(p, name))
            .map(|(p, i)| (p.len() - p.matches('*').count(), *i));
        let best = match (by_prefix, other) {
            (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        best.map(|(_, i)| &self.models[i])
    }

    /// Up to five known ids closest to `name` (see [`KnownNames::closest`]).
    pub fn suggest(&self, name: &str) -> Vec<String> {
        self.known.closest(name)
    }
}

/// [`glob`] under the catalog's case rule: `pattern` is in ASCII lower case, `s` is
/// compared without regard to ASCII case. Allocates nothing; costs at most the product of
/// the two lengths.
fn glob_fold(pattern: &str, s: &str) -> bool {
    fn starts(s: &[u8], p: &[u8]) -> bool {
        s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p)
    }
    let s = s.as_bytes();
    let mut parts = pattern.split('*').map(str::as_bytes);
    let first = parts.next().unwrap_or(b"");
    if !starts(s, first) {
        return false;
    }
    let mut rest = &s[first.len()..];
    let mut parts = parts.peekable();
    let mut last: &[u8] = b"";
    let mut any = false;
    while let Some(m) = parts.next() {
        any = true;
        if parts.peek().is_none() {
            last = m;
            break;
        }
        match (0..=rest.len().saturating_sub(m.len())).find(|&i| starts(&rest[i..], m)) {
            Some(i) if rest.len() >= m.len() => rest = &rest[i + m.len()..],
            _ => return false,
        }
    }
    if !any {
        return rest.is_empty();
    }
    rest.len() >= last.len() && rest[rest.len() - last.len()..].eq_ignore_ascii_case(last)
}

/// Whether `s` matches the `*`-glob `pattern`, case-sensitively: `*` stands for any run
/// of characters (possibly empty), every other character for itself. The syntax of a
/// model's `patterns`, which the catalog matches ignoring ASCII case.
///
/// ```
/// use tariff_core::catalog::glob;
/// assert!(glob("gpt-4o-*", "gpt-4o-2024-08-06"));
/// assert!(!glob("gpt-4o-*", "gpt-4o"));
/// assert!(!glob("gpt-4o-*", "GPT-4o-2024-08-06"));
/// ```
pub fn glob(pattern: &str, s: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = s.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for m in middle {
        match rest.find(m) {
            Some(i) => rest = &rest[i + m.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::{fold_hash, fold_word, glob, glob_fold};

    /// Regression: with no `prefix*` pattern in the catalog, an unknown name indexed past
    /// the end of the (empty) prefix-length table.
    #[test]
    fn an_unknown_name_in_a_catalog_without_patterns_is_none() {
        let c = super::CatalogBuilder::new()
            .text(
                "t.toml",
                "provider = \"p\"\ncurrency = \"USD\"\n[[model]]\nid = \"m\"\n[[model.price]]\nsource = \"s\"\nas_of = 2025-01-01\nrates = { input_tokens = 1 }\n",
            )
            .build()
            .unwrap();
        assert_eq!(c.resolve("M").map(|m| m.id()), Some("m"));
        assert!(c.resolve("no-such-model").is_none());
        assert!(c.resolve("").is_none());
    }

    #[test]
    fn word_folding_is_ascii_lower_case_byte_by_byte() {
        // Every byte value, in every position of a word, against u8::to_ascii_lowercase.
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut bytes = [b'x'; 8];
                bytes[pos] = b;
                let want = bytes.map(|c| c.to_ascii_lowercase());
                let got = fold_word(u64::from_le_bytes(bytes)).to_le_bytes();
                assert_eq!(got, want, "byte {b:#04x} at {pos}");
            }
        }
        // Neighbours in every byte at once (carries must not cross bytes).
        for w in [
            *b"@AZ[`az{",
            *b"\x7f\x80\xc0\xc1\xdaZ\xffA",
            *b"\0\0\0\0\0\0\0\0",
        ] {
            let want = w.map(|c| c.to_ascii_lowercase());
            assert_eq!(fold_word(u64::from_le_bytes(w)).to_le_bytes(), want);
        }
    }

    #[test]
    fn names_equal_but_for_ascii_case_hash_alike_and_others_apart() {
        let names = [
            "",
            "a",
            "A",
            "gpt-4o",
            "GPT-4o",
            "claude-sonnet-4-5-20250929",
            "Claude-Sonnet-4-5-20250929",
            "ÄB",
            "äb",
            "a\0",
        ];
        for x in names {
            for y in names {
                let same = x.eq_ignore_ascii_case(y);
                assert_eq!(
                    fold_hash(x.as_bytes()) == fold_hash(y.as_bytes()),
                    same,
                    "{x:?} {y:?}"
                );
            }
        }
    }

    #[test]
    fn folded_globs_agree_with_globs_on_lower_case_and_ignore_case() {
        let cases = [
            ("gpt-4o-*", "gpt-4o-2024-08-06"),
            ("gpt-4o-*", "gpt-4o"),
            ("a*b*c", "a--b--c"),
            ("a*c", "ac"),
            ("a*bc", "abc-"),
            ("ab*ba", "aba"),
            ("*", ""),
            ("a*b", "ab"),
            ("*x*", "yxy"),
            ("*x*", "yy"),
            ("ä*", "äb"),
        ];
        for (p, s) in cases {
            assert_eq!(glob_fold(p, s), glob(p, s), "{p} {s}");
            assert_eq!(glob_fold(p, &s.to_ascii_uppercase()), glob(p, s), "{p} {s}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob("gpt-4o-*", "gpt-4o-2024-08-06"));
        assert!(!glob("gpt-4o-*", "gpt-4o"));
        assert!(glob("a*b*c", "a--b--c"));
        assert!(glob("a*c", "ac"));
        assert!(!glob("a*bc", "abc-"));
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("*", ""));
    }
}
