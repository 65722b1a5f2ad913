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
        assert!(
            s.is_finite() && s >= 0.0,
            "a duration is finite and not negative: {s}"
        );
    }
    let _ = pdf_pages(data);
});
