//! Reconciliation: injected discrepancies are found exactly; rows and money are conserved
//! whatever the thread count and chunking; every kind of bad input is a rejected row with
//! its line and reason; new-api logs map onto the canonical buckets as new-api bills them.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff::reconcile::{
    parse_json_line, price_row, Class, Denom, LogFormat, Options, ReconcileError, Reconciler,
    RejectKind, Rejection, Report,
};
use tariff::synth::{Inject, Synth, SynthFormat, SynthOptions};
use tariff::{Catalog, Currency};

fn run(log: &[u8], opts: Options) -> (Report, Vec<Rejection>) {
    let mut r = Reconciler::new(Catalog::builtin(), opts).unwrap();
    let mut rejects = Vec::new();
    r.read(
        "log",
        log,
        &mut |rej| rejects.push(rej.clone()),
        &mut |_| {},
    )
    .unwrap();
    (r.finish(), rejects)
}

fn opts(threads: usize, chunk: usize) -> Options {
    Options {
        threads: Some(threads),
        chunk_bytes: chunk,
        ..Options::default()
    }
}

fn synth(format: SynthFormat, rows: u64, seed: u64, rate: f64) -> (String, Vec<Option<Inject>>) {
    let s = Synth::new(
        Catalog::builtin(),
        SynthOptions {
            rows,
            format,
            seed,
            inject: Inject::ALL.to_vec(),
            rate,
        },
    )
    .unwrap();
    let mut text = s.header().unwrap_or("").to_string();
    let mut labels = Vec::new();
    for row in s {
        text.push_str(&row.text);
        labels.push(row.injected);
    }
    (text, labels)
}

fn class_of(i: Inject) -> Class {
    match i {
        Inject::Price => Class::PriceChanged,
        Inject::Cache => Class::CacheMiscounted,
        Inject::Reasoning => Class::ReasoningMiscounted,
        Inject::Missing => Class::MissingUsage,
        Inject::Rounding => Class::Rounding,
        Inject::Unknown => unreachable!("an unknown model is rejected, not classified"),
    }
}

/// Each JSON row of a generated log, priced alone, lands in exactly the injected class.
#[test]
fn every_injected_discrepancy_is_found_row_by_row() {
    for format in [SynthFormat::CanonicalJsonl, SynthFormat::NewApiJsonl] {
        let fmt = match format {
            SynthFormat::CanonicalJsonl => LogFormat::Canonical,
            _ => LogFormat::NewApi,
        };
        let (text, labels) = synth(format, 4000, 11, 0.3);
        let mut seen: BTreeMap<Option<Inject>, usize> = BTreeMap::new();
        for (line, label) in text.lines().zip(&labels) {
            *seen.entry(*label).or_default() += 1;
            let got =
                parse_json_line(fmt, line).and_then(|row| price_row(Catalog::builtin(), &row));
            match label {
                Some(Inject::Unknown) => {
                    let e = got.unwrap_err();
                    assert_eq!(e.kind, RejectKind::UnknownModel, "{line}");
                    assert!(e.reason.contains("did you mean"), "{}", e.reason);
                }
                None => assert_eq!(got.unwrap().class, Class::Match, "{line}"),
                Some(i) => {
                    let p = got.unwrap();
                    assert_eq!(p.class, class_of(*i), "{line}: {:?}", p.hint);
                }
            }
        }
        // Not vacuous: every kind that applies to the format was injected many times.
        for kind in Inject::ALL {
            if kind == Inject::Reasoning && fmt == LogFormat::NewApi {
                assert!(
                    !seen.contains_key(&Some(kind)),
                    "new-api logs have no reasoning split"
                );
                continue;
            }
            assert!(
                seen.get(&Some(kind)).copied().unwrap_or(0) >= 20,
                "{format:?}: {kind:?} injected only {:?} times",
                seen.get(&Some(kind))
            );
        }
    }
}

