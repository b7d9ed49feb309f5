//! Attachments on PostgreSQL: metadata in `attachments`, the three variants' bytes as BYTEA in
//! `attachment_bytes`, shared by every node on the database. A put is one transaction on a
//! pooled connection; it does not touch the ledger, so it does not go through the writer task.

use async_trait::async_trait;
use tokio_postgres::Row;
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::attachments::{self, Attachment, Attachments, NewAttachment, Variant};

use crate::{PostgresStore, backend, backend_msg};

const COLUMNS: &str = "id, media_type, size, sm3, uploader, created_at";

fn row(r: &Row) -> Result<Attachment> {
    let sm3: Vec<u8> = r.try_get(3).map_err(backend)?;
    Ok(Attachment {
        id: r.try_get(0).map_err(backend)?,
        media_type: r.try_get(1).map_err(backend)?,
        size: r.try_get::<_, i64>(2).map_err(backend)?.max(0) as u64,
        // A stored hash of the wrong length matches no content: it reads as all ones.
        sm3: sm3.try_into().unwrap_or([0xff; 32]),
        uploader: r.try_get(4).map_err(backend)?,
        created_at: Timestamp(r.try_get(5).map_err(backend)?),
    })
}

#[async_trait]
impl Attachments for PostgresStore {
    async fn put_attachment(&self, a: NewAttachment) -> Result<()> {
        let m = &a.meta;
        let size = i64::try_from(m.size).map_err(|_| backend_msg("attachment size out of range"))?;
        let mut conn = self.conn().await?;
        let t = conn.transaction().await.map_err(backend)?;
        let inserted = t
            .execute(
                "INSERT INTO attachments (id, media_type, size, sm3, uploader, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
                &[&m.id, &m.media_type, &size, &&m.sm3[..], &m.uploader, &m.created_at.0],
            )
            .await
            .map_err(backend)?;
        if inserted == 0 {
            // Dropping the transaction rolls it back.
            return Err(attachments::exists(&m.id));
        }
        let ins = t
            .prepare("INSERT INTO attachment_bytes (attachment_id, variant, bytes) VALUES ($1, $2, $3)")
            .await
            .map_err(backend)?;
        for (variant, bytes) in
            [(Variant::Original, &a.original), (Variant::Public, &a.public), (Variant::Thumbnail, &a.thumbnail)]
        {
            t.execute(&ins, &[&m.id, &variant.as_str(), &&bytes[..]]).await.map_err(backend)?;
        }
        t.commit().await.map_err(backend)
    }

    async fn attachment(&self, id: &str) -> Result<Option<Attachment>> {
        let conn = self.conn().await?;
        let st =
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM attachments WHERE id = $1")).await.map_err(backend)?;
        conn.query_opt(&st, &[&id]).await.map_err(backend)?.as_ref().map(row).transpose()
    }

    async fn find_attachments(&self, ids: &[String]) -> Result<Vec<Attachment>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM attachments WHERE id = ANY($1)"))
            .await
            .map_err(backend)?;
        conn.query(&st, &[&ids]).await.map_err(backend)?.iter().map(row).collect()
    }

    async fn attachment_bytes(&self, id: &str, variant: Variant) -> Result<Option<Vec<u8>>> {
        let conn = self.conn().await?;
        let st = conn
            .prepare_cached("SELECT bytes FROM attachment_bytes WHERE attachment_id = $1 AND variant = $2")
            .await
            .map_err(backend)?;
        let row = conn.query_opt(&st, &[&id, &variant.as_str()]).await.map_err(backend)?;
        row.map(|r| r.try_get(0).map_err(backend)).transpose()
    }
}
