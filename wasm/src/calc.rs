//! The calculator's logic, in plain Rust: JSON text in, JSON text out, errors as the
//! library's own messages. `lib.rs` only moves values across the JavaScript boundary, so
//! everything here is tested natively as well as under Node.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tariff::catalog::{Prices, RateSet};
#[cfg(feature = "full")]
use tariff::extract;
use tariff::extract::Api;
use tariff::tokens::Encoding;
use tariff::{
    Bill, Catalog, Currency, FxRate, FxTable, Model, Quota, QuotaPolicy, Rounding, ServiceTier,
    Unit, Usage,
};

/// The built-in price tables, loaded once from the snapshot `build.rs` wrote of them
/// (`Catalog::to_snapshot`): read without parsing and validating the tables again, which
/// was most of the page's start-up in WebAssembly. It equals `Catalog::builtin()` (tested).
pub fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::from_snapshot(include_bytes!(concat!(
            env!("OUT_DIR"),
            "/catalog.snapshot"
        )))
        .unwrap_or_else(|e| panic!("the built-in price tables' snapshot is invalid: {e}"))
    })
}

/// The name `options.currency` takes to ask for relay quota units instead of money.
pub const QUOTA: &str = "quota";

/// What a quote may be asked to do beyond the usage record (the JavaScript `options`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteOptions {
    /// Price at this time (RFC 3339, or `YYYY-MM-DD`); overrides the record's `at`.
    pub at: Option<String>,
    /// `standard`, `batch`, `flex` or `priority`; overrides the record's.
    pub service_tier: Option<String>,
    /// Region, for regionally priced models; overrides the record's.
    pub region: Option<String>,
    /// Request options that select a price (`{"thinking": "true"}`), added to the record's.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Convert the bill to this currency (`USD`, `CNY`, ...), using `fx`; or `quota` for
    /// relay quota units (the bill converted to the quota's currency first if need be).
    pub currency: Option<String>,
    /// Exchange rates, as the CLI's `--fx` file: `[{from, to, rate, date, source?}]`.
    pub fx: Option<FxTable>,
    /// Quota settings; given without `currency: "quota"`, the quota is reported as well.
    pub quota: Option<QuotaOptions>,
}

/// Relay quota settings (new-api's by default).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuotaOptions {
    /// The user group's multiplier (default 1).
    pub group_ratio: Option<Decimal>,
    /// `floor`, `ceil`, `half_up` (default) or `half_even`.
    pub rounding: Option<String>,
    /// Units per US dollar (default 500,000).
    pub per_unit: Option<Decimal>,
    /// The least a non-zero charge costs, in units (default 1).
    pub minimum: Option<u64>,
}

/// A bill as the calculator returns it: the library's bill, plus its quota when asked.
#[derive(Serialize)]
struct Quoted<'a> {
    #[serde(flatten)]
    bill: &'a Bill,
    #[serde(skip_serializing_if = "Option::is_none")]
    quota: Option<Quota>,
}

/// Parses a time as the CLI's `--at` does.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(format!(
        "at `{s}` is not an RFC 3339 time or a YYYY-MM-DD date"
    ))
}

/// Parses a family name, listing the known ones when it is not one.
pub fn parse_api(s: &str) -> Result<Api, String> {
    Api::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Api::ALL.iter().map(|a| a.name()).collect();
        format!("unknown format `{s}`; formats: {}", names.join(", "))
    })
}

fn parse_tier(t: &str) -> Result<ServiceTier, String> {
    ServiceTier::parse(t)
        .ok_or_else(|| format!("serviceTier `{t}` is not one of standard, batch, flex, priority"))
}

fn parse_options(json: Option<&str>) -> Result<QuoteOptions, String> {
    match json {
        None => Ok(QuoteOptions::default()),
        Some(text) => tariff::strict::from_str(text).map_err(|e| format!("options: {e}")),
    }
}

/// Prices a canonical usage record (`usage_json`) for `model`, with `options_json` (see
/// [`QuoteOptions`]); `now` is the time to price at when neither says (the caller's clock:
/// a WebAssembly module has none of its own). Returns the bill as JSON.
pub fn quote(
    catalog: &Catalog,
    model: &str,
    usage_json: &str,
    options_json: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let usage = Usage::from_json(usage_json).map_err(|e| e.to_string())?;
    price(catalog, model, usage, options_json, now)
}

/// Meters a provider response (with its request, for families priced from it) and prices
/// it as [`quote`] does.
#[cfg(feature = "full")]
pub fn quote_response(
    catalog: &Catalog,
    api: &str,
    model: &str,
    body: &str,
    request: Option<&str>,
    options_json: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let usage = meter(api, body, request)?;
    price(catalog, model, usage, options_json, now)
}

/// The canonical usage record of a provider response, as JSON (what the calculator fills
/// its quantities from).
#[cfg(feature = "full")]
pub fn usage_of_response(api: &str, body: &str, request: Option<&str>) -> Result<String, String> {
    Ok(meter(api, body, request)?.to_json())
}

/// The upper-bound estimate of a request body of the family `api` for `model`, as JSON:
/// `{api, model, counter, usage, parts}` (see `tariff::estimate`); its usage is marked
/// `estimated` and plugs into [`quote`]. `api` may be `auto`: the families the library
/// recognizes the request as (`tariff::extract::detect`) are tried in turn, and the first
/// one's error is reported when none reads it.
#[cfg(feature = "full")]
pub fn estimate(
    catalog: &Catalog,
    api: &str,
    model: &str,
    request: &str,
) -> Result<String, String> {
    let anthropic = catalog
        .model(model)
        .is_ok_and(|m| m.provider() == "anthropic");
    let mut first = None;
    for api in read::request_apis(api, request, anthropic)? {
        match tariff::estimate::estimate_in(catalog, api, model, request.as_bytes()) {
            Ok(est) => return serde_json::to_string(&est).map_err(|e| e.to_string()),
            Err(e) => {
                first.get_or_insert(e.to_string());
            }
        }
    }
    Err(first.unwrap_or_else(|| "no request family to estimate with".into()))
}

#[cfg(feature = "full")]
fn meter(api: &str, body: &str, request: Option<&str>) -> Result<Usage, String> {
    let api = parse_api(api)?;
    extract::extract_with_request(api, body.as_bytes(), request.map(str::as_bytes))
        .map_err(|e| e.to_string())
}

fn price(
    catalog: &Catalog,
    model: &str,
    usage: Usage,
    options_json: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let o = parse_options(options_json)?;
    let (bill, quota) = price_with(catalog, model, usage, &o, now)?;
    serde_json::to_string(&Quoted { bill: &bill, quota }).map_err(|e| e.to_string())
}

