//! tariff for JavaScript: the pricing engine, the built-in price tables and the exact
//! tokenizers, compiled to WebAssembly behind one class, [`Calculator`].
//!
//! Values cross the boundary as plain JavaScript objects (through `JSON`), money as
//! decimal strings, so nothing is ever rounded through a float; errors are thrown as
//! JavaScript `Error`s carrying the library's own messages.
//!
//! ```js
//! import init, { Calculator } from "./pkg/tariff_wasm.js";
//! await init();
//! const calc = new Calculator();
//! const bill = calc.quote("gpt-4.1", { input_tokens: 6000, cache_read_tokens: 4000,
//!   output_tokens: 500 }, { at: "2025-06-01" });
//! bill.total; // "0.018"
//! ```

#![warn(missing_docs)]

pub mod calc;

use chrono::{DateTime, Utc};
use tariff::Catalog;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(value: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &str) -> JsValue;

    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A canonical usage record: exclusive buckets, all optional (see the tariff README). */
export interface Usage {
  input_tokens?: number; cache_read_tokens?: number; cache_write_tokens?: number;
  cache_write_1h_tokens?: number; output_tokens?: number; reasoning_tokens?: number;
  audio_input_tokens?: number; audio_cache_read_tokens?: number; audio_output_tokens?: number;
  image_input_tokens?: number; image_output_tokens?: number;
  images?: { count: number; size?: string; quality?: string }[];
  /** Seconds are written as exact decimal strings; numbers are read too. */
  video_seconds?: string | number; resolution?: string; audio_seconds?: string | number;
  characters?: number; requests?: number; web_search_calls?: number;
  file_search_calls?: number; searches?: number; total_tokens?: number;
  at?: string; service_tier?: string; region?: string;
  options?: Record<string, string>; estimated?: boolean;
}

/** An exchange rate the caller supplies: `rate` units of `to` per unit of `from`. */
export interface FxRate { from: string; to: string; rate: string | number; date: string; source?: string }

/** What a quote may be asked beyond the usage record. */
export interface QuoteOptions {
  /** RFC 3339 time or YYYY-MM-DD; default: the record's `at`, else now. */
  at?: string;
  serviceTier?: "standard" | "batch" | "flex" | "priority";
  region?: string;
  /** Request options that select a price, e.g. `{ thinking: "true" }`. */
  options?: Record<string, string>;
  /** Convert to this currency code (needs `fx`), or "quota" for relay quota units. */
  currency?: string;
  fx?: FxRate[];
  /** new-api's defaults: groupRatio 1, rounding half_up, perUnit 500000, minimum 1. */
  quota?: { groupRatio?: string | number; rounding?: "floor" | "ceil" | "half_up" | "half_even";
            perUnit?: string | number; minimum?: number };
}

/** One bill line; money as exact decimal strings. */
export interface Line {
  item: string; unit: string; quantity: string; unit_price: string; per: string;
  amount: string; priced_as?: string;
}

/** An itemized bill: `total` is exactly the sum of the lines' amounts. */
export interface Bill {
  model: string; provider: string; currency: string; total: string; lines: Line[];
  at: string; service_tier: string; region?: string;
  schedule: { from: string | null; until: string | null; source: string; as_of: string;
              scale?: string; unscaled?: string[] };
  tier?: string; window?: string; option?: string; estimated: boolean;
  fx?: FxRate;
  /** Relay quota units, when asked for. */
  quota?: { units: number; exact: string };
}

/** An upper-bound estimate of a request, itemized. */
export interface Estimate {
  api: string; model: string;
  /** What counted the text: an encoding (`o200k_base`) or an estimator (`approx:claude`). */
  counter: string;
  /** The bound, marked `estimated`: pass it to `quote`. */
  usage: Usage;
  parts: { what: string; tokens: number; basis: "exact" | "formula" | "estimated" | "default" | "bound"; note: string }[];
}

/** What a pasted response was read as (`readResponse`). */
export interface ReadResponse {
  api: string; description: string; stream: boolean; events: number;
  model: string | null; usage: Usage;
}

/** What the library recognizes in a pasted body (`detect`). */
export interface Detected {
  form: "response" | "stream" | "request" | "other";
  /** The family, when its markers name exactly one. */
  api: string | null;
  /** The families it may be: `api`'s, a group sharing a format, or none (any may read it). */
  candidates: string[];
  model: string | null; events: number;
}

/** A bill repeated a number of times (`project`, and each ranking row when asked). */
export interface Projection {
  requests: string; currency: string; total: string;
  lines: { item: string; unit: string; amount: string }[];
  /** Whole quota units per request × requests, when quota was asked for. */
  quota_units?: string;
}

