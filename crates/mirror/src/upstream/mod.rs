//! The upstream connection: jetmirror reaches the real nats-server that holds the
//! origin streams as an ordinary NATS client.
//!
//! [`UpstreamClient::connect`] returns at once; a background tokio task
//! ([`connection`]) connects, keeps reconnecting and owns the socket. The handle is
//! cheap to clone. Behaviour:
//! - INFO is parsed (`server_id`, `max_payload`, `headers`, `auth_required`,
//!   `nonce`, `connect_urls`); CONNECT carries `verbose:false, pedantic:false,
//!   headers:true, no_responders:true, protocol:1, name, lang:"rust", version` and
//!   the credentials (from the URL, else from the config; with `nkey` or `credentials`
//!   the server's nonce signed, see [`tls`]).
//! - TLS ([`tls`]): upgraded after INFO when the server requires it, the URL is
//!   `tls://` or a `tls` block is configured; before INFO with `handshake_first`.
//! - Liveness: server PINGs are answered; our own PING goes out every
//!   `ping_interval` and the connection is declared dead when `max_pings_out` are
//!   still unanswered at the next tick. That is how a frozen (SIGSTOPped) upstream
//!   or a half-open link is found while its TCP connection stays open.
//! - Reconnect: the dead socket is dropped and the NEXT server of the list
//!   (configured `urls`, then learned `connect_urls`, rotating) is tried at once, so
//!   the one that just failed comes last; after a full pass without success the task
//!   sleeps `base × 2^passes` (capped) plus jitter.
//! - Subscriptions live in a table that is replayed (SUB) on every connect.
//!   Requests share one wildcard inbox subscription (`_INBOX.<id>.*`) with a token
//!   per request, like async-nats.
//! - While disconnected, publishes and requests are REFUSED
//!   ([`PublishError::Disconnected`], [`RequestError::Disconnected`]), not buffered:
//!   everything a mirror sends is tied to an origin consumer that the disconnect
//!   already invalidated, so a replay would only deliver stale flow-control replies.
//!   The caller recreates its consumers on [`ConnectionEvent::Connected`].
//! - Bounded everywhere: the command channel, bytes pending for the socket
//!   (`max_pending_bytes`, publishers wait), each subscription's queue
//!   (`subscription_capacity`, overflow is dropped and counted), in-flight requests
//!   ([`MAX_IN_FLIGHT_REQUESTS`]), and the decoder's control line and payload.

pub mod config;
mod connection;
pub mod tls;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use jetmirror_protocol::{encode_hpub, encode_pub};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

pub use config::{parse_url, ServerAddr, UpstreamConfig, UrlError};
pub use tls::{SetupError, UpstreamTls};

/// Most requests waiting for a reply at once.
pub const MAX_IN_FLIGHT_REQUESTS: usize = 65_536;
/// Depth of the command channel between handles and the connection task.
const COMMAND_CAPACITY: usize = 4096;
/// Connection events kept for slow receivers.
const EVENT_CAPACITY: usize = 64;

/// A message received on a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: Bytes,
    pub reply: Option<Bytes>,
    /// The raw `NATS/1.0...\r\n\r\n` block of an HMSG, byte for byte.
    pub headers: Option<Bytes>,
    pub payload: Bytes,
}

impl Message {
    /// The status code of the header block's version line (`NATS/1.0 503` → 503).
    pub fn status(&self) -> Option<u16> {
        let h = self.headers.as_deref()?;
        let rest = h.strip_prefix(b"NATS/1.0 ")?;
        let code = rest.get(..3)?;
        if !code.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(code).ok()?.parse().ok()
    }
}

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Not connected yet, or between attempts.
    Disconnected,
    Connected {
        url: String,
        server_id: String,
    },
    /// [`UpstreamClient::close`] was called (or every handle dropped).
    Closed,
}

