//! The demo's sign-in help (`yiwang demo` only): its shared password and one login per role, so
//! that a visitor can play every role from the sign-in page. A real deployment has none: 404.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody, Json};

/// How to sign in to the demo.
#[derive(Clone, Serialize, ToSchema)]
pub struct DemoSignIn {
    /// Every demo account's password.
    pub password: String,
    /// One example account per role.
    pub accounts: Vec<DemoAccount>,
    /// How the other logins are formed, e.g. `gm-<grid code>` for a grid's member.
    pub patterns: Vec<String>,
}

#[derive(Clone, Serialize, ToSchema)]
pub struct DemoAccount {
    /// e.g. `dispatcher`.
    pub role: String,
    pub login: String,
    pub name: String,
    /// Where the role holds (its node of the jurisdiction tree, or its unit).
    pub place: String,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(demo))
}

/// The demo's sign-in help; 404 when this server is not a demo.
#[utoipa::path(get, path = "/api/demo", tag = "accounts",
    responses((status = 200, body = DemoSignIn), (status = 404, body = ErrorBody)))]
async fn demo(State(app): State<AppState>) -> Result<Json<DemoSignIn>, ApiError> {
    app.0.demo.clone().map(Json).ok_or_else(|| ApiError::not_found("这不是演示系统", "this server is not a demo"))
}
