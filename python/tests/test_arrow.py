"""quote_arrow: every row equals tariff.quote on the same record, bad rows included; the
batch never fails for a row; the GIL is released."""

import random
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal

import pyarrow as pa
import pytest

import tariff

MODELS = [
    "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-opus-4-1", "gpt-4o", "gpt-5",
    "gpt-4o-mini", "deepseek-chat", "gemini-2.5-pro", "qwen-max",
    "no-such-model",  # bad: unknown
]
BUCKETS = ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens"]
TIERS = [None] * 12 + ["standard", "batch", "priority", "cheap"]  # "cheap": bad


def random_rows(n, seed):
    rnd = random.Random(seed)
    rows = []
    for _ in range(n):
        r = {"model": rnd.choice(MODELS)}
        # 2001 has no prices in force (bad); the rest span the tables' periods.
        year = rnd.choice([2001] + [2026] * 9)
        r["at"] = datetime(year, rnd.randint(1, 11), rnd.randint(1, 28), rnd.randint(0, 23), tzinfo=timezone.utc)
        for b in BUCKETS:
            r[b] = rnd.choice([0, rnd.randint(0, 5000), rnd.randint(0, 300_000)])
        if rnd.random() < 0.01:
            r["output_tokens"] = -rnd.randint(1, 10)  # bad: negative
        r["service_tier"] = rnd.choice(TIERS)
        rows.append(r)
    return rows


def to_table(rows):
    return pa.table({
        "model": pa.array([r["model"] for r in rows], pa.string()),
        "at": pa.array([r["at"] for r in rows], pa.timestamp("us", tz="UTC")),
        **{b: pa.array([r[b] for r in rows], pa.int64()) for b in BUCKETS},
        "service_tier": pa.array([r["service_tier"] for r in rows], pa.string()),
    })


def per_row(r):
    usage = {b: r[b] for b in BUCKETS if r[b]}
    try:
        bill = tariff.quote(r["model"], usage, at=r["at"], service_tier=r["service_tier"])
    except tariff.TariffError as e:
        return None, None, e
    return bill.total, bill.currency, None


def test_quote_arrow_equals_quote_on_100000_random_rows():
    rows = random_rows(100_000, seed=13)
    out = tariff.quote_arrow(to_table(rows))
    assert isinstance(out, pa.Table) and out.num_rows == len(rows)
    assert out.schema.field("cost").type == pa.decimal128(38, 18)
    cost, ccy, err = (out.column(c).to_pylist() for c in ("cost", "currency", "error"))
    bad = 0
    for i, r in enumerate(rows):
        want_total, want_ccy, want_err = per_row(r)
        if want_err is None:
            assert err[i] is None, (r, err[i])
            assert cost[i] == want_total and ccy[i] == want_ccy, r
        else:
            bad += 1
            assert cost[i] is None and ccy[i] is None and err[i], r
            if r["output_tokens"] >= 0:
                # Price errors and option errors say what quote says.
                assert err[i] == str(want_err), r
    # Both kinds of row are checked in number. (How many rows are bad follows from the
    # tables, e.g. a model retired mid-2026 or a tier a model lacks, not from this test.)
    assert 1000 < bad < len(rows) - 1000, bad
    # The input columns come back unchanged.
    assert out.select(["model", "at", *BUCKETS, "service_tier"]).equals(to_table(rows))


def test_hand_checked_rows_and_string_times():
    t = pa.table({
        "model": ["claude-sonnet-4-5", "claude-sonnet-4-5", None, "claude-sonnet-4-5"],
        "at": ["2025-11-01T00:00:00Z", "2025-11-01", "2025-11-01", "yesterday"],
        "input_tokens": pa.array([1000, 1000, 1, 1], pa.int32()),
        "cache_write_tokens": pa.array([2000, None, 0, 0], pa.uint16()),
        "cache_write_1h_tokens": [500, 0, 0, 0],
        "cache_read_tokens": [3000, 0, 0, 0],
        "output_tokens": [400, 0, 0, 0],
        "request_id": ["a", "b", "c", "d"],
    })
    out = tariff.quote_arrow(t).to_pydict()
    # 1000*3 + 2000*3.75 + 500*6 + 3000*0.30 + 400*15 = 20400 per 1M -> 0.0204 (tests/golden)
    assert out["cost"][0] == Decimal("0.0204")
    # A null bucket is zero: 1000*3 per 1M.
    assert out["cost"][1] == Decimal("0.003")
    assert out["error"][:2] == [None, None] and out["currency"][:2] == ["USD", "USD"]
    assert out["error"][2] == "model is null"
    assert out["error"][3] == "at `yesterday` is not an RFC 3339 time or a YYYY-MM-DD date"
    assert out["request_id"] == ["a", "b", "c", "d"]


