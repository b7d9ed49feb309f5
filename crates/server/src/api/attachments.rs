//! Attachments (附件): photos and short videos for reports and for the steps of a case.
//!
//! - `POST /api/attachments` takes one file, either as the raw request body with its
//!   `Content-Type` (`curl --data-binary @photo.jpg -H 'Content-Type: image/jpeg' …`) or as the one
//!   file field of a `multipart/form-data` form (`curl -F file=@photo.jpg …`), and answers 201 with
//!   its id. Anybody may upload, signed in or not (an anonymous resident may report); the
//!   deployment's rate limits apply to this route as to every other.
//! - `GET /api/attachments/{id}` serves the public variant (metadata removed) to anybody who
//!   knows the id; `?variant=original` serves the bytes as uploaded, only to staff and to the
//!   uploader. `GET /api/attachments/{id}/thumbnail` serves a JPEG of at most 320 px.
//!
//! The type is judged by the content, never by the name or the declared type: JPEG, PNG, WebP,
//! MP4 and QuickTime are taken, anything else is refused naming the type found, and a declared
//! type that contradicts the content is refused too. Photos may be 10 MiB, videos 50 MiB; this
//! route alone lifts the API's body limit to that (the JSON routes keep theirs).
//!
//! Ids are 128 random bits: knowing one is what lets a caller read the public variant, and ids
//! reach only those who may see the case that carries them (a filed case's report photos: the
//! public board, `api/public.rs`, which links only public variants). Reports and steps refer to
//! attachments by id; [`require_existing`] checks that every id they name was uploaded.

mod isobmff;
pub mod media;

use std::sync::OnceLock;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::Refusal;
use yiwang_domain::audit::sm3;
use yiwang_domain::case::Role;
use yiwang_domain::time::Timestamp;
use yiwang_store::attachments::{ANONYMOUS, Attachment, NewAttachment, Variant};

use self::media::{MediaError, Sniffed};
use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json, Path, Query};

/// The body limit of the upload route: the largest video and room for a multipart envelope.
const MAX_UPLOAD_BODY: usize = media::MAX_VIDEO_BYTES + 64 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        // Only the upload route: the layer covers the routes added before it.
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY))
        .routes(routes!(download))
        .routes(routes!(thumbnail))
}

/// An uploaded attachment.
#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    /// 32 hex digits; name it in `photos` of a report or `attachments` of a step.
    #[schema(example = "5f0c6c1e8a2b4d7f9e3a1b2c3d4e5f60")]
    pub id: String,
    /// The type found in the content, e.g. `image/jpeg`.
    pub media_type: String,
    /// Size of the original in bytes.
    pub size: u64,
    /// SM3 of the original bytes, hex.
    pub sm3: String,
    /// The public variant (metadata removed).
    #[schema(example = "/api/attachments/5f0c6c1e8a2b4d7f9e3a1b2c3d4e5f60")]
    pub url: String,
    /// A JPEG of at most 320 px on the long side (for a video, a placeholder frame).
    #[schema(example = "/api/attachments/5f0c6c1e8a2b4d7f9e3a1b2c3d4e5f60/thumbnail")]
    pub thumbnail_url: String,
    pub created_at: String,
}

impl AttachmentView {
    fn of(a: &Attachment) -> AttachmentView {
        AttachmentView {
            id: a.id.clone(),
            media_type: a.media_type.clone(),
            size: a.size,
            sm3: a.sm3.iter().map(|b| format!("{b:02x}")).collect(),
            url: format!("/api/attachments/{}", a.id),
            thumbnail_url: format!("/api/attachments/{}/thumbnail", a.id),
            created_at: a.created_at.to_rfc3339_cst(),
        }
    }
}

/// The multipart form of an upload: one file field (its name does not matter; `file` is usual).
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn too_large(limit: usize, what_zh: &str, what_en: &str) -> ApiError {
    let mib = limit >> 20;
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("{what_zh}不能超过 {mib} MiB"),
        format!("{what_en} may be at most {mib} MiB"),
    )
}

fn bad_upload(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, zh, en)
}

/// 415 naming the type found in the content (`None`: a type nobody recognises).
fn unsupported(found: Option<&str>) -> ApiError {
    let (zh, en) = found.map_or(("未知类型", "of an unknown type"), |f| (f, f));
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("不接受此类文件（内容为 {zh}），只接受 {}", media::ACCEPTED),
        format!("this kind of file is not accepted (the content is {en}); accepted: {}", media::ACCEPTED),
    )
}

