//! The rank tables and byte-pair merging.
//!
//! A rank file (`tokens/*.bin`, written by `tools/gen-tokens`) lists every token's bytes
//! in rank order: `b"TRK1"`, a `u32` count, one length byte per token, then the bytes. It
//! is embedded as is, and so, on native targets, is its open-addressing hash table of
//! ranks keyed by the token bytes (`tokens/*.table`; the bytes stay in the rank file, each
//! slot holds a token's first eight bytes, so most lookups read one cache line). The first
//! use builds only a prefix sum of the lengths and a direct table of all two-byte tokens:
//! about 1 MB of heap for `o200k_base`, in about a millisecond, and nothing for an
//! encoding never used. The WebAssembly build builds the hash table too (8 MB more).
//!
//! Merging is tiktoken's: repeatedly merge the adjacent pair whose concatenation has the
//! lowest rank, the leftmost on a tie, until no pair is a token. Short pieces use its
//! quadratic scan (fastest when pieces are a few bytes); long ones buckets of candidate
//! pairs by rank, so a run of 10,000 spaces or a base64 blob costs O(n log n) at worst,
//! with the same result, in about five bytes of memory per byte of the piece.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// A token rank (its id).
pub(super) type Rank = u32;

/// Marks "no such token" / an empty slot.
const NONE: Rank = Rank::MAX;

/// Pieces up to this many bytes merge with the quadratic scan on the stack.
const SMALL: usize = 64;

/// Bytes per slot of the hash table: the token's first eight bytes inline (zero-padded),
/// so a lookup of a token of up to eight bytes (most lookups while merging) touches one
/// cache line and no other memory; then `rank | len << 24` (0 marks an empty slot: no
/// token is empty); then where the token starts in the token bytes, where longer tokens
/// finish the comparison. All little-endian.
const SLOT: usize = 16;

/// A position in a piece as the buckets store it: `u32` (four bytes a pair) for pieces
/// under 4 GiB, `usize` beyond, so a position never wraps.
trait Pos: Copy + Ord {
    fn at(i: usize) -> Self;
    fn get(self) -> usize;
}

impl Pos for u32 {
    #[inline]
    fn at(i: usize) -> Self {
        debug_assert!(u32::try_from(i).is_ok());
        i as u32
    }
    #[inline]
    fn get(self) -> usize {
        self as usize
    }
}

impl Pos for usize {
    #[inline]
    fn at(i: usize) -> Self {
        i
    }
    #[inline]
    fn get(self) -> usize {
        self
    }
}

/// Candidate pairs by rank, for `merge_large`.
struct Buckets<P> {
    /// Bucket index by rank.
    index: HashMap<Rank, usize, BuildHasherDefault<RankHasher>>,
    /// Per bucket: its rank, the starts of its pairs (sorted descending when `sorted`, so
    /// the leftmost is last), and whether it is sorted.
    buckets: Vec<(Rank, Vec<P>, bool)>,
    /// Ranks whose buckets are not empty.
    ranks: BinaryHeap<Reverse<Rank>>,
}

impl<P: Pos> Buckets<P> {
    fn new() -> Self {
        Buckets {
            index: HashMap::default(),
            buckets: Vec::new(),
            ranks: BinaryHeap::new(),
        }
    }

    /// Makes room for `n` more pairs of `rank` (the first round's pairs are counted
    /// before they are pushed, so those buckets are allocated once, at their size).
    fn reserve(&mut self, rank: Rank, n: usize) {
        let i = self.bucket(rank);
        self.buckets[i].1.reserve_exact(n);
    }

    fn bucket(&mut self, rank: Rank) -> usize {
        let next = self.buckets.len();
        let i = *self.index.entry(rank).or_insert(next);
        if i == next {
            self.buckets.push((rank, Vec::new(), true));
        }
        i
    }

    fn push(&mut self, rank: Rank, start: P) {
        let i = self.bucket(rank);
        let bucket = &mut self.buckets[i];
        if bucket.1.is_empty() {
            self.ranks.push(Reverse(rank));
        } else if bucket.1.last().is_some_and(|&last| last < start) {
            bucket.2 = false;
        }
        bucket.1.push(start);
    }

