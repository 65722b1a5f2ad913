//! "Did you mean": the known names closest to a name that matched none.
//!
//! One rule for every such message in this crate: Jaro-Winkler similarity, compared without
//! regard to ASCII case, above [`THRESHOLD`], best first (ties in the order given). It runs
//! only when an error is being rendered, never on the path that succeeds.

/// How similar a known name must be to be suggested.
pub(crate) const THRESHOLD: f64 = 0.8;

/// Up to `most` of `known` closest to `name`, best first.
pub(crate) fn closest<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a str>,
    most: usize,
) -> Vec<&'a str> {
    let lower = name.to_ascii_lowercase();
    let mut scored: Vec<(f64, usize, &str)> = known
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            let s = strsim::jaro_winkler(&lower, &k.to_ascii_lowercase());
            (s, i, k)
        })
        .filter(|(s, _, _)| *s > THRESHOLD)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(most).map(|(_, _, k)| k).collect()
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn best_first_case_blind_and_bounded() {
        let known = ["ModelPrice", "ModelRatio", "CompletionRatio", "GroupRatio"];
        assert_eq!(closest("modelratios", known, 1), ["ModelRatio"]);
        assert_eq!(closest("ModelRatios", known, 3)[0], "ModelRatio");
        assert!(closest("zzzz", known, 3).is_empty());
        assert!(closest("ModelRatio", known, 0).is_empty());
    }
}