/// The one file of an upload and the type its sender declared.
async fn read_upload(req: Request, state: &AppState) -> Result<(Bytes, Option<String>), ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let is_multipart =
        content_type.as_deref().is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    let everything = || too_large(media::MAX_VIDEO_BYTES, "文件", "a file");
    if !is_multipart {
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                everything()
            } else {
                bad_upload("invalid_body", format!("无法读取上传内容：{}", r.body_text()), r.body_text())
            }
        })?;
        return Ok((bytes, content_type));
    }
    let mut form = Multipart::from_request(req, state).await.map_err(|r| {
        bad_upload("invalid_body", format!("表单无效：{}", r.body_text()), format!("invalid form: {}", r.body_text()))
    })?;
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            everything()
        } else {
            bad_upload(
                "invalid_body",
                format!("表单无效：{}", e.body_text()),
                format!("invalid form: {}", e.body_text()),
            )
        }
    };
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(broken)? {
        if field.file_name().is_none() {
            continue; // a plain form field: ignored
        }
        if file.is_some() {
            return Err(bad_upload("one_file", "每次只能上传一个文件", "send one file per request"));
        }
        let declared = field.content_type().map(str::to_owned);
        file = Some((field.bytes().await.map_err(broken)?, declared));
    }
    file.ok_or_else(|| {
        bad_upload(
            "no_file",
            "表单中没有文件（请用 -F file=@文件名）",
            "the form carries no file (send it as -F file=@name)",
        )
    })
}

/// At most one upload per core is decoded and encoded at a time; the others wait their turn.
fn processing() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Upload a photo or a short video. Send the file as the raw body with its `Content-Type`, or as
/// the one file field of a `multipart/form-data` form. Photos (JPEG, PNG, WebP) up to 10 MiB,
/// videos (MP4, QuickTime) up to 50 MiB; the type is judged by the content.
#[utoipa::path(post, path = "/api/attachments", tag = "attachments",
    request_body(description = "The file: raw bytes with their type, or a form with one file field.", content(
        ("image/jpeg"), ("image/png"), ("image/webp"), ("video/mp4"), ("video/quicktime"),
        (UploadForm = "multipart/form-data"))),
    responses((status = 201, body = AttachmentView), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn upload(
    State(app): State<AppState>,
    caller: Caller,
    req: Request,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    let (bytes, declared) = read_upload(req, &app).await?;
    if bytes.is_empty() {
        return Err(bad_upload("empty_file", "文件是空的", "the file is empty"));
    }
    let format = match media::sniff(&bytes) {
        Sniffed::Accepted(f) => f,
        Sniffed::Refused(found) => return Err(unsupported(Some(found))),
        Sniffed::Unknown => return Err(unsupported(None)),
    };
    if let Some(d) = declared.as_deref().filter(|d| !media::is_undeclared(Some(d)))
        && !format.matches_declared(d)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "media_type_mismatch",
            format!("声明的类型 {d} 与文件内容（{}）不符", format.media_type()),
            format!("the declared type {d} does not match the content ({})", format.media_type()),
        ));
    }
    if bytes.len() > format.max_bytes() {
        return Err(match format.kind() {
            media::Kind::Photo => too_large(media::MAX_PHOTO_BYTES, "照片", "a photo"),
            media::Kind::Video => too_large(media::MAX_VIDEO_BYTES, "视频", "a video"),
        });
    }

    let variants = {
        let _slot = processing().acquire().await.map_err(ApiError::internal)?;
        let original = bytes.clone();
        tokio::task::spawn_blocking(move || media::variants(format, &original)).await.map_err(ApiError::internal)?
    };
    let variants = variants.map_err(|e| match e {
        MediaError::Undecodable(detail) => bad_upload(
            "undecodable",
            format!("无法读取此{}：{detail}", if format.kind() == media::Kind::Photo { "照片" } else { "视频" }),
            format!("the {} cannot be read: {detail}", format.media_type()),
        ),
        MediaError::TooManyPixels { width, height } => bad_upload(
            "too_many_pixels",
            format!("照片为 {width}×{height} 像素，超过 {} 万像素", media::MAX_PIXELS / 10_000),
            format!("the photo is {width}×{height} pixels, more than {} megapixels", media::MAX_PIXELS / 1_000_000),
        ),
        MediaError::Unstrippable(detail) => bad_upload(
            "unstrippable",
            format!("无法去除此视频中的位置等元数据：{detail}"),
            format!("the location and other metadata cannot be removed from this video: {detail}"),
        ),
    })?;

    let meta = Attachment {
        id: new_id(),
        media_type: format.media_type().to_owned(),
        size: bytes.len() as u64,
        sm3: sm3(&bytes),
        uploader: caller.account.clone().unwrap_or_else(|| ANONYMOUS.to_owned()),
        created_at: Timestamp::now(),
    };
    let view = AttachmentView::of(&meta);
    // The processing's clone is gone: this takes the buffer without copying it.
    let original = Vec::from(bytes);
    app.0
        .engine
        .store()
        .put_attachment(NewAttachment { meta, original, public: variants.public, thumbnail: variants.thumbnail })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// 128 bits from a cryptographic generator seeded by the operating system, as 32 lowercase hex
