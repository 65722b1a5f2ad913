//! Prices of the eastern and smaller vendors' current models (DeepSeek V4, Qwen, Doubao,
//! MiniMax, Cohere, …), each total computed by hand from the figures cited in the tables'
//! `source` (the arithmetic is in the comment above each case; per-1M rates unless noted).

use rust_decimal::Decimal;
use tariff::{Bill, Catalog, Usage};

fn quote(model: &str, usage: &str) -> Result<Bill, tariff::PriceError> {
    let u = Usage::from_json(usage).unwrap_or_else(|e| panic!("{usage}: {e}"));
    Catalog::builtin().quote(model, &u)
}

/// Prices `usage` and checks the total, the currency and (when given) the window / tier / option.
fn check(model: &str, usage: &str, total: &str, currency: &str, applied: Option<&str>) -> Bill {
    let bill = quote(model, usage).unwrap_or_else(|e| panic!("{model} {usage}: {e}"));
    let want: Decimal = total.parse().unwrap();
    assert_eq!(bill.total(), want, "{model} {usage}: {bill:?}");
    assert_eq!(bill.currency().as_str(), currency, "{model} {usage}");
    if let Some(a) = applied {
        let got = [&bill.window(), &bill.tier(), &bill.option()];
        assert!(
            got.iter().any(|x| x.as_deref() == Some(a)),
            "{model} {usage}: expected {a:?} applied, got {got:?}"
        );
    }
    bill
}

// ------------------------------------------------------------------------------ DeepSeek

#[test]
fn deepseek_flash_peak_and_off_peak() {
    // Monday 2026-12-07 10:00 Beijing (02:00Z) is peak:
    // 1000*0.30 + 3000*0.006 + 500*1.2 = 300 + 18 + 600 = 918 per 1M -> 0.000918
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-12-07T02:00:00Z"}"#;
    check("deepseek-flash", u, "0.000918", "USD", Some("peak"));
    // deepseek-v4-flash is served and billed as V4.1-Flash since 2026-09-10: same bill.
    check("deepseek-v4-flash", u, "0.000918", "USD", Some("peak"));
    // Monday 12:30 Beijing (04:30Z) is between the two peak windows: off-peak
    // 1000*0.15 + 3000*0.003 + 500*0.6 = 150 + 9 + 300 = 459 -> 0.000459
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-12-07T04:30:00Z"}"#;
    let b = check("deepseek-flash", u, "0.000459", "USD", None);
    assert_eq!(b.window(), None);
    // Sunday 2026-12-06 10:00 Beijing: weekends are off-peak all day -> 0.000459
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-12-06T02:00:00Z"}"#;
    let b = check("deepseek-flash", u, "0.000459", "USD", None);
    assert_eq!(b.window(), None);
    // Only the USD list is known for V4.1-Flash: a mainland (CNY) usage is an error.
    let u =
        r#"{"input_tokens":1000,"output_tokens":500,"at":"2026-12-06T02:00:00Z","region":"cn"}"#;
    assert!(quote("deepseek-flash", u).is_err());
}

#[test]
fn deepseek_v4_pro_history_and_rerouting() {
    // Reasoning is billed as output (provider fallback).
    // Tuesday 2026-09-01 10:00 Beijing, V4-Pro peak:
    // 1000*1.32 + 3000*0.044 + (300+200)*3.96 = 1320 + 132 + 1980 = 3432 -> 0.003432
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":300,"reasoning_tokens":200,"at":"2026-09-01T02:00:00Z"}"#;
    check("deepseek-v4-pro", u, "0.003432", "USD", Some("peak"));
    // Saturday 2026-08-22 10:00 Beijing: before the weekend rule (2026-08-23), still peak -> 0.003432
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-08-22T02:00:00Z"}"#;
    check("deepseek-v4-pro", u, "0.003432", "USD", Some("peak"));
    // Saturday 2026-08-29 10:00 Beijing: off-peak 1000*0.66 + 3000*0.022 + 500*1.98 = 660+66+990 = 1716
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-08-29T02:00:00Z"}"#;
    check("deepseek-v4-pro", u, "0.001716", "USD", None);
    // 2026-05-10 (discounted list, cache hit cut): 1000*0.435 + 3000*0.003625 + 500*0.87
    // = 435 + 10.875 + 435 = 880.875 -> 0.000880875
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-05-10T02:00:00Z"}"#;
    check("deepseek-v4-pro", u, "0.000880875", "USD", None);
    // Launch day, full list: 1000*1.74 + 3000*0.145 + 500*3.48 = 1740 + 435 + 1740 = 3915
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-04-24T08:00:00Z"}"#;
    check("deepseek-v4-pro", u, "0.003915", "USD", None);
    // After 2026-09-14 04:00 UTC deepseek-v4-pro is billed at Flash prices (Mon 2026-12-07 peak):
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-12-07T02:00:00Z"}"#;
    check("deepseek-v4-pro", u, "0.000918", "USD", Some("peak"));
}

