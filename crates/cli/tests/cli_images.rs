//! `tariff quote` and `tariff meter` on image families: responses with their requests become
//! exact bills; a missing request, another family's body and an unfinished task are refused
//! with nothing on stdout.

mod common;
use common::tariff;

const DIR: &str = "tests/fixtures/responses/images";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn f(name: &str) -> String {
    format!("{DIR}/{name}")
}

fn quote_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["quote", "--json", "--at", "2026-06-10"];
    all.extend_from_slice(args);
    let out = tariff(&all);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refused(args: &[&str], why: &str) {
    let out = tariff(args);
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(
        out.stdout.is_empty(),
        "no price on stdout: {}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    assert!(
        err.contains(why),
        "{args:?}: stderr should mention `{why}`: {err}"
    );
}

#[test]
fn quote_prices_a_dall_e_response_with_its_request() {
    let request = f("dall-e-3.request.json");
    let body = f("dall-e-3.json");
    let bill = quote_json(&[
        "--api",
        "openai-images",
        "--model",
        "dall-e-3",
        "--request",
        &request,
        &body,
    ]);
    assert_eq!(bill["total"], "0.12");
    assert_eq!(bill["currency"], "USD");
    assert_eq!(
        bill["lines"][0]["item"],
        "images (size 1792x1024, quality hd)"
    );
    assert_eq!(bill["lines"][0]["quantity"], "1");
}

#[test]
fn quote_prices_a_multipart_variations_request() {
    let request = f("dall-e-2-variations.request.multipart");
    let body = f("dall-e-2-variations.json");
    let bill = quote_json(&[
        "--api",
        "openai-images",
        "--model",
        "dall-e-2",
        "--request",
        &request,
        &body,
    ]);
    assert_eq!(bill["total"], "0.054");
}

#[test]
fn quote_prices_each_image_family() {
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["--api", "openai-images", "--model", "gpt-image-1"],
            "gpt-image-1.json",
            "0.16685",
        ),
        (
            &["--api", "seedream", "--model", "doubao-seedream-4.0"],
            "seedream-group.json",
            "0.4",
        ),
        (
            &[
                "--api",
                "imagen",
                "--model",
                "imagen-4.0-ultra-generate-001",
            ],
            "imagen-predict.json",
            "0.18",
        ),
        (
            &["--api", "qwen-image", "--model", "wanx-v1"],
            "wanx-task.json",
            "0.48",
        ),
        (
            &["--api", "midjourney", "--model", "mj_upscale"],
            "mj-upscale.json",
            "0.05",
        ),
        (
            &["--api", "gemini", "--model", "nano-banana"],
            "nano-banana.json",
            "0.038731",
        ),
    ];
    for (args, body, want) in cases {
        let body = f(body);
        let mut all = args.to_vec();
        all.push(&body);
        assert_eq!(quote_json(&all)["total"], want, "{args:?}");
    }
}

#[test]
fn quote_reads_z_image_prompt_extend_from_the_request() {
    let request = f("z-image.request.json");
    let body = f("z-image.json");
    let bill = quote_json(&[
        "--api",
        "qwen-image",
        "--model",
        "z-image-turbo",
        "--request",
        &request,
        &body,
    ]);
    assert_eq!(bill["total"], "0.02868");
    assert_eq!(bill["option"], "prompt_extend (thinking)");
}

#[test]
fn a_failed_midjourney_task_is_a_zero_bill() {
    let body = f("mj-failed.json");
    let bill = quote_json(&["--api", "midjourney", "--model", "midjourney", &body]);
    assert_eq!(bill["total"], "0");
    assert_eq!(bill["lines"].as_array().unwrap().len(), 0);
}

#[test]
fn meter_prints_the_canonical_record() {
    let request = f("dall-e-2-variations.request.multipart");
    let body = f("dall-e-2-variations.json");
    let out = tariff(&[
        "meter",
        "--api",
        "openai-images",
        "--request",
        &request,
        &body,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"images":[{"count":3,"size":"512x512"}]})
    );

    let out = tariff(&["meter", "--api", "midjourney", &f("mj-imagine.json")]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"requests":1,"options":{"action":"imagine"}})
    );
}

#[test]
fn refusals_print_no_price() {
    let dalle = f("dall-e-3.json");
    refused(
        &[
            "quote",
            "--api",
            "openai-images",
            "--model",
            "dall-e-3",
            &dalle,
        ],
        "pass the request",
    );
    let seedream = f("seedream-group.json");
    refused(
        &[
            "quote",
            "--api",
            "openai-images",
            "--model",
            "doubao-seedream-4.0",
            &seedream,
        ],
        "use --api seedream",
    );
    let running = f("mj-in-progress.json");
    refused(
        &[
            "quote",
            "--api",
            "midjourney",
            "--model",
            "midjourney",
            &running,
        ],
        "IN_PROGRESS",
    );
    refused(
        &[
            "quote",
            "--model",
            "midjourney",
            "--usage",
            r#"{"requests":1,"options":{"action":"paint"}}"#,
        ],
        "only under the options",
    );
    refused(
        &["meter", "--api", "qwen-image", &f("wanx-task-running.json")],
        "RUNNING",
    );
    refused(&["meter", "--api", "images", &dalle], "openai-images");
}
