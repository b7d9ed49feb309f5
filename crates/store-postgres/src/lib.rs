//! yiwang's store on PostgreSQL, for several stateless nodes sharing one database.
//!
//! Reads go through a pool of connections. Commits go through one writer task per process,
//! which commits in groups: whatever commits arrive while a group is being written go into the
//! next transaction together. Every group locks the ledger row first, so the ledger is one
//! chain across all the nodes, and the lock is taken once per group rather than once per
//! commit (see [`writer`]). A commit is answered only after its transaction has committed.
//!
//! Other writes (the reference data, case ids) do not touch the ledger and run on pooled
//! connections directly.

mod accounts;
mod attachments;
mod evaluation;
mod import;
mod notifications;
mod open311;
mod proxies;
mod rows;
mod schedule;
mod webhooks;
mod writer;

use std::collections::BTreeSet;
use std::error::Error as StdError;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::NoTls;
use yiwang_domain::audit::{CaseHead, LedgerEntry};
use yiwang_domain::case::{Case, Event};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::SubclassId;
use yiwang_domain::time::Timestamp;
use yiwang_store::{CaseFilter, CasesWithEvents, Change, LedgerHead, OpenCounts, Reference, Result, Store, StoreError};

/// Embedded migrations, applied in order at connect.
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
];

/// Connections in the pool (the writer keeps one of them).
const POOL_SIZE: usize = 16;

/// Unless the URL says otherwise (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Class of the advisory lock held while migrating ("yiwa"); the second key is the schema.
const MIGRATION_LOCK: i32 = 0x7969_7761;

pub struct PostgresStore {
    pool: Pool,
    writer: mpsc::UnboundedSender<writer::Job>,
}

/// An error with its causes: tokio-postgres says only "db error" and keeps the server's
/// message in the source.
fn describe(e: &dyn StdError) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_msg = s.to_string();
        if !msg.contains(&s_msg) {
            msg.push_str(": ");
            msg.push_str(&s_msg);
        }
        source = s.source();
    }
    msg
}

/// A database failure.
fn backend(e: impl StdError) -> StoreError {
    StoreError::Backend(describe(&e))
}

fn backend_msg(msg: impl Into<String>) -> StoreError {
    StoreError::Backend(msg.into())
}

impl PostgresStore {
    /// Connects to the database at `url` (a `postgres://` URL or a `key=value` string, as
    /// tokio-postgres reads them; no TLS) and brings its schema up to date. Tables live in the
    /// connection's current schema, so `options=-csearch_path%3D...` selects another one.
    ///
    /// Call it inside the Tokio runtime the store will serve from: its writer task runs there.
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        let mut config: tokio_postgres::Config = url.parse().map_err(backend)?;
        if config.get_connect_timeout().is_none() {
            // An unreachable server fails the request instead of hanging it.
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager).max_size(POOL_SIZE).build().map_err(backend)?;
        {
            let mut conn = pool.get().await.map_err(backend)?;
            migrate(&mut conn).await?;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer::Writer::new(pool.clone()).run(rx));
        Ok(PostgresStore { pool, writer: tx })
    }

    async fn conn(&self) -> Result<Object> {
        self.pool.get().await.map_err(backend)
    }
}

