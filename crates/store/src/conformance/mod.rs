//! The one behaviour story every backend must pass unchanged.
//!
//! Each backend's tests open a fresh, empty store and call [`run`]; the tamper story needs raw
//! SQL, which each backend supplies as a closure (the statements are plain SQL that both
//! dialects accept). Panics name the step that failed.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use yiwang_domain::audit::TamperKind;
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{self, Action, Actor, Case, Channel, Command, Report, Role, Rules, Satisfaction, State};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::{Point, Polygon};
use yiwang_domain::jurisdiction::{Area, Grid, GridKind, Landmark};
use yiwang_domain::responsibility::{Duty, Unit};
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Taxonomy};
use yiwang_domain::time::{MINUTE_MS, Timestamp};

pub mod accounts;
pub mod attachments;
pub mod evaluation;
pub mod import;
pub mod notifications;
pub mod open311;
pub mod proxies;
pub mod public;
pub mod schedule;
pub mod search;
pub mod webhooks;
pub mod workbench;

use crate::{CaseFilter, Change, Reference, Store, StoreError, audit};

/// The logical schema both backends must produce.
pub const SCHEMA: &[&str] = &[
    "access_log.action text",
    "access_log.actor text",
    "access_log.at integer",
    "access_log.detail text",
    "access_log.outcome text",
    "access_log.seq integer",
    "access_log.subject text",
    "accounts.created_at integer",
    "accounts.disabled integer",
    "accounts.display_name text",
    "accounts.failed_logins integer",
    "accounts.id text",
    "accounts.id_number text",
    "accounts.kind text",
    "accounts.locked_until integer",
    "accounts.login text",
    "accounts.password_hash text",
    "accounts.phone text",
    "accounts.staff_id text",
    "accounts.totp_enrolled integer",
    "accounts.totp_last_step integer",
    "accounts.totp_secret text",
    "api_tokens.account_id text",
    "api_tokens.created_at integer",
    "api_tokens.id text",
    "api_tokens.name text",
    "api_tokens.revoked_at integer",
    "api_tokens.token_hash bytes",
    "areas.code text",
    "areas.name text",
    "attachment_bytes.attachment_id text",
    "attachment_bytes.bytes bytes",
    "attachment_bytes.variant text",
    "attachments.created_at integer",
    "attachments.id text",
    "attachments.media_type text",
    "attachments.size integer",
    "attachments.sm3 bytes",
    "attachments.uploader text",
    "case_facts.case_id integer",
    "case_facts.data text",
    "case_facts.grid text",
    "case_facts.seq integer",
    "case_followers.case_id integer",
    "case_followers.resident text",
    "cases.awaiting_follow_up integer",
    "cases.closed_at integer",
    "cases.data text",
    "cases.due_at integer",
    "cases.extension_requested integer",
    "cases.grid text",
    "cases.head bytes",
    "cases.id integer",
    "cases.lat real",
    "cases.lead_unit text",
    "cases.lon real",
    "cases.overdue integer",
    "cases.reported_at integer",
    "cases.seq integer",
    "cases.state text",
    "cases.subclass text",
    "cases.wake_anchor integer",
    "cases.wake_at integer",
    "cases.warned integer",
    "counters.name text",
    "counters.next integer",
    "duties.area text",
    "duties.assisting text",
    "duties.lead text",
    "duties.subclass text",
    "eval_buckets.bucket integer",
    "eval_buckets.closures integer",
    "eval_buckets.day integer",
    "eval_buckets.dim text",
    "eval_buckets.key text",
    "eval_counters.acked_in_time integer",
    "eval_counters.answered integer",
    "eval_counters.basically integer",
    "eval_counters.closed integer",
    "eval_counters.closed_fixed integer",
    "eval_counters.completed_in_time integer",
    "eval_counters.day integer",
    "eval_counters.dim text",
    "eval_counters.dispatched integer",
    "eval_counters.due integer",
    "eval_counters.due_closed integer",
    "eval_counters.due_closed_on_time integer",
    "eval_counters.due_deferred integer",
    "eval_counters.filed integer",
    "eval_counters.filed_invalid integer",
    "eval_counters.filed_on_time integer",
    "eval_counters.handled integer",
    "eval_counters.handling_count integer",
    "eval_counters.handling_minutes integer",
    "eval_counters.key text",
    "eval_counters.no_answer integer",
    "eval_counters.not_satisfied integer",
    "eval_counters.reported integer",
    "eval_counters.reported_base integer",
    "eval_counters.responded integer",
    "eval_counters.responded_asked integer",
    "eval_counters.reworked integer",
    "eval_counters.said_fixed integer",
    "eval_counters.satisfied integer",
    "eval_counters.staff_reports integer",
    "eval_counters.staff_reports_accurate integer",
    "events.actor text",
    "events.at integer",
    "events.attachments text",
    "events.case_id integer",
    "events.detail text",
    "events.from_state text",
    "events.hash bytes",
    "events.ledger_hash bytes",
    "events.ledger_seq integer",
    "events.note text",
    "events.prev bytes",
    "events.role text",
    "events.seq integer",
    "events.step text",
    "events.to_state text",
    "grids.code text",
    "grids.kind text",
    "grids.members text",
    "grids.name text",
    "grids.polygon text",
    "landmarks.address text",
    "landmarks.community text",
    "landmarks.lat real",
    "landmarks.lon real",
    "landmarks.name text",
    "ledger_head.hash bytes",
    "ledger_head.id integer",
    "ledger_head.seq integer",
    "notification_cursor.id integer",
    "notification_cursor.ledger_seq integer",
    "notifications.case_id integer",
    "notifications.created_at integer",
    "notifications.event_seq integer",
    "notifications.id integer",
    "notifications.kind text",
    "notifications.read_at integer",
    "notifications.recipient_key text",
    "notifications.recipient_kind text",
    "notifications.text_en text",
    "notifications.text_zh text",
    "proxies.code_attempts integer",
    "proxies.code_expires_at integer",
    "proxies.code_hash bytes",
    "proxies.code_sent_at integer",
    "proxies.consented_at integer",
    "proxies.created_at integer",
    "proxies.elder text",
    "proxies.elder_phone text",
    "proxies.id integer",
    "proxies.relation text",
    "proxies.relative text",
    "proxies.revoked_at integer",
    "proxies.status text",
    "schedule_policy.id integer",
    "schedule_policy.policy text",
    "sessions.account_id text",
    "sessions.created_at integer",
    "sessions.expires_at integer",
    "sessions.last_seen integer",
    "sessions.token_hash bytes",
    "staff.id text",
    "staff.name text",
    "staff.role text",
    "staff.scope text",
    "staff.unit text",
    "units.area text",
    "units.id text",
    "units.kind text",
    "units.name text",
    "verification_codes.attempts integer",
    "verification_codes.code_hash bytes",
    "verification_codes.expires_at integer",
    "verification_codes.phone text",
    "verification_codes.sent_at integer",
    "webhook_cursor.id integer",
    "webhook_cursor.ledger_seq integer",
    "webhook_deliveries.attempts integer",
    "webhook_deliveries.case_id integer",
    "webhook_deliveries.created_at integer",
    "webhook_deliveries.delivered_at integer",
    "webhook_deliveries.event_seq integer",
    "webhook_deliveries.id integer",
    "webhook_deliveries.last_attempt_at integer",
    "webhook_deliveries.last_error text",
    "webhook_deliveries.last_status integer",
    "webhook_deliveries.next_attempt_at integer",
    "webhook_deliveries.payload text",
    "webhook_deliveries.status text",
    "webhook_deliveries.step text",
    "webhook_deliveries.subscription_id integer",
    "webhook_subscriptions.active integer",
    "webhook_subscriptions.after_ledger_seq integer",
    "webhook_subscriptions.created_at integer",
    "webhook_subscriptions.created_by text",
    "webhook_subscriptions.id integer",
    "webhook_subscriptions.lang text",
    "webhook_subscriptions.secret text",
    "webhook_subscriptions.unit text",
    "webhook_subscriptions.url text",
];

