//! The closed loop, step by step, with every exception flow and every "who may" rule.

use super::*;
use crate::audit::{CaseCheck, CaseHead, TamperKind};
use crate::time::MINUTE_MS;

fn code(s: &str) -> AreaCode {
    AreaCode::parse("t", s).unwrap()
}

fn rules() -> Rules {
    Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 }
}

/// Monday 2025-11-17 10:00 CST, an ordinary working day.
const T0: Timestamp = Timestamp(1_763_344_800_000);

struct World {
    rules: Rules,
    street: AreaCode,
    grid: AreaCode,
}

impl World {
    fn new() -> World {
        World { rules: rules(), street: code("110101001"), grid: code("110101001001001") }
    }
    fn chief(&self) -> Actor {
        Actor::staff("chief", Role::ShiftChief, &code("110101"), Some("command-centre"))
    }
    fn operator(&self) -> Actor {
        Actor::staff("op", Role::IntakeOperator, &code("110101"), None)
    }
    fn dispatcher(&self) -> Actor {
        Actor::staff("disp", Role::Dispatcher, &code("110101"), None)
    }
    fn handler(&self) -> Actor {
        Actor::staff("h1", Role::Handler, &code("110101"), Some("cgzf"))
    }
    fn member(&self, id: &str) -> Actor {
        Actor::staff(id, Role::GridMember, &self.grid, None)
    }
    fn report(&self, subclass: &str) -> Report {
        Report {
            subclass: SubclassId::parse("s", subclass).unwrap(),
            request_type: RequestType::Complaint,
            urgency: None,
            grid: self.grid.clone(),
            location: Point { lon: 116.4, lat: 39.9 },
            address: "东华门大街 1 号".into(),
            description: "路边私搭乱建".into(),
            channel: Channel::Portal,
            photos: vec!["p1.jpg".into()],
        }
    }
    fn open(&self, by: &Actor) -> (Case, Vec<Event>) {
        let (c, e) = open(7, self.report("E0101"), by, T0, &self.rules).unwrap();
        (c, vec![e])
    }
}

fn act(
    w: &World,
    case: &mut Case,
    events: &mut Vec<Event>,
    actor: &Actor,
    minutes: i64,
    action: Action,
) -> Result<(), Refusal> {
    let cmd = Command {
        actor: actor.clone(),
        at: T0.plus_ms(minutes * MINUTE_MS),
        action,
        note: "说明".into(),
        attachments: vec![],
    };
    let (next, event) = decide(case, &cmd, &w.rules)?;
    *case = next;
    events.push(event);
    Ok(())
}

fn chain_ok(case: &Case, events: &[Event]) {
    let mut check = CaseCheck::new(case.id);
    for e in events {
        check.event(e).unwrap();
    }
    check.finish(&CaseHead { id: case.id, seq: case.seq, state: case.state, head: case.head }).unwrap();
}

#[test]
fn the_seven_steps() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    assert_eq!(c.state, State::Reported);
    act(&w, &mut c, &mut ev, &w.operator(), 5, Action::File { subclass: None, urgency: None }).unwrap();
    act(&w, &mut c, &mut ev, &w.dispatcher(), 10, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }).unwrap();
    assert_eq!(c.state, State::Dispatched);
    // 私搭乱建 has 5 working days: Mon 10:10 → next Mon 10:10.
    assert_eq!(c.clock.due_at, Some(T0.plus_ms((7 * 24 * 60 + 10) * MINUTE_MS)));
    act(&w, &mut c, &mut ev, &w.handler(), 30, Action::Accept).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 600, Action::ReportBack).unwrap();
    act(&w, &mut c, &mut ev, &w.member("m1"), 700, Action::Verify { passed: true }).unwrap();
    act(&w, &mut c, &mut ev, &w.chief(), 710, Action::Close { fixed: true }).unwrap();
    assert_eq!(c.state, State::ClosedFixed);
    act(
        &w,
        &mut c,
        &mut ev,
        &Actor::resident("r1"),
        800,
        Action::Evaluate { satisfaction: Satisfaction::Satisfied, fixed: true, responded: None },
    )
    .unwrap();
    assert_eq!(c.state, State::ClosedFixed);
    assert_eq!(c.rating.unwrap().satisfaction, Satisfaction::Satisfied);
    assert_eq!(ev.len(), 8);
    chain_ok(&c, &ev);
}

