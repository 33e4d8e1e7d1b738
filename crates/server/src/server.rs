//! The node: shared server state (options, identity, subscriptions, connections, counters),
//! the client listener and accept loop, and the monitoring listener.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use jetmirror_config::{HandshakeFirst, Options};
use parking_lot::{Mutex, RwLock};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::accounts::Accounts;
use crate::auth::Authenticator;
use crate::client::{self, ClientShared, ClosedReason};
use crate::info::{random_public_key, Info, API_LEVEL, COMPAT_VERSION, GIT_COMMIT, RUNTIME};
use crate::stats::{CounterSnapshot, ServerCounters};
use crate::tls::ServerTls;

/// A connection that has closed, kept for `/connz?state=closed`.
#[derive(Debug, Clone)]
pub struct ClosedConn {
    pub cid: u64,
    pub addr: SocketAddr,
    pub start: SystemTime,
    pub stop: SystemTime,
    pub last_activity: SystemTime,
    pub reason: &'static str,
    pub name: String,
    pub lang: String,
    pub version: String,
    pub user: Option<String>,
    pub account: String,
    pub rtt: Option<Duration>,
    pub counters: CounterSnapshot,
    pub subscriptions: Vec<crate::client::SubDetail>,
}

/// State shared by every task of the node.
pub struct ServerState {
    /// Replaced on a configuration reload; read it with [`ServerState::opts`].
    opts: RwLock<Arc<Options>>,
    pub server_id: String,
    pub server_name: String,
    pub xkey: String,
    /// Replaced on a configuration reload.
    pub auth: RwLock<Arc<Authenticator>>,
    /// Every account and its subject space; a connection binds to one at CONNECT.
    pub accounts: Accounts,
    pub counters: ServerCounters,
    pub start_time: SystemTime,
    pub started: Instant,
    pub config_load_time: SystemTime,
    pub http_req_stats: Mutex<std::collections::BTreeMap<String, u64>>,
    /// The JetStream services' `/jsz` query channels while they run, by account.
    pub jsz_queries: Mutex<
        std::collections::BTreeMap<
            String,
            tokio::sync::mpsc::Sender<crate::jetstream::jsz::JszQuery>,
        >,
    >,
    /// Set once the JetStream service serves the API.
    pub jetstream_enabled: std::sync::atomic::AtomicBool,
    clients: RwLock<HashMap<u64, Arc<ClientShared>>>,
    closed: Mutex<VecDeque<ClosedConn>>,
    next_cid: AtomicU64,
    shutdown: CancellationToken,
    /// Cancelled when the client listener must stop accepting (lame duck mode).
    accept_stop: CancellationToken,
    lame_duck: std::sync::atomic::AtomicBool,
    client_addr: Mutex<Option<SocketAddr>>,
    http_addr: Mutex<Option<SocketAddr>>,
    https_addr: Mutex<Option<SocketAddr>>,
    /// The client port's TLS; replaced on a configuration reload.
    tls: RwLock<Option<Arc<ServerTls>>>,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState")
            .field("server_id", &self.server_id)
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl ServerState {
    fn new(opts: Options) -> Self {
        let server_id = random_public_key('N');
        let server_name = opts
            .server_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| server_id.clone());
        let now = SystemTime::now();
        let accounts = Accounts::from_options(&opts);
        ServerState {
            auth: RwLock::new(Arc::new(Authenticator::from_options(&opts))),
            opts: RwLock::new(Arc::new(opts)),
            server_id,
            server_name,
            xkey: random_public_key('X'),
            accounts,
            counters: ServerCounters::default(),
            start_time: now,
            started: Instant::now(),
            config_load_time: now,
            http_req_stats: Mutex::new(Default::default()),
            jetstream_enabled: std::sync::atomic::AtomicBool::new(false),
            jsz_queries: Mutex::new(Default::default()),
            clients: RwLock::new(HashMap::new()),
            closed: Mutex::new(VecDeque::new()),
            // nats-server's internal clients take the first ids; real clients start at 5 there.
            next_cid: AtomicU64::new(5),
            shutdown: CancellationToken::new(),
            accept_stop: CancellationToken::new(),
            lame_duck: std::sync::atomic::AtomicBool::new(false),
            client_addr: Mutex::new(None),
            http_addr: Mutex::new(None),
            https_addr: Mutex::new(None),
            tls: RwLock::new(None),
        }
    }

