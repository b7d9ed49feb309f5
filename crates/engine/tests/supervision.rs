//! Supervision of time on a real (SQLite) store with a clock the tests move: warnings and
//! deadlines in working time across National Day 2026, 督办, escalation up to the county and no
//! further, catching up after downtime, two schedulers at once, follow-up expiry, and who is
//! notified of what.
//!
//! The instants expected here are worked out by hand from the 2026 holiday notice (国庆节 1–7
//! October off, Saturday 10 October a working day) and the default working day (09:00–12:00,
//! 13:30–17:30: 420 minutes), not computed by the code under test.

use std::sync::Arc;
use std::time::Duration;

use chrono::{FixedOffset, TimeZone};
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{Action, Actor, Case, Channel, Command, Event, Role, Rules, Satisfaction, State};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::Point;
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Taxonomy};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::clock::{Clock, ManualClock};
use yiwang_engine::notifier::Notifier;
use yiwang_engine::scheduler::{Policy, Scheduler};
use yiwang_engine::{Engine, NewReport};
use yiwang_store::accounts::{Account, AccountKind};
use yiwang_store::notifications::{NotificationKind, NotificationQuery, Recipient};
use yiwang_store::{CaseFilter, Store, conformance};
use yiwang_store_sqlite::{Durability, SqliteStore};

/// An instant in China Standard Time.
fn cst(month: u32, day: u32, hour: u32, minute: u32) -> Timestamp {
    let t = FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, month, day, hour, minute, 0).unwrap();
    Timestamp::from_datetime(&t)
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse("t", s).unwrap()
}

/// The case's grid is 110101001001001: street 110101001 of district 110101.
const STAFF: &[(&str, Role, &str, Option<&str>)] = &[
    ("op-1", Role::IntakeOperator, "110101", None),
    ("disp", Role::Dispatcher, "110101", None),
    ("h-cgzf", Role::Handler, "110101", Some("cgzf")),
    ("insp", Role::Inspector, "110101001", None),
    ("sup-county", Role::Supervisor, "110101", None),
    ("sup-street", Role::Supervisor, "110101001", None),
    ("sup-other", Role::Supervisor, "110101002", None),
    ("lead-county", Role::Leader, "110101", None),
    ("lead-street", Role::Leader, "110101001", None),
];

struct World {
    engine: Arc<Engine>,
    _dir: tempfile::TempDir,
}

fn rules() -> Rules {
    Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 }
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path(), Durability::Normal).unwrap());
    let engine = Arc::new(Engine::start(store, rules()).await.unwrap());
    let mut reference = conformance::reference();
    for (id, role, scope, unit) in STAFF {
        reference.staff.push(Staff {
            id: (*id).into(),
            name: (*id).into(),
            role: *role,
            scope: code(scope),
            unit: unit.map(Into::into),
        });
    }
    engine.import_reference(reference).await.unwrap();
    World { engine, _dir: dir }
}

impl World {
    fn staff(&self, id: &str) -> Actor {
        self.engine.loaded().staff(id).unwrap().actor()
    }

    async fn act(&self, id: i64, actor: Actor, at: Timestamp, action: Action) -> Case {
        let cmd = Command { actor, at, action, note: "说明".into(), attachments: vec!["p.jpg".into()] };
        self.engine.act(id, cmd).await.unwrap_or_else(|e| panic!("case {id}: {e}")).0
    }

    /// A case of 乱堆物料 (E0108, two working days) reported, filed and dispatched at `at`.
    async fn dispatched(&self, reporter: &Actor, channel: Channel, at: Timestamp) -> Case {
        let report = NewReport {
            subclass: SubclassId::parse("s", "E0108").unwrap(),
            request_type: RequestType::Complaint,
            urgency: None,
            location: Point { lon: 116.4005, lat: 39.9005 },
            address: String::new(),
            description: "人行道上堆放建材".into(),
            channel,
            photos: vec![],
        };
        let c = self.engine.report(report, reporter, at).await.unwrap();
        self.act(c.id, self.staff("op-1"), at, Action::File { subclass: None, urgency: None }).await;
        self.act(c.id, self.staff("disp"), at, Action::Dispatch { lead: "cgzf".into(), assisting: vec!["hw".into()] })
            .await
    }

