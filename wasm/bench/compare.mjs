// The loopback first quote of two builds of the site side by side: fresh loads (cache
// disabled) alternating between them in one browser, so both meet the same machine load.
// Prints, per build, the median and fastest of each step from navigation start (Resource
// Timing, the page's marks, first paint) and the load average.
//
// node bench/compare.mjs OLD_SITE [loads per build]    (after bash build.sh; the new build
// is wasm/site, or TARIFF_SITE)
import os from "node:os";
import { serveDir, startBrowser, stopBrowser } from "../tests/browser.mjs";

const old = process.argv[2];
if (!old) throw new Error("usage: node bench/compare.mjs OLD_SITE [loads]");
const loads = Math.min(Number(process.argv[3] ?? 15), 40);
const { browser, base } = await startBrowser();
const oldBase = await serveDir(old);
const builds = [["old", oldBase], ["new", base]];
const rows = { old: [], new: [] };
const avg = [];
try {
  for (let i = 0; i < loads; i++) {
    avg.push(os.loadavg()[0]);
    // Alternate which goes first, so neither always follows the other.
    for (const [name, url] of i % 2 ? [...builds].reverse() : builds) {
      const page = await browser.newPage();
      const cdp = await browser.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      await page.goto(url, { timeout: 60_000 });
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
      // The painted mark comes a frame after the quote.
      await page.waitForTimeout(300);
      rows[name].push(await page.evaluate(() => {
        const out = {};
        const nav = performance.getEntriesByType("navigation")[0];
        out["HTML received"] = nav.responseEnd;
        for (const r of performance.getEntriesByType("resource")) {
          if (r.name.endsWith(".wasm")) out["pricing module received"] = r.responseEnd;
        }
        for (const p of performance.getEntriesByType("paint")) if (p.name === "first-paint") out["first paint"] = p.startTime;
        out.DOMContentLoaded = nav.domContentLoadedEventEnd;
        for (const m of performance.getEntriesByType("mark")) if (m.name.startsWith("tariff-")) out[m.name] = m.startTime;
        return out;
      }));
      await page.close();
    }
  }
} finally {
  await stopBrowser();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const keys = [...new Set([...rows.old, ...rows.new].flatMap((r) => Object.keys(r)))];
const cell = (name, k) => {
  const xs = rows[name].map((r) => r[k]).filter((x) => x !== undefined);
  return xs.length ? `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)})` : "—";
};
console.log(`${loads} loads of each, alternating; load average (1 min) ${Math.min(...avg).toFixed(1)}–${Math.max(...avg).toFixed(1)}`);
console.log(`| step, ms from navigation start: median (fastest) | old: ${old} | new |`);
console.log("|---|---:|---:|");
const order = keys.sort((a, b) => median(rows.new.map((r) => r[a] ?? 1e9)) - median(rows.new.map((r) => r[b] ?? 1e9)));
for (const k of order) console.log(`| ${k} | ${cell("old", k)} | ${cell("new", k)} |`);
