//! The catalog snapshot reader (`Catalog::from_snapshot`) on damaged bytes: a catalog or a
//! `CatalogError`, never a panic, a hang or an allocation the input's size does not
//! justify.
//!
//! The checksum stops nearly every random input before the decoder, so the first byte picks
//! what the rest is:
//! - 0: the bytes as they are (header and checksum included);
//! - 1: a payload, given a valid header and checksum;
//! - otherwise: edits to the built-in catalog's own snapshot, resealed: each five bytes are
//!   a position (four bytes, modulo the payload's length) and a byte to xor there. So the
//!   decoder meets a real catalog with a few wrong lengths, indexes, tags or strings.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tariff_core::catalog::{payload_for_fuzzing, seal_for_fuzzing};
use tariff_core::Catalog;

fn builtin_payload() -> &'static [u8] {
    static SNAPSHOT: OnceLock<Vec<u8>> = OnceLock::new();
    payload_for_fuzzing(SNAPSHOT.get_or_init(|| Catalog::builtin().to_snapshot()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = match mode {
        0 => rest.to_vec(),
        1 => seal_for_fuzzing(rest),
        _ => {
            let mut payload = builtin_payload().to_vec();
            for edit in rest.chunks_exact(5) {
                let at = u32::from_le_bytes([edit[0], edit[1], edit[2], edit[3]]) as usize;
                let i = at % payload.len();
                payload[i] ^= edit[4];
            }
            seal_for_fuzzing(&payload)
        }
    };
    let _ = Catalog::from_snapshot(&bytes);
});
