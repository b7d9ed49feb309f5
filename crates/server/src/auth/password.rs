//! Password hashing with Argon2id (RFC 9106), in PHC strings that carry their own salt and
//! parameters, so that stronger parameters later do not invalidate stored hashes.
//!
//! Hashing is deliberately slow (tens of milliseconds with the default 19 MiB, 2 passes): it runs
//! on the blocking pool, never on the async runtime's threads.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::ApiError;

/// Hashes a password with a fresh random salt (blocking).
pub fn hash_blocking(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `stored` (blocking). The comparison inside is
/// constant-time; an unreadable or empty hash (a system account) matches nothing.
pub fn verify_blocking(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Hashes off the async runtime.
pub async fn hash(password: &str) -> Result<String, ApiError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// Verifies off the async runtime. With `stored` = `None` (no such account) it checks against a
/// dummy hash all the same, so that a wrong login name takes as long as a wrong password.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, ApiError> {
    let password = password.to_owned();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || match stored {
        Some(s) => verify_blocking(&password, &s),
        None => {
            static DUMMY: OnceLock<String> = OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_blocking("no such account: a dummy").unwrap_or_default());
            verify_blocking(&password, dummy);
            false
        }
    })
    .await
    .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_blocking("Correct-horse-7").unwrap();
        let b = hash_blocking("Correct-horse-7").unwrap();
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_blocking("Correct-horse-7", &a));
        assert!(verify_blocking("Correct-horse-7", &b));
        assert!(!verify_blocking("correct-horse-7", &a));
        assert!(!verify_blocking("Correct-horse-7", ""), "an empty hash matches nothing");
        assert!(!verify_blocking("", "not a phc string"));
    }
}
