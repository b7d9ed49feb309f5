//! The workbench through the real router: each role's queues and their counts, in and out of
//! the cases' place in the tree. Expected answers are written out by hand from PRODUCT.md's
//! roles, not computed by the code under test.
//!
//! Cases lie in grid 110101001001001 (东华门街道), class E0101 (城管执法 → unit `cgzf`), one in
//! each state of the loop. "in" callers hold their role on the grid, street or district; "out"
//! callers on the other street (110101002) or its grid.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use support::{World, world};
use tower::ServiceExt;
use yiwang_domain::case::{Action, Actor, Channel, Command, Role};
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId};
use yiwang_domain::time::Timestamp;
use yiwang_engine::NewReport;

pub const CALLERS: &[(&str, Role, &str, Option<&str>)] = &[
    ("grid-in", Role::GridMember, "110101001001001", None),
    ("grid-out", Role::GridMember, "110101002001001", None),
    ("insp-in", Role::Inspector, "110101001", None),
    ("op-in", Role::IntakeOperator, "110101", None),
    ("op-out", Role::IntakeOperator, "110101002", None),
    ("chief-in", Role::ShiftChief, "110101", Some("centre")),
    ("disp-in", Role::Dispatcher, "110101", None),
    ("disp-out", Role::Dispatcher, "110101002", None),
    ("h-lead", Role::Handler, "110101", Some("cgzf")),
    ("h-other", Role::Handler, "110101", Some("hw")),
    ("sup-in", Role::Supervisor, "110101001", None),
    ("sup-out", Role::Supervisor, "110101002", None),
    ("lead-in", Role::Leader, "110101", None),
    ("sysadmin", Role::SystemAdmin, "110101", None),
];

const T0: Timestamp = Timestamp(1_763_344_800_000);

