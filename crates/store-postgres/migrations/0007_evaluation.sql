-- Schema version 7: evaluation (考核). Keep in step with store-sqlite/migrations/0007_evaluation.sql:
-- the conformance story checks that both produce the same logical schema.
--
-- Written in the same transaction as the event that changes them (see the store's
-- `evaluation` module): each case's facts, folded from its events, and per object and day the
-- counters every indicator is a ratio of. The counter columns are named exactly as the domain's
-- `Counters::NAMES`, in that order.

-- One row per case: its evaluation facts as JSON, at the case's `seq`.
CREATE TABLE case_facts (
    case_id BIGINT PRIMARY KEY,
    seq     BIGINT NOT NULL,
    grid    TEXT COLLATE "C" NOT NULL,
    data    TEXT NOT NULL           -- JSON (yiwang_domain::evaluation::Facts)
);
CREATE INDEX case_facts_grid ON case_facts (grid, case_id);

-- Per object (dim: area | unit | staff; key: area code, unit id, staff id) and day (yyyymmdd,
-- China Standard Time): sums of what every case contributes.
CREATE TABLE eval_counters (
    dim  TEXT COLLATE "C" NOT NULL,
    key  TEXT COLLATE "C" NOT NULL,
    day  BIGINT NOT NULL,
    reported               BIGINT NOT NULL DEFAULT 0,
    filed                  BIGINT NOT NULL DEFAULT 0,
    filed_on_time          BIGINT NOT NULL DEFAULT 0,
    filed_invalid          BIGINT NOT NULL DEFAULT 0,
    dispatched             BIGINT NOT NULL DEFAULT 0,
    acked_in_time          BIGINT NOT NULL DEFAULT 0,
    due                    BIGINT NOT NULL DEFAULT 0,
    due_deferred           BIGINT NOT NULL DEFAULT 0,
    due_closed             BIGINT NOT NULL DEFAULT 0,
    due_closed_on_time     BIGINT NOT NULL DEFAULT 0,
    closed                 BIGINT NOT NULL DEFAULT 0,
    closed_fixed           BIGINT NOT NULL DEFAULT 0,
    handled                BIGINT NOT NULL DEFAULT 0,
    reworked               BIGINT NOT NULL DEFAULT 0,
    staff_reports          BIGINT NOT NULL DEFAULT 0,
    staff_reports_accurate BIGINT NOT NULL DEFAULT 0,
    reported_base          BIGINT NOT NULL DEFAULT 0,
    completed_in_time      BIGINT NOT NULL DEFAULT 0,
    answered               BIGINT NOT NULL DEFAULT 0,
    responded              BIGINT NOT NULL DEFAULT 0,
    responded_asked        BIGINT NOT NULL DEFAULT 0,
    said_fixed             BIGINT NOT NULL DEFAULT 0,
    satisfied              BIGINT NOT NULL DEFAULT 0,
    basically              BIGINT NOT NULL DEFAULT 0,
    not_satisfied          BIGINT NOT NULL DEFAULT 0,
    no_answer              BIGINT NOT NULL DEFAULT 0,
    handling_count         BIGINT NOT NULL DEFAULT 0,
    handling_minutes       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (dim, key, day)
);

-- Handling-time histogram per object and day of closure: bucket (of BUCKET_MINUTES working
-- minutes) -> closures. The 90th percentile of any period is read from the summed buckets.
CREATE TABLE eval_buckets (
    dim      TEXT COLLATE "C" NOT NULL,
    key      TEXT COLLATE "C" NOT NULL,
    day      BIGINT NOT NULL,
    bucket   BIGINT NOT NULL,
    closures BIGINT NOT NULL,
    PRIMARY KEY (dim, key, day, bucket)
);
