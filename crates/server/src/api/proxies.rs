//! Proxies (亲友代办): a relative reports and follows on an elder's behalf, with the elder's
//! consent recorded.
//!
//! The relative asks by the elder's phone number; a code goes to that phone through the
//! deployment's code sender, as at sign-up. The elder reads the code to the relative (or types it
//! in, signed in themselves); the proxy is then active until either of them ends it. The proxy
//! row is the record of consent and is never deleted (`yiwang_store::proxies`).
//!
//! Asking reveals no more than sign-up does: the answer is the same whether or not an account
//! holds the phone, and the elder's name and account appear only once the elder has consented
//! (whoever holds the code holds the phone).
//!
//! Acting: an actor with `on_behalf_of = elder` (see [`acting_for`] and [`for_case`]). The
//! domain then treats the elder as the reporter and follower, and every event names both: the
//! relative as its actor and the elder in its detail. Each time a relative reads the elder's
//! cases it is written to the access log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::case::{Actor, Case, Role};
use yiwang_domain::personal::{check_phone, mask_name, mask_phone};
use yiwang_domain::time::Timestamp;
use yiwang_store::StoreError;
use yiwang_store::accounts::{AccessEntry, Account, AccountKind, Outcome};
use yiwang_store::proxies::{ConsentCode, Proxy, ProxyStatus};

use super::accounts::{code_too_soon, own_account, service};
use crate::AppState;
use crate::auth::{self, AccountAuthenticator, constant_time_eq};
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json, Path};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, ask)).routes(routes!(consent)).routes(routes!(revoke))
}

/// The longest relation accepted, in characters (女儿, 儿子, 孙女, 邻居, …).
const RELATION_MAX: usize = 20;

/// The caller's own resident account: proxies are between residents.
async fn resident(auth: &AccountAuthenticator, caller: &Caller) -> Result<Account, ApiError> {
    let account = own_account(auth, caller).await?;
    if account.kind != AccountKind::Resident || caller.role() != Some(Role::Resident) {
        return Err(only_residents());
    }
    Ok(account)
}

fn only_residents() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "not_resident", "亲友代办仅限居民之间", "proxies are between residents only")
}

fn no_proxy(id: i64) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_proxy", format!("代办 {id} 不存在"), format!("proxy {id} does not exist"))
}

fn not_yours() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "not_your_proxy",
        "这不是您的代办：只有亲友本人和被代办的居民可以操作",
        "this is not your proxy: only the relative and the resident they act for may use it",
    )
}

fn pending() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "proxy_pending",
        "对方尚未同意代办：请输入发到其手机的验证码",
        "the resident has not consented yet: enter the code sent to their phone",
    )
}

fn revoked() -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "proxy_revoked", "该代办已解除", "this proxy has been ended")
}

fn code_invalid() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "code_invalid",
        "验证码错误或已过期，请重新申请",
        "the verification code is wrong or has expired; ask again for a new one",
    )
}

fn consent_hash(phone: &str, code: &str) -> yiwang_domain::audit::Hash {
    auth::token_hash(&format!("proxy:{phone}:{code}"))
}

/// Whether the account is the elder of this proxy: by account once known, else by phone.
fn is_elder(p: &Proxy, account: &Account) -> bool {
    p.elder.as_deref() == Some(account.id.as_str()) || account.phone.as_deref() == Some(p.elder_phone.as_str())
}

/// The resident account that holds a phone, if any (disabled accounts cannot consent).
async fn resident_by_phone(auth: &AccountAuthenticator, phone: &str) -> Result<Option<Account>, ApiError> {
    Ok(auth.store().account_by_phone(phone).await?.filter(|a| a.kind == AccountKind::Resident && !a.disabled))
}

// ---------------------------------------------------------------------------------------------
// What a proxy looks like

