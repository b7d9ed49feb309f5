//! Webhook subscriptions and their delivery log (see [`crate::webhooks`] for what is delivered
//! and how).
//!
//! Who may do what:
//! - a unit's handler (责任单位处置人员) subscribes their own unit, lists, removes and reads the log
//!   of their unit's subscriptions — deliveries carry what they already see of their cases;
//! - a system administrator (系统管理员) lists every subscription, removes any (to cut off a
//!   misbehaving receiver) and reads the log without the payloads, but subscribes nobody: that
//!   would send case contents wherever they chose, and they do not read cases (三权分立);
//! - everyone else: 403.
//!
//! The signing secret is made by the server and shown once, in the answer to the subscription.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::Lang;
use yiwang_domain::case::Role;
use yiwang_domain::time::Timestamp;
use yiwang_store::webhooks::{Delivery, NewSubscription, Subscription, lang_tag};

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json, Path, Query};
use crate::view::UnitRef;

/// Most active subscriptions one unit may have.
pub const MAX_PER_UNIT: usize = 10;
/// Longest URL accepted.
const MAX_URL: usize = 2_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(subscribe, list)).routes(routes!(remove)).routes(routes!(deliveries))
}

/// Who manages which subscriptions.
enum Manager {
    /// A handler, for their own unit.
    Unit(String),
    /// A system administrator, for every unit (without payloads, and subscribing nobody).
    Platform,
}

impl Manager {
    fn of(caller: &Caller) -> Result<Manager, ApiError> {
        let actor = caller.actor()?;
        match actor.role {
            Role::Handler => actor
                .unit
                .clone()
                .map(Manager::Unit)
                .ok_or_else(|| ApiError::forbidden("您不属于任何责任单位", "you belong to no responsible unit")),
            Role::SystemAdmin => Ok(Manager::Platform),
            _ => Err(ApiError::forbidden(
                "只有责任单位处置人员和系统管理员可以管理回调",
                "only a unit's handlers and system administrators manage webhooks",
            )),
        }
    }

    fn manages(&self, s: &Subscription) -> bool {
        match self {
            Manager::Unit(u) => *u == s.unit,
            Manager::Platform => true,
        }
    }
}

/// A subscription to the events of a unit's cases.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    /// Where to POST deliveries: an `http` or `https` URL.
    #[schema(example = "https://cgzf.example.gov.cn/yiwang/hook")]
    pub url: String,
    /// The unit; a handler may name only their own (the default).
    pub unit: Option<String>,
    /// Language of the names in the payloads (`zh-CN` or `en`); the caller's by default.
    #[schema(example = "zh-CN")]
    pub lang: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: i64,
    pub unit: UnitRef,
    pub url: String,
    /// `zh-CN` or `en`.
    pub lang: String,
    pub active: bool,
    pub created_at: String,
    /// Staff id of who subscribed.
    pub created_by: String,
    /// Key of the `X-Yiwang-Signature` HMAC-SM3, in hex: shown once, when subscribing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl SubscriptionView {
    fn of(s: &Subscription, app: &AppState, with_secret: bool) -> SubscriptionView {
        SubscriptionView {
            id: s.id,
            unit: UnitRef::of(&s.unit, app),
            url: s.url.clone(),
            lang: lang_tag(s.lang).to_owned(),
            active: s.active,
            created_at: s.created_at.to_rfc3339_cst(),
            created_by: s.created_by.clone(),
            secret: with_secret.then(|| s.secret.clone()),
        }
    }
}

/// Checks a receiver URL: http or https, a host, no credentials in it.
fn check_url(url: &str) -> Result<String, ApiError> {
    let bad = |zh: &str, en: &str| ApiError::from(yiwang_domain::Refusal::bad_field("url", zh, en));
    let url = url.trim();
    if url.len() > MAX_URL {
        return Err(bad(&format!("不能超过 {MAX_URL} 个字符"), &format!("at most {MAX_URL} characters")));
    }
    let uri: axum::http::Uri = url.parse().map_err(|_| bad("不是有效的网址", "not a valid URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(bad("只接受 http 或 https 网址", "only http and https URLs are accepted"));
    }
    let Some(authority) = uri.authority() else {
        return Err(bad("缺少主机名", "the host is missing"));
    };
    if authority.host().is_empty() {
        return Err(bad("缺少主机名", "the host is missing"));
    }
    if authority.as_str().contains('@') {
        return Err(bad("网址中不能包含用户名或密码", "a URL may not carry a user name or password"));
    }
    Ok(url.to_owned())
}

/// Subscribe a unit's system to the events of the unit's cases. Only a handler, for their own
/// unit. The answer carries the signing secret, shown this once.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = SubscribeRequest,
    responses((status = 201, body = SubscriptionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, description = "the unit has the most subscriptions allowed", body = ErrorBody)))]
