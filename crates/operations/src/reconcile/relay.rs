//! A new-api consume row checked against the relay's own rules: the quota recomputed from
//! the ratios the row logged (the formula of [`Version::quota_of_ratios`], the one the
//! defaults evaluator uses), and, given the operator's configuration, those ratios
//! compared with what the configuration says for the model.
//!
//! Read from QuantumNous/new-api: `service/log_info_generate.go` (what `other` holds:
//! `GenerateTextOtherInfo`, `GenerateClaudeOtherInfo`, `GenerateAudioOtherInfo`,
//! `GenerateWssOtherInfo`, `GenerateMjOtherInfo`, `InjectTieredBillingInfo`),
//! `service/text_quota.go` (`calculateTextQuotaSummary`: tool-call surcharges, Gemini
//! audio input priced per million, what is logged when) and `service/quota.go` (audio).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::convert::newapi::defaults::{self, NewApiUsage, QuotaPath, Version};

/// What a consume row's `other` says the relay applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Logged {
    /// The quota path: text, audio (`other.audio` / `other.ws`), or per call (a
    /// Midjourney or task row: a `model_price` and no `model_ratio`).
    pub path: Option<QuotaPath>,
    /// The logged ratios by kind (`model_ratio`, `group_ratio`, `model_price`, ...);
    /// `model_price` only when the row was price-billed (new-api logs -1 otherwise).
    pub ratios: BTreeMap<&'static str, Decimal>,
    /// The usage the quota formula sees.
    pub usage: NewApiUsage,
    /// Tool-call surcharges: (price per thousand calls in USD, calls).
    pub surcharges: Vec<(Decimal, u64)>,
    /// Gemini audio input priced apart: (USD per million tokens, tokens).
    pub audio_input: Option<(Decimal, u64)>,
    /// `billing_mode = tiered_expr`: the quota came from an expression, not the ratios.
    pub tiered: bool,
    /// `user_group_ratio` was logged and positive: a (user group, using group) special
    /// ratio replaced the group's own.
    pub special_group: bool,
    /// `admin_info.billing_model`, when the relay billed another name than it logged.
    pub billing_model: Option<String>,
}

/// The relay's own rules: the new-api version whose formula applies, and, when given, the
/// operator's configuration (saved options) the logged ratios are compared with.
#[derive(Clone)]
pub struct RelayRules {
    /// The version (formula flags: what the text quota bills, how per-call rounds).
    pub version: &'static Version,
    /// The operator's saved options, evaluated with the version's defaults and rules.
    pub options: Option<defaults::Options>,
}

impl std::fmt::Debug for RelayRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayRules")
            .field("version", &self.version.id)
            .field("options", &self.options)
            .finish()
    }
}

impl RelayRules {
    /// The newest embedded version, without a configuration.
    pub fn newest() -> Self {
        RelayRules {
            version: defaults::Versions::embedded()
                .expect("the embedded new-api data is checked by the tests")
                .newest(),
            options: None,
        }
    }
}

/// The rules rows are checked by when no others are given: the newest version's formula,
/// no configuration.
pub(crate) fn default_rules() -> &'static RelayRules {
    static RULES: std::sync::OnceLock<RelayRules> = std::sync::OnceLock::new();
    RULES.get_or_init(RelayRules::newest)
}

/// Whether a row followed the relay's own rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelayClass {
    /// The charged quota is what the logged ratios give (and they agree with the
    /// configuration, when one was given).
    Follows,
    /// The quota follows the logged ratios, but they disagree with the configuration.
    RatioMismatch,
    /// The charged quota is not what the logged ratios give.
    Unexplained,
    /// Not recomputable: tiered billing, or a ratio the quota needs was not logged.
    Unchecked,
}

impl RelayClass {
    /// Every class, in report order.
    pub const ALL: [RelayClass; 4] = [
        RelayClass::Follows,
        RelayClass::RatioMismatch,
        RelayClass::Unexplained,
        RelayClass::Unchecked,
    ];

    /// The class's name.
    pub const fn name(self) -> &'static str {
        match self {
            RelayClass::Follows => "follows",
            RelayClass::RatioMismatch => "ratio_mismatch",
            RelayClass::Unexplained => "unexplained",
            RelayClass::Unchecked => "unchecked",
        }
    }
}

/// The outcome of the check of one row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RelayCheck {
    /// The class.
    pub class: RelayClass,
    /// The quota the logged ratios give.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<Decimal>,
    /// Why, for every class but `follows`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The quota added beside the token formula: tool-call surcharges
/// (`price · count / 1000 · group · QuotaPerUnit`) and separately priced audio input
/// (`price / 1e6 · tokens · group · QuotaPerUnit`).
fn extra(logged: &Logged, group: Decimal, qpu: Decimal) -> Option<Decimal> {
    let mut sum = Decimal::ZERO;
    let per = |price: Decimal, n: u64, scale: u32| -> Option<Decimal> {
        price
            .checked_mul(Decimal::from(n))?
            .checked_div(Decimal::from(10u64.pow(scale)))?
            .checked_mul(group)?
            .checked_mul(qpu)
    };
    for &(price, n) in &logged.surcharges {
        sum = sum.checked_add(per(price, n, 3)?)?;
    }
    if let Some((price, n)) = logged.audio_input {
        sum = sum.checked_add(per(price, n, 6)?)?;
    }
    Some(sum)
}

