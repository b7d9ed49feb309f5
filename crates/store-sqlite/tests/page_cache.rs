//! The store's page cache (`page_cache.rs`, installed when the first store in a process opens)
//! still drops the pages it must: every page when another connection has written, and the pages
//! past the end when the database shrinks or a transaction rolls back. A page kept there would be
//! read again in place of what the file now holds.

use rusqlite::{Connection, params};
use yiwang_store_sqlite::{Durability, SqliteStore};

/// Keys in a scattered order, which split and balance an index's pages (where SQLite parks a
/// page at the lock-byte page's number for a moment).
fn key(i: u64) -> String {
    format!("{:016x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn fill(conn: &mut Connection, keys: std::ops::Range<u64>, tag: &str, keep: bool) {
    let t = conn.transaction().unwrap();
    for i in keys {
        t.execute("INSERT INTO t (k, v) VALUES (?1, ?2)", params![key(i), format!("{tag} {i} ").repeat(20)]).unwrap();
    }
    if keep { t.commit().unwrap() } else { t.rollback().unwrap() }
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn the_cache_drops_what_the_file_no_longer_holds() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path(), Durability::Normal).unwrap());
    let path = dir.path().join("t.db");
    let mut conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA auto_vacuum = FULL; PRAGMA journal_mode = WAL; \
         CREATE TABLE t (k TEXT, v TEXT); CREATE INDEX t_k ON t (k)",
    )
    .unwrap();

    // Rolled back: the pages it added past the end are gone with it.
    for round in 0..10 {
        fill(&mut conn, round * 500..round * 500 + 2_000, "rolled back", false);
        fill(&mut conn, round * 500..round * 500 + 500, "kept", true);
    }
    assert_eq!(count(&conn, "SELECT count(*) FROM t WHERE v LIKE 'rolled back%'"), 0);

    // Shrunk (auto-vacuum gives the pages back at commit), then grown again into the same pages.
    conn.execute("DELETE FROM t WHERE rowid % 10 != 0", []).unwrap();
    fill(&mut conn, 100_000..104_500, "regrown", true);
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 5_000);

    // Written by another connection: this one's cached pages are stale.
    assert_eq!(count(&conn, "SELECT count(*) FROM t WHERE v LIKE 'other%'"), 0);
    Connection::open(&path).unwrap().execute("UPDATE t SET v = 'other ' || k", []).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM t WHERE v LIKE 'other%'"), 5_000);

    assert_eq!(count(&conn, "SELECT count(*) FROM t INDEXED BY t_k WHERE k > ''"), 5_000);
    assert_eq!(conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)).unwrap(), "ok");
}
