//! Re-pricing one row and explaining its difference: the hypotheses, in the order the
//! module documentation of `reconcile` lists them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::{
    Charge, ChargeUnit, Class, Denom, LogRow, Priced, RejectKind, RelayCheck, RelayClass, RowError,
};
use crate::catalog::{Catalog, Model};
use crate::error::PriceError;
use crate::money::QuotaPolicy;
use crate::price;
use crate::usage::{Tokens, Usage};

/// Models resolved once per name: after the first row that names a model, a lookup is a
/// hash probe in the chunk's own map; the first row of each chunk asks the map shared by
/// every chunk of the run (so suggestions for an unknown name are computed once per run,
/// not once per chunk).
pub(crate) struct ModelCache<'c, 's> {
    catalog: &'c Catalog,
    shared: Option<&'s SharedModels<'c>>,
    map: HashMap<Box<str>, Resolved<'c>>,
    /// The rules new-api rows are checked by (`None`: the default rules).
    pub(crate) relay: Option<&'s super::RelayRules>,
}

type Resolved<'c> = Result<&'c Model, Arc<str>>;

/// The resolutions shared by every chunk of a run.
pub(crate) type SharedModels<'c> = std::sync::RwLock<HashMap<Box<str>, Resolved<'c>>>;

impl<'c, 's> ModelCache<'c, 's> {
    pub(crate) fn new(catalog: &'c Catalog, shared: Option<&'s SharedModels<'c>>) -> Self {
        ModelCache {
            catalog,
            shared,
            map: HashMap::new(),
            relay: None,
        }
    }

    fn get(&mut self, name: &str) -> Resolved<'c> {
        if let Some(r) = self.map.get(name) {
            return r.clone();
        }
        let known = self
            .shared
            .and_then(|s| s.read().ok().and_then(|m| m.get(name).cloned()));
        let r = known.unwrap_or_else(|| {
            let r = self
                .catalog
                .model(name)
                .map_err(|e| Arc::from(e.to_string()));
            if let Some(mut m) = self.shared.and_then(|s| s.write().ok()) {
                m.insert(name.into(), r.clone());
            }
            r
        });
        self.map.insert(name.into(), r.clone());
        r
    }
}

/// The tolerance under which a difference is rounding.
fn tolerance(denom: Denom) -> Decimal {
    match denom {
        Denom::Quota => Decimal::ONE,
        Denom::Money(_) => Decimal::new(1, 6),
    }
}

fn price_error(e: PriceError) -> RowError {
    let kind = match e {
        PriceError::UnknownModel { .. } => RejectKind::UnknownModel,
        PriceError::NoPriceAt { .. } => RejectKind::NoPrice,
        _ => RejectKind::Unpriced,
    };
    RowError {
        kind,
        reason: e.to_string(),
    }
}

/// How the charge is denominated, and how a bill becomes that denomination.
#[derive(Clone, Copy)]
enum Conv {
    Money,
    Quota(Decimal),
}

fn amount(
    model: &Model,
    usage: &Usage,
    at: DateTime<Utc>,
    conv: Conv,
) -> Result<Decimal, PriceError> {
    // The time of a quote is the usage's own: a record re-priced at another time is a
    // copy carrying that time (only on the explanation path, never for a row's own price).
    let moved;
    let usage = if usage.at == Some(at) {
        usage
    } else {
        moved = Usage {
            at: Some(at),
            ..usage.clone()
        };
        &moved
    };
    let bill = price::quote(model, usage)?;
    Ok(match conv {
        Conv::Money => bill.total(),
        Conv::Quota(group_ratio) => quota_of(bill.total(), group_ratio)?,
    })
}

fn quota_of(total: Decimal, group_ratio: Decimal) -> Result<Decimal, PriceError> {
    let policy = QuotaPolicy {
        group_ratio,
        ..QuotaPolicy::new_api()
    };
    policy
        .units(total)
        .map(|q| Decimal::from(q.units))
        .map_err(|_| PriceError::Overflow {
            model: String::new(),
            unit: crate::Unit::InputTokens,
        })
}

