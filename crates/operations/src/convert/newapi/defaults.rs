//! new-api's effective ratios, from its default maps and name rules kept as data.
//!
//! new-api stores only the ratio maps an administrator saved; the rest (default maps, name
//! normalisation, hard-coded rules that may override a saved value, the 37.5 fallback) is
//! Go code. `data/new-api/` holds that code's content per new-api version (schema in its
//! README): this module is the generic evaluator of those files — matchers, normalisers,
//! step lists, the quota formula — and knows no model name itself. The files are embedded
//! at build time.
//!
//! new-api's ratios are `float64`s: the data holds each as the shortest decimal that
//! round-trips it (what its quota code multiplies), a saved option's number is read the
//! same way, and the two places where new-api computes in `float64` (the 1-hour cache-write
//! multiplier and per-call truncation) are reproduced in `f64` and turned back into exact
//! decimals through their shortest text. Everything else is exact decimal arithmetic,
//! checked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::object;
use crate::convert::{json_error, ImportError};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/newapi_data.rs"));
}

/// The facts about a deployment that the data cannot derive from a model name.
pub const CONDITIONS: [&str; 3] = [
    "self_use_mode_enabled",
    "user_accept_unset_ratio_model",
    "has_audio_tokens_and_audio_ratio_entry",
];

/// Option rows that are relay policy rather than prices: read and reported, not evaluated.
const POLICY_OPTIONS: [&str; 2] = ["GroupGroupRatio", "UserUsableGroups"];

/// A fault in the embedded data or in a caller's request of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// A data file does not follow the schema.
    #[error("data/new-api/{file}: {message}")]
    Schema {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// No such version in the data.
    #[error("no new-api version `{0}`; known: {1}")]
    UnknownVersion(String, String),
    /// A condition name the data does not define.
    #[error("unknown condition `{0}`; known: {known}", known = CONDITIONS.join(", "))]
    UnknownCondition(String),
}

/// A computation that does not fit exact decimals (an absurd saved ratio, a huge count).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A value or product out of the exact range.
    #[error("{what} overflows exact decimal arithmetic")]
    Overflow {
        /// What was being computed.
        what: String,
    },
    /// A ratio the formula needs has no value at this version.
    #[error("`{kind}` has no value for `{model}` at this version")]
    Missing {
        /// The ratio kind.
        kind: String,
        /// The model.
        model: String,
    },
}

fn overflow(what: impl Into<String>) -> EvalError {
    EvalError::Overflow { what: what.into() }
}

// ------------------------------------------------------------------ matchers

