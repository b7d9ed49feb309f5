//! The working-time calendar (工作日历) of a deployment: which days are working days and which
//! hours of them are working time, so that case deadlines (办理时限) count working time only.
//!
//! The taxonomy writes limits as `2h` (working hours, 工作小时) or `5d` (working days, 工作日).
//! Both are turned into a number of working minutes and walked forward over the working periods
//! of working days. A day is a working day when it is not a weekend day and not a public holiday
//! (法定节假日), or when it is a weekend day that the State Council moved to a working day
//! (调休上班).
//!
//! The default ships as `data/calendar/china.toml` (China Standard Time, Saturday and Sunday off,
//! 09:00–12:00 and 13:30–17:30, the holidays of the years whose notices have been published); a
//! deployment may replace it with its own file, parsed by [`Calendar::from_toml`]. For a year with
//! no holiday data only weekends are off; [`Calendar::covers_year`] lets callers warn about that.
//!
//! # How the arithmetic works
//!
//! Nothing here steps minute by minute, nor even day by day. Local days are numbered from
//! 1970-01-01, and two monotone counting functions are evaluated in O(log n):
//!
//! - `working_days_before(day)`: working days before a given day, from the weekly pattern (whole
//!   weeks times working days per week) corrected by the sorted lists of holidays that fall on
//!   weekdays and of adjusted working days;
//! - `working_ms_before(instant)`: working milliseconds before an instant, i.e. the working days
//!   before its day times the length of a working day, plus the working time elapsed that day.
//!
//! The working time between two instants is the difference of the second function, and adding
//! working time inverts it with an exponential and binary search over days. So a 15-day limit, a
//! limit crossing Spring Festival and an absurd limit of millions of days all cost the same few
//! dozen lookups.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::{Datelike, FixedOffset, NaiveDate};
use serde::Deserialize;

use crate::Refusal;
use crate::taxonomy::TimeLimit;
use crate::time::{MINUTE_MS, Timestamp};

/// The calendar shipped with yiwang, for deployments in mainland China.
const CHINA_TOML: &str = include_str!("../../../data/calendar/china.toml");

const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

/// `NaiveDate::num_days_from_ce` of 1970-01-01, the day numbered 0 here.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// The default working periods, in minutes after local midnight: 09:00–12:00 and 13:30–17:30.
const DEFAULT_PERIODS: [(i64, i64); 2] = [(9 * 60, 12 * 60), (13 * 60 + 30, 17 * 60 + 30)];

/// A deployment's working-time calendar. Cheap to clone; immutable once built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    offset: FixedOffset,
    /// `offset` in milliseconds, added to a UTC instant to get local time.
    offset_ms: i64,
    /// Weekly days off, indexed Monday = 0 … Sunday = 6.
    weekend: [bool; 7],
    /// Working periods of a working day as `[start, end)` in milliseconds after local midnight,
    /// ascending and disjoint.
    periods: Vec<(i64, i64)>,
    /// Working milliseconds in one working day (sum of the periods).
    day_ms: i64,
    /// Working days in one week of the weekly pattern (7 minus the weekend days), at least 1.
    week_days: i64,
    /// `week_prefix[r]`: working days of the weekly pattern among days `0..r` (day 0 = 1970-01-01).
    week_prefix: [i64; 8],
    /// Holidays that fall on days the weekly pattern makes working days, as sorted day numbers.
    /// Holidays on weekend days change nothing and are not listed here.
    extra_off: Vec<i64>,
    /// Adjusted working days (调休上班), sorted day numbers; all fall on weekend days.
    extra_on: Vec<i64>,
    /// Every holiday day with the holiday's name, for display.
    holiday_names: BTreeMap<i64, String>,
    /// Years whose holiday data was given.
    years: BTreeSet<i32>,
}

