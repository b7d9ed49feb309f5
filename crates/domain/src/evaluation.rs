//! Evaluation (考核): what each case's record says, and the indicators computed from it.
//!
//! Three steps, each a pure function, so that the same numbers come out however they are
//! computed — kept current as events arrive, or recomputed from the raw event log:
//! 1. [`Facts`]: everything evaluation needs to know about one case, folded from its events
//!    (`Facts::apply`, one event at a time, in order).
//! 2. [`contributions`]: what those facts add to the counters of each object evaluated — every
//!    node of the jurisdiction tree above the grid (area, 区域), each unit (部门) and each member of
//!    staff (岗位) — on the day (China Standard Time) each thing happened. Counters are sums, so
//!    a store keeps them current by subtracting a case's old contributions and adding its new
//!    ones in the transaction that records the event.
//! 3. [`Indicators::from_counters`]: the rates, with their counts and Wilson intervals, for any
//!    object over any period (the sum of its days).
//!
//! docs/evaluation.md writes out every formula; the tests work examples by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::case::{Action, Event, Role, Satisfaction, State};
use crate::codes::{AreaCode, Level};
use crate::taxonomy::SubclassId;
use crate::time::{HOUR_MS, Timestamp};

/// Deployment choices of evaluation (configuration, with the published defaults). A deployment
/// writes only what it changes: every field left out keeps its default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// A case is filed on time (按时立案) within this many working minutes of its report.
    pub filing_limit_minutes: i64,
    /// A dispatch is acknowledged in time when accepted within this many hours (24).
    pub ack_hours: i64,
    /// A case is completed in time when closed within this many days of its report (7).
    pub completion_days: i64,
    /// What a "basically satisfied" answer counts for in 满意率 (1.0: as satisfied).
    pub basically_weight: f64,
    /// Weights of 响应率, 解决率, 满意率 in the composite (the published 30/35/35).
    pub weights: [f64; 3],
    /// Grade bands on the composite, highest first: (lowest score, grade).
    pub grades: Vec<(f64, String)>,
    /// Entries with fewer cases than this are shown but not ranked.
    pub min_volume: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            filing_limit_minutes: 60,
            ack_hours: 24,
            completion_days: 7,
            basically_weight: 1.0,
            weights: [0.30, 0.35, 0.35],
            grades: vec![(90.0, "A".into()), (80.0, "B".into()), (70.0, "C".into()), (0.0, "D".into())],
            min_volume: 10,
        }
    }
}

/// One dispatch of a case to a unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchFact {
    pub at: Timestamp,
    pub unit: String,
    pub assisting: Vec<String>,
    pub accepted_at: Option<Timestamp>,
}

/// The resident's answer on follow-up.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnswerFact {
    pub at: Timestamp,
    pub satisfaction: Satisfaction,
    pub fixed: bool,
    pub responded: Option<bool>,
}

/// Everything evaluation needs to know about one case, folded from its events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub case_id: i64,
    /// The case's event count these facts have seen (they match the case at the same `seq`).
    pub seq: u32,
    pub grid: AreaCode,
    pub subclass: SubclassId,
    pub reported_at: Timestamp,
    /// Who reported: a staff id for grid members and inspectors (上报准确率), else the resident.
    pub reporter: String,
    pub reporter_role: Role,
    /// First filing (立案, or settling in the grid): when, by whom, on time or not.
    pub filed: Option<(Timestamp, String, bool)>,
    /// Voided (作废) or merged as duplicate: when, and whether it had been filed.
    pub invalid: Option<(Timestamp, bool)>,
    pub dispatches: Vec<DispatchFact>,
    /// The deadline in force (the last one set by dispatch, rework, reopening, extension or
    /// unparking); kept while parked, so that a parked case still falls due for 结案率.
    pub due_at: Option<Timestamp>,
    /// Parked (挂账) now, and since when.
    pub parked_since: Option<Timestamp>,
    /// Working minutes spent parked, excluded from handling time.
    pub parked_minutes: i64,
    /// First report-back (or settling in the grid): when, by whom, for which unit.
    pub handled: Option<(Timestamp, String, Option<String>)>,
    pub reworks: u32,
    /// Closure: when, fixed or not, and whether on time (`None`: no deadline to meet).
    pub closed: Option<(Timestamp, bool, Option<bool>)>,
    /// Working minutes from the first dispatch to closure, parking excluded.
    pub handling_minutes: Option<i64>,
    pub answer: Option<AnswerFact>,
    pub no_answer_at: Option<Timestamp>,
    /// The unit that answers for the case now (the last lead unit).
    pub unit: Option<String>,
}

