//! yiwang's embedded store: SQLite in WAL mode, one file in the data directory.
//!
//! One writer thread owns the only writing connection and commits in groups: whatever commits
//! arrive while it is busy go into the next transaction together. A group is first written
//! whole; only if a commit in it fails is it written again one commit at a time, each inside its
//! own savepoint, so that one refusal does not undo the others (savepoints cost a copy of every
//! page they touch, so the common case goes without). A commit is answered only after its transaction is
//! durable (`synchronous=FULL` by default), so an acknowledged write survives `kill -9` and a
//! power cut. Reads run on a small pool of read-only connections, beside the writer (WAL).
//! Evaluation counters are added behind the commits, from a journal (see `evaluation.rs`).

mod accounts;
mod attachments;
mod checkpoint;
mod evaluation;
mod notifications;
mod open311;
mod packed;
mod page_cache;
mod proxies;
mod rows;
mod schedule;
mod search;
mod wal_vfs;
mod webhooks;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Params, Row, TransactionBehavior, params};
use tokio::sync::oneshot;
use yiwang_domain::audit::{CaseHead, LedgerEntry};
use yiwang_domain::case::{Case, Event};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::evaluation::Contribution;
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::SubclassId;
use yiwang_domain::time::Timestamp;
use yiwang_store::import::History;
use yiwang_store::{CaseFilter, CasesWithEvents, Change, LedgerHead, OpenCounts, Reference, Result, Store, StoreError};

use crate::checkpoint::WalPages;
pub use crate::packed::register as register_functions;
use crate::search::ReportBlocks;

/// Embedded migrations, applied in order at open.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_accounts.sql")),
    (3, include_str!("../migrations/0003_attachments.sql")),
    (4, include_str!("../migrations/0004_webhooks.sql")),
    (5, include_str!("../migrations/0005_open311.sql")),
    (6, include_str!("../migrations/0006_supervision.sql")),
    (7, include_str!("../migrations/0007_evaluation.sql")),
    (8, include_str!("../migrations/0008_workbench.sql")),
    (9, include_str!("../migrations/0009_case_search.sql")),
    (10, include_str!("../migrations/0010_public_board.sql")),
    (11, include_str!("../migrations/0011_proxies.sql")),
    (12, include_str!("../migrations/0012_fewer_case_indexes.sql")),
    (13, include_str!("../migrations/0013_case_search_race.sql")),
    (14, include_str!("../migrations/0014_case_search_kind.sql")),
    (15, include_str!("../migrations/0015_counter_journal.sql")),
    (16, include_str!("../migrations/0016_events_in_ledger_order.sql")),
    (17, include_str!("../migrations/0017_case_search_kind_walk.sql")),
    (18, include_str!("../migrations/0018_case_report_blocks.sql")),
    (19, include_str!("../migrations/0019_case_search_overdue_walk.sql")),
    (20, include_str!("../migrations/0020_case_facts_without_grid_index.sql")),
];

/// A read-only connection of the pool.
fn open_reader(path: &Path) -> Result<Connection> {
    let r = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(backend)?;
    r.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -32768;").map_err(backend)?;
    tune(&r)?;
    Ok(r)
}

/// What every connection needs: `unpacked()` for SQL that reads a stored document (see
/// [`packed`]), and what it takes to reuse its compiled statements.
/// - QPSG (the query planner stability guarantee): without it, SQLite marks a statement whose
///   plan looked at a bound value (a `LIMIT ?`, an `x = ?` filter) to be compiled again once its
///   parameters are cleared, and the statement cache clears them each time it takes one back:
///   such statements were compiled anew at every use. Our SQL names the index wherever the plan
///   matters.
/// - A statement cache that holds every statement the writer and the reads use ([`Cached`] puts
///   the one-off `query_row` and `execute` through it too). Compiling was a quarter of the
///   instructions of HTTP intake before both.
fn tune(c: &Connection) -> Result<()> {
    c.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(backend)?;
    c.set_prepared_statement_cache_capacity(STATEMENTS);
    packed::register(c).map_err(backend)?;
    Ok(())
}

