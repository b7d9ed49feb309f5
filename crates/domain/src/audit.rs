//! The tamper-evident record (防篡改审计链), with SM3 (GB/T 32905).
//!
//! Two chains cover every event:
//! - per case, each event's hash covers its content and the previous event's hash, so an edit,
//!   a deletion, an insertion or a reordering inside a case breaks the links after it;
//! - across the store, the ledger (总账) chains every event's hash in commit order, so deleting a
//!   whole case, or its last events, breaks the ledger even where the case chain looks whole.
//!
//! The chains are unkeyed: someone who can rewrite the database *and* recompute every hash after
//! the change is not stopped by them alone. Publishing the ledger head elsewhere from time to
//! time (a printed report, another system) anchors it.
//!
//! [`CaseCheck`] and [`LedgerCheck`] verify what the store streams to them and name the first
//! case and event that does not fit.

use std::fmt;

use sm3::{Digest, Sm3};

use crate::case::{Event, State};

/// An SM3 digest.
pub type Hash = [u8; 32];

/// The `prev` of a case's first event and the start of the ledger.
pub const GENESIS: Hash = [0; 32];

pub fn sm3(bytes: &[u8]) -> Hash {
    Sm3::digest(bytes).into()
}

/// The hash of an event: SM3 over its fields, each length-prefixed so that no two different
/// events share an encoding. `hash` itself is not covered.
pub fn event_hash(e: &Event) -> Hash {
    let mut h = Sm3::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u32).to_be_bytes());
        h.update(b);
    };
    field(b"yiwang-event-v1");
    field(&e.case_id.to_be_bytes());
    field(&e.seq.to_be_bytes());
    field(&e.at.0.to_be_bytes());
    field(e.actor.as_bytes());
    field(e.role.as_str().as_bytes());
    field(e.step.as_bytes());
    field(e.from.map_or("", State::as_str).as_bytes());
    field(e.to.as_str().as_bytes());
    field(e.note.as_bytes());
    field(&(e.attachments.len() as u32).to_be_bytes());
    for a in &e.attachments {
        field(a.as_bytes());
    }
    field(e.detail.as_bytes());
    field(&e.prev);
    h.finalize().into()
}

/// The next ledger hash after appending an event.
pub fn ledger_next(prev: &Hash, event_hash: &Hash) -> Hash {
    let mut h = Sm3::new();
    h.update(prev);
    h.update(event_hash);
    h.finalize().into()
}

/// What kind of change was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TamperKind {
    /// An event's content no longer matches its hash.
    Edited,
    /// An event is missing.
    Deleted,
    /// An event was added that the chain did not record.
    Inserted,
    /// Events are out of their recorded order.
    Reordered,
    /// The case row disagrees with its last event.
    CaseRowChanged,
}

/// The first place where the record does not fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tamper {
    pub case_id: i64,
    /// The event's sequence number inside the case (0 when the case row itself is at fault).
    pub seq: u32,
    /// The event's position in the ledger, when known.
    pub ledger_seq: Option<i64>,
    pub kind: TamperKind,
    pub detail: String,
}

impl Tamper {
    /// The finding in Chinese, for the people who answer for the record.
    pub fn message_zh(&self) -> String {
        let what = match self.kind {
            TamperKind::Edited => "内容被修改",
            TamperKind::Deleted => "被删除",
            TamperKind::Inserted => "被插入",
            TamperKind::Reordered => "顺序被调换",
            TamperKind::CaseRowChanged => "案卷记录与事件不符",
        };
        let place = match self.ledger_seq {
            Some(l) => format!("（总账第 {l} 条）"),
            None => String::new(),
        };
        format!("案卷 {} 的第 {} 个事件{place}{what}", self.case_id, self.seq)
    }
}

impl fmt::Display for Tamper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TamperKind::Edited => "edited",
            TamperKind::Deleted => "deleted",
            TamperKind::Inserted => "inserted",
            TamperKind::Reordered => "reordered",
            TamperKind::CaseRowChanged => "case row changed",
        };
        write!(f, "case {} event {}", self.case_id, self.seq)?;
        if let Some(l) = self.ledger_seq {
            write!(f, " (ledger #{l})")?;
        }
        write!(f, ": {what} — {}", self.detail)
    }
}

/// The head of one case as its row records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseHead {
    pub id: i64,
    pub seq: u32,
    pub state: State,
    pub head: Hash,
}

/// Checks one case: its events in `seq` order, then its row.
pub struct CaseCheck {
    case_id: i64,
    prev: Hash,
    seq: u32,
    last_state: Option<State>,
    seen: Vec<Hash>,
}

impl CaseCheck {
    pub fn new(case_id: i64) -> CaseCheck {
        CaseCheck { case_id, prev: GENESIS, seq: 0, last_state: None, seen: Vec::new() }
    }

