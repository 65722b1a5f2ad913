//! Request estimates of every family, on any bytes: an estimate or a typed error, never a
//! panic, a hang or a wrapped count.
//!
//! The first byte picks the family (over `Api::ALL`, so a new family is fuzzed as soon as
//! it exists), the second the model (fuzz/estimate_models.txt: the family's own models,
//! then a few of other families' and one nobody knows; its top bit grows the request, see
//! `grow`); the rest is the request body, where bytes between two `\x01` are
//! base64-encoded first (see `encode_spans`). The corpus (`tools/fuzz_seeds.py`) holds
//! requests of every family with media headers (PNG, JPEG, GIF, WebP, WAV, MP3, FLAC, MP4,
//! PDF) as data URLs, `inline_data` and multipart parts, in base64 and as raw spans.
//!
//! Invariants checked on every accepted request:
//! - the bound is a valid, `estimated` usage record that survives its own JSON;
//! - a bill of it, when the built-in tables price it, totals exactly its lines;
//! - removing one media part never makes the estimate larger (a media part always adds).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;
use tariff::estimate::{estimate, Estimate};
use tariff::extract::Api;
use tariff::{Catalog, Usage};

/// The models of each family, and the `*` line's models every family also meets.
struct Models {
    families: HashMap<Api, Vec<&'static str>>,
    others: Vec<&'static str>,
}

fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| {
        let mut m = Models {
            families: HashMap::new(),
            others: Vec::new(),
        };
        let lines = include_str!("../estimate_models.txt").lines();
        for line in lines.filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let mut words = line.split_whitespace();
            let family = words.next().expect("a family");
            if family == "*" {
                m.others = words.collect();
            } else {
                let api = Api::parse(family).unwrap_or_else(|| panic!("unknown family {family}"));
                m.families.insert(api, words.collect());
            }
        }
        assert!(!m.others.is_empty(), "estimate_models.txt has a `*` line");
        m
    })
}

fuzz_target!(|data: &[u8]| {
    let [pick, model, request @ ..] = data else {
        return;
    };
    let api = Api::ALL[usize::from(*pick) % Api::ALL.len()];
    let m = models();
    let own = m.families.get(&api).map_or(&[][..], Vec::as_slice);
    let i = usize::from(*model & 0x7f) % (own.len() + m.others.len());
    let grown = (*model & 0x80 != 0).then(|| grow(request)).flatten();
    let request = grown.as_deref().unwrap_or(request);
    let encoded = encode_spans(request);
    let request = encoded.as_deref().unwrap_or(request);
    let model = own
        .get(i)
        .copied()
        .unwrap_or_else(|| m.others[i - own.len()]);

    let Ok(est) = estimate(api, model, request) else {
        return;
    };
    check(&est);
    if let Some(smaller) = without_one_media_part(request) {
        if let Ok(less) = estimate(api, model, &smaller) {
            check(&less);
            assert!(
                est.input_tokens() >= less.input_tokens(),
                "removing a media part raised the estimate: {} < {}",
                est.input_tokens(),
                less.input_tokens()
            );
        }
    }
});

fn check(est: &Estimate) {
    est.usage
        .validate()
        .expect("an estimate's usage is a valid record");
    assert!(est.usage.estimated, "an estimate is marked estimated");
    // Every count is at most MAX_COUNT (2^53 - 1), so these sums cannot wrap.
    let _ = est
        .input_tokens()
        .checked_add(est.output_bound())
        .expect("fits");
    serde_json::to_string(est).expect("an estimate serializes (the WebAssembly API's path)");
    let again = Usage::from_json(&est.usage.to_json()).expect("the bound round trips");
    assert_eq!(again, est.usage, "the bound survives its own JSON");
    if let Ok(bill) = Catalog::builtin().quote(&est.model, &est.usage) {
        let sum: rust_decimal::Decimal = bill.lines().iter().map(|l| l.amount()).sum();
        assert_eq!(sum, bill.total(), "a quote's total is the sum of its lines");
        assert!(
            bill.total() >= rust_decimal::Decimal::ZERO,
            "a bill is never negative"
        );
    }
}

/// The size a grown request reaches: past the estimators' windows (the base64 header
/// window is 256 KiB of text), which a fuzzer's few-KiB inputs never reach by themselves.
const GROWN: usize = 300 << 10;

/// `head NUL unit NUL tail` becomes `head unit… tail` with `unit` repeated to [`GROWN`]
/// bytes: a long base64 payload, text or array from a short input.
fn grow(request: &[u8]) -> Option<Vec<u8>> {
    let a = request.iter().position(|&b| b == 0)?;
    let b = a + 1 + request[a + 1..].iter().position(|&b| b == 0)?;
    let (head, unit, tail) = (&request[..a], &request[a + 1..b], &request[b + 1..]);
    if unit.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(GROWN + unit.len() + head.len() + tail.len());
    out.extend_from_slice(head);
    while out.len() < GROWN {
        out.extend_from_slice(unit);
    }
    out.extend_from_slice(tail);
    Some(out)
}

/// Every span between two `\x01` bytes replaced by its base64: the corpus carries media
/// headers as raw bytes inside the JSON, so the fuzzer mutates the header itself (a
/// mutation of base64 text scrambles it), and the estimator still sees base64.
fn encode_spans(request: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let mut parts = request.split(|&b| b == 1);
    let mut out = parts.next()?.to_vec();
    let mut any = false;
    while let Some(raw) = parts.next() {
        any = true;
        out.extend_from_slice(
            base64::engine::general_purpose::STANDARD
                .encode(raw)
                .as_bytes(),
        );
        if let Some(after) = parts.next() {
            out.extend_from_slice(after);
        }
    }
    any.then_some(out)
}

/// Keys and `type`s that mark a media part in any family's request.
const MEDIA_KEYS: [&str; 10] = [
    "image_url",
    "input_audio",
    "inline_data",
    "inlineData",
    "file_data",
    "fileData",
    "image",
    "audio",
    "video",
    "input_image",
];
const MEDIA_TYPES: [&str; 8] = [
    "image_url",
    "input_audio",
    "image",
    "document",
    "input_image",
    "input_file",
    "file",
    "video_url",
];

fn is_media(v: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    o.keys().any(|k| MEDIA_KEYS.contains(&k.as_str()))
        || o.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| MEDIA_TYPES.contains(&t))
}

/// The request with its first media part (an element of a JSON array) removed, when it
/// is JSON and has one.
fn without_one_media_part(request: &[u8]) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(request).ok()?;
    if remove_first(&mut v, 0) {
        serde_json::to_vec(&v).ok()
    } else {
        None
    }
}

fn remove_first(v: &mut Value, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    match v {
        Value::Array(items) => {
            if let Some(i) = items.iter().position(is_media) {
                items.remove(i);
                return true;
            }
            items.iter_mut().any(|x| remove_first(x, depth + 1))
        }
        Value::Object(o) => o.values_mut().any(|x| remove_first(x, depth + 1)),
        _ => false,
    }
}
