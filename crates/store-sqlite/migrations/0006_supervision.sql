-- Schema version 6: supervision of time (时限监督) and notifications. Keep in step with
-- store-postgres/migrations/0006_supervision.sql (the conformance story compares the schemas).

-- When the deadline scheduler needs each case (see yiwang_store::schedule): `wake_anchor` is
-- derived from the case at every commit, `wake_at` starts there and is moved by the scheduler.
-- `awaiting_follow_up` is 1 while a closed case waits for its follow-up (回访).
ALTER TABLE cases ADD COLUMN wake_anchor INTEGER;
ALTER TABLE cases ADD COLUMN wake_at INTEGER;
ALTER TABLE cases ADD COLUMN awaiting_follow_up INTEGER NOT NULL DEFAULT 0;

-- backfill begin: the columns of the cases stored before this version, from their JSON; the
-- same rules as yiwang_store::schedule (the conformance story checks that they agree).
UPDATE cases SET awaiting_follow_up = CASE
    WHEN state IN ('closed_fixed', 'closed_not_fixed')
        AND json_extract(data, '$.rating') IS NULL
        AND coalesce(json_extract(data, '$.follow_up_expired'), 0) = 0
        AND json_extract(data, '$.channel') IN ('portal', 'hotline')
        AND json_extract(data, '$.reporter') <> 'anonymous'
    THEN 1 ELSE 0 END;
UPDATE cases SET wake_anchor = CASE
    WHEN state IN ('dispatched', 'handling', 'reported_back')
        AND json_extract(data, '$.clock.running_since') IS NOT NULL
    THEN CASE WHEN json_extract(data, '$.warned') = 0
        THEN json_extract(data, '$.clock.warn_at') ELSE json_extract(data, '$.clock.due_at') END
    WHEN awaiting_follow_up = 1 THEN closed_at
    END;
UPDATE cases SET wake_at = wake_anchor;
-- backfill end

CREATE INDEX cases_wake ON cases (wake_at, id) WHERE wake_at IS NOT NULL;
CREATE INDEX cases_awaiting_follow_up ON cases (awaiting_follow_up, id);

-- The scheduler's settings in force; a change makes every case be planned again.
CREATE TABLE schedule_policy (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    policy TEXT    NOT NULL
);

-- One row per event and recipient (a person or a group: see yiwang_store::notifications).
CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    recipient_kind TEXT    NOT NULL,   -- staff, unit, role, resident
    recipient_key  TEXT    NOT NULL,   -- staff id, unit id, role@node, account id
    case_id        INTEGER NOT NULL,
    event_seq      INTEGER NOT NULL,
    kind           TEXT    NOT NULL,   -- warned, overdue, supervise, escalated, dispatched, …
    created_at     INTEGER NOT NULL,   -- when the event happened
    read_at        INTEGER,
    text_zh        TEXT    NOT NULL,
    text_en        TEXT    NOT NULL,
    UNIQUE (case_id, event_seq, recipient_kind, recipient_key)
);
CREATE INDEX notifications_inbox ON notifications (recipient_kind, recipient_key, id);
CREATE INDEX notifications_unread ON notifications (recipient_kind, recipient_key, id) WHERE read_at IS NULL;

-- How far along the ledger events have been turned into notifications. An existing
-- deployment starts at its ledger head: nobody is told about the past.
CREATE TABLE notification_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    ledger_seq INTEGER NOT NULL
);
INSERT INTO notification_cursor (id, ledger_seq) SELECT 1, seq FROM ledger_head WHERE id = 1;
