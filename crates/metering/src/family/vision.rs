//! Image, video, audio and document token formulas, with every constant from
//! `estimate/vision.toml` (keyed by model, each with its source).
//!
//! ```
//! use tariff_metering::estimate::{vision, Detail, Dims};
//! // OpenAI's worked examples: gpt-4o, 1024×1024 at high detail = 765 tokens.
//! let sq = Dims { width: 1024, height: 1024 };
//! assert_eq!(vision::openai_image("gpt-4o", Some(sq), Detail::High).unwrap().tokens, 765);
//! // Claude: (width × height) / 750.
//! assert_eq!(vision::anthropic_image("claude-sonnet-4-5", Some(sq)).tokens, 1399);
//! // Gemini 2.x: 258 tokens per 768×768 tile.
//! assert_eq!(vision::gemini_image("gemini-2.5-flash", Some(sq), None).unwrap().tokens, 4 * 258);
//! ```

use super::data::{self, vision as table};
use super::dims::{Dims, MediaDuration};
use crate::request::Basis;

/// OpenAI's `detail` setting for an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// A fixed low-resolution budget.
    Low,
    /// Full resolution, tiled.
    High,
    /// The model chooses; counted as high for a bound (flagged).
    Auto,
}

impl Detail {
    /// Parses `low`, `high`, `auto` (and absent, which is `auto`).
    pub fn parse(s: Option<&str>) -> Option<Detail> {
        match s {
            None | Some("auto") => Some(Detail::Auto),
            Some("low") => Some(Detail::Low),
            Some("high") => Some(Detail::High),
            _ => None,
        }
    }
}

/// Gemini 3's media resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// `MEDIA_RESOLUTION_LOW`.
    Low,
    /// `MEDIA_RESOLUTION_MEDIUM`.
    Medium,
    /// `MEDIA_RESOLUTION_HIGH`.
    High,
}

impl Resolution {
    /// Parses `MEDIA_RESOLUTION_LOW` / `media_resolution_low` / `low` and the like.
    pub fn parse(s: &str) -> Option<Resolution> {
        let s = s.to_ascii_lowercase();
        let s = s.trim_start_matches("media_resolution_");
        match s {
            "low" => Some(Resolution::Low),
            "medium" => Some(Resolution::Medium),
            "high" | "ultra_high" => Some(Resolution::High),
            _ => None,
        }
    }
}

/// Tokens for one medium, and how they were arrived at.
#[derive(Clone, Debug, PartialEq)]
pub struct MediaTokens {
    /// The tokens.
    pub tokens: u64,
    /// Exact from the vendor's formula, or a flagged default.
    pub basis: Basis,
    /// How, in words (formula, dimensions, constants, source).
    pub note: String,
}

/// The model has no image formula in `estimate/vision.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoFormula;

/// OpenAI tile formula: `base + tile × tiles` at high detail, `base` at low.
///
/// ```
/// use tariff_metering::estimate::vision::openai_tiles;
/// assert_eq!(openai_tiles(85, 170, 1024, 1024), 765);   // 768×768: 4 tiles
/// assert_eq!(openai_tiles(85, 170, 2048, 4096), 1105);  // 768×1536: 6 tiles
/// assert_eq!(openai_tiles(85, 170, 512, 512), 255);     // no scaling: 1 tile
/// ```
pub fn openai_tiles(base: u64, tile: u64, width: u64, height: u64) -> u64 {
    let r = &table().openai_tile_rules;
    // Exact integer arithmetic (the scaled sides are floored, as a resize to whole pixels
    // is): no float can round a side across a tile boundary, and dimensions up to `u64`
    // cannot overflow in `u128`.
    let (mut w, mut h) = (u128::from(width), u128::from(height));
    let (fit, short, t) = (
        u128::from(r.fit),
        u128::from(r.short_side),
        u128::from(r.tile).max(1),
    );
    if w > fit || h > fit {
        let long = w.max(h);
        (w, h) = (w * fit / long, h * fit / long);
    }
    if w.min(h) > short {
        let s = w.min(h);
        (w, h) = (w * short / s, h * short / s);
    }
    // A side scaled to less than a pixel still occupies a tile.
    let tiles = w.div_ceil(t).max(1) * h.div_ceil(t).max(1);
    let tiles = u64::try_from(tiles).unwrap_or(u64::MAX);
    base.saturating_add(tile.saturating_mul(tiles))
}

