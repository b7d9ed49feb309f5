//! Evaluation storage on PostgreSQL: `case_facts`, `eval_counters`, `eval_buckets` (migration 7).
//!
//! The commit path is the writer's ([`crate::writer`]): with each change that carries
//! evaluation, three more statements join the group's pipeline — the facts upsert, and the
//! delta's counters and buckets, each one statement whatever its size (`INSERT ... SELECT FROM
//! unnest(arrays) ON CONFLICT DO UPDATE SET c = c + excluded.c`). They run in the same
//! transaction as the case and its event (on the fallback path, in the same savepoint), so a
//! refused commit leaves no counter behind. The SQL is built once from `Counters::NAMES`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use yiwang_domain::case::Case;
use yiwang_domain::codes::AreaCode;
use yiwang_domain::evaluation::{Contribution, Counters, Dim, Facts};
use yiwang_store::evaluation::{Evaluation, EvaluationChange, prefix_upper};
use yiwang_store::{Result, StoreError};

use crate::rows::{LOCK_LEDGER, Param, json};
use crate::{PostgresStore, backend, backend_msg};

pub const UPSERT_FACTS: &str = "INSERT INTO case_facts (case_id, seq, grid, data) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (case_id) DO UPDATE SET seq = excluded.seq, grid = excluded.grid, data = excluded.data";
pub const ADD_BUCKETS: &str = "INSERT INTO eval_buckets (dim, key, day, bucket, closures) \
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) \
     ON CONFLICT (dim, key, day, bucket) DO UPDATE SET closures = eval_buckets.closures + excluded.closures";

/// Adds many (dim, key, day) rows of counters in one statement: one array per column.
pub fn add_counters_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let names = Counters::NAMES;
        let arrays: Vec<String> = (4..4 + names.len()).map(|i| format!("${i}::bigint[]")).collect();
        let sets: Vec<String> = names.iter().map(|n| format!("{n} = eval_counters.{n} + excluded.{n}")).collect();
        format!(
            "INSERT INTO eval_counters (dim, key, day, {}) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], {}) \
             ON CONFLICT (dim, key, day) DO UPDATE SET {}",
            names.join(", "),
            arrays.join(", "),
            sets.join(", ")
        )
    })
}

fn sums() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        Counters::NAMES.iter().map(|n| format!("coalesce(sum({n}), 0)::bigint")).collect::<Vec<_>>().join(", ")
    })
}

/// A contribution as the arrays its two statements bind (entries that add nothing left out).
#[derive(Default)]
pub struct DeltaArrays {
    dims: Vec<&'static str>,
    keys: Vec<String>,
    days: Vec<i64>,
    columns: Vec<Vec<i64>>,
    b_dims: Vec<&'static str>,
    b_keys: Vec<String>,
    b_days: Vec<i64>,
    b_buckets: Vec<i64>,
    b_closures: Vec<i64>,
}

impl DeltaArrays {
    pub fn new(c: &Contribution) -> DeltaArrays {
        let mut a = DeltaArrays { columns: vec![Vec::new(); Counters::NAMES.len()], ..Default::default() };
        for (k, v) in c.counters.iter().filter(|(_, v)| !v.is_zero()) {
            a.dims.push(k.dim.as_str());
            a.keys.push(k.key.clone());
            a.days.push(i64::from(k.day));
            for (col, x) in a.columns.iter_mut().zip(v.values()) {
                col.push(x);
            }
        }
        for ((k, bucket), n) in c.buckets.iter().filter(|(_, n)| **n != 0) {
            a.b_dims.push(k.dim.as_str());
            a.b_keys.push(k.key.clone());
            a.b_days.push(i64::from(k.day));
            a.b_buckets.push(*bucket);
            a.b_closures.push(*n);
        }
        a
    }

    /// For [`add_counters_sql`]; `None` when there is nothing to add.
    pub fn counters_params(&self) -> Option<Vec<Param<'_>>> {
        if self.dims.is_empty() {
            return None;
        }
        let mut p: Vec<Param<'_>> = vec![&self.dims, &self.keys, &self.days];
        p.extend(self.columns.iter().map(|c| c as Param<'_>));
        Some(p)
    }

    /// For [`ADD_BUCKETS`]; `None` when there is nothing to add.
    pub fn buckets_params(&self) -> Option<Vec<Param<'_>>> {
        if self.b_dims.is_empty() {
            return None;
        }
        Some(vec![&self.b_dims, &self.b_keys, &self.b_days, &self.b_buckets, &self.b_closures])
    }
}

