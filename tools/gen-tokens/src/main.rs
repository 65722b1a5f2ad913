//! Regenerates the tokenizer data that `tariff` embeds (see `tokens/README.md`).
//!
//! ```sh
//! cargo run --release --manifest-path tools/gen-tokens/Cargo.toml -- [ASSETS_DIR]
//! ```
//!
//! `ASSETS_DIR` holds OpenAI's `o200k_base.tiktoken` and `cl100k_base.tiktoken` (lines of
//! `base64(token bytes) rank`). By default it is the `assets/` folder of the `tiktoken-rs`
//! crate in the local cargo registry, which `cargo fetch` in the tariff root brings in
//! (tiktoken-rs is tariff's reference dev-dependency). It writes, under `tokens/`:
//!
//! * `o200k_base.bin`, `cl100k_base.bin`: the ranks (see `write_ranks` for the format);
//! * `unicode.bin`: the character classes the pre-tokenizers need, taken from the `regex`
//!   crate's own Unicode tables (see `write_classes`), because tiktoken's patterns are
//!   evaluated by that crate and an exact count has to agree with it on every code point.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = root.join("tokens");
    let assets = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(find_tiktoken_rs_assets);
    for name in ["o200k_base", "cl100k_base"] {
        let src = assets.join(format!("{name}.tiktoken"));
        let text =
            fs::read_to_string(&src).unwrap_or_else(|e| panic!("reading {}: {e}", src.display()));
        let bytes = write_ranks(&text);
        let dst = out.join(format!("{name}.bin"));
        fs::write(&dst, &bytes).unwrap();
        println!(
            "{} <- {} ({} bytes)",
            dst.display(),
            src.display(),
            bytes.len()
        );
    }
    let classes = write_classes();
    let dst = out.join("unicode.bin");
    fs::write(&dst, &classes).unwrap();
    println!("{} ({} bytes)", dst.display(), classes.len());
}

/// `$CARGO_HOME/registry/src/*/tiktoken-rs-*/assets`, the newest version found.
fn find_tiktoken_rs_assets() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .expect("neither CARGO_HOME nor HOME is set");
    let mut found = Vec::new();
    for index in fs::read_dir(home.join("registry/src")).expect("no cargo registry") {
        let index = index.unwrap().path();
        for krate in fs::read_dir(&index).unwrap() {
            let krate = krate.unwrap().path();
            let name = krate.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("tiktoken-rs-") && krate.join("assets").is_dir() {
                found.push((name, krate.join("assets")));
            }
        }
    }
    found.sort();
    found
        .pop()
        .expect("tiktoken-rs is not in the cargo registry: run `cargo fetch` in the tariff root")
        .1
}

/// The rank file format, chosen so the runtime needs no parsing beyond a prefix sum:
///
/// ```text
/// b"TRK1"  u32 LE count  count × u8 length  concatenated token bytes in rank order
/// ```
///
/// Ranks are the indices 0..count: the generator checks that the source lists every rank
/// once, in order. Lengths fit a byte (the longest token is 128 bytes).
fn write_ranks(text: &str) -> Vec<u8> {
    let mut tokens = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let (b64, rank) = line.split_once(' ').expect("line is `base64 rank`");
        let rank: usize = rank.parse().unwrap();
        assert_eq!(rank, i, "ranks must be dense and in order");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert!(!bytes.is_empty() && bytes.len() <= 255);
        tokens.push(bytes);
    }
    let mut seen = HashMap::new();
    for (i, t) in tokens.iter().enumerate() {
        assert!(seen.insert(t.clone(), i).is_none(), "duplicate token {i}");
    }
    let mut out = b"TRK1".to_vec();
    out.extend_from_slice(&u32::try_from(tokens.len()).unwrap().to_le_bytes());
    out.extend(tokens.iter().map(|t| t.len() as u8));
    for t in &tokens {
        out.extend_from_slice(t);
    }
    out
}

/// Classes, in the numbering `crates/tokenizer/src/unicode.rs` uses. Every pattern tiktoken uses is
/// a union of these, and the regex crate's tables make them disjoint.
const CLASSES: [(u8, &[&str]); 6] = [
    (1, &[r"\p{Lu}", r"\p{Lt}"]), // UPPER: in o200k's "upper" set only
    (2, &[r"\p{Ll}"]),            // LOWER: in o200k's "lower" set only
    (3, &[r"\p{Lm}", r"\p{Lo}"]), // BOTH: letters in both case sets
    (4, &[r"\p{M}"]),             // MARK: in both case sets, but not \p{L}
    (5, &[r"\p{N}"]),             // NUMBER
    (6, &[r"\s"]),                // SPACE: Unicode White_Space
];

/// Block size of the two-level table, as a shift: 128 code points per block.
const SHIFT: u32 = 7;

/// The class table format:
///
/// ```text
/// b"TUC1"  u8 shift  u8 pad×3  u32 LE number of blocks
/// (0x110000 >> shift) × u16 LE block index  blocks × (1 << shift) × u8 class
/// ```
///
/// Two levels because most of the code space repeats a few blocks (unassigned, CJK, Hangul).
fn write_classes() -> Vec<u8> {
    let mut class = vec![0u8; 0x110000];
    let mut all = String::new();
    let mut cps = Vec::new();
    for cp in 0..0x110000u32 {
        if let Some(c) = char::from_u32(cp) {
            all.push(c);
            cps.push(cp);
        }
    }
    // Byte offset → code point, to map matches back.
    let mut at = HashMap::new();
    for (i, (off, _)) in all.char_indices().enumerate() {
        at.insert(off, cps[i]);
    }
    for (id, patterns) in CLASSES {
        for p in patterns {
            let re = regex::Regex::new(p).unwrap();
            for m in re.find_iter(&all) {
                let cp = at[&m.start()] as usize;
                assert_eq!(class[cp], 0, "classes overlap at U+{cp:04X}");
                class[cp] = id;
            }
        }
    }
    let block = 1usize << SHIFT;
    let mut blocks: Vec<&[u8]> = Vec::new();
    let mut index = Vec::new();
    let mut ids = HashMap::new();
    for chunk in class.chunks(block) {
        let id = *ids.entry(chunk).or_insert_with(|| {
            blocks.push(chunk);
            blocks.len() - 1
        });
        index.push(u16::try_from(id).unwrap());
    }
    let mut out = b"TUC1".to_vec();
    out.extend_from_slice(&[SHIFT as u8, 0, 0, 0]);
    out.extend_from_slice(&u32::try_from(blocks.len()).unwrap().to_le_bytes());
    for i in index {
        out.extend_from_slice(&i.to_le_bytes());
    }
    for b in blocks {
        out.extend_from_slice(b);
    }
    out
}