/// The deadline an event's detail may carry (dispatch, rework, reopening, extension, unparking).
#[derive(Deserialize)]
struct DueInDetail {
    due_at: Option<Timestamp>,
}

impl Facts {
    /// Applies the next event of the case. The first event must be the report.
    pub fn apply(facts: Option<Facts>, e: &Event, calendar: &Calendar, policy: &Policy) -> Facts {
        let Some(mut f) = facts else {
            let report: crate::case::Report = serde_json::from_str(&e.detail).expect("a case starts with its report");
            return Facts {
                case_id: e.case_id,
                seq: e.seq,
                grid: report.grid,
                subclass: report.subclass,
                reported_at: e.at,
                reporter: e.actor.clone(),
                reporter_role: e.role,
                filed: None,
                invalid: None,
                dispatches: Vec::new(),
                due_at: None,
                parked_since: None,
                parked_minutes: 0,
                handled: None,
                reworks: 0,
                closed: None,
                handling_minutes: None,
                answer: None,
                no_answer_at: None,
                unit: None,
            };
        };
        f.seq = e.seq;
        // Read straight from the text: a `Value` tree, cloned for the action, cost more.
        let action: Option<Action> = serde_json::from_str(&e.detail).ok();
        if let Ok(DueInDetail { due_at: Some(d) }) = serde_json::from_str(&e.detail) {
            f.due_at = Some(d);
        }
        match (e.step.as_str(), action) {
            ("file", Some(Action::File { subclass, .. })) => {
                if let Some(s) = subclass {
                    f.subclass = s;
                }
                f.file(e, calendar, policy);
            }
            ("settle_in_grid", _) => {
                f.file(e, calendar, policy);
                f.handled.get_or_insert((e.at, e.actor.clone(), None));
            }
            ("void" | "mark_duplicate", _) => f.invalid = Some((e.at, f.filed.is_some())),
            ("dispatch", Some(Action::Dispatch { lead, assisting })) => {
                f.unit = Some(lead.clone());
                f.dispatches.push(DispatchFact { at: e.at, unit: lead, assisting, accepted_at: None });
            }
            ("accept", _) => {
                if let Some(d) = f.dispatches.last_mut() {
                    d.accepted_at.get_or_insert(e.at);
                }
            }
            ("report_back", _) => {
                f.handled.get_or_insert((e.at, e.actor.clone(), f.unit.clone()));
            }
            ("verify", Some(Action::Verify { passed: false })) => f.reworks += 1,
            // A returned dispatch clears the deadline; the next dispatch sets a new one.
            ("return", _) => f.due_at = None,
            ("park", _) => f.parked_since = Some(e.at),
            ("unpark", _) => {
                if let Some(since) = f.parked_since.take() {
                    f.parked_minutes += calendar.working_minutes_between(since, e.at).max(0);
                }
            }
            ("close", Some(Action::Close { fixed })) => {
                let on_time = if f.parked_since.is_some() { None } else { f.due_at.map(|d| e.at <= d) };
                if let Some(since) = f.parked_since.take() {
                    f.parked_minutes += calendar.working_minutes_between(since, e.at).max(0);
                }
                f.closed = Some((e.at, fixed, on_time));
                f.handling_minutes = f
                    .dispatches
                    .first()
                    .map(|d| (calendar.working_minutes_between(d.at, e.at) - f.parked_minutes).max(0));
            }
            ("evaluate", Some(Action::Evaluate { satisfaction, fixed, responded })) => {
                f.answer = Some(AnswerFact { at: e.at, satisfaction, fixed, responded });
                f.no_answer_at = None;
                if e.to != State::ClosedFixed && e.to != State::ClosedNotFixed {
                    f.reopen(e);
                }
            }
            ("follow_up_expired", _) => f.no_answer_at = Some(e.at),
            ("reopen", _) => f.reopen(e),
            _ => {}
        }
        f
    }

