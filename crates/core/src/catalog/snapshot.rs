//! A loaded catalog written as compact binary (postcard) and read back without parsing or
//! validating the tables again: for a program that embeds the built-in tables and must
//! start fast (the WebAssembly page, where reading the JSON tables is most of its start-up).
//!
//! The snapshot mirrors the catalog's own types in borrowed form (strings point into the
//! bytes while they are read), so the catalog's types keep their JSON shapes for output.
//! Derived data (each model's bill heads) is computed again on reading, not stored.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{Body, Kind, Model, OptionRule, Rate, RateSet, Schedule, Tier, Variant, Window};
use super::{facts, fold_hash, Catalog};
use crate::error::{CatalogError, KnownNames, Problem, ProblemKind};
use crate::money::Currency;
use crate::unit::Unit;
use crate::usage::ServiceTier;
use hashbrown::HashTable;

/// The first bytes of a snapshot: the format's name and version. A snapshot of another
/// version is refused, never misread.
const MAGIC: &[u8; 8] = b"TRFCAT\x00\x02";

/// The kinds by their index in a snapshot ([`kind_index`]).
const KINDS: [Kind; 9] = [
    Kind::Chat,
    Kind::Completion,
    Kind::Embedding,
    Kind::Moderation,
    Kind::Image,
    Kind::Video,
    Kind::Audio,
    Kind::Music,
    Kind::Rerank,
];

/// A kind's index in [`KINDS`]; a match, so that a new kind cannot be left out.
fn kind_index(k: Kind) -> u8 {
    match k {
        Kind::Chat => 0,
        Kind::Completion => 1,
        Kind::Embedding => 2,
        Kind::Moderation => 3,
        Kind::Image => 4,
        Kind::Video => 5,
        Kind::Audio => 6,
        Kind::Music => 7,
        Kind::Rerank => 8,
    }
}

/// A service tier's index in [`ServiceTier::ALL`].
fn tier_index(t: ServiceTier) -> u8 {
    match t {
        ServiceTier::Standard => 0,
        ServiceTier::Batch => 1,
        ServiceTier::Flex => 2,
        ServiceTier::Priority => 3,
    }
}

#[derive(Serialize, Deserialize)]
struct Snap<'a> {
    #[serde(borrow)]
    models: Vec<SModel<'a>>,
    names: Vec<(&'a str, u32)>,
    prefixes: Vec<(&'a str, u32)>,
    prefix_len: Vec<bool>,
    patterns: Vec<(&'a str, u32)>,
    /// Each known name with the index of the model whose id it leads to.
    known: Vec<(&'a str, u32)>,
}

#[derive(Serialize, Deserialize)]
struct SModel<'a> {
    id: &'a str,
    name: Option<&'a str>,
    provider: &'a str,
    kind: u8,
    aliases: Vec<&'a str>,
    patterns: Vec<&'a str>,
    fallbacks: Vec<Option<u8>>,
    default_region: Option<&'a str>,
    regional: bool,
    #[serde(borrow)]
    schedules: Vec<SSchedule<'a>>,
    replaces: bool,
    encoding: Option<&'a str>,
    max_output_tokens: Option<u64>,
    formula: Option<&'a str>,
}

/// A decimal as its mantissa and scale.
type SDec = (i128, u32);
/// An instant as seconds since the epoch and nanoseconds.
type STime = (i64, u32);

#[derive(Serialize, Deserialize)]
struct SSchedule<'a> {
    from: Option<STime>,
    until: Option<STime>,
    service_tier: u8,
    region: Option<&'a str>,
    currency: &'a str,
    source: &'a str,
    /// Days since 1 January of year 1.
    as_of: i32,
    #[serde(borrow)]
    body: SBody<'a>,
}

#[derive(Serialize, Deserialize)]
enum SBody<'a> {
    Rates {
        #[serde(borrow)]
        base: SRates<'a>,
        tiers: Vec<STier<'a>>,
        windows: Vec<SWindow<'a>>,
        options: Vec<SOption<'a>>,
    },
    Scale {
        factor: SDec,
        unscaled: Vec<u8>,
    },
}

#[derive(Serialize, Deserialize)]
struct SRates<'a> {
    /// (unit index, price, per) for each priced scalar unit.
    scalar: Vec<(u8, SDec, SDec)>,
    #[serde(borrow)]
    images: Option<Vec<SVariant<'a>>>,
    video: Option<Vec<SVariant<'a>>>,
}