/// Prices one row and classifies its difference.
pub(crate) fn price_row(
    cache: &mut ModelCache<'_, '_>,
    row: &LogRow<'_>,
) -> Result<Priced, RowError> {
    let model = cache.get(&row.model).map_err(|reason| RowError {
        kind: RejectKind::UnknownModel,
        reason: reason.to_string(),
    })?;
    let bill = price::quote(model, &row.usage).map_err(price_error)?;
    let (denom, conv) = match &row.charge {
        None => (Denom::Money(bill.currency()), Conv::Money),
        Some(Charge {
            unit: ChargeUnit::Money(c),
            ..
        }) => {
            if *c != bill.currency() {
                return Err(RowError {
                    kind: RejectKind::Currency,
                    reason: format!(
                        "charged in {c}, but `{}` is priced in {} at {}; no exchange rate is applied",
                        bill.model(),
                        bill.currency(),
                        row.at.format("%Y-%m-%dT%H:%M:%SZ")
                    ),
                });
            }
            (Denom::Money(*c), Conv::Money)
        }
        Some(Charge {
            unit: ChargeUnit::Quota { group_ratio },
            ..
        }) => {
            let usd = QuotaPolicy::new_api().currency;
            if bill.currency() != usd {
                return Err(RowError {
                    kind: RejectKind::Currency,
                    reason: format!(
                        "charged in quota units ({usd}-based), but `{}` is priced in {}; no exchange rate is applied",
                        bill.model(), bill.currency()
                    ),
                });
            }
            (Denom::Quota, Conv::Quota(*group_ratio))
        }
    };
    let expected = match conv {
        Conv::Money => bill.total(),
        Conv::Quota(g) => quota_of(bill.total(), g).map_err(|_| RowError {
            kind: RejectKind::Unpriced,
            reason: format!(
                "`{}`: the quota of {} overflows",
                bill.model(),
                bill.total()
            ),
        })?,
    };
    let usd = QuotaPolicy::new_api();
    let cost = match (&row.charge, bill.currency() == usd.currency) {
        (Some(c), true) => match c.unit {
            ChargeUnit::Money(_) => Some(c.amount),
            ChargeUnit::Quota { .. } => c.amount.checked_div(usd.per_unit),
        }
        .map(|charged| super::Cost {
            charged,
            upstream: bill.total(),
        }),
        _ => None,
    };
    let relay = relay_check(cache, row);
    let mut priced = Priced {
        model: bill.model().into(),
        provider: bill.provider().into(),
        denom,
        expected,
        charged: row.charge.as_ref().map(|c| c.amount),
        class: Class::NotCharged,
        hint: None,
        relay,
        cost,
    };
    let Some(charged) = priced.charged else {
        return Ok(priced);
    };
    // The difference is reported and summed as a decimal: when `charged - expected` has
    // more digits than one holds it would be rounded, so the row is refused instead.
    let mut difference = super::ExactSum::default();
    difference.add(charged);
    difference.add(-expected);
    if difference.to_decimal() != charged.checked_sub(expected) {
        return Err(RowError {
            kind: RejectKind::Overflow,
            reason: format!(
                "`charged` {charged} minus the expected {expected} is {difference}, more digits than a decimal holds (28 significant)"
            ),
        });
    }
    if charged == expected {
        priced.class = Class::Match;
        return Ok(priced);
    }
    let (class, hint) = explain(
        model,
        row,
        conv,
        charged,
        expected,
        tolerance(denom),
        bill.lines().is_empty(),
        &bill,
    );
    priced.class = class;
    priced.hint = hint;
    // Not the list price by any known mistake: the relay's own rules may explain it.
    if class == Class::Unexplained {
        if let Some(check) = &priced.relay {
            match check.class {
                RelayClass::Follows => {
                    priced.class = Class::OperatorPrice;
                    priced.hint = Some("the quota the relay's logged ratios give".to_string());
                }
                RelayClass::RatioMismatch => {
                    priced.class = Class::RatioMismatch;
                    priced.hint = check.reason.clone();
                }
                RelayClass::Unexplained | RelayClass::Unchecked => {
                    priced.hint = check.reason.clone();
                }
            }
        }
    }
    Ok(priced)
}

