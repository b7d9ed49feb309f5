//! One error body for the whole API: `{"code": "...", "message": "..."}`.
//!
//! `code` is stable and meant for programs; `message` is in the caller's language (zh-CN by
//! default, English when the caller asks with `?lang=en`, a `lang=en` cookie or
//! `Accept-Language: en`). A caller's mistake is a 4xx; an internal fault is a 500 whose detail
//! goes to the log, never to the caller.

use std::borrow::Cow;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use yiwang_domain::{Lang, Refusal};
use yiwang_engine::EngineError;

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `illegal_transition`.
    pub code: String,
    /// What went wrong, in the caller's language.
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub zh: String,
    pub en: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError { status, code: Cow::Borrowed(code), zh: zh.into(), en: en.into() }
    }

    /// An internal fault: logged with its detail, answered as a plain 500.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后再试",
            "internal error; please try again later",
        )
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录", "please sign in first")
    }

    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", zh, en)
    }

    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", zh, en)
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// The HTTP status of a domain refusal, by its code.
fn status_of(code: &str) -> StatusCode {
    match code {
        "role_not_allowed"
        | "outside_jurisdiction"
        | "not_your_unit"
        | "own_unit_close"
        | "self_verification"
        | "not_reporter"
        | "not_own_report" => StatusCode::FORBIDDEN,
        "illegal_transition"
        | "extension_pending"
        | "no_extension_request"
        | "already_rated"
        | "not_due"
        | "merge_into_closed"
        | "case_exists" => StatusCode::CONFLICT,
        "case_not_found" => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        ApiError { status: status_of(r.code), code: Cow::Borrowed(r.code), zh: r.zh, en: r.en }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Refused(r) => r.into(),
            EngineError::NotFound(id) => {
                ApiError::not_found(format!("案卷 {id} 不存在"), format!("case {id} does not exist"))
            }
            EngineError::Store(e) => ApiError::internal(e),
        }
    }
}

impl From<yiwang_store::StoreError> for ApiError {
    fn from(e: yiwang_store::StoreError) -> Self {
        EngineError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The body is written by `localize`, which knows the caller's language.
        let mut r = (self.status, [(header::CONTENT_TYPE, "application/json")]).into_response();
        r.extensions_mut().insert(self);
        r
    }
}

/// The caller's language, from `?lang=`, the `lang` cookie, or `Accept-Language`.
pub fn lang_of(query: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(q) = query
        && let Some(v) = q.split('&').find_map(|kv| kv.strip_prefix("lang="))
    {
        return Lang::from_tag(v);
    }
    if let Some(c) = headers.get(header::COOKIE).and_then(|v| v.to_str().ok())
        && let Some(v) = c.split(';').find_map(|kv| kv.trim().strip_prefix("lang="))
    {
        return Lang::from_tag(v);
    }
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map_or(Lang::Zh, Lang::from_tag)
}

/// Middleware: puts the caller's [`Lang`] in the request and writes error bodies in it.
pub async fn localize(mut req: Request, next: Next) -> Response {
    let lang = lang_of(req.uri().query(), req.headers());
    req.extensions_mut().insert(lang);
    let mut res = next.run(req).await;
    if let Some(err) = res.extensions_mut().remove::<ApiError>() {
        let body = ErrorBody { code: err.code.to_string(), message: err.message(lang).to_owned() };
        let (mut parts, _) = res.into_parts();
        parts.headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json; charset=utf-8"));
        parts.headers.remove(header::CONTENT_LENGTH);
        res = Response::from_parts(parts, axum::body::Body::from(serde_json::to_vec(&body).expect("serialises")));
    }
    res
}

/// JSON bodies whose rejections use the API's error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let kib = crate::MAX_BODY / 1024;
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("请求内容过大，不能超过 {kib} KiB"),
                format!("the request body is too large; at most {kib} KiB"),
            );
        }
        let detail = r.body_text();
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: Cow::Borrowed("invalid_body"),
            zh: format!("请求内容无效：{detail}"),
            en: format!("invalid request body: {detail}"),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        let detail = r.body_text();
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: Cow::Borrowed("invalid_query"),
            zh: format!("查询参数无效：{detail}"),
            en: format!("invalid query: {detail}"),
        }
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        let detail = r.body_text();
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: Cow::Borrowed("invalid_path"),
            zh: format!("路径参数无效：{detail}"),
            en: format!("invalid path parameter: {detail}"),
        }
    }
}

/// Query strings whose rejections use the API's error body.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Path parameters whose rejections use the API's error body.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);
