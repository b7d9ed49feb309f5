//! The scheduler's wake times on PostgreSQL (see `yiwang_store::schedule`). A wake time is set
//! only on the case row at the `seq` it was planned from, so a commit of another node in between
//! always wins.

use async_trait::async_trait;
use yiwang_domain::case::Case;
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::schedule::{Schedule, Wake};

use crate::rows::{cases_of, get, query};
use crate::{PostgresStore, backend};

#[async_trait]
impl Schedule for PostgresStore {
    async fn cases_to_wake(&self, now: Timestamp, limit: u32) -> Result<Vec<Case>> {
        let rows = query(
            &self.conn().await?,
            "SELECT data FROM cases WHERE wake_at IS NOT NULL AND wake_at <= $1 ORDER BY wake_at, id LIMIT $2",
            &[&now.0, &i64::from(limit)],
        )
        .await?;
        cases_of(rows)
    }

    async fn next_wake(&self) -> Result<Option<Timestamp>> {
        let rows = query(&self.conn().await?, "SELECT min(wake_at) FROM cases WHERE wake_at IS NOT NULL", &[]).await?;
        Ok(match rows.first() {
            Some(r) => get::<Option<i64>>(r, 0)?.map(Timestamp),
            None => None,
        })
    }

    async fn set_wakes(&self, wakes: &[Wake]) -> Result<u64> {
        if wakes.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = wakes.iter().map(|w| w.case_id).collect();
        let seqs: Vec<i64> = wakes.iter().map(|w| i64::from(w.seq)).collect();
        let ats: Vec<Option<i64>> = wakes.iter().map(|w| w.at.map(|t| t.0)).collect();
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached(
                "UPDATE cases SET wake_at = w.at FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS w (id, seq, at) \
                 WHERE cases.id = w.id AND cases.seq = w.seq",
            )
            .await
            .map_err(backend)?;
        conn.execute(&st, &[&ids, &seqs, &ats]).await.map_err(backend)
    }

    async fn adopt_schedule_policy(&self, policy: &str) -> Result<bool> {
        let mut conn = self.conn().await?;
        let t = conn.transaction().await.map_err(backend)?;
        // A row comes back only when the policy was missing or different.
        let changed = t
            .query_opt(
                "INSERT INTO schedule_policy (id, policy) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET policy = excluded.policy \
                 WHERE schedule_policy.policy IS DISTINCT FROM excluded.policy RETURNING id",
                &[&policy],
            )
            .await
            .map_err(backend)?
            .is_some();
        if changed {
            t.execute("UPDATE cases SET wake_at = wake_anchor WHERE wake_at IS DISTINCT FROM wake_anchor", &[])
                .await
                .map_err(backend)?;
        }
        t.commit().await.map_err(backend)?;
        Ok(changed)
    }
}
