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

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

pub use facts::{ENCODINGS, MAX_OUTPUT_TOKENS};
pub use model::{Body, Kind, Model, OptionRule, Rate, RateSet, Schedule, Tier, Variant, Window};

use crate::error::{CatalogError, PriceError, Problem, ProblemKind};

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
/// assert_eq!(bill.total.to_string(), "0.009"); // 1000 × $3/M + 400 × $15/M
/// assert_eq!(bill.total, bill.lines.iter().map(|l| l.amount).sum());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    models: Vec<Model>,
    names: HashMap<String, usize>,
    /// Patterns of the form `prefix*`, by prefix: a lookup costs the name's length, not
    /// the number of patterns.
    prefixes: HashMap<String, usize>,
    /// Shortest and longest prefix in `prefixes`, to bound the probes.
    prefix_lens: (usize, usize),
    /// Every other pattern, most literal first.
    patterns: Vec<(String, usize)>,
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
        // Where each name was first defined, for the duplicate report.
        let mut defined: HashMap<String, (String, usize)> = HashMap::new();
        let mut patterns_seen: HashMap<String, (String, usize, usize)> = HashMap::new();
        for (file, text, format) in &self.sources {
            let mut rep = load::Reporter::new(file, text, *format);
            for (model, line) in load::parse_file(&mut rep) {
                let idx = if model.replaces {
                    // A relay's own table re-prices a model an earlier table defines: the
                    // replacement takes over the id and every name that led to it.
                    match catalog.names.get(model.id()) {
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
                let names =
                    std::iter::once(model.id.to_string()).chain(model.aliases.iter().cloned());
                for name in names {
                    match defined.get(&name) {
                        Some(_) if model.replaces && catalog.names.get(&name) == Some(&idx) => {}
                        Some((f, l)) => problems.push(Problem {
                            file: file.clone(),
                            line: Some(line),
                            message: format!("model name `{name}` is already defined at {f}:{l}"),
                            kind: ProblemKind::Invalid,
                        }),
                        None => {
                            defined.insert(name.clone(), (file.clone(), line));
                            catalog.names.insert(name, idx);
                        }
                    }
                }
                for p in &model.patterns {
                    match patterns_seen.get(p) {
                        Some((_, _, owner)) if *owner == idx => {}
                        Some((f, l, _)) => problems.push(Problem {
                            file: file.clone(),
                            line: Some(line),
                            message: format!("pattern `{p}` is already used at {f}:{l}"),
                            kind: ProblemKind::Invalid,
                        }),
                        None => {
                            patterns_seen.insert(p.clone(), (file.clone(), line, idx));
                            catalog.patterns.push((p.clone(), idx));
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
        }
        // The most literal pattern wins when several match, so order them that way once.
        catalog
            .patterns
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len() - p.matches('*').count()));
        let (prefixes, others): (Vec<_>, Vec<_>) = std::mem::take(&mut catalog.patterns)
            .into_iter()
            .partition(|(p, _)| p.find('*') == Some(p.len() - 1));
        catalog.patterns = others;
        for (p, i) in prefixes {
            let prefix = p[..p.len() - 1].to_string();
            let (lo, hi) = catalog.prefix_lens;
            catalog.prefix_lens = if catalog.prefixes.is_empty() {
                (prefix.len(), prefix.len())
            } else {
                (lo.min(prefix.len()), hi.max(prefix.len()))
            };
            catalog.prefixes.insert(prefix, i);
        }
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

    /// Resolves an id, alias or pattern to its model.
    ///
    /// Exact ids and aliases are a hash lookup; patterns are tried only when that misses.
    pub fn model(&self, name: &str) -> Result<&Model, PriceError> {
        self.resolve(name).ok_or_else(|| PriceError::UnknownModel {
            model: name.to_string(),
            suggestions: self.suggest(name),
        })
    }

    /// Resolves an id, alias or pattern to its model, or `None` when nothing matches.
    pub fn resolve(&self, name: &str) -> Option<&Model> {
        if let Some(&i) = self.names.get(name) {
            return Some(&self.models[i]);
        }
        // The longest matching `prefix*` pattern, and the most literal other pattern: the
        // more literal of the two wins.
        let (lo, hi) = self.prefix_lens;
        let by_prefix = (lo..=hi.min(name.len()))
            .rev()
            .filter(|&n| name.is_char_boundary(n))
            .find_map(|n| self.prefixes.get(&name[..n]).map(|&i| (n, i)));
        let other = self
            .patterns
            .iter()
            .find(|(p, _)| glob(p, name))
            .map(|(p, i)| (p.len() - p.matches('*').count(), *i));
        let best = match (by_prefix, other) {
            (Some(a), Some(b)) => Some(if b.0 > a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
        best.map(|(_, i)| &self.models[i])
    }

    /// Up to five known ids closest to `name`.
    pub fn suggest(&self, name: &str) -> Vec<String> {
        let lower = name.to_ascii_lowercase();
        let mut scored: Vec<(f64, &str)> = self
            .names
            .keys()
            .map(|k| {
                let mut s = strsim::jaro_winkler(&lower, &k.to_ascii_lowercase());
                if k.starts_with(&lower) || lower.starts_with(k.as_str()) {
                    s += 0.1;
                }
                (s, k.as_str())
            })
            .filter(|(s, _)| *s > 0.75)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut out: Vec<String> = Vec::new();
        for (_, k) in scored {
            // Suggest canonical ids: an alias stands for its model.
            let id = self.models[self.names[k]].id.to_string();
            if !out.contains(&id) {
                out.push(id);
            }
            if out.len() == 5 {
                break;
            }
        }
        out
    }
}

/// Matches `*`-globs: `*` stands for any run of characters (possibly empty).
#[doc(hidden)]
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
    use super::glob;

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