#[test]
fn deepseek_v4_cny_list_before_peak_pricing() {
    // 2026-05-10, region cn: 1000*1 + 3000*0.02 + 500*2 = 1000 + 60 + 1000 = 2060 元 per 1M
    let u = r#"{"input_tokens":1000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-05-10T02:00:00Z","region":"cn"}"#;
    check("deepseek-v4-flash", u, "0.00206", "CNY", None);
    // V4-Pro 2.5 折: 1000*3 + 3000*0.025 + 500*6 = 3000 + 75 + 3000 = 6075 -> 0.006075 元
    check("deepseek-v4-pro", u, "0.006075", "CNY", None);
    // The CNY list under peak pricing was not read: an error, never a USD or older price.
    let u =
        r#"{"input_tokens":1000,"output_tokens":500,"at":"2026-12-07T02:00:00Z","region":"cn"}"#;
    assert!(quote("deepseek-v4-flash", u).is_err());
}

#[test]
fn retired_deepseek_names_are_errors_after_retirement_and_keep_their_history() {
    // Retired 2026-07-24 15:59 UTC: no alias to a successor, so no silent re-pricing.
    for m in ["deepseek-chat", "deepseek-reasoner"] {
        let after = r#"{"input_tokens":1000,"output_tokens":500,"at":"2026-07-24T16:00:00Z"}"#;
        assert!(quote(m, after).is_err(), "{m} priced after retirement");
        // The last minute before: 1000*0.14 + 500*0.28 = 140 + 140 = 280 -> 0.00028
        let before = r#"{"input_tokens":1000,"output_tokens":500,"at":"2026-07-24T15:59:59Z"}"#;
        check(m, before, "0.00028", "USD", None);
    }
}

// ------------------------------------------------------------------------------ Alibaba Qwen

#[test]
fn qwen3_vl_plus_tier_edge_is_32768_input_tokens() {
    // Singapore list ($ per 1M): <=32K 0.2 / 1.6, 32K..128K 0.3 / 2.4. K = 1,024 (see the TIERS
    // note in pricing/alibaba.toml): 32,768 input tokens is still the first band.
    // 32768*0.2 + 1000*1.6 = 6553.6 + 1600 = 8153.6 per 1M -> 0.0081536
    let u = r#"{"input_tokens":32768,"output_tokens":1000,"at":"2026-12-06T00:00:00Z","region":"intl"}"#;
    let b = check("qwen3-vl-plus", u, "0.0081536", "USD", None);
    assert_eq!(b.tier(), None);
    // One more token: the whole request moves to the second band.
    // 32769*0.3 + 1000*2.4 = 9830.7 + 2400 = 12230.7 -> 0.0122307
    let u = r#"{"input_tokens":32769,"output_tokens":1000,"at":"2026-12-06T00:00:00Z","region":"intl"}"#;
    check("qwen3-vl-plus", u, "0.0122307", "USD", Some("over 32K"));
    // The Singapore list publishes no cache rate: a cache hit there is an error, not a guess.
    let u = r#"{"input_tokens":30000,"cache_read_tokens":2769,"output_tokens":1,"at":"2026-12-06T00:00:00Z","region":"intl"}"#;
    assert!(quote("qwen3-vl-plus", u).is_err());
    // Beijing (the default region), 元 per 1M: <=32K 1 / 0.2 / 10, (32K,128K] 1.5 / 0.3 / 15.
    // 32768*1 + 1000*10 = 32768 + 10000 = 42768 -> 0.042768
    let u = r#"{"input_tokens":32768,"output_tokens":1000,"at":"2026-12-06T00:00:00Z"}"#;
    check("qwen3-vl-plus", u, "0.042768", "CNY", None);
    // Cache hits count toward the band: 30,000 + 2,769 cached = 32,769 > 32,768:
    // 30000*1.5 + 2769*0.3 + 1*15 = 45000 + 830.7 + 15 = 45845.7 -> 0.0458457
    let u = r#"{"input_tokens":30000,"cache_read_tokens":2769,"output_tokens":1,"at":"2026-12-06T00:00:00Z"}"#;
    check("qwen3-vl-plus", u, "0.0458457", "CNY", Some("over 32K"));
}

