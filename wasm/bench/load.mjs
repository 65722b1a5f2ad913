// Time from navigation start to the first quote shown (written into the page:
// `tariff-first-quote`; and its frame done: `tariff-first-quote-painted`), and the bytes
// downloaded for it,
// under Chromium's network and CPU emulation (DevTools protocol:
// Network.emulateNetworkConditions, Emulation.setCPUThrottlingRate), over fresh loads with
// the cache disabled. Bounded: at most 20 loads per profile, 60 s each.
//
// node bench/load.mjs [loads]                       (after bash build.sh)
// TARIFF_SITE=/path/to/old/site node bench/load.mjs (another build of the site, to compare)
import os from "node:os";
import { startBrowser, stopBrowser } from "../tests/browser.mjs";

const loads = Math.min(Number(process.argv[2] ?? 5), 20);
const PROFILES = [
  { name: "loopback", net: null, cpu: 1 },
  // 10 Mbit/s down, 5 up, 40 ms round trip.
  { name: "10 Mbps / 40 ms", net: { latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 5e6 / 8 }, cpu: 1 },
  // A slow phone: 1.6 Mbit/s down, 750 kbit/s up, 150 ms, CPU 4× slower.
  { name: "1.6 Mbps / 150 ms, CPU ×4", net: { latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 }, cpu: 4 },
];

const { browser, base } = await startBrowser();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}; ${loads} loads per profile; site ${process.env.TARIFF_SITE ?? "wasm/site"}`);
try {
  for (const p of PROFILES) {
    const times = [];
    const painted = [];
    let bytes = 0;
    for (let i = 0; i < loads; i++) {
      const page = await browser.newPage();
      const cdp = await browser.newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
      if (p.net) await cdp.send("Network.emulateNetworkConditions", { offline: false, ...p.net });
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: p.cpu });
      let transferred = 0;
      cdp.on("Network.loadingFinished", (e) => { transferred += e.encodedDataLength; });
      await page.goto(base, { timeout: 60_000 });
      await page.waitForSelector("html[data-ready=true]", { timeout: 60_000 });
      times.push(await page.evaluate(() => performance.getEntriesByName("tariff-first-quote")[0].startTime));
      await page.waitForFunction(() => performance.getEntriesByName("tariff-first-quote-painted").length > 0, null, { timeout: 60_000 });
      painted.push(await page.evaluate(() => performance.getEntriesByName("tariff-first-quote-painted")[0].startTime));
      bytes = transferred;
      await page.close();
    }
    console.log(`${p.name}: first quote median ${median(times).toFixed(0)} ms, fastest ${Math.min(...times).toFixed(0)} ms (its frame done: median ${median(painted).toFixed(0)} ms); ${bytes.toLocaleString("en-US")} bytes transferred`);
  }
} finally {
  await stopBrowser();
}
