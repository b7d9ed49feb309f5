//! Conformance story for the Open311 reads: events by time, and when each case last changed.

use std::sync::Arc;

use yiwang_domain::case::{Action, Role};
use yiwang_domain::time::{MINUTE_MS, Timestamp};

use super::{T0, open, staff, step};
use crate::Store;
use crate::open311::key_of;

/// The whole story, on an empty store.
pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let at = |minutes: i64| T0.plus_ms(minutes * MINUTE_MS);
    let op = || staff("op", Role::IntakeOperator, None);
    let file = || Action::File { subclass: None, urgency: None };

    let a = open(s, "o1", "110101001001001", "E0101", 116.4005, at(0)).await;
    let b = open(s, "o2", "110101001001002", "E0102", 116.4015, at(1)).await;
    assert!(a.id < b.id, "ids grow");
    // Both filed in the same minute: ties are ordered by case, then by event.
    step(s, &a, op(), 5, file()).await;
    step(s, &b, op(), 4, file()).await;
    let c = open(s, "o3", "110101002001001", "E0101", 116.4025, at(60)).await;

    let all = s.events_between(at(0), at(60), None, 100).await.expect("events between");
    let keys: Vec<_> = all.iter().map(key_of).collect();
    assert_eq!(keys, vec![(at(0), a.id, 1), (at(1), b.id, 1), (at(5), a.id, 2), (at(5), b.id, 2)], "window [0, 60)");
    assert_eq!(all[2].step, "file");

    // Paging with the key of the last event seen.
    let first = s.events_between(at(0), at(60), None, 2).await.unwrap();
    assert_eq!(first.iter().map(key_of).collect::<Vec<_>>(), keys[..2]);
    let second = s.events_between(at(0), at(60), Some(key_of(&first[1])), 2).await.unwrap();
    assert_eq!(second.iter().map(key_of).collect::<Vec<_>>(), keys[2..]);
    let after_tie = s.events_between(at(0), at(60), Some(keys[2]), 10).await.unwrap();
    assert_eq!(after_tie.iter().map(key_of).collect::<Vec<_>>(), keys[3..], "a tie in time is split by case id");
    assert!(s.events_between(at(0), at(60), Some(keys[3]), 10).await.unwrap().is_empty());

    // The end is exclusive, the start inclusive.
    let later = s.events_between(at(5), at(61), None, 10).await.unwrap();
    assert_eq!(later.iter().map(key_of).collect::<Vec<_>>(), vec![keys[2], keys[3], (at(60), c.id, 1)]);
    assert!(s.events_between(at(61), at(120), None, 10).await.unwrap().is_empty());

    let mut changed = s.last_changed(&[a.id, b.id, c.id, c.id + 1_000_000]).await.expect("last changed");
    changed.sort();
    assert_eq!(changed, vec![(a.id, at(5)), (b.id, at(5)), (c.id, at(60))]);
    assert!(s.last_changed(&[]).await.unwrap().is_empty());
    assert_eq!(s.last_changed(&[c.id]).await.unwrap(), vec![(c.id, Timestamp(at(60).0))]);
}
