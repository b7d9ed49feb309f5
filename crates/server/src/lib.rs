//! yiwang over HTTP (axum).
//!
//! Architecture invariant: the only crate that knows HTTP. Handlers parse requests into domain
//! types, call the engine, and turn its answers into responses; they decide nothing themselves.

pub mod api;
pub mod auth;
pub mod caller;
pub mod error;
pub mod limits;
pub mod open311;
pub mod reports;
pub mod view;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use utoipa_swagger_ui::SwaggerUi;
use yiwang_domain::codes::Level;
use yiwang_engine::Engine;

use crate::caller::Authenticator;
use crate::error::ApiError;

/// Largest request body accepted by JSON endpoints.
pub const MAX_BODY: usize = 256 * 1024;

/// Everything a request handler may use.
pub struct App {
    pub engine: Arc<Engine>,
    pub auth: Arc<dyn Authenticator>,
    /// Request rates allowed at the doors anyone can reach (see [`limits`]).
    pub limits: limits::Limits,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

pub fn router(app: App) -> Router {
    let limiter = Arc::new(limits::Limiter::new(app.limits.clone()));
    let state = AppState(Arc::new(app));
    let (api, mut openapi) = api::router().split_for_parts();
    api::document_common_errors(&mut openapi);
    Router::new()
        .merge(api)
        .nest("/open311/v2", open311::router())
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .fallback(|| async { ApiError::not_found("没有这个地址", "no such address") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state((state.clone(), limiter), limits::limit))
        .layer(axum::middleware::from_fn(error::localize))
        .with_state(state)
}

/// Tells long-lived responses (live event streams) that the server is stopping, so that a
/// graceful shutdown does not wait for them: `true` once stopping.
#[derive(Clone)]
pub struct Stopping(pub tokio::sync::watch::Receiver<bool>);

/// Serves until ctrl-c or SIGTERM, then finishes the requests in flight (live event streams
/// end at once). Each request knows its peer's address (`ConnectInfo`), which the abuse limits
/// count by.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let router = router(app).layer(axum::Extension(Stopping(stopping)));
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown().await;
            let _ = stop.send(true);
        })
        .await
}

pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// 200 once the store answers: the engine is up and its reference data loaded.
async fn healthz(State(app): State<AppState>) -> Response {
    match app.0.engine.store().ledger_head().await {
        Ok(head) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("ok {}\n", head.seq))
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}

/// A minimal first page: where this deployment is and how much it holds.
async fn home(State(app): State<AppState>) -> Response {
    let engine = &app.0.engine;
    let loaded = engine.loaded();
    let top: Vec<String> = loaded
        .jurisdiction
        .areas()
        .filter(|a| a.code.level() == Level::County)
        .map(|a| format!("{}（{}）", escape(&a.name), a.code))
        .collect();
    let cases = engine.store().count_cases().await;
    let ledger = engine.store().ledger_head().await;
    let (cases, events) = match (cases, ledger) {
        (Ok(c), Ok(l)) => (c, l.seq),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "home page");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let streets = loaded.jurisdiction.areas().filter(|a| a.code.level() == Level::Street).count();
    let communities = loaded.jurisdiction.areas().filter(|a| a.code.level() == Level::Community).count();
    let grids = loaded.grids.len();
    Html(format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>一网 yiwang</title>
<style>body{{font:18px/1.6 system-ui,"WenQuanYi Micro Hei",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
dt{{font-weight:bold}}dd{{margin:0 0 .5rem 0}}</style></head>
<body>
<main>
<h1>一网 <span lang="en">yiwang</span></h1>
<p>网格化基层治理平台 · <span lang="en">grid-based grassroots governance</span></p>
<dl>
<dt>辖区 <span lang="en">Jurisdiction</span></dt><dd>{top}</dd>
<dt>街道 / 社区 / 网格 <span lang="en">Streets / communities / grids</span></dt><dd>{streets} / {communities} / {grids}</dd>
<dt>案卷 <span lang="en">Cases</span></dt><dd>{cases}</dd>
<dt>审计链事件 <span lang="en">Events in the audit ledger</span></dt><dd>{events}</dd>
</dl>
<p><a href="/healthz">/healthz</a></p>
</main>
</body></html>"#,
        top = if top.is_empty() { "—".to_string() } else { top.join("、") },
    ))
    .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
