//! `yiwang bench city`: a year of a big city's requests, bulk imported, then the questions a
//! city asks of it — evaluation of a node for a month, case search with filters, point → grid —
//! timed on the store that holds them. Peak memory and bytes per stored case at the end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use yiwang_domain::case::State;
use yiwang_domain::codes::{AreaCode, Level};
use yiwang_domain::evaluation::{Dim, Indicators};
use yiwang_domain::geo::Point;
use yiwang_domain::time::Timestamp;
use yiwang_engine::Engine;
use yiwang_engine::import::ImportBatch;
use yiwang_engine::scheduler::Policy;
use yiwang_store::CaseFilter;

use super::{Latencies, city_history, city_map, peak_rss, thread_cpu_time};

#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// Unit grids of the city (Shanghai: 40,625).
    #[arg(long, default_value_t = city_map::SHANGHAI_GRIDS)]
    pub grids: usize,
    /// Requests over the period (Beijing: about 24 million a year).
    #[arg(long, default_value_t = 10_000_000)]
    pub cases: u64,
    /// Days of history.
    #[arg(long, default_value_t = 365)]
    pub days: i64,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// End of the history, as RFC 3339 (default: now).
    #[arg(long)]
    pub until: Option<String>,
    /// Cases per import transaction.
    #[arg(long, default_value_t = 5_000)]
    pub batch: usize,
    /// Threads that live the cases (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Case searches to time.
    #[arg(long, default_value_t = 1_000)]
    pub searches: usize,
    /// Point → grid lookups to time.
    #[arg(long, default_value_t = 4_000_000)]
    pub lookups: usize,
    /// Ask the questions only, of the store an earlier run filled: after a change of code or
    /// schema, without another import. Give it the same --grids, --seed and --until.
    #[arg(long)]
    pub questions_only: bool,
}

/// What a run measured, for the caller (and the CI test) to check.
#[derive(Debug)]
pub struct Outcome {
    pub cases: u64,
    pub events: u64,
}

pub async fn run(engine: Arc<Engine>, options: &Options, policy: Policy) -> anyhow::Result<Outcome> {
    let held = engine.store().count_cases().await?;
    if options.questions_only && held == 0 {
        bail!("the store holds no cases: fill it first with a run without --questions-only");
    }
    if !options.questions_only && held > 0 {
        bail!("the store already holds cases: give the benchmark an empty --data directory or database");
    }
    let now = match &options.until {
        Some(s) => Timestamp::from_datetime(
            &chrono::DateTime::parse_from_rfc3339(s)
                .context("--until must be RFC 3339, e.g. 2026-11-21T12:00:00+08:00")?,
        ),
        None => Timestamp::now(),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let started = Instant::now();
    let map = city_map::build(options.grids, options.seed, &engine.rules().taxonomy, &mut rng);
    if !options.questions_only {
        engine.import_reference(map.reference.clone()).await.context("loading the city")?;
    }
    let count = |level| map.reference.areas.iter().filter(|a| a.code.level() == level).count();
    println!(
        "city: {} districts, {} streets, {} communities, {} unit grids, {} units, {} staff ({} in {:.1} s)",
        count(Level::County),
        count(Level::Street),
        count(Level::Community),
        map.grids.len(),
        map.reference.units.len(),
        map.reference.staff.len(),
        if options.questions_only { "built" } else { "built and stored" },
        started.elapsed().as_secs_f64()
    );

    let outcome = if options.questions_only {
        Outcome { cases: held as u64, events: engine.store().ledger_head().await?.seq as u64 }
    } else {
        import(&engine, &map, options, policy, now, &mut rng).await?
    };
    // The questions draw from a stream of their own: the same searches whether or not this run
    // imported.
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed.wrapping_add(1));
    evaluation(&engine, &map, now).await?;
    search(&engine, &map, options, now, &mut rng).await?;
    lookups(&engine, &map, options.lookups, &mut rng)?;
    let bytes = engine.store().storage_bytes().await?;
    println!(
        "storage ({}): {:.2} GB, {:.0} bytes per case, {:.0} bytes per event",
        engine.store().backend(),
        bytes as f64 / 1e9,
        bytes as f64 / outcome.cases.max(1) as f64,
        bytes as f64 / outcome.events.max(1) as f64
    );
    if let Some(peak) = peak_rss() {
        println!("peak memory of this process: {:.0} MB", peak as f64 / 1e6);
    }
    Ok(outcome)
}

