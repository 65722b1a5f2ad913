// The calculator page in real headless Chromium: load, pick a model, enter quantities,
// paste a response body, check the totals shown, compare models, save a screenshot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { wasmDir, repoDir } from "./helpers.mjs";
import { startBrowser, stopBrowser } from "./browser.mjs";

const artifacts = path.join(wasmDir, "test-artifacts");
let browser;
let base;

before(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  ({ browser, base } = await startBrowser());
});

after(stopBrowser);

async function open(hash = "", viewport) {
  const page = await browser.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  await page.goto(base + hash);
  await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
  return { page, problems };
}

/** What the engine itself says for the quantities on the page: a total, or an error. */
function expectedTotals(page, ids, at) {
  return page.evaluate(async ([ids, at]) => {
    const { Calculator } = await import("./pkg/tariff_wasm.js");
    const c = new Calculator();
    const u = {};
    for (const el of document.querySelectorAll("#qty input")) {
      if (el.value) u[el.id.replace(/^q-/, "")] = Number(el.value.replace(/,/g, ""));
    }
    return ids.map((id) => {
      try {
        return { total: c.quote(id, u, { at }).total };
      } catch (e) {
        return { error: e.message };
      }
    });
  }, [ids, at]);
}

const axeSource = fs.readFileSync(path.join(wasmDir, "node_modules/axe-core/axe.min.js"), "utf8");

/** axe-core on the page as it is: nothing above "minor" (WCAG 2 A/AA and best practices). */
async function axeCheck(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.addScriptTag({ content: axeSource });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact !== "minor")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`);
  });
  assert.deepEqual(found, [], `axe-core at ${page.url()}`);
}

const totalOf = (page, i) => page.locator(".bill").nth(i).locator("tfoot .total-value").first().textContent();

test("load, pick a model, enter quantities, paste a response, compare, screenshot", async () => {
  const { page, problems } = await open("#m=");

  // Interactive and first quote shown: measured from navigation start.
  const firstQuote = await page.evaluate(() => performance.getEntriesByName("tariff-first-quote")[0].startTime);
  console.log(`# first quote shown ${firstQuote.toFixed(0)} ms after navigation start`);
  fs.writeFileSync(path.join(artifacts, "first-quote-ms.txt"), `${firstQuote.toFixed(1)}\n`);

  // Pick a model with the keyboard: type, arrow, Enter.
  const search = page.getByRole("combobox", { name: "Add a model" });
  await search.click();
  await search.fill("gpt-4.1");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowUp");
  const activeId = await search.getAttribute("aria-activedescendant");
  assert.ok(activeId, "an option is active");
  assert.equal(await page.locator(`#${activeId}`).getAttribute("data-id"), "gpt-4.1");
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Remove gpt-4.1" }).waitFor();

  // Quantities for the units gpt-4.1 prices (golden: 6000×$2 + 4000×$0.50 + 500×$8 per 1M).
  await page.locator("#at").fill("2025-06-01");
  await page.getByLabel("Input tokens", { exact: true }).fill("6000");
  await page.getByLabel("Cached input tokens", { exact: true }).fill("4,000");
  await page.getByLabel("Output tokens", { exact: true }).fill("500");
  assert.equal(await totalOf(page, 0), "$0.018");

  // A bad quantity: a clear message, no price.
  await page.getByLabel("Output tokens", { exact: true }).fill("5e2");
  await page.getByText("Output tokens: “5e2” is not a number").first().waitFor();
  assert.equal(await page.locator(".bill").count(), 0);
  assert.equal(await page.getByLabel("Output tokens", { exact: true }).getAttribute("aria-invalid"), "true");
  await axeCheck(page);
  await page.getByLabel("Output tokens", { exact: true }).fill("500");
  assert.equal(await totalOf(page, 0), "$0.018");

  // Paste an OpenAI response: its model (o4-mini) is added, its usage fills the inputs.
  const body = fs.readFileSync(path.join(repoDir, "tests/fixtures/responses/openai-chat.json"), "utf8");
  await page.getByText("Fill from a pasted response or request body").click();
  await page.getByLabel("Response body (JSON, or a saved SSE stream)").fill(body);
  await page.getByRole("button", { name: "Fill usage from response" }).click();
  await page.getByText(/^Read as openai-chat:/).waitFor();
  const usage = JSON.parse(body).usage;
  const cached = usage.prompt_tokens_details.cached_tokens;
  assert.equal(await page.getByLabel("Input tokens", { exact: true }).inputValue(), String(usage.prompt_tokens - cached));
  assert.equal(await page.getByLabel("Cached input tokens", { exact: true }).inputValue(), String(cached));

  // Two models side by side, each total as the engine computes it for the same usage.
  const ids = await page.locator(".bill h3").allTextContents();
  assert.deepEqual(ids, ["gpt-4.1", "o4-mini"]);
  const expected = await expectedTotals(page, ids, "2025-06-01");
  for (let i = 0; i < ids.length; i++) {
    assert.ok(expected[i].total, `${ids[i]}: ${expected[i].error}`);
    assert.equal(await totalOf(page, i), `$${expected[i].total}`, ids[i]);
  }
  assert.ok((await page.locator("#chart svg rect").count()) >= 4, "a bar chart of the cost split");
  const summary = await page.locator("#summary").textContent();
  assert.ok(ids.every((id) => summary.includes(id)), summary);

  await axeCheck(page);
  await page.screenshot({ path: path.join(artifacts, "calculator.png"), fullPage: true });

  // The state is in the URL: a fresh page from it shows the same totals.
  const shared = page.url();
  assert.match(shared, /m=gpt-4\.1%2C/);
  const again = await open(shared.slice(base.length));
  for (let i = 0; i < ids.length; i++) {
    assert.equal(await totalOf(again.page, i), `$${expected[i].total}`);
  }

  // Relay quota units: $0.018 × 500,000 = 9,000 units for the gpt-4.1 quote.
  await again.page.goto(`${base}#m=gpt-4.1&at=2025-06-01&currency=quota&q=input_tokens:6000,cache_read_tokens:4000,output_tokens:500`);
  await again.page.waitForSelector("html[data-ready=true]");
  await again.page.getByText("9,000 units").first().waitFor();
  await axeCheck(again.page);

  assert.deepEqual(problems.concat(again.problems), []);
});