/// A test on a model name (schema: `exact`, `prefix`, `suffix`, `contains`, `glob`, `all`,
/// `any`, `not`, `any_name`, optional `ignore_case`).
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "RawMatcher")]
pub enum Matcher {
    /// Whole name equal.
    Exact(String, bool),
    /// Starts with.
    Prefix(String, bool),
    /// Ends with.
    Suffix(String, bool),
    /// Contains.
    Contains(String, bool),
    /// Shell-style pattern.
    Glob(String, bool),
    /// Every one matches.
    All(Vec<Matcher>),
    /// At least one matches.
    Any(Vec<Matcher>),
    /// Does not match.
    Not(Box<Matcher>),
    /// Always (or never, when false).
    AnyName(bool),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatcher {
    exact: Option<String>,
    prefix: Option<String>,
    suffix: Option<String>,
    contains: Option<String>,
    glob: Option<String>,
    all: Option<Vec<Matcher>>,
    any: Option<Vec<Matcher>>,
    not: Option<Box<Matcher>>,
    any_name: Option<bool>,
    #[serde(default)]
    ignore_case: bool,
}

impl TryFrom<RawMatcher> for Matcher {
    type Error = String;
    fn try_from(r: RawMatcher) -> Result<Self, String> {
        let ic = r.ignore_case;
        let mut found: Vec<Matcher> = Vec::new();
        found.extend(r.exact.map(|s| Matcher::Exact(s, ic)));
        found.extend(r.prefix.map(|s| Matcher::Prefix(s, ic)));
        found.extend(r.suffix.map(|s| Matcher::Suffix(s, ic)));
        found.extend(r.contains.map(|s| Matcher::Contains(s, ic)));
        found.extend(r.glob.map(|s| Matcher::Glob(s, ic)));
        let structural =
            r.all.is_some() || r.any.is_some() || r.not.is_some() || r.any_name.is_some();
        found.extend(r.all.map(Matcher::All));
        found.extend(r.any.map(Matcher::Any));
        found.extend(r.not.map(Matcher::Not));
        found.extend(r.any_name.map(Matcher::AnyName));
        if ic && structural {
            return Err("`ignore_case` applies to string matchers only".into());
        }
        match found.len() {
            1 => Ok(found.pop().expect("one")),
            n => Err(format!(
                "a matcher needs exactly one of exact, prefix, suffix, contains, glob, all, any, not, any_name (found {n})"
            )),
        }
    }
}

impl Matcher {
    /// Whether the name matches (byte-for-byte, as Go's `strings` functions compare).
    pub fn matches(&self, name: &str) -> bool {
        let cmp = |pat: &str, ic: bool, f: fn(&str, &str) -> bool| {
            if ic {
                f(&name.to_lowercase(), &pat.to_lowercase())
            } else {
                f(name, pat)
            }
        };
        match self {
            Matcher::Exact(p, ic) => cmp(p, *ic, |n, p| n == p),
            Matcher::Prefix(p, ic) => cmp(p, *ic, |n, p| n.starts_with(p)),
            Matcher::Suffix(p, ic) => cmp(p, *ic, |n, p| n.ends_with(p)),
            Matcher::Contains(p, ic) => cmp(p, *ic, |n, p| n.contains(p)),
            Matcher::Glob(p, ic) => cmp(p, *ic, glob),
            Matcher::All(ms) => ms.iter().all(|m| m.matches(name)),
            Matcher::Any(ms) => ms.iter().any(|m| m.matches(name)),
            Matcher::Not(m) => !m.matches(name),
            Matcher::AnyName(b) => *b,
        }
    }
}

/// Shell-style `*`, `?`, `[...]` (with `!` negation and ranges) over chars; iterative with
/// one backtrack point for `*`, so linear-ish and never recursive on untrusted names.
fn glob(name: &str, pat: &str) -> bool {
    let n: Vec<char> = name.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < n.len() {
        if j < p.len() {
            match p[j] {
                '*' => {
                    star = Some((j, i));
                    j += 1;
                    continue;
                }
                '?' => {
                    i += 1;
                    j += 1;
                    continue;
                }
                '[' => {
                    if let Some((ok, next)) = class(&p, j, n[i]) {
                        if ok {
                            i += 1;
                            j = next;
                            continue;
                        }
                    } else if n[i] == '[' {
                        i += 1;
                        j += 1;
                        continue;
                    }
                }
                c if c == n[i] => {
                    i += 1;
                    j += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sj, si)) => {
                j = sj + 1;
                i = si + 1;
                star = Some((sj, si + 1));
            }
            None => return false,
        }
    }
    p[j..].iter().all(|c| *c == '*')
}

/// A `[...]` class at `p[j]`: whether `c` is in it and the index after it; `None` when the
/// bracket is not closed (then it is a literal `[`).
fn class(p: &[char], j: usize, c: char) -> Option<(bool, usize)> {
    let mut k = j + 1;
    let negate = p.get(k).is_some_and(|x| *x == '!' || *x == '^');
    if negate {
        k += 1;
    }
    let mut hit = false;
    let mut first = true;
    while k < p.len() {
        if p[k] == ']' && !first {
            return Some((hit != negate, k + 1));
        }
        first = false;
        if k + 2 < p.len() && p[k + 1] == '-' && p[k + 2] != ']' {
            hit |= p[k] <= c && c <= p[k + 2];
            k += 3;
        } else {
            hit |= p[k] == c;
            k += 1;
        }
    }
    None
}

// ------------------------------------------------------------------ the data files

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    schema: u32,
    version: VersionMeta,
    constants: Constants,
    #[serde(default)]
    defaults: BTreeMap<String, BTreeMap<String, String>>,
    normalizers: BTreeMap<String, NormalizerSpec>,
    kinds: BTreeMap<String, KindSpec>,
    #[serde(default)]
    rules: BTreeMap<String, Vec<RuleEntry>>,
    quota: QuotaSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionMeta {
    id: String,
    tag: String,
    commit: String,
    #[serde(default)]
    committed: Option<String>,
    #[serde(default)]
    files: BTreeMap<String, String>,
    source: String,
    as_of: String,
    defaults: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Constants {
    quota_per_unit: String,
    #[serde(default)]
    cache_creation_1h_multiplier: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NormalizerSpec {
    #[serde(default)]
    groups: Vec<NormGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NormGroup {
    rules: Vec<NormRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NormRule {
    when: Matcher,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KindSpec {
    #[serde(default)]
    option: Option<String>,
    #[serde(default)]
    cite: Option<String>,
    #[serde(default)]
    steps: Option<Vec<StepSpec>>,
    #[serde(default)]
    derive: Option<DeriveSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeriveSpec {
    from: String,
    f64_mul: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    op: String,
    #[serde(default)]
    normalize: Option<String>,
    #[serde(default)]
    when: Option<Matcher>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    list: Option<String>,
    #[serde(default, rename = "yield")]
    yields: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    accepted_if_any: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    when: Matcher,
    value: String,
    #[serde(default)]
    locked: bool,
    #[serde(default)]
    go_expr: Option<String>,
    #[serde(default)]
    cite: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaSpec {
    cached_tokens_inside_prompt: String,
    cache_creation_billed: bool,
    image_tokens_billed: bool,
    clamp_negative_base: bool,
    audio_dispatch: AudioDispatchSpec,
    per_call_rounding: String,
    #[serde(default)]
    text_cite: Option<String>,
    #[serde(default)]
    audio_cite: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AudioDispatchSpec {
    Named { named_condition: String },
    Name(Matcher),
}

#[derive(Deserialize)]
struct DefaultsFile {
    #[serde(default)]
    defaults: BTreeMap<String, BTreeMap<String, String>>,
    // The Go expressions the values were computed from: documentation, not evaluated.
    #[serde(default, rename = "defaults_expr")]
    _defaults_expr: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionsFile {
    order: Vec<String>,
}

// ------------------------------------------------------------------ a version, checked

/// Where an effective ratio came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The administrator's saved option.
    Option,
    /// new-api's default map.
    Default,
    /// A hard-coded name rule that applies only when nothing is configured.
    Rule,
    /// A hard-coded name rule that overrides a configured value.
    RuleLocked,
    /// A constant default.
    Constant,
    /// The 37.5 of an unpriced model, accepted by a named condition.
    Fallback,
    /// No value: new-api refuses the request as unpriced.
    Unpriced,
    /// No step yielded a value.
    None,
}

impl Source {
    /// The name used in the data's vectors (`rule_locked`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Source::Option => "option",
            Source::Default => "default",
            Source::Rule => "rule",
            Source::RuleLocked => "rule_locked",
            Source::Constant => "constant",
            Source::Fallback => "fallback",
            Source::Unpriced => "unpriced",
            Source::None => "none",
        }
    }
}

/// One effective ratio: its value, where it came from, and what decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The value (`None` when unpriced or no step applied).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub value: Option<Decimal>,
    /// Where it came from.
    pub source: Source,
    /// The step or rule that decided it, with its citation of new-api's source.
    pub by: String,
}

enum Op {
    Lookup {
        default_table: bool,
        kind: String,
        key: Option<String>,
    },
    Rules {
        list: String,
        locked_only: bool,
    },
    Constant(Decimal),
    Fallback {
        value: Decimal,
        accepted_if_any: Vec<String>,
    },
}

struct Step {
    normalize: String,
    when: Option<Matcher>,
    op: Op,
}

enum KindEval {
    Steps(Vec<Step>),
    Derive {
        from: String,
        f64_mul: f64,
        text: String,
    },
}

struct Kind {
    option: Option<String>,
    cite: String,
    eval: KindEval,
}

struct Rule {
    when: Matcher,
    value: Decimal,
    locked: bool,
    cite: String,
}

enum AudioDispatch {
    Named,
    Name(Matcher),
}

/// One new-api version's defaults and rules, checked against the schema.
pub struct Version {
    /// Its id (`v0.6.3.1.1`, `upstream-00f6587d`).
    pub id: String,
    /// The release tag, when one is known.
    pub tag: String,
    /// The commit read.
    pub commit: String,
    /// Where it was read.
    pub source: String,
    /// When it was read.
    pub as_of: String,
    quota_per_unit: Decimal,
    defaults: BTreeMap<String, BTreeMap<String, Decimal>>,
    normalizers: BTreeMap<String, Vec<Vec<(Matcher, String)>>>,
    kinds: BTreeMap<String, Kind>,
    rules: BTreeMap<String, Vec<Rule>>,
    cached_inside_always: bool,
    cache_creation_billed: bool,
    image_tokens_billed: bool,
    clamp_negative_base: bool,
    audio_dispatch: AudioDispatch,
}

/// The shortest decimal that round-trips a `float64` (what Go's `decimal.NewFromFloat`
/// yields); `None` when it is not finite or does not fit an exact decimal.
pub fn shortest(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    // `Display` of an f64 is the shortest text that parses back to it, without exponent.
    Decimal::from_str_exact(&format!("{f}"))
        .ok()
        .map(|d| d.normalize())
}

/// The `float64` nearest a decimal (Rust's parser rounds correctly, as Go's does).
fn to_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

fn dec(file: &str, what: &str, s: &str) -> Result<Decimal, DataError> {
    Decimal::from_str_exact(s)
        .map(|d| d.normalize())
        .map_err(|e| DataError::Schema {
            file: file.into(),
            message: format!("{what}: `{s}` is not an exact decimal ({e})"),
        })
}

/// Checks `value` against the Go constant expression `a / b` (the float64 of the exact
/// rational): the data's own consistency, as the Python checker verifies it.
fn check_go_expr(file: &str, expr: &str, value: Decimal) -> Result<(), DataError> {
    let bad = |m: String| DataError::Schema {
        file: file.into(),
        message: m,
    };
    let parts: Vec<&str> = expr.split_whitespace().collect();
    let [a, "/", b] = parts[..] else {
        return Err(bad(format!("go_expr `{expr}` is not `a / b`")));
    };
    let (a, b) = (dec(file, "go_expr", a)?, dec(file, "go_expr", b)?);
    // Decimal division keeps 28 significant digits, far more than the 17 a float64 needs,
    // and its float64 is the rational's unless the quotient sits within 1e-28 of a tie.
    let q = a
        .checked_div(b)
        .ok_or_else(|| bad(format!("go_expr `{expr}` divides by zero")))?;
    let f = to_f64(q);
    if shortest(f) != Some(value) {
        return Err(bad(format!(
            "go_expr `{expr}` is {f} as a float64, the value says {value}"
        )));
    }
    Ok(())
}

impl Version {
    fn load(file: &str, text: &str, defaults_text: Option<&str>) -> Result<Version, DataError> {
        let schema = |message: String| DataError::Schema {
            file: file.into(),
            message,
        };
        let r: RulesFile = toml::from_str(text).map_err(|e| schema(e.to_string()))?;
        if r.schema != 1 {
            return Err(schema(format!("schema {} (this reader knows 1)", r.schema)));
        }
        // Read for the schema check only: the 1-hour multiplier is in the derive of
        // `cache_creation_ratio_1h`, and the per-file commits are documentation.
        let _ = (
            &r.version.committed,
            &r.version.files,
            &r.constants.cache_creation_1h_multiplier,
        );
        let dfile = &r.version.defaults;
        let dtext =
            defaults_text.ok_or_else(|| schema(format!("defaults file `{dfile}` is missing")))?;
        let d: DefaultsFile = toml::from_str(dtext).map_err(|e| DataError::Schema {
            file: dfile.clone(),
            message: e.to_string(),
        })?;
        let mut defaults: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
        // The rules file's own defaults are added to (and win over) the generated maps.
        for (f, maps) in [(dfile.as_str(), d.defaults), (file, r.defaults)] {
            for (kind, map) in maps {
                let t = defaults.entry(kind.clone()).or_default();
                for (k, v) in map {
                    let value = dec(f, &format!("defaults.{kind}.{k}"), &v)?;
                    t.insert(k, value);
                }
            }
        }
        let mut normalizers = BTreeMap::new();
        for (id, n) in r.normalizers {
            let groups = n
                .groups
                .into_iter()
                .map(|g| g.rules.into_iter().map(|r| (r.when, r.to)).collect())
                .collect();
            normalizers.insert(id, groups);
        }
        let mut rules = BTreeMap::new();
        for (list, entries) in r.rules {
            let mut out = Vec::new();
            for (i, e) in entries.into_iter().enumerate() {
                let value = dec(file, &format!("rules.{list}[{i}]"), &e.value)?;
                if let Some(expr) = &e.go_expr {
                    check_go_expr(file, expr, value)?;
                }
                out.push(Rule {
                    when: e.when,
                    value,
                    locked: e.locked,
                    cite: e.cite.unwrap_or_else(|| format!("rules.{list}[{i}]")),
                });
            }
            rules.insert(list, out);
        }
        let mut kinds = BTreeMap::new();
        for (id, k) in &r.kinds {
            let eval = match (&k.steps, &k.derive) {
                (Some(steps), None) => {
                    let mut out = Vec::new();
                    for (i, s) in steps.iter().enumerate() {
                        out.push(step(file, id, i, s, &r.kinds, &normalizers, &rules)?);
                    }
                    KindEval::Steps(out)
                }
                (None, Some(dv)) => {
                    let from = r.kinds.get(&dv.from);
                    if from.is_none_or(|f| f.steps.is_none()) {
                        return Err(schema(format!(
                            "kinds.{id}: derives from `{}`, which is not a kind with steps",
                            dv.from
                        )));
                    }
                    let m = dec(file, &format!("kinds.{id}.derive.f64_mul"), &dv.f64_mul)?;
                    KindEval::Derive {
                        from: dv.from.clone(),
                        f64_mul: to_f64(m),
                        text: dv.f64_mul.clone(),
                    }
                }
                _ => {
                    return Err(schema(format!(
                        "kinds.{id}: needs exactly one of `steps` and `derive`"
                    )))
                }
            };
            kinds.insert(
                id.clone(),
                Kind {
                    option: k.option.clone(),
                    cite: k.cite.clone().unwrap_or_default(),
                    eval,
                },
            );
        }
        for required in [
            "model_ratio",
            "completion_ratio",
            "group_ratio",
            "model_price",
        ] {
            if !kinds.contains_key(required) {
                return Err(schema(format!("kind `{required}` is missing")));
            }
        }
        let q = r.quota;
        let cached_inside_always = match q.cached_tokens_inside_prompt.as_str() {
            "always" => true,
            "openai_semantics_only" => false,
            o => return Err(schema(format!("quota.cached_tokens_inside_prompt `{o}`"))),
        };
        if q.per_call_rounding != "f64_truncate" {
            return Err(schema(format!(
                "quota.per_call_rounding `{}`",
                q.per_call_rounding
            )));
        }
        let _ = (q.text_cite, q.audio_cite);
        let audio_dispatch = match q.audio_dispatch {
            AudioDispatchSpec::Named { named_condition } => {
                if named_condition != "has_audio_tokens_and_audio_ratio_entry" {
                    return Err(schema(format!("audio_dispatch `{named_condition}`")));
                }
                AudioDispatch::Named
            }
            AudioDispatchSpec::Name(m) => AudioDispatch::Name(m),
        };
        Ok(Version {
            quota_per_unit: dec(
                file,
                "constants.quota_per_unit",
                &r.constants.quota_per_unit,
            )?,
            id: r.version.id,
            tag: r.version.tag,
            commit: r.version.commit,
            source: r.version.source,
            as_of: r.version.as_of,
            defaults,
            normalizers,
            kinds,
            rules,
            cached_inside_always,
            cache_creation_billed: q.cache_creation_billed,
            image_tokens_billed: q.image_tokens_billed,
            clamp_negative_base: q.clamp_negative_base,
            audio_dispatch,
        })
    }
}

fn step(
    file: &str,
    kind: &str,
    i: usize,
    s: &StepSpec,
    kinds: &BTreeMap<String, KindSpec>,
    normalizers: &BTreeMap<String, Vec<Vec<(Matcher, String)>>>,
    rules: &BTreeMap<String, Vec<Rule>>,
) -> Result<Step, DataError> {
    let at = format!("kinds.{kind}.steps[{i}]");
    let bad = |m: String| DataError::Schema {
        file: file.into(),
        message: format!("{at}: {m}"),
    };
    let normalize = s.normalize.clone().unwrap_or_else(|| "none".into());
    if !normalizers.contains_key(&normalize) {
        return Err(bad(format!("unknown normaliser `{normalize}`")));
    }
    let op = match s.op.as_str() {
        "lookup" => {
            let default_table = match s.table.as_deref() {
                None | Some("effective") => false,
                Some("default") => true,
                Some(t) => return Err(bad(format!("table `{t}`"))),
            };
            let k = s.kind.clone().unwrap_or_else(|| kind.to_string());
            if !kinds.contains_key(&k) {
                return Err(bad(format!("unknown kind `{k}`")));
            }
            Op::Lookup {
                default_table,
                kind: k,
                key: s.key.clone(),
            }
        }
        "rules" => {
            let list = s.list.clone().ok_or_else(|| bad("`list` missing".into()))?;
            if !rules.contains_key(&list) {
                return Err(bad(format!("unknown list `{list}`")));
            }
            let locked_only = match s.yields.as_deref() {
                Some("locked") => true,
                Some("any") => false,
                y => return Err(bad(format!("yield {y:?}"))),
            };
            Op::Rules { list, locked_only }
        }
        "constant" => {
            let v = s
                .value
                .as_deref()
                .ok_or_else(|| bad("`value` missing".into()))?;
            Op::Constant(dec(file, &at, v)?)
        }
        "fallback" => {
            let v = s
                .value
                .as_deref()
                .ok_or_else(|| bad("`value` missing".into()))?;
            let accepted_if_any = s.accepted_if_any.clone().unwrap_or_default();
            if let Some(c) = accepted_if_any
                .iter()
                .find(|c| !CONDITIONS.contains(&c.as_str()))
            {
                return Err(bad(format!("unknown condition `{c}`")));
            }
            Op::Fallback {
                value: dec(file, &at, v)?,
                accepted_if_any,
            }
        }
        o => return Err(bad(format!("unknown op `{o}`"))),
    };
    Ok(Step {
        normalize,
        when: s.when.clone(),
        op,
    })
}

/// Every version in `data/new-api`, oldest first.
pub struct Versions {
    list: Vec<Version>,
}

impl Versions {
    /// The embedded versions (parsed and checked once).
    pub fn embedded() -> Result<&'static Versions, DataError> {
        static V: OnceLock<Result<Versions, DataError>> = OnceLock::new();
        V.get_or_init(|| Versions::from_files(embedded::FILES))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Versions from (file name, text) pairs: every `*.rules.toml` with the defaults file
    /// it names, ordered by `versions.toml`.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Versions, DataError> {
        let find = |n: &str| files.iter().find(|(f, _)| *f == n).map(|(_, t)| *t);
        let order_text = find("versions.toml").ok_or_else(|| DataError::Schema {
            file: "versions.toml".into(),
            message: "missing".into(),
        })?;
        let order: VersionsFile = toml::from_str(order_text).map_err(|e| DataError::Schema {
            file: "versions.toml".into(),
            message: e.to_string(),
        })?;
        let mut list = Vec::new();
        for id in &order.order {
            let file = format!("{id}.rules.toml");
            let text = find(&file).ok_or_else(|| DataError::Schema {
                file: "versions.toml".into(),
                message: format!("`{id}`: no {file}"),
            })?;
            let dname: Option<String> = toml::from_str::<toml::Table>(text).ok().and_then(|t| {
                t.get("version")?
                    .get("defaults")?
                    .as_str()
                    .map(String::from)
            });
            let v = Version::load(&file, text, dname.as_deref().and_then(find))?;
            if v.id != *id {
                return Err(DataError::Schema {
                    file,
                    message: format!("version.id `{}` differs from its file name", v.id),
                });
            }
            list.push(v);
        }
        for (f, _) in files {
            if let Some(id) = f.strip_suffix(".rules.toml") {
                if !order.order.iter().any(|o| o == id) {
                    return Err(DataError::Schema {
                        file: "versions.toml".into(),
                        message: format!("`{id}` has a rules file but is not in `order`"),
                    });
                }
            }
        }
        if list.is_empty() {
            return Err(DataError::Schema {
                file: "versions.toml".into(),
                message: "no version".into(),
            });
        }
        Ok(Versions { list })
    }

    /// The newest version.
    pub fn newest(&self) -> &Version {
        self.list.last().expect("checked non-empty")
    }

    /// A version by id.
    pub fn get(&self, id: &str) -> Result<&Version, DataError> {
        self.list
            .iter()
            .find(|v| v.id == id)
            .ok_or_else(|| DataError::UnknownVersion(id.into(), self.ids().join(", ")))
    }

    /// Every id, oldest first.
    pub fn ids(&self) -> Vec<&str> {
        self.list.iter().map(|v| v.id.as_str()).collect()
    }
}

// ------------------------------------------------------------------ saved options

/// The option rows an administrator saved (each replaces its default map entirely), and
/// the named conditions that hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Option key (`ModelRatio`, ...) to its map, values as new-api holds them (the
    /// shortest decimal of the float64 the JSON number parses to).
    pub maps: BTreeMap<String, BTreeMap<String, Decimal>>,
    /// Named conditions that hold (see [`CONDITIONS`]).
    pub conditions: BTreeSet<String>,
    /// Other option keys read and not evaluated (settings, relay policy).
    pub ignored: Vec<String>,
}

impl Options {
    /// Reads a JSON object of options (`{"ModelRatio": {...}, ...}`, each value an object or
    /// the JSON text new-api stores) or the `GET /api/option/` response. Keys that are an
    /// option of `version` are read; `SelfUseModeEnabled` (`"true"`/`true`) sets the
    /// `self_use_mode_enabled` condition; relay-policy options and, in the option-list
    /// shape, every other setting are named in `ignored`; any other key in the object shape
    /// is an error, as are non-numeric, negative, out-of-range values and empty names.
    pub fn from_json(text: &str, version: &Version) -> Result<Options, ImportError> {
        let top = object(text, "new-api options")?;
        let list_shape = top.contains_key("data") && !top.contains_key("ModelRatio");
        let rows: Vec<(String, Box<RawValue>)> = if list_shape {
            #[derive(Deserialize)]
            struct Item {
                key: String,
                value: Box<RawValue>,
            }
            #[derive(Deserialize)]
            struct List {
                data: Vec<Item>,
            }
            let l: List =
                crate::strict::from_str(text).map_err(|e| json_error("new-api option list", &e))?;
            l.data.into_iter().map(|i| (i.key, i.value)).collect()
        } else {
            top.into_iter().collect()
        };
        let known: BTreeSet<&str> = version
            .kinds
            .values()
            .filter_map(|k| k.option.as_deref())
            .collect();
        let mut out = Options::default();
        for (key, raw) in rows {
            if key == "SelfUseModeEnabled" {
                let t = raw.get().trim();
                if t == "true" || t == "\"true\"" {
                    out.conditions.insert("self_use_mode_enabled".into());
                }
                continue;
            }
            if !known.contains(key.as_str()) {
                if list_shape || POLICY_OPTIONS.contains(&key.as_str()) {
                    out.ignored.push(key);
                    continue;
                }
                let suggestions: Vec<String> =
                    crate::suggest::similar(&key, known.iter().copied(), 3)
                        .into_iter()
                        .map(|k| k.to_string())
                        .collect();
                return Err(ImportError::UnknownOption {
                    key,
                    suggestions,
                    known: known.iter().map(|k| k.to_string()).collect(),
                });
            }
            let inner = if raw.get().trim_start().starts_with('"') {
                let s: String =
                    crate::strict::from_str(raw.get()).map_err(|e| json_error(&key, &e))?;
                object(&s, &key)?
            } else {
                object(raw.get(), &key)?
            };
            let mut map = BTreeMap::new();
            for (name, v) in inner {
                if name.is_empty() {
                    return Err(ImportError::EmptyName { option: key });
                }
                map.insert(name.clone(), read_f64_number(&v, &key, &name)?);
            }
            out.maps.insert(key, map);
        }
        Ok(out)
    }

    /// Adds a named condition, checked against [`CONDITIONS`].
    pub fn with_condition(mut self, name: &str) -> Result<Options, DataError> {
        if !CONDITIONS.contains(&name) {
            return Err(DataError::UnknownCondition(name.into()));
        }
        self.conditions.insert(name.into());
        Ok(self)
    }
}

/// A JSON number as new-api holds it: parsed to float64 (Go's `json.Unmarshal` into
/// `map[string]float64`), then its shortest round-trip decimal.
fn read_f64_number(raw: &RawValue, option: &str, name: &str) -> Result<Decimal, ImportError> {
    let text = raw.get().trim();
    let shown = || text.chars().take(40).collect::<String>();
    let numeric = text
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b'-');
    if !numeric {
        return Err(ImportError::NotANumber {
            option: option.into(),
            name: name.into(),
            found: shown(),
        });
    }
    let f: f64 = text.parse().map_err(|_| ImportError::NotANumber {
        option: option.into(),
        name: name.into(),
        found: shown(),
    })?;
    let d = shortest(f).ok_or_else(|| ImportError::OutOfRange {
        option: option.into(),
        name: name.into(),
        value: shown(),
    })?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(ImportError::Negative {
            option: option.into(),
            name: name.into(),
            value: d.to_string(),
        });
    }
    Ok(d.normalize())
}

// ------------------------------------------------------------------ evaluation

impl Version {
    fn normalize(&self, id: &str, name: &str) -> String {
        let mut n = name.to_string();
        for group in self.normalizers.get(id).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some((_, to)) = group.iter().find(|(m, _)| m.matches(&n)) {
                n = to.clone();
            }
        }
        n
    }

    /// The effective table of a kind: the saved option's map if that row exists, else
    /// the default map.
    fn table<'a>(
        &'a self,
        kind: &str,
        options: &'a Options,
        effective: bool,
    ) -> Option<(&'a BTreeMap<String, Decimal>, Source, String)> {
        if effective {
            if let Some(opt) = self.kinds.get(kind).and_then(|k| k.option.as_deref()) {
                if let Some(m) = options.maps.get(opt) {
                    return Some((m, Source::Option, format!("option {opt}")));
                }
            }
        }
        self.defaults
            .get(kind)
            .map(|m| (m, Source::Default, format!("default map {kind}")))
    }

