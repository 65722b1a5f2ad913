#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (FUZZ_SECONDS each, default 20), seeded with the
# test fixtures. Installs cargo-fuzz when missing. The fuzz crate needs nightly-only flags;
# RUSTC_BOOTSTRAP lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-20}"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2

# Seeds live under target/ (rebuilt each run, never committed).
seeds=target/seeds
rm -rf "$seeds" && mkdir -p "$seeds/extract" "$seeds/usage_json" "$seeds/price_tables"
i=0
for f in ../tests/fixtures/responses/* ../tests/fixtures/responses/*/*; do
  [ -f "$f" ] || continue
  # The first byte picks the family, the second the read size; every pick in 0..15 so
  # each fixture meets every family.
  for pick in $(seq 0 15); do
    { printf "\\x$(printf %02x "$pick")\\x07"; cat "$f"; } > "$seeds/extract/$i-$pick"
  done
  i=$((i + 1))
done
printf '%s' '{"input_tokens": 1000, "cache_read_tokens": 200, "output_tokens": 50, "at": "2025-11-01T00:00:00Z"}' \
  > "$seeds/usage_json/basic"
cp ../tests/fixtures/acme.toml "$seeds/price_tables/"

cargo fuzz build -O
for target in extract usage_json price_tables; do
  echo "fuzz: $target for ${seconds}s"
  mkdir -p "target/corpus/$target"
  cargo fuzz run -O "$target" "target/corpus/$target" "$seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=0 2>&1 | tail -n 3
done
