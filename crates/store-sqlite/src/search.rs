//! Case search (案卷查询), newest first, when indexes answer every term of the filter.
//!
//! SQLite keeps no statistics here, so it cannot tell which index answers a search fastest, and at
//! city scale the wrong one is slower by orders of magnitude. A district's closed cases are
//! hundreds of thousands of entries of `cases_state_grid`, yet their newest twenty are among the
//! first few hundred entries of `cases_state` read backwards; a rare kind of problem in a small
//! street is the other way round; and a kind in a wide area is best found in `cases_subclass`. So
//! each state of the filter is searched by racing the plans that can answer it: each plan reads a
//! stride of index entries in turn, and the first to finish gives the answer. A search costs at
//! most as many times the best plan as there are plans, without knowing which plan that is.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use rusqlite::{Connection, OptionalExtension, Row, Rows, params};
use yiwang_domain::case::State;
use yiwang_store::{CaseFilter, CaseOrder, Result};

use crate::backend;

/// Index entries a plan reads before the next plan's turn.
const STRIDE: usize = 64;

/// What one seek into an index costs, in entries read in order: a descent from the root against
/// a step to the next entry (7.6 to 8.2 µs against 0.48 to 0.63 µs on a store of a million cases).
const SEEK: usize = 16;

/// Case ids per block of `case_report_blocks` (schema 18) are `1 << BLOCK_BITS`: a case's block
/// is `id >> BLOCK_BITS`.
const BLOCK_BITS: u32 = 12;

/// True when [`newest_ids`] can answer the filter: newest first, and no term that only the table
/// holds.
pub fn answers(f: &CaseFilter) -> bool {
    f.order == CaseOrder::NewestFirst
        && f.near.is_none()
        && f.lead_unit.is_none()
        && f.follower.is_none()
        && f.extension_requested.is_none()
        && f.awaiting_follow_up.is_none()
}

/// The ids of the newest `limit` cases that match the filter, newest first. No states means
/// every state, each searched on its own like the others.
pub fn newest_ids(c: &Connection, f: &CaseFilter, limit: usize) -> Result<Vec<i64>> {
    let states = if f.states.is_empty() { &State::ALL[..] } else { &f.states[..] };
    let window = window_ids(c, f)?;
    let mut ids = Vec::new();
    for state in states {
        ids.extend(race(c, f, window, *state, limit, STRIDE)?.1);
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    ids.truncate(limit);
    Ok(ids)
}

/// The ways to find a state's cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plan {
    /// `cases_state` (state, id, grid, subclass, overdue, reported_at) backwards, until a page
    /// is full: fast when the matches are many.
    Walk,
    /// `cases_overdue` (schema 19) backwards, in place of the walk when a search asks for overdue
    /// cases: the same entries in the same order, the overdue ones alone.
    Overdue,
    /// `cases_state_grid` over the area's grids, every entry, the newest kept: fast when the area
    /// holds few cases in the state.
    Area,
    /// `cases_subclass` (subclass, state, id, grid, overdue, reported_at) backwards, until a
    /// page is full: fast when the kind's cases in the state are few or often match.
    Kind,
    /// `cases_overdue_kind` (schema 19) backwards, in place of the kind's walk when a search asks
    /// for overdue cases: the kind's overdue entries alone.
    OverdueKind,
    /// `cases_state_grid` (state, grid, subclass, overdue, …) grid by grid, seeking each grid's
    /// entries of the kind, the newest kept: fast when the kind is rare in a small area, where the
    /// kind's walk reads the whole city's cases of the kind and the area's read every kind's.
    GridByGrid,
}

impl Plan {
    /// A walk reads its entries newest first, so it keeps matches in order and stops once a page
    /// is full; the other plans keep the newest in a heap and read to the end.
    fn walks(self) -> bool {
        matches!(self, Plan::Walk | Plan::Overdue | Plan::Kind | Plan::OverdueKind)
    }
}

// Every plan reads its index alone: a row read per entry would be a random read of the table.
const WALK: &str = "SELECT id, grid, subclass, overdue, reported_at, state FROM cases INDEXED BY cases_state \
                    WHERE state = ?1 AND id < ?2 AND id >= ?3 ORDER BY id DESC";
