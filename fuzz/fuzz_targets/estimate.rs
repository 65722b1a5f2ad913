//! Request estimates of every family, on any bytes: an estimate or a typed error, never a
//! panic, a hang or a wrapped count.
//!
//! The first byte picks the family (over `Api::ALL`, so a new family is fuzzed as soon as
//! it exists), the second the model (the family's own models, then a few of other
//! families' and one nobody knows); the rest is the request body. The corpus
//! (`tools/fuzz_seeds.py`) holds requests of every family with base64 media headers (PNG,
//! JPEG, GIF, WebP, WAV, MP3, FLAC, MP4, PDF) as data URLs, `inline_data` and multipart
//! parts.
//!
//! Invariants checked on every accepted request:
//! - the bound is a valid, `estimated` usage record that survives its own JSON;
//! - a bill of it, when the built-in tables price it, totals exactly its lines;
//! - removing one media part never makes the estimate larger (a media part always adds).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tariff::estimate::{estimate, Estimate};
use tariff::extract::Api;
use tariff::{Catalog, Usage};

/// Models each family is estimated for.
fn models(api: Api) -> &'static [&'static str] {
    match api {
        Api::OpenAiChat => &[
            "gpt-4o",
            "gpt-5-mini",
            "gpt-4.1",
            "deepseek-chat",
            "qwen-plus",
        ],
        Api::OpenAiResponses => &["gpt-4.1-mini", "gpt-4o", "gpt-5"],
        Api::OpenAiEmbeddings => &["text-embedding-3-small", "text-embedding-3-large"],
        Api::Anthropic => &["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"],
        Api::Gemini => &["gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview"],
        Api::OpenAiSpeech => &["tts-1", "tts-1-hd", "gpt-4o-mini-tts"],
        Api::OpenAiTranscription => &["whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"],
        Api::MiniMaxTts => &["speech-02-hd", "speech-02-turbo"],
        Api::DoubaoTts => &["doubao-tts"],
        Api::Suno => &["chirp-v4", "suno_music"],
        Api::Udio => &["udio"],
        Api::GeminiEmbeddings => &["gemini-embedding-001"],
        Api::Rerank => &["rerank-v3.5", "jina-reranker-m0", "rerank-english-v3.0"],
        Api::OpenAiModerations => &["omni-moderation-latest", "text-moderation-latest"],
        Api::OpenAiImages => &[
            "gpt-image-1",
            "gpt-image-1.5",
            "gpt-image-1-mini",
            "dall-e-3",
            "dall-e-2",
        ],
        Api::Seedream => &["doubao-seedream-4.0"],
        Api::QwenImage => &["z-image-turbo", "wanx2.1-t2i-turbo"],
        Api::Imagen => &["imagen-4.0-generate-001", "imagen-4.0-ultra-generate-001"],
        Api::Midjourney => &["mj_imagine", "mj_upscale"],
        Api::OpenAiVideo => &["sora-2", "sora-2-pro"],
        Api::SoraChat => &["sora-2"],
        Api::Veo => &["veo-3.0-fast-generate-001", "veo-3.0-generate-001"],
        Api::WanVideo => &["wan2.7-t2v"],
        Api::Seedance => &["doubao-seedance-2-0-260128"],
        Api::Kling => &["kling-v2-1"],
        Api::Jimeng => &["jimeng_t2v_v30"],
        Api::Luma => &["ray-2"],
        Api::Runway => &["gen4_turbo"],
        Api::DashScope => &["qwen-plus", "qwen-turbo", "qwen-vl-max"],
        #[allow(unreachable_patterns)]
        _ => &[],
    }
}

/// Other families' models and an unknown one: requests meet models they do not fit.
const OTHERS: [&str; 4] = [
    "gpt-4o",
    "claude-sonnet-4-5",
    "gemini-2.5-flash",
    "no-such-model",
];

fuzz_target!(|data: &[u8]| {
    let [pick, model, request @ ..] = data else {
        return;
    };
    let api = Api::ALL[usize::from(*pick) % Api::ALL.len()];
    let own = models(api);
    let i = usize::from(*model) % (own.len() + OTHERS.len());
    let model = own.get(i).copied().unwrap_or_else(|| OTHERS[i - own.len()]);

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
        let sum: rust_decimal::Decimal = bill.lines.iter().map(|l| l.amount).sum();
        assert_eq!(sum, bill.total, "a quote's total is the sum of its lines");
        assert!(
            bill.total >= rust_decimal::Decimal::ZERO,
            "a bill is never negative"
        );
    }
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
