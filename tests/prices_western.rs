//! Golden prices for the OpenAI, Anthropic and Google models added to the built-in tables
//! (Claude 5.x, GPT-6.x, realtime / live audio, legacy GPT-4 / 3.5, Gemini 4, Live, TTS, ...).
//! Each total is worked out by hand in the comment from the vendor's published rates (per 1M
//! tokens unless said), and compared exactly.

use rust_decimal::Decimal;
use tariff::{Bill, Catalog, PriceError, Usage};

fn quote(model: &str, usage: &str) -> Result<Bill, PriceError> {
    let usage = Usage::from_json(usage).unwrap_or_else(|e| panic!("{usage}: {e}"));
    Catalog::builtin().quote(model, &usage)
}

fn total(model: &str, usage: &str) -> Decimal {
    let bill = quote(model, usage).unwrap_or_else(|e| panic!("{model}: {e}"));
    let sum: Decimal = bill.lines().iter().map(|l| l.amount()).sum();
    assert_eq!(
        bill.total(),
        sum,
        "{model}: total is not the sum of its lines"
    );
    bill.total()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Anthropic
// ---------------------------------------------------------------------------------------------

#[test]
fn claude_opus_5_standard_and_fast_mode() {
    // Opus 5: $5 in, $6.25 5m write, $0.50 hit, $25 out.
    // 10,000 x 5 + 2,000 x 6.25 + 40,000 x 0.5 + 3,000 x 25 = 50,000 + 12,500 + 20,000 + 75,000
    // = 157,500 / 1M = $0.1575.
    let u = r#"{"input_tokens":10000,"cache_write_tokens":2000,"cache_read_tokens":40000,"output_tokens":3000,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("claude-opus-5", u), d("0.1575"));
    // Fast mode ($10 / $50, caching multipliers on top: write $12.50, hit $1):
    // 10,000 x 10 + 2,000 x 12.5 + 40,000 x 1 + 3,000 x 50 = 100,000 + 25,000 + 40,000 + 150,000
    // = 315,000 / 1M = $0.315.
    let fast = r#"{"input_tokens":10000,"cache_write_tokens":2000,"cache_read_tokens":40000,"output_tokens":3000,"options":{"speed":"fast"},"at":"2026-11-01T00:00:00Z"}"#;
    let bill = quote("claude-opus-5", fast).unwrap();
    assert_eq!(bill.total(), d("0.315"));
    assert_eq!(bill.option(), Some("fast mode"));
    // The `*-latest` alias is the same model.
    assert_eq!(total("claude-opus-5-latest", u), d("0.1575"));
}

#[test]
fn claude_opus_5_us_residency_is_one_point_one_times() {
    // US-only inference: 1.1 x every token rate. 1,000,000 in x $5.50 + 100,000 out x $27.50
    // = 5.50 + 2.75 = $8.25 (standard would be 5 + 2.5 = $7.50).
    let u = r#"{"input_tokens":1000000,"output_tokens":100000,"region":"us","at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("claude-opus-5", u), d("8.25"));
}

#[test]
fn claude_haiku_5_5_prompt_over_100k_bills_the_whole_request_at_5x() {
    // Up to 100,000 prompt tokens: $0.10 in, $0.01 hit, $0.50 out.
    // 60,000 x 0.10 + 40,000 x 0.01 + 1,000 x 0.50 = 6,000 + 400 + 500 = 6,900 / 1M = $0.0069.
    let at_edge = r#"{"input_tokens":60000,"cache_read_tokens":40000,"output_tokens":1000,"at":"2026-11-01T00:00:00Z"}"#;
    let bill = quote("claude-haiku-5-5", at_edge).unwrap();
    assert_eq!(bill.total(), d("0.0069"));
    assert_eq!(bill.tier(), None, "exactly 100,000 stays in the base band");
    // One more cached token: 100,001 > 100,000, every token at 5x ($0.50 / $0.05 / $2.50):
    // 60,000 x 0.5 + 40,001 x 0.05 + 1,000 x 2.5 = 30,000 + 2,000.05 + 2,500 = 34,500.05 / 1M
    // = $0.03450005.
    let over = r#"{"input_tokens":60000,"cache_read_tokens":40001,"output_tokens":1000,"at":"2026-11-01T00:00:00Z"}"#;
    let bill = quote("claude-haiku-5-5", over).unwrap();
    assert_eq!(bill.total(), d("0.03450005"));
    assert_eq!(bill.tier(), Some("over 100K prompt"));
    // Batch halves the tier too: $0.017250025.
    let batch = r#"{"input_tokens":60000,"cache_read_tokens":40001,"output_tokens":1000,"service_tier":"batch","at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("claude-haiku-5-5", batch), d("0.017250025"));
}

#[test]
fn claude_sonnet_5_5_cache_read_cut_on_2026_10_07() {
    // 1,000,000 cache hits: $0.20 before the cut, $0.10 from 2026-10-07.
    let before = r#"{"cache_read_tokens":1000000,"at":"2026-10-06T23:59:59Z"}"#;
    let after = r#"{"cache_read_tokens":1000000,"at":"2026-10-07T00:00:00Z"}"#;
    assert_eq!(total("claude-sonnet-5-5", before), d("0.2"));
    assert_eq!(total("claude-sonnet-5-5", after), d("0.1"));
}

#[test]
fn claude_fable_5_1_cache_hits_are_a_fortieth_of_input() {
    // Fable 5.1: $10 in, $0.25 hit (0.025x), $50 out.
    // 1,000 x 10 + 100,000 x 0.25 + 500 x 50 = 10,000 + 25,000 + 25,000 = 60,000 / 1M = $0.06.
    let u = r#"{"input_tokens":1000,"cache_read_tokens":100000,"output_tokens":500,"at":"2026-10-01T00:00:00Z"}"#;
    assert_eq!(total("claude-fable-5-1", u), d("0.06"));
    assert_eq!(total("claude-mythos-5-1", u), d("0.06"));
}

#[test]
fn claude_5_models_are_not_priced_before_release() {
    // Opus 5 was released 2026-07-24: a usage dated the day before has no price.
    let u = r#"{"input_tokens":1000,"output_tokens":100,"at":"2026-07-23T12:00:00Z"}"#;
    assert!(matches!(
        quote("claude-opus-5", u),
        Err(PriceError::NoPriceAt { .. })
    ));
}

#[test]
fn claude_opus_4_8_fast_mode_ends_on_2026_11_30() {
    // Before the removal, fast mode is $10 / $50: 1,000 x 10 + 1,000 x 50 = 60,000 / 1M = $0.06.
    let before = r#"{"input_tokens":1000,"output_tokens":1000,"options":{"speed":"fast"},"at":"2026-11-29T23:00:00Z"}"#;
    let bill = quote("claude-opus-4-8", before).unwrap();
    assert_eq!(bill.total(), d("0.06"));
    assert_eq!(bill.option(), Some("fast mode"));
    // From 2026-11-30 the schedule has no fast option (the API rejects fast requests): the
    // standard $5 / $25 apply, 1,000 x 5 + 1,000 x 25 = 30,000 / 1M = $0.03.
    let after = r#"{"input_tokens":1000,"output_tokens":1000,"options":{"speed":"fast"},"at":"2026-11-30T00:00:00Z"}"#;
    let bill = quote("claude-opus-4-8", after).unwrap();
    assert_eq!(bill.total(), d("0.03"));
    assert_eq!(bill.option(), None);
}

#[test]
fn legacy_claude_models_reprice() {
    // Claude 2.1: $8 / $24. 10,000 x 8 + 1,000 x 24 = 104,000 / 1M = $0.104.
    let u = r#"{"input_tokens":10000,"output_tokens":1000,"at":"2024-01-10T00:00:00Z"}"#;
    assert_eq!(total("claude-2.1", u), d("0.104"));
    // Claude 3 Sonnet: $3 / $15. 10,000 x 3 + 1,000 x 15 = 45,000 / 1M = $0.045.
    assert_eq!(
        total(
            "claude-3-sonnet-20240229",
            r#"{"input_tokens":10000,"output_tokens":1000,"at":"2024-06-01T00:00:00Z"}"#
        ),
        d("0.045")
    );
}

// ---------------------------------------------------------------------------------------------
// OpenAI
// ---------------------------------------------------------------------------------------------

#[test]
fn gpt_6_astra_long_context_tier() {
    // GPT-6 Astra: $10 in, $1 cached, $50 out; above 272K input: $20 / $2 / $75.
    // 272,000 input exactly stays in the base: 272,000 x 10 + 1,000 x 50 = 2,770,000 / 1M = $2.77.
    let base = r#"{"input_tokens":272000,"output_tokens":1000,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gpt-6-astra", base), d("2.77"));
    // 200,000 + 72,001 cached = 272,001 > 272K: 200,000 x 20 + 72,001 x 2 + 1,000 x 75
    // = 4,000,000 + 144,002 + 75,000 = 4,219,002 / 1M = $4.219002.
    let long = r#"{"input_tokens":200000,"cache_read_tokens":72001,"output_tokens":1000,"at":"2026-11-01T00:00:00Z"}"#;
    let bill = quote("gpt-6-astra", long).unwrap();
    assert_eq!(bill.total(), d("4.219002"));
    assert_eq!(bill.tier(), Some("over 272K input"));
}

#[test]
fn gpt_6_1_sol_priority_and_flex() {
    // GPT-6.1 Sol: $2 in, $0.10 cached, $10 out; Priority (Fast) 2x: $4 / $0.20 / $20; Flex half.
    // Priority: 10,000 x 4 + 10,000 x 0.2 + 1,000 x 20 = 40,000 + 2,000 + 20,000 = $0.062.
    let p = r#"{"input_tokens":10000,"cache_read_tokens":10000,"output_tokens":1000,"service_tier":"priority","at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gpt-6.1-sol", p), d("0.062"));
    // Flex: 10,000 x 1 + 10,000 x 0.05 + 1,000 x 5 = 10,000 + 500 + 5,000 = $0.0155.
    let f = r#"{"input_tokens":10000,"cache_read_tokens":10000,"output_tokens":1000,"service_tier":"flex","at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gpt-6.1-sol", f), d("0.0155"));
}

#[test]
fn gpt_realtime_audio_tokens() {
    // gpt-realtime: text $4 in / $16 out, audio $32 in / $64 out, cached audio $0.40.
    // 1,000 x 4 + 20,000 x 32 + 10,000 x 0.4 + 500 x 16 + 15,000 x 64
    // = 4,000 + 640,000 + 4,000 + 8,000 + 960,000 = 1,616,000 / 1M = $1.616.
    let u = r#"{"input_tokens":1000,"audio_input_tokens":20000,"audio_cache_read_tokens":10000,"output_tokens":500,"audio_output_tokens":15000,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gpt-realtime", u), d("1.616"));
    // gpt-realtime-2.1 is priced as gpt-realtime-2: text output $24 instead of $16:
    // 1,616,000 - 8,000 + 12,000 = 1,620,000 / 1M = $1.62.
    assert_eq!(total("gpt-realtime-2.1", u), d("1.62"));
}

#[test]
fn per_minute_audio_models_bill_seconds() {
    // gpt-transcribe: $0.27 per hour of audio. 600 s = 0.27 x 600 / 3600 = $0.045.
    let u = r#"{"audio_seconds":600,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gpt-transcribe", u), d("0.045"));
    // gpt-realtime-translate: $0.034 / min = $2.04 / h; 90 s = 2.04 x 90 / 3600 = $0.051.
    let u = r#"{"audio_seconds":90,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gpt-realtime-translate", u), d("0.051"));
}

#[test]
fn gpt_4o_transcribe_audio_input_is_six_dollars() {
    // $2.50 text in, $6.00 audio in, $10.00 text out (OpenAI cookbook; $0.006 / minute).
    // 100 x 2.5 + 10,000 x 6 + 500 x 10 = 250 + 60,000 + 5,000 = 65,250 / 1M = $0.06525.
    // At LiteLLM's $2.50 audio rate it would be $0.03025.
    let u = r#"{"input_tokens":100,"audio_input_tokens":10000,"output_tokens":500,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gpt-4o-transcribe", u), d("0.06525"));
    assert_eq!(total("gpt-4o-transcribe-diarize", u), d("0.06525"));
}

#[test]
fn legacy_gpt_4_and_gpt_3_5_variants() {
    // gpt-4-0613: $30 / $60. 1,000 x 30 + 500 x 60 = 60,000 / 1M = $0.06.
    let u = r#"{"input_tokens":1000,"output_tokens":500,"at":"2024-01-01T00:00:00Z"}"#;
    assert_eq!(total("gpt-4-0613", u), d("0.06"));
    // gpt-4-32k: $60 / $120 -> $0.12.
    assert_eq!(total("gpt-4-32k", u), d("0.12"));
    // gpt-3.5-turbo-16k: $3 / $4. 1,000 x 3 + 500 x 4 = 5,000 / 1M = $0.005.
    assert_eq!(total("gpt-3.5-turbo-16k", u), d("0.005"));
    // gpt-3.5-turbo-instruct-0914: $1.50 / $2 -> 1,500 + 1,000 = $0.0025.
    assert_eq!(total("gpt-3.5-turbo-instruct-0914", u), d("0.0025"));
    // gpt-4-1106-preview is GPT-4 Turbo: $10 / $30 -> 10,000 + 15,000 = $0.025.
    assert_eq!(total("gpt-4-1106-preview", u), d("0.025"));
}

#[test]
fn deep_research_and_chat_latest() {
    // o4-mini-deep-research: $2 in, $0.50 cached, $8 out, web search $10 / 1,000 calls.
    // 100,000 x 2 + 50,000 x 0.5 + 10,000 x 8 = 200,000 + 25,000 + 80,000 = $0.305; 3 searches
    // = 3 x 10 / 1,000 = $0.03. Total $0.335.
    let u = r#"{"input_tokens":100000,"cache_read_tokens":50000,"output_tokens":10000,"web_search_calls":3,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("o4-mini-deep-research-2025-06-26", u), d("0.335"));
    // chat-latest: $5 / $0.50 / $30. 1,000 x 5 + 1,000 x 0.5 + 1,000 x 30 = 35,500 -> $0.0355.
    let u = r#"{"input_tokens":1000,"cache_read_tokens":1000,"output_tokens":1000,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("chat-latest", u), d("0.0355"));
    assert_eq!(total("gpt-chat-latest", u), d("0.0355"));
}

#[test]
fn gpt_5_5_cyber_cached_input_from_2026_10_19() {
    // $12.50 in, $75 out; cached input $1.25 only from 2026-10-19. Before: no cached rate, so a
    // cached usage is an error (never billed as something else).
    let u = r#"{"input_tokens":1000,"cache_read_tokens":1000,"output_tokens":100,"at":"2026-10-18T00:00:00Z"}"#;
    assert!(quote("gpt-5.5-cyber", u).is_err());
    // After: 1,000 x 12.5 + 1,000 x 1.25 + 100 x 75 = 12,500 + 1,250 + 7,500 = $0.02125.
    let u = r#"{"input_tokens":1000,"cache_read_tokens":1000,"output_tokens":100,"at":"2026-10-19T00:00:00Z"}"#;
    assert_eq!(total("gpt-5.5-cyber", u), d("0.02125"));
}

#[test]
fn gpt_image_2_5_bills_image_tokens() {
    // gpt-image-2.5-flare: text in $5, image in $8, image out $30.
    // 200 x 5 + 1,000 x 8 + 4,160 x 30 = 1,000 + 8,000 + 124,800 = 133,800 / 1M = $0.1338.
    let u = r#"{"input_tokens":200,"image_input_tokens":1000,"image_output_tokens":4160,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gpt-image-2.5-flare-2026-09-08", u), d("0.1338"));
}

// ---------------------------------------------------------------------------------------------
// Google
// ---------------------------------------------------------------------------------------------

#[test]
fn gemini_4_argon_introductory_price_ends_on_2026_12_01() {
    // Introductory $2 in / $0.10 cached / $10 out; from 2026-12-01 $4 / $0.20 / $20.
    // 100,000 x 2 + 100,000 x 0.1 + 10,000 x 10 = 200,000 + 10,000 + 100,000 = $0.31.
    let before = r#"{"input_tokens":100000,"cache_read_tokens":100000,"output_tokens":10000,"at":"2026-11-30T23:59:59Z"}"#;
    assert_eq!(total("gemini-4-argon", before), d("0.31"));
    let after = r#"{"input_tokens":100000,"cache_read_tokens":100000,"output_tokens":10000,"at":"2026-12-01T00:00:00Z"}"#;
    assert_eq!(total("gemini-4-argon", after), d("0.62"));
    // Priority is 1.8x: $7.20 / $0.36 / $36 -> 720,000 + 36,000 + 360,000 = $1.116.
    let prio = r#"{"input_tokens":100000,"cache_read_tokens":100000,"output_tokens":10000,"service_tier":"priority","at":"2026-12-02T00:00:00Z"}"#;
    assert_eq!(total("gemini-4-argon", prio), d("1.116"));
}

#[test]
fn gemini_4_bills_audio_at_the_text_rate_and_grounding_per_query() {
    // Gemini 4 Hydrogen: one input rate ($1.50) for every modality, $7.50 out, $14 / 1,000
    // search queries. 1,000 x 1.5 + 2,000 x 1.5 + 1,000 x 7.5 = 1,500 + 3,000 + 7,500 = $0.012;
    // 2 queries = $0.028. Total $0.04.
    let u = r#"{"input_tokens":1000,"audio_input_tokens":2000,"output_tokens":1000,"web_search_calls":2,"searches":1,"at":"2026-11-20T00:00:00Z"}"#;
    assert_eq!(total("gemini-4-hydrogen", u), d("0.04"));
}

#[test]
fn gemini_3_8_live_and_tts() {
    // 3.8 Live: text $0.75 in / $4.50 out, audio $3 in / $12 out.
    // 1,000 x 0.75 + 10,000 x 3 + 200 x 4.5 + 8,000 x 12 = 750 + 30,000 + 900 + 96,000
    // = 127,650 / 1M = $0.12765.
    let u = r#"{"input_tokens":1000,"audio_input_tokens":10000,"output_tokens":200,"audio_output_tokens":8000,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gemini-3.8-live", u), d("0.12765"));
    assert_eq!(total("gemini-3.8-live-extended-thinking", u), d("0.12765"));
    // 3.8 Flash TTS: $0.50 text in, $9 audio out (introductory, to 2026-12-31; then $1 / $18).
    // 1,000 x 0.5 + 10,000 x 9 = 500 + 90,000 = $0.0905; from 2027-01-01 $0.181.
    let tts = r#"{"input_tokens":1000,"audio_output_tokens":10000,"at":"2026-12-31T00:00:00Z"}"#;
    assert_eq!(total("gemini-3.8-flash-tts", tts), d("0.0905"));
    let tts27 = r#"{"input_tokens":1000,"audio_output_tokens":10000,"at":"2027-01-01T00:00:00Z"}"#;
    assert_eq!(total("gemini-3.8-flash-tts", tts27), d("0.181"));
}

#[test]
fn gemini_embedding_2_by_modality() {
    // Text $0.20, audio $6.50, image $0.45 per 1M.
    // 10,000 x 0.2 + 1,000 x 6.5 + 2,000 x 0.45 = 2,000 + 6,500 + 900 = 9,400 / 1M = $0.0094.
    let u = r#"{"input_tokens":10000,"audio_input_tokens":1000,"image_input_tokens":2000,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("gemini-embedding-2-preview", u), d("0.0094"));
}

#[test]
fn google_media_models() {
    // Imagen 3: $0.04 per image; two images $0.08.
    let u = r#"{"images":[{"count":2}],"at":"2026-01-01T00:00:00Z"}"#;
    assert_eq!(total("imagen-3.0-generate-001", u), d("0.08"));
    // Veo 3.1 Lite: $0.05/s at 720p, $0.08/s at 1080p. 8 s at 1080p = $0.64.
    let v = r#"{"video_seconds":8,"resolution":"1080p","at":"2026-09-01T00:00:00Z"}"#;
    assert_eq!(total("veo-3.1-lite", v), d("0.64"));
    // Lyria 3 Pro: $0.08 per track.
    let m = r#"{"requests":1,"at":"2026-11-01T00:00:00Z"}"#;
    assert_eq!(total("lyria-3-pro-preview", m), d("0.08"));
}

#[test]
fn gemini_latest_aliases_price_as_their_current_model() {
    let u = r#"{"input_tokens":1000000,"output_tokens":100000,"at":"2026-11-01T00:00:00Z"}"#;
    for (alias, target) in [
        ("gemini-flash-latest", "gemini-3.8-flash"),
        ("gemini-flash-lite-latest", "gemini-3.5-flash-lite"),
        ("gemini-pro-latest", "gemini-3.1-pro-preview"),
    ] {
        let a = quote(alias, u).unwrap();
        assert_eq!(a.model(), target, "{alias}");
    }
    // 3.8 Flash introductory: 1,000,000 x 0.75 + 100,000 x 3.75 = 0.75 + 0.375 = $1.125.
    assert_eq!(total("gemini-flash-latest", u), d("1.125"));
}

#[test]
fn gemini_3_pro_preview_has_no_priority_tier() {
    // Shut down 2026-03-09, before Priority inference existed (2026-04-01): no priority price.
    let u = r#"{"input_tokens":1000,"output_tokens":100,"service_tier":"priority","at":"2026-03-01T00:00:00Z"}"#;
    assert!(matches!(
        quote("gemini-3-pro-preview", u),
        Err(PriceError::UnpricedServiceTier { .. })
    ));
}

#[test]
fn gemini_2_5_pro_and_flash_bill_at_their_routed_targets_from_2026_12_01() {
    // 2.5 Pro until 2026-11-30: a 1,000,000-token prompt is over 200K, so $2.50 in, $15 out:
    // 1,000,000 x 2.5 + 100,000 x 15 = 2.5 + 1.5 = $4.
    let before = r#"{"input_tokens":1000000,"output_tokens":100000,"at":"2026-11-30T23:59:59Z"}"#;
    assert_eq!(total("gemini-2.5-pro", before), d("4"));
    // From 2026-12-01 routed to 3.8 Flash ($0.75 / $3.75, no 200K tier): 0.75 + 0.375 = $1.125;
    // Batch halves
    // it: $0.5625.
    let after = r#"{"input_tokens":1000000,"output_tokens":100000,"at":"2026-12-01T00:00:00Z"}"#;
    assert_eq!(total("gemini-2.5-pro", after), d("1.125"));
    let batch = r#"{"input_tokens":1000000,"output_tokens":100000,"service_tier":"batch","at":"2026-12-01T00:00:00Z"}"#;
    assert_eq!(total("gemini-2.5-pro", batch), d("0.5625"));
    // 2.5 Flash audio input: $1.00 before, 3.5 Flash-Lite's flat $0.30 after.
    let audio = |at: &str| format!(r#"{{"audio_input_tokens":1000000,"at":"{at}"}}"#);
    assert_eq!(
        total("gemini-2.5-flash", &audio("2026-11-30T00:00:00Z")),
        d("1")
    );
    assert_eq!(
        total("gemini-2.5-flash", &audio("2026-12-01T00:00:00Z")),
        d("0.3")
    );
}
