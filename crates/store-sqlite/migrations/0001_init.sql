-- yiwang on SQLite, schema version 1. Keep in step with store-postgres/migrations/0001_init.sql:
-- the conformance story checks that both produce the same logical schema.

CREATE TABLE areas (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE grids (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    polygon TEXT NOT NULL,          -- JSON
    members TEXT NOT NULL           -- JSON array of staff ids
);

CREATE TABLE units (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    area TEXT NOT NULL
);

CREATE TABLE duties (
    subclass  TEXT NOT NULL,
    area      TEXT NOT NULL,
    lead      TEXT NOT NULL REFERENCES units (id),
    assisting TEXT NOT NULL,        -- JSON array of unit ids
    PRIMARY KEY (subclass, area)
);

CREATE TABLE staff (
    id    TEXT PRIMARY KEY,
    name  TEXT NOT NULL,
    role  TEXT NOT NULL,
    scope TEXT NOT NULL,
    unit  TEXT
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);
INSERT INTO counters (name, next) VALUES ('case', 1);

-- The current projection of each case; `data` is the whole case as JSON, the other columns are
-- what lists filter on.
CREATE TABLE cases (
    id          INTEGER PRIMARY KEY,
    state       TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    head        BLOB    NOT NULL,
    subclass    TEXT    NOT NULL,
    grid        TEXT    NOT NULL,
    lon         REAL    NOT NULL,
    lat         REAL    NOT NULL,
    lead_unit   TEXT,
    reported_at INTEGER NOT NULL,
    due_at      INTEGER,
    closed_at   INTEGER,
    overdue     INTEGER NOT NULL,
    data        TEXT    NOT NULL
);
CREATE INDEX cases_grid ON cases (grid, id);
CREATE INDEX cases_state ON cases (state, id);
CREATE INDEX cases_subclass ON cases (subclass, reported_at);
CREATE INDEX cases_lead_unit ON cases (lead_unit, id);
CREATE INDEX cases_reported_at ON cases (reported_at);

CREATE TABLE case_followers (
    resident TEXT    NOT NULL,
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    PRIMARY KEY (resident, case_id)
) WITHOUT ROWID;

-- Append-only: one row per change of a case, chained per case (prev → hash) and across the
-- store (ledger_seq, ledger_hash).
CREATE TABLE events (
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    seq         INTEGER NOT NULL,
    ledger_seq  INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    step        TEXT    NOT NULL,
    from_state  TEXT,
    to_state    TEXT    NOT NULL,
    note        TEXT    NOT NULL,
    attachments TEXT    NOT NULL,   -- JSON array
    detail      TEXT    NOT NULL,   -- JSON, hashed as stored
    prev        BLOB    NOT NULL,
    hash        BLOB    NOT NULL,
    ledger_hash BLOB    NOT NULL,
    PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX events_ledger ON events (ledger_seq);

CREATE TABLE ledger_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB    NOT NULL
);
INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
