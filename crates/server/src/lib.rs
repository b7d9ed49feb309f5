//! yiwang over HTTP (axum).
//!
//! Architecture invariant: the only crate that knows HTTP. Handlers parse requests into domain
//! types, call the engine, and turn its answers into responses; they decide nothing themselves.

pub mod api;
pub mod auth;
pub mod caller;
pub mod error;
pub mod front_end;
pub mod limits;
pub mod mask;
pub mod open311;
pub mod reports;
pub mod view;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa_swagger_ui::SwaggerUi;
use yiwang_engine::Engine;

use crate::caller::Authenticator;

/// Largest request body accepted by JSON endpoints.
pub const MAX_BODY: usize = 256 * 1024;

/// Everything a request handler may use.
pub struct App {
    pub engine: Arc<Engine>,
    pub auth: Arc<dyn Authenticator>,
    /// Request rates allowed at the doors anyone can reach (see [`limits`]).
    pub limits: limits::Limits,
    /// The demo's sign-in help and the codes it would have sent, when serving `yiwang demo`.
    pub demo: Option<api::demo::Demo>,
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
        .route("/healthz", get(healthz))
        .fallback(front_end::serve)
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
