//! `yiwang bench lifecycle`: complete seven-step lifecycles per second through the real engine.
//!
//! Each case lives the whole closed loop, one engine call per step, on the demo district:
//! a resident reports (上报) → the operator files (立案) → the dispatcher dispatches to the unit
//! the responsibility list names (派遣) → its handler accepts and reports back (处置, 反馈) → the
//! grid member verifies (核查) → the shift chief closes (结案) → the resident evaluates (评价).
//! Eight events per case, each committed durably with its hash chain, ledger entry and
//! evaluation counters, exactly as a deployment does. `--concurrency` cases are in flight at
//! once, as a city's many users are. Afterwards the audit chain and the counters are verified
//! against the event log, so a fast number is never a wrong one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::SeedableRng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use yiwang_domain::case::{Action, Actor, Channel, Command, Satisfaction};
use yiwang_domain::codes::Level;
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::{Engine, NewReport};

use super::{Bench, cpu_seconds, peak_rss, percentile};
use crate::demo::district;

/// Events one lifecycle writes: the report and seven steps.
pub const EVENTS_PER_LIFECYCLE: u64 = 8;

#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// Lifecycles to complete.
    #[arg(long, default_value_t = 20_000)]
    pub cases: usize,
    /// Cases in flight at once.
    #[arg(long, default_value_t = 512)]
    pub concurrency: usize,
    /// Also run the same process in SpiffWorkflow (BPMN, from PyPI, in a venv) and print the ratio.
    #[arg(long)]
    pub spiff: bool,
    /// Lifecycles for SpiffWorkflow (default: as many as ours).
    #[arg(long)]
    pub spiff_cases: Option<usize>,
}

/// What a run measured.
pub struct Measured {
    pub lifecycles: usize,
    pub events: u64,
    pub elapsed: Duration,
    /// Every step's latency (the report included), sorted.
    pub steps: Vec<Duration>,
    /// CPU time the process used meanwhile (every thread, the database's included for SQLite).
    pub cpu_seconds: Option<f64>,
}

impl Measured {
    pub fn per_second(&self) -> f64 {
        self.lifecycles as f64 / self.elapsed.as_secs_f64()
    }
}

pub async fn run(bench: &Bench, options: &Options) -> anyhow::Result<()> {
    if options.cases == 0 || options.concurrency == 0 {
        bail!("--cases and --concurrency must be at least 1");
    }
    bench.header("lifecycle");
    let fresh = bench.fresh_store().await?;
    let engine = Arc::new(Engine::start(fresh.store.clone(), bench.rules.clone()).await?);
    let cast = Arc::new(Cast::load(&engine).await?);
    println!(
        "run:     {} lifecycles (8 events each), {} in flight, {} unit grids",
        options.cases,
        options.concurrency,
        cast.grids.len()
    );

    let m = lifecycles(&engine, &cast, options.cases, options.concurrency).await?;
    let head = engine.store().ledger_head().await?;
    if head.seq as u64 != m.events {
        bail!("the ledger holds {} events, the run made {}", head.seq, m.events);
    }
    print_measured("yiwang", &m);

    // The run counts only if what it wrote is whole: every chain, the ledger, the counters.
    let audit = yiwang_store::audit::verify(engine.store().as_ref(), &|_| {}).await?;
    match audit {
        Ok(r) => println!("audit:   chain intact ({} cases, {} events)", r.cases, r.events),
        Err(t) => bail!("the audit chain is broken after the run: {t}"),
    }
    match engine.verify_evaluation(&|_| {}).await? {
        Ok(v) => println!("counters: match the event log ({} counter rows)", v.rows),
        Err(d) => bail!("the evaluation counters differ from the event log: {d}"),
    }
    let bytes = fresh.bytes().await?;
    println!(
        "disk:    {:.1} MiB, {} bytes per case ({})",
        bytes as f64 / (1 << 20) as f64,
        bytes / options.cases as u64,
        if bench.database.is_some() { "pg_total_relation_size of every table" } else { "database + WAL after checkpoint" }
    );
    if let Some(rss) = peak_rss() {
        println!("memory:  peak RSS {:.0} MiB", rss as f64 / (1 << 20) as f64);
    }
    drop(engine);
    fresh.finish().await?;

    if options.spiff {
        let n = options.spiff_cases.unwrap_or(options.cases);
        let spiff = super::spiff::run(n).await.context("running SpiffWorkflow")?;
        println!(
            "spiff:   SpiffWorkflow {} ({} processes): {} lifecycles in {:.2} s = {:.1} lifecycles/s; step latency p50 {:.2} ms, p99 {:.2} ms",
            spiff.version,
            spiff.workers,
            spiff.lifecycles,
            spiff.seconds,
            spiff.per_second(),
            spiff.p50_step_ms,
            spiff.p99_step_ms
        );
        println!(
            "spiff:   {:.2} CPU-seconds = {:.1} lifecycles per CPU-second",
            spiff.cpu_seconds,
            spiff.lifecycles as f64 / spiff.cpu_seconds
        );
        println!("ratio:   yiwang / SpiffWorkflow = {:.0}× (wall time)", m.per_second() / spiff.per_second());
        if let Some(cpu) = m.cpu_seconds {
            println!(
                "ratio:   yiwang / SpiffWorkflow = {:.0}× (per CPU-second)",
                (m.lifecycles as f64 / cpu) / (spiff.lifecycles as f64 / spiff.cpu_seconds)
            );
        }
    }
    Ok(())
}

