//! A year of requests for the synthetic city, each case lived in memory through the engine's
//! drafts (`Engine::draft`, `Engine::draft_act`): the same checks and decisions as live cases,
//! the scheduler's steps (预警, 超期, 督办, 升级, 回访超时) taken where the running scheduler would
//! have taken them, and cases reported late in the year left open wherever "now" cuts them.
//!
//! Each case draws from its own random stream (the seed and its number), so the history is the
//! same whatever the number of threads.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use yiwang_domain::case::{Action, Actor, Channel, Command, Satisfaction};
use yiwang_domain::codes::{AreaCode, Level};
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::import::Draft;
use yiwang_engine::scheduler::{Policy, next_step};
use yiwang_engine::{Engine, NewReport};

use super::city_map::{CHIEFS, CityMap, DISPATCHERS, OPERATORS};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Story {
    OnTime,
    Overdue,
    Returned,
    Extended,
    Reworked,
    Voided,
    SettledInGrid,
}

const STORIES: &[(Story, u32)] = &[
    (Story::OnTime, 62),
    (Story::Overdue, 10),
    (Story::Returned, 5),
    (Story::Extended, 5),
    (Story::Reworked, 6),
    (Story::Voided, 4),
    (Story::SettledInGrid, 8),
];

/// What every simulated case needs to know about the city.
pub struct Cast {
    /// Unit grids with their bounding boxes; the first fifth are the busy ones.
    grids: Vec<(AreaCode, Point, Point)>,
    /// Subclasses, most reported first (a Zipf-like share of reports).
    subclasses: Vec<SubclassId>,
    policy: Policy,
    residents: u32,
}

impl Cast {
    pub fn new(map: &CityMap, engine: &Engine, policy: Policy, rng: &mut ChaCha8Rng) -> Cast {
        let mut grids = map.grids.clone();
        rand::seq::SliceRandom::shuffle(grids.as_mut_slice(), rng);
        let mut subclasses: Vec<SubclassId> = engine.rules().taxonomy.subclasses.iter().map(|s| s.id).collect();
        rand::seq::SliceRandom::shuffle(subclasses.as_mut_slice(), rng);
        Cast { grids, subclasses, policy, residents: 2_000_000 }
    }

    fn grid(&self, rng: &mut ChaCha8Rng) -> &(AreaCode, Point, Point) {
        // Half of the reports come from the busiest fifth of the grids.
        let n = self.grids.len();
        if rng.random_bool(0.5) {
            &self.grids[rng.random_range(0..n.div_ceil(5))]
        } else {
            &self.grids[rng.random_range(0..n)]
        }
    }

    fn subclass(&self, rng: &mut ChaCha8Rng) -> SubclassId {
        // Rank r is drawn with weight 1 / (r + 1).
        let n = self.subclasses.len() as f64;
        let r = ((n + 1.0).powf(rng.random::<f64>()) - 1.0) as usize;
        self.subclasses[r.min(self.subclasses.len() - 1)]
    }
}

/// Report instants for `count` cases over `days` days ending at `now`: working days busier than
/// rest days, most reports by day. Sorted.
pub fn report_times(rng: &mut ChaCha8Rng, engine: &Engine, now: Timestamp, days: i64, count: u64) -> Vec<Timestamp> {
    let calendar = &engine.rules().calendar;
    let offset = calendar.offset();
    let start = now.plus_ms(-days * 24 * 60 * MINUTE_MS);
    let dates: Vec<_> = (0..days)
        .map(|d| start.plus_ms(d * 24 * 60 * MINUTE_MS).at_offset(offset).date_naive())
        .map(|date| (date, if calendar.is_working_day(date) { 2.0 } else { 1.0 }))
        .collect();
    let weight: f64 = dates.iter().map(|d| d.1).sum();
    let mut out = Vec::with_capacity(count as usize);
    let mut made = 0u64;
    let mut so_far = 0.0;
    for (date, w) in dates {
        so_far += w;
        let until = (count as f64 * so_far / weight).round() as u64;
        let midnight =
            date.and_hms_opt(0, 0, 0).expect("midnight").and_local_timezone(offset).single().expect("fixed offset");
        let midnight = Timestamp::from_datetime(&midnight);
        for _ in made..until {
            let hour = if rng.random_bool(0.9) { rng.random_range(7..22) } else { rng.random_range(0..24) };
            let t = midnight.plus_ms(hour * 60 * MINUTE_MS + rng.random_range(0..60 * MINUTE_MS));
            out.push(if t < now { t } else { now.plus_ms(-1) });
        }
        made = until;
    }
    out.sort();
    out
}

struct Stop;

struct Sim<'a> {
    engine: &'a Engine,
    cast: &'a Cast,
    rng: ChaCha8Rng,
    now: Timestamp,
    t: Timestamp,
    draft: Draft,
}

