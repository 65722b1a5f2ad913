// Shared by the Node tests: the Node-target package, and the golden vectors as JSON with
// the native library's bills (written by examples/golden_json.rs).
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const wasmDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repoDir = path.resolve(wasmDir, "..");

const require = createRequire(import.meta.url);
/** The Node-target build of the package (build.sh writes it to pkg-node/). */
// TARIFF_WASM_PKG points at another build of it (to compare build settings).
export const tariff = require(path.join(process.env.TARIFF_WASM_PKG ?? path.join(wasmDir, "pkg-node"), "tariff_wasm.js"));

let golden;
/** `{cases, responses}`: every golden case with `native` (the native bill) or
 * `native_error`, and every response fixture with the `usage` (or `error`) the native
 * extractors read from it. */
export function nativeResults() {
  golden ??= JSON.parse(
    execFileSync(
      "cargo",
      ["run", "--quiet", "--manifest-path", path.join(wasmDir, "Cargo.toml"), "--example", "golden_json"],
      { encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "inherit"] },
    ),
  );
  return golden;
}

/** Every golden case, with `native` (the native bill) or `native_error`. */
export function goldenCases() {
  return nativeResults().cases;
}
