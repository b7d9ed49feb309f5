//! The shared conformance story, on PostgreSQL.
//!
//! Needs a server: set `YIWANG_TEST_POSTGRES` to a connection URL, e.g.
//! `postgres://postgres@127.0.0.1:5432/test`. Without it the tests say they were skipped, except
//! under CI (env `CI` set), where they fail: CI always runs both databases.
//!
//! Each test works in a schema of its own, created here and dropped afterwards, so that tests
//! running side by side, and anyone else using the same database, never meet.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use yiwang_store::conformance;
use yiwang_store_postgres::PostgresStore;

const VAR: &str = "YIWANG_TEST_POSTGRES";

/// The server to test against, or `None` when the tests are to be skipped.
fn server() -> Option<String> {
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

async fn client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap_or_else(|e| panic!("cannot connect to {VAR}: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// `url` with every connection's search path set to `schema`.
fn in_schema(url: &str, schema: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}options=-csearch_path%3D{schema}")
    } else {
        format!("{url} options='-csearch_path={schema}'")
    }
}

/// Runs `story` with a URL whose connections work in a fresh schema, dropped afterwards even
/// when the story fails.
async fn in_fresh_schema<F, Fut>(name: &str, story: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(url) = server() else { return };
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    let schema = format!("yiwang_test_{name}_{}_{nanos}", std::process::id());
    let admin = client(&url).await;
    admin.batch_execute(&format!("CREATE SCHEMA {schema}")).await.expect("create the test schema");
    let outcome = tokio::spawn(story(in_schema(&url, &schema))).await;
    admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).await.expect("drop the test schema");
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_story() {
    in_fresh_schema("story", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::run(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_is_named() {
    in_fresh_schema("tamper", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        let sql: conformance::RawSql = Arc::new(move |stmt: String| {
            let url = url.clone();
            Box::pin(async move {
                client(&url).await.batch_execute(&stmt).await.unwrap_or_else(|e| panic!("{stmt}: {e:?}"));
            })
        });
        conformance::tampering_is_named(Arc::new(store), sql).await;
    })
    .await;
}
