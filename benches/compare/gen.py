"""Generates the comparison's usage records, deterministically (seeded).

Each JSONL line describes one request as every tool needs it:

- ``model``: the name sent (the same for every tool), ``family``: the model's short id;
- ``usage``: tariff's canonical usage record (exclusive buckets: ``input_tokens``
  is uncached input, ``output_tokens`` excludes reasoning);
- ``litellm``: the provider's own usage block (Anthropic Messages, OpenAI Chat Completions or
  Gemini ``usageMetadata``), which the driver turns into a LiteLLM ``Usage`` with LiteLLM's
  own provider transformation, as LiteLLM would for a real response;
- ``genai_prices``: genai-prices' ``Usage`` fields (inclusive: ``input_tokens`` counts cached
  input and cache writes, ``output_tokens`` counts reasoning).

Usage: python gen.py OUT.jsonl [N] [SEED]
"""

from __future__ import annotations

import json
import random
import sys

# Models every tool prices, with their provider and weight in the mix.
MODELS = [
    ("claude-sonnet-4-5", "anthropic", 25),
    ("claude-haiku-4-5", "anthropic", 10),
    ("gpt-4o", "openai", 10),
    ("gpt-4o-mini", "openai", 10),
    ("gpt-4.1", "openai", 10),
    ("gpt-5", "openai", 10),
    ("gemini-2.5-flash", "google", 15),
    ("gemini-2.5-pro", "google", 10),
]
# Models with a 200K-input price cliff (in at least one tool's data).
TIERED = {"claude-sonnet-4-5", "gemini-2.5-pro"}
# Dated snapshot names, sent instead of the short id in 30% of the records (as relays see
# them); every tool resolves them to the same model.
DATED = {
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-5": "gpt-5-2025-08-07",
}
THRESHOLD = 200_000


def anthropic(r: random.Random, model: str) -> dict:
    inp = r.randint(1, 8_000)
    cr = r.randint(1_000, 120_000) if r.random() < 0.6 else 0
    cw5 = cw1h = 0
    if r.random() < 0.35:
        kind = r.random()
        if kind < 0.6 or kind >= 0.8:
            cw5 = r.randint(500, 20_000)
        if kind >= 0.6:
            cw1h = r.randint(500, 20_000)
    out = r.randint(20, 4_000)
    reasoning = r.randint(100, 16_000) if r.random() < 0.4 else 0
    if model in TIERED:
        x = r.random()
        if x < 0.10:  # well above the cliff
            inp = r.randint(THRESHOLD + 1, 500_000)
        elif x < 0.12:  # exactly at it: not above
            inp = max(1, THRESHOLD - cr - cw5 - cw1h)
            cr = THRESHOLD - inp - cw5 - cw1h
    usage = {
        "input_tokens": inp,
        "cache_read_tokens": cr,
        "cache_write_tokens": cw5,
        "cache_write_1h_tokens": cw1h,
        "output_tokens": out,
        "reasoning_tokens": reasoning,
    }
    litellm = {
        "custom_llm_provider": "anthropic",
        "model": model,
        "provider_usage": {
            "input_tokens": inp,
            "cache_creation_input_tokens": cw5 + cw1h,
            "cache_read_input_tokens": cr,
            "cache_creation": {"ephemeral_5m_input_tokens": cw5, "ephemeral_1h_input_tokens": cw1h},
            # Anthropic counts thinking in output_tokens.
            "output_tokens": out + reasoning,
        },
    }
    genai = {
        "input_tokens": inp + cr + cw5 + cw1h,
        "cache_read_tokens": cr,
        "cache_write_tokens": cw5 + cw1h,
        "cache_write_1h_tokens": cw1h,
        "output_tokens": out + reasoning,
    }
    return {"usage": usage, "litellm": litellm, "genai_usage": genai}


def openai(r: random.Random, model: str) -> dict:
    inp = r.randint(1, 12_000)
    cr = r.randint(1_024, 60_000) if r.random() < 0.5 else 0
    if model == "gpt-4.1" and r.random() < 0.05:  # a long context, and no cliff
        inp = r.randint(THRESHOLD + 1, 900_000)
    out = r.randint(20, 4_000)
    reasoning = r.randint(64, 12_000) if model == "gpt-5" and r.random() < 0.8 else 0
    usage = {
        "input_tokens": inp,
        "cache_read_tokens": cr,
        "output_tokens": out,
        "reasoning_tokens": reasoning,
    }
    litellm = {
        "custom_llm_provider": "openai",
        "model": model,
        "provider_usage": {
            "prompt_tokens": inp + cr,
            "completion_tokens": out + reasoning,
            "total_tokens": inp + cr + out + reasoning,
            "prompt_tokens_details": {"cached_tokens": cr},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        },
    }
    genai = {
        "input_tokens": inp + cr,
        "cache_read_tokens": cr,
        "output_tokens": out + reasoning,
    }
    return {"usage": usage, "litellm": litellm, "genai_usage": genai}


def google(r: random.Random, model: str) -> dict:
    inp = r.randint(1, 10_000)
    cr = r.randint(2_048, 100_000) if r.random() < 0.4 else 0
    out = r.randint(20, 4_000)
    thinks = model == "gemini-2.5-pro" or r.random() < 0.7
    reasoning = r.randint(100, 12_000) if thinks else 0
    if model in TIERED:
        x = r.random()
        if x < 0.15:
            inp = r.randint(THRESHOLD + 1, 900_000)
        elif x < 0.17:
            inp = THRESHOLD - cr
    usage = {
        "input_tokens": inp,
        "cache_read_tokens": cr,
        "output_tokens": out,
        "reasoning_tokens": reasoning,
    }
    meta = {
        "promptTokenCount": inp + cr,
        "candidatesTokenCount": out,
        "totalTokenCount": inp + cr + out + reasoning,
    }
    if cr:
        meta["cachedContentTokenCount"] = cr
    if reasoning:
        meta["thoughtsTokenCount"] = reasoning
    litellm = {"custom_llm_provider": "gemini", "model": model, "provider_usage": meta}
    genai = {
        "input_tokens": inp + cr,
        "cache_read_tokens": cr,
        "output_tokens": out + reasoning,
    }
    return {"usage": usage, "litellm": litellm, "genai_usage": genai}


GEN = {"anthropic": anthropic, "openai": openai, "google": google}


def main() -> None:
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20251101
    r = random.Random(seed)
    names = [m for m, _, _ in MODELS]
    weights = [w for _, _, w in MODELS]
    provider = {m: p for m, p, _ in MODELS}
    with open(out, "w") as f:
        for i in range(n):
            family = r.choices(names, weights)[0]
            rec = GEN[provider[family]](r, family)
            model = DATED[family] if family in DATED and r.random() < 0.3 else family
            rec["litellm"]["model"] = model
            # Requests spread over November 2025.
            at = f"2025-11-{1 + i % 30:02d}T{(i * 7) % 24:02d}:{(i * 13) % 60:02d}:00Z"
            usage = {k: v for k, v in rec["usage"].items() if v}
            usage["at"] = at
            line = {
                "id": i,
                "model": model,
                "family": family,
                "provider": provider[family],
                "usage": usage,
                "litellm": rec["litellm"],
                "genai_prices": {
                    "model_ref": model,
                    "provider_id": provider[family],
                    "usage": {k: v for k, v in rec["genai_usage"].items() if v},
                },
            }
            f.write(json.dumps(line, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
