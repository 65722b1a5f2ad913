//! new-api consume rows checked against the relay's own rules (the ratios each row logged)
//! and against the operator's configuration, and their margin at list price.
//!
//! Every quota below is computed by hand from new-api's formula
//! (`service/text_quota.go` calculateTextQuotaSummary, `service/quota.go` audio,
//! relay/helper/price.go per call; QuotaPerUnit = 500,000) and every list price from
//! pricing/*.toml (whose sources are the vendors' pages).

use std::sync::Arc;

use rust_decimal::Decimal;
use tariff_core::Catalog;
use tariff_operations::convert::newapi::defaults::{Options as NewApiOptions, Versions};
use tariff_operations::reconcile::{
    parse_json_line, price_row_with, Class, LogFormat, Options, Reconciler, RelayClass, RelayRules,
};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A consume row: `other` given as a JSON object text.
fn row(model: &str, prompt: u64, completion: u64, quota: u64, other: &str) -> String {
    format!(
        r#"{{"id":7,"type":2,"created_at":1760000000,"model_name":"{model}","username":"ann","group":"default","quota":{quota},"prompt_tokens":{prompt},"completion_tokens":{completion},"other":{}}}"#,
        serde_json::to_string(other).unwrap()
    )
}

fn newest() -> RelayRules {
    RelayRules::newest()
}

fn with_config(json: &str) -> RelayRules {
    let v = Versions::embedded().unwrap().newest();
    RelayRules {
        version: v,
        options: Some(NewApiOptions::from_json(json, v).unwrap()),
    }
}

fn check(rules: &RelayRules, line: &str) -> tariff_operations::reconcile::Priced {
    let r = parse_json_line(LogFormat::NewApi, line).unwrap();
    price_row_with(Catalog::builtin(), rules, &r).unwrap()
}

/// gpt-4o, OpenAI semantics: 1000 prompt tokens of which 200 cached, 500 completion;
/// logged model_ratio 1.25, completion_ratio 4, cache_ratio 0.5, group_ratio 1.
/// Quota: ((1000 − 200) + 200 × 0.5 + 500 × 4) × 1.25 × 1 = 2900 × 1.25 = 3625.
/// List (gpt-4o from 2024-08-06: $2.50 / $1.25 cached / $10 per M):
/// 800 × 2.5 + 200 × 1.25 + 500 × 10 = 7250 µ$ = $0.00725 = 3625 quota.
const GPT4O_OTHER: &str = r#"{"model_ratio":1.25,"completion_ratio":4,"cache_tokens":200,"cache_ratio":0.5,"model_price":-1,"group_ratio":1,"user_group_ratio":-1}"#;

#[test]
fn a_row_billed_by_its_logged_ratios_at_list_price_follows_and_matches() {
    let p = check(&newest(), &row("gpt-4o", 1000, 500, 3625, GPT4O_OTHER));
    let r = p.relay.unwrap();
    assert_eq!(r.class, RelayClass::Follows);
    assert_eq!(r.quota, Some(d("3625")));
    assert_eq!(p.class, Class::Match);
    let c = p.cost.unwrap();
    // 3625 / 500,000 = 0.00725: charged equals upstream.
    assert_eq!((c.charged, c.upstream), (d("0.00725"), d("0.00725")));
}

#[test]
fn an_operator_markup_is_operator_price_with_its_margin_not_unexplained() {
    // model_ratio 2 (the operator's price): 2900 × 2 = 5800 quota; list is 3625.
    let other = GPT4O_OTHER.replace("\"model_ratio\":1.25", "\"model_ratio\":2");
    let p = check(&newest(), &row("gpt-4o", 1000, 500, 5800, &other));
    assert_eq!(p.relay.as_ref().unwrap().class, RelayClass::Follows);
    assert_eq!(p.class, Class::OperatorPrice);
    assert_eq!(p.expected, d("3625"));
    let c = p.cost.unwrap();
    // Charged 5800 / 500,000 = $0.0116 against $0.00725 upstream: margin $0.00435.
    assert_eq!(c.charged, d("0.0116"));
    assert_eq!(c.upstream, d("0.00725"));
    assert_eq!(c.charged - c.upstream, d("0.00435"));
}

#[test]
fn a_quota_the_logged_ratios_do_not_give_is_unexplained_with_the_quota_they_give() {
    let other = GPT4O_OTHER.replace("\"model_ratio\":1.25", "\"model_ratio\":2");
    let p = check(&newest(), &row("gpt-4o", 1000, 500, 5000, &other));
    let r = p.relay.unwrap();
    assert_eq!(r.class, RelayClass::Unexplained);
    assert_eq!(r.quota, Some(d("5800")));
    assert_eq!(
        r.reason.as_deref(),
        Some("charged 5000 quota; the ratios it logged give 5800")
    );
    assert_eq!(p.class, Class::Unexplained);
}

