//! Accounts, sessions, API tokens, verification codes and the access log on PostgreSQL.
//!
//! None of this touches the ledger, so it runs on pooled connections, not through the writer
//! task. The changes that must be atomic are single statements (`UPDATE … RETURNING`).

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use yiwang_domain::audit::Hash;
use yiwang_domain::time::Timestamp;
use yiwang_store::accounts::{
    AccessEntry, AccessFilter, Account, AccountKind, Accounts, ApiToken, Outcome, Session, VerificationCode,
    account_exists,
};
use yiwang_store::{Result, StoreError};

use crate::rows::Param;
use crate::{PostgresStore, backend, backend_msg};

const ACCOUNT_COLUMNS: &str = "id, kind, login, display_name, phone, id_number, password_hash, staff_id, failed_logins, \
     locked_until, totp_secret, totp_enrolled, totp_last_step, created_at, disabled";
const SESSION_COLUMNS: &str = "token_hash, account_id, created_at, last_seen, expires_at";
const TOKEN_COLUMNS: &str = "id, token_hash, name, account_id, created_at, revoked_at";
const CODE_COLUMNS: &str = "phone, code_hash, sent_at, expires_at, attempts";

fn count(v: i64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| backend_msg(format!("stored {what} {v} is out of range")))
}

fn hash(bytes: Vec<u8>) -> Hash {
    bytes.try_into().unwrap_or([0xff; 32])
}

fn account_row(r: &Row) -> Result<Account> {
    account_at(r, 0)
}

/// An account read from the columns of a wider row, starting at column `first`.
fn account_at(r: &Row, first: usize) -> Result<Account> {
    let g = |e| backend(e);
    let kind: String = r.try_get(first + 1).map_err(g)?;
    Ok(Account {
        id: r.try_get(first).map_err(g)?,
        kind: AccountKind::parse(&kind).ok_or_else(|| backend_msg(format!("stored account kind {kind} is unknown")))?,
        login: r.try_get(first + 2).map_err(g)?,
        display_name: r.try_get(first + 3).map_err(g)?,
        phone: r.try_get(first + 4).map_err(g)?,
        id_number: r.try_get(first + 5).map_err(g)?,
        password_hash: r.try_get(first + 6).map_err(g)?,
        staff_id: r.try_get(first + 7).map_err(g)?,
        failed_logins: count(r.try_get(first + 8).map_err(g)?, "failure count")?,
        locked_until: r.try_get::<_, Option<i64>>(first + 9).map_err(g)?.map(Timestamp),
        totp_secret: r.try_get(first + 10).map_err(g)?,
        totp_enrolled: r.try_get::<_, i64>(first + 11).map_err(g)? != 0,
        totp_last_step: r.try_get(first + 12).map_err(g)?,
        created_at: Timestamp(r.try_get(first + 13).map_err(g)?),
        disabled: r.try_get::<_, i64>(first + 14).map_err(g)? != 0,
    })
}

fn session_row(r: &Row) -> Result<Session> {
    let g = |e| backend(e);
    Ok(Session {
        token_hash: hash(r.try_get(0).map_err(g)?),
        account_id: r.try_get(1).map_err(g)?,
        created_at: Timestamp(r.try_get(2).map_err(g)?),
        last_seen: Timestamp(r.try_get(3).map_err(g)?),
        expires_at: Timestamp(r.try_get(4).map_err(g)?),
    })
}

fn token_row(r: &Row) -> Result<ApiToken> {
    let g = |e| backend(e);
    Ok(ApiToken {
        id: r.try_get(0).map_err(g)?,
        token_hash: hash(r.try_get(1).map_err(g)?),
        name: r.try_get(2).map_err(g)?,
        account_id: r.try_get(3).map_err(g)?,
        created_at: Timestamp(r.try_get(4).map_err(g)?),
        revoked_at: r.try_get::<_, Option<i64>>(5).map_err(g)?.map(Timestamp),
    })
}

fn code_row(r: &Row) -> Result<VerificationCode> {
    let g = |e| backend(e);
    Ok(VerificationCode {
        phone: r.try_get(0).map_err(g)?,
        code_hash: hash(r.try_get(1).map_err(g)?),
        sent_at: Timestamp(r.try_get(2).map_err(g)?),
        expires_at: Timestamp(r.try_get(3).map_err(g)?),
        attempts: count(r.try_get(4).map_err(g)?, "attempt count")?,
    })
}

