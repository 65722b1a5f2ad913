//! Request estimates: image-token vectors from the vendors' documented examples, whole
//! requests of every family, typed errors, and the estimate → hold → settle flow.

mod media_fixtures;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use media_fixtures::{png, wav_bytes};
use serde_json::json;
use tariff::estimate::vision::{
    anthropic_image, gemini_audio, gemini_image, gemini_video, openai_image, openai_patches,
    openai_tiles, Resolution,
};
use tariff::estimate::{estimate, Basis, Detail, Dims, Estimate, EstimateError, MediaDuration};
use tariff::extract::{Api, StreamMeter};
use tariff::ledger::{AccountId, HoldPolicy, Ledger, QuotaUnits, RequestId};
use tariff::tokens::Encoding;
use tariff::{Catalog, QuotaPolicy};

fn d(width: u64, height: u64) -> Option<Dims> {
    Some(Dims { width, height })
}

fn wav(seconds: u32) -> String {
    // 16 kHz mono 16-bit: 32,000 bytes a second; the samples themselves are zeros.
    STANDARD.encode(wav_bytes(32_000, 32_000 * seconds))
}

fn pdf(pages: usize) -> String {
    let mut s = String::from("%PDF-1.4\n1 0 obj << /Type /Pages /Count 9 >>\n");
    for i in 0..pages {
        s.push_str(&format!(
            "{} 0 obj << /Type /Page /Parent 1 0 R >>\n",
            i + 2
        ));
    }
    STANDARD.encode(s)
}

fn est(api: Api, model: &str, body: serde_json::Value) -> Estimate {
    estimate(api, model, body.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn err(api: Api, model: &str, body: serde_json::Value) -> EstimateError {
    estimate(api, model, body.to_string().as_bytes()).unwrap_err()
}

fn part<'a>(e: &'a Estimate, what: &str) -> &'a tariff::estimate::Part {
    e.parts
        .iter()
        .find(|p| p.what.contains(what))
        .unwrap_or_else(|| panic!("no part `{what}` in {:?}", e.parts))
}

// ---------------------------------------------------------------------------------------
// OpenAI's "Calculating costs" examples (images and vision guide).

#[test]
fn openai_tile_examples() {
    // gpt-4o: 1024×1024 high → 768×768 → 4 tiles → 85 + 4 × 170 = 765.
    assert_eq!(openai_tiles(85, 170, 1024, 1024), 765);
    // 2048×4096 high → 1024×2048 → 768×1536 → 6 tiles → 1105.
    assert_eq!(openai_tiles(85, 170, 2048, 4096), 1105);
    let t = |m: &str, w, h, detail| openai_image(m, d(w, h), detail).unwrap();
    assert_eq!(t("gpt-4o", 1024, 1024, Detail::High).tokens, 765);
    assert_eq!(
        t("gpt-4o-2024-08-06", 2048, 4096, Detail::High).tokens,
        1105
    );
    // 4096×8192 at low detail: the base only.
    assert_eq!(t("gpt-4o", 4096, 8192, Detail::Low).tokens, 85);
    // The other tile models: gpt-4o-mini 2833 + 5667/tile, o1/o3 75 + 150, gpt-5 70 + 140.
    assert_eq!(
        t("gpt-4o-mini", 1024, 1024, Detail::High).tokens,
        2833 + 4 * 5667
    );
    assert_eq!(t("o3", 1024, 1024, Detail::High).tokens, 75 + 4 * 150);
    assert_eq!(t("gpt-5", 1024, 1024, Detail::High).tokens, 70 + 4 * 140);
    assert_eq!(t("gpt-4.1", 512, 512, Detail::High).tokens, 85 + 170);
    let high = t("gpt-4o", 1024, 1024, Detail::High);
    assert_eq!(high.basis, Basis::Formula);
    // `auto` is counted as high (a bound) and flagged.
    let auto = t("gpt-4o", 1024, 1024, Detail::Auto);
    assert_eq!((auto.tokens, auto.basis), (765, Basis::Default));
}

