#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (FUZZ_SECONDS each, default 20; 9 targets, so
# about 3 minutes of fuzzing), built with overflow checks and debug assertions on
# (`-O --debug-assertions`: optimized, but a wrapped count panics as in a debug build).
# Each target starts from its committed corpus (fuzz/corpus/<target>, minimized with
# `cargo fuzz cmin`) plus seeds rebuilt here from the test fixtures. New inputs go to
# target/corpus/ (never committed); a crash or a hang (an input over 10 s) fails the run
# (after the other targets have run) and leaves the input under fuzz/artifacts/<target>/.
# Installs cargo-fuzz when missing. The fuzz crate needs nightly-only flags;
# RUSTC_BOOTSTRAP lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-20}"
targets=(estimate media_headers extract usage_json reconcile importers classify price_tables snapshot)
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2

# Seeds live under target/ (rebuilt each run, never committed).
seeds=target/seeds
rm -rf "$seeds"
for target in "${targets[@]}"; do mkdir -p "$seeds/$target"; done
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
# The importers' first byte picks the importer (1: LiteLLM); the classifier's picks the
# mode (2: a rules file) and the next two give a status (500).
{ printf '\x01'; cat ../tests/fixtures/litellm-sample.json; } > "$seeds/importers/litellm-sample"
# The snapshot target's first byte picks the mode (2: edits to the built-in snapshot).
printf '\x02\x10\x00\x00\x00\x01\x00\x01\x00\x00\x80' > "$seeds/snapshot/two-edits"
printf '\x00TRFCAT\x00\x02' > "$seeds/snapshot/header-only"
{ printf '\x02\x01\xf4'; cat ../tests/fixtures/error_catalogue.toml; } > "$seeds/classify/error-catalogue"

cargo fuzz build -O --debug-assertions

# The build must check overflow: the probe adds 1 to u64::MAX on an input starting with `+`.
printf '+' > target/overflow-probe-input
if cargo fuzz run -O --debug-assertions overflow_probe target/overflow-probe-input >target/overflow-probe.log 2>&1 \
  || ! grep -q 'attempt to add with overflow' target/overflow-probe.log; then
  echo "fuzz: the build does not check integer overflow (see fuzz/target/overflow-probe.log)" >&2
  exit 1
fi
rm -rf artifacts/overflow_probe

failed=()
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds}s"
  mkdir -p "target/corpus/$target" "corpus/$target"
  rc=0
  cargo fuzz run -O --debug-assertions "$target" "target/corpus/$target" "corpus/$target" "$seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"target/$target.log" 2>&1 || rc=$?
  # libFuzzer's chatter stays in the log; the run's size, and any failure, is shown.
  grep -E '^(stat::number_of_executed_units|==[0-9]+==|thread .* panicked|SUMMARY|artifact_prefix|Test unit written|ALARM)' \
    "target/$target.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "target/$target.log" >&2
    echo "fuzz: $target failed (the input is under fuzz/artifacts/$target/)" >&2
    failed+=("$target")
  fi
done
# Every target runs even when one fails, so one run reports every failing target.
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
