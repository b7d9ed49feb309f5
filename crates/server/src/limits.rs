//! Abuse limits (防刷): how often one client address may knock on the doors anyone can reach
//! (signing in, signing up, asking for a code, reporting and uploading without an account, and
//! reading the public board, which anyone may page through), and asking for a proxy (亲友代办),
//! which sends a code to a phone.
//!
//! Each door has a token bucket per client address: `requests` tokens, refilled evenly over
//! `per`. A request finding the bucket empty is answered 429 in the API's error body with
//! `Retry-After` (whole seconds until a token is back). Signed-in reporting is not limited here:
//! it is accountable to its account.
//!
//! The client address is the peer of the connection (`ConnectInfo`, see [`crate::serve`]). Behind
//! reverse proxies, set [`Limits::trusted_proxies`] to how many of them append to
//! `X-Forwarded-For`: the address that many entries from the right is the client's. The header
//! is never believed otherwise, since anyone can send it. IPv6 clients are counted per /64,
//! which is what one subscriber usually holds. A request whose address is unknown (no
//! `ConnectInfo`, as in in-process tests) is counted under `0.0.0.0`.
//!
//! Request size is limited elsewhere: JSON bodies above [`crate::MAX_BODY`] are refused with 413
//! by the JSON extractor (`body_too_large`).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::caller::Caller;
use crate::error::ApiError;

/// So many requests per period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub requests: u32,
    pub per: Duration,
}

impl Rate {
    pub const fn new(requests: u32, per: Duration) -> Rate {
        Rate { requests, per }
    }

    pub const fn per_minute(requests: u32) -> Rate {
        Rate::new(requests, Duration::from_secs(60))
    }

    pub const fn per_hour(requests: u32) -> Rate {
        Rate::new(requests, Duration::from_secs(3600))
    }
}

/// The deployment's limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `/api/auth/login`: 10 a minute.
    pub login: Rate,
    /// `/api/auth/signup`: 5 in 10 minutes.
    pub signup: Rate,
    /// `/api/auth/code` and `POST /api/proxies` (verification codes by SMS or e-mail cost money):
    /// 5 in 10 minutes, shared.
    pub code: Rate,
    /// Anonymous `POST /api/reports`: 20 an hour.
    pub anonymous_report: Rate,
    /// Anonymous `POST /api/attachments` (photos for a report): 60 an hour.
    pub anonymous_upload: Rate,
    /// `GET /api/public/cases` (the public board), signed in or not: 60 a minute, a person's
    /// browsing with room to spare, not a scraper's.
    pub public_board: Rate,
    /// Reverse proxies in front of yiwang that append to `X-Forwarded-For`; 0 believes none.
    pub trusted_proxies: usize,
    /// Most buckets kept at once; beyond it the least recently used go (memory stays bounded).
    pub max_tracked: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            login: Rate::per_minute(10),
            signup: Rate::new(5, Duration::from_secs(600)),
            code: Rate::new(5, Duration::from_secs(600)),
            anonymous_report: Rate::per_hour(20),
            anonymous_upload: Rate::per_hour(60),
            public_board: Rate::per_minute(60),
            trusted_proxies: 0,
            max_tracked: 100_000,
        }
    }
}

/// A limited door.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Door {
    Login,
    Signup,
    Code,
    AnonymousReport,
    AnonymousUpload,
    PublicBoard,
}

