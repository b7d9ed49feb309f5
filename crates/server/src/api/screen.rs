//! One screen per level (一级一屏): a node's live counters, its children's (to colour the map),
//! reports and closures per day, the commonest problems and the most overdue cases.
//!
//! Fast whatever the number of cases: the live counters are `count(*)` over the case search index
//! (`cases_state_grid`: state, grid, …, overdue, warned; never the cases' rows); the days come from the
//! evaluation counters (one row per node and day); the problem kinds from the index of recent
//! reports (`cases_recent`); the most overdue from the open, overdue cases under the node.
//!
//! Who sees it: staff with a territory, on any node inside it (leaders, the chief data officer,
//! supervisors, shift chiefs, dispatchers, intake operators, inspectors, grid members for their
//! grids). A node outside the caller's territory answers 404, like one that does not exist.
//! Residents, unit handlers (their numbers are their unit's: `GET /api/evaluation/indicators?dim=unit`
//! and `GET /api/queues`) and the three administrators get 403.

use axum::extract::State;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::Lang;
use yiwang_domain::case::{Role, State as CaseState};
use yiwang_domain::codes::{AreaCode, Level};
use yiwang_domain::evaluation::Dim;
use yiwang_domain::time::Timestamp;
use yiwang_store::{CaseFilter, CaseOrder, OpenCounts};

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json, Query};
use crate::view::CaseView;

/// Days in the series and in the window of the commonest problems.
const DAYS: i64 = 30;
const TOP_KINDS: u32 = 10;
const MOST_OVERDUE: u32 = 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(screen))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScreenQuery {
    /// The node (2–18 digits); default: the node the caller's role holds on.
    pub area: Option<String>,
}

/// A node of the tree.
#[derive(Serialize, ToSchema)]
pub struct NodeView {
    #[schema(example = "110101001")]
    pub code: String,
    #[schema(example = "东华门街道")]
    pub name: String,
    /// `province`, `city`, `county`, `street`, `community`, `grid` or `micro_grid`.
    #[schema(value_type = String, example = "street")]
    pub level: Level,
}

/// The open cases of a node now.
#[derive(Serialize, ToSchema, Default)]
pub struct LiveView {
    /// Open cases (reported up to verified, parked included).
    pub open: i64,
    /// Of those, past their deadline (超期).
    pub overdue: i64,
    /// Of those, warned (预警) and not yet overdue.
    pub warning: i64,
}

/// A child node with its live counters (colour the map by them).
#[derive(Serialize, ToSchema)]
pub struct ChildView {
    #[serde(flatten)]
    pub node: NodeView,
    #[serde(flatten)]
    pub live: LiveView,
}

/// One day of the series (China Standard Time).
#[derive(Serialize, ToSchema)]
pub struct DayView {
    #[schema(example = "2026-11-21")]
    pub day: String,
    pub reported: i64,
    pub closed: i64,
}

/// A problem kind and how often it was reported.
#[derive(Serialize, ToSchema)]
pub struct KindView {
    #[schema(example = "E0102")]
    pub subclass: String,
    /// In the caller's language.
    pub name: String,
    pub count: i64,
}

/// One screen of a node.
#[derive(Serialize, ToSchema)]
pub struct ScreenView {
    pub area: NodeView,
    #[serde(flatten)]
    pub live: LiveView,
    pub reported_today: i64,
    pub closed_today: i64,
    /// The node's children: streets of a district, communities of a street, grids of a
    /// community (micro-grids of a grid); each with its live counters. Polygons:
    /// `GET /api/grids?area=` for grids, `GET /api/areas/{code}/outline` for the others.
    pub children: Vec<ChildView>,
    /// The last 30 days, oldest first, today included; days without reports count 0.
    pub days: Vec<DayView>,
    /// The 10 problem kinds reported most over the last 30 days, the most first.
    pub top_kinds: Vec<KindView>,
    /// The 20 open cases most overdue (the earliest deadline first; parked ones last).
    pub most_overdue: Vec<CaseView>,
}

/// The roles that see the screens of their territory.
pub fn sees_screens(role: Role) -> bool {
    matches!(
        role,
        Role::Leader
            | Role::DataOfficer
            | Role::Supervisor
            | Role::ShiftChief
            | Role::Dispatcher
            | Role::IntakeOperator
            | Role::Inspector
            | Role::GridMember
    )
}

