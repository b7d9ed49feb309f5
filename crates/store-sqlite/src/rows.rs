//! SQL and row mapping for SQLite.

use std::sync::OnceLock;

use rusqlite::{Connection, OptionalExtension, Params, Row, Transaction, params, params_from_iter, types::Value};
use yiwang_domain::Refusal;
use yiwang_domain::audit::{self, CaseHead, Hash, LedgerEntry};
use yiwang_domain::case::{Case, Event, Role, State};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::evaluation::Contribution;
use yiwang_domain::geo::{Circle, Point};
use yiwang_domain::jurisdiction::{Area, Grid, Landmark};
use yiwang_domain::responsibility::{Duty, Unit};
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::SubclassId;
use yiwang_domain::time::Timestamp;
use yiwang_store::evaluation::check_facts;
use yiwang_store::import::History;
use yiwang_store::{CaseFilter, CaseOrder, Change, LedgerHead, OpenCounts, Reference, Result, StoreError, schedule};

use crate::evaluation::FactsRow;
use crate::packed::{self, Json};
use crate::search::{self, ReportBlocks};
use crate::{Cached, backend};

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain values serialise")
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| backend(format!("stored JSON does not parse: {e}")))
}

fn hash(bytes: Vec<u8>) -> Hash {
    bytes.try_into().unwrap_or([0xff; 32])
}

pub fn ledger_head(c: &Connection) -> Result<LedgerHead> {
    c.cached_row("SELECT seq, hash FROM ledger_head WHERE id = 1", [], |r| {
        Ok(LedgerHead { seq: r.get(0)?, hash: hash(r.get(1)?) })
    })
    .map_err(backend)
}

/// A change made ready for the writer on the committing task's thread: its rows as SQLite
/// values, the JSON already written. The writer is the store's one serial thread, and
/// serialising cases and facts, and freeing the changes that other threads had allocated, were
/// a fifth of its time.
pub struct Prepared {
    case_id: i64,
    /// The `seq` the stored case must have: 0 for a new case.
    expected: u32,
    /// The case's row, in [`CASE_COLUMNS`] order.
    case: [Value; 19],
    /// Followers to add: none unless the step can bring new ones.
    followers: Vec<String>,
    event: EventRow,
    evaluation: Option<(FactsRow, Contribution)>,
}

impl Prepared {
    pub fn new(change: Change) -> Result<Prepared> {
        let Change { mut case, event, evaluation } = change;
        if event.case_id != case.id || event.seq != case.seq || event.hash != case.head {
            return Err(backend(format!("change of case {} is inconsistent with its event", case.id)));
        }
        if let Some(e) = &evaluation {
            check_facts(&case, e)?;
        }
        let row = case_row(&case);
        let followers = if yiwang_store::brings_followers(&case, &event) {
            std::mem::take(&mut case.followers)
        } else {
            Vec::new()
        };
        Ok(Prepared {
            case_id: case.id,
            expected: event.seq - 1,
            case: row,
            followers,
            event: EventRow::new(event),
            evaluation: evaluation.map(|e| (FactsRow::new(&e.facts), e.delta)),
        })
    }
}

/// Applies one atomic commit inside the writer's transaction, chaining the ledger. Its counter
/// deltas are summed into `counters`, for the caller to journal once per transaction: a group of
/// steps touches the same district, street and unit rows over and over.
pub fn apply(
    t: &Transaction,
    changes: &[Prepared],
    ledger: &mut LedgerHead,
    counters: &mut crate::evaluation::Sum,
    blocks: &mut ReportBlocks,
) -> Result<()> {
    for p in changes {
        if p.expected == 0 {
            insert_case(t, p.case_id, &p.case, blocks)?;
        } else {
            update_case(t, p.case_id, &p.case, p.expected, blocks)?;
        }
        insert_followers(t, p.case_id, &p.followers)?;
        *ledger = insert_event(t, &p.event, *ledger)?;
        if let Some((facts, delta)) = &p.evaluation {
            crate::evaluation::store_facts(t, facts)?;
            counters.add(delta);
        }
    }
    Ok(())
}