/// A small xorshift: the same random cases and filters on every run, for stories and for a
/// backend's own tests of what it does with them.
pub struct Dice(pub u64);

impl Dice {
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    /// True `per_cent` times in a hundred.
    pub fn coin(&mut self, per_cent: u64) -> bool {
        self.below(100) < per_cent
    }
}

/// Runs raw SQL against the backend under test (for the tamper story only).
pub type RawSql = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

fn code(s: &str) -> AreaCode {
    AreaCode::parse("t", s).unwrap()
}

/// The shipped taxonomy and calendar, as every story decides with.
pub fn rules() -> Rules {
    Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 }
}

/// Monday 2025-11-17 10:00 CST.
const T0: Timestamp = Timestamp(1_763_344_800_000);

/// A small tree: one district, two streets, one community each, two grids per community.
pub fn reference() -> Reference {
    let areas = [
        ("11", "北京市"),
        ("1101", "市辖区"),
        ("110101", "东城区"),
        ("110101001", "东华门街道"),
        ("110101001001", "多福巷社区"),
        ("110101002", "景山街道"),
        ("110101002001", "隆福寺社区"),
    ]
    .iter()
    .map(|(c, n)| Area { code: code(c), name: (*n).into() })
    .collect();
    let grid = |c: &str, x: f64| Grid {
        code: code(c),
        name: format!("网格{c}"),
        kind: GridKind::Comprehensive,
        polygon: Polygon::rectangle(116.40 + x, 39.90, 116.401 + x, 39.901),
        members: vec![format!("m-{c}")],
    };
    let grids = vec![
        grid("110101001001001", 0.0),
        grid("110101001001002", 0.001),
        grid("110101002001001", 0.002),
        grid("110101002001002", 0.003),
    ];
    let unit = |id: &str, kind: &str, area: &str| Unit {
        id: id.into(),
        name: format!("单位{id}"),
        kind: kind.into(),
        area: code(area),
    };
    let units = vec![
        unit("cgzf", "城管执法", "110101"),
        unit("hw", "环卫", "110101"),
        unit("jd-1", "街道办事处", "110101001"),
        unit("jd-2", "街道办事处", "110101002"),
    ];
    let duties = vec![Duty {
        subclass: SubclassId::parse("s", "E0102").unwrap(),
        area: code("110101002"),
        lead: "jd-2".into(),
        assisting: vec!["hw".into()],
    }];
    let staff = vec![Staff {
        id: "chief".into(),
        name: "值班长甲".into(),
        role: Role::ShiftChief,
        scope: code("110101"),
        unit: None,
    }];
    let landmark = |community: &str, name: &str, lon: f64, lat: f64, address: Option<&str>| Landmark {
        community: code(community),
        name: name.into(),
        location: Point { lon, lat },
        address: address.map(Into::into),
    };
    let landmarks = vec![
        landmark("110101001001", "多福巷社区居委会", 116.4005, 39.9005, Some("多福巷 1 号")),
        landmark("110101001001", "多福巷菜市场", 116.4015, 39.9008, None),
        landmark("110101002001", "隆福寺公交站", 116.4035, 39.9002, Some("隆福寺街")),
    ];
    Reference { areas, grids, units, duties, staff, landmarks }
}

