//! Group commit.
//!
//! One writer task per process receives every commit. Whatever arrived while the previous group
//! was being written forms the next group, written in one transaction that starts by locking
//! the ledger row (`SELECT ... FOR UPDATE`): writers on other nodes wait there, so the ledger is
//! one chain whoever writes, and the lock and the durable commit are paid once per group.
//!
//! A group is first written all at once: its statements are pipelined (sent back to back, the
//! answers read afterwards), which costs a few round trips whatever the group's size. If every
//! statement did what it should, the group commits. If anything failed (a stale `expected_seq`,
//! a case that exists, a database error), that transaction is rolled back and the group is
//! written again one commit at a time, each inside its own savepoint, so that one refusal does
//! not undo the others and each commit gets its own answer.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use deadpool_postgres::{Object, Pool, Transaction};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::Statement;
use yiwang_domain::Refusal;
use yiwang_domain::audit;
use yiwang_domain::evaluation::Contribution;
use yiwang_store::{Change, LedgerHead, Result, StoreError};

use crate::evaluation::{self, DeltaArrays};
use crate::rows::{self, ChangeRow};
use crate::{backend, backend_msg};

/// How large a group may grow: commits beyond this wait for the next transaction.
const MAX_GROUP: usize = 1024;

pub struct Job {
    pub changes: Vec<Change>,
    pub reply: oneshot::Sender<Result<LedgerHead>>,
}

pub struct Writer {
    pool: Pool,
    /// The connection the writer keeps, replaced when it breaks.
    conn: Option<Object>,
}

/// The statements a group runs, prepared once per connection.
struct Statements {
    lock: Statement,
    set_ledger: Statement,
    insert_case: Statement,
    update_case: Statement,
    followers: Statement,
    event: Statement,
    case_seq: Statement,
    facts: Statement,
    counters: Statement,
    buckets: Statement,
}

impl Statements {
    async fn prepare(conn: &Object) -> Result<Statements> {
        let p = |sql: &'static str| async move { conn.prepare_cached(sql).await.map_err(backend) };
        Ok(Statements {
            lock: p(rows::LOCK_LEDGER).await?,
            set_ledger: p(rows::SET_LEDGER).await?,
            insert_case: p(rows::INSERT_CASE).await?,
            update_case: p(rows::UPDATE_CASE).await?,
            followers: p(rows::INSERT_FOLLOWERS).await?,
            event: p(rows::INSERT_EVENT).await?,
            case_seq: p(rows::CASE_SEQ).await?,
            facts: p(evaluation::UPSERT_FACTS).await?,
            counters: p(evaluation::add_counters_sql()).await?,
            buckets: p(evaluation::ADD_BUCKETS).await?,
        })
    }
}

type Pending<'a> = Pin<Box<dyn Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'a>>;

/// Runs statements pipelined. tokio-postgres sends a statement when its future is first polled,
/// so polling every future once sends them all, in order, before any answer is awaited; the
/// answers then come back in the same order.
async fn pipeline(mut pending: Vec<Pending<'_>>) -> Vec<Result<u64, tokio_postgres::Error>> {
    let mut early: Vec<Option<Result<u64, tokio_postgres::Error>>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (p, e) in pending.iter_mut().zip(early.iter_mut()) {
            if let Poll::Ready(r) = p.as_mut().poll(cx) {
                *e = Some(r);
            }
        }
        Poll::Ready(())
    })
    .await;
    let mut out = Vec::with_capacity(pending.len());
    for (p, e) in pending.into_iter().zip(early) {
        out.push(match e {
            Some(r) => r,
            None => p.await,
        });
    }
    out
}

/// What a statement was for, to read its answer.
#[derive(Clone, Copy)]
enum Purpose {
    /// Writes the case row of change `n` of the commit: it must touch exactly one row.
    Case(usize),
    Other(usize),
    /// Not tied to one change (the ledger head, the summed counters).
    Group,
}

/// Places the changes of one commit in the ledger after `ledger`, advancing it.
fn place<'a>(changes: &'a [Change], ledger: &mut LedgerHead) -> Vec<ChangeRow<'a>> {
    changes
        .iter()
        .map(|Change { case, event, evaluation }| {
            *ledger = LedgerHead { seq: ledger.seq + 1, hash: audit::ledger_next(&ledger.hash, &event.hash) };
            ChangeRow::new(case, event, *ledger, evaluation.as_ref())
        })
        .collect()
}

