//! The public board and the places for choosing a place without a map, through the real router:
//! anonymous access, what is masked and coarsened, which states are shown, the area and circle
//! filters, the rate limit; landmarks by community and places by words. Expected answers are
//! written out by hand.
//!
//! The conformance district: street 1 (东华门, 110101001) west of longitude 116.402, street 2
//! (景山, 110101002) east of it, at latitude 39.900–39.901.

mod support;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::Value;
use support::{World, case_upto, world, world_with};
use tower::ServiceExt;
use yiwang_domain::case::{Action, Actor, Channel, Command, Role};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::{Point, distance_m};
use yiwang_domain::jurisdiction::Landmark;
use yiwang_domain::taxonomy::{RequestType, SubclassId};
use yiwang_domain::time::Timestamp;
use yiwang_engine::NewReport;
use yiwang_server::limits::{Limits, Rate};

const STAFF: &[support::TestStaff] = &[
    ("op-in", Role::IntakeOperator, "110101", None),
    ("disp-in", Role::Dispatcher, "110101", None),
    ("h-lead", Role::Handler, "110101", Some("cgzf")),
    ("grid-in", Role::GridMember, "110101001001001", None),
    ("chief-in", Role::ShiftChief, "110101", Some("centre")),
];

const T0: Timestamp = Timestamp(1_763_344_800_000);
const PHOTO: &str = "0123456789abcdef0123456789abcdef";

