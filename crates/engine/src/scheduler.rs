//! The deadline scheduler (时限监督): supervision of time for every open case.
//!
//! For a case whose handling clock runs (dispatched, being handled, reported back) the
//! scheduler takes, each at its own instant:
//! 1. **预警** (`warn`) when the warning share of the time has passed (`Rules::warn_share`,
//!    default 80 %: the case's `clock.warn_at`);
//! 2. **超期** (`mark_overdue`) at the deadline (`clock.due_at`);
//! 3. **督办** (`supervise`) [`Policy::supervise_after`] working time after the deadline: the
//!    supervisors are tasked;
//! 4. **升级** (`escalate`) one level up the jurisdiction tree every
//!    [`Policy::escalate_after`] of working time after that, from [`Policy::escalate_from`] up to
//!    [`Policy::escalate_up_to`] and no further.
//!
//! And for a closed case that is followed up (`yiwang_store::schedule::is_followed_up`) but
//! unanswered, **回访超时** (`follow_up_expired`) [`Policy::follow_up_within`] of working time
//! after the closure.
//!
//! Every step is a case event taken through [`Engine::act_on`] as `Actor::system()` — so it is
//! in the hash chain, published live, and notified like any other — at the instant it fell due,
//! not when the scheduler got to it: after downtime, [`Scheduler::catch_up`] takes everything
//! that fell due meanwhile, in order, with the true instants. A step is never dated before the
//! case's latest event, so a case's chain always runs forward in time.
//!
//! Which step comes next is [`next_step`], a function of the case and the policy alone. The
//! store keeps each case's wake time (`yiwang_store::schedule`): the scheduler reads the cases
//! whose time has come, takes their due steps and writes back when each needs it next, then
//! sleeps until the earliest wake time (at most [`Scheduler::max_sleep`]) or until a commit
//! wakes it. It never scans the open cases.
//!
//! Several schedulers may run at once (one per node): each step is written only on the copy of
//! the case it was planned from, so a second scheduler finds the case changed, or the domain
//! refuses the step (`not_due`, `already_answered`), and moves on quietly. Nothing is done twice.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use yiwang_domain::calendar::Calendar;
use yiwang_domain::case::{Action, Actor, Case, Command, Rules, State};
use yiwang_domain::codes::Level;
use yiwang_domain::time::Timestamp;
use yiwang_store::StoreError;
use yiwang_store::schedule::{Wake, awaits_follow_up};

use crate::clock::Clock;
use crate::{Background, Engine, EngineError, ROUND_GAP, Result};

/// Cases read at once.
const BATCH: u32 = 256;

/// An amount of working time (工作时间), as a deployment writes it: `0`, `30m`, `2h` or `1d`
/// (working days of the calendar's length, 420 minutes by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkingTime {
    Minutes(i64),
    Days(i64),
}

impl WorkingTime {
    /// In working minutes, with the calendar's length of a working day.
    pub fn minutes(self, calendar: &Calendar) -> i64 {
        match self {
            WorkingTime::Minutes(m) => m,
            WorkingTime::Days(d) => d.saturating_mul(calendar.minutes_per_working_day()),
        }
    }
}

impl FromStr for WorkingTime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad = || format!("“{s}” is not an amount of working time: write 0, 30m, 2h or 1d");
        if s == "0" {
            return Ok(WorkingTime::Minutes(0));
        }
        let (n, unit) = s.split_at(s.len().saturating_sub(1));
        let n: i64 = n.parse().map_err(|_| bad())?;
        if !(0..=100_000).contains(&n) {
            return Err(bad());
        }
        match unit {
            "m" => Ok(WorkingTime::Minutes(n)),
            "h" => Ok(WorkingTime::Minutes(n * 60)),
            "d" => Ok(WorkingTime::Days(n)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for WorkingTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            WorkingTime::Minutes(0) => f.write_str("0"),
            WorkingTime::Minutes(m) if m % 60 == 0 => write!(f, "{}h", m / 60),
            WorkingTime::Minutes(m) => write!(f, "{m}m"),
            WorkingTime::Days(d) => write!(f, "{d}d"),
        }
    }
}

