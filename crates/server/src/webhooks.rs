//! Webhooks for units' own systems (责任单位自有系统对接): the feeder that turns committed events
//! into deliveries, and the worker that sends them. The endpoints that manage subscriptions are
//! in [`crate::api::webhooks`]; the storage is `yiwang_store::webhooks`.
//!
//! **Which events.** Every event of a case while the subscription's unit leads or assists it:
//! from the dispatch (派遣) on, the unit's own steps, urging and supervision (催办、督办),
//! deadlines passing, closing, reopening (重新打开)… A re-dispatch to another unit is that unit's
//! first event. A subscription receives only events committed after it was made.
//!
//! **Feeding (at least once, across restarts).** The feeder follows the ledger with a cursor kept
//! in the store: it reads the events after the cursor, queues one delivery per event and
//! interested subscription, and moves the cursor, in one transaction. It runs right after every
//! commit of this process (woken by the engine's live bus) and every [`Config::poll`] otherwise
//! (commits of other nodes). Nothing committed is missed: a crash between a commit and its
//! delivery being queued is caught up at the next start, and queuing twice is harmless (one
//! delivery per subscription and event). Several nodes may feed side by side.
//!
//! **Sending.** The worker claims due deliveries with a lease and POSTs each one's JSON body
//! ([`WebhookPayload`]) to the subscription's URL with
//! - `X-Yiwang-Signature: sm3-hmac=<hex>` — HMAC-SM3 of the raw body under the subscription's
//!   secret ([`sign`], [`verify`]);
//! - `X-Yiwang-Delivery: <id>` — the same on every attempt: receivers drop repeats by it;
//! - `X-Yiwang-Event: <step>` — e.g. `dispatch`.
//!
//! A 2xx answer delivers it. Anything else (another status, no answer within
//! [`Config::timeout`], a refused address) is retried after [`Config::backoff`], up to
//! [`Config::max_attempts`] attempts, then the delivery is marked failed. Every attempt is in
//! the log. Deliveries are sent concurrently, so they may arrive out of order: order them by
//! `event.seq` within a case. Redirects are not followed.
//!
//! **Addresses.** Receivers on loopback, link-local (including cloud metadata at
//! 169.254.169.254), multicast or unspecified addresses are refused, whether named by IP or by
//! DNS name (checked at connection time, after resolution). Private networks (10/8, 172.16/12,
//! 192.168/16 — where government intranets live) are allowed. [`Config::allow_loopback`] opens
//! loopback for tests and for a receiver on the same machine.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Request, Uri, header};
use futures::StreamExt;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use sm3::Sm3;
use tokio::sync::Notify;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::task::JoinHandle;
use utoipa::ToSchema;
use yiwang_domain::case::{self, Actor, Case, Event, Role};
use yiwang_domain::time::Timestamp;
use yiwang_engine::Engine;
use yiwang_store::webhooks::{Attempt, Delivery, NewDelivery, Outcome, Subscription};
use yiwang_store::{Store, StoreError};

use crate::api::visibility;
use crate::caller::{Anonymous, Caller};
use crate::view::{CaseView, EventView};
use crate::{App, AppState};

pub const SIGNATURE_HEADER: &str = "x-yiwang-signature";
pub const DELIVERY_HEADER: &str = "x-yiwang-delivery";
pub const EVENT_HEADER: &str = "x-yiwang-event";

/// How the worker sends.
#[derive(Clone, Debug)]
pub struct Config {
    /// The wait after the n-th failed attempt is `backoff[n - 1]`; the last one repeats.
    pub backoff: Vec<Duration>,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
    /// How often the ledger and the outbox are looked at when nothing wakes the worker.
    pub poll: Duration,
    /// Longest wait for a receiver to connect and answer.
    pub timeout: Duration,
    /// Deliveries claimed (and sent side by side) at once.
    pub batch: u32,
    /// Allow receivers on loopback addresses.
    pub allow_loopback: bool,
}

impl Default for Config {
    /// 10 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h between eight attempts: about ten hours in all.
    fn default() -> Self {
        let (s, m, h) = (1, 60, 3600);
        Config {
            backoff: [10 * s, 30 * s, 2 * m, 10 * m, h, 3 * h, 6 * h].map(Duration::from_secs).to_vec(),
            max_attempts: 8,
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            batch: 16,
            allow_loopback: false,
        }
    }
}

