//! The engine: a model's price tables plus a usage record make a [`Bill`].
//!
//! The work per quote is bounded by the number of units and of the model's own schedules,
//! never by the size of the catalog.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};
use rust_decimal::Decimal;

use crate::bill::{Bill, Head, Line, Provenance};
use crate::catalog::{
    Body, Catalog, Model, OptionRule, Rate, RateSet, Schedule, Tier, Variant, Window,
};
use crate::error::PriceError;
use crate::unit::Unit;
use crate::usage::{ServiceTier, Usage};

impl Catalog {
    /// Prices a usage record for a model (id, alias or pattern): [`quote`] after
    /// [`Catalog::model`].
    ///
    /// The usage's [`at`](Usage::at) selects the prices in force; without it, the current
    /// time does.
    pub fn quote(&self, model: &str, usage: &Usage) -> Result<Bill, PriceError> {
        quote(self.model(model)?, usage)
    }
}

/// Prices a usage record for a resolved model.
///
/// **The time of a quote is the usage's [`at`](Usage::at)**, and only that: it selects the
/// schedule in force and the time window, and the bill reports it
/// ([`Bill::at`]). A record without `at` is priced at the current time, read once here.
/// There is no other way to give a time: the record is what a relay logs and what
/// reconciliation re-prices, so a time passed beside it could (and once did) silently
/// disagree with the one it carries. To price a record at another time, set its `at`.
///
/// ```
/// use tariff_core::{price, Catalog, Usage};
/// let m = Catalog::builtin().resolve("claude-sonnet-4-5").unwrap();
/// let mut usage = Usage::from_json(r#"{"input_tokens": 1000, "output_tokens": 400}"#)?;
/// usage.at = Some("2025-11-01T00:00:00Z".parse()?);
/// let bill = price::quote(m, &usage)?;
/// assert_eq!(bill.at(), usage.at.unwrap());
/// assert_eq!(bill.total().to_string(), "0.009"); // 1000 × $3/M + 400 × $15/M
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A time beside the record does not compile:
///
/// ```compile_fail
/// # use tariff_core::{price, Catalog, Usage};
/// # let m = Catalog::builtin().resolve("claude-sonnet-4-5").unwrap();
/// # let usage = Usage::default();
/// let bill = price::quote(m, &usage, chrono::Utc::now());
/// ```
#[inline]
pub fn quote(model: &Model, usage: &Usage) -> Result<Bill, PriceError> {
    // The result is written where the caller keeps it (this function is inlined into the
    // caller): a bill is several hundred bytes, and returning one made here would copy it.
    let mut out = Err(PriceError::Overflow {
        model: String::new(),
        unit: Unit::InputTokens,
    });
    if let Err(e) = quote_into(&mut out, model, usage) {
        out = Err(e);
    }
    out
}

/// [`quote`], into `out`: the bill, opened in place and filled there, or the error
/// returned.
fn quote_into(
    out: &mut Result<Bill, PriceError>,
    model: &Model,
    usage: &Usage,
) -> Result<(), PriceError> {
    let at = usage.at.unwrap_or_else(Utc::now);
    let tier = usage.tier();
    let region = match model.regional {
        true => usage.region.as_deref().or(model.default_region.as_deref()),
        false => None,
    };
    let (schedule, head) = select(model, tier, region, at)?;
    let layers = match &schedule.body {
        Body::Rates { .. } => Layers::of(schedule, usage, at, None),
        Body::Scale { factor, unscaled } => {
            let (base, _) = select(model, ServiceTier::Standard, schedule.region.as_deref(), at)?;
            Layers::of(base, usage, at, Some((*factor, unscaled)))
        }
    };

    if let Some(t) = layers.tier.filter(|t| t.unpriced) {
        return Err(PriceError::UnpricedTier {
            model: model.id().to_string(),
            tier: t.name.to_string(),
            service_tier: tier,
        });
    }

    if layers.unpriced_option {
        return Err(PriceError::UnpricedOption {
            model: model.id().to_string(),
            option: layers.option.as_deref().unwrap_or_default().to_string(),
        });
    }

    // The bill is filled where it lies, not assembled from parts: with its lines inline
    // it is several hundred bytes, and every move of it is a copy of all of them.
    *out = Ok(Bill::open(Provenance {
        head: head.clone(),
        currency: schedule.currency,
        at,
        service_tier: tier,
        tier: layers.tier.map(|t| t.name.clone()),
        window: layers.window.map(|w| w.name.clone()),
        option: layers.option.clone(),
        estimated: usage.estimated,
    }));
    match out {
        Ok(bill) => fill(bill, model, usage, &layers),
        Err(_) => unreachable!("the bill was opened above"),
    }
}

