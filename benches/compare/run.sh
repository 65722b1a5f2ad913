#!/usr/bin/env bash
# Side-by-side: tariff vs LiteLLM `cost_per_token` vs genai-prices `calc_price`, pricing the
# same usage records, one process each, on one core each. See BENCHMARKS.md.
#
#   bash benches/compare/run.sh
#
# Knobs (environment): N (records, default 10000), SEED (default 20251101), REPEAT (passes
# of each Python tool, best kept; default 5), TARIFF_REPEAT (default 50), PYTHON (default
# python3). Everything lands in target/compare/; the venv in target/compare-venv/.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-10000}
SEED=${SEED:-20251101}
REPEAT=${REPEAT:-5}
TARIFF_REPEAT=${TARIFF_REPEAT:-50}
PYTHON=${PYTHON:-python3}
VENV=target/compare-venv
OUT=target/compare
HERE=benches/compare

# Both libraries price offline: LiteLLM reads the cost map it ships instead of fetching it.
export LITELLM_LOCAL_MODEL_COST_MAP=True

mkdir -p "$OUT"
if ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    "$PYTHON" -m venv "$VENV"
fi
# Install the pinned versions unless they are already there.
pinned() {
    "$VENV/bin/python" - "$HERE/requirements.txt" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, want = line.split("==")
        try:
            assert version(name) == want
        except (PackageNotFoundError, AssertionError):
            sys.exit(1)
PY
}
pinned || "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
"$VENV/bin/pip" freeze --disable-pip-version-check > "$OUT/pip-freeze.txt"

echo "== records: $N, seed $SEED -> $OUT/records.jsonl"
"$VENV/bin/python" "$HERE/gen.py" "$OUT/records.jsonl" "$N" "$SEED"

echo "== tariff (cargo run --release --example price_records)"
cargo build --release --quiet --example price_records
target/release/examples/price_records "$OUT/records.jsonl" \
    --repeat "$TARIFF_REPEAT" --totals "$OUT/tariff.tsv" | tee "$OUT/tariff.txt"

echo "== LiteLLM and genai-prices (best of $REPEAT), and the comparison"
"$VENV/bin/python" "$HERE/compare.py" "$OUT/records.jsonl" "$OUT/tariff.txt" "$OUT/tariff.tsv" \
    --repeat "$REPEAT" --out "$OUT" | tee "$OUT/report.txt"
echo
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "files: $OUT/report.txt, $OUT/costs.tsv, $OUT/disagreements.tsv"