    /// The kinds this version has (`model_ratio`, `completion_ratio`, ...).
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// Whether the version has a kind.
    pub fn has_kind(&self, kind: &str) -> bool {
        self.kinds.contains_key(kind)
    }

    /// The keys of a kind's effective table.
    pub fn table_keys(&self, kind: &str, options: &Options) -> Vec<String> {
        self.table(kind, options, true)
            .map(|(m, _, _)| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The effective value of one ratio kind for a model name, as new-api decides it.
    /// An unknown kind has no value (`Source::None`).
    pub fn eval(&self, kind: &str, name: &str, options: &Options) -> Result<Resolved, EvalError> {
        let none = |by: String| Resolved {
            value: None,
            source: Source::None,
            by,
        };
        let Some(spec) = self.kinds.get(kind) else {
            return Ok(none(format!("no kind `{kind}` at {}", self.id)));
        };
        let steps = match &spec.eval {
            KindEval::Derive {
                from,
                f64_mul,
                text,
            } => {
                let base = self.eval(from, name, options)?;
                let Some(v) = base.value else {
                    return Ok(base);
                };
                let value = shortest(to_f64(v) * f64_mul)
                    .ok_or_else(|| overflow(format!("{kind} of `{name}`")))?;
                return Ok(Resolved {
                    value: Some(value),
                    source: base.source,
                    by: format!(
                        "{from} x {text} in float64 ({}); {from}: {}",
                        spec.cite, base.by
                    ),
                });
            }
            KindEval::Steps(s) => s,
        };
        for (i, st) in steps.iter().enumerate() {
            let n = self.normalize(&st.normalize, name);
            if st.when.as_ref().is_some_and(|w| !w.matches(&n)) {
                continue;
            }
            let shown = if n == name {
                format!("`{n}`")
            } else {
                format!("`{n}` (normalised from `{name}`)")
            };
            match &st.op {
                Op::Lookup {
                    default_table,
                    kind: tkind,
                    key,
                } => {
                    let Some((t, source, what)) = self.table(tkind, options, !default_table) else {
                        continue;
                    };
                    let k = key.as_deref().unwrap_or(&n);
                    if let Some(v) = t.get(k) {
                        return Ok(Resolved {
                            value: Some(*v),
                            source,
                            by: format!(
                                "{what}[`{k}`] for {shown} (kinds.{kind}.steps[{i}]; {})",
                                spec.cite
                            ),
                        });
                    }
                }
                Op::Rules { list, locked_only } => {
                    let Some((j, r)) = self
                        .rules
                        .get(list)
                        .and_then(|l| l.iter().enumerate().find(|(_, r)| r.when.matches(&n)))
                    else {
                        continue;
                    };
                    if *locked_only && !r.locked {
                        continue;
                    }
                    let (source, how) = if r.locked {
                        (Source::RuleLocked, "locked rule, overrides a saved value")
                    } else {
                        (Source::Rule, "rule")
                    };
                    return Ok(Resolved {
                        value: Some(r.value),
                        source,
                        by: format!("rules.{list}[{j}] for {shown}: {how} ({})", r.cite),
                    });
                }
                Op::Constant(v) => {
                    return Ok(Resolved {
                        value: Some(*v),
                        source: Source::Constant,
                        by: format!("constant default ({})", spec.cite),
                    })
                }
                Op::Fallback {
                    value,
                    accepted_if_any,
                } => {
                    let held: Vec<&String> = accepted_if_any
                        .iter()
                        .filter(|c| options.conditions.contains(*c))
                        .collect();
                    return Ok(if held.is_empty() {
                        Resolved {
                            value: None,
                            source: Source::Unpriced,
                            by: format!(
                                "no price or ratio for {shown}: refused unless one of {} holds ({})",
                                accepted_if_any.join(", "),
                                spec.cite
                            ),
                        }
                    } else {
                        Resolved {
                            value: Some(*value),
                            source: Source::Fallback,
                            by: format!(
                                "no price or ratio for {shown}: {value} accepted by {} ({})",
                                held.iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                spec.cite
                            ),
                        }
                    });
                }
            }
        }
        Ok(none(format!("no step of kinds.{kind} applies")))
    }

    /// Whether a response with audio tokens for this model goes to new-api's audio quota.
    pub fn audio_path(&self, model: &str, has_audio_tokens: bool, options: &Options) -> bool {
        match &self.audio_dispatch {
            AudioDispatch::Name(m) => m.matches(model),
            AudioDispatch::Named => {
                if !has_audio_tokens {
                    return false;
                }
                let Some(Kind {
                    eval: KindEval::Steps(steps),
                    ..
                }) = self.kinds.get("audio_ratio")
                else {
                    return false;
                };
                let n = self.normalize(
                    steps.first().map_or("none", |s| s.normalize.as_str()),
                    model,
                );
                ["audio_ratio", "audio_completion_ratio"].iter().any(|k| {
                    self.table(k, options, true)
                        .is_some_and(|(t, _, _)| t.contains_key(&n))
                })
            }
        }
    }

    /// Whether the text quota bills cache writes (later versions) or ignores them.
    pub fn bills_cache_writes(&self) -> bool {
        self.cache_creation_billed
    }

    /// Whether the text quota bills image tokens at `image_ratio`.
    pub fn bills_image_tokens(&self) -> bool {
        self.image_tokens_billed
    }

    /// new-api's quota units per US dollar.
    pub fn quota_per_unit(&self) -> Decimal {
        self.quota_per_unit
    }
}

// ------------------------------------------------------------------ quota

/// How a request is billed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    /// Token usage (text or audio quota, as new-api dispatches it).
    #[default]
    Tokens,
    /// A fixed price per call (Midjourney, Suno tasks).
    PerCall,
}

/// Usage semantics of the upstream response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Semantics {
    /// Cached and cache-write tokens are inside `prompt_tokens`.
    #[default]
    Openai,
    /// Claude: they are reported beside the input tokens.
    Anthropic,
}

