//! `pricing/disagreements.toml`: each known disagreement with another source, and each
//! intentional gap, with a verdict and its evidence; and the check of a diff against it.
//!
//! ```toml
//! [[explained]]
//! kind = "differs"              # lacks | differs | retired
//! source = "genai-prices"       # optional: litellm | genai-prices; absent = either
//! provider = "deepseek"         # tariff's provider
//! model = "deepseek-v4-flash"   # lacks: the source's name; differs / retired: tariff's id; `*` globs
//! bucket = "cache_read_tokens"  # differs only, optional (absent = every bucket); `*` globs
//! value = "0.028"               # differs only, optional: the source's price this was judged on
//! verdict = "source-stale"      # see `Verdict`
//! evidence = "https://api-docs.deepseek.com/quick_start/pricing"
//! read = 2026-12-06             # when the evidence was read
//! note = "…"                    # optional
//! ```
//!
//! An entry that matches nothing in the diffs it was checked against is *stale*: the
//! source or the tables changed, and the explanation must be revisited.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Diff, SourceKind, SEED_PROVIDERS};
use crate::catalog::glob;

/// What a verdict says about a disagreement or a gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The vendor's page gives tariff's price; the source is wrong.
    TariffCorrect,
    /// The source has an older price (the vendor changed it since).
    SourceStale,
    /// Tariff does not price it yet: an open gap (the evidence says why, e.g. no readable
    /// vendor price).
    Gap,
    /// Not the vendor's own model or offer (a reseller's listing, another vendor's model
    /// hosted by this one, a fine-tune or subscription price).
    NotFirstParty,
    /// The vendor has retired it; tariff keeps it for re-pricing old logs, or the source
    /// still lists it.
    Retired,
    /// The two price different things (another platform's rate, a condition tariff names
    /// differently); compared like with like they agree.
    NotComparable,
}

/// The kind of item an entry explains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// A model the source prices and tariff lacks.
    Lacks,
    /// A bucket priced differently.
    Differs,
    /// A model tariff prices that the source has retired.
    Retired,
}

impl ItemKind {
    /// The kind's name, as written in the file.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Lacks => "lacks",
            ItemKind::Differs => "differs",
            ItemKind::Retired => "retired",
        }
    }
}

/// One entry of the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// What it explains.
    pub kind: ItemKind,
    /// The source it is about; `None` = either.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Tariff's provider.
    pub provider: String,
    /// The model (glob).
    pub model: String,
    /// The bucket (glob), for `differs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// The source's price the verdict was about, for `differs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Decimal>,
    /// The verdict.
    pub verdict: Verdict,
    /// The vendor URL (or other public page) that supports it.
    pub evidence: String,
    /// When the evidence was read (`as_of`, as in the price tables).
    pub as_of: NaiveDate,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An entry as written: `as_of` is a TOML date, `value` a decimal string.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    kind: ItemKind,
    #[serde(default)]
    source: Option<String>,
    provider: String,
    model: String,
    #[serde(default)]
    bucket: Option<String>,
    #[serde(default)]
    value: Option<String>,
    verdict: Verdict,
    evidence: String,
    as_of: toml::value::Datetime,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    explained: Vec<RawEntry>,
}

/// A problem with the disagreements file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ExplainError {
    /// The file.
    pub file: String,
    /// What was wrong, with the entry's index and field where known.
    pub message: String,
}