impl Calendar {
    /// The calendar shipped with yiwang (`data/calendar/china.toml`): UTC+8, Saturday and Sunday
    /// off, 09:00–12:00 and 13:30–17:30, holidays and adjusted working days of the years whose
    /// State Council notices have been transcribed.
    ///
    /// Panics only if the shipped file is broken, which the tests rule out. Parsed once per
    /// process and cloned afterwards.
    pub fn china_default() -> Calendar {
        static DEFAULT: OnceLock<Calendar> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                Calendar::from_toml(CHINA_TOML)
                    .unwrap_or_else(|e| panic!("the shipped data/calendar/china.toml is broken: {e}"))
            })
            .clone()
    }

    /// Parses a deployment's calendar file (format: see `data/calendar/china.toml`). Omitted
    /// `offset`, `weekend` and `periods` take the Chinese defaults. Refuses, naming the field and
    /// the offending value: malformed TOML or unknown keys, bad offsets, weekday names, clock
    /// times or dates, periods that end before they start or overlap, a week with no working day,
    /// a year given twice, dates outside their year, a holiday that ends before it starts or
    /// overlaps another, and adjusted working days that are holidays, duplicates or not weekend
    /// days (which would be no adjustment at all, hence a typo).
    pub fn from_toml(s: &str) -> Result<Calendar, Refusal> {
        let file: CalendarFile = toml::from_str(s).map_err(|e| toml_refusal(s, &e))?;
        build(file)
    }

    /// The UTC offset of local time, in which days and working periods are reckoned.
    pub fn offset(&self) -> FixedOffset {
        self.offset
    }

    /// Whether `date` (a local date) is a working day: an adjusted working day (调休上班) always
    /// is; otherwise a holiday is not, a weekend day is not, and any other day is.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.is_working(day_number(date))
    }

    /// The name of the public holiday on `date` (e.g. `春节`), if it is one.
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&str> {
        self.holiday_names.get(&day_number(date)).map(String::as_str)
    }

    /// Working minutes in one working day (420 with the default periods).
    pub fn minutes_per_working_day(&self) -> i64 {
        self.day_ms / MINUTE_MS
    }

    /// A time limit in working minutes: `Hours(h)` is `h × 60`, `Days(d)` is `d` full working days.
    /// Working days are counted as working time rather than as calendar dates so that a limit of
    /// one day from Monday 10:00 ends on Tuesday 10:00, exactly one working day later, whatever
    /// lies between (lunch, a weekend, a holiday). A consequence worth knowing: one day from
    /// Monday 09:00 ends on Monday 17:30, since a whole working day has then been given.
    pub fn limit_minutes(&self, limit: TimeLimit) -> i64 {
        match limit {
            TimeLimit::Hours(h) => i64::from(h) * 60,
            TimeLimit::Days(d) => i64::from(d) * self.minutes_per_working_day(),
        }
    }

    /// The instant at which `minutes` of working time have elapsed since `start`.
    ///
    /// - Only working periods of working days count; a `start` outside working time (at night, at
    ///   lunch, on a weekend or holiday) begins counting at the next working period.
    /// - The result is the earliest such instant: a limit used up exactly at the end of a period
    ///   is due at that end (12:00 or 17:30), not at the start of the next period, because the
    ///   work was due by then and moving it would grant free time.
    /// - `minutes == 0` returns `start` unchanged, even outside working time: nothing was added,
    ///   so nothing should move. Negative `minutes` are treated as zero; this never walks back.
    /// - Seconds and milliseconds of `start` are kept: a case filed at 10:00:30 with 1 h is due at
    ///   11:00:30.
    ///
    /// Absurdly large values saturate rather than overflow.
    pub fn add_working_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        if minutes <= 0 {
            return start;
        }
        let target = self.working_ms_before(self.local_ms(start)).saturating_add(minutes.saturating_mul(MINUTE_MS));
        // The target lies in the working day that has `n` working days before it, `r` working
        // milliseconds into it, with 0 < r <= day_ms (r == day_ms: the end of its last period).
        let n = (target - 1).div_euclid(self.day_ms);
        let r = target - n * self.day_ms;
        let first = self.local_ms(start).div_euclid(DAY_MS);
        let day = self.working_day_with_index(n, first);
        let local = day.saturating_mul(DAY_MS).saturating_add(self.instant_in_day(r));
        Timestamp(local.saturating_sub(self.offset_ms))
    }

    /// The deadline of a case received at `start` with time limit `limit`:
    /// `add_working_minutes(start, limit_minutes(limit))`.
    pub fn due(&self, start: Timestamp, limit: TimeLimit) -> Timestamp {
        self.add_working_minutes(start, self.limit_minutes(limit))
    }

    /// Working minutes in `[from, to)`, negative when `to < from` (so that time left before a
    /// deadline is positive and time overdue negative). Partial minutes are truncated towards
    /// zero. Exact inverse of [`Calendar::add_working_minutes`]: for `m >= 0`,
    /// `working_minutes_between(a, add_working_minutes(a, m)) == m`.
    pub fn working_minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        let w_from = self.working_ms_before(self.local_ms(from));
        let w_to = self.working_ms_before(self.local_ms(to));
        (w_to - w_from) / MINUTE_MS
    }

    /// Whether holiday data was given for `year`. Without it only weekends are off, so deadlines
    /// in that year may fall on a holiday; callers should warn the deployment to add the year.
    pub fn covers_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    // ----- internals: local days are numbered from 1970-01-01 = 0 -----

    fn local_ms(&self, t: Timestamp) -> i64 {
        t.0.saturating_add(self.offset_ms)
    }

    fn is_working(&self, day: i64) -> bool {
        if self.extra_on.binary_search(&day).is_ok() {
            return true;
        }
        if self.extra_off.binary_search(&day).is_ok() {
            return false;
        }
        !self.weekend[weekday_index(day)]
    }

    /// Working days in `[0, day)` (negative for days before 1970, so that differences count any
    /// range). Monotone, rising by one exactly after each working day.
    fn working_days_before(&self, day: i64) -> i64 {
        let weekly = day.div_euclid(7) * self.week_days + self.week_prefix[day.rem_euclid(7) as usize];
        let off = self.extra_off.partition_point(|&d| d < day) as i64;
        let on = self.extra_on.partition_point(|&d| d < day) as i64;
        weekly - off + on
    }

    /// Working milliseconds of one working day before time of day `tod` (ms after midnight).
    fn worked_before(&self, tod: i64) -> i64 {
        self.periods.iter().map(|&(s, e)| tod.clamp(s, e) - s).sum()
    }

    /// Working milliseconds in `[1970-01-01 00:00 local, local)`, negative before; monotone.
    fn working_ms_before(&self, local: i64) -> i64 {
        let day = local.div_euclid(DAY_MS);
        let today = if self.is_working(day) { self.worked_before(local.rem_euclid(DAY_MS)) } else { 0 };
        self.working_days_before(day) * self.day_ms + today
    }

    /// The working day with exactly `n` working days before it, searching from `first` on
    /// (the caller guarantees it is not before `first`). Exponential then binary search, so the
    /// cost grows with the logarithm of the distance.
    fn working_day_with_index(&self, n: i64, first: i64) -> i64 {
        // The wanted day is the smallest `d` with working_days_before(d + 1) > n.
        let past = |d: i64| self.working_days_before(d + 1) > n;
        let mut lo = first;
        let mut step = 7;
        let mut hi = lo + step;
        while !past(hi) {
            lo = hi + 1;
            step = step.saturating_mul(2);
            hi = lo.saturating_add(step);
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if past(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The earliest time of day (ms after midnight) by which `r` working milliseconds of a working
    /// day have elapsed, `0 < r <= day_ms`. Ends at a period's end rather than at the next start.
    fn instant_in_day(&self, mut r: i64) -> i64 {
        for &(s, e) in &self.periods {
            if r <= e - s {
                return s + r;
            }
            r -= e - s;
        }
        self.periods.last().map_or(0, |&(_, e)| e)
    }
}

/// Day number of a date, 1970-01-01 = 0.
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - EPOCH_DAYS_FROM_CE
}

/// Monday = 0 … Sunday = 6; 1970-01-01 was a Thursday.
fn weekday_index(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

// ----- the file format -----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    offset: Option<String>,
    #[serde(default)]
    weekend: Option<Vec<String>>,
    #[serde(default)]
    periods: Option<Vec<PeriodEntry>>,
    #[serde(default, rename = "year")]
    years: Vec<YearEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodEntry {
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearEntry {
    year: i32,
    /// The notice the dates were taken from, for the humans who check them; not used.
    #[serde(default)]
    #[allow(dead_code)]
    notice: Option<String>,
    #[serde(default)]
    holidays: Vec<HolidayEntry>,
    #[serde(default)]
    workdays: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayEntry {
    name: String,
    from: String,
    to: String,
}

const WEEKDAY_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const WEEKDAY_EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn build(file: CalendarFile) -> Result<Calendar, Refusal> {
    let offset = match &file.offset {
        Some(s) => parse_offset("offset", s)?,
        None => crate::time::china_standard_time(),
    };

    let mut weekend = [false; 7];
    match &file.weekend {
        None => {
            weekend[5] = true;
            weekend[6] = true;
        }
        Some(names) => {
            for (i, name) in names.iter().enumerate() {
                let field = format!("weekend[{i}]");
                let d = parse_weekday(&field, name)?;
                if weekend[d] {
                    return Err(Refusal::bad_field(
                        &field,
                        format!("{}重复列出", WEEKDAY_ZH[d]),
                        format!("{} is listed twice", WEEKDAY_EN[d]),
                    ));
                }
                weekend[d] = true;
            }
        }
    }
    if weekend.iter().all(|&off| off) {
        return Err(Refusal::bad_field(
            "weekend",
            "一周七天都是休息日，期限永远无法届满",
            "all seven days are days off, so no deadline could ever fall due",
        ));
    }

    let periods = match &file.periods {
        None => DEFAULT_PERIODS.iter().map(|&(s, e)| (s * MINUTE_MS, e * MINUTE_MS)).collect(),
        Some(entries) => parse_periods(entries)?,
    };

    let mut years = BTreeSet::new();
    let mut holiday_names: BTreeMap<i64, String> = BTreeMap::new();
    for y in &file.years {
        let at = format!("year[{}]", y.year);
        if !years.insert(y.year) {
            return Err(Refusal::bad_field(
                &format!("{at}.year"),
                format!("{} 年出现了两次", y.year),
                format!("year {} is given twice", y.year),
            ));
        }
        for (i, h) in y.holidays.iter().enumerate() {
            let field = |key: &str| format!("{at}.holidays[{i}].{key}");
            let name = h.name.trim();
            if name.is_empty() {
                return Err(Refusal::bad_field(&field("name"), "节日名称不能为空", "the holiday needs a name"));
            }
            let from = parse_date_of_year(&field("from"), &h.from, y.year)?;
            let to = parse_date_of_year(&field("to"), &h.to, y.year)?;
            if to < from {
                return Err(Refusal::bad_field(
                    &field("to"),
                    format!("{name}的结束日期 {to} 早于开始日期 {from}"),
                    format!("{name} ends on {to}, before it starts on {from}"),
                ));
            }
            for day in day_number(from)..=day_number(to) {
                if let Some(other) = holiday_names.insert(day, name.to_string()) {
                    return Err(Refusal::bad_field(
                        &field("from"),
                        format!("{name}与{other}重叠（{}）", date_of(day)),
                        format!("{name} overlaps {other} (on {})", date_of(day)),
                    ));
                }
            }
        }
    }

    let mut extra_on = Vec::new();
    for y in &file.years {
        for (i, s) in y.workdays.iter().enumerate() {
            let field = format!("year[{}].workdays[{i}]", y.year);
            let date = parse_date_of_year(&field, s, y.year)?;
            let day = day_number(date);
            if let Some(name) = holiday_names.get(&day) {
                return Err(Refusal::bad_field(
                    &field,
                    format!("{date} 已列为{name}假日，不能同时是调休上班日"),
                    format!("{date} is a holiday ({name}) and cannot also be an adjusted working day"),
                ));
            }
            let wd = weekday_index(day);
            if !weekend[wd] {
                return Err(Refusal::bad_field(
                    &field,
                    format!("{date} 是{}，本来就是工作日，无需调休", WEEKDAY_ZH[wd]),
                    format!("{date} is a {}, already a working day; only weekend days can be adjusted", WEEKDAY_EN[wd]),
                ));
            }
            if extra_on.contains(&day) {
                return Err(Refusal::bad_field(&field, format!("{date} 重复列出"), format!("{date} is listed twice")));
            }
            extra_on.push(day);
        }
    }
    extra_on.sort_unstable();
    let extra_off: Vec<i64> = holiday_names.keys().copied().filter(|&d| !weekend[weekday_index(d)]).collect();

    let mut week_prefix = [0i64; 8];
    for r in 0..7 {
        week_prefix[r + 1] = week_prefix[r] + i64::from(!weekend[weekday_index(r as i64)]);
    }
    Ok(Calendar {
        offset,
        offset_ms: i64::from(offset.local_minus_utc()) * 1000,
        weekend,
        day_ms: periods.iter().map(|&(s, e)| e - s).sum(),
        periods,
        week_days: week_prefix[7],
        week_prefix,
        extra_off,
        extra_on,
        holiday_names,
        years,
    })
}

fn parse_periods(entries: &[PeriodEntry]) -> Result<Vec<(i64, i64)>, Refusal> {
    if entries.is_empty() {
        return Err(Refusal::bad_field("periods", "至少需要一个工作时段", "at least one working period is needed"));
    }
    let mut periods: Vec<(i64, i64)> = Vec::with_capacity(entries.len());
    for (i, p) in entries.iter().enumerate() {
        let from = parse_clock(&format!("periods[{i}].from"), &p.from)?;
        let to = parse_clock(&format!("periods[{i}].to"), &p.to)?;
        if to <= from {
            return Err(Refusal::bad_field(
                &format!("periods[{i}].to"),
                format!("结束时间 {} 不晚于开始时间 {}", p.to.trim(), p.from.trim()),
                format!("the period ends at {}, not after it starts at {}", p.to.trim(), p.from.trim()),
            ));
        }
        if let Some(&(_, prev_end)) = periods.last()
            && from * MINUTE_MS < prev_end
        {
            return Err(Refusal::bad_field(
                &format!("periods[{i}].from"),
                format!("开始时间 {} 早于上一时段的结束时间，时段须按时间先后排列且不重叠", p.from.trim()),
                format!(
                    "starts at {}, before the previous period ends; periods must be in order and not overlap",
                    p.from.trim()
                ),
            ));
        }
        periods.push((from * MINUTE_MS, to * MINUTE_MS));
    }
    Ok(periods)
}

/// `HH:MM` local time → minutes after midnight; `24:00` is allowed as the end of the day.
fn parse_clock(field: &str, s: &str) -> Result<i64, Refusal> {
    let bad = || {
        Refusal::bad_field(
            field,
            format!("“{s}”不是有效时刻，应写作 HH:MM，如 09:00"),
            format!("“{s}” is not a valid time of day; write HH:MM, e.g. 09:00"),
        )
    };
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// `YYYY-MM-DD`, in `year` or the year before (the 元旦 holiday of a year's notice may start on
/// 30 or 31 December, and its adjusted working day may fall then too).
fn parse_date_of_year(field: &str, s: &str, year: i32) -> Result<NaiveDate, Refusal> {
    let t = s.trim();
    let date = (t.len() == 10).then(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()).flatten().ok_or_else(|| {
        Refusal::bad_field(
            field,
            format!("“{s}”不是有效日期，应写作 YYYY-MM-DD，如 2026-10-01"),
            format!("“{s}” is not a valid date; write YYYY-MM-DD, e.g. 2026-10-01"),
        )
    })?;
    if date.year() != year && date.year() != year - 1 {
        return Err(Refusal::bad_field(
            field,
            format!("{date} 不在 {year} 年（或其前一年年末）"),
            format!("{date} is not in {year} (nor at the end of the year before)"),
        ));
    }
    Ok(date)
}

/// `+08:00`, `-05:30` or `Z`.
fn parse_offset(field: &str, s: &str) -> Result<FixedOffset, Refusal> {
    let bad = || {
        Refusal::bad_field(
            field,
            format!("“{s}”不是有效的时区偏移，应写作 +HH:MM，如 +08:00"),
            format!("“{s}” is not a valid UTC offset; write +HH:MM, e.g. +08:00"),
        )
    };
    let t = s.trim();
    if t == "Z" {
        return Ok(FixedOffset::east_opt(0).expect("zero offset"));
    }
    let sign = match t.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(bad()),
    };
    let minutes = parse_clock(field, &t[1..]).map_err(|_| bad())?;
    if minutes > 18 * 60 {
        return Err(bad());
    }
    FixedOffset::east_opt(sign * (minutes as i32) * 60).ok_or_else(bad)
}

/// English weekday names (full or three letters, any case) or Chinese (周一, 星期一, 周日, 周天…).
fn parse_weekday(field: &str, s: &str) -> Result<usize, Refusal> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let found = WEEKDAY_EN.iter().position(|en| {
        let en = en.to_ascii_lowercase();
        lower == en || lower == en[..3]
    });
    let found = found.or_else(|| {
        let rest = t.strip_prefix("星期").or_else(|| t.strip_prefix("周"))?;
        ["一", "二", "三", "四", "五", "六", "日"].iter().position(|c| *c == rest).or((rest == "天").then_some(6))
    });
    found.ok_or_else(|| {
        Refusal::bad_field(
            field,
            format!("“{s}”不是星期几，应写作 saturday、sunday 或 周六、周日 等"),
            format!("“{s}” is not a weekday; write saturday, sunday, … or 周六, 周日, …"),
        )
    })
}

fn date_of(day: i64) -> NaiveDate {
    i32::try_from(day + EPOCH_DAYS_FROM_CE)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .expect("day within the range of dates")
}

/// A TOML error (syntax, wrong type, unknown or missing key) as a refusal naming the line.
fn toml_refusal(src: &str, e: &toml::de::Error) -> Refusal {
    let line = e.span().map(|r| src.as_bytes()[..r.start.min(src.len())].iter().filter(|&&b| b == b'\n').count() + 1);
    let msg = e.message().trim();
    match line {
        Some(l) => Refusal::bad_field(
            "calendar",
            format!("TOML 第 {l} 行有误：{msg}"),
            format!("TOML error on line {l}: {msg}"),
        ),
        None => Refusal::bad_field("calendar", format!("TOML 有误：{msg}"), format!("TOML error: {msg}")),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDateTime, Timelike, Weekday};

    use super::*;
    use crate::Lang;
    use crate::time::china_standard_time;

    /// "2026-09-30 10:00" in China Standard Time.
    fn at(s: &str) -> Timestamp {
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test time");
        Timestamp::from_datetime(&local.and_local_timezone(china_standard_time()).unwrap())
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn cal() -> Calendar {
        Calendar::china_default()
    }

    /// Asserts a due time, showing both instants in local time on failure.
    #[track_caller]
    fn assert_due(got: Timestamp, want: &str) {
        assert_eq!(got, at(want), "due {} but expected {want} +08:00", got.to_rfc3339_cst());
    }

    // ----- the shipped data -----

    #[test]
    fn shipped_calendar_parses_and_covers_2025_and_2026() {
        let c = cal();
        assert_eq!(c.offset(), china_standard_time());
        assert_eq!(c.minutes_per_working_day(), 420);
        assert!(c.covers_year(2025) && c.covers_year(2026));
        assert!(!c.covers_year(2024) && !c.covers_year(2027));
        assert_eq!(c.holiday_name(date("2026-02-17")), Some("春节"));
        assert_eq!(c.holiday_name(date("2025-10-06")), Some("国庆节、中秋节"));
        assert_eq!(c.holiday_name(date("2026-02-14")), None);
    }

    #[test]
    fn shipped_adjusted_working_days_are_weekend_days_and_count() {
        let c = cal();
        let days = [
            "2025-01-26",
            "2025-02-08",
            "2025-04-27",
            "2025-09-28",
            "2025-10-11",
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        ];
        for d in days {
            let d = date(d);
            assert!(matches!(d.weekday(), Weekday::Sat | Weekday::Sun), "{d} is no weekend day");
            assert!(c.is_working_day(d), "{d} should be a working day (调休)");
        }
        assert_eq!(c.extra_on.len(), days.len());
    }

    /// Since 2025 the law gives 13 days of public holiday, and the adjusted working days exactly
    /// make up for the weekdays taken for bridges: every year has 365 − 104 − 13 = 248 working days.
    /// A mistyped date in the file would almost surely break this.
    #[test]
    fn each_shipped_year_has_248_working_days() {
        let c = cal();
        for year in [2025, 2026] {
            let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            let count = first.iter_days().take(365).filter(|&d| c.is_working_day(d)).count();
            assert_eq!(count, 248, "{year}");
            let by_count = c.working_days_before(day_number(first) + 365) - c.working_days_before(day_number(first));
            assert_eq!(by_count, 248, "{year}");
        }
    }

    #[test]
    fn working_days_follow_weekends_holidays_and_adjustments() {
        let c = cal();
        assert!(c.is_working_day(date("2026-11-20"))); // Friday
        assert!(!c.is_working_day(date("2026-11-21"))); // Saturday
        assert!(!c.is_working_day(date("2026-11-22"))); // Sunday
        assert!(!c.is_working_day(date("2026-10-01"))); // 国庆节, Thursday
        assert!(!c.is_working_day(date("2026-02-16"))); // 除夕, Monday
        assert!(c.is_working_day(date("2026-02-28"))); // Saturday, 调休
        assert!(c.is_working_day(date("2026-09-20"))); // Sunday, 调休
        assert!(!c.is_working_day(date("2026-04-04"))); // 清明节 on a Saturday
        assert!(!c.is_working_day(date("2027-01-02"))); // no data: Saturday
        assert!(c.is_working_day(date("2027-01-01"))); // no data: Friday counts, though 元旦
    }

    // ----- deadlines -----

    #[test]
    fn one_day_is_the_same_time_next_working_day() {
        let c = cal();
        let d1 = TimeLimit::Days(1);
        assert_due(c.due(at("2026-11-16 10:00"), d1), "2026-11-17 10:00"); // Monday → Tuesday
        assert_due(c.due(at("2026-11-20 10:00"), d1), "2026-11-23 10:00"); // Friday → Monday
        assert_due(c.due(at("2026-11-16 09:00"), d1), "2026-11-16 17:30"); // a whole day: same day
        assert_due(c.due(at("2026-11-16 12:00"), d1), "2026-11-17 12:00");
        assert_due(c.due(at("2026-11-16 17:30"), d1), "2026-11-17 17:30");
        assert_due(c.due(at("2026-11-16 11:00"), TimeLimit::Days(5)), "2026-11-23 11:00");
        assert_due(c.due(at("2026-11-16 11:00"), TimeLimit::Days(15)), "2026-12-07 11:00");
    }

    #[test]
    fn one_day_filed_before_national_day_is_due_after_it() {
        let c = cal();
        let d1 = TimeLimit::Days(1);
        // 2026: Wednesday 30 September; 1–7 October off; Thursday 8 October.
        assert_due(c.due(at("2026-09-30 10:00"), d1), "2026-10-08 10:00");
        // 2025: Tuesday 30 September; 1–8 October off; Thursday 9 October.
        assert_due(c.due(at("2025-09-30 10:00"), d1), "2025-10-09 10:00");
        // 2026: Friday 18 September → Sunday 20 September, a 调休 working day.
        assert_due(c.due(at("2026-09-18 10:00"), d1), "2026-09-20 10:00");
        // 2026: Friday 9 October → Saturday 10 October, a 调休 working day.
        assert_due(c.due(at("2026-10-09 10:00"), d1), "2026-10-10 10:00");
        // 2026 中秋节: Thursday 24 September → Monday 28 September.
        assert_due(c.due(at("2026-09-24 10:00"), d1), "2026-09-28 10:00");
    }

    #[test]
    fn two_hours_at_five_on_the_friday_before_an_adjusted_saturday() {
        let c = cal();
        let h2 = TimeLimit::Hours(2);
        // 30 min on Friday, 90 min from 09:00 on the working Saturday.
        assert_due(c.due(at("2026-10-09 17:00"), h2), "2026-10-10 10:30");
        assert_due(c.due(at("2026-02-13 17:00"), h2), "2026-02-14 10:30");
        assert_due(c.due(at("2026-05-08 17:00"), h2), "2026-05-09 10:30");
        // An ordinary Friday: Monday.
        assert_due(c.due(at("2026-11-20 17:00"), h2), "2026-11-23 10:30");
    }

    #[test]
    fn three_days_across_spring_festival_2026_count_both_adjusted_saturdays() {
        let c = cal();
        let d3 = TimeLimit::Days(3);
        // Thu 12 Feb 6 h, Fri 13 Feb 7 h, Sat 14 Feb (调休) 7 h, 15–23 Feb off, Tue 24 Feb 1 h.
        assert_due(c.due(at("2026-02-12 10:00"), d3), "2026-02-24 10:00");
        // Thu 26 Feb 6 h, Fri 27 Feb 7 h, Sat 28 Feb (调休) 7 h, Sun 1 Mar off, Mon 2 Mar 1 h.
        assert_due(c.due(at("2026-02-26 10:00"), d3), "2026-03-02 10:00");
        // Both in one: 12, 13, 14, 24, 25, 26, 27, 28 Feb, 2 and 3 Mar, then 1 h on 4 Mar.
        assert_due(c.due(at("2026-02-12 10:00"), TimeLimit::Days(10)), "2026-03-04 10:00");
        // Filed during the holiday: counting starts on the first working day after it.
        assert_due(c.due(at("2026-02-17 10:00"), d3), "2026-02-26 17:30");
        // Spring Festival 2025 with its Sunday before and Saturday after.
        assert_due(c.due(at("2025-01-24 10:00"), TimeLimit::Days(1)), "2025-01-26 10:00");
        assert_due(c.due(at("2025-01-27 10:00"), TimeLimit::Days(1)), "2025-02-05 10:00");
        assert_due(c.due(at("2025-02-07 10:00"), TimeLimit::Days(1)), "2025-02-08 10:00");
    }

    #[test]
    fn new_year_and_labour_day_2026() {
        let c = cal();
        // Wednesday 31 Dec 2025; 1–3 Jan off; Sunday 4 Jan is a working day.
        assert_due(c.due(at("2025-12-31 10:00"), TimeLimit::Days(1)), "2026-01-04 10:00");
        // Thursday 30 Apr; 1–5 May off; Wednesday 6 May.
        assert_due(c.due(at("2026-04-30 10:00"), TimeLimit::Days(1)), "2026-05-06 10:00");
        // 端午节: Thursday 18 Jun; 19–21 Jun off; Monday 22 Jun.
        assert_due(c.due(at("2026-06-18 16:30"), TimeLimit::Hours(2)), "2026-06-22 10:00");
    }

    #[test]
    fn hours_skip_lunch_and_end_at_period_ends() {
        let c = cal();
        let h = TimeLimit::Hours;
        assert_due(c.due(at("2026-11-16 11:00"), h(2)), "2026-11-16 14:30");
        assert_due(c.due(at("2026-11-16 11:00"), h(1)), "2026-11-16 12:00"); // not 13:30
        assert_due(c.due(at("2026-11-16 09:00"), h(3)), "2026-11-16 12:00");
        assert_due(c.due(at("2026-11-16 16:30"), h(1)), "2026-11-16 17:30"); // not next morning
        assert_due(c.due(at("2026-11-16 12:45"), h(1)), "2026-11-16 14:30"); // filed at lunch
        // 24 working hours = 3 days and 3 hours, used up at noon: stays at 12:00.
        assert_due(c.due(at("2026-11-16 09:00"), h(24)), "2026-11-19 12:00");
    }

    #[test]
    fn a_start_outside_working_time_waits_for_the_next_period() {
        let c = cal();
        let h2 = TimeLimit::Hours(2);
        assert_due(c.due(at("2026-11-16 20:00"), h2), "2026-11-17 11:00"); // night
        assert_due(c.due(at("2026-11-17 03:00"), h2), "2026-11-17 11:00"); // small hours
        assert_due(c.due(at("2026-11-16 07:30"), h2), "2026-11-16 11:00"); // early morning
        assert_due(c.due(at("2026-11-21 15:00"), h2), "2026-11-23 11:00"); // Saturday
        assert_due(c.due(at("2026-10-03 15:00"), h2), "2026-10-08 11:00"); // holiday
    }

    #[test]
    fn zero_minutes_does_not_move_the_start() {
        let c = cal();
        for t in ["2026-11-21 20:00", "2026-11-16 12:30", "2026-11-16 12:00", "2026-10-01 10:00"] {
            assert_eq!(c.add_working_minutes(at(t), 0), at(t));
            assert_eq!(c.add_working_minutes(at(t), -5), at(t));
        }
    }

    #[test]
    fn seconds_of_the_start_are_kept() {
        let c = cal();
        let start = at("2026-11-16 10:00").plus_ms(30_500);
        assert_eq!(c.due(start, TimeLimit::Hours(1)), at("2026-11-16 11:00").plus_ms(30_500));
        // Half a minute after 17:00 plus 30 minutes: 30 s into the next morning.
        let late = at("2026-11-16 17:00").plus_ms(30_000);
        assert_eq!(c.add_working_minutes(late, 30), at("2026-11-17 09:00").plus_ms(30_000));
        assert_eq!(c.working_minutes_between(start, at("2026-11-16 10:02")), 1);
    }

    #[test]
    fn years_without_data_have_weekends_only() {
        let c = cal();
        assert!(!c.covers_year(2027));
        assert_due(c.due(at("2027-01-01 10:00"), TimeLimit::Days(1)), "2027-01-04 10:00");
        assert_due(c.due(at("2024-09-30 10:00"), TimeLimit::Days(1)), "2024-10-01 10:00");
        // Crossing from data into no data: Wednesday 30 Dec 2026 + 3 d = Monday 4 Jan 2027.
        assert_due(c.due(at("2026-12-30 10:00"), TimeLimit::Days(3)), "2027-01-04 10:00");
    }

    #[test]
    fn working_minutes_between_counts_and_signs() {
        let c = cal();
        assert_eq!(c.working_minutes_between(at("2026-11-16 09:00"), at("2026-11-20 17:30")), 2100);
        assert_eq!(c.working_minutes_between(at("2026-11-20 17:30"), at("2026-11-16 09:00")), -2100);
        assert_eq!(c.working_minutes_between(at("2026-11-16 11:00"), at("2026-11-16 14:00")), 90);
        assert_eq!(c.working_minutes_between(at("2026-11-21 08:00"), at("2026-11-22 20:00")), 0);
        assert_eq!(c.working_minutes_between(at("2026-09-30 09:00"), at("2026-10-08 09:00")), 420);
        assert_eq!(c.working_minutes_between(at("2026-09-30 09:00"), at("2026-10-10 12:00")), 1440);
        let t = at("2026-11-16 10:17");
        assert_eq!(c.working_minutes_between(t, t), 0);
        // Due at 12:00, looked at 16:30: overdue by 3 working hours (13:30–16:30), negative.
        let due = c.due(at("2026-11-16 10:00"), TimeLimit::Hours(2));
        assert_eq!(due, at("2026-11-16 12:00"));
        assert_eq!(c.working_minutes_between(at("2026-11-16 16:30"), due), -180);
    }

    #[test]
    fn long_limits_cost_no_more_than_short_ones() {
        let c = cal();
        let start = at("2026-11-16 10:00");
        let far = c.due(start, TimeLimit::Days(1_000_000));
        assert_eq!(c.working_minutes_between(start, far), 420_000_000);
        // Beyond the data, whole weeks have five working days: 5,000 days are 1,000 weeks.
        let a = at("2030-01-07 10:00"); // a Monday
        assert_eq!(c.due(a, TimeLimit::Days(5_000)), a.plus_ms(7_000 * DAY_MS));
        // The largest limit the taxonomy can express does not overflow or hang.
        let huge = c.due(start, TimeLimit::Days(u32::MAX));
        assert!(huge > far);
        assert!(c.add_working_minutes(start, i64::MAX) >= huge);
    }

    #[test]
    fn limit_minutes_converts_hours_and_days() {
        let c = cal();
        assert_eq!(c.limit_minutes(TimeLimit::Hours(2)), 120);
        assert_eq!(c.limit_minutes(TimeLimit::Hours(24)), 1440);
        assert_eq!(c.limit_minutes(TimeLimit::Days(7)), 2940);
        let t = at("2026-03-10 14:00");
        assert_eq!(c.due(t, TimeLimit::Days(7)), c.add_working_minutes(t, 2940));
    }

    // ----- properties, against a deliberately naive reference -----

    /// A small deterministic pseudo-random generator (64-bit LCG, high bits).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 16
        }
        fn below(&mut self, n: u64) -> i64 {
            (self.next() % n) as i64
        }
    }

    /// Whether the minute starting at `t` is working time, by the public API and chrono only.
    fn naive_working_minute(c: &Calendar, t: Timestamp) -> bool {
        let local = t.at_offset(c.offset());
        let m = i64::from(local.hour()) * 60 + i64::from(local.minute());
        c.is_working_day(local.date_naive()) && DEFAULT_PERIODS.iter().any(|&(s, e)| s <= m && m < e)
    }

    /// Minute-by-minute reference for minute-aligned starts.
    fn naive_add(c: &Calendar, start: Timestamp, minutes: i64) -> Timestamp {
        let (mut t, mut left) = (start, minutes);
        while left > 0 {
            if naive_working_minute(c, t) {
                left -= 1;
            }
            t = t.plus_ms(MINUTE_MS);
        }
        if minutes == 0 { start } else { t }
    }

    #[test]
    fn round_trip_between_inverts_add() {
        let c = cal();
        let lo = at("2024-11-01 00:00").0;
        let span = at("2027-03-01 00:00").0 - lo;
        let mut rng = Lcg(20_261_121);
        for i in 0..20_000 {
            // Any millisecond, any minute count up to a few months; now and then a long one.
            let a = Timestamp(lo + rng.below(span as u64));
            let m = if i % 100 == 0 { rng.below(5_000_000) } else { rng.below(40_000) };
            let b = c.add_working_minutes(a, m);
            assert!(b >= a);
            assert_eq!(c.working_minutes_between(a, b), m, "a = {}, m = {m}", a.to_rfc3339_cst());
            assert_eq!(c.working_minutes_between(b, a), -m);
            if m > 0 {
                // Earliest instant: one millisecond sooner, the work is not yet done.
                assert_eq!(c.working_minutes_between(a, b.plus_ms(-1)), m - 1);
                assert!(c.add_working_minutes(a, m + 1) > b);
            }
        }
    }

    #[test]
    fn add_and_between_agree_with_a_minute_by_minute_walk() {
        let c = cal();
        let lo = at("2024-12-20 00:00").0 / MINUTE_MS;
        let span = (at("2027-01-10 00:00").0 / MINUTE_MS - lo) as u64;
        let mut rng = Lcg(17);
        for _ in 0..250 {
            let a = Timestamp((lo + rng.below(span)) * MINUTE_MS);
            let m = rng.below(2_500);
            let b = naive_add(&c, a, m);
            assert_eq!(c.add_working_minutes(a, m), b, "a = {}, m = {m}", a.to_rfc3339_cst());
            // And the count over a random window.
            let w = Timestamp(a.0 + rng.below(3 * 1440) * MINUTE_MS);
            let mut naive = 0;
            let mut t = a;
            while t < w {
                naive += i64::from(naive_working_minute(&c, t));
                t = t.plus_ms(MINUTE_MS);
            }
            assert_eq!(c.working_minutes_between(a, w), naive, "a = {}", a.to_rfc3339_cst());
        }
    }

    // ----- other deployments' files -----

    #[test]
    fn omitted_settings_take_the_chinese_defaults() {
        let c = Calendar::from_toml("").unwrap();
        assert_eq!(c.offset(), china_standard_time());
        assert_eq!(c.minutes_per_working_day(), 420);
        assert!(!c.covers_year(2026));
        assert!(c.is_working_day(date("2026-10-01")));
        assert!(!c.is_working_day(date("2026-10-03")));
        assert_due(c.due(at("2026-11-16 11:00"), TimeLimit::Hours(2)), "2026-11-16 14:30");
    }

    #[test]
    fn a_custom_calendar_uses_its_offset_weekend_and_periods() {
        let src = r#"
            offset = "+05:00"
            weekend = ["周日"]
            periods = [{ from = "08:00", to = "12:00" }, { from = "14:00", to = "18:00" }]
            [[year]]
            year = 2026
            holidays = [{ name = "Founders' day", from = "2026-11-16", to = "2026-11-16" }]
        "#;
        let c = Calendar::from_toml(src).unwrap();
        assert_eq!(c.offset(), FixedOffset::east_opt(5 * 3600).unwrap());
        assert_eq!(c.minutes_per_working_day(), 480);
        assert!(c.is_working_day(date("2026-11-21"))); // Saturday works here
        assert!(!c.is_working_day(date("2026-11-16")));
        // Saturday 21 Nov 17:00 (+05:00) = 20:00 (+08:00); 1 day → Monday 23 Nov 17:00 (+05:00).
        assert_due(c.due(at("2026-11-21 20:00"), TimeLimit::Days(1)), "2026-11-23 20:00");
        // Friday 13 Nov 17:00 (+05:00) + 1 d: Saturday works, Sunday off, Monday is a holiday.
        assert_due(c.due(at("2026-11-13 20:00"), TimeLimit::Days(1)), "2026-11-14 20:00");
        assert_due(c.due(at("2026-11-14 20:00"), TimeLimit::Days(1)), "2026-11-17 20:00");
    }

    #[test]
    fn a_round_the_clock_calendar_counts_elapsed_time() {
        let src = r#"
            weekend = []
            periods = [{ from = "00:00", to = "24:00" }]
        "#;
        let c = Calendar::from_toml(src).unwrap();
        let t = at("2026-11-21 23:10");
        assert_eq!(c.add_working_minutes(t, 1440), at("2026-11-22 23:10"));
        assert_eq!(c.due(t, TimeLimit::Hours(2)), at("2026-11-22 01:10"));
        assert_eq!(c.working_minutes_between(t, at("2026-11-23 23:10")), 2880);
    }

    // ----- refusals -----

    /// Parses `src`, expecting a refusal that names `field` in both languages and mentions `zh`
    /// and `en` in the respective messages.
    #[track_caller]
    fn refused(src: &str, field: &str, zh: &str, en: &str) {
        let e = Calendar::from_toml(src).expect_err("should be refused");
        assert_eq!(e.code, "invalid_field");
        let (z, n) = (e.message(Lang::Zh), e.message(Lang::En));
        assert!(z.contains(field) && z.contains(zh), "zh: {z}");
        assert!(n.contains(field) && n.contains(en), "en: {n}");
    }

    const YEAR: &str = "[[year]]\nyear = 2026\n";

    #[test]
    fn bad_dates_are_refused_with_their_field() {
        let src = format!("{YEAR}holidays = [{{ name = \"春节\", from = \"2026-02-30\", to = \"2026-03-01\" }}]");
        refused(&src, "year[2026].holidays[0].from", "2026-02-30", "“2026-02-30” is not a valid date");
        let src = format!("{YEAR}workdays = [\"2026-02-14\", \"2026/02/28\"]");
        refused(&src, "year[2026].workdays[1]", "不是有效日期", "2026/02/28");
        let src = format!("{YEAR}workdays = [\"2062-02-14\"]");
        refused(&src, "year[2026].workdays[0]", "不在 2026 年", "not in 2026");
        let src = format!("{YEAR}holidays = [{{ name = \"春节\", from = \"2026-02-23\", to = \"2026-02-15\" }}]");
        refused(&src, "year[2026].holidays[0].to", "早于开始日期", "before it starts");
    }

    #[test]
    fn a_workday_that_is_also_a_holiday_is_refused() {
        let src = format!(
            "{YEAR}holidays = [{{ name = \"国庆节\", from = \"2026-10-01\", to = \"2026-10-07\" }}]\nworkdays = [\"2026-10-03\"]"
        );
        refused(&src, "year[2026].workdays[0]", "国庆节", "is a holiday (国庆节)");
        // Also when the holiday is listed under another year.
        let src = "[[year]]\nyear = 2026\nworkdays = [\"2026-01-03\"]\n\
                   [[year]]\nyear = 2027\nholidays = [{ name = \"元旦\", from = \"2026-01-03\", to = \"2027-01-01\" }]";
        refused(src, "year[2026].workdays[0]", "元旦", "is a holiday");
    }

    #[test]
    fn other_date_mistakes_are_refused() {
        // A weekday listed as adjusted working day: it already is one.
        refused(&format!("{YEAR}workdays = [\"2026-02-13\"]"), "year[2026].workdays[0]", "周五", "Friday");
        refused(
            &format!("{YEAR}workdays = [\"2026-02-14\", \"2026-02-14\"]"),
            "year[2026].workdays[1]",
            "重复",
            "twice",
        );
        let src = format!(
            "{YEAR}holidays = [{{ name = \"中秋节\", from = \"2026-09-25\", to = \"2026-10-01\" }},\n\
             {{ name = \"国庆节\", from = \"2026-10-01\", to = \"2026-10-07\" }}]"
        );
        refused(&src, "year[2026].holidays[1].from", "与中秋节重叠", "overlaps 中秋节");
        refused(&format!("{YEAR}{YEAR}"), "year[2026].year", "两次", "twice");
        let src = format!("{YEAR}holidays = [{{ name = \" \", from = \"2026-10-01\", to = \"2026-10-01\" }}]");
        refused(&src, "year[2026].holidays[0].name", "名称", "name");
    }

    #[test]
    fn bad_periods_are_refused() {
        refused(
            r#"periods = [{ from = "13:30", to = "12:00" }]"#,
            "periods[0].to",
            "不晚于开始时间 13:30",
            "not after it starts at 13:30",
        );
        refused(
            r#"periods = [{ from = "09:00", to = "12:00" }, { from = "11:00", to = "17:00" }]"#,
            "periods[1].from",
            "不重叠",
            "not overlap",
        );
        refused(r#"periods = [{ from = "9:00", to = "12:00" }]"#, "periods[0].from", "HH:MM", "HH:MM");
        refused(r#"periods = [{ from = "09:00", to = "24:30" }]"#, "periods[0].to", "24:30", "24:30");
        refused("periods = []", "periods", "至少", "at least one");
    }

    #[test]
    fn bad_settings_and_bad_toml_are_refused() {
        refused(r#"offset = "UTC+8""#, "offset", "+08:00", "UTC offset");
        refused(r#"weekend = ["saturday", "caturday"]"#, "weekend[1]", "caturday", "not a weekday");
        refused(r#"weekend = ["sat", "Saturday"]"#, "weekend[1]", "周六重复", "Saturday is listed twice");
        refused(r#"weekend = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]"#, "weekend", "七天", "all seven days");
        refused("offset = \"+08:00\"\nweekend = [\"sat\",", "calendar", "第 2 行", "line 2");
        refused(&format!("{YEAR}holiday = []"), "calendar", "holiday", "unknown field");
        refused("[[year]]\nyear = \"2026\"", "calendar", "第 2 行", "line 2");
    }

    #[test]
    fn weekday_names_in_both_languages() {
        for (s, d) in [("Saturday", 5), ("sun", 6), ("周六", 5), ("星期日", 6), ("周天", 6), ("MON", 0)] {
            assert_eq!(parse_weekday("weekend[0]", s).unwrap(), d, "{s}");
        }
        assert_eq!(parse_offset("offset", "-05:30").unwrap().local_minus_utc(), -(5 * 3600 + 1800));
        assert_eq!(parse_offset("offset", "Z").unwrap().local_minus_utc(), 0);
    }

    #[test]
    fn calendar_is_shareable_between_threads() {
        fn assert_traits<T: Clone + std::fmt::Debug + Send + Sync>() {}
        assert_traits::<Calendar>();
    }
}