/// The whole pipeline (every format, CSV included) counts exactly the injected rows per
/// class and rejects exactly the rows whose model was renamed.
#[test]
fn reconcile_reports_exactly_the_injected_discrepancies() {
    for format in [
        SynthFormat::CanonicalJsonl,
        SynthFormat::CanonicalCsv,
        SynthFormat::NewApiJsonl,
        SynthFormat::NewApiCsv,
    ] {
        let (text, labels) = synth(format, 3000, 5, 0.2);
        let (report, rejects) = run(text.as_bytes(), opts(2, 16 << 10));
        let header = u64::from(format.header().is_some());
        let unknown: Vec<u64> = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| **l == Some(Inject::Unknown))
            .map(|(i, _)| i as u64 + 1 + header)
            .collect();
        let lines: Vec<u64> = rejects.iter().map(|r| r.line).collect();
        assert_eq!(lines, unknown, "{format:?}");
        assert!(rejects.iter().all(|r| r.kind == RejectKind::UnknownModel));
        assert_eq!(report.rows_read, 3000);
        assert_eq!(report.priced + report.rejected, report.rows_read);
        assert_eq!(report.totals.len(), 1);
        let totals = report.totals.values().next().unwrap();
        for class in Class::ALL {
            let want = match class {
                Class::Match => labels.iter().filter(|l| l.is_none()).count(),
                Class::Unexplained | Class::NotCharged => 0,
                c => labels
                    .iter()
                    .filter(|l| l.is_some_and(|i| i != Inject::Unknown && class_of(i) == c))
                    .count(),
            };
            assert_eq!(
                totals.classes[class as usize].0, want as u64,
                "{format:?} {class:?}"
            );
        }
        assert_eq!(
            totals.difference.to_decimal().unwrap(),
            totals.charged.to_decimal().unwrap() - totals.expected.to_decimal().unwrap()
        );
    }
}

/// A log mixing good rows with every kind of bad one.
fn mixed_log(good: &[String], bad: &[usize], blank: &[bool]) -> String {
    const BAD: [&str; 6] = [
        r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tokens":10"#,
        r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tokens":-3,"charged":"0","currency":"USD"}"#,
        r#"{"model":"gpt-6-ultra","at":"2025-09-01T00:00:00Z","input_tokens":3}"#,
        r#"{"model":"gpt-5","at":"2020-01-01T00:00:00Z","input_tokens":3}"#,
        r#"not json at all"#,
        r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tokens":3,"charged":"1","currency":"CNY"}"#,
    ];
    let mut out = String::new();
    for (i, g) in good.iter().enumerate() {
        out.push_str(g);
        if let Some(b) = bad.get(i) {
            out.push_str(BAD[b % BAD.len()]);
            out.push('\n');
        }
        if blank.get(i) == Some(&true) {
            out.push_str("  \n");
        }
    }
    out
}

