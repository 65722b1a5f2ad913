//! What a request's embedded media say about themselves: image dimensions from PNG, JPEG,
//! GIF and WebP headers, audio and video durations from WAV and MP4 headers, PDF page
//! counts. Only what the formulas need is read; nothing is decoded beyond headers except
//! where the information may sit anywhere in the file (MP4's `mvhd`, PDF pages).

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;

/// Pixel dimensions of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Width in pixels.
    pub width: u64,
    /// Height in pixels.
    pub height: u64,
}

/// Base64 characters decoded to find an image header (JPEG's frame header may follow a
/// large EXIF block).
const HEADER_CHARS: usize = 256 * 1024;

/// Decodes base64 (standard or URL-safe, white space tolerated); `limit` characters at
/// most, cut to a whole number of quads.
pub(crate) fn decode(data: &str, limit: usize) -> Option<Vec<u8>> {
    let data = data.trim();
    let cleaned: std::borrow::Cow<str> = if data.bytes().any(|b| b.is_ascii_whitespace()) {
        data.chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect::<String>()
            .into()
    } else {
        data.into()
    };
    let mut take = cleaned.len().min(limit);
    if take < cleaned.len() {
        take -= take % 4;
    }
    let part = &cleaned[..take];
    STANDARD
        .decode(part)
        .or_else(|_| URL_SAFE.decode(part))
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(part))
        .ok()
}

/// The base64 payload and media type of a `data:` URL.
pub(crate) fn data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    Some((mime, data))
}

/// Image dimensions from base64 image data.
pub(crate) fn image_dims_b64(data: &str) -> Option<Dims> {
    let bytes = decode(data, HEADER_CHARS)?;
    image_dims(&bytes)
}