/// A person, masked: `张*`, `139****0002`.
#[derive(Serialize, ToSchema)]
pub struct PersonRef {
    /// Absent for the elder until they consent (asking reveals no account).
    pub account: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl PersonRef {
    fn of(account: &Account) -> PersonRef {
        PersonRef {
            account: Some(account.id.clone()),
            name: Some(mask_name(&account.display_name)),
            phone: account.phone.as_deref().map(mask_phone),
        }
    }
}

/// A proxy as either party sees it.
#[derive(Serialize, ToSchema)]
pub struct ProxyView {
    pub id: i64,
    /// Who acts.
    pub relative: PersonRef,
    /// Whom they act for.
    pub elder: PersonRef,
    /// What the relative is to the elder, e.g. 女儿.
    pub relation: String,
    /// `pending` until the elder consents, then `active`, until `revoked`.
    pub status: String,
    pub created_at: String,
    pub consented_at: Option<String>,
    pub revoked_at: Option<String>,
    /// While pending: when the code sent to the elder's phone expires.
    pub code_expires_at: Option<String>,
}

impl ProxyView {
    async fn of(p: &Proxy, viewer: &Account, auth: &AccountAuthenticator) -> Result<ProxyView, ApiError> {
        let store = auth.store();
        let relative = match store.account(&p.relative).await? {
            Some(a) => PersonRef::of(&a),
            None => PersonRef { account: Some(p.relative.clone()), name: None, phone: None },
        };
        // The elder is named to the relative only once the elder has consented.
        let known = p.consented_at.is_some() || is_elder(p, viewer);
        let elder = match (&p.elder, known) {
            (Some(id), true) => store.account(id).await?.as_ref().map(PersonRef::of),
            _ => None,
        }
        .unwrap_or_else(|| PersonRef { account: None, name: None, phone: Some(mask_phone(&p.elder_phone)) });
        let time = |t: Timestamp| t.to_rfc3339_cst();
        Ok(ProxyView {
            id: p.id,
            relative,
            elder,
            relation: p.relation.clone(),
            status: p.status.as_str().into(),
            created_at: time(p.created_at),
            consented_at: p.consented_at.map(time),
            revoked_at: p.revoked_at.map(time),
            code_expires_at: p.code.as_ref().map(|c| time(c.expires_at)),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Asking, consenting, ending

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    /// The elder's mainland mobile number; the consent code goes there.
    #[schema(example = "13900000002")]
    pub phone: String,
    /// What you are to them, at most 20 characters, e.g. 女儿.
    #[schema(example = "女儿")]
    pub relation: String,
}

/// Ask to act for the resident with this phone (亲友代办). A code goes to that phone; the
/// proxy is `pending` until it comes back through `POST /api/proxies/{id}/consent`. Asking again
/// while pending sends a new code (not more often than sign-up codes). The answer is the same
/// whether or not the phone has an account.
#[utoipa::path(post, path = "/api/proxies", tag = "proxies", request_body = AskRequest,
    responses((status = 201, body = ProxyView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn ask(State(app): State<AppState>, caller: Caller, Json(r): Json<AskRequest>) -> Result<Response, ApiError> {
    let auth = service(&app)?;
    let me = resident(auth, &caller).await?;
    let phone = check_phone("phone", &r.phone)?;
    let relation = r.relation.trim();
    if relation.is_empty() || relation.chars().count() > RELATION_MAX {
        return Err(yiwang_domain::Refusal::bad_field(
            "relation",
            format!("请填写您与对方的关系（不超过 {RELATION_MAX} 个字）"),
            format!("say what you are to them, in at most {RELATION_MAX} characters"),
        )
        .into());
    }
    if me.phone.as_deref() == Some(phone.as_str()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "self_proxy",
            "不能为自己申请代办",
            "you cannot act for yourself",
        ));
    }
    let store = auth.store();
    let cfg = auth.config();
    let now = auth.now();
    let elder = resident_by_phone(auth, &phone).await?.map(|a| a.id);
    let live = store
        .proxies_of(&me.id, None)
        .await?
        .into_iter()
        .find(|p| p.relative == me.id && p.elder_phone == phone && p.status != ProxyStatus::Revoked);
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
    let consent = ConsentCode {
        code_hash: consent_hash(&phone, &code),
        sent_at: now,
        expires_at: now.plus_ms(cfg.code_ttl_ms),
        attempts: 0,
    };
    let proxy = match live {
        Some(p) if p.status == ProxyStatus::Active => {
            return Err(exists());
        }
        Some(p) => {
            if let Some(next) = p.code.as_ref().map(|c| c.sent_at.plus_ms(cfg.code_resend_ms)).filter(|n| *n > now) {
                return Ok(code_too_soon(next, now));
            }
            if !store.renew_proxy_code(p.id, elder.as_deref(), &consent).await? {
                return Err(revoked());
            }
            store.proxy(p.id).await?.ok_or_else(|| no_proxy(p.id))?
        }
        None => {
            let new = Proxy {
                id: 0,
                relative: me.id.clone(),
                elder_phone: phone.clone(),
                elder,
                relation: relation.to_owned(),
                status: ProxyStatus::Pending,
                created_at: now,
                consented_at: None,
                revoked_at: None,
                code: Some(consent),
            };
            store.create_proxy(&new).await.map_err(|e| match e {
                StoreError::Refused(r) if r.code == "proxy_exists" => exists(),
                other => other.into(),
            })?
        }
    };
    auth.code_sender().send(&phone, &code).await.map_err(ApiError::internal)?;
    let detail = format!("proxy {} asked for: the consent code went to {}", proxy.id, mask_phone(&phone));
    auth.log(Some(&me.id), "proxy_asked", Outcome::Success, &mask_phone(&phone), detail).await?;
    Ok((StatusCode::CREATED, Json(ProxyView::of(&proxy, &me, auth).await?)).into_response())
}

fn exists() -> ApiError {
    ApiError { status: StatusCode::CONFLICT, ..yiwang_store::proxies::proxy_exists().into() }
}

/// The caller's proxies both ways: acting for others and others acting for them, newest first,
/// ended ones included (the record of consent).
#[utoipa::path(get, path = "/api/proxies", tag = "proxies",
    responses((status = 200, body = Vec<ProxyView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(State(app): State<AppState>, caller: Caller) -> Result<Json<Vec<ProxyView>>, ApiError> {
    let auth = service(&app)?;
    let me = resident(auth, &caller).await?;
    let mut out = Vec::new();
    for p in auth.store().proxies_of(&me.id, me.phone.as_deref()).await? {
        out.push(ProxyView::of(&p, &me, auth).await?);
    }
    Ok(Json(out))
}

/// One proxy of the caller's: 404 when there is none, 403 when it is somebody else's.
async fn own_proxy(auth: &AccountAuthenticator, me: &Account, id: i64) -> Result<Proxy, ApiError> {
    let p = auth.store().proxy(id).await?.ok_or_else(|| no_proxy(id))?;
    if p.relative != me.id && !is_elder(&p, me) {
        return Err(not_yours());
    }
    Ok(p)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// The 6-digit code sent to the elder's phone.
    pub code: String,
}

/// The elder consents: the code sent to their phone, typed by the relative it was read to or by
/// the elder signed in. The proxy becomes `active`; the time of consent is kept.
#[utoipa::path(post, path = "/api/proxies/{id}/consent", tag = "proxies", request_body = ConsentRequest,
    params(("id" = i64, Path, description = "proxy id")),
    responses((status = 200, body = ProxyView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn consent(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(r): Json<ConsentRequest>,
) -> Result<Json<ProxyView>, ApiError> {
    let auth = service(&app)?;
    let me = resident(auth, &caller).await?;
    let p = own_proxy(auth, &me, id).await?;
    match p.status {
        ProxyStatus::Revoked => return Err(revoked()),
        ProxyStatus::Active => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "proxy_active",
                "对方已同意代办",
                "consent is already given",
            ));
        }
        ProxyStatus::Pending => {}
    }
    let (store, cfg, now) = (auth.store(), auth.config(), auth.now());
    let Some(sent) = &p.code else { return Err(code_invalid()) };
    if sent.expires_at <= now || sent.attempts >= cfg.code_attempts {
        return Err(code_invalid());
    }
    if !constant_time_eq(&sent.code_hash, &consent_hash(&p.elder_phone, r.code.trim())) {
        store.count_proxy_code_attempt(id).await?;
        auth.log(
            Some(&me.id),
            "proxy_consent",
            Outcome::Failure,
            &mask_phone(&p.elder_phone),
            format!("proxy {id}: wrong code"),
        )
        .await?;
        return Err(code_invalid());
    }
    // Whoever holds the code holds the phone: from here the account behind it may be named.
    let Some(elder) = resident_by_phone(auth, &p.elder_phone).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_account",
            "该手机号还没有居民账号：请对方先注册",
            "that phone has no resident account yet: they sign up first",
        ));
    };
    if elder.id == p.relative {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "self_proxy",
            "不能为自己申请代办",
            "you cannot act for yourself",
        ));
    }
    if !store.consent_proxy(id, &elder.id, now).await? {
        return Err(revoked());
    }
    let by = if me.id == p.relative { "the relative, told the code" } else { "the resident themselves" };
    let detail = format!(
        "proxy {id}: {} acts for {} as “{}” from now; the code sent to {} was entered by {by}",
        p.relative,
        elder.id,
        p.relation,
        mask_phone(&p.elder_phone)
    );
    auth.log(Some(&me.id), "proxy_consent", Outcome::Success, &elder.id, detail).await?;
    let p = store.proxy(id).await?.ok_or_else(|| no_proxy(id))?;
    Ok(Json(ProxyView::of(&p, &me, auth).await?))
}

