//! Open311 GeoReport v2 at `/open311/v2/`, with the extensions in wide use: `page`/`page_size`,
//! the singular `service/{code}` alias, and FixMyStreet's `servicerequestupdates` with its
//! extended statuses (see [`status`]).
//!
//! | resource | methods | what |
//! |---|---|---|
//! | `discovery.{fmt}` | GET | where this endpoint is and what it speaks |
//! | `services.{fmt}` | GET | the taxonomy's subclasses as services |
//! | `services/{code}.{fmt}`, `service/{code}.{fmt}` | GET | a service definition: its attributes |
//! | `requests.{fmt}` | GET, POST | list requests (public, masked); report one (`api_key`) |
//! | `requests/{id}.{fmt}` | GET | one request, as a one-element list |
//! | `tokens/{token}.{fmt}` | GET | the request a token stands for (our tokens are request ids) |
//! | `servicerequestupdates.{fmt}` | GET, POST | changes in a time window; an update from a client system (`api_key`) |
//!
//! `{fmt}` is `xml` (no namespace, the spec's element names) or `json` (the same data). Every
//! answer, errors included, is written here in the format asked for: errors are the spec's list
//! of `{code, description}` (`<errors><error>…</error></errors>`), with the HTTP status as the code
//! (400, 403, 404; 413 for a body over the limit; 500 for an internal fault, logged) and the
//! description in the caller's language (the `Lang` that the `localize` middleware put in the
//! request; `localize` rewrites only [`ApiError`] answers, which these handlers never return).
//!
//! Architecture invariant: this module translates Open311 into the engine's own calls
//! (`Engine::report`, `Engine::act`) and the store's reads; it decides nothing about cases. What
//! the public may see is decided in `requests` and `updates`: never the reporter, and free
//! text masked (`mask`).

mod doc;
mod place;
mod requests;
mod services;
pub mod status;
mod updates;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, TimeZone};
use yiwang_domain::codes::{AreaCode, Level};
use yiwang_domain::time::{Timestamp, china_standard_time};
use yiwang_domain::{Lang, Refusal};
use yiwang_engine::EngineError;
use yiwang_store::StoreError;

use self::doc::Node;
use crate::AppState;
use crate::caller::Caller;
use crate::error::ApiError;

/// The longest window of `start_date`..`end_date`, and the default window ending now.
pub const MAX_WINDOW_DAYS: i64 = 90;
/// The most results one answer carries (the spec's default, and our largest `page_size`).
pub const MAX_RESULTS: u32 = 1_000;
/// Longest description of a request or an update (the spec's limit).
pub const MAX_DESCRIPTION: usize = 4_000;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{file}", get(top_get).post(top_post))
        .route("/services/{file}", get(definition))
        .route("/service/{file}", get(definition))
        .route("/requests/{file}", get(one_request))
        .route("/tokens/{file}", get(token))
        .fallback(unknown)
}

/// The format asked for by the resource's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

/// A successful answer: its XML root element and its tree.
pub struct Reply {
    pub status: StatusCode,
    pub root: &'static str,
    pub body: Node,
}

impl Reply {
    pub fn ok(root: &'static str, body: Node) -> Reply {
        Reply { status: StatusCode::OK, root, body }
    }
}

/// An Open311 error: one `{code, description}`, the code being the HTTP status.
#[derive(Clone, Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub zh: String,
    pub en: String,
}

impl Failure {
    pub fn new(status: StatusCode, zh: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure { status, zh: zh.into(), en: en.into() }
    }

    pub fn bad(zh: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, zh, en)
    }

    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure::new(StatusCode::FORBIDDEN, zh, en)
    }

    pub fn not_found(zh: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure::new(StatusCode::NOT_FOUND, zh, en)
    }

    fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    fn render(&self, format: Format, lang: Lang) -> Response {
        let error = Node::Object(vec![
            ("code", Node::Int(self.status.as_u16().into())),
            ("description", Node::text(self.message(lang))),
        ]);
        render(self.status, format, "errors", &Node::List("error", vec![error]))
    }
}