/// Compiled statements kept per connection: more than the writer and any reader use.
const STATEMENTS: usize = 256;
/// How long a group may grow: commits beyond this wait for the next transaction.
const MAX_GROUP: usize = 1024;
/// How long committed counter deltas may wait in the journal before the writer adds them.
const SETTLE_AFTER: Duration = Duration::from_secs(1);
/// Read-only connections, and so reads at once: more would only queue for the same cores, each
/// on a thread and a connection of its own.
const READERS: usize = 8;

/// How hard to push data to disk before acknowledging.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Survives a crash of the process and of the machine (`synchronous=FULL`).
    #[default]
    Full,
    /// Survives a crash of the process, not a power cut (`synchronous=NORMAL`).
    Normal,
}

pub struct SqliteStore {
    path: PathBuf,
    writer: mpsc::Sender<Job>,
    /// Joined when the store is dropped, after the writer has added the counter journal.
    writer_thread: Option<thread::JoinHandle<()>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// One permit per reader: a read waits for a free connection.
    permits: Arc<tokio::sync::Semaphore>,
}

type Work = Box<dyn FnOnce(&mut Connection) + Send>;

/// A commit's rows and where to answer it. The answer carries the rows back, to be freed by the
/// task that made them: freeing a group's rows was a thirtieth of the writer's time, and the
/// writer is the store's one serial thread.
type Commit = (Vec<rows::Prepared>, oneshot::Sender<(Result<LedgerHead>, Vec<rows::Prepared>)>);

enum Job {
    Commit(Commit),
    /// Any other write, run alone in the writer thread.
    Run(Work),
    /// Adds the pending counters now, for a read that must see every commit's.
    Settle(oneshot::Sender<Result<()>>),
}

/// `query_row` and `execute` through the connection's statement cache: compiling one of our
/// statements costs more than running it.
trait Cached {
    fn cached_row<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T>;
    fn cached_execute<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
}

impl Cached for Connection {
    fn cached_row<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    fn cached_execute<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) `yiwang.db` in `dir` and brings its schema up to date.
    pub fn open(dir: &Path, durability: Durability) -> Result<SqliteStore> {
        if let Err(rc) = page_cache::install() {
            tracing::debug!("SQLite was in use before the first store opened ({rc}): its page cache stays as it is");
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| backend(format!("cannot create data directory {}: {e}", dir.display())))?;
        let path = dir.join("yiwang.db");
        // Only where every commit ends with a sync may the WAL's frames wait for it (`wal_vfs`).
        let gather = durability == Durability::Full
            && wal_vfs::register().inspect_err(|e| tracing::warn!("{e}: the WAL is written frame by frame")).is_ok();
        let mut conn = if gather {
            Connection::open_with_flags_and_vfs(&path, OpenFlags::default(), wal_vfs::NAME)
        } else {
            Connection::open(&path)
        }
        .map_err(backend)?;
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; \
             PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
        ))
        .map_err(backend)?;
        tune(&conn)?;
        migrate(&mut conn)?;
        evaluation::replay_journal(&mut conn)?;
        let ledger = rows::ledger_head(&conn)?;
        let wal = WalPages::watch(&mut conn)?;

        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            readers.push(open_reader(&path)?);
        }
        let (tx, rx) = mpsc::channel();
        let writer_thread = thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || Writer { conn, ledger, wal, journalled: None, sum: evaluation::Sum::default() }.run(rx))
            .map_err(backend)?;
        Ok(SqliteStore {
            path,
            writer: tx,
            writer_thread: Some(writer_thread),
            readers: Arc::new(Mutex::new(readers)),
            permits: Arc::new(tokio::sync::Semaphore::new(READERS)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on a read-only connection, off the async runtime.
    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T> + Send + 'static) -> Result<T> {
        let pool = self.readers.clone();
        let path = self.path.clone();
        let permit = self.permits.clone().acquire_owned().await.map_err(backend)?;
        tokio::task::spawn_blocking(move || {
            let conn = pool.lock().expect("reader pool").pop();
            let conn = match conn {
                Some(c) => c,
                // A read that panicked took its connection with it: replace it.
                None => open_reader(&path)?,
            };
            let out = f(&conn);
            pool.lock().expect("reader pool").push(conn);
            drop(permit);
            out
        })
        .await
        .map_err(backend)?
    }

    /// Waits until every committed counter delta is in the counters.
    async fn settle(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.writer.send(Job::Settle(tx)).map_err(|_| backend("the writer thread has stopped"))?;
        rx.await.map_err(|_| backend("the writer thread has stopped"))?
    }

    /// Runs `f` in the writer thread, inside one transaction.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        let work: Work = Box::new(move |conn| {
            let out = (|| {
                let t = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
                let v = f(&t)?;
                t.commit().map_err(backend)?;
                Ok(v)
            })();
            let _ = tx.send(out);
        });
        self.writer.send(Job::Run(work)).map_err(|_| backend("the writer thread has stopped"))?;
        rx.await.map_err(|_| backend("the writer thread has stopped"))?
    }
}

