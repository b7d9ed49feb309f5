-- Schema version 3: attachments (附件). Keep in step with store-postgres/migrations/0003_attachments.sql.
--
-- The bytes live in the database, so that a backup holds them and (on PostgreSQL) every node
-- shares them. Metadata and bytes are separate tables: reading what an attachment is never
-- loads its bytes.

CREATE TABLE attachments (
    id         TEXT    PRIMARY KEY,  -- 128 random bits, 32 lowercase hex digits
    media_type TEXT    NOT NULL,     -- sniffed from the content
    size       INTEGER NOT NULL,     -- of the original, in bytes
    sm3        BLOB    NOT NULL,     -- SM3 of the original
    uploader   TEXT    NOT NULL,     -- account id, or 'anonymous'
    created_at INTEGER NOT NULL      -- ms since the epoch, UTC
);

CREATE TABLE attachment_bytes (
    attachment_id TEXT NOT NULL REFERENCES attachments (id),
    variant       TEXT NOT NULL,     -- original | public | thumbnail
    bytes         BLOB NOT NULL,
    PRIMARY KEY (attachment_id, variant)
);
