//! Per-model metering facts joined onto [`Model`](super::Model) when the catalog loads:
//! the tokenizer encoding (`tokens/models.toml`), the output limit (`estimate/models.toml`,
//! its `[[output]]` entries) and the metering formula family (its `[[formula]]` entries).
//!
//! Both files key their entries by model patterns: an entry ending in `*` is a prefix, any
//! other an exact id, the longest match wins (an exact entry before a prefix of the same
//! length). A model's id is matched under the catalog's one case rule for these files
//! (see [`Catalog::resolve`](super::Catalog::resolve)): ASCII case ignored, a fine-tune's
//! `ft:` wrapper (`ft:BASE:org:name:id`) reduced to its base model, and a routing prefix
//! up to the last `/` (`openai/gpt-4o`) dropped.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

static TOKENS_MODELS: &str = crate::data::embedded!("tokens/models.toml");
static ESTIMATE_MODELS: &str = crate::data::embedded!("estimate/models.toml");

/// The tokenizer encodings a table may name in `encoding` (tiktoken's names); the
/// tokenizer crate implements exactly these.
pub const ENCODINGS: &[&str] = &["o200k_base", "o200k_harmony", "cl100k_base"];

/// The largest `max_output_tokens` a table may set: 100 million, some 800 times the
/// largest published limit, so that a typo (or a wrapped count) is caught at load time.
pub const MAX_OUTPUT_TOKENS: u64 = 100_000_000;

/// The metering formula families a table may name in `formula`: the vendor defaults and
/// per-request rules the metering crate applies to a model's requests and answers.
/// - video (OpenAI-compatible video jobs and Sora's chat format): `sora` (priced by pixel
///   size, 4 s at 720x1280 by default), `veo` (8 s at 720p), `kling`, `wan`, `jimeng`,
///   `luma` (5 s), `runway` (10 s);
/// - OpenAI Images: `dall-e-2` (1024x1024, one quality), `dall-e-3` (1024x1024, `standard`);
/// - DashScope images: `wan` (4 images by default, at most 4), `z-image` (always 1);
/// - chat: `web-search` (the model searches the web on every request).
pub const FORMULAS: &[&str] = &[
    "sora",
    "veo",
    "kling",
    "wan",
    "jimeng",
    "luma",
    "runway",
    "dall-e-2",
    "dall-e-3",
    "z-image",
    "web-search",
];

/// The formula name as the `'static` entry of [`FORMULAS`], if it is one.
pub(crate) fn formula(name: &str) -> Option<&'static str> {
    FORMULAS.iter().copied().find(|f| *f == name)
}

/// The encoding name as the `'static` entry of [`ENCODINGS`], if it is one.
pub(crate) fn encoding(name: &str) -> Option<&'static str> {
    ENCODINGS.iter().copied().find(|e| *e == name)
}

#[derive(Deserialize)]
struct Encoded {
    models: Vec<String>,
}

#[derive(Deserialize)]
struct Output {
    models: Vec<String>,
    max_output_tokens: u64,
}

#[derive(Deserialize)]
struct Formula {
    name: String,
    models: Vec<String>,
}

/// Only the `[[output]]` and `[[formula]]` entries of `estimate/models.toml`; its other
/// tables are the metering crate's (which checks every entry's `source` and `as_of`).
#[derive(Deserialize)]
struct EstimateModels {
    output: Vec<Output>,
    formula: Vec<Formula>,
}

/// Entries keyed by model patterns, longest first.
struct Rules<T> {
    /// (lower-case text, is a prefix, value).
    rules: Vec<(String, bool, T)>,
}

impl<T: Copy> Rules<T> {
    fn new(entries: impl IntoIterator<Item = (String, T)>) -> Result<Self, String> {
        let mut rules = Vec::new();
        for (m, v) in entries {
            let (text, prefix) = match m.strip_suffix('*') {
                Some(p) => (p, true),
                None => (m.as_str(), false),
            };
            if text.is_empty() || text.contains('*') {
                return Err(format!("bad model pattern `{m}`"));
            }
            rules.push((text.to_ascii_lowercase(), prefix, v));
        }
        rules.sort_by(|a, b| {
            (b.0.len(), !b.1)
                .cmp(&(a.0.len(), !a.1))
                .then_with(|| a.0.cmp(&b.0))
        });
        Ok(Rules { rules })
    }

    fn get(&self, id: &str) -> Option<T> {
        let id = normalize(id);
        self.rules
            .iter()
            .find(|(t, prefix, _)| {
                if *prefix {
                    id.starts_with(t.as_str())
                } else {
                    id == *t
                }
            })
            .map(|r| r.2)
    }
}

/// The form a model id is matched in against the data files: lower case, a fine-tune by
/// its base model, without a routing prefix.
pub fn normalize(id: &str) -> String {
    let id = match id.strip_prefix("ft:") {
        Some(rest) => rest.split(':').next().unwrap_or(rest),
        None => id,
    };
    let bare = id.rsplit('/').next().unwrap_or(id);
    bare.to_ascii_lowercase()
}

