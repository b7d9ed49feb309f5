//! The demo's accounts: one for every member of staff (login = staff id) and one for every
//! demo resident, all with one shared password, printed at the end of `yiwang demo`.
//!
//! The residents' phone numbers 1390000xxxx are made up for the demo (resident `r00042` has
//! 13900000042); they belong to nobody we know of and no code is ever sent to them.
//!
//! Argon2 is slow by design, so the shared password is hashed once and that one hash (one salt)
//! serves every demo account. That is acceptable for demo data only, whose password is printed
//! on the screen anyway; real accounts each get their own salt.

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use yiwang_domain::case::Role;
use yiwang_domain::time::Timestamp;
use yiwang_engine::Engine;
use yiwang_server::auth::{password, totp};
use yiwang_store::accounts::{Account, AccountKind};

use super::district::{District, person};

/// The one password of every demo account.
pub const DEMO_PASSWORD: &str = "Yiwang-demo-2026";

/// The demo phone number of a demo resident (`r00042` → `13900000042`).
pub fn demo_phone(resident: &str) -> String {
    let n: u32 = resident.trim_start_matches('r').parse().unwrap_or(0);
    format!("1390000{n:04}")
}

/// An administrator's login and TOTP secret (Base32).
pub struct AdminLogin {
    pub login: String,
    pub role: Role,
    pub secret: String,
}

/// Creates the accounts; returns the administrators' TOTP secrets.
pub async fn create(
    engine: &Arc<Engine>,
    district: &District,
    seed: u64,
    now: Timestamp,
) -> anyhow::Result<Vec<AdminLogin>> {
    let hash =
        tokio::task::spawn_blocking(|| password::hash_blocking(DEMO_PASSWORD)).await?.map_err(anyhow::Error::msg)?;
    // A stream of its own, so that the cases stay what the seed made them before accounts existed.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6163_636f_756e_7473);
    let mut accounts = Vec::new();
    let mut admins = Vec::new();
    for s in &district.reference.staff {
        let mut a = Account {
            staff_id: Some(s.id.clone()),
            password_hash: hash.clone(),
            ..Account::new(&format!("s-{}", s.id), AccountKind::Staff, &s.id, &s.name, now)
        };
        if matches!(s.role, Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin) {
            let mut secret = [0u8; 20];
            rng.fill(&mut secret);
            let secret = totp::base32_encode(&secret);
            a.totp_secret = Some(secret.clone());
            a.totp_enrolled = true;
            admins.push(AdminLogin { login: s.id.clone(), role: s.role, secret });
        }
        accounts.push(a);
    }
    for r in &district.residents {
        let phone = demo_phone(r);
        accounts.push(Account {
            phone: Some(phone.clone()),
            password_hash: hash.clone(),
            ..Account::new(r, AccountKind::Resident, &phone, &person(&mut rng), now)
        });
    }
    engine.store().create_accounts(&accounts).await?;
    Ok(admins)
}

/// What to print: how to sign in, with an example login per role.
pub fn sign_in_help(district: &District, admins: &[AdminLogin]) -> String {
    let first =
        |role: Role| district.reference.staff.iter().find(|s| s.role == role).map(|s| s.id.clone()).unwrap_or_default();
    let handler = district
        .reference
        .staff
        .iter()
        .find(|s| s.id == "h-dc-hw-1")
        .map_or_else(|| first(Role::Handler), |s| s.id.clone());
    let mut out = format!(
        "\ndemo sign-in (POST /api/auth/login): every account's password is {DEMO_PASSWORD}\n\
         \x20 intake operator  {}\n  shift chief      {}\n  dispatcher       {}\n  handler          {handler}\n\
         \x20 grid member      {}\n  inspector        {}\n  supervisor       {}\n  leader           {}\n\
         \x20 resident         13900000001 (residents r00001–r{:05} have the made-up numbers 1390000xxxx)\n",
        first(Role::IntakeOperator),
        first(Role::ShiftChief),
        first(Role::Dispatcher),
        first(Role::GridMember),
        first(Role::Inspector),
        first(Role::Supervisor),
        first(Role::Leader),
        district.residents.len(),
    );
    out.push_str("administrators also need a one-time password from their TOTP secret (an authenticator app, or `oathtool --totp -b SECRET`):\n");
    for a in admins {
        out.push_str(&format!("  {:<16} {:<15} {}\n", a.role.as_str(), a.login, a.secret));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn demo_phones_are_in_the_reserved_looking_range() {
        assert_eq!(super::demo_phone("r00001"), "13900000001");
        assert_eq!(super::demo_phone("r03000"), "13900003000");
        yiwang_domain::personal::check_phone("phone", &super::demo_phone("r00042")).unwrap();
    }
}
