//! Accounts (账号), sessions, API tokens, verification codes and the access log (访问日志).
//!
//! The store keeps these rows and applies the few changes that must be atomic in the database
//! (counting a failed login and locking, spending a code attempt, using a TOTP step once);
//! everything else — who may sign in, how long a session lives, what a password must look
//! like — is decided by the server's `auth` module.
//!
//! Secrets never reach the store in the clear: passwords arrive as Argon2id hashes, session and
//! API tokens and verification codes as SM3 hashes. The access log is append-only: the trait
//! has no way to change or delete an entry, and both backends refuse `UPDATE` and `DELETE` on
//! it with a trigger. It is the security audit trail of 等保 (time, user, event type, outcome).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use yiwang_domain::Refusal;
use yiwang_domain::audit::Hash;
use yiwang_domain::time::Timestamp;

use crate::Result;

/// Who an account belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A resident (居民), signed up with a phone number.
    Resident,
    /// A member of staff (工作人员), created by an administrator, linked to a `Staff` record.
    Staff,
    /// Another system (a hotline bridge, a department system): API tokens only, no password.
    System,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Resident => "resident",
            AccountKind::Staff => "staff",
            AccountKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<AccountKind> {
        [AccountKind::Resident, AccountKind::Staff, AccountKind::System].into_iter().find(|k| k.as_str() == s)
    }
}

/// One account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Opaque and stable; a resident's id is what cases record as their reporter.
    pub id: String,
    pub kind: AccountKind,
    /// What the person types to sign in: the phone number of a resident, a chosen name for staff.
    /// Unique.
    pub login: String,
    pub display_name: String,
    /// Mainland mobile number, 11 digits. Unique when present.
    pub phone: Option<String>,
    /// Resident ID number (GB 11643), when the person gave it.
    pub id_number: Option<String>,
    /// Argon2id PHC string; empty for accounts that cannot sign in with a password (systems).
    pub password_hash: String,
    /// The reference-data `Staff` this account acts as (role, scope, unit). Unique when present.
    pub staff_id: Option<String>,
    /// Consecutive failed sign-ins since the last success or lock.
    pub failed_logins: u32,
    pub locked_until: Option<Timestamp>,
    /// Base32 TOTP secret: pending while `totp_enrolled` is false, in force once it is true.
    pub totp_secret: Option<String>,
    pub totp_enrolled: bool,
    /// The last TOTP time step accepted, so that a code is never accepted twice.
    pub totp_last_step: Option<i64>,
    pub created_at: Timestamp,
    pub disabled: bool,
}

impl Account {
    /// A new account with nothing counted, locked or enrolled.
    pub fn new(id: &str, kind: AccountKind, login: &str, display_name: &str, at: Timestamp) -> Account {
        Account {
            id: id.into(),
            kind,
            login: login.into(),
            display_name: display_name.into(),
            phone: None,
            id_number: None,
            password_hash: String::new(),
            staff_id: None,
            failed_logins: 0,
            locked_until: None,
            totp_secret: None,
            totp_enrolled: false,
            totp_last_step: None,
            created_at: at,
            disabled: false,
        }
    }

    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
}

/// A signed-in browser. The cookie holds a random 256-bit token; the store holds its SM3 hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub token_hash: Hash,
    pub account_id: String,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
    /// The session ends here however active it is.
    pub expires_at: Timestamp,
}

/// A token another system sends as `Authorization: Bearer …` (or Open311's `api_key`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub token_hash: Hash,
    /// What it is for, e.g. “12345 hotline bridge”.
    pub name: String,
    pub account_id: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A code sent to a phone to prove it is the sender's (one per phone: a new one replaces it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerificationCode {
    pub phone: String,
    pub code_hash: Hash,
    pub sent_at: Timestamp,
    pub expires_at: Timestamp,
    /// Wrong guesses so far.
    pub attempts: u32,
}

/// How an access-log event ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// Refused: wrong credentials, a locked account, a role that may not do it.
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "success" => Some(Outcome::Success),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }
}

/// One entry of the access log. Personal data in `subject` and `detail` is masked before it is
/// written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessEntry {
    /// Assigned by the store, increasing; 0 in an entry not yet written.
    pub seq: i64,
    pub at: Timestamp,
    /// The account that acted; `None` when nobody was signed in (a failed sign-in, a sign-up).
    pub actor: Option<String>,
    /// What happened, e.g. `login`, `login_failed`, `account_locked`, `unmask`.
    pub action: String,
    pub outcome: Outcome,
    /// What it happened to: an account id, a case, a token id.
    pub subject: String,
    /// Free text, in English (a log for auditors, not a user-facing message).
    pub detail: String,
}

