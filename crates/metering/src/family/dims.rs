//! What a request's embedded media say about themselves: image dimensions from PNG, JPEG,
//! GIF and WebP headers, audio and video durations from WAV, MP3, FLAC and MP4 headers, PDF
//! page counts. Only what the formulas need is read; nothing is decoded beyond headers except
//! where the information may sit anywhere in the file (MP4's `mvhd`, PDF pages).
//!
//! Every offset is a `u64` advanced with checked arithmetic and turned into a slice index
//! only through `usize::try_from`, so a hostile length field (a RIFF chunk of 0xFFFFFFF7
//! bytes) reads the same on a 32-bit target (wasm32) as on a 64-bit one: it points past the
//! end and the walk stops, instead of wrapping a 32-bit `usize` to a step of zero.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use base64::Engine;
use rust_decimal::Decimal;

/// Pixel dimensions of an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Width in pixels.
    pub width: u64,
    /// Height in pixels.
    pub height: u64,
}

/// A duration read from a media header, kept as the exact fraction the header gives
/// (samples ÷ sample rate, bytes ÷ byte rate, ticks ÷ time scale), so that it is rounded
/// once, by the rule that bills it, and never first through a float or to milliseconds.
///
/// ```
/// use tariff_metering::estimate::MediaDuration;
/// let d = MediaDuration::new(24_996, 10_000).unwrap(); // 2.4996 s
/// assert_eq!(d.to_decimal().unwrap().to_string(), "2.4996");
/// assert_eq!(d.ceil_times(32), Some(80)); // ⌈2.4996 × 32⌉ = ⌈79.9872⌉
/// assert_eq!(MediaDuration::new(2, 3).unwrap().ceil_times(3), Some(2)); // exactly 2
/// assert!(MediaDuration::new(1, 0).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MediaDuration {
    numerator: u128,
    denominator: u64,
}

impl MediaDuration {
    /// `numerator / denominator` seconds, reduced; `None` for a zero denominator.
    pub fn new(numerator: u128, denominator: u64) -> Option<MediaDuration> {
        if denominator == 0 {
            return None;
        }
        let g = gcd(numerator, u128::from(denominator));
        Some(MediaDuration {
            numerator: numerator / g,
            // A divisor of the denominator fits where it did.
            denominator: u64::try_from(u128::from(denominator) / g).ok()?,
        })
    }

    /// A whole number of seconds.
    pub fn whole(seconds: u64) -> MediaDuration {
        MediaDuration {
            numerator: u128::from(seconds),
            denominator: 1,
        }
    }

    /// The numerator of the reduced fraction.
    pub fn numerator(&self) -> u128 {
        self.numerator
    }

    /// The denominator of the reduced fraction (at least 1).
    pub fn denominator(&self) -> u64 {
        self.denominator
    }

    /// `⌈self × per⌉`, the tokens of `per` tokens a second, in integers; `None` when it
    /// passes `u64`.
    pub fn ceil_times(&self, per: u64) -> Option<u64> {
        let n = self.numerator.checked_mul(u128::from(per))?;
        u64::try_from(n.div_ceil(u128::from(self.denominator))).ok()
    }

    /// `self − other`, or `None` when `other` is longer.
    pub fn checked_sub(&self, other: &MediaDuration) -> Option<MediaDuration> {
        let (a, b) = (self.numerator, u128::from(self.denominator));
        let (c, d) = (other.numerator, u128::from(other.denominator));
        let num = a.checked_mul(d)?.checked_sub(c.checked_mul(b)?)?;
        let den = b.checked_mul(d)?;
        let g = gcd(num, den);
        Some(MediaDuration {
            numerator: num / g,
            denominator: u64::try_from(den / g).ok()?,
        })
    }

    /// The seconds as a decimal: exact when the fraction has a terminating expansion within
    /// `Decimal`'s 28 digits, else correct to its last digit. `None` above `Decimal`'s range.
    ///
    /// Rounding this to whole seconds is the same as rounding the fraction: a fraction
    /// that is not exactly a whole number plus a half lies at least `1 / (2 × denominator)`
    /// (more than 10⁻¹⁰ for the 32-bit rates of media headers) from every midpoint, far
    /// more than the decimal's error for durations under [`MAX_COUNT`](crate::MAX_COUNT).
    pub fn to_decimal(&self) -> Option<Decimal> {
        let n = Decimal::try_from_i128_with_scale(i128::try_from(self.numerator).ok()?, 0).ok()?;
        n.checked_div(Decimal::from(self.denominator))
            .map(|d| d.normalize())
    }
}

