//! Worked examples, computed by hand, through holidays, extensions, parking, rework, reopening.

use super::*;
use crate::case::{self, Action, Actor, Case, Channel, Command, Report, Rules};
use crate::taxonomy::{RequestType, Taxonomy};
use crate::time::china_standard_time;

fn code(s: &str) -> AreaCode {
    AreaCode::parse("t", s).unwrap()
}

fn local(s: &str) -> Timestamp {
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    Timestamp::from_datetime(&t.and_local_timezone(china_standard_time()).unwrap())
}

fn rules() -> Rules {
    Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 }
}

/// One case's life, step by step, keeping its events.
struct Life {
    rules: Rules,
    case: Case,
    events: Vec<Event>,
}

const GRID: &str = "110101001001001";

fn staff(id: &str, role: Role, unit: Option<&str>) -> Actor {
    Actor::staff(id, role, &code("110101"), unit)
}

impl Life {
    fn report(subclass: &str, at: &str, by: Actor) -> Life {
        let rules = rules();
        let report = Report {
            subclass: SubclassId::parse("s", subclass).unwrap(),
            request_type: RequestType::Complaint,
            urgency: None,
            grid: code(GRID),
            location: crate::geo::Point { lon: 116.4, lat: 39.9 },
            address: String::new(),
            description: "问题".into(),
            channel: Channel::Portal,
            photos: vec![],
        };
        let (case, e) = case::open(1, report, &by, local(at), &rules).unwrap();
        Life { rules, case, events: vec![e] }
    }

    fn act(&mut self, at: &str, actor: Actor, action: Action) -> &mut Self {
        let cmd = Command { actor, at: local(at), action, note: "说明".into(), attachments: vec!["p".into()] };
        let (c, e) = case::decide(&self.case, &cmd, &self.rules).unwrap_or_else(|r| panic!("{r}"));
        self.case = c;
        self.events.push(e);
        self
    }

    fn file(&mut self, at: &str) -> &mut Self {
        self.act(at, staff("op", Role::IntakeOperator, None), Action::File { subclass: None, urgency: None })
    }
    fn dispatch(&mut self, at: &str, unit: &str) -> &mut Self {
        self.act(at, staff("disp", Role::Dispatcher, None), Action::Dispatch { lead: unit.into(), assisting: vec![] })
    }
    fn accept(&mut self, at: &str, unit: &str) -> &mut Self {
        self.act(at, staff("h", Role::Handler, Some(unit)), Action::Accept)
    }
    fn back(&mut self, at: &str, unit: &str) -> &mut Self {
        self.act(at, staff("h", Role::Handler, Some(unit)), Action::ReportBack)
    }
    fn verify(&mut self, at: &str, passed: bool) -> &mut Self {
        self.act(at, staff("gm", Role::GridMember, None), Action::Verify { passed })
    }
    fn close(&mut self, at: &str, fixed: bool) -> &mut Self {
        self.act(at, staff("chief", Role::ShiftChief, Some("centre")), Action::Close { fixed })
    }
    fn rate(&mut self, at: &str, satisfaction: Satisfaction, fixed: bool, responded: bool) -> &mut Self {
        self.act(at, Actor::resident("r"), Action::Evaluate { satisfaction, fixed, responded: Some(responded) })
    }

    fn facts(&self) -> Facts {
        Facts::of(&self.events, &self.rules.calendar, &Policy::default()).unwrap()
    }

    fn contribution(&self) -> Contribution {
        contributions(&self.facts(), &self.rules.calendar, &Policy::default())
    }
}

/// The district's counters summed over days `from..=to`, and its buckets.
fn district(c: &Contribution, from: u32, to: u32) -> (Counters, BTreeMap<i64, i64>) {
    sum(c, Dim::Area, "110101", from, to)
}

fn sum(c: &Contribution, dim: Dim, key: &str, from: u32, to: u32) -> (Counters, BTreeMap<i64, i64>) {
    let mut total = Counters::default();
    let mut buckets = BTreeMap::new();
    for (k, v) in &c.counters {
        if k.dim == dim && k.key == key && (from..=to).contains(&k.day) {
            total.add(v);
        }
    }
    for ((k, b), n) in &c.buckets {
        if k.dim == dim && k.key == key && (from..=to).contains(&k.day) {
            *buckets.entry(*b).or_default() += n;
        }
    }
    (total, buckets)
}

