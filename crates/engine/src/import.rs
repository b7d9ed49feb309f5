//! Bulk import of case histories (历史案卷导入), for a city moving from a legacy system.
//!
//! Each legacy case is replayed in memory as a [`Draft`]: its report and every step are checked
//! and decided by the domain exactly as [`Engine::report_as`] and [`Engine::act`] would, so the
//! events carry the per-case SM3 chain as if they had been lived. Finished drafts are gathered
//! in an [`ImportBatch`] (facts folded, contributions summed) and stored in one transaction by
//! [`Engine::import`]. Nothing of a draft is stored, published or notified before that.

use yiwang_domain::case::{self, Actor, Case, Command, Event};
use yiwang_domain::evaluation::{Contribution, Facts, contributions};
use yiwang_domain::time::Timestamp;
use yiwang_store::LedgerHead;
use yiwang_store::import::History;

use crate::{Engine, NewReport, Result};

/// A case being replayed in memory: where it stands and the events so far.
#[derive(Clone, Debug)]
pub struct Draft {
    case: Case,
    events: Vec<Event>,
}

impl Draft {
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// When its latest event happened.
    pub fn last_at(&self) -> Timestamp {
        self.events.last().expect("a draft has its report event").at
    }
}

/// Finished histories ready to store together, with the sum of what they add to evaluation.
#[derive(Default)]
pub struct ImportBatch {
    histories: Vec<History>,
    counters: Contribution,
    events: usize,
}

impl ImportBatch {
    /// Folds the draft's facts and adds its contribution to the batch.
    pub fn add(&mut self, engine: &Engine, draft: Draft) {
        let (calendar, policy) = (&engine.rules().calendar, engine.policy());
        let facts = Facts::of(&draft.events, calendar, policy).expect("a draft has its report event");
        self.counters.merge(&contributions(&facts, calendar, policy));
        self.events += draft.events.len();
        self.histories.push(History { case: draft.case, events: draft.events, facts });
    }

    pub fn cases(&self) -> usize {
        self.histories.len()
    }

    pub fn events(&self) -> usize {
        self.events
    }
}

impl Engine {
    /// Opens a case in memory, with the checks of [`Engine::report_as`]; `id` must be reserved
    /// beforehand (`Store::allocate_case_ids`).
    pub fn draft(&self, id: i64, input: NewReport, reporter: &Actor, at: Timestamp) -> Result<Draft> {
        let (case, event) = self.open(id, input, reporter, at)?;
        Ok(Draft { case, events: vec![event] })
    }

    /// Takes one step on a draft, decided as [`Engine::act`] decides it.
    pub fn draft_act(&self, draft: &mut Draft, cmd: Command) -> Result<()> {
        self.check_command(&cmd)?;
        let (next, event) = case::decide(&draft.case, &cmd, self.rules())?;
        draft.case = next;
        draft.events.push(event);
        Ok(())
    }

    /// Stores a batch of histories in one transaction (see `Store::import_history`).
    pub async fn import(&self, batch: ImportBatch) -> Result<LedgerHead> {
        Ok(self.store().import_history(batch.histories, batch.counters).await?)
    }
}
