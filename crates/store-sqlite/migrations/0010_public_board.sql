-- Schema version 10: the public board and landmarks. Keep in step with the other backend's 0010.
--
-- The public board (GET /api/public/cases) asks for the cases near a point: a box of latitude
-- and longitude around it, narrowed by this index before the exact circle is tested.
CREATE INDEX cases_place ON cases (lat, lon);

-- Landmarks (地标): named points of each community, reference data replaced with the rest.
CREATE TABLE landmarks (
    community TEXT NOT NULL,
    name      TEXT NOT NULL,
    lon       REAL NOT NULL,
    lat       REAL NOT NULL,
    address   TEXT,
    PRIMARY KEY (community, name)
);
