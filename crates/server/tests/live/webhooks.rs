//! Webhooks: subscriptions over the API, signed deliveries to a receiver on 127.0.0.1, retries,
//! giving up, and resuming after a restart.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use yiwang_domain::case::Action;
use yiwang_server::limits::Limits;
use yiwang_server::webhooks::{self, Config, verify};

use crate::app::{TestApp, eventually, request};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
    answered: u16,
}

/// A receiver that answers from a script, then with a default status.
#[derive(Clone)]
struct Receiver {
    url: String,
    state: ReceiverState,
}

impl Receiver {
    async fn start(script: &[u16], default: u16) -> Receiver {
        let state = Arc::new(Mutex::new((script.iter().copied().collect(), default, Vec::new())));
        let router = Router::new().route("/hook", post(hook)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Receiver { url, state }
    }

    fn got(&self) -> Vec<Received> {
        self.state.lock().unwrap().2.clone()
    }

    fn count(&self) -> usize {
        self.state.lock().unwrap().2.len()
    }
}

/// The answers still scripted, the status after them, and what was received.
type ReceiverState = Arc<Mutex<(VecDeque<u16>, u16, Vec<Received>)>>;

async fn hook(State(state): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> (StatusCode, &'static str) {
    let mut s = state.lock().unwrap();
    let answered = s.0.pop_front().unwrap_or(s.1);
    s.2.push(Received { headers, body, answered });
    (StatusCode::from_u16(answered).unwrap(), if answered < 300 { "" } else { "  receiver\n  says no  " })
}

/// Fast retries, and the receiver on loopback allowed.
fn config() -> Config {
    Config {
        backoff: vec![Duration::from_millis(150)],
        max_attempts: 3,
        poll: Duration::from_millis(50),
        timeout: Duration::from_secs(3),
        batch: 8,
        allow_loopback: true,
    }
}

const WAIT: Duration = Duration::from_secs(15);

async fn subscribe(app: &TestApp, handler: &str, url: &str) -> Value {
    let (s, _, sub) = app
        .call(request(Method::POST, "/api/webhooks", &format!("staff:{handler}"), Some(json!({ "url": url }))))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    sub
}

async fn log(app: &TestApp, who: &str, subscription: i64) -> Vec<Value> {
    let (s, _, log) =
        app.call(request(Method::GET, &format!("/api/webhooks/{subscription}/deliveries"), who, None)).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    log.as_array().unwrap().clone()
}

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn body(r: &Received) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_and_retried_until_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let receiver = Receiver::start(&[500], 200).await;
    let sub = subscribe(&app, "handler-cgzf", &receiver.url).await;
    let (id, secret) = (sub["id"].as_i64().unwrap(), sub["secret"].as_str().unwrap().to_owned());
    assert_eq!(
        (sub["unit"]["id"].as_str(), sub["lang"].as_str(), sub["active"].as_bool()),
        (Some("cgzf"), Some("zh-CN"), Some(true))
    );
    assert_eq!(secret.len(), 64, "256 random bits in hex");
    let worker = webhooks::start(app.engine.clone(), config());

    let case = app.dispatched("r1", "cgzf").await;
    eventually(WAIT, "a retry after the 500", || async { receiver.count() >= 2 }).await;
    let got = receiver.got();
    assert_eq!(got.iter().map(|r| r.answered).collect::<Vec<_>>(), [500, 200]);
    for r in &got {
        assert_eq!(header(r, "x-yiwang-event"), "dispatch");
        assert_eq!(header(r, "content-type"), "application/json; charset=utf-8");
        let signature = header(r, "x-yiwang-signature");
        assert!(signature.starts_with("sm3-hmac="), "{signature}");
        assert!(verify(secret.as_bytes(), &r.body, signature), "the signature verifies with the secret");
        assert!(!verify(secret.as_bytes(), &[&r.body[..], b" "].concat(), signature), "and only for this body");
        assert!(!verify(b"another secret", &r.body, signature));
    }
    assert_eq!(
        header(&got[0], "x-yiwang-delivery"),
        header(&got[1], "x-yiwang-delivery"),
        "one delivery, two attempts"
    );
    assert_eq!(got[0].body, got[1].body, "the same bytes every time");
    let payload = body(&got[1]);
    assert_eq!(payload["subscription"], id);
    assert_eq!(payload["unit"], "cgzf");
    assert_eq!((payload["event"]["step"].as_str(), payload["event"]["seq"].as_i64()), (Some("dispatch"), Some(3)));
    assert_eq!(payload["case_id"], case.id);
    assert_eq!(payload["case"]["id"], case.id);
    assert_eq!(payload["case"]["lead_unit"]["id"], "cgzf");
    assert_eq!(payload["case"]["description"], "井盖缺失，很危险", "the unit sees what it must fix");
    assert_eq!(payload["case"]["state_name"], "待签收", "names in the subscription's language");

    eventually(WAIT, "the attempt recorded", || async {
        log(&app, "staff:handler-cgzf", id).await.first().is_some_and(|d| d["status"] == "delivered")
    })
    .await;
    let entries = log(&app, "staff:handler-cgzf", id).await;
    assert_eq!(entries.len(), 1, "the report and filing came before the unit had the case");
    let d = &entries[0];
    assert_eq!(
        (d["attempts"].as_i64(), d["last_status"].as_i64(), d["step"].as_str()),
        (Some(2), Some(200), Some("dispatch"))
    );
    assert_eq!(d["id"].to_string(), header(&got[0], "x-yiwang-delivery"));
    assert!(d["delivered_at"].is_string() && d["next_attempt_at"].is_null());
    assert_eq!(d["payload"]["event"]["step"], "dispatch");

    // The unit's later steps and the supervisor's urging follow.
    app.act(case.id, app.staff("handler-cgzf"), Action::Accept).await;
    app.act(case.id, app.staff("super"), Action::Urge).await;
    eventually(WAIT, "accept and urge", || async { receiver.count() >= 4 }).await;
    let mut steps: Vec<String> = receiver.got()[2..].iter().map(|r| header(r, "x-yiwang-event").to_owned()).collect();
    steps.sort();
    assert_eq!(steps, ["accept", "urge"]);
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_keeps_failing_is_given_up() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let receiver = Receiver::start(&[], 500).await;
    let id = subscribe(&app, "handler-cgzf", &receiver.url).await["id"].as_i64().unwrap();
    let worker = webhooks::start(app.engine.clone(), config());
    app.dispatched("r1", "cgzf").await;
    eventually(WAIT, "giving up", || async {
        log(&app, "staff:handler-cgzf", id).await.first().is_some_and(|d| d["status"] == "failed")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.count(), 3, "max_attempts, then no more");
    let d = &log(&app, "staff:handler-cgzf", id).await[0];
    assert_eq!((d["attempts"].as_i64(), d["last_status"].as_i64()), (Some(3), Some(500)));
    assert_eq!(d["last_error"], "HTTP 500: receiver says no");
    assert!(d["next_attempt_at"].is_null() && d["delivered_at"].is_null());
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_deliveries_resume_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(&[503], 200).await;
    let (id, case) = {
        let app = TestApp::start(dir.path(), Limits::default()).await;
        let id = subscribe(&app, "handler-cgzf", &receiver.url).await["id"].as_i64().unwrap();
        // Committed while no worker runs: only the ledger knows of it.
        let case = app.dispatched("r1", "cgzf").await;
        let worker =
            webhooks::start(app.engine.clone(), Config { backoff: vec![Duration::from_millis(500)], ..config() });
        eventually(WAIT, "one failed attempt recorded", || async {
            log(&app, "staff:handler-cgzf", id).await.first().is_some_and(|d| d["attempts"] == 1)
        })
        .await;
        worker.stop().await;
        // And another commit while nothing delivers, just before the process ends.
        app.act(case.id, app.staff("handler-cgzf"), Action::Accept).await;
        (id, case)
    };
    assert_eq!(receiver.count(), 1);

    let app = TestApp::start(dir.path(), Limits::default()).await;
    let worker = webhooks::start(app.engine.clone(), config());
    eventually(WAIT, "both delivered after the restart", || async {
        let l = log(&app, "staff:handler-cgzf", id).await;
        l.len() == 2 && l.iter().all(|d| d["status"] == "delivered")
    })
    .await;
    let l = log(&app, "staff:handler-cgzf", id).await;
    assert_eq!((l[1]["step"].as_str(), l[1]["attempts"].as_i64()), (Some("dispatch"), Some(2)));
    assert_eq!((l[0]["step"].as_str(), l[0]["attempts"].as_i64()), (Some("accept"), Some(1)));
    assert!(l.iter().all(|d| d["case_id"] == case.id));
    assert_eq!(receiver.count(), 3, "nothing delivered twice once accepted");
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_follow_the_unit_and_start_at_the_subscription() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let receiver = Receiver::start(&[], 200).await;
    // Dispatched before anyone subscribed: the past is not delivered.
    let old = app.dispatched("r1", "cgzf").await;
    let cgzf = subscribe(&app, "handler-cgzf", &receiver.url).await["id"].as_i64().unwrap();
    let hw = subscribe(&app, "handler-hw", &receiver.url).await["id"].as_i64().unwrap();
    let worker = webhooks::start(app.engine.clone(), config());
    app.act(old.id, app.staff("super"), Action::Urge).await;

    // Dispatched to cgzf, returned, dispatched again to hw.
    let c = app.dispatched("r2", "cgzf").await;
    app.act(c.id, app.staff("handler-cgzf"), Action::Return).await;
    app.act(c.id, app.staff("disp"), Action::Dispatch { lead: "hw".into(), assisting: vec!["cgzf".into()] }).await;
    app.act(c.id, app.staff("handler-hw"), Action::Accept).await;

    eventually(WAIT, "every delivery", || async { receiver.count() >= 7 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut seen: Vec<(i64, i64, String)> = receiver
        .got()
        .iter()
        .map(|r| {
            let b = body(r);
            (
                b["subscription"].as_i64().unwrap(),
                b["case_id"].as_i64().unwrap(),
                header(r, "x-yiwang-event").to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        (cgzf, old.id, "urge".to_owned()),
        (cgzf, c.id, "dispatch".to_owned()),
        (cgzf, c.id, "return".to_owned()),
        // Assisting on the re-dispatch, so still told.
        (cgzf, c.id, "dispatch".to_owned()),
        (cgzf, c.id, "accept".to_owned()),
        (hw, c.id, "dispatch".to_owned()),
        (hw, c.id, "accept".to_owned()),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_manages_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let call = |method: Method, uri: String, who: &'static str, body: Option<Value>| {
        let app = &app;
        async move {
            let (s, _, v) = app.call(request(method, &uri, who, body)).await;
            (s, v)
        }
    };
    let url = json!({ "url": "https://cgzf.example.gov.cn/hook" });
    assert_eq!(call(Method::POST, "/api/webhooks".into(), "", Some(url.clone())).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call(Method::POST, "/api/webhooks".into(), "resident:r1", Some(url.clone())).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(Method::POST, "/api/webhooks".into(), "staff:leader-s1", Some(url.clone())).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, v) = call(Method::POST, "/api/webhooks".into(), "staff:sysadmin", Some(url.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let other_unit = json!({ "url": "https://x.example/hook", "unit": "hw" });
    assert_eq!(
        call(Method::POST, "/api/webhooks".into(), "staff:handler-cgzf", Some(other_unit)).await.0,
        StatusCode::FORBIDDEN
    );
    for bad in ["ftp://x.example/hook", "https://user:pw@x.example/hook", "not a url", "/relative", "http://"] {
        let (s, v) =
            call(Method::POST, "/api/webhooks".into(), "staff:handler-cgzf", Some(json!({ "url": bad }))).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_field")), "{bad}: {v}");
    }

    let (s, sub) = call(
        Method::POST,
        "/api/webhooks".into(),
        "staff:handler-cgzf",
        Some(json!({ "url": "https://cgzf.example.gov.cn/hook", "lang": "en" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!((sub["lang"].as_str(), sub["created_by"].as_str()), (Some("en"), Some("handler-cgzf")));
    let id = sub["id"].as_i64().unwrap();

    let (_, own) = call(Method::GET, "/api/webhooks".into(), "staff:handler-cgzf", None).await;
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert!(own[0].get("secret").is_none(), "the secret is shown once");
    let (_, others) = call(Method::GET, "/api/webhooks".into(), "staff:handler-hw", None).await;
    assert_eq!(others, json!([]));
    let (s, all) = call(Method::GET, "/api/webhooks".into(), "staff:sysadmin", None).await;
    assert_eq!((s, all.as_array().unwrap().len()), (StatusCode::OK, 1));
    assert_eq!(call(Method::GET, "/api/webhooks".into(), "staff:auditor", None).await.0, StatusCode::FORBIDDEN);

    let deliveries = format!("/api/webhooks/{id}/deliveries");
    assert_eq!(call(Method::GET, deliveries.clone(), "staff:handler-hw", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(call(Method::GET, deliveries.clone(), "staff:sysadmin", None).await.0, StatusCode::OK);
    assert_eq!(
        call(Method::DELETE, format!("/api/webhooks/{id}"), "staff:handler-hw", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(Method::DELETE, format!("/api/webhooks/{id}"), "staff:handler-cgzf", None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(Method::DELETE, format!("/api/webhooks/{id}"), "staff:handler-cgzf", None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, own) = call(Method::GET, "/api/webhooks".into(), "staff:handler-cgzf", None).await;
    assert_eq!(own, json!([]));
    assert_eq!(call(Method::GET, deliveries, "staff:handler-cgzf", None).await.0, StatusCode::OK, "the log stays");

    for i in 0..yiwang_server::api::webhooks::MAX_PER_UNIT {
        let body = json!({ "url": format!("https://cgzf.example.gov.cn/hook/{i}") });
        assert_eq!(
            call(Method::POST, "/api/webhooks".into(), "staff:handler-cgzf", Some(body)).await.0,
            StatusCode::CREATED
        );
    }
    let (s, v) = call(Method::POST, "/api/webhooks".into(), "staff:handler-cgzf", Some(url)).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("too_many_subscriptions")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_hides_payloads_from_administrators_and_loopback_is_refused_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let receiver = Receiver::start(&[], 200).await;
    let id = subscribe(&app, "handler-cgzf", &receiver.url).await["id"].as_i64().unwrap();
    let worker = webhooks::start(app.engine.clone(), Config { allow_loopback: false, max_attempts: 1, ..config() });
    app.dispatched("r1", "cgzf").await;
    eventually(WAIT, "the refused attempt", || async {
        log(&app, "staff:handler-cgzf", id).await.first().is_some_and(|d| d["status"] == "failed")
    })
    .await;
    assert_eq!(receiver.count(), 0, "nothing reached the loopback receiver");
    let own = &log(&app, "staff:handler-cgzf", id).await[0];
    assert!(own["last_error"].as_str().unwrap().contains("127.0.0.1"), "{own}");
    assert!(own["payload"].is_object());
    let admin = &log(&app, "staff:sysadmin", id).await[0];
    assert!(admin["payload"].is_null() && admin["step"] == "dispatch", "{admin}");
    worker.stop().await;
}