/// The deployment's supervision policy (督办与升级规则). Every delay is working time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// After the deadline, before the supervisors are tasked (督办). Default 0: at once.
    pub supervise_after: WorkingTime,
    /// After 督办, before the first escalation, and between one escalation and the next.
    /// Default one working day.
    pub escalate_after: WorkingTime,
    /// The first level escalated to. Default the street (街道乡镇), the hub that cases are sent
    /// to straight away (直派).
    pub escalate_from: Level,
    /// The last level escalated to. Default the county (区县): nothing goes above it.
    pub escalate_up_to: Level,
    /// After closure, before an unanswered follow-up expires (回访超时). Default three working
    /// days, counted in working time so that a holiday does not eat the callback operators' time.
    pub follow_up_within: WorkingTime,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            supervise_after: WorkingTime::Minutes(0),
            escalate_after: WorkingTime::Days(1),
            escalate_from: Level::Street,
            escalate_up_to: Level::County,
            follow_up_within: WorkingTime::Days(3),
        }
    }
}

impl Policy {
    /// Checks that the escalation runs upwards between areas (province to community).
    pub fn check(&self) -> Result<(), String> {
        if self.escalate_from >= Level::Grid || self.escalate_up_to >= Level::Grid {
            return Err("escalation goes to areas (province to community), not to grids".into());
        }
        if self.escalate_up_to > self.escalate_from {
            return Err(format!(
                "escalation runs upwards: {:?} is below the first level {:?}",
                self.escalate_up_to, self.escalate_from
            ));
        }
        Ok(())
    }

    /// The levels escalated to, in order: from `escalate_from` up to `escalate_up_to`.
    pub fn escalation_levels(&self) -> Vec<Level> {
        Level::ALL.iter().rev().copied().filter(|l| *l <= self.escalate_from && *l >= self.escalate_up_to).collect()
    }

    /// The policy as stored: a change of it (or of the calendar's working day) makes the store
    /// plan every case again.
    pub fn fingerprint(&self, calendar: &Calendar) -> String {
        let digest = yiwang_domain::audit::sm3(format!("{calendar:?}").as_bytes());
        let calendar: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "supervise_after={} escalate_after={} escalate_from={:?} escalate_up_to={:?} follow_up_within={} calendar={calendar}",
            self.supervise_after, self.escalate_after, self.escalate_from, self.escalate_up_to, self.follow_up_within
        )
    }
}

/// A step the scheduler takes, and when it falls due.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub at: Timestamp,
    pub action: Action,
}

/// The next step the scheduler owes this case, due now or later; `None` when it owes nothing
/// (until the case changes).
pub fn next_step(case: &Case, policy: &Policy, rules: &Rules) -> Option<Step> {
    let calendar = &rules.calendar;
    match case.state {
        State::Dispatched | State::Handling | State::ReportedBack if case.clock.running_since.is_some() => {
            let (warn_at, due_at) = (case.clock.warn_at?, case.clock.due_at?);
            if !case.warned {
                return Some(Step { at: warn_at, action: Action::Warn });
            }
            if !case.overdue {
                return Some(Step { at: due_at, action: Action::MarkOverdue });
            }
            let supervise_at = calendar.add_working_minutes(due_at, policy.supervise_after.minutes(calendar));
            if !case.supervised {
                return Some(Step { at: supervise_at, action: Action::Supervise });
            }
            // One level above where the case stands now, if the policy goes that far.
            let current = case.escalated_to.as_ref().map_or(case.grid.level(), |a| a.level());
            let levels = policy.escalation_levels();
            let (k, level) = levels.iter().enumerate().find(|(_, l)| **l < current)?;
            let to = case.grid.at_level(*level)?;
            let after = (k as i64 + 1).saturating_mul(policy.escalate_after.minutes(calendar));
            Some(Step { at: calendar.add_working_minutes(supervise_at, after), action: Action::Escalate { to } })
        }
        State::ClosedFixed | State::ClosedNotFixed if awaits_follow_up(case) => Some(Step {
            at: calendar.add_working_minutes(case.closed_at?, policy.follow_up_within.minutes(calendar)),
            action: Action::FollowUpExpired,
        }),
        _ => None,
    }
}

