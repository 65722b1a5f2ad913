//! The rank tables and byte-pair merging.
//!
//! A rank file (`tokens/*.bin`, written by `tools/gen-tokens`) lists every token's bytes
//! in rank order: `b"TRK1"`, a `u32` count, one length byte per token, then the bytes. It
//! is embedded as is; the first use builds a prefix sum of the lengths and an
//! open-addressing hash table of ranks keyed by the token bytes, which stay in the
//! embedded data. That is about 3 MB of heap for `o200k_base`, built in milliseconds, and
//! nothing for an encoding never used.
//!
//! Merging is tiktoken's: repeatedly merge the adjacent pair whose concatenation has the
//! lowest rank, the leftmost on a tie, until no pair is a token. Short pieces use its
//! quadratic scan (fastest when pieces are a few bytes); long ones a heap, so a run of
//! 10,000 spaces or a base64 blob costs O(n log n), with the same result.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A token rank (its id).
pub(super) type Rank = u32;

/// Marks "no such token" / an empty slot.
const NONE: Rank = Rank::MAX;
const EMPTY: u64 = u64::MAX;

/// Pieces up to this many bytes merge with the quadratic scan on the stack.
const SMALL: usize = 64;

/// One encoding's mergeable ranks.
pub(super) struct Vocab {
    /// Token bytes, concatenated in rank order (borrowed from the embedded file).
    bytes: &'static [u8],
    /// `offsets[r]..offsets[r + 1]` is token `r` in `bytes`.
    offsets: Box<[u32]>,
    /// Open addressing, linear probing: `(hash >> 32) << 32 | rank`, or `EMPTY`.
    slots: Box<[u64]>,
    mask: usize,
    /// The longest token, in bytes: longer pieces skip the lookup.
    max_len: usize,
}

impl Vocab {
    /// Decodes an embedded rank file. Panics on a malformed file: the files are generated,
    /// embedded at build time and checked by the tests, so this cannot happen at run time.
    pub(super) fn from_embedded(data: &'static [u8]) -> Vocab {
        assert_eq!(&data[..4], b"TRK1", "not a tariff rank file");
        let count = u32::from_le_bytes(data[4..8].try_into().expect("4 bytes")) as usize;
        let lengths = &data[8..8 + count];
        let bytes = &data[8 + count..];
        let mut offsets = Vec::with_capacity(count + 1);
        let mut total = 0u32;
        offsets.push(0);
        for &len in lengths {
            total += u32::from(len);
            offsets.push(total);
        }
        assert_eq!(total as usize, bytes.len(), "rank file length mismatch");
        // Load factor under one half keeps probe sequences short for the misses that
        // dominate merging (most adjacent pairs are not tokens).
        let capacity = (count * 2).next_power_of_two();
        let mut vocab = Vocab {
            bytes,
            offsets: offsets.into_boxed_slice(),
            slots: vec![EMPTY; capacity].into_boxed_slice(),
            mask: capacity - 1,
            max_len: lengths.iter().copied().max().unwrap_or(0).into(),
        };
        for rank in 0..count {
            let token = vocab.token(rank as Rank);
            let h = hash(token);
            let mut i = h as usize & vocab.mask;
            while vocab.slots[i] != EMPTY {
                i = (i + 1) & vocab.mask;
            }
            vocab.slots[i] = (h & 0xFFFF_FFFF_0000_0000) | rank as u64;
        }
        vocab
    }

    /// Number of tokens.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The bytes of token `rank`.
    #[inline]
    pub(super) fn token(&self, rank: Rank) -> &'static [u8] {
        let r = rank as usize;
        &self.bytes[self.offsets[r] as usize..self.offsets[r + 1] as usize]
    }

    /// The rank of `bytes`, if they are a token.
    #[inline]
    pub(super) fn rank(&self, bytes: &[u8]) -> Option<Rank> {
        if bytes.len() > self.max_len {
            return None;
        }
        let h = hash(bytes);
        let tag = h & 0xFFFF_FFFF_0000_0000;
        let mut i = h as usize & self.mask;
        loop {
            let slot = self.slots[i];
            if slot == EMPTY {
                return None;
            }
            if slot & 0xFFFF_FFFF_0000_0000 == tag {
                let rank = slot as Rank;
                if self.token(rank) == bytes {
                    return Some(rank);
                }
            }
            i = (i + 1) & self.mask;
        }
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
            *part = (i as u32, self.rank_or_none(&piece[i..i + 2]));
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

    /// The same merge order with a heap of candidate pairs and a linked list of parts.
    ///
    /// A popped candidate `(rank, start)` is stale when the pair starting at `start` has
    /// changed since it was pushed; `pair[start]` holds the current pair's rank (or NONE),
    /// and equal ranks from the same start denote the same bytes, so comparing ranks
    /// detects staleness. Ordering by `(rank, start)` is the scan's "lowest, then leftmost".
    fn merge_large<const WANT_RANKS: bool>(
        &self,
        piece: &[u8],
        emit: &mut impl FnMut(Rank),
    ) -> usize {
        let n = piece.len();
        // Parts are identified by their start; `end[s]` is where part `s` ends (the next
        // part's start), `prev[s]` the previous part's start.
        let mut end: Vec<usize> = (1..=n).collect();
        let mut prev: Vec<usize> = (0..n).map(|i| i.wrapping_sub(1)).collect();
        let mut pair: Vec<Rank> = vec![NONE; n];
        let mut heap = BinaryHeap::with_capacity(n);
        for i in 0..n - 1 {
            let rank = self.rank_or_none(&piece[i..i + 2]);
            pair[i] = rank;
            if rank != NONE {
                heap.push(Reverse((rank, i)));
            }
        }
        let mut parts = n;
        while let Some(Reverse((rank, left))) = heap.pop() {
            if pair[left] != rank {
                continue;
            }
            // Merge `left` with the part after it.
            let right = end[left];
            end[left] = end[right];
            pair[right] = NONE;
            parts -= 1;
            if end[left] < n {
                prev[end[left]] = left;
            }
            // The pair `left` now starts, and the one that ends at `left`.
            pair[left] = NONE;
            if end[left] < n {
                let r = self.rank_or_none(&piece[left..end[end[left]]]);
                pair[left] = r;
                if r != NONE {
                    heap.push(Reverse((r, left)));
                }
            }
            if left > 0 {
                let p = prev[left];
                let r = self.rank_or_none(&piece[p..end[left]]);
                pair[p] = r;
                if r != NONE {
                    heap.push(Reverse((r, p)));
                }
            }
        }
        if WANT_RANKS {
            let mut s = 0;
            while s < n {
                emit(self.rank_or_none(&piece[s..end[s]]));
                s = end[s];
            }
        }
        parts
    }
}

/// A fast hash of a short byte string (tokens are at most 128 bytes): eight bytes at a
/// time, multiply-mixed, with the length folded in so prefixes of each other differ.
#[inline]
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h ^ v).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(buf))
            .wrapping_mul(K)
            .rotate_left(29);
    }
    // Final avalanche so both the low bits (slot) and the high bits (tag) depend on
    // every input byte.
    h ^= h >> 32;
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^= h >> 32;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both merge strategies must agree wherever both apply.
    #[test]
    fn small_and_large_merges_agree() {
        let vocab = Vocab::from_embedded(include_bytes!("../../tokens/cl100k_base.bin"));
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