/// A change of connection, for consumers that must react (the mirror recreates its
/// origin consumers on `Connected`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionEvent {
    Connected { url: String, server_id: String },
    Disconnected { url: String, reason: String },
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error("upstream not connected; message refused")]
    Disconnected,
    #[error("upstream client closed")]
    Closed,
    #[error("invalid subject {0:?}")]
    InvalidSubject(String),
    #[error("message of {size} bytes exceeds the upstream max_payload {max}")]
    MaxPayload { size: usize, max: usize },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("no responders on {0:?}")]
    NoResponders(String),
    #[error("request to {0:?} timed out")]
    Timeout(String),
    #[error("upstream disconnected before the reply to {0:?}")]
    Disconnected(String),
    #[error("too many requests in flight")]
    TooManyInFlight,
    #[error(transparent)]
    Publish(#[from] PublishError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    #[error("invalid subject {0:?}")]
    InvalidSubject(String),
    #[error("upstream client closed")]
    Closed,
}

pub(crate) enum Command {
    /// Encoded PUB/HPUB bytes.
    Write(Bytes),
    Sub(u64),
    Unsub(u64),
    Close,
}

pub(crate) struct SubEntry {
    pub(crate) subject: String,
    pub(crate) tx: mpsc::Sender<Message>,
}

pub(crate) struct Shared {
    pub(crate) subs: Mutex<HashMap<u64, SubEntry>>,
    pub(crate) requests: Mutex<HashMap<String, oneshot::Sender<Message>>>,
    /// `_INBOX.<22 random chars>`; the wildcard subscription is `<prefix>.*`.
    pub(crate) inbox_prefix: String,
    next_sid: AtomicU64,
    next_token: AtomicU64,
    pub(crate) status: watch::Sender<Status>,
    pub(crate) events: broadcast::Sender<ConnectionEvent>,
    pub(crate) max_payload: AtomicUsize,
    /// Messages dropped because a subscription's queue was full.
    pub(crate) dropped: AtomicU64,
    /// The current server list (`host:port`), for observability.
    pub(crate) servers: Mutex<Vec<String>>,
    sub_capacity: usize,
    transition_lock: Mutex<()>,
}

impl Shared {
    /// Sets the status and sends the matching event as one step with respect to
    /// [`UpstreamClient::events_with_status`].
    pub(crate) fn transition(&self, status: Status, event: ConnectionEvent) {
        let _guard = self.transition_lock.lock();
        self.status.send_replace(status);
        let _ = self.events.send(event);
    }
}

/// The reserved sid of the request inbox subscription.
pub(crate) const INBOX_SID: u64 = 0;

/// A handle to the upstream connection; clones share it.
#[derive(Clone)]
pub struct UpstreamClient {
    shared: Arc<Shared>,
    cmd: mpsc::Sender<Command>,
}

impl std::fmt::Debug for UpstreamClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamClient")
            .field("status", &self.status())
            .finish()
    }
}

/// Messages of one subscription. Dropping it unsubscribes.
pub struct Subscription {
    sid: u64,
    subject: String,
    rx: mpsc::Receiver<Message>,
    cmd: mpsc::WeakSender<Command>,
    shared: Weak<Shared>,
}

impl Subscription {
    /// The next message; `None` once the client is closed.
    pub async fn next(&mut self) -> Option<Message> {
        self.rx.recv().await
    }

    /// A message if one is queued.
    pub fn try_next(&mut self) -> Option<Message> {
        self.rx.try_recv().ok()
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            if let Ok(mut subs) = shared.subs.lock() {
                subs.remove(&self.sid);
            }
        }
        // Best effort: if the channel is full, the reader UNSUBs the unknown sid
        // when its next message arrives.
        if let Some(cmd) = self.cmd.upgrade() {
            let _ = cmd.try_send(Command::Unsub(self.sid));
        }
    }
}

