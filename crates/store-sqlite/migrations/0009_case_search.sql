-- Schema version 9: case search at city scale. Keep in step with the other backend's 0009.
--
-- Work lists ask for cases in some states under an area, newest first (GET /api/cases with
-- state and area): by state, then the area's code range, the matching rows are read directly
-- instead of walking every case of the area or every case of the state.
CREATE INDEX cases_state_grid ON cases (state, grid, id);
