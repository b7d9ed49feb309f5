//! Accounts and authentication (身份鉴别): sessions, passwords, TOTP, API tokens, lockout.
//!
//! [`AccountAuthenticator`] is the deployment's [`Authenticator`]: it turns a request's
//! credentials into a [`Caller`] and keeps the rules of signing in. The endpoints that use it
//! are in `api::accounts`.
//!
//! - **Sessions.** A browser holds a random 256-bit token in the cookie `yiwang_session`
//!   (`HttpOnly; SameSite=Lax; Path=/`, and `Secure` when configured); the store keeps only its
//!   SM3 hash. A session ends after a period without use (30 minutes for staff, 7 days for
//!   residents by default) and in any case after a fixed lifetime (12 hours for staff, 30 days
//!   for residents). Use refreshes the last-seen time at most once a minute, so a busy session
//!   does not cost a database write per request; the idle limit is therefore exact to a minute.
//! - **API tokens** (`Authorization: Bearer yw_…`, or Open311's `api_key`) belong to system
//!   accounts and act with [`Role::System`]; they are stored as SM3 hashes and can be revoked.
//! - **Passwords** are Argon2id hashes ([`password`]); the policy is the domain's
//!   [`PasswordPolicy`].
//! - **Lockout.** Failed sign-ins are counted per account; the fifth in a row (configurable)
//!   locks it for five minutes (configurable). A locked account is refused with `423 Locked`,
//!   a `Retry-After` header and a message saying until when, without its password being checked.
//!   The security administrator can unlock it earlier. Every failure and lock is in the access log.
//! - **TOTP** ([`totp`]): staff may add a second factor; administrators must, and until they
//!   have, their session reaches only `/api/me…` (to enrol).
//! - Every sign-in, failure, lock, unlock, sign-up, token and unmasking is written to the
//!   append-only access log (the store's `access_log`), with personal data masked.
//!
//! Time comes from a [`Clock`], so that tests can move it instead of sleeping.

pub mod password;
pub mod totp;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use rand::RngCore;
use yiwang_domain::Lang;
use yiwang_domain::audit::{Hash, sm3};
use yiwang_domain::case::{Actor, Role};
use yiwang_domain::personal::{PasswordPolicy, mask_phone};
use yiwang_domain::time::{HOUR_MS, MINUTE_MS, Timestamp, china_standard_time};
use yiwang_engine::Engine;
use yiwang_store::Store;
use yiwang_store::accounts::{AccessEntry, Account, AccountKind, Outcome, Session};

use crate::caller::{Authenticator, Caller};
use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "yiwang_session";
/// The prefix of API tokens, so that one found in a log or a repository is recognisable.
pub const TOKEN_PREFIX: &str = "yw_";

/// How sign-in behaves; every limit is the deployment's to set.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// Failed sign-ins in a row that lock an account.
    pub lockout_failures: u32,
    /// How long a lock lasts, in milliseconds.
    pub lockout_ms: i64,
    /// A staff session ends after this long without use.
    pub staff_idle_ms: i64,
    /// A resident session ends after this long without use.
    pub resident_idle_ms: i64,
    /// A staff session ends this long after sign-in, however active.
    pub staff_lifetime_ms: i64,
    /// A resident session ends this long after sign-in, however active.
    pub resident_lifetime_ms: i64,
    /// Mark the session cookie `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
    /// How long a verification code is valid.
    pub code_ttl_ms: i64,
    /// How soon another code may be sent to the same phone.
    pub code_resend_ms: i64,
    /// Wrong guesses after which a code is void.
    pub code_attempts: u32,
    pub password_policy: PasswordPolicy,
    /// The last-seen time of a session is written at most this often.
    pub touch_every_ms: i64,
    /// The issuer shown in authenticator apps.
    pub totp_issuer: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            lockout_failures: 5,
            lockout_ms: 5 * MINUTE_MS,
            staff_idle_ms: 30 * MINUTE_MS,
            resident_idle_ms: 7 * 24 * HOUR_MS,
            staff_lifetime_ms: 12 * HOUR_MS,
            resident_lifetime_ms: 30 * 24 * HOUR_MS,
            secure_cookies: false,
            code_ttl_ms: 10 * MINUTE_MS,
            code_resend_ms: MINUTE_MS,
            code_attempts: 5,
            password_policy: PasswordPolicy::default(),
            touch_every_ms: MINUTE_MS,
            totp_issuer: "yiwang".into(),
        }
    }
}