/// A complaint of `subclass` in `grid`, from the portal, at longitude `lon` (its latitude is
/// the story's).
pub fn report(grid: &str, subclass: &str, lon: f64) -> Report {
    Report {
        subclass: SubclassId::parse("s", subclass).unwrap(),
        request_type: RequestType::Complaint,
        urgency: None,
        grid: code(grid),
        location: Point { lon, lat: 39.9005 },
        address: "测试地址".into(),
        description: "测试问题".into(),
        channel: Channel::Portal,
        photos: vec![],
    }
}

fn staff(id: &str, role: Role, unit: Option<&str>) -> Actor {
    Actor::staff(id, role, &code("110101"), unit)
}

/// Opens a case and commits it; returns it as stored.
async fn open(store: &dyn Store, reporter: &str, grid: &str, subclass: &str, lon: f64, at: Timestamp) -> Case {
    let id = store.allocate_case_ids(1).await.expect("allocate id");
    let (case, event) =
        case::open(id, report(grid, subclass, lon), &Actor::resident(reporter), at, &rules()).expect("open");
    store.commit(vec![Change { case: case.clone(), event, evaluation: None }]).await.expect("commit new case");
    case
}

async fn step(store: &dyn Store, case: &Case, actor: Actor, minutes: i64, action: Action) -> Case {
    let cmd = Command {
        actor,
        at: case.reported_at.plus_ms(minutes * MINUTE_MS),
        action,
        note: "说明".into(),
        attachments: vec!["a.jpg".into()],
    };
    let (next, event) = case::decide(case, &cmd, &rules()).expect("decide");
    store.commit(vec![Change { case: next.clone(), event, evaluation: None }]).await.expect("commit step");
    next
}

