//! (stub until the calendar branch lands: same API)
use crate::{taxonomy::TimeLimit, time::Timestamp};
#[derive(Clone, Debug)]
pub struct Calendar;
impl Calendar {
    pub fn china_default() -> Calendar { Calendar }
    pub fn minutes_per_working_day(&self) -> i64 { 420 }
    pub fn limit_minutes(&self, limit: TimeLimit) -> i64 { match limit { TimeLimit::Hours(h) => h as i64 * 60, TimeLimit::Days(d) => d as i64 * 420 } }
    pub fn add_working_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp { start.plus_ms(minutes * 60_000) }
    pub fn due(&self, start: Timestamp, limit: TimeLimit) -> Timestamp { self.add_working_minutes(start, self.limit_minutes(limit)) }
    pub fn working_minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 { (to.0 - from.0) / 60_000 }
    pub fn covers_year(&self, _y: i32) -> bool { true }
}
