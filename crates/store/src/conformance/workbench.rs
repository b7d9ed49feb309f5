//! The workbench's story: the cases of each work queue (待办) and their counts, the most overdue
//! first; and the migration's backfill computes the same columns as the commits do. Needs a
//! fresh store.

use std::sync::Arc;

use yiwang_domain::case::{self, Action, Case, Command, Role};
use yiwang_domain::queue::Queue;
use yiwang_domain::time::Timestamp;

use super::{RawSql, T0, code, open, reference, rules, staff, step};
use crate::{CaseFilter, CaseOrder, Change, OpenCounts, Store};

/// Takes one step at an exact instant (the scheduler's steps need theirs).
async fn step_at(s: &dyn Store, c: &Case, actor: case::Actor, at: Timestamp, action: Action) -> Case {
    let cmd = Command { actor, at, action, note: "说明".into(), attachments: vec![] };
    let (next, event) = case::decide(c, &cmd, &rules()).expect("decide");
    s.commit(vec![Change { case: next.clone(), event, evaluation: None }]).await.expect("commit");
    next
}

/// The ids of a queue under `area` (all, newest first) and its count.
async fn queue(s: &dyn Store, name: &str, area: &str) -> (Vec<i64>, i64) {
    let f = CaseFilter {
        area: Some(code(area)),
        limit: 1_000,
        ..CaseFilter::queue(&Queue::named(name).expect("queue exists"))
    };
    let ids = s.find_cases(&f).await.expect("queue list").iter().map(|c| c.id).collect();
    let n = s.count_cases_where(&f).await.expect("queue count");
    (ids, n)
}

async fn dispatched(s: &dyn Store, grid: &str, at: Timestamp) -> Case {
    let c = open(s, "w", grid, "E0101", 116.4005, at).await;
    let c =
        step(s, &c, staff("op", Role::IntakeOperator, None), 1, Action::File { subclass: None, urgency: None }).await;
    step(s, &c, staff("disp", Role::Dispatcher, None), 2, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] })
        .await
}

