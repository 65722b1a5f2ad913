// Runs the estimates of headers.test.mjs off the main thread, so that the test can stop a
// call that does not return. Posts one message before each call and one with the
// result, so the test knows which input hung.
import { parentPort, workerData } from "node:worker_threads";
import { tariff } from "./helpers.mjs";

for (const [i, c] of workerData.cases.entries()) {
  parentPort.postMessage({ i, started: true });
  let result;
  try {
    // A fresh calculator each call: a panic leaves the one it ran in borrowed.
    new tariff.Calculator().estimate(c.api, c.model, c.request);
    result = { ok: true };
  } catch (e) {
    // A typed error is a JavaScript `Error` built from the library's message; a panic
    // (or an overflow trap) arrives as a `WebAssembly.RuntimeError`.
    result = {
      ok: false,
      runtime: e instanceof WebAssembly.RuntimeError,
      typed: e instanceof Error && !(e instanceof WebAssembly.RuntimeError),
      message: String(e?.message ?? e).slice(0, 300),
      name: e?.constructor?.name,
    };
  }
  parentPort.postMessage({ i, ...result });
}
parentPort.postMessage({ done: true });