impl fmt::Display for MediaDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_decimal() {
            Some(d) if self.denominator == 1 || d.scale() < 20 => write!(f, "{d}"),
            Some(d) => write!(f, "≈{}", d.round_dp(6).normalize()),
            None => write!(f, "{}/{}", self.numerator, self.denominator),
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// `len` bytes of `b` from `pos`, or `None` when any of them lies past the end (or past
/// what `usize` addresses).
fn at(b: &[u8], pos: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(pos).ok()?;
    let end = usize::try_from(pos.checked_add(len)?).ok()?;
    b.get(start..end)
}

fn be16(b: &[u8], pos: u64) -> Option<u64> {
    Some(u64::from(u16::from_be_bytes(
        at(b, pos, 2)?.try_into().ok()?,
    )))
}

fn le16(b: &[u8], pos: u64) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        at(b, pos, 2)?.try_into().ok()?,
    )))
}

fn be32(b: &[u8], pos: u64) -> Option<u32> {
    Some(u32::from_be_bytes(at(b, pos, 4)?.try_into().ok()?))
}

fn le32(b: &[u8], pos: u64) -> Option<u32> {
    Some(u32::from_le_bytes(at(b, pos, 4)?.try_into().ok()?))
}

fn le24(b: &[u8], pos: u64) -> Option<u64> {
    let s = at(b, pos, 3)?;
    Some(u64::from(s[0]) | u64::from(s[1]) << 8 | u64::from(s[2]) << 16)
}

/// The length of `b` as a `u64` (lossless on every target Rust supports).
fn len64(b: &[u8]) -> u64 {
    u64::try_from(b.len()).unwrap_or(u64::MAX)
}

/// Base64 characters decoded to find an image header (JPEG's frame header may follow a
/// large EXIF block).
const HEADER_CHARS: usize = 256 * 1024;

