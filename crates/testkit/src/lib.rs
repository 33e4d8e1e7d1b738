//! jetmirror-testkit: start nats-server or jetmirror on free loopback ports for tests,
//! the conformance suite and benches.
//!
//! Parts:
//! - [`nats_server_bin`] / [`jetmirror_bin`]: find (or build) the binaries.
//! - [`ServerSpec`] / [`Server`]: one server process in its own temp dir (config file, store
//!   dir, log), on ports picked by [`free_port`]; killed and reaped on drop, so no process is
//!   ever left behind.
//! - [`upstream_pair`]: the mirror topology, a hub nats-server in JetStream domain `hub`
//!   and a side server (a nats-server leaf node, or jetmirror with `upstream`) in domain
//!   `leaf`.
//! - [`nats_cluster`]: an N-node nats-server cluster (routes, JetStream, one domain) on
//!   free ports, returned once its JetStream meta leader is elected.
//! - [`http_get`]: a tiny HTTP/1.0 GET for the monitoring port (no HTTP client dependency).
//! - [`certs`]: test certificates (CA, server, client) generated at test time.
//!
//! Every wait here is bounded: a server that does not come up within [`START_TIMEOUT`] is
//! killed and reported as an error carrying the tail of its log.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

pub mod certs;
pub use certs::{generate_certs, TestCerts};

/// How long [`Server::start`] waits for the client port (and `/varz`) to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long [`Server::stop`] waits after SIGTERM before it sends SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The repository root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest.to_path_buf())
}

/// The reference nats-server: `$NATS_SERVER_BIN`, else `<workspace root>/.venv/bin/nats-server`,
/// else `nats-server` on `PATH`.
///
/// # Panics
/// When none exists, with a message telling to run `scripts/setup-nats-server`.
pub fn nats_server_bin() -> PathBuf {
    try_nats_server_bin().unwrap_or_else(|| {
        panic!(
            "no nats-server binary: set NATS_SERVER_BIN, or run {}/scripts/setup-nats-server \
             (installs nats-server v2.15.1 into .venv)",
            workspace_root().display()
        )
    })
}

/// Like [`nats_server_bin`] but `None` instead of a panic.
pub fn try_nats_server_bin() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("NATS_SERVER_BIN") {
        return Some(PathBuf::from(bin));
    }
    let venv = workspace_root().join(".venv/bin/nats-server");
    if venv.is_file() {
        return Some(venv);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| candidate.is_file())
}

/// The jetmirror binary: `$JETMIRROR_BIN`, else build it once per process with
/// `cargo build -p jetmirror --bin jetmirror` in the profile of the running executable
/// (`target/debug` or `target/release`, found from [`std::env::current_exe`]).
///
/// # Panics
/// When the build fails.
pub fn jetmirror_bin() -> PathBuf {
    match try_jetmirror_bin() {
        Ok(bin) => bin,
        Err(err) => panic!("cannot build jetmirror: {err:#}"),
    }
}

/// Like [`jetmirror_bin`] but returns the build error.
pub fn try_jetmirror_bin() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("JETMIRROR_BIN") {
        return Ok(PathBuf::from(bin));
    }
    static BUILT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_jetmirror().map_err(|err| format!("{err:#}")))
        .clone()
        .map_err(|err| anyhow!(err))
}

/// Finds `target/<profile>` from the current executable (which lives in `target/<profile>`
/// or `target/<profile>/deps`).
fn profile_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("current_exe")?;
    let mut dir = exe.parent().map(Path::to_path_buf);
    while let Some(candidate) = dir {
        if candidate.file_name().is_some_and(|name| name == "deps") {
            dir = candidate.parent().map(Path::to_path_buf);
            continue;
        }
        return Ok(candidate);
    }
    bail!("cannot find the target profile dir of {}", exe.display())
}

fn build_jetmirror() -> Result<PathBuf> {
    let profile_dir = profile_dir()?;
    let profile = profile_dir
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("debug")
        .to_string();
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| anyhow!("profile dir {} has no parent", profile_dir.display()))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    // The test's own package variables would make build scripts that watch them (ring's
    // watches CARGO_MANIFEST_DIR) rebuild on every alternation with a plain build.
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| {
            k.starts_with("CARGO_PKG_")
                || k.starts_with("CARGO_MANIFEST_")
                || k == "CARGO_CRATE_NAME"
                || k == "CARGO_PRIMARY_PACKAGE"
        }) {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(workspace_root())
        .args(["build", "-p", "jetmirror", "--bin", "jetmirror"])
        .arg("--target-dir")
        .arg(target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cmd.arg("--release");
        }
        other => {
            cmd.args(["--profile", other]);
        }
    }
    let status = cmd.status().context("running cargo build -p jetmirror")?;
    if !status.success() {
        bail!("cargo build -p jetmirror failed: {status}");
    }
    let bin = profile_dir.join("jetmirror");
    if !bin.is_file() {
        bail!("cargo build succeeded but {} is missing", bin.display());
    }
    Ok(bin)
}

