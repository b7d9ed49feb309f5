//! FixMyStreet's `servicerequestupdates`, both ways.

use axum::http::StatusCode;
use yiwang_domain::case::{Action, Role, Satisfaction, State};
use yiwang_domain::time::Timestamp;

use super::*;

const UPDATES: &str = "/open311/v2/servicerequestupdates";

/// Parameters of an update, the status it is refused with, and what the refusal names.
type Refusal<'a> = (Vec<(&'a str, &'a str)>, StatusCode, &'a str);

fn supervisor() -> Actor {
    Actor::staff("sup", Role::Supervisor, &code("110101"), None)
}

/// `(update_id, status, external_status_code)` of each update, XML.
fn updates_xml(a: &Answer) -> Vec<(String, String, String)> {
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let doc = a.xml();
    assert_eq!(doc.root_element().tag_name().name(), "service_request_updates");
    children(doc.root_element(), "request_update")
        .iter()
        .map(|u| (text(*u, "update_id"), text(*u, "status"), text(*u, "external_status_code")))
        .collect()
}

fn q(t: Timestamp) -> String {
    t.to_rfc3339_cst().replace('+', "%2B")
}

#[tokio::test]
async fn the_feed_reports_each_change_of_state_in_its_window() {
    let f = fixture().await;
    let now = Timestamp(Timestamp::now().0 / 1000 * 1000);
    let t = now.plus_ms(-2 * DAY_MS);
    let a = f.report("E0102", t, IN_LONGFU, "垃圾").await;
    f.step(a.id, intake(), minutes(t, 1), Action::File { subclass: None, urgency: None }, "").await;
    f.step(a.id, dispatcher(), minutes(t, 2), Action::Dispatch { lead: "jd-2".into(), assisting: vec![] }, "").await;
    f.step(a.id, handler_jd2(), minutes(t, 3), Action::Accept, "").await;
    f.step(a.id, supervisor(), minutes(t, 4), Action::Urge, "快办").await;
    f.step(a.id, handler_jd2(), minutes(t, 5), Action::ReportBack, "已清理，联系 13812345678").await;
    f.step(a.id, inspector(), minutes(t, 6), Action::Verify { passed: true }, "").await;
    f.step(a.id, chief(), minutes(t, 7), Action::Close { fixed: true }, "").await;
    let evaluate = Action::Evaluate { satisfaction: Satisfaction::NotSatisfied, fixed: false, responded: None };
    let reopened = f.step(a.id, Actor::resident("r-1"), minutes(t, 8), evaluate, "还是没清").await;
    assert_eq!(reopened.state, State::Dispatched);
    let b = f.report("E0103", now.plus_ms(-DAY_MS), IN_DUOFU, "渣土").await;
    f.step(b.id, intake(), minutes(b.reported_at, 1), Action::File { subclass: None, urgency: None }, "").await;

    let id = |seq: u32| format!("{}_{seq}", a.id);
    let expected: Vec<(String, String, String)> = [
        (id(2), "INVESTIGATING", "filed"),
        (id(3), "ACTION_SCHEDULED", "dispatched"),
        (id(4), "IN_PROGRESS", "handling"),
        (id(6), "IN_PROGRESS", "reported_back"),
        (id(7), "FIXED", "verified"),
        (id(8), "FIXED", "closed_fixed"),
        (id(9), "REOPEN", "dispatched"),
        (format!("{}_2", b.id), "INVESTIGATING", "filed"),
    ]
    .into_iter()
    .map(|(a, b, c)| (a, b.to_owned(), c.to_owned()))
    .collect();

    let window = format!("{UPDATES}.xml?jurisdiction_id=110101&start_date={}&end_date={}", q(t), q(minutes(t, 10)));
    let got = f.get(&window).await;
    assert_eq!(updates_xml(&got), expected[..7], "oldest first; urging and the report itself are no updates");
    let doc = got.xml();
    let list = children(doc.root_element(), "request_update");
    assert_eq!(text(list[3], "service_request_id"), a.id.to_string());
    assert_eq!(text(list[3], "description"), "已清理，联系 138****5678");
    assert_eq!(text(list[3], "updated_datetime"), minutes(t, 5).to_rfc3339_cst());
    assert_eq!(text(list[3], "media_url"), "");

    let narrow = format!("{UPDATES}.xml?start_date={}&end_date={}", q(minutes(t, 5)), q(minutes(t, 6)));
    assert_eq!(updates_xml(&f.get(&narrow).await), expected[3..5], "both ends inclusive");
    assert_eq!(updates_xml(&f.get(&format!("{UPDATES}.xml")).await), expected, "the last 90 days");
    assert_eq!(updates_xml(&f.get(&format!("{UPDATES}.xml?page_size=3")).await), expected[..3]);
    assert_eq!(updates_xml(&f.get(&format!("{UPDATES}.xml?page_size=3&page=3")).await), expected[6..]);
    assert!(updates_xml(&f.get(&format!("{UPDATES}.xml?page_size=3&page=4")).await).is_empty());

    let j = f.get(&format!("{UPDATES}.json?start_date={}", q(t))).await.json();
    let list = j.as_array().unwrap();
    assert_eq!(list.len(), expected.len());
    for (u, (id, status, ours)) in list.iter().zip(&expected) {
        assert_eq!((u["update_id"].as_str().unwrap(), u["status"].as_str().unwrap()), (id.as_str(), status.as_str()));
        assert_eq!(u["external_status_code"], ours.as_str());
    }

    for bad in [
        format!("start_date={}&end_date={}", q(minutes(t, 6)), q(minutes(t, 5))),
        format!("start_date={}&end_date={}", q(t.plus_ms(-95 * DAY_MS)), q(t)),
        "end_date=soon".to_owned(),
    ] {
        assert_eq!(f.get(&format!("{UPDATES}.xml?{bad}")).await.xml_error().0, 400, "{bad}");
    }
}