    fn file(&mut self, e: &Event, calendar: &Calendar, policy: &Policy) {
        if self.filed.is_none() {
            let on_time = calendar.working_minutes_between(self.reported_at, e.at) <= policy.filing_limit_minutes;
            self.filed = Some((e.at, e.actor.clone(), on_time));
        }
    }

    /// A reopened case is open again: its closure and answer no longer stand (the resident
    /// said it was not fixed); the next closure and answer count instead. Going back to the
    /// unit is a dispatch like any other.
    fn reopen(&mut self, e: &Event) {
        self.closed = None;
        self.handling_minutes = None;
        self.answer = None;
        self.no_answer_at = None;
        if let (State::Dispatched, Some(unit)) = (e.to, &self.unit) {
            self.dispatches.push(DispatchFact { at: e.at, unit: unit.clone(), assisting: vec![], accepted_at: None });
        }
    }

    /// Folds a whole case.
    pub fn of(events: &[Event], calendar: &Calendar, policy: &Policy) -> Option<Facts> {
        events.iter().fold(None, |f, e| Some(Facts::apply(f, e, calendar, policy)))
    }
}

macro_rules! counters {
    ($($name:ident: $doc:literal),* $(,)?) => {
        /// The counters kept per object and day; every indicator is a ratio of their sums.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct Counters {
            $(#[doc = $doc] pub $name: i64,)*
        }

        impl Counters {
            /// Column names, in a fixed order, for stores that keep one column per counter.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            pub fn values(&self) -> Vec<i64> {
                vec![$(self.$name),*]
            }

            pub fn from_values(v: &[i64]) -> Counters {
                let mut it = v.iter().copied();
                Counters { $($name: it.next().unwrap_or(0)),* }
            }

            pub fn add(&mut self, o: &Counters) {
                $(self.$name += o.$name;)*
            }

            pub fn sub(&mut self, o: &Counters) {
                $(self.$name -= o.$name;)*
            }

            pub fn is_zero(&self) -> bool {
                true $(&& self.$name == 0)*
            }
        }
    };
}

counters! {
    reported: "Cases reported (上报).",
    filed: "Cases filed (立案).",
    filed_on_time: "Of those, filed within the filing limit (按时立案).",
    filed_invalid: "Of those, later voided or merged as duplicates (立案不准确).",
    dispatched: "Dispatches (派遣), each re-dispatch counted.",
    acked_in_time: "Of those, accepted within the acknowledgement hours (24 小时签收).",
    due: "Cases whose deadline fell on the day (应结案).",
    due_deferred: "Of those, parked (挂账, 缓办): left out of the closure rates.",
    due_closed: "Of those, closed (by now).",
    due_closed_on_time: "Of those, closed by the deadline (按期结案).",
    closed: "Cases closed (结案), fixed or not.",
    closed_fixed: "Of those, closed as fixed.",
    handled: "Cases reported back for the first time (处置).",
    reworked: "Of those, sent back at least once (返工).",
    staff_reports: "Reports by grid members and inspectors (for 上报准确率).",
    staff_reports_accurate: "Of those, filed and not later voided or merged.",
    reported_base: "Cases reported (for the completion rate).",
    completed_in_time: "Of those, closed within the completion days (7 日办结).",
    answered: "Follow-up answers (回访).",
    responded: "Of those, the resident says the unit responded (响应).",
    responded_asked: "Answers in which the resident was asked whether the unit responded.",
    said_fixed: "Of those, the resident says the problem is fixed (解决).",
    satisfied: "满意.",
    basically: "基本满意.",
    not_satisfied: "不满意.",
    no_answer: "Follow-ups nobody answered in time (回访超时), their own category.",
    handling_count: "Closures with a handling time.",
    handling_minutes: "Their working minutes, summed.",
}

