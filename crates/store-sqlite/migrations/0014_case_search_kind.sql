-- Schema version 14: a kind of problem's cases with their state and overdue flag, so that case
-- search's plan by kind (store-sqlite's search.rs) reads the index alone. Keep in step with the
-- other backend's 0014.
--
-- With only the grid, that plan read each case's row for the rest: at 10 million cases random
-- reads of a file larger than memory, and the slowest searches. The price is one more index
-- rewritten at each change of state.
DROP INDEX cases_subclass;
CREATE INDEX cases_subclass ON cases (subclass, reported_at, grid, state, overdue);
