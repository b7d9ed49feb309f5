//! Proxies (亲友代办): a relative who reports and follows on an elder's behalf, once the elder
//! has consented with a code sent to their phone.
//!
//! A proxy is asked for by the relative, naming the elder by phone number; it is `pending`
//! until the code sent to that phone comes back (read to the relative, or typed by the elder),
//! then `active` until either of them ends it (`revoked`). The row is the record of consent: it
//! is never deleted, and the times of asking, consent and revocation stay in it.
//!
//! The store keeps the rows and applies the changes that must be atomic (counting a wrong code,
//! moving a pending proxy to active once); who may ask, consent or act is decided by the server.
//! The consent code reaches the store only as a hash. At most one pending or active proxy exists
//! per relative and phone: a second is refused with `proxy_exists`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use yiwang_domain::Refusal;
use yiwang_domain::audit::Hash;
use yiwang_domain::time::Timestamp;

use crate::Result;

/// Where a proxy stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyStatus {
    /// Asked for; the elder has not consented yet.
    Pending,
    /// The elder consented: the relative acts for them.
    Active,
    /// Ended by either of them (or asked for and never consented to, then withdrawn).
    Revoked,
}

impl ProxyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyStatus::Pending => "pending",
            ProxyStatus::Active => "active",
            ProxyStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<ProxyStatus> {
        [ProxyStatus::Pending, ProxyStatus::Active, ProxyStatus::Revoked].into_iter().find(|k| k.as_str() == s)
    }
}

/// The code that proves the elder's consent, while a proxy is pending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentCode {
    pub code_hash: Hash,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    /// Wrong guesses so far.
    pub attempts: u32,
}

/// One proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// Assigned by the store; 0 in a proxy not yet written.
    pub id: i64,
    /// The relative's account: who acts.
    pub relative: String,
    /// The phone number the relative named (the consent code goes there).
    pub elder_phone: String,
    /// The elder's account: known once a resident account holds `elder_phone` (looked up when
    /// asked for, and again at consent); never shown to the relative before consent.
    pub elder: Option<String>,
    /// What the relative is to the elder, in their words, e.g. 女儿.
    pub relation: String,
    pub status: ProxyStatus,
    pub created_at: Timestamp,
    pub consented_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// The consent code while pending; cleared at consent and revocation.
    pub code: Option<ConsentCode>,
}

/// The refusal every backend gives for a second pending or active proxy of one relative for
/// one phone.
pub fn proxy_exists() -> Refusal {
    Refusal::new(
        "proxy_exists",
        "您已为该手机号的居民申请或开通了代办",
        "you already asked to act for, or act for, that phone",
    )
}

#[async_trait]
pub trait Proxies: Send + Sync {
    /// Writes a new proxy (its `id` is ignored) and returns it with its id; refused with
    /// `proxy_exists` when the relative already has a pending or active proxy for that phone.
    async fn create_proxy(&self, proxy: &Proxy) -> Result<Proxy>;
    async fn proxy(&self, id: i64) -> Result<Option<Proxy>>;
    /// Every proxy in which the account is the relative or the elder, newest first; with `phone`
    /// (the account's), also the asks for that phone made before any account held it.
    async fn proxies_of(&self, account: &str, phone: Option<&str>) -> Result<Vec<Proxy>>;
    /// The active proxies of a relative for an elder, if any (at most one).
    async fn active_proxy(&self, relative: &str, elder: &str) -> Result<Option<Proxy>>;
    /// A new consent code for a pending proxy, its attempts starting again, and the elder's
    /// account as now known; false (and nothing changes) when the proxy is not pending.
    async fn renew_proxy_code(&self, id: i64, elder: Option<&str>, code: &ConsentCode) -> Result<bool>;
    /// Counts one wrong code and returns the count, atomically (`None` when the proxy has no
    /// code: not pending).
    async fn count_proxy_code_attempt(&self, id: i64) -> Result<Option<u32>>;
    /// Pending → active, for `elder`, at `at`; the code is cleared. False (and nothing changes)
    /// when the proxy is not pending, so that one consent is recorded once.
    async fn consent_proxy(&self, id: i64, elder: &str, at: Timestamp) -> Result<bool>;
    /// Pending or active → revoked at `at`; the code is cleared. False when already revoked or
    /// there is no such proxy.
    async fn revoke_proxy(&self, id: i64, at: Timestamp) -> Result<bool>;
}
