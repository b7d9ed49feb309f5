//! A store written by an older version opens in this one with nothing lost: schema 16 moved the
//! events into ledger order, copying every one of them.

use std::sync::Arc;

use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_store::conformance;
use yiwang_store::{Store, audit};
use yiwang_store_sqlite::{Durability, SqliteStore};

const T0: Timestamp = Timestamp(1_763_344_800_000);

/// The events table as schema 15 left it: keyed by case and seq, the ledger in an index.
const EVENTS_BY_CASE: &str = "
    CREATE TABLE events_by_case (
        case_id     INTEGER NOT NULL REFERENCES cases (id),
        seq         INTEGER NOT NULL,
        ledger_seq  INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        actor       TEXT    NOT NULL,
        role        TEXT    NOT NULL,
        step        TEXT    NOT NULL,
        from_state  TEXT,
        to_state    TEXT    NOT NULL,
        note        TEXT    NOT NULL,
        attachments TEXT    NOT NULL,
        detail      TEXT    NOT NULL,
        prev        BLOB    NOT NULL,
        hash        BLOB    NOT NULL,
        ledger_hash BLOB    NOT NULL,
        PRIMARY KEY (case_id, seq)
    ) WITHOUT ROWID;
    INSERT INTO events_by_case (case_id, seq, ledger_seq, at, actor, role, step, from_state, to_state, note,
                                attachments, detail, prev, hash, ledger_hash)
        SELECT case_id, seq, ledger_seq, at, actor, role, step, from_state, to_state, note,
               attachments, detail, prev, hash, ledger_hash FROM events;
    DROP TABLE events;
    ALTER TABLE events_by_case RENAME TO events;
    CREATE UNIQUE INDEX events_ledger ON events (ledger_seq);
    CREATE INDEX events_at ON events (at, case_id, seq);
    DELETE FROM schema_migrations WHERE version = 16;";

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
    old.execute_batch(EVENTS_BY_CASE).unwrap();
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
