//! Not a fuzz target: run.sh runs it once to prove the fuzz build checks integer overflow
//! (`cargo fuzz build -O --debug-assertions`). Any input starting with `+` adds 1 to
//! `u64::MAX`, which must abort the run; a build without overflow checks wraps silently.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'+') {
        let max = std::hint::black_box(u64::MAX);
        let _ = std::hint::black_box(max + u64::from(data[0] == b'+'));
    }
});
