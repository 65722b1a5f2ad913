// Token counting throughput under Node: the WebAssembly module against the gpt-tokenizer
// npm package, in the same process, on the library's corpus (tests/corpus). Prints one
// row per encoding and input, with the counts (which must agree) and the speed ratio.
//
// node bench/tokens.mjs            (after bash build.sh; results go in BENCHMARKS.md)
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import * as o200k from "gpt-tokenizer/encoding/o200k_base";
import * as cl100k from "gpt-tokenizer/encoding/cl100k_base";
import { tariff, repoDir } from "../tests/helpers.mjs";

const corpus = path.join(repoDir, "tests/corpus");
const files = fs.readdirSync(corpus).filter((f) => f.endsWith(".txt")).sort();
const texts = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(corpus, f), "utf8")]));
// One mixed text of about 1 MiB, as benches/tokens.rs uses.
let mixed = "";
while (mixed.length < 1 << 20) mixed += files.map((f) => texts[f]).join("\n");
// Plus chat-sized messages: the calculator's common case.
const messages = [];
for (const f of files) for (const line of texts[f].split("\n")) if (line.length > 20) messages.push(line);

const calc = new tariff.Calculator();
// Special-token text counts as ordinary text in both (tiktoken's encode_ordinary).
const ordinary = { allowedSpecial: new Set(), disallowedSpecial: new Set() };

/** The fastest of many runs of each, the two alternated: on a shared machine, the
 * minimum is the time least disturbed by other work, and alternating exposes both to the
 * same disturbances. */
function race(a, b, rounds = 15) {
  const out = [a(), b()]; // warm up: decodes the ranks, JIT-compiles the JavaScript
  const best = [Infinity, Infinity];
  for (let r = 0; r < rounds; r++) {
    [a, b].forEach((fn, i) => {
      const start = performance.now();
      out[i] = fn();
      best[i] = Math.min(best[i], performance.now() - start);
    });
  }
  return [{ ms: best[0], out: out[0] }, { ms: best[1], out: out[1] }];
}

const t0 = performance.now();
calc.countTokens("o200k_base", "warm");
const o200kLoad = performance.now() - t0;
const t1 = performance.now();
calc.countTokens("cl100k_base", "warm");
const cl100kLoad = performance.now() - t1;
console.log(`first use (rank decoding and tables): o200k_base ${o200kLoad.toFixed(1)} ms (cl100k_base included), then cl100k_base ${cl100kLoad.toFixed(1)} ms`);

console.log("| encoding | input | tokens | tariff wasm | gpt-tokenizer | ratio | gpt-tokenizer, text seen before |");
console.log("|---|---|---:|---:|---:|---:|---:|");
const rows = [];
for (const [name, gpt] of [["o200k_base", o200k], ["cl100k_base", cl100k]]) {
  const inputs = [["mixed corpus, 1 MiB", [mixed]], [`${messages.length} chat-sized lines`, messages]];
  for (const [label, list] of inputs) {
    const bytes = list.reduce((n, s) => n + Buffer.byteLength(s), 0);
    // gpt-tokenizer keeps a cache of merged pieces across calls, which would make every
    // run after the first count text it has already seen: cleared before each run, so
    // both count as they would a new text. (tariff keeps nothing across calls.)
    const [ours, theirs] = race(
      () => list.reduce((n, s) => n + calc.countTokens(name, s), 0),
      () => {
        gpt.clearMergeCache();
        return list.reduce((n, s) => n + gpt.countTokens(s, ordinary), 0);
      },
    );
    const [, warm] = race(
      () => 0,
      () => list.reduce((n, s) => n + gpt.countTokens(s, ordinary), 0),
    );
    if (ours.out !== theirs.out) console.log(`COUNTS DIFFER: ${name} ${label}: ${ours.out} vs ${theirs.out}`);
    const mbs = (ms) => `${(bytes / 1e6 / (ms / 1e3)).toFixed(1)} MB/s`;
    const ratio = theirs.ms / ours.ms;
    rows.push(ratio);
    console.log(`| ${name} | ${label} | ${ours.out} | ${ours.ms.toFixed(2)} ms (${mbs(ours.ms)}) | ${theirs.ms.toFixed(2)} ms (${mbs(theirs.ms)}) | ${ratio.toFixed(2)}x | ${warm.ms.toFixed(2)} ms |`);
  }
}
console.log(`slowest ratio: ${Math.min(...rows).toFixed(2)}x (above 1: tariff is faster)`);
