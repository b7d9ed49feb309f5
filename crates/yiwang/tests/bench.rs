//! The benchmarks in miniature, through the real binary, so that the harness never rots: they
//! run, count right, and leave a store that verifies. How fast is BENCHMARKS.md's business, not
//! a test's.

use std::path::Path;
use std::process::{Command, Output};

fn yiwang(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yiwang"))
        .current_dir(cwd)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("yiwang runs")
}

/// `yiwang --data DIR …`, run in DIR.
fn yiwang_on(data: &Path, args: &[&str]) -> Output {
    yiwang(data, &[&["--data", data.to_str().unwrap()], args].concat())
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// The `--data DIR` or `--database URL` a kept store is at.
fn kept(out: &str) -> Vec<String> {
    let line = out.lines().find_map(|l| l.strip_prefix("kept:    yiwang ")).expect("the kept store is named");
    line.trim_end_matches(" …").splitn(2, ' ').map(str::to_owned).collect()
}

fn lifecycle(database: &[&str]) {
    let cwd = tempfile::tempdir().unwrap();
    let mut args = database.to_vec();
    args.extend(["--workers", "3", "bench", "lifecycle", "--cases", "200", "--concurrency", "16", "--keep"]);
    let out = yiwang(cwd.path(), &args);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    for expected in [
        "machine: ",
        // The count the runtime was built with, whatever the machine's cores.
        "3 async workers (--workers)",
        "200 lifecycles in ",
        "lifecycles/s",
        "audit:   chain intact (200 cases, 1600 events)",
        "counters: match the event log",
        "bytes per case",
        "peak RSS",
    ] {
        assert!(t.contains(expected), "“{expected}” missing from:\n{t}");
    }
    // The store the benchmark left verifies on its own, from the outside.
    let at = kept(&t);
    let out = yiwang(cwd.path(), &[&at[0], &at[1], "audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("audit chain intact: 200 cases, 1600 events"), "{}", text(&out));
    if let Some(url) = at[1].strip_prefix("postgres://") {
        let name = url.rsplit('/').next().unwrap();
        let admin = database[1];
        drop_database(admin, name);
    }
}

fn drop_database(admin: &str, name: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
    });
}

#[test]
fn lifecycle_on_sqlite() {
    lifecycle(&[]);
}

#[test]
fn lifecycle_on_postgres() {
    let Ok(url) = std::env::var("YIWANG_TEST_POSTGRES") else {
        eprintln!("SKIPPED: the benchmark on PostgreSQL (set YIWANG_TEST_POSTGRES)");
        return;
    };
    lifecycle(&["--database", &url]);
}

fn limit(database: &[&str]) {
    let cwd = tempfile::tempdir().unwrap();
    let mut args = database.to_vec();
    args.extend(["bench", "limit", "--cases", "200", "--concurrency", "16"]);
    let out = yiwang(cwd.path(), &args);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    // 200 cases, 200 followers, 1600 events, 200 facts, and the counters and buckets they made.
    let rows: usize = t
        .lines()
        .find_map(|l| l.strip_prefix("limit:   "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the limit's rows are printed:\n{t}"));
    assert!(rows > 2_200, "{rows} rows:\n{t}");
    assert!(t.contains("share:   yiwang's lifecycles run at "), "{t}");
    // Both stores are gone afterwards.
    let left: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn limit_on_sqlite() {
    limit(&[]);
}

#[test]
fn limit_on_postgres() {
    let Ok(url) = std::env::var("YIWANG_TEST_POSTGRES") else {
        eprintln!("SKIPPED: the limit on PostgreSQL (set YIWANG_TEST_POSTGRES)");
        return;
    };
    limit(&["--database", &url]);
}

// The city scale and HTTP intake (`yiwang bench city`, `yiwang bench http`).

/// Both checks of the record pass on what a benchmark stored.
fn verifies(data: &Path, database: Option<&str>) {
    let extra: Vec<&str> = database.map(|url| vec!["--database", url]).unwrap_or_default();
    for (check, says) in [("audit", "audit chain intact"), ("evaluation", "evaluation matches the event log")] {
        let out = yiwang_on(data, &[&extra[..], &[check, "verify"]].concat());
        assert!(out.status.success() && text(&out).contains(says), "{check} verify: {}", text(&out));
    }
}

const SMALL_CITY: &[&str] = &[
    "bench",
    "city",
    "--grids",
    "400",
    "--cases",
    "2000",
    "--days",
    "30",
    "--until",
    "2026-11-20T18:00:00+08:00",
    "--batch",
    "300",
    "--searches",
    "20",
    "--lookups",
    "10000",
];

#[test]
fn small_city_imports_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let out = yiwang_on(dir.path(), SMALL_CITY);
    let says = text(&out);
    assert!(out.status.success(), "{says}");
    for line in [
        "machine:",
        "400 unit grids",
        "bulk import (sqlite",
        "2000 cases",
        "planner statistics refreshed",
        "evaluation indicators, city 3101",
        "case search",
        "case list",
        "point → grid",
        "bytes per case",
    ] {
        assert!(says.contains(line), "“{line}” missing from:\n{says}");
    }
    verifies(dir.path(), None);
    // A second run refuses to mix its city into a store that holds cases.
    let again = yiwang_on(dir.path(), SMALL_CITY);
    assert!(!again.status.success() && text(&again).contains("already holds cases"), "{}", text(&again));
    // The questions alone, of the store the first run filled.
    let questions = yiwang_on(dir.path(), &[SMALL_CITY, &["--questions-only"]].concat());
    let says = text(&questions);
    assert!(questions.status.success() && !says.contains("bulk import"), "{says}");
    for line in ["evaluation indicators, city 3101", "case search", "case list", "point → grid", "bytes per case"] {
        assert!(says.contains(line), "“{line}” missing from:\n{says}");
    }
}

#[test]
fn small_city_on_postgres() {
    let Ok(url) = std::env::var("YIWANG_TEST_POSTGRES") else {
        eprintln!("YIWANG_TEST_POSTGRES is not set: skipping the PostgreSQL city");
        return;
    };
    // A schema of its own, so that the run starts from an empty store.
    let schema = format!("bench_city_{}", std::process::id());
    sql(&url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"));
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-csearch_path%3D{schema}");
    let dir = tempfile::tempdir().unwrap();
    let out = yiwang_on(dir.path(), &[&["--database", scoped.as_str()], SMALL_CITY].concat());
    assert!(out.status.success() && text(&out).contains("bulk import (postgres"), "{}", text(&out));
    verifies(dir.path(), Some(&scoped));
    sql(&url, &format!("DROP SCHEMA {schema} CASCADE"));
}

fn sql(url: &str, statements: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect to PostgreSQL");
        tokio::spawn(conn);
        client.batch_execute(statements).await.unwrap_or_else(|e| panic!("{statements}: {e}"));
    });
}

/// A few seconds of load through the real API, with wrk if it is installed and with the
/// built-in client in any case.
#[test]
fn http_intake_runs_and_verifies() {
    let wrk = Command::new("wrk").arg("--version").output().is_ok();
    for client in ["builtin", "wrk"].into_iter().filter(|c| *c == "builtin" || wrk) {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let out = yiwang_on(
            dir.path(),
            &[
                "--listen",
                &addr,
                "bench",
                "http",
                "--seconds",
                "2",
                "--connections",
                "4",
                "--grids",
                "200",
                "--client",
                client,
            ],
        );
        let says = text(&out);
        assert!(out.status.success() && says.contains("reports/s"), "{client}: {says}");
        verifies(dir.path(), None);
    }
}

/// With `--rate`, the built-in client offers a fixed rate (open loop); wrk, which cannot pace
/// its requests, is refused.
#[test]
fn http_intake_at_a_fixed_rate() {
    let run = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let args =
            [&["--listen", &addr, "bench", "http", "--seconds", "2", "--connections", "4", "--grids", "200"], extra];
        let out = yiwang_on(dir.path(), &args.concat());
        (out.status.success(), text(&out), dir)
    };
    let (ok, says, dir) = run(&["--rate", "100"]);
    assert!(ok && says.contains("4 connections, 100 reports/s offered, 2 s"), "{says}");
    // Two seconds at 100 a second: 200 reports are due, and each one is answered.
    assert!(says.contains("200 reports accepted, 0 failed"), "{says}");
    verifies(dir.path(), None);
    let (ok, says, _) = run(&["--rate", "100", "--client", "wrk"]);
    assert!(!ok && says.contains("wrk cannot pace its requests"), "{says}");
    let (ok, says, _) = run(&["--rate", "0"]);
    assert!(!ok && says.contains("--rate must be a positive number"), "{says}");
}
