//! Proxies (亲友代办) on PostgreSQL. None of this touches the ledger: pooled connections, and
//! each change that must be atomic is one statement.

use async_trait::async_trait;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use yiwang_domain::time::Timestamp;
use yiwang_store::proxies::{ConsentCode, Proxies, Proxy, ProxyStatus, proxy_exists};
use yiwang_store::{Result, StoreError};

use crate::rows::{Param, get, query};
use crate::{PostgresStore, backend, backend_msg};

const COLUMNS: &str = "id, relative, elder_phone, elder, relation, status, created_at, consented_at, revoked_at, \
     code_hash, code_sent_at, code_expires_at, code_attempts";

fn attempts(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| backend_msg(format!("stored attempt count {v} is out of range")))
}

fn proxy_row(r: &Row) -> Result<Proxy> {
    let status: &str = get(r, 5)?;
    let code = match (get::<Option<Vec<u8>>>(r, 9)?, get::<Option<i64>>(r, 10)?, get::<Option<i64>>(r, 11)?) {
        (Some(hash), Some(sent), Some(expires)) => Some(ConsentCode {
            code_hash: hash.try_into().unwrap_or([0xff; 32]),
            sent_at: Timestamp(sent),
            expires_at: Timestamp(expires),
            attempts: attempts(get::<Option<i64>>(r, 12)?.unwrap_or(0))?,
        }),
        _ => None,
    };
    Ok(Proxy {
        id: get(r, 0)?,
        relative: get(r, 1)?,
        elder_phone: get(r, 2)?,
        elder: get(r, 3)?,
        relation: get(r, 4)?,
        status: ProxyStatus::parse(status)
            .ok_or_else(|| backend_msg(format!("stored proxy status {status} is unknown")))?,
        created_at: Timestamp(get(r, 6)?),
        consented_at: get::<Option<i64>>(r, 7)?.map(Timestamp),
        revoked_at: get::<Option<i64>>(r, 8)?.map(Timestamp),
        code,
    })
}

impl PostgresStore {
    async fn proxies_where(&self, condition: &str, params: &[Param<'_>]) -> Result<Vec<Proxy>> {
        let conn = self.conn().await?;
        let rows =
            query(&conn, &format!("SELECT {COLUMNS} FROM proxies WHERE {condition} ORDER BY id DESC"), params).await?;
        rows.iter().map(proxy_row).collect()
    }

    async fn changed(&self, sql: &str, params: &[Param<'_>]) -> Result<bool> {
        let conn = self.conn().await?;
        let st = conn.prepare_cached(sql).await.map_err(backend)?;
        Ok(conn.execute(&st, params).await.map_err(backend)? == 1)
    }
}

#[async_trait]
impl Proxies for PostgresStore {
    async fn create_proxy(&self, p: &Proxy) -> Result<Proxy> {
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached(&format!(
                "INSERT INTO proxies (relative, elder_phone, elder, relation, status, created_at, consented_at, \
                   revoked_at, code_hash, code_sent_at, code_expires_at, code_attempts) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLUMNS}"
            ))
            .await
            .map_err(backend)?;
        let code = p.code.as_ref();
        let row = conn
            .query_one(
                &st,
                &[
                    &p.relative,
                    &p.elder_phone,
                    &p.elder,
                    &p.relation,
                    &p.status.as_str(),
                    &p.created_at.0,
                    &p.consented_at.map(|t| t.0),
                    &p.revoked_at.map(|t| t.0),
                    &code.map(|c| c.code_hash.to_vec()),
                    &code.map(|c| c.sent_at.0),
                    &code.map(|c| c.expires_at.0),
                    &code.map(|c| i64::from(c.attempts)),
                ],
            )
            .await
            .map_err(|e| {
                if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                    StoreError::Refused(proxy_exists())
                } else {
                    backend(e)
                }
            })?;
        proxy_row(&row)
    }

    async fn proxy(&self, id: i64) -> Result<Option<Proxy>> {
        Ok(self.proxies_where("id = $1", &[&id]).await?.into_iter().next())
    }

    async fn proxies_of(&self, account: &str, phone: Option<&str>) -> Result<Vec<Proxy>> {
        self.proxies_where("relative = $1 OR elder = $1 OR (elder IS NULL AND elder_phone = $2)", &[&account, &phone])
            .await
    }

    async fn active_proxy(&self, relative: &str, elder: &str) -> Result<Option<Proxy>> {
        Ok(self
            .proxies_where("relative = $1 AND elder = $2 AND status = 'active'", &[&relative, &elder])
            .await?
            .into_iter()
            .next())
    }

    async fn renew_proxy_code(&self, id: i64, elder: Option<&str>, code: &ConsentCode) -> Result<bool> {
        self.changed(
            "UPDATE proxies SET elder = $2, code_hash = $3, code_sent_at = $4, code_expires_at = $5, \
               code_attempts = $6 WHERE id = $1 AND status = 'pending'",
            &[&id, &elder, &code.code_hash.to_vec(), &code.sent_at.0, &code.expires_at.0, &i64::from(code.attempts)],
        )
        .await
    }

    async fn count_proxy_code_attempt(&self, id: i64) -> Result<Option<u32>> {
        let conn = self.conn().await?;
        let rows = query(
            &conn,
            "UPDATE proxies SET code_attempts = code_attempts + 1 \
             WHERE id = $1 AND status = 'pending' AND code_hash IS NOT NULL RETURNING code_attempts",
            &[&id],
        )
        .await?;
        rows.first().map(|r| attempts(get(r, 0)?)).transpose()
    }

    async fn consent_proxy(&self, id: i64, elder: &str, at: Timestamp) -> Result<bool> {
        self.changed(
            "UPDATE proxies SET status = 'active', elder = $2, consented_at = $3, code_hash = NULL, \
               code_sent_at = NULL, code_expires_at = NULL, code_attempts = NULL \
             WHERE id = $1 AND status = 'pending'",
            &[&id, &elder, &at.0],
        )
        .await
    }

    async fn revoke_proxy(&self, id: i64, at: Timestamp) -> Result<bool> {
        self.changed(
            "UPDATE proxies SET status = 'revoked', revoked_at = $2, code_hash = NULL, code_sent_at = NULL, \
               code_expires_at = NULL, code_attempts = NULL \
             WHERE id = $1 AND status <> 'revoked'",
            &[&id, &at.0],
        )
        .await
    }
}
