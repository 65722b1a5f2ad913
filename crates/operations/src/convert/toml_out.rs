//! Writing a [`Table`] as price-table TOML that the catalog loader reads back exactly.

use std::fmt::Write;

use rust_decimal::Decimal;

use super::{Rates, Table, TableSchedule, VariantPrice};
use crate::usage::ServiceTier;

impl Table {
    /// The table as TOML in the schema of `pricing/README.md`.
    ///
    /// ```
    /// use tariff_operations::convert::{Rates, Table, TableModel, TableSchedule};
    /// use tariff_core::{Catalog, Currency, Kind, ServiceTier, Unit, Usage};
    /// use chrono::NaiveDate;
    ///
    /// let mut rates = Rates::default();
    /// rates.scalar.insert(Unit::InputTokens, "2.5".parse().unwrap());
    /// let table = Table {
    ///     provider: "relay".into(), name: None, currency: Currency::USD,
    ///     fallbacks: Default::default(), header: vec!["my prices".into()],
    ///     models: vec![TableModel {
    ///         id: "my-model".into(), kind: Kind::Chat, aliases: vec![], patterns: vec![],
    ///         replaces: false,
    ///         schedules: vec![TableSchedule {
    ///             service_tier: ServiceTier::Standard, from: None, source: "prices.json".into(),
    ///             as_of: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), rates,
    ///             tiers: vec![], windows: vec![], options: vec![],
    ///         }],
    ///     }],
    /// };
    /// let catalog = Catalog::builder().text("relay.toml", table.to_toml()).build().unwrap();
    /// let bill = catalog.quote("my-model", &Usage::from_json(r#"{"input_tokens": 1000}"#).unwrap()).unwrap();
    /// assert_eq!(bill.total().to_string(), "0.0025");
    /// ```
    pub fn to_toml(&self) -> String {
        let mut o = String::new();
        for h in &self.header {
            // A comment ends at a line break: a control character in a header line (a
            // model name an importer reports) is written escaped, so it cannot end the
            // comment and write table text of its own.
            let _ = write!(o, "# ");
            for c in h.chars() {
                if c.is_control() {
                    let _ = write!(o, "{}", c.escape_debug());
                } else {
                    o.push(c);
                }
            }
            o.push('\n');
        }
        if !self.header.is_empty() {
            o.push('\n');
        }
        let _ = writeln!(o, "provider = {}", string(&self.provider));
        if let Some(n) = &self.name {
            let _ = writeln!(o, "name = {}", string(n));
        }
        let _ = writeln!(o, "currency = {}", string(self.currency.as_str()));
        if !self.fallbacks.is_empty() {
            o.push_str("\n[fallbacks]\n");
            for (from, to) in &self.fallbacks {
                let _ = writeln!(o, "{from} = {}", string(to.name()));
            }
        }
        for m in &self.models {
            o.push_str("\n[[model]]\n");
            let _ = writeln!(o, "id = {}", string(&m.id));
            let kind = serde_json::to_value(m.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "chat".into());
            let _ = writeln!(o, "kind = {}", string(&kind));
            if !m.aliases.is_empty() {
                let _ = writeln!(o, "aliases = {}", list(&m.aliases));
            }
            if !m.patterns.is_empty() {
                let _ = writeln!(o, "patterns = {}", list(&m.patterns));
            }
            if m.replaces {
                o.push_str("replaces = true\n");
            }
            for s in &m.schedules {
                schedule(&mut o, s);
            }
        }
        o
    }
}

