//! Simulated history: every case of the demo lived through the real engine.
//!
//! Each case draws its story from its own random stream (seeded by the demo seed and the case's
//! number), so the same seed gives the same cases whatever order the tasks run in. Steps happen
//! in working time after the report; a step whose time would be after "now" is not taken, so
//! recent cases are left open at every stage of the loop.
//!
//! The deadline scheduler's steps (预警, 超期, 督办, 升级, 回访超时) are taken where the running
//! scheduler would have taken them: before each simulated step, whatever fell due until then, at
//! its own instant. What falls due after a case's last simulated step is left to the scheduler's
//! catch-up, which the demo runs up to "now" once every case has been lived.

use std::sync::Arc;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use yiwang_domain::case::{Action, Actor, Case, Channel, Command, Role, Satisfaction, State};
use yiwang_domain::codes::Level;
use yiwang_domain::geo::{Point, distance_m};
use yiwang_domain::taxonomy::{RequestType, SubclassId, Urgency};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::scheduler::{Policy, next_step};
use yiwang_engine::{Engine, EngineError, NewReport};

/// How a case's story goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Story {
    OnTime,
    Overdue,
    Returned,
    Extended,
    Parked,
    Reworked,
    Reopened,
    Merged,
    Voided,
    SettledInGrid,
}

impl Story {
    fn draw(rng: &mut ChaCha8Rng) -> Story {
        const WEIGHTS: &[(Story, u32)] = &[
            (Story::OnTime, 52),
            (Story::Overdue, 9),
            (Story::Returned, 6),
            (Story::Extended, 5),
            (Story::Parked, 3),
            (Story::Reworked, 6),
            (Story::Reopened, 4),
            (Story::Merged, 4),
            (Story::Voided, 4),
            (Story::SettledInGrid, 7),
        ];
        let total: u32 = WEIGHTS.iter().map(|w| w.1).sum();
        let mut n = rng.random_range(0..total);
        for (s, w) in WEIGHTS {
            if n < *w {
                return *s;
            }
            n -= w;
        }
        Story::OnTime
    }
}

/// What one simulated case needs to know about the district.
pub struct Cast {
    pub residents: Vec<String>,
    pub subclasses: Vec<SubclassId>,
    /// (grid code, south-west, north-east, grid member id, street inspector id)
    pub grids: Vec<(String, Point, Point, String, String)>,
    pub units: Vec<String>,
    /// The deployment's supervision policy, which the simulated scheduler follows.
    pub policy: Policy,
    /// Synthetic pictures for reports and for the steps that show the work done.
    pub photos: super::photos::Photos,
}

/// Stops the story when the next step would be in the future.
struct Stop;

struct Sim<'a> {
    engine: &'a Engine,
    cast: &'a Cast,
    rng: ChaCha8Rng,
    now: Timestamp,
    t: Timestamp,
    /// When the case's latest event happened.
    last: Timestamp,
    case: Case,
}

fn staff(id: &str, role: Role, engine: &Engine) -> Actor {
    engine.loaded().staff(id).map(|s| s.actor()).unwrap_or_else(|| panic!("demo staff {id} ({role}) exists"))
}

