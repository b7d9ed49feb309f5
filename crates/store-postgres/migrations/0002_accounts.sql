-- Schema version 2: accounts, sessions, API tokens, verification codes and the access log.
-- Keep in step with store-sqlite/migrations/0002_accounts.sql: the conformance story checks
-- that both produce the same logical schema (types as in 0001: BIGINT, BYTEA, TEXT; flags are
-- BIGINT 0 or 1 as in SQLite; ids and logins COLLATE "C").
--
-- Times are milliseconds since the Unix epoch (UTC). Secrets are stored only as hashes:
-- passwords as Argon2id PHC strings, tokens and codes as SM3 digests.

CREATE TABLE accounts (
    id             TEXT COLLATE "C" PRIMARY KEY,
    kind           TEXT   NOT NULL,   -- resident | staff | system
    login          TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name   TEXT   NOT NULL,
    phone          TEXT COLLATE "C" UNIQUE,
    id_number      TEXT,
    password_hash  TEXT   NOT NULL,
    staff_id       TEXT COLLATE "C" UNIQUE,     -- the reference-data staff record
    failed_logins  BIGINT NOT NULL,
    locked_until   BIGINT,
    totp_secret    TEXT,
    totp_enrolled  BIGINT NOT NULL,
    totp_last_step BIGINT,
    created_at     BIGINT NOT NULL,
    disabled       BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash BYTEA  PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id         TEXT COLLATE "C" PRIMARY KEY,
    token_hash BYTEA  NOT NULL UNIQUE,
    name       TEXT   NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE verification_codes (
    phone      TEXT COLLATE "C" PRIMARY KEY,
    code_hash  BYTEA  NOT NULL,
    sent_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL
);

-- The security audit trail (等保: time, user, event type, outcome). Append-only.
CREATE TABLE access_log (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      BIGINT NOT NULL,
    actor   TEXT COLLATE "C",
    action  TEXT COLLATE "C" NOT NULL,
    outcome TEXT   NOT NULL,          -- success | failure
    subject TEXT COLLATE "C" NOT NULL,
    detail  TEXT   NOT NULL
);
CREATE INDEX access_log_actor ON access_log (actor, seq);
CREATE INDEX access_log_action ON access_log (action, seq);
CREATE INDEX access_log_subject ON access_log (subject, seq);

CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only';
END
$$;
CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();
