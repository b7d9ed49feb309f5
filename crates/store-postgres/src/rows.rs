//! SQL and row mapping for PostgreSQL.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};
use yiwang_domain::audit::{CaseHead, Hash, LedgerEntry};
use yiwang_domain::case::{Case, Event, Role, State};
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::{Circle, Point};
use yiwang_domain::jurisdiction::{Area, Grid, Landmark};
use yiwang_domain::responsibility::{Duty, Unit};
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::SubclassId;
use yiwang_domain::time::Timestamp;
use yiwang_store::{CaseFilter, CaseOrder, CasesWithEvents, LedgerHead, OpenCounts, Reference, Result, schedule};

use crate::{backend, backend_msg};

pub type Param<'a> = &'a (dyn ToSql + Sync);

pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain values serialise")
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| backend_msg(format!("stored JSON does not parse: {e}")))
}

/// A stored hash; a wrong length can match nothing, so verification reports it.
fn hash(bytes: Vec<u8>) -> Hash {
    bytes.try_into().unwrap_or([0xff; 32])
}

pub(crate) fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(backend)
}

/// A stored sequence number inside a case.
fn seq(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| backend_msg(format!("stored event number {v} is out of range")))
}

pub(crate) async fn query<C: GenericClient>(c: &C, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>> {
    let st = c.prepare_cached(sql).await.map_err(backend)?;
    c.query(&st, params).await.map_err(backend)
}

pub const LEDGER_HEAD: &str = "SELECT seq, hash FROM ledger_head WHERE id = 1";
/// Taken by every commit group: the row lock orders the ledger across processes.
pub const LOCK_LEDGER: &str = "SELECT seq, hash FROM ledger_head WHERE id = 1 FOR UPDATE";
pub const SET_LEDGER: &str = "UPDATE ledger_head SET seq = $1, hash = $2 WHERE id = 1";
pub const INSERT_CASE: &str = "INSERT INTO cases (id, state, seq, head, subclass, grid, lon, lat, lead_unit, reported_at, due_at, closed_at, overdue, data, \
     wake_anchor, wake_at, awaiting_follow_up, warned, extension_requested) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18) ON CONFLICT (id) DO NOTHING";
pub const UPDATE_CASE: &str = "UPDATE cases SET state = $2, seq = $3, head = $4, subclass = $5, grid = $6, lon = $7, lat = $8, lead_unit = $9, \
     reported_at = $10, due_at = $11, closed_at = $12, overdue = $13, data = $14, \
     wake_anchor = $15, wake_at = $15, awaiting_follow_up = $16, warned = $17, extension_requested = $18 \
     WHERE id = $1 AND seq = $19";
pub const INSERT_FOLLOWERS: &str =
    "INSERT INTO case_followers (resident, case_id) SELECT unnest($1::text[]), $2::bigint ON CONFLICT DO NOTHING";
pub const INSERT_EVENT: &str = "INSERT INTO events (case_id, seq, ledger_seq, at, actor, role, step, from_state, to_state, note, attachments, detail, prev, hash, ledger_hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
pub const CASE_SEQ: &str = "SELECT seq FROM cases WHERE id = $1";

pub fn ledger_row(r: &Row) -> Result<LedgerHead> {
    Ok(LedgerHead { seq: get(r, 0)?, hash: hash(get(r, 1)?) })
}

pub async fn ledger_head<C: GenericClient>(c: &C) -> Result<LedgerHead> {
    let rows = query(c, LEDGER_HEAD, &[]).await?;
    ledger_row(rows.first().ok_or_else(|| backend_msg("the ledger head row is missing"))?)
}

/// One case change as the values its statements bind, kept alive while they run.
pub struct ChangeRow<'a> {
    pub case: &'a Case,
    pub event: &'a Event,
    pub new: bool,
    pub expected: i64,
    seq: i64,
    state: &'static str,
    subclass: String,
    grid: &'a str,
    lead_unit: Option<&'a str>,
    due_at: Option<i64>,
    closed_at: Option<i64>,
    overdue: i64,
    data: String,
    wake_anchor: Option<i64>,
    awaiting_follow_up: i64,
    warned: i64,
    extension_requested: i64,
    role: &'static str,
    from_state: Option<&'static str>,
    to_state: &'static str,
    attachments: String,
    head: &'a [u8],
    prev: &'a [u8],
    hash: &'a [u8],
    ledger_seq: i64,
    ledger_hash: Vec<u8>,
    /// The facts and counter delta written with the change, if it carries them.
    pub evaluation: Option<crate::evaluation::EvalRow<'a>>,
}

