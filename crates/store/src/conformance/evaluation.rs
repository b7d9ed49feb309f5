//! The evaluation story: facts and counter deltas written with each change, sums by day range
//! and by key, handling-time buckets, atomicity with the case, and replacement. Needs a fresh
//! store.
//!
//! The story keeps its own copy of every case's facts and of the summed contributions in
//! memory, and checks what the store returns against it.

use std::collections::BTreeMap;
use std::sync::Arc;

use yiwang_domain::case::{self, Action, Actor, Case, Command, Event, Role, Satisfaction};
use yiwang_domain::evaluation::{Contribution, Counters, Dim, Facts, Key, Policy, contributions, day_of};
use yiwang_domain::time::{HOUR_MS, MINUTE_MS, Timestamp};

use super::{T0, code, reference, report, rules, staff};
use crate::evaluation::EvaluationChange;
use crate::{Change, Store, StoreError};

const DAY_MS: i64 = 24 * HOUR_MS;

/// The story's own account of evaluation.
#[derive(Default)]
struct Mirror {
    facts: BTreeMap<i64, Facts>,
    total: Contribution,
}

impl Mirror {
    /// The change for `event`, and what the mirror will hold once it is committed.
    fn change(&self, case: &Case, event: &Event) -> (Change, Facts) {
        let r = rules();
        let policy = Policy::default();
        let old = self.facts.get(&case.id).cloned();
        let next = Facts::apply(old.clone(), event, &r.calendar, &policy);
        let before = old.map(|f| contributions(&f, &r.calendar, &policy)).unwrap_or_default();
        let delta = contributions(&next, &r.calendar, &policy).minus(&before);
        let change = Change {
            case: case.clone(),
            event: event.clone(),
            evaluation: Some(EvaluationChange { facts: next.clone(), delta }),
        };
        (change, next)
    }

    fn committed(&mut self, change: &Change) {
        let e = change.evaluation.as_ref().expect("evaluated");
        self.total.merge(&e.delta);
        self.facts.insert(e.facts.case_id, e.facts.clone());
    }

    /// One object's counters over days `from..=to`, and its buckets.
    fn sum(&self, dim: Dim, key: &str, from: u32, to: u32) -> (Counters, BTreeMap<i64, i64>) {
        let mut c = Counters::default();
        for (k, v) in &self.total.counters {
            if k.dim == dim && k.key == key && (from..=to).contains(&k.day) {
                c.add(v);
            }
        }
        let mut b = BTreeMap::new();
        for ((k, bucket), n) in &self.total.buckets {
            if k.dim == dim && k.key == key && (from..=to).contains(&k.day) {
                *b.entry(*bucket).or_insert(0) += n;
            }
        }
        b.retain(|_, n| *n != 0);
        (c, b)
    }

    fn by_key(&self, dim: Dim, prefix: &str, len: Option<usize>, from: u32, to: u32) -> Vec<(String, Counters)> {
        let mut out: BTreeMap<String, Counters> = BTreeMap::new();
        for (Key { dim: d, key, day }, v) in &self.total.counters {
            if *d == dim
                && key.starts_with(prefix)
                && len.is_none_or(|n| key.chars().count() == n)
                && (from..=to).contains(day)
            {
                out.entry(key.clone()).or_default().add(v);
            }
        }
        out.into_iter().filter(|(_, c)| !c.is_zero()).collect()
    }
}

fn day(t: Timestamp) -> u32 {
    day_of(t, &rules().calendar)
}

async fn commit(s: &dyn Store, m: &mut Mirror, case: &Case, event: &Event) {
    let (change, _) = m.change(case, event);
    s.commit(vec![change.clone()]).await.expect("commit with evaluation");
    m.committed(&change);
}

async fn open(s: &dyn Store, m: &mut Mirror, grid: &str, at: Timestamp) -> Case {
    let id = s.allocate_case_ids(1).await.unwrap();
    let (c, e) = case::open(id, report(grid, "E0101", 116.4005), &Actor::resident("r"), at, &rules()).unwrap();
    commit(s, m, &c, &e).await;
    c
}