pub use yiwang_engine::clock::{Clock, ManualClock, SystemClock};

/// Delivers verification codes to phones (an SMS gateway in production).
#[async_trait]
pub trait CodeSender: Send + Sync + 'static {
    /// Sends `code` to `phone`; an error is an internal fault (logged, answered with 500).
    async fn send(&self, phone: &str, code: &str) -> Result<(), String>;
}

/// Writes codes to the log at INFO instead of sending them: for the demo and for development.
pub struct LogCodeSender;

#[async_trait]
impl CodeSender for LogCodeSender {
    async fn send(&self, phone: &str, code: &str) -> Result<(), String> {
        tracing::info!(phone = %mask_phone(phone), code, "verification code (not sent: this server shows codes in the log)");
        Ok(())
    }
}

/// The account service: authenticates requests and keeps the rules of signing in.
pub struct AccountAuthenticator {
    engine: Arc<Engine>,
    config: AuthConfig,
    clock: Arc<dyn Clock>,
    sender: Arc<dyn CodeSender>,
    /// When expired sessions were last swept away.
    last_sweep: AtomicI64,
}

/// A fresh random secret of 256 bits, hex-encoded (a session or API token).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// An opaque id: `prefix` and 64 random bits.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}-{:016x}", rand::rng().next_u64())
}

/// What the store keeps of a token: its SM3 hash.
/// Issues an API token for another system (`system:<name>`, created on first use), stored by its
/// hash; returns the token record, the system's account id and the token itself — shown once.
pub async fn issue_api_token(
    store: &dyn yiwang_store::Store,
    system: &str,
    name: &str,
    now: yiwang_domain::time::Timestamp,
) -> Result<(yiwang_store::accounts::ApiToken, String, String), yiwang_store::StoreError> {
    use yiwang_store::accounts::{Account, AccountKind, ApiToken};
    let login = format!("system:{system}");
    let account = match store.account_by_login(&login).await? {
        Some(a) => a,
        None => {
            let a = Account::new(&new_id("y"), AccountKind::System, &login, system, now);
            match store.create_accounts(std::slice::from_ref(&a)).await {
                Ok(()) => a,
                // Created by a concurrent request: use that one.
                Err(yiwang_store::StoreError::Refused(_)) => store
                    .account_by_login(&login)
                    .await?
                    .ok_or_else(|| yiwang_store::StoreError::Backend("system account vanished".into()))?,
                Err(e) => return Err(e),
            }
        }
    };
    let token = format!("{TOKEN_PREFIX}{}", new_secret());
    let t = ApiToken {
        id: new_id("t"),
        token_hash: token_hash(&token),
        name: name.to_owned(),
        account_id: account.id.clone(),
        created_at: now,
        revoked_at: None,
    };
    store.create_api_token(&t).await?;
    Ok((t, account.id, token))
}

pub fn token_hash(token: &str) -> Hash {
    sm3(token.as_bytes())
}

/// Compares without stopping at the first difference, so that timing tells nothing about where
/// two secrets differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of the session cookie, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('=').map(str::to_owned))
        .filter(|v| !v.is_empty())
}

/// A time for people: `2026-11-17 10:05:00` in China Standard Time.
pub fn local_time(t: Timestamp) -> String {
    t.at_offset(china_standard_time()).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn session_ended() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "session_expired",
        "登录已失效，请重新登录",
        "your session has ended; please sign in again",
    )
}

/// Paths an administrator without TOTP may reach: enough to see who they are and enrol.
fn reachable_without_totp(path: &str) -> bool {
    path == "/api/me" || path.starts_with("/api/me/")
}