/// The usage new-api's quota code sees (token counts; absent = 0).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewApiUsage {
    /// `prompt_tokens`.
    pub prompt: u64,
    /// `completion_tokens`.
    pub completion: u64,
    /// Cached prompt tokens.
    pub cached: u64,
    /// Cache-write tokens.
    pub cache_write: u64,
    /// 5-minute cache writes (Claude).
    pub cache_write_5m: u64,
    /// 1-hour cache writes (Claude).
    pub cache_write_1h: u64,
    /// Image input tokens.
    pub image: u64,
    /// Audio quota: text input tokens.
    pub text_in: u64,
    /// Audio quota: text output tokens.
    pub text_out: u64,
    /// Audio input tokens.
    pub audio_in: u64,
    /// Audio output tokens.
    pub audio_out: u64,
    /// Whose usage semantics.
    pub semantics: Semantics,
}

/// The quota path new-api took.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaPath {
    /// Text quota.
    Text,
    /// Audio quota.
    Audio,
    /// Per call.
    PerCall,
}

/// What new-api charges for one request, with every ratio it used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The path taken.
    pub path: QuotaPath,
    /// Every ratio consulted, by kind (`group_ratio`, `model_price`, `model_ratio`, ...).
    pub ratios: BTreeMap<String, Resolved>,
    /// The quota charged; `None` when refused (or a per-call model has no price).
    pub quota: Option<Decimal>,
    /// new-api refuses the request: no price, no ratio, no accepting condition.
    pub refused: bool,
}

