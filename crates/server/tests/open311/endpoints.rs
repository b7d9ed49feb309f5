//! Discovery, services, definitions, requests (GET and POST), tokens, jurisdictions and errors.

use axum::http::StatusCode;
use yiwang_domain::case::{Action, Channel, Role, State};
use yiwang_domain::taxonomy::{RequestType, Urgency};
use yiwang_domain::time::Timestamp;

use super::*;

const BASE: &str = "/open311/v2";

#[tokio::test]
async fn discovery_says_where_and_what() {
    let f = fixture().await;
    let a = f.send("GET", &format!("{BASE}/discovery.xml"), None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.content_type, "text/xml; charset=utf-8");
    assert!(a.body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    let doc = a.xml();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "discovery");
    assert!(!text(root, "changeset").is_empty());
    let endpoint = children(children(root, "endpoints")[0], "endpoint")[0];
    assert_eq!(text(endpoint, "specification"), "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(text(endpoint, "type"), "production");
    let formats: Vec<_> =
        children(children(endpoint, "formats")[0], "format").iter().map(|n| n.text().unwrap().to_owned()).collect();
    assert_eq!(formats, ["text/xml", "application/json"]);

    let j = f.get(&format!("{BASE}/discovery.json")).await.json();
    assert_eq!(j["endpoints"][0]["formats"], serde_json::json!(["text/xml", "application/json"]));
    assert_eq!(j["changeset"], text(root, "changeset").as_str());
    assert!(j["contact"].as_str().unwrap().contains("12345"));
}

#[tokio::test]
async fn services_are_the_taxonomy() {
    let f = fixture().await;
    let doc_answer = f.get(&format!("{BASE}/services.xml")).await;
    let doc = doc_answer.xml();
    assert_eq!(doc.root_element().tag_name().name(), "services");
    let services = children(doc.root_element(), "service");
    assert_eq!(services.len(), f.engine.rules().taxonomy.subclasses.len());
    let rubbish = services.iter().find(|s| text(**s, "service_code") == "E0102").expect("E0102 listed");
    assert_eq!(text(*rubbish, "service_name"), "暴露垃圾");
    assert_eq!(text(*rubbish, "group"), "市容环境");
    assert_eq!(text(*rubbish, "metadata"), "true");
    assert_eq!(text(*rubbish, "type"), "realtime");
    assert!(text(*rubbish, "keywords").contains("乱扔垃圾, "), "{}", text(*rubbish, "keywords"));
    assert!(text(*rubbish, "description").contains("1 个工作日"));

    // JSON: the same data, in the caller's language.
    let json = f.send("GET", &format!("{BASE}/services.json"), None, Some("en")).await.json();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), services.len());
    for (x, j) in services.iter().zip(list) {
        assert_eq!(text(*x, "service_code"), j["service_code"].as_str().unwrap());
        assert_eq!(text(*x, "keywords"), j["keywords"].as_str().unwrap());
        assert_eq!(j["metadata"], true);
    }
    let rubbish = list.iter().find(|s| s["service_code"] == "E0102").unwrap();
    assert_eq!(rubbish["service_name"], "Exposed rubbish");
    assert_eq!(rubbish["group"], "City appearance");
    assert!(rubbish["description"].as_str().unwrap().contains("1 working day"));
}

