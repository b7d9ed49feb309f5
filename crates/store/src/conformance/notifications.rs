//! The notifications story: written once per event and recipient, the cursor only moves
//! forward, inboxes by recipient, newest first, unread and read. Needs a fresh store.

use std::sync::Arc;

use yiwang_domain::case::Role;
use yiwang_domain::codes::AreaCode;
use yiwang_domain::time::MINUTE_MS;

use super::T0;
use crate::Store;
use crate::notifications::{NewNotification, NotificationKind, NotificationQuery, Recipient};

fn supervisors_of(node: &str) -> Recipient {
    Recipient::Role { role: Role::Supervisor, node: AreaCode::parse("node", node).unwrap() }
}

fn note(recipient: Recipient, case_id: i64, event_seq: u32, kind: NotificationKind) -> NewNotification {
    NewNotification {
        recipient,
        case_id,
        event_seq,
        kind,
        created_at: T0.plus_ms(i64::from(event_seq) * MINUTE_MS),
        text_zh: format!("案卷 {case_id} 第 {event_seq} 步"),
        text_en: format!("case {case_id}, step {event_seq}"),
    }
}

fn query(recipients: Vec<Recipient>, unread_only: bool, before_id: Option<i64>, limit: u32) -> NotificationQuery {
    NotificationQuery { recipients, unread_only, before_id, limit }
}

/// The whole story, on a fresh store.
pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    assert_eq!(s.notification_cursor().await.unwrap(), 0, "a fresh store starts at the ledger head");

    // Recipients are stored as kind and key, and read back.
    for r in [
        Recipient::Staff("sup-1".into()),
        Recipient::Unit("cgzf".into()),
        supervisors_of("110101001"),
        Recipient::Resident("r00042".into()),
    ] {
        assert_eq!(Recipient::parse(r.kind(), &r.key()), Some(r.clone()), "{r:?}");
    }
    assert_eq!(supervisors_of("110101").key(), "supervisor@110101");
    assert_eq!(Recipient::parse("role", "nobody@110101"), None);
    assert_eq!(Recipient::parse("role", "supervisor@11x"), None);
    assert_eq!(Recipient::parse("group", "x"), None);

    // Once per event and recipient; the cursor moves forward only.
    let unit = Recipient::Unit("cgzf".into());
    let first = [
        note(unit.clone(), 1, 3, NotificationKind::Dispatched),
        note(unit.clone(), 1, 5, NotificationKind::Warned),
        note(supervisors_of("110101"), 1, 5, NotificationKind::Warned),
        note(Recipient::Resident("r1".into()), 2, 8, NotificationKind::FollowUp),
    ];
    assert_eq!(s.add_notifications(&first, 10).await.unwrap(), 4);
    assert_eq!(s.notification_cursor().await.unwrap(), 10);
    let again =
        [note(unit.clone(), 1, 5, NotificationKind::Warned), note(unit.clone(), 1, 6, NotificationKind::Overdue)];
    assert_eq!(s.add_notifications(&again, 7).await.unwrap(), 1, "a notification is not written twice");
    assert_eq!(s.notification_cursor().await.unwrap(), 10, "the cursor never moves back");
    assert_eq!(s.add_notifications(&[], 12).await.unwrap(), 0);
    assert_eq!(s.notification_cursor().await.unwrap(), 12);

    // Inboxes: by recipient, newest first.
    let of_unit = s.notifications(&query(vec![unit.clone()], false, None, 50)).await.unwrap();
    assert_eq!(
        of_unit.iter().map(|n| (n.event_seq, n.kind)).collect::<Vec<_>>(),
        [(6, NotificationKind::Overdue), (5, NotificationKind::Warned), (3, NotificationKind::Dispatched)]
    );
    let n = &of_unit[1];
    assert_eq!(
        (n.recipient.clone(), n.case_id, n.created_at, n.read_at),
        (unit.clone(), 1, T0.plus_ms(5 * MINUTE_MS), None)
    );
    assert_eq!((n.text_zh.as_str(), n.text_en.as_str()), ("案卷 1 第 5 步", "case 1, step 5"));
    assert_eq!(s.notification(n.id).await.unwrap().as_ref(), Some(n));
    assert_eq!(s.notification(n.id + 1_000).await.unwrap(), None);
    let both = s.notifications(&query(vec![unit.clone(), supervisors_of("110101")], false, None, 50)).await.unwrap();
    assert_eq!(both.len(), 4);
    assert!(both.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(s.notifications(&query(vec![supervisors_of("110101001")], false, None, 50)).await.unwrap().is_empty());
    assert!(s.notifications(&query(vec![], false, None, 50)).await.unwrap().is_empty());
    let page = s.notifications(&query(vec![unit.clone()], false, Some(of_unit[0].id), 1)).await.unwrap();
    assert_eq!(page, vec![of_unit[1].clone()], "keyset paging");

    // Read once, by anyone of the group; the first reading stays.
    let read = s.mark_notification_read(n.id, T0.plus_ms(60 * MINUTE_MS)).await.unwrap().expect("exists");
    assert_eq!(read.read_at, Some(T0.plus_ms(60 * MINUTE_MS)));
    let again = s.mark_notification_read(n.id, T0.plus_ms(90 * MINUTE_MS)).await.unwrap().unwrap();
    assert_eq!(again.read_at, Some(T0.plus_ms(60 * MINUTE_MS)));
    assert_eq!(s.mark_notification_read(n.id + 1_000, T0).await.unwrap(), None);
    let unread = s.notifications(&query(vec![unit.clone()], true, None, 50)).await.unwrap();
    assert_eq!(unread.iter().map(|n| n.event_seq).collect::<Vec<_>>(), [6, 3]);
    let resident = s.notifications(&query(vec![Recipient::Resident("r1".into())], true, None, 50)).await.unwrap();
    assert_eq!(resident.len(), 1);
    assert_eq!(resident[0].kind, NotificationKind::FollowUp);
}