def test_a_record_batch_in_is_a_record_batch_out():
    rows = random_rows(50, seed=1)
    batch = to_table(rows).to_batches()[0]
    out = tariff.quote_arrow(batch)
    assert isinstance(out, pa.RecordBatch)
    assert out.column("cost").to_pylist() == tariff.quote_arrow(to_table(rows)).column("cost").to_pylist()


def test_schema_problems_fail_the_call_with_a_usage_error():
    ok = {"model": ["gpt-4o"], "at": ["2025-11-01"]}
    with pytest.raises(tariff.UsageError, match="no `model` column"):
        tariff.quote_arrow(pa.table({"at": ["2025-11-01"]}))
    with pytest.raises(tariff.UsageError, match="without a time zone"):
        tariff.quote_arrow(pa.table({"model": ["gpt-4o"], "at": pa.array([datetime(2025, 1, 1)], pa.timestamp("s"))}))
    with pytest.raises(tariff.UsageError, match="not an integer column"):
        tariff.quote_arrow(pa.table({**ok, "input_tokens": pa.array([1.5])}))
    # A misspelt bucket would price as zero: refused.
    with pytest.raises(tariff.UsageError, match="`cache_hit_tokens` is not"):
        tariff.quote_arrow(pa.table({**ok, "cache_hit_tokens": [5]}))
    with pytest.raises(TypeError):
        tariff.quote_arrow({"model": ["gpt-4o"]})


def test_a_u64_count_past_the_limit_is_a_row_error_not_a_wrap():
    t = pa.table({
        "model": ["gpt-4o", "gpt-4o"],
        "at": ["2025-11-01", "2025-11-01"],
        "input_tokens": pa.array([2**64 - 1, 10], pa.uint64()),
    })
    out = tariff.quote_arrow(t).to_pydict()
    assert out["cost"][0] is None and "above" in out["error"][0]
    assert out["cost"][1] == tariff.quote("gpt-4o", {"input_tokens": 10}, at="2025-11-01").total


def longest_stall(call):
    """Runs ``call()`` while another Python thread ticks as fast as it can; returns (the
    longest time the ticker made no progress while the call ran, the call's duration).

    A call that holds the GIL stalls every other Python thread for as long as it computes,
    so the longest stall is most of the call; a call that releases it stalls the ticker for
    no more than a switch interval (5 ms) and the OS's scheduling. This is the GIL's release
    observed, not a speed: it holds on one free core or two."""
    gaps = []  # (last tick, next tick) wherever the ticker paused for more than 1 ms
    started = threading.Event()
    done = threading.Event()

    def tick():
        last = time.perf_counter()
        started.set()
        while True:
            now = time.perf_counter()
            if now - last > 1e-3:
                gaps.append((last, now))
            last = now
            if done.is_set():
                return

    t = threading.Thread(target=tick)
    t.start()
    started.wait()
    try:
        t0 = time.perf_counter()
        call()
        t1 = time.perf_counter()
    finally:
        done.set()
        t.join()
    inside = [min(b, t1) - max(a, t0) for a, b in gaps if a < t1 and b > t0]
    return max(inside, default=0.0), t1 - t0


def test_quote_arrow_releases_the_gil():
    table = to_table(random_rows(20_000, seed=7))
    table = pa.concat_tables([table] * 10)  # 200,000 rows: long enough to observe
    tariff.quote_arrow(table)  # warm: the catalog is loaded
    # Best of three, for a busy machine.
    runs = [longest_stall(lambda: tariff.quote_arrow(table)) for _ in range(3)]
    assert min(stall / total for stall, total in runs) < 0.5, runs

    # The control: a call that holds the GIL (a C loop that runs no bytecode) stalls the
    # ticker for nearly all of it, which is what the check above tells apart. Best of three
    # too: on a busy machine the OS may deschedule the call itself (one run saw 77%).
    control = [longest_stall(lambda: sum(range(3_000_000))) for _ in range(3)]
    assert max(stall / total for stall, total in control) > 0.8, control


