//! The monthly evaluation report (考核月报) of one level, rendered three ways: an XLSX workbook,
//! a CSV file and a printable HTML page.
//!
//! Pure functions from numbers to bytes: the caller (the indicator API) sums the counters, turns
//! them into [`Indicators`] with the domain's `Indicators::from_counters`, ranks the children with
//! `rank`, fills a [`MonthlyReport`] and asks for the format it wants. Nothing here computes an
//! indicator, so the report shows the numbers the screens show. Every number shown is rounded
//! once, by the functions of this module, so the three formats agree to the last digit:
//! rates to two decimals of a percent, hours to two decimals, the composite as computed.
//!
//! docs/evaluation.md defines every indicator; the method section of each format says the same
//! in the report's language, with the deployment's own [`Policy`] numbers.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};
use yiwang_domain::codes::Level;
use yiwang_domain::evaluation::{Indicators, Policy, Rate};
use yiwang_domain::lang::Lang;
use yiwang_domain::time::{Timestamp, china_standard_time};

/// The monthly report of one level of the jurisdiction tree (or any period: `period` is inclusive).
#[derive(Clone, Debug, PartialEq)]
pub struct MonthlyReport {
    /// The level's name, e.g. 北京市东城区.
    pub level_name: String,
    /// Its division code, e.g. `110101`.
    pub node: String,
    /// First and last day counted, in China Standard Time (see [`month`] and [`days`]).
    pub period: (NaiveDate, NaiveDate),
    pub generated_at: Timestamp,
    pub lang: Lang,
    /// The configuration the indicators were computed with (stated in the method section).
    pub policy: Policy,
    /// The rate the rows' places rank by (the caller passed it to `rank`); `None`: no places.
    pub ranked_by: Option<RateKind>,
    /// The level itself.
    pub overall: Indicators,
    /// Its children (streets of a district, communities of a street…) and its units, in the
    /// order to show them (usually the order `rank` returned, children first).
    pub rows: Vec<ReportRow>,
}

/// One object below the level.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRow {
    /// Division code of an area, id of a unit.
    pub key: String,
    pub name: String,
    pub kind: RowKind,
    pub indicators: Indicators,
    /// 1-based place among the rows of the same kind; `None`: below the minimum volume, shown
    /// but not ranked.
    pub place: Option<usize>,
}

/// What a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// A node of the jurisdiction tree (区域) at this level.
    Area(Level),
    /// A responsible unit (部门).
    Unit,
}

/// The rates of [`Indicators`], in the order reports show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateKind {
    FilingOnTime,
    FilingAccuracy,
    Closure,
    ClosureOnTime,
    Rework,
    ReportAccuracy,
    AckInTime,
    CompletedInTime,
    Response,
    Resolution,
    Satisfaction,
}

impl RateKind {
    pub const ALL: [RateKind; 11] = [
        RateKind::FilingOnTime,
        RateKind::FilingAccuracy,
        RateKind::Closure,
        RateKind::ClosureOnTime,
        RateKind::Rework,
        RateKind::ReportAccuracy,
        RateKind::AckInTime,
        RateKind::CompletedInTime,
        RateKind::Response,
        RateKind::Resolution,
        RateKind::Satisfaction,
    ];