/// OpenAI patch formula: the number of 32×32 patches covering the image after scaling it
/// to at most 1,536 patches.
///
/// ```
/// use tariff_metering::estimate::vision::openai_patches;
/// assert_eq!(openai_patches(1024, 1024), 1024);
/// assert_eq!(openai_patches(1800, 2400), 1452); // scaled to 1056×1408: 33 × 44
/// ```
pub fn openai_patches(width: u64, height: u64) -> u64 {
    let r = &table().openai_patch_rules;
    let (p, cap) = (r.patch.max(1), r.max_patches);
    let raw = u128::from(width.div_ceil(p)) * u128::from(height.div_ceil(p));
    if raw <= u128::from(cap) {
        return u64::try_from(raw).unwrap_or(cap);
    }
    // The shrink factor is a square root: computed in floats, whose results are only used
    // below the cap. Any count the floats make of an extreme shape (a side shrunk below a
    // pixel, a non-finite ratio) is held at the cap, the most the formula allows.
    let (pf, w, h) = (p as f64, width as f64, height as f64);
    let shrink = (pf * pf * cap as f64 / (w * h)).sqrt();
    let (w1, h1) = ((w * shrink).floor(), (h * shrink).floor());
    // Shrink further so a whole number of patches spans the tighter side.
    let adjust = ((w1 / pf).floor() / (w1 / pf)).min((h1 / pf).floor() / (h1 / pf));
    let (w2, h2) = ((w1 * adjust).floor(), (h1 * adjust).floor());
    let patches = (w2 / pf).ceil() * (h2 / pf).ceil();
    whole_below(patches, cap).filter(|n| *n > 0).unwrap_or(cap)
}

/// A float that is a whole number in `0..=cap` as that integer; `None` otherwise (NaN,
/// infinite, negative, fractional or above the cap). The only way a float of a formula
/// becomes a count.
fn whole_below(x: f64, cap: u64) -> Option<u64> {
    let ok = x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= cap as f64;
    if ok {
        // In range and whole: the conversion is exact.
        Some(x as u64)
    } else {
        None
    }
}

/// Tokens of an image sent to an OpenAI model. `dims` is `None` when unknown (a URL): the
/// largest count the model's formula allows is returned, flagged as a default.
pub fn openai_image(
    model: &str,
    dims: Option<Dims>,
    detail: Detail,
) -> Result<MediaTokens, NoFormula> {
    let v = table();
    if let Some(p) = v.openai_patches.get(model) {
        let (patches, basis, how) = match dims {
            Some(d) => (
                openai_patches(d.width, d.height),
                Basis::Formula,
                format!("{}×{}", d.width, d.height),
            ),
            None => (
                v.openai_patch_rules.max_patches,
                Basis::Default,
                "size unknown: the 1,536-patch cap".into(),
            ),
        };
        // Exact decimal: the product is rounded once, up.
        let tokens = rust_decimal::Decimal::from(patches)
            .checked_mul(p.multiplier)
            .and_then(|t| rust_decimal::prelude::ToPrimitive::to_u64(&t.ceil()))
            .unwrap_or(u64::MAX);
        return Ok(MediaTokens {
            tokens,
            basis,
            note: format!(
                "image {how}: {patches} patches × {} ({})",
                p.multiplier, p.source
            ),
        });
    }
    let t = v.openai_tiles.get(model).ok_or(NoFormula)?;
    if detail == Detail::Low {
        return Ok(MediaTokens {
            tokens: t.base,
            basis: Basis::Formula,
            note: format!("image at low detail: {} ({})", t.base, t.source),
        });
    }
    let auto = if detail == Detail::Auto {
        ", detail auto counted as high"
    } else {
        ""
    };
    Ok(match dims {
        Some(d) => MediaTokens {
            tokens: openai_tiles(t.base, t.tile, d.width, d.height),
            basis: if detail == Detail::Auto {
                Basis::Default
            } else {
                Basis::Formula
            },
            note: format!(
                "image {}×{}{auto}: {} + {} per tile ({})",
                d.width, d.height, t.base, t.tile, t.source
            ),
        },
        None => {
            let r = &v.openai_tile_rules;
            MediaTokens {
                tokens: openai_tiles(t.base, t.tile, r.short_side, r.fit),
                basis: Basis::Default,
                note: format!(
                    "image size unknown{auto}: the most tiles ({}×{}) ({})",
                    r.short_side, r.fit, t.source
                ),
            }
        }
    })
}

