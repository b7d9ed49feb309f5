//! Evaluation storage on SQLite: `case_facts`, `eval_counters`, `eval_buckets` (migration 7),
//! and `eval_pending` (migration 15).
//!
//! A step writes its facts ([`store_facts`]) in the writer's group transaction. The group's
//! summed counter delta goes into the same transaction as one row of `eval_pending`
//! ([`journal`]), not into the counters: adding to every row a group touches was a third of the
//! writer's work. The writer adds the journal to the counters ([`settle`]) about once a second
//! and before anything reads them or the store closes, emptying it in the same transaction; a
//! journal left by a crash is added when the store opens ([`replay_journal`]); a rebuild
//! replaces it with the rest. So the counters a reader sees are always whole, and a committed
//! step's counters are never lost.
//!
//! Statements are prepared once per connection (`prepare_cached`), their SQL built once from
//! `Counters::NAMES`.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use async_trait::async_trait;
use foldhash::fast::RandomState;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter, types::Value};
use yiwang_domain::case::Case;
use yiwang_domain::codes::AreaCode;
use yiwang_domain::evaluation::{Contribution, Counters, Dim, Facts, Key};
use yiwang_store::Result;
use yiwang_store::evaluation::{Evaluation, prefix_upper};

use crate::packed::{self, Json};
use crate::{Cached, SqliteStore, backend};

const UPSERT_FACTS: &str = "INSERT INTO case_facts (case_id, seq, grid, data) VALUES (?1, ?2, ?3, ?4) \
     ON CONFLICT (case_id) DO UPDATE SET seq = excluded.seq, grid = excluded.grid, data = excluded.data";
const ADD_BUCKET: &str = "INSERT INTO eval_buckets (dim, key, day, bucket, closures) VALUES (?1, ?2, ?3, ?4, ?5) \
     ON CONFLICT (dim, key, day, bucket) DO UPDATE SET closures = closures + excluded.closures";

/// `INSERT ... ON CONFLICT DO UPDATE SET c = c + excluded.c` over every counter column.
fn add_counters_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let names = Counters::NAMES;
        let columns = names.join(", ");
        let values: Vec<String> = (4..4 + names.len()).map(|i| format!("?{i}")).collect();
        let sets: Vec<String> = names.iter().map(|n| format!("{n} = {n} + excluded.{n}")).collect();
        format!(
            "INSERT INTO eval_counters (dim, key, day, {columns}) VALUES (?1, ?2, ?3, {}) \
             ON CONFLICT (dim, key, day) DO UPDATE SET {}",
            values.join(", "),
            sets.join(", ")
        )
    })
}

/// `SUM` of every counter column, in `Counters::NAMES` order.
fn sums() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| Counters::NAMES.iter().map(|n| format!("coalesce(sum({n}), 0)")).collect::<Vec<_>>().join(", "))
}

fn json(f: &Facts) -> String {
    serde_json::to_string(f).expect("facts serialise")
}

fn facts_of(data: &str) -> Result<Facts> {
    serde_json::from_str(data).map_err(|e| backend(format!("stored facts do not parse: {e}")))
}

/// A case's facts as a row of `case_facts`, the JSON already written (see `rows::Prepared`).
pub struct FactsRow {
    case_id: i64,
    seq: u32,
    grid: String,
    data: Vec<u8>,
}

impl FactsRow {
    pub fn new(f: &Facts) -> FactsRow {
        FactsRow { case_id: f.case_id, seq: f.seq, grid: f.grid.as_str().to_owned(), data: packed::pack(&json(f)) }
    }
}

/// A step's facts, in place.
const UPDATE_FACTS: &str = "UPDATE case_facts SET seq = ?2, grid = ?3, data = ?4 WHERE case_id = ?1";