    /// The name the API uses for the rate, e.g. `closure_on_time` (the field of `Indicators`).
    pub fn name(self) -> &'static str {
        match self {
            RateKind::FilingOnTime => "filing_on_time",
            RateKind::FilingAccuracy => "filing_accuracy",
            RateKind::Closure => "closure",
            RateKind::ClosureOnTime => "closure_on_time",
            RateKind::Rework => "rework",
            RateKind::ReportAccuracy => "report_accuracy",
            RateKind::AckInTime => "ack_in_time",
            RateKind::CompletedInTime => "completed_in_time",
            RateKind::Response => "response",
            RateKind::Resolution => "resolution",
            RateKind::Satisfaction => "satisfaction",
        }
    }

    pub fn parse(name: &str) -> Option<RateKind> {
        RateKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn of(self, i: &Indicators) -> &Rate {
        match self {
            RateKind::FilingOnTime => &i.filing_on_time,
            RateKind::FilingAccuracy => &i.filing_accuracy,
            RateKind::Closure => &i.closure,
            RateKind::ClosureOnTime => &i.closure_on_time,
            RateKind::Rework => &i.rework,
            RateKind::ReportAccuracy => &i.report_accuracy,
            RateKind::AckInTime => &i.ack_in_time,
            RateKind::CompletedInTime => &i.completed_in_time,
            RateKind::Response => &i.response,
            RateKind::Resolution => &i.resolution,
            RateKind::Satisfaction => &i.satisfaction,
        }
    }

    pub fn label(self, lang: Lang, policy: &Policy) -> String {
        match self {
            RateKind::FilingOnTime => tr(lang, "按时立案率", "Filed on time").into(),
            RateKind::FilingAccuracy => tr(lang, "准确立案率", "Filing accuracy").into(),
            RateKind::Closure => tr(lang, "结案率", "Closure rate").into(),
            RateKind::ClosureOnTime => tr(lang, "按期结案率", "Closed on time").into(),
            RateKind::Rework => tr(lang, "返工率", "Rework rate").into(),
            RateKind::ReportAccuracy => tr(lang, "上报准确率", "Report accuracy").into(),
            RateKind::AckInTime => match lang {
                Lang::Zh => format!("{} 小时签收率", policy.ack_hours),
                Lang::En => format!("Accepted within {} h", policy.ack_hours),
            },
            RateKind::CompletedInTime => match lang {
                Lang::Zh => format!("{} 日办结率", policy.completion_days),
                Lang::En => format!("Completed within {} days", policy.completion_days),
            },
            RateKind::Response => tr(lang, "响应率", "Response rate").into(),
            RateKind::Resolution => tr(lang, "解决率", "Resolution rate").into(),
            RateKind::Satisfaction => tr(lang, "满意率", "Satisfaction rate").into(),
        }
    }

    /// The formula in words, with the deployment's numbers (docs/evaluation.md says more).
    pub fn definition(self, lang: Lang, p: &Policy) -> String {
        match (self, lang) {
            (RateKind::FilingOnTime, Lang::Zh) => format!(
                "上报后 {} 个工作分钟内立案（或网格内自行处置）的案卷数 ÷ 立案数；按立案日计。",
                p.filing_limit_minutes
            ),
            (RateKind::FilingOnTime, Lang::En) => format!(
                "cases filed (or settled in the grid) within {} working minutes of their report ÷ cases filed; counted on the day of filing.",
                p.filing_limit_minutes
            ),
            (RateKind::FilingAccuracy, Lang::Zh) => {
                "（立案数 − 立案后被作废或合并为重复的案卷数）÷ 立案数；按立案日计。".into()
            }
            (RateKind::FilingAccuracy, Lang::En) => {
                "(cases filed − of those, later voided or merged as duplicates) ÷ cases filed; counted on the day of filing.".into()
            }
            (RateKind::Closure, Lang::Zh) => "已结案的应结案案卷数 ÷（应结案数 − 缓办数）。案卷按当前有效期限所在日计为应结案；结案不论是否解决、截至报告生成时；挂账中或挂账期间结案的案卷计为缓办，不计入；作废、合并的案卷不计入。".into(),
            (RateKind::Closure, Lang::En) => "cases due and closed ÷ (cases due − deferred). A case is due on the day its deadline in force falls; closed means closed, fixed or not, by the time the report is made; a case parked (挂账) now, or closed while parked, is deferred and left out; voided and merged cases are left out.".into(),
            (RateKind::ClosureOnTime, Lang::Zh) => "在期限内结案的应结案案卷数 ÷（应结案数 − 缓办数），口径同结案率。".into(),
            (RateKind::ClosureOnTime, Lang::En) => "cases due and closed by their deadline ÷ (cases due − deferred), counted as for the closure rate.".into(),
            (RateKind::Rework, Lang::Zh) => "至少一次核查不通过、退回重办的案卷数 ÷ 处置反馈的案卷数；按首次反馈日计。".into(),
            (RateKind::Rework, Lang::En) => "cases sent back at verification at least once ÷ cases reported back; counted on the day of the first report-back.".into(),
            (RateKind::ReportAccuracy, Lang::Zh) => "网格员、监督员上报后立案且未被作废或合并的案卷数 ÷ 其上报数；按上报日计（主要用于岗位考核）。".into(),
            (RateKind::ReportAccuracy, Lang::En) => "reports by grid members and inspectors that were filed and not voided or merged ÷ their reports; counted on the report day (mainly a staff indicator).".into(),
            (RateKind::AckInTime, Lang::Zh) => format!(
                "派遣后 {} 小时（自然时间）内签收的派遣次数 ÷ 派遣次数；每次派遣、再派遣都计，按派遣日计，计入主办部门。",
                p.ack_hours
            ),
            (RateKind::AckInTime, Lang::En) => format!(
                "dispatches accepted within {} hours (clock time) ÷ dispatches; every dispatch and re-dispatch counts, on its day, for the lead unit.",
                p.ack_hours
            ),
            (RateKind::CompletedInTime, Lang::Zh) => format!(
                "上报后 {d} 天（自然日）内结案的案卷数 ÷ 上报数；按上报日计。统计期结束不足 {d} 天时，最近上报的案卷仍可能办结。",
                d = p.completion_days
            ),
            (RateKind::CompletedInTime, Lang::En) => format!(
                "cases closed within {d} calendar days of their report ÷ cases reported; counted on the report day. Over a period that ended less than {d} days ago, recent cases may still complete.",
                d = p.completion_days
            ),
            (RateKind::Response, Lang::Zh) => "回访中群众表示部门有响应的答复数 ÷ 问及是否响应的答复数；按答复日计。".into(),
            (RateKind::Response, Lang::En) => "follow-up answers saying the unit responded ÷ answers in which the resident was asked; counted on the day of the answer.".into(),
            (RateKind::Resolution, Lang::Zh) => "回访中群众表示问题已解决的答复数 ÷ 答复数；按答复日计。".into(),
            (RateKind::Resolution, Lang::En) => "follow-up answers saying the problem is fixed ÷ answers; counted on the day of the answer.".into(),
            (RateKind::Satisfaction, Lang::Zh) => format!(
                "（满意数 + 基本满意数 × {}）÷ 答复数；按答复日计。回访超时无人答复的单独统计，从不计为满意；重启的案卷以最后一次答复为准。",
                p.basically_weight
            ),
            (RateKind::Satisfaction, Lang::En) => format!(
                "(satisfied + basically satisfied × {}) ÷ answers; counted on the day of the answer. Follow-ups nobody answered in time are counted apart and never as satisfied; a reopened case counts with its last answer.",
                p.basically_weight
            ),
        }
    }
}

