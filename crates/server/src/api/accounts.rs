//! Accounts: signing up and in, who am I, TOTP, the three administrators' work, and the
//! reporter's contact details for the people who must call back.
//!
//! The three administrators (三权分立) each have their own endpoints and nobody else's:
//! - the **system administrator** creates staff accounts and API tokens;
//! - the **security administrator** unlocks accounts and resets TOTP;
//! - the **audit administrator** reads the access log.
//!
//! A refusal says which administrator does the work, and is itself written to the access log.
//! None of them reads case contents (see `visibility`). An administrator's scope limits the
//! staff accounts they manage to their own part of the jurisdiction tree.
//!
//! Personal data leaves the server masked (`138****1234`, `张*`) unless the caller's role needs
//! it for the case at hand; every time it leaves unmasked, the access log records who saw it.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::case::{Actor, Case, Role};
use yiwang_domain::personal::{check_id_number, check_phone, mask_id_number, mask_name, mask_phone};
use yiwang_domain::queue::Queue;
use yiwang_domain::time::Timestamp;
use yiwang_domain::{Lang, Refusal};
use yiwang_store::StoreError;
use yiwang_store::accounts::{AccessFilter, Account, AccountKind, Outcome, VerificationCode};

use crate::AppState;
use crate::api::visibility;
use crate::auth::{self, AccountAuthenticator, constant_time_eq, local_time, password, totp};
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json, Path, Query};
use crate::view::UnitRef;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_code))
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(enrol_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(create_staff_account))
        .routes(routes!(create_api_token))
        .routes(routes!(revoke_api_token))
        .routes(routes!(unlock_account))
        .routes(routes!(reset_totp))
        .routes(routes!(access_log))
        .routes(routes!(reporter))
}

/// The account service, or 404 on a server that runs without accounts.
pub(super) fn service(app: &AppState) -> Result<&AccountAuthenticator, ApiError> {
    app.0
        .auth
        .accounts()
        .ok_or_else(|| ApiError::not_found("本服务器未启用账号功能", "this server does not keep accounts"))
}

/// The signed-in caller's account.
pub(super) async fn own_account(auth: &AccountAuthenticator, caller: &Caller) -> Result<Account, ApiError> {
    let id = caller.account.as_deref().ok_or_else(ApiError::unauthenticated)?;
    auth.store().account(id).await?.ok_or_else(ApiError::unauthenticated)
}

fn taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Refused(r) => ApiError { status: StatusCode::CONFLICT, ..ApiError::from(r) },
        other => other.into(),
    }
}

fn bad(field: &str, zh: &str, en: &str) -> ApiError {
    Refusal::bad_field(field, zh, en).into()
}

