#!/usr/bin/env bash
# The service benchmarks of BENCHMARKS.md in one run: a release `tariff serve` on a
# loopback port with a temporary SQLite ledger, then the bounded load client
# (examples/load.rs): /v1/quote, durable hold → settle pairs, and the peer a relay has
# without the service — one `tariff quote` process per request. With
# TARIFF_BENCH_POSTGRES_URL set, the pairs again on that PostgreSQL database.
# Usage: bash crates/serve/bench.sh [QUOTE_CONNS QUOTE_REQS PAIR_CONNS PAIR_REQS CLI_WORKERS CLI_REQS]
set -euo pipefail
cd "$(dirname "$0")/../.."
QC=${1:-32} QN=${2:-2000} PC=${3:-16} PN=${4:-200} CW=${5:-2} CN=${6:-200}
cargo build --release --quiet -p tariff-cli --bin tariff
cargo build --release --quiet -p tariff-serve --example load
BIN=target/release/tariff LOAD=target/release/examples/load
DIR=$(mktemp -d /tmp/tariff-bench.XXXXXX)
export TARIFF_TOKENS=admin:bench-admin
serve() {
  "$BIN" serve --listen 127.0.0.1:0 --db "$1" >"$DIR/out" 2>"$DIR/err" &
  PID=$!
  for _ in $(seq 100); do grep -q listening "$DIR/out" 2>/dev/null && break; sleep 0.1; done
  ADDR=$(sed -n 's|listening on http://||p' "$DIR/out")
  [ -n "$ADDR" ] || { cat "$DIR/err"; kill "$PID"; exit 1; }
}
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
serve "sqlite://$DIR/ledger.db"
"$LOAD" "$ADDR" bench-admin quote 4 200 >/dev/null # warm-up
"$LOAD" "$ADDR" bench-admin quote "$QC" "$QN"
"$LOAD" "$ADDR" bench-admin pair "$PC" "$PN"
kill "$PID"; wait "$PID" || true
"$LOAD" "$BIN" - cli "$CW" "$CN"
if [ -n "${TARIFF_BENCH_POSTGRES_URL:-}" ]; then
  serve "$TARIFF_BENCH_POSTGRES_URL"
  echo -n "postgres "; "$LOAD" "$ADDR" bench-admin pair "$PC" "$PN"
  kill "$PID"; wait "$PID" || true
fi
echo "== load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
