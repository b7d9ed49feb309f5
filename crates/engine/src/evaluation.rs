//! Evaluation (考核) from the raw event log: the second, independent way to the numbers the
//! store keeps current commit by commit.
//!
//! [`recompute`] pages through every event in (case id, seq) order, folds each case's facts
//! (`Facts::apply`) and sums their contributions in memory. [`Engine::rebuild_evaluation`]
//! stores the result in place of what was kept (`yiwang evaluation rebuild`: after changing the
//! evaluation policy, importing cases, or repairing); [`Engine::verify_evaluation`] compares it
//! with what was kept and names the first difference (`yiwang evaluation verify`).
//!
//! What reads cost: the indicators of one object (a node, a unit, a member of staff) over a
//! period read its counter rows for those days — at most one per day, so a month is at most 31
//! rows from one index range (`PRIMARY KEY (dim, key, day)`), plus that range's handling-time
//! buckets (one row per bucket used per day) — whatever the number of cases. The league table
//! of every street of a district over a month reads (streets × days) rows. The rebuild reads
//! every event once and holds the facts of every case in memory (about a kilobyte each).

use std::collections::{BTreeMap, BTreeSet};

use yiwang_domain::calendar::Calendar;
use yiwang_domain::codes::Level;
use yiwang_domain::evaluation::{Contribution, Counters, Dim, Facts, Key, Policy, contributions};
use yiwang_store::{Store, StoreError};

use crate::{Engine, RETRIES, Result};

/// Events read per page.
const PAGE: u32 = 2_000;
/// Every day a counter can carry (`yyyymmdd`).
const ALL_DAYS: (u32, u32) = (0, 99_991_231);

/// Evaluation recomputed from the event log.
#[derive(Clone, Debug, Default)]
pub struct Recomputed {
    /// Every case's facts, by case id.
    pub facts: Vec<Facts>,
    /// The sum of every case's contributions.
    pub total: Contribution,
    pub events: u64,
}

/// Folds every case's events and sums the contributions. `progress` hears the events read.
pub async fn recompute(
    store: &dyn Store,
    calendar: &Calendar,
    policy: &Policy,
    progress: &dyn Fn(u64),
) -> Result<Recomputed, StoreError> {
    let mut out = Recomputed::default();
    let mut current: Option<Facts> = None;
    let mut after = (0, 0);
    loop {
        let page = store.events_page(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = (last.case_id, last.seq);
        for e in &page {
            if current.as_ref().is_some_and(|f| f.case_id != e.case_id) {
                finish(&mut out, current.take(), calendar, policy);
            }
            current = Some(Facts::apply(current.take(), e, calendar, policy));
        }
        out.events += page.len() as u64;
        progress(out.events);
    }
    finish(&mut out, current, calendar, policy);
    Ok(out)
}

fn finish(out: &mut Recomputed, facts: Option<Facts>, calendar: &Calendar, policy: &Policy) {
    if let Some(f) = facts {
        out.total.merge(&contributions(&f, calendar, policy));
        out.facts.push(f);
    }
}

/// What a rebuild did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rebuilt {
    pub cases: u64,
    pub events: u64,
    /// (object, day) counter rows written.
    pub rows: u64,
}

/// What a verification compared, when everything agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    pub cases: u64,
    pub events: u64,
    pub rows: u64,
}

/// The first place where the kept evaluation and the recomputed one disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// What differs: `case 17 facts`, `area 110101001 on 20261117`, `unit cgzf buckets`, …
    pub what: String,
    /// The differing values, kept then recomputed (`reported 3 ≠ 2, …`).
    pub detail: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: kept ≠ recomputed: {}", self.what, self.detail)
    }
}

impl Difference {
    pub fn message_zh(&self) -> String {
        format!("{}：保存值与重算值不一致：{}", self.what, self.detail)
    }
}