#[tokio::test]
async fn service_definitions_and_the_singular_alias() {
    let f = fixture().await;
    let plural = f.get(&format!("{BASE}/services/E0401.xml")).await;
    let singular = f.get(&format!("{BASE}/service/E0401.xml")).await;
    assert_eq!(plural.status, StatusCode::OK);
    assert_eq!(plural.body, singular.body, "service/{{code}} is the same resource");
    let doc = plural.xml();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "service_definition");
    assert_eq!(text(root, "service_code"), "E0401");
    let attributes = children(children(root, "attributes")[0], "attribute");
    assert_eq!(attributes.len(), 2);
    let codes: Vec<_> = attributes.iter().map(|a| text(*a, "code")).collect();
    assert_eq!(codes, ["request_type", "urgency"]);
    for a in &attributes {
        assert_eq!(text(*a, "datatype"), "singlevaluelist");
        assert_eq!(text(*a, "variable"), "true");
        assert_eq!(text(*a, "required"), "false");
    }
    let urgency_keys: Vec<_> =
        children(children(attributes[1], "values")[0], "value").iter().map(|v| text(*v, "key")).collect();
    assert_eq!(urgency_keys, ["urgent", "normal", "deferred"]);
    // 管道破裂 is urgent by default.
    assert!(text(attributes[1], "datatype_description").contains("urgent"));

    let j = f.get(&format!("{BASE}/service/E0401.json")).await.json();
    assert_eq!(j["service_code"], "E0401");
    assert_eq!(j["attributes"][0]["values"].as_array().unwrap().len(), 6);
    assert_eq!(j["attributes"][1]["order"], 2);
    assert_eq!(j["attributes"][0]["values"][2], serde_json::json!({"key": "complaint", "name": "投诉"}));

    for missing in ["E9999", "nonsense", "e0102x"] {
        let a = f.get(&format!("{BASE}/services/{missing}.xml")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{missing}");
        assert!(a.xml_error().1.contains(missing));
        let a = f.get(&format!("{BASE}/service/{missing}.json")).await;
        assert_eq!(a.json_error().0, 404);
    }
}

fn a_request<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut pairs = vec![
        ("jurisdiction_id", "110101"),
        ("api_key", "intake-key"),
        ("service_code", "E0102"),
        ("lat", "39.9005"),
        ("long", "116.4005"),
        ("description", "垃圾堆在路口，联系人 13812345678"),
    ];
    pairs.extend_from_slice(extra);
    pairs
}