/// Reads a disagreements file: every entry needs a known `kind` and `verdict`, non-empty
/// `provider`, `model` and `evidence`, and an `as_of` date; `bucket` and `value` only on
/// `differs`; `source` is `litellm` or `genai-prices`.
pub fn parse(file: &str, text: &str) -> Result<Vec<Entry>, ExplainError> {
    let err = |message: String| ExplainError {
        file: file.to_string(),
        message,
    };
    let f: File = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let mut out = Vec::with_capacity(f.explained.len());
    for (i, e) in f.explained.into_iter().enumerate() {
        let at = format!("explained[{i}] ({} {})", e.provider, e.model);
        for (field, v) in [
            ("provider", &e.provider),
            ("model", &e.model),
            ("evidence", &e.evidence),
        ] {
            if v.trim().is_empty() {
                return Err(err(format!("{at}: `{field}` is empty")));
            }
        }
        if let Some(s) = &e.source {
            if SourceKind::parse(s).is_none() {
                return Err(err(format!(
                    "{at}: `source` is `{s}`; expected litellm or genai-prices"
                )));
            }
        }
        if e.kind != ItemKind::Differs && (e.bucket.is_some() || e.value.is_some()) {
            return Err(err(format!(
                "{at}: `bucket` and `value` belong to `differs` entries only"
            )));
        }
        let value = match &e.value {
            None => None,
            Some(v) => Some(
                Decimal::from_str_exact(v.trim())
                    .map_err(|_| err(format!("{at}: `value` `{v}` is not a decimal")))?,
            ),
        };
        let as_of = match (e.as_of.date, e.as_of.time) {
            (Some(d), None) => NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()),
            _ => None,
        }
        .ok_or_else(|| err(format!("{at}: `as_of` must be a date (YYYY-MM-DD)")))?;
        out.push(Entry {
            kind: e.kind,
            source: e.source,
            provider: e.provider,
            model: e.model,
            bucket: e.bucket,
            value,
            verdict: e.verdict,
            evidence: e.evidence,
            as_of,
            note: e.note,
        });
    }
    Ok(out)
}

/// One item of a diff, flattened for checking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Which source.
    pub source: SourceKind,
    /// What kind.
    pub kind: ItemKind,
    /// Tariff's provider.
    pub provider: String,
    /// The model (source's name for lacks, tariff's id otherwise).
    pub model: String,
    /// The bucket, for differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// Tariff's price, for differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tariff: Option<Decimal>,
    /// The source's price, for differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<Decimal>,
    /// Where tariff's price was read, for differs; what the source says, for retired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Every item of a diff.
pub fn items(d: &Diff) -> Vec<Item> {
    let mut out = Vec::new();
    for (p, pd) in &d.providers {
        for l in &pd.lacks {
            out.push(Item {
                source: d.source,
                kind: ItemKind::Lacks,
                provider: p.clone(),
                model: l.model.clone(),
                bucket: None,
                tariff: None,
                other: None,
                detail: Some(l.source_keys.join(", ")),
            });
        }
        for x in &pd.differs {
            out.push(Item {
                source: d.source,
                kind: ItemKind::Differs,
                provider: p.clone(),
                model: x.model.clone(),
                bucket: Some(x.bucket.clone()),
                tariff: Some(x.tariff),
                other: Some(x.other),
                detail: Some(x.tariff_source.clone()),
            });
        }
        for r in &pd.retired {
            out.push(Item {
                source: d.source,
                kind: ItemKind::Retired,
                provider: p.clone(),
                model: r.model.clone(),
                bucket: None,
                tariff: None,
                other: None,
                detail: Some(format!("{}: {}", r.source_key, r.reason)),
            });
        }
    }
    out
}

impl Entry {
    /// Whether the entry explains the item.
    pub fn explains(&self, item: &Item) -> bool {
        self.kind == item.kind
            && self
                .source
                .as_deref()
                .is_none_or(|s| SourceKind::parse(s) == Some(item.source))
            && self.provider == item.provider
            && glob(&self.model, &item.model)
            && match (&self.bucket, &item.bucket) {
                (Some(b), Some(ib)) => glob(b, ib),
                (Some(_), None) => false,
                (None, _) => true,
            }
            && self
                .value
                .is_none_or(|v| item.other.is_some_and(|o| o.normalize() == v.normalize()))
    }

    fn applies_to(&self, sources: &[SourceKind]) -> bool {
        match self.source.as_deref().and_then(SourceKind::parse) {
            Some(s) => sources.contains(&s),
            None => true,
        }
    }
}