    /// Feeds the next event as stored (ordered by `seq`).
    pub fn event(&mut self, e: &Event) -> Result<(), Tamper> {
        let tamper = |seq, kind, detail: String| Tamper { case_id: self.case_id, seq, ledger_seq: None, kind, detail };
        if e.case_id != self.case_id {
            return Err(tamper(e.seq, TamperKind::Inserted, format!("event belongs to case {}", e.case_id)));
        }
        let expected = self.seq + 1;
        if e.seq > expected {
            return Err(tamper(
                expected,
                TamperKind::Deleted,
                format!("event {expected} is missing; the next stored event is {}", e.seq),
            ));
        }
        if e.seq < expected {
            return Err(tamper(e.seq, TamperKind::Inserted, format!("a second event numbered {}", e.seq)));
        }
        if event_hash(e) != e.hash {
            return Err(tamper(e.seq, TamperKind::Edited, "content does not match its hash".into()));
        }
        if e.prev != self.prev {
            let kind = if self.seen.contains(&e.prev) || e.prev == GENESIS {
                TamperKind::Reordered
            } else {
                TamperKind::Inserted
            };
            return Err(tamper(e.seq, kind, "does not follow the event before it".into()));
        }
        if e.from != self.last_state {
            return Err(tamper(e.seq, TamperKind::Reordered, "starts from a state the case was not in".into()));
        }
        self.seen.push(e.hash);
        self.prev = e.hash;
        self.seq = e.seq;
        self.last_state = Some(e.to);
        Ok(())
    }

    /// Compares the case row with the last event.
    pub fn finish(self, row: &CaseHead) -> Result<(), Tamper> {
        let tamper =
            |kind, detail: String| Tamper { case_id: self.case_id, seq: self.seq, ledger_seq: None, kind, detail };
        if row.seq > self.seq {
            return Err(Tamper {
                seq: self.seq + 1,
                ..tamper(TamperKind::Deleted, format!("the case records {} events, {} are stored", row.seq, self.seq))
            });
        }
        if row.seq < self.seq {
            return Err(tamper(
                TamperKind::Inserted,
                format!("the case records {} events, {} are stored", row.seq, self.seq),
            ));
        }
        if row.head != self.prev {
            return Err(Tamper {
                seq: 0,
                ..tamper(TamperKind::CaseRowChanged, "the case's head hash is not its last event's".into())
            });
        }
        if Some(row.state) != self.last_state {
            return Err(Tamper {
                seq: 0,
                ..tamper(
                    TamperKind::CaseRowChanged,
                    format!("the case says {}, its events say {:?}", row.state, self.last_state),
                )
            });
        }
        Ok(())
    }
}

/// Checks the ledger: every event's hash in commit order.
pub struct LedgerCheck {
    prev: Hash,
    seq: i64,
}

/// One ledger entry as stored.
#[derive(Clone, Debug)]
pub struct LedgerEntry {
    pub ledger_seq: i64,
    pub case_id: i64,
    pub seq: u32,
    pub event_hash: Hash,
    pub ledger_hash: Hash,
}

impl Default for LedgerCheck {
    fn default() -> Self {
        LedgerCheck { prev: GENESIS, seq: 0 }
    }
}

impl LedgerCheck {
    pub fn entry(&mut self, e: &LedgerEntry) -> Result<(), Tamper> {
        let tamper = |kind, detail: String| Tamper {
            case_id: e.case_id,
            seq: e.seq,
            ledger_seq: Some(e.ledger_seq),
            kind,
            detail,
        };
        let expected = self.seq + 1;
        if e.ledger_seq > expected {
            return Err(Tamper {
                ledger_seq: Some(expected),
                ..tamper(
                    TamperKind::Deleted,
                    format!("ledger entry {expected} is missing (an event was deleted before this one)"),
                )
            });
        }
        if e.ledger_seq < expected {
            return Err(tamper(TamperKind::Inserted, format!("ledger entry {} appears twice", e.ledger_seq)));
        }
        if ledger_next(&self.prev, &e.event_hash) != e.ledger_hash {
            return Err(tamper(TamperKind::Edited, "the event is not the one the ledger recorded here".into()));
        }
        self.prev = e.ledger_hash;
        self.seq = e.ledger_seq;
        Ok(())
    }

    /// Compares with the stored ledger head (count and hash).
    pub fn finish(self, head_seq: i64, head_hash: &Hash) -> Result<(), Tamper> {
        if head_seq != self.seq || *head_hash != self.prev {
            return Err(Tamper {
                case_id: 0,
                seq: 0,
                ledger_seq: Some(self.seq + 1),
                kind: if head_seq > self.seq { TamperKind::Deleted } else { TamperKind::Inserted },
                detail: format!("the ledger head records {head_seq} events, {} are stored in order", self.seq),
            });
        }
        Ok(())
    }

    pub fn count(&self) -> i64 {
        self.seq
    }
}

/// Serde for hashes as hex strings.
pub mod hex_hash {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Hash;

    pub fn serialize<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = String::deserialize(d)?;
        let mut h = [0u8; 32];
        hex::decode_to_slice(s, &mut h).map_err(serde::de::Error::custom)?;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_matches_the_standard_vector() {
        assert_eq!(hex::encode(sm3(b"abc")), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    }
}
