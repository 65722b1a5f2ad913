//! Data keyed by model patterns, shared by the estimators and the request readers.

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

    /// The entry for `model`.
    pub(crate) fn get(&self, model: &str) -> Option<&T> {
        let model = normalize(model);
        self.rules
            .iter()
            .find(|(t, prefix, _)| {
                if *prefix {
                    model.starts_with(t.as_str())
                } else {
                    model == *t
                }
            })
            .map(|r| &self.items[r.2])
    }
}

/// Lower case, without a routing prefix (`openai/`, `models/`).
pub(crate) fn normalize(model: &str) -> String {
    let bare = model.rsplit('/').next().unwrap_or(model);
    bare.to_ascii_lowercase()
}