#[derive(Serialize, Deserialize)]
struct SVariant<'a> {
    size: Option<&'a str>,
    quality: Option<&'a str>,
    resolution: Option<&'a str>,
    price: SDec,
    per: SDec,
}

#[derive(Serialize, Deserialize)]
struct STier<'a> {
    name: &'a str,
    above: u64,
    counts: Vec<u8>,
    #[serde(borrow)]
    rates: SRates<'a>,
    unpriced: bool,
}

#[derive(Serialize, Deserialize)]
struct SWindow<'a> {
    name: &'a str,
    utc_offset_secs: i32,
    /// Seconds from midnight and nanoseconds.
    start: (u32, u32),
    end: (u32, u32),
    days: Vec<u8>,
    #[serde(borrow)]
    rates: SRates<'a>,
}

#[derive(Serialize, Deserialize)]
struct SOption<'a> {
    name: &'a str,
    when: Vec<(&'a str, &'a str)>,
    tier: Option<&'a str>,
    #[serde(borrow)]
    rates: SRates<'a>,
    unpriced: bool,
}

/// A 64-bit checksum that detects a truncated or damaged snapshot before it is decoded.
///
/// FNV-1a's step (xor, then multiply by an odd constant, a bijection of the state) taken a
/// little-endian 64-bit word at a time rather than a byte at a time: the module reads its
/// snapshot at start-up, and byte steps cost it about a millisecond. A change confined to
/// one word always changes the sum; the length is folded in last, so a truncation at a
/// word boundary is caught too.
fn checksum(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let step = |h: u64, w: u64| (h ^ w).wrapping_mul(PRIME).rotate_left(29);
    let mut words = bytes.chunks_exact(8);
    let mut h = words.by_ref().fold(0xcbf2_9ce4_8422_2325, |h, w| {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        step(h, u64::from_le_bytes(b))
    });
    let mut tail = [0u8; 8];
    let rest = words.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    h = step(h, u64::from_le_bytes(tail));
    step(h, u64::try_from(bytes.len()).unwrap_or(u64::MAX))
}

fn dec(d: &Decimal) -> SDec {
    (d.mantissa(), d.scale())
}

fn time(t: &DateTime<Utc>) -> STime {
    (t.timestamp(), t.timestamp_subsec_nanos())
}

fn clock(t: &NaiveTime) -> (u32, u32) {
    (t.num_seconds_from_midnight(), t.nanosecond())
}

fn rates(r: &RateSet) -> SRates<'_> {
    fn variants(vs: &Option<Vec<Variant>>) -> Option<Vec<SVariant<'_>>> {
        vs.as_ref().map(|vs| {
            vs.iter()
                .map(|v| SVariant {
                    size: v.size.as_deref(),
                    quality: v.quality.as_deref(),
                    resolution: v.resolution.as_deref(),
                    price: dec(&v.rate.price),
                    per: dec(&v.rate.per),
                })
                .collect()
        })
    }
    SRates {
        scalar: r
            .scalar
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| (i as u8, dec(&r.price), dec(&r.per))))
            .collect(),
        images: variants(&r.images),
        video: variants(&r.video),
    }
}

fn schedule(s: &Schedule) -> SSchedule<'_> {
    SSchedule {
        from: s.from.as_ref().map(time),
        until: s.until.as_ref().map(time),
        service_tier: tier_index(s.service_tier),
        region: s.region.as_deref(),
        currency: s.currency.as_str(),
        source: &s.source,
        as_of: chrono::Datelike::num_days_from_ce(&s.as_of),
        body: match &s.body {
            Body::Rates {
                base,
                tiers,
                windows,
                options,
            } => SBody::Rates {
                base: rates(base),
                tiers: tiers
                    .iter()
                    .map(|t| STier {
                        name: &t.name,
                        above: t.above,
                        counts: t.counts.iter().map(|u| u.index() as u8).collect(),
                        rates: rates(&t.rates),
                        unpriced: t.unpriced,
                    })
                    .collect(),
                windows: windows
                    .iter()
                    .map(|w| SWindow {
                        name: &w.name,
                        utc_offset_secs: w.utc_offset_secs,
                        start: clock(&w.start),
                        end: clock(&w.end),
                        days: w
                            .days
                            .iter()
                            .map(|d| d.num_days_from_monday() as u8)
                            .collect(),
                        rates: rates(&w.rates),
                    })
                    .collect(),
                options: options
                    .iter()
                    .map(|o| SOption {
                        name: &o.name,
                        when: o.when.iter().map(|(k, v)| (&**k, &**v)).collect(),
                        tier: o.tier.as_deref(),
                        rates: rates(&o.rates),
                        unpriced: o.unpriced,
                    })
                    .collect(),
            },
            Body::Scale { factor, unscaled } => SBody::Scale {
                factor: dec(factor),
                unscaled: unscaled.iter().map(|u| u.index() as u8).collect(),
            },
        },
    }
}