/// A response that also sets (or clears) the session cookie.
fn with_cookie(status: StatusCode, cookie: String, body: impl IntoResponse) -> Response {
    let mut r = (status, body).into_response();
    match HeaderValue::from_str(&cookie) {
        Ok(v) => {
            r.headers_mut().append(header::SET_COOKIE, v);
            r
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Who am I

/// The signed-in account, as its owner sees it.
#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub account: String,
    /// `resident`, `staff` or `system`.
    pub kind: String,
    /// The name used to sign in (a resident's is their phone number, shown masked).
    pub login: String,
    pub name: String,
    /// Masked, e.g. `138****1234`.
    pub phone: Option<String>,
    /// Masked: first 6 and last 4 characters.
    pub id_number: Option<String>,
    /// The staff record this account acts as.
    pub staff_id: Option<String>,
    /// e.g. `handler`, `shift_chief`, `resident`, `system`.
    pub role: Option<String>,
    pub role_name: Option<String>,
    /// The node of the jurisdiction tree the role holds on (and everything below it).
    pub scope: Option<String>,
    pub scope_name: Option<String>,
    /// The scope's level: `county`, `street`, `community`, `grid`, …
    pub scope_level: Option<String>,
    pub unit: Option<UnitRef>,
    /// The names of the caller's work queues (`GET /api/queues` counts them).
    pub queues: Vec<&'static str>,
    /// Whether `GET /api/screen` (一级一屏) is open to the caller's role.
    pub screens: bool,
    pub totp_enrolled: bool,
    /// An administrator without TOTP: only `/api/me…` is open until they enrol.
    pub totp_required: bool,
}

impl MeView {
    fn of(account: &Account, caller: &Caller, app: &AppState) -> MeView {
        let actor = caller.actor.as_ref();
        let loaded = app.0.engine.loaded();
        let lang = caller.lang;
        let role = actor.map(|a| a.role);
        MeView {
            account: account.id.clone(),
            kind: account.kind.as_str().into(),
            login: if account.kind == AccountKind::Resident {
                mask_phone(&account.login)
            } else {
                account.login.clone()
            },
            name: account.display_name.clone(),
            phone: account.phone.as_deref().map(mask_phone),
            id_number: account.id_number.as_deref().map(mask_id_number),
            staff_id: account.staff_id.clone(),
            role: role.map(|r| r.as_str().into()),
            role_name: role.map(|r| if lang == Lang::En { r.as_str() } else { r.name_zh() }.into()),
            scope: actor.and_then(|a| a.scope.as_ref()).map(|s| s.to_string()),
            scope_name: actor
                .and_then(|a| a.scope.as_ref())
                .and_then(|s| loaded.jurisdiction.path_names(s).last().map(|n| (*n).to_owned())),
            scope_level: actor
                .and_then(|a| a.scope.as_ref())
                .and_then(|s| serde_json::to_value(s.level()).ok())
                .and_then(|v| v.as_str().map(str::to_owned)),
            unit: actor.and_then(|a| a.unit.as_deref()).map(|u| UnitRef::of(u, app)),
            queues: role.map(|r| Queue::of_role(r).iter().map(|q| q.name).collect()).unwrap_or_default(),
            screens: role.is_some_and(crate::api::screen::sees_screens),
            totp_enrolled: account.totp_enrolled,
            totp_required: caller.is_administrator() && !account.totp_enrolled,
        }
    }
}

/// Who am I: the signed-in account, its role, scope and unit, with personal data masked.
#[utoipa::path(get, path = "/api/me", tag = "accounts",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
async fn me(State(app): State<AppState>, caller: Caller) -> Result<Json<MeView>, ApiError> {
    let auth = service(&app)?;
    let account = own_account(auth, &caller).await?;
    Ok(Json(MeView::of(&account, &caller, &app)))
}

// ---------------------------------------------------------------------------------------------
// Signing up

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// A mainland mobile number.
    #[schema(example = "13900000001")]
    pub phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct CodeSent {
    /// How long the code is valid.
    pub expires_in_seconds: i64,
    /// How soon another code may be asked for.
    pub resend_after_seconds: i64,
}

fn code_hash(phone: &str, code: &str) -> yiwang_domain::audit::Hash {
    auth::token_hash(&format!("{phone}:{code}"))
}

/// 429 with `Retry-After` while the last code sent to a phone is younger than the resend
/// interval (sign-up codes and proxies' consent codes alike).
pub(super) fn code_too_soon(next: Timestamp, now: Timestamp) -> Response {
    let seconds = (next.0 - now.0 + 999) / 1000;
    let e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "code_too_soon",
        format!("验证码已发送，请 {seconds} 秒后再试"),
        format!("a code was just sent; ask again in {seconds} seconds"),
    );
    ([(header::RETRY_AFTER, seconds.to_string())], e).into_response()
}

/// Send a verification code to a phone, to sign up with it. The code goes through the
/// deployment's code sender (an SMS gateway; the default sender writes it to the server log).
#[utoipa::path(post, path = "/api/auth/code", tag = "accounts", request_body = CodeRequest,
    responses((status = 202, body = CodeSent), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn send_code(State(app): State<AppState>, Json(r): Json<CodeRequest>) -> Result<Response, ApiError> {
    let auth = service(&app)?;
    let cfg = auth.config();
    let phone = check_phone("phone", &r.phone)?;
    let now = auth.now();
    if let Some(previous) = auth.store().code(&phone).await? {
        let next = previous.sent_at.plus_ms(cfg.code_resend_ms);
        if next > now {
            return Ok(code_too_soon(next, now));
        }
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000));
    auth.store()
        .put_code(&VerificationCode {
            phone: phone.clone(),
            code_hash: code_hash(&phone, &code),
            sent_at: now,
            expires_at: now.plus_ms(cfg.code_ttl_ms),
            attempts: 0,
        })
        .await?;
    auth.code_sender().send(&phone, &code).await.map_err(ApiError::internal)?;
    auth.log(None, "code_sent", Outcome::Success, &mask_phone(&phone), "sign-up code").await?;
    let body = CodeSent { expires_in_seconds: cfg.code_ttl_ms / 1000, resend_after_seconds: cfg.code_resend_ms / 1000 };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[schema(example = "13900000001")]
    pub phone: String,
    /// The 6-digit code sent to the phone.
    pub code: String,
    /// At least 10 characters of three kinds (lowercase, uppercase, digits, symbols), without
    /// the phone number in it.
    pub password: String,
    pub name: String,
    /// Resident ID number (GB 11643), optional.
    #[serde(default)]
    pub id_number: Option<String>,
}

fn code_invalid() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "code_invalid",
        "验证码错误或已过期，请重新获取",
        "the verification code is wrong or has expired; ask for a new one",
    )
}

