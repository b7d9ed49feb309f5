//! Webhook subscriptions and the delivery outbox on PostgreSQL. Several nodes may run delivery
//! workers on one database: a claim skips rows another node is claiming at that moment
//! (`FOR UPDATE SKIP LOCKED`) and pushes the rows it takes out of reach until its lease ends.

use async_trait::async_trait;
use tokio_postgres::Row;
use yiwang_domain::Lang;
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::webhooks::{
    Attempt, Delivery, DeliveryStatus, NewDelivery, NewSubscription, Outcome, Subscription, Webhooks, clip_error,
    lang_tag,
};

use crate::{PostgresStore, backend, backend_msg};

const SUBSCRIPTION_COLUMNS: &str = "id, unit, url, secret, lang, active, created_at, created_by, after_ledger_seq";
const DELIVERY_COLUMNS: &str = "id, subscription_id, case_id, event_seq, step, payload, status, attempts, \
     next_attempt_at, last_attempt_at, last_status, last_error, created_at, delivered_at";

fn subscription(r: &Row) -> Result<Subscription> {
    let lang: String = r.try_get(4).map_err(backend)?;
    Ok(Subscription {
        id: r.try_get(0).map_err(backend)?,
        unit: r.try_get(1).map_err(backend)?,
        url: r.try_get(2).map_err(backend)?,
        secret: r.try_get(3).map_err(backend)?,
        lang: Lang::from_tag(&lang),
        active: r.try_get::<_, i64>(5).map_err(backend)? != 0,
        created_at: Timestamp(r.try_get(6).map_err(backend)?),
        created_by: r.try_get(7).map_err(backend)?,
        after_ledger_seq: r.try_get(8).map_err(backend)?,
    })
}

fn delivery(r: &Row) -> Result<Delivery> {
    let int = |i: usize| -> Result<i64> { r.try_get(i).map_err(backend) };
    let opt = |i: usize| -> Result<Option<i64>> { r.try_get(i).map_err(backend) };
    let status: String = r.try_get(6).map_err(backend)?;
    let event_seq = int(3)?;
    Ok(Delivery {
        id: int(0)?,
        subscription_id: int(1)?,
        case_id: int(2)?,
        event_seq: u32::try_from(event_seq)
            .map_err(|_| backend_msg(format!("stored event number {event_seq} is out of range")))?,
        step: r.try_get(4).map_err(backend)?,
        payload: r.try_get(5).map_err(backend)?,
        // An unknown status (a hand edit) is shown as failed rather than hiding the row.
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Failed),
        attempts: u32::try_from(int(7)?).unwrap_or(u32::MAX),
        next_attempt_at: opt(8)?.map(Timestamp),
        last_attempt_at: opt(9)?.map(Timestamp),
        last_status: opt(10)?.and_then(|s| u16::try_from(s).ok()),
        last_error: r.try_get(11).map_err(backend)?,
        created_at: Timestamp(int(12)?),
        delivered_at: opt(13)?.map(Timestamp),
    })
}

#[async_trait]
impl Webhooks for PostgresStore {
    async fn create_subscription(&self, n: &NewSubscription) -> Result<Subscription> {
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached(&format!(
                "INSERT INTO webhook_subscriptions (unit, url, secret, lang, active, created_at, created_by, after_ledger_seq) \
                 VALUES ($1, $2, $3, $4, 1, $5, $6, $7) RETURNING {SUBSCRIPTION_COLUMNS}"
            ))
            .await
            .map_err(backend)?;
        let row = conn
            .query_one(
                &st,
                &[&n.unit, &n.url, &n.secret, &lang_tag(n.lang), &n.created_at.0, &n.created_by, &n.after_ledger_seq],
            )
            .await
            .map_err(backend)?;
        subscription(&row)
    }

    async fn subscription(&self, id: i64) -> Result<Option<Subscription>> {
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached(&format!("SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1"))
            .await
            .map_err(backend)?;
        conn.query_opt(&st, &[&id]).await.map_err(backend)?.as_ref().map(subscription).transpose()
    }

