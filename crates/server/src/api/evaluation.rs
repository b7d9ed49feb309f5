//! Evaluation (考核) over HTTP: indicators for any node, unit or member of staff over any period,
//! fair rankings, and the cases behind every number.
//!
//! Who may see what: a member of staff sees the areas their role covers, the units serving
//! there and the staff working there; a handler also sees their own unit; everyone sees their
//! own staff indicators. Residents and the three administrators see none (no case contents).

use axum::extract::State;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::Refusal;
use yiwang_domain::case::Role;
use yiwang_domain::codes::{AreaCode, Level};
use yiwang_domain::evaluation::{self, Counters, Dim, Facts, Indicators, Rate};

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json, Query};
use crate::reports::{self, MonthlyReport, RateKind, ReportRow, RowKind};
use crate::view::CaseView;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(indicators))
        .routes(routes!(rankings))
        .routes(routes!(cases))
        .routes(routes!(report))
}

/// Which object (the period comes beside it, as [`Period`]).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Subject {
    /// `area` (a node of the tree: 2–15 digits), `unit` or `staff`.
    pub dim: Option<String>,
    /// The area code, unit id or staff id. Default: the caller's own area.
    pub key: Option<String>,
}

/// A period of days.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// `day`, `week`, `month` (default), `quarter`, `year`, or `custom` (with `from` and `to`).
    pub period: Option<String>,
    /// A day inside the period, `YYYY-MM-DD` (default: today).
    pub date: Option<String>,
    /// First day of a custom period, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day of a custom period, inclusive.
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RateView {
    /// The rate, 0–1; absent with nothing to count.
    pub value: Option<f64>,
    pub numerator: f64,
    /// The cases behind the rate: always shown beside it.
    pub count: i64,
    /// Wilson score interval at 95 %.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl From<Rate> for RateView {
    fn from(r: Rate) -> Self {
        RateView { value: r.value, numerator: r.numerator, count: r.denominator, low: r.low, high: r.high }
    }
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorsView {
    pub dim: String,
    pub key: String,
    pub name: String,
    /// First and last day, inclusive.
    pub from: String,
    pub to: String,
    pub reported: i64,
    pub filed: i64,
    pub dispatched: i64,
    pub closed: i64,
    /// 按时立案率
    pub filing_on_time: RateView,
    /// 准确立案率
    pub filing_accuracy: RateView,
    /// 结案率
    pub closure: RateView,
    /// 按期结案率
    pub closure_on_time: RateView,
    /// 返工率
    pub rework: RateView,
    /// 上报准确率
    pub report_accuracy: RateView,
    /// 24 小时签收率
    pub ack_in_time: RateView,
    /// 7 日办结率
    pub completed_in_time: RateView,
    /// 响应率
    pub response: RateView,
    /// 解决率
    pub resolution: RateView,
    /// 满意率
    pub satisfaction: RateView,
    /// 回访超时: never counted as satisfied.
    pub no_answer: i64,
    pub handling_hours_avg: Option<f64>,
    pub handling_hours_p90: Option<f64>,
    /// 三率综合 (30/35/35), out of 100.
    pub composite: Option<f64>,
    pub grade: Option<String>,
}

impl IndicatorsView {
    fn of(dim: Dim, key: &str, name: String, (from, to): (NaiveDate, NaiveDate), i: Indicators) -> IndicatorsView {
        IndicatorsView {
            dim: dim.as_str().into(),
            key: key.into(),
            name,
            from: from.to_string(),
            to: to.to_string(),
            reported: i.reported,
            filed: i.filed,
            dispatched: i.dispatched,
            closed: i.closed,
            filing_on_time: i.filing_on_time.into(),
            filing_accuracy: i.filing_accuracy.into(),
            closure: i.closure.into(),
            closure_on_time: i.closure_on_time.into(),
            rework: i.rework.into(),
            report_accuracy: i.report_accuracy.into(),
            ack_in_time: i.ack_in_time.into(),
            completed_in_time: i.completed_in_time.into(),
            response: i.response.into(),
            resolution: i.resolution.into(),
            satisfaction: i.satisfaction.into(),
            no_answer: i.no_answer,
            handling_hours_avg: i.handling_hours_avg,
            handling_hours_p90: i.handling_hours_p90,
            composite: i.composite,
            grade: i.grade,
        }
    }
}

fn bad(field: &str, zh: impl std::fmt::Display, en: impl std::fmt::Display) -> ApiError {
    Refusal::bad_field(field, zh, en).into()
}

fn parse_day(field: &str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| bad(field, format!("“{s}”应为 YYYY-MM-DD"), format!("“{s}” must be YYYY-MM-DD")))
}

