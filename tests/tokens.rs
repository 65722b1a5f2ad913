//! Exactness of `tariff::tokens` against OpenAI's tokenizer.
//!
//! The reference is tiktoken-rs (a vendored copy of tiktoken's Rust core, with OpenAI's
//! rank files), compared token id by token id, and `fancy-regex` running tiktoken's own
//! patterns, compared piece by piece. `tests/corpus/tiktoken_py.json` adds the counts
//! the PyPI `tiktoken` package gave on the same corpus (`tools/check_tiktoken.py`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use tariff::tokens::Encoding;
use tiktoken_rs::CoreBPE;

/// tiktoken's `cl100k_base` pattern (tiktoken_ext/openai_public.py; tiktoken-rs has the same
/// string inline). `o200k_base`'s is exported by tiktoken-rs.
const CL100K_PAT: &str = r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";

fn reference(enc: Encoding) -> &'static CoreBPE {
    match enc {
        Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
        Encoding::O200kHarmony => tiktoken_rs::o200k_harmony_singleton(),
        Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
    }
}

fn pattern(enc: Encoding) -> &'static fancy_regex::Regex {
    use std::sync::OnceLock;
    static O200K: OnceLock<fancy_regex::Regex> = OnceLock::new();
    static CL100K: OnceLock<fancy_regex::Regex> = OnceLock::new();
    match enc {
        Encoding::O200kBase | Encoding::O200kHarmony => O200K.get_or_init(|| {
            fancy_regex::Regex::new(tiktoken_rs::O200K_BASE_PAT_STR).expect("pattern")
        }),
        Encoding::Cl100kBase => {
            CL100K.get_or_init(|| fancy_regex::Regex::new(CL100K_PAT).expect("pattern"))
        }
    }
}

fn regex_pieces(enc: Encoding, text: &str) -> Vec<&str> {
    pattern(enc)
        .find_iter(text)
        .map(|m| m.expect("regex").as_str())
        .collect()
}

/// Everything this crate says about `text` under `enc` agrees with the references.
fn check(enc: Encoding, text: &str, what: &str) {
    let pieces: Vec<&str> = enc.pieces(text).collect();
    let expected_pieces = regex_pieces(enc, text);
    if pieces != expected_pieces {
        let at = pieces
            .iter()
            .zip(&expected_pieces)
            .position(|(a, b)| a != b)
            .unwrap_or(pieces.len().min(expected_pieces.len()));
        let lo = at.saturating_sub(2);
        panic!(
            "{enc} pieces differ in {what} at piece {at}:\n ours:  {:?}\n regex: {:?}",
            &pieces[lo..(at + 3).min(pieces.len())],
            &expected_pieces[lo..(at + 3).min(expected_pieces.len())],
        );
    }
    let ids = enc.encode(text);
    let expected = reference(enc).encode_ordinary(text);
    assert!(ids == expected, "{enc} token ids differ in {what}");
    assert_eq!(enc.count(text), expected.len(), "{enc} count of {what}");
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The corpus files, by name.
fn corpus() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(corpus_dir())
        .expect("tests/corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).expect("UTF-8 corpus file"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus is missing files");
    files
}

#[test]
fn corpus_files_match_tiktoken() {
    for (name, text) in corpus() {
        for enc in Encoding::ALL {
            check(enc, &text, &name);
            for (i, line) in text.split_inclusive('\n').enumerate() {
                check(enc, line, &format!("{name} line {}", i + 1));
            }
        }
    }
}

#[test]
fn long_runs_match_tiktoken() {
    let runs = [
        " ".repeat(10_000),
        "a".repeat(5_000),
        "9".repeat(4_001),
        "\n".repeat(3_000),
        "\r\n".repeat(1_000),
        " \t".repeat(2_000),
        "!".repeat(3_000),
        "中".repeat(3_000),
        "😀".repeat(1_000),
        "\u{301}".repeat(1_000),
        format!("x{}", " ".repeat(5_000)),
        format!("{}x", " ".repeat(5_000)),
        format!("{}\n", " ".repeat(5_000)),
        "Zz".repeat(3_000),
        "aGVsbG8gd29ybGQ".repeat(300),
    ];
    for text in &runs {
        let what = format!("a run of {:?}…", &text.chars().take(3).collect::<String>());
        for enc in Encoding::ALL {
            check(enc, text, &what);
        }
    }
}

