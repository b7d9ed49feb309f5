//! The case engine (案件引擎): the deployment's rules and reference data in memory, a [`Store`]
//! underneath, and one way in for every change of a case.
//!
//! Data flows one way: a caller's input is parsed into domain types, the domain decides
//! (`case::open`, `case::decide`), and the store persists the case and its event atomically.
//! When two people act on one case at once, the loser's decision is made again on the fresh case
//! (and refused if it no longer applies), so nobody acts on a stale picture.
//!
//! Beside the engine run two tasks that follow its changes, each acting only through it or
//! through the store: the deadline [`scheduler`] (warnings, overdue, 督办, escalation, follow-up
//! expiry) and the [`notifier`] (who must act, told from the committed events).

pub mod clock;
pub mod notifier;
pub mod scheduler;

pub mod evaluation;
pub mod import;
mod recent;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use yiwang_domain::Refusal;
use yiwang_domain::case::{self, Action, Actor, Case, Channel, Command, Event, Report, Rules};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::duplicates::{self, DuplicateWindow, Suggestion};
use yiwang_domain::evaluation::{Facts, Policy, contribution_change};
use yiwang_domain::geo::{GridIndex, Point, Polygon, convex_hull};
use yiwang_domain::jurisdiction::Jurisdiction;
use yiwang_domain::responsibility::{Assignment, ResponsibilityList};
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Urgency};
use yiwang_domain::time::Timestamp;
use yiwang_store::evaluation::EvaluationChange;
use yiwang_store::{Change, Reference, Store, StoreError};

/// Case ids are reserved from the store in blocks, so that several nodes never clash and a
/// report costs no extra round trip. One report at a time refills the block, the others wait for
/// it: when hundreds found it empty together, each reserved a block of its own (all but one
/// wasted), and each reservation was a transaction of its own in the store's writer.
const ID_BLOCK: u32 = 256;
/// How often a decision is retried when another writer changed the case in between.
const RETRIES: usize = 8;
/// Longest description accepted (Open311 allows 4,000 characters).
pub const MAX_DESCRIPTION: usize = 4_000;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The caller asked for something the rules do not allow: a 4xx, in the caller's language.
    #[error("{0}")]
    Refused(Refusal),
    #[error("case {0} not found")]
    NotFound(i64),
    /// The database failed: a 500, logged.
    #[error(transparent)]
    Store(StoreError),
}

impl From<Refusal> for EngineError {
    fn from(r: Refusal) -> Self {
        EngineError::Refused(r)
    }
}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(r) => EngineError::Refused(r),
            other => EngineError::Store(other),
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// The reference data in the shape the engine uses it.
pub struct Loaded {
    pub reference: Reference,
    pub jurisdiction: Jurisdiction,
    pub grids: GridIndex,
    pub responsibility: ResponsibilityList,
    /// The outline of every area above the grids: the convex hull of its grids' corners,
    /// computed once per import (for maps of streets and communities).
    pub outlines: HashMap<AreaCode, Polygon>,
    staff: HashMap<String, usize>,
}

impl Loaded {
    /// Checks the reference data hangs together and indexes it.
    pub fn new(reference: Reference) -> Result<Loaded, Refusal> {
        let jurisdiction = Jurisdiction::new(reference.areas.clone(), reference.grids.clone())?;
        let grids = GridIndex::new(jurisdiction.unit_grids().map(|g| (g.code.clone(), g.polygon.clone())))?;
        let responsibility = ResponsibilityList::new(reference.units.clone(), reference.duties.clone())?;
        jurisdiction.check_landmarks(&reference.landmarks)?;
        let mut staff = HashMap::new();
        for (i, s) in reference.staff.iter().enumerate() {
            if staff.insert(s.id.clone(), i).is_some() {
                return Err(Refusal::bad_field(
                    "staff.id",
                    format!("工作人员 {} 重复", s.id),
                    format!("staff id {} appears twice", s.id),
                ));
            }
        }
        let mut corners: HashMap<AreaCode, Vec<Point>> = HashMap::new();
        for g in jurisdiction.unit_grids() {
            for area in std::iter::successors(g.code.parent(), |a| a.parent()) {
                corners.entry(area).or_default().extend(g.polygon.exterior.iter().copied());
            }
        }
        let outlines = corners.into_iter().map(|(a, points)| (a, convex_hull(points))).collect();
        Ok(Loaded { reference, jurisdiction, grids, responsibility, outlines, staff })
    }

