//! Evaluation computed two independent ways must agree: the counters the engine keeps current
//! with every change (`Store::counters`), and the sums recomputed here by folding every case's
//! raw events (`Facts::of` + `contributions`). A seeded random history drives many cases through
//! every flow the domain offers; then the rebuild from the log must give the same again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{Action, Actor, Channel, Command, Role, Rules, Satisfaction, State};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::evaluation::{Contribution, Counters, Dim, Facts, Policy, contributions, day_of};
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Taxonomy};
use yiwang_domain::time::{HOUR_MS, MINUTE_MS, Timestamp};
use yiwang_engine::{Engine, EngineError, NewReport};
use yiwang_store::conformance;
use yiwang_store_sqlite::{Durability, SqliteStore};

/// Monday 2025-11-17 10:00 CST: the history lies in the past.
const T0: Timestamp = Timestamp(1_763_344_800_000);
const ALL: (u32, u32) = (0, 99_991_231);

/// SplitMix64: a small seeded generator, so the history is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse("t", s).unwrap()
}

fn staff(id: &str, role: Role, unit: Option<&str>) -> Actor {
    Actor::staff(id, role, &code("110101"), unit)
}

const GRIDS: [&str; 4] = ["110101001001001", "110101001001002", "110101002001001", "110101002001002"];
const UNITS: [&str; 4] = ["cgzf", "hw", "jd-1", "jd-2"];

/// Everyone who might try something on a case now.
fn candidates(rng: &mut Rng, case: &yiwang_domain::case::Case) -> Vec<(Actor, Action)> {
    let lead = case.lead_unit.clone().unwrap_or_else(|| "cgzf".into());
    let handler = staff(&format!("h-{lead}"), Role::Handler, Some(&lead));
    let member = staff(&format!("m-{}", case.grid), Role::GridMember, None);
    let chief = staff("chief", Role::ShiftChief, Some("centre"));
    let satisfaction = *rng.pick(&[Satisfaction::Satisfied, Satisfaction::Basically, Satisfaction::NotSatisfied]);
    let (fixed, passed, approve) = (rng.chance(70), rng.chance(75), rng.chance(60));
    let responded = *rng.pick(&[None, Some(true), Some(false)]);
    vec![
        (staff("op", Role::IntakeOperator, None), Action::File { subclass: None, urgency: None }),
        (staff("op", Role::IntakeOperator, None), Action::Void),
        (chief.clone(), Action::Void),
        (
            staff("disp", Role::Dispatcher, None),
            Action::Dispatch { lead: rng.pick(&UNITS).to_string(), assisting: vec![] },
        ),
        (handler.clone(), Action::Accept),
        (handler.clone(), Action::Return),
        (handler.clone(), Action::RequestExtension { minutes: 600 }),
        (staff("disp", Role::Dispatcher, None), Action::DecideExtension { approve }),
        (chief.clone(), Action::DecideExtension { approve }),
        (chief.clone(), Action::Park),
        (chief.clone(), Action::Unpark),
        (handler.clone(), Action::ReportBack),
        (member.clone(), Action::SettleInGrid),
        (member, Action::Verify { passed }),
        (chief.clone(), Action::Close { fixed }),
        (Actor::resident(&case.reporter), Action::Evaluate { satisfaction, fixed, responded }),
        (Actor::system(), Action::FollowUpExpired),
        (chief.clone(), Action::Reopen),
        (Actor::resident(&case.reporter), Action::Reopen),
        (staff("sup", Role::Supervisor, None), Action::Urge),
    ]
}

/// The way to the end of the loop, preferred most of the time so that cases get there.
fn preferred(state: State) -> &'static [&'static str] {
    match state {
        State::Reported => &["file", "settle_in_grid"],
        State::Filed => &["dispatch"],
        State::Dispatched => &["accept"],
        State::Handling => &["report_back"],
        State::ClosedFixed | State::ClosedNotFixed => &["evaluate", "follow_up_expired"],
        _ => &["verify", "close", "unpark", "dispatch", "decide_extension"],
    }
}

async fn history(engine: &Engine, seed: u64, cases: usize) -> Vec<i64> {
    let mut rng = Rng(seed);
    let mut ids = Vec::new();
    let mut clock: BTreeMap<i64, Timestamp> = BTreeMap::new();
    for i in 0..cases {
        let at = T0.plus_ms(i as i64 * 41 * MINUTE_MS);
        let g = rng.below(4) as f64;
        let reporter = match rng.below(4) {
            0 => staff(&format!("m-{}", GRIDS[g as usize]), Role::GridMember, None),
            1 => staff("insp", Role::Inspector, None),
            _ => Actor::resident(&format!("r{}", rng.below(9))),
        };
        let subclass: &str = ["E0101", "E0102", "E0107"][rng.below(3) as usize];
        let input = NewReport {
            subclass: SubclassId::parse("s", subclass).unwrap(),
            request_type: RequestType::Complaint,
            urgency: None,
            location: Point { lon: 116.4005 + 0.001 * g, lat: 39.9005 },
            address: String::new(),
            description: "随机历史".into(),
            channel: Channel::Portal,
            photos: vec![],
        };
        let case = engine.report(input, &reporter, at).await.unwrap();
        ids.push(case.id);
        clock.insert(case.id, at);

        // Sometimes merge into an earlier open case instead of handling this one.
        if rng.chance(8) && ids.len() > 1 {
            let into = ids[rng.below(ids.len() as u64 - 1) as usize];
            let t = clock[&into].max(clock[&case.id]).plus_ms(10 * MINUTE_MS);
            let op = staff("op", Role::IntakeOperator, None);
            if engine.merge(case.id, into, &op, t, "同一问题").await.is_ok() {
                clock.insert(case.id, t);
                clock.insert(into, t);
                continue;
            }
        }
        for _ in 0..30 {
            let current = engine.case(case.id).await.unwrap();
            let mut options = candidates(&mut rng, &current);
            if rng.chance(70) {
                let want = if current.extension_requested.is_some() {
                    &["decide_extension"][..]
                } else {
                    preferred(current.state)
                };
                options.retain(|(_, a)| want.contains(&a.name()));
            }
            if options.is_empty() {
                continue;
            }
            let (actor, action) = rng.pick(&options).clone();
            let gap = if rng.chance(12) { 3 * 24 * HOUR_MS } else { (5 + rng.below(600) as i64) * MINUTE_MS };
            let t = clock[&case.id].plus_ms(gap);
            let cmd = Command { actor, at: t, action, note: "说明".into(), attachments: vec!["p.jpg".into()] };
            match engine.act(case.id, cmd).await {
                Ok(_) => {
                    clock.insert(case.id, t);
                }
                Err(EngineError::Refused(_)) => {}
                Err(e) => panic!("act: {e}"),
            }
        }
    }
    ids
}

