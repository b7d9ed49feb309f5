//! The role matrix: every role, in and out of the case's place in the tree, against every
//! operation on a case, through the real router. Expected answers are written out by hand from
//! PRODUCT.md's roles and the rules, not computed by the code under test.
//!
//! The case lies in grid 110101001001001 (东华门街道), class E0101 (城管执法 → unit `cgzf`).
//! "in" callers hold their role on the case's grid, street or district; "out" callers on the
//! other street (110101002) or its grid.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use support::{World, world};
use tower::ServiceExt;
use yiwang_domain::case::Role;
use yiwang_domain::time::Timestamp;

/// The callers of the matrix: (header value, role, scope, unit).
const CALLERS: &[(&str, Role, &str, Option<&str>)] = &[
    ("grid-in", Role::GridMember, "110101001001001", None),
    ("grid-out", Role::GridMember, "110101002001001", None),
    ("insp-in", Role::Inspector, "110101001", None),
    ("insp-out", Role::Inspector, "110101002", None),
    ("op-in", Role::IntakeOperator, "110101", None),
    ("op-out", Role::IntakeOperator, "110101002", None),
    ("chief-in", Role::ShiftChief, "110101", Some("centre")),
    ("chief-out", Role::ShiftChief, "110101002", Some("centre")),
    ("disp-in", Role::Dispatcher, "110101", None),
    ("disp-out", Role::Dispatcher, "110101002", None),
    ("h-lead", Role::Handler, "110101", Some("cgzf")),
    ("h-other", Role::Handler, "110101", Some("hw")),
    ("sup-in", Role::Supervisor, "110101001", None),
    ("sup-out", Role::Supervisor, "110101002", None),
    ("lead-in", Role::Leader, "110101001", None),
    ("lead-out", Role::Leader, "110101002", None),
    ("sysadmin", Role::SystemAdmin, "110101", None),
    ("secadmin", Role::SecurityAdmin, "110101", None),
    ("auditadmin", Role::AuditAdmin, "110101", None),
];

/// Every caller: the matrix's staff, the reporter, another resident, and nobody.
const WHO: &[&str] = &[
    "resident:reporter",
    "resident:stranger",
    "grid-in",
    "grid-out",
    "insp-in",
    "insp-out",
    "op-in",
    "op-out",
    "chief-in",
    "chief-out",
    "disp-in",
    "disp-out",
    "h-lead",
    "h-other",
    "sup-in",
    "sup-out",
    "lead-in",
    "lead-out",
    "sysadmin",
    "secadmin",
    "auditadmin",
    "",
];

/// One operation: where the case must stand, then the request.
#[derive(Clone, Copy, Debug)]
enum Op {
    View,
    Timeline,
    List,
    File,
    Dispatch,
    Accept,
    ReportBack,
    Verify,
    Close,
    Evaluate,
    Supervise,
    Suggestions,
}

const OPS: [Op; 12] = [
    Op::View,
    Op::Timeline,
    Op::List,
    Op::File,
    Op::Dispatch,
    Op::Accept,
    Op::ReportBack,
    Op::Verify,
    Op::Close,
    Op::Evaluate,
    Op::Supervise,
    Op::Suggestions,
];

