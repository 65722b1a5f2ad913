//! Image families: OpenAI Images, Seedream, DashScope (Wanx, Z-Image), Imagen, Midjourney and
//! Gemini native image output become canonical usage, then exact bills; bad bodies, missing
//! requests, other families' bodies and unfinished tasks are typed errors.

use proptest::prelude::*;
use rust_decimal::Decimal;
use tariff::extract::{extract, extract_any, extract_with_request, Api, ExtractError};
use tariff::{Catalog, PriceError, Usage};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/responses/images/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn json(u: &Usage) -> serde_json::Value {
    serde_json::from_str(&u.to_json()).unwrap()
}

fn meter(api: Api, body: &str, request: Option<&str>) -> Result<Usage, ExtractError> {
    let request = request.map(fixture);
    extract_with_request(api, &fixture(body), request.as_deref())
}

fn total(model: &str, mut u: Usage) -> String {
    u.at = Some("2026-06-10T00:00:00Z".parse().unwrap());
    let bill = Catalog::builtin().quote(model, &u).unwrap();
    assert_eq!(
        bill.total(),
        bill.lines().iter().map(|l| l.amount()).sum::<Decimal>()
    );
    format!("{} {}", bill.total(), bill.currency())
}

#[test]
fn gpt_image_splits_text_and_image_input_and_prices_end_to_end() {
    let u = meter(Api::OpenAiImages, "gpt-image-1.json", None).unwrap();
    // input 50 = 10 text + 40 image; all 4160 output tokens are image tokens.
    assert_eq!(
        json(&u),
        serde_json::json!({"input_tokens":10,"image_input_tokens":40,"image_output_tokens":4160})
    );
    // 10*5 + 40*10 + 4160*40 = 166850 per 1M
    assert_eq!(total("gpt-image-1", u), "0.16685 USD");
}

#[test]
fn gpt_image_1_5_text_output_is_priced_apart() {
    let u = meter(Api::OpenAiImages, "gpt-image-1.5-edit.json", None).unwrap();
    assert_eq!(
        json(&u),
        serde_json::json!({"input_tokens":300,"output_tokens":100,"image_input_tokens":1200,"image_output_tokens":4200})
    );
    // 300*5 + 100*10 + 1200*8 + 4200*32 = 146500 per 1M
    assert_eq!(total("gpt-image-1.5", u), "0.1465 USD");
}

#[test]
fn a_streamed_image_meters_as_its_final_body() {
    let stream = extract_any(Api::OpenAiImages, &fixture("gpt-image-stream.sse")).unwrap();
    let body = extract(Api::OpenAiImages, &fixture("gpt-image-1.json")).unwrap();
    assert_eq!(stream, body);
    // The CLI entry point reads a stream the same way, request or not.
    let with_request =
        extract_with_request(Api::OpenAiImages, &fixture("gpt-image-stream.sse"), None).unwrap();
    assert_eq!(with_request, body);
}

#[test]
fn dall_e_is_counted_from_the_response_and_sized_from_the_request() {
    let u = meter(
        Api::OpenAiImages,
        "dall-e-3.json",
        Some("dall-e-3.request.json"),
    )
    .unwrap();
    assert_eq!(
        json(&u),
        serde_json::json!({"images":[{"count":1,"size":"1792x1024","quality":"hd"}]})
    );
    assert_eq!(total("dall-e-3", u), "0.12 USD");
}

