//! `yiwang bench http`: reports per second through the real API (`POST /api/reports`) on
//! loopback, the server running in this process exactly as `yiwang serve` runs it (scheduler,
//! notifier and webhooks beside it, durable commits), the load from `wrk` when it is installed
//! and from a small built-in HTTP/1.1 client otherwise.
//!
//! The reports come from another system's API token (an Open311-style client, channel
//! `open311`): signed-in reporting is accountable to its account and is not rate-limited, so
//! the abuse limits stay as deployed. Each report is a different valid problem: a point inside
//! a random grid of a synthetic city, a subclass of the taxonomy, a description.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use yiwang_domain::geo::Point;
use yiwang_domain::time::Timestamp;
use yiwang_engine::Engine;

use super::{Latencies, city_map, cpu_seconds};

#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// How long the load runs, in seconds.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Open connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Unit grids of the synthetic city the reports fall in.
    #[arg(long, default_value_t = 2_000)]
    pub grids: usize,
    /// Load generator: `wrk` (installed separately), `builtin`, or `auto` (wrk if found).
    #[arg(long, default_value = "auto")]
    pub client: String,
    /// Seed of the reports.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Reports a second to offer (built-in client): each connection posts on a fixed schedule
    /// and each latency counts from the request's scheduled time, so a server that stalls is
    /// charged for the requests it held back (wrk2's method). Without it every connection posts
    /// as soon as it is answered, which measures the most the server takes.
    #[arg(long)]
    pub rate: Option<f64>,
}

