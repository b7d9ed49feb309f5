//! Attachments through the real router, on a SQLite store in a temporary directory: uploads of
//! each type, sniffing, size limits, who reads which variant, metadata removal, thumbnails, and
//! reports and steps that name attachments.

use std::io::Cursor;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Request, StatusCode, header};
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};
use serde_json::{Value, json};
use tower::ServiceExt;
use yiwang_domain::Lang;
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{Actor, Role, Rules};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::taxonomy::Taxonomy;
use yiwang_engine::Engine;
use yiwang_server::caller::{Authenticator, Caller};
use yiwang_server::error::ApiError;
use yiwang_server::{App, router};
use yiwang_store::conformance;
use yiwang_store_sqlite::{Durability, SqliteStore};

/// Callers named by the `x-test-caller` header: `resident:<id>`, `chief`, `intake`, `admin`.
struct TestAuth;

#[async_trait]
impl Authenticator for TestAuth {
    async fn identify(&self, parts: &Parts, lang: Lang) -> Result<Caller, ApiError> {
        let Some(who) = parts.headers.get("x-test-caller").and_then(|v| v.to_str().ok()) else {
            return Ok(Caller::anonymous(lang));
        };
        let scope = AreaCode::parse("scope", "110101").unwrap();
        let actor = match who {
            "chief" => Actor::staff("chief", Role::ShiftChief, &scope, None),
            "intake" => Actor::staff("intake", Role::IntakeOperator, &scope, None),
            "admin" => Actor::staff("admin", Role::SystemAdmin, &scope, None),
            other => Actor::resident(other.strip_prefix("resident:").expect("a known test caller")),
        };
        Ok(Caller { account: Some(actor.id.clone()), actor: Some(actor), lang })
    }

    async fn api_key(&self, _: &str, _: Lang) -> Result<Option<Caller>, ApiError> {
        Ok(None)
    }
}

async fn app() -> (tempfile::TempDir, Router) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path(), Durability::Normal).unwrap());
    let rules = Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 };
    let engine = Engine::start(store, rules).await.unwrap();
    engine.import_reference(conformance::reference()).await.unwrap();
    (dir, router(App { engine: Arc::new(engine), auth: Arc::new(TestAuth), limits: Default::default(), demo: None }))
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    fn message(&self) -> String {
        self.json()["message"].as_str().unwrap_or_default().to_owned()
    }

    fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).map_or("", |v| v.to_str().unwrap())
    }
}

async fn send(app: &Router, req: Request<Body>) -> Answer {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
    Answer { status, headers, body }
}

fn with_caller(b: axum::http::request::Builder, caller: Option<&str>) -> axum::http::request::Builder {
    match caller {
        Some(c) => b.header("x-test-caller", c),
        None => b,
    }
}

/// Uploads `bytes` as the raw body, declared as `content_type` (or not at all).
async fn upload_raw(app: &Router, bytes: &[u8], content_type: Option<&str>, caller: Option<&str>) -> Answer {
    let mut b = with_caller(Request::post("/api/attachments?lang=en"), caller);
    if let Some(t) = content_type {
        b = b.header(header::CONTENT_TYPE, t);
    }
    send(app, b.body(Body::from(bytes.to_vec())).unwrap()).await
}

/// Uploads `bytes` as the one file field of a form, as `curl -F file=@name` does.
async fn upload_form(app: &Router, bytes: &[u8], filename: &str, content_type: &str, caller: Option<&str>) -> Answer {
    let boundary = "------------------------yiwangtestboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let b = with_caller(Request::post("/api/attachments?lang=en"), caller)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"));
    send(app, b.body(Body::from(body)).unwrap()).await
}

async fn get(app: &Router, uri: &str, caller: Option<&str>) -> Answer {
    send(app, with_caller(Request::get(uri), caller).body(Body::empty()).unwrap()).await
}

