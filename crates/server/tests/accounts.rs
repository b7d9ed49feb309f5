//! Accounts over HTTP: the real router in-process, on a SQLite store in a temporary directory,
//! with a clock the tests move instead of sleeping.

mod support;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use support::Outbox;
use tower::ServiceExt;
use yiwang_domain::Lang;
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{Action, Actor, Command, Role, Rules};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::Taxonomy;
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::Engine;
use yiwang_server::App;
use yiwang_server::auth::{AccountAuthenticator, AuthConfig, Clock, ManualClock, password, totp};
use yiwang_server::caller::Authenticator;
use yiwang_store::accounts::{AccessFilter, Account, AccountKind};
use yiwang_store::{Store, conformance};
use yiwang_store_sqlite::{Durability, SqliteStore};

const PASSWORD: &str = "Test-password-2026";

fn code(s: &str) -> AreaCode {
    AreaCode::parse("t", s).unwrap()
}

struct T {
    router: Router,
    auth: Arc<AccountAuthenticator>,
    engine: Arc<Engine>,
    clock: Arc<ManualClock>,
    outbox: Arc<Outbox>,
    /// One hash of [`PASSWORD`], reused for the test accounts (Argon2 is slow by design).
    hash: String,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }
    fn cookie(&self) -> String {
        let set = self.headers.get(header::SET_COOKIE).expect("Set-Cookie").to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    }
}

async fn start(config: AuthConfig) -> T {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path(), Durability::Normal).unwrap());
    let rules = Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 };
    let engine = Arc::new(Engine::start(store, rules).await.unwrap());
    let mut reference = conformance::reference();
    let staff = |id: &str, role: Role, scope: &str, unit: Option<&str>| Staff {
        id: id.into(),
        name: format!("员工{id}"),
        role,
        scope: code(scope),
        unit: unit.map(Into::into),
    };
    reference.staff.extend([
        staff("op", Role::IntakeOperator, "110101", Some("centre")),
        staff("disp", Role::Dispatcher, "110101", Some("centre")),
        staff("h-hw", Role::Handler, "110101", Some("hw")),
        staff("h-cgzf", Role::Handler, "110101", Some("cgzf")),
        staff("gm", Role::GridMember, "110101001001001", None),
        staff("leader-2", Role::Leader, "110101002", None),
        staff("sysadmin", Role::SystemAdmin, "110101", None),
        staff("secadmin", Role::SecurityAdmin, "110101", None),
        staff("auditadmin", Role::AuditAdmin, "110101", None),
        staff("sysadmin-street", Role::SystemAdmin, "110101002", None),
    ]);
    engine.import_reference(reference).await.unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let outbox = Arc::new(Outbox::default());
    let auth = Arc::new(
        AccountAuthenticator::new(engine.clone(), config).with_clock(clock.clone()).with_code_sender(outbox.clone()),
    );
    let router = yiwang_server::router(App {
        engine: engine.clone(),
        auth: auth.clone() as Arc<dyn Authenticator>,
        // These tests sign in far more often than a person would; the lockout under test is the
        // account's own, not the per-address rate limit (tested in tests/live).
        limits: generous_limits(),
        demo: None,
    });
    let hash = password::hash_blocking(PASSWORD).unwrap();
    T { router, auth, engine, clock, outbox, hash, _dir: dir }
}

impl T {
    async fn call(&self, method: Method, path: &str, body: Option<Value>, credentials: Option<&str>) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(c) = credentials {
            req = if c.starts_with("yw_") {
                req.header(header::AUTHORIZATION, format!("Bearer {c}"))
            } else {
                req.header(header::COOKIE, format!("lang=en; {c}"))
            };
        }
        let req = match body {
            Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Reply { status, headers, body }
    }

    async fn get(&self, path: &str, credentials: &str) -> Reply {
        self.call(Method::GET, path, None, Some(credentials)).await
    }

    async fn post(&self, path: &str, body: Value, credentials: Option<&str>) -> Reply {
        self.call(Method::POST, path, Some(body), credentials).await
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.engine.store()
    }

    /// A staff account for `staff_id` with login = staff id, created directly in the store.
    async fn staff_account(&self, staff_id: &str) -> Account {
        let a = Account {
            staff_id: Some(staff_id.into()),
            password_hash: self.hash.clone(),
            ..Account::new(&format!("acc-{staff_id}"), AccountKind::Staff, staff_id, staff_id, self.clock.now())
        };
        self.store().create_accounts(std::slice::from_ref(&a)).await.unwrap();
        a
    }

