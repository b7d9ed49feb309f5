-- Schema version 2: accounts, sessions, API tokens, verification codes and the access log.
-- Keep in step with store-postgres/migrations/0002_accounts.sql: the conformance story checks
-- that both produce the same logical schema.
--
-- Times are milliseconds since the Unix epoch (UTC); flags are 0 or 1. Secrets are stored only
-- as hashes: passwords as Argon2id PHC strings, tokens and codes as SM3 digests.

CREATE TABLE accounts (
    id             TEXT    PRIMARY KEY,
    kind           TEXT    NOT NULL,   -- resident | staff | system
    login          TEXT    NOT NULL UNIQUE,
    display_name   TEXT    NOT NULL,
    phone          TEXT    UNIQUE,
    id_number      TEXT,
    password_hash  TEXT    NOT NULL,
    staff_id       TEXT    UNIQUE,     -- the reference-data staff record (role, scope, unit)
    failed_logins  INTEGER NOT NULL,
    locked_until   INTEGER,
    totp_secret    TEXT,
    totp_enrolled  INTEGER NOT NULL,
    totp_last_step INTEGER,
    created_at     INTEGER NOT NULL,
    disabled       INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id         TEXT    PRIMARY KEY,
    token_hash BLOB    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    account_id TEXT    NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE verification_codes (
    phone      TEXT    PRIMARY KEY,
    code_hash  BLOB    NOT NULL,
    sent_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL
);

-- The security audit trail (等保: time, user, event type, outcome). Append-only.
CREATE TABLE access_log (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT,
    action  TEXT    NOT NULL,
    outcome TEXT    NOT NULL,          -- success | failure
    subject TEXT    NOT NULL,
    detail  TEXT    NOT NULL
);
CREATE INDEX access_log_actor ON access_log (actor, seq);
CREATE INDEX access_log_action ON access_log (action, seq);
CREATE INDEX access_log_subject ON access_log (subject, seq);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only');
END;