impl AccountAuthenticator {
    pub fn new(engine: Arc<Engine>, config: AuthConfig) -> AccountAuthenticator {
        AccountAuthenticator {
            engine,
            config,
            clock: Arc::new(SystemClock),
            sender: Arc::new(LogCodeSender),
            last_sweep: AtomicI64::new(0),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> AccountAuthenticator {
        self.clock = clock;
        self
    }

    pub fn with_code_sender(mut self, sender: Arc<dyn CodeSender>) -> AccountAuthenticator {
        self.sender = sender;
        self
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        self.engine.store()
    }

    pub fn code_sender(&self) -> &dyn CodeSender {
        self.sender.as_ref()
    }

    fn idle_ms(&self, kind: AccountKind) -> i64 {
        match kind {
            AccountKind::Resident => self.config.resident_idle_ms,
            AccountKind::Staff | AccountKind::System => self.config.staff_idle_ms,
        }
    }

    fn lifetime_ms(&self, kind: AccountKind) -> i64 {
        match kind {
            AccountKind::Resident => self.config.resident_lifetime_ms,
            AccountKind::Staff | AccountKind::System => self.config.staff_lifetime_ms,
        }
    }

    /// The role an account acts in: a resident as themselves, staff as their `Staff` record
    /// (role, scope and unit), a system account as the platform.
    pub fn actor_of(&self, account: &Account) -> Result<Actor, ApiError> {
        match account.kind {
            AccountKind::Resident => Ok(Actor::resident(&account.id)),
            // A system account's login is `system:<name>`, which names it in the case record.
            AccountKind::System => Ok(Actor { id: account.login.clone(), ..Actor::system() }),
            AccountKind::Staff => {
                let staff_id = account.staff_id.as_deref().unwrap_or_default();
                self.engine.loaded().staff(staff_id).map(|s| s.actor()).ok_or_else(|| {
                    ApiError::forbidden(
                        format!("账号关联的工作人员 {staff_id} 已不存在，请联系系统管理员"),
                        format!(
                            "the staff record {staff_id} of this account no longer exists; ask the system administrator"
                        ),
                    )
                })
            }
        }
    }

    pub fn caller_of(&self, account: &Account, lang: Lang) -> Result<Caller, ApiError> {
        Ok(Caller { account: Some(account.id.clone()), actor: Some(self.actor_of(account)?), lang })
    }

    /// Whether the account acts as one of the three administrators.
    pub fn is_administrator(&self, account: &Account) -> bool {
        account.kind == AccountKind::Staff
            && self
                .actor_of(account)
                .is_ok_and(|a| matches!(a.role, Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin))
    }

    /// Opens a session for the account; returns the `Set-Cookie` value that carries it.
    pub async fn start_session(&self, account: &Account) -> Result<String, ApiError> {
        let now = self.now();
        self.sweep(now).await;
        let token = new_secret();
        let lifetime = self.lifetime_ms(account.kind);
        self.store()
            .create_session(&Session {
                token_hash: token_hash(&token),
                account_id: account.id.clone(),
                created_at: now,
                last_seen: now,
                expires_at: now.plus_ms(lifetime),
            })
            .await?;
        Ok(self.cookie(&token, lifetime / 1000))
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clear_cookie(&self) -> String {
        self.cookie("", 0)
    }

    fn cookie(&self, value: &str, max_age_seconds: i64) -> String {
        let secure = if self.config.secure_cookies { "; Secure" } else { "" };
        format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_seconds}{secure}")
    }

    /// Ends the session a request carries, if any; returns its account.
    pub async fn end_session(&self, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
        let Some(token) = session_cookie(headers) else { return Ok(None) };
        let hash = token_hash(&token);
        let session = self.store().session(&hash).await?;
        self.store().delete_session(&hash).await?;
        Ok(session.map(|s| s.account_id))
    }

    /// Deletes expired sessions, at most once an hour (on sign-in).
    async fn sweep(&self, now: Timestamp) {
        let last = self.last_sweep.load(Ordering::Relaxed);
        if now.0 - last < HOUR_MS
            || self.last_sweep.compare_exchange(last, now.0, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return;
        }
        if let Err(e) = self.store().delete_expired_sessions(now).await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
    }

    /// Appends to the access log. A failure to log is an internal fault: nothing that must be
    /// audited happens without its entry.
    pub async fn log(
        &self,
        actor: Option<&str>,
        action: &str,
        outcome: Outcome,
        subject: &str,
        detail: impl Into<String>,
    ) -> Result<(), ApiError> {
        let entry = AccessEntry {
            seq: 0,
            at: self.now(),
            actor: actor.map(str::to_owned),
            action: action.to_owned(),
            outcome,
            subject: subject.to_owned(),
            detail: detail.into(),
        };
        self.store().log_access(&entry).await?;
        Ok(())
    }

    async fn session_caller(&self, token: &str, parts: &Parts, lang: Lang) -> Result<Caller, ApiError> {
        let hash = token_hash(token);
        let store = self.store();
        let Some(session) = store.session(&hash).await? else { return Err(session_ended()) };
        let Some(account) = store.account(&session.account_id).await? else {
            store.delete_session(&hash).await?;
            return Err(session_ended());
        };
        let now = self.now();
        if account.disabled || now >= session.expires_at || now.0 - session.last_seen.0 > self.idle_ms(account.kind) {
            store.delete_session(&hash).await?;
            return Err(session_ended());
        }
        if now.0 - session.last_seen.0 >= self.config.touch_every_ms {
            store.touch_session(&hash, now).await?;
        }
        let caller = self.caller_of(&account, lang)?;
        if caller.is_administrator() && !account.totp_enrolled && !reachable_without_totp(parts.uri.path()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "totp_required",
                "管理员必须先绑定动态口令（TOTP）：请通过 POST /api/me/totp 绑定",
                "administrators must enrol a one-time password (TOTP) first: POST /api/me/totp",
            ));
        }
        Ok(caller)
    }