#[test]
fn openai_patch_examples() {
    // 1024×1024 → 32 × 32 = 1,024 patches.
    assert_eq!(openai_patches(1024, 1024), 1024);
    // 1800×2400 → 2,700 raw patches > 1,536 → shrink 0.603 → 1086×1448 → 33 patches wide
    // → 1056×1408 → 33 × 44 = 1,452.
    assert_eq!(openai_patches(1800, 2400), 1452);
    // Tokens are patches × the model's multiplier, rounded up.
    let t = |m: &str, w, h| openai_image(m, d(w, h), Detail::High).unwrap().tokens;
    assert_eq!(t("gpt-4.1-mini", 1024, 1024), 1659); // 1024 × 1.62 = 1658.88
    assert_eq!(t("gpt-4.1-nano", 1024, 1024), 2520); // 1024 × 2.46 = 2519.04
    assert_eq!(t("o4-mini", 1800, 2400), 2498); // 1452 × 1.72 = 2497.44
                                                // Small images are not scaled up: 100×50 → 4 × 2 patches.
    assert_eq!(openai_patches(100, 50), 8);
    // Unknown size: the 1,536-patch cap.
    let u = openai_image("gpt-4.1-mini", None, Detail::High).unwrap();
    assert_eq!((u.tokens, u.basis), (2489, Basis::Default)); // 1536 × 1.62 = 2488.32
}

// Anthropic's vision guide: tokens = width × height / 750, and its table of examples.
#[test]
fn anthropic_image_examples() {
    let t = |w, h| anthropic_image("claude-sonnet-4-5", d(w, h)).tokens;
    assert_eq!(t(200, 200), 54);
    assert_eq!(t(1000, 1000), 1334);
    assert_eq!(t(1092, 1092), 1590);
    // The largest sizes the guide lists as not resized stay near 1,600 tokens.
    for (w, h) in [(951, 1268), (896, 1344), (819, 1456), (784, 1568)] {
        assert!((1590..=1600).contains(&t(w, h)), "{w}×{h}: {}", t(w, h));
    }
    // 3000×1000 is scaled to a long edge of 1568: 1568 × 522.67 / 750 = 1092.7 → 1093.
    assert_eq!(t(3000, 1000), 1093);
    // Anything larger is capped at ~1,600 tokens.
    assert_eq!(t(8000, 8000), 1600);
    let u = anthropic_image("claude-opus-4-1", None);
    assert_eq!((u.tokens, u.basis), (1600, Basis::Default));
}

// Gemini's token guide: 258 per image up to 384 px, 258 per 768×768 tile beyond; video
// 263 tokens/s; audio 32 tokens/s; Gemini 3 by media resolution.
#[test]
fn gemini_media_examples() {
    let img = |m: &str, w, h| gemini_image(m, d(w, h), None).unwrap().tokens;
    assert_eq!(img("gemini-2.0-flash", 384, 384), 258);
    assert_eq!(img("gemini-2.5-pro", 385, 100), 258); // one tile
    assert_eq!(img("gemini-2.5-pro", 1024, 1024), 4 * 258);
    assert_eq!(img("gemini-2.5-flash", 1920, 1080), 6 * 258);
    assert_eq!(
        gemini_video("gemini-2.5-flash", MediaDuration::whole(60), None)
            .unwrap()
            .tokens,
        60 * 263
    );
    assert_eq!(
        gemini_audio("gemini-2.5-flash", MediaDuration::whole(60))
            .unwrap()
            .tokens,
        60 * 32
    );
    assert_eq!(
        gemini_audio("gemini-2.5-flash", MediaDuration::new(3, 2).unwrap())
            .unwrap()
            .tokens,
        48
    );
    let g3 = |r| gemini_image("gemini-3-pro-preview", d(4000, 3000), r).unwrap();
    assert_eq!(g3(Some(Resolution::Low)).tokens, 280);
    assert_eq!(g3(Some(Resolution::Medium)).tokens, 560);
    assert_eq!(g3(Some(Resolution::High)).tokens, 1120);
    assert_eq!((g3(None).tokens, g3(None).basis), (1120, Basis::Default));
    // 10 s of Gemini 3 video at low resolution: (70 per frame + 32 audio) per second.
    assert_eq!(
        gemini_video(
            "gemini-3-pro-preview",
            MediaDuration::whole(10),
            Some(Resolution::Low)
        )
        .unwrap()
        .tokens,
        1020
    );
    assert!(gemini_image("claude-sonnet-4-5", d(10, 10), None).is_err());
}