/// Writes a step's facts (its delta is journalled by the writer, see `rows::apply`).
pub fn store_facts(t: &Transaction, f: &FactsRow) -> Result<()> {
    let updated = f.seq > 1
        && t.prepare_cached(UPDATE_FACTS)
            .map_err(backend)?
            .execute(params![f.case_id, f.seq, f.grid, f.data])
            .map_err(backend)?
            == 1;
    if updated { Ok(()) } else { insert_facts(t, f) }
}

/// Writes a case's facts, replacing what it had.
pub fn insert_facts(t: &Connection, f: &FactsRow) -> Result<()> {
    t.prepare_cached(UPSERT_FACTS)
        .map_err(backend)?
        .execute(params![f.case_id, f.seq, f.grid, f.data])
        .map_err(backend)?;
    Ok(())
}

/// Adds a contribution to the counters and buckets (skipping entries that add nothing).
pub fn add(t: &Connection, c: &Contribution) -> Result<()> {
    add_entries(t, c.counters.iter(), c.buckets.iter())
}

/// Adds counter rows and bucket rows, each in key order: neighbouring keys share pages.
fn add_entries<'a>(
    t: &Connection,
    counters: impl Iterator<Item = (&'a Key, &'a Counters)>,
    buckets: impl Iterator<Item = (&'a (Key, i64), &'a i64)>,
) -> Result<()> {
    let mut counters = counters.filter(|(_, v)| !v.is_zero()).peekable();
    if counters.peek().is_some() {
        let mut st = t.prepare_cached(add_counters_sql()).map_err(backend)?;
        for (k, v) in counters {
            let mut p: Vec<Value> =
                vec![k.dim.as_str().to_owned().into(), k.key.clone().into(), i64::from(k.day).into()];
            p.extend(v.values().into_iter().map(Value::Integer));
            st.execute(params_from_iter(p)).map_err(backend)?;
        }
    }
    let mut buckets = buckets.filter(|(_, n)| **n != 0).peekable();
    if buckets.peek().is_some() {
        let mut st = t.prepare_cached(ADD_BUCKET).map_err(backend)?;
        for ((Key { dim, key, day }, bucket), n) in buckets {
            st.execute(params![dim.as_str(), key, day, bucket, n]).map_err(backend)?;
        }
    }
    Ok(())
}

/// Counter deltas summed over a group of commits, or over the journal. Hashed, not ordered like
/// [`Contribution`]: a group adds each step's delta to the same few hundred keys, thousands of
/// times, and an ordered map compared key strings at every level of every lookup (that merging
/// was 8 % of the writer's time). Sorted once, when written.
#[derive(Default)]
pub struct Sum {
    counters: HashMap<Key, Counters, RandomState>,
    buckets: HashMap<(Key, i64), i64, RandomState>,
}

impl Sum {
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty() && self.buckets.is_empty()
    }

    /// Empties the sum, keeping its tables' room.
    pub fn clear(&mut self) {
        self.counters.clear();
        self.buckets.clear();
    }

    /// Adds a step's delta.
    pub fn add(&mut self, c: &Contribution) {
        for (k, v) in &c.counters {
            self.add_counters(k, v);
        }
        for (k, n) in &c.buckets {
            self.add_bucket(k, *n);
        }
    }

    /// Adds another sum.
    pub fn absorb(&mut self, o: Sum) {
        for (k, v) in o.counters {
            self.counters.entry(k).or_default().add(&v);
        }
        for (k, n) in o.buckets {
            *self.buckets.entry(k).or_default() += n;
        }
    }

    // Look up before inserting: most keys are already there, and `entry` would clone each one.
    fn add_counters(&mut self, k: &Key, v: &Counters) {
        match self.counters.get_mut(k) {
            Some(sum) => sum.add(v),
            None => drop(self.counters.insert(k.clone(), *v)),
        }
    }

    fn add_bucket(&mut self, k: &(Key, i64), n: i64) {
        match self.buckets.get_mut(k) {
            Some(sum) => *sum += n,
            None => drop(self.buckets.insert(k.clone(), n)),
        }
    }

    /// Adds the sum to the counters and buckets.
    fn write(&self, t: &Connection) -> Result<()> {
        let mut counters: Vec<_> = self.counters.iter().collect();
        counters.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut buckets: Vec<_> = self.buckets.iter().collect();
        buckets.sort_unstable_by(|a, b| a.0.cmp(b.0));
        add_entries(t, counters.into_iter(), buckets.into_iter())
    }
}