#[test]
fn dall_e_defaults_are_those_of_the_api() {
    let body = fixture("dall-e-3.json");
    let cases = [
        // DALL·E 3 without size or quality: 1024x1024, standard.
        (
            r#"{"model":"dall-e-3","prompt":"p"}"#,
            "dall-e-3",
            Some("1024x1024"),
            Some("standard"),
            "0.04 USD",
        ),
        // `auto` quality on DALL·E 3 is its standard quality.
        (
            r#"{"model":"dall-e-3","prompt":"p","quality":"auto","size":"1024x1792"}"#,
            "dall-e-3",
            Some("1024x1792"),
            Some("standard"),
            "0.08 USD",
        ),
        // No model: the API's default, DALL·E 2, whose price has no quality.
        (
            r#"{"prompt":"p","quality":"standard"}"#,
            "dall-e-2",
            Some("1024x1024"),
            None,
            "0.02 USD",
        ),
    ];
    for (req, model, size, quality, want) in cases {
        let u = extract_with_request(Api::OpenAiImages, &body, Some(req.as_bytes())).unwrap();
        assert_eq!(u.images.len(), 1, "{req}");
        assert_eq!(u.images[0].size.as_deref(), size, "{req}");
        assert_eq!(u.images[0].quality.as_deref(), quality, "{req}");
        assert_eq!(total(model, u), want, "{req}");
    }
}

#[test]
fn variations_read_a_multipart_request() {
    let u = meter(
        Api::OpenAiImages,
        "dall-e-2-variations.json",
        Some("dall-e-2-variations.request.multipart"),
    )
    .unwrap();
    assert_eq!(
        json(&u),
        serde_json::json!({"images":[{"count":3,"size":"512x512"}]})
    );
    assert_eq!(total("dall-e-2", u), "0.054 USD");
}

#[test]
fn per_image_responses_need_their_request() {
    let e = meter(Api::OpenAiImages, "dall-e-3.json", None).unwrap_err();
    assert_eq!(
        e,
        ExtractError::MissingRequest {
            api: Api::OpenAiImages
        }
    );
    assert!(e.to_string().contains("pass the request"), "{e}");
    let e = meter(Api::QwenImage, "z-image.json", None).unwrap_err();
    assert_eq!(
        e,
        ExtractError::MissingRequest {
            api: Api::QwenImage
        }
    );
    // `extract` has no request at all: the same error, not a guess.
    assert!(matches!(
        extract(Api::OpenAiImages, &fixture("dall-e-3.json")),
        Err(ExtractError::MissingRequest { .. })
    ));
}

