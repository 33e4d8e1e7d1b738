//! One client connection: the INFO/CONNECT handshake, authentication, the op loop (PUB,
//! HPUB, SUB, UNSUB, PING, PONG), keep-alive pings, and the close with nats-server's -ERR
//! texts and closed-connection reasons. At CONNECT the connection is bound to its account;
//! its publications and subscriptions live in that account's router from then on.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use jetmirror_protocol::{
    encode_err, encode_hmsg, encode_info, encode_msg, ClientOp, ClientOpDecoder, Limits,
    ProtocolError,
};
use parking_lot::Mutex;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tracing::{debug, trace};

use crate::accounts::AccountState;
use crate::auth::{Credentials, Identity};
use crate::outbound::{Outbound, WriteFailure};
use crate::permissions::Permissions;
use crate::router::{RoutedMsg, Sub, SubTarget};
use crate::server::ServerState;
use crate::stats::Counters;

/// Why a connection closed, with nats-server's `ClosedState` strings (shown in `/connz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedReason {
    ClientClosed,
    AuthenticationTimeout,
    AuthenticationViolation,
    SlowConsumerPendingBytes,
    SlowConsumerWriteDeadline,
    WriteError,
    ReadError,
    ParseError,
    StaleConnection,
    ProtocolViolation,
    BadClientProtocolVersion,
    MaxConnectionsExceeded,
    MaxPayloadExceeded,
    MaxControlLineExceeded,
    ServerShutdown,
    NoRespondersRequiresHeaders,
}

impl ClosedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ClosedReason::ClientClosed => "Client Closed",
            ClosedReason::AuthenticationTimeout => "Authentication Timeout",
            ClosedReason::AuthenticationViolation => "Authentication Failure",
            ClosedReason::SlowConsumerPendingBytes => "Slow Consumer (Pending Bytes)",
            ClosedReason::SlowConsumerWriteDeadline => "Slow Consumer (Write Deadline)",
            ClosedReason::WriteError => "Write Error",
            ClosedReason::ReadError => "Read Error",
            ClosedReason::ParseError => "Parse Error",
            ClosedReason::StaleConnection => "Stale Connection",
            ClosedReason::ProtocolViolation => "Protocol Violation",
            ClosedReason::BadClientProtocolVersion => "Bad Client Protocol Version",
            ClosedReason::MaxConnectionsExceeded => "Maximum Connections Exceeded",
            ClosedReason::MaxPayloadExceeded => "Maximum Message Payload Exceeded",
            ClosedReason::MaxControlLineExceeded => "Maximum Control Line Exceeded",
            ClosedReason::ServerShutdown => "Server Shutdown",
            ClosedReason::NoRespondersRequiresHeaders => "No Responders Requires Headers",
        }
    }
}

/// What CONNECT told us, decoded on top of nats-server's defaults (verbose, pedantic and echo
/// all true) and of any earlier CONNECT on the same connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ConnectOptions {
    pub verbose: bool,
    pub pedantic: bool,
    pub tls_required: bool,
    pub name: String,
    pub lang: String,
    pub version: String,
    pub protocol: i64,
    pub echo: bool,
    pub headers: bool,
    pub no_responders: bool,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub auth_token: Option<String>,
    pub nkey: Option<String>,
    pub sig: Option<String>,
    pub account: Option<String>,
    pub new_account: Option<bool>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            verbose: true,
            pedantic: true,
            tls_required: false,
            name: String::new(),
            lang: String::new(),
            version: String::new(),
            protocol: 0,
            echo: true,
            headers: false,
            no_responders: false,
            user: None,
            pass: None,
            auth_token: None,
            nkey: None,
            sig: None,
            account: None,
            new_account: None,
        }
    }
}

/// Connection facts shown by `/connz`.
#[derive(Debug, Clone)]
pub struct ClientMeta {
    pub addr: SocketAddr,
    pub start: SystemTime,
    pub last_activity: SystemTime,
    pub name: String,
    pub lang: String,
    pub version: String,
    pub user: Option<String>,
    /// The account the connection is bound to.
    pub account: String,
    pub rtt: Option<Duration>,
}

