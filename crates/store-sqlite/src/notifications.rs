//! Notifications on SQLite (see `yiwang_store::notifications`). Writes run in the writer thread.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::notifications::{
    NewNotification, Notification, NotificationKind, NotificationQuery, Notifications, Recipient,
};

use crate::{Cached, SqliteStore, backend};

const COLUMNS: &str =
    "id, recipient_kind, recipient_key, case_id, event_seq, kind, created_at, read_at, text_zh, text_en";

fn notification(r: &Row) -> rusqlite::Result<Result<Notification>> {
    let (kind, key): (String, String) = (r.get(1)?, r.get(2)?);
    let what: String = r.get(5)?;
    let n = (|| {
        Ok(Notification {
            id: r.get(0).map_err(backend)?,
            recipient: Recipient::parse(&kind, &key)
                .ok_or_else(|| backend(format!("stored recipient “{kind}:{key}” is unknown")))?,
            case_id: r.get(3).map_err(backend)?,
            event_seq: r.get(4).map_err(backend)?,
            kind: NotificationKind::parse(&what)
                .ok_or_else(|| backend(format!("stored notification kind “{what}” is unknown")))?,
            created_at: Timestamp(r.get(6).map_err(backend)?),
            read_at: r.get::<_, Option<i64>>(7).map_err(backend)?.map(Timestamp),
            text_zh: r.get(8).map_err(backend)?,
            text_en: r.get(9).map_err(backend)?,
        })
    })();
    Ok(n)
}

fn one(c: &Connection, id: i64) -> Result<Option<Notification>> {
    c.cached_row(&format!("SELECT {COLUMNS} FROM notifications WHERE id = ?1"), [id], notification)
        .optional()
        .map_err(backend)?
        .transpose()
}

#[async_trait]
impl Notifications for SqliteStore {
    async fn notification_cursor(&self) -> Result<i64> {
        self.read(|c| {
            c.cached_row("SELECT ledger_seq FROM notification_cursor WHERE id = 1", [], |r| r.get(0)).map_err(backend)
        })
        .await
    }

    async fn add_notifications(&self, notifications: &[NewNotification], cursor: i64) -> Result<u64> {
        let notifications = notifications.to_vec();
        self.write(move |t| {
            let mut added = 0;
            {
                let mut ins = t
                    .prepare_cached(
                        "INSERT INTO notifications (recipient_kind, recipient_key, case_id, event_seq, kind, created_at, text_zh, text_en) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                         ON CONFLICT (case_id, event_seq, recipient_kind, recipient_key) DO NOTHING",
                    )
                    .map_err(backend)?;
                for n in &notifications {
                    added += ins
                        .execute(params![
                            n.recipient.kind(),
                            n.recipient.key(),
                            n.case_id,
                            n.event_seq,
                            n.kind.as_str(),
                            n.created_at.0,
                            n.text_zh,
                            n.text_en
                        ])
                        .map_err(backend)? as u64;
                }
            }
            t.cached_execute("UPDATE notification_cursor SET ledger_seq = max(ledger_seq, ?1) WHERE id = 1", [cursor])
                .map_err(backend)?;
            Ok(added)
        })
        .await
    }

    async fn notifications(&self, query: &NotificationQuery) -> Result<Vec<Notification>> {
        if query.recipients.is_empty() {
            return Ok(Vec::new());
        }
        let q = query.clone();
        self.read(move |c| {
            let mut args: Vec<Value> = Vec::new();
            let mut who = Vec::new();
            for r in &q.recipients {
                args.push(Value::Text(r.kind().to_owned()));
                args.push(Value::Text(r.key()));
                who.push(format!("(recipient_kind = ?{} AND recipient_key = ?{})", args.len() - 1, args.len()));
            }
            args.push(Value::Integer(q.before_id.unwrap_or(i64::MAX)));
            let before = args.len();
            args.push(Value::Integer(q.limit.clamp(1, 1_000) as i64));
            let limit = args.len();
            let unread = if q.unread_only { " AND read_at IS NULL" } else { "" };
            let sql = format!(
                "SELECT {COLUMNS} FROM notifications WHERE ({}){unread} AND id < ?{before} ORDER BY id DESC LIMIT ?{limit}",
                who.join(" OR ")
            );
            let mut st = c.prepare_cached(&sql).map_err(backend)?;
            let rows = st.query_map(params_from_iter(args), notification).map_err(backend)?;
            rows.map(|r| r.map_err(backend)?).collect()
        })
        .await
    }

    async fn notification(&self, id: i64) -> Result<Option<Notification>> {
        self.read(move |c| one(c, id)).await
    }

    async fn mark_notification_read(&self, id: i64, at: Timestamp) -> Result<Option<Notification>> {
        self.write(move |t| {
            t.cached_execute(
                "UPDATE notifications SET read_at = ?2 WHERE id = ?1 AND read_at IS NULL",
                params![id, at.0],
            )
            .map_err(backend)?;
            one(t, id)
        })
        .await
    }
}
