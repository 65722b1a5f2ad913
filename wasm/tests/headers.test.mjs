// The media header parsers on wasm32 (32-bit `usize`: a size near 2^32 that is harmless
// natively can wrap here): every file of the fuzz corpora fuzz/corpus/media_headers and
// fuzz/corpus/estimate goes through the module's `estimate`, and each call must return or
// throw a typed error, within a time bound (each call runs in a worker the test stops
// when it hangs).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { tariff, repoDir } from "./helpers.mjs";

const fuzzDir = path.join(repoDir, "fuzz");
/** The longest one estimate may take (a header is small; this is a hang, not a slow call). */
const PER_CALL_MS = 10_000;

const files = (dir) =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))])
    : [];

/** The media type a header announces by its magic bytes, else null. */
function sniff(b) {
  const at = (i, s) => b.subarray(i, i + s.length).toString("latin1") === s;
  if (at(0, "\x89PNG")) return "image/png";
  if (b[0] === 0xff && b[1] === 0xd8) return "image/jpeg";
  if (at(0, "GIF8")) return "image/gif";
  if (at(0, "RIFF") && at(8, "WEBP")) return "image/webp";
  if (at(0, "RIFF") && at(8, "WAVE")) return "audio/wav";
  if (at(0, "fLaC")) return "audio/flac";
  if (at(0, "ID3") || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0)) return "audio/mpeg";
  if (at(0, "%PDF")) return "application/pdf";
  if (at(4, "ftyp") || b.includes("mvhd")) return "video/mp4";
  return null;
}

/** One header inside every family's way of carrying media, under its own type and the
 * other kinds' (a mislabelled file must be refused cleanly too). */