    /// Accepted, reported back, verified and closed (fixed) at `at`.
    async fn closed(&self, id: i64, at: Timestamp) -> Case {
        self.act(id, self.staff("h-cgzf"), at, Action::Accept).await;
        self.act(id, self.staff("h-cgzf"), at, Action::ReportBack).await;
        self.act(id, self.staff("insp"), at, Action::Verify { passed: true }).await;
        self.act(id, self.staff("chief"), at, Action::Close { fixed: true }).await
    }

    async fn events(&self, id: i64) -> Vec<Event> {
        self.engine.store().events(id).await.unwrap()
    }

    /// The scheduler's steps on a case: (step, instant).
    async fn system_steps(&self, id: i64) -> Vec<(String, Timestamp)> {
        self.events(id).await.into_iter().filter(|e| e.role == Role::System).map(|e| (e.step, e.at)).collect()
    }

    async fn verify(&self) {
        let report = yiwang_store::audit::verify(self.engine.store().as_ref(), &|_| {}).await.unwrap();
        assert!(report.is_ok(), "the audit chain verifies: {report:?}");
    }
}

fn scheduler(engine: &Arc<Engine>, clock: &Arc<ManualClock>) -> Scheduler {
    let mut s = Scheduler::new(engine.clone(), Policy::default(), clock.clone());
    s.max_sleep = Duration::from_millis(20);
    s
}