/// End a proxy: either the relative or the elder, pending or active. The record stays.
#[utoipa::path(delete, path = "/api/proxies/{id}", tag = "proxies", params(("id" = i64, Path, description = "proxy id")),
    responses((status = 200, body = ProxyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke(State(app): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<ProxyView>, ApiError> {
    let auth = service(&app)?;
    let me = resident(auth, &caller).await?;
    let p = own_proxy(auth, &me, id).await?;
    if p.status == ProxyStatus::Revoked || !auth.store().revoke_proxy(id, auth.now()).await? {
        return Err(revoked());
    }
    let subject = p.elder.clone().unwrap_or_else(|| mask_phone(&p.elder_phone));
    let who = if me.id == p.relative { "the relative" } else { "the resident acted for" };
    auth.log(Some(&me.id), "proxy_revoked", Outcome::Success, &subject, format!("proxy {id} ended by {who}")).await?;
    let p = auth.store().proxy(id).await?.ok_or_else(|| no_proxy(id))?;
    Ok(Json(ProxyView::of(&p, &me, auth).await?))
}

// ---------------------------------------------------------------------------------------------
// Acting for the elder

/// The caller as a request's `on_behalf_of` asks: themselves when it is absent or empty, else
/// acting for that elder, a resident with an active proxy for them. Refused with `no_proxy`,
/// `proxy_pending` or `proxy_revoked` otherwise, and for staff.
pub async fn acting_for(app: &AppState, caller: Caller, on_behalf_of: Option<&str>) -> Result<Caller, ApiError> {
    let Some(elder) = on_behalf_of.filter(|e| !e.is_empty()) else { return Ok(caller) };
    let actor = caller.actor()?;
    let me = caller.account.as_deref().filter(|_| actor.role == Role::Resident).ok_or_else(only_residents)?;
    if elder == me {
        return Ok(caller);
    }
    let store = app.0.engine.store();
    if store.active_proxy(me, elder).await?.is_none() {
        let mine: Vec<Proxy> = store
            .proxies_of(me, None)
            .await?
            .into_iter()
            .filter(|p| p.relative == me && p.elder.as_deref() == Some(elder))
            .collect();
        return Err(if mine.iter().any(|p| p.status == ProxyStatus::Pending) {
            pending()
        } else if !mine.is_empty() {
            ApiError { status: StatusCode::FORBIDDEN, ..revoked() }
        } else {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "no_proxy",
                "您没有为该居民开通代办",
                "you do not act for that resident: ask them on the proxies page first",
            )
        });
    }
    Ok(speaking_for(&caller, actor, elder))
}

fn speaking_for(caller: &Caller, actor: &Actor, elder: &str) -> Caller {
    Caller { actor: Some(Actor { on_behalf_of: Some(elder.to_owned()), ..actor.clone() }), ..caller.clone() }
}

/// A case the caller does not follow, seen through an active proxy for one who does: the caller
/// acting for that follower, or `None`.
pub async fn for_case(app: &AppState, caller: &Caller, case: &Case) -> Result<Option<Caller>, ApiError> {
    let (Some(actor), Some(me)) = (&caller.actor, caller.account.as_deref()) else { return Ok(None) };
    if actor.role != Role::Resident || actor.on_behalf_of.is_some() {
        return Ok(None);
    }
    let found = app.0.engine.store().proxies_of(me, None).await?.into_iter().find(|p| {
        p.relative == me
            && p.status == ProxyStatus::Active
            && p.elder.as_ref().is_some_and(|e| case.followers.contains(e))
    });
    Ok(found.and_then(|p| p.elder).map(|elder| speaking_for(caller, actor, &elder)))
}

/// Writes to the access log that a relative read (or acted on) an elder's data.
pub async fn log_read(app: &AppState, caller: &Caller, what: String) -> Result<(), ApiError> {
    let Some(elder) = caller.actor.as_ref().and_then(|a| a.on_behalf_of.as_deref()) else { return Ok(()) };
    let at = app.0.auth.accounts().map_or_else(Timestamp::now, |a| a.now());
    let entry = AccessEntry {
        seq: 0,
        at,
        actor: caller.account.clone(),
        action: "proxy_read".into(),
        outcome: Outcome::Success,
        subject: elder.to_owned(),
        detail: what,
    };
    app.0.engine.store().log_access(&entry).await?;
    Ok(())
}