    /// The lowest rank's leftmost pair for which `valid` holds; others are dropped.
    fn pop_min(&mut self, valid: impl Fn(Rank, usize) -> bool) -> Option<(Rank, usize)> {
        while let Some(&Reverse(rank)) = self.ranks.peek() {
            let bucket = &mut self.buckets[self.index[&rank]];
            if !bucket.2 {
                bucket.1.sort_unstable_by(|a, b| b.cmp(a));
                bucket.2 = true;
            }
            while let Some(start) = bucket.1.pop() {
                if valid(rank, start.get()) {
                    if bucket.1.is_empty() {
                        self.ranks.pop();
                    }
                    // A bucket being drained gives its memory back as it goes (its tail:
                    // pairs are taken from the end), so the first round's buckets, one
                    // pair a byte, do not stay allocated beside the pairs merging makes.
                    let (len, cap) = (bucket.1.len(), bucket.1.capacity());
                    if cap >= 1 << 16 && len < cap - cap / 8 {
                        bucket.1.shrink_to(len);
                    }
                    return Some((rank, start.get()));
                }
            }
            bucket.1 = Vec::new();
            self.ranks.pop();
        }
        None
    }
}

/// A multiplicative hash for rank keys (std's default hasher is slower than needed here
/// and its protection against chosen collisions is moot: keys are ranks, not input).
#[derive(Default)]
struct RankHasher(u64);

impl Hasher for RankHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(20);
    }
}

/// An open-addressing hash table (linear probing) of ranks keyed by token bytes, as
/// `SLOT`-byte slots after a `TABLE_HEADER`-byte header.
///
/// The table is a pure function of the rank file, so native builds embed it ready-made
/// (`tokens/*.table`, written by `build_table`; a test checks they are current) and use it
/// in place: loading an encoding then builds nothing large, and the operating system reads
/// in only the pages that lookups touch. The WebAssembly build, whose download size
/// counts, builds it at first use instead.
struct Table {
    slots: &'static [u8],
    mask: usize,
}

/// `b"TRT1"`, the `u32` number of tokens, the `u32` number of slots, four zero bytes: 16
/// bytes, so that slots stay 16-byte aligned after it.
const TABLE_MAGIC: &[u8; 4] = b"TRT1";
const TABLE_HEADER: usize = 16;

/// Builds the hash table of a rank file's tokens (header and slots), inserting them in
/// rank order. The load factor stays under one half: that keeps probe sequences short
/// for the misses that dominate merging (most candidate pairs are not tokens).
pub(super) fn build_table(data: &[u8]) -> Vec<u8> {
    let (count, lengths, bytes) = split_rank_file(data);
    let capacity = (count * 2).next_power_of_two().max(2);
    let mask = capacity - 1;
    let mut out = vec![0u8; TABLE_HEADER + capacity * SLOT];
    out[..4].copy_from_slice(TABLE_MAGIC);
    out[4..8].copy_from_slice(&(count as u32).to_le_bytes());
    out[8..12].copy_from_slice(&(capacity as u32).to_le_bytes());
    let slots = &mut out[TABLE_HEADER..];
    let mut offset = 0usize;
    for (rank, &len) in lengths.iter().enumerate() {
        let token = &bytes[offset..offset + usize::from(len)];
        let head = head(token);
        let mut i = hash(head, token) as usize & mask;
        while slots[i * SLOT + 8..i * SLOT + 12] != [0; 4] {
            i = (i + 1) & mask;
        }
        let slot = &mut slots[i * SLOT..(i + 1) * SLOT];
        slot[..8].copy_from_slice(&head.to_le_bytes());
        slot[8..12].copy_from_slice(&(rank as u32 | u32::from(len) << 24).to_le_bytes());
        slot[12..].copy_from_slice(&(offset as u32).to_le_bytes());
        offset += usize::from(len);
    }
    out
}

/// A rank file's token count, length bytes and token bytes.
fn split_rank_file(data: &[u8]) -> (usize, &[u8], &[u8]) {
    assert_eq!(&data[..4], b"TRK1", "not a tariff rank file");
    let count = u32::from_le_bytes(data[4..8].try_into().expect("4 bytes")) as usize;
    assert!(count < 1 << 24, "ranks must fit 24 bits");
    let (lengths, bytes) = data[8..].split_at(count);
    (count, lengths, bytes)
}