impl Door {
    /// The door a request knocks on, if any. Reads (`GET`, `HEAD`, `OPTIONS`) are limited only at
    /// the public board; reports and uploads only when anonymous, which the caller of this
    /// decides.
    pub fn of(method: &Method, path: &str) -> Option<Door> {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            // HEAD runs the same handler as GET.
            return (*method != Method::OPTIONS && path == "/api/public/cases").then_some(Door::PublicBoard);
        }
        let under = |prefix: &str| path == prefix || path.strip_prefix(prefix).is_some_and(|r| r.starts_with('/'));
        if under("/api/auth/login") {
            Some(Door::Login)
        } else if under("/api/auth/signup") {
            Some(Door::Signup)
        } else if under("/api/auth/code") || (*method == Method::POST && path == "/api/proxies") {
            // Asking to act for a relative (亲友代办) sends a code too.
            Some(Door::Code)
        } else if *method == Method::POST && path == "/api/reports" {
            Some(Door::AnonymousReport)
        } else if *method == Method::POST && path == "/api/attachments" {
            Some(Door::AnonymousUpload)
        } else {
            None
        }
    }

    fn anonymous_only(self) -> bool {
        matches!(self, Door::AnonymousReport | Door::AnonymousUpload)
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets per door and client address.
pub struct Limiter {
    limits: Limits,
    buckets: Mutex<HashMap<(Door, IpAddr), Bucket>>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter { limits, buckets: Mutex::new(HashMap::new()) }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn rate(&self, door: Door) -> Rate {
        match door {
            Door::Login => self.limits.login,
            Door::Signup => self.limits.signup,
            Door::Code => self.limits.code,
            Door::AnonymousReport => self.limits.anonymous_report,
            Door::AnonymousUpload => self.limits.anonymous_upload,
            Door::PublicBoard => self.limits.public_board,
        }
    }

    /// Takes a token for one request of `client` at `door`; when none is left, how long until
    /// one is back.
    pub fn check(&self, door: Door, client: IpAddr) -> Result<(), Duration> {
        self.check_at(door, client, Instant::now())
    }

    fn check_at(&self, door: Door, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let rate = self.rate(door);
        if rate.requests == 0 {
            return Err(rate.per);
        }
        let capacity = f64::from(rate.requests);
        let per_second = capacity / rate.per.as_secs_f64().max(f64::MIN_POSITIVE);
        let mut buckets = self.buckets.lock().expect("rate limiter");
        let key = (door, bucket_key(client));
        if !buckets.contains_key(&key) && buckets.len() >= self.limits.max_tracked.max(1) {
            self.prune(&mut buckets, now);
        }
        let b = buckets.entry(key).or_insert(Bucket { tokens: capacity, updated: now });
        let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_second).min(capacity);
        b.updated = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_second))
        }
    }

    /// Drops the buckets that have refilled (they hold nothing a fresh one would not), then, if
    /// still too many, the least recently used, down to nine tenths of the bound so that pruning
    /// is rare even under a flood of new addresses.
    fn prune(&self, buckets: &mut HashMap<(Door, IpAddr), Bucket>, now: Instant) {
        buckets.retain(|(door, _), b| {
            let rate = self.rate(*door);
            let refill = now.saturating_duration_since(b.updated).as_secs_f64() / rate.per.as_secs_f64().max(1e-9);
            b.tokens / f64::from(rate.requests.max(1)) + refill < 1.0
        });
        let target = self.limits.max_tracked.max(1) * 9 / 10;
        if buckets.len() > target {
            let mut by_age: Vec<((Door, IpAddr), Instant)> = buckets.iter().map(|(k, b)| (*k, b.updated)).collect();
            by_age.sort_by_key(|(_, t)| *t);
            for (k, _) in by_age.into_iter().take(buckets.len() - target) {
                buckets.remove(&k);
            }
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.lock().unwrap().len()
    }
}

/// The key an address is counted under: IPv4 as it is, IPv6 by its /64.
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !((1u128 << 64) - 1))),
        },
    }
}

