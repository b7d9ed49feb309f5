//! When the writer copies the WAL back into the database (the checkpoint).
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that crossed its threshold, and every
//! request of that group waits for it. Here a WAL hook only counts the WAL's pages, and the
//! writer checkpoints when no commit is waiting for it (see `Writer::run`); inside a commit only
//! when the WAL has reached [`WAL_LIMIT`], so that a writer that is never idle still keeps it
//! bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use rusqlite::Connection;
use rusqlite::wal::CheckpointMode;
use yiwang_store::Result;

use crate::backend;

/// WAL pages after which an idle writer copies them back (SQLite's default is 1,000, 4 MB). A
/// page that many steps rewrite (a district's counters, an index's newest leaf) is copied back
/// once per checkpoint, so fewer, larger checkpoints write less.
const WAL_PAGES: i64 = 2_500;
/// WAL pages after which the writer copies them back inside the commit that wrote them, holding
/// that group's requests: an intake that keeps the writer busy pays it (HTTP intake flat out:
/// p99 19–23 ms against 16–18 ms with every checkpoint inside a commit at 2,500 pages, for
/// 1.1× the lifecycles a second; BENCHMARKS.md, 8 December).
const WAL_LIMIT: i64 = 4 * WAL_PAGES;

/// The WAL's size in pages after the writer's last commit, as its hook counted it.
pub(crate) struct WalPages(Arc<AtomicI64>);

impl WalPages {
    /// Installs the hook on the writer's connection, in place of SQLite's automatic checkpoint.
    pub(crate) fn watch(writer: &mut Connection) -> Result<WalPages> {
        let pages = Arc::new(AtomicI64::new(0));
        let counted = pages.clone();
        writer
            .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, n: i32| {
                let n = i64::from(n);
                counted.store(n, Ordering::Relaxed);
                if n >= WAL_LIMIT {
                    // A failure is tried again at the next commit or idle moment; the commit
                    // itself has happened either way.
                    if let Err(e) = wal.checkpoint_v2(CheckpointMode::PASSIVE) {
                        tracing::warn!("checkpointing the WAL failed, to be tried again: {e}");
                    }
                }
                Ok(())
            }))
            .map_err(backend)?;
        Ok(WalPages(pages))
    }

    /// Copies the WAL back if it has grown past [`WAL_PAGES`] (`PASSIVE`: as much as no reader
    /// still needs); the WAL starts over at the next commit once all of it is copied.
    pub(crate) fn checkpoint_if_due(&self, writer: &Connection) {
        if self.0.load(Ordering::Relaxed) < WAL_PAGES {
            return;
        }
        // Counted again at the next commit; until then, an idle writer does not try again.
        self.0.store(0, Ordering::Relaxed);
        if let Err(e) = writer.wal_checkpoint_v2(Some("main"), CheckpointMode::PASSIVE) {
            tracing::warn!("checkpointing the WAL failed, to be tried again: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store's connection in WAL mode with the hook, and the size of its database file.
    fn store() -> (tempfile::TempDir, Connection, WalPages) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (b BLOB)").unwrap();
        let wal = WalPages::watch(&mut conn).unwrap();
        (dir, conn, wal)
    }

    fn database_bytes(dir: &tempfile::TempDir) -> u64 {
        std::fs::metadata(dir.path().join("t.db")).unwrap().len()
    }

    /// Writes about `pages` pages of 4 KB in one transaction.
    fn write(conn: &Connection, pages: i64) {
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
             INSERT INTO t SELECT zeroblob(4000) FROM n",
            [pages],
        )
        .unwrap();
    }

    #[test]
    fn an_idle_writer_copies_the_wal_back_once_it_is_due() {
        let (dir, conn, wal) = store();
        write(&conn, WAL_PAGES / 2);
        wal.checkpoint_if_due(&conn);
        assert!(database_bytes(&dir) < 1 << 20, "not due yet: the pages stay in the WAL");
        write(&conn, WAL_PAGES / 2 + 100);
        assert!(database_bytes(&dir) < 1 << 20, "no checkpoint inside a commit below the limit");
        wal.checkpoint_if_due(&conn);
        assert!(database_bytes(&dir) as i64 > WAL_PAGES * 4000, "copied back when due");
    }

    #[test]
    fn a_commit_past_the_limit_copies_the_wal_back_itself() {
        let (dir, conn, _wal) = store();
        write(&conn, WAL_LIMIT + 100);
        assert!(database_bytes(&dir) as i64 > WAL_LIMIT * 4000);
    }
}
