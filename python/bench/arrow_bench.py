"""`quote_arrow` alone, rows per second (BENCHMARKS.md §8): the 1,000,000-row table of
bench.py (the comparison's records repeated; `at` as `timestamp[s, UTC]`), priced in one
call `--runs` times on one thread, then on two threads (halves). Prints every run, the best
and the median, wall and CPU time, with the load average before and after: on a shared
machine the median and the load say how far the best is from a typical run. `--model
plain,dictionary` measures the `model` column as plain strings and dictionary-encoded
(`dictionary<int32, string>`, as pyarrow's `read_dictionary` gives), in the same run.

Usage: python python/bench/arrow_bench.py RECORDS.jsonl [--rows N] [--runs N] [--model plain,dictionary]
(RECORDS.jsonl from `python benches/compare/gen.py RECORDS.jsonl 10000 20251101`).
Needs only a release wheel of python/ and pyarrow.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time


def table_of(records: str, n: int):
    """The records repeated to `n` rows: model, at, and one int64 column per bucket used."""
    import pyarrow as pa

    recs = [json.loads(line) for line in open(records) if line.strip()]
    reps = (n + len(recs) - 1) // len(recs)
    rows = (recs * reps)[:n]
    buckets = sorted({k for r in recs for k in r["usage"] if k != "at"})
    return pa.table(
        {
            "model": pa.array([r["model"] for r in rows], pa.string()),
            "at": pa.array([r["usage"]["at"] for r in rows], pa.string()).cast(pa.timestamp("s", tz="UTC")),
            **{b: pa.array([r["usage"].get(b, 0) for r in rows], pa.int64()) for b in buckets},
        }
    )


def two_threads(f, halves) -> float:
    """Wall time of `f(half)` run on one Python thread per half, all at once."""
    ts = [threading.Thread(target=f, args=(h,)) for h in halves]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - t0


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("records")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--model", default="plain", help="comma-separated: plain, dictionary")
    a = ap.parse_args()
    import tariff

    table = table_of(a.records, a.rows)
    tariff.quote_arrow(table.slice(0, 1000))  # the catalog loads on first use
    for layout in a.model.split(","):
        if layout == "dictionary":
            i = table.schema.get_field_index("model")
            t = table.set_column(i, "model", table.column("model").dictionary_encode().combine_chunks())
        elif layout == "plain":
            t = table
        else:
            ap.error(f"--model: {layout} is not plain or dictionary")
        print(f"== model column: {t.schema.field('model').type}")
        measure(tariff, t, a.runs)


def measure(tariff, table, runs: int) -> None:
    n = table.num_rows
    print(f"load average before: {load()}")
    walls, cpus = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        out = tariff.quote_arrow(table)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.thread_time() - c0)
    priced = n - out.column("cost").null_count
    print("one thread, rows/s wall per run:", ", ".join(f"{n / w:,.0f}" for w in walls))
    print(
        f"quote_arrow: {n:,} rows ({priced:,} priced), one thread: best {n / min(walls):,.0f} rows/s wall "
        f"({min(walls):.3f} s), median {n / statistics.median(walls):,.0f}; "
        f"CPU best {n / min(cpus):,.0f} rows/s, median {n / statistics.median(cpus):,.0f}"
    )
    half = [table.slice(0, n // 2), table.slice(n // 2)]
    twos = [two_threads(tariff.quote_arrow, half) for _ in range(runs)]
    print(
        f"quote_arrow: {n:,} rows, two threads (halves): best {n / min(twos):,.0f} rows/s wall, "
        f"median {n / statistics.median(twos):,.0f}"
    )
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