    pub fn staff(&self, id: &str) -> Option<&Staff> {
        self.staff.get(id).map(|&i| &self.reference.staff[i])
    }
}

/// What a reporter says, before the engine locates and checks it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewReport {
    pub subclass: SubclassId,
    #[serde(default)]
    pub request_type: RequestType,
    #[serde(default)]
    pub urgency: Option<Urgency>,
    pub location: Point,
    #[serde(default)]
    pub address: String,
    pub description: String,
    #[serde(default)]
    pub channel: Channel,
    #[serde(default)]
    pub photos: Vec<String>,
}

/// A change that is durable: the case as it is now and the event that made it so. Published to
/// live subscribers (screens, webhooks) after the commit, never before.
#[derive(Clone, Debug)]
pub struct Committed {
    pub case: Case,
    pub event: Event,
}

/// A case with what its next step needs: its stored evaluation facts.
struct Current {
    case: Case,
    facts: Option<Facts>,
}

/// How many committed changes a slow subscriber may fall behind before it misses some.
const BUS_CAPACITY: usize = 4096;

pub struct Engine {
    store: Arc<dyn Store>,
    bus: tokio::sync::broadcast::Sender<Arc<Committed>>,
    rules: Arc<Rules>,
    loaded: RwLock<Arc<Loaded>>,
    ids: tokio::sync::Mutex<std::ops::Range<i64>>,
    pub duplicate_window: DuplicateWindow,
    /// Evaluation choices (考核口径): every change carries what it does to the counters.
    policy: Policy,
    /// The cases this engine wrote last, with their facts and contribution: the next step needs
    /// no read.
    recent: recent::Recent<Arc<Current>>,
}

impl Engine {
    /// Starts on a store, loading its reference data.
    pub async fn start(store: Arc<dyn Store>, rules: Rules) -> Result<Engine> {
        let reference = store.load_reference().await?;
        let loaded = Loaded::new(reference)?;
        Ok(Engine {
            store,
            bus: tokio::sync::broadcast::channel(BUS_CAPACITY).0,
            rules: Arc::new(rules),
            loaded: RwLock::new(Arc::new(loaded)),
            ids: tokio::sync::Mutex::new(0..0),
            duplicate_window: DuplicateWindow::default(),
            policy: Policy::default(),
            recent: recent::Recent::default(),
        })
    }