/// digits.
fn new_id() -> String {
    rand::random::<[u8; 16]>().iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "attachment_not_found",
        format!("附件 {id} 不存在"),
        format!("attachment {id} does not exist"),
    )
}

async fn find(app: &AppState, id: &str) -> Result<Attachment, ApiError> {
    if !is_id(id) {
        return Err(not_found(id));
    }
    app.0.engine.store().attachment(id).await?.ok_or_else(|| not_found(id))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// `public` (default: metadata removed) or `original` (as uploaded; staff and the uploader only).
    pub variant: Option<String>,
}

/// Whether the caller may read what was uploaded, metadata and all: staff of any role except the
/// three administrators (who never read case contents), and the uploader.
fn may_read_original(caller: &Caller, a: &Attachment) -> bool {
    let staff = caller.role().is_some_and(|r| r != Role::Resident) && !caller.is_administrator();
    let uploader = caller.account.as_deref().is_some_and(|acc| acc == a.uploader && acc != ANONYMOUS);
    staff || uploader
}

/// An attachment's bytes: the public variant (metadata removed), or the original for staff and
/// the uploader. Answers a single `Range: bytes=…` with 206, so that videos can be played.
#[utoipa::path(get, path = "/api/attachments/{id}", tag = "attachments",
    params(("id" = String, Path, description = "attachment id"), DownloadQuery),
    responses((status = 200, description = "the bytes, with their media type", content(
            ("image/jpeg"), ("image/png"), ("image/webp"), ("video/mp4"), ("video/quicktime"))),
        (status = 206, description = "the requested range"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 416, body = ErrorBody)))]
async fn download(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let variant = match q.variant.as_deref().unwrap_or("public") {
        "public" => Variant::Public,
        "original" => Variant::Original,
        other => {
            return Err(ApiError::from(Refusal::bad_field(
                "variant",
                format!("没有“{other}”这种版本（public 或 original）"),
                format!("there is no variant “{other}” (public or original)"),
            )));
        }
    };
    let a = find(&app, &id).await?;
    if variant == Variant::Original && !may_read_original(&caller, &a) {
        return Err(if caller.actor.is_none() && caller.account.is_none() {
            ApiError::unauthenticated()
        } else {
            ApiError::forbidden(
                "原件只提供给工作人员和上传者；公开版本已去除位置等信息",
                "the original is served only to staff and to the uploader; the public variant has its location and other metadata removed",
            )
        });
    }
    serve(&app, &a, variant, a.media_type.clone(), &headers).await
}

/// A JPEG of at most 320 px on the long side (for a video, a placeholder frame).
#[utoipa::path(get, path = "/api/attachments/{id}/thumbnail", tag = "attachments",
    params(("id" = String, Path, description = "attachment id")),
    responses((status = 200, description = "a JPEG", content_type = "image/jpeg"), (status = 404, body = ErrorBody)))]
async fn thumbnail(
    State(app): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let a = find(&app, &id).await?;
    serve(&app, &a, Variant::Thumbnail, "image/jpeg".to_owned(), &headers).await
}

