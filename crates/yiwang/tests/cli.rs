//! The binary as a user runs it: a small demo, the audit, a hand-edited row, the server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn yiwang(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yiwang"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("yiwang runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const SMALL_DEMO: &[&str] =
    &["demo", "--no-serve", "--days", "20", "--per-day", "12", "--until", "2026-11-20T18:00:00+08:00"];

#[test]
fn demo_verify_tamper_and_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = yiwang(dir.path(), SMALL_DEMO);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("东城区") && text(&out).contains("1521 unit grids"), "{}", text(&out));

    let out = yiwang(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("audit chain intact"), "{}", text(&out));

    // Edit one event row by hand, as someone with database access might.
    let db = rusqlite::Connection::open(dir.path().join("yiwang.db")).unwrap();
    let (case_id, seq): (i64, i64) = db
        .query_row("SELECT case_id, seq FROM events WHERE seq = 2 ORDER BY case_id LIMIT 1 OFFSET 7", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    db.execute("UPDATE events SET actor = 'someone-else' WHERE case_id = ?1 AND seq = ?2", [case_id, seq]).unwrap();
    drop(db);
    let out = yiwang(dir.path(), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains(&format!("case {case_id} event {seq}: edited")), "{}", text(&out));
    assert!(text(&out).contains(&format!("案卷 {case_id} 的第 {seq} 个事件内容被修改")), "{}", text(&out));
}

