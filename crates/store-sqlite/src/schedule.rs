//! The scheduler's wake times on SQLite (see `yiwang_store::schedule`). Writes run in the writer
//! thread, ordered with commits.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use yiwang_domain::case::Case;
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::schedule::{Schedule, Wake};

use crate::packed::Json;
use crate::rows::from_json;
use crate::{Cached, SqliteStore, backend};

#[async_trait]
impl Schedule for SqliteStore {
    async fn cases_to_wake(&self, now: Timestamp, limit: u32) -> Result<Vec<Case>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT data FROM cases WHERE wake_at IS NOT NULL AND wake_at <= ?1 ORDER BY wake_at, id LIMIT ?2",
                )
                .map_err(backend)?;
            let rows = st.query_map(params![now.0, limit], |r| r.get::<_, Json>(0)).map_err(backend)?;
            rows.map(|r| from_json(&r.map_err(backend)?.0)).collect()
        })
        .await
    }

    async fn next_wake(&self) -> Result<Option<Timestamp>> {
        self.read(|c| {
            c.cached_row("SELECT min(wake_at) FROM cases WHERE wake_at IS NOT NULL", [], |r| r.get::<_, Option<i64>>(0))
                .map(|t| t.map(Timestamp))
                .map_err(backend)
        })
        .await
    }

    async fn set_wakes(&self, wakes: &[Wake]) -> Result<u64> {
        if wakes.is_empty() {
            return Ok(0);
        }
        let wakes = wakes.to_vec();
        self.write(move |t| {
            let mut st =
                t.prepare_cached("UPDATE cases SET wake_at = ?3 WHERE id = ?1 AND seq = ?2").map_err(backend)?;
            let mut set = 0;
            for w in &wakes {
                set += st.execute(params![w.case_id, w.seq, w.at.map(|t| t.0)]).map_err(backend)? as u64;
            }
            Ok(set)
        })
        .await
    }

    async fn adopt_schedule_policy(&self, policy: &str) -> Result<bool> {
        let policy = policy.to_owned();
        self.write(move |t| {
            let stored: Option<String> = t
                .query_row("SELECT policy FROM schedule_policy WHERE id = 1", [], |r| r.get(0))
                .optional()
                .map_err(backend)?;
            if stored.as_deref() == Some(policy.as_str()) {
                return Ok(false);
            }
            t.cached_execute(
                "INSERT INTO schedule_policy (id, policy) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET policy = excluded.policy",
                [&policy],
            )
            .map_err(backend)?;
            t.cached_execute("UPDATE cases SET wake_at = wake_anchor WHERE wake_at IS NOT wake_anchor", []).map_err(backend)?;
            Ok(true)
        })
        .await
    }
}
