//! Properties of request estimates over generated requests: a request with one media part
//! removed never estimates more than the whole request, in every family that takes media.

mod media_fixtures;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use media_fixtures::{png, wav_bytes};
use proptest::prelude::*;
use serde_json::{json, Value};
use tariff::estimate::{estimate, Estimate, EstimateError};
use tariff::extract::Api;

/// A part of a generated request.
#[derive(Clone, Debug)]
enum Item {
    Text(String),
    /// A PNG of this size, inline, at a detail (0 low, 1 high, 2 auto).
    Png(u32, u32, u8),
    /// An image by URL (size unknown).
    Remote(u8),
    /// A PDF of this many pages, inline.
    Pdf(usize),
    /// A WAV of this many tenths of a second, inline (Gemini).
    Wav(u32),
    /// A video by URI with offsets in tenths of a second (Gemini).
    Clip(u64, u64),
}

impl Item {
    fn is_media(&self) -> bool {
        !matches!(self, Item::Text(_))
    }
}

fn pdf(pages: usize) -> String {
    let mut s = String::from("%PDF-1.4\n");
    for i in 0..pages {
        s.push_str(&format!("{} 0 obj << /Type /Page >>\n", i + 2));
    }
    STANDARD.encode(s)
}

/// 100 bytes a second (50 Hz mono 16-bit): tenths × 10 bytes of samples.
fn wav(tenths: u32) -> String {
    STANDARD.encode(wav_bytes(100, tenths * 10))
}

fn detail(d: u8) -> &'static str {
    ["low", "high", "auto"][usize::from(d % 3)]
}

fn tenths(t: u64) -> String {
    format!("{}.{}s", t / 10, t % 10)
}

/// The request of `api` holding `items` in one user message (Gemini: one content).
fn request(api: Api, items: &[Item]) -> Value {
    let parts: Vec<Value> = items
        .iter()
        .map(|it| match (api, it) {
            (Api::OpenAiChat, Item::Text(t)) => json!({"type": "text", "text": t}),
            (Api::OpenAiChat, Item::Png(w, h, d)) => json!({"type": "image_url", "image_url": {
                "url": format!("data:image/png;base64,{}", png(*w, *h)), "detail": detail(*d)}}),
            (Api::OpenAiChat, Item::Remote(d)) => json!({"type": "image_url", "image_url": {
                "url": "https://example.com/a.png", "detail": detail(*d)}}),
            (Api::OpenAiChat, Item::Pdf(n)) => json!({"type": "file", "file": {
                "file_data": format!("data:application/pdf;base64,{}", pdf(*n))}}),
            (Api::OpenAiResponses, Item::Text(t)) => json!({"type": "input_text", "text": t}),
            (Api::OpenAiResponses, Item::Png(w, h, d)) => json!({"type": "input_image",
                "image_url": format!("data:image/png;base64,{}", png(*w, *h)), "detail": detail(*d)}),
            (Api::OpenAiResponses, Item::Remote(d)) => json!({"type": "input_image",
                "image_url": "https://example.com/a.png", "detail": detail(*d)}),
            (Api::OpenAiResponses, Item::Pdf(n)) => json!({"type": "input_file", "file_data": pdf(*n)}),
            (Api::Anthropic, Item::Text(t)) => json!({"type": "text", "text": t}),
            (Api::Anthropic, Item::Png(w, h, _)) => json!({"type": "image", "source": {
                "type": "base64", "media_type": "image/png", "data": png(*w, *h)}}),
            (Api::Anthropic, Item::Remote(_)) => json!({"type": "image", "source": {
                "type": "url", "url": "https://example.com/a.png"}}),
            (Api::Anthropic, Item::Pdf(n)) => json!({"type": "document", "source": {
                "type": "base64", "media_type": "application/pdf", "data": pdf(*n)}}),
            (_, Item::Text(t)) => json!({"text": t}),
            (_, Item::Png(w, h, _)) => json!({"inlineData": {"mimeType": "image/png", "data": png(*w, *h)}}),
            (_, Item::Remote(_)) => json!({"fileData": {"mimeType": "image/png", "fileUri": "gs://b/a.png"}}),
            (_, Item::Pdf(n)) => json!({"inlineData": {"mimeType": "application/pdf", "data": pdf(*n)}}),
            (_, Item::Wav(t)) => json!({"inlineData": {"mimeType": "audio/wav", "data": wav(*t)}}),
            (_, Item::Clip(s, l)) => json!({"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/v.mp4"},
                "videoMetadata": {"startOffset": tenths(*s), "endOffset": tenths(s + l)}}),
        })
        .collect();
    match api {
        Api::OpenAiChat => {
            json!({"max_tokens": 16, "messages": [{"role": "user", "content": parts}]})
        }
        Api::OpenAiResponses => {
            json!({"max_output_tokens": 16, "input": [{"role": "user", "content": parts}]})
        }
        Api::Anthropic => {
            json!({"max_tokens": 16, "messages": [{"role": "user", "content": parts}]})
        }
        _ => json!({"contents": [{"role": "user", "parts": parts}],
            "generationConfig": {"maxOutputTokens": 16}}),
    }
}

