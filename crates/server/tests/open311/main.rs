//! Open311 GeoReport v2, through the real router: every endpoint in XML and JSON, in-process
//! (`endpoints`, `updates`), and over a real socket the way FixMyStreet's client speaks
//! (`fixmystreet`). `test_georeport.py` beside these files drives the built binary with the
//! `georeport` client from PyPI (see `scripts/test-open311-georeport.sh`).

mod endpoints;
mod fixmystreet;
mod updates;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use yiwang_domain::Lang;
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{Action, Actor, Case, Channel, Command, Role, Rules};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Taxonomy};
use yiwang_domain::time::{MINUTE_MS, Timestamp};
use yiwang_engine::{Engine, NewReport};
use yiwang_server::caller::{Authenticator, Caller};
use yiwang_server::error::ApiError;
use yiwang_server::{App, router};
use yiwang_store::conformance;
use yiwang_store_sqlite::{Durability, SqliteStore};

pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Points inside the story's grids (`conformance::reference`).
pub const IN_DUOFU: (f64, f64) = (116.4005, 39.9005); // 110101001001001, 东华门街道 多福巷社区
pub const IN_LONGFU: (f64, f64) = (116.4025, 39.9005); // 110101002001001, 景山街道 隆福寺社区

pub fn code(s: &str) -> AreaCode {
    AreaCode::parse("t", s).unwrap()
}

/// API keys for the tests, each standing for one actor.
pub struct Keys(HashMap<&'static str, Actor>);

#[async_trait]
impl Authenticator for Keys {
    async fn identify(&self, _: &Parts, lang: Lang) -> Result<Caller, ApiError> {
        Ok(Caller::anonymous(lang))
    }

    async fn api_key(&self, key: &str, lang: Lang) -> Result<Option<Caller>, ApiError> {
        if key == "locked-key" {
            return Err(ApiError::unauthenticated());
        }
        Ok(self.0.get(key).map(|a| Caller { account: Some(a.id.clone()), actor: Some(a.clone()), lang }))
    }
}

pub fn intake() -> Actor {
    Actor::staff("fms", Role::IntakeOperator, &code("110101"), None)
}
pub fn handler_jd2() -> Actor {
    Actor::staff("jd2-system", Role::Handler, &code("110101"), Some("jd-2"))
}
pub fn handler_hw() -> Actor {
    Actor::staff("hw-system", Role::Handler, &code("110101"), Some("hw"))
}
pub fn chief() -> Actor {
    Actor::staff("chief", Role::ShiftChief, &code("110101"), None)
}
pub fn dispatcher() -> Actor {
    Actor::staff("disp", Role::Dispatcher, &code("110101"), None)
}
pub fn inspector() -> Actor {
    Actor::staff("insp", Role::Inspector, &code("110101"), None)
}

pub struct Fixture {
    pub router: Router,
    pub engine: Arc<Engine>,
    _dir: tempfile::TempDir,
}

pub async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), Durability::Normal).unwrap();
    yiwang_store::Store::save_reference(&store, &conformance::reference()).await.unwrap();
    let rules = Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 };
    let engine = Arc::new(Engine::start(Arc::new(store), rules).await.unwrap());
    let keys = Keys(HashMap::from([
        ("intake-key", intake()),
        ("jd2-key", handler_jd2()),
        ("hw-key", handler_hw()),
        ("chief-key", chief()),
        ("inspector-key", inspector()),
        ("system-key", Actor::system()),
        ("resident-key", Actor::resident("r-app")),
        ("admin-key", Actor::staff("root", Role::SystemAdmin, &code("110101"), None)),
    ]));
    let app = App { engine: engine.clone(), auth: Arc::new(keys), limits: Default::default(), demo: None };
    Fixture { router: router(app), engine, _dir: dir }
}

/// An answer: status, content type, body.
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn xml(&self) -> roxmltree::Document<'_> {
        assert!(self.content_type.starts_with("text/xml"), "not XML ({}): {}", self.content_type, self.body);
        let doc = roxmltree::Document::parse(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body));
        assert!(doc.root_element().tag_name().namespace().is_none(), "no namespace");
        doc
    }

    pub fn json(&self) -> serde_json::Value {
        assert!(self.content_type.starts_with("application/json"), "not JSON ({}): {}", self.content_type, self.body);
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The spec's error list, in XML: `(code, description)` of its one error.
    pub fn xml_error(&self) -> (u16, String) {
        let doc = self.xml();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "errors", "{}", self.body);
        let errors: Vec<_> = root.children().filter(|n| n.has_tag_name("error")).collect();
        assert_eq!(errors.len(), 1, "{}", self.body);
        let code: u16 = text(errors[0], "code").parse().unwrap();
        assert_eq!(code, self.status.as_u16(), "the code is the HTTP status");
        (code, text(errors[0], "description"))
    }

    pub fn json_error(&self) -> (u16, String) {
        let v = self.json();
        let list = v.as_array().unwrap_or_else(|| panic!("errors are a list: {}", self.body));
        assert_eq!(list.len(), 1);
        let code = list[0]["code"].as_u64().unwrap() as u16;
        assert_eq!(code, self.status.as_u16());
        (code, list[0]["description"].as_str().unwrap().to_owned())
    }
}

/// The text of the first child element named `name` (empty when it is empty).
pub fn text(node: roxmltree::Node, name: &str) -> String {
    let child = node
        .children()
        .find(|n| n.has_tag_name(name))
        .unwrap_or_else(|| panic!("no <{name}> in <{}>", node.tag_name().name()));
    child.text().unwrap_or("").to_owned()
}

/// The child elements named `name`.
pub fn children<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &'a str) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.has_tag_name(name)).collect()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

impl Fixture {
    pub async fn send(&self, method: &str, uri: &str, body: Option<String>, lang: Option<&str>) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(l) = lang {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        let req = match body {
            Some(b) => {
                req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(b)).unwrap()
            }
            None => req.body(Body::empty()).unwrap(),
        };
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let content_type =
            res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        Answer { status, content_type, body: String::from_utf8(bytes.to_vec()).unwrap() }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send("GET", uri, None, None).await
    }

    pub async fn post(&self, uri: &str, pairs: &[(&str, &str)]) -> Answer {
        self.send("POST", uri, Some(form(pairs)), None).await
    }

    /// A case reported by a resident at a chosen time, straight through the engine.
    pub async fn report(&self, subclass: &str, at: Timestamp, (lon, lat): (f64, f64), description: &str) -> Case {
        let input = NewReport {
            subclass: SubclassId::parse("s", subclass).unwrap(),
            request_type: RequestType::Complaint,
            urgency: None,
            location: Point { lon, lat },
            address: "东城区某胡同 8 号".into(),
            description: description.into(),
            channel: Channel::Portal,
            photos: vec![],
        };
        self.engine.report(input, &Actor::resident("r-1"), at).await.unwrap()
    }

    /// One step, `minutes` after `case`'s report.
    pub async fn step(&self, id: i64, actor: Actor, at: Timestamp, action: Action, note: &str) -> Case {
        let cmd = Command { actor, at, action, note: note.into(), attachments: vec![] };
        self.engine.act(id, cmd).await.unwrap_or_else(|e| panic!("step on {id}: {e}")).0
    }
}

pub fn minutes(t: Timestamp, m: i64) -> Timestamp {
    t.plus_ms(m * MINUTE_MS)
}