/// Adds the lines of the units the record uses to an open bill, and closes it.
#[inline(always)]
fn fill(bill: &mut Bill, model: &Model, usage: &Usage, layers: &Layers) -> Result<(), PriceError> {
    let mut fill = bill.fill();
    // Only the units the record uses, in the order of `Unit::ALL` (lowest bit first).
    let mut used = usage.used();
    while used != 0 {
        let unit = Unit::ALL[used.trailing_zeros() as usize];
        used &= used - 1;
        match unit {
            Unit::Images => {
                for img in usage.images.iter().filter(|i| !i.count.is_zero()) {
                    let v = layers.variant(
                        model,
                        unit,
                        img.size.as_deref(),
                        img.quality.as_deref(),
                        None,
                    )?;
                    let line = layers.line(
                        unit,
                        Some(v.to_string()),
                        img.count.get().into(),
                        &v.rate,
                        None,
                    );
                    fill.push(line.ok_or_else(|| overflow(model, unit))?);
                }
            }
            Unit::VideoSeconds => {
                if !usage.video_seconds.is_zero() {
                    let v = layers.variant(model, unit, None, None, usage.resolution.as_deref())?;
                    let line = layers.line(
                        unit,
                        Some(v.to_string()),
                        usage.video_seconds.get(),
                        &v.rate,
                        None,
                    );
                    fill.push(line.ok_or_else(|| overflow(model, unit))?);
                }
            }
            _ => {
                let (rate, rate_unit) = layers
                    .rate_or_fallback(model, unit)
                    .ok_or_else(|| layers.unpriced(model, unit, usage.quantity(unit), usage))?;
                let priced_as = (rate_unit != unit).then_some(rate_unit);
                // The common line: a whole quantity at an unscaled rate the loader put in
                // its small form (see `SmallRate`).
                if let (Some(q), Some(small), false, true) = (
                    usage.whole(unit),
                    &rate.small,
                    layers.scales(rate_unit),
                    shortcuts(),
                ) {
                    if let Some((m, s)) = small.amount(q) {
                        let line = Line::new(
                            unit,
                            None,
                            q.into(),
                            small.unit_price,
                            rate.per,
                            from_small(m, s),
                            priced_as,
                        );
                        fill.push_small(line, (m, s));
                        continue;
                    }
                }
                let line = layers.line(unit, None, usage.quantity(unit), rate, priced_as);
                fill.push(line.ok_or_else(|| overflow(model, unit))?);
            }
        }
    }
    // Lazily: an eager error would allocate the model's id for every quote.
    fill.close().map_err(|unit| overflow(model, unit))
}

/// Picks the schedule for a tier, resolved region and time (with the head of the bills it
/// prices), or says precisely why there is none.
fn select<'a>(
    m: &'a Model,
    tier: ServiceTier,
    region: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(&'a Schedule, &'a Arc<Head>), PriceError> {
    // A model priced the same everywhere ignores the region; a model priced by region
    // needs one it knows (no region means its region-less, global schedules).
    let candidate = move |s: &&Schedule| !m.regional || s.region.as_deref() == region;
    // One pass on the way to a price; the reasons there is none are looked for only after
    // (and the lists they name built only then).
    if let Some(i) = m
        .schedules
        .iter()
        .position(|s| s.service_tier == tier && candidate(&s) && s.covers(at))
    {
        return Ok((&m.schedules[i], &m.heads[i]));
    }
    let in_tier = || m.schedules.iter().filter(move |s| s.service_tier == tier);
    if in_tier().next().is_none() {
        let mut available: Vec<String> = m
            .schedules
            .iter()
            .map(|s| s.service_tier.to_string())
            .collect();
        available.dedup();
        return Err(PriceError::UnpricedServiceTier {
            model: m.id().to_string(),
            tier,
            available,
        });
    }
    if !in_tier().any(|s| candidate(&s)) {
        let mut available: Vec<String> = in_tier()
            .map(|s| {
                s.region
                    .as_deref()
                    .map_or("(none: global)", |r| r)
                    .to_string()
            })
            .collect();
        available.sort();
        available.dedup();
        return Err(PriceError::UnknownRegion {
            model: m.id().to_string(),
            region: region.unwrap_or("").to_string(),
            available,
        });
    }
    Err(PriceError::NoPriceAt {
        model: m.id().to_string(),
        at,
        tier,
        periods: in_tier().filter(candidate).map(|s| s.period()).collect(),
    })
}