/// The client's address: the peer, or with trusted proxies the entry of `X-Forwarded-For` they
/// vouch for.
pub fn client_address(peer: Option<IpAddr>, headers: &HeaderMap, trusted_proxies: usize) -> IpAddr {
    let unknown = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    if trusted_proxies == 0 {
        return peer.unwrap_or(unknown);
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    entries
        .len()
        .checked_sub(trusted_proxies)
        .and_then(|i| entries[i].parse::<IpAddr>().ok())
        .or(peer)
        .unwrap_or(unknown)
}

/// Middleware: counts requests at the limited doors and answers 429 once a bucket is empty.
pub async fn limit(State((app, limiter)): State<(AppState, Arc<Limiter>)>, req: Request, next: Next) -> Response {
    let Some(door) = Door::of(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let req = if door.anonymous_only() {
        let (mut parts, body) = req.into_parts();
        // Identified once here; the handler finds the caller in the request's extensions.
        let anonymous = matches!(Caller::from_request_parts(&mut parts, &app).await, Ok(c) if c.actor.is_none());
        let req = Request::from_parts(parts, body);
        if !anonymous {
            // Signed in, or credentials the handler will refuse: not this limit's business.
            return next.run(req).await;
        }
        req
    } else {
        req
    };
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = client_address(peer, req.headers(), limiter.limits.trusted_proxies);
    match limiter.check(door, client) {
        Ok(()) => next.run(req).await,
        Err(wait) => too_many(wait),
    }
}

fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let mut res = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("请求过于频繁，请 {seconds} 秒后再试"),
        format!("too many requests; try again in {seconds} s"),
    )
    .into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn limiter(rate: Rate) -> Limiter {
        Limiter::new(Limits { login: rate, ..Limits::default() })
    }

    #[test]
    fn a_bucket_empties_and_refills_evenly() {
        let l = limiter(Rate::per_minute(3));
        let t0 = Instant::now();
        let a = ip("203.0.113.7");
        for _ in 0..3 {
            assert_eq!(l.check_at(Door::Login, a, t0), Ok(()));
        }
        let wait = l.check_at(Door::Login, a, t0).unwrap_err();
        assert!((19.9..=20.0).contains(&wait.as_secs_f64()), "one token every 20 s, got {wait:?}");
        // 10 s later half a token is back: still refused, 10 s to go.
        let wait = l.check_at(Door::Login, a, t0 + Duration::from_secs(10)).unwrap_err();
        assert!((9.9..=10.0).contains(&wait.as_secs_f64()), "{wait:?}");
        assert_eq!(l.check_at(Door::Login, a, t0 + Duration::from_secs(20)), Ok(()));
        assert!(l.check_at(Door::Login, a, t0 + Duration::from_secs(20)).is_err());
        // A long pause refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(l.check_at(Door::Login, a, later), Ok(()));
        }
        assert!(l.check_at(Door::Login, a, later).is_err());
    }

    #[test]
    fn addresses_and_doors_have_their_own_buckets() {
        let l = limiter(Rate::per_minute(1));
        let t0 = Instant::now();
        assert!(l.check_at(Door::Login, ip("203.0.113.7"), t0).is_ok());
        assert!(l.check_at(Door::Login, ip("203.0.113.7"), t0).is_err());
        assert!(l.check_at(Door::Login, ip("203.0.113.8"), t0).is_ok());
        assert!(l.check_at(Door::Signup, ip("203.0.113.7"), t0).is_ok(), "another door, another bucket");
        // One IPv6 /64 is one client; the next /64 is another.
        assert!(l.check_at(Door::Login, ip("2001:db8:1:2::1"), t0).is_ok());
        assert!(l.check_at(Door::Login, ip("2001:db8:1:2:ffff::9"), t0).is_err());
        assert!(l.check_at(Door::Login, ip("2001:db8:1:3::1"), t0).is_ok());
        // An IPv4-mapped address is the IPv4 client.
        assert!(l.check_at(Door::Login, ip("::ffff:203.0.113.8"), t0).is_err());
    }

    #[test]
    fn memory_stays_bounded() {
        let l = Limiter::new(Limits { login: Rate::per_minute(5), max_tracked: 100, ..Limits::default() });
        let t0 = Instant::now();
        for i in 0..1_000u32 {
            let a = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            let _ = l.check_at(Door::Login, a, t0 + Duration::from_millis(u64::from(i)));
        }
        assert!(l.tracked() <= 100, "{} buckets", l.tracked());
        // The most recent client kept its count.
        let last = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + 999));
        for _ in 0..4 {
            assert!(l.check_at(Door::Login, last, t0 + Duration::from_secs(1)).is_ok());
        }
        assert!(l.check_at(Door::Login, last, t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn doors_by_method_and_path() {
        assert_eq!(Door::of(&Method::POST, "/api/auth/login"), Some(Door::Login));
        assert_eq!(Door::of(&Method::POST, "/api/auth/login/totp"), Some(Door::Login));
        assert_eq!(Door::of(&Method::POST, "/api/auth/loginx"), None);
        assert_eq!(Door::of(&Method::POST, "/api/auth/signup"), Some(Door::Signup));
        assert_eq!(Door::of(&Method::POST, "/api/auth/code"), Some(Door::Code));
        assert_eq!(Door::of(&Method::POST, "/api/proxies"), Some(Door::Code), "asking for a proxy sends a code");
        assert_eq!(Door::of(&Method::POST, "/api/proxies/1/consent"), None);
        assert_eq!(Door::of(&Method::GET, "/api/proxies"), None);
        assert_eq!(Door::of(&Method::POST, "/api/reports"), Some(Door::AnonymousReport));
        assert_eq!(Door::of(&Method::POST, "/api/attachments"), Some(Door::AnonymousUpload));
        assert_eq!(Door::of(&Method::GET, "/api/auth/login"), None);
        assert_eq!(Door::of(&Method::GET, "/api/reports"), None);
        assert_eq!(Door::of(&Method::GET, "/api/public/cases"), Some(Door::PublicBoard));
        assert_eq!(Door::of(&Method::HEAD, "/api/public/cases"), Some(Door::PublicBoard));
        assert_eq!(Door::of(&Method::OPTIONS, "/api/public/cases"), None);
        assert_eq!(Door::of(&Method::GET, "/api/cases"), None);
        assert_eq!(Door::of(&Method::POST, "/api/cases/1/act"), None);
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.1, 203.0.113.9"));
        let peer = Some(ip("10.0.0.2"));
        assert_eq!(client_address(peer, &h, 0), ip("10.0.0.2"), "not trusted: the peer");
        assert_eq!(client_address(peer, &h, 1), ip("203.0.113.9"), "one proxy: the entry it appended");
        assert_eq!(client_address(peer, &h, 2), ip("198.51.100.1"));
        assert_eq!(client_address(peer, &h, 3), ip("10.0.0.2"), "fewer entries than proxies: the peer");
        h.append("x-forwarded-for", HeaderValue::from_static("192.0.2.4"));
        assert_eq!(client_address(peer, &h, 1), ip("192.0.2.4"), "repeated headers read as one list");
        h.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(client_address(peer, &h, 1), ip("10.0.0.2"));
        assert_eq!(client_address(None, &HeaderMap::new(), 0), ip("0.0.0.0"));
    }
}
