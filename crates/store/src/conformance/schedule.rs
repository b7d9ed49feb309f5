//! The scheduler's story: wake times follow every commit, the scheduler moves them, a new policy
//! puts them back; closed cases awaiting their follow-up are found; and the migration's backfill
//! computes the same columns as the commits do. Needs a fresh store.

use std::sync::Arc;

use yiwang_domain::case::{self, Action, Actor, Case, Channel, Command, Role};
use yiwang_domain::time::{MINUTE_MS, Timestamp};

use super::{RawSql, T0, full_life, open, reference, report, rules, staff, step};
use crate::schedule::{Wake, awaits_follow_up, wake_anchor};
use crate::{CaseFilter, Change, Store};

/// The part of a migration between `-- backfill begin` and `-- backfill end`.
pub fn backfill_of(migration: &str) -> &str {
    let begin = migration.find("-- backfill begin").expect("the migration marks its backfill");
    let end = migration.find("-- backfill end").expect("the migration marks the end of its backfill");
    &migration[begin..end]
}

const FAR: Timestamp = Timestamp(i64::MAX / 2);

async fn woken(s: &dyn Store, now: Timestamp) -> Vec<i64> {
    s.cases_to_wake(now, 1_000).await.expect("cases to wake").iter().map(|c| c.id).collect()
}

async fn awaiting(s: &dyn Store) -> Vec<i64> {
    let f = CaseFilter { awaiting_follow_up: Some(true), limit: 1_000, ..Default::default() };
    let mut ids: Vec<i64> = s.find_cases(&f).await.expect("find awaiting").iter().map(|c| c.id).collect();
    ids.sort();
    ids
}

/// Opens a case through another channel, reported by `reporter`.
async fn open_via(s: &dyn Store, channel: Channel, reporter: &Actor) -> Case {
    let id = s.allocate_case_ids(1).await.unwrap();
    let r = case::Report { channel, ..report("110101001001001", "E0101", 116.4005) };
    let (c, e) = case::open(id, r, reporter, T0, &rules()).unwrap();
    s.commit(vec![Change { case: c.clone(), event: e, evaluation: None }]).await.unwrap();
    c
}

/// Filed, dispatched, handled, verified and closed, without a rating.
async fn closed(s: &dyn Store, c: &Case) -> Case {
    let c =
        step(s, c, staff("op", Role::IntakeOperator, None), 1, Action::File { subclass: None, urgency: None }).await;
    let c = dispatched_from_filed(s, &c).await;
    let h = staff("h", Role::Handler, Some("cgzf"));
    let c = step(s, &c, h.clone(), 3, Action::Accept).await;
    let c = step(s, &c, h, 4, Action::ReportBack).await;
    let c = step(s, &c, staff("m", Role::GridMember, None), 5, Action::Verify { passed: true }).await;
    step(s, &c, staff("chief", Role::ShiftChief, Some("centre")), 6, Action::Close { fixed: true }).await
}

async fn dispatched_from_filed(s: &dyn Store, c: &Case) -> Case {
    step(s, c, staff("disp", Role::Dispatcher, None), 2, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] })
        .await
}

