//! The Open311 reads on SQLite: events by time (index `events_at`, migration 5).

use async_trait::async_trait;
use rusqlite::params;
use yiwang_domain::case::Event;
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::open311::{EventKey, Open311};

use crate::{SqliteStore, backend, rows};

#[async_trait]
impl Open311 for SqliteStore {
    async fn events_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        after: Option<EventKey>,
        limit: u32,
    ) -> Result<Vec<Event>> {
        let limit = limit.clamp(1, 10_000);
        self.read(move |c| match after {
            None => rows::events(
                c,
                "WHERE at >= ?1 AND at < ?2 ORDER BY at, case_id, seq LIMIT ?3",
                params![from.0, to.0, limit],
            ),
            Some((at, case_id, seq)) => rows::events(
                c,
                "WHERE at >= ?1 AND at < ?2 AND (at, case_id, seq) > (?3, ?4, ?5) ORDER BY at, case_id, seq LIMIT ?6",
                params![from.0, to.0, at.0, case_id, seq, limit],
            ),
        })
        .await
    }

    async fn last_changed(&self, case_ids: &[i64]) -> Result<Vec<(i64, Timestamp)>> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        // Integers only, so the list is safe to write into the statement.
        let list: Vec<String> = case_ids.iter().map(i64::to_string).collect();
        let sql = format!("SELECT case_id, max(at) FROM events WHERE case_id IN ({}) GROUP BY case_id", list.join(","));
        self.read(move |c| {
            let mut stmt = c.prepare(&sql).map_err(backend)?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, Timestamp(r.get(1)?)))).map_err(backend)?;
            rows.map(|r| r.map_err(backend)).collect()
        })
        .await
    }
}