// ---------------------------------------------------------------------------------------
// Whole requests.

/// OpenAI's cookbook counts this conversation as 129 prompt tokens for gpt-3.5-turbo and
/// gpt-4 (cl100k_base) and 124 for gpt-4o and gpt-4o-mini (o200k_base).
#[test]
fn openai_cookbook_message_count() {
    let body = json!({"messages": [
        {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
        {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
        {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
        {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
        {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
        {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
    ], "max_tokens": 1});
    for (model, want) in [
        ("gpt-3.5-turbo", 129),
        ("gpt-4", 129),
        ("gpt-4o", 124),
        ("gpt-4o-mini", 124),
    ] {
        let e = est(Api::OpenAiChat, model, body.clone());
        assert_eq!(e.usage.input_tokens.get(), want, "{model}");
        assert!(e.input_is_exact());
        assert_eq!(part(&e, "text").basis, Basis::Exact);
        assert_eq!(part(&e, "framing").basis, Basis::Formula);
    }
}

#[test]
fn openai_chat_with_images_tools_and_n() {
    let body = json!({
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Compare these."},
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", png(1024, 1024)), "detail": "high"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/x.jpg"}}
        ]}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
        "n": 3,
        "max_completion_tokens": 200
    });
    let e = est(Api::OpenAiChat, "gpt-4o", body);
    let inline = part(&e, "content[1] image");
    assert_eq!((inline.tokens, inline.basis), (765, Basis::Formula));
    // A remote URL has no size in the request: the most tiles (768×2048), flagged.
    let remote = part(&e, "content[2] image");
    assert_eq!(
        (remote.tokens, remote.basis),
        (85 + 8 * 170, Basis::Default)
    );
    // OpenAI's function counting: 7 + "get_weather:Weather for a city" (one period dropped)
    // + 3 per properties + 3 + "city:string:" per property + 12 at the end.
    let o200k = |s: &str| Encoding::O200kBase.count(s) as u64;
    let tool = part(&e, "tool definitions");
    assert_eq!(
        (tool.tokens, tool.basis),
        (
            7 + o200k("get_weather:Weather for a city") + 3 + 3 + o200k("city:string:") + 12,
            Basis::Formula
        )
    );
    assert!(!e.input_is_exact());
    assert_eq!(e.output_bound(), 600);
    let out = part(&e, "output");
    assert_eq!(out.basis, Basis::Bound);
    assert!(out.note.contains("n = 3"), "{}", out.note);
    let text = Encoding::O200kBase.count("Compare these.") + Encoding::O200kBase.count("user");
    let tools = part(&e, "tool definitions").tokens as usize;
    assert_eq!(
        e.usage.input_tokens.get() as usize,
        3 + 3 + text + 765 + 1445 + tools
    );
}

#[test]
fn output_bound_from_model_limits_or_refused() {
    let body = json!({"messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(
        est(Api::OpenAiChat, "gpt-4o", body.clone()).output_bound(),
        16384
    );
    assert_eq!(
        est(Api::OpenAiChat, "gpt-5-mini", body.clone()).output_bound(),
        128000
    );
    assert_eq!(
        est(Api::OpenAiChat, "deepseek-reasoner", body.clone()).output_bound(),
        65536
    );
    match err(Api::OpenAiChat, "ernie-4.0-8k", body) {
        EstimateError::NoOutputBound { model, field } => {
            assert_eq!(
                (model.as_str(), field.as_str()),
                ("ernie-4.0-8k", "max_completion_tokens")
            )
        }
        e => panic!("{e:?}"),
    }
    let e = err(
        Api::OpenAiChat,
        "gpt-4o",
        json!({"messages": [], "max_tokens": -5}),
    );
    assert!(
        e.to_string()
            .contains("`max_tokens` must be a non-negative integer"),
        "{e}"
    );
    let e = err(Api::OpenAiChat, "gpt-4o", json!({"messages": [], "n": 0}));
    assert!(
        e.to_string().contains("`n` must be a positive integer"),
        "{e}"
    );
}

#[test]
fn families_without_public_tokenizers_are_flagged() {
    let body = json!({"max_tokens": 50, "messages": [{"role": "user", "content": "你好，请介绍一下你自己。"}]});
    let e = est(Api::OpenAiChat, "deepseek-chat", body);
    assert_eq!(e.counter, "approx:deepseek");
    assert_eq!(part(&e, "text").basis, Basis::Estimated);
    assert_eq!(part(&e, "framing").basis, Basis::Estimated);
    assert!(!e.input_is_exact());
    assert!(e.usage.estimated);
}

#[test]
fn anthropic_request() {
    let body = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": "You answer questions about the attached report.", "cache_control": {"type": "ephemeral"}}],
        "tools": [{"name": "lookup", "description": "Look a term up.", "input_schema": {"type": "object", "properties": {"term": {"type": "string"}}}}],
        "messages": [
            {"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png(1000, 1000)}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": pdf(3)}},
                {"type": "text", "text": "Summarize page two."}
            ]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {"term": "EBITDA"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "Earnings before interest..."}]}
        ]
    });
    let e = est(Api::Anthropic, "claude-sonnet-4-5", body);
    assert_eq!(e.counter, "approx:claude");
    assert_eq!(part(&e, "image").tokens, 1334);
    assert_eq!(part(&e, "PDF").tokens, 3 * 4600);
    let tools = part(&e, "tool definitions");
    assert!(
        tools.tokens > 346 && tools.note.contains("346"),
        "{tools:?}"
    );
    // The system block carries a cache breakpoint: tools and system are written to cache.
    let written = e.usage.cache_write_tokens.get();
    assert!(
        written > tools.tokens && written < tools.tokens + 20,
        "{written}"
    );
    assert_eq!(e.input_tokens(), written + e.usage.input_tokens.get());
    assert_eq!(e.output_bound(), 1024);
    assert!(part(&e, "framing").tokens == 9);
}