/// The node asked for, if the caller may see its screen.
fn node(app: &AppState, caller: &Caller, asked: Option<&str>) -> Result<(AreaCode, String), ApiError> {
    let actor = caller.actor()?;
    let scope = actor.scope.as_ref().filter(|_| sees_screens(actor.role)).ok_or_else(|| match actor.role {
        Role::Handler => ApiError::forbidden(
            "责任单位人员请查看本单位的指标与待办",
            "a unit's handlers see their unit's numbers (evaluation by unit) and their queues",
        ),
        _ => ApiError::forbidden("一级一屏仅供有管辖范围的工作人员查看", "the screens are for staff with a territory"),
    })?;
    let area = match asked.filter(|a| !a.is_empty()) {
        Some(a) => AreaCode::parse("area", a)?,
        None => scope.clone(),
    };
    let loaded = app.0.engine.loaded();
    let j = &loaded.jurisdiction;
    let name = j.area(&area).map(|a| a.name.clone()).or_else(|| j.grid(&area).map(|g| g.name.clone()));
    match name {
        Some(name) if scope.covers(&area) => Ok((area, name)),
        // Outside the territory is indistinguishable from absent.
        _ => Err(ApiError::not_found(format!("区域 {area} 不存在"), format!("area {area} does not exist"))),
    }
}

fn live(c: Option<&OpenCounts>) -> LiveView {
    c.map(|c| LiveView { open: c.open, overdue: c.overdue, warning: c.warned }).unwrap_or_default()
}

/// A day as the evaluation counters key it (`yyyymmdd`).
fn day_number(d: NaiveDate) -> u32 {
    use chrono::Datelike;
    d.year() as u32 * 10_000 + d.month() * 100 + d.day()
}

/// One screen of a node of the caller's territory (一级一屏).
#[utoipa::path(get, path = "/api/screen", tag = "evaluation", params(ScreenQuery),
    responses((status = 200, body = ScreenView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn screen(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<ScreenQuery>,
) -> Result<Json<ScreenView>, ApiError> {
    let (area, name) = node(&app, &caller, q.area.as_deref())?;
    let store = app.0.engine.store();
    let loaded = app.0.engine.loaded();
    let level = area.level();

    let own = store.open_counts(&area, area.as_str().len()).await?;
    let mut children: Vec<ChildView> = Vec::new();
    if let Some(child) = Level::ALL.iter().skip_while(|l| **l != level).nth(1) {
        let counts = store.open_counts(&area, child.digits()).await?;
        let j = &loaded.jurisdiction;
        let nodes = j.children(&area).into_iter().map(|a| (a.code.clone(), a.name.clone())).chain(
            j.grids().filter(|g| g.code.parent().as_ref() == Some(&area)).map(|g| (g.code.clone(), g.name.clone())),
        );
        for (code, name) in nodes {
            let live = live(counts.iter().find(|c| c.node == code.as_str()));
            children.push(ChildView { node: NodeView { level: code.level(), code: code.to_string(), name }, live });
        }
    }

    let calendar = &app.0.engine.rules().calendar;
    let now = Timestamp::now();
    let today = now.at_offset(calendar.offset()).date_naive();
    let first = today - Duration::days(DAYS - 1);
    let rows = store.counters_by_day(Dim::Area, area.as_str(), day_number(first), day_number(today)).await?;
    let days: Vec<DayView> = (0..DAYS)
        .map(|i| first + Duration::days(i))
        .map(|d| {
            let c = rows.iter().find(|(n, _)| *n == day_number(d)).map(|(_, c)| c);
            DayView {
                day: d.format("%Y-%m-%d").to_string(),
                reported: c.map_or(0, |c| c.reported),
                closed: c.map_or(0, |c| c.closed),
            }
        })
        .collect();

    let since = Timestamp(now.0 - DAYS * 24 * 60 * 60 * 1000);
    let taxonomy = &app.0.engine.rules().taxonomy;
    let top_kinds = store
        .reported_by_subclass(&area, since, TOP_KINDS)
        .await?
        .into_iter()
        .map(|(s, count)| KindView {
            subclass: s.to_string(),
            name: taxonomy
                .subclass(s)
                .map(|k| if caller.lang == Lang::En { k.en.clone() } else { k.name.clone() })
                .unwrap_or_default(),
            count,
        })
        .collect();

    let overdue = CaseFilter {
        area: Some(area.clone()),
        states: CaseState::ALL.into_iter().filter(|s| s.is_open()).collect(),
        overdue: Some(true),
        order: CaseOrder::DueFirst,
        limit: MOST_OVERDUE,
        ..Default::default()
    };
    let most_overdue = store.find_cases(&overdue).await?.iter().map(|c| CaseView::of(c, &app, &caller)).collect();

    let last = days.last().expect("30 days");
    Ok(Json(ScreenView {
        area: NodeView { code: area.to_string(), name, level },
        live: live(own.first()),
        reported_today: last.reported,
        closed_today: last.closed,
        children,
        days,
        top_kinds,
        most_overdue,
    }))
}