/// The first and last day of a month.
pub fn month(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1)? } else { first.with_month(month + 1)? };
    Some((first, next.pred_opt()?))
}

/// A period as the `yyyymmdd` days the counters are kept by, inclusive.
pub fn days(period: (NaiveDate, NaiveDate)) -> (u32, u32) {
    let d = |d: NaiveDate| d.year() as u32 * 10_000 + d.month() * 100 + d.day();
    (d(period.0), d(period.1))
}

fn tr(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

// ----- the numbers as shown: one rounding for every format -----

/// A rate as shown: a fraction rounded to two decimals of a percent (0.9372 = 93.72 %).
fn shown_fraction(v: Option<f64>) -> Option<f64> {
    v.map(|v| (v * 10_000.0).round() / 10_000.0)
}

fn shown_hours(v: Option<f64>) -> Option<f64> {
    v.map(|v| (v * 100.0).round() / 100.0)
}

fn percent_text(v: Option<f64>) -> Option<String> {
    shown_fraction(v).map(|f| format!("{:.2}", f * 100.0))
}

fn decimal_text(v: Option<f64>) -> Option<String> {
    v.map(|v| format!("{:.2}", (v * 100.0).round() / 100.0))
}

/// A numerator is a count, except for 满意率 with a fractional weight.
fn numerator_text(n: f64) -> String {
    if n.fract() == 0.0 { format!("{}", n as i64) } else { format!("{n:.2}") }
}

fn level_label(level: Level, lang: Lang) -> &'static str {
    match level {
        Level::Province => tr(lang, "省", "province"),
        Level::City => tr(lang, "市", "city"),
        Level::County => tr(lang, "区县", "district"),
        Level::Street => tr(lang, "街道乡镇", "street"),
        Level::Community => tr(lang, "社区村", "community"),
        Level::Grid => tr(lang, "网格", "grid"),
        Level::MicroGrid => tr(lang, "微网格", "micro-grid"),
    }
}

impl RowKind {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RowKind::Area(level) => level_label(level, lang),
            RowKind::Unit => tr(lang, "部门", "unit"),
        }
    }
}

