//! Reading and validating price-table files: TOML text in, models or a list of
//! problems (file and line) out.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use rust_decimal::Decimal;
use toml::value::{Datetime, Offset};

use super::model::{Body, Kind, Model, OptionRule, Rate, RateSet, Schedule, Tier, Variant, Window};
use super::raw::{RawFile, RawModel, RawNumber, RawRate, RawRates, RawSchedule, Spanned};
use crate::error::{Problem, ProblemKind};
use crate::money::Currency;
use crate::unit::Unit;
use crate::usage::ServiceTier;

/// Collects problems for one file, turning byte spans into line numbers.
pub(crate) struct Reporter<'a> {
    file: &'a str,
    text: &'a str,
    /// Byte offset of each line's start, so a span's line is a binary search rather than
    /// a scan from the top (which made loading quadratic in the file's size).
    line_starts: Vec<usize>,
    format: Format,
    pub problems: Vec<Problem>,
}

impl<'a> Reporter<'a> {
    pub fn new(file: &'a str, text: &'a str, format: Format) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Reporter {
            file,
            text,
            line_starts,
            format,
            problems: Vec::new(),
        }
    }

    pub fn line_of(&self, span: &Range<usize>) -> usize {
        self.line_starts
            .partition_point(|&start| start <= span.start)
    }

    pub fn at(&mut self, span: &Range<usize>, message: impl Into<String>) {
        self.at_kind(span, ProblemKind::Invalid, message);
    }

    pub fn at_kind(&mut self, span: &Range<usize>, kind: ProblemKind, message: impl Into<String>) {
        let line = self.format.lines.then(|| self.line_of(span));
        self.problems.push(Problem {
            file: self.file.to_string(),
            line,
            message: message.into(),
            kind,
        });
    }
}

/// Parses one file into models. Problems are appended to the reporter; models with
/// problems are still returned when they can be built, so that one pass finds all.
pub(crate) fn parse_file(rep: &mut Reporter) -> Vec<(Model, usize)> {
    let raw = match (rep.format.read)(rep) {
        Ok(r) => r,
        Err((line, message)) => {
            rep.problems.push(Problem {
                file: rep.file.to_string(),
                line,
                message,
                kind: ProblemKind::Invalid,
            });
            return Vec::new();
        }
    };
    let provider: Arc<str> = raw.provider.get_ref().as_str().into();
    if provider.is_empty() {
        rep.at(&raw.provider.span(), "`provider` is empty");
    }
    printable(rep, &raw.provider.span(), "provider", &provider);
    let currency = currency(rep, &raw.currency).unwrap_or(Currency::USD);
    let file_fallbacks = fallbacks(rep, &raw.fallbacks, [None; Unit::COUNT]);
    raw.models
        .into_iter()
        .map(|m| {
            let line = rep.line_of(&m.span());
            let span = m.span();
            (
                model(
                    rep,
                    m.into_inner(),
                    span,
                    &provider,
                    currency,
                    file_fallbacks,
                ),
                line,
            )
        })
        .collect()
}

/// Reports a name holding a control character (C0, DEL, C1) or a bidirectional-text
/// control: printed raw in a listing, a bill or a terminal, either can disguise one name
/// as another or rewrite the line around it. The name is shown escaped. True when clean.
fn printable(rep: &mut Reporter, span: &Range<usize>, what: &str, s: &str) -> bool {
    match unprintable(s) {
        None => true,
        Some(c) => {
            rep.at_kind(
                span,
                ProblemKind::ControlCharacter,
                format!(
                    "{what} `{}` holds the control character U+{:04X}; names are printable text",
                    s.escape_debug(),
                    u32::from(c)
                ),
            );
            false
        }
    }
}

