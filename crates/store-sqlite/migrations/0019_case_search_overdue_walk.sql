-- Schema version 19: the overdue cases of each state, newest last, alone and by kind, so that
-- case search's walks (store-sqlite's search.rs) read only overdue cases when a search asks for
-- them (超期案卷).
--
-- A supervisor's "overdue in this street" had no plan that reads few entries: the walk by state
-- read every case of the state in the city for the street's overdue few, the kind's walk every
-- case of the kind in the state, and the area's plan every case of the state in the street;
-- `cases_state_grid` holds overdue after the kind, so no seek reaches them. These are partial
-- twins of `cases_state` and `cases_subclass` holding the overdue entries alone. Overdue cases
-- are a small share of all, so both are small, and a step writes them only while its case is
-- overdue. PostgreSQL's planner, with statistics, needs no such help.
CREATE INDEX cases_overdue ON cases (state, id, grid, subclass, reported_at) WHERE overdue = 1;
CREATE INDEX cases_overdue_kind ON cases (subclass, state, id, grid, reported_at) WHERE overdue = 1;