const AREA: &str = "SELECT id, grid, subclass, overdue, reported_at, state FROM cases INDEXED BY cases_state_grid \
                    WHERE state = ?1 AND grid >= ?2 AND grid < ?3";
const KIND: &str = "SELECT id, grid, subclass, overdue, reported_at, state FROM cases INDEXED BY cases_subclass \
                    WHERE subclass = ?1 AND state = ?2 AND id < ?3 AND id >= ?4 ORDER BY id DESC";
// The walks of a search for overdue cases. The partial indexes have no `overdue` column: their
// entries are overdue by their condition.
const WALK_OVERDUE: &str = "SELECT id, grid, subclass, 1, reported_at, state FROM cases INDEXED BY cases_overdue \
                            WHERE overdue = 1 AND state = ?1 AND id < ?2 AND id >= ?3 ORDER BY id DESC";
const KIND_OVERDUE: &str = "SELECT id, grid, subclass, 1, reported_at, state FROM cases INDEXED BY cases_overdue_kind \
                            WHERE overdue = 1 AND subclass = ?1 AND state = ?2 AND id < ?3 AND id >= ?4 ORDER BY id DESC";
// The grid by grid plan: the first grid of the area with cases in the state, the next one after a
// grid, and a grid's entries of the kind.
const FIRST_GRID: &str = "SELECT grid FROM cases INDEXED BY cases_state_grid \
                          WHERE state = ?1 AND grid >= ?2 AND grid < ?3 ORDER BY grid LIMIT 1";
const NEXT_GRID: &str = "SELECT grid FROM cases INDEXED BY cases_state_grid \
                         WHERE state = ?1 AND grid > ?2 AND grid < ?3 ORDER BY grid LIMIT 1";
const IN_GRID: &str = "SELECT id, grid, subclass, overdue, reported_at, state FROM cases INDEXED BY cases_state_grid \
                       WHERE state = ?1 AND grid = ?2 AND subclass = ?3 AND overdue BETWEEN ?4 AND ?5";
// The blocks of ids whose cases may have been reported in a window.
const WINDOW: &str = "SELECT min(block), max(block) FROM case_report_blocks WHERE latest >= ?1 AND earliest < ?2";

/// The terms of a filter, for one state, as tested on an index entry.
struct Terms<'f> {
    f: &'f CaseFilter,
    state: State,
    subclass: Option<String>,
    /// The area's grids: `[area, area + ':')`, as codes nest by prefix.
    grids: Option<(String, String)>,
    /// The ids that may match: `[lowest, before)`, the page's bound and the report window's.
    lowest: i64,
    before: i64,
    from: i64,
    to: i64,
}

impl Terms<'_> {
    /// The terms an entry of every plan answers.
    fn placed(&self, id: i64, grid: &str, reported_at: i64) -> bool {
        (self.lowest..self.before).contains(&id)
            && (self.from..self.to).contains(&reported_at)
            && self.grids.as_ref().is_none_or(|(lo, hi)| grid >= lo.as_str() && grid < hi.as_str())
    }

    fn kind(&self, subclass: &str, overdue: bool) -> bool {
        self.subclass.as_deref().is_none_or(|s| s == subclass) && self.f.overdue.is_none_or(|o| o == overdue)
    }
}

/// The filter's report window `[from, to)`, unbounded where it sets none.
fn window(f: &CaseFilter) -> (i64, i64) {
    (f.reported_from.map_or(i64::MIN, |t| t.0), f.reported_to.map_or(i64::MAX, |t| t.0))
}

