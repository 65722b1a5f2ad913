//! The command line on media families: binary bodies, `--request`, and refusals.

use std::process::Output;

mod common;
use common::tariff;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn assert_refused(out: &Output, why: &str) {
    assert!(!out.status.success(), "expected a failure");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    assert!(err.contains(why), "stderr should mention `{why}`: {err}");
}

const SPEECH: &str = "tests/fixtures/responses/openai-speech.mp3";
const SPEECH_REQUEST: &str = "tests/fixtures/responses/openai-speech-request.json";

#[test]
fn meter_reads_audio_bytes_and_counts_the_request() {
    let out = tariff(&[
        "meter",
        "--api",
        "openai-speech",
        "--request",
        SPEECH_REQUEST,
        SPEECH,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), r#"{"characters":70}"#);
}

#[test]
fn quote_prices_speech_from_its_request() {
    let out = tariff(&[
        "quote",
        "--api",
        "openai-speech",
        "--model",
        "tts-1",
        "--at",
        "2026-11-01",
        "--request",
        SPEECH_REQUEST,
        "--json",
        SPEECH,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], "0.00105");
    assert_eq!(v["lines"][0]["item"], "characters");
    assert_eq!(v["lines"][0]["quantity"], "70");
}

#[test]
fn speech_without_request_is_refused() {
    let out = tariff(&[
        "quote",
        "--api",
        "openai-speech",
        "--model",
        "tts-1",
        SPEECH,
    ]);
    assert_refused(&out, "pass the request");
}

#[test]
fn quote_prices_cohere_rerank_with_its_request() {
    let out = tariff(&[
        "quote",
        "--api",
        "rerank",
        "--model",
        "rerank-v3.5",
        "--at",
        "2026-11-01",
        "--request",
        "tests/fixtures/responses/rerank-cohere-request.json",
        "--json",
        "tests/fixtures/responses/rerank-cohere.json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], "0.004");
}

#[test]
fn a_body_of_the_wrong_family_is_refused() {
    let out = tariff(&[
        "meter",
        "--api",
        "openai-moderations",
        "tests/fixtures/responses/openai-chat.json",
    ]);
    assert_refused(&out, "chat completion");
    // A Suno task priced with a token-priced model names what is missing.
    let out = tariff(&[
        "quote",
        "--api",
        "suno",
        "--model",
        "tts-1",
        "tests/fixtures/responses/suno-task.json",
    ]);
    assert_refused(&out, "requests");
}

#[test]
fn a_bad_request_file_names_the_request() {
    let out = tariff(&[
        "meter",
        "--api",
        "openai-speech",
        "--request",
        "tests/fixtures/responses/openai-speech.mp3",
        SPEECH,
    ]);
    assert_refused(&out, "in the request");
}

#[test]
fn unknown_format_lists_the_media_formats() {
    let out = tariff(&["meter", "--api", "tts", SPEECH]);
    assert_refused(&out, "openai-speech");
}
