//! Writes the golden vectors (`tests/golden/*.toml` of the library) as JSON, each with
//! the bill the native library computes, so the WebAssembly tests under Node can check
//! that the module prices every case identically, line for line; and likewise the usage
//! the native extractors read from each response fixture (`tests/fixtures/responses`).
//!
//! `cargo run --manifest-path wasm/Cargo.toml --example golden_json > golden.json`

use std::path::Path;

use serde::Deserialize;
use tariff::{Catalog, Usage};

#[derive(Deserialize)]
struct File {
    #[serde(rename = "case")]
    cases: Vec<toml::Table>,
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/golden is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let catalog = Catalog::builtin();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("golden file is readable");
        let file: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for case in file.cases {
            let s = |k: &str| case.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let model = s("model").expect("case has a model");
            let usage = s("usage").expect("case has a usage");
            let native = Usage::from_json(&usage)
                .map_err(|e| e.to_string())
                .and_then(|u| catalog.quote(&model, &u).map_err(|e| e.to_string()));
            out.push(serde_json::json!({
                "file": f.file_name().unwrap().to_string_lossy(),
                "name": s("name"),
                "model": model,
                "usage": usage,
                "currency": s("currency"),
                "total": s("total"),
                "native": native.as_ref().ok(),
                "native_error": native.as_ref().err(),
            }));
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/responses");
    let mut responses = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/responses is readable")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        // Requests are read with their response, below; audio is not a body.
        if name.ends_with("-request.json") || !(name.ends_with(".json") || name.ends_with(".sse")) {
            continue;
        }
        // Fixtures are named for their family (`openai-chat-stream.sse`, `anthropic.json`):
        // the longest family name that begins the file name.
        let Some(api) = tariff::extract::Api::ALL
            .into_iter()
            .filter(|a| name.starts_with(a.name()))
            .max_by_key(|a| a.name().len())
        else {
            continue;
        };
        // `X.json` or `X-stream.sse` goes with `X-request.json` when there is one.
        let stem = name
            .trim_end_matches(".json")
            .trim_end_matches(".sse")
            .trim_end_matches("-stream");
        let request_name = format!("{stem}-request.json");
        let request = std::fs::read_to_string(dir.join(&request_name)).ok();
        let body = std::fs::read_to_string(&f).expect("fixture is readable");
        let usage = tariff::extract::extract_with_request(
            api,
            body.as_bytes(),
            request.as_deref().map(str::as_bytes),
        );
        responses.push(serde_json::json!({
            "file": name,
            "api": api.name(),
            "request": request.is_some().then_some(request_name),
            "usage": usage.as_ref().ok().map(|u| serde_json::from_str::<serde_json::Value>(&u.to_json()).unwrap()),
            "error": usage.as_ref().err().map(|e| e.to_string()),
        }));
    }
    let all = serde_json::json!({ "cases": out, "responses": responses });
    println!("{}", serde_json::to_string_pretty(&all).expect("JSON"));
}
