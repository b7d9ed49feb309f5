//! Accounts, sessions, API tokens, verification codes and the access log on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, params};
use yiwang_domain::audit::Hash;
use yiwang_domain::time::Timestamp;
use yiwang_store::accounts::{
    AccessEntry, AccessFilter, Account, AccountKind, Accounts, ApiToken, Outcome, Session, VerificationCode,
    account_exists,
};
use yiwang_store::{Result, StoreError};

use crate::{Cached, SqliteStore, backend};

const ACCOUNT_COLUMNS: &str = "id, kind, login, display_name, phone, id_number, password_hash, staff_id, failed_logins, \
     locked_until, totp_secret, totp_enrolled, totp_last_step, created_at, disabled";
const TOKEN_COLUMNS: &str = "id, token_hash, name, account_id, created_at, revoked_at";

fn account_row(r: &Row) -> rusqlite::Result<Result<Account>> {
    account_at(r, 0)
}

/// An account read from the columns of a wider row, starting at column `first`.
fn account_at(r: &Row, first: usize) -> rusqlite::Result<Result<Account>> {
    let kind: String = r.get(first + 1)?;
    let Some(kind) = AccountKind::parse(&kind) else {
        return Ok(Err(backend(format!("stored account kind {kind} is unknown"))));
    };
    Ok(Ok(Account {
        id: r.get(first)?,
        kind,
        login: r.get(first + 2)?,
        display_name: r.get(first + 3)?,
        phone: r.get(first + 4)?,
        id_number: r.get(first + 5)?,
        password_hash: r.get(first + 6)?,
        staff_id: r.get(first + 7)?,
        failed_logins: r.get(first + 8)?,
        locked_until: r.get::<_, Option<i64>>(first + 9)?.map(Timestamp),
        totp_secret: r.get(first + 10)?,
        totp_enrolled: r.get::<_, i64>(first + 11)? != 0,
        totp_last_step: r.get(first + 12)?,
        created_at: Timestamp(r.get(first + 13)?),
        disabled: r.get::<_, i64>(first + 14)? != 0,
    }))
}

fn account_where(c: &Connection, column: &str, value: &str) -> Result<Option<Account>> {
    c.cached_row(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {column} = ?1"), [value], account_row)
        .optional()
        .map_err(backend)?
        .transpose()
}

/// A unique constraint names the column that is taken; anything else is a database fault.
fn refuse_taken(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, Some(msg)) if f.code == ErrorCode::ConstraintViolation => {
            let column = msg.rsplit('.').next().unwrap_or("id");
            StoreError::Refused(account_exists(column))
        }
        _ => backend(e),
    }
}

fn hash(bytes: Vec<u8>) -> Hash {
    bytes.try_into().unwrap_or([0xff; 32])
}

fn session_row(r: &Row) -> rusqlite::Result<Session> {
    Ok(Session {
        token_hash: hash(r.get(0)?),
        account_id: r.get(1)?,
        created_at: Timestamp(r.get(2)?),
        last_seen: Timestamp(r.get(3)?),
        expires_at: Timestamp(r.get(4)?),
    })
}

fn token_row(r: &Row) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        token_hash: hash(r.get(1)?),
        name: r.get(2)?,
        account_id: r.get(3)?,
        created_at: Timestamp(r.get(4)?),
        revoked_at: r.get::<_, Option<i64>>(5)?.map(Timestamp),
    })
}

fn code_row(r: &Row) -> rusqlite::Result<VerificationCode> {
    Ok(VerificationCode {
        phone: r.get(0)?,
        code_hash: hash(r.get(1)?),
        sent_at: Timestamp(r.get(2)?),
        expires_at: Timestamp(r.get(3)?),
        attempts: r.get(4)?,
    })
}

fn entry_row(r: &Row) -> rusqlite::Result<Result<AccessEntry>> {
    let outcome: String = r.get(4)?;
    let Some(outcome) = Outcome::parse(&outcome) else {
        return Ok(Err(backend(format!("stored outcome {outcome} is unknown"))));
    };
    Ok(Ok(AccessEntry {
        seq: r.get(0)?,
        at: Timestamp(r.get(1)?),
        actor: r.get(2)?,
        action: r.get(3)?,
        outcome,
        subject: r.get(5)?,
        detail: r.get(6)?,
    }))
}

