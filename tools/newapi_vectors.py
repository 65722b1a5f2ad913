#!/usr/bin/env python3
"""Evaluate data/new-api/*.toml with a small generic matcher and assert every vector.

Proves the data schema is enough to reproduce new-api's effective ratios and quota
without any new-api-specific code: everything name-specific comes from the rules
and defaults files; this script only knows the schema (matchers, normalisers,
steps, the quota formula flags). Usage: newapi_vectors.py [DATA_DIR]
"""
import fnmatch
import json
import os
import sys
import tomllib
from decimal import ROUND_HALF_UP, Decimal, getcontext
from fractions import Fraction

getcontext().prec = 80  # shopspring decimal multiplies exactly; so must we

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "new-api")

NAMED_CONDITIONS = {
    "self_use_mode_enabled",  # operation setting SelfUseModeEnabled
    "user_accept_unset_ratio_model",  # user setting accept_unset_model_ratio_model
    "has_audio_tokens_and_audio_ratio_entry",  # audio dispatch at newer versions
}


def shortest(f):
    """Shortest decimal that round-trips a float64 (what decimal.NewFromFloat sees)."""
    s = format(Decimal(repr(float(f))), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


# ------------------------------------------------------------------ matcher
PRIMARY = ("exact", "prefix", "suffix", "contains", "glob", "all", "any", "not", "any_name")


def matches(m, name):
    keys = [k for k in m if k in PRIMARY]
    extra = set(m) - set(PRIMARY) - {"ignore_case"}
    if len(keys) != 1 or extra:
        raise ValueError(f"matcher needs exactly one of {PRIMARY}: {m}")
    k = keys[0]
    v = m[k]
    if k == "all":
        return all(matches(x, name) for x in v)
    if k == "any":
        return any(matches(x, name) for x in v)
    if k == "not":
        return not matches(v, name)
    if k == "any_name":
        return bool(v)
    n, pat = (name.lower(), v.lower()) if m.get("ignore_case") else (name, v)
    if k == "exact":
        return n == pat
    if k == "prefix":
        return n.startswith(pat)
    if k == "suffix":
        return n.endswith(pat)
    if k == "contains":
        return pat in n
    return fnmatch.fnmatchcase(n, pat)  # glob


# ------------------------------------------------------------------ version data
class Version:
    def __init__(self, rules_path):
        with open(rules_path, "rb") as f:
            self.r = tomllib.load(f)
        with open(os.path.join(os.path.dirname(rules_path), self.r["version"]["defaults"]), "rb") as f:
            d = tomllib.load(f)
        self.defaults = dict(d.get("defaults", {}))
        self.defaults.update(self.r.get("defaults", {}))
        self.id = self.r["version"]["id"]
        self.check_go_exprs()

    def check_go_exprs(self):
        # every rule value written with its Go expression must equal that expression in float64
        for lst in self.r.get("rules", {}).values():
            for e in lst:
                if "go_expr" in e:
                    a, op, b = e["go_expr"].split()
                    assert op == "/", e
                    val = Fraction(a) / Fraction(b)
                    assert shortest(float(val)) == e["value"], (self.id, e)

    def normalize(self, nid, name):
        for group in self.r["normalizers"][nid]["groups"]:
            for rule in group["rules"]:
                if matches(rule["when"], name):
                    name = rule["to"]
                    break
        return name

    def table(self, kind, options, which):
        spec = self.r["kinds"][kind]
        if which == "effective" and spec.get("option") in options:
            # an option row replaces the whole default map (types.LoadFromJsonString)
            return {k: shortest(v) for k, v in options[spec["option"]].items()}, "option"
        return self.defaults.get(kind, {}), "default"

    def rules(self, lst, name):
        for e in self.r["rules"][lst]:
            if matches(e["when"], name):
                return e
        return None

    def eval(self, kind, name, options, conditions):
        spec = self.r["kinds"][kind]
        if "derive" in spec:
            base, prov = self.eval(spec["derive"]["from"], name, options, conditions)
            return shortest(float(base) * float(spec["derive"]["f64_mul"])), prov
        for st in spec["steps"]:
            op = st["op"]
            n = self.normalize(st.get("normalize", "none"), name)
            if "when" in st and not matches(st["when"], n):
                continue
            if op == "lookup":
                tkind = st.get("kind", kind)
                if st.get("table") == "default":
                    t, prov = self.defaults.get(tkind, {}), "default"
                else:
                    t, prov = self.table(tkind, options, "effective")
                key = st.get("key", n)
                if key in t:
                    return t[key], prov
            elif op == "rules":
                e = self.rules(st["list"], n)
                if e is None:
                    continue
                if st["yield"] == "locked" and not e.get("locked", False):
                    continue
                return e["value"], ("rule_locked" if e.get("locked") else "rule")
            elif op == "constant":
                return st["value"], "constant"
            elif op == "fallback":
                for c in st["accepted_if_any"]:
                    assert c in NAMED_CONDITIONS, c
                if any(c in conditions for c in st["accepted_if_any"]):
                    return st["value"], "fallback"
                return None, "unpriced"
            else:
                raise ValueError(op)
        return None, "none"


# ------------------------------------------------------------------ quota
D = Decimal


def round_half_away(x):
    return int(x.quantize(D(1), rounding=ROUND_HALF_UP))


def quota_for(v, vec):
    """Returns dict of effective values and the quota (or the refusal)."""
    opts = json.loads(vec.get("options", "{}"))
    cond = set(vec.get("conditions", []))
    for c in cond:
        assert c in NAMED_CONDITIONS, c
    model = vec["model"]
    q = v.r["quota"]
    qpu = D(v.r["constants"]["quota_per_unit"])
    out = {}
    gr, _ = v.eval("group_ratio", vec.get("group", "default"), opts, cond)
    out["group_ratio"] = gr
    path = vec["path"]
    if path == "per_call":
        price, prov = v.eval("model_price_per_call", model, opts, cond)
        out["model_price"] = price
        out["model_price_source"] = prov
        assert q["per_call_rounding"] == "f64_truncate"
        out["quota"] = int(float(price) * float(gr) * float(qpu))
        return out
    price, pprov = v.eval("model_price", model, opts, cond)
    use_price = price is not None
    u = vec.get("usage", {})
    total = u.get("prompt", 0) + u.get("completion", 0)
    if use_price:
        out["model_price"] = price
        out["model_price_source"] = pprov
        quota = D(price) * qpu * D(gr)
        out["quota"] = 0 if total == 0 else round_half_away(quota)
        return out
    mr, mprov = v.eval("model_ratio", model, opts, cond)
    out["model_ratio_source"] = mprov
    if mr is None:
        out["refused"] = True
        return out
    out["model_ratio"] = mr
    for kind in ("completion_ratio", "cache_ratio", "cache_creation_ratio", "cache_creation_ratio_5m",
                 "cache_creation_ratio_1h", "image_ratio", "audio_ratio", "audio_completion_ratio"):
        if kind in v.r["kinds"]:
            out[kind], out[kind + "_source"] = v.eval(kind, model, opts, cond)
    ratio = D(mr) * D(gr)
    disp = q["audio_dispatch"]
    if "named_condition" in disp:
        assert disp["named_condition"] == "has_audio_tokens_and_audio_ratio_entry"
        has_audio = u.get("audio_in", 0) > 0 or u.get("audio_out", 0) > 0
        n = v.normalize(v.r["kinds"]["audio_ratio"]["steps"][0]["normalize"], model)
        entry = n in v.table("audio_ratio", opts, "effective")[0] or \
            n in v.table("audio_completion_ratio", opts, "effective")[0]
        audio_path = has_audio and entry
    else:
        audio_path = matches(disp, model)
    # the vector's path must be the one new-api's dispatch picks
    assert audio_path == (path == "audio"), f"{vec['id']}: dispatch picks audio={audio_path}"
    if path == "audio":
        x = (D(u.get("text_in", 0)) + D(u.get("text_out", 0)) * D(out["completion_ratio"])
             + D(u.get("audio_in", 0)) * D(out["audio_ratio"])
             + D(u.get("audio_out", 0)) * D(out["audio_ratio"]) * D(out["audio_completion_ratio"]))
        x = x * ratio
        if ratio != 0 and x <= 0:
            x = D(1)
        out["quota"] = round_half_away(x)
        return out
    # text
    anthropic = u.get("semantics", "openai") == "anthropic"
    inside = q["cached_tokens_inside_prompt"] == "always" or not anthropic
    base = D(u.get("prompt", 0))
    cached = D(u.get("cached", 0))
    write = D(u.get("cache_write", 0))
    w5, w1 = u.get("cache_write_5m", 0), u.get("cache_write_1h", 0)
    image = D(u.get("image", 0))
    extra = D(0)
    if cached:
        if inside:
            base -= cached
        extra += cached * D(out["cache_ratio"])
    if q["cache_creation_billed"] and (write or w5 or w1):
        if inside:
            base -= write
            extra += write * D(out["cache_creation_ratio"])
        else:
            rest = max(int(write) - w5 - w1, 0)
            extra += (D(rest) * D(out["cache_creation_ratio"]) + D(w5) * D(out["cache_creation_ratio_5m"])
                      + D(w1) * D(out["cache_creation_ratio_1h"]))
    if q["image_tokens_billed"] and image:
        base -= image
        extra += image * D(out["image_ratio"])
    if q["clamp_negative_base"] and base < 0:
        base = D(0)
    x = (base + extra + D(u.get("completion", 0)) * D(out["completion_ratio"])) * ratio
    if ratio != 0 and x <= 0:
        x = D(1)
    quota = round_half_away(x)
    if total == 0:
        quota = 0
    elif ratio != 0 and quota == 0:
        quota = 1
    out["quota"] = quota
    return out


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else DATA
    versions = {}
    for fn in sorted(os.listdir(data)):
        if fn.endswith(".rules.toml"):
            v = Version(os.path.join(data, fn))
            versions[v.id] = v
    with open(os.path.join(data, "vectors.toml"), "rb") as f:
        vectors = tomllib.load(f)["vector"]
    failures = 0
    per_vendor = {}
    for vec in vectors:
        v = versions[vec["version"]]
        got = quota_for(v, vec)
        for k, want in vec["expect"].items():
            have = got.get(k)
            if isinstance(want, str) and isinstance(have, str) and not k.endswith("_source"):
                ok = D(have) == D(want)
            else:
                ok = have == want
            if not ok:
                failures += 1
                print(f"FAIL {vec['id']}: {k} expected {want!r}, got {have!r}  ({got})")
        per_vendor[vec["vendor"]] = per_vendor.get(vec["vendor"], 0) + 1
    print(f"{len(vectors)} vectors, {failures} failures; per vendor: "
          + ", ".join(f"{k} {n}" for k, n in sorted(per_vendor.items())))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
