//! The demo's sign-in help (`yiwang demo` only): its shared password and one login per role, so
//! that a visitor can play every role from the sign-in page, and the verification codes it would
//! have sent by SMS (signing up, 亲友代办), since a visitor's phone receives none. A real
//! deployment has none of this: 404.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::personal::mask_phone;
use yiwang_domain::time::Timestamp;

use crate::AppState;
use crate::auth::{CodeSender, LogCodeSender};
use crate::error::{ApiError, ErrorBody, Json};

/// What `yiwang demo` adds to the server.
pub struct Demo {
    pub sign_in: DemoSignIn,
    /// The code sender of the demo's accounts.
    pub outbox: Arc<DemoOutbox>,
}

/// The demo's code sender: logs each code like [`LogCodeSender`] and keeps the latest, for
/// `GET /api/demo/codes`.
#[derive(Default)]
pub struct DemoOutbox(Mutex<VecDeque<DemoCode>>);

/// How many codes the demo remembers.
const KEPT: usize = 50;

#[async_trait]
impl CodeSender for DemoOutbox {
    async fn send(&self, phone: &str, code: &str) -> Result<(), String> {
        LogCodeSender.send(phone, code).await?;
        let mut kept = self.0.lock().map_err(|e| e.to_string())?;
        kept.push_front(DemoCode {
            phone: mask_phone(phone),
            code: code.to_owned(),
            sent_at: Timestamp::now().to_rfc3339_cst(),
        });
        kept.truncate(KEPT);
        Ok(())
    }
}

/// A code the demo “sent”.
#[derive(Clone, Serialize, ToSchema)]
pub struct DemoCode {
    /// The phone it went to, masked (`139****0002`).
    pub phone: String,
    pub code: String,
    pub sent_at: String,
}

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
    OpenApiRouter::new().routes(routes!(demo)).routes(routes!(codes))
}

/// The demo's sign-in help; 404 when this server is not a demo.
#[utoipa::path(get, path = "/api/demo", tag = "accounts",
    responses((status = 200, body = DemoSignIn), (status = 404, body = ErrorBody)))]
async fn demo(State(app): State<AppState>) -> Result<Json<DemoSignIn>, ApiError> {
    app.0.demo.as_ref().map(|d| Json(d.sign_in.clone())).ok_or_else(not_a_demo)
}

fn not_a_demo() -> ApiError {
    ApiError::not_found("这不是演示系统", "this server is not a demo")
}

/// The verification codes the demo would have sent by SMS, newest first (at most 50), so that
/// a visitor can sign up and consent to a proxy; 404 when this server is not a demo.
#[utoipa::path(get, path = "/api/demo/codes", tag = "accounts",
    responses((status = 200, body = Vec<DemoCode>), (status = 404, body = ErrorBody)))]
async fn codes(State(app): State<AppState>) -> Result<Json<Vec<DemoCode>>, ApiError> {
    let demo = app.0.demo.as_ref().ok_or_else(not_a_demo)?;
    let kept = demo.outbox.0.lock().map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(kept.iter().cloned().collect()))
}