use crate::catalog::BASE_TIER;

/// The rate sets that apply to one request, most specific first, and why.
struct Layers<'a> {
    sets: [Option<&'a RateSet>; 4],
    tier: Option<&'a Tier>,
    window: Option<&'a Window>,
    option: Option<std::sync::Arc<str>>,
    unpriced_option: bool,
    scale: Option<(Decimal, &'a Arc<[Unit]>)>,
    /// Every option rule of the schedule, to say which options would have priced a unit.
    rules: &'a [OptionRule],
}

impl<'a> Layers<'a> {
    fn of(
        s: &'a Schedule,
        usage: &Usage,
        at: DateTime<Utc>,
        scale: Option<(Decimal, &'a Arc<[Unit]>)>,
    ) -> Self {
        let Body::Rates {
            base,
            tiers,
            windows,
            options,
        } = &s.body
        else {
            unreachable!("a scaled schedule is resolved through its standard schedule, which always has rates")
        };
        let tier = tiers.iter().rev().find(|t| {
            let n: u64 = t.counts.iter().map(|u| usage.tokens(*u)).sum();
            n > t.above
        });
        let window = windows.iter().rev().find(|w| in_window(w, at));
        let option = options.iter().rev().find(|o| {
            let tier_ok = match o.tier.as_deref() {
                None => true,
                Some(BASE_TIER) => tier.is_none(),
                Some(name) => tier.is_some_and(|t| &*t.name == name),
            };
            tier_ok && o.when.iter().all(|(k, v)| usage.options.get(k) == Some(v))
        });
        Layers {
            sets: [
                option.map(|o| &o.rates),
                window.map(|w| &w.rates),
                tier.map(|t| &t.rates),
                Some(base),
            ],
            tier,
            window,
            option: option.map(|o| o.name.clone()),
            unpriced_option: option.is_some_and(|o| o.unpriced),
            scale,
            rules: options,
        }
    }

    /// The error for a unit with no rate: a unit that only options price names them.
    fn unpriced(&self, m: &Model, unit: Unit, q: Decimal, usage: &Usage) -> PriceError {
        let options: Vec<String> = self
            .rules
            .iter()
            .filter(|o| o.rates.prices(unit))
            .map(|o| o.name.to_string())
            .collect();
        if options.is_empty() {
            return PriceError::UnpricedUnit {
                model: m.id().to_string(),
                unit,
                quantity: q.to_string(),
                priced: self.priced_units(),
            };
        }
        PriceError::NoMatchingOption {
            model: m.id().to_string(),
            unit,
            given: usage
                .options
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            options,
        }
    }

    /// Whether the rate of `rate_unit` is scaled (a derived schedule's factor applies).
    #[inline]
    fn scales(&self, rate_unit: Unit) -> bool {
        self.scale
            .is_some_and(|(_, unscaled)| !unscaled.contains(&rate_unit))
    }

    fn rate(&self, unit: Unit) -> Option<&'a Rate> {
        self.sets.iter().flatten().find_map(|s| s.rate(unit))
    }

    fn rate_or_fallback(&self, m: &Model, unit: Unit) -> Option<(&'a Rate, Unit)> {
        let mut u = unit;
        // Bounded: the loader rejects fallback cycles.
        for _ in 0..Unit::COUNT {
            if let Some(r) = self.rate(u) {
                return Some((r, u));
            }
            u = m.fallback(u)?;
        }
        None
    }

    fn variants(&self, unit: Unit) -> Option<&'a [Variant]> {
        self.sets.iter().flatten().find_map(|s| s.variants(unit))
    }

    fn variant(
        &self,
        m: &Model,
        unit: Unit,
        size: Option<&str>,
        quality: Option<&str>,
        resolution: Option<&str>,
    ) -> Result<&'a Variant, PriceError> {
        let vs = self.variants(unit).unwrap_or(&[]);
        vs.iter()
            .filter(|v| v.matches(size, quality, resolution))
            .max_by_key(|v| v.specificity())
            .ok_or_else(|| {
                let wanted = [
                    ("size", size),
                    ("quality", quality),
                    ("resolution", resolution),
                ]
                .iter()
                .filter_map(|(k, v)| v.map(|v| format!("{k} {v}")))
                .collect::<Vec<_>>()
                .join(", ");
                PriceError::UnpricedVariant {
                    model: m.id().to_string(),
                    unit,
                    wanted: if wanted.is_empty() {
                        "no size/quality/resolution given".into()
                    } else {
                        wanted
                    },
                    available: vs.iter().map(|v| v.to_string()).collect(),
                }
            })
    }

    fn priced_units(&self) -> Vec<String> {
        Unit::ALL
            .iter()
            .filter(|u| self.sets.iter().flatten().any(|s| s.prices(**u)))
            .map(|u| u.name().to_string())
            .collect()
    }

    /// A line: `quantity` of `unit` at `rate` (scaled, for a derived schedule), or `None`
    /// when the arithmetic overflows. Inlined, so that the line is written where the bill
    /// keeps it rather than returned through a copy.
    #[inline(always)]
    fn line(
        &self,
        unit: Unit,
        variant: Option<String>,
        quantity: Decimal,
        rate: &Rate,
        priced_as: Option<Unit>,
    ) -> Option<Line> {
        let rate_unit = priced_as.unwrap_or(unit);
        let unit_price = match self.scale {
            Some((f, _)) if self.scales(rate_unit) => rate.price.checked_mul(f)?,
            _ => rate.price,
        };
        let amount = match amount_small(quantity, unit_price, rate.per) {
            Some(amount) => amount,
            None => normalize(divide(quantity.checked_mul(unit_price)?, rate.per)?),
        };
        Some(Line::new(
            unit,
            variant,
            quantity,
            normalize(unit_price),
            rate.per,
            amount,
            priced_as,
        ))
    }
}

