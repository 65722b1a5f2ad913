// The Calculator's surface beyond the golden vectors: responses, options, errors, models.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { tariff, repoDir, nativeResults } from "./helpers.mjs";

const calc = new tariff.Calculator();
const fixtures = path.join(repoDir, "tests/fixtures/responses");

test("a response body is metered and priced as its usage record would be", () => {
  const body = JSON.stringify({
    object: "chat.completion",
    model: "gpt-4.1",
    usage: {
      prompt_tokens: 10000, completion_tokens: 500, total_tokens: 10500,
      prompt_tokens_details: { cached_tokens: 4000 },
    },
  });
  const bill = calc.quoteResponse("openai-chat", "gpt-4.1", body, undefined, { at: "2025-06-01" });
  // The golden gpt-4.1 case: 6000 × $2 + 4000 × $0.50 + 500 × $8 per 1M.
  assert.equal(bill.total, "0.018");
  const usage = calc.usageOfResponse("openai-chat", body);
  assert.deepEqual(usage, { input_tokens: 6000, cache_read_tokens: 4000, output_tokens: 500 });
  assert.deepEqual(calc.quote("gpt-4.1", usage, { at: "2025-06-01" }), bill);
});

test("every response fixture of the library reads as natively", () => {
  const { responses } = nativeResults();
  assert.ok(responses.length >= 8, `${responses.length} fixtures`);
  assert.ok(responses.filter((r) => r.usage).length >= 8, "most fixtures are read");
  for (const r of responses) {
    const text = fs.readFileSync(path.join(fixtures, r.file), "utf8");
    const request = r.request ? fs.readFileSync(path.join(fixtures, r.request), "utf8") : undefined;
    if (r.error) {
      // The same refusal, word for word.
      assert.throws(() => calc.usageOfResponse(r.api, text, request), { message: r.error }, r.file);
    } else {
      assert.deepEqual(calc.usageOfResponse(r.api, text, request), r.usage, r.file);
    }
  }
});

test("options: date, service tier, currency and quota", () => {
  const usage = { input_tokens: 1000, output_tokens: 400 };
  const base = calc.quote("claude-sonnet-4-5", usage, { at: "2025-11-01" });
  assert.equal(base.total, "0.009");
  assert.equal(base.at, "2025-11-01T00:00:00Z");
  const q = calc.quote("claude-sonnet-4-5", usage, {
    at: "2025-11-01", currency: "quota", quota: { groupRatio: "0.5", rounding: "floor" },
  });
  assert.deepEqual(q.quota, { units: 2250, exact: "2250" });
  const cny = calc.quote("claude-sonnet-4-5", usage, {
    at: "2025-11-01", currency: "CNY",
    fx: [{ from: "USD", to: "CNY", rate: "7.1", date: "2025-01-01" }],
  });
  assert.equal(cny.currency, "CNY");
  assert.equal(cny.total, "0.0639");
  const batch = calc.quote("gpt-5", { input_tokens: 100000, output_tokens: 5000 }, {
    at: "2025-09-01", serviceTier: "batch",
  });
  assert.equal(batch.service_tier, "batch");
  assert.equal(batch.total, "0.0875"); // 100000 × 0.625 + 5000 × 5 per 1M
});

test("exchange rates: refused when negative, zero or given twice; inverted in exact decimal", () => {
  const usage = { input_tokens: 1000, output_tokens: 400 };
  const at = "2025-11-01";
  const rate = (r, date = "2025-01-01") => ({ from: "USD", to: "CNY", rate: r, date });
  for (const [fx, why] of [
    [[rate("-7.1")], /must be positive/],
    [[rate(0)], /must be positive/],
    [[rate("7.1"), rate("7.2")], /given twice/],
  ]) {
    assert.throws(() => calc.quote("claude-sonnet-4-5", usage, { at, currency: "CNY", fx }), { message: why });
  }
  // 1 / 7.1 = 0.140845070422|535…, rounded half-even to 12 places; a float would print
  // 0.140845070423 too, but only by luck of the digits: the module never uses one.
  const inv = calc.fxInverse(rate("7.1"));
  assert.equal(inv.rate, "0.140845070423");
  assert.deepEqual([inv.from, inv.to], ["CNY", "USD"]);
  assert.match(inv.source, /half_even to 12 places/);
  // 1 / 3 to 28 places is beyond what a float holds; the module keeps every digit.
  assert.equal(calc.fxInverse(rate("3"), 28).rate, "0.3333333333333333333333333333");
  assert.throws(() => calc.fxInverse(rate("0")), { message: /must be positive/ });
});

