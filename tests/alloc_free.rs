//! The relay's hot path allocates nothing: resolving a model name (known or not), and
//! quoting a bill of up to eight lines. Counted per thread with the shared counting allocator.

#[path = "support/counting.rs"]
mod counting;

use counting::allocations;
use tariff::tariff_core::INLINE_LINES;
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

/// Real records of several shapes, each with the number of lines its bill has: one to
/// eight, through a context tier, a time window with a default region, and a batch
/// schedule derived from the standard one.
fn records() -> Vec<(&'static str, tariff::Usage, usize)> {
    let record = |model, body: &str, at: &str, lines| {
        let json = format!(r#"{{{body}, "at": "{at}"}}"#);
        (model, tariff::Usage::from_json(&json).unwrap(), lines)
    };
    let sonnet = r#""input_tokens": 1200, "cache_read_tokens": 24000, "cache_write_tokens": 3000,
        "cache_write_1h_tokens": 1000, "output_tokens": 650, "reasoning_tokens": 900"#;
    // Every text, audio and image bucket Gemini 2.5 Pro prices, and grounded searches.
    let gemini = r#""input_tokens": 1000, "cache_read_tokens": 2000, "output_tokens": 300,
        "reasoning_tokens": 700, "audio_input_tokens": 400, "audio_cache_read_tokens": 500,
        "image_input_tokens": 258, "searches": 2"#;
    vec![
        record(
            "text-embedding-3-small",
            r#""input_tokens": 5000"#,
            "2025-11-01T00:00:00Z",
            1,
        ),
        // In DeepSeek's off-peak window (16:30-00:30 UTC), in its default region.
        record(
            "deepseek-chat",
            r#""input_tokens": 900, "cache_read_tokens": 3000, "output_tokens": 200"#,
            "2025-03-10T17:00:00Z",
            3,
        ),
        record(
            "gpt-5",
            r#""input_tokens": 3000, "cache_read_tokens": 12000, "output_tokens": 400,
               "reasoning_tokens": 2000"#,
            "2025-11-01T00:00:00Z",
            4,
        ),
        // The benchmark's typical record: every text bucket Anthropic reports.
        record("claude-sonnet-4-5", sonnet, "2025-11-01T00:00:00Z", 6),
        // The same on the batch tier: a schedule scaled from the standard one.
        record(
            "claude-sonnet-4-5",
            &format!(r#"{sonnet}, "service_tier": "batch""#),
            "2025-11-01T00:00:00Z",
            6,
        ),
        // Above the 200K-input cliff: the context tier's rates.
        record(
            "claude-sonnet-4-5",
            r#""input_tokens": 180000, "cache_read_tokens": 30000, "cache_write_tokens": 4000,
               "cache_write_1h_tokens": 2000, "output_tokens": 2000, "reasoning_tokens": 4000"#,
            "2025-11-01T00:00:00Z",
            6,
        ),
        record("gemini-2.5-pro", gemini, "2025-11-01T00:00:00Z", 8),
    ]
}

#[test]
fn quoting_a_resolved_model_allocates_nothing_up_to_eight_lines() {
    let c = Catalog::builtin();
    let mut shapes = std::collections::BTreeSet::new();
    for (model, usage, lines) in records() {
        let m = c.resolve(model).unwrap();
        // Warm, and check the record is the shape it claims to be.
        let warm = tariff::price::quote(m, &usage).unwrap();
        assert_eq!(warm.lines().len(), lines, "{model}: {warm:?}");
        assert!(lines <= INLINE_LINES, "{model}: {lines} lines");
        shapes.insert((
            warm.tier().is_some(),
            warm.window().is_some(),
            warm.schedule().scale.is_some(),
        ));
        let (n, bill) = allocations(|| tariff::price::quote(m, &usage).unwrap());
        assert_eq!(
            n, 0,
            "price::quote({model}, {lines} lines) allocated {n} times"
        );
        // The same bill, whole: its total is the sum of its lines.
        assert_eq!(bill, warm);
        assert_eq!(bill.total(), bill.lines().iter().map(|l| l.amount()).sum());
        drop(bill);
    }
    // The records reach a context tier, a time window and a scaled schedule.
    assert!(shapes.contains(&(true, false, false)), "{shapes:?}");
    assert!(shapes.contains(&(false, true, false)), "{shapes:?}");
    assert!(shapes.contains(&(false, false, true)), "{shapes:?}");
}

#[test]
fn quoting_by_exact_id_allocates_nothing_up_to_eight_lines() {
    let c = Catalog::builtin();
    for (model, usage, lines) in records() {
        let warm = c.quote(model, &usage).unwrap();
        assert_eq!(warm.lines().len(), lines, "{model}");
        assert!(lines <= INLINE_LINES, "{model}: {lines} lines");
        let (n, bill) = allocations(|| c.quote(model, &usage).unwrap());
        assert_eq!(
            n, 0,
            "Catalog::quote({model}, {lines} lines) allocated {n} times"
        );
        assert_eq!(bill, warm);
    }
}

/// The counter sees a bill's own allocation: a ninth line is the first that does not fit
/// inline, and costs one.
#[test]
fn a_ninth_line_is_the_first_to_allocate() {
    let c = Catalog::builtin();
    let m = c.resolve("gemini-2.5-pro").unwrap();
    let usage = tariff::Usage::from_json(
        r#"{"input_tokens": 1000, "cache_read_tokens": 2000, "output_tokens": 300,
            "reasoning_tokens": 700, "audio_input_tokens": 400, "audio_cache_read_tokens": 500,
            "image_input_tokens": 258, "searches": 2, "web_search_calls": 1,
            "at": "2025-11-01T00:00:00Z"}"#,
    )
    .unwrap();
    let warm = tariff::price::quote(m, &usage).unwrap();
    assert_eq!(warm.lines().len(), INLINE_LINES + 1);
    let (n, bill) = allocations(|| tariff::price::quote(m, &usage).unwrap());
    assert_eq!(n, 1, "a nine-line bill allocated {n} times");
    assert_eq!(bill, warm);
}