impl Table {
    /// The table in `data` (as `build_table` writes it) for a rank file of `count` tokens.
    fn new(data: &'static [u8], count: usize) -> Table {
        assert_eq!(&data[..4], TABLE_MAGIC, "not a tariff rank table");
        let u32_at =
            |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().expect("4 bytes")) as usize;
        assert_eq!(u32_at(4), count, "the rank table of another rank file");
        let capacity = u32_at(8);
        assert!(capacity.is_power_of_two() && capacity > count);
        let slots = &data[TABLE_HEADER..];
        assert_eq!(slots.len(), capacity * SLOT, "rank table length mismatch");
        Table {
            slots,
            mask: capacity - 1,
        }
    }

    /// Slot `i`: its head, meta and offset.
    #[inline(always)]
    fn slot(&self, i: usize) -> (u64, u32, u32) {
        let s: &[u8; SLOT] = self.slots[i * SLOT..(i + 1) * SLOT]
            .try_into()
            .expect("a slot");
        (
            u64::from_le_bytes(s[..8].try_into().expect("8 bytes")),
            u32::from_le_bytes(s[8..12].try_into().expect("4 bytes")),
            u32::from_le_bytes(s[12..].try_into().expect("4 bytes")),
        )
    }

    /// The rank of `key` (`head` and `h` being its head and hash), checking the bytes past
    /// the eighth against `bytes`, the token store.
    #[inline(always)]
    fn find(&self, bytes: &[u8], key: &[u8], head: u64, h: u64) -> Option<Rank> {
        let len = key.len();
        let mut i = h as usize & self.mask;
        loop {
            let (slot_head, meta, offset) = self.slot(i);
            if meta == 0 {
                return None;
            }
            if slot_head == head
                && (meta >> 24) as usize == len
                && (len <= 8 || {
                    let start = offset as usize + 8;
                    bytes.get(start..start + len - 8) == Some(&key[8..])
                })
            {
                return Some(meta & 0xFF_FFFF);
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// One encoding's mergeable ranks.
pub(super) struct Vocab {
    /// Token bytes, concatenated in rank order (borrowed from the embedded file).
    bytes: &'static [u8],
    /// `offsets[r]..offsets[r + 1]` is token `r` in `bytes`.
    offsets: Box<[u32]>,
    /// Rank by token bytes.
    table: Table,
    /// The rank of every two-byte string, or `NONE`: the first round of every merge looks
    /// up all adjacent byte pairs, and a direct table answers those without hashing.
    pairs: Box<[Rank]>,
    /// The longest token, in bytes: longer pieces skip the lookup.
    max_len: usize,
}

impl Vocab {
    /// Decodes an embedded rank file, with its hash table (`build_table`'s output for it)
    /// when that is embedded too; without one, builds one that lives as long as the program
    /// (a vocabulary is built once per encoding, into a `static`). Panics on a malformed
    /// file: the files are generated, embedded at build time and checked by the tests, so
    /// this cannot happen at run time.
    pub(super) fn from_embedded(data: &'static [u8], table: Option<&'static [u8]>) -> Vocab {
        let (count, lengths, bytes) = split_rank_file(data);
        let table = table.unwrap_or_else(|| Box::leak(build_table(data).into_boxed_slice()));
        let mut offsets = Vec::with_capacity(count + 1);
        let mut pairs = vec![NONE; 1 << 16].into_boxed_slice();
        let mut total = 0u32;
        offsets.push(0);
        for (rank, &len) in lengths.iter().enumerate() {
            if len == 2 {
                let t = total as usize;
                pairs[usize::from(bytes[t]) << 8 | usize::from(bytes[t + 1])] = rank as Rank;
            }
            total += u32::from(len);
            offsets.push(total);
        }
        assert_eq!(total as usize, bytes.len(), "rank file length mismatch");
        Vocab {
            bytes,
            offsets: offsets.into_boxed_slice(),
            table: Table::new(table, count),
            pairs,
            max_len: lengths.iter().copied().max().unwrap_or(0).into(),
        }
    }

    /// Number of tokens.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The bytes of token `rank`.
    #[cfg(test)]
    pub(super) fn token(&self, rank: Rank) -> &'static [u8] {
        self.token_bytes(rank).expect("a rank of this vocabulary")
    }

    /// The bytes of token `rank`, or `None` past the last rank.
    #[inline]
    pub(super) fn token_bytes(&self, rank: Rank) -> Option<&'static [u8]> {
        let r = usize::try_from(rank).ok()?;
        let start = *self.offsets.get(r)? as usize;
        let end = *self.offsets.get(r.checked_add(1)?)? as usize;
        self.bytes.get(start..end)
    }

    /// The rank of `bytes`, if they are a token.
    #[inline]
    pub(super) fn rank(&self, bytes: &[u8]) -> Option<Rank> {
        let len = bytes.len();
        if len > self.max_len || len == 0 {
            return None;
        }
        let head = head(bytes);
        self.table.find(self.bytes, bytes, head, hash(head, bytes))
    }

    /// Reads the slot where a lookup of `bytes` starts, so that a `rank` call soon after
    /// finds it in cache. Called on a batch of pieces in a row, the reads are independent
    /// and their cache misses overlap. Returns a value so the read is not optimized away.
    #[inline]
    pub(super) fn touch(&self, bytes: &[u8]) -> u32 {
        let h = hash(head(bytes), bytes) as usize;
        self.table.slot(h & self.table.mask).1
    }

    /// The rank of a two-byte string.
    #[inline]
    fn pair_rank(&self, a: u8, b: u8) -> Rank {
        self.pairs[usize::from(a) << 8 | usize::from(b)]
    }

    #[inline]
    fn rank_or_none(&self, bytes: &[u8]) -> Rank {
        self.rank(bytes).unwrap_or(NONE)
    }

    /// Byte-pair encodes one piece, calling `emit` with each token's rank in order, and
    /// returns the number of tokens. With `WANT_RANKS == false` `emit` is never called and
    /// the final lookups are skipped: counting needs only how many parts are left.
    #[inline]
    pub(super) fn encode_piece<const WANT_RANKS: bool>(
        &self,
        piece: &[u8],
        emit: &mut impl FnMut(Rank),
    ) -> usize {
        if let Some(rank) = self.rank(piece) {
            if WANT_RANKS {
                emit(rank);
            }
            return 1;
        }
        self.merge::<WANT_RANKS>(piece, emit)
    }

    /// Byte-pair encodes a piece known not to be a single token (and at least two bytes).
    #[inline]
    pub(super) fn merge<const WANT_RANKS: bool>(
        &self,
        piece: &[u8],
        emit: &mut impl FnMut(Rank),
    ) -> usize {
        if piece.len() <= SMALL {
            self.merge_small::<WANT_RANKS>(piece, emit)
        } else {
            self.merge_large::<WANT_RANKS>(piece, emit)
        }
    }

    /// tiktoken's `_byte_pair_merge`: `parts[i]` is the start of part `i` and the rank of
    /// the pair it starts (part `i` joined with part `i + 1`).
    fn merge_small<const WANT_RANKS: bool>(
        &self,
        piece: &[u8],
        emit: &mut impl FnMut(Rank),
    ) -> usize {
        let n = piece.len();
        debug_assert!((2..=SMALL).contains(&n));
        let mut parts = [(0u32, NONE); SMALL + 1];
        for (i, part) in parts.iter_mut().enumerate().take(n - 1) {
            *part = (i as u32, self.pair_rank(piece[i], piece[i + 1]));
        }
        parts[n - 1] = ((n - 1) as u32, NONE);
        parts[n] = (n as u32, NONE);
        let mut len = n + 1;
        // The rank of part `i` joined with the part after next, before that middle part is
        // removed: i.e. of the pair part `i` starts once the merge at `i` is done.
        let pair_after = |parts: &[(u32, Rank)], len: usize, i: usize| {
            if i + 3 < len {
                self.rank_or_none(&piece[parts[i].0 as usize..parts[i + 3].0 as usize])
            } else {
                NONE
            }
        };
        loop {
            let mut min = (NONE, 0);
            for (i, &(_, rank)) in parts[..len - 1].iter().enumerate() {
                if rank < min.0 {
                    min = (rank, i);
                }
            }
            if min.0 == NONE {
                break;
            }
            let i = min.1;
            if i > 0 {
                parts[i - 1].1 = pair_after(&parts, len, i - 1);
            }
            parts[i].1 = pair_after(&parts, len, i);
            parts.copy_within(i + 2..len, i + 1);
            len -= 1;
        }
        if WANT_RANKS {
            for w in parts[..len].windows(2) {
                emit(self.rank_or_none(&piece[w[0].0 as usize..w[1].0 as usize]));
            }
        }
        len - 1
    }

    /// The same merge order for long pieces, without rescanning: candidate pairs wait in
    /// one bucket per rank, and the ranks with waiting pairs in a small heap.
    ///
    /// Long pieces are runs (10,000 spaces, a line of `=`, a base64 blob) whose pairs share
    /// a handful of ranks, so a heap of ranks stays tiny where a heap of pairs would hold
    /// one entry per byte. Within the lowest rank the leftmost pair merges first: a bucket
    /// is sorted by position before it is consumed, and again if pairs joined it since.
    /// Merging never adds a pair to the bucket being consumed (a new pair's bytes strictly
    /// contain the token just made, so its rank differs), and a new pair of lower rank puts
    /// its rank on the heap, to be taken first, as the scan would.
    ///
    /// Memory is one byte per input byte plus the waiting pairs (four bytes each): a part
    /// is a token or a byte, so at most 255 bytes long, and `len[s]` (0 where no part
    /// starts) is all the state of the parts; the previous part is found by stepping back
    /// over zeros. A pair popped from a bucket is stale unless the pair now starting at its
    /// position spans exactly its token's length: the same bytes, so the same rank.
    fn merge_large<const WANT_RANKS: bool>(
        &self,
        piece: &[u8],
        emit: &mut impl FnMut(Rank),
    ) -> usize {
        if u32::try_from(piece.len()).is_ok() {
            self.merge_large_at::<u32, WANT_RANKS>(piece, emit)
        } else {
            self.merge_large_at::<usize, WANT_RANKS>(piece, emit)
        }
    }

    fn merge_large_at<P: Pos, const WANT_RANKS: bool>(
        &self,
        piece: &[u8],
        emit: &mut impl FnMut(Rank),
    ) -> usize {
        let n = piece.len();
        let mut len: Vec<u8> = vec![1; n];
        let mut buckets = Buckets::<P>::new();
        // In a very long piece the first round's pairs are counted by byte pair first, so
        // each of those buckets is allocated once, at its size (not grown by doubling).
        // Shorter pieces skip it: the table of counts would cost more than the growth.
        if n >= 1 << 16 {
            let mut first = vec![0usize; 1 << 16];
            for w in piece.windows(2) {
                first[usize::from(w[0]) << 8 | usize::from(w[1])] += 1;
            }
            for (code, &count) in first.iter().enumerate() {
                let rank = self.pairs[code];
                if count > 0 && rank != NONE {
                    buckets.reserve(rank, count);
                }
            }
        }
        for i in 0..n - 1 {
            let rank = self.pair_rank(piece[i], piece[i + 1]);
            if rank != NONE {
                buckets.push(rank, P::at(i));
            }
        }
        let token_len = |rank: Rank| {
            let r = rank as usize;
            (self.offsets[r + 1] - self.offsets[r]) as usize
        };
        let mut parts = n;
        let valid = |len: &[u8], rank: Rank, start: usize| {
            let a = usize::from(len[start]);
            a != 0 && start + a < n && a + usize::from(len[start + a]) == token_len(rank)
        };
        while let Some((_, left)) = buckets.pop_min(|rank, start| valid(&len, rank, start)) {
            // Merge `left` with the part after it; the sum is the length of a token.
            let right = left + usize::from(len[left]);
            let new_end = right + usize::from(len[right]);
            len[left] = u8::try_from(new_end - left).expect("a token is at most 255 bytes");
            len[right] = 0;
            parts -= 1;
            // The pair `left` now starts, and the one that ends at `left`.
            if new_end < n {
                let r = self.rank_or_none(&piece[left..new_end + usize::from(len[new_end])]);
                if r != NONE {
                    buckets.push(r, P::at(left));
                }
            }
            if left > 0 {
                let mut p = left - 1;
                while len[p] == 0 {
                    p -= 1;
                }
                let r = self.rank_or_none(&piece[p..new_end]);
                if r != NONE {
                    buckets.push(r, P::at(p));
                }
            }
        }
        if WANT_RANKS {
            let mut s = 0;
            while s < n {
                let e = s + usize::from(len[s]);
                emit(self.rank_or_none(&piece[s..e]));
                s = e;
            }
        }
        parts
    }
}

/// The first eight bytes of `bytes`, zero-padded, as a little-endian integer.
#[inline(always)]
pub(super) fn head(bytes: &[u8]) -> u64 {
    // Whole-word loads, overlapping when shorter than the word, instead of a byte copy
    // (which compiles to a call to memcpy on this hot path).
    let n = bytes.len();
    if n >= 8 {
        u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"))
    } else if n >= 4 {
        let lo = u64::from(u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes")));
        let hi = u64::from(u32::from_le_bytes(
            bytes[n - 4..].try_into().expect("4 bytes"),
        ));
        lo | hi << (8 * (n - 4))
    } else if n > 0 {
        // 1 to 3 bytes: first, middle and last (some the same byte).
        let (a, b, c) = (bytes[0], bytes[n / 2], bytes[n - 1]);
        u64::from(a) | u64::from(b) << (8 * (n / 2)) | u64::from(c) << (8 * (n - 1))
    } else {
        0
    }
}

/// A fast hash of a short byte string (tokens are at most 128 bytes) whose first eight
/// bytes are `head`: multiply-mixed eight bytes at a time, with the length folded in so
/// that zero padding cannot collide with zero bytes.
#[inline(always)]
fn hash(head: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (head ^ (bytes.len() as u64).wrapping_mul(K)).wrapping_mul(K);
    if bytes.len() > 8 {
        let mut chunks = bytes[8..].chunks(8);
        for c in &mut chunks {
            h = (h.rotate_left(29) ^ self::head(c)).wrapping_mul(K);
        }
    }
    // Final avalanche so the low bits (the slot) depend on every input byte.
    h ^= h >> 32;
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables a native build embeds are exactly what `build_table` makes of the rank
    /// files (and what the WebAssembly build makes at first use), so both count alike.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn embedded_tables_are_current() {
        use super::super::embedded;
        let cases = [
            (
                embedded::o200k_base(),
                embedded::o200k_base_table(),
                "o200k_base",
            ),
            (
                embedded::cl100k_base(),
                embedded::cl100k_base_table(),
                "cl100k_base",
            ),
        ];
        for (ranks, table, name) in cases {
            let table = table.expect("native builds embed the tables");
            assert!(
                table == build_table(ranks).as_slice(),
                "tokens/{name}.table is stale: run tools/pack_ranks.py"
            );
            // Slots are read at 16-byte strides from a 64-byte aligned start.
            assert_eq!(table.as_ptr() as usize % 64, 0, "{name}: table not aligned");
        }
    }

    /// Every token is found at its rank, in a built table and in an embedded one alike,
    /// and strings that are not tokens are not found.
    #[test]
    fn every_token_is_found() {
        let data = include_bytes!("../data/cl100k_base.bin");
        let vocab = Vocab::from_embedded(data, None);
        for rank in 0..vocab.len() as Rank {
            assert_eq!(vocab.rank(vocab.token(rank)), Some(rank));
        }
        let longest = (0..vocab.len() as Rank)
            .map(|r| vocab.token(r))
            .max_by_key(|t| t.len())
            .expect("tokens");
        let mut longer = longest.to_vec();
        longer.push(b'!');
        for miss in [
            &b""[..],
            &b"\xFF\xFF\xFF"[..],
            &longer[..],
            &b"zqxjzqxjzqxj"[..],
        ] {
            assert_eq!(vocab.rank(miss), None, "{miss:?}");
        }
    }

    /// Both merge strategies must agree wherever both apply.
    #[test]
    fn small_and_large_merges_agree() {
        let vocab = Vocab::from_embedded(include_bytes!("../data/cl100k_base.bin"), None);
        let samples = [
            "ab".repeat(20),
            " ".repeat(64),
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
            "Supercalifragilisticexpialidocious-antidisestablishmentarianism".into(),
            "0123456789".repeat(6),
            "日本語のテキストです".into(),
            "zzqxjvkw".repeat(8),
        ];
        for s in &samples {
            let piece = &s.as_bytes()[..s.len().min(SMALL)];
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let na = vocab.merge_small::<true>(piece, &mut |r| a.push(r));
            let nb = vocab.merge_large::<true>(piece, &mut |r| b.push(r));
            assert_eq!((na, &a), (nb, &b), "{s:?}");
            assert_eq!(na, a.len());
            let joined: Vec<u8> = a.iter().flat_map(|&r| vocab.token(r).to_vec()).collect();
            assert_eq!(joined, piece);
        }
    }
}