#[test]
fn qwen3_5_and_3_7_plus_cliff_at_256k() {
    // qwen3.7-plus: <=256K 0.4 / cache 0.08 / 1.6; >256K 1.2 / 0.24 / 4.8.
    // 200,000 + 62,145 cached = 262,145 > 262,144 -> over 256K:
    // 200000*1.2 + 62145*0.24 + 1000*4.8 = 240000 + 14914.8 + 4800 = 259714.8 -> 0.2597148
    let u = r#"{"input_tokens":200000,"cache_read_tokens":62145,"output_tokens":1000,"at":"2026-12-06T00:00:00Z"}"#;
    check("qwen3.7-plus", u, "0.2597148", "USD", Some("over 256K"));
    // qwen3.5-plus thinking output shares the output price (reasoning falls back to output):
    // 1000*0.4 + (200+800)*2.4 = 400 + 2400 = 2800 -> 0.0028
    let u = r#"{"input_tokens":1000,"output_tokens":200,"reasoning_tokens":800,"at":"2026-12-06T00:00:00Z"}"#;
    check("qwen3.5-plus", u, "0.0028", "USD", None);
}

#[test]
fn qwen3_7_max_explicit_cache_and_qwen_plus_snapshot_thinking() {
    // qwen3.7-max explicit cache: creation 3.125, hit 0.25; input 2.5, output 7.5.
    // 1000*2.5 + 2000*3.125 + 3000*0.25 + 500*7.5 = 2500 + 6250 + 750 + 3750 = 13250 -> 0.01325
    let u = r#"{"input_tokens":1000,"cache_write_tokens":2000,"cache_read_tokens":3000,"output_tokens":500,"options":{"cache":"explicit"},"at":"2026-12-06T00:00:00Z"}"#;
    check("qwen3.7-max", u, "0.01325", "USD", Some("explicit cache"));
    // qwen-plus-2025-07-14 thinking: output and reasoning at $4.
    // 1000*0.4 + (200+800)*4 = 400 + 4000 = 4400 -> 0.0044
    let u = r#"{"input_tokens":1000,"output_tokens":200,"reasoning_tokens":800,"options":{"thinking":"true"},"at":"2026-12-06T00:00:00Z"}"#;
    check("qwen-plus-2025-07-14", u, "0.0044", "USD", Some("thinking"));
    // Without the thinking option, reasoning tokens are an error (no fallback to $1.2).
    let u = r#"{"input_tokens":1000,"output_tokens":200,"reasoning_tokens":800,"at":"2026-12-06T00:00:00Z"}"#;
    assert!(quote("qwen-plus-2025-07-14", u).is_err());
}

#[test]
fn qwen_image_tts_and_wan3_video() {
    // qwen-image-3.0: 2 images * $0.03 = 0.06
    let u = r#"{"images":[{"count":2}],"at":"2026-12-06T00:00:00Z"}"#;
    check("qwen-image-3.0", u, "0.06", "USD", None);
    // qwen3-tts-flash: $0.01 per 1,000 characters; 1,500 characters -> 0.015
    let u = r#"{"characters":1500,"at":"2026-12-06T00:00:00Z"}"#;
    check("qwen3-tts-flash", u, "0.015", "USD", None);
    // wan3.0-video 720p: 5 s * $0.10 = 0.50; happyhorse-1.1-t2v 1080p: 5 s * $0.18 = 0.90
    let u = r#"{"video_seconds":5,"resolution":"720p","at":"2026-12-06T00:00:00Z"}"#;
    check("wan3.0-video", u, "0.5", "USD", None);
    let u = r#"{"video_seconds":5,"resolution":"1080p","at":"2026-12-06T00:00:00Z"}"#;
    check("happyhorse-1.1-t2v", u, "0.9", "USD", None);
    // HappyHorse 1.0 has no 480P tier: an error, not another tier's price.
    let u = r#"{"video_seconds":5,"resolution":"480p","at":"2026-12-06T00:00:00Z"}"#;
    assert!(quote("happyhorse-1.0-t2v", u).is_err());
}