    /// Uses these evaluation choices instead of the published defaults. Counters already
    /// stored were computed with the old ones: rebuild them (`rebuild_evaluation`).
    pub fn with_policy(mut self, policy: Policy) -> Engine {
        self.policy = policy;
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The reference data now in force.
    pub fn loaded(&self) -> Arc<Loaded> {
        self.loaded.read().expect("reference lock").clone()
    }

    /// Replaces the reference data: checked first, then stored, then put in force.
    pub async fn import_reference(&self, reference: Reference) -> Result<()> {
        let loaded = Loaded::new(reference)?;
        self.store.save_reference(&loaded.reference).await?;
        *self.loaded.write().expect("reference lock") = Arc::new(loaded);
        Ok(())
    }

    /// The unit grid at a point (or the refusal naming the nearest grid).
    pub fn locate(&self, p: Point) -> Result<AreaCode, Refusal> {
        self.loaded().grids.locate(p)
    }

    /// Who the responsibility list says must act on this case.
    pub fn suggest_units(&self, case: &Case) -> Result<Assignment, Refusal> {
        self.loaded().responsibility.assign(&self.rules.taxonomy, case.subclass, &case.grid)
    }

    async fn next_id(&self) -> Result<i64> {
        let mut block = self.ids.lock().await;
        if block.is_empty() {
            let first = self.store.allocate_case_ids(ID_BLOCK).await?;
            *block = first..first + i64::from(ID_BLOCK);
        }
        Ok(block.next().expect("a fresh block is not empty"))
    }

    /// Takes in a report: checks it, locates it to its unit grid and opens a case.
    pub async fn report(&self, input: NewReport, reporter: &Actor, at: Timestamp) -> Result<Case> {
        let id = self.next_id().await?;
        self.report_as(id, input, reporter, at).await
    }

    /// Like [`Engine::report`], with an id reserved beforehand (`Store::allocate_case_ids`), for
    /// imports and simulations that must give the same ids on every run.
    pub async fn report_as(&self, id: i64, input: NewReport, reporter: &Actor, at: Timestamp) -> Result<Case> {
        let (case, event) = self.open(id, input, reporter, at)?;
        let evaluated = self.evaluation(None, &event).await?;
        self.commit(vec![(case.clone(), event, evaluated)]).await?;
        Ok(case)
    }

    /// Checks a report, locates it to its unit grid and opens the case, in memory.
    fn open(&self, id: i64, input: NewReport, reporter: &Actor, at: Timestamp) -> Result<(Case, Event)> {
        let location = Point::new_checked(input.location.lon, input.location.lat)?;
        let description = input.description.trim();
        if description.is_empty() {
            return Err(Refusal::bad_field("description", "请描述问题", "describe the problem").into());
        }
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(Refusal::bad_field(
                "description",
                format!("不能超过 {MAX_DESCRIPTION} 字"),
                format!("at most {MAX_DESCRIPTION} characters"),
            )
            .into());
        }
        self.rules.taxonomy.require("subclass", input.subclass)?;
        let grid = self.locate(location)?;
        let report = Report {
            subclass: input.subclass,
            request_type: input.request_type,
            urgency: input.urgency,
            grid,
            location,
            address: input.address.trim().to_owned(),
            description: description.to_owned(),
            channel: input.channel,
            photos: input.photos,
        };
        Ok(case::open(id, report, reporter, at, &self.rules)?)
    }

    /// What a change does to evaluation: the case's facts after `event`, and the difference
    /// their contribution makes. `before` is the case the event was decided on (`None`: a new
    /// case). Stored facts not at `before.seq` mean another writer got there in between: a
    /// conflict, to decide again. A case stored without facts (an import, data older than
    /// evaluation) is folded from its events once and counted whole from now on.
    async fn evaluation(&self, before: Option<&Case>, event: &Event) -> Result<EvaluationChange, StoreError> {
        let stored = match before {
            Some(case) => self.store.facts(case.id).await?,
            None => None,
        };
        self.evaluation_with(before, stored.as_ref(), event).await
    }

    /// [`Engine::evaluation`] with the case's stored facts already read ([`Engine::current`]).
    async fn evaluation_with(
        &self,
        before: Option<&Case>,
        stored: Option<&Facts>,
        event: &Event,
    ) -> Result<EvaluationChange, StoreError> {
        let old = match before {
            None => None,
            Some(case) => match stored {
                Some(f) if f.seq == case.seq => Some(f.clone()),
                Some(f) => return Err(StoreError::Conflict { case_id: case.id, expected: case.seq, found: f.seq }),
                None => {
                    let events = self.store.events(case.id).await?;
                    if events.len() as u32 != case.seq {
                        return Err(StoreError::Conflict {
                            case_id: case.id,
                            expected: case.seq,
                            found: events.len() as u32,
                        });
                    }
                    Facts::of(&events, &self.rules.calendar, &self.policy)
                }
            },
        };
        let (calendar, policy) = (&self.rules.calendar, &self.policy);
        let facts = Facts::apply(old, event, calendar, policy);
        // Stored facts were counted as they are; facts folded just now were never counted.
        let delta = contribution_change(stored, &facts, calendar, policy);
        Ok(EvaluationChange { facts, delta })
    }

