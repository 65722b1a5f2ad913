//! The reconcile readers (JSON lines, CSV, canonical and new-api logs) on any bytes: a
//! report whose rejected rows say why, or a typed error for the file, never a panic.
//!
//! The first byte picks the format (detected, canonical, new-api), the second the chunk
//! size; the rest is the log. Invariants: the report does not depend on how the log is
//! cut into chunks; every row read is priced or rejected; each line parsed alone (both
//! formats) and priced gives a row or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tariff::reconcile::{parse_json_line, price_row, LogFormat, Options, Reconciler, Report};
use tariff::Catalog;

fn run(format: Option<LogFormat>, chunk_bytes: usize, log: &[u8]) -> Option<Report> {
    // One worker thread: the fuzzer runs many tiny logs, and handing each batch between
    // threads on a busy machine costs more than the pricing (rows still go through the
    // pool, as with any thread count).
    static POOL: std::sync::Once = std::sync::Once::new();
    POOL.call_once(|| {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global();
    });
    // The margin sums and the HTML page run on every report: new-api rows' `other`
    // (logged ratios, surcharges, audio) is read and checked against the relay's rules.
    let opts = Options {
        format,
        chunk_bytes,
        margin: true,
        ..Options::default()
    };
    let mut r = Reconciler::new(Catalog::builtin(), opts).expect("no thread pool asked for");
    let mut rejects = 0u64;
    let read = r.read("fuzz.log", log, &mut |_| rejects += 1, &mut |_| {});
    let report = r.finish();
    read.ok()?;
    let html = report.html("fuzz");
    assert!(!html.contains("<script"), "log text is escaped in the page");
    assert_eq!(
        rejects, report.rejected,
        "every rejected row goes to the sink"
    );
    Some(report)
}

fuzz_target!(|data: &[u8]| {
    let [fmt, chunk, log @ ..] = data else { return };
    let format = match fmt % 3 {
        0 => None,
        1 => Some(LogFormat::Canonical),
        _ => Some(LogFormat::NewApi),
    };
    let small = 1 + usize::from(*chunk);
    let whole = run(format, 1 << 20, log);
    if let Some(report) = &whole {
        assert_eq!(
            report.rows_read,
            report.priced + report.rejected,
            "read = priced + rejected"
        );
        let by_kind: u64 = report.rejects_by_kind.values().sum();
        assert_eq!(by_kind, report.rejected, "rejects by kind add up");
    }
    let cut = run(format, small, log);
    assert_eq!(
        whole, cut,
        "the report does not depend on the chunk size ({small} bytes)"
    );

    let Ok(text) = std::str::from_utf8(log) else {
        return;
    };
    for line in text.lines().take(64) {
        for format in [LogFormat::Canonical, LogFormat::NewApi] {
            if let Ok(row) = parse_json_line(format, line) {
                row.usage
                    .validate()
                    .expect("a row's usage is a valid record");
                let _ = price_row(Catalog::builtin(), &row);
            }
        }
    }
});
