//! The stream meter's memory does not grow with the stream: metering 100,000 events needs
//! no more heap than metering 1,000. Measured with a counting allocator (this file is its
//! own test binary, with one test, so no other thread allocates meanwhile).

use tariff::extract::{Api, StreamMeter};

#[path = "support/counting.rs"]
mod counting;

/// A stream of `deltas` content events, the usage chunk and `[DONE]`, as SSE bytes.
fn chat_stream(deltas: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..deltas {
        s.push_str(&format!(
            "data: {{\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" word{i}\"}}}}],\"usage\":null}}\n\n"
        ));
    }
    s.push_str(&format!("data: {{\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{{\"prompt_tokens\":20,\"completion_tokens\":{deltas},\"total_tokens\":{}}}}}\n\ndata: [DONE]\n\n", deltas + 20));
    s.into_bytes()
}

/// Heap bytes in use at the peak of metering `stream`, above what was in use before.
fn peak_while_metering(stream: &[u8], chunk: usize) -> (usize, u64) {
    counting::peak(|| {
        let mut meter = StreamMeter::new(Api::OpenAiChat);
        for piece in stream.chunks(chunk) {
            meter.feed(piece).expect("feeds");
        }
        let usage = meter.finish().expect("has usage");
        usage.output_tokens.get()
    })
}

#[test]
fn metering_memory_does_not_grow_with_the_stream() {
    let small = chat_stream(1_000);
    let large = chat_stream(100_000);
    assert!(
        large.len() > 10_000_000,
        "the large stream is {} bytes",
        large.len()
    );
    for chunk in [1, 4096, 1 << 20] {
        let (peak_small, out_small) = peak_while_metering(&small, chunk);
        let (peak_large, out_large) = peak_while_metering(&large, chunk);
        assert_eq!((out_small, out_large), (1_000, 100_000));
        eprintln!("{chunk}-byte reads: peak heap {peak_small} B (1,000 events), {peak_large} B (100,000 events)");
        // One event is ~120 bytes; the meter keeps a line, an event and the usage so far.
        assert!(
            peak_large <= 16 * 1024,
            "{chunk}-byte reads: 100,000 events peaked at {peak_large} bytes"
        );
        assert!(
            peak_large <= peak_small + 1024,
            "{chunk}-byte reads: 100,000 events took {peak_large} bytes, 1,000 took {peak_small}"
        );
    }
}
