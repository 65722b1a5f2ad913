"""tariff.quote and tariff.Catalog against the CLI: every golden vector, the overrides,
currency conversion, and the error classes and messages."""

import json
import threading
import tomllib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import tariff
from conftest import ROOT


def golden_cases():
    cases = []
    for f in sorted((ROOT / "tests" / "golden").glob("*.toml")):
        for c in tomllib.loads(f.read_text())["case"]:
            cases.append(pytest.param(c, id=f"{f.stem}: {c['name']}"))
    return cases


GOLDEN = golden_cases()


def test_there_are_golden_vectors():
    assert len(GOLDEN) >= 30


@pytest.mark.parametrize("case", GOLDEN)
def test_golden_vector_matches_the_cli_and_the_hand_total(case, cli):
    usage = json.loads(case["usage"], parse_float=Decimal)
    bill = tariff.quote(case["model"], usage)
    code, want, err = cli("quote", "--model", case["model"], "--usage", case["usage"], "--json")
    assert code == 0, err
    # The whole bill, lines and provenance included, as the CLI prints it.
    assert bill.to_dict() == want
    # The hand-computed total from the vendor's page, exactly.
    assert bill.total == Decimal(case["total"])
    assert isinstance(bill.total, Decimal)
    assert bill.currency == case["currency"]
    assert sum(l.amount for l in bill.lines) == bill.total
    for line, w in zip(bill.lines, want["lines"], strict=True):
        assert line.item == w["item"] and line.unit == w["unit"]
        assert line.quantity == Decimal(w["quantity"])
        assert line.unit_price == Decimal(w["unit_price"])
        assert line.amount == Decimal(w["amount"])
        assert isinstance(line.per, int) and line.per == int(w["per"])
        assert line.to_dict() == w
    # The same record given as JSON text prices the same.
    assert tariff.quote(case["model"], case["usage"]).to_dict() == want


SONNET = {
    "input_tokens": 1000,
    "cache_write_tokens": 2000,
    "cache_write_1h_tokens": 500,
    "cache_read_tokens": 3000,
    "output_tokens": 400,
}


def test_keyword_overrides_match_the_cli_flags(cli):
    usage = dict(SONNET, at="2024-01-01T00:00:00Z", service_tier="standard")
    bill = tariff.quote(
        "claude-sonnet-4-5", usage, at="2025-12-01T00:00:00Z", service_tier="batch"
    )
    code, want, err = cli(
        "quote", "--model", "claude-sonnet-4-5", "--usage", json.dumps(usage),
        "--at", "2025-12-01T00:00:00Z", "--tier", "batch", "--json",
    )
    assert code == 0, err
    assert bill.to_dict() == want
    # Hand check: batch is half of 0.0204.
    assert bill.total == Decimal("0.0102")


def test_at_accepts_datetime_and_date():
    a = tariff.quote("claude-sonnet-4-5", SONNET, at="2025-11-01T00:00:00Z")
    b = tariff.quote("claude-sonnet-4-5", SONNET, at=datetime(2025, 11, 1, tzinfo=timezone.utc))
    c = tariff.quote("claude-sonnet-4-5", SONNET, at=date(2025, 11, 1))
    d = tariff.quote(
        "claude-sonnet-4-5", SONNET,
        at=datetime(2025, 11, 1, 8, tzinfo=timezone(timedelta(hours=8))),
    )
    assert a.to_dict() == b.to_dict() == c.to_dict() == d.to_dict()
    with pytest.raises(tariff.UsageError, match="time zone"):
        tariff.quote("claude-sonnet-4-5", SONNET, at=datetime(2025, 11, 1))


def test_options_and_region_match_the_cli(cli):
    for case in GOLDEN:
        c = case.values[0]
        usage = json.loads(c["usage"], parse_float=Decimal)
        opts = usage.pop("options", None)
        region = usage.pop("region", None)
        if not opts and not region:
            continue
        bill = tariff.quote(c["model"], usage, options=opts, region=region)
        args = ["quote", "--model", c["model"], "--usage", json.dumps(usage, default=str), "--json"]
        for k, v in (opts or {}).items():
            args += ["--option", f"{k}={v}"]
        if region:
            args += ["--region", region]
        code, want, err = cli(*args)
        assert code == 0, err
        assert bill.to_dict() == want, c["name"]