/// The first character of `s` that a name may not hold: a control character (C0, DEL,
/// C1) or a bidirectional-text control. The importers use it too, so that what they write
/// is a table the loader accepts.
#[doc(hidden)]
pub fn unprintable(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// Why `s` cannot be a model id or alias, or `None` when it can: the loader's rules, for
/// the importers to skip (and report) a name the loader would refuse.
#[doc(hidden)]
pub fn id_fault(s: &str) -> Option<String> {
    if let Some(c) = unprintable(s) {
        Some(format!(
            "holds the control character U+{:04X}; names are printable text",
            u32::from(c)
        ))
    } else if s.is_empty() || s.chars().any(char::is_whitespace) {
        Some("must be non-empty without spaces".into())
    } else {
        None
    }
}

/// Why a text could not be read: the line (when known) and the parser's message.
type Unreadable = (Option<usize>, String);

/// How a table's text is written.
///
/// The reader is a function rather than a test of a flag, so that a build which never adds
/// TOML text links no TOML parser.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Format {
    /// Reads the text into the file's shapes, or gives the parser's line and message.
    read: fn(&Reporter) -> Result<RawFile, Unreadable>,
    /// Whether values carry their place in the text, for the line of a problem.
    lines: bool,
}

/// A table written in TOML.
pub(crate) const TOML: Format = Format {
    read: read_toml,
    lines: true,
};

/// The JSON form of a built-in table (written by `build.rs`), whose values carry no places.
pub(crate) const JSON: Format = Format {
    read: read_json,
    lines: false,
};

fn read_toml(rep: &Reporter) -> Result<RawFile, Unreadable> {
    use serde::Deserialize;
    // Strict: a schedule or a rate table written as an array is refused, never read by
    // position.
    RawFile::deserialize(crate::strict::Strict::new(toml::Deserializer::new(
        rep.text,
    )))
    .map_err(|e| {
        let line = e.span().map(|s| rep.line_of(&s));
        (line, e.message().to_string())
    })
}

fn read_json(rep: &Reporter) -> Result<RawFile, Unreadable> {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_str(rep.text);
    RawFile::deserialize(crate::strict::Strict::spanless(&mut de))
        .and_then(|file| de.end().map(|()| file))
        .map_err(|e| (Some(e.line()), e.to_string()))
}

fn currency(rep: &mut Reporter, s: &Spanned<String>) -> Option<Currency> {
    let c = Currency::parse(s.get_ref());
    if c.is_none() {
        rep.at(
            &s.span(),
            format!(
                "`{}` is not a currency code (three upper-case letters)",
                s.get_ref()
            ),
        );
    }
    c
}

fn unit(rep: &mut Reporter, s: &Spanned<String>) -> Option<Unit> {
    let u = Unit::parse(s.get_ref());
    if u.is_none() {
        let names: Vec<&str> = Unit::ALL.iter().map(|u| u.name()).collect();
        rep.at(
            &s.span(),
            format!(
                "unknown unit `{}`; units are: {}",
                s.get_ref(),
                names.join(", ")
            ),
        );
    }
    u
}

fn fallbacks(
    rep: &mut Reporter,
    raw: &BTreeMap<Spanned<String>, Spanned<String>>,
    mut table: [Option<Unit>; Unit::COUNT],
) -> [Option<Unit>; Unit::COUNT] {
    for (from, to) in raw {
        if let (Some(f), Some(t)) = (unit(rep, from), unit(rep, to)) {
            if f.has_variants() || t.has_variants() {
                rep.at(
                    &from.span(),
                    format!("`{f}` -> `{t}`: units priced by variant cannot fall back"),
                );
            } else if f == t {
                rep.at(&from.span(), format!("`{f}` falls back to itself"));
            } else {
                table[f.index()] = Some(t);
            }
        }
    }
    table
}