    /// An administrator's account with TOTP enrolled; returns its secret.
    async fn admin_account(&self, staff_id: &str) -> Vec<u8> {
        let a = self.staff_account(staff_id).await;
        let secret = b"an administrator's secret!".to_vec();
        self.store().set_totp(&a.id, Some(&totp::base32_encode(&secret)), true).await.unwrap();
        secret
    }

    fn totp_now(&self, secret: &[u8]) -> String {
        totp::code_at_step(secret, totp::step_at(self.clock.now().0 / 1000), totp::DIGITS)
    }

    async fn login(&self, login: &str, totp: Option<String>) -> Reply {
        self.post("/api/auth/login", json!({"login": login, "password": PASSWORD, "totp": totp}), None).await
    }

    /// Signs in and returns the session cookie.
    async fn session(&self, login: &str) -> String {
        let r = self.login(login, None).await;
        assert_eq!(r.status, StatusCode::OK, "sign in as {login}: {:?}", r.body);
        r.cookie()
    }

    async fn admin_session(&self, staff_id: &str) -> String {
        let secret = self.admin_account(staff_id).await;
        let r = self.login(staff_id, Some(self.totp_now(&secret))).await;
        assert_eq!(r.status, StatusCode::OK, "sign in as {staff_id}: {:?}", r.body);
        r.cookie()
    }

    async fn log_actions(&self, subject: &str) -> Vec<String> {
        let f = AccessFilter { subject: Some(subject.into()), limit: 100, ..Default::default() };
        let mut v: Vec<String> = self.store().access_log(&f).await.unwrap().into_iter().map(|e| e.action).collect();
        v.reverse();
        v
    }

    /// Signs a resident up through the API; returns (account id, cookie).
    async fn sign_up(&self, phone: &str, name: &str) -> (String, String) {
        let r = self.post("/api/auth/code", json!({"phone": phone}), None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
        let body = json!({"phone": phone, "code": self.outbox.last(), "password": PASSWORD, "name": name});
        let r = self.post("/api/auth/signup", body, None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        (r.body["account"].as_str().unwrap().to_owned(), r.cookie())
    }
}

#[tokio::test]
async fn residents_sign_up_with_a_code_and_a_policy_password() {
    let t = start(AuthConfig::default()).await;
    let r = t.post("/api/auth/code?lang=en", json!({"phone": "1390000123"}), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "invalid_field"), "{:?}", r.body);
    assert!(r.message().contains("phone") && r.message().contains("11 digits"), "{}", r.message());

    let r = t.post("/api/auth/code", json!({"phone": "+86 139-0000-1234"}), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(r.body["expires_in_seconds"], 600);
    let code = t.outbox.last();
    assert_eq!(code.len(), 6);
    assert_eq!(t.outbox.0.lock().unwrap()[0].0, "13900001234", "sent to the normalised number");

    // Too soon for another.
    let r = t.post("/api/auth/code", json!({"phone": "13900001234"}), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::TOO_MANY_REQUESTS, "code_too_soon"));
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "60");

    let signup = |password: &str, code: &str| json!({"phone": "13900001234", "code": code, "password": password, "name": "欧阳娜娜"});
    // The policy says what is missing; a weak password does not spend the code.
    let r = t.post("/api/auth/signup?lang=en", signup("abcdefghijkl", &code), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "weak_password"));
    assert!(r.message().contains("add 2 more of: uppercase letters, digits, symbols"), "{}", r.message());
    let r = t.post("/api/auth/signup", signup("Pw-13900001234", &code), None).await;
    assert_eq!(r.code(), "weak_password", "the phone inside the password");
    assert!(r.message().contains("不能包含"), "Chinese by default: {}", r.message());

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = t.post("/api/auth/signup", signup(PASSWORD, wrong), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "code_invalid"));

    let r = t.post("/api/auth/signup", signup(PASSWORD, &code), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(set.starts_with("yiwang_session="), "{set}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    assert!(!set.contains("Secure"), "not Secure unless configured: {set}");
    let token = r.cookie().strip_prefix("yiwang_session=").unwrap().to_owned();
    assert_eq!(token.len(), 64, "256 bits, hex");
    let account = r.body["account"].as_str().unwrap().to_owned();

    let me = t.get("/api/me", &r.cookie()).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["phone"], "139****1234");
    assert_eq!(me.body["login"], "139****1234");
    assert_eq!(me.body["role"], "resident");
    assert_eq!(me.body["kind"], "resident");
    assert_eq!(me.body["name"], "欧阳娜娜");
    assert_eq!((me.body["queues"].clone(), me.body["screens"].as_bool()), (json!(["to_rate"]), Some(false)));

    // The store keeps only hashes.
    let stored = t.store().account(&account).await.unwrap().unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"), "{}", stored.password_hash);
    let s = t.store().session(&yiwang_server::auth::token_hash(&token)).await.unwrap().unwrap();
    assert_eq!(s.account_id, account);

    // The code was spent; the phone is taken.
    let r = t.post("/api/auth/signup", signup(PASSWORD, &code), None).await;
    assert_eq!(r.code(), "code_invalid", "a code works once");
    t.clock.advance(MINUTE_MS);
    t.post("/api/auth/code", json!({"phone": "13900001234"}), None).await;
    let r = t.post("/api/auth/signup", signup(PASSWORD, &t.outbox.last()), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "account_exists"));

    // Residents sign in with their phone number, in any usual spelling.
    let r = t.post("/api/auth/login", json!({"login": "139 0000 1234", "password": PASSWORD}), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(t.log_actions(&account).await, ["signup", "login"]);
}

