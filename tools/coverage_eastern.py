#!/usr/bin/env python3
"""Coverage of the eastern and smaller vendors' current models by the built-in price tables.

coverage = current models that tariff prices on DATE / current models that either reference
source (genai-prices 0.2.5 dump, LiteLLM price map) prices, for DeepSeek, Alibaba Qwen
(DashScope), ByteDance (Volcengine Ark), Baidu, MiniMax, Kling, Jimeng, Suno, Cohere and Jina.

A source model counts when the source gives it a price (a LiteLLM entry with no cost key does
not), and is "current" unless a source marks it deprecated (genai-prices `deprecated`,
LiteLLM `deprecation_date` on or before DATE). Third-party models a vendor's cloud merely hosts
(DeepSeek, GLM, Kimi on DashScope or Ark) belong to their maker and are not counted for the
host. tariff "prices" a name when the name resolves (id, alias or `*` pattern, as the catalog
resolves it) to a model that has a schedule in force on DATE (no `until`, or `until` after it).

Usage: python3 tools/coverage_eastern.py [--date 2026-12-06] [--reference DIR] [--json]
           [--missing] [--tables DIR]
The model list comes from `cargo run -q -- models --json`; the schedules from pricing/*.toml.
Standard library only.
"""

import argparse
import datetime as dt
import json
import pathlib
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent

# genai-prices provider id -> vendor
GENAI = {"deepseek": "deepseek", "minimax": "minimax", "cohere": "cohere"}
# LiteLLM litellm_provider -> vendor. dashscope, qwencloud and qwen_ai_platform are three
# copies of one Model Studio list; the names are deduplicated per vendor.
LITELLM = {
    "deepseek": "deepseek",
    "dashscope": "alibaba",
    "qwencloud": "alibaba",
    "qwen_ai_platform": "alibaba",
    "volcengine": "bytedance",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "jina_ai": "jina",
    "minimax": "minimax",
}
# Prefixes of models made by someone else than the host vendor.
HOSTED = ("deepseek-", "glm-", "kimi-")

# Names a source lists as current that the vendor's own API no longer serves, with the evidence.
# They are left out of "current" (and printed, so the choice stays visible).
V3_LINE = (
    "not an api.deepseek.com model name: DeepSeek's V3 / R1 / V3.x models were served only as "
    "deepseek-chat / deepseek-reasoner, retired 2026-07-24 15:59 UTC "
    "(https://api-docs.deepseek.com/news/news260424)"
)
NOT_CURRENT = {
    ("deepseek", "deepseek-v3"): V3_LINE,
    ("deepseek", "deepseek-r1"): V3_LINE,
    ("deepseek", "deepseek-coder"): V3_LINE + "; deepseek-coder was merged into deepseek-chat in 2024",
    ("deepseek", "deepseek-v3.1-terminus"): V3_LINE,
    ("deepseek", "deepseek-v3.2"): V3_LINE,
    ("deepseek", "deepseek-v3.2-exp"): V3_LINE,
}


