"""meter, estimate, count, classify and reconcile against the CLI's --json output."""

import json
import threading
import time

import pytest

import tariff
from conftest import ROOT

RESPONSES = ROOT / "tests" / "fixtures" / "responses"
CORPUS = ROOT / "tests" / "corpus"


@pytest.mark.parametrize(
    "api,file",
    [
        ("openai-chat", "openai-chat.json"),
        ("openai-chat", "openai-chat-stream.sse"),
        ("openai-responses", "openai-responses.json"),
        ("anthropic", "anthropic.json"),
        ("anthropic", "anthropic-stream.sse"),
    ],
)
def test_meter_matches_the_cli_quote(api, file, cli):
    path = RESPONSES / file
    usage = tariff.meter(api, path.read_bytes())
    assert usage == tariff.meter(api, path.read_text())
    model = "gpt-4o" if api.startswith("openai") else "claude-sonnet-4-5"
    at = "2025-11-01T00:00:00Z"
    code, want, err = cli("quote", "--model", model, "--api", api, str(path), "--at", at, "--json")
    assert code == 0, err
    assert tariff.quote(model, usage, at=at).to_dict() == want


def test_meter_errors_are_usage_errors():
    with pytest.raises(tariff.UsageError):
        tariff.meter("openai-chat", b"{not json")
    with pytest.raises(tariff.TariffError, match="unknown api"):
        tariff.meter("no-such-api", b"{}")


def test_estimate_matches_the_cli(cli, tmp_path):
    req = {
        "model": "gpt-4o",
        "temperature": 0.7,
        "max_tokens": 300,
        "messages": [{"role": "user", "content": "Price this request, exactly."}],
    }
    f = tmp_path / "req.json"
    f.write_text(json.dumps(req))
    got = tariff.estimate("openai-chat", "gpt-4o", req, at="2025-11-01")
    code, want, err = cli(
        "estimate", "--api", "openai-chat", "--model", "gpt-4o", "--at", "2025-11-01", str(f), "--json"
    )
    assert code == 0, err
    assert got == want
    assert got["bill"]["total"] != "0"


@pytest.mark.parametrize("name", ["english.txt", "chinese.txt", "code_rust.rs.txt", "emoji.txt"])
def test_count_matches_the_cli(name, cli):
    path = CORPUS / name
    text = path.read_text()
    for enc in ("o200k_base", "cl100k_base"):
        code, want, err = cli("count", "--encoding", enc, str(path), "--json")
        assert code == 0, err
        assert tariff.count(text, encoding=enc) == want["tokens"]
    code, want, err = cli("count", "--model", "gpt-4o", str(path), "--json")
    assert tariff.count(text, model="gpt-4o") == want["tokens"]
    with pytest.raises(tariff.TariffError, match="no exact tokenizer"):
        tariff.count(text, model="claude-sonnet-4-5")
    with pytest.raises(tariff.TariffError, match="unknown encoding"):
        tariff.count(text, encoding="p50k")


def test_count_releases_the_gil():
    from test_arrow import longest_stall

    # Long enough to observe on a release build too.
    text = (CORPUS / "english.txt").read_text() * 200
    n = tariff.count(text, encoding="o200k_base")
    # Another Python thread keeps running during the count (see test_arrow.longest_stall
    # and its GIL-holding control there); the old check (the ticker ran at all) also
    # passed on ticks made before and after the calls.
    runs = []
    for _ in range(3):
        got = []
        runs.append(longest_stall(lambda: got.append(tariff.count(text, encoding="o200k_base"))))
        assert got == [n]
    assert min(stall / total for stall, total in runs) < 0.5, runs


@pytest.mark.parametrize(
    "status,body",
    [
        (429, '{"error":{"type":"rate_limit_error","message":"slow down"}}'),
        (400, '{"error":{"code":"context_length_exceeded","message":"too long"}}'),
        (502, "<html>bad gateway</html>"),
    ],
)
def test_classify_matches_the_cli(status, body, cli):
    code, want, err = cli("classify", "--status", str(status), "--body", body, "--json")
    assert code == 0, err
    assert tariff.classify(status, body) == want
    assert tariff.classify(status, body.encode()) == want


def test_reconcile_matches_the_cli(cli, tmp_path):
    log = tmp_path / "log.csv"
    code, _, err = cli(
        "synth", "--rows", "3000", "--format", "new-api-csv", "--seed", "9",
        "--inject", "unknown,cache", "--rate", "0.05", "--out", str(log),
    )
    assert code == 0, err
    rej_cli, rej_py = tmp_path / "cli.jsonl", tmp_path / "py.jsonl"
    code, want, err = cli(
        "reconcile", str(log), "--json", "--by", "model,class", "--threads", "2",
        "--rejects", str(rej_cli),
    )
    assert code == 0, err
    got = tariff.reconcile([log], by=("model", "class"), threads=2, rejects=rej_py)
    assert got == want
    assert rej_py.read_text() == rej_cli.read_text()
    assert rej_py.read_text().strip(), "the injected unknown models were not rejected"
    with pytest.raises(tariff.TariffError, match="unknown dimension"):
        tariff.reconcile([log], by=("planet",))
    with pytest.raises(tariff.TariffError, match="opening"):
        tariff.reconcile([tmp_path / "missing.jsonl"])


def test_reconcile_releases_the_gil(cli, tmp_path):
    from test_arrow import longest_stall

    log = tmp_path / "log.csv"
    code, _, err = cli(
        "synth", "--rows", "40000", "--format", "new-api-csv", "--seed", "3", "--out", str(log),
    )
    assert code == 0, err
    tariff.reconcile([log], threads=1)  # warm
    # Another Python thread keeps running while the log is read and priced (see
    # test_arrow.longest_stall and its control there).
    runs = [longest_stall(lambda: tariff.reconcile([log], threads=1)) for _ in range(3)]
    assert min(stall / total for stall, total in runs) < 0.5, runs