#[tokio::test]
async fn a_code_dies_after_five_wrong_guesses_or_ten_minutes() {
    let t = start(AuthConfig::default()).await;
    t.post("/api/auth/code", json!({"phone": "13900005555"}), None).await;
    let code = t.outbox.last();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let body = |c: &str| json!({"phone": "13900005555", "code": c, "password": PASSWORD, "name": "张三"});
    for _ in 0..5 {
        assert_eq!(t.post("/api/auth/signup", body(wrong), None).await.code(), "code_invalid");
    }
    let r = t.post("/api/auth/signup", body(&code), None).await;
    assert_eq!(r.code(), "code_invalid", "the right code after five wrong guesses: {:?}", r.body);

    t.clock.advance(MINUTE_MS);
    t.post("/api/auth/code", json!({"phone": "13900005555"}), None).await;
    let code = t.outbox.last();
    t.clock.advance(10 * MINUTE_MS);
    assert_eq!(t.post("/api/auth/signup", body(&code), None).await.code(), "code_invalid", "expired");
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let t = start(AuthConfig { secure_cookies: true, ..AuthConfig::default() }).await;
    t.staff_account("op").await;
    let r = t.login("op", None).await;
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set.ends_with("; Secure") && set.contains("HttpOnly") && set.contains("Max-Age=43200"), "{set}");
    let r = t.call(Method::POST, "/api/auth/logout", None, Some(&r.cookie())).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set.starts_with("yiwang_session=;") && set.contains("Max-Age=0"), "cleared: {set}");
}

#[tokio::test]
async fn five_failures_lock_for_five_minutes_and_the_security_admin_unlocks() {
    let t = start(AuthConfig::default()).await;
    let op = t.staff_account("op").await;
    let wrong = json!({"login": "op", "password": "Wrong-password-1"});
    for i in 1..=4 {
        let r = t.post("/api/auth/login", wrong.clone(), None).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"), "failure {i}");
    }
    let r = t.post("/api/auth/login?lang=en", wrong.clone(), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::LOCKED, "account_locked"), "the fifth locks");
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "300");
    assert!(r.message().contains("locked until") && r.message().contains("China Standard Time"), "{}", r.message());

    // Locked: even the right password is refused, without being checked.
    t.clock.advance(4 * MINUTE_MS);
    let r = t.login("op", None).await;
    assert_eq!((r.status, r.code()), (StatusCode::LOCKED, "account_locked"));
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "60");
    assert!(r.message().contains("锁定至"), "Chinese by default: {}", r.message());

    t.clock.advance(MINUTE_MS);
    assert_eq!(t.login("op", None).await.status, StatusCode::OK, "unlocked after five minutes");
    let actions = t.log_actions(&op.id).await;
    assert_eq!(
        actions,
        [
            "login_failed",
            "login_failed",
            "login_failed",
            "login_failed",
            "login_failed",
            "account_locked",
            "login_failed",
            "login"
        ]
    );

    // Locked again; the security administrator unlocks it at once.
    for _ in 0..5 {
        t.post("/api/auth/login", wrong.clone(), None).await;
    }
    assert_eq!(t.login("op", None).await.status, StatusCode::LOCKED);
    let sec = t.admin_session("secadmin").await;
    let r = t.call(Method::POST, &format!("/api/admin/accounts/{}/unlock", op.id), None, Some(&sec)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(t.login("op", None).await.status, StatusCode::OK);
    assert!(t.log_actions(&op.id).await.contains(&"account_unlocked".to_string()));

    // The count starts again after a success.
    for _ in 0..4 {
        t.post("/api/auth/login", wrong.clone(), None).await;
    }
    t.login("op", None).await;
    let r = t.post("/api/auth/login", wrong.clone(), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "one failure after a success does not lock");
}