/// Inserts a new case's row; a case with this id already stored is refused.
fn insert_case(t: &Transaction, id: i64, row: &[Value; 19], blocks: &mut ReportBlocks) -> Result<()> {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = SQL.get_or_init(|| {
        let places: Vec<String> = (1..=CASE_COLUMNS.len()).map(|i| format!("?{i}")).collect();
        format!(
            "INSERT INTO cases ({}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
            CASE_COLUMNS.join(", "),
            places.join(", ")
        )
    });
    let n = t.prepare_cached(sql).map_err(backend)?.execute(params_from_iter(row)).map_err(backend)?;
    if n == 0 {
        return Err(StoreError::Refused(Refusal::new(
            "case_exists",
            format!("案卷 {id} 已存在"),
            format!("case {id} already exists"),
        )));
    }
    blocks.note(id, reported_at(row));
    Ok(())
}

/// The report time in a case's row.
fn reported_at(row: &[Value; 19]) -> i64 {
    match row[case_column("reported_at")] {
        Value::Integer(at) => at,
        _ => unreachable!("`case_row` writes the report time as an integer"),
    }
}

/// The case columns some index covers (see the migrations). Setting such a column rewrites every
/// index on it even when the value stays the same, so a step sets only those whose value changed:
/// most steps change the state and the deadline, not the grid, kind or report time.
const INDEXED: &[&str] = &[
    "state",
    "subclass",
    "grid",
    "lon",
    "lat",
    "lead_unit",
    "reported_at",
    "overdue",
    "wake_at",
    "awaiting_follow_up",
    "warned",
];

/// The position of a column in [`CASE_COLUMNS`].
fn case_column(name: &str) -> usize {
    CASE_COLUMNS.iter().position(|c| *c == name).expect("a case column")
}

/// Whether `column` is an indexed column that `kept` (bits of [`INDEXED`]) leaves as it is.
fn is_kept(kept: u32, column: &str) -> bool {
    INDEXED.iter().position(|c| *c == column).is_some_and(|k| kept & 1 << k != 0)
}

/// `UPDATE cases` of every column but the id, less the indexed ones in `kept` (bits of [`INDEXED`]).
fn update_sql(kept: u32) -> String {
    let sets: Vec<String> = CASE_COLUMNS[1..]
        .iter()
        .filter(|c| !is_kept(kept, c))
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect();
    format!("UPDATE cases NOT INDEXED SET {} WHERE id = ?{}", sets.join(", "), sets.len() + 1)
}

/// Moves a stored case from `expected` to its new row; refused when it is missing or moved on.
fn update_case(t: &Transaction, id: i64, row: &[Value; 19], expected: u32, blocks: &mut ReportBlocks) -> Result<()> {
    static READ: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    // NOT INDEXED: a lookup by id, see `case`.
    let read = READ.get_or_init(|| format!("SELECT seq, {} FROM cases NOT INDEXED WHERE id = ?1", INDEXED.join(", ")));
    let stored: Option<(u32, Vec<Value>)> = t
        .prepare_cached(read)
        .map_err(backend)?
        .query_row([id], |r| {
            Ok((r.get(0)?, (1..=INDEXED.len()).map(|i| r.get::<_, Value>(i)).collect::<rusqlite::Result<_>>()?))
        })
        .optional()
        .map_err(backend)?;
    let stored = match stored {
        Some((seq, values)) if seq == expected => values,
        Some((found, _)) => return Err(StoreError::Conflict { case_id: id, expected, found }),
        None => {
            return Err(StoreError::Refused(Refusal::new(
                "case_not_found",
                format!("案卷 {id} 不存在"),
                format!("case {id} does not exist"),
            )));
        }
    };
    // Which indexed columns keep their value (bit i: INDEXED[i]); the statement for each such
    // set of columns is built once.
    let kept: u32 = INDEXED
        .iter()
        .enumerate()
        .filter(|(i, column)| stored[*i] == row[case_column(column)])
        .fold(0, |bits, (i, _)| bits | 1 << i);
    if !is_kept(kept, "reported_at") {
        blocks.note(id, reported_at(row));
    }
    let id = Value::Integer(id);
    let values = CASE_COLUMNS.iter().zip(row).skip(1).filter(|(c, _)| !is_kept(kept, c)).map(|(_, v)| v);
    thread_local! {
        static UPDATES: std::cell::RefCell<std::collections::HashMap<u32, String>> = Default::default();
    }
    UPDATES.with_borrow_mut(|u| {
        let sql = u.entry(kept).or_insert_with(|| update_sql(kept));
        t.prepare_cached(sql).map_err(backend)?.execute(params_from_iter(values.chain([&id]))).map_err(backend)
    })?;
    Ok(())
}

