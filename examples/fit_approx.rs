//! Fits the approximate token estimator's coefficients (tokens/approx.toml) to the reference
//! counts in tests/corpus/estimate/truth.json and reports its error. Run through
//! `tools/approx/fit.sh`; `--write` rewrites the coefficients in tokens/approx.toml.
//!
//! The fit: for each family, non-negative least squares on relative error (each sample's
//! row divided by its true count, so a 40-token paragraph weighs as much as a 4,000-token
//! one), over the even-numbered samples; the odd-numbered ones are held out to measure it.
//! A weak prior (worth about one sample) keeps a coefficient whose class is rare in the
//! corpus near a sensible value instead of wherever the noise puts it.

use std::collections::BTreeMap;
use std::fs;

use serde::Deserialize;
use tariff::tokens::{Approx, Coefficients, Encoding, Features};

#[derive(Deserialize)]
struct Truth {
    samples: Vec<Sample>,
}

#[derive(Deserialize)]
struct Sample {
    file: String,
    lang: String,
    start: usize,
    end: usize,
    chars: usize,
    counts: BTreeMap<String, f64>,
}

const PRIOR: [f64; 8] = [0.0, 1.0, 0.5, 0.7, 0.2, 1.0, 1.0, 1.5];
const PRIOR_WEIGHT: f64 = 0.05;