/// The result of checking diffs against the file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Check {
    /// Items of the seed's providers that no entry explains.
    pub unexplained: Vec<Item>,
    /// Items of other providers that no entry explains (reported, not enforced).
    pub unexplained_other: Vec<Item>,
    /// Items explained, with the index of the first entry that explains each.
    pub explained: usize,
    /// Entries that explain nothing in the diffs checked.
    pub stale: Vec<Stale>,
}

/// An entry that explains nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stale {
    /// Its index in the file (`explained[index]`).
    pub index: usize,
    /// The entry.
    pub entry: Entry,
}

impl Check {
    /// Whether the check passes: nothing unexplained for the seed's providers and no stale
    /// entry.
    pub fn passes(&self) -> bool {
        self.unexplained.is_empty() && self.stale.is_empty()
    }
}

/// Checks diffs against the entries. An entry is stale when it explains no item of the
/// diffs of its source (entries for a source not among `diffs` are not judged).
pub fn check(entries: &[Entry], diffs: &[Diff]) -> Check {
    let sources: Vec<SourceKind> = diffs.iter().map(|d| d.source).collect();
    let mut used = vec![false; entries.len()];
    let mut out = Check::default();
    for item in diffs.iter().flat_map(items) {
        let mut hit = false;
        for (i, e) in entries.iter().enumerate() {
            if e.explains(&item) {
                used[i] = true;
                hit = true;
            }
        }
        if hit {
            out.explained += 1;
        } else if SEED_PROVIDERS.contains(&item.provider.as_str()) {
            out.unexplained.push(item);
        } else {
            out.unexplained_other.push(item);
        }
    }
    out.stale = entries
        .iter()
        .enumerate()
        .filter(|(i, e)| !used[*i] && e.applies_to(&sources))
        .map(|(index, e)| Stale {
            index,
            entry: e.clone(),
        })
        .collect();
    out
}

/// TOML stubs for unexplained items, one `[[explained]]` each, with `verdict` and
/// `evidence` left empty: the file does not load until a person fills them in.
pub fn skeleton(items: &[Item]) -> String {
    let mut out = String::new();
    let mut grouped: BTreeMap<(String, ItemKind, String, Option<String>), Vec<&Item>> =
        BTreeMap::new();
    for i in items {
        grouped
            .entry((
                i.provider.clone(),
                i.kind,
                i.model.clone(),
                i.bucket.clone(),
            ))
            .or_default()
            .push(i);
    }
    for ((provider, kind, model, bucket), list) in grouped {
        let q = |s: &str| toml_string(s);
        out.push_str("[[explained]]\n");
        out.push_str(&format!("kind = {}\n", q(kind.name())));
        let mut sources: Vec<SourceKind> = list.iter().map(|i| i.source).collect();
        sources.sort();
        sources.dedup();
        if let [s] = sources.as_slice() {
            out.push_str(&format!("source = {}\n", q(s.name())));
        }
        out.push_str(&format!(
            "provider = {}\nmodel = {}\n",
            q(&provider),
            q(&model)
        ));
        if let Some(b) = bucket {
            out.push_str(&format!("bucket = {}\n", q(&b)));
            let mut vals: Vec<Decimal> = list.iter().filter_map(|i| i.other).collect();
            vals.sort();
            vals.dedup();
            if let [v] = vals.as_slice() {
                out.push_str(&format!("value = \"{v}\"\n"));
            }
            for i in &list {
                out.push_str(&format!(
                    "# {}: tariff {} ({}), {} {}\n",
                    i.source,
                    i.tariff.map(|d| d.to_string()).unwrap_or_default(),
                    i.detail.as_deref().unwrap_or_default(),
                    i.source,
                    i.other.map(|d| d.to_string()).unwrap_or_default()
                ));
            }
        } else {
            for i in &list {
                if let Some(d) = &i.detail {
                    out.push_str(&format!("# {}: {d}\n", i.source));
                }
            }
        }
        out.push_str("verdict = \"\"   # tariff-correct | source-stale | gap | not-first-party | retired | not-comparable\n");
        out.push_str("evidence = \"\"  # the vendor page read\n");
        out.push_str("as_of = YYYY-MM-DD\n\n");
    }
    out
}

fn toml_string(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if c.is_control() => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