async fn post_json(app: &Router, uri: &str, body: &Value, caller: Option<&str>) -> Answer {
    let b = with_caller(Request::post(uri), caller).header(header::CONTENT_TYPE, "application/json");
    send(app, b.body(Body::from(serde_json::to_vec(body).unwrap())).unwrap()).await
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

// ---- Test media, made here ----

/// A `w`×`h` photo: red in the top-left quarter, blue elsewhere.
fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| if x < w / 2 && y < h / 2 { Rgb([230, 20, 20]) } else { Rgb([20, 40, 230]) })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95).encode_image(img).unwrap();
    out
}

fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

fn webp(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(img, img.width(), img.height(), image::ExtendedColorType::Rgba8)
        .unwrap();
    out
}

const SECRET_MAKE: &[u8] = b"SecretPhone\0";

/// An EXIF APP1 segment (big-endian TIFF) with the camera make, an orientation, and a GPS
/// position of 39°54'58.68"N 116°24'27"E.
fn exif_app1(orientation: u16) -> Vec<u8> {
    let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        [tag.to_be_bytes().as_slice(), &kind.to_be_bytes(), &count.to_be_bytes(), &value].concat()
    };
    let (ifd0, make_at, gps_at) = (8u32, 50u32, 62u32);
    let (lat_at, lon_at) = (116u32, 140u32);
    let mut tiff = b"MM\0\x2A".to_vec();
    tiff.extend(ifd0.to_be_bytes());
    tiff.extend(3u16.to_be_bytes());
    tiff.extend(entry(0x010F, 2, SECRET_MAKE.len() as u32, make_at.to_be_bytes())); // Make
    let o = orientation.to_be_bytes();
    tiff.extend(entry(0x0112, 3, 1, [o[0], o[1], 0, 0])); // Orientation
    tiff.extend(entry(0x8825, 4, 1, gps_at.to_be_bytes())); // GPS IFD
    tiff.extend(0u32.to_be_bytes());
    assert_eq!(tiff.len() as u32, make_at);
    tiff.extend(SECRET_MAKE);
    assert_eq!(tiff.len() as u32, gps_at);
    tiff.extend(4u16.to_be_bytes());
    tiff.extend(entry(0x0001, 2, 2, *b"N\0\0\0"));
    tiff.extend(entry(0x0002, 5, 3, lat_at.to_be_bytes()));
    tiff.extend(entry(0x0003, 2, 2, *b"E\0\0\0"));
    tiff.extend(entry(0x0004, 5, 3, lon_at.to_be_bytes()));
    tiff.extend(0u32.to_be_bytes());
    assert_eq!(tiff.len() as u32, lat_at);
    for (n, d) in [(39u32, 1u32), (54, 1), (5868, 100), (116, 1), (24, 1), (2700, 100)] {
        tiff.extend(n.to_be_bytes());
        tiff.extend(d.to_be_bytes());
    }
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend(((payload.len() + 2) as u16).to_be_bytes());
    seg.extend(payload);
    seg
}

/// A JPEG carrying EXIF with GPS, right after its start marker.
fn jpeg_with_gps(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let plain = jpeg(img);
    [&plain[..2], &exif_app1(orientation), &plain[2..]].concat()
}

/// A box of `kind` around `body`.
fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

const LOCATION: &str = "+39.9163+116.4075/";

/// A small ISO base media file of brand `brand` (`isom`: MP4, `qt  `: QuickTime): a video
/// track, and the location in `moov/udta/©xyz`.
fn video(brand: &[u8; 4]) -> Vec<u8> {
    let ftyp = bx(b"ftyp", &[brand.as_slice(), b"\0\0\x02\0", brand, b"mp41"].concat());
    let samples = b"VIDEO-SAMPLES".to_vec();
    let at = (ftyp.len() + 8) as u32;
    let mdat = bx(b"mdat", &samples);
    let hdlr = bx(b"hdlr", &[[0u8; 8].as_slice(), b"vide", &[0; 12], b"Video\0"].concat());
    let stbl = bx(
        b"stbl",
        &[
            bx(b"stsz", &[[0u8; 8].as_slice(), &1u32.to_be_bytes(), &(samples.len() as u32).to_be_bytes()].concat()),
            bx(
                b"stsc",
                &[
                    [0u8; 4].as_slice(),
                    &1u32.to_be_bytes(),
                    &1u32.to_be_bytes(),
                    &1u32.to_be_bytes(),
                    &1u32.to_be_bytes(),
                ]
                .concat(),
            ),
            bx(b"stco", &[[0u8; 4].as_slice(), &1u32.to_be_bytes(), &at.to_be_bytes()].concat()),
        ]
        .concat(),
    );
    let trak = bx(
        b"trak",
        &[bx(b"tkhd", &[0; 84]), bx(b"mdia", &[bx(b"mdhd", &[0; 24]), hdlr, bx(b"minf", &stbl)].concat())].concat(),
    );
    let mut xyz = (LOCATION.len() as u16).to_be_bytes().to_vec();
    xyz.extend_from_slice(&[0x15, 0xC7]);
    xyz.extend_from_slice(LOCATION.as_bytes());
    let moov = bx(b"moov", &[bx(b"mvhd", &[0; 100]), trak, bx(b"udta", &bx(b"\xA9xyz", &xyz))].concat());
    [ftyp, mdat, moov].concat()
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).expect("decodes")
}

