//! Who is calling: resolved once per request by the deployment's [`Authenticator`].

use async_trait::async_trait;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use yiwang_domain::Lang;
use yiwang_domain::case::{Actor, Role};

use crate::AppState;
use crate::error::ApiError;

/// The caller of one request.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    /// The account, when signed in (a session cookie or an API token).
    pub account: Option<String>,
    /// How the caller acts on cases; `None` for an anonymous caller.
    pub actor: Option<Actor>,
    pub lang: Lang,
}

impl Caller {
    pub fn anonymous(lang: Lang) -> Caller {
        Caller { account: None, actor: None, lang }
    }

    /// The actor, or 401 for an anonymous caller.
    pub fn actor(&self) -> Result<&Actor, ApiError> {
        self.actor.as_ref().ok_or_else(ApiError::unauthenticated)
    }

    pub fn role(&self) -> Option<Role> {
        self.actor.as_ref().map(|a| a.role)
    }

    /// 系统/安全/审计管理员: they run the platform and never read case contents (三权分立).
    pub fn is_administrator(&self) -> bool {
        matches!(self.role(), Some(Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin))
    }
}

/// Turns a request's credentials into a [`Caller`].
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// The caller of a request: anonymous when it carries no credentials; an error (401) when it
    /// carries credentials that are wrong, expired or locked.
    async fn identify(&self, parts: &Parts, lang: Lang) -> Result<Caller, ApiError>;

    /// The caller an API key stands for (Open311 sends it as a parameter), or `None` when the
    /// key is unknown or revoked.
    async fn api_key(&self, key: &str, lang: Lang) -> Result<Option<Caller>, ApiError>;

    /// The account service behind this authenticator, when it is one: signing in, signing up
    /// and administering accounts need it (see `auth`).
    fn accounts(&self) -> Option<&crate::auth::AccountAuthenticator> {
        None
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
        let caller = state.0.auth.identify(parts, lang).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// Treats every caller as anonymous: for a deployment that only publishes reference data.
pub struct Anonymous;

#[async_trait]
impl Authenticator for Anonymous {
    async fn identify(&self, _: &Parts, lang: Lang) -> Result<Caller, ApiError> {
        Ok(Caller::anonymous(lang))
    }

    async fn api_key(&self, _: &str, _: Lang) -> Result<Option<Caller>, ApiError> {
        Ok(None)
    }
}