fn unranked(lang: Lang) -> &'static str {
    tr(lang, "未排名（样本不足）", "unranked (too few cases)")
}

/// One cell of the breakdown, before a format renders it.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Text(String),
    Count(i64),
    /// A fraction shown as a percent; `None`: nothing to count.
    Percent(Option<f64>),
    /// Hours, or the composite: a number to two decimals.
    Decimal(Option<f64>),
    Place(Option<usize>),
    Empty,
}

fn breakdown_header(r: &MonthlyReport) -> Vec<String> {
    let l = r.lang;
    let mut h: Vec<String> = [
        tr(l, "类型", "Kind"),
        tr(l, "名称", "Name"),
        tr(l, "代码", "Code"),
        tr(l, "上报", "Reported"),
        tr(l, "立案", "Filed"),
        tr(l, "派遣", "Dispatched"),
        tr(l, "结案", "Closed"),
        tr(l, "回访未答", "No answer"),
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let pct = tr(l, "（%）", " (%)");
    h.extend(RateKind::ALL.iter().map(|k| format!("{}{pct}", k.label(l, &r.policy))));
    h.push(tr(l, "平均处置时长（工作小时）", "Avg handling (working h)").into());
    h.push(tr(l, "P90 处置时长（工作小时）", "P90 handling (working h)").into());
    h.push(tr(l, "综合得分", "Composite").into());
    h.push(tr(l, "等级", "Grade").into());
    h.push(match (r.ranked_by, l) {
        (Some(k), Lang::Zh) => format!("名次（按{}）", k.label(l, &r.policy)),
        (Some(k), Lang::En) => format!("Place (by {})", k.label(l, &r.policy)),
        (None, _) => tr(l, "名次", "Place").into(),
    });
    h
}

/// The level's own row (no place: it is not ranked against anything), then one per child.
fn breakdown_rows(r: &MonthlyReport) -> Vec<Vec<Cell>> {
    let own_kind = Level::from_digits(r.node.len()).map(|l| level_label(l, r.lang)).unwrap_or("");
    let mut out = vec![row_cells(own_kind, &r.level_name, &r.node, &r.overall, None)];
    for row in &r.rows {
        let place = if r.ranked_by.is_some() { Some(row.place) } else { None };
        out.push(row_cells(row.kind.label(r.lang), &row.name, &row.key, &row.indicators, place));
    }
    out
}

fn row_cells(kind: &str, name: &str, code: &str, i: &Indicators, place: Option<Option<usize>>) -> Vec<Cell> {
    let mut c = vec![
        Cell::Text(kind.into()),
        Cell::Text(name.into()),
        Cell::Text(code.into()),
        Cell::Count(i.reported),
        Cell::Count(i.filed),
        Cell::Count(i.dispatched),
        Cell::Count(i.closed),
        Cell::Count(i.no_answer),
    ];
    c.extend(RateKind::ALL.iter().map(|k| Cell::Percent(k.of(i).value)));
    c.push(Cell::Decimal(i.handling_hours_avg));
    c.push(Cell::Decimal(i.handling_hours_p90));
    c.push(Cell::Decimal(i.composite));
    c.push(i.grade.clone().map(Cell::Text).unwrap_or(Cell::Empty));
    c.push(place.map(Cell::Place).unwrap_or(Cell::Empty));
    c
}

impl MonthlyReport {
    pub fn title(&self) -> String {
        match self.lang {
            Lang::Zh => format!("{}考核月报", self.level_name),
            Lang::En => format!("Monthly evaluation report: {}", self.level_name),
        }
    }

    fn period_text(&self) -> String {
        let (a, b) = self.period;
        match self.lang {
            Lang::Zh => format!("{} 至 {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d")),
            Lang::En => format!("{} to {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d")),
        }
    }

    fn generated_text(&self) -> String {
        let t = self.generated_at.at_offset(china_standard_time());
        format!("{} (UTC+8)", t.format("%Y-%m-%d %H:%M"))
    }

    /// Facts about the report, as (label, value) pairs, shown above the tables.
    fn facts(&self) -> Vec<(&'static str, String)> {
        let l = self.lang;
        vec![
            (tr(l, "区域代码", "Division code"), self.node.clone()),
            (tr(l, "统计期", "Period"), self.period_text()),
            (tr(l, "生成时间", "Generated"), self.generated_text()),
        ]
    }

    /// The overview's count lines: (label, value as shown).
    fn overview_counts(&self) -> Vec<(String, Cell)> {
        let l = self.lang;
        let i = &self.overall;
        vec![
            (tr(l, "上报案卷数", "Cases reported").into(), Cell::Count(i.reported)),
            (tr(l, "立案数", "Cases filed").into(), Cell::Count(i.filed)),
            (tr(l, "派遣次数", "Dispatches").into(), Cell::Count(i.dispatched)),
            (tr(l, "结案数", "Cases closed").into(), Cell::Count(i.closed)),
            (tr(l, "回访超时未答数", "Follow-ups not answered").into(), Cell::Count(i.no_answer)),
            (
                tr(l, "平均处置时长（工作小时）", "Average handling time (working hours)").into(),
                Cell::Decimal(i.handling_hours_avg),
            ),
            (
                tr(l, "P90 处置时长（工作小时）", "90th percentile handling time (working hours)").into(),
                Cell::Decimal(i.handling_hours_p90),
            ),
            (tr(l, "综合得分", "Composite score").into(), Cell::Decimal(i.composite)),
            (tr(l, "等级", "Grade").into(), i.grade.clone().map(Cell::Text).unwrap_or(Cell::Empty)),
        ]
    }

    /// Every formula in words, in the report's language: (term, definition).
    pub fn method(&self) -> Vec<(String, String)> {
        method(self.lang, &self.policy)
    }
}