/// Which kind of object a counter belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// A node of the jurisdiction tree (区域), from province to grid.
    Area,
    /// A responsible unit (部门).
    Unit,
    /// A member of staff (岗位).
    Staff,
}

impl Dim {
    pub fn as_str(self) -> &'static str {
        match self {
            Dim::Area => "area",
            Dim::Unit => "unit",
            Dim::Staff => "staff",
        }
    }
}

/// One object on one day.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub dim: Dim,
    pub key: String,
    /// The day in China Standard Time, as `yyyymmdd`.
    pub day: u32,
}

/// Width of a handling-time bucket, in working minutes (the p90 is exact to this width).
pub const BUCKET_MINUTES: i64 = 30;
/// Buckets kept; longer handling times fall into the last one.
pub const BUCKETS: i64 = 2_000;

/// The bucket of a handling time.
pub fn bucket_of(minutes: i64) -> i64 {
    (minutes.max(0) / BUCKET_MINUTES).min(BUCKETS - 1)
}

/// What one case adds: counters per object and day, and handling-time buckets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contribution {
    pub counters: BTreeMap<Key, Counters>,
    /// (object and day of closure, bucket) → closures.
    pub buckets: BTreeMap<(Key, i64), i64>,
}

impl Contribution {
    /// `self − old`, dropping what did not change: what a store must apply for one event.
    pub fn minus(&self, old: &Contribution) -> Contribution {
        let mut out = Contribution::default();
        for (k, c) in &self.counters {
            let mut d = *c;
            if let Some(o) = old.counters.get(k) {
                d.sub(o);
            }
            if !d.is_zero() {
                out.counters.insert(k.clone(), d);
            }
        }
        for (k, o) in &old.counters {
            if !self.counters.contains_key(k) {
                let mut d = Counters::default();
                d.sub(o);
                out.counters.insert(k.clone(), d);
            }
        }
        for (k, n) in &self.buckets {
            let d = n - old.buckets.get(k).copied().unwrap_or(0);
            if d != 0 {
                out.buckets.insert(k.clone(), d);
            }
        }
        for (k, n) in &old.buckets {
            if !self.buckets.contains_key(k) {
                out.buckets.insert(k.clone(), -n);
            }
        }
        out
    }

    /// Whether it adds nothing at all.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty() && self.buckets.is_empty()
    }

    /// Adds another contribution (for summing many cases).
    pub fn merge(&mut self, o: &Contribution) {
        // Look up before inserting: most keys of a group are already there, and `entry` would
        // clone each one first.
        for (k, c) in &o.counters {
            match self.counters.get_mut(k) {
                Some(sum) => sum.add(c),
                None => drop(self.counters.insert(k.clone(), *c)),
            }
        }
        for (k, n) in &o.buckets {
            match self.buckets.get_mut(k) {
                Some(sum) => *sum += n,
                None => drop(self.buckets.insert(k.clone(), *n)),
            }
        }
    }
}

/// The day of an instant in China Standard Time, as `yyyymmdd`.
pub fn day_of(t: Timestamp, calendar: &Calendar) -> u32 {
    let d = t.at_offset(calendar.offset()).date_naive();
    chrono::Datelike::year(&d) as u32 * 10_000 + chrono::Datelike::month(&d) * 100 + chrono::Datelike::day(&d)
}

/// What a case's facts add to the counters. The 7-day completion rate counts a case on its report
/// day; over a period that ended less than 7 days ago, its recent cases may still complete.
pub fn contributions(f: &Facts, calendar: &Calendar, policy: &Policy) -> Contribution {
    tally(f, calendar, policy).into_contribution()
}

/// What one step does to the counters: the new facts' contribution less the old ones' (all of
/// it for a new case). Equal to `contributions(new).minus(&contributions(old))`, but only the
/// keys that changed are made into owned keys: a step changes a few of a case's dozen or so.
pub fn contribution_change(old: Option<&Facts>, new: &Facts, calendar: &Calendar, policy: &Policy) -> Contribution {
    let after = tally(new, calendar, policy);
    match old {
        None => after.into_contribution(),
        Some(old) => after.minus(&tally(old, calendar, policy)),
    }
}

