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
use yiwang_domain::case::Case;
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

    /// A case and its stored facts, in one read: what the engine needs for every step.
    async fn case_with_facts(&self, case_id: i64) -> Result<Option<(Case, Option<Facts>)>>;

    /// The facts of cases whose grid lies under `area`, by case id, in pages (for drill-down
    /// lists and rebuilds).
    async fn facts_in_area(&self, area: &AreaCode, after_id: i64, limit: u32) -> Result<Vec<Facts>>;

    /// One object's counters summed over days `from..=to` (`yyyymmdd`), and its handling-time
    /// buckets (bucket → closures).
    async fn counters(&self, dim: Dim, key: &str, from: u32, to: u32) -> Result<(Counters, BTreeMap<i64, i64>)>;

    /// One object's counters day by day over `from..=to` (`yyyymmdd`), days without a row left
    /// out.
    async fn counters_by_day(&self, dim: Dim, key: &str, from: u32, to: u32) -> Result<Vec<(u32, Counters)>>;

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

/// The exclusive upper bound of the keys that start with `prefix`, in code point order (which is
/// UTF-8 byte order, SQLite's `BINARY` and PostgreSQL's `COLLATE "C"`): `[prefix, upper)` holds
/// exactly the keys with that prefix, so a prefix query is an index range. `None`: no bound.
pub fn prefix_upper(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 {
            0xD7FF => Some('\u{E000}'),
            n => char::from_u32(n + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Checks that a change's facts belong to its case as it is after the change.
pub fn check_facts(case: &Case, e: &EvaluationChange) -> Result<()> {
    if e.facts.case_id != case.id || e.facts.seq != case.seq {
        return Err(crate::StoreError::Backend(format!(
            "evaluation facts of case {} at event {} do not match the case at event {}",
            e.facts.case_id, e.facts.seq, case.seq
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::prefix_upper;

    #[test]
    fn prefix_bounds_are_exact() {
        assert_eq!(prefix_upper("110101").as_deref(), Some("110102"));
        assert_eq!(prefix_upper("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_upper(""), None);
        assert_eq!(prefix_upper("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper("\u{D7FF}").as_deref(), Some("\u{E000}"));
        let upper = prefix_upper("城管").unwrap();
        for k in ["城管", "城管执法", "城管\u{10FFFF}x"] {
            assert!(k >= "城管" && k < upper.as_str(), "{k}");
        }
        assert!("城管" < "城管执法" && "城篮" >= upper.as_str());
    }
}
