#!/usr/bin/env python3
"""The differential: tariff against genai-prices' ``calc_price`` and LiteLLM's
``cost_per_token`` on random usage records over every model all three price.

    python3 tools/differential.py [--n 6000] [--seed 20261206] [--month 2026-11] [--out DIR]

It creates a venv under ``target/differential-venv`` (or uses ``$VENV``) with the newest
``genai-prices`` and ``litellm`` from PyPI unless they are installed there, and builds
``examples/price_records`` (tariff's batch pricer). The models: tariff's Anthropic, OpenAI
and Google chat models priced in USD per token (``tariff models --json``) that genai-prices
resolves and LiteLLM's bundled cost map lists. The records come from the generators of the
side-by-side benchmark (``benches/compare/gen.py``: the provider's own usage block for
LiteLLM's transformation, inclusive counts for genai-prices, exclusive buckets for tariff),
a tenth of them above a 200K context cliff, timed over one month. It prints the share of
records whose cost agrees with tariff's, exactly and within 1e-9 relative (LiteLLM prices
in binary floating point), per tool and per model, and writes the disagreements to
``DIR/differential.tsv``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ensure_venv() -> None:
    """Re-runs this script inside the venv, creating it when needed."""
    venv = Path(os.environ.get("VENV", ROOT / "target" / "differential-venv"))
    py = venv / "bin" / "python"
    if Path(sys.prefix).resolve() == venv.resolve():
        return
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    have = subprocess.run(
        [str(py), "-c", "import genai_prices, litellm"], capture_output=True
    )
    if have.returncode != 0:
        subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "genai-prices", "litellm"],
            check=True,
        )
    os.execv(str(py), [str(py), __file__, *sys.argv[1:]])


def drop_cache_reads(rec: dict, provider: str) -> None:
    """Removes the cache reads from one generated record, in all three of its forms."""
    cr = rec["usage"].get("cache_read_tokens", 0)
    if not cr:
        return
    rec["usage"]["cache_read_tokens"] = 0
    g = rec["genai_usage"]
    g["input_tokens"] -= cr
    g["cache_read_tokens"] = 0
    u = rec["litellm"]["provider_usage"]
    if provider == "anthropic":
        u["cache_read_input_tokens"] = 0
    elif provider == "openai":
        u["prompt_tokens"] -= cr
        u["total_tokens"] -= cr
        u["prompt_tokens_details"]["cached_tokens"] = 0
    else:  # Gemini usageMetadata
        u["promptTokenCount"] -= cr
        u["totalTokenCount"] -= cr
        u.pop("cachedContentTokenCount", None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=20261206)
    ap.add_argument("--month", default="2026-11", help="records are timed over this month (YYYY-MM)")
    ap.add_argument("--out", default=str(ROOT / "target" / "differential"))
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    sys.path.insert(0, str(ROOT / "benches" / "compare"))
    import gen  # noqa: E402  (the benchmark's record generators)
    import compare  # noqa: E402  (its LiteLLM and genai-prices drivers; imports both)
    import genai_prices  # noqa: E402
    import litellm  # noqa: E402
    from importlib.metadata import version  # noqa: E402

    subprocess.run(
        ["cargo", "build", "--quiet", "--example", "price_records"], cwd=ROOT, check=True
    )
    tariff_bin = ROOT / "target" / "debug" / "tariff"
    subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    models = json.loads(
        subprocess.run([str(tariff_bin), "models", "--json"], capture_output=True, check=True,
                       text=True).stdout
    )

    at_probe = f"{a.month}-15T12:00:00Z"
    probe_at = compare.parse_at(at_probe)
    chosen: list[tuple[str, str]] = []
    no_cache: set[str] = set()
    for m in models:
        p = m["provider"]
        if p not in gen.GEN or m["kind"] != "chat" or m.get("currency") != "USD":
            continue
        mid = m["id"]
        # tariff: priced per token at the month's middle.
        q = subprocess.run(
            [str(tariff_bin), "quote", "--model", mid, "--at", at_probe, "--json",
             "--usage", '{"input_tokens": 1000, "output_tokens": 1000}'],
            capture_output=True, text=True,
        )
        if q.returncode != 0:
            continue
        try:
            genai_prices.calc_price(
                genai_prices.Usage(input_tokens=1000, output_tokens=1000), mid,
                provider_id=p, genai_request_timestamp=probe_at,
            )
        except Exception:
            continue
        ll_provider = {"google": "gemini"}.get(p, p)
        key = mid if p != "google" else f"gemini/{mid}"
        if key not in litellm.model_cost and mid not in litellm.model_cost:
            continue
        # Cache reads only where tariff prices them (a model without caching never reports any).
        c = subprocess.run(
            [str(tariff_bin), "quote", "--model", mid, "--at", at_probe, "--json",
             "--usage", '{"input_tokens": 1000, "cache_read_tokens": 1000, "output_tokens": 1000}'],
            capture_output=True, text=True,
        )
        if c.returncode != 0:
            no_cache.add(mid)
        chosen.append((mid, p))
    if not chosen:
        sys.exit("no model is priced by all three")

    r = random.Random(a.seed)
    gen.TIERED = {m for m, _ in chosen}  # every model gets records above a 200K cliff
    recs = []
    year, month = (int(x) for x in a.month.split("-"))
    for i in range(a.n):
        mid, p = chosen[i % len(chosen)] if i < len(chosen) else r.choice(chosen)
        rec = gen.GEN[p](r, mid)
        if mid in no_cache:
            drop_cache_reads(rec, p)
        at = f"{year:04d}-{month:02d}-{1 + i % 28:02d}T{(i * 7) % 24:02d}:{(i * 13) % 60:02d}:00Z"
        usage = {k: v for k, v in rec["usage"].items() if v}
        usage["at"] = at
        rec["litellm"]["model"] = mid
        recs.append({
            "id": i, "model": mid, "family": mid, "provider": p, "usage": usage,
            "litellm": rec["litellm"],
            "genai_prices": {"model_ref": mid, "provider_id": p,
                             "usage": {k: v for k, v in rec["genai_usage"].items() if v}},
        })
    rec_file = out / "records.jsonl"
    with open(rec_file, "w") as f:
        for rec in recs:
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")

    totals = out / "tariff.tsv"
    subprocess.run(
        [str(ROOT / "target" / "debug" / "examples" / "price_records"), str(rec_file),
         "--repeat", "1", "--totals", str(totals)],
        check=True, capture_output=True,
    )
    mine: dict[int, Decimal | None] = {}
    for line in open(totals):
        parts = line.rstrip("\n").split("\t")
        mine[int(parts[0])] = None if parts[1] == "ERROR" else Decimal(parts[1])

    tools = [compare.GenAIPrices(), compare.LiteLLM()]
    exact = Counter()
    close = Counter()
    priced = Counter()
    per_model: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    rows = []
    for rec in recs:
        t = mine.get(rec["id"])
        if t is None:
            continue
        for tool in tools:
            try:
                i, o = tool.price(tool.prepare(rec))
                theirs = i + o
            except Exception as e:  # noqa: BLE001 — a tool's failure is a disagreement
                theirs = None
                err = f"{type(e).__name__}: {e}"[:120]
            priced[tool.name] += 1
            pm = per_model[tool.name][rec["model"]]
            pm[1] += 1
            if theirs is not None and theirs == t:
                exact[tool.name] += 1
            if theirs is not None and compare.agree(theirs, t):
                close[tool.name] += 1
                pm[0] += 1
            else:
                rows.append((tool.name, rec["model"], rec["id"], str(t),
                             "ERROR " + err if theirs is None else str(theirs),
                             json.dumps(rec["usage"])))

    n_ok = sum(1 for v in mine.values() if v is not None)
    print(f"records: {a.n} over {len(chosen)} models ({a.month}, seed {a.seed}); "
          f"tariff priced {n_ok} ({len(no_cache)} models without cache prices get no cache reads)")
    refused = Counter(rid_model for rid_model in
                      (rec["model"] for rec in recs if mine.get(rec["id"]) is None))
    if refused:
        print("  tariff refused (no price for a bucket): "
              + ", ".join(f"{m} {n}" for m, n in refused.most_common()))
    print(f"genai-prices {version('genai-prices')}, litellm {version('litellm')}")
    for tool in tools:
        n = priced[tool.name]
        print(f"  {tool.name:<26} agrees exactly on {exact[tool.name]}/{n} "
              f"({100 * exact[tool.name] / n:.1f}%), within 1e-9 on {close[tool.name]}/{n} "
              f"({100 * close[tool.name] / n:.1f}%)")
    for tool in tools:
        worst = sorted(((v[0] / v[1], m, v) for m, v in per_model[tool.name].items() if v[0] < v[1]))
        if worst:
            print(f"  {tool.name}: models with disagreements: "
                  + ", ".join(f"{m} {v[0]}/{v[1]}" for _, m, v in worst))
    with open(out / "differential.tsv", "w") as f:
        f.write("tool\tmodel\tid\ttariff\ttheirs\tusage\n")
        for row in rows:
            f.write("\t".join(str(x) for x in row) + "\n")
    print(f"disagreements: {out / 'differential.tsv'}")


if __name__ == "__main__":
    ensure_venv()
    main()
