-- Schema version 7: evaluation (考核). Keep in step with store-postgres/migrations/0007_evaluation.sql:
-- the conformance story checks that both produce the same logical schema.
--
-- Written in the same transaction as the event that changes them (see the store's
-- `evaluation` module): each case's facts, folded from its events, and per object and day the
-- counters every indicator is a ratio of. The counter columns are named exactly as the domain's
-- `Counters::NAMES`, in that order.

-- One row per case: its evaluation facts as JSON, at the case's `seq`.
CREATE TABLE case_facts (
    case_id INTEGER PRIMARY KEY,
    seq     INTEGER NOT NULL,
    grid    TEXT NOT NULL,
    data    TEXT NOT NULL           -- JSON (yiwang_domain::evaluation::Facts)
);
CREATE INDEX case_facts_grid ON case_facts (grid, case_id);

-- Per object (dim: area | unit | staff; key: area code, unit id, staff id) and day (yyyymmdd,
-- China Standard Time): sums of what every case contributes.
CREATE TABLE eval_counters (
    dim  TEXT NOT NULL,
    key  TEXT NOT NULL,
    day  INTEGER NOT NULL,
    reported               INTEGER NOT NULL DEFAULT 0,
    filed                  INTEGER NOT NULL DEFAULT 0,
    filed_on_time          INTEGER NOT NULL DEFAULT 0,
    filed_invalid          INTEGER NOT NULL DEFAULT 0,
    dispatched             INTEGER NOT NULL DEFAULT 0,
    acked_in_time          INTEGER NOT NULL DEFAULT 0,
    due                    INTEGER NOT NULL DEFAULT 0,
    due_deferred           INTEGER NOT NULL DEFAULT 0,
    due_closed             INTEGER NOT NULL DEFAULT 0,
    due_closed_on_time     INTEGER NOT NULL DEFAULT 0,
    closed                 INTEGER NOT NULL DEFAULT 0,
    closed_fixed           INTEGER NOT NULL DEFAULT 0,
    handled                INTEGER NOT NULL DEFAULT 0,
    reworked               INTEGER NOT NULL DEFAULT 0,
    staff_reports          INTEGER NOT NULL DEFAULT 0,
    staff_reports_accurate INTEGER NOT NULL DEFAULT 0,
    reported_base          INTEGER NOT NULL DEFAULT 0,
    completed_in_time      INTEGER NOT NULL DEFAULT 0,
    answered               INTEGER NOT NULL DEFAULT 0,
    responded              INTEGER NOT NULL DEFAULT 0,
    responded_asked        INTEGER NOT NULL DEFAULT 0,
    said_fixed             INTEGER NOT NULL DEFAULT 0,
    satisfied              INTEGER NOT NULL DEFAULT 0,
    basically              INTEGER NOT NULL DEFAULT 0,
    not_satisfied          INTEGER NOT NULL DEFAULT 0,
    no_answer              INTEGER NOT NULL DEFAULT 0,
    handling_count         INTEGER NOT NULL DEFAULT 0,
    handling_minutes       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, key, day)
);

-- Handling-time histogram per object and day of closure: bucket (of BUCKET_MINUTES working
-- minutes) -> closures. The 90th percentile of any period is read from the summed buckets.
CREATE TABLE eval_buckets (
    dim      TEXT NOT NULL,
    key      TEXT NOT NULL,
    day      INTEGER NOT NULL,
    bucket   INTEGER NOT NULL,
    closures INTEGER NOT NULL,
    PRIMARY KEY (dim, key, day, bucket)
);
