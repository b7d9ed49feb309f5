-- Schema version 12: fewer indexes on cases. Keep in step with the other backend's 0012.
--
-- Every index on a column a commit changes is rewritten by that commit, and a new case is
-- written into all of them: on SQLite the single writer spent a quarter of its time on rows.

-- The head of cases_recent (reported_at, grid, subclass) already orders by report time.
DROP INDEX cases_reported_at;

-- A node's live counters (一级一屏) read state, grid, overdue and warned from one index: the
-- search index, with warned at its end, instead of an index of their own. A state change now
-- rewrites two indexes of state (cases_state, cases_state_grid) instead of three.
DROP INDEX cases_open;
DROP INDEX cases_state_grid;
CREATE INDEX cases_state_grid ON cases (state, grid, subclass, overdue, reported_at, id, warned);

-- Only the cases that await a follow-up (回访) are ever asked for by it, and they are few: the
-- others stay out of the index.
DROP INDEX cases_awaiting_follow_up;
CREATE INDEX cases_awaiting_follow_up ON cases (id) WHERE awaiting_follow_up = 1;