#[test]
fn o200k_harmony_counts_as_o200k_base() {
    // tiktoken builds o200k_harmony from o200k_base's ranks and pattern, adding only special
    // tokens; ordinary text must therefore encode identically, in the reference too.
    for (name, text) in corpus() {
        let base = reference(Encoding::O200kBase).encode_ordinary(&text);
        let harmony = reference(Encoding::O200kHarmony).encode_ordinary(&text);
        assert_eq!(base, harmony, "{name}");
        assert_eq!(Encoding::O200kHarmony.encode(&text), base, "{name}");
    }
}

#[test]
fn special_token_text_is_ordinary_text() {
    for enc in Encoding::ALL {
        for text in [
            "<|endoftext|>",
            "<|start|>user<|message|>hi<|end|>",
            "<|fim_prefix|>",
        ] {
            assert!(enc.count(text) > 1, "{enc} {text}");
            check(enc, text, text);
        }
    }
}

#[test]
fn counts_recorded_from_pypi_tiktoken() {
    // Written by tools/check_tiktoken.py with the PyPI package; see tokens/README.md.
    let path = corpus_dir().join("tiktoken_py.json");
    let recorded: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).expect("tiktoken_py.json")).expect("json");
    let files = recorded["files"].as_object().expect("files");
    let corpus: BTreeMap<String, String> = corpus().into_iter().collect();
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        corpus.keys().collect::<Vec<_>>(),
        "re-run tools/check_tiktoken.py after changing the corpus"
    );
    for (name, counts) in files {
        let text = &corpus[name];
        for enc in Encoding::ALL {
            let want = &counts[enc.name()];
            assert_eq!(
                enc.count(text) as u64,
                want["whole"].as_u64().expect("count"),
                "{enc} {name}"
            );
            let lines: Vec<u64> = text
                .split_inclusive('\n')
                .map(|l| enc.count(l) as u64)
                .collect();
            let want_lines: Vec<u64> = want["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|v| v.as_u64().expect("count"))
                .collect();
            assert_eq!(lines, want_lines, "{enc} {name} per line");
        }
    }
    let randoms = recorded["random"].as_array().expect("random");
    assert!(randoms.len() >= 1000);
    for r in randoms {
        let text = r["text"].as_str().expect("text");
        for enc in Encoding::ALL {
            let want = r[enc.name()].as_u64().expect("count");
            assert_eq!(enc.count(text) as u64, want, "{enc} {text:?}");
        }
    }
}

#[test]
fn fits_within_agrees_with_count() {
    for (name, text) in corpus() {
        for enc in Encoding::ALL {
            let n = enc.count(&text);
            for limit in [0, 1, n / 2, n.saturating_sub(1), n, n + 1, usize::MAX] {
                assert_eq!(
                    enc.fits_within(&text, limit),
                    n <= limit,
                    "{enc} {name} {limit}"
                );
            }
        }
    }
    assert!(Encoding::O200kBase.fits_within("", 0));
}

