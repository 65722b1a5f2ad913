//! `COUNT_BUCKETS` is exactly the usage record's whole-count buckets.

use tariff_core::{Usage, COUNT_BUCKETS};

#[test]
fn every_listed_bucket_is_a_count_of_the_usage_record() {
    for name in COUNT_BUCKETS {
        let u = Usage::from_json(&format!("{{\"{name}\": 7}}")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&u.to_json()).unwrap();
        assert_eq!(v[name], 7, "{name}");
    }
}

#[test]
fn every_count_of_the_usage_record_is_listed() {
    // A record with every listed bucket set: any other integer member it writes would be a
    // bucket the list misses.
    let all: Vec<String> = COUNT_BUCKETS
        .iter()
        .map(|n| format!("\"{n}\": 1"))
        .collect();
    let u = Usage::from_json(&format!(
        "{{{}, \"video_seconds\": \"2\", \"audio_seconds\": \"3\"}}",
        all.join(",")
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&u.to_json()).unwrap();
    let mut counts: Vec<&str> = v
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, x)| x.is_u64())
        .map(|(k, _)| k.as_str())
        .collect();
    counts.sort_unstable();
    let mut listed = COUNT_BUCKETS.to_vec();
    listed.sort_unstable();
    assert_eq!(counts, listed);
}
