//! Conformance story for proxies (亲友代办): asked for, consented to once, revoked by either
//! side, never two live ones per relative and phone, and the record kept.
//!
//! Each backend's `tests/conformance.rs` calls [`run`] on a fresh store. Panics name the step.

use std::sync::Arc;

use yiwang_domain::audit::sm3;
use yiwang_domain::time::{MINUTE_MS, Timestamp};

use crate::accounts::{Account, AccountKind};
use crate::proxies::{ConsentCode, Proxy, ProxyStatus};
use crate::{Store, StoreError};

/// Monday 2025-11-17 10:00 CST.
const T0: Timestamp = Timestamp(1_763_344_800_000);

fn at(minutes: i64) -> Timestamp {
    T0.plus_ms(minutes * MINUTE_MS)
}

fn resident(id: &str, phone: &str) -> Account {
    Account { phone: Some(phone.into()), ..Account::new(id, AccountKind::Resident, phone, "居民", T0) }
}

fn code(secret: &str, minutes: i64) -> ConsentCode {
    ConsentCode { code_hash: sm3(secret.as_bytes()), sent_at: at(minutes), expires_at: at(minutes + 10), attempts: 0 }
}

fn asked(relative: &str, phone: &str, elder: Option<&str>, minutes: i64) -> Proxy {
    Proxy {
        id: 0,
        relative: relative.into(),
        elder_phone: phone.into(),
        elder: elder.map(Into::into),
        relation: "女儿".into(),
        status: ProxyStatus::Pending,
        created_at: at(minutes),
        consented_at: None,
        revoked_at: None,
        code: Some(code("111111", minutes)),
    }
}

/// The whole story, on a store with no accounts.
pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    s.create_accounts(&[
        resident("daughter", "13900000101"),
        resident("elder", "13900000102"),
        resident("son", "13900000103"),
    ])
    .await
    .expect("create accounts");

    // Asked for: the store gives the id and keeps every field.
    let p = s.create_proxy(&asked("daughter", "13900000102", Some("elder"), 0)).await.expect("create proxy");
    assert!(p.id > 0, "an id is assigned");
    assert_eq!(p, Proxy { id: p.id, ..asked("daughter", "13900000102", Some("elder"), 0) }, "round trip");
    assert_eq!(s.proxy(p.id).await.unwrap(), Some(p.clone()), "by id");
    assert!(s.proxy(p.id + 1000).await.unwrap().is_none(), "no such proxy");

    // One live proxy per relative and phone.
    match s.create_proxy(&asked("daughter", "13900000102", Some("elder"), 1)).await {
        Err(StoreError::Refused(r)) => assert_eq!(r.code, "proxy_exists", "{r}"),
        other => panic!("a second pending proxy: expected proxy_exists, got {other:?}"),
    }
    // For a phone no account holds yet, the elder is unknown.
    let unknown = s.create_proxy(&asked("daughter", "13900000199", None, 2)).await.expect("unknown phone");
    assert_eq!(unknown.elder, None);
    let by_son = s.create_proxy(&asked("son", "13900000102", Some("elder"), 3)).await.expect("another relative");

    // Wrong codes are counted atomically; a renewed code starts again.
    assert_eq!(s.count_proxy_code_attempt(p.id).await.unwrap(), Some(1));
    assert_eq!(s.count_proxy_code_attempt(p.id).await.unwrap(), Some(2));
    assert!(s.renew_proxy_code(p.id, Some("elder"), &code("222222", 5)).await.unwrap(), "renewed");
    let renewed = s.proxy(p.id).await.unwrap().unwrap();
    assert_eq!(renewed.code, Some(code("222222", 5)), "the new code, attempts from zero");
    assert!(s.renew_proxy_code(unknown.id, Some("elder"), &code("333333", 6)).await.unwrap());
    assert_eq!(s.proxy(unknown.id).await.unwrap().unwrap().elder.as_deref(), Some("elder"), "the elder found later");
    assert!(s.revoke_proxy(unknown.id, at(7)).await.unwrap());

    // Consent: once, clearing the code.
    assert!(s.active_proxy("daughter", "elder").await.unwrap().is_none(), "pending is not active");
    assert!(s.consent_proxy(p.id, "elder", at(8)).await.unwrap(), "consented");
    assert!(!s.consent_proxy(p.id, "elder", at(9)).await.unwrap(), "a second consent changes nothing");
    let active = s.proxy(p.id).await.unwrap().unwrap();
    assert_eq!(
        (active.status, active.consented_at, active.code.as_ref(), active.elder.as_deref()),
        (ProxyStatus::Active, Some(at(8)), None, Some("elder")),
        "active, consent time kept, code gone"
    );
    assert_eq!(s.count_proxy_code_attempt(p.id).await.unwrap(), None, "no code to guess once active");
    assert!(!s.renew_proxy_code(p.id, Some("elder"), &code("444444", 9)).await.unwrap(), "no new code once active");
    assert_eq!(s.active_proxy("daughter", "elder").await.unwrap(), Some(active.clone()), "the active proxy");
    assert!(s.active_proxy("son", "elder").await.unwrap().is_none(), "the son's is still pending");
    assert!(s.active_proxy("elder", "daughter").await.unwrap().is_none(), "not the other way round");

    // Both ways, newest first; the unknown phone's ask is the daughter's only.
    let ids = |v: Vec<Proxy>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(ids(s.proxies_of("daughter", None).await.unwrap()), [unknown.id, p.id], "the daughter's");
    assert_eq!(ids(s.proxies_of("elder", None).await.unwrap()), [by_son.id, unknown.id, p.id], "the elder's");
    assert!(s.proxies_of("nobody", None).await.unwrap().is_empty());
    // An ask for a phone no account held yet is listed for the one who holds it now, by phone
    // (and only while no elder is known: one found later is listed by account).
    let early = s.create_proxy(&asked("son", "13900000188", None, 4)).await.expect("a phone with no account");
    assert_eq!(ids(s.proxies_of("newcomer", Some("13900000188")).await.unwrap()), [early.id], "asked before sign-up");
    assert!(s.proxies_of("newcomer", Some("13900000177")).await.unwrap().is_empty(), "another phone");
    assert_eq!(
        ids(s.proxies_of("elder", Some("13900000102")).await.unwrap()),
        [by_son.id, unknown.id, p.id],
        "no ask twice, none of another phone"
    );

    // Revoked by either side, once; the record stays, and a new ask may follow.
    assert!(s.revoke_proxy(p.id, at(20)).await.unwrap(), "revoked");
    assert!(!s.revoke_proxy(p.id, at(21)).await.unwrap(), "already revoked");
    assert!(!s.revoke_proxy(p.id + 1000, at(21)).await.unwrap(), "no such proxy");
    assert!(!s.consent_proxy(p.id, "elder", at(22)).await.unwrap(), "no consent after revocation");
    let ended = s.proxy(p.id).await.unwrap().unwrap();
    assert_eq!(
        (ended.status, ended.consented_at, ended.revoked_at),
        (ProxyStatus::Revoked, Some(at(8)), Some(at(20))),
        "the consent stays on record"
    );
    assert!(s.active_proxy("daughter", "elder").await.unwrap().is_none(), "revoked is not active");
    let again = s.create_proxy(&asked("daughter", "13900000102", Some("elder"), 30)).await.expect("ask again");
    assert_ne!(again.id, p.id);
}