async fn step(s: &dyn Store, m: &mut Mirror, c: &Case, actor: Actor, minutes: i64, action: Action) -> Case {
    let cmd = Command {
        actor,
        at: c.reported_at.plus_ms(minutes * MINUTE_MS),
        action,
        note: "说明".into(),
        attachments: vec![],
    };
    let (next, e) = case::decide(c, &cmd, &rules()).expect("decide");
    commit(s, m, &next, &e).await;
    next
}

async fn life(s: &dyn Store, m: &mut Mirror, grid: &str, at: Timestamp, close_after: i64) -> Case {
    let c = open(s, m, grid, at).await;
    let c = step(s, m, &c, staff("op", Role::IntakeOperator, None), 5, Action::File { subclass: None, urgency: None })
        .await;
    let c = step(
        s,
        m,
        &c,
        staff("disp", Role::Dispatcher, None),
        10,
        Action::Dispatch { lead: "cgzf".into(), assisting: vec![] },
    )
    .await;
    let h = staff("h", Role::Handler, Some("cgzf"));
    let c = step(s, m, &c, h.clone(), 20, Action::Accept).await;
    let c = step(s, m, &c, h, close_after - 20, Action::ReportBack).await;
    let c =
        step(s, m, &c, staff("gm", Role::GridMember, None), close_after - 10, Action::Verify { passed: true }).await;
    let c =
        step(s, m, &c, staff("chief", Role::ShiftChief, Some("centre")), close_after, Action::Close { fixed: true })
            .await;
    step(
        s,
        m,
        &c,
        Actor::resident("r"),
        close_after + 60,
        Action::Evaluate { satisfaction: Satisfaction::Basically, fixed: true, responded: Some(true) },
    )
    .await
}

async fn agrees(s: &dyn Store, m: &Mirror, dim: Dim, key: &str, from: u32, to: u32, what: &str) {
    let got = s.counters(dim, key, from, to).await.expect("counters");
    assert_eq!(got, m.sum(dim, key, from, to), "{what}: {} {key} {from}..={to}", dim.as_str());
}