fn mul(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, EvalError> {
    a.checked_mul(b).ok_or_else(|| overflow(what))
}
fn add(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, EvalError> {
    a.checked_add(b).ok_or_else(|| overflow(what))
}
fn round(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
}

impl Version {
    /// The quota new-api charges for a request (schema: `[quota]` in the rules files).
    pub fn quota(
        &self,
        model: &str,
        call: Call,
        group: &str,
        usage: &NewApiUsage,
        options: &Options,
    ) -> Result<Charge, EvalError> {
        let mut ratios = BTreeMap::new();
        let gr = self.eval("group_ratio", group, options)?;
        ratios.insert("group_ratio".to_string(), gr);
        if call == Call::PerCall {
            let p = self.eval("model_price_per_call", model, options)?;
            let priced = p.value.is_some();
            ratios.insert("model_price".into(), p);
            let quota = if priced {
                self.quota_of_ratios(
                    model,
                    QuotaPath::PerCall,
                    &lookup(&ratios),
                    usage,
                    Decimal::ZERO,
                )?
            } else {
                None
            };
            return Ok(Charge {
                path: QuotaPath::PerCall,
                ratios,
                quota,
                refused: false,
            });
        }
        let price = self.eval("model_price", model, options)?;
        if price.value.is_some() {
            ratios.insert("model_price".into(), price);
            let quota = self.quota_of_ratios(
                model,
                QuotaPath::Text,
                &lookup(&ratios),
                usage,
                Decimal::ZERO,
            )?;
            return Ok(Charge {
                path: QuotaPath::Text,
                ratios,
                quota,
                refused: false,
            });
        }
        let mr = self.eval("model_ratio", model, options)?;
        let refused = mr.value.is_none();
        ratios.insert("model_ratio".into(), mr);
        if refused {
            return Ok(Charge {
                path: QuotaPath::Text,
                ratios,
                quota: None,
                refused: true,
            });
        }
        for kind in [
            "completion_ratio",
            "cache_ratio",
            "cache_creation_ratio",
            "cache_creation_ratio_5m",
            "cache_creation_ratio_1h",
            "image_ratio",
            "audio_ratio",
            "audio_completion_ratio",
        ] {
            if self.has_kind(kind) {
                ratios.insert(kind.into(), self.eval(kind, model, options)?);
            }
        }
        let has_audio = usage.audio_in > 0 || usage.audio_out > 0;
        let path = if self.audio_path(model, has_audio, options) {
            QuotaPath::Audio
        } else {
            QuotaPath::Text
        };
        let quota = self.quota_of_ratios(model, path, &lookup(&ratios), usage, Decimal::ZERO)?;
        Ok(Charge {
            path,
            ratios,
            quota,
            refused: false,
        })
    }

    /// The quota new-api's formula gives for a request on `path`, from the ratios it
    /// applied: `ratio(kind)` answers `group_ratio`, `model_price` (a price-billed model:
    /// the text path then bills the price, whatever the tokens), `model_ratio`,
    /// `completion_ratio`, `cache_ratio`, `cache_creation_ratio[_5m|_1h]`, `image_ratio`,
    /// `audio_ratio`, `audio_completion_ratio`. `extra` is quota added before rounding
    /// (tool-call surcharges, separately priced audio input; zero in the data's vectors).
    ///
    /// [`Version::quota`] resolves the ratios from the data and calls this; reconciliation
    /// calls it with the ratios a consume log recorded, so both use one formula. `None`
    /// for a per-call path without a price.
    pub fn quota_of_ratios(
        &self,
        model: &str,
        path: QuotaPath,
        ratio: &dyn Fn(&str) -> Option<Decimal>,
        usage: &NewApiUsage,
        extra: Decimal,
    ) -> Result<Option<Decimal>, EvalError> {
        let need = |k: &str| -> Result<Decimal, EvalError> {
            ratio(k).ok_or_else(|| EvalError::Missing {
                kind: k.into(),
                model: model.into(),
            })
        };
        let g = ratio("group_ratio").unwrap_or(Decimal::ONE);
        let qpu = self.quota_per_unit;
        if path == QuotaPath::PerCall {
            let Some(price) = ratio("model_price") else {
                return Ok(None);
            };
            // Go: int(price * groupRatio * QuotaPerUnit), in float64, truncated.
            let f = (to_f64(price) * to_f64(g) * to_f64(qpu)).trunc();
            return shortest(f)
                .map(Some)
                .ok_or_else(|| overflow(format!("per-call quota of `{model}`")));
        }
        let u = usage;
        let d = Decimal::from;
        let total = u
            .prompt
            .checked_add(u.completion)
            .ok_or_else(|| overflow("prompt + completion"))?;
        // new-api's "no billable usage": no tokens and no surcharge.
        let nothing = total == 0 && extra.is_zero();
        if path == QuotaPath::Text {
            if let Some(p) = ratio("model_price") {
                let q = add(
                    mul(mul(p, qpu, "price quota")?, g, "price quota")?,
                    extra,
                    "price quota",
                )?;
                return Ok(Some(if nothing { Decimal::ZERO } else { round(q) }));
            }
        }
        let m = need("model_ratio")?;
        let ratio_mg = mul(m, g, "model_ratio x group_ratio")?;
        let floor_one = |x: Decimal| {
            if !ratio_mg.is_zero() && x <= Decimal::ZERO {
                Decimal::ONE
            } else {
                x
            }
        };
        if path == QuotaPath::Audio {
            let cr = need("completion_ratio")?;
            let ar = need("audio_ratio")?;
            let acr = need("audio_completion_ratio")?;
            let w = "audio quota";
            let mut x = d(u.text_in);
            x = add(x, mul(d(u.text_out), cr, w)?, w)?;
            x = add(x, mul(d(u.audio_in), ar, w)?, w)?;
            x = add(x, mul(mul(d(u.audio_out), ar, w)?, acr, w)?, w)?;
            let x = floor_one(add(mul(x, ratio_mg, w)?, extra, w)?);
            return Ok(Some(round(x)));
        }
        let w = "text quota";
        let inside = self.cached_inside_always || u.semantics == Semantics::Openai;
        let mut base = d(u.prompt);
        let mut more = Decimal::ZERO;
        if u.cached > 0 {
            if inside {
                base -= d(u.cached);
            }
            more = add(more, mul(d(u.cached), need("cache_ratio")?, w)?, w)?;
        }
        let (write, w5, w1) = (u.cache_write, u.cache_write_5m, u.cache_write_1h);
        if self.cache_creation_billed && (write > 0 || w5 > 0 || w1 > 0) {
            let ccr = need("cache_creation_ratio")?;
            if inside {
                base -= d(write);
                more = add(more, mul(d(write), ccr, w)?, w)?;
            } else {
                let rest = write.saturating_sub(w5).saturating_sub(w1);
                more = add(more, mul(d(rest), ccr, w)?, w)?;
                if w5 > 0 {
                    more = add(more, mul(d(w5), need("cache_creation_ratio_5m")?, w)?, w)?;
                }
                if w1 > 0 {
                    more = add(more, mul(d(w1), need("cache_creation_ratio_1h")?, w)?, w)?;
                }
            }
        }
        if self.image_tokens_billed && u.image > 0 {
            base -= d(u.image);
            more = add(more, mul(d(u.image), need("image_ratio")?, w)?, w)?;
        }
        if self.clamp_negative_base && base < Decimal::ZERO {
            base = Decimal::ZERO;
        }
        let out = mul(d(u.completion), need("completion_ratio")?, w)?;
        let x = add(
            mul(add(add(base, more, w)?, out, w)?, ratio_mg, w)?,
            extra,
            w,
        )?;
        let mut quota = round(floor_one(x));
        if nothing {
            quota = Decimal::ZERO;
        } else if !ratio_mg.is_zero() && quota.is_zero() {
            quota = Decimal::ONE;
        }
        Ok(Some(quota))
    }
}

/// The values of resolved ratios, by kind.
fn lookup(r: &BTreeMap<String, Resolved>) -> impl Fn(&str) -> Option<Decimal> + '_ {
    move |k| r.get(k).and_then(|x| x.value)
}

/// The quota as an integer, saturating as new-api's `QuotaFromDecimalChecked` does.
pub fn quota_i64(q: Decimal) -> i64 {
    q.to_i64().unwrap_or(if q.is_sign_negative() {
        i64::MIN
    } else {
        i64::MAX
    })
}

// ------------------------------------------------------------------ import

/// How a model is billed after the import, and every ratio new-api decided for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelDecision {
    /// `price` (a fixed `ModelPrice` per call), `ratio`, or `refused` (unpriced).
    pub billed: &'static str,
    /// Whether a response with audio tokens goes to new-api's audio quota (its
    /// `audio_ratio` and `audio_completion_ratio` apply).
    pub audio_path: bool,
    /// Each ratio kind: value, source, the rule or map that decided it.
    pub ratios: BTreeMap<String, Resolved>,
}