impl Sim<'_> {
    /// Advances the clock by working minutes (steps happen in office hours).
    fn later(&mut self, min: i64, max: i64) -> Result<Timestamp, Stop> {
        let m = self.rng.random_range(min..=max.max(min));
        self.t = self.engine.rules().calendar.add_working_minutes(self.t, m);
        if self.t > self.now { Err(Stop) } else { Ok(self.t) }
    }

    async fn step(&mut self, actor: Actor, action: Action, note: &str, attachments: Vec<String>) -> Result<(), Stop> {
        // Whatever the scheduler had to do before this step came first.
        self.scheduled(self.t).await;
        let cmd = Command { actor, at: self.t, action, note: note.into(), attachments };
        match self.engine.act(self.case.id, cmd).await {
            Ok((case, event)) => {
                self.case = case;
                self.last = event.at;
                Ok(())
            }
            Err(EngineError::Refused(r)) => {
                panic!("the demo story of case {} was refused: {r}", self.case.id)
            }
            Err(e) => panic!("the demo could not store case {}: {e}", self.case.id),
        }
    }

    /// A picture of the place after a step (handled, checked, settled, reworked).
    fn photo(&mut self) -> Vec<String> {
        let n = self.rng.random_range(1..=9u64);
        vec![self.cast.photos.after_photo(self.case.id as u64 + n)]
    }

    fn unit_staff(&mut self, unit: &str) -> Actor {
        let i = self.rng.random_range(1..=2);
        staff(&format!("h-{unit}-{i}"), Role::Handler, self.engine)
    }

    fn pick(&mut self, prefix: &str, n: u32, role: Role) -> Actor {
        let i = self.rng.random_range(1..=n);
        staff(&format!("{prefix}-{i}"), role, self.engine)
    }

    /// The scheduler's steps that fell due up to `until` — warnings, overdue, 督办, escalation,
    /// follow-up expiry — each at its own instant, as the running scheduler would have taken
    /// them (`yiwang_engine::scheduler::next_step`).
    async fn scheduled(&mut self, until: Timestamp) {
        while let Some(s) = next_step(&self.case, &self.cast.policy, self.engine.rules()).filter(|s| s.at <= until) {
            let cmd = Command {
                actor: Actor::system(),
                at: s.at.max(self.last),
                action: s.action,
                note: String::new(),
                attachments: vec![],
            };
            match self.engine.act(self.case.id, cmd).await {
                Ok((case, event)) => {
                    self.case = case;
                    self.last = event.at;
                }
                Err(e) => panic!("the scheduler's step on demo case {} failed: {e}", self.case.id),
            }
        }
    }

    /// A supervisor urges (催办) a case an hour after it went overdue, if that is before `until`.
    async fn urge(&mut self, until: Timestamp) -> Result<(), Stop> {
        let Some(due) = self.case.clock.due_at.filter(|_| self.case.overdue) else { return Ok(()) };
        let at = self.engine.rules().calendar.add_working_minutes(due, 60).max(self.last);
        if at < until {
            let save = self.t;
            self.t = at;
            let sup = self.pick("sup", 2, Role::Supervisor);
            self.step(sup, Action::Urge, "请尽快处置并反馈", vec![]).await?;
            self.t = save.max(self.t);
        }
        Ok(())
    }

    /// Handle and report back, on time or late; returns when reported back.
    async fn handle(&mut self, unit: &str, story: Story) -> Result<(), Stop> {
        let handler = self.unit_staff(unit);
        self.later(10, 180)?;
        self.step(handler.clone(), Action::Accept, "", vec![]).await?;
        let limit = self.case.clock.limit_minutes;
        if story == Story::Extended {
            self.later(limit / 5, limit / 3)?;
            let extra = self.engine.rules().calendar.minutes_per_working_day() * self.rng.random_range(2..=5);
            self.step(handler.clone(), Action::RequestExtension { minutes: extra }, "需协调产权单位，申请延期", vec![])
                .await?;
            self.later(20, 240)?;
            let approve = self.rng.random_bool(0.8);
            let chief = self.pick("chief", 2, Role::ShiftChief);
            self.step(
                chief,
                Action::DecideExtension { approve },
                if approve { "同意延期" } else { "不同意延期，请按期办结" },
                vec![],
            )
            .await?;
        }
        if story == Story::Parked {
            self.later(limit / 4, limit / 2)?;
            let chief = self.pick("chief", 2, Role::ShiftChief);
            self.step(chief.clone(), Action::Park, "需纳入年度工程计划，挂账处理", vec![]).await?;
            self.later(5 * 420, 25 * 420)?;
            if self.rng.random_bool(0.3) {
                self.step(chief, Action::Close { fixed: false }, "工程未立项，已向居民说明，暂无法解决", vec![])
                    .await?;
                return Err(Stop);
            }
            self.step(chief, Action::Unpark, "工程已立项，恢复处置", vec![]).await?;
        }
        let left = self.case.clock.limit_minutes - self.case.clock.used_minutes;
        let (lo, hi) =
            if story == Story::Overdue { (left + left / 5 + 30, left * 2 + 60) } else { (left / 10, left * 9 / 10) };
        let back = self.engine.rules().calendar.add_working_minutes(self.t, self.rng.random_range(lo..=hi.max(lo)));
        self.scheduled(back.min(self.now)).await;
        self.urge(back.min(self.now)).await?;
        self.t = back;
        if self.t > self.now {
            return Err(Stop);
        }
        let photos = self.photo();
        self.step(handler, Action::ReportBack, "已处置完毕", photos).await
    }

    async fn verify_close(&mut self, verifier: Actor) -> Result<(), Stop> {
        // The handling clock runs until closure, so the check comes within a few hours.
        self.later(20, 150)?;
        let photos = self.photo();
        self.step(verifier, Action::Verify { passed: true }, "现场核查已解决", photos).await?;
        self.later(10, 120)?;
        let chief = self.pick("chief", 2, Role::ShiftChief);
        self.step(chief, Action::Close { fixed: true }, "核查通过，予以结案", vec![]).await
    }

    async fn rate(&mut self, rater: Option<Actor>, satisfaction: Satisfaction, fixed: bool) -> Result<(), Stop> {
        let Some(rater) = rater else { return Ok(()) };
        self.later(60, 840)?;
        // Most say the unit got in touch; the unhappy ones less often.
        let responded = self.rng.random_bool(if satisfaction == Satisfaction::NotSatisfied { 0.6 } else { 0.97 });
        self.step(rater, Action::Evaluate { satisfaction, fixed, responded: Some(responded) }, "", vec![]).await
    }
}

