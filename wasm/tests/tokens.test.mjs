// Token counts of the WebAssembly module (whose rank files are stored compressed and
// rebuilt at first use) against PyPI tiktoken's, recorded in tests/corpus/tiktoken_py.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tariff, repoDir } from "./helpers.mjs";

const calc = new tariff.Calculator();
const corpus = path.join(repoDir, "tests/corpus");
const recorded = JSON.parse(fs.readFileSync(path.join(corpus, "tiktoken_py.json"), "utf8"));

/** Rust's `split_inclusive('\n')`, as the recorded per-line counts were taken. */
function linesOf(text) {
  const parts = text.split("\n");
  const last = parts.pop();
  return parts.map((p) => p + "\n").concat(last ? [last] : []);
}

for (const [file, byEncoding] of Object.entries(recorded.files)) {
  test(`corpus ${file}: every encoding, whole and line by line`, () => {
    const text = fs.readFileSync(path.join(corpus, file), "utf8");
    for (const [encoding, want] of Object.entries(byEncoding)) {
      assert.equal(calc.countTokens(encoding, text), want.whole, `${encoding} whole`);
      const lines = linesOf(text).map((l) => calc.countTokens(encoding, l));
      assert.deepEqual(lines, want.lines, `${encoding} lines`);
    }
  });
}

test("random strings", () => {
  assert.ok(recorded.random.length >= 100);
  for (const r of recorded.random) {
    for (const encoding of ["o200k_base", "o200k_harmony", "cl100k_base"]) {
      assert.equal(calc.countTokens(encoding, r.text), r[encoding], `${encoding}: ${JSON.stringify(r.text)}`);
    }
  }
});

test("models pick their encoding; models without a public tokenizer are an error", () => {
  assert.equal(calc.countTokens("gpt-4o-mini", "Hello, world!"), 4);
  assert.equal(calc.encodingFor("gpt-4-turbo"), "cl100k_base");
  assert.equal(calc.encodingFor("claude-sonnet-4-5"), undefined);
  assert.throws(() => calc.countTokens("claude-sonnet-4-5", "hi"), {
    name: "Error",
    message: /no exact tokenizer is known for model `claude-sonnet-4-5`/,
  });
});

test("the token view: one span per token from the encoder's offsets, a split character's tokens together", async () => {
  // A run of 300 spaces is one pre-tokenizer piece of several tokens: each is its own
  // span (regression: pieces over 256 bytes were shown as one span of many ids).
  const text = `Crabs: 🦀🦀 价格是数据。 naïve${" ".repeat(300)}end`;
  for (const [enc, ref] of [["o200k_base", "o200k_base"], ["cl100k_base", "cl100k_base"]]) {
    const { decode, encode } = await import(`gpt-tokenizer/encoding/${ref}`);
    const view = calc.tokenize(enc, text);
    assert.equal(view.tokens.map((t) => t.text).join(""), text, enc);
    assert.deepEqual(view.tokens.flatMap((t) => t.ids), encode(text), enc);
    for (const t of view.tokens) {
      // A span of one id is that token's text; several ids only where their bytes split
      // a character (the crabs), and then they decode to the span's text together.
      if (t.ids.length > 1) assert.equal(t.text.trim(), "🦀", `${enc}: ${JSON.stringify(t)}`);
      assert.equal(decode(t.ids), t.text, `${enc}: ${JSON.stringify(t)}`);
    }
    const spaces = view.tokens.filter((t) => /^ +$/.test(t.text));
    assert.ok(spaces.length >= 2, `${enc}: the run of spaces is split into its tokens`);
  }
});
