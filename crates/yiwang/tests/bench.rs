//! The benchmarks, tiny, through the real binary: they run, count right, and leave a store whose
//! audit chain verifies. How fast is BENCHMARKS.md's business, not a test's.

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
    args.extend(["bench", "lifecycle", "--cases", "200", "--concurrency", "16", "--keep"]);
    let out = yiwang(cwd.path(), &args);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    for expected in [
        "machine: ",
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
