//! Conformance story for accounts, sessions, API tokens, verification codes and the access log.
//!
//! Each backend's `tests/conformance.rs` calls [`run`] on a fresh store. Panics name the step.

use std::sync::Arc;

use yiwang_domain::audit::sm3;
use yiwang_domain::time::{MINUTE_MS, Timestamp};

use crate::accounts::{AccessEntry, AccessFilter, Account, AccountKind, ApiToken, Outcome, Session, VerificationCode};
use crate::{Store, StoreError};

/// Monday 2025-11-17 10:00 CST.
const T0: Timestamp = Timestamp(1_763_344_800_000);

fn resident(id: &str, phone: &str) -> Account {
    Account {
        phone: Some(phone.into()),
        id_number: Some("11010519491231002X".into()),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        ..Account::new(id, AccountKind::Resident, phone, "欧阳娜娜", T0)
    }
}

fn staff(id: &str, login: &str, staff_id: &str) -> Account {
    Account {
        staff_id: Some(staff_id.into()),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$c3RhZmY".into(),
        ..Account::new(id, AccountKind::Staff, login, "值班长甲", T0)
    }
}

fn refused_as_existing(r: crate::Result<()>, what: &str) {
    match r {
        Err(StoreError::Refused(refusal)) => assert_eq!(refusal.code, "account_exists", "{what}: {refusal}"),
        other => panic!("{what}: expected an account_exists refusal, got {other:?}"),
    }
}

/// The whole story, on a store with no accounts.
pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    accounts_round_trip_and_stay_unique(s).await;
    failures_lock_and_clear(store.clone()).await;
    secrets_and_totp_steps(s).await;
    sessions(s).await;
    api_tokens(s).await;
    codes(s).await;
    access_log(s).await;
}

async fn accounts_round_trip_and_stay_unique(s: &dyn Store) {
    let r = resident("r-1", "13900000001");
    let st = staff("s-1", "chief", "chief");
    let sys = Account::new("y-1", AccountKind::System, "system:hotline", "12345 热线", T0);
    s.create_accounts(&[r.clone(), st.clone(), sys.clone()]).await.expect("create accounts");
    assert_eq!(s.account("r-1").await.unwrap().as_ref(), Some(&r), "account by id");
    assert_eq!(s.account_by_login("chief").await.unwrap().as_ref(), Some(&st), "account by login");
    assert_eq!(s.account_by_phone("13900000001").await.unwrap().as_ref(), Some(&r), "account by phone");
    assert_eq!(s.account_by_staff("chief").await.unwrap().as_ref(), Some(&st), "account by staff id");
    assert_eq!(s.account("y-1").await.unwrap().as_ref(), Some(&sys), "system account");
    assert!(s.account("nobody").await.unwrap().is_none());
    assert!(s.account_by_login("Chief").await.unwrap().is_none(), "logins compare exactly");
    assert!(s.account_by_phone("13900000002").await.unwrap().is_none());

    refused_as_existing(s.create_accounts(&[resident("r-1", "13900000009")]).await, "same id");
    refused_as_existing(s.create_accounts(&[staff("s-2", "chief", "other")]).await, "same login");
    refused_as_existing(s.create_accounts(&[staff("s-2", "chief-2", "chief")]).await, "same staff");
    let mut same_phone = resident("r-2", "13900000002");
    same_phone.phone = Some("13900000001".into());
    refused_as_existing(s.create_accounts(&[same_phone]).await, "same phone");
    // All or none: the good account in a refused batch is not created.
    refused_as_existing(
        s.create_accounts(&[resident("r-3", "13900000003"), resident("r-4", "13900000001")]).await,
        "a batch with one taken phone",
    );
    assert!(s.account("r-3").await.unwrap().is_none(), "a refused batch leaves nothing behind");

    // Many at once (the demo creates thousands).
    let many: Vec<Account> = (0..500).map(|i| resident(&format!("m-{i}"), &format!("1390001{i:04}"))).collect();
    s.create_accounts(&many).await.expect("create many");
    assert_eq!(s.account_by_phone("13900010499").await.unwrap().map(|a| a.id), Some("m-499".into()));
}

