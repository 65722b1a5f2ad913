//! The reconciliation report as one self-contained HTML page: no script, no stylesheet or
//! font from elsewhere, charts as inline SVG. Every text that comes from a log (model
//! names, groups, reasons, request ids) is escaped; the page is also well-formed XML, so a
//! strict parser can check it.

use std::fmt::Write as _;

use super::report::{ExactSum, Margin, Report};
use super::{Class, RelayClass};

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // Control characters are not allowed in XML; shown as a replacement.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t') => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// An `f64` for drawing only (bar lengths); amounts are always printed from the exact sum.
fn approx(s: &ExactSum) -> f64 {
    s.to_decimal()
        .and_then(|d| rust_decimal::prelude::ToPrimitive::to_f64(&d))
        .filter(|f| f.is_finite())
        .unwrap_or(0.0)
}

/// Horizontal bars of margin per label: positive right of the axis, negative left.
/// `what` names the chart ("margin by model").
fn margin_bars(o: &mut String, what: &str, rows: &[(&str, &Margin)]) {
    let max = rows
        .iter()
        .map(|(_, m)| approx(&m.margin()).abs())
        .fold(0.0, f64::max);
    let h = 22 * rows.len() + 10;
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="760" height="{h}" role="img" aria-label="{what}">"#
    );
    let axis = 480.0;
    let _ = write!(
        o,
        r##"<line x1="{axis}" y1="0" x2="{axis}" y2="{h}" stroke="#888"/>"##
    );
    for (i, (label, m)) in rows.iter().enumerate() {
        let y = 5 + 22 * i;
        let v = approx(&m.margin());
        let w = if max > 0.0 {
            v.abs() / max * 270.0
        } else {
            0.0
        };
        let (x, color) = if v < 0.0 {
            (axis - w, "#c0392b")
        } else {
            (axis, "#27ae60")
        };
        let _ = write!(
            o,
            r#"<text x="0" y="{}" font-size="12">{}</text><rect x="{x:.1}" y="{y}" width="{w:.1}" height="16" fill="{color}"/>"#,
            y + 13,
            escape(&truncate(label, 60)),
        );
    }
    o.push_str("</svg>");
}

/// Charged and upstream cost per day as two lines.
fn day_lines(o: &mut String, days: &[(&str, &Margin)]) {
    let max = days
        .iter()
        .flat_map(|(_, m)| [approx(&m.charged), approx(&m.upstream)])
        .fold(0.0, f64::max);
    let (w, h) = (760.0, 200.0);
    let x = |i: usize| {
        if days.len() < 2 {
            w / 2.0
        } else {
            20.0 + i as f64 * (w - 40.0) / (days.len() - 1) as f64
        }
    };
    let y = |v: f64| {
        if max > 0.0 {
            h - 20.0 - v / max * (h - 40.0)
        } else {
            h - 20.0
        }
    };
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="charged and upstream cost by day">"#
    );
    for (pick, color) in [(0, "#2980b9"), (1, "#e67e22")] {
        let pts: Vec<String> = days
            .iter()
            .enumerate()
            .map(|(i, (_, m))| {
                let v = if pick == 0 {
                    approx(&m.charged)
                } else {
                    approx(&m.upstream)
                };
                format!("{:.1},{:.1}", x(i), y(v))
            })
            .collect();
        let _ = write!(
            o,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            pts.join(" ")
        );
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            o,
            r#"<text x="20" y="{h}" font-size="11">{}</text><text x="{}" y="{h}" font-size="11" text-anchor="end">{}</text>"#,
            escape(first.0),
            w - 20.0,
            escape(last.0)
        );
    }
    o.push_str("</svg>");
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