    async fn subscriptions(&self, unit: Option<&str>) -> Result<Vec<Subscription>> {
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions \
                 WHERE active = 1 AND ($1::text IS NULL OR unit = $1) ORDER BY id"
            ))
            .await
            .map_err(backend)?;
        conn.query(&st, &[&unit]).await.map_err(backend)?.iter().map(subscription).collect()
    }

    async fn deactivate_subscription(&self, id: i64) -> Result<bool> {
        let mut conn = self.conn().await?;
        let t = conn.transaction().await.map_err(backend)?;
        let n = t
            .execute("UPDATE webhook_subscriptions SET active = 0 WHERE id = $1 AND active = 1", &[&id])
            .await
            .map_err(backend)?;
        t.execute(
            "UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL \
             WHERE subscription_id = $1 AND status = 'pending'",
            &[&id],
        )
        .await
        .map_err(backend)?;
        t.commit().await.map_err(backend)?;
        Ok(n == 1)
    }

    async fn webhook_cursor(&self) -> Result<i64> {
        let conn = self.conn().await?;
        let row = conn.query_one("SELECT ledger_seq FROM webhook_cursor WHERE id = 1", &[]).await.map_err(backend)?;
        row.try_get(0).map_err(backend)
    }

    async fn enqueue_deliveries(&self, deliveries: &[NewDelivery], cursor: i64) -> Result<u64> {
        let mut conn = self.conn().await?;
        let t = conn.transaction().await.map_err(backend)?;
        let ins = t
            .prepare_cached(
                "INSERT INTO webhook_deliveries (subscription_id, case_id, event_seq, step, payload, status, attempts, \
                 next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6) \
                 ON CONFLICT (subscription_id, case_id, event_seq) DO NOTHING",
            )
            .await
            .map_err(backend)?;
        let mut added = 0;
        for d in deliveries {
            added += t
                .execute(
                    &ins,
                    &[&d.subscription_id, &d.case_id, &i64::from(d.event_seq), &d.step, &d.payload, &d.created_at.0],
                )
                .await
                .map_err(backend)?;
        }
        t.execute("UPDATE webhook_cursor SET ledger_seq = greatest(ledger_seq, $1) WHERE id = 1", &[&cursor])
            .await
            .map_err(backend)?;
        t.commit().await.map_err(backend)?;
        Ok(added)
    }

    async fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> Result<Vec<Delivery>> {
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached(&format!(
                "UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id IN \
                 (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
                  ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING {DELIVERY_COLUMNS}"
            ))
            .await
            .map_err(backend)?;
        let rows = conn.query(&st, &[&now.0, &lease_until.0, &i64::from(limit)]).await.map_err(backend)?;
        let mut claimed = rows.iter().map(delivery).collect::<Result<Vec<_>>>()?;
        // RETURNING gives no order.
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    async fn record_attempt(&self, id: i64, a: &Attempt) -> Result<bool> {
        let (status, next, delivered) = match a.outcome {
            Outcome::Delivered => (DeliveryStatus::Delivered, None, Some(a.at.0)),
            Outcome::RetryAt(at) => (DeliveryStatus::Pending, Some(at.0), None),
            Outcome::GiveUp => (DeliveryStatus::Failed, None, None),
        };
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached(
                "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, next_attempt_at = $3, \
                 last_attempt_at = $4, last_status = $5, last_error = $6, delivered_at = $7 \
                 WHERE id = $1 AND status = 'pending'",
            )
            .await
            .map_err(backend)?;
        let n = conn
            .execute(
                &st,
                &[
                    &id,
                    &status.as_str(),
                    &next,
                    &a.at.0,
                    &a.status.map(i64::from),
                    &a.error.as_deref().map(clip_error),
                    &delivered,
                ],
            )
            .await
            .map_err(backend)?;
        Ok(n == 1)
    }

    async fn deliveries(&self, subscription_id: i64, before_id: Option<i64>, limit: u32) -> Result<Vec<Delivery>> {
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
                 WHERE subscription_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
            ))
            .await
            .map_err(backend)?;
        let rows = conn
            .query(&st, &[&subscription_id, &before_id.unwrap_or(i64::MAX), &i64::from(limit)])
            .await
            .map_err(backend)?;
        rows.iter().map(delivery).collect()
    }
}
