//! The writer copies the WAL back into the database (SQLite's automatic checkpoint is off: the
//! store's WAL hook takes its place), when no commit waits for it or else inside the commit that
//! takes the WAL past its limit; either way the WAL stays bounded.

use yiwang_domain::case::{self, Actor, Report};
use yiwang_domain::time::Timestamp;
use yiwang_store::conformance::{self, rules};
use yiwang_store::{Change, Store};
use yiwang_store_sqlite::{Durability, SqliteStore};

/// The WAL pages after which a commit checkpoints (`checkpoint::WAL_LIMIT`), with room for the
/// commit that crossed it, in bytes.
const WAL_BOUND: u64 = 10_500 * (4_096 + 24);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_copied_back_and_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).unwrap();
    let rules = rules();
    let size = |file: &str| std::fs::metadata(dir.path().join(file)).map(|m| m.len()).unwrap_or(0);
    let mut commits = 0;
    // Until the database file itself holds 3 MB, which only checkpoints put there.
    while size("yiwang.db") < 3 << 20 {
        assert!(commits < 40_000, "the WAL was never copied back");
        let id = store.allocate_case_ids(1).await.unwrap();
        let report = Report {
            description: format!("案卷 {id} ").repeat(40),
            ..conformance::report("110101001001001", "E0102", 116.4)
        };
        let (case, event) = case::open(id, report, &Actor::resident("r"), Timestamp::now(), &rules).unwrap();
        store.commit(vec![Change { case, event, evaluation: None }]).await.unwrap();
        commits += 1;
        assert!(size("yiwang.db-wal") <= WAL_BOUND, "the WAL grew past its limit");
    }
    assert_eq!(store.count_cases().await.unwrap(), commits);
}