impl Report {
    /// The report as one self-contained HTML page: totals, classes, margin by model, by
    /// relay channel and by day (inline SVG), the rows that did not follow the relay's own rules and the largest
    /// differences, each with its reason.
    pub fn html(&self, title: &str) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            r#"<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/><title>{}</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}.neg{{color:#c0392b;font-weight:bold}}</style>
</head><body>
<h1>{}</h1>
"#,
            escape(title),
            escape(title)
        );
        let _ = writeln!(
            o,
            "<p>rows read {} · priced {} · rejected {}</p>",
            self.rows_read, self.priced, self.rejected
        );
        o.push_str("<h2>Totals</h2>\n<table><tr><th>unit</th><th>rows</th><th>charged</th><th>expected</th><th>difference</th></tr>\n");
        for (d, t) in &self.totals {
            let _ = writeln!(
                o,
                r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td></tr>"#,
                escape(&d.to_string()),
                t.rows,
                t.charged,
                t.expected,
                t.difference
            );
        }
        o.push_str("</table>\n<h2>Classes</h2>\n<table><tr><th>unit</th><th>class</th><th>rows</th><th>difference</th></tr>\n");
        for (d, t) in &self.totals {
            for c in Class::ALL {
                let (n, diff) = &t.classes[c as usize];
                if *n > 0 {
                    let _ = writeln!(
                        o,
                        r#"<tr><td>{}</td><td>{}</td><td class="n">{n}</td><td class="n">{diff}</td></tr>"#,
                        escape(&d.to_string()),
                        c.name()
                    );
                }
            }
        }
        o.push_str("</table>\n");
        let relay: Vec<_> = self
            .totals
            .values()
            .filter(|t| t.relay.iter().any(|n| *n > 0))
            .collect();
        let unpriced = self.relay_unpriced.iter().any(|n| *n > 0);
        if !relay.is_empty() || unpriced {
            o.push_str("<h2>The relay's own rules (new-api rows, by their logged ratios)</h2>\n<table><tr><th>rows</th>");
            for c in RelayClass::ALL {
                let _ = write!(o, "<th>{}</th>", c.name());
            }
            o.push_str("</tr>\n");
            let rows = relay
                .iter()
                .map(|t| ("priced", &t.relay))
                .chain(unpriced.then_some(("not in the price tables", &self.relay_unpriced)));
            for (what, counts) in rows {
                let _ = write!(o, "<tr><td>{what}</td>");
                for c in RelayClass::ALL {
                    let _ = write!(o, r#"<td class="n">{}</td>"#, counts[c as usize]);
                }
                o.push_str("</tr>\n");
            }
            o.push_str("</table>\n");
        }
        for (d, t) in &self.totals {
            if t.margin.rows > 0 {
                let m = t.margin.margin();
                let _ = writeln!(
                    o,
                    r#"<p>Margin (USD, rows charged in {}): charged {} · upstream at list price {} · margin <span class="{}">{}</span></p>"#,
                    escape(&d.to_string()),
                    t.margin.charged,
                    t.margin.upstream,
                    if m.is_negative() { "neg" } else { "" },
                    m
                );
            }
        }
        if !self.margin_by_model.is_empty() {
            for (what, by) in [
                ("model", &self.margin_by_model),
                ("channel", &self.margin_by_channel),
            ] {
                if by.is_empty() {
                    continue;
                }
                let _ = writeln!(o, "<h2>Margin by {what} (USD)</h2>");
                let rows: Vec<(&str, &Margin)> = by.iter().map(|(k, m)| (k.as_str(), m)).collect();
                margin_bars(&mut o, &format!("margin by {what}"), &rows);
                let _ = writeln!(
                    o,
                    "\n<table><tr><th>{}</th><th>rows</th><th>charged</th><th>upstream</th><th>margin</th></tr>",
                    what
                );
                for (k, m) in &rows {
                    let margin = m.margin();
                    let _ = writeln!(
                        o,
                        r#"<tr><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td class="n{}">{}</td></tr>"#,
                        escape(k),
                        m.rows,
                        m.charged,
                        m.upstream,
                        if margin.is_negative() { " neg" } else { "" },
                        margin
                    );
                }
                o.push_str("</table>\n");
            }
            o.push_str("<h2>Charged (blue) and upstream cost (orange) by day, USD</h2>\n");
            let days: Vec<(&str, &Margin)> = self
                .margin_by_day
                .iter()
                .map(|(k, m)| (k.as_str(), m))
                .collect();
            day_lines(&mut o, &days);
            o.push('\n');
        }
        if !self.relay_issues.is_empty() {
            let _ = writeln!(
                o,
                "<h2>Rows that do not follow the relay's rules (first {})</h2>",
                self.relay_issues.len()
            );
            o.push_str("<table><tr><th>where</th><th>id</th><th>model</th><th>charged</th><th>by the logged ratios</th><th>class</th><th>reason</th></tr>\n");
            for r in &self.relay_issues {
                let _ = writeln!(
                    o,
                    r#"<tr><td>{}:{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td><td>{}</td></tr>"#,
                    escape(&r.file),
                    r.line,
                    escape(r.request_id.as_deref().unwrap_or("")),
                    escape(&r.model),
                    r.charged,
                    r.quota.map(|q| q.to_string()).unwrap_or_default(),
                    r.class.name(),
                    escape(&r.reason)
                );
            }
            o.push_str("</table>\n");
        }
        if !self.top.is_empty() {
            o.push_str("<h2>Largest differences from the list price</h2>\n<table><tr><th>where</th><th>id</th><th>model</th><th>unit</th><th>charged</th><th>expected</th><th>difference</th><th>class</th><th>why</th></tr>\n");
            for t in &self.top {
                let _ = writeln!(
                    o,
                    r#"<tr><td>{}:{}</td><td>{}</td><td>{}</td><td>{}</td><td class="n">{}</td><td class="n">{}</td><td class="n">{}</td><td>{}</td><td>{}</td></tr>"#,
                    escape(&t.file),
                    t.line,
                    escape(t.request_id.as_deref().unwrap_or("")),
                    escape(&t.model),
                    escape(&t.unit.to_string()),
                    t.charged,
                    t.expected,
                    t.difference,
                    t.class.name(),
                    escape(t.hint.as_deref().unwrap_or(""))
                );
            }
            o.push_str("</table>\n");
        }
        if !self.rejects_by_kind.is_empty() {
            o.push_str("<h2>Rejected rows by kind</h2>\n<table>\n");
            for (k, n) in &self.rejects_by_kind {
                let _ = writeln!(o, r#"<tr><td>{}</td><td class="n">{n}</td></tr>"#, k.name());
            }
            o.push_str("</table>\n");
        }
        o.push_str("</body></html>\n");
        o
    }
}