#[async_trait]
impl Accounts for SqliteStore {
    async fn create_accounts(&self, accounts: &[Account]) -> Result<()> {
        let accounts = accounts.to_vec();
        self.write(move |t| {
            let mut st = t
                .prepare(&format!(
                    "INSERT INTO accounts ({ACCOUNT_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
                ))
                .map_err(backend)?;
            for a in &accounts {
                st.execute(params![
                    a.id,
                    a.kind.as_str(),
                    a.login,
                    a.display_name,
                    a.phone,
                    a.id_number,
                    a.password_hash,
                    a.staff_id,
                    a.failed_logins,
                    a.locked_until.map(|t| t.0),
                    a.totp_secret,
                    i64::from(a.totp_enrolled),
                    a.totp_last_step,
                    a.created_at.0,
                    i64::from(a.disabled),
                ])
                .map_err(refuse_taken)?;
            }
            Ok(())
        })
        .await
    }

    async fn account(&self, id: &str) -> Result<Option<Account>> {
        let id = id.to_owned();
        self.read(move |c| account_where(c, "id", &id)).await
    }

    async fn account_by_login(&self, login: &str) -> Result<Option<Account>> {
        let login = login.to_owned();
        self.read(move |c| account_where(c, "login", &login)).await
    }

    async fn account_by_phone(&self, phone: &str) -> Result<Option<Account>> {
        let phone = phone.to_owned();
        self.read(move |c| account_where(c, "phone", &phone)).await
    }

    async fn account_by_staff(&self, staff_id: &str) -> Result<Option<Account>> {
        let staff_id = staff_id.to_owned();
        self.read(move |c| account_where(c, "staff_id", &staff_id)).await
    }

    async fn record_login_failure(&self, id: &str, limit: u32, lock_until: Timestamp) -> Result<Option<Account>> {
        let id = id.to_owned();
        self.write(move |t| {
            t.cached_execute(
                "UPDATE accounts SET \
                   locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END, \
                   failed_logins = CASE WHEN failed_logins + 1 >= ?2 THEN 0 ELSE failed_logins + 1 END \
                 WHERE id = ?1",
                params![id, limit, lock_until.0],
            )
            .map_err(backend)?;
            account_where(t, "id", &id)
        })
        .await
    }

