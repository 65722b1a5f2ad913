//! Per-model formula families (`Model::formula`): the vendor defaults a model's requests and
//! answers are metered under (a video's default length and size, DALL·E's default size and
//! quality, a Wan image request's default count, a search model's search) are facts joined
//! onto the catalog's models from `estimate/models.toml`, or set on a relay's own
//! `[[model]]` with `formula = "..."`. A relay model with the fact meters and estimates like
//! the built-in model of that family; without it, it gets no vendor's defaults: a typed
//! error, or a usage whose price needs the relay's own rate, never a guessed default.
//!
//! Regression: the families were chosen by name prefixes in code (`sora`, `veo`, `dall-e`,
//! `wanx`, `-search-preview`, …), so a relay's own id never got them.

use serde_json::{json, Value};
use tariff::estimate::{estimate, estimate_in, estimate_model, Basis, EstimateError};
use tariff::extract::{extract_with_request, extract_with_request_in, Api};
use tariff::{Catalog, CatalogBuilder};

const SOURCE: &str = "source = \"https://house.example/pricing\"\nas_of = 2025-11-01";

/// A relay table: one model per line of `models` (id, kind, extra lines, rates).
fn relay(models: &[(&str, &str, &str, &str)]) -> Catalog {
    let mut t = String::from("provider = \"house\"\ncurrency = \"USD\"\n");
    for (id, kind, extra, rates) in models {
        t.push_str(&format!(
            "\n[[model]]\nid = \"{id}\"\nkind = \"{kind}\"\n{extra}\n[[model.price]]\n{SOURCE}\nrates = {rates}\n"
        ));
    }
    CatalogBuilder::new()
        .text("relay.toml", &t)
        .build()
        .unwrap()
}

fn at(mut u: tariff::Usage) -> tariff::Usage {
    u.at = Some("2025-11-01T00:00:00Z".parse().unwrap());
    u
}

#[test]
fn builtin_models_carry_their_formula() {
    let c = Catalog::builtin();
    for (id, formula) in [
        ("sora-2", Some("sora")),
        ("sora-2-pro", Some("sora")),
        ("veo-3.0-generate-001", Some("veo")),
        ("gen4_turbo", Some("runway")),
        ("wan2.7-t2v", Some("wan")),
        ("wanx2.1-t2i-turbo", Some("wan")),
        ("z-image-turbo", Some("z-image")),
        ("dall-e-2", Some("dall-e-2")),
        ("dall-e-3", Some("dall-e-3")),
        ("gpt-4o-search-preview", Some("web-search")),
        ("gpt-5-search-api", Some("web-search")),
        ("gpt-image-1", None),
        ("gpt-4o", None),
    ] {
        assert_eq!(c.resolve(id).unwrap().formula(), formula, "{id}");
    }
}

#[test]
fn an_unknown_formula_is_a_problem_on_its_line() {
    let t = format!(
        "provider = \"house\"\ncurrency = \"USD\"\n[[model]]\nid = \"house-video\"\nformula = \"sora-3\"\n[[model.price]]\n{SOURCE}\nrates = {{ input_tokens = 1.0 }}\n"
    );
    let e = CatalogBuilder::new()
        .text("relay.toml", &t)
        .build()
        .unwrap_err();
    assert_eq!(e.problems.len(), 1, "{e}");
    assert!(
        e.problems[0].message.contains("unknown formula `sora-3`"),
        "{e}"
    );
    assert!(
        e.problems[0].message.contains("dall-e-3"),
        "lists the known: {e}"
    );
    if cfg!(not(feature = "embed-json")) {
        assert_eq!(e.problems[0].line, Some(5));
    }
}

