//! Proxies (亲友代办) on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, params};
use yiwang_domain::time::Timestamp;
use yiwang_store::proxies::{ConsentCode, Proxies, Proxy, ProxyStatus, proxy_exists};
use yiwang_store::{Result, StoreError};

use crate::{Cached, SqliteStore, backend};

const COLUMNS: &str = "id, relative, elder_phone, elder, relation, status, created_at, consented_at, revoked_at, \
     code_hash, code_sent_at, code_expires_at, code_attempts";

fn proxy_row(r: &Row) -> rusqlite::Result<Result<Proxy>> {
    let status: String = r.get(5)?;
    let Some(status) = ProxyStatus::parse(&status) else {
        return Ok(Err(backend(format!("stored proxy status {status} is unknown"))));
    };
    let code = match (r.get::<_, Option<Vec<u8>>>(9)?, r.get::<_, Option<i64>>(10)?, r.get::<_, Option<i64>>(11)?) {
        (Some(hash), Some(sent), Some(expires)) => Some(ConsentCode {
            code_hash: hash.try_into().unwrap_or([0xff; 32]),
            sent_at: Timestamp(sent),
            expires_at: Timestamp(expires),
            attempts: r.get::<_, Option<u32>>(12)?.unwrap_or(0),
        }),
        _ => None,
    };
    Ok(Ok(Proxy {
        id: r.get(0)?,
        relative: r.get(1)?,
        elder_phone: r.get(2)?,
        elder: r.get(3)?,
        relation: r.get(4)?,
        status,
        created_at: Timestamp(r.get(6)?),
        consented_at: r.get::<_, Option<i64>>(7)?.map(Timestamp),
        revoked_at: r.get::<_, Option<i64>>(8)?.map(Timestamp),
        code,
    }))
}

fn proxies_where(c: &Connection, condition: &str, params: impl rusqlite::Params) -> Result<Vec<Proxy>> {
    let mut st = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM proxies WHERE {condition} ORDER BY id DESC"))
        .map_err(backend)?;
    let rows = st.query_map(params, proxy_row).map_err(backend)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r.map_err(backend)??);
    }
    Ok(out)
}

fn one(c: &Connection, id: i64) -> Result<Option<Proxy>> {
    c.cached_row(&format!("SELECT {COLUMNS} FROM proxies WHERE id = ?1"), [id], proxy_row)
        .optional()
        .map_err(backend)?
        .transpose()
}

#[async_trait]
impl Proxies for SqliteStore {
    async fn create_proxy(&self, p: &Proxy) -> Result<Proxy> {
        let p = p.clone();
        self.write(move |t| {
            let code = p.code.as_ref();
            t.cached_execute(
                "INSERT INTO proxies (relative, elder_phone, elder, relation, status, created_at, consented_at, \
                   revoked_at, code_hash, code_sent_at, code_expires_at, code_attempts) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    p.relative,
                    p.elder_phone,
                    p.elder,
                    p.relation,
                    p.status.as_str(),
                    p.created_at.0,
                    p.consented_at.map(|t| t.0),
                    p.revoked_at.map(|t| t.0),
                    code.map(|c| c.code_hash.to_vec()),
                    code.map(|c| c.sent_at.0),
                    code.map(|c| c.expires_at.0),
                    code.map(|c| c.attempts),
                ],
            )
            .map_err(|e| match &e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == ErrorCode::ConstraintViolation && e.to_string().contains("UNIQUE") =>
                {
                    StoreError::Refused(proxy_exists())
                }
                _ => backend(e),
            })?;
            one(t, t.last_insert_rowid())?.ok_or_else(|| backend("the new proxy is missing"))
        })
        .await
    }

    async fn proxy(&self, id: i64) -> Result<Option<Proxy>> {
        self.read(move |c| one(c, id)).await
    }

    async fn proxies_of(&self, account: &str, phone: Option<&str>) -> Result<Vec<Proxy>> {
        let (account, phone) = (account.to_owned(), phone.map(str::to_owned));
        self.read(move |c| {
            proxies_where(
                c,
                "relative = ?1 OR elder = ?1 OR (elder IS NULL AND elder_phone = ?2)",
                params![account, phone],
            )
        })
        .await
    }

    async fn active_proxy(&self, relative: &str, elder: &str) -> Result<Option<Proxy>> {
        let (relative, elder) = (relative.to_owned(), elder.to_owned());
        self.read(move |c| {
            Ok(proxies_where(c, "relative = ?1 AND elder = ?2 AND status = 'active'", [relative, elder])?
                .into_iter()
                .next())
        })
        .await
    }

    async fn renew_proxy_code(&self, id: i64, elder: Option<&str>, code: &ConsentCode) -> Result<bool> {
        let (elder, code) = (elder.map(str::to_owned), code.clone());
        self.write(move |t| {
            let n = t
                .execute(
                    "UPDATE proxies SET elder = ?2, code_hash = ?3, code_sent_at = ?4, code_expires_at = ?5, \
                       code_attempts = ?6 WHERE id = ?1 AND status = 'pending'",
                    params![id, elder, code.code_hash.to_vec(), code.sent_at.0, code.expires_at.0, code.attempts],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn count_proxy_code_attempt(&self, id: i64) -> Result<Option<u32>> {
        self.write(move |t| {
            t.cached_row(
                "UPDATE proxies SET code_attempts = code_attempts + 1 \
                 WHERE id = ?1 AND status = 'pending' AND code_hash IS NOT NULL RETURNING code_attempts",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn consent_proxy(&self, id: i64, elder: &str, at: Timestamp) -> Result<bool> {
        let elder = elder.to_owned();
        self.write(move |t| {
            let n = t
                .execute(
                    "UPDATE proxies SET status = 'active', elder = ?2, consented_at = ?3, code_hash = NULL, \
                       code_sent_at = NULL, code_expires_at = NULL, code_attempts = NULL \
                     WHERE id = ?1 AND status = 'pending'",
                    params![id, elder, at.0],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn revoke_proxy(&self, id: i64, at: Timestamp) -> Result<bool> {
        self.write(move |t| {
            let n = t
                .execute(
                    "UPDATE proxies SET status = 'revoked', revoked_at = ?2, code_hash = NULL, code_sent_at = NULL, \
                       code_expires_at = NULL, code_attempts = NULL \
                     WHERE id = ?1 AND status <> 'revoked'",
                    params![id, at.0],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }
}
