//! The web interface (`web/`, embedded by the `yiwang-web` crate): its files, and for every other
//! path outside the API the single page, whose router shows the right view.

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// What the page may load: only its own origin, but for photos and map tiles (a deployment may
/// configure a tile server) and the inline styles that the map and charts set.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob: https:; \
    style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
    frame-ancestors 'none'; form-action 'self'";

pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let api = ["/api", "/open311"].iter().any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if api || !(method == Method::GET || method == Method::HEAD) {
        return ApiError::not_found("没有这个地址", "no such address").into_response();
    }
    let file = path.trim_start_matches('/');
    if let Some(asset) = (!file.is_empty()).then(|| yiwang_web::asset(file)).flatten() {
        let cache = if asset.immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
        return respond(asset, cache);
    }
    // A route of the page (`/cases/12`), not a missing file (`/x.png`).
    if file.rsplit('/').next().is_some_and(|last| last.contains('.')) {
        return ApiError::not_found("没有这个文件", "no such file").into_response();
    }
    respond(yiwang_web::index(), "no-cache")
}

fn respond(asset: yiwang_web::Asset, cache: &'static str) -> Response {
    let mut response = (StatusCode::OK, asset.bytes.into_owned()).into_response();
    let headers = response.headers_mut();
    if let Ok(mime) = HeaderValue::from_str(&asset.mime) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    response
}