#[tokio::test]
async fn lockout_is_configurable_and_unknown_logins_look_the_same() {
    let t = start(AuthConfig { lockout_failures: 2, lockout_ms: 60 * MINUTE_MS, ..AuthConfig::default() }).await;
    t.staff_account("op").await;
    let wrong = json!({"login": "op", "password": "Wrong-password-1"});
    assert_eq!(t.post("/api/auth/login", wrong.clone(), None).await.status, StatusCode::UNAUTHORIZED);
    let r = t.post("/api/auth/login", wrong, None).await;
    assert_eq!(r.status, StatusCode::LOCKED);
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "3600");

    let r = t.post("/api/auth/login", json!({"login": "nobody", "password": PASSWORD}), None).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    let r = t.post("/api/auth/login", json!({"login": "13912345678", "password": PASSWORD}), None).await;
    assert_eq!(r.code(), "invalid_credentials");
    assert_eq!(t.log_actions("139****5678").await, ["login_failed"], "a phone in the log is masked");
}

#[tokio::test]
async fn idle_sessions_end() {
    let t = start(AuthConfig::default()).await;
    t.staff_account("op").await;
    let staff = t.session("op").await;
    let (_, resident) = t.sign_up("13900007777", "李四").await;

    for _ in 0..3 {
        t.clock.advance(29 * MINUTE_MS);
        assert_eq!(t.get("/api/me", &staff).await.status, StatusCode::OK, "used within 30 minutes");
    }
    t.clock.advance(31 * MINUTE_MS);
    let r = t.get("/api/me", &staff).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "session_expired"), "idle for 31 minutes");
    assert!(r.message().contains("sign in again"), "{}", r.message());
    let r = t.get("/api/me", &staff).await;
    assert_eq!(r.code(), "session_expired", "and it stays ended");

    // A resident's session lasts days.
    assert_eq!(t.get("/api/me", &resident).await.status, StatusCode::OK);
    t.clock.advance(6 * 24 * 60 * MINUTE_MS);
    assert_eq!(t.get("/api/me", &resident).await.status, StatusCode::OK, "six idle days");
    t.clock.advance(7 * 24 * 60 * MINUTE_MS + MINUTE_MS);
    assert_eq!(t.get("/api/me", &resident).await.code(), "session_expired", "seven idle days");

    // However busy, a staff session ends after its lifetime (12 hours).
    let staff = t.session("op").await;
    for _ in 0..(12 * 60 / 20 - 1) {
        t.clock.advance(20 * MINUTE_MS);
        assert_eq!(t.get("/api/me", &staff).await.status, StatusCode::OK);
    }
    t.clock.advance(20 * MINUTE_MS);
    assert_eq!(t.get("/api/me", &staff).await.code(), "session_expired", "12 hours after sign-in");

    // Signing out ends a session at once.
    let staff = t.session("op").await;
    assert_eq!(t.call(Method::POST, "/api/auth/logout", None, Some(&staff)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.get("/api/me", &staff).await.code(), "session_expired");
    assert_eq!(t.get("/api/me", "yiwang_session=forged").await.code(), "session_expired");
}

