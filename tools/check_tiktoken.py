#!/usr/bin/env python3
"""Cross-checks tariff's embedded ranks and the test corpus with OpenAI's PyPI `tiktoken`.

    python3 -m venv /tmp/tk && /tmp/tk/bin/pip install tiktoken
    /tmp/tk/bin/python tools/check_tiktoken.py

What it does:

1. Rebuilds OpenAI's `o200k_base.tiktoken` and `cl100k_base.tiktoken` from the rank files
   tariff embeds (tokens/*.bin) and checks their SHA-256 against the hashes tiktoken
   itself pins, so the embedded ranks are byte for byte OpenAI's.
2. Puts them in a private TIKTOKEN_CACHE_DIR under the names tiktoken looks for (the SHA-1
   of each download URL), so tiktoken loads them without any network access.
3. Counts every file of tests/corpus/ (whole, and line by line), plus a fixed set of
   pseudo-random strings, with `encode_ordinary` for o200k_base, o200k_harmony and
   cl100k_base, and writes tests/corpus/tiktoken_py.json, which tests/tokens.rs compares
   with tariff's counts.

It needs no network beyond installing the package, and does not run in CI: the JSON it
writes is committed. Re-run it after changing the corpus or the rank files.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import struct
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
# tiktoken_ext/openai_public.py, expected_hash=
SHA256 = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}
ENCODINGS = ["o200k_base", "o200k_harmony", "cl100k_base"]


def tiktoken_file(name: str) -> bytes:
    """OpenAI's file for `name`, rebuilt from tokens/NAME.bin (format: tokens/README.md)."""
    data = (ROOT / "tokens" / f"{name}.bin").read_bytes()
    assert data[:4] == b"TRK1", "not a tariff rank file"
    (count,) = struct.unpack_from("<I", data, 4)
    lengths = data[8 : 8 + count]
    pos = 8 + count
    lines = []
    for rank, n in enumerate(lengths):
        token = data[pos : pos + n]
        pos += n
        lines.append(base64.b64encode(token) + b" " + str(rank).encode() + b"\n")
    assert pos == len(data)
    return b"".join(lines)


def lines_of(text: str) -> list[str]:
    """Rust's `str::split_inclusive('\\n')`: only \\n ends a line."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def random_strings(n: int) -> list[str]:
    """Short strings mixing the characters the patterns treat specially with any others."""
    rng = random.Random(20251101)
    special = list(" \n\r\t'/.!-sStTrReEvVmMlLdD0123456789") + [
        "\u017f", "\u212a", "\u01c5", "\u02b0", "\u30fc", "\u3005", "\u00e9", "\u00c9", "\u0300",
        "\u0301", "\u20dd", "\u094d", "\u200d", "\ufe0f", "\u00a0", "\u0085", "\u2028", "\u3000",
        "\u4e2d", "\u3042", "\uac00", "\U0001f600", "\U0001f3fd", "\u0663", "\u00b2", "\u216b",
    ]
    out = []
    for _ in range(n):
        chars = []
        for _ in range(rng.randrange(0, 40)):
            r = rng.random()
            if r < 0.45:
                chars.append(chr(rng.randrange(ord("a"), ord("z") + 1)))
            elif r < 0.55:
                chars.append(chr(rng.randrange(ord("A"), ord("Z") + 1)))
            elif r < 0.9:
                chars.append(rng.choice(special))
            else:
                while True:
                    cp = rng.randrange(0x110000)
                    if not 0xD800 <= cp <= 0xDFFF:
                        break
                chars.append(chr(cp))
        out.append("".join(chars))
    return out


def main() -> int:
    cache = Path(tempfile.mkdtemp(prefix="tiktoken-cache-"))
    for name, want in SHA256.items():
        data = tiktoken_file(name)
        got = hashlib.sha256(data).hexdigest()
        print(f"{name}: rebuilt {len(data)} bytes, sha256 {got}", "OK" if got == want else "MISMATCH")
        if got != want:
            return 1
        key = hashlib.sha1(URL.format(name).encode()).hexdigest()
        (cache / key).write_bytes(data)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)

    import tiktoken  # after TIKTOKEN_CACHE_DIR is set

    encs = {name: tiktoken.get_encoding(name) for name in ENCODINGS}
    files = {}
    for path in sorted((ROOT / "tests" / "corpus").glob("*.txt")):
        text = path.read_bytes().decode("utf-8")  # bytes: keep \r as it is
        files[path.name] = {
            name: {
                "whole": len(enc.encode_ordinary(text)),
                "lines": [len(enc.encode_ordinary(l)) for l in lines_of(text)],
            }
            for name, enc in encs.items()
        }
    randoms = [
        {"text": s, **{name: len(enc.encode_ordinary(s)) for name, enc in encs.items()}}
        for s in random_strings(1000)
    ]
    out = {
        "tiktoken": tiktoken.__version__,
        "note": "written by tools/check_tiktoken.py; counts are len(encode_ordinary(text))",
        "files": files,
        "random": randoms,
    }
    dst = ROOT / "tests" / "corpus" / "tiktoken_py.json"
    # One record a line: small diffs when the corpus changes, and no blow-up from escapes.
    body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in randoms)
    head = json.dumps({k: v for k, v in out.items() if k != "random"}, ensure_ascii=False)
    dst.write_text(head[:-1] + ',\n"random": [\n' + body + "\n]}\n", encoding="utf-8")
    total = sum(f["o200k_base"]["whole"] for f in files.values())
    print(f"tiktoken {tiktoken.__version__}: {len(files)} files ({total} o200k tokens), "
          f"{len(randoms)} random strings -> {dst.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