/// Whether the engine takes its integer shortcuts (a rate's [`SmallRate`], [`amount_small`],
/// the `u64` forms of [`normalize`] and of a bill's sum). Always, except in this crate's
/// tests, which turn them off to price the same record the general `Decimal` way and
/// compare the two bills digit for digit.
#[inline(always)]
pub(crate) fn shortcuts() -> bool {
    #[cfg(test)]
    return !tests::GENERAL_ONLY.with(std::cell::Cell::get);
    #[cfg(not(test))]
    true
}

/// The error for a line whose arithmetic overflowed.
fn overflow(m: &Model, unit: Unit) -> PriceError {
    PriceError::Overflow {
        model: m.id().to_string(),
        unit,
    }
}

/// [`Decimal::normalize`] (the same value without trailing zeros after the point), with
/// the common case done on a `u64` mantissa, where dividing by ten is a multiply: the
/// amounts and prices of a bill almost always fit, and `Decimal`'s own loop divides its
/// 96-bit mantissa by ten through three 32-bit divisions per step.
#[inline]
pub(crate) fn normalize(x: Decimal) -> Decimal {
    let scale = x.scale();
    if x.is_sign_negative() || !shortcuts() {
        return x.normalize();
    }
    if scale == 0 {
        return x;
    }
    let Ok(m) = u64::try_from(x.mantissa()) else {
        return x.normalize();
    };
    let (m, scale) = strip(m, scale);
    from_small(m, scale)
}

/// `m × 10^-scale` without trailing zeros after the point: the mantissa divided by ten
/// while it divides and the scale is above zero.
///
/// The test and the division are one multiply: 5 is odd, so multiplying by its inverse
/// modulo 2^64 maps the multiples of 5 one-to-one onto `0..=u64::MAX / 5` (a multiple's
/// image is its quotient) and everything else above. For an even `m`, the product is even
/// and rotating it right by one bit gives `(m / 2) × inverse mod 2^63`, at most
/// `u64::MAX / 10` exactly when `m / 2` is a multiple of 5, and then equal to `m / 10`; for
/// an odd `m` the rotation sets the top bit. (The trailing-zero removal of Ryū and
/// Dragonbox, after Granlund and Montgomery.)
#[inline]
pub(crate) fn strip(mut m: u64, mut scale: u32) -> (u64, u32) {
    const INV5: u64 = 0xCCCC_CCCC_CCCC_CCCD;
    while scale > 0 {
        let q = m.wrapping_mul(INV5).rotate_right(1);
        if q > u64::MAX / 10 {
            break;
        }
        m = q;
        scale -= 1;
    }
    (m, scale)
}

