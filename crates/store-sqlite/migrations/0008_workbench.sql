-- Schema version 8: the workbench's queues (待办) and one screen per level (一级一屏). Keep in
-- step with store-postgres/migrations/0008_workbench.sql (the conformance story compares the
-- schemas).

-- Derived from the case at every commit, like `overdue`: 1 while the case is warned (预警), and
-- while an extension request (申请延期) awaits its answer.
ALTER TABLE cases ADD COLUMN warned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN extension_requested INTEGER NOT NULL DEFAULT 0;

-- backfill begin: the columns of the cases stored before this version, from their JSON (the
-- conformance story checks that they agree with the commits).
UPDATE cases SET
    warned = CASE WHEN json_extract(data, '$.warned') THEN 1 ELSE 0 END,
    extension_requested = CASE WHEN json_extract(data, '$.extension_requested') IS NULL THEN 0 ELSE 1 END;
-- backfill end

-- A node's live counters and its children's, from the index alone: per state, a range of grids.
CREATE INDEX cases_open ON cases (state, grid, overdue, warned);
-- The problem kinds reported in a window under a node, from the index alone.
CREATE INDEX cases_recent ON cases (reported_at, grid, subclass);