/// The period's first and last day.
pub fn period_of(s: &Period, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let date = match &s.date {
        Some(d) => parse_day("date", d)?,
        None => today,
    };
    let month_start = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).expect("valid month");
    let next_month = |d: NaiveDate| {
        if d.month() == 12 { month_start(d.year() + 1, 1) } else { month_start(d.year(), d.month() + 1) }
    };
    let (from, to) = match s.period.as_deref().unwrap_or("month") {
        "day" => (date, date),
        "week" => {
            let monday = date - Duration::days(date.weekday().num_days_from_monday() as i64);
            (monday, monday + Duration::days(6))
        }
        "month" => {
            let first = month_start(date.year(), date.month());
            (first, next_month(first) - Duration::days(1))
        }
        "quarter" => {
            let first = month_start(date.year(), (date.month() - 1) / 3 * 3 + 1);
            (first, next_month(next_month(next_month(first))) - Duration::days(1))
        }
        "year" => (month_start(date.year(), 1), month_start(date.year() + 1, 1) - Duration::days(1)),
        "custom" => {
            let (Some(f), Some(t)) = (&s.from, &s.to) else {
                return Err(bad("from", "自定义时段须给出 from 和 to", "a custom period needs from and to"));
            };
            (parse_day("from", f)?, parse_day("to", t)?)
        }
        other => {
            return Err(bad(
                "period",
                format!("“{other}”应为 day、week、month、quarter、year 或 custom"),
                format!("“{other}” must be day, week, month, quarter, year or custom"),
            ));
        }
    };
    if to < from || (to - from).num_days() > 3 * 366 {
        return Err(bad(
            "to",
            "时段应从 from 到 to，且不超过三年",
            "the period must run from `from` to `to`, at most three years",
        ));
    }
    Ok((from, to))
}

fn yyyymmdd(d: NaiveDate) -> u32 {
    reports::days((d, d)).0
}

/// The rate to rank by (default 按期结案率).
fn rate_kind(name: Option<&str>) -> Result<RateKind, ApiError> {
    let name = name.unwrap_or("closure_on_time");
    RateKind::parse(name)
        .ok_or_else(|| bad("indicator", format!("没有“{name}”这个比率"), format!("there is no rate “{name}”")))
}

fn today(app: &AppState) -> NaiveDate {
    yiwang_domain::time::Timestamp::now().at_offset(app.0.engine.rules().calendar.offset()).date_naive()
}

/// The object asked about, checked against what the caller may see; returns it and its name.
fn subject(
    app: &AppState,
    caller: &Caller,
    dim: Option<&str>,
    key: Option<&str>,
) -> Result<(Dim, String, String), ApiError> {
    let actor = caller.actor()?;
    if matches!(actor.role, Role::Resident | Role::System) || caller.is_administrator() {
        return Err(ApiError::forbidden("考核数据仅供工作人员查看", "evaluation is for staff"));
    }
    let scope = actor.scope.clone().ok_or_else(|| ApiError::forbidden("没有管辖范围", "no jurisdiction"))?;
    let loaded = app.0.engine.loaded();
    let dim = match dim.unwrap_or("area") {
        "area" => Dim::Area,
        "unit" => Dim::Unit,
        "staff" => Dim::Staff,
        other => {
            return Err(bad(
                "dim",
                format!("“{other}”应为 area、unit 或 staff"),
                format!("“{other}” must be area, unit or staff"),
            ));
        }
    };
    let outside = || ApiError::forbidden("不在您的管辖范围内", "outside your jurisdiction");
    match dim {
        Dim::Area => {
            let code = match key.filter(|k| !k.is_empty()) {
                Some(k) => AreaCode::parse("key", k)?,
                None => scope.clone(),
            };
            if !scope.covers(&code) {
                return Err(outside());
            }
            let name =
                loaded.jurisdiction.path_names(&code).last().map(|n| n.to_string()).unwrap_or_else(|| code.to_string());
            Ok((dim, code.to_string(), name))
        }
        Dim::Unit => {
            let id = key
                .map(str::to_owned)
                .or(actor.unit.clone())
                .ok_or_else(|| bad("key", "请给出单位", "name the unit"))?;
            let unit = loaded.responsibility.require_unit("key", &id)?;
            let own = actor.unit.as_deref() == Some(id.as_str());
            if !(own || scope.covers(&unit.area) || unit.area.covers(&scope)) {
                return Err(outside());
            }
            Ok((dim, id.clone(), unit.name.clone()))
        }
        Dim::Staff => {
            let id = key.map_or_else(|| actor.id.clone(), str::to_owned);
            let staff = loaded
                .staff(&id)
                .ok_or_else(|| bad("key", format!("工作人员 {id} 不存在"), format!("no member of staff {id}")))?;
            if id != actor.id && !scope.covers(&staff.scope) {
                return Err(outside());
            }
            Ok((dim, id.clone(), staff.name.clone()))
        }
    }
}

