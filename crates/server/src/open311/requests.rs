//! Service requests: the public list, one request, tokens, and reporting a new one.
//!
//! What the public sees of a case is what a public board may show: the service, the state, the
//! place, the description and address with personal data masked, the responsible unit, the
//! deadline and links to pictures the client system published itself. Never the reporter; a
//! voided case (not a valid case: abuse, spam) shows no description at all.
//!
//! A posted request becomes a case through `Engine::report`, like any report. The acting actor is
//! the API key's caller (the event records their id and role); the case's reporter is the person
//! as the client system knows them — `{caller}/account/{account_id}`, else
//! `{caller}/device/{device_id}`, else the caller itself — recorded through the actor's
//! `on_behalf_of`. `first_name`, `last_name`, `email` and `phone` are dropped: accounts cannot
//! yet hold a client system's contacts masked and encrypted, and the case must not carry them.

use std::collections::{HashMap, VecDeque};

use yiwang_domain::Lang;
use yiwang_domain::case::{Actor, Case, Channel, Role, State};
use yiwang_domain::taxonomy::{SubclassId, Urgency};
use yiwang_domain::time::Timestamp;
use yiwang_engine::NewReport;
use yiwang_store::{CaseFilter, Store};

use crate::mask::public_text;

use super::doc::Node;
use super::services::{REQUEST_TYPES, URGENCIES, limit_text};
use super::{Call, Failure, MAX_RESULTS, Reply, media_urls, paging, place, plain_text, window};
use crate::AppState;
use crate::caller::Caller;

fn pick(lang: Lang, zh: &str, en: &str) -> String {
    if lang == Lang::En { en.to_owned() } else { zh.to_owned() }
}

/// The first picture link a client system gave, if any (our own uploads are not public).
pub fn public_media(links: &[String]) -> Node {
    Node::opt(links.iter().find(|l| l.starts_with("http://") || l.starts_with("https://")).cloned())
}

/// A case as the public may see it, in the spec's order of fields.
fn request(app: &AppState, c: &Case, updated: Option<Timestamp>, lang: Lang) -> Node {
    let engine = &app.0.engine;
    let loaded = engine.loaded();
    let service_name = engine
        .rules()
        .taxonomy
        .subclass(c.subclass)
        .map(|s| if lang == Lang::En { s.en.clone() } else { s.name.clone() })
        .unwrap_or_default();
    let agency =
        c.lead_unit.as_deref().map(|u| loaded.responsibility.unit(u).map_or(u, |u| u.name.as_str()).to_owned());
    let voided = c.state == State::Voided;
    let time = |t: Timestamp| Node::text(t.to_rfc3339_cst());
    Node::Object(vec![
        ("service_request_id", Node::text(c.id.to_string())),
        ("status", Node::text(if c.state.is_open() { "open" } else { "closed" })),
        ("status_notes", Node::text(if lang == Lang::En { c.state.name_en() } else { c.state.name_zh() })),
        ("service_name", Node::text(service_name)),
        ("service_code", Node::text(c.subclass.to_string())),
        ("description", Node::text(if voided { String::new() } else { public_text(app, &c.description) })),
        ("agency_responsible", Node::opt(agency)),
        ("service_notice", Node::Null),
        ("requested_datetime", time(c.reported_at)),
        ("updated_datetime", time(updated.unwrap_or(c.reported_at))),
        ("expected_datetime", c.clock.due_at.filter(|_| c.state.is_open()).map_or(Node::Null, time)),
        ("address", Node::text(if voided { String::new() } else { public_text(app, &c.address) })),
        // Our address repository is the grid layer: the unit grid's code.
        ("address_id", Node::text(c.grid.to_string())),
        ("zipcode", Node::Null),
        ("lat", Node::Float(c.location.lat)),
        ("long", Node::Float(c.location.lon)),
        ("media_url", if voided { Node::Null } else { public_media(&c.photos) }),
    ])
}

/// The cases as the public sees them, with the time of each one's latest change.
async fn requests(app: &AppState, cases: &[Case], lang: Lang) -> Result<Node, Failure> {
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let changed: HashMap<i64, Timestamp> = app.0.engine.store().last_changed(&ids).await?.into_iter().collect();
    Ok(Node::List("request", cases.iter().map(|c| request(app, c, changed.get(&c.id).copied(), lang)).collect()))
}

fn parse_id(name: &str, s: &str) -> Result<i64, Failure> {
    s.trim().parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        Failure::bad(format!("{name} “{s}”应为正整数"), format!("{name} “{s}” must be a positive whole number"))
    })
}

/// One stream of cases, newest first, read from the store a chunk at a time.
struct Stream {
    filter: CaseFilter,
    buffer: VecDeque<Case>,
    done: bool,
}

