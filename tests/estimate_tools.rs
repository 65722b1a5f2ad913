//! Tool definitions in OpenAI requests, counted with OpenAI's published formula (the
//! cookbook's `num_tokens_for_tools`), against the API's own counts.

use serde_json::{json, Value};
use tariff::estimate::{estimate, Basis, Estimate};
use tariff::extract::Api;

/// The cookbook's function-calling example ("How to count tokens with tiktoken", section
/// 7): two messages and `get_current_weather`.
fn weather(model: &str) -> Value {
    json!({
        "model": model,
        "max_tokens": 1,
        "messages": [
            {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
            {"role": "user", "content": "What's the weather like in San Francisco?"}
        ],
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

fn chat(model: &str, req: &Value) -> Estimate {
    estimate(Api::OpenAiChat, model, req.to_string().as_bytes()).unwrap()
}

fn tools_part(est: &Estimate) -> (u64, Basis) {
    let p = est
        .parts
        .iter()
        .find(|p| p.what == "tool definitions")
        .expect("a tool part");
    (p.tokens, p.basis)
}

/// Regression: the definitions were counted as their JSON, 122 and 120 prompt tokens where
/// the API counts 101 (gpt-4o, gpt-4o-mini) and 105 (gpt-3.5-turbo, gpt-4), the counts the
/// cookbook prints from the API.
///
/// The tools, by the formula (token counts are the same in o200k_base and cl100k_base):
/// func_init (7 for gpt-4o, 10 for gpt-4), plus 11 for "get_current_weather:Get the
/// current weather in a given location", plus prop_init 3; for `location` prop_key 3 plus
/// 14 for "location:string:The city and state, e.g. San Francisco, CA"; for `unit`
/// prop_key 3, enum_init −3, 3 + 2 for "celsius", 3 + 2 for "fahrenheit", and 8 for
/// "unit:string:The unit of temperature to return"; func_end 12. That is 68 (gpt-4o) or 71
/// (gpt-4). The messages add 9 of framing and priming and 24 (o200k) or 25 (cl100k) of
/// text.
#[test]
fn the_cookbook_example_counts_what_the_api_counts() {
    for (model, total, tools) in [
        ("gpt-4o", 101, 68),
        ("gpt-4o-mini", 101, 68),
        ("gpt-4o-2024-08-06", 101, 68),
        ("gpt-4", 105, 71),
        ("gpt-3.5-turbo", 105, 71),
    ] {
        let est = chat(model, &weather(model));
        assert_eq!(est.input_tokens(), total, "{model}: {:?}", est.parts);
        assert_eq!(tools_part(&est), (tools, Basis::Formula), "{model}");
        assert!(est.input_is_exact(), "{model}");
    }
}

/// Legacy `functions` (bare definitions) are counted alike.
#[test]
fn legacy_functions_count_as_tools() {
    let mut req = weather("gpt-4o");
    let f = req["tools"][0]["function"].clone();
    req.as_object_mut().unwrap().remove("tools");
    req["functions"] = json!([f]);
    assert_eq!(chat("gpt-4o", &req).input_tokens(), 101);
}

/// One trailing period is dropped from descriptions, as OpenAI renders them.
#[test]
fn one_trailing_period_is_dropped() {
    let mut req = weather("gpt-4o");
    let f = &mut req["tools"][0]["function"];
    f["description"] = json!("Get the current weather in a given location.");
    f["parameters"]["properties"]["unit"]["description"] =
        json!("The unit of temperature to return.");
    assert_eq!(tools_part(&chat("gpt-4o", &req)).0, 68);
}

/// What the formula does not describe (nested objects, array items, other keywords) is
/// added as its JSON and flagged estimated: never fewer tokens than the flat schema.
#[test]
fn schemas_the_formula_does_not_describe_are_estimated_and_not_lower() {
    let flat = tools_part(&chat("gpt-4o", &weather("gpt-4o"))).0;
    let mut req = weather("gpt-4o");
    req["tools"][0]["function"]["parameters"]["properties"]["days"] = json!({
        "type": "array", "description": "Days to forecast",
        "items": {"type": "object", "properties": {"date": {"type": "string", "format": "date"}}}
    });
    let (tokens, basis) = tools_part(&chat("gpt-4o", &req));
    assert_eq!(basis, Basis::Estimated);
    assert!(tokens > flat, "{tokens} vs {flat}");
    // A model without a row of its own uses its encoding's row, flagged.
    let est = chat("gpt-4.1", &weather("gpt-4.1"));
    assert_eq!(tools_part(&est), (68, Basis::Estimated));
}

/// Responses function tools use the same formula; it was measured on chat, so the part is
/// flagged estimated. Built-in tools count as their JSON.
#[test]
fn responses_tools_use_the_formula_flagged() {
    let f = weather("gpt-4o")["tools"][0]["function"].clone();
    let mut tool = f.as_object().unwrap().clone();
    tool.insert("type".into(), json!("function"));
    let req = json!({"model": "gpt-4o", "max_output_tokens": 1, "input": "hi", "tools": [tool]});
    let est = estimate(Api::OpenAiResponses, "gpt-4o", req.to_string().as_bytes()).unwrap();
    assert_eq!(tools_part(&est), (68, Basis::Estimated));
    let req = json!({"model": "gpt-4o", "max_output_tokens": 1, "input": "hi",
        "tools": [tool, {"type": "web_search_preview"}]});
    let est = estimate(Api::OpenAiResponses, "gpt-4o", req.to_string().as_bytes()).unwrap();
    assert!(tools_part(&est).0 > 68);
}
