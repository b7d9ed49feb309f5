//! The shared conformance story, on SQLite.

use std::sync::Arc;

use yiwang_store::conformance;
use yiwang_store_sqlite::{Durability, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::run(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    let sql = raw_sql(&store);
    conformance::tampering_is_named(Arc::new(store), sql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::attachments::run(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::accounts::run(Arc::new(store)).await;
}

/// The access log is append-only even for someone with the database file in hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_refuses_changes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::accounts::run(Arc::new(store)).await;
    let c = rusqlite::Connection::open(dir.path().join("yiwang.db")).unwrap();
    for stmt in ["UPDATE access_log SET detail = 'nothing happened'", "DELETE FROM access_log"] {
        let e = c.execute_batch(stmt).expect_err(stmt);
        assert!(e.to_string().contains("append-only"), "{stmt}: {e}");
    }
    let n: i64 = c.query_row("SELECT count(*) FROM access_log", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::webhooks::run(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open311_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::open311::run(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluation_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::evaluation::run(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    let sql = raw_sql(&store);
    let migration = packed(include_str!("../migrations/0006_supervision.sql"));
    let backfill = conformance::schedule::backfill_of(&migration);
    conformance::schedule::run(Arc::new(store), backfill, sql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::notifications::run(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workbench_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    let sql = raw_sql(&store);
    let migration = packed(include_str!("../migrations/0008_workbench.sql"));
    let backfill = conformance::schedule::backfill_of(&migration);
    conformance::workbench::run(Arc::new(store), backfill, sql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::import::run(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxies_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::proxies::run(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_board_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::public::run(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_story() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    conformance::search::run(Arc::new(store)).await;
}

/// SQL run on a connection of its own beside the store, as an operator (or an attacker) would.
fn raw_sql(store: &SqliteStore) -> conformance::RawSql {
    let path = store.path().to_owned();
    Arc::new(move |stmt: String| {
        let path = path.clone();
        Box::pin(async move {
            let c = rusqlite::Connection::open(path).unwrap();
            yiwang_store_sqlite::register_functions(&c).unwrap();
            c.execute_batch(&stmt).unwrap_or_else(|e| panic!("{stmt}: {e}"));
        })
    })
}

/// A backfill written when cases were stored as JSON text, for cases stored packed: it looked
/// inside `data` with `json_extract`, which needs the text.
fn packed(migration: &str) -> String {
    migration.replace("json_extract(data,", "json_extract(unpacked(data),")
}