/// Reading fails with one message; the caller makes it a [`CatalogError`].
type Read<T> = Result<T, String>;

fn read_dec((m, s): SDec) -> Read<Decimal> {
    Decimal::try_from_i128_with_scale(m, s).map_err(|e| format!("decimal {m}e-{s}: {e}"))
}

fn read_time((s, n): STime) -> Read<DateTime<Utc>> {
    DateTime::from_timestamp(s, n).ok_or_else(|| format!("instant {s}.{n} is out of range"))
}

fn read_clock((s, n): (u32, u32)) -> Read<NaiveTime> {
    NaiveTime::from_num_seconds_from_midnight_opt(s, n)
        .ok_or_else(|| format!("time of day {s}.{n} is out of range"))
}

fn read_unit(i: u8) -> Read<Unit> {
    Unit::ALL
        .get(usize::from(i))
        .copied()
        .ok_or_else(|| format!("unit {i} does not exist"))
}

fn read_rates(r: SRates) -> Read<RateSet> {
    let mut set = RateSet::default();
    for (u, price, per) in r.scalar {
        set.scalar[read_unit(u)?.index()] = Some(Rate::new(read_dec(price)?, read_dec(per)?));
    }
    let variants = |vs: Option<Vec<SVariant>>| -> Read<Option<Vec<Variant>>> {
        vs.map(|vs| {
            vs.into_iter()
                .map(|v| {
                    Ok(Variant {
                        size: v.size.map(str::to_string),
                        quality: v.quality.map(str::to_string),
                        resolution: v.resolution.map(str::to_string),
                        rate: Rate::new(read_dec(v.price)?, read_dec(v.per)?),
                    })
                })
                .collect()
        })
        .transpose()
    };
    set.images = variants(r.images)?;
    set.video = variants(r.video)?;
    Ok(set)
}

fn read_schedule(s: SSchedule) -> Read<Schedule> {
    let body = match s.body {
        SBody::Rates {
            base,
            tiers,
            windows,
            options,
        } => Body::Rates {
            base: read_rates(base)?,
            tiers: tiers
                .into_iter()
                .map(|t| {
                    Ok(Tier {
                        name: t.name.into(),
                        above: t.above,
                        counts: t.counts.into_iter().map(read_unit).collect::<Read<_>>()?,
                        rates: read_rates(t.rates)?,
                        unpriced: t.unpriced,
                    })
                })
                .collect::<Read<_>>()?,
            windows: windows
                .into_iter()
                .map(|w| {
                    Ok(Window {
                        name: w.name.into(),
                        utc_offset_secs: w.utc_offset_secs,
                        start: read_clock(w.start)?,
                        end: read_clock(w.end)?,
                        days: w
                            .days
                            .into_iter()
                            .map(|d| Weekday::try_from(d).map_err(|_| format!("weekday {d}")))
                            .collect::<Read<_>>()?,
                        rates: read_rates(w.rates)?,
                    })
                })
                .collect::<Read<_>>()?,
            options: options
                .into_iter()
                .map(|o| {
                    Ok(OptionRule {
                        name: o.name.into(),
                        when: o
                            .when
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                        tier: o.tier.map(Arc::from),
                        rates: read_rates(o.rates)?,
                        unpriced: o.unpriced,
                    })
                })
                .collect::<Read<_>>()?,
        },
        SBody::Scale { factor, unscaled } => Body::Scale {
            factor: read_dec(factor)?,
            unscaled: unscaled.into_iter().map(read_unit).collect::<Read<_>>()?,
        },
    };
    Ok(Schedule {
        from: s.from.map(read_time).transpose()?,
        until: s.until.map(read_time).transpose()?,
        service_tier: *ServiceTier::ALL
            .get(usize::from(s.service_tier))
            .ok_or_else(|| format!("service tier {}", s.service_tier))?,
        region: s.region.map(Arc::from),
        currency: Currency::parse(s.currency)
            .ok_or_else(|| format!("currency `{}`", s.currency))?,
        source: s.source.into(),
        as_of: NaiveDate::from_num_days_from_ce_opt(s.as_of)
            .ok_or_else(|| format!("date {} is out of range", s.as_of))?,
        body,
    })
}