/// The whole story, on a fresh store. `backfill` is the backend's backfill statements
/// ([`backfill_of`] its migration) and `sql` runs raw SQL on it.
pub async fn run(store: Arc<dyn Store>, backfill: &str, sql: RawSql) {
    let s = store.as_ref();
    s.save_reference(&reference()).await.unwrap();
    assert_eq!(s.next_wake().await.unwrap(), None, "nothing to wake in an empty store");

    // A dispatched case wakes the scheduler at its warning time, then at its deadline.
    let c = open(s, "w1", "110101001001001", "E0101", 116.4005, T0).await;
    assert!(woken(s, FAR).await.is_empty(), "a reported case has no deadline yet");
    let c =
        step(s, &c, staff("op", Role::IntakeOperator, None), 1, Action::File { subclass: None, urgency: None }).await;
    let c = dispatched_from_filed(s, &c).await;
    let (warn_at, due_at) = (c.clock.warn_at.unwrap(), c.clock.due_at.unwrap());
    assert_eq!(wake_anchor(&c), Some(warn_at));
    assert_eq!(s.next_wake().await.unwrap(), Some(warn_at));
    assert!(woken(s, warn_at.plus_ms(-1)).await.is_empty());
    assert_eq!(woken(s, warn_at).await, vec![c.id]);

    // The scheduler moves it; only at the seq it planned from.
    let later = warn_at.plus_ms(60 * MINUTE_MS);
    let stale = Wake { case_id: c.id, seq: c.seq - 1, at: Some(later) };
    assert_eq!(s.set_wakes(&[stale]).await.unwrap(), 0, "a wake planned on a stale case is not set");
    assert_eq!(s.set_wakes(&[Wake { case_id: c.id, seq: c.seq, at: Some(later) }]).await.unwrap(), 1);
    assert!(woken(s, warn_at).await.is_empty());
    assert_eq!(s.next_wake().await.unwrap(), Some(later));
    assert_eq!(s.set_wakes(&[]).await.unwrap(), 0);

    // A commit puts the wake time back to the new anchor: the deadline once warned.
    let cmd =
        Command { actor: Actor::system(), at: warn_at, action: Action::Warn, note: String::new(), attachments: vec![] };
    let (warned, e) = case::decide(&c, &cmd, &rules()).unwrap();
    s.commit(vec![Change { case: warned.clone(), event: e, evaluation: None }]).await.unwrap();
    assert_eq!(s.next_wake().await.unwrap(), Some(due_at));
    assert_eq!(woken(s, due_at).await, vec![c.id]);

    // Nothing more until the case changes.
    s.set_wakes(&[Wake { case_id: c.id, seq: warned.seq, at: None }]).await.unwrap();
    assert_eq!(s.next_wake().await.unwrap(), None);

    // A new policy puts every wake time back to its anchor; the same policy changes nothing.
    assert!(s.adopt_schedule_policy("policy one").await.unwrap(), "the first policy is new");
    assert_eq!(s.next_wake().await.unwrap(), Some(due_at));
    s.set_wakes(&[Wake { case_id: c.id, seq: warned.seq, at: None }]).await.unwrap();
    assert!(!s.adopt_schedule_policy("policy one").await.unwrap());
    assert_eq!(s.next_wake().await.unwrap(), None, "the same policy plans nothing again");
    assert!(s.adopt_schedule_policy("policy two").await.unwrap());
    assert_eq!(s.next_wake().await.unwrap(), Some(due_at));

    // Closed cases: those followed up wait for it (and wake the scheduler at their closure).
    let portal = closed(s, &open(s, "w2", "110101001001001", "E0101", 116.4005, T0).await).await;
    let hotline = {
        let op = Actor { on_behalf_of: Some("w3".into()), ..staff("op", Role::IntakeOperator, None) };
        closed(s, &open_via(s, Channel::Hotline, &op).await).await
    };
    let patrol = closed(s, &open_via(s, Channel::GridPatrol, &staff("m", Role::GridMember, None)).await).await;
    let anonymous = closed(s, &open_via(s, Channel::Portal, &Actor::resident("anonymous")).await).await;
    let rated = full_life(s, "w4", "110101001001001", T0).await;
    for (case, awaits) in [(&portal, true), (&hotline, true), (&patrol, false), (&anonymous, false), (&rated, false)] {
        assert_eq!(awaits_follow_up(case), awaits, "case {} ({:?})", case.id, case.channel);
    }
    assert_eq!(awaiting(s).await, vec![portal.id, hotline.id]);
    let not_awaiting = s
        .find_cases(&CaseFilter { awaiting_follow_up: Some(false), limit: 1_000, ..Default::default() })
        .await
        .unwrap();
    assert!(not_awaiting.iter().all(|c| c.id != portal.id && c.id != hotline.id) && not_awaiting.len() >= 4);
    let closed_at = portal.closed_at.unwrap();
    assert!(woken(s, closed_at).await.contains(&portal.id));
    assert!(!woken(s, FAR).await.contains(&patrol.id), "a case nobody is asked about never wakes");

    // The follow-up expires: no longer awaited, nothing more to wake for.
    let expired = step(s, &portal, Actor::system(), 60, Action::FollowUpExpired).await;
    assert!(!awaits_follow_up(&expired));
    assert_eq!(awaiting(s).await, vec![hotline.id]);
    assert!(!woken(s, FAR).await.contains(&portal.id));

    // Earliest first, and at most `limit`.
    let all = s.cases_to_wake(FAR, 1_000).await.unwrap();
    let anchors: Vec<Timestamp> = all.iter().map(|c| wake_anchor(c).expect("woken cases have anchors")).collect();
    assert!(anchors.windows(2).all(|w| w[0] <= w[1]), "{anchors:?}");
    assert_eq!(s.cases_to_wake(FAR, 1).await.unwrap().len(), 1);

    // The migration's backfill computes what the commits computed.
    let mut cases = Vec::new();
    for id in 1..=s.allocate_case_ids(1).await.unwrap() {
        cases.extend(s.case(id).await.unwrap());
    }
    let before = (woken(s, FAR).await, awaiting(s).await);
    sql("UPDATE cases SET wake_anchor = NULL, wake_at = NULL, awaiting_follow_up = 0".into()).await;
    assert!(woken(s, FAR).await.is_empty() && awaiting(s).await.is_empty());
    sql(backfill.to_owned()).await;
    assert_eq!((woken(s, FAR).await, awaiting(s).await), before, "the backfill agrees with the commits");
    for c in &cases {
        let found = |at: Timestamp| async move { woken(s, at).await.contains(&c.id) };
        match wake_anchor(c) {
            Some(at) => assert!(!found(at.plus_ms(-1)).await && found(at).await, "case {} wakes at {at:?}", c.id),
            None => assert!(!found(FAR).await, "case {} never wakes", c.id),
        }
    }
}