async fn failures_lock_and_clear(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let until = T0.plus_ms(5 * MINUTE_MS);
    let a = s.record_login_failure("s-1", 3, until).await.unwrap().expect("account");
    assert_eq!((a.failed_logins, a.locked_until), (1, None), "first failure");
    let a = s.record_login_failure("s-1", 3, until).await.unwrap().unwrap();
    assert_eq!((a.failed_logins, a.locked_until), (2, None), "second failure");
    let a = s.record_login_failure("s-1", 3, until).await.unwrap().unwrap();
    assert_eq!((a.failed_logins, a.locked_until), (0, Some(until)), "the third failure locks and starts again");
    assert!(a.is_locked(T0) && !a.is_locked(until), "locked until, not at");
    s.clear_login_failures("s-1").await.unwrap();
    let a = s.account("s-1").await.unwrap().unwrap();
    assert_eq!((a.failed_logins, a.locked_until), (0, None), "cleared");
    assert!(s.record_login_failure("nobody", 3, until).await.unwrap().is_none());

    // Concurrent failures are all counted.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let store = store.clone();
        tasks.spawn(async move { store.record_login_failure("r-1", 100, until).await.unwrap() });
    }
    while tasks.join_next().await.is_some() {}
    assert_eq!(s.account("r-1").await.unwrap().unwrap().failed_logins, 20, "every concurrent failure counts");
    s.clear_login_failures("r-1").await.unwrap();
}

async fn secrets_and_totp_steps(s: &dyn Store) {
    s.set_password("s-1", "$argon2id$new").await.unwrap();
    assert_eq!(s.account("s-1").await.unwrap().unwrap().password_hash, "$argon2id$new");

    s.set_totp("s-1", Some("JBSWY3DPEHPK3PXP"), false).await.unwrap();
    let a = s.account("s-1").await.unwrap().unwrap();
    assert_eq!((a.totp_secret.as_deref(), a.totp_enrolled), (Some("JBSWY3DPEHPK3PXP"), false), "pending");
    s.set_totp("s-1", Some("JBSWY3DPEHPK3PXP"), true).await.unwrap();
    assert!(s.account("s-1").await.unwrap().unwrap().totp_enrolled, "enrolled");

    assert!(s.use_totp_step("s-1", 100).await.unwrap(), "a first step");
    assert!(!s.use_totp_step("s-1", 100).await.unwrap(), "the same step twice");
    assert!(!s.use_totp_step("s-1", 99).await.unwrap(), "an earlier step");
    assert!(s.use_totp_step("s-1", 101).await.unwrap(), "a later step");
    assert_eq!(s.account("s-1").await.unwrap().unwrap().totp_last_step, Some(101));

    s.set_totp("s-1", None, false).await.unwrap();
    let a = s.account("s-1").await.unwrap().unwrap();
    assert_eq!((a.totp_secret, a.totp_enrolled, a.totp_last_step), (None, false, None), "reset");
}

async fn sessions(s: &dyn Store) {
    let session = |token: &str, account: &str, expires: i64| Session {
        token_hash: sm3(token.as_bytes()),
        account_id: account.into(),
        created_at: T0,
        last_seen: T0,
        expires_at: T0.plus_ms(expires * MINUTE_MS),
    };
    let a = session("a", "s-1", 60);
    s.create_session(&a).await.expect("create session");
    s.create_session(&session("b", "s-1", 10)).await.unwrap();
    s.create_session(&session("c", "r-1", 10)).await.unwrap();
    assert_eq!(s.session(&a.token_hash).await.unwrap(), Some(a.clone()), "session by hash");
    assert!(s.session(&sm3(b"zzz")).await.unwrap().is_none());

    s.touch_session(&a.token_hash, T0.plus_ms(MINUTE_MS)).await.unwrap();
    assert_eq!(s.session(&a.token_hash).await.unwrap().unwrap().last_seen, T0.plus_ms(MINUTE_MS), "touched");

    assert_eq!(s.delete_expired_sessions(T0.plus_ms(30 * MINUTE_MS)).await.unwrap(), 2, "two expired");
    assert!(s.session(&sm3(b"c")).await.unwrap().is_none());
    assert!(s.session(&a.token_hash).await.unwrap().is_some(), "the live one stays");

    s.create_session(&session("d", "s-1", 60)).await.unwrap();
    s.create_session(&session("e", "r-1", 60)).await.unwrap();
    assert_eq!(s.delete_sessions_of("s-1").await.unwrap(), 2, "both of s-1");
    assert!(s.session(&sm3(b"e")).await.unwrap().is_some(), "another account's stays");
    s.delete_session(&sm3(b"e")).await.unwrap();
    assert!(s.session(&sm3(b"e")).await.unwrap().is_none(), "deleted");
}