fn good_rows(n: u64, seed: u64) -> Vec<String> {
    Synth::new(
        Catalog::builtin(),
        SynthOptions {
            rows: n,
            format: SynthFormat::CanonicalJsonl,
            seed,
            inject: vec![
                Inject::Cache,
                Inject::Price,
                Inject::Rounding,
                Inject::Missing,
            ],
            rate: 0.3,
        },
    )
    .unwrap()
    .map(|r| r.text)
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Rows read = priced + rejected; the money summed equals the money of the priced
    /// rows taken one by one; and the report, rejects included, is the same on 1 or 3
    /// threads and for any chunk size.
    #[test]
    fn rows_and_money_are_conserved(
        seed in 0u64..1000,
        n in 1u64..300,
        bad in proptest::collection::vec(0usize..6, 0..60),
        blank in proptest::collection::vec(any::<bool>(), 0..30),
        chunk in 40usize..3000,
    ) {
        let good = good_rows(n, seed);
        let log = mixed_log(&good, &bad, &blank);
        let (one, rej_one) = run(log.as_bytes(), opts(1, 1 << 20));
        let (many, rej_many) = run(log.as_bytes(), opts(3, chunk));
        prop_assert_eq!(&one, &many);
        prop_assert_eq!(&rej_one, &rej_many);

        let records = log.lines().filter(|l| !l.trim().is_empty()).count() as u64;
        prop_assert_eq!(one.rows_read, records);
        prop_assert_eq!(one.priced + one.rejected, one.rows_read);
        prop_assert_eq!(one.rejected, rej_one.len() as u64);
        prop_assert_eq!(one.blank_lines, blank.iter().take(good.len()).filter(|b| **b).count() as u64);

        let (mut charged, mut expected) = (Decimal::ZERO, Decimal::ZERO);
        let mut priced = 0;
        for line in log.lines().filter(|l| !l.trim().is_empty()) {
            if let Ok(p) = parse_json_line(LogFormat::Canonical, line)
                .and_then(|r| price_row(Catalog::builtin(), &r))
            {
                priced += 1;
                charged += p.charged.unwrap_or_default();
                expected += p.expected;
            }
        }
        prop_assert_eq!(one.priced, priced);
        let usd = one.totals.get(&Denom::Money(Currency::USD));
        prop_assert_eq!(usd.map_or(Decimal::ZERO, |t| t.charged.to_decimal().unwrap()), charged);
        prop_assert_eq!(usd.map_or(Decimal::ZERO, |t| t.expected.to_decimal().unwrap()), expected);
    }

    /// A row decoded by the fast path equals the same row decoded whole by the usage
    /// record's own decoder (forced by a member only that decoder reads).
    #[test]
    fn fast_and_full_decoding_agree(
        counts in proptest::collection::vec((0usize..6, -5i64..100_000), 0..8),
        with_user in any::<bool>(),
    ) {
        const KEYS: [&str; 6] = ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "web_search_calls"];
        let mut body = String::from(r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z""#);
        for (k, n) in &counts {
            body.push_str(&format!(r#","{}":{}"#, KEYS[*k], n));
        }
        if with_user {
            body.push_str(r#","user":"u1","charged":"0.5","currency":"USD""#);
        }
        let (a, b) = (format!("{body}}}"), format!(r#"{body},"estimated":false}}"#));
        let fast = parse_json_line(LogFormat::Canonical, &a);
        let full = parse_json_line(LogFormat::Canonical, &b);
        match (fast, full) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.kind, b.kind),
            (a, b) => prop_assert!(false, "fast {:?} but full {:?}", a, b),
        }
    }
}

fn one_reject(log: &str) -> Rejection {
    let (report, rejects) = run(log.as_bytes(), opts(2, 1 << 20));
    assert_eq!(report.rejected, 1, "{rejects:?}");
    rejects.into_iter().next().unwrap()
}

const OK: &str = r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tokens":1000,"charged":"0.00125","currency":"USD"}"#;

#[test]
fn each_kind_of_bad_input_is_a_rejected_row_with_its_line() {
    let cases: [(&str, RejectKind, &str); 9] = [
        (
            r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tok"#,
            RejectKind::Syntax,
            "truncated",
        ),
        (
            r#"{"model":"gpt-5o","at":"2025-09-01T00:00:00Z","input_tokens":1}"#,
            RejectKind::UnknownModel,
            "did you mean `gpt-5",
        ),
        (
            r#"{"model":"gpt-5","at":"2024-01-01T00:00:00Z","input_tokens":1}"#,
            RejectKind::NoPrice,
            "no standard price in force",
        ),
        (
            r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tokens":-40}"#,
            RejectKind::Field,
            "field `input_tokens`: -40 is negative",
        ),
        (
            r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tokenz":1}"#,
            RejectKind::Field,
            "did you mean `input_tokens`",
        ),
        (
            r#"{"model":"gpt-5","input_tokens":1}"#,
            RejectKind::Field,
            "missing field `at`",
        ),
        (
            r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tokens":1,"charged":"0.1","currency":"CNY"}"#,
            RejectKind::Currency,
            "no exchange rate",
        ),
        (
            r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tokens":1,"charged":"0.1"}"#,
            RejectKind::Currency,
            "without `currency`",
        ),
        (
            r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","images":[{"count":-1}]}"#,
            RejectKind::Field,
            "field `images[0].count`",
        ),
    ];
    for (bad, kind, why) in cases {
        let r = one_reject(&format!("{OK}\n\n{bad}\n{OK}\n"));
        assert_eq!((r.line, r.kind), (3, kind), "{bad}: {}", r.reason);
        assert!(r.reason.contains(why), "{bad}: {}", r.reason);
        assert_eq!(r.record, bad);
    }
    let mut bytes = format!("{OK}\n").into_bytes();
    bytes.extend_from_slice(b"{\"model\":\"gpt-5\xff\"}\n");
    let (report, rejects) = run(&bytes, opts(1, 1 << 20));
    assert_eq!(
        (report.priced, rejects[0].line, rejects[0].kind),
        (1, 2, RejectKind::Encoding)
    );
}

#[test]
fn bad_csv_quoting_is_rejected_and_reading_goes_on() {
    let header = "model,at,input_tokens,charged,currency\n";
    let ok = "gpt-5,2025-09-01T00:00:00Z,1000,0.00125,USD\n";
    let log = format!(
        "{header}{ok}gpt-5,2025-09-01T\"00:00:00Z,1,0,USD\n{ok}\"gpt-5\"x,2025-09-01T00:00:00Z,1,0,USD\n{ok}gpt-5,2025-09-01T00:00:00Z,1\n\"multi\nline\",2025-09-01T00:00:00Z,1,0,USD\n{ok}\"gpt-5,2025-09-01T00:00:00Z,1,0,USD\n{ok}"
    );
    let (report, rejects) = run(log.as_bytes(), opts(2, 1 << 20));
    let got: Vec<(u64, RejectKind, bool)> = rejects
        .iter()
        .map(|r| {
            (
                r.line,
                r.kind,
                r.reason.contains("CSV") || r.reason.contains("fields"),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (3, RejectKind::Syntax, true),
            (5, RejectKind::Syntax, true),
            (7, RejectKind::Syntax, true),
            (8, RejectKind::UnknownModel, false),
            (11, RejectKind::Syntax, true),
        ],
        "{rejects:#?}"
    );
    // The line after the unterminated quote is read again as a record of its own.
    assert_eq!(report.priced, 5);
    assert_eq!(report.rows_read, 10);
}

#[test]
fn an_oversized_record_is_rejected_and_skipped() {
    let huge = format!(
        r#"{{"model":"gpt-5","user":"{}"}}"#,
        "x".repeat(tariff::reconcile::MAX_RECORD)
    );
    let log = format!("{OK}\n{huge}\n{OK}\n");
    let (report, rejects) = run(log.as_bytes(), opts(2, 1 << 16));
    assert_eq!((report.rows_read, report.priced), (3, 2));
    assert_eq!((rejects[0].line, rejects[0].kind), (2, RejectKind::Syntax));
    assert!(
        rejects[0].reason.contains("longer than"),
        "{}",
        rejects[0].reason
    );
}

#[test]
fn a_file_that_cannot_be_read_is_an_error() {
    let mut r = Reconciler::new(Catalog::builtin(), Options::default()).unwrap();
    let e = r
        .read(
            "x.csv",
            "model,at,input_tokenz\n".as_bytes(),
            &mut |_| {},
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(e, ReconcileError::Header { .. }));
    assert!(
        e.to_string().contains("unknown column `input_tokenz`"),
        "{e}"
    );

    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let e = r
        .read("y.jsonl", Failing, &mut |_| {}, &mut |_| {})
        .unwrap_err();
    assert!(e.to_string().contains("disk on fire"), "{e}");
}

fn priced(line: &str) -> Result<tariff::reconcile::Priced, tariff::reconcile::RowError> {
    let format = if line.contains("\"model_name\"") {
        LogFormat::NewApi
    } else {
        LogFormat::Canonical
    };
    parse_json_line(format, line).and_then(|row| price_row(Catalog::builtin(), &row))
}

fn new_api(other: &str, prompt: i64, completion: i64, quota: i64, model: &str) -> String {
    serde_json::json!({
        "id": 1, "user_id": 7, "created_at": 1_761_955_200, "type": 2, "username": "ann",
        "model_name": model, "quota": quota, "prompt_tokens": prompt,
        "completion_tokens": completion, "group": "vip", "other": other,
    })
    .to_string()
}

/// Golden vectors computed by hand from the vendors' list prices (2025-11-01).
#[test]
fn new_api_rows_map_onto_the_buckets_new_api_bills() {
    // Claude semantics: prompt_tokens (1000) excludes the 3000 cache reads and the 2500
    // cache writes (2000 5-minute + 500 1-hour). Sonnet 4.5: $3 in, $0.30 cache read,
    // $3.75 / $6 writes, $15 out: 0.003 + 0.0009 + 0.0075 + 0.003 + 0.006 = $0.0204;
    // × 500,000 × group ratio 0.8 = 8,160 quota.
    let claude = r#"{"model_ratio":1.5,"group_ratio":0.8,"completion_ratio":5,"cache_tokens":3000,"cache_ratio":0.1,"cache_creation_tokens":2500,"cache_creation_tokens_5m":2000,"cache_creation_tokens_1h":500,"model_price":-1,"usage_semantic":"anthropic","claude":true}"#;
    let line = new_api(claude, 1000, 400, 8160, "claude-sonnet-4-5-20250929");
    let row = parse_json_line(LogFormat::NewApi, &line).unwrap();
    assert_eq!(row.usage.input_tokens.get(), 1000);
    assert_eq!(row.usage.cache_write_tokens.get(), 2000);
    assert_eq!(row.usage.cache_write_1h_tokens.get(), 500);
    assert_eq!(row.user.as_deref(), Some("ann"));
    let p = price_row(Catalog::builtin(), &row).unwrap();
    assert_eq!(
        (p.expected, p.class, p.denom),
        (Decimal::from(8160), Class::Match, Denom::Quota)
    );

    // An older log without usage_semantic but with `claude: true` is still Claude
    // semantics (read as OpenAI's, the cache would be subtracted from the prompt).
    let older = claude.replace(r#""usage_semantic":"anthropic","#, "");
    let p = priced(&new_api(&older, 1000, 400, 8160, "claude-sonnet-4-5")).unwrap();
    assert_eq!(p.class, Class::Match);

    // OpenAI semantics: prompt_tokens 5000 includes 4000 cache reads. GPT-5: $1.25 in,
    // $0.125 cached, $10 out: 0.00125 + 0.0005 + 0.002 = $0.00375 = 1,875 quota.
    let openai = r#"{"model_ratio":0.625,"group_ratio":1,"completion_ratio":8,"cache_tokens":4000,"cache_ratio":0.1,"model_price":-1}"#;
    let line = new_api(openai, 5000, 200, 1875, "gpt-5");
    let row = parse_json_line(LogFormat::NewApi, &line).unwrap();
    assert_eq!(
        (
            row.usage.input_tokens.get(),
            row.usage.cache_read_tokens.get()
        ),
        (1000, 4000)
    );
    assert_eq!(
        price_row(Catalog::builtin(), &row).unwrap().class,
        Class::Match
    );
    // Charged as if the 4000 cached tokens were fresh input: 5000 × 1.25/M + 0.002 = 4,125.
    assert_eq!(
        priced(&new_api(openai, 5000, 200, 4125, "gpt-5"))
            .unwrap()
            .class,
        Class::CacheMiscounted
    );
    // `other` as an object (a database JSON export) reads the same as `other` as a string.
    let as_object = new_api(openai, 5000, 200, 1875, "gpt-5")
        .replace(&serde_json::to_string(openai).unwrap(), openai);
    assert!(as_object.contains(r#""other":{"#));
    assert_eq!(priced(&as_object).unwrap().class, Class::Match);
    // One quota unit off is rounding.
    assert_eq!(
        priced(&new_api(openai, 5000, 200, 1876, "gpt-5"))
            .unwrap()
            .class,
        Class::Rounding
    );

    // Bad new-api rows.
    for (line, kind, why) in [
        (
            new_api(openai, 3000, 200, 10, "gpt-5"),
            RejectKind::Field,
            "less than the cache",
        ),
        (
            new_api(openai, -1, 200, 10, "gpt-5"),
            RejectKind::Field,
            "negative",
        ),
        (
            new_api("{}", 1, 1, 10, "gpt-5"),
            RejectKind::Field,
            "group_ratio",
        ),
        (
            new_api("{not json", 1, 1, 10, "gpt-5"),
            RejectKind::Field,
            "field `other`",
        ),
        (
            new_api(openai, 1, 1, -10, "gpt-5"),
            RejectKind::Field,
            "quota",
        ),
        (
            new_api(openai, 1, 1, 1, "").replace(r#""type":2"#, r#""type":5"#),
            RejectKind::NotConsume,
            "type 5 (error)",
        ),
    ] {
        let e = parse_json_line(LogFormat::NewApi, &line).unwrap_err();
        assert_eq!(e.kind, kind, "{line}: {}", e.reason);
        assert!(e.reason.contains(why), "{line}: {}", e.reason);
    }
}

/// A difference from a price change names the period whose price was charged.
#[test]
fn a_stale_price_is_explained_by_its_period() {
    // claude-3-5-haiku: $1 / $5 until 2024-12-04, $0.80 / $4 after. 1M input at the old price.
    let row = r#"{"model":"claude-3-5-haiku","at":"2024-12-10T00:00:00Z","input_tokens":1000000,"charged":"1","currency":"USD"}"#;
    let p = priced(row).unwrap();
    assert_eq!(p.expected, Decimal::new(8, 1));
    assert_eq!(p.class, Class::PriceChanged);
    assert!(p
        .hint
        .unwrap()
        .contains("2024-11-04T00:00Z..2024-12-04T00:00Z"));
    // Reasoning billed twice (GPT-5: reasoning is priced as output, $10/M).
    let row = r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","output_tokens":1000,"reasoning_tokens":1000,"charged":"0.03","currency":"USD"}"#;
    let p = priced(row).unwrap();
    assert_eq!(
        (p.expected, p.class),
        (Decimal::new(2, 2), Class::ReasoningMiscounted)
    );
    // Nothing explains a charge of 7x.
    let row = r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","output_tokens":1000,"charged":"0.07","currency":"USD"}"#;
    let p = priced(row).unwrap();
    assert_eq!(p.class, Class::Unexplained);
    // A charge in quota units with a group ratio: $0.00125 × 500,000 × 0.8 = 500.
    let row = r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","input_tokens":1000,"charged":500,"currency":"quota","group_ratio":"0.8"}"#;
    let p = priced(row).unwrap();
    assert_eq!(
        (p.expected, p.class, p.denom),
        (Decimal::from(500), Class::Match, Denom::Quota)
    );
    // A row without a charge is priced, not compared.
    let row = r#"{"model":"gpt-5","at":"2025-09-01T00:00:00Z","output_tokens":1000}"#;
    let p = priced(row).unwrap();
    assert_eq!((p.class, p.charged), (Class::NotCharged, None));
}

#[test]
fn synthetic_logs_are_deterministic() {
    for format in [SynthFormat::CanonicalCsv, SynthFormat::NewApiJsonl] {
        let (a, la) = synth(format, 500, 42, 0.1);
        let (b, lb) = synth(format, 500, 42, 0.1);
        let (c, _) = synth(format, 500, 43, 0.1);
        assert_eq!((a.as_str(), &la), (b.as_str(), &lb));
        assert_ne!(a, c);
    }
}

/// Regression: any thread count was handed to the pool, so 100,000 threads were started
/// for a small log. Zero and counts above four per core are refused before any start.
#[test]
fn thread_counts_are_bounded() {
    let max = tariff::reconcile::max_threads();
    assert!(max >= 4);
    for n in [0, max + 1, 100_000, usize::MAX] {
        let e = Reconciler::new(Catalog::builtin(), opts(n, 1 << 20))
            .err()
            .unwrap_or_else(|| panic!("{n} threads were accepted"));
        assert!(
            matches!(e, ReconcileError::ThreadCount { threads, max: m } if threads == n && m == max),
            "{e}"
        );
        assert!(
            e.to_string().contains(&format!("between 1 and {max}")),
            "{e}"
        );
    }
    // The bound itself still runs, and gives the one-thread report.
    let (log, _) = synth(SynthFormat::CanonicalJsonl, 200, 3, 0.1);
    let (one, rej_one) = run(log.as_bytes(), opts(1, 4096));
    let (most, rej_most) = run(log.as_bytes(), opts(max, 4096));
    assert_eq!(one, most);
    assert_eq!(rej_one, rej_most);
}

/// Regression sibling: a huge `chunk_bytes` reserved that much memory up front (a capacity
/// overflow panic for `usize::MAX`); it is clamped to the largest record.
#[test]
fn chunk_sizes_are_clamped() {
    let (log, _) = synth(SynthFormat::CanonicalJsonl, 50, 4, 0.1);
    let (small, _) = run(log.as_bytes(), opts(1, 1 << 20));
    let (huge, _) = run(log.as_bytes(), opts(1, usize::MAX));
    assert_eq!(small, huge);
}

/// Regression: a UTF-8 byte order mark before the first record (Excel's "CSV UTF-8",
/// Windows exports) made a JSON-lines log look like CSV and a CSV header name an unknown
/// column `\u{feff}model`; it is skipped, and the report is the one without it.
#[test]
fn a_byte_order_mark_before_the_first_record_is_skipped() {
    for format in [
        SynthFormat::CanonicalJsonl,
        SynthFormat::CanonicalCsv,
        SynthFormat::NewApiJsonl,
        SynthFormat::NewApiCsv,
    ] {
        let (log, _) = synth(format, 40, 5, 0.1);
        let (plain, plain_rejects) = run(log.as_bytes(), opts(1, 1 << 20));
        let with_bom = format!("\u{feff}{log}");
        let (report, rejects) = run(with_bom.as_bytes(), opts(1, 1 << 20));
        assert_eq!(report.rows_read, 40, "{format:?}");
        assert_eq!(rejects, plain_rejects, "{format:?}");
        assert_eq!(report.groups, plain.groups, "{format:?}");
        assert_eq!(report.totals, plain.totals, "{format:?}");
    }
}
