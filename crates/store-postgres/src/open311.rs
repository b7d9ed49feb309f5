//! The Open311 reads on PostgreSQL: events by time (index `events_at`, migration 5).

use async_trait::async_trait;
use yiwang_domain::case::Event;
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::open311::{EventKey, Open311};

use crate::{PostgresStore, backend, rows};

#[async_trait]
impl Open311 for PostgresStore {
    async fn events_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        after: Option<EventKey>,
        limit: u32,
    ) -> Result<Vec<Event>> {
        let limit = i64::from(limit.clamp(1, 10_000));
        let conn = self.conn().await?;
        match after {
            None => {
                rows::events(
                    &conn,
                    "WHERE at >= $1 AND at < $2 ORDER BY at, case_id, seq LIMIT $3",
                    &[&from.0, &to.0, &limit],
                )
                .await
            }
            Some((at, case_id, seq)) => rows::events(
                &conn,
                "WHERE at >= $1 AND at < $2 AND (at, case_id, seq) > ($3, $4, $5) ORDER BY at, case_id, seq LIMIT $6",
                &[&from.0, &to.0, &at.0, &case_id, &i64::from(seq), &limit],
            )
            .await,
        }
    }

    async fn last_changed(&self, case_ids: &[i64]) -> Result<Vec<(i64, Timestamp)>> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached("SELECT case_id, max(at) FROM events WHERE case_id = ANY($1) GROUP BY case_id")
            .await
            .map_err(backend)?;
        let ids = case_ids.to_vec();
        let rows = conn.query(&st, &[&ids]).await.map_err(backend)?;
        rows.iter()
            .map(|r| Ok((r.try_get::<_, i64>(0).map_err(backend)?, Timestamp(r.try_get(1).map_err(backend)?))))
            .collect()
    }
}
