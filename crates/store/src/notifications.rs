//! Notifications (通知): who must act on which case, and why.
//!
//! A notification is written for one event of a case and one recipient, which is either a
//! person or a group:
//! - a member of staff (`staff`, by staff id);
//! - a unit (`unit`, by unit id): all its handlers;
//! - a role held on a node of the tree (`role`, e.g. the supervisors of a street, keyed
//!   `supervisor@110101001`): everyone who holds that role exactly there;
//! - a resident (`resident`, by account id).
//!
//! A group's notification is one shared item, like a team's inbox: when one of the group marks
//! it read, it is read for the group.
//!
//! The store keeps at most one notification per event and recipient (writing it again changes
//! nothing), and a cursor on the ledger: how far events have been turned into notifications, so
//! that none is lost across restarts and several nodes may write side by side.

use async_trait::async_trait;
use yiwang_domain::case::Role;
use yiwang_domain::codes::AreaCode;
use yiwang_domain::time::Timestamp;

use crate::Result;

/// Who a notification is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    Staff(String),
    /// All handlers of a unit.
    Unit(String),
    /// Everyone holding `role` on exactly `node`.
    Role {
        role: Role,
        node: AreaCode,
    },
    /// A resident's account.
    Resident(String),
}

impl Recipient {
    /// `staff`, `unit`, `role` or `resident`.
    pub fn kind(&self) -> &'static str {
        match self {
            Recipient::Staff(_) => "staff",
            Recipient::Unit(_) => "unit",
            Recipient::Role { .. } => "role",
            Recipient::Resident(_) => "resident",
        }
    }

    /// The id within the kind; a role on a node is `role@node`, e.g. `supervisor@110101`.
    pub fn key(&self) -> String {
        match self {
            Recipient::Staff(id) | Recipient::Unit(id) | Recipient::Resident(id) => id.clone(),
            Recipient::Role { role, node } => format!("{role}@{node}"),
        }
    }

    /// The recipient stored as `kind` and `key`; `None` for anything else (a hand edit).
    pub fn parse(kind: &str, key: &str) -> Option<Recipient> {
        match kind {
            "staff" => Some(Recipient::Staff(key.to_owned())),
            "unit" => Some(Recipient::Unit(key.to_owned())),
            "resident" => Some(Recipient::Resident(key.to_owned())),
            "role" => {
                let (role, node) = key.split_once('@')?;
                Some(Recipient::Role { role: Role::parse(role)?, node: AreaCode::parse("node", node).ok()? })
            }
            _ => None,
        }
    }
}

/// Why someone is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// 预警: the warning share of the handling time has passed.
    Warned,
    /// 超期: the deadline has passed.
    Overdue,
    /// 督办: supervise the overdue case.
    Supervise,
    /// 升级: the case was escalated to the recipient's level.
    Escalated,
    /// 派遣: the case was dispatched (or reopened) to the recipient unit.
    Dispatched,
    /// 催办: a supervisor urged the unit.
    Urged,
    /// 回访: the case is closed; please rate it.
    FollowUp,
    /// 电话回访: a hotline case is closed; call the caller back for their rating.
    Callback,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 8] = [
        NotificationKind::Warned,
        NotificationKind::Overdue,
        NotificationKind::Supervise,
        NotificationKind::Escalated,
        NotificationKind::Dispatched,
        NotificationKind::Urged,
        NotificationKind::FollowUp,
        NotificationKind::Callback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Warned => "warned",
            NotificationKind::Overdue => "overdue",
            NotificationKind::Supervise => "supervise",
            NotificationKind::Escalated => "escalated",
            NotificationKind::Dispatched => "dispatched",
            NotificationKind::Urged => "urged",
            NotificationKind::FollowUp => "follow_up",
            NotificationKind::Callback => "callback",
        }
    }

    pub fn parse(s: &str) -> Option<NotificationKind> {
        NotificationKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A notification to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    pub recipient: Recipient,
    pub case_id: i64,
    /// The event it was written for.
    pub event_seq: u32,
    pub kind: NotificationKind,
    /// When the event happened.
    pub created_at: Timestamp,
    pub text_zh: String,
    pub text_en: String,
}

/// A stored notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: i64,
    pub recipient: Recipient,
    pub case_id: i64,
    pub event_seq: u32,
    pub kind: NotificationKind,
    pub created_at: Timestamp,
    /// When it was first marked read (by anyone of a group).
    pub read_at: Option<Timestamp>,
    pub text_zh: String,
    pub text_en: String,
}

/// Whose notifications to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationQuery {
    /// Any of these.
    pub recipients: Vec<Recipient>,
    pub unread_only: bool,
    /// Keyset paging: ids below this one (newest first).
    pub before_id: Option<i64>,
    pub limit: u32,
}

#[async_trait]
pub trait Notifications: Send + Sync {
    /// How far along the ledger events have been turned into notifications.
    async fn notification_cursor(&self) -> Result<i64>;

    /// Writes notifications and moves the cursor forward to `cursor` (never back), in one
    /// transaction. One already written for the same event and recipient is left as it is.
    /// Returns how many were written anew.
    async fn add_notifications(&self, notifications: &[NewNotification], cursor: i64) -> Result<u64>;

    /// The notifications of any of the recipients, newest first, at most `limit` (1–1,000).
    async fn notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>>;

    async fn notification(&self, id: i64) -> Result<Option<Notification>>;

    /// Marks a notification read at `at`, unless it was read already (the first reading
    /// stays). Returns it as it is now, or `None` when there is no such notification.
    async fn mark_notification_read(&self, id: i64, at: Timestamp) -> Result<Option<Notification>>;
}