fn entry_row(r: &Row) -> Result<AccessEntry> {
    let g = |e| backend(e);
    let outcome: String = r.try_get(4).map_err(g)?;
    Ok(AccessEntry {
        seq: r.try_get(0).map_err(g)?,
        at: Timestamp(r.try_get(1).map_err(g)?),
        actor: r.try_get(2).map_err(g)?,
        action: r.try_get(3).map_err(g)?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| backend_msg(format!("stored outcome {outcome} is unknown")))?,
        subject: r.try_get(5).map_err(g)?,
        detail: r.try_get(6).map_err(g)?,
    })
}

/// A unique violation names the column that is taken (from the constraint, `accounts_<col>_key`
/// or `accounts_pkey`); anything else is a database fault.
fn refuse_taken(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        let constraint = e.as_db_error().and_then(|d| d.constraint()).unwrap_or("");
        let column = constraint.strip_prefix("accounts_").and_then(|c| c.strip_suffix("_key")).unwrap_or("id");
        return StoreError::Refused(account_exists(column));
    }
    backend(e)
}

impl PostgresStore {
    async fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
        let conn = self.conn().await?;
        let st = conn.prepare_cached(sql).await.map_err(backend)?;
        conn.query(&st, params).await.map_err(backend)
    }

    async fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let conn = self.conn().await?;
        let st = conn.prepare_cached(sql).await.map_err(backend)?;
        conn.execute(&st, params).await.map_err(backend)
    }

    async fn account_where(&self, column: &str, value: &str) -> Result<Option<Account>> {
        let rows =
            self.query(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {column} = $1"), &[&value]).await?;
        rows.first().map(account_row).transpose()
    }
}

#[async_trait]
impl Accounts for PostgresStore {
    async fn create_accounts(&self, accounts: &[Account]) -> Result<()> {
        let mut conn = self.conn().await?;
        let t = conn.transaction().await.map_err(backend)?;
        let st = t
            .prepare_cached(&format!(
                "INSERT INTO accounts ({ACCOUNT_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
            ))
            .await
            .map_err(backend)?;
        for a in accounts {
            t.execute(
                &st,
                &[
                    &a.id,
                    &a.kind.as_str(),
                    &a.login,
                    &a.display_name,
                    &a.phone,
                    &a.id_number,
                    &a.password_hash,
                    &a.staff_id,
                    &i64::from(a.failed_logins),
                    &a.locked_until.map(|t| t.0),
                    &a.totp_secret,
                    &i64::from(a.totp_enrolled),
                    &a.totp_last_step,
                    &a.created_at.0,
                    &i64::from(a.disabled),
                ],
            )
            .await
            .map_err(refuse_taken)?;
        }
        t.commit().await.map_err(backend)
    }

    async fn account(&self, id: &str) -> Result<Option<Account>> {
        self.account_where("id", id).await
    }

    async fn account_by_login(&self, login: &str) -> Result<Option<Account>> {
        self.account_where("login", login).await
    }

    async fn account_by_phone(&self, phone: &str) -> Result<Option<Account>> {
        self.account_where("phone", phone).await
    }

    async fn account_by_staff(&self, staff_id: &str) -> Result<Option<Account>> {
        self.account_where("staff_id", staff_id).await
    }

    async fn record_login_failure(&self, id: &str, limit: u32, lock_until: Timestamp) -> Result<Option<Account>> {
        let rows = self
            .query(
                &format!(
                    "UPDATE accounts SET \
                       locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END, \
                       failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END \
                     WHERE id = $1 RETURNING {ACCOUNT_COLUMNS}"
                ),
                &[&id, &i64::from(limit), &lock_until.0],
            )
            .await?;
        rows.first().map(account_row).transpose()
    }

    async fn clear_login_failures(&self, id: &str) -> Result<()> {
        self.execute("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1", &[&id]).await?;
        Ok(())
    }

    async fn set_password(&self, id: &str, password_hash: &str) -> Result<()> {
        self.execute("UPDATE accounts SET password_hash = $2 WHERE id = $1", &[&id, &password_hash]).await?;
        Ok(())
    }

    async fn set_totp(&self, id: &str, secret: Option<&str>, enrolled: bool) -> Result<()> {
        self.execute(
            "UPDATE accounts SET totp_secret = $2, totp_enrolled = $3, totp_last_step = NULL WHERE id = $1",
            &[&id, &secret, &i64::from(enrolled)],
        )
        .await?;
        Ok(())
    }