// ---- Stories ----

#[tokio::test]
async fn each_type_uploads_and_downloads() {
    let (_d, app) = app().await;
    let photo = picture(64, 48);
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("image/jpeg", jpeg(&photo), false),
        ("image/png", png(&DynamicImage::ImageRgb8(photo.clone())), true),
        ("image/webp", webp(&DynamicImage::ImageRgb8(photo.clone()).to_rgba8()), false),
        ("video/mp4", video(b"isom"), false),
        ("video/quicktime", video(b"qt  "), true),
    ];
    for (media_type, bytes, as_form) in cases {
        let up = if as_form {
            upload_form(&app, &bytes, "upload.bin", media_type, Some("resident:r1")).await
        } else {
            upload_raw(&app, &bytes, Some(media_type), Some("resident:r1")).await
        };
        assert_eq!(up.status, StatusCode::CREATED, "{media_type}: {}", String::from_utf8_lossy(&up.body));
        let v = up.json();
        let id = v["id"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 32, "{v}");
        assert_eq!(v["media_type"], media_type);
        assert_eq!(v["size"], bytes.len());
        assert_eq!(v["url"], format!("/api/attachments/{id}"));
        assert_eq!(v["thumbnail_url"], format!("/api/attachments/{id}/thumbnail"));
        assert_eq!(v["sm3"].as_str().unwrap().len(), 64);

        let public = get(&app, &format!("/api/attachments/{id}"), None).await;
        assert_eq!(public.status, StatusCode::OK, "{media_type}");
        assert_eq!(public.content_type(), media_type);
        assert_eq!(public.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        if media_type.starts_with("image/") {
            let img = decode(&public.body);
            assert_eq!((img.width(), img.height()), (64, 48), "{media_type}");
        } else {
            assert_eq!(public.body.len(), bytes.len(), "a stripped video keeps its length");
        }
        let original = get(&app, &format!("/api/attachments/{id}?variant=original"), Some("resident:r1")).await;
        assert_eq!(original.status, StatusCode::OK);
        assert_eq!(original.body, bytes, "{media_type}: the original comes back byte for byte");
        assert_eq!(original.headers[header::CACHE_CONTROL], "private, no-store");

        let thumb = get(&app, &format!("/api/attachments/{id}/thumbnail"), None).await;
        assert_eq!(thumb.status, StatusCode::OK);
        assert_eq!(thumb.content_type(), "image/jpeg");
        let t = decode(&thumb.body);
        assert!(t.width().max(t.height()) <= 320, "{media_type}");
    }
}

