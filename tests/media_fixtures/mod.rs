//! Media fixtures shared by the estimate tests.

// Each test crate uses some of them.
#![allow(dead_code)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// A PNG header of `width` × `height` (up to IHDR's colour type), base64-encoded.
pub fn png(width: u32, height: u32) -> String {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0]);
    STANDARD.encode(b)
}

/// A mono 16-bit WAV of `data` bytes of silence at `byte_rate` bytes a second.
pub fn wav_bytes(byte_rate: u32, data: u32) -> Vec<u8> {
    let mut w = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0".to_vec();
    w.extend_from_slice(&(byte_rate / 2).to_le_bytes());
    w.extend_from_slice(&byte_rate.to_le_bytes());
    w.extend_from_slice(b"\x02\0\x10\0data");
    w.extend_from_slice(&data.to_le_bytes());
    w.resize(w.len() + data as usize, 0);
    w
}