/// What one catch-up did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Steps taken.
    pub acted: u64,
    /// Cases whose next wake time was written.
    pub planned: u64,
    /// Steps not taken because the case had changed or the step was refused.
    pub skipped: u64,
}

/// The scheduler of one process.
pub struct Scheduler {
    engine: Arc<Engine>,
    policy: Policy,
    clock: Arc<dyn Clock>,
    adopted: AtomicBool,
    /// The longest sleep between two looks at the store (default 30 s): what a commit of
    /// another node, which does not wake this one, may wait at most.
    pub max_sleep: Duration,
}

impl Scheduler {
    pub fn new(engine: Arc<Engine>, policy: Policy, clock: Arc<dyn Clock>) -> Scheduler {
        Scheduler { engine, policy, clock, adopted: AtomicBool::new(false), max_sleep: Duration::from_secs(30) }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Takes every step due at `now`, each at its own instant and in their order, and writes
    /// down when each case concerned needs the scheduler next. The first call makes the policy
    /// the one in force in the store (planning every case again if it changed).
    pub async fn catch_up(&self, now: Timestamp) -> Result<Round> {
        let store = self.engine.store();
        if !self.adopted.load(Ordering::SeqCst) {
            let fingerprint = self.policy.fingerprint(&self.engine.rules().calendar);
            if store.adopt_schedule_policy(&fingerprint).await? {
                tracing::info!(policy = %fingerprint, "new supervision policy: every case is planned again");
            }
            self.adopted.store(true, Ordering::SeqCst);
        }
        let mut round = Round::default();
        loop {
            let cases = store.cases_to_wake(now, BATCH).await?;
            if cases.is_empty() {
                return Ok(round);
            }
            let mut due = Vec::new();
            let mut wakes = Vec::new();
            for case in cases {
                match next_step(&case, &self.policy, self.engine.rules()) {
                    Some(step) if step.at <= now => due.push((step, case)),
                    later => wakes.push(Wake { case_id: case.id, seq: case.seq, at: later.map(|s| s.at) }),
                }
            }
            round.planned += store.set_wakes(&wakes).await?;
            due.sort_by_key(|(step, case)| (step.at, case.id));
            for (step, case) in due {
                if self.take(&case, step).await? {
                    round.acted += 1;
                } else {
                    round.skipped += 1;
                }
            }
        }
    }

    /// Takes one step on the copy of the case it was planned from. `false` when it was not taken.
    async fn take(&self, case: &Case, step: Step) -> Result<bool> {
        let store = self.engine.store();
        // Never before the case's latest event: a case's chain runs forward in time.
        let latest = store.events(case.id).await?.last().map_or(case.reported_at, |e| e.at);
        let name = step.action.name();
        let cmd = Command {
            actor: Actor::system(),
            at: step.at.max(latest),
            action: step.action,
            note: String::new(),
            attachments: vec![],
        };
        match self.engine.act_on(case, cmd).await {
            Ok(_) => {
                tracing::debug!(case = case.id, step = name, at = step.at.0, "deadline step taken");
                Ok(true)
            }
            Err(EngineError::Store(StoreError::Conflict { .. })) => {
                // Someone else wrote first (another scheduler, a person): their commit planned it anew.
                tracing::debug!(case = case.id, step = name, "the case changed meanwhile");
                Ok(false)
            }
            Err(EngineError::Refused(r)) => {
                let fresh = self.engine.case(case.id).await?;
                if fresh.seq == case.seq {
                    // The rules refuse what the plan says: leave the case until it changes.
                    tracing::warn!(case = case.id, step = name, code = r.code, "a deadline step was refused: {r}");
                    store.set_wakes(&[Wake { case_id: case.id, seq: case.seq, at: None }]).await?;
                } else {
                    tracing::debug!(case = case.id, step = name, code = r.code, "the step was taken elsewhere");
                }
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Runs on the current runtime: catches up at once, then whenever a case's wake time comes.
    pub fn start(self) -> Background {
        Background::spawn(async move {
            let mut rx = self.engine.subscribe();
            loop {
                let started = Instant::now();
                match self.catch_up(self.clock.now()).await {
                    Ok(r) if r.acted > 0 => tracing::info!(steps = r.acted, "deadline steps taken"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "the deadline scheduler failed; retrying"),
                }
                // Its own commits were announced meanwhile; whatever else was is planned within
                // `max_sleep` at the latest.
                while !matches!(rx.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
                let wait = match self.engine.store().next_wake().await {
                    Ok(Some(at)) => Duration::from_millis((at.0 - self.clock.now().0).max(0) as u64),
                    Ok(None) => self.max_sleep,
                    Err(e) => {
                        tracing::error!(error = %e, "reading the next wake time failed");
                        self.max_sleep
                    }
                };
                // Never spin, never oversleep.
                let wait = wait.clamp(Duration::from_millis(20), self.max_sleep);
                tokio::select! {
                    r = rx.recv() => if matches!(r, Err(RecvError::Closed)) { return },
                    _ = tokio::time::sleep(wait) => {}
                }
                tokio::time::sleep_until((started + ROUND_GAP).into()).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_time_is_written_as_the_taxonomy_writes_limits() {
        for (s, w) in [
            ("0", WorkingTime::Minutes(0)),
            ("30m", WorkingTime::Minutes(30)),
            ("2h", WorkingTime::Minutes(120)),
            ("1d", WorkingTime::Days(1)),
        ] {
            assert_eq!(s.parse::<WorkingTime>(), Ok(w));
            assert_eq!(w.to_string(), s);
        }
        for bad in ["", "d", "-1d", "1w", "1.5d", "x"] {
            assert!(bad.parse::<WorkingTime>().is_err(), "{bad}");
        }
        let calendar = Calendar::china_default();
        assert_eq!(WorkingTime::Days(3).minutes(&calendar), 3 * 420);
    }

    #[test]
    fn escalation_runs_upwards_from_the_first_level_to_the_last() {
        let p = Policy::default();
        assert_eq!(p.check(), Ok(()));
        assert_eq!(p.escalation_levels(), [Level::Street, Level::County]);
        let wide = Policy { escalate_from: Level::Community, escalate_up_to: Level::City, ..Policy::default() };
        assert_eq!(wide.escalation_levels(), [Level::Community, Level::Street, Level::County, Level::City]);
        assert!(Policy { escalate_up_to: Level::Community, ..Policy::default() }.check().is_err());
        assert!(Policy { escalate_from: Level::Grid, ..Policy::default() }.check().is_err());
    }

    #[test]
    fn the_fingerprint_changes_with_every_setting() {
        let calendar = Calendar::china_default();
        let base = Policy::default().fingerprint(&calendar);
        assert_eq!(base, Policy::default().fingerprint(&calendar));
        for other in [
            Policy { supervise_after: WorkingTime::Minutes(60), ..Policy::default() },
            Policy { escalate_after: WorkingTime::Days(2), ..Policy::default() },
            Policy { escalate_from: Level::Community, ..Policy::default() },
            Policy { escalate_up_to: Level::City, ..Policy::default() },
            Policy { follow_up_within: WorkingTime::Days(5), ..Policy::default() },
        ] {
            assert_ne!(other.fingerprint(&calendar), base, "{other:?}");
        }
    }
}
