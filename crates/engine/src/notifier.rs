//! Notifications (通知): whoever must act is told, from the committed events.
//!
//! | event | kind | to |
//! |---|---|---|
//! | 预警 `warn` | `warned` | the lead unit; the supervisors whose scope covers the grid |
//! | 超期 `mark_overdue` | `overdue` | the lead unit; the supervisors whose scope covers the grid |
//! | 督办 `supervise` by the scheduler | `supervise` | the supervisors whose scope covers the grid |
//! | 督办 `supervise` by a supervisor | `supervise` | the lead unit |
//! | 升级 `escalate` | `escalated` | the leaders and the supervisors of the level escalated to |
//! | 催办 `urge` | `urged` | the lead unit |
//! | 派遣 `dispatch`, and a reopening that sends the case back to its unit | `dispatched` | the lead unit and the assisting units |
//! | 结案 `close` of a case that is followed up | `follow_up` | every follower who is a resident account |
//! | 结案 `close` of a hotline case | `callback` | the intake operators whose scope covers the grid |
//!
//! Groups are resolved from the reference data when the notification is written: "the
//! supervisors whose scope covers the grid" is one recipient per node on which supervisors hold
//! that role (`supervisor@110101`, …), and a node where nobody holds it gets nothing.
//!
//! **Nothing lost.** The notifier follows the audit ledger with a cursor kept in the store, like
//! the webhook feeder: it reads the events after the cursor and writes their notifications and
//! the new cursor in one transaction. It runs after every commit of this process and every
//! `poll` otherwise (commits of other nodes). A crash between a commit and its notifications is
//! caught up at the next start; writing a notification twice changes nothing (one per event and
//! recipient), so several nodes may run it side by side.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use yiwang_domain::case::{Action, Case, Channel, Event, Role, State};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::time::Timestamp;
use yiwang_store::accounts::AccountKind;
use yiwang_store::notifications::{NewNotification, NotificationKind, Recipient};
use yiwang_store::schedule::is_followed_up;
use yiwang_store::{Store, StoreError};

use crate::{Background, Engine, Loaded, ROUND_GAP};

/// Ledger entries read at once.
const PAGE: u32 = 256;
/// The cursor is written with every notification, and otherwise only this often (in ledger
/// entries or in time), so that events nobody is told about cost no write of their own.
const SAVE_EVERY: i64 = 10_000;
const SAVE_AFTER: Duration = Duration::from_secs(60);

/// The nodes on which each role that receives group notifications is held.
struct Staffing {
    nodes: HashMap<Role, BTreeSet<AreaCode>>,
}

impl Staffing {
    fn of(loaded: &Loaded) -> Staffing {
        let mut nodes: HashMap<Role, BTreeSet<AreaCode>> = HashMap::new();
        for s in &loaded.reference.staff {
            if matches!(s.role, Role::Supervisor | Role::Leader | Role::IntakeOperator) {
                nodes.entry(s.role).or_default().insert(s.scope.clone());
            }
        }
        Staffing { nodes }
    }

    /// Everyone holding `role` on a node that covers `grid`: one recipient per node.
    fn covering(&self, role: Role, grid: &AreaCode) -> Vec<Recipient> {
        self.nodes
            .get(&role)
            .into_iter()
            .flatten()
            .filter(|n| n.covers(grid))
            .map(|n| Recipient::Role { role, node: n.clone() })
            .collect()
    }

    /// Everyone holding `role` exactly on `node`, if anyone does.
    fn at(&self, role: Role, node: &AreaCode) -> Option<Recipient> {
        self.nodes.get(&role)?.contains(node).then(|| Recipient::Role { role, node: node.clone() })
    }
}

/// The deadline in force right after event `seq`: the last one an event set up to it.
fn due_after(events: &[Event], seq: u32) -> Option<Timestamp> {
    events
        .iter()
        .take_while(|e| e.seq <= seq)
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.detail).ok()?.get("due_at")?.as_i64())
        .last()
        .map(Timestamp)
}