/// Decodes base64 (standard or URL-safe, white space tolerated); `limit` characters at
/// most, cut to a whole number of quads. The cut is made in bytes, never in a `str`: a
/// payload holding other characters than base64's is not base64, and a cut inside one of
/// them is a decoding error, not a panic.
pub(crate) fn decode(data: &str, limit: usize) -> Option<Vec<u8>> {
    let data = data.trim().as_bytes();
    let cleaned: std::borrow::Cow<[u8]> = if data.iter().any(u8::is_ascii_whitespace) {
        data.iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect::<Vec<u8>>()
            .into()
    } else {
        data.into()
    };
    let mut take = cleaned.len().min(limit);
    if take < cleaned.len() {
        take -= take % 4;
    }
    let part = cleaned.get(..take)?;
    STANDARD
        .decode(part)
        .or_else(|_| URL_SAFE.decode(part))
        .or_else(|_| STANDARD_NO_PAD.decode(part))
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
/// use tariff_metering::estimate::{image_dims, Dims};
/// let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
/// png.extend_from_slice(&1024u32.to_be_bytes());
/// png.extend_from_slice(&768u32.to_be_bytes());
/// assert_eq!(image_dims(&png), Some(Dims { width: 1024, height: 768 }));
/// assert_eq!(image_dims(b"not an image"), None);
/// ```
pub fn image_dims(b: &[u8]) -> Option<Dims> {
    let dims = |width, height| Some(Dims { width, height }).filter(|d| d.width > 0 && d.height > 0);
    if b.starts_with(b"\x89PNG\r\n\x1a\n") && b.get(12..16) == Some(b"IHDR") {
        return dims(u64::from(be32(b, 16)?), u64::from(be32(b, 20)?));
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return dims(le16(b, 6)?, le16(b, 8)?);
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        return match b.get(12..16)? {
            b"VP8 " if b.get(23..26) == Some(&[0x9d, 0x01, 0x2a]) => {
                dims(le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff)
            }
            b"VP8L" if b.get(20) == Some(&0x2f) => {
                let bits = le32(b, 21)?;
                dims(
                    u64::from(bits & 0x3fff) + 1,
                    u64::from((bits >> 14) & 0x3fff) + 1,
                )
            }
            b"VP8X" => dims(le24(b, 24)? + 1, le24(b, 27)? + 1),
            _ => None,
        };
    }
    if b.starts_with(&[0xff, 0xd8]) {
        let mut pos: u64 = 2;
        while let Some(m) = at(b, pos, 2) {
            if m[0] != 0xff {
                return None;
            }
            let marker = m[1];
            if marker == 0xff {
                pos = pos.checked_add(1)?;
                continue;
            }
            // Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
            if (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker) {
                return dims(be16(b, pos.checked_add(7)?)?, be16(b, pos.checked_add(5)?)?);
            }
            // The segment length counts its own two bytes; the step is at least 2.
            let len = be16(b, pos.checked_add(2)?)?;
            pos = pos.checked_add(2)?.checked_add(len)?;
        }
    }
    None
}

/// The duration of audio or video in a WAV, MP3, FLAC or MP4 (MPEG-4 / QuickTime / M4A)
/// file, from its header, as the exact fraction the header gives (WAV: data size ÷ byte
/// rate; MP3: the Xing / Info or VBRI frame count × samples per frame ÷ sample rate, or for
/// constant bit rate the audio bits ÷ the first frame's bit rate; FLAC: STREAMINFO's total
/// samples ÷ sample rate; MP4: the movie header's duration ÷ time scale).
///
/// ```
/// use tariff_metering::estimate::{media_seconds, MediaDuration};
/// // A WAV header: 16 kHz mono 16-bit (32,000 bytes/s) and 96,000 bytes of samples.
/// let mut wav = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0".to_vec();
/// wav.extend_from_slice(&16_000u32.to_le_bytes());
/// wav.extend_from_slice(&32_000u32.to_le_bytes());
/// wav.extend_from_slice(b"\x02\0\x10\0data");
/// wav.extend_from_slice(&96_000u32.to_le_bytes());
/// assert_eq!(media_seconds(&wav), Some(MediaDuration::whole(3)));
/// ```
pub fn media_seconds(b: &[u8]) -> Option<MediaDuration> {
    if let Some(s) = flac_seconds(b).or_else(|| mp3_seconds(b)) {
        return Some(s);
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WAVE") {
        return wav_seconds(b);
    }
    mp4_seconds(b)
}

/// The offset of the RIFF chunk after the one at `pos` whose body is `size` bytes (padded
/// to an even length). Computed in `u64`, where it is always more than `pos`: in a 32-bit
/// `usize` a size of 0xFFFFFFF7 made `8 + size + 1` wrap to 0, a step of nothing, and the
/// walk never ended.
pub(crate) fn riff_next(pos: u64, size: u32) -> Option<u64> {
    pos.checked_add(8)?
        .checked_add(u64::from(size))?
        .checked_add(u64::from(size & 1))
}

fn wav_seconds(b: &[u8]) -> Option<MediaDuration> {
    let mut pos: u64 = 12;
    let mut byte_rate = None;
    // Every step adds at least 8, and `at` fails past the end: the walk ends.
    while let Some(head) = at(b, pos, 8) {
        let size = u32::from_le_bytes(head[4..8].try_into().ok()?);
        match &head[..4] {
            b"fmt " => byte_rate = Some(le32(b, pos.checked_add(16)?)?),
            b"data" => {
                let rate = byte_rate.filter(|r| *r > 0)?;
                // A streamed WAV may leave the size unset (0 or all ones): use what is there.
                let have = len64(b).checked_sub(pos.checked_add(8)?)?;
                let size = if size == 0 || size == u32::MAX {
                    have
                } else {
                    u64::from(size)
                };
                return MediaDuration::new(u128::from(size), u64::from(rate));
            }
            _ => {}
        }
        pos = riff_next(pos, size)?;
    }
    None
}

/// MP4: the movie header (`mvhd`), wherever it is: its time scale and duration.
fn mp4_seconds(b: &[u8]) -> Option<MediaDuration> {
    let at_mvhd = u64::try_from(find(b, b"mvhd")?).ok()?;
    let version = *at(b, at_mvhd.checked_add(4)?, 1)?.first()?;
    let (scale_at, long) = if version == 1 {
        (at_mvhd.checked_add(24)?, true)
    } else {
        (at_mvhd.checked_add(16)?, false)
    };
    let scale = be32(b, scale_at)?;
    let dur_at = scale_at.checked_add(4)?;
    let duration = if long {
        u64::from_be_bytes(at(b, dur_at, 8)?.try_into().ok()?)
    } else {
        u64::from(be32(b, dur_at)?)
    };
    MediaDuration::new(u128::from(duration), u64::from(scale))
}

/// FLAC: STREAMINFO (always the first metadata block) holds the sample rate (20 bits) and
/// the total samples (36 bits) at bytes 10..18 of its body.
fn flac_seconds(b: &[u8]) -> Option<MediaDuration> {
    let info = b.strip_prefix(b"fLaC")?.get(4..4 + 34)?;
    let x = u64::from_be_bytes(info.get(10..18)?.try_into().ok()?);
    let rate = x >> 44;
    let samples = x & 0xf_ffff_ffff;
    if samples == 0 {
        return None;
    }
    MediaDuration::new(u128::from(samples), rate)
}

/// MP3 (MPEG-1/2/2.5 audio): after an ID3v2 tag, the first frame header gives the version,
/// layer, bit rate and sample rate (ISO/IEC 11172-3, 13818-3). A Xing / Info or VBRI header
/// in that frame counts the frames (variable bit rate); without one the stream is taken as
/// constant bit rate.
fn mp3_seconds(b: &[u8]) -> Option<MediaDuration> {
    let mut start: u64 = 0;
    if b.starts_with(b"ID3") {
        let h = b.get(..10)?;
        // A syncsafe integer: 4 × 7 bits.
        let size = h[6..10]
            .iter()
            .fold(0u64, |n, &x| (n << 7) | u64::from(x & 0x7f));
        let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
        start = 10u64.checked_add(size)?.checked_add(footer)?;
    }
    let h = be32(b, start)?;
    if h >> 21 != 0x7ff {
        return None;
    }
    let version = (h >> 19) & 3; // 0: MPEG-2.5, 2: MPEG-2, 3: MPEG-1
    let layer = (h >> 17) & 3; // 1: III, 2: II, 3: I
    let (bitrate_i, rate_i) = ((h >> 12) & 15, (h >> 10) & 3);
    if version == 1 || layer == 0 || bitrate_i == 0 || bitrate_i == 15 || rate_i == 3 {
        return None;
    }
    let mpeg1 = version == 3;
    let rate =
        [44_100u32, 48_000, 32_000].get(usize::try_from(rate_i).ok()?)? >> (3 - version).min(2);
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
    let kbps = *kbps.get(usize::try_from(bitrate_i - 1).ok()?)?;
    let bits_per_second = u64::from(kbps) * 1000;
    let samples_per_frame: u64 = match (layer, mpeg1) {
        (3, _) => 384,
        (1, false) => 576,
        _ => 1152,
    };
    let mono = (h >> 6) & 3 == 3;
    // The Xing / Info tag follows the side information, whose size depends on both.
    let side: u64 = match (mpeg1, mono) {
        (true, false) => 32,
        (true, true) | (false, false) => 17,
        (false, true) => 9,
    };
    let xing = start.checked_add(4 + side)?;
    let vbri = start.checked_add(36)?;
    let counted = match at(b, xing, 4) {
        Some(b"Xing" | b"Info")
            if at(b, xing.saturating_add(7), 1).is_some_and(|f| f[0] & 1 != 0) =>
        {
            be32(b, xing.saturating_add(8))
        }
        _ if at(b, vbri, 4) == Some(b"VBRI") => be32(b, vbri.saturating_add(14)),
        _ => None,
    };
    if let Some(frames) = counted {
        return MediaDuration::new(
            u128::from(frames) * u128::from(samples_per_frame),
            u64::from(rate),
        );
    }
    let mut end = len64(b);
    if end >= start.checked_add(128)? && at(b, end - 128, 3) == Some(b"TAG") {
        end -= 128;
    }
    let bytes = end.checked_sub(start)?;
    MediaDuration::new(u128::from(bytes) * 8, bits_per_second)
}

/// Pages of a PDF: the page objects (`/Type /Page`), or failing that (pages inside
/// compressed object streams) the largest `/Count` of a page tree. A `/Count` too long
/// for a `u64` counts as `u64::MAX`, which no estimate accepts, rather than being skipped.
///
/// ```
/// use tariff_metering::estimate::pdf_pages;
/// let pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>\n2 0 obj << /Type /Page >>\n3 0 obj <</Type/Page>>";
/// assert_eq!(pdf_pages(pdf), Some(2));
/// ```
pub fn pdf_pages(b: &[u8]) -> Option<u64> {
    if !b.starts_with(b"%PDF") {
        return None;
    }
    let mut pages: u64 = 0;
    let mut rest = b;
    while let Some(p) = find(rest, b"/Type") {
        let after = rest.get(p + 5..)?;
        let name = after.trim_ascii_start();
        if name.starts_with(b"/Page") && !name[5..].starts_with(b"s") {
            pages = pages.saturating_add(1);
        }
        rest = name;
    }
    if pages > 0 {
        return Some(pages);
    }
    let mut best = None;
    let mut rest = b;
    while let Some(p) = find(rest, b"/Count") {
        rest = rest.get(p + 6..)?;
        let digits = rest.trim_ascii_start();
        let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 {
            let count = digits[..n].iter().try_fold(0u64, |acc, d| {
                acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            });
            best = best.max(Some(count.unwrap_or(u64::MAX)));
        }
    }
    best.filter(|n| *n > 0)
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    memchr::memmem::find(h, n)
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
        assert_eq!(media_seconds(&mp4), MediaDuration::new(25, 2));
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

    /// Regression: the header window was cut with `&str[..n]`, which panics when byte `n`
    /// falls inside a character (`€` is three bytes).
    #[test]
    fn a_window_cut_inside_a_character_is_not_base64() {
        let payload = format!("AB{}", "€".repeat(90_000));
        assert_eq!(image_dims_b64(&payload), None);
        // Cuts at 4 and 8 bytes fall inside the first and third `€`.
        for limit in [4, 5, 6, 7, 9, 10, 11, HEADER_CHARS] {
            assert_eq!(decode(&payload, limit), None, "limit {limit}");
        }
        // A valid prefix is still read when the window ends before the other characters.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&64u32.to_be_bytes());
        png.extend_from_slice(&32u32.to_be_bytes());
        let mut text = STANDARD.encode(&png);
        text.push_str(&"A".repeat(HEADER_CHARS));
        text.push_str("ééé");
        assert_eq!(
            image_dims_b64(&text),
            Some(Dims {
                width: 64,
                height: 32
            })
        );
    }

    /// The step of the RIFF walk, computed as a 32-bit `usize` did on wasm32, was
    /// `8 + size + (size & 1)` wrapping to 0 for size 0xFFFFFFF7..=0xFFFFFFFF. In `u64` it is
    /// more than 4 GiB and ends the walk on every target.
    #[test]
    fn riff_steps_always_advance_whatever_the_address_width() {
        for size in [0xFFFF_FFF7u32, 0xFFFF_FFF8, 0xFFFF_FFFE, 0xFFFF_FFFF, 0, 1] {
            let next = riff_next(12, size).unwrap();
            assert!(next >= 12 + 8, "size {size:#x}");
            // What a 32-bit usize made of it: no step at all for the hostile sizes.
            let wrapped = 12u32.wrapping_add(8u32.wrapping_add(size).wrapping_add(size & 1));
            assert!(u64::from(wrapped) <= next);
            // Past what a 32-bit target addresses: the walk's read fails there.
            if size >= 0xFFFF_FFF7 {
                assert!(next > u64::from(u32::MAX));
            }
        }
        assert_eq!(riff_next(u64::MAX - 8, 1), None);
    }

    /// A WAV whose first chunk claims 0xFFFFFFF7 bytes: the walk steps past the end and
    /// finds no `data`, on any target.
    #[test]
    fn hostile_riff_chunk_sizes_end_the_walk() {
        for size in [0xFFFF_FFF7u32, 0xFFFF_FFFF, 0x7FFF_FFFF] {
            let mut wav = b"RIFF\0\0\0\0WAVEjunk".to_vec();
            wav.extend_from_slice(&size.to_le_bytes());
            wav.extend_from_slice(b"fmt \x10\0\0\0\x01\0\x01\0");
            wav.extend_from_slice(&16_000u32.to_le_bytes());
            wav.extend_from_slice(&32_000u32.to_le_bytes());
            wav.extend_from_slice(b"\x02\0\x10\0data\0\x7d\0\0");
            assert_eq!(media_seconds(&wav), None, "size {size:#x}");
        }
        // The wasm32 hang the fuzz corpus found: `fmt `, then `junk` of 0xFFFFFFF7 bytes,
        // then `data` (the 32-bit step wrapped to 0 and re-read `junk` forever).
        let mut wav =
            b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0\0\x7d\0\0".to_vec();
        wav.extend_from_slice(b"\x02\0\x10\0junk\xf7\xff\xff\xffdata\0\x7d\0\0");
        wav.resize(116, 0);
        assert_eq!(media_seconds(&wav), None);
        // A data chunk before any `fmt `: no byte rate, no duration.
        assert_eq!(media_seconds(b"RIFF\0\0\0\0WAVEdata\xf7\xff\xff\xff"), None);
    }

    /// Hostile lengths in the other headers: JPEG segments, ID3 tags, MP4 boxes, FLAC rates
    /// and PDF counts end in `None` or a value, never a panic or a wrap.
    #[test]
    fn hostile_lengths_in_other_headers() {
        // JPEG: a segment length of 0xFFFF past the end.
        assert_eq!(image_dims(&[0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 0]), None);
        // JPEG: a zero length still advances (by the marker's two bytes).
        assert_eq!(
            image_dims(&[0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xe1, 0, 0]),
            None
        );
        // ID3 with the largest syncsafe size: the frame header is past the end.
        assert_eq!(
            media_seconds(b"ID3\x04\0\0\x7f\x7f\x7f\x7f\xff\xfb\x90\0"),
            None
        );
        // MP4: mvhd at the very end, a zero time scale.
        assert_eq!(media_seconds(b"mvhd"), None);
        let mut mp4 = b"mvhd\x01".to_vec();
        mp4.resize(28, 0);
        mp4.extend_from_slice(&[0xff; 8]);
        assert_eq!(media_seconds(&mp4), None);
        // MP4 version 1 with the largest duration: an exact, huge fraction.
        let mut mp4 = b"mvhd\x01".to_vec();
        mp4.resize(24, 0);
        mp4.extend_from_slice(&1u32.to_be_bytes());
        mp4.extend_from_slice(&u64::MAX.to_be_bytes());
        let d = media_seconds(&mp4).unwrap();
        assert_eq!((d.numerator(), d.denominator()), (u128::from(u64::MAX), 1));
        assert_eq!(d.ceil_times(2), None);
        // FLAC: a zero sample rate.
        let mut f = b"fLaC\x80\0\0\x22".to_vec();
        let mut info = [0u8; 34];
        info[10..18].copy_from_slice(&1000u64.to_be_bytes());
        f.extend_from_slice(&info);
        assert_eq!(media_seconds(&f), None);
        // PDF: a page count past u64 is held at u64::MAX, not skipped or wrapped.
        assert_eq!(
            pdf_pages(b"%PDF-1.7 /Count 99999999999999999999999 /Count 3"),
            Some(u64::MAX)
        );
        assert_eq!(
            pdf_pages(b"%PDF-1.7 /Count 148375984940707263"),
            Some(148_375_984_940_707_263)
        );
        // PDF: a name at the very end.
        assert_eq!(pdf_pages(b"%PDF /Type"), None);
        assert_eq!(pdf_pages(b"%PDF /Type /Page"), Some(1));
    }

    #[test]
    fn durations_are_exact_fractions() {
        let d = MediaDuration::new(24_996, 10_000).unwrap();
        assert_eq!((d.numerator(), d.denominator()), (6_249, 2_500));
        assert_eq!(d.to_decimal().unwrap().to_string(), "2.4996");
        assert_eq!(d.to_string(), "2.4996");
        let third = MediaDuration::new(1, 3).unwrap();
        assert_eq!(third.ceil_times(3), Some(1));
        assert_eq!(third.to_string(), "≈0.333333");
        let a = MediaDuration::new(103, 10).unwrap();
        let b = MediaDuration::new(3, 10).unwrap();
        assert_eq!(a.checked_sub(&b), Some(MediaDuration::whole(10)));
        assert_eq!(b.checked_sub(&a), None);
    }
}
