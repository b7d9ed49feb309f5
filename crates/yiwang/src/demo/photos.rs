//! The demo's photos: synthetic pictures drawn here, stored as real attachments (with their
//! public variants and thumbnails, made by the same code as an upload's), so that demo cases
//! show a photo when reported and when handled.
//!
//! They are NOT photographs: a grey street seen from above, a kerb and lane marks, and for a
//! report a coloured patch where the problem is (a pile, a hole, a stain), for "after" the same
//! street clean with a green tick. A small pool of each is shared by every case; their ids are
//! derived from their bytes, so the same seed gives the same cases.

use std::io::Cursor;

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use yiwang_domain::audit::sm3;
use yiwang_domain::time::Timestamp;
use yiwang_engine::Engine;
use yiwang_server::api::attachments::media::{self, Sniffed};
use yiwang_store::attachments::{Attachment, NewAttachment};

/// Pictures of each kind.
const POOL: usize = 6;
const WIDTH: u32 = 480;
const HEIGHT: u32 = 360;
/// Whose uploads they are.
const UPLOADER: &str = "demo";

/// The ids of the stored pictures: problems as reported, and the same places after handling.
pub struct Photos {
    pub reported: Vec<String>,
    pub after: Vec<String>,
}

impl Photos {
    pub fn report_photo(&self, n: u64) -> String {
        self.reported[n as usize % self.reported.len()].clone()
    }

    pub fn after_photo(&self, n: u64) -> String {
        self.after[n as usize % self.after.len()].clone()
    }
}

/// A street from above: asphalt, a kerb along the bottom, dashed lane marks.
fn street(k: usize) -> RgbImage {
    let tone = 90 + k as u8 * 8;
    let mut img = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([tone, tone, tone + 6]));
    for y in HEIGHT - 60..HEIGHT {
        for x in 0..WIDTH {
            img.put_pixel(x, y, if y < HEIGHT - 52 { Rgb([220, 220, 210]) } else { Rgb([170, 160, 140]) });
        }
    }
    for x in (0..WIDTH).filter(|x| (x / 40) % 2 == 0) {
        for y in 140..148 {
            img.put_pixel(x, y, Rgb([235, 235, 235]));
        }
    }
    img
}

/// Fills an ellipse.
fn blob(img: &mut RgbImage, (cx, cy): (f64, f64), (rx, ry): (f64, f64), colour: Rgb<u8>) {
    for y in 0..img.height() {
        for x in 0..img.width() {
            let (dx, dy) = ((f64::from(x) - cx) / rx, (f64::from(y) - cy) / ry);
            if dx * dx + dy * dy <= 1.0 {
                img.put_pixel(x, y, colour);
            }
        }
    }
}

fn reported(k: usize) -> RgbImage {
    let mut img = street(k);
    const PROBLEMS: [[u8; 3]; POOL] =
        [[120, 84, 50], [40, 40, 44], [200, 60, 40], [70, 110, 60], [210, 180, 60], [90, 70, 120]];
    let x = 120.0 + 45.0 * k as f64;
    blob(&mut img, (x, 230.0), (70.0, 38.0), Rgb(PROBLEMS[k]));
    blob(&mut img, (x + 30.0, 215.0), (28.0, 18.0), Rgb(PROBLEMS[(k + 2) % POOL]));
    img
}

fn after(k: usize) -> RgbImage {
    let mut img = street(k);
    // A green tick in the corner.
    for i in 0..40u32 {
        for w in 0..6u32 {
            let (x1, y1) = (WIDTH - 110 + i / 2, 40 + i / 2 + w);
            let (x2, y2) = (WIDTH - 90 + i, 60 - i + w);
            img.put_pixel(x1, y1, Rgb([40, 160, 70]));
            img.put_pixel(x2, y2, Rgb([40, 160, 70]));
        }
    }
    img
}

fn jpeg(img: &RgbImage) -> anyhow::Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    JpegEncoder::new_with_quality(&mut out, 80).encode_image(img).context("encoding a demo picture")?;
    Ok(out.into_inner())
}

/// Stores one picture as an attachment, its variants made as an upload's are; returns its id.
async fn store(engine: &Engine, bytes: Vec<u8>, now: Timestamp) -> anyhow::Result<String> {
    let Sniffed::Accepted(format) = media::sniff(&bytes) else {
        anyhow::bail!("a demo picture is not a JPEG");
    };
    let variants = media::variants(format, &bytes).map_err(|e| anyhow::anyhow!("a demo picture: {e:?}"))?;
    let hash = sm3(&bytes);
    let id: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    let meta = Attachment {
        id: id.clone(),
        media_type: format.media_type().to_owned(),
        size: bytes.len() as u64,
        sm3: hash,
        uploader: UPLOADER.to_owned(),
        created_at: now,
    };
    engine
        .store()
        .put_attachment(NewAttachment { meta, original: bytes, public: variants.public, thumbnail: variants.thumbnail })
        .await
        .context("storing a demo picture")?;
    Ok(id)
}

/// Draws and stores the pool.
pub async fn upload(engine: &Engine, now: Timestamp) -> anyhow::Result<Photos> {
    let mut photos = Photos { reported: Vec::new(), after: Vec::new() };
    for k in 0..POOL {
        photos.reported.push(store(engine, jpeg(&reported(k))?, now).await?);
        photos.after.push(store(engine, jpeg(&after(k))?, now).await?);
    }
    Ok(photos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_real_jpegs_that_differ() {
        let a = jpeg(&reported(0)).unwrap();
        let b = jpeg(&reported(1)).unwrap();
        let c = jpeg(&after(0)).unwrap();
        for bytes in [&a, &b, &c] {
            let Sniffed::Accepted(format) = media::sniff(bytes) else { panic!("not sniffed as a JPEG") };
            assert_eq!(format.media_type(), "image/jpeg");
            let v = media::variants(format, bytes).unwrap();
            assert!(!v.public.is_empty() && !v.thumbnail.is_empty());
        }
        assert!(a != b && a != c);
        // The same drawing gives the same bytes: ids stay the same from run to run.
        assert_eq!(jpeg(&reported(0)).unwrap(), a);
    }
}
