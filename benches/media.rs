//! Metering (and pricing) media answers: what a relay pays per speech, transcription,
//! rerank or music request on top of the upstream call.
//!
//! `cargo bench --bench media -- --warm-up-time 1 --measurement-time 3`
//!
//! Groups:
//! - `meter/*`: `extract_with_request` on the fixtures of tests/fixtures/responses
//!   (speech audio with its request, a streamed speech answer, a transcription, whisper
//!   seconds, a Cohere rerank checked against its 150-document request, a Suno task);
//! - `meter_and_quote/*`: the same, then `price::quote` with the model resolved beforehand.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use tariff::extract::{extract_with_request, Api};
use tariff::{price, Catalog};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/responses/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture exists")
}

struct Case {
    label: &'static str,
    api: Api,
    model: &'static str,
    body: Vec<u8>,
    request: Option<Vec<u8>>,
}

fn cases() -> Vec<Case> {
    let case = |label, api, model, body: &str, request: Option<&str>| Case {
        label,
        api,
        model,
        body: fixture(body),
        request: request.map(fixture),
    };
    vec![
        case(
            "speech_audio_with_request",
            Api::OpenAiSpeech,
            "tts-1",
            "openai-speech.mp3",
            Some("openai-speech-request.json"),
        ),
        case(
            "speech_stream",
            Api::OpenAiSpeech,
            "gpt-4o-mini-tts",
            "openai-speech-stream.sse",
            None,
        ),
        case(
            "transcription_tokens",
            Api::OpenAiTranscription,
            "gpt-4o-transcribe",
            "openai-transcription.json",
            None,
        ),
        case(
            "whisper_seconds",
            Api::OpenAiTranscription,
            "whisper-1",
            "openai-whisper-verbose.json",
            None,
        ),
        case(
            "rerank_cohere_150_docs",
            Api::Rerank,
            "rerank-v3.5",
            "rerank-cohere.json",
            Some("rerank-cohere-request.json"),
        ),
        case("suno_task", Api::Suno, "suno_music", "suno-task.json", None),
    ]
}

fn benches(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let at = "2026-11-01T00:00:00Z".parse().expect("a time");
    let mut meter = c.benchmark_group("meter");
    for k in cases() {
        meter.bench_function(k.label, |b| {
            b.iter(|| {
                extract_with_request(k.api, black_box(&k.body), k.request.as_deref())
                    .expect("meters")
            })
        });
    }
    meter.finish();
    let mut both = c.benchmark_group("meter_and_quote");
    for k in cases() {
        let model = catalog.model(k.model).expect("priced");
        both.bench_function(k.label, |b| {
            b.iter(|| {
                let mut u = extract_with_request(k.api, black_box(&k.body), k.request.as_deref())
                    .expect("meters");
                u.at = Some(at);
                price::quote(model, &u).expect("prices")
            })
        });
    }
    both.finish();
}

criterion_group!(media, benches);
criterion_main!(media);