    /// The caller an API token stands for, or `None` when it is unknown or revoked.
    async fn token_caller(&self, token: &str, lang: Lang) -> Result<Option<Caller>, ApiError> {
        match self.store().api_token_with_account(&token_hash(token.trim())).await? {
            Some((t, a)) if t.revoked_at.is_none() && !a.disabled => self.caller_of(&a, lang).map(Some),
            _ => Ok(None),
        }
    }
}

#[async_trait]
impl Authenticator for AccountAuthenticator {
    async fn identify(&self, parts: &Parts, lang: Lang) -> Result<Caller, ApiError> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
            return self.token_caller(token, lang).await?.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "访问令牌无效或已吊销",
                    "the API token is unknown or revoked",
                )
            });
        }
        match session_cookie(&parts.headers) {
            Some(token) => self.session_caller(&token, parts, lang).await,
            None => Ok(Caller::anonymous(lang)),
        }
    }

    async fn api_key(&self, key: &str, lang: Lang) -> Result<Option<Caller>, ApiError> {
        self.token_caller(key, lang).await
    }

    fn accounts(&self) -> Option<&AccountAuthenticator> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "lang=en; yiwang_session=abc123; other=x".parse().unwrap());
        assert_eq!(session_cookie(&h).as_deref(), Some("abc123"));
        h.insert(header::COOKIE, "yiwang_session_old=zzz; lang=en".parse().unwrap());
        assert_eq!(session_cookie(&h), None, "a cookie whose name only starts the same");
        h.insert(header::COOKIE, "yiwang_session=".parse().unwrap());
        assert_eq!(session_cookie(&h), None, "an emptied cookie");
    }

    #[test]
    fn secrets_are_256_bits_and_differ() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(new_id("r").starts_with("r-") && new_id("r").len() == 18);
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"123456", b"123456"));
        assert!(!constant_time_eq(b"123456", b"123457"));
        assert!(!constant_time_eq(b"12345", b"123456"));
    }
}
