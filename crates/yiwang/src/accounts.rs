//! Sign-in settings on the command line, and `yiwang account`: accounts made on the server
//! itself, where the first administrators come from (no administrator creates another through
//! the API, so that the three administrators stay separate).

use std::sync::Arc;

use anyhow::{Context, bail};
use rand::seq::IndexedRandom;
use yiwang_domain::case::Role;
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::Engine;
use yiwang_server::api::accounts::check_login;
use yiwang_server::auth::{AuthConfig, new_id, password};
use yiwang_server::limits::{Limits, Rate};
use yiwang_store::accounts::{AccessEntry, Account, AccountKind, Outcome};

/// How signing in behaves (等保: login-failure handling and idle sessions).
#[derive(clap::Args, Clone, Debug)]
pub struct AuthOptions {
    /// Failed sign-ins in a row that lock an account.
    #[arg(long, global = true, env = "YIWANG_LOCKOUT_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub lockout_failures: u32,
    /// Minutes an account stays locked.
    #[arg(long, global = true, env = "YIWANG_LOCKOUT_MINUTES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub lockout_minutes: u32,
    /// Minutes without use after which a staff session ends.
    #[arg(long, global = true, env = "YIWANG_STAFF_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub staff_idle_minutes: u32,
    /// Days without use after which a resident's session ends.
    #[arg(long, global = true, env = "YIWANG_RESIDENT_IDLE_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    pub resident_idle_days: u32,
    /// Mark the session cookie `Secure`: set it when the site is served over HTTPS.
    #[arg(long, global = true, env = "YIWANG_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Sign-in attempts allowed per minute from one address (the abuse limit in front of the
    /// per-account lockout).
    #[arg(long, global = true, env = "YIWANG_SIGN_INS_PER_MINUTE", default_value_t = Limits::default().login.requests, value_parser = clap::value_parser!(u32).range(1..))]
    pub sign_ins_per_minute: u32,
    /// Reverse proxies in front of yiwang that append to `X-Forwarded-For` (0: trust none, count
    /// by the peer's own address).
    #[arg(long, global = true, env = "YIWANG_TRUSTED_PROXIES", default_value_t = 0)]
    pub trusted_proxies: usize,
}

impl AuthOptions {
    pub fn config(&self) -> AuthConfig {
        AuthConfig {
            lockout_failures: self.lockout_failures,
            lockout_ms: i64::from(self.lockout_minutes) * MINUTE_MS,
            staff_idle_ms: i64::from(self.staff_idle_minutes) * MINUTE_MS,
            resident_idle_ms: i64::from(self.resident_idle_days) * 24 * 60 * MINUTE_MS,
            secure_cookies: self.secure_cookies,
            ..AuthConfig::default()
        }
    }

    /// The abuse limits at the doors anyone can reach.
    pub fn limits(&self) -> Limits {
        Limits {
            login: Rate::per_minute(self.sign_ins_per_minute),
            trusted_proxies: self.trusted_proxies,
            ..Limits::default()
        }
    }
}

#[derive(clap::Subcommand)]
pub enum AccountCommand {
    /// Create the account of a staff record (any role, administrators included) with a fresh
    /// initial password, printed once. Administrators enrol TOTP at their first sign-in.
    AddStaff {
        /// The staff record's id.
        staff_id: String,
        /// The login name (default: the staff id).
        #[arg(long)]
        login: Option<String>,
    },
}

/// A random initial password that meets the policy: `ABCDE-fghjk-23456` (about 60 bits).
pub fn initial_password() -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut group = |set: &[u8]| (0..5).map(|_| char::from(*set.choose(&mut rng).expect("a set"))).collect::<String>();
    format!("{}-{}-{}", group(UPPER), group(LOWER), group(DIGITS))
}

pub async fn run(engine: &Arc<Engine>, command: &AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::AddStaff { staff_id, login } => {
            let Some(staff) = engine.loaded().staff(staff_id).cloned() else {
                bail!("there is no staff record “{staff_id}” in the reference data");
            };
            let login = login.clone().unwrap_or_else(|| staff.id.clone());
            if let Err(e) = check_login(&login) {
                bail!("{}", e.en);
            }
            let password = initial_password();
            let hash = tokio::task::spawn_blocking({
                let p = password.clone();
                move || password::hash_blocking(&p)
            })
            .await?
            .map_err(anyhow::Error::msg)?;
            let now = Timestamp::now();
            let account = Account {
                staff_id: Some(staff.id.clone()),
                password_hash: hash,
                ..Account::new(&new_id("s"), AccountKind::Staff, &login, &staff.name, now)
            };
            let store = engine.store();
            store.create_accounts(std::slice::from_ref(&account)).await.context("creating the account")?;
            store
                .log_access(&AccessEntry {
                    seq: 0,
                    at: now,
                    actor: None,
                    action: "staff_created".into(),
                    outcome: Outcome::Success,
                    subject: account.id.clone(),
                    detail: format!("staff {} ({} at {}) on the command line", staff.id, staff.role, staff.scope),
                })
                .await?;
            println!("account {} created for {} {} ({})", account.id, staff.role, staff.id, staff.name);
            println!("login:            {login}");
            println!("initial password: {password}   (shown once)");
            if matches!(staff.role, Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin) {
                println!("an administrator must enrol TOTP (POST /api/me/totp) before anything else");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use yiwang_domain::personal::PasswordPolicy;

    #[test]
    fn initial_passwords_meet_the_policy_and_differ() {
        let (a, b) = (super::initial_password(), super::initial_password());
        assert_ne!(a, b);
        PasswordPolicy::default().check("password", &a, &[]).unwrap();
    }
}