    /// Commits the steps (each case as decided, its event, what it does to evaluation)
    /// atomically, keeps the cases as written, then tells live subscribers.
    async fn commit(&self, steps: Vec<(Case, Event, EvaluationChange)>) -> Result<(), StoreError> {
        let live = self.bus.receiver_count() > 0;
        let published: Vec<Arc<Committed>> = if live {
            steps
                .iter()
                .map(|(case, event, _)| Arc::new(Committed { case: case.clone(), event: event.clone() }))
                .collect()
        } else {
            Vec::new()
        };
        let mut changes = Vec::with_capacity(steps.len());
        let mut written = Vec::with_capacity(steps.len());
        for (case, event, change) in steps {
            let facts = Some(change.facts.clone());
            written.push(Arc::new(Current { case: case.clone(), facts }));
            changes.push(Change { case, event, evaluation: Some(change) });
        }
        if let Err(e) = self.store.commit(changes).await {
            // A conflict means a copy was stale; any other failure leaves the outcome unknown.
            for copy in written {
                self.recent.forget(copy.case.id);
            }
            return Err(e);
        }
        for copy in written {
            self.recent.put(copy.case.id, copy);
        }
        for c in published {
            // Nobody listening is not an error.
            let _ = self.bus.send(c);
        }
        Ok(())
    }