fn insert_followers(t: &Transaction, case_id: i64, followers: &[String]) -> Result<()> {
    if followers.is_empty() {
        return Ok(());
    }
    let mut fol = t
        .prepare_cached("INSERT OR IGNORE INTO case_followers (resident, case_id) VALUES (?1, ?2)")
        .map_err(backend)?;
    for f in followers {
        fol.execute(params![f, case_id]).map_err(backend)?;
    }
    Ok(())
}

/// An event's row but for its place in the ledger, in the order of [`insert_event`]'s columns.
pub struct EventRow {
    values: [Value; 13],
    hash: Hash,
}

impl EventRow {
    pub fn new(e: Event) -> EventRow {
        EventRow {
            hash: e.hash,
            values: [
                Value::Integer(e.case_id),
                Value::Integer(e.seq.into()),
                Value::Integer(e.at.0),
                Value::Text(e.actor),
                Value::Text(e.role.as_str().into()),
                Value::Text(e.step),
                e.from.map_or(Value::Null, |s| Value::Text(s.as_str().into())),
                Value::Text(e.to.as_str().into()),
                Value::Text(e.note),
                Value::Text(json(&e.attachments)),
                Value::Text(e.detail),
                Value::Blob(e.prev.to_vec()),
                Value::Blob(e.hash.to_vec()),
            ],
        }
    }
}

