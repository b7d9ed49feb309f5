-- Schema version 17: a kind of problem's cases grouped by state, newest last, so that case
-- search's plan by kind (store-sqlite's search.rs) walks them newest first and stops when a page
-- is full, as the walk by state does.
--
-- Ordered by report time, that plan had to read every case of the kind in the city to find the
-- newest twenty: at 10 million cases, hundreds of thousands of entries for a common kind, the
-- slowest searches of all. The index is rewritten at each change of state as before. PostgreSQL
-- keeps its 0014 index: its planner, with statistics, needs no such help.
DROP INDEX cases_subclass;
CREATE INDEX cases_subclass ON cases (subclass, state, id, grid, overdue, reported_at);