/// Claude's image tokens: `ceil(width × height / 750)` after scaling down to the size
/// limits (long edge 1,568 px, about 1,600 tokens).
///
/// ```
/// use tariff_metering::estimate::{vision::anthropic_image, Dims};
/// let t = |w, h| anthropic_image("claude-sonnet-4-5", Some(Dims { width: w, height: h })).tokens;
/// assert_eq!((t(200, 200), t(1000, 1000), t(1092, 1092)), (54, 1334, 1590));
/// assert_eq!(t(4000, 4000), 1600); // scaled down to the ~1,600-token limit
/// ```
pub fn anthropic_image(_model: &str, dims: Option<Dims>) -> MediaTokens {
    let a = &table().anthropic_image;
    let Some(d) = dims else {
        return MediaTokens {
            tokens: a.max_tokens,
            basis: Basis::Default,
            note: format!(
                "image size unknown: the {}-token limit ({})",
                a.max_tokens, a.source
            ),
        };
    };
    // ⌈w × h / per⌉ after scaling the long edge down to the limit, in exact integers:
    // scaled, w × h becomes w × h × long² / edge², so one division rounds it. A product
    // past `u128` is an image far over the limit: it is held at the limit.
    let (w, h) = (u128::from(d.width), u128::from(d.height));
    let (long, per) = (
        u128::from(a.max_long_edge),
        u128::from(a.pixels_per_token.max(1)),
    );
    let edge = w.max(h);
    let exact = if edge > long {
        w.checked_mul(h)
            .and_then(|wh| wh.checked_mul(long * long))
            .and_then(|n| Some(n.div_ceil(edge.checked_mul(edge)?.checked_mul(per)?)))
    } else {
        w.checked_mul(h).map(|wh| wh.div_ceil(per))
    };
    let tokens = exact
        .map_or(a.max_tokens, |t| u64::try_from(t).unwrap_or(u64::MAX))
        .min(a.max_tokens);
    MediaTokens {
        tokens,
        basis: Basis::Formula,
        note: format!(
            "image {}×{}: width × height / {} ({})",
            d.width, d.height, a.pixels_per_token, a.source
        ),
    }
}

/// Gemini image tokens: 2.x by tiles, 3 by media resolution (`None`: the default, counted
/// at high and flagged).
///
/// ```
/// use tariff_metering::estimate::{vision::{gemini_image, Resolution}, Dims};
/// let small = Some(Dims { width: 384, height: 200 });
/// assert_eq!(gemini_image("gemini-2.0-flash", small, None).unwrap().tokens, 258);
/// let big = Some(Dims { width: 1920, height: 1080 });
/// assert_eq!(gemini_image("gemini-2.5-pro", big, None).unwrap().tokens, 6 * 258); // 3 × 2 tiles
/// assert_eq!(gemini_image("gemini-3-pro-preview", big, Some(Resolution::Low)).unwrap().tokens, 280);
/// ```
pub fn gemini_image(
    model: &str,
    dims: Option<Dims>,
    res: Option<Resolution>,
) -> Result<MediaTokens, NoFormula> {
    let v = table();
    if let Some(g) = v.gemini3.get(model) {
        let (tokens, basis) = match res {
            Some(Resolution::Low) => (g.image_low, Basis::Formula),
            Some(Resolution::Medium) => (g.image_medium, Basis::Formula),
            Some(Resolution::High) => (g.image_high, Basis::Formula),
            None => (g.image_high, Basis::Default),
        };
        return Ok(MediaTokens {
            tokens,
            basis,
            note: format!(
                "image at {} resolution ({})",
                res.map_or("default (high)", res_name),
                g.source
            ),
        });
    }
    let g = v.gemini.get(model).ok_or(NoFormula)?;
    Ok(match dims {
        Some(d) if d.width <= g.small_image_max && d.height <= g.small_image_max => MediaTokens {
            tokens: g.tokens_per_tile,
            basis: Basis::Formula,
            note: format!(
                "image {}×{}: one {}-token image ({})",
                d.width, d.height, g.tokens_per_tile, g.source
            ),
        },
        Some(d) => {
            let t = g.tile_size.max(1);
            let tiles = d.width.div_ceil(t).saturating_mul(d.height.div_ceil(t));
            MediaTokens {
                tokens: tiles.saturating_mul(g.tokens_per_tile),
                basis: Basis::Formula,
                note: format!(
                    "image {}×{}: {tiles} tiles × {} ({})",
                    d.width, d.height, g.tokens_per_tile, g.source
                ),
            }
        }
        None => {
            let tiles = data::vision().gemini_unknown_image.tiles;
            MediaTokens {
                tokens: tiles.saturating_mul(g.tokens_per_tile),
                basis: Basis::Default,
                note: format!("image size unknown: {tiles} tiles assumed ({})", g.source),
            }
        }
    })
}

