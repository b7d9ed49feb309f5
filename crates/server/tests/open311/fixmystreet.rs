//! The server as FixMyStreet's Open311 client meets it: over a real socket, XML only,
//! `jurisdiction_id` on every call, `api_key` on every POST (and on the updates it polls for),
//! form-encoded bodies with `media_url` repeated, reports without a pin
//! (`address_id=#NOTPINPOINTED#`), and the updates feed both ways.

use std::net::SocketAddr;

use std::io::{Read, Write};
use yiwang_domain::case::{Action, State};
use yiwang_domain::time::Timestamp;

use super::*;

/// FixMyStreet's view of one Open311 endpoint.
struct Fms {
    addr: SocketAddr,
    jurisdiction: &'static str,
    api_key: &'static str,
}

/// Status and body of one HTTP/1.1 exchange.
async fn exchange(addr: SocketAddr, request: String) -> (u16, String) {
    // A plain blocking socket, as a Perl client has: off the runtime that serves.
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        raw
    })
    .await
    .unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let chunked = head.lines().any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    assert!(head.to_ascii_lowercase().contains("content-type: text/xml"), "FixMyStreet reads XML only: {head}");
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

impl Fms {
    async fn get(&self, path: &str, params: &[(&str, &str)]) -> (u16, String) {
        let mut all = params.to_vec();
        all.push(("jurisdiction_id", self.jurisdiction));
        let request = format!(
            "GET /open311/v2/{path}?{} HTTP/1.1\r\nHost: {}\r\nUser-Agent: libwww-perl/6.77\r\nConnection: close\r\n\r\n",
            form(&all),
            self.addr
        );
        exchange(self.addr, request).await
    }

