//! What only PostgreSQL has to get right: several nodes on one database, groups of commits in
//! which one fails, and databases whose default collation is not bytewise.

mod common;

use std::sync::{Arc, LazyLock};

use common::{client, in_fresh_database, in_fresh_schema};
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{self, Action, Actor, Case, Channel, Command, Report, Role, Rules};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Taxonomy};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_store::{Change, Store, StoreError, audit, conformance};
use yiwang_store_postgres::PostgresStore;

const T0: Timestamp = Timestamp(1_763_344_800_000);

/// Built once: the calendar and taxonomy take a while to build in a debug build.
static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
    taxonomy: Taxonomy::china_default(),
    calendar: Calendar::china_default(),
    warn_share: 0.8,
});

fn rules() -> &'static Rules {
    &RULES
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse("t", s).unwrap()
}

/// A new case, decided but not stored.
fn new_case(id: i64, reporter: &str) -> Change {
    let report = Report {
        subclass: SubclassId::parse("s", "E0101").unwrap(),
        request_type: RequestType::Complaint,
        urgency: None,
        grid: code("110101001001001"),
        location: Point { lon: 116.4005, lat: 39.9005 },
        address: "地址".into(),
        description: "问题".into(),
        channel: Channel::Portal,
        photos: vec![],
    };
    let (case, event) = case::open(id, report, &Actor::resident(reporter), T0, rules()).unwrap();
    Change { case, event, evaluation: None }
}

/// The change that files `case`, decided but not stored.
fn file(case: &Case) -> Change {
    let cmd = Command {
        actor: Actor::staff("op", Role::IntakeOperator, &code("110101"), None),
        at: case.reported_at.plus_ms(MINUTE_MS),
        action: Action::File { subclass: None, urgency: None },
        note: String::new(),
        attachments: vec![],
    };
    let (case, event) = case::decide(case, &cmd, rules()).unwrap();
    Change { case, event, evaluation: None }
}

async fn open(store: &dyn Store, reporter: &str) -> Case {
    let id = store.allocate_case_ids(1).await.unwrap();
    let change = new_case(id, reporter);
    store.commit(vec![change.clone()]).await.expect("open");
    change.case
}

async fn verifies(store: &dyn Store) {
    let report = audit::verify(store, &|_| {}).await.expect("verify runs").expect("the store verifies");
    assert_eq!(report.events as i64, store.ledger_head().await.unwrap().seq);
}

/// Two processes writing at once still make one ledger: the ledger row lock orders them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_chain_one_ledger() {
    in_fresh_schema("nodes", |url| async move {
        let nodes: Vec<Arc<dyn Store>> = vec![
            Arc::new(PostgresStore::connect(&url).await.unwrap()),
            Arc::new(PostgresStore::connect(&url).await.unwrap()),
        ];
        nodes[0].save_reference(&conformance::reference()).await.unwrap();
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let node = nodes[i % 2].clone();
                tokio::spawn(async move {
                    let c = open(node.as_ref(), &format!("r{i}")).await;
                    node.commit(vec![file(&c)]).await.expect("file");
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(nodes[1].ledger_head().await.unwrap().seq, 400);
        verifies(nodes[0].as_ref()).await;
    })
    .await;
}

/// Two nodes replacing the reference data at once both succeed, one after the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_saved_by_two_nodes_at_once() {
    in_fresh_schema("reference", |url| async move {
        let r = conformance::reference();
        let nodes = [
            Arc::new(PostgresStore::connect(&url).await.unwrap()),
            Arc::new(PostgresStore::connect(&url).await.unwrap()),
        ];
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let (node, r) = (nodes[i % 2].clone(), r.clone());
                tokio::spawn(async move { node.save_reference(&r).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().expect("save reference");
        }
        assert_eq!(nodes[0].load_reference().await.unwrap(), r);
    })
    .await;
}

/// Stale and duplicate commits sent together with good ones fail alone, each with its reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_commit_fails_alone() {
    in_fresh_schema("alone", |url| async move {
        let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.unwrap());
        let mut cases = Vec::new();
        for i in 0..100 {
            cases.push(open(store.as_ref(), &format!("r{i}")).await);
        }
        let before = store.ledger_head().await.unwrap().seq;
        let missing = new_case(store.allocate_case_ids(1).await.unwrap(), "ghost").case;
        // Sent at once, so that the writer groups them: 100 good files, one of them twice
        // (the second is stale), a case that exists, and a change to a case never stored.
        let mut batch: Vec<Vec<Change>> = cases.iter().map(|c| vec![file(c)]).collect();
        batch.insert(50, vec![file(&cases[10])]);
        batch.insert(20, vec![new_case(cases[3].id, "again")]);
        batch.insert(70, vec![file(&missing)]);
        let tasks: Vec<_> = batch
            .into_iter()
            .map(|changes| {
                let store = store.clone();
                tokio::spawn(async move { store.commit(changes).await })
            })
            .collect();
        let mut ok = 0;
        let (mut conflicts, mut exists, mut not_found) = (0, 0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::Conflict { case_id, expected: 1, found: 2 }) if case_id == cases[10].id => {
                    conflicts += 1
                }
                Err(StoreError::Refused(r)) if r.code == "case_exists" => exists += 1,
                Err(StoreError::Refused(r)) if r.code == "case_not_found" => not_found += 1,
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!((ok, conflicts, exists, not_found), (100, 1, 1, 1));
        assert_eq!(store.ledger_head().await.unwrap().seq, before + 100);
        verifies(store.as_ref()).await;
    })
    .await;
}