/// Waits (in real time) until the case has `n` steps of the scheduler.
async fn until_steps(w: &World, id: i64, n: usize) -> Vec<(String, Timestamp)> {
    for _ in 0..500 {
        let steps = w.system_steps(id).await;
        if steps.len() >= n {
            return steps;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("case {id} did not reach {n} scheduler steps: {:?}", w.system_steps(id).await)
}

/// Lets a running scheduler look at the store a few times.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(150)).await;
}

fn expected_steps() -> Vec<(String, Timestamp)> {
    vec![
        // 80 % of 840 working minutes = 672: 360 on 30 September, 312 on 8 October.
        ("warn".into(), cst(10, 8, 15, 42)),
        // 840: 360 + 420 on 8 October + 60 on 9 October.
        ("mark_overdue".into(), cst(10, 9, 10, 0)),
        ("supervise".into(), cst(10, 9, 10, 0)),
        // One working day later: Saturday 10 October is a working day (调休).
        ("escalate".into(), cst(10, 10, 10, 0)),
        // One more: Sunday 11 October is not.
        ("escalate".into(), cst(10, 12, 10, 0)),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_count_working_time_across_national_day_and_escalation_stops_at_the_county() {
    let w = world().await;
    let start = cst(9, 30, 10, 0);
    let clock = Arc::new(ManualClock::new(start));
    let c = w.dispatched(&Actor::resident("r1"), Channel::Portal, start).await;
    assert_eq!((c.clock.warn_at, c.clock.due_at), (Some(cst(10, 8, 15, 42)), Some(cst(10, 9, 10, 0))));
    let running = scheduler(&w.engine, &clock).start();

    // Through the holiday nothing falls due, though 80 % of the calendar time is long gone: a
    // catch-up at each of these instants finds nothing to do, and the running scheduler does
    // nothing.
    let probe = scheduler(&w.engine, &clock);
    for t in [cst(9, 30, 17, 5), cst(10, 3, 12, 0), cst(10, 7, 23, 59), cst(10, 8, 15, 41)] {
        clock.set(t);
        assert_eq!(probe.catch_up(t).await.unwrap().acted, 0, "nothing due at {t:?}");
        settle().await;
        assert!(w.system_steps(c.id).await.is_empty(), "nothing due at {t:?}");
    }
    clock.set(cst(10, 8, 15, 42));
    assert_eq!(until_steps(&w, c.id, 1).await, expected_steps()[..1]);

    clock.set(cst(10, 9, 10, 0));
    assert_eq!(until_steps(&w, c.id, 3).await, expected_steps()[..3], "overdue, then 督办 at once");
    clock.set(cst(10, 10, 9, 59));
    settle().await;
    assert_eq!(w.system_steps(c.id).await.len(), 3);

    clock.set(cst(10, 10, 10, 0));
    assert_eq!(until_steps(&w, c.id, 4).await, expected_steps()[..4]);
    let case = w.engine.case(c.id).await.unwrap();
    assert_eq!(case.escalated_to, Some(code("110101001")), "first to the street");

    clock.set(cst(10, 12, 10, 0));
    assert_eq!(until_steps(&w, c.id, 5).await, expected_steps());
    assert_eq!(w.engine.case(c.id).await.unwrap().escalated_to, Some(code("110101")), "then to the county");

    // And no further, however long it stays overdue.
    clock.set(cst(12, 31, 17, 0));
    settle().await;
    assert_eq!(w.system_steps(c.id).await, expected_steps());
    assert_eq!(w.engine.store().next_wake().await.unwrap(), None, "nothing left to wake for");
    running.stop().await;

    // Urging is recorded, by a supervisor, in the chain.
    w.act(c.id, w.staff("sup-street"), cst(12, 31, 17, 0), Action::Urge).await;
    assert_eq!(w.engine.case(c.id).await.unwrap().urge_count, 1);
    w.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_downtime_every_due_step_is_taken_in_order_at_its_true_instant() {
    let w = world().await;
    let start = cst(9, 30, 10, 0);
    let c = w.dispatched(&Actor::resident("r1"), Channel::Portal, start).await;
    // A second case, closed just before the holiday: its follow-up expires meanwhile too.
    let d = w.dispatched(&Actor::resident("r2"), Channel::Portal, start).await;
    let closed = w.closed(d.id, cst(9, 30, 11, 0)).await;
    assert_eq!(closed.state, State::ClosedFixed);

    // Down for more than two weeks; on start it catches up.
    let clock = Arc::new(ManualClock::new(cst(10, 16, 12, 0)));
    let running = scheduler(&w.engine, &clock).start();
    assert_eq!(until_steps(&w, c.id, 5).await, expected_steps());
    // Three working days after 30 September 11:00: 300 minutes that day, 420 on 8 and 9 October,
    // 120 on 10 October.
    assert_eq!(until_steps(&w, d.id, 1).await, [("follow_up_expired".to_string(), cst(10, 10, 11, 0))]);
    running.stop().await;

    let events = w.events(c.id).await;
    assert!(events.windows(2).all(|p| p[0].at <= p[1].at), "the chain runs forward in time");
    w.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_at_once_do_nothing_twice() {
    let w = world().await;
    let start = cst(9, 30, 10, 0);
    let mut ids = Vec::new();
    for i in 0..24 {
        ids.push(
            w.dispatched(&Actor::resident(&format!("r{i}")), Channel::Portal, start.plus_ms(i * MINUTE_MS)).await.id,
        );
    }
    // Two schedulers side by side, as two nodes run them: they read the same cases at once.
    let clock = Arc::new(ManualClock::new(cst(10, 16, 12, 0)));
    let (a, b) = (scheduler(&w.engine, &clock), scheduler(&w.engine, &clock));
    let (ra, rb) = tokio::join!(a.catch_up(clock.now()), b.catch_up(clock.now()));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.acted + rb.acted, 24 * 5, "every step taken once: {ra:?} {rb:?}");
    for id in &ids {
        let steps: Vec<String> = w.system_steps(*id).await.into_iter().map(|s| s.0).collect();
        assert_eq!(steps, ["warn", "mark_overdue", "supervise", "escalate", "escalate"], "case {id}");
    }
    // Running again changes nothing: the domain refuses a second warning, and nothing is due.
    let again = a.catch_up(clock.now()).await.unwrap();
    assert_eq!(again.acted, 0);
    let cmd = Command {
        actor: Actor::system(),
        at: clock.now(),
        action: Action::Warn,
        note: String::new(),
        attachments: vec![],
    };
    match w.engine.act(ids[0], cmd).await {
        Err(yiwang_engine::EngineError::Refused(r)) => assert_eq!(r.code, "not_due"),
        other => panic!("a second warning is refused, got {other:?}"),
    }
    w.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_follow_up_expires_after_three_working_days_and_a_late_answer_still_counts() {
    let w = world().await;
    let start = cst(11, 16, 10, 0);
    let c = w.dispatched(&Actor::resident("r1"), Channel::Portal, start).await;
    // Closed on Friday 20 November at 16:00: 90 minutes that day, 420 on Monday and on Tuesday,
    // 330 on Wednesday 25 November (180 in the morning, 150 from 13:30) = 16:00.
    let closed = w.closed(c.id, cst(11, 20, 16, 0)).await;
    let patrol = w.dispatched(&w.staff("insp"), Channel::GridPatrol, start).await;
    w.closed(patrol.id, cst(11, 20, 16, 0)).await;
    let awaiting = |w: &World| {
        let store = w.engine.store().clone();
        async move {
            let f = CaseFilter { awaiting_follow_up: Some(true), limit: 100, ..Default::default() };
            store.find_cases(&f).await.unwrap().iter().map(|c| c.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(awaiting(&w).await, vec![closed.id], "a grid member's report is not followed up");

    let clock = Arc::new(ManualClock::new(cst(11, 25, 15, 59)));
    let s = scheduler(&w.engine, &clock);
    s.catch_up(clock.now()).await.unwrap();
    assert!(!w.engine.case(c.id).await.unwrap().follow_up_expired, "not yet");
    clock.set(cst(11, 30, 9, 0));
    s.catch_up(clock.now()).await.unwrap();
    let expired = w.engine.case(c.id).await.unwrap();
    assert!(expired.follow_up_expired && expired.rating.is_none(), "回访超时, never counted as satisfied");
    assert_eq!(w.system_steps(c.id).await.last().unwrap(), &("follow_up_expired".to_string(), cst(11, 25, 16, 0)));
    assert!(awaiting(&w).await.is_empty());
    assert!(w.system_steps(patrol.id).await.iter().all(|s| s.0 != "follow_up_expired"));

    // A late answer still counts: the rating is recorded and the case no longer counts as expired.
    let rated = w
        .act(
            c.id,
            Actor::resident("r1"),
            cst(12, 1, 20, 0),
            Action::Evaluate { satisfaction: Satisfaction::Basically, fixed: true, responded: Some(true) },
        )
        .await;
    assert_eq!(rated.rating.map(|r| r.satisfaction), Some(Satisfaction::Basically));
    assert!(!rated.follow_up_expired);
    w.verify().await;
}

async fn inbox(store: &Arc<dyn Store>, r: Recipient) -> Vec<(i64, NotificationKind)> {
    let q = NotificationQuery { recipients: vec![r], unread_only: false, before_id: None, limit: 1_000 };
    let mut out: Vec<_> = store.notifications(&q).await.unwrap().iter().map(|n| (n.case_id, n.kind)).collect();
    out.reverse();
    out
}

fn role(role: Role, node: &str) -> Recipient {
    Recipient::Role { role, node: code(node) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoever_must_act_is_notified() {
    let w = world().await;
    let store = w.engine.store().clone();
    store
        .create_accounts(&[Account::new("r-acc", AccountKind::Resident, "13900000001", "居民甲", cst(1, 1, 0, 0))])
        .await
        .unwrap();
    let start = cst(9, 30, 10, 0);
    let overdue = w.dispatched(&Actor::resident("r-acc"), Channel::Portal, start).await;
    let clock = Arc::new(ManualClock::new(cst(10, 16, 12, 0)));
    scheduler(&w.engine, &clock).catch_up(clock.now()).await.unwrap();
    w.act(overdue.id, w.staff("sup-street"), clock.now(), Action::Urge).await;
    // Closed: a resident with an account, a resident without one, a call to the hotline.
    let portal = w.dispatched(&Actor::resident("r-acc"), Channel::Portal, start).await;
    w.closed(portal.id, clock.now()).await;
    let ghost = w.dispatched(&Actor::resident("no-account"), Channel::Portal, start).await;
    w.closed(ghost.id, clock.now()).await;
    let caller = Actor { on_behalf_of: Some("caller".into()), ..w.staff("op-1") };
    let hotline = w.dispatched(&caller, Channel::Hotline, start).await;
    w.closed(hotline.id, clock.now()).await;

    let mut notifier = Notifier::new(w.engine.clone()).await.unwrap();
    let written = notifier.round().await.unwrap();
    assert!(written > 0);

    use NotificationKind::*;
    let o = overdue.id;
    assert_eq!(
        inbox(&store, Recipient::Unit("cgzf".into())).await,
        [
            (o, Dispatched),
            (o, Warned),
            (o, Overdue),
            (o, Urged),
            (portal.id, Dispatched),
            (ghost.id, Dispatched),
            (hotline.id, Dispatched)
        ]
    );
    assert_eq!(
        inbox(&store, Recipient::Unit("hw".into())).await.iter().map(|n| n.1).collect::<Vec<_>>(),
        [Dispatched; 4],
        "the assisting unit is told of the dispatch only"
    );
    assert_eq!(
        inbox(&store, role(Role::Supervisor, "110101")).await,
        [(o, Warned), (o, Overdue), (o, Supervise), (o, Escalated)]
    );
    assert_eq!(
        inbox(&store, role(Role::Supervisor, "110101001")).await,
        [(o, Warned), (o, Overdue), (o, Supervise), (o, Escalated)]
    );
    assert!(inbox(&store, role(Role::Supervisor, "110101002")).await.is_empty(), "another street's supervisors");
    assert_eq!(
        inbox(&store, role(Role::Leader, "110101001")).await,
        [(o, Escalated)],
        "the street, when escalated to it"
    );
    assert_eq!(inbox(&store, role(Role::Leader, "110101")).await, [(o, Escalated)], "the county, when escalated to it");
    assert_eq!(inbox(&store, Recipient::Resident("r-acc".into())).await, [(portal.id, FollowUp)]);
    assert!(inbox(&store, Recipient::Resident("no-account".into())).await.is_empty());
    assert!(inbox(&store, Recipient::Resident("caller".into())).await.is_empty());
    assert_eq!(inbox(&store, role(Role::IntakeOperator, "110101")).await, [(hotline.id, Callback)]);

    // The texts name the case in both languages; the escalation names the level.
    let q = NotificationQuery { recipients: vec![role(Role::Leader, "110101001")], limit: 10, ..Default::default() };
    let n = &store.notifications(&q).await.unwrap()[0];
    assert!(n.text_zh.contains(&format!("案卷 {o}")) && n.text_zh.contains("东华门街道"), "{}", n.text_zh);
    assert!(n.text_en.starts_with(&format!("Case {o} (")) && n.text_en.contains("110101001"), "{}", n.text_en);
    assert_eq!(n.created_at, cst(10, 10, 10, 0), "dated when the event happened");

    // Nothing is written twice: another round, or another node from the stored cursor.
    assert_eq!(notifier.round().await.unwrap(), 0);
    let mut second = Notifier::new(w.engine.clone()).await.unwrap();
    assert_eq!(second.round().await.unwrap(), 0);
}
