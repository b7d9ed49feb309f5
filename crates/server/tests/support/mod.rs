//! Shared by the router tests: a test-only authenticator, a world to test in (an engine on a
//! fresh SQLite store with the conformance reference data, the test's own staff, and the
//! router), and an outbox that keeps the verification codes the account service sends. Never
//! shipped.
#![allow(dead_code)] // each test file uses its own part

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::http::request::Parts;
use yiwang_domain::Lang;
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{Action, Actor, Channel, Command, Role, Rules};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::Point;
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Taxonomy};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::{Engine, NewReport};
use yiwang_server::auth::CodeSender;
use yiwang_server::caller::{Authenticator, Caller};
use yiwang_server::error::ApiError;
use yiwang_server::{App, router};
use yiwang_store::conformance;
use yiwang_store_sqlite::{Durability, SqliteStore};

/// A test's member of staff: id (also the name), role, scope, unit.
pub type TestStaff = (&'static str, Role, &'static str, Option<&'static str>);

pub struct World {
    pub engine: Arc<Engine>,
    pub app: axum::Router,
    pub dir: tempfile::TempDir,
}

/// The conformance reference data with `staff` added, on a fresh store, behind the router with
/// the test authenticator.
pub async fn world(staff: &[TestStaff]) -> World {
    world_with(staff, Default::default()).await
}

/// [`world`] with the router's abuse limits given.
pub async fn world_with(staff: &[TestStaff], limits: yiwang_server::limits::Limits) -> World {
    let (engine, dir) = engine(staff).await;
    let app = router(App { engine: engine.clone(), auth: Arc::new(TestAuth(engine.clone())), limits, demo: None });
    World { engine, app, dir }
}

/// An engine on a fresh SQLite store with the conformance reference data and `staff` added.
pub async fn engine(staff: &[TestStaff]) -> (Arc<Engine>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path(), Durability::Normal).unwrap());
    let rules = Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 };
    let engine = Arc::new(Engine::start(store, rules).await.unwrap());
    let mut reference = conformance::reference();
    for (id, role, scope, unit) in staff {
        reference.staff.push(Staff {
            id: (*id).into(),
            name: (*id).into(),
            role: *role,
            scope: AreaCode::parse("scope", scope).unwrap(),
            unit: unit.map(Into::into),
        });
    }
    engine.import_reference(reference).await.unwrap();
    (engine, dir)
}

/// Keeps the verification codes instead of sending them: (phone, code), oldest first.
#[derive(Default)]
pub struct Outbox(pub Mutex<Vec<(String, String)>>);

#[async_trait]
impl CodeSender for Outbox {
    async fn send(&self, phone: &str, code: &str) -> Result<(), String> {
        self.0.lock().unwrap().push((phone.into(), code.into()));
        Ok(())
    }
}

impl Outbox {
    /// The last code sent.
    pub fn last(&self) -> String {
        self.0.lock().unwrap().last().expect("a code was sent").1.clone()
    }

    /// The last code sent, checking that it went to `phone`.
    pub fn last_to(&self, phone: &str) -> String {
        let sent = self.0.lock().unwrap().last().cloned().expect("a code was sent");
        assert_eq!(sent.0, phone, "the code goes to {phone}");
        sent.1
    }
}

/// A case reported at `at` by resident `reporter` in street 1 and taken `upto` steps along the
/// closed loop (file, dispatch to `cgzf`, accept, report back, verify, close) by the staff
/// `op-in`, `disp-in`, `h-lead`, `grid-in` and `chief-in`, a minute apart.
pub async fn case_upto(e: &Engine, at: Timestamp, upto: usize) -> i64 {
    let staff = |id: &str| e.loaded().staff(id).unwrap().actor();
    let report = NewReport {
        subclass: SubclassId::parse("s", "E0101").unwrap(),
        request_type: RequestType::Complaint,
        urgency: None,
        location: Point { lon: 116.4005, lat: 39.9005 },
        address: String::new(),
        description: "路边私搭乱建".into(),
        channel: Channel::Portal,
        photos: vec![],
    };
    let c = e.report(report, &Actor::resident("reporter"), at).await.unwrap();
    let steps: Vec<(&str, Action)> = vec![
        ("op-in", Action::File { subclass: None, urgency: None }),
        ("disp-in", Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }),
        ("h-lead", Action::Accept),
        ("h-lead", Action::ReportBack),
        ("grid-in", Action::Verify { passed: true }),
        ("chief-in", Action::Close { fixed: true }),
    ];
    for (i, (who, action)) in steps.into_iter().take(upto).enumerate() {
        let cmd = Command {
            actor: staff(who),
            at: at.plus_ms((i as i64 + 1) * MINUTE_MS),
            action,
            note: "说明".into(),
            attachments: vec!["p.jpg".into()],
        };
        e.act(c.id, cmd).await.unwrap();
    }
    c.id
}

/// `x-test-actor: <staff id>` (looked up in the reference data) or `x-test-actor: resident:<id>`;
/// no header (or an empty one) is an anonymous caller.
pub struct TestAuth(pub Arc<Engine>);

#[async_trait]
impl Authenticator for TestAuth {
    async fn identify(&self, parts: &Parts, lang: Lang) -> Result<Caller, ApiError> {
        let Some(who) = parts.headers.get("x-test-actor").and_then(|v| v.to_str().ok()).filter(|w| !w.is_empty())
        else {
            return Ok(Caller::anonymous(lang));
        };
        let actor = match who.strip_prefix("resident:") {
            Some(r) => Actor::resident(r),
            None => self.0.loaded().staff(who).expect("test staff exists").actor(),
        };
        Ok(Caller { account: Some(who.to_owned()), actor: Some(actor), lang })
    }

    async fn api_key(&self, _: &str, _: Lang) -> Result<Option<Caller>, ApiError> {
        Ok(None)
    }
}