impl Config {
    /// The wait after `attempts` failed attempts.
    pub fn delay_after(&self, attempts: u32) -> Duration {
        let i = (attempts.max(1) as usize - 1).min(self.backoff.len().saturating_sub(1));
        self.backoff.get(i).copied().unwrap_or(Duration::from_secs(60))
    }

    /// How long a claimed delivery is out of other workers' reach: well beyond one attempt.
    fn lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(30)
    }
}

/// The body of every delivery.
#[derive(Serialize, ToSchema)]
pub struct WebhookPayload {
    /// The subscription it is delivered for.
    pub subscription: i64,
    /// The unit subscribed.
    pub unit: String,
    pub case_id: i64,
    /// The event, as the unit's handlers see it in the case timeline.
    pub event: EventView,
    /// The case as it stood when the delivery was queued (normally a moment after the event),
    /// as the unit's handlers see it; absent when the case has meanwhile left the unit.
    pub case: Option<CaseView>,
}

/// HMAC-SM3 of `body` under `secret`, in lowercase hex.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sm3> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether an `X-Yiwang-Signature` value is right for `body` (compared in constant time).
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(sig) = header.trim().strip_prefix("sm3-hmac=").and_then(|h| hex::decode(h).ok()) else {
        return false;
    };
    let mut mac = <Hmac<Sm3> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// The running feeder and sender; they stop when this is dropped.
pub struct Worker {
    tasks: Vec<JoinHandle<()>>,
}

impl Worker {
    /// Stops both tasks (an attempt in flight is abandoned; its lease runs out and it is sent
    /// again later).
    pub async fn stop(mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
            let _ = t.await;
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the feeder and the sender on the current runtime.
pub fn start(engine: Arc<Engine>, config: Config) -> Worker {
    let wake = Arc::new(Notify::new());
    // The views the payloads are built with need an application around the engine; nobody
    // is ever identified through it.
    let views = AppState(Arc::new(App {
        engine: engine.clone(),
        auth: Arc::new(Anonymous),
        limits: crate::limits::Limits::default(),
        demo: None,
    }));
    let client = client(&config);
    let feeder = tokio::spawn(feed_loop(views, config.poll, wake.clone()));
    let sender = tokio::spawn(send_loop(engine, config, client, wake));
    Worker { tasks: vec![feeder, sender] }
}

async fn feed_loop(views: AppState, poll: Duration, wake: Arc<Notify>) {
    // Subscribed before the first round: whatever is committed later wakes the next one.
    let mut rx = views.0.engine.subscribe();
    let mut feeder = None;
    loop {
        let started = Instant::now();
        if feeder.is_none() {
            match views.0.engine.store().webhook_cursor().await {
                Ok(cursor) => {
                    feeder = Some(Feeder { views: views.clone(), cursor, saved: cursor, saved_at: Instant::now() })
                }
                Err(e) => tracing::error!(error = %e, "reading the webhook cursor failed; retrying"),
            }
        }
        if let Some(f) = feeder.as_mut() {
            match f.round().await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::debug!(deliveries = n, "webhook deliveries queued");
                    wake.notify_one();
                }
                Err(e) => tracing::error!(error = %e, "queuing webhook deliveries failed; retrying"),
            }
        }
        tokio::select! {
            r = rx.recv() => if matches!(r, Err(RecvError::Closed)) { return },
            _ = tokio::time::sleep(poll) => {}
        }
        tokio::time::sleep_until((started + yiwang_engine::ROUND_GAP).into()).await;
        // Whatever else was announced meanwhile is read by the next round anyway.
        while !matches!(rx.try_recv(), Err(TryRecvError::Empty | TryRecvError::Closed)) {}
    }
}

/// Ledger entries read at once.
const PAGE: u32 = 256;
/// The cursor is written with every delivery queued, and otherwise only this often (in ledger
/// entries or in time): writing it after every commit would double the durable writes of a
/// deployment without subscriptions. A restart re-reads what came after the stored cursor,
/// which queues nothing twice.
const SAVE_EVERY: i64 = 10_000;
const SAVE_AFTER: Duration = Duration::from_secs(60);

