//! Proxies (亲友代办) over HTTP: a relative asks, the elder consents with the code sent to their
//! phone, the relative reports and follows for the elder, either ends it. The real router and
//! account service in-process, on a SQLite store, with a clock the tests move.

mod support;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use support::{Outbox, TestStaff};
use tower::ServiceExt;
use yiwang_domain::case::{Action, Command, Role};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::Engine;
use yiwang_server::App;
use yiwang_server::auth::{AccountAuthenticator, AuthConfig, Clock, ManualClock, password};
use yiwang_server::caller::Authenticator;
use yiwang_store::Store;
use yiwang_store::accounts::{AccessFilter, Account, AccountKind};

const PASSWORD: &str = "Test-password-2026";
const ELDER_PHONE: &str = "13900000002";

struct T {
    router: Router,
    engine: Arc<Engine>,
    clock: Arc<ManualClock>,
    outbox: Arc<Outbox>,
    hash: String,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: StatusCode,
    body: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

const STAFF: &[TestStaff] = &[
    ("op", Role::IntakeOperator, "110101", Some("centre")),
    ("disp", Role::Dispatcher, "110101", Some("centre")),
    ("h-cgzf", Role::Handler, "110101", Some("cgzf")),
    ("gm", Role::GridMember, "110101001001001", None),
    ("chief-in", Role::ShiftChief, "110101", None),
];

async fn start() -> T {
    let (engine, dir) = support::engine(STAFF).await;
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let outbox = Arc::new(Outbox::default());
    let auth = Arc::new(
        AccountAuthenticator::new(engine.clone(), AuthConfig::default())
            .with_clock(clock.clone())
            .with_code_sender(outbox.clone()),
    );
    let many = yiwang_server::limits::Rate::per_minute(100_000);
    let limits = yiwang_server::limits::Limits { login: many, code: many, ..Default::default() };
    let router =
        yiwang_server::router(App { engine: engine.clone(), auth: auth as Arc<dyn Authenticator>, limits, demo: None });
    let hash = password::hash_blocking(PASSWORD).unwrap();
    T { router, engine, clock, outbox, hash, _dir: dir }
}

impl T {
    async fn call(&self, method: Method, path: &str, body: Option<Value>, cookie: &str) -> Reply {
        let req = Request::builder().method(method).uri(path).header("cookie", format!("lang=en; {cookie}"));
        let req = match body {
            Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        Reply { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
    }

    async fn get(&self, path: &str, cookie: &str) -> Reply {
        self.call(Method::GET, path, None, cookie).await
    }

    async fn post(&self, path: &str, body: Value, cookie: &str) -> Reply {
        self.call(Method::POST, path, Some(body), cookie).await
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.engine.store()
    }

    /// An account created in the store, signed in: its session cookie.
    async fn account(&self, id: &str, kind: AccountKind, login: &str, name: &str) -> String {
        let a = Account {
            phone: (kind == AccountKind::Resident).then(|| login.to_owned()),
            staff_id: (kind == AccountKind::Staff).then(|| login.to_owned()),
            password_hash: self.hash.clone(),
            ..Account::new(id, kind, login, name, self.clock.now())
        };
        self.store().create_accounts(&[a]).await.unwrap();
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(json!({"login": login, "password": PASSWORD}).to_string()))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "sign in as {login}");
        let set = res.headers().get("set-cookie").unwrap().to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    }

    async fn resident(&self, id: &str, phone: &str, name: &str) -> String {
        self.account(id, AccountKind::Resident, phone, name).await
    }

    /// Reports a problem in grid 110101001001001; `for_whom` acts through a proxy.
    async fn report(&self, cookie: &str, for_whom: Option<&str>) -> Reply {
        let mut body = json!({"subclass": "E0101", "lon": 116.4005, "lat": 39.9005, "description": "楼道堆物"});
        if let Some(elder) = for_whom {
            body["on_behalf_of"] = json!(elder);
        }
        self.post("/api/reports", body, cookie).await
    }