fn read_model(m: SModel, provider: &mut Arc<str>) -> Read<Model> {
    // Models of one table follow each other: they share their provider's name.
    if **provider != *m.provider {
        *provider = m.provider.into();
    }
    let id: Arc<str> = m.id.into();
    let mut fallbacks = [None; Unit::COUNT];
    if m.fallbacks.len() != Unit::COUNT {
        return Err(format!("model `{id}`: {} fallbacks", m.fallbacks.len()));
    }
    for (slot, f) in fallbacks.iter_mut().zip(m.fallbacks) {
        *slot = f.map(read_unit).transpose()?;
    }
    let schedules: Vec<Schedule> = m
        .schedules
        .into_iter()
        .map(read_schedule)
        .collect::<Read<_>>()?;
    let known = |what: &str, name: Option<&str>, find: fn(&str) -> Option<&'static str>| {
        name.map(|n| find(n).ok_or_else(|| format!("model `{id}`: unknown {what} `{n}`")))
            .transpose()
    };
    Ok(Model {
        heads: crate::bill::Head::of_schedules(&id, provider, &schedules),
        name: m.name.map(str::to_string),
        provider: provider.clone(),
        kind: *KINDS
            .get(usize::from(m.kind))
            .ok_or_else(|| format!("model `{id}`: kind {}", m.kind))?,
        aliases: m.aliases.into_iter().map(str::to_string).collect(),
        patterns: m.patterns.into_iter().map(str::to_string).collect(),
        fallbacks,
        default_region: m.default_region.map(Arc::from),
        regional: m.regional,
        schedules,
        replaces: m.replaces,
        encoding: known("encoding", m.encoding, facts::encoding)?,
        max_output_tokens: m.max_output_tokens,
        formula: known("formula", m.formula, facts::formula)?,
        id,
    })
}

/// For the fuzz target only (built with `--cfg fuzzing`): `payload` behind a valid header
/// and checksum, so that the fuzzer's inputs reach the decoder instead of stopping at the
/// checksum.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn seal_for_fuzzing(payload: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&checksum(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// For the fuzz target only: a snapshot's payload (the bytes after its header and checksum).
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn payload_for_fuzzing(snapshot: &[u8]) -> &[u8] {
    snapshot.get(MAGIC.len() + 8..).unwrap_or_default()
}

