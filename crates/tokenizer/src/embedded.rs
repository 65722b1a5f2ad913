//! Where the rank files come from: embedded as they are on native targets, with their
//! hash tables ready-made, and compressed on `wasm32`.
//!
//! A native binary maps the embedded bytes and uses them in place, so counting never pays
//! for a copy, and loading an encoding builds nothing large (`tokens/*.table`, 8 MB for
//! `o200k_base` and 4 MB for `cl100k_base`: the operating system reads in the pages that
//! lookups touch). A WebAssembly module is downloaded, and its size is what a page waits for:
//! there the rank files are embedded LZMA-compressed, `o200k_base` stored against
//! `cl100k_base` (most of whose tokens it shares): 1.05 MB for both, where the raw files
//! gzip to 1.42 MB (`tools/pack_ranks.py` writes them; `tokens/README.md` has the formats).
//! They are decoded once, at the first use of an encoding, into memory that lives as long
//! as the module; `o200k_base` decodes `cl100k_base` first.

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    /// Embedded bytes at an address aligned to a cache line, so that the hash tables'
    /// 16-byte slots never straddle two lines.
    #[repr(C, align(64))]
    struct Aligned<T: ?Sized>(T);

    static O200K_TABLE: &Aligned<[u8]> = &Aligned(*include_bytes!("../data/o200k_base.table"));
    static CL100K_TABLE: &Aligned<[u8]> = &Aligned(*include_bytes!("../data/cl100k_base.table"));

    pub(crate) fn o200k_base() -> &'static [u8] {
        include_bytes!("../data/o200k_base.bin")
    }

    pub(crate) fn cl100k_base() -> &'static [u8] {
        include_bytes!("../data/cl100k_base.bin")
    }

    pub(crate) fn o200k_base_table() -> Option<&'static [u8]> {
        Some(&O200K_TABLE.0)
    }

    pub(crate) fn cl100k_base_table() -> Option<&'static [u8]> {
        Some(&CL100K_TABLE.0)
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use std::sync::OnceLock;

    pub(crate) fn o200k_base() -> &'static [u8] {
        let derived = super::decode(include_bytes!("../data/o200k_base.trd.lzma"));
        super::rebuild(&derived, cl100k_base())
    }

    // Not embedded here: 12 MB that would only save the first use some milliseconds.
    pub(crate) fn o200k_base_table() -> Option<&'static [u8]> {
        None
    }

    pub(crate) fn cl100k_base_table() -> Option<&'static [u8]> {
        None
    }

    pub(crate) fn cl100k_base() -> &'static [u8] {
        // Shared: both encodings' first use needs it.
        static DATA: OnceLock<&'static [u8]> = OnceLock::new();
        DATA.get_or_init(|| {
            Box::leak(
                super::decode(include_bytes!("../data/cl100k_base.bin.lzma")).into_boxed_slice(),
            )
        })
    }
}

pub(super) use imp::{cl100k_base, cl100k_base_table, o200k_base, o200k_base_table};

/// Decodes an embedded `.lzma` stream.
///
/// # Panics
/// On a corrupt stream, which the test below rules out for the committed files.
#[cfg(any(target_arch = "wasm32", test))]
fn decode(compressed: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    lzma_rs::lzma_decompress(&mut &compressed[..], &mut out)
        .unwrap_or_else(|e| panic!("embedded rank file does not decode: {e:?}"));
    out
}