/// The result of [`import`].
#[derive(Clone, Debug)]
pub struct EffectiveImport {
    /// The price table.
    pub table: super::Table,
    /// The effective `GroupRatio` (saved, else new-api's default map).
    pub group_ratio: BTreeMap<String, Decimal>,
    /// What could not be carried over.
    pub report: super::Report,
    /// Per model, which rule decided each ratio.
    pub decisions: BTreeMap<String, ModelDecision>,
}

/// `import-report.json` of a new-api import: the report, the version and conditions used,
/// and per model which rule decided each ratio.
#[derive(Serialize)]
pub struct ImportReport<'a> {
    /// What was not carried over (the common report).
    #[serde(flatten)]
    pub report: &'a super::Report,
    /// The new-api version whose defaults and rules were applied.
    pub new_api_version: &'a str,
    /// Its commit.
    pub new_api_commit: &'a str,
    /// The named conditions that held.
    pub conditions: Vec<&'a str>,
    /// Per model, the decisions.
    pub decisions: &'a BTreeMap<String, ModelDecision>,
}

impl EffectiveImport {
    /// The JSON of `import-report.json`.
    pub fn report_json(&self, version: &Version, options: &Options) -> String {
        let r = ImportReport {
            report: &self.report,
            new_api_version: &version.id,
            new_api_commit: &version.commit,
            conditions: options.conditions.iter().map(String::as_str).collect(),
            decisions: &self.decisions,
        };
        serde_json::to_string_pretty(&r).expect("the report serializes")
    }
}