#[test]
fn illegal_transitions_name_the_state_and_the_role() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    let e = act(&w, &mut c, &mut ev, &w.handler(), 1, Action::ReportBack).unwrap_err();
    // The handler is not the lead unit yet, but the state is checked first: it names both.
    assert_eq!(e.code, "illegal_transition");
    assert!(e.zh.contains("待立案") && e.zh.contains("责任单位处置人员"), "{}", e.zh);
    assert!(e.en.contains("reported, awaiting filing") && e.en.contains("handler"), "{}", e.en);
    let e = act(&w, &mut c, &mut ev, &Actor::resident("r1"), 1, Action::File { subclass: None, urgency: None })
        .unwrap_err();
    assert_eq!(e.code, "role_not_allowed");
    assert!(e.zh.contains("居民") && e.zh.contains("受理员") && e.zh.contains("值班长"), "{}", e.zh);
    assert_eq!(ev.len(), 1, "refusals record nothing");
}

#[test]
fn the_handling_unit_never_closes_its_own_case() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    act(&w, &mut c, &mut ev, &w.operator(), 1, Action::File { subclass: None, urgency: None }).unwrap();
    act(&w, &mut c, &mut ev, &w.dispatcher(), 2, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 3, Action::Accept).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 4, Action::ReportBack).unwrap();
    // A handler cannot verify or close at all.
    assert_eq!(
        act(&w, &mut c, &mut ev, &w.handler(), 5, Action::Verify { passed: true }).unwrap_err().code,
        "role_not_allowed"
    );
    act(&w, &mut c, &mut ev, &w.member("m1"), 6, Action::Verify { passed: true }).unwrap();
    // A shift chief who belongs to the handling unit cannot close either.
    let insider = Actor::staff("c2", Role::ShiftChief, &code("110101"), Some("cgzf"));
    assert_eq!(
        act(&w, &mut c, &mut ev, &insider, 7, Action::Close { fixed: true }).unwrap_err().code,
        "own_unit_close"
    );
    act(&w, &mut c, &mut ev, &w.chief(), 8, Action::Close { fixed: true }).unwrap();
}

#[test]
fn another_units_handler_cannot_touch_the_case() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    act(&w, &mut c, &mut ev, &w.operator(), 1, Action::File { subclass: None, urgency: None }).unwrap();
    act(&w, &mut c, &mut ev, &w.dispatcher(), 2, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }).unwrap();
    let other = Actor::staff("h9", Role::Handler, &code("110101"), Some("hw"));
    assert_eq!(act(&w, &mut c, &mut ev, &other, 3, Action::Accept).unwrap_err().code, "not_your_unit");
    let far = Actor::staff("d2", Role::Dispatcher, &code("110102"), None);
    assert_eq!(act(&w, &mut c, &mut ev, &far, 3, Action::Return).unwrap_err().code, "role_not_allowed");
    let far_chief = Actor::staff("c9", Role::ShiftChief, &code("110102"), None);
    assert_eq!(act(&w, &mut c, &mut ev, &far_chief, 3, Action::Park).unwrap_err().code, "outside_jurisdiction");
}

#[test]
fn small_matters_settled_in_the_grid_are_still_verified_by_someone_else() {
    let w = World::new();
    let m1 = w.member("m1");
    let (mut c, mut ev) = w.open(&m1);
    // Another grid member did not report it.
    assert_eq!(act(&w, &mut c, &mut ev, &w.member("m2"), 1, Action::SettleInGrid).unwrap_err().code, "not_own_report");
    act(&w, &mut c, &mut ev, &m1, 1, Action::SettleInGrid).unwrap();
    assert_eq!(c.state, State::ReportedBack);
    assert_eq!(
        act(&w, &mut c, &mut ev, &m1, 2, Action::Verify { passed: true }).unwrap_err().code,
        "self_verification"
    );
    act(&w, &mut c, &mut ev, &w.member("m2"), 3, Action::Verify { passed: true }).unwrap();
    act(&w, &mut c, &mut ev, &w.chief(), 4, Action::Close { fixed: true }).unwrap();
    assert!(c.settled_in_grid && c.lead_unit.is_none());
    chain_ok(&c, &ev);
}