pub fn print_measured(who: &str, m: &Measured) {
    let ms = |d: Option<Duration>| d.map(|d| format!("{:.2} ms", d.as_secs_f64() * 1e3)).unwrap_or_default();
    println!(
        "{who}:  {} lifecycles in {:.2} s = {:.0} lifecycles/s, {:.0} events/s; step latency p50 {}, p99 {}",
        m.lifecycles,
        m.elapsed.as_secs_f64(),
        m.per_second(),
        m.events as f64 / m.elapsed.as_secs_f64(),
        ms(percentile(&m.steps, 0.5)),
        ms(percentile(&m.steps, 0.99)),
    );
    if let Some(cpu) = m.cpu_seconds {
        println!(
            "{who}:  {cpu:.2} CPU-seconds = {:.0} lifecycles per CPU-second (the machine is shared: this is the steadier number)",
            m.lifecycles as f64 / cpu
        );
    }
}

/// Who takes part, looked up once.
pub struct Cast {
    /// (south-west, north-east, grid member) of every unit grid.
    grids: Vec<(Point, Point, Actor)>,
    subclasses: Vec<SubclassId>,
    residents: Vec<String>,
    operator: Actor,
    dispatcher: Actor,
    chief: Actor,
}

impl Cast {
    /// Loads the demo district into the engine's fresh store and picks the cast from it.
    pub async fn load(engine: &Engine) -> anyhow::Result<Cast> {
        let district = district::build(&mut ChaCha8Rng::seed_from_u64(2026));
        engine.import_reference(district.reference.clone()).await.context("loading the demo district")?;
        let loaded = engine.loaded();
        let actor = |id: &str| loaded.staff(id).map(|s| s.actor()).with_context(|| format!("staff {id}"));
        let grids = district
            .reference
            .grids
            .iter()
            .filter(|g| g.code.level() == Level::Grid)
            .map(|g| {
                let (sw, ne) = g.polygon.bbox();
                Ok((sw, ne, actor(&g.members[0])?))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Cast {
            grids,
            subclasses: engine.rules().taxonomy.subclasses.iter().map(|s| s.id).collect(),
            residents: district.residents,
            operator: actor("op-1")?,
            dispatcher: actor("disp-1")?,
            chief: actor("chief-1")?,
        })
    }
}

/// Lives `cases` lifecycles, `concurrency` at a time, and measures them.
pub async fn lifecycles(
    engine: &Arc<Engine>,
    cast: &Arc<Cast>,
    cases: usize,
    concurrency: usize,
) -> anyhow::Result<Measured> {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu = cpu_seconds();
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(cases) {
        let (engine, cast, next) = (engine.clone(), cast.clone(), next.clone());
        workers.spawn(async move {
            let mut steps = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= cases {
                    return Ok::<_, anyhow::Error>(steps);
                }
                lifecycle(&engine, &cast, i, &mut steps).await.with_context(|| format!("lifecycle {i}"))?;
            }
        });
    }
    let mut steps = Vec::with_capacity(cases * EVENTS_PER_LIFECYCLE as usize);
    while let Some(done) = workers.join_next().await {
        steps.extend(done??);
    }
    let elapsed = started.elapsed();
    let cpu_seconds = cpu.zip(cpu_seconds()).map(|(before, after)| after - before);
    steps.sort_unstable();
    Ok(Measured { lifecycles: cases, events: cases as u64 * EVENTS_PER_LIFECYCLE, elapsed, steps, cpu_seconds })
}

/// One case, report to evaluation. Its steps are minutes apart on a working morning.
async fn lifecycle(engine: &Engine, cast: &Cast, i: usize, steps: &mut Vec<Duration>) -> anyhow::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(i as u64);
    let (sw, ne, member) = cast.grids.choose(&mut rng).expect("grids");
    let resident = Actor::resident(cast.residents.choose(&mut rng).expect("residents"));
    // Wednesday 18 November 2026, 09:00 China Standard Time, a tenth of a second apart.
    let start = Timestamp(1_794_963_600_000 + i as i64 * 100);
    let at = |minutes: i64| start.plus_ms(minutes * MINUTE_MS);
    let report = NewReport {
        subclass: *cast.subclasses.choose(&mut rng).expect("subclasses"),
        request_type: RequestType::Complaint,
        urgency: None,
        location: Point { lon: (sw.lon + ne.lon) / 2.0, lat: (sw.lat + ne.lat) / 2.0 },
        address: "东城区".into(),
        description: "道路破损，影响居民出行".into(),
        channel: Channel::Portal,
        photos: vec![],
    };
    let t = Instant::now();
    let case = engine.report(report, &resident, at(0)).await?;
    steps.push(t.elapsed());
    let lead = engine.suggest_units(&case)?;
    let handler = engine
        .loaded()
        .staff(&format!("h-{}-1", lead.lead))
        .map(|s| s.actor())
        .with_context(|| format!("a handler of unit {}", lead.lead))?;
    let plan = [
        (cast.operator.clone(), Action::File { subclass: None, urgency: None }, "信息属实，予以立案"),
        (cast.dispatcher.clone(), Action::Dispatch { lead: lead.lead, assisting: lead.assisting }, ""),
        (handler.clone(), Action::Accept, ""),
        (handler, Action::ReportBack, "已处置完毕"),
        (member.clone(), Action::Verify { passed: true }, "现场核查已解决"),
        (cast.chief.clone(), Action::Close { fixed: true }, "核查通过，予以结案"),
        (resident, Action::Evaluate { satisfaction: Satisfaction::Satisfied, fixed: true, responded: Some(true) }, ""),
    ];
    for (minutes, (actor, action, note)) in (5..).step_by(5).zip(plan) {
        let cmd = Command { actor, at: at(minutes), action, note: note.into(), attachments: vec![] };
        let t = Instant::now();
        engine.act(case.id, cmd).await?;
        steps.push(t.elapsed());
    }
    Ok(())
}
