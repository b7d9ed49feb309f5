//! Webhook subscriptions and the delivery outbox on SQLite. Writes run in the writer thread, so
//! claims never race: one claim at a time.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use yiwang_domain::Lang;
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::webhooks::{
    Attempt, Delivery, DeliveryStatus, NewDelivery, NewSubscription, Outcome, Subscription, Webhooks, clip_error,
    lang_tag,
};

use crate::{Cached, SqliteStore, backend};

const SUBSCRIPTION: &str =
    "SELECT id, unit, url, secret, lang, active, created_at, created_by, after_ledger_seq FROM webhook_subscriptions";
const DELIVERY_COLUMNS: &str = "id, subscription_id, case_id, event_seq, step, payload, status, attempts, \
     next_attempt_at, last_attempt_at, last_status, last_error, created_at, delivered_at";

fn subscription(r: &Row) -> rusqlite::Result<Subscription> {
    Ok(Subscription {
        id: r.get(0)?,
        unit: r.get(1)?,
        url: r.get(2)?,
        secret: r.get(3)?,
        lang: Lang::from_tag(&r.get::<_, String>(4)?),
        active: r.get::<_, i64>(5)? != 0,
        created_at: Timestamp(r.get(6)?),
        created_by: r.get(7)?,
        after_ledger_seq: r.get(8)?,
    })
}

fn delivery(r: &Row) -> rusqlite::Result<Delivery> {
    let status: String = r.get(6)?;
    Ok(Delivery {
        id: r.get(0)?,
        subscription_id: r.get(1)?,
        case_id: r.get(2)?,
        event_seq: r.get(3)?,
        step: r.get(4)?,
        payload: r.get(5)?,
        // An unknown status (a hand edit) is shown as failed rather than hiding the row.
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Failed),
        attempts: r.get(7)?,
        next_attempt_at: r.get::<_, Option<i64>>(8)?.map(Timestamp),
        last_attempt_at: r.get::<_, Option<i64>>(9)?.map(Timestamp),
        last_status: r.get::<_, Option<u16>>(10)?,
        last_error: r.get(11)?,
        created_at: Timestamp(r.get(12)?),
        delivered_at: r.get::<_, Option<i64>>(13)?.map(Timestamp),
    })
}

fn one_subscription(c: &Connection, id: i64) -> Result<Option<Subscription>> {
    c.cached_row(&format!("{SUBSCRIPTION} WHERE id = ?1"), [id], subscription).optional().map_err(backend)
}

#[async_trait]
impl Webhooks for SqliteStore {
    async fn create_subscription(&self, new: &NewSubscription) -> Result<Subscription> {
        let n = new.clone();
        self.write(move |t| {
            t.cached_execute(
                "INSERT INTO webhook_subscriptions (unit, url, secret, lang, active, created_at, created_by, after_ledger_seq) \
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7)",
                params![n.unit, n.url, n.secret, lang_tag(n.lang), n.created_at.0, n.created_by, n.after_ledger_seq],
            )
            .map_err(backend)?;
            one_subscription(t, t.last_insert_rowid())?.ok_or_else(|| backend("the new subscription is missing"))
        })
        .await
    }

    async fn subscription(&self, id: i64) -> Result<Option<Subscription>> {
        self.read(move |c| one_subscription(c, id)).await
    }

    async fn subscriptions(&self, unit: Option<&str>) -> Result<Vec<Subscription>> {
        let unit = unit.map(str::to_owned);
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!("{SUBSCRIPTION} WHERE active = 1 AND (?1 IS NULL OR unit = ?1) ORDER BY id"))
                .map_err(backend)?;
            let rows = st.query_map([unit], subscription).map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn deactivate_subscription(&self, id: i64) -> Result<bool> {
        self.write(move |t| {
            let n = t
                .execute("UPDATE webhook_subscriptions SET active = 0 WHERE id = ?1 AND active = 1", [id])
                .map_err(backend)?;
            t.cached_execute(
                "UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL \
                 WHERE subscription_id = ?1 AND status = 'pending'",
                [id],
            )
            .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn webhook_cursor(&self) -> Result<i64> {
        self.read(|c| {
            c.cached_row("SELECT ledger_seq FROM webhook_cursor WHERE id = 1", [], |r| r.get(0)).map_err(backend)
        })
        .await
    }

    async fn enqueue_deliveries(&self, deliveries: &[NewDelivery], cursor: i64) -> Result<u64> {
        let deliveries = deliveries.to_vec();
        self.write(move |t| {
            let mut added = 0;
            {
                let mut ins = t
                    .prepare_cached(
                        "INSERT INTO webhook_deliveries (subscription_id, case_id, event_seq, step, payload, status, attempts, \
                         next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6) \
                         ON CONFLICT (subscription_id, case_id, event_seq) DO NOTHING",
                    )
                    .map_err(backend)?;
                for d in &deliveries {
                    added += ins
                        .execute(params![d.subscription_id, d.case_id, d.event_seq, d.step, d.payload, d.created_at.0])
                        .map_err(backend)? as u64;
                }
            }
            t.cached_execute("UPDATE webhook_cursor SET ledger_seq = max(ledger_seq, ?1) WHERE id = 1", [cursor])
                .map_err(backend)?;
            Ok(added)
        })
        .await
    }

    async fn claim_deliveries(&self, now: Timestamp, lease_until: Timestamp, limit: u32) -> Result<Vec<Delivery>> {
        self.write(move |t| {
            let mut st = t
                .prepare_cached(&format!(
                    "UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id IN \
                     (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?1 \
                      ORDER BY next_attempt_at, id LIMIT ?3) \
                     RETURNING {DELIVERY_COLUMNS}"
                ))
                .map_err(backend)?;
            let rows = st.query_map(params![now.0, lease_until.0, limit], delivery).map_err(backend)?;
            let mut claimed = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)?;
            // RETURNING gives no order.
            claimed.sort_by_key(|d| d.id);
            Ok(claimed)
        })
        .await
    }

    async fn record_attempt(&self, id: i64, attempt: &Attempt) -> Result<bool> {
        let a = attempt.clone();
        self.write(move |t| {
            let (status, next, delivered) = match a.outcome {
                Outcome::Delivered => (DeliveryStatus::Delivered, None, Some(a.at.0)),
                Outcome::RetryAt(at) => (DeliveryStatus::Pending, Some(at.0), None),
                Outcome::GiveUp => (DeliveryStatus::Failed, None, None),
            };
            let n = t
                .execute(
                    "UPDATE webhook_deliveries SET status = ?2, attempts = attempts + 1, next_attempt_at = ?3, \
                     last_attempt_at = ?4, last_status = ?5, last_error = ?6, delivered_at = ?7 \
                     WHERE id = ?1 AND status = 'pending'",
                    params![id, status.as_str(), next, a.at.0, a.status, a.error.as_deref().map(clip_error), delivered],
                )
                .map_err(backend)?;
            Ok(n == 1)
        })
        .await
    }

    async fn deliveries(&self, subscription_id: i64, before_id: Option<i64>, limit: u32) -> Result<Vec<Delivery>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE subscription_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3"
                ))
                .map_err(backend)?;
            let rows = st
                .query_map(params![subscription_id, before_id.unwrap_or(i64::MAX), limit], delivery)
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }
}