#[test]
fn return_rework_reopen_and_honest_outcomes() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    act(&w, &mut c, &mut ev, &w.operator(), 1, Action::File { subclass: None, urgency: None }).unwrap();
    act(&w, &mut c, &mut ev, &w.dispatcher(), 2, Action::Dispatch { lead: "hw".into(), assisting: vec![] }).unwrap();
    let hw = Actor::staff("h2", Role::Handler, &code("110101"), Some("hw"));
    act(&w, &mut c, &mut ev, &hw, 3, Action::Return).unwrap();
    assert_eq!((c.state, c.return_count, c.clock.due_at), (State::Returned, 1, None));
    act(
        &w,
        &mut c,
        &mut ev,
        &w.dispatcher(),
        4,
        Action::Dispatch { lead: "cgzf".into(), assisting: vec!["hw".into()] },
    )
    .unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 5, Action::Accept).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 6, Action::ReportBack).unwrap();
    act(&w, &mut c, &mut ev, &w.member("m1"), 7, Action::Verify { passed: false }).unwrap();
    assert_eq!((c.state, c.rework_count), (State::Handling, 1));
    act(&w, &mut c, &mut ev, &w.handler(), 8, Action::ReportBack).unwrap();
    act(&w, &mut c, &mut ev, &w.member("m1"), 9, Action::Verify { passed: true }).unwrap();
    act(&w, &mut c, &mut ev, &w.chief(), 10, Action::Close { fixed: true }).unwrap();
    // "Not satisfied, not fixed" sends it back to the unit with a fresh clock.
    act(
        &w,
        &mut c,
        &mut ev,
        &Actor::resident("r1"),
        11,
        Action::Evaluate { satisfaction: Satisfaction::NotSatisfied, fixed: false, responded: None },
    )
    .unwrap();
    assert_eq!((c.state, c.reopen_count, c.lead_unit.as_deref()), (State::Dispatched, 1, Some("cgzf")));
    assert!(c.rating.is_none() && c.closed_at.is_none());
    act(&w, &mut c, &mut ev, &w.handler(), 12, Action::Accept).unwrap();
    act(&w, &mut c, &mut ev, &w.chief(), 13, Action::Park).unwrap();
    // Closed without a fix is its own state.
    act(&w, &mut c, &mut ev, &w.chief(), 14, Action::Close { fixed: false }).unwrap();
    assert_eq!(c.state, State::ClosedNotFixed);
    assert_eq!(
        act(&w, &mut c, &mut ev, &Actor::resident("r1"), 15, Action::Reopen).unwrap_err().code,
        "illegal_transition"
    );
    chain_ok(&c, &ev);
}

#[test]
fn void_and_duplicate_are_distinct_ends() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    // Voiding needs a reason.
    let cmd = Command { actor: w.chief(), at: T0, action: Action::Void, note: " ".into(), attachments: vec![] };
    let e = decide(&c, &cmd, &w.rules).unwrap_err();
    assert!(e.en.contains("note") && e.zh.contains("note"), "{e}");
    act(&w, &mut c, &mut ev, &w.chief(), 1, Action::Void).unwrap();
    assert_eq!(c.state, State::Voided);
    assert!(!c.state.is_open());

    let (mut d, mut dev) = w.open(&Actor::resident("r2"));
    act(&w, &mut d, &mut dev, &w.operator(), 1, Action::MarkDuplicate { of: 3 }).unwrap();
    assert_eq!((d.state, d.duplicate_of), (State::Duplicate, Some(3)));
}

#[test]
fn a_report_for_an_elder_is_theirs_and_names_who_sent_it() {
    let w = World::new();
    let son = Actor { on_behalf_of: Some("elder".into()), ..Actor::resident("son") };
    let (c, ev) = w.open(&son);
    assert_eq!((c.reporter.as_str(), c.followers.as_slice()), ("elder", ["elder".to_owned()].as_slice()));
    let detail: serde_json::Value = serde_json::from_str(&ev[0].detail).unwrap();
    assert_eq!((ev[0].actor.as_str(), &detail["on_behalf_of"]), ("son", &serde_json::json!("elder")));
    assert_eq!(detail["subclass"], "E0101", "the report itself is still the detail");
    let own = w.open(&Actor::resident("elder")).1;
    let detail: serde_json::Value = serde_json::from_str(&own[0].detail).unwrap();
    assert!(detail.get("on_behalf_of").is_none(), "nobody else acted");
}

