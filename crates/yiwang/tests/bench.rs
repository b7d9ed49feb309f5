//! The benchmarks in miniature, so that the harness never rots: each runs as a user would run
//! it, and the store it leaves behind verifies. How fast is not checked here.

use std::path::Path;
use std::process::{Command, Output};

fn yiwang(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yiwang"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("yiwang runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Both checks of the record pass on what a benchmark stored.
fn verifies(data: &Path, database: Option<&str>) {
    let extra: Vec<&str> = database.map(|url| vec!["--database", url]).unwrap_or_default();
    for (check, says) in [("audit", "audit chain intact"), ("evaluation", "evaluation matches the event log")] {
        let out = yiwang(data, &[&extra[..], &[check, "verify"]].concat());
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
    let out = yiwang(dir.path(), SMALL_CITY);
    let says = text(&out);
    assert!(out.status.success(), "{says}");
    for line in [
        "machine:",
        "400 unit grids",
        "bulk import (sqlite",
        "2000 cases",
        "evaluation indicators, city 3101",
        "case search",
        "point → grid",
        "bytes per case",
    ] {
        assert!(says.contains(line), "“{line}” missing from:\n{says}");
    }
    verifies(dir.path(), None);
    // A second run refuses to mix its city into a store that holds cases.
    let again = yiwang(dir.path(), SMALL_CITY);
    assert!(!again.status.success() && text(&again).contains("already holds cases"), "{}", text(&again));
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
    let out = yiwang(dir.path(), &[&["--database", scoped.as_str()], SMALL_CITY].concat());
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
        let out = yiwang(
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
