//! `yiwang bench`: the benchmarks anyone can run, and what they share.
//!
//! Each scenario is a module with an `Options` (its clap arguments) and
//! `async fn run(bench: &Bench, options: &Options) -> anyhow::Result<()>`; listing it in
//! `scenarios!` below makes it a subcommand. Every scenario runs on a fresh store of its own
//! (`Bench::fresh_store`): a temporary SQLite directory, or with `--database` a new database
//! created on that PostgreSQL server and dropped afterwards. What it prints starts with
//! `Bench::header` (machine and command) so that a number never travels without them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use yiwang_domain::case::Rules;
use yiwang_store::Store;
use yiwang_store_sqlite::{Durability, SqliteStore};

/// Declares the scenarios: a doc line (the subcommand's help) and `Variant => module` each.
macro_rules! scenarios {
    ($($(#[$doc:meta])* $variant:ident => $module:ident,)*) => {
        $(mod $module;)*

        #[derive(clap::Subcommand)]
        pub enum Scenario {
            $($(#[$doc])* $variant($module::Options),)*
        }

        impl Scenario {
            pub async fn run(&self, bench: &Bench) -> anyhow::Result<()> {
                match self {
                    $(Scenario::$variant(options) => $module::run(bench, options).await,)*
                }
            }
        }
    };
}

scenarios! {
    /// Complete seven-step lifecycles per second through the engine, durable (and SpiffWorkflow beside it).
    Lifecycle => lifecycle,
    /// The same rows as the lifecycle, written with no logic: batched INSERTs (SQLite) or COPY (PostgreSQL).
    Limit => limit,
}

/// SpiffWorkflow, run beside `lifecycle`.
mod spiff;

pub mod city;
mod city_history;
mod city_map;
pub mod http;

/// `yiwang bench …`: the scenarios on a fresh store of their own, and the city-scale and HTTP
/// benchmarks, which run on the configured store (`--data`/`--database`, empty for `city`).
#[derive(clap::Subcommand)]
pub enum BenchCommand {
    #[command(flatten)]
    Store(Scenario),
    /// A year of a big city's requests bulk imported, then evaluation, case search and
    /// point → grid timed on it (use an empty --data directory or database).
    City(city::Options),
    /// Reports per second through the real API (`POST /api/reports`) on loopback, the server
    /// in this process on --listen, the load from wrk (or a built-in client).
    Http(http::Options),
}

/// The machine and the command line, printed before any number of any benchmark.
pub fn print_machine_and_command() {
    let m = Machine::this();
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    let plural = if workers == 1 { "" } else { "s" };
    println!(
        "machine: {} cores, {}, {:.1} GiB RAM; {workers} async worker{plural} (--workers)",
        m.cores, m.cpu, m.ram_gib
    );
    println!("command: {}", std::env::args().collect::<Vec<_>>().join(" "));
}

/// What every scenario gets: where to run and the deployment's rules.
pub struct Bench {
    /// A PostgreSQL server to run on (a fresh database is created there); `None`: SQLite.
    pub database: Option<String>,
    pub rules: Rules,
    /// Keep the store afterwards (and say where it is) instead of removing it.
    pub keep: bool,
}

impl Bench {
    /// The scenario, the machine, the command line and the store, printed before any number.
    pub fn header(&self, scenario: &str) {
        println!("yiwang bench {scenario} — yiwang {}", env!("CARGO_PKG_VERSION"));
        print_machine_and_command();
        println!(
            "store:   {}",
            if self.database.is_some() {
                "postgresql (a fresh database)"
            } else {
                "sqlite (a fresh temporary directory, synchronous=FULL)"
            }
        );
    }

    /// A new, empty store for one run.
    pub async fn fresh_store(&self) -> anyhow::Result<FreshStore> {
        match &self.database {
            None => {
                let dir = tempfile::Builder::new().prefix("yiwang-bench-").tempdir_in(std::env::current_dir()?)?;
                let path = dir.path().to_owned();
                let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path, Durability::Full)).await??;
                Ok(FreshStore { store: Arc::new(store), place: Place::Sqlite(dir), keep: self.keep })
            }
            Some(server) => {
                let name = format!("yiwang_bench_{}_{}", std::process::id(), chrono::Utc::now().timestamp_millis());
                let admin = postgres_admin(server).await?;
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await
                    .context("creating the benchmark's database")?;
                let url = with_database(server, &name)?;
                let store =
                    yiwang_store_postgres::PostgresStore::connect(&url).await.context("connecting to PostgreSQL")?;
                Ok(FreshStore {
                    store: Arc::new(store),
                    place: Place::Postgres { server: server.clone(), name, url },
                    keep: self.keep,
                })
            }
        }
    }
}

/// A store made for one run, removed when dropped unless kept.
pub struct FreshStore {
    pub store: Arc<dyn Store>,
    pub place: Place,
    keep: bool,
}

pub enum Place {
    Sqlite(tempfile::TempDir),
    Postgres { server: String, name: String, url: String },
}

impl FreshStore {
    /// Bytes the store takes: the SQLite file with its WAL after a checkpoint, or the total
    /// relation size (tables, indexes, TOAST) of every table in the PostgreSQL database.
    pub async fn bytes(&self) -> anyhow::Result<u64> {
        match &self.place {
            Place::Sqlite(dir) => {
                let db = dir.path().join("yiwang.db");
                let conn = rusqlite::Connection::open(&db)?;
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
                drop(conn);
                let mut total = 0;
                for suffix in ["", "-wal"] {
                    let path = PathBuf::from(format!("{}{suffix}", db.display()));
                    total += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                }
                Ok(total)
            }
            Place::Postgres { url, .. } => {
                let client = postgres_admin(url).await?;
                let row = client
                    .query_one(
                        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
                         JOIN pg_namespace n ON n.oid = c.relnamespace \
                         WHERE c.relkind = 'r' AND n.nspname = current_schema()",
                        &[],
                    )
                    .await?;
                Ok(row.get::<_, i64>(0) as u64)
            }
        }
    }

    /// Where the store is, to look at it with `yiwang --data …` or `--database …`.
    pub fn location(&self) -> String {
        match &self.place {
            Place::Sqlite(dir) => format!("--data {}", dir.path().display()),
            Place::Postgres { url, .. } => format!("--database {url}"),
        }
    }

    /// Removes the store, or when kept says where it is.
    pub async fn finish(self) -> anyhow::Result<()> {
        let location = self.location();
        let FreshStore { store, place, keep } = self;
        drop(store);
        match place {
            Place::Sqlite(dir) if keep => drop(dir.keep()),
            Place::Sqlite(dir) => dir.close()?,
            Place::Postgres { .. } if keep => {}
            Place::Postgres { server, name, .. } => {
                let admin = postgres_admin(&server).await?;
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
            }
        }
        if keep {
            println!("kept:    yiwang {location} …");
        }
        Ok(())
    }
}

/// A plain connection for administration and measurement, its driver on a task of its own.
pub async fn postgres_admin(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) =
        tokio_postgres::connect(url, tokio_postgres::NoTls).await.context("connecting to PostgreSQL")?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::warn!("PostgreSQL connection: {e}");
        }
    });
    Ok(client)
}