#[test]
fn proxies_rate_for_the_elder_and_strangers_cannot() {
    let w = World::new();
    let elder = Actor::resident("elder");
    let (mut c, mut ev) = w.open(&elder);
    act(&w, &mut c, &mut ev, &w.operator(), 1, Action::File { subclass: None, urgency: None }).unwrap();
    act(&w, &mut c, &mut ev, &w.dispatcher(), 2, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 3, Action::Accept).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 4, Action::ReportBack).unwrap();
    act(&w, &mut c, &mut ev, &w.member("m1"), 5, Action::Verify { passed: true }).unwrap();
    act(&w, &mut c, &mut ev, &w.chief(), 6, Action::Close { fixed: true }).unwrap();
    let stranger = Actor::resident("x");
    let rate = Action::Evaluate { satisfaction: Satisfaction::Basically, fixed: true, responded: None };
    assert_eq!(act(&w, &mut c, &mut ev, &stranger, 7, rate.clone()).unwrap_err().code, "not_reporter");
    let son = Actor { on_behalf_of: Some("elder".into()), ..Actor::resident("son") };
    act(&w, &mut c, &mut ev, &son, 7, rate.clone()).unwrap();
    // The son acted, for the elder: both are in the event.
    let rated = ev.last().unwrap();
    let detail: serde_json::Value = serde_json::from_str(&rated.detail).unwrap();
    assert_eq!((rated.actor.as_str(), &detail["on_behalf_of"]), ("son", &serde_json::json!("elder")));
    assert_eq!(act(&w, &mut c, &mut ev, &elder, 8, rate).unwrap_err().code, "already_rated");
}

#[test]
fn extensions_add_time_and_parking_stops_the_clock() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    act(&w, &mut c, &mut ev, &w.operator(), 0, Action::File { subclass: None, urgency: None }).unwrap();
    act(&w, &mut c, &mut ev, &w.dispatcher(), 0, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 0, Action::Accept).unwrap();
    let day = w.rules.calendar.minutes_per_working_day();
    assert_eq!(c.clock.limit_minutes, 5 * day);
    let due = c.clock.due_at.unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 10, Action::RequestExtension { minutes: 2 * day }).unwrap();
    assert_eq!(
        act(&w, &mut c, &mut ev, &w.handler(), 11, Action::RequestExtension { minutes: day }).unwrap_err().code,
        "extension_pending"
    );
    act(&w, &mut c, &mut ev, &w.chief(), 20, Action::DecideExtension { approve: true }).unwrap();
    assert_eq!(c.clock.limit_minutes, 7 * day);
    assert_eq!(c.clock.due_at, Some(w.rules.calendar.add_working_minutes(due, 2 * day)));
    // Park for a whole calendar week: the deadline moves by the parked working time.
    act(&w, &mut c, &mut ev, &w.chief(), 60, Action::Park).unwrap();
    assert_eq!((c.clock.due_at, c.clock.used_minutes), (None, 60));
    act(&w, &mut c, &mut ev, &w.chief(), 60 + 7 * 24 * 60, Action::Unpark).unwrap();
    let resumed = T0.plus_ms((60 + 7 * 24 * 60) * MINUTE_MS);
    assert_eq!(c.clock.due_at, Some(w.rules.calendar.add_working_minutes(resumed, 7 * day - 60)));
    assert_eq!(c.state, State::Handling);
}

