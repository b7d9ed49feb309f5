//! `yiwang`: one binary for the whole platform.
//!
//! - `yiwang serve`          serve the deployment in the data directory (or database URL)
//! - `yiwang demo`           build the demo district with 90 days of history, then serve it
//! - `yiwang migrate`        bring the database schema up to date and stop
//! - `yiwang account add-staff`  create a staff account (the first administrators) on the server
//! - `yiwang audit verify`   check the whole tamper-evident record
//! - `yiwang bench …`       the benchmarks (see BENCHMARKS.md)
//! - `yiwang evaluation rebuild|verify`  recompute evaluation (考核) from the event log and store
//!   it, or compare it with what was kept

mod accounts;
mod bench;
mod demo;
mod supervision;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::Rules;
use yiwang_domain::taxonomy::Taxonomy;
use yiwang_engine::Engine;
use yiwang_server::api::demo::{Demo, DemoOutbox, DemoSignIn};
use yiwang_store::Store;
use yiwang_store_sqlite::{Durability, SqliteStore};

#[derive(Parser)]
#[command(name = "yiwang", version, about = "一网: grid-based grassroots governance (网格化基层治理平台)")]
struct Cli {
    /// Data directory for the embedded database and files.
    #[arg(long, global = true, env = "YIWANG_DATA", default_value = "./yiwang-data")]
    data: PathBuf,
    /// A `postgres://` URL to use PostgreSQL instead of the embedded SQLite database.
    #[arg(long, global = true, env = "YIWANG_DATABASE")]
    database: Option<String>,
    /// Address to listen on.
    #[arg(long, global = true, env = "YIWANG_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The deployment's taxonomy file (default: the shipped TAXONOMY.md default).
    #[arg(long, global = true, env = "YIWANG_TAXONOMY")]
    taxonomy: Option<PathBuf>,
    /// The deployment's working-time calendar (default: China, with 2025–2026 holidays).
    #[arg(long, global = true, env = "YIWANG_CALENDAR")]
    calendar: Option<PathBuf>,
    /// The deployment's evaluation policy, TOML (limits, weights, grade bands, minimum volume;
    /// see docs/evaluation.md). After changing it, run `yiwang evaluation rebuild`.
    #[arg(long, global = true, env = "YIWANG_EVALUATION")]
    evaluation: Option<PathBuf>,
    /// Share of a case's handling time after which it is flagged for warning (预警).
    #[arg(long, global = true, env = "YIWANG_WARN_SHARE", default_value_t = 0.8, value_parser = parse_share)]
    warn_share: f64,
    /// Threads that run requests and the engine (default: the machine's cores less one, at least
    /// one; the store's writer thread and, on one machine, the database server need the last).
    #[arg(long, global = true, env = "YIWANG_WORKERS", value_parser = clap::value_parser!(u16).range(1..))]
    workers: Option<u16>,
    #[command(flatten)]
    auth: accounts::AuthOptions,
    #[command(flatten)]
    supervision: supervision::SupervisionOptions,
    #[command(subcommand)]
    command: Command,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v < 1.0 => Ok(v),
        _ => Err(format!("“{s}” must be a number between 0 and 1, e.g. 0.8")),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the deployment.
    Serve,
    /// Build the demo district (北京市东城区) with simulated history, then serve it.
    Demo(demo::Options),
    /// Bring the database schema up to date and stop.
    Migrate,
    /// Accounts made on the server itself (the first administrators).
    Account {
        #[command(subcommand)]
        command: accounts::AccountCommand,
    },
    /// The tamper-evident record.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Evaluation (考核): the counters kept with every change.
    Evaluation {
        #[command(subcommand)]
        command: EvaluationCommand,
    },
    /// Benchmarks, each on a fresh store of its own (see BENCHMARKS.md).
    Bench {
        /// Keep the benchmark's store afterwards and say where it is.
        #[arg(long, global = true)]
        keep: bool,
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum EvaluationCommand {
    /// Recompute every case's facts and the counters from the event log, and store them.
    Rebuild,
    /// Recompute from the event log and compare with the stored counters; name the first difference.
    Verify,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every case's hash chain and the ledger; name the first event that was changed.
    Verify,
}

/// mimalloc instead of glibc's malloc: with many threads allocating and freeing small values (a
/// case, its JSON, its events), glibc's malloc and free took a sixth of a lifecycle's instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One core is left to the store's writer, the one thread every change passes through: with
/// every core running requests, the writer waited for a core of its own, and on 2 cores
/// lifecycles ran 1.19× faster with one worker than with two (BENCHMARKS.md, sixth session of
/// 7 December).
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tokio_postgres=warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never into log files and pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.workers.map_or_else(default_workers, usize::from))
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("yiwang: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Migrate => {
            let store = open_store(&cli).await?;
            println!("schema up to date ({}, {} cases)", store.backend(), store.count_cases().await?);
        }
        Command::Serve => {
            let engine = Arc::new(engine(&cli).await?);
            serve(&cli, engine, None).await?;
        }
        Command::Demo(options) => {
            let engine = Arc::new(engine(&cli).await?);
            let help = demo::build(&engine, options, &cli.supervision.policy()?).await?;
            if !options.no_serve {
                serve(&cli, engine, Some(help)).await?;
            }
        }
        Command::Account { command } => {
            let engine = Arc::new(engine(&cli).await?);
            accounts::run(&engine, command).await?;
        }
        Command::Audit { command: AuditCommand::Verify } => return verify(&cli).await,
        Command::Evaluation { command } => return evaluation(&cli, command).await,
        Command::Bench { keep, command } => match command {
            bench::BenchCommand::Store(scenario) => {
                let bench = bench::Bench { database: cli.database.clone(), rules: rules(&cli)?, keep: *keep };
                scenario.run(&bench).await?;
            }
            bench::BenchCommand::City(options) => {
                bench::print_machine_and_command();
                let engine = Arc::new(engine(&cli).await?);
                bench::city::run(engine, options, cli.supervision.policy()?).await?;
            }
            bench::BenchCommand::Http(options) => {
                bench::print_machine_and_command();
                let engine = Arc::new(engine(&cli).await?);
                let listener =
                    yiwang_server::bind(cli.listen).await.with_context(|| format!("listening on {}", cli.listen))?;
                let (app, beside) = app(&cli, engine.clone(), None)?;
                bench::http::run(engine, app, listener, options).await?;
                beside.stop().await;
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// SQLite in the data directory, or PostgreSQL when a `postgres://` URL is given.
async fn open_store(cli: &Cli) -> anyhow::Result<Arc<dyn Store>> {
    match cli.database.as_deref() {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            let store = yiwang_store_postgres::PostgresStore::connect(url).await.context("connecting to PostgreSQL")?;
            Ok(Arc::new(store))
        }
        Some(other) => bail!(
            "--database must be a postgres:// URL (got “{other}”); without it the embedded SQLite database in --data is used"
        ),
        None => {
            let dir = cli.data.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&dir, Durability::Full)).await??;
            Ok(Arc::new(store))
        }
    }
}