fn random_id(n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| {
            char::from(
                DIGITS
                    .get(rng.gen_range(0..DIGITS.len()))
                    .copied()
                    .unwrap_or(b'x'),
            )
        })
        .collect()
}

impl UpstreamClient {
    /// Starts the connection task (must run inside a tokio runtime) and returns at
    /// once. Fails only for a bad URL, an empty list, or TLS files that do not load.
    pub fn connect(cfg: UpstreamConfig) -> Result<UpstreamClient, UrlError> {
        let servers = cfg
            .urls
            .iter()
            .map(|u| parse_url(u))
            .collect::<Result<Vec<_>, _>>()?;
        if servers.is_empty() {
            return Err(UrlError::Host(String::new()));
        }
        let tls = match &cfg.tls {
            Some(t) => Some(tls::client_config(t)?),
            None if servers.iter().any(|s| s.tls) => {
                Some(tls::client_config(&UpstreamTls::default())?)
            }
            None => None,
        };
        let (status, _) = watch::channel(Status::Disconnected);
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let shared = Arc::new(Shared {
            subs: Mutex::new(HashMap::new()),
            requests: Mutex::new(HashMap::new()),
            inbox_prefix: format!("_INBOX.{}", random_id(22)),
            next_sid: AtomicU64::new(INBOX_SID + 1),
            next_token: AtomicU64::new(1),
            status,
            events,
            max_payload: AtomicUsize::new(1024 * 1024),
            dropped: AtomicU64::new(0),
            servers: Mutex::new(servers.iter().map(ServerAddr::authority).collect()),
            sub_capacity: cfg.subscription_capacity.max(1),
            transition_lock: Mutex::new(()),
        });
        let (cmd, rx) = mpsc::channel(COMMAND_CAPACITY);
        tokio::spawn(connection::run(cfg, servers, tls, Arc::clone(&shared), rx));
        Ok(UpstreamClient { shared, cmd })
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.shared.status.borrow().clone()
    }

    /// A receiver that sees every status change.
    pub fn status_watch(&self) -> watch::Receiver<Status> {
        self.shared.status.subscribe()
    }

    /// Connection events from now on.
    pub fn events(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.shared.events.subscribe()
    }

    /// The current status and a receiver of every later event, taken atomically:
    /// no transition is missed or seen twice.
    pub fn events_with_status(&self) -> (Status, broadcast::Receiver<ConnectionEvent>) {
        let _guard = self.shared.transition_lock.lock();
        let rx = self.shared.events.subscribe();
        (self.status(), rx)
    }