#[test]
fn warnings_and_overdue_only_when_due() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    act(&w, &mut c, &mut ev, &w.operator(), 0, Action::File { subclass: None, urgency: Some(Urgency::Urgent) })
        .unwrap();
    act(&w, &mut c, &mut ev, &w.dispatcher(), 0, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }).unwrap();
    // Urgent: 2 working hours; warning at 80 % = 96 minutes.
    assert_eq!(c.clock.limit_minutes, 120);
    let sys = Actor::system();
    assert_eq!(act(&w, &mut c, &mut ev, &sys, 95, Action::Warn).unwrap_err().code, "not_due");
    act(&w, &mut c, &mut ev, &sys, 96, Action::Warn).unwrap();
    assert_eq!(act(&w, &mut c, &mut ev, &sys, 97, Action::Warn).unwrap_err().code, "not_due");
    act(&w, &mut c, &mut ev, &sys, 120, Action::MarkOverdue).unwrap();
    assert!(c.warned && c.overdue);
    let sup = Actor::staff("s", Role::Supervisor, &code("110101"), None);
    act(&w, &mut c, &mut ev, &sup, 121, Action::Supervise).unwrap();
    act(&w, &mut c, &mut ev, &sup, 122, Action::Urge).unwrap();
    act(&w, &mut c, &mut ev, &sup, 123, Action::Escalate { to: w.street.clone() }).unwrap();
    assert_eq!(
        act(&w, &mut c, &mut ev, &sup, 124, Action::Escalate { to: code("110102") }).unwrap_err().code,
        "invalid_field"
    );
    assert!(c.supervised && c.urge_count == 1 && c.escalated_to == Some(w.street.clone()));
    chain_ok(&c, &ev);
}

#[test]
fn the_chain_names_edits_deletions_insertions_and_reorderings() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    act(&w, &mut c, &mut ev, &w.operator(), 1, Action::File { subclass: None, urgency: None }).unwrap();
    act(&w, &mut c, &mut ev, &w.dispatcher(), 2, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 3, Action::Accept).unwrap();
    let head = CaseHead { id: c.id, seq: c.seq, state: c.state, head: c.head };
    let first_fault = |events: &[Event], head: &CaseHead| {
        let mut check = CaseCheck::new(c.id);
        for e in events {
            check.event(e)?;
        }
        check.finish(head)
    };
    let mut edited = ev.clone();
    edited[1].note = "改过".into();
    let t = first_fault(&edited, &head).unwrap_err();
    assert_eq!((t.seq, t.kind), (2, TamperKind::Edited));

    let mut deleted = ev.clone();
    deleted.remove(2);
    let t = first_fault(&deleted, &head).unwrap_err();
    assert_eq!((t.seq, t.kind), (3, TamperKind::Deleted));

    let mut reordered = ev.clone();
    reordered.swap(1, 2);
    (reordered[1].seq, reordered[2].seq) = (2, 3);
    let t = first_fault(&reordered, &head).unwrap_err();
    assert_eq!(t.seq, 2);
    assert!(matches!(t.kind, TamperKind::Edited | TamperKind::Reordered));

    let mut tail_cut = ev.clone();
    tail_cut.pop();
    let t = first_fault(&tail_cut, &head).unwrap_err();
    assert_eq!((t.seq, t.kind), (4, TamperKind::Deleted));

    let t = first_fault(&ev, &CaseHead { state: State::ClosedFixed, ..head.clone() }).unwrap_err();
    assert_eq!(t.kind, TamperKind::CaseRowChanged);
}

/// 2026-09-30 10:00 CST, the last working day before the National Day holiday.
const EVE_OF_NATIONAL_DAY: Timestamp = Timestamp(1_790_733_600_000);

#[test]
fn deadlines_skip_national_day_and_count_the_adjusted_saturday() {
    let w = World::new();
    let dispatch_at = |subclass: &str, at: Timestamp| {
        let (c, _) = open(1, w.report(subclass), &Actor::resident("r"), at, &w.rules).unwrap();
        let filed = decide(
            &c,
            &Command {
                actor: w.operator(),
                at,
                action: Action::File { subclass: None, urgency: None },
                note: String::new(),
                attachments: vec![],
            },
            &w.rules,
        )
        .unwrap()
        .0;
        let cmd = Command {
            actor: w.dispatcher(),
            at,
            action: Action::Dispatch { lead: "cgzf".into(), assisting: vec![] },
            note: String::new(),
            attachments: vec![],
        };
        decide(&filed, &cmd, &w.rules).unwrap().0
    };
    let local = |s: &str| {
        let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        Timestamp::from_datetime(&t.and_local_timezone(crate::time::china_standard_time()).unwrap())
    };
    assert_eq!(EVE_OF_NATIONAL_DAY, local("2026-09-30 10:00"));
    // 暴露垃圾, 1 working day: 6 h left on Sep 30, then Oct 1–7 are off; due Thursday Oct 8 10:00.
    assert_eq!(dispatch_at("E0102", EVE_OF_NATIONAL_DAY).clock.due_at, Some(local("2026-10-08 10:00")));
    // 私搭乱建, 5 working days, each ending at 10:00: Oct 8, Oct 9, Sat Oct 10 (调休, a working
    // day), Mon Oct 12, Tue Oct 13.
    assert_eq!(dispatch_at("E0101", EVE_OF_NATIONAL_DAY).clock.due_at, Some(local("2026-10-13 10:00")));
    // 管道破裂, 2 working hours, reported on Friday Oct 9 at 17:00: half an hour that day, the
    // rest on the adjusted working Saturday.
    assert_eq!(dispatch_at("E0401", local("2026-10-09 17:00")).clock.due_at, Some(local("2026-10-10 10:30")));
}