/// Sign up as a resident with a phone number, the code sent to it and a password; signs in.
#[utoipa::path(post, path = "/api/auth/signup", tag = "accounts", request_body = SignupRequest,
    responses((status = 201, body = MeView, headers(("Set-Cookie" = String, description = "the session cookie `yiwang_session`"))),
        (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn signup(
    State(app): State<AppState>,
    lang: Option<Extension<Lang>>,
    Json(r): Json<SignupRequest>,
) -> Result<Response, ApiError> {
    let auth = service(&app)?;
    let cfg = auth.config();
    let now = auth.now();
    let phone = check_phone("phone", &r.phone)?;
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(bad("name", "请填写姓名（不超过 50 个字）", "a name of at most 50 characters is required"));
    }
    cfg.password_policy.check("password", &r.password, &[&phone])?;
    let today = now.at_offset(yiwang_domain::time::china_standard_time()).date_naive();
    let id_number = match r.id_number.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Some(check_id_number("id_number", id, today)?),
        None => None,
    };

    // The code: right, in time, and not guessed at too often.
    let store = auth.store();
    let Some(sent) = store.code(&phone).await? else { return Err(code_invalid()) };
    if sent.expires_at <= now || sent.attempts >= cfg.code_attempts {
        store.delete_code(&phone).await?;
        return Err(code_invalid());
    }
    if !constant_time_eq(&sent.code_hash, &code_hash(&phone, r.code.trim())) {
        if store.count_code_attempt(&phone).await?.is_some_and(|n| n >= cfg.code_attempts) {
            store.delete_code(&phone).await?;
        }
        auth.log(None, "signup", Outcome::Failure, &mask_phone(&phone), "wrong verification code").await?;
        return Err(code_invalid());
    }
    store.delete_code(&phone).await?;

    let account = Account {
        phone: Some(phone.clone()),
        id_number,
        password_hash: password::hash(&r.password).await?,
        ..Account::new(&auth::new_id("r"), AccountKind::Resident, &phone, name, now)
    };
    store.create_accounts(std::slice::from_ref(&account)).await.map_err(taken)?;
    auth.log(Some(&account.id), "signup", Outcome::Success, &account.id, "resident account").await?;
    let cookie = auth.start_session(&account).await?;
    let me = auth.caller_of(&account, lang.map(|l| l.0).unwrap_or_default())?;
    Ok(with_cookie(StatusCode::CREATED, cookie, Json(MeView::of(&account, &me, &app))))
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// A resident's phone number, or a member of staff's login name.
    #[schema(example = "op-1")]
    pub login: String,
    pub password: String,
    /// The 6-digit one-time password, once TOTP is enrolled.
    #[serde(default)]
    pub totp: Option<String>,
}

fn invalid_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "登录名或密码错误", "wrong login or password")
}

fn locked(until: Timestamp, now: Timestamp) -> Response {
    let seconds = ((until.0 - now.0 + 999) / 1000).max(1);
    let at = local_time(until);
    let e = ApiError::new(
        StatusCode::LOCKED,
        "account_locked",
        format!("连续登录失败次数过多，账号已锁定至 {at}（北京时间）；请稍后再试，或请安全管理员解锁"),
        format!(
            "too many failed sign-ins: the account is locked until {at} (China Standard Time); try again later or ask the security administrator to unlock it"
        ),
    );
    ([(header::RETRY_AFTER, seconds.to_string())], e).into_response()
}

/// Sign in with a login and password (and the one-time password once TOTP is enrolled); sets
/// the session cookie. Failed attempts are counted: the fifth in a row (by default) locks the
/// account for five minutes, answered with 423 and `Retry-After`.
#[utoipa::path(post, path = "/api/auth/login", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = MeView, headers(("Set-Cookie" = String, description = "the session cookie `yiwang_session`"))),
        (status = 401, description = "wrong login, password or one-time password (`invalid_credentials`, `totp_required`, `totp_invalid`)", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 423, description = "locked after too many failures; `Retry-After` says for how long", body = ErrorBody)))]
