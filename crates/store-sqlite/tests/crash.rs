//! An acknowledged write survives `kill -9`, counters included; and the counter journal is
//! added to the counters once, whichever process opens the store.
//!
//! The test runs itself a second time as a child process that commits cases and prints the id
//! of each one after its commit returns; the parent kills the child with SIGKILL in the middle of
//! writing, reopens the store and checks that every acknowledged case is there, whole, that the
//! audit chain is intact, and that the evaluation counters count every stored case (the writer
//! adds them behind the commits, from a journal the crash leaves behind).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use yiwang_domain::case::{self, Actor, Report, Rules};
use yiwang_domain::evaluation::{Dim, Facts, Policy, contributions};
use yiwang_domain::time::Timestamp;
use yiwang_store::conformance::{self, rules};
use yiwang_store::evaluation::{Evaluation, EvaluationChange};
use yiwang_store::{Change, Store, audit};
use yiwang_store_sqlite::{Durability, SqliteStore};

const CHILD_DIR: &str = "YIWANG_CRASH_CHILD_DIR";

/// A new case reported in district 110101, with what it adds to the counters.
fn report(id: i64, rules: &Rules) -> Change {
    let report =
        Report { description: format!("crash test {id}"), ..conformance::report("110101001001001", "E0102", 116.4) };
    let (case, event) = case::open(id, report, &Actor::resident("r"), Timestamp::now(), rules).unwrap();
    let facts = Facts::apply(None, &event, &rules.calendar, &Policy::default());
    let delta = contributions(&facts, &rules.calendar, &Policy::default());
    Change { case, event, evaluation: Some(EvaluationChange { facts, delta }) }
}

/// Cases the district's counters have counted as reported.
async fn counted(store: &SqliteStore) -> i64 {
    store.counters(Dim::Area, "110101", 0, u32::MAX).await.unwrap().0.reported
}

/// The child: writes cases as fast as it can, 32 at a time, acknowledging each on stdout.
/// Ignored: it only runs as the child of the test below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs only as the child process of acknowledged_writes_survive_kill_9"]
async fn crash_child_writer() {
    let dir = std::env::var(CHILD_DIR).expect("started by acknowledged_writes_survive_kill_9");
    let store = Arc::new(SqliteStore::open(dir.as_ref(), Durability::Full).unwrap());
    let rules = Arc::new(rules());
    for _ in 0..32 {
        let (store, rules) = (store.clone(), rules.clone());
        tokio::spawn(async move {
            loop {
                let id = store.allocate_case_ids(1).await.unwrap();
                store.commit(vec![report(id, &rules)]).await.unwrap();
                println!("ack {id}");
            }
        });
    }
    // Writes until the parent kills this process.
    std::future::pending::<()>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child_writer", "--ignored", "--nocapture", "--test-threads", "1"])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("ack ") {
            acked.push(id.parse::<i64>().unwrap());
            if acked.len() == 2_000 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(acked.len(), 2_000, "the child stopped writing early");

    let store = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    for id in &acked {
        let c = store.case(*id).await.unwrap().unwrap_or_else(|| panic!("acknowledged case {id} was lost"));
        assert_eq!(c.description, format!("crash test {id}"));
    }
    let report = audit::verify(&store, &|_| {}).await.unwrap().expect("the chain survives the crash");
    assert!(report.cases >= acked.len() as u64);
    // Every stored case was reported in this district, and counted once.
    assert_eq!(counted(&store).await, store.count_cases().await.unwrap());
}

/// A second store on the same directory, as a `yiwang` command beside the server is: whichever
/// adds the journal to the counters, each delta is counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_is_counted_once_whoever_opens_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules();
    let server = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    for id in 1..=10 {
        server.commit(vec![report(id, &rules)]).await.unwrap();
    }
    // Opening adds the server's journal; the server's own reads must not add it again.
    let command = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    assert_eq!(counted(&command).await, 10);
    assert_eq!(counted(&server).await, 10);
    for id in 11..=15 {
        server.commit(vec![report(id, &rules)]).await.unwrap();
    }
    // A read in the other process sees the server's latest steps, and settles them for both.
    assert_eq!(counted(&command).await, 15);
    assert_eq!(counted(&server).await, 15);
    server.commit(vec![report(16, &rules)]).await.unwrap();
    drop(server);
    drop(command);
    // A store closes with its journal added, for whoever reads the file next.
    let file = rusqlite::Connection::open(dir.path().join("yiwang.db")).unwrap();
    let journalled: i64 = file.query_row("SELECT count(*) FROM eval_pending", [], |r| r.get(0)).unwrap();
    assert_eq!(journalled, 0);
    drop(file);
    let reopened = SqliteStore::open(dir.path(), Durability::Full).unwrap();
    assert_eq!(counted(&reopened).await, 16);
}