/// One change's evaluation as the values its statements bind.
pub struct EvalRow<'a> {
    case_id: i64,
    seq: i64,
    grid: &'a str,
    data: String,
}

impl<'a> EvalRow<'a> {
    pub fn new(e: &'a EvaluationChange) -> EvalRow<'a> {
        EvalRow {
            case_id: e.facts.case_id,
            seq: i64::from(e.facts.seq),
            grid: e.facts.grid.as_str(),
            data: json(&e.facts),
        }
    }

    pub fn facts_params(&self) -> Vec<Param<'_>> {
        vec![&self.case_id, &self.seq, &self.grid, &self.data]
    }
}

fn facts_of(data: &str) -> Result<Facts> {
    serde_json::from_str(data).map_err(|e| backend_msg(format!("stored facts do not parse: {e}")))
}

fn counters_row(r: &tokio_postgres::Row, from: usize) -> Result<Counters> {
    let v = (0..Counters::NAMES.len())
        .map(|i| r.try_get::<_, i64>(from + i).map_err(backend))
        .collect::<Result<Vec<_>>>()?;
    Ok(Counters::from_values(&v))
}

async fn query<C: GenericClient>(c: &C, sql: &str, params: &[Param<'_>]) -> Result<Vec<tokio_postgres::Row>> {
    let st = c.prepare_cached(sql).await.map_err(backend)?;
    c.query(&st, params).await.map_err(backend)
}

#[async_trait]
impl Evaluation for PostgresStore {
    async fn facts(&self, case_id: i64) -> Result<Option<Facts>> {
        let rows = query(&self.conn().await?, "SELECT data FROM case_facts WHERE case_id = $1", &[&case_id]).await?;
        rows.first().map(|r| facts_of(r.try_get(0).map_err(backend)?)).transpose()
    }

    async fn case_with_facts(&self, case_id: i64) -> Result<Option<(Case, Option<Facts>)>> {
        let rows = query(
            &self.conn().await?,
            "SELECT c.data, f.data FROM cases c LEFT JOIN case_facts f ON f.case_id = c.id WHERE c.id = $1",
            &[&case_id],
        )
        .await?;
        let Some(r) = rows.first() else { return Ok(None) };
        let case = crate::rows::from_json(r.try_get(0).map_err(backend)?)?;
        let facts = r.try_get::<_, Option<&str>>(1).map_err(backend)?.map(facts_of).transpose()?;
        Ok(Some((case, facts)))
    }

    async fn facts_in_area(&self, area: &AreaCode, after_id: i64, limit: u32) -> Result<Vec<Facts>> {
        let (low, high) = (area.to_string(), format!("{area}:"));
        let rows = query(
            &self.conn().await?,
            "SELECT data FROM case_facts WHERE grid >= $1 AND grid < $2 AND case_id > $3 ORDER BY case_id LIMIT $4",
            &[&low, &high, &after_id, &i64::from(limit)],
        )
        .await?;
        rows.iter().map(|r| facts_of(r.try_get(0).map_err(backend)?)).collect()
    }

    async fn counters(&self, dim: Dim, key: &str, from: u32, to: u32) -> Result<(Counters, BTreeMap<i64, i64>)> {
        let conn = self.conn().await?;
        let (from, to) = (i64::from(from), i64::from(to));
        let args: [Param<'_>; 4] = [&dim.as_str(), &key, &from, &to];
        let sql = format!("SELECT {} FROM eval_counters WHERE dim = $1 AND key = $2 AND day BETWEEN $3 AND $4", sums());
        let rows = query(&conn, &sql, &args).await?;
        let counters = counters_row(rows.first().ok_or_else(|| backend_msg("a sum returned no row"))?, 0)?;
        let rows = query(
            &conn,
            "SELECT bucket, sum(closures)::bigint FROM eval_buckets WHERE dim = $1 AND key = $2 AND day BETWEEN $3 AND $4 \
             GROUP BY bucket HAVING sum(closures) <> 0 ORDER BY bucket",
            &args,
        )
        .await?;
        let buckets = rows
            .iter()
            .map(|r| Ok((r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?)))
            .collect::<Result<BTreeMap<i64, i64>>>()?;
        Ok((counters, buckets))
    }

    async fn counters_by_day(&self, dim: Dim, key: &str, from: u32, to: u32) -> Result<Vec<(u32, Counters)>> {
        let conn = self.conn().await?;
        let (from, to) = (i64::from(from), i64::from(to));
        let sql = format!(
            "SELECT day, {} FROM eval_counters WHERE dim = $1 AND key = $2 AND day BETWEEN $3 AND $4 \
             GROUP BY day ORDER BY day",
            sums()
        );
        let rows = query(&conn, &sql, &[&dim.as_str(), &key, &from, &to]).await?;
        rows.iter()
            .map(|r| {
                let day: i64 = r.try_get(0).map_err(backend)?;
                Ok((u32::try_from(day).map_err(backend)?, counters_row(r, 1)?))
            })
            .collect()
    }

    async fn counters_by_key(
        &self,
        dim: Dim,
        prefix: &str,
        len: Option<usize>,
        from: u32,
        to: u32,
    ) -> Result<Vec<(String, Counters)>> {
        let mut sql = format!("SELECT key, {} FROM eval_counters WHERE dim = $1 AND key >= $2", sums());
        let mut args: Vec<Box<dyn ToSql + Sync + Send>> = vec![Box::new(dim.as_str()), Box::new(prefix.to_owned())];
        if let Some(h) = prefix_upper(prefix) {
            args.push(Box::new(h));
            sql.push_str(&format!(" AND key < ${}", args.len()));
        }
        if let Some(n) = len {
            args.push(Box::new(n as i32));
            sql.push_str(&format!(" AND char_length(key) = ${}", args.len()));
        }
        args.push(Box::new(i64::from(from)));
        args.push(Box::new(i64::from(to)));
        sql.push_str(&format!(" AND day BETWEEN ${} AND ${} GROUP BY key ORDER BY key", args.len() - 1, args.len()));
        let params: Vec<Param<'_>> = args.iter().map(|a| a.as_ref() as Param<'_>).collect();
        let rows = query(&self.conn().await?, &sql, &params).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let c = counters_row(r, 1)?;
            // Rows whose contributions cancelled out are no object's.
            if !c.is_zero() {
                out.push((r.try_get(0).map_err(backend)?, c));
            }
        }
        Ok(out)
    }

    async fn replace_evaluation(&self, facts: Vec<Facts>, total: Contribution) -> Result<()> {
        let mut conn = self.conn().await?;
        let t = conn.transaction().await.map_err(backend)?;
        // Every commit group takes this lock first: no case moves while evaluation is replaced.
        t.query_one(LOCK_LEDGER, &[]).await.map_err(backend)?;
        t.batch_execute("DELETE FROM case_facts; DELETE FROM eval_counters; DELETE FROM eval_buckets;")
            .await
            .map_err(backend)?;
        for chunk in facts.chunks(4096) {
            let ids: Vec<i64> = chunk.iter().map(|f| f.case_id).collect();
            let seqs: Vec<i64> = chunk.iter().map(|f| i64::from(f.seq)).collect();
            let grids: Vec<&str> = chunk.iter().map(|f| f.grid.as_str()).collect();
            let data: Vec<String> = chunk.iter().map(json).collect();
            t.execute(
                "INSERT INTO case_facts (case_id, seq, grid, data) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])",
                &[&ids, &seqs, &grids, &data],
            )
            .await
            .map_err(backend)?;
        }
        let delta = DeltaArrays::new(&total);
        if let Some(p) = delta.counters_params() {
            t.execute(add_counters_sql(), &p).await.map_err(backend)?;
        }
        if let Some(p) = delta.buckets_params() {
            t.execute(ADD_BUCKETS, &p).await.map_err(backend)?;
        }
        let stale = t
            .query_opt(
                "SELECT c.id, c.seq, coalesce(f.seq, 0) FROM cases c LEFT JOIN case_facts f ON f.case_id = c.id \
                 WHERE f.seq IS DISTINCT FROM c.seq LIMIT 1",
                &[],
            )
            .await
            .map_err(backend)?;
        if let Some(r) = stale {
            let (case_id, found, expected): (i64, i64, i64) =
                (r.try_get(0).map_err(backend)?, r.try_get(1).map_err(backend)?, r.try_get(2).map_err(backend)?);
            return Err(StoreError::Conflict { case_id, expected: expected as u32, found: found as u32 });
        }
        t.commit().await.map_err(backend)
    }
}
