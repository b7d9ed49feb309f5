//! `GET /api/live`: each subscriber sees exactly the changes they may see.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use yiwang_domain::case::Action;
use yiwang_server::limits::Limits;

use crate::app::{STREET_1, STREET_2, TestApp, request};

/// An open event stream.
struct Stream {
    body: Body,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, who: &str, query: &str) -> Stream {
        let res =
            app.router.clone().oneshot(request(Method::GET, &format!("/api/live{query}"), who, None)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{who} {query}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
        Stream { body: res.into_body(), buffer: String::new() }
    }

    /// The events received until the stream has been quiet for a while: (type, data).
    async fn events(&mut self) -> Vec<(String, Value)> {
        while let Ok(Some(frame)) = tokio::time::timeout(Duration::from_millis(300), self.body.frame()).await {
            if let Ok(data) = frame.expect("frame").into_data() {
                self.buffer.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
        let mut out = Vec::new();
        while let Some(end) = self.buffer.find("\n\n") {
            let block: String = self.buffer.drain(..end + 2).collect();
            let kind = block.lines().find_map(|l| l.strip_prefix("event: "));
            let data = block.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(kind), Some(data)) = (kind, data) {
                out.push((kind.to_owned(), serde_json::from_str(data).unwrap()));
            }
        }
        out
    }
}

/// (type, case id, step) of each event.
fn summary(events: &[(String, Value)]) -> Vec<(String, i64, String)> {
    events
        .iter()
        .map(|(k, d)| (k.clone(), d["case_id"].as_i64().unwrap_or(-1), d["step"].as_str().unwrap_or("").to_owned()))
        .collect()
}

fn ev(kind: &str, case: i64, step: &str) -> (String, i64, String) {
    (kind.to_owned(), case, step.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_sees_only_what_they_may() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let mut resident = Stream::open(&app, "resident:r1", "").await;
    let mut handler = Stream::open(&app, "staff:handler-cgzf", "").await;
    let mut other_unit = Stream::open(&app, "staff:handler-hw", "").await;
    let mut street1 = Stream::open(&app, "staff:leader-s1", "").await;
    let mut street2 = Stream::open(&app, "staff:leader-s2", "").await;
    let mut district_on_street1 = Stream::open(&app, "staff:leader-district", "?area=110101001").await;
    // Asking above one's territory narrows to it.
    let mut street1_asking_city = Stream::open(&app, "staff:leader-s1", "?area=11").await;

    let a = app.dispatched("r1", "cgzf").await.id;
    let b = app.report("r2", STREET_2).await.id;
    let a_case = app.engine.case(a).await.unwrap();
    app.overdue(&a_case).await;

    let all_of_a = vec![
        ev("case_new", a, "report"),
        ev("case_changed", a, "file"),
        ev("case_changed", a, "dispatch"),
        ev("case_overdue", a, "mark_overdue"),
    ];
    assert_eq!(summary(&resident.events().await), all_of_a, "a resident sees the cases they reported");
    assert_eq!(
        summary(&handler.events().await),
        vec![ev("case_changed", a, "dispatch"), ev("case_overdue", a, "mark_overdue")],
        "a handler sees their unit's cases from the dispatch on"
    );
    assert!(other_unit.events().await.is_empty(), "another unit sees nothing of it");
    assert_eq!(summary(&street1.events().await), all_of_a, "a street leader sees the street");
    assert_eq!(summary(&street2.events().await), vec![ev("case_new", b, "report")]);
    assert_eq!(summary(&district_on_street1.events().await), all_of_a, "area narrows a wider territory");
    assert_eq!(summary(&street1_asking_city.events().await), all_of_a);

    // What the payload says: where the case stands, nothing personal.
    let events = street1.events().await;
    assert!(events.is_empty(), "nothing new");
    let mut fresh = Stream::open(&app, "staff:leader-s1", "").await;
    let c = app.dispatched("r3", "hw").await;
    app.overdue(&c).await;
    let got = fresh.events().await;
    let (kind, overdue) = got.last().unwrap();
    assert_eq!(kind, "case_overdue");
    assert_eq!(overdue["case_id"], c.id);
    assert_eq!(overdue["overdue"], true);
    assert_eq!(overdue["state"], "dispatched");
    assert_eq!(overdue["open"], true);
    assert_eq!(overdue["grid"], "110101001001001");
    assert_eq!(overdue["subclass"], "E0101");
    assert_eq!(overdue["seq"], 4);
    assert!(overdue["due_at"].as_str().unwrap().ends_with("+08:00"));
    let text = overdue.to_string();
    for private in ["\"r3\"", "井盖", "东华门大街", "\"disp\"", "\"op\"", "reporter", "description"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_may_not_watch() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let status = |who: &'static str, query: &'static str| {
        let app = &app;
        async move {
            let (s, _, body) = app.call(request(Method::GET, &format!("/api/live{query}"), who, None)).await;
            (s, body["code"].as_str().unwrap_or_default().to_owned())
        }
    };
    assert_eq!(status("", "").await, (StatusCode::UNAUTHORIZED, "unauthenticated".into()));
    assert_eq!(status("staff:sysadmin", "").await, (StatusCode::FORBIDDEN, "forbidden".into()));
    assert_eq!(status("staff:auditor", "").await, (StatusCode::FORBIDDEN, "forbidden".into()));
    assert_eq!(status("staff:leader-s1", "?area=110101002").await, (StatusCode::FORBIDDEN, "forbidden".into()));
    assert_eq!(status("staff:leader-s1", "?area=1101010x").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(status("staff:nobody", "").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_stream_is_told_to_reload() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let mut req = request(Method::GET, "/api/live", "staff:leader-s1", None);
    req.headers_mut().insert("last-event-id", "7-3".parse().unwrap());
    let res = app.router.clone().oneshot(req).await.unwrap();
    let mut stream = Stream { body: res.into_body(), buffer: String::new() };
    let a = app.report("r1", STREET_1).await.id;
    let got = stream.events().await;
    assert_eq!(got[0].0, "resync");
    assert_eq!(summary(&got[1..]), vec![ev("case_new", a, "report")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_events_and_webhooks_are_documented() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let (s, _, doc) = app.call(request(Method::GET, "/api/openapi.json", "", None)).await;
    assert_eq!(s, StatusCode::OK);
    let ok = &doc["paths"]["/api/live"]["get"]["responses"]["200"]["content"];
    assert!(ok.get("text/event-stream").is_some(), "{ok}");
    assert!(doc["components"]["schemas"].get("LiveCase").is_some());
    for path in ["/api/webhooks", "/api/webhooks/{id}", "/api/webhooks/{id}/deliveries"] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"].get("WebhookPayload").is_some(), "receivers can read the body's schema");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_shows_the_survivor_to_the_duplicates_reporter() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let master = app.report("r1", STREET_1).await.id;
    let dup = app.report("r2", STREET_1).await.id;
    let mut r2 = Stream::open(&app, "resident:r2", "").await;
    app.engine.merge(dup, master, &app.staff("op"), yiwang_domain::time::Timestamp::now(), "同一井盖").await.unwrap();
    app.act(master, app.staff("op"), Action::File { subclass: None, urgency: None }).await;
    assert_eq!(
        summary(&r2.events().await),
        vec![
            ev("case_changed", dup, "mark_duplicate"),
            ev("case_changed", master, "absorb_duplicate"),
            ev("case_changed", master, "file")
        ]
    );
}
