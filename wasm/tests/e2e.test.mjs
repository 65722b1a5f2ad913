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

async function open(hash = "") {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  await page.goto(base + hash);
  await page.waitForSelector("html[data-ready=true]", { timeout: 10_000 });
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
  await page.getByText("is not a whole number").first().waitFor();
  assert.equal(await page.locator(".bill").count(), 0);
  assert.equal(await page.getByLabel("Output tokens", { exact: true }).getAttribute("aria-invalid"), "true");
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
  await page.close();
});
