//! The workbench (工作台): the caller's work queues (待办) with their counts, for the badges.
//! A queue's cases are listed by `GET /api/cases?queue=NAME`.
//!
//! Which queues a role has, and which cases are in each, comes from the state machine
//! (`yiwang_domain::queue`): a queue is a step, its cases are in the states that step starts
//! from, and whoever may take the step has the queue. Territory narrows them like every list
//! (`visibility`): a grid member's own grids, a unit handler's own unit, a resident's own cases.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::queue::Queue;
use yiwang_store::CaseFilter;

use crate::AppState;
use crate::api::visibility;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(queues))
}

/// The caller's queue of that name; 403 when the caller's role has no such queue (another
/// role's work is not the caller's to-do).
pub fn queue_of(caller: &Caller, name: &str) -> Result<Queue, ApiError> {
    let role = caller.actor()?.role;
    Queue::of_role(role).into_iter().find(|q| q.name == name).ok_or_else(|| match Queue::named(name) {
        Some(_) => ApiError::forbidden(
            format!("{}没有“{name}”待办", role.name_zh()),
            format!("a {role} has no “{name}” queue"),
        ),
        None => yiwang_domain::Refusal::bad_field(
            "queue",
            format!("没有“{name}”这种待办"),
            format!("there is no queue “{name}”"),
        )
        .into(),
    })
}

/// One work queue of the caller.
#[derive(Serialize, ToSchema)]
pub struct QueueView {
    /// Stable name: list its cases with `GET /api/cases?queue=NAME`.
    #[schema(example = "to_file")]
    pub name: &'static str,
    /// In the caller's language.
    #[schema(example = "待立案")]
    pub label: &'static str,
    /// The step the cases wait for (`POST /api/cases/{id}/actions`).
    #[schema(example = "file")]
    pub action: &'static str,
    /// The states its cases are in.
    #[schema(example = json!(["reported"]))]
    pub states: Vec<&'static str>,
    /// How many cases wait in it now, in the caller's territory.
    pub count: i64,
}

/// The caller's work queues.
#[derive(Serialize, ToSchema)]
pub struct QueuesView {
    pub queues: Vec<QueueView>,
    /// The sum of the counts.
    pub total: i64,
}

/// The caller's work queues (待办) and how many cases wait in each: the cases on which the caller
/// must act now. Empty for roles that take no step (leaders, the three administrators).
#[utoipa::path(get, path = "/api/queues", tag = "cases",
    responses((status = 200, body = QueuesView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn queues(State(app): State<AppState>, caller: Caller) -> Result<Json<QueuesView>, ApiError> {
    let actor = caller.actor()?;
    let mut out = Vec::new();
    for queue in Queue::of_role(actor.role) {
        let filter = visibility::narrow(&caller, CaseFilter::queue(&queue))?;
        out.push(QueueView {
            name: queue.name,
            label: queue.name_in(caller.lang),
            action: queue.action.name(),
            states: queue.states().iter().map(|s| s.as_str()).collect(),
            count: app.0.engine.store().count_cases_where(&filter).await?,
        });
    }
    let total = out.iter().map(|q| q.count).sum();
    Ok(Json(QueuesView { queues: out, total }))
}