async fn login(
    State(app): State<AppState>,
    lang: Option<Extension<Lang>>,
    Json(r): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let auth = service(&app)?;
    let cfg = auth.config();
    let store = auth.store();
    let typed = r.login.trim();
    let login = check_phone("login", typed).unwrap_or_else(|_| typed.to_owned());
    let shown = if check_phone("login", typed).is_ok() { mask_phone(&login) } else { login.clone() };
    let now = auth.now();

    let account = store.account_by_login(&login).await?;
    let Some(account) = account.filter(|a| a.kind != AccountKind::System) else {
        password::verify(&r.password, None).await?;
        auth.log(None, "login_failed", Outcome::Failure, &shown, "no such account").await?;
        return Err(invalid_credentials());
    };
    if let Some(until) = account.locked_until.filter(|_| account.is_locked(now)) {
        auth.log(None, "login_failed", Outcome::Failure, &account.id, "account locked").await?;
        return Ok(locked(until, now));
    }
    if account.disabled {
        auth.log(None, "login_failed", Outcome::Failure, &account.id, "account disabled").await?;
        return Err(ApiError::forbidden("账号已停用", "the account is disabled"));
    }

    let mut failure = None;
    if !password::verify(&r.password, Some(&account.password_hash)).await? {
        failure = Some(("wrong password", invalid_credentials()));
    } else if account.totp_enrolled {
        match r.totp.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => {
                // The password was right: say that the second factor is next (not a failure).
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "totp_required",
                    "请输入动态口令",
                    "enter your one-time password (TOTP)",
                ));
            }
            Some(code) => {
                let secret = account.totp_secret.as_deref().and_then(totp::base32_decode).unwrap_or_default();
                let step = totp::verify(&secret, code, now.0.div_euclid(1000));
                let fresh = match step {
                    Some(step) => store.use_totp_step(&account.id, step).await?,
                    None => false,
                };
                if !fresh {
                    failure = Some((
                        "wrong or reused one-time password",
                        ApiError::new(
                            StatusCode::UNAUTHORIZED,
                            "totp_invalid",
                            "动态口令错误",
                            "wrong one-time password",
                        ),
                    ));
                }
            }
        }
    }
    if let Some((why, error)) = failure {
        let until = now.plus_ms(cfg.lockout_ms);
        let after = store.record_login_failure(&account.id, cfg.lockout_failures, until).await?;
        auth.log(None, "login_failed", Outcome::Failure, &account.id, why).await?;
        if after.is_some_and(|a| a.locked_until == Some(until)) {
            auth.log(
                None,
                "account_locked",
                Outcome::Success,
                &account.id,
                format!("{} failed sign-ins in a row; locked until {}", cfg.lockout_failures, local_time(until)),
            )
            .await?;
            return Ok(locked(until, now));
        }
        return Err(error);
    }

    if account.failed_logins > 0 || account.locked_until.is_some() {
        store.clear_login_failures(&account.id).await?;
    }
    let me = auth.caller_of(&account, lang.map(|l| l.0).unwrap_or_default())?;
    let cookie = auth.start_session(&account).await?;
    auth.log(Some(&account.id), "login", Outcome::Success, &account.id, "").await?;
    Ok(with_cookie(StatusCode::OK, cookie, Json(MeView::of(&account, &me, &app))))
}

/// Sign out: ends the session and clears the cookie (also when the session had already ended).
#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts",
    responses((status = 204, headers(("Set-Cookie" = String, description = "clears `yiwang_session`")))))]
async fn logout(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let auth = service(&app)?;
    if let Some(account) = auth.end_session(&headers).await? {
        auth.log(Some(&account), "logout", Outcome::Success, &account, "").await?;
    }
    Ok(with_cookie(StatusCode::NO_CONTENT, auth.clear_cookie(), ()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use now.
    pub current: String,
    /// The new one, under the password policy.
    pub password: String,
}

/// Change one's password. A wrong current password counts as a failed sign-in. Every other
/// session of the account ends; this one goes on with a new cookie.
#[utoipa::path(post, path = "/api/me/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 204, headers(("Set-Cookie" = String, description = "a new session cookie"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 423, body = ErrorBody)))]
async fn change_password(
    State(app): State<AppState>,
    caller: Caller,
    Json(r): Json<PasswordChange>,
) -> Result<Response, ApiError> {
    let auth = service(&app)?;
    let cfg = auth.config();
    let account = own_account(auth, &caller).await?;
    let now = auth.now();
    if let Some(until) = account.locked_until.filter(|_| account.is_locked(now)) {
        return Ok(locked(until, now));
    }
    if !password::verify(&r.current, Some(&account.password_hash)).await? {
        let until = now.plus_ms(cfg.lockout_ms);
        let after = auth.store().record_login_failure(&account.id, cfg.lockout_failures, until).await?;
        auth.log(Some(&account.id), "password_change_failed", Outcome::Failure, &account.id, "wrong current password")
            .await?;
        if after.is_some_and(|a| a.locked_until == Some(until)) {
            auth.log(None, "account_locked", Outcome::Success, &account.id, "wrong current passwords").await?;
            return Ok(locked(until, now));
        }
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "当前密码错误",
            "the current password is wrong",
        ));
    }
    if r.password == r.current {
        return Err(bad("password", "新密码不能与当前密码相同", "the new password must differ from the current one"));
    }
    let personal: Vec<&str> = [Some(account.login.as_str()), account.phone.as_deref(), account.staff_id.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    cfg.password_policy.check("password", &r.password, &personal)?;
    let store = auth.store();
    store.set_password(&account.id, &password::hash(&r.password).await?).await?;
    let ended = store.delete_sessions_of(&account.id).await?;
    auth.log(Some(&account.id), "password_changed", Outcome::Success, &account.id, format!("{ended} session(s) ended"))
        .await?;
    let cookie = auth.start_session(&account).await?;
    Ok(with_cookie(StatusCode::NO_CONTENT, cookie, ()))
}

// ---------------------------------------------------------------------------------------------
// TOTP

#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// Base32; shown once. Enter it in an authenticator app, or use the URL as a QR code.
    pub secret: String,
    pub otpauth_url: String,
}