#[allow(clippy::too_many_arguments)]
fn explain(
    model: &Model,
    row: &LogRow<'_>,
    conv: Conv,
    charged: Decimal,
    expected: Decimal,
    tol: Decimal,
    no_usage: bool,
    bill: &crate::Bill,
) -> (Class, Option<String>) {
    let near = |x: Decimal| (charged - x).abs() <= tol;
    if near(expected) {
        return (Class::Rounding, None);
    }
    if no_usage {
        return (
            Class::MissingUsage,
            Some("the row has no billable usage".to_string()),
        );
    }
    let at = row.at;
    // Other schedules for the same service tier and region, nearest in time first.
    let mut others: Vec<(Duration, DateTime<Utc>, String)> = model
        .schedules()
        .iter()
        .filter(|s| {
            s.service_tier() == bill.service_tier() && s.region() == bill.region() && !s.covers(at)
        })
        .filter_map(|s| {
            let t = match (s.from(), s.until()) {
                (_, Some(u)) if u <= at => u - Duration::seconds(1),
                (Some(f), _) if f > at => f,
                _ => return None,
            };
            Some(((t - at).abs(), t, s.period()))
        })
        .collect();
    others.sort_by_key(|o| (o.0, o.1));
    for (_, t, period) in others {
        if amount(model, &row.usage, t, conv).is_ok_and(near) {
            return (
                Class::PriceChanged,
                Some(format!("matches the price in force {period}")),
            );
        }
    }
    for (usage, what) in cache_hypotheses(&row.usage) {
        if amount(model, &usage, at, conv).is_ok_and(near) {
            return (Class::CacheMiscounted, Some(what.to_string()));
        }
    }
    for (usage, what) in reasoning_hypotheses(&row.usage) {
        if amount(model, &usage, at, conv).is_ok_and(near) {
            return (Class::ReasoningMiscounted, Some(what.to_string()));
        }
    }
    (Class::Unexplained, None)
}

fn tok(n: u64) -> Tokens {
    Tokens::new(n.min(crate::usage::MAX_COUNT)).expect("clamped")
}

/// A new-api row's charge checked against the relay's own rules (the ratios it logged),
/// when it logged them and a charge. Needs nothing from the price tables, so it is
/// answered for rows the tables cannot price too.
pub(crate) fn relay_check(cache: &ModelCache<'_, '_>, row: &LogRow<'_>) -> Option<RelayCheck> {
    let rules: &super::RelayRules = match cache.relay {
        Some(r) => r,
        None => super::relay::default_rules(),
    };
    match (&row.relay, &row.charge) {
        (Some(logged), Some(c)) => Some(super::relay::check(
            rules,
            &row.model,
            row.group.as_deref(),
            logged,
            c.amount,
        )),
        _ => None,
    }
}

/// The row re-counted the ways relays miscount cache tokens.
pub(crate) fn cache_hypotheses(u: &Usage) -> Vec<(Usage, &'static str)> {
    let (r, w, w1) = (
        u.cache_read_tokens.get(),
        u.cache_write_tokens.get(),
        u.cache_write_1h_tokens.get(),
    );
    if r + w + w1 == 0 {
        return Vec::new();
    }
    let cleared = || Usage {
        cache_read_tokens: Tokens::ZERO,
        cache_write_tokens: Tokens::ZERO,
        cache_write_1h_tokens: Tokens::ZERO,
        ..u.clone()
    };
    let mut out = Vec::with_capacity(4);
    let mut as_input = cleared();
    as_input.input_tokens = tok(u.input_tokens.get() + r + w + w1);
    out.push((as_input, "cache reads and writes billed as plain input"));
    out.push((cleared(), "cache tokens not billed"));
    if w1 > 0 {
        let mut short = u.clone();
        short.cache_write_tokens = tok(w + w1);
        short.cache_write_1h_tokens = Tokens::ZERO;
        out.push((short, "1-hour cache writes billed as 5-minute writes"));
    }
    let mut twice = u.clone();
    twice.input_tokens = tok(u.input_tokens.get().saturating_sub(r + w + w1));
    out.push((
        twice,
        "cache tokens subtracted from the input a second time",
    ));
    out
}

/// The row re-counted the ways relays miscount reasoning tokens.
pub(crate) fn reasoning_hypotheses(u: &Usage) -> Vec<(Usage, &'static str)> {
    let n = u.reasoning_tokens.get();
    if n == 0 {
        return Vec::new();
    }
    let mut dropped = u.clone();
    dropped.reasoning_tokens = Tokens::ZERO;
    let mut twice = u.clone();
    twice.output_tokens = tok(u.output_tokens.get() + n);
    vec![
        (dropped, "reasoning tokens not billed"),
        (twice, "reasoning tokens billed twice (also as output)"),
    ]
}
