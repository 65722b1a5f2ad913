//! The media header parsers (`image_dims`, `media_seconds`, `pdf_pages`) on any bytes: a
//! reading or `None`, never a panic, a hang or a wrapped size.
//!
//! The corpus (`fuzz/corpus/media_headers`, written by `tools/fuzz_seeds.py`) holds PNG,
//! JPEG, GIF, WebP, WAV, MP3, FLAC, MP4 and PDF headers; the WebAssembly test
//! `wasm/tests/headers.test.mjs` feeds the same files through the module's estimate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tariff::estimate::{image_dims, media_seconds, pdf_pages};

fuzz_target!(|data: &[u8]| {
    if let Some(d) = image_dims(data) {
        let _ = format!("{d:?}");
    }
    if let Some(s) = media_seconds(data) {
        // An exact fraction: never negative or NaN by its type; the reduced denominator is
        // at least 1, and rounding it up to whole tokens never wraps (it is `None` instead).
        assert!(s.denominator() >= 1, "a duration has a denominator: {s:?}");
        let _ = s.ceil_times(u64::MAX);
        let _ = s.to_decimal();
    }
    let _ = pdf_pages(data);
});