/// The URL with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let Some(rest) = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")) else {
        bail!("--database must be a postgres:// URL (got “{url}”)");
    };
    let (authority_path, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let authority = authority_path.split_once('/').map_or(authority_path, |(a, _)| a);
    Ok(format!("postgres://{authority}/{name}{}", query.map(|q| format!("?{q}")).unwrap_or_default()))
}

/// The machine a number was measured on.
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub ram_gib: f64,
}

impl Machine {
    pub fn this() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
        let ram_kib = proc_kib("/proc/meminfo", "MemTotal:").unwrap_or(0);
        Machine {
            cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            cpu,
            ram_gib: ram_kib as f64 / (1024.0 * 1024.0),
        }
    }
}

/// Peak resident memory of this process so far (VmHWM), in bytes.
pub fn peak_rss() -> Option<u64> {
    proc_kib("/proc/self/status", "VmHWM:").map(|k| k * 1024)
}

/// CPU time this process has used so far (user + system), in seconds. On a shared machine the
/// work per CPU-second is steadier than the work per wall-second.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15, in USER_HZ (100 per second on Linux).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn proc_kib(file: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// Percentile of sorted samples (`q` in 0..=1).
pub fn percentile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    Some(sorted[i])
}

/// CPU time this thread has run (Linux), so that a rate per core holds on a shared machine.
pub fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(stat.split_whitespace().next()?.parse().ok()?))
}

/// Timings of repeated operations.
#[derive(Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn first(&self) -> Duration {
        self.0.first().copied().unwrap_or_default()
    }

    /// The `q` quantile (nearest rank), 0 ≤ q ≤ 1.
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}
