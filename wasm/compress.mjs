// Writes brotli (`.br`) and gzip (`.gz`) copies beside every text and WebAssembly file of
// a folder, at the highest settings, for a static host to serve precompressed (nginx
// `brotli_static`/`gzip_static`, Caddy `precompressed`, most CDNs): the module is served
// at a fraction of its size with no compression work per request. Node's zlib does both,
// so the build needs no other tool.
//
// node compress.mjs DIR      (build.sh runs it on site/)
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const EXT = new Set([".wasm", ".js", ".mjs", ".css", ".html", ".json", ".svg", ".txt", ".map"]);

function* files(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (EXT.has(path.extname(e.name))) yield p;
  }
}

const dir = process.argv[2];
if (!dir) throw new Error("usage: node compress.mjs DIR");
for (const f of files(dir)) {
  const raw = fs.readFileSync(f);
  const br = zlib.brotliCompressSync(raw, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
      [zlib.constants.BROTLI_PARAM_LGWIN]: zlib.constants.BROTLI_MAX_WINDOW_BITS,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      [zlib.constants.BROTLI_PARAM_MODE]: path.extname(f) === ".wasm"
        ? zlib.constants.BROTLI_MODE_GENERIC : zlib.constants.BROTLI_MODE_TEXT,
    },
  });
  const gz = zlib.gzipSync(raw, { level: 9 });
  // A copy that is not smaller is not written: the host serves the original.
  if (br.length < raw.length) fs.writeFileSync(`${f}.br`, br);
  if (gz.length < raw.length) fs.writeFileSync(`${f}.gz`, gz);
  if (path.extname(f) === ".wasm") {
    console.log(`${path.relative(dir, f)}: ${raw.length} bytes, ${gz.length} gzip, ${br.length} brotli`);
  }
}
