//! Evaluation through the router: indicators kept current by the engine, rankings with counts
//! and intervals, the cases behind a number, and who may see what.

mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use yiwang_domain::case::{Action, Actor, Channel, Command, Role, Satisfaction};
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::{Engine, NewReport};

/// Tue 2026-11-17 09:00 CST.
const T0: Timestamp = Timestamp(1_794_877_200_000);

const STAFF: &[support::TestStaff] = &[
    ("leader", Role::Leader, "110101", None),
    ("leader-2", Role::Leader, "110101002", None),
    ("op", Role::IntakeOperator, "110101", None),
    ("disp", Role::Dispatcher, "110101", None),
    ("chief-c", Role::ShiftChief, "110101", Some("centre")),
    ("h-hw", Role::Handler, "110101", Some("hw")),
    ("gm", Role::GridMember, "110101", None),
    ("sysadmin", Role::SystemAdmin, "110101", None),
];

async fn world() -> (tempfile::TempDir, Arc<Engine>, axum::Router) {
    let support::World { engine, app, dir } = support::world(STAFF).await;
    (dir, engine, app)
}

/// A case in street 1 closed on time and rated, and one in street 2 still open.
async fn history(e: &Engine) -> (i64, i64) {
    let staff = |id: &str| e.loaded().staff(id).unwrap().actor();
    let report = |lon: f64| NewReport {
        subclass: SubclassId::parse("s", "E0107").unwrap(),
        request_type: RequestType::Complaint,
        urgency: None,
        location: Point { lon, lat: 39.9005 },
        address: String::new(),
        description: "垃圾满溢".into(),
        channel: Channel::Portal,
        photos: vec![],
    };
    let a = e.report(report(116.4005), &Actor::resident("r1"), T0).await.unwrap();
    let b = e.report(report(116.4025), &Actor::resident("r2"), T0).await.unwrap();
    let steps = [
        ("op", Action::File { subclass: None, urgency: None }),
        ("disp", Action::Dispatch { lead: "hw".into(), assisting: vec![] }),
        ("h-hw", Action::Accept),
        ("h-hw", Action::ReportBack),
        ("gm", Action::Verify { passed: true }),
        ("chief-c", Action::Close { fixed: true }),
    ];
    for (i, (who, action)) in steps.into_iter().enumerate() {
        let cmd = Command {
            actor: staff(who),
            at: T0.plus_ms((i as i64 + 1) * 10 * MINUTE_MS),
            action,
            note: "说明".into(),
            attachments: vec![],
        };
        e.act(a.id, cmd).await.unwrap();
    }
    let rate = Command {
        actor: Actor::resident("r1"),
        at: T0.plus_ms(120 * MINUTE_MS),
        action: Action::Evaluate { satisfaction: Satisfaction::Satisfied, fixed: true, responded: Some(true) },
        note: String::new(),
        attachments: vec![],
    };
    e.act(a.id, rate).await.unwrap();
    (a.id, b.id)
}

async fn get(app: &axum::Router, who: &str, uri: &str) -> (StatusCode, Value) {
    let r = Request::builder().uri(uri).header("x-test-actor", who).body(Body::empty()).unwrap();
    let res = app.clone().oneshot(r).await.unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_district_leader_sees_this_months_indicators_and_the_cases_behind_them() {
    let (_d, e, app) = world().await;
    let (closed, open) = history(&e).await;
    let (s, i) = get(&app, "leader", "/api/evaluation/indicators?period=month&date=2026-11-17").await;
    assert_eq!(s, StatusCode::OK, "{i}");
    assert_eq!((i["reported"].as_i64(), i["closed"].as_i64()), (Some(2), Some(1)));
    assert_eq!((i["from"].as_str(), i["to"].as_str()), (Some("2026-11-01"), Some("2026-11-30")));
    assert_eq!(i["satisfaction"]["value"], 1.0);
    assert_eq!(i["satisfaction"]["count"], 1);
    assert_eq!(i["composite"], 100.0);
    // The case behind "closed": exactly the closed one.
    let (s, list) = get(&app, "leader", "/api/evaluation/cases?period=month&date=2026-11-17&counter=closed").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let ids: Vec<i64> = list.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![closed]);
    let (_, list) = get(&app, "leader", "/api/evaluation/cases?period=month&date=2026-11-17&counter=reported").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let _ = open;

    // Streets ranked, each with its count; below the minimum volume they are listed, unranked.
    let (s, table) =
        get(&app, "leader", "/api/evaluation/rankings?of=streets&indicator=satisfaction&date=2026-11-17").await;
    assert_eq!(s, StatusCode::OK, "{table}");
    let first = &table.as_array().unwrap()[0];
    assert_eq!(
        (first["key"].as_str(), first["rate"]["count"].as_i64(), first["place"].as_i64()),
        (Some("110101001"), Some(1), None)
    );
    let (s, units) = get(&app, "leader", "/api/evaluation/rankings?of=units&date=2026-11-17").await;
    assert_eq!(s, StatusCode::OK, "{units}");
    assert!(units.as_array().unwrap().iter().any(|u| u["key"] == "hw"));

    // The unit and the member of staff have their own indicators.
    let (_, unit) = get(&app, "h-hw", "/api/evaluation/indicators?dim=unit&date=2026-11-17").await;
    assert_eq!(unit["closed"], 1);
    let (_, me) = get(&app, "op", "/api/evaluation/indicators?dim=staff&date=2026-11-17").await;
    assert_eq!(me["filed"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluation_is_for_staff_of_the_place() {
    let (_d, e, app) = world().await;
    history(&e).await;
    assert_eq!(get(&app, "resident:r1", "/api/evaluation/indicators").await.0, StatusCode::FORBIDDEN);
    assert_eq!(get(&app, "sysadmin", "/api/evaluation/indicators").await.0, StatusCode::FORBIDDEN);
    assert_eq!(get(&app, "leader-2", "/api/evaluation/indicators?key=110101001").await.0, StatusCode::FORBIDDEN);
    assert_eq!(get(&app, "leader-2", "/api/evaluation/indicators?key=110101002").await.0, StatusCode::OK);
    assert_eq!(get(&app, "h-hw", "/api/evaluation/indicators?dim=staff&key=op").await.0, StatusCode::OK);
    let (s, body) = get(&app, "leader", "/api/evaluation/indicators?period=fortnight").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(get(&app, "", "/api/evaluation/indicators").await.0, StatusCode::UNAUTHORIZED);
}
