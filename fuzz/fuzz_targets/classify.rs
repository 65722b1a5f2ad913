//! The outcome classifier on any status and body, its rule patterns on any text and its
//! rules file on any TOML: an outcome or a typed error, never a panic.
//!
//! The first byte picks the mode: classify (the next two bytes are the status), a pattern
//! (its first line) matched against the rest, or a rules file classifying its own text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tariff::outcome::{classify, Classifier, Pattern, StreamEnd, StreamPolicy, StreamProgress};

fuzz_target!(|data: &[u8]| {
    let [mode, hi, lo, rest @ ..] = data else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let status = u16::from_be_bytes([*hi, *lo]);
    match mode % 3 {
        0 => {
            let _ = classify(status, text);
            let c = Classifier::builtin();
            for (delivered_output, usage_reported) in [(false, false), (true, false), (true, true)]
            {
                let progress = StreamProgress {
                    delivered_output,
                    usage_reported,
                };
                for end in [
                    StreamEnd::Completed,
                    StreamEnd::ClientGone,
                    StreamEnd::Timeout,
                    StreamEnd::UpstreamError { status, body: text },
                ] {
                    let s = c.settle_stream(&end, progress, &StreamPolicy::default());
                    assert!(
                        !(s.retry && delivered_output),
                        "never retried after output reached the client"
                    );
                }
            }
        }
        1 => {
            let (source, body) = text.split_once('\n').unwrap_or((text, text));
            if let Ok(p) = Pattern::new(source) {
                let _ = p.is_match(body);
                assert_eq!(p.as_str(), source, "a pattern keeps its source");
            }
        }
        _ => {
            if let Ok(c) = Classifier::from_toml(text) {
                let _ = c.classify(status, text);
            }
        }
    }
});