fn overview_header(lang: Lang) -> [&'static str; 6] {
    [
        tr(lang, "指标", "Indicator"),
        tr(lang, "数值", "Value"),
        tr(lang, "分子", "Numerator"),
        tr(lang, "分母", "Denominator"),
        tr(lang, "95% 区间下限", "95% interval, low"),
        tr(lang, "95% 区间上限", "95% interval, high"),
    ]
}

/// Every formula in words, with the policy's numbers: (term, definition).
pub fn method(lang: Lang, p: &Policy) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        RateKind::ALL.iter().map(|k| (k.label(lang, p), k.definition(lang, p))).collect();
    let grades = p.grades.iter().map(|(low, g)| format!("{g} ≥ {low}")).collect::<Vec<_>>().join(", ");
    let [w0, w1, w2] = p.weights;
    let more: [(&str, &str, String, String); 7] = [
        (
            "计数",
            "Counts",
            "上报、立案、派遣、结案、回访超时未答各按其发生日（北京时间）计入统计期；同一案卷在其所在网格以上每一级区域都计一次。".into(),
            "reports, filings, dispatches, closures and unanswered follow-ups each count on the day they happened (China Standard Time); a case counts once at every level above its grid.".into(),
        ),
        (
            "重启",
            "Reopening",
            "群众答复未解决且不满意而重启的案卷，原结案和答复不再有效，以下一次结案和答复为准；重启后再派回部门计为一次派遣。".into(),
            "a case reopened because the resident said it was neither fixed nor satisfactory loses its closure and answer; its next closure and answer count instead; going back to the unit counts as a dispatch.".into(),
        ),
        (
            "处置时长",
            "Handling time",
            "从首次派遣到结案的工作时间，扣除挂账期间；按结案日计。平均值为算术平均；P90 为第 90 百分位所在 30 分钟区间的上沿。".into(),
            "working time from the first dispatch to closure, less the time parked; counted on the day of closure. The average is the mean; the P90 is the upper edge of the 30-minute bucket holding the 90th percentile.".into(),
        ),
        (
            "综合得分",
            "Composite score",
            format!("{w0} × 响应率 + {w1} × 解决率 + {w2} × 满意率，以 100 分计，保留两位小数；三率之一无数据时不计算。"),
            format!("{w0} × response + {w1} × resolution + {w2} × satisfaction, out of 100, to two decimals; none when any of the three has nothing to count."),
        ),
        ("等级", "Grade", format!("按综合得分：{grades}。"), format!("by composite score: {grades}.")),
        (
            "95% 区间",
            "95% interval",
            "威尔逊（Wilson）得分区间，置信水平 95%（z = 1.96）：真实比率大致所在的范围；样本越少区间越宽。".into(),
            "the Wilson score interval at 95 % (z = 1.96): where the true rate plausibly lies; the fewer the cases, the wider it is.".into(),
        ),
        (
            "排名",
            "Ranking",
            format!("同类对象按所选比率的 95% 区间下限由高到低排名，下限相同时样本多者在前；分母少于 {} 的对象照常列出，但不排名（样本不足）。", p.min_volume),
            format!("objects of a kind rank by the lower end of the 95 % interval of the chosen rate, highest first, more cases first on a tie; objects with a denominator under {} are listed but not ranked (too few cases).", p.min_volume),
        ),
    ];
    out.extend(more.into_iter().map(|(zh, en, dzh, den)| match lang {
        Lang::Zh => (zh.to_string(), dzh),
        Lang::En => (en.to_string(), den),
    }));
    out
}