/// Start enrolling a one-time password (TOTP, RFC 6238) as a second factor: returns the secret
/// once. It is in force after `POST /api/me/totp/confirm` with a code from it. Staff only.
#[utoipa::path(post, path = "/api/me/totp", tag = "accounts",
    responses((status = 200, body = TotpEnrolment), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn enrol_totp(State(app): State<AppState>, caller: Caller) -> Result<Json<TotpEnrolment>, ApiError> {
    let auth = service(&app)?;
    let account = own_account(auth, &caller).await?;
    if account.kind != AccountKind::Staff {
        return Err(ApiError::forbidden("动态口令仅用于工作人员账号", "one-time passwords are for staff accounts"));
    }
    if account.totp_enrolled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "totp_enrolled",
            "已绑定动态口令；如需更换，请安全管理员重置",
            "a one-time password is already enrolled; the security administrator can reset it",
        ));
    }
    let mut bytes = [0u8; 20];
    rand::rng().fill(&mut bytes);
    let secret = totp::base32_encode(&bytes);
    auth.store().set_totp(&account.id, Some(&secret), false).await?;
    let otpauth_url = totp::otpauth_url(&auth.config().totp_issuer, &account.login, &secret);
    Ok(Json(TotpEnrolment { secret, otpauth_url }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpConfirm {
    /// The 6-digit code the authenticator shows now.
    pub code: String,
}

/// Confirm the enrolment with a current code: from now on sign-in asks for one.
#[utoipa::path(post, path = "/api/me/totp/confirm", tag = "accounts", request_body = TotpConfirm,
    responses((status = 200, body = MeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn confirm_totp(
    State(app): State<AppState>,
    caller: Caller,
    Json(r): Json<TotpConfirm>,
) -> Result<Json<MeView>, ApiError> {
    let auth = service(&app)?;
    let account = own_account(auth, &caller).await?;
    let Some(secret) = account.totp_secret.as_deref().filter(|_| !account.totp_enrolled) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "no_totp_pending",
            "没有待确认的动态口令，请先通过 POST /api/me/totp 开始绑定",
            "no one-time password is waiting for confirmation: start with POST /api/me/totp",
        ));
    };
    let key = totp::base32_decode(secret).unwrap_or_default();
    let Some(step) = totp::verify(&key, &r.code, auth.now().0.div_euclid(1000)) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "totp_invalid",
            "动态口令错误，请检查手机时间后重试",
            "wrong one-time password; check the phone's clock and try again",
        ));
    };
    auth.store().set_totp(&account.id, Some(secret), true).await?;
    auth.store().use_totp_step(&account.id, step).await?;
    auth.log(Some(&account.id), "totp_enrolled", Outcome::Success, &account.id, "").await?;
    let account = own_account(auth, &caller).await?;
    Ok(Json(MeView::of(&account, &caller, &app)))
}

// ---------------------------------------------------------------------------------------------
// The three administrators

/// Lets only `role` through; anyone else gets a 403 naming who does this work, and the attempt
/// is logged.
async fn only<'c>(
    auth: &AccountAuthenticator,
    caller: &'c Caller,
    role: Role,
    work: (&str, &str),
) -> Result<&'c Actor, ApiError> {
    let actor = caller.actor()?;
    if actor.role == role {
        return Ok(actor);
    }
    auth.log(
        caller.account.as_deref(),
        "forbidden",
        Outcome::Failure,
        work.1,
        format!("a {} tried the work of the {}", actor.role, role),
    )
    .await?;
    let (who_zh, who_en) = match role {
        Role::SystemAdmin => ("系统管理员", "system administrator"),
        Role::SecurityAdmin => ("安全管理员", "security administrator"),
        _ => ("审计管理员", "audit administrator"),
    };
    Err(ApiError::forbidden(
        format!("只有{who_zh}可以{}（三权分立：系统、安全、审计管理员各司其职）", work.0),
        format!(
            "only the {who_en} may {} (the system, security and audit administrators each do only their own work)",
            work.1
        ),
    ))
}

