//! Estimates of image requests: GPT Image tokens from OpenAI's size × quality table, and
//! the images a Seedream, Imagen or DashScope (Wan, Z-Image) request asks for, and the one
//! Midjourney task a request runs, priced by its action. Each estimate must equal what the
//! answer then meters when the vendor does what was asked, and be priced by hand from
//! the tables in pricing/*.toml.

use proptest::prelude::*;
use tariff::estimate::{estimate, Basis, Estimate, EstimateError};
use tariff::extract::{extract_with_request, Api};
use tariff::{Catalog, Usage};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/responses/images/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn total(model: &str, u: &Usage) -> String {
    let mut u = u.clone();
    u.at = Some("2026-06-10T00:00:00Z".parse().unwrap());
    let bill = Catalog::builtin().quote(model, &u).unwrap();
    assert_eq!(bill.estimated(), u.estimated);
    format!("{} {}", bill.total(), bill.currency())
}

fn basis(est: &Estimate, what: &str) -> Basis {
    est.parts.iter().find(|p| p.what == what).unwrap().basis
}

/// A GPT Image answer whose usage block reports `text` prompt tokens and `image` output
/// tokens, as OpenAI returns it.
fn gpt_image_answer(text: u64, image: u64, n: u64) -> String {
    let data = vec![r#"{"b64_json":"aGVsbG8="}"#; n as usize].join(",");
    format!(
        r#"{{"created":1745000000,"data":[{data}],"usage":{{"input_tokens":{text},"input_tokens_details":{{"text_tokens":{text},"image_tokens":0}},"output_tokens":{image},"total_tokens":{}}}}}"#,
        text + image
    )
}

#[test]
fn gpt_image_holds_the_table_tokens_and_the_answer_bills_the_same() {
    let req = r#"{"model":"gpt-image-1","prompt":"a red fox in snow","size":"1024x1024","quality":"high","n":2}"#;
    let est = estimate(Api::OpenAiImages, "gpt-image-1", req.as_bytes()).unwrap();
    // "a red fox in snow" is 5 o200k_base tokens; 1024x1024 high is 4160 tokens per image.
    assert_eq!(est.usage.input_tokens.get(), 5);
    assert_eq!(est.usage.image_output_tokens.get(), 2 * 4160);
    assert_eq!(est.counter, "o200k_base");
    assert_eq!(basis(&est, "prompt"), Basis::Exact);
    assert_eq!(basis(&est, "output image tokens"), Basis::Formula);
    assert!(est.input_is_exact());
    // The parts add up to the input and the output bound.
    assert_eq!((est.input_tokens(), est.output_bound()), (5, 8320));
    assert_eq!(est.parts.iter().map(|p| p.tokens).sum::<u64>(), 5 + 8320);
    let answer = gpt_image_answer(5, 8320, 2);
    let metered =
        extract_with_request(Api::OpenAiImages, answer.as_bytes(), Some(req.as_bytes())).unwrap();
    assert_eq!(metered.input_tokens, est.usage.input_tokens);
    assert_eq!(metered.image_input_tokens, est.usage.image_input_tokens);
    assert_eq!(metered.output_tokens, est.usage.output_tokens);
    assert_eq!(metered.image_output_tokens, est.usage.image_output_tokens);
    // gpt-image-1: text input $5 / 1M, image output $40 / 1M.
    // 5 × 5 / 1,000,000 = 0.000025; 8320 × 40 / 1,000,000 = 0.3328; total 0.332825.
    assert_eq!(total("gpt-image-1", &est.usage), "0.332825 USD");
    assert_eq!(total("gpt-image-1", &metered), "0.332825 USD");
}

#[test]
fn gpt_image_1_5_landscape_medium() {
    let req = r#"{"model":"gpt-image-1.5","prompt":"a lighthouse","size":"1536x1024","quality":"medium"}"#;
    let est = estimate(Api::OpenAiImages, "gpt-image-1.5", req.as_bytes()).unwrap();
    // "a lighthouse" is 2 o200k_base tokens; 1536x1024 medium is 1568.
    let text = est.usage.input_tokens.get();
    assert_eq!(est.usage.image_output_tokens.get(), 1568);
    assert_eq!(
        basis(&est, "output image tokens"),
        Basis::Default,
        "n left out: 1"
    );
    // Text output, which 1.5 may bill, is itemized as not held.
    assert_eq!(basis(&est, "text output"), Basis::Estimated);
    assert!(!est.input_is_exact());
    let answer = gpt_image_answer(text, 1568, 1);
    let metered =
        extract_with_request(Api::OpenAiImages, answer.as_bytes(), Some(req.as_bytes())).unwrap();
    assert_eq!(
        (metered.input_tokens, metered.image_output_tokens),
        (est.usage.input_tokens, est.usage.image_output_tokens)
    );
    // gpt-image-1.5: text input $5 / 1M, image output $32 / 1M.
    // 2 × 5 / 1M = 0.00001; 1568 × 32 / 1M = 0.050176; total 0.050186.
    assert_eq!(text, 2);
    assert_eq!(total("gpt-image-1.5", &est.usage), "0.050186 USD");
}

#[test]
fn gpt_image_auto_and_left_out_size_and_quality_hold_the_most() {
    // No size, no quality, no n: the API's defaults are `auto`, `auto` and 1. The hold is
    // the dearest cell, 1024x1536 at high: 6240 tokens.
    let req = r#"{"model":"gpt-image-1","prompt":"a red fox in snow"}"#;
    let est = estimate(Api::OpenAiImages, "gpt-image-1", req.as_bytes()).unwrap();
    assert_eq!(est.usage.image_output_tokens.get(), 6240);
    assert_eq!(basis(&est, "output image tokens"), Basis::Bound);
    assert!(
        est.parts[1].note.contains("no `n`: the default"),
        "{}",
        est.parts[1].note
    );
    // `auto` quality at a fixed size: high at that size.
    let req = r#"{"model":"gpt-image-1","prompt":"x","size":"1536x1024","quality":"auto"}"#;
    let est = estimate(Api::OpenAiImages, "gpt-image-1", req.as_bytes()).unwrap();
    assert_eq!(est.usage.image_output_tokens.get(), 6208);
    // `auto` size at low quality: the dearest size at low, 1024x1536 (408).
    let req = r#"{"model":"gpt-image-1","prompt":"x","size":"auto","quality":"low"}"#;
    let est = estimate(Api::OpenAiImages, "gpt-image-1", req.as_bytes()).unwrap();
    assert_eq!(est.usage.image_output_tokens.get(), 408);
    assert_eq!(basis(&est, "output image tokens"), Basis::Bound);
    // Whatever the vendor picks, the answer bills no more than the hold.
    for (size, tokens) in [("1024x1024", 272), ("1536x1024", 400), ("1024x1536", 408)] {
        let answer = gpt_image_answer(1, tokens, 1);
        let m = extract_with_request(Api::OpenAiImages, answer.as_bytes(), Some(req.as_bytes()))
            .unwrap();
        assert!(
            m.image_output_tokens <= est.usage.image_output_tokens,
            "{size}"
        );
    }
}

#[test]
fn dall_e_requests_still_price_per_image() {
    let req = br#"{"model":"dall-e-3","prompt":"a lighthouse"}"#;
    let est = estimate(Api::OpenAiImages, "dall-e-3", req).unwrap();
    assert_eq!(est.usage.images[0].count.get(), 1);
    assert_eq!(est.usage.image_output_tokens.get(), 0);
}

#[test]
fn bad_gpt_image_requests_are_typed_errors_naming_the_field() {
    let cases: [(&[u8], &str); 7] = [
        (br#"{"model":"gpt-image-1","prompt":"x","quality":"ultra"}"#, "quality"),
        (br#"{"model":"gpt-image-1","prompt":"x","size":"512x512"}"#, "size"),
        (br#"{"model":"gpt-image-1","prompt":"x","n":0}"#, "n"),
        (br#"{"model":"gpt-image-1","size":"1024x1024"}"#, "prompt"),
        (br#"{"model":"gpt-image-1","prompt":"x","stream":true,"partial_images":2}"#, "partial_images"),
        (br#"{"model":"gpt-image-2","prompt":"x"}"#, "model"),
        (br#"{"model":"gpt-image-1","prompt":"x","images":[{"image_url":"https://e.com/a.png"}]}"#, "images"),
    ];
    for (req, field) in cases {
        let err = estimate(Api::OpenAiImages, "gpt-image-1", req).unwrap_err();
        assert!(
            matches!(
                err,
                EstimateError::Field { .. } | EstimateError::Media { .. }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains(&format!("`{field}`")), "{err}");
    }
    // A multipart edit: its images are file parts, whose tokens OpenAI gives no formula for.
    let edit = b"--XB\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ngpt-image-1\r\n--XB\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nadd a hat\r\n--XB\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XB--\r\n";
    let err = estimate(Api::OpenAiImages, "gpt-image-1", edit).unwrap_err();
    assert!(matches!(err, EstimateError::Media { .. }), "{err:?}");
    assert!(err.to_string().contains("`image`"), "{err}");
    // Not JSON at all.
    let err = estimate(Api::OpenAiImages, "gpt-image-1", b"model=gpt-image-1").unwrap_err();
    assert!(err.to_string().contains("request"), "{err}");
}

#[test]
fn seedream_single_image_default_and_golden() {
    let req = br#"{"model":"doubao-seedream-4-0-250828","prompt":"a cat","size":"2K"}"#;
    let est = estimate(Api::Seedream, "doubao-seedream-4.0", req).unwrap();
    assert_eq!(est.usage.images[0].count.get(), 1);
    assert_eq!(est.parts[0].basis, Basis::Default);
    let answer = br#"{"model":"doubao-seedream-4-0-250828","created":1757321139,"data":[{"url":"https://e.com/0.jpeg","size":"2048x2048"}],"usage":{"generated_images":1,"output_tokens":16384,"total_tokens":16384}}"#;
    let metered = extract_with_request(Api::Seedream, answer, Some(req)).unwrap();
    assert_eq!(metered.images, est.usage.images);
    // doubao-seedream-4.0: 0.2 CNY per image; 1 × 0.2 = 0.2.
    assert_eq!(total("doubao-seedream-4.0", &est.usage), "0.2 CNY");
}

#[test]
fn seedream_group_output_holds_max_images() {
    let req = br#"{"model":"doubao-seedream-4-0-250828","prompt":"three scenes","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":3}}"#;
    let est = estimate(Api::Seedream, "doubao-seedream-4.0", req).unwrap();
    assert_eq!(est.usage.images[0].count.get(), 3);
    assert_eq!(est.parts[0].basis, Basis::Bound);
    // doubao-seedream-4.0: 3 × 0.2 CNY = 0.6.
    assert_eq!(total("doubao-seedream-4.0", &est.usage), "0.6 CNY");
    // The group answer made three, one failed: two are billed, within the hold.
    let metered =
        extract_with_request(Api::Seedream, &fixture("seedream-group.json"), Some(req)).unwrap();
    assert_eq!(metered.images[0].count.get(), 2);
    assert!(metered.images[0].count <= est.usage.images[0].count);
    // Left out, max_images is 15, less the reference images (15 in all).
    let req = br#"{"prompt":"x","sequential_image_generation":"auto","image":["https://e.com/a.png","https://e.com/b.png"]}"#;
    let est = estimate(Api::Seedream, "doubao-seedream-4.0", req).unwrap();
    assert_eq!(est.usage.images[0].count.get(), 13);
    assert!(
        est.parts[0].note.contains("by default 15"),
        "{}",
        est.parts[0].note
    );
}

#[test]
fn bad_seedream_requests_name_the_field() {
    let cases: [(&[u8], &str); 4] = [
        (br#"{"prompt":"x","sequential_image_generation":"sometimes"}"#, "sequential_image_generation"),
        (br#"{"prompt":"x","sequential_image_generation":"auto","sequential_image_generation_options":{"max_images":16}}"#, "sequential_image_generation_options.max_images"),
        (br#"{"prompt":"x","n":0}"#, "n"),
        (br#"{"prompt":"x","n":"two"}"#, "request"),
    ];
    for (req, field) in cases {
        let err = estimate(Api::Seedream, "doubao-seedream-4.0", req).unwrap_err();
        assert!(matches!(err, EstimateError::Field { .. }), "{err:?}");
        assert!(err.to_string().contains(&format!("`{field}`")), "{err}");
    }
}

#[test]
fn imagen_sample_count_and_its_default() {
    let req = br#"{"instances":[{"prompt":"a lighthouse"}],"parameters":{"sampleCount":2}}"#;
    let est = estimate(Api::Imagen, "imagen-4.0-generate-001", req).unwrap();
    assert_eq!(est.usage.images[0].count.get(), 2);
    assert_eq!(est.parts[0].basis, Basis::Exact);
    let answer = br#"{"predictions":[{"bytesBase64Encoded":"iVBORw0KGgo=","mimeType":"image/png"},{"bytesBase64Encoded":"iVBORw0KGgo=","mimeType":"image/png"}]}"#;
    let metered = extract_with_request(Api::Imagen, answer, Some(req)).unwrap();
    assert_eq!(metered.images, est.usage.images);
    // Imagen 4 Standard: $0.04 per image; 2 × 0.04 = 0.08.
    assert_eq!(total("imagen-4.0-generate-001", &est.usage), "0.08 USD");

    // Left out, sampleCount is 4: Imagen 4 Ultra at $0.06, 4 × 0.06 = 0.24.
    let req = br#"{"instances":[{"prompt":"a lighthouse"}]}"#;
    let est = estimate(Api::Imagen, "imagen-4.0-ultra-generate-001", req).unwrap();
    assert_eq!(est.usage.images[0].count.get(), 4);
    assert_eq!(est.parts[0].basis, Basis::Default);
    assert_eq!(
        total("imagen-4.0-ultra-generate-001", &est.usage),
        "0.24 USD"
    );
    // Safety filtering bills fewer than asked for, never more.
    let metered =
        extract_with_request(Api::Imagen, &fixture("imagen-predict.json"), Some(req)).unwrap();
    assert!(metered.images[0].count <= est.usage.images[0].count);
}

#[test]
fn bad_imagen_requests_name_the_field() {
    for req in [
        &br#"{"instances":[{"prompt":"x"}],"parameters":{"sampleCount":0}}"#[..],
        br#"{"instances":[{"prompt":"x"}],"parameters":{"sampleCount":9}}"#,
    ] {
        let err = estimate(Api::Imagen, "imagen-4.0-generate-001", req).unwrap_err();
        assert!(matches!(err, EstimateError::Field { .. }), "{err:?}");
        assert!(
            err.to_string().contains("`parameters.sampleCount`"),
            "{err}"
        );
    }
}

#[test]
fn z_image_is_one_image_at_the_price_its_answer_carries() {
    let req = fixture("z-image.request.json");
    let est = estimate(Api::QwenImage, "z-image-turbo", &req).unwrap();
    assert_eq!(est.usage.images[0].count.get(), 1);
    assert_eq!(
        est.parts[0].basis,
        Basis::Default,
        "no n: Z-Image makes one"
    );
    assert_eq!(
        est.usage.options.get("prompt_extend").map(String::as_str),
        Some("true")
    );
    let metered =
        extract_with_request(Api::QwenImage, &fixture("z-image.json"), Some(&req)).unwrap();
    assert_eq!(metered.images, est.usage.images);
    assert_eq!(metered.options, est.usage.options);
    // z-image-turbo with prompt_extend (thinking): $0.02868 per image; 1 × 0.02868.
    assert_eq!(total("z-image-turbo", &est.usage), "0.02868 USD");
}

#[test]
fn wanx_defaults_to_four_images() {
    let req = br#"{"model":"wanx2.1-t2i-turbo","input":{"prompt":"a flower shop"},"parameters":{"size":"1024*1024"}}"#;
    let est = estimate(Api::QwenImage, "wanx2.1-t2i-turbo", req).unwrap();
    assert_eq!(est.usage.images[0].count.get(), 4);
    assert_eq!(est.parts[0].basis, Basis::Default);
    // An asynchronous task: its result carries no prompt_extend option.
    assert!(est.usage.options.is_empty());
    // wanx2.1-t2i-turbo: 0.14 CNY per image; 4 × 0.14 = 0.56.
    assert_eq!(total("wanx2.1-t2i-turbo", &est.usage), "0.56 CNY");
    // The task made four and one failed: three are billed, within the hold.
    let metered =
        extract_with_request(Api::QwenImage, &fixture("wanx-task.json"), Some(req)).unwrap();
    assert_eq!(metered.images[0].count.get(), 3);
    assert!(metered.images[0].count <= est.usage.images[0].count);
    // Asked for three, the answer of three bills the same: 3 × 0.14 = 0.42.
    let req = br#"{"model":"wanx2.1-t2i-turbo","input":{"prompt":"x"},"parameters":{"n":3}}"#;
    let est = estimate(Api::QwenImage, "wanx2.1-t2i-turbo", req).unwrap();
    assert_eq!(est.usage.images, metered.images);
    assert_eq!(total("wanx2.1-t2i-turbo", &est.usage), "0.42 CNY");
}

#[test]
fn bad_dashscope_image_requests_name_the_field() {
    let cases: [(&str, &[u8]); 4] = [
        (
            "wanx2.1-t2i-plus",
            br#"{"input":{"prompt":"x"},"parameters":{"n":5}}"#,
        ),
        (
            "z-image-turbo",
            br#"{"input":{"messages":[]},"parameters":{"n":2}}"#,
        ),
        (
            "wanx2.1-t2i-plus",
            br#"{"input":{"prompt":"x"},"parameters":{"n":0}}"#,
        ),
        // A model whose default DashScope does not document: n must be given.
        ("qwen-image", br#"{"input":{"messages":[]}}"#),
    ];
    for (model, req) in cases {
        let err = estimate(Api::QwenImage, model, req).unwrap_err();
        assert!(matches!(err, EstimateError::Field { .. }), "{err:?}");
        assert!(err.to_string().contains("`parameters.n`"), "{err}");
    }
    // Given, it is held as asked.
    let est = estimate(
        Api::QwenImage,
        "qwen-image",
        br#"{"input":{"messages":[]},"parameters":{"n":2}}"#,
    )
    .unwrap();
    assert_eq!(est.usage.images[0].count.get(), 2);
}

#[test]
fn midjourney_holds_one_task_at_its_action_price() {
    let catalog = Catalog::builtin();
    // (model name the relay gives, request, action, relay default USD per task)
    let cases: [(&str, &[u8], &str, &str); 7] = [
        // An upscale button: the action is read from customId, whatever the model name.
        (
            "midjourney",
            br#"{"customId":"MJ::JOB::upsample::2::2b5b-4c1f","taskId":"1712205000000001"}"#,
            "upscale",
            "0.05",
        ),
        (
            "midjourney",
            br#"{"customId":"MJ::JOB::low_variation::1::2b5b-4c1f::SOLO","taskId":"1"}"#,
            "low_variation",
            "0.1",
        ),
        (
            "midjourney",
            br#"{"customId":"MJ::Outpaint::50::1::2b5b-4c1f::SOLO","taskId":"1"}"#,
            "zoom",
            "0.1",
        ),
        (
            "midjourney",
            br#"{"content":"1712205000000001 V3"}"#,
            "variation",
            "0.1",
        ),
        (
            "midjourney",
            br#"{"action":"REROLL","index":1,"taskId":"1"}"#,
            "reroll",
            "0.1",
        ),
        // imagine and shorten both send a prompt: the relay's model name says which.
        (
            "mj_imagine",
            br#"{"prompt":"a fox --ar 16:9","base64Array":[]}"#,
            "imagine",
            "0.1",
        ),
        (
            "midjourney",
            br#"{"base64":"data:image/png;base64,iVBORw0KGgo="}"#,
            "describe",
            "0.05",
        ),
    ];
    for (model, req, action, usd) in cases {
        let est = estimate(Api::Midjourney, model, req).unwrap();
        assert_eq!(est.usage.requests.get(), 1);
        assert_eq!(
            est.usage.options.get("action").map(String::as_str),
            Some(action)
        );
        assert_eq!(est.parts[0].basis, Basis::Exact);
        // Relay defaults (pricing/relay.toml): per task, 1 × the action's price.
        let mut u = est.usage.clone();
        u.at = Some("2026-06-10T00:00:00Z".parse().unwrap());
        let bill = catalog.quote("midjourney", &u).unwrap();
        assert_eq!(bill.total().to_string(), usd, "{action}");
    }
    // Golden: the upscale request's finished task meters the same usage.
    let req = br#"{"customId":"MJ::JOB::upsample::2::2b5b-4c1f","taskId":"1712205000000001"}"#;
    let est = estimate(Api::Midjourney, "mj_upscale", req).unwrap();
    let metered =
        extract_with_request(Api::Midjourney, &fixture("mj-upscale.json"), Some(req)).unwrap();
    assert_eq!(metered.requests, est.usage.requests);
    assert_eq!(metered.options, est.usage.options);
    // mj_upscale: 1 × $0.05.
    assert_eq!(total("midjourney", &est.usage), "0.05 USD");
}

#[test]
fn midjourney_requests_that_do_not_say_their_action_are_typed_errors() {
    let cases: [(&str, &[u8], &str); 3] = [
        // A prompt alone under a model name that is not mj_<action>.
        ("midjourney", br#"{"prompt":"a fox"}"#, "prompt"),
        (
            "midjourney",
            br#"{"customId":"MJ::BOOKMARK::2b5b-4c1f","taskId":"1"}"#,
            "customId",
        ),
        (
            "midjourney",
            br#"{"content":"1712205000000001 X9"}"#,
            "content",
        ),
    ];
    for (model, req, field) in cases {
        let err = estimate(Api::Midjourney, model, req).unwrap_err();
        assert!(matches!(err, EstimateError::Field { .. }), "{err:?}");
        assert!(err.to_string().contains(&format!("`{field}`")), "{err}");
    }
}

proptest! {
    /// More images asked for never estimates less, and the hold grows with `n` exactly.
    #[test]
    fn more_images_never_estimate_less(
        n in 1u64..10,
        size in prop::sample::select(vec!["1024x1024", "1024x1536", "1536x1024", "auto"]),
        quality in prop::sample::select(vec!["low", "medium", "high", "auto"]),
    ) {
        let req = |n: u64| format!(r#"{{"model":"gpt-image-1","prompt":"a fox","size":"{size}","quality":"{quality}","n":{n}}}"#);
        let one = estimate(Api::OpenAiImages, "gpt-image-1", req(1).as_bytes()).unwrap();
        let many = estimate(Api::OpenAiImages, "gpt-image-1", req(n).as_bytes()).unwrap();
        prop_assert_eq!(many.usage.image_output_tokens.get(), n * one.usage.image_output_tokens.get());
        prop_assert_eq!(many.usage.input_tokens, one.usage.input_tokens);
        // `auto` holds at least any concrete choice.
        let auto = estimate(Api::OpenAiImages, "gpt-image-1", format!(r#"{{"model":"gpt-image-1","prompt":"a fox","n":{n}}}"#).as_bytes()).unwrap();
        prop_assert!(auto.usage.image_output_tokens >= many.usage.image_output_tokens);

        let seed = |m: u64| format!(r#"{{"prompt":"x","sequential_image_generation":"auto","sequential_image_generation_options":{{"max_images":{m}}}}}"#);
        let a = estimate(Api::Seedream, "doubao-seedream-4.0", seed(n).as_bytes()).unwrap();
        let b = estimate(Api::Seedream, "doubao-seedream-4.0", seed(n + 1).as_bytes()).unwrap();
        prop_assert!(b.usage.images[0].count > a.usage.images[0].count);
    }
}