    async fn clear_login_failures(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.write(move |t| {
            t.cached_execute("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = ?1", [id])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn set_password(&self, id: &str, password_hash: &str) -> Result<()> {
        let (id, hash) = (id.to_owned(), password_hash.to_owned());
        self.write(move |t| {
            t.cached_execute("UPDATE accounts SET password_hash = ?2 WHERE id = ?1", [id, hash]).map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn set_totp(&self, id: &str, secret: Option<&str>, enrolled: bool) -> Result<()> {
        let (id, secret) = (id.to_owned(), secret.map(str::to_owned));
        self.write(move |t| {
            t.cached_execute(
                "UPDATE accounts SET totp_secret = ?2, totp_enrolled = ?3, totp_last_step = NULL WHERE id = ?1",
                params![id, secret, i64::from(enrolled)],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn use_totp_step(&self, id: &str, step: i64) -> Result<bool> {
        let id = id.to_owned();
        self.write(move |t| {
            let n = t
                .execute(
                    "UPDATE accounts SET totp_last_step = ?2 \
                     WHERE id = ?1 AND (totp_last_step IS NULL OR totp_last_step < ?2)",
                    params![id, step],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        let s = s.clone();
        self.write(move |t| {
            t.cached_execute(
                "INSERT INTO sessions (token_hash, account_id, created_at, last_seen, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![&s.token_hash[..], s.account_id, s.created_at.0, s.last_seen.0, s.expires_at.0],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn session(&self, token_hash: &Hash) -> Result<Option<Session>> {
        let h = *token_hash;
        self.read(move |c| {
            c.cached_row(
                "SELECT token_hash, account_id, created_at, last_seen, expires_at FROM sessions WHERE token_hash = ?1",
                [&h[..]],
                session_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn touch_session(&self, token_hash: &Hash, last_seen: Timestamp) -> Result<()> {
        let h = *token_hash;
        self.write(move |t| {
            t.cached_execute("UPDATE sessions SET last_seen = ?2 WHERE token_hash = ?1", params![&h[..], last_seen.0])
                .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, token_hash: &Hash) -> Result<()> {
        let h = *token_hash;
        self.write(move |t| {
            t.cached_execute("DELETE FROM sessions WHERE token_hash = ?1", [&h[..]]).map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn delete_sessions_of(&self, account_id: &str) -> Result<u64> {
        let id = account_id.to_owned();
        self.write(move |t| {
            Ok(t.cached_execute("DELETE FROM sessions WHERE account_id = ?1", [id]).map_err(backend)? as u64)
        })
        .await
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        self.write(move |t| {
            Ok(t.cached_execute("DELETE FROM sessions WHERE expires_at <= ?1", [now.0]).map_err(backend)? as u64)
        })
        .await
    }

    async fn create_api_token(&self, token: &ApiToken) -> Result<()> {
        let k = token.clone();
        self.write(move |t| {
            t.cached_execute(
                &format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
                params![k.id, &k.token_hash[..], k.name, k.account_id, k.created_at.0, k.revoked_at.map(|t| t.0)],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn api_token_with_account(&self, token_hash: &Hash) -> Result<Option<(ApiToken, Account)>> {
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!(
                "SELECT t.*, a.* FROM (SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?1) t \
                 JOIN (SELECT {ACCOUNT_COLUMNS} FROM accounts) a ON a.id = t.account_id"
            )
        });
        let h = *token_hash;
        self.read(move |c| {
            let found =
                c.cached_row(sql, [&h[..]], |r| Ok((token_row(r)?, account_at(r, 6)?))).optional().map_err(backend)?;
            found.map(|(token, account)| Ok((token, account?))).transpose()
        })
        .await
    }

    async fn api_token_by_id(&self, id: &str) -> Result<Option<ApiToken>> {
        let id = id.to_owned();
        self.read(move |c| {
            c.cached_row(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1"), [id], token_row)
                .optional()
                .map_err(backend)
        })
        .await
    }

    async fn revoke_api_token(&self, id: &str, at: Timestamp) -> Result<bool> {
        let id = id.to_owned();
        self.write(move |t| {
            let n = t
                .execute(
                    "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    params![id, at.0],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn put_code(&self, code: &VerificationCode) -> Result<()> {
        let k = code.clone();
        self.write(move |t| {
            t.cached_execute(
                "INSERT INTO verification_codes (phone, code_hash, sent_at, expires_at, attempts) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash, sent_at = excluded.sent_at, \
                   expires_at = excluded.expires_at, attempts = excluded.attempts",
                params![k.phone, &k.code_hash[..], k.sent_at.0, k.expires_at.0, k.attempts],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn code(&self, phone: &str) -> Result<Option<VerificationCode>> {
        let phone = phone.to_owned();
        self.read(move |c| {
            c.cached_row(
                "SELECT phone, code_hash, sent_at, expires_at, attempts FROM verification_codes WHERE phone = ?1",
                [phone],
                code_row,
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn count_code_attempt(&self, phone: &str) -> Result<Option<u32>> {
        let phone = phone.to_owned();
        self.write(move |t| {
            t.cached_row(
                "UPDATE verification_codes SET attempts = attempts + 1 WHERE phone = ?1 RETURNING attempts",
                [phone],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn delete_code(&self, phone: &str) -> Result<()> {
        let phone = phone.to_owned();
        self.write(move |t| {
            t.cached_execute("DELETE FROM verification_codes WHERE phone = ?1", [phone]).map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn log_access(&self, e: &AccessEntry) -> Result<i64> {
        let e = e.clone();
        self.write(move |t| {
            t.cached_row(
                "INSERT INTO access_log (at, actor, action, outcome, subject, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING seq",
                params![e.at.0, e.actor, e.action, e.outcome.as_str(), e.subject, e.detail],
                |r| r.get(0),
            )
            .map_err(backend)
        })
        .await
    }

    async fn access_log(&self, f: &AccessFilter) -> Result<Vec<AccessEntry>> {
        let f = f.clone();
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT seq, at, actor, action, outcome, subject, detail FROM access_log \
                     WHERE (?1 IS NULL OR seq < ?1) AND (?2 IS NULL OR actor = ?2) \
                       AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR subject = ?4) \
                     ORDER BY seq DESC LIMIT ?5",
                )
                .map_err(backend)?;
            let rows =
                st.query_map(params![f.before, f.actor, f.action, f.subject, f.limit], entry_row).map_err(backend)?;
            let mut out = Vec::new();
            for r in rows {
                out.push(r.map_err(backend)??);
            }
            Ok(out)
        })
        .await
    }
}
