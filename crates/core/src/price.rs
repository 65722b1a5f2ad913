//! The engine: a model's price tables plus a usage record make a [`Bill`].
//!
//! The work per quote is bounded by the number of units and of the model's own schedules,
//! never by the size of the catalog.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};
use rust_decimal::Decimal;

use crate::bill::{Applied, Bill, Line, Provenance};
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
pub fn quote(model: &Model, usage: &Usage) -> Result<Bill, PriceError> {
    let at = usage.at.unwrap_or_else(Utc::now);
    let tier = usage.tier();
    let region = match model.regional {
        true => usage.region.as_deref().or(model.default_region.as_deref()),
        false => None,
    };
    let schedule = select(model, tier, region, at)?;
    let layers = match &schedule.body {
        Body::Rates { .. } => Layers::of(schedule, usage, at, None),
        Body::Scale { factor, unscaled } => {
            let base = select(model, ServiceTier::Standard, schedule.region.as_deref(), at)?;
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

    let mut lines = crate::bill::Lines::new();
    for unit in Unit::ALL {
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
                    lines.push(layers.line(
                        model,
                        unit,
                        Some(v.to_string()),
                        img.count.get().into(),
                        &v.rate,
                        None,
                    )?);
                }
            }
            Unit::VideoSeconds => {
                if !usage.video_seconds.is_zero() {
                    let v = layers.variant(model, unit, None, None, usage.resolution.as_deref())?;
                    lines.push(layers.line(
                        model,
                        unit,
                        Some(v.to_string()),
                        usage.video_seconds.get(),
                        &v.rate,
                        None,
                    )?);
                }
            }
            _ => {
                let q = usage.quantity(unit);
                if q.is_zero() {
                    continue;
                }
                let (rate, used) = layers
                    .rate_or_fallback(model, unit)
                    .ok_or_else(|| layers.unpriced(model, unit, q, usage))?;
                lines.push(layers.line(
                    model,
                    unit,
                    None,
                    q,
                    rate,
                    (used != unit).then_some(used),
                )?);
            }
        }
    }

    let provenance = Provenance {
        model: model.id.clone(),
        provider: model.provider.clone(),
        currency: schedule.currency,
        at,
        service_tier: tier,
        region: schedule.region.clone(),
        schedule: Applied {
            from: schedule.from,
            until: schedule.until,
            source: schedule.source.clone(),
            as_of: schedule.as_of,
            scale: layers.scale.map(|(f, _)| f),
            unscaled: layers.scale.map_or_else(no_units, |(_, u)| u.clone()),
        },
        tier: layers.tier.map(|t| t.name.clone()),
        window: layers.window.map(|w| w.name.clone()),
        option: layers.option.clone(),
        estimated: usage.estimated,
    };
    // Lazily: an eager error would allocate the model's id for every quote.
    Bill::from_lines(provenance, lines).map_err(|unit| PriceError::Overflow {
        model: model.id().to_string(),
        unit,
    })
}

/// An empty unit list, shared: `Arc::from([])` would allocate a reference count per bill.
fn no_units() -> Arc<[Unit]> {
    static EMPTY: std::sync::OnceLock<Arc<[Unit]>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Arc::from([])).clone()
}

/// Picks the schedule for a tier, resolved region and time, or says precisely why there is none.
fn select<'a>(
    m: &'a Model,
    tier: ServiceTier,
    region: Option<&str>,
    at: DateTime<Utc>,
) -> Result<&'a Schedule, PriceError> {
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
    // A model priced the same everywhere ignores the region; a model priced by region
    // needs one it knows (no region means its region-less, global schedules).
    // No allocation on the way to a price: the lists below are built only for an error.
    let candidate = move |s: &&Schedule| !m.regional || s.region.as_deref() == region;
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
    match in_tier().filter(candidate).find(|s| s.covers(at)) {
        Some(s) => Ok(s),
        None => Err(PriceError::NoPriceAt {
            model: m.id().to_string(),
            at,
            tier,
            periods: in_tier().filter(candidate).map(|s| s.period()).collect(),
        }),
    }
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

    fn line(
        &self,
        m: &Model,
        unit: Unit,
        variant: Option<String>,
        quantity: Decimal,
        rate: &Rate,
        priced_as: Option<Unit>,
    ) -> Result<Line, PriceError> {
        let overflow = || PriceError::Overflow {
            model: m.id().to_string(),
            unit,
        };
        let rate_unit = priced_as.unwrap_or(unit);
        let unit_price = match self.scale {
            Some((f, unscaled)) if !unscaled.contains(&rate_unit) => {
                rate.price.checked_mul(f).ok_or_else(overflow)?
            }
            _ => rate.price,
        };
        let amount = divide(
            quantity.checked_mul(unit_price).ok_or_else(overflow)?,
            rate.per,
        )
        .ok_or_else(overflow)?;
        Ok(Line::new(
            unit,
            variant,
            quantity,
            normalize(unit_price),
            rate.per,
            normalize(amount),
            priced_as,
        ))
    }
}

/// [`Decimal::normalize`] (the same value without trailing zeros after the point), with
/// the common case done on a `u64` mantissa, where dividing by ten is a multiply: the
/// amounts and prices of a bill almost always fit, and `Decimal`'s own loop divides its
/// 96-bit mantissa by ten through three 32-bit divisions per step.
#[inline]
pub(crate) fn normalize(x: Decimal) -> Decimal {
    let scale = x.scale();
    if scale == 0 || x.is_sign_negative() {
        return x.normalize();
    }
    let Ok(mut m) = u64::try_from(x.mantissa()) else {
        return x.normalize();
    };
    let mut scale = scale;
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    Decimal::from_i128_with_scale(i128::from(m), scale)
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
    const POW10: [u64; 20] = {
        let mut t = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };
    let m = u64::try_from(per.mantissa()).ok()?;
    let j = POW10.binary_search(&m).ok()? as u32;
    j.checked_sub(per.scale())
}

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
mod tests {
    use super::{divide, normalize, pow10_exponent};
    use rust_decimal::Decimal;

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