/// Follows the ledger for one process.
struct Feeder {
    views: AppState,
    /// Where this feeder has read to.
    cursor: i64,
    /// The cursor as last stored, and when.
    saved: i64,
    saved_at: Instant,
}

impl Feeder {
    /// Queues deliveries for the events after the cursor; returns how many were queued.
    async fn round(&mut self) -> Result<u64, StoreError> {
        let store = self.views.0.engine.store().clone();
        // The head first, the subscriptions second: a subscription made after this read starts
        // after this head, so the events up to it concern only the subscriptions read here.
        let head = store.ledger_head().await?.seq;
        if self.cursor >= head {
            return Ok(0);
        }
        let subscriptions = store.subscriptions(None).await?;
        let from = subscriptions.iter().map(|s| s.after_ledger_seq).min().unwrap_or(head);
        if self.cursor < from {
            // Nothing before the oldest subscription's start concerns anyone.
            self.advance(&store, &[], from.min(head)).await?;
        }
        let mut added = 0;
        while self.cursor < head {
            let page: Vec<_> =
                store.ledger_page(self.cursor, PAGE).await?.into_iter().take_while(|e| e.ledger_seq <= head).collect();
            let Some(last) = page.last().map(|e| e.ledger_seq) else { break };
            let now = Timestamp::now();
            // The entries some subscription follows (see `interested`), their cases read together.
            let cases = yiwang_store::cases_of(store.as_ref(), page.iter().filter(|e| e.ledger_seq > from)).await?;
            let mut deliveries = Vec::new();
            for entry in &page {
                let interested: Vec<&Subscription> =
                    subscriptions.iter().filter(|s| entry.ledger_seq > s.after_ledger_seq).collect();
                if interested.is_empty() {
                    continue;
                }
                let (case, events) = &cases[&entry.case_id];
                let Some(event) = events.iter().find(|e| e.seq == entry.seq) else {
                    tracing::warn!(case = entry.case_id, seq = entry.seq, "an event in the ledger is missing");
                    continue;
                };
                let units = case::units_after(events, entry.seq);
                for s in interested.into_iter().filter(|s| units.contains(&s.unit)) {
                    deliveries.push(NewDelivery {
                        subscription_id: s.id,
                        case_id: entry.case_id,
                        event_seq: entry.seq,
                        step: event.step.clone(),
                        payload: payload(&self.views, s, case.as_ref(), event),
                        created_at: now,
                    });
                }
            }
            added += self.advance(&store, &deliveries, last).await?;
        }
        Ok(added)
    }

    /// Queues the deliveries and moves the cursor to `to`, storing it when anything was queued
    /// or when it is due.
    async fn advance(
        &mut self,
        store: &Arc<dyn Store>,
        deliveries: &[NewDelivery],
        to: i64,
    ) -> Result<u64, StoreError> {
        let due = to - self.saved >= SAVE_EVERY || self.saved_at.elapsed() >= SAVE_AFTER;
        let added = if !deliveries.is_empty() || due {
            let added = store.enqueue_deliveries(deliveries, to).await?;
            self.saved = to;
            self.saved_at = Instant::now();
            added
        } else {
            0
        };
        self.cursor = to;
        Ok(added)
    }
}

fn payload(views: &AppState, s: &Subscription, case: Option<&Case>, event: &Event) -> String {
    // The unit's handlers are who the receiving system stands for.
    let actor = Actor {
        id: format!("webhook-{}", s.id),
        role: Role::Handler,
        unit: Some(s.unit.clone()),
        scope: None,
        on_behalf_of: None,
    };
    let caller = Caller { account: None, actor: Some(actor), lang: s.lang };
    let case = case.filter(|c| visibility::can_see(&caller, c)).map(|c| CaseView::of(c, views, &caller));
    let body = WebhookPayload {
        subscription: s.id,
        unit: s.unit.clone(),
        case_id: event.case_id,
        event: EventView::of(event, &caller),
        case,
    };
    serde_json::to_string(&body).expect("payloads serialise")
}

type HttpsClient = Client<HttpsConnector<HttpConnector<Resolver>>, Full<Bytes>>;