/// Sora's defaults, 4 s at 720x1280: sora-2 at 720x1280 is $0.10 / s, so 4 × 0.10 = $0.40;
/// the relay's `house-video` at the same rate bills the same.
#[test]
fn a_relay_video_model_with_the_sora_formula_meters_like_sora() {
    let rate = "{ video_seconds = [{ resolution = \"720x1280\", price = 0.10 }] }";
    let c = relay(&[
        ("house-video", "video", "formula = \"sora\"", rate),
        ("house-bare-video", "video", "", rate),
    ]);
    let job = |m: &str| format!(r#"{{"object":"video","model":"{m}","status":"completed"}}"#);
    let req = |m: &str| format!(r#"{{"model":"{m}","prompt":"otters"}}"#);

    let builtin = extract_with_request(
        Api::OpenAiVideo,
        job("sora-2").as_bytes(),
        Some(req("sora-2").as_bytes()),
    )
    .unwrap();
    let house = extract_with_request_in(
        &c,
        Api::OpenAiVideo,
        job("house-video").as_bytes(),
        Some(req("house-video").as_bytes()),
    )
    .unwrap();
    assert_eq!(house, builtin);
    assert_eq!(house.video_seconds.get().to_string(), "4");
    assert_eq!(house.resolution.as_deref(), Some("720x1280"));
    let total = |c: &Catalog, m: &str, u: &tariff::Usage| {
        c.quote(m, &at(u.clone())).unwrap().total().to_string()
    };
    assert_eq!(total(&c, "house-video", &house), "0.4");
    assert_eq!(total(Catalog::builtin(), "sora-2", &builtin), "0.4");

    // The estimate, before the job runs: the same parts and usage.
    let mine = estimate_in(
        &c,
        Api::OpenAiVideo,
        "house-video",
        req("house-video").as_bytes(),
    )
    .unwrap();
    let theirs = estimate(Api::OpenAiVideo, "sora-2", req("sora-2").as_bytes()).unwrap();
    assert_eq!((&mine.usage, &mine.parts), (&theirs.usage, &theirs.parts));

    // Without the fact: no vendor's default length. The estimate names the field; the job
    // without `seconds` cannot be metered.
    let err = estimate_in(
        &c,
        Api::OpenAiVideo,
        "house-bare-video",
        req("house-bare-video").as_bytes(),
    )
    .unwrap_err();
    match err {
        EstimateError::Field { path, problem, .. } => {
            assert_eq!(path, "seconds");
            assert!(
                problem.contains("no documented default length"),
                "{problem}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(extract_with_request_in(
        &c,
        Api::OpenAiVideo,
        job("house-bare-video").as_bytes(),
        Some(req("house-bare-video").as_bytes()),
    )
    .is_err());
    // A relay id the data files match is joined like a built-in id (as its encoding and
    // output limit are): `sora*`.
    let named = relay(&[("sora-house", "video", "", rate)]);
    assert_eq!(named.resolve("sora-house").unwrap().formula(), Some("sora"));
    let est = estimate_in(
        &named,
        Api::OpenAiVideo,
        "sora-house",
        req("sora-house").as_bytes(),
    )
    .unwrap();
    assert_eq!(est.usage, theirs.usage);
}

/// DALL·E 3's defaults, 1024x1024 standard: $0.040 an image.
#[test]
fn a_relay_image_model_with_a_dalle_formula_takes_its_defaults() {
    let rate = "{ images = [{ size = \"1024x1024\", quality = \"standard\", price = 0.04 }] }";
    let c = relay(&[
        ("house-painter", "image", "formula = \"dall-e-3\"", rate),
        ("house-bare-image", "image", "", rate),
    ]);
    let response = br#"{"created":1700000000,"data":[{"url":"https://example.com/1.png"}]}"#;
    let req = |m: &str| format!(r#"{{"model":"{m}","prompt":"a lighthouse","quality":"auto"}}"#);

    let builtin = extract_with_request(
        Api::OpenAiImages,
        response,
        Some(req("dall-e-3").as_bytes()),
    )
    .unwrap();
    let house = extract_with_request_in(
        &c,
        Api::OpenAiImages,
        response,
        Some(req("house-painter").as_bytes()),
    )
    .unwrap();
    assert_eq!(house, builtin);
    let img = &house.images[0];
    assert_eq!(
        (img.size.as_deref(), img.quality.as_deref()),
        (Some("1024x1024"), Some("standard"))
    );
    assert_eq!(
        c.quote("house-painter", &at(house))
            .unwrap()
            .total()
            .to_string(),
        "0.04"
    );
    let mine = estimate_in(
        &c,
        Api::OpenAiImages,
        "house-painter",
        req("house-painter").as_bytes(),
    )
    .unwrap();
    let theirs = estimate(Api::OpenAiImages, "dall-e-3", req("dall-e-3").as_bytes()).unwrap();
    assert_eq!(mine.usage, theirs.usage);
    assert_eq!(
        mine.parts
            .iter()
            .map(|p| (p.tokens, p.basis))
            .collect::<Vec<_>>(),
        theirs
            .parts
            .iter()
            .map(|p| (p.tokens, p.basis))
            .collect::<Vec<_>>()
    );

    // Without the fact: no size or quality is assumed, so the relay's sized rate does not
    // apply (an error, not a price); the estimate, which takes it for a GPT Image model,
    // finds no output token table for it.
    let bare = extract_with_request_in(
        &c,
        Api::OpenAiImages,
        response,
        Some(req("house-bare-image").as_bytes()),
    )
    .unwrap();
    assert_eq!(bare.images[0].size, None);
    assert_eq!(bare.images[0].quality.as_deref(), Some("auto"));
    assert!(c.quote("house-bare-image", &at(bare)).is_err());
    match estimate_in(
        &c,
        Api::OpenAiImages,
        "house-bare-image",
        req("house-bare-image").as_bytes(),
    )
    .unwrap_err()
    {
        EstimateError::Field { path, .. } => assert_eq!(path, "model"),
        other => panic!("{other:?}"),
    }
}

/// Wan text-to-image makes 4 images when `parameters.n` is left out; Z-Image always 1.
#[test]
fn a_relay_wan_image_model_defaults_to_four_images() {
    let rate = "{ images = [{ price = 0.14 }] }";
    let c = relay(&[
        ("house-wan", "image", "formula = \"wan\"", rate),
        ("house-z", "image", "formula = \"z-image\"", rate),
        ("house-bare-image", "image", "", rate),
    ]);
    let req = |m: &str| {
        format!(r#"{{"model":"{m}","input":{{"prompt":"a flower shop"}},"parameters":{{}}}}"#)
    };
    let n =
        |e: &tariff::estimate::Estimate| e.usage.images.iter().map(|i| i.count.get()).sum::<u64>();
    let builtin = estimate(
        Api::QwenImage,
        "wanx2.1-t2i-turbo",
        req("wanx2.1-t2i-turbo").as_bytes(),
    )
    .unwrap();
    let house = estimate_in(&c, Api::QwenImage, "house-wan", req("house-wan").as_bytes()).unwrap();
    assert_eq!((n(&builtin), n(&house)), (4, 4));
    assert_eq!(house.parts[0].basis, Basis::Default);
    assert_eq!(house.usage, builtin.usage);
    let z = estimate_in(&c, Api::QwenImage, "house-z", req("house-z").as_bytes()).unwrap();
    assert_eq!(n(&z), 1);
    // More than Wan allows is refused, as for the built-in model.
    let five = r#"{"model":"house-wan","input":{"prompt":"x"},"parameters":{"n":5}}"#;
    assert!(estimate_in(&c, Api::QwenImage, "house-wan", five.as_bytes()).is_err());
    // Without the fact there is no default count: the request must say.
    match estimate_in(
        &c,
        Api::QwenImage,
        "house-bare-image",
        req("house-bare-image").as_bytes(),
    )
    .unwrap_err()
    {
        EstimateError::Field { path, problem, .. } => {
            assert_eq!(path, "parameters.n");
            assert!(problem.contains("no default"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
}

/// A search model searches on every request: one web search call, at the relay's rate.
#[test]
fn a_relay_search_model_is_billed_its_search() {
    let rate = "{ input_tokens = 2.5, output_tokens = 10.0, web_search_calls = 25 }";
    let c = relay(&[
        ("house-search", "chat", "formula = \"web-search\"", rate),
        ("house-chat", "chat", "", rate),
    ]);
    let body = |m: &str| {
        format!(
            r#"{{"object":"chat.completion","model":"{m}","usage":{{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}}}"#
        )
    };
    let req = |m: &str| format!(r#"{{"model":"{m}","messages":[]}}"#);
    let calls = |c: Option<&Catalog>, m: &str| {
        let (b, r) = (body(m), req(m));
        let u = match c {
            Some(c) => {
                extract_with_request_in(c, Api::OpenAiChat, b.as_bytes(), Some(r.as_bytes()))
            }
            None => extract_with_request(Api::OpenAiChat, b.as_bytes(), Some(r.as_bytes())),
        };
        u.unwrap().web_search_calls.get()
    };
    assert_eq!(calls(None, "gpt-4o-search-preview"), 1);
    assert_eq!(calls(None, "gpt-5-search-api-2025-10-14"), 1);
    assert_eq!(calls(Some(&c), "house-search"), 1);
    // One call, not two, when the body's model and the request's agree.
    assert_eq!(calls(Some(&c), "gpt-4o-mini-search-preview"), 1);
    assert_eq!(calls(Some(&c), "house-chat"), 0);
    assert_eq!(calls(None, "gpt-4o"), 0);
    // 10 × 2.5 / 1M + 5 × 10 / 1M + 1 × 25 / 1k = 0.000025 + 0.00005 + 0.025 = 0.025075.
    let (b, r) = (body("house-search"), req("house-search"));
    let u = extract_with_request_in(&c, Api::OpenAiChat, b.as_bytes(), Some(r.as_bytes())).unwrap();
    assert_eq!(
        c.quote("house-search", &at(u)).unwrap().total().to_string(),
        "0.025075"
    );
}

fn weather(model: &str) -> Value {
    json!({
        "model": model,
        "max_tokens": 1,
        "messages": [{"role": "user", "content": "What's the weather like in San Francisco?"}],
        "tools": [{"type": "function", "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {"type": "object", "properties": {
                "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}
            }, "required": ["location"]}
        }}]
    })
}

fn tools(e: &tariff::estimate::Estimate) -> (u64, Basis) {
    let p = e
        .parts
        .iter()
        .find(|p| p.what == "tool definitions")
        .unwrap();
    (p.tokens, p.basis)
}

/// A model without its own tools row counts with the row of its encoding
/// (`encoding = "cl100k_base"` on gpt-4's row: func_init 10), else the default row (gpt-4o's,
/// func_init 7), flagged estimated: the cookbook's example is 68 tokens with gpt-4o's
/// constants and 71 with gpt-4's (see tests/estimate_tools.rs for the sum).
#[test]
fn a_model_without_a_tools_row_takes_its_encodings_row() {
    let rate = "{ input_tokens = 1.0, output_tokens = 2.0 }";
    let c = relay(&[
        ("house-35", "chat", "encoding = \"cl100k_base\"", rate),
        ("house-4o", "chat", "encoding = \"o200k_base\"", rate),
    ]);
    let est = |m: &str| {
        estimate_model(
            Api::OpenAiChat,
            c.resolve(m).unwrap(),
            weather(m).to_string().as_bytes(),
        )
        .unwrap()
    };
    assert_eq!(tools(&est("house-35")), (71, Basis::Estimated));
    assert_eq!(tools(&est("house-4o")), (68, Basis::Estimated));
    // The built-in models with rows: the same counts, exact.
    let builtin =
        |m: &str| estimate(Api::OpenAiChat, m, weather(m).to_string().as_bytes()).unwrap();
    assert_eq!(tools(&builtin("gpt-4")), (71, Basis::Formula));
    assert_eq!(tools(&builtin("gpt-4o")), (68, Basis::Formula));
    // A model with no encoding (its text estimated) takes the default row: gpt-4o's.
    let c = relay(&[("house-bare", "chat", "", rate)]);
    let bare = estimate_model(
        Api::OpenAiChat,
        c.resolve("house-bare").unwrap(),
        weather("house-bare").to_string().as_bytes(),
    )
    .unwrap();
    let (_, basis) = tools(&bare);
    assert_eq!(basis, Basis::Estimated);
    assert!(
        bare.parts
            .iter()
            .any(|p| p.note.contains("function counting: 7 +")),
        "{:?}",
        bare.parts
    );
}