def test_many_rows_of_an_unknown_model_are_not_each_compared_with_the_catalog():
    # Regression: each row of an unknown model computed its message's suggestions anew, a
    # comparison with every name in the catalog (about 250 µs a row on a release build,
    # 60,000 rows ≈ 15 s of CPU, far more on a dev build); one unknown name is now
    # compared once per call. CPU time of this thread, which runs the pricing.
    n = 60_000
    names = ["no-such-model", "claude-sonet-4-5", "gpt-4-turbo-preview-x"]
    t = pa.table({
        "model": [names[i % 3] for i in range(n)],
        "at": ["2025-11-01"] * n,
        "input_tokens": [1] * n,
    })
    c0 = time.thread_time()
    out = tariff.quote_arrow(t)
    cpu = time.thread_time() - c0
    errors = out.column("error").to_pylist()
    for name in names:
        try:
            tariff.quote(name, {"input_tokens": 1}, at="2025-11-01")
        except tariff.UnknownModel as e:
            want = str(e)
        i = names.index(name)
        assert errors[i] == errors[i + 3 * 1000] == want
    assert "did you mean `claude-sonnet-4-5`" in errors[1]
    assert cpu < 5.0, cpu


def quote_result(name, at="2025-11-01"):
    """(total, error message) of tariff.quote on one input token."""
    try:
        return tariff.quote(name, {"input_tokens": 1}, at=at).total, None
    except tariff.TariffError as e:
        return None, str(e)


def test_each_name_is_resolved_once_per_call_and_every_row_still_equals_quote():
    # The model column is resolved once per distinct name and call. Names that differ only
    # in ASCII case, pattern names, names past the cache's bounds (10,000 distinct names; 256
    # bytes) and a table of several chunks all give what quote gives, row by row.
    names = ["gpt-4o", "GPT-4o", "Claude-Sonnet-4-5-20250929", "claude-3-5-haiku-x", "no-such-model",
             "gpt-4o" + "x" * 300, "claude-3-5-haiku-" + "y" * 300]
    names += [f"claude-3-5-haiku-{i}" for i in range(10_500)]  # distinct, through a pattern
    rows = names + names[:7] * 3
    t = pa.table({"model": rows, "at": ["2025-11-01"] * len(rows), "input_tokens": [1] * len(rows)})
    t = pa.concat_tables([t.slice(0, 5000), t.slice(5000)])  # two chunks: one call, two batches
    assert t.column("model").num_chunks == 2
    out = tariff.quote_arrow(t)
    cost, err = out.column("cost").to_pylist(), out.column("error").to_pylist()
    want = {name: quote_result(name) for name in set(rows)}
    for i, name in enumerate(rows):
        assert (cost[i], err[i]) == want[name], (i, name)
    assert cost[0] == cost[1] and cost[0] is not None  # GPT-4o is gpt-4o
    assert err[4].startswith("unknown model `no-such-model`")


def test_suggestions_for_the_first_1000_distinct_unknown_names_of_a_call():
    # Each distinct unknown name's suggestions compare it with every catalog name (~250 µs
    # on a release build): a table of a million distinct unknown names would take minutes.
    # The first 1,000 distinct unknown names of a call get quote's message; later ones say
    # the name is unknown and why there are no suggestions; a name seen before the bound
    # keeps its message on every row.
    unknown = [f"claude-sonet-4-{i}" for i in range(1_003)]
    rows = unknown + [unknown[0], unknown[999], unknown[1002]]
    t = pa.table({"model": rows, "at": ["2025-11-01"] * len(rows), "input_tokens": [1] * len(rows)})
    err = tariff.quote_arrow(t).column("error").to_pylist()
    for i in (0, 1, 500, 999):
        assert err[i] == quote_result(unknown[i])[1], i
    assert "did you mean" in err[0]
    for i in (1000, 1001, 1002):
        assert err[i] == (f"unknown model `{unknown[i]}` (no suggestions: over 1000 distinct unknown "
                          "model names in this call)"), err[i]
    assert err[1003] == err[0] and err[1004] == err[999] and err[1005] == err[1002]
    # The bound is per call: the next call suggests again.
    assert tariff.quote_arrow(t.slice(1002, 1)).column("error").to_pylist()[0] == quote_result(unknown[1002])[1]