/** Every model priced for one usage (`rank`). */
export interface Ranking {
  rows: { id: string; name: string | null; provider: string; kind: string;
          capabilities: ("chat" | "image" | "video" | "audio" | "other")[]; currency: string;
          total: string; quota?: { units: number; exact: string };
          inputPerM: string | null; outputPerM: string | null; projected?: Projection }[];
  unpriced: { id: string; provider: string; capabilities: string[]; reason: string }[];
}

/** A model's prices over time (`history`). */
export interface History {
  model: string;
  periods: { from: string | null; until: string | null; serviceTier: string; region: string | null;
             currency: string; inputPerM: string | null; outputPerM: string | null;
             total: string | null; error: string | null; source: string; asOf: string }[];
}

/** A text's tokens one by one (`tokenize`). */
export interface TokenView {
  encoding: string; count: number; truncated: boolean;
  tokens: { text: string; ids: number[] }[];
}

/** An approximate count for a model without a public tokenizer (`approxCount`). */
export interface ApproxCount { counter: string; count: number; reference: string }

/** What the calculator knows of a model: enough to build its inputs. */
export interface ModelInfo {
  id: string; name: string | null; provider: string; kind: string; aliases: string[];
  currency: string | null; serviceTiers: string[]; regions: string[]; units: string[];
  imageVariants: { size: string | null; quality: string | null }[];
  videoResolutions: string[]; options: Record<string, string[]>;
  encoding: string | null;
  /** First and last day priced (YYYY-MM-DD); `until` is null while priced with no end. */
  since: string | null; until: string | null;
}
"#;

/// The pricing engine over the built-in price tables.
#[wasm_bindgen]
pub struct Calculator {
    catalog: &'static Catalog,
}

impl Default for Calculator {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl Calculator {
    /// Loads the built-in price tables (once per module; later instances share them).
    #[wasm_bindgen(constructor)]
    pub fn new() -> Calculator {
        Calculator {
            catalog: calc::catalog(),
        }
    }

    /// Every model, in table order, with the units, variants, service tiers and regions it
    /// is priced for. `at` (RFC 3339 or YYYY-MM-DD, default now) picks each model's
    /// currency from the schedule in force then.
    #[wasm_bindgen(unchecked_return_type = "ModelInfo[]")]
    pub fn models(&self, at: Option<String>) -> Result<JsValue, JsError> {
        let at = match at {
            Some(s) => calc::parse_time(&s).map_err(|e| JsError::new(&e))?,
            None => now(),
        };
        Ok(json_parse(&calc::models(self.catalog, at)))
    }

    /// The summaries of the models named (ids, aliases or dated snapshots), as
    /// [`Calculator::models`] gives them; names the catalog does not know are left out. The
    /// page's first quote needs only its chosen models.
    #[wasm_bindgen(js_name = modelsOf, unchecked_return_type = "ModelInfo[]")]
    pub fn models_of(&self, names: Vec<String>, at: Option<String>) -> Result<JsValue, JsError> {
        let at = match at {
            Some(s) => calc::parse_time(&s).map_err(|e| JsError::new(&e))?,
            None => now(),
        };
        Ok(json_parse(&calc::models_of(self.catalog, &names, at)))
    }

    /// Prices a canonical usage record.
    #[wasm_bindgen(unchecked_return_type = "Bill")]
    pub fn quote(
        &self,
        #[wasm_bindgen(js_name = modelId)] model_id: &str,
        #[wasm_bindgen(unchecked_param_type = "Usage | string")] usage: JsValue,
        #[wasm_bindgen(unchecked_param_type = "QuoteOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsError> {
        let usage = to_json("usage", &usage)?.unwrap_or_else(|| "{}".into());
        let options = to_json("options", &options.unwrap_or(JsValue::UNDEFINED))?;
        calc::quote(self.catalog, model_id, &usage, options.as_deref(), now())
            .map(|s| json_parse(&s))
            .map_err(|e| JsError::new(&e))
    }

    /// The rate in the opposite direction, 1 / `rate.rate` in exact decimal arithmetic,
    /// rounded half-even to `places` decimal places (default 12); the rounding is stated in
    /// the result's `source`. A rate that is not positive is an error.
    #[wasm_bindgen(js_name = fxInverse, unchecked_return_type = "FxRate")]
    pub fn fx_inverse(
        &self,
        #[wasm_bindgen(unchecked_param_type = "FxRate")] rate: JsValue,
        places: Option<u32>,
    ) -> Result<JsValue, JsError> {
        let rate = to_json("rate", &rate)?.ok_or_else(|| JsError::new("rate is missing"))?;
        calc::fx_inverse(&rate, places)
            .map(|j| json_parse(&j))
            .map_err(|e| JsError::new(&e))
    }

