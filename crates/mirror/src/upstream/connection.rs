//! The connection task behind [`super::UpstreamClient`]: picks a server, does the
//! INFO/CONNECT/PING/PONG handshake (with the TLS upgrade after INFO, or before it with
//! `handshake_first`, and the nonce signed for nkey/JWT auth), replays subscriptions,
//! then multiplexes socket
//! reads, socket writes, commands and the ping ticker until the connection dies, and
//! starts over with the next server.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use jetmirror_protocol::{
    encode_connect, encode_sub, encode_unsub, Limits, ServerOp, ServerOpDecoder, PING, PONG,
};
use rand::Rng;
use rustls::ClientConfig;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tracing::{debug, info, trace, warn};

use super::config::{parse_url, ServerAddr, UpstreamConfig};
use super::tls::{self as up_tls, Stream, UpstreamTls};
use super::{Command, ConnectionEvent, Message, Shared, Status, INBOX_SID};

/// Longest control line accepted from the server (INFO with many connect_urls).
const MAX_CONTROL_LINE: usize = 256 * 1024;
/// Largest payload accepted from the server: nats-server's own ceiling for
/// `max_payload` (64 MiB).
const MAX_PAYLOAD: usize = 64 * 1024 * 1024;
const READ_CHUNK: usize = 64 * 1024;

/// The INFO fields a client needs.
#[derive(Debug, Default, Deserialize)]
struct ServerInfo {
    #[serde(default)]
    server_id: String,
    #[serde(default)]
    max_payload: usize,
    #[serde(default)]
    headers: bool,
    #[serde(default)]
    auth_required: bool,
    #[serde(default)]
    tls_required: bool,
    #[serde(default)]
    tls_available: bool,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    connect_urls: Vec<String>,
}

