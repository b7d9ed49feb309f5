//! What the Open311 interface reads beyond single cases: the changes made in a window of time
//! (FixMyStreet's `servicerequestupdates` feed, polled every few minutes) and when each case last
//! changed (`updated_datetime` of every request it lists).
//!
//! Both read the append-only `events` table; migration 5 indexes it by time so that a window is
//! a range scan however long the history grows.

use async_trait::async_trait;
use yiwang_domain::case::Event;
use yiwang_domain::time::Timestamp;

use crate::Result;

/// A place in the stream of events ordered by time: `(at, case_id, seq)`.
pub type EventKey = (Timestamp, i64, u32);

/// The key of an event in that stream.
pub fn key_of(e: &Event) -> EventKey {
    (e.at, e.case_id, e.seq)
}

#[async_trait]
pub trait Open311: Send + Sync {
    /// Events with `from <= at < to`, ordered by `(at, case_id, seq)`, strictly after `after`
    /// when given, at most `limit` (1–10,000).
    async fn events_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        after: Option<EventKey>,
        limit: u32,
    ) -> Result<Vec<Event>>;

    /// The time of the latest event of each listed case, in no particular order; cases that do
    /// not exist are left out.
    async fn last_changed(&self, case_ids: &[i64]) -> Result<Vec<(i64, Timestamp)>>;
}