impl<'a> ChangeRow<'a> {
    /// The change, placed in the ledger at `ledger` (this event's position and chained hash).
    pub fn new(
        case: &'a Case,
        event: &'a Event,
        ledger: LedgerHead,
        evaluation: Option<&'a yiwang_store::evaluation::EvaluationChange>,
    ) -> ChangeRow<'a> {
        ChangeRow {
            case,
            event,
            new: event.seq == 1,
            expected: i64::from(event.seq) - 1,
            seq: i64::from(case.seq),
            state: case.state.as_str(),
            subclass: case.subclass.to_string(),
            grid: case.grid.as_str(),
            lead_unit: case.lead_unit.as_deref(),
            due_at: case.clock.due_at.map(|t| t.0),
            closed_at: case.closed_at.map(|t| t.0),
            overdue: i64::from(case.overdue),
            data: json(case),
            wake_anchor: schedule::wake_anchor(case).map(|t| t.0),
            awaiting_follow_up: i64::from(schedule::awaits_follow_up(case)),
            warned: i64::from(case.warned),
            extension_requested: i64::from(case.extension_requested.is_some()),
            role: event.role.as_str(),
            from_state: event.from.map(State::as_str),
            to_state: event.to.as_str(),
            attachments: json(&event.attachments),
            head: &case.head,
            prev: &event.prev,
            hash: &event.hash,
            ledger_seq: ledger.seq,
            ledger_hash: ledger.hash.to_vec(),
            evaluation: evaluation.map(crate::evaluation::EvalRow::new),
        }
    }

    /// For [`INSERT_CASE`], and with `expected` last for [`UPDATE_CASE`].
    pub fn case_params(&self) -> Vec<Param<'_>> {
        let c = self.case;
        let mut p: Vec<Param<'_>> = vec![
            &c.id,
            &self.state,
            &self.seq,
            &self.head,
            &self.subclass,
            &self.grid,
            &c.location.lon,
            &c.location.lat,
            &self.lead_unit,
            &c.reported_at.0,
            &self.due_at,
            &self.closed_at,
            &self.overdue,
            &self.data,
            &self.wake_anchor,
            &self.awaiting_follow_up,
            &self.warned,
            &self.extension_requested,
        ];
        if !self.new {
            p.push(&self.expected);
        }
        p
    }

    pub fn follower_params(&self) -> Vec<Param<'_>> {
        vec![&self.case.followers, &self.case.id]
    }

    pub fn event_params(&self) -> Vec<Param<'_>> {
        let e = self.event;
        vec![
            &e.case_id,
            &self.seq,
            &self.ledger_seq,
            &e.at.0,
            &e.actor,
            &self.role,
            &e.step,
            &self.from_state,
            &self.to_state,
            &e.note,
            &self.attachments,
            &e.detail,
            &self.prev,
            &self.hash,
            &self.ledger_hash,
        ]
    }
}

pub async fn case<C: GenericClient>(c: &C, id: i64) -> Result<Option<Case>> {
    let rows = query(c, "SELECT data FROM cases WHERE id = $1", &[&id]).await?;
    rows.first().map(|r| from_json(get(r, 0)?)).transpose()
}

/// Each case of `ids` with its events: two queries whatever their number.
pub async fn cases_with_events<C: GenericClient>(c: &C, ids: &[i64]) -> Result<CasesWithEvents> {
    let mut out: CasesWithEvents = ids.iter().map(|id| (*id, (None, Vec::new()))).collect();
    for r in query(c, "SELECT id, data FROM cases WHERE id = ANY($1)", &[&ids]).await? {
        out.entry(get(&r, 0)?).or_default().0 = Some(from_json(get(&r, 1)?)?);
    }
    for e in events(c, "WHERE case_id = ANY($1) ORDER BY case_id, seq", &[&ids]).await? {
        out.entry(e.case_id).or_default().1.push(e);
    }
    Ok(out)
}