test("a quote without a date is priced now", () => {
  const bill = calc.quote("gpt-4.1", { input_tokens: 1 });
  assert.ok(Math.abs(Date.parse(bill.at) - Date.now()) < 60_000, bill.at);
});

test("errors are thrown as Errors with the library's messages", () => {
  assert.throws(() => calc.quote("claude-sonet-4-5", {}), {
    name: "Error",
    message: /unknown model `claude-sonet-4-5`.*claude-sonnet-4-5/s,
  });
  assert.throws(() => calc.quote("gpt-4.1", { input_tokenz: 5 }), /input_tokenz/);
  assert.throws(() => calc.quote("gpt-4.1", { input_tokens: -5 }), /input_tokens/);
  assert.throws(() => calc.quote("gpt-4.1", {}, { serviceTier: "turbo" }), /serviceTier `turbo`/);
  assert.throws(() => calc.quote("gpt-4.1", {}, { at: "yesterday" }), /at `yesterday`/);
  assert.throws(() => calc.quote("gpt-4.1", {}, { currency: "CNY" }), /CNY/);
  assert.throws(() => calc.quote("gpt-4.1", {}, { colour: "red" }), /options: unknown field `colour`/);
  assert.throws(() => calc.quoteResponse("openai", "gpt-4.1", "{}"), /unknown format `openai`; formats: openai-chat/);
  assert.throws(() => calc.quoteResponse("anthropic", "gpt-4.1", "{not json"), /anthropic body is not valid/);
  // Never a price for a bad input: nothing is returned at all.
});

test("models: every model, with the units and variants its inputs need", () => {
  const models = calc.models("2025-11-01");
  assert.ok(models.length > 100, `${models.length} models`);
  const ids = new Set(models.map((m) => m.id));
  assert.equal(ids.size, models.length, "ids are unique");
  for (const m of models) {
    assert.ok(m.provider && m.kind, m.id);
    assert.ok(m.units.length > 0, `${m.id} prices no unit`);
  }
  const o4 = models.find((m) => m.id === "o4-mini");
  assert.ok(o4.units.includes("reasoning_tokens"));
  assert.equal(o4.encoding, "o200k_base");
  const images = models.filter((m) => m.units.includes("images"));
  for (const m of images) assert.ok(m.imageVariants.length > 0, m.id);
});

test("estimate: a request's upper bound, as the library computes it", () => {
  const request = JSON.stringify({ model: "gpt-4o", max_tokens: 500, messages: [{ role: "user", content: "Hello there" }] });
  const est = calc.estimate("openai-chat", "gpt-4o", request);
  assert.equal(est.api, "openai-chat");
  assert.equal(est.counter, "o200k_base");
  assert.equal(est.usage.output_tokens, 500);
  assert.equal(est.usage.estimated, true);
  assert.equal(est.parts.reduce((n, p) => n + p.tokens, 0), est.usage.input_tokens + est.usage.output_tokens);
  const bill = calc.quote("gpt-4o", est.usage, { at: "2025-11-01" });
  assert.equal(bill.estimated, true);
  assert.throws(() => calc.estimate("openai-chat", "gpt-4o", "{nope"), /openai-chat/);
});

test("detect: the library's recognition of a pasted body; estimate with \"auto\" goes by it", () => {
  const sse = fs.readFileSync(path.join(repoDir, "tests/fixtures/responses/anthropic-stream.sse"), "utf8");
  const d = calc.detect(sse);
  assert.equal(d.form, "stream");
  assert.equal(d.api, "anthropic");
  assert.deepEqual(d.candidates, ["anthropic"]);
  assert.equal(d.model, "claude-sonnet-4-5-20250929");
  assert.ok(d.events > 1, `${d.events} events`);
  const chat = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "Hi" }] });
  assert.deepEqual(calc.detect(chat), { form: "request", api: null, candidates: ["openai-chat", "anthropic"], model: "gpt-4o", events: 0 });
  assert.deepEqual(calc.detect("not json"), { form: "other", api: null, candidates: [], model: null, events: 0 });
  const request = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 300, messages: [{ role: "user", content: "Hello there" }] });
  assert.equal(calc.estimate("auto", "claude-sonnet-4-5", request).api, "anthropic");
  assert.equal(calc.readResponse("auto", sse).api, "anthropic");
});