#[test]
fn anthropic_one_hour_cache_and_required_max_tokens() {
    let body = json!({"max_tokens": 10, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "a long stable prefix", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        {"type": "text", "text": "the question"}
    ]}]});
    let e = est(Api::Anthropic, "claude-haiku-4-5", body);
    assert!(e.usage.cache_write_1h_tokens.get() > 0);
    assert_eq!(e.usage.cache_write_tokens.get(), 0);
    let e = err(Api::Anthropic, "claude-haiku-4-5", json!({"messages": []}));
    assert_eq!(
        e.to_string(),
        "anthropic request: field `max_tokens` is required by the Messages API"
    );
}

#[test]
fn gemini_request() {
    let body = json!({
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [{"role": "user", "parts": [
            {"text": "What do you hear and see?"},
            {"inlineData": {"mimeType": "audio/wav", "data": wav(3)}},
            {"inline_data": {"mime_type": "image/png", "data": png(1920, 1080)}},
            {"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/v.mp4"}, "videoMetadata": {"startOffset": "5s", "endOffset": "15s"}},
            {"inlineData": {"mimeType": "application/pdf", "data": pdf(2)}}
        ]}],
        "generationConfig": {"maxOutputTokens": 300, "candidateCount": 2}
    });
    let e = est(Api::Gemini, "gemini-2.5-flash", body);
    assert_eq!(e.counter, "approx:gemini");
    assert_eq!(e.usage.audio_input_tokens.get(), 3 * 32);
    assert_eq!(part(&e, "image").tokens, 6 * 258);
    assert_eq!(part(&e, "video").tokens, 10 * 263);
    assert_eq!(part(&e, "PDF").tokens, 2 * 258);
    assert_eq!(e.output_bound(), 600);
    let text = part(&e, "text").tokens;
    assert_eq!(e.usage.input_tokens.get(), text + 6 * 258 + 2630 + 516);

    let e = err(
        Api::Gemini,
        "gemini-2.5-flash",
        json!({"contents": [{"parts": [{"fileData": {"mimeType": "video/mp4", "fileUri": "gs://x"}}]}]}),
    );
    assert!(
        matches!(&e, EstimateError::Media { path, .. } if path == "contents[0].parts[0]"),
        "{e:?}"
    );
    assert!(e.to_string().contains("videoMetadata"), "{e}");
}