/// Prices `usage` for `model` under options already read: the bill (converted when asked)
/// and its quota when asked.
fn price_with(
    catalog: &Catalog,
    model: &str,
    mut usage: Usage,
    o: &QuoteOptions,
    now: DateTime<Utc>,
) -> Result<(Bill, Option<Quota>), String> {
    if let Some(at) = &o.at {
        usage.at = Some(parse_time(at)?);
    }
    usage.at.get_or_insert(now);
    if let Some(t) = &o.service_tier {
        usage.service_tier = Some(parse_tier(t)?);
    }
    if let Some(r) = &o.region {
        usage.region = Some(r.clone());
    }
    usage.options.extend(o.options.clone());
    let mut bill = catalog.quote(model, &usage).map_err(|e| e.to_string())?;

    let want_quota = o.currency.as_deref() == Some(QUOTA) || o.quota.is_some();
    let policy = quota_policy(o.quota.as_ref())?;
    let empty = FxTable::default();
    let fx = o.fx.as_ref().unwrap_or(&empty);
    let to = match o.currency.as_deref() {
        None => None,
        Some(QUOTA) => Some(policy.currency),
        Some(code) => Some(code.parse::<Currency>()?),
    };
    if let Some(to) = to {
        bill = bill.convert(fx, to).map_err(|e| e.to_string())?;
    }
    let quota = if want_quota {
        let in_quota_currency = bill
            .convert(fx, policy.currency)
            .map_err(|e| e.to_string())?;
        Some(
            in_quota_currency
                .quota(&policy)
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    Ok((bill, quota))
}

/// What a model is for, as the ranking filters it: `chat`, `image`, `video`, `audio`, or
/// `other` (embeddings, moderation, rerank). A chat model that also prices audio tokens is
/// `chat` and `audio`; one that writes image tokens is `chat` and `image`.
fn capabilities(m: &Model) -> Vec<&'static str> {
    use tariff::Kind;
    let mut caps = vec![match m.kind() {
        Kind::Chat | Kind::Completion => "chat",
        Kind::Image => "image",
        Kind::Video => "video",
        Kind::Audio | Kind::Music => "audio",
        Kind::Embedding | Kind::Moderation | Kind::Rerank => "other",
    }];
    let prices = |u: Unit| {
        m.schedules().iter().any(|s| match s.prices() {
            Prices::Rates { base, .. } => base.prices(u),
            _ => false,
        })
    };
    if !caps.contains(&"audio")
        && (prices(Unit::AudioInputTokens) || prices(Unit::AudioOutputTokens))
    {
        caps.push("audio");
    }
    if !caps.contains(&"image") && (prices(Unit::ImageOutputTokens) || prices(Unit::Images)) {
        caps.push("image");
    }
    caps
}

/// One model's row in the ranking.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Row<'a> {
    id: &'a str,
    name: Option<&'a str>,
    provider: &'a str,
    kind: tariff::Kind,
    capabilities: Vec<&'static str>,
    currency: String,
    /// The usage's total, an exact decimal string.
    total: String,
    /// Relay quota units, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    quota: Option<Quota>,
    /// The price of 1M input and 1M output tokens under the same conditions (`None` when
    /// the model has no such price).
    input_per_m: Option<String>,
    output_per_m: Option<String>,
    /// The total for `requests` requests, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    projected: Option<Projection>,
}

/// A model that cannot price the usage, and why (the library's own message).
#[derive(Serialize)]
struct Unpriced<'a> {
    id: &'a str,
    provider: &'a str,
    capabilities: Vec<&'static str>,
    reason: String,
}

#[derive(Serialize)]
struct Ranking<'a> {
    rows: Vec<Row<'a>>,
    unpriced: Vec<Unpriced<'a>>,
}

