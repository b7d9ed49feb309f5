//! Live events (实时推送): committed case changes as Server-Sent Events, for the screens of each
//! level (一级一屏) and the workbench.
//!
//! `GET /api/live[?area=<code>]` streams, after every commit the caller may see:
//! - `case_new` — a case was opened (its first event);
//! - `case_overdue` — the deadline passed (step `mark_overdue`);
//! - `case_changed` — any other step;
//! - `resync` — the stream fell behind (or was resumed after a break) and missed events: reload.
//!
//! Each `data:` is a small JSON object ([`LiveCase`]): where the case stands, never who is
//! involved. The `id:` is `<case id>-<event seq>`; a client that reconnects with
//! `Last-Event-ID` first gets `resync`, as the stream cannot replay what it missed.
//!
//! A relative with an active proxy (亲友代办) watches the elder's cases with `on_behalf_of`; the
//! proxy is checked when the stream starts, and again at each reconnection.
//!
//! Visibility is the API's own ([`crate::api::visibility`]): every event is checked with
//! `can_see` against the caller as they were when the stream started, and, with `area`, against
//! that node of the tree (which must lie within the caller's territory, else 403). A stream ends
//! after [`MAX_STREAM`] so that the client reconnects and its credentials are checked again;
//! comments keep idle connections open through proxies.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::codes::AreaCode;
use yiwang_engine::Committed;
use yiwang_store::CaseFilter;

use crate::api::{proxies, visibility};
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Query};
use crate::{AppState, Stopping};

/// How often an idle stream sends a comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long one stream lasts before the client must reconnect (and be identified again).
pub const MAX_STREAM: Duration = Duration::from_secs(30 * 60);
/// How long a client waits before reconnecting (the `retry:` field).
const RETRY: Duration = Duration::from_secs(3);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    /// Only cases under this node of the jurisdiction tree (2–15 digits), which must lie within
    /// the caller's territory.
    pub area: Option<String>,
    /// 亲友代办: the cases of the resident you act for (an active proxy), instead of your own.
    pub on_behalf_of: Option<String>,
}

/// What a live event says of a case: where it stands, never who is involved.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LiveCase {
    pub case_id: i64,
    /// The event's number within the case.
    pub seq: u32,
    /// The step taken, e.g. `report`, `dispatch`, `mark_overdue`.
    pub step: String,
    /// Machine state after the step, e.g. `handling`.
    pub state: String,
    pub open: bool,
    /// The 15-digit unit grid.
    pub grid: String,
    /// Subclass code, e.g. `E0102`.
    pub subclass: String,
    /// When the step was taken (RFC 3339, China Standard Time).
    pub at: String,
    pub warned: bool,
    pub overdue: bool,
    /// The handling deadline, while it runs.
    pub due_at: Option<String>,
}

impl LiveCase {
    fn of(c: &Committed) -> LiveCase {
        let (case, event) = (&c.case, &c.event);
        LiveCase {
            case_id: case.id,
            seq: event.seq,
            step: event.step.clone(),
            state: case.state.as_str().to_owned(),
            open: case.state.is_open(),
            grid: case.grid.to_string(),
            subclass: case.subclass.to_string(),
            at: event.at.to_rfc3339_cst(),
            warned: case.warned,
            overdue: case.overdue,
            due_at: case.clock.due_at.map(|t| t.to_rfc3339_cst()),
        }
    }
}

/// The event type of a committed change.
pub fn kind(c: &Committed) -> &'static str {
    if c.event.seq == 1 {
        "case_new"
    } else if c.event.step == "mark_overdue" {
        "case_overdue"
    } else {
        "case_changed"
    }
}