/// One subscription as monitoring shows it (nats-server's `SubDetail`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SubDetail {
    pub subject: String,
    pub queue: Option<String>,
    pub sid: String,
    /// Messages delivered so far.
    pub msgs: u64,
    /// Auto-unsubscribe limit (0: none).
    pub max: u64,
}

/// The part of a connection that other tasks use: its send buffer, the subscription map and
/// the flags that delivery consults.
#[derive(Debug)]
pub struct ClientShared {
    pub cid: u64,
    pub out: Outbound,
    pub counters: Counters,
    pub close: CancellationToken,
    pub headers: AtomicBool,
    pub meta: Mutex<ClientMeta>,
    /// Set at CONNECT; consulted at delivery for subscribe deny lists.
    pub permissions: parking_lot::RwLock<Option<Arc<Permissions>>>,
    /// The credentials of the last CONNECT, re-checked when the configuration is reloaded.
    pub credentials: Mutex<Option<Credentials>>,
    /// The client takes async INFO updates (protocol 1, first PONG sent).
    pub async_info: AtomicBool,
    subs: Mutex<HashMap<Bytes, Sub>>,
    reason: Mutex<Option<ClosedReason>>,
    state: Arc<ServerState>,
}

impl ClientShared {
    /// Sends one MSG/HMSG (headers only to clients that negotiated them, as nats-server
    /// strips them otherwise). A send that overflows `max_pending` closes the connection.
    pub fn send_msg(&self, sid: &[u8], msg: &RoutedMsg<'_>) -> bool {
        if let Some(p) = self.permissions.read().as_ref() {
            if p.filters_delivery() && !p.can_deliver(msg.subject) {
                return false;
            }
        }
        let subject = msg.wire_subject.unwrap_or(msg.subject).as_bytes();
        let headers = msg
            .headers
            .filter(|h| !h.is_empty() && self.headers.load(Ordering::Relaxed));
        let ok = self.out.push(|b| match headers {
            Some(h) => encode_hmsg(b, subject, sid, msg.reply, h, msg.payload),
            None => encode_msg(b, subject, sid, msg.reply, msg.payload),
        });
        if ok {
            let size = headers.map_or(0, |h| h.len()) + msg.payload.len();
            self.counters.add_out(size);
            self.state.counters.msgs.add_out(size);
        } else {
            self.close_for(ClosedReason::SlowConsumerPendingBytes);
        }
        ok
    }

    /// Queues raw protocol bytes (INFO, +OK, -ERR, PING, PONG).
    pub fn send_raw(&self, bytes: &[u8]) {
        if !self.out.push(|b| b.extend_from_slice(bytes)) {
            self.close_for(ClosedReason::SlowConsumerPendingBytes);
        }
    }

    /// Queues `-ERR '<text>'`.
    pub fn send_err(&self, text: &str) {
        if !self.out.push(|b| encode_err(b, text)) {
            self.close_for(ClosedReason::SlowConsumerPendingBytes);
        }
    }