    /// Staff take a case from reported to closed (fixed).
    async fn close(&self, id: i64) {
        let staff = |s: &str| self.engine.loaded().staff(s).unwrap().actor();
        let steps = [
            ("op", Action::File { subclass: None, urgency: None }),
            ("disp", Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }),
            ("h-cgzf", Action::Accept),
            ("h-cgzf", Action::ReportBack),
            ("gm", Action::Verify { passed: true }),
            ("chief-in", Action::Close { fixed: true }),
        ];
        for (i, (who, action)) in steps.into_iter().enumerate() {
            let at = Timestamp::now().plus_ms((i as i64 + 1) * MINUTE_MS);
            let cmd =
                Command { actor: staff(who), at, action, note: "说明".into(), attachments: vec!["p.jpg".into()] };
            self.engine.act(id, cmd).await.unwrap();
        }
    }

    /// The access log's actions about `subject`, oldest first.
    async fn logged(&self, subject: &str) -> Vec<String> {
        let f = AccessFilter { subject: Some(subject.into()), limit: 100, ..Default::default() };
        let mut v: Vec<String> = self.store().access_log(&f).await.unwrap().into_iter().map(|e| e.action).collect();
        v.reverse();
        v
    }
}

fn ids(r: &Reply) -> Vec<i64> {
    r.body
        .as_array()
        .unwrap_or_else(|| panic!("a list: {:?}", r.body))
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_relative_reports_and_follows_for_the_elder_with_consent_until_it_ends() {
    let t = start().await;
    let daughter = t.resident("r-daughter", "13900000001", "王小芳").await;
    let elder = t.resident("r-elder", ELDER_PHONE, "王大山").await;
    let stranger = t.resident("r-stranger", "13900000003", "李四").await;
    let chief = t.account("acc-chief", AccountKind::Staff, "chief-in", "值班长").await;

    // Asked for: pending, the elder not named yet.
    let r = t.post("/api/proxies", json!({"phone": ELDER_PHONE, "relation": " 女儿 "}), &daughter).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["relation"], "女儿", "trimmed");
    assert_eq!(r.body["elder"], json!({"account": null, "name": null, "phone": "139****0002"}));
    assert_eq!(r.body["relative"], json!({"account": "r-daughter", "name": "王**", "phone": "139****0001"}), "masked");
    assert!(r.body["code_expires_at"].is_string() && r.body["consented_at"].is_null());
    let code = t.outbox.last_to(ELDER_PHONE);

    // Pending is not yet acting: a clear refusal everywhere.
    let r = t.report(&daughter, Some("r-elder")).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "proxy_pending"), "{:?}", r.body);
    let r = t.get("/api/cases?on_behalf_of=r-elder", &daughter).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "proxy_pending"));

    // Consent: not by a stranger, not with a wrong code, not for a proxy that does not exist.
    let r = t.post(&format!("/api/proxies/{id}/consent"), json!({"code": code}), &stranger).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_your_proxy"));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = t.post(&format!("/api/proxies/{id}/consent"), json!({"code": wrong}), &daughter).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "code_invalid"));
    let r = t.post(&format!("/api/proxies/{}/consent", id + 100), json!({"code": code}), &daughter).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "no_proxy"));
    // The elder sees the pending ask, named to themselves.
    let r = t.get("/api/proxies", &elder).await;
    assert_eq!((r.body[0]["id"].as_i64(), &r.body[0]["elder"]["account"]), (Some(id), &json!("r-elder")));

    // The code read to the daughter: active, the consent kept.
    let r = t.post(&format!("/api/proxies/{id}/consent"), json!({"code": code}), &daughter).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["elder"], json!({"account": "r-elder", "name": "王**", "phone": "139****0002"}));
    assert!(r.body["consented_at"].is_string() && r.body["code_expires_at"].is_null());
    let r = t.post(&format!("/api/proxies/{id}/consent"), json!({"code": code}), &daughter).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "proxy_active"));
    assert!(t.logged("r-elder").await.contains(&"proxy_consent".to_owned()), "the consent is in the access log");

    // The daughter reports for the elder: the elder's case, the daughter named as who acted.
    let r = t.report(&daughter, Some("r-elder")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let for_elder = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["reporter"], "r-elder");
    let r = t.get(&format!("/api/cases/{for_elder}/events"), &daughter).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!((&r.body[0]["actor"], &r.body[0]["detail"]["on_behalf_of"]), (&json!("r-daughter"), &json!("r-elder")));
    // In the elder's own list, not in the daughter's own; in the daughter's list for the elder.
    let own = t.report(&daughter, None).await.body["id"].as_i64().unwrap();
    assert_eq!(ids(&t.get("/api/cases", &elder).await), [for_elder]);
    assert_eq!(ids(&t.get("/api/cases", &daughter).await), [own]);
    let mine_before = t.logged("r-elder").await.len();
    let r = t.get("/api/cases?on_behalf_of=r-elder", &daughter).await;
    assert_eq!(ids(&r), [for_elder]);
    assert_eq!(r.body[0]["reporter"], "r-elder", "whose case it is");
    assert_eq!(t.logged("r-elder").await.len(), mine_before + 1, "the list is in the access log");

    // A case the elder reported themselves: the daughter opens it and rates it for them.
    let by_elder = t.report(&elder, None).await.body["id"].as_i64().unwrap();
    t.close(by_elder).await;
    let r = t.get(&format!("/api/cases/{by_elder}"), &daughter).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(t.logged("r-elder").await.last().map(String::as_str), Some("proxy_read"));
    let r = t.get(&format!("/api/cases/{by_elder}"), &stranger).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "nobody else sees it");
    let rate = json!({"action": "evaluate", "satisfaction": "satisfied", "fixed": true});
    let r = t.post(&format!("/api/cases/{by_elder}/actions"), rate.clone(), &daughter).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["rating"]["satisfaction"], "satisfied");
    let events = t.store().events(by_elder).await.unwrap();
    let rated = events.last().unwrap();
    assert_eq!((rated.actor.as_str(), rated.step.as_str()), ("r-daughter", "evaluate"));
    assert!(rated.detail.contains("\"on_behalf_of\":\"r-elder\""), "{}", rated.detail);
    let r = t.post(&format!("/api/cases/{by_elder}/actions"), rate, &elder).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "already_rated"), "one rating, whoever gave it");

    // Nobody else acts for the elder; staff do not act through proxies.
    let r = t.report(&stranger, Some("r-elder")).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "no_proxy"));
    let r = t.get("/api/cases?on_behalf_of=r-elder", &stranger).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "no_proxy"));
    let r = t.get("/api/cases?on_behalf_of=r-elder", &chief).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_resident"));
    let r = t.get("/api/proxies", &chief).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_resident"));
    let r = t.call(Method::DELETE, &format!("/api/proxies/{id}"), None, &stranger).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_your_proxy"));

    // The elder ends it: from then on, nothing; the record stays.
    let r = t.call(Method::DELETE, &format!("/api/proxies/{id}"), None, &elder).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "revoked");
    let r = t.call(Method::DELETE, &format!("/api/proxies/{id}"), None, &daughter).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "proxy_revoked"));
    let r = t.get(&format!("/api/cases/{by_elder}"), &daughter).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.report(&daughter, Some("r-elder")).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "proxy_revoked"));
    let r = t.get("/api/cases?on_behalf_of=r-elder", &daughter).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "proxy_revoked"));
    let r = t.get("/api/proxies", &daughter).await;
    let kept = &r.body[0];
    assert_eq!(
        (kept["status"].as_str(), kept["consented_at"].is_string(), kept["revoked_at"].is_string()),
        (Some("revoked"), true, true)
    );
    assert_eq!(t.logged("r-elder").await.last().map(String::as_str), Some("proxy_revoked"));
}