#[test]
fn an_unanswered_follow_up_is_its_own_outcome_and_a_late_answer_still_counts() {
    let w = World::new();
    let (mut c, mut ev) = w.open(&Actor::resident("r1"));
    act(&w, &mut c, &mut ev, &w.operator(), 1, Action::File { subclass: None, urgency: None }).unwrap();
    act(&w, &mut c, &mut ev, &w.dispatcher(), 2, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 3, Action::Accept).unwrap();
    act(&w, &mut c, &mut ev, &w.handler(), 4, Action::ReportBack).unwrap();
    act(&w, &mut c, &mut ev, &w.member("m1"), 5, Action::Verify { passed: true }).unwrap();
    act(&w, &mut c, &mut ev, &w.chief(), 6, Action::Close { fixed: true }).unwrap();
    let sys = Actor::system();
    act(&w, &mut c, &mut ev, &sys, 7, Action::FollowUpExpired).unwrap();
    assert!(c.follow_up_expired && c.rating.is_none());
    assert_eq!(act(&w, &mut c, &mut ev, &sys, 8, Action::FollowUpExpired).unwrap_err().code, "already_answered");
    let answer = Action::Evaluate { satisfaction: Satisfaction::Basically, fixed: true, responded: Some(false) };
    act(&w, &mut c, &mut ev, &Actor::resident("r1"), 9, answer).unwrap();
    assert!(!c.follow_up_expired);
    assert_eq!(c.rating.unwrap().responded, Some(false));
    // The scheduler may task the supervisor; it may not urge.
    let (mut d, mut dev) = w.open(&Actor::resident("r2"));
    act(&w, &mut d, &mut dev, &sys, 1, Action::Supervise).unwrap();
    assert_eq!(act(&w, &mut d, &mut dev, &sys, 2, Action::Urge).unwrap_err().code, "role_not_allowed");
    chain_ok(&c, &ev);
}

fn event(seq: u32, step: &str, detail: serde_json::Value) -> Event {
    Event {
        case_id: 1,
        seq,
        at: Timestamp(0),
        actor: "x".into(),
        role: Role::Dispatcher,
        step: step.into(),
        from: None,
        to: State::Dispatched,
        note: String::new(),
        attachments: vec![],
        detail: detail.to_string(),
        prev: [0; 32],
        hash: [0; 32],
    }
}

#[test]
fn units_after_follow_the_last_dispatch() {
    let events = vec![
        event(1, "report", serde_json::json!({})),
        event(2, "file", serde_json::json!({"action": "file", "subclass": null, "urgency": null})),
        event(3, "dispatch", serde_json::json!({"action": "dispatch", "lead": "a", "assisting": ["b"], "due_at": 5})),
        event(4, "return", serde_json::json!({"action": "return"})),
        event(5, "dispatch", serde_json::json!({"action": "dispatch", "lead": "c", "assisting": []})),
    ];
    assert!(units_after(&events, 2).is_empty());
    assert_eq!(units_after(&events, 3), ["a", "b"]);
    assert_eq!(units_after(&events, 4), ["a", "b"], "a return keeps the unit");
    assert_eq!(units_after(&events, 5), ["c"]);
}

#[test]
fn the_public_board_shows_filed_cases_not_unchecked_voided_or_merged_ones() {
    let public: Vec<&str> = State::ALL.iter().filter(|s| s.is_public()).map(|s| s.as_str()).collect();
    assert_eq!(
        public,
        [
            "filed",
            "dispatched",
            "handling",
            "returned",
            "reported_back",
            "verified",
            "parked",
            "closed_fixed",
            "closed_not_fixed"
        ]
    );
}