    /// Closes the connection, recording the first reason given.
    pub fn close_for(&self, reason: ClosedReason) {
        {
            let mut r = self.reason.lock();
            if r.is_none() {
                *r = Some(reason);
                if matches!(
                    reason,
                    ClosedReason::SlowConsumerPendingBytes
                        | ClosedReason::SlowConsumerWriteDeadline
                ) {
                    self.state
                        .counters
                        .slow_consumers
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.close.cancel();
    }

    pub fn reason(&self) -> Option<ClosedReason> {
        *self.reason.lock()
    }

    /// Drops a subscription from this connection's map (after auto-unsubscribe).
    pub fn forget_sub(&self, sid: &Bytes) {
        self.subs.lock().remove(sid);
    }

    pub fn num_subs(&self) -> usize {
        self.subs.lock().len()
    }

    /// Every subscription as monitoring shows it (`/connz?subs=detail`, `/subsz`).
    pub fn sub_details(&self) -> Vec<SubDetail> {
        self.subs
            .lock()
            .values()
            .map(|s| SubDetail {
                subject: s.0.subject.clone(),
                queue: s.0.queue.clone(),
                sid: String::from_utf8_lossy(&s.0.sid).into_owned(),
                msgs: s.0.delivered.load(Ordering::Relaxed),
                max: s.0.max.load(Ordering::Relaxed),
            })
            .collect()
    }

    pub fn sub_subjects(&self) -> Vec<String> {
        self.subs
            .lock()
            .values()
            .map(|s| s.0.subject.clone())
            .collect()
    }

    fn take_subs(&self) -> Vec<Sub> {
        self.subs.lock().drain().map(|(_, s)| s).collect()
    }
}

/// Serves one accepted connection until it closes.
pub async fn serve<S>(state: Arc<ServerState>, stream: S, addr: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let cid = state.next_cid();
    let nonce = connection_nonce(&state);
    let info = state.client_info_for(cid, &addr, false, crate::accounts::GLOBAL, &nonce);
    serve_accepted(state, stream, addr, cid, Some(info), nonce).await;
}

/// The nkey challenge for a new connection's INFO: empty unless nkey users exist.
pub fn connection_nonce(state: &ServerState) -> String {
    if state.authenticator().nonce_required() {
        crate::auth::new_nonce()
    } else {
        String::new()
    }
}

/// Serves a connection whose id is `cid` and whose TLS handshake (if any) is done;
/// `info` is the INFO still to send first (`None` when it went out before the handshake)
/// and `nonce` the nkey challenge it carries.
pub async fn serve_accepted<S>(
    state: Arc<ServerState>,
    stream: S,
    addr: SocketAddr,
    cid: u64,
    info: Option<Vec<u8>>,
    nonce: String,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let now = SystemTime::now();
    let shared = Arc::new(ClientShared {
        cid,
        out: Outbound::new(state.max_pending()),
        counters: Counters::default(),
        close: state.shutdown_token().child_token(),
        headers: AtomicBool::new(false),
        meta: Mutex::new(ClientMeta {
            addr,
            start: now,
            last_activity: now,
            name: String::new(),
            lang: String::new(),
            version: String::new(),
            user: None,
            account: crate::accounts::GLOBAL.to_string(),
            rtt: None,
        }),
        permissions: parking_lot::RwLock::new(None),
        credentials: Mutex::new(None),
        async_info: AtomicBool::new(false),
        subs: Mutex::new(HashMap::new()),
        reason: Mutex::new(None),
        state: state.clone(),
    });
    let (reader, writer) = tokio::io::split(stream);
    let writer_task = {
        let shared = shared.clone();
        let deadline = state.write_deadline();
        tokio::spawn(async move {
            shared
                .out
                .run_writer(
                    writer,
                    shared.close.clone(),
                    deadline,
                    Duration::from_secs(1),
                )
                .await;
        })
    };

    if let Some(info) = &info {
        shared.out.push(|b| encode_info(b, info));
    }

    if !state.register_client(&shared) {
        shared.send_err("maximum connections exceeded");
        shared.close_for(ClosedReason::MaxConnectionsExceeded);
        let _ = writer_task.await;
        state.record_closed(&shared);
        return;
    }
    debug!(cid, %addr, "client connected");

    let mut conn = Connection::new(state.clone(), shared.clone(), nonce);
    conn.account.clients.fetch_add(1, Ordering::Relaxed);
    conn.run(reader).await;

    for sub in shared.take_subs() {
        conn.account.router.remove(&sub);
    }
    conn.account.clients.fetch_sub(1, Ordering::Relaxed);
    shared.close.cancel();
    let _ = writer_task.await;
    match shared.out.failure() {
        Some(WriteFailure::SlowConsumerDeadline) => {
            shared.close_for(ClosedReason::SlowConsumerWriteDeadline)
        }
        Some(WriteFailure::WriteError) => shared.close_for(ClosedReason::WriteError),
        _ => {}
    }
    state.unregister_client(&shared);
    debug!(cid, reason = ?shared.reason(), "client closed");
}

/// The reading side of a connection and its protocol state.
struct Connection {
    state: Arc<ServerState>,
    shared: Arc<ClientShared>,
    /// The account bound at CONNECT (`$G` until then).
    account: Arc<AccountState>,
    /// The INFO nonce (empty when no nkey users exist).
    nonce: String,
    opts: ConnectOptions,
    connect_json: serde_json::Map<String, serde_json::Value>,
    connected: bool,
    authenticated: bool,
    first_pong_sent: bool,
    pings_out: u32,
    last_inbound: Instant,
    ping_sent_at: Option<Instant>,
    rtt_measured_at: Option<Instant>,
}

enum Flow {
    Continue,
    Close,
}

impl Connection {
    fn new(state: Arc<ServerState>, shared: Arc<ClientShared>, nonce: String) -> Self {
        let authenticated = !state.authenticator().required();
        Connection {
            account: state.accounts.global().clone(),
            nonce,
            state,
            shared,
            opts: ConnectOptions::default(),
            connect_json: serde_json::Map::new(),
            connected: false,
            authenticated,
            first_pong_sent: false,
            pings_out: 0,
            last_inbound: Instant::now(),
            ping_sent_at: None,
            rtt_measured_at: None,
        }
    }

    async fn run<R: AsyncRead + Unpin>(&mut self, mut reader: R) {
        let limits = Limits {
            max_control_line: self.state.max_control_line(),
            max_payload: self.state.max_payload(),
        };
        let mut decoder = ClientOpDecoder::new(limits);
        let mut buf = BytesMut::with_capacity(64 * 1024);
        let close = self.shared.close.clone();

        let auth_deadline = tokio::time::sleep(self.state.auth_timeout());
        tokio::pin!(auth_deadline);
        let ping_interval = self.state.ping_interval();
        let first_ping = first_ping_delay(ping_interval);
        let ping_timer = tokio::time::sleep(first_ping);
        tokio::pin!(ping_timer);

        loop {
            if buf.capacity() - buf.len() < 16 * 1024 {
                buf.reserve(64 * 1024);
            }
            tokio::select! {
                biased;
                _ = close.cancelled() => return,
                read = reader.read_buf(&mut buf) => {
                    match read {
                        Ok(0) => {
                            self.shared.close_for(ClosedReason::ClientClosed);
                            return;
                        }
                        Ok(_) => {
                            self.last_inbound = Instant::now();
                            loop {
                                match decoder.decode(&mut buf) {
                                    Ok(Some(op)) => {
                                        if let Flow::Close = self.process(op) {
                                            return;
                                        }
                                    }
                                    Ok(None) => break,
                                    Err(e) => {
                                        self.protocol_error(e);
                                        return;
                                    }
                                }
                            }
                            self.shared.meta.lock().last_activity = SystemTime::now();
                        }
                        Err(_) => {
                            self.shared.close_for(ClosedReason::ReadError);
                            return;
                        }
                    }
                }
                _ = &mut auth_deadline, if !self.authenticated => {
                    self.shared.send_err("Authentication Timeout");
                    self.shared.close_for(ClosedReason::AuthenticationTimeout);
                    return;
                }
                _ = &mut ping_timer => {
                    if let Flow::Close = self.ping_tick(ping_interval) {
                        return;
                    }
                    ping_timer.as_mut().reset(tokio::time::Instant::now() + ping_interval);
                }
            }
        }
    }

    /// The keep-alive timer: skip the PING when the client was heard from within the last
    /// interval; close as stale when `ping_max` PINGs are already unanswered.
    fn ping_tick(&mut self, interval: Duration) -> Flow {
        // As nats-server: no PING while the client is talking, once an RTT is known.
        let need_rtt = self
            .rtt_measured_at
            .is_none_or(|t| t.elapsed() > Duration::from_secs(3600));
        if self.last_inbound.elapsed() < interval && !need_rtt {
            return Flow::Continue;
        }
        if self.pings_out + 1 > self.state.ping_max() {
            self.shared.send_err("Stale Connection");
            self.state
                .counters
                .stale_connections
                .fetch_add(1, Ordering::Relaxed);
            self.shared.close_for(ClosedReason::StaleConnection);
            return Flow::Close;
        }
        self.pings_out += 1;
        self.ping_sent_at = Some(Instant::now());
        self.shared.send_raw(jetmirror_protocol::PING);
        Flow::Continue
    }

    fn protocol_error(&mut self, e: ProtocolError) {
        let reason = match e {
            ProtocolError::MaxControlLine => ClosedReason::MaxControlLineExceeded,
            ProtocolError::MaxPayload => ClosedReason::MaxPayloadExceeded,
            _ => ClosedReason::ParseError,
        };
        if let Some(text) = e.err_text() {
            self.shared.send_err(text);
        }
        debug!(cid = self.shared.cid, error = ?e, "protocol error");
        self.shared.close_for(reason);
    }

    fn ok(&self) {
        if self.opts.verbose {
            self.shared.send_raw(jetmirror_protocol::OK);
        }
    }

    fn process(&mut self, op: ClientOp) -> Flow {
        trace!(cid = self.shared.cid, ?op, "op");
        if !self.authenticated && !matches!(op, ClientOp::Connect(_)) {
            self.shared.send_err("Authorization Violation");
            self.shared.close_for(ClosedReason::AuthenticationViolation);
            return Flow::Close;
        }
        match op {
            ClientOp::Connect(json) => self.connect(&json),
            ClientOp::Pub {
                subject,
                reply,
                payload,
            } => self.publish(subject, reply, None, payload),
            ClientOp::HPub {
                subject,
                reply,
                headers,
                payload,
            } => {
                if !self.opts.headers {
                    self.shared.close_for(ClosedReason::ProtocolViolation);
                    return Flow::Close;
                }
                self.publish(subject, reply, Some(headers), payload)
            }
            ClientOp::Sub {
                subject,
                queue,
                sid,
            } => self.subscribe(subject, queue, sid),
            ClientOp::Unsub { sid, max } => self.unsubscribe(sid, max),
            ClientOp::Ping => {
                self.shared.send_raw(jetmirror_protocol::PONG);
                if !self.first_pong_sent {
                    self.first_pong_sent = true;
                    if self.connected && self.opts.protocol >= 1 {
                        self.shared.async_info.store(true, Ordering::Relaxed);
                        let addr = self.shared.meta.lock().addr;
                        let info = self.state.client_info_for(
                            self.shared.cid,
                            &addr,
                            true,
                            &self.account.name,
                            "",
                        );
                        self.shared.out.push(|b| encode_info(b, &info));
                    }
                }
                Flow::Continue
            }
            ClientOp::Pong => {
                self.pings_out = 0;
                if let Some(sent) = self.ping_sent_at.take() {
                    self.shared.meta.lock().rtt = Some(sent.elapsed());
                    self.rtt_measured_at = Some(Instant::now());
                }
                Flow::Continue
            }
            ClientOp::Ok | ClientOp::Info(_) => Flow::Continue,
            ClientOp::Err(_) => {
                self.shared.close_for(ClosedReason::ClientClosed);
                Flow::Close
            }
        }
    }

    fn connect(&mut self, json: &[u8]) -> Flow {
        let parsed: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(json)
        {
            Ok(v) => v,
            Err(_) => {
                self.shared.close_for(ClosedReason::ParseError);
                return Flow::Close;
            }
        };
        let mut merged = self.connect_json.clone();
        for (k, v) in parsed {
            if !v.is_null() {
                merged.insert(k, v);
            }
        }
        let opts: ConnectOptions =
            match serde_json::from_value(serde_json::Value::Object(merged.clone())) {
                Ok(o) => o,
                Err(_) => {
                    self.shared.close_for(ClosedReason::ParseError);
                    return Flow::Close;
                }
            };
        if opts.protocol < 0 || opts.protocol > 1 {
            self.shared.send_err("invalid client protocol");
            self.shared
                .close_for(ClosedReason::BadClientProtocolVersion);
            return Flow::Close;
        }
        if opts.no_responders && !opts.headers {
            self.shared
                .send_err("no responders requires headers support");
            self.shared
                .close_for(ClosedReason::NoRespondersRequiresHeaders);
            return Flow::Close;
        }
        let legacy_account = opts.account.as_deref().is_some_and(|a| !a.is_empty())
            || opts.new_account == Some(true);
        let creds = Credentials {
            user: opts.user.clone(),
            pass: opts.pass.clone(),
            auth_token: opts.auth_token.clone(),
            nkey: opts.nkey.clone(),
            sig: opts.sig.clone(),
            nonce: self.nonce.clone(),
        };
        let identity: Option<Identity> = if legacy_account {
            None
        } else {
            self.state.authenticator().authenticate(&creds)
        };
        // A user bound to an account the node does not have is refused, never left in `$G`.
        let identity = identity.filter(|i| self.state.accounts.get(&i.account).is_some());
        let Some(identity) = identity else {
            self.shared.send_err("Authorization Violation");
            self.shared.close_for(ClosedReason::AuthenticationViolation);
            return Flow::Close;
        };
        self.bind_account(&identity.account);
        self.authenticated = true;
        self.connected = true;
        self.shared.headers.store(opts.headers, Ordering::Relaxed);
        {
            let mut meta = self.shared.meta.lock();
            meta.name = opts.name.clone();
            meta.lang = opts.lang.clone();
            meta.version = opts.version.clone();
            meta.user = identity.user;
            meta.account = self.account.name.clone();
        }
        *self.shared.permissions.write() = identity.permissions;
        *self.shared.credentials.lock() = Some(creds);
        self.opts = opts;
        self.connect_json = merged;
        self.ok();
        Flow::Continue
    }

    /// Binds the connection to the account `name` (moving any subscriptions made before
    /// a later CONNECT).
    fn bind_account(&mut self, name: &str) {
        if self.account.name == name {
            return;
        }
        let Some(account) = self.state.accounts.get(name) else {
            return;
        };
        let subs: Vec<Sub> = self.shared.subs.lock().values().cloned().collect();
        for sub in &subs {
            self.account.router.remove(sub);
            sub.0.closed.store(false, Ordering::Relaxed);
            if account.router.insert(sub).is_err() {
                self.shared.forget_sub(&sub.0.sid);
            }
        }
        self.account.clients.fetch_sub(1, Ordering::Relaxed);
        account.clients.fetch_add(1, Ordering::Relaxed);
        self.account = account;
    }

    fn publish(
        &mut self,
        subject: Bytes,
        reply: Option<Bytes>,
        headers: Option<Bytes>,
        payload: Bytes,
    ) -> Flow {
        let Ok(subject_str) = std::str::from_utf8(&subject) else {
            self.ok();
            return Flow::Continue;
        };
        if self.opts.pedantic && !jetmirror_subject::is_valid_publish_subject(subject_str) {
            self.shared.send_err("Invalid Publish Subject");
        }
        let denied = self
            .shared
            .permissions
            .read()
            .as_ref()
            .is_some_and(|p| !p.can_publish(subject_str));
        if denied {
            self.shared.send_err(&format!(
                "Permissions Violation for Publish to \"{subject_str}\""
            ));
            return Flow::Continue;
        }
        self.ok();
        let headers = headers.filter(|h| !h.is_empty());
        let msg = RoutedMsg {
            subject: subject_str,
            wire_subject: None,
            reply: reply.as_deref(),
            headers: headers.as_ref(),
            payload: &payload,
            sender_cid: self.shared.cid,
            sender_echo: self.opts.echo,
            sender_no_responders: self.opts.no_responders,
        };
        let size = msg.size();
        self.shared.counters.add_in(size);
        self.state.counters.msgs.add_in(size);
        if !jetmirror_subject::is_valid_subject(subject_str) {
            return Flow::Continue;
        }
        let delivered = self.account.router.publish(&msg);
        if delivered == 0 && self.opts.no_responders {
            if let Some(reply) = reply.as_deref() {
                self.no_responders(subject_str, reply);
            }
        }
        Flow::Continue
    }

    /// Tells the publisher nobody received its request: a 503 status message on its own
    /// plain subscription that matches the reply subject.
    fn no_responders(&self, subject: &str, reply: &[u8]) {
        let Ok(reply_str) = std::str::from_utf8(reply) else {
            return;
        };
        let matches = self.account.router.matches(reply_str);
        let own = matches.plain.iter().find(|s| match &s.0.target {
            SubTarget::Client(c) => c.cid == self.shared.cid,
            SubTarget::Internal(_) => false,
        });
        if let Some(sub) = own {
            let mut hdr = BytesMut::with_capacity(32 + subject.len());
            hdr.extend_from_slice(b"NATS/1.0 503\r\nNats-Subject: ");
            hdr.extend_from_slice(subject.as_bytes());
            hdr.extend_from_slice(b"\r\n\r\n");
            let hdr = hdr.freeze();
            let sid = sub.0.sid.clone();
            self.shared.out.push(|b| {
                encode_hmsg(b, reply, &sid, None, &hdr, &[]);
            });
        }
    }

    fn subscribe(&mut self, subject: Bytes, queue: Option<Bytes>, sid: Bytes) -> Flow {
        let subject = String::from_utf8_lossy(&subject).into_owned();
        let queue = queue.map(|q| String::from_utf8_lossy(&q).into_owned());
        if !jetmirror_subject::is_valid_subject(&subject)
            || queue
                .as_deref()
                .is_some_and(|q| !jetmirror_subject::is_valid_queue_name(q))
        {
            self.shared.send_err("Invalid Subject");
            return Flow::Continue;
        }
        let denied = self
            .shared
            .permissions
            .read()
            .as_ref()
            .is_some_and(|p| !p.can_subscribe(&subject, queue.as_deref()));
        if denied {
            let text = match &queue {
                Some(q) => format!(
                    "Permissions Violation for Subscription to \"{subject}\" using queue \"{q}\""
                ),
                None => format!("Permissions Violation for Subscription to \"{subject}\""),
            };
            self.shared.send_err(&text);
            return Flow::Continue;
        }
        if self.shared.subs.lock().contains_key(&sid) {
            self.ok();
            return Flow::Continue;
        }
        let max_subs = self.state.max_subscriptions();
        if max_subs > 0 && self.shared.num_subs() >= max_subs {
            self.shared.send_err("maximum subscriptions exceeded");
            return Flow::Continue;
        }
        let sub = Sub::new(
            SubTarget::Client(self.shared.clone()),
            sid.clone(),
            subject,
            queue,
        );
        if self.account.router.insert(&sub).is_err() {
            self.shared.send_err("Invalid Subject");
            return Flow::Continue;
        }
        self.shared.subs.lock().insert(sid, sub);
        self.ok();
        Flow::Continue
    }

    fn unsubscribe(&mut self, sid: Bytes, max: Option<u64>) -> Flow {
        let sub = self.shared.subs.lock().get(&sid).cloned();
        if let Some(sub) = sub {
            let delivered = sub.0.delivered.load(Ordering::Relaxed);
            match max {
                Some(max) if max > delivered => {
                    sub.0.max.store(max, Ordering::Relaxed);
                }
                _ => {
                    self.shared.subs.lock().remove(&sid);
                    self.account.router.remove(&sub);
                }
            }
        }
        self.ok();
        Flow::Continue
    }
}

/// The first keep-alive PING goes out after `min(ping_interval, 2s)` plus up to 20 % jitter
/// (nats-server's `firstClientPingInterval`).
fn first_ping_delay(interval: Duration) -> Duration {
    use rand::Rng;
    let base = interval.min(Duration::from_secs(2));
    let jitter = rand::rng().random_range(0.0..0.2);
    base + base.mul_f64(jitter)
}