/// What the load achieved.
#[derive(Debug)]
pub struct Load {
    pub client: &'static str,
    pub ok: u64,
    pub failed: u64,
    pub seconds: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Serves `app` on `listener` while the load runs, then stops it.
pub async fn run(
    engine: Arc<Engine>,
    app: yiwang_server::App,
    listener: tokio::net::TcpListener,
    options: &Options,
) -> anyhow::Result<Load> {
    if engine.store().count_cases().await? > 0 {
        bail!("the store already holds cases: give the benchmark an empty --data directory or database");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let map = city_map::build(options.grids, options.seed, &engine.rules().taxonomy, &mut rng);
    engine.import_reference(map.reference.clone()).await.context("loading the city")?;
    let (_, _, token) =
        yiwang_server::auth::issue_api_token(engine.store().as_ref(), "bench-http", "load generator", Timestamp::now())
            .await
            .context("issuing the load generator's API token")?;
    let bodies = bodies(&engine, &map, &mut rng, 2_000);
    let addr = listener.local_addr()?;
    let server = tokio::spawn(yiwang_server::serve(app, listener));

    if options.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        bail!("--rate must be a positive number of reports a second");
    }
    let use_wrk = match (options.client.as_str(), options.rate) {
        ("wrk", Some(_)) => bail!("wrk cannot pace its requests: use --client builtin with --rate"),
        ("wrk", None) => true,
        ("builtin", _) | ("auto", Some(_)) => false,
        ("auto", None) => Command::new("wrk").arg("--version").output().is_ok(),
        (other, _) => bail!("--client must be wrk, builtin or auto (got “{other}”)"),
    };
    let cpu = cpu_seconds();
    let load = if use_wrk {
        let dir = tempfile_dir()?;
        let script = dir.join("reports.lua");
        std::fs::write(&script, lua(&bodies, &token)).context("writing the wrk script")?;
        let options = options.clone();
        let out = tokio::task::spawn_blocking(move || wrk(addr, &script, &options)).await?;
        let _ = std::fs::remove_dir_all(&dir);
        out?
    } else {
        builtin(addr, &token, Arc::new(bodies), options).await?
    };
    let cpu = cpu.zip(cpu_seconds()).map(|(before, after)| after - before);
    server.abort();
    let stored = engine.store().count_cases().await? as u64;
    let offered = options.rate.map(|r| format!(", {r:.0} reports/s offered")).unwrap_or_default();
    println!(
        "HTTP intake ({}, {} connections{offered}, {} s, {}): {} reports accepted, {} failed = {:.0} reports/s; latency p50 {:.2} ms, p99 {:.2} ms (target ≥ 3,000/s, p99 < 25 ms)",
        load.client,
        options.connections,
        options.seconds,
        engine.store().backend(),
        load.ok,
        load.failed,
        load.ok as f64 / load.seconds,
        load.p50.as_secs_f64() * 1e3,
        load.p99.as_secs_f64() * 1e3,
    );
    if let Some(cpu) = cpu {
        println!(
            "cpu:     {cpu:.2} CPU-seconds in this process ({}) = {:.0} reports per CPU-second",
            if use_wrk { "the server; wrk's are its own" } else { "the server and the client" },
            load.ok as f64 / cpu
        );
    }
    println!("cases stored: {stored}");
    if load.failed > 0 || load.ok == 0 {
        bail!("{} of {} reports failed", load.failed, load.ok + load.failed);
    }
    Ok(load)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("yiwang-bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// `n` different valid report bodies, as JSON.
fn bodies(engine: &Engine, map: &city_map::CityMap, rng: &mut ChaCha8Rng, n: usize) -> Vec<String> {
    let subclasses = &engine.rules().taxonomy.subclasses;
    let loaded = engine.loaded();
    (0..n)
        .map(|i| {
            let (grid, sw, ne) = map.grids.choose(rng).expect("grids");
            let polygon = &loaded.jurisdiction.grid(grid).expect("the grid exists").polygon;
            let p = loop {
                let p = Point::new(rng.random_range(sw.lon..ne.lon), rng.random_range(sw.lat..ne.lat));
                if polygon.contains(p) {
                    break p;
                }
            };
            let s = subclasses.choose(rng).expect("subclasses");
            serde_json::json!({
                "subclass": s.id.to_string(),
                "lon": p.lon,
                "lat": p.lat,
                "address": format!("{grid}附近{}号", i % 200 + 1),
                "description": format!("{}：{}", s.name, ["请尽快处理", "影响居民出行", "已持续多日", "存在安全隐患"][i % 4]),
            })
            .to_string()
        })
        .collect()
}

/// A wrk script posting the bodies in turn with the token.
fn lua(bodies: &[String], token: &str) -> String {
    let mut s = String::from("local bodies = {\n");
    for b in bodies {
        s.push_str(&format!("[==[{b}]==],\n"));
    }
    s.push_str(&format!(
        "}}\nlocal headers = {{[\"Content-Type\"] = \"application/json\", [\"Authorization\"] = \"Bearer {token}\"}}\n\
         local i = 0\n\
         request = function()\n  i = i + 1\n  return wrk.format(\"POST\", \"/api/reports\", headers, bodies[(i % #bodies) + 1])\nend\n\
         done = function(summary, latency, requests)\n  io.write(string.format(\"yiwang: %d %d %d %d %d\\n\", summary.requests, \
         summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, \
         summary.duration, latency:percentile(50), latency:percentile(99)))\nend\n"
    ));
    s
}

fn wrk(addr: std::net::SocketAddr, script: &Path, options: &Options) -> anyhow::Result<Load> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(options.connections).to_string();
    let out = Command::new("wrk")
        .args(["-t", &threads, "-c", &options.connections.to_string(), "-d", &format!("{}s", options.seconds)])
        .arg("-s")
        .arg(script)
        .arg(format!("http://{addr}/api/reports"))
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    // The script's `done` prints: requests, errors, duration µs, p50 µs, p99 µs.
    let line = text.lines().find_map(|l| l.strip_prefix("yiwang: ")).context("wrk printed no summary")?;
    let n: Vec<u64> = line.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    let [requests, errors, micros, p50, p99] = n[..] else { bail!("wrk's summary “{line}” is not five numbers") };
    Ok(Load {
        client: "wrk",
        ok: requests.saturating_sub(errors),
        failed: errors,
        seconds: micros as f64 / 1e6,
        p50: Duration::from_micros(p50),
        p99: Duration::from_micros(p99),
    })
}

/// One HTTP/1.1 keep-alive connection per task, each posting as soon as it is answered, or
/// with `--rate` on its share of a fixed schedule.
async fn builtin(
    addr: std::net::SocketAddr,
    token: &str,
    bodies: Arc<Vec<String>>,
    options: &Options,
) -> anyhow::Result<Load> {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    // With a rate, connection c posts its j-th request at (c + j · connections) / rate.
    let pace = options.rate.map(|rate| Duration::from_secs_f64(1.0 / rate));
    let (connections, end) = (options.connections, started + Duration::from_secs(options.seconds));
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (bodies, stop, auth) = (bodies.clone(), stop.clone(), format!("Bearer {token}"));
        tasks.spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            let (mut times, mut failed) = (Latencies::default(), 0u64);
            for j in 0.. {
                // Paced, every request due before the end is sent, and its latency counts from
                // when it was due, not from when it could be sent.
                let due = match pace {
                    Some(pace) => {
                        let due = started + pace * (c + j * connections) as u32;
                        if due >= end {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None if stop.load(Ordering::Relaxed) => break,
                    None => Instant::now(),
                };
                let request = hyper::Request::post("/api/reports")
                    .header("host", addr.to_string())
                    .header("content-type", "application/json")
                    .header("authorization", &auth)
                    .body(Full::new(Bytes::from(bodies[(c + j) % bodies.len()].clone())))?;
                let response = sender.send_request(request).await?;
                let status = response.status();
                response.into_body().collect().await?;
                times.push(due.elapsed());
                if !status.is_success() {
                    failed += 1;
                }
            }
            anyhow::Ok((times, failed))
        });
    }
    tokio::time::sleep(Duration::from_secs(options.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Latencies::default();
    let mut failed = 0;
    while let Some(done) = tasks.join_next().await {
        let (times, f) = done??;
        all.extend(times);
        failed += f;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Load {
        client: "built-in client",
        ok: all.len() as u64 - failed,
        failed,
        seconds,
        p50: all.quantile(0.5),
        p99: all.quantile(0.99),
    })
}