fn model(
    rep: &mut Reporter,
    m: RawModel,
    span: Range<usize>,
    provider: &Arc<str>,
    file_currency: Currency,
    file_fallbacks: [Option<Unit>; Unit::COUNT],
) -> Model {
    let id = m.id.get_ref().clone();
    if !printable(rep, &m.id.span(), "model id", &id) {
    } else if id.is_empty() || id.chars().any(char::is_whitespace) {
        rep.at(
            &m.id.span(),
            format!("model id `{id}` must be non-empty without spaces"),
        );
    }
    for a in &m.aliases {
        if printable(rep, &a.span(), "alias", a.get_ref())
            && (a.get_ref().is_empty() || a.get_ref().chars().any(char::is_whitespace))
        {
            rep.at(
                &a.span(),
                format!("alias `{}` must be non-empty without spaces", a.get_ref()),
            );
        }
    }
    if let Some(name) = &m.name {
        printable(rep, &span, "model name", name);
    }
    if let Some(r) = &m.default_region {
        printable(rep, &r.span(), "default_region", r.get_ref());
    }
    let kind = match &m.kind {
        None => Kind::Chat,
        Some(k) => Kind::parse(k.get_ref()).unwrap_or_else(|| {
            rep.at(&k.span(), format!("unknown kind `{}`", k.get_ref()));
            Kind::Chat
        }),
    };
    let fb = fallbacks(rep, &m.fallbacks, file_fallbacks);
    check_fallback_cycles(rep, &span, &id, &fb);
    for p in &m.patterns {
        if !printable(rep, &p.span(), "pattern", p.get_ref()) {
        } else if !p.get_ref().contains('*') {
            rep.at(
                &p.span(),
                format!("pattern `{}` has no `*`; write it as an alias", p.get_ref()),
            );
        }
    }
    if m.prices.is_empty() {
        rep.at(
            &span,
            format!("model `{id}` has no [[model.price]] schedule"),
        );
    }
    let mut schedules: Vec<(Schedule, Range<usize>)> = m
        .prices
        .into_iter()
        .filter_map(|s| {
            let sp = s.span();
            schedule(rep, s.into_inner(), sp.clone(), file_currency).map(|x| (x, sp))
        })
        .collect();
    let regional = schedules.iter().any(|(s, _)| s.region.is_some());
    let default_region = m.default_region.as_ref().map(|r| {
        if !schedules
            .iter()
            .any(|(s, _)| s.region.as_deref() == Some(r.get_ref().as_str()))
        {
            rep.at(
                &r.span(),
                format!("default_region `{}` has no schedule", r.get_ref()),
            );
        }
        Arc::<str>::from(r.get_ref().as_str())
    });
    close_periods(rep, &id, &mut schedules);
    check_scales(rep, &id, &schedules);
    let encoding = m.encoding.as_ref().and_then(|e| {
        let found = super::facts::encoding(e.get_ref());
        if found.is_none() {
            rep.at(
                &e.span(),
                format!(
                    "unknown encoding `{}` (known: {})",
                    e.get_ref(),
                    super::facts::ENCODINGS.join(", ")
                ),
            );
        }
        found
    });
    let formula = m.formula.as_ref().and_then(|f| {
        let found = super::facts::formula(f.get_ref());
        if found.is_none() {
            rep.at(
                &f.span(),
                format!(
                    "unknown formula `{}` (known: {})",
                    f.get_ref(),
                    super::facts::FORMULAS.join(", ")
                ),
            );
        }
        found
    });
    let max_output_tokens = m.max_output_tokens.as_ref().and_then(|n| {
        let v = *n.get_ref();
        match u64::try_from(v) {
            Ok(v) if (1..=super::facts::MAX_OUTPUT_TOKENS).contains(&v) => Some(v),
            _ => {
                rep.at(
                    &n.span(),
                    format!(
                        "max_output_tokens {v} is out of range (1 to {})",
                        super::facts::MAX_OUTPUT_TOKENS
                    ),
                );
                None
            }
        }
    });
    let id: Arc<str> = id.as_str().into();
    let schedules: Vec<Schedule> = schedules.into_iter().map(|(s, _)| s).collect();
    Model {
        heads: crate::bill::Head::of_schedules(&id, provider, &schedules),
        id,
        name: m.name,
        provider: provider.clone(),
        kind,
        aliases: m.aliases.into_iter().map(Spanned::into_inner).collect(),
        patterns: m.patterns.into_iter().map(Spanned::into_inner).collect(),
        fallbacks: fb,
        default_region,
        regional,
        schedules,
        replaces: m.replaces,
        encoding,
        max_output_tokens,
        formula,
    }
}

