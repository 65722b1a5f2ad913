//! The relay's hot path allocates nothing: resolving a model name (known or not).
//! Counted per thread with the shared counting allocator.

#[path = "support/counting.rs"]
mod counting;

use counting::allocations;
use tariff::Catalog;

#[test]
fn resolve_allocates_nothing_known_or_unknown() {
    let c = Catalog::builtin();
    // Warm: nothing lazily built on first use is counted.
    assert!(c.resolve("claude-sonnet-4-5").is_some());
    let long = "x".repeat(10_000);
    for name in [
        "claude-sonnet-4-5",          // an id
        "claude-sonnet-4-5-20250929", // an alias
        "CLAUDE-SONNET-4-5",          // an id in another case
        "gpt-4o-2099-01-01",          // a pattern
        "no-such-model",              // unknown
        "claude-sonet-4-5",           // unknown, near a known id
        long.as_str(),                // unknown, long
        "",
    ] {
        let (n, _) = allocations(|| std::hint::black_box(c.resolve(std::hint::black_box(name))));
        assert_eq!(n, 0, "resolve({name:.20}) allocated {n} times");
    }
}

#[test]
fn an_unknown_name_computes_suggestions_only_when_rendered() {
    let c = Catalog::builtin();
    let e = c.model("claude-sonet-4-5").unwrap_err();
    // Rendering is where the near names are found.
    assert!(
        e.to_string().contains("did you mean `claude-sonnet-4-5`"),
        "{e}"
    );
}

#[test]
fn quoting_a_resolved_model_allocates_nothing_up_to_eight_lines() {
    let c = Catalog::builtin();
    let m = c.resolve("claude-sonnet-4-5").unwrap();
    // Six lines: every text bucket Anthropic reports (the benchmark's typical record).
    let usage = tariff::Usage::from_json(
        r#"{"input_tokens": 1200, "cache_read_tokens": 24000, "cache_write_tokens": 3000,
            "cache_write_1h_tokens": 1000, "output_tokens": 650, "reasoning_tokens": 900,
            "at": "2025-11-01T00:00:00Z"}"#,
    )
    .unwrap();
    let warm = tariff::price::quote(m, &usage).unwrap();
    assert_eq!(warm.lines().len(), 6);
    let (n, bill) = allocations(|| tariff::price::quote(m, &usage).unwrap());
    assert_eq!(n, 0, "quote allocated {n} times");
    // The bill is whole: its total is the sum of its lines.
    assert_eq!(bill.total(), bill.lines().iter().map(|l| l.amount()).sum());
    drop(bill);
}