#[tokio::test]
async fn the_content_decides_the_type() {
    let (_d, app) = app().await;
    let png_bytes = png(&DynamicImage::ImageRgb8(picture(8, 8)));

    // Declared and found agree: taken; nothing declared, or octet-stream: the content decides.
    assert_eq!(upload_raw(&app, &png_bytes, None, None).await.json()["media_type"], "image/png");
    let up = upload_raw(&app, &png_bytes, Some("application/octet-stream"), None).await;
    assert_eq!((up.status, up.json()["media_type"].as_str()), (StatusCode::CREATED, Some("image/png")));

    // Declared one thing, sent another: refused, naming both.
    let up = upload_raw(&app, &png_bytes, Some("image/jpeg"), None).await;
    assert_eq!((up.status, up.code().as_str()), (StatusCode::BAD_REQUEST, "media_type_mismatch"));
    assert!(up.message().contains("image/jpeg") && up.message().contains("image/png"), "{}", up.message());
    let up = upload_form(&app, &png_bytes, "photo.jpg", "image/jpeg", None).await;
    assert_eq!(up.code(), "media_type_mismatch");
    let up = upload_raw(&app, &video(b"isom"), Some("image/jpeg"), None).await;
    assert_eq!(up.code(), "media_type_mismatch");

    // Types we do not take are named.
    let gif =
        b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;";
    let up = upload_raw(&app, gif, Some("image/gif"), None).await;
    assert_eq!((up.status, up.code().as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));
    assert!(up.message().contains("image/gif"), "{}", up.message());
    // A renamed file does not pass as a photo.
    let up = upload_form(&app, b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n", "photo.jpg", "image/jpeg", None).await;
    assert!(up.message().contains("application/pdf"), "{}", up.message());
    let heic = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
    let up = upload_raw(&app, &[heic, bx(b"meta", &[0; 16])].concat(), Some("image/heic"), None).await;
    assert_eq!(up.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(up.message().contains("image/heif"), "{}", up.message());
    let up = upload_raw(&app, b"hello, this is plain text", Some("image/jpeg"), None).await;
    assert_eq!(up.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(up.message().contains("unknown"), "{}", up.message());
    // The message follows the caller's language.
    let zh = send(
        &app,
        Request::post("/api/attachments")
            .header(header::CONTENT_TYPE, "image/gif")
            .body(Body::from(gif.to_vec()))
            .unwrap(),
    )
    .await;
    assert!(zh.message().contains("不接受此类文件") && zh.message().contains("image/gif"), "{}", zh.message());

    // The right magic number is not enough: the photo must decode.
    let mut broken = jpeg(&picture(32, 32));
    broken.truncate(40);
    let up = upload_raw(&app, &broken, Some("image/jpeg"), None).await;
    assert_eq!((up.status, up.code().as_str()), (StatusCode::BAD_REQUEST, "undecodable"), "{}", up.message());
    // Nor a video whose boxes do not add up.
    let mut v = video(b"isom");
    v.truncate(v.len() - 5);
    let up = upload_raw(&app, &v, Some("video/mp4"), None).await;
    assert_eq!(up.code(), "unstrippable", "{}", up.message());
    // An empty body, a form without a file, a form with two.
    assert_eq!(upload_raw(&app, b"", Some("image/jpeg"), None).await.code(), "empty_file");
    let boundary = "xyz";
    let form = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--{boundary}--\r\n");
    let req = Request::post("/api/attachments")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(form))
        .unwrap();
    assert_eq!(send(&app, req).await.code(), "no_file");
    let two = [
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n")
            .into_bytes(),
        png_bytes.clone(),
        format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.png\"\r\n\r\n")
            .into_bytes(),
        png_bytes.clone(),
        format!("\r\n--{boundary}--\r\n").into_bytes(),
    ]
    .concat();
    let req = Request::post("/api/attachments")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(two))
        .unwrap();
    assert_eq!(send(&app, req).await.code(), "one_file");
}