#[test]
fn a_case_across_national_day_closed_on_time() {
    // 暴露垃圾 (1 working day). Reported Wed Sep 30 09:20, filed 09:50 (30 working minutes: on
    // time), dispatched 10:00 → due Thu Oct 8 10:00 (6 h left on Sep 30, Oct 1–7 off).
    let mut l = Life::report("E0102", "2026-09-30 09:20", Actor::resident("r"));
    l.file("2026-09-30 09:50").dispatch("2026-09-30 10:00", "hw").accept("2026-09-30 10:30", "hw");
    l.back("2026-10-08 08:30", "hw").verify("2026-10-08 08:45", true).close("2026-10-08 09:00", true);
    l.rate("2026-10-08 15:00", Satisfaction::Basically, true, true);
    let f = l.facts();
    assert_eq!(f.due_at, Some(local("2026-10-08 10:00")));
    assert_eq!(f.closed, Some((local("2026-10-08 09:00"), true, Some(true))));
    // Handling: Sep 30 10:00–12:00 and 13:30–17:30 = 6 h; Oct 8 before 09:00 none.
    assert_eq!(f.handling_minutes, Some(360));

    let c = l.contribution();
    let (k, b) = district(&c, 20260901, 20261031);
    let i = Indicators::from_counters(&k, &b, &Policy::default());
    assert_eq!((i.reported, i.filed, i.dispatched, i.closed), (1, 1, 1, 1));
    assert_eq!(i.filing_on_time.value, Some(1.0));
    assert_eq!(i.ack_in_time.value, Some(1.0));
    assert_eq!((i.closure.value, i.closure_on_time.value), (Some(1.0), Some(1.0)));
    // 6 h falls in bucket 12 (6:00–6:30): the p90 is that bucket's upper edge.
    assert_eq!((i.handling_hours_avg, i.handling_hours_p90), (Some(6.0), Some(6.5)));
    // Basically satisfied counts as satisfied by default: composite 30 + 35 + 35.
    assert_eq!(i.composite, Some(100.0));
    assert_eq!(i.grade.as_deref(), Some("A"));
    // The report counts on Sep 30, the closure and the due date on Oct 8.
    assert_eq!(district(&c, 20260930, 20260930).0.reported, 1);
    assert_eq!(district(&c, 20261008, 20261008).0.due, 1);
    assert_eq!(district(&c, 20260930, 20260930).0.due, 0);
    // Every level above the grid sees the same case; the other street does not.
    for node in ["11", "1101", "110101", "110101001", "110101001001", GRID] {
        assert_eq!(sum(&c, Dim::Area, node, 0, 99999999).0.reported, 1, "{node}");
    }
    assert_eq!(sum(&c, Dim::Area, "110101002", 0, 99999999).0.reported, 0);
    assert_eq!(sum(&c, Dim::Unit, "hw", 0, 99999999).0.closed, 1);
    assert_eq!(sum(&c, Dim::Staff, "op", 0, 99999999).0.filed_on_time, 1);
}

#[test]
fn an_extension_moves_the_deadline_and_parking_defers_the_case() {
    // 私搭乱建 (5 d). Dispatched Mon Nov 16 10:00 → due Mon Nov 23 10:00. Two working days'
    // extension → due Wed Nov 25 10:00. Closed Tue Nov 24 16:00: late by the first deadline,
    // on time by the extended one.
    let mut l = Life::report("E0101", "2026-11-16 09:00", Actor::resident("r"));
    l.file("2026-11-16 09:40").dispatch("2026-11-16 10:00", "cgzf").accept("2026-11-17 11:00", "cgzf");
    assert_eq!(l.case.clock.due_at, Some(local("2026-11-23 10:00")));
    l.act("2026-11-18 10:00", staff("h", Role::Handler, Some("cgzf")), Action::RequestExtension { minutes: 2 * 420 });
    l.act(
        "2026-11-18 11:00",
        staff("chief", Role::ShiftChief, Some("centre")),
        Action::DecideExtension { approve: true },
    );
    l.back("2026-11-24 15:00", "cgzf").verify("2026-11-24 15:30", true).close("2026-11-24 16:00", true);
    let f = l.facts();
    assert_eq!(f.due_at, Some(local("2026-11-25 10:00")));
    assert_eq!(f.closed.unwrap().2, Some(true));
    // Accepted 25 h after dispatch: not within 24 hours.
    let (k, b) = district(&l.contribution(), 0, 99999999);
    let i = Indicators::from_counters(&k, &b, &Policy::default());
    assert_eq!((i.ack_in_time.numerator, i.ack_in_time.denominator), (0.0, 1));
    assert_eq!(i.closure_on_time.value, Some(1.0));

    // Parked, then closed not fixed while parked: due, but deferred — out of both closure rates.
    let mut p = Life::report("E0101", "2026-11-16 09:00", Actor::resident("r"));
    p.file("2026-11-16 09:30").dispatch("2026-11-16 10:00", "cgzf").accept("2026-11-16 11:00", "cgzf");
    p.act("2026-11-17 10:00", staff("chief", Role::ShiftChief, Some("centre")), Action::Park);
    p.close("2026-11-20 10:00", false);
    let f = p.facts();
    assert_eq!(f.closed, Some((local("2026-11-20 10:00"), false, None)));
    // Handling excludes the parked working time: Nov 16 10:00 → Nov 17 10:00 = 7 h.
    assert_eq!(f.handling_minutes, Some(420));
    let (k, b) = district(&p.contribution(), 0, 99999999);
    assert_eq!((k.due, k.due_deferred, k.due_closed), (1, 1, 0));
    let i = Indicators::from_counters(&k, &b, &Policy::default());
    assert_eq!(i.closure.value, None, "nothing left to count once the deferred case is out");
    assert_eq!((i.closed, k.closed_fixed), (1, 0));
}