#[test]
fn gemini3_media_resolution() {
    let body = json!({
        "contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": png(3000, 2000)}, "mediaResolution": {"level": "MEDIA_RESOLUTION_LOW"}},
                                 {"inlineData": {"mimeType": "image/png", "data": png(3000, 2000)}}]}],
        "generationConfig": {"maxOutputTokens": 10, "mediaResolution": "MEDIA_RESOLUTION_MEDIUM"}
    });
    let e = est(Api::Gemini, "gemini-3-pro-preview", body);
    let images: Vec<u64> = e
        .parts
        .iter()
        .filter(|p| p.what.ends_with("image"))
        .map(|p| p.tokens)
        .collect();
    assert_eq!(images, [280, 560]);
}

#[test]
fn responses_request() {
    let body = json!({
        "model": "gpt-4.1-mini",
        "instructions": "Reply in French.",
        "input": [
            {"role": "user", "content": [
                {"type": "input_text", "text": "Describe this."},
                {"type": "input_image", "image_url": format!("data:image/png;base64,{}", png(1800, 2400))}
            ]},
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"}
        ],
        "max_output_tokens": 64
    });
    let e = est(Api::OpenAiResponses, "gpt-4.1-mini", body);
    assert_eq!(part(&e, "image").tokens, 2353); // 1452 patches × 1.62 = 2352.24
    assert_eq!(e.output_bound(), 64);
    assert!(e.input_is_exact());
    let simple = est(
        Api::OpenAiResponses,
        "gpt-4o",
        json!({"input": "Hello", "max_output_tokens": 5}),
    );
    assert_eq!(simple.usage.input_tokens.get(), 3 + 1 + 3);
}

#[test]
fn embeddings_request() {
    let e = est(
        Api::OpenAiEmbeddings,
        "text-embedding-3-small",
        json!({"input": ["hello world", "goodbye"]}),
    );
    assert_eq!(e.counter, "cl100k_base");
    assert_eq!(e.usage.input_tokens.get(), 2 + 2);
    assert_eq!(e.output_bound(), 0);
    let e = est(
        Api::OpenAiEmbeddings,
        "text-embedding-3-small",
        json!({"input": [[1, 2, 3], [4]]}),
    );
    assert_eq!(e.usage.input_tokens.get(), 4);
    assert!(e.input_is_exact());
}