/// The whole story, on a fresh store. `backfill` is the backend's backfill statements
/// ([`super::schedule::backfill_of`] its migration) and `sql` runs raw SQL on it.
pub async fn run(store: Arc<dyn Store>, backfill: &str, sql: RawSql) {
    let s = store.as_ref();
    s.save_reference(&reference()).await.unwrap();
    let g1 = "110101001001001";
    let g2 = "110101002001001";

    let reported = open(s, "w", g1, "E0101", 116.4005, T0).await;
    let filed = open(s, "w", g2, "E0101", 116.4025, T0).await;
    let filed =
        step(s, &filed, staff("op", Role::IntakeOperator, None), 1, Action::File { subclass: None, urgency: None })
            .await;
    // Dispatched an hour apart: the earlier one falls due first.
    let early = dispatched(s, g1, T0).await;
    let late = dispatched(s, g1, T0.plus_ms(60 * 60_000)).await;
    let h = staff("h", Role::Handler, Some("cgzf"));
    let late = step(s, &late, h.clone(), 3, Action::Accept).await;
    let late = step(s, &late, h, 4, Action::RequestExtension { minutes: 480 }).await;
    assert!(late.extension_requested.is_some());
    let system = case::Actor::system();
    let early = step_at(s, &early, system.clone(), early.clock.warn_at.unwrap(), Action::Warn).await;
    let early = step_at(s, &early, system, early.clock.due_at.unwrap(), Action::MarkOverdue).await;
    assert!(early.warned && early.overdue);

    let district = "110101";
    let expect = |name: &'static str, ids: Vec<i64>| (name, ids);
    let queues = [
        expect("to_file", vec![reported.id]),
        expect("to_dispatch", vec![filed.id]),
        expect("to_accept", vec![early.id]),
        expect("to_report_back", vec![late.id]),
        expect("extension_requests", vec![late.id]),
        expect("overdue", vec![early.id]),
        expect("to_verify", vec![]),
        expect("to_rate", vec![]),
    ];
    for (name, ids) in &queues {
        let (got, n) = queue(s, name, district).await;
        assert_eq!(&got, ids, "{} queue {name}", s.backend());
        assert_eq!(n, ids.len() as i64, "{} count of queue {name}", s.backend());
    }
    // Narrowed to a street: only its cases, counted alike.
    assert_eq!(queue(s, "to_dispatch", "110101001").await, (vec![], 0));
    assert_eq!(queue(s, "to_file", "110101001").await, (vec![reported.id], 1));

    // The most overdue first; cases without a deadline last.
    let f = CaseFilter { area: Some(code(district)), order: CaseOrder::DueFirst, limit: 10, ..Default::default() };
    let order: Vec<i64> = s.find_cases(&f).await.unwrap().iter().map(|c| c.id).collect();
    assert_eq!(order[..2], [early.id, late.id], "{} due first", s.backend());
    assert_eq!(order.len(), 4);

    // Live counters per node: open, overdue, warned but not yet overdue.
    let counts = |node: &str, open, overdue, warned| OpenCounts { node: node.into(), open, overdue, warned };
    assert_eq!(
        s.open_counts(&code(district), 9).await.unwrap(),
        [counts("110101001", 3, 1, 0), counts("110101002", 1, 0, 0)],
        "{} open counts of the streets",
        s.backend()
    );
    assert_eq!(s.open_counts(&code(district), 6).await.unwrap(), [counts("110101", 4, 1, 0)]);
    assert_eq!(s.open_counts(&code(g2), 15).await.unwrap(), [counts(g2, 1, 0, 0)]);
    assert!(s.open_counts(&code("110101002001002"), 15).await.unwrap().is_empty());
    // Warned, not yet overdue: counted as a warning.
    let warned = dispatched(s, g2, T0).await;
    let system = case::Actor::system();
    step_at(s, &warned, system, warned.clock.warn_at.unwrap(), Action::Warn).await;
    assert_eq!(s.open_counts(&code("110101002"), 9).await.unwrap(), [counts("110101002", 2, 0, 1)]);
    // A voided case is not open.
    let voided = step(s, &reported, staff("chief", Role::ShiftChief, Some("centre")), 5, Action::Void).await;
    assert!(!voided.state.is_open());
    assert_eq!(s.open_counts(&code("110101001"), 9).await.unwrap(), [counts("110101001", 2, 1, 0)]);

    // Reports per subclass in a window, the most first.
    let e0102 = open(s, "w", g1, "E0102", 116.4005, T0.plus_ms(2 * 60 * 60_000)).await;
    let kinds = |v: Vec<(yiwang_domain::taxonomy::SubclassId, i64)>| {
        v.into_iter().map(|(k, n)| (k.to_string(), n)).collect::<Vec<_>>()
    };
    let all = s.reported_by_subclass(&code(district), T0, 10).await.unwrap();
    assert_eq!(kinds(all), [("E0101".to_string(), 5), ("E0102".to_string(), 1)], "{}", s.backend());
    let since = s.reported_by_subclass(&code(district), e0102.reported_at, 10).await.unwrap();
    assert_eq!(kinds(since), [("E0102".to_string(), 1)]);
    let street2 = s.reported_by_subclass(&code("110101002"), T0, 1).await.unwrap();
    assert_eq!(kinds(street2), [("E0101".to_string(), 2)]);

    // The backfill derives the same columns from the stored JSON.
    let before = [queue(s, "to_report_back", district).await, queue(s, "extension_requests", district).await];
    let counted = s.open_counts(&code(district), 9).await.unwrap();
    sql("UPDATE cases SET warned = 1 - warned, extension_requested = 1 - extension_requested".into()).await;
    assert_ne!(s.open_counts(&code(district), 9).await.unwrap(), counted, "the columns were scrambled");
    sql(backfill.to_owned()).await;
    assert_eq!(s.open_counts(&code(district), 9).await.unwrap(), counted, "{} after the backfill", s.backend());
    let after = [queue(s, "to_report_back", district).await, queue(s, "extension_requests", district).await];
    assert_eq!(after, before, "{} queues after the backfill", s.backend());
}