/// The statements writing `rows`, in order.
fn statements<'a>(
    t: &'a Transaction<'_>,
    st: &'a Statements,
    rows: &'a [ChangeRow<'_>],
    out: &mut Vec<(Purpose, Pending<'a>)>,
) {
    for (n, r) in rows.iter().enumerate() {
        let case = if r.new { &st.insert_case } else { &st.update_case };
        out.push((Purpose::Case(n), Box::pin(t.execute_raw(case, r.case_params()))));
        if yiwang_store::brings_followers(r.case, r.event) {
            out.push((Purpose::Other(n), Box::pin(t.execute_raw(&st.followers, r.follower_params()))));
        }
        out.push((Purpose::Other(n), Box::pin(t.execute_raw(&st.event, r.event_params()))));
        if let Some(e) = &r.evaluation {
            out.push((Purpose::Other(n), Box::pin(t.execute_raw(&st.facts, e.facts_params()))));
        }
    }
}

/// The counter deltas of `jobs`, summed: a group of steps touches the same district, street and
/// unit rows over and over, and each row is then written once.
fn summed_delta(jobs: &[Job]) -> DeltaArrays {
    let mut sum = Contribution::default();
    for e in jobs.iter().flat_map(|j| &j.changes).filter_map(|c| c.evaluation.as_ref()) {
        sum.merge(&e.delta);
    }
    DeltaArrays::new(&sum)
}

/// The statements adding `delta` to the counters and buckets.
fn counter_statements<'a>(
    t: &'a Transaction<'_>,
    st: &'a Statements,
    delta: &'a DeltaArrays,
    out: &mut Vec<(Purpose, Pending<'a>)>,
) {
    if let Some(p) = delta.counters_params() {
        out.push((Purpose::Group, Box::pin(t.execute_raw(&st.counters, p))));
    }
    if let Some(p) = delta.buckets_params() {
        out.push((Purpose::Group, Box::pin(t.execute_raw(&st.buckets, p))));
    }
}

/// The first statement that did not do what it should.
enum Failure {
    /// The case row of change `n` was not written: the case exists, is missing, or moved on.
    CaseRow(usize),
    /// A statement failed (of change `n`, if it belongs to one).
    Database(Option<usize>, tokio_postgres::Error),
}

fn first_failure(purposes: &[Purpose], results: Vec<Result<u64, tokio_postgres::Error>>) -> Option<Failure> {
    for (purpose, result) in purposes.iter().zip(results) {
        match (*purpose, result) {
            (Purpose::Case(n) | Purpose::Other(n), Err(e)) => {
                return Some(Failure::Database(Some(n), e));
            }
            (Purpose::Group, Err(e)) => return Some(Failure::Database(None, e)),
            (Purpose::Case(n), Ok(written)) if written != 1 => return Some(Failure::CaseRow(n)),
            _ => {}
        }
    }
    None
}

impl Writer {
    pub fn new(pool: Pool) -> Writer {
        Writer { pool, conn: None }
    }