/// Lives one case through, from the report to wherever "now" cuts it.
/// Case `index` gets id `first_id + 2 × index`; its duplicate, if its story has one, the next id.
pub async fn live(
    engine: Arc<Engine>,
    cast: Arc<Cast>,
    seed: u64,
    first_id: i64,
    index: u64,
    at: Timestamp,
    now: Timestamp,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let story = Story::draw(&mut rng);
    let (grid, sw, ne, member, inspector) = cast.grids.choose(&mut rng).expect("grids").clone();
    let subclass = *cast.subclasses.choose(&mut rng).expect("subclasses");
    let location = Point { lon: rng.random_range(sw.lon..ne.lon), lat: rng.random_range(sw.lat..ne.lat) };
    let resident = cast.residents.choose(&mut rng).expect("residents").clone();
    let channel = if story == Story::SettledInGrid {
        Channel::GridPatrol
    } else {
        *[Channel::Portal, Channel::Portal, Channel::Hotline, Channel::GridPatrol, Channel::Sensor]
            .choose(&mut rng)
            .expect("channels")
    };
    let reporter = match channel {
        Channel::Portal | Channel::Open311 => Actor::resident(&resident),
        Channel::Hotline => Actor {
            on_behalf_of: Some(resident.clone()),
            ..staff(&format!("op-{}", rng.random_range(1..=4)), Role::IntakeOperator, &engine)
        },
        Channel::GridPatrol => staff(&member, Role::GridMember, &engine),
        Channel::Sensor => Actor::system(),
    };
    // Who answers the follow-up: the resident in the portal, or an operator's callback.
    let rater = match channel {
        Channel::Portal | Channel::Open311 => Some(Actor::resident(&resident)),
        Channel::Hotline => Some(staff("op-1", Role::IntakeOperator, &engine)),
        _ => None,
    };
    let name = engine.rules().taxonomy.subclass(subclass).map(|s| s.name.clone()).unwrap_or_default();
    // Where, as people say it: near the community's closest landmark.
    let address = engine
        .loaded()
        .reference
        .landmarks
        .iter()
        .filter(|l| grid.starts_with(l.community.as_str()))
        .min_by(|a, b| distance_m(a.location, location).total_cmp(&distance_m(b.location, location)))
        .map_or_else(|| format!("{grid}附近"), |l| format!("{}附近", l.name));
    let input = NewReport {
        subclass,
        request_type: *[
            RequestType::Complaint,
            RequestType::Complaint,
            RequestType::Help,
            RequestType::Report,
            RequestType::Suggestion,
        ]
        .choose(&mut rng)
        .expect("types"),
        urgency: rng.random_bool(0.03).then_some(Urgency::Urgent),
        location,
        address,
        description: format!(
            "{name}：{}",
            ["请尽快处理", "影响居民出行", "已持续多日", "存在安全隐患", "多次反映未解决"]
                .choose(&mut rng)
                .expect("texts")
        ),
        channel,
        photos: vec![cast.photos.report_photo(index)],
    };
    let case = match engine.report_as(first_id + 2 * index as i64, input, &reporter, at).await {
        Ok(c) => c,
        Err(e) => panic!("the demo report {index} was refused: {e}"),
    };
    let mut sim = Sim { engine: &engine, cast: &cast, rng, now, t: at, last: at, case };
    let _ = sim.run(story, reporter, rater, member, inspector, first_id + 2 * index as i64 + 1).await;
}