async fn send_loop(engine: Arc<Engine>, config: Config, client: HttpsClient, wake: Arc<Notify>) {
    loop {
        let now = Timestamp::now();
        let lease_until = now.plus_ms(config.lease().as_millis() as i64);
        match engine.store().claim_deliveries(now, lease_until, config.batch).await {
            Ok(claimed) if !claimed.is_empty() => {
                futures::stream::iter(claimed)
                    .for_each_concurrent(None, |d| attempt(&engine, &config, &client, d))
                    .await;
                // More may be due already.
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "claiming webhook deliveries failed; retrying"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(config.poll) => {}
        }
    }
}

async fn attempt(engine: &Engine, config: &Config, client: &HttpsClient, d: Delivery) {
    let store = engine.store();
    let subscription = match store.subscription(d.subscription_id).await {
        Ok(Some(s)) if s.active => s,
        Ok(_) => {
            // Queued just as the subscription was removed: cancel what it still has pending.
            if let Err(e) = store.deactivate_subscription(d.subscription_id).await {
                tracing::error!(error = %e, "cancelling deliveries of a removed subscription");
            }
            return;
        }
        Err(e) => {
            // The lease runs out and the delivery is tried again.
            tracing::error!(error = %e, delivery = d.id, "reading a webhook subscription");
            return;
        }
    };
    let (status, error) = post(config, client, &subscription, &d).await;
    let at = Timestamp::now();
    let made = d.attempts + 1;
    let outcome = if status.is_some_and(|s| (200..300).contains(&s)) {
        Outcome::Delivered
    } else if made >= config.max_attempts {
        Outcome::GiveUp
    } else {
        Outcome::RetryAt(at.plus_ms(config.delay_after(made).as_millis() as i64))
    };
    match outcome {
        Outcome::Delivered => tracing::debug!(delivery = d.id, "webhook delivered"),
        Outcome::RetryAt(_) => {
            tracing::info!(delivery = d.id, attempt = made, error = ?error, "webhook delivery failed; will retry")
        }
        Outcome::GiveUp => {
            tracing::warn!(delivery = d.id, attempts = made, error = ?error, "webhook delivery failed; giving up")
        }
    }
    let attempt = Attempt { at, status, error, outcome };
    if let Err(e) = store.record_attempt(d.id, &attempt).await {
        // Unrecorded, it is sent again when its lease runs out: at least once.
        tracing::error!(error = %e, delivery = d.id, "recording a webhook attempt");
    }
}

/// Most of an error answer's body kept in the log.
const ERROR_BODY: usize = 200;

/// One attempt: the status answered, and what went wrong if it was not a 2xx.
async fn post(config: &Config, client: &HttpsClient, s: &Subscription, d: &Delivery) -> (Option<u16>, Option<String>) {
    let uri: Uri = match s.url.parse() {
        Ok(u) => u,
        Err(e) => return (None, Some(format!("invalid URL: {e}"))),
    };
    // Names are checked after resolution (see `Resolver`); literal addresses are not resolved.
    if let Some(ip) = uri.host().and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok())
        && !address_allowed(ip, config.allow_loopback)
    {
        return (None, Some(format!("address {ip} may not receive webhooks")));
    }
    let request = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header(header::USER_AGENT, concat!("yiwang-webhooks/", env!("CARGO_PKG_VERSION")))
        .header(SIGNATURE_HEADER, format!("sm3-hmac={}", sign(s.secret.as_bytes(), d.payload.as_bytes())))
        .header(DELIVERY_HEADER, d.id.to_string())
        .header(EVENT_HEADER, d.step.as_str())
        .body(Full::new(Bytes::from(d.payload.clone())));
    let request = match request {
        Ok(r) => r,
        Err(e) => return (None, Some(format!("invalid request: {e}"))),
    };
    let answered = tokio::time::timeout(config.timeout, async {
        let res = client.request(request).await?;
        let status = res.status().as_u16();
        if res.status().is_success() {
            return Ok((status, None));
        }
        // A little of the body says why; never wait long for it.
        let mut body = res.into_body();
        let mut text = Vec::new();
        while text.len() < ERROR_BODY {
            match body.frame().await {
                Some(Ok(f)) => text.extend_from_slice(f.data_ref().map_or(&[][..], |b| &b[..])),
                _ => break,
            }
        }
        text.truncate(ERROR_BODY);
        let text = String::from_utf8_lossy(&text).split_whitespace().collect::<Vec<_>>().join(" ");
        let error = if text.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {text}") };
        Ok::<_, hyper_util::client::legacy::Error>((status, Some(error)))
    })
    .await;
    match answered {
        Ok(Ok((status, error))) => (Some(status), error),
        Ok(Err(e)) => (None, Some(describe(&e))),
        Err(_) => (None, Some(format!("no answer within {} s", config.timeout.as_secs_f64()))),
    }
}