/// What to read of the access log; newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessFilter {
    /// Only entries older than this `seq` (keyset paging).
    pub before: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub subject: Option<String>,
    pub limit: u32,
}

/// The refusal every backend gives when `column` (`id`, `login`, `phone`, `staff_id`) of a new
/// account is taken.
pub fn account_exists(column: &str) -> Refusal {
    let (zh, en) = match column {
        "login" => ("该登录名已被使用", "that login name is taken"),
        "phone" => ("该手机号已注册", "that phone number already has an account"),
        "staff_id" => ("该工作人员已有账号", "that member of staff already has an account"),
        _ => ("账号已存在", "the account exists"),
    };
    Refusal::new("account_exists", zh, en)
}

#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates the accounts all at once, or none: refused with `account_exists` when an id,
    /// login, phone or staff link is taken.
    async fn create_accounts(&self, accounts: &[Account]) -> Result<()>;
    async fn account(&self, id: &str) -> Result<Option<Account>>;
    async fn account_by_login(&self, login: &str) -> Result<Option<Account>>;
    async fn account_by_phone(&self, phone: &str) -> Result<Option<Account>>;
    async fn account_by_staff(&self, staff_id: &str) -> Result<Option<Account>>;

    /// Counts a failed sign-in. When it is the `limit`-th in a row the account is locked until
    /// `lock_until` and the count starts again. Returns the account as it is now (`None` when
    /// there is no such account). Atomic: concurrent failures are all counted.
    async fn record_login_failure(&self, id: &str, limit: u32, lock_until: Timestamp) -> Result<Option<Account>>;
    /// Clears the failure count and any lock (a successful sign-in, or an unlock).
    async fn clear_login_failures(&self, id: &str) -> Result<()>;
    async fn set_password(&self, id: &str, password_hash: &str) -> Result<()>;
    /// Sets (or with `None`, removes) the TOTP secret and whether it is in force; forgets the
    /// last step used.
    async fn set_totp(&self, id: &str, secret: Option<&str>, enrolled: bool) -> Result<()>;
    /// Records that TOTP step `step` was used; false (and nothing changes) when that step or a
    /// later one was already used, so that one code never signs in twice.
    async fn use_totp_step(&self, id: &str, step: i64) -> Result<bool>;

    async fn create_session(&self, session: &Session) -> Result<()>;
    async fn session(&self, token_hash: &Hash) -> Result<Option<Session>>;
    async fn touch_session(&self, token_hash: &Hash, last_seen: Timestamp) -> Result<()>;
    async fn delete_session(&self, token_hash: &Hash) -> Result<()>;
    /// Ends every session of an account (its TOTP was reset, it was disabled).
    async fn delete_sessions_of(&self, account_id: &str) -> Result<u64>;
    /// Deletes the sessions that ended before `now`; returns how many.
    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64>;

    async fn create_api_token(&self, token: &ApiToken) -> Result<()>;
    /// A token and the account it stands for (a token always references one), in one read:
    /// every request of another system asks for both.
    async fn api_token_with_account(&self, token_hash: &Hash) -> Result<Option<(ApiToken, Account)>>;
    async fn api_token_by_id(&self, id: &str) -> Result<Option<ApiToken>>;
    /// Revokes a token; false when there is no such token or it was already revoked.
    async fn revoke_api_token(&self, id: &str, at: Timestamp) -> Result<bool>;

    /// Stores a code for its phone, replacing any earlier one.
    async fn put_code(&self, code: &VerificationCode) -> Result<()>;
    async fn code(&self, phone: &str) -> Result<Option<VerificationCode>>;
    /// Counts one wrong guess and returns the count, atomically (`None` when there is no code).
    async fn count_code_attempt(&self, phone: &str) -> Result<Option<u32>>;
    async fn delete_code(&self, phone: &str) -> Result<()>;

    /// Appends an entry; returns its `seq`.
    async fn log_access(&self, entry: &AccessEntry) -> Result<i64>;
    async fn access_log(&self, filter: &AccessFilter) -> Result<Vec<AccessEntry>>;
}
