//! SQL and row mapping for SQLite.

use rusqlite::{Connection, OptionalExtension, Params, Row, Transaction, params, params_from_iter, types::Value};
use yiwang_domain::Refusal;
use yiwang_domain::audit::{self, CaseHead, Hash, LedgerEntry};
use yiwang_domain::case::{Case, Event, Role, State};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::evaluation::Contribution;
use yiwang_domain::geo::Point;
use yiwang_domain::jurisdiction::{Area, Grid};
use yiwang_domain::responsibility::{Duty, Unit};
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::SubclassId;
use yiwang_domain::time::Timestamp;
use yiwang_store::import::History;
use yiwang_store::{CaseFilter, CaseOrder, Change, LedgerHead, OpenCounts, Reference, Result, StoreError, schedule};

use crate::backend;

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
    c.query_row("SELECT seq, hash FROM ledger_head WHERE id = 1", [], |r| {
        Ok(LedgerHead { seq: r.get(0)?, hash: hash(r.get(1)?) })
    })
    .map_err(backend)
}

/// Applies one atomic commit inside the writer's transaction, chaining the ledger.
pub fn apply(t: &Transaction, changes: &[Change], ledger: &mut LedgerHead) -> Result<()> {
    for Change { case, event, evaluation } in changes {
        if event.case_id != case.id || event.seq != case.seq || event.hash != case.head {
            return Err(backend(format!("change of case {} is inconsistent with its event", case.id)));
        }
        let expected = event.seq - 1;
        if expected == 0 {
            insert_case(t, case)?;
        } else {
            // NOT INDEXED: a lookup by id, see `case`.
            let mut upd = t
                .prepare_cached(
                    "UPDATE cases NOT INDEXED SET state = ?2, seq = ?3, head = ?4, subclass = ?5, grid = ?6, lon = ?7, lat = ?8, lead_unit = ?9, \
                     reported_at = ?10, due_at = ?11, closed_at = ?12, overdue = ?13, data = ?14, \
                     wake_anchor = ?15, wake_at = ?15, awaiting_follow_up = ?16, warned = ?17, extension_requested = ?18 \
                     WHERE id = ?1 AND seq = ?19",
                )
                .map_err(backend)?;
            let p = case_params(case);
            let n = upd
                .execute(params![
                    p.0, p.1, p.2, p.3, p.4, p.5, p.6, p.7, p.8, p.9, p.10, p.11, p.12, p.13, p.14, p.15, p.16, p.17,
                    expected
                ])
                .map_err(backend)?;
            if n == 0 {
                let found: Option<u32> = t
                    .query_row("SELECT seq FROM cases WHERE id = ?1", [case.id], |r| r.get(0))
                    .optional()
                    .map_err(backend)?;
                return Err(match found {
                    Some(found) => StoreError::Conflict { case_id: case.id, expected, found },
                    None => StoreError::Refused(Refusal::new(
                        "case_not_found",
                        format!("案卷 {} 不存在", case.id),
                        format!("case {} does not exist", case.id),
                    )),
                });
            }
        }
        insert_followers(t, case)?;
        let next = LedgerHead { seq: ledger.seq + 1, hash: audit::ledger_next(&ledger.hash, &event.hash) };
        insert_event(t, event, next)?;
        *ledger = next;
        if let Some(e) = evaluation {
            crate::evaluation::apply(t, case, e)?;
        }
    }
    Ok(())
}

/// Inserts a new case's row; a case with this id already stored is refused.
fn insert_case(t: &Transaction, case: &Case) -> Result<()> {
    let mut ins = t
        .prepare_cached(
            "INSERT INTO cases (id, state, seq, head, subclass, grid, lon, lat, lead_unit, reported_at, due_at, closed_at, overdue, data, \
             wake_anchor, wake_at, awaiting_follow_up, warned, extension_requested) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, ?17, ?18) ON CONFLICT (id) DO NOTHING",
        )
        .map_err(backend)?;
    let p = case_params(case);
    let n = ins
        .execute(params![
            p.0, p.1, p.2, p.3, p.4, p.5, p.6, p.7, p.8, p.9, p.10, p.11, p.12, p.13, p.14, p.15, p.16, p.17
        ])
        .map_err(backend)?;
    if n == 0 {
        return Err(StoreError::Refused(Refusal::new(
            "case_exists",
            format!("案卷 {} 已存在", case.id),
            format!("case {} already exists", case.id),
        )));
    }
    Ok(())
}

