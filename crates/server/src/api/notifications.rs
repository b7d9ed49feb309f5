//! The caller's notifications (通知): who must act on which case, and why. They are written by
//! the engine's notifier from the committed events (see `yiwang_engine::notifier` for which
//! event tells whom).
//!
//! **Whose notifications a caller reads.** A notification is addressed to a person or a group,
//! and a caller reads those addressed to
//! - a resident: their account;
//! - staff: themselves (by staff id); their role on exactly the node it is held on (a supervisor
//!   of street 110101001 reads `supervisor@110101001`, not those of the district's supervisors,
//!   who get their own); and, for a unit's handler, their unit.
//!
//! A relative with an active proxy (亲友代办) reads and marks the elder's with `on_behalf_of`, as
//! the elder would; each such read is written to the access log.
//!
//! Groups share one read state, like a team's inbox: when one supervisor of a street marks a
//! notification read, it is read for all of them. The three administrators read none (they do
//! not read case contents, 三权分立); an anonymous caller gets 401.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::Lang;
use yiwang_domain::case::Role;
use yiwang_domain::time::Timestamp;
use yiwang_store::notifications::{Notification, NotificationQuery, Recipient};

use crate::AppState;
use crate::api::proxies;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(read))
}

/// The recipients whose notifications the caller reads (see the module docs).
pub fn recipients_of(caller: &Caller) -> Result<Vec<Recipient>, ApiError> {
    let actor = caller.actor()?;
    if caller.is_administrator() {
        return Err(ApiError::forbidden("管理员不接收案卷通知", "administrators receive no case notifications"));
    }
    if actor.role == Role::Resident {
        return Ok(vec![Recipient::Resident(actor.resident_id().to_owned())]);
    }
    let mut out = vec![Recipient::Staff(actor.id.clone())];
    if let (Role::Handler, Some(unit)) = (actor.role, &actor.unit) {
        out.push(Recipient::Unit(unit.clone()));
    }
    if let Some(node) = &actor.scope {
        out.push(Recipient::Role { role: actor.role, node: node.clone() });
    }
    Ok(out)
}

/// To whom a notification is addressed.
#[derive(Serialize, ToSchema)]
pub struct RecipientView {
    /// `staff`, `unit`, `role` or `resident`.
    #[schema(example = "role")]
    pub kind: String,
    /// Staff id, unit id, `role@node` or account id.
    #[schema(example = "supervisor@110101001")]
    pub key: String,
}

/// A notification, in the caller's language.
#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// `warned` (预警), `overdue` (超期), `supervise` (督办), `escalated` (升级), `dispatched`
    /// (派遣), `urged` (催办), `follow_up` (回访: please rate), `callback` (电话回访).
    #[schema(example = "overdue")]
    pub kind: String,
    pub case_id: i64,
    /// The event of the case it was written for (`GET /api/cases/{id}/events`).
    pub event_seq: u32,
    #[schema(example = "案卷 1024（乱堆物料）已超期，时限 2026-10-09 10:00")]
    pub text: String,
    /// When the event happened, RFC 3339 in China Standard Time.
    pub created_at: String,
    pub read: bool,
    pub read_at: Option<String>,
    pub recipient: RecipientView,
}

impl NotificationView {
    pub fn of(n: &Notification, caller: &Caller) -> NotificationView {
        NotificationView {
            id: n.id,
            kind: n.kind.as_str().to_owned(),
            case_id: n.case_id,
            event_seq: n.event_seq,
            text: if caller.lang == Lang::En { n.text_en.clone() } else { n.text_zh.clone() },
            created_at: n.created_at.to_rfc3339_cst(),
            read: n.read_at.is_some(),
            read_at: n.read_at.map(Timestamp::to_rfc3339_cst),
            recipient: RecipientView { kind: n.recipient.kind().to_owned(), key: n.recipient.key() },
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only those nobody has marked read yet.
    pub unread: Option<bool>,
    /// Keyset paging: notifications with ids below this one.
    pub before: Option<i64>,
    /// At most this many (1–500, default 50).
    pub limit: Option<u32>,
    /// 亲友代办: the notifications of the resident you act for (an active proxy), instead of your
    /// own.
    pub on_behalf_of: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadQuery {
    /// 亲友代办: one of the notifications of the resident you act for (an active proxy).
    pub on_behalf_of: Option<String>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/notifications", tag = "notifications", params(ListQuery),
    responses((status = 200, body = Vec<NotificationView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "an administrator, or no active proxy for `on_behalf_of`")))]
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    let caller = proxies::acting_for(&app, caller, q.on_behalf_of.as_deref()).await?;
    let query = NotificationQuery {
        recipients: recipients_of(&caller)?,
        unread_only: q.unread.unwrap_or(false),
        before_id: q.before,
        limit: q.limit.unwrap_or(50).clamp(1, 500),
    };
    let found = app.0.engine.store().notifications(&query).await?;
    proxies::log_read(&app, &caller, format!("listed the resident's notifications ({} shown)", found.len())).await?;
    Ok(Json(found.iter().map(|n| NotificationView::of(n, &caller)).collect()))
}

/// Mark one of the caller's notifications read (for the whole group it was addressed to). Marking
/// it again keeps the first time.
#[utoipa::path(post, path = "/api/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path, description = "notification id"), ReadQuery),
    responses((status = 200, body = NotificationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "an administrator, or no active proxy for `on_behalf_of`"),
        (status = 404, body = ErrorBody, description = "no such notification among the caller's")))]
async fn read(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ReadQuery>,
) -> Result<Json<NotificationView>, ApiError> {
    let caller = proxies::acting_for(&app, caller, q.on_behalf_of.as_deref()).await?;
    let mine = recipients_of(&caller)?;
    let store = app.0.engine.store();
    let missing = || ApiError::not_found(format!("通知 {id} 不存在"), format!("notification {id} does not exist"));
    // Someone else's is indistinguishable from one that does not exist.
    match store.notification(id).await? {
        Some(n) if mine.contains(&n.recipient) => {}
        _ => return Err(missing()),
    }
    let n = store.mark_notification_read(id, Timestamp::now()).await?.ok_or_else(missing)?;
    proxies::log_read(&app, &caller, format!("marked notification {id} read")).await?;
    Ok(Json(NotificationView::of(&n, &caller)))
}