/// Drives a case through the whole loop to a rating.
pub async fn full_life(store: &dyn Store, reporter: &str, grid: &str, at: Timestamp) -> Case {
    let c = open(store, reporter, grid, "E0101", 116.4005, at).await;
    let c = step(store, &c, staff("op", Role::IntakeOperator, None), 1, Action::File { subclass: None, urgency: None })
        .await;
    let c = step(
        store,
        &c,
        staff("disp", Role::Dispatcher, None),
        2,
        Action::Dispatch { lead: "cgzf".into(), assisting: vec![] },
    )
    .await;
    let h = staff("h", Role::Handler, Some("cgzf"));
    let c = step(store, &c, h.clone(), 3, Action::Accept).await;
    let c = step(store, &c, h, 4, Action::ReportBack).await;
    let c = step(store, &c, staff("m", Role::GridMember, None), 5, Action::Verify { passed: true }).await;
    let c = step(store, &c, staff("chief", Role::ShiftChief, Some("centre")), 6, Action::Close { fixed: true }).await;
    step(
        store,
        &c,
        Actor::resident(reporter),
        7,
        Action::Evaluate { satisfaction: Satisfaction::Satisfied, fixed: true, responded: None },
    )
    .await
}

/// The whole story, on an empty store.
pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    schema_is_the_shared_one(s).await;
    reference_round_trips(s).await;
    ids_are_unique(s).await;
    lifecycle_reads_back(s).await;
    stale_writes_conflict_and_leave_nothing(s).await;
    commits_are_atomic(s).await;
    finding_cases(s).await;
    concurrent_commits_chain_into_one_ledger(store.clone()).await;
    verify_passes(s).await;
}

async fn schema_is_the_shared_one(s: &dyn Store) {
    let schema = s.schema().await.expect("schema");
    assert_eq!(
        schema,
        SCHEMA.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
        "{} schema differs from the shared one",
        s.backend()
    );
}

async fn reference_round_trips(s: &dyn Store) {
    let r = reference();
    s.save_reference(&r).await.expect("save reference");
    assert_eq!(s.load_reference().await.expect("load reference"), r);
    // Saving again replaces, never duplicates.
    s.save_reference(&r).await.expect("save reference twice");
    assert_eq!(s.load_reference().await.expect("load reference").grids.len(), 4);
}

async fn ids_are_unique(s: &dyn Store) {
    let a = s.allocate_case_ids(10).await.unwrap();
    let b = s.allocate_case_ids(1).await.unwrap();
    assert!(b >= a + 10, "id blocks overlap: {a} then {b}");
}