// ----- XLSX -----

/// The report as an XLSX workbook: 总览 Overview, 分项 Breakdown, 说明 Method.
pub fn to_xlsx(r: &MonthlyReport) -> Vec<u8> {
    // Only a bug of ours (a bad cell reference, a sheet name) can make the writer fail.
    write_xlsx(r).expect("the report's workbook is well formed")
}

const SHEET_OVERVIEW: &str = "总览 Overview";
const SHEET_BREAKDOWN: &str = "分项 Breakdown";
const SHEET_METHOD: &str = "说明 Method";
/// Paper size code of A4 in the XLSX page set-up.
const A4: u8 = 9;

struct Formats {
    title: Format,
    header: Format,
    text: Format,
    wrap: Format,
    count: Format,
    percent: Format,
    decimal: Format,
    numerator: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new().set_border(FormatBorder::Thin).set_border_color(Color::RGB(0x80_80_80));
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color(Color::RGB(0xE8_E8_E8)),
            text: cell.clone(),
            wrap: cell.clone().set_text_wrap().set_align(FormatAlign::Top),
            count: cell.clone().set_num_format("0"),
            percent: cell.clone().set_num_format("0.00%"),
            decimal: cell.clone().set_num_format("0.00"),
            numerator: cell.set_num_format("0.##"),
        }
    }
}

fn write_cell(ws: &mut Worksheet, row: u32, col: u16, cell: &Cell, f: &Formats, lang: Lang) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) => ws.write_string_with_format(row, col, s, &f.text)?,
        Cell::Count(n) => ws.write_number_with_format(row, col, *n as f64, &f.count)?,
        Cell::Percent(Some(v)) => {
            ws.write_number_with_format(row, col, shown_fraction(Some(*v)).unwrap(), &f.percent)?
        }
        Cell::Decimal(Some(v)) => ws.write_number_with_format(row, col, shown_hours(Some(*v)).unwrap(), &f.decimal)?,
        Cell::Place(Some(p)) => ws.write_number_with_format(row, col, *p as f64, &f.count)?,
        Cell::Place(None) => ws.write_string_with_format(row, col, unranked(lang), &f.text)?,
        Cell::Percent(None) | Cell::Decimal(None) | Cell::Empty => {
            ws.write_string_with_format(row, col, "—", &f.text)?
        }
    };
    Ok(())
}

