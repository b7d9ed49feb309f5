//! Notifications and follow-up through the real router: each caller reads what is addressed to
//! them (person, unit, role on their node), groups share one read state, someone else's is a
//! 404; callback operators find the cases awaiting follow-up and record the phone answer.

mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;
use yiwang_domain::case::{Action, Actor, Channel, Command, Role};
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::clock::{Clock, ManualClock};
use yiwang_engine::notifier::Notifier;
use yiwang_engine::scheduler::{Policy, Scheduler};
use yiwang_engine::{Engine, NewReport};
use yiwang_store::accounts::{Account, AccountKind};

/// The cases lie in grid 110101001001001 (street 110101001).
const STAFF: &[(&str, Role, &str, Option<&str>)] = &[
    ("op-1", Role::IntakeOperator, "110101", None),
    ("op-other", Role::IntakeOperator, "110101002", None),
    ("disp", Role::Dispatcher, "110101", None),
    ("h-cgzf", Role::Handler, "110101", Some("cgzf")),
    ("h-hw", Role::Handler, "110101", Some("hw")),
    ("insp", Role::Inspector, "110101001", None),
    ("sup-street", Role::Supervisor, "110101001", None),
    ("sup-street-2", Role::Supervisor, "110101001", None),
    ("sup-other", Role::Supervisor, "110101002", None),
    ("sysadmin", Role::SystemAdmin, "110101", None),
];

/// Tuesday 2026-11-17 10:00 CST.
const T0: Timestamp = Timestamp(1_763_344_800_000);

struct World {
    engine: Arc<Engine>,
    app: axum::Router,
    overdue: i64,
    hotline: i64,
    portal: i64,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let support::World { engine, app, dir } = support::world(STAFF).await;
    engine
        .store()
        .create_accounts(&[Account::new("r-acc", AccountKind::Resident, "13900000001", "居民", T0)])
        .await
        .unwrap();

    let staff = |id: &str| engine.loaded().staff(id).unwrap().actor();
    let act = |id: i64, who: Actor, minutes: i64, action: Action| {
        let engine = engine.clone();
        async move {
            let cmd = Command {
                actor: who,
                at: T0.plus_ms(minutes * MINUTE_MS),
                action,
                note: "说明".into(),
                attachments: vec![],
            };
            engine.act(id, cmd).await.unwrap();
        }
    };
    let open = |reporter: Actor, channel: Channel| {
        let engine = engine.clone();
        let (op, disp) = (staff("op-1"), staff("disp"));
        async move {
            let report = NewReport {
                subclass: SubclassId::parse("s", "E0108").unwrap(),
                request_type: RequestType::Complaint,
                urgency: None,
                location: Point { lon: 116.4005, lat: 39.9005 },
                address: String::new(),
                description: "人行道上堆放建材".into(),
                channel,
                photos: vec![],
            };
            let c = engine.report(report, &reporter, T0).await.unwrap();
            for (who, action) in [
                (op, Action::File { subclass: None, urgency: None }),
                (disp, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }),
            ] {
                let cmd = Command { actor: who, at: T0, action, note: String::new(), attachments: vec![] };
                engine.act(c.id, cmd).await.unwrap();
            }
            c.id
        }
    };
    let overdue = open(Actor::resident("r-acc"), Channel::Portal).await;
    let portal = open(Actor::resident("r-acc"), Channel::Portal).await;
    let hotline = open(Actor { on_behalf_of: Some("caller".into()), ..staff("op-1") }, Channel::Hotline).await;
    for id in [portal, hotline] {
        act(id, staff("h-cgzf"), 10, Action::Accept).await;
        act(id, staff("h-cgzf"), 20, Action::ReportBack).await;
        act(id, staff("insp"), 30, Action::Verify { passed: true }).await;
        act(id, staff("chief"), 40, Action::Close { fixed: true }).await;
    }
    // Three working days later: the open case is overdue (two days), supervised, escalated.
    let clock = Arc::new(ManualClock::new(T0.plus_ms(3 * 24 * 60 * MINUTE_MS)));
    let policy = Policy { follow_up_within: yiwang_engine::scheduler::WorkingTime::Days(30), ..Policy::default() };
    Scheduler::new(engine.clone(), policy, clock.clone()).catch_up(clock.now()).await.unwrap();
    Notifier::new(engine.clone()).await.unwrap().round().await.unwrap();

    World { engine, app, overdue, hotline, portal, _dir: dir }
}

