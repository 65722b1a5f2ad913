#!/usr/bin/env bash
# Compares the price tables with the newest releases of LiteLLM and genai-prices on PyPI.
#
#   bash tools/refresh-sources.sh [--keep DIR] [-- EXTRA ARGS FOR `tariff sources diff`]
#
# Downloads both wheels (`pip download --no-deps`) into a temporary directory, extracts
# LiteLLM's `model_prices_and_context_window_backup.json`, dumps genai-prices'
# `genai_prices.data.providers` field by field (the shape of
# ../shared/reference/genai-prices-*-providers.json: Decimals and dates as strings; the
# package's data is Python, so it is imported in a throwaway venv with its dependencies),
# then runs `tariff sources diff` against each and `tariff sources check` against both
# (and the pinned genai-prices data file of ../shared/reference/, which PyPI does not ship)
# with pricing/disagreements.toml. `--keep DIR` copies the extracted files to DIR (to
# replace the pinned snapshots CI checks against). Exits with the check's status.
set -euo pipefail
cd "$(dirname "$0")/.."

KEEP=""
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP="$2"; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "== downloading the newest litellm and genai-prices wheels into $TMP"
"$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
  --only-binary=:all: -d "$TMP/wheels" litellm genai-prices
LL_WHEEL=$(ls "$TMP"/wheels/litellm-*.whl)
GP_WHEEL=$(ls "$TMP"/wheels/genai_prices-*.whl)
echo "   $(basename "$LL_WHEEL")"
echo "   $(basename "$GP_WHEEL")"

LL_JSON="$TMP/litellm-model-prices.json"
"$PYTHON" - "$LL_WHEEL" "$LL_JSON" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist()
                if n.endswith("litellm/model_prices_and_context_window_backup.json"))
    open(sys.argv[2], "wb").write(z.read(name))
PY

echo "== dumping genai_prices.data.providers"
"$PYTHON" -m venv "$TMP/venv"
"$TMP/venv/bin/pip" install --quiet --disable-pip-version-check "$GP_WHEEL"
GP_JSON="$TMP/genai-prices-providers.json"
"$TMP/venv/bin/python" - "$GP_JSON" <<'PY'
import dataclasses, json, sys
from importlib.metadata import version
from genai_prices.data import providers

def plain(x):
    """Dataclasses and plain objects (ModelPrice) field by field; Decimals, dates and times
    as their text: no binary floating point on the way."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if x is None or isinstance(x, (str, bool, int)):
        return x
    if hasattr(x, "__dict__"):
        return {k: plain(v) for k, v in vars(x).items() if not k.startswith("_") and v is not None}
    return str(x)

out = {
    "package": "genai-prices",
    "version": version("genai-prices"),
    "format": "genai_prices.data.providers dumped field by field; Decimal and dates as strings",
    "providers": [plain(p) for p in providers],
}
with open(sys.argv[1], "w") as f:
    json.dump(out, f, indent=1)
PY

cargo build --quiet
T=target/debug/tariff
for kind_file in "litellm:$LL_JSON" "genai-prices:$GP_JSON"; do
  kind=${kind_file%%:*}
  file=${kind_file#*:}
  echo
  echo "== tariff sources diff --from $kind ($(basename "$file"))"
  "$T" sources diff --from "$kind" "$file" "${EXTRA[@]}"
done

if [ -n "$KEEP" ]; then
  mkdir -p "$KEEP"
  cp "$LL_JSON" "$GP_JSON" "$KEEP/"
  echo "kept in $KEEP"
fi

# Entries written against genai-prices' JSON data file (which PyPI does not ship) are judged
# with the pinned copy beside the clone, when there is one, so that they are not reported
# stale only because that file was left out.
PINNED=()
for f in "${REF:-../shared/reference}"/genai-prices-data-*.json; do
  [ -e "$f" ] && PINNED+=(--genai-prices "$f")
done
echo
echo "== tariff sources check (pricing/disagreements.toml)"
"$T" sources check --disagreements pricing/disagreements.toml \
  --litellm "$LL_JSON" --genai-prices "$GP_JSON" "${PINNED[@]}"