#[test]
fn claude_semantics_with_5m_and_1h_writes() {
    // claude-sonnet-4-5, prompt_tokens 100 (Claude: cache tokens beside it), 50 out,
    // 1000 cache reads, 300 writes of which 200 5-minute and 100 1-hour.
    // ratios: model 1.5, completion 5, cache 0.1, write 1.25, 5m 1.25, 1h 2.
    // Quota: (100 + 1000 × 0.1 + max(300 − 200 − 100, 0) × 1.25 + 200 × 1.25 + 100 × 2
    //         + 50 × 5) × 1.5 = (100 + 100 + 0 + 250 + 200 + 250) × 1.5 = 1350.
    // List ($3 in, $0.30 read, $3.75 5m, $6 1h, $15 out per M):
    // 300 + 300 + 750 + 600 + 750 = 2700 µ$ = 1350 quota.
    let other = r#"{"model_ratio":1.5,"completion_ratio":5,"cache_tokens":1000,"cache_ratio":0.1,"cache_creation_tokens":300,"cache_creation_ratio":1.25,"cache_creation_tokens_5m":200,"cache_creation_ratio_5m":1.25,"cache_creation_tokens_1h":100,"cache_creation_ratio_1h":2,"model_price":-1,"group_ratio":1,"claude":true,"usage_semantic":"anthropic"}"#;
    let p = check(&newest(), &row("claude-sonnet-4-5", 100, 50, 1350, other));
    assert_eq!(p.relay.unwrap().class, RelayClass::Follows);
    assert_eq!(p.class, Class::Match);
    assert_eq!(p.cost.unwrap().upstream, d("0.0027"));
}

#[test]
fn audio_path_uses_audio_ratios() {
    // other.audio: (text_in 100 + text_out 50 × 4 + audio_in 200 × 16
    //               + audio_out 100 × 16 × 2) × 1.25 = 6700 × 1.25 = 8375.
    let other = r#"{"model_ratio":1.25,"completion_ratio":4,"audio_ratio":16,"audio_completion_ratio":2,"model_price":-1,"group_ratio":1,"audio":true,"text_input":100,"text_output":50,"audio_input":200,"audio_output":100}"#;
    let line = row("gpt-4o", 300, 150, 8375, other);
    let p = check(&newest(), &line);
    let r = p.relay.unwrap();
    assert_eq!((r.class, r.quota), (RelayClass::Follows, Some(d("8375"))));
}

#[test]
fn tool_surcharges_and_gemini_audio_input_are_added_before_rounding() {
    // 1000 prompt, 0 out, model 1.25, group 2: 1000 × 1.25 × 2 = 2500; one web search
    // at $25 per thousand: 25 × 1 / 1000 × 2 × 500,000 = 25,000. Quota 27,500.
    let other = r#"{"model_ratio":1.25,"completion_ratio":4,"cache_ratio":0.5,"model_price":-1,"group_ratio":2,"tool_surcharges":[{"name":"web_search_preview","count":1,"price":25}]}"#;
    let r = check(&newest(), &row("gpt-4o", 1000, 0, 27500, other))
        .relay
        .unwrap();
    assert_eq!((r.class, r.quota), (RelayClass::Follows, Some(d("27500"))));
    // gemini-2.5-flash: 1000 prompt of which 400 audio priced apart at $1 per M, 100 out,
    // model 0.15, completion 2, group 1: (600 + 100 × 2) × 0.15 = 120, plus
    // 1 / 1e6 × 400 × 1 × 500,000 = 200. Quota 320.
    let other = r#"{"model_ratio":0.15,"completion_ratio":2,"cache_ratio":0.25,"model_price":-1,"group_ratio":1,"audio_input_seperate_price":true,"audio_input_token_count":400,"audio_input_price":1}"#;
    let r = check(&newest(), &row("gemini-2.5-flash", 1000, 100, 320, other))
        .relay
        .unwrap();
    assert_eq!((r.class, r.quota), (RelayClass::Follows, Some(d("320"))));
}

