//! Bulk import of case histories (历史案卷导入): a city moving from a legacy system brings years
//! of closed cases. Each case's commands are decided by the domain in memory (the engine's
//! `Draft`), so every event carries its per-case SM3 chain as if it had been lived; the store
//! then appends many whole histories in one transaction, chaining their events into the ledger
//! in order and adding their summed contribution to the evaluation counters once.

use yiwang_domain::audit::GENESIS;
use yiwang_domain::case::{Case, Event};
use yiwang_domain::evaluation::Facts;

use crate::{Result, StoreError};

/// One new case's whole history: the case as it is after its last event, every event from
/// the report on, and its evaluation facts folded from them.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    pub case: Case,
    pub events: Vec<Event>,
    pub facts: Facts,
}

impl History {
    /// Checks that the events are one unbroken chain (seq 1, 2, …, each `prev` the hash before)
    /// that ends at the case, and that the facts are the case's at that point. The hashes
    /// themselves are the domain's, checked by `audit verify`.
    pub fn check(&self) -> Result<()> {
        let id = self.case.id;
        let bad = |what: &str| Err(StoreError::Backend(format!("imported case {id}: {what}")));
        let mut prev = GENESIS;
        for (i, e) in self.events.iter().enumerate() {
            if e.case_id != id || e.seq as usize != i + 1 {
                return bad(&format!("event {} is not event {} of this case", e.seq, i + 1));
            }
            if e.prev != prev {
                return bad(&format!("event {} does not follow the one before", e.seq));
            }
            prev = e.hash;
        }
        if self.events.len() != self.case.seq as usize || self.case.head != prev {
            return bad("the events do not end at the case");
        }
        if self.facts.case_id != id || self.facts.seq != self.case.seq {
            return bad("the facts are not the case's");
        }
        Ok(())
    }
}
