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
use std::collections::BinaryHeap;

use rusqlite::{Connection, Rows, params};
use yiwang_domain::case::State;
use yiwang_store::{CaseFilter, CaseOrder, Result};

use crate::backend;

/// Index entries a plan reads before the next plan's turn.
const STRIDE: usize = 64;

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
    let mut ids = Vec::new();
    for state in states {
        ids.extend(race(c, f, *state, limit, STRIDE)?.1);
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
    /// `cases_state_grid` over the area's grids, every entry, the newest kept: fast when the area
    /// holds few cases in the state.
    Area,
    /// `cases_subclass` (subclass, state, id, grid, overdue, reported_at) backwards, until a
    /// page is full: fast when the kind's cases in the state are few or often match.
    Kind,
}

// Every plan reads its index alone: a row read per entry would be a random read of the table.
const WALK: &str = "SELECT id, grid, subclass, overdue, reported_at, state FROM cases INDEXED BY cases_state \
                    WHERE state = ?1 AND id < ?2 ORDER BY id DESC";
const AREA: &str = "SELECT id, grid, subclass, overdue, reported_at, state FROM cases INDEXED BY cases_state_grid \
                    WHERE state = ?1 AND grid >= ?2 AND grid < ?3";
const KIND: &str = "SELECT id, grid, subclass, overdue, reported_at, state FROM cases INDEXED BY cases_subclass \
                    WHERE subclass = ?1 AND state = ?2 AND id < ?3 ORDER BY id DESC";

/// The terms of a filter, for one state, as tested on an index entry.
struct Terms<'f> {
    f: &'f CaseFilter,
    state: State,
    subclass: Option<String>,
    /// The area's grids: `[area, area + ':')`, as codes nest by prefix.
    grids: Option<(String, String)>,
    before: i64,
    from: i64,
    to: i64,
}

impl Terms<'_> {
    /// The terms an entry of every plan answers.
    fn placed(&self, id: i64, grid: &str, reported_at: i64) -> bool {
        id < self.before
            && (self.from..self.to).contains(&reported_at)
            && self.grids.as_ref().is_none_or(|(lo, hi)| grid >= lo.as_str() && grid < hi.as_str())
    }

    fn kind(&self, subclass: &str, overdue: bool) -> bool {
        self.subclass.as_deref().is_none_or(|s| s == subclass) && self.f.overdue.is_none_or(|o| o == overdue)
    }
}

/// One plan under way: its entries, and what it kept of them.
struct Run<'s> {
    plan: Plan,
    rows: Rows<'s>,
    /// The newest matches so far: in order for a walk, a min-heap of at most `limit` for the area.
    kept: BinaryHeap<Reverse<i64>>,
    walked: Vec<i64>,
}

impl Run<'_> {
    /// Reads up to `stride` entries; true once the plan has its answer.
    fn advance(&mut self, t: &Terms, limit: usize, stride: usize) -> Result<bool> {
        for _ in 0..stride {
            let Some(r) = self.rows.next().map_err(backend)? else { return Ok(true) };
            let id: i64 = r.get(0).map_err(backend)?;
            let grid = r.get_ref(1).map_err(backend)?.as_str().map_err(backend)?;
            let reported_at: i64 = r.get(4).map_err(backend)?;
            if !t.placed(id, grid, reported_at) {
                continue;
            }
            let subclass = r.get_ref(2).map_err(backend)?.as_str().map_err(backend)?;
            let overdue: bool = r.get(3).map_err(backend)?;
            let state = r.get_ref(5).map_err(backend)?.as_str().map_err(backend)?;
            if state != t.state.as_str() || !t.kind(subclass, overdue) {
                continue;
            }
            if self.plan != Plan::Area {
                self.walked.push(id);
                if self.walked.len() == limit {
                    return Ok(true);
                }
            } else {
                self.kept.push(Reverse(id));
                if self.kept.len() > limit {
                    self.kept.pop();
                }
            }
        }
        Ok(false)
    }

    fn answer(self) -> Vec<i64> {
        match self.plan {
            Plan::Walk | Plan::Kind => self.walked,
            // Ascending `Reverse` is descending ids.
            Plan::Area => self.kept.into_sorted_vec().into_iter().map(|Reverse(id)| id).collect(),
        }
    }
}