#[test]
fn model_map() {
    use Encoding::*;
    let cases = [
        ("gpt-4o", Some(O200kBase)),
        ("gpt-4o-mini-2024-07-18", Some(O200kBase)),
        ("chatgpt-4o-latest", Some(O200kBase)),
        ("gpt-4.1-nano", Some(O200kBase)),
        ("gpt-4.5-preview", Some(O200kBase)),
        ("gpt-5", Some(O200kBase)),
        ("gpt-5.1-codex", Some(O200kBase)),
        ("o1", Some(O200kBase)),
        ("o1-mini", Some(O200kBase)),
        ("o3-pro", Some(O200kBase)),
        ("o4-mini-deep-research", Some(O200kBase)),
        ("GPT-4O", Some(O200kBase)),
        ("ft:gpt-4o-mini-2024-07-18:acme::abc", Some(O200kBase)),
        ("gpt-oss-20b", Some(O200kHarmony)),
        ("gpt-4", Some(Cl100kBase)),
        ("gpt-4-0613", Some(Cl100kBase)),
        ("gpt-4-turbo-2024-04-09", Some(Cl100kBase)),
        ("gpt-4-32k", Some(Cl100kBase)),
        ("gpt-3.5-turbo", Some(Cl100kBase)),
        ("gpt-3.5-turbo-instruct", Some(Cl100kBase)),
        ("gpt-35-turbo", Some(Cl100kBase)),
        ("text-embedding-3-small", Some(Cl100kBase)),
        ("text-embedding-3-large", Some(Cl100kBase)),
        ("text-embedding-ada-002", Some(Cl100kBase)),
        ("ft:davinci-002:acme::x", Some(Cl100kBase)),
        ("gpt-4x", None),
        ("claude-sonnet-4-5", None),
        ("gemini-2.5-pro", None),
        ("deepseek-chat", None),
        ("", None),
    ];
    for (model, want) in cases {
        assert_eq!(Encoding::for_model(model), want, "{model}");
    }
    // The map agrees with tiktoken-rs's wherever tiktoken-rs knows a model id we list.
    for model in [
        "gpt-4o",
        "gpt-4",
        "gpt-3.5-turbo",
        "o1",
        "gpt-5",
        "gpt-oss-120b",
    ] {
        let theirs = tiktoken_rs::tokenizer::get_tokenizer(model).expect("known");
        let ours = Encoding::for_model(model).expect("known");
        assert_eq!(format!("{theirs:?}"), format!("{ours:?}"), "{model}");
    }
}

#[test]
fn names_round_trip() {
    for enc in Encoding::ALL {
        assert_eq!(Encoding::from_name(enc.name()), Some(enc));
        assert_eq!(enc.to_string(), enc.name());
    }
}

/// Characters that exercise every branch of the two patterns, and then any character.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        2 => prop::char::range('A', 'Z'),
        3 => prop::sample::select(vec![' ', ' ', '\n', '\r', '\t', '\'', '/', '.', '!', '-']),
        2 => prop::sample::select(vec!['s', 'S', 't', 'r', 'e', 'v', 'm', 'l', 'L', 'd', 'D']),
        1 => prop::char::range('0', '9'),
        1 => prop::sample::select(vec![
            'ſ', 'K', 'ǅ', 'ʰ', 'ー', '々', 'é', 'É', 'ß', 'ẞ', 'İ', 'ı', 'Σ', 'ς',
            '\u{300}', '\u{301}', '\u{20dd}', '\u{94d}', '\u{200d}', '\u{fe0f}',
            '\u{a0}', '\u{85}', '\u{2028}', '\u{3000}', '\u{b}', '\u{c}', '\u{0}',
            '中', 'あ', 'ア', '한', '😀', '👍', '🏽', '١', '٣', '²', 'Ⅻ', '①', '\u{378}',
        ]),
        1 => any::<char>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_match_tiktoken(chars in prop::collection::vec(interesting_char(), 0..48)) {
        let text: String = chars.into_iter().collect();
        for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
            prop_assert_eq!(enc.pieces(&text).collect::<Vec<_>>(), regex_pieces(enc, &text));
            let expected = reference(enc).encode_ordinary(&text);
            prop_assert_eq!(enc.count(&text), expected.len());
            prop_assert_eq!(enc.encode(&text), expected);
        }
    }

    #[test]
    fn arbitrary_unicode_matches_tiktoken(text in any::<String>()) {
        for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
            prop_assert_eq!(enc.pieces(&text).collect::<Vec<_>>(), regex_pieces(enc, &text));
            prop_assert_eq!(enc.encode(&text), reference(enc).encode_ordinary(&text));
        }
    }
}
