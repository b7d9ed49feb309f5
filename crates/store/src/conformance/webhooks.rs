//! The webhook story: subscriptions, the outbox, claims with leases, attempts and the log.
//! Needs a fresh store.

use std::collections::HashSet;
use std::sync::Arc;

use yiwang_domain::Lang;
use yiwang_domain::time::Timestamp;

use super::T0;
use crate::Store;
use crate::webhooks::{Attempt, DeliveryStatus, MAX_ERROR, NewDelivery, NewSubscription, Outcome};

const SECOND: i64 = 1_000;

fn at(seconds: i64) -> Timestamp {
    T0.plus_ms(seconds * SECOND)
}

fn subscription(unit: &str, url: &str) -> NewSubscription {
    NewSubscription {
        unit: unit.into(),
        url: url.into(),
        secret: format!("secret-of-{unit}"),
        lang: Lang::En,
        created_at: T0,
        created_by: format!("handler-{unit}"),
        after_ledger_seq: 7,
    }
}

fn delivery(subscription_id: i64, case_id: i64, event_seq: u32, seconds: i64) -> NewDelivery {
    NewDelivery {
        subscription_id,
        case_id,
        event_seq,
        step: if event_seq == 1 { "report".into() } else { "dispatch".into() },
        payload: format!(r#"{{"case":{case_id},"seq":{event_seq},"名":"派遣"}}"#),
        created_at: at(seconds),
    }
}

fn attempt(seconds: i64, status: Option<u16>, error: Option<&str>, outcome: Outcome) -> Attempt {
    Attempt { at: at(seconds), status, error: error.map(str::to_owned), outcome }
}

/// The whole story, on a fresh store.
pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    assert_eq!(s.webhook_cursor().await.expect("cursor"), 0, "a fresh store starts at the ledger head");

    // Subscriptions.
    let a = s.create_subscription(&subscription("cgzf", "https://cgzf.example/hook")).await.expect("subscribe");
    let b = s.create_subscription(&subscription("hw", "http://10.1.2.3:8080/yiwang")).await.expect("subscribe");
    assert_ne!(a.id, b.id);
    assert!(a.active && b.active);
    assert_eq!(
        (
            a.unit.as_str(),
            a.url.as_str(),
            a.secret.as_str(),
            a.lang,
            a.created_at,
            a.created_by.as_str(),
            a.after_ledger_seq
        ),
        ("cgzf", "https://cgzf.example/hook", "secret-of-cgzf", Lang::En, T0, "handler-cgzf", 7)
    );
    assert_eq!(s.subscription(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(s.subscription(b.id + 1000).await.unwrap(), None);
    assert_eq!(s.subscriptions(Some("cgzf")).await.unwrap(), vec![a.clone()]);
    assert_eq!(s.subscriptions(None).await.unwrap(), vec![a.clone(), b.clone()]);
    assert!(s.subscriptions(Some("nobody")).await.unwrap().is_empty());

    // Enqueue: one delivery per subscription and event; the cursor only moves forward.
    let first = [delivery(a.id, 1, 1, 0), delivery(a.id, 1, 2, 1), delivery(b.id, 1, 2, 1)];
    assert_eq!(s.enqueue_deliveries(&first, 10).await.expect("enqueue"), 3);
    assert_eq!(s.webhook_cursor().await.unwrap(), 10);
    let again = [delivery(a.id, 1, 1, 5), delivery(a.id, 2, 1, 2)];
    assert_eq!(s.enqueue_deliveries(&again, 5).await.expect("enqueue again"), 1, "a queued event is not queued twice");
    assert_eq!(s.webhook_cursor().await.unwrap(), 10, "the cursor never moves back");
    assert_eq!(s.enqueue_deliveries(&[], 12).await.unwrap(), 0);
    assert_eq!(s.webhook_cursor().await.unwrap(), 12);

    // Claims: the longest waiting first; a claimed delivery is out of reach until its lease ends.
    assert!(s.claim_deliveries(at(-1), at(60), 10).await.unwrap().is_empty(), "nothing is due before it was queued");
    let c1 = s.claim_deliveries(at(3), at(60), 2).await.expect("claim");
    assert_eq!(
        c1.iter().map(|d| (d.subscription_id, d.case_id, d.event_seq)).collect::<Vec<_>>(),
        [(a.id, 1, 1), (a.id, 1, 2)]
    );
    let d1 = &c1[0];
    assert_eq!(d1.status, DeliveryStatus::Pending);
    assert_eq!((d1.attempts, d1.next_attempt_at, d1.created_at), (0, Some(at(60)), at(0)));
    assert_eq!(d1.payload, r#"{"case":1,"seq":1,"名":"派遣"}"#);
    assert_eq!(d1.step, "report");
    let c2 = s.claim_deliveries(at(3), at(60), 10).await.expect("claim the rest");
    assert_eq!(
        c2.iter().map(|d| (d.subscription_id, d.case_id, d.event_seq)).collect::<Vec<_>>(),
        [(b.id, 1, 2), (a.id, 2, 1)]
    );
    assert!(s.claim_deliveries(at(59), at(120), 10).await.unwrap().is_empty(), "claimed deliveries are leased");
    // The workers died: once the leases end, everything is claimed again.
    let c3 = s.claim_deliveries(at(60), at(90), 10).await.expect("claim after the leases");
    assert_eq!(c3.len(), 4);
    let (d2, d3, d4) = (c1[1].id, c2[0].id, c2[1].id);

    // Attempts.
    assert!(s.record_attempt(d1.id, &attempt(61, Some(204), None, Outcome::Delivered)).await.unwrap());
    assert!(s.record_attempt(d2, &attempt(61, Some(500), Some("HTTP 500"), Outcome::RetryAt(at(100)))).await.unwrap());
    let long = "x".repeat(MAX_ERROR + 50);
    assert!(s.record_attempt(d4, &attempt(62, None, Some(&long), Outcome::RetryAt(at(100)))).await.unwrap());
    assert!(
        !s.record_attempt(d1.id, &attempt(63, Some(200), None, Outcome::Delivered)).await.unwrap(),
        "a delivered delivery takes no more attempts"
    );
    assert!(s.claim_deliveries(at(89), at(200), 10).await.unwrap().is_empty(), "a retry waits for its time");
    let due = s.claim_deliveries(at(100), at(200), 10).await.unwrap();
    assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), [d2, d3, d4]);
    let retried = due.iter().find(|d| d.id == d2).unwrap();
    assert_eq!(
        (retried.attempts, retried.last_status, retried.last_error.as_deref(), retried.last_attempt_at),
        (1, Some(500), Some("HTTP 500"), Some(at(61)))
    );
    let clipped = due.iter().find(|d| d.id == d4).unwrap().last_error.clone().unwrap();
    assert!(clipped.chars().count() <= MAX_ERROR + 1 && clipped.starts_with("xxx"), "errors are clipped");
    assert!(s.record_attempt(d2, &attempt(101, Some(502), Some("HTTP 502"), Outcome::GiveUp)).await.unwrap());

    // Removing a subscription cancels what it still had pending; its log stays.
    assert!(s.deactivate_subscription(b.id).await.expect("deactivate"));
    assert!(!s.deactivate_subscription(b.id).await.unwrap(), "already inactive");
    assert!(!s.deactivate_subscription(b.id + 1000).await.unwrap(), "no such subscription");
    assert!(
        !s.record_attempt(d3, &attempt(102, Some(200), None, Outcome::Delivered)).await.unwrap(),
        "a cancelled delivery is left as it is"
    );
    assert_eq!(s.subscriptions(None).await.unwrap(), vec![a.clone()]);
    assert!(!s.subscription(b.id).await.unwrap().unwrap().active);
    let b_log = s.deliveries(b.id, None, 10).await.unwrap();
    assert_eq!(b_log.len(), 1);
    assert_eq!((b_log[0].status, b_log[0].next_attempt_at), (DeliveryStatus::Cancelled, None));

    // The log: newest first, paged by id.
    let log = s.deliveries(a.id, None, 10).await.expect("log");
    assert_eq!(log.iter().map(|d| d.id).collect::<Vec<_>>(), [d4, d2, d1.id]);
    let by_id = |id| log.iter().find(|d| d.id == id).unwrap();
    let done = by_id(d1.id);
    assert_eq!(
        (done.status, done.attempts, done.delivered_at, done.next_attempt_at, done.last_status),
        (DeliveryStatus::Delivered, 1, Some(at(61)), None, Some(204))
    );
    let failed = by_id(d2);
    assert_eq!(
        (failed.status, failed.attempts, failed.delivered_at, failed.next_attempt_at, failed.last_error.as_deref()),
        (DeliveryStatus::Failed, 2, None, None, Some("HTTP 502"))
    );
    assert_eq!(by_id(d4).status, DeliveryStatus::Pending);
    let page = s.deliveries(a.id, Some(d4), 1).await.unwrap();
    assert_eq!(page.iter().map(|d| d.id).collect::<Vec<_>>(), [d2]);

    concurrent_claims_take_each_delivery_once(store.clone(), a.id).await;
}

/// Workers claiming side by side never get the same delivery.
async fn concurrent_claims_take_each_delivery_once(store: Arc<dyn Store>, subscription_id: i64) {
    let batch: Vec<NewDelivery> = (0..40).map(|i| delivery(subscription_id, 100 + i, 1, 1_000)).collect();
    assert_eq!(store.enqueue_deliveries(&batch, 12).await.unwrap(), 40);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let claimed = store.claim_deliveries(at(1_000), at(5_000), 3).await.expect("claim");
                    if claimed.is_empty() {
                        break mine;
                    }
                    mine.extend(claimed.into_iter().filter(|d| d.case_id >= 100).map(|d| d.id));
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for w in workers {
        for id in w.await.expect("claiming task") {
            total += 1;
            seen.insert(id);
        }
    }
    assert_eq!((seen.len(), total), (40, 40), "every delivery claimed exactly once");
}
