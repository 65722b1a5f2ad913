// The library's golden vectors, priced by the WebAssembly module: every total as the
// vendor's price page gives it, and every bill identical to the native one, line for line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tariff, goldenCases } from "./helpers.mjs";

const calc = new tariff.Calculator();
const cases = goldenCases();

test("there are golden vectors to check", () => {
  assert.ok(cases.length >= 30, `only ${cases.length} cases`);
});

for (const c of cases) {
  test(`${c.file}: ${c.name}`, () => {
    assert.equal(c.native_error, null, `native error: ${c.native_error}`);
    const bill = calc.quote(c.model, JSON.parse(c.usage));
    assert.equal(bill.total, c.total, "total against the hand-computed golden value");
    assert.equal(bill.currency, c.currency);
    // The whole bill, lines, schedule and conditions included, as the native library's.
    assert.deepEqual(bill, c.native);
    assert.equal(bill.lines.length, c.native.lines.length);
    for (const [i, line] of bill.lines.entries()) {
      assert.deepEqual(line, c.native.lines[i], `line ${i}`);
    }
  });
}

test("the usage may also be passed as JSON text", () => {
  const c = cases[0];
  assert.deepEqual(calc.quote(c.model, c.usage), c.native);
});