#[test]
fn price_billed_and_per_call_rows() {
    // A price-billed chat model (model_price 0.02, model_ratio logged 0), group 1.5:
    // 0.02 × 500,000 × 1.5 = 15,000.
    let other = r#"{"model_ratio":0,"completion_ratio":0,"cache_ratio":0,"model_price":0.02,"group_ratio":1.5}"#;
    let r = check(&newest(), &row("gpt-4o", 10, 10, 15000, other))
        .relay
        .unwrap();
    assert_eq!((r.class, r.quota), (RelayClass::Follows, Some(d("15000"))));
    // A Midjourney-style row (model_price, no model_ratio): float64
    // int(0.1 × 1.5 × 500,000) = int(75000.00000000001) = 75,000. Checked directly:
    // tariff's tables price no `mj_imagine`.
    let line = row(
        "mj_imagine",
        0,
        0,
        75000,
        r#"{"model_price":0.1,"group_ratio":1.5}"#,
    );
    let lr = parse_json_line(LogFormat::NewApi, &line).unwrap();
    let r = tariff_operations::reconcile::relay::check(
        &newest(),
        "mj_imagine",
        None,
        lr.relay.as_deref().unwrap(),
        d("75000"),
    );
    assert_eq!((r.class, r.quota), (RelayClass::Follows, Some(d("75000"))));
}

