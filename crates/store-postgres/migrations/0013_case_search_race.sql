-- Schema version 13: the indexes a case search races (newest first, see store-sqlite's
-- search.rs). Keep in step with the other backend's 0013.

-- A state's cases, newest first, with every column a search tests: reading them backwards until a
-- page is full reads the index alone. Of the columns added only `overdue` changes after the
-- report, and a case turns overdue at most once.
DROP INDEX cases_state;
CREATE INDEX cases_state ON cases (state, id, grid, subclass, overdue, reported_at);

-- A kind of problem with its grids: a rare kind is narrowed to an area before any row is read.
DROP INDEX cases_subclass;
CREATE INDEX cases_subclass ON cases (subclass, reported_at, grid);