impl Stream {
    async fn peek(&mut self, store: &dyn Store, chunk: u32) -> Result<Option<i64>, Failure> {
        if self.buffer.is_empty() && !self.done {
            let filter = CaseFilter { limit: chunk, ..self.filter.clone() };
            let got = store.find_cases(&filter).await?;
            self.done = (got.len() as u32) < chunk;
            if let Some(last) = got.last() {
                self.filter.before_id = Some(last.id);
            }
            self.buffer.extend(got);
        }
        Ok(self.buffer.front().map(|c| c.id))
    }
}

/// `GET requests`: by id (a comma-separated list that overrides every other filter), or by
/// service codes, window of `requested_datetime`, status and page; newest first.
pub async fn list(app: &AppState, call: &Call) -> Result<Reply, Failure> {
    let params = &call.params;
    let store = app.0.engine.store();
    if let Some(ids) = params.get("service_request_id") {
        let mut wanted: Vec<i64> = Vec::new();
        for part in ids.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let id = parse_id("service_request_id", part)?;
            if !wanted.contains(&id) {
                wanted.push(id);
            }
        }
        if wanted.len() > MAX_RESULTS as usize {
            return Err(Failure::bad(
                format!("service_request_id 最多 {MAX_RESULTS} 个"),
                format!("at most {MAX_RESULTS} service_request_id values"),
            ));
        }
        let mut cases = Vec::with_capacity(wanted.len());
        for id in wanted {
            if let Some(c) = store.case(id).await? {
                cases.push(c);
            }
        }
        return Ok(Reply::ok("service_requests", requests(app, &cases, call.lang).await?));
    }

    let taxonomy = &app.0.engine.rules().taxonomy;
    let mut codes: Vec<SubclassId> = Vec::new();
    for part in params.all("service_code").iter().flat_map(|v| v.split(',')).map(str::trim).filter(|p| !p.is_empty()) {
        let id = SubclassId::parse("service_code", part)
            .ok()
            .filter(|id| taxonomy.subclass(*id).is_some())
            .ok_or_else(|| {
                Failure::bad(
                    format!("service_code “{part}”不存在；服务列表见 services.xml"),
                    format!("service_code “{part}” is not a service here; see services.xml"),
                )
            })?;
        if !codes.contains(&id) {
            codes.push(id);
        }
    }
    let (from, to) = window(params, Timestamp::now())?;
    let (mut open, mut closed) = (false, false);
    for part in params.all("status").iter().flat_map(|v| v.split(',')).map(str::trim).filter(|p| !p.is_empty()) {
        match part.to_ascii_lowercase().as_str() {
            "open" => open = true,
            "closed" => closed = true,
            _ => {
                return Err(Failure::bad(
                    format!("status “{part}”应为 open 或 closed"),
                    format!("status “{part}” must be open or closed"),
                ));
            }
        }
    }
    let states = match (open, closed) {
        (true, false) => State::ALL.into_iter().filter(|s| s.is_open()).collect(),
        (false, true) => State::ALL.into_iter().filter(|s| !s.is_open()).collect(),
        _ => Vec::new(),
    };
    let (offset, size) = paging(params)?;

    let base = CaseFilter { states, reported_from: Some(from), reported_to: to, ..Default::default() };
    let mut streams: Vec<Stream> = if codes.is_empty() {
        vec![Stream { filter: base, buffer: VecDeque::new(), done: false }]
    } else {
        codes
            .iter()
            .map(|c| Stream {
                filter: CaseFilter { subclass: Some(*c), ..base.clone() },
                buffer: VecDeque::new(),
                done: false,
            })
            .collect()
    };
    // Several service codes are merged newest first; pages are counted across them.
    let chunk = (offset + u64::from(size)).min(500) as u32;
    let (mut skipped, mut cases) = (0u64, Vec::new());
    loop {
        let mut best: Option<(usize, i64)> = None;
        for (i, s) in streams.iter_mut().enumerate() {
            if let Some(id) = s.peek(store.as_ref(), chunk).await?
                && best.is_none_or(|(_, b)| id > b)
            {
                best = Some((i, id));
            }
        }
        let Some((i, _)) = best else { break };
        let case = streams[i].buffer.pop_front().expect("peeked");
        if skipped < offset {
            skipped += 1;
            continue;
        }
        cases.push(case);
        if cases.len() as u32 == size {
            break;
        }
    }
    Ok(Reply::ok("service_requests", requests(app, &cases, call.lang).await?))
}

fn not_found(id: &str) -> Failure {
    Failure::not_found(format!("service_request_id “{id}”不存在"), format!("service_request_id “{id}” was not found"))
}

/// `GET requests/{id}`: a list of one.
pub async fn one(app: &AppState, call: &Call, id: &str) -> Result<Reply, Failure> {
    let n = id.parse::<i64>().map_err(|_| not_found(id))?;
    let case = app.0.engine.store().case(n).await?.ok_or_else(|| not_found(id))?;
    Ok(Reply::ok("service_requests", requests(app, &[case], call.lang).await?))
}

