//! Reports and cases: intake, every step of the closed loop, timelines, merging, suggestions.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::case::{Action, Case, Channel, Command, Event, Role, State as CaseState};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::Point;
use yiwang_domain::taxonomy::{RequestType, SubclassId, Urgency};
use yiwang_domain::time::Timestamp;
use yiwang_engine::NewReport;
use yiwang_store::CaseFilter;

use crate::AppState;
use crate::api::{proxies, visibility};
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json, Path, Query};
use crate::view::{CaseView, EventView, SuggestionsView};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(list))
        .routes(routes!(get_case))
        .routes(routes!(events))
        .routes(routes!(act))
        .routes(routes!(merge))
        .routes(routes!(suggestions))
}

/// A problem report (上报).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// Subclass code, `E` (event) or `C` (component) and 4 digits, e.g. `E0102`.
    #[schema(example = "E0102")]
    pub subclass: String,
    #[serde(default)]
    pub request_type: Option<RequestType>,
    pub urgency: Option<Urgency>,
    /// Longitude, WGS-84 degrees.
    #[schema(example = 116.4075)]
    pub lon: f64,
    /// Latitude, WGS-84 degrees.
    #[schema(example = 39.9163)]
    pub lat: f64,
    #[serde(default)]
    pub address: String,
    /// What is wrong, at most 4,000 characters.
    pub description: String,
    /// Ids of attachments uploaded beforehand.
    #[serde(default)]
    pub photos: Vec<String>,
    /// 亲友代办: the account of the resident you report for, with an active proxy for them
    /// (`GET /api/proxies`). The case is theirs (they follow it and rate it); the report's event
    /// names you as who acted.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
}