async fn subscribe(
    State(app): State<AppState>,
    caller: Caller,
    Json(r): Json<SubscribeRequest>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    let unit = match Manager::of(&caller)? {
        Manager::Unit(own) => match r.unit {
            Some(asked) if asked != own => {
                return Err(ApiError::forbidden("只能为本单位订阅回调", "a handler subscribes only their own unit"));
            }
            _ => own,
        },
        Manager::Platform => {
            return Err(ApiError::forbidden(
                "系统管理员不能代单位订阅回调：回调内容包含案卷信息",
                "a system administrator cannot subscribe for a unit: deliveries carry case contents",
            ));
        }
    };
    let url = check_url(&r.url)?;
    let store = app.0.engine.store();
    if store.subscriptions(Some(&unit)).await?.len() >= MAX_PER_UNIT {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_many_subscriptions",
            format!("每个单位最多 {MAX_PER_UNIT} 个回调订阅"),
            format!("a unit may have at most {MAX_PER_UNIT} webhook subscriptions"),
        ));
    }
    let secret: [u8; 32] = rand::random();
    let new = NewSubscription {
        unit,
        url,
        secret: hex::encode(secret),
        lang: r.lang.as_deref().map_or(caller.lang, Lang::from_tag),
        created_at: Timestamp::now(),
        created_by: caller.actor()?.id.clone(),
        // From now on: events already committed are not delivered.
        after_ledger_seq: store.ledger_head().await?.seq,
    };
    let s = store.create_subscription(&new).await?;
    Ok((StatusCode::CREATED, Json(SubscriptionView::of(&s, &app, true))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this unit's (system administrators).
    pub unit: Option<String>,
}

/// Active subscriptions: a handler's own unit's, or every unit's for a system administrator.
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks", params(ListQuery),
    responses((status = 200, body = Vec<SubscriptionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<SubscriptionView>>, ApiError> {
    let unit = match Manager::of(&caller)? {
        Manager::Unit(own) => Some(own),
        Manager::Platform => q.unit.filter(|u| !u.is_empty()),
    };
    let subs = app.0.engine.store().subscriptions(unit.as_deref()).await?;
    Ok(Json(subs.iter().map(|s| SubscriptionView::of(s, &app, false)).collect()))
}

/// The subscription, if the caller manages it; otherwise as if it did not exist.
async fn managed(app: &AppState, caller: &Caller, id: i64) -> Result<(Manager, Subscription), ApiError> {
    let manager = Manager::of(caller)?;
    match app.0.engine.store().subscription(id).await? {
        Some(s) if manager.manages(&s) => Ok((manager, s)),
        _ => Err(ApiError::not_found(
            format!("回调订阅 {id} 不存在"),
            format!("webhook subscription {id} does not exist"),
        )),
    }
}

/// Remove a subscription: nothing more is delivered, and what was still pending is cancelled.
/// Its log stays readable.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path, description = "subscription id")),
    responses((status = 204, description = "removed"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove(State(app): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    let (_, s) = managed(&app, &caller, id).await?;
    if !s.active || !app.0.engine.store().deactivate_subscription(id).await? {
        return Err(ApiError::not_found(
            format!("回调订阅 {id} 不存在"),
            format!("webhook subscription {id} does not exist"),
        ));
    }
    tracing::info!(subscription = id, unit = %s.unit, by = ?caller.actor.as_ref().map(|a| &a.id), "webhook subscription removed");
    Ok(StatusCode::NO_CONTENT)
}

/// One delivery and its attempts so far.
#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    /// Also sent as `X-Yiwang-Delivery`.
    pub id: i64,
    pub case_id: i64,
    pub event_seq: u32,
    /// Also sent as `X-Yiwang-Event`.
    pub step: String,
    /// `pending`, `delivered`, `failed` (gave up) or `cancelled` (subscription removed).
    pub status: String,
    pub attempts: u32,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<String>,
    pub last_attempt_at: Option<String>,
    /// HTTP status of the last answer.
    pub last_status: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// The body sent (a `WebhookPayload`); for the unit's handlers only.
    #[schema(value_type = Option<Object>)]
    pub payload: Option<serde_json::Value>,
}

impl DeliveryView {
    fn of(d: &Delivery, with_payload: bool) -> DeliveryView {
        let time = |t: Option<Timestamp>| t.map(Timestamp::to_rfc3339_cst);
        DeliveryView {
            id: d.id,
            case_id: d.case_id,
            event_seq: d.event_seq,
            step: d.step.clone(),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: time(d.next_attempt_at),
            last_attempt_at: time(d.last_attempt_at),
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            created_at: d.created_at.to_rfc3339_cst(),
            delivered_at: time(d.delivered_at),
            payload: with_payload.then(|| serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null)),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Keyset paging: deliveries with ids below this one.
    pub before: Option<i64>,
    /// At most this many (1–500, default 50).
    pub limit: Option<u32>,
}

/// The delivery log of a subscription, newest first: attempts, statuses, errors.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = i64, Path, description = "subscription id"), LogQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn deliveries(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<LogQuery>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    let (manager, _) = managed(&app, &caller, id).await?;
    let with_payload = matches!(manager, Manager::Unit(_));
    let log = app.0.engine.store().deliveries(id, q.before, q.limit.unwrap_or(50).clamp(1, 500)).await?;
    Ok(Json(log.iter().map(|d| DeliveryView::of(d, with_payload)).collect()))
}
