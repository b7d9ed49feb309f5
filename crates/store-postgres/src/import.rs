//! Bulk import of case histories (see `yiwang_store::import`): one transaction holding the
//! ledger lock, every table written from arrays (`unnest`), a few statements per batch whatever
//! its size.

use deadpool_postgres::Transaction;
use yiwang_domain::Refusal;
use yiwang_domain::audit;
use yiwang_domain::case::State;
use yiwang_domain::evaluation::Contribution;
use yiwang_store::import::History;
use yiwang_store::{LedgerHead, Result, StoreError, schedule};

use crate::evaluation::{ADD_BUCKETS, DeltaArrays, add_counters_sql};
use crate::rows::{self, LOCK_LEDGER, SET_LEDGER, json};
use crate::{PostgresStore, backend};

const INSERT_CASES: &str = "INSERT INTO cases (id, state, seq, head, subclass, grid, lon, lat, lead_unit, reported_at, due_at, \
     closed_at, overdue, data, wake_anchor, wake_at, awaiting_follow_up) \
     SELECT id, state, seq, head, subclass, grid, lon, lat, lead_unit, reported_at, due_at, closed_at, overdue, data, \
     wake_anchor, wake_anchor, awaiting_follow_up \
     FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bytea[], $5::text[], $6::text[], $7::float8[], $8::float8[], \
     $9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::bigint[], $16::bigint[]) \
     AS u(id, state, seq, head, subclass, grid, lon, lat, lead_unit, reported_at, due_at, closed_at, overdue, data, \
     wake_anchor, awaiting_follow_up) \
     ON CONFLICT (id) DO NOTHING";
const INSERT_EVENTS: &str = "INSERT INTO events (case_id, seq, ledger_seq, at, actor, role, step, from_state, to_state, note, \
     attachments, detail, prev, hash, ledger_hash) \
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], \
     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bytea[], $14::bytea[], $15::bytea[])";
const INSERT_FOLLOWERS: &str = "INSERT INTO case_followers (resident, case_id) \
     SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING";
const INSERT_FACTS: &str = "INSERT INTO case_facts (case_id, seq, grid, data) \
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])";

/// Rows per statement: large enough that round trips do not count, small enough to bind.
const CHUNK: usize = 2_000;

impl PostgresStore {
    pub(crate) async fn import(&self, histories: Vec<History>, counters: Contribution) -> Result<LedgerHead> {
        for h in &histories {
            h.check()?;
        }
        let mut conn = self.conn().await?;
        let t = conn.transaction().await.map_err(backend)?;
        let start = rows::ledger_row(&t.query_one(LOCK_LEDGER, &[]).await.map_err(backend)?)?;
        let mut ledger = start;
        for chunk in histories.chunks(CHUNK) {
            insert_cases(&t, chunk).await?;
            ledger = insert_events(&t, chunk, ledger).await?;
        }
        let delta = DeltaArrays::new(&counters);
        if let Some(p) = delta.counters_params() {
            t.execute(add_counters_sql(), &p).await.map_err(backend)?;
        }
        if let Some(p) = delta.buckets_params() {
            t.execute(ADD_BUCKETS, &p).await.map_err(backend)?;
        }
        t.execute(SET_LEDGER, &[&ledger.seq, &ledger.hash.to_vec()]).await.map_err(backend)?;
        for cursor in ["notification_cursor", "webhook_cursor"] {
            t.execute(
                &format!("UPDATE {cursor} SET ledger_seq = $1 WHERE ledger_seq = $2"),
                &[&ledger.seq, &start.seq],
            )
            .await
            .map_err(backend)?;
        }
        t.commit().await.map_err(backend)?;
        Ok(ledger)
    }
}

