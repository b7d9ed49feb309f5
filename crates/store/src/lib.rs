//! The storage interface of yiwang.
//!
//! [`Store`] is what the engine needs from a database: keep the reference data (areas, grids,
//! units, the responsibility list, staff), append case changes atomically with the ledger, and
//! read cases, events and the audit trail back. Two crates implement it, `yiwang-store-sqlite`
//! and `yiwang-store-postgres`; [`conformance`] is the one behaviour story both must pass
//! unchanged.
//!
//! API boundary: a store decides nothing about cases. The domain computes the next case and its
//! event (with the per-case hash); the store checks that nobody changed the case in between
//! (`expected_seq`), chains the event into the ledger, and persists both in one transaction.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod conformance;
pub mod evaluation;
pub mod import;
pub mod notifications;
pub mod open311;
pub mod proxies;
pub mod schedule;
pub mod webhooks;

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use yiwang_domain::Refusal;
use yiwang_domain::audit::{CaseHead, Hash, LedgerEntry};
use yiwang_domain::case::{Case, Event, State};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::{Circle, Point};
use yiwang_domain::jurisdiction::{Area, Grid, Landmark};
use yiwang_domain::queue::{Queue, Waiting};
use yiwang_domain::responsibility::{Duty, Unit};
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::SubclassId;
use yiwang_domain::time::Timestamp;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The case changed since it was read: read it again and decide again.
    #[error("case {case_id} changed concurrently (expected event {expected}, found {found})")]
    Conflict { case_id: i64, expected: u32, found: u32 },
    /// The caller asked for something that cannot be stored (a duplicate id, a missing case).
    #[error("{0}")]
    Refused(Refusal),
    /// The database failed: an internal fault, logged and answered with 500.
    #[error("database: {0}")]
    Backend(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The base data of a deployment (基础数据): one authoritative copy, loaded into memory at start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub areas: Vec<Area>,
    pub grids: Vec<Grid>,
    pub units: Vec<Unit>,
    pub duties: Vec<Duty>,
    pub staff: Vec<Staff>,
    /// Named points of each community (地标), for choosing a place without a map.
    #[serde(default)]
    pub landmarks: Vec<Landmark>,
}

/// One case change to persist: the case as it is after the event.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub case: Case,
    pub event: Event,
    /// The case's new evaluation facts and the difference they make to the counters; `None`
    /// leaves evaluation untouched (the store's own tests, imports that rebuild afterwards).
    pub evaluation: Option<evaluation::EvaluationChange>,
}

impl Change {
    /// The `seq` the stored case must still have (0 for a new case).
    pub fn expected_seq(&self) -> u32 {
        self.event.seq - 1
    }
}

/// Whether a step may bring followers the store does not hold yet: the reporter follows from
/// the report on, and only a merge adds followers later, so most steps write none.
pub fn brings_followers(case: &Case, event: &Event) -> bool {
    event.seq == 1 || case.followers.len() > 1
}

/// Refuses a store whose schema a newer yiwang has migrated (`newest` is the highest version it
/// records, `known` this build's last migration). Writing to it, this build would leave stale
/// what the newer schema keeps beside the rows (a table the writer widens, an index), and a
/// newer build would then answer wrongly from it.
pub fn check_schema_version(newest: Option<i64>, known: i64) -> Result<()> {
    match newest {
        Some(found) if found > known => Err(StoreError::Backend(format!(
            "the store's schema is at version {found}, newer than this yiwang knows ({known}): \
             run the yiwang that migrated it, or a newer one"
        ))),
        _ => Ok(()),
    }
}

/// Where the ledger stood after a commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerHead {
    pub seq: i64,
    pub hash: Hash,
}

/// Filters for listing cases; all optional, combined with AND.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseFilter {
    /// Cases whose grid lies under this node.
    pub area: Option<AreaCode>,
    /// Cases whose location lies in this circle: the store narrows by its bounding box (an index
    /// on `(lat, lon)`), then keeps what [`Circle::contains`] keeps, in SQL.
    pub near: Option<Circle>,
    pub states: Vec<State>,
    pub subclass: Option<SubclassId>,
    pub lead_unit: Option<String>,
    /// Cases this resident follows (reported, or merged into).
    pub follower: Option<String>,
    pub overdue: Option<bool>,
    /// Cases whose unit asked for an extension (申请延期) that awaits its answer.
    pub extension_requested: Option<bool>,
    /// Closed cases still waiting for their follow-up (回访): no rating, not expired (see
    /// [`schedule::awaits_follow_up`]); `Some(false)`: every other case.
    pub awaiting_follow_up: Option<bool>,
    pub reported_from: Option<Timestamp>,
    pub reported_to: Option<Timestamp>,
    /// Keyset paging: only ids below this one (newest first).
    pub before_id: Option<i64>,
    pub order: CaseOrder,
    pub limit: u32,
}

/// The order of a case list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CaseOrder {
    /// By id, newest first (the order `before_id` pages in).
    #[default]
    NewestFirst,
    /// The earliest deadline first (the most overdue), cases without one last, then by id.
    DueFirst,
}

impl CaseFilter {
    /// The cases of a work queue (待办, see [`Queue`]), before the caller's territory narrows it.
    pub fn queue(queue: &Queue) -> CaseFilter {
        let mut f = CaseFilter { states: queue.states().to_vec(), ..Default::default() };
        match queue.waiting {
            Waiting::State => {}
            Waiting::ExtensionRequest => f.extension_requested = Some(true),
            Waiting::Overdue => f.overdue = Some(true),
            Waiting::FollowUp => f.awaiting_follow_up = Some(true),
        }
        f
    }
}