fn tally<'a>(f: &'a Facts, calendar: &Calendar, policy: &Policy) -> Tally<'a> {
    // A case's instants fall on a few days: each day's date is worked out once.
    let offset_ms = i64::from(calendar.offset().local_minus_utc()) * 1000;
    let last = std::cell::Cell::new((i64::MIN, 0));
    let day = |t: Timestamp| {
        let local = t.0.saturating_add(offset_ms).div_euclid(24 * HOUR_MS);
        if last.get().0 != local {
            last.set((local, day_of(t, calendar)));
        }
        last.get().1
    };
    // Every node from the province down to the grid (and micro-grid) is an area object; their
    // codes are prefixes of the grid's.
    let grid = f.grid.as_str();
    let areas: Vec<&str> =
        Level::ALL.iter().filter(|l| l.digits() <= grid.len()).map(|l| &grid[..l.digits()]).collect();
    let mut c = Tally::default();

    let reported = day(f.reported_at);
    c.add_areas(&areas, reported, &|k| k.reported += 1);
    if matches!(f.reporter_role, Role::GridMember | Role::Inspector) {
        let accurate = f.filed.is_some() && f.invalid.is_none();
        c.add(Dim::Staff, &f.reporter, reported, |k| {
            k.staff_reports += 1;
            k.staff_reports_accurate += accurate as i64;
        });
    }
    // Voided and merged cases never close: they are not in the completion rate's base.
    if f.invalid.is_none() {
        let completed =
            f.closed.is_some_and(|(at, _, _)| at.0 - f.reported_at.0 <= policy.completion_days * 24 * HOUR_MS);
        let completion = |k: &mut Counters| {
            k.reported_base += 1;
            k.completed_in_time += completed as i64;
        };
        c.add_areas(&areas, reported, &completion);
        if let Some(u) = &f.unit {
            c.add(Dim::Unit, u, reported, completion);
        }
    }

    if let Some((at, by, on_time)) = &f.filed {
        let invalid = f.invalid.is_some_and(|(_, after)| after);
        let filing = |k: &mut Counters| {
            k.filed += 1;
            k.filed_on_time += *on_time as i64;
            k.filed_invalid += invalid as i64;
        };
        c.add_areas(&areas, day(*at), &filing);
        c.add(Dim::Staff, by, day(*at), filing);
    }

    for d in &f.dispatches {
        let in_time = d.accepted_at.is_some_and(|a| a.0 - d.at.0 <= policy.ack_hours * HOUR_MS);
        let dispatch = |k: &mut Counters| {
            k.dispatched += 1;
            k.acked_in_time += in_time as i64;
        };
        c.add_areas(&areas, day(d.at), &dispatch);
        c.add(Dim::Unit, &d.unit, day(d.at), dispatch);
    }

    if let (Some(due), None) = (f.due_at, f.invalid) {
        // Parked now, or closed while parked (a closure with no deadline to meet).
        let deferred = f.parked_since.is_some() || matches!(f.closed, Some((_, _, None)));
        let (closed, on_time) = match f.closed {
            Some((_, _, on_time)) => (true, on_time == Some(true)),
            None => (false, false),
        };
        let due_count = |k: &mut Counters| {
            k.due += 1;
            k.due_deferred += deferred as i64;
            k.due_closed += (closed && !deferred) as i64;
            k.due_closed_on_time += (on_time && !deferred) as i64;
        };
        c.add_areas(&areas, day(due), &due_count);
        if let Some(u) = &f.unit {
            c.add(Dim::Unit, u, day(due), due_count);
        }
    }

    if let Some((at, fixed, _)) = f.closed {
        let closure = |k: &mut Counters| {
            k.closed += 1;
            k.closed_fixed += fixed as i64;
            if let Some(m) = f.handling_minutes {
                k.handling_count += 1;
                k.handling_minutes += m;
            }
        };
        c.add_areas(&areas, day(at), &closure);
        if let Some(u) = &f.unit {
            c.add(Dim::Unit, u, day(at), closure);
        }
        if let Some(m) = f.handling_minutes {
            for a in &areas {
                c.buckets.push((Dim::Area, a, day(at), bucket_of(m)));
            }
            if let Some(u) = &f.unit {
                c.buckets.push((Dim::Unit, u, day(at), bucket_of(m)));
            }
        }
    }

    if let Some((at, by, unit)) = &f.handled {
        let reworked = f.reworks > 0;
        let handling = |k: &mut Counters| {
            k.handled += 1;
            k.reworked += reworked as i64;
        };
        c.add_areas(&areas, day(*at), &handling);
        c.add(Dim::Staff, by, day(*at), handling);
        if let Some(u) = unit {
            c.add(Dim::Unit, u, day(*at), handling);
        }
    }

    if let Some(a) = f.answer {
        let answer = |k: &mut Counters| {
            k.answered += 1;
            k.responded_asked += a.responded.is_some() as i64;
            k.responded += (a.responded == Some(true)) as i64;
            k.said_fixed += a.fixed as i64;
            match a.satisfaction {
                Satisfaction::Satisfied => k.satisfied += 1,
                Satisfaction::Basically => k.basically += 1,
                Satisfaction::NotSatisfied => k.not_satisfied += 1,
            }
        };
        c.add_areas(&areas, day(a.at), &answer);
        if let Some(u) = &f.unit {
            c.add(Dim::Unit, u, day(a.at), answer);
        }
    } else if let Some(at) = f.no_answer_at {
        c.add_areas(&areas, day(at), &|k| k.no_answer += 1);
        if let Some(u) = &f.unit {
            c.add(Dim::Unit, u, day(at), |k| k.no_answer += 1);
        }
    }
    c
}