def test_currency_conversion_matches_the_cli(cli, tmp_path):
    rates = [{"from": "USD", "to": "CNY", "rate": "7.1234", "date": "2025-01-01", "source": "test"}]
    f = tmp_path / "fx.json"
    f.write_text(json.dumps(rates))
    usage = dict(SONNET, at="2025-11-01T00:00:00Z")
    bill = tariff.quote("claude-sonnet-4-5", usage, currency="CNY", fx=rates)
    code, want, err = cli(
        "quote", "--model", "claude-sonnet-4-5", "--usage", json.dumps(usage),
        "--currency", "CNY", "--fx", str(f), "--json",
    )
    assert code == 0, err
    assert bill.to_dict() == want
    assert bill.currency == "CNY"
    # 0.0204 USD x 7.1234, exactly.
    assert bill.total == Decimal("0.0204") * Decimal("7.1234")
    assert tariff.quote("claude-sonnet-4-5", usage, currency="CNY", fx=json.dumps(rates)).to_dict() == want
    with pytest.raises(tariff.TariffError, match="needs fx"):
        tariff.quote("claude-sonnet-4-5", usage, currency="CNY")


def cli_error(cli, *args):
    code, _, err = cli(*args)
    assert code != 0
    assert err.startswith("error: ")
    return err[len("error: "):].strip()


def test_unknown_model_is_a_price_error_with_suggestions_and_the_cli_message(cli):
    with pytest.raises(tariff.UnknownModel) as e:
        tariff.quote("claude-sonet-4-5", SONNET)
    assert isinstance(e.value, tariff.PriceError)
    assert isinstance(e.value, tariff.TariffError)
    assert isinstance(e.value, ValueError)
    assert "claude-sonnet-4-5" in e.value.suggestions
    assert str(e.value) == cli_error(
        cli, "quote", "--model", "claude-sonet-4-5", "--usage", json.dumps(SONNET)
    )


def test_usage_errors_carry_the_cli_message(cli):
    bad = '{"input_tokens": -5}'
    with pytest.raises(tariff.UsageError) as e:
        tariff.quote("claude-sonnet-4-5", bad)
    assert str(e.value) == cli_error(cli, "quote", "--model", "claude-sonnet-4-5", "--usage", bad)
    bad = '{"input_tokenz": 5}'
    with pytest.raises(tariff.UsageError) as e:
        tariff.quote("claude-sonnet-4-5", json.loads(bad))
    assert str(e.value) == cli_error(cli, "quote", "--model", "claude-sonnet-4-5", "--usage", bad)


def test_price_errors_carry_the_cli_message(cli):
    usage = dict(SONNET, at="2001-01-01T00:00:00Z")
    with pytest.raises(tariff.PriceError) as e:
        tariff.quote("claude-sonnet-4-5", usage)
    assert not isinstance(e.value, tariff.UnknownModel)
    assert str(e.value) == cli_error(
        cli, "quote", "--model", "claude-sonnet-4-5", "--usage", json.dumps(usage)
    )


def test_floats_are_refused_decimals_and_big_ints_are_exact():
    with pytest.raises(tariff.UsageError, match="float"):
        tariff.quote("claude-sonnet-4-5", {"input_tokens": 1000.0})
    with pytest.raises(tariff.UsageError, match="finite"):
        tariff.quote("claude-sonnet-4-5", {"input_tokens": Decimal("NaN")})
    # An integral Decimal reads as the int; an exponent is written out in full.
    a = tariff.quote("claude-sonnet-4-5", {"input_tokens": Decimal("1E+3")}, at="2025-11-01")
    b = tariff.quote("claude-sonnet-4-5", {"input_tokens": 1000}, at="2025-11-01")
    assert a.to_dict() == b.to_dict()
    assert a.total == Decimal("0.003")
    # A count past u64 is a typed usage error, never a wrapped count.
    with pytest.raises(tariff.UsageError):
        tariff.quote("claude-sonnet-4-5", {"input_tokens": 2**70})
    with pytest.raises(tariff.UsageError, match="service_tier `cheap`"):
        tariff.quote("claude-sonnet-4-5", SONNET, service_tier="cheap")
    with pytest.raises(TypeError):
        tariff.quote("claude-sonnet-4-5", [1, 2])