/// Every model of the catalog priced for one usage record (`usage_json`) under the same
/// options as [`quote`], in one call: `{rows, unpriced}`. Rows are ordered by currency then
/// total, cheapest first (exact decimal comparison); each carries the price of 1M input and
/// output tokens under the same conditions, and the total for `requests` requests when
/// given. A model the engine cannot price the usage with is listed in `unpriced` with the
/// library's reason, never dropped.
pub fn rank(
    catalog: &Catalog,
    usage_json: &str,
    options_json: Option<&str>,
    requests: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let usage = Usage::from_json(usage_json).map_err(|e| e.to_string())?;
    let o = parse_options(options_json)?;
    let requests = requests.map(parse_requests).transpose()?;
    // The headline prices are asked in the bill's own currency, never as quota.
    let headline_options = QuoteOptions {
        at: o.at.clone(),
        service_tier: o.service_tier.clone(),
        region: o.region.clone(),
        options: o.options.clone(),
        currency: o.currency.clone().filter(|c| c != QUOTA),
        fx: o.fx.clone(),
        quota: None,
    };
    let per_m = |m: &Model, unit: &str| -> Option<String> {
        let u = Usage::from_json(&format!(r#"{{"{unit}":1000000}}"#)).ok()?;
        let at = usage.at;
        let u = Usage { at, ..u };
        price_with(catalog, m.id(), u, &headline_options, now)
            .ok()
            .map(|(b, _)| b.total().normalize().to_string())
    };
    let mut rows = Vec::new();
    let mut unpriced = Vec::new();
    for m in catalog.models() {
        match price_with(catalog, m.id(), usage.clone(), &o, now) {
            Ok((bill, quota)) => {
                let projected = match requests {
                    Some(n) => Some(projection(&bill, quota.as_ref(), n)?),
                    None => None,
                };
                rows.push((
                    bill.total(),
                    Row {
                        id: m.id(),
                        name: m.name(),
                        provider: m.provider(),
                        kind: m.kind(),
                        capabilities: capabilities(m),
                        currency: bill.currency().to_string(),
                        total: bill.total().normalize().to_string(),
                        quota,
                        input_per_m: per_m(m, "input_tokens"),
                        output_per_m: per_m(m, "output_tokens"),
                        projected,
                    },
                ));
            }
            Err(reason) => unpriced.push(Unpriced {
                id: m.id(),
                provider: m.provider(),
                capabilities: capabilities(m),
                reason,
            }),
        }
    }
    rows.sort_by(|(a, ra), (b, rb)| ra.currency.cmp(&rb.currency).then(a.cmp(b)));
    let ranking = Ranking {
        rows: rows.into_iter().map(|(_, r)| r).collect(),
        unpriced,
    };
    serde_json::to_string(&ranking).map_err(|e| e.to_string())
}

/// A number of requests: a non-negative exact decimal (`"30000"`, `"1.5"`).
fn parse_requests(s: &str) -> Result<Decimal, String> {
    let n = Decimal::from_str_exact(s.trim())
        .map_err(|_| format!("requests `{s}` is not a decimal number"))?;
    if n.is_sign_negative() {
        return Err(format!("requests `{s}` is negative"));
    }
    Ok(n)
}

/// A bill repeated `requests` times: each line's amount and the total multiplied exactly.
#[derive(Serialize)]
struct Projection {
    requests: String,
    currency: String,
    total: String,
    lines: Vec<ProjectedLine>,
    /// Quota units: each request is charged its whole units, so the units times requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    quota_units: Option<String>,
}

#[derive(Serialize)]
struct ProjectedLine {
    item: String,
    unit: &'static str,
    amount: String,
}

fn projection(bill: &Bill, quota: Option<&Quota>, n: Decimal) -> Result<Projection, String> {
    let times = |d: Decimal| {
        d.checked_mul(n)
            .map(|x| x.normalize().to_string())
            .ok_or_else(|| format!("{d} × {n} requests is too large to compute exactly"))
    };
    Ok(Projection {
        requests: n.normalize().to_string(),
        currency: bill.currency().to_string(),
        total: times(bill.total())?,
        lines: bill
            .lines()
            .iter()
            .map(|l| {
                Ok(ProjectedLine {
                    item: l.item(),
                    unit: l.unit().name(),
                    amount: times(l.amount())?,
                })
            })
            .collect::<Result<_, String>>()?,
        quota_units: quota.map(|q| times(Decimal::from(q.units))).transpose()?,
    })
}

/// A usage record priced for `model` and repeated `requests` times (a decimal string):
/// `{requests, currency, total, lines: [{item, unit, amount}], quota_units?}`, every amount
/// the bill's multiplied exactly.
pub fn project(
    catalog: &Catalog,
    model: &str,
    usage_json: &str,
    options_json: Option<&str>,
    requests: &str,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let usage = Usage::from_json(usage_json).map_err(|e| e.to_string())?;
    let o = parse_options(options_json)?;
    let n = parse_requests(requests)?;
    let (bill, quota) = price_with(catalog, model, usage, &o, now)?;
    serde_json::to_string(&projection(&bill, quota.as_ref(), n)?).map_err(|e| e.to_string())
}

/// One schedule of a model, as the price history shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Period {
    from: Option<String>,
    until: Option<String>,
    service_tier: &'static str,
    region: Option<String>,
    currency: String,
    input_per_m: Option<String>,
    output_per_m: Option<String>,
    /// The usage's total priced in this period, or why it cannot be.
    total: Option<String>,
    error: Option<String>,
    source: String,
    as_of: String,
}

/// A model's prices over time, one period per schedule of the service tier asked
/// (`options.serviceTier`, default standard), oldest first: the price of 1M input and
/// output tokens and the total of `usage_json` in each, each quoted by the engine at the
/// period's first instant (or its last, for a period open at the start).
pub fn history(
    catalog: &Catalog,
    model: &str,
    usage_json: &str,
    options_json: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let m = catalog.model(model).map_err(|e| e.to_string())?;
    let usage = Usage::from_json(usage_json).map_err(|e| e.to_string())?;
    let o = parse_options(options_json)?;
    let tier = match &o.service_tier {
        Some(t) => parse_tier(t)?,
        None => ServiceTier::Standard,
    };
    let mut schedules: Vec<_> = m
        .schedules()
        .iter()
        .filter(|s| s.service_tier() == tier)
        .collect();
    schedules.sort_by_key(|s| s.from());
    let day = |t: Option<DateTime<Utc>>| t.map(|t| t.format("%Y-%m-%d").to_string());
    let mut periods = Vec::new();
    for s in schedules {
        let at = match (s.from(), s.until()) {
            (Some(f), _) => f,
            (None, Some(u)) => u - chrono::Duration::seconds(1),
            (None, None) => now,
        };
        let opts = QuoteOptions {
            at: None,
            service_tier: Some(tier.name().to_string()),
            region: s.region().map(String::from).or(o.region.clone()),
            options: o.options.clone(),
            currency: o.currency.clone().filter(|c| c != QUOTA),
            fx: o.fx.clone(),
            quota: None,
        };
        let at_usage = |json: &str| -> Result<Usage, String> {
            let mut u = Usage::from_json(json).map_err(|e| e.to_string())?;
            u.at = Some(at);
            Ok(u)
        };
        let per_m = |unit: &str| {
            at_usage(&format!(r#"{{"{unit}":1000000}}"#))
                .and_then(|u| price_with(catalog, m.id(), u, &opts, now))
                .ok()
                .map(|(b, _)| b.total().normalize().to_string())
        };
        let mut u = usage.clone();
        u.at = Some(at);
        let (total, error) = match price_with(catalog, m.id(), u, &opts, now) {
            Ok((b, _)) => (Some(b.total().normalize().to_string()), None),
            Err(e) => (None, Some(e)),
        };
        periods.push(Period {
            from: day(s.from()),
            until: day(s.until()),
            service_tier: tier.name(),
            region: s.region().map(String::from),
            currency: s.currency().to_string(),
            input_per_m: per_m("input_tokens"),
            output_per_m: per_m("output_tokens"),
            total,
            error,
            source: s.source().to_string(),
            as_of: s.as_of().to_string(),
        });
    }
    /// A model's periods (a struct rather than `json!`: the pricing module then carries no
    /// JSON value tree).
    #[derive(Serialize)]
    struct History<'a> {
        model: &'a str,
        periods: Vec<Period>,
    }
    serde_json::to_string(&History {
        model: m.id(),
        periods,
    })
    .map_err(|e| e.to_string())
}

/// Decimal places of an inverse rate the page computes: more than any bank quotes, few
/// enough that a CNY bill converted at it differs from one at the exact inverse by less
/// than a millionth of a cent per yuan.
pub const FX_INVERSE_PLACES: u32 = 12;

/// The rate in the opposite direction of `rate_json` (an [`FxRate`]), 1 / rate rounded
/// half-even to `places` decimal places, in exact decimal arithmetic; the rounding is
/// stated in the result's `source`. A rate that is not positive is refused.
pub fn fx_inverse(rate_json: &str, places: Option<u32>) -> Result<String, String> {
    let rate: FxRate = tariff::strict::from_str(rate_json).map_err(|e| format!("rate: {e}"))?;
    // A table of one checks the rate as any table's rates are checked.
    FxTable::new(vec![rate.clone()]).map_err(|e| e.to_string())?;
    let inv = rate
        .inverse(places.unwrap_or(FX_INVERSE_PLACES), Rounding::HalfEven)
        .map_err(|e| e.to_string())?;
    serde_json::to_string(&inv).map_err(|e| e.to_string())
}

fn quota_policy(q: Option<&QuotaOptions>) -> Result<QuotaPolicy, String> {
    let mut p = QuotaPolicy::new_api();
    let Some(q) = q else { return Ok(p) };
    if let Some(r) = q.group_ratio {
        p.group_ratio = r;
    }
    if let Some(u) = q.per_unit {
        p.per_unit = u;
    }
    if let Some(m) = q.minimum {
        p.minimum = m;
    }
    if let Some(r) = &q.rounding {
        p.rounding = Rounding::parse(r).ok_or_else(|| {
            format!("rounding `{r}` is not one of floor, ceil, half_up, half_even")
        })?;
    }
    Ok(p)
}

/// The token count of `text` under the encoding of `model` (or the encoding named).
#[cfg(feature = "full")]
pub fn count_tokens(model: &str, text: &str) -> Result<usize, String> {
    let enc = encoding(model)?;
    Ok(enc.count(text))
}

/// The encoding named, or the one `model` uses.
#[cfg(feature = "full")]
pub fn encoding(model: &str) -> Result<Encoding, String> {
    Encoding::from_name(model)
        .or_else(|| Encoding::for_model(model))
        .ok_or_else(|| {
            format!("no exact tokenizer is known for model `{model}`; pass an encoding name (o200k_base, o200k_harmony, cl100k_base) to choose one")
        })
}

/// The most text the token view splits into tokens (the count covers all of it): beyond
/// this a page would draw more spans than anyone reads.
#[cfg(feature = "full")]
pub const TOKEN_VIEW_BYTES: usize = 64 * 1024;

/// One span of the token view: the text of one token (or of several, when their
/// boundaries fall inside a character) and its ids.
#[cfg(feature = "full")]
#[derive(Serialize)]
struct Span<'a> {
    text: &'a str,
    ids: Vec<u32>,
}

/// The tokens of `text` under the encoding named (or `model`'s), for showing them one by
/// one: `{encoding, count, tokens: [{text, ids}], truncated}`. `count` is the exact count
/// of the whole text; the spans cover its first [`TOKEN_VIEW_BYTES`] bytes.
///
/// Each token's byte range comes from the encoder (`Encoding::encode_with_offsets`). A
/// token that ends inside a character (part of an emoji's UTF-8 bytes) is not text on its
/// own, so it shares a span with the tokens up to the character's end: every span is
/// whole characters, and holds several ids only where a character is split.
#[cfg(feature = "full")]
pub fn tokenize(model: &str, text: &str) -> Result<String, String> {
    let enc = encoding(model)?;
    let count = enc.count(text);
    let mut cut = text.len().min(TOKEN_VIEW_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let shown = &text[..cut];
    let mut spans = Vec::new();
    let mut ids = Vec::new();
    let mut start = 0;
    for token in enc.encode_with_offsets(shown) {
        ids.push(token.id);
        // The ranges tile `shown`, so the last one ends at its end, a boundary.
        if shown.is_char_boundary(token.end) {
            let text = shown.get(start..token.end).unwrap_or_default();
            spans.push(Span {
                text,
                ids: std::mem::take(&mut ids),
            });
            start = token.end;
        }
    }
    serde_json::to_string(&serde_json::json!({
        "encoding": enc.name(),
        "count": count,
        "tokens": spans,
        "truncated": cut < text.len(),
    }))
    .map_err(|e| e.to_string())
}

/// The approximate count of `text` for a model without a public tokenizer:
/// `{counter: "approx:<family>", count, reference}` from the library's fitted estimators
/// (`tokens/approx.toml`), or `None` when none covers the model.
#[cfg(feature = "full")]
pub fn approx_count(model: &str, text: &str) -> Option<String> {
    let a = tariff::tokens::Approx::for_model(model)?;
    Some(
        serde_json::json!({
            "counter": format!("approx:{}", a.name()),
            "count": a.count(text),
            "reference": a.reference(),
        })
        .to_string(),
    )
}

/// What the calculator shows of a model: enough to build its inputs.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelInfo<'a> {
    id: &'a str,
    name: Option<&'a str>,
    provider: &'a str,
    kind: tariff::Kind,
    aliases: &'a [String],
    /// The currency of the schedule in force at the time asked (else of the latest one).
    currency: Option<String>,
    service_tiers: Vec<&'static str>,
    regions: Vec<&'a str>,
    /// Every unit some schedule prices, or that falls back to one that is priced.
    units: Vec<&'static str>,
    /// Image variants priced: `{size, quality}`.
    image_variants: Vec<ImageVariant<'a>>,
    /// Video resolutions priced.
    video_resolutions: Vec<&'a str>,
    /// Request options that select prices: `{key: [values]}`.
    options: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// The exact tokenizer, when the model has a public one.
    encoding: Option<&'static str>,
    /// When its first price took effect (`YYYY-MM-DD`; `None` when open-ended): how the
    /// picker orders a family newest first.
    since: Option<String>,
    /// When its last price ends (`None` while it is priced with no end).
    until: Option<String>,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct ImageVariant<'a> {
    size: Option<&'a str>,
    quality: Option<&'a str>,
}

/// Every model of the catalog, as JSON, in table order.
pub fn models(catalog: &Catalog, at: DateTime<Utc>) -> String {
    let list: Vec<ModelInfo> = catalog.models().iter().map(|m| info(m, at)).collect();
    serde_json::to_string(&list).expect("model summaries serialize")
}

/// The summaries of the models named (ids, aliases or dated snapshots; a name the catalog
/// does not know is left out), as JSON: what the page needs for its first quote, without
/// summarizing all the others first.
pub fn models_of(catalog: &Catalog, names: &[String], at: DateTime<Utc>) -> String {
    let list: Vec<ModelInfo> = names
        .iter()
        .filter_map(|n| catalog.model(n).ok())
        .map(|m| info(m, at))
        .collect();
    serde_json::to_string(&list).expect("model summaries serialize")
}

fn info(m: &Model, at: DateTime<Utc>) -> ModelInfo<'_> {
    let mut tiers = BTreeSet::new();
    let mut regions = BTreeSet::new();
    let mut priced = [false; Unit::COUNT];
    let mut images = BTreeSet::new();
    let mut video = BTreeSet::new();
    let mut options: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in m.schedules() {
        tiers.insert(s.service_tier());
        if let Some(r) = s.region() {
            regions.insert(r);
        }
        let Prices::Rates {
            base,
            tiers: context,
            windows,
            options: rules,
        } = s.prices()
        else {
            continue;
        };
        let sets = std::iter::once(base)
            .chain(context.iter().map(|t| t.rates()))
            .chain(windows.iter().map(|w| w.rates()))
            .chain(rules.iter().map(|r| r.rates()));
        for set in sets {
            note(set, &mut priced, &mut images, &mut video);
        }
        for rule in rules {
            for (k, v) in rule.when() {
                options.entry(k.as_str()).or_default().insert(v.as_str());
            }
        }
    }
    let units = Unit::ALL
        .into_iter()
        .filter(|&u| {
            let mut unit = Some(u);
            // Follow the fallback chain (bounded: chains are short and acyclic).
            for _ in 0..Unit::COUNT {
                match unit {
                    Some(x) if priced[x.index()] => return true,
                    Some(x) => unit = m.fallback(x),
                    None => return false,
                }
            }
            false
        })
        .map(Unit::name)
        .collect();
    let currency = m
        .current(at)
        .or_else(|| m.schedules().last())
        .map(|s| s.currency().to_string());
    ModelInfo {
        id: m.id(),
        name: m.name(),
        provider: m.provider(),
        kind: m.kind(),
        aliases: m.aliases(),
        currency,
        service_tiers: tiers.into_iter().map(ServiceTier::name).collect(),
        regions: regions.into_iter().collect(),
        units,
        image_variants: images.into_iter().collect(),
        video_resolutions: video.into_iter().collect(),
        options,
        encoding: Encoding::for_model(m.id()).map(Encoding::name),
        since: m
            .schedules()
            .iter()
            .filter_map(|s| s.from())
            .min()
            .map(|t| t.format("%Y-%m-%d").to_string()),
        until: if m.schedules().iter().any(|s| s.until().is_none()) {
            None
        } else {
            m.schedules()
                .iter()
                .filter_map(|s| s.until())
                .max()
                .map(|t| t.format("%Y-%m-%d").to_string())
        },
    }
}