fn check_fallback_cycles(
    rep: &mut Reporter,
    span: &Range<usize>,
    id: &str,
    fb: &[Option<Unit>; Unit::COUNT],
) {
    for start in Unit::ALL {
        let mut u = start;
        for _ in 0..=Unit::COUNT {
            match fb[u.index()] {
                Some(next) if next == start => {
                    rep.at(
                        span,
                        format!("model `{id}`: fallbacks form a cycle through `{start}`"),
                    );
                    return;
                }
                Some(next) => u = next,
                None => break,
            }
        }
    }
}

/// Sorts schedules by tier, region and start; fills in implicit ends; reports overlaps.
fn close_periods(rep: &mut Reporter, id: &str, schedules: &mut [(Schedule, Range<usize>)]) {
    schedules.sort_by(|(a, _), (b, _)| {
        (a.service_tier, &a.region, a.from).cmp(&(b.service_tier, &b.region, b.from))
    });
    for i in 0..schedules.len() {
        let next = schedules
            .get(i + 1)
            .map(|(s, _)| (s.service_tier, s.region.clone(), s.from));
        let (cur, span) = &mut schedules[i];
        let Some((tier, region, next_from)) = next else {
            continue;
        };
        if tier != cur.service_tier || region != cur.region {
            continue;
        }
        match (cur.until, next_from) {
            (_, None) => rep.at(
                span,
                format!(
                    "model `{id}`: two {} schedules without `from` overlap",
                    cur.service_tier
                ),
            ),
            (None, Some(nf)) => {
                if cur.from == Some(nf) {
                    rep.at(
                        span,
                        format!(
                            "model `{id}`: two {} schedules start at {nf}",
                            cur.service_tier
                        ),
                    );
                }
                cur.until = Some(nf);
            }
            (Some(u), Some(nf)) if u > nf => rep.at(
                span,
                format!(
                    "model `{id}`: {} schedule ends {u}, after the next one starts {nf}",
                    cur.service_tier
                ),
            ),
            _ => {}
        }
    }
}

/// A scaled schedule derives from the standard one: there must be one for its region.
fn check_scales(rep: &mut Reporter, id: &str, schedules: &[(Schedule, Range<usize>)]) {
    for (s, span) in schedules {
        if let Body::Scale { .. } = s.body {
            let has_base = schedules.iter().any(|(b, _)| {
                b.service_tier == ServiceTier::Standard
                    && b.region == s.region
                    && matches!(b.body, Body::Rates { .. })
            });
            if !has_base {
                rep.at(
                    span,
                    format!(
                        "model `{id}`: scaled {} schedule has no standard schedule to scale",
                        s.service_tier
                    ),
                );
            }
        }
    }
}