fn staff(engine: &Engine, id: &str) -> Actor {
    engine.loaded().staff(id).unwrap_or_else(|| panic!("city staff {id} exists")).actor()
}

impl Sim<'_> {
    fn later(&mut self, min: i64, max: i64) -> Result<(), Stop> {
        let m = self.rng.random_range(min..=max.max(min));
        self.t = self.engine.rules().calendar.add_working_minutes(self.t, m);
        if self.t > self.now { Err(Stop) } else { Ok(()) }
    }

    fn pick(&mut self, prefix: &str, n: u32) -> Actor {
        let i = self.rng.random_range(1..=n);
        staff(self.engine, &format!("{prefix}-{i}"))
    }

    fn step(&mut self, actor: Actor, action: Action, note: &str) -> Result<(), Stop> {
        self.scheduled(self.t);
        let attachments = match action {
            Action::ReportBack | Action::SettleInGrid => vec![format!("city/{}/after.jpg", self.draft.case().id)],
            _ => vec![],
        };
        let cmd = Command { actor, at: self.t, action, note: note.into(), attachments };
        let id = self.draft.case().id;
        self.engine.draft_act(&mut self.draft, cmd).unwrap_or_else(|e| panic!("the city story of case {id}: {e}"));
        Ok(())
    }

    /// The scheduler's steps that fell due up to `until`, each at its own instant.
    fn scheduled(&mut self, until: Timestamp) {
        while let Some(s) =
            next_step(self.draft.case(), &self.cast.policy, self.engine.rules()).filter(|s| s.at <= until)
        {
            let cmd = Command {
                actor: Actor::system(),
                at: s.at.max(self.draft.last_at()),
                action: s.action,
                note: String::new(),
                attachments: vec![],
            };
            let id = self.draft.case().id;
            self.engine.draft_act(&mut self.draft, cmd).unwrap_or_else(|e| panic!("the scheduler on case {id}: {e}"));
        }
    }

    fn handle(&mut self, lead: &str, story: Story) -> Result<(), Stop> {
        let handler = staff(self.engine, &format!("h-{lead}"));
        self.later(10, 180)?;
        self.step(handler.clone(), Action::Accept, "")?;
        let limit = self.draft.case().clock.limit_minutes;
        if story == Story::Extended {
            self.later(limit / 5, limit / 3)?;
            let extra = self.engine.rules().calendar.minutes_per_working_day() * self.rng.random_range(2..=5);
            self.step(handler.clone(), Action::RequestExtension { minutes: extra }, "需协调产权单位，申请延期")?;
            self.later(20, 240)?;
            let approve = self.rng.random_bool(0.8);
            let chief = self.pick("chief", CHIEFS);
            self.step(chief, Action::DecideExtension { approve }, if approve { "同意延期" } else { "请按期办结" })?;
        }
        let clock = &self.draft.case().clock;
        let left = (clock.limit_minutes - clock.used_minutes).max(1);
        let (lo, hi) =
            if story == Story::Overdue { (left + left / 5 + 30, left * 2 + 60) } else { (left / 10, left * 9 / 10) };
        self.later(lo, hi)?;
        self.step(handler, Action::ReportBack, "已处置完毕")
    }

    fn verify_close(&mut self, verifier: Actor) -> Result<(), Stop> {
        self.later(20, 150)?;
        self.step(verifier, Action::Verify { passed: true }, "现场核查已解决")?;
        self.later(10, 120)?;
        let chief = self.pick("chief", CHIEFS);
        self.step(chief, Action::Close { fixed: true }, "核查通过，予以结案")
    }

    fn run(&mut self, story: Story, reporter: Actor, rater: Option<Actor>, member: Actor) -> Result<(), Stop> {
        let op = self.pick("op", OPERATORS);
        match story {
            Story::SettledInGrid => {
                self.later(5, 40)?;
                self.step(reporter, Action::SettleInGrid, "现场劝导，已当场解决")?;
                let street = self.draft.case().grid.at_level(Level::Street).expect("grids lie in streets");
                return self.verify_close(staff(self.engine, &format!("insp-{street}")));
            }
            Story::Voided => {
                self.later(10, 120)?;
                let chief = self.pick("chief", CHIEFS);
                return self.step(chief, Action::Void, "经核实不属于城市管理问题，作废");
            }
            _ => {}
        }
        self.later(5, 90)?;
        self.step(op, Action::File { subclass: None, urgency: None }, "信息属实，予以立案")?;
        let suggested = self.engine.suggest_units(self.draft.case()).expect("every grid has a street office");
        let dispatcher = self.pick("disp", DISPATCHERS);
        self.later(5, 60)?;
        if story == Story::Returned {
            // Sent first to the wrong department of the district, which returns it.
            let district = self.draft.case().grid.at_level(Level::County).expect("grids lie in districts");
            let wrong = [format!("{district}-00"), format!("{district}-01")]
                .into_iter()
                .find(|u| *u != suggested.lead)
                .expect("two departments");
            self.step(dispatcher.clone(), Action::Dispatch { lead: wrong.clone(), assisting: vec![] }, "")?;
            self.later(20, 240)?;
            let h = staff(self.engine, &format!("h-{wrong}"));
            self.step(h, Action::Return, "不属于本单位职责，申请回退")?;
            self.later(5, 60)?;
        }
        self.step(dispatcher, Action::Dispatch { lead: suggested.lead.clone(), assisting: vec![] }, "")?;
        self.handle(&suggested.lead, story)?;
        if story == Story::Reworked {
            self.later(30, 420)?;
            self.step(member.clone(), Action::Verify { passed: false }, "现场核查未解决，退回返工")?;
            self.later(60, 840)?;
            let h = staff(self.engine, &format!("h-{}", suggested.lead));
            self.step(h, Action::ReportBack, "已返工处置")?;
        }
        self.verify_close(member)?;
        let satisfaction = *[
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::Basically,
            Satisfaction::Basically,
            Satisfaction::NotSatisfied,
        ]
        .choose(&mut self.rng)
        .expect("answers");
        // One in ten never answers: the scheduler marks the follow-up 回访超时.
        let Some(rater) = rater.filter(|_| self.rng.random_bool(0.9)) else { return Ok(()) };
        self.later(60, 840)?;
        let fixed = satisfaction != Satisfaction::NotSatisfied || self.rng.random_bool(0.5);
        let responded = self.rng.random_bool(if satisfaction == Satisfaction::NotSatisfied { 0.6 } else { 0.97 });
        self.step(rater, Action::Evaluate { satisfaction, fixed, responded: Some(responded) }, "")
    }
}