fn note<'a>(
    set: &'a RateSet,
    priced: &mut [bool; Unit::COUNT],
    images: &mut BTreeSet<ImageVariant<'a>>,
    video: &mut BTreeSet<&'a str>,
) {
    for u in Unit::ALL {
        if set.prices(u) {
            priced[u.index()] = true;
        }
    }
    for v in set.variants(Unit::Images).unwrap_or_default() {
        images.insert(ImageVariant {
            size: v.size(),
            quality: v.quality(),
        });
    }
    for v in set.variants(Unit::VideoSeconds).unwrap_or_default() {
        if let Some(r) = v.resolution() {
            video.insert(r);
        }
    }
}

/// The catalog's own id of a model name or alias (a dated snapshot such as
/// `claude-sonnet-4-5-20250929` included, when the catalog resolves it), or `None`.
pub fn resolve_model(catalog: &Catalog, name: &str) -> Option<String> {
    catalog.model(name).ok().map(|m| m.id().to_string())
}

/// The family names `quoteResponse` accepts.
pub fn apis() -> Vec<&'static str> {
    Api::ALL.iter().map(|a| a.name()).collect()
}

#[cfg(feature = "full")]
pub use read::{detect, read_response};

/// Reading a pasted body whose family may not be known: the library's own family
/// recognition (`tariff::extract::detect`) decides, and what was read is reported with the
/// usage.
#[cfg(feature = "full")]
mod read {
    use serde::Serialize;
    use tariff::extract::{self, Api, Detected, Form};

    /// What a pasted response was read as.
    #[derive(Serialize)]
    struct Read {
        /// The family (`anthropic`, ...).
        api: &'static str,
        /// The library's description of the family ("an Anthropic Messages body").
        description: &'static str,
        /// Whether it was a saved SSE stream, and how many JSON events it held.
        stream: bool,
        events: usize,
        /// The model the body names (`model`, Gemini's `modelVersion`, an Anthropic
        /// stream's `message.model`, a Responses stream's `response.model`).
        model: Option<String>,
        /// The canonical usage record.
        usage: serde_json::Value,
    }