fn schedule(
    rep: &mut Reporter,
    s: RawSchedule,
    span: Range<usize>,
    file_currency: Currency,
) -> Option<Schedule> {
    let from = s.from.as_ref().and_then(|d| datetime(rep, d));
    let until = s.until.as_ref().and_then(|d| datetime(rep, d));
    if let (Some(f), Some(u)) = (from, until) {
        if u <= f {
            rep.at(&span, format!("schedule ends ({u}) before it starts ({f})"));
        }
    }
    let service_tier = match &s.service_tier {
        None => ServiceTier::Standard,
        Some(t) => match ServiceTier::parse(t.get_ref()) {
            Some(t) => t,
            None => {
                rep.at(
                    &t.span(),
                    format!(
                        "unknown service tier `{}`; tiers: standard, batch, flex, priority",
                        t.get_ref()
                    ),
                );
                return None;
            }
        },
    };
    let currency = match &s.currency {
        Some(c) => currency(rep, c).unwrap_or(file_currency),
        None => file_currency,
    };
    printable(rep, &s.source.span(), "source", s.source.get_ref());
    if let Some(r) = &s.region {
        printable(rep, &r.span(), "region", r.get_ref());
    }
    if s.source.get_ref().trim().is_empty() {
        rep.at(
            &s.source.span(),
            "`source` is empty: say where the price was read",
        );
    }
    let as_of = datetime(rep, &s.as_of)
        .map(|d| d.date_naive())
        .unwrap_or(NaiveDate::MIN);
    if s.scale.is_none() {
        if let Some(u) = s.unscaled.first() {
            rep.at(&u.span(), "`unscaled` only goes with `scale`");
        }
    }
    let body = match &s.scale {
        Some(scale) => {
            if service_tier == ServiceTier::Standard {
                rep.at(&scale.span(), "`scale` derives a batch/flex/priority schedule from the standard one; a standard schedule cannot be scaled");
            }
            if !s.rates.is_empty()
                || !s.tiers.is_empty()
                || !s.windows.is_empty()
                || !s.options.is_empty()
            {
                rep.at(
                    &scale.span(),
                    "a scaled schedule has no rates, tiers, windows or options of its own",
                );
            }
            let f = exact(rep, scale.get_ref(), &scale.span());
            if f <= Decimal::ZERO {
                rep.at(&scale.span(), format!("scale {f} must be positive"));
            }
            let unscaled = s.unscaled.iter().filter_map(|u| unit(rep, u)).collect();
            Body::Scale {
                factor: f,
                unscaled,
            }
        }
        None => {
            // A schedule may price everything through its options (one price per action,
            // say); then a usage that matches none of them is an error, never a base price.
            if s.rates.is_empty() && s.options.is_empty() {
                rep.at(&span, "schedule has no `rates` (and no options)");
            }
            let base = rate_set(rep, &s.rates);
            let tiers = tiers(rep, &s);
            let windows = s.windows.iter().filter_map(|w| window(rep, w)).collect();
            let options = s
                .options
                .iter()
                .map(|spanned| {
                    let o = spanned.get_ref();
                    let when: Vec<(String, String)> = o.when.clone().into_iter().collect();
                    let name = o.name.clone().unwrap_or_else(|| {
                        when.iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(",")
                    });
                    let tier = o.tier.as_ref().map(|t| {
                        let known = t.get_ref() == super::BASE_TIER
                            || tiers.iter().any(|x| *x.name == **t.get_ref());
                        if !known {
                            rep.at(
                                &t.span(),
                                format!("option names tier `{}`, which this schedule does not have (`base` = no tier)", t.get_ref()),
                            );
                        }
                        Arc::<str>::from(t.get_ref().as_str())
                    });
                    let unpriced = o.unpriced.as_ref().is_some_and(|u| *u.get_ref());
                    if unpriced != o.rates.is_empty() {
                        let span = o.unpriced.as_ref().map_or_else(|| spanned.span(), |u| u.span());
                        rep.at(
                            &span,
                            format!("option `{name}` needs either `rates` or `unpriced = true` (no published price with it), not both"),
                        );
                    }
                    OptionRule {
                        name: name.into(),
                        when,
                        tier,
                        rates: rate_set(rep, &o.rates),
                        unpriced,
                    }
                })
                .collect();
            Body::Rates {
                base,
                tiers,
                windows,
                options,
            }
        }
    };
    Some(Schedule {
        from,
        until,
        service_tier,
        region: s.region.as_ref().map(|r| r.get_ref().as_str().into()),
        currency,
        source: s.source.get_ref().trim().into(),
        as_of,
        body,
    })
}

