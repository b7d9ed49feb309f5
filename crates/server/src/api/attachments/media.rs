//! What an upload is, judged by its content, and the variants made from it: a public copy
//! without metadata and a small JPEG thumbnail.
//!
//! Photos are decoded and encoded again from their pixels, which leaves every EXIF, XMP and IPTC
//! segment behind (GPS position, camera serial numbers, the time taken); the EXIF orientation is
//! applied to the pixels first, so that the copy stands the right way up without it. The colour
//! profile (ICC) is kept: it says how to show the colours and nothing about the photographer.
//! Videos are stripped box by box (see [`super::isobmff`]); their thumbnail is a placeholder.

use std::io::Cursor;
use std::sync::OnceLock;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageReader, Limits, Rgb, RgbImage};

use super::isobmff;

/// Largest photo accepted: 10 MiB.
pub const MAX_PHOTO_BYTES: usize = 10 << 20;
/// Largest video accepted: 50 MiB (about a minute from a phone at 1080p).
pub const MAX_VIDEO_BYTES: usize = 50 << 20;
/// Largest photo in pixels (a 50-megapixel phone camera's full resolution), so that a small file
/// cannot unpack into gigabytes.
pub const MAX_PIXELS: u64 = 50_000_000;
/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;

const JPEG_QUALITY: u8 = 90;
const THUMBNAIL_QUALITY: u8 = 80;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Photo,
    Video,
}

/// A media type we accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    Mp4,
    QuickTime,
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Mp4 => "video/mp4",
            Format::QuickTime => "video/quicktime",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Format::Jpeg | Format::Png | Format::WebP => Kind::Photo,
            Format::Mp4 | Format::QuickTime => Kind::Video,
        }
    }

    pub fn max_bytes(self) -> usize {
        match self.kind() {
            Kind::Photo => MAX_PHOTO_BYTES,
            Kind::Video => MAX_VIDEO_BYTES,
        }
    }

    /// Whether a declared media type (a `Content-Type`) names this format. MP4 and QuickTime
    /// are one container family (ISO base media): phones and browsers label them loosely.
    pub fn matches_declared(self, declared: &str) -> bool {
        let declared = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let names: &[&str] = match self {
            Format::Jpeg => &["image/jpeg", "image/jpg", "image/pjpeg"],
            Format::Png => &["image/png", "image/x-png"],
            Format::WebP => &["image/webp"],
            Format::Mp4 | Format::QuickTime => &["video/mp4", "video/quicktime", "video/x-m4v"],
        };
        names.contains(&declared.as_str())
    }
}

/// A declared type that says nothing: the content decides alone.
pub fn is_undeclared(declared: Option<&str>) -> bool {
    declared
        .map(|d| d.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .is_none_or(|d| d.is_empty() || d == "application/octet-stream" || d == "binary/octet-stream")
}

/// The accepted types, for messages.
pub const ACCEPTED: &str = "image/jpeg, image/png, image/webp, video/mp4, video/quicktime";

/// What the content is, from its first bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Sniffed {
    Accepted(Format),
    /// A type we recognise but do not take, e.g. `image/heif` or `application/pdf`.
    Refused(&'static str),
    Unknown,
}

pub fn sniff(bytes: &[u8]) -> Sniffed {
    let Some(t) = infer::get(bytes) else { return Sniffed::Unknown };
    match t.mime_type() {
        "image/jpeg" => Sniffed::Accepted(Format::Jpeg),
        "image/png" => Sniffed::Accepted(Format::Png),
        "image/webp" => Sniffed::Accepted(Format::WebP),
        "video/mp4" | "video/x-m4v" => Sniffed::Accepted(Format::Mp4),
        "video/quicktime" => Sniffed::Accepted(Format::QuickTime),
        other => Sniffed::Refused(other),
    }
}

/// Why an upload's content cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum MediaError {
    /// The content does not decode as the format it claims to be (the detail is the decoder's).
    Undecodable(String),
    /// More pixels than [`MAX_PIXELS`].
    TooManyPixels { width: u32, height: u32 },
    /// A video whose metadata cannot be removed safely (the detail says why).
    Unstrippable(String),
}

/// The variants made from an upload.
#[derive(Debug)]
pub struct Variants {
    pub public: Vec<u8>,
    pub thumbnail: Vec<u8>,
}

/// Makes the public variant and the thumbnail. CPU-bound: run it off the async runtime.
pub fn variants(format: Format, bytes: &[u8]) -> Result<Variants, MediaError> {
    match format.kind() {
        Kind::Photo => photo(format, bytes),
        Kind::Video => {
            let public = isobmff::strip(bytes).map_err(MediaError::Unstrippable)?;
            Ok(Variants { public, thumbnail: video_placeholder().to_vec() })
        }
    }
}

