//! Evaluation storage (in progress: issue 5).

use std::collections::BTreeMap;

use async_trait::async_trait;
use yiwang_domain::codes::AreaCode;
use yiwang_domain::evaluation::{Contribution, Counters, Dim, Facts};
use yiwang_store::Result;
use yiwang_store::evaluation::Evaluation;

use crate::PostgresStore;

fn pending() -> yiwang_store::StoreError {
    yiwang_store::StoreError::Backend("evaluation storage is not built yet".into())
}

#[async_trait]
impl Evaluation for PostgresStore {
    async fn facts(&self, _case_id: i64) -> Result<Option<Facts>> {
        Err(pending())
    }
    async fn facts_in_area(&self, _area: &AreaCode, _after_id: i64, _limit: u32) -> Result<Vec<Facts>> {
        Err(pending())
    }
    async fn counters(&self, _dim: Dim, _key: &str, _from: u32, _to: u32) -> Result<(Counters, BTreeMap<i64, i64>)> {
        Err(pending())
    }
    async fn counters_by_key(
        &self,
        _dim: Dim,
        _prefix: &str,
        _len: Option<usize>,
        _from: u32,
        _to: u32,
    ) -> Result<Vec<(String, Counters)>> {
        Err(pending())
    }
    async fn replace_evaluation(&self, _facts: Vec<Facts>, _total: Contribution) -> Result<()> {
        Err(pending())
    }
}