/// Image dimensions from the first bytes of a PNG, JPEG, GIF or WebP file.
///
/// ```
/// use tariff::estimate::{image_dims, Dims};
/// let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
/// png.extend_from_slice(&1024u32.to_be_bytes());
/// png.extend_from_slice(&768u32.to_be_bytes());
/// assert_eq!(image_dims(&png), Some(Dims { width: 1024, height: 768 }));
/// assert_eq!(image_dims(b"not an image"), None);
/// ```
pub fn image_dims(b: &[u8]) -> Option<Dims> {
    let be16 = |i: usize| {
        Some(u64::from(u16::from_be_bytes(
            b.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let le16 = |i: usize| {
        Some(u64::from(u16::from_le_bytes(
            b.get(i..i + 2)?.try_into().ok()?,
        )))
    };
    let be32 = |i: usize| {
        Some(u64::from(u32::from_be_bytes(
            b.get(i..i + 4)?.try_into().ok()?,
        )))
    };
    let le24 = |i: usize| {
        let s = b.get(i..i + 3)?;
        Some(u64::from(s[0]) | u64::from(s[1]) << 8 | u64::from(s[2]) << 16)
    };
    let dims = |width, height| Some(Dims { width, height }).filter(|d| d.width > 0 && d.height > 0);
    if b.starts_with(b"\x89PNG\r\n\x1a\n") && b.get(12..16) == Some(b"IHDR") {
        return dims(be32(16)?, be32(20)?);
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return dims(le16(6)?, le16(8)?);
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        return match b.get(12..16)? {
            b"VP8 " if b.get(23..26) == Some(&[0x9d, 0x01, 0x2a]) => {
                dims(le16(26)? & 0x3fff, le16(28)? & 0x3fff)
            }
            b"VP8L" if b.get(20) == Some(&0x2f) => {
                let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
                dims(
                    u64::from(bits & 0x3fff) + 1,
                    u64::from((bits >> 14) & 0x3fff) + 1,
                )
            }
            b"VP8X" => dims(le24(24)? + 1, le24(27)? + 1),
            _ => None,
        };
    }
    if b.starts_with(&[0xff, 0xd8]) {
        let mut i = 2;
        while i + 4 <= b.len() {
            if b[i] != 0xff {
                return None;
            }
            let marker = b[i + 1];
            if marker == 0xff {
                i += 1;
                continue;
            }
            let len = be16(i + 2)? as usize;
            // Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
            if (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker) {
                return dims(be16(i + 7)?, be16(i + 5)?);
            }
            i += 2 + len;
        }
    }
    None
}

/// Seconds of audio or video in a WAV, MP3, FLAC or MP4 (MPEG-4 / QuickTime / M4A) file,
/// from its header (WAV: data size ÷ byte rate; MP3: the Xing / Info or VBRI frame count, or
/// for constant bit rate the audio bytes ÷ the first frame's bit rate; FLAC: STREAMINFO's
/// total samples ÷ sample rate; MP4: the movie header's duration ÷ time scale).
///
/// ```
/// use tariff::estimate::media_seconds;
/// // A WAV header: 16 kHz mono 16-bit (32,000 bytes/s) and 96,000 bytes of samples.
/// let mut wav = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0".to_vec();
/// wav.extend_from_slice(&16_000u32.to_le_bytes());
/// wav.extend_from_slice(&32_000u32.to_le_bytes());
/// wav.extend_from_slice(b"\x02\0\x10\0data");
/// wav.extend_from_slice(&96_000u32.to_le_bytes());
/// assert_eq!(media_seconds(&wav), Some(3.0));
/// ```
pub fn media_seconds(b: &[u8]) -> Option<f64> {
    if let Some(s) = flac_seconds(b).or_else(|| mp3_seconds(b)) {
        return Some(s);
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WAVE") {
        let mut i = 12;
        let mut byte_rate = None;
        while i + 8 <= b.len() {
            let id = &b[i..i + 4];
            let size = u32::from_le_bytes(b[i + 4..i + 8].try_into().ok()?) as usize;
            if id == b"fmt " {
                byte_rate = Some(u32::from_le_bytes(b.get(i + 16..i + 20)?.try_into().ok()?));
            } else if id == b"data" {
                let rate = f64::from(byte_rate.filter(|r| *r > 0)?);
                // A streamed WAV may leave the size unset (0 or all ones): use what is there.
                let have = b.len() - (i + 8);
                let size = if size == 0 || size == u32::MAX as usize {
                    have
                } else {
                    size
                };
                return Some(size as f64 / rate);
            }
            i += 8 + size + (size & 1);
        }
        return None;
    }
    let at = b.windows(4).position(|w| w == b"mvhd")?;
    let v = *b.get(at + 4)?;
    let (scale_at, dur_len) = if v == 1 { (at + 24, 8) } else { (at + 16, 4) };
    let scale = u32::from_be_bytes(b.get(scale_at..scale_at + 4)?.try_into().ok()?);
    let d = b.get(scale_at + 4..scale_at + 4 + dur_len)?;
    let duration = if dur_len == 8 {
        u64::from_be_bytes(d.try_into().ok()?)
    } else {
        u64::from(u32::from_be_bytes(d.try_into().ok()?))
    };
    (scale > 0).then(|| duration as f64 / f64::from(scale))
}

/// FLAC: STREAMINFO (always the first metadata block) holds the sample rate (20 bits) and
/// the total samples (36 bits) at bytes 10..18 of its body.
fn flac_seconds(b: &[u8]) -> Option<f64> {
    let info = b.strip_prefix(b"fLaC")?.get(4..4 + 34)?;
    let x = u64::from_be_bytes(info.get(10..18)?.try_into().ok()?);
    let rate = x >> 44;
    let samples = x & 0xf_ffff_ffff;
    (rate > 0 && samples > 0).then(|| samples as f64 / rate as f64)
}

/// MP3 (MPEG-1/2/2.5 audio): after an ID3v2 tag, the first frame header gives the version,
/// layer, bit rate and sample rate (ISO/IEC 11172-3, 13818-3). A Xing / Info or VBRI header
/// in that frame counts the frames (variable bit rate); without one the stream is taken as
/// constant bit rate.
fn mp3_seconds(b: &[u8]) -> Option<f64> {
    let mut start = 0;
    if b.starts_with(b"ID3") {
        let h = b.get(..10)?;
        let size = h[6..10]
            .iter()
            .fold(0usize, |n, &x| (n << 7) | usize::from(x & 0x7f));
        let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
        start = 10 + size + footer;
    }
    let h = u32::from_be_bytes(b.get(start..start + 4)?.try_into().ok()?);
    if h >> 21 != 0x7ff {
        return None;
    }
    let version = (h >> 19) & 3; // 0: MPEG-2.5, 2: MPEG-2, 3: MPEG-1
    let layer = (h >> 17) & 3; // 1: III, 2: II, 3: I
    let (bitrate_i, rate_i) = (((h >> 12) & 15) as usize, ((h >> 10) & 3) as usize);
    if version == 1 || layer == 0 || bitrate_i == 0 || bitrate_i == 15 || rate_i == 3 {
        return None;
    }
    let mpeg1 = version == 3;
    let rate = [44_100u32, 48_000, 32_000][rate_i] >> (3 - version).min(2);
    let kbps: [u16; 14] = match (mpeg1, layer) {
        (true, 3) => [
            32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
        ],
        (true, 2) => [
            32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ],
        (true, _) => [
            32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ],
        (false, 3) => [
            32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
        ],
        (false, _) => [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    };
    let bitrate = f64::from(kbps[bitrate_i - 1]) * 1000.0;
    let samples_per_frame: u32 = match (layer, mpeg1) {
        (3, _) => 384,
        (1, false) => 576,
        _ => 1152,
    };
    let mono = (h >> 6) & 3 == 3;
    // The Xing / Info tag follows the side information, whose size depends on both.
    let side = match (mpeg1, mono) {
        (true, false) => 32,
        (true, true) | (false, false) => 17,
        (false, true) => 9,
    };
    let frames = |at: usize| {
        b.get(at..at + 4)
            .map(|f| u32::from_be_bytes(f.try_into().unwrap()))
    };
    let xing = start + 4 + side;
    let counted = match b.get(xing..xing + 4) {
        Some(b"Xing" | b"Info") if b.get(xing + 7).is_some_and(|f| f & 1 != 0) => frames(xing + 8),
        _ if b.get(start + 36..start + 40) == Some(b"VBRI") => frames(start + 36 + 14),
        _ => None,
    };
    if let Some(n) = counted {
        return Some(f64::from(n) * f64::from(samples_per_frame) / f64::from(rate));
    }
    let mut end = b.len();
    if end >= start + 128 && &b[end - 128..end - 125] == b"TAG" {
        end -= 128;
    }
    Some((end - start) as f64 * 8.0 / bitrate)
}

/// Pages of a PDF: the page objects (`/Type /Page`), or failing that (pages inside
/// compressed object streams) the largest `/Count` of a page tree.
///
/// ```
/// use tariff::estimate::pdf_pages;
/// let pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>\n2 0 obj << /Type /Page >>\n3 0 obj <</Type/Page>>";
/// assert_eq!(pdf_pages(pdf), Some(2));
/// ```
pub fn pdf_pages(b: &[u8]) -> Option<u64> {
    if !b.starts_with(b"%PDF") {
        return None;
    }
    let mut pages = 0;
    let mut i = 0;
    while let Some(p) = find(&b[i..], b"/Type") {
        let mut j = i + p + 5;
        while b.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
            j += 1;
        }
        if b[j..].starts_with(b"/Page") && !b[j + 5..].starts_with(b"s") {
            pages += 1;
        }
        i = j;
    }
    if pages > 0 {
        return Some(pages);
    }
    let mut best = None;
    let mut i = 0;
    while let Some(p) = find(&b[i..], b"/Count") {
        let s = &b[i + p + 6..];
        let digits: Vec<u8> = s
            .iter()
            .skip_while(|c| c.is_ascii_whitespace())
            .take_while(|c| c.is_ascii_digit())
            .cloned()
            .collect();
        if let Some(n) = std::str::from_utf8(&digits)
            .ok()
            .and_then(|d| d.parse::<u64>().ok())
        {
            best = best.max(Some(n));
        }
        i += p + 6;
    }
    best.filter(|n| *n > 0)
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// Decodes all of a base64 payload (for durations and page counts, which may be anywhere).
pub(crate) fn decode_all(data: &str) -> Option<Vec<u8>> {
    decode(data, usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_gif_webp_headers() {
        // SOI, an APP0 segment of 16 bytes, then SOF0 with height 600 and width 800.
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
        jpeg.extend_from_slice(&[0; 14]);
        jpeg.extend_from_slice(&[0xff, 0xc0, 0x00, 0x11, 0x08, 0x02, 0x58, 0x03, 0x20]);
        assert_eq!(
            image_dims(&jpeg),
            Some(Dims {
                width: 800,
                height: 600
            })
        );
        let gif = b"GIF89a\x40\x01\xf0\x00";
        assert_eq!(
            image_dims(gif),
            Some(Dims {
                width: 320,
                height: 240
            })
        );
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        webp.extend_from_slice(&[0xff, 0x03, 0x00, 0xff, 0x02, 0x00]);
        assert_eq!(
            image_dims(&webp),
            Some(Dims {
                width: 1024,
                height: 768
            })
        );
    }

    #[test]
    fn mp4_movie_header() {
        let mut mp4 =
            b"\0\0\0\x20ftypisom\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0moov\0\0\0\0mvhd\0\0\0\0"
                .to_vec();
        mp4.extend_from_slice(&[0; 8]);
        mp4.extend_from_slice(&1000u32.to_be_bytes());
        mp4.extend_from_slice(&12_500u32.to_be_bytes());
        assert_eq!(media_seconds(&mp4), Some(12.5));
    }

    #[test]
    fn data_urls_and_base64() {
        assert_eq!(
            data_url("data:image/png;base64,AAAA"),
            Some(("image/png", "AAAA"))
        );
        assert_eq!(data_url("https://example.com/a.png"), None);
        assert_eq!(decode("aGVs\nbG8=", usize::MAX).unwrap(), b"hello");
        assert!(decode("%%%", usize::MAX).is_none());
    }
}