/// Lives every case on `threads` threads, in batches, and imports the batches in order.
async fn import(
    engine: &Arc<Engine>,
    map: &city_map::CityMap,
    options: &Options,
    policy: Policy,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<Outcome> {
    let times = Arc::new(city_history::report_times(rng, engine, now, options.days, options.cases));
    let cast = Arc::new(city_history::Cast::new(map, engine, policy, rng));
    let first_id =
        engine.store().allocate_case_ids(u32::try_from(times.len()).context("--cases is too large")?).await?;
    let threads = options.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())).max(1);
    let batch = options.batch.max(1);
    let batches = times.len().div_ceil(batch);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(usize, ImportBatch)>(threads * 2);
    let mut workers = Vec::new();
    for t in 0..threads {
        let (engine, cast, times, tx, seed) = (engine.clone(), cast.clone(), times.clone(), tx.clone(), options.seed);
        workers.push(std::thread::spawn(move || {
            for b in (t..batches).step_by(threads) {
                let mut out = ImportBatch::default();
                for index in b * batch..((b + 1) * batch).min(times.len()) {
                    let id = first_id + index as i64;
                    let draft = city_history::live(&engine, &cast, seed, index as u64, id, times[index], now);
                    out.add(&engine, draft);
                }
                if tx.blocking_send((b, out)).is_err() {
                    return;
                }
            }
        }));
    }
    drop(tx);
    let bar = ProgressBar::new(times.len() as u64)
        .with_style(ProgressStyle::with_template("importing {bar:40} {pos}/{len} cases, {elapsed}").expect("template"));
    let started = Instant::now();
    let (mut cases, mut events, mut next) = (0u64, 0u64, 0usize);
    let mut waiting = BTreeMap::new();
    while let Some((b, ready)) = rx.recv().await {
        waiting.insert(b, ready);
        // Batches go into the ledger in report order, whichever thread finished first.
        while let Some(ready) = waiting.remove(&next) {
            cases += ready.cases() as u64;
            events += ready.events() as u64;
            engine.import(ready).await.context("importing a batch")?;
            bar.set_position(cases);
            next += 1;
        }
    }
    for w in workers {
        w.join().map_err(|_| anyhow::anyhow!("a generator thread panicked"))?;
    }
    bar.finish_and_clear();
    if cases != times.len() as u64 {
        bail!("only {cases} of {} cases were imported", times.len());
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "bulk import ({}, {threads} generator threads, {batch} cases per transaction): {cases} cases, {events} events \
         in {secs:.1} s = {:.0} cases/s, {:.0} events/s",
        engine.store().backend(),
        cases as f64 / secs,
        events as f64 / secs
    );
    // As after any bulk load: the planner's statistics (PostgreSQL's ANALYZE), outside the import's time.
    let analysing = Instant::now();
    engine.store().refresh_statistics().await.context("refreshing the planner's statistics")?;
    println!("planner statistics refreshed in {:.1} s", analysing.elapsed().as_secs_f64());
    Ok(Outcome { cases, events })
}

/// Indicators of a street, its district and the city for the last whole month.
async fn evaluation(engine: &Engine, map: &city_map::CityMap, now: Timestamp) -> anyhow::Result<()> {
    let calendar = &engine.rules().calendar;
    let today = now.at_offset(calendar.offset()).date_naive();
    let this_month =
        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), chrono::Datelike::month(&today), 1)
            .expect("first of the month");
    let last = this_month.pred_opt().expect("a day before");
    let first = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&last), chrono::Datelike::month(&last), 1)
        .expect("first of the month");
    let day = |d: chrono::NaiveDate| d.format("%Y%m%d").to_string().parse::<u32>().expect("yyyymmdd");
    let (from, to) = (day(first), day(last));
    let street = map.grids[0].0.at_level(Level::Street).expect("a street");
    let district = street.at_level(Level::County).expect("a district");
    let city = AreaCode::parse("city", city_map::CITY).expect("city");
    for (what, node) in [("street", &street), ("district", &district), ("city", &city)] {
        let mut times = Latencies::default();
        let mut reported = 0;
        for _ in 0..21 {
            let t = Instant::now();
            let (c, buckets) = engine.store().counters(Dim::Area, node.as_str(), from, to).await?;
            let i = Indicators::from_counters(&c, &buckets, engine.policy());
            times.push(t.elapsed());
            reported = c.reported;
            std::hint::black_box(i);
        }
        println!(
            "evaluation indicators, {what} {node}, {from}–{to} ({reported} cases reported): first {}, p50 {}, max {} (target < 200 ms)",
            ms(times.first()),
            ms(times.quantile(0.5)),
            ms(times.quantile(1.0))
        );
    }
    Ok(())
}

