//! Supervision of time on the command line: the delays and levels of the deadline scheduler
//! (see `yiwang_engine::scheduler`). Every delay is working time: `0`, `30m`, `2h` or `1d`.

use std::sync::Arc;
use std::time::Duration;

use yiwang_domain::codes::Level;
use yiwang_engine::clock::SystemClock;
use yiwang_engine::notifier::Notifier;
use yiwang_engine::scheduler::{Policy, Scheduler, WorkingTime};
use yiwang_engine::{Background, Engine};

#[derive(clap::Args, Clone, Debug)]
pub struct SupervisionOptions {
    /// Working time after a deadline before the supervisors are tasked (督办).
    #[arg(long, global = true, env = "YIWANG_SUPERVISE_AFTER", default_value = "0")]
    pub supervise_after: WorkingTime,
    /// Working time after 督办 before escalating one level up, and between escalations.
    #[arg(long, global = true, env = "YIWANG_ESCALATE_AFTER", default_value = "1d")]
    pub escalate_after: WorkingTime,
    /// The first level an overdue case is escalated to: community, street, county, city, province.
    #[arg(long, global = true, env = "YIWANG_ESCALATE_FROM", default_value = "street", value_parser = parse_level)]
    pub escalate_from: Level,
    /// The highest level an overdue case is escalated to.
    #[arg(long, global = true, env = "YIWANG_ESCALATE_UP_TO", default_value = "county", value_parser = parse_level)]
    pub escalate_up_to: Level,
    /// Working time after closure before an unanswered follow-up expires (回访超时).
    #[arg(long, global = true, env = "YIWANG_FOLLOW_UP_WITHIN", default_value = "3d")]
    pub follow_up_within: WorkingTime,
}

fn parse_level(s: &str) -> Result<Level, String> {
    match s.trim() {
        "province" => Ok(Level::Province),
        "city" => Ok(Level::City),
        "county" => Ok(Level::County),
        "street" => Ok(Level::Street),
        "community" => Ok(Level::Community),
        _ => Err(format!("“{s}” is not a level: write community, street, county, city or province")),
    }
}

impl SupervisionOptions {
    pub fn policy(&self) -> anyhow::Result<Policy> {
        let policy = Policy {
            supervise_after: self.supervise_after,
            escalate_after: self.escalate_after,
            escalate_from: self.escalate_from,
            escalate_up_to: self.escalate_up_to,
            follow_up_within: self.follow_up_within,
        };
        policy.check().map_err(anyhow::Error::msg)?;
        Ok(policy)
    }
}

/// Starts the deadline scheduler and the notifier beside the server.
pub fn start(engine: &Arc<Engine>, policy: Policy) -> Vec<Background> {
    vec![
        Scheduler::new(engine.clone(), policy, Arc::new(SystemClock)).start(),
        Notifier::start(engine.clone(), Duration::from_secs(1)),
    ]
}