test("a shared link naming an unknown model says so, with suggestions", async () => {
  const { page, problems } = await open("#m=gpt-4.1,claude-sonet-4-5&at=2025-11-01&q=input_tokens:1000");
  const cards = page.locator(".bill");
  assert.equal(await cards.count(), 2);
  assert.match(await cards.nth(0).locator("tfoot .total-value").first().textContent(), /^\$/);
  const alert = await cards.nth(1).getByRole("alert").textContent();
  assert.match(alert, /unknown model `claude-sonet-4-5`/);
  assert.match(alert, /claude-sonnet-4-5/);
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

test("a response the chosen model cannot price is explained, not priced", async () => {
  const { page, problems } = await open("#m=gpt-4.1&at=2025-11-01");
  const body = fs.readFileSync(path.join(repoDir, "tests/fixtures/responses/anthropic.json"), "utf8");
  await page.getByText("Fill from a pasted response or request body").click();
  await page.getByLabel("Response body (JSON, or a saved SSE stream)").fill(body);
  await page.getByRole("button", { name: "Fill usage from response" }).click();
  await page.getByText(/^Read as anthropic:/).waitFor();
  const ids = await page.locator(".bill h3").allTextContents();
  assert.equal(ids.length, 2, `the body's Claude model is added: ${ids}`);
  const expected = await expectedTotals(page, ids, "2025-11-01");
  for (let i = 0; i < ids.length; i++) {
    const card = page.locator(".bill").nth(i);
    if (expected[i].error) {
      // gpt-4.1 has no cache-write price: the card says so and names the field; the lines
      // it does price are shown as a partial total, never as the bill.
      assert.equal(await card.getByRole("alert").textContent(), expected[i].error);
      assert.match(await card.locator("tfoot td").first().textContent(), /^Partial total, without Cache write tokens/);
      assert.equal(await card.getByRole("button", { name: "Change Cache write tokens (5 min)" }).count(), 1);
      assert.ok(!(await card.locator("tbody").textContent()).includes("Cache write"));
    } else {
      assert.equal(await totalOf(page, i), `$${expected[i].total}`);
    }
  }
  assert.ok(expected.some((e) => e.error) && expected.some((e) => e.total));

  // A request alone: the library's upper-bound estimate fills the inputs.
  await page.getByLabel("Response body (JSON, or a saved SSE stream)").fill("");
  const request = JSON.stringify({ model: "gpt-4.1", max_tokens: 300, messages: [{ role: "user", content: "Hello there" }] });
  await page.getByLabel(/^Request body/).fill(request);
  await page.getByLabel("Format").selectOption("openai-chat");
  await page.getByRole("button", { name: "Estimate from request alone" }).click();
  await page.getByText(/^Estimated as an openai-chat request for gpt-4.1/).waitFor();
  const est = await page.evaluate(async (req) => {
    const { Calculator } = await import("./pkg/tariff_wasm.js");
    return new Calculator().estimate("openai-chat", "gpt-4.1", req).usage;
  }, request);
  assert.equal(await page.getByLabel("Output tokens", { exact: true }).inputValue(), "300");
  assert.equal(await page.getByLabel("Input tokens", { exact: true }).inputValue(), String(est.input_tokens));
  await page.getByLabel(/^Request body/).fill("");

  // Garbage in the paste box: the library's message, and the inputs stay as they were.
  await page.getByLabel("Response body (JSON, or a saved SSE stream)").fill("{\"usage\": 12");
  await page.getByLabel("Format").selectOption("openai-chat");
  await page.getByRole("button", { name: "Fill usage from response" }).click();
  await page.getByText(/openai-chat body is not valid/).waitFor();
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

// ---------------------------------------------------------------- the everyday path
// Each test below is the regression test of a defect the page had (they fail on the page
// before the fix): pasting, the picker, problems on one bill, images and video, layout on a
// laptop and a phone, loading.

const fixture = (name) => fs.readFileSync(path.join(repoDir, "tests/fixtures/responses", name), "utf8");
const chips = (page) => page.locator("#chosen li button").evaluateAll((bs) => bs.map((b) => b.getAttribute("aria-label").replace(/^Remove /, "")));
const input = (page, label) => page.getByLabel(label, { exact: true });

async function paste(page, body, request = "") {
  const box = page.locator("#paste-box");
  if (!(await box.evaluate((d) => d.open))) await page.getByText("Fill from a pasted response or request body").click();
  await page.getByLabel("Response body (JSON, or a saved SSE stream)").fill(body);
  await page.getByLabel(/^Request body/).fill(request);
}

async function statusAfter(page, button) {
  await page.getByRole("button", { name: button }).click();
  const status = page.locator("#paste-status");
  await page.waitForFunction(() => !/…$/.test(document.querySelector("#paste-status").textContent)
    && document.querySelector("#paste-status").textContent !== "", null, { timeout: 20_000 });
  return { text: await status.textContent(), ok: (await status.getAttribute("class")).includes("ok") };
}

test("paste: an Anthropic stream is recognized, its model added; a body without usage changes nothing", async () => {
  const { page, problems } = await open("#m=gpt-4.1&at=2025-11-01&q=input_tokens:1234");
  await paste(page, fixture("anthropic-stream.sse"));
  const read = await statusAfter(page, "Fill usage from response");
  assert.ok(read.ok, read.text);
  assert.match(read.text, /^Read as anthropic: an Anthropic Messages body, a saved stream of \d+ events; model claude-sonnet-4-5-20250929 \(claude-sonnet-4-5\), added/);
  assert.deepEqual(await chips(page), ["gpt-4.1", "claude-sonnet-4-5"]);
  assert.equal(await input(page, "Input tokens").inputValue(), "1000");
  assert.equal(await input(page, "Cached input tokens").inputValue(), "3000");

  // A chat completion with no usage: an error, in red, and the quantities stay.
  await paste(page, JSON.stringify({ object: "chat.completion", model: "gpt-4o", choices: [] }));
  const none = await statusAfter(page, "Fill usage from response");
  assert.equal(none.ok, false, none.text);
  assert.match(none.text, /no usage report|reports no usage/);
  assert.match(none.text, /Nothing was changed\.$/);
  assert.equal(await input(page, "Input tokens").inputValue(), "1000");
  assert.deepEqual(await chips(page), ["gpt-4.1", "claude-sonnet-4-5"]);

  // Garbage: the same.
  await paste(page, "not a response at all");
  const bad = await statusAfter(page, "Fill usage from response");
  assert.equal(bad.ok, false, bad.text);
  assert.equal(await input(page, "Cached input tokens").inputValue(), "3000");
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

test("paste: OpenAI and Gemini streams add the model they name (model, modelVersion)", async () => {
  const { page, problems } = await open("#m=claude-sonnet-4-5&at=2025-11-01");
  await paste(page, fixture("openai-chat-stream.sse"));
  const a = await statusAfter(page, "Fill usage from response");
  assert.match(a.text, /^Read as openai-chat: .*saved stream.*model o4-mini-2025-04-16 \(o4-mini\), added/);
  await paste(page, fixture("gemini-stream.sse"));
  const g = await statusAfter(page, "Fill usage from response");
  assert.match(g.text, /^Read as gemini: .*model gemini-2\.5-flash, added/);
  assert.deepEqual(await chips(page), ["claude-sonnet-4-5", "o4-mini", "gemini-2.5-flash"]);
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

test("estimate: a pasted Anthropic request is estimated for its own model, as an Anthropic request", async () => {
  const { page, problems } = await open("#m=gpt-4.1&at=2025-11-01");
  const request = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 300, system: "Be brief.", messages: [{ role: "user", content: "Hello there" }] });
  await paste(page, "", request);
  const est = await statusAfter(page, "Estimate from request alone");
  assert.ok(est.ok, est.text);
  assert.match(est.text, /^Estimated as an anthropic request for claude-sonnet-4-5 \(the request's model, added\)/);
  assert.deepEqual(await chips(page), ["gpt-4.1", "claude-sonnet-4-5"]);
  assert.equal(await input(page, "Output tokens").inputValue(), "300");
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

test("paste: a request pasted as the response, or a response as the request, is named as such and changes nothing", async () => {
  const { page, problems } = await open("#m=gpt-4.1&at=2025-11-01&q=input_tokens:1234");
  const request = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 300, messages: [{ role: "user", content: "Hello there" }] });
  await paste(page, request);
  const asResponse = await statusAfter(page, "Fill usage from response");
  assert.equal(asResponse.ok, false, asResponse.text);
  assert.match(asResponse.text, /this is a request \(openai-chat or anthropic\), not a response.*Nothing was changed\.$/);
  await paste(page, "", fixture("anthropic.json"));
  const asRequest = await statusAfter(page, "Estimate from request alone");
  assert.equal(asRequest.ok, false, asRequest.text);
  assert.match(asRequest.text, /this is an Anthropic .*not a request.*Nothing was changed\.$/);
  assert.equal(await input(page, "Input tokens").inputValue(), "1234");
  assert.deepEqual(await chips(page), ["gpt-4.1"]);
  // The page's reading is the library's: what `detect` says of the stream it read.
  const detected = await page.evaluate(async (body) => {
    const { Calculator } = await import("./pkg/tariff_wasm.js");
    return new Calculator().detect(body);
  }, fixture("anthropic-stream.sse"));
  assert.equal(detected.form, "stream");
  assert.equal(detected.api, "anthropic");
  assert.equal(detected.model, "claude-sonnet-4-5-20250929");
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

test("chips: removing a model leaves the list closed, and the next click removes, never adds", async () => {
  const { page, problems } = await open("#m=gpt-4.1,claude-sonnet-4-5,o4-mini&at=2025-11-01&q=input_tokens:1000");
  const first = await page.getByRole("button", { name: "Remove gpt-4.1" }).boundingBox();
  await page.mouse.click(first.x + first.width / 2, first.y + first.height / 2);
  assert.equal(await page.locator("#model-list").isHidden(), true, "the model list stays closed");
  // The user clicks the × that is now where the next one moved to.
  const next = await page.getByRole("button", { name: "Remove claude-sonnet-4-5" }).boundingBox();
  await page.mouse.click(next.x + next.width / 2, next.y + next.height / 2);
  assert.deepEqual(await chips(page), ["o4-mini"]);
  assert.equal(await page.locator("#model-list").isHidden(), true);
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

test("picker: exact then prefix matches, newest first in a family, a name and a price on each row", async () => {
  const { page, problems } = await open("#m=&at=2026-11-01");
  const search = page.getByRole("combobox", { name: "Add a model" });
  await search.click();
  await search.fill("gpt-5");
  const first = page.locator("[role=option]").first();
  assert.equal(await first.getAttribute("data-id"), "gpt-5");
  // Name, id and the headline price: GPT-5 at $1.25 / $10 per 1M (openai.toml).
  assert.match(await first.textContent(), /^GPT-5gpt-5openai · \$1\.25 \/ \$10 per 1M in\/out$/);
  await page.keyboard.press("Enter");
  assert.deepEqual(await chips(page), ["gpt-5"]);

  // The prefix matches after the exact one; Claude Opus newest first.
  await search.fill("claude-opus");
  const ids = await page.locator("[role=option]").evaluateAll((os) => os.map((o) => o.dataset.id));
  const since = await page.evaluate(async (ids) => {
    const { Calculator } = await import("./pkg-core/tariff_wasm_core.js");
    const all = new Calculator().models();
    return ids.map((id) => all.find((m) => m.id === id).since);
  }, ids);
  assert.ok(ids.length >= 5, ids.join(" "));
  for (let i = 1; i < since.length; i++) assert.ok(since[i - 1] >= since[i], `${ids[i - 1]} before ${ids[i]}`);
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

test("problems: a withdrawn model offers its provider's current models; an unpriced quantity names its field and keeps the other lines", async () => {
  const { page, problems } = await open("#m=deepseek-chat,gpt-4.1&at=2026-11-01&q=input_tokens:1000");
  const card = page.locator(".bill").nth(0);
  assert.match(await card.getByRole("alert").textContent(), /has no standard price in force/);
  assert.match(await card.locator(".fix").textContent(), /deepseek-chat has no price after 2026-07-23/);
  assert.match(await page.locator(".bill").nth(1).locator("tfoot .total-value").textContent(), /^\$/);
  const use = card.getByRole("button", { name: /^Use deepseek-/ }).first();
  const successor = (await use.textContent()).replace(/^Use /, "");
  await use.click();
  assert.deepEqual(await chips(page), [successor, "gpt-4.1"]);
  assert.match(await page.locator(".bill").nth(0).locator("tfoot .total-value").textContent(), /^\$/);

  // gpt-4.1 on the batch tier has no cached-input price at this date: the other lines are
  // priced (1000 × $1/M + 10 × $4/M = $0.00104), the field is named and one click away.
  await page.goto(`${base}#m=gpt-4.1&at=2025-06-01&tier=batch&q=input_tokens:1000,cache_read_tokens:100,output_tokens:10`);
  await page.waitForSelector("html[data-ready=true]");
  const b = page.locator(".bill").nth(0);
  const expected = await page.evaluate(async () => {
    const { Calculator } = await import("./pkg-core/tariff_wasm_core.js");
    const c = new Calculator();
    const opts = { at: "2025-06-01", serviceTier: "batch" };
    let error;
    try { c.quote("gpt-4.1", { input_tokens: 1000, cache_read_tokens: 100, output_tokens: 10 }, opts); } catch (e) { error = e.message; }
    return { error, rest: c.quote("gpt-4.1", { input_tokens: 1000, output_tokens: 10 }, opts).total };
  });
  assert.match(expected.error, /no price for `cache_read_tokens`/);
  assert.equal(expected.rest, "0.00104");
  assert.equal(await b.getByRole("alert").textContent(), expected.error);
  assert.equal(await b.locator("tfoot .total-value").first().textContent(), "$0.00104");
  assert.match(await b.locator("tfoot td").first().textContent(), /^Partial total, without Cached input tokens/);
  await b.getByRole("button", { name: "Change Cached input tokens" }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), "q-cache_read_tokens");
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

test("images and video: GPT Image by count × size × quality; mixed image models explained per model; video at the vendor's default resolution", async () => {
  const { page, problems } = await open("#m=gpt-image-1,dall-e-3&at=2025-11-01");
  await input(page, "Images to generate (GPT Image)").fill("2");
  await page.getByLabel("Image size", { exact: true }).selectOption("1024x1536");
  await page.getByLabel("Image quality", { exact: true }).selectOption("high");
  await input(page, "Images: 1024x1024, hd").fill("1");
  // 2 × 6,240 tokens (portrait, high: estimate/images.toml) × $40 / 1M = $0.4992;
  // DALL·E 3 HD 1024x1024 at $0.08 an image.
  await page.locator(".bill").nth(0).locator("tfoot .total-value").getByText("$0.4992").waitFor({ timeout: 20_000 });
  assert.equal(await page.locator(".bill").nth(1).locator("tfoot .total-value").first().textContent(), "$0.08");
  const text = await page.locator("#bills").textContent();
  assert.ok(!/priced variants:\s*($|[.;])/.test(text), text);
  assert.match(await page.locator(".bill").nth(0).textContent(), /1 image at 1024x1024, hd not counted: gpt-image-1 has no such variant/);

  // Sora 2 with no resolution chosen: OpenAI's default 720x1280, 8 s × $0.10 = $0.80.
  await page.goto(`${base}#m=sora-2&at=2025-11-01&q=video_seconds:8`);
  await page.waitForSelector("html[data-ready=true]");
  await page.locator(".bill tfoot .total-value").getByText("$0.8").waitFor({ timeout: 20_000 });
  assert.match(await page.locator(".bill").textContent(), /At 720x1280, the vendor's default/);
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

test("layout: inputs above the fold on a laptop; on a phone no sideways scroll, a total on the first screen, legible chart labels", async () => {
  const laptop = await open("#m=gpt-4.1,claude-sonnet-4-5&at=2025-11-01&q=input_tokens:10000,output_tokens:1000", { width: 1366, height: 900 });
  const box = await laptop.page.locator("#q-input_tokens").boundingBox();
  assert.ok(box.y + box.height <= 900, `input tokens at ${box.y}`);
  // Chips are told apart by number; no chip wears a colour of the chart's units.
  const chipColours = await laptop.page.locator("#chosen li, #chosen li *").evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
  const unitColours = await laptop.page.locator("#chart rect").evaluateAll((rs) => rs.map((r) => getComputedStyle(r).fill));
  assert.ok(unitColours.length >= 2);
  for (const c of chipColours) assert.ok(!unitColours.includes(c), `chip colour ${c} is a unit colour`);
  await laptop.page.screenshot({ path: path.join(artifacts, "calculator-1366x900.png") });
  await axeCheck(laptop.page);
  await laptop.page.close();

  const phone = await open("#m=gpt-4.1,claude-sonnet-4-5&at=2025-11-01&q=input_tokens:10000,output_tokens:1000", { width: 390, height: 844 });
  const p = phone.page;
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `page is ${width} px wide`);
  const total = await p.evaluate(async () => {
    const { Calculator } = await import("./pkg-core/tariff_wasm_core.js");
    return new Calculator().quote("gpt-4.1", { input_tokens: 10000, output_tokens: 1000 }, { at: "2025-11-01" }).total;
  });
  const first = p.getByText(`gpt-4.1: $${total}`).first();
  const at = await first.boundingBox();
  assert.ok(at && at.y + at.height <= 844, `first total at ${at?.y}`);
  const fonts = await p.locator("#chart svg text").evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().height));
  assert.ok(fonts.length >= 2);
  for (const h of fonts) assert.ok(h >= 11, `chart label ${h.toFixed(1)} px high`);
  await p.screenshot({ path: path.join(artifacts, "calculator-390x844.png") });
  assert.deepEqual(laptop.problems.concat(phone.problems), []);
  await axeCheck(p);
  await p.close();
});

test("loading: precompressed modules, a progress state meanwhile, the tokenizer fetched only when counting", async () => {
  const page = await browser.newPage();
  const requests = [];
  page.on("response", (r) => requests.push({ url: r.url(), encoding: r.headers()["content-encoding"] }));
  // Hold the pricing module back to see the page while it loads.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route("**/pkg-core/tariff_wasm_core_bg.wasm", async (route) => { await held; await route.continue(); });
  await page.goto(`${base}#m=gpt-4.1&at=2025-11-01`);
  await page.locator("#loading").getByText(/^Loading the price tables/).waitFor();
  assert.equal(await page.locator("#loading").isVisible(), true);
  const search = page.getByRole("combobox", { name: "Add a model" });
  assert.equal(await search.getAttribute("placeholder"), "Loading models…");
  assert.equal(await page.getByText("No model matches").count(), 0);
  release();
  await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
  assert.equal(await page.locator("#loading").isHidden(), true);

  const core = requests.find((r) => r.url.endsWith("/pkg-core/tariff_wasm_core_bg.wasm"));
  assert.equal(core?.encoding, "br", "the module is served brotli-compressed");
  const brBytes = fs.statSync(path.join(wasmDir, "site/pkg-core/tariff_wasm_core_bg.wasm.br")).size;
  assert.ok(brBytes < 400_000, `pricing module ${brBytes} bytes compressed`);
  assert.ok(!requests.some((r) => r.url.endsWith("/pkg/tariff_wasm_bg.wasm")), "no tokenizer before it is used");

  // Counting fetches the full module, once, and counts.
  await page.getByText("Count the tokens of a prompt").click();
  await page.getByLabel("Text", { exact: true }).fill("Hello, world!");
  await page.getByRole("button", { name: "Count and use as input tokens" }).click();
  await page.locator("#count-status").getByText(/^4 tokens \(o200k_base/).waitFor({ timeout: 20_000 });
  assert.equal(requests.filter((r) => r.url.endsWith("/pkg/tariff_wasm_bg.wasm")).length, 1);
  await axeCheck(page);
  await page.close();
});

test("loading: the pricing module is compiled and its tables read without waiting for the page's script", async () => {
  // regression: the module was fetched into a script stream and started by app.js, which
  // runs only after parsing, the styles and (in practice) the first paint.
  const page = await browser.newPage();
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route("**/app.js", async (route) => { await held; await route.continue(); });
  // Not waiting for the load event, which waits for the held script.
  await page.goto(`${base}#m=gpt-4.1&at=2025-11-01`, { waitUntil: "commit" });
  await page.waitForFunction(() => performance.getEntriesByName("tariff-catalog-ready").length === 1, null, { timeout: 20_000 });
  assert.equal(await page.evaluate(() => document.documentElement.dataset.ready), undefined, "app.js is still held");
  release();
  await page.waitForSelector("html[data-ready=true]", { timeout: 20_000 });
  await page.waitForFunction(() => performance.getEntriesByName("tariff-first-quote-painted").length === 1, null, { timeout: 20_000 });
  await page.close();
});

test("problems: a video model whose default resolution the tables lack asks for one, one click from the picker", async () => {
  const { page, problems } = await open("#m=wan2.7-t2v&at=2026-11-01&q=video_seconds:5");
  const card = page.locator(".bill").nth(0);
  await card.getByRole("button", { name: "Choose a resolution" }).click({ timeout: 20_000 });
  assert.match(await card.getByRole("alert").textContent(), /^Video resolution: wan2\.7-t2v is priced per resolution/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "q-resolution");
  await page.getByLabel("Video resolution", { exact: true }).selectOption("720p");
  const total = await page.evaluate(async () => {
    const { Calculator } = await import("./pkg-core/tariff_wasm_core.js");
    return new Calculator().quote("wan2.7-t2v", { video_seconds: 5, resolution: "720p" }, { at: "2026-11-01" }).total;
  });
  assert.match(await card.locator("tfoot .total-value").first().textContent(), new RegExp(`${total.replace(".", "\\.")}$`));
  assert.deepEqual(problems, []);
  await axeCheck(page);
  await page.close();
});

/** The first model's bill total, once it shows `want`. */
async function waitTotal(page, want, i = 0) {
  await page.locator(".bill").nth(i).locator("tfoot .total-value").getByText(want, { exact: true }).first().waitFor({ timeout: 10_000 });
}

test("words: the status line reports the action just taken, in the right number", async () => {
  // regression: it showed the action before ("1 models" when 2 were compared).
  const { page, problems } = await open("#m=gpt-4.1&at=2025-06-01&q=input_tokens:1000");
  const search = page.getByRole("combobox", { name: "Add a model" });
  await search.fill("claude-sonnet-4-5");
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Remove claude-sonnet-4-5" }).waitFor();
  assert.match(await page.locator("#summary").textContent(), /^claude-sonnet-4-5 added; 2 models compared\. /);
  await page.getByRole("button", { name: "Remove claude-sonnet-4-5" }).click();
  assert.match(await page.locator("#summary").textContent(), /^claude-sonnet-4-5 removed; 1 model compared\. /);
  await axeCheck(page);
  assert.deepEqual(problems, []);
  await page.close();
});

test("numbers: thousands separators, k and M, a decimal comma; read exactly; anything else named inline", async () => {
  // regression: "20k", "20 000" and "7,1" were refused; quantities went through floats.
  const { page, problems } = await open("#m=gpt-4.1&at=2025-06-01");
  const field = (label) => page.getByLabel(label, { exact: true });
  // gpt-4.1 on 2025-06-01: $2 / 1M input, $8 / 1M output.
  // 20,000 × 2 / 1M = 0.04; 1,500 × 8 / 1M = 0.012; total 0.052.
  for (const [inp, out] of [["20k", "1.5k"], ["20,000", "1,500"], ["20 000", "1 500"], ["0.02M", "1,5k"]]) {
    await field("Input tokens").fill(inp);
    await field("Output tokens").fill(out);
    await waitTotal(page, "$0.052");
  }
  // Suffixes shift the digits, never multiply floats: 4.35M is 4,350,000 tokens (4.35 × 1e6
  // is 4349999.999999999 in floats), × $2 / 1M = $8.7.
  await field("Output tokens").fill("");
  await field("Input tokens").fill("4.35M");
  await waitTotal(page, "$8.7");
  // The largest count the engine takes, 2^53 − 1, reaches it digit for digit:
  // 9,007,199,254,740,991 × 2 / 1M = 18,014,398,509.481982.
  await field("Input tokens").fill("9,007,199,254,740,991");
  await waitTotal(page, "$18,014,398,509.481982");
  // Anything else: an inline message naming the field, and no price.
  await field("Input tokens").fill("12 apples");
  await page.locator("#q-input_tokens-msg").getByText("Input tokens: “12 apples” is not a number").waitFor();
  assert.equal(await field("Input tokens").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator(".bill").count(), 0);
  assert.match(await page.locator("#summary").textContent(), /Fix the highlighted field: Input tokens/);
  await axeCheck(page);
  await field("Input tokens").fill("1.5");
  await page.locator("#q-input_tokens-msg").getByText("Input tokens: “1.5” is 1.5, not a whole number").waitFor();

  // An exchange rate with a decimal comma: 1,000 × $2 / 1M = $0.002 × 7.1 = ¥0.0142.
  await field("Input tokens").fill("1000");
  await page.locator("#currency").selectOption("CNY");
  await page.locator("#fx").fill("7,1");
  await waitTotal(page, "¥0.0142");
  // A bad rate is a rate, not a "quantity".
  await page.locator("#fx").fill("seven");
  await page.locator("#fx-help").getByText("1 USD in CNY: “seven” is not a rate").waitFor();
  const summary = await page.locator("#summary").textContent();
  assert.match(summary, /Fix the highlighted field: 1 USD in CNY/);
  assert.doesNotMatch(summary, /quantity/);
  await axeCheck(page);
  assert.deepEqual(problems, []);
  await page.close();
});

/** Compares non-negative decimal strings exactly. */
function cmpDec(a, b) {
  const [ai, af = ""] = a.split(".");
  const [bi, bf = ""] = b.split(".");
  if (ai.length !== bi.length) return ai.length - bi.length;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const n = Math.max(af.length, bf.length);
  return af.padEnd(n, "0").localeCompare(bf.padEnd(n, "0"));
}

const rankRow = (page, id) => page.locator(`#rank-table tbody tr[data-id="${id}"]`);

test("rank: every model priced for the usage, sortable, filterable, the cheapest marked, the rest listed with why", async () => {
  const { page, problems } = await open("#m=gpt-4.1&at=2025-06-01&q=input_tokens:1000,output_tokens:400");
  await rankRow(page, "gpt-4.1").waitFor();
  // What the engine says model by model, quoted one at a time here.
  const engine = await page.evaluate(async () => {
    const { Calculator } = await import("./pkg-core/tariff_wasm_core.js");
    const c = new Calculator();
    const out = { priced: {}, unpriced: [] };
    for (const m of c.models()) {
      try {
        const b = c.quote(m.id, { input_tokens: 1000, output_tokens: 400 }, { at: "2025-06-01" });
        out.priced[m.id] = [b.total, b.currency];
      } catch (e) {
        out.unpriced.push(m.id);
      }
    }
    return out;
  });
  const shown = await page.locator("#rank-table tbody tr").count();
  assert.equal(shown, Object.keys(engine.priced).length);
  const listed = await page.locator("#rank-unpriced li").count();
  assert.equal(listed, engine.unpriced.length, "every model the engine cannot price is listed");
  assert.ok(shown + listed >= 300, `${shown} + ${listed}`);
  // gpt-4.1: 1000 × $2 / 1M + 400 × $8 / 1M = $0.0052; its headline prices $2 and $8.
  const cells = await rankRow(page, "gpt-4.1").locator("td").allTextContents();
  assert.deepEqual(cells.slice(2, 5), ["$0.0052", "$2", "$8"]);
  // The cheapest USD row is marked, and is the engine's minimum.
  const usd = Object.entries(engine.priced).filter(([, [, c]]) => c === "USD").map(([, [t]]) => t);
  const min = usd.reduce((a, b) => (cmpDec(a, b) <= 0 ? a : b));
  const marked = await page.locator("#rank-table tbody tr.cheapest").evaluateAll((rs) => rs.map((r) => r.dataset.id));
  assert.ok(marked.length >= 1);
  for (const id of marked) {
    if (engine.priced[id][1] === "USD") assert.equal(engine.priced[id][0], min, id);
  }
  assert.match(await page.locator("#rank-summary").textContent(), /in one call to the engine/);
  // A video model cannot price tokens: listed, with the library's reason.
  assert.match(await page.locator("#rank-unpriced").textContent(), /sora-2: model `sora-2` has no price for `input_tokens`/);

  // Sorted by output price, descending on a second click, compared exactly.
  const out = page.locator("#rank-table thead button", { hasText: "Output / 1M" });
  await out.click();
  await out.click();
  assert.equal(await page.locator("#rank-table thead th", { hasText: "Output / 1M" }).getAttribute("aria-sort"), "descending");
  const order = await page.locator("#rank-table tbody tr").evaluateAll((rs) => rs.map((r) => r.dataset.id));
  const c = await page.evaluate(async (ids) => {
    const { Calculator } = await import("./pkg-core/tariff_wasm_core.js");
    const calc = new Calculator();
    return ids.map((id) => {
      try {
        const b = calc.quote(id, { output_tokens: 1000000 }, { at: "2025-06-01" });
        return [b.currency, b.total];
      } catch { return [null, null]; }
    });
  }, order);
  for (let i = 1; i < c.length; i++) {
    if (c[i][0] && c[i][0] === c[i - 1][0] && c[i - 1][1] !== null) {
      assert.ok(cmpDec(c[i - 1][1], c[i][1]) >= 0, `${order[i - 1]} before ${order[i]}`);
    }
  }

  // Filters: Anthropic's chat models only.
  await page.locator("#rank-provider").selectOption("anthropic");
  await page.locator("#rank-cap").selectOption("chat");
  const providers = await page.locator("#rank-table tbody tr td:nth-of-type(1)").allTextContents();
  assert.ok(providers.length >= 3 && providers.every((p) => p === "anthropic"), providers.join());
  // claude-sonnet-4 on 2025-06-01: 1000 × $3 / 1M + 400 × $15 / 1M = $0.009.
  assert.equal(await rankRow(page, "claude-sonnet-4").locator("td").nth(2).textContent(), "$0.009");
  await axeCheck(page);
  // Video: the few video models priced by tokens are ranked; the others are listed with why.
  await page.locator("#rank-provider").selectOption("");
  await page.locator("#rank-cap").selectOption("video");
  const caps = await page.locator("#rank-table tbody tr td:nth-of-type(2)").allTextContents();
  assert.ok(caps.every((c) => c.split(", ").includes("video")), caps.join("; "));
  assert.match(await page.locator("#rank-unpriced summary").textContent(), /\d+ models cannot price this usage/);

  // One click adds a ranked model to the comparison.
  await page.locator("#rank-cap").selectOption("chat");
  await rankRow(page, "claude-sonnet-4").getByRole("button", { name: "Compare claude-sonnet-4" }).click();
  await page.getByRole("button", { name: "Remove claude-sonnet-4" }).waitFor();
  assert.match(await page.locator("#summary").textContent(), /^claude-sonnet-4 added; 2 models compared\. /);
  await axeCheck(page);
  assert.deepEqual(problems, []);
  await page.close();
});

test("rank: a pasted response's usage ranks every model", async () => {
  const { page, problems } = await open("#m=gpt-4.1&at=2025-11-01");
  const body = fs.readFileSync(path.join(repoDir, "tests/fixtures/responses/anthropic-stream.sse"), "utf8");
  await page.getByText("Fill from a pasted response or request body").click();
  await page.getByLabel("Response body (JSON, or a saved SSE stream)").fill(body);
  await page.getByRole("button", { name: "Fill usage from response" }).click();
  await page.getByText(/^Read as anthropic:/).waitFor();
  const cached = await page.getByLabel("Cached input tokens", { exact: true }).inputValue();
  assert.equal(cached, "3000");
  await page.waitForFunction(() => document.querySelector('#rank-table tbody tr[data-id="claude-sonnet-4-5"]'));
  const u = await page.evaluate(async () => {
    const { Calculator } = await import("./pkg/tariff_wasm.js");
    return new Calculator().usageOfResponse("anthropic", document.querySelector("#body").value);
  });
  const expected = await page.evaluate(async (u) => {
    const { Calculator } = await import("./pkg-core/tariff_wasm_core.js");
    return new Calculator().quote("claude-sonnet-4-5", u, { at: "2025-11-01" }).total;
  }, u);
  assert.equal(await rankRow(page, "claude-sonnet-4-5").locator("td").nth(2).textContent(), `$${expected}`);
  await axeCheck(page);
  assert.deepEqual(problems, []);
  await page.close();
});

test("projection: requests per day or month give each model's monthly cost, every line multiplied exactly", async () => {
  const { page, problems } = await open("#m=gpt-4.1&at=2025-06-01&q=input_tokens:1000,output_tokens:400");
  // 1,234 a day × 30 = 37,020 requests; gpt-4.1: 0.002 × 37,020 = 74.04 input,
  // 0.0032 × 37,020 = 118.464 output, 192.504 in all.
  await page.locator("#requests").fill("1,234");
  const table = page.locator(".bill table.projection");
  await table.locator("tfoot .total-value").getByText("$192.504", { exact: true }).waitFor();
  assert.equal(await table.locator("caption").textContent(), "Per month: 37,020 requests to gpt-4.1");
  assert.deepEqual(await table.locator("tbody td:nth-child(2)").allTextContents(), ["$74.04", "$118.464"]);
  await page.waitForFunction(() => document.querySelector('#rank-table tbody tr[data-id="gpt-4.1"]')?.textContent.includes("$192.504"));
  await axeCheck(page);
  // Per month, typed with a suffix: 20,000 × 0.0052 = 104.
  await page.locator("#per").selectOption("month");
  await page.locator("#requests").fill("20k");
  await table.locator("tfoot .total-value").getByText("$104", { exact: true }).waitFor();
  await page.locator("#requests").fill("lots");
  await page.locator("#requests-help").getByText("Requests like this: “lots” is not a number").waitFor();
  assert.equal(await page.locator("#requests").getAttribute("aria-invalid"), "true");
  assert.deepEqual(problems, []);
  await page.close();
});

test("tokens: the prompt's tokens one by one for every exact encoding; a model without a tokenizer is an estimate", async () => {
  const { page, problems } = await open("#m=gpt-4.1,claude-sonnet-4-5&at=2025-06-01");
  const text = "Prices are data, 价格是数据。 Crabs: 🦀🦀 naïve   spacing";
  await page.getByText("Count the tokens of a prompt").click();
  await page.locator("#prompt").fill(text);
  await page.getByRole("button", { name: "Count and use as input tokens" }).click();
  await page.locator("#tokens .tok").first().waitFor();
  for (const enc of ["o200k_base", "cl100k_base", "o200k_harmony"]) {
    await page.getByRole("radio", { name: new RegExp(`^${enc}:`) }).check();
    await page.waitForFunction((e) => document.querySelector("#tokens").dataset.encoding === e, enc);
    const spans = await page.locator("#tokens .tok").evaluateAll((s) => s.map((x) => [x.textContent, x.title]));
    assert.equal(spans.map(([t]) => t).join(""), text, enc);
    // The ids shown are the reference tokenizer's (gpt-tokenizer), in order.
    const ids = spans.flatMap(([, title]) => title.match(/\d+/g).slice(title.startsWith("token ") ? 0 : 1).map(Number));
    const mod = await import(`gpt-tokenizer/encoding/${enc === "o200k_harmony" ? "o200k_base" : enc}`);
    assert.deepEqual(ids, mod.encode(text), enc);
    const label = await page.getByRole("radio", { name: new RegExp(`^${enc}:`) }).locator("..").textContent();
    assert.equal(label, `${enc}: ${ids.length} tokens`);
  }
  const notes = await page.locator("#token-estimates").textContent();
  assert.match(notes, /gpt-4\.1: \d+ tokens, exact \(o200k_base\)/);
  assert.match(notes, /claude-sonnet-4-5: about \d+ tokens, an estimate \(approx:claude/);
  await axeCheck(page);
  assert.deepEqual(problems, []);
  await page.close();
});

test("history: a model's price over time from its schedules, and what this usage cost on a date", async () => {
  const { page, problems } = await open("#m=claude-3-5-haiku&at=2025-06-01&q=input_tokens:1000,output_tokens:400");
  await page.locator("#history-table tbody tr").first().waitFor();
  // Claude 3.5 Haiku: $1 / $5 from 2024-11-04, $0.80 / $4 from 2024-12-04.
  const rows = await page.locator("#history-table tbody tr").evaluateAll((rs) => rs.map((r) => [...r.cells].slice(0, 5).map((c) => c.textContent)));
  assert.deepEqual(rows, [
    ["2024-11-04", "2024-12-04", "$1", "$5", "$0.003"], // 1000 × 1 / 1M + 400 × 5 / 1M
    ["2024-12-04", "now", "$0.8", "$4", "$0.0024"], // 1000 × 0.8 / 1M + 400 × 4 / 1M
  ]);
  const steps = await page.locator('#history-chart path[data-series="input"]').getAttribute("d");
  assert.equal(steps.match(/M/g).length, 2, steps);
  await page.locator("#history-at").fill("2024-11-20");
  await page.locator("#history-cost").getByText("On 2024-11-20, this usage cost $0.003 on claude-3-5-haiku").waitFor();
  await page.locator("#history-at").fill("2024-10-01");
  await page.locator("#history-cost").getByText(/^On 2024-10-01, claude-3-5-haiku could not price this usage/).waitFor();
  await axeCheck(page);
  assert.deepEqual(problems, []);
  await page.close();
});
