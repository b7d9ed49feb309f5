//! Test scaffolding: the server from the environment, and a fresh schema or database per test.
//!
//! Needs a server: set `YIWANG_TEST_POSTGRES` to a connection URL, e.g.
//! `postgres://postgres@127.0.0.1:5432/test`. Without it the tests say they were skipped, except
//! under CI (env `CI` set), where they fail: CI always runs both databases.
//!
//! Each test works in a schema (or database) of its own, created here and dropped afterwards, so
//! that tests running side by side, and anyone else using the same server, never meet.

#![allow(dead_code)]

use std::future::Future;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

const VAR: &str = "YIWANG_TEST_POSTGRES";

/// The server to test against, or `None` when the tests are to be skipped.
pub fn server() -> Option<String> {
    match std::env::var(VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty()) => {
            panic!("{VAR} is not set, but CI must run the PostgreSQL conformance: point it at a PostgreSQL database")
        }
        _ => {
            // Straight to the stream: the test harness captures `eprintln!` of passing tests.
            let _ = writeln!(std::io::stderr(), "SKIPPED: PostgreSQL conformance (set {VAR} to run it)");
            None
        }
    }
}

pub async fn client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {VAR}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// A name no other test run uses.
fn unique(name: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!("yiwang_test_{name}_{}_{nanos}", std::process::id())
}

/// `url` with every connection's search path set to `schema`, and named after it so that the
/// clean-up can find them.
pub fn in_schema(url: &str, schema: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}options=-csearch_path%3D{schema}&application_name={schema}")
    } else {
        format!("{url} options='-csearch_path={schema}' application_name={schema}")
    }
}

/// Runs `story` with a URL whose connections work in a fresh schema, dropped afterwards even
/// when the story fails.
pub async fn in_fresh_schema<F, Fut>(name: &str, story: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(url) = server() else { return };
    let schema = unique(name);
    let admin = client(&url).await;
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).await.expect("create the test schema");
    let outcome = tokio::spawn(story(in_schema(&url, &schema))).await;
    let dropped = drop_schema(&admin, &schema).await;
    if let Err(e) = outcome {
        if let Err(d) = dropped {
            let _ = writeln!(std::io::stderr(), "could not drop the test schema {schema}: {d}");
        }
        std::panic::resume_unwind(e.into_panic());
    }
    dropped.unwrap_or_else(|d| panic!("could not drop the test schema {schema}: {d}"));
}

/// Drops the schema. A failed story may leave tasks still writing in it, which could make the
/// drop wait or deadlock: its sessions (and only they, by name) are ended first.
async fn drop_schema(admin: &tokio_postgres::Client, schema: &str) -> Result<(), tokio_postgres::Error> {
    let mut attempt = 0;
    loop {
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", &[&schema]).await?;
        match admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await {
            Err(_) if attempt < 4 => attempt += 1,
            done => return done,
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// `url` pointing at database `db` instead (URLs only).
fn on_database(url: &str, db: &str) -> Option<String> {
    let rest = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://"))?;
    let (before, query) = match rest.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = before.split_once('/').map_or(before, |(a, _)| a);
    Some(format!("postgres://{authority}/{db}{query}"))
}

/// Runs `story` with a URL to a fresh database created `WITH` the given options, dropped
/// afterwards even when the story fails.
pub async fn in_fresh_database<F, Fut>(name: &str, with: &str, story: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(url) = server() else { return };
    let db = unique(name);
    let Some(db_url) = on_database(&url, &db) else {
        let _ = writeln!(std::io::stderr(), "SKIPPED: {name} (needs {VAR} as a postgres:// URL)");
        return;
    };
    let admin = client(&url).await;
    admin.batch_execute(&format!("CREATE DATABASE {db} {with}")).await.expect("create the test database");
    let outcome = tokio::spawn(story(db_url)).await;
    admin.batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)")).await.expect("drop the test database");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