/// Why a connection attempt or a connection ended.
#[derive(Debug, thiserror::Error)]
enum ConnError {
    #[error("connect/handshake timed out")]
    Timeout,
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("protocol: {0}")]
    Protocol(#[from] jetmirror_protocol::ProtocolError),
    #[error("server closed the connection")]
    Eof,
    #[error("server error: {0}")]
    Server(String),
    #[error("bad INFO: {0}")]
    Info(String),
    #[error("tls: {0}")]
    Tls(String),
    #[error("secure connection not available: the server offers no TLS")]
    SecureNotAvailable,
    #[error("{0}")]
    Setup(#[from] up_tls::SetupError),
    #[error("server does not support headers")]
    NoHeaders,
    #[error("stale connection: {0} pings unanswered")]
    Stale(u32),
}

struct Conn {
    stream: Stream,
    rbuf: BytesMut,
    decoder: ServerOpDecoder,
    info: ServerInfo,
}

enum Exit {
    Closed,
    Lost(String),
}

/// Runs `fut` while answering commands the way a disconnected client must: writes
/// are dropped (publishers were refused already; these raced the disconnect),
/// SUB/UNSUB are covered by the replay, `Close` (or all handles gone) ends it.
/// `None` means "close".
async fn while_offline<F: Future>(fut: F, rx: &mut mpsc::Receiver<Command>) -> Option<F::Output> {
    tokio::pin!(fut);
    loop {
        tokio::select! {
            out = &mut fut => return Some(out),
            cmd = rx.recv() => match cmd {
                None | Some(Command::Close) => return None,
                Some(Command::Write(_)) => debug!("write dropped while disconnected"),
                Some(Command::Sub(_)) | Some(Command::Unsub(_)) => {}
            },
        }
    }
}

fn publish_servers(shared: &Shared, servers: &[ServerAddr]) {
    if let Ok(mut s) = shared.servers.lock() {
        *s = servers.iter().map(ServerAddr::authority).collect();
    }
}

/// Adds learned `connect_urls` (and drops learned ones no longer announced).
fn merge_connect_urls(servers: &mut Vec<ServerAddr>, urls: &[String]) {
    let announced: Vec<ServerAddr> = urls
        .iter()
        .filter_map(|u| parse_url(u).ok())
        .map(|mut a| {
            a.learned = true;
            a
        })
        .collect();
    let keys: HashSet<String> = announced.iter().map(ServerAddr::authority).collect();
    servers.retain(|s| !s.learned || keys.contains(&s.authority()));
    for a in announced {
        if !servers.iter().any(|s| s.authority() == a.authority()) {
            servers.push(a);
        }
    }
}

fn fail_requests(shared: &Shared) {
    if let Ok(mut reqs) = shared.requests.lock() {
        // Dropping the senders wakes every waiter with "disconnected".
        reqs.clear();
    }
}

pub(crate) async fn run(
    cfg: UpstreamConfig,
    mut servers: Vec<ServerAddr>,
    tls: Option<Arc<ClientConfig>>,
    shared: Arc<Shared>,
    mut rx: mpsc::Receiver<Command>,
) {
    let mut idx = 0usize;
    let mut failed_in_pass = 0usize;
    let mut passes = 0u32;
    while let Some(addr) = servers.get(idx % servers.len().max(1)).cloned() {
        let attempt = while_offline(handshake(&addr, &cfg, tls.as_ref()), &mut rx).await;
        let Some(result) = attempt else { break };
        match result {
            Ok((conn, server_id)) => {
                failed_in_pass = 0;
                passes = 0;
                merge_connect_urls(&mut servers, &conn.info.connect_urls);
                idx = servers
                    .iter()
                    .position(|s| s.authority() == addr.authority())
                    .unwrap_or(0);
                publish_servers(&shared, &servers);
                let max_payload = if conn.info.max_payload > 0 {
                    conn.info.max_payload
                } else {
                    1024 * 1024
                };
                shared.max_payload.store(max_payload, Ordering::Relaxed);
                let url = addr.url();
                info!(upstream = %url, server_id = %server_id, "upstream connected");
                shared.transition(
                    Status::Connected {
                        url: url.clone(),
                        server_id: server_id.clone(),
                    },
                    ConnectionEvent::Connected {
                        url: url.clone(),
                        server_id,
                    },
                );
                let exit = serve(conn, &cfg, &shared, &mut rx, &mut servers).await;
                fail_requests(&shared);
                match exit {
                    Exit::Closed => break,
                    Exit::Lost(reason) => {
                        warn!(upstream = %url, %reason, "upstream connection lost");
                        shared.transition(
                            Status::Disconnected,
                            ConnectionEvent::Disconnected { url, reason },
                        );
                        publish_servers(&shared, &servers);
                        // The failed server goes to the back of the line.
                        idx = (idx + 1) % servers.len().max(1);
                    }
                }
            }
            Err(err) => {
                debug!(upstream = %addr.url(), error = %err, "upstream connect failed");
                failed_in_pass += 1;
                idx = (idx + 1) % servers.len().max(1);
                if failed_in_pass >= servers.len() {
                    failed_in_pass = 0;
                    let base = cfg.reconnect_backoff_base;
                    let backoff = base
                        .saturating_mul(1u32 << passes.min(16))
                        .min(cfg.reconnect_backoff_cap);
                    let jitter_ns = u64::try_from(cfg.reconnect_jitter.as_nanos()).unwrap_or(0);
                    let jitter = if jitter_ns > 0 {
                        Duration::from_nanos(rand::thread_rng().gen_range(0..jitter_ns))
                    } else {
                        Duration::ZERO
                    };
                    // Warn on the first failed pass and then every ~30 passes, not on
                    // every fast retry.
                    if passes.is_multiple_of(32) {
                        warn!(upstream = %addr.url(), error = %err, retry_in = ?(backoff + jitter), "no upstream server reachable");
                    } else {
                        debug!(upstream = %addr.url(), error = %err, retry_in = ?(backoff + jitter), "no upstream server reachable");
                    }
                    passes = passes.saturating_add(1);
                    if while_offline(tokio::time::sleep(backoff + jitter), &mut rx)
                        .await
                        .is_none()
                    {
                        break;
                    }
                }
            }
        }
    }
    fail_requests(&shared);
    shared.transition(Status::Closed, ConnectionEvent::Closed);
    info!("upstream client closed");
}

async fn read_op(conn: &mut Conn) -> Result<ServerOp, ConnError> {
    loop {
        if let Some(op) = conn.decoder.decode(&mut conn.rbuf)? {
            return Ok(op);
        }
        conn.rbuf.reserve(READ_CHUNK);
        if conn.stream.read_buf(&mut conn.rbuf).await? == 0 {
            return Err(ConnError::Eof);
        }
    }
}

fn connect_json(
    addr: &ServerAddr,
    cfg: &UpstreamConfig,
    info: &ServerInfo,
    secure: bool,
) -> Result<String, ConnError> {
    let mut m = serde_json::Map::new();
    m.insert("verbose".into(), false.into());
    m.insert("pedantic".into(), false.into());
    m.insert("tls_required".into(), secure.into());
    if let Some(name) = &cfg.name {
        m.insert("name".into(), name.clone().into());
    }
    m.insert("lang".into(), "rust".into());
    m.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    m.insert("protocol".into(), 1.into());
    m.insert("echo".into(), true.into());
    m.insert("headers".into(), true.into());
    m.insert("no_responders".into(), true.into());
    // Credentials in the URL win over the config (like the Go client).
    match (&addr.user, &addr.password) {
        (Some(u), Some(p)) => {
            m.insert("user".into(), u.clone().into());
            m.insert("pass".into(), p.clone().into());
        }
        (Some(token), None) => {
            m.insert("auth_token".into(), token.clone().into());
        }
        _ => {
            if let Some(u) = &cfg.user {
                m.insert("user".into(), u.clone().into());
            }
            if let Some(p) = &cfg.password {
                m.insert("pass".into(), p.clone().into());
            }
            if let Some(t) = &cfg.token {
                m.insert("auth_token".into(), t.clone().into());
            }
        }
    }
    match info.nonce.as_deref() {
        Some(nonce) => {
            let signed = up_tls::signed_auth(
                cfg.credentials.as_deref(),
                cfg.nkey.as_deref(),
                nonce.as_bytes(),
            )?;
            if let Some(a) = signed {
                if let Some(jwt) = a.jwt {
                    m.insert("jwt".into(), jwt.into());
                }
                if let Some(nkey) = a.nkey {
                    m.insert("nkey".into(), nkey.into());
                }
                m.insert("sig".into(), a.sig.into());
            }
        }
        None if cfg.credentials.is_some() || cfg.nkey.is_some() => {
            trace!("nkey or credentials configured but the server sent no nonce");
        }
        None => {}
    }
    Ok(serde_json::Value::Object(m).to_string())
}

/// Runs the client side of the TLS handshake on a plain socket.
async fn upgrade(
    stream: Stream,
    addr: &ServerAddr,
    tls: Option<&Arc<ClientConfig>>,
) -> Result<Stream, ConnError> {
    let Stream::Plain(tcp) = stream else {
        return Ok(stream);
    };
    // Without a configured `tls` block (the upstream requires TLS, or the URL says
    // tls://), verify against the system's roots.
    let config = match tls {
        Some(c) => c.clone(),
        None => up_tls::client_config(&UpstreamTls::default())?,
    };
    let name = up_tls::server_name(&addr.host)?;
    let connector = tokio_rustls::TlsConnector::from(config);
    let tls_stream = connector
        .connect(name, tcp)
        .await
        .map_err(|e| ConnError::Tls(e.to_string()))?;
    Ok(Stream::Tls(Box::new(tls_stream)))
}

async fn handshake(
    addr: &ServerAddr,
    cfg: &UpstreamConfig,
    tls: Option<&Arc<ClientConfig>>,
) -> Result<(Conn, String), ConnError> {
    let fut = async {
        let tcp = TcpStream::connect((addr.host.as_str(), addr.port)).await?;
        tcp.set_nodelay(true)?;
        let mut stream = Stream::Plain(tcp);
        let tls_first = cfg.tls.as_ref().is_some_and(|t| t.handshake_first);
        if tls_first {
            stream = upgrade(stream, addr, tls).await?;
        }
        let mut conn = Conn {
            stream,
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            decoder: ServerOpDecoder::new(Limits {
                max_control_line: MAX_CONTROL_LINE,
                max_payload: MAX_PAYLOAD,
            }),
            info: ServerInfo::default(),
        };
        let info = match read_op(&mut conn).await? {
            ServerOp::Info(json) => serde_json::from_slice::<ServerInfo>(&json)
                .map_err(|e| ConnError::Info(e.to_string()))?,
            ServerOp::Err(text) => {
                return Err(ConnError::Server(
                    String::from_utf8_lossy(&text).into_owned(),
                ))
            }
            _ => return Err(ConnError::Info("first op is not INFO".into())),
        };
        let want_tls = cfg.tls.is_some() || addr.tls;
        if !tls_first && (info.tls_required || want_tls) {
            if !info.tls_required && !info.tls_available {
                return Err(ConnError::SecureNotAvailable);
            }
            if !conn.rbuf.is_empty() {
                return Err(ConnError::Tls("plaintext data after INFO".into()));
            }
            conn.stream = upgrade(conn.stream, addr, tls).await?;
        }
        let secure = matches!(conn.stream, Stream::Tls(_));
        if !info.headers {
            return Err(ConnError::NoHeaders);
        }
        if info.auth_required && cfg.user.is_none() && cfg.token.is_none() && addr.user.is_none() {
            debug!(upstream = %addr.url(), "server requires auth but no credentials are configured");
        }
        let mut out = BytesMut::new();
        encode_connect(&mut out, connect_json(addr, cfg, &info, secure)?.as_bytes());
        out.extend_from_slice(PING);
        conn.stream.write_all(&out).await?;
        loop {
            match read_op(&mut conn).await? {
                ServerOp::Pong => break,
                ServerOp::Ping => conn.stream.write_all(PONG).await?,
                ServerOp::Err(text) => {
                    return Err(ConnError::Server(
                        String::from_utf8_lossy(&text).into_owned(),
                    ))
                }
                ServerOp::Info(_) | ServerOp::Ok => {}
                ServerOp::Msg { .. } | ServerOp::HMsg { .. } => {}
            }
        }
        let server_id = info.server_id.clone();
        conn.info = info;
        Ok((conn, server_id))
    };
    match tokio::time::timeout(cfg.connect_timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(ConnError::Timeout),
    }
}

/// Routes one delivered message; returns an UNSUB for an unknown sid.
fn route(shared: &Shared, sid: &[u8], msg: Message) -> Option<u64> {
    let sid: u64 = std::str::from_utf8(sid).ok()?.parse().ok()?;
    if sid == INBOX_SID {
        let token = std::str::from_utf8(&msg.subject)
            .ok()
            .and_then(|s| s.strip_prefix(shared.inbox_prefix.as_str()))
            .and_then(|s| s.strip_prefix('.'))
            .map(str::to_owned)?;
        let waiter = shared.requests.lock().ok()?.remove(&token);
        if let Some(tx) = waiter {
            let _ = tx.send(msg);
        }
        return None;
    }
    let mut subs = shared.subs.lock().ok()?;
    let Some(entry) = subs.get(&sid) else {
        return Some(sid);
    };
    match entry.tx.try_send(msg) {
        Ok(()) => None,
        Err(mpsc::error::TrySendError::Full(_)) => {
            let n = shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                warn!(subject = %entry.subject, dropped = n, "slow subscription, messages dropped");
            }
            None
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {
            subs.remove(&sid);
            Some(sid)
        }
    }
}

async fn serve(
    conn: Conn,
    cfg: &UpstreamConfig,
    shared: &Shared,
    rx: &mut mpsc::Receiver<Command>,
    servers: &mut Vec<ServerAddr>,
) -> Exit {
    let Conn {
        stream,
        mut rbuf,
        mut decoder,
        ..
    } = conn;
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut out = BytesMut::new();
    // Replay: the request inbox first, then every subscription.
    let inbox = format!("{}.*", shared.inbox_prefix);
    encode_sub(
        &mut out,
        inbox.as_bytes(),
        None,
        INBOX_SID.to_string().as_bytes(),
    );
    if let Ok(subs) = shared.subs.lock() {
        for (sid, entry) in subs.iter() {
            encode_sub(
                &mut out,
                entry.subject.as_bytes(),
                None,
                sid.to_string().as_bytes(),
            );
        }
    }
    let ping_interval = cfg.ping_interval.max(Duration::from_millis(10));
    let mut ticker =
        tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pings_out: u32 = 0;
    loop {
        // Ops already buffered (e.g. read during the handshake) first.
        loop {
            let op = match decoder.decode(&mut rbuf) {
                Ok(Some(op)) => op,
                Ok(None) => break,
                Err(e) => return Exit::Lost(ConnError::Protocol(e).to_string()),
            };
            match op {
                ServerOp::Ping => out.extend_from_slice(PONG),
                ServerOp::Pong => pings_out = 0,
                ServerOp::Ok => {}
                ServerOp::Err(text) => {
                    warn!(text = %String::from_utf8_lossy(&text), "upstream -ERR");
                }
                ServerOp::Info(json) => {
                    if let Ok(info) = serde_json::from_slice::<ServerInfo>(&json) {
                        merge_connect_urls(servers, &info.connect_urls);
                        publish_servers(shared, servers);
                        if info.max_payload > 0 {
                            shared
                                .max_payload
                                .store(info.max_payload, Ordering::Relaxed);
                        }
                    }
                }
                ServerOp::Msg {
                    subject,
                    sid,
                    reply,
                    payload,
                } => {
                    let m = Message {
                        subject,
                        reply,
                        headers: None,
                        payload,
                    };
                    if let Some(sid) = route(shared, &sid, m) {
                        encode_unsub(&mut out, sid.to_string().as_bytes(), None);
                    }
                }
                ServerOp::HMsg {
                    subject,
                    sid,
                    reply,
                    headers,
                    payload,
                } => {
                    let m = Message {
                        subject,
                        reply,
                        headers: Some(headers),
                        payload,
                    };
                    if let Some(sid) = route(shared, &sid, m) {
                        encode_unsub(&mut out, sid.to_string().as_bytes(), None);
                    }
                }
            }
        }
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
            rbuf.reserve(READ_CHUNK);
        }
        tokio::select! {
            r = rd.read_buf(&mut rbuf) => match r {
                Ok(0) => return Exit::Lost(ConnError::Eof.to_string()),
                Ok(_) => {}
                Err(e) => return Exit::Lost(ConnError::Io(e).to_string()),
            },
            r = wr.write_buf(&mut out), if !out.is_empty() => {
                if let Err(e) = r {
                    return Exit::Lost(ConnError::Io(e).to_string());
                }
            }
            _ = ticker.tick() => {
                if pings_out >= cfg.max_pings_out.max(1) {
                    return Exit::Lost(ConnError::Stale(pings_out).to_string());
                }
                pings_out += 1;
                out.extend_from_slice(PING);
            }
            cmd = rx.recv(), if out.len() < cfg.max_pending_bytes => match cmd {
                None | Some(Command::Close) => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), wr.write_all(&out)).await;
                    let _ = wr.shutdown().await;
                    return Exit::Closed;
                }
                Some(Command::Write(b)) => out.extend_from_slice(&b),
                Some(Command::Sub(sid)) => {
                    let subject = shared
                        .subs
                        .lock()
                        .ok()
                        .and_then(|s| s.get(&sid).map(|e| e.subject.clone()));
                    if let Some(subject) = subject {
                        encode_sub(&mut out, subject.as_bytes(), None, sid.to_string().as_bytes());
                    }
                }
                Some(Command::Unsub(sid)) => encode_unsub(&mut out, sid.to_string().as_bytes(), None),
            },
        }
    }
}