/// The ratio kinds the quota of `logged` depends on, as the configuration names them.
fn applied_kinds(logged: &Logged, path: QuotaPath) -> Vec<(&'static str, &'static str)> {
    let u = &logged.usage;
    let mut k = Vec::new();
    if path == QuotaPath::PerCall {
        k.push(("model_price", "model_price_per_call"));
        return k;
    }
    if logged.ratios.contains_key("model_price") {
        k.push(("model_price", "model_price"));
        return k;
    }
    k.push(("model_ratio", "model_ratio"));
    k.push(("completion_ratio", "completion_ratio"));
    if path == QuotaPath::Audio {
        k.push(("audio_ratio", "audio_ratio"));
        k.push(("audio_completion_ratio", "audio_completion_ratio"));
        return k;
    }
    if u.cached > 0 {
        k.push(("cache_ratio", "cache_ratio"));
    }
    if u.cache_write > 0 {
        k.push(("cache_creation_ratio", "cache_creation_ratio"));
    }
    if u.cache_write_5m > 0 {
        k.push(("cache_creation_ratio_5m", "cache_creation_ratio_5m"));
    }
    if u.cache_write_1h > 0 {
        k.push(("cache_creation_ratio_1h", "cache_creation_ratio_1h"));
    }
    if u.image > 0 {
        k.push(("image_ratio", "image_ratio"));
    }
    k
}

/// Checks one row: `model` as logged, `group` the using group, `charged` the quota.
pub fn check(
    rules: &RelayRules,
    model: &str,
    group: Option<&str>,
    logged: &Logged,
    charged: Decimal,
) -> RelayCheck {
    let unchecked = |reason: String| RelayCheck {
        class: RelayClass::Unchecked,
        quota: None,
        reason: Some(reason),
    };
    if logged.tiered {
        return unchecked(
            "tiered billing (billing_mode tiered_expr): the quota comes from an expression, not the ratios"
                .to_string(),
        );
    }
    let Some(path) = logged.path else {
        return unchecked("other logs neither a model_ratio nor a model_price".to_string());
    };
    let v = rules.version;
    let g = logged
        .ratios
        .get("group_ratio")
        .copied()
        .unwrap_or(Decimal::ONE);
    let Some(extra) = extra(logged, g, v.quota_per_unit()) else {
        return unchecked("the surcharges overflow".to_string());
    };
    let name = logged.billing_model.as_deref().unwrap_or(model);
    let quota = match v.quota_of_ratios(
        name,
        path,
        &|k| logged.ratios.get(k).copied(),
        &logged.usage,
        extra,
    ) {
        Ok(Some(q)) => q,
        Ok(None) => return unchecked("other logs no model_price for a per-call row".to_string()),
        Err(defaults::EvalError::Missing { kind, .. }) => {
            return unchecked(format!("other does not log the {kind} the usage needs"))
        }
        Err(e) => return unchecked(e.to_string()),
    };
    if quota != charged {
        return RelayCheck {
            class: RelayClass::Unexplained,
            quota: Some(quota),
            reason: Some(format!(
                "charged {charged} quota; the ratios it logged give {quota}"
            )),
        };
    }
    let mut reason = String::new();
    if let Some(options) = &rules.options {
        for (logged_kind, kind) in applied_kinds(logged, path) {
            if !v.has_kind(kind) {
                continue;
            }
            let Some(&was) = logged.ratios.get(logged_kind) else {
                continue;
            };
            let want = match v.eval(kind, name, options) {
                Ok(r) => r.value,
                Err(e) => {
                    let _ = write!(reason, "{}{logged_kind}: {e}", sep(&reason));
                    continue;
                }
            };
            match want {
                Some(w) if w == was => {}
                Some(w) => {
                    let _ = write!(
                        reason,
                        "{}{logged_kind} {was}, configuration {w}",
                        sep(&reason)
                    );
                }
                None => {
                    let _ = write!(
                        reason,
                        "{}{logged_kind} {was}, the configuration has none",
                        sep(&reason)
                    );
                }
            }
        }
        if let (false, Some(group), Some(&was)) = (
            logged.special_group,
            group,
            logged.ratios.get("group_ratio"),
        ) {
            if let Ok(r) = v.eval("group_ratio", group, options) {
                if let Some(w) = r.value.filter(|w| *w != was) {
                    let _ = write!(
                        reason,
                        "{}group_ratio {was}, configuration {w} for group `{group}`",
                        sep(&reason)
                    );
                }
            }
        }
    }
    if reason.is_empty() {
        RelayCheck {
            class: RelayClass::Follows,
            quota: Some(quota),
            reason: None,
        }
    } else {
        RelayCheck {
            class: RelayClass::RatioMismatch,
            quota: Some(quota),
            reason: Some(format!("logged {reason}")),
        }
    }
}

fn sep(s: &str) -> &'static str {
    if s.is_empty() {
        ""
    } else {
        "; "
    }
}
