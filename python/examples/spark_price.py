"""Pricing usage logs inside Spark: tariff.spark.price (mapInArrow over tariff.quote_arrow).

    pip install ./python pyspark pyarrow          # and Java 17 or later
    python python/examples/spark_price.py LOGS.parquet [OUT_DIR]

LOGS (Parquet, or JSON lines with `--json`) needs `model`, `at` (timestamp, or RFC 3339
text) and integer bucket columns (`input_tokens`, `output_tokens`, ...). The example prints
the cost per model and month, the rows that could not be priced by reason, and writes the
priced rows to OUT_DIR (Parquet) when given.

On a cluster the executors need the wheel too: see the `tariff.spark` docstring
(`pip install` on every node, or `spark-submit --archives env.tar.gz#env` with a packed venv).
"""

import argparse

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

import tariff.spark


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("logs")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--json", action="store_true", help="LOGS is JSON lines, not Parquet")
    ap.add_argument("--master", default="local[*]")
    a = ap.parse_args()

    spark = (
        SparkSession.builder.master(a.master)
        .appName("tariff-price")
        # Timestamps are instants; UTC keeps the month buckets below unambiguous.
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    logs = spark.read.json(a.logs) if a.json else spark.read.parquet(a.logs)
    priced = tariff.spark.price(logs)
    priced.cache()

    ok = priced.where(F.col("error").isNull())
    (
        ok.groupBy("model", F.date_format(F.col("at").cast("timestamp"), "yyyy-MM").alias("month"), "currency")
        .agg(F.count("*").alias("requests"), F.sum("cost").alias("cost"))
        .orderBy("month", "model")
        .show(100, truncate=False)
    )
    priced.where(F.col("error").isNotNull()).groupBy("error").count().orderBy(F.desc("count")).show(
        20, truncate=False
    )
    if a.out:
        priced.write.mode("overwrite").parquet(a.out)
    spark.stop()


if __name__ == "__main__":
    main()