#[test]
fn bad_requests_and_impossible_counts_are_refused() {
    let body = fixture("dall-e-2-variations.json");
    // Three images delivered, one asked for.
    let e = extract_with_request(
        Api::OpenAiImages,
        &body,
        Some(br#"{"model":"dall-e-2","n":1}"#),
    )
    .unwrap_err();
    assert!(matches!(e, ExtractError::Inconsistent { .. }), "{e}");
    assert!(e.to_string().contains("n is 1"), "{e}");
    let e = extract_with_request(Api::OpenAiImages, &body, Some(b"size=512x512")).unwrap_err();
    assert!(
        e.to_string()
            .contains("neither a JSON object nor multipart"),
        "{e}"
    );
    let e = extract_with_request(Api::OpenAiImages, &body, Some(br#"{"n":"three"}"#)).unwrap_err();
    match &e {
        ExtractError::Json { path, message, .. } => {
            assert_eq!(path, "request.n", "{e}");
            assert!(message.starts_with("in the request"), "{e}");
        }
        other => panic!("{other}"),
    }
    let bad_n = b"--b\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nlots\r\n--b--\r\n";
    let e = extract_with_request(Api::OpenAiImages, &body, Some(bad_n)).unwrap_err();
    assert!(e.to_string().contains("form field n `lots`"), "{e}");
}

#[test]
fn gpt_image_usage_that_does_not_add_up_is_refused() {
    let cases = [
        (
            r#"{"data":[],"usage":{"input_tokens":50,"input_tokens_details":{"text_tokens":10,"image_tokens":30},"output_tokens":1}}"#,
            "is not input_tokens (50)",
        ),
        (
            r#"{"data":[],"usage":{"input_tokens":50,"output_tokens":1}}"#,
            "no input_tokens_details",
        ),
        (
            r#"{"data":[],"usage":{"input_tokens":0,"output_tokens":10,"output_tokens_details":{"text_tokens":1,"image_tokens":2}}}"#,
            "is not output_tokens (10)",
        ),
        (
            r#"{"data":[],"usage":{"input_tokens":0,"output_tokens":10,"total_tokens":11}}"#,
            "total_tokens (11)",
        ),
    ];
    for (body, why) in cases {
        let e = extract(Api::OpenAiImages, body.as_bytes()).unwrap_err();
        assert!(
            matches!(e, ExtractError::Inconsistent { .. }),
            "{body}: {e}"
        );
        assert!(e.to_string().contains(why), "{body}: {e}");
    }
}

#[test]
fn seedream_bills_only_the_images_generated() {
    let u = meter(Api::Seedream, "seedream-group.json", None).unwrap();
    assert_eq!(json(&u), serde_json::json!({"images":[{"count":2}]}));
    assert_eq!(total("doubao-seedream-4-0-250828", u), "0.4 CNY");
    // A relay that re-serializes the usage drops generated_images: the images in `data` count.
    let u = meter(Api::Seedream, "seedream-relayed.json", None).unwrap();
    assert_eq!(json(&u), serde_json::json!({"images":[{"count":1}]}));
    // generated_images that contradicts `data` is refused.
    let body = br#"{"data":[{"url":"u"}],"usage":{"generated_images":2}}"#;
    let e = extract(Api::Seedream, body).unwrap_err();
    assert!(e.to_string().contains("generated_images is 2"), "{e}");
    // An error body has no usage.
    let e = extract(
        Api::Seedream,
        br#"{"error":{"code":"InvalidParameter","message":"x"}}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("error body"), "{e}");
}

#[test]
fn a_streamed_seedream_group_bills_the_completed_count() {
    // Partial events carry one image each (or an error); the completed event the usage.
    let u = extract_any(Api::Seedream, &fixture("seedream-stream.sse")).unwrap();
    assert_eq!(json(&u), serde_json::json!({"images":[{"count":2}]}));
    assert_eq!(total("doubao-seedream-4.0", u), "0.4 CNY");
    // Cut before the completed event: no usage, an error rather than a count of partials.
    let text = String::from_utf8(fixture("seedream-stream.sse")).unwrap();
    let cut = &text[..text.find("event: image_generation.completed").unwrap()];
    let e = extract_any(Api::Seedream, cut.as_bytes()).unwrap_err();
    assert!(matches!(e, ExtractError::MissingUsage { .. }), "{e}");
}

#[test]
fn imagen_counts_returned_images_not_filtered_ones() {
    let u = meter(Api::Imagen, "imagen-predict.json", None).unwrap();
    assert_eq!(json(&u), serde_json::json!({"images":[{"count":3}]}));
    assert_eq!(total("imagen-4.0-generate-001", u), "0.12 USD");
    // Everything filtered: nothing to bill.
    let all_filtered = br#"{"predictions":[{"raiFilteredReason":"filtered"}]}"#;
    assert_eq!(
        extract(Api::Imagen, all_filtered).unwrap(),
        Usage::default()
    );
}

#[test]
fn wanx_tasks_bill_successful_images_and_failed_tasks_nothing() {
    let u = meter(Api::QwenImage, "wanx-task.json", None).unwrap();
    assert_eq!(json(&u), serde_json::json!({"images":[{"count":3}]}));
    assert_eq!(total("wanx2.1-t2i-turbo", u), "0.42 CNY");

    let failed = meter(Api::QwenImage, "wanx-task-failed.json", None).unwrap();
    assert_eq!(failed, Usage::default());
    assert_eq!(total("wanx2.1-t2i-turbo", failed), "0 CNY");

    let e = meter(Api::QwenImage, "wanx-task-running.json", None).unwrap_err();
    assert!(matches!(e, ExtractError::MissingUsage { .. }), "{e}");
    assert!(e.to_string().contains("RUNNING"), "{e}");

    // image_count that contradicts the task's own metrics is refused.
    let body = br#"{"output":{"task_status":"SUCCEEDED","task_metrics":{"SUCCEEDED":2}},"usage":{"image_count":3}}"#;
    let e = extract(Api::QwenImage, body).unwrap_err();
    assert!(e.to_string().contains("task_metrics.SUCCEEDED is 2"), "{e}");
    // A DashScope error body says so.
    let e = extract(
        Api::QwenImage,
        br#"{"code":"InvalidApiKey","message":"bad key","request_id":"r"}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("InvalidApiKey"), "{e}");
}

#[test]
fn z_image_reads_prompt_extend_from_the_request() {
    let u = meter(Api::QwenImage, "z-image.json", Some("z-image.request.json")).unwrap();
    assert_eq!(
        json(&u),
        serde_json::json!({"images":[{"count":1}],"options":{"prompt_extend":"true"}})
    );
    assert_eq!(total("z-image-turbo", u), "0.02868 USD");
    // Without prompt_extend the API's default (false) and the standard price.
    let u = extract_with_request(
        Api::QwenImage,
        &fixture("z-image.json"),
        Some(br#"{"model":"z-image-turbo","input":{}}"#),
    )
    .unwrap();
    assert_eq!(
        u.options.get("prompt_extend").map(String::as_str),
        Some("false")
    );
    assert_eq!(total("z-image-turbo", u), "0.01434 USD");
}

#[test]
fn midjourney_bills_each_action_and_never_a_failed_task() {
    let u = meter(Api::Midjourney, "mj-imagine.json", None).unwrap();
    assert_eq!(
        json(&u),
        serde_json::json!({"requests":1,"options":{"action":"imagine"}})
    );
    // The relay's model name (mj_imagine) resolves to the one Midjourney model.
    assert_eq!(total("mj_imagine", u), "0.1 USD");
    let u = meter(Api::Midjourney, "mj-upscale.json", None).unwrap();
    assert_eq!(total("midjourney", u), "0.05 USD");

    let failed = meter(Api::Midjourney, "mj-failed.json", None).unwrap();
    assert_eq!(
        json(&failed),
        serde_json::json!({"options":{"action":"imagine"}})
    );
    let bill = Catalog::builtin().quote("midjourney", &failed).unwrap();
    assert!(bill.total().is_zero() && bill.lines().is_empty());

    for (body, why) in [
        ("mj-in-progress.json", "IN_PROGRESS at 42%"),
        ("mj-submit.json", "submit receipt"),
    ] {
        let e = meter(Api::Midjourney, body, None).unwrap_err();
        assert!(matches!(e, ExtractError::MissingUsage { .. }), "{e}");
        assert!(e.to_string().contains(why), "{body}: {e}");
    }
    let e = extract(
        Api::Midjourney,
        br#"{"action":"IMAGINE","status":"EXPLODED"}"#,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("unknown task status `EXPLODED`"),
        "{e}"
    );
}

#[test]
fn every_midjourney_action_the_relay_prices_has_a_price_and_others_are_errors() {
    let actions = [
        ("IMAGINE", "0.1"),
        ("UPSCALE", "0.05"),
        ("VARIATION", "0.1"),
        ("HIGH_VARIATION", "0.1"),
        ("LOW_VARIATION", "0.1"),
        ("REROLL", "0.1"),
        ("ZOOM", "0.1"),
        ("CUSTOM_ZOOM", "0"),
        ("PAN", "0.1"),
        ("INPAINT", "0"),
        ("BLEND", "0.1"),
        ("MODAL", "0.1"),
        ("DESCRIBE", "0.05"),
        ("SHORTEN", "0.1"),
        ("SWAP_FACE", "0.05"),
        ("UPLOAD", "0.05"),
        ("EDITS", "0.1"),
        ("VIDEO", "0.8"),
    ];
    for (action, want) in actions {
        let body = format!(r#"{{"action":"{action}","status":"SUCCESS"}}"#);
        let u = extract(Api::Midjourney, body.as_bytes()).unwrap();
        assert_eq!(total("midjourney", u), format!("{want} USD"), "{action}");
    }
    let u = extract(
        Api::Midjourney,
        br#"{"action":"OUTPAINT_PLUS","status":"SUCCESS"}"#,
    )
    .unwrap();
    let e = Catalog::builtin().quote("midjourney", &u).unwrap_err();
    assert!(matches!(e, PriceError::NoMatchingOption { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("action=outpaint_plus") && msg.contains("imagine"),
        "{msg}"
    );
}

#[test]
fn nano_banana_image_tokens_are_image_output() {
    let u = extract(Api::Gemini, &fixture("nano-banana.json")).unwrap();
    assert_eq!(
        json(&u),
        serde_json::json!({"input_tokens":20,"output_tokens":10,"image_output_tokens":1290})
    );
    // 20*0.30 + 10*2.50 + 1290*30 = 38731 per 1M
    assert_eq!(total("gemini-2.5-flash-image", u), "0.038731 USD");
}

#[test]
fn nano_banana_through_the_openai_chat_format_keeps_image_tokens_apart() {
    // The relay's OpenAI chat format reports Gemini's IMAGE candidates tokens as
    // completion_tokens_details.image_tokens, inside completion_tokens.
    let chat = extract(Api::OpenAiChat, &fixture("nano-banana-chat.json")).unwrap();
    let native = extract(Api::Gemini, &fixture("nano-banana.json")).unwrap();
    assert_eq!(
        json(&chat),
        serde_json::json!({"input_tokens":20,"output_tokens":10,"image_output_tokens":1290})
    );
    assert_eq!(
        (chat.image_output_tokens, chat.output_tokens),
        (native.image_output_tokens, native.output_tokens)
    );
    assert_eq!(
        total("gemini-2.5-flash-image", chat.clone()),
        "0.038731 USD"
    );
    // Image tokens that do not fit in completion_tokens are refused.
    let bad = br#"{"object":"chat.completion","usage":{"prompt_tokens":1,"completion_tokens":5,"completion_tokens_details":{"image_tokens":9}}}"#;
    let e = extract(Api::OpenAiChat, bad).unwrap_err();
    assert!(e.to_string().contains("image_tokens (9)"), "{e}");
    // A chat model with no image output price refuses image tokens rather than billing them
    // as text.
    let e = Catalog::builtin().quote("gpt-4o", &chat).unwrap_err();
    assert!(matches!(e, PriceError::UnpricedUnit { .. }), "{e}");
}

#[test]
fn gpt_4_all_chat_images_price_at_the_relay_default() {
    let u = extract(Api::OpenAiChat, &fixture("gpt-4-all.json")).unwrap();
    assert_eq!(total("gpt-4-all", u), "0.015 USD");
}

#[test]
fn a_body_of_another_family_is_refused_with_the_right_format() {
    let cases = [
        (Api::OpenAiImages, "seedream-group.json", "--api seedream"),
        (Api::OpenAiImages, "imagen-predict.json", "--api imagen"),
        (Api::Seedream, "gpt-image-1.json", "--api openai-images"),
        (Api::Imagen, "wanx-task.json", "--api qwen-image"),
        (Api::QwenImage, "mj-imagine.json", "--api midjourney"),
        (Api::Midjourney, "gpt-image-1.json", "--api openai-images"),
        (Api::Midjourney, "nano-banana.json", "Gemini"),
        (Api::OpenAiImages, "gpt-4-all.json", "--api openai-chat"),
        (Api::Seedream, "nano-banana.json", "Gemini"),
    ];
    for (api, body, why) in cases {
        let e = extract(api, &fixture(body)).unwrap_err();
        assert!(
            matches!(e, ExtractError::WrongFamily { .. }),
            "{api} {body}: {e}"
        );
        assert!(e.to_string().contains(why), "{api} {body}: {e}");
    }
}

#[test]
fn huge_counts_are_errors_not_panics() {
    let max = u64::MAX;
    let bodies = [
        (
            Api::OpenAiImages,
            format!(
                r#"{{"usage":{{"input_tokens":{max},"input_tokens_details":{{"text_tokens":{max},"image_tokens":{max}}},"output_tokens":{max}}}}}"#
            ),
        ),
        (
            Api::OpenAiImages,
            format!(
                r#"{{"usage":{{"input_tokens":0,"output_tokens":{max},"total_tokens":{max}}}}}"#
            ),
        ),
        (
            Api::Seedream,
            format!(r#"{{"usage":{{"generated_images":{max}}}}}"#),
        ),
        (
            Api::QwenImage,
            format!(
                r#"{{"output":{{"task_status":"SUCCEEDED"}},"usage":{{"image_count":{max}}}}}"#
            ),
        ),
    ];
    for (api, body) in bodies {
        assert!(extract(api, body.as_bytes()).is_err(), "{api}: {body}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Image fixtures with bytes flipped, cut or spliced, read as every image format with and
    /// without a (mutated) request: a usage or a typed error, never a panic.
    #[test]
    fn image_extractors_never_panic(
        which in 0usize..15,
        api in 0usize..6,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<usize>(),
        noise in proptest::collection::vec(any::<u8>(), 0..64),
        with_request in any::<bool>(),
    ) {
        let names = [
            "gpt-image-1.json", "gpt-image-1.5-edit.json", "gpt-image-stream.sse", "dall-e-3.json",
            "dall-e-2-variations.json", "seedream-group.json", "seedream-relayed.json",
            "imagen-predict.json", "wanx-task.json", "wanx-task-failed.json", "z-image.json",
            "mj-imagine.json", "mj-failed.json", "mj-submit.json",
            "dall-e-2-variations.request.multipart",
        ];
        let apis = [Api::OpenAiImages, Api::Seedream, Api::QwenImage, Api::Imagen, Api::Midjourney, Api::Gemini];
        let mut bytes = fixture(names[which]);
        for (at, b) in &edits {
            let i = at % bytes.len();
            bytes[i] = *b;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        bytes.extend_from_slice(&noise);
        let api = apis[api];
        let request = with_request.then(|| {
            let mut r = fixture("dall-e-2-variations.request.multipart");
            for (at, b) in &edits {
                let i = at % r.len();
                r[i] = *b;
            }
            r
        });
        let _ = extract_with_request(api, &bytes, request.as_deref());
        let _ = extract_with_request(api, &fixture(names[which]), Some(&bytes));
        let _ = extract(api, &bytes);
        let _ = extract_any(api, &noise);
    }
}

#[test]
fn edge_shapes_are_handled() {
    // No image delivered: nothing to bill, request or not.
    assert_eq!(
        extract(Api::OpenAiImages, br#"{"created":1,"data":[]}"#).unwrap(),
        Usage::default()
    );
    // A list of Midjourney tasks is not one bill.
    let e = extract(
        Api::Midjourney,
        br#"[{"action":"IMAGINE","status":"SUCCESS"}]"#,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("meter each task record on its own"),
        "{e}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any consistent GPT Image usage meters to buckets that add up to what was reported,
    /// and prices to the page's formula exactly; an inconsistent split is refused.
    #[test]
    fn gpt_image_buckets_add_up_and_price_by_formula(
        text_in in 0u64..50_000, image_in in 0u64..50_000,
        text_out in 0u64..5_000, image_out in 0u64..50_000,
        skew in 1u64..1000,
    ) {
        let input = text_in + image_in;
        let output = text_out + image_out;
        let body = format!(
            r#"{{"data":[{{"b64_json":"x"}}],"usage":{{"input_tokens":{input},"input_tokens_details":{{"text_tokens":{text_in},"image_tokens":{image_in}}},"output_tokens":{output},"output_tokens_details":{{"text_tokens":{text_out},"image_tokens":{image_out}}},"total_tokens":{}}}}}"#,
            input + output
        );
        let u = extract(Api::OpenAiImages, body.as_bytes()).unwrap();
        prop_assert_eq!(u.input_tokens.get() + u.image_input_tokens.get(), input);
        prop_assert_eq!(u.output_tokens.get() + u.image_output_tokens.get(), output);
        // gpt-image-1.5: text $5 in / $10 out, image $8 in / $32 out, per 1M.
        let want = Decimal::from(text_in * 5 + text_out * 10 + image_in * 8 + image_out * 32)
            / Decimal::from(1_000_000);
        let mut priced = u.clone();
        priced.at = Some("2026-06-10T00:00:00Z".parse().unwrap());
        let bill = Catalog::builtin().quote("gpt-image-1.5", &priced).unwrap();
        prop_assert_eq!(bill.total(), want.normalize());

        let skewed = body.replace(
            &format!(r#""input_tokens":{input},"#),
            &format!(r#""input_tokens":{},"#, input + skew),
        );
        let is_inconsistent = matches!(
            extract(Api::OpenAiImages, skewed.as_bytes()),
            Err(ExtractError::Inconsistent { .. })
        );
        prop_assert!(is_inconsistent);
    }

    /// Seedream bills exactly the images that came back; a count that disagrees with `data`
    /// is refused, and the bill grows by one image price per image.
    #[test]
    fn seedream_bills_the_images_returned(ok in 0usize..15, failed in 0usize..5, off in 1u64..4) {
        let mut items: Vec<String> = (0..ok).map(|i| format!(r#"{{"url":"https://x/{i}.jpeg"}}"#)).collect();
        items.extend((0..failed).map(|_| r#"{"error":{"code":"OutputImageSensitiveContentDetected"}}"#.to_string()));
        let data = items.join(",");
        let body = format!(r#"{{"data":[{data}],"usage":{{"generated_images":{ok}}}}}"#);
        let u = extract(Api::Seedream, body.as_bytes()).unwrap();
        prop_assert_eq!(u.quantity(tariff::Unit::Images), Decimal::from(ok));
        let mut priced = u.clone();
        priced.at = Some("2026-06-10T00:00:00Z".parse().unwrap());
        let bill = Catalog::builtin().quote("doubao-seedream-4.5", &priced).unwrap();
        prop_assert_eq!(bill.total(), (Decimal::from(ok) * Decimal::new(25, 2)).normalize());

        let wrong = format!(r#"{{"data":[{data}],"usage":{{"generated_images":{}}}}}"#, ok as u64 + off);
        let is_inconsistent = matches!(
            extract(Api::Seedream, wrong.as_bytes()),
            Err(ExtractError::Inconsistent { .. })
        );
        prop_assert!(is_inconsistent);
    }

    /// A Midjourney task is billed once when it succeeded and never otherwise, whatever its
    /// action; unfinished states are errors.
    #[test]
    fn midjourney_charges_only_success(
        action in prop::sample::select(vec!["IMAGINE", "UPSCALE", "VARIATION", "REROLL", "ZOOM", "PAN", "BLEND", "DESCRIBE", "SHORTEN", "SWAP_FACE", "UPLOAD", "VIDEO", "EDITS", "MODAL"]),
        status in prop::sample::select(vec!["SUCCESS", "FAILURE", "CANCEL", "NOT_START", "SUBMITTED", "IN_PROGRESS", "MODAL"]),
    ) {
        let body = format!(r#"{{"action":"{action}","status":"{status}","progress":"10%"}}"#);
        match (status, extract(Api::Midjourney, body.as_bytes())) {
            ("SUCCESS", Ok(u)) => {
                prop_assert_eq!(u.requests.get(), 1);
                let mut priced = u.clone();
                priced.at = Some("2026-06-10T00:00:00Z".parse().unwrap());
                let bill = Catalog::builtin().quote("midjourney", &priced).unwrap();
                prop_assert!(bill.total() > Decimal::ZERO);
            }
            ("FAILURE" | "CANCEL", Ok(u)) => {
                prop_assert!(u.requests.is_zero());
                let bill = Catalog::builtin().quote("midjourney", &u).unwrap();
                prop_assert!(bill.total().is_zero());
            }
            (_, Err(ExtractError::MissingUsage { .. })) => prop_assert!(status != "SUCCESS" && status != "FAILURE"),
            (s, other) => prop_assert!(false, "{s}: {other:?}"),
        }
    }
}