/// Report a problem. Residents and staff report as themselves, a resident also for a relative
/// they act for (`on_behalf_of`); anonymous reports are accepted (and rate-limited).
#[utoipa::path(post, path = "/api/reports", tag = "cases", request_body = ReportRequest,
    responses((status = 201, body = CaseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn report(
    State(app): State<AppState>,
    caller: Caller,
    Json(r): Json<ReportRequest>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let caller = proxies::acting_for(&app, caller, r.on_behalf_of.as_deref()).await?;
    let reporter = match &caller.actor {
        Some(a) if caller.is_administrator() => {
            return Err(ApiError::forbidden("管理员不能上报案卷", format!("a {} does not report cases", a.role)));
        }
        Some(a) => a.clone(),
        None => yiwang_domain::case::Actor::resident("anonymous"),
    };
    let channel = match reporter.role {
        Role::GridMember | Role::Inspector => Channel::GridPatrol,
        Role::IntakeOperator => Channel::Hotline,
        Role::System => Channel::Open311,
        _ => Channel::Portal,
    };
    crate::api::attachments::require_existing(&app, "photos", &r.photos).await?;
    let input = NewReport {
        subclass: SubclassId::parse("subclass", &r.subclass)?,
        request_type: r.request_type.unwrap_or_default(),
        urgency: r.urgency,
        location: Point::new_checked(r.lon, r.lat)?,
        address: r.address,
        description: r.description,
        channel,
        photos: r.photos,
    };
    let case = app.0.engine.report(input, &reporter, Timestamp::now()).await?;
    proxies::log_read(&app, &caller, format!("reported case {} for the resident", case.id)).await?;
    Ok((StatusCode::CREATED, Json(CaseView::of(&case, &app, &caller))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the cases of this work queue of the caller (待办, see `GET /api/queues`), e.g.
    /// `to_file`; the other filters narrow it further.
    pub queue: Option<String>,
    /// Only cases under this node of the jurisdiction tree (2–15 digits).
    pub area: Option<String>,
    /// Only cases in this state (e.g. `handling`); repeat as a comma-separated list.
    pub state: Option<String>,
    /// Only this subclass, e.g. `E0102`.
    pub subclass: Option<String>,
    /// Only cases dispatched to this unit.
    pub unit: Option<String>,
    pub overdue: Option<bool>,
    /// Only closed cases still waiting for their follow-up (回访): no rating yet and not expired.
    /// Callback operators list the hotline cases among them to call back (see `channel`).
    pub awaiting_follow_up: Option<bool>,
    /// 亲友代办: the cases of the resident you act for (an active proxy), instead of your own.
    /// Every such list is written to the access log.
    pub on_behalf_of: Option<String>,
    /// Keyset paging: cases with ids below this one.
    pub before: Option<i64>,
    /// At most this many (1–500, default 50).
    pub limit: Option<u32>,
}

/// Cases the caller may see, newest first.
#[utoipa::path(get, path = "/api/cases", tag = "cases", params(ListQuery),
    responses((status = 200, body = Vec<CaseView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    let caller = proxies::acting_for(&app, caller, q.on_behalf_of.as_deref()).await?;
    // A queue's own conditions stand; the other filters only narrow it.
    let base = match q.queue.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => CaseFilter::queue(&crate::api::workbench::queue_of(&caller, name)?),
        None => CaseFilter::default(),
    };
    let mut filter = CaseFilter {
        limit: q.limit.unwrap_or(50).clamp(1, 500),
        before_id: q.before,
        overdue: base.overdue.or(q.overdue),
        awaiting_follow_up: base.awaiting_follow_up.or(q.awaiting_follow_up),
        ..base
    };
    if let Some(a) = q.area.as_deref().filter(|a| !a.is_empty()) {
        filter.area = Some(AreaCode::parse("area", a)?);
    }
    if let Some(s) = q.state.as_deref().filter(|s| !s.is_empty()) {
        let mut states = Vec::new();
        for one in s.split(',') {
            states.push(CaseState::parse(one.trim()).ok_or_else(|| {
                ApiError::from(yiwang_domain::Refusal::bad_field(
                    "state",
                    format!("没有“{one}”这种状态"),
                    format!("there is no state “{one}”"),
                ))
            })?);
        }
        // Within a queue, only its states can be asked for.
        if !filter.states.is_empty() {
            states.retain(|s| filter.states.contains(s));
            if states.is_empty() {
                return Ok(Json(vec![]));
            }
        }
        filter.states = states;
    }
    if let Some(s) = q.subclass.as_deref().filter(|s| !s.is_empty()) {
        filter.subclass = Some(SubclassId::parse("subclass", s)?);
    }
    filter.lead_unit = q.unit.filter(|u| !u.is_empty());
    let filter = visibility::narrow(&caller, filter)?;
    let cases = app.0.engine.store().find_cases(&filter).await?;
    proxies::log_read(&app, &caller, format!("listed the resident's cases ({} shown)", cases.len())).await?;
    Ok(Json(cases.iter().filter(|c| visibility::can_see(&caller, c)).map(|c| CaseView::of(c, &app, &caller)).collect()))
}

/// The case, if the caller may see it, and the caller as they see it: a relative sees an elder's
/// case through an active proxy (亲友代办), acting for the elder; that read is logged.
async fn visible_case(app: &AppState, caller: &Caller, id: i64) -> Result<(Case, Caller), ApiError> {
    let case = app.0.engine.case(id).await?;
    if visibility::can_see(caller, &case) {
        return Ok((case, caller.clone()));
    }
    if let Some(relative) = proxies::for_case(app, caller, &case).await?
        && visibility::can_see(&relative, &case)
    {
        proxies::log_read(app, &relative, format!("case {id}")).await?;
        return Ok((case, relative));
    }
    if caller.actor.is_none() {
        Err(ApiError::unauthenticated())
    } else {
        // Indistinguishable from a case that does not exist: no probing for ids.
        Err(ApiError::not_found(format!("案卷 {id} 不存在"), format!("case {id} does not exist")))
    }
}

/// One case.
#[utoipa::path(get, path = "/api/cases/{id}", tag = "cases", params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_case(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<CaseView>, ApiError> {
    let (case, caller) = visible_case(&app, &caller, id).await?;
    Ok(Json(CaseView::of(&case, &app, &caller)))
}

/// The case's timeline: every event, oldest first, with its place in the hash chain.
#[utoipa::path(get, path = "/api/cases/{id}/events", tag = "cases", params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = Vec<EventView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn events(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let (case, caller) = visible_case(&app, &caller, id).await?;
    let events: Vec<Event> = app.0.engine.store().events(case.id).await?;
    Ok(Json(events.iter().map(|e| EventView::of(e, &caller)).collect()))
}

/// One step of the closed loop.
#[derive(Deserialize, ToSchema)]
pub struct ActionRequest {
    /// The action and its fields, e.g. `{"action": "dispatch", "lead": "dc-hw", "assisting": []}`,
    /// `{"action": "verify", "passed": true}`, `{"action": "close", "fixed": true}`,
    /// `{"action": "evaluate", "satisfaction": "satisfied", "fixed": true}`.
    #[serde(flatten)]
    pub action: Action,
    /// Why, or what was done (required for return, void, park, rework, extension requests).
    #[serde(default)]
    pub note: String,
    /// Ids of attachments uploaded beforehand (evidence for report-back and settling).
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// Take a step on a case. Every refusal names the case's state and the caller's role.
#[utoipa::path(post, path = "/api/cases/{id}/actions", tag = "cases", params(("id" = i64, Path, description = "case id")), request_body = ActionRequest,
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn act(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(r): Json<ActionRequest>,
) -> Result<Json<CaseView>, ApiError> {
    caller.actor()?;
    let (_, caller) = visible_case(&app, &caller, id).await?;
    let actor = caller.actor()?.clone();
    if matches!(r.action, Action::AbsorbDuplicate { .. } | Action::MarkDuplicate { .. }) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "use_merge",
            "请使用合并接口",
            "use POST /api/cases/{id}/merge to merge duplicates",
        ));
    }
    crate::api::attachments::require_existing(&app, "attachments", &r.attachments).await?;
    let cmd = Command { actor, at: Timestamp::now(), action: r.action, note: r.note, attachments: r.attachments };
    let (case, _) = app.0.engine.act(id, cmd).await?;
    Ok(Json(CaseView::of(&case, &app, &caller)))
}

