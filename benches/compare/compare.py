"""Times LiteLLM's ``cost_per_token`` and genai-prices' ``calc_price`` on the records that
tariff priced, checks every record's cost against tariff's, and prints one table.

Usage: python compare.py RECORDS.jsonl TARIFF_STATS TARIFF_TOTALS.tsv [--repeat N] [--out DIR]

``TARIFF_STATS`` is what ``examples/price_records.rs`` printed; ``TARIFF_TOTALS.tsv`` its
``--totals`` file. Per-record costs of all three tools go to ``DIR/costs.tsv`` and the
disagreements to ``DIR/disagreements.tsv``.

Both libraries run offline: LiteLLM reads the model cost map it ships
(``LITELLM_LOCAL_MODEL_COST_MAP=True``, set here before the import) and genai-prices uses
its bundled snapshot (no ``UpdatePrices``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from importlib.metadata import version

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_LOG", "ERROR")

import genai_prices  # noqa: E402
import litellm  # noqa: E402
from litellm.llms.anthropic.chat.transformation import AnthropicConfig  # noqa: E402
from litellm.llms.vertex_ai.gemini.vertex_and_google_ai_studio_gemini import (  # noqa: E402
    VertexGeminiConfig,
)

litellm.suppress_debug_info = True
logging.getLogger("LiteLLM").setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore")

# Two costs agree when they differ by less than this, relative (LiteLLM prices in binary
# floating point) or absolute, in USD.
REL_TOL = Decimal("1e-9")
ABS_TOL = Decimal("1e-12")



def litellm_usage(rec: dict):
    """The LiteLLM ``Usage`` its own provider transformation makes of the raw usage block."""
    ll = rec["litellm"]
    raw = ll["provider_usage"]
    p = ll["custom_llm_provider"]
    if p == "anthropic":
        return AnthropicConfig().calculate_usage(raw, reasoning_content=None)
    if p == "gemini":
        return VertexGeminiConfig._calculate_usage({"usageMetadata": raw})
    return litellm.Usage(**raw)


def parse_at(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


class Tool:
    name: str

    def prepare(self, rec: dict):
        raise NotImplementedError

    def price(self, prepared) -> tuple[Decimal, Decimal]:
        """(input side, output side) in USD."""
        raise NotImplementedError


class LiteLLM(Tool):
    name = "LiteLLM cost_per_token"

    def prepare(self, rec):
        ll = rec["litellm"]
        return (ll["model"], ll["custom_llm_provider"], litellm_usage(rec))

    def call(self, p):
        model, provider, usage = p
        return litellm.cost_per_token(model=model, custom_llm_provider=provider, usage_object=usage)

    def price(self, p):
        i, o = self.call(p)
        return Decimal(repr(i)), Decimal(repr(o))


class GenAIPrices(Tool):
    name = "genai-prices calc_price"

    def prepare(self, rec):
        g = rec["genai_prices"]
        usage = genai_prices.Usage(**g["usage"])
        return (usage, g["model_ref"], g["provider_id"], parse_at(rec["usage"]["at"]))

    def call(self, p):
        usage, model, provider, at = p
        return genai_prices.calc_price(usage, model, provider_id=provider, genai_request_timestamp=at)

    def price(self, p):
        c = self.call(p)
        return Decimal(c.input_price), Decimal(c.output_price)


def timed(tool, prepared: list, repeat: int) -> float:
    """Best-of-``repeat`` seconds to price every prepared record."""
    call = tool.call
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for p in prepared:
            call(p)
        best = min(best, time.perf_counter() - t)
    return best


def features(rec: dict) -> list[str]:
    u = rec["usage"]
    f = []
    prompt = sum(u.get(k, 0) for k in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens"))
    if prompt > 200_000:
        f.append("prompt>200K")
    elif prompt == 200_000:
        f.append("prompt=200K")
    for k, label in (
        ("cache_write_1h_tokens", "cache_write_1h"),
        ("cache_write_tokens", "cache_write_5m"),
        ("cache_read_tokens", "cache_read"),
        ("reasoning_tokens", "reasoning"),
    ):
        if u.get(k):
            f.append(label)
    return f


def agree(a: Decimal, b: Decimal) -> bool:
    d = abs(a - b)
    return d <= ABS_TOL or d <= REL_TOL * max(abs(a), abs(b))


def explain(group: list[tuple[dict, dict]], all_recs: list[dict], agreed_ids: set) -> str:
    """The record feature every disagreement of a group has and no agreeing record of the
    same model has, if there is one."""
    if not group:
        return ""
    model = group[0][0]["family"]
    same_model_agreeing = [r for r in all_recs if r["family"] == model and r["id"] in agreed_ids]
    common = set(features(group[0][0]))
    for rec, _ in group[1:]:
        common &= set(features(rec))
    for f in ("prompt>200K", "prompt=200K", "cache_write_1h", "reasoning", "cache_write_5m", "cache_read"):
        if f in common and not any(f in features(r) for r in same_model_agreeing):
            return f"only and always with {f}"
    return "no single feature explains it"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("records")
    ap.add_argument("tariff_stats")
    ap.add_argument("tariff_totals")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    recs = [json.loads(line) for line in open(a.records) if line.strip()]
    stats = dict(line.rstrip("\n").split("\t", 1) for line in open(a.tariff_stats) if "\t" in line)
    tariff = {}
    for line in open(a.tariff_totals):
        parts = line.rstrip("\n").split("\t")
        if parts[1] == "ERROR":
            tariff[int(parts[0])] = ("ERROR", parts[2])
        else:
            tariff[int(parts[0])] = tuple(Decimal(x) for x in parts[1:4])

    tools = [LiteLLM(), GenAIPrices()]
    results: dict[str, dict[int, object]] = {}
    rates: dict[str, tuple[float, int]] = {}
    for tool in tools:
        prepared, ok_ids, res = [], [], {}
        for rec in recs:
            try:
                p = tool.prepare(rec)
                i, o = tool.price(p)
                res[rec["id"]] = (i + o, i, o)
                prepared.append(p)
                ok_ids.append(rec["id"])
            except Exception as e:  # noqa: BLE001 -- a tool's failure is a finding
                res[rec["id"]] = ("ERROR", f"{type(e).__name__}: {e}".replace("\n", " ")[:200])
        secs = timed(tool, prepared, a.repeat)
        rates[tool.name] = (len(prepared) / secs if prepared else 0.0, len(prepared))
        results[tool.name] = res
        print(f"timed {tool.name}: {len(prepared)} records, best of {a.repeat}: {secs:.3f} s", file=sys.stderr)

    tariff_rate = float(stats["by_name_records_per_s"])
    tariff_resolved = float(stats["resolved_records_per_s"])
    n = len(recs)
    print()
    print(f"{n} records ({a.records}); tariff best of {stats['repeat']}, Python tools best of {a.repeat}")
    print(f"versions: litellm {version('litellm')}, genai-prices {version('genai-prices')}, Python {sys.version.split()[0]}")
    print()
    # The ratio: tariff's records/s (name lookup included) over the tool's.
    print(f"| {'tool':<44} | {'records priced':>14} | {'records/s':>12} | {'tariff ÷ tool':>13} |")
    print(f"|{'-' * 46}|{'-' * 15}:|{'-' * 13}:|{'-' * 14}:|")
    rows = [
        ("tariff Catalog::quote (name lookup included)", int(stats["priced"]), tariff_rate),
        ("tariff price::quote (model resolved)", int(stats["priced"]), tariff_resolved),
    ] + [(t.name, rates[t.name][1], rates[t.name][0]) for t in tools]
    for name, priced, r in rows:
        ratio = tariff_rate / r if r else float("inf")
        print(f"| {name:<44} | {priced:>14} | {r:>12,.0f} | {ratio:>13,.{2 if ratio < 10 else 0}f} |")
    print()
    sums = {"tariff": sum((v[0] for v in tariff.values() if v[0] != "ERROR"), Decimal(0))}
    for t in tools:
        sums[t.name] = sum((v[0] for v in results[t.name].values() if v[0] != "ERROR"), Decimal(0))
    print("sum of totals (USD): " + ", ".join(f"{k} {v:.9f}" for k, v in sums.items()))
    mix = Counter(r["family"] for r in recs)
    print("models: " + ", ".join(f"{m} {c}" for m, c in mix.most_common()))
    feats = Counter(f for r in recs for f in features(r))
    print("records with: " + ", ".join(f"{f} {c}" for f, c in feats.most_common()))
    print(f"sent as a dated snapshot name: {sum(r['model'] != r['family'] for r in recs)}")
    print()

    # Disagreements with tariff, per tool, grouped by model and which side of the bill differs.
    rows_out = []
    print("Disagreements with tariff (relative tolerance 1e-9):")
    for t in tools:
        groups: dict[tuple, list] = defaultdict(list)
        agreed = set()
        for rec in recs:
            rid = rec["id"]
            mine, theirs = tariff[rid], results[t.name][rid]
            if mine[0] == "ERROR" or theirs[0] == "ERROR":
                if mine[0] == theirs[0] == "ERROR":
                    continue
                who = "tariff" if mine[0] == "ERROR" else t.name.split()[0]
                msg = mine[1] if mine[0] == "ERROR" else theirs[1]
                groups[(rec["family"], f"error in {who}")].append((rec, {"msg": msg}))
                continue
            ti, to = mine[1], mine[2]
            oi, oo = theirs[1], theirs[2]
            if agree(mine[0], theirs[0]) and agree(ti, oi) and agree(to, oo):
                agreed.add(rid)
                continue
            side = "+".join(s for s, x, y in (("input", ti, oi), ("output", to, oo)) if not agree(x, y))
            groups[(rec["family"], f"{side} side")].append(
                (rec, {"tariff": mine[0], "other": theirs[0], "ti": ti, "oi": oi, "to": to, "oo": oo})
            )
        total = sum(len(v) for v in groups.values())
        print(f"\n  {t.name}: {total} of {n} records disagree")
        for (model, side), group in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            feats = Counter(f for rec, _ in group for f in features(rec))
            why = explain(group, recs, agreed) if not side.startswith("error") else group[0][1]["msg"]
            print(f"    {len(group):>5}  {model:<18} {side:<18} {why}")
            print("           features: " + ", ".join(f"{f} {c}" for f, c in feats.most_common()))
            if not side.startswith("error"):
                # How far apart, side by side: one ratio for a whole group means one rate differs.
                for label, mine_k, theirs_k in (("input", "ti", "oi"), ("output", "to", "oo")):
                    ratios = Counter(
                        f"{float(d[mine_k] / d[theirs_k]):.4g}" if d[theirs_k] else "∞"
                        for _, d in group
                        if not agree(d[mine_k], d[theirs_k])
                    )
                    if ratios:
                        top = ", ".join(f"×{r} ({c})" for r, c in ratios.most_common(4))
                        print(f"           {label} side, tariff / {t.name.split()[0]}: {top}")
            for rec, d in group[:2]:
                if "msg" in d:
                    continue
                print(
                    f"           e.g. #{rec['id']}: tariff {d['tariff']:.9f} vs {d['other']:.9f}"
                    f" (input {d['ti']:.9f} vs {d['oi']:.9f}, output {d['to']:.9f} vs {d['oo']:.9f})"
                    f"  usage {json.dumps({k: v for k, v in rec['usage'].items() if k != 'at'})}"
                )
            for rec, d in group:
                rows_out.append((t.name, rec["id"], model, side, why, d.get("tariff", ""), d.get("other", d.get("msg", ""))))

    if a.out:
        with open(os.path.join(a.out, "disagreements.tsv"), "w") as f:
            f.write("tool\tid\tmodel\tside\twhy\ttariff\tother\n")
            for r in rows_out:
                f.write("\t".join(str(x) for x in r) + "\n")
        with open(os.path.join(a.out, "costs.tsv"), "w") as f:
            f.write("id\tmodel\ttariff\tlitellm\tgenai_prices\n")
            for rec in recs:
                rid = rec["id"]
                f.write(
                    f"{rid}\t{rec['model']}\t{tariff[rid][0]}\t"
                    + "\t".join(str(results[t.name][rid][0]) for t in tools)
                    + "\n"
                )


if __name__ == "__main__":
    main()
