//! The shared conformance story, on PostgreSQL (see `common` for the server it needs).

mod common;

use std::sync::Arc;

use common::{client, in_fresh_schema};
use yiwang_store::conformance;
use yiwang_store_postgres::PostgresStore;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_story() {
    in_fresh_schema("attachments", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::attachments::run(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_story() {
    in_fresh_schema("accounts", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::accounts::run(Arc::new(store)).await;
        // The access log is append-only even for someone with a database login.
        let c = client(&url).await;
        for stmt in
            ["UPDATE access_log SET detail = 'nothing happened'", "DELETE FROM access_log", "TRUNCATE access_log"]
        {
            let e = c.batch_execute(stmt).await.expect_err(stmt);
            assert!(format!("{e:?}").contains("append-only"), "{stmt}: {e:?}");
        }
        let n: i64 = c.query_one("SELECT count(*) FROM access_log", &[]).await.unwrap().get(0);
        assert_eq!(n, 5);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_story() {
    in_fresh_schema("webhooks", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::webhooks::run(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open311_story() {
    in_fresh_schema("open311", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::open311::run(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluation_story() {
    in_fresh_schema("evaluation", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::evaluation::run(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_story() {
    in_fresh_schema("schedule", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        let sql: conformance::RawSql = Arc::new(move |stmt: String| {
            let url = url.clone();
            Box::pin(async move {
                client(&url).await.batch_execute(&stmt).await.unwrap_or_else(|e| panic!("{stmt}: {e:?}"));
            })
        });
        let backfill = conformance::schedule::backfill_of(include_str!("../migrations/0006_supervision.sql"));
        conformance::schedule::run(Arc::new(store), backfill, sql).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_story() {
    in_fresh_schema("notifications", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::notifications::run(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workbench_story() {
    in_fresh_schema("workbench", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        let sql: conformance::RawSql = Arc::new(move |stmt: String| {
            let url = url.clone();
            Box::pin(async move {
                client(&url).await.batch_execute(&stmt).await.unwrap_or_else(|e| panic!("{stmt}: {e:?}"));
            })
        });
        let backfill = conformance::schedule::backfill_of(include_str!("../migrations/0008_workbench.sql"));
        conformance::workbench::run(Arc::new(store), backfill, sql).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_story() {
    in_fresh_schema("import", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::import::run(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxies_story() {
    in_fresh_schema("proxies", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::proxies::run(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_board_story() {
    in_fresh_schema("public_board", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::public::run(Arc::new(store)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_story() {
    in_fresh_schema("search", |url| async move {
        let store = PostgresStore::connect(&url).await.expect("connect");
        conformance::search::run(Arc::new(store)).await;
    })
    .await;
}