/// Mostly ordinary image sides, sometimes anything a PNG header can say.
fn dim() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 1u32..6000, 1 => 1u32..=u32::MAX]
}

fn item(gemini: bool) -> impl Strategy<Value = Item> {
    let common = prop_oneof![
        "[a-zA-Z ,.é€😀]{0,40}".prop_map(Item::Text),
        (dim(), dim(), 0u8..3).prop_map(|(w, h, d)| Item::Png(w, h, d)),
        (0u8..3).prop_map(Item::Remote),
        (1usize..20).prop_map(Item::Pdf),
    ];
    if gemini {
        prop_oneof![
            4 => common,
            1 => (1u32..300).prop_map(Item::Wav),
            1 => (0u64..100, 0u64..600).prop_map(|(s, l)| Item::Clip(s, l)),
            // Up to the longest protobuf duration, 315,576,000,000 s.
            1 => (0u64..1_000_000_000_000, 0u64..2_000_000_000_000).prop_map(|(s, l)| Item::Clip(s, l)),
        ]
        .boxed()
    } else {
        common.boxed()
    }
}

fn total(e: &Estimate) -> u64 {
    e.input_tokens() + e.output_bound()
}

fn check(api: Api, model: &str, items: &[Item]) -> Result<(), TestCaseError> {
    let full = match estimate(api, model, request(api, items).to_string().as_bytes()) {
        Ok(full) => full,
        // Refused as more than a usage record holds: no hold is smaller than a refusal.
        Err(EstimateError::TooLarge { .. }) => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(format!("{api} {model}: {e}"))),
    };
    for (i, it) in items.iter().enumerate() {
        if !it.is_media() {
            continue;
        }
        let mut less = items.to_vec();
        less.remove(i);
        let fewer = estimate(api, model, request(api, &less).to_string().as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{api} {model}: without part {i}: {e}")))?;
        prop_assert!(
            total(&fewer) <= total(&full),
            "{} {}: without part {} ({:?}): {} > {}",
            api,
            model,
            i,
            it,
            total(&fewer),
            total(&full)
        );
        prop_assert!(fewer.input_tokens() <= full.input_tokens());
        prop_assert!(fewer.usage.audio_input_tokens.get() <= full.usage.audio_input_tokens.get());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn openai_chat_never_estimates_more_without_a_medium(
        items in proptest::collection::vec(item(false), 1..6),
        mini in any::<bool>(),
    ) {
        check(Api::OpenAiChat, if mini { "gpt-4.1-mini" } else { "gpt-4o" }, &items)?;
    }

    #[test]
    fn openai_responses_never_estimates_more_without_a_medium(
        items in proptest::collection::vec(item(false), 1..6),
    ) {
        check(Api::OpenAiResponses, "gpt-4o", &items)?;
    }

    #[test]
    fn anthropic_never_estimates_more_without_a_medium(
        items in proptest::collection::vec(item(false), 1..6),
    ) {
        check(Api::Anthropic, "claude-sonnet-4-5", &items)?;
    }

    #[test]
    fn gemini_never_estimates_more_without_a_medium(
        items in proptest::collection::vec(item(true), 1..6),
        three in any::<bool>(),
    ) {
        let model = if three { "gemini-3-pro-preview" } else { "gemini-2.5-flash" };
        check(Api::Gemini, model, &items)?;
    }
}