function headerCases(name, bytes) {
  const data = bytes.toString("base64");
  const types = [...new Set([sniff(bytes), "image/png", "audio/wav", "video/mp4", "application/pdf"])]
    .filter(Boolean);
  const cases = [];
  for (const mime of types) {
    const url = `data:${mime};base64,${data}`;
    const kind = mime.split("/")[0];
    const chat =
      kind === "image" ? { type: "image_url", image_url: { url } }
      : kind === "audio" ? { type: "input_audio", input_audio: { data, format: "wav" } }
      : { type: "file", file: { filename: "f", file_data: url } };
    const anthropic = mime === "application/pdf"
      ? { type: "document", source: { type: "base64", media_type: mime, data } }
      : { type: "image", source: { type: "base64", media_type: mime, data } };
    const dashKey = kind === "image" ? "image" : kind === "audio" ? "audio" : "video";
    const add = (api, model, body) => cases.push({
      what: `${name} as ${mime} (${api})`, api, model,
      request: typeof body === "string" ? body : JSON.stringify(body),
    });
    add("openai-chat", "gpt-4o", { max_tokens: 16, messages: [{ role: "user", content: [chat] }] });
    add("openai-responses", "gpt-4.1-mini", {
      max_output_tokens: 16,
      input: [{ role: "user", content: [kind === "image"
        ? { type: "input_image", image_url: url }
        : { type: "input_file", filename: "f", file_data: url }] }],
    });
    add("anthropic", "claude-sonnet-4-5", { max_tokens: 16, messages: [{ role: "user", content: [anthropic] }] });
    for (const part of [{ inline_data: { mime_type: mime, data } }, { inlineData: { mimeType: mime, data } }]) {
      add("gemini", "gemini-2.5-flash", {
        contents: [{ parts: [part] }], generationConfig: { maxOutputTokens: 16 },
      });
    }
    add("dashscope", "qwen-vl-max", {
      input: { messages: [{ role: "user", content: [{ [dashKey]: url }] }] }, parameters: { max_tokens: 16 },
    });
    // A multipart body as the module takes it: text, binary file bytes as Latin-1 code points.
    add("openai-transcription", "whisper-1",
      `--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
      `--b\r\nContent-Disposition: form-data; name="file"; filename="f"\r\nContent-Type: ${mime}\r\n\r\n` +
      bytes.toString("latin1") + `\r\n--b--\r\n`);
  }
  return cases;
}

/** The estimate target's own inputs: `[family][model]` + request, as fuzz/fuzz_targets/estimate.rs
 * reads them, with the models of fuzz/estimate_models.txt. */
function estimateCases(apis) {
  const models = new Map();
  for (const line of fs.readFileSync(path.join(fuzzDir, "estimate_models.txt"), "utf8").split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const [family, ...names] = line.trim().split(/\s+/);
    models.set(family, names);
  }
  const others = models.get("*");
  return files(path.join(fuzzDir, "corpus/estimate"))
    .filter(([, b]) => b.length >= 2)
    .map(([name, b]) => {
      const api = apis[b[0] % apis.length];
      const list = [...(models.get(api) ?? []), ...others];
      const model = list[(b[1] & 0x7f) % list.length];
      let body = b.subarray(2);
      if (b[1] & 0x80) body = grow(body) ?? body;
      body = encodeSpans(body);
      return { what: `estimate/${name} (${api}, ${model})`, api, model, request: body.toString("utf8") };
    });
}

/** As the target's `grow`: `head NUL unit NUL tail` with `unit` repeated past 300 KiB. */
function grow(b) {
  const a = b.indexOf(0);
  const c = a < 0 ? -1 : b.indexOf(0, a + 1);
  if (c < 0 || c === a + 1) return null;
  const [head, unit, tail] = [b.subarray(0, a), b.subarray(a + 1, c), b.subarray(c + 1)];
  const times = Math.ceil(Math.max(0, (300 << 10) - head.length) / unit.length);
  return Buffer.concat([head, ...Array(times).fill(unit), tail]);
}

/** As the target's `encode_spans`: bytes between two 0x01 become their base64. */
function encodeSpans(b) {
  const parts = [];
  let from = 0;
  let raw = false;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 1) {
      const piece = b.subarray(from, i);
      parts.push(raw ? Buffer.from(piece.toString("base64")) : piece);
      raw = !raw;
      from = i + 1;
    }
  }
  return Buffer.concat(parts);
}

/** Runs the cases in a worker; a case that runs past PER_CALL_MS is recorded as a hang,
 * and a fresh worker goes on from the next case. */
async function runAll(cases) {
  const results = new Array(cases.length);
  let from = 0;
  while (from < cases.length) {
    from = await new Promise((resolve, reject) => {
      const worker = new Worker(new URL("./headers.worker.mjs", import.meta.url), {
        workerData: { cases: cases.slice(from) },
      });
      let timer;
      worker.on("message", (m) => {
        if (m.done) {
          clearTimeout(timer);
          worker.terminate();
          resolve(cases.length);
        } else if (m.started) {
          clearTimeout(timer);
          timer = setTimeout(() => {
            worker.terminate();
            results[from + m.i] = { ok: false, hang: true, message: `no answer within ${PER_CALL_MS} ms` };
            resolve(from + m.i + 1);
          }, PER_CALL_MS);
        } else {
          results[from + m.i] = m;
        }
      });
      worker.on("error", (e) => { clearTimeout(timer); reject(e); });
    });
  }
  return results;
}

test("every header of the fuzz corpus is estimated or refused with a typed error on wasm32", async () => {
  const apis = new tariff.Calculator().apis();
  const headers = files(path.join(fuzzDir, "corpus/media_headers"));
  assert.ok(headers.length >= 9, `the header corpus has ${headers.length} files`);
  const cases = [...headers.flatMap(([n, b]) => headerCases(n, b)), ...estimateCases(apis)];
  const results = await runAll(cases);
  const bad = results
    .map((r, i) => ({ ...r, what: cases[i].what }))
    .filter((r) => !r.ok && !r.typed);
  assert.deepEqual(
    bad.map((r) => `${r.what}: ${r.hang ? "hang" : r.name}: ${r.message}`),
    [],
    "hangs and untyped errors (panics)",
  );
  // The corpus is not all refusals: most valid headers are read.
  assert.ok(results.filter((r) => r.ok).length > cases.length / 10, "some estimates succeed");
});