/// Inserts an event as the next entry of the ledger after `ledger`; returns the new head.
fn insert_event(t: &Transaction, event: &EventRow, ledger: LedgerHead) -> Result<LedgerHead> {
    let at = LedgerHead { seq: ledger.seq + 1, hash: audit::ledger_next(&ledger.hash, &event.hash) };
    let place = [Value::Integer(at.seq), Value::Blob(at.hash.to_vec())];
    t.prepare_cached(
        "INSERT INTO events (case_id, seq, at, actor, role, step, from_state, to_state, note, attachments, detail, prev, hash, ledger_seq, ledger_hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .map_err(backend)?
    .execute(params_from_iter(event.values.iter().chain(&place)))
    .map_err(backend)?;
    Ok(at)
}

/// A case history (see `Store::import_history`) made ready for the writer, like [`Prepared`].
pub struct PreparedHistory {
    case_id: i64,
    case: [Value; 19],
    followers: Vec<String>,
    events: Vec<EventRow>,
    facts: FactsRow,
}

impl PreparedHistory {
    pub fn new(h: History) -> Result<PreparedHistory> {
        h.check()?;
        Ok(PreparedHistory {
            case_id: h.case.id,
            case: case_row(&h.case),
            followers: h.case.followers,
            events: h.events.into_iter().map(EventRow::new).collect(),
            facts: FactsRow::new(&h.facts),
        })
    }
}

/// Appends whole case histories inside one transaction.
pub fn import_history(t: &Transaction, histories: &[PreparedHistory], counters: &Contribution) -> Result<LedgerHead> {
    let start = ledger_head(t)?;
    let mut ledger = start;
    let mut blocks = ReportBlocks::default();
    for h in histories {
        insert_case(t, h.case_id, &h.case, &mut blocks)?;
        insert_followers(t, h.case_id, &h.followers)?;
        for event in &h.events {
            ledger = insert_event(t, event, ledger)?;
        }
        crate::evaluation::insert_facts(t, &h.facts)?;
    }
    blocks.write(t)?;
    crate::evaluation::add(t, counters)?;
    t.cached_execute("UPDATE ledger_head SET seq = ?1, hash = ?2 WHERE id = 1", params![ledger.seq, &ledger.hash[..]])
        .map_err(backend)?;
    for cursor in ["notification_cursor", "webhook_cursor"] {
        t.cached_execute(
            &format!("UPDATE {cursor} SET ledger_seq = ?1 WHERE ledger_seq = ?2"),
            params![ledger.seq, start.seq],
        )
        .map_err(backend)?;
    }
    Ok(ledger)
}

/// The columns of a case's row, in the order of [`case_row`].
const CASE_COLUMNS: [&str; 19] = [
    "id",
    "state",
    "seq",
    "head",
    "subclass",
    "grid",
    "lon",
    "lat",
    "lead_unit",
    "reported_at",
    "due_at",
    "closed_at",
    "overdue",
    "data",
    "wake_anchor",
    "wake_at",
    "awaiting_follow_up",
    "warned",
    "extension_requested",
];

/// The row of a case. Its wake time starts at its anchor; the scheduler may move it later.
fn case_row(c: &Case) -> [Value; 19] {
    let int = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
    let flag = |b: bool| Value::Integer(i64::from(b));
    let wake = int(schedule::wake_anchor(c).map(|t| t.0));
    [
        Value::Integer(c.id),
        Value::Text(c.state.as_str().into()),
        Value::Integer(c.seq.into()),
        Value::Blob(c.head.to_vec()),
        Value::Text(c.subclass.to_string()),
        Value::Text(c.grid.as_str().into()),
        Value::Real(c.location.lon),
        Value::Real(c.location.lat),
        c.lead_unit.clone().map_or(Value::Null, Value::Text),
        Value::Integer(c.reported_at.0),
        int(c.clock.due_at.map(|t| t.0)),
        int(c.closed_at.map(|t| t.0)),
        flag(c.overdue),
        Value::Blob(packed::pack(&json(c))),
        wake.clone(),
        wake,
        flag(schedule::awaits_follow_up(c)),
        flag(c.warned),
        flag(c.extension_requested.is_some()),
    ]
}

/// `cases NOT INDEXED` in a lookup by id: the rowid is used all the same, and the partial index
/// `cases_wake` is not weighed, which would make SQLite prepare the statement again at every
/// new id (a parameter that might decide whether a partial index applies forces that).
pub fn case(c: &Connection, id: i64) -> Result<Option<Case>> {
    let data: Option<Json> = c
        .prepare_cached("SELECT data FROM cases NOT INDEXED WHERE id = ?1")
        .map_err(backend)?
        .query_row([id], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    data.map(|d| from_json(&d.0)).transpose()
}

/// A case's events, in order.
pub fn case_events(c: &Connection, case_id: i64) -> Result<Vec<Event>> {
    events(c, "WHERE case_id = ?1 ORDER BY seq", params![case_id])
}

pub fn events(c: &Connection, tail: &str, p: impl Params) -> Result<Vec<Event>> {
    let sql = format!(
        "SELECT case_id, seq, at, actor, role, step, from_state, to_state, note, attachments, detail, prev, hash FROM events {tail}"
    );
    let mut stmt = c.prepare_cached(&sql).map_err(backend)?;
    let rows = stmt.query_map(p, event_row).map_err(backend)?;
    rows.map(|r| r.map_err(backend)?).collect()
}

fn event_row(r: &Row) -> rusqlite::Result<Result<Event>> {
    let role: String = r.get(4)?;
    let from: Option<String> = r.get(6)?;
    let to: String = r.get(7)?;
    let attachments: String = r.get(9)?;
    let bad = |what: &str, v: &str| backend(format!("stored {what} “{v}” is unknown"));
    Ok((|| {
        Ok(Event {
            case_id: r.get(0).map_err(backend)?,
            seq: r.get(1).map_err(backend)?,
            at: Timestamp(r.get(2).map_err(backend)?),
            actor: r.get(3).map_err(backend)?,
            role: Role::parse(&role).ok_or_else(|| bad("role", &role))?,
            step: r.get(5).map_err(backend)?,
            from: match from {
                Some(f) => Some(State::parse(&f).ok_or_else(|| bad("state", &f))?),
                None => None,
            },
            to: State::parse(&to).ok_or_else(|| bad("state", &to))?,
            note: r.get(8).map_err(backend)?,
            attachments: from_json(&attachments)?,
            detail: r.get(10).map_err(backend)?,
            prev: hash(r.get(11).map_err(backend)?),
            hash: hash(r.get(12).map_err(backend)?),
        })
    })())
}

/// The `WHERE` clause of a filter and its arguments (paging and order aside).
fn case_filter(f: &CaseFilter) -> (String, Vec<Value>) {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    // Pushes a value and its clause; returns the value's placeholder, to use it again.
    let mut arg = |sql: &mut String, clause: &str, v: Value| {
        args.push(v);
        let placeholder = format!("?{}", args.len());
        sql.push_str(&clause.replace('?', &placeholder));
        placeholder
    };
    if let Some(a) = &f.area {
        // Codes nest by prefix: [code, code + ':') is exactly the codes that start with it.
        arg(&mut sql, " AND grid >= ?", Value::Text(a.to_string()));
        arg(&mut sql, " AND grid < ?", Value::Text(format!("{a}:")));
    }
    if let Some(c) = &f.near {
        // The box by the index on (lat, lon), then the circle in the same projection as
        // `Circle::contains`: plain arithmetic, with the centre's cos(latitude) passed in.
        let (sw, ne) = c.bbox();
        arg(&mut sql, " AND lat BETWEEN ?", Value::Real(sw.lat));
        arg(&mut sql, " AND ?", Value::Real(ne.lat));
        arg(&mut sql, " AND lon BETWEEN ?", Value::Real(sw.lon));
        arg(&mut sql, " AND ?", Value::Real(ne.lon));
        let x = arg(&mut String::new(), "", Value::Real(c.centre.lon));
        let y = arg(&mut String::new(), "", Value::Real(c.centre.lat));
        let kx = arg(&mut String::new(), "", Value::Real(c.m_per_deg_lon()));
        let ky = arg(&mut String::new(), "", Value::Real(Circle::M_PER_DEG_LAT));
        let r2 = arg(&mut String::new(), "", Value::Real(c.radius_m * c.radius_m));
        sql.push_str(&format!(
            " AND ((lon - {x}) * {kx}) * ((lon - {x}) * {kx}) + ((lat - {y}) * {ky}) * ((lat - {y}) * {ky}) <= {r2}"
        ));
    }
    if !f.states.is_empty() {
        let list: Vec<String> = f.states.iter().map(|s| format!("'{}'", s.as_str())).collect();
        sql.push_str(&format!(" AND state IN ({})", list.join(",")));
    }
    if let Some(s) = f.subclass {
        arg(&mut sql, " AND subclass = ?", Value::Text(s.to_string()));
    }
    if let Some(u) = &f.lead_unit {
        arg(&mut sql, " AND lead_unit = ?", Value::Text(u.clone()));
    }
    if let Some(r) = &f.follower {
        arg(&mut sql, " AND id IN (SELECT case_id FROM case_followers WHERE resident = ?)", Value::Text(r.clone()));
    }
    if let Some(o) = f.overdue {
        arg(&mut sql, " AND overdue = ?", Value::Integer(o as i64));
    }
    if let Some(e) = f.extension_requested {
        arg(&mut sql, " AND extension_requested = ?", Value::Integer(e as i64));
    }
    if let Some(a) = f.awaiting_follow_up {
        // A literal, so that the partial index of the cases awaiting one can serve it.
        sql.push_str(if a { " AND awaiting_follow_up = 1" } else { " AND awaiting_follow_up = 0" });
    }
    if let Some(t) = f.reported_from {
        arg(&mut sql, " AND reported_at >= ?", Value::Integer(t.0));
    }
    if let Some(t) = f.reported_to {
        arg(&mut sql, " AND reported_at < ?", Value::Integer(t.0));
    }
    (sql, args)
}

/// The index a search names, where SQLite (without statistics) might take a narrower one and
/// read each of its cases instead:
/// - the cases awaiting a follow-up (回访) are few, and have a partial index of their own;
/// - `cases_state_grid` holds every column of a search by states within an area, kind, overdue
///   and report time, so that a page is chosen from the index alone (the work queues' deadline
///   order; newest first, [`search`] races it against other indexes).
fn chosen_index(f: &CaseFilter) -> &'static str {
    if f.awaiting_follow_up == Some(true) {
        return " INDEXED BY cases_awaiting_follow_up";
    }
    let covered = !f.states.is_empty()
        && f.near.is_none()
        && f.lead_unit.is_none()
        && f.follower.is_none()
        && f.extension_requested.is_none()
        && f.awaiting_follow_up.is_none();
    if covered { " INDEXED BY cases_state_grid" } else { "" }
}

/// The page's ids are chosen first, from indexes alone where they cover the filter (see
/// [`search`]), and only then are the page's rows read: sorting every match with its JSON made a
/// county-wide search read tens of thousands of case documents to keep twenty.
pub fn find_cases(c: &Connection, f: &CaseFilter) -> Result<Vec<Case>> {
    let limit = f.limit.clamp(1, 10_000);
    if search::answers(f) {
        let mut row = c.prepare_cached("SELECT data FROM cases WHERE id = ?1").map_err(backend)?;
        return search::newest_ids(c, f, limit as usize)?
            .into_iter()
            .map(|id| from_json(&row.query_row([id], |r| r.get::<_, Json>(0)).map_err(backend)?.0))
            .collect();
    }
    let (filter, mut args) = case_filter(f);
    let mut page = format!("SELECT id FROM cases{}{filter}", chosen_index(f));
    if let Some(id) = f.before_id {
        args.push(Value::Integer(id));
        page.push_str(&format!(" AND id < ?{}", args.len()));
    }
    let order = match f.order {
        CaseOrder::NewestFirst => " ORDER BY id DESC",
        CaseOrder::DueFirst => " ORDER BY due_at IS NULL, due_at, id",
    };
    args.push(Value::Integer(limit as i64));
    page.push_str(&format!("{order} LIMIT ?{}", args.len()));
    let sql = format!("SELECT data FROM cases WHERE id IN ({page}){order}");
    let mut stmt = c.prepare_cached(&sql).map_err(backend)?;
    let rows = stmt.query_map(params_from_iter(args), |r| r.get::<_, Json>(0)).map_err(backend)?;
    rows.map(|r| from_json(&r.map_err(backend)?.0)).collect()
}

pub fn count_cases(c: &Connection, f: &CaseFilter) -> Result<i64> {
    let (filter, args) = case_filter(f);
    let mut stmt = c.prepare_cached(&format!("SELECT count(*) FROM cases{filter}")).map_err(backend)?;
    stmt.query_row(params_from_iter(args), |r| r.get(0)).map_err(backend)
}

/// The states of an open case, as an SQL list.
fn open_states() -> String {
    State::ALL.iter().filter(|s| s.is_open()).map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(",")
}

pub fn open_counts(c: &Connection, area: &AreaCode, digits: usize) -> Result<Vec<OpenCounts>> {
    // Index only (cases_state_grid): per open state, the range of grids under the area.
    let sql = format!(
        "SELECT substr(grid, 1, ?1) AS node, count(*), coalesce(sum(overdue), 0), coalesce(sum(warned * (1 - overdue)), 0) \
         FROM cases WHERE state IN ({}) AND grid >= ?2 AND grid < ?3 GROUP BY node ORDER BY node",
        open_states()
    );
    let mut stmt = c.prepare_cached(&sql).map_err(backend)?;
    let rows = stmt
        .query_map(params![digits as i64, area.as_str(), format!("{area}:")], |r| {
            Ok(OpenCounts { node: r.get(0)?, open: r.get(1)?, overdue: r.get(2)?, warned: r.get(3)? })
        })
        .map_err(backend)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
}

pub fn reported_by_subclass(
    c: &Connection,
    area: &AreaCode,
    since: Timestamp,
    limit: u32,
) -> Result<Vec<(SubclassId, i64)>> {
    // Index only (cases_recent): the window's reports, then the grids under the area, so the work
    // is bounded by the window's reports. Left to itself SQLite took `cases_grid` and read every
    // case the area ever had.
    let mut stmt = c
        .prepare_cached(
            "SELECT subclass, count(*) AS n FROM cases INDEXED BY cases_recent WHERE reported_at >= ?1 AND grid >= ?2 AND grid < ?3 \
             GROUP BY subclass ORDER BY n DESC, subclass LIMIT ?4",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![since.0, area.as_str(), format!("{area}:"), limit], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(backend)?;
    rows.map(|r| {
        let (s, n) = r.map_err(backend)?;
        Ok((SubclassId::parse("subclass", &s).map_err(|e| backend(e.en))?, n))
    })
    .collect()
}

pub fn open_cases_near(
    c: &Connection,
    subclass: SubclassId,
    sw: Point,
    ne: Point,
    since: Timestamp,
) -> Result<Vec<Case>> {
    // The open states named one by one: `cases_subclass` (subclass, state, …) then seeks each of
    // them, where a `NOT IN` would read every case of the kind the city ever had.
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        let open: Vec<String> =
            State::ALL.iter().filter(|s| s.is_open()).map(|s| format!("'{}'", s.as_str())).collect();
        format!(
            "SELECT data FROM cases INDEXED BY cases_subclass WHERE subclass = ?1 AND state IN ({}) \
             AND reported_at >= ?2 AND lon BETWEEN ?3 AND ?4 AND lat BETWEEN ?5 AND ?6 ORDER BY id LIMIT 100",
            open.join(", ")
        )
    });
    let mut stmt = c.prepare_cached(sql).map_err(backend)?;
    let rows = stmt
        .query_map(params![subclass.to_string(), since.0, sw.lon, ne.lon, sw.lat, ne.lat], |r| r.get::<_, Json>(0))
        .map_err(backend)?;
    rows.map(|r| from_json(&r.map_err(backend)?.0)).collect()
}