    async fn post(&self, path: &str, params: &[(&str, &str)]) -> (u16, String) {
        let mut all = vec![("jurisdiction_id", self.jurisdiction), ("api_key", self.api_key)];
        all.extend_from_slice(params);
        let body = form(&all);
        let request = format!(
            "POST /open311/v2/{path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: libwww-perl/6.77\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        exchange(self.addr, request).await
    }
}

fn parse(body: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert!(doc.root_element().tag_name().namespace().is_none());
    doc
}

/// What FixMyStreet logs from an error answer: `code: description` of each error.
fn errors(body: &str) -> Vec<(String, String)> {
    let doc = parse(body);
    assert_eq!(doc.root_element().tag_name().name(), "errors");
    children(doc.root_element(), "error").iter().map(|e| (text(*e, "code"), text(*e, "description"))).collect()
}

/// FixMyStreet's date-times: W3C, in UTC.
fn w3c(t: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(t.0).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixmystreet_reports_follows_and_updates() {
    let f = fixture().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = f.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let fms = Fms { addr, jurisdiction: "110101", api_key: "intake-key" };
    let started = Timestamp(Timestamp::now().0 / 1000 * 1000 - 1000);

    // The contacts: the service list, then the definition of each service with metadata.
    let (status, body) = fms.get("services.xml", &[]).await;
    assert_eq!(status, 200);
    let doc = parse(&body);
    let services = children(doc.root_element(), "service");
    let rubbish = services.iter().find(|s| text(**s, "service_code") == "E0102").unwrap();
    assert_eq!(text(*rubbish, "metadata"), "true");
    let (status, body) = fms.get("services/E0102.xml", &[]).await;
    assert_eq!(status, 200);
    let doc = parse(&body);
    let attributes = children(children(doc.root_element(), "attributes")[0], "attribute");
    assert!(attributes.iter().any(|a| text(*a, "code") == "request_type"));

    // A pinned report, with its extra fields as attributes and every photo as a media_url.
    let description = "title:  路口垃圾成堆\n\ndetail: 已经三天没人清理了\n\nurl: https://fms.example.org/report/1001\n\nSubmitted via FixMyStreet\n";
    let (status, body) = fms
        .post(
            "requests.xml",
            &[
                ("lat", "39.900500"),
                ("long", "116.402500"),
                ("email", "resident@example.org"),
                ("description", description),
                ("service_code", "E0102"),
                ("first_name", "Wang"),
                ("last_name", "Fang"),
                ("phone", "13700001111"),
                ("media_url", "https://fms.example.org/photo/1001.0.full.jpeg"),
                ("media_url", "https://fms.example.org/photo/1001.1.full.jpeg"),
                ("attribute[fixmystreet_id]", "1001"),
                ("attribute[title]", "路口垃圾成堆"),
                ("attribute[report_url]", "https://fms.example.org/report/1001"),
                ("attribute[request_type]", "complaint"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let doc = parse(&body);
    let pinned = text(children(doc.root_element(), "request")[0], "service_request_id");
    assert!(pinned.parse::<i64>().is_ok(), "FixMyStreet reads request[0].service_request_id: {body}");

    // A report without a pin: placed by the address it names.
    let (status, body) = fms
        .post(
            "requests.xml",
            &[
                ("address_id", "#NOTPINPOINTED#"),
                ("address_string", "隆福寺社区 东四北大街 107 号"),
                ("email", "resident@example.org"),
                ("description", "井盖松动"),
                ("service_code", "C0101"),
                ("first_name", "Wang"),
                ("last_name", "Fang"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let doc = parse(&body);
    let unpinned = text(children(doc.root_element(), "request")[0], "service_request_id");
    let case = f.engine.case(unpinned.parse().unwrap()).await.unwrap();
    assert!(case.grid.as_str().starts_with("110101002001"), "placed in 隆福寺社区: {}", case.grid);

    // Without a pin or an address it is refused, in a form FixMyStreet logs.
    let (status, body) = fms
        .post(
            "requests.xml",
            &[("address_id", "#NOTPINPOINTED#"), ("description", "井盖松动"), ("service_code", "C0101")],
        )
        .await;
    assert_eq!(status, 400);
    let errs = errors(&body);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, "400");
    assert!(errs[0].1.contains("#NOTPINPOINTED#"), "{errs:?}");

    // It looks its reports up by id.
    let ids = format!("{pinned},{unpinned}");
    let (status, body) = fms.get("requests.xml", &[("service_request_id", &ids)]).await;
    assert_eq!(status, 200);
    let doc = parse(&body);
    let requests = children(doc.root_element(), "request");
    assert_eq!(
        requests.iter().map(|r| text(*r, "service_request_id")).collect::<Vec<_>>(),
        [pinned.clone(), unpinned.clone()]
    );
    assert_eq!(text(requests[0], "media_url"), "https://fms.example.org/photo/1001.0.full.jpeg");
    assert_eq!(text(requests[0], "status"), "open");
    assert!(!body.contains("resident@example.org") && !body.contains("13700001111") && !body.contains("Wang"));

    // The council works on the pinned report…
    let id: i64 = pinned.parse().unwrap();
    let now = Timestamp::now();
    f.step(id, intake(), now, Action::File { subclass: None, urgency: None }, "").await;
    f.step(id, dispatcher(), now, Action::Dispatch { lead: "jd-2".into(), assisting: vec![] }, "").await;
    f.step(id, handler_jd2(), now, Action::Accept, "已安排清运").await;

    // …and FixMyStreet polls for updates in a window, mapping the statuses to its states.
    let (start, end) = (w3c(started), w3c(Timestamp::now().plus_ms(60_000)));
    let (status, body) = fms
        .get("servicerequestupdates.xml", &[("api_key", fms.api_key), ("start_date", &start), ("end_date", &end)])
        .await;
    assert_eq!(status, 200, "{body}");
    let doc = parse(&body);
    assert_eq!(doc.root_element().tag_name().name(), "service_request_updates");
    let updates = children(doc.root_element(), "request_update");
    let seen: Vec<(String, String)> =
        updates.iter().map(|u| (text(*u, "service_request_id"), text(*u, "status"))).collect();
    assert_eq!(
        seen,
        [
            (pinned.clone(), "INVESTIGATING".to_owned()),
            (pinned.clone(), "ACTION_SCHEDULED".to_owned()),
            (pinned.clone(), "IN_PROGRESS".to_owned())
        ]
    );
    for u in &updates {
        for field in ["update_id", "updated_datetime", "description", "media_url"] {
            assert_eq!(children(*u, field).len(), 1, "{field} present");
        }
    }
    assert_eq!(text(updates[2], "description"), "已安排清运");

    // FixMyStreet posts its own updates: a staff member there starts investigating the unpinned
    // report (our intake files it)…
    let (status, body) = fms
        .post(
            "servicerequestupdates.xml",
            &[
                ("update_id", "5001"),
                ("updated_datetime", &w3c(Timestamp::now())),
                ("service_request_id", &unpinned),
                ("status", "INVESTIGATING"),
                ("description", "已转交网格核实"),
                ("last_name", "Li"),
                ("first_name", "Ming"),
                ("email", "staff@fms.example.org"),
                ("media_url", "https://fms.example.org/photo/c/5001.full.jpeg"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let doc = parse(&body);
    let update_id = text(children(doc.root_element(), "request_update")[0], "update_id");
    assert_eq!(update_id, format!("{unpinned}_2"), "FixMyStreet reads request_update[0].update_id");
    assert_eq!(f.engine.case(unpinned.parse().unwrap()).await.unwrap().state, State::Filed);

    // …while a resident's plain comment (OPEN) changes nothing and is refused, saying why.
    let (status, body) = fms
        .post(
            "servicerequestupdates.xml",
            &[
                ("update_id", "5002"),
                ("updated_datetime", &w3c(Timestamp::now())),
                ("service_request_id", &pinned),
                ("status", "OPEN"),
                ("description", "还没清理"),
                ("last_name", "Fang"),
                ("first_name", "Wang"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert!(errors(&body)[0].1.contains("OPEN"));

    // The filing shows in the next poll.
    let (_, body) = fms
        .get(
            "servicerequestupdates.xml",
            &[("api_key", fms.api_key), ("start_date", &start), ("end_date", &w3c(Timestamp::now().plus_ms(60_000)))],
        )
        .await;
    let doc = parse(&body);
    let last = *children(doc.root_element(), "request_update").last().unwrap();
    assert_eq!((text(last, "update_id"), text(last, "status")), (update_id, "INVESTIGATING".to_owned()));
    assert_eq!(text(last, "media_url"), "https://fms.example.org/photo/c/5001.full.jpeg");
}
