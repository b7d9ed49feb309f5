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
use yiwang_domain::staff::Staff;
use yiwang_domain::time::Timestamp;
use yiwang_engine::Engine;
use yiwang_server::api::demo::{DemoAccount, DemoSignIn};
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

/// The first member of staff of each role that a visitor can play, in the order of the closed
/// loop (a handler of the environmental sanitation unit, whose work is the most common).
fn examples(district: &District) -> Vec<&Staff> {
    const ROLES: [Role; 8] = [
        Role::IntakeOperator,
        Role::Dispatcher,
        Role::Handler,
        Role::GridMember,
        Role::Inspector,
        Role::ShiftChief,
        Role::Supervisor,
        Role::Leader,
    ];
    let staff = &district.reference.staff;
    ROLES
        .iter()
        .filter_map(|&role| match role {
            Role::Handler => {
                staff.iter().find(|s| s.id == "h-dc-hw-1").or_else(|| staff.iter().find(|s| s.role == role))
            }
            _ => staff.iter().find(|s| s.role == role),
        })
        .collect()
}

/// The sign-in help the server shows on its sign-in page (`GET /api/demo`).
pub fn sign_in(engine: &Engine, district: &District) -> DemoSignIn {
    let loaded = engine.loaded();
    let place = |s: &Staff| match &s.unit {
        Some(unit) => loaded.responsibility.unit(unit).map_or_else(|| unit.clone(), |u| u.name.clone()),
        None => loaded.jurisdiction.path_names(&s.scope).last().map_or_else(String::new, |n| (*n).to_owned()),
    };
    let mut accounts: Vec<DemoAccount> = examples(district)
        .into_iter()
        .map(|s| DemoAccount {
            role: s.role.as_str().to_owned(),
            login: s.id.clone(),
            name: s.name.clone(),
            place: place(s),
        })
        .collect();
    let county = loaded.jurisdiction.area(&district.county).map_or_else(String::new, |a| a.name.clone());
    accounts.push(DemoAccount {
        role: Role::Resident.as_str().to_owned(),
        login: demo_phone("r00001"),
        name: String::new(),
        place: county,
    });
    DemoSignIn {
        password: DEMO_PASSWORD.to_owned(),
        accounts,
        patterns: vec![
            "gm-<网格编码 grid code>".to_owned(),
            "h-<单位 unit id>-1".to_owned(),
            format!("1390000xxxx (r00001–r{:05})", district.residents.len()),
        ],
    }
}

/// What to print: how to sign in, with an example login per role.
pub fn sign_in_help(help: &DemoSignIn, admins: &[AdminLogin]) -> String {
    let mut out = format!("\ndemo sign-in (POST /api/auth/login): every account's password is {}\n", help.password);
    for a in &help.accounts {
        out.push_str(&format!("  {:<16} {}\n", a.role.replace('_', " "), a.login));
    }
    out.push_str(&format!("  other logins     {}\n", help.patterns.join(", ")));
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
