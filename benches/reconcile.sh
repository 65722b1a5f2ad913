#!/usr/bin/env bash
# Whole-process benchmark of `tariff reconcile`: generates logs with `tariff synth` into
# a scratch directory (never committed), then times reconcile with /usr/bin/time -v
# (wall time, CPU time, peak RSS).
#
#   bash benches/reconcile.sh                  # 10,000,000 canonical JSONL rows + 1,000,000 of each other format
#   ROWS=1000000 OTHER_ROWS=100000 bash benches/reconcile.sh
#
# Knobs: ROWS (canonical JSONL rows), OTHER_ROWS (rows of the other formats), DIR
# (scratch directory, default /tmp/tariff-reconcile-bench), THREADS (default: every core),
# KEEP=1 to keep the generated files.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-10000000}
OTHER_ROWS=${OTHER_ROWS:-1000000}
DIR=${DIR:-/tmp/tariff-reconcile-bench}
THREADS=${THREADS:-}
mkdir -p "$DIR"

cargo build --release --quiet
T=target/release/tariff
threads=()
[ -n "$THREADS" ] && threads=(--threads "$THREADS")

echo "machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
run() { # name rows format
    local name=$1 rows=$2 format=$3 file="$DIR/$1"
    if [ ! -s "$file" ]; then
        /usr/bin/time -f "  generated in %e s" "$T" synth --rows "$rows" --format "$format" --seed 1 \
            --inject price,cache,reasoning,missing,rounding,unknown --rate 0.01 --out "$file"
    fi
    echo "== $name: $rows rows, $(du -h "$file" | cut -f1)"
    /usr/bin/time -v "$T" reconcile "${threads[@]}" --by model,day "$file" >"$DIR/$name.report" 2>"$DIR/$name.time"
    local wall user sys rss
    wall=$(grep "Elapsed (wall clock)" "$DIR/$name.time" | awk '{print $NF}')
    user=$(grep "User time" "$DIR/$name.time" | awk '{print $NF}')
    sys=$(grep "System time" "$DIR/$name.time" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$DIR/$name.time" | awk '{print $NF}')
    head -1 "$DIR/$name.report"
    python3 - "$rows" "$wall" "$user" "$sys" "$rss" <<'PY'
import sys
rows, wall, user, sys_, rss = sys.argv[1:]
parts = [float(p) for p in wall.split(":")]
secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
cpu = float(user) + float(sys_)
print(f"  wall {secs:.2f} s = {int(rows) / secs:,.0f} rows/s; CPU {cpu:.2f} s = {cpu / int(rows) * 1e6:.2f} µs/row "
      f"({int(rows) / cpu:,.0f} rows per CPU-second); peak RSS {int(rss) / 1024:.1f} MB")
PY
}
run canonical.jsonl "$ROWS" canonical-jsonl
run canonical.csv "$OTHER_ROWS" canonical-csv
run new-api.jsonl "$OTHER_ROWS" new-api-jsonl
run new-api.csv "$OTHER_ROWS" new-api-csv
[ "${KEEP:-}" = 1 ] || rm -f "$DIR"/canonical.jsonl "$DIR"/canonical.csv "$DIR"/new-api.jsonl "$DIR"/new-api.csv