/// The expected status of each caller (in `WHO` order) for each operation (in `OPS` order).
/// 200 allowed; 401 anonymous; 404 the case is not visible to the caller (indistinguishable from
/// absent); 403 visible but the role may not do it, or (for lists) not allowed to list.
/// View, timeline and suggestions are asked of a case not yet dispatched, so the lead unit's
/// handler does not see it yet; each action is asked of a case in the state it applies to.
#[rustfmt::skip]
const EXPECTED: &[[u16; 12]] = &[
    //        View Tline List File Disp Acc  Back Ver  Close Eval Sup  Sugg
    /* reporter   */ [200, 200, 200, 403, 403, 403, 403, 403, 403, 200, 403, 403],
    /* stranger   */ [404, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* grid-in    */ [200, 200, 200, 403, 403, 403, 403, 200, 403, 403, 403, 403],
    /* grid-out   */ [404, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* insp-in    */ [200, 200, 200, 403, 403, 403, 403, 200, 403, 403, 403, 403],
    /* insp-out   */ [404, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* op-in      */ [200, 200, 200, 200, 403, 403, 403, 403, 403, 200, 403, 200],
    /* op-out     */ [404, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* chief-in   */ [200, 200, 200, 200, 403, 403, 403, 403, 200, 403, 403, 200],
    /* chief-out  */ [404, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* disp-in    */ [200, 200, 200, 403, 200, 403, 403, 403, 403, 403, 403, 200],
    /* disp-out   */ [404, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* h-lead     */ [404, 404, 200, 404, 404, 200, 200, 403, 403, 403, 403, 404],
    /* h-other    */ [404, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* sup-in     */ [200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 200, 403],
    /* sup-out    */ [404, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* lead-in    */ [200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403],
    /* lead-out   */ [404, 404, 200, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* sysadmin   */ [404, 404, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* secadmin   */ [404, 404, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* auditadmin */ [404, 404, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404],
    /* anonymous  */ [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401],
];

const T0: Timestamp = Timestamp(1_763_344_800_000);

/// A case brought, by the rightful staff, to where `op` applies.
async fn case_for(w: &World, op: Op) -> i64 {
    let upto = match op {
        Op::View | Op::Timeline | Op::List | Op::File | Op::Suggestions => 0,
        Op::Dispatch => 1,
        Op::Accept | Op::Supervise => 2,
        Op::ReportBack => 3,
        Op::Verify => 4,
        Op::Close => 5,
        Op::Evaluate => 6,
    };
    support::case_upto(&w.engine, T0, upto).await
}

fn request(op: Op, id: i64, who: &str) -> Request<Body> {
    let (method, uri, body) = match op {
        Op::View => ("GET", format!("/api/cases/{id}"), None),
        Op::Timeline => ("GET", format!("/api/cases/{id}/events"), None),
        Op::List => ("GET", "/api/cases".to_string(), None),
        Op::Suggestions => ("GET", format!("/api/cases/{id}/suggestions"), None),
        _ => {
            let body = match op {
                Op::File => serde_json::json!({"action": "file"}),
                Op::Dispatch => serde_json::json!({"action": "dispatch", "lead": "cgzf", "assisting": []}),
                Op::Accept => serde_json::json!({"action": "accept"}),
                Op::ReportBack => {
                    serde_json::json!({"action": "report_back", "note": "已清理"})
                }
                Op::Verify => serde_json::json!({"action": "verify", "passed": true}),
                Op::Close => serde_json::json!({"action": "close", "fixed": true}),
                Op::Evaluate => serde_json::json!({"action": "evaluate", "satisfaction": "satisfied", "fixed": true}),
                Op::Supervise => serde_json::json!({"action": "supervise"}),
                _ => unreachable!(),
            };
            ("POST", format!("/api/cases/{id}/actions"), Some(body))
        }
    };
    let mut r = Request::builder().method(method).uri(uri);
    if !who.is_empty() {
        r = r.header("x-test-actor", who);
    }
    match body {
        Some(b) => r.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
        None => r.body(Body::empty()).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_in_every_place_gets_the_right_answer() {
    let w = world(CALLERS).await;
    let mut wrong = Vec::new();
    for (o, op) in OPS.iter().enumerate() {
        for (c, who) in WHO.iter().enumerate() {
            let id = case_for(&w, *op).await;
            let res = w.app.clone().oneshot(request(*op, id, who)).await.unwrap();
            let status = res.status();
            let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
            let mut got = status.as_u16();
            // A list answers 200 to everyone allowed to list; it must contain the case exactly
            // when the caller may see it.
            if matches!(op, Op::List) && status == StatusCode::OK {
                let list: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
                let sees = list.iter().any(|c| c["id"] == id);
                let should = EXPECTED[c][0] == 200;
                if sees != should {
                    got = if sees { 999 } else { 998 };
                }
            }
            if got != EXPECTED[c][o] {
                wrong.push(format!(
                    "{who:>18} {op:?}: expected {}, got {got} {}",
                    EXPECTED[c][o],
                    String::from_utf8_lossy(&body)
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} wrong answers:\n{}", wrong.len(), wrong.join("\n"));
}

#[tokio::test]
async fn refusals_speak_the_callers_language() {
    let w = world(CALLERS).await;
    let id = case_for(&w, Op::File).await;
    let mut r = request(Op::Dispatch, id, "disp-in");
    *r.uri_mut() = format!("/api/cases/{id}/actions?lang=en").parse().unwrap();
    let res = w.app.clone().oneshot(r).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: serde_json::Value =
        serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
    assert_eq!(body["code"], "illegal_transition");
    assert!(body["message"].as_str().unwrap().contains("dispatcher"), "{body}");
    let res = w.app.clone().oneshot(request(Op::Dispatch, id, "disp-in")).await.unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
    assert!(body["message"].as_str().unwrap().contains("派遣员"), "{body}");
}
