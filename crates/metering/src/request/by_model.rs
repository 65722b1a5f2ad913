//! Data keyed by model patterns, shared by the estimators and the request readers.
//!
//! **The case rule** (the catalog's, see `tariff_core::Catalog::resolve`): a model name is
//! matched without regard to ASCII case; a fine-tune (`ft:BASE:org:name:id`) is its base
//! model; anything up to the last `/` (`openai/gpt-4o`, `models/gemini-2.5-pro`) is a
//! routing prefix and dropped. Non-ASCII characters compare exactly.

/// Entries keyed by model patterns; the longest matching pattern wins.
pub(crate) struct ByModel<T> {
    /// (lower-case text, is a prefix, index into `items`), longest first.
    rules: Vec<(String, bool, usize)>,
    pub(crate) items: Vec<T>,
}

impl<T> ByModel<T> {
    pub(crate) fn new(items: Vec<T>, models: impl Fn(&T) -> &[String]) -> Result<Self, String> {
        let mut rules = Vec::new();
        for (i, item) in items.iter().enumerate() {
            for m in models(item) {
                let (text, prefix) = match m.strip_suffix('*') {
                    Some(p) => (p, true),
                    None => (m.as_str(), false),
                };
                if text.is_empty() || text.contains('*') {
                    return Err(format!("bad model pattern `{m}`"));
                }
                rules.push((text.to_ascii_lowercase(), prefix, i));
            }
        }
        rules.sort_by(|a, b| {
            (b.0.len(), !b.1)
                .cmp(&(a.0.len(), !a.1))
                .then_with(|| a.0.cmp(&b.0))
        });
        Ok(ByModel { rules, items })
    }

    /// The entry for `model`, under the case rule above; allocates nothing.
    pub(crate) fn get(&self, model: &str) -> Option<&T> {
        let model = bare(model).as_bytes();
        self.rules
            .iter()
            .find(|(t, prefix, _)| {
                let t = t.as_bytes();
                if *prefix {
                    model.len() >= t.len() && model[..t.len()].eq_ignore_ascii_case(t)
                } else {
                    model.eq_ignore_ascii_case(t)
                }
            })
            .map(|r| &self.items[r.2])
    }
}

/// The name without a fine-tune's wrapper and a routing prefix (case kept).
fn bare(model: &str) -> &str {
    let model = match model.strip_prefix("ft:") {
        Some(rest) => rest.split(':').next().unwrap_or(rest),
        None => model,
    };
    model.rsplit('/').next().unwrap_or(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_case_rule() {
        let t = ByModel::new(
            vec![
                (vec!["gpt-4o*".to_string()], 1),
                (vec!["gpt-4".to_string()], 2),
            ],
            |e| &e.0,
        )
        .unwrap();
        let get = |m: &str| t.get(m).map(|e| e.1);
        assert_eq!(get("GPT-4o-2024-08-06"), Some(1));
        assert_eq!(get("openai/gpt-4o"), Some(1));
        assert_eq!(get("ft:gpt-4o-mini:acme::x1"), Some(1));
        assert_eq!(get("GPT-4"), Some(2));
        assert_eq!(get("gpt-4-0613"), None);
        // A multi-byte character is never split: compared bytewise, it simply differs.
        assert_eq!(get("gpt-4ö"), None);
        assert_eq!(get("gpt"), None);
    }
}
