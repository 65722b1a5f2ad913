//! The canonical usage record's parser on any text: an error or a valid record that round
//! trips, never a panic; and any record it accepts prices or fails cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tariff::{Catalog, Usage};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(usage) = Usage::from_json(text) else {
        return;
    };
    let again = Usage::from_json(&usage.to_json()).expect("an accepted record round trips");
    assert_eq!(again, usage);
    for model in [
        "claude-sonnet-4-5",
        "gpt-5",
        "gemini-2.5-pro",
        "deepseek-chat",
        "qwen-plus",
    ] {
        if let Ok(bill) = Catalog::builtin().quote(model, &usage) {
            let sum: rust_decimal::Decimal = bill.lines().iter().map(|l| l.amount()).sum();
            assert_eq!(sum, bill.total(), "{model}: total is the sum of its lines");
        }
    }
});
