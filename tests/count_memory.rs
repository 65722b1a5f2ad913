//! Counting runs in bounded memory: a text read from a file is held one unfinished
//! pre-token piece at a time, and a single huge piece (a run of one letter) is merged in a
//! few bytes per byte. Measured with a counting allocator (this file is its own test
//! binary, with one test, so no other thread allocates meanwhile).

use std::io::Read;
use tariff::tokens::Encoding;

#[path = "support/counting.rs"]
mod counting;

use counting::peak;

/// `len` bytes of prose, made as they are read (the text itself is never in memory).
struct Prose {
    left: usize,
    at: usize,
}

const SENTENCE: &[u8] = b"The relay billed 1,234 tokens at $0.25 per million; it's fine.\n\
Rechnungen werden gepr\xc3\xbcft \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x82\x82 \xf0\x9f\x99\x82 ok?  ";

impl Read for Prose {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Odd-sized reads, so characters are split across them.
        let n = buf.len().min(self.left).min(777);
        for b in &mut buf[..n] {
            *b = SENTENCE[self.at % SENTENCE.len()];
            self.at += 1;
        }
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn counting_memory_is_bounded() {
    for enc in [Encoding::O200kBase, Encoding::Cl100kBase] {
        // The rank tables are built on first use, once; not part of what is measured.
        assert_eq!(enc.count("warm up"), 2);

        // Regression: a single 4 MB piece took about 16 bytes of heap per byte (part ends,
        // previous parts, pair ranks and the pairs waiting, each 4 bytes a byte, plus the
        // buckets' growth); one length byte per byte and the waiting pairs remain.
        let n = 4 << 20;
        let run = "a".repeat(n);
        let (heap, tokens) = peak(|| enc.count(&run));
        eprintln!("{enc}: {n} bytes of `a`: {tokens} tokens, peak heap {heap} B");
        assert!(
            heap <= 8 * n,
            "{enc}: a {n}-byte piece peaked at {heap} bytes"
        );
        // The same through a reader: the piece is held whole (exact), once.
        let (heap, streamed) = peak(|| enc.count_reader(run.as_bytes()).unwrap());
        assert_eq!(streamed, tokens);
        assert!(
            heap <= 10 * n,
            "{enc}: a streamed {n}-byte piece peaked at {heap} bytes"
        );

        // Regression: `tariff count FILE` read the whole file before counting. Prose read
        // from a reader is counted as it comes: 16 MB take no more heap than 1 MB.
        for len in [1 << 20, 16 << 20] {
            let (heap, tokens) = peak(|| enc.count_reader(Prose { left: len, at: 0 }).unwrap());
            eprintln!("{enc}: {len} bytes of prose: {tokens} tokens, peak heap {heap} B");
            assert!(
                heap <= 4 << 20,
                "{enc}: {len} bytes of prose peaked at {heap} bytes"
            );
        }
        // And exactly: whole sentences counted whole agree.
        let len = SENTENCE.len() * 5_000;
        let text = String::from_utf8(SENTENCE.repeat(5_000)).unwrap();
        let streamed = enc.count_reader(Prose { left: len, at: 0 }).unwrap();
        assert_eq!(streamed, enc.count(&text));
    }
}
