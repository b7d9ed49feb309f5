//! `yiwang demo`: one real district with 90 days of simulated history, reproducible from a seed.

mod accounts;
pub(crate) mod district;
mod history;
mod photos;

use std::sync::Arc;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::task::JoinSet;
use yiwang_domain::codes::Level;
use yiwang_domain::time::Timestamp;
use yiwang_engine::Engine;
use yiwang_engine::clock::ManualClock;
use yiwang_engine::scheduler::{Policy, Scheduler};
use yiwang_server::api::demo::DemoSignIn;

/// How many simulated cases live at once (they commit together in groups).
const IN_FLIGHT: usize = 512;

#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// Seed of the simulation: the same seed and end date give the same district and cases.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Days of history.
    #[arg(long, default_value_t = 90)]
    pub days: i64,
    /// Reports per working day (half that on rest days).
    #[arg(long, default_value_t = 60)]
    pub per_day: u32,
    /// End of the history, as RFC 3339 (default: now).
    #[arg(long)]
    pub until: Option<String>,
    /// Build the demo and stop instead of serving it.
    #[arg(long)]
    pub no_serve: bool,
}

/// Builds the demo (unless the store already holds one) and returns its sign-in help.
pub async fn build(engine: &Arc<Engine>, options: &Options, policy: &Policy) -> anyhow::Result<DemoSignIn> {
    let existing = engine.store().count_cases().await?;
    if existing > 0 {
        println!(
            "the store already holds {existing} cases: serving them as they are (use an empty --data directory for a new demo)"
        );
        let district = district::build(&mut ChaCha8Rng::seed_from_u64(options.seed));
        return Ok(accounts::sign_in(engine, &district));
    }
    let now = match &options.until {
        Some(s) => Timestamp::from_datetime(
            &chrono::DateTime::parse_from_rfc3339(s)
                .context("--until must be RFC 3339, e.g. 2026-11-21T12:00:00+08:00")?,
        ),
        None => Timestamp::now(),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let district = district::build(&mut rng);
    let grid_count = district.reference.grids.iter().filter(|g| g.code.level() == Level::Grid).count();
    engine.import_reference(district.reference.clone()).await.context("loading the demo district")?;
    println!(
        "demo district {} {}: {} streets, {} communities, {} unit grids (geometry is synthetic), {} units, {} staff",
        district.county,
        engine.loaded().jurisdiction.area(&district.county).map(|a| a.name.as_str()).unwrap_or(""),
        district.reference.areas.iter().filter(|a| a.code.level() == Level::Street).count(),
        district.reference.areas.iter().filter(|a| a.code.level() == Level::Community).count(),
        grid_count,
        district.reference.units.len(),
        district.reference.staff.len(),
    );

    let photos = photos::upload(engine, now).await.context("storing the demo's pictures")?;
    let cast = Arc::new(history::Cast {
        residents: district.residents.clone(),
        subclasses: engine.rules().taxonomy.subclasses.iter().map(|s| s.id).collect(),
        grids: district
            .reference
            .grids
            .iter()
            .filter(|g| g.code.level() == Level::Grid)
            .map(|g| {
                let (sw, ne) = g.polygon.bbox();
                (g.code.to_string(), sw, ne, g.members[0].clone(), history::inspector_of(&g.code))
            })
            .collect(),
        units: district
            .reference
            .units
            .iter()
            .filter(|u| u.id != district::COMMAND_CENTRE)
            .map(|u| u.id.clone())
            .collect(),
        policy: policy.clone(),
        photos,
    });
    let times = history::report_times(&mut rng, engine, now, options.days, options.per_day);
    let first_id = engine.store().allocate_case_ids(2 * times.len() as u32).await?;
    let bar = ProgressBar::new(times.len() as u64).with_style(
        ProgressStyle::with_template(
            "simulating {days} days {{bar:40}} {{pos}}/{{len}} cases, {{elapsed}}"
                .replace("{days}", &options.days.to_string())
                .as_str(),
        )
        .expect("template"),
    );
    let started = std::time::Instant::now();
    let mut tasks = JoinSet::new();
    for (index, at) in times.iter().enumerate() {
        if tasks.len() >= IN_FLIGHT {
            tasks.join_next().await.expect("a task").context("a simulated case failed")?;
            bar.inc(1);
        }
        tasks.spawn(history::live(engine.clone(), cast.clone(), options.seed, first_id, index as u64, *at, now));
    }
    while let Some(done) = tasks.join_next().await {
        done.context("a simulated case failed")?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    // What fell due after each case's last step, up to now, as the scheduler catches up on start.
    let scheduler = Scheduler::new(engine.clone(), policy.clone(), Arc::new(ManualClock::new(now)));
    let round = scheduler.catch_up(now).await.context("catching up on deadlines")?;
    let events = engine.store().ledger_head().await?.seq;
    println!(
        "simulated {} cases with {} events in {:.1} s ({} deadline steps caught up to now)",
        engine.store().count_cases().await?,
        events,
        started.elapsed().as_secs_f64(),
        round.acted,
    );
    let admins = accounts::create(engine, &district, options.seed, now).await.context("creating the demo accounts")?;
    let help = accounts::sign_in(engine, &district);
    println!("{}", accounts::sign_in_help(&help, &admins));
    // An API key for Open311 clients (another system's account), shown once like any token.
    let (_, _, key) =
        yiwang_server::auth::issue_api_token(engine.store().as_ref(), "open311-demo", "demo Open311 client", now)
            .await
            .context("issuing the demo's Open311 key")?;
    println!("open311 api key: {key}  (POST /open311/v2/requests.xml with api_key={key})");
    Ok(help)
}