def glob(pattern, name):
    """`*` = any run of characters, as the catalog's patterns."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == name
    if not name.startswith(parts[0]) or not name.endswith(parts[-1]):
        return False
    pos = len(parts[0])
    end = len(name) - len(parts[-1])
    if end < pos:
        return False
    for mid in parts[1:-1]:
        i = name.find(mid, pos, end)
        if i < 0:
            return False
        pos = i + len(mid)
    return True


def to_date(v):
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    raise ValueError(f"not a date: {v!r}")


def current_ids(date, tables):
    """Model ids with at least one schedule whose [from, until) holds DATE 00:00 UTC."""
    at = dt.datetime(date.year, date.month, date.day)
    live = set()
    for f in sorted(pathlib.Path(tables).glob("*.toml")):
        doc = tomllib.loads(f.read_text())
        for m in doc.get("model", []):
            for s in m.get("price", []):
                start, until = to_date(s.get("from")), to_date(s.get("until"))
                if (start is None or start <= at) and (until is None or at < until):
                    live.add(m["id"])
                    break
    return live


def tables_models(tables):
    """The model names of a directory of price tables (for measuring an older revision's tables
    without building it: `git archive REV pricing | tar -x -C DIR`)."""
    out = []
    for f in sorted(pathlib.Path(tables).glob("*.toml")):
        for m in tomllib.loads(f.read_text()).get("model", []):
            out.append({"id": m["id"], "aliases": m.get("aliases", []), "patterns": m.get("patterns", [])})
    return out


def tariff_models():
    out = subprocess.run(
        ["cargo", "run", "-q", "--", "models", "--json"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def resolver(models):
    names = {}
    patterns = []
    for m in models:
        for n in [m["id"], *m.get("aliases", [])]:
            names[n] = m["id"]
        for p in m.get("patterns", []):
            patterns.append((p, m["id"]))

    def resolve(name):
        if name in names:
            return names[name]
        best = None
        for p, mid in patterns:
            if glob(p, name):
                lit = len(p) - p.count("*")
                if best is None or lit > best[0]:
                    best = (lit, mid)
        return best[1] if best else None

    return resolve


def source_models(ref, date):
    """{(vendor, name): {"sources": set, "retired": bool}}"""
    out = {}

    def add(vendor, name, src, retired):
        e = out.setdefault((vendor, name), {"sources": set(), "retired": False})
        e["sources"].add(src)
        e["retired"] = e["retired"] or retired

    gp = json.loads((ref / "genai-prices-0.2.5-providers.json").read_text())
    for p in gp["providers"]:
        vendor = GENAI.get(p["id"])
        if vendor is None:
            continue
        for m in p["models"]:
            add(vendor, m["id"], "genai-prices", bool(m.get("deprecated")))

    ll = json.loads((ref / "litellm-model-prices-1.110.2.json").read_text())
    for key, v in ll.items():
        if not isinstance(v, dict):
            continue
        vendor = LITELLM.get(v.get("litellm_provider"))
        if vendor is None:
            continue
        name = key.split("/", 1)[1] if "/" in key else key
        if name.startswith(HOSTED) and vendor != "deepseek":
            continue
        if not any("cost" in k or k == "tiered_pricing" for k in v):
            continue  # listed without any price: the source does not price it
        dep = v.get("deprecation_date")
        retired = bool(dep) and dt.date.fromisoformat(dep) <= date
        add(vendor, name, "litellm", retired)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--date", default="2026-12-06")
    ap.add_argument("--reference", default="/work/shared/reference")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--missing", action="store_true", help="list the unpriced current models")
    ap.add_argument(
        "--tables",
        help="read the model names and schedules from this directory of price tables instead of "
        "`cargo run -- models --json` and pricing/ (to measure another revision)",
    )
    a = ap.parse_args()
    date = dt.date.fromisoformat(a.date)

    if a.tables:
        resolve = resolver(tables_models(a.tables))
        live = current_ids(date, a.tables)
    else:
        resolve = resolver(tariff_models())
        live = current_ids(date, ROOT / "pricing")
    src = source_models(pathlib.Path(a.reference), date)

    per = {}
    missing = []
    excluded = []
    for (vendor, name), e in sorted(src.items()):
        if e["retired"]:
            continue
        if (vendor, name) in NOT_CURRENT:
            excluded.append((vendor, name, NOT_CURRENT[(vendor, name)]))
            continue
        row = per.setdefault(vendor, [0, 0])
        row[1] += 1
        mid = resolve(name)
        if mid is not None and mid in live:
            row[0] += 1
        else:
            why = "unknown name" if mid is None else f"{mid} has no schedule on {date}"
            missing.append((vendor, name, sorted(e["sources"]), why))

    priced = sum(r[0] for r in per.values())
    total = sum(r[1] for r in per.values())
    result = {
        "date": str(date),
        "priced": priced,
        "current": total,
        "coverage": round(priced / total, 4) if total else None,
        "per_vendor": {v: {"priced": r[0], "current": r[1]} for v, r in sorted(per.items())},
        "missing": [
            {"vendor": v, "model": n, "sources": s, "why": w} for v, n, s, w in missing
        ],
        "not_current": [{"vendor": v, "model": n, "why": w} for v, n, w in excluded],
    }
    if a.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    for v, r in sorted(per.items()):
        print(f"{v:10} {r[0]:4} / {r[1]:4}")
    print(f"{'total':10} {priced:4} / {total:4}  = {100 * priced / total:.1f}%")
    print(f"{len(excluded)} source models left out as no longer served by the vendor (--missing lists them)")
    if a.missing:
        for v, n, s, w in missing:
            print(f"  missing  {v:10} {n:45} {'+'.join(s):20} {w}")
        for v, n, w in excluded:
            print(f"  retired  {v:10} {n:45} {w}")


if __name__ == "__main__":
    main()
