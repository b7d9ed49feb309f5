-- Schema version 19: the overdue cases of each state, newest last, alone and by kind, so that
-- case search's walks (store-sqlite's search.rs) read only overdue cases when a search asks for
-- them (超期案卷).
--
-- For a supervisor's "overdue in this street" the walk by state read the city's cases of the
-- state overdue or not, the kind's walk the kind's cases overdue or not, and the area's plan
-- every case of the state in the street: `cases_state_grid` holds overdue after the kind, so no
-- seek reaches the overdue ones. These are partial twins of `cases_state` and `cases_subclass`
-- holding the overdue entries alone, written by a step only while its case is overdue (in the
-- benchmark's synthetic city a third of the cases end overdue, and the two add 0.6 % to the
-- store). PostgreSQL's planner, with statistics, needs no such help.
CREATE INDEX cases_overdue ON cases (state, id, grid, subclass, reported_at) WHERE overdue = 1;
CREATE INDEX cases_overdue_kind ON cases (subclass, state, id, grid, reported_at) WHERE overdue = 1;