pub async fn events<C: GenericClient>(c: &C, tail: &str, params: &[Param<'_>]) -> Result<Vec<Event>> {
    let sql = format!(
        "SELECT case_id, seq, at, actor, role, step, from_state, to_state, note, attachments, detail, prev, hash FROM events {tail}"
    );
    query(c, &sql, params).await?.iter().map(event_row).collect()
}

fn event_row(r: &Row) -> Result<Event> {
    let bad = |what: &str, v: &str| backend_msg(format!("stored {what} “{v}” is unknown"));
    let state = |s: &str| State::parse(s).ok_or_else(|| bad("state", s));
    let role: &str = get(r, 4)?;
    Ok(Event {
        case_id: get(r, 0)?,
        seq: seq(get(r, 1)?)?,
        at: Timestamp(get(r, 2)?),
        actor: get(r, 3)?,
        role: Role::parse(role).ok_or_else(|| bad("role", role))?,
        step: get(r, 5)?,
        from: get::<Option<&str>>(r, 6)?.map(state).transpose()?,
        to: state(get(r, 7)?)?,
        note: get(r, 8)?,
        attachments: from_json(get(r, 9)?)?,
        detail: get(r, 10)?,
        prev: hash(get(r, 11)?),
        hash: hash(get(r, 12)?),
    })
}

pub(crate) fn cases_of(rows: Vec<Row>) -> Result<Vec<Case>> {
    rows.iter().map(|r| from_json(get(r, 0)?)).collect()
}

type Arg = Box<dyn ToSql + Sync + Send>;

/// The `WHERE` clause of a filter and its arguments (paging and order aside).
fn case_filter(f: &CaseFilter) -> (String, Vec<Arg>) {
    let mut sql = String::from(" WHERE true");
    let mut args: Vec<Arg> = Vec::new();
    // Pushes a value and its clause; returns the value's placeholder, to use it again.
    let mut arg = |sql: &mut String, clause: &str, v: Arg| {
        args.push(v);
        let placeholder = format!("${}", args.len());
        sql.push_str(&clause.replace('?', &placeholder));
        placeholder
    };
    if let Some(a) = &f.area {
        // Codes nest by prefix: [code, code + ':') is exactly the codes that start with it
        // (':' follows the digits; the column compares bytewise, COLLATE "C").
        arg(&mut sql, " AND grid >= ?", Box::new(a.to_string()));
        arg(&mut sql, " AND grid < ?", Box::new(format!("{a}:")));
    }
    if let Some(c) = &f.near {
        // The box by the index on (lat, lon), then the circle in the same projection as
        // `Circle::contains`: plain arithmetic, with the centre's cos(latitude) passed in.
        let (sw, ne) = c.bbox();
        arg(&mut sql, " AND lat BETWEEN ?", Box::new(sw.lat));
        arg(&mut sql, " AND ?", Box::new(ne.lat));
        arg(&mut sql, " AND lon BETWEEN ?", Box::new(sw.lon));
        arg(&mut sql, " AND ?", Box::new(ne.lon));
        let x = arg(&mut String::new(), "", Box::new(c.centre.lon));
        let y = arg(&mut String::new(), "", Box::new(c.centre.lat));
        let kx = arg(&mut String::new(), "", Box::new(c.m_per_deg_lon()));
        let ky = arg(&mut String::new(), "", Box::new(Circle::M_PER_DEG_LAT));
        let r2 = arg(&mut String::new(), "", Box::new(c.radius_m * c.radius_m));
        sql.push_str(&format!(
            " AND ((lon - {x}) * {kx}) * ((lon - {x}) * {kx}) + ((lat - {y}) * {ky}) * ((lat - {y}) * {ky}) <= {r2}"
        ));
    }
    if !f.states.is_empty() {
        let states: Vec<&'static str> = f.states.iter().map(|s| s.as_str()).collect();
        arg(&mut sql, " AND state = ANY(?)", Box::new(states));
    }
    if let Some(s) = f.subclass {
        arg(&mut sql, " AND subclass = ?", Box::new(s.to_string()));
    }
    if let Some(u) = &f.lead_unit {
        arg(&mut sql, " AND lead_unit = ?", Box::new(u.clone()));
    }
    if let Some(r) = &f.follower {
        arg(&mut sql, " AND id IN (SELECT case_id FROM case_followers WHERE resident = ?)", Box::new(r.clone()));
    }
    if let Some(o) = f.overdue {
        arg(&mut sql, " AND overdue = ?", Box::new(i64::from(o)));
    }
    if let Some(e) = f.extension_requested {
        arg(&mut sql, " AND extension_requested = ?", Box::new(i64::from(e)));
    }
    if let Some(a) = f.awaiting_follow_up {
        // A literal, so that the partial index of the cases awaiting one can serve it.
        sql.push_str(if a { " AND awaiting_follow_up = 1" } else { " AND awaiting_follow_up = 0" });
    }
    if let Some(t) = f.reported_from {
        arg(&mut sql, " AND reported_at >= ?", Box::new(t.0));
    }
    if let Some(t) = f.reported_to {
        arg(&mut sql, " AND reported_at < ?", Box::new(t.0));
    }
    (sql, args)
}

pub async fn find_cases<C: GenericClient>(c: &C, f: &CaseFilter) -> Result<Vec<Case>> {
    let (filter, mut args) = case_filter(f);
    let mut sql = format!("SELECT data FROM cases{filter}");
    if let Some(id) = f.before_id {
        args.push(Box::new(id));
        sql.push_str(&format!(" AND id < ${}", args.len()));
    }
    sql.push_str(match f.order {
        CaseOrder::NewestFirst => " ORDER BY id DESC",
        CaseOrder::DueFirst => " ORDER BY due_at IS NULL, due_at, id",
    });
    args.push(Box::new(i64::from(f.limit.clamp(1, 10_000))));
    sql.push_str(&format!(" LIMIT ${}", args.len()));
    let params: Vec<Param<'_>> = args.iter().map(|a| a.as_ref() as Param<'_>).collect();
    cases_of(query(c, &sql, &params).await?)
}