/// Counters gathered under borrowed keys, made into a [`Contribution`] at the end: a case adds to
/// a key many times (its report, filing and closure to the same areas and days), and a map keyed
/// by owned strings would allocate a key at every addition.
#[derive(Default)]
struct Tally<'a> {
    counters: Vec<(Dim, &'a str, u32, Counters)>,
    /// (object, day of closure, bucket): one closure each.
    buckets: Vec<(Dim, &'a str, u32, i64)>,
}

impl<'a> Tally<'a> {
    fn add(&mut self, dim: Dim, key: &'a str, day: u32, f: impl Fn(&mut Counters)) {
        let i = match self.counters.iter().position(|(d, k, y, _)| *d == dim && *y == day && *k == key) {
            Some(i) => i,
            None => {
                self.counters.push((dim, key, day, Counters::default()));
                self.counters.len() - 1
            }
        };
        f(&mut self.counters[i].3);
    }

    /// Adds to every area object of the case (its grid and each node above it). Areas are only
    /// ever added together and in the same order, so a day's are one run of entries.
    fn add_areas(&mut self, areas: &[&'a str], day: u32, f: &dyn Fn(&mut Counters)) {
        let Some(first) = areas.first() else { return };
        let start = match self.counters.iter().position(|(d, k, y, _)| *d == Dim::Area && *y == day && k == first) {
            Some(i) => i,
            None => {
                let start = self.counters.len();
                self.counters.extend(areas.iter().map(|a| (Dim::Area, *a, day, Counters::default())));
                start
            }
        };
        for (.., c) in &mut self.counters[start..start + areas.len()] {
            f(c);
        }
    }

    fn into_contribution(self) -> Contribution {
        let counters = self.counters.into_iter().map(|(dim, key, day, c)| (owned(dim, key, day), c)).collect();
        let buckets = self.buckets.into_iter().map(|(dim, key, day, b)| ((owned(dim, key, day), b), 1)).collect();
        Contribution { counters, buckets }
    }

    /// `self − old` as a [`Contribution`], dropping what did not change.
    fn minus(&self, old: &Tally) -> Contribution {
        let mut out = Contribution::default();
        for (dim, key, day, c) in &self.counters {
            let mut d = *c;
            if let Some((.., o)) = old.counters.iter().find(|(od, ok, oy, _)| od == dim && oy == day && ok == key) {
                d.sub(o);
            }
            if !d.is_zero() {
                out.counters.insert(owned(*dim, key, *day), d);
            }
        }
        for (dim, key, day, o) in &old.counters {
            if !self.counters.iter().any(|(d, k, y, _)| d == dim && y == day && k == key) {
                let mut d = Counters::default();
                d.sub(o);
                out.counters.insert(owned(*dim, key, *day), d);
            }
        }
        for (bucket, sign, other) in
            self.buckets.iter().map(|b| (b, 1, &old.buckets)).chain(old.buckets.iter().map(|b| (b, -1, &self.buckets)))
        {
            if !other.contains(bucket) {
                let (dim, key, day, b) = *bucket;
                out.buckets.insert((owned(dim, key, day), b), sign);
            }
        }
        out
    }
}

fn owned(dim: Dim, key: &str, day: u32) -> Key {
    Key { dim, key: key.to_owned(), day }
}

/// A rate with what it is made of.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub numerator: f64,
    pub denominator: i64,
    /// `numerator / denominator`, or `None` with nothing to count.
    pub value: Option<f64>,
    /// The Wilson score interval at 95 %: where the true rate plausibly lies.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl Rate {
    pub fn of(numerator: f64, denominator: i64) -> Rate {
        if denominator <= 0 {
            return Rate { numerator, denominator: 0, value: None, low: None, high: None };
        }
        let (low, high) = wilson(numerator, denominator as f64);
        Rate { numerator, denominator, value: Some(numerator / denominator as f64), low: Some(low), high: Some(high) }
    }
}

/// The Wilson score interval for `k` successes in `n` trials at 95 % (z = 1.96).
pub fn wilson(k: f64, n: f64) -> (f64, f64) {
    const Z: f64 = 1.959_963_984_540_054;
    let p = k / n;
    let z2 = Z * Z;
    let centre = p + z2 / (2.0 * n);
    let margin = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let d = 1.0 + z2 / n;
    (((centre - margin) / d).max(0.0), ((centre + margin) / d).min(1.0))
}

/// Every indicator of one object over one period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Indicators {
    pub reported: i64,
    pub filed: i64,
    pub dispatched: i64,
    pub closed: i64,
    /// 按时立案率 = filed on time / filed.
    pub filing_on_time: Rate,
    /// 准确立案率 = (filed − voided or merged after filing) / filed.
    pub filing_accuracy: Rate,
    /// 结案率 = due and closed / (due − deferred).
    pub closure: Rate,
    /// 按期结案率 = due and closed by the deadline / (due − deferred).
    pub closure_on_time: Rate,
    /// 返工率 = reworked / handled.
    pub rework: Rate,
    /// 上报准确率 = reports filed and not voided or merged / reports (grid members, inspectors).
    pub report_accuracy: Rate,
    /// 签收及时率 = dispatches accepted within `Policy::ack_hours` (24 by default) / dispatches.
    pub ack_in_time: Rate,
    /// 7 日办结率 = cases closed within `Policy::completion_days` (7) of their report / valid cases
    /// reported in the period (over a period that ended less than 7 days ago it may still rise).
    pub completed_in_time: Rate,
    /// 响应率 = answers saying the unit responded / answers that were asked.
    pub response: Rate,
    /// 解决率 = answers saying it is fixed / answers.
    pub resolution: Rate,
    /// 满意率 = (satisfied + basically × weight) / answers.
    pub satisfaction: Rate,
    /// Follow-ups nobody answered in time: counted apart, never as satisfied.
    pub no_answer: i64,
    /// Average and 90th percentile handling time, in working hours.
    pub handling_hours_avg: Option<f64>,
    pub handling_hours_p90: Option<f64>,
    /// `Policy::weights` (0.30, 0.35, 0.35 by default) × (响应率, 解决率, 满意率), out of 100.
    pub composite: Option<f64>,
    pub grade: Option<String>,
}

