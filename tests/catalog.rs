//! The built-in tables: valid, sourced, dated, and resolvable by their names.

use tariff::Catalog;

#[test]
fn builtin_tables_load_and_cover_every_provider_file() {
    let c = Catalog::builtin();
    let mut providers: Vec<&str> = c.models().iter().map(|m| m.provider()).collect();
    providers.sort();
    providers.dedup();
    assert_eq!(
        providers.len(),
        tariff::catalog::BUILTIN_TABLES.len(),
        "one provider per file: {providers:?}"
    );
    assert!(
        c.models().len() >= 40,
        "only {} built-in models",
        c.models().len()
    );
}

#[test]
fn every_builtin_schedule_has_a_source_and_a_date() {
    for m in Catalog::builtin().models() {
        assert!(!m.schedules().is_empty(), "{} has no schedule", m.id());
        for s in m.schedules() {
            assert!(
                !s.source().trim().is_empty(),
                "{}: a schedule has no source",
                m.id()
            );
            assert!(
                s.as_of() > chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
                "{}: as_of {} is not a real date",
                m.id(),
                s.as_of()
            );
            assert!(
                s.as_of() <= chrono::Utc::now().date_naive(),
                "{}: as_of {} is in the future",
                m.id(),
                s.as_of()
            );
        }
    }
}

#[test]
fn every_id_alias_and_pattern_resolves_to_its_own_model() {
    let c = Catalog::builtin();
    for m in c.models() {
        for name in std::iter::once(m.id()).chain(m.aliases().iter().map(String::as_str)) {
            assert_eq!(c.model(name).unwrap().id(), m.id(), "{name}");
        }
        for p in m.patterns() {
            let example = p.replace('*', "2099-01-01");
            let got = c.model(&example).unwrap().id();
            assert_eq!(got, m.id(), "pattern {p}: {example} resolved to {got}");
        }
    }
}