    /// The options in force now.
    pub fn opts(&self) -> Arc<Options> {
        self.opts.read().clone()
    }

    /// The authorization in force now.
    pub fn authenticator(&self) -> Arc<Authenticator> {
        self.auth.read().clone()
    }

    pub fn next_cid(&self) -> u64 {
        self.next_cid.fetch_add(1, Ordering::Relaxed)
    }

    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.shutdown
    }

    pub fn max_pending(&self) -> usize {
        usize::try_from(self.opts().max_pending)
            .unwrap_or(64 << 20)
            .max(1)
    }
    pub fn max_payload(&self) -> usize {
        usize::try_from(self.opts().max_payload).unwrap_or(1 << 20)
    }
    pub fn max_control_line(&self) -> usize {
        usize::try_from(self.opts().max_control_line)
            .ok()
            .filter(|v| *v > 0)
            .unwrap_or(4096)
    }
    pub fn max_subscriptions(&self) -> usize {
        usize::try_from(self.opts().max_subscriptions).unwrap_or(0)
    }
    pub fn ping_interval(&self) -> Duration {
        if self.opts().ping_interval.is_zero() {
            Duration::from_secs(120)
        } else {
            self.opts().ping_interval
        }
    }
    pub fn ping_max(&self) -> u32 {
        u32::try_from(self.opts().ping_max).unwrap_or(2)
    }
    pub fn write_deadline(&self) -> Duration {
        if self.opts().write_deadline.is_zero() {
            Duration::from_secs(10)
        } else {
            self.opts().write_deadline
        }
    }
    pub fn auth_timeout(&self) -> Duration {
        self.opts()
            .auth
            .timeout
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(2))
    }
    pub fn jetstream_enabled(&self) -> bool {
        self.jetstream_enabled.load(Ordering::Relaxed)
    }

    pub fn client_addr(&self) -> Option<SocketAddr> {
        *self.client_addr.lock()
    }
    pub fn http_addr(&self) -> Option<SocketAddr> {
        *self.http_addr.lock()
    }
    pub fn https_addr(&self) -> Option<SocketAddr> {
        *self.https_addr.lock()
    }

    /// The cluster name: the configured one; or, with an upstream and no cluster, the
    /// server name (nats-server does the same for a leaf node without a cluster, and the
    /// upstream connection is jetmirror's counterpart of a solicited leaf connection).
    pub fn cluster_name(&self) -> String {
        let opts = self.opts();
        match (&opts.cluster, &opts.upstream) {
            (Some(c), _) if c.name.as_deref().is_some_and(|n| !n.is_empty()) => {
                c.name.clone().unwrap_or_default()
            }
            (_, Some(_)) => self.server_name.clone(),
            _ => String::new(),
        }
    }

    /// Whether the node is in lame duck mode.
    pub fn in_lame_duck(&self) -> bool {
        self.lame_duck.load(Ordering::Relaxed)
    }

    /// The client port's TLS in force now.
    pub fn tls(&self) -> Option<Arc<ServerTls>> {
        self.tls.read().clone()
    }

    /// The INFO for a connection; `connect_info` is the one sent after the first PONG.
    pub fn client_info(&self, cid: u64, addr: &SocketAddr, connect_info: bool) -> Vec<u8> {
        self.client_info_for(cid, addr, connect_info, crate::accounts::GLOBAL, "")
    }

    /// The INFO for a connection bound to `account`, with the nkey challenge `nonce` (empty
    /// when no nkey users exist).
    pub fn client_info_for(
        &self,
        cid: u64,
        addr: &SocketAddr,
        connect_info: bool,
        account: &str,
        nonce: &str,
    ) -> Vec<u8> {
        self.client_info_doc(cid, addr, connect_info, account, nonce)
            .to_json()
    }

    /// The INFO document for a connection (see [`ServerState::client_info_for`]).
    pub fn client_info_doc(
        &self,
        cid: u64,
        addr: &SocketAddr,
        connect_info: bool,
        account: &str,
        nonce: &str,
    ) -> Info {
        let port = self.client_addr().map_or(0, |a| a.port());
        let jetstream = self.jetstream_enabled();
        let tls = self.tls();
        let allow_non_tls = self.opts().allow_non_tls;
        Info {
            server_id: self.server_id.clone(),
            server_name: self.server_name.clone(),
            version: COMPAT_VERSION.to_string(),
            proto: 1,
            git_commit: GIT_COMMIT.to_string(),
            go: RUNTIME.to_string(),
            host: self.opts().host.clone(),
            port,
            headers: !self.opts().no_header_support,
            auth_required: self.authenticator().required(),
            tls_required: tls.is_some() && !allow_non_tls,
            tls_verify: tls.as_ref().is_some_and(|t| t.verify),
            tls_available: tls.is_some() && allow_non_tls,
            max_payload: self.opts().max_payload,
            jetstream,
            client_id: cid,
            client_ip: addr.ip().to_string(),
            nonce: nonce.to_string(),
            cluster: String::new(),
            domain: self
                .opts()
                .jetstream
                .as_ref()
                .and_then(|j| j.domain.clone())
                .filter(|_| jetstream)
                .unwrap_or_default(),
            connect_urls: Vec::new(),
            ldm: self.in_lame_duck(),
            connect_info,
            remote_account: if connect_info {
                account.to_string()
            } else {
                String::new()
            },
            acc_is_sys: connect_info && self.accounts.system_account() == Some(account),
            api_lvl: API_LEVEL,
            xkey: self.xkey.clone(),
        }
    }

    /// Records a connection that ended in its TLS handshake (or before it): counted in
    /// `total_connections` and kept for `/connz?state=closed` as nats-server does.
    pub fn record_handshake_failure(&self, cid: u64, addr: SocketAddr, start: SystemTime) {
        self.counters
            .total_connections
            .fetch_add(1, Ordering::Relaxed);
        let limit = usize::try_from(self.opts().max_closed_clients).unwrap_or(10_000);
        if limit == 0 {
            return;
        }
        let conn = ClosedConn {
            cid,
            addr,
            start,
            stop: SystemTime::now(),
            last_activity: start,
            reason: "TLS Handshake Failure",
            name: String::new(),
            lang: String::new(),
            version: String::new(),
            user: None,
            account: String::new(),
            rtt: None,
            counters: CounterSnapshot::default(),
            subscriptions: Vec::new(),
        };
        let mut closed = self.closed.lock();
        closed.push_back(conn);
        while closed.len() > limit {
            closed.pop_front();
        }
    }

    /// Adds a connection; `false` when `max_connections` is reached.
    pub fn register_client(&self, client: &Arc<ClientShared>) -> bool {
        let mut clients = self.clients.write();
        let max = usize::try_from(self.opts().max_connections).unwrap_or(usize::MAX);
        if self.opts().max_connections > 0 && clients.len() >= max {
            return false;
        }
        clients.insert(client.cid, client.clone());
        self.counters
            .total_connections
            .fetch_add(1, Ordering::Relaxed);
        true
    }

    pub fn unregister_client(&self, client: &Arc<ClientShared>) {
        self.clients.write().remove(&client.cid);
        self.record_closed(client);
    }

    /// Keeps a closed connection for `/connz?state=closed` (up to `max_closed_clients`).
    pub fn record_closed(&self, client: &ClientShared) {
        let limit = usize::try_from(self.opts().max_closed_clients).unwrap_or(10_000);
        if limit == 0 {
            return;
        }
        let meta = client.meta.lock().clone();
        let conn = ClosedConn {
            cid: client.cid,
            addr: meta.addr,
            start: meta.start,
            stop: SystemTime::now(),
            last_activity: meta.last_activity,
            reason: client
                .reason()
                .unwrap_or(ClosedReason::ClientClosed)
                .as_str(),
            name: meta.name,
            lang: meta.lang,
            version: meta.version,
            user: meta.user,
            account: meta.account,
            rtt: meta.rtt,
            counters: client.counters.snapshot(),
            subscriptions: client.sub_details(),
        };
        let mut closed = self.closed.lock();
        closed.push_back(conn);
        while closed.len() > limit {
            closed.pop_front();
        }
    }

    pub fn clients(&self) -> Vec<Arc<ClientShared>> {
        let mut v: Vec<_> = self.clients.read().values().cloned().collect();
        v.sort_by_key(|c| c.cid);
        v
    }

    pub fn num_clients(&self) -> usize {
        self.clients.read().len()
    }

    pub fn closed_clients(&self) -> Vec<ClosedConn> {
        self.closed.lock().iter().cloned().collect()
    }
}

