//! Notifications on PostgreSQL (see `yiwang_store::notifications`). Several nodes may write the
//! same notifications: the unique key keeps one, and the cursor only moves forward.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::notifications::{
    NewNotification, Notification, NotificationKind, NotificationQuery, Notifications, Recipient,
};

use crate::rows::{Param, get};
use crate::{PostgresStore, backend, backend_msg};

const COLUMNS: &str =
    "id, recipient_kind, recipient_key, case_id, event_seq, kind, created_at, read_at, text_zh, text_en";

fn notification(r: &Row) -> Result<Notification> {
    let (kind, key): (&str, &str) = (get(r, 1)?, get(r, 2)?);
    let what: &str = get(r, 5)?;
    let seq: i64 = get(r, 4)?;
    Ok(Notification {
        id: get(r, 0)?,
        recipient: Recipient::parse(kind, key)
            .ok_or_else(|| backend_msg(format!("stored recipient “{kind}:{key}” is unknown")))?,
        case_id: get(r, 3)?,
        event_seq: u32::try_from(seq).map_err(|_| backend_msg(format!("stored event number {seq} is out of range")))?,
        kind: NotificationKind::parse(what)
            .ok_or_else(|| backend_msg(format!("stored notification kind “{what}” is unknown")))?,
        created_at: Timestamp(get(r, 6)?),
        read_at: get::<Option<i64>>(r, 7)?.map(Timestamp),
        text_zh: get(r, 8)?,
        text_en: get(r, 9)?,
    })
}

async fn one<C: GenericClient>(c: &C, id: i64) -> Result<Option<Notification>> {
    let st = c.prepare_cached(&format!("SELECT {COLUMNS} FROM notifications WHERE id = $1")).await.map_err(backend)?;
    c.query_opt(&st, &[&id]).await.map_err(backend)?.as_ref().map(notification).transpose()
}

#[async_trait]
impl Notifications for PostgresStore {
    async fn notification_cursor(&self) -> Result<i64> {
        let conn = self.conn().await?;
        let row =
            conn.query_one("SELECT ledger_seq FROM notification_cursor WHERE id = 1", &[]).await.map_err(backend)?;
        get(&row, 0)
    }

    async fn add_notifications(&self, notifications: &[NewNotification], cursor: i64) -> Result<u64> {
        let mut conn = self.conn().await?;
        let t = conn.transaction().await.map_err(backend)?;
        let ins = t
            .prepare_cached(
                "INSERT INTO notifications (recipient_kind, recipient_key, case_id, event_seq, kind, created_at, text_zh, text_en) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (case_id, event_seq, recipient_kind, recipient_key) DO NOTHING",
            )
            .await
            .map_err(backend)?;
        let mut added = 0;
        for n in notifications {
            added += t
                .execute(
                    &ins,
                    &[
                        &n.recipient.kind(),
                        &n.recipient.key(),
                        &n.case_id,
                        &i64::from(n.event_seq),
                        &n.kind.as_str(),
                        &n.created_at.0,
                        &n.text_zh,
                        &n.text_en,
                    ],
                )
                .await
                .map_err(backend)?;
        }
        t.execute("UPDATE notification_cursor SET ledger_seq = greatest(ledger_seq, $1) WHERE id = 1", &[&cursor])
            .await
            .map_err(backend)?;
        t.commit().await.map_err(backend)?;
        Ok(added)
    }

    async fn notifications(&self, q: &NotificationQuery) -> Result<Vec<Notification>> {
        if q.recipients.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<Box<dyn ToSql + Sync + Send>> = Vec::new();
        let mut who = Vec::new();
        for r in &q.recipients {
            args.push(Box::new(r.kind().to_owned()));
            args.push(Box::new(r.key()));
            who.push(format!("(recipient_kind = ${} AND recipient_key = ${})", args.len() - 1, args.len()));
        }
        args.push(Box::new(q.before_id.unwrap_or(i64::MAX)));
        let before = args.len();
        args.push(Box::new(i64::from(q.limit.clamp(1, 1_000))));
        let limit = args.len();
        let unread = if q.unread_only { " AND read_at IS NULL" } else { "" };
        let sql = format!(
            "SELECT {COLUMNS} FROM notifications WHERE ({}){unread} AND id < ${before} ORDER BY id DESC LIMIT ${limit}",
            who.join(" OR ")
        );
        let params: Vec<Param<'_>> = args.iter().map(|a| a.as_ref() as Param<'_>).collect();
        let conn = self.conn().await?;
        let st = conn.prepare_cached(&sql).await.map_err(backend)?;
        conn.query(&st, &params).await.map_err(backend)?.iter().map(notification).collect()
    }

    async fn notification(&self, id: i64) -> Result<Option<Notification>> {
        one(&self.conn().await?, id).await
    }

    async fn mark_notification_read(&self, id: i64, at: Timestamp) -> Result<Option<Notification>> {
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached("UPDATE notifications SET read_at = $2 WHERE id = $1 AND read_at IS NULL")
            .await
            .map_err(backend)?;
        conn.execute(&st, &[&id, &at.0]).await.map_err(backend)?;
        one(&conn, id).await
    }
}
