//! "Did you mean": the known names closest to a name that matched none.
//!
//! Every such message of the tariff crates (an unknown model, an unknown option of an
//! imported table, an unknown field of a log record) follows one rule, [`similar`]'s:
//!
//! - only the first [`MAX_COMPARED_CHARS`] characters of the unknown name are compared (the
//!   name is often chosen by a client, and a comparison costs the product of the lengths);
//! - ASCII case is ignored;
//! - the score is the Jaro-Winkler similarity, plus 0.1 when one name is a prefix of the
//!   other (a truncated or extended name is a likely slip);
//! - a known name is suggested when its score is above [`THRESHOLD`];
//! - best first; equal scores in the order of the known names' text.
//!
//! It runs only when an error is rendered, never on a path that succeeds.
//!
//! ```
//! use tariff_core::suggest::{did_you_mean, similar};
//! let known = ["ModelPrice", "ModelRatio", "CompletionRatio"];
//! let found = similar("modelratios", known, 3);
//! assert_eq!(found, ["ModelRatio", "ModelPrice"]);
//! assert_eq!(did_you_mean(&found), "; did you mean `ModelRatio`, `ModelPrice`?");
//! assert!(similar("zzzz", known, 3).is_empty());
//! ```

use std::fmt::Display;

/// The score a known name must exceed to be suggested.
pub const THRESHOLD: f64 = 0.8;

/// The longest prefix of an unknown name that is compared.
pub const MAX_COMPARED_CHARS: usize = 64;

/// Up to `limit` of `candidates` closest to `name`, best first (the rule is the module's).
pub fn similar<'a, T>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a T>,
    limit: usize,
) -> Vec<&'a T>
where
    T: AsRef<str> + ?Sized + 'a,
{
    if limit == 0 {
        return Vec::new();
    }
    let end = name
        .char_indices()
        .nth(MAX_COMPARED_CHARS)
        .map_or(name.len(), |(i, _)| i);
    let lower = name[..end].to_ascii_lowercase();
    let mut scored: Vec<(f64, &'a T)> = candidates
        .into_iter()
        .filter_map(|c| {
            let k = c.as_ref().to_ascii_lowercase();
            let mut s = strsim::jaro_winkler(&lower, &k);
            if k.starts_with(&lower) || lower.starts_with(&k) {
                s += 0.1;
            }
            (s > THRESHOLD).then_some((s, c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.as_ref().cmp(b.1.as_ref())));
    scored.into_iter().take(limit).map(|(_, c)| c).collect()
}

/// The tail of an error message naming suggestions: `; did you mean `a`, `b`?`, or
/// nothing when there are none.
pub fn did_you_mean<T: Display>(suggestions: &[T]) -> String {
    if suggestions.is_empty() {
        return String::new();
    }
    let names: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
    format!("; did you mean {}?", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, similar};

    #[test]
    fn best_first_case_blind_and_bounded() {
        let known = ["ModelPrice", "ModelRatio", "CompletionRatio", "GroupRatio"];
        assert_eq!(similar("modelratios", known, 1), ["ModelRatio"]);
        assert_eq!(similar("ModelRatios", known, 3)[0], "ModelRatio");
        assert!(similar("zzzz", known, 3).is_empty());
        assert!(similar("ModelRatio", known, 0).is_empty());
    }

    #[test]
    fn a_prefix_counts_extra() {
        // "gpt-4" against "gpt-4o-mini": Jaro (5/5 + 5/11 + 5/5)/3 = 0.818, Winkler
        // + 4 × 0.1 × 0.182 = 0.891, a prefix: + 0.1 = 0.991. Against "gpt-3": Jaro
        // (4/5 + 4/5 + 4/4)/3 = 0.867, Winkler + 4 × 0.1 × 0.133 = 0.920, no prefix. Without
        // the prefix rule "gpt-3" would come first.
        let known = ["gpt-3", "gpt-4o-mini"];
        assert_eq!(similar("gpt-4", known, 2), ["gpt-4o-mini", "gpt-3"]);
    }

    #[test]
    fn equal_scores_in_text_order_whatever_the_input_order() {
        assert_eq!(
            similar("model-x", ["model-b", "model-a"], 2),
            ["model-a", "model-b"]
        );
    }

    #[test]
    fn only_the_first_64_characters_are_compared() {
        // Regression guard on cost: a long client-chosen name is cut before comparing, so
        // a known name equal to its first 64 characters scores as a prefix match.
        let long = format!("{}{}", "a".repeat(64), "b".repeat(100_000));
        let known = ["a".repeat(64)];
        assert_eq!(
            similar(&long, known.iter().map(String::as_str), 1),
            [known[0].as_str()]
        );
        // Multi-byte characters are cut at a character boundary, not a byte offset.
        let wide = "é".repeat(100);
        assert!(similar(&wide, ["x"], 1).is_empty());
    }

    #[test]
    fn the_message_tail() {
        assert_eq!(did_you_mean::<&str>(&[]), "");
        assert_eq!(did_you_mean(&["a", "b"]), "; did you mean `a`, `b`?");
    }
}
