-- Schema version 20: no grid index on case facts. Its one reader, an area's facts in case order
-- (`facts_in_area` in store-sqlite's evaluation.rs), walks `case_facts` by case id, and SQLite's
-- plan never took the index; yet each new case put an entry at a random leaf of it, a seventh of
-- the pages the WAL wrote in HTTP intake. PostgreSQL keeps its index.
DROP INDEX case_facts_grid;