#[tokio::test]
async fn asking_names_nobody_and_consent_needs_the_right_code_in_time() {
    let t = start().await;
    let son = t.resident("r-son", "13900000011", "赵一").await;
    let elder = t.resident("r-elder", ELDER_PHONE, "赵老").await;

    // Bad asks.
    let r = t.post("/api/proxies", json!({"phone": "13900000011", "relation": "儿子"}), &son).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "self_proxy"));
    let r = t.post("/api/proxies", json!({"phone": ELDER_PHONE, "relation": "  "}), &son).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "invalid_field"));
    let r = t.post("/api/proxies", json!({"phone": "12345", "relation": "儿子"}), &son).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "invalid_field"));

    // A phone without an account answers exactly like one with an account.
    let known = t.post("/api/proxies", json!({"phone": ELDER_PHONE, "relation": "儿子"}), &son).await;
    let unknown = t.post("/api/proxies", json!({"phone": "13900000099", "relation": "儿子"}), &son).await;
    assert_eq!((known.status, unknown.status), (StatusCode::CREATED, StatusCode::CREATED));
    let shape = |b: &Value| {
        let mut b = b.clone();
        for k in ["id", "created_at", "code_expires_at"] {
            b[k] = Value::Null;
        }
        b["elder"]["phone"] = Value::Null;
        b
    };
    assert_eq!(shape(&known.body), shape(&unknown.body), "no account is revealed by asking");
    let (id, nobody) = (known.body["id"].as_i64().unwrap(), unknown.body["id"].as_i64().unwrap());

    // Asking again: not within a minute; then a new code for the same proxy.
    let r = t.post("/api/proxies", json!({"phone": ELDER_PHONE, "relation": "儿子"}), &son).await;
    assert_eq!((r.status, r.code()), (StatusCode::TOO_MANY_REQUESTS, "code_too_soon"));
    let first = t.outbox.0.lock().unwrap().iter().find(|(p, _)| p == ELDER_PHONE).unwrap().1.clone();
    t.clock.advance(MINUTE_MS + 1000);
    let r = t.post("/api/proxies", json!({"phone": ELDER_PHONE, "relation": "儿子"}), &son).await;
    assert_eq!((r.status, r.body["id"].as_i64()), (StatusCode::CREATED, Some(id)), "the same proxy");
    let code = t.outbox.last_to(ELDER_PHONE);
    if code != first {
        let r = t.post(&format!("/api/proxies/{id}/consent"), json!({"code": first}), &son).await;
        assert_eq!(r.code(), "code_invalid", "the old code is void");
    }

    // Whoever holds the phone's code learns there is no account behind it, nobody else.
    let nobody_code = t.outbox.0.lock().unwrap().iter().find(|(p, _)| p == "13900000099").unwrap().1.clone();
    let r = t.post(&format!("/api/proxies/{nobody}/consent"), json!({"code": nobody_code}), &son).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "no_account"));

    // Expired: ten minutes.
    t.clock.advance(10 * MINUTE_MS);
    let r = t.post(&format!("/api/proxies/{id}/consent"), json!({"code": code}), &son).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "code_invalid"), "expired");

    // Too many wrong guesses void even the right code.
    let r = t.post("/api/proxies", json!({"phone": ELDER_PHONE, "relation": "儿子"}), &son).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let code = t.outbox.last_to(ELDER_PHONE);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        t.post(&format!("/api/proxies/{id}/consent"), json!({"code": wrong}), &son).await;
    }
    let r = t.post(&format!("/api/proxies/{id}/consent"), json!({"code": code}), &son).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "code_invalid"), "five wrong guesses");

    // The elder, signed in, types a fresh code themselves.
    t.clock.advance(MINUTE_MS + 1000);
    t.post("/api/proxies", json!({"phone": ELDER_PHONE, "relation": "儿子"}), &son).await;
    let code = t.outbox.last_to(ELDER_PHONE);
    let r = t.post(&format!("/api/proxies/{id}/consent"), json!({"code": code}), &elder).await;
    assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("active")), "{:?}", r.body);
    let r = t.post("/api/proxies", json!({"phone": ELDER_PHONE, "relation": "儿子"}), &son).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "proxy_exists"), "already acting");

    // Both ways in the list: the son's two asks, the elder's one.
    assert_eq!(ids(&t.get("/api/proxies", &son).await), [nobody, id]);
    assert_eq!(ids(&t.get("/api/proxies", &elder).await), [id]);
    // Whoever signs up later with the phone nobody held finds that ask listed, as its elder.
    let late = t.resident("r-late", "13900000099", "钱老").await;
    let listed = t.get("/api/proxies", &late).await;
    assert_eq!(ids(&listed), [nobody], "asked before they signed up");
    assert_eq!(listed.body[0]["status"], "pending");
    // Signed out: nothing.
    let r = t.get("/api/proxies", "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// The first event of type `kind` a stream sends within a few seconds: its `data`.
async fn next_event(body: &mut Body, kind: &str) -> Option<Value> {
    use http_body_util::BodyExt;
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while let Ok(Some(frame)) = tokio::time::timeout_at(deadline, body.frame()).await {
        if let Ok(data) = frame.expect("frame").into_data() {
            buffer.push_str(std::str::from_utf8(&data).unwrap());
        }
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.lines().any(|l| l == format!("event: {kind}")) {
                let data = block.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
                return Some(serde_json::from_str(data).unwrap());
            }
        }
    }
    None
}

