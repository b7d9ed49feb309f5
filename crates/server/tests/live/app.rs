//! The application under test: the real router over an engine on a temporary SQLite store, with
//! a test-only authenticator.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use yiwang_domain::Lang;
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{Action, Actor, Case, Channel, Command, Role, Rules};
use yiwang_domain::geo::Point;
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Taxonomy};
use yiwang_domain::time::Timestamp;
use yiwang_engine::{Engine, NewReport};
use yiwang_server::caller::{Authenticator, Caller};
use yiwang_server::error::ApiError;
use yiwang_server::limits::Limits;
use yiwang_server::{App, router};
use yiwang_store::conformance;
use yiwang_store_sqlite::{Durability, SqliteStore};

/// Who calls: `x-test-staff: <staff id>` or `x-test-resident: <resident id>`; neither is
/// anonymous. For tests only.
struct TestAuth {
    engine: Arc<Engine>,
}

#[async_trait]
impl Authenticator for TestAuth {
    async fn identify(&self, parts: &Parts, lang: Lang) -> Result<Caller, ApiError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let actor = if let Some(id) = header("x-test-staff") {
            Some(self.engine.loaded().staff(&id).ok_or_else(ApiError::unauthenticated)?.actor())
        } else {
            header("x-test-resident").map(|id| Actor::resident(&id))
        };
        Ok(Caller { account: actor.as_ref().map(|a| a.id.clone()), actor, lang })
    }

    async fn api_key(&self, _: &str, _: Lang) -> Result<Option<Caller>, ApiError> {
        Ok(None)
    }
}

/// The conformance district, with staff for every view.
pub fn reference() -> yiwang_store::Reference {
    let mut r = conformance::reference();
    let code = |s: &str| yiwang_domain::codes::AreaCode::parse("t", s).unwrap();
    let staff = |id: &str, role, scope: &str, unit: Option<&str>| Staff {
        id: id.into(),
        name: id.into(),
        role,
        scope: code(scope),
        unit: unit.map(Into::into),
    };
    r.staff.extend([
        staff("op", Role::IntakeOperator, "110101", None),
        staff("disp", Role::Dispatcher, "110101", None),
        staff("super", Role::Supervisor, "110101", None),
        staff("handler-cgzf", Role::Handler, "110101", Some("cgzf")),
        staff("handler-hw", Role::Handler, "110101", Some("hw")),
        staff("leader-district", Role::Leader, "110101", None),
        staff("leader-s1", Role::Leader, "110101001", None),
        staff("leader-s2", Role::Leader, "110101002", None),
        staff("sysadmin", Role::SystemAdmin, "110101", None),
        staff("auditor", Role::AuditAdmin, "110101", None),
    ]);
    r
}

/// Longitudes inside a grid of street 1 (东华门) and of street 2 (景山).
pub const STREET_1: f64 = 116.4005;
pub const STREET_2: f64 = 116.4025;

pub struct TestApp {
    pub engine: Arc<Engine>,
    pub router: Router,
}

impl TestApp {
    pub async fn start(dir: &Path, limits: Limits) -> TestApp {
        let store = SqliteStore::open(dir, Durability::Normal).expect("open the store");
        let fresh = yiwang_store::Store::count_cases(&store).await.unwrap() == 0
            && yiwang_store::Store::load_reference(&store).await.unwrap().areas.is_empty();
        if fresh {
            yiwang_store::Store::save_reference(&store, &reference()).await.expect("reference");
        }
        let rules = Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 };
        let engine = Arc::new(Engine::start(Arc::new(store), rules).await.expect("engine"));
        let auth = Arc::new(TestAuth { engine: engine.clone() });
        let router = router(App { engine: engine.clone(), auth, limits, demo: None });
        TestApp { engine, router }
    }

    pub fn staff(&self, id: &str) -> Actor {
        self.engine.loaded().staff(id).unwrap_or_else(|| panic!("no staff {id}")).actor()
    }

    pub async fn report(&self, resident: &str, lon: f64) -> Case {
        let r = NewReport {
            subclass: SubclassId::parse("s", "E0101").unwrap(),
            request_type: RequestType::Complaint,
            urgency: None,
            location: Point { lon, lat: 39.9005 },
            address: "东华门大街 1 号".into(),
            description: "井盖缺失，很危险".into(),
            channel: Channel::Portal,
            photos: vec![],
        };
        self.engine.report(r, &Actor::resident(resident), Timestamp::now()).await.expect("report")
    }

    pub async fn act(&self, case: i64, actor: Actor, action: Action) -> Case {
        self.act_at(case, actor, action, Timestamp::now()).await
    }

    pub async fn act_at(&self, case: i64, actor: Actor, action: Action, at: Timestamp) -> Case {
        let cmd = Command { actor, at, action, note: "说明".into(), attachments: vec![] };
        self.engine.act(case, cmd).await.expect("act").0
    }

    /// Reports a case in street 1, files it and dispatches it to `unit`.
    pub async fn dispatched(&self, resident: &str, unit: &str) -> Case {
        let c = self.report(resident, STREET_1).await;
        self.act(c.id, self.staff("op"), Action::File { subclass: None, urgency: None }).await;
        self.act(c.id, self.staff("disp"), Action::Dispatch { lead: unit.into(), assisting: vec![] }).await
    }

    /// Marks the case overdue, as the deadline scheduler does once its deadline has passed.
    pub async fn overdue(&self, case: &Case) -> Case {
        let due = case.clock.due_at.expect("a running deadline");
        self.act_at(case.id, Actor::system(), Action::MarkOverdue, due.plus_ms(1)).await
    }

    pub async fn call(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        (parts.status, parts.headers, value)
    }
}

/// A request as `who` (`staff:<id>`, `resident:<id>` or `""` for anonymous).
pub fn request(method: Method, uri: &str, who: &str, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(id) = who.strip_prefix("staff:") {
        b = b.header("x-test-staff", id);
    } else if let Some(id) = who.strip_prefix("resident:") {
        b = b.header("x-test-resident", id);
    }
    match body {
        Some(v) => b.header("content-type", "application/json").body(Body::from(v.to_string())).unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

/// The request as if it came from `peer` over TCP.
pub fn from(mut req: Request<Body>, peer: &str) -> Request<Body> {
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

/// Waits until `check` holds, polling, or panics after `limit`.
pub async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(tokio::time::Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