impl Indicators {
    /// The indicators from summed counters and handling-time buckets (bucket → closures).
    pub fn from_counters(c: &Counters, buckets: &BTreeMap<i64, i64>, policy: &Policy) -> Indicators {
        let r = |n: i64, d: i64| Rate::of(n as f64, d);
        let effective_due = c.due - c.due_deferred;
        let satisfaction = Rate::of(c.satisfied as f64 + c.basically as f64 * policy.basically_weight, c.answered);
        let response = r(c.responded, c.responded_asked);
        let resolution = r(c.said_fixed, c.answered);
        let composite = match (response.value, resolution.value, satisfaction.value) {
            // A score out of 100, to two decimals.
            (Some(a), Some(b), Some(s)) => Some(
                (10_000.0 * (policy.weights[0] * a + policy.weights[1] * b + policy.weights[2] * s)).round() / 100.0,
            ),
            _ => None,
        };
        let grade = composite.and_then(|s| policy.grades.iter().find(|(low, _)| s >= *low).map(|(_, g)| g.clone()));
        Indicators {
            reported: c.reported,
            filed: c.filed,
            dispatched: c.dispatched,
            closed: c.closed,
            filing_on_time: r(c.filed_on_time, c.filed),
            filing_accuracy: r(c.filed - c.filed_invalid, c.filed),
            closure: r(c.due_closed, effective_due),
            closure_on_time: r(c.due_closed_on_time, effective_due),
            rework: r(c.reworked, c.handled),
            report_accuracy: r(c.staff_reports_accurate, c.staff_reports),
            ack_in_time: r(c.acked_in_time, c.dispatched),
            completed_in_time: r(c.completed_in_time, c.reported_base),
            response,
            resolution,
            satisfaction,
            no_answer: c.no_answer,
            handling_hours_avg: (c.handling_count > 0)
                .then(|| c.handling_minutes as f64 / c.handling_count as f64 / 60.0),
            handling_hours_p90: p90_hours(buckets),
            composite,
            grade,
        }
    }
}