async fn lifecycle_reads_back(s: &dyn Store) {
    let c = full_life(s, "r1", "110101001001001", T0).await;
    let stored = s.case(c.id).await.unwrap().expect("case stored");
    assert_eq!(stored, c);
    let events = s.events(c.id).await.unwrap();
    assert_eq!(events.len(), 8);
    assert_eq!(
        events.iter().map(|e| e.step.as_str()).collect::<Vec<_>>(),
        ["report", "file", "dispatch", "accept", "report_back", "verify", "close", "evaluate"]
    );
    assert_eq!(events.last().unwrap().hash, c.head);
    assert_eq!(events[4].attachments, vec!["a.jpg".to_string()]);
    assert!(s.case(c.id + 1_000_000).await.unwrap().is_none());
}

async fn stale_writes_conflict_and_leave_nothing(s: &dyn Store) {
    let c = open(s, "r2", "110101001001001", "E0101", 116.4005, T0).await;
    let ledger = s.ledger_head().await.unwrap();
    let filed =
        step(s, &c, staff("op", Role::IntakeOperator, None), 1, Action::File { subclass: None, urgency: None }).await;
    // Decide again from the stale copy: the store refuses it.
    let cmd = Command {
        actor: staff("chief", Role::ShiftChief, None),
        at: T0.plus_ms(MINUTE_MS),
        action: Action::Void,
        note: "无效".into(),
        attachments: vec![],
    };
    let (stale, event) = case::decide(&c, &cmd, &rules()).unwrap();
    match s.commit(vec![Change { case: stale, event, evaluation: None }]).await {
        Err(StoreError::Conflict { case_id, expected: 1, found: 2 }) if case_id == c.id => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(s.case(c.id).await.unwrap().unwrap(), filed);
    assert_eq!(s.events(c.id).await.unwrap().len(), 2);
    assert_eq!(s.ledger_head().await.unwrap().seq, ledger.seq + 1);
    // A new case with an id that exists is refused.
    let (dup, event) =
        case::open(c.id, report("110101001001001", "E0101", 116.4), &Actor::resident("x"), T0, &rules()).unwrap();
    assert!(
        matches!(s.commit(vec![Change { case: dup, event, evaluation: None }]).await, Err(StoreError::Refused(r)) if r.code == "case_exists")
    );
}

async fn commits_are_atomic(s: &dyn Store) {
    // Merging writes both cases or neither.
    let master = open(s, "r3", "110101001001001", "E0107", 116.4004, T0).await;
    let dup = open(s, "r4", "110101001001001", "E0107", 116.4004, T0.plus_ms(MINUTE_MS)).await;
    let op = staff("op", Role::IntakeOperator, None);
    let mark = Command {
        actor: op.clone(),
        at: T0.plus_ms(2 * MINUTE_MS),
        action: Action::MarkDuplicate { of: master.id },
        note: String::new(),
        attachments: vec![],
    };
    let absorb =
        Command { action: Action::AbsorbDuplicate { duplicate: dup.id, reporter: "r4".into() }, ..mark.clone() };
    let (d2, e2) = case::decide(&dup, &mark, &rules()).unwrap();
    let (m2, e1) = case::decide(&master, &absorb, &rules()).unwrap();
    // First with a stale master alongside: nothing may be written.
    let stale_master =
        Change { case: m2.clone(), event: yiwang_domain::case::Event { seq: 5, ..e1.clone() }, evaluation: None };
    let bad = vec![
        Change { case: d2.clone(), event: e2.clone(), evaluation: None },
        Change { case: Case { seq: 5, ..stale_master.case.clone() }, event: stale_master.event, evaluation: None },
    ];
    assert!(s.commit(bad).await.is_err());
    assert_eq!(s.case(dup.id).await.unwrap().unwrap().state, State::Reported, "half a merge was written");
    s.commit(vec![Change { case: d2, event: e2, evaluation: None }, Change { case: m2, event: e1, evaluation: None }])
        .await
        .expect("merge");
    assert_eq!(s.case(dup.id).await.unwrap().unwrap().state, State::Duplicate);
    // The duplicate's reporter now follows the master.
    let followed =
        s.find_cases(&CaseFilter { follower: Some("r4".into()), limit: 10, ..Default::default() }).await.unwrap();
    let ids: Vec<i64> = followed.iter().map(|c| c.id).collect();
    assert!(ids.contains(&master.id) && ids.contains(&dup.id), "{ids:?}");
}

async fn finding_cases(s: &dyn Store) {
    let street2 = open(s, "r5", "110101002001002", "E0102", 116.4035, T0).await;
    let all = s.find_cases(&CaseFilter { limit: 100, ..Default::default() }).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let in_street2 =
        s.find_cases(&CaseFilter { area: Some(code("110101002")), limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(in_street2.iter().map(|c| c.id).collect::<Vec<_>>(), vec![street2.id]);
    let in_street1 =
        s.find_cases(&CaseFilter { area: Some(code("110101001")), limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(in_street1.len() + 1, all.len());
    let closed =
        s.find_cases(&CaseFilter { states: vec![State::ClosedFixed], limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(closed.len(), 1);
    let by_unit =
        s.find_cases(&CaseFilter { lead_unit: Some("cgzf".into()), limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(by_unit.len(), 1);
    let page1 = s.find_cases(&CaseFilter { limit: 2, ..Default::default() }).await.unwrap();
    let page2 =
        s.find_cases(&CaseFilter { limit: 2, before_id: Some(page1[1].id), ..Default::default() }).await.unwrap();
    assert_eq!(page2[0].id, all[2].id);
    let window = s
        .find_cases(&CaseFilter { reported_from: Some(T0.plus_ms(MINUTE_MS)), limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert!(window.iter().all(|c| c.reported_at >= T0.plus_ms(MINUTE_MS)) && !window.is_empty());
    assert_eq!(s.count_cases().await.unwrap(), all.len() as i64);

    // The ledger followers' read: several cases at once, as read one by one; a missing id is
    // `None` with no events.
    let (newest, oldest, missing) = (all[0].id, all[all.len() - 1].id, all[0].id + 1_000_000);
    let read = s.cases_with_events(BTreeSet::from([newest, oldest, missing])).await.unwrap();
    assert_eq!(read.len(), 3);
    for id in [newest, oldest] {
        assert_eq!(read[&id], (s.case(id).await.unwrap(), s.events(id).await.unwrap()));
    }
    assert_eq!(read[&oldest].1.len(), 8, "the oldest case lived its whole life");
    assert_eq!(read[&missing], (None, vec![]));

    let near = s
        .open_cases_near(
            SubclassId::parse("s", "E0107").unwrap(),
            Point { lon: 116.4, lat: 39.9 },
            Point { lon: 116.401, lat: 39.901 },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(near.len(), 1, "only the surviving open case, not the duplicate");
    let none = s
        .open_cases_near(
            SubclassId::parse("s", "E0107").unwrap(),
            Point { lon: 116.5, lat: 39.9 },
            Point { lon: 116.501, lat: 39.901 },
            T0,
        )
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn concurrent_commits_chain_into_one_ledger(store: Arc<dyn Store>) {
    let before = store.ledger_head().await.unwrap().seq;
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                full_life(store.as_ref(), &format!("c{i}"), "110101002001001", T0.plus_ms(i * MINUTE_MS)).await
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("lifecycle task");
    }
    assert_eq!(store.ledger_head().await.unwrap().seq, before + 64 * 8);
}

async fn verify_passes(s: &dyn Store) {
    let report = audit::verify(s, &|_| {}).await.expect("verify runs").expect("an untouched store verifies");
    assert_eq!(report.cases as i64, s.count_cases().await.unwrap());
    assert_eq!(report.events as i64, s.ledger_head().await.unwrap().seq);
}

/// Edits, deletions and reorderings by hand are found and named. Needs a fresh store.
pub async fn tampering_is_named(store: Arc<dyn Store>, sql: RawSql) {
    let s = store.as_ref();
    s.save_reference(&reference()).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(full_life(s, &format!("t{i}"), "110101001001001", T0.plus_ms(i * MINUTE_MS)).await.id);
    }
    let fault = || async { audit::verify(s, &|_| {}).await.expect("verify runs") };
    assert!(fault().await.is_ok());
    let (a, b) = (ids[1], ids[2]);

    // Edit one event's note.
    sql(format!("UPDATE events SET note = '改过' WHERE case_id = {a} AND seq = 3")).await;
    let t = fault().await.expect_err("an edit is found");
    assert_eq!((t.case_id, t.seq, t.kind), (a, 3, TamperKind::Edited), "{t}");
    sql(format!("UPDATE events SET note = '说明' WHERE case_id = {a} AND seq = 3")).await;
    assert!(fault().await.is_ok(), "restoring the note restores the chain");

    // Change a case's state by hand.
    sql(format!("UPDATE cases SET state = 'voided' WHERE id = {a}")).await;
    let t = fault().await.expect_err("a changed case row is found");
    assert_eq!((t.case_id, t.kind), (a, TamperKind::CaseRowChanged), "{t}");
    sql(format!("UPDATE cases SET state = 'closed_fixed' WHERE id = {a}")).await;
    assert!(fault().await.is_ok());

    // Swap the timestamps of two events (a reordering in time is an edit of both).
    sql(format!("UPDATE events SET at = at + 1 WHERE case_id = {b} AND seq = 5")).await;
    let t = fault().await.expect_err("a changed time is found");
    assert_eq!((t.case_id, t.seq), (b, 5), "{t}");
    sql(format!("UPDATE events SET at = at - 1 WHERE case_id = {b} AND seq = 5")).await;

    // Renumber two events (a reordering).
    sql(format!("UPDATE events SET seq = 100 WHERE case_id = {b} AND seq = 4")).await;
    sql(format!("UPDATE events SET seq = 4 WHERE case_id = {b} AND seq = 5")).await;
    sql(format!("UPDATE events SET seq = 5 WHERE case_id = {b} AND seq = 100")).await;
    let t = fault().await.expect_err("a reordering is found");
    assert_eq!((t.case_id, t.seq), (b, 4), "{t}");
    assert!(matches!(t.kind, TamperKind::Edited | TamperKind::Reordered), "{t}");
    sql(format!("UPDATE events SET seq = 100 WHERE case_id = {b} AND seq = 4")).await;
    sql(format!("UPDATE events SET seq = 4 WHERE case_id = {b} AND seq = 5")).await;
    sql(format!("UPDATE events SET seq = 5 WHERE case_id = {b} AND seq = 100")).await;
    assert!(fault().await.is_ok());

    // Delete an event in the middle.
    sql(format!("DELETE FROM events WHERE case_id = {b} AND seq = 6")).await;
    let t = fault().await.expect_err("a deletion is found");
    assert_eq!((t.case_id, t.seq, t.kind), (b, 6, TamperKind::Deleted), "{t}");

    // Delete a whole case with its events: only the ledger can notice.
    sql(format!("DELETE FROM events WHERE case_id = {b}")).await;
    sql(format!("DELETE FROM case_followers WHERE case_id = {b}")).await;
    sql(format!("DELETE FROM cases WHERE id = {b}")).await;
    let t = fault().await.expect_err("a deleted case is found");
    assert_eq!(t.kind, TamperKind::Deleted, "{t}");
    assert!(t.ledger_seq.is_some(), "{t}");
}
