//! Shared by the router tests: a test-only authenticator. Never shipped.

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::request::Parts;
use yiwang_domain::Lang;
use yiwang_domain::case::Actor;
use yiwang_engine::Engine;
use yiwang_server::caller::{Authenticator, Caller};
use yiwang_server::error::ApiError;

/// `x-test-actor: <staff id>` (looked up in the reference data) or `x-test-actor: resident:<id>`;
/// no header (or an empty one) is an anonymous caller.
pub struct TestAuth(pub Arc<Engine>);

#[async_trait]
impl Authenticator for TestAuth {
    async fn identify(&self, parts: &Parts, lang: Lang) -> Result<Caller, ApiError> {
        let Some(who) = parts.headers.get("x-test-actor").and_then(|v| v.to_str().ok()).filter(|w| !w.is_empty())
        else {
            return Ok(Caller::anonymous(lang));
        };
        let actor = match who.strip_prefix("resident:") {
            Some(r) => Actor::resident(r),
            None => self.0.loaded().staff(who).expect("test staff exists").actor(),
        };
        Ok(Caller { account: Some(who.to_owned()), actor: Some(actor), lang })
    }

    async fn api_key(&self, _: &str, _: Lang) -> Result<Option<Caller>, ApiError> {
        Ok(None)
    }
}