/// Applies the missing migrations in one transaction, under an advisory lock so that nodes
/// starting together do not race (the lock is per schema, released at commit).
async fn migrate(conn: &mut Object) -> Result<()> {
    let t = conn.transaction().await.map_err(backend)?;
    t.execute("SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))", &[&MIGRATION_LOCK])
        .await
        .map_err(backend)?;
    t.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await
    .map_err(backend)?;
    let newest = t.query_one("SELECT max(version) FROM schema_migrations", &[]).await.map_err(backend)?.get(0);
    yiwang_store::check_schema_version(newest, MIGRATIONS[MIGRATIONS.len() - 1].0)?;
    for (version, sql) in MIGRATIONS {
        let done = t
            .query_opt("SELECT version FROM schema_migrations WHERE version = $1", &[version])
            .await
            .map_err(backend)?;
        if done.is_none() {
            t.batch_execute(sql).await.map_err(|e| backend_msg(format!("migration {version}: {}", describe(&e))))?;
            t.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[version, &Timestamp::now().0],
            )
            .await
            .map_err(backend)?;
            tracing::info!(version, "applied PostgreSQL migration");
        }
    }
    t.commit().await.map_err(backend)
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn save_reference(&self, reference: &Reference) -> Result<()> {
        let mut conn = self.conn().await?;
        let t = conn.transaction().await.map_err(backend)?;
        rows::save_reference(&t, reference).await?;
        t.commit().await.map_err(backend)
    }

    async fn load_reference(&self) -> Result<Reference> {
        let mut conn = self.conn().await?;
        // One snapshot for the five tables.
        let t = conn
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(backend)?;
        let r = rows::load_reference(&t).await?;
        t.commit().await.map_err(backend)?;
        Ok(r)
    }

    async fn allocate_case_ids(&self, n: u32) -> Result<i64> {
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached("UPDATE counters SET next = next + $1 WHERE name = 'case' RETURNING next - $1")
            .await
            .map_err(backend)?;
        let row = conn.query_one(&st, &[&i64::from(n)]).await.map_err(backend)?;
        Ok(row.get(0))
    }

    async fn commit(&self, changes: Vec<Change>) -> Result<LedgerHead> {
        for Change { case, event, evaluation } in &changes {
            if event.seq == 0 || event.case_id != case.id || event.seq != case.seq || event.hash != case.head {
                return Err(backend_msg(format!("change of case {} is inconsistent with its event", case.id)));
            }
            if let Some(e) = evaluation {
                yiwang_store::evaluation::check_facts(case, e)?;
            }
        }
        let (tx, rx) = oneshot::channel();
        self.writer.send(writer::Job { changes, reply: tx }).map_err(|_| backend_msg("the writer task has stopped"))?;
        rx.await.map_err(|_| backend_msg("the writer task has stopped"))?
    }

    async fn import_history(
        &self,
        histories: Vec<yiwang_store::import::History>,
        counters: yiwang_domain::evaluation::Contribution,
    ) -> Result<LedgerHead> {
        self.import(histories, counters).await
    }

    async fn case(&self, id: i64) -> Result<Option<Case>> {
        rows::case(&self.conn().await?, id).await
    }

    async fn events(&self, case_id: i64) -> Result<Vec<Event>> {
        rows::events(&self.conn().await?, "WHERE case_id = $1 ORDER BY seq", &[&case_id]).await
    }

    async fn cases_with_events(&self, ids: BTreeSet<i64>) -> Result<CasesWithEvents> {
        rows::cases_with_events(&self.conn().await?, &ids.into_iter().collect::<Vec<_>>()).await
    }

    async fn find_cases(&self, filter: &CaseFilter) -> Result<Vec<Case>> {
        rows::find_cases(&self.conn().await?, filter).await
    }

    async fn open_cases_near(&self, subclass: SubclassId, sw: Point, ne: Point, since: Timestamp) -> Result<Vec<Case>> {
        rows::open_cases_near(&self.conn().await?, subclass, sw, ne, since).await
    }

    async fn count_cases(&self) -> Result<i64> {
        let conn = self.conn().await?;
        let st = conn.prepare_cached("SELECT count(*) FROM cases").await.map_err(backend)?;
        Ok(conn.query_one(&st, &[]).await.map_err(backend)?.get(0))
    }

    async fn count_cases_where(&self, filter: &CaseFilter) -> Result<i64> {
        rows::count_cases(&self.conn().await?, filter).await
    }

    async fn open_counts(&self, area: &AreaCode, digits: usize) -> Result<Vec<OpenCounts>> {
        rows::open_counts(&self.conn().await?, area, digits).await
    }

    async fn reported_by_subclass(
        &self,
        area: &AreaCode,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<(SubclassId, i64)>> {
        rows::reported_by_subclass(&self.conn().await?, area, since, limit).await
    }

    async fn refresh_statistics(&self) -> Result<()> {
        self.conn().await?.batch_execute("ANALYZE").await.map_err(backend)
    }

    async fn storage_bytes(&self) -> Result<u64> {
        let conn = self.conn().await?;
        let row = conn
            .query_one(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'",
                &[],
            )
            .await
            .map_err(backend)?;
        Ok(row.try_get::<_, i64>(0).map_err(backend)?.max(0) as u64)
    }

    async fn case_heads(&self, after_id: i64, limit: u32) -> Result<Vec<CaseHead>> {
        rows::case_heads(&self.conn().await?, after_id, limit).await
    }

    async fn events_page(&self, after: (i64, u32), limit: u32) -> Result<Vec<Event>> {
        let (case_id, seq, limit) = (after.0, i64::from(after.1), i64::from(limit));
        rows::events(
            &self.conn().await?,
            "WHERE (case_id, seq) > ($1, $2) ORDER BY case_id, seq LIMIT $3",
            &[&case_id, &seq, &limit],
        )
        .await
    }

    async fn ledger_page(&self, after_seq: i64, limit: u32) -> Result<Vec<LedgerEntry>> {
        rows::ledger_page(&self.conn().await?, after_seq, limit).await
    }

    async fn ledger_head(&self) -> Result<LedgerHead> {
        rows::ledger_head(&self.conn().await?).await
    }

    async fn schema(&self) -> Result<Vec<String>> {
        rows::schema(&self.conn().await?).await
    }
}