/// The decimal `m × 10^-scale` (`scale` at most 28). `from_parts` is inlined where
/// `from_i128_with_scale` is a call.
#[inline]
pub(crate) fn from_small(m: u64, scale: u32) -> Decimal {
    // The low and high 32 bits of the 96-bit mantissa's lower 64.
    Decimal::from_parts(m as u32, (m >> 32) as u32, 0, false, scale)
}

/// A non-negative decimal whose mantissa fits a `u64`, as (mantissa, scale).
#[inline]
pub(crate) fn small(x: Decimal) -> Option<(u64, u32)> {
    if x.is_sign_negative() {
        return None;
    }
    Some((u64::try_from(x.mantissa()).ok()?, x.scale()))
}

/// `quantity × price / per`, normalized, computed on `u64` mantissas, for the common line:
/// non-negative, a product that fits 64 bits, `per` a power of ten, and a scale `Decimal`
/// holds. Then the product of the mantissas at the sum of the scales (plus `per`'s
/// exponent) is the exact amount, as `checked_mul` and [`divide`] compute it. `None` for
/// any other line, which takes that general path.
#[inline]
fn amount_small(quantity: Decimal, price: Decimal, per: Decimal) -> Option<Decimal> {
    if !shortcuts() {
        return None;
    }
    let (q, qs) = small(quantity)?;
    let (p, ps) = small(price)?;
    let k = pow10_exponent(per)?;
    let m = q.checked_mul(p)?;
    let scale = qs + ps + k;
    if scale > Decimal::MAX_SCALE {
        return None;
    }
    let (m, scale) = strip(m, scale);
    Some(from_small(m, scale))
}

/// A rate's price in the form the common line is priced in, worked out once when the
/// table loads: the price normalized, as a `u64` mantissa, and the scale of `quantity ×
/// mantissa` that makes it `quantity × price / per` (the price's scale plus the exponent of
/// `per`, a power of ten). A whole quantity's amount is then one multiply, as exact as the
/// general path: both are the same value, normalized, and a normalized decimal is unique.
///
/// Only for a non-negative price whose mantissa fits a `u64`, a `per` that is a power of
/// ten and a scale `Decimal` holds; every other rate is priced the general way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SmallRate {
    /// The normalized price's mantissa.
    mantissa: u64,
    /// The normalized price's scale plus `per`'s exponent.
    scale: u32,
    /// The normalized price, as each line shows it.
    pub(crate) unit_price: Decimal,
}

impl SmallRate {
    /// The small form of `price` per `per`, when it has one.
    pub(crate) fn of(price: Decimal, per: Decimal) -> Option<SmallRate> {
        let unit_price = normalize(price);
        let (mantissa, ps) = small(unit_price)?;
        let scale = ps.checked_add(pow10_exponent(per)?)?;
        (scale <= Decimal::MAX_SCALE).then_some(SmallRate {
            mantissa,
            scale,
            unit_price,
        })
    }

    /// The amount of `q` units, normalized, as (mantissa, scale); `None` when the product
    /// does not fit a `u64` (the general path takes it).
    #[inline]
    pub(crate) fn amount(&self, q: u64) -> Option<(u64, u32)> {
        Some(strip(q.checked_mul(self.mantissa)?, self.scale))
    }
}

/// `x / per`, exactly. Almost every `per` is a power of ten (1, 1,000, 1,000,000), and
/// dividing by 10^k is moving the decimal point: the same mantissa at a scale k higher,
/// which is exact whenever that scale is representable. Otherwise (another `per`, or a
/// scale past 28), a general decimal division.
fn divide(x: Decimal, per: Decimal) -> Option<Decimal> {
    if let Some(k) = pow10_exponent(per) {
        let mut q = x;
        if q.set_scale(x.scale() + k).is_ok() {
            return Some(q);
        }
    }
    x.checked_div(per)
}

/// `Some(k)` when `per` is exactly 10^k for some k ≥ 0.
fn pow10_exponent(per: Decimal) -> Option<u32> {
    let m = u64::try_from(per.mantissa()).ok()?;
    let j = match m {
        // The `per` of almost every rate, found without a logarithm.
        1_000_000 => 6,
        1 => 0,
        1_000 => 3,
        _ => {
            let j = m.checked_ilog10()?;
            (*POW10.get(usize::try_from(j).ok()?)? == m).then_some(j)?
        }
    };
    j.checked_sub(per.scale())
}

