#!/usr/bin/env python3
"""Coverage of OpenAI, Anthropic and Google first-party models by tariff's built-in tables.

coverage = current models that genai-prices or LiteLLM prices and tariff resolves
           / current models that genai-prices or LiteLLM prices

Usage (from the repository root; Python standard library only):

    cargo run -q -- models --json > /tmp/models.json
    python3 tools/coverage_western.py --models /tmp/models.json [--at 2026-12-06] [--list]

Without --models the script runs `cargo run -q -- models --json` itself.

What counts as a source model:
  * genai-prices (providers dump): the models of providers `openai`, `anthropic`, `google`
    that carry at least one price, are not marked `deprecated`, and are first-party (Google's
    provider also lists Claude on Vertex: skipped), fine-tune templates (`ft:`) skipped.
  * LiteLLM: entries whose litellm_provider is openai, text-completion-openai, anthropic,
    gemini or vertex_ai-language-models with a Gemini / Google id, that carry a non-zero cost,
    whose `deprecation_date` is not before --at, without `ft:` and with the provider prefix
    (`gemini/`, `vertex_ai/`, `openai/`) and LiteLLM's size/quality prefixes
    (`low/1024-x-1024/`) removed from the name.
  A model name that appears in both sources counts once.

Left out unless --strict: the NOT_FIRST_PARTY and RETIRED names below (each with its reason).

A source model is covered when its name resolves in tariff (an id, an alias, or a glob
pattern, as the catalog resolves them), or — for genai-prices models — when a tariff id or
alias satisfies the genai-prices match rule of that model (so `gemini-flash-1.5` is covered
by `gemini-1.5-flash`). Retired models (`until` before --at) are not told apart here: the
models listing does not carry schedule dates.
"""

import argparse
import datetime as dt
import json
import re
import subprocess
import sys

PROVIDERS = ("openai", "anthropic", "google")
GENAI = "/work/shared/reference/genai-prices-0.2.5-providers.json"
LITELLM = "/work/shared/reference/litellm-model-prices-1.110.2.json"
LITELLM_PROVIDERS = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "vertex_ai-language-models": "google",
}
SIZE_PREFIX = re.compile(r"^(?:(?:low|medium|high|standard|hd)/)?(?:\d+-x-\d+/)?")

# Source entries that are not a current first-party API model, with the evidence. They are left out
# of the figure only with --exclude-known (the default); `--strict` counts them, and both figures
# are printed. Each line says why, so a reader can disagree.
NOT_FIRST_PARTY = {
    "gpt-4o:extended": "OpenRouter's slug for a GPT-4o variant, not an OpenAI API model id",
    "gpt-5-image": "genai-prices: 'Seen on OpenRouter before OpenAI'; OpenRouter's rate, not OpenAI's",
    "gpt-5-image-mini": "genai-prices: 'Seen on OpenRouter before OpenAI'; OpenRouter's rate",
    "gpt-5.4-image-2": "genai-prices: 'Imported from OpenRouter pricing; verify against OpenAI'",
    "gpt-oss-120b": "open-weight model OpenAI does not sell through its API (OpenRouter rate)",
    "gpt-oss-20b": "open-weight model OpenAI does not sell through its API (OpenRouter rate)",
    "gpt-oss-safeguard-20b": "open-weight model OpenAI does not sell through its API",
    "gemini-flash-1.5": "OpenRouter's slug of gemini-1.5-flash",
    "gemini-pro-1.5": "OpenRouter's slug of gemini-1.5-pro",
    "gemini-flash-1.5-8b": "OpenRouter's slug of gemini-1.5-flash-8b",
    "gemini-gemma-2-27b-it": "Gemma (open weights), not a Gemini API price",
    "gemini-gemma-2-9b-it": "Gemma (open weights), not a Gemini API price",
}
RETIRED = {
    "gemini-pro": "Gemini 1.0 Pro retired 2025-04-09 (cloud.google.com/vertex-ai/generative-ai/docs/deprecations/gemini-1.0-pro)",
    "gemini-1.0-pro-vision-001": "retired 2025-04-09 (same page)",
    "gemini-1.5-pro": "gemini-1.5-pro-002 retired 2025-09-24 (cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions)",
    "gemini-1.5-flash": "gemini-1.5-flash-002 retired 2025-09-24 (same page)",
}


def glob_match(pattern, name):
    """`*` = any run of characters, everything else literal (the catalog's rule)."""
    rx = "^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$"
    return re.match(rx, name) is not None


def genai_match(rule, name):
    """Evaluate a genai-prices match clause against a model name."""
    if "equals" in rule:
        return name == rule["equals"]
    if "starts_with" in rule:
        return name.startswith(rule["starts_with"])
    if "ends_with" in rule:
        return name.endswith(rule["ends_with"])
    if "contains" in rule:
        return rule["contains"] in name
    if "regex" in rule:
        return re.search(rule["regex"], name) is not None
    if "or_" in rule:
        return any(genai_match(r, name) for r in rule["or_"])
    if "and_" in rule:
        return all(genai_match(r, name) for r in rule["and_"])
    raise ValueError(f"unknown match clause {rule}")