#[test]
fn tiered_billing_and_missing_ratios_are_unchecked() {
    let other = GPT4O_OTHER.replace('}', r#","billing_mode":"tiered_expr","expr_b64":"eA=="}"#);
    let r = check(&newest(), &row("gpt-4o", 1000, 500, 9999, &other))
        .relay
        .unwrap();
    assert_eq!(r.class, RelayClass::Unchecked);
    // Cache tokens without a logged cache_ratio.
    let other = r#"{"model_ratio":1.25,"completion_ratio":4,"cache_tokens":200,"model_price":-1,"group_ratio":1}"#;
    let r = check(&newest(), &row("gpt-4o", 1000, 500, 3625, other))
        .relay
        .unwrap();
    assert_eq!(r.class, RelayClass::Unchecked);
    assert!(r.reason.unwrap().contains("cache_ratio"));
}

#[test]
fn logged_ratios_that_disagree_with_the_configuration_are_ratio_mismatch() {
    // Saved ModelRatio {gpt-4o: 1.25}; completion: new-api's rule gpt-4o → 4 (no saved
    // CompletionRatio); cache 0.5 (default map). The row logged completion_ratio 1:
    // (800 + 200 × 0.5 + 500 × 1) × 1.25 = 1400 × 1.25 = 1750 — it follows its own log.
    let rules = with_config(
        r#"{"ModelRatio":"{\"gpt-4o\":1.25}","GroupRatio":"{\"default\":1,\"vip\":1.5}"}"#,
    );
    let other = GPT4O_OTHER.replace("\"completion_ratio\":4", "\"completion_ratio\":1");
    let p = check(&rules, &row("gpt-4o", 1000, 500, 1750, &other));
    let r = p.relay.unwrap();
    assert_eq!(r.class, RelayClass::RatioMismatch);
    assert_eq!(r.quota, Some(d("1750")));
    assert_eq!(
        r.reason.as_deref(),
        Some("logged completion_ratio 1, configuration 4")
    );
    // 1750 against a list 3625: not a known list-price mistake, so the class says why.
    assert_eq!(p.class, Class::RatioMismatch);
    // The same row as configured follows.
    let p = check(&rules, &row("gpt-4o", 1000, 500, 3625, GPT4O_OTHER));
    assert_eq!(p.relay.unwrap().class, RelayClass::Follows);
    // Group `vip` is configured at 1.5; the row logged 1.
    let line = row("gpt-4o", 1000, 500, 3625, GPT4O_OTHER).replace("\"default\"", "\"vip\"");
    let r = check(&rules, &line).relay.unwrap();
    assert_eq!(r.class, RelayClass::RatioMismatch);
    assert_eq!(
        r.reason.as_deref(),
        Some("logged group_ratio 1, configuration 1.5 for group `vip`")
    );
    // A (user group, using group) special ratio replaced it: not compared.
    let other = GPT4O_OTHER.replace("\"user_group_ratio\":-1", "\"user_group_ratio\":1");
    let line = row("gpt-4o", 1000, 500, 3625, &other).replace("\"default\"", "\"vip\"");
    assert_eq!(
        check(&rules, &line).relay.unwrap().class,
        RelayClass::Follows
    );
}

#[test]
fn the_report_counts_relay_classes_keeps_the_issues_and_sums_the_margin() {
    let markup = GPT4O_OTHER.replace("\"model_ratio\":1.25", "\"model_ratio\":2");
    let log = [
        row("gpt-4o", 1000, 500, 3625, GPT4O_OTHER),
        row("gpt-4o", 1000, 500, 5800, &markup),
        row("gpt-4o", 1000, 500, 5000, &markup),
    ]
    .join("\n");
    let opts = Options {
        relay: Some(Arc::new(newest())),
        margin: true,
        ..Options::default()
    };
    let mut r = Reconciler::new(Catalog::builtin(), opts).unwrap();
    r.read("logs", log.as_bytes(), &mut |_| {}, &mut |_| {})
        .unwrap();
    let rep = r.finish();
    assert_eq!(rep.priced, 3);
    let t = rep.totals.values().next().unwrap();
    assert_eq!(t.relay[RelayClass::Follows as usize], 2);
    assert_eq!(t.relay[RelayClass::Unexplained as usize], 1);
    assert_eq!(rep.relay_issues.len(), 1);
    assert_eq!(rep.relay_issues[0].line, 3);
    // Charged (3625 + 5800 + 5000) / 500,000 = 0.02885; upstream 3 × 0.00725 = 0.02175;
    // margin 0.0071.
    assert_eq!(t.margin.charged.to_string(), "0.02885");
    assert_eq!(t.margin.upstream.to_string(), "0.02175");
    assert_eq!(t.margin.margin().to_string(), "0.0071");
    let m = &rep.margin_by_model["gpt-4o"];
    assert_eq!(m.margin().to_string(), "0.0071");
    assert_eq!(rep.margin_by_day["2025-10-09"].rows, 3);
}

#[test]
fn bad_other_members_are_typed_errors_naming_the_field() {
    for (other, want) in [
        (
            r#"{"model_ratio":1,"group_ratio":1,"tool_surcharges":[{"count":-1,"price":1}]}"#,
            "other.tool_surcharges[0].count",
        ),
        (
            r#"{"model_ratio":1,"group_ratio":1,"audio":true,"audio_output":-5}"#,
            "other.audio_output",
        ),
        (
            r#"{"model_ratio":1,"group_ratio":1,"audio_input_seperate_price":true,"audio_input_token_count":50,"audio_input_price":1}"#,
            "audio_input_token_count 50 is more than prompt_tokens 10",
        ),
    ] {
        let line = row("gpt-4o", 10, 0, 1, other);
        let e = parse_json_line(LogFormat::NewApi, &line).unwrap_err();
        assert!(e.reason.contains(want), "{}: {}", want, e.reason);
    }
}

#[test]
fn the_html_report_is_well_formed_self_contained_and_escapes_log_text() {
    let markup = GPT4O_OTHER.replace("\"model_ratio\":1.25", "\"model_ratio\":2");
    let log = [
        row("gpt-4o", 1000, 500, 3625, GPT4O_OTHER),
        row("gpt-4o", 1000, 500, 5000, &markup),
    ]
    .join("\n");
    let opts = Options {
        margin: true,
        ..Options::default()
    };
    let mut r = Reconciler::new(Catalog::builtin(), opts).unwrap();
    r.read("logs<1>", log.as_bytes(), &mut |_| {}, &mut |_| {})
        .unwrap();
    let mut rep = r.finish();
    // Log text is untrusted: a model name, a reason and a request id carrying markup.
    let evil = "<script>alert('x')</script>&\"";
    let mut m = rep.margin_by_model["gpt-4o"].clone();
    m.upstream.add(d("1"));
    rep.margin_by_model.insert(evil.to_string(), m);
    rep.relay_issues[0].model = evil.to_string();
    rep.relay_issues[0].reason = evil.to_string();
    rep.relay_issues[0].request_id = Some(evil.to_string());
    let html = rep.html("reconcile <of> logs");
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, opts).expect("well-formed XHTML");
    assert!(!html.contains("<script"), "markup from a log escaped");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
    // The text survives escaping: the parser reads the model name back.
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&evil));
    // Self-contained: nothing fetched from elsewhere.
    for n in doc.descendants().filter(|n| n.is_element()) {
        for a in n.attributes() {
            assert!(
                !(a.name() == "src" || a.name() == "href"),
                "{} has {}",
                n.tag_name().name(),
                a.name()
            );
        }
    }
    // Totals, the per-model chart (negative margin drawn and flagged), the issue row.
    assert!(html.contains("Margin by model"));
    assert!(doc.descendants().any(|n| n.tag_name().name() == "svg"));
    assert!(html.contains("class=\"n neg\""));
    assert!(texts.contains(&"unexplained"));
}

