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
                Calendar::from_toml(CHINA_TOML).unwrap_or_else(|e| {
                    panic!("the shipped data/calendar/china.toml is broken: {e}")
                })
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
        self.holiday_names
            .get(&day_number(date))
            .map(String::as_str)
    }

    /// Working minutes in one working day (420 with the default periods).
    pub fn minutes_per_working_day(&self) -> i64 {
        self.day_ms / MINUTE_MS
    }

    /// A time limit in working minutes: `Hours(h)` is `h × 60`, `Days(d)` is `d` full working days.
    /// Working days are counted as working time rather than as calendar dates so that a limit of
    /// one day from Monday 10:00 ends on Tuesday 10:00, exactly one working day later.
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
        let target = self
            .working_ms_before(self.local_ms(start))
            .saturating_add(minutes.saturating_mul(MINUTE_MS));
        // The target lies in the working day that has `n` working days before it, `r` working
        // milliseconds into it, with 0 < r <= day_ms (r == day_ms: the end of its last period).
        let n = (target - 1).div_euclid(self.day_ms);
        let r = target - n * self.day_ms;
        let first = self.local_ms(start).div_euclid(DAY_MS);
        let day = self.working_day_with_index(n, first);
        let local = day
            .saturating_mul(DAY_MS)
            .saturating_add(self.instant_in_day(r));
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
        let weekly =
            day.div_euclid(7) * self.week_days + self.week_prefix[day.rem_euclid(7) as usize];
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
        let today = if self.is_working(day) {
            self.worked_before(local.rem_euclid(DAY_MS))
        } else {
            0
        };
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
const WEEKDAY_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

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
        None => DEFAULT_PERIODS
            .iter()
            .map(|&(s, e)| (s * MINUTE_MS, e * MINUTE_MS))
            .collect(),
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
                return Err(Refusal::bad_field(
                    &field("name"),
                    "节日名称不能为空",
                    "the holiday needs a name",
                ));
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
                    format!(
                        "{date} is a holiday ({name}) and cannot also be an adjusted working day"
                    ),
                ));
            }
            let wd = weekday_index(day);
            if !weekend[wd] {
                return Err(Refusal::bad_field(
                    &field,
                    format!("{date} 是{}，本来就是工作日，无需调休", WEEKDAY_ZH[wd]),
                    format!(
                        "{date} is a {}, already a working day; only weekend days can be adjusted",
                        WEEKDAY_EN[wd]
                    ),
                ));
            }
            if extra_on.contains(&day) {
                return Err(Refusal::bad_field(
                    &field,
                    format!("{date} 重复列出"),
                    format!("{date} is listed twice"),
                ));
            }
            extra_on.push(day);
        }
    }
    extra_on.sort_unstable();
    let extra_off: Vec<i64> = holiday_names
        .keys()
        .copied()
        .filter(|&d| !weekend[weekday_index(d)])
        .collect();

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
        return Err(Refusal::bad_field(
            "periods",
            "至少需要一个工作时段",
            "at least one working period is needed",
        ));
    }
    let mut periods: Vec<(i64, i64)> = Vec::with_capacity(entries.len());
    for (i, p) in entries.iter().enumerate() {
        let from = parse_clock(&format!("periods[{i}].from"), &p.from)?;
        let to = parse_clock(&format!("periods[{i}].to"), &p.to)?;
        if to <= from {
            return Err(Refusal::bad_field(
                &format!("periods[{i}].to"),
                format!("结束时间 {} 不晚于开始时间 {}", p.to.trim(), p.from.trim()),
                format!(
                    "the period ends at {}, not after it starts at {}",
                    p.to.trim(),
                    p.from.trim()
                ),
            ));
        }
        if let Some(&(_, prev_end)) = periods.last()
            && from < prev_end
        {
            return Err(Refusal::bad_field(
                &format!("periods[{i}].from"),
                format!(
                    "开始时间 {} 早于上一时段的结束时间，时段须按时间先后排列且不重叠",
                    p.from.trim()
                ),
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
    let date = (t.len() == 10)
        .then(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| {
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
        ["一", "二", "三", "四", "五", "六", "日"]
            .iter()
            .position(|c| *c == rest)
            .or((rest == "天").then_some(6))
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
    let line = e.span().map(|r| {
        src.as_bytes()[..r.start.min(src.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    });
    let msg = e.message().trim();
    match line {
        Some(l) => Refusal::bad_field(
            "calendar",
            format!("TOML 第 {l} 行有误：{msg}"),
            format!("TOML error on line {l}: {msg}"),
        ),
        None => Refusal::bad_field(
            "calendar",
            format!("TOML 有误：{msg}"),
            format!("TOML error: {msg}"),
        ),
    }
}
