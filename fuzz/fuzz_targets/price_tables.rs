//! The price-table loader on any text: a catalog or a list of problems, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tariff::Catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Catalog::builder().text("fuzz.toml", text).build();
});