    async fn use_totp_step(&self, id: &str, step: i64) -> Result<bool> {
        let n = self
            .execute(
                "UPDATE accounts SET totp_last_step = $2 \
                 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
                &[&id, &step],
            )
            .await?;
        Ok(n == 1)
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        self.execute(
            &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"),
            &[&&s.token_hash[..], &s.account_id, &s.created_at.0, &s.last_seen.0, &s.expires_at.0],
        )
        .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &Hash) -> Result<Option<Session>> {
        let rows = self
            .query(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1"), &[&&token_hash[..]])
            .await?;
        rows.first().map(session_row).transpose()
    }

    async fn touch_session(&self, token_hash: &Hash, last_seen: Timestamp) -> Result<()> {
        self.execute("UPDATE sessions SET last_seen = $2 WHERE token_hash = $1", &[&&token_hash[..], &last_seen.0])
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &Hash) -> Result<()> {
        self.execute("DELETE FROM sessions WHERE token_hash = $1", &[&&token_hash[..]]).await?;
        Ok(())
    }

    async fn delete_sessions_of(&self, account_id: &str) -> Result<u64> {
        self.execute("DELETE FROM sessions WHERE account_id = $1", &[&account_id]).await
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        self.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now.0]).await
    }

    async fn create_api_token(&self, k: &ApiToken) -> Result<()> {
        self.execute(
            &format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
            &[&k.id, &&k.token_hash[..], &k.name, &k.account_id, &k.created_at.0, &k.revoked_at.map(|t| t.0)],
        )
        .await?;
        Ok(())
    }

    async fn api_token_with_account(&self, token_hash: &Hash) -> Result<Option<(ApiToken, Account)>> {
        let rows = self
            .query(
                &format!(
                    "SELECT t.*, a.* FROM (SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1) t \
                     JOIN (SELECT {ACCOUNT_COLUMNS} FROM accounts) a ON a.id = t.account_id"
                ),
                &[&&token_hash[..]],
            )
            .await?;
        rows.first().map(|r| Ok((token_row(r)?, account_at(r, 6)?))).transpose()
    }

    async fn api_token_by_id(&self, id: &str) -> Result<Option<ApiToken>> {
        let rows = self.query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"), &[&id]).await?;
        rows.first().map(token_row).transpose()
    }

    async fn revoke_api_token(&self, id: &str, at: Timestamp) -> Result<bool> {
        let n = self
            .execute("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", &[&id, &at.0])
            .await?;
        Ok(n == 1)
    }

    async fn put_code(&self, k: &VerificationCode) -> Result<()> {
        self.execute(
            &format!(
                "INSERT INTO verification_codes ({CODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash, sent_at = excluded.sent_at, \
                   expires_at = excluded.expires_at, attempts = excluded.attempts"
            ),
            &[&k.phone, &&k.code_hash[..], &k.sent_at.0, &k.expires_at.0, &i64::from(k.attempts)],
        )
        .await?;
        Ok(())
    }

    async fn code(&self, phone: &str) -> Result<Option<VerificationCode>> {
        let rows =
            self.query(&format!("SELECT {CODE_COLUMNS} FROM verification_codes WHERE phone = $1"), &[&phone]).await?;
        rows.first().map(code_row).transpose()
    }

    async fn count_code_attempt(&self, phone: &str) -> Result<Option<u32>> {
        let rows = self
            .query(
                "UPDATE verification_codes SET attempts = attempts + 1 WHERE phone = $1 RETURNING attempts",
                &[&phone],
            )
            .await?;
        rows.first().map(|r| count(r.try_get(0).map_err(backend)?, "attempt count")).transpose()
    }

    async fn delete_code(&self, phone: &str) -> Result<()> {
        self.execute("DELETE FROM verification_codes WHERE phone = $1", &[&phone]).await?;
        Ok(())
    }

    async fn log_access(&self, e: &AccessEntry) -> Result<i64> {
        let rows = self
            .query(
                "INSERT INTO access_log (at, actor, action, outcome, subject, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
                &[&e.at.0, &e.actor, &e.action, &e.outcome.as_str(), &e.subject, &e.detail],
            )
            .await?;
        rows.first().ok_or_else(|| backend_msg("INSERT … RETURNING returned nothing"))?.try_get(0).map_err(backend)
    }

    async fn access_log(&self, f: &AccessFilter) -> Result<Vec<AccessEntry>> {
        let rows = self
            .query(
                "SELECT seq, at, actor, action, outcome, subject, detail FROM access_log \
                 WHERE ($1::bigint IS NULL OR seq < $1) AND ($2::text IS NULL OR actor = $2) \
                   AND ($3::text IS NULL OR action = $3) AND ($4::text IS NULL OR subject = $4) \
                 ORDER BY seq DESC LIMIT $5",
                &[&f.before, &f.actor, &f.action, &f.subject, &i64::from(f.limit)],
            )
            .await?;
        rows.iter().map(entry_row).collect()
    }
}