/// One counter row of a journalled delta: object, day, and its non-zero counters by position in
/// `Counters::NAMES`.
type JournalRow<'a> = (Dim, std::borrow::Cow<'a, str>, u32, Vec<(usize, i64)>);
/// One bucket of a journalled delta: object, day, bucket, closures.
type JournalBucket<'a> = (Dim, std::borrow::Cow<'a, str>, u32, i64, i64);

/// A delta as journal text (JSON; only what is not zero).
fn encode(c: &Sum) -> String {
    let rows: Vec<JournalRow> = c
        .counters
        .iter()
        .map(|(k, v)| {
            let values = v.values().into_iter().enumerate().filter(|(_, n)| *n != 0).collect();
            (k.dim, k.key.as_str().into(), k.day, values)
        })
        .collect();
    let buckets: Vec<JournalBucket> =
        c.buckets.iter().map(|((k, bucket), n)| (k.dim, k.key.as_str().into(), k.day, *bucket, *n)).collect();
    serde_json::to_string(&(rows, buckets)).expect("a delta serialises")
}

/// Adds journal text to `sum`.
fn decode(text: &str, sum: &mut Sum) -> Result<()> {
    let (rows, buckets): (Vec<JournalRow>, Vec<JournalBucket>) =
        serde_json::from_str(text).map_err(|e| backend(format!("the counter journal does not parse: {e}")))?;
    let mut all = vec![0; Counters::NAMES.len()];
    for (dim, key, day, values) in rows {
        all.fill(0);
        for (i, n) in values {
            *all.get_mut(i).ok_or_else(|| backend(format!("the counter journal names counter {i}")))? = n;
        }
        sum.add_counters(&Key { dim, key: key.into_owned(), day }, &Counters::from_values(&all));
    }
    for (dim, key, day, bucket, n) in buckets {
        sum.add_bucket(&(Key { dim, key: key.into_owned(), day }, bucket), n);
    }
    Ok(())
}

/// Journals a group's counter delta (if it has one), under the ledger position of its last event.
pub fn journal(t: &Connection, ledger_seq: i64, delta: &Sum) -> Result<()> {
    if delta.is_empty() {
        return Ok(());
    }
    t.cached_execute(
        "INSERT INTO eval_pending (ledger_seq, delta) VALUES (?1, ?2)",
        params![ledger_seq, encode(delta)],
    )
    .map_err(backend)?;
    Ok(())
}

/// Adds the journal to the counters and empties it, in the caller's (immediate) transaction.
pub fn settle(t: &Connection) -> Result<()> {
    let mut pending = Sum::default();
    let mut journalled = 0;
    {
        let mut st = t.prepare_cached("SELECT delta FROM eval_pending").map_err(backend)?;
        let mut rows = st.query([]).map_err(backend)?;
        while let Some(r) = rows.next().map_err(backend)? {
            decode(r.get_ref(0).map_err(backend)?.as_str().map_err(backend)?, &mut pending)?;
            journalled += 1;
        }
    }
    if journalled == 0 {
        return Ok(());
    }
    pending.write(t)?;
    t.cached_execute("DELETE FROM eval_pending", []).map_err(backend)?;
    Ok(())
}

/// Adds a journal that a crash left (the deltas of groups committed before it) to the counters.
pub fn replay_journal(conn: &mut Connection) -> Result<()> {
    let t = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(backend)?;
    settle(&t)?;
    t.commit().map_err(backend)
}

fn counters_row(r: &rusqlite::Row, from: usize) -> rusqlite::Result<Counters> {
    let mut v = Vec::with_capacity(Counters::NAMES.len());
    for i in 0..Counters::NAMES.len() {
        v.push(r.get::<_, i64>(from + i)?);
    }
    Ok(Counters::from_values(&v))
}