#[tokio::test]
async fn posted_updates_are_steps_the_caller_may_take() {
    let f = fixture().await;
    let t = Timestamp::now().plus_ms(-60 * 60 * 1000);
    let case = f.report("E0102", t, IN_LONGFU, "垃圾").await;
    f.step(case.id, intake(), minutes(t, 1), Action::File { subclass: None, urgency: None }, "").await;
    f.step(case.id, dispatcher(), minutes(t, 2), Action::Dispatch { lead: "jd-2".into(), assisting: vec![] }, "").await;
    let id = case.id.to_string();
    let url = format!("{UPDATES}.xml");
    let update = |key: &'static str, status: &'static str, description: &'static str| {
        vec![
            ("jurisdiction_id", "110101"),
            ("api_key", key),
            ("service_request_id", id.as_str()),
            ("status", status),
            ("description", description),
            ("updated_datetime", "2026-11-21T10:00:00+08:00"),
            ("update_id", "fms-comment-1"),
            ("first_name", "三"),
            ("last_name", "张"),
            ("email", "zhang.san@example.com"),
        ]
    };
    let (fr, case_id) = (&f, case.id);
    let state = move || async move { fr.engine.case(case_id).await.unwrap().state };
    let events = move || async move { fr.engine.store().events(case_id).await.unwrap() };

    // The unit's system signs for the case…
    let a = f.post(&url, &update("jd2-key", "IN_PROGRESS", "已签收")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let doc = a.xml();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "service_request_updates");
    assert_eq!(text(children(root, "request_update")[0], "update_id"), format!("{id}_4"));
    assert_eq!(state().await, State::Handling);
    let e = events().await.pop().unwrap();
    assert_eq!(
        (e.step.as_str(), e.actor.as_str(), e.role, e.note.as_str()),
        ("accept", "jd2-system", Role::Handler, "已签收")
    );

    // …cannot sign twice (the engine says why, naming the state)…
    let a = f.post(&url, &update("jd2-key", "IN_PROGRESS", "")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.xml_error().1.contains("处置中"), "{}", a.body);

    // …reports back with a picture…
    let mut fixed = update("jd2-key", "FIXED", "已清运");
    fixed.push(("media_url", "https://unit.example.org/after.jpg"));
    let j = f.send("POST", &format!("{UPDATES}.json"), Some(form(&fixed)), None).await.json();
    assert_eq!(j, serde_json::json!([{"update_id": format!("{id}_5")}]));
    let e = events().await.pop().unwrap();
    assert_eq!(
        (e.step.as_str(), e.attachments.clone()),
        ("report_back", vec!["https://unit.example.org/after.jpg".to_owned()])
    );

    // …an inspector's system verifies, the shift chief closes, and reopens.
    assert_eq!(f.post(&url, &update("inspector-key", "FIXED", "")).await.status, StatusCode::OK);
    assert_eq!(state().await, State::Verified);
    assert_eq!(f.post(&url, &update("chief-key", "FIXED", "")).await.status, StatusCode::OK);
    assert_eq!(state().await, State::ClosedFixed);
    assert_eq!(f.post(&url, &update("chief-key", "REOPEN", "居民反映未清理干净")).await.status, StatusCode::OK);
    assert_eq!(state().await, State::Dispatched);
    // A return needs a reason.
    let a = f.post(&url, &update("jd2-key", "NOT_COUNCILS_RESPONSIBILITY", "")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.xml_error().1.contains("note"), "{}", a.body);
    assert_eq!(
        f.post(&url, &update("jd2-key", "not councils responsibility", "不属本单位职责")).await.status,
        StatusCode::OK
    );
    assert_eq!(state().await, State::Returned);

    let seen = events().await.len();
    let refusals: [Refusal; 14] = [
        (update("chief-key", "OPEN", "留言"), StatusCode::BAD_REQUEST, "OPEN"),
        (update("chief-key", "DUPLICATE", ""), StatusCode::BAD_REQUEST, "merge"),
        (update("chief-key", "CLOSED", ""), StatusCode::BAD_REQUEST, "NO_FURTHER_ACTION"),
        (update("intake-key", "FIXED", ""), StatusCode::FORBIDDEN, "FIXED"),
        (update("system-key", "IN_PROGRESS", ""), StatusCode::FORBIDDEN, "IN_PROGRESS"),
        (update("hw-key", "IN_PROGRESS", ""), StatusCode::NOT_FOUND, &id),
        (update("resident-key", "REOPEN", "x"), StatusCode::NOT_FOUND, &id),
        (update("jd2-key", "DONE", ""), StatusCode::BAD_REQUEST, "DONE"),
        (update("no-such-key", "FIXED", ""), StatusCode::FORBIDDEN, "api_key"),
        (update("jd2-key", "FIXED", "<p>x</p>"), StatusCode::BAD_REQUEST, "HTML"),
        (
            update("jd2-key", "FIXED", "").into_iter().filter(|(k, _)| *k != "status").collect(),
            StatusCode::BAD_REQUEST,
            "status",
        ),
        (
            update("jd2-key", "FIXED", "").into_iter().filter(|(k, _)| *k != "service_request_id").collect(),
            StatusCode::BAD_REQUEST,
            "service_request_id",
        ),
        (
            update("jd2-key", "FIXED", "")
                .into_iter()
                .map(|(k, v)| if k == "service_request_id" { (k, "999999") } else { (k, v) })
                .collect(),
            StatusCode::NOT_FOUND,
            "999999",
        ),
        (
            update("jd2-key", "FIXED", "")
                .into_iter()
                .map(|(k, v)| if k == "updated_datetime" { (k, "yesterday") } else { (k, v) })
                .collect(),
            StatusCode::BAD_REQUEST,
            "updated_datetime",
        ),
    ];
    for (pairs, status, says) in refusals {
        let a = f.post(&url, &pairs).await;
        assert_eq!(a.status, status, "{pairs:?}: {}", a.body);
        let (_, d) = a.xml_error();
        assert!(d.contains(says), "{pairs:?}: “{d}” should name {says}");
    }
    assert_eq!(events().await.len(), seen, "nothing refused was recorded");
    let all = serde_json::to_string(&events().await).unwrap();
    for personal in ["zhang.san", "fms-comment-1", "张"] {
        assert!(!all.contains(personal), "{personal} is not kept");
    }

    // What was posted shows in the feed like any change.
    let feed = updates_xml(&f.get(&format!("{UPDATES}.xml?start_date={}", q(t))).await);
    let statuses: Vec<&str> = feed.iter().map(|(_, s, _)| s.as_str()).collect();
    assert_eq!(
        statuses,
        [
            "INVESTIGATING",
            "ACTION_SCHEDULED",
            "IN_PROGRESS",
            "IN_PROGRESS",
            "FIXED",
            "FIXED",
            "REOPEN",
            "INTERNAL_REFERRAL"
        ]
    );
}