fn res_name(r: Resolution) -> &'static str {
    match r {
        Resolution::Low => "low",
        Resolution::Medium => "medium",
        Resolution::High => "high",
    }
}

/// Gemini video tokens for `seconds` (with its audio track): `⌈seconds × rate⌉`, rounded
/// once from the exact duration. A count past `u64` is `u64::MAX`, which no estimate
/// accepts.
///
/// ```
/// use tariff_metering::estimate::{vision::gemini_video, MediaDuration};
/// assert_eq!(gemini_video("gemini-2.5-flash", MediaDuration::whole(10), None).unwrap().tokens, 2630);
/// ```
pub fn gemini_video(
    model: &str,
    seconds: MediaDuration,
    res: Option<Resolution>,
) -> Result<MediaTokens, NoFormula> {
    let v = table();
    if let Some(g) = v.gemini3.get(model) {
        let (frame, basis) = match res {
            Some(Resolution::Low) => (g.video_frame_low, Basis::Formula),
            Some(Resolution::Medium) => (g.video_frame_medium, Basis::Formula),
            Some(Resolution::High) => (g.video_frame_high, Basis::Formula),
            None => (g.video_frame_high, Basis::Default),
        };
        let per = frame + g.audio_tokens_per_second;
        return Ok(MediaTokens {
            tokens: seconds.ceil_times(per).unwrap_or(u64::MAX),
            basis,
            note: format!(
                "video {seconds} s × ({frame} per frame + {} audio) ({})",
                g.audio_tokens_per_second, g.source
            ),
        });
    }
    let g = v.gemini.get(model).ok_or(NoFormula)?;
    Ok(MediaTokens {
        tokens: seconds
            .ceil_times(g.video_tokens_per_second)
            .unwrap_or(u64::MAX),
        basis: Basis::Formula,
        note: format!(
            "video {seconds} s × {} tokens/s ({})",
            g.video_tokens_per_second, g.source
        ),
    })
}

/// Gemini audio tokens for `seconds`: `⌈seconds × rate⌉` (`u64::MAX` past `u64`).
///
/// ```
/// use tariff_metering::estimate::{vision::gemini_audio, MediaDuration};
/// assert_eq!(gemini_audio("gemini-2.0-flash", MediaDuration::whole(60)).unwrap().tokens, 1920);
/// ```
pub fn gemini_audio(model: &str, seconds: MediaDuration) -> Result<MediaTokens, NoFormula> {
    let v = table();
    let (per, source) = match (v.gemini3.get(model), v.gemini.get(model)) {
        (Some(g), _) => (g.audio_tokens_per_second, &g.source),
        (None, Some(g)) => (g.audio_tokens_per_second, &g.source),
        (None, None) => return Err(NoFormula),
    };
    Ok(MediaTokens {
        tokens: seconds.ceil_times(per).unwrap_or(u64::MAX),
        basis: Basis::Formula,
        note: format!("audio {seconds} s × {per} tokens/s ({source})"),
    })
}

/// Tokens of a PDF of `pages` pages for a family's model (`u64::MAX` when the product
/// passes `u64`: a page count no estimate accepts, never a wrapped small one).
pub fn pdf(family: PdfFamily, model: &str, pages: u64) -> Result<MediaTokens, NoFormula> {
    let v = table();
    let (per, basis, source) = match family {
        PdfFamily::OpenAi => (
            v.openai_pdf.tokens_per_page,
            Basis::Default,
            v.openai_pdf.source.as_str(),
        ),
        PdfFamily::Anthropic => (
            v.anthropic_pdf.tokens_per_page,
            Basis::Default,
            v.anthropic_pdf.source.as_str(),
        ),
        PdfFamily::Gemini => match (v.gemini3.get(model), v.gemini.get(model)) {
            (Some(g), _) => (g.tokens_per_pdf_page, Basis::Formula, g.source.as_str()),
            (None, Some(g)) => (g.tokens_per_pdf_page, Basis::Formula, g.source.as_str()),
            (None, None) => return Err(NoFormula),
        },
    };
    Ok(MediaTokens {
        tokens: per.saturating_mul(pages),
        basis,
        note: format!("PDF {pages} pages × {per} ({source})"),
    })
}

/// Whose PDF rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdfFamily {
    /// OpenAI (text and an image per page; per-page text assumed).
    OpenAi,
    /// Anthropic (text and an image per page; the documented upper end).
    Anthropic,
    /// Gemini (a fixed count per page).
    Gemini,
}
