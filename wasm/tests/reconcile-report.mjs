// `tariff reconcile --html` in headless Chromium: the page renders offline. Opens the report
// from a file with every request other than the page itself refused and counted, checks its
// inline SVG charts laid out with a size, that no console error or page error occurred and
// that nothing was fetched, and saves a screenshot.
//
//   node tests/reconcile-report.mjs REPORT.html SCREENSHOT.png
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { chromiumPath } from "./chromium.mjs";

const [report, shot] = process.argv.slice(2);
if (!report || !shot) {
  console.error("usage: node tests/reconcile-report.mjs REPORT.html SCREENSHOT.png");
  process.exit(2);
}

const page_url = pathToFileURL(path.resolve(report)).href;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "tariff-report-chromium-"));
const problems = [];
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  // The page is self-contained: any other request (a stylesheet, font, script or image
  // from anywhere, the file system included) is a defect; it is refused and reported.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url === page_url) return route.continue();
    problems.push(`request: ${url}`);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    if (r.url() !== page_url) problems.push(`request failed: ${r.url()}`);
  });
  await page.goto(page_url, { waitUntil: "load" });
  const charts = await page.$$eval("svg", (svgs) =>
    svgs.map((s) => {
      const r = s.getBoundingClientRect();
      return { label: s.getAttribute("aria-label"), width: r.width, height: r.height, marks: s.querySelectorAll("rect, path, line, polyline").length };
    }),
  );
  for (const label of ["charged and upstream cost by day", "margin by model", "margin by channel"]) {
    const c = charts.find((c) => c.label === label);
    if (!c) problems.push(`no SVG chart "${label}" (charts: ${JSON.stringify(charts)})`);
    else if (!(c.width > 100 && c.height > 20 && c.marks > 0)) problems.push(`chart "${label}" not drawn: ${JSON.stringify(c)}`);
  }
  const title = await page.title();
  if (!title) problems.push("the page has no title");
  fs.mkdirSync(path.dirname(path.resolve(shot)), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`${report}: "${title}", ${charts.length} charts (${charts.map((c) => c.label).join("; ")}); screenshot ${shot}`);
} finally {
  await context?.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
if (problems.length) {
  console.error(`${report}: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