/// 10^k for k = 0..=19 (every power of ten a `u64` holds).
pub(crate) const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

pub(crate) fn in_window(w: &Window, at: DateTime<Utc>) -> bool {
    let local = at.naive_utc() + Duration::seconds(w.utc_offset_secs.into());
    let t = local.time();
    let (inside, started_yesterday) = if w.start < w.end {
        (w.start <= t && t < w.end, false)
    } else {
        (t >= w.start || t < w.end, t < w.end)
    };
    if !inside {
        return false;
    }
    if w.days.is_empty() {
        return true;
    }
    let day = if started_yesterday {
        local.date() - Duration::days(1)
    } else {
        local.date()
    };
    w.days.contains(&day.weekday())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{amount_small, divide, normalize, pow10_exponent, strip, SmallRate};
    use crate::{Bill, Catalog, ServiceTier, Unit, Usage, MAX_COUNT};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    thread_local! {
        /// Set: the engine prices the general `Decimal` way only (see `shortcuts`).
        pub(crate) static GENERAL_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// `f` with the engine's integer shortcuts off.
    fn general_only<T>(f: impl FnOnce() -> T) -> T {
        GENERAL_ONLY.with(|g| g.set(true));
        let out = f();
        GENERAL_ONLY.with(|g| g.set(false));
        out
    }

    /// Every decimal of a bill, as (mantissa, scale): equal bills by representation, not
    /// only by value (`0.0036` and `0.003600` are equal decimals but print differently).
    fn digits(b: &Bill) -> Vec<(i128, u32)> {
        let mut out = vec![(b.total().mantissa(), b.total().scale())];
        for l in b.lines() {
            for d in [l.quantity(), l.unit_price(), l.per(), l.amount()] {
                out.push((d.mantissa(), d.scale()));
            }
        }
        out
    }

    /// A record with `counts[i]` of the `i`-th unit without variants (in thousandths of a
    /// second for audio: a decimal quantity, priced the general way), written as JSON.
    fn record(counts: &[u64]) -> Usage {
        let fields: Vec<String> = Unit::ALL
            .iter()
            .filter(|u| !u.has_variants())
            .zip(counts)
            .map(|(u, n)| match u {
                Unit::AudioSeconds => format!(r#""{u}": "{}""#, Decimal::new(*n as i64, 3)),
                _ => format!(r#""{u}": {n}"#),
            })
            .collect();
        Usage::from_json(&format!("{{{}}}", fields.join(", "))).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        /// The engine's bill is the general `Decimal` computation's, digit for digit (every
        /// quantity, price, `per`, amount and the total, value and scale), or the same
        /// error: over random records (counts up to the largest a record holds, so that
        /// some products pass 64 bits), every built-in model, service tier and time.
        #[test]
        fn the_shortcuts_price_as_the_general_path(
            pick in any::<usize>(),
            mut counts in prop::collection::vec(
                prop_oneof![Just(0u64), 1u64..1_000, 1u64..5_000_000, (MAX_COUNT >> 12)..=MAX_COUNT],
                Unit::COUNT - 2,
            ),
            tier in 0usize..ServiceTier::ALL.len(),
            days in 0i64..(3 * 366),
        ) {
            let models = Catalog::builtin().models();
            let model = &models[pick % models.len()];
            let start: chrono::DateTime<chrono::Utc> = "2024-01-01T00:00:00Z".parse().unwrap();
            // Drop the units the model does not price, one at a time, until it prices.
            loop {
                let usage = Usage {
                    at: Some(start + chrono::Duration::days(days)),
                    service_tier: Some(ServiceTier::ALL[tier]),
                    region: model.default_region().map(str::to_string),
                    ..record(&counts)
                };
                let fast = super::quote(model, &usage);
                let general = general_only(|| super::quote(model, &usage));
                match (fast, general) {
                    (Ok(a), Ok(b)) => {
                        prop_assert_eq!(digits(&a), digits(&b));
                        prop_assert_eq!(&a, &b);
                        prop_assert_eq!(
                            serde_json::to_string(&a).unwrap(),
                            serde_json::to_string(&b).unwrap()
                        );
                        break;
                    }
                    (Err(a), Err(b)) => {
                        prop_assert_eq!(a.to_string(), b.to_string());
                        match a {
                            crate::PriceError::UnpricedUnit { unit, .. }
                            | crate::PriceError::NoMatchingOption { unit, .. } => {
                                let i = Unit::ALL.iter().filter(|u| !u.has_variants()).position(|u| *u == unit);
                                prop_assume!(i.is_some());
                                counts[i.unwrap()] = 0;
                            }
                            _ => break,
                        }
                    }
                    (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
                }
            }
        }

        /// A rate's small form prices a whole quantity exactly as the general path does,
        /// whatever the price's digits (trailing zeros included), scale and `per`: the same
        /// amount, value and scale, or no small form (or `None`) and the general path.
        #[test]
        fn a_small_rate_is_the_general_computation(
            q in prop_oneof![0u64..100_000_000, any::<u64>()],
            price in prop_oneof![0u64..100_000, any::<u64>()],
            zeros in 0u32..4,
            scale in 0u32..=28,
            per in prop::sample::select(vec!["1", "1000", "1000000", "1000000.000", "10", "60", "0.5"]),
        ) {
            let price = Decimal::from_i128_with_scale(
                i128::from(price) * 10i128.pow(zeros),
                scale,
            );
            let per = d(per);
            if let Some(small) = SmallRate::of(price, per) {
                prop_assert_eq!(
                    (small.unit_price.mantissa(), small.unit_price.scale()),
                    (price.normalize().mantissa(), price.normalize().scale())
                );
                if let Some((m, s)) = small.amount(q) {
                    let g = general_only(|| general(Decimal::from(q), price, per)).unwrap();
                    prop_assert_eq!((i128::from(m), s), (g.mantissa(), g.scale()));
                }
            }
        }

        /// Stripping trailing zeros by the inverse of 5 is dividing by ten while it divides.
        #[test]
        fn strip_is_dividing_by_ten(
            m in prop_oneof![any::<u64>(), (0u64..1_000_000).prop_map(|m| m * 1_000_000), Just(0u64)],
            scale in 0u32..=28,
        ) {
            let (mut n, mut s) = (m, scale);
            while s > 0 && n % 10 == 0 {
                n /= 10;
                s -= 1;
            }
            prop_assert_eq!(strip(m, scale), (n, s));
        }
    }

    /// The properties above see the common case: the typical Sonnet 4.5 record takes the
    /// small form for all six lines, and so does a large part of the built-in rates.
    #[test]
    fn the_common_rates_have_a_small_form() {
        let m = Catalog::builtin().resolve("claude-sonnet-4-5").unwrap();
        let crate::catalog::Prices::Rates { base, .. } = m.schedules()[0].prices() else {
            panic!("rates")
        };
        for u in &Unit::ALL[..6] {
            // Reasoning is priced as output (a fallback), the rest by their own rates.
            let rate = base.rate(*u).or_else(|| base.rate(m.fallback(*u)?));
            assert!(rate.unwrap().small.is_some(), "{u}");
        }
        // $3 per million: 1,200 tokens are 3,600 at scale 6, stripped to 0.0036.
        let small = base.rate(Unit::InputTokens).unwrap().small.unwrap();
        assert_eq!(small.amount(1200), Some((36, 4)));
        assert_eq!(small.amount(u64::MAX), None);
        assert_eq!(strip(0, 6), (0, 0));
        assert_eq!(strip(3_600, 6), (36, 4));
        assert_eq!(strip(1_000_000, 3), (1_000, 0));
    }

    /// The amount as the general path computes it: `Decimal` multiplication, [`divide`],
    /// [`normalize`].
    fn general(q: Decimal, p: Decimal, per: Decimal) -> Option<Decimal> {
        Some(normalize(divide(q.checked_mul(p)?, per)?))
    }

    fn same(a: Decimal, b: Decimal) -> bool {
        (a.mantissa(), a.scale(), a.to_string()) == (b.mantissa(), b.scale(), b.to_string())
    }

    #[test]
    fn the_small_amount_is_the_general_one() {
        let qs = [
            "0",
            "1",
            "7",
            "1200",
            "24000",
            "9007199254740991",
            "4294967296",
            "12.5",
            "5.0416666666666666666666666667",
        ];
        let ps = [
            "0",
            "3",
            "0.30",
            "3.75",
            "22.50",
            "0.000002",
            "18446744073709551615",
            "0.0000000000000000000001",
            "-1",
        ];
        let pers = [
            "1",
            "1000",
            "1000000",
            "1000000.000",
            "60",
            "10000000000000000000",
        ];
        let mut small = 0;
        for q in qs {
            for p in ps {
                for per in pers {
                    let (q, p, per) = (d(q), d(p), d(per));
                    if let Some(a) = amount_small(q, p, per) {
                        small += 1;
                        let g = general(q, p, per).unwrap();
                        assert!(same(a, g), "{q} × {p} / {per}: {a} vs {g}");
                    }
                }
            }
        }
        // More than half the grid is the common case; the rest (a negative price,
        // `per = 60`, a product past 64 bits, a scale past 28) takes the general path.
        assert!(small > qs.len() * ps.len() * pers.len() / 2, "{small}");
    }

    proptest! {
        #[test]
        fn the_small_amount_is_the_general_one_at_random(
            q in 0u64..=(1 << 53) - 1,
            qs in 0u32..=3,
            p in 0u64..=1_000_000_000_000,
            ps in 0u32..=12,
            per in prop::sample::select(vec!["1", "1000", "1000000", "1000.0", "60", "0.5"]),
        ) {
            let q = Decimal::from_i128_with_scale(q.into(), qs);
            let p = Decimal::from_i128_with_scale(p.into(), ps);
            let per = d(per);
            if let Some(a) = amount_small(q, p, per) {
                let g = general(q, p, per).unwrap();
                prop_assert!(same(a, g), "{} × {} / {}: {} vs {}", q, p, per, a, g);
            }
        }
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_fast_normalize_is_decimals_own() {
        let mut xs: Vec<Decimal> = [
            "0",
            "0.000",
            "1",
            "10",
            "100.00",
            "0.0036000",
            "3.10",
            "-3.10",
            "-0.00",
            "18446744073709551615.000",
            "18446744073709551616.000",
            "0.0000000000000000000000001000",
            "79228162514264337593543950335",
            "7.9228162514264337593543950330",
        ]
        .iter()
        .map(|x| d(x))
        .collect();
        for m in [0u64, 1, 10, 36, 1_000, 123_400, u64::MAX] {
            for scale in [0, 1, 3, 6, 9, 19, 28] {
                xs.push(Decimal::from_i128_with_scale(m.into(), scale));
            }
        }
        for x in xs {
            let (a, b) = (normalize(x), x.normalize());
            assert_eq!(a, b, "{x}");
            assert_eq!(
                (a.scale(), a.mantissa(), a.to_string()),
                (b.scale(), b.mantissa(), b.to_string()),
                "{x}"
            );
        }
    }

    #[test]
    fn powers_of_ten() {
        assert_eq!(pow10_exponent(d("1")), Some(0));
        assert_eq!(pow10_exponent(d("1000")), Some(3));
        assert_eq!(pow10_exponent(d("1000000")), Some(6));
        assert_eq!(pow10_exponent(d("1000000.00")), Some(6));
        assert_eq!(pow10_exponent(d("10000000000000000000")), Some(19));
        assert_eq!(pow10_exponent(d("0.1")), None);
        assert_eq!(pow10_exponent(d("60")), None);
        assert_eq!(pow10_exponent(d("1001")), None);
        assert_eq!(pow10_exponent(d("100000000000000000000")), None);
    }

    #[test]
    fn division_matches_the_general_one() {
        let xs = [
            "0",
            "1",
            "3",
            "0.3",
            "123456789.123456789",
            "9007199254740991",
            "7.5e-20",
        ];
        let pers = [
            "1",
            "10",
            "1000",
            "1000000",
            "1000000.000",
            "60",
            "0.5",
            "3",
        ];
        for x in xs {
            let x = Decimal::from_scientific(x).or_else(|_| x.parse()).unwrap();
            for per in pers {
                let per = d(per);
                let (a, b) = (divide(x, per), x.checked_div(per));
                assert_eq!(a, b, "{x} / {per}");
                assert_eq!(
                    a.map(|v| v.normalize().to_string()),
                    b.map(|v| v.normalize().to_string())
                );
            }
        }
        // Past the largest scale: the general division (which rounds) takes over.
        let tiny = Decimal::from_i128_with_scale(123, 26);
        assert_eq!(divide(tiny, d("1000")), tiny.checked_div(d("1000")));
    }
}