/// What the notifications of one event are written from.
struct Context<'a> {
    engine: &'a Engine,
    loaded: &'a Loaded,
    staffing: &'a Staffing,
    case: &'a Case,
    events: &'a [Event],
    event: &'a Event,
    /// The followers who are resident accounts (looked up for closures only).
    residents: &'a [String],
}

impl Context<'_> {
    fn time(&self, t: Timestamp) -> String {
        t.at_offset(self.engine.rules().calendar.offset()).format("%Y-%m-%d %H:%M").to_string()
    }

    /// The case as named in a text: its id and subclass, in both languages.
    fn names(&self) -> (String, String) {
        let c = self.case;
        match self.engine.rules().taxonomy.subclass(c.subclass) {
            Some(s) => (format!("案卷 {}（{}）", c.id, s.name), format!("case {} ({})", c.id, s.en)),
            None => (format!("案卷 {}", c.id), format!("case {}", c.id)),
        }
    }

    fn due(&self) -> (String, String) {
        match due_after(self.events, self.event.seq) {
            Some(t) => {
                let t = self.time(t);
                (format!("，时限 {t}"), format!("; due {t}"))
            }
            None => (String::new(), String::new()),
        }
    }

    fn lead_unit(&self) -> Vec<Recipient> {
        yiwang_domain::case::units_after(self.events, self.event.seq).into_iter().take(1).map(Recipient::Unit).collect()
    }

    /// The notifications of the event: (recipients, kind, zh, en).
    fn derive(&self) -> Option<(Vec<Recipient>, NotificationKind, String, String)> {
        let (case, event) = (self.case, self.event);
        let (zh, en) = self.names();
        let (due_zh, due_en) = self.due();
        let supervisors = || self.staffing.covering(Role::Supervisor, &case.grid);
        let with_supervisors = |mut r: Vec<Recipient>| {
            r.extend(supervisors());
            r
        };
        let share = (self.engine.rules().warn_share * 100.0).round();
        Some(match event.step.as_str() {
            "warn" => (
                with_supervisors(self.lead_unit()),
                NotificationKind::Warned,
                format!("{zh}已用去 {share}% 的处置时间，请抓紧办理{due_zh}"),
                format!("{en} has used {share} % of its handling time: act soon{due_en}"),
            ),
            "mark_overdue" => (
                with_supervisors(self.lead_unit()),
                NotificationKind::Overdue,
                format!("{zh}已超期{due_zh}"),
                format!("{en} is overdue{due_en}"),
            ),
            "supervise" if event.role == Role::System => (
                supervisors(),
                NotificationKind::Supervise,
                format!("{zh}超期未办结，请督办"),
                format!("{en} is overdue: supervise it (督办)"),
            ),
            "supervise" => (
                self.lead_unit(),
                NotificationKind::Supervise,
                format!("{zh}已被督办，请加快办理"),
                format!("{en} is under supervision (督办): speed it up"),
            ),
            "escalate" => {
                let Ok(Action::Escalate { to }) = serde_json::from_str::<Action>(&event.detail) else { return None };
                let name = self.loaded.jurisdiction.area(&to).map_or_else(|| to.to_string(), |a| a.name.clone());
                let recipients = [Role::Leader, Role::Supervisor].into_iter().filter_map(|r| self.staffing.at(r, &to));
                (
                    recipients.collect(),
                    NotificationKind::Escalated,
                    format!("{zh}超期未办结，已升级至{name}"),
                    format!("{en} is overdue and was escalated to {name} ({to})"),
                )
            }
            "urge" => {
                let why = event.note.trim();
                (
                    self.lead_unit(),
                    NotificationKind::Urged,
                    if why.is_empty() { format!("{zh}被催办") } else { format!("{zh}被催办：{why}") },
                    if why.is_empty() {
                        format!("{en} was urged (催办)")
                    } else {
                        format!("{en} was urged (催办): {why}")
                    },
                )
            }
            _ if event.to == State::Dispatched => {
                let again = event.step != "dispatch";
                (
                    yiwang_domain::case::units_after(self.events, event.seq).into_iter().map(Recipient::Unit).collect(),
                    NotificationKind::Dispatched,
                    if again {
                        format!("{zh}已重新打开，请本单位再次办理{due_zh}")
                    } else {
                        format!("{zh}已派遣至本单位{due_zh}")
                    },
                    if again {
                        format!("{en} was reopened and is back with your unit{due_en}")
                    } else {
                        format!("{en} was dispatched to your unit{due_en}")
                    },
                )
            }
            _ => return None,
        })
    }

    /// Every notification of the event.
    fn notifications(&self) -> Vec<NewNotification> {
        let (case, event) = (self.case, self.event);
        let note = |recipient: Recipient, kind: NotificationKind, zh: &str, en: &str| NewNotification {
            recipient,
            case_id: case.id,
            event_seq: event.seq,
            kind,
            created_at: event.at,
            text_zh: zh.to_owned(),
            text_en: en.to_owned(),
        };
        let mut out = Vec::new();
        if event.step == "close" && is_followed_up(case) {
            let (zh, en) = self.names();
            let (ask_zh, ask_en) = (
                format!("您反映的问题（{zh}）已办结，请评价办理结果"),
                format!("Your report, {en}, is closed: please rate how it was handled"),
            );
            for r in self.residents {
                out.push(note(Recipient::Resident(r.clone()), NotificationKind::FollowUp, &ask_zh, &ask_en));
            }
            if case.channel == Channel::Hotline {
                let (call_zh, call_en) = (
                    format!("热线{zh}已办结，请回访来电人并记录评价"),
                    format!("Hotline {en} is closed: call the caller back and record their rating"),
                );
                for r in self.staffing.covering(Role::IntakeOperator, &case.grid) {
                    out.push(note(r, NotificationKind::Callback, &call_zh, &call_en));
                }
            }
        } else if let Some((recipients, kind, zh, en)) = self.derive() {
            // Capitalised: each text stands alone.
            let en = capitalise(&en);
            for r in recipients {
                out.push(note(r, kind, &zh, &en));
            }
        }
        out
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Follows the ledger for one process.
pub struct Notifier {
    engine: Arc<Engine>,
    /// Where this notifier has read to.
    cursor: i64,
    /// The cursor as last stored, and when.
    saved: i64,
    saved_at: Instant,
}

impl Notifier {
    /// Starts where the store says notifications were written to.
    pub async fn new(engine: Arc<Engine>) -> Result<Notifier, StoreError> {
        let cursor = engine.store().notification_cursor().await?;
        Ok(Notifier { engine, cursor, saved: cursor, saved_at: Instant::now() })
    }

    /// Writes the notifications of every event after the cursor up to the ledger's head;
    /// returns how many were written.
    pub async fn round(&mut self) -> Result<u64, StoreError> {
        let store = self.engine.store().clone();
        let head = store.ledger_head().await?.seq;
        let mut added = 0;
        while self.cursor < head {
            let page: Vec<_> =
                store.ledger_page(self.cursor, PAGE).await?.into_iter().take_while(|e| e.ledger_seq <= head).collect();
            let Some(last) = page.last().map(|e| e.ledger_seq) else { break };
            let loaded = self.engine.loaded();
            let staffing = Staffing::of(&loaded);
            let cases = yiwang_store::cases_of(store.as_ref(), page.iter()).await?;
            let mut out = Vec::new();
            for entry in &page {
                let (Some(case), events) = &cases[&entry.case_id] else { continue };
                let Some(event) = events.iter().find(|e| e.seq == entry.seq) else {
                    tracing::warn!(case = entry.case_id, seq = entry.seq, "an event in the ledger is missing");
                    continue;
                };
                let residents = if event.step == "close" { resident_accounts(&store, case).await? } else { vec![] };
                let context = Context {
                    engine: &self.engine,
                    loaded: &loaded,
                    staffing: &staffing,
                    case,
                    events,
                    event,
                    residents: &residents,
                };
                out.extend(context.notifications());
            }
            added += self.advance(&store, &out, last).await?;
        }
        Ok(added)
    }

    /// Writes the notifications and moves the cursor to `to`, storing it when anything was
    /// written or when it is due.
    async fn advance(&mut self, store: &Arc<dyn Store>, out: &[NewNotification], to: i64) -> Result<u64, StoreError> {
        let due = to - self.saved >= SAVE_EVERY || self.saved_at.elapsed() >= SAVE_AFTER;
        let added = if !out.is_empty() || due {
            let added = store.add_notifications(out, to).await?;
            self.saved = to;
            self.saved_at = Instant::now();
            added
        } else {
            0
        };
        self.cursor = to;
        Ok(added)
    }

    /// Runs on the current runtime: after every commit of this process, and every `poll`.
    pub fn start(engine: Arc<Engine>, poll: Duration) -> Background {
        Background::spawn(async move {
            // Subscribed before the first round: whatever is committed later wakes the next one.
            let mut rx = engine.subscribe();
            let mut notifier = None;
            loop {
                let started = Instant::now();
                if notifier.is_none() {
                    match Notifier::new(engine.clone()).await {
                        Ok(n) => notifier = Some(n),
                        Err(e) => tracing::error!(error = %e, "reading the notification cursor failed; retrying"),
                    }
                }
                if let Some(n) = notifier.as_mut() {
                    match n.round().await {
                        Ok(0) => {}
                        Ok(added) => tracing::debug!(notifications = added, "notifications written"),
                        Err(e) => tracing::error!(error = %e, "writing notifications failed; retrying"),
                    }
                }
                tokio::select! {
                    r = rx.recv() => if matches!(r, Err(RecvError::Closed)) { return },
                    _ = tokio::time::sleep(poll) => {}
                }
                tokio::time::sleep_until((started + ROUND_GAP).into()).await;
                // Whatever else was announced meanwhile is read by the next round anyway.
                while !matches!(rx.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
            }
        })
    }
}

/// The case's followers who are residents with an account (those can rate it in the portal).
async fn resident_accounts(store: &Arc<dyn Store>, case: &Case) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for f in &case.followers {
        if store.account(f).await?.is_some_and(|a| a.kind == AccountKind::Resident) {
            out.push(f.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u32, step: &str, detail: serde_json::Value) -> Event {
        Event {
            case_id: 1,
            seq,
            at: Timestamp(0),
            actor: "x".into(),
            role: Role::Dispatcher,
            step: step.into(),
            from: None,
            to: State::Dispatched,
            note: String::new(),
            attachments: vec![],
            detail: detail.to_string(),
            prev: [0; 32],
            hash: [0; 32],
        }
    }

    #[test]
    fn deadlines_follow_the_events() {
        let events = vec![
            event(1, "report", serde_json::json!({})),
            event(
                2,
                "dispatch",
                serde_json::json!({"action": "dispatch", "lead": "a", "assisting": ["b"], "due_at": 5}),
            ),
            event(3, "return", serde_json::json!({"action": "return"})),
            event(4, "dispatch", serde_json::json!({"action": "dispatch", "lead": "c", "assisting": [], "due_at": 9})),
            event(
                5,
                "decide_extension",
                serde_json::json!({"action": "decide_extension", "approve": true, "due_at": 12}),
            ),
        ];
        assert_eq!(due_after(&events, 1), None);
        assert_eq!(due_after(&events, 3), Some(Timestamp(5)));
        assert_eq!(due_after(&events, 5), Some(Timestamp(12)));
        assert_eq!(capitalise("case 1"), "Case 1");
    }
}