/// Rebuilds a `TRK1` rank file from a `TRD2` one (tokens given as references to tokens of
/// `base`, a `TRK1` file, or as bytes; see `tokens/README.md`), into memory kept for the
/// rest of the program: the vocabulary borrows it for as long. Called at most once per
/// encoding, from the encoding's `OnceLock`.
///
/// # Panics
/// On a malformed file, which the test below rules out for the committed files.
#[cfg(any(target_arch = "wasm32", test))]
fn rebuild(derived: &[u8], base: &[u8]) -> &'static [u8] {
    fn split(data: &[u8], at: usize) -> (&[u8], &[u8]) {
        assert!(data.len() >= at, "truncated rank file");
        data.split_at(at)
    }
    let u32_at = |d: &[u8]| u32::from_le_bytes(d[4..8].try_into().expect("4 bytes")) as usize;
    assert_eq!(&derived[..4], b"TRD2", "not a derived rank file");
    assert_eq!(&base[..4], b"TRK1", "not a rank file");
    // The base's tokens, by rank.
    let base_count = u32_at(base);
    let (base_lengths, base_bytes) = split(&base[8..], base_count);
    let mut base_offsets = Vec::with_capacity(base_count + 1);
    base_offsets.push(0usize);
    for &n in base_lengths {
        base_offsets.push(base_offsets.last().expect("not empty") + usize::from(n));
    }
    let count = u32_at(derived);
    let (flags, rest) = split(&derived[8..], count);
    let refs = flags.iter().filter(|&&f| f == 1).count();
    let (planes, rest) = split(rest, refs * 3);
    let (lengths, mut raw) = split(rest, count - refs);
    let mut unused = Unreferenced::new(base_count);
    let mut out_lengths = Vec::with_capacity(count);
    let mut out_bytes = Vec::with_capacity(derived.len() + base_bytes.len());
    let (mut next_ref, mut lengths) = (0, lengths.iter());
    for &flag in flags {
        let token = if flag == 1 {
            let code = usize::from(planes[next_ref])
                | usize::from(planes[refs + next_ref]) << 8
                | usize::from(planes[2 * refs + next_ref]) << 16;
            next_ref += 1;
            let r = unused.take(code);
            &base_bytes[base_offsets[r]..base_offsets[r + 1]]
        } else {
            let n = usize::from(*lengths.next().expect("counted"));
            let (token, rest) = split(raw, n);
            raw = rest;
            token
        };
        out_lengths.push(u8::try_from(token.len()).expect("base tokens fit a length byte"));
        out_bytes.extend_from_slice(token);
    }
    assert!(raw.is_empty(), "trailing bytes in a derived rank file");
    let mut out = Vec::with_capacity(8 + count + out_bytes.len());
    out.extend_from_slice(b"TRK1");
    out.extend_from_slice(&(count as u32).to_le_bytes());
    out.extend_from_slice(&out_lengths);
    out.extend_from_slice(&out_bytes);
    Box::leak(out.into_boxed_slice())
}

/// The base ranks not referenced yet, as a Fenwick tree of ones: a derived file names a
/// base token by how many unreferenced ranks lie below it.
#[cfg(any(target_arch = "wasm32", test))]
struct Unreferenced {
    tree: Vec<u32>,
    /// The largest power of two not above the size, where the descent starts.
    top: usize,
}

#[cfg(any(target_arch = "wasm32", test))]
impl Unreferenced {
    fn new(n: usize) -> Self {
        // Every rank present: node i (1-based) covers i & -i ranks.
        let tree = (0..=n)
            .map(|i| {
                if i == 0 {
                    0
                } else {
                    (i & i.wrapping_neg()) as u32
                }
            })
            .collect();
        let top = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        Unreferenced { tree, top }
    }

    /// The unreferenced rank with `k` unreferenced ranks below it, marked referenced.
    fn take(&mut self, k: usize) -> usize {
        let n = self.tree.len() - 1;
        let (mut pos, mut left) = (0, k as u32);
        let mut step = self.top;
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next] <= left {
                pos = next;
                left -= self.tree[next];
            }
            step >>= 1;
        }
        // `pos` ranks (1-based prefix) hold exactly k unreferenced ones: the answer is
        // rank `pos` (0-based).
        assert!(pos < n, "reference past the base vocabulary");
        let mut i = pos + 1;
        while i <= n {
            self.tree[i] -= 1;
            i += i & i.wrapping_neg();
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    /// The compressed files the WebAssembly build embeds decode to exactly the files the
    /// native build embeds (so both count alike), and are not stale.
    #[test]
    fn lzma_files_decode_to_the_rank_files() {
        let cl100k: &[u8] = include_bytes!("../data/cl100k_base.bin");
        let o200k: &[u8] = include_bytes!("../data/o200k_base.bin");
        let cl = super::decode(include_bytes!("../data/cl100k_base.bin.lzma"));
        assert!(
            cl == cl100k,
            "cl100k_base.bin.lzma is stale: run tools/pack_ranks.py"
        );
        let derived = super::decode(include_bytes!("../data/o200k_base.trd.lzma"));
        let o = super::rebuild(&derived, &cl);
        assert!(
            o == o200k,
            "o200k_base.trd.lzma is stale: run tools/pack_ranks.py"
        );
        // Most of o200k_base is stored as references, or the format would not pay.
        let flags = &derived[8..8 + 199_998];
        assert!(flags.iter().filter(|&&f| f == 1).count() > 80_000);
    }
}