    /// The server list in use (`host:port`; configured, then learned).
    pub fn servers(&self) -> Vec<String> {
        self.shared
            .servers
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Messages dropped so far because a subscription's queue was full.
    pub fn dropped_messages(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Waits until connected (returns the URL) or `timeout` passes (`None`).
    pub async fn wait_connected(&self, timeout: Duration) -> Option<String> {
        let mut rx = self.status_watch();
        let fut = async {
            loop {
                if let Status::Connected { url, .. } = &*rx.borrow_and_update() {
                    return Some(url.clone());
                }
                if rx.changed().await.is_err() {
                    return None;
                }
            }
        };
        tokio::time::timeout(timeout, fut).await.ok().flatten()
    }

    /// Subscribes to `subject` (wildcards allowed); replayed on every reconnect.
    pub async fn subscribe(&self, subject: &str) -> Result<Subscription, SubscribeError> {
        if !jetmirror_subject::is_valid_subject(subject) {
            return Err(SubscribeError::InvalidSubject(subject.to_owned()));
        }
        if matches!(self.status(), Status::Closed) {
            return Err(SubscribeError::Closed);
        }
        let sid = self.shared.next_sid.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(self.shared.sub_capacity);
        if let Ok(mut subs) = self.shared.subs.lock() {
            subs.insert(
                sid,
                SubEntry {
                    subject: subject.to_owned(),
                    tx,
                },
            );
        }
        self.cmd
            .send(Command::Sub(sid))
            .await
            .map_err(|_| SubscribeError::Closed)?;
        Ok(Subscription {
            sid,
            subject: subject.to_owned(),
            rx,
            cmd: self.cmd.downgrade(),
            shared: Arc::downgrade(&self.shared),
        })
    }

    /// Publishes (HPUB when `headers` is set). Refused while disconnected.
    pub async fn publish(
        &self,
        subject: &str,
        reply: Option<&str>,
        headers: Option<Bytes>,
        payload: Bytes,
    ) -> Result<(), PublishError> {
        if !jetmirror_subject::is_valid_publish_subject(subject) {
            return Err(PublishError::InvalidSubject(subject.to_owned()));
        }
        if let Some(r) = reply {
            if !jetmirror_subject::is_valid_publish_subject(r) {
                return Err(PublishError::InvalidSubject(r.to_owned()));
            }
        }
        let size = payload.len() + headers.as_ref().map_or(0, Bytes::len);
        let max = self.shared.max_payload.load(Ordering::Relaxed);
        if size > max {
            return Err(PublishError::MaxPayload { size, max });
        }
        match self.status() {
            Status::Connected { .. } => {}
            Status::Closed => return Err(PublishError::Closed),
            Status::Disconnected => return Err(PublishError::Disconnected),
        }
        let mut buf = BytesMut::with_capacity(subject.len() + size + 64);
        let reply = reply.map(str::as_bytes);
        match &headers {
            Some(h) => encode_hpub(&mut buf, subject.as_bytes(), reply, h, &payload),
            None => encode_pub(&mut buf, subject.as_bytes(), reply, &payload),
        }
        self.cmd
            .send(Command::Write(buf.freeze()))
            .await
            .map_err(|_| PublishError::Closed)
    }

    /// A request without headers.
    pub async fn request(
        &self,
        subject: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Message, RequestError> {
        self.request_with_headers(subject, None, payload, timeout)
            .await
    }

    /// Publishes with a unique inbox reply and waits for the first answer. A
    /// `NATS/1.0 503` answer is [`RequestError::NoResponders`].
    pub async fn request_with_headers(
        &self,
        subject: &str,
        headers: Option<Bytes>,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Message, RequestError> {
        let token = self
            .shared
            .next_token
            .fetch_add(1, Ordering::Relaxed)
            .to_string();
        let (tx, rx) = oneshot::channel();
        {
            let Ok(mut reqs) = self.shared.requests.lock() else {
                return Err(RequestError::Disconnected(subject.to_owned()));
            };
            if reqs.len() >= MAX_IN_FLIGHT_REQUESTS {
                return Err(RequestError::TooManyInFlight);
            }
            reqs.insert(token.clone(), tx);
        }
        let reply = format!("{}.{token}", self.shared.inbox_prefix);
        let forget = || {
            if let Ok(mut reqs) = self.shared.requests.lock() {
                reqs.remove(&token);
            }
        };
        if let Err(e) = self.publish(subject, Some(&reply), headers, payload).await {
            forget();
            return Err(match e {
                PublishError::Disconnected => RequestError::Disconnected(subject.to_owned()),
                other => RequestError::Publish(other),
            });
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(msg)) if msg.status() == Some(503) => {
                Err(RequestError::NoResponders(subject.to_owned()))
            }
            Ok(Ok(msg)) => Ok(msg),
            Ok(Err(_)) => Err(RequestError::Disconnected(subject.to_owned())),
            Err(_) => {
                forget();
                Err(RequestError::Timeout(subject.to_owned()))
            }
        }
    }

    /// Closes the connection and ends the task; every handle then sees `Closed`.
    pub async fn close(&self) {
        let _ = self.cmd.send(Command::Close).await;
        let mut rx = self.status_watch();
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while !matches!(*rx.borrow_and_update(), Status::Closed) {
                if rx.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
    }
}