#[tokio::test]
async fn a_relative_gets_the_elders_notifications_and_live_events_while_the_proxy_lasts() {
    let t = start().await;
    let daughter = t.resident("r-daughter", "13900000001", "王小芳").await;
    let elder = t.resident("r-elder", ELDER_PHONE, "王大山").await;
    let stranger = t.resident("r-stranger", "13900000003", "李四").await;
    let id = t.post("/api/proxies", json!({"phone": ELDER_PHONE, "relation": "女儿"}), &daughter).await.body["id"]
        .as_i64()
        .unwrap();
    let code = t.outbox.last_to(ELDER_PHONE);
    let r = t.post(&format!("/api/proxies/{id}/consent"), json!({"code": code}), &daughter).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // Live: the daughter watches the elder's cases, and only theirs.
    let watch = |cookie: &str| {
        let req = Request::builder()
            .uri("/api/live?on_behalf_of=r-elder")
            .header("cookie", format!("lang=en; {cookie}"))
            .body(Body::empty())
            .unwrap();
        t.router.clone().oneshot(req)
    };
    let res = watch(&daughter).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut stream = res.into_body();
    t.report(&daughter, None).await;
    let by_elder = t.report(&elder, None).await.body["id"].as_i64().unwrap();
    let seen = next_event(&mut stream, "case_new").await.expect("the elder's new case, live");
    assert_eq!(seen["case_id"].as_i64(), Some(by_elder), "the daughter's own case is not the elder's: {seen}");
    let res = watch(&stranger).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Notifications: closing the case asks the elder to rate it; the daughter reads and marks it.
    t.close(by_elder).await;
    yiwang_engine::notifier::Notifier::new(t.engine.clone()).await.unwrap().round().await.unwrap();
    let r = t.get("/api/notifications?on_behalf_of=r-elder", &daughter).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let asks: Vec<&Value> = r.body.as_array().unwrap().iter().filter(|n| n["case_id"] == json!(by_elder)).collect();
    assert_eq!(asks.len(), 1, "{:?}", r.body);
    let note = asks[0]["id"].as_i64().unwrap();
    assert!(ids(&t.get("/api/notifications", &daughter).await).is_empty(), "none of the daughter's own");
    let r = t.post(&format!("/api/notifications/{note}/read"), json!({}), &daughter).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not the daughter's own");
    let r = t.post(&format!("/api/notifications/{note}/read?on_behalf_of=r-elder"), json!({}), &daughter).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["read_at"].is_string(), "{:?}", r.body);
    let r = t.get("/api/notifications?unread=true", &elder).await;
    assert!(ids(&r).iter().all(|n| *n != note), "read for the elder too");
    let r = t.get("/api/notifications?on_behalf_of=r-elder", &stranger).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "no_proxy"));
    let logged = t.logged("r-elder").await;
    assert!(logged.iter().filter(|a| *a == "proxy_read").count() >= 3, "watching, listing, marking: {logged:?}");

    // Revoked: neither any more.
    let r = t.call(Method::DELETE, &format!("/api/proxies/{id}"), None, &elder).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t.get("/api/notifications?on_behalf_of=r-elder", &daughter).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "proxy_revoked"));
    let res = watch(&daughter).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
