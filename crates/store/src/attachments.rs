//! Attachments (附件): the photos and short videos sent with a report or a step of a case.
//!
//! An attachment is stored once, when it is uploaded, and never changes afterwards. Three
//! variants of it are kept:
//! - the **original**, byte for byte as uploaded (evidence; only staff and the uploader read it);
//! - the **public** variant, with its metadata (EXIF, GPS location, device names) removed: what
//!   everybody else is shown;
//! - a **thumbnail**, a small JPEG.
//!
//! The bytes live in the database itself (SQLite `BLOB`, PostgreSQL `BYTEA`), not in files
//! beside it: many stateless nodes on one PostgreSQL database then share every attachment with
//! no shared disk or object store to run, and a backup of the database is a backup of the
//! attachments. Metadata and bytes are in two tables (`attachments`, `attachment_bytes`), so
//! that reading what an attachment is never loads its bytes.
//!
//! API boundary: the store checks nothing about the bytes. Sniffing the type, the size limits,
//! stripping metadata and making thumbnails are the server's work, done before [`Attachments::put_attachment`].

use async_trait::async_trait;
use yiwang_domain::audit::Hash;
use yiwang_domain::time::Timestamp;

use crate::Result;

/// Who uploaded an attachment when nobody was signed in.
pub const ANONYMOUS: &str = "anonymous";

/// What is known of an attachment without its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// 128 random bits as 32 lowercase hex digits: unguessable, so that knowing an id is what
    /// lets one read the public variant.
    pub id: String,
    /// The media type found in the content (not the one the uploader declared), e.g. `image/jpeg`.
    pub media_type: String,
    /// Size of the original in bytes.
    pub size: u64,
    /// SM3 of the original bytes.
    pub sm3: Hash,
    /// The uploader's account id, or [`ANONYMOUS`].
    pub uploader: String,
    pub created_at: Timestamp,
}

/// An attachment with the bytes of its three variants, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAttachment {
    pub meta: Attachment,
    pub original: Vec<u8>,
    pub public: Vec<u8>,
    pub thumbnail: Vec<u8>,
}

/// Which bytes of an attachment to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// As uploaded, metadata and all.
    Original,
    /// Metadata removed: what the public sees.
    Public,
    /// A small JPEG.
    Thumbnail,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Original, Variant::Public, Variant::Thumbnail];

    /// The name stored in `attachment_bytes.variant` and used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Public => "public",
            Variant::Thumbnail => "thumbnail",
        }
    }

    pub fn parse(s: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[async_trait]
pub trait Attachments: Send + Sync {
    /// Stores the attachment and its three variants atomically: all of it or nothing. An id
    /// that exists already is refused (`attachment_exists`).
    async fn put_attachment(&self, attachment: NewAttachment) -> Result<()>;

    /// The attachment, without its bytes; `None` when there is no such id.
    async fn attachment(&self, id: &str) -> Result<Option<Attachment>>;

    /// Those of `ids` that exist, in no particular order (for checking references in one query).
    async fn find_attachments(&self, ids: &[String]) -> Result<Vec<Attachment>>;

    /// The bytes of one variant; `None` when there is no such id.
    async fn attachment_bytes(&self, id: &str, variant: Variant) -> Result<Option<Vec<u8>>>;
}

/// The refusal for an id that is taken (both backends answer it alike).
pub fn exists(id: &str) -> crate::StoreError {
    crate::StoreError::Refused(yiwang_domain::Refusal::new(
        "attachment_exists",
        format!("附件 {id} 已存在"),
        format!("attachment {id} already exists"),
    ))
}
