//! The model → encoding map, read from `tokens/models.toml` (data, not code: a new model
//! family is a line in that file).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::Encoding;

static MODELS_TOML: &str = crate::data::embedded!("models.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    models: Vec<String>,
}

/// One line of the map: a lower-case id or prefix.
struct Rule {
    text: String,
    prefix: bool,
    encoding: Encoding,
}

/// Parses the embedded table, longest rule first so the first match is the best one.
fn parse(source: &str) -> Result<Vec<Rule>, String> {
    let table: BTreeMap<String, Entry> = crate::data::parse(source)?;
    let mut rules = Vec::new();
    for (name, entry) in table {
        let encoding =
            Encoding::from_name(&name).ok_or_else(|| format!("unknown encoding `{name}`"))?;
        for model in entry.models {
            let (text, prefix) = match model.strip_suffix('*') {
                Some(p) => (p, true),
                None => (model.as_str(), false),
            };
            if text.is_empty() || text.contains('*') {
                return Err(format!("bad model pattern `{model}`"));
            }
            rules.push(Rule {
                text: text.to_ascii_lowercase(),
                prefix,
                encoding,
            });
        }
    }
    // Longest first; at equal length an exact id before a prefix.
    rules.sort_by(|a, b| {
        (b.text.len(), !b.prefix)
            .cmp(&(a.text.len(), !a.prefix))
            .then_with(|| a.text.cmp(&b.text))
    });
    Ok(rules)
}

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    // The file is embedded at build time and parsed by a unit test, so a failure here
    // is a build defect, not an input error.
    RULES.get_or_init(|| parse(MODELS_TOML).expect("tokens/models.toml is valid"))
}

/// See [`Encoding::for_model`].
pub(super) fn for_model(model: &str) -> Option<Encoding> {
    // A fine-tune is `ft:BASE:org:name:id`; it tokenizes as its base model.
    let model = match model.strip_prefix("ft:") {
        Some(rest) => rest.split(':').next().unwrap_or(rest),
        None => model,
    };
    let model = model.to_ascii_lowercase();
    rules()
        .iter()
        .find(|r| {
            if r.prefix {
                model.starts_with(&r.text)
            } else {
                model == r.text
            }
        })
        .map(|r| r.encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses() {
        assert!(parse(MODELS_TOML).unwrap().len() > 10);
    }

    #[test]
    fn rejects_bad_tables() {
        assert!(parse("[p50k_base]\nmodels = [\"x\"]").is_err());
        assert!(parse("[o200k_base]\nmodels = [\"*\"]").is_err());
        assert!(parse("[o200k_base]\nmodel = [\"x\"]").is_err());
    }
}
