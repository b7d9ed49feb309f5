-- Schema version 4: webhooks for units' own systems. Keep in step with
-- store-postgres/migrations/0004_webhooks.sql (the conformance story compares the schemas).

-- Never deleted, only made inactive, so that the delivery log stays readable.
CREATE TABLE webhook_subscriptions (
    id               INTEGER PRIMARY KEY,
    unit             TEXT    NOT NULL,
    url              TEXT    NOT NULL,
    secret           TEXT    NOT NULL,   -- key of the SM3-HMAC signature
    lang             TEXT    NOT NULL,   -- zh-CN or en: names inside the payloads
    active           INTEGER NOT NULL,   -- 0 or 1
    created_at       INTEGER NOT NULL,
    created_by       TEXT    NOT NULL,
    after_ledger_seq INTEGER NOT NULL    -- only later events are delivered
);
CREATE INDEX webhook_subscriptions_unit ON webhook_subscriptions (unit, id);

-- The outbox: one row per subscription and event, finished by a 2xx answer.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions (id),
    case_id         INTEGER NOT NULL,
    event_seq       INTEGER NOT NULL,
    step            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,   -- the JSON body, as sent and signed
    status          TEXT    NOT NULL,   -- pending, delivered, failed, cancelled
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER,            -- due time, or the end of a claim; NULL when finished
    last_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    UNIQUE (subscription_id, case_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, id);

-- How far along the ledger events have been turned into deliveries. An existing deployment
-- starts at its ledger head: subscriptions never receive the past.
CREATE TABLE webhook_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    ledger_seq INTEGER NOT NULL
);
INSERT INTO webhook_cursor (id, ledger_seq) SELECT 1, seq FROM ledger_head WHERE id = 1;