    /// What the library recognizes in a pasted body, for the page.
    #[derive(Serialize)]
    struct Recognized<'a> {
        /// `response`, `stream`, `request` or `other`.
        form: &'static str,
        /// The family, when the markers name exactly one.
        api: Option<&'static str>,
        /// The families it may be (the one of `api`, a group sharing a format, or none).
        candidates: Vec<&'static str>,
        /// The model the body names.
        model: Option<&'a str>,
        /// The stream events holding JSON.
        events: usize,
    }

    fn form_name(form: Form) -> &'static str {
        match form {
            Form::Response => "response",
            Form::Stream => "stream",
            Form::Request => "request",
            _ => "other",
        }
    }

    /// The library's recognition of a pasted body (`tariff::extract::detect`) as JSON:
    /// `{form, api, candidates, model, events}`.
    pub fn detect(body: &str) -> String {
        let d = extract::detect(body.as_bytes());
        let r = Recognized {
            form: form_name(d.form),
            api: d.api.map(Api::name),
            candidates: d.candidates.iter().map(|a| a.name()).collect(),
            model: d.model.as_deref(),
            events: d.events,
        };
        serde_json::to_string(&r).unwrap_or_else(|_| "null".into())
    }

    /// Keys of a usage record that are conditions, not quantities.
    const NOT_QUANTITIES: &[&str] = &[
        "at",
        "service_tier",
        "region",
        "options",
        "estimated",
        "resolution",
    ];

    fn has_quantities(usage: &serde_json::Value) -> bool {
        usage
            .as_object()
            .is_some_and(|o| o.keys().any(|k| !NOT_QUANTITIES.contains(&k.as_str())))
    }

    fn usage_json(u: &tariff::Usage) -> Result<serde_json::Value, String> {
        serde_json::from_str(&u.to_json()).map_err(|e| e.to_string())
    }

    /// The families a request body may be of, most likely first, as the library recognizes
    /// them; for `auto`, a chat request naming no model (OpenAI chat or Anthropic) is tried
    /// as the family of the model it is estimated for first. A pasted response is refused:
    /// it is not a request.
    pub fn request_apis(api: &str, request: &str, anthropic: bool) -> Result<Vec<Api>, String> {
        if api != "auto" {
            return Ok(vec![super::parse_api(api)?]);
        }
        let d = extract::detect(request.as_bytes());
        if let (Form::Response | Form::Stream, Some(a)) = (d.form, d.api) {
            return Err(format!(
                "this is {}{}, not a request: paste it as the response body",
                a.description(),
                kind(d.form == Form::Stream)
            ));
        }
        let mut apis = if d.candidates.is_empty() {
            // Nothing marks it: any family may read it, and each estimator checks its shape.
            Api::ALL.to_vec()
        } else {
            d.candidates
        };
        if d.api.is_none() && anthropic {
            if let Some(i) = apis.iter().position(|a| *a == Api::Anthropic) {
                let a = apis.remove(i);
                apis.insert(0, a);
            }
        }
        Ok(apis)
    }

    /// Reads a pasted response (a JSON body or a saved SSE stream) as the family `api`, or,
    /// for `auto`, as the family the library recognizes (`tariff::extract::detect`: the
    /// markers only one family, or one group sharing a format, writes); a body without
    /// markers is read by the families that find a usage report in it, the first of them.
    /// A body read with no quantity at all is an error: an empty record is never reported
    /// as read.
    pub fn read_response(api: &str, body: &str, request: Option<&str>) -> Result<String, String> {
        if body.trim().is_empty() {
            return Err("the response body is empty".into());
        }
        let d = extract::detect(body.as_bytes());
        let stream = d.form == Form::Stream;
        let meter =
            |a: Api| extract::extract_with_request(a, body.as_bytes(), request.map(str::as_bytes));
        let (api, usage) = if api == "auto" {
            auto(&d, body, &meter)?
        } else {
            let a = super::parse_api(api)?;
            (a, usage_json(&meter(a).map_err(|e| e.to_string())?)?)
        };
        if !has_quantities(&usage) {
            return Err(format!(
                "read as {}{}, but it reports no usage: nothing to fill",
                api.description(),
                kind(stream)
            ));
        }
        let read = Read {
            api: api.name(),
            description: api.description(),
            stream,
            events: d.events,
            model: d.model,
            usage,
        };
        serde_json::to_string(&read).map_err(|e| e.to_string())
    }

    /// The family `detect` recognized, and the usage it reads.
    fn auto(
        d: &Detected,
        body: &str,
        meter: &dyn Fn(Api) -> Result<tariff::Usage, extract::ExtractError>,
    ) -> Result<(Api, serde_json::Value), String> {
        let stream = d.form == Form::Stream;
        match d.form {
            Form::Request => {
                let names: Vec<&str> = d.candidates.iter().map(|a| a.name()).collect();
                return Err(format!(
                    "this is a request ({}), not a response: paste it as the request to estimate it",
                    names.join(" or ")
                ));
            }
            Form::Other if body.trim_start().starts_with(['[', '"']) => {
                return Err(
                    "the body is JSON but not an object: paste the whole response body".into(),
                );
            }
            _ => {}
        }
        if d.candidates.is_empty() {
            // No family's markers: the first family that finds a usage report in it.
            for a in Api::ALL {
                if let Ok(u) = meter(a) {
                    let u = usage_json(&u)?;
                    if has_quantities(&u) {
                        return Ok((a, u));
                    }
                }
            }
            return Err(format!(
                "the format of this {} could not be told: it carries no family's markers and no format finds a usage report in it; choose the format",
                if stream { "stream" } else { "body" }
            ));
        }
        // The markers name the family, or a group sharing a format: the first of them that
        // reads a usage; else the first one's answer, success or error, is the answer.
        let mut first = None;
        for &a in &d.candidates {
            let read = meter(a)
                .map_err(|e| e.to_string())
                .and_then(|u| usage_json(&u));
            match read {
                Ok(u) if has_quantities(&u) => return Ok((a, u)),
                r => {
                    first.get_or_insert((a, r));
                }
            }
        }
        match first {
            Some((a, Ok(u))) => Ok((a, u)),
            Some((a, Err(e))) => Err(format!(
                "this looks like {}{}, but: {e}",
                a.description(),
                kind(stream)
            )),
            None => unreachable!("candidates is not empty"),
        }
    }

    fn kind(stream: bool) -> &'static str {
        if stream {
            " (a saved stream)"
        } else {
            ""
        }
    }
}