/// `GET tokens/{token}`: requests are created at once, so the token is the request id itself.
pub async fn token(app: &AppState, _call: &Call, token: &str) -> Result<Reply, Failure> {
    let missing = || Failure::not_found(format!("token “{token}”不存在"), format!("token “{token}” was not found"));
    let id = token.parse::<i64>().map_err(|_| missing())?;
    app.0.engine.store().case(id).await?.ok_or_else(missing)?;
    Ok(Reply::ok(
        "service_requests",
        Node::List(
            "request",
            vec![Node::Object(vec![("service_request_id", Node::text(id.to_string())), ("token", Node::text(token))])],
        ),
    ))
}

/// An identifier a client system gives its user (`account_id`, `device_id`): opaque, short.
fn client_id<'a>(name: &str, v: &'a str) -> Result<&'a str, Failure> {
    if v.chars().count() <= 64 && v.chars().all(|c| !c.is_control() && !c.is_whitespace() && c != '/') {
        Ok(v)
    } else {
        Err(Failure::bad(
            format!("{name} 应为不超过 64 个字符、不含空白和“/”的标识"),
            format!("{name} must be an identifier of at most 64 characters, without spaces or “/”"),
        ))
    }
}

/// Who reports: the caller, on behalf of the person their system knows.
fn reporter(actor: &Actor, call: &Call) -> Result<Actor, Failure> {
    if actor.role == Role::Resident {
        return Ok(actor.clone());
    }
    let person = match (call.params.get("account_id"), call.params.get("device_id")) {
        (Some(a), _) => Some(format!("{}/account/{}", actor.id, client_id("account_id", a)?)),
        (None, Some(d)) => Some(format!("{}/device/{}", actor.id, client_id("device_id", d)?)),
        (None, None) => None,
    };
    Ok(Actor { on_behalf_of: person.or_else(|| actor.on_behalf_of.clone()), ..actor.clone() })
}

/// `POST requests`: report a problem for a person, through a client system.
pub async fn create(app: &AppState, call: &Call, caller: &Caller) -> Result<Reply, Failure> {
    let params = &call.params;
    let lang = call.lang;
    let engine = &app.0.engine;
    let code =
        params.get("service_code").ok_or_else(|| Failure::bad("须提供 service_code", "service_code is required"))?;
    let subclass = SubclassId::parse("service_code", code)
        .ok()
        .and_then(|id| engine.rules().taxonomy.subclass(id))
        .ok_or_else(|| {
            Failure::bad(
                format!("service_code “{code}”不存在；服务列表见 services.xml"),
                format!("service_code “{code}” is not a service here; see services.xml"),
            )
        })?;
    let (mut request_type, mut urgency) = (None, None::<Urgency>);
    // Attributes we do not define (FixMyStreet sends its own, e.g. fixmystreet_id) are ignored.
    for (name, value) in params.attributes() {
        let bad = |allowed: Vec<&str>| {
            Failure::bad(
                format!("attribute[{name}] “{value}”应为 {} 之一", allowed.join("、")),
                format!("attribute[{name}] “{value}” must be one of {}", allowed.join(", ")),
            )
        };
        match name {
            "request_type" => {
                let found = REQUEST_TYPES.iter().find(|t| t.1 == value);
                request_type = Some(found.ok_or_else(|| bad(REQUEST_TYPES.iter().map(|t| t.1).collect()))?.0);
            }
            "urgency" => {
                let found = URGENCIES.iter().find(|u| u.1 == value);
                urgency = Some(found.ok_or_else(|| bad(URGENCIES.iter().map(|u| u.1).collect()))?.0);
            }
            _ => {}
        }
    }
    let description = plain_text("description", params.get("description").unwrap_or(""))?;
    let photos = media_urls(params)?;
    let located = place::locate(&engine.loaded(), params)?;
    let actor = caller.actor.as_ref().expect("checked by api_caller");
    let reporter = reporter(actor, call)?;
    let input = NewReport {
        subclass: subclass.id,
        request_type: request_type.unwrap_or_default(),
        urgency,
        location: located.point,
        address: located.address,
        description,
        channel: Channel::Open311,
        photos,
    };
    let case = engine.report(input, &reporter, Timestamp::now()).await?;
    let limit = limit_text(subclass.time_limit, lang);
    let notice = match case.urgency {
        Urgency::Urgent => pick(
            lang,
            &format!("已受理；紧急案卷派遣后 {} 内处置（不超过 2 个工作小时）", limit),
            &format!("received; urgent: handled within {limit} of dispatch (2 working hours at most)"),
        ),
        _ => pick(
            lang,
            &format!("已受理；派遣后 {limit} 内处置"),
            &format!("received; handled within {limit} of dispatch"),
        ),
    };
    Ok(Reply::ok(
        "service_requests",
        Node::List(
            "request",
            vec![Node::Object(vec![
                ("service_request_id", Node::text(case.id.to_string())),
                ("service_notice", Node::text(notice)),
                ("account_id", Node::Null),
            ])],
        ),
    ))
}