impl From<ApiError> for Failure {
    /// The API's statuses folded into the spec's: a missing or wrong credential is 403, a
    /// conflict with the case's state is 400.
    fn from(e: ApiError) -> Failure {
        let status = match e.status {
            StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
            s if s.is_server_error() => s,
            s @ (StatusCode::FORBIDDEN
            | StatusCode::NOT_FOUND
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::TOO_MANY_REQUESTS) => s,
            _ => StatusCode::BAD_REQUEST,
        };
        Failure { status, zh: e.zh, en: e.en }
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Failure {
        ApiError::from(r).into()
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Failure {
        ApiError::from(e).into()
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        ApiError::from(e).into()
    }
}

fn render(status: StatusCode, format: Format, root: &str, body: &Node) -> Response {
    let (content_type, text) = match format {
        Format::Xml => ("text/xml; charset=utf-8", doc::xml(root, body)),
        Format::Json => ("application/json; charset=utf-8", doc::json(body)),
    };
    (status, [(header::CONTENT_TYPE, content_type)], text).into_response()
}

fn finish(result: Result<Reply, Failure>, format: Format, lang: Lang) -> Response {
    match result {
        Ok(r) => render(r.status, format, r.root, &r.body),
        Err(f) => f.render(format, lang),
    }
}

/// The parameters of a call, in the order sent; names may repeat (`media_url`).
#[derive(Clone, Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    fn parse(text: &str) -> Result<Params, Failure> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(text)
            .map(Params)
            .map_err(|e| Failure::bad(format!("参数无法解析：{e}"), format!("the parameters do not parse: {e}")))
    }

    fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    /// The first non-empty value of `name`, trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).find(|v| !v.is_empty())
    }

    /// Every non-empty value of `name`, trimmed, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect()
    }

    /// The `attribute[code]` values, in order.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("attribute[").and_then(|k| k.strip_suffix(']')).map(|k| (k, v.trim())))
    }
}

/// One call: what was asked, in which format and language.
pub struct Call {
    pub format: Format,
    pub lang: Lang,
    pub params: Params,
    pub headers: HeaderMap,
}

/// `services.xml` → (`services`, XML); anything else is not ours.
fn split(file: &str) -> Option<(&str, Format)> {
    let (stem, ext) = file.rsplit_once('.')?;
    let format = if ext.eq_ignore_ascii_case("xml") {
        Format::Xml
    } else if ext.eq_ignore_ascii_case("json") {
        Format::Json
    } else {
        return None;
    };
    (!stem.is_empty()).then_some((stem, format))
}

fn no_such_resource() -> Failure {
    Failure::not_found(
        "没有这个资源；Open311 资源以 .xml 或 .json 结尾，如 services.xml",
        "no such resource; Open311 resources end in .xml or .json, e.g. services.xml",
    )
}

/// The resource of a path, or the format of the 404 to answer (XML, unless the path asked for
/// JSON).
fn resource(file: Result<Path<String>, PathRejection>) -> Result<(String, Format), Format> {
    let file = file.map(|Path(f)| f).unwrap_or_default();
    match split(&file) {
        Some((stem, format)) => Ok((stem.to_owned(), format)),
        None if file.to_ascii_lowercase().ends_with(".json") => Err(Format::Json),
        None => Err(Format::Xml),
    }
}

fn lang_of(lang: Option<Extension<Lang>>) -> Lang {
    lang.map(|Extension(l)| l).unwrap_or_default()
}

fn query_params(query: Option<String>) -> Result<Params, Failure> {
    Params::parse(query.as_deref().unwrap_or(""))
}