// ------------------------------------------------------------------------------ MiniMax

#[test]
fn minimax_m3_whole_request_cliff_at_512k() {
    // <=512K: 0.30 / cache 0.06 / 1.20; >512K: 0.60 / 0.12 / 2.40; 512K = 524,288.
    // 500,000 + 24,288 cached = 524,288: first band.
    // 500000*0.3 + 24288*0.06 + 1000*1.2 = 150000 + 1457.28 + 1200 = 152657.28 -> 0.15265728
    let u = r#"{"input_tokens":500000,"cache_read_tokens":24288,"output_tokens":1000,"at":"2026-12-06T00:00:00Z"}"#;
    let b = check("MiniMax-M3", u, "0.15265728", "USD", None);
    assert_eq!(b.tier(), None);
    // One more cached token: every token at the upper band.
    // 500000*0.6 + 24289*0.12 + (600+400)*2.4 = 300000 + 2914.68 + 2400 = 305314.68 -> 0.30531468
    let u = r#"{"input_tokens":500000,"cache_read_tokens":24289,"output_tokens":600,"reasoning_tokens":400,"at":"2026-12-06T00:00:00Z"}"#;
    check("minimax-m3", u, "0.30531468", "USD", Some("over 512K"));
}

#[test]
fn minimax_m2_cache_write_and_read() {
    // 1000*0.3 + 2000*0.375 + 3000*0.03 + 500*1.2 = 300 + 750 + 90 + 600 = 1740 -> 0.00174
    let u = r#"{"input_tokens":1000,"cache_write_tokens":2000,"cache_read_tokens":3000,"output_tokens":500,"at":"2026-12-06T00:00:00Z"}"#;
    check("MiniMax-M2", u, "0.00174", "USD", None);
}

// ------------------------------------------------------------------------------ Cohere

#[test]
fn cohere_command_models_and_embed_v5() {
    // command-r (alias of command-r-08-2024): 10000*0.15 + 2000*0.6 = 1500 + 1200 = 2700 -> 0.0027
    let u = r#"{"input_tokens":10000,"output_tokens":2000,"at":"2026-12-06T00:00:00Z"}"#;
    let b = check("command-r", u, "0.0027", "USD", None);
    assert_eq!(b.model(), "command-r-08-2024");
    // command-a: 10000*2.5 + 2000*10 = 25000 + 20000 = 45000 -> 0.045
    check("command-a", u, "0.045", "USD", None);
    // embed-v5.0-fast: 10000 * 0.08 = 800 -> 0.0008
    let u = r#"{"input_tokens":10000,"at":"2026-12-06T00:00:00Z"}"#;
    check("embed-v5.0-fast", u, "0.0008", "USD", None);
}

// ------------------------------------------------------------------------------ ByteDance

#[test]
fn doubao_seed_2_0_bands_and_embeddings() {
    // doubao-seed-2.0-pro (元/1M): <=32K 3.2 / 16, (32K,128K] 4.8 / 24, cache 0.64 in every band;
    // 千 token = 1,000. 30,000 + 2,001 cached = 32,001 > 32,000 -> second band for every token:
    // 30000*4.8 + 2001*0.64 + (600+400)*24 = 144000 + 1280.64 + 24000 = 169280.64 -> 0.16928064
    let u = r#"{"input_tokens":30000,"cache_read_tokens":2001,"output_tokens":600,"reasoning_tokens":400,"at":"2026-12-06T00:00:00Z"}"#;
    check(
        "doubao-seed-2-0-pro-260215",
        u,
        "0.16928064",
        "CNY",
        Some("input over 32K"),
    );
    // 32,000 exactly is still the first band: 30000*3.2 + 2000*0.64 + 1000*16 = 96000 + 1280 + 16000
    let u = r#"{"input_tokens":30000,"cache_read_tokens":2000,"output_tokens":1000,"at":"2026-12-06T00:00:00Z"}"#;
    check("doubao-seed-2.0-pro", u, "0.11328", "CNY", None);
    // doubao-embedding version text-240715: 10000 * 0.50 = 5000 -> 0.005 元
    let u = r#"{"input_tokens":10000,"at":"2026-12-06T00:00:00Z"}"#;
    check("doubao-embedding-text-240715", u, "0.005", "CNY", None);
    check(
        "doubao-embedding-large-text-250515",
        u,
        "0.007",
        "CNY",
        None,
    );
}

