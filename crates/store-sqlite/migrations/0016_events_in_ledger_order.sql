-- Schema version 16: events stored in ledger order. Keyed by (case_id, seq), each new event went
-- into the middle of the table, beside its case's earlier events: a page written, and often
-- split, per step. Keyed by ledger_seq it goes at the end, where the steps of a group share
-- pages; the case's events are found through `events_case`.
CREATE TABLE events_in_order (
    ledger_seq  INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    seq         INTEGER NOT NULL,
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
    ledger_hash BLOB    NOT NULL
);
INSERT INTO events_in_order (ledger_seq, case_id, seq, at, actor, role, step, from_state, to_state, note,
                             attachments, detail, prev, hash, ledger_hash)
    SELECT ledger_seq, case_id, seq, at, actor, role, step, from_state, to_state, note,
           attachments, detail, prev, hash, ledger_hash
    FROM events ORDER BY ledger_seq;
DROP TABLE events;
ALTER TABLE events_in_order RENAME TO events;
CREATE UNIQUE INDEX events_case ON events (case_id, seq);
CREATE INDEX events_at ON events (at, case_id, seq);
