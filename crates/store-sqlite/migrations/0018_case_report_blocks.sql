-- Schema version 18: the report times of each block of 4,096 case ids, so that a search with a
-- report window (案卷查询的上报时间段) walks only the ids whose block may hold the window's cases.
--
-- Case search walks its indexes newest id first and stops when a page is full. A window that
-- leaves fewer matches than a page made the walk read on past the window's start to the oldest
-- case: at 10 million cases, the slowest searches of all. Ids follow report time closely (a case
-- gets its id when it is reported), but not exactly (imports, clocks), so the bound is read from
-- what is stored, never assumed: a block whose earliest and latest report times miss the window
-- holds none of its cases. The writer widens a block once per transaction with the cases it
-- wrote (`ReportBlocks` in search.rs); a report time that changes only widens its block too.
CREATE TABLE case_report_blocks (
    block INTEGER PRIMARY KEY,
    earliest INTEGER NOT NULL,
    latest INTEGER NOT NULL
);

INSERT INTO case_report_blocks (block, earliest, latest)
SELECT id >> 12, min(reported_at), max(reported_at) FROM cases GROUP BY id >> 12;