    /// Prices one usage record against every model of the catalog in one call (the
    /// ranking): `{rows, unpriced}`. Rows, cheapest first within each currency, carry the
    /// total, the price of 1M input and output tokens under the same conditions, and, when
    /// `requests` (an exact decimal string) is given, the total for that many requests
    /// with its lines. Models that cannot price the usage are in `unpriced` with why.
    #[wasm_bindgen(unchecked_return_type = "Ranking")]
    pub fn rank(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Usage | string")] usage: JsValue,
        #[wasm_bindgen(unchecked_param_type = "QuoteOptions | undefined")] options: JsValue,
        requests: Option<String>,
    ) -> Result<JsValue, JsError> {
        let usage = to_json("usage", &usage)?.unwrap_or_else(|| "{}".into());
        let options = to_json("options", &options)?;
        calc::rank(
            self.catalog,
            &usage,
            options.as_deref(),
            requests.as_deref(),
            now(),
        )
        .map(|s| json_parse(&s))
        .map_err(|e| JsError::new(&e))
    }

    /// A usage record priced for a model and repeated `requests` times (an exact decimal
    /// string, e.g. requests per month): every line and the total multiplied exactly.
    #[wasm_bindgen(unchecked_return_type = "Projection")]
    pub fn project(
        &self,
        #[wasm_bindgen(js_name = modelId)] model_id: &str,
        #[wasm_bindgen(unchecked_param_type = "Usage | string")] usage: JsValue,
        #[wasm_bindgen(unchecked_param_type = "QuoteOptions | undefined")] options: JsValue,
        requests: &str,
    ) -> Result<JsValue, JsError> {
        let usage = to_json("usage", &usage)?.unwrap_or_else(|| "{}".into());
        let options = to_json("options", &options)?;
        calc::project(
            self.catalog,
            model_id,
            &usage,
            options.as_deref(),
            requests,
            now(),
        )
        .map(|s| json_parse(&s))
        .map_err(|e| JsError::new(&e))
    }

    /// A model's prices over time: one period per schedule of the service tier asked
    /// (default standard), oldest first, with the price of 1M input and output tokens and
    /// the usage's total in each, quoted at the period's start.
    #[wasm_bindgen(unchecked_return_type = "History")]
    pub fn history(
        &self,
        #[wasm_bindgen(js_name = modelId)] model_id: &str,
        #[wasm_bindgen(unchecked_param_type = "Usage | string")] usage: JsValue,
        #[wasm_bindgen(unchecked_param_type = "QuoteOptions | undefined")] options: JsValue,
    ) -> Result<JsValue, JsError> {
        let usage = to_json("usage", &usage)?.unwrap_or_else(|| "{}".into());
        let options = to_json("options", &options)?;
        calc::history(self.catalog, model_id, &usage, options.as_deref(), now())
            .map(|s| json_parse(&s))
            .map_err(|e| JsError::new(&e))
    }

    /// The response families `quoteResponse` reads.
    pub fn apis(&self) -> Vec<String> {
        calc::apis().into_iter().map(String::from).collect()
    }

    /// The catalog's own id of a model name, alias or dated snapshot; `undefined` when the
    /// catalog knows no such model.
    #[wasm_bindgen(js_name = resolveModel)]
    pub fn resolve_model(&self, name: &str) -> Option<String> {
        calc::resolve_model(self.catalog, name)
    }
}

/// Metering, estimates and token counting: everything that needs the tokenizer ranks
/// (1 MB of the module). The page's first module is built without them (feature `full`
/// off) so that pricing is ready after a much smaller download; it loads the full module
/// when a response is pasted or text is counted.
#[cfg(feature = "full")]
#[wasm_bindgen]
impl Calculator {
    /// Meters a provider response body (JSON or a saved SSE stream) of the family `api`
    /// (`openai-chat`, `anthropic`, ...; see [`Calculator::apis`]) and prices it. Families
    /// priced from their request (images, video, speech) need `request` too.
    #[wasm_bindgen(js_name = quoteResponse, unchecked_return_type = "Bill")]
    pub fn quote_response(
        &self,
        api: &str,
        #[wasm_bindgen(js_name = modelId)] model_id: &str,
        body: &str,
        request: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "QuoteOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsError> {
        let options = to_json("options", &options.unwrap_or(JsValue::UNDEFINED))?;
        calc::quote_response(
            self.catalog,
            api,
            model_id,
            body,
            request.as_deref(),
            options.as_deref(),
            now(),
        )
        .map(|s| json_parse(&s))
        .map_err(|e| JsError::new(&e))
    }

    /// The canonical usage record of a provider response body, without pricing it.
    #[wasm_bindgen(js_name = usageOfResponse, unchecked_return_type = "Usage")]
    pub fn usage_of_response(
        &self,
        api: &str,
        body: &str,
        request: Option<String>,
    ) -> Result<JsValue, JsError> {
        calc::usage_of_response(api, body, request.as_deref())
            .map(|s| json_parse(&s))
            .map_err(|e| JsError::new(&e))
    }