// The tests read responses and count tokens: they need the full module's features.
#[cfg(all(test, feature = "full"))]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        parse_time("2025-11-01").unwrap()
    }

    #[test]
    fn the_embedded_tables_load_as_the_toml_files() {
        // The module embeds the JSON form of the tables; the files are the source of truth.
        // Every provider file, as `build.rs` embeds them: not the disagreements file beside
        // them, which `tariff sources check` reads.
        let mut paths: Vec<_> = std::fs::read_dir("../pricing")
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter(|p| !p.ends_with("disagreements.toml"))
            .collect();
        paths.sort();
        let files = paths
            .iter()
            .fold(Catalog::builder(), |b, p| b.path(p))
            .build()
            .unwrap();
        assert!(files.models().len() > 100);
        assert_eq!(catalog().models(), files.models());
    }

    fn quoted(model: &str, usage: &str, options: Option<&str>) -> serde_json::Value {
        let c = catalog();
        serde_json::from_str(&quote(c, model, usage, options, now()).unwrap()).unwrap()
    }

    #[test]
    fn a_quote_is_the_library_bill_with_decimal_strings() {
        // 1000 × $3/M + 400 × $15/M (claude-sonnet-4-5, as in the library's own example).
        let v = quoted(
            "claude-sonnet-4-5",
            r#"{"input_tokens":1000,"output_tokens":400}"#,
            None,
        );
        assert_eq!(v["total"], "0.009");
        assert_eq!(v["currency"], "USD");
        assert_eq!(v["lines"][0]["item"], "input_tokens");
        assert_eq!(v["lines"][0]["amount"], "0.003");
        assert_eq!(v["at"], "2025-11-01T00:00:00Z");
        assert!(v.get("quota").is_none());
    }

    #[test]
    fn quota_and_conversion() {
        // $0.009 × 500,000 = 4,500 units; × 0.5 group ratio = 2,250.
        let v = quoted(
            "claude-sonnet-4-5",
            r#"{"input_tokens":1000,"output_tokens":400}"#,
            Some(r#"{"currency":"quota","quota":{"groupRatio":"0.5"}}"#),
        );
        assert_eq!(v["quota"]["units"], 2250);
        let fx = r#"[{"from":"USD","to":"CNY","rate":"7.1","date":"2025-01-01"}]"#;
        let v = quoted(
            "claude-sonnet-4-5",
            r#"{"input_tokens":1000,"output_tokens":400}"#,
            Some(&format!(r#"{{"currency":"CNY","fx":{fx}}}"#)),
        );
        assert_eq!(v["currency"], "CNY");
        assert_eq!(v["total"], "0.0639");
    }

    #[test]
    fn fx_rates_that_would_make_bills_negative_free_or_ambiguous_are_refused() {
        let usage = r#"{"input_tokens":1000,"output_tokens":400}"#;
        for (fx, needle) in [
            (
                r#"[{"from":"USD","to":"CNY","rate":"-7.1","date":"2025-01-01"}]"#,
                "must be positive",
            ),
            (
                r#"[{"from":"USD","to":"CNY","rate":0,"date":"2025-01-01"}]"#,
                "must be positive",
            ),
            (
                r#"[{"from":"USD","to":"CNY","rate":"7.1","date":"2025-01-01"},{"from":"USD","to":"CNY","rate":"7.2","date":"2025-01-01"}]"#,
                "given twice",
            ),
        ] {
            let opts = format!(r#"{{"currency":"CNY","fx":{fx}}}"#);
            let e = quote(catalog(), "claude-sonnet-4-5", usage, Some(&opts), now()).unwrap_err();
            assert!(e.contains(needle), "{fx}: {e}");
        }
    }

    #[test]
    fn the_page_inverts_a_rate_in_exact_decimal() {
        let inv: serde_json::Value = serde_json::from_str(
            &fx_inverse(
                r#"{"from":"USD","to":"CNY","rate":"7.1","date":"2025-01-01"}"#,
                None,
            )
            .unwrap(),
        )
        .unwrap();
        // 1 / 7.1 = 0.140845070422|535211…: to 12 places the rest (0.535… of the last
        // place) is above half, so it rounds up.
        assert_eq!(inv["rate"], "0.140845070423");
        assert_eq!(inv["from"], "CNY");
        assert!(inv["source"]
            .as_str()
            .unwrap()
            .contains("half_even to 12 places"));
        let e = fx_inverse(
            r#"{"from":"USD","to":"CNY","rate":"0","date":"2025-01-01"}"#,
            None,
        )
        .unwrap_err();
        assert!(e.contains("must be positive"), "{e}");
    }

    #[test]
    fn errors_are_the_library_messages() {
        let c = catalog();
        let e = quote(c, "claude-sonet-4-5", "{}", None, now()).unwrap_err();
        let native = c.model("claude-sonet-4-5").unwrap_err().to_string();
        assert_eq!(e, native);
        assert!(e.contains("claude-sonnet-4-5"), "{e}");
        let e = quote(c, "gpt-4o", r#"{"input_tokenz":1}"#, None, now()).unwrap_err();
        assert_eq!(
            e,
            Usage::from_json(r#"{"input_tokenz":1}"#)
                .unwrap_err()
                .to_string()
        );
        let e = quote(c, "gpt-4o", "{}", Some(r#"{"serviceTier":"turbo"}"#), now()).unwrap_err();
        assert!(e.contains("turbo"), "{e}");
        let e = quote(c, "gpt-4o", "{}", Some(r#"{"currency":"CNY"}"#), now()).unwrap_err();
        assert!(e.contains("CNY"), "{e}");
        assert!(parse_api("openai").unwrap_err().contains("openai-chat"));
        assert!(count_tokens("claude-sonnet-4-5", "x").is_err());
    }

    #[test]
    fn responses_are_metered_then_priced() {
        let body = r#"{"object":"chat.completion","model":"gpt-4o","usage":{"prompt_tokens":1000,
          "completion_tokens":300,"total_tokens":1300,"prompt_tokens_details":{"cached_tokens":600}}}"#;
        let usage: serde_json::Value =
            serde_json::from_str(&usage_of_response("openai-chat", body, None).unwrap()).unwrap();
        assert_eq!(usage["input_tokens"], 400);
        assert_eq!(usage["cache_read_tokens"], 600);
        let c = catalog();
        let via_response: serde_json::Value = serde_json::from_str(
            &quote_response(c, "openai-chat", "gpt-4o", body, None, None, now()).unwrap(),
        )
        .unwrap();
        let direct = quoted("gpt-4o", &usage.to_string(), None);
        assert_eq!(via_response, direct);
    }

    #[test]
    fn request_estimates_are_the_library_ones_and_price_as_estimated() {
        let request = r#"{"model":"gpt-4o","max_tokens":500,"messages":[{"role":"user","content":"Hello there"}]}"#;
        let v: serde_json::Value =
            serde_json::from_str(&estimate(catalog(), "openai-chat", "gpt-4o", request).unwrap())
                .unwrap();
        let native = tariff::estimate::estimate(
            tariff::extract::Api::OpenAiChat,
            "gpt-4o",
            request.as_bytes(),
        )
        .unwrap();
        assert_eq!(v, serde_json::to_value(&native).unwrap());
        assert_eq!(v["usage"]["output_tokens"], 500);
        let bill = quoted("gpt-4o", &v["usage"].to_string(), None);
        assert_eq!(bill["estimated"], true);
        let e = estimate(catalog(), "openai-chat", "gpt-4o", "{not json").unwrap_err();
        assert_eq!(
            e,
            tariff::estimate::estimate(tariff::extract::Api::OpenAiChat, "gpt-4o", b"{not json")
                .unwrap_err()
                .to_string()
        );
    }

    /// The module's tables come from the snapshot build.rs wrote: the same models, and
    /// every name resolving to the same model, as the tables read and validated.
    #[test]
    fn the_snapshot_holds_the_builtin_tables() {
        let (snap, read) = (catalog(), Catalog::builtin());
        assert_eq!(snap.models(), read.models());
        for m in read.models() {
            for name in std::iter::once(m.id()).chain(m.aliases().iter().map(|a| &**a)) {
                assert_eq!(
                    snap.resolve(name).map(Model::id),
                    read.resolve(name).map(Model::id),
                    "{name}"
                );
            }
        }
        assert_eq!(snap.suggest("gpt-4.1-mimi"), read.suggest("gpt-4.1-mimi"));
    }

    #[test]
    fn model_summaries_name_their_units() {
        let list: Vec<serde_json::Value> = serde_json::from_str(&models(catalog(), now())).unwrap();
        assert_eq!(list.len(), Catalog::builtin().models().len());
        let o4 = list.iter().find(|m| m["id"] == "o4-mini").unwrap();
        let units: Vec<&str> = o4["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap())
            .collect();
        // Reasoning has no rate of its own but falls back to output.
        for u in [
            "input_tokens",
            "cache_read_tokens",
            "output_tokens",
            "reasoning_tokens",
        ] {
            assert!(units.contains(&u), "{units:?}");
        }
        assert!(!units.contains(&"video_seconds"));
        assert_eq!(o4["encoding"], "o200k_base");
        assert!(o4["serviceTiers"]
            .as_array()
            .unwrap()
            .contains(&"batch".into()));
    }

    #[test]
    fn counts_match_the_library() {
        let text = "Hello, world! Prices are data.";
        assert_eq!(
            count_tokens("gpt-4o", text).unwrap(),
            Encoding::O200kBase.count(text)
        );
        assert_eq!(
            count_tokens("cl100k_base", text).unwrap(),
            Encoding::Cl100kBase.count(text)
        );
    }

    fn read(api: &str, fixture: &str) -> Result<serde_json::Value, String> {
        let body =
            std::fs::read_to_string(format!("../tests/fixtures/responses/{fixture}")).unwrap();
        read_response(api, &body, None).map(|s| serde_json::from_str(&s).unwrap())
    }

    #[test]
    fn pasted_streams_are_recognized_by_the_library_markers_with_their_model() {
        // regression: an Anthropic stream was tried as OpenAI first; its model was not read.
        let v = read("auto", "anthropic-stream.sse").unwrap();
        assert_eq!(v["api"], "anthropic");
        assert_eq!(v["stream"], true);
        assert_eq!(v["model"], "claude-sonnet-4-5-20250929");
        assert_eq!(v["usage"]["cache_read_tokens"], 3000);
        let v = read("auto", "openai-chat-stream.sse").unwrap();
        assert_eq!(
            (v["api"].as_str(), v["model"].as_str()),
            (Some("openai-chat"), Some("o4-mini-2025-04-16"))
        );
        let v = read("auto", "openai-responses-stream.sse").unwrap();
        assert_eq!(
            (v["api"].as_str(), v["model"].as_str()),
            (Some("openai-responses"), Some("gpt-4.1-2025-04-14"))
        );
        let v = read("auto", "gemini-stream.sse").unwrap();
        assert_eq!(v["api"], "gemini");
        assert!(v["model"].is_string(), "{v}");
        let v = read("auto", "anthropic.json").unwrap();
        assert_eq!(
            (v["api"].as_str(), v["stream"].as_bool()),
            (Some("anthropic"), Some(false))
        );
        // The dated snapshot resolves to the catalog's model.
        assert_eq!(
            resolve_model(catalog(), "claude-sonnet-4-5-20250929").as_deref(),
            Some("claude-sonnet-4-5")
        );
    }

    #[test]
    fn a_body_without_usage_is_an_error_not_an_empty_record() {
        let e = read_response(
            "auto",
            r#"{"object":"chat.completion","model":"gpt-4o","choices":[]}"#,
            None,
        )
        .unwrap_err();
        assert!(e.contains("OpenAI chat completion"), "{e}");
        let e = read_response("auto", r#"{"hello":"world"}"#, None).unwrap_err();
        assert!(e.contains("could not be told"), "{e}");
        let e = read_response("auto", "   ", None).unwrap_err();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn pasted_bodies_are_read_as_the_library_detects_them() {
        // The page's `auto` reading is the library's recognition, not its own: for every
        // response fixture whose markers name a family, `read_response` reads that family
        // and the model `tariff::extract::detect` finds, and `detect` reports the same.
        let mut named = 0;
        for entry in std::fs::read_dir("../tests/fixtures/responses").unwrap() {
            let path = entry.unwrap().path();
            // Folders (images/, video/) and audio bytes are not pasted as text.
            let Ok(body) = std::fs::read_to_string(&path) else {
                continue;
            };
            let d = tariff::extract::detect(body.as_bytes());
            let page: serde_json::Value = serde_json::from_str(&detect(&body)).unwrap();
            assert_eq!(page["api"].as_str(), d.api.map(Api::name), "{path:?}");
            assert_eq!(page["model"].as_str(), d.model.as_deref(), "{path:?}");
            assert_eq!(page["events"], d.events, "{path:?}");
            let (Some(api), Ok(read)) = (d.api, read_response("auto", &body, None)) else {
                continue;
            };
            let read: serde_json::Value = serde_json::from_str(&read).unwrap();
            assert_eq!(read["api"], api.name(), "{path:?}");
            assert_eq!(read["model"].as_str(), d.model.as_deref(), "{path:?}");
            assert_eq!(read["events"], d.events, "{path:?}");
            named += 1;
        }
        assert!(
            named >= 15,
            "{named} fixtures read by their detected family"
        );
        let v: serde_json::Value = serde_json::from_str(&detect(
            &std::fs::read_to_string("../tests/fixtures/responses/anthropic-stream.sse").unwrap(),
        ))
        .unwrap();
        assert_eq!(
            (v["form"].as_str(), v["api"].as_str()),
            (Some("stream"), Some("anthropic"))
        );
        assert_eq!(v["candidates"], serde_json::json!(["anthropic"]));
    }

    #[test]
    fn a_request_and_a_response_are_told_apart() {
        // A request pasted as the response is not read as one (its `model` and `messages`
        // carry no usage); a response pasted as the request is not estimated.
        let request = r#"{"model":"claude-sonnet-4-5","max_tokens":300,"messages":[{"role":"user","content":"Hi"}]}"#;
        let e = read_response("auto", request, None).unwrap_err();
        assert!(
            e.contains("a request (openai-chat or anthropic), not a response"),
            "{e}"
        );
        let body = std::fs::read_to_string("../tests/fixtures/responses/anthropic.json").unwrap();
        let e = estimate(catalog(), "auto", "claude-sonnet-4-5", &body).unwrap_err();
        assert!(e.contains("not a request"), "{e}");
    }

    #[test]
    fn requests_are_estimated_as_the_family_the_library_recognizes() {
        // regression: an Anthropic request was estimated as an OpenAI chat request.
        let anthropic = r#"{"model":"claude-sonnet-4-5","max_tokens":300,"system":"Be brief.","messages":[{"role":"user","content":"Hello there"}]}"#;
        let v: serde_json::Value = serde_json::from_str(
            &estimate(catalog(), "auto", "claude-sonnet-4-5", anthropic).unwrap(),
        )
        .unwrap();
        assert_eq!(v["api"], "anthropic");
        let native =
            tariff::estimate::estimate(Api::Anthropic, "claude-sonnet-4-5", anthropic.as_bytes())
                .unwrap();
        assert_eq!(v, serde_json::to_value(&native).unwrap());
        // A chat request naming no model may be either: the model it is estimated for
        // decides which is tried first.
        let unnamed = r#"{"max_tokens":300,"messages":[{"role":"user","content":"Hello there"}]}"#;
        let est = |model| -> serde_json::Value {
            serde_json::from_str(&estimate(catalog(), "auto", model, unnamed).unwrap()).unwrap()
        };
        assert_eq!(est("claude-sonnet-4-5")["api"], "anthropic");
        assert_eq!(est("gpt-4.1")["api"], "openai-chat");
        // Gemini's `contents`.
        let gemini = r#"{"contents":[{"role":"user","parts":[{"text":"Hello there"}]}]}"#;
        let v: serde_json::Value =
            serde_json::from_str(&estimate(catalog(), "auto", "gemini-2.5-flash", gemini).unwrap())
                .unwrap();
        assert_eq!(v["api"], "gemini");
        // A family named explicitly is the only one tried.
        let e = estimate(catalog(), "gemini", "gpt-4.1", unnamed).unwrap_err();
        assert!(
            e.contains("contents") || e.contains("gemini") || e.contains("Gemini"),
            "{e}"
        );
    }

    #[test]
    fn the_models_named_are_summarized_as_in_the_full_list() {
        let all: Vec<serde_json::Value> = serde_json::from_str(&models(catalog(), now())).unwrap();
        let names = [
            "claude-sonnet-4-5-20250929".to_string(),
            "gpt-4.1".into(),
            "nope".into(),
        ];
        let some: Vec<serde_json::Value> =
            serde_json::from_str(&models_of(catalog(), &names, now())).unwrap();
        assert_eq!(some.len(), 2);
        for m in &some {
            assert!(all.contains(m), "{m}");
        }
        assert_eq!(some[0]["id"], "claude-sonnet-4-5");
    }

    #[test]
    fn every_model_is_ranked_or_listed_with_why() {
        let v: serde_json::Value = serde_json::from_str(
            &rank(
                catalog(),
                r#"{"input_tokens":1000,"output_tokens":400}"#,
                Some(r#"{"at":"2025-11-01"}"#),
                Some("30000"),
                now(),
            )
            .unwrap(),
        )
        .unwrap();
        let rows = v["rows"].as_array().unwrap();
        let unpriced = v["unpriced"].as_array().unwrap();
        // Nothing dropped: every model is either priced or listed with a reason.
        assert_eq!(rows.len() + unpriced.len(), catalog().models().len());
        assert!(rows.len() > 100, "{}", rows.len());
        let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap().clone();
        // gpt-4.1: 1000 × $2/M + 400 × $8/M = 0.002 + 0.0032 = 0.0052; × 30,000 = 156.
        let g = row("gpt-4.1");
        assert_eq!(g["total"], "0.0052");
        assert_eq!(g["inputPerM"], "2");
        assert_eq!(g["outputPerM"], "8");
        assert_eq!(g["projected"]["total"], "156");
        assert_eq!(g["capabilities"][0], "chat");
        // claude-sonnet-4-5: 1000 × $3/M + 400 × $15/M = 0.009.
        assert_eq!(row("claude-sonnet-4-5")["total"], "0.009");
        // Cheapest first within a currency, compared as exact decimals.
        for w in rows.windows(2) {
            if w[0]["currency"] == w[1]["currency"] {
                let a: Decimal = w[0]["total"].as_str().unwrap().parse().unwrap();
                let b: Decimal = w[1]["total"].as_str().unwrap().parse().unwrap();
                assert!(a <= b, "{} before {}", w[0]["id"], w[1]["id"]);
            }
        }
        // A video model cannot price tokens: it is listed, with the library's reason.
        let sora = unpriced.iter().find(|r| r["id"] == "sora-2").unwrap();
        assert!(
            sora["reason"].as_str().unwrap().contains("input_tokens"),
            "{sora}"
        );
        assert_eq!(sora["capabilities"][0], "video");
        let e = rank(catalog(), "{}", None, Some("-1"), now()).unwrap_err();
        assert!(e.contains("negative"), "{e}");
    }

    #[test]
    fn a_projection_multiplies_every_line_exactly() {
        // gpt-4.1 at 2025-11-01: 1000 × $2/M = 0.002 and 400 × $8/M = 0.0032 a request;
        // 1,234,567 requests: 2469.134 + 3950.6144 = 6419.7484.
        let projected = |options: Option<&str>| -> serde_json::Value {
            let usage = r#"{"input_tokens":1000,"output_tokens":400}"#;
            let p = project(catalog(), "gpt-4.1", usage, options, "1234567", now()).unwrap();
            serde_json::from_str(&p).unwrap()
        };
        let v = projected(None);
        assert_eq!(v["total"], "6419.7484");
        assert_eq!(v["lines"][0]["amount"], "2469.134");
        assert_eq!(v["lines"][1]["amount"], "3950.6144");
        // Quota: 0.0052 × 500,000 = 2,600 units a request; × 1,234,567.
        let v = projected(Some(r#"{"currency":"quota"}"#));
        assert_eq!(v["quota_units"], "3209874200");
    }

    #[test]
    fn history_prices_the_usage_in_each_period() {
        let v: serde_json::Value = serde_json::from_str(
            &history(
                catalog(),
                "gpt-4.1",
                r#"{"input_tokens":1000,"output_tokens":400}"#,
                None,
                now(),
            )
            .unwrap(),
        )
        .unwrap();
        let periods = v["periods"].as_array().unwrap();
        assert!(!periods.is_empty());
        let p = periods.last().unwrap();
        assert_eq!(p["inputPerM"], "2");
        assert_eq!(p["total"], "0.0052");
        assert!(p["source"].as_str().unwrap().contains("openai"), "{p}");
        // Oldest first.
        for w in periods.windows(2) {
            assert!(w[0]["from"].as_str() <= w[1]["from"].as_str());
        }
    }

    #[test]
    fn the_token_view_covers_the_text_with_the_encoder_ids() {
        for enc in ["o200k_base", "o200k_harmony", "cl100k_base"] {
            // ASCII, CJK, an emoji whose tokens split inside its bytes, a long run.
            let text = format!(
                "Hello, world! 价格是数据。 🦀🦀 naïve{}x{}",
                " ".repeat(100),
                " ".repeat(300)
            );
            let v: serde_json::Value =
                serde_json::from_str(&tokenize(enc, &text).unwrap()).unwrap();
            let spans = v["tokens"].as_array().unwrap();
            let joined: String = spans.iter().map(|t| t["text"].as_str().unwrap()).collect();
            assert_eq!(joined, text, "{enc}");
            let ids: Vec<u32> = spans
                .iter()
                .flat_map(|t| t["ids"].as_array().unwrap().iter())
                .map(|i| i.as_u64().unwrap() as u32)
                .collect();
            let e = Encoding::from_name(enc).unwrap();
            assert_eq!(ids, e.encode(&text), "{enc}");
            assert_eq!(v["count"], e.count(&text));
            assert_eq!(v["truncated"], false);
            // A span holds several tokens only where a token ends inside a character (the
            // crab's four bytes); the long runs of spaces are split token by token.
            let mut crabs = 0;
            for t in spans {
                let text = t["text"].as_str().unwrap();
                let n = t["ids"].as_array().unwrap().len();
                assert!(n >= 1, "{enc}: {t}");
                if n > 1 {
                    assert_eq!(text.trim(), "🦀", "{enc}: {t}");
                    crabs += 1;
                }
            }
            assert_eq!(crabs, 2, "{enc}: both crabs are split inside their bytes");
        }
        let long = "ab ".repeat(TOKEN_VIEW_BYTES);
        let v: serde_json::Value =
            serde_json::from_str(&tokenize("gpt-4o", &long).unwrap()).unwrap();
        assert_eq!(v["truncated"], true);
        assert_eq!(v["count"], Encoding::O200kBase.count(&long));
        assert!(approx_count("claude-sonnet-4-5", "hello")
            .unwrap()
            .contains("approx:claude"));
    }
}
