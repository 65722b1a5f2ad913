"""Pricing a Spark DataFrame inside Spark: ``tariff.spark.price(df)``.

Each executor's Python worker prices its partitions with :func:`tariff.quote_arrow` through
``DataFrame.mapInArrow``: Spark hands the worker Arrow record batches, tariff reads them in
place and hands back the same rows with ``cost`` (``decimal(38, 18)``), ``currency`` and
``error`` added. Nothing is collected to the driver, and no row goes through a Python loop.

The input needs the columns ``quote_arrow`` needs: ``model`` (string), ``at`` (a
``TimestampType`` column, or RFC 3339 text; ``TimestampNTZType`` is refused as ambiguous) and
integer bucket columns (``input_tokens``, ``output_tokens``, ...); other columns pass through.

On a cluster the executors import ``tariff`` too: install the wheel on every node
(``pip install tariff-*.whl``), or ship a packed environment that holds it, e.g.
``venv-pack -o env.tar.gz`` and
``spark-submit --archives env.tar.gz#env --conf spark.pyspark.python=./env/bin/python``.
The wheel is abi3: one file serves every CPython from 3.9 on one platform.

This module imports ``pyspark`` only when :func:`price` is called; ``import tariff`` does not
import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow
    from pyspark.sql import DataFrame

__all__ = ["price", "output_schema"]


def output_schema(schema: Any) -> Any:
    """The Spark schema of :func:`price`'s result: the input's fields, then ``cost``
    (``decimal(38, 18)``), ``currency`` and ``error`` (strings), all nullable."""
    from pyspark.sql.types import DecimalType, StringType, StructField, StructType

    for name in ("cost", "currency", "error"):
        if name in schema.fieldNames():
            raise ValueError(f"the input already has a `{name}` column, which the output adds")
    return StructType(
        [
            *schema.fields,
            StructField("cost", DecimalType(38, 18), True),
            StructField("currency", StringType(), True),
            StructField("error", StringType(), True),
        ]
    )


_CATALOGS: dict = {}


def _catalog(paths: tuple) -> Any:
    """One catalog per worker process and set of directories: a worker prices many
    partitions, and loading the tables once is enough."""
    import tariff

    if paths not in _CATALOGS:
        _CATALOGS[paths] = tariff.Catalog(list(paths))
    return _CATALOGS[paths]


def price(df: "DataFrame", *, prices: Optional[Sequence[str]] = None) -> "DataFrame":
    """Prices every row of ``df`` on the executors (lazily, like any transformation).

    ``prices``: extra table directories, as ``tariff.Catalog(prices)`` takes them; they must
    exist at the same path on every executor. A row that cannot be priced gets a null
    ``cost`` and its reason in ``error``; a schema problem fails the job with the
    ``tariff.UsageError`` message.
    """
    schema = output_schema(df.schema)
    extra = list(prices) if prices else None

    def run(batches: Iterator["pyarrow.RecordBatch"]) -> Iterator["pyarrow.RecordBatch"]:
        import tariff  # on the executor

        catalog = _catalog(tuple(extra)) if extra else None
        for batch in batches:
            yield tariff.quote_arrow(batch, catalog=catalog)

    return df.mapInArrow(run, schema)
