//! The engine on a real (SQLite) store: intake, routing, races, merges.

use std::sync::Arc;

use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{Action, Actor, Channel, Command, Role, Rules, State};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Taxonomy};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::{Engine, EngineError, NewReport};
use yiwang_store::conformance;
use yiwang_store_sqlite::{Durability, SqliteStore};

const T0: Timestamp = Timestamp(1_763_344_800_000);

async fn engine() -> (tempfile::TempDir, Arc<Engine>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path(), Durability::Normal).unwrap());
    let rules = Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 };
    let engine = Engine::start(store, rules).await.unwrap();
    engine.import_reference(conformance::reference()).await.unwrap();
    (dir, Arc::new(engine))
}

fn report(subclass: &str, lon: f64) -> NewReport {
    NewReport {
        subclass: SubclassId::parse("s", subclass).unwrap(),
        request_type: RequestType::Complaint,
        urgency: None,
        location: Point { lon, lat: 39.9005 },
        address: String::new(),
        description: "垃圾满溢".into(),
        channel: Channel::Portal,
        photos: vec![],
    }
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse("t", s).unwrap()
}

fn refused(r: Result<impl std::fmt::Debug, EngineError>) -> yiwang_domain::Refusal {
    match r {
        Err(EngineError::Refused(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn reports_are_located_and_checked() {
    let (_d, e) = engine().await;
    let c = e.report(report("E0107", 116.4025), &Actor::resident("r1"), T0).await.unwrap();
    assert_eq!(c.grid, code("110101002001001"));
    assert_eq!(c.state, State::Reported);

    let r = refused(e.report(report("E0107", 116.43), &Actor::resident("r1"), T0).await);
    assert_eq!(r.code, "outside_grids");
    assert!(r.zh.contains("110101002001002") && r.en.contains("110101002001002"), "{r}");

    let r = refused(e.report(report("E9999", 116.4025), &Actor::resident("r1"), T0).await);
    assert!(r.en.contains("subclass") && r.zh.contains("subclass"), "{r}");
    let r = refused(
        e.report(NewReport { description: "  ".into(), ..report("E0107", 116.4025) }, &Actor::resident("r1"), T0).await,
    );
    assert!(r.en.contains("description"), "{r}");
    let r = refused(
        e.report(
            NewReport { location: Point { lon: f64::NAN, lat: 39.9 }, ..report("E0107", 116.4025) },
            &Actor::resident("r1"),
            T0,
        )
        .await,
    );
    assert!(r.en.contains("lon"), "{r}");
    assert_eq!(e.store().count_cases().await.unwrap(), 1, "refused reports leave nothing behind");
}

/// Reports arriving together share one block of reserved ids: none is skipped, however many
/// find the block empty at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_arriving_together_take_ids_without_gaps() {
    let (_d, e) = engine().await;
    let reports: Vec<_> = (0..300)
        .map(|i| {
            let e = e.clone();
            let who = Actor::resident(&format!("r{i}"));
            tokio::spawn(async move { e.report(report("E0107", 116.4025), &who, T0).await.unwrap().id })
        })
        .collect();
    let mut ids = Vec::new();
    for r in reports {
        ids.push(r.await.unwrap());
    }
    ids.sort_unstable();
    let first = ids[0];
    assert_eq!(ids, (first..first + 300).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_responsibility_list_routes_and_dispatch_checks_units() {
    let (_d, e) = engine().await;
    let c = e.report(report("E0102", 116.4025), &Actor::resident("r1"), T0).await.unwrap();
    let a = e.suggest_units(&c).unwrap();
    assert_eq!((a.lead.as_str(), a.assisting.as_slice()), ("jd-2", &["hw".to_string()][..]));
    let op = Actor::staff("op", Role::IntakeOperator, &code("110101"), None);
    e.act(
        c.id,
        Command {
            actor: op,
            at: T0,
            action: Action::File { subclass: None, urgency: None },
            note: String::new(),
            attachments: vec![],
        },
    )
    .await
    .unwrap();
    let disp = Actor::staff("d", Role::Dispatcher, &code("110101"), None);
    let bad = Command {
        actor: disp,
        at: T0,
        action: Action::Dispatch { lead: "nobody".into(), assisting: vec![] },
        note: String::new(),
        attachments: vec![],
    };
    let r = refused(e.act(c.id, bad).await);
    assert!(r.en.contains("lead") && r.en.contains("nobody"), "{r}");
    assert!(matches!(
        e.act(
            999_999,
            Command {
                action: Action::Accept,
                ..Command {
                    actor: Actor::system(),
                    at: T0,
                    action: Action::Warn,
                    note: String::new(),
                    attachments: vec![]
                }
            }
        )
        .await,
        Err(EngineError::NotFound(999_999))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_staff_cannot_both_win() {
    let (_d, e) = engine().await;
    let c = e.report(report("E0107", 116.4005), &Actor::resident("r1"), T0).await.unwrap();
    // Eight operators file the same report at the same moment: exactly one wins, the others are
    // told it is no longer waiting to be filed.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            let actor = Actor::staff(&format!("op{i}"), Role::IntakeOperator, &code("110101"), None);
            let cmd = Command {
                actor,
                at: T0.plus_ms(MINUTE_MS),
                action: Action::File { subclass: None, urgency: None },
                note: String::new(),
                attachments: vec![],
            };
            e.act(c.id, cmd).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(EngineError::Refused(r)) => assert_eq!(r.code, "illegal_transition"),
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(e.store().events(c.id).await.unwrap().len(), 2);
}

/// Two engines on one store, as two nodes on one PostgreSQL: each keeps the cases it wrote last,
/// and a step decided on a copy the other node has since changed is refused by the store and
/// decided again on the fresh case, so neither ever writes over the other.
#[tokio::test]
async fn a_node_acting_on_a_case_another_node_changed_decides_again_on_the_fresh_case() {
    let (_d, a) = engine().await;
    let b = Engine::start(a.store().clone(), a.rules().clone()).await.unwrap();
    let op = |id: &str| Actor::staff(id, Role::IntakeOperator, &code("110101"), None);
    let cmd = |actor: Actor, minutes: i64, action: Action| Command {
        actor,
        at: T0.plus_ms(minutes * MINUTE_MS),
        action,
        note: String::new(),
        attachments: vec![],
    };
    // Node A takes the report (and keeps it); node B files it behind A's back.
    let c = a.report(report("E0107", 116.4005), &Actor::resident("r1"), T0).await.unwrap();
    b.act(c.id, cmd(op("op-b"), 1, Action::File { subclass: None, urgency: None })).await.unwrap();
    // A's copy still says "waiting to be filed": filing again must be refused as the case now is.
    let again = a.act(c.id, cmd(op("op-a"), 2, Action::File { subclass: None, urgency: None })).await;
    assert_eq!(refused(again).code, "illegal_transition");
    // A step that fits the fresh case goes through on node A, after B's.
    let dispatcher = Actor::staff("d1", Role::Dispatcher, &code("110101"), None);
    let lead = a.suggest_units(&a.case(c.id).await.unwrap()).unwrap().lead;
    let (after, _) = a.act(c.id, cmd(dispatcher, 3, Action::Dispatch { lead, assisting: vec![] })).await.unwrap();
    assert_eq!(after.state, State::Dispatched);
    let events = a.store().events(c.id).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(events[1].actor, "op-b");
    // The counters stayed true to the log through the stale copy.
    assert!(a.verify_evaluation(&|_| {}).await.unwrap().is_ok());
}

#[tokio::test]
async fn merging_keeps_every_reporter_informed() {
    let (_d, e) = engine().await;
    let first = e.report(report("E0107", 116.4005), &Actor::resident("r1"), T0).await.unwrap();
    let again = e.report(report("E0107", 116.40053), &Actor::resident("r2"), T0.plus_ms(30 * MINUTE_MS)).await.unwrap();
    let far = e.report(report("E0107", 116.4035), &Actor::resident("r3"), T0.plus_ms(31 * MINUTE_MS)).await.unwrap();
    let suggested = e.suggest_duplicates(&again).await.unwrap();
    assert_eq!(suggested.iter().map(|s| s.case_id).collect::<Vec<_>>(), vec![first.id]);
    assert!(suggested[0].metres < 5.0);
    assert!(e.suggest_duplicates(&far).await.unwrap().is_empty());

    let op = Actor::staff("op", Role::IntakeOperator, &code("110101"), None);
    let master = e.merge(again.id, first.id, &op, T0.plus_ms(40 * MINUTE_MS), "重复").await.unwrap();
    assert_eq!(master.followers, vec!["r1".to_string(), "r2".to_string()]);
    let dup = e.case(again.id).await.unwrap();
    assert_eq!((dup.state, dup.duplicate_of), (State::Duplicate, Some(first.id)));
    // Nothing merges into a finished case.
    let chief = Actor::staff("c", Role::ShiftChief, &code("110101"), None);
    e.act(
        far.id,
        Command {
            actor: chief,
            at: T0.plus_ms(50 * MINUTE_MS),
            action: Action::Void,
            note: "无效".into(),
            attachments: vec![],
        },
    )
    .await
    .unwrap();
    let third = e.report(report("E0107", 116.4035), &Actor::resident("r4"), T0.plus_ms(51 * MINUTE_MS)).await.unwrap();
    assert_eq!(
        refused(e.merge(third.id, far.id, &op, T0.plus_ms(52 * MINUTE_MS), "重复").await).code,
        "merge_into_closed"
    );
}
