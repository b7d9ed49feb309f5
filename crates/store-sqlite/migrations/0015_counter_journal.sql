-- Schema version 15: counter deltas committed but not yet added to `eval_counters` and
-- `eval_buckets` (store-sqlite's evaluation.rs). Each group of steps writes its summed delta here,
-- in its own transaction, as one row under the ledger position of its last event; the writer adds
-- them to the counters about once a second and empties the table in the same transaction. The
-- writer's own bookkeeping, not data: not in the shared schema, and the other backend, which adds
-- its counters per group, has no such table.
CREATE TABLE eval_pending (
    ledger_seq INTEGER PRIMARY KEY,
    delta      TEXT NOT NULL   -- JSON: the non-zero counters and buckets of the delta
);