/// Live case events the caller may see, as Server-Sent Events.
///
/// Event types: `case_new`, `case_changed`, `case_overdue` (data: `LiveCase`), and `resync`
/// (data: `{"missed": n}`; reload, events were missed). Comments every 15 s keep the connection
/// open; the stream ends after 30 minutes, and the client reconnects.
#[utoipa::path(get, path = "/api/live", tag = "live", params(LiveQuery),
    responses(
        (status = 200, description = "An endless `text/event-stream`; each `data:` of the case events is a `LiveCase`",
            content_type = "text/event-stream", body = LiveCase),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "an administrator, `area` outside the caller's territory, or no active proxy for `on_behalf_of`", body = ErrorBody)))]
async fn live(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<LiveQuery>,
    headers: HeaderMap,
    stopping: Option<Extension<Stopping>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let caller = proxies::acting_for(&app, caller, q.on_behalf_of.as_deref()).await?;
    proxies::log_read(&app, &caller, "watched the resident's cases live".into()).await?;
    let asked = q.area.as_deref().filter(|a| !a.is_empty()).map(|a| AreaCode::parse("area", a)).transpose()?;
    // The list's rules decide who may watch which area: anonymous 401, administrators and areas
    // outside the territory 403; a territorial role's area is narrowed to its territory.
    let area = visibility::narrow(&caller, CaseFilter { area: asked, ..Default::default() })?.area;
    // Subscribed before answering: nothing committed after the answer is missed.
    let rx = app.0.engine.subscribe();
    let feed = Feed {
        rx,
        caller,
        area,
        hello: true,
        resync: headers.contains_key("last-event-id"),
        ends_at: tokio::time::Instant::now() + MAX_STREAM,
        stopping: stopping.map(|Extension(s)| s.0),
    };
    let stream = futures::stream::unfold(feed, |mut f| async move { f.next().await.map(|e| (Ok(e), f)) });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// One subscriber's stream.
struct Feed {
    rx: Receiver<Arc<Committed>>,
    caller: Caller,
    area: Option<AreaCode>,
    /// The first item still to send: the reconnection delay.
    hello: bool,
    /// A `resync` still to send (the client resumed after a break).
    resync: bool,
    ends_at: tokio::time::Instant,
    stopping: Option<watch::Receiver<bool>>,
}

impl Feed {
    fn shows(&self, c: &Committed) -> bool {
        visibility::can_see(&self.caller, &c.case) && self.area.as_ref().is_none_or(|a| a.covers(&c.case.grid))
    }

    async fn next(&mut self) -> Option<Event> {
        if std::mem::take(&mut self.hello) {
            return Some(Event::default().comment("yiwang live").retry(RETRY));
        }
        if std::mem::take(&mut self.resync) {
            return Some(resync(0));
        }
        loop {
            let Feed { rx, stopping, ends_at, .. } = self;
            let stop = async {
                match stopping {
                    // Stopping, or the server that would say so is gone.
                    Some(s) => drop(s.wait_for(|stop| *stop).await),
                    None => std::future::pending().await,
                }
            };
            let received = tokio::select! {
                _ = stop => return None,
                _ = tokio::time::sleep_until(*ends_at) => return None,
                r = rx.recv() => r,
            };
            match received {
                Ok(c) if self.shows(&c) => {
                    let data = serde_json::to_string(&LiveCase::of(&c)).expect("serialises");
                    return Some(
                        Event::default().event(kind(&c)).id(format!("{}-{}", c.case.id, c.event.seq)).data(data),
                    );
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => return Some(resync(missed)),
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

fn resync(missed: u64) -> Event {
    Event::default().event("resync").data(serde_json::json!({ "missed": missed }).to_string())
}

#[cfg(test)]
mod tests {
    use yiwang_domain::calendar::Calendar;
    use yiwang_domain::case::{self, Actor, Channel, Report, Rules};
    use yiwang_domain::geo::Point;
    use yiwang_domain::taxonomy::{RequestType, SubclassId, Taxonomy};
    use yiwang_domain::time::Timestamp;

    use super::*;

    fn committed(id: i64, reporter: &str) -> Arc<Committed> {
        let rules = Rules { taxonomy: Taxonomy::china_default(), calendar: Calendar::china_default(), warn_share: 0.8 };
        let report = Report {
            subclass: SubclassId::parse("s", "E0101").unwrap(),
            request_type: RequestType::Complaint,
            urgency: None,
            grid: AreaCode::parse("g", "110101001001001").unwrap(),
            location: Point { lon: 116.4005, lat: 39.9005 },
            address: String::new(),
            description: "井盖缺失".into(),
            channel: Channel::Portal,
            photos: vec![],
        };
        let (case, event) =
            case::open(id, report, &Actor::resident(reporter), Timestamp(1_763_344_800_000), &rules).expect("open");
        Arc::new(Committed { case, event })
    }

    fn feed(rx: Receiver<Arc<Committed>>, caller: Caller, resync: bool) -> Feed {
        Feed {
            rx,
            caller,
            area: None,
            hello: false,
            resync,
            ends_at: tokio::time::Instant::now() + Duration::from_secs(60),
            stopping: None,
        }
    }

    /// An event as it goes on the wire, read through a one-item stream.
    async fn rendered(e: Event) -> String {
        use axum::response::IntoResponse;
        let sse = Sse::new(futures::stream::iter([Ok::<_, Infallible>(e)])).into_response();
        let body = axum::body::to_bytes(sse.into_body(), 1 << 16).await.unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    fn resident(id: &str) -> Caller {
        Caller { account: None, actor: Some(Actor::resident(id)), lang: Default::default() }
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_told_to_resync() {
        let (tx, rx) = tokio::sync::broadcast::channel(2);
        let mut f = feed(rx, resident("r1"), false);
        for id in 1..=5 {
            tx.send(committed(id, "r1")).unwrap();
        }
        let first = rendered(f.next().await.unwrap()).await;
        assert!(first.contains("event: resync") && first.contains(r#""missed":3"#), "{first}");
        // Then it carries on with what is still buffered.
        let next = rendered(f.next().await.unwrap()).await;
        assert!(next.contains("event: case_new") && next.contains("id: 4-1"), "{next}");
    }

    #[tokio::test]
    async fn only_visible_cases_and_a_resumed_stream_resyncs_first() {
        let (tx, rx) = tokio::sync::broadcast::channel(16);
        let mut f = feed(rx, resident("r1"), true);
        tx.send(committed(1, "someone-else")).unwrap();
        tx.send(committed(2, "r1")).unwrap();
        let first = rendered(f.next().await.unwrap()).await;
        assert!(first.contains("event: resync"), "{first}");
        let second = rendered(f.next().await.unwrap()).await;
        assert!(second.contains("id: 2-1"), "case 1 is not r1's: {second}");
        let data = second.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
        let live: LiveCase = serde_json::from_str(data).unwrap();
        assert_eq!((live.case_id, live.state.as_str(), live.step.as_str()), (2, "reported", "report"));
        assert!(!data.contains("井盖") && !data.contains("r1"), "no contents, no people: {data}");
    }

    #[tokio::test]
    async fn a_stream_ends_in_time_for_credentials_to_be_checked_again() {
        let (_tx, rx) = tokio::sync::broadcast::channel::<Arc<Committed>>(4);
        let mut f = feed(rx, resident("r1"), false);
        f.ends_at = tokio::time::Instant::now() + Duration::from_millis(50);
        assert!(tokio::time::timeout(Duration::from_secs(5), f.next()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_stream_ends_when_the_server_stops() {
        let (_tx, rx) = tokio::sync::broadcast::channel::<Arc<Committed>>(4);
        let (stop, stopping) = watch::channel(false);
        let mut f = feed(rx, Caller { actor: Some(Actor::system()), ..resident("x") }, false);
        f.stopping = Some(stopping);
        let waiting = tokio::spawn(async move { f.next().await.is_none() });
        stop.send(true).unwrap();
        assert!(tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap());
    }
}
