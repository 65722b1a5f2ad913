"""Pricing a polars DataFrame with tariff.quote_arrow.

polars speaks the Arrow PyCapsule protocol, so ``tariff.quote_arrow(df)`` reads the frame's
buffers in place and returns a pyarrow Table; ``pl.from_arrow`` makes a frame of it again
(``cost`` becomes ``Decimal(38, 18)``). For a LazyFrame, ``map_batches`` prices each batch
the query produces.

    pip install ./python polars pyarrow
    python python/examples/polars_price.py
"""

from datetime import datetime, timezone

import polars as pl

import tariff


def price(df: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``df`` with ``cost``, ``currency`` and ``error`` added."""
    out = pl.from_arrow(tariff.quote_arrow(df))
    assert isinstance(out, pl.DataFrame)
    return out


def price_lazy(lf: pl.LazyFrame) -> pl.LazyFrame:
    """The same, as a step of a lazy query (the schema it adds declared up front)."""
    schema = dict(lf.collect_schema())
    schema.update(cost=pl.Decimal(38, 18), currency=pl.String, error=pl.String)
    return lf.map_batches(price, schema=schema)


def main() -> None:
    at = datetime(2025, 11, 1, tzinfo=timezone.utc)
    logs = pl.DataFrame(
        {
            "request_id": ["a", "b", "c"],
            "model": ["claude-sonnet-4-5", "gpt-4o", "no-such-model"],
            "at": [at, at, at],
            "input_tokens": [1000, 2000, 5],
            "cache_read_tokens": [3000, 0, 0],
            "output_tokens": [400, 100, 1],
        },
        schema_overrides={"at": pl.Datetime("us", "UTC")},
    )
    priced = price_lazy(logs.lazy()).collect()
    print(priced.select("request_id", "model", "cost", "currency", "error"))
    by_model = priced.filter(pl.col("error").is_null()).group_by("model").agg(pl.col("cost").sum())
    print(by_model.sort("model"))


if __name__ == "__main__":
    main()