fn write_xlsx(r: &MonthlyReport) -> Result<Vec<u8>, XlsxError> {
    let l = r.lang;
    let f = Formats::new();
    let mut wb = Workbook::new();
    let created = ExcelDateTime::from_timestamp(r.generated_at.0.div_euclid(1000))?;
    wb.set_properties(
        &DocProperties::new().set_title(r.title()).set_subject(r.period_text()).set_creation_datetime(&created),
    );

    // Sheet 1: the level's indicators, each rate with what it is made of.
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_OVERVIEW)?.set_paper_size(A4);
    ws.write_string_with_format(0, 0, r.title(), &f.title)?;
    let mut row = 1;
    for (label, value) in r.facts() {
        ws.write_string(row, 0, label)?;
        ws.write_string(row, 1, value)?;
        row += 1;
    }
    row += 1;
    let header_row = row;
    for (c, h) in overview_header(l).iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *h, &f.header)?;
    }
    ws.set_freeze_panes(header_row + 1, 0)?;
    ws.set_repeat_rows(header_row, header_row)?;
    row += 1;
    for k in RateKind::ALL {
        let rate = k.of(&r.overall);
        ws.write_string_with_format(row, 0, k.label(l, &r.policy), &f.text)?;
        write_cell(ws, row, 1, &Cell::Percent(rate.value), &f, l)?;
        ws.write_number_with_format(row, 2, rate.numerator, &f.numerator)?;
        ws.write_number_with_format(row, 3, rate.denominator as f64, &f.count)?;
        write_cell(ws, row, 4, &Cell::Percent(rate.low), &f, l)?;
        write_cell(ws, row, 5, &Cell::Percent(rate.high), &f, l)?;
        row += 1;
    }
    for (label, cell) in r.overview_counts() {
        ws.write_string_with_format(row, 0, label, &f.text)?;
        write_cell(ws, row, 1, &cell, &f, l)?;
        row += 1;
    }
    ws.set_column_width(0, 34)?;
    ws.set_column_width(1, 24)?;
    for c in 2..6 {
        ws.set_column_width(c, 14)?;
    }

    // Sheet 2: one row per object, the level first.
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_BREAKDOWN)?.set_paper_size(A4).set_landscape();
    ws.write_string_with_format(0, 0, format!("{} · {}", r.title(), r.period_text()), &f.title)?;
    let header = breakdown_header(r);
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, h, &f.header)?;
    }
    ws.set_row_height(1, 48)?;
    ws.set_freeze_panes(2, 3)?;
    ws.set_repeat_rows(1, 1)?;
    for (i, cells) in breakdown_rows(r).iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            write_cell(ws, 2 + i as u32, c as u16, cell, &f, l)?;
        }
    }
    ws.set_column_width(0, 10)?;
    ws.set_column_width(1, 24)?;
    ws.set_column_width(2, 17)?;
    for c in 3..header.len() as u16 - 1 {
        ws.set_column_width(c, 11)?;
    }
    ws.set_column_width(header.len() as u16 - 1, 20)?;

    // Sheet 3: the method.
    let ws = wb.add_worksheet();
    ws.set_name(SHEET_METHOD)?.set_paper_size(A4);
    ws.write_string_with_format(0, 0, tr(l, "名称", "Term"), &f.header)?;
    ws.write_string_with_format(0, 1, tr(l, "定义", "Definition"), &f.header)?;
    ws.set_freeze_panes(1, 0)?;
    for (i, (term, def)) in r.method().iter().enumerate() {
        ws.write_string_with_format(1 + i as u32, 0, term, &f.wrap)?;
        ws.write_string_with_format(1 + i as u32, 1, def, &f.wrap)?;
    }
    ws.set_column_width(0, 22)?;
    ws.set_column_width(1, 100)?;

    wb.save_to_buffer()
}

// ----- CSV -----

/// The breakdown as CSV: UTF-8 with a byte-order mark (so that Excel reads Chinese), CRLF line
/// ends and RFC 4180 quoting; the level first, then its rows. Rates are percents to two
/// decimals; an empty field has nothing to count.
pub fn to_csv(r: &MonthlyReport) -> String {
    let mut out = String::from("\u{feff}");
    let line = |out: &mut String, fields: Vec<String>| {
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&quoted.join(","));
        out.push_str("\r\n");
    };
    line(&mut out, breakdown_header(r));
    for cells in breakdown_rows(r) {
        line(&mut out, cells.iter().map(|c| cell_text(c, r.lang, "")).collect());
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// A cell as text: percents without their sign (the header says "%"), `none` where there is
/// nothing to count.
fn cell_text(c: &Cell, lang: Lang, none: &str) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Count(n) => n.to_string(),
        Cell::Percent(v) => percent_text(*v).unwrap_or_else(|| none.into()),
        Cell::Decimal(v) => decimal_text(*v).unwrap_or_else(|| none.into()),
        Cell::Place(Some(p)) => p.to_string(),
        Cell::Place(None) => unranked(lang).into(),
        Cell::Empty => none.into(),
    }
}

// ----- HTML -----

