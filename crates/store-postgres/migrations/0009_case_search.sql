-- Schema version 9: case search at city scale. Keep in step with the other backend's 0009.
--
-- Work lists ask for cases in some states under an area, maybe of a subclass, overdue, reported
-- since, newest first (GET /api/cases): by state, then the area's code range, every filter is
-- decided in the index, so only the page's rows are read from the table (at a million cases a
-- district's closed cases of one subclass took 1.2 s through the table rows, 27 ms this way).
CREATE INDEX cases_state_grid ON cases (state, grid, subclass, overdue, reported_at, id);