/// Case search as a supervisor pages it: an area, open states, maybe a subclass, overdue. Then the
/// plain list that a level's supervisor opens first: every case under the node, newest first.
async fn search(
    engine: &Engine,
    map: &city_map::CityMap,
    options: &Options,
    now: Timestamp,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<()> {
    let subclasses: Vec<_> = engine.rules().taxonomy.subclasses.iter().map(|s| s.id).collect();
    let states: &[&[State]] = &[
        &[State::Dispatched, State::Handling],
        &[State::Reported, State::Filed],
        &[State::ReportedBack, State::Verified],
        &[State::ClosedFixed],
    ];
    let grid = |rng: &mut ChaCha8Rng| map.grids[rng.random_range(0..map.grids.len())].0.clone();
    let mut filtered = Vec::new();
    for _ in 0..options.searches {
        let level = *[Level::Street, Level::Street, Level::County, Level::Community].choose(rng).expect("levels");
        filtered.push(CaseFilter {
            area: grid(rng).at_level(level),
            states: states.choose(rng).expect("states").to_vec(),
            subclass: rng.random_bool(0.5).then(|| *subclasses.choose(rng).expect("subclasses")),
            overdue: rng.random_bool(0.5).then_some(true),
            reported_from: rng.random_bool(0.3).then(|| now.plus_ms(-30 * 24 * 3_600_000)),
            limit: 20,
            ..Default::default()
        });
    }
    pages(engine, "case search", "area + states + subclass + overdue", filtered).await?;
    let plain = (0..options.searches / 4)
        .map(|_| {
            let level = *[Level::City, Level::County, Level::Street, Level::Community].choose(rng).expect("levels");
            CaseFilter { area: grid(rng).at_level(level), limit: 20, ..Default::default() }
        })
        .collect();
    pages(engine, "case list", "city, district, street or community, every state", plain).await
}

/// Times the first page and the next one of each search; names the slowest pages.
async fn pages(engine: &Engine, what: &str, filters: &str, searches: Vec<CaseFilter>) -> anyhow::Result<()> {
    let mut times = Latencies::default();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    let mut found = 0usize;
    for mut filter in searches {
        for page in 1..=2 {
            let t = Instant::now();
            let cases = engine.store().find_cases(&filter).await?;
            let took = t.elapsed();
            times.push(took);
            slowest.push((took, format!("{}, page {page}, {} found", described(&filter), cases.len())));
            slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
            slowest.truncate(SLOWEST);
            found += cases.len();
            match cases.last() {
                Some(last) if cases.len() == 20 => filter.before_id = Some(last.id),
                _ => break,
            }
        }
    }
    println!(
        "{what} ({filters}, 20 a page, {} pages, {found} cases found): p50 {}, p99 {}, max {} (target p99 < 50 ms)",
        times.len(),
        ms(times.quantile(0.5)),
        ms(times.quantile(0.99)),
        ms(times.quantile(1.0))
    );
    for (took, page) in slowest {
        println!("  slowest: {} {page}", ms(took));
    }
    Ok(())
}

/// How many of its slowest pages a search run names.
const SLOWEST: usize = 5;

/// A filter's terms, short.
fn described(f: &CaseFilter) -> String {
    let mut terms = vec![f.area.as_ref().map_or("everywhere".to_owned(), |a| a.to_string())];
    if !f.states.is_empty() {
        terms.push(f.states.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("+"));
    }
    terms.extend(f.subclass.map(|s| s.to_string()));
    terms.extend(f.overdue.map(|o| if o { "overdue" } else { "on time" }.to_owned()));
    terms.extend(f.reported_from.map(|_| "with a report window".to_owned()));
    terms.join(", ")
}

/// Point → unit grid through the engine's `GridIndex`, on one thread.
fn lookups(engine: &Engine, map: &city_map::CityMap, n: usize, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
    let loaded = engine.loaded();
    let index = &loaded.grids;
    let (sw, ne) = map.bounds;
    // Points inside the city (the lattice's ragged southern edge has no grids).
    let mut points = Vec::with_capacity(n);
    while points.len() < n {
        let p = Point::new(rng.random_range(sw.lon..ne.lon), rng.random_range(sw.lat..ne.lat));
        if index.locate_ref(p).is_ok() {
            points.push(p);
        }
    }
    let (started, cpu) = (Instant::now(), thread_cpu_time());
    let mut hits = 0usize;
    for p in &points {
        hits += index.locate_ref(*p).map(|c| c.as_str().len()).unwrap_or(0);
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_time().zip(cpu).map(|(b, a)| (b - a).as_secs_f64());
    std::hint::black_box(hits);
    println!(
        "point → grid through GridIndex ({} grids, one thread): {n} lookups in {secs:.2} s = {:.2} million/s; \
         on {} s of CPU = {} million/s per core (target ≥ 1 million/s per core)",
        index.len(),
        n as f64 / secs / 1e6,
        cpu.map_or("?".into(), |c| format!("{c:.2}")),
        cpu.map_or("?".into(), |c| format!("{:.2}", n as f64 / c / 1e6)),
    );
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}
