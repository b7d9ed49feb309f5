//! Attachments on SQLite: metadata in `attachments`, the three variants' bytes as BLOBs in
//! `attachment_bytes`. A put runs in the writer thread, in one transaction with its four rows.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use yiwang_domain::time::Timestamp;
use yiwang_store::Result;
use yiwang_store::attachments::{self, Attachment, Attachments, NewAttachment, Variant};

use crate::{Cached, SqliteStore, backend};

const COLUMNS: &str = "id, media_type, size, sm3, uploader, created_at";

fn row(r: &Row) -> rusqlite::Result<Attachment> {
    let sm3: Vec<u8> = r.get(3)?;
    Ok(Attachment {
        id: r.get(0)?,
        media_type: r.get(1)?,
        size: r.get::<_, i64>(2)?.max(0) as u64,
        // A stored hash of the wrong length matches no content: it reads as all ones.
        sm3: sm3.try_into().unwrap_or([0xff; 32]),
        uploader: r.get(4)?,
        created_at: Timestamp(r.get(5)?),
    })
}

fn one(c: &Connection, id: &str) -> Result<Option<Attachment>> {
    c.cached_row(&format!("SELECT {COLUMNS} FROM attachments WHERE id = ?1"), [id], row).optional().map_err(backend)
}

#[async_trait]
impl Attachments for SqliteStore {
    async fn put_attachment(&self, a: NewAttachment) -> Result<()> {
        self.write(move |t| {
            let m = &a.meta;
            let size = i64::try_from(m.size).map_err(|_| backend("attachment size out of range"))?;
            let inserted = t
                .execute(
                    "INSERT INTO attachments (id, media_type, size, sm3, uploader, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
                    params![m.id, m.media_type, size, &m.sm3[..], m.uploader, m.created_at.0],
                )
                .map_err(backend)?;
            if inserted == 0 {
                return Err(attachments::exists(&m.id));
            }
            let mut ins = t
                .prepare("INSERT INTO attachment_bytes (attachment_id, variant, bytes) VALUES (?1, ?2, ?3)")
                .map_err(backend)?;
            for (variant, bytes) in
                [(Variant::Original, &a.original), (Variant::Public, &a.public), (Variant::Thumbnail, &a.thumbnail)]
            {
                ins.execute(params![m.id, variant.as_str(), bytes]).map_err(backend)?;
            }
            Ok(())
        })
        .await
    }

    async fn attachment(&self, id: &str) -> Result<Option<Attachment>> {
        let id = id.to_owned();
        self.read(move |c| one(c, &id)).await
    }

    async fn find_attachments(&self, ids: &[String]) -> Result<Vec<Attachment>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let ids = ids.to_vec();
        self.read(move |c| {
            // One parameter per id would hit SQLite's limit on parameters: pass them as JSON.
            let mut st = c
                .prepare(&format!("SELECT {COLUMNS} FROM attachments WHERE id IN (SELECT value FROM json_each(?1))"))
                .map_err(backend)?;
            let list = serde_json::to_string(&ids).expect("strings serialise");
            let rows = st.query_map([list], row).map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn attachment_bytes(&self, id: &str, variant: Variant) -> Result<Option<Vec<u8>>> {
        let id = id.to_owned();
        self.read(move |c| {
            c.cached_row(
                "SELECT bytes FROM attachment_bytes WHERE attachment_id = ?1 AND variant = ?2",
                params![id, variant.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }
}
