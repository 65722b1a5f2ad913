//! Estimates of DashScope (Qwen native) chat, Gemini embeddings, rerank and moderation
//! requests: each checked against what the answer then meters, and priced by hand from the
//! tables in pricing/.

use proptest::prelude::*;
use tariff::estimate::{estimate, Basis, EstimateError};
use tariff::extract::{extract_with_request, Api, ExtractError};
use tariff::tokens::{Counter, Encoding};
use tariff::Catalog;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/responses/{name}")).unwrap()
}

fn quote(model: &str, usage: &tariff::Usage) -> String {
    let mut usage = usage.clone();
    usage.at = Some("2026-11-27T00:00:00Z".parse().unwrap());
    let bill = Catalog::builtin().quote(model, &usage).unwrap();
    assert!(bill.estimated());
    bill.total().to_string()
}

// ---- DashScope (Qwen native) --------------------------------------------------------

const QWEN: &str = r#"{"model":"qwen-plus","input":{"messages":[
    {"role":"system","content":"You are terse."},
    {"role":"user","content":"你好"}]},
  "parameters":{"max_tokens":100,"n":2,"result_format":"message"}}"#;

#[test]
fn dashscope_counts_messages_with_chatml_framing_and_bounds_output_by_max_tokens_times_n() {
    let est = estimate(Api::DashScope, "qwen-plus", QWEN.as_bytes()).unwrap();
    let c = Counter::for_model("qwen-plus");
    assert_eq!(c.name(), "approx:qwen");
    let text: u64 = ["system", "You are terse.", "user", "你好"]
        .iter()
        .map(|t| c.count(t) as u64)
        .sum();
    // 2 messages × 4 (`<|im_start|>`, `\n`, `<|im_end|>`, `\n`) + 3 to prime the reply.
    assert_eq!(est.usage.input_tokens.get(), text + 2 * 4 + 3);
    assert_eq!(est.usage.input_tokens.get(), 19);
    // max_tokens 100 × n 2.
    assert_eq!(est.output_bound(), 200);
    assert!(!est.input_is_exact());
    // qwen-plus, 中国内地, ≤128K tier: 0.8 元 / 1M input, 2 元 / 1M output:
    // 19 × 0.8 / 1e6 + 200 × 2 / 1e6 = 0.0000152 + 0.0004 = 0.0004152.
    assert_eq!(quote("qwen-plus", &est.usage), "0.0004152");
    // The answer bills no more output than the bound, in the same buckets.
    let answer = r#"{"output":{"choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"你好！"}},
      {"finish_reason":"stop","message":{"role":"assistant","content":"您好。"}}]},
      "usage":{"input_tokens":21,"output_tokens":6,"total_tokens":27},"request_id":"r"}"#;
    let metered =
        extract_with_request(Api::DashScope, answer.as_bytes(), Some(QWEN.as_bytes())).unwrap();
    assert!(metered.output_tokens.get() <= est.output_bound());
    assert_eq!(
        metered.cache_read_tokens.get(),
        est.usage.cache_read_tokens.get()
    );
}

#[test]
fn dashscope_without_max_tokens_holds_the_models_output_limit() {
    let req = r#"{"model":"qwen-turbo","input":{"prompt":"Tell me a story."}}"#;
    let est = estimate(Api::DashScope, "qwen-turbo", req.as_bytes()).unwrap();
    // estimate/models.toml: qwen-turbo* 16,384 (16K), n absent = 1.
    assert_eq!(est.output_bound(), 16_384);
    let out = est.parts.iter().find(|p| p.basis == Basis::Bound).unwrap();
    assert!(
        out.note.contains("no `parameters.max_tokens`"),
        "{}",
        out.note
    );
    // A model without a known limit is refused, naming the field that would set one.
    let err = estimate(Api::DashScope, "qwen-unknown", req.as_bytes()).unwrap_err();
    assert!(
        matches!(err, EstimateError::NoOutputBound { ref field, .. } if field == "parameters.max_tokens")
    );
}