fn tiers(rep: &mut Reporter, s: &RawSchedule) -> Vec<Tier> {
    let mut out: Vec<Tier> = Vec::new();
    for t in &s.tiers {
        let span = t.span();
        let t = t.get_ref();
        let mut counts: Vec<Unit> = t.counts.iter().filter_map(|c| unit(rep, c)).collect();
        for (c, u) in t.counts.iter().zip(&counts) {
            if !u.is_tokens() {
                rep.at(
                    &c.span(),
                    format!("tier counts `{u}`, which is not a token bucket"),
                );
            }
        }
        if counts.is_empty() {
            rep.at(
                &span,
                "tier `counts` is empty: name the token buckets counted toward the threshold",
            );
        }
        counts.sort();
        counts.dedup();
        if let Some(prev) = out.iter().rev().find(|p| p.counts == counts) {
            if *t.above.get_ref() <= prev.above {
                rep.at(
                    &t.above.span(),
                    format!(
                        "tier `{}` (above {}) is out of order after `{}` (above {})",
                        t.name.get_ref(),
                        t.above.get_ref(),
                        prev.name,
                        prev.above
                    ),
                );
            }
        }
        if t.name.get_ref() == super::BASE_TIER {
            rep.at(
                &t.name.span(),
                "`base` is reserved for \"no tier\"; name the tier otherwise",
            );
        }
        if out.iter().any(|p| *p.name == **t.name.get_ref()) {
            rep.at(
                &t.name.span(),
                format!("two tiers are named `{}`", t.name.get_ref()),
            );
        }
        let unpriced = t.unpriced.as_ref().is_some_and(|u| *u.get_ref());
        if unpriced != t.rates.is_empty() {
            rep.at(
                &span,
                format!(
                    "tier `{}` needs either `rates` or `unpriced = true` (no published price above it), not both",
                    t.name.get_ref()
                ),
            );
        }
        out.push(Tier {
            name: t.name.get_ref().as_str().into(),
            above: *t.above.get_ref(),
            counts,
            rates: rate_set(rep, &t.rates),
            unpriced,
        });
    }
    out
}

fn window(rep: &mut Reporter, w: &Spanned<super::raw::RawWindow>) -> Option<Window> {
    let w = w.get_ref();
    let offset = parse_offset(w.utc_offset.get_ref());
    if offset.is_none() {
        rep.at(
            &w.utc_offset.span(),
            format!("utc_offset `{}` is not like +08:00", w.utc_offset.get_ref()),
        );
    }
    let time = |rep: &mut Reporter, s: &Spanned<String>| {
        let t = NaiveTime::parse_from_str(s.get_ref(), "%H:%M").ok();
        if t.is_none() {
            rep.at(
                &s.span(),
                format!("`{}` is not a time like 16:30", s.get_ref()),
            );
        }
        t
    };
    let start = time(rep, &w.start);
    let end = time(rep, &w.end);
    let mut days = Vec::new();
    for d in w.days.iter().flatten() {
        match d.get_ref().parse::<Weekday>() {
            Ok(wd) => days.push(wd),
            Err(_) => rep.at(
                &d.span(),
                format!("`{}` is not a weekday (mon..sun)", d.get_ref()),
            ),
        }
    }
    Some(Window {
        name: w.name.get_ref().as_str().into(),
        utc_offset_secs: offset?,
        start: start?,
        end: end?,
        days,
        rates: rate_set(rep, &w.rates),
    })
}

fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h.abs() <= 14 && (0..60).contains(&m) && h >= 0).then_some(sign * (h * 3600 + m * 60))
}

