//! Every extractor, on any bytes: an error or a usage record, never a panic.
//!
//! The first byte picks the family (over `Api::ALL`, so new families are fuzzed as soon as
//! they exist), the second how the stream is cut into reads; the rest is split at the
//! first NUL into the response body and, when present, the request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tariff::extract::{extract, extract_with_request, Api, StreamMeter};

fuzz_target!(|data: &[u8]| {
    let [pick, cut, rest @ ..] = data else { return };
    let api = Api::ALL[usize::from(*pick) % Api::ALL.len()];
    let (body, request) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    if let Ok(usage) = extract(api, body) {
        // What an extractor accepts must be a valid record that survives its own JSON.
        usage.validate().expect("an extracted record is valid");
        let again = tariff::Usage::from_json(&usage.to_json()).expect("round trips");
        assert_eq!(again, usage);
    }
    let _ = extract_with_request(api, body, request);
    let mut meter = StreamMeter::new(api);
    let step = usize::from(*cut).max(1);
    for piece in body.chunks(step) {
        if meter.feed(piece).is_err() {
            return;
        }
    }
    let _ = meter.finish();
});