fn encodings() -> &'static Rules<&'static str> {
    static R: OnceLock<Rules<&'static str>> = OnceLock::new();
    // Embedded at build time and parsed by a unit test: a failure is a build defect.
    R.get_or_init(|| parse_encodings(TOKENS_MODELS).expect("tokens/models.toml is valid"))
}

fn outputs() -> &'static Rules<u64> {
    static R: OnceLock<Rules<u64>> = OnceLock::new();
    R.get_or_init(|| parse_outputs(ESTIMATE_MODELS).expect("estimate/models.toml is valid"))
}

fn formulas() -> &'static Rules<&'static str> {
    static R: OnceLock<Rules<&'static str>> = OnceLock::new();
    R.get_or_init(|| parse_formulas(ESTIMATE_MODELS).expect("estimate/models.toml is valid"))
}

fn parse_formulas(text: &str) -> Result<Rules<&'static str>, String> {
    let file: EstimateModels = crate::data::parse(text)?;
    let mut entries = Vec::new();
    for f in file.formula {
        let name = formula(&f.name).ok_or_else(|| format!("unknown formula `{}`", f.name))?;
        entries.extend(f.models.into_iter().map(|m| (m, name)));
    }
    Rules::new(entries)
}

fn parse_encodings(text: &str) -> Result<Rules<&'static str>, String> {
    let table: BTreeMap<String, Encoded> = crate::data::parse(text)?;
    let mut entries = Vec::new();
    for (name, e) in table {
        let enc = encoding(&name).ok_or_else(|| format!("unknown encoding `{name}`"))?;
        entries.extend(e.models.into_iter().map(|m| (m, enc)));
    }
    Rules::new(entries)
}

fn parse_outputs(text: &str) -> Result<Rules<u64>, String> {
    let file: EstimateModels = crate::data::parse(text)?;
    let mut entries = Vec::new();
    for o in file.output {
        if o.max_output_tokens == 0 || o.max_output_tokens > MAX_OUTPUT_TOKENS {
            return Err(format!(
                "max_output_tokens {} out of range",
                o.max_output_tokens
            ));
        }
        entries.extend(o.models.into_iter().map(|m| (m, o.max_output_tokens)));
    }
    Rules::new(entries)
}

/// The encoding `tokens/models.toml` gives the model id, if any.
pub fn encoding_for(id: &str) -> Option<&'static str> {
    encodings().get(id)
}

/// The formula family `estimate/models.toml` gives the model id, if any.
pub fn formula_for(id: &str) -> Option<&'static str> {
    formulas().get(id)
}

/// The output limit `estimate/models.toml` gives the model id, if any.
pub fn max_output_tokens_for(id: &str) -> Option<u64> {
    outputs().get(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_parse() {
        assert!(parse_encodings(TOKENS_MODELS).unwrap().rules.len() > 10);
        assert!(parse_outputs(ESTIMATE_MODELS).unwrap().rules.len() > 10);
        assert!(parse_formulas(ESTIMATE_MODELS).unwrap().rules.len() > 10);
    }

    #[test]
    fn rejects_bad_files() {
        assert!(parse_encodings("[p50k_base]\nmodels = [\"x\"]").is_err());
        assert!(parse_encodings("[o200k_base]\nmodels = [\"*\"]").is_err());
    }

    // TOML text, which `embed-json` builds do not parse.
    #[cfg(not(feature = "embed-json"))]
    #[test]
    fn rejects_an_unknown_formula() {
        let formula =
            |name: &str| format!("output = []\n[[formula]]\nname = \"{name}\"\nmodels = [\"x*\"]");
        assert!(parse_formulas(&formula("sora")).is_ok());
        assert!(parse_formulas(&formula("sora2")).is_err());
    }

    #[test]
    fn longest_match_case_and_fine_tunes() {
        assert_eq!(encoding_for("GPT-4o-2024-08-06"), Some("o200k_base"));
        assert_eq!(encoding_for("gpt-4-turbo"), Some("cl100k_base"));
        assert_eq!(encoding_for("ft:gpt-4.1-mini:acme::x1"), Some("o200k_base"));
        assert_eq!(encoding_for("claude-sonnet-4-5"), None);
        // `gpt-5-chat*` (16,384) is longer than `gpt-5*` (128,000).
        assert_eq!(max_output_tokens_for("gpt-5-chat-latest"), Some(16384));
        assert_eq!(max_output_tokens_for("openai/gpt-5"), Some(128000));
        assert_eq!(formula_for("Sora-2-Pro"), Some("sora"));
        assert_eq!(formula_for("dall-e-3"), Some("dall-e-3"));
        assert_eq!(
            formula_for("gpt-4o-mini-search-preview-2025-03-11"),
            Some("web-search")
        );
        assert_eq!(formula_for("gpt-4o"), None);
    }
}
