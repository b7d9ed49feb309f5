-- Schema version 11: proxies (亲友代办), a relative acting for an elder with the elder's consent.
-- Keep in step with store-postgres/migrations/0011_proxies.sql: the conformance story checks that
-- both produce the same logical schema.
--
-- The row is the record of consent: never deleted. The consent code is kept as an SM3 digest,
-- only while the proxy is pending.

CREATE TABLE proxies (
    id              INTEGER PRIMARY KEY,
    relative        TEXT    NOT NULL REFERENCES accounts (id),
    elder_phone     TEXT    NOT NULL,
    elder           TEXT    REFERENCES accounts (id),  -- known once an account holds the phone
    relation        TEXT    NOT NULL,
    status          TEXT    NOT NULL,                  -- pending | active | revoked
    created_at      INTEGER NOT NULL,
    consented_at    INTEGER,
    revoked_at      INTEGER,
    code_hash       BLOB,
    code_sent_at    INTEGER,
    code_expires_at INTEGER,
    code_attempts   INTEGER
);
-- One live proxy per relative and phone.
CREATE UNIQUE INDEX proxies_live ON proxies (relative, elder_phone) WHERE status <> 'revoked';
CREATE INDEX proxies_relative ON proxies (relative, id);
CREATE INDEX proxies_elder ON proxies (elder, id);