    /// Every committed change from now on, in commit order (a slow reader is told what it missed).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Committed>> {
        self.bus.subscribe()
    }

    pub async fn case(&self, id: i64) -> Result<Case> {
        self.store.case(id).await?.ok_or(EngineError::NotFound(id))
    }

    /// The case and its stored evaluation facts: as this engine last wrote them, or in one read.
    async fn current(&self, id: i64) -> Result<Arc<Current>> {
        if let Some(copy) = self.recent.get(id) {
            return Ok(copy);
        }
        let (case, facts) = self.store.case_with_facts(id).await?.ok_or(EngineError::NotFound(id))?;
        Ok(Arc::new(Current { case, facts }))
    }

    /// Takes one step of the closed loop on a case.
    pub async fn act(&self, case_id: i64, cmd: Command) -> Result<(Case, Event)> {
        self.check_command(&cmd)?;
        let mut last = None;
        for _ in 0..RETRIES {
            let Current { case, facts } = &*self.current(case_id).await?;
            let (next, event) = case::decide(case, &cmd, &self.rules)?;
            let evaluated = match self.evaluation_with(Some(case), facts.as_ref(), &event).await {
                Ok(e) => e,
                Err(e @ StoreError::Conflict { .. }) => {
                    self.recent.forget(case_id);
                    last = Some(e);
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            match self.commit(vec![(next.clone(), event.clone(), evaluated)]).await {
                Ok(_) => return Ok((next, event)),
                Err(e @ StoreError::Conflict { .. }) => last = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last.expect("retried at least once").into())
    }

    /// Takes one step on the case exactly as given, a copy read beforehand: when another writer
    /// changed it meanwhile, nothing is written and the store's `Conflict` comes back instead of
    /// a decision made again. For the scheduler, whose step is planned from that very copy.
    pub async fn act_on(&self, case: &Case, cmd: Command) -> Result<(Case, Event)> {
        self.check_command(&cmd)?;
        let (next, event) = case::decide(case, &cmd, &self.rules)?;
        let evaluated = self.evaluation(Some(case), &event).await?;
        self.commit(vec![(next.clone(), event.clone(), evaluated)]).await?;
        Ok((next, event))
    }

    /// Merges `duplicate` into `into`: the duplicate ends, its reporter follows the survivor.
    pub async fn merge(&self, duplicate: i64, into: i64, actor: &Actor, at: Timestamp, note: &str) -> Result<Case> {
        let mut last = None;
        for _ in 0..RETRIES {
            let Current { case: dup, facts: dup_facts } = &*self.current(duplicate).await?;
            let Current { case: master, facts: master_facts } = &*self.current(into).await?;
            if !master.state.is_open() {
                return Err(Refusal::new(
                    "merge_into_closed",
                    format!("案卷 {into} 已办结，不能并入"),
                    format!("case {into} is finished; nothing can be merged into it"),
                )
                .into());
            }
            let mark = Command {
                actor: actor.clone(),
                at,
                action: Action::MarkDuplicate { of: into },
                note: note.to_owned(),
                attachments: vec![],
            };
            let (d2, e2) = case::decide(dup, &mark, &self.rules)?;
            let absorb =
                Command { action: Action::AbsorbDuplicate { duplicate, reporter: dup.reporter.clone() }, ..mark };
            let (m2, e1) = case::decide(master, &absorb, &self.rules)?;
            let evaluations = match (
                self.evaluation_with(Some(dup), dup_facts.as_ref(), &e2).await,
                self.evaluation_with(Some(master), master_facts.as_ref(), &e1).await,
            ) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e @ StoreError::Conflict { .. }), _) | (_, Err(e @ StoreError::Conflict { .. })) => {
                    self.recent.forget(duplicate);
                    self.recent.forget(into);
                    last = Some(e);
                    continue;
                }
                (Err(e), _) | (_, Err(e)) => return Err(e.into()),
            };
            match self.commit(vec![(d2, e2, evaluations.0), (m2.clone(), e1, evaluations.1)]).await {
                Ok(_) => return Ok(m2),
                Err(e @ StoreError::Conflict { .. }) => last = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last.expect("retried at least once").into())
    }

    /// Open cases that look like the same problem as this one, nearest first.
    pub async fn suggest_duplicates(&self, case: &Case) -> Result<Vec<Suggestion>> {
        let w = &self.duplicate_window;
        let (sw, ne) = w.bbox(case.location);
        let candidates = self.store.open_cases_near(case.subclass, sw, ne, w.since(case.reported_at)).await?;
        Ok(duplicates::suggest(w, case, &candidates))
    }

    /// Checks what the state machine cannot know: that named units and areas exist.
    fn check_command(&self, cmd: &Command) -> Result<(), Refusal> {
        let loaded = self.loaded();
        match &cmd.action {
            Action::Dispatch { lead, assisting } => {
                loaded.responsibility.require_unit("lead", lead)?;
                for a in assisting {
                    loaded.responsibility.require_unit("assisting", a)?;
                }
            }
            Action::Escalate { to } if loaded.jurisdiction.area(to).is_none() => {
                return Err(Refusal::bad_field("to", format!("辖区 {to} 不存在"), format!("area {to} does not exist")));
            }
            _ => {}
        }
        Ok(())
    }
}

/// How often at most a task that follows the commits (the notifier, the scheduler, the webhook
/// feeder) starts a round. Under load each round then takes up what many group commits wrote,
/// with one set of reads and one write, instead of a round for nearly every group commit;
/// nothing they do is owed sooner than a tenth of a second.
pub const ROUND_GAP: Duration = Duration::from_millis(100);

/// A task running beside the server (the scheduler, the notifier). It stops when told or when
/// dropped; a step in flight is abandoned, which loses nothing: both pick up where the store
/// says they are.
pub struct Background(tokio::task::JoinHandle<()>);

impl Background {
    pub fn spawn(task: impl std::future::Future<Output = ()> + Send + 'static) -> Background {
        Background(tokio::spawn(task))
    }

    pub async fn stop(mut self) {
        self.0.abort();
        let _ = (&mut self.0).await;
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.0.abort();
    }
}