/// The report as one printable page: A4 (the wide breakdown on landscape pages), no script, no
/// external asset, every text escaped.
pub fn to_html(r: &MonthlyReport) -> String {
    let l = r.lang;
    let mut h = String::new();
    let lang_tag = match l {
        Lang::Zh => "zh-CN",
        Lang::En => "en",
    };
    let title = esc(&r.title());
    let _ = write!(
        h,
        r#"<!doctype html>
<html lang="{lang_tag}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
@page {{ size: A4; margin: 15mm 12mm; }}
@page wide {{ size: A4 landscape; margin: 12mm 10mm; }}
body {{ font: 11pt/1.5 system-ui, "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; color: #111; background: #fff; margin: 1.5rem auto; max-width: 70rem; padding: 0 1rem; }}
h1 {{ font-size: 16pt; margin: 0 0 .5rem; }}
h2 {{ font-size: 13pt; margin: 1.5rem 0 .5rem; }}
dl.facts {{ display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0 0 1rem; }}
dl.facts dt {{ font-weight: bold; }}
dl.facts dd {{ margin: 0; }}
table {{ border-collapse: collapse; width: 100%; margin: 0 0 1rem; }}
caption {{ text-align: left; font-weight: bold; padding: .25rem 0; }}
th, td {{ border: 1px solid #555; padding: .2rem .4rem; vertical-align: top; }}
thead th {{ background: #e8e8e8; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
th[scope=row] {{ text-align: left; font-weight: normal; }}
.breakdown table {{ font-size: 8.5pt; }}
.method dt {{ font-weight: bold; margin-top: .5rem; }}
.method dd {{ margin: 0 0 0 1rem; }}
@media print {{
  body {{ margin: 0; max-width: none; padding: 0; font-size: 10pt; }}
  .breakdown {{ page: wide; break-before: page; }}
  .method {{ break-before: page; }}
  thead {{ display: table-header-group; }}
  tr, dt, dd {{ break-inside: avoid; }}
}}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<dl class="facts">
"#
    );
    for (label, value) in r.facts() {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(&value));
    }
    h.push_str("</dl>\n");

    // Overview.
    let _ = writeln!(
        h,
        "<section class=\"overview\">\n<h2 id=\"overview\">{}</h2>\n<table aria-labelledby=\"overview\">\n<caption>{}</caption>\n<thead><tr>",
        tr(l, "总览", "Overview"),
        esc(&match l {
            Lang::Zh => format!("{}（{}）各项指标", r.level_name, r.node),
            Lang::En => format!("Indicators of {} ({})", r.level_name, r.node),
        })
    );
    for head in overview_header(l) {
        let _ = write!(h, "<th scope=\"col\">{}</th>", esc(head));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let dash = "—";
    for k in RateKind::ALL {
        let rate = k.of(&r.overall);
        let pct = |v: Option<f64>| percent_text(v).map(|s| format!("{s}%")).unwrap_or_else(|| dash.into());
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&k.label(l, &r.policy)),
            pct(rate.value),
            numerator_text(rate.numerator),
            rate.denominator,
            pct(rate.low),
            pct(rate.high),
        );
    }
    for (label, cell) in r.overview_counts() {
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td colspan=\"4\"></td></tr>",
            esc(&label),
            esc(&html_cell(&cell, l))
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");

    // Breakdown.
    let _ = writeln!(
        h,
        "<section class=\"breakdown\">\n<h2 id=\"breakdown\">{}</h2>\n<table aria-labelledby=\"breakdown\">\n<caption>{}</caption>\n<thead><tr>",
        tr(l, "分项", "Breakdown"),
        esc(&match l {
            Lang::Zh => format!("{}及下级区域、部门，{}", r.level_name, r.period_text()),
            Lang::En => format!("{}, its areas and units, {}", r.level_name, r.period_text()),
        })
    );
    for head in breakdown_header(r) {
        let _ = write!(h, "<th scope=\"col\">{}</th>", esc(&head));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for cells in breakdown_rows(r) {
        h.push_str("<tr>");
        for (i, cell) in cells.iter().enumerate() {
            let text = esc(&html_cell(cell, l));
            match (i, cell) {
                // The name heads its row.
                (1, _) => {
                    let _ = write!(h, "<th scope=\"row\">{text}</th>");
                }
                (_, Cell::Text(_) | Cell::Place(None) | Cell::Empty) => {
                    let _ = write!(h, "<td>{text}</td>");
                }
                _ => {
                    let _ = write!(h, "<td class=\"n\">{text}</td>");
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");

    // Method.
    let _ = writeln!(h, "<section class=\"method\">\n<h2>{}</h2>\n<dl>", tr(l, "计算方法", "Method"));
    for (term, def) in r.method() {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(&term), esc(&def));
    }
    h.push_str("</dl>\n</section>\n</main>\n</body>\n</html>\n");
    h
}

fn html_cell(c: &Cell, lang: Lang) -> String {
    match c {
        Cell::Percent(Some(_)) => format!("{}%", cell_text(c, lang, "—")),
        _ => cell_text(c, lang, "—"),
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