/// Pids of every server process started by this process and not yet reaped, so that a
/// runner interrupted by a signal (where no destructor runs) can still kill them.
static LIVE_PIDS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn register_pid(pid: u32) {
    if let Ok(mut pids) = LIVE_PIDS.lock() {
        pids.push(pid);
    }
}

fn unregister_pid(pid: u32) {
    if let Ok(mut pids) = LIVE_PIDS.lock() {
        pids.retain(|live| *live != pid);
    }
}

/// SIGKILLs every server this process started that is still running (for a signal handler:
/// on SIGINT/SIGTERM no `Drop` runs). Servers are not reaped here; the process is about to
/// exit.
pub fn kill_all_servers() {
    if let Ok(pids) = LIVE_PIDS.lock() {
        for pid in pids.iter() {
            if let Ok(pid) = libc::pid_t::try_from(*pid) {
                // SAFETY: kill(2) on a child we started and have not reaped (reaping
                // unregisters it first), so the pid cannot have been reused.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
}

/// A free loopback TCP port: bind `127.0.0.1:0`, read the port, drop the listener.
///
/// Another process may grab it before the server binds it; [`Server::start`] retries with
/// fresh ports when a start fails.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr().context("local_addr")?.port())
}

/// Which server binary to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The reference nats-server.
    NatsServer,
    /// Our server.
    Jetmirror,
}

/// What to start.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    pub kind: Kind,
    /// Config file text in nats-server syntax; the kit appends `listen`, `http` and
    /// `jetstream { store_dir }` lines.
    pub config: String,
    /// Enable JetStream with a store dir in the server's temp dir.
    pub jetstream: bool,
    /// JetStream domain written into the kit's `jetstream { }` block (with `jetstream`).
    pub jetstream_domain: Option<String>,
    /// More lines for the kit's `jetstream { }` block (with `jetstream`), e.g. `limits { }`.
    pub jetstream_extra: String,
    /// Enable the HTTP monitoring port.
    pub http: bool,
    /// Extra command-line arguments.
    pub args: Vec<String>,
    /// Binary to run instead of [`nats_server_bin`] / [`jetmirror_bin`].
    pub bin: Option<PathBuf>,
}

impl ServerSpec {
    /// A plain server of `kind`: no JetStream, no HTTP, empty config.
    pub fn new(kind: Kind) -> ServerSpec {
        ServerSpec {
            kind,
            config: String::new(),
            jetstream: false,
            jetstream_domain: None,
            jetstream_extra: String::new(),
            http: false,
            args: Vec::new(),
            bin: None,
        }
    }
}

impl Default for ServerSpec {
    fn default() -> ServerSpec {
        ServerSpec::new(Kind::NatsServer)
    }
}

/// A running server process. Dropping it kills and reaps the process; the temp dir goes
/// with it.
pub struct Server {
    spec: ServerSpec,
    bin: PathBuf,
    child: Option<Child>,
    dir: tempfile::TempDir,
    store_dir: PathBuf,
    port: u16,
    http_port: Option<u16>,
}

impl Server {
    /// Starts a server and waits until its client port accepts connections (and `/varz`
    /// answers when `spec.http`). Retries up to three times with fresh ports.
    pub fn start(spec: ServerSpec) -> Result<Server> {
        let bin = match &spec.bin {
            Some(bin) => bin.clone(),
            None => match spec.kind {
                Kind::NatsServer => try_nats_server_bin().ok_or_else(|| {
                    anyhow!(
                        "no nats-server binary: set NATS_SERVER_BIN or run scripts/setup-nats-server"
                    )
                })?,
                Kind::Jetmirror => try_jetmirror_bin()?,
            },
        };
        let mut last_err = None;
        for _attempt in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("jetmirror-testkit-")
                .tempdir()
                .context("creating the server's temp dir")?;
            let port = free_port()?;
            let http_port = if spec.http { Some(free_port()?) } else { None };
            let mut server = Server {
                spec: spec.clone(),
                bin: bin.clone(),
                child: None,
                store_dir: dir.path().join("js"),
                dir,
                port,
                http_port,
            };
            server.write_config()?;
            match server.spawn_and_wait() {
                Ok(()) => return Ok(server),
                Err(err) => {
                    let port_clash = server.log().contains("address already in use");
                    last_err = Some(err);
                    drop(server);
                    if !port_clash {
                        break;
                    }
                }
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow!("server did not start")))
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("server.conf")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn write_config(&self) -> Result<()> {
        let mut text = self.spec.config.clone();
        text.push_str(&format!("\nlisten: 127.0.0.1:{}\n", self.port));
        if let Some(http_port) = self.http_port {
            text.push_str(&format!("http: 127.0.0.1:{http_port}\n"));
        }
        if self.spec.jetstream {
            text.push_str(&format!(
                "jetstream {{\n  store_dir: {:?}\n",
                self.store_dir()
            ));
            if let Some(domain) = &self.spec.jetstream_domain {
                text.push_str(&format!("  domain: {domain:?}\n"));
            }
            if !self.spec.jetstream_extra.is_empty() {
                text.push_str(&self.spec.jetstream_extra);
                text.push('\n');
            }
            text.push_str("}\n");
        }
        std::fs::write(self.config_path(), text).context("writing server.conf")
    }