#[tokio::test]
async fn totp_enrol_confirm_and_sign_in() {
    let t = start(AuthConfig::default()).await;
    let op = t.staff_account("op").await;
    let cookie = t.session("op").await;
    let r = t.call(Method::POST, "/api/me/totp", None, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let secret_b32 = r.body["secret"].as_str().unwrap().to_owned();
    let url = r.body["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/yiwang:op?secret=") && url.contains(&secret_b32), "{url}");
    let secret = totp::base32_decode(&secret_b32).unwrap();
    assert_eq!(secret.len(), 20);

    // Not in force until confirmed.
    assert_eq!(t.login("op", None).await.status, StatusCode::OK);
    let r = t.post("/api/me/totp/confirm", json!({"code": "12345"}), Some(&cookie)).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "totp_invalid"));
    let r = t.post("/api/me/totp/confirm", json!({"code": t.totp_now(&secret)}), Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["totp_enrolled"], true);
    let r = t.call(Method::POST, "/api/me/totp", None, Some(&cookie)).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "totp_enrolled"), "no second enrolment");

    // Sign-in now asks for a code; the code used to confirm cannot be used again.
    let r = t.login("op", None).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "totp_required"));
    let r = t.login("op", Some(t.totp_now(&secret))).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "totp_invalid"), "a replayed code");
    t.clock.advance(30_000);
    let code = t.totp_now(&secret);
    assert_eq!(t.login("op", Some(code.clone())).await.status, StatusCode::OK);
    assert_eq!(t.login("op", Some(code)).await.code(), "totp_invalid", "each code once");
    let wrong = if t.totp_now(&secret) == "000000" { "111111" } else { "000000" };
    let r = t.login("op", Some(wrong.into())).await;
    assert_eq!(r.code(), "totp_invalid");
    let failures = t.store().account(&op.id).await.unwrap().unwrap().failed_logins;
    assert_eq!(failures, 2, "wrong codes count towards the lock (a success in between cleared the count)");
    assert!(t.log_actions(&op.id).await.contains(&"totp_enrolled".to_string()));

    // Residents have no TOTP.
    let (_, resident) = t.sign_up("13900008888", "王五").await;
    assert_eq!(t.call(Method::POST, "/api/me/totp", None, Some(&resident)).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn administrators_must_enrol_totp_before_anything_else() {
    let t = start(AuthConfig::default()).await;
    let account = t.staff_account("sysadmin").await;
    let cookie = t.session("sysadmin").await;
    let body = json!({"staff_id": "op", "password": PASSWORD});
    let r = t.post("/api/admin/staff-accounts", body.clone(), Some(&cookie)).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "totp_required"), "{:?}", r.body);
    assert!(r.message().contains("POST /api/me/totp"), "{}", r.message());
    let r = t.get("/api/cases", &cookie).await;
    assert_eq!(r.code(), "totp_required");

    let me = t.get("/api/me", &cookie).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!((me.body["role"].as_str(), me.body["totp_required"].as_bool()), (Some("system_admin"), Some(true)));
    assert_eq!((me.body["queues"].clone(), me.body["screens"].as_bool()), (json!([]), Some(false)));

    let r = t.call(Method::POST, "/api/me/totp", None, Some(&cookie)).await;
    let secret = totp::base32_decode(r.body["secret"].as_str().unwrap()).unwrap();
    let r = t.post("/api/me/totp/confirm", json!({"code": t.totp_now(&secret)}), Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["totp_required"], false);
    let r = t.post("/api/admin/staff-accounts", body, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::CREATED, "enrolled, the same session goes on: {:?}", r.body);

    // After a reset by the security administrator, every session of theirs has ended.
    let sec = t.admin_session("secadmin").await;
    let r = t.call(Method::POST, &format!("/api/admin/accounts/{}/reset-totp", account.id), None, Some(&sec)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(t.get("/api/me", &cookie).await.code(), "session_expired");
    let cookie = t.session("sysadmin").await;
    assert_eq!(t.get("/api/admin/access-log", &cookie).await.code(), "totp_required");
    // Not one's own.
    let own = t.store().account_by_login("secadmin").await.unwrap().unwrap();
    let r = t.call(Method::POST, &format!("/api/admin/accounts/{}/reset-totp", own.id), None, Some(&sec)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn three_administrators_each_do_only_their_own_work() {
    let t = start(AuthConfig::default()).await;
    let sys = t.admin_session("sysadmin").await;
    let sec = t.admin_session("secadmin").await;
    let audit = t.admin_session("auditadmin").await;
    t.staff_account("op").await;
    let op = t.session("op").await;
    let target = t.staff_account("h-hw").await;

    // Each endpoint, and whose work it is.
    let work: Vec<(Method, String, Option<Value>, &str)> = vec![
        (
            Method::POST,
            "/api/admin/staff-accounts".into(),
            Some(json!({"staff_id": "disp", "password": PASSWORD})),
            "system",
        ),
        (Method::POST, "/api/admin/api-tokens".into(), Some(json!({"system": "hotline", "name": "12345"})), "system"),
        (Method::DELETE, "/api/admin/api-tokens/t-none".into(), None, "system"),
        (Method::POST, format!("/api/admin/accounts/{}/unlock", target.id), None, "security"),
        (Method::POST, format!("/api/admin/accounts/{}/reset-totp", target.id), None, "security"),
        (Method::GET, "/api/admin/access-log".into(), None, "audit"),
    ];
    let callers = [("system", &sys), ("security", &sec), ("audit", &audit), ("operator", &op)];
    for (method, path, body, owner) in &work {
        for (who, cookie) in callers {
            let r = t.call(method.clone(), path, body.clone(), Some(cookie)).await;
            if who == *owner {
                assert!(
                    r.status.is_success() || (r.status == StatusCode::NOT_FOUND && path.contains("t-none")),
                    "{who} on {method} {path}: {} {:?}",
                    r.status,
                    r.body
                );
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} on {method} {path}: {:?}", r.body);
                assert!(
                    r.message().contains(&format!("only the {owner} administrator")),
                    "{who} on {path}: {}",
                    r.message()
                );
            }
        }
        let r = t.call(method.clone(), path, body.clone(), None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "anonymous on {path}");
    }
    let f = AccessFilter { action: Some("forbidden".into()), limit: 100, ..Default::default() };
    assert_eq!(t.store().access_log(&f).await.unwrap().len(), 18, "every refused attempt is logged");

    // No administrator reads case contents.
    let case = t.case_reported_by_a_resident().await;
    for cookie in [&sys, &sec, &audit] {
        assert_eq!(t.get("/api/cases", cookie).await.status, StatusCode::FORBIDDEN);
        assert_eq!(t.get(&format!("/api/cases/{case}"), cookie).await.status, StatusCode::NOT_FOUND);
        assert_eq!(t.get(&format!("/api/cases/{case}/reporter"), cookie).await.status, StatusCode::NOT_FOUND);
    }
}

impl T {
    /// A resident signs up and reports a problem in grid 110101001001001; returns the case id.
    async fn case_reported_by_a_resident(&self) -> i64 {
        let (_, cookie) = self.sign_up("13900003333", "欧阳娜娜").await;
        let report = json!({"subclass": "E0101", "lon": 116.4005, "lat": 39.9005, "description": "垃圾堆放"});
        let r = self.post("/api/reports", report, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["id"].as_i64().unwrap()
    }

    async fn act(&self, case: i64, staff: &str, action: Action) {
        let actor = self.engine.loaded().staff(staff).unwrap().actor();
        let cmd = Command { actor, at: Timestamp::now(), action, note: "说明".into(), attachments: vec![] };
        self.engine.act(case, cmd).await.unwrap();
    }
}

#[tokio::test]
async fn system_admins_manage_staff_accounts_in_their_scope() {
    let t = start(AuthConfig::default()).await;
    let sys = t.admin_session("sysadmin").await;
    let post = |body: Value| t.post("/api/admin/staff-accounts?lang=en", body, Some(&sys));
    let r = post(json!({"staff_id": "nobody", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = post(json!({"staff_id": "secadmin", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "administrators are made on the command line");
    let r = post(json!({"staff_id": "gm", "password": "short"})).await;
    assert_eq!(r.code(), "weak_password");
    let r = post(json!({"staff_id": "gm", "login": "gm-zhang", "password": "Gm-zhang-2026"})).await;
    assert!(r.message().contains("must not contain your login"), "{}", r.message());
    let r = post(json!({"staff_id": "gm", "login": "a b", "password": PASSWORD})).await;
    assert_eq!(r.code(), "invalid_field");
    let r = post(json!({"staff_id": "gm", "password": PASSWORD, "id_number": "110105194912310021"})).await;
    assert!(r.message().contains("check digit"), "{}", r.message());
    let r = post(json!({"staff_id": "gm", "login": "gm-zhang", "password": PASSWORD, "phone": "13900009999", "id_number": "11010519491231002X"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!((r.body["role"].as_str(), r.body["scope"].as_str()), (Some("grid_member"), Some("110101001001001")));
    let r = post(json!({"staff_id": "gm", "login": "gm-li", "password": PASSWORD})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "account_exists"));
    let r = post(json!({"staff_id": "op", "login": "gm-zhang", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "login taken");

    let me = t.get("/api/me", &t.session("gm-zhang").await).await;
    assert_eq!(me.body["phone"], "139****9999");
    assert_eq!(me.body["id_number"], "110105********002X");
    assert_eq!(me.body["scope"], "110101001001001");

    // A street's system administrator manages only that street.
    let street = t.admin_session("sysadmin-street").await;
    let r = t.post("/api/admin/staff-accounts", json!({"staff_id": "op", "password": PASSWORD}), Some(&street)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a district operator is outside a street");
    let r =
        t.post("/api/admin/staff-accounts", json!({"staff_id": "leader-2", "password": PASSWORD}), Some(&street)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn api_tokens_act_as_the_platform_until_revoked() {
    let t = start(AuthConfig::default()).await;
    let sys = t.admin_session("sysadmin").await;
    let r = t
        .post("/api/admin/api-tokens", json!({"system": "hotline-bridge", "name": "12345 热线对接"}), Some(&sys))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert!(token.starts_with("yw_") && token.len() == 67, "{token}");
    let r2 = t.post("/api/admin/api-tokens", json!({"system": "hotline-bridge", "name": "second"}), Some(&sys)).await;
    assert_eq!(r2.body["account"], r.body["account"], "one system account per system");

    let me = t.get("/api/me", &token).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!((me.body["kind"].as_str(), me.body["role"].as_str()), (Some("system"), Some("system")));
    assert_eq!(t.get("/api/cases", &token).await.status, StatusCode::OK);
    let caller = t.auth.api_key(&token, Lang::En).await.unwrap().expect("a caller for the key");
    assert_eq!(caller.role(), Some(Role::System));
    assert_eq!(caller.actor.unwrap().id, "system:hotline-bridge");

    let r = t.call(Method::DELETE, &format!("/api/admin/api-tokens/{id}"), None, Some(&sys)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = t.get("/api/me", &token).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "invalid_token"));
    assert!(t.auth.api_key(&token, Lang::En).await.unwrap().is_none());
    assert_eq!(t.get("/api/me", "yw_0000").await.code(), "invalid_token");
    let r = t.call(Method::DELETE, &format!("/api/admin/api-tokens/{id}"), None, Some(&sys)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "already revoked");
    // A system cannot sign in with a password.
    let r = t.post("/api/auth/login", json!({"login": "system:hotline-bridge", "password": ""}), None).await;
    assert_eq!(r.code(), "invalid_credentials");
}

#[tokio::test]
async fn callers_carry_their_staff_role_scope_and_unit() {
    let t = start(AuthConfig::default()).await;
    for id in ["op", "h-hw", "gm", "leader-2"] {
        t.staff_account(id).await;
        let cookie = t.session(id).await;
        let req = Request::builder().uri("/api/me").header(header::COOKIE, cookie).body(()).unwrap();
        let (parts, ()) = req.into_parts();
        let caller = t.auth.identify(&parts, Lang::Zh).await.unwrap();
        let staff = t.engine.loaded().staff(id).unwrap().clone();
        assert_eq!(caller.actor, Some(staff.actor()), "{id}");
        assert_eq!(caller.account.as_deref(), Some(format!("acc-{id}").as_str()));
    }
    let me = t.get("/api/me?lang=en", &t.session("h-hw").await).await;
    assert_eq!(me.body["role"], "handler");
    assert_eq!(me.body["unit"]["id"], "hw");
    assert_eq!(me.body["scope"], "110101");
    assert_eq!(me.body["scope_name"], "东城区");
    assert_eq!(me.body["scope_level"], "county");
    assert_eq!(me.body["queues"], json!(["to_accept", "to_report_back"]));
    assert_eq!(me.body["screens"], false, "a unit's handler has the unit's numbers, not the screens");

    let (account, cookie) = t.sign_up("13900002222", "赵六").await;
    let parts = Request::builder().header(header::COOKIE, cookie).body(()).unwrap().into_parts().0;
    let caller = t.auth.identify(&parts, Lang::Zh).await.unwrap();
    assert_eq!(caller.actor, Some(Actor::resident(&account)));

    let parts = Request::builder().body(()).unwrap().into_parts().0;
    assert!(t.auth.identify(&parts, Lang::Zh).await.unwrap().actor.is_none(), "no credentials: anonymous");
}

#[tokio::test]
async fn the_reporter_is_unmasked_only_for_who_calls_back_and_every_unmasking_is_logged() {
    let t = start(AuthConfig::default()).await;
    let case = t.case_reported_by_a_resident().await;
    let resident = t.store().account_by_phone("13900003333").await.unwrap().unwrap();
    t.act(case, "op", Action::File { subclass: None, urgency: None }).await;
    t.act(case, "disp", Action::Dispatch { lead: "hw".into(), assisting: vec![] }).await;
    let path = format!("/api/cases/{case}/reporter");

    // The case view names the reporter by account id only: no phone, no name.
    for id in ["op", "h-hw", "h-cgzf", "gm", "leader-2"] {
        t.staff_account(id).await;
    }
    let op = t.session("op").await;
    let view = t.get(&format!("/api/cases/{case}"), &op).await;
    assert_eq!(view.body["reporter"], resident.id.as_str());
    assert!(!view.body.to_string().contains("13900003333"), "{}", view.body);

    // The lead unit's handler calls back: in full, logged.
    let r = t.get(&path, &t.session("h-hw").await).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!((r.body["name"].as_str(), r.body["phone"].as_str()), (Some("欧阳娜娜"), Some("13900003333")));
    assert_eq!(r.body["unmasked"], true);
    let entries = t
        .store()
        .access_log(&AccessFilter { action: Some("unmask".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!((entries[0].actor.as_deref(), entries[0].subject.as_str()), (Some("acc-h-hw"), resident.id.as_str()));
    assert!(entries[0].detail.contains(&format!("case {case}")), "{}", entries[0].detail);

    // The intake operator in whose territory it is: in full, logged again.
    let r = t.get(&path, &op).await;
    assert_eq!(r.body["phone"], "13900003333");
    // A grid member and a leader who may see the case: masked, not logged.
    let r = t.get(&path, &t.session("gm").await).await;
    assert_eq!((r.body["name"].as_str(), r.body["phone"].as_str()), (Some("欧阳**"), Some("139****3333")));
    assert_eq!(r.body["unmasked"], false);
    // Another unit's handler does not see the case at all; nor a leader of another street.
    assert_eq!(t.get(&path, &t.session("h-cgzf").await).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&path, &t.session("leader-2").await).await.status, StatusCode::NOT_FOUND);
    // The reporter sees themselves, masked.
    let r = t.post("/api/auth/login", json!({"login": "13900003333", "password": PASSWORD}), None).await;
    let r = t.get(&path, &r.cookie()).await;
    assert_eq!((r.body["phone"].as_str(), r.body["unmasked"].as_bool()), (Some("139****3333"), Some(false)));
    assert_eq!(t.call(Method::GET, &path, None, None).await.status, StatusCode::UNAUTHORIZED);

    let unmaskings = t
        .store()
        .access_log(&AccessFilter { action: Some("unmask".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(unmaskings.len(), 2, "one entry per unmasking, none for masked answers");

    // The audit administrator reads them; the log shows no phone number in full.
    let audit = t.admin_session("auditadmin").await;
    let r = t.get("/api/admin/access-log?action=unmask", &audit).await;
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    let r = t.get("/api/admin/access-log?limit=500", &audit).await;
    assert!(!r.body.to_string().contains("13900003333"), "{}", r.body);
    assert!(r.body.to_string().contains("139****3333"), "the code was sent to a masked number");
    let r = t.get("/api/admin/access-log?limit=1", &audit).await;
    assert_eq!(r.body[0]["action"], "access_log_read", "reading the log is logged");
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let t = start(AuthConfig::default()).await;
    t.staff_account("op").await;
    let (a, b) = (t.session("op").await, t.session("op").await);
    let change = |current: &str, new: &str| json!({"current": current, "password": new});
    let r = t.post("/api/me/password", change("Wrong-password-1", "New-password-2027"), Some(&a)).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    let r = t.post("/api/me/password", change(PASSWORD, PASSWORD), Some(&a)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "the same again");
    let r = t.post("/api/me/password", change(PASSWORD, "op-password"), Some(&a)).await;
    assert_eq!(r.code(), "weak_password");
    let r = t.post("/api/me/password", change(PASSWORD, "New-password-2027"), Some(&a)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let c = r.cookie();
    assert_eq!(t.get("/api/me", &c).await.status, StatusCode::OK, "this browser goes on");
    assert_eq!(t.get("/api/me", &a).await.code(), "session_expired");
    assert_eq!(t.get("/api/me", &b).await.code(), "session_expired", "other sessions end");
    assert_eq!(t.login("op", None).await.code(), "invalid_credentials", "the old password is gone");
    let r = t.post("/api/auth/login", json!({"login": "op", "password": "New-password-2027"}), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let failures = t.store().account("acc-op").await.unwrap().unwrap().failed_logins;
    assert_eq!(failures, 0, "the wrong current password counted, and the sign-in cleared it");
    assert!(t.log_actions("acc-op").await.contains(&"password_changed".to_string()));
}

#[tokio::test]
async fn the_openapi_document_describes_the_account_endpoints() {
    let t = start(AuthConfig::default()).await;
    let r = t.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let paths = r.body["paths"].as_object().unwrap();
    for p in [
        "/api/auth/code",
        "/api/auth/signup",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/me",
        "/api/me/password",
        "/api/me/totp",
        "/api/me/totp/confirm",
        "/api/admin/staff-accounts",
        "/api/admin/api-tokens",
        "/api/admin/api-tokens/{id}",
        "/api/admin/accounts/{id}/unlock",
        "/api/admin/accounts/{id}/reset-totp",
        "/api/admin/access-log",
        "/api/cases/{id}/reporter",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    let login = &paths["/api/auth/login"]["post"]["responses"];
    assert!(login["423"].is_object() && login["200"]["headers"]["Set-Cookie"].is_object(), "{login}");
}

fn generous_limits() -> yiwang_server::limits::Limits {
    use yiwang_server::limits::{Limits, Rate};
    let many = Rate::per_minute(100_000);
    Limits {
        login: many,
        signup: many,
        code: many,
        anonymous_report: many,
        anonymous_upload: many,
        ..Limits::default()
    }
}