/// The margin by relay channel: `channel` in new-api's JSON, `channel_id` in its table (and
/// the rows `reconcile --db` writes), the same key; `--by channel` groups by it; a row
/// without one is in no channel's margin.
#[test]
fn margin_by_channel_reads_channel_and_channel_id() {
    let markup = GPT4O_OTHER.replace("\"model_ratio\":1.25", "\"model_ratio\":2");
    let with = |line: String, member: &str| line.replacen("{", &format!("{{{member},"), 1);
    let log = [
        with(
            row("gpt-4o", 1000, 500, 3625, GPT4O_OTHER),
            r#""channel":3"#,
        ),
        with(row("gpt-4o", 1000, 500, 5800, &markup), r#""channel_id":3"#),
        with(row("gpt-4o", 1000, 500, 5800, &markup), r#""channel":"9""#),
        row("gpt-4o", 1000, 500, 3625, GPT4O_OTHER),
    ]
    .join("\n");
    let opts = Options {
        margin: true,
        by: vec![tariff_operations::reconcile::Dim::Channel],
        ..Options::default()
    };
    let mut r = Reconciler::new(Catalog::builtin(), opts).unwrap();
    r.read("logs", log.as_bytes(), &mut |_| {}, &mut |_| {})
        .unwrap();
    let rep = r.finish();
    assert_eq!(rep.priced, 4);
    let ch: Vec<(&str, u64)> = rep
        .margin_by_channel
        .iter()
        .map(|(k, m)| (k.as_str(), m.rows))
        .collect();
    assert_eq!(ch, [("3", 2), ("9", 1)]);
    // Channel 3: charged (3625 + 5800) / 500,000 = 0.01885 USD; upstream 2 × 0.00725
    // (1000 prompt of which 200 cached, 500 out at gpt-4o's list price; the first row
    // follows list price exactly) = 0.0145; margin 0.00435.
    let m = &rep.margin_by_channel["3"];
    assert_eq!(m.charged.to_decimal().unwrap(), Decimal::new(1885, 5));
    assert_eq!(m.upstream.to_decimal().unwrap(), Decimal::new(145, 4));
    assert_eq!(m.margin().to_decimal().unwrap(), Decimal::new(435, 5));
    let keys: Vec<String> = rep.groups.keys().map(|k| k.values.join("/")).collect();
    assert_eq!(keys, ["-", "3", "9"]);
    let html = rep.html("channels");
    assert!(html.contains("Margin by channel"));
    assert!(html.contains(r#"aria-label="margin by channel""#));
}

/// A model the price tables do not name (an operator's own): the row has no list price and
/// is rejected as `unknown_model`, but whether the relay billed it by its own logged ratios
/// is still answered. Quota with the gpt-4o ratios: 2900 × 1.25 = 3625; 3000 does not follow.
/// Regression: such rows used to get no relay check at all.
#[test]
fn rows_the_tables_cannot_price_are_still_checked_against_the_relay_rules() {
    let log = [
        row("acme-house-model", 1000, 500, 3625, GPT4O_OTHER),
        row("acme-house-model", 1000, 500, 3000, GPT4O_OTHER),
        row("gpt-4o", 1000, 500, 3625, GPT4O_OTHER),
    ]
    .join("\n");
    let opts = Options {
        relay: Some(Arc::new(newest())),
        ..Options::default()
    };
    let mut r = Reconciler::new(Catalog::builtin(), opts).unwrap();
    r.read("logs", log.as_bytes(), &mut |_| {}, &mut |_| {})
        .unwrap();
    let rep = r.finish();
    assert_eq!((rep.priced, rep.rejected), (1, 2));
    assert_eq!(rep.relay_unpriced[RelayClass::Follows as usize], 1);
    assert_eq!(rep.relay_unpriced[RelayClass::Unexplained as usize], 1);
    let t = rep.totals.values().next().unwrap();
    assert_eq!(t.relay[RelayClass::Follows as usize], 1);
    assert_eq!(rep.relay_issues.len(), 1);
    let issue = &rep.relay_issues[0];
    assert_eq!((issue.line, issue.model.as_str()), (2, "acme-house-model"));
    assert_eq!(issue.quota, Some(d("3625")));
    let json = serde_json::to_value(&rep).unwrap();
    assert_eq!(
        json["relay_unpriced"],
        serde_json::json!({"follows": 1, "ratio_mismatch": 0, "unexplained": 1, "unchecked": 0})
    );
    let html = rep.html("logs");
    assert!(html.contains("not in the price tables"), "{html}");
}