fn rate_set(rep: &mut Reporter, raw: &RawRates) -> RateSet {
    let mut set = RateSet::default();
    for (name, rate) in raw {
        let Some(u) = unit(rep, name) else { continue };
        match (rate.get_ref(), u.has_variants()) {
            (RawRate::Price { price, per, bare }, false) => {
                let price_span = if *bare { rate.span() } else { price.span() };
                let p = exact(rep, price.get_ref(), &price_span);
                let per = per.as_ref().map(|x| exact(rep, x.get_ref(), &x.span()));
                if let Some(r) = make_rate(rep, &rate.span(), u, p, per) {
                    set.scalar[u.index()] = Some(r);
                }
            }
            (RawRate::Variants(vs), true) => {
                let mut out: Vec<Variant> = Vec::new();
                for v in vs {
                    let p = exact(rep, v.price.get_ref(), &v.price.span());
                    let per = v.per.as_ref().map(|x| exact(rep, x.get_ref(), &x.span()));
                    let Some(r) = make_rate(rep, &rate.span(), u, p, per) else { continue };
                    let variant = Variant { size: v.size.clone(), quality: v.quality.clone(), resolution: v.resolution.clone(), rate: r };
                    if out.iter().any(|o| o.size == variant.size && o.quality == variant.quality && o.resolution == variant.resolution) {
                        rep.at(&rate.span(), format!("`{u}` lists the variant ({variant}) twice"));
                    }
                    out.push(variant);
                }
                match u {
                    Unit::Images => set.images = Some(out),
                    _ => set.video = Some(out),
                }
            }
            (RawRate::Price { .. }, true) => {
                rep.at(&rate.span(), format!("`{u}` is priced by variant: write a list like [{{ size = \"1024x1024\", price = 0.04 }}]"))
            }
            (RawRate::Variants(_), false) => rep.at(&rate.span(), format!("`{u}` takes one price, not a list of variants")),
        }
    }
    set
}

/// A number's exact value. An unquoted float is read again from its literal in the text,
/// as the parser's `f64` may have lost digits (`1.0000000000000001` read as 1); a literal a
/// decimal cannot hold exactly is a problem (and 0 stands in, so that one pass still finds
/// every problem). Where no literal is at hand (a build with `embed-json`, whose values
/// carry no places; its built-in tables hold no floats, `build.rs` writes them as text) the
/// float's shortest text stands.
fn exact(rep: &mut Reporter, n: &RawNumber, span: &Range<usize>) -> Decimal {
    if !n.1 {
        return n.0;
    }
    let literal = rep.text.get(span.clone()).filter(|t| !t.is_empty());
    match literal.map(super::raw::parse_decimal) {
        Some(Ok(d)) => d,
        Some(Err(e)) => {
            rep.at_kind(span, ProblemKind::InexactNumber, e);
            Decimal::ZERO
        }
        None => n.0,
    }
}

fn make_rate(
    rep: &mut Reporter,
    span: &Range<usize>,
    u: Unit,
    price: Decimal,
    per: Option<Decimal>,
) -> Option<Rate> {
    if price < Decimal::ZERO {
        rep.at(span, format!("`{u}` has a negative price {price}"));
        return None;
    }
    let per = per.unwrap_or_else(|| u.default_per());
    if per <= Decimal::ZERO {
        rep.at(span, format!("`{u}`: `per` must be positive, not {per}"));
        return None;
    }
    Some(Rate::new(price, per))
}

fn datetime(rep: &mut Reporter, d: &Spanned<Datetime>) -> Option<DateTime<Utc>> {
    let v = d.get_ref();
    let Some(date) = v.date else {
        rep.at(&d.span(), format!("`{v}` has no date"));
        return None;
    };
    let nd = NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())?;
    let t = v
        .time
        .map(|t| NaiveTime::from_hms_opt(t.hour.into(), t.minute.into(), t.second.into()))
        .unwrap_or(NaiveTime::from_hms_opt(0, 0, 0))?;
    let naive = nd.and_time(t);
    let offset_secs = match v.offset {
        None | Some(Offset::Z) => 0,
        Some(Offset::Custom { minutes }) => i32::from(minutes) * 60,
    };
    Some(Utc.from_utc_datetime(&(naive - chrono::Duration::seconds(offset_secs.into()))))
}