def has_price(value):
    """True when a price structure holds a non-zero number somewhere."""
    if isinstance(value, dict):
        return any(has_price(v) for v in value.values())
    if isinstance(value, list):
        return any(has_price(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str):
        try:
            return float(value) != 0
        except ValueError:
            return False
    return False


def genai_models():
    data = json.load(open(GENAI))
    out = {}
    for provider in data["providers"]:
        if provider["id"] not in PROVIDERS:
            continue
        for model in provider["models"]:
            mid = model["id"]
            if model.get("deprecated"):
                continue
            if mid.startswith("ft:") or ".ft-" in mid:
                continue
            if provider["id"] == "google" and not re.match(r"^(gemini|imagen|veo|lyria)", mid):
                continue  # Claude / Gemma on Vertex AI: not Google's first-party API models
            if not has_price(model["prices"]):
                continue
            out[mid] = (provider["id"], model["match"])
    return out


def litellm_models(at):
    data = json.load(open(LITELLM))
    out = {}
    for key, entry in data.items():
        if not isinstance(entry, dict):
            continue
        provider = LITELLM_PROVIDERS.get(entry.get("litellm_provider"))
        if provider is None:
            continue
        name = key
        for prefix in ("gemini/", "vertex_ai/", "openai/"):
            if name.startswith(prefix):
                name = name[len(prefix):]
        name = SIZE_PREFIX.sub("", name)
        if name.startswith("ft:") or name.startswith("container"):
            continue
        if provider == "google" and not re.match(r"^(gemini|imagen|veo|lyria|deep-research)", name):
            continue
        if not any(has_price(v) for k, v in entry.items() if "cost" in k):
            continue
        dep = entry.get("deprecation_date")
        if dep:
            try:
                if dt.date.fromisoformat(dep) <= at:
                    continue
            except ValueError:
                pass
        out.setdefault(name, provider)
    return out


def load_tariff(path):
    if path:
        models = json.load(open(path))
    else:
        raw = subprocess.run(
            ["cargo", "run", "-q", "--", "models", "--json"], check=True, capture_output=True
        ).stdout
        models = json.loads(raw)
    names, patterns = set(), []
    for m in models:
        if m.get("provider") not in PROVIDERS:
            continue
        names.add(m["id"].lower())
        names.update(a.lower() for a in m.get("aliases", []))
        patterns.extend(p.lower() for p in m.get("patterns", []))
    return names, patterns


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", help="output of `tariff models --json` (else cargo is run)")
    ap.add_argument("--at", default="2026-12-06", help="date that decides what is retired")
    ap.add_argument("--list", action="store_true", help="list the models tariff lacks")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument(
        "--strict",
        action="store_true",
        help="count the NOT_FIRST_PARTY and RETIRED entries as current models too",
    )
    args = ap.parse_args()
    at = dt.date.fromisoformat(args.at)

    names, patterns = load_tariff(args.models)

    def resolves(name):
        n = name.lower()
        return n in names or any(glob_match(p, n) for p in patterns)

    source = {}  # name -> (provider, covered, origin)
    for mid, (provider, rule) in genai_models().items():
        ok = resolves(mid) or any(genai_match(rule, n) for n in names)
        source[mid] = (provider, ok, "genai-prices")
    for name, provider in litellm_models(at).items():
        if name in source:
            continue
        source[name] = (provider, resolves(name), "litellm")
    excluded = {}
    if not args.strict:
        for name in list(source):
            why = NOT_FIRST_PARTY.get(name) or RETIRED.get(name)
            if why:
                excluded[name] = why
                del source[name]

    result = {"at": args.at, "providers": {}}
    total = covered = 0
    for provider in PROVIDERS:
        rows = {k: v for k, v in source.items() if v[0] == provider}
        ok = sum(1 for v in rows.values() if v[1])
        missing = sorted((k, v[2]) for k, v in rows.items() if not v[1])
        result["providers"][provider] = {"current": len(rows), "priced": ok, "missing": missing}
        total += len(rows)
        covered += ok
    result["current"] = total
    result["priced"] = covered
    result["coverage_percent"] = round(100.0 * covered / total, 1) if total else 100.0
    result["excluded"] = excluded

    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    for provider, r in result["providers"].items():
        pct = 100.0 * r["priced"] / r["current"] if r["current"] else 100.0
        print(f"{provider:10} {r['priced']:4} / {r['current']:4}  {pct:5.1f}%")
        if args.list:
            for name, origin in r["missing"]:
                print(f"    missing: {name}  ({origin})")
    print(f"{'total':10} {covered:4} / {total:4}  {result['coverage_percent']:5.1f}%")
    if excluded:
        print(f"left out ({len(excluded)}; --strict counts them):")
        for name, why in sorted(excluded.items()):
            print(f"    {name}: {why}")


if __name__ == "__main__":
    main()