fn undecodable(e: impl std::fmt::Display) -> MediaError {
    MediaError::Undecodable(e.to_string())
}

fn photo(format: Format, bytes: &[u8]) -> Result<Variants, MediaError> {
    let image_format = match format {
        Format::Jpeg => image::ImageFormat::Jpeg,
        Format::Png => image::ImageFormat::Png,
        _ => image::ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::TooManyPixels { width, height });
    }
    let orientation = decoder.orientation().map_err(undecodable)?;
    // A broken profile is no reason to refuse the photo: it is shown without one.
    let icc = decoder.icc_profile().ok().flatten();
    let mut img = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    img.apply_orientation(orientation);

    let mut public = Vec::new();
    match format {
        Format::Jpeg => {
            let mut enc = JpegEncoder::new_with_quality(&mut public, JPEG_QUALITY);
            if let Some(icc) = icc {
                let _ = enc.set_icc_profile(icc);
            }
            let img =
                if img.color().has_color() { DynamicImage::ImageRgb8(img.to_rgb8()) } else { img.to_luma8().into() };
            img.write_with_encoder(enc).map_err(undecodable)?;
        }
        Format::Png => {
            let mut enc = PngEncoder::new(&mut public);
            if let Some(icc) = icc {
                let _ = enc.set_icc_profile(icc);
            }
            img.write_with_encoder(enc).map_err(undecodable)?;
        }
        _ => {
            let mut enc = WebPEncoder::new_lossless(&mut public);
            if let Some(icc) = icc {
                let _ = enc.set_icc_profile(icc);
            }
            let img = if img.color().has_alpha() {
                DynamicImage::ImageRgba8(img.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(img.to_rgb8())
            };
            img.write_with_encoder(enc).map_err(undecodable)?;
        }
    }
    Ok(Variants { public, thumbnail: thumbnail(&img)? })
}

/// At most [`THUMBNAIL_SIDE`] on the long side, never enlarged; transparency over white.
fn thumbnail(img: &DynamicImage) -> Result<Vec<u8>, MediaError> {
    let small = if img.width().max(img.height()) > THUMBNAIL_SIDE {
        img.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
    } else {
        img.clone()
    };
    let rgba = small.to_rgba8();
    let rgb = RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        Rgb([over_white(r), over_white(g), over_white(b)])
    });
    encode_jpeg(&rgb, THUMBNAIL_QUALITY)
}

fn encode_jpeg(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality).encode_image(rgb).map_err(undecodable)?;
    Ok(out)
}

/// The thumbnail of every video: a dark 320×180 frame with a light "play" triangle. Made once.
pub fn video_placeholder() -> &'static [u8] {
    static PLACEHOLDER: OnceLock<Vec<u8>> = OnceLock::new();
    PLACEHOLDER.get_or_init(|| {
        let (w, h) = (THUMBNAIL_SIDE, THUMBNAIL_SIDE * 9 / 16);
        let (cx, cy, r) = (w as i32 / 2, h as i32 / 2, h as i32 / 4);
        let img = RgbImage::from_fn(w, h, |x, y| {
            let (dx, dy) = (x as i32 - cx + r / 3, y as i32 - cy);
            // A triangle pointing right: inside when left of the two slanted edges.
            let inside = dx >= 0 && dx <= r && 2 * dy.abs() <= r - dx;
            if inside { Rgb([235, 235, 235]) } else { Rgb([48, 52, 58]) }
        });
        encode_jpeg(&img, THUMBNAIL_QUALITY).expect("the placeholder encodes")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_names_what_it_finds() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF\0"), Sniffed::Accepted(Format::Jpeg));
        assert_eq!(sniff(b"GIF89a\x01\0\x01\0\0\0\0"), Sniffed::Refused("image/gif"));
        assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"), Sniffed::Refused("application/pdf"));
        assert_eq!(sniff(b"just some text, nothing more"), Sniffed::Unknown);
        assert_eq!(sniff(b""), Sniffed::Unknown);
    }

    #[test]
    fn declared_types() {
        assert!(Format::Jpeg.matches_declared("image/jpeg"));
        assert!(Format::Jpeg.matches_declared("IMAGE/JPG; charset=binary"));
        assert!(!Format::Jpeg.matches_declared("image/png"));
        assert!(Format::QuickTime.matches_declared("video/mp4"));
        assert!(!Format::Mp4.matches_declared("image/jpeg"));
        assert!(is_undeclared(None));
        assert!(is_undeclared(Some("application/octet-stream")));
        assert!(!is_undeclared(Some("image/png")));
    }

    #[test]
    fn the_placeholder_is_a_small_jpeg() {
        let p = video_placeholder();
        let img = image::load_from_memory(p).unwrap();
        assert_eq!((img.width(), img.height()), (320, 180));
        assert_eq!(sniff(p), Sniffed::Accepted(Format::Jpeg));
    }
}
