-- yiwang on PostgreSQL, schema version 1. Keep in step with store-sqlite/migrations/0001_init.sql:
-- the conformance story checks that both produce the same logical schema.
--
-- Types follow SQLite's: INTEGER -> BIGINT, REAL -> DOUBLE PRECISION, BLOB -> BYTEA. JSON stays
-- TEXT (not jsonb): an event's `detail` is hashed byte for byte as stored.
--
-- Codes and ids are COLLATE "C": they must compare byte by byte, as in SQLite. Under a linguistic
-- collation (en_US.UTF-8, ICU) punctuation is ignored at first level, so the area filter
-- `grid >= '110101002' AND grid < '110101002:'` would miss every grid under the area, and lists
-- ordered by id would not come back in SQLite's order.

CREATE TABLE areas (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE grids (
    code    TEXT COLLATE "C" PRIMARY KEY,
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    polygon TEXT NOT NULL,          -- JSON
    members TEXT NOT NULL           -- JSON array of staff ids
);

CREATE TABLE units (
    id   TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    area TEXT COLLATE "C" NOT NULL
);

CREATE TABLE duties (
    subclass  TEXT COLLATE "C" NOT NULL,
    area      TEXT COLLATE "C" NOT NULL,
    lead      TEXT COLLATE "C" NOT NULL REFERENCES units (id),
    assisting TEXT NOT NULL,        -- JSON array of unit ids
    PRIMARY KEY (subclass, area)
);

CREATE TABLE staff (
    id    TEXT COLLATE "C" PRIMARY KEY,
    name  TEXT NOT NULL,
    role  TEXT NOT NULL,
    scope TEXT COLLATE "C" NOT NULL,
    unit  TEXT COLLATE "C"
);

CREATE TABLE counters (
    name TEXT COLLATE "C" PRIMARY KEY,
    next BIGINT NOT NULL
);
INSERT INTO counters (name, next) VALUES ('case', 1);

-- The current projection of each case; `data` is the whole case as JSON, the other columns are
-- what lists filter on.
CREATE TABLE cases (
    id          BIGINT PRIMARY KEY,
    state       TEXT             NOT NULL,
    seq         BIGINT           NOT NULL,
    head        BYTEA            NOT NULL,
    subclass    TEXT COLLATE "C" NOT NULL,
    grid        TEXT COLLATE "C" NOT NULL,
    lon         DOUBLE PRECISION NOT NULL,
    lat         DOUBLE PRECISION NOT NULL,
    lead_unit   TEXT COLLATE "C",
    reported_at BIGINT           NOT NULL,
    due_at      BIGINT,
    closed_at   BIGINT,
    overdue     BIGINT           NOT NULL,   -- 0 or 1, as in SQLite
    data        TEXT             NOT NULL
);
CREATE INDEX cases_grid ON cases (grid, id);
CREATE INDEX cases_state ON cases (state, id);
CREATE INDEX cases_subclass ON cases (subclass, reported_at);
CREATE INDEX cases_lead_unit ON cases (lead_unit, id);
CREATE INDEX cases_reported_at ON cases (reported_at);

CREATE TABLE case_followers (
    resident TEXT COLLATE "C" NOT NULL,
    case_id  BIGINT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (resident, case_id)
);

-- Append-only: one row per change of a case, chained per case (prev -> hash) and across the
-- store (ledger_seq, ledger_hash).
CREATE TABLE events (
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    seq         BIGINT NOT NULL,
    ledger_seq  BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    role        TEXT   NOT NULL,
    step        TEXT   NOT NULL,
    from_state  TEXT,
    to_state    TEXT   NOT NULL,
    note        TEXT   NOT NULL,
    attachments TEXT   NOT NULL,   -- JSON array
    detail      TEXT   NOT NULL,   -- JSON, hashed as stored
    prev        BYTEA  NOT NULL,
    hash        BYTEA  NOT NULL,
    ledger_hash BYTEA  NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE UNIQUE INDEX events_ledger ON events (ledger_seq);

-- One row. Every commit locks it (SELECT ... FOR UPDATE) before chaining, which orders the
-- ledger across all the nodes writing to this database.
CREATE TABLE ledger_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA  NOT NULL
);
INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
