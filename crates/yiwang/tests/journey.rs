//! The API's promise, kept the way a new user would keep it: against `yiwang demo`, with plain
//! HTTP requests only (what curl would send), a resident signs up with the code shown in the
//! server's log, reports a problem with a photo, and follows it to closure as the staff act on
//! it; then rates it. A handler of another unit cannot see the case.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

/// A 1 × 1 PNG.
const PHOTO: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

struct Server {
    child: Child,
    addr: String,
    /// Lines the server writes to stderr (its log).
    log: mpsc::Receiver<String>,
    password: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_yiwang"))
        .arg("--data")
        .arg(dir)
        .args(["--listen", "127.0.0.1:0", "demo", "--days", "3", "--per-day", "5"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("yiwang starts");
    let (tx, log) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut password = String::new();
    let mut addr = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok) {
        if let Some(p) = line.split("every account's password is ").nth(1) {
            password = p.trim().to_owned();
        }
        if let Some(a) = line.split("http://").nth(1) {
            addr = a.split('/').next().unwrap().to_owned();
            break;
        }
    }
    assert!(!addr.is_empty() && !password.is_empty(), "the demo printed its address and password");
    Server { child, addr, log, password }
}

struct Reply {
    status: u16,
    cookie: Option<String>,
    body: Value,
    /// The body as it came, for the pages.
    text: String,
}

impl Server {
    fn request(&self, method: &str, path: &str, cookie: Option<&str>, content_type: &str, body: &[u8]) -> Reply {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if !body.is_empty() {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        if let Some(c) = cookie {
            head.push_str(&format!("Cookie: {c}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let cookie = head
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
            .map(|c| c.split(';').next().unwrap().to_owned());
        Reply { status, cookie, body: serde_json::from_str(body).unwrap_or(Value::Null), text: body.to_owned() }
    }

    fn json(&self, method: &str, path: &str, cookie: Option<&str>, body: Value) -> Reply {
        let bytes = if body.is_null() { Vec::new() } else { body.to_string().into_bytes() };
        self.request(method, path, cookie, "application/json", &bytes)
    }

    fn login(&self, login: &str) -> String {
        let r = self.json("POST", "/api/auth/login", None, json!({"login": login, "password": self.password}));
        assert_eq!(r.status, 200, "{login} signs in: {}", r.body);
        r.cookie.expect("a session cookie")
    }

    /// The verification code the server logged for a phone ending in `tail`.
    fn logged_code(&self, tail: &str) -> String {
        loop {
            let line = self.log.recv_timeout(Duration::from_secs(10)).expect("the code appears in the log");
            if line.contains("verification code") && line.contains(tail) {
                let at = line.find("code=").expect("code=") + 5;
                return line[at..].chars().filter(char::is_ascii_digit).take(6).collect();
            }
        }
    }

    fn act(&self, cookie: &str, id: i64, body: Value) -> Value {
        let r = self.json("POST", &format!("/api/cases/{id}/actions"), Some(cookie), body.clone());
        assert_eq!(r.status, 200, "{body}: {}", r.body);
        r.body
    }
}

#[test]
fn a_resident_reports_with_a_photo_and_follows_it_to_closure() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());

    // Sign up with the code shown in the log.
    let phone = "13912345678";
    let r = s.json("POST", "/api/auth/code", None, json!({"phone": phone}));
    assert_eq!(r.status, 202, "{}", r.body);
    let code = s.logged_code("5678");
    let r = s.json(
        "POST",
        "/api/auth/signup",
        None,
        json!({"phone": phone, "code": code, "password": "Qingshui-Yuan-88", "name": "王芳"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let me = r.cookie.expect("signed in after sign-up");

    // A photo, then the report.
    let r = s.request("POST", "/api/attachments", Some(&me), "image/png", PHOTO);
    assert_eq!(r.status, 201, "{}", r.body);
    let photo = r.body["id"].as_str().unwrap().to_owned();
    let r = s.json(
        "POST",
        "/api/reports",
        Some(&me),
        json!({"subclass": "E0107", "lon": 116.4075, "lat": 39.9163, "description": "小区门口垃圾桶满溢", "photos": [photo]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let grid = r.body["grid"].as_str().unwrap().to_owned();
    assert_eq!(r.body["state"], "reported");

    // The staff act on it, each in turn.
    let op = s.login("op-1");
    s.act(&op, id, json!({"action": "file"}));
    let disp = s.login("disp-1");
    let r = s.json("GET", &format!("/api/cases/{id}/suggestions"), Some(&disp), Value::Null);
    assert_eq!(r.status, 200, "{}", r.body);
    let unit = r.body["units"]["lead"]["id"].as_str().unwrap().to_owned();
    s.act(&disp, id, json!({"action": "dispatch", "lead": unit}));

    // Another unit's handler cannot see it.
    let other = if unit == "dc-cgzf" { "h-dc-hw-1" } else { "h-dc-cgzf-1" };
    let stranger = s.login(other);
    assert_eq!(s.json("GET", &format!("/api/cases/{id}"), Some(&stranger), Value::Null).status, 404);

    let handler = s.login(&format!("h-{unit}-1"));
    s.act(&handler, id, json!({"action": "accept"}));
    let r = s.request("POST", "/api/attachments", Some(&handler), "image/png", PHOTO);
    let after = r.body["id"].as_str().unwrap().to_owned();
    s.act(&handler, id, json!({"action": "report_back", "note": "已清运", "attachments": [after]}));
    let member = s.login(&format!("gm-{grid}"));
    s.act(&member, id, json!({"action": "verify", "passed": true}));
    let chief = s.login("chief-1");
    let closed = s.act(&chief, id, json!({"action": "close", "fixed": true}));
    assert_eq!(closed["state"], "closed_fixed");

    // The resident follows and rates it.
    let r = s.json("GET", &format!("/api/cases/{id}/events"), Some(&me), Value::Null);
    let steps: Vec<&str> = r.body.as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["report", "file", "dispatch", "accept", "report_back", "verify", "close"]);
    s.act(&me, id, json!({"action": "evaluate", "satisfaction": "satisfied", "fixed": true}));
    let r = s.json("GET", &format!("/api/cases/{id}?lang=en"), Some(&me), Value::Null);
    assert_eq!(
        (r.body["state_name"].as_str(), r.body["rating"]["satisfaction"].as_str()),
        (Some("closed, fixed"), Some("satisfied"))
    );
}

#[test]
fn the_district_leader_sees_this_months_indicators_rankings_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let leader = s.login("leader-1");
    let r = s.json("GET", "/api/evaluation/indicators", Some(&leader), Value::Null);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["reported"].as_i64().unwrap() > 0, "{}", r.body);
    assert_eq!(r.body["key"], "110101");
    for of in ["streets", "units"] {
        let r =
            s.json("GET", &format!("/api/evaluation/rankings?of={of}&indicator=closure"), Some(&leader), Value::Null);
        assert_eq!(r.status, 200, "{}", r.body);
        let rows = r.body.as_array().unwrap();
        assert!(!rows.is_empty() && rows.iter().all(|x| x["rate"]["count"].is_i64()), "{}", r.body);
    }
    // Every number leads to its cases.
    let r = s.json("GET", "/api/evaluation/cases?counter=reported&limit=5", Some(&leader), Value::Null);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.as_array().unwrap().is_empty());
    // The XLSX report downloads (a zip container).
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    write!(
        stream,
        "GET /api/evaluation/report?format=xlsx HTTP/1.1\r\nHost: {}\r\nCookie: {leader}\r\nConnection: close\r\n\r\n",
        s.addr
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&raw[..head_end]).to_lowercase();
    assert!(head.starts_with("http/1.1 200") && head.contains("spreadsheetml"), "{head}");
    assert!(raw[head_end..].windows(2).any(|w| w == b"PK"), "an XLSX body");
}

#[test]
fn the_demo_says_how_to_play_every_role_and_its_logins_work() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let r = s.json("GET", "/api/demo", None, Value::Null);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["password"], s.password.as_str());
    let accounts = r.body["accounts"].as_array().unwrap();
    let roles: Vec<&str> = accounts.iter().map(|a| a["role"].as_str().unwrap()).collect();
    for role in
        ["intake_operator", "dispatcher", "handler", "grid_member", "shift_chief", "supervisor", "leader", "resident"]
    {
        assert!(roles.contains(&role), "{role} missing from {roles:?}");
    }
    for a in accounts {
        let cookie = s.login(a["login"].as_str().unwrap());
        let me = s.json("GET", "/api/me", Some(&cookie), Value::Null);
        assert_eq!(me.body["role"], a["role"], "{}", me.body);
    }
    // The pages: every route of the front end is its one page; files are typed; the API stays JSON.
    let page = s.request("GET", "/cases/12", None, "text/plain", b"");
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<div id=\"app\">"), "{}", page.text);
    assert_eq!(s.request("GET", "/nope.png", None, "text/plain", b"").status, 404);
    assert_eq!(s.json("GET", "/api/nope", None, Value::Null).status, 404);
}