/// Converts new-api options to a price table at new-api's *effective* ratios for `version`:
/// every model of the effective `ModelRatio` and `ModelPrice` maps (the saved option, else
/// new-api's default map) and every model a saved option names, each ratio kind decided as
/// new-api decides it (default maps, name normalisation, hard-coded rules, locked rules
/// over saved values, the 37.5 fallback when a named condition accepts it). A model new-api
/// would refuse as unpriced is reported, not imported.
pub fn import(
    version: &Version,
    options: &Options,
    opts: &super::ImportOptions,
    base: &crate::catalog::Catalog,
) -> Result<EffectiveImport, EvalError> {
    use super::Report;
    use crate::money::Currency;
    use crate::unit::Unit;

    let mut report = Report {
        source: opts.source.clone(),
        ..Report::default()
    };
    let mut names: BTreeSet<String> = BTreeSet::new();
    names.extend(version.table_keys("model_ratio", options));
    names.extend(version.table_keys("model_price", options));
    for (opt, map) in &options.maps {
        if opt != "GroupRatio" {
            names.extend(map.keys().cloned());
        }
    }
    let million = Decimal::from(1_000_000);
    let mut decisions = BTreeMap::new();
    let mut models = Vec::new();
    let mut tally: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    let mut seen_case = crate::convert::CaseTwins::default();
    for name in &names {
        if let Some(fault) = crate::catalog::id_fault(name) {
            report.skip(
                &name.escape_debug().to_string(),
                format!("not a model id: it {fault}"),
            );
            continue;
        }
        if let Some(why) = seen_case.check(name) {
            report.skip(&name.escape_debug().to_string(), why);
            continue;
        }
        let mut ratios = BTreeMap::new();
        let mut rates = super::Rates::default();
        let price = version.eval("model_price", name, options)?;
        let audio_path = version.audio_path(name, true, options);
        let billed = if let Some(p) = price.value {
            rates.scalar.insert(Unit::Requests, p);
            ratios.insert("model_price".to_string(), price);
            "price"
        } else {
            let mr = version.eval("model_ratio", name, options)?;
            let Some(m) = mr.value else {
                report.skip(name, format!("new-api refuses it as unpriced: {}", mr.by));
                ratios.insert("model_ratio".to_string(), mr);
                decisions.insert(
                    name.clone(),
                    ModelDecision {
                        billed: "refused",
                        audio_path,
                        ratios,
                    },
                );
                continue;
            };
            if mr.source == Source::Fallback {
                report.note(
                    name,
                    format!("priced at the fallback model ratio {m}: {}", mr.by),
                );
            }
            ratios.insert("model_ratio".to_string(), mr);
            for kind in version.kinds() {
                if !matches!(
                    kind,
                    "model_ratio" | "model_price" | "model_price_per_call" | "group_ratio"
                ) {
                    ratios.insert(kind.to_string(), version.eval(kind, name, options)?);
                }
            }
            let val = |k: &str| ratios.get(k).and_then(|r: &Resolved| r.value);
            let what = format!("prices of `{name}`");
            let input = mul(m, million, &what)?
                .checked_div(opts.quota_per_unit)
                .ok_or_else(|| overflow(what.clone()))?;
            let mut put = |unit: Unit, r: Option<Decimal>| -> Result<(), EvalError> {
                if let Some(r) = r {
                    rates.scalar.insert(unit, mul(input, r, &what)?.normalize());
                }
                Ok(())
            };
            put(Unit::InputTokens, Some(Decimal::ONE))?;
            put(Unit::OutputTokens, val("completion_ratio"))?;
            put(Unit::CacheReadTokens, val("cache_ratio"))?;
            if version.cache_creation_billed {
                put(
                    Unit::CacheWriteTokens,
                    val("cache_creation_ratio_5m").or(val("cache_creation_ratio")),
                )?;
                put(Unit::CacheWrite1hTokens, val("cache_creation_ratio_1h"))?;
            } else {
                put(Unit::CacheWriteTokens, Some(Decimal::ZERO))?;
                put(Unit::CacheWrite1hTokens, Some(Decimal::ZERO))?;
            }
            if version.image_tokens_billed {
                put(Unit::ImageInputTokens, val("image_ratio"))?;
            }
            if audio_path {
                let (ar, acr) = (val("audio_ratio"), val("audio_completion_ratio"));
                put(Unit::AudioInputTokens, ar)?;
                if let (Some(a), Some(c)) = (ar, acr) {
                    put(Unit::AudioOutputTokens, Some(mul(a, c, &what)?))?;
                }
            }
            "ratio"
        };
        for (k, r) in &ratios {
            *tally.entry((k.clone(), r.source.name())).or_default() += 1;
        }
        decisions.insert(
            name.clone(),
            ModelDecision {
                billed,
                audio_path,
                ratios,
            },
        );
        models.push(super::table_model(name, rates, opts, &mut report));
    }
    // One line per kind: how many values came from where.
    let mut by_kind: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for ((k, s), n) in &tally {
        by_kind.entry(k).or_default().push(format!("{n} {s}"));
    }
    for (k, parts) in by_kind {
        report.note(
            k,
            format!("{} (per model in `decisions`)", parts.join(", ")),
        );
    }
    if !version.cache_creation_billed {
        report.note(
            "cache_creation_ratio",
            format!(
                "new-api {} does not bill cache writes: imported at 0",
                version.id
            ),
        );
    }
    let models = super::resolve_collisions(models, base, opts.collisions, &mut report);
    report.models = models.len();
    let mut header = vec![
        format!(
            "Imported by `tariff import --from new-api` from {}, read {}, at new-api {} ({}).",
            opts.source, opts.as_of, version.id, version.commit
        ),
        format!(
            "A ratio r is r x 1,000,000 / {} USD per 1M tokens; ModelPrice is USD per call.",
            opts.quota_per_unit
        ),
        "Ratios are new-api's effective ones: saved options, its default maps and name rules (import-report.json says which decided each).".into(),
    ];
    header.push(if report.skipped.is_empty() {
        "GAPS: none".into()
    } else {
        "GAPS: not imported (see the import report):".into()
    });
    for s in &report.skipped {
        header.push(format!("  {}: {}", s.model, s.message));
    }
    let fallbacks = [
        (Unit::ReasoningTokens, Unit::OutputTokens),
        (Unit::AudioInputTokens, Unit::InputTokens),
        (Unit::AudioCacheReadTokens, Unit::CacheReadTokens),
        (Unit::AudioOutputTokens, Unit::OutputTokens),
        (Unit::ImageInputTokens, Unit::InputTokens),
        (Unit::ImageOutputTokens, Unit::OutputTokens),
    ]
    .into_iter()
    .collect();
    let group_ratio = version
        .table("group_ratio", options, true)
        .map(|(m, _, _)| m.clone())
        .unwrap_or_default();
    Ok(EffectiveImport {
        table: super::Table {
            provider: opts.provider.clone(),
            name: Some("new-api ratio options".into()),
            currency: Currency::USD,
            fallbacks,
            header,
            models,
        },
        group_ratio,
        report,
        decisions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_fnmatch() {
        assert!(glob("gpt-4o-mini", "gpt-4o*"));
        assert!(glob("abc", "a?c"));
        assert!(glob("a-b", "a[-x]b"));
        assert!(!glob("abc", "a[!b]c"));
        assert!(glob("x-openai-compact", "*-openai-compact"));
        assert!(!glob("x-openai-compac", "*-openai-compact"));
        assert!(glob("[", "["));
        assert!(glob("", "*"));
    }

    #[test]
    fn shortest_is_the_go_float64_text() {
        assert_eq!(shortest(0.1).unwrap().to_string(), "0.1");
        assert_eq!(shortest(1.25 * 1.6).unwrap().to_string(), "2");
        // Go's constant 3.5 / 0.15 is the exact rational 70/3 rounded once (dividing the
        // two float64s instead rounds twice and gives 23.333333333333336).
        assert_eq!(
            shortest(70.0 / 3.0).unwrap().to_string(),
            "23.333333333333332"
        );
        assert_eq!(shortest(f64::INFINITY), None);
        assert_eq!(shortest(1e300), None);
    }
}