#[tokio::test]
async fn too_large_is_413_in_our_format() {
    let (_d, app) = app().await;
    // A photo over 10 MiB: a JPEG start and padding (refused before any decoding).
    let mut big_photo = jpeg(&picture(8, 8));
    big_photo.resize((10 << 20) + 1, 0);
    let up = upload_raw(&app, &big_photo, Some("image/jpeg"), None).await;
    assert_eq!((up.status, up.code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"));
    assert!(up.message().contains("10 MiB"), "{}", up.message());
    assert!(up.content_type().starts_with("application/json"));
    let up = upload_form(&app, &big_photo, "big.jpg", "image/jpeg", None).await;
    assert_eq!((up.status, up.code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"));

    // Past the route's limit (the largest video and a little more): refused while reading.
    let huge = vec![0u8; (50 << 20) + 128 * 1024];
    let up = upload_raw(&app, &huge, Some("video/mp4"), None).await;
    assert_eq!((up.status, up.code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"));
    assert!(up.message().contains("50 MiB"), "{}", up.message());
    let up = upload_form(&app, &huge, "huge.mp4", "video/mp4", None).await;
    assert_eq!((up.status, up.code().as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"));

    // A photo under the limit is taken, though it is far over the JSON routes' 256 KiB.
    let noisy = RgbImage::from_fn(600, 600, |x, y| Rgb([(x * 7 + y * 13) as u8, (x * y) as u8, (x ^ y) as u8]));
    let bytes = png(&DynamicImage::ImageRgb8(noisy));
    assert!(bytes.len() > 256 * 1024, "{}", bytes.len());
    assert_eq!(upload_raw(&app, &bytes, Some("image/png"), None).await.status, StatusCode::CREATED);
    // And the JSON routes keep their own limit.
    let report = json!({"subclass": "E0101", "lon": 116.4005, "lat": 39.9005, "description": "x".repeat(300 * 1024)});
    let r = post_json(&app, "/api/reports", &report, Some("resident:r1")).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let (_d, app) = app().await;
    for uri in [
        "/api/attachments/0123456789abcdef0123456789abcdef",
        "/api/attachments/0123456789abcdef0123456789abcdef/thumbnail",
        "/api/attachments/not-an-id",
        "/api/attachments/0123456789abcdef0123456789abcdef?variant=original",
    ] {
        let a = get(&app, uri, Some("chief")).await;
        assert_eq!((a.status, a.code().as_str()), (StatusCode::NOT_FOUND, "attachment_not_found"), "{uri}");
    }
}

#[tokio::test]
async fn who_reads_the_original() {
    let (_d, app) = app().await;
    let bytes = jpeg_with_gps(&picture(40, 30), 1);
    let mine = upload_raw(&app, &bytes, Some("image/jpeg"), Some("resident:r1")).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let anon = upload_raw(&app, &bytes, Some("image/jpeg"), None).await.json()["id"].as_str().unwrap().to_owned();
    let original = |id: &str| format!("/api/attachments/{id}?variant=original");

    assert_eq!(get(&app, &original(&mine), Some("resident:r1")).await.status, StatusCode::OK, "the uploader");
    assert_eq!(get(&app, &original(&mine), Some("chief")).await.status, StatusCode::OK, "staff");
    assert_eq!(get(&app, &original(&mine), Some("intake")).await.status, StatusCode::OK, "staff");
    let other = get(&app, &original(&mine), Some("resident:r2")).await;
    assert_eq!((other.status, other.code().as_str()), (StatusCode::FORBIDDEN, "forbidden"));
    assert_eq!(get(&app, &original(&mine), Some("admin")).await.status, StatusCode::FORBIDDEN, "administrators");
    assert_eq!(get(&app, &original(&mine), None).await.status, StatusCode::UNAUTHORIZED);
    // Nobody owns an anonymous upload's original: only staff read it.
    assert_eq!(get(&app, &original(&anon), None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app, &original(&anon), Some("resident:anonymous")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&app, &original(&anon), Some("chief")).await.status, StatusCode::OK);
    // The public variant and the thumbnail are anybody's who has the id.
    for uri in [
        format!("/api/attachments/{mine}"),
        format!("/api/attachments/{mine}?variant=public"),
        format!("/api/attachments/{anon}/thumbnail"),
    ] {
        let a = get(&app, &uri, None).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert_eq!(a.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    }
    let bad = get(&app, &format!("/api/attachments/{mine}?variant=raw"), Some("chief")).await;
    assert_eq!((bad.status, bad.code().as_str()), (StatusCode::BAD_REQUEST, "invalid_field"));
}

#[tokio::test]
async fn location_is_removed_from_what_the_public_sees() {
    let (_d, app) = app().await;
    // Stored 64 wide and 48 high, to be shown turned 90° clockwise (EXIF orientation 6).
    let bytes = jpeg_with_gps(&picture(64, 48), 6);
    assert!(contains(&bytes, b"Exif\0\0") && contains(&bytes, SECRET_MAKE));
    let up = upload_raw(&app, &bytes, Some("image/jpeg"), Some("resident:r1")).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.message());
    let id = up.json()["id"].as_str().unwrap().to_owned();

    let original = get(&app, &format!("/api/attachments/{id}?variant=original"), Some("chief")).await;
    assert_eq!(original.body, bytes, "the original keeps its EXIF");
    assert!(contains(&original.body, b"Exif\0\0") && contains(&original.body, SECRET_MAKE));

    let public = get(&app, &format!("/api/attachments/{id}"), None).await.body;
    assert!(!contains(&public, b"Exif"), "EXIF survived in the public variant");
    assert!(!contains(&public, b"MM\0\x2A") && !contains(&public, b"II\x2A\0"), "a TIFF header survived");
    assert!(!contains(&public, SECRET_MAKE), "the camera make survived");
    assert!(!contains(&public, &5868u32.to_be_bytes()), "the GPS seconds survived");
    assert!(!public.windows(2).any(|w| w == [0xFF, 0xE1]), "an APP1 segment survived");
    // The orientation is in the pixels now: 48 wide, 64 high, and the red corner (top left as
    // stored) is at the top right.
    let img = decode(&public).to_rgb8();
    assert_eq!((img.width(), img.height()), (48, 64));
    let Rgb([r, _, b]) = *img.get_pixel(44, 4);
    assert!(r > 150 && b < 100, "top right should be red, is {:?}", img.get_pixel(44, 4));
    let Rgb([r, _, b]) = *img.get_pixel(4, 4);
    assert!(b > 150 && r < 100, "top left should be blue, is {:?}", img.get_pixel(4, 4));
    // The thumbnail too.
    let thumb = get(&app, &format!("/api/attachments/{id}/thumbnail"), None).await.body;
    assert!(!contains(&thumb, b"Exif") && !contains(&thumb, SECRET_MAKE));
    assert_eq!(decode(&thumb).height(), 64);

    // A PNG with an eXIf chunk: gone from the public copy.
    let mut png_bytes = png(&DynamicImage::ImageRgb8(picture(16, 16)));
    let tiff = exif_app1(1)[10..].to_vec(); // without the APP1 marker, length and "Exif\0\0"
    let mut chunk = (tiff.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(b"eXIf");
    chunk.extend_from_slice(&tiff);
    chunk.extend_from_slice(&crc32(&[b"eXIf".as_slice(), &tiff].concat()).to_be_bytes());
    let iend = png_bytes.len() - 12;
    png_bytes.splice(iend..iend, chunk);
    assert!(contains(&png_bytes, SECRET_MAKE));
    let up = upload_raw(&app, &png_bytes, Some("image/png"), None).await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.message());
    let public = get(&app, &format!("/api/attachments/{}", up.json()["id"].as_str().unwrap()), None).await.body;
    assert!(!contains(&public, b"eXIf") && !contains(&public, SECRET_MAKE));

    // A video: the location is gone from the public copy and kept in the original.
    let v = video(b"qt  ");
    let up = upload_raw(&app, &v, Some("video/quicktime"), Some("resident:r1")).await;
    let id = up.json()["id"].as_str().unwrap().to_owned();
    let public = get(&app, &format!("/api/attachments/{id}"), None).await.body;
    assert!(!contains(&public, LOCATION.as_bytes()), "the video's location survived");
    assert!(contains(&public, b"VIDEO-SAMPLES"), "the picture went too");
    let original = get(&app, &format!("/api/attachments/{id}?variant=original"), Some("resident:r1")).await.body;
    assert!(contains(&original, LOCATION.as_bytes()));
    // Players ask for ranges.
    let req =
        Request::get(format!("/api/attachments/{id}")).header(header::RANGE, "bytes=0-7").body(Body::empty()).unwrap();
    let part = send(&app, req).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, public[..8]);
    assert_eq!(part.headers[header::CONTENT_RANGE], format!("bytes 0-7/{}", public.len()));
    let req = Request::get(format!("/api/attachments/{id}"))
        .header(header::RANGE, "bytes=99999-")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, req).await.status, StatusCode::RANGE_NOT_SATISFIABLE);
}

/// CRC-32 as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[tokio::test]
async fn thumbnails_fit_in_320_pixels() {
    let (_d, app) = app().await;
    for ((w, h), expected) in [((800, 600), (320, 240)), ((300, 1000), (96, 320)), ((200, 100), (200, 100))] {
        let bytes = jpeg(&picture(w, h));
        let id = upload_raw(&app, &bytes, Some("image/jpeg"), None).await.json()["id"].as_str().unwrap().to_owned();
        let t = decode(&get(&app, &format!("/api/attachments/{id}/thumbnail"), None).await.body);
        assert_eq!((t.width(), t.height()), expected, "{w}×{h}");
        let public = decode(&get(&app, &format!("/api/attachments/{id}"), None).await.body);
        assert_eq!((public.width(), public.height()), (w, h), "the public variant keeps its size");
    }
    // Transparency is laid over white in the thumbnail.
    let clear = RgbaImage::from_pixel(50, 50, Rgba([0, 0, 0, 0]));
    let id = upload_raw(&app, &webp(&clear), None, None).await.json()["id"].as_str().unwrap().to_owned();
    let t = decode(&get(&app, &format!("/api/attachments/{id}/thumbnail"), None).await.body).to_rgb8();
    assert!(t.get_pixel(25, 25).0.iter().all(|&c| c > 240), "{:?}", t.get_pixel(25, 25));
    // A video's thumbnail is the placeholder frame.
    let id = upload_raw(&app, &video(b"isom"), None, None).await.json()["id"].as_str().unwrap().to_owned();
    let t = decode(&get(&app, &format!("/api/attachments/{id}/thumbnail"), None).await.body);
    assert_eq!((t.width(), t.height()), (320, 180));
}

#[tokio::test]
async fn reports_and_steps_name_only_uploaded_attachments() {
    let (_d, app) = app().await;
    let photo = upload_raw(&app, &jpeg(&picture(20, 20)), Some("image/jpeg"), None).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = "0123456789abcdef0123456789abcdef";
    let report = |photos: Vec<&str>| json!({"subclass": "E0101", "lon": 116.4005, "lat": 39.9005, "description": "垃圾满溢", "photos": photos});

    let r = post_json(&app, "/api/reports?lang=en", &report(vec![&photo, missing]), None).await;
    assert_eq!((r.status, r.code().as_str()), (StatusCode::BAD_REQUEST, "invalid_field"), "{}", r.message());
    assert!(r.message().contains("photos") && r.message().contains(missing), "{}", r.message());
    let r = post_json(&app, "/api/reports", &report(vec!["../etc/passwd"]), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().contains("../etc/passwd"), "{}", r.message());

    let r = post_json(&app, "/api/reports", &report(vec![&photo]), Some("resident:r1")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
    let case = r.json();
    assert_eq!(case["photos"], json!([photo]));
    let id = case["id"].as_i64().unwrap();

    let act = |attachments: Vec<&str>| json!({"action": "file", "note": "立案", "attachments": attachments});
    let a = post_json(&app, &format!("/api/cases/{id}/actions?lang=en"), &act(vec![missing]), Some("chief")).await;
    assert_eq!((a.status, a.code().as_str()), (StatusCode::BAD_REQUEST, "invalid_field"), "{}", a.message());
    assert!(a.message().contains("attachments") && a.message().contains(missing), "{}", a.message());
    let a = post_json(&app, &format!("/api/cases/{id}/actions"), &act(vec![&photo]), Some("chief")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["state"], "filed");
}

#[tokio::test]
async fn the_openapi_document_describes_attachments() {
    let (_d, app) = app().await;
    let doc = get(&app, "/api/openapi.json", None).await.json();
    let paths = &doc["paths"];
    assert!(paths["/api/attachments"]["post"].is_object());
    assert!(paths["/api/attachments/{id}"]["get"].is_object());
    assert!(paths["/api/attachments/{id}/thumbnail"]["get"].is_object());
    let content = &paths["/api/attachments"]["post"]["requestBody"]["content"];
    assert!(content["multipart/form-data"].is_object() && content["image/jpeg"].is_object(), "{content}");
}
