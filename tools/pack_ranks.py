#!/usr/bin/env python3
"""Writes the compressed rank files the WebAssembly build embeds (tokens/*.lzma), and the
ready-made hash tables the native build embeds (tokens/*.table).

The native build embeds tokens/*.bin as they are. A WebAssembly module is downloaded, so
there the ranks travel LZMA-compressed, and o200k_base is stored against cl100k_base: 85%
of cl100k_base's tokens are also o200k_base tokens, and a 3-byte reference to one costs
less than its bytes, even compressed. See tokens/README.md for the formats;
crates/tokenizer/src/embedded.rs decodes them, and its unit test checks that they decode to the
.bin files exactly.

The tables are a pure function of the .bin files: the layout and hash of
`build_table` in src/tokens/vocab.rs, whose unit test checks the committed tables
against its own output byte for byte (so this file and that function cannot drift apart
unnoticed).

Usage: python3 tools/pack_ranks.py   (from the repository root; needs only the standard library)
"""

import lzma
import struct
import sys
from pathlib import Path

TOKENS = Path(__file__).resolve().parent.parent / "tokens"
# Settings tuned on these files: literal context of 4 bits and no position bits suit
# byte strings with no alignment; a 4 MiB dictionary covers each stream whole.
FILTERS = [{
    "id": lzma.FILTER_LZMA1, "preset": 9 | lzma.PRESET_EXTREME,
    "lc": 4, "lp": 0, "pb": 0, "nice_len": 273, "dict_size": 1 << 22,
}]


def read_ranks(path):
    data = path.read_bytes()
    assert data[:4] == b"TRK1", f"{path} is not a TRK1 rank file"
    (count,) = struct.unpack("<I", data[4:8])
    lengths = data[8:8 + count]
    tokens, offset = [], 8 + count
    for n in lengths:
        tokens.append(data[offset:offset + n])
        offset += n
    assert offset == len(data)
    return data, tokens


def compress(data):
    return lzma.compress(data, format=lzma.FORMAT_ALONE, filters=FILTERS)


def derived(tokens, base_tokens):
    """o200k_base against cl100k_base: b"TRD2", u32 count; one flag byte per token (1: a
    base token, 0: bytes given here); per flagged token, in order, which base token it is,
    as its position among the base ranks not referenced yet (a Lehmer code: the two
    vocabularies rank their common tokens in similar orders, so these codes run small),
    stored as three byte planes (every code's low byte, then the middle bytes, then the
    high bytes); a length byte per other token; then those tokens' bytes. Single bytes are
    never referenced (they are short and all present anyway)."""
    base = {t: r for r, t in enumerate(base_tokens)}
    flags, codes, lengths, raw = bytearray(), [], bytearray(), bytearray()
    # A Fenwick tree of the base ranks still unreferenced: code = how many lie below.
    n = len(base_tokens)
    tree = [0] * (n + 1)

    def add(i, v):
        i += 1
        while i <= n:
            tree[i] += v
            i += i & -i

    def below(i):
        s = 0
        while i > 0:
            s += tree[i]
            i -= i & -i
        return s

    for i in range(n):
        add(i, 1)
    for t in tokens:
        r = base.get(t) if len(t) > 1 else None
        if r is None:
            flags.append(0)
            lengths.append(len(t))
            raw += t
        else:
            flags.append(1)
            codes.append(below(r))
            add(r, -1)
    planes = bytes(c & 0xFF for c in codes) + bytes((c >> 8) & 0xFF for c in codes) + bytes(
        c >> 16 for c in codes
    )
    return b"TRD2" + struct.pack("<I", len(tokens)) + flags + planes + lengths + raw


M64 = (1 << 64) - 1
K = 0x9E3779B97F4A7C15


def head(b):
    """The first eight bytes, zero-padded, as a little-endian integer (vocab.rs `head`).
    Shorter strings are read as vocab.rs reads them, with overlapping loads."""
    n = len(b)
    if n >= 8:
        return int.from_bytes(b[:8], "little")
    if n >= 4:
        lo = int.from_bytes(b[:4], "little")
        hi = int.from_bytes(b[n - 4:], "little")
        return (lo | hi << (8 * (n - 4))) & M64
    if n > 0:
        return b[0] | b[n // 2] << (8 * (n // 2)) | b[n - 1] << (8 * (n - 1))
    return 0


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def hash_token(h0, b):
    """vocab.rs `hash`."""
    h = ((h0 ^ (len(b) * K & M64)) * K) & M64
    for i in range(8, len(b), 8):
        h = ((rotl(h, 29) ^ head(b[i:i + 8])) * K) & M64
    h ^= h >> 32
    h = (h * 0xD6E8FEB86659FD93) & M64
    return h ^ (h >> 29)


def table(tokens):
    """`TRT1`: the open-addressing table of vocab.rs `build_table`, ranks inserted in
    order with linear probing; 16-byte slots of head u64, rank | len << 24 u32, offset u32."""
    count = len(tokens)
    capacity = 1 << max(1, (count * 2 - 1).bit_length())
    mask = capacity - 1
    slots = bytearray(16 * capacity)
    offset = 0
    for rank, tok in enumerate(tokens):
        h0 = head(tok)
        i = hash_token(h0, tok) & mask
        while slots[16 * i + 8:16 * i + 12] != b"\0\0\0\0":
            i = (i + 1) & mask
        slots[16 * i:16 * i + 16] = struct.pack("<QII", h0, rank | len(tok) << 24, offset)
        offset += len(tok)
    return b"TRT1" + struct.pack("<III", count, capacity, 0) + bytes(slots)


def main():
    cl_data, cl_tokens = read_ranks(TOKENS / "cl100k_base.bin")
    _, o_tokens = read_ranks(TOKENS / "o200k_base.bin")
    out = {
        "cl100k_base.bin.lzma": compress(cl_data),
        "o200k_base.trd.lzma": compress(derived(o_tokens, cl_tokens)),
        "cl100k_base.table": table(cl_tokens),
        "o200k_base.table": table(o_tokens),
    }
    for name, data in out.items():
        (TOKENS / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