/// The newest `limit` matches in one state, newest first, and the plan that found them first.
pub fn race(c: &Connection, f: &CaseFilter, state: State, limit: usize, stride: usize) -> Result<(Plan, Vec<i64>)> {
    let t = Terms {
        f,
        state,
        subclass: f.subclass.map(|s| s.to_string()),
        grids: f.area.as_ref().map(|a| (a.to_string(), format!("{a}:"))),
        before: f.before_id.unwrap_or(i64::MAX),
        from: f.reported_from.map_or(i64::MIN, |t| t.0),
        to: f.reported_to.map_or(i64::MAX, |t| t.0),
    };
    let mut walk = c.prepare_cached(WALK).map_err(backend)?;
    let mut area = c.prepare_cached(AREA).map_err(backend)?;
    let mut kind = c.prepare_cached(KIND).map_err(backend)?;
    let run = |plan, rows| Run { plan, rows, kept: BinaryHeap::new(), walked: Vec::new() };
    let mut runs = vec![run(Plan::Walk, walk.query(params![state.as_str(), t.before]).map_err(backend)?)];
    if let Some((lo, hi)) = &t.grids {
        runs.push(run(Plan::Area, area.query(params![state.as_str(), lo, hi]).map_err(backend)?));
    }
    if let Some(s) = &t.subclass {
        runs.push(run(Plan::Kind, kind.query(params![s, state.as_str(), t.before]).map_err(backend)?));
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
        // Two districts of two streets of two communities of three grids; districts and kinds
        // skewed, so that some searches have many matches and some few.
        let grid = |d: &mut Dice| {
            let county = if d.coin(80) { "310101" } else { "310102" };
            format!("{county}{:03}{:03}{:03}", 1 + d.below(2), 1 + d.below(2), 1 + d.below(3))
        };
        let rows: Vec<Row> = (1..=3_000)
            .map(|id| Row {
                id,
                state: STATES[[0, 0, 0, 1, 2][dice.below(5) as usize]],
                grid: grid(&mut dice),
                subclass: KINDS[[0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4][dice.below(11) as usize].min(4)],
                overdue: dice.coin(10),
                reported_at: id * 1_000 + dice.below(5_000) as i64,
            })
            .collect();
        let tx = c.unchecked_transaction().unwrap();
        for r in &rows {
            tx.execute(
                "INSERT INTO cases (id, state, seq, head, subclass, grid, lon, lat, reported_at, overdue, data) \
                 VALUES (?1, ?2, 1, x'00', ?3, ?4, 121.4, 31.2, ?5, ?6, '{}')",
                params![r.id, r.state.as_str(), r.subclass, r.grid, r.reported_at, r.overdue],
            )
            .unwrap();
        }
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
            let f = CaseFilter {
                area: area.map(|a| AreaCode::parse("area", a).unwrap()),
                subclass: dice.coin(50).then(|| SubclassId::parse("s", KINDS[dice.below(5) as usize]).unwrap()),
                overdue: dice.coin(30).then(|| dice.coin(50)),
                reported_from: dice.coin(20).then(|| Timestamp(dice.below(3_000_000) as i64)),
                reported_to: dice.coin(20).then(|| Timestamp(dice.below(3_000_000) as i64)),
                before_id: dice.coin(30).then(|| dice.below(3_000) as i64),
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
            let (plan, found) = race(&c, &f, state, limit, 8).unwrap();
            assert_eq!(found, expected, "{plan:?} for {state:?} {f:?}");
            *wins.entry(plan).or_insert(0) += 1;
        }
        for plan in [Plan::Walk, Plan::Area, Plan::Kind] {
            assert!(wins.get(&plan).copied().unwrap_or(0) > 10, "{plan:?} won too few races: {wins:?}");
        }
    }
}
