//! What the deadline scheduler (时限监督) needs from the store: which cases need it, and when.
//!
//! Every case row carries two instants beside the case itself:
//! - `wake_anchor`, derived from the case alone at every commit by [`wake_anchor`]: the earliest
//!   instant at which the scheduler could have anything to do for it — the warning time while no
//!   warning was given, then the deadline (overdue, 督办 and every escalation count from it), or
//!   the closure while the follow-up (回访) is awaited. `NULL` when nothing can fall due.
//! - `wake_at`, when the scheduler wants to look at the case next. Every commit sets it to the
//!   anchor. The scheduler, which knows the deployment's delays, moves it to the exact instant
//!   of the next step, or clears it when nothing more is due ([`Schedule::set_wakes`]).
//!
//! So the store knows no configuration: an anchor never depends on it, and a scheduler that
//! finds a case early only puts it back. A new policy puts every wake time back to its anchor
//! ([`Schedule::adopt_schedule_policy`]), so that every case is planned again under it. Finding
//! due work is a range scan of an index on `wake_at`, whatever the number of cases.
//!
//! The row also says whether a closed case awaits its follow-up ([`awaits_follow_up`]), so that
//! callback operators can list those cases (`CaseFilter::awaiting_follow_up`).

use async_trait::async_trait;
use yiwang_domain::case::{Case, Channel, State};
use yiwang_domain::time::Timestamp;

use crate::Result;
use crate::attachments::ANONYMOUS;

/// Whether a case is followed up (回访) after closure: it came from a resident who can be
/// asked — through the portal (the resident answers there) or the hotline (an operator calls
/// back). Reports of grid members, sensors and other systems, and anonymous ones, have nobody to
/// ask.
pub fn is_followed_up(case: &Case) -> bool {
    matches!(case.channel, Channel::Portal | Channel::Hotline) && case.reporter != ANONYMOUS
}

/// Whether a closed case still waits for its follow-up: no rating yet, not expired.
pub fn awaits_follow_up(case: &Case) -> bool {
    matches!(case.state, State::ClosedFixed | State::ClosedNotFixed)
        && case.rating.is_none()
        && !case.follow_up_expired
        && is_followed_up(case)
}

/// The earliest instant at which the scheduler could have something to do for this case,
/// whatever its policy (see the module docs).
pub fn wake_anchor(case: &Case) -> Option<Timestamp> {
    match case.state {
        State::Dispatched | State::Handling | State::ReportedBack if case.clock.running_since.is_some() => {
            if case.warned { case.clock.due_at } else { case.clock.warn_at }
        }
        State::ClosedFixed | State::ClosedNotFixed if awaits_follow_up(case) => case.closed_at,
        _ => None,
    }
}

/// When the scheduler next needs a case, set only if the case is still at `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wake {
    pub case_id: i64,
    pub seq: u32,
    /// `None`: nothing more until the case changes.
    pub at: Option<Timestamp>,
}

#[async_trait]
pub trait Schedule: Send + Sync {
    /// Cases whose wake time has come (`wake_at <= now`), earliest first, at most `limit`.
    async fn cases_to_wake(&self, now: Timestamp, limit: u32) -> Result<Vec<Case>>;

    /// The earliest wake time of any case.
    async fn next_wake(&self) -> Result<Option<Timestamp>>;

    /// Sets the wake times, in one transaction, of the cases still at the given `seq` (a case
    /// changed meanwhile got a new anchor with its commit and is left as it is). Returns how many
    /// were set.
    async fn set_wakes(&self, wakes: &[Wake]) -> Result<u64>;

    /// Makes `policy` (the scheduler's settings, as text) the one in force. When it differs from
    /// the stored one, or none was stored, every wake time goes back to its anchor in the same
    /// transaction, so that every case is planned again. Returns whether that happened.
    async fn adopt_schedule_policy(&self, policy: &str) -> Result<bool>;
}
