//! Webhooks for units' own systems (责任单位自有系统的回调): subscriptions and the outbox of
//! deliveries.
//!
//! A responsible unit subscribes a URL; every event of a case the unit leads or assists becomes
//! a delivery in the outbox, and a worker (in the server) sends it until the receiver answers
//! 2xx, retrying with backoff. The store keeps:
//! - subscriptions (`webhook_subscriptions`), never deleted, only made inactive, so that their
//!   log stays readable;
//! - deliveries (`webhook_deliveries`), one per subscription and event (a second enqueue of the
//!   same event is ignored), with the attempt count, when the next attempt is due, and the last
//!   answer or error;
//! - a cursor (`webhook_cursor`): how far along the ledger events have been turned into
//!   deliveries, so that nothing committed is missed across restarts.
//!
//! Claiming is lease-based: a claimed delivery is pushed out of reach until the lease ends, so
//! that two workers (two nodes on one PostgreSQL database) do not send it at the same time, and
//! a worker that dies mid-attempt leaves it to be claimed again. That is what makes delivery
//! "at least once": a delivery is finished only by recording a 2xx answer.

use async_trait::async_trait;
use yiwang_domain::Lang;
use yiwang_domain::time::Timestamp;

use crate::Result;

/// A unit's subscription to the events of its cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    /// The responsible unit (责任单位) whose cases are delivered.
    pub unit: String,
    /// Where deliveries are POSTed (http or https).
    pub url: String,
    /// Key of the SM3-HMAC signature of every delivery.
    pub secret: String,
    /// Language of the names inside the payloads.
    pub lang: Lang,
    pub active: bool,
    pub created_at: Timestamp,
    /// Staff id of who subscribed.
    pub created_by: String,
    /// Only events after this position of the ledger are delivered (the ledger head when the
    /// subscription was made): a new subscription does not receive the past.
    pub after_ledger_seq: i64,
}

/// A subscription to create; the store gives it its id and makes it active.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubscription {
    pub unit: String,
    pub url: String,
    pub secret: String,
    pub lang: Lang,
    pub created_at: Timestamp,
    pub created_by: String,
    pub after_ledger_seq: i64,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; no more will be made.
    Failed,
    /// The subscription was removed before it was delivered.
    Cancelled,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed, DeliveryStatus::Cancelled]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// One event to deliver to one subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    pub subscription_id: i64,
    pub case_id: i64,
    pub event_seq: u32,
    /// The event's step, e.g. `dispatch` (sent as `X-Yiwang-Event`).
    pub step: String,
    /// The JSON body, exactly as it will be sent and signed.
    pub payload: String,
    pub created_at: Timestamp,
}

/// A delivery with its history so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub subscription_id: i64,
    pub case_id: i64,
    pub event_seq: u32,
    pub step: String,
    pub payload: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (or, while claimed, when the claim runs out); `None` once
    /// the delivery is finished.
    pub next_attempt_at: Option<Timestamp>,
    pub last_attempt_at: Option<Timestamp>,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<u16>,
    /// Why the last attempt failed (no answer, a non-2xx status, a refused address).
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// What became of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Answered 2xx: finished.
    Delivered,
    /// Failed; try again at this time.
    RetryAt(Timestamp),
    /// Failed for the last time.
    GiveUp,
}

/// One attempt at a delivery, as the worker saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub at: Timestamp,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub outcome: Outcome,
}

/// The tag a language is stored under (`zh-CN`, `en`).
pub fn lang_tag(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh-CN",
        Lang::En => "en",
    }
}

/// Longest error text kept for an attempt.
pub const MAX_ERROR: usize = 500;

/// `error` cut to [`MAX_ERROR`] characters, for storing.
pub fn clip_error(error: &str) -> String {
    match error.char_indices().nth(MAX_ERROR) {
        Some((i, _)) => format!("{}…", &error[..i]),
        None => error.to_owned(),
    }
}

#[async_trait]
pub trait Webhooks: Send + Sync {
    /// Stores a new, active subscription.
    async fn create_subscription(&self, new: &NewSubscription) -> Result<Subscription>;

    /// A subscription, active or not.
    async fn subscription(&self, id: i64) -> Result<Option<Subscription>>;

    /// Active subscriptions, of one unit or of all, oldest first.
    async fn subscriptions(&self, unit: Option<&str>) -> Result<Vec<Subscription>>;

    /// Makes a subscription inactive and cancels its pending deliveries, in one transaction (the
    /// deliveries also when it was inactive already). `false` when there was no active
    /// subscription with this id.
    async fn deactivate_subscription(&self, id: i64) -> Result<bool>;

    /// How far along the ledger events have been turned into deliveries.
    async fn webhook_cursor(&self) -> Result<i64>;

    /// Queues deliveries and moves the cursor forward to `cursor` (never back), in one
    /// transaction. A delivery already queued for the same subscription and event is left as it
    /// is. Returns how many were queued anew.
    async fn enqueue_deliveries(&self, deliveries: &[NewDelivery], cursor: i64) -> Result<u64>;

    /// Claims up to `limit` pending deliveries due at `now`, the longest waiting first. A claimed
    /// delivery is not due again before `lease_until`: no other worker takes it meanwhile, and if
    /// its worker dies, it is taken again then.
    async fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> Result<Vec<Delivery>>;

    /// Records an attempt on a pending delivery; one no longer pending (cancelled meanwhile) is
    /// left as it is. Returns whether it was recorded.
    async fn record_attempt(&self, id: i64, attempt: &Attempt) -> Result<bool>;

    /// The delivery log of a subscription, newest first; keyset paging by id.
    async fn deliveries(&self, subscription_id: i64, before_id: Option<i64>, limit: u32) -> Result<Vec<Delivery>>;
}
