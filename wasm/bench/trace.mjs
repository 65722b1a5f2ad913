// Where the loopback first quote's time goes: per fresh load (cache disabled), when each
// file finished arriving (Resource Timing), the page's own marks, and the first paint;
// medians over the loads. With TRACE=file.json, one more load is recorded with Chromium's
// tracing (DevTools protocol `Tracing`: V8 compile, wasm, script, layout and paint events)
// for chrome://tracing or Perfetto.
//
// node bench/trace.mjs [loads]     (after bash build.sh; TARIFF_SITE= as for load.mjs;
// CATS=a,b,c records those trace categories instead, e.g. fewer for less tracing overhead)
import fs from "node:fs";
import os from "node:os";
import { startBrowser, stopBrowser } from "../tests/browser.mjs";

const loads = Math.min(Number(process.argv[2] ?? 9), 30);
const { browser, base } = await startBrowser();
const rows = [];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}; ${loads} loads; site ${process.env.TARIFF_SITE ?? "wasm/site"}`);
try {
  for (let i = 0; i < loads + (process.env.TRACE ? 1 : 0); i++) {
    const tracing = process.env.TRACE && i === loads;
    const page = await browser.newPage();
    const cdp = await browser.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    const events = [];
    let done;
    if (tracing) {
      cdp.on("Tracing.dataCollected", (e) => events.push(...e.value));
      done = new Promise((r) => cdp.once("Tracing.tracingComplete", r));
      await cdp.send("Tracing.start", {
        transferMode: "ReportEvents",
        traceConfig: {
          includedCategories: (process.env.CATS ? process.env.CATS.split(",") : ["blink.user_timing", "devtools.timeline", "v8", "v8.wasm", "v8.compile", "blink", "loading",
            "disabled-by-default-devtools.timeline", "disabled-by-default-v8.compile", "disabled-by-default-v8.wasm.detailed"]),
        },
      });
    }
    await page.goto(base, { timeout: 60_000 });
    await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
    const row = await page.evaluate(() => {
      const out = {};
      for (const r of performance.getEntriesByType("resource")) {
        const name = r.name.replace(location.origin + "/", "");
        out[`got ${name}`] = r.responseEnd;
        out[`asked ${name}`] = r.requestStart || r.startTime;
      }
      const nav = performance.getEntriesByType("navigation")[0];
      out["html received"] = nav.responseEnd;
      out["DOMContentLoaded"] = nav.domContentLoadedEventEnd;
      for (const m of performance.getEntriesByType("mark")) if (m.name.startsWith("tariff-")) out[m.name] = m.startTime;
      for (const p of performance.getEntriesByType("paint")) out[p.name] = p.startTime;
      return out;
    });
    if (tracing) {
      await cdp.send("Tracing.end");
      await done;
      fs.writeFileSync(process.env.TRACE, JSON.stringify({ traceEvents: events }));
      console.log(`trace of one more load written to ${process.env.TRACE}`);
    } else {
      rows.push(row);
    }
    await page.close();
  }
} finally {
  await stopBrowser();
}
const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
const order = keys.map((k) => [k, median(rows.map((r) => r[k]).filter((x) => x !== undefined))]).sort((a, b) => a[1] - b[1]);
for (const [k, v] of order) console.log(`${v.toFixed(1).padStart(8)} ms  ${k}`);