#[derive(Deserialize, ToSchema)]
pub struct MergeRequest {
    /// The case that carries on.
    pub into: i64,
    #[serde(default)]
    pub note: String,
}

/// Merge this case, a duplicate, into another open case: every reporter follows the survivor.
#[utoipa::path(post, path = "/api/cases/{id}/merge", tag = "cases", params(("id" = i64, Path, description = "the duplicate")), request_body = MergeRequest,
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn merge(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(r): Json<MergeRequest>,
) -> Result<Json<CaseView>, ApiError> {
    let actor = caller.actor()?.clone();
    visible_case(&app, &caller, id).await?;
    visible_case(&app, &caller, r.into).await?;
    let case = app.0.engine.merge(id, r.into, &actor, Timestamp::now(), &r.note).await?;
    Ok(Json(CaseView::of(&case, &app, &caller)))
}

/// What the responsibility list suggests for dispatch, and cases that look like duplicates.
#[utoipa::path(get, path = "/api/cases/{id}/suggestions", tag = "cases", params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = SuggestionsView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn suggestions(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<SuggestionsView>, ApiError> {
    let (case, _) = visible_case(&app, &caller, id).await?;
    if !matches!(caller.role(), Some(Role::IntakeOperator | Role::ShiftChief | Role::Dispatcher)) {
        return Err(ApiError::forbidden(
            "只有受理员、值班长和派遣员可以查看派遣建议",
            "only intake operators, shift chiefs and dispatchers see dispatch suggestions",
        ));
    }
    let units = app.0.engine.suggest_units(&case).ok();
    let duplicates = app.0.engine.suggest_duplicates(&case).await?;
    Ok(Json(SuggestionsView::of(units, duplicates, &app)))
}
