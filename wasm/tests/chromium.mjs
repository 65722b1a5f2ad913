// Debian's Chromium, for the browser tests (tests/browser.mjs) and the report check
// (tests/reconcile-report.mjs).
import { execFileSync } from "node:child_process";

/** The path of the installed Chromium; throws with the install hint when there is none. */
export function chromiumPath() {
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      return execFileSync("which", [name], { encoding: "utf8" }).trim();
    } catch { /* try the next name */ }
  }
  throw new Error("Chromium is not installed (apt-get install -y chromium)");
}