#[test]
fn rework_and_reopening_count_once_with_the_last_answer() {
    let mut l = Life::report("E0102", "2026-11-16 09:00", Actor::resident("r"));
    l.file("2026-11-16 09:10").dispatch("2026-11-16 09:20", "hw").accept("2026-11-16 09:30", "hw");
    l.back("2026-11-16 11:00", "hw").verify("2026-11-16 11:30", false);
    l.back("2026-11-16 14:00", "hw").verify("2026-11-16 14:30", true).close("2026-11-16 15:00", true);
    // Not satisfied, not fixed: reopened to the unit, closed again, then satisfied.
    l.rate("2026-11-16 16:00", Satisfaction::NotSatisfied, false, false);
    assert_eq!(l.case.state, State::Dispatched);
    l.accept("2026-11-17 09:30", "hw").back("2026-11-17 11:00", "hw").verify("2026-11-17 11:30", true);
    l.close("2026-11-17 12:00", true).rate("2026-11-17 16:00", Satisfaction::Satisfied, true, true);
    let (k, b) = district(&l.contribution(), 0, 99999999);
    let i = Indicators::from_counters(&k, &b, &Policy::default());
    assert_eq!((k.handled, k.reworked), (1, 1));
    assert_eq!(i.rework.value, Some(1.0));
    assert_eq!((k.answered, k.satisfied, k.not_satisfied), (1, 1, 0), "the reopening's answer no longer stands");
    assert_eq!(i.closed, 1);
    // The first dispatch counts, and the re-dispatch of the reopening too.
    assert_eq!(k.dispatched, 2);
    // Handling: Nov 16 09:20 → Nov 17 12:00 in working time = 8:10 of Nov 16 … :
    // 09:20–12:00 (160) + 13:30–17:30 (240) + Nov 17 09:00–12:00 (180) = 580 minutes.
    assert_eq!(l.facts().handling_minutes, Some(580));
    assert!((i.handling_hours_avg.unwrap() - 580.0 / 60.0).abs() < 1e-9);
}

#[test]
fn grid_reports_are_accurate_unless_voided_and_no_answer_is_never_satisfied() {
    let gm = staff("gm-1", Role::GridMember, None);
    let mut ok = Life::report("E0102", "2026-11-16 09:00", gm.clone());
    ok.file("2026-11-16 09:10");
    let mut voided = Life::report("E0102", "2026-11-16 09:00", gm.clone());
    voided.file("2026-11-16 09:10").act("2026-11-16 09:20", staff("chief", Role::ShiftChief, None), Action::Void);
    let mut total = ok.contribution();
    total.merge(&voided.contribution());
    let (k, b) = sum(&total, Dim::Staff, "gm-1", 0, 99999999);
    let i = Indicators::from_counters(&k, &b, &Policy::default());
    assert_eq!((i.report_accuracy.numerator, i.report_accuracy.denominator), (1.0, 2));
    let (k, b) = district(&total, 0, 99999999);
    let i = Indicators::from_counters(&k, &b, &Policy::default());
    assert_eq!(i.filing_accuracy.value, Some(0.5));

    let mut silent = Life::report("E0102", "2026-11-16 09:00", Actor::resident("r"));
    silent.file("2026-11-16 09:10").dispatch("2026-11-16 09:20", "hw").accept("2026-11-16 09:30", "hw");
    silent.back("2026-11-16 11:00", "hw").verify("2026-11-16 11:30", true).close("2026-11-16 12:00", true);
    silent.act("2026-11-19 12:00", Actor::system(), Action::FollowUpExpired);
    let (k, b) = district(&silent.contribution(), 0, 99999999);
    let i = Indicators::from_counters(&k, &b, &Policy::default());
    assert_eq!((i.no_answer, i.satisfaction.value, i.composite), (1, None, None));
}