pub async fn count_cases<C: GenericClient>(c: &C, f: &CaseFilter) -> Result<i64> {
    let (filter, args) = case_filter(f);
    let params: Vec<Param<'_>> = args.iter().map(|a| a.as_ref() as Param<'_>).collect();
    let rows = query(c, &format!("SELECT count(*) FROM cases{filter}"), &params).await?;
    get(rows.first().ok_or_else(|| backend_msg("count(*) returned no row"))?, 0)
}

/// The states of an open case.
fn open_states() -> Vec<&'static str> {
    State::ALL.iter().filter(|s| s.is_open()).map(|s| s.as_str()).collect()
}

pub async fn open_counts<C: GenericClient>(c: &C, area: &AreaCode, digits: usize) -> Result<Vec<OpenCounts>> {
    // Index only (cases_state_grid): per open state, the range of grids under the area.
    let rows = query(
        c,
        "SELECT substr(grid, 1, $1) AS node, count(*), coalesce(sum(overdue), 0)::bigint, \
         coalesce(sum(warned * (1 - overdue)), 0)::bigint \
         FROM cases WHERE state = ANY($2) AND grid >= $3 AND grid < $4 GROUP BY node ORDER BY node",
        &[&(digits as i32), &open_states(), &area.as_str(), &format!("{area}:")],
    )
    .await?;
    rows.iter()
        .map(|r| Ok(OpenCounts { node: get(r, 0)?, open: get(r, 1)?, overdue: get(r, 2)?, warned: get(r, 3)? }))
        .collect()
}

pub async fn reported_by_subclass<C: GenericClient>(
    c: &C,
    area: &AreaCode,
    since: Timestamp,
    limit: u32,
) -> Result<Vec<(SubclassId, i64)>> {
    // Index only (cases_recent): the window's reports, then the grids under the area.
    let rows = query(
        c,
        "SELECT subclass, count(*) AS n FROM cases WHERE reported_at >= $1 AND grid >= $2 AND grid < $3 \
         GROUP BY subclass ORDER BY n DESC, subclass LIMIT $4",
        &[&since.0, &area.as_str(), &format!("{area}:"), &i64::from(limit)],
    )
    .await?;
    rows.iter()
        .map(|r| {
            let s: String = get(r, 0)?;
            Ok((SubclassId::parse("subclass", &s).map_err(|e| backend_msg(e.en))?, get(r, 1)?))
        })
        .collect()
}