/// The counters the demo's engine kept commit by commit are the ones recomputed from its event
/// log; a counter edited by hand is named, and a rebuild puts it right.
#[test]
fn demo_evaluation_matches_the_event_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = yiwang(dir.path(), SMALL_DEMO);
    assert!(out.status.success(), "{}", text(&out));
    let out = yiwang(dir.path(), &["evaluation", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("evaluation matches the event log") && text(&out).contains("考核数据与事件记录一致"),
        "{}",
        text(&out)
    );

    let dump = |d: &Path| -> Vec<Vec<String>> {
        let db = rusqlite::Connection::open(d.join("yiwang.db")).unwrap();
        let mut out = Vec::new();
        for sql in [
            "SELECT * FROM eval_counters ORDER BY dim, key, day",
            "SELECT * FROM eval_buckets WHERE closures <> 0 ORDER BY dim, key, day, bucket",
            "SELECT case_id, seq, grid, data FROM case_facts ORDER BY case_id",
        ] {
            let mut st = db.prepare(sql).unwrap();
            let n = st.column_count();
            let rows = st
                .query_map([], |r| {
                    (0..n)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                        .collect::<rusqlite::Result<Vec<String>>>()
                })
                .unwrap();
            // A counter row whose contributions cancelled out (a case voided, say) says nothing:
            // the rebuild does not write it.
            out.extend(rows.map(Result::unwrap).filter(|r| !(r.len() > 5 && r[3..].iter().all(|v| v == "Integer(0)"))));
        }
        out
    };
    let kept = dump(dir.path());
    assert!(kept.len() > 1_000, "{} rows", kept.len());

    // Edit one counter by hand.
    let db = rusqlite::Connection::open(dir.path().join("yiwang.db")).unwrap();
    let (key, day): (String, i64) = db
        .query_row(
            "SELECT key, day FROM eval_counters WHERE dim = 'unit' AND closed > 0 ORDER BY key, day LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    db.execute(
        "UPDATE eval_counters SET closed = closed + 1 WHERE dim = 'unit' AND key = ?1 AND day = ?2",
        rusqlite::params![key, day],
    )
    .unwrap();
    drop(db);
    let out = yiwang(dir.path(), &["evaluation", "verify"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains(&format!("unit {key} on {day}")) && text(&out).contains("closed "), "{}", text(&out));

    // The rebuild recomputes exactly what was kept before the edit.
    let out = yiwang(dir.path(), &["evaluation", "rebuild"]);
    assert!(out.status.success() && text(&out).contains("evaluation rebuilt"), "{}", text(&out));
    let rebuilt = dump(dir.path());
    let only = |a: &Vec<Vec<String>>, b: &Vec<Vec<String>>| a.iter().find(|r| !b.contains(r)).cloned();
    assert!(
        kept == rebuilt,
        "maintained and rebuilt evaluation differ: {:?} / {:?}",
        only(&kept, &rebuilt),
        only(&rebuilt, &kept)
    );
    let out = yiwang(dir.path(), &["evaluation", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn the_demo_is_reproducible_from_its_seed() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for d in [&a, &b] {
        let out = yiwang(d.path(), SMALL_DEMO);
        assert!(out.status.success(), "{}", text(&out));
    }
    let dump = |d: &Path| -> Vec<(i64, rusqlite::types::Value)> {
        let db = rusqlite::Connection::open(d.join("yiwang.db")).unwrap();
        let mut st = db.prepare("SELECT id, data FROM cases ORDER BY id").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let (da, db) = (dump(a.path()), dump(b.path()));
    assert!(da.len() > 100, "{} cases", da.len());
    assert!(da == db, "two runs with one seed differ");
}

#[test]
fn serves_healthz_and_a_home_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = yiwang(dir.path(), &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut child = Command::new(env!("CARGO_BIN_EXE_yiwang"))
        .arg("--data")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0", "serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in “{line}”"))
        .to_owned();
    let get = |path: &str| {
        let mut s = TcpStream::connect(&addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut body = String::new();
        s.read_to_string(&mut body).unwrap();
        body
    };
    let health = get("/healthz");
    let home = get("/");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(home.starts_with("HTTP/1.1 200") && home.contains("一网"), "{home}");
}

/// Starts `yiwang serve` on a free port; returns the child and its address.
fn serve(data: &Path) -> (std::process::Child, String) {
    serve_with(data, &[])
}

/// `yiwang serve` with more global options.
fn serve_with(data: &Path, options: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yiwang"))
        .arg("--data")
        .arg(data)
        .args(options)
        .args(["--listen", "127.0.0.1:0", "serve"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|s| s.split('/').next()).unwrap().to_owned();
    (child, addr)
}

fn post_json(addr: &str, path: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn demo_accounts_sign_in_and_add_staff_prints_a_first_password() {
    let dir = tempfile::tempdir().unwrap();
    let out = yiwang(dir.path(), SMALL_DEMO);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    for expected in
        ["Yiwang-demo-2026", "op-1", "chief-1", "disp-1", "h-dc-hw-1", "gm-110101", "13900000001", "oathtool"]
    {
        assert!(printed.contains(expected), "{expected} in {printed}");
    }
    let secret_line = printed.lines().find(|l| l.contains("sysadmin-1")).expect("the system administrator's secret");
    assert_eq!(secret_line.split_whitespace().last().unwrap().len(), 32, "{secret_line}");

    // Everyone has an account already; remove one to make it again on the command line.
    let out = yiwang(dir.path(), &["account", "add-staff", "leader-1"]);
    assert!(!out.status.success() && text(&out).contains("already has an account"), "{}", text(&out));
    let db = rusqlite::Connection::open(dir.path().join("yiwang.db")).unwrap();
    db.execute("DELETE FROM accounts WHERE login = 'leader-1'", []).unwrap();
    drop(db);
    let out = yiwang(dir.path(), &["account", "add-staff", "leader-1", "--login", "leader-one"]);
    assert!(out.status.success(), "{}", text(&out));
    let password = text(&out)
        .lines()
        .find_map(|l| l.strip_prefix("initial password: "))
        .and_then(|l| l.split_whitespace().next())
        .expect("a printed password")
        .to_owned();
    let out = yiwang(dir.path(), &["account", "add-staff", "nobody"]);
    assert!(!out.status.success() && text(&out).contains("no staff record"), "{}", text(&out));

    let (mut child, addr) = serve(dir.path());
    let leader = post_json(&addr, "/api/auth/login", &format!(r#"{{"login":"leader-one","password":"{password}"}}"#));
    let op = post_json(&addr, "/api/auth/login", r#"{"login":"op-1","password":"Yiwang-demo-2026"}"#);
    let resident = post_json(&addr, "/api/auth/login", r#"{"login":"13900000001","password":"Yiwang-demo-2026"}"#);
    let admin = post_json(&addr, "/api/auth/login", r#"{"login":"sysadmin-1","password":"Yiwang-demo-2026"}"#);
    let wrong = post_json(&addr, "/api/auth/login", r#"{"login":"op-1","password":"wrong"}"#);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(leader.starts_with("HTTP/1.1 200") && leader.contains("\"role\":\"leader\""), "{leader}");
    assert!(op.starts_with("HTTP/1.1 200") && op.contains("yiwang_session=") && op.contains("HttpOnly"), "{op}");
    assert!(resident.starts_with("HTTP/1.1 200") && resident.contains("139****0001"), "{resident}");
    assert!(admin.starts_with("HTTP/1.1 401") && admin.contains("totp_required"), "{admin}");
    assert!(wrong.starts_with("HTTP/1.1 401") && wrong.contains("invalid_credentials"), "{wrong}");
}

/// After its history the demo catches up on deadlines as the scheduler would on start: open
/// overdue cases are escalated a level at a time, unanswered follow-ups expire, nothing due is
/// left undone, and no case's chain runs backwards in time.
#[test]
fn the_demo_catches_up_on_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let out = yiwang(dir.path(), SMALL_DEMO);
    assert!(out.status.success(), "{}", text(&out));
    let db = rusqlite::Connection::open(dir.path().join("yiwang.db")).unwrap();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    for step in ["warn", "mark_overdue", "supervise", "escalate", "follow_up_expired"] {
        let n = count(&format!("SELECT count(*) FROM events WHERE step = '{step}' AND role = 'system'"));
        assert!(n > 0, "the scheduler's {step} appears in the demo");
    }
    assert_eq!(
        count(
            "SELECT count(*) FROM events WHERE step = 'escalate' AND length(json_extract(detail, '$.to')) NOT IN (6, 9)"
        ),
        0,
        "escalations go to the street, then the county"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM events a JOIN events b ON b.case_id = a.case_id AND b.seq = a.seq + 1 WHERE b.at < a.at"
        ),
        0,
        "every case's chain runs forward in time"
    );
    // 2026-11-20T18:00:00+08:00, the demo's "now".
    let until = 1_795_168_800_000_i64;
    assert_eq!(count(&format!("SELECT count(*) FROM cases WHERE wake_at <= {until}")), 0, "nothing due is left undone");

    let bad = yiwang(tempfile::tempdir().unwrap().path(), &["demo", "--no-serve", "--escalate-up-to", "community"]);
    assert!(!bad.status.success() && text(&bad).contains("escalation runs upwards"), "{}", text(&bad));
}

#[test]
fn the_sign_in_allowance_per_address_is_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = serve_with(dir.path(), &["--sign-ins-per-minute", "2"]);
    let login = || {
        let mut s = TcpStream::connect(&addr).unwrap();
        let body = r#"{"login": "nobody", "password": "wrong-password"}"#;
        write!(
            s,
            "POST /api/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut reply = String::new();
        s.read_to_string(&mut reply).unwrap();
        reply.split(' ').nth(1).unwrap().to_owned()
    };
    let statuses = [login(), login(), login()];
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(statuses, ["401", "401", "429"]);
}

#[test]
fn a_runtime_without_workers_is_refused() {
    let bad = yiwang(tempfile::tempdir().unwrap().path(), &["--workers", "0", "migrate"]);
    assert!(!bad.status.success() && text(&bad).contains("--workers"), "{}", text(&bad));
}
