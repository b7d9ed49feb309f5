//! A store written by an older version opens in this one with nothing lost: schema 16 moved the
//! events into ledger order, copying every one of them.

use std::sync::Arc;

use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_store::conformance;
use yiwang_store::{Store, audit};
use yiwang_store_sqlite::{Durability, SqliteStore};

const T0: Timestamp = Timestamp(1_763_344_800_000);

/// Puts the events back in the layout schema 15 left: keyed by case and seq, the ledger in an
/// index, as migrations 1 and 5 made it (their own statements, taken from their files).
fn events_by_case() -> String {
    let init = include_str!("../migrations/0001_init.sql");
    let from = init.find("CREATE TABLE events (").expect("migration 1 creates the events");
    let to = from + init[from..].find("CREATE TABLE ledger_head").expect("and then the ledger head");
    let open311 = include_str!("../migrations/0005_open311.sql");
    let at =
        open311.lines().find(|l| l.starts_with("CREATE INDEX events_at")).expect("migration 5 indexes events by time");
    let columns = "case_id, seq, ledger_seq, at, actor, role, step, from_state, to_state, note, attachments, detail, \
                   prev, hash, ledger_hash";
    format!(
        "ALTER TABLE events RENAME TO events_in_order; DROP INDEX events_case; DROP INDEX events_at;
         {old}
         INSERT INTO events ({columns}) SELECT {columns} FROM events_in_order;
         DROP TABLE events_in_order;
         {at}
         DELETE FROM schema_migrations WHERE version = 16;",
        old = &init[from..to]
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_move_into_ledger_order_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path(), Durability::Full).unwrap());
    // Ten whole lives at once: the ledger interleaves their events.
    let lives: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                conformance::full_life(&*store, &format!("r{i}"), "110101001001001", T0.plus_ms(i * MINUTE_MS)).await.id
            })
        })
        .collect();
    let mut ids = Vec::new();
    for life in lives {
        ids.push(life.await.unwrap());
    }
    let before = history(&store, &ids).await;
    assert!(before.1.len() > 50, "{before:?}");
    drop(store);

    let old = rusqlite::Connection::open(dir.path().join("yiwang.db")).unwrap();
    old.execute_batch(&events_by_case()).unwrap();
    drop(old);

    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    assert_eq!(history(&store, &ids).await, before);
    let report = audit::verify(&store, &|_| {}).await.unwrap().expect("the chain is intact after the move");
    assert_eq!(report.cases, 10);
    let layout: String = rusqlite::Connection::open(dir.path().join("yiwang.db"))
        .unwrap()
        .query_row("SELECT sql FROM sqlite_schema WHERE name = 'events'", [], |r| r.get(0))
        .unwrap();
    assert!(layout.contains("ledger_seq  INTEGER PRIMARY KEY"), "{layout}");
}

/// Each case's events, and the ledger, as text.
async fn history(store: &SqliteStore, ids: &[i64]) -> (Vec<String>, Vec<String>) {
    let mut events = Vec::new();
    for id in ids {
        events.push(serde_json::to_string(&store.events(*id).await.unwrap()).unwrap());
    }
    let ledger = store.ledger_page(0, 1_000).await.unwrap().iter().map(|e| format!("{e:?}")).collect();
    (events, ledger)
}

/// Schema 18 fills the report times of each block of ids from the cases already stored, as the
/// writer keeps them for the cases it writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_blocks_are_filled_from_the_stored_cases() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    for i in 0..6 {
        // Ids skipped, so that the cases fall in several blocks.
        store.allocate_case_ids(3_000).await.unwrap();
        conformance::full_life(&store, &format!("r{i}"), "110101001001001", T0.plus_ms(i * 90 * MINUTE_MS)).await;
    }
    let before = report_blocks(dir.path());
    assert!(before.len() >= 4, "{before:?}");
    drop(store);

    rusqlite::Connection::open(dir.path().join("yiwang.db"))
        .unwrap()
        .execute_batch("DROP TABLE case_report_blocks; DELETE FROM schema_migrations WHERE version = 18;")
        .unwrap();
    drop(SqliteStore::open(dir.path(), Durability::Full).unwrap());
    assert_eq!(report_blocks(dir.path()), before);
}

/// Each block's row: block, earliest and latest report time.
fn report_blocks(dir: &std::path::Path) -> Vec<(i64, i64, i64)> {
    let c = rusqlite::Connection::open(dir.join("yiwang.db")).unwrap();
    let mut rows = c.prepare("SELECT block, earliest, latest FROM case_report_blocks ORDER BY block").unwrap();
    rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

/// A store that a newer yiwang migrated is refused, and left as it was.
#[test]
fn a_store_from_a_newer_yiwang_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path(), Durability::Full).unwrap());
    let newer = "INSERT INTO schema_migrations (version, applied_at) VALUES (1000, 0)";
    rusqlite::Connection::open(dir.path().join("yiwang.db")).unwrap().execute_batch(newer).unwrap();
    let refused = SqliteStore::open(dir.path(), Durability::Full).err().expect("refused");
    assert!(refused.to_string().contains("version 1000, newer than this yiwang knows"), "{refused}");
    let versions: i64 = rusqlite::Connection::open(dir.path().join("yiwang.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert!(versions > 1, "the store is as it was: {versions} versions");
}
