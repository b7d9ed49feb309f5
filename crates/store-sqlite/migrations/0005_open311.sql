-- Schema version 5: Open311. FixMyStreet polls for the changes made in a window of time
-- (servicerequestupdates), and every listed request carries the time of its latest change:
-- index the append-only events by time. No new table, so the logical schema is unchanged.
CREATE INDEX events_at ON events (at, case_id, seq);