/// Case heads for audit. The row's columns and its JSON must agree; a disagreement is reported
/// as a head that cannot match any chain.
pub fn case_heads(c: &Connection, after_id: i64, limit: u32) -> Result<Vec<CaseHead>> {
    let mut stmt = c
        .prepare_cached("SELECT id, seq, state, head, data FROM cases WHERE id > ?1 ORDER BY id LIMIT ?2")
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![after_id, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, Json>(4)?,
            ))
        })
        .map_err(backend)?;
    rows.map(|r| {
        let (id, seq, state, head, data) = r.map_err(backend)?;
        head_of(id, seq, &state, hash(head), &data.0)
    })
    .collect()
}

/// Builds a case head from the row, checking it against the case's JSON.
pub fn head_of(id: i64, seq: u32, state: &str, head: Hash, data: &str) -> Result<CaseHead> {
    let case: Case = from_json(data)?;
    let state = State::parse(state).ok_or_else(|| backend(format!("stored state “{state}” is unknown")))?;
    let agrees = case.id == id && case.seq == seq && case.state == state && case.head == head;
    Ok(CaseHead { id, seq, state, head: if agrees { head } else { [0xff; 32] } })
}

pub fn ledger_page(c: &Connection, after_seq: i64, limit: u32) -> Result<Vec<LedgerEntry>> {
    let mut stmt = c
        .prepare_cached("SELECT ledger_seq, case_id, seq, hash, ledger_hash FROM events WHERE ledger_seq > ?1 ORDER BY ledger_seq LIMIT ?2")
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![after_seq, limit], |r| {
            Ok(LedgerEntry {
                ledger_seq: r.get(0)?,
                case_id: r.get(1)?,
                seq: r.get(2)?,
                event_hash: hash(r.get(3)?),
                ledger_hash: hash(r.get(4)?),
            })
        })
        .map_err(backend)?;
    rows.map(|r| r.map_err(backend)).collect()
}