impl Catalog {
    /// The catalog as a snapshot: compact binary that [`Catalog::from_snapshot`] turns back
    /// into an equal catalog without reading or validating the tables again.
    pub fn to_snapshot(&self) -> Vec<u8> {
        fn index(t: &hashbrown::HashTable<(Box<str>, usize)>) -> Vec<(&str, u32)> {
            let mut v: Vec<(&str, u32)> = t.iter().map(|(k, i)| (&**k, *i as u32)).collect();
            // The table's order depends on its hashes' history; a sorted list makes the
            // same catalog give the same bytes.
            v.sort_unstable();
            v
        }
        let position: std::collections::HashMap<&str, u32> = self
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id(), i as u32))
            .collect();
        let snap = Snap {
            models: self
                .models
                .iter()
                .map(|m| SModel {
                    id: &m.id,
                    name: m.name.as_deref(),
                    provider: &m.provider,
                    kind: kind_index(m.kind),
                    aliases: m.aliases.iter().map(|a| &**a).collect(),
                    patterns: m.patterns.iter().map(|p| &**p).collect(),
                    fallbacks: m
                        .fallbacks
                        .iter()
                        .map(|f| f.map(|u| u.index() as u8))
                        .collect(),
                    default_region: m.default_region.as_deref(),
                    regional: m.regional,
                    schedules: m.schedules.iter().map(schedule).collect(),
                    replaces: m.replaces,
                    encoding: m.encoding,
                    max_output_tokens: m.max_output_tokens,
                    formula: m.formula,
                })
                .collect(),
            names: index(&self.names),
            prefixes: index(&self.prefixes),
            prefix_len: self.prefix_len.clone(),
            patterns: self
                .patterns
                .iter()
                .map(|(p, i)| (&**p, *i as u32))
                .collect(),
            known: self
                .known
                .0
                .iter()
                .map(|(name, id)| (&**name, position.get(&**id).copied().unwrap_or(u32::MAX)))
                .collect(),
        };
        let payload = postcard::to_allocvec(&snap).expect("a catalog serializes to memory");
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&checksum(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Reads a snapshot written by [`Catalog::to_snapshot`] (of this version of the crate).
    ///
    /// A snapshot of another format version, or a truncated or damaged one, is refused
    /// with a [`CatalogError`] naming what was wrong; nothing here panics. The tables' rules
    /// are not checked again: a snapshot holds a catalog that was validated when it loaded,
    /// so give this only bytes `to_snapshot` wrote (a build embedding its own tables).
    pub fn from_snapshot(bytes: &[u8]) -> Result<Catalog, CatalogError> {
        Self::read_snapshot(bytes).map_err(|message| CatalogError {
            problems: vec![Problem {
                file: "snapshot".into(),
                line: None,
                message,
                kind: ProblemKind::Invalid,
            }],
        })
    }

    fn read_snapshot(bytes: &[u8]) -> Read<Catalog> {
        let (magic, rest) = bytes
            .split_at_checked(MAGIC.len())
            .ok_or("too short to be a snapshot")?;
        if magic != MAGIC {
            return Err("not a catalog snapshot of this format version".into());
        }
        let (sum, payload) = rest.split_at_checked(8).ok_or("no checksum")?;
        if sum != checksum(payload).to_le_bytes() {
            return Err("checksum mismatch: the snapshot is truncated or damaged".into());
        }
        let snap: Snap = postcard::from_bytes(payload).map_err(|e| e.to_string())?;
        let mut provider: Arc<str> = "".into();
        let models: Vec<Model> = snap
            .models
            .into_iter()
            .map(|m| read_model(m, &mut provider))
            .collect::<Read<_>>()?;
        let n = models.len();
        let at = |i: u32| -> Read<usize> {
            let i = i as usize;
            if i < n {
                Ok(i)
            } else {
                Err(format!("model index {i} past the {n} models"))
            }
        };
        // Straight into the catalog's name table: one allocation per name. A name given
        // twice (only a forged snapshot has one) keeps its last model, as a map would.
        let entries = |v: Vec<(&str, u32)>| -> Read<HashTable<(Box<str>, usize)>> {
            let mut t = HashTable::with_capacity(v.len());
            for (k, i) in v {
                let i = at(i)?;
                let h = fold_hash(k.as_bytes());
                match t.entry(
                    h,
                    |(n, _): &(Box<str>, usize)| **n == *k,
                    |(n, _)| fold_hash(n.as_bytes()),
                ) {
                    hashbrown::hash_table::Entry::Occupied(mut e) => e.get_mut().1 = i,
                    hashbrown::hash_table::Entry::Vacant(e) => {
                        e.insert((k.into(), i));
                    }
                }
            }
            Ok(t)
        };
        let known = snap
            .known
            .into_iter()
            .map(|(name, i)| Ok((name.into(), models[at(i)?].id.clone())))
            .collect::<Read<Vec<_>>>()?;
        Ok(Catalog {
            names: entries(snap.names)?,
            prefixes: entries(snap.prefixes)?,
            prefix_len: snap.prefix_len,
            patterns: snap
                .patterns
                .into_iter()
                .map(|(p, i)| Ok((p.to_string(), at(i)?)))
                .collect::<Read<_>>()?,
            known: KnownNames(known.into()),
            models,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a catalog holds, in a form that compares: the models and every index, sorted
    /// where the catalog's order is a hash table's.
    type Parts = (
        Vec<Model>,
        Vec<(String, usize)>,
        Vec<(String, usize)>,
        Vec<bool>,
        Vec<(String, usize)>,
        Vec<(String, String)>,
    );

    fn parts(c: &Catalog) -> Parts {
        let sorted = |t: &hashbrown::HashTable<(Box<str>, usize)>| {
            let mut v: Vec<(String, usize)> = t.iter().map(|(k, i)| (k.to_string(), *i)).collect();
            v.sort();
            v
        };
        (
            c.models.clone(),
            sorted(&c.names),
            sorted(&c.prefixes),
            c.prefix_len.clone(),
            c.patterns.clone(),
            c.known
                .0
                .iter()
                .map(|(n, id)| (n.to_string(), id.to_string()))
                .collect(),
        )
    }

    #[test]
    fn kind_and_tier_indexes_are_their_places() {
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(usize::from(kind_index(*k)), i);
        }
        for (i, t) in ServiceTier::ALL.iter().enumerate() {
            assert_eq!(usize::from(tier_index(*t)), i);
        }
    }

    #[test]
    fn the_builtin_catalog_comes_back_equal() {
        let c = Catalog::builtin();
        let snap = c.to_snapshot();
        let back = Catalog::from_snapshot(&snap).unwrap();
        assert_eq!(parts(&back), parts(c));
        // Names resolve to the same models, patterns included.
        for name in [
            "gpt-4.1",
            "GPT-4.1",
            "claude-sonnet-4-5-20250929",
            "gpt-4o-2024-08-06",
        ] {
            assert_eq!(
                back.resolve(name).map(Model::id),
                c.resolve(name).map(Model::id),
                "{name}"
            );
        }
        // The same catalog gives the same bytes.
        assert_eq!(back.to_snapshot(), snap);
    }

    /// A relay's table replacing a built-in model: the names that led to the old model
    /// still lead to its replacement, which a catalog rebuilt from its models alone would
    /// lose; and windows, tiers, options and a scaled schedule come back.
    #[test]
    fn a_replaced_model_and_every_schedule_shape_come_back_equal() {
        let relay = r#"
provider = "relay"
currency = "CNY"
[[model]]
id = "claude-sonnet-4-5"
replaces = true
patterns = ["relay-sonnet-*"]
[[model.price]]
source = "s"
as_of = 2025-01-01
from = 2025-01-01T08:00:00+08:00
rates = { input_tokens = 1.5, output_tokens = { price = 2, per = 1000 } }
[[model.price.tier]]
name = "long"
above = 200000
counts = ["input_tokens"]
rates = { input_tokens = 3 }
[[model.price.window]]
name = "night"
utc_offset = "+08:00"
start = "00:30"
end = "08:30"
days = ["mon", "sun"]
rates = { input_tokens = 0.75 }
[[model.price.option]]
when = { thinking = "true" }
rates = { output_tokens = 4 }
[[model.price]]
source = "s"
as_of = 2025-01-01
service_tier = "batch"
scale = 0.5
unscaled = ["web_search_calls"]
"#;
        let c = Catalog::builder()
            .builtin()
            .text("relay.toml", relay)
            .build()
            .unwrap();
        let back = Catalog::from_snapshot(&c.to_snapshot()).unwrap();
        assert_eq!(parts(&back), parts(&c));
        assert_eq!(
            back.resolve("claude-sonnet-4-5-20250929")
                .unwrap()
                .provider(),
            "relay"
        );
    }

    #[test]
    fn a_damaged_or_foreign_snapshot_is_an_error() {
        let snap = Catalog::builtin().to_snapshot();
        // Every truncation (a sample of lengths), a flipped bit, another version.
        for len in (0..snap.len()).step_by(997).chain([snap.len() - 1]) {
            assert!(Catalog::from_snapshot(&snap[..len]).is_err(), "{len}");
        }
        let mut flipped = snap.clone();
        flipped[snap.len() / 2] ^= 1;
        let e = Catalog::from_snapshot(&flipped).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        let mut other = snap.clone();
        other[7] ^= 0xff;
        assert!(Catalog::from_snapshot(&other).is_err());
        // A payload that passes the checksum but is not a catalog: the decoder's error.
        let junk = [0xffu8; 64];
        let mut forged = MAGIC.to_vec();
        forged.extend_from_slice(&checksum(&junk).to_le_bytes());
        forged.extend_from_slice(&junk);
        assert!(Catalog::from_snapshot(&forged).is_err());
    }

    proptest::proptest! {
        /// The checksum sees any one flipped bit and any truncation, wherever it falls
        /// relative to the 64-bit words it is summed in.
        #[test]
        fn the_checksum_sees_a_flipped_bit_or_a_truncation(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..200),
            at in proptest::prelude::any::<proptest::sample::Index>(),
            bit in 0u8..8,
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let sum = checksum(&bytes);
            let mut flipped = bytes.clone();
            flipped[at.index(bytes.len())] ^= 1 << bit;
            proptest::prop_assert_ne!(checksum(&flipped), sum);
            let len = cut.index(bytes.len());
            proptest::prop_assert_ne!(checksum(&bytes[..len]), sum);
        }
    }
}
