-- Schema version 10: the public board and landmarks. Keep in step with the other backend's 0010.
--
-- The public board (GET /api/public/cases) asks for the cases near a point: a box of latitude
-- and longitude around it, narrowed by this index before the exact circle is tested.
CREATE INDEX cases_place ON cases (lat, lon);

-- Landmarks (地标): named points of each community, reference data replaced with the rest.
CREATE TABLE landmarks (
    community TEXT COLLATE "C" NOT NULL,
    name      TEXT COLLATE "C" NOT NULL,
    lon       DOUBLE PRECISION NOT NULL,
    lat       DOUBLE PRECISION NOT NULL,
    address   TEXT,
    PRIMARY KEY (community, name)
);