pub async fn open_cases_near<C: GenericClient>(
    c: &C,
    subclass: SubclassId,
    sw: Point,
    ne: Point,
    since: Timestamp,
) -> Result<Vec<Case>> {
    let sql = "SELECT data FROM cases WHERE subclass = $1 AND reported_at >= $2 AND lon BETWEEN $3 AND $4 AND lat BETWEEN $5 AND $6 \
               AND state NOT IN ('closed_fixed', 'closed_not_fixed', 'voided', 'duplicate') ORDER BY id LIMIT 100";
    cases_of(query(c, sql, &[&subclass.to_string(), &since.0, &sw.lon, &ne.lon, &sw.lat, &ne.lat]).await?)
}

/// Case heads for audit. The row's columns and its JSON must agree; a disagreement is reported
/// as a head that cannot match any chain.
pub async fn case_heads<C: GenericClient>(c: &C, after_id: i64, limit: u32) -> Result<Vec<CaseHead>> {
    let rows = query(
        c,
        "SELECT id, seq, state, head, data FROM cases WHERE id > $1 ORDER BY id LIMIT $2",
        &[&after_id, &i64::from(limit)],
    )
    .await?;
    rows.iter().map(|r| head_of(get(r, 0)?, seq(get(r, 1)?)?, get(r, 2)?, hash(get(r, 3)?), get(r, 4)?)).collect()
}

/// Builds a case head from the row, checking it against the case's JSON.
fn head_of(id: i64, seq: u32, state: &str, head: Hash, data: &str) -> Result<CaseHead> {
    let case: Case = from_json(data)?;
    let state = State::parse(state).ok_or_else(|| backend_msg(format!("stored state “{state}” is unknown")))?;
    let agrees = case.id == id && case.seq == seq && case.state == state && case.head == head;
    Ok(CaseHead { id, seq, state, head: if agrees { head } else { [0xff; 32] } })
}

pub async fn ledger_page<C: GenericClient>(c: &C, after_seq: i64, limit: u32) -> Result<Vec<LedgerEntry>> {
    let rows = query(
        c,
        "SELECT ledger_seq, case_id, seq, hash, ledger_hash FROM events WHERE ledger_seq > $1 ORDER BY ledger_seq LIMIT $2",
        &[&after_seq, &i64::from(limit)],
    )
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LedgerEntry {
                ledger_seq: get(r, 0)?,
                case_id: get(r, 1)?,
                seq: seq(get(r, 2)?)?,
                event_hash: hash(get(r, 3)?),
                ledger_hash: hash(get(r, 4)?),
            })
        })
        .collect()
}

/// Replaces the reference data; the caller commits.
pub async fn save_reference<C: GenericClient>(t: &C, r: &Reference) -> Result<()> {
    // Two nodes replacing it at once would each insert what the other had not yet deleted;
    // the lock makes the second wait (readers are not blocked).
    t.batch_execute(
        "LOCK TABLE landmarks, duties, staff, units, grids, areas IN SHARE ROW EXCLUSIVE MODE; \
         DELETE FROM landmarks; DELETE FROM duties; DELETE FROM staff; DELETE FROM units; DELETE FROM grids; \
         DELETE FROM areas;",
    )
    .await
    .map_err(backend)?;
    let prepare = |sql: &'static str| async move { t.prepare_cached(sql).await.map_err(backend) };
    let st = prepare("INSERT INTO areas (code, name) VALUES ($1, $2)").await?;
    for a in &r.areas {
        t.execute(&st, &[&a.code.as_str(), &a.name]).await.map_err(backend)?;
    }
    let st = prepare("INSERT INTO grids (code, name, kind, polygon, members) VALUES ($1, $2, $3, $4, $5)").await?;
    for g in &r.grids {
        t.execute(&st, &[&g.code.as_str(), &g.name, &json(&g.kind), &json(&g.polygon), &json(&g.members)])
            .await
            .map_err(backend)?;
    }
    let st = prepare("INSERT INTO units (id, name, kind, area) VALUES ($1, $2, $3, $4)").await?;
    for u in &r.units {
        t.execute(&st, &[&u.id, &u.name, &u.kind, &u.area.as_str()]).await.map_err(backend)?;
    }
    let st = prepare("INSERT INTO duties (subclass, area, lead, assisting) VALUES ($1, $2, $3, $4)").await?;
    for d in &r.duties {
        t.execute(&st, &[&d.subclass.to_string(), &d.area.as_str(), &d.lead, &json(&d.assisting)])
            .await
            .map_err(backend)?;
    }
    let st = prepare("INSERT INTO staff (id, name, role, scope, unit) VALUES ($1, $2, $3, $4, $5)").await?;
    for s in &r.staff {
        t.execute(&st, &[&s.id, &s.name, &s.role.as_str(), &s.scope.as_str(), &s.unit]).await.map_err(backend)?;
    }
    let st = prepare("INSERT INTO landmarks (community, name, lon, lat, address) VALUES ($1, $2, $3, $4, $5)").await?;
    for l in &r.landmarks {
        t.execute(&st, &[&l.community.as_str(), &l.name, &l.location.lon, &l.location.lat, &l.address])
            .await
            .map_err(backend)?;
    }
    Ok(())
}