def test_catalog_models_and_model():
    cat = tariff.Catalog()
    ids = cat.models()
    assert "claude-sonnet-4-5" in ids and len(ids) == len(set(ids))
    m = cat.model("claude-sonnet-4-5-20250929")
    assert m["id"] == "claude-sonnet-4-5" and m["provider"] == "anthropic"
    with pytest.raises(tariff.UnknownModel):
        cat.model("no-such-model")
    assert cat.quote("claude-sonnet-4-5", SONNET, at="2025-11-01").total == Decimal("0.0204")


def test_catalog_with_extra_tables_matches_the_cli_prices_flag(cli):
    acme = ROOT / "tests" / "fixtures" / "acme.toml"
    cat = tariff.Catalog([acme])
    extra = sorted(set(cat.models()) - set(tariff.Catalog().models()))
    assert extra, "acme.toml adds no model"
    model = extra[0]
    usage = {"input_tokens": 12345, "output_tokens": 678, "at": "2025-06-01T00:00:00Z"}
    try:
        bill = cat.quote(model, usage).to_dict()
    except tariff.TariffError as e:
        assert str(e) == cli_error(
            cli, "--prices", str(acme), "quote", "--model", model, "--usage", json.dumps(usage)
        )
        return
    code, want, err = cli("--prices", str(acme), "quote", "--model", model, "--usage", json.dumps(usage), "--json")
    assert code == 0, err
    assert bill == want
    with pytest.raises(tariff.UnknownModel):
        tariff.quote(model, usage)


def test_a_bad_table_is_a_tariff_error(cli):
    bad = ROOT / "tests" / "fixtures" / "bad.toml"
    with pytest.raises(tariff.TariffError) as e:
        tariff.Catalog([bad])
    assert str(e.value).splitlines()[0] in cli_error(cli, "--prices", str(bad), "models")


def test_bills_are_shared_between_threads():
    bill = tariff.quote("claude-sonnet-4-5", SONNET, at="2025-11-01")
    out = []

    def work():
        for _ in range(200):
            out.append(tariff.quote("claude-sonnet-4-5", SONNET, at="2025-11-01").total + bill.total)

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert out == [Decimal("0.0408")] * 800


def test_a_usage_dict_of_counts_reads_as_its_json_text():
    # A dict of int counts is read directly (the per-call path), anything else through
    # JSON text with the full checks: both must give the same bill or the same error.
    import random

    rnd = random.Random(17)
    buckets = [
        "input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens",
        "output_tokens", "reasoning_tokens", "audio_input_tokens", "image_input_tokens",
        "characters", "requests", "web_search_calls",
    ]
    odd = [0, -1, 2**53, 10**30, True, False, Decimal(7), "12", None]
    models = ["claude-sonnet-4-5", "gpt-4o", "gpt-5", "gemini-2.5-pro", "deepseek-chat"]
    seen_errors = seen_bills = 0
    for _ in range(600):
        usage = {b: rnd.randint(0, 400_000) for b in rnd.sample(buckets, rnd.randint(0, 5))}
        if rnd.random() < 0.3:
            usage[rnd.choice(buckets)] = rnd.choice(odd)
        if rnd.random() < 0.05:
            usage["total_tokens"] = sum(v for v in usage.values() if type(v) is int)
        model = rnd.choice(models)
        text = json.dumps({k: (int(v) if isinstance(v, Decimal) else v) for k, v in usage.items()}, separators=(",", ":"))

        def run(u):
            try:
                return tariff.quote(model, u, at="2025-11-01").to_dict()
            except tariff.TariffError as e:
                return (type(e), str(e))

        direct, via_text = run(usage), run(text)
        assert direct == via_text, usage
        if isinstance(direct, tuple):
            seen_errors += 1
        else:
            seen_bills += 1
            assert tariff.quote(model, usage, at="2025-11-01").total == Decimal(direct["total"])
    # Both outcomes in number (units a model has no price for are errors too).
    assert seen_errors > 20 and seen_bills > 100, (seen_errors, seen_bills)


def test_total_currency_model_provider_are_the_dicts():
    bill = tariff.quote("claude-sonnet-4-5", {"input_tokens": 1000, "output_tokens": 400}, at="2025-11-01")
    d = bill.to_dict()
    # 1000*3 + 400*15 = 9000 per 1M = 0.009
    assert str(bill.total) == d["total"] == "0.009"
    assert (bill.currency, bill.model, bill.provider) == (d["currency"], d["model"], d["provider"])