async fn api_tokens(s: &dyn Store) {
    let t = ApiToken {
        id: "t-1".into(),
        token_hash: sm3(b"token"),
        name: "12345 热线对接".into(),
        account_id: "y-1".into(),
        created_at: T0,
        revoked_at: None,
    };
    s.create_api_token(&t).await.expect("create token");
    let system = s.account("y-1").await.unwrap().expect("the token's account");
    let found = s.api_token_with_account(&t.token_hash).await.unwrap();
    assert_eq!(found, Some((t.clone(), system)), "token by hash, with its account");
    assert_eq!(s.api_token_by_id("t-1").await.unwrap(), Some(t.clone()), "token by id");
    assert!(s.api_token_with_account(&sm3(b"other")).await.unwrap().is_none());
    let later = T0.plus_ms(MINUTE_MS);
    assert!(s.revoke_api_token("t-1", later).await.unwrap(), "revoked");
    assert!(!s.revoke_api_token("t-1", later).await.unwrap(), "already revoked");
    assert!(!s.revoke_api_token("t-9", later).await.unwrap(), "no such token");
    let (revoked, _) = s.api_token_with_account(&t.token_hash).await.unwrap().expect("a revoked token is kept");
    assert_eq!(revoked.revoked_at, Some(later));
}

async fn codes(s: &dyn Store) {
    let code = VerificationCode {
        phone: "13900000005".into(),
        code_hash: sm3(b"123456"),
        sent_at: T0,
        expires_at: T0.plus_ms(10 * MINUTE_MS),
        attempts: 0,
    };
    s.put_code(&code).await.expect("put code");
    assert_eq!(s.code("13900000005").await.unwrap(), Some(code.clone()));
    assert_eq!(s.count_code_attempt("13900000005").await.unwrap(), Some(1));
    assert_eq!(s.count_code_attempt("13900000005").await.unwrap(), Some(2));
    assert_eq!(s.count_code_attempt("13900000006").await.unwrap(), None, "no code for that phone");
    let again = VerificationCode { code_hash: sm3(b"654321"), sent_at: T0.plus_ms(MINUTE_MS), ..code.clone() };
    s.put_code(&again).await.expect("replace code");
    assert_eq!(s.code("13900000005").await.unwrap(), Some(again), "a new code replaces the old, attempts and all");
    s.delete_code("13900000005").await.unwrap();
    assert!(s.code("13900000005").await.unwrap().is_none());
}

async fn access_log(s: &dyn Store) {
    let entry = |i: i64, actor: Option<&str>, action: &str, outcome: Outcome, subject: &str| AccessEntry {
        seq: 0,
        at: T0.plus_ms(i * 1000),
        actor: actor.map(Into::into),
        action: action.into(),
        outcome,
        subject: subject.into(),
        detail: format!("第 {i} 条 entry"),
    };
    let entries = [
        entry(1, None, "login_failed", Outcome::Failure, "s-1"),
        entry(2, None, "account_locked", Outcome::Success, "s-1"),
        entry(3, Some("sec-1"), "account_unlocked", Outcome::Success, "s-1"),
        entry(4, Some("s-1"), "login", Outcome::Success, "s-1"),
        entry(5, Some("h-1"), "unmask", Outcome::Success, "r-1"),
    ];
    let mut seqs = Vec::new();
    for e in &entries {
        seqs.push(s.log_access(e).await.expect("log access"));
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seq increases: {seqs:?}");

    let all = s.access_log(&AccessFilter { limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0], AccessEntry { seq: seqs[4], ..entries[4].clone() }, "newest first, as written");
    assert_eq!(all[4], AccessEntry { seq: seqs[0], ..entries[0].clone() }, "no actor round-trips");

    let page = s.access_log(&AccessFilter { limit: 2, ..Default::default() }).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [seqs[4], seqs[3]], "first page");
    let page = s.access_log(&AccessFilter { limit: 2, before: Some(seqs[3]), ..Default::default() }).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [seqs[2], seqs[1]], "second page");

    let by_subject =
        s.access_log(&AccessFilter { limit: 100, subject: Some("s-1".into()), ..Default::default() }).await.unwrap();
    assert_eq!(by_subject.len(), 4, "by subject");
    let by_actor =
        s.access_log(&AccessFilter { limit: 100, actor: Some("h-1".into()), ..Default::default() }).await.unwrap();
    assert_eq!(by_actor.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["unmask"], "by actor");
    let by_action = s
        .access_log(&AccessFilter {
            limit: 100,
            action: Some("login_failed".into()),
            subject: Some("s-1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_action.len(), 1, "by action and subject");
}