/// The ids `[lowest, highest)` that may hold the cases reported in the filter's window: those
/// of the blocks whose report times meet it. Ids follow report times closely, so a window's
/// cases lie in a narrow range of ids, and a walk from the newest stops where the range ends.
/// Read once per search, for all its states.
fn window_ids(c: &Connection, f: &CaseFilter) -> Result<(i64, i64)> {
    let (from, to) = window(f);
    if (from, to) == (i64::MIN, i64::MAX) {
        return Ok((i64::MIN, i64::MAX));
    }
    let blocks: (Option<i64>, Option<i64>) = c
        .prepare_cached(WINDOW)
        .map_err(backend)?
        .query_row(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(backend)?;
    Ok(match blocks {
        (Some(first), Some(last)) => (first << BLOCK_BITS, (last + 1) << BLOCK_BITS),
        // No case was reported in the window.
        _ => (0, 0),
    })
}

/// The report times of the cases a transaction writes, by block of ids, to widen
/// `case_report_blocks` with before it commits: each block's row is written once per
/// transaction, not once per case. Noting a case that is then undone (a commit refused inside
/// its savepoint) only widens a block, which stays true.
#[derive(Default)]
pub struct ReportBlocks(BTreeMap<i64, (i64, i64)>);

impl ReportBlocks {
    pub fn note(&mut self, id: i64, reported_at: i64) {
        let (earliest, latest) = self.0.entry(id >> BLOCK_BITS).or_insert((reported_at, reported_at));
        *earliest = (*earliest).min(reported_at);
        *latest = (*latest).max(reported_at);
    }

    pub fn write(&self, t: &Connection) -> Result<()> {
        let mut upsert = t
            .prepare_cached(
                "INSERT INTO case_report_blocks (block, earliest, latest) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (block) DO UPDATE \
                 SET earliest = min(earliest, excluded.earliest), latest = max(latest, excluded.latest)",
            )
            .map_err(backend)?;
        for (block, (earliest, latest)) in &self.0 {
            upsert.execute(params![block, earliest, latest]).map_err(backend)?;
        }
        Ok(())
    }
}

/// Where a plan's entries come from.
enum Entries<'s> {
    /// One index, read in order.
    Read(Rows<'s>),
    /// The area's grids one by one: after `done` (none yet at the start), seek the next grid
    /// with cases in the state, then its entries of the kind.
    GridByGrid { c: &'s Connection, done: Option<String>, finished: bool },
}

/// One plan under way: its entries, and what it kept of them.
struct Run<'s> {
    plan: Plan,
    entries: Entries<'s>,
    /// The newest matches so far: in order for a walk, a min-heap of at most `limit` for the others.
    kept: BinaryHeap<Reverse<i64>>,
    walked: Vec<i64>,
}

impl Run<'_> {
    /// Reads index entries worth about `stride` entries in order; true once the plan has its answer.
    fn advance(&mut self, t: &Terms, limit: usize, stride: usize) -> Result<bool> {
        let mut budget = stride;
        match &mut self.entries {
            Entries::Read(rows) => {
                while budget > 0 {
                    budget -= 1;
                    let Some(r) = rows.next().map_err(backend)? else { return Ok(true) };
                    if keep(self.plan, &mut self.walked, &mut self.kept, t, r, limit)? {
                        return Ok(true);
                    }
                }
            }
            Entries::GridByGrid { c, done, finished } => {
                let (lo, hi) = t.grids.as_ref().expect("an area");
                let kind = t.subclass.as_deref().expect("a kind");
                let (no, yes) = t.f.overdue.map_or((false, true), |o| (o, o));
                while budget > 0 && !*finished {
                    budget = budget.saturating_sub(2 * SEEK);
                    let next = match done {
                        None => c
                            .prepare_cached(FIRST_GRID)
                            .map_err(backend)?
                            .query_row(params![t.state.as_str(), lo, hi], |r| r.get::<_, String>(0)),
                        Some(g) => c
                            .prepare_cached(NEXT_GRID)
                            .map_err(backend)?
                            .query_row(params![t.state.as_str(), g.as_str(), hi], |r| r.get::<_, String>(0)),
                    };
                    let Some(grid) = next.optional().map_err(backend)? else {
                        *finished = true;
                        break;
                    };
                    let mut in_grid = c.prepare_cached(IN_GRID).map_err(backend)?;
                    let mut rows = in_grid.query(params![t.state.as_str(), grid, kind, no, yes]).map_err(backend)?;
                    while let Some(r) = rows.next().map_err(backend)? {
                        budget = budget.saturating_sub(1);
                        keep(self.plan, &mut self.walked, &mut self.kept, t, r, limit)?;
                    }
                    *done = Some(grid);
                }
                return Ok(*finished);
            }
        }
        Ok(false)
    }

    fn answer(self) -> Vec<i64> {
        if self.plan.walks() {
            self.walked
        } else {
            // Ascending `Reverse` is descending ids.
            self.kept.into_sorted_vec().into_iter().map(|Reverse(id)| id).collect()
        }
    }
}

