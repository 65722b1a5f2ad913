"""quote_arrow on dictionary-encoded string columns (pyarrow's `read_dictionary`, pandas
`category`, polars `Categorical`/`Enum`): every output column, row by row and errors
included, equals what the same data gives as a plain string column. Bad keys are a row's
error, never a panic or a failed call."""

import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tariff
from test_arrow import MODELS, quote_result, random_rows, to_table

INDEX_TYPES = [pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint32()]
VALUE_TYPES = [pa.string(), pa.large_string(), pa.string_view()]


def rows_with_nulls(n, seed):
    """random_rows (every kind of bad row: unknown model, no price in force, negative count,
    bad tier) with some null models too."""
    rows = random_rows(n, seed)
    rnd = random.Random(seed)
    for r in rows:
        if rnd.random() < 0.02:
            r["model"] = None
    return rows


def dictionary_of(names, index_type, value_type, dictionary, seed=0):
    """`names` (None = null) as a dictionary column over `dictionary`: a name that occurs
    in the dictionary more than once gets either of its indices at random, so repeated
    values are both used."""
    where = {}
    for i, v in enumerate(dictionary):
        where.setdefault(v, []).append(i)
    rnd = random.Random(seed)
    keys = [None if n is None else rnd.choice(where[n]) for n in names]
    return pa.DictionaryArray.from_arrays(pa.array(keys, index_type), pa.array(dictionary, value_type))


def with_column(table, name, column):
    return table.set_column(table.schema.get_field_index(name), name, column)


def assert_same_output(out_dict, out_plain, dict_columns):
    """Every column equal; the dictionary columns pass through as they came in, and equal
    the plain ones decoded."""
    assert out_dict.num_rows == out_plain.num_rows
    assert out_dict.column_names == out_plain.column_names
    assert out_dict.drop_columns(dict_columns).equals(out_plain.drop_columns(dict_columns))
    for c in dict_columns:
        assert pa.types.is_dictionary(out_dict.schema.field(c).type), c
        # Decoded in Python: pyarrow cannot cast a dictionary of string views.
        assert out_dict.column(c).to_pylist() == out_plain.column(c).to_pylist(), c


def error_kinds(out):
    errors = [e for e in out.column("error").to_pylist() if e]
    return {kind for kind in ("unknown model", "model is null", "service_tier", "not a count", "no price")
            if any(kind in e for e in errors)}


@pytest.mark.parametrize("value_type", VALUE_TYPES, ids=str)
@pytest.mark.parametrize("index_type", INDEX_TYPES, ids=str)
def test_a_dictionary_model_column_gives_the_plain_columns_output(index_type, value_type):
    rows = rows_with_nulls(20_000, seed=21)
    plain = to_table(rows)
    # Unused values (an unknown name among them: it must not take a suggestion's place or
    # change any row) and repeated ones (each copy used), in an order unlike the rows'.
    dictionary = ["never-used-model", "gpt-4o", *reversed(MODELS), "claude-opus-4-1", "no-such-model", "gpt-5-unused"]
    table = with_column(plain, "model", dictionary_of([r["model"] for r in rows], index_type, value_type, dictionary))
    out_plain, out_dict = tariff.quote_arrow(plain), tariff.quote_arrow(table)
    assert_same_output(out_dict, out_plain, ["model"])
    assert out_dict.schema.field("model").type == pa.dictionary(index_type, value_type)
    # Priced rows and every kind of error are in the comparison.
    assert 5_000 < out_dict.column("cost").null_count < 15_000
    assert error_kinds(out_dict) == {"unknown model", "model is null", "service_tier", "not a count", "no price"}


def test_regression_a_dictionary_encoded_model_column_is_priced_not_refused():
    # Regression: a dictionary-encoded `model` column failed the whole call with
    # "column `model` is Dictionary(Int32, Utf8), not a string column".
    t = pa.table({
        "model": pa.array(["gpt-4o", "claude-sonnet-4-5", "gpt-4o"]).dictionary_encode(),
        "at": ["2025-11-01"] * 3,
        "input_tokens": [1000, 1000, 2000],
    })
    out = tariff.quote_arrow(t).to_pydict()
    # gpt-4o input: $2.50 per 1M -> 1000 tokens $0.0025, 2000 $0.005; claude-sonnet-4-5
    # input: $3 per 1M -> $0.003 (tests/golden).
    assert out["cost"] == [quote_result("gpt-4o")[0] * 1000, quote_result("claude-sonnet-4-5")[0] * 1000,
                           quote_result("gpt-4o")[0] * 2000]
    assert [str(c.normalize()) for c in out["cost"]] == ["0.0025", "0.003", "0.005"]
    assert out["error"] == [None] * 3 and out["currency"] == ["USD"] * 3