/// The open cases under one node (一级一屏's live counters).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenCounts {
    /// The node counted for: the grid codes' prefix.
    pub node: String,
    pub open: i64,
    /// Of those, past their deadline (超期).
    pub overdue: i64,
    /// Of those, warned (预警) and not yet overdue.
    pub warned: i64,
}

/// Cases by id, each with its events in order (see `Store::cases_with_events`).
pub type CasesWithEvents = HashMap<i64, (Option<Case>, Vec<Event>)>;

/// Cases a read of [`cases_of`] takes at most: enough to spare the per-read costs, few enough
/// that no read holds a core for long.
const CASES_A_READ: usize = 32;

/// The cases of some ledger entries with their events, for the ledger's followers
/// (notifications, webhooks): a few reads for a page instead of two for each case.
pub async fn cases_of<'a>(
    store: &dyn Store,
    entries: impl Iterator<Item = &'a LedgerEntry>,
) -> Result<CasesWithEvents> {
    let ids: Vec<i64> = entries.map(|e| e.case_id).collect::<BTreeSet<_>>().into_iter().collect();
    let mut cases = CasesWithEvents::with_capacity(ids.len());
    for chunk in ids.chunks(CASES_A_READ) {
        cases.extend(store.cases_with_events(chunk.iter().copied().collect()).await?);
    }
    Ok(cases)
}

/// Everything a deployment keeps: cases and their audit trail, accounts, attachments, webhooks,
/// the scheduler's wake times, notifications and proxies.
#[async_trait]
pub trait Store:
    accounts::Accounts
    + attachments::Attachments
    + evaluation::Evaluation
    + webhooks::Webhooks
    + open311::Open311
    + schedule::Schedule
    + notifications::Notifications
    + proxies::Proxies
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Replaces the reference data as a whole, in one transaction.
    async fn save_reference(&self, reference: &Reference) -> Result<()>;
    async fn load_reference(&self) -> Result<Reference>;

    /// Reserves `n` consecutive case ids and returns the first.
    async fn allocate_case_ids(&self, n: u32) -> Result<i64>;

    /// Appends the changes atomically: all or none. A new case has `event.seq == 1`.
    async fn commit(&self, changes: Vec<Change>) -> Result<LedgerHead>;

    /// Appends whole histories of new cases in one transaction, all or none: their events go
    /// into the ledger in the order given, their facts are stored and `counters` (the sum of
    /// their contributions) is added to evaluation. A case id that exists, or a history that
    /// fails [`import::History::check`], refuses the whole batch. Cursors that followed the
    /// ledger to its head (notifications, webhooks) move past the imported events: history is
    /// not news.
    async fn import_history(
        &self,
        histories: Vec<import::History>,
        counters: yiwang_domain::evaluation::Contribution,
    ) -> Result<LedgerHead>;

    async fn case(&self, id: i64) -> Result<Option<Case>>;
    async fn events(&self, case_id: i64) -> Result<Vec<Event>>;
    /// Each case of `ids` (`None` when there is no such case) with its events, in one read (see
    /// [`cases_of`]).
    async fn cases_with_events(&self, ids: BTreeSet<i64>) -> Result<CasesWithEvents>;
    /// Newest first.
    async fn find_cases(&self, filter: &CaseFilter) -> Result<Vec<Case>>;
    /// Open cases of a subclass reported since `since` inside the box (south-west, north-east).
    async fn open_cases_near(&self, subclass: SubclassId, sw: Point, ne: Point, since: Timestamp) -> Result<Vec<Case>>;
    async fn count_cases(&self) -> Result<i64>;
    /// How many cases match the filter (its `limit`, `order` and `before_id` aside).
    async fn count_cases_where(&self, filter: &CaseFilter) -> Result<i64>;
    /// The open cases under `area`, counted per node of `digits` digits: its children, or the
    /// area itself with its own length. Nodes without an open case are left out; by node.
    async fn open_counts(&self, area: &AreaCode, digits: usize) -> Result<Vec<OpenCounts>>;
    /// The cases reported under `area` at or after `since`, counted per subclass: the most
    /// first (then by subclass), at most `limit`.
    async fn reported_by_subclass(
        &self,
        area: &AreaCode,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<(SubclassId, i64)>>;
    /// Bytes the store's data and indexes occupy (for capacity planning).
    async fn storage_bytes(&self) -> Result<u64>;
    /// Brings the planner's statistics up to date after a bulk import, as PostgreSQL advises
    /// after any bulk load: until autovacuum gets to it, its planner guesses (and case search at
    /// city scale goes from milliseconds to hundreds of them). SQLite plans without statistics:
    /// its queries name their indexes, and nothing is done.
    async fn refresh_statistics(&self) -> Result<()> {
        Ok(())
    }

    /// Audit trail, in pages: case heads by id, events by (case id, seq), ledger by position.
    async fn case_heads(&self, after_id: i64, limit: u32) -> Result<Vec<CaseHead>>;
    async fn events_page(&self, after: (i64, u32), limit: u32) -> Result<Vec<Event>>;
    async fn ledger_page(&self, after_seq: i64, limit: u32) -> Result<Vec<LedgerEntry>>;
    async fn ledger_head(&self) -> Result<LedgerHead>;

    /// The logical schema, as sorted `table.column type` lines with types folded to
    /// integer / real / text / bytes, so that the two backends' migrations can be compared.
    async fn schema(&self) -> Result<Vec<String>>;
}