impl World {
    async fn call(&self, method: &str, uri: &str, who: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut r = Request::builder().method(method).uri(uri);
        if !who.is_empty() {
            r = r.header("x-test-actor", who);
        }
        let r = match body {
            Some(b) => r.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
            None => r.body(Body::empty()).unwrap(),
        };
        let res = self.app.clone().oneshot(r).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// (case id, kind) of the caller's notifications, oldest first.
    async fn inbox(&self, who: &str, query: &str) -> Vec<(i64, String)> {
        let (status, body) = self.call("GET", &format!("/api/notifications{query}"), who, None).await;
        assert_eq!(status, StatusCode::OK, "{who}: {body}");
        let mut out: Vec<(i64, String)> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["case_id"].as_i64().unwrap(), n["kind"].as_str().unwrap().to_owned()))
            .collect();
        out.reverse();
        out
    }
}

fn pairs(list: &[(i64, &str)]) -> Vec<(i64, String)> {
    list.iter().map(|(i, k)| (*i, k.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_caller_reads_what_is_addressed_to_them() {
    let w = world().await;
    let (o, p, h) = (w.overdue, w.portal, w.hotline);
    assert_eq!(
        w.inbox("h-cgzf", "").await,
        pairs(&[(o, "dispatched"), (p, "dispatched"), (h, "dispatched"), (o, "warned"), (o, "overdue")]),
        "the lead unit's handlers"
    );
    assert!(w.inbox("h-hw", "").await.is_empty(), "another unit");
    let street = pairs(&[(o, "warned"), (o, "overdue"), (o, "supervise"), (o, "escalated")]);
    assert_eq!(w.inbox("sup-street", "").await, street);
    assert_eq!(w.inbox("sup-street-2", "").await, street, "every supervisor of the street");
    assert!(w.inbox("sup-other", "").await.is_empty(), "another street's supervisors");
    assert_eq!(w.inbox("resident:r-acc", "").await, pairs(&[(p, "follow_up")]));
    assert!(w.inbox("resident:caller", "").await.is_empty(), "the caller has no account: an operator calls back");
    assert_eq!(w.inbox("op-1", "").await, pairs(&[(h, "callback")]));
    assert!(w.inbox("op-other", "").await.is_empty(), "operators of another street");

    let (status, body) = w.call("GET", "/api/notifications", "", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, _) = w.call("GET", "/api/notifications", "sysadmin", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "administrators read no case contents");
    let (status, body) = w.call("GET", "/api/notifications?limit=x", "h-cgzf", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Paging, newest first.
    let (_, first) = w.call("GET", "/api/notifications?limit=2", "h-cgzf", None).await;
    let first = first.as_array().unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0]["kind"], "overdue");
    let before = first[1]["id"].as_i64().unwrap();
    let rest = w.inbox("h-cgzf", &format!("?before={before}")).await;
    assert_eq!(rest, pairs(&[(o, "dispatched"), (p, "dispatched"), (h, "dispatched")]));

    // In the caller's language, with the recipient it was addressed to.
    let (_, en) = w.call("GET", "/api/notifications?lang=en&limit=1", "sup-street", None).await;
    let n = &en[0];
    assert_eq!(n["kind"], "escalated");
    assert!(n["text"].as_str().unwrap().starts_with(&format!("Case {o} (")), "{n}");
    assert_eq!(
        (n["recipient"]["kind"].as_str(), n["recipient"]["key"].as_str()),
        (Some("role"), Some("supervisor@110101001"))
    );
    assert_eq!(n["read"], false);
    let (_, zh) = w.call("GET", "/api/notifications?limit=1", "sup-street", None).await;
    assert!(zh[0]["text"].as_str().unwrap().contains("已升级至"), "{}", zh[0]);
    assert!(zh[0]["created_at"].as_str().unwrap().ends_with("+08:00"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_shares_one_read_state_and_someone_elses_is_not_found() {
    let w = world().await;
    let (_, list) = w.call("GET", "/api/notifications?unread=true", "sup-street", None).await;
    let id = list[0]["id"].as_i64().unwrap();
    assert_eq!(list.as_array().unwrap().len(), 4);

    for who in ["sup-other", "h-cgzf", "resident:r-acc"] {
        let (status, body) = w.call("POST", &format!("/api/notifications/{id}/read"), who, None).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{who}");
    }
    let (status, _) = w.call("POST", "/api/notifications/999999/read", "sup-street", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = w.call("POST", &format!("/api/notifications/{id}/read"), "", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, read) = w.call("POST", &format!("/api/notifications/{id}/read"), "sup-street", None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["read"], true);
    let first = read["read_at"].clone();
    assert!(first.is_string());
    // Read for the whole street; marking it again keeps the first time.
    let (_, unread) = w.call("GET", "/api/notifications?unread=true", "sup-street-2", None).await;
    assert_eq!(unread.as_array().unwrap().len(), 3);
    assert!(unread.as_array().unwrap().iter().all(|n| n["id"] != id));
    let (status, again) = w.call("POST", &format!("/api/notifications/{id}/read"), "sup-street-2", None).await;
    assert_eq!((status, &again["read_at"]), (StatusCode::OK, &first));
    let (_, all) = w.call("GET", "/api/notifications", "sup-street-2", None).await;
    assert_eq!(all.as_array().unwrap().len(), 4, "read ones stay listed without ?unread");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_operators_find_the_cases_awaiting_follow_up_and_record_the_answer() {
    let w = world().await;
    let awaiting = |who: &'static str| {
        let w = &w;
        async move {
            let (status, list) = w.call("GET", "/api/cases?awaiting_follow_up=true", who, None).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            let mut ids: Vec<i64> = list.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(awaiting("op-1").await, vec![w.portal, w.hotline]);
    let (_, list) = w.call("GET", "/api/cases?awaiting_follow_up=true", "op-1", None).await;
    let hotline = list.as_array().unwrap().iter().find(|c| c["id"] == w.hotline).unwrap();
    assert_eq!(hotline["channel"], "hotline");
    let (_, others) = w.call("GET", "/api/cases?awaiting_follow_up=false", "op-1", None).await;
    assert_eq!(others.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>(), [w.overdue]);

    // The operator calls back and records the answer: the same action the resident takes.
    let answer = json!({"action": "evaluate", "satisfaction": "basically", "fixed": true, "responded": true,
        "note": "电话回访：基本满意"});
    let (status, body) =
        w.call("POST", &format!("/api/cases/{}/actions", w.hotline), "op-other", Some(answer.clone())).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an operator of another street does not see the case: {body}");
    let (status, body) = w.call("POST", &format!("/api/cases/{}/actions", w.hotline), "op-1", Some(answer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rating"]["satisfaction"], "basically");
    // The resident answers in the portal: "not satisfied, not fixed" reopens the case.
    let (status, body) = w
        .call(
            "POST",
            &format!("/api/cases/{}/actions", w.portal),
            "resident:r-acc",
            Some(json!({"action": "evaluate", "satisfaction": "not_satisfied", "fixed": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "dispatched");
    assert!(awaiting("op-1").await.is_empty());

    // The unit is told the case is back.
    Notifier::new(w.engine.clone()).await.unwrap().round().await.unwrap();
    let back = w.inbox("h-cgzf", "?limit=1").await;
    assert_eq!(back, pairs(&[(w.portal, "dispatched")]));
}

#[tokio::test]
async fn the_openapi_document_describes_notifications() {
    let w = world().await;
    let (_, doc) = w.call("GET", "/api/openapi.json", "", None).await;
    let list = &doc["paths"]["/api/notifications"]["get"];
    let read = &doc["paths"]["/api/notifications/{id}/read"]["post"];
    for (op, statuses) in
        [(list, &["200", "400", "401", "403", "429", "500"][..]), (read, &["200", "401", "403", "404"][..])]
    {
        for s in statuses {
            assert!(op["responses"][*s].is_object(), "{s} documented: {op}");
        }
    }
    let params: Vec<&str> = doc["paths"]["/api/cases"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(params.contains(&"awaiting_follow_up"), "{params:?}");
    assert!(doc["components"]["schemas"]["NotificationView"].is_object());
}