async fn get(w: &World, uri: &str, who: &str) -> (StatusCode, serde_json::Value) {
    let mut r = Request::builder().uri(uri);
    if !who.is_empty() {
        r = r.header("x-test-actor", who);
    }
    let res = w.app.clone().oneshot(r.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
}

/// The queues of a caller as `name=count` pairs.
async fn queues(w: &World, who: &str) -> Result<Vec<String>, u16> {
    let (status, body) = get(w, "/api/queues", who).await;
    if status != StatusCode::OK {
        return Err(status.as_u16());
    }
    let list = body["queues"].as_array().unwrap();
    let total: i64 = list.iter().map(|q| q["count"].as_i64().unwrap()).sum();
    assert_eq!(body["total"], total, "{who}");
    Ok(list.iter().map(|q| format!("{}={}", q["name"].as_str().unwrap(), q["count"])).collect())
}

/// [`one_case_per_state`], with the accepted case (the fourth) past its deadline and marked overdue.
async fn one_case_per_state_one_overdue(w: &World) -> Vec<i64> {
    let ids = one_case_per_state(w).await;
    let due = w.engine.case(ids[3]).await.unwrap().clock.due_at.unwrap();
    let cmd = Command {
        actor: Actor::system(),
        at: due,
        action: Action::MarkOverdue,
        note: String::new(),
        attachments: vec![],
    };
    w.engine.act(ids[3], cmd).await.unwrap();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_its_own_queues_in_its_own_place() {
    let w = world(CALLERS).await;
    // An accepted case falls overdue: the supervisor of its street must act.
    let ids = one_case_per_state_one_overdue(&w).await;

    let expected: &[(&str, Result<&[&str], u16>)] = &[
        ("resident:reporter", Ok(&["to_rate=1"])),
        ("resident:stranger", Ok(&["to_rate=0"])),
        ("grid-in", Ok(&["to_verify=1"])),
        ("grid-out", Ok(&["to_verify=0"])),
        ("insp-in", Ok(&["to_verify=1"])),
        ("op-in", Ok(&["to_file=1", "to_rate=1"])),
        ("op-out", Ok(&["to_file=0", "to_rate=0"])),
        ("chief-in", Ok(&["to_file=1", "to_close=1", "extension_requests=0"])),
        ("disp-in", Ok(&["to_dispatch=1"])),
        ("disp-out", Ok(&["to_dispatch=0"])),
        ("h-lead", Ok(&["to_accept=1", "to_report_back=1"])),
        ("h-other", Ok(&["to_accept=0", "to_report_back=0"])),
        ("sup-in", Ok(&["overdue=1"])),
        ("sup-out", Ok(&["overdue=0"])),
        ("lead-in", Ok(&[])),
        ("sysadmin", Ok(&[])),
        ("", Err(401)),
    ];
    let mut wrong = Vec::new();
    for (who, want) in expected {
        let got = queues(&w, who).await;
        let want = want.map(|l| l.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        if got != want {
            wrong.push(format!("{who:>18}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));

    // The list of a queue holds exactly the counted cases.
    let list = |body: serde_json::Value| {
        body.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(list(get(&w, "/api/cases?queue=to_file", "op-in").await.1), [ids[0]]);
    assert_eq!(list(get(&w, "/api/cases?queue=to_rate", "resident:reporter").await.1), [ids[6]]);
    assert_eq!(list(get(&w, "/api/cases?queue=to_report_back", "h-lead").await.1), [ids[3]]);
    assert_eq!(list(get(&w, "/api/cases?queue=overdue", "sup-in").await.1), [ids[3]]);
    assert!(list(get(&w, "/api/cases?queue=to_file", "op-out").await.1).is_empty());
    // Within a queue, another state finds nothing; one of its own states narrows it.
    assert!(list(get(&w, "/api/cases?queue=to_dispatch&state=handling", "disp-in").await.1).is_empty());
    assert_eq!(list(get(&w, "/api/cases?queue=to_dispatch&state=filed", "disp-in").await.1), [ids[1]]);
    // Another role's queue is not the caller's to-do; an unknown one is bad input.
    let (status, body) = get(&w, "/api/cases?queue=to_file", "disp-in").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = get(&w, "/api/cases?queue=nothing&lang=en", "disp-in").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("no queue"), "{body}");
    let (_, body) = get(&w, "/api/queues?lang=en", "op-in").await;
    assert_eq!(body["queues"][0]["label"], "to file");
    assert_eq!(body["queues"][0]["action"], "file");
}

/// One case in each state from reported (0 steps) to closed (6 steps), by index.
async fn one_case_per_state(w: &World) -> Vec<i64> {
    let mut ids = Vec::new();
    for upto in 0..=6 {
        ids.push(support::case_upto(&w.engine, T0, upto).await);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_screen_per_level_for_staff_with_a_territory() {
    let w = world(CALLERS).await;
    let ids = one_case_per_state_one_overdue(&w).await;
    // One report today, in the other street.
    let today = NewReport {
        subclass: SubclassId::parse("s", "E0102").unwrap(),
        request_type: RequestType::Complaint,
        urgency: None,
        location: Point { lon: 116.4025, lat: 39.9005 },
        address: String::new(),
        description: "垃圾满溢".into(),
        channel: Channel::Portal,
        photos: vec![],
    };
    let fresh = w.engine.report(today, &Actor::resident("reporter"), Timestamp::now()).await.unwrap();

    // The district's leader, on the own node by default.
    let (status, s) = get(&w, "/api/screen", "lead-in").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!((s["area"]["code"].as_str(), s["area"]["level"].as_str()), (Some("110101"), Some("county")));
    assert_eq!((s["open"].as_i64(), s["overdue"].as_i64(), s["warning"].as_i64()), (Some(7), Some(1), Some(0)));
    assert_eq!((s["reported_today"].as_i64(), s["closed_today"].as_i64()), (Some(1), Some(0)));
    let children: Vec<(String, i64, i64)> = s["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap().to_owned(), c["open"].as_i64().unwrap(), c["overdue"].as_i64().unwrap()))
        .collect();
    assert_eq!(children, [("110101001".into(), 6, 1), ("110101002".into(), 1, 0)]);
    assert_eq!(s["children"][0]["name"], "东华门街道");
    let days = s["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(
        (days[29]["reported"].as_i64(), days[..29].iter().map(|d| d["reported"].as_i64().unwrap()).sum::<i64>()),
        (Some(1), 0)
    );
    assert_eq!(s["top_kinds"].as_array().unwrap().len(), 1, "only today's report is in the last 30 days");
    assert_eq!((s["top_kinds"][0]["subclass"].as_str(), s["top_kinds"][0]["count"].as_i64()), (Some("E0102"), Some(1)));
    let overdue: Vec<i64> = s["most_overdue"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(overdue, [ids[3]]);
    assert!(fresh.id > ids[6]);

    // A community's children are its grids; a grid has none.
    let (_, s) = get(&w, "/api/screen?area=110101001001", "disp-in").await;
    let grids: Vec<&str> = s["children"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(grids, ["110101001001001", "110101001001002"]);
    assert_eq!((s["children"][0]["open"].as_i64(), s["children"][1]["open"].as_i64()), (Some(6), Some(0)));
    let (status, s) = get(&w, "/api/screen", "grid-in").await;
    assert_eq!((status, s["area"]["level"].as_str(), s["open"].as_i64()), (StatusCode::OK, Some("grid"), Some(6)));
    assert!(s["children"].as_array().unwrap().is_empty());

    // Who may see which screen: outside the territory is 404, like a node that does not exist.
    let cases: &[(&str, &str, u16)] = &[
        ("sup-in", "", 200),
        ("sup-in", "110101001001001", 200),
        ("sup-in", "110101", 404),
        ("sup-in", "110101002", 404),
        ("sup-out", "110101001", 404),
        ("grid-out", "110101001001001", 404),
        ("op-in", "110101003", 404),
        ("op-in", "999", 400),
        ("insp-in", "", 200),
        ("chief-in", "110101002001", 200),
        ("h-lead", "", 403),
        ("resident:reporter", "", 403),
        ("sysadmin", "", 403),
        ("", "", 401),
    ];
    let mut wrong = Vec::new();
    for (who, area, want) in cases {
        let (status, body) = get(&w, &format!("/api/screen?area={area}"), who).await;
        if status.as_u16() != *want {
            wrong.push(format!("{who} {area}: expected {want}, got {status} {body}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn areas_have_outlines_from_their_grids() {
    let w = world(CALLERS).await;
    let (status, o) = get(&w, "/api/areas/110101001/outline", "").await;
    assert_eq!(status, StatusCode::OK, "{o}");
    assert_eq!(o["name"], "东华门街道");
    let ring = o["geometry"]["coordinates"][0].as_array().unwrap();
    // The two grids side by side: one rectangle, closed.
    assert_eq!(ring.len(), 5, "{ring:?}");
    assert_eq!(ring.first(), ring.last());
    let lons: Vec<f64> = ring.iter().map(|p| p[0].as_f64().unwrap()).collect();
    assert_eq!(lons.iter().cloned().fold(f64::INFINITY, f64::min), 116.40);
    assert!((lons.iter().cloned().fold(f64::NEG_INFINITY, f64::max) - 116.402).abs() < 1e-9);
    assert_eq!(get(&w, "/api/areas/110101009/outline", "").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&w, "/api/areas/110101001001001/outline", "").await.0, StatusCode::NOT_FOUND);
}
