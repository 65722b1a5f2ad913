//! The price importers (new-api options, LiteLLM's price JSON) on any text: tables and a
//! report, or a typed error, never a panic. What an importer writes must load as a price
//! table.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
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
