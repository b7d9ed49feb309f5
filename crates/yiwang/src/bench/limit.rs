//! `yiwang bench limit`: how fast the rows of a lifecycle can be written at all.
//!
//! First the lifecycles run through the engine on one fresh store, as `bench lifecycle` runs
//! them: that is our number, and it leaves behind exactly the rows a deployment keeps (cases,
//! followers, events with their ledger chain, facts, counters, buckets). Then those very rows
//! are written into a second fresh store with no logic at all: on SQLite by batched multi-row
//! INSERTs in one transaction (same schema, indexes and `synchronous=FULL`), on PostgreSQL by
//! COPY in one transaction. That is the limit: each row written once, nothing decided, nothing
//! read back. Our lifecycle throughput is printed as a share of it.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use rusqlite::types::Value;
use yiwang_domain::evaluation::Dim;
use yiwang_engine::Engine;

use super::lifecycle::{self, Cast};
use super::{Bench, Place, cpu_seconds};

#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// Lifecycles whose rows are written.
    #[arg(long, default_value_t = 20_000)]
    pub cases: usize,
    /// Cases in flight at once in our run.
    #[arg(long, default_value_t = 512)]
    pub concurrency: usize,
}

/// The tables a lifecycle writes to, parents before children.
const TABLES: &[&str] = &["cases", "case_followers", "events", "case_facts", "eval_counters", "eval_buckets"];

/// Rows per INSERT statement on SQLite.
const BATCH: usize = 256;

struct Limit {
    rows: usize,
    elapsed: Duration,
    cpu_seconds: Option<f64>,
}

pub async fn run(bench: &Bench, options: &Options) -> anyhow::Result<()> {
    if options.cases == 0 || options.concurrency == 0 {
        bail!("--cases and --concurrency must be at least 1");
    }
    bench.header("limit");
    let ours = bench.fresh_store().await?;
    let engine = Arc::new(Engine::start(ours.store.clone(), bench.rules.clone()).await?);
    let cast = Arc::new(Cast::load(&engine).await?);
    println!("run:     {} lifecycles through the engine, then their rows again with no logic", options.cases);
    let m = lifecycle::lifecycles(&engine, &cast, options.cases, options.concurrency).await?;
    lifecycle::print_measured("yiwang", &m);
    drop((engine, cast));
    // A read of the counters adds the embedded store's counter journal to them first, so the
    // counter rows copied below are all there however soon the lifecycles ended.
    ours.store.counters(Dim::Area, "", 0, 0).await?;

    let bare = bench.fresh_store().await?;
    let limit = match (&ours.place, &bare.place) {
        (Place::Sqlite(from), Place::Sqlite(to)) => {
            let (from, to) = (from.path().join("yiwang.db"), to.path().join("yiwang.db"));
            tokio::task::spawn_blocking(move || sqlite(&from, &to)).await??
        }
        (Place::Postgres { url: from, .. }, Place::Postgres { url: to, .. }) => postgres(from, to).await?,
        _ => unreachable!("both stores are made by the same bench"),
    };
    let per_second = options.cases as f64 / limit.elapsed.as_secs_f64();
    println!(
        "limit:   {} rows ({}) in {:.2} s = {:.0} rows/s = the rows of {per_second:.0} lifecycles/s ({})",
        limit.rows,
        TABLES.join(", "),
        limit.elapsed.as_secs_f64(),
        limit.rows as f64 / limit.elapsed.as_secs_f64(),
        if bench.database.is_some() { "COPY, one transaction" } else { "batched INSERTs, one transaction" },
    );
    println!("share:   yiwang's lifecycles run at {:.1} % of the limit (wall time)", 100.0 * m.per_second() / per_second);
    if let (Some(ours), Some(bare)) = (m.cpu_seconds, limit.cpu_seconds) {
        // PostgreSQL's own work is in the server process, not counted here.
        if bench.database.is_none() {
            println!(
                "share:   {:.1} % per CPU-second ({:.2} CPU-s for the limit, {:.2} for ours)",
                100.0 * bare / ours,
                bare,
                ours
            );
        }
    }
    ours.finish().await?;
    bare.finish().await?;
    Ok(())
}

/// Reads every row of the lifecycle's tables from `from`, then inserts them into `to` in one
/// transaction, timed.
fn sqlite(from: &Path, to: &Path) -> anyhow::Result<Limit> {
    let source = rusqlite::Connection::open(from)?;
    let mut tables = Vec::new();
    for table in TABLES {
        let mut st = source.prepare(&format!("SELECT * FROM {table}"))?;
        let columns = st.column_count();
        let rows = st
            .query_map([], |r| (0..columns).map(|i| r.get::<_, Value>(i)).collect::<rusqlite::Result<Vec<_>>>())?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tables.push((*table, columns, rows));
    }
    let mut target = rusqlite::Connection::open(to)?;
    target.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    let cpu = cpu_seconds();
    let started = Instant::now();
    let t = target.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut total = 0;
    for (table, columns, rows) in &tables {
        let one = format!("({})", vec!["?"; *columns].join(", "));
        for batch in rows.chunks(BATCH) {
            let sql = format!("INSERT INTO {table} VALUES {}", vec![one.as_str(); batch.len()].join(", "));
            t.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(batch.iter().flatten()))?;
        }
        total += rows.len();
    }
    t.commit()?;
    let elapsed = started.elapsed();
    Ok(Limit { rows: total, elapsed, cpu_seconds: cpu.zip(cpu_seconds()).map(|(a, b)| b - a) })
}

/// Copies every row of the lifecycle's tables out of `from`, then into `to` by COPY in one
/// transaction, timed.
async fn postgres(from: &str, to: &str) -> anyhow::Result<Limit> {
    let source = super::postgres_admin(from).await?;
    let mut tables = Vec::new();
    for table in TABLES {
        let mut out = source.copy_out(&format!("COPY {table} TO STDOUT")).await?.boxed();
        let mut data = Vec::new();
        while let Some(chunk) = out.next().await {
            data.extend_from_slice(&chunk?);
        }
        let rows = data.iter().filter(|b| **b == b'\n').count();
        tables.push((*table, bytes::Bytes::from(data), rows));
    }
    let mut target = super::postgres_admin(to).await?;
    let cpu = cpu_seconds();
    let started = Instant::now();
    let t = target.transaction().await?;
    let mut total = 0;
    for (table, data, rows) in tables {
        let sink = t.copy_in(&format!("COPY {table} FROM STDIN")).await?;
        let mut sink = std::pin::pin!(sink);
        sink.send(data).await.with_context(|| format!("COPY {table}"))?;
        sink.as_mut().finish().await?;
        total += rows;
    }
    t.commit().await?;
    let elapsed = started.elapsed();
    Ok(Limit { rows: total, elapsed, cpu_seconds: cpu.zip(cpu_seconds()).map(|(a, b)| b - a) })
}
