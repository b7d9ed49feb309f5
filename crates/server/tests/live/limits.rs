//! Abuse limits: 429 with Retry-After once an address has used its allowance, per address and
//! per door; 413 for oversized bodies.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use yiwang_server::limits::{Limits, Rate};

use crate::app::{STREET_1, TestApp, from, request};

fn limits() -> Limits {
    Limits {
        login: Rate::per_minute(3),
        signup: Rate::new(2, Duration::from_secs(600)),
        code: Rate::new(2, Duration::from_secs(600)),
        anonymous_report: Rate::per_hour(2),
        ..Limits::default()
    }
}

fn report() -> Value {
    json!({ "subclass": "E0101", "lon": STREET_1, "lat": 39.9005, "description": "路灯不亮" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_doors_answer_429_once_an_address_has_used_its_allowance() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), limits()).await;
    let login = |ip: &'static str| from(request(Method::POST, "/api/auth/login", "", Some(json!({}))), ip);
    for _ in 0..3 {
        let (s, _, _) = app.call(login("203.0.113.7")).await;
        assert_ne!(s, StatusCode::TOO_MANY_REQUESTS);
    }
    let (s, headers, body) = app.call(login("203.0.113.7")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["code"], "rate_limited");
    assert!(body["message"].as_str().unwrap().contains("请求过于频繁"), "{body}");
    let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "one login comes back every 20 s: {retry}");
    let mut en = login("203.0.113.7");
    en.headers_mut().insert(header::ACCEPT_LANGUAGE, "en".parse().unwrap());
    let (_, _, body) = app.call(en).await;
    assert!(body["message"].as_str().unwrap().starts_with("too many requests"), "{body}");

    // Another address has its own allowance; so has another door.
    assert_ne!(app.call(login("203.0.113.8")).await.0, StatusCode::TOO_MANY_REQUESTS);
    let signup = || from(request(Method::POST, "/api/auth/signup", "", Some(json!({}))), "203.0.113.7");
    assert_ne!(app.call(signup()).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_ne!(app.call(signup()).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.call(signup()).await.0, StatusCode::TOO_MANY_REQUESTS);
    let code = || from(request(Method::POST, "/api/auth/code", "", Some(json!({}))), "203.0.113.7");
    assert_ne!(app.call(code()).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_ne!(app.call(code()).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.call(code()).await.0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_reports_are_limited_signed_in_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), limits()).await;
    let post =
        |who: &'static str, ip: &'static str| from(request(Method::POST, "/api/reports", who, Some(report())), ip);
    assert_eq!(app.call(post("", "198.51.100.1")).await.0, StatusCode::CREATED);
    assert_eq!(app.call(post("", "198.51.100.1")).await.0, StatusCode::CREATED);
    let (s, headers, body) = app.call(post("", "198.51.100.1")).await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1_700..=1_800).contains(&retry), "2 an hour: the next in 30 minutes, got {retry}");
    for _ in 0..3 {
        assert_eq!(app.call(post("resident:r1", "198.51.100.1")).await.0, StatusCode::CREATED, "signed in");
    }
    assert_eq!(app.call(post("", "198.51.100.2")).await.0, StatusCode::CREATED, "another address");
    // Anonymous uploads count at their own door (the attachments route is someone else's).
    let upload = from(request(Method::POST, "/api/attachments", "", Some(json!({}))), "198.51.100.1");
    assert_ne!(app.call(upload).await.0, StatusCode::TOO_MANY_REQUESTS);
    // Reading is never limited.
    let read = from(request(Method::GET, "/api/taxonomy", "", None), "198.51.100.1");
    assert_eq!(app.call(read).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_counts_only_behind_trusted_proxies() {
    let dir = tempfile::tempdir().unwrap();
    let login = |xff: &str| {
        let mut r = from(request(Method::POST, "/api/auth/login", "", Some(json!({}))), "10.0.0.2");
        r.headers_mut().insert("x-forwarded-for", xff.parse().unwrap());
        r
    };
    // Not trusted: a client cannot dodge the limit by inventing addresses.
    let app = TestApp::start(dir.path(), Limits { login: Rate::per_minute(1), ..limits() }).await;
    assert_ne!(app.call(login("192.0.2.1")).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.call(login("192.0.2.2")).await.0, StatusCode::TOO_MANY_REQUESTS);
    // One trusted proxy: the address it appended is the client.
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits { login: Rate::per_minute(1), trusted_proxies: 1, ..limits() }).await;
    assert_ne!(app.call(login("192.0.2.1")).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_ne!(app.call(login("6.6.6.6, 192.0.2.2")).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.call(login("7.7.7.7, 192.0.2.2")).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "the spoofed entry is ignored"
    );
}

/// Sends raw HTTP/1.1 from `local` to `server` and returns the status code.
async fn raw(local: &str, server: std::net::SocketAddr, path: &str, body: &str) -> u16 {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    let stream = socket.connect(server).await.unwrap().into_std().unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: yiwang\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = stream;
        stream.set_nonblocking(false).unwrap();
        stream.write_all(req.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_over_tcp_each_peer_address_counts_alone() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits { login: Rate::per_minute(2), ..limits() }).await;
    let yiwang_app = yiwang_server::App {
        engine: app.engine.clone(),
        auth: std::sync::Arc::new(yiwang_server::caller::Anonymous),
        limits: Limits { login: Rate::per_minute(2), ..limits() },
        demo: None,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(yiwang_server::serve(yiwang_app, listener));
    assert_ne!(raw("127.0.0.1", addr, "/api/auth/login", "{}").await, 429);
    assert_ne!(raw("127.0.0.1", addr, "/api/auth/login", "{}").await, 429);
    assert_eq!(raw("127.0.0.1", addr, "/api/auth/login", "{}").await, 429);
    // Another loopback address is another client: the peer address is what counts.
    assert_ne!(raw("127.0.0.2", addr, "/api/auth/login", "{}").await, 429);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_in_the_error_body() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(dir.path(), Limits::default()).await;
    let big = json!({ "subclass": "E0101", "lon": STREET_1, "lat": 39.9005, "description": "x".repeat(300 * 1024) })
        .to_string();
    // With a Content-Length.
    let req = Request::post("/api/reports")
        .header("x-test-resident", "r1")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(big.clone()))
        .unwrap();
    let (s, headers, body) = app.call(req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "body_too_large");
    assert!(body["message"].as_str().unwrap().contains("256 KiB"), "{body}");
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    // Streamed, without a length.
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> =
        big.as_bytes().chunks(8192).map(|c| Ok(axum::body::Bytes::copy_from_slice(c))).collect();
    let req = Request::post("/api/reports")
        .header("x-test-resident", "r1")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    let (s, _, body) = app.call(req).await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")));
    assert!(body["message"].as_str().unwrap().contains("too large"), "{body}");
    // Just under the limit is fine as far as size goes.
    let fits = json!({ "subclass": "E0101", "lon": STREET_1, "lat": 39.9005, "description": "路灯" }).to_string();
    let req = request(Method::POST, "/api/reports", "resident:r1", Some(serde_json::from_str(&fits).unwrap()));
    assert_eq!(app.call(req).await.0, StatusCode::CREATED);
}
