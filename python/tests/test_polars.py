"""polars frames priced through quote_arrow (directly, and lazily with map_batches, as
python/examples/polars_price.py does) equal tariff.quote row by row."""

import runpy
from pathlib import Path

import pyarrow as pa
import pytest

import tariff
from test_arrow import BUCKETS, per_row, random_rows, to_table

pl = pytest.importorskip("polars", reason="polars is not installed (pip install polars)")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "polars_price.py"
example = runpy.run_path(str(EXAMPLE))


def check(out, rows):
    good = 0
    for i, r in enumerate(rows):
        total, ccy, err = per_row(r)
        row = (out["cost"][i], out["currency"][i], out["error"][i])
        if err is None:
            good += 1
            assert row == (total, ccy, None), r
        else:
            assert row[0] is None and row[1] is None and row[2], r
    assert 100 < good < len(rows) - 100, good


def test_a_polars_frame_priced_in_place_equals_quote():
    rows = random_rows(3000, seed=5)
    df = pl.from_arrow(to_table(rows))
    # polars' own layouts (string views, large strings) are read as they are.
    out = tariff.quote_arrow(df)
    assert isinstance(out, pa.Table)
    check(out.to_pydict(), rows)
    back = example["price"](df)
    assert back.schema["cost"] == pl.Decimal(38, 18)
    check(back.to_dict(as_series=False), rows)
    assert back.select(["model", *BUCKETS]).equals(df.select(["model", *BUCKETS]))


def test_a_lazy_query_priced_with_map_batches_equals_quote():
    rows = random_rows(3000, seed=6)
    lf = pl.from_arrow(to_table(rows)).lazy()
    out = example["price_lazy"](lf.filter(pl.col("input_tokens") >= 0)).collect()
    check(out.to_dict(as_series=False), rows)
    # Aggregated in polars: the exact sum of the per-row Decimals.
    want = sum(t for t, _, e in map(per_row, rows) if e is None)
    assert out.filter(pl.col("error").is_null())["cost"].sum() == want


def test_the_example_runs(capsys):
    example["main"]()
    printed = capsys.readouterr().out
    assert "claude-sonnet-4-5" in printed and "unknown model" in printed.lower()
