//! The import story: whole histories appended in one transaction after what was committed one
//! by one, chained into the one ledger, facts and counters as if lived, all or none. Needs a
//! fresh store.

use std::sync::Arc;

use yiwang_domain::case::{self, Action, Actor, Command, Role, Satisfaction, State};
use yiwang_domain::evaluation::{Contribution, Dim, Facts, Policy, contributions, day_of};
use yiwang_domain::time::{MINUTE_MS, Timestamp};

use super::{T0, full_life, reference, report, rules, staff};
use crate::import::History;
use crate::{Store, StoreError, audit};

/// A case lived in memory: reported at `at`, then each action a minute after the one before.
fn history(id: i64, grid: &str, at: Timestamp, steps: &[(Actor, Action)]) -> History {
    let r = rules();
    let (mut case, first) =
        case::open(id, report(grid, "E0101", 116.4005), &Actor::resident("r-imp"), at, &r).expect("open");
    let mut events = vec![first];
    for (i, (actor, action)) in steps.iter().enumerate() {
        let cmd = Command {
            actor: actor.clone(),
            at: at.plus_ms((i as i64 + 1) * MINUTE_MS),
            action: action.clone(),
            note: "说明".into(),
            attachments: vec![],
        };
        let (next, event) = case::decide(&case, &cmd, &r).expect("decide");
        case = next;
        events.push(event);
    }
    let facts = Facts::of(&events, &r.calendar, &Policy::default()).expect("facts");
    History { case, events, facts }
}

fn lived(id: i64, at: Timestamp) -> History {
    let h = staff("h", Role::Handler, Some("cgzf"));
    history(
        id,
        "110101001001002",
        at,
        &[
            (staff("op", Role::IntakeOperator, None), Action::File { subclass: None, urgency: None }),
            (staff("disp", Role::Dispatcher, None), Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }),
            (h.clone(), Action::Accept),
            (h, Action::ReportBack),
            (staff("m", Role::GridMember, None), Action::Verify { passed: true }),
            (staff("chief", Role::ShiftChief, Some("centre")), Action::Close { fixed: true }),
            (
                Actor::resident("r-imp"),
                Action::Evaluate { satisfaction: Satisfaction::Satisfied, fixed: true, responded: None },
            ),
        ],
    )
}

fn sum(histories: &[History]) -> Contribution {
    let r = rules();
    let mut total = Contribution::default();
    for h in histories {
        total.merge(&contributions(&h.facts, &r.calendar, &Policy::default()));
    }
    total
}

pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    s.save_reference(&reference()).await.unwrap();
    // One case committed the ordinary way first: the import continues its ledger.
    full_life(s, "r-first", "110101001001001", T0).await;
    let before = s.ledger_head().await.unwrap();
    let bytes = s.storage_bytes().await.unwrap();
    assert!(bytes > 0, "a store with a case occupies some bytes");
    assert_eq!(s.notification_cursor().await.unwrap(), 0, "the notifier has not run yet");

    let first = s.allocate_case_ids(3).await.unwrap();
    let open = history(first + 1, "110101001001002", T0.plus_ms(MINUTE_MS), &[]);
    let batch = vec![lived(first, T0), open.clone()];
    let counters = sum(&batch);
    let events = batch.iter().map(|h| h.events.len() as i64).sum::<i64>();
    let head = s.import_history(batch.clone(), counters).await.expect("import");
    assert_eq!(head.seq, before.seq + events, "every imported event is in the ledger");
    assert_eq!(s.ledger_head().await.unwrap(), head);
    assert_eq!(s.notification_cursor().await.unwrap(), 0, "a cursor behind the head stays where it was");
    for h in &batch {
        assert_eq!(s.case(h.case.id).await.unwrap().as_ref(), Some(&h.case), "imported case {}", h.case.id);
        assert_eq!(s.events(h.case.id).await.unwrap(), h.events, "events of case {}", h.case.id);
        assert_eq!(s.facts(h.case.id).await.unwrap().as_ref(), Some(&h.facts), "facts of case {}", h.case.id);
    }
    let day = day_of(T0, &rules().calendar);
    let (area, _) = s.counters(Dim::Area, "110101", day, day).await.unwrap();
    // (The case committed first carried no evaluation: only the imported ones count.)
    assert_eq!(area.reported, 2, "the counters hold both imported cases");
    assert_eq!(area.satisfied, 1);
    s.refresh_statistics().await.expect("the planner's statistics after an import");
    let audit = audit::verify(s, &|_| {}).await.unwrap().expect("the imported chain verifies");
    assert_eq!(audit.events as i64, head.seq);

    // An imported case goes on like any other.
    let cmd = Command {
        actor: staff("op", Role::IntakeOperator, None),
        at: T0.plus_ms(10 * MINUTE_MS),
        action: Action::File { subclass: None, urgency: None },
        note: String::new(),
        attachments: vec![],
    };
    let (next, event) = case::decide(&open.case, &cmd, &rules()).unwrap();
    s.commit(vec![crate::Change { case: next, event, evaluation: None }]).await.expect("a step after the import");
    assert_eq!(s.case(open.case.id).await.unwrap().unwrap().state, State::Filed);
    let head = s.ledger_head().await.unwrap();

    // All or none: a case that exists, or a broken chain, refuses the whole batch.
    let fresh = lived(first + 2, T0);
    let again = vec![fresh.clone(), lived(first, T0)];
    match s.import_history(again.clone(), sum(&again)).await {
        Err(StoreError::Refused(r)) => assert_eq!(r.code, "case_exists"),
        other => panic!("importing an existing case: {other:?}"),
    }
    let mut broken = fresh.clone();
    broken.events.swap(1, 2);
    assert!(s.import_history(vec![broken], Contribution::default()).await.is_err(), "a broken chain is refused");
    assert_eq!(s.ledger_head().await.unwrap(), head, "a refused import leaves the ledger as it was");
    assert!(s.case(fresh.case.id).await.unwrap().is_none(), "a refused import leaves no case");
    assert_eq!(s.count_cases().await.unwrap(), 3);

    // A cursor at the head moves past the imported history: it is not news.
    let cursor = s.notification_cursor().await.unwrap();
    s.add_notifications(&[], head.seq).await.unwrap();
    assert!(cursor < head.seq);
    let head = s.import_history(vec![fresh.clone()], sum(std::slice::from_ref(&fresh))).await.unwrap();
    assert_eq!(s.notification_cursor().await.unwrap(), head.seq, "the notifier does not replay imported history");
    assert!(audit::verify(s, &|_| {}).await.unwrap().is_ok());
}