    fn spawn_and_wait(&mut self) -> Result<()> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log_path())
            .context("opening server.log")?;
        let log_err = log.try_clone().context("cloning the log handle")?;
        let ports_dir = self.dir.path().join("ports");
        let mut cmd = Command::new(&self.bin);
        cmd.arg("-c").arg(self.config_path());
        // Readiness without a probe connection (which would count against max_connections
        // for a moment): both servers write this file once they listen.
        let _ = std::fs::remove_dir_all(&ports_dir);
        std::fs::create_dir_all(&ports_dir).context("creating the ports dir")?;
        cmd.arg("--ports_file_dir").arg(&ports_dir);
        let child = cmd
            .args(&self.spec.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .with_context(|| format!("spawning {}", self.bin.display()))?;
        register_pid(child.id());
        self.child = Some(child);
        self.wait_ready().with_context(|| {
            format!(
                "{} did not start; log:\n{}",
                self.bin.display(),
                self.log_tail()
            )
        })
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let ports_dir = self.dir.path().join("ports");
        loop {
            if let Some(status) = self.try_wait()? {
                bail!("exited early with {status}");
            }
            let ready =
                std::fs::read_dir(&ports_dir).is_ok_and(|mut entries| entries.next().is_some());
            if ready {
                break;
            }
            if Instant::now() > deadline {
                self.kill();
                bail!(
                    "client port {} not accepting after {:?}",
                    self.port,
                    START_TIMEOUT
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(http_port) = self.http_port {
            loop {
                if let Ok(body) = http_get(http_port, "/varz") {
                    if body.contains("server_id") {
                        break;
                    }
                }
                if let Some(status) = self.try_wait()? {
                    bail!("exited early with {status}");
                }
                if Instant::now() > deadline {
                    self.kill();
                    bail!(
                        "/varz on port {http_port} not answering after {:?}",
                        START_TIMEOUT
                    );
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(child) => {
                let status = child.try_wait().context("waiting for the server")?;
                if status.is_some() {
                    // Reaped: the pid may be reused from now on.
                    unregister_pid(child.id());
                }
                Ok(status)
            }
            None => Ok(None),
        }
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn client_url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The monitoring port, when started with `http`.
    pub fn http_port(&self) -> Option<u16> {
        self.http_port
    }

    /// The JetStream store dir (`js` in the server's temp dir; same across restarts).
    pub fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    /// The server's temp dir (config file, log, store dir).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the server wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        std::fs::read(self.log_path())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// The child's pid (0 when not running).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Sends `sig` (e.g. `libc::SIGSTOP`) to the server process.
    pub fn signal(&self, sig: i32) {
        if let Some(child) = &self.child {
            if let Ok(pid) = libc::pid_t::try_from(child.id()) {
                // SAFETY: kill(2) on our own child's pid; it is not reaped yet, so the pid
                // cannot have been reused.
                unsafe {
                    libc::kill(pid, sig);
                }
            }
        }
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            unregister_pid(child.id());
            let _ = child.wait();
        }
    }

    /// SIGTERM, wait up to [`STOP_TIMEOUT`], then SIGKILL; always reaps.
    pub fn stop(&mut self) {
        if self.child.is_none() {
            return;
        }
        self.signal(libc::SIGCONT);
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match self.try_wait() {
                Ok(Some(_)) | Err(_) => {
                    if let Some(child) = self.child.take() {
                        unregister_pid(child.id());
                    }
                    return;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        self.kill();
    }

    /// Stops the server and starts it again on the same ports with the same store dir.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.spawn_and_wait()
    }

    /// `kill -9` (no graceful stop, no flush) and start again on the same ports with the
    /// same store dir; returns once the client port accepts again.
    pub fn kill_and_restart(&mut self) -> Result<()> {
        self.signal(libc::SIGCONT);
        self.kill();
        self.spawn_and_wait()
    }

    /// Starts the process again after [`Server::kill`] or [`Server::stop`] (same ports,
    /// same store dir); a no-op error when it still runs.
    pub fn start_again(&mut self) -> Result<()> {
        if self.child.is_some() {
            bail!("the server is still running");
        }
        self.spawn_and_wait()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.signal(libc::SIGCONT);
        self.kill();
    }
}

/// `GET path` on `127.0.0.1:port` over HTTP/1.0; returns the body of a 200 answer.
pub fn http_get(port: u16, path: &str) -> Result<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow!("malformed HTTP answer from {addr}{path}"))?;
    if !head.starts_with("HTTP/1.") || head.split_whitespace().nth(1) != Some("200") {
        bail!("GET {path}: {}", head.lines().next().unwrap_or(""));
    }
    Ok(body.to_string())
}

/// The mirror topology: a hub nats-server (JetStream domain `hub`, HTTP on, a leafnode
/// port) and a side server in JetStream domain `leaf`.
///
/// For [`Kind::NatsServer`] the side is a nats-server leaf node with
/// `leafnodes { remotes [ { url: "nats-leaf://127.0.0.1:<hub leaf port>" } ] }`; for
/// [`Kind::Jetmirror`] it is jetmirror with `upstream { url: "nats://127.0.0.1:<hub port>" }`.
/// Returns once the hub sees the side (a leaf connection, or a client connection).
pub fn upstream_pair(kind: Kind) -> Result<(Server, Server)> {
    upstream_pair_with(kind, None, None)
}

/// [`upstream_pair`] with explicit binaries for the hub (always nats-server) and the side.
pub fn upstream_pair_with(
    kind: Kind,
    hub_bin: Option<PathBuf>,
    side_bin: Option<PathBuf>,
) -> Result<(Server, Server)> {
    let leaf_port = free_port()?;
    let hub = Server::start(ServerSpec {
        config: format!("server_name: hub\nleafnodes {{\n  listen: 127.0.0.1:{leaf_port}\n}}\n"),
        jetstream: true,
        jetstream_domain: Some("hub".into()),
        http: true,
        bin: hub_bin,
        ..ServerSpec::new(Kind::NatsServer)
    })
    .context("starting the hub")?;
    let config = match kind {
        Kind::NatsServer => format!(
            "server_name: leaf\nleafnodes {{\n  remotes [ {{ url: \"nats-leaf://127.0.0.1:{leaf_port}\" }} ]\n}}\n"
        ),
        Kind::Jetmirror => format!(
            "server_name: leaf\nupstream {{\n  url: \"nats://127.0.0.1:{}\"\n}}\n",
            hub.port()
        ),
    };
    let side = Server::start(ServerSpec {
        config,
        jetstream: true,
        jetstream_domain: Some("leaf".into()),
        bin: side_bin,
        ..ServerSpec::new(kind)
    })
    .context("starting the side")?;
    let http_port = hub
        .http_port()
        .ok_or_else(|| anyhow!("the hub has no http port"))?;
    let (path, needle) = match kind {
        Kind::NatsServer => ("/leafz", "\"leafnodes\": 1"),
        Kind::Jetmirror => ("/connz", "\"num_connections\": 1"),
    };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if http_get(http_port, path).is_ok_and(|body| body.contains(needle)) {
            return Ok((hub, side));
        }
        if Instant::now() > deadline {
            bail!("the hub did not see the side within {START_TIMEOUT:?} ({path})");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts an `n`-node nats-server cluster named `cluster` with JetStream (domain `domain`
/// when given) on free loopback ports: servers `n1`…`nN`, each with HTTP monitoring and
/// routes to all the others. Returns once every node's `/healthz` answers 200 (routes up,
/// JetStream meta leader elected and current).
pub fn nats_cluster(n: usize, domain: Option<&str>) -> Result<Vec<Server>> {
    let cluster_ports: Vec<u16> = (0..n).map(|_| free_port()).collect::<Result<_>>()?;
    let routes = cluster_ports
        .iter()
        .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut servers = Vec::with_capacity(n);
    for (i, port) in cluster_ports.iter().enumerate() {
        let config = format!(
            "server_name: n{}\ncluster {{\n  name: jetmirror-test\n  listen: 127.0.0.1:{port}\n  routes: [{routes}]\n}}\n",
            i + 1
        );
        let server = Server::start(ServerSpec {
            config,
            jetstream: true,
            jetstream_domain: domain.map(str::to_string),
            http: true,
            ..ServerSpec::new(Kind::NatsServer)
        })
        .with_context(|| format!("starting cluster node n{}", i + 1))?;
        servers.push(server);
    }
    let deadline = Instant::now() + START_TIMEOUT * 2;
    for server in &servers {
        let http_port = server
            .http_port()
            .ok_or_else(|| anyhow!("cluster node without http port"))?;
        loop {
            if http_get(http_port, "/healthz").is_ok() {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "cluster node on port {} not healthy; log:\n{}",
                    server.port(),
                    server.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(servers)
}