/// Percent-encodes what a URI may not hold as it is (Chinese words, spaces).
fn uri_of(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_graphic() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn call(w: &World, uri: &str, who: &str, from: Option<&str>) -> (StatusCode, HeaderMap, Value) {
    let mut r = Request::builder().uri(uri_of(uri));
    if !who.is_empty() {
        r = r.header("x-test-actor", who);
    }
    let mut req = r.body(Body::empty()).unwrap();
    if let Some(ip) = from {
        req.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 40000)));
    }
    let res = w.app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap();
    (status, headers, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn get(w: &World, uri: &str) -> (StatusCode, Value) {
    let (s, _, b) = call(w, uri, "", None).await;
    (s, b)
}

fn ids(body: &Value) -> Vec<i64> {
    body.as_array().unwrap_or_else(|| panic!("a list: {body}")).iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

async fn report(w: &World, p: Point, description: &str, address: &str, photos: Vec<String>) -> i64 {
    let r = NewReport {
        subclass: SubclassId::parse("s", "E0101").unwrap(),
        request_type: RequestType::Complaint,
        urgency: None,
        location: p,
        address: address.into(),
        description: description.into(),
        channel: Channel::Portal,
        photos,
    };
    w.engine.report(r, &Actor::resident("resident-1"), T0).await.unwrap().id
}

async fn act(w: &World, id: i64, who: &str, action: Action) {
    let actor = w.engine.loaded().staff(who).unwrap().actor();
    let cmd = Command { actor, at: T0.plus_ms(60_000), action, note: "说明".into(), attachments: vec![] };
    w.engine.act(id, cmd).await.unwrap();
}

/// One case in each kind of state: reported (hidden), voided (hidden), filed in street 1 with
/// personal data in its words and a photo, filed in street 2, closed in street 1.
struct Board {
    reported: i64,
    voided: i64,
    masked: i64,
    street2: i64,
    closed: i64,
}

async fn board(w: &World) -> Board {
    let reported = report(w, Point::new(116.4005, 39.9005), "垃圾满溢", "", vec![]).await;
    let voided = report(w, Point::new(116.4006, 39.9005), "测试", "", vec![]).await;
    act(w, voided, "chief-in", Action::Void).await;
    let masked = report(
        w,
        Point::new(116.400_37, 39.900_42),
        "井盖缺失，联系我 13812345678，身份证 11010519491231002X",
        "东华门大街 3 号，电话 010-65123456",
        vec![PHOTO.into(), "demo/report-1.jpg".into()],
    )
    .await;
    act(w, masked, "op-in", Action::File { subclass: None, urgency: None }).await;
    let street2 = report(w, Point::new(116.4025, 39.9005), "路灯不亮", "", vec![]).await;
    act(w, street2, "op-in", Action::File { subclass: None, urgency: None }).await;
    let closed = case_upto(&w.engine, T0, 6).await;
    Board { reported, voided, masked, street2, closed }
}

#[tokio::test]
async fn anyone_reads_the_board_masked_and_coarsened() {
    let w = world(STAFF).await;
    let b = board(&w).await;

    let (s, all) = get(&w, "/api/public/cases").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    // Newest first; neither the unfiled nor the voided case.
    assert_eq!(ids(&all), vec![b.closed, b.street2, b.masked]);
    assert!(!ids(&all).contains(&b.reported) && !ids(&all).contains(&b.voided));

    let c = all.as_array().unwrap().iter().find(|c| c["id"] == b.masked).unwrap();
    assert_eq!(c["description"], "井盖缺失，联系我 138****5678，身份证 110105********002X");
    assert_eq!(c["address"], "东华门大街 3 号，电话 010-****3456");
    assert_eq!(c["state"], "filed");
    assert_eq!(c["open"], true);
    assert_eq!(c["subclass"], "E0101");
    assert_eq!(c["grid"], "110101001001001");
    // No reporter, followers, actors or anything of the case's inner life.
    for key in ["reporter", "followers", "channel", "handled_by", "rating", "events", "seq"] {
        assert!(c.get(key).is_none(), "{key} is not public: {c}");
    }
    let text = all.to_string();
    assert!(!text.contains("resident-1") && !text.contains("op-in") && !text.contains("13812345678"), "{text}");
    // Snapped: moved, but by less than half a 50 m cell's diagonal.
    let shown = Point::new(c["lon"].as_f64().unwrap(), c["lat"].as_f64().unwrap());
    let moved = distance_m(shown, Point::new(116.400_37, 39.900_42));
    assert!(moved > 0.0 && moved <= 36.0, "moved {moved} m");
    // Only the uploaded photo, as its public variant.
    assert_eq!(c["photos"], serde_json::json!([format!("/api/attachments/{PHOTO}")]));

    let closed = all.as_array().unwrap().iter().find(|c| c["id"] == b.closed).unwrap();
    assert_eq!(closed["open"], false);
    assert!(closed["closed_at"].is_string() && closed["lead_unit"]["id"] == "cgzf", "{closed}");

    // Signed in, the same board.
    let (s, _, mine) = call(&w, "/api/public/cases", "resident:resident-1", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&mine), ids(&all));
    // In English, names in English.
    let (_, en) = get(&w, "/api/public/cases?lang=en&state=closed").await;
    assert_eq!(en[0]["state_name"], "closed, fixed");
}

#[tokio::test]
async fn the_board_filters_by_state_area_and_circle() {
    let w = world(STAFF).await;
    let b = board(&w).await;

    let (_, open) = get(&w, "/api/public/cases?state=open").await;
    assert_eq!(ids(&open), vec![b.street2, b.masked]);
    let (_, closed) = get(&w, "/api/public/cases?state=closed").await;
    assert_eq!(ids(&closed), vec![b.closed]);
    let (_, any) = get(&w, "/api/public/cases?state=").await;
    assert_eq!(ids(&any).len(), 3);

    let (_, street2) = get(&w, "/api/public/cases?area=110101002").await;
    assert_eq!(ids(&street2), vec![b.street2]);
    let (_, grid) = get(&w, "/api/public/cases?area=110101001001001&state=open").await;
    assert_eq!(ids(&grid), vec![b.masked]);

    // 100 m around the street 2 case: the street 1 cases are 170 m and more to the west.
    let (_, near) = get(&w, "/api/public/cases?lon=116.4025&lat=39.9005&radius_m=100").await;
    assert_eq!(ids(&near), vec![b.street2]);
    let (_, wide) = get(&w, "/api/public/cases?lon=116.4025&lat=39.9005&radius_m=1000").await;
    assert_eq!(ids(&wide), vec![b.closed, b.street2, b.masked]);
    let (_, both) = get(&w, "/api/public/cases?lon=116.4025&lat=39.9005&radius_m=1000&area=110101001").await;
    assert_eq!(ids(&both), vec![b.closed, b.masked]);

    // Paging.
    let (_, page) = get(&w, &format!("/api/public/cases?limit=1&before={}", b.closed)).await;
    assert_eq!(ids(&page), vec![b.street2]);

    for (uri, field) in [
        ("/api/public/cases?state=voided", "state"),
        ("/api/public/cases?lon=116.4&lat=39.9", "radius_m"),
        ("/api/public/cases?lon=116.4&lat=39.9&radius_m=5001", "radius_m"),
        ("/api/public/cases?lon=116.4&lat=39.9&radius_m=0", "radius_m"),
        ("/api/public/cases?lon=200&lat=39.9&radius_m=10", "lon"),
        ("/api/public/cases?limit=201", "limit"),
        ("/api/public/cases?area=1101010", "area"),
    ] {
        let (s, body) = get(&w, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(body["message"].as_str().unwrap().contains(field), "{uri}: {body}");
    }
    let (s, body) = get(&w, "/api/public/cases?state=bogus&lang=en").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("open, closed or empty"), "{body}");
}

#[tokio::test]
async fn the_board_is_rate_limited_per_address() {
    let limits = Limits { public_board: Rate::per_minute(2), ..Limits::default() };
    let w = world_with(STAFF, limits).await;
    for _ in 0..2 {
        let (s, _, _) = call(&w, "/api/public/cases", "", Some("203.0.113.7")).await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, headers, body) = call(&w, "/api/public/cases", "", Some("203.0.113.7")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "rate_limited");
    let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    // Signed in or not, the same address; another address has its own allowance.
    let (s, _, _) = call(&w, "/api/public/cases", "resident:r", Some("203.0.113.7")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _, _) = call(&w, "/api/public/cases", "", Some("203.0.113.8")).await;
    assert_eq!(s, StatusCode::OK);
    // Other reads are not counted here.
    let (s, _, _) = call(&w, "/api/landmarks?area=110101001001", "", Some("203.0.113.7")).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn landmarks_of_a_community_by_name() {
    let w = world(STAFF).await;
    let (s, list) = get(&w, "/api/landmarks?area=110101001001").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(
        list,
        serde_json::json!([
            {"name": "多福巷社区居委会", "lon": 116.4005, "lat": 39.9005, "address": "多福巷 1 号"},
            {"name": "多福巷菜市场", "lon": 116.4015, "lat": 39.9008, "address": null},
        ])
    );
    let (_, other) = get(&w, "/api/landmarks?area=110101002001").await;
    assert_eq!(other.as_array().unwrap().len(), 1);
    let (s, body) = get(&w, "/api/landmarks?area=110101001").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a street is not a community: {body}");
    let (s, _) = get(&w, "/api/landmarks?area=110101001009").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get(&w, "/api/landmarks").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Reference data with a landmark outside its community is refused whole.
    let mut bad = w.engine.loaded().reference.clone();
    bad.landmarks.push(Landmark {
        community: AreaCode::parse("t", "110101001001").unwrap(),
        name: "隆福寺大街".into(),
        location: Point::new(116.4035, 39.9005),
        address: None,
    });
    let e = w.engine.import_reference(bad).await.unwrap_err();
    assert!(e.to_string().contains("outside its community's grids"), "{e}");
    assert_eq!(w.engine.loaded().reference.landmarks.len(), 3, "the old reference stays");
}

#[tokio::test]
async fn places_by_words() {
    let w = world(STAFF).await;
    let names = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
    };
    let (s, found) = get(&w, "/api/places?q=隆福寺").await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert_eq!(names(&found), ["隆福寺公交站", "隆福寺社区"]);
    // The community's point lies in one of its grids, and it says where the community is.
    let community = &found[1];
    let p = Point::new(community["lon"].as_f64().unwrap(), community["lat"].as_f64().unwrap());
    assert!(w.engine.locate(p).unwrap().as_str().starts_with("110101002001"), "{community}");
    assert_eq!(community["address"], "景山街道");

    // Every word must match, in the name or the address.
    let (_, found) = get(&w, "/api/places?q=多福巷 1").await;
    assert_eq!(names(&found), ["多福巷社区居委会"]);
    let (_, found) = get(&w, "/api/places?q=街道").await;
    assert_eq!(names(&found), ["东华门街道", "景山街道"]);
    let (_, found) = get(&w, "/api/places?q=没有这个地方").await;
    assert_eq!(found, serde_json::json!([]));

    for q in ["", "  ", &"长".repeat(51)] {
        let (s, body) = get(&w, &format!("/api/places?q={q}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert!(body["message"].as_str().unwrap().contains('q'), "{body}");
    }
    let (s, _) = get(&w, "/api/places").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_api_document_describes_the_public_routes() {
    let w = world(&[]).await;
    let (_, doc) = get(&w, "/api/openapi.json").await;
    for path in ["/api/public/cases", "/api/landmarks", "/api/places"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    assert!(doc["paths"]["/api/public/cases"]["get"]["responses"]["429"].is_object());
    assert!(doc["components"]["schemas"]["PublicCaseView"].is_object());
}