/// A staff account inside the administrator's scope, or 403; residents and systems have no
/// place in the tree and are in every administrator's reach.
fn in_reach(auth: &AccountAuthenticator, admin: &Actor, account: &Account) -> Result<(), ApiError> {
    if account.kind != AccountKind::Staff {
        return Ok(());
    }
    let scope = account.staff_id.as_deref().and_then(|s| auth.engine().loaded().staff(s).map(|s| s.scope.clone()));
    match (&admin.scope, scope) {
        (Some(own), Some(theirs)) if own.covers(&theirs) => Ok(()),
        _ => Err(ApiError::forbidden(
            "该账号不在您的管辖范围内",
            "that account is outside your part of the jurisdiction tree",
        )),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffAccountRequest {
    /// An existing staff record (reference data) that has no account yet.
    #[schema(example = "op-1")]
    pub staff_id: String,
    /// The login name; the staff id when left out. Letters, digits, `.`, `_`, `-`; 2–40.
    #[serde(default)]
    pub login: Option<String>,
    /// The initial password, under the password policy.
    pub password: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StaffAccountView {
    pub account: String,
    pub login: String,
    pub staff_id: String,
    pub name: String,
    pub role: String,
    pub scope: String,
    pub unit: Option<String>,
}

/// Create a staff account (system administrator only), for a staff record in the
/// administrator's scope. Administrator accounts are not created here but on the server's
/// command line (`yiwang account add-staff`), so that no administrator makes another.
#[utoipa::path(post, path = "/api/admin/staff-accounts", tag = "administration", request_body = StaffAccountRequest,
    responses((status = 201, body = StaffAccountView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_staff_account(
    State(app): State<AppState>,
    caller: Caller,
    Json(r): Json<StaffAccountRequest>,
) -> Result<(StatusCode, Json<StaffAccountView>), ApiError> {
    let auth = service(&app)?;
    let admin = only(auth, &caller, Role::SystemAdmin, ("创建工作人员账号", "create staff accounts")).await?;
    let loaded = auth.engine().loaded();
    let Some(staff) = loaded.staff(r.staff_id.trim()).cloned() else {
        return Err(ApiError::not_found(
            format!("没有工作人员 {}", r.staff_id),
            format!("there is no staff record {}", r.staff_id),
        ));
    };
    if matches!(staff.role, Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin) {
        return Err(ApiError::forbidden(
            "管理员账号只能在服务器命令行创建（yiwang account add-staff）",
            "administrator accounts are created only on the server's command line (yiwang account add-staff)",
        ));
    }
    if !admin.scope.as_ref().is_some_and(|s| s.covers(&staff.scope)) {
        return Err(ApiError::forbidden(
            "该工作人员不在您的管辖范围内",
            "that member of staff is outside your part of the jurisdiction tree",
        ));
    }
    let login = r.login.as_deref().map(str::trim).filter(|l| !l.is_empty()).unwrap_or(&staff.id).to_owned();
    check_login(&login)?;
    let phone = match r.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(check_phone("phone", p)?),
        None => None,
    };
    let today = auth.now().at_offset(yiwang_domain::time::china_standard_time()).date_naive();
    let id_number = match r.id_number.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Some(check_id_number("id_number", id, today)?),
        None => None,
    };
    let personal: Vec<&str> =
        [Some(login.as_str()), Some(staff.id.as_str()), phone.as_deref()].into_iter().flatten().collect();
    auth.config().password_policy.check("password", &r.password, &personal)?;
    let account = Account {
        phone,
        id_number,
        staff_id: Some(staff.id.clone()),
        password_hash: password::hash(&r.password).await?,
        ..Account::new(&auth::new_id("s"), AccountKind::Staff, &login, &staff.name, auth.now())
    };
    auth.store().create_accounts(std::slice::from_ref(&account)).await.map_err(taken)?;
    auth.log(
        caller.account.as_deref(),
        "staff_created",
        Outcome::Success,
        &account.id,
        format!("staff {} ({} at {})", staff.id, staff.role, staff.scope),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(StaffAccountView {
            account: account.id,
            login,
            staff_id: staff.id,
            name: staff.name,
            role: staff.role.as_str().into(),
            scope: staff.scope.to_string(),
            unit: staff.unit,
        }),
    ))
}

/// A login name: 2–40 letters, digits, `.`, `_` or `-`.
pub fn check_login(login: &str) -> Result<(), ApiError> {
    let ok = (2..=40).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(bad(
            "login",
            "登录名应为 2–40 个字母、数字或 . _ -",
            "a login name is 2 to 40 letters, digits, “.”, “_” or “-”",
        ))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenRequest {
    /// The system the token is for, e.g. `hotline-bridge`; its system account is created the
    /// first time. Letters, digits, `.`, `_`, `-`; 2–40.
    #[schema(example = "hotline-bridge")]
    pub system: String,
    /// What the token is for, e.g. “12345 热线对接”.
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApiTokenView {
    pub id: String,
    /// Shown this once: send it as `Authorization: Bearer …` (or Open311's `api_key`).
    pub token: String,
    pub system: String,
    pub account: String,
    pub name: String,
    pub created_at: String,
}

/// Create an API token for another system (system administrator only). The token acts with the
/// platform's role (`system`) and is shown once.
#[utoipa::path(post, path = "/api/admin/api-tokens", tag = "administration", request_body = ApiTokenRequest,
    responses((status = 201, body = ApiTokenView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_api_token(
    State(app): State<AppState>,
    caller: Caller,
    Json(r): Json<ApiTokenRequest>,
) -> Result<(StatusCode, Json<ApiTokenView>), ApiError> {
    let auth = service(&app)?;
    only(auth, &caller, Role::SystemAdmin, ("创建访问令牌", "create API tokens")).await?;
    let system = r.system.trim();
    check_login(system).map_err(|_| {
        ApiError::from(Refusal::bad_field(
            "system",
            "系统名应为 2–40 个字母、数字或 . _ -",
            "a system name is 2 to 40 letters, digits, “.”, “_” or “-”",
        ))
    })?;
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad(
            "name",
            "请填写用途（不超过 100 个字）",
            "say what the token is for, in at most 100 characters",
        ));
    }
    let (t, account, token) = auth::issue_api_token(auth.store().as_ref(), system, name, auth.now()).await?;
    auth.log(
        caller.account.as_deref(),
        "api_token_created",
        Outcome::Success,
        &t.id,
        format!("for system {system}: {name}"),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiTokenView {
            id: t.id,
            token,
            system: system.to_owned(),
            account,
            name: t.name,
            created_at: t.created_at.to_rfc3339_cst(),
        }),
    ))
}

/// Revoke an API token (system administrator only); it stops working at once.
#[utoipa::path(delete, path = "/api/admin/api-tokens/{id}", tag = "administration", params(("id" = String, Path, description = "token id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_api_token(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let auth = service(&app)?;
    only(auth, &caller, Role::SystemAdmin, ("吊销访问令牌", "revoke API tokens")).await?;
    if !auth.store().revoke_api_token(&id, auth.now()).await? {
        return Err(ApiError::not_found(
            format!("没有有效的访问令牌 {id}"),
            format!("there is no live API token {id}"),
        ));
    }
    auth.log(caller.account.as_deref(), "api_token_revoked", Outcome::Success, &id, "").await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn target(auth: &AccountAuthenticator, admin: &Actor, id: &str) -> Result<Account, ApiError> {
    let account = auth
        .store()
        .account(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("账号 {id} 不存在"), format!("account {id} does not exist")))?;
    in_reach(auth, admin, &account)?;
    Ok(account)
}

/// Unlock an account locked by failed sign-ins (security administrator only).
#[utoipa::path(post, path = "/api/admin/accounts/{id}/unlock", tag = "administration", params(("id" = String, Path, description = "account id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unlock_account(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let auth = service(&app)?;
    let admin = only(auth, &caller, Role::SecurityAdmin, ("解锁账号", "unlock accounts")).await?;
    let account = target(auth, admin, &id).await?;
    auth.store().clear_login_failures(&account.id).await?;
    auth.log(caller.account.as_deref(), "account_unlocked", Outcome::Success, &account.id, "").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove an account's TOTP and end its sessions (security administrator only): its owner
/// enrols again (an administrator must, before doing anything else). Not one's own.
#[utoipa::path(post, path = "/api/admin/accounts/{id}/reset-totp", tag = "administration", params(("id" = String, Path, description = "account id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reset_totp(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let auth = service(&app)?;
    let admin = only(auth, &caller, Role::SecurityAdmin, ("重置动态口令", "reset one-time passwords")).await?;
    let account = target(auth, admin, &id).await?;
    if caller.account.as_deref() == Some(account.id.as_str()) {
        return Err(ApiError::forbidden(
            "不能重置自己的动态口令，请另一位安全管理员操作",
            "you cannot reset your own one-time password; ask another security administrator",
        ));
    }
    auth.store().set_totp(&account.id, None, false).await?;
    let ended = auth.store().delete_sessions_of(&account.id).await?;
    auth.log(
        caller.account.as_deref(),
        "totp_reset",
        Outcome::Success,
        &account.id,
        format!("{ended} session(s) ended"),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessLogQuery {
    /// Keyset paging: entries older than this `seq`.
    pub before: Option<i64>,
    /// Only what this account did.
    pub actor: Option<String>,
    /// Only this action, e.g. `login_failed`, `unmask`.
    pub action: Option<String>,
    /// Only what happened to this subject (an account id, a token id).
    pub subject: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<u32>,
}

/// One entry of the access log.
#[derive(Serialize, ToSchema)]
pub struct AccessEntryView {
    pub seq: i64,
    pub at: String,
    /// The account that acted; absent when nobody was signed in.
    pub actor: Option<String>,
    pub action: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// An account id, a token id, or a masked phone number.
    pub subject: String,
    pub detail: String,
}

/// The access log, newest first (audit administrator only). Reading it is itself logged.
#[utoipa::path(get, path = "/api/admin/access-log", tag = "administration", params(AccessLogQuery),
    responses((status = 200, body = Vec<AccessEntryView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn access_log(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<AccessLogQuery>,
) -> Result<Json<Vec<AccessEntryView>>, ApiError> {
    let auth = service(&app)?;
    only(auth, &caller, Role::AuditAdmin, ("查看访问日志", "read the access log")).await?;
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    let filter = AccessFilter {
        before: q.before,
        actor: nonempty(q.actor),
        action: nonempty(q.action),
        subject: nonempty(q.subject),
        limit: q.limit.unwrap_or(100).clamp(1, 500),
    };
    let entries = auth.store().access_log(&filter).await?;
    auth.log(
        caller.account.as_deref(),
        "access_log_read",
        Outcome::Success,
        "access_log",
        format!("{} entries", entries.len()),
    )
    .await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AccessEntryView {
                seq: e.seq,
                at: e.at.to_rfc3339_cst(),
                actor: e.actor,
                action: e.action,
                outcome: e.outcome.as_str().into(),
                subject: e.subject,
                detail: e.detail,
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// The reporter's contact details

/// Who reported a case, for calling back.
#[derive(Serialize, ToSchema)]
pub struct ReporterView {
    pub case_id: i64,
    /// The reporter as the case records them (an account id).
    pub reporter: String,
    /// Masked (`张*`) unless `unmasked`.
    pub name: Option<String>,
    /// Masked (`138****1234`) unless `unmasked`.
    pub phone: Option<String>,
    /// Whether name and phone are in full: for the lead unit's handlers, and intake operators
    /// and shift chiefs whose territory holds the case. Each such answer is in the access log.
    pub unmasked: bool,
}

/// Whether the actor's work on this case needs the reporter's contact details: the lead unit
/// calls back, the intake operator and shift chief follow up (回访) in their territory.
pub fn needs_reporter_contact(actor: &Actor, case: &Case) -> bool {
    match actor.role {
        Role::Handler => actor.unit.is_some() && actor.unit == case.lead_unit,
        Role::IntakeOperator | Role::ShiftChief => actor.scope.as_ref().is_some_and(|s| s.covers(&case.grid)),
        _ => false,
    }
}

/// The reporter's name and phone: in full for whoever must call back, masked for other staff
/// who may see the case, and for the reporter themselves.
#[utoipa::path(get, path = "/api/cases/{id}/reporter", tag = "cases", params(("id" = i64, Path, description = "case id")),
    responses((status = 200, body = ReporterView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reporter(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<ReporterView>, ApiError> {
    let auth = service(&app)?;
    let actor = caller.actor()?;
    let case = app.0.engine.case(id).await?;
    if !visibility::can_see(&caller, &case) {
        return Err(ApiError::not_found(format!("案卷 {id} 不存在"), format!("case {id} does not exist")));
    }
    if actor.role == Role::Resident && actor.resident_id() != case.reporter {
        return Err(ApiError::forbidden("只能查看自己的联系方式", "residents see only their own contact details"));
    }
    let unmasked = needs_reporter_contact(actor, &case);
    let account = auth.store().account(&case.reporter).await?.filter(|a| a.kind == AccountKind::Resident);
    let (name, phone) = match &account {
        Some(a) if unmasked => (Some(a.display_name.clone()), a.phone.clone()),
        Some(a) => (Some(mask_name(&a.display_name)), a.phone.as_deref().map(mask_phone)),
        None => (None, None),
    };
    if unmasked && account.is_some() {
        auth.log(
            caller.account.as_deref(),
            "unmask",
            Outcome::Success,
            &case.reporter,
            format!("name and phone of the reporter of case {id}, seen by {} {}", actor.role, actor.id),
        )
        .await?;
    }
    Ok(Json(ReporterView {
        case_id: id,
        reporter: case.reporter.clone(),
        name,
        phone,
        unmasked: unmasked && account.is_some(),
    }))
}