impl Drop for SqliteStore {
    /// Closes the writer's queue and waits for it to finish: a command that exits right after
    /// leaves its counters added, not only journalled.
    fn drop(&mut self) {
        drop(std::mem::replace(&mut self.writer, mpsc::channel().0));
        if let Some(writer) = self.writer_thread.take() {
            let _ = writer.join();
        }
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .map_err(backend)?;
    let newest = conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0)).map_err(backend)?;
    yiwang_store::check_schema_version(newest, MIGRATIONS[MIGRATIONS.len() - 1].0)?;
    for (version, sql) in MIGRATIONS {
        let t = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let done: Option<i64> = t
            .query_row("SELECT version FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        if done.is_none() {
            t.execute_batch(sql).map_err(|e| backend(format!("migration {version}: {e}")))?;
            t.cached_execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![version, Timestamp::now().0],
            )
            .map_err(backend)?;
        }
        t.commit().map_err(backend)?;
    }
    Ok(())
}

/// The writer thread: the one connection that writes, the ledger head in memory, and since
/// when it has journalled counter deltas that are not yet in the counters.
struct Writer {
    conn: Connection,
    ledger: LedgerHead,
    wal: WalPages,
    journalled: Option<Instant>,
    /// A group's counter deltas, summed: kept from group to group, so that its table is not
    /// allocated anew (and its memory faulted in again) for every group.
    sum: evaluation::Sum,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Job>) {
        let mut waiting = None;
        loop {
            let first = match (waiting.take(), self.settle_in()) {
                (Some(job), _) => Ok(job),
                (None, None) => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                (None, Some(wait)) => rx.recv_timeout(wait),
            };
            let first = match first {
                Ok(job) => job,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.settle_logged();
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let mut group = Vec::new();
            let mut next = Some(first);
            while let Some(job) = next.take() {
                match job {
                    Job::Commit(commit) => group.push(commit),
                    Job::Run(work) => {
                        // Keep order: flush the commits before this write.
                        self.commit_group(std::mem::take(&mut group));
                        work(&mut self.conn);
                        if let Ok(head) = rows::ledger_head(&self.conn) {
                            self.ledger = head;
                        }
                    }
                    Job::Settle(reply) => {
                        self.commit_group(std::mem::take(&mut group));
                        let _ = reply.send(self.settle());
                    }
                }
                if group.len() < MAX_GROUP {
                    next = rx.try_recv().ok();
                }
            }
            self.commit_group(group);
            if self.settle_in() == Some(Duration::ZERO) {
                self.settle_logged();
            }
            // No commit waiting: the moment to copy the WAL back, with no request held up.
            waiting = rx.try_recv().ok();
            if waiting.is_none() {
                self.wal.checkpoint_if_due(&self.conn);
            }
        }
        // The store is closing: leave no journal behind.
        self.settle_logged();
    }

    /// How long until this writer's journalled deltas are due (`None`: it journalled none).
    fn settle_in(&self) -> Option<Duration> {
        self.journalled.map(|t| SETTLE_AFTER.saturating_sub(t.elapsed()))
    }

    /// Adds the journal to the counters and empties it, in one transaction; on failure both
    /// stay as they were, to be added later. The journal is read from the database, not kept in
    /// memory, so that another process that opens the store (a `yiwang` command beside the
    /// server) can settle it too, and every row is added exactly once.
    fn settle(&mut self) -> Result<()> {
        let t = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        evaluation::settle(&t)?;
        t.commit().map_err(backend)?;
        self.journalled = None;
        Ok(())
    }

    /// Notes whether a committed group journalled a delta.
    fn journalled(&mut self, any: bool) {
        if any {
            self.journalled.get_or_insert_with(Instant::now);
        }
    }

    fn settle_logged(&mut self) {
        if let Err(e) = self.settle() {
            tracing::warn!("adding the pending evaluation counters failed, to be tried again: {e}");
        }
    }

    fn commit_group(&mut self, group: Vec<Commit>) {
        if group.is_empty() {
            return;
        }
        let outcome = match self.all_at_once(&group) {
            Ok(Some(heads)) => Ok(heads.into_iter().map(Ok).collect()),
            Ok(None) => self.one_by_one(&group),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(answers) => {
                for ((changes, reply), answer) in group.into_iter().zip(answers) {
                    let _ = reply.send((answer, changes));
                }
            }
            Err(e) => {
                for (changes, reply) in group {
                    let _ = reply.send((Err(backend(&e)), changes));
                }
            }
        }
    }

    /// Writes the whole group in one transaction, with no savepoints. `Ok(None)`: some commit
    /// failed and nothing was written.
    fn all_at_once(&mut self, group: &[Commit]) -> Result<Option<Vec<LedgerHead>>> {
        let t = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let mut ledger = self.ledger;
        let mut heads = Vec::with_capacity(group.len());
        let counters = &mut self.sum;
        counters.clear();
        let mut blocks = ReportBlocks::default();
        for (changes, _) in group {
            if rows::apply(&t, changes, &mut ledger, counters, &mut blocks).is_err() {
                t.rollback().map_err(backend)?;
                return Ok(None);
            }
            heads.push(ledger);
        }
        blocks.write(&t)?;
        evaluation::journal(&t, ledger.seq, counters)?;
        set_ledger(&t, self.ledger, ledger)?;
        t.commit().map_err(backend)?;
        self.ledger = ledger;
        self.journalled(!self.sum.is_empty());
        Ok(Some(heads))
    }

    /// Writes the group one commit at a time, each in its own savepoint, so that one refusal
    /// does not undo the others and each commit gets its own answer.
    fn one_by_one(&mut self, group: &[Commit]) -> Result<Vec<Result<LedgerHead>>> {
        let t = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        let mut ledger = self.ledger;
        let mut answers = Vec::with_capacity(group.len());
        let mut written = evaluation::Sum::default();
        let mut blocks = ReportBlocks::default();
        for (changes, _) in group {
            let mut after = ledger;
            let mut counters = evaluation::Sum::default();
            t.execute_batch("SAVEPOINT one").map_err(backend)?;
            match rows::apply(&t, changes, &mut after, &mut counters, &mut blocks) {
                Ok(()) => {
                    t.execute_batch("RELEASE one").map_err(backend)?;
                    ledger = after;
                    written.absorb(counters);
                    answers.push(Ok(ledger));
                }
                Err(e) => {
                    t.execute_batch("ROLLBACK TO one; RELEASE one").map_err(backend)?;
                    answers.push(Err(e));
                }
            }
        }
        blocks.write(&t)?;
        evaluation::journal(&t, ledger.seq, &written)?;
        set_ledger(&t, self.ledger, ledger)?;
        t.commit().map_err(backend)?;
        self.ledger = ledger;
        self.journalled(!written.is_empty());
        Ok(answers)
    }
}