/// Parameters of a POST: the form-encoded body (as the spec says), then the query string.
fn post_params(
    headers: &HeaderMap,
    query: Option<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Params, Failure> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Failure::new(StatusCode::PAYLOAD_TOO_LARGE, "请求内容过大", "the request body is too large")
        } else {
            Failure::bad(
                format!("请求内容无法读取：{}", r.body_text()),
                format!("the request body cannot be read: {}", r.body_text()),
            )
        }
    })?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.is_empty() && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(Failure::bad(
            "请以 application/x-www-form-urlencoded 格式提交参数",
            "send the parameters form-encoded (application/x-www-form-urlencoded)",
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| Failure::bad("请求内容须为 UTF-8 编码", "the request body must be UTF-8"))?;
    let mut params = Params::parse(text)?;
    params.extend(query_params(query)?);
    Ok(params)
}

/// `jurisdiction_id`, when given, must name this deployment: a top area of its tree or one of
/// their ancestors, or an area of county level or above inside it (e.g. `110101`, `1101`, `11`).
fn check_jurisdiction(app: &AppState, params: &Params) -> Result<(), Failure> {
    let Some(asked) = params.get("jurisdiction_id") else { return Ok(()) };
    let accepted = jurisdictions(app);
    if accepted.iter().any(|c| c.as_str() == asked) {
        return Ok(());
    }
    let list: Vec<&str> = accepted.iter().map(AreaCode::as_str).collect();
    Err(Failure::not_found(
        format!("jurisdiction_id “{asked}”不由本服务受理；请使用 {}", list.join("、")),
        format!("jurisdiction_id “{asked}” is not served here; use {}", list.join(", ")),
    ))
}

/// The codes accepted as `jurisdiction_id`, most specific first.
fn jurisdictions(app: &AppState) -> Vec<AreaCode> {
    let loaded = app.0.engine.loaded();
    let j = &loaded.jurisdiction;
    let mut codes: Vec<AreaCode> = Vec::new();
    for a in j.areas() {
        let top = a.code.parent().is_none_or(|p| j.area(&p).is_none());
        if top || a.code.level() <= Level::County {
            let mut c = Some(a.code.clone());
            while let Some(code) = c {
                if !codes.contains(&code) {
                    codes.push(code.clone());
                }
                c = code.parent();
            }
        }
    }
    codes.sort_by(|a, b| b.level().cmp(&a.level()).then(a.cmp(b)));
    codes
}

/// The caller an `api_key` stands for: 403 without a key, with an unknown one, or for an
/// administrator (they run the platform and take no part in cases).
async fn api_caller(app: &AppState, call: &Call) -> Result<Caller, Failure> {
    let Some(key) = call.params.get("api_key") else {
        return Err(Failure::forbidden("须提供 api_key", "an api_key is required"));
    };
    let invalid = || Failure::forbidden("api_key 无效或已吊销", "the api_key is invalid or revoked");
    let caller = app.0.auth.api_key(key, call.lang).await.map_err(Failure::from)?.ok_or_else(invalid)?;
    if caller.actor.is_none() {
        return Err(invalid());
    }
    if caller.is_administrator() {
        return Err(Failure::forbidden(
            "管理员账号不能办理案卷，请使用业务账号的 api_key",
            "an administrator's key takes no part in cases; use the api_key of an operational account",
        ));
    }
    Ok(caller)
}

