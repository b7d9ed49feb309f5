-- Schema version 3: attachments (附件). Keep in step with store-sqlite/migrations/0003_attachments.sql.
--
-- The bytes live in the database (BYTEA, stored out of line by TOAST), so that every node shares
-- them with no shared disk, and a backup holds them. Metadata and bytes are separate tables:
-- reading what an attachment is never loads its bytes.

CREATE TABLE attachments (
    id         TEXT COLLATE "C" PRIMARY KEY,  -- 128 random bits, 32 lowercase hex digits
    media_type TEXT   NOT NULL,               -- sniffed from the content
    size       BIGINT NOT NULL,               -- of the original, in bytes
    sm3        BYTEA  NOT NULL,               -- SM3 of the original
    uploader   TEXT   NOT NULL,               -- account id, or 'anonymous'
    created_at BIGINT NOT NULL                -- ms since the epoch, UTC
);

CREATE TABLE attachment_bytes (
    attachment_id TEXT COLLATE "C" NOT NULL REFERENCES attachments (id),
    variant       TEXT  NOT NULL,             -- original | public | thumbnail
    bytes         BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, variant)
);

-- Photos and videos are compressed already: keep them out of line without compressing again.
ALTER TABLE attachment_bytes ALTER COLUMN bytes SET STORAGE EXTERNAL;