/// Moves the stored ledger head from `before` to `after` (nothing when no event was written).
fn set_ledger(t: &rusqlite::Transaction, before: LedgerHead, after: LedgerHead) -> Result<()> {
    if after != before {
        t.cached_execute(
            "UPDATE ledger_head SET seq = ?1, hash = ?2 WHERE id = 1",
            params![after.seq, &after.hash[..]],
        )
        .map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn save_reference(&self, reference: &Reference) -> Result<()> {
        let reference = reference.clone();
        self.write(move |t| rows::save_reference(t, &reference)).await
    }

    async fn load_reference(&self) -> Result<Reference> {
        self.read(rows::load_reference).await
    }

    async fn allocate_case_ids(&self, n: u32) -> Result<i64> {
        self.write(move |t| {
            t.cached_row("UPDATE counters SET next = next + ?1 WHERE name = 'case' RETURNING next - ?1", [n], |r| {
                r.get(0)
            })
            .map_err(backend)
        })
        .await
    }

    async fn commit(&self, changes: Vec<Change>) -> Result<LedgerHead> {
        let prepared = changes.into_iter().map(rows::Prepared::new).collect::<Result<_>>()?;
        let (tx, rx) = oneshot::channel();
        self.writer.send(Job::Commit((prepared, tx))).map_err(|_| backend("the writer thread has stopped"))?;
        let (answer, _freed_here) = rx.await.map_err(|_| backend("the writer thread has stopped"))?;
        answer
    }

    async fn import_history(&self, histories: Vec<History>, counters: Contribution) -> Result<LedgerHead> {
        let prepared: Vec<_> = histories.into_iter().map(rows::PreparedHistory::new).collect::<Result<_>>()?;
        self.write(move |t| rows::import_history(t, &prepared, &counters)).await
    }

    async fn case(&self, id: i64) -> Result<Option<Case>> {
        self.read(move |c| rows::case(c, id)).await
    }

    async fn events(&self, case_id: i64) -> Result<Vec<Event>> {
        self.read(move |c| rows::case_events(c, case_id)).await
    }

    async fn cases_with_events(&self, ids: BTreeSet<i64>) -> Result<CasesWithEvents> {
        self.read(move |c| {
            ids.into_iter().map(|id| Ok((id, (rows::case(c, id)?, rows::case_events(c, id)?)))).collect()
        })
        .await
    }

    async fn find_cases(&self, filter: &CaseFilter) -> Result<Vec<Case>> {
        let filter = filter.clone();
        self.read(move |c| rows::find_cases(c, &filter)).await
    }

    async fn open_cases_near(&self, subclass: SubclassId, sw: Point, ne: Point, since: Timestamp) -> Result<Vec<Case>> {
        self.read(move |c| rows::open_cases_near(c, subclass, sw, ne, since)).await
    }

    async fn count_cases(&self) -> Result<i64> {
        self.read(|c| c.cached_row("SELECT count(*) FROM cases", [], |r| r.get(0)).map_err(backend)).await
    }

    async fn count_cases_where(&self, filter: &CaseFilter) -> Result<i64> {
        let filter = filter.clone();
        self.read(move |c| rows::count_cases(c, &filter)).await
    }

    async fn open_counts(&self, area: &AreaCode, digits: usize) -> Result<Vec<OpenCounts>> {
        let area = area.clone();
        self.read(move |c| rows::open_counts(c, &area, digits)).await
    }

    async fn reported_by_subclass(
        &self,
        area: &AreaCode,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<(SubclassId, i64)>> {
        let area = area.clone();
        self.read(move |c| rows::reported_by_subclass(c, &area, since, limit)).await
    }

    async fn storage_bytes(&self) -> Result<u64> {
        self.read(|c| {
            c.cached_row("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(backend)
        })
        .await
    }

    async fn case_heads(&self, after_id: i64, limit: u32) -> Result<Vec<CaseHead>> {
        self.read(move |c| rows::case_heads(c, after_id, limit)).await
    }

    async fn events_page(&self, after: (i64, u32), limit: u32) -> Result<Vec<Event>> {
        self.read(move |c| {
            rows::events(
                c,
                "WHERE (case_id, seq) > (?1, ?2) ORDER BY case_id, seq LIMIT ?3",
                params![after.0, after.1, limit],
            )
        })
        .await
    }

    async fn ledger_page(&self, after_seq: i64, limit: u32) -> Result<Vec<LedgerEntry>> {
        self.read(move |c| rows::ledger_page(c, after_seq, limit)).await
    }

    async fn ledger_head(&self) -> Result<LedgerHead> {
        self.read(rows::ledger_head).await
    }

    async fn schema(&self) -> Result<Vec<String>> {
        self.read(rows::schema).await
    }
}