/// Lives case number `index` (id `id`), reported at `at`, up to `now`.
pub fn live(engine: &Engine, cast: &Cast, seed: u64, index: u64, id: i64, at: Timestamp, now: Timestamp) -> Draft {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let total: u32 = STORIES.iter().map(|s| s.1).sum();
    let mut n = rng.random_range(0..total);
    let story = STORIES
        .iter()
        .find(|(_, w)| {
            let hit = n < *w;
            n = n.saturating_sub(*w);
            hit
        })
        .map(|s| s.0)
        .unwrap_or(Story::OnTime);
    let (grid, sw, ne) = cast.grid(&mut rng).clone();
    let loaded = engine.loaded();
    let polygon = &loaded.jurisdiction.grid(&grid).expect("the grid exists").polygon;
    let location = loop {
        let p = Point::new(rng.random_range(sw.lon..ne.lon), rng.random_range(sw.lat..ne.lat));
        if polygon.contains(p) {
            break p;
        }
    };
    let subclass = cast.subclass(&mut rng);
    let member = staff(engine, &format!("gm-{grid}"));
    let resident = format!("r{:07}", rng.random_range(0..cast.residents));
    let channel = if story == Story::SettledInGrid {
        Channel::GridPatrol
    } else {
        *[Channel::Hotline, Channel::Hotline, Channel::Hotline, Channel::Portal, Channel::GridPatrol, Channel::Sensor]
            .choose(&mut rng)
            .expect("channels")
    };
    let reporter = match channel {
        Channel::Portal | Channel::Open311 => Actor::resident(&resident),
        Channel::Hotline => Actor {
            on_behalf_of: Some(resident.clone()),
            ..staff(engine, &format!("op-{}", rng.random_range(1..=OPERATORS)))
        },
        Channel::GridPatrol => member.clone(),
        Channel::Sensor => Actor::system(),
    };
    let rater = match channel {
        Channel::Portal | Channel::Open311 => Some(Actor::resident(&resident)),
        Channel::Hotline => Some(staff(engine, "op-1")),
        _ => None,
    };
    let name = engine.rules().taxonomy.subclass(subclass).map(|s| s.name.as_str()).unwrap_or_default();
    let input = NewReport {
        subclass,
        request_type: *[RequestType::Complaint, RequestType::Complaint, RequestType::Help, RequestType::Report]
            .choose(&mut rng)
            .expect("types"),
        urgency: None,
        location,
        address: format!("{grid}附近"),
        description: format!(
            "{name}：{}",
            ["请尽快处理", "影响居民出行", "已持续多日", "存在安全隐患", "多次反映未解决"]
                .choose(&mut rng)
                .expect("texts")
        ),
        channel,
        photos: vec![format!("city/report-{index}.jpg")],
    };
    let draft = engine.draft(id, input, &reporter, at).unwrap_or_else(|e| panic!("the city report {index}: {e}"));
    let mut sim = Sim { engine, cast, rng, now, t: at, draft };
    let _ = sim.run(story, reporter, rater, member);
    // What fell due after the last step, up to now, as the scheduler catches up.
    sim.scheduled(now);
    sim.draft
}