/// The 90th percentile from buckets: the upper edge of the bucket holding it, in hours.
pub fn p90_hours(buckets: &BTreeMap<i64, i64>) -> Option<f64> {
    let total: i64 = buckets.values().sum();
    if total <= 0 {
        return None;
    }
    // The smallest bucket with at least 90 % of closures at or below it (nearest rank).
    let rank = (total * 9 + 9) / 10;
    let mut seen = 0;
    for (b, n) in buckets {
        seen += n;
        if seen >= rank {
            return Some(((b + 1) * BUCKET_MINUTES) as f64 / 60.0);
        }
    }
    None
}

/// One entry of a league table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub key: String,
    /// The cases behind the rate (its denominator), always shown.
    pub count: i64,
    pub rate: Rate,
    /// 1-based place, `None` below the minimum volume (shown, not ranked).
    pub place: Option<usize>,
}

/// Ranks entries by the lower end of their Wilson interval, so that a rate resting on few cases
/// does not top the table; entries below the minimum volume are listed after, unranked.
pub fn rank(entries: Vec<(String, Rate)>, policy: &Policy) -> Vec<Ranked> {
    let (mut ranked, mut unranked): (Vec<_>, Vec<_>) =
        entries.into_iter().partition(|(_, r)| r.denominator >= policy.min_volume && r.value.is_some());
    let low = |r: &Rate| r.low.unwrap_or(0.0);
    ranked.sort_by(|a, b| {
        low(&b.1).total_cmp(&low(&a.1)).then(b.1.denominator.cmp(&a.1.denominator)).then(a.0.cmp(&b.0))
    });
    unranked.sort_by(|a, b| b.1.denominator.cmp(&a.1.denominator).then(a.0.cmp(&b.0)));
    let mut out: Vec<Ranked> = ranked
        .into_iter()
        .enumerate()
        .map(|(i, (key, rate))| Ranked { key, count: rate.denominator, rate, place: Some(i + 1) })
        .collect();
    out.extend(unranked.into_iter().map(|(key, rate)| Ranked { key, count: rate.denominator, rate, place: None }));
    out
}

#[cfg(test)]
mod tests;