fn main() {
    let write = std::env::args().any(|a| a == "--write");
    let dir = "tests/corpus/estimate";
    let truth: Truth =
        serde_json::from_str(&fs::read_to_string(format!("{dir}/truth.json")).unwrap()).unwrap();
    let mut rows = Vec::new();
    for s in &truth.samples {
        let bytes = fs::read(format!("{dir}/{}", s.file)).unwrap();
        let text = std::str::from_utf8(&bytes[s.start..s.end]).unwrap();
        assert_eq!(
            text.chars().count(),
            s.chars,
            "{} changed: re-run count.mjs",
            s.file
        );
        let mut counts = s.counts.clone();
        let max = counts.values().cloned().fold(0.0, f64::max);
        counts.insert("generic".into(), max);
        let o200k = Encoding::O200kBase.count(text) as f64;
        rows.push((s.lang.clone(), Features::of(text).to_array(), counts, o200k));
    }
    let mut toml = fs::read_to_string("tokens/approx.toml").unwrap();
    for family in Approx::ALL {
        let name = family.name();
        let train: Vec<_> = rows.iter().step_by(2).collect();
        let coef = fit(&train.iter().map(|r| (r.1, r.2[name])).collect::<Vec<_>>());
        let c = Coefficients::from_array(coef);
        println!("== {name}");
        println!(
            "   {}",
            Coefficients::NAMES
                .iter()
                .zip(coef)
                .map(|(n, v)| format!("{n} = {v:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut stats = String::new();
        for (label, pick) in [("held-out", 1usize), ("all", 2)] {
            let mut by_lang: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for (i, (lang, f, counts, _)) in rows.iter().enumerate() {
                if pick == 1 && i % 2 == 0 {
                    continue;
                }
                let est = c.apply(&features_from(f)).ceil();
                let err = (est - counts[name]).abs() / counts[name];
                by_lang.entry(lang.clone()).or_default().push(err);
                by_lang.entry("all".into()).or_default().push(err);
            }
            for (lang, errs) in &by_lang {
                let (mean, p95) = summary(errs);
                println!(
                    "   {label:<8} {lang:<6} n={:<3} mean {:>5.1}%  p95 {:>5.1}%",
                    errs.len(),
                    mean * 100.0,
                    p95 * 100.0
                );
                if label == "held-out" && lang == "all" {
                    stats = format!(
                        "fitted = {{ samples = {}, held_out = {}, held_out_mean_error = {:.3}, held_out_p95_error = {:.3} }}",
                        train.len(),
                        errs.len(),
                        mean,
                        p95
                    );
                }
            }
        }
        // The simplest alternative, for comparison: o200k_base's exact count times one
        // factor fitted the same way (relative least squares on the training half).
        let (mut num, mut den) = (0.0, 0.0);
        for r in &train {
            let y = r.2[name];
            num += r.3 / y;
            den += (r.3 / y).powi(2);
        }
        let k = num / den;
        let errs: Vec<f64> = rows
            .iter()
            .skip(1)
            .step_by(2)
            .map(|r| ((r.3 * k).ceil() - r.2[name]).abs() / r.2[name])
            .collect();
        let (mean, p95) = summary(&errs);
        println!(
            "   baseline: o200k_base count x {k:.3}: held-out all mean {:.1}%  p95 {:.1}%",
            mean * 100.0,
            p95 * 100.0
        );
        if write {
            toml = replace_in_section(&toml, name, "coefficients = ", &format_coefficients(coef));
            toml = replace_in_section(&toml, name, "fitted = ", &stats);
        }
    }
    if write {
        fs::write("tokens/approx.toml", toml).unwrap();
        println!("tokens/approx.toml rewritten");
    }
}

fn features_from(a: &[f64; 8]) -> Features {
    let n = |i: usize| a[i] as u64;
    let mut f = Features::default();
    (f.letters, f.words, f.digits, f.punct) = (n(0), n(1), n(2), n(3));
    (f.space, f.cjk, f.wide_punct, f.other) = (n(4), n(5), n(6), n(7));
    f
}

fn summary(errs: &[f64]) -> (f64, f64) {
    let mut v = errs.to_vec();
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    // Nearest-rank percentile.
    let rank = ((0.95 * v.len() as f64).ceil() as usize).clamp(1, v.len());
    (mean, v[rank - 1])
}

/// Non-negative weighted least squares by active set: solve, pin the most negative
/// coefficient to zero, repeat.
fn fit(rows: &[([f64; 8], f64)]) -> [f64; 8] {
    let mut free = [true; 8];
    loop {
        let x = solve(rows, &free);
        let worst = (0..8)
            .filter(|&i| free[i] && x[i] < 0.0)
            .min_by(|&a, &b| x[a].total_cmp(&x[b]));
        match worst {
            Some(i) => free[i] = false,
            None => return x,
        }
    }
}

fn solve(rows: &[([f64; 8], f64)], free: &[bool; 8]) -> [f64; 8] {
    let idx: Vec<usize> = (0..8).filter(|&i| free[i]).collect();
    let k = idx.len();
    let mut m = vec![vec![0.0; k + 1]; k];
    let mut add = |a: &[f64], y: f64, w: f64| {
        for r in 0..k {
            for c in 0..k {
                m[r][c] += w * a[idx[r]] * a[idx[c]];
            }
            m[r][k] += w * a[idx[r]] * y;
        }
    };
    for (f, y) in rows {
        let w = 1.0 / (y * y);
        add(f, *y, w);
    }
    for i in 0..8 {
        let mut e = [0.0; 8];
        e[i] = 1.0;
        add(&e, PRIOR[i], PRIOR_WEIGHT);
    }
    // Gaussian elimination with partial pivoting.
    for col in 0..k {
        let p = (col..k)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap();
        m.swap(col, p);
        let pivot = m[col].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot[col];
                for (v, p) in row.iter_mut().zip(&pivot).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    let mut x = [0.0; 8];
    for (r, &i) in idx.iter().enumerate() {
        x[i] = m[r][k] / m[r][r];
    }
    x
}

fn format_coefficients(c: [f64; 8]) -> String {
    let parts: Vec<String> = Coefficients::NAMES
        .iter()
        .zip(c)
        .map(|(n, v)| format!("{n} = {v:.4}"))
        .collect();
    format!("coefficients = {{ {} }}", parts.join(", "))
}

/// Replaces (or appends) the line starting with `key` in the `[section]` of a TOML text.
fn replace_in_section(toml: &str, section: &str, key: &str, line: &str) -> String {
    let header = format!("[{section}]");
    let mut out = Vec::new();
    let mut inside = false;
    let mut done = false;
    let lines: Vec<&str> = toml.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with('[') {
            inside = *l == header;
        }
        if inside && l.starts_with(key) {
            out.push(line.to_string());
            done = true;
            continue;
        }
        out.push(l.to_string());
        let next_is_section = lines.get(i + 1).is_none_or(|n| n.starts_with('['));
        if inside && !done && next_is_section {
            // Insert before the blank line that ends the section, if any.
            let at = if l.is_empty() {
                out.len() - 1
            } else {
                out.len()
            };
            out.insert(at, line.to_string());
            done = true;
        }
    }
    out.join("\n") + "\n"
}
