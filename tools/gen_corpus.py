#!/usr/bin/env python3
"""Writes the synthetic files of tests/corpus/ (edge.txt and runs.txt).

The hand-written files there (prose, CJK, code, emoji) are edited by hand; these two are
generated because they hold characters an editor mangles (\\r, NUL, lone combining marks,
odd spaces) and runs too long to type. Run from anywhere: python3 tools/gen_corpus.py
"""
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "corpus"

EDGE = [
    # Contractions and case: both patterns treat 's 't 're 've 'm 'll 'd specially.
    "DON'T we'll I'M They'RE you'VE she'D it'S he'LL O'Neil rock'n'roll 'tis ''quoted'' '",
    "can'tcan't isn'T WOULDN'T'VE y'all's 'S 'T 'Re 'vE 'M 'lL 'D 'x 'sure 'llama",
    # U+017F LATIN SMALL LETTER LONG S folds to s under (?i); U+212A KELVIN SIGN folds to k.
    "it'\u017f ours'\u017f 'Ss \u212aelvin'\u017f",
    # Title case (Lt), modifier letters (Lm), other letters (Lo), marks (M).
    "\u01c5ungla \u01c8jubljana \u01cbu \u1f88\u1f89 \u02b0\u02b2\u02e0 \u3005\u3006 \u02bbokina",
    "e\u0301 E\u0301\u0302 \u0301start \u0301\u0302\u0303 A\u20dd 1\u20e3 x\u0332y\u0332 \u094d\u0915 \u0e31",
    "ABC\u0301def GHI\u02b0 \u4e2dA \u4e2dab A\u4e2d aB\u02b0C \u02b0\u02b0AB",
    # Special-token text is ordinary text when counting.
    "<|endoftext|> <|fim_prefix|><|fim_middle|><|fim_suffix|> <|endofprompt|> <|im_start|>user",
    "<|start|>assistant<|channel|>final<|message|>Hi<|return|> <|reserved_200123|> <|call|>",
    # Numbers in many scripts and shapes.
    "1 12 123 1234 12345 123456 1234567 3.14159 1,000,000 1e10 0x7fff -0 +1 1/2 99.99% 2025-11-01",
    "\u0661\u0662\u0663\u0664 \u0967\u0968\u0969\u096a \uff11\uff12\uff13\uff14 \u00b2\u00b3\u00b9 \u2160\u2161\u2162\u2163 \u2460\u2461 \u3007\u4e00",
    # Whitespace of every kind, alone and mixed with newlines.
    "a b  c   d    e\tf\t\tg \t h\u00a0i\u2003j\u3000k\u2028l\u2029m\u0085n\u000bo\u000cp",
    " \n \n\n  \r\n\r\n \t\n\t \r \r\r x  \n  y\n\n\n\nz   ",
    "trailing spaces   \nleading\n   spaces\n\t\ttabs\t\n",
    # Punctuation runs, slashes after punctuation (o200k takes [\\r\\n/]*), and the like.
    "!!! ??? ... --- *** /// \\\\ ::: ;;; ,,, ''' \"\"\" ``` ~~~ ^^^ ||| &&& @@@ ### $$$ %%%",
    "!!\n/!\n\n// /**/ */ -->\n<!-- ;\r\n/ .\r/ a/b/c ./x ../y ~/z C:\\\\x \\n",
    "(a) [b] {c} <d> \u00ab\u00bb \u201cq\u201d \u2018q\u2019 \u300cq\u300d \u2014 \u2013 \u2026 \u00b7 \u2022",
    # Controls, NUL, BOM, zero-width characters, private use, unassigned code points.
    "nul\x00byte bell\x07 esc\x1b[0m del\x7f \ufeffbom zw\u200bsp zw\u200cnj zw\u200dj \ue000\U000f0000 \U000e0001\U0010fffd",
    "\u0378\u0379 \U0002ffff \U00030000 \U000e01ef \ufff0 \ufffd \U0001fffe",
    # Mixed scripts without spaces.
    "abc\u4e2d\u6587def\u65e5\u672c\u8a9e123\u0627\u0644\u0639\u0631\u0628\u064a\u0629xyz\ud55c\uad6d\uc5b4",
    "HTTPServerError getHTTPResponseCode XMLHttpRequest iPhone eBay McDonald's camelCaseWord snake_case_word",
]

RUNS = [
    " " * 10000,
    "a" * 5000,
    "A" * 3000,
    "ab" * 2000,
    "0123456789" * 300,
    "7" * 2500,
    "\n" * 2000,
    "\r\n" * 1000,
    "\t" * 1500,
    " \t\n" * 700,
    "!" * 2000,
    "-=" * 1000,
    "\u4e2d" * 2000,
    "\u3042" * 1500,
    "\U0001f600" * 1500,
    "\u0301" * 1000,
    "e\u0301" * 800,
    "  x" * 1200,
    "a" * 200 + " " * 200 + "\n" * 200 + "." * 200,
    "ha" * 600 + "HA" * 600,
    "\u00e9" * 1000,
    "\U0001f468\u200d\U0001f469\u200d\U0001f467" * 300,
]


def main() -> None:
    (OUT / "edge.txt").write_text("\n".join(EDGE) + "\n", encoding="utf-8", newline="")
    (OUT / "runs.txt").write_text("\n".join(RUNS) + "\n", encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
