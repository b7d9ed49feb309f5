//! `yiwang audit verify`: walk the whole store and name the first place that was changed.
//!
//! Three passes over pages of rows, so memory stays flat however large the store:
//! every case's events against its chain and its row, then the ledger in commit order.

use std::collections::VecDeque;
use std::pin::Pin;

use yiwang_domain::audit::{CaseCheck, CaseHead, LedgerCheck, Tamper, TamperKind};
use yiwang_domain::case::Event;

use crate::{Result, Store};

const PAGE: u32 = 5_000;

/// What a clean verification saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub cases: u64,
    pub events: u64,
}

/// Verifies the whole store. `Ok(Err(tamper))` names the first fault; `Err` is a database failure.
/// `progress` is called with the number of events checked so far.
pub async fn verify(store: &dyn Store, progress: &(dyn Fn(u64) + Sync)) -> Result<Result<AuditReport, Tamper>> {
    let mut report = AuditReport::default();
    // Pass 1: case rows and events, both in case id order, walked side by side.
    let mut heads =
        Pages::new(store, (0, 0), |s, after| Box::pin(s.case_heads(after.0, PAGE)), |h: &CaseHead| (h.id, 0));
    let mut events =
        Pages::new(store, (0, 0), |s, after| Box::pin(s.events_page(after, PAGE)), |e: &Event| (e.case_id, e.seq));
    loop {
        let head = heads.next().await?;
        // Every event of an earlier case was consumed with it: what is left below this id has no case.
        if let Some(e) = events.peek().await?
            && head.as_ref().is_none_or(|h| e.case_id < h.id)
        {
            return Ok(Err(orphan(e)));
        }
        let Some(head) = head else { break };
        let mut check = CaseCheck::new(head.id);
        while events.peek().await?.is_some_and(|e| e.case_id == head.id) {
            let e = events.next().await?.expect("peeked");
            if let Err(t) = check.event(&e) {
                return Ok(Err(t));
            }
            report.events += 1;
            if report.events % 50_000 == 0 {
                progress(report.events);
            }
        }
        if let Err(t) = check.finish(&head) {
            return Ok(Err(t));
        }
        report.cases += 1;
    }

    // Pass 2: the ledger, in commit order.
    let mut ledger = LedgerCheck::default();
    loop {
        let page = store.ledger_page(ledger.count(), PAGE).await?;
        if page.is_empty() {
            break;
        }
        for entry in &page {
            if let Err(t) = ledger.entry(entry) {
                return Ok(Err(t));
            }
        }
    }
    let head = store.ledger_head().await?;
    if let Err(t) = ledger.finish(head.seq, &head.hash) {
        return Ok(Err(t));
    }
    progress(report.events);
    Ok(Ok(report))
}

fn orphan(e: &Event) -> Tamper {
    Tamper {
        case_id: e.case_id,
        seq: e.seq,
        ledger_seq: None,
        kind: TamperKind::Inserted,
        detail: "an event of a case that does not exist".into(),
    }
}

type Fetch<T> = for<'s> fn(&'s dyn Store, (i64, u32)) -> Pin<Box<dyn Future<Output = Result<Vec<T>>> + Send + 's>>;

/// Rows fetched page by page, read one at a time.
struct Pages<'s, T> {
    store: &'s dyn Store,
    buf: VecDeque<T>,
    after: (i64, u32),
    done: bool,
    fetch: Fetch<T>,
    key: fn(&T) -> (i64, u32),
}

impl<'s, T> Pages<'s, T> {
    fn new(store: &'s dyn Store, after: (i64, u32), fetch: Fetch<T>, key: fn(&T) -> (i64, u32)) -> Self {
        Pages { store, buf: VecDeque::new(), after, done: false, fetch, key }
    }

    async fn peek(&mut self) -> Result<Option<&T>> {
        if self.buf.is_empty() && !self.done {
            self.buf = (self.fetch)(self.store, self.after).await?.into();
            self.done = self.buf.is_empty();
        }
        Ok(self.buf.front())
    }

    async fn next(&mut self) -> Result<Option<T>> {
        self.peek().await?;
        let item = self.buf.pop_front();
        if let Some(i) = &item {
            self.after = (self.key)(i);
        }
        Ok(item)
    }
}
