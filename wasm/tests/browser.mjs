// Headless Chromium over the built site (wasm/site), for the end-to-end test and the page
// benchmark: a tiny static server, as any static host would serve the folder, and Debian's
// Chromium with a fresh profile and no network services (this machine's network is closed).
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { chromiumPath } from "./chromium.mjs";
import { wasmDir } from "./helpers.mjs";

// TARIFF_SITE serves another build of the site (the bench compares builds).
const site = path.resolve(process.env.TARIFF_SITE ?? path.join(wasmDir, "site"));
const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json",
};

let context;
let profile;

const servers = [];

function serve() {
  return serveDir(site);
}

/** Serves another folder as the site is served (for benchmarks comparing two builds in
 * one browser); closed by `stopBrowser`. Resolves to its URL. */
export function serveDir(dir) {
  const site = path.resolve(dir);
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url, "http://x");
      const file = path.join(site, decodeURIComponent(url.pathname === "/" ? "/index.html" : url.pathname));
      if (!file.startsWith(site) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
        res.writeHead(404).end("not found");
        return;
      }
      // Precompressed copies, as a static host configured for them serves them (nginx
      // `brotli_static`/`gzip_static`): brotli when the browser takes it, else gzip.
      const accepts = String(req.headers["accept-encoding"] ?? "");
      const headers = { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", vary: "accept-encoding" };
      let send = file;
      for (const [enc, ext] of [["br", ".br"], ["gzip", ".gz"]]) {
        if (new RegExp(`\\b${enc}\\b`).test(accepts) && fs.existsSync(file + ext)) {
          send = file + ext;
          headers["content-encoding"] = enc;
          break;
        }
      }
      headers["content-length"] = fs.statSync(send).size;
      res.writeHead(200, headers);
      fs.createReadStream(send).pipe(res);
    });
    servers.push(server);
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}/`));
  });
}

/** Serves the site and starts Chromium: `{ browser, base }` (a browser context, and the
 * site's URL). */
export async function startBrowser() {
  if (!fs.existsSync(path.join(site, "pkg/tariff_wasm_bg.wasm"))) {
    throw new Error("wasm/site is not built: run bash wasm/build.sh first");
  }
  const base = await serve();
  profile = fs.mkdtempSync(path.join(os.tmpdir(), "tariff-chromium-"));
  // A fresh, empty profile: playwright passes it as --user-data-dir.
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  return { browser: context, base };
}

export async function stopBrowser() {
  await context?.close();
  for (const s of servers.splice(0)) s.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
}