/// A running node.
pub struct Server;

/// Control of a running node: its addresses, shutdown, and completion.
pub struct ServerHandle {
    pub state: Arc<ServerState>,
    tasks: Vec<JoinHandle<()>>,
}

impl ServerHandle {
    pub fn client_addr(&self) -> SocketAddr {
        self.state
            .client_addr()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.state.http_addr()
    }

    /// Stops accepting, closes every connection, and waits for the tasks to end.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        for c in self.state.clients() {
            c.close_for(ClosedReason::ServerShutdown);
        }
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }

    /// Lame duck mode (SIGUSR2), as nats-server: stop accepting, tell clients with an INFO
    /// carrying `ldm: true`, wait the grace period, then close the clients one by one spread
    /// over the rest of `lame_duck_duration`, and shut down.
    pub async fn lame_duck(self) {
        let state = self.state.clone();
        if state.lame_duck.swap(true, Ordering::Relaxed) {
            return;
        }
        info!("Entering lame duck mode, stop accepting new clients");
        state.accept_stop.cancel();
        let opts = state.opts();
        let grace = opts.lame_duck_grace_period;
        let clients = state.clients();
        if clients.is_empty() {
            self.shutdown().await;
            return;
        }
        for c in &clients {
            if c.async_info.load(Ordering::Relaxed) {
                let addr = c.meta.lock().addr;
                let info = state.client_info(c.cid, &addr, false);
                c.out.push(|b| jetmirror_protocol::encode_info(b, &info));
            }
        }
        let shutdown = state.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(grace) => info!("Closing existing clients"),
            _ = shutdown.cancelled() => return,
        }
        let spread = opts
            .lame_duck_duration
            .checked_sub(grace)
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(1));
        let step =
            (spread / u32::try_from(clients.len()).unwrap_or(u32::MAX)).min(Duration::from_secs(1));
        let last = clients.len() - 1;
        for (i, c) in clients.iter().enumerate() {
            c.close_for(ClosedReason::ServerShutdown);
            if i < last && step >= Duration::from_millis(1) {
                // A random pause between half the step and the step, as nats-server.
                let pause = step.mul_f64(rand::random_range(0.5..1.0));
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.cancelled() => return,
                }
            }
        }
        self.shutdown().await;
    }

    /// Applies a reloaded configuration (SIGHUP): authorization and per-connection limits
    /// take effect at once (new connections get the new limits); connected clients whose
    /// credentials no longer pass are closed with `Authorization Violation`, the others get
    /// their new permissions, and those whose user now belongs to another account are closed
    /// too. Listener addresses, accounts' imports and exports, and JetStream settings need a
    /// restart.
    pub fn reload(&self, opts: Options) {
        let state = &self.state;
        let old = state.opts();
        if old.host != opts.host || old.port != opts.port || old.http_port != opts.http_port {
            warn!("config reload: listener addresses cannot change without a restart; keeping the old ones");
        }
        state.accounts.add_new(&opts);
        // New certificates (or TLS settings) apply to connections accepted from now on.
        match opts.tls.as_ref().map(crate::tls::server_tls).transpose() {
            Ok(tls) => {
                if tls.is_some() != state.tls().is_some() {
                    warn!("config reload: TLS turned on or off for the client port");
                }
                *state.tls.write() = tls.map(Arc::new);
            }
            Err(e) => {
                warn!("config reload: {e}; keeping the previous TLS configuration");
            }
        }
        let auth = Arc::new(Authenticator::from_options(&opts));
        *state.auth.write() = auth.clone();
        *state.opts.write() = Arc::new(opts);
        for c in state.clients() {
            let creds = c.credentials.lock().clone();
            let Some(creds) = creds else { continue };
            let bound = c.meta.lock().account.clone();
            match auth.authenticate(&creds) {
                // Accounts are set up at start; a user moved to another account must
                // reconnect.
                Some(identity) if identity.account == bound => {
                    *c.permissions.write() = identity.permissions
                }
                _ => {
                    c.send_err("Authorization Violation");
                    c.close_for(ClosedReason::AuthenticationViolation);
                }
            }
        }
        info!("Reloaded server configuration");
    }

    /// Waits until the node stops by itself (it does not, short of a shutdown).
    pub async fn wait(&mut self) {
        for t in self.tasks.iter_mut() {
            let _ = t.await;
        }
    }
}

