//! `tariff quote --prices` meters an answer under the formula family a relay's own
//! `[[model]]` sets (`formula = "dall-e-3"`): the same defaults as the built-in model of
//! that family. Regression: the family was read off the model's name in code, so a relay id
//! got no DALL·E defaults and its image had no size to be priced by.

mod common;
use common::tariff;

const RELAY_TABLE: &str = r#"
provider = "house"
currency = "USD"

[[model]]
id = "house-painter"
kind = "image"
formula = "dall-e-3"
[[model.price]]
source = "https://house.example/pricing"
as_of = 2025-11-01
rates = { images = [{ size = "1024x1024", quality = "standard", price = 0.04 }] }

[[model]]
id = "house-bare-image"
kind = "image"
[[model.price]]
source = "https://house.example/pricing"
as_of = 2025-11-01
rates = { images = [{ size = "1024x1024", quality = "standard", price = 0.04 }] }
"#;

const RESPONSE: &str = r#"{"created":1700000000,"data":[{"url":"https://example.com/1.png"}]}"#;

#[test]
fn a_relay_image_model_is_quoted_under_its_formula() {
    let dir = std::env::temp_dir().join(format!("tariff-cli-formula-{}", std::process::id()));
    let prices = dir.join("prices");
    std::fs::create_dir_all(&prices).unwrap();
    std::fs::write(prices.join("relay.toml"), RELAY_TABLE).unwrap();
    let response = dir.join("response.json");
    std::fs::write(&response, RESPONSE).unwrap();
    let quote = |model: &str| {
        let request = dir.join(format!("{model}.request.json"));
        std::fs::write(
            &request,
            format!(r#"{{"model":"{model}","prompt":"a lighthouse"}}"#),
        )
        .unwrap();
        tariff(&[
            "quote",
            "--prices",
            prices.to_str().unwrap(),
            "--api",
            "openai-images",
            "--model",
            model,
            "--request",
            request.to_str().unwrap(),
            "--at",
            "2025-11-01",
            "--json",
            response.to_str().unwrap(),
        ])
    };
    let house = quote("house-painter");
    let bare = quote("house-bare-image");
    std::fs::remove_dir_all(&dir).unwrap();

    // DALL·E 3's defaults, 1024x1024 standard: one image at $0.04.
    assert!(
        house.status.success(),
        "{}",
        String::from_utf8_lossy(&house.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&house.stdout).unwrap();
    assert_eq!(v["total"], "0.04", "{v}");
    // Without the fact no size is assumed: no rate applies, and nothing is priced.
    assert!(!bare.status.success());
    assert!(
        bare.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&bare.stdout)
    );
}