/// Folds every case's raw events and sums the contributions, independently of the store's
/// counters and of the engine's rebuild.
async fn recomputed(engine: &Engine, ids: &[i64]) -> Contribution {
    let (calendar, policy) = (&engine.rules().calendar, engine.policy());
    let mut total = Contribution::default();
    for id in ids {
        let events = engine.store().events(*id).await.unwrap();
        let facts = Facts::of(&events, calendar, policy).unwrap();
        assert_eq!(engine.store().facts(*id).await.unwrap(), Some(facts.clone()), "facts of case {id}");
        total.merge(&contributions(&facts, calendar, policy));
    }
    total
}

/// Every object's counters, for a few periods, kept and recomputed.
async fn compare(engine: &Engine, total: &Contribution, calendar: &Calendar, what: &str) -> usize {
    let store = engine.store();
    let mut objects: BTreeSet<(Dim, String)> = total.counters.keys().map(|k| (k.dim, k.key.clone())).collect();
    for dim in [Dim::Area, Dim::Unit, Dim::Staff] {
        for (key, _) in store.counters_by_key(dim, "", None, ALL.0, ALL.1).await.unwrap() {
            objects.insert((dim, key));
        }
    }
    let days: BTreeSet<u32> = total.counters.keys().map(|k| k.day).collect();
    let first = *days.first().unwrap();
    let week = day_of(T0.plus_ms(6 * 24 * HOUR_MS), calendar);
    let month = day_of(T0.plus_ms(30 * 24 * HOUR_MS), calendar);
    let mid = days.iter().nth(days.len() / 2).copied().unwrap();
    let periods = [ALL, (first, week), (week + 1, month), (mid, mid), (first, first)];
    for (dim, key) in &objects {
        for (from, to) in periods {
            let mut c = Counters::default();
            let mut b: BTreeMap<i64, i64> = BTreeMap::new();
            for (k, v) in &total.counters {
                if k.dim == *dim && &k.key == key && (from..=to).contains(&k.day) {
                    c.add(v);
                }
            }
            for ((k, bucket), n) in &total.buckets {
                if k.dim == *dim && &k.key == key && (from..=to).contains(&k.day) {
                    *b.entry(*bucket).or_default() += n;
                }
            }
            b.retain(|_, n| *n != 0);
            let kept = store.counters(*dim, key, from, to).await.unwrap();
            assert_eq!(kept, (c, b), "{what}: {} {key} over {from}..={to}", dim.as_str());
        }
    }
    objects.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_kept_current_equal_those_recomputed_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path(), Durability::Normal).unwrap());
    let rules = Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 };
    let engine = Engine::start(store, rules).await.unwrap().with_policy(Policy::default());
    engine.import_reference(conformance::reference()).await.unwrap();
    let ids = history(&engine, 0x5EED_2026, 160).await;

    // The history went through every flow.
    let mut steps: BTreeMap<String, usize> = BTreeMap::new();
    let mut reopened_or_reworked = 0;
    for id in &ids {
        for e in engine.store().events(*id).await.unwrap() {
            if e.step == "verify" && e.detail.contains("false") {
                reopened_or_reworked += 1;
            }
            *steps.entry(e.step).or_default() += 1;
        }
    }
    for step in [
        "file",
        "settle_in_grid",
        "dispatch",
        "accept",
        "return",
        "request_extension",
        "decide_extension",
        "park",
        "unpark",
        "report_back",
        "verify",
        "close",
        "evaluate",
        "follow_up_expired",
        "reopen",
        "void",
        "mark_duplicate",
    ] {
        assert!(steps.contains_key(step), "no “{step}” in the history: {steps:?}");
    }
    assert!(reopened_or_reworked > 0, "no rework in the history");

    let calendar = engine.rules().calendar.clone();
    let total = recomputed(&engine, &ids).await;
    let objects = compare(&engine, &total, &calendar, "kept").await;
    assert!(objects > 20, "{objects} objects");
    for dim in [Dim::Area, Dim::Unit, Dim::Staff] {
        assert!(total.counters.keys().any(|k| k.dim == dim), "no {} counters", dim.as_str());
    }

    // The rebuild from the log gives the same numbers, and verification agrees.
    let rebuilt = engine.rebuild_evaluation(&|_| {}).await.unwrap();
    assert_eq!(rebuilt.cases as usize, ids.len());
    compare(&engine, &total, &calendar, "rebuilt").await;
    let verified = engine.verify_evaluation(&|_| {}).await.unwrap().expect("kept equals recomputed");
    assert_eq!(verified.cases as usize, ids.len());
}