/// An error with its causes (the client's own message is only "client error (Connect)").
fn describe(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

/// Whether a receiver at `ip` may be sent to (see the module docs).
pub fn address_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    if ip.is_loopback() {
        return allow_loopback;
    }
    match ip {
        IpAddr::V4(v4) => !(v4.is_unspecified() || v4.is_link_local() || v4.is_multicast() || v4.is_broadcast()),
        IpAddr::V6(v6) => !(v6.is_unspecified() || v6.is_multicast() || (v6.segments()[0] & 0xffc0) == 0xfe80),
    }
}

/// Resolves names for the client and keeps only the addresses a webhook may reach, so that a
/// name cannot lead to a refused address.
#[derive(Clone)]
struct Resolver {
    allow_loopback: bool,
}

impl tower::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.iter().copied().filter(|a| address_allowed(a.ip(), allow_loopback)).collect();
            if allowed.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("{host} resolves only to addresses that may not receive webhooks"),
                ));
            }
            Ok(allowed.into_iter())
        })
    }
}

fn client(config: &Config) -> HttpsClient {
    let mut http = HttpConnector::new_with_resolver(Resolver { allow_loopback: config.allow_loopback });
    http.enforce_http(false);
    http.set_connect_timeout(Some(config.timeout));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = match hyper_rustls::HttpsConnectorBuilder::new().with_provider_and_native_roots(provider.clone()) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "no system root certificates: https webhooks will fail until they are installed");
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default protocol versions")
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
        }
    };
    let https = tls.https_or_http().enable_http1().wrap_connector(http);
    Client::builder(TokioExecutor::new()).build(https)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors computed with OpenSSL (`openssl dgst -sm3 -mac HMAC`) and Python's `hmac` over
    /// OpenSSL's SM3, independently of this code.
    #[test]
    fn hmac_sm3_matches_independent_implementations() {
        let cases: [(&[u8], &[u8], &str); 4] = [
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882",
            ),
            (&[0x0b; 20], b"Hi There", "51b00d1fb49832bfb01c3ce27848e59f871d9ba938dc563b338ca964755cce70"),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "b4fd844e13342002f0b2e0690ea7741f1497d993a70494cea601e657bedf67a0",
            ),
            (b"", b"", "0d23f72ba15e9c189a879aefc70996b06091de6e64d31b7a84004356dd915261"),
        ];
        for (key, data, expected) in cases {
            assert_eq!(sign(key, data), expected);
            assert!(verify(key, data, &format!("sm3-hmac={expected}")));
        }
        assert!(!verify(
            b"Jefe",
            b"what do ya want for nothing!",
            "sm3-hmac=2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882"
        ));
        assert!(!verify(b"Jefe", b"", "sha256=00"));
        assert!(!verify(b"Jefe", b"", "sm3-hmac=zz"));
    }

    #[test]
    fn backoff_grows_then_repeats_its_last_step() {
        let c = Config::default();
        let waits: Vec<u64> = (1..=9).map(|n| c.delay_after(n).as_secs()).collect();
        assert_eq!(waits, [10, 30, 120, 600, 3600, 10800, 21600, 21600, 21600]);
    }

    #[test]
    fn refused_addresses() {
        let ok = |s: &str, loopback| address_allowed(s.parse().unwrap(), loopback);
        assert!(ok("10.1.2.3", false) && ok("192.168.1.1", false) && ok("172.16.0.1", false), "intranets");
        assert!(ok("203.0.113.5", false) && ok("2001:db8::1", false));
        assert!(!ok("127.0.0.1", false) && !ok("::1", false) && !ok("::ffff:127.0.0.1", false));
        assert!(ok("127.0.0.1", true) && ok("::1", true));
        assert!(!ok("169.254.169.254", true), "cloud metadata, always");
        assert!(!ok("fe80::1", true) && !ok("0.0.0.0", true) && !ok("::", true) && !ok("224.0.0.1", true));
        assert!(!ok("255.255.255.255", true));
    }
}