#[test]
fn wrong_family_and_bad_input_are_typed_errors() {
    let gemini = json!({"contents": [{"parts": [{"text": "hi"}]}]});
    for api in [Api::OpenAiChat, Api::Anthropic, Api::OpenAiResponses] {
        assert!(
            matches!(
                err(api, "gpt-4o", gemini.clone()),
                EstimateError::WrongFamily { .. }
            ),
            "{api}"
        );
    }
    let anthropic_blocks = json!({"max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "x"}}]}]});
    assert!(matches!(
        err(Api::OpenAiChat, "gpt-4o", anthropic_blocks),
        EstimateError::WrongFamily {
            expected: Api::OpenAiChat,
            ..
        }
    ));
    let openai_system = json!({"max_tokens": 5, "messages": [{"role": "system", "content": "x"}]});
    let e = err(Api::Anthropic, "claude-sonnet-4-5", openai_system);
    assert!(
        e.to_string().contains("looks like an OpenAI chat request"),
        "{e}"
    );
    let chat = json!({"messages": [{"role": "user", "content": "x"}]});
    assert!(matches!(
        err(Api::Gemini, "gemini-2.5-pro", chat.clone()),
        EstimateError::WrongFamily { .. }
    ));
    assert!(matches!(
        err(Api::OpenAiEmbeddings, "text-embedding-3-small", chat),
        EstimateError::WrongFamily { .. }
    ));
    let responses_items = json!({"input": [{"role": "user", "content": "x"}]});
    assert!(matches!(
        err(
            Api::OpenAiEmbeddings,
            "text-embedding-3-small",
            responses_items
        ),
        EstimateError::WrongFamily { .. }
    ));

    let e = estimate(Api::OpenAiChat, "gpt-4o", b"{\"messages\": [").unwrap_err();
    assert!(matches!(e, EstimateError::Json { offset: 13, .. }), "{e:?}");
    let e = err(
        Api::OpenAiChat,
        "gpt-4o",
        json!({"messages": [{"role": "user", "content": [{"type": "video", "url": "x"}]}]}),
    );
    assert_eq!(e.to_string(), "openai-chat request: field `messages[0].content[0].type` `video` is not a content part type this estimator knows");
    let e = err(
        Api::OpenAiChat,
        "gpt-4o",
        json!({"max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": wav(1), "format": "wav"}}]}]}),
    );
    assert!(
        matches!(&e, EstimateError::Media { path, .. } if path == "messages[0].content[0]"),
        "{e:?}"
    );
    let e = err(
        Api::OpenAiChat,
        "claude-sonnet-4-5",
        json!({"max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]}]}),
    );
    assert!(
        e.to_string()
            .contains("no image formula is known for model `claude-sonnet-4-5`"),
        "{e}"
    );
    let e = err(
        Api::OpenAiChat,
        "gpt-4o",
        json!({"max_tokens": 1, "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x", "detail": "ultra"}}]}]}),
    );
    assert!(
        e.to_string()
            .contains("detail` must be `low`, `high` or `auto`"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// The relay flow: estimate → hold → (stream without usage) → settle on an estimate.

#[test]
fn estimate_hold_settle_flow() {
    let catalog = Catalog::builtin();
    let request = json!({"model": "gpt-4o", "stream": true, "max_tokens": 400,
        "messages": [{"role": "user", "content": "Write a haiku about ledgers."}]});
    let est = est(Api::OpenAiChat, "gpt-4o", request);
    let at = "2025-11-01T00:00:00Z".parse().unwrap();
    let mut bound = est.usage.clone();
    bound.at = Some(at);
    let hold_bill = catalog.quote("gpt-4o", &bound).unwrap();
    assert!(hold_bill.estimated());

    let mut ledger = Ledger::new(QuotaPolicy::new_api());
    let (alice, req) = (AccountId::from("alice"), RequestId::from("r-1"));
    ledger.credit(&alice, QuotaUnits(1_000_000));
    let hold = ledger
        .hold(&alice, &req, &hold_bill, HoldPolicy::FullBound)
        .unwrap();
    // gpt-4o: $2.50 / 1M input, $10 / 1M output; 500,000 units per dollar.
    let input = est.usage.input_tokens.get();
    let exact = (input as f64 * 2.5 + 400.0 * 10.0) / 1e6 * 500_000.0;
    assert_eq!(hold.held.0, exact.round() as u64);

    // The stream ends without a usage chunk: the meter has counted its text as it went.
    let stream = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Columns of numbers\"}}]}\n\n\
                  data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\" balance in the lamplight\"}}]}\n\n\
                  data: [DONE]\n\n";
    let mut meter = StreamMeter::new(Api::OpenAiChat).count_text(est.output_counter());
    for chunk in stream.as_bytes().chunks(11) {
        meter.feed(chunk).unwrap();
    }
    let streamed = meter.streamed_tokens().unwrap();
    assert_eq!(
        streamed,
        Encoding::O200kBase.count("Columns of numbers balance in the lamplight") as u64
    );
    let mut actual = meter.finish_or_estimate(|n| est.settle_usage(n)).unwrap();
    assert_eq!(actual.output_tokens.get(), streamed);
    assert_eq!(actual.input_tokens, est.usage.input_tokens);
    actual.at = Some(at);
    let bill = catalog.quote("gpt-4o", &actual).unwrap();
    assert!(bill.estimated());
    let s = ledger.settle(&req, &bill).unwrap();
    assert!(s.estimated);
    assert!(s.delta < 0, "the streamed answer costs less than the bound");
    assert!(ledger.audit(&alice).unwrap().is_balanced());

    // A stream that did report usage settles on it, not on the estimate.
    let reported = "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n\
                    data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,\"total_tokens\":29}}\n\n";
    let mut meter = StreamMeter::new(Api::OpenAiChat).count_text(est.output_counter());
    meter.feed(reported.as_bytes()).unwrap();
    let u = meter.finish_or_estimate(|n| est.settle_usage(n)).unwrap();
    assert_eq!(
        (u.input_tokens.get(), u.output_tokens.get(), u.estimated),
        (20, 9, false)
    );
}

// ---------------------------------------------------------------------------------------
// Properties.

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn fixtures() -> Vec<(Api, &'static str, String)> {
        vec![
            (
                Api::OpenAiChat,
                "gpt-4o",
                json!({"max_tokens": 9, "n": 2, "messages": [{"role": "user", "name": "a", "content": [{"type": "text", "text": "hi"},
                    {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", png(640, 480))}}]}],
                    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]})
                .to_string(),
            ),
            (
                Api::Anthropic,
                "claude-sonnet-4-5",
                json!({"max_tokens": 9, "system": "s", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png(640, 480)}}]}]})
                .to_string(),
            ),
            (
                Api::Gemini,
                "gemini-2.5-flash",
                json!({"contents": [{"parts": [{"text": "hi"}, {"inlineData": {"mimeType": "audio/wav", "data": wav(1)}}]}],
                    "generationConfig": {"maxOutputTokens": 9}})
                .to_string(),
            ),
            (
                Api::OpenAiResponses,
                "gpt-4.1-mini",
                json!({"input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}], "max_output_tokens": 9}).to_string(),
            ),
            (Api::OpenAiEmbeddings, "text-embedding-3-small", json!({"input": ["a", [1, 2]]}).to_string()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any mutation of a valid request is estimated or refused with a typed error;
        /// never a panic.
        #[test]
        fn mutated_requests_never_panic(which in 0usize..5, at in any::<usize>(), byte in any::<u8>(), cut in any::<bool>()) {
            let (api, model, body) = &fixtures()[which];
            let mut b = body.clone().into_bytes();
            let i = at % b.len();
            if cut { b.truncate(i) } else { b[i] = byte }
            let _ = estimate(*api, model, &b);
        }

        /// One more message never lowers the input bound, and the parts add up to the usage.
        #[test]
        fn more_messages_never_cost_less(texts in proptest::collection::vec("[a-zA-Z 中文,.!0-9\\n]{0,60}", 1..8)) {
            for (api, model) in [(Api::OpenAiChat, "gpt-4o"), (Api::Anthropic, "claude-sonnet-4-5")] {
                let messages: Vec<_> = texts.iter().map(|t| json!({"role": "user", "content": t})).collect();
                let e = est(api, model, json!({"max_tokens": 5, "messages": messages}));
                let fewer = est(api, model, json!({"max_tokens": 5, "messages": messages[..messages.len() - 1].to_vec()}));
                prop_assert!(e.input_tokens() >= fewer.input_tokens());
                let parts: u64 = e.parts.iter().map(|p| p.tokens).sum();
                prop_assert_eq!(parts, e.input_tokens() + e.output_bound());
                prop_assert!(e.usage.estimated);
            }
        }
    }
}