pub fn save_reference(t: &Transaction, r: &Reference) -> Result<()> {
    t.execute_batch(
        "DELETE FROM landmarks; DELETE FROM duties; DELETE FROM staff; DELETE FROM units; DELETE FROM grids; \
         DELETE FROM areas;",
    )
    .map_err(backend)?;
    let mut st = t.prepare("INSERT INTO areas (code, name) VALUES (?1, ?2)").map_err(backend)?;
    for a in &r.areas {
        st.execute(params![a.code.as_str(), a.name]).map_err(backend)?;
    }
    let mut st = t
        .prepare("INSERT INTO grids (code, name, kind, polygon, members) VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(backend)?;
    for g in &r.grids {
        st.execute(params![g.code.as_str(), g.name, json(&g.kind), json(&g.polygon), json(&g.members)])
            .map_err(backend)?;
    }
    let mut st = t.prepare("INSERT INTO units (id, name, kind, area) VALUES (?1, ?2, ?3, ?4)").map_err(backend)?;
    for u in &r.units {
        st.execute(params![u.id, u.name, u.kind, u.area.as_str()]).map_err(backend)?;
    }
    let mut st =
        t.prepare("INSERT INTO duties (subclass, area, lead, assisting) VALUES (?1, ?2, ?3, ?4)").map_err(backend)?;
    for d in &r.duties {
        st.execute(params![d.subclass.to_string(), d.area.as_str(), d.lead, json(&d.assisting)]).map_err(backend)?;
    }
    let mut st =
        t.prepare("INSERT INTO staff (id, name, role, scope, unit) VALUES (?1, ?2, ?3, ?4, ?5)").map_err(backend)?;
    for s in &r.staff {
        st.execute(params![s.id, s.name, s.role.as_str(), s.scope.as_str(), s.unit]).map_err(backend)?;
    }
    let mut st = t
        .prepare("INSERT INTO landmarks (community, name, lon, lat, address) VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(backend)?;
    for l in &r.landmarks {
        st.execute(params![l.community.as_str(), l.name, l.location.lon, l.location.lat, l.address])
            .map_err(backend)?;
    }
    Ok(())
}

fn code(s: String) -> Result<AreaCode> {
    AreaCode::parse("code", &s).map_err(|e| backend(format!("stored code: {e}")))
}

pub fn load_reference(c: &Connection) -> Result<Reference> {
    let mut r = Reference::default();
    let mut st = c.prepare("SELECT code, name FROM areas ORDER BY code").map_err(backend)?;
    for row in st.query_map([], |x| Ok((x.get(0)?, x.get(1)?))).map_err(backend)? {
        let (c, name): (String, String) = row.map_err(backend)?;
        r.areas.push(Area { code: code(c)?, name });
    }
    let mut st = c.prepare("SELECT code, name, kind, polygon, members FROM grids ORDER BY code").map_err(backend)?;
    for row in st.query_map([], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?))).map_err(backend)? {
        let (c, name, kind, polygon, members): (String, String, String, String, String) = row.map_err(backend)?;
        r.grids.push(Grid {
            code: code(c)?,
            name,
            kind: from_json(&kind)?,
            polygon: from_json(&polygon)?,
            members: from_json(&members)?,
        });
    }
    let mut st = c.prepare("SELECT id, name, kind, area FROM units ORDER BY id").map_err(backend)?;
    for row in st.query_map([], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?))).map_err(backend)? {
        let (id, name, kind, area): (String, String, String, String) = row.map_err(backend)?;
        r.units.push(Unit { id, name, kind, area: code(area)? });
    }
    let mut st =
        c.prepare("SELECT subclass, area, lead, assisting FROM duties ORDER BY subclass, area").map_err(backend)?;
    for row in st.query_map([], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?))).map_err(backend)? {
        let (subclass, area, lead, assisting): (String, String, String, String) = row.map_err(backend)?;
        let subclass =
            SubclassId::parse("subclass", &subclass).map_err(|e| backend(format!("stored subclass: {e}")))?;
        r.duties.push(Duty { subclass, area: code(area)?, lead, assisting: from_json(&assisting)? });
    }
    let mut st = c.prepare("SELECT id, name, role, scope, unit FROM staff ORDER BY id").map_err(backend)?;
    for row in st.query_map([], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?))).map_err(backend)? {
        let (id, name, role, scope, unit): (String, String, String, String, Option<String>) = row.map_err(backend)?;
        let role = Role::parse(&role).ok_or_else(|| backend(format!("stored role “{role}” is unknown")))?;
        r.staff.push(Staff { id, name, role, scope: code(scope)?, unit });
    }
    let mut st = c
        .prepare("SELECT community, name, lon, lat, address FROM landmarks ORDER BY community, name")
        .map_err(backend)?;
    for row in st.query_map([], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?))).map_err(backend)? {
        let (community, name, lon, lat, address): (String, String, f64, f64, Option<String>) = row.map_err(backend)?;
        r.landmarks.push(Landmark { community: code(community)?, name, location: Point { lon, lat }, address });
    }
    Ok(r)
}

/// The logical schema, less the tables that only SQLite needs: the counter journal and the
/// report times of id blocks (search's aid, as an index is).
pub fn schema(c: &Connection) -> Result<Vec<String>> {
    let mut st = c
        .prepare(
            "SELECT m.name, p.name, p.type FROM sqlite_schema m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name NOT IN ('schema_migrations', 'eval_pending', 'case_report_blocks')",
        )
        .map_err(backend)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
        .map_err(backend)?;
    let mut out = Vec::new();
    for row in rows {
        let (table, column, ty) = row.map_err(backend)?;
        let ty = match ty.to_ascii_uppercase().as_str() {
            "INTEGER" => "integer",
            "REAL" => "real",
            "TEXT" => "text",
            "BLOB" => "bytes",
            other => return Err(backend(format!("unexpected column type {other}"))),
        };
        out.push(format!("{table}.{column} {ty}"));
    }
    out.sort();
    Ok(out)
}
