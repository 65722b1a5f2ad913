// Time from navigation start to the first quote shown on the calculator page, in headless
// Chromium, over several fresh loads (each in a new page, the browser's cache disabled).
// Prints the median and the fastest, with the moments the module was ready and the
// catalog loaded.
//
// node bench/page.mjs [loads]      (after bash build.sh; results go in BENCHMARKS.md)
import { startBrowser, stopBrowser } from "../tests/browser.mjs";

const loads = Number(process.argv[2] ?? 15);
const { browser, base } = await startBrowser();
const rows = [];
try {
  for (let i = 0; i < loads; i++) {
    const page = await browser.newPage();
    const cdp = await browser.newCDPSession(page);
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await page.goto(base);
    await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
    rows.push(await page.evaluate(() => {
      const at = (name) => performance.getEntriesByName(name)[0].startTime;
      return [at("tariff-wasm-ready"), at("tariff-catalog-ready"), at("tariff-first-quote")];
    }));
    await page.close();
  }
} finally {
  await stopBrowser();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const col = (i) => rows.map((r) => r[i]);
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms, fastest ${Math.min(...xs).toFixed(0)} ms`;
console.log(`${loads} loads, from navigation start:`);
console.log(`  module compiled and instantiated: ${fmt(col(0))}`);
console.log(`  price tables loaded, model list built: ${fmt(col(1))}`);
console.log(`  first quote shown: ${fmt(col(2))}`);