fn code(s: String) -> Result<AreaCode> {
    AreaCode::parse("code", &s).map_err(|e| backend_msg(format!("stored code: {e}")))
}

/// Reads the reference data, each table in key order (bytewise: the keys are COLLATE "C").
pub async fn load_reference<C: GenericClient>(c: &C) -> Result<Reference> {
    let mut r = Reference::default();
    for row in query(c, "SELECT code, name FROM areas ORDER BY code", &[]).await? {
        r.areas.push(Area { code: code(get(&row, 0)?)?, name: get(&row, 1)? });
    }
    for row in query(c, "SELECT code, name, kind, polygon, members FROM grids ORDER BY code", &[]).await? {
        r.grids.push(Grid {
            code: code(get(&row, 0)?)?,
            name: get(&row, 1)?,
            kind: from_json(get(&row, 2)?)?,
            polygon: from_json(get(&row, 3)?)?,
            members: from_json(get(&row, 4)?)?,
        });
    }
    for row in query(c, "SELECT id, name, kind, area FROM units ORDER BY id", &[]).await? {
        r.units.push(Unit { id: get(&row, 0)?, name: get(&row, 1)?, kind: get(&row, 2)?, area: code(get(&row, 3)?)? });
    }
    for row in query(c, "SELECT subclass, area, lead, assisting FROM duties ORDER BY subclass, area", &[]).await? {
        let subclass: &str = get(&row, 0)?;
        let subclass =
            SubclassId::parse("subclass", subclass).map_err(|e| backend_msg(format!("stored subclass: {e}")))?;
        r.duties.push(Duty {
            subclass,
            area: code(get(&row, 1)?)?,
            lead: get(&row, 2)?,
            assisting: from_json(get(&row, 3)?)?,
        });
    }
    for row in query(c, "SELECT id, name, role, scope, unit FROM staff ORDER BY id", &[]).await? {
        let role: &str = get(&row, 2)?;
        let role = Role::parse(role).ok_or_else(|| backend_msg(format!("stored role “{role}” is unknown")))?;
        r.staff.push(Staff {
            id: get(&row, 0)?,
            name: get(&row, 1)?,
            role,
            scope: code(get(&row, 3)?)?,
            unit: get(&row, 4)?,
        });
    }
    for row in
        query(c, "SELECT community, name, lon, lat, address FROM landmarks ORDER BY community, name", &[]).await?
    {
        r.landmarks.push(Landmark {
            community: code(get(&row, 0)?)?,
            name: get(&row, 1)?,
            location: Point { lon: get(&row, 2)?, lat: get(&row, 3)? },
            address: get(&row, 4)?,
        });
    }
    Ok(r)
}

/// The tables of the current schema as `table.column type`, types folded to the shared names.
pub async fn schema<C: GenericClient>(c: &C) -> Result<Vec<String>> {
    let rows = query(
        c,
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text \
         FROM information_schema.columns c JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations'",
        &[],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let (table, column, ty): (&str, &str, &str) = (get(r, 0)?, get(r, 1)?, get(r, 2)?);
        let ty = match ty {
            "bigint" | "integer" | "smallint" => "integer",
            "double precision" | "real" => "real",
            "text" => "text",
            "bytea" => "bytes",
            other => {
                return Err(backend_msg(format!("unexpected column type {other} in {table}.{column}")));
            }
        };
        out.push(format!("{table}.{column} {ty}"));
    }
    out.sort();
    Ok(out)
}