impl Sim<'_> {
    async fn run(
        &mut self,
        story: Story,
        reporter: Actor,
        rater: Option<Actor>,
        member: String,
        inspector: String,
        duplicate_id: i64,
    ) -> Result<(), Stop> {
        let engine = self.engine;
        let op = self.pick("op", 4, Role::IntakeOperator);
        match story {
            Story::SettledInGrid => {
                self.later(5, 40)?;
                let photos = self.photo();
                self.step(reporter, Action::SettleInGrid, "现场劝导，已当场解决", photos).await?;
                return self.verify_close(staff(&inspector, Role::Inspector, engine)).await;
            }
            Story::Voided => {
                self.later(10, 120)?;
                let chief = self.pick("chief", 2, Role::ShiftChief);
                return self.step(chief, Action::Void, "经核实不属于城市管理问题，作废", vec![]).await;
            }
            Story::Merged => {
                // A neighbour reports the same problem a little later (wall-clock: residents
                // report at any hour); the operator merges it.
                self.t = self.t.plus_ms(self.rng.random_range(10..=120) * MINUTE_MS);
                if self.t > self.now {
                    return Err(Stop);
                }
                let neighbour = self.cast.residents.choose(&mut self.rng).expect("residents").clone();
                let again = NewReport {
                    subclass: self.case.subclass,
                    request_type: RequestType::Complaint,
                    urgency: None,
                    location: Point { lon: self.case.location.lon + 0.0001, lat: self.case.location.lat },
                    address: self.case.address.clone(),
                    description: format!("{}（再次反映）", self.case.description),
                    channel: Channel::Portal,
                    photos: vec![],
                };
                let dup = engine
                    .report_as(duplicate_id, again, &Actor::resident(&neighbour), self.t)
                    .await
                    .expect("the duplicate report is taken");
                let suggested = engine.suggest_duplicates(&dup).await.expect("duplicate suggestions");
                assert!(
                    suggested.iter().any(|s| s.case_id == self.case.id),
                    "case {} is suggested as the original of {}",
                    self.case.id,
                    dup.id
                );
                self.later(5, 60)?;
                self.case =
                    engine.merge(dup.id, self.case.id, &op, self.t, "与已有案卷重复，合并办理").await.expect("merge");
                self.last = self.t;
            }
            _ => {}
        }
        self.later(5, 90)?;
        let reclassify =
            (self.rng.random_bool(0.05)).then(|| *self.cast.subclasses.choose(&mut self.rng).expect("subclasses"));
        self.step(op.clone(), Action::File { subclass: reclassify, urgency: None }, "信息属实，予以立案", vec![])
            .await?;
        let suggested = engine.suggest_units(&self.case).expect("the responsibility list covers the demo");
        let dispatcher = self.pick("disp", 3, Role::Dispatcher);
        self.later(5, 60)?;
        if story == Story::Returned {
            let wrong = self
                .cast
                .units
                .iter()
                .filter(|u| **u != suggested.lead)
                .collect::<Vec<_>>()
                .choose(&mut self.rng)
                .map(|u| u.to_string())
                .expect("units");
            self.step(dispatcher.clone(), Action::Dispatch { lead: wrong.clone(), assisting: vec![] }, "", vec![])
                .await?;
            self.later(20, 240)?;
            let h = self.unit_staff(&wrong);
            self.step(h, Action::Return, "不属于本单位职责，申请回退", vec![]).await?;
            self.later(5, 60)?;
        }
        self.step(
            dispatcher,
            Action::Dispatch { lead: suggested.lead.clone(), assisting: suggested.assisting.clone() },
            "",
            vec![],
        )
        .await?;
        self.handle(&suggested.lead, story).await?;
        let verifier = staff(&member, Role::GridMember, engine);
        if story == Story::Reworked {
            self.later(30, 420)?;
            self.step(verifier.clone(), Action::Verify { passed: false }, "现场核查未解决，退回返工", vec![]).await?;
            self.later(60, 840)?;
            let h = self.unit_staff(&suggested.lead);
            let photos = self.photo();
            self.step(h, Action::ReportBack, "已返工处置", photos).await?;
        }
        self.verify_close(verifier.clone()).await?;
        if story == Story::Reopened && rater.is_some() {
            self.rate(rater.clone(), Satisfaction::NotSatisfied, false).await?;
            debug_assert_eq!(self.case.state, State::Dispatched);
            self.handle(&suggested.lead, Story::OnTime).await?;
            self.verify_close(verifier).await?;
            return self.rate(rater, Satisfaction::Basically, true).await;
        }
        let satisfaction = *[
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::Basically,
            Satisfaction::NotSatisfied,
        ]
        .choose(&mut self.rng)
        .expect("answers");
        let fixed = satisfaction != Satisfaction::NotSatisfied || self.rng.random_bool(0.5);
        // One in ten never answers: the scheduler marks the follow-up 回访超时.
        if self.rng.random_bool(0.1) {
            return Ok(());
        }
        self.rate(rater, satisfaction, fixed).await
    }
}