/// The engine over the configured store, with the deployment's rules and evaluation policy.
async fn engine(cli: &Cli) -> anyhow::Result<Engine> {
    let policy = match &cli.evaluation {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            toml::from_str::<yiwang_domain::evaluation::Policy>(&text).with_context(|| format!("{}", p.display()))?
        }
        None => yiwang_domain::evaluation::Policy::default(),
    };
    Ok(Engine::start(open_store(cli).await?, rules(cli)?).await?.with_policy(policy))
}

fn rules(cli: &Cli) -> anyhow::Result<Rules> {
    let read = |p: &PathBuf| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    let taxonomy = match &cli.taxonomy {
        Some(p) => Taxonomy::from_toml(&read(p)?).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => Taxonomy::china_default(),
    };
    let calendar = match &cli.calendar {
        Some(p) => Calendar::from_toml(&read(p)?).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => Calendar::china_default(),
    };
    let year = chrono::Datelike::year(&chrono::Utc::now());
    if !calendar.covers_year(year) {
        tracing::warn!(
            year,
            "the calendar has no public holidays for this year: only weekends are off; give --calendar"
        );
    }
    Ok(Rules { taxonomy, calendar, warn_share: cli.warn_share })
}

async fn serve(cli: &Cli, engine: Arc<Engine>, demo: Option<DemoSignIn>) -> anyhow::Result<()> {
    let listener = yiwang_server::bind(cli.listen).await.with_context(|| format!("listening on {}", cli.listen))?;
    let addr = listener.local_addr()?;
    println!("yiwang is serving at http://{addr}/  (stop with Ctrl-C)");
    let (app, beside) = app(cli, engine, demo)?;
    yiwang_server::serve(app, listener).await?;
    beside.stop().await;
    Ok(())
}

