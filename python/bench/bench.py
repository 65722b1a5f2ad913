"""The Python package measured in one process on the same records (BENCHMARKS.md, Python):
per-record `tariff.quote` against genai-prices' `calc_price` and LiteLLM's
`cost_per_token` (the records and the two tools' set-up of benches/compare), `quote_arrow`
rows per second on 1,000,000 rows (one thread, then two), `reconcile` on one thread then two
(with --log), and the import times of `tariff`, genai-prices and LiteLLM.

Usage: python python/bench/bench.py RECORDS.jsonl [--repeat N] [--rows N] [--log LOG]
(RECORDS.jsonl from `python benches/compare/gen.py RECORDS.jsonl 10000 20251101`; LOG from
`tariff synth --format new-api-csv --rows 200000 --out LOG`).
Run in a venv with a release wheel of python/, pyarrow, and the pinned
benches/compare/requirements.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# LiteLLM reads the cost map it ships, also in the fresh interpreters timing its import.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
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
    ap.add_argument("--log", help="a log for reconcile, one thread against two")
    a = ap.parse_args()

    print(f"import tariff: {import_ms('tariff'):.1f} ms (best of 5, fresh interpreter)")
    print(f"import genai_prices: {import_ms('genai_prices'):.1f} ms")
    print(f"import litellm: {import_ms('litellm', runs=2):.1f} ms (best of 2)")
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
        best = cpu = float("inf")
        for _ in range(a.repeat):
            t0, c0 = time.perf_counter(), time.thread_time()
            for p in prepared:
                call(p)
            best = min(best, time.perf_counter() - t0)
            cpu = min(cpu, time.thread_time() - c0)
        rates[name] = (len(prepared) / best, len(prepared) / cpu)
        print(
            f"{name}: {len(prepared)} records, {best / len(prepared) * 1e6:.2f} µs/record wall "
            f"({rates[name][0]:,.0f}/s), {cpu / len(prepared) * 1e6:.2f} µs/record CPU"
        )
    base = rates["tariff.quote (.total)"]
    for name, r in rates.items():
        print(f"  tariff.quote is {base[0] / r[0]:.1f}x {name} (wall), {base[1] / r[1]:.1f}x (CPU)")

    from arrow_bench import table_of, two_threads  # this folder

    n = a.rows
    table = table_of(a.records, n)
    tariff.quote_arrow(table.slice(0, 1000))
    best = cpu = float("inf")
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.thread_time()
        out = tariff.quote_arrow(table)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.thread_time() - c0)
    priced = out.column("error").null_count
    print(
        f"quote_arrow: {n:,} rows, one thread: {best:.3f} s wall, {n / best:,.0f} rows/s; "
        f"{cpu:.3f} s CPU, {n / cpu:,.0f} rows/s ({priced:,} priced)"
    )
    half = [table.slice(0, n // 2), table.slice(n // 2)]
    best = min(two_threads(tariff.quote_arrow, half) for _ in range(3))
    print(f"quote_arrow: {n:,} rows, two threads (halves): {best:.3f} s, {n / best:,.0f} rows/s")

    if a.log:
        # reconcile with one worker each: one call, then two calls at once from two threads.
        def rec():
            return tariff.reconcile([a.log], threads=1)

        rows = rec()
        one = min(timed(rec) for _ in range(3))
        two = min(timed(lambda: both(rec)) for _ in range(3))
        print(f"reconcile (threads=1): one call {one:.3f} s; two calls on two Python threads {two:.3f} s "
              f"(x{2 * one / two:.2f} throughput) [{json.dumps(rows)[:80]}...]")


def timed(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def both(f) -> None:
    ts = [threading.Thread(target=f) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


if __name__ == "__main__":
    main()