#[test]
fn keeping_counters_current_event_by_event_equals_recomputing() {
    let mut l = Life::report("E0102", "2026-09-30 09:20", Actor::resident("r"));
    l.file("2026-09-30 09:50").dispatch("2026-09-30 10:00", "hw").accept("2026-09-30 10:30", "hw");
    l.act("2026-09-30 11:00", staff("h", Role::Handler, Some("hw")), Action::Return);
    l.dispatch("2026-09-30 11:30", "cgzf").accept("2026-09-30 11:40", "cgzf");
    l.act("2026-09-30 13:40", staff("chief", Role::ShiftChief, Some("centre")), Action::Park);
    l.act("2026-10-09 09:00", staff("chief", Role::ShiftChief, Some("centre")), Action::Unpark);
    l.back("2026-10-09 10:00", "cgzf").verify("2026-10-09 10:30", false).back("2026-10-09 15:00", "cgzf");
    l.verify("2026-10-09 15:30", true).close("2026-10-09 16:00", true);
    l.rate("2026-10-09 17:00", Satisfaction::NotSatisfied, false, true);
    l.accept("2026-10-10 10:00", "cgzf").back("2026-10-10 11:00", "cgzf").verify("2026-10-10 11:30", true);
    l.close("2026-10-10 12:00", true).rate("2026-10-12 09:00", Satisfaction::Satisfied, true, true);

    let cal = &l.rules.calendar;
    let policy = Policy::default();
    let mut kept = Contribution::default();
    let mut facts: Option<Facts> = None;
    let mut old = Contribution::default();
    for e in &l.events {
        let before = facts.take();
        let next = Facts::apply(before.clone(), e, cal, &policy);
        let new = contributions(&next, cal, &policy);
        let change = new.minus(&old);
        assert_eq!(contribution_change(before.as_ref(), &next, cal, &policy), change, "event {}", e.seq);
        kept.merge(&change);
        old = new;
        facts = Some(next);
    }
    let recomputed = l.contribution();
    kept.counters.retain(|_, c| !c.is_zero());
    kept.buckets.retain(|_, n| *n != 0);
    assert_eq!(kept, recomputed);
}

#[test]
fn wilson_intervals_and_fair_rankings() {
    let (lo, hi) = wilson(1.0, 1.0);
    assert!((lo - 0.2065).abs() < 1e-4 && (hi - 1.0).abs() < 1e-9, "{lo} {hi}");
    let (lo, hi) = wilson(8.0, 10.0);
    assert!((lo - 0.4902).abs() < 1e-4 && (hi - 0.9433).abs() < 1e-4, "{lo} {hi}");
    let policy = Policy { min_volume: 5, ..Policy::default() };
    let table = rank(
        vec![
            ("one-fast-case".into(), Rate::of(1.0, 1)),
            ("steady".into(), Rate::of(90.0, 100)),
            ("perfect-small".into(), Rate::of(6.0, 6)),
            ("none".into(), Rate::of(0.0, 0)),
        ],
        &policy,
    );
    let order: Vec<(&str, Option<usize>)> = table.iter().map(|r| (r.key.as_str(), r.place)).collect();
    // 90/100 has a lower bound of 0.826, 6/6 of 0.610: the steady record ranks first.
    assert_eq!(order, [("steady", Some(1)), ("perfect-small", Some(2)), ("one-fast-case", None), ("none", None)]);
    assert_eq!(table[2].count, 1);
}

#[test]
fn counters_round_trip_through_their_columns() {
    let c = Counters { reported: 3, no_answer: 2, handling_minutes: 600, ..Counters::default() };
    assert_eq!(Counters::from_values(&c.values()), c);
    assert_eq!(Counters::NAMES.len(), c.values().len());
}

#[test]
fn a_deployment_writes_only_what_it_changes() {
    let p: Policy =
        toml::from_str("weights = [0.2, 0.4, 0.4]\nmin_volume = 30\ngrades = [[85.0, \"优秀\"], [0.0, \"待改进\"]]")
            .unwrap();
    assert_eq!((p.weights, p.min_volume, p.filing_limit_minutes), ([0.2, 0.4, 0.4], 30, 60));
    let c = Counters {
        answered: 10,
        responded_asked: 10,
        responded: 10,
        said_fixed: 5,
        satisfied: 10,
        ..Counters::default()
    };
    let i = Indicators::from_counters(&c, &BTreeMap::new(), &p);
    // 0.2 × 100 + 0.4 × 50 + 0.4 × 100 = 80.
    assert_eq!((i.composite, i.grade.as_deref()), (Some(80.0), Some("待改进")));
}