#[test]
fn dashscope_thinking_adds_the_thinking_budget_or_is_refused() {
    let req = r#"{"input":{"prompt":"Prove it."},"parameters":{"max_tokens":1000,"enable_thinking":true,"thinking_budget":4000,"n":1}}"#;
    let est = estimate(Api::DashScope, "qwen-plus", req.as_bytes()).unwrap();
    // 1,000 for the reply + 4,000 for the reasoning.
    assert_eq!(est.output_bound(), 5_000);
    let unbounded = r#"{"input":{"prompt":"Prove it."},"parameters":{"max_tokens":1000,"enable_thinking":true}}"#;
    let err = estimate(Api::DashScope, "qwen-plus", unbounded.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains("`parameters.thinking_budget`"),
        "{err}"
    );
}

#[test]
fn dashscope_bad_requests_name_the_field() {
    let cases = [
        (r#"{"model":"qwen-plus","parameters":{}}"#, "`input`"),
        (r#"{"input":{"messages":{}}}"#, "`input.messages`"),
        (
            r#"{"input":{"messages":[{"role":"user","content":7}]}}"#,
            "`input.messages[0].content`",
        ),
        (
            r#"{"input":{"prompt":"x"},"parameters":{"n":0}}"#,
            "`parameters.n`",
        ),
        (
            r#"{"input":{"prompt":"x"},"parameters":{"max_tokens":-1}}"#,
            "`parameters.max_tokens`",
        ),
        (
            r#"{"input":{"messages":[{"role":"user","content":[{"image":"https://x/y.png"}]}]}}"#,
            "`input.messages[0].content[0]`",
        ),
    ];
    for (req, field) in cases {
        let err = estimate(Api::DashScope, "qwen-plus", req.as_bytes()).unwrap_err();
        assert!(err.to_string().contains(field), "{req}: {err}");
    }
    let openai = r#"{"model":"qwen-plus","messages":[{"role":"user","content":"hi"}]}"#;
    assert!(matches!(
        estimate(Api::DashScope, "qwen-plus", openai.as_bytes()),
        Err(EstimateError::WrongFamily { .. })
    ));
}

// ---- Gemini embeddings -----------------------------------------------------------------

#[test]
fn gemini_embeddings_estimate_is_what_the_answer_meters() {
    let req = fixture("gemini-batch-embeddings-request.json");
    let est = estimate(Api::GeminiEmbeddings, "gemini-embedding-001", &req).unwrap();
    // o200k_base: "What| is| the| meaning| of| life|?" = 7, "How| does| the| brain| work|?" = 6.
    assert_eq!(est.usage.input_tokens.get(), 7 + 6);
    assert_eq!(est.parts[0].basis, Basis::Estimated);
    let metered = extract_with_request(
        Api::GeminiEmbeddings,
        &fixture("gemini-batch-embeddings.json"),
        Some(&req),
    )
    .unwrap();
    assert_eq!(metered, est.usage);
    // gemini-embedding-001: $0.15 / 1M input tokens: 13 × 0.15 / 1e6 = 0.00000195.
    assert_eq!(quote("gemini-embedding-001", &est.usage), "0.00000195");
}

#[test]
fn gemini_single_embed_content_and_bad_requests() {
    // embedContent: one `content` (nothing to default: every token is in the request).
    let one =
        r#"{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hello world"}]}}"#;
    let est = estimate(
        Api::GeminiEmbeddings,
        "gemini-embedding-001",
        one.as_bytes(),
    )
    .unwrap();
    assert_eq!(est.usage.input_tokens.get(), 2); // "hello| world"
    let bad = r#"{"model":"models/gemini-embedding-001","contents":[]}"#;
    let err = estimate(
        Api::GeminiEmbeddings,
        "gemini-embedding-001",
        bad.as_bytes(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("`content` nor `requests`"),
        "{err}"
    );
    assert!(matches!(
        err,
        EstimateError::Request(ExtractError::Json { .. })
    ));
}

// ---- Rerank ----------------------------------------------------------------------------

#[test]
fn cohere_rerank_estimate_is_the_searches_the_answer_bills() {
    let req = fixture("rerank-cohere-request.json");
    let est = estimate(Api::Rerank, "rerank-v3.5", &req).unwrap();
    // 150 documents: ⌈150 / 100⌉ = 2 searches.
    assert_eq!(est.usage.searches.get(), 2);
    assert_eq!(est.parts[0].basis, Basis::Formula);
    let metered =
        extract_with_request(Api::Rerank, &fixture("rerank-cohere.json"), Some(&req)).unwrap();
    assert_eq!(metered.searches, est.usage.searches);
    assert_eq!(metered.input_tokens, est.usage.input_tokens);
    // rerank-v3.5: $2.00 / 1K searches: 2 × 2 / 1000 = 0.004.
    assert_eq!(quote("rerank-v3.5", &est.usage), "0.004");
}

#[test]
fn cohere_rerank_with_chunking_holds_the_bound_and_one_search_at_least() {
    let docs: Vec<String> = (0..150).map(|i| format!("\"doc {i}\"")).collect();
    let req = format!(
        r#"{{"model":"rerank-english-v3.0","query":"q","documents":[{}],"max_chunks_per_doc":3}}"#,
        docs.join(",")
    );
    let est = estimate(Api::Rerank, "rerank-english-v3.0", req.as_bytes()).unwrap();
    // 150 documents × up to 3 chunks = 450 chunks: ⌈450 / 100⌉ = 5 searches, a bound.
    assert_eq!(est.usage.searches.get(), 5);
    assert_eq!(est.parts[0].basis, Basis::Bound);
    // No documents: Cohere's rule still bills the one search.
    let empty = r#"{"model":"rerank-v3.5","query":"q","documents":[]}"#;
    assert_eq!(
        estimate(Api::Rerank, "rerank-v3.5", empty.as_bytes())
            .unwrap()
            .usage
            .searches
            .get(),
        1
    );
}

#[test]
fn token_rerank_counts_the_query_with_every_document() {
    let req = r#"{"model":"jina-reranker-v2-base-multilingual","query":"capital of France",
      "documents":["Paris is the capital.",{"text":"Berlin is in Germany."}],"top_n":1}"#;
    let model = "jina-reranker-v2-base-multilingual";
    let est = estimate(Api::Rerank, model, req.as_bytes()).unwrap();
    let c = Counter::for_model(model);
    let q = c.count("capital of France") as u64;
    let d = (c.count("Paris is the capital.") + c.count("Berlin is in Germany.")) as u64;
    assert_eq!(est.usage.input_tokens.get(), 2 * q + d);
    assert_eq!(est.usage.searches.get(), 0);
    assert_eq!(est.parts[0].basis, Basis::Estimated);
    assert!(
        est.parts[0].note.contains("once per document"),
        "{}",
        est.parts[0].note
    );
    // $0.05 / 1M tokens.
    let n = est.usage.input_tokens.get();
    let expected = rust_decimal::Decimal::from(n) * rust_decimal::Decimal::new(5, 2)
        / rust_decimal::Decimal::from(1_000_000);
    assert_eq!(quote(model, &est.usage), expected.normalize().to_string());
}

#[test]
fn rerank_bad_requests_name_the_field() {
    let no_docs = r#"{"model":"rerank-v3.5","query":"q"}"#;
    let err = estimate(Api::Rerank, "rerank-v3.5", no_docs.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("documents"), "{err}");
    let cases = [
        (r#"{"query":"q","documents":"x"}"#, "`documents`"),
        (r#"{"documents":["a"]}"#, "`query`"),
        (r#"{"query":"q","documents":[1]}"#, "`documents[0]`"),
        (
            r#"{"query":"q","documents":[{"image":"https://x/y.png"}]}"#,
            "`documents[0]`",
        ),
    ];
    for (req, field) in cases {
        let err = estimate(Api::Rerank, "jina-reranker-m0", req.as_bytes()).unwrap_err();
        assert!(err.to_string().contains(field), "{req}: {err}");
    }
    let bad_chunks = r#"{"query":"q","documents":["a"],"max_chunks_per_doc":0}"#;
    let err = estimate(Api::Rerank, "rerank-v3.5", bad_chunks.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("`max_chunks_per_doc`"), "{err}");
}

// ---- Moderations -----------------------------------------------------------------------

#[test]
fn moderation_estimate_is_one_request_and_the_text_tokens() {
    let model = "omni-moderation-latest";
    let req = r#"{"model":"omni-moderation-latest","input":["I want to kill them.",{"type":"text","text":"Hello there"}]}"#;
    let est = estimate(Api::OpenAiModerations, model, req.as_bytes()).unwrap();
    let c = Counter::for_model(model);
    let n = (c.count("I want to kill them.") + c.count("Hello there")) as u64;
    assert_eq!(
        (est.usage.requests.get(), est.usage.input_tokens.get()),
        (1, n)
    );
    // OpenAI's answer has no usage: one request, as estimated.
    let metered = extract_with_request(
        Api::OpenAiModerations,
        &fixture("openai-moderations.json"),
        Some(req.as_bytes()),
    )
    .unwrap();
    assert_eq!(metered.requests, est.usage.requests);
    // A relay that counts the input and reports it bills the same buckets.
    let relay = format!(
        r#"{{"id":"modr-1","model":"omni-moderation-latest","results":[{{"flagged":false}}],"usage":{{"prompt_tokens":{n},"total_tokens":{n}}}}}"#
    );
    let metered = extract_with_request(Api::OpenAiModerations, relay.as_bytes(), None).unwrap();
    assert_eq!(
        (metered.requests, metered.input_tokens),
        (est.usage.requests, est.usage.input_tokens)
    );
    // Free at OpenAI: 0 per request and per token (pricing/openai.toml).
    assert_eq!(quote(model, &est.usage), "0");
}

#[test]
fn moderation_bad_requests_name_the_field() {
    let cases = [
        (r#"{"model":"omni-moderation-latest"}"#, "`input`"),
        (r#"{"input":5}"#, "`input`"),
        (r#"{"input":["ok",7]}"#, "`input[1]`"),
        (
            r#"{"input":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}"#,
            "`input[0]`",
        ),
    ];
    for (req, field) in cases {
        let err = estimate(
            Api::OpenAiModerations,
            "omni-moderation-latest",
            req.as_bytes(),
        )
        .unwrap_err();
        assert!(err.to_string().contains(field), "{req}: {err}");
    }
}

#[test]
fn o200k_is_the_gemini_embedding_stand_in() {
    // The estimate and the metered fallback must count alike: both with o200k_base.
    assert_eq!(Encoding::O200kBase.count("What is the meaning of life?"), 7);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// More documents, or more chunks per document, never estimate fewer searches.
    #[test]
    fn more_documents_never_fewer_searches(docs in 0usize..450, more in 0usize..200, chunks in 1u64..5) {
        let req = |n: usize, c: u64| {
            let d: Vec<&str> = std::iter::repeat_n("\"d\"", n).collect();
            format!(r#"{{"query":"q","documents":[{}],"max_chunks_per_doc":{c}}}"#, d.join(","))
        };
        let s = |n, c| estimate(Api::Rerank, "rerank-v3.5", req(n, c).as_bytes()).unwrap().usage.searches.get();
        prop_assert!(s(docs + more, chunks) >= s(docs, chunks));
        prop_assert!(s(docs, chunks + 1) >= s(docs, chunks));
    }

    /// A larger `n` or `max_tokens` never estimates less output for a Qwen request.
    #[test]
    fn larger_n_or_max_tokens_never_less(n in 1u64..5, max in 1u64..10_000, extra in 0u64..1000) {
        let req = |n: u64, m: u64| format!(r#"{{"input":{{"prompt":"hi"}},"parameters":{{"n":{n},"max_tokens":{m}}}}}"#);
        let out = |n, m| estimate(Api::DashScope, "qwen-plus", req(n, m).as_bytes()).unwrap().output_bound();
        prop_assert_eq!(out(n, max), n * max);
        prop_assert!(out(n + 1, max) >= out(n, max));
        prop_assert!(out(n, max + extra) >= out(n, max));
    }
}

// ---- Transcription ---------------------------------------------------------------------

/// A WAV of `secs` seconds of 16 kHz mono 16-bit silence (32,000 bytes a second).
fn wav(secs_x10: usize) -> Vec<u8> {
    let data = 3_200 * secs_x10;
    let mut w = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0".to_vec();
    w.extend_from_slice(&16_000u32.to_le_bytes());
    w.extend_from_slice(&32_000u32.to_le_bytes());
    w.extend_from_slice(b"\x02\0\x10\0data");
    w.extend_from_slice(&(data as u32).to_le_bytes());
    w.resize(w.len() + data, 0);
    w
}

fn multipart(model: &str, file: Option<&[u8]>) -> Vec<u8> {
    let mut b = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n{model}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\nverbose_json\r\n"
    )
    .into_bytes();
    if let Some(f) = file {
        b.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n");
        b.extend_from_slice(f);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(b"--XyZ--\r\n");
    b
}

#[test]
fn whisper_estimate_is_the_seconds_the_answer_bills() {
    // 125.5 s of audio, as in the verbose answer: billed to the nearest second, 126.
    let req = multipart("whisper-1", Some(&wav(1255)));
    let est = estimate(Api::OpenAiTranscription, "whisper-1", &req).unwrap();
    assert_eq!(est.usage.audio_seconds.get().to_string(), "126");
    assert_eq!(est.parts[0].basis, Basis::Formula);
    let metered = extract_with_request(
        Api::OpenAiTranscription,
        &fixture("openai-whisper-verbose.json"),
        Some(&req),
    )
    .unwrap();
    assert_eq!(metered.audio_seconds, est.usage.audio_seconds);
    // whisper-1: $0.006 / minute: 126 × 0.006 / 60 = 0.0126.
    assert_eq!(quote("whisper-1", &est.usage), "0.0126");
}

#[test]
fn transcription_refuses_what_it_cannot_know() {
    // gpt-4o-transcribe bills audio tokens at a rate per second that OpenAI does not publish.
    let req = multipart("gpt-4o-transcribe", Some(&wav(30)));
    let err = estimate(Api::OpenAiTranscription, "gpt-4o-transcribe", &req).unwrap_err();
    assert!(
        matches!(err, EstimateError::Media { ref path, .. } if path == "model"),
        "{err}"
    );
    // No file part.
    let err = estimate(
        Api::OpenAiTranscription,
        "whisper-1",
        &multipart("whisper-1", None),
    )
    .unwrap_err();
    assert!(
        matches!(err, EstimateError::Field { ref path, .. } if path == "file"),
        "{err}"
    );
    // A JSON body is not a transcription request.
    let err = estimate(
        Api::OpenAiTranscription,
        "whisper-1",
        br#"{"model":"whisper-1"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("`file`"), "{err}");
    // An OGG file: its duration is not in a header this reads.
    let req = multipart("whisper-1", Some(b"OggS\0\x02\0\0\0\0\0\0\0\0"));
    let err = estimate(Api::OpenAiTranscription, "whisper-1", &req).unwrap_err();
    assert!(
        matches!(err, EstimateError::Media { ref path, .. } if path == "file"),
        "{err}"
    );
}

/// An MPEG-1 Layer III frame header: 128 kbit/s, 44.1 kHz, stereo.
const MP3_FRAME: [u8; 4] = [0xff, 0xfb, 0x90, 0x00];

#[test]
fn mp3_durations_from_cbr_xing_and_vbri_headers() {
    use tariff::estimate::{media_seconds, MediaDuration};
    // Constant bit rate: 48,000 bytes × 8 / 128,000 bit/s = 3 s, after a 10-byte ID3v2 tag
    // (syncsafe size 0x0a = 10 more bytes) and before a 128-byte ID3v1 tag.
    let mut cbr = b"ID3\x04\0\0\0\0\0\x0a".to_vec();
    cbr.extend_from_slice(&[0; 10]);
    cbr.extend_from_slice(&MP3_FRAME);
    cbr.resize(20 + 48_000, 0);
    cbr.extend_from_slice(b"TAG");
    cbr.resize(cbr.len() + 125, 0);
    assert_eq!(media_seconds(&cbr), Some(MediaDuration::whole(3)));
    // Xing: 32 bytes of side information, then "Xing", flags (frames), 1,000 frames:
    // 1,000 × 1,152 / 44,100 = 26.122… s.
    let mut xing = MP3_FRAME.to_vec();
    xing.extend_from_slice(&[0; 32]);
    xing.extend_from_slice(b"Xing\0\0\0\x01");
    xing.extend_from_slice(&1_000u32.to_be_bytes());
    xing.resize(4_000, 0);
    assert_eq!(
        media_seconds(&xing),
        MediaDuration::new(1_000 * 1_152, 44_100)
    );
    // VBRI: 32 bytes after the header; frames at offset 14 of it.
    let mut vbri = MP3_FRAME.to_vec();
    vbri.extend_from_slice(&[0; 32]);
    vbri.extend_from_slice(b"VBRI\0\x01\0\0\0\0\0\0\0\0");
    vbri.extend_from_slice(&441u32.to_be_bytes());
    vbri.resize(4_000, 0);
    assert_eq!(
        media_seconds(&vbri),
        MediaDuration::new(441 * 1_152, 44_100)
    );
    // MPEG-2 Layer III (22.05 kHz, 64 kbit/s, 576 samples a frame), Xing after 17 bytes.
    let mut m2 = vec![0xff, 0xf3, 0x80, 0x00];
    m2.extend_from_slice(&[0; 17]);
    m2.extend_from_slice(b"Info\0\0\0\x01");
    m2.extend_from_slice(&100u32.to_be_bytes());
    m2.resize(1_000, 0);
    assert_eq!(media_seconds(&m2), MediaDuration::new(100 * 576, 22_050));
    // Not a frame header.
    assert_eq!(media_seconds(&[0xff, 0xfb, 0xf0, 0x00, 0, 0]), None);
}

#[test]
fn flac_duration_from_streaminfo() {
    use tariff::estimate::{media_seconds, MediaDuration};
    // STREAMINFO: 44,100 Hz, 2 channels, 16 bits, 441,000 samples = 10 s.
    let mut f = b"fLaC\x80\0\0\x22".to_vec();
    let mut info = [0u8; 34];
    let x: u64 = (44_100 << 44) | (1 << 41) | (15 << 36) | 441_000;
    info[10..18].copy_from_slice(&x.to_be_bytes());
    f.extend_from_slice(&info);
    assert_eq!(media_seconds(&f), Some(MediaDuration::whole(10)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Longer audio never estimates fewer seconds.
    #[test]
    fn longer_audio_never_fewer_seconds(tenths in 1usize..600, more in 0usize..300) {
        let secs = |t: usize| {
            estimate(Api::OpenAiTranscription, "whisper-1", &multipart("whisper-1", Some(&wav(t))))
                .unwrap()
                .usage
                .audio_seconds
                .get()
        };
        prop_assert!(secs(tenths + more) >= secs(tenths));
    }
}