/// Nodes starting together migrate once, without tripping over each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once() {
    in_fresh_schema("migrate", |url| async move {
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move { PostgresStore::connect(&url).await.map(|_| ()) })
            })
            .collect();
        for s in starts {
            s.await.unwrap().expect("connect while others migrate");
        }
        // Every migration once, in order, none missing but a reserved number (6 is the
        // scheduler's, on another branch, until it lands).
        let rows =
            client(&url).await.query("SELECT version FROM schema_migrations ORDER BY version", &[]).await.unwrap();
        let versions: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        let last = *versions.last().expect("migrations applied");
        let expected: Vec<i64> = (1..=last).filter(|v| *v != 6 || versions.contains(&6)).collect();
        assert_eq!(versions, expected, "each migration applied once");
        assert!(last >= 7, "migrations up to 0007_evaluation at least, found {last}");
    })
    .await;
}

/// The story passes on a database whose default collation ignores punctuation (ICU, as with
/// en_US.UTF-8 or zh_CN.UTF-8): codes must still compare bytewise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linguistic_collation() {
    in_fresh_database(
        "icu",
        "TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
        |url| async move {
            let store = PostgresStore::connect(&url).await.expect("connect");
            conformance::run(Arc::new(store)).await;
        },
    )
    .await;
}

/// Commits per second with many callers at once. Run by hand:
/// `cargo test -p yiwang-store-postgres --release --test postgres throughput -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput() {
    in_fresh_schema("speed", |url| async move {
        let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).await.unwrap());
        let (callers, rounds) = (512, 8);
        let first = store.allocate_case_ids(callers * rounds).await.unwrap();
        // Decide everything up front, so that only the store is timed.
        let work: Vec<Vec<Change>> = (0..callers)
            .map(|c| {
                (0..rounds)
                    .flat_map(|r| {
                        let open = new_case(first + i64::from(c * rounds + r), "r");
                        let filed = file(&open.case);
                        [open, filed]
                    })
                    .collect()
            })
            .collect();
        let started = std::time::Instant::now();
        let tasks: Vec<_> = work
            .into_iter()
            .map(|changes| {
                let store = store.clone();
                tokio::spawn(async move {
                    for change in changes {
                        store.commit(vec![change]).await.expect("commit");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let n = callers * rounds * 2;
        let secs = started.elapsed().as_secs_f64();
        println!("{n} commits from {callers} callers in {secs:.2} s: {:.0} commits/s", f64::from(n) / secs);
        verifies(store.as_ref()).await;
    })
    .await;
}

/// A database that a newer yiwang migrated is refused, and left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_from_a_newer_yiwang_is_refused() {
    in_fresh_schema("newer", |url| async move {
        drop(PostgresStore::connect(&url).await.expect("connect"));
        let c = client(&url).await;
        c.batch_execute("INSERT INTO schema_migrations (version, applied_at) VALUES (1000, 0)").await.unwrap();
        let refused = PostgresStore::connect(&url).await.err().expect("refused");
        assert!(refused.to_string().contains("version 1000, newer than this yiwang knows"), "{refused}");
        let versions: i64 = c.query_one("SELECT count(*) FROM schema_migrations", &[]).await.unwrap().get(0);
        assert!(versions > 1, "the database is as it was: {versions} versions");
    })
    .await;
}