/// A W3C date-time (RFC 3339, e.g. `2026-11-20T00:00:00Z` or `…+08:00`), or a date alone
/// (midnight, China Standard Time).
pub fn parse_time(name: &str, s: &str) -> Result<Timestamp, Failure> {
    // A `+` left unencoded in a query string arrives as a space.
    let mut fixed = s.trim().to_owned();
    if fixed.len() > 6 && fixed.as_bytes()[fixed.len() - 6] == b' ' {
        fixed.replace_range(fixed.len() - 6..fixed.len() - 5, "+");
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(&fixed) {
        return Ok(Timestamp::from_datetime(&t));
    }
    if let Ok(d) = NaiveDate::parse_from_str(&fixed, "%Y-%m-%d")
        && let Some(t) = china_standard_time().from_local_datetime(&d.and_time(Default::default())).single()
    {
        return Ok(Timestamp::from_datetime(&t));
    }
    Err(Failure::bad(
        format!("{name} “{s}”应为 W3C 日期时间，如 2026-11-20T09:00:00+08:00"),
        format!("{name} “{s}” must be a W3C date-time, e.g. 2026-11-20T09:00:00+08:00"),
    ))
}

/// `start_date`..`end_date`, inclusive both, at most 90 days; the last 90 days by default.
/// Returns `[from, to)`, `to` open-ended when no end was given.
pub fn window(params: &Params, now: Timestamp) -> Result<(Timestamp, Option<Timestamp>), Failure> {
    let start = params.get("start_date").map(|s| parse_time("start_date", s)).transpose()?;
    let end = params.get("end_date").map(|s| parse_time("end_date", s)).transpose()?;
    let span = MAX_WINDOW_DAYS * DAY_MS;
    Ok(match (start, end) {
        (Some(s), Some(e)) => {
            if s > e {
                return Err(Failure::bad("start_date 晚于 end_date", "start_date is after end_date"));
            }
            if e.0 - s.0 > span {
                return Err(Failure::bad(
                    format!("start_date 与 end_date 相隔不能超过 {MAX_WINDOW_DAYS} 天"),
                    format!("start_date and end_date may not span more than {MAX_WINDOW_DAYS} days"),
                ));
            }
            (s, Some(e.plus_ms(1)))
        }
        (Some(s), None) => (s, Some(s.plus_ms(span + 1))),
        (None, Some(e)) => (e.plus_ms(-span), Some(e.plus_ms(1))),
        (None, None) => (now.plus_ms(-span), None),
    })
}

/// `page` (1–1,000) and `page_size` (1–1,000, default 1,000): the offset and the count.
pub fn paging(params: &Params) -> Result<(u64, u32), Failure> {
    let number = |name: &str, min: u64, max: u64, default: u64| -> Result<u64, Failure> {
        match params.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<u64>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
                Failure::bad(
                    format!("{name} “{v}”应为 {min} 到 {max} 之间的整数"),
                    format!("{name} “{v}” must be a whole number from {min} to {max}"),
                )
            }),
        }
    };
    let size = number("page_size", 1, MAX_RESULTS.into(), MAX_RESULTS.into())?;
    // Pages are counted from the newest; deeper than this, narrow the window instead.
    let page = number("page", 1, 1_000, 1)?;
    Ok(((page - 1) * size, size as u32))
}