async fn serve(
    app: &AppState,
    a: &Attachment,
    variant: Variant,
    media_type: String,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let Some(bytes) = app.0.engine.store().attachment_bytes(&a.id, variant).await? else {
        return Err(ApiError::internal(format!("attachment {} has no {} bytes", a.id, variant.as_str())));
    };
    let cache = if variant == Variant::Original {
        // Metadata and all: personal data, kept out of every cache.
        "private, no-store"
    } else {
        // Stored once, never changed.
        "public, max-age=31536000, immutable"
    };
    let total = bytes.len();
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(|r| byte_range(r, total));
    let (status, body, content_range) = match range {
        None | Some(Range::Ignored) => (StatusCode::OK, bytes, None),
        Some(Range::Satisfiable(from, to)) => {
            (StatusCode::PARTIAL_CONTENT, bytes[from..=to].to_vec(), Some(format!("bytes {from}-{to}/{total}")))
        }
        Some(Range::Unsatisfiable) => {
            let mut r = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("请求的范围超出文件大小（{total} 字节）"),
                format!("the requested range lies outside the file ({total} bytes)"),
            )
            .into_response();
            r.headers_mut().insert(header::CONTENT_RANGE, header_value(&format!("bytes */{total}")));
            return Ok(r);
        }
    };
    let mut r = (status, Body::from(body)).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, header_value(&media_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(cr) = content_range {
        h.insert(header::CONTENT_RANGE, header_value(&cr));
    }
    Ok(r)
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

#[derive(Debug, PartialEq, Eq)]
enum Range {
    /// Inclusive byte positions.
    Satisfiable(usize, usize),
    Unsatisfiable,
    /// Several ranges, or not in bytes: answered with the whole content, as HTTP allows.
    Ignored,
}

/// One `bytes=from-to`, `bytes=from-` or `bytes=-suffix` range over `total` bytes.
fn byte_range(header: &str, total: usize) -> Range {
    let Some(spec) = header.trim().strip_prefix("bytes=") else { return Range::Ignored };
    if spec.contains(',') {
        return Range::Ignored;
    }
    let Some((from, to)) = spec.trim().split_once('-') else { return Range::Ignored };
    let parse = |s: &str| s.trim().parse::<usize>().ok();
    let (from, to) = match (from.trim().is_empty(), parse(from), parse(to)) {
        (true, _, Some(suffix)) if suffix > 0 => (total.saturating_sub(suffix), total.saturating_sub(1)),
        (false, Some(f), Some(t)) if f <= t => (f, t.min(total.saturating_sub(1))),
        (false, Some(f), None) if to.trim().is_empty() => (f, total.saturating_sub(1)),
        _ => return Range::Ignored,
    };
    if total == 0 || from >= total { Range::Unsatisfiable } else { Range::Satisfiable(from, to) }
}

/// Checks that every id in `ids` names an uploaded attachment: 400 naming the field and the
/// first id that does not. For `photos` of a report and `attachments` of a step.
pub async fn require_existing(app: &AppState, field: &str, ids: &[String]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    let wellformed: Vec<String> = ids.iter().filter(|id| is_id(id)).cloned().collect();
    let found = app.0.engine.store().find_attachments(&wellformed).await?;
    match ids.iter().find(|id| !found.iter().any(|a| &a.id == *id)) {
        None => Ok(()),
        Some(missing) => Err(Refusal::bad_field(
            field,
            format!("附件 {missing} 不存在（请先上传：POST /api/attachments）"),
            format!("attachment {missing} does not exist (upload it first: POST /api/attachments)"),
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(byte_range("bytes=0-9", 100), Range::Satisfiable(0, 9));
        assert_eq!(byte_range("bytes=90-", 100), Range::Satisfiable(90, 99));
        assert_eq!(byte_range("bytes=-10", 100), Range::Satisfiable(90, 99));
        assert_eq!(byte_range("bytes=95-200", 100), Range::Satisfiable(95, 99));
        assert_eq!(byte_range("bytes=100-", 100), Range::Unsatisfiable);
        assert_eq!(byte_range("bytes=0-1,5-6", 100), Range::Ignored);
        assert_eq!(byte_range("items=0-1", 100), Range::Ignored);
        assert_eq!(byte_range("bytes=9-0", 100), Range::Ignored);
    }

    #[test]
    fn ids() {
        let id = new_id();
        assert!(is_id(&id), "{id}");
        assert_ne!(new_id(), id);
        assert!(!is_id("0123456789ABCDEF0123456789ABCDEF"));
        assert!(!is_id("../../etc/passwd"));
    }
}