fn schedule(o: &mut String, s: &TableSchedule) {
    o.push_str("\n[[model.price]]\n");
    if s.service_tier != ServiceTier::Standard {
        let _ = writeln!(o, "service_tier = {}", string(s.service_tier.name()));
    }
    if let Some(f) = s.from {
        let _ = writeln!(o, "from = {}", f.format("%Y-%m-%d"));
    }
    let _ = writeln!(o, "source = {}", string(&s.source));
    let _ = writeln!(o, "as_of = {}", s.as_of.format("%Y-%m-%d"));
    let _ = writeln!(o, "rates = {}", rates(&s.rates));
    for t in &s.tiers {
        o.push_str("\n[[model.price.tier]]\n");
        let _ = writeln!(o, "name = {}", string(&t.name));
        let _ = writeln!(o, "above = {}", t.above);
        let counts: Vec<String> = t.counts.iter().map(|u| u.name().to_string()).collect();
        let _ = writeln!(o, "counts = {}", list(&counts));
        let _ = writeln!(o, "rates = {}", rates(&t.rates));
    }
    for w in &s.windows {
        o.push_str("\n[[model.price.window]]\n");
        let _ = writeln!(o, "name = {}", string(&w.name));
        let _ = writeln!(o, "utc_offset = {}", string(&w.utc_offset));
        let _ = writeln!(o, "start = {}", string(&w.start));
        let _ = writeln!(o, "end = {}", string(&w.end));
        if !w.days.is_empty() {
            let days: Vec<String> = w
                .days
                .iter()
                .map(|d| d.to_string().to_ascii_lowercase())
                .collect();
            let _ = writeln!(o, "days = {}", list(&days));
        }
        let _ = writeln!(o, "rates = {}", rates(&w.rates));
    }
    for opt in &s.options {
        o.push_str("\n[[model.price.option]]\n");
        let _ = writeln!(o, "name = {}", string(&opt.name));
        let when: Vec<String> = opt
            .when
            .iter()
            .map(|(k, v)| format!("{} = {}", key(k), string(v)))
            .collect();
        let _ = writeln!(o, "when = {{ {} }}", when.join(", "));
        let _ = writeln!(o, "rates = {}", rates(&opt.rates));
    }
}

fn rates(r: &Rates) -> String {
    let mut parts: Vec<String> = r
        .scalar
        .iter()
        .map(|(u, p)| format!("{u} = {}", number(*p)))
        .collect();
    if !r.images.is_empty() {
        parts.push(format!("images = {}", variants(&r.images)));
    }
    if !r.video.is_empty() {
        parts.push(format!("video_seconds = {}", variants(&r.video)));
    }
    format!("{{ {} }}", parts.join(", "))
}

fn variants(vs: &[VariantPrice]) -> String {
    let items: Vec<String> = vs
        .iter()
        .map(|v| {
            let mut f = Vec::new();
            for (k, val) in [
                ("size", &v.size),
                ("quality", &v.quality),
                ("resolution", &v.resolution),
            ] {
                if let Some(val) = val {
                    f.push(format!("{k} = {}", string(val)));
                }
            }
            f.push(format!("price = {}", number(v.price)));
            format!("{{ {} }}", f.join(", "))
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// A price as TOML: a bare number when the loader's float reading gives back the same
/// decimal (up to 15 significant digits), otherwise a decimal string, which it reads exactly.
fn number(d: Decimal) -> String {
    let d = d.normalize();
    let text = d.to_string();
    let digits = text.trim_start_matches(['0', '.']).replace('.', "").len();
    if digits <= 15 {
        text
    } else {
        format!("\"{text}\"")
    }
}

/// A TOML basic string.
fn string(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(o, "\\u{:04X}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A TOML key: bare when it can be, quoted otherwise.
fn key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        string(k)
    }
}

fn list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| string(s)).collect();
    format!("[{}]", v.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_strings() {
        assert_eq!(number("0.30".parse().unwrap()), "0.3");
        assert_eq!(number("3".parse().unwrap()), "3");
        assert_eq!(
            number("2.666666666666666666666666667".parse().unwrap()),
            "\"2.666666666666666666666666667\""
        );
        assert_eq!(
            number("0.000000123456789012345".parse().unwrap()),
            "0.000000123456789012345"
        );
        assert_eq!(
            number("0.0000001234567890123456".parse().unwrap()),
            "\"0.0000001234567890123456\""
        );
        assert_eq!(string("a\"b\\c\u{1}"), "\"a\\\"b\\\\c\\u0001\"");
        assert_eq!(key("search_context_size"), "search_context_size");
        assert_eq!(key("a.b"), "\"a.b\"");
    }
}