def test_null_keys_null_values_and_keys_outside_the_dictionary_are_row_errors():
    # Keys are not validated on import (the C data interface trusts the producer), so a
    # key past the dictionary's end, or a negative one, must be caught per row.
    keys = pa.array([0, None, 1, 2, -1, 3, 0, 127], pa.int8())
    dictionary = pa.array(["gpt-4o", None, "no-such-model"])
    model = pa.DictionaryArray.from_arrays(keys, dictionary, safe=False)
    t = pa.table({"model": model, "at": ["2025-11-01"] * 8, "input_tokens": [1] * 8})
    out = tariff.quote_arrow(t)
    cost, err = out.column("cost").to_pylist(), out.column("error").to_pylist()
    gpt, unknown = quote_result("gpt-4o"), quote_result("no-such-model")
    assert (cost[0], err[0]) == gpt and (cost[6], err[6]) == gpt
    # A null key and a null dictionary value are both a null model, as in a plain column.
    assert (cost[1], err[1]) == (None, "model is null")
    assert (cost[2], err[2]) == (None, "model is null")
    assert (cost[3], err[3]) == unknown
    assert err[4] == "model dictionary index -1 is out of range (the dictionary has 3 values)"
    assert err[5] == "model dictionary index 3 is out of range (the dictionary has 3 values)"
    assert err[7] == "model dictionary index 127 is out of range (the dictionary has 3 values)"
    assert cost[4] is cost[5] is cost[7] is None
    assert out.column("currency").null_count == 6

    # The widest key type, past any usize and i64, and an empty dictionary.
    huge = pa.DictionaryArray.from_arrays(pa.array([2**64 - 1, 0], pa.uint64()), pa.array(["gpt-4o"]), safe=False)
    empty = pa.DictionaryArray.from_arrays(pa.array([0, None], pa.int32()), pa.array([], pa.string()), safe=False)
    for model, want in [(huge, [f"model dictionary index {2**64 - 1} is out of range (the dictionary has 1 values)", None]),
                        (empty, ["model dictionary index 0 is out of range (the dictionary has 0 values)", "model is null"])]:
        t = pa.table({"model": model, "at": ["2025-11-01"] * 2, "input_tokens": [1] * 2})
        assert tariff.quote_arrow(t).column("error").to_pylist() == want


def test_the_other_string_columns_may_be_dictionaries_too():
    # service_tier, region and a text `at` are read through their dictionaries as well.
    rows = rows_with_nulls(5_000, seed=22)
    rnd = random.Random(22)
    plain = to_table(rows)
    plain = plain.set_column(plain.schema.get_field_index("at"), "at", plain.column("at").cast(pa.string()))
    regions = [rnd.choice([None, "us", "eu", "global"]) for _ in rows]
    plain = plain.append_column("region", pa.array(regions, pa.string()))
    table = plain
    for name, index_type, value_type in [("model", pa.uint16(), pa.large_string()),
                                         ("at", pa.int32(), pa.string()),
                                         ("service_tier", pa.int8(), pa.string_view()),
                                         ("region", pa.uint8(), pa.string())]:
        values = [None if v is None else v.as_py() for v in plain.column(name)]
        dictionary = sorted({v for v in values if v is not None}) + ["unused"]
        table = with_column(table, name, dictionary_of(values, index_type, value_type, dictionary))
    dict_columns = ["model", "at", "service_tier", "region"]
    assert_same_output(tariff.quote_arrow(table), tariff.quote_arrow(plain), dict_columns)
    # A bad key in another column is that row's error, named after its column.
    bad = pa.DictionaryArray.from_arrays(pa.array([0, 9], pa.int16()), pa.array(["batch"]), safe=False)
    t = pa.table({"model": ["gpt-4o"] * 2, "at": ["2025-11-01"] * 2, "input_tokens": [1, 1], "service_tier": bad})
    err = tariff.quote_arrow(t).column("error").to_pylist()
    assert err == [None, "service_tier dictionary index 9 is out of range (the dictionary has 1 values)"]
    # A dictionary of something other than strings is a schema problem.
    nums = pa.DictionaryArray.from_arrays(pa.array([0], pa.int8()), pa.array([7]))
    with pytest.raises(tariff.UsageError, match="column `model` is Dictionary\\(Int8, Int64\\), not a string column"):
        tariff.quote_arrow(pa.table({"model": nums, "at": ["2025-11-01"]}))