/// Description text as the spec allows it: at most 4,000 characters, no HTML or code.
pub fn plain_text(name: &str, s: &str) -> Result<String, Failure> {
    let s = s.trim();
    if s.chars().count() > MAX_DESCRIPTION {
        return Err(Failure::bad(
            format!("{name} 不能超过 {MAX_DESCRIPTION} 字"),
            format!("{name} may not be longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    let looks_like_markup = s.char_indices().any(|(i, c)| {
        let rest = &s[i + c.len_utf8()..];
        c == '<'
            && rest.chars().next().is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?'))
            && rest.contains('>')
    }) || s.contains("&lt;")
        || s.contains("&#");
    if looks_like_markup {
        return Err(Failure::bad(
            format!("{name} 须为纯文本，不能含 HTML 或代码"),
            format!("{name} must be plain text, without HTML or code"),
        ));
    }
    Ok(s.to_owned())
}

/// `media_url` values: http(s) links to pictures the client system publishes.
pub fn media_urls(params: &Params) -> Result<Vec<String>, Failure> {
    const MAX_MEDIA: usize = 20;
    let urls = params.all("media_url");
    if urls.len() > MAX_MEDIA {
        return Err(Failure::bad(
            format!("media_url 最多 {MAX_MEDIA} 个"),
            format!("at most {MAX_MEDIA} media_url values"),
        ));
    }
    urls.into_iter()
        .map(|u| {
            let lower = u.to_ascii_lowercase();
            let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
                && u.len() <= 2048
                && u.len() > "https://".len()
                && !u.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'));
            if ok {
                Ok(u.to_owned())
            } else {
                Err(Failure::bad(
                    format!("media_url “{u}”应为 http 或 https 链接"),
                    format!("media_url “{u}” must be an http or https link"),
                ))
            }
        })
        .collect()
}

/// `discovery`, `services`, `requests` and `servicerequestupdates`.
async fn top_get(
    State(app): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    lang: Option<Extension<Lang>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(lang);
    let (stem, format) = match resource(file) {
        Ok(r) => r,
        Err(format) => return no_such_resource().render(format, lang),
    };
    let result = async {
        let call = Call { format, lang, params: query_params(query)?, headers };
        check_jurisdiction(&app, &call.params)?;
        match stem.as_str() {
            "discovery" => Ok(services::discovery(&call)),
            "services" => Ok(services::list(&app, &call)),
            "requests" => requests::list(&app, &call).await,
            "servicerequestupdates" => updates::list(&app, &call).await,
            _ => Err(no_such_resource()),
        }
    }
    .await;
    finish(result, format, lang)
}

/// `requests` (report a problem) and `servicerequestupdates` (an update from a client system).
async fn top_post(
    State(app): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    lang: Option<Extension<Lang>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let lang = lang_of(lang);
    let (stem, format) = match resource(file) {
        Ok(r) => r,
        Err(format) => return no_such_resource().render(format, lang),
    };
    let result = async {
        if !matches!(stem.as_str(), "requests" | "servicerequestupdates") {
            return Err(no_such_resource());
        }
        let params = post_params(&headers, query, body)?;
        let call = Call { format, lang, params, headers };
        check_jurisdiction(&app, &call.params)?;
        let caller = api_caller(&app, &call).await?;
        if stem == "requests" {
            requests::create(&app, &call, &caller).await
        } else {
            updates::post(&app, &call, &caller).await
        }
    }
    .await;
    finish(result, format, lang)
}

/// `services/{code}` and its singular alias `service/{code}`.
async fn definition(
    State(app): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    lang: Option<Extension<Lang>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(lang);
    let (code, format) = match resource(file) {
        Ok(r) => r,
        Err(format) => return no_such_resource().render(format, lang),
    };
    let result = (|| {
        let call = Call { format, lang, params: query_params(query)?, headers };
        check_jurisdiction(&app, &call.params)?;
        services::definition(&app, &call, &code)
    })();
    finish(result, format, lang)
}

/// `requests/{id}`: one request, as a one-element list.
async fn one_request(
    State(app): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    lang: Option<Extension<Lang>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(lang);
    let (id, format) = match resource(file) {
        Ok(r) => r,
        Err(format) => return no_such_resource().render(format, lang),
    };
    let result = async {
        let call = Call { format, lang, params: query_params(query)?, headers };
        check_jurisdiction(&app, &call.params)?;
        requests::one(&app, &call, &id).await
    }
    .await;
    finish(result, format, lang)
}

/// `tokens/{token}`: requests are created at once, so a token is the request's id.
async fn token(
    State(app): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    lang: Option<Extension<Lang>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(lang);
    let (token, format) = match resource(file) {
        Ok(r) => r,
        Err(format) => return no_such_resource().render(format, lang),
    };
    let result = async {
        let call = Call { format, lang, params: query_params(query)?, headers };
        check_jurisdiction(&app, &call.params)?;
        requests::token(&app, &call, &token).await
    }
    .await;
    finish(result, format, lang)
}

/// Anything else under `/open311/v2/`.
async fn unknown(uri: axum::http::Uri, lang: Option<Extension<Lang>>) -> Response {
    let format = if uri.path().to_ascii_lowercase().ends_with(".json") { Format::Json } else { Format::Xml };
    no_such_resource().render(format, lang_of(lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params::parse(q).unwrap()
    }

    #[test]
    fn resources_split_by_extension() {
        assert_eq!(split("services.xml"), Some(("services", Format::Xml)));
        assert_eq!(split("E0102.JSON"), Some(("E0102", Format::Json)));
        assert_eq!(split("services"), None);
        assert_eq!(split("services.html"), None);
        assert_eq!(split(".xml"), None);
    }

    #[test]
    fn parameters_repeat_and_attributes_are_found() {
        let p = params("media_url=a&media_url=b&media_url=&attribute%5Burgency%5D=urgent&x=%20y%20");
        assert_eq!(p.all("media_url"), ["a", "b"]);
        assert_eq!(p.get("x"), Some("y"));
        assert_eq!(p.get("none"), None);
        assert_eq!(p.attributes().collect::<Vec<_>>(), [("urgency", "urgent")]);
    }

    #[test]
    fn times_are_w3c() {
        let t = parse_time("d", "2026-11-20T00:00:00Z").unwrap();
        assert_eq!(parse_time("d", "2026-11-20T08:00:00+08:00").unwrap(), t);
        assert_eq!(parse_time("d", "2026-11-20T08:00:00 08:00").unwrap(), t, "an unencoded +");
        assert_eq!(parse_time("d", "2026-11-20").unwrap(), t.plus_ms(-8 * 3600 * 1000));
        for bad in ["yesterday", "2026-13-01", "2026-11-20T00:00:00", ""] {
            assert!(parse_time("start_date", bad).unwrap_err().en.contains("start_date"), "{bad}");
        }
    }

    #[test]
    fn windows_default_to_ninety_days_and_stay_within_them() {
        let now = parse_time("d", "2026-11-21T12:00:00Z").unwrap();
        let (from, to) = window(&params(""), now).unwrap();
        assert_eq!((now.0 - from.0, to), (90 * DAY_MS, None));
        let (from, to) = window(&params("start_date=2026-11-01T00:00:00Z"), now).unwrap();
        assert_eq!(to.unwrap().0 - from.0, 90 * DAY_MS + 1);
        let (from, to) = window(&params("end_date=2026-11-01T00:00:00Z"), now).unwrap();
        assert_eq!(to.unwrap().0 - from.0, 90 * DAY_MS + 1);
        assert!(window(&params("start_date=2026-08-01T00:00:00Z&end_date=2026-11-01T00:00:00Z"), now).is_err());
        assert!(window(&params("start_date=2026-11-02T00:00:00Z&end_date=2026-11-01T00:00:00Z"), now).is_err());
        assert!(window(&params("start_date=2026-08-03T00:00:00Z&end_date=2026-11-01T00:00:00Z"), now).is_ok());
    }

    #[test]
    fn pages_are_bounded() {
        assert_eq!(paging(&params("")).unwrap(), (0, 1000));
        assert_eq!(paging(&params("page=3&page_size=20")).unwrap(), (40, 20));
        for bad in ["page=0", "page=1001", "page_size=0", "page_size=1001", "page=x", "page=-1"] {
            assert!(paging(&params(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptions_are_plain_text() {
        assert_eq!(plain_text("description", "  井盖缺失 a<b, 3 < 4  ").unwrap(), "井盖缺失 a<b, 3 < 4");
        for bad in ["<b>x</b>", "x <script>", "<!-- x -->", "&lt;b&gt;", "a</p>", "<br/>"] {
            assert!(plain_text("description", bad).is_err(), "{bad}");
        }
        assert!(plain_text("description", &"字".repeat(4000)).is_ok());
        assert!(plain_text("description", &"字".repeat(4001)).is_err());
    }

    #[test]
    fn media_urls_are_links() {
        assert_eq!(
            media_urls(&params("media_url=https%3A%2F%2Fa.example%2F1.jpg&media_url=http%3A%2F%2Fb.example%2F2.jpg"))
                .unwrap(),
            ["https://a.example/1.jpg", "http://b.example/2.jpg"]
        );
        for bad in ["ftp%3A%2F%2Fx", "javascript%3Aalert(1)", "https%3A%2F%2F", "https%3A%2F%2Fa%20b"] {
            assert!(media_urls(&params(&format!("media_url={bad}"))).is_err(), "{bad}");
        }
    }
}
