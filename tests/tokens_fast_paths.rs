//! The fast paths of `tariff::tokens` against the reference, on text built to stress them.
//!
//! Counting a text of 32 KiB or more goes through a cache of recently counted pieces
//! (short ones by their first and last eight bytes, ones of 17 to 96 bytes whole), and
//! every lookup goes through a hash table that native builds embed ready-made. Each
//! property here builds such texts from a small set of random fragments (so pieces recur,
//! and distinct pieces collide in the cache) and checks the count against tiktoken-rs's
//! `encode_ordinary`, and against the same text counted piece by piece without a cache.

use proptest::prelude::*;
use tariff::tokens::Encoding;
use tiktoken_rs::CoreBPE;

fn reference(enc: Encoding) -> &'static CoreBPE {
    match enc {
        Encoding::O200kBase | Encoding::O200kHarmony => tiktoken_rs::o200k_base_singleton(),
        Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
    }
}

/// Characters from every class the pre-tokenizers tell apart, with CJK, emoji and white
/// space weighted up, since those make the long pieces.
fn char_strategy() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        1 => prop::char::range('A', 'Z'),
        3 => prop::char::range('\u{4e00}', '\u{4fff}'),
        2 => prop::char::range('\u{3041}', '\u{30ff}'),
        1 => prop::char::range('\u{1f300}', '\u{1f6ff}'),
        2 => prop::sample::select(vec![' ', ' ', '\n', '\t', '\r', '\u{3000}', '\u{a0}']),
        1 => prop::sample::select(vec!['\'', '.', ',', '/', '=', '-', '_', '"', '。', '、']),
        1 => prop::char::range('0', '9'),
        1 => prop::sample::select(vec!['\u{301}', '\u{200d}', '\u{fe0f}', '🏽', 'ſ', 'ß']),
        1 => any::<char>(),
    ]
}

/// A fragment: random characters, or a run of one character (a long piece of one kind).
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(char_strategy(), 1..40).prop_map(|c| c.into_iter().collect()),
        1 => (char_strategy(), 1usize..120).prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
    ]
}

/// At least `min` bytes made of `fragments` in the order `picks` gives (cycled).
fn assemble(fragments: &[String], picks: &[usize], min: usize) -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < min {
        text.push_str(&fragments[picks[i % picks.len()] % fragments.len()]);
        i += 1;
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Recurring pieces, answered from the cache, count as the reference counts them.
    #[test]
    fn long_texts_through_the_piece_cache_match_tiktoken(
        fragments in prop::collection::vec(fragment(), 1..24),
        picks in prop::collection::vec(any::<usize>(), 1..64),
    ) {
        let text = assemble(&fragments, &picks, 40 * 1024);
        for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
            let expected = reference(enc).encode_ordinary(&text).len();
            prop_assert_eq!(enc.count(&text), expected);
            // The same pieces counted one call each (short calls use no cache).
            let piecewise: usize = enc.pieces(&text).map(|p| enc.count(p)).sum();
            prop_assert_eq!(piecewise, expected);
        }
    }

    /// Many distinct long pieces (more than the cache holds) of equal length that differ
    /// in one character: every lookup must compare the whole piece, not a digest of it.
    #[test]
    fn colliding_long_pieces_match_tiktoken(
        stem in prop::collection::vec(prop::char::range('\u{4e00}', '\u{9fff}'), 6..31),
        at in any::<prop::sample::Index>(),
    ) {
        let at = at.index(stem.len());
        let mut text = String::new();
        let mut variant = stem.clone();
        let mut k = 0u32;
        while text.len() < 48 * 1024 {
            // Walk the changed character through 2,000 code points, so pieces repeat
            // only after the cache has seen many others.
            variant[at] = char::from_u32(0x4e00 + k % 2000).expect("CJK");
            text.extend(variant.iter());
            text.push('，');
            k += 1;
        }
        for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
            prop_assert_eq!(enc.count(&text), reference(enc).encode_ordinary(&text).len());
        }
    }
}

/// Adversarial shapes, each long enough for the cache: runs of one character of every
/// length up to 300 (pieces merged by the quadratic scan and, past 64 bytes, the bucket
/// merge), white-space runs between words, emoji sequences, and runs broken at every
/// length around the cache's 16- and 96-byte limits. (Single pieces of many kilobytes are
/// `tests/tokens.rs`'s `long_runs_match_tiktoken`.)
#[test]
fn adversarial_long_texts_match_tiktoken() {
    let mut texts: Vec<String> = Vec::new();
    for c in ['a', ' ', '\n', '中', '😀', '0', '=', '\u{3000}', '\u{301}'] {
        let mut text = String::new();
        let mut n = 1;
        while text.len() < 40_000 {
            text.extend(std::iter::repeat_n(c, n));
            text.push_str(if n % 2 == 0 { " x " } else { "\n" });
            n = n % 300 + 1;
        }
        texts.push(text);
    }
    let mut boundaries = String::new();
    for n in 1..=110 {
        for c in ['x', '語', ' ', '🙂', '\t'] {
            boundaries.extend(std::iter::repeat_n(c, n));
            boundaries.push_str(" w ");
        }
    }
    while boundaries.len() < 40_000 {
        boundaries = boundaries.repeat(2);
    }
    texts.push(boundaries);
    texts.push("👩🏽‍💻 ".repeat(3000));
    texts.push("word  \n\n   word\t\t \r\n".repeat(2500));
    for text in &texts {
        for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
            let expected = reference(enc).encode_ordinary(text);
            let what: String = text.chars().take(8).collect();
            assert_eq!(enc.count(text), expected.len(), "{enc}: {what:?}…");
            assert!(enc.encode(text) == expected, "{enc}: ids of {what:?}…");
        }
    }
}

/// More distinct short pieces than the cache holds (every three-letter word, with and
/// without a leading space, then all of them again in another order): sets fill, entries
/// move between ways and are evicted, and every count still equals the reference's.
#[test]
fn more_short_pieces_than_the_cache_holds_match_tiktoken() {
    let words: Vec<String> = (0..26u32 * 26 * 26)
        .map(|i| {
            let l = |k: u32| char::from_u32(u32::from('a') + k % 26).expect("a letter");
            [l(i / 676), l(i / 26), l(i)].into_iter().collect()
        })
        .collect();
    let mut text = words.join(" ");
    text.push('\n');
    text.push_str(&words.iter().rev().cloned().collect::<Vec<_>>().join("  "));
    text.push('\n');
    text.push_str(&words.join(","));
    assert!(text.len() > 32 * 1024);
    for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
        let expected = reference(enc).encode_ordinary(&text).len();
        assert_eq!(enc.count(&text), expected, "{enc}");
    }
}
