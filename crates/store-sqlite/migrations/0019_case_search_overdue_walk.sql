-- Schema version 19: the overdue cases of each state, newest last, so that case search's walk
-- (store-sqlite's search.rs) reads only overdue cases when a search asks for them (超期案卷).
--
-- A supervisor's "overdue in this street" with no kind had no plan that reads few entries: the
-- walk by state read every case of the state in the city for the street's overdue few, and the
-- area's plan every case of the state in the street; `cases_state_grid` holds overdue after the
-- kind, so no seek reaches them. Overdue cases are a small share of all, so the index is small,
-- and a step writes it only while its case is overdue. PostgreSQL's planner, with statistics,
-- needs no such help.
CREATE INDEX cases_overdue ON cases (state, id, grid, subclass, reported_at) WHERE overdue = 1;