/// The streets' inspectors, by grid.
pub fn inspector_of(grid: &yiwang_domain::codes::AreaCode) -> String {
    format!("insp-{}", grid.at_level(Level::Street).expect("grids lie in streets"))
}

/// Report instants over `days` days ending at `now`: more on working days and by day.
pub fn report_times(rng: &mut ChaCha8Rng, engine: &Engine, now: Timestamp, days: i64, per_day: u32) -> Vec<Timestamp> {
    let offset = engine.rules().calendar.offset();
    let start = now.plus_ms(-days * 24 * 60 * MINUTE_MS);
    let mut out = Vec::new();
    for d in 0..days {
        let day_start = start.plus_ms(d * 24 * 60 * MINUTE_MS);
        let date = day_start.at_offset(offset).date_naive();
        let n = if engine.rules().calendar.is_working_day(date) { per_day } else { per_day / 2 };
        for _ in 0..n {
            // Mostly between 07:00 and 22:00.
            let hour = if rng.random_bool(0.9) { rng.random_range(7..22) } else { rng.random_range(0..24) };
            let midnight =
                date.and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(offset).single().expect("fixed offset");
            let t = Timestamp::from_datetime(&midnight).plus_ms((hour * 60 + rng.random_range(0..60)) * MINUTE_MS);
            if t < now {
                out.push(t);
            }
        }
    }
    out.sort();
    out
}