/// The whole story, on an empty store.
pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    s.save_reference(&reference()).await.unwrap();
    let mut m = Mirror::default();
    let (d0, d2) = (day(T0), day(T0.plus_ms(2 * DAY_MS)));

    // Facts round trip, and a case's counters from its report on.
    let a = open(s, &mut m, "110101001001001", T0).await;
    assert_eq!(s.facts(a.id).await.unwrap().as_ref(), m.facts.get(&a.id), "facts of a new case");
    assert_eq!(s.counters(Dim::Area, "110101", d0, d0).await.unwrap().0.reported, 1);
    assert!(s.facts(a.id + 1_000).await.unwrap().is_none());

    // Deltas add up over whole lives, on two days, with handling times.
    let b = life(s, &mut m, "110101001001001", T0.plus_ms(HOUR_MS), 3 * 60).await;
    let c = life(s, &mut m, "110101002001002", T0.plus_ms(2 * DAY_MS), 2 * DAY_MS / MINUTE_MS).await;
    for id in [a.id, b.id, c.id] {
        assert_eq!(s.facts(id).await.unwrap().as_ref(), m.facts.get(&id), "facts of case {id}");
        let (case, facts) = s.case_with_facts(id).await.unwrap().expect("the case exists");
        assert_eq!(Some(&case), s.case(id).await.unwrap().as_ref(), "case {id} read with its facts");
        assert_eq!(facts.as_ref(), m.facts.get(&id), "facts of case {id} read with the case");
    }
    assert!(s.case_with_facts(a.id + 1_000).await.unwrap().is_none());
    for (dim, key) in [
        (Dim::Area, "11"),
        (Dim::Area, "110101"),
        (Dim::Area, "110101001"),
        (Dim::Area, "110101002001002"),
        (Dim::Unit, "cgzf"),
        (Dim::Staff, "op"),
        (Dim::Staff, "h"),
    ] {
        for (from, to) in [(d0, d0), (d2, d2), (d0, d2), (0, 99_991_231), (d2 + 1, d2 + 40)] {
            agrees(s, &m, dim, key, from, to, "after three lives").await;
        }
    }
    let (district, buckets) = s.counters(Dim::Area, "110101", 0, 99_991_231).await.unwrap();
    assert_eq!((district.reported, district.closed, district.answered, district.basically), (3, 2, 2, 2));
    assert_eq!(buckets.values().sum::<i64>(), 2, "two closures with handling times: {buckets:?}");
    assert_eq!(s.counters(Dim::Area, "110101", d0, d0).await.unwrap().0.reported, 2, "one day only");
    assert_eq!(s.counters(Dim::Unit, "nobody", 0, 99_991_231).await.unwrap(), Default::default());

    // Deltas subtract: voiding a filed case takes back what filing it had counted as accurate.
    let before = s.counters(Dim::Staff, "op", 0, 99_991_231).await.unwrap().0;
    let v = open(s, &mut m, "110101001001001", T0.plus_ms(2 * HOUR_MS)).await;
    let v =
        step(s, &mut m, &v, staff("op", Role::IntakeOperator, None), 5, Action::File { subclass: None, urgency: None })
            .await;
    let filed = s.counters(Dim::Staff, "op", 0, 99_991_231).await.unwrap().0;
    assert_eq!((filed.filed - before.filed, filed.filed_invalid - before.filed_invalid), (1, 0));
    let v = step(s, &mut m, &v, staff("chief", Role::ShiftChief, Some("centre")), 30, Action::Void).await;
    let voided = s.counters(Dim::Staff, "op", 0, 99_991_231).await.unwrap().0;
    assert_eq!((voided.filed - before.filed, voided.filed_invalid - before.filed_invalid), (1, 1));
    agrees(s, &m, Dim::Area, "110101001", 0, 99_991_231, "after a void").await;

    // By key: the streets of the district, everything under a street, every unit.
    for (dim, prefix, len) in [
        (Dim::Area, "110101", Some(9)),
        (Dim::Area, "110101001", None),
        (Dim::Area, "", Some(2)),
        (Dim::Unit, "", None),
        (Dim::Staff, "", None),
        (Dim::Staff, "o", None),
    ] {
        for (from, to) in [(d0, d0), (d0, d2), (d2 + 1, d2 + 40)] {
            let got = s.counters_by_key(dim, prefix, len, from, to).await.unwrap();
            assert_eq!(got, m.by_key(dim, prefix, len, from, to), "by key {} “{prefix}” {len:?}", dim.as_str());
        }
    }
    // Day by day: each day's row as the sum over that day alone; days without a row left out.
    for (dim, key) in [(Dim::Area, "110101"), (Dim::Area, "110101002001002"), (Dim::Unit, "cgzf")] {
        let got = s.counters_by_day(dim, key, d0, d2 + 40).await.unwrap();
        let days: Vec<u32> = got.iter().map(|(d, _)| *d).collect();
        assert!(!got.is_empty() && days.windows(2).all(|w| w[0] < w[1]), "{key}: {days:?}");
        for (day, counters) in &got {
            assert_eq!(counters, &m.sum(dim, key, *day, *day).0, "{key} on {day}");
        }
        let total = got.iter().fold(Default::default(), |mut t: yiwang_domain::evaluation::Counters, (_, c)| {
            t.add(c);
            t
        });
        assert_eq!(total, m.sum(dim, key, d0, d2 + 40).0, "{key}: the days add up to the period");
    }
    let streets: Vec<String> =
        s.counters_by_key(Dim::Area, "110101", Some(9), d0, d2).await.unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(streets, ["110101001", "110101002"]);

    // Facts by area, paged by case id.
    let in_street1 = s.facts_in_area(&code("110101001"), 0, 100).await.unwrap();
    assert_eq!(in_street1.iter().map(|f| f.case_id).collect::<Vec<_>>(), [a.id, b.id, v.id]);
    let page = s.facts_in_area(&code("110101001"), a.id, 1).await.unwrap();
    assert_eq!(page.iter().map(|f| f.case_id).collect::<Vec<_>>(), [b.id]);
    assert_eq!(s.facts_in_area(&code("110101002"), 0, 100).await.unwrap(), vec![m.facts[&c.id].clone()]);

    // Atomic with the case: a stale change writes no facts and no counters.
    let snapshot = s.counters(Dim::Area, "110101", 0, 99_991_231).await.unwrap();
    let cmd = Command {
        actor: staff("op", Role::IntakeOperator, None),
        at: T0.plus_ms(3 * HOUR_MS),
        action: Action::File { subclass: None, urgency: None },
        note: String::new(),
        attachments: vec![],
    };
    let (filed_a, e) = case::decide(&a, &cmd, &rules()).unwrap();
    let (good, _) = m.change(&filed_a, &e);
    let (stale_case, stale_event) = (Case { seq: 5, ..filed_a.clone() }, Event { seq: 5, ..e.clone() });
    let mut stale = good.clone();
    stale.case = stale_case;
    stale.event = stale_event;
    stale.evaluation.as_mut().unwrap().facts.seq = 5;
    assert!(matches!(s.commit(vec![stale]).await, Err(StoreError::Conflict { .. })));
    // Facts that are not the case's own after the change are refused too.
    let mut mismatched = good.clone();
    mismatched.evaluation.as_mut().unwrap().facts.seq = 7;
    assert!(s.commit(vec![mismatched]).await.is_err(), "facts at another seq are refused");
    // And in a commit of two where the second is stale, the first's counters are not written.
    let ev2 = Event { case_id: c.id, seq: c.seq + 4, ..e.clone() };
    let (stale2, _) = m.change(&Case { id: c.id, seq: ev2.seq, head: ev2.hash, ..filed_a.clone() }, &ev2);
    assert!(s.commit(vec![good.clone(), stale2]).await.is_err());
    assert_eq!(s.counters(Dim::Area, "110101", 0, 99_991_231).await.unwrap(), snapshot, "a refused change counted");
    assert_eq!(s.facts(a.id).await.unwrap().as_ref(), m.facts.get(&a.id));
    s.commit(vec![good.clone()]).await.expect("the good change alone");
    m.committed(&good);
    agrees(s, &m, Dim::Area, "110101", 0, 99_991_231, "after the good change").await;

    // Replace: with nothing counted, then with the sum recomputed from the event log.
    let all: Vec<Facts> = m.facts.values().cloned().collect();
    s.replace_evaluation(all.clone(), Contribution::default()).await.expect("replace with no counters");
    assert!(s.counters_by_key(Dim::Area, "", None, 0, 99_991_231).await.unwrap().is_empty());
    assert_eq!(s.facts(b.id).await.unwrap().as_ref(), m.facts.get(&b.id));
    let r = rules();
    let mut recomputed = Contribution::default();
    let mut refolded = Vec::new();
    for id in m.facts.keys() {
        let f = Facts::of(&s.events(*id).await.unwrap(), &r.calendar, &Policy::default()).unwrap();
        recomputed.merge(&contributions(&f, &r.calendar, &Policy::default()));
        refolded.push(f);
    }
    assert_eq!(refolded, all, "facts kept commit by commit are the facts folded from the log");
    s.replace_evaluation(refolded, recomputed).await.expect("replace");
    for (dim, prefix) in [(Dim::Area, ""), (Dim::Unit, ""), (Dim::Staff, "")] {
        assert_eq!(
            s.counters_by_key(dim, prefix, None, 0, 99_991_231).await.unwrap(),
            m.by_key(dim, prefix, None, 0, 99_991_231),
            "rebuilt {}",
            dim.as_str()
        );
    }
    agrees(s, &m, Dim::Unit, "cgzf", d0, d2, "after replace").await;
    // A replacement that misses a case is stale: refused, nothing replaced.
    let missing: Vec<Facts> = m.facts.values().skip(1).cloned().collect();
    match s.replace_evaluation(missing, Contribution::default()).await {
        Err(StoreError::Conflict { case_id, .. }) if case_id == a.id => {}
        other => panic!("expected a conflict naming case {}, got {other:?}", a.id),
    }
    agrees(s, &m, Dim::Area, "110101", 0, 99_991_231, "after a refused replace").await;
    assert_eq!(s.facts(a.id).await.unwrap().as_ref(), m.facts.get(&a.id));
}