/// The cases' rows, followers and facts; refuses the batch if any case exists.
async fn insert_cases(t: &Transaction<'_>, chunk: &[History]) -> Result<()> {
    let cases: Vec<_> = chunk.iter().map(|h| &h.case).collect();
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let states: Vec<&str> = cases.iter().map(|c| c.state.as_str()).collect();
    let seqs: Vec<i64> = cases.iter().map(|c| i64::from(c.seq)).collect();
    let heads: Vec<&[u8]> = cases.iter().map(|c| &c.head[..]).collect();
    let subclasses: Vec<String> = cases.iter().map(|c| c.subclass.to_string()).collect();
    let grids: Vec<&str> = cases.iter().map(|c| c.grid.as_str()).collect();
    let lons: Vec<f64> = cases.iter().map(|c| c.location.lon).collect();
    let lats: Vec<f64> = cases.iter().map(|c| c.location.lat).collect();
    let leads: Vec<Option<&str>> = cases.iter().map(|c| c.lead_unit.as_deref()).collect();
    let reported: Vec<i64> = cases.iter().map(|c| c.reported_at.0).collect();
    let due: Vec<Option<i64>> = cases.iter().map(|c| c.clock.due_at.map(|t| t.0)).collect();
    let closed: Vec<Option<i64>> = cases.iter().map(|c| c.closed_at.map(|t| t.0)).collect();
    let overdue: Vec<i64> = cases.iter().map(|c| i64::from(c.overdue)).collect();
    let data: Vec<String> = cases.iter().map(|c| json(*c)).collect();
    let wake: Vec<Option<i64>> = cases.iter().map(|c| schedule::wake_anchor(c).map(|t| t.0)).collect();
    let awaiting: Vec<i64> = cases.iter().map(|c| i64::from(schedule::awaits_follow_up(c))).collect();
    let written = t
        .execute(
            INSERT_CASES,
            &[
                &ids,
                &states,
                &seqs,
                &heads,
                &subclasses,
                &grids,
                &lons,
                &lats,
                &leads,
                &reported,
                &due,
                &closed,
                &overdue,
                &data,
                &wake,
                &awaiting,
            ],
        )
        .await
        .map_err(backend)?;
    if written != ids.len() as u64 {
        let found = t
            .query_one("SELECT min(id) FROM cases WHERE id = ANY($1)", &[&ids])
            .await
            .map_err(backend)?
            .get::<_, Option<i64>>(0)
            .unwrap_or_default();
        return Err(StoreError::Refused(Refusal::new(
            "case_exists",
            format!("案卷 {found} 已存在"),
            format!("case {found} already exists"),
        )));
    }
    let (residents, followed): (Vec<&str>, Vec<i64>) =
        cases.iter().flat_map(|c| c.followers.iter().map(move |f| (f.as_str(), c.id))).unzip();
    t.execute(INSERT_FOLLOWERS, &[&residents, &followed]).await.map_err(backend)?;
    let facts: Vec<_> = chunk.iter().map(|h| &h.facts).collect();
    let seqs: Vec<i64> = facts.iter().map(|f| i64::from(f.seq)).collect();
    let grids: Vec<&str> = facts.iter().map(|f| f.grid.as_str()).collect();
    let data: Vec<String> = facts.iter().map(|f| json(*f)).collect();
    t.execute(INSERT_FACTS, &[&ids, &seqs, &grids, &data]).await.map_err(backend)?;
    Ok(())
}

/// The events, chained into the ledger after `ledger`; returns the new head.
async fn insert_events(t: &Transaction<'_>, chunk: &[History], mut ledger: LedgerHead) -> Result<LedgerHead> {
    let events: Vec<_> = chunk.iter().flat_map(|h| &h.events).collect();
    let mut ledger_seqs = Vec::with_capacity(events.len());
    let mut ledger_hashes = Vec::with_capacity(events.len());
    for e in &events {
        ledger = LedgerHead { seq: ledger.seq + 1, hash: audit::ledger_next(&ledger.hash, &e.hash) };
        ledger_seqs.push(ledger.seq);
        ledger_hashes.push(ledger.hash.to_vec());
    }
    let case_ids: Vec<i64> = events.iter().map(|e| e.case_id).collect();
    let seqs: Vec<i64> = events.iter().map(|e| i64::from(e.seq)).collect();
    let at: Vec<i64> = events.iter().map(|e| e.at.0).collect();
    let actors: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
    let roles: Vec<&str> = events.iter().map(|e| e.role.as_str()).collect();
    let steps: Vec<&str> = events.iter().map(|e| e.step.as_str()).collect();
    let from: Vec<Option<&str>> = events.iter().map(|e| e.from.map(State::as_str)).collect();
    let to: Vec<&str> = events.iter().map(|e| e.to.as_str()).collect();
    let notes: Vec<&str> = events.iter().map(|e| e.note.as_str()).collect();
    let attachments: Vec<String> = events.iter().map(|e| json(&e.attachments)).collect();
    let details: Vec<&str> = events.iter().map(|e| e.detail.as_str()).collect();
    let prevs: Vec<&[u8]> = events.iter().map(|e| &e.prev[..]).collect();
    let hashes: Vec<&[u8]> = events.iter().map(|e| &e.hash[..]).collect();
    t.execute(
        INSERT_EVENTS,
        &[
            &case_ids,
            &seqs,
            &ledger_seqs,
            &at,
            &actors,
            &roles,
            &steps,
            &from,
            &to,
            &notes,
            &attachments,
            &details,
            &prevs,
            &hashes,
            &ledger_hashes,
        ],
    )
    .await
    .map_err(backend)?;
    Ok(ledger)
}