#[async_trait]
impl Evaluation for SqliteStore {
    async fn facts(&self, case_id: i64) -> Result<Option<Facts>> {
        self.read(move |c| {
            let mut st = c.prepare_cached("SELECT data FROM case_facts WHERE case_id = ?1").map_err(backend)?;
            let mut rows = st.query([case_id]).map_err(backend)?;
            match rows.next().map_err(backend)? {
                Some(r) => Ok(Some(facts_of(&r.get::<_, Json>(0).map_err(backend)?.0)?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn case_with_facts(&self, case_id: i64) -> Result<Option<(Case, Option<Facts>)>> {
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT c.data, f.data FROM cases c NOT INDEXED LEFT JOIN case_facts f ON f.case_id = c.id \
                     WHERE c.id = ?1",
                )
                .map_err(backend)?;
            let mut rows = st.query([case_id]).map_err(backend)?;
            let Some(r) = rows.next().map_err(backend)? else { return Ok(None) };
            let case = crate::rows::from_json(&r.get::<_, Json>(0).map_err(backend)?.0)?;
            let facts = match r.get::<_, Option<Json>>(1).map_err(backend)? {
                Some(data) => Some(facts_of(&data.0)?),
                None => None,
            };
            Ok(Some((case, facts)))
        })
        .await
    }

    async fn facts_in_area(&self, area: &AreaCode, after_id: i64, limit: u32) -> Result<Vec<Facts>> {
        let (low, high) = (area.to_string(), format!("{area}:"));
        self.read(move |c| {
            let mut st = c
                .prepare_cached(
                    "SELECT data FROM case_facts WHERE grid >= ?1 AND grid < ?2 AND case_id > ?3 ORDER BY case_id LIMIT ?4",
                )
                .map_err(backend)?;
            let rows = st.query_map(params![low, high, after_id, limit], |r| r.get::<_, Json>(0)).map_err(backend)?;
            rows.map(|r| facts_of(&r.map_err(backend)?.0)).collect()
        })
        .await
    }

    async fn counters(&self, dim: Dim, key: &str, from: u32, to: u32) -> Result<(Counters, BTreeMap<i64, i64>)> {
        self.settle().await?;
        let key = key.to_owned();
        self.read(move |c| {
            let sql =
                format!("SELECT {} FROM eval_counters WHERE dim = ?1 AND key = ?2 AND day BETWEEN ?3 AND ?4", sums());
            let counters = c
                .prepare_cached(&sql)
                .map_err(backend)?
                .query_row(params![dim.as_str(), key, from, to], |r| counters_row(r, 0))
                .map_err(backend)?;
            let mut st = c
                .prepare_cached(
                    "SELECT bucket, sum(closures) FROM eval_buckets WHERE dim = ?1 AND key = ?2 AND day BETWEEN ?3 AND ?4 \
                     GROUP BY bucket HAVING sum(closures) <> 0 ORDER BY bucket",
                )
                .map_err(backend)?;
            let rows = st
                .query_map(params![dim.as_str(), key, from, to], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
                .map_err(backend)?;
            let buckets = rows.collect::<rusqlite::Result<BTreeMap<_, _>>>().map_err(backend)?;
            Ok((counters, buckets))
        })
        .await
    }

    async fn counters_by_day(&self, dim: Dim, key: &str, from: u32, to: u32) -> Result<Vec<(u32, Counters)>> {
        self.settle().await?;
        let key = key.to_owned();
        self.read(move |c| {
            let sql = format!(
                "SELECT day, {} FROM eval_counters WHERE dim = ?1 AND key = ?2 AND day BETWEEN ?3 AND ?4 \
                 GROUP BY day ORDER BY day",
                sums()
            );
            let mut st = c.prepare_cached(&sql).map_err(backend)?;
            let rows = st
                .query_map(params![dim.as_str(), key, from, to], |r| Ok((r.get::<_, u32>(0)?, counters_row(r, 1)?)))
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
        })
        .await
    }

    async fn counters_by_key(
        &self,
        dim: Dim,
        prefix: &str,
        len: Option<usize>,
        from: u32,
        to: u32,
    ) -> Result<Vec<(String, Counters)>> {
        self.settle().await?;
        let (low, high) = (prefix.to_owned(), prefix_upper(prefix));
        self.read(move |c| {
            let mut sql = format!("SELECT key, {} FROM eval_counters WHERE dim = ?1 AND key >= ?2", sums());
            let mut args: Vec<Value> = vec![dim.as_str().to_owned().into(), low.into()];
            if let Some(h) = high {
                args.push(h.into());
                sql.push_str(&format!(" AND key < ?{}", args.len()));
            }
            if let Some(n) = len {
                args.push((n as i64).into());
                sql.push_str(&format!(" AND length(key) = ?{}", args.len()));
            }
            args.push(i64::from(from).into());
            args.push(i64::from(to).into());
            sql.push_str(&format!(
                " AND day BETWEEN ?{} AND ?{} GROUP BY key ORDER BY key",
                args.len() - 1,
                args.len()
            ));
            let mut st = c.prepare_cached(&sql).map_err(backend)?;
            let rows = st
                .query_map(params_from_iter(args), |r| Ok((r.get::<_, String>(0)?, counters_row(r, 1)?)))
                .map_err(backend)?;
            let all = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)?;
            // Rows whose contributions cancelled out are no object's.
            Ok(all.into_iter().filter(|(_, c)| !c.is_zero()).collect())
        })
        .await
    }

    async fn replace_evaluation(&self, facts: Vec<Facts>, total: Contribution) -> Result<()> {
        self.write(move |t| {
            // The journal's deltas are in these facts already.
            t.execute_batch(
                "DELETE FROM case_facts; DELETE FROM eval_counters; DELETE FROM eval_buckets; DELETE FROM eval_pending;",
            )
            .map_err(backend)?;
            for f in &facts {
                insert_facts(t, &FactsRow::new(f))?;
            }
            add(t, &total)?;
            // The facts must be those of every case as it stands (the writer thread is the only
            // writer, so nothing moved while this ran; a stale rebuild is refused).
            stale_case(t)
        })
        .await
    }
}

/// A case whose facts are missing or not at its `seq`, as a conflict.
fn stale_case(c: &Connection) -> Result<()> {
    let row = c
        .query_row(
            "SELECT c.id, c.seq, coalesce(f.seq, 0) FROM cases c LEFT JOIN case_facts f ON f.case_id = c.id \
             WHERE f.seq IS NULL OR f.seq <> c.seq LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, u32>(1)?, r.get::<_, u32>(2)?)),
        )
        .optional()
        .map_err(backend)?;
    match row {
        Some((case_id, found, expected)) => Err(yiwang_store::StoreError::Conflict { case_id, expected, found }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journalled_delta_reads_back_as_written() {
        let mut c = Contribution::default();
        let key = |dim, key: &str, day| Key { dim, key: key.to_owned(), day };
        let reported = Counters { reported: 3, handling_minutes: -90, ..Counters::default() };
        c.counters.insert(key(Dim::Area, "110101", 20261121), reported);
        c.counters.insert(key(Dim::Staff, "网格员 \"7\"\t", 20261122), Counters::default());
        c.buckets.insert((key(Dim::Unit, "城管", 20261121), 4), -1);
        let mut sum = Sum::default();
        sum.add(&c);
        let mut read = Sum::default();
        decode(&encode(&sum), &mut read).unwrap();
        assert_eq!(read.counters, sum.counters);
        assert_eq!(read.buckets, sum.buckets);
        assert_eq!(read.counters.len(), 2, "a key whose counters are all zero is kept");
        assert!(
            decode("[[[\"area\", \"1\", 1, [[99, 1]]]], []]", &mut read).is_err(),
            "a counter past the last is refused"
        );
    }
}