    pub async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
        while let Some(first) = rx.recv().await {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            let answers = self.commit_group(&group).await;
            for (job, answer) in group.into_iter().zip(answers) {
                let _ = job.reply.send(answer);
            }
        }
    }

    /// Makes sure the writer holds a live connection.
    async fn connect(&mut self) -> Result<()> {
        if self.conn.as_ref().is_none_or(|c| c.is_closed()) {
            self.conn = None;
            self.conn = Some(self.pool.get().await.map_err(backend)?);
        }
        Ok(())
    }

    async fn commit_group(&mut self, group: &[Job]) -> Vec<Result<LedgerHead>> {
        let everyone = |e: StoreError| {
            let msg = match e {
                StoreError::Backend(msg) => msg,
                other => other.to_string(),
            };
            tracing::error!(commits = group.len(), "group commit failed: {msg}");
            group.iter().map(|_| Err(StoreError::Backend(msg.clone()))).collect()
        };
        let outcome = match self.connect().await {
            Ok(()) => self.all_at_once(group).await,
            Err(e) => return everyone(e),
        };
        match outcome {
            Ok(Some(heads)) => return heads.into_iter().map(Ok).collect(),
            Ok(None) => tracing::debug!(commits = group.len(), "a commit in the group failed; writing them one by one"),
            Err(e) => return everyone(e),
        }
        let outcome = match self.connect().await {
            Ok(()) => self.one_by_one(group).await,
            Err(e) => return everyone(e),
        };
        outcome.unwrap_or_else(everyone)
    }

    /// Writes the whole group in one pipelined transaction. `Ok(None)`: some statement failed
    /// and nothing was written. An error means the outcome is unknown or the database is down.
    async fn all_at_once(&mut self, group: &[Job]) -> Result<Option<Vec<LedgerHead>>> {
        let conn = self.conn.as_mut().expect("connected");
        let st = Statements::prepare(conn).await?;
        let t = conn.transaction().await.map_err(backend)?;
        let start = rows::ledger_row(&t.query_one(&st.lock, &[]).await.map_err(backend)?)?;
        let mut ledger = start;
        let mut heads = Vec::with_capacity(group.len());
        let placed: Vec<Vec<ChangeRow>> = group
            .iter()
            .map(|job| {
                let rows = place(&job.changes, &mut ledger);
                heads.push(ledger);
                rows
            })
            .collect();
        let ledger_hash = ledger.hash.to_vec();
        let delta = summed_delta(group);
        let mut steps = Vec::new();
        for rows in &placed {
            statements(&t, &st, rows, &mut steps);
        }
        counter_statements(&t, &st, &delta, &mut steps);
        if ledger != start {
            steps.push((
                Purpose::Group,
                Box::pin(t.execute_raw(&st.set_ledger, [&ledger.seq as rows::Param, &ledger_hash])),
            ));
        }
        let (purposes, pending): (Vec<Purpose>, Vec<Pending>) = steps.into_iter().unzip();
        let results = pipeline(pending).await;
        if first_failure(&purposes, results).is_some() {
            t.rollback().await.map_err(backend)?;
            return Ok(None);
        }
        t.commit().await.map_err(backend)?;
        Ok(Some(heads))
    }

    /// Writes the group one commit at a time, each in its own savepoint.
    async fn one_by_one(&mut self, group: &[Job]) -> Result<Vec<Result<LedgerHead>>> {
        let conn = self.conn.as_mut().expect("connected");
        let st = Statements::prepare(conn).await?;
        let t = conn.transaction().await.map_err(backend)?;
        let start = rows::ledger_row(&t.query_one(&st.lock, &[]).await.map_err(backend)?)?;
        let mut ledger = start;
        let mut answers = Vec::with_capacity(group.len());
        for job in group {
            let mut after = ledger;
            let placed = place(&job.changes, &mut after);
            let delta = summed_delta(std::slice::from_ref(job));
            let mut steps = Vec::new();
            statements(&t, &st, &placed, &mut steps);
            counter_statements(&t, &st, &delta, &mut steps);
            let (purposes, pending): (Vec<Purpose>, Vec<Pending>) = steps.into_iter().unzip();
            t.batch_execute("SAVEPOINT one").await.map_err(backend)?;
            match first_failure(&purposes, pipeline(pending).await) {
                None => {
                    t.batch_execute("RELEASE one").await.map_err(backend)?;
                    ledger = after;
                    answers.push(Ok(ledger));
                }
                Some(failure) => {
                    t.batch_execute("ROLLBACK TO one; RELEASE one").await.map_err(backend)?;
                    answers.push(Err(explain(&t, &st, &placed, failure).await?));
                }
            }
        }
        if ledger != start {
            t.execute(&st.set_ledger, &[&ledger.seq, &ledger.hash.to_vec()]).await.map_err(backend)?;
        }
        t.commit().await.map_err(backend)?;
        Ok(answers)
    }
}

/// Why a commit was not written, as its caller should hear it.
async fn explain(t: &Transaction<'_>, st: &Statements, rows: &[ChangeRow<'_>], failure: Failure) -> Result<StoreError> {
    let (n, e) = match failure {
        Failure::Database(n, e) => (n, e),
        Failure::CaseRow(n) => {
            let r = &rows[n];
            let id = r.case.id;
            if r.new {
                return Ok(StoreError::Refused(Refusal::new(
                    "case_exists",
                    format!("案卷 {id} 已存在"),
                    format!("case {id} already exists"),
                )));
            }
            let found = t.query_opt(&st.case_seq, &[&id]).await.map_err(backend)?;
            return Ok(match found {
                Some(row) => {
                    let found: i64 = row.try_get(0).map_err(backend)?;
                    let expected = r.event.seq - 1;
                    StoreError::Conflict { case_id: id, expected, found: u32::try_from(found).unwrap_or(u32::MAX) }
                }
                None => StoreError::Refused(Refusal::new(
                    "case_not_found",
                    format!("案卷 {id} 不存在"),
                    format!("case {id} does not exist"),
                )),
            });
        }
    };
    Ok(match n.and_then(|n| rows.get(n)) {
        Some(r) => backend_msg(format!("case {}: {}", r.case.id, crate::describe(&e))),
        None => backend(e),
    })
}