/// The tasks that run beside the server and stop with it: webhook deliveries, the deadline
/// scheduler and notifications.
struct Beside {
    webhooks: yiwang_server::webhooks::Worker,
    supervision: Vec<yiwang_engine::Background>,
}

impl Beside {
    async fn stop(self) {
        self.webhooks.stop().await;
        for task in self.supervision {
            task.stop().await;
        }
    }
}

/// The server's application with the configured sign-in and limits, and the tasks beside it.
fn app(cli: &Cli, engine: Arc<Engine>, demo: Option<DemoSignIn>) -> anyhow::Result<(yiwang_server::App, Beside)> {
    let policy = cli.supervision.policy()?;
    let webhooks = yiwang_server::webhooks::start(engine.clone(), Default::default());
    let supervision = supervision::start(&engine, policy);
    let mut auth = yiwang_server::auth::AccountAuthenticator::new(engine.clone(), cli.auth.config());
    // The demo shows the codes it would have sent (GET /api/demo/codes): no visitor gets the SMS.
    let outbox = demo.is_some().then(|| Arc::new(DemoOutbox::default()));
    if let Some(outbox) = &outbox {
        auth = auth.with_code_sender(outbox.clone());
    }
    let demo = demo.zip(outbox).map(|(sign_in, outbox)| Demo { sign_in, outbox });
    let app = yiwang_server::App { engine, auth: Arc::new(auth), limits: cli.auth.limits(), demo };
    Ok((app, Beside { webhooks, supervision }))
}

async fn verify(cli: &Cli) -> anyhow::Result<ExitCode> {
    let store = open_store(cli).await?;
    let total = store.ledger_head().await?.seq.max(0) as u64;
    let bar = ProgressBar::new(total)
        .with_style(ProgressStyle::with_template("verifying {bar:40} {pos}/{len} events").expect("template"));
    let outcome = yiwang_store::audit::verify(store.as_ref(), &|n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    match outcome {
        Ok(report) => {
            println!("audit chain intact: {} cases, {} events (SM3, {})", report.cases, report.events, store.backend());
            Ok(ExitCode::SUCCESS)
        }
        Err(tamper) => {
            println!("AUDIT FAILED: {tamper}");
            println!("审计失败：{}", tamper.message_zh());
            Ok(ExitCode::from(2))
        }
    }
}

async fn evaluation(cli: &Cli, command: &EvaluationCommand) -> anyhow::Result<ExitCode> {
    let engine = engine(cli).await?;
    let total = engine.store().ledger_head().await?.seq.max(0) as u64;
    let bar = ProgressBar::new(total)
        .with_style(ProgressStyle::with_template("reading {bar:40} {pos}/{len} events").expect("template"));
    match command {
        EvaluationCommand::Rebuild => {
            let done = engine.rebuild_evaluation(&|n| bar.set_position(n)).await?;
            bar.finish_and_clear();
            println!(
                "evaluation rebuilt: {} cases, {} events, {} counter rows ({})",
                done.cases,
                done.events,
                done.rows,
                engine.store().backend()
            );
            println!("考核数据已重算：{} 件案卷，{} 条事件，{} 行计数", done.cases, done.events, done.rows);
            Ok(ExitCode::SUCCESS)
        }
        EvaluationCommand::Verify => {
            let outcome = engine.verify_evaluation(&|n| bar.set_position(n)).await?;
            bar.finish_and_clear();
            match outcome {
                Ok(v) => {
                    println!(
                        "evaluation matches the event log: {} cases, {} events, {} counter rows",
                        v.cases, v.events, v.rows
                    );
                    println!("考核数据与事件记录一致：{} 件案卷，{} 条事件，{} 行计数", v.cases, v.events, v.rows);
                    Ok(ExitCode::SUCCESS)
                }
                Err(d) => {
                    println!("EVALUATION DIFFERS: {d}");
                    println!("考核数据不一致：{}", d.message_zh());
                    println!("(yiwang evaluation rebuild recomputes it / 可用 yiwang evaluation rebuild 重算)");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