#[tokio::test]
async fn a_posted_request_reads_back_in_xml_and_json() {
    let f = fixture().await;
    let a = f
        .post(
            &format!("{BASE}/requests.xml"),
            &a_request(&[
                ("address_string", "多福巷 3 号门前"),
                ("media_url", "https://photos.example.org/1.jpg"),
                ("media_url", "https://photos.example.org/2.jpg"),
                ("attribute[request_type]", "help"),
                ("attribute[urgency]", "urgent"),
                ("attribute[fixmystreet_id]", "4711"),
                ("email", "zhang.san@example.com"),
                ("first_name", "三"),
                ("last_name", "张"),
                ("phone", "13900001111"),
                ("account_id", "fms-user-17"),
            ]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let doc = a.xml();
    assert_eq!(doc.root_element().tag_name().name(), "service_requests");
    let created = children(doc.root_element(), "request");
    assert_eq!(created.len(), 1);
    let id = text(created[0], "service_request_id");
    assert!(text(created[0], "service_notice").contains("2 个工作小时"), "urgent");
    assert_eq!(text(created[0], "account_id"), "");

    // The case, as the engine keeps it.
    let case = f.engine.case(id.parse().unwrap()).await.unwrap();
    assert_eq!(case.channel, Channel::Open311);
    assert_eq!((case.request_type, case.urgency), (RequestType::Help, Urgency::Urgent));
    assert_eq!(case.grid.as_str(), "110101001001001");
    assert_eq!(case.reporter, "fms/account/fms-user-17", "the person as the client system knows them");
    assert_eq!(case.photos, ["https://photos.example.org/1.jpg", "https://photos.example.org/2.jpg"]);
    assert_eq!(case.address, "多福巷 3 号门前");
    let events = f.engine.store().events(case.id).await.unwrap();
    assert_eq!((events[0].actor.as_str(), events[0].role), ("fms", Role::IntakeOperator), "the key's caller acts");
    let stored = serde_json::to_string(&case).unwrap() + &serde_json::to_string(&events).unwrap();
    for personal in ["zhang.san", "13900001111", "张", "三"] {
        assert!(!stored.contains(personal), "{personal} is not kept");
    }

    // Read back, in both formats: one request, masked.
    let x = f.get(&format!("{BASE}/requests/{id}.xml?jurisdiction_id=110101")).await;
    let doc = x.xml();
    let list = children(doc.root_element(), "request");
    assert_eq!(list.len(), 1, "a single request is a list of one");
    let r = list[0];
    assert_eq!(text(r, "service_request_id"), id);
    assert_eq!(text(r, "status"), "open");
    assert_eq!(text(r, "status_notes"), "待立案");
    assert_eq!(text(r, "service_code"), "E0102");
    assert_eq!(text(r, "service_name"), "暴露垃圾");
    assert_eq!(text(r, "description"), "垃圾堆在路口，联系人 138****5678");
    assert_eq!(text(r, "address_id"), "110101001001001");
    assert_eq!(text(r, "media_url"), "https://photos.example.org/1.jpg");
    assert_eq!(text(r, "lat"), "39.9005");
    assert_eq!(text(r, "long"), "116.4005");
    assert_eq!(text(r, "requested_datetime"), case.reported_at.to_rfc3339_cst());
    assert!(text(r, "requested_datetime").ends_with("+08:00"));
    assert_eq!(text(r, "updated_datetime"), text(r, "requested_datetime"));
    assert!(!x.body.contains("fms-user-17") && !x.body.contains("reporter"), "no reporter in public");

    let j = f.get(&format!("{BASE}/requests/{id}.json")).await.json();
    let list = j.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["service_request_id"], id.as_str(), "ids are strings");
    assert_eq!(list[0]["lat"], 39.9005);
    assert_eq!(list[0]["long"], 116.4005);
    assert_eq!(list[0]["description"], text(r, "description").as_str());
    assert_eq!(list[0]["zipcode"], serde_json::Value::Null);

    // JSON POST answers the same shape.
    let j = f.post(&format!("{BASE}/requests.json"), &a_request(&[])).await.json();
    assert!(j[0]["service_request_id"].as_str().unwrap().parse::<i64>().is_ok());
    let second = f.engine.case(j[0]["service_request_id"].as_str().unwrap().parse().unwrap()).await.unwrap();
    assert_eq!(second.reporter, "fms", "no account or device: the client system itself reports");
    assert_eq!(second.request_type, RequestType::Complaint);
}

#[tokio::test]
async fn reports_without_a_pin_are_placed_by_name_or_grid_code() {
    let f = fixture().await;
    let post = |extra: Vec<(&'static str, &'static str)>| {
        let mut pairs = vec![
            ("jurisdiction_id", "110101"),
            ("api_key", "intake-key"),
            ("service_code", "C0101"),
            ("description", "井盖丢了"),
        ];
        pairs.extend(extra);
        pairs
    };
    let grid_of = |a: &Answer| {
        let doc = a.xml();
        text(children(doc.root_element(), "request")[0], "service_request_id").parse::<i64>().unwrap()
    };
    let cases = [
        (
            vec![("address_id", "#NOTPINPOINTED#"), ("address_string", "东城区景山街道隆福寺社区 东四北大街")],
            "110101002001",
        ),
        (vec![("address_string", "多福巷社区居委会旁")], "110101001001"),
        (vec![("address_id", "110101002001002")], "110101002001002"),
        (vec![("address_id", "110101001001")], "110101001001"),
        (vec![("address_string", "网格110101002001002 内")], "110101002001002"),
    ];
    for (extra, expected) in cases {
        let a = f.post(&format!("{BASE}/requests.xml"), &post(extra.clone())).await;
        assert_eq!(a.status, StatusCode::OK, "{extra:?}: {}", a.body);
        let case = f.engine.case(grid_of(&a)).await.unwrap();
        assert!(case.grid.as_str().starts_with(expected), "{extra:?} → {}", case.grid);
    }
    let refusals = [
        (vec![("address_id", "#NOTPINPOINTED#")], "#NOTPINPOINTED#"),
        (vec![("address_string", "景山街道")], "景山街道"),
        (vec![("address_string", "火星基地")], "火星基地"),
        (vec![("address_id", "999")], "999"),
        (vec![("address_id", "110101009001001")], "110101009001001"),
        (vec![], "lat"),
        (vec![("lat", "39.9")], "long"),
        (vec![("lat", "north"), ("long", "116.4")], "north"),
    ];
    for (extra, named) in refusals {
        let a = f.post(&format!("{BASE}/requests.xml"), &post(extra.clone())).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{extra:?}: {}", a.body);
        let (_, description) = a.xml_error();
        assert!(description.contains(named), "{extra:?}: {description}");
    }
}

#[tokio::test]
async fn posting_is_refused_as_the_spec_says() {
    let f = fixture().await;
    let url = format!("{BASE}/requests.xml");
    let check = |a: Answer, status: StatusCode, says: &str| {
        assert_eq!(a.status, status, "{says}: {}", a.body);
        let (_, d) = a.xml_error();
        assert!(d.contains(says), "expected “{says}” in “{d}”");
    };
    let without = |name: &str| a_request(&[]).into_iter().filter(|(k, _)| *k != name).collect::<Vec<_>>();
    check(f.post(&url, &without("api_key")).await, StatusCode::FORBIDDEN, "api_key");
    let mut wrong = without("api_key");
    wrong.push(("api_key", "no-such-key"));
    check(f.post(&url, &wrong).await, StatusCode::FORBIDDEN, "api_key");
    let mut locked = without("api_key");
    locked.push(("api_key", "locked-key"));
    check(f.post(&url, &locked).await, StatusCode::FORBIDDEN, "请先登录");
    let mut admin = without("api_key");
    admin.push(("api_key", "admin-key"));
    check(f.post(&url, &admin).await, StatusCode::FORBIDDEN, "管理员");
    check(f.post(&url, &without("service_code")).await, StatusCode::BAD_REQUEST, "service_code");
    let mut unknown = without("service_code");
    unknown.push(("service_code", "E9999"));
    check(f.post(&url, &unknown).await, StatusCode::BAD_REQUEST, "E9999");
    check(f.post(&url, &without("description")).await, StatusCode::BAD_REQUEST, "description");
    let mut html = without("description");
    html.push(("description", "<b>垃圾</b>"));
    check(f.post(&url, &html).await, StatusCode::BAD_REQUEST, "HTML");
    let long = "长".repeat(4001);
    let mut too_long = without("description");
    too_long.push(("description", &long));
    check(f.post(&url, &too_long).await, StatusCode::BAD_REQUEST, "4000");
    check(
        f.post(&url, &a_request(&[("attribute[urgency]", "soon")])).await,
        StatusCode::BAD_REQUEST,
        "attribute[urgency]",
    );
    check(f.post(&url, &a_request(&[("media_url", "ftp://x/1.jpg")])).await, StatusCode::BAD_REQUEST, "media_url");
    check(f.post(&url, &a_request(&[("account_id", "a b")])).await, StatusCode::BAD_REQUEST, "account_id");
    // Outside every grid: the engine refuses, naming the nearest grid.
    let mut far = without("long");
    far.push(("long", "117.5"));
    check(f.post(&url, &far).await, StatusCode::BAD_REQUEST, "110101");

    // In the caller's language, in JSON too.
    let a = f.send("POST", &format!("{BASE}/requests.json"), Some(form(&without("api_key"))), Some("en")).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.json_error().1, "an api_key is required");

    // The spec's form encoding only.
    let res = f
        .router
        .clone()
        .oneshot(
            axum::http::Request::post(format!("{BASE}/requests.xml"))
                .header("content-type", "multipart/form-data; boundary=x")
                .body(axum::body::Body::from("--x--"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(f.engine.store().count_cases().await.unwrap(), 0, "nothing refused was recorded");
}

/// Five cases: three recent, one closed, one older than 90 days.
async fn history(f: &Fixture) -> (Timestamp, Vec<i64>) {
    // Whole seconds, as dates are written.
    let now = Timestamp(Timestamp::now().0 / 1000 * 1000);
    let c_old = f.report("E0102", now.plus_ms(-100 * DAY_MS), IN_DUOFU, "旧的垃圾").await;
    let c_new1 =
        f.report("E0103", now.plus_ms(-3 * DAY_MS), IN_LONGFU, "渣土，网格110101002001001，电话 010-12345678").await;
    let c_void = f.report("E0101", now.plus_ms(-2 * DAY_MS), IN_DUOFU, "骂人的话 13812345678").await;
    f.step(c_void.id, chief(), now.plus_ms(-2 * DAY_MS + 60_000), Action::Void, "无效举报").await;
    let c_new2 = f.report("E0102", now.plus_ms(-DAY_MS), IN_LONGFU, "垃圾没人清").await;
    (now, vec![c_old.id, c_new1.id, c_void.id, c_new2.id])
}

fn ids_xml(a: &Answer) -> Vec<i64> {
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let doc = a.xml();
    assert_eq!(doc.root_element().tag_name().name(), "service_requests");
    children(doc.root_element(), "request").iter().map(|r| text(*r, "service_request_id").parse().unwrap()).collect()
}

fn ids_json(a: &Answer) -> Vec<i64> {
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json().as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().parse().unwrap()).collect()
}

#[tokio::test]
async fn request_lists_filter_default_and_page() {
    let f = fixture().await;
    let (now, ids) = history(&f).await;
    let [old, new1, void, new2] = ids[..] else { unreachable!() };
    let fr = &f;
    let list = |q: &str| {
        let url = format!("{BASE}/requests.xml?jurisdiction_id=110101&{q}");
        async move { ids_xml(&fr.get(&url).await) }
    };
    assert_eq!(list("").await, [new2, void, new1], "the last 90 days, newest first");
    assert_eq!(ids_json(&f.get(&format!("{BASE}/requests.json")).await), [new2, void, new1]);
    assert_eq!(list("service_code=E0102").await, [new2]);
    assert_eq!(list("service_code=E0103,E0101").await, [void, new1], "codes merge newest first");
    assert_eq!(list("service_code=E0103&service_code=E0102").await, [new2, new1]);
    assert_eq!(list("status=open").await, [new2, new1]);
    assert_eq!(list("status=closed").await, [void]);
    assert_eq!(list("status=open,closed").await, [new2, void, new1]);
    assert_eq!(list("status=open&service_code=E0102,E0101").await, [new2]);

    let day = |d: i64| now.plus_ms(d * DAY_MS).to_rfc3339_cst().replace('+', "%2B");
    assert_eq!(list(&format!("start_date={}&end_date={}", day(-101), day(-99))).await, [old]);
    assert_eq!(list(&format!("start_date={}", day(-101))).await, [old], "90 days from the start, not to now");
    assert_eq!(list(&format!("end_date={}", day(-2))).await, [void, new1], "90 days up to the end");
    let utc = (now.plus_ms(-DAY_MS - 60_000)).to_rfc3339_cst();
    let utc = chrono::DateTime::parse_from_rfc3339(&utc).unwrap().with_timezone(&chrono::Utc).to_rfc3339();
    assert_eq!(list(&format!("start_date={}", utc.replace('+', "%2B"))).await, [new2], "any offset");

    assert_eq!(list("page_size=2").await, [new2, void]);
    assert_eq!(list("page_size=2&page=2").await, [new1]);
    assert!(list("page_size=2&page=3").await.is_empty());
    assert_eq!(list("page_size=1&page=2&service_code=E0102,E0103").await, [new1]);

    // service_request_id overrides every other filter, in the order asked.
    assert_eq!(list(&format!("service_request_id={old},{new2},{old},999999&status=closed")).await, [old, new2]);
    assert!(list("service_request_id=999999").await.is_empty());

    for (q, says) in [
        (format!("start_date={}&end_date={}", day(-95), day(0)), "90"),
        (format!("start_date={}&end_date={}", day(-1), day(-2)), "start_date"),
        ("start_date=last-week".to_owned(), "start_date"),
        ("status=pending".to_owned(), "pending"),
        ("service_code=E9999".to_owned(), "E9999"),
        ("service_request_id=1,x".to_owned(), "x"),
        ("page=0".to_owned(), "page"),
        ("page_size=1001".to_owned(), "page_size"),
    ] {
        let a = f.get(&format!("{BASE}/requests.xml?{q}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}");
        assert!(a.xml_error().1.contains(says), "{q}: {}", a.body);
        assert_eq!(f.get(&format!("{BASE}/requests.json?{q}")).await.json_error().0, 400);
    }

    // What the public sees: masked, and nothing of a voided case's text.
    let a = f.get(&format!("{BASE}/requests.xml?service_request_id={new1},{void}")).await;
    let doc = a.xml();
    let rs = children(doc.root_element(), "request");
    assert_eq!(text(rs[0], "description"), "渣土，网格110101002001001，电话 010-****5678");
    assert_eq!(text(rs[1], "status"), "closed");
    assert_eq!(text(rs[1], "status_notes"), "已作废");
    assert_eq!(text(rs[1], "description"), "");
    assert_eq!(text(rs[1], "address"), "");
    assert!(!a.body.contains("1381234"));
    assert_eq!(text(rs[1], "updated_datetime"), now.plus_ms(-2 * DAY_MS + 60_000).to_rfc3339_cst());
    let en = f.send("GET", &format!("{BASE}/requests.json?service_request_id={void}"), None, Some("en")).await.json();
    assert_eq!(en[0]["status_notes"], "voided");
    assert_eq!(en[0]["service_name"], "Illegal structures");
}

#[tokio::test]
async fn at_most_a_thousand_results_unless_paged() {
    let f = fixture().await;
    let now = Timestamp::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1_005i64 {
        let engine = f.engine.clone();
        tasks.spawn(async move {
            let input = NewReport {
                subclass: SubclassId::parse("s", "E0104").unwrap(),
                request_type: RequestType::Complaint,
                urgency: None,
                location: Point { lon: IN_DUOFU.0, lat: IN_DUOFU.1 },
                address: String::new(),
                description: format!("路面脏 {i}"),
                channel: Channel::Portal,
                photos: vec![],
            };
            engine.report(input, &Actor::resident("r"), now.plus_ms(-i * 1000)).await.unwrap().id
        });
    }
    let mut ids: Vec<i64> = tasks.join_all().await;
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let first = ids_json(&f.get(&format!("{BASE}/requests.json")).await);
    assert_eq!(first.len(), 1000);
    assert_eq!(first, ids[..1000]);
    let second = ids_json(&f.get(&format!("{BASE}/requests.json?page=2")).await);
    assert_eq!(second, ids[1000..]);
}

#[tokio::test]
async fn tokens_stand_for_request_ids() {
    let f = fixture().await;
    let case = f.report("E0102", Timestamp::now(), IN_DUOFU, "垃圾").await;
    let a = f.get(&format!("{BASE}/tokens/{}.xml?jurisdiction_id=110101", case.id)).await;
    let doc = a.xml();
    let r = children(doc.root_element(), "request");
    assert_eq!(r.len(), 1);
    assert_eq!(text(r[0], "service_request_id"), case.id.to_string());
    assert_eq!(text(r[0], "token"), case.id.to_string());
    let j = f.get(&format!("{BASE}/tokens/{}.json", case.id)).await.json();
    assert_eq!(j, serde_json::json!([{"service_request_id": case.id.to_string(), "token": case.id.to_string()}]));
    for missing in ["999999", "abc"] {
        assert_eq!(f.get(&format!("{BASE}/tokens/{missing}.xml")).await.xml_error().0, 404);
        assert_eq!(f.get(&format!("{BASE}/requests/{missing}.json")).await.json_error().0, 404);
    }
}

#[tokio::test]
async fn jurisdiction_id_names_this_deployment() {
    let f = fixture().await;
    let case = f.report("E0102", Timestamp::now(), IN_DUOFU, "垃圾").await;
    let gets = [
        "discovery.xml".to_owned(),
        "services.xml".to_owned(),
        "services/E0102.xml".to_owned(),
        "service/E0102.xml".to_owned(),
        "requests.xml".to_owned(),
        format!("requests/{}.xml", case.id),
        format!("tokens/{}.xml", case.id),
        "servicerequestupdates.xml".to_owned(),
    ];
    for resource in &gets {
        for ok in ["110101", "1101", "11"] {
            let a = f.get(&format!("{BASE}/{resource}?jurisdiction_id={ok}")).await;
            assert_eq!(a.status, StatusCode::OK, "{resource} {ok}: {}", a.body);
        }
        for wrong in ["110101001", "310101", "FMS", "12"] {
            let a = f.get(&format!("{BASE}/{resource}?jurisdiction_id={wrong}")).await;
            let (code, d) = a.xml_error();
            assert_eq!(code, 404, "{resource} {wrong}");
            assert!(d.contains(wrong) && d.contains("110101"), "{d}");
            let j = f.get(&format!("{BASE}/{}?jurisdiction_id={wrong}", resource.replace(".xml", ".json"))).await;
            assert_eq!(j.json_error().0, 404);
        }
    }
    let mut pairs = a_request(&[]);
    pairs[0] = ("jurisdiction_id", "310101");
    assert_eq!(f.post(&format!("{BASE}/requests.xml"), &pairs).await.xml_error().0, 404);
    assert_eq!(f.engine.store().count_cases().await.unwrap(), 1);
}

#[tokio::test]
async fn unknown_resources_answer_in_the_spec_format() {
    let f = fixture().await;
    for (path, json) in [
        ("nothing.xml", false),
        ("nothing.json", true),
        ("services", false),
        ("services.html", false),
        ("a/b/c.json", true),
        ("requests/1/extra.xml", false),
    ] {
        let a = f.get(&format!("{BASE}/{path}")).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        if json {
            a.json_error();
        } else {
            a.xml_error();
        }
    }
    // POST is only for requests and updates.
    let a = f.post(&format!("{BASE}/services.xml"), &[("api_key", "intake-key")]).await;
    assert_eq!(a.xml_error().0, 404);
    // The middleware that localises the JSON API's errors leaves these alone.
    let a = f.send("GET", &format!("{BASE}/services/E9999.xml"), None, Some("en")).await;
    assert_eq!(a.content_type, "text/xml; charset=utf-8");
    assert!(a.xml_error().1.starts_with("service_code “E9999” was not found"));
}

#[tokio::test]
async fn states_show_as_open_or_closed() {
    let f = fixture().await;
    let case = f.report("E0102", Timestamp::now().plus_ms(-DAY_MS), IN_LONGFU, "垃圾").await;
    let t = case.reported_at;
    f.step(case.id, intake(), minutes(t, 1), Action::File { subclass: None, urgency: None }, "").await;
    f.step(case.id, dispatcher(), minutes(t, 2), Action::Dispatch { lead: "jd-2".into(), assisting: vec![] }, "").await;
    let a = f.get(&format!("{BASE}/requests/{}.xml", case.id)).await;
    let doc = a.xml();
    let r = children(doc.root_element(), "request")[0];
    assert_eq!(text(r, "status"), "open");
    assert_eq!(text(r, "agency_responsible"), "单位jd-2");
    assert!(!text(r, "expected_datetime").is_empty(), "a running deadline is expected_datetime");
    assert_eq!(text(r, "updated_datetime"), minutes(t, 2).to_rfc3339_cst());
    assert_eq!(f.engine.case(case.id).await.unwrap().state, State::Dispatched);
}