def test_suggestions_go_to_the_first_1000_distinct_unknown_names_in_row_order():
    # Each dictionary value is resolved on its first row, not up front in dictionary order:
    # the same 1,000 unknown names as in a plain column get suggestions, whatever the
    # dictionary's order, and unused unknown values take none of them.
    unknown = [f"claude-sonet-4-{i}" for i in range(1_003)]
    rows = ["gpt-4o", *unknown, unknown[0], unknown[999], unknown[1002], "gpt-4o"]
    dictionary = [f"unused-unknown-{i}" for i in range(600)] + list(reversed(unknown)) + ["gpt-4o"]
    plain = pa.table({"model": rows, "at": ["2025-11-01"] * len(rows), "input_tokens": [1] * len(rows)})
    table = with_column(plain, "model", dictionary_of(rows, pa.int16(), pa.string(), dictionary))
    out = tariff.quote_arrow(table)
    assert_same_output(out, tariff.quote_arrow(plain), ["model"])
    err = out.column("error").to_pylist()
    assert err[1] == quote_result(unknown[0])[1] and "did you mean" in err[1]
    assert err[1000] == quote_result(unknown[999])[1]
    assert err[1003] == err[1006] == (f"unknown model `{unknown[1002]}` (no suggestions: over 1000 distinct "
                                      "unknown model names in this call)")


def test_small_batches_of_a_large_dictionary_and_chunks_with_their_own_dictionaries():
    # A slice of a dictionary column keeps the whole dictionary: batches of 100 rows over a
    # 3,000-value dictionary (each row resolved by name), and two chunks whose dictionaries
    # differ (each batch reads its own).
    names = [f"claude-3-5-haiku-{i}" for i in range(2_990)] + MODELS
    rnd = random.Random(23)
    rows = [rnd.choice(names) for _ in range(2_000)]
    plain = pa.table({"model": rows, "at": ["2025-11-01"] * len(rows), "input_tokens": [7] * len(rows)})
    big = dictionary_of(rows, pa.int32(), pa.string(), names)
    table = with_column(plain, "model", big)
    table = pa.Table.from_batches(table.to_batches(max_chunksize=100))
    assert table.column("model").num_chunks == 20 and len(table.column("model").chunk(0).dictionary) == 3_000
    assert_same_output(tariff.quote_arrow(table), tariff.quote_arrow(plain), ["model"])

    first, second = rows[:1_000], rows[1_000:]
    chunks = pa.chunked_array([
        dictionary_of(first, pa.int16(), pa.string(), sorted(set(first))),
        dictionary_of(second, pa.int16(), pa.string(), sorted(set(second), reverse=True)),
    ])
    table = with_column(plain, "model", chunks)
    assert_same_output(tariff.quote_arrow(table), tariff.quote_arrow(plain), ["model"])


def test_a_parquet_column_read_as_a_dictionary(tmp_path):
    rows = rows_with_nulls(5_000, seed=24)
    plain = to_table(rows)
    path = tmp_path / "usage.parquet"
    pq.write_table(plain, path)
    table = pq.read_table(path, read_dictionary=["model", "service_tier"])
    assert pa.types.is_dictionary(table.schema.field("model").type)
    assert_same_output(tariff.quote_arrow(table), tariff.quote_arrow(plain), ["model", "service_tier"])


def test_a_pandas_category_column():
    pd = pytest.importorskip("pandas", reason="pandas is not installed")
    rows = rows_with_nulls(5_000, seed=25)
    plain = to_table(rows)
    df = plain.to_pandas()
    df["model"] = df["model"].astype("category")
    assert df["model"].dtype == "category" and isinstance(df["model"].dtype, pd.CategoricalDtype)
    # pandas' category is a dictionary<int8, string> in Arrow; pandas frames speak the
    # stream protocol themselves, or go through pyarrow.
    for table in (pa.Table.from_pandas(df, preserve_index=False), df):
        out = tariff.quote_arrow(table)
        assert out.schema.field("model").type == pa.dictionary(pa.int8(), pa.string())
        assert_same_output(out, tariff.quote_arrow(plain), ["model"])


@pytest.mark.parametrize("kind", ["categorical", "enum"])
def test_a_polars_categorical_or_enum_column(kind):
    pl = pytest.importorskip("polars", reason="polars is not installed")
    rows = rows_with_nulls(5_000, seed=26)
    plain = to_table(rows)
    dtype = pl.Categorical if kind == "categorical" else pl.Enum(sorted({r["model"] for r in rows} - {None}))
    df = pl.from_arrow(plain).with_columns(pl.col("model").cast(dtype))
    out = tariff.quote_arrow(df)
    # polars exports a dictionary of string views with unsigned keys.
    model_type = out.schema.field("model").type
    assert pa.types.is_dictionary(model_type) and pa.types.is_unsigned_integer(model_type.index_type)
    want = tariff.quote_arrow(plain)
    for c in ("cost", "currency", "error"):
        assert out.column(c).equals(want.column(c)), c
    assert out.column("model").to_pylist() == [r["model"] for r in rows]
    # And back into polars, the category intact.
    back = pl.from_arrow(out)
    assert back["model"].dtype == dtype and back["error"].to_list() == want.column("error").to_pylist()