    /// An upper-bound estimate of what a request body of the family `api` will consume
    /// (`tariff::estimate`): `{api, model, counter, usage, parts}`, each part saying
    /// whether it was counted exactly, by a vendor formula, or approximated. Its `usage`
    /// (marked `estimated`) can be passed to `quote`. With `api` `"auto"` the families the
    /// library recognizes the request as ([`Calculator::detect`]) are tried in turn.
    #[wasm_bindgen(unchecked_return_type = "Estimate")]
    pub fn estimate(
        &self,
        api: &str,
        #[wasm_bindgen(js_name = modelId)] model_id: &str,
        request: &str,
    ) -> Result<JsValue, JsError> {
        calc::estimate(self.catalog, api, model_id, request)
            .map(|s| json_parse(&s))
            .map_err(|e| JsError::new(&e))
    }

    /// The exact token count of `text` for a model with a public tokenizer (or for an
    /// encoding named directly: `o200k_base`, `o200k_harmony`, `cl100k_base`). The first
    /// count with an encoding decodes its ranks (tens of milliseconds).
    #[wasm_bindgen(js_name = countTokens)]
    pub fn count_tokens(
        &self,
        #[wasm_bindgen(js_name = modelId)] model_id: &str,
        text: &str,
    ) -> Result<u32, JsError> {
        let n = calc::count_tokens(model_id, text).map_err(|e| JsError::new(&e))?;
        u32::try_from(n).map_err(|_| JsError::new("token count does not fit in 32 bits"))
    }

    /// The tokens of `text` one by one, for an encoding name or a model with a public
    /// tokenizer: `{encoding, count, tokens: [{text, ids}], truncated}`; `count` covers the
    /// whole text, the spans its first 64 KiB.
    #[wasm_bindgen(unchecked_return_type = "TokenView")]
    pub fn tokenize(
        &self,
        #[wasm_bindgen(js_name = modelId)] model_id: &str,
        text: &str,
    ) -> Result<JsValue, JsError> {
        calc::tokenize(model_id, text)
            .map(|s| json_parse(&s))
            .map_err(|e| JsError::new(&e))
    }

    /// The library's approximate count of `text` for a model without a public tokenizer
    /// (`{counter, count, reference}`), or `undefined` when no estimator covers it.
    #[wasm_bindgen(js_name = approxCount, unchecked_return_type = "ApproxCount | undefined")]
    pub fn approx_count(
        &self,
        #[wasm_bindgen(js_name = modelId)] model_id: &str,
        text: &str,
    ) -> JsValue {
        calc::approx_count(model_id, text)
            .map(|s| json_parse(&s))
            .unwrap_or(JsValue::UNDEFINED)
    }

    /// The encoding a model's tokens are counted with, or `undefined` when it has no
    /// public tokenizer.
    #[wasm_bindgen(js_name = encodingFor)]
    pub fn encoding_for(
        &self,
        #[wasm_bindgen(js_name = modelId)] model_id: &str,
    ) -> Option<String> {
        calc::encoding(model_id).ok().map(|e| e.name().to_string())
    }

    /// What the library recognizes in a pasted body (`tariff::extract::detect`): `{form,
    /// api, candidates, model, events}`: whether it is a response, a saved stream, a
    /// request or neither; its family when its markers name one, else the families it may
    /// be (none when nothing marks it); the model it names; its stream events.
    #[wasm_bindgen(unchecked_return_type = "Detected")]
    pub fn detect(&self, body: &str) -> JsValue {
        json_parse(&calc::detect(body))
    }

    /// Reads a pasted response body (JSON or a saved SSE stream) as the family `api`, or as
    /// the family the library recognizes from its markers when `api` is `"auto"`:
    /// `{api, description, stream, events, model, usage}`. A body that reports no usage is
    /// an error, never an empty record.
    #[wasm_bindgen(js_name = readResponse, unchecked_return_type = "ReadResponse")]
    pub fn read_response(
        &self,
        api: &str,
        body: &str,
        request: Option<String>,
    ) -> Result<JsValue, JsError> {
        calc::read_response(api, body, request.as_deref())
            .map(|s| json_parse(&s))
            .map_err(|e| JsError::new(&e))
    }
}

/// A JavaScript value as JSON text; `None` for `undefined` and `null`.
fn to_json(what: &str, value: &JsValue) -> Result<Option<String>, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if let Some(s) = value.as_string() {
        // A string is taken as JSON text already (e.g. a pasted usage record).
        return Ok(Some(s));
    }
    json_stringify(value)
        .ok()
        .and_then(|v| v.as_string())
        .map(Some)
        .ok_or_else(|| JsError::new(&format!("{what} is not a JSON-serializable object")))
}

/// The time now, from the JavaScript clock (a WebAssembly module has none of its own).
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(date_now() as i64).unwrap_or_default()
}