/// Every indicator of one area, unit or member of staff over a period.
#[utoipa::path(get, path = "/api/evaluation/indicators", tag = "evaluation", params(Subject, Period),
    responses((status = 200, body = IndicatorsView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn indicators(
    State(app): State<AppState>,
    caller: Caller,
    Query(s): Query<Subject>,
    Query(period): Query<Period>,
) -> Result<Json<IndicatorsView>, ApiError> {
    let (dim, key, name) = subject(&app, &caller, s.dim.as_deref(), s.key.as_deref())?;
    let period = period_of(&period, today(&app))?;
    let (counters, buckets) = app.0.engine.store().counters(dim, &key, yyyymmdd(period.0), yyyymmdd(period.1)).await?;
    let policy = app.0.engine.policy();
    Ok(Json(IndicatorsView::of(dim, &key, name, period, Indicators::from_counters(&counters, &buckets, policy))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// What to rank: `streets`, `communities`, `grids` (under `area`), or `units`.
    pub of: String,
    /// The area whose parts are ranked (default: the caller's).
    pub area: Option<String>,
    /// The rate to rank by, e.g. `closure_on_time` (default), `satisfaction`, `response`.
    pub indicator: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RankedView {
    /// 1-based; absent below the minimum volume (shown, not ranked).
    pub place: Option<usize>,
    pub key: String,
    pub name: String,
    pub rate: RateView,
    pub composite: Option<f64>,
}

/// A league table with counts and Wilson intervals; entries below the minimum volume are shown
/// after the table, unranked. Ranked by the interval's lower end, so one fast case cannot top it.
#[utoipa::path(get, path = "/api/evaluation/rankings", tag = "evaluation", params(RankingQuery, Period),
    responses((status = 200, body = Vec<RankedView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn rankings(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<RankingQuery>,
    Query(period): Query<Period>,
) -> Result<Json<Vec<RankedView>>, ApiError> {
    let (_, area, _) = subject(&app, &caller, Some("area"), q.area.as_deref())?;
    let period = period_of(&period, today(&app))?;
    let indicator = rate_kind(q.indicator.as_deref())?;
    let policy = app.0.engine.policy();
    let (dim, prefix, len) = match q.of.as_str() {
        "streets" => (Dim::Area, area.clone(), Some(Level::Street.digits())),
        "communities" => (Dim::Area, area.clone(), Some(Level::Community.digits())),
        "grids" => (Dim::Area, area.clone(), Some(Level::Grid.digits())),
        "units" => (Dim::Unit, String::new(), None),
        other => {
            return Err(bad(
                "of",
                format!("“{other}”应为 streets、communities、grids 或 units"),
                format!("“{other}” must be streets, communities, grids or units"),
            ));
        }
    };
    let loaded = app.0.engine.loaded();
    let area_code = AreaCode::parse("area", &area)?;
    let rows = app.0.engine.store().counters_by_key(dim, &prefix, len, yyyymmdd(period.0), yyyymmdd(period.1)).await?;
    let mut entries = Vec::new();
    let mut composite = std::collections::HashMap::new();
    for (key, c) in rows {
        // Units: those serving within the area (or above it).
        if dim == Dim::Unit
            && !loaded.responsibility.unit(&key).is_some_and(|u| area_code.covers(&u.area) || u.area.covers(&area_code))
        {
            continue;
        }
        let i = Indicators::from_counters(&c, &Default::default(), policy);
        composite.insert(key.clone(), i.composite);
        entries.push((key, *indicator.of(&i)));
    }
    let name = |k: &str| match dim {
        Dim::Unit => loaded.responsibility.unit(k).map(|u| u.name.clone()),
        _ => AreaCode::parse("key", k)
            .ok()
            .and_then(|c| loaded.jurisdiction.path_names(&c).last().map(|n| n.to_string())),
    };
    Ok(Json(
        evaluation::rank(entries, policy)
            .into_iter()
            .map(|r| RankedView {
                place: r.place,
                name: name(&r.key).unwrap_or_else(|| r.key.clone()),
                composite: composite.get(&r.key).copied().flatten(),
                key: r.key,
                rate: r.rate.into(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    pub dim: Option<String>,
    pub key: Option<String>,
    /// The counter behind a number, e.g. `due`, `due_closed_on_time`, `reworked`, `answered`,
    /// `satisfied`, `no_answer` (the names of the indicators' numerators and denominators).
    pub counter: String,
    /// At most this many (default 200, at most 1,000).
    pub limit: Option<u32>,
}

/// The cases behind a number: every case that adds to `counter` for the object in the period.
#[utoipa::path(get, path = "/api/evaluation/cases", tag = "evaluation", params(CasesQuery, Period),
    responses((status = 200, body = Vec<CaseView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn cases(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<CasesQuery>,
    Query(period): Query<Period>,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    let (dim, key, _) = subject(&app, &caller, q.dim.as_deref(), q.key.as_deref())?;
    let period = period_of(&period, today(&app))?;
    let index = Counters::NAMES.iter().position(|n| *n == q.counter).ok_or_else(|| {
        bad("counter", format!("没有“{}”这个计数", q.counter), format!("there is no counter “{}”", q.counter))
    })?;
    let limit = q.limit.unwrap_or(200).clamp(1, 1000) as usize;
    let engine = &app.0.engine;
    let (cal, policy) = (&engine.rules().calendar, engine.policy());
    // Areas page through their own cases; units and staff through the caller's territory.
    let area = match dim {
        Dim::Area => AreaCode::parse("key", &key)?,
        _ => caller.actor()?.scope.clone().ok_or_else(|| ApiError::forbidden("没有管辖范围", "no jurisdiction"))?,
    };
    let (from, to) = (yyyymmdd(period.0), yyyymmdd(period.1));
    let counts = |f: &Facts| {
        evaluation::contributions(f, cal, policy)
            .counters
            .iter()
            .any(|(k, c)| k.dim == dim && k.key == key && (from..=to).contains(&k.day) && c.values()[index] > 0)
    };
    let mut ids = Vec::new();
    let mut after = 0;
    'pages: loop {
        let page = engine.store().facts_in_area(&area, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.case_id;
        for f in page.iter().filter(|f| counts(f)) {
            ids.push(f.case_id);
            if ids.len() >= limit {
                break 'pages;
            }
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = engine.store().case(id).await?
            && crate::api::visibility::can_see(&caller, &c)
        {
            out.push(CaseView::of(&c, &app, &caller));
        }
    }
    Ok(Json(out))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The level reported on (default: the caller's area).
    pub area: Option<String>,
    /// The month, `YYYY-MM` (default: this month).
    pub month: Option<String>,
    /// `xlsx` (default), `csv` or `html` (a printable page).
    pub format: Option<String>,
    /// The rate the breakdown is ranked by (default `closure_on_time`).
    pub indicator: Option<String>,
}

/// The monthly evaluation report of a level (考核月报): the level's indicators, then its parts
/// one level down and the units serving it, ranked; as XLSX, CSV or a printable page. The same
/// numbers as `/api/evaluation/indicators`.
#[utoipa::path(get, path = "/api/evaluation/report", tag = "evaluation", params(ReportQuery),
    responses((status = 200, description = "the report", content(
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"), ("text/html"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn report(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let today = today(&app);
    let period = match q.month.as_deref() {
        Some(m) => {
            let parsed = NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").ok();
            parsed
                .and_then(|d| reports::month(d.year(), d.month()))
                .ok_or_else(|| bad("month", format!("“{m}”应为 YYYY-MM"), format!("“{m}” must be YYYY-MM")))?
        }
        None => reports::month(today.year(), today.month()).expect("this month exists"),
    };
    let format = q.format.as_deref().unwrap_or("xlsx");
    if !matches!(format, "xlsx" | "csv" | "html") {
        return Err(bad(
            "format",
            format!("“{format}”应为 xlsx、csv 或 html"),
            format!("“{format}” must be xlsx, csv or html"),
        ));
    }
    let ranked_by = rate_kind(q.indicator.as_deref())?;
    let (_, node, _) = subject(&app, &caller, Some("area"), q.area.as_deref())?;
    let code = AreaCode::parse("area", &node)?;
    let engine = &app.0.engine;
    let policy = engine.policy();
    let (from, to) = reports::days(period);
    let store = engine.store();
    let (overall, buckets) = store.counters(Dim::Area, &node, from, to).await?;
    let loaded = engine.loaded();
    let mut rows = Vec::new();
    let below = Level::ALL.iter().position(|l| *l == code.level()).and_then(|i| Level::ALL.get(i + 1)).copied();
    if let Some(level) = below {
        rows.extend(ranked_rows(
            store.counters_by_key(Dim::Area, &node, Some(level.digits()), from, to).await?,
            RowKind::Area(level),
            ranked_by,
            policy,
            |k| {
                AreaCode::parse("key", k)
                    .ok()
                    .and_then(|c| loaded.jurisdiction.path_names(&c).last().map(|n| n.to_string()))
            },
        ));
    }
    let units: Vec<(String, Counters)> = store
        .counters_by_key(Dim::Unit, "", None, from, to)
        .await?
        .into_iter()
        .filter(|(k, _)| loaded.responsibility.unit(k).is_some_and(|u| code.covers(&u.area) || u.area.covers(&code)))
        .collect();
    rows.extend(ranked_rows(units, RowKind::Unit, ranked_by, policy, |k| {
        loaded.responsibility.unit(k).map(|u| u.name.clone())
    }));
    let level_name =
        loaded.jurisdiction.path_names(&code).into_iter().filter(|n| *n != "市辖区").collect::<Vec<_>>().concat();
    let report = MonthlyReport {
        level_name,
        node: node.clone(),
        period,
        generated_at: yiwang_domain::time::Timestamp::now(),
        lang: caller.lang,
        policy: policy.clone(),
        ranked_by: Some(ranked_by),
        overall: Indicators::from_counters(&overall, &buckets, policy),
        rows,
    };
    let file = format!("yiwang-{node}-{}.{format}", period.0.format("%Y-%m"));
    let disposition = format!("attachment; filename=\"{file}\"");
    Ok(match format {
        "csv" => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
            reports::to_csv(&report),
        )
            .into_response(),
        "html" => ([(header::CONTENT_TYPE, "text/html; charset=utf-8".to_string())], reports::to_html(&report))
            .into_response(),
        _ => (
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            reports::to_xlsx(&report),
        )
            .into_response(),
    })
}

/// Rows of one kind, ranked by a rate (places from `evaluation::rank`), in table order.
fn ranked_rows(
    counters: Vec<(String, Counters)>,
    kind: RowKind,
    by: RateKind,
    policy: &evaluation::Policy,
    name: impl Fn(&str) -> Option<String>,
) -> Vec<ReportRow> {
    let indicators: std::collections::HashMap<String, Indicators> =
        counters.iter().map(|(k, c)| (k.clone(), Indicators::from_counters(c, &Default::default(), policy))).collect();
    let entries = indicators.iter().map(|(k, i)| (k.clone(), *by.of(i))).collect();
    evaluation::rank(entries, policy)
        .into_iter()
        .map(|r| ReportRow {
            name: name(&r.key).unwrap_or_else(|| r.key.clone()),
            indicators: indicators[&r.key].clone(),
            kind,
            place: r.place,
            key: r.key,
        })
        .collect()
}
