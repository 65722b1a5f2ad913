"""tariff.spark.price: a Spark DataFrame priced inside Spark (mapInArrow over quote_arrow) in a
local[2] session equals tariff.quote row by row, bad rows included, and its sum is exact.

Needs Java (17 or later) and pyspark; .ci/run installs both. Rows: TARIFF_SPARK_ROWS (default
4,000, enough for every kind of row in several partitions while keeping CI short)."""

import os
import shutil
import sys
from decimal import Decimal

import pyarrow as pa
import pytest

import tariff
from test_arrow import BUCKETS, per_row, random_rows, to_table

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime (java not on PATH, JAVA_HOME unset): Spark cannot start; "
                "install openjdk-17-jre-headless", allow_module_level=True)
pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark)")

import tariff.spark  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

ROWS = int(os.environ.get("TARIFF_SPARK_ROWS", "4000"))


@pytest.fixture(scope="module")
def spark():
    # The executors' Python is this interpreter, which has the wheel installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    s = (
        SparkSession.builder.master("local[2]")
        .appName("tariff-test")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def test_spark_price_equals_quote_row_by_row_and_sums_exactly(spark):
    rows = random_rows(ROWS, seed=20251101)
    table = to_table(rows).append_column("id", pa.array(range(len(rows)), pa.int64()))
    # Several partitions, so that several Python workers price a part each.
    df = spark.createDataFrame(table).repartition(4)
    priced = tariff.spark.price(df)

    assert priced.schema["cost"].dataType.simpleString() == "decimal(38,18)"
    out = priced.toArrow().sort_by("id").to_pydict()
    assert out["id"] == list(range(len(rows)))
    good = bad = 0
    want_sum = Decimal(0)
    for i, r in enumerate(rows):
        total, ccy, err = per_row(r)
        if err is None:
            good += 1
            want_sum += total
            assert (out["cost"][i], out["currency"][i], out["error"][i]) == (total, ccy, None), r
        else:
            bad += 1
            assert out["cost"][i] is None and out["currency"][i] is None and out["error"][i], r
            if r["output_tokens"] >= 0:
                assert out["error"][i] == str(err), r
    # Both kinds of row, in number (how many fail follows from the tables).
    assert good > ROWS // 10 and bad > ROWS // 100, (good, bad)
    # The input's columns pass through.
    for c in ["model", *BUCKETS, "service_tier"]:
        assert out[c] == [r[c] for r in rows], c

    # Spark's own decimal sum over the priced rows: exact, and equal to the sum of the
    # per-row Decimals (every currency in these tables is USD).
    got_sum = priced.where(F.col("error").isNull()).agg(F.sum("cost")).collect()[0][0]
    assert got_sum == want_sum


def test_spark_schema_problem_fails_the_job_with_quote_arrows_message(spark):
    df = spark.createDataFrame(pa.table({"model": ["gpt-4o"], "at": ["2025-11-01"], "cache_hit_tokens": [5]}))
    with pytest.raises(Exception, match="`cache_hit_tokens` is not a usage bucket"):
        tariff.spark.price(df).collect()
    with pytest.raises(ValueError, match="already has a `cost` column"):
        tariff.spark.price(spark.createDataFrame(pa.table({"model": ["gpt-4o"], "cost": [1]})))
