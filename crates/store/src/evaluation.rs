//! Evaluation storage (考核数据): each case's facts, and the counters of every object and day,
//! kept current in the same transaction as the events that change them.
//!
//! The domain says what a case contributes (`yiwang_domain::evaluation::contributions`); the
//! engine sends, with each change of a case, the case's new facts and the difference its
//! contribution makes (`EvaluationChange`); the store writes the facts and adds the difference
//! to the counters. Any indicator for any node, unit or member of staff over any period is then
//! a sum over at most a few hundred day rows, whatever the number of cases.
//!
//! `replace_evaluation` rebuilds everything from facts recomputed from the event log — the
//! second, independent way to the same numbers.

use std::collections::BTreeMap;

use async_trait::async_trait;
use yiwang_domain::codes::AreaCode;
use yiwang_domain::evaluation::{Contribution, Counters, Dim, Facts};

use crate::Result;

/// What one change of a case does to evaluation: its facts after the change, and the
/// difference between its contributions after and before.
#[derive(Clone, Debug, PartialEq)]
pub struct EvaluationChange {
    pub facts: Facts,
    pub delta: Contribution,
}

#[async_trait]
pub trait Evaluation: Send + Sync {
    /// The stored facts of a case.
    async fn facts(&self, case_id: i64) -> Result<Option<Facts>>;

    /// The facts of cases whose grid lies under `area`, by case id, in pages (for drill-down
    /// lists and rebuilds).
    async fn facts_in_area(&self, area: &AreaCode, after_id: i64, limit: u32) -> Result<Vec<Facts>>;

    /// One object's counters summed over days `from..=to` (`yyyymmdd`), and its handling-time
    /// buckets (bucket → closures).
    async fn counters(&self, dim: Dim, key: &str, from: u32, to: u32) -> Result<(Counters, BTreeMap<i64, i64>)>;

    /// Counters summed per object over `from..=to`, for every object of `dim` whose key starts
    /// with `prefix` and, when `len` is given, has exactly `len` characters (e.g. every street
    /// of a district: `Dim::Area`, prefix `110101`, len 9). Objects with no row are left out.
    async fn counters_by_key(
        &self,
        dim: Dim,
        prefix: &str,
        len: Option<usize>,
        from: u32,
        to: u32,
    ) -> Result<Vec<(String, Counters)>>;

    /// Replaces all facts and counters with the given ones, in one transaction.
    async fn replace_evaluation(&self, facts: Vec<Facts>, total: Contribution) -> Result<()>;
}