#[test]
fn seedance_2_0_mini_prices_text_input_and_refuses_unread_variants() {
    // 5 s of 1280x720 at 24 fps = 1280*720*24*5/1024 = 108,000 tokens * 23 元/1M = 2.484 元
    let u = r#"{"output_tokens":108000,"options":{"resolution":"720p","video_input":"false"},"at":"2026-12-06T00:00:00Z"}"#;
    check("doubao-seedance-2-0-mini", u, "2.484", "CNY", None);
    // A request with a reference video: its price was not read -> error, not the text price.
    let u = r#"{"output_tokens":108000,"options":{"resolution":"720p","video_input":"true"},"at":"2026-12-06T00:00:00Z"}"#;
    assert!(quote("doubao-seedance-2-0-mini", u).is_err());
}

#[test]
fn the_other_new_families_at_their_list_prices() {
    let at = r#""at":"2026-12-06T00:00:00Z""#;
    let cases: [(&str, String, &str, &str); 8] = [
        // qwen3.8-flash explicit cache: 1000*0.15 + 2000*0.2 + 3000*0.016 + 500*0.47
        // = 150 + 400 + 48 + 235 = 833 -> 0.000833
        (
            "qwen3.8-flash",
            format!(
                r#"{{"input_tokens":1000,"cache_write_tokens":2000,"cache_read_tokens":3000,"output_tokens":500,"options":{{"cache":"explicit"}},{at}}}"#
            ),
            "0.000833",
            "USD",
        ),
        // qwen3-vl-235b-a22b-thinking, reasoning billed as output: 1000*0.4 + (100+900)*4 = 4400
        (
            "qwen3-vl-235b-a22b-thinking",
            format!(r#"{{"input_tokens":1000,"output_tokens":100,"reasoning_tokens":900,{at}}}"#),
            "0.0044",
            "USD",
        ),
        // qwen3-next-80b-a3b-instruct: 1000*0.15 + 1000*1.2 = 150 + 1200 = 1350
        (
            "qwen3-next-80b-a3b-instruct",
            format!(r#"{{"input_tokens":1000,"output_tokens":1000,{at}}}"#),
            "0.00135",
            "USD",
        ),
        // qwen-turbo-2025-04-28 thinking: 1000*0.05 + (500+500)*0.5 = 50 + 500 = 550
        (
            "qwen-turbo-2025-04-28",
            format!(
                r#"{{"input_tokens":1000,"output_tokens":500,"reasoning_tokens":500,"options":{{"thinking":"true"}},{at}}}"#
            ),
            "0.00055",
            "USD",
        ),
        // wan2.7-r2v 1080p: 10 s * $0.15 = 1.5
        (
            "wan2.7-r2v",
            format!(r#"{{"video_seconds":10,"resolution":"1080p",{at}}}"#),
            "1.5",
            "USD",
        ),
        // MiniMax-M3.1-Flash: 1000*0.15 + 2000*0.015 + 500*0.6 = 150 + 30 + 300 = 480
        (
            "MiniMax-M3.1-Flash",
            format!(r#"{{"input_tokens":1000,"cache_read_tokens":2000,"output_tokens":500,{at}}}"#),
            "0.00048",
            "USD",
        ),
        // MiniMax-M2.7-highspeed: 1000*0.6 + 1000*0.375 + 1000*0.06 + 1000*2.4
        // = 600 + 375 + 60 + 2400 = 3435
        (
            "MiniMax-M2.7-highspeed",
            format!(
                r#"{{"input_tokens":1000,"cache_write_tokens":1000,"cache_read_tokens":1000,"output_tokens":1000,{at}}}"#
            ),
            "0.003435",
            "USD",
        ),
        // Aya Expanse 32B: 1000*0.5 + 1000*1.5 = 2000
        (
            "c4ai-aya-expanse-32b",
            format!(r#"{{"input_tokens":1000,"output_tokens":1000,{at}}}"#),
            "0.002",
            "USD",
        ),
    ];
    for (model, usage, total, currency) in &cases {
        check(model, usage, total, currency, None);
    }
}