fn insert_followers(t: &Transaction, case: &Case) -> Result<()> {
    let mut fol = t
        .prepare_cached("INSERT OR IGNORE INTO case_followers (resident, case_id) VALUES (?1, ?2)")
        .map_err(backend)?;
    for f in &case.followers {
        fol.execute(params![f, case.id]).map_err(backend)?;
    }
    Ok(())
}

/// Inserts an event at its place in the ledger.
fn insert_event(t: &Transaction, event: &Event, at: LedgerHead) -> Result<()> {
    let mut ev = t
        .prepare_cached(
            "INSERT INTO events (case_id, seq, ledger_seq, at, actor, role, step, from_state, to_state, note, attachments, detail, prev, hash, ledger_hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )
        .map_err(backend)?;
    ev.execute(params![
        event.case_id,
        event.seq,
        at.seq,
        event.at.0,
        event.actor,
        event.role.as_str(),
        event.step,
        event.from.map(State::as_str),
        event.to.as_str(),
        event.note,
        json(&event.attachments),
        event.detail,
        &event.prev[..],
        &event.hash[..],
        &at.hash[..],
    ])
    .map_err(backend)?;
    Ok(())
}

/// Appends whole case histories (see `Store::import_history`) inside one transaction.
pub fn import_history(t: &Transaction, histories: &[History], counters: &Contribution) -> Result<LedgerHead> {
    let start = ledger_head(t)?;
    let mut ledger = start;
    for h in histories {
        h.check()?;
        insert_case(t, &h.case)?;
        insert_followers(t, &h.case)?;
        for event in &h.events {
            ledger = LedgerHead { seq: ledger.seq + 1, hash: audit::ledger_next(&ledger.hash, &event.hash) };
            insert_event(t, event, ledger)?;
        }
        crate::evaluation::insert_facts(t, &h.facts)?;
    }
    crate::evaluation::add(t, counters)?;
    t.execute("UPDATE ledger_head SET seq = ?1, hash = ?2 WHERE id = 1", params![ledger.seq, &ledger.hash[..]])
        .map_err(backend)?;
    for cursor in ["notification_cursor", "webhook_cursor"] {
        t.execute(
            &format!("UPDATE {cursor} SET ledger_seq = ?1 WHERE ledger_seq = ?2"),
            params![ledger.seq, start.seq],
        )
        .map_err(backend)?;
    }
    Ok(ledger)
}

/// The row of a case: its columns in the order of `INSERT INTO cases`.
#[allow(clippy::type_complexity)]
fn case_params(
    c: &Case,
) -> (
    i64,
    &'static str,
    u32,
    &[u8],
    String,
    &str,
    f64,
    f64,
    Option<&str>,
    i64,
    Option<i64>,
    Option<i64>,
    bool,
    String,
    Option<i64>,
    bool,
    bool,
    bool,
) {
    (
        c.id,
        c.state.as_str(),
        c.seq,
        &c.head[..],
        c.subclass.to_string(),
        c.grid.as_str(),
        c.location.lon,
        c.location.lat,
        c.lead_unit.as_deref(),
        c.reported_at.0,
        c.clock.due_at.map(|t| t.0),
        c.closed_at.map(|t| t.0),
        c.overdue,
        json(c),
        schedule::wake_anchor(c).map(|t| t.0),
        schedule::awaits_follow_up(c),
        c.warned,
        c.extension_requested.is_some(),
    )
}

/// `cases NOT INDEXED` in a lookup by id: the rowid is used all the same, and the partial index
/// `cases_wake` is not weighed, which would make SQLite prepare the statement again at every
/// new id (a parameter that might decide whether a partial index applies forces that).
pub fn case(c: &Connection, id: i64) -> Result<Option<Case>> {
    let data: Option<String> = c
        .prepare_cached("SELECT data FROM cases NOT INDEXED WHERE id = ?1")
        .map_err(backend)?
        .query_row([id], |r| r.get(0))
        .optional()
        .map_err(backend)?;
    data.map(|d| from_json(&d)).transpose()
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
    let mut arg = |sql: &mut String, clause: &str, v: Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(a) = &f.area {
        // Codes nest by prefix: [code, code + ':') is exactly the codes that start with it.
        arg(&mut sql, " AND grid >= ?", Value::Text(a.to_string()));
        arg(&mut sql, " AND grid < ?", Value::Text(format!("{a}:")));
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
        arg(&mut sql, " AND awaiting_follow_up = ?", Value::Integer(a as i64));
    }
    if let Some(t) = f.reported_from {
        arg(&mut sql, " AND reported_at >= ?", Value::Integer(t.0));
    }
    if let Some(t) = f.reported_to {
        arg(&mut sql, " AND reported_at < ?", Value::Integer(t.0));
    }
    (sql, args)
}

pub fn find_cases(c: &Connection, f: &CaseFilter) -> Result<Vec<Case>> {
    let (filter, mut args) = case_filter(f);
    let mut sql = format!("SELECT data FROM cases{filter}");
    if let Some(id) = f.before_id {
        args.push(Value::Integer(id));
        sql.push_str(&format!(" AND id < ?{}", args.len()));
    }
    sql.push_str(match f.order {
        CaseOrder::NewestFirst => " ORDER BY id DESC",
        CaseOrder::DueFirst => " ORDER BY due_at IS NULL, due_at, id",
    });
    args.push(Value::Integer(f.limit.clamp(1, 10_000) as i64));
    sql.push_str(&format!(" LIMIT ?{}", args.len()));
    let mut stmt = c.prepare_cached(&sql).map_err(backend)?;
    let rows = stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(0)).map_err(backend)?;
    rows.map(|r| from_json(&r.map_err(backend)?)).collect()
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
    // Index only (cases_open): per open state, the range of grids under the area.
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
    // Index only (cases_recent): the window's reports, then the grids under the area.
    let mut stmt = c
        .prepare_cached(
            "SELECT subclass, count(*) AS n FROM cases WHERE reported_at >= ?1 AND grid >= ?2 AND grid < ?3 \
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
    let mut stmt = c
        .prepare_cached(
            "SELECT data FROM cases WHERE subclass = ?1 AND reported_at >= ?2 AND lon BETWEEN ?3 AND ?4 AND lat BETWEEN ?5 AND ?6 \
             AND state NOT IN ('closed_fixed', 'closed_not_fixed', 'voided', 'duplicate') ORDER BY id LIMIT 100",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map(params![subclass.to_string(), since.0, sw.lon, ne.lon, sw.lat, ne.lat], |r| r.get::<_, String>(0))
        .map_err(backend)?;
    rows.map(|r| from_json(&r.map_err(backend)?)).collect()
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
                r.get::<_, String>(4)?,
            ))
        })
        .map_err(backend)?;
    rows.map(|r| {
        let (id, seq, state, head, data) = r.map_err(backend)?;
        head_of(id, seq, &state, hash(head), &data)
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
    t.execute_batch("DELETE FROM duties; DELETE FROM staff; DELETE FROM units; DELETE FROM grids; DELETE FROM areas;")
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
    Ok(r)
}

pub fn schema(c: &Connection) -> Result<Vec<String>> {
    let mut st = c
        .prepare(
            "SELECT m.name, p.name, p.type FROM sqlite_schema m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'schema_migrations'",
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
