//! The price importers (new-api options, LiteLLM's price JSON) on any text: tables and a
//! report, or a typed error, never a panic. What an importer writes must load as a price
//! table. new-api options also go through the evaluator of new-api's defaults and name
//! rules (each version in data/new-api): effective ratios for every name, a quota for
//! fuzzed usage, and the effective import.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use tariff::convert::newapi::defaults::{self, Call, NewApiUsage, Options, Semantics, Versions};
use tariff::convert::{litellm, newapi, Collision, Table};
use tariff::Catalog;

fn loads(stem: &str, table: &Table) {
    let toml = table.to_toml();
    if let Err(e) = Catalog::builder()
        .text(format!("{stem}.toml"), toml.clone())
        .build()
    {
        panic!("an imported table does not load: {e}\n{toml}");
    }
}

fuzz_target!(|data: &[u8]| {
    let [pick, rest @ ..] = data else { return };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    let base = Catalog::default();
    if pick % 4 == 1 {
        effective(*pick, text, as_of, &base);
        return;
    }
    if pick % 2 == 0 {
        let Ok((config, _ignored)) = newapi::RatioConfig::from_any_json(text) else {
            return;
        };
        // What it writes back reads the same.
        let again = newapi::RatioConfig::from_json(&config.to_json()).expect("round trips");
        assert_eq!(again, config, "new-api options survive their own JSON");
        let opts = newapi::ImportOptions::new("fuzz.json", as_of);
        let imported = newapi::import(&config, &opts, &base);
        loads("new-api", &imported.table);
    } else {
        let opts = litellm::ImportOptions {
            source: "fuzz.json".into(),
            as_of,
            collisions: Collision::Replace,
        };
        let Ok(imported) = litellm::import(text, &opts, &base) else {
            return;
        };
        for (stem, table) in &imported.tables {
            loads(stem, table);
        }
    }
});

/// new-api options through the defaults evaluator: every version, every kind, for the
/// option keys and a few model names; a quota from counts taken from the text's bytes.
fn effective(pick: u8, text: &str, as_of: NaiveDate, base: &Catalog) {
    let versions = Versions::embedded().expect("the embedded data loads");
    for id in versions.ids() {
        let v = versions.get(id).expect("listed");
        let Ok(mut o) = Options::from_json(text, v) else {
            continue;
        };
        if pick & 0x10 != 0 {
            o = o.with_condition("self_use_mode_enabled").expect("known");
        }
        let mut names: Vec<String> = o.maps.values().flat_map(|m| m.keys().cloned()).collect();
        names.truncate(64);
        names.extend(
            [
                "gpt-4o",
                "gpt-5",
                "gemini-2.5-flash-thinking-128",
                "gpt-4-gizmo-g",
            ]
            .map(String::from),
        );
        let bytes = text.as_bytes();
        let count = |i: usize| -> u64 {
            let b = bytes.get(i).copied().unwrap_or(0);
            if b & 0x80 != 0 {
                u64::MAX - u64::from(b)
            } else {
                u64::from(b) * 1000
            }
        };
        let u = NewApiUsage {
            prompt: count(0),
            completion: count(1),
            cached: count(2),
            cache_write: count(3),
            cache_write_5m: count(4),
            cache_write_1h: count(5),
            image: count(6),
            text_in: count(7),
            text_out: count(8),
            audio_in: count(9),
            audio_out: count(10),
            semantics: if pick & 0x20 != 0 {
                Semantics::Anthropic
            } else {
                Semantics::Openai
            },
        };
        for n in &names {
            for kind in v.kinds().collect::<Vec<_>>() {
                let _ = v.eval(kind, n, &o);
            }
            let call = if pick & 0x40 != 0 {
                Call::PerCall
            } else {
                Call::Tokens
            };
            if let Ok(c) = v.quota(n, call, "default", &u, &o) {
                if let Some(q) = c.quota {
                    assert!(!q.is_sign_negative() && q.fract().is_zero(), "quota {q}");
                }
            }
        }
        let opts = newapi::ImportOptions::new("fuzz.json", as_of);
        if let Ok(imported) = defaults::import(v, &o, &opts, base) {
            loads("new-api", &imported.table);
        }
    }
}
