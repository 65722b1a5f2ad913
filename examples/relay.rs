//! A relay's billing path, in process: resolve the model a request names, estimate the
//! request's worst case and hold it, meter the upstream's answer and settle at its price,
//! and, when the upstream fails, classify the failure and refund the hold.
//!
//! `cargo run --example relay`

use tariff::estimate::estimate;
use tariff::extract::{extract, Api};
use tariff::ledger::{AccountId, HoldPolicy, Ledger, QuotaUnits, RequestId};
use tariff::outcome::{classify, Billing};
use tariff::{price, Catalog, QuotaPolicy, Usage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One catalog per process: the built-in tables (a relay adds its own with
    // `Catalog::builder().builtin().path("prices/")`).
    let catalog = Catalog::builtin();
    // Every bill below is priced at the time its usage record carries.
    let now = "2025-11-01T12:00:00Z".parse()?;
    let at = |mut u: Usage| {
        u.at = Some(now);
        u
    };

    // new-api's quota: 500,000 units per USD, rounded half-even, group ratio 1.
    let mut ledger = Ledger::new(QuotaPolicy::new_api());
    let alice = AccountId::from("alice");
    ledger.credit(&alice, QuotaUnits(5_000_000)); // $10

    // 1. A request arrives naming a dated alias: resolve it once (no allocation).
    let request = br#"{"model": "gpt-4o-2024-08-06", "max_tokens": 800, "messages": [
        {"role": "system", "content": "You answer in one paragraph."},
        {"role": "user", "content": "Why do relays hold quota before calling the upstream?"}
    ]}"#;
    let model = catalog
        .resolve("gpt-4o-2024-08-06")
        .ok_or("unknown model")?;
    println!("model: {} ({})", model.id(), model.provider());

    // 2. Estimate its worst case (input counted exactly, output up to max_tokens) and hold it.
    let est = estimate(Api::OpenAiChat, model.id(), request)?;
    let bound = price::quote(model, &at(est.usage.clone()))?;
    let first = RequestId::from("req-1");
    let hold = ledger.hold(&alice, &first, &bound, HoldPolicy::FullBound)?;
    println!(
        "hold:   {} {} ({} input + {} output tokens at most) = {} units",
        bound.total(),
        bound.currency(),
        est.usage.input_tokens,
        est.usage.output_tokens,
        hold.held.0
    );

    // 3. The upstream answers: meter its usage report and settle at the actual price.
    let response = br#"{"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "..."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 34, "completion_tokens": 120, "total_tokens": 154,
                  "prompt_tokens_details": {"cached_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0}}}"#;
    let actual = price::quote(model, &at(extract(Api::OpenAiChat, response)?))?;
    for line in actual.lines() {
        println!(
            "        {:<14} {:>6} × {}/{} = {}",
            line.item(),
            line.quantity(),
            line.unit_price(),
            line.per(),
            line.amount()
        );
    }
    let settled = ledger.settle(&first, &actual)?;
    println!(
        "settle: {} {} = {} units charged, {} back to the balance",
        actual.total(),
        actual.currency(),
        settled.charged.units,
        -settled.delta
    );
    assert!(
        actual.total() <= bound.total(),
        "the hold covered the answer"
    );

    // 4. A second request: held the same way, but the upstream fails.
    let second = RequestId::from("req-2");
    ledger.hold(&alice, &second, &bound, HoldPolicy::FullBound)?;
    let failure = classify(
        503,
        r#"{"error": {"message": "The server is overloaded", "type": "server_error"}}"#,
    );
    println!("fail:   {} → {}", failure.fault, failure.action);
    if failure.action.billing == Billing::Refund {
        let refund = ledger.refund(&second, &failure.message)?;
        println!("refund: {} units released", refund.released.0);
    }

    // Every unit funded is in the balance, a hold or a charge.
    let audit = ledger.audit(&alice).ok_or("no such account")?;
    assert!(audit.is_balanced());
    println!(
        "balance: {} units (of 5,000,000 funded)",
        ledger.balance(&alice).unwrap_or_default()
    );
    Ok(())
}