fn counters_detail(kept: &Counters, recomputed: &Counters) -> String {
    let (a, b) = (kept.values(), recomputed.values());
    Counters::NAMES
        .iter()
        .zip(a.iter().zip(&b))
        .filter(|(_, (x, y))| x != y)
        .map(|(n, (x, y))| format!("{n} {x} ≠ {y}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Engine {
    /// Recomputes evaluation from the event log and stores it in place of what was kept. A case
    /// that changed meanwhile makes the store refuse the stale result; it is then done again.
    pub async fn rebuild_evaluation(&self, progress: &dyn Fn(u64)) -> Result<Rebuilt> {
        let mut last = None;
        for _ in 0..RETRIES {
            let r = recompute(self.store.as_ref(), &self.rules.calendar, &self.policy, progress).await?;
            let done = Rebuilt {
                cases: r.facts.len() as u64,
                events: r.events,
                rows: r.total.counters.values().filter(|c| !c.is_zero()).count() as u64,
            };
            let replaced = self.store.replace_evaluation(r.facts, r.total).await;
            // The facts kept beside recent cases may be computed with another policy.
            self.recent.clear();
            match replaced {
                Ok(()) => return Ok(done),
                Err(e @ StoreError::Conflict { .. }) => last = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last.expect("tried at least once").into())
    }

    /// Recomputes evaluation from the event log and compares it with what the store kept: every
    /// case's facts, every object's counters on every day and in total, and the handling-time
    /// buckets. Run it while nobody writes (a change in between shows as a difference).
    pub async fn verify_evaluation(&self, progress: &dyn Fn(u64)) -> Result<Result<Verified, Difference>> {
        let store = self.store.as_ref();
        let r = recompute(store, &self.rules.calendar, &self.policy, progress).await?;
        let diff = |what: String, detail: String| Ok(Err(Difference { what, detail }));

        // Facts, province by province, in case id order.
        let mut kept: BTreeMap<i64, Facts> = BTreeMap::new();
        let provinces: BTreeSet<_> = r.facts.iter().filter_map(|f| f.grid.at_level(Level::Province)).collect();
        for p in provinces {
            let mut after = 0;
            loop {
                let page = store.facts_in_area(&p, after, 1_000).await?;
                let Some(last) = page.last() else { break };
                after = last.case_id;
                kept.extend(page.into_iter().map(|f| (f.case_id, f)));
            }
        }
        for f in &r.facts {
            match kept.remove(&f.case_id) {
                Some(k) if &k == f => {}
                Some(k) => {
                    return diff(format!("case {} facts", f.case_id), format!("{k:?} ≠ {f:?}"));
                }
                None => return diff(format!("case {} facts", f.case_id), "missing ≠ present".into()),
            }
        }
        if let Some(id) = kept.keys().next() {
            return diff(format!("case {id} facts"), "present ≠ no such case".into());
        }

        // Counters: each day that has any, then each object's total over all days (which
        // catches rows kept on days the recomputation has none).
        let mut by_day: BTreeMap<(Dim, u32), BTreeMap<String, Counters>> = BTreeMap::new();
        let mut totals: BTreeMap<Dim, BTreeMap<String, Counters>> = BTreeMap::new();
        for (Key { dim, key, day }, c) in &r.total.counters {
            if !c.is_zero() {
                by_day.entry((*dim, *day)).or_default().insert(key.clone(), *c);
            }
            totals.entry(*dim).or_default().entry(key.clone()).or_default().add(c);
        }
        let mut rows = 0;
        let compare = |kept: Vec<(String, Counters)>, mut recomputed: BTreeMap<String, Counters>, when: &str| {
            recomputed.retain(|_, c| !c.is_zero());
            let kept: BTreeMap<String, Counters> = kept.into_iter().collect();
            for key in kept.keys().chain(recomputed.keys()).collect::<BTreeSet<_>>() {
                let (a, b) =
                    (kept.get(key).copied().unwrap_or_default(), recomputed.get(key).copied().unwrap_or_default());
                if a != b {
                    return Some((key.clone(), when.to_owned(), counters_detail(&a, &b)));
                }
            }
            None
        };
        for ((dim, day), recomputed) in by_day {
            rows += recomputed.len() as u64;
            let kept = store.counters_by_key(dim, "", None, day, day).await?;
            if let Some((key, when, detail)) = compare(kept, recomputed, &format!("on {day}")) {
                return diff(format!("{} {key} {when}", dim.as_str()), detail);
            }
        }
        for dim in [Dim::Area, Dim::Unit, Dim::Staff] {
            let kept = store.counters_by_key(dim, "", None, ALL_DAYS.0, ALL_DAYS.1).await?;
            let recomputed = totals.remove(&dim).unwrap_or_default();
            if let Some((key, when, detail)) = compare(kept, recomputed, "in total") {
                return diff(format!("{} {key} {when}", dim.as_str()), detail);
            }
        }

        // Handling-time buckets, per object and day of closure.
        let mut buckets: BTreeMap<Key, BTreeMap<i64, i64>> = BTreeMap::new();
        for ((k, b), n) in &r.total.buckets {
            if *n != 0 {
                *buckets.entry(k.clone()).or_default().entry(*b).or_default() += n;
            }
        }
        let mut objects: BTreeMap<(Dim, String), BTreeMap<i64, i64>> = BTreeMap::new();
        for (k, b) in &buckets {
            let (_, kept) = store.counters(k.dim, &k.key, k.day, k.day).await?;
            if &kept != b {
                return diff(format!("{} {} buckets on {}", k.dim.as_str(), k.key, k.day), format!("{kept:?} ≠ {b:?}"));
            }
            let total = objects.entry((k.dim, k.key.clone())).or_default();
            for (bucket, n) in b {
                *total.entry(*bucket).or_default() += n;
            }
        }
        for ((dim, key), b) in &objects {
            let (_, kept) = store.counters(*dim, key, ALL_DAYS.0, ALL_DAYS.1).await?;
            if &kept != b {
                return diff(format!("{} {key} buckets in total", dim.as_str()), format!("{kept:?} ≠ {b:?}"));
            }
        }
        Ok(Ok(Verified { cases: r.facts.len() as u64, events: r.events, rows }))
    }
}
