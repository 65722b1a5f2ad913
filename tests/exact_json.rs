//! Quantities are exact in JSON: a usage record written and read back is the same record,
//! and prices the same.

use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff::{Catalog, Seconds, Tokens, Usage};

fn at() -> chrono::DateTime<chrono::Utc> {
    "2026-11-28T00:00:00Z".parse().unwrap()
}

/// Regression: seconds went through f64, so a 122-frame clip at 24 fps (121 frame intervals,
/// 121 / 24 = 5.041666… s, exact as a decimal) was written as 5.041666666666667 and read
/// back as another quantity.
#[test]
fn seconds_from_frames_survive_a_json_round_trip() {
    let s = Decimal::from(121) / Decimal::from(24);
    let u = Usage {
        audio_seconds: Seconds::new(s).unwrap(),
        at: Some(at()),
        ..Usage::default()
    };
    let json = u.to_json();
    assert!(
        json.contains(r#""audio_seconds":"5.0416666666666666666666666667""#),
        "{json}"
    );
    let back = Usage::from_json(&json).unwrap();
    assert_eq!(back, u);
    let c = Catalog::builtin();
    assert_eq!(
        c.quote("whisper-1", &back).unwrap(),
        c.quote("whisper-1", &u).unwrap()
    );
}

/// Regression: a vendor's duration string kept all its digits only until it was written.
#[test]
fn a_long_decimal_string_keeps_every_digit() {
    let u = Usage::from_json(r#"{"video_seconds": "8.123456789012345678"}"#).unwrap();
    assert_eq!(u.video_seconds.get().to_string(), "8.123456789012345678");
    assert_eq!(u.to_json(), r#"{"video_seconds":"8.123456789012345678"}"#);
    // Numbers are still read (the shortest text of the parser's float).
    let n = Usage::from_json(r#"{"audio_seconds": 12.5}"#).unwrap();
    assert_eq!(n.audio_seconds.get(), Decimal::new(125, 1));
}

#[test]
fn seconds_text_a_decimal_cannot_hold_is_refused_not_rounded() {
    for text in [
        r#"{"audio_seconds": "1e-30"}"#,
        r#"{"audio_seconds": "1.00000000000000000000000000001"}"#,
        r#"{"audio_seconds": "abc"}"#,
        r#"{"audio_seconds": "-1"}"#,
    ] {
        let e = Usage::from_json(text).unwrap_err().to_string();
        assert!(e.contains("audio_seconds"), "{text}: {e}");
    }
}

fn seconds() -> impl Strategy<Value = Seconds> {
    // Any decimal of up to 28 places below 2^53 seconds.
    (0u64..(1 << 53), 0u32..=28, any::<u64>()).prop_filter_map("in range", |(int, dp, frac)| {
        let f = Decimal::from_i128_with_scale(i128::from(frac % 10u64.pow(dp.min(19))), dp);
        Seconds::new(Decimal::from(int).checked_add(f)?)
    })
}

proptest! {
    #[test]
    fn usage_to_json_and_back_is_the_identity_and_prices_the_same(
        audio in seconds(),
        video in seconds(),
        input in 0u64..10_000_000,
        output in 0u64..10_000_000,
    ) {
        let u = Usage {
            audio_seconds: audio,
            video_seconds: video,
            input_tokens: Tokens::new(input).unwrap(),
            output_tokens: Tokens::new(output).unwrap(),
            at: Some(at()),
            ..Usage::default()
        };
        let back = Usage::from_json(&u.to_json()).unwrap();
        prop_assert_eq!(&back, &u);
        let audio_only = Usage { audio_seconds: audio, at: Some(at()), ..Usage::default() };
        let again = Usage::from_json(&audio_only.to_json()).unwrap();
        let c = Catalog::builtin();
        prop_assert_eq!(c.quote("whisper-1", &again).unwrap(), c.quote("whisper-1", &audio_only).unwrap());
    }
}
