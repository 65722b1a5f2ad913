"""The Python package measured in one process on the same records (for BENCHMARKS.md; not yet run on a release wheel):
per-record `tariff.quote` against genai-prices' `calc_price` and LiteLLM's
`cost_per_token` (the records and the two tools' set-up of benches/compare), `quote_arrow`
rows per second on 1,000,000 rows (one thread, then two), and the import time of `tariff`.

Usage: python python/bench/bench.py RECORDS.jsonl [--repeat N] [--rows N]
(RECORDS.jsonl from `python benches/compare/gen.py RECORDS.jsonl 10000 20251101`).
Run in a venv with a release wheel of python/, pyarrow, and the pinned
benches/compare/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "benches" / "compare"))


def import_ms(module: str, runs: int = 5) -> float:
    """Best wall time of `import module` in a fresh interpreter, in ms (interpreter start-up excluded)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return min(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout) * 1e3
        for _ in range(runs)
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("records")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rows", type=int, default=1_000_000)
    a = ap.parse_args()

    print(f"import tariff: {import_ms('tariff'):.1f} ms (best of 5, fresh interpreter)")
    import compare  # the two libraries, offline, as the side-by-side sets them up
    import tariff

    recs = [json.loads(line) for line in open(a.records) if line.strip()]

    def tariff_prepare(rec):
        u = dict(rec["usage"])
        at = u.pop("at")
        return rec["model"], u, at

    def tariff_call(p):
        model, usage, at = p
        return tariff.quote(model, usage, at=at).total

    tools = [("tariff.quote (.total)", tariff_prepare, tariff_call)]
    for t in (compare.GenAIPrices(), compare.LiteLLM()):
        tools.append((t.name, t.prepare, t.call))
    rates = {}
    for name, prepare, call in tools:
        prepared = []
        for rec in recs:
            try:
                p = prepare(rec)
                call(p)
                prepared.append(p)
            except Exception:  # noqa: BLE001 -- a record a tool cannot price is left out of its timing
                pass
        best = float("inf")
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            for p in prepared:
                call(p)
            best = min(best, time.perf_counter() - t0)
        rates[name] = len(prepared) / best
        print(f"{name}: {len(prepared)} records, {best / len(prepared) * 1e6:.2f} µs/record, {rates[name]:,.0f}/s")
    base = rates["tariff.quote (.total)"]
    for name, r in rates.items():
        print(f"  tariff.quote is {base / r:.1f}x {name}")

    import pyarrow as pa

    n = a.rows
    reps = (n + len(recs) - 1) // len(recs)
    cols = {"model": [], "at": []}
    buckets = sorted({k for r in recs for k in r["usage"] if k != "at"})
    for b in buckets:
        cols[b] = []
    for r in (recs * reps)[:n]:
        cols["model"].append(r["model"])
        cols["at"].append(r["usage"]["at"])
        for b in buckets:
            cols[b].append(r["usage"].get(b, 0))
    table = pa.table(
        {
            "model": pa.array(cols["model"], pa.string()),
            "at": pa.array(cols["at"], pa.string()).cast(pa.timestamp("s", tz="UTC")),
            **{b: pa.array(cols[b], pa.int64()) for b in buckets},
        }
    )
    tariff.quote_arrow(table.slice(0, 1000))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        out = tariff.quote_arrow(table)
        best = min(best, time.perf_counter() - t0)
    errors = out.column("error").null_count
    print(f"quote_arrow: {n:,} rows, one thread: {best:.3f} s, {n / best:,.0f} rows/s ({n - errors} priced)")
    half = [table.slice(0, n // 2), table.slice(n // 2)]
    best = float("inf")
    for _ in range(3):
        ts = [threading.Thread(target=tariff.quote_arrow, args=(h,)) for h in half]
        t0 = time.perf_counter()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        best = min(best, time.perf_counter() - t0)
    print(f"quote_arrow: {n:,} rows, two threads (halves): {best:.3f} s, {n / best:,.0f} rows/s")


if __name__ == "__main__":
    main()