/// Keeps an index entry that matches the terms: a walk in order, true once its page is full;
/// the other plans the newest `limit` in a heap.
fn keep(
    plan: Plan,
    walked: &mut Vec<i64>,
    kept: &mut BinaryHeap<Reverse<i64>>,
    t: &Terms,
    r: &Row,
    limit: usize,
) -> Result<bool> {
    let id: i64 = r.get(0).map_err(backend)?;
    let grid = r.get_ref(1).map_err(backend)?.as_str().map_err(backend)?;
    let reported_at: i64 = r.get(4).map_err(backend)?;
    if !t.placed(id, grid, reported_at) {
        return Ok(false);
    }
    let subclass = r.get_ref(2).map_err(backend)?.as_str().map_err(backend)?;
    let overdue: bool = r.get(3).map_err(backend)?;
    let state = r.get_ref(5).map_err(backend)?.as_str().map_err(backend)?;
    if state != t.state.as_str() || !t.kind(subclass, overdue) {
        return Ok(false);
    }
    if plan.walks() {
        walked.push(id);
        return Ok(walked.len() == limit);
    }
    kept.push(Reverse(id));
    if kept.len() > limit {
        kept.pop();
    }
    Ok(false)
}

/// The newest `limit` matches in one state, newest first, and the plan that found them first;
/// `ids` bounds the ids that may match ([`window_ids`]).
pub fn race(
    c: &Connection,
    f: &CaseFilter,
    ids: (i64, i64),
    state: State,
    limit: usize,
    stride: usize,
) -> Result<(Plan, Vec<i64>)> {
    let (from, to) = window(f);
    let (lowest, highest) = ids;
    let t = Terms {
        f,
        state,
        subclass: f.subclass.map(|s| s.to_string()),
        grids: f.area.as_ref().map(|a| (a.to_string(), format!("{a}:"))),
        lowest,
        before: f.before_id.unwrap_or(i64::MAX).min(highest),
        from,
        to,
    };
    // A search for overdue cases walks the overdue twins of the walks' indexes.
    let ((walk, walk_plan), (kind, kind_plan)) = if f.overdue == Some(true) {
        ((WALK_OVERDUE, Plan::Overdue), (KIND_OVERDUE, Plan::OverdueKind))
    } else {
        ((WALK, Plan::Walk), (KIND, Plan::Kind))
    };
    let mut walk = c.prepare_cached(walk).map_err(backend)?;
    let mut area = c.prepare_cached(AREA).map_err(backend)?;
    let mut kind = c.prepare_cached(kind).map_err(backend)?;
    let run = |plan, entries| Run { plan, entries, kept: BinaryHeap::new(), walked: Vec::new() };
    let walked = walk.query(params![state.as_str(), t.before, t.lowest]).map_err(backend)?;
    let mut runs = vec![run(walk_plan, Entries::Read(walked))];
    if let Some((lo, hi)) = &t.grids {
        runs.push(run(Plan::Area, Entries::Read(area.query(params![state.as_str(), lo, hi]).map_err(backend)?)));
    }
    if let Some(s) = &t.subclass {
        let rows = kind.query(params![s, state.as_str(), t.before, t.lowest]).map_err(backend)?;
        runs.push(run(kind_plan, Entries::Read(rows)));
        if t.grids.is_some() {
            runs.push(run(Plan::GridByGrid, Entries::GridByGrid { c, done: None, finished: false }));
        }
    }
    loop {
        for i in 0..runs.len() {
            if runs[i].advance(&t, limit, stride)? {
                let winner = runs.swap_remove(i);
                return Ok((winner.plan, winner.answer()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use yiwang_domain::codes::AreaCode;
    use yiwang_domain::taxonomy::SubclassId;
    use yiwang_domain::time::Timestamp;
    use yiwang_store::conformance::Dice;

    use super::*;
    use crate::{Durability, SqliteStore};

    /// One row of the index columns, as the brute force sees it.
    struct Row {
        id: i64,
        state: State,
        grid: String,
        subclass: &'static str,
        overdue: bool,
        reported_at: i64,
    }

    const STATES: [State; 3] = [State::ClosedFixed, State::Dispatched, State::Reported];
    /// Kinds from common to rare.
    const KINDS: [&str; 5] = ["E0101", "E0102", "E0103", "E0104", "E0105"];

    /// Every plan gives the brute force's answer, and each of them wins some races.
    #[test]
    fn every_plan_answers_what_the_brute_force_does() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteStore::open(dir.path(), Durability::Full).unwrap());
        let c = Connection::open(dir.path().join("yiwang.db")).unwrap();
        let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
        // Two districts of two streets of two communities of six grids; districts and kinds
        // skewed, so that some searches have many matches and some few. Ids span hundreds of
        // blocks of `case_report_blocks` and follow report times, but for a few cases reported
        // at any time.
        let grid = |d: &mut Dice| {
            let county = if d.coin(80) { "310101" } else { "310102" };
            format!("{county}{:03}{:03}{:03}", 1 + d.below(2), 1 + d.below(2), 1 + d.below(6))
        };
        let rows: Vec<Row> = (1..=3_000)
            .map(|i| Row {
                id: i * 1_000,
                state: STATES[[0, 0, 0, 1, 2][dice.below(5) as usize]],
                grid: grid(&mut dice),
                subclass: KINDS[[0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4][dice.below(11) as usize].min(4)],
                overdue: dice.coin(10),
                reported_at: i * 1_000
                    + if dice.coin(3) { dice.below(400_000) as i64 - 200_000 } else { dice.below(5_000) as i64 },
            })
            .collect();
        let tx = c.unchecked_transaction().unwrap();
        let mut blocks = ReportBlocks::default();
        for r in &rows {
            blocks.note(r.id, r.reported_at);
            tx.execute(
                "INSERT INTO cases (id, state, seq, head, subclass, grid, lon, lat, reported_at, overdue, data) \
                 VALUES (?1, ?2, 1, x'00', ?3, ?4, 121.4, 31.2, ?5, ?6, '{}')",
                params![r.id, r.state.as_str(), r.subclass, r.grid, r.reported_at, r.overdue],
            )
            .unwrap();
        }
        blocks.write(&tx).unwrap();
        tx.commit().unwrap();

        let mut wins = std::collections::HashMap::new();
        for _ in 0..600 {
            let area = match dice.below(5) {
                0 => None,
                1 => Some("310101"),
                2 => Some("310102001"),
                3 => Some("310101002001"),
                _ => Some("310102002002003"),
            };
            // Report windows from wide to narrow, some with fewer matches than a page.
            let from = dice.coin(40).then(|| dice.below(3_000_000) as i64);
            let f = CaseFilter {
                area: area.map(|a| AreaCode::parse("area", a).unwrap()),
                subclass: dice.coin(50).then(|| SubclassId::parse("s", KINDS[dice.below(5) as usize]).unwrap()),
                overdue: dice.coin(30).then(|| dice.coin(50)),
                reported_from: from.map(Timestamp),
                reported_to: dice.coin(30).then(|| Timestamp(from.unwrap_or(0) + dice.below(300_000) as i64)),
                before_id: dice.coin(30).then(|| dice.below(3_000_000) as i64),
                ..Default::default()
            };
            let state = STATES[dice.below(3) as usize];
            let limit = 1 + dice.below(25) as usize;
            let mut expected: Vec<i64> = rows
                .iter()
                .filter(|r| {
                    r.state == state
                        && f.area.as_ref().is_none_or(|a| r.grid.starts_with(a.as_str()))
                        && f.subclass.is_none_or(|s| s.to_string() == r.subclass)
                        && f.overdue.is_none_or(|o| o == r.overdue)
                        && f.reported_from.is_none_or(|t| r.reported_at >= t.0)
                        && f.reported_to.is_none_or(|t| r.reported_at < t.0)
                        && f.before_id.is_none_or(|b| r.id < b)
                })
                .map(|r| r.id)
                .rev()
                .collect();
            expected.truncate(limit);
            let (plan, found) = race(&c, &f, window_ids(&c, &f).unwrap(), state, limit, 8).unwrap();
            assert_eq!(found, expected, "{plan:?} for {state:?} {f:?}");
            *wins.entry(plan).or_insert(0) += 1;
        }
        for plan in [Plan::Walk, Plan::Overdue, Plan::Area, Plan::Kind, Plan::OverdueKind, Plan::GridByGrid] {
            assert!(wins.get(&plan).copied().unwrap_or(0) > 10, "{plan:?} won too few races: {wins:?}");
        }
    }
}