fn bind_port(port: i32, default: u16) -> u16 {
    match port {
        -1 => 0,
        p if p <= 0 => default,
        p => u16::try_from(p).unwrap_or(default),
    }
}

impl Server {
    /// Binds the listeners and starts serving. Returns once the node accepts connections.
    pub async fn start(opts: Options) -> anyhow::Result<ServerHandle> {
        let tls = opts
            .tls
            .as_ref()
            .map(crate::tls::server_tls)
            .transpose()?
            .map(Arc::new);
        let state = Arc::new(ServerState::new(opts));
        *state.tls.write() = tls;
        let host = if state.opts().host.is_empty() {
            "0.0.0.0".to_string()
        } else {
            state.opts().host.clone()
        };
        let port = bind_port(state.opts().port, 4222);
        let listener = TcpListener::bind((host.as_str(), port))
            .await
            .with_context(|| format!("binding the client listener on {host}:{port}"))?;
        let addr = listener.local_addr()?;
        *state.client_addr.lock() = Some(addr);

        let mut tasks = Vec::new();
        if let Some(http_port) = state.opts().http_port {
            let http_host = if state.opts().http_host.is_empty() {
                host.clone()
            } else {
                state.opts().http_host.clone()
            };
            let http_port = bind_port(http_port, 8222);
            let http = TcpListener::bind((http_host.as_str(), http_port))
                .await
                .with_context(|| {
                    format!("binding the monitoring listener on {http_host}:{http_port}")
                })?;
            let http_addr = http.local_addr()?;
            *state.http_addr.lock() = Some(http_addr);
            info!("Starting http monitor on {http_host}:{}", http_addr.port());
            tasks.push(tokio::spawn(crate::monitor::serve(state.clone(), http)));
        }

        if let Some(https_port) = state.opts().https_port {
            let http_host = if state.opts().http_host.is_empty() {
                host.clone()
            } else {
                state.opts().http_host.clone()
            };
            if let Some(http_port) = state.opts().http_port {
                anyhow::bail!(
                    "can't specify both HTTP ({http_port}) and HTTPs ({https_port}) ports"
                );
            }
            let Some(tls) = state.tls() else {
                anyhow::bail!("TLS cert and key required for HTTPS");
            };
            let port = bind_port(https_port, 8222);
            let https = TcpListener::bind((http_host.as_str(), port))
                .await
                .with_context(|| {
                    format!("binding the https monitoring listener on {http_host}:{port}")
                })?;
            let https_addr = https.local_addr()?;
            *state.https_addr.lock() = Some(https_addr);
            info!(
                "Starting https monitor on {http_host}:{}",
                https_addr.port()
            );
            tasks.push(tokio::spawn(crate::monitor::serve_https(
                state.clone(),
                https,
                tls,
            )));
        }

        tasks.extend(crate::jetstream::start(state.clone())?);
        info!(
            "Listening for client connections on {}:{}",
            host,
            addr.port()
        );
        if let Some(tls) = state.tls() {
            let first_only = matches!(tls.handshake_first, HandshakeFirst::On);
            if state.opts().allow_non_tls && !first_only {
                info!("TLS available for client connections");
            } else {
                info!("TLS required for client connections");
            }
            if first_only {
                warn!("Clients that are not using \"TLS Handshake First\" option will fail to connect");
            }
        }
        info!("Server is ready");
        tasks.push(tokio::spawn(accept_loop(state.clone(), listener)));
        Ok(ServerHandle { state, tasks })
    }
}

async fn accept_loop(state: Arc<ServerState>, listener: TcpListener) {
    let shutdown = state.shutdown.clone();
    let stop = state.accept_stop.clone();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    match state.tls() {
                        Some(tls) => {
                            tokio::spawn(crate::tls::accept(state.clone(), tls, stream, addr));
                        }
                        None => {
                            tokio::spawn(client::serve(state.clone(), stream, addr));
                        }
                    }
                }
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}
