//! Upstream outcomes: every row of the seed's error catalogue, variants of them that
//! differ only in numbers, ids or model names, the common body shapes, operator rules,
//! status defaults and the partial-stream policy.

use serde::Deserialize;
use tariff::outcome::{
    classify, status_default, Basis, Billing, Classifier, Fault, RuleError, StreamEnd,
    StreamPolicy, StreamProgress, UsageBasis,
};

#[derive(Deserialize)]
struct Catalogue {
    row: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    title: String,
    statuses: Vec<u16>,
    message: String,
    attribution: String,
    fault: Fault,
}

fn catalogue() -> Vec<Row> {
    let text = include_str!("fixtures/error_catalogue.toml");
    toml::from_str::<Catalogue>(text).unwrap().row
}

/// The ways an error body reaches the relay, for one message.
fn shapes(message: &str) -> Vec<(&'static str, String)> {
    let m = serde_json::to_string(message).unwrap();
    vec![
        ("plain text", message.to_string()),
        (
            "openai",
            format!(r#"{{"error":{{"message":{m},"type":"invalid_request_error","param":null,"code":null}}}}"#),
        ),
        (
            "anthropic",
            format!(r#"{{"type":"error","error":{{"type":"invalid_request_error","message":{m}}}}}"#),
        ),
        (
            "gemini",
            format!(r#"{{"error":{{"code":400,"message":{m},"status":"INVALID_ARGUMENT"}}}}"#),
        ),
        (
            "gemini array",
            format!(r#"[{{"error":{{"code":400,"message":{m},"status":"INVALID_ARGUMENT"}}}}]"#),
        ),
        (
            "new-api",
            format!(r#"{{"error":{{"message":{m},"type":"new_api_error","param":"","code":"bad_response_status_code"}}}}"#),
        ),
        ("aws", format!(r#"{{"message":{m}}}"#)),
        (
            "sse error event",
            format!("event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"api_error\",\"message\":{m}}}}}\n\n"),
        ),
    ]
}

#[test]
fn catalogue_has_every_seed_row() {
    let rows = catalogue();
    assert_eq!(rows.len(), 39);
    for row in &rows {
        assert!(!row.attribution.is_empty() && !row.title.is_empty());
    }
}

#[test]
fn every_seed_row_classifies_as_the_seed_says_in_every_body_shape() {
    let mut failures = Vec::new();
    for row in catalogue() {
        for &status in &row.statuses {
            for (shape, body) in shapes(&row.message) {
                let o = classify(status, &body);
                if o.fault != row.fault || o.basis != Basis::Rule {
                    failures.push(format!(
                        "{status} {:?} as {shape}: got {} by {:?} ({:?}), seed says {} ({})",
                        row.message, o.fault, o.basis, o.rule, row.fault, row.attribution
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_seed_row_is_decided_by_a_seed_rule() {
    for row in catalogue() {
        let o = classify(row.statuses[0], &row.message);
        let source = o.source.unwrap_or_default();
        assert!(
            source.starts_with("SEED"),
            "{}: decided by {:?} from {source:?}",
            row.title,
            o.rule
        );
    }
}

#[test]
fn combined_messages_classify_half_by_half() {
    for row in catalogue() {
        if !row.message.contains(" / ") {
            continue;
        }
        for half in row.message.split(" / ") {
            for &status in &row.statuses {
                assert_eq!(classify(status, half).fault, row.fault, "{half}");
            }
        }
    }
}

#[test]
fn messages_differing_in_numbers_ids_and_models_classify_the_same() {
    let cases: &[(u16, &str, Fault, &str)] = &[
        (400, "prompt is too long: 300001 tokens > 200000 maximum", Fault::Client, "prompt-too-long"),
        (400, "prompt is too long: 1,048,577 tokens > 1000000 maximum", Fault::Client, "prompt-too-long"),
        (
            400,
            "unexpected 'tool_use_id' found in 'tool_result' blocks: toolu_01XFDUDYJgAACzvnptvVoYEL. Each 'tool_result' block must have a corresponding 'tool_use' block in the previous message.",
            Fault::Client,
            "orphan-tool-result",
        ),
        (
            400,
            "messages.7.content.1: unexpected `tool_use_id` found in `tool_result` blocks: tooluse_abc-123",
            Fault::Client,
            "orphan-tool-result",
        ),
        (503, "分组 vip 下模型 claude-opus-4-1 无可用渠道(distributor)", Fault::Relay, "no-channel-available"),
        (503, "分组 default 下模型 gpt-4o-mini 无可用渠道（distributor）", Fault::Relay, "no-channel-available"),
        (503, "分组 企业 下模型 models/gemini-2.0-flash 无可用渠道", Fault::Relay, "no-channel-available"),
        (503, "分组 svip 下模型 o3 的可用渠道不存在（retry）", Fault::Relay, "no-channel-available"),
        (
            400,
            "contents[3].parts[12].data: required oneof field 'data' must have one initialized field",
            Fault::Client,
            "gemini-part-data-empty",
        ),
        (400, "Unrecognized request argument supplied: top_k", Fault::Client, "unrecognized-argument"),
        (
            400,
            "The input token count (1572864) exceeds the maximum number of tokens allowed (1048576).",
            Fault::Client,
            "input-token-count-exceeds",
        ),
        (429, "The image size is not allowed to be zero or larger than 5242880 bytes", Fault::Client, "image-size-limit"),
        (
            429,
            "Input tokens exceed the configured limit of 128000 tokens. Your messages resulted in 130001 tokens. Please reduce the length of the messages.",
            Fault::Client,
            "input-tokens-over-configured-limit",
        ),
        (
            429,
            "Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 50",
            Fault::UpstreamAccount,
            "quota-exceeded",
        ),
        (
            429,
            "You exceeded your current quota, please check your plan and billing details. Quota exceeded for metric: generate_content_paid_tier_3_input_token_count, limit: 4000000, model: gemini-2.5-flash",
            Fault::UpstreamAccount,
            "quota-exceeded-plan",
        ),
        (504, "bad response status code 524", Fault::Upstream, "gateway-timeout"),
        (
            500,
            "error counting image token, media index[3], identifier[ https://example.com/a/b/0123456789abcdef.png], err: failed to decode image config: image: unknown format",
            Fault::Client,
            "image-token-count-failed",
        ),
        (500, "error getting file type: failed to download file, status code: 404", Fault::Client, "file-download-failed"),
        (
            400,
            "The encrypted content for item rs_0123abcd could not be verified.",
            Fault::Client,
            "encrypted-content-unverifiable",
        ),
        (429, "上游服务繁忙，请稍后重试", Fault::Upstream, "upstream-busy-cn"),
        (500, "INVALID CHARACTER '<' LOOKING FOR BEGINNING OF VALUE", Fault::ChannelConfig, "html-instead-of-json"),
    ];
    for &(status, message, fault, rule) in cases {
        let o = classify(status, message);
        assert_eq!(
            (o.fault, o.rule.as_deref()),
            (fault, Some(rule)),
            "{status} {message}"
        );
    }
}

#[test]
fn actions_follow_the_fault_and_the_rules_overrides() {
    let refund = |o: &tariff::outcome::Outcome| o.action.billing == Billing::Refund;
    // The user's own mistakes: refund, and do not waste another channel on them.
    let o = classify(400, "prompt is too long: 228527 tokens > 200000 maximum");
    assert!(refund(&o) && !o.action.retry && !o.action.disable_channel);
    // A dead vendor account: refund, move the request, take the channel out.
    let o = classify(429, "You exceeded your current quota");
    assert!(refund(&o) && o.action.retry && o.action.disable_channel);
    // A concurrency ceiling is the account's but refills: move, keep the channel.
    let o = classify(
        500,
        "Concurrency limit exceeded for user, please retry later",
    );
    assert_eq!(o.fault, Fault::UpstreamAccount);
    assert!(o.action.retry && !o.action.disable_channel);
    // Misconfigured channel: move and disable.
    let o = classify(500, "invalid character '<' looking for beginning of value");
    assert!(o.action.retry && o.action.disable_channel);
    // This server or its code: nothing another channel can fix.
    for (status, m) in [
        (503, "system cpu overloaded"),
        (400, "Image part is missing a thought_signature"),
    ] {
        let o = classify(status, m);
        assert!(
            refund(&o) && !o.action.retry && !o.action.disable_channel,
            "{m}"
        );
    }
    // A gateway timeout may still be billed upstream: no resend.
    assert!(!classify(504, "bad response status code 504").action.retry);
    // Every built-in rule refunds: nothing was delivered.
    for rule in Classifier::builtin().rules() {
        assert_eq!(rule.action.billing, Billing::Refund, "{}", rule.id);
        assert!(
            !rule.note.is_empty() && !rule.source.is_empty(),
            "{}",
            rule.id
        );
    }
}

#[test]
fn status_limits_apply() {
    // "bad response status code" is a timeout only with a timeout status.
    let o = classify(500, "bad response status code 500");
    assert_eq!((o.rule, o.basis), (None, Basis::Status));
    // The 400-only thought-signature rule does not fire for a 500.
    assert_ne!(
        classify(500, "Image part is missing a thought_signature").fault,
        Fault::RelayBug
    );
}

#[test]
fn unknown_messages_fall_back_to_the_status_class() {
    let cases: &[(u16, Fault, bool, bool)] = &[
        (400, Fault::Client, false, false),
        (404, Fault::Client, false, false),
        (422, Fault::Client, false, false),
        (401, Fault::UpstreamAccount, true, true),
        (402, Fault::UpstreamAccount, true, true),
        (403, Fault::UpstreamAccount, true, true),
        (408, Fault::Upstream, false, false),
        (429, Fault::Upstream, true, false),
        (500, Fault::Upstream, true, false),
        (502, Fault::Upstream, true, false),
        (503, Fault::Upstream, true, false),
        (504, Fault::Upstream, false, false),
        (0, Fault::Upstream, true, false),
        (200, Fault::Upstream, true, false),
    ];
    for &(status, fault, retry, disable) in cases {
        let o = classify(
            status,
            r#"{"error":{"message":"zork: the frobnicator is sad"}}"#,
        );
        assert_eq!(o.basis, Basis::Status, "{status}");
        assert_eq!(o.rule, None);
        assert_eq!(o.source, None);
        assert_eq!(o.message, "zork: the frobnicator is sad");
        assert_eq!(
            (o.fault, o.action.retry, o.action.disable_channel),
            (fault, retry, disable),
            "{status}"
        );
        assert_eq!(
            (o.fault, o.action),
            (status_default(status).0, status_default(status).1)
        );
        assert!(o.note.starts_with("no rule matched"));
    }
}

#[test]
fn message_is_extracted_from_each_body_shape() {
    let m = "Resource has been exhausted (e.g. check quota).";
    for (shape, body) in shapes(m) {
        let o = classify(429, &body);
        assert_eq!(o.message, m, "{shape}");
        assert_eq!(o.fault, Fault::UpstreamAccount, "{shape}");
    }
    // {"error": "text"}
    assert_eq!(
        classify(400, r#"{"error":"Invalid schema for function 'f'"}"#).message,
        "Invalid schema for function 'f'"
    );
    // new-api passing an upstream's JSON error along as a string.
    let nested = r#"{"error":{"message":"{\"error\":{\"message\":\"Too many tokens per day, please wait before trying again.\",\"type\":\"rate_limit\"}}","type":"upstream_error"}}"#;
    let o = classify(429, nested);
    assert_eq!(
        o.message,
        "Too many tokens per day, please wait before trying again."
    );
    assert_eq!(o.rule.as_deref(), Some("tokens-per-day"));
    // A message that only lives in the error's type: matched through the fields.
    let o = classify(
        503,
        r#"{"error":{"message":"","type":"openai_error","code":"bad_response"}}"#,
    );
    assert_eq!(o.rule.as_deref(), Some("openai-error-503"));
    // Not JSON at all: an HTML error page from a misconfigured base URL.
    let o = classify(502, "<html><body>502 Bad Gateway</body></html>");
    assert_eq!(o.basis, Basis::Status);
    assert_eq!(o.message, "<html><body>502 Bad Gateway</body></html>");
    // Broken JSON is plain text.
    let o = classify(
        400,
        r#"{"error": {"message": "prompt is too long: 5 tokens > 4 maximum""#,
    );
    assert_eq!(o.rule.as_deref(), Some("prompt-too-long"));
}

#[test]
fn raw_body_is_matched_too() {
    // The message field says little; the details elsewhere in the body decide.
    let body = r#"{"error":{"message":"Bad request","details":[{"reason":"Request contains an invalid argument"}]}}"#;
    assert_eq!(
        classify(400, body).rule.as_deref(),
        Some("invalid-argument")
    );
}

#[test]
fn an_operator_rule_overrides_a_builtin_one() {
    let mut c = Classifier::builtin().clone();
    let n = c.rules().len();
    c.extend(
        Classifier::from_toml(
            r#"
            # Our Gemini channels report per-minute quotas this way; keep them enabled.
            [[rule]]
            id = "quota-exceeded"
            statuses = [429]
            match = "quota exceeded for metric: {*}limit: {n}"
            fault = "upstream"
            note = "per-minute quota"
            source = "ops"

            [[rule]]
            id = "ops-vendor-x-banned-words"
            match = "policy violation id {id}"
            fault = "client"
            billing = "charge"
            note = "vendor X bills rejected prompts"
            source = "ops"
            "#,
        )
        .unwrap(),
    );
    assert_eq!(c.rules().len(), n + 1);
    assert_eq!(c.rules()[0].id, "quota-exceeded");
    let o = c.classify(
        429,
        "Quota exceeded for metric: generate_requests_per_model_per_day, limit: 0",
    );
    assert_eq!(
        (o.fault, o.action.disable_channel, o.source.as_deref()),
        (Fault::Upstream, false, Some("ops"))
    );
    // Replacing a rule replaces all of it: its other pattern is gone too, so that text
    // now falls through to the status default.
    let o = c.classify(429, "You exceeded your current quota");
    assert_eq!((o.basis, o.fault), (Basis::Status, Fault::Upstream));
    // Rules the operator did not touch still apply.
    let o = c.classify(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
    );
    assert_eq!(o.rule.as_deref(), Some("quota-exceeded-plan"));
    let o = c.classify(400, "Policy violation id pv_77 in prompt");
    assert_eq!(
        (o.fault, o.action.billing),
        (Fault::Client, Billing::Charge)
    );
    // The built-in classifier is untouched.
    assert_eq!(
        classify(429, "Quota exceeded for metric: m, limit: 0").fault,
        Fault::UpstreamAccount
    );
}

#[test]
fn bad_rule_files_are_rejected() {
    let bad = [
        ("[[rule]]\nid = \"a\"\nmatch = \"x\"\nfault = \"nobody\"", "unknown fault"),
        ("[[rule]]\nid = \"a\"\nmatch = \"x\"\nfault = \"client\"\ncolour = 1", "unknown field"),
        ("[[rule]]\nid = \"a\"\nmatch = \"x {num}\"\nfault = \"client\"", "unknown placeholder"),
        ("[[rule]]\nid = \"a\"\nmatch = \"{*}\"\nfault = \"client\"", "matches everything"),
        ("[[rule]]\nid = \"a\"\nmatch = []\nfault = \"client\"", "empty"),
        ("[[rule]]\nid = \"a\"\nfault = \"client\"", "missing match"),
        (
            "[[rule]]\nid = \"a\"\nmatch = \"x\"\nfault = \"client\"\n[[rule]]\nid = \"a\"\nmatch = \"y\"\nfault = \"client\"",
            "duplicate id",
        ),
    ];
    for (text, why) in bad {
        let err = Classifier::from_toml(text).expect_err(why);
        match (&err, why) {
            (RuleError::Invalid { id, .. }, "duplicate id") => assert_eq!(id, "a"),
            _ => assert!(!err.to_string().is_empty()),
        }
    }
    assert_eq!(Classifier::from_toml("").unwrap().rules().len(), 0);
}

#[test]
fn builtin_ids_are_unique_and_json_has_fault_and_action() {
    let rules = Classifier::builtin().rules();
    let mut ids: Vec<_> = rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), rules.len());
    let json = serde_json::to_value(classify(
        403,
        "UnrecognizedClientException: The security token included in the request is invalid.",
    ))
    .unwrap();
    assert_eq!(json["fault"], "upstream_account");
    assert_eq!(json["action"]["billing"], "refund");
    assert_eq!(json["action"]["disable_channel"], true);
    assert_eq!(json["rule"], "bedrock-invalid-security-token");
    assert_eq!(json["basis"], "rule");
    let json = serde_json::to_value(classify(418, "teapot")).unwrap();
    assert_eq!(json["rule"], serde_json::Value::Null);
    assert_eq!(json["basis"], "status");
}

#[test]
fn display_names_the_default() {
    let text = classify(418, "teapot").to_string();
    assert!(text.contains("(none: default for status 418)"), "{text}");
    let text = classify(400, "Corrupted thought signature.").to_string();
    assert!(
        text.contains("rule     corrupted-thought-signature"),
        "{text}"
    );
}

#[test]
fn partial_streams() {
    let c = Classifier::builtin();
    let policy = StreamPolicy::default();
    let none = StreamProgress::default();
    let some = StreamProgress {
        delivered_output: true,
        usage_reported: false,
    };
    let some_with_usage = StreamProgress {
        delivered_output: true,
        usage_reported: true,
    };

    // Completed: charge, reported usage when there is some.
    let s = c.settle_stream(&StreamEnd::Completed, some_with_usage, &policy);
    assert_eq!(
        (s.billing, s.usage, s.fault),
        (Billing::Charge, UsageBasis::Reported, None)
    );

    // Client disconnect mid-stream: charge what was streamed, estimated when no usage came.
    let s = c.settle_stream(&StreamEnd::ClientGone, some, &policy);
    assert_eq!(
        (s.billing, s.usage, s.fault, s.retry),
        (
            Billing::Charge,
            UsageBasis::EstimatedFromDelivered,
            Some(Fault::Client),
            false
        )
    );
    let s = c.settle_stream(&StreamEnd::ClientGone, some_with_usage, &policy);
    assert_eq!(s.usage, UsageBasis::Reported);

    // Client disconnect before any output: the prompt by default, nothing if forgiven.
    let s = c.settle_stream(&StreamEnd::ClientGone, none, &policy);
    assert_eq!(
        (s.billing, s.usage),
        (Billing::Charge, UsageBasis::EstimatedFromDelivered)
    );
    let lenient = StreamPolicy {
        upstream_truncation: Billing::Refund,
        client_cancel_before_output: Billing::Refund,
    };
    let s = c.settle_stream(&StreamEnd::ClientGone, none, &lenient);
    assert_eq!((s.billing, s.usage), (Billing::Refund, UsageBasis::None));

    // Upstream error mid-stream: charge the delivered part, never retry, still disable a dead account.
    let quota = StreamEnd::UpstreamError {
        status: 429,
        body: r#"{"error":{"message":"You exceeded your current quota"}}"#,
    };
    let s = c.settle_stream(&quota, some, &policy);
    assert_eq!(
        (s.billing, s.usage, s.fault),
        (
            Billing::Charge,
            UsageBasis::EstimatedFromDelivered,
            Some(Fault::UpstreamAccount)
        )
    );
    assert!(!s.retry && s.disable_channel);
    assert_eq!(
        s.outcome.as_ref().and_then(|o| o.rule.as_deref()),
        Some("quota-exceeded")
    );
    let overloaded = StreamEnd::UpstreamError { status: 0, body: "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}" };
    let s = c.settle_stream(&overloaded, some, &policy);
    assert_eq!(
        (s.billing, s.retry, s.disable_channel, s.fault),
        (Billing::Charge, false, false, Some(Fault::Upstream))
    );
    let s = c.settle_stream(&overloaded, some, &lenient);
    assert_eq!((s.billing, s.usage), (Billing::Refund, UsageBasis::None));

    // Upstream error before any output: an ordinary failed request.
    let s = c.settle_stream(&quota, none, &policy);
    assert_eq!(
        (s.billing, s.usage, s.retry, s.disable_channel),
        (Billing::Refund, UsageBasis::None, true, true)
    );

    // Timeouts.
    let s = c.settle_stream(&StreamEnd::Timeout, some, &policy);
    assert_eq!(
        (s.billing, s.usage, s.retry),
        (Billing::Charge, UsageBasis::EstimatedFromDelivered, false)
    );
    let s = c.settle_stream(&StreamEnd::Timeout, none, &policy);
    assert_eq!((s.billing, s.retry), (Billing::Refund, false));

    // Serializable, for logs.
    let json = serde_json::to_value(c.settle_stream(&quota, some, &policy)).unwrap();
    assert_eq!(json["billing"], "charge");
    assert_eq!(json["usage"], "estimated_from_delivered");
}

#[test]
fn classification_is_fast_enough_for_the_hot_path() {
    // Not a benchmark: a guard against accidental quadratic blow-ups on big bodies.
    let big = format!("<html>{}</html>", "x{*} 123 abc ".repeat(50_000));
    let start = std::time::Instant::now();
    for _ in 0..10 {
        let _ = classify(502, &big);
    }
    assert!(start.elapsed().as_secs() < 5);
}

/// Regression: a rules file saved with a UTF-8 byte order mark was a TOML syntax error, and
/// a body saved with one was not read as JSON; both skip it.
#[test]
fn a_byte_order_mark_is_skipped_in_rules_and_bodies() {
    let rules =
        "\u{feff}[[rule]]\nid = \"ops-bom\"\nmatch = \"vendor x melted\"\nfault = \"upstream\"\n";
    let c = Classifier::from_toml(rules).expect("a rules file with a BOM loads");
    assert_eq!(c.rules().len(), 1);
    let body = r#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details."}}"#;
    let plain = Classifier::builtin().classify(429, body);
    let with_bom = Classifier::builtin().classify(429, &format!("\u{feff}{body}"));
    assert_eq!(with_bom, plain);
}
