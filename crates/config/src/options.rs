//! Typed server options with nats-server's defaults (server/opts.go).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::duration::parse_go_duration;
use crate::scalar::storage_size;
use crate::{ConfigError, Map, Spanned, Value};

/// All options the server uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The config file these options came from, if any.
    pub config_file: Option<PathBuf>,
    /// nats-server's digest of the parsed file, `sha256:<hex>` (empty
    /// without a config file), for `-t` and `/varz` `config_digest`.
    pub config_digest: String,
    pub server_name: Option<String>,
    pub host: String,
    pub port: i32,
    pub client_advertise: Option<String>,
    /// Monitoring listen host; defaults to `host` (nats-server's baseline).
    pub http_host: String,
    pub http_port: Option<i32>,
    pub https_port: Option<i32>,
    pub http_base_path: Option<String>,
    pub max_payload: i64,
    pub max_pending: i64,
    pub max_control_line: i32,
    /// nats-server turns an explicit 0 into -1: reject every client.
    pub max_connections: i64,
    pub max_subscriptions: i64,
    pub ping_interval: Duration,
    pub ping_max: i32,
    pub write_deadline: Duration,
    pub lame_duck_duration: Duration,
    pub lame_duck_grace_period: Duration,
    pub no_header_support: bool,
    pub max_closed_clients: i64,
    pub auth: Authorization,
    pub no_auth_user: Option<String>,
    pub accounts: Vec<Account>,
    pub system_account: Option<String>,
    pub no_system_account: bool,
    pub jetstream: Option<JetStreamOptions>,
    pub upstream: Option<UpstreamOptions>,
    pub cluster: Option<ClusterOptions>,
    pub leafnodes: Option<LeafNodeOptions>,
    pub debug: bool,
    pub trace: bool,
    pub trace_verbose: bool,
    pub logtime: bool,
    pub logtime_utc: bool,
    pub logfile: Option<PathBuf>,
    pub log_size_limit: i64,
    pub log_max_num: i64,
    pub syslog: bool,
    pub remote_syslog: Option<String>,
    pub max_traced_msg_len: i64,
    pub pid_file: Option<PathBuf>,
    pub ports_file_dir: Option<PathBuf>,
    pub prof_port: Option<i32>,
    pub tls: Option<TlsOptions>,
    pub allow_non_tls: bool,
    pub server_tags: Vec<String>,
    /// Top-level `store_dir` (or `-sd`): used as the JetStream store dir when
    /// JetStream is enabled without one of its own. On its own it does not
    /// enable JetStream (as nats-server).
    pub store_dir: Option<PathBuf>,
    /// nats-server's own warnings (`file:line:col: invalid use of field
    /// "ping_interval": ping_interval should be converted to a duration`):
    /// the server logs them with `tracing::warn`; with `-t` they fail the check.
    pub warnings: Vec<String>,
    /// Keys nats-server knows but jetmirror ignores
    /// (`file:line:col: "websocket" is not supported by jetmirror and is ignored`).
    /// Log them; they do not fail `-t`.
    pub unsupported: Vec<String>,
}

/// Single-account auth (`authorization { ... }` and the `--user/--pass/--auth` flags).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Authorization {
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub users: Vec<User>,
    pub nkeys: Vec<NkeyUser>,
    pub timeout: Option<Duration>,
    pub default_permissions: Option<Permissions>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct User {
    pub user: String,
    pub password: Option<String>,
    pub permissions: Option<Permissions>,
    pub account: Option<String>,
    pub allowed_connection_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NkeyUser {
    pub nkey: String,
    pub permissions: Option<Permissions>,
    pub account: Option<String>,
    pub allowed_connection_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Permissions {
    pub publish: Option<SubjectPermission>,
    pub subscribe: Option<SubjectPermission>,
    pub allow_responses: Option<ResponsePermission>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubjectPermission {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResponsePermission {
    /// Default 1.
    pub max: i64,
    /// Default 2 min.
    pub expires: Duration,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Account {
    pub name: String,
    pub users: Vec<User>,
    pub nkeys: Vec<NkeyUser>,
    pub jetstream: Option<AccountJetStream>,
    pub exports: Vec<Export>,
    pub imports: Vec<Import>,
    pub default_permissions: Option<Permissions>,
}

/// Per-account JetStream limits; -1 = unlimited.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountJetStream {
    pub max_memory: i64,
    pub max_file: i64,
    pub max_streams: i64,
    pub max_consumers: i64,
    pub max_ack_pending: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExportKind {
    Stream,
    Service,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    pub kind: ExportKind,
    pub subject: String,
    /// Accounts allowed to import; empty = public.
    pub accounts: Vec<String>,
    pub response_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub kind: ExportKind,
    pub account: String,
    pub subject: String,
    /// `to`: the local subject of a service import, or a stream import's subject mapping.
    pub to: Option<String>,
    /// `prefix` of a stream import (the exporter's subject is delivered as
    /// `<prefix>.<subject>`).
    pub prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SyncInterval {
    Always,
    Every(Duration),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JetStreamOptions {
    /// As configured; the server appends `/jetstream`.
    pub store_dir: Option<PathBuf>,
    pub max_memory_store: Option<i64>,
    pub max_file_store: Option<i64>,
    pub domain: Option<String>,
    pub sync_interval: Option<SyncInterval>,
    pub strict: Option<bool>,
    pub unique_tag: Option<String>,
    /// `limits { … }`: server-wide JetStream limits (nats-server `JSLimitOpts`).
    pub limits: JetStreamLimits,
}

/// nats-server's `JSLimitOpts` (`jetstream { limits { … } }`); 0 means not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JetStreamLimits {
    pub max_request_batch: i64,
    pub max_ack_pending: i64,
    pub max_ha_assets: i64,
    /// `duplicate_window`, in nanoseconds.
    pub max_duplicate_window: i64,
    /// `batch { max_inflight_per_stream }`.
    pub max_batch_inflight_per_stream: i64,
    /// `batch { max_inflight_total }`.
    pub max_batch_inflight_total: i64,
    /// `batch { max_msgs }`.
    pub max_batch_size: i64,
    /// `batch { timeout }`, in nanoseconds.
    pub max_batch_timeout: i64,
    /// Most consumers of a stream without its own `max_consumers`: 0 when not configured
    /// (nats-server then uses [`DEFAULT_MAX_CONSUMERS`]), negative for no limit.
    pub default_max_consumers: i64,
}

/// nats-server 2.15's per-stream consumer limit when neither the stream nor
/// `limits { default_max_consumers }` sets one.
pub const DEFAULT_MAX_CONSUMERS: i64 = 1000;

impl JetStreamLimits {
    /// The consumer limit of a stream whose own `max_consumers` is not set (None: none).
    pub fn default_max_consumers(&self) -> Option<i64> {
        match self.default_max_consumers {
            0 => Some(DEFAULT_MAX_CONSUMERS),
            n if n < 0 => None,
            n => Some(n),
        }
    }
}

/// jetmirror's own `upstream { ... }` block (spec Part Z).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpstreamOptions {
    pub urls: Vec<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    pub name: Option<String>,
    pub credentials: Option<PathBuf>,
    pub nkey: Option<String>,
    pub tls: Option<TlsOptions>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    pub name: Option<String>,
    pub host: String,
    /// 0 = no listener; -1 = random.
    pub port: i32,
    pub advertise: Option<String>,
    pub no_advertise: bool,
    pub routes: Vec<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub auth_timeout: Option<Duration>,
    pub tls: Option<TlsOptions>,
    pub pool_size: Option<i64>,
    pub connect_retries: i64,
    pub ping_interval: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeafNodeOptions {
    pub host: String,
    pub port: i32,
    pub remotes: Vec<RemoteLeafOptions>,
    pub reconnect: Option<Duration>,
    pub tls: Option<TlsOptions>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemoteLeafOptions {
    pub urls: Vec<String>,
    pub account: Option<String>,
    pub credentials: Option<PathBuf>,
    pub tls: Option<TlsOptions>,
}

/// `handshake_first`: `true`, `false`, `"auto"` (fallback delay 50ms) or a duration.
#[derive(Debug, Clone, PartialEq)]
pub enum HandshakeFirst {
    Off,
    On,
    /// TLS first, but fall back to INFO-first after this delay.
    Fallback(Duration),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TlsOptions {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    pub verify: bool,
    pub verify_and_map: bool,
    pub insecure: bool,
    /// Default 2 s.
    pub timeout: Duration,
    pub handshake_first: HandshakeFirst,
    pub min_version: Option<String>,
    pub cipher_suites: Vec<String>,
    pub curve_preferences: Vec<String>,
    pub pinned_certs: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config_file: None,
            config_digest: String::new(),
            server_name: None,
            host: "0.0.0.0".to_string(),
            port: 4222,
            client_advertise: None,
            http_host: "0.0.0.0".to_string(),
            http_port: None,
            https_port: None,
            http_base_path: None,
            max_payload: 1024 * 1024,
            max_pending: 64 * 1024 * 1024,
            max_control_line: 4096,
            max_connections: 64 * 1024,
            max_subscriptions: 0,
            ping_interval: Duration::from_secs(120),
            ping_max: 2,
            write_deadline: Duration::from_secs(10),
            lame_duck_duration: Duration::from_secs(120),
            lame_duck_grace_period: Duration::from_secs(10),
            no_header_support: false,
            max_closed_clients: 10_000,
            auth: Authorization::default(),
            no_auth_user: None,
            accounts: Vec::new(),
            system_account: None,
            no_system_account: false,
            jetstream: None,
            upstream: None,
            cluster: None,
            leafnodes: None,
            debug: false,
            trace: false,
            trace_verbose: false,
            logtime: true,
            logtime_utc: false,
            logfile: None,
            log_size_limit: 0,
            log_max_num: 0,
            syslog: false,
            remote_syslog: None,
            max_traced_msg_len: 0,
            pid_file: None,
            ports_file_dir: None,
            prof_port: None,
            tls: None,
            allow_non_tls: false,
            server_tags: Vec::new(),
            store_dir: None,
            warnings: Vec::new(),
            unsupported: Vec::new(),
        }
    }
}

impl Default for ResponsePermission {
    fn default() -> Self {
        ResponsePermission {
            max: 1,
            expires: Duration::from_secs(120),
        }
    }
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            cert_file: None,
            key_file: None,
            ca_file: None,
            verify: false,
            verify_and_map: false,
            insecure: false,
            timeout: Duration::from_secs(2),
            handshake_first: HandshakeFirst::Off,
            min_version: None,
            cipher_suites: Vec::new(),
            curve_preferences: Vec::new(),
            pinned_certs: Vec::new(),
        }
    }
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            name: None,
            host: "0.0.0.0".to_string(),
            port: 0,
            advertise: None,
            no_advertise: false,
            routes: Vec::new(),
            user: None,
            password: None,
            auth_timeout: None,
            tls: None,
            pool_size: None,
            connect_retries: 0,
            ping_interval: None,
        }
    }
}

impl Default for AccountJetStream {
    fn default() -> Self {
        AccountJetStream {
            max_memory: -1,
            max_file: -1,
            max_streams: -1,
            max_consumers: -1,
            max_ack_pending: -1,
        }
    }
}

impl Options {
    /// Build options from a parsed config, type-checking every known key.
    /// All errors are collected (like nats-server) into
    /// [`ConfigError::Multiple`] when there is more than one.
    pub fn from_map(map: &Map) -> Result<Options, ConfigError> {
        let mut o = Self::from_map_named(map, "")?;
        o.apply_baseline();
        Ok(o)
    }

    /// Parse a file and build options from it.
    pub fn from_file(path: &Path) -> Result<Options, ConfigError> {
        let mut o = Self::from_file_raw(path)?;
        o.apply_baseline();
        Ok(o)
    }

    /// Options from a file before the baseline defaults that depend on other
    /// options (`http_host` follows `host`), so flags can still change those.
    pub(crate) fn from_file_raw(path: &Path) -> Result<Options, ConfigError> {
        let map = crate::parse_file(path)?;
        let mut o = Self::from_map_named(&map, &path.to_string_lossy())?;
        o.config_file = Some(path.to_path_buf());
        o.config_digest = crate::digest::config_digest(&map);
        Ok(o)
    }

    /// [`Options::default`] with the derived defaults left unset.
    pub(crate) fn unresolved() -> Options {
        Options {
            http_host: String::new(),
            ..Options::default()
        }
    }

    fn from_map_named(map: &Map, file: &str) -> Result<Options, ConfigError> {
        let mut o = Options::unresolved();
        let mut cx = Cx::default();
        if map.is_empty() {
            cx.warnings
                .push(format!("{file}: config has no values or is empty"));
        }
        for (k, v) in map.iter() {
            o.top_level(&mut cx, k, v);
        }
        if let Some(js) = o.jetstream.as_mut() {
            if js.store_dir.is_none() {
                js.store_dir = o.store_dir.clone();
            }
        }
        o.warnings = cx.warnings;
        o.unsupported = cx.unsupported;
        match cx.errors.len() {
            0 => Ok(o),
            1 => Err(cx.errors.remove(0)),
            _ => Err(ConfigError::Multiple(cx.errors)),
        }
    }

    /// nats-server's `setBaselineOptions`: a zero value means the default
    /// (`port: 0` → 4222, `-m 0` → monitoring off, `max_payload: 0` → 1 MiB),
    /// `http_host` follows `host`, the auth timeout is 2 s (TLS timeout + 1 s
    /// with TLS), a cluster's pool size 3. [`Options::from_map`],
    /// [`Options::from_file`] and [`crate::parse_args`] call it.
    pub fn apply_baseline(&mut self) {
        let d = Options::default();
        if self.host.is_empty() {
            self.host = d.host.clone();
        }
        if self.http_host.is_empty() {
            self.http_host = self.host.clone();
        }
        if self.auth.timeout.is_none() {
            // getDefaultAuthTimeout: TLS handshake timeout + 1 s, else 2 s.
            self.auth.timeout = Some(match &self.tls {
                Some(t) => t.timeout + Duration::from_secs(1),
                None => Duration::from_secs(2),
            });
        }
        if let Some(c) = self.cluster.as_mut() {
            if c.port != 0 {
                if c.host.is_empty() {
                    c.host = d.host.clone();
                }
                if c.pool_size.is_none() {
                    c.pool_size = Some(3);
                }
                if c.auth_timeout.is_none() {
                    c.auth_timeout = Some(match &c.tls {
                        Some(t) => t.timeout + Duration::from_secs(1),
                        None => Duration::from_secs(2),
                    });
                }
            }
        }
        if let Some(l) = self.leafnodes.as_mut() {
            if l.host.is_empty() {
                l.host = d.host.clone();
            }
            if l.reconnect.is_none() {
                l.reconnect = Some(Duration::from_secs(1));
            }
        }
        if self.port == 0 {
            self.port = d.port;
        }
        if self.http_port == Some(0) {
            self.http_port = None;
        }
        if self.https_port == Some(0) {
            self.https_port = None;
        }
        if self.prof_port == Some(0) {
            self.prof_port = None;
        }
        if self.max_payload == 0 {
            self.max_payload = d.max_payload;
        }
        if self.max_pending == 0 {
            self.max_pending = d.max_pending;
        }
        if self.max_control_line == 0 {
            self.max_control_line = d.max_control_line;
        }
        if self.max_connections == 0 {
            self.max_connections = d.max_connections;
        }
        if self.ping_interval.is_zero() {
            self.ping_interval = d.ping_interval;
        }
        if self.ping_max == 0 {
            self.ping_max = d.ping_max;
        }
        if self.write_deadline.is_zero() {
            self.write_deadline = d.write_deadline;
        }
        if self.lame_duck_duration.is_zero() {
            self.lame_duck_duration = d.lame_duck_duration;
        }
        if self.lame_duck_grace_period.is_zero() {
            self.lame_duck_grace_period = d.lame_duck_grace_period;
        }
    }

    /// Log [`Options::warnings`] and [`Options::unsupported`] with
    /// `tracing::warn`, as the server does at startup.
    pub fn log_warnings(&self) {
        for w in &self.warnings {
            tracing::warn!("{w}");
        }
        for u in &self.unsupported {
            tracing::warn!("{u}");
        }
    }

    /// Whether any configured password is plaintext (not a bcrypt hash):
    /// nats-server then logs `Plaintext passwords detected, use nkeys or
    /// bcrypt` at startup.
    pub fn has_plaintext_passwords(&self) -> bool {
        let plain = |p: &Option<String>| p.as_deref().is_some_and(|p| !is_bcrypt(p));
        plain(&self.auth.password)
            || self.auth.users.iter().any(|u| plain(&u.password))
            || self
                .accounts
                .iter()
                .flat_map(|a| &a.users)
                .any(|u| plain(&u.password))
    }

    /// Checks nats-server makes when the server starts (server.go
    /// `validateOptions`), beyond what parsing checks.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_payload > self.max_pending {
            return Err(format!(
                "max_payload ({}) cannot be higher than max_pending ({})",
                self.max_payload, self.max_pending
            ));
        }
        if let Some(n) = &self.server_name {
            if n.contains(' ') {
                return Err("server name cannot contain spaces".to_string());
            }
        }
        if let Some(u) = &self.no_auth_user {
            let users = self
                .auth
                .users
                .iter()
                .chain(self.accounts.iter().flat_map(|a| &a.users));
            let nkeys = self
                .auth
                .nkeys
                .iter()
                .chain(self.accounts.iter().flat_map(|a| &a.nkeys));
            let (mut users, mut nkeys) = (users.peekable(), nkeys.peekable());
            if users.peek().is_none() && nkeys.peek().is_none() {
                return Err(format!(
                    "no_auth_user: \"{u}\" present, but users/nkeys are not defined"
                ));
            }
            if !users.any(|x| x.user == *u) && !nkeys.any(|x| x.nkey == *u) {
                return Err(format!(
                    "no_auth_user: \"{u}\" not present as user or nkey in authorization block or account configuration"
                ));
            }
        }
        if let Some(c) = &self.cluster {
            if !c.routes.is_empty() && c.port == 0 {
                return Err(
                    "solicited routes require cluster capabilities, e.g. --cluster".to_string(),
                );
            }
        }
        Ok(())
    }

    fn top_level(&mut self, cx: &mut Cx, k: &str, v: &Spanned<Value>) {
        let lk = k.to_ascii_lowercase();
        match lk.as_str() {
            "listen" => {
                if let Some((h, p)) = cx.listen(k, v) {
                    // As Go: a bare port clears the host (then the default).
                    self.host = h.unwrap_or_default();
                    self.port = p;
                }
            }
            "client_advertise" => self.client_advertise = cx.string(k, v),
            "port" => set(&mut self.port, cx.int32(k, v)),
            "server_name" => {
                if let Some(s) = cx.string(k, v) {
                    if s.contains(' ') {
                        cx.err(k, v, "server name cannot contain spaces".to_string());
                    } else {
                        self.server_name = Some(s);
                    }
                }
            }
            "host" | "net" => set(&mut self.host, cx.string(k, v)),
            "debug" => set(&mut self.debug, cx.bool(k, v)),
            "trace" => set(&mut self.trace, cx.bool(k, v)),
            "trace_verbose" => {
                if let Some(b) = cx.bool(k, v) {
                    self.trace_verbose = b;
                    self.trace = b;
                }
            }
            "trace_headers" => {
                if let Some(b) = cx.bool(k, v) {
                    self.trace = b;
                }
            }
            "logtime" => set(&mut self.logtime, cx.bool(k, v)),
            "logtime_utc" => set(&mut self.logtime_utc, cx.bool(k, v)),
            "accounts" => self.accounts = cx.accounts(k, v),
            "authorization" => self.authorization(cx, k, v),
            "http" | "https" => {
                if let Some((h, p)) = cx.listen(k, v) {
                    self.http_host = h.unwrap_or_default();
                    if lk == "http" {
                        self.http_port = Some(p);
                    } else {
                        self.https_port = Some(p);
                    }
                }
            }
            "http_port" | "monitor_port" => self.http_port = cx.int32(k, v).or(self.http_port),
            "https_port" => self.https_port = cx.int32(k, v).or(self.https_port),
            "http_base_path" => self.http_base_path = cx.string(k, v),
            "cluster" => self.cluster = cx.cluster(k, v),
            "leaf" | "leafnodes" => self.leafnodes = cx.leafnodes(k, v),
            "store_dir" | "storedir" => {
                if self.store_dir.is_some() {
                    cx.err(k, v, "Duplicate 'store_dir' configuration".to_string());
                } else {
                    self.store_dir = cx.string(k, v).map(PathBuf::from);
                }
            }
            "jetstream" => self.jetstream_block(cx, k, v),
            "logfile" | "log_file" => self.logfile = cx.string(k, v).map(PathBuf::from),
            "logfile_size_limit" | "log_size_limit" => set(&mut self.log_size_limit, cx.int(k, v)),
            "logfile_max_num" | "log_max_num" => set(&mut self.log_max_num, cx.int(k, v)),
            "syslog" => set(&mut self.syslog, cx.bool(k, v)),
            "remote_syslog" => self.remote_syslog = cx.string(k, v),
            "pidfile" | "pid_file" => self.pid_file = cx.string(k, v).map(PathBuf::from),
            "ports_file_dir" => self.ports_file_dir = cx.string(k, v).map(PathBuf::from),
            "prof_port" => self.prof_port = cx.int32(k, v),
            "max_control_line" => {
                if let Some(n) = cx.int(k, v) {
                    if n > i64::from(i32::MAX) {
                        cx.err(k, v, format!("{k} value is too big"));
                    } else {
                        self.max_control_line = n as i32;
                    }
                }
            }
            "max_payload" => {
                if let Some(n) = cx.int(k, v) {
                    if n > i64::from(i32::MAX) {
                        cx.err(k, v, format!("{k} value is too big"));
                    } else {
                        // Go stores it in an int32: negative values wrap.
                        self.max_payload = i64::from(n as i32);
                    }
                }
            }
            "max_pending" => set(&mut self.max_pending, cx.int(k, v)),
            "max_connections" | "max_conn" => {
                if let Some(n) = cx.int(k, v) {
                    // An explicit 0 rejects every client (server.go createClientEx).
                    self.max_connections = if n == 0 { -1 } else { n };
                }
            }
            "max_traced_msg_len" => set(&mut self.max_traced_msg_len, cx.int(k, v)),
            "max_subscriptions" | "max_subs" => set(&mut self.max_subscriptions, cx.int(k, v)),
            "max_sub_tokens" | "max_subscription_tokens" => {
                if let Some(n) = cx.int(k, v) {
                    if n > 255 {
                        cx.err(k, v, format!("{k} value is too big"));
                    } else if n <= 0 {
                        cx.err(k, v, format!("{k} value can not be negative"));
                    }
                }
            }
            "ping_interval" => set(&mut self.ping_interval, cx.duration("ping_interval", k, v)),
            "ping_max" => set(&mut self.ping_max, cx.int32(k, v)),
            "tls" => self.tls = cx.tls(k, v),
            "allow_non_tls" => set(&mut self.allow_non_tls, cx.bool(k, v)),
            "write_deadline" => set(
                &mut self.write_deadline,
                cx.duration("write_deadline", k, v),
            ),
            "lame_duck_duration" => {
                if let Some(s) = cx.string(k, v) {
                    match parse_go_duration(&s) {
                        Err(e) => cx.err(k, v, format!("error parsing lame_duck_duration: {e}")),
                        Ok(d) if d < Duration::from_secs(30) => cx.err(
                            k,
                            v,
                            format!(
                                "invalid lame_duck_duration of {}, minimum is 30 seconds",
                                go_duration_string(d)
                            ),
                        ),
                        Ok(d) => self.lame_duck_duration = d,
                    }
                }
            }
            "lame_duck_grace_period" => {
                if let Some(s) = cx.string(k, v) {
                    // Go parses "-1s" fine and then rejects it as negative.
                    let negative_ok = s
                        .strip_prefix('-')
                        .is_some_and(|rest| parse_go_duration(rest).is_ok_and(|d| !d.is_zero()));
                    match parse_go_duration(&s) {
                        Err(_) if negative_ok => cx.err(
                            k,
                            v,
                            "invalid lame_duck_grace_period, needs to be positive".to_string(),
                        ),
                        Err(e) => {
                            cx.err(k, v, format!("error parsing lame_duck_grace_period: {e}"))
                        }
                        Ok(d) => self.lame_duck_grace_period = d,
                    }
                }
            }
            "no_auth_user" => self.no_auth_user = cx.string(k, v),
            "system_account" | "system" => match &v.value {
                Value::String(s) => self.system_account = Some(s.clone()),
                _ => cx.err(k, v, "system account name must be a string".to_string()),
            },
            "no_system_account" | "no_system" | "no_sys_acc" => {
                set(&mut self.no_system_account, cx.bool(k, v))
            }
            "no_header_support" => set(&mut self.no_header_support, cx.bool(k, v)),
            "max_closed_clients" => set(&mut self.max_closed_clients, cx.int(k, v)),
            "server_tags" => match &v.value {
                Value::String(s) => self.server_tags.push(s.clone()),
                Value::Array(a) => {
                    for e in a {
                        match &e.value {
                            Value::String(s) => self.server_tags.push(s.clone()),
                            _ => {
                                cx.err(
                                    k,
                                    v,
                                    "error parsing tags: unsupported type *conf.token where string is expected"
                                        .to_string(),
                                );
                                break;
                            }
                        }
                    }
                }
                other => cx.err(
                    k,
                    v,
                    format!("error parsing tags: unsupported type {}", other.type_name()),
                ),
            },
            "connect_error_reports"
            | "reconnect_error_reports"
            | "prof_block_rate"
            | "disable_sublist_cache"
            | "no_sublist_cache"
            | "proxy_protocol"
            | "no_fast_producer_stall" => {
                // Type-checked like nats-server, then ignored.
                let ok = if matches!(
                    lk.as_str(),
                    "connect_error_reports" | "reconnect_error_reports" | "prof_block_rate"
                ) {
                    cx.int(k, v).is_some()
                } else {
                    cx.bool(k, v).is_some()
                };
                if ok {
                    cx.unsupported(k, v);
                }
            }
            "upstream" => self.upstream = cx.upstream(k, v),
            _ if KNOWN_UNSUPPORTED.contains(&lk.as_str()) => cx.unsupported(k, v),
            _ => cx.unknown(k, v),
        }
    }

    /// `jetstream { limits { … } }` (nats-server `parseJetStreamLimits`).
    fn jetstream_limits(
        &mut self,
        cx: &mut Cx,
        k: &str,
        v: &Spanned<Value>,
        limits: &mut JetStreamLimits,
    ) {
        let Value::Map(m) = &v.value else {
            cx.err(k, v, "Expected a map to define JetStreamLimits".to_string());
            return;
        };
        *limits = JetStreamLimits::default();
        let ns = |d: Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        for (mk, mv) in m.iter() {
            match mk.to_ascii_lowercase().as_str() {
                "max_ack_pending" => set(&mut limits.max_ack_pending, cx.int(mk, mv)),
                "max_ha_assets" => set(&mut limits.max_ha_assets, cx.int(mk, mv)),
                "max_request_batch" => set(&mut limits.max_request_batch, cx.int(mk, mv)),
                "default_max_consumers" => set(&mut limits.default_max_consumers, cx.int(mk, mv)),
                "duplicate_window" => set(
                    &mut limits.max_duplicate_window,
                    cx.duration(mk, mk, mv).map(ns),
                ),
                "batch" => {
                    let Value::Map(b) = &mv.value else {
                        cx.err(mk, mv, "Expected a map to define batch limits".to_string());
                        continue;
                    };
                    for (bk, bv) in b.iter() {
                        match bk.to_ascii_lowercase().as_str() {
                            "max_inflight_per_stream" => {
                                set(&mut limits.max_batch_inflight_per_stream, cx.int(bk, bv))
                            }
                            "max_inflight_total" => {
                                set(&mut limits.max_batch_inflight_total, cx.int(bk, bv))
                            }
                            "max_msgs" => set(&mut limits.max_batch_size, cx.int(bk, bv)),
                            "timeout" => set(
                                &mut limits.max_batch_timeout,
                                cx.duration(bk, bk, bv).map(ns),
                            ),
                            _ => cx.unknown(bk, bv),
                        }
                    }
                }
                _ => cx.unknown(mk, mv),
            }
        }
    }

    fn jetstream_block(&mut self, cx: &mut Cx, k: &str, v: &Spanned<Value>) {
        match &v.value {
            Value::Bool(b) => self.set_jetstream(*b),
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "enabled" | "enable" => self.set_jetstream(true),
                "disabled" | "disable" => self.set_jetstream(false),
                _ => cx.err(
                    k,
                    v,
                    format!("Expected 'enabled' or 'disabled' for string value, got '{s}'"),
                ),
            },
            Value::Map(m) => {
                let mut js = self.jetstream.clone().unwrap_or_default();
                let mut enable = true;
                for (mk, mv) in m.iter() {
                    let lmk = mk.to_ascii_lowercase();
                    match lmk.as_str() {
                        "strict" => match &mv.value {
                            Value::Bool(b) => js.strict = Some(*b),
                            other => cx.err(
                                mk,
                                mv,
                                format!(
                                    "Expected 'true' or 'false' for bool value, got '{}'",
                                    display_value(other)
                                ),
                            ),
                        },
                        "store" | "store_dir" | "storedir" => {
                            if self.store_dir.is_some() || js.store_dir.is_some() {
                                cx.err(mk, mv, "Duplicate 'store_dir' configuration".to_string());
                                return;
                            }
                            js.store_dir = cx.string(mk, mv).map(PathBuf::from);
                        }
                        "sync" | "sync_interval" => match &mv.value {
                            Value::String(s) if s.eq_ignore_ascii_case("always") => {
                                js.sync_interval = Some(SyncInterval::Always)
                            }
                            _ => {
                                if let Some(d) = cx.duration(mk, mk, mv) {
                                    js.sync_interval = Some(SyncInterval::Every(d));
                                }
                            }
                        },
                        "max_memory_store" | "max_mem_store" | "max_mem" => {
                            match cx.storage_size(mv) {
                                Ok(n) => js.max_memory_store = Some(n),
                                Err(e) => cx.err(mk, mv, format!("max_mem_store {e}")),
                            }
                        }
                        "max_file_store" | "max_file" => match cx.storage_size(mv) {
                            Ok(n) => js.max_file_store = Some(n),
                            Err(e) => cx.err(mk, mv, format!("max_file_store {e}")),
                        },
                        "domain" => js.domain = cx.string(mk, mv),
                        "enable" | "enabled" => set(&mut enable, cx.bool(mk, mv)),
                        "unique_tag" => {
                            js.unique_tag =
                                cx.string(mk, mv).map(|s| s.trim().to_ascii_lowercase())
                        }
                        "max_outstanding_catchup" | "max_buffered_size" | "meta_compact_size" => {
                            if let Err(e) = cx.storage_size(mv) {
                                cx.err(mk, mv, format!("{lmk} {e}"));
                            }
                        }
                        "max_buffered_msgs" | "request_queue_limit" | "info_queue_limit" => {
                            if !matches!(mv.value, Value::Int(_)) {
                                cx.err(
                                    mk,
                                    mv,
                                    format!(
                                        "Expected a parseable size for {mk:?}, got {}",
                                        display_value(&mv.value)
                                    ),
                                );
                            }
                        }
                        "max_concurrent_io" => match mv.value {
                            Value::Int(n) if (4..=8192).contains(&n) => {}
                            _ => cx.err(
                                mk,
                                mv,
                                format!(
                                    "Expected an absolute size for {mk:?} between 4 and 8192, got {}",
                                    display_value(&mv.value)
                                ),
                            ),
                        },
                        "key" | "ek" | "encryption_key" | "prev_key" | "prev_ek"
                        | "prev_encryption_key" | "extension_hint" | "cipher" => {
                            if cx.string(mk, mv).is_some() {
                                cx.unsupported(mk, mv);
                            }
                        }
                        "meta_compact_sync" => {
                            cx.bool(mk, mv);
                        }
                        "limits" => self.jetstream_limits(cx, mk, mv, &mut js.limits),
                        "meta_compact" | "tpm" => cx.unsupported(mk, mv),
                        _ => cx.unknown(mk, mv),
                    }
                }
                if enable {
                    self.jetstream = Some(js);
                } else {
                    self.jetstream = None;
                }
            }
            other => cx.err(
                k,
                v,
                format!(
                    "Expected map, bool or string to define JetStream, got {}",
                    other.type_name()
                ),
            ),
        }
    }

    fn set_jetstream(&mut self, on: bool) {
        if on {
            if self.jetstream.is_none() {
                self.jetstream = Some(JetStreamOptions::default());
            }
        } else {
            self.jetstream = None;
        }
    }

    fn authorization(&mut self, cx: &mut Cx, k: &str, v: &Spanned<Value>) {
        let Some(m) = cx.map(k, v) else { return };
        let mut auth = Authorization::default();
        let mut users_given = false;
        for (mk, mv) in m.iter() {
            match mk.to_ascii_lowercase().as_str() {
                "user" | "username" => auth.user = cx.string(mk, mv),
                "pass" | "password" => auth.password = cx.string(mk, mv),
                "token" => auth.token = cx.string(mk, mv),
                "timeout" => {
                    auth.timeout =
                        cx.seconds("error parsing authorization config, 'timeout'", mk, mv)
                }
                "users" => {
                    users_given = true;
                    let (users, nkeys) = cx.users(mk, mv, None);
                    auth.users = users;
                    auth.nkeys = nkeys;
                }
                "default_permission" | "default_permissions" | "permissions" => {
                    auth.default_permissions = cx.permissions(mk, mv)
                }
                "auth_callout" | "auth_hook" => cx.unsupported(mk, mv),
                "proxy_required" => {
                    cx.bool(mk, mv);
                }
                _ => cx.unknown(mk, mv),
            }
        }
        if (auth.user.is_some() || auth.password.is_some()) && auth.token.is_some() {
            cx.err(k, v, "Cannot have a user/pass and token".to_string());
            return;
        }
        let mut names: Vec<String> = self
            .accounts
            .iter()
            .flat_map(|a| a.users.iter().map(|u| u.user.clone()))
            .chain(self.auth.users.iter().map(|u| u.user.clone()))
            .collect();
        if users_given || !names.is_empty() {
            if auth.user.is_some() {
                cx.err(
                    k,
                    v,
                    "Can not have a single user/pass and a users array".to_string(),
                );
                return;
            }
            if auth.token.is_some() {
                cx.err(k, v, "Can not have a token and a users array".to_string());
                return;
            }
            for u in &auth.users {
                if names.contains(&u.user) {
                    cx.err(k, v, format!("Duplicate user {:?} detected", u.user));
                    return;
                }
                names.push(u.user.clone());
            }
        }
        // applyDefaultPermissions: users without their own get the defaults.
        if let Some(d) = &auth.default_permissions {
            for u in auth.users.iter_mut().filter(|u| u.permissions.is_none()) {
                u.permissions = Some(d.clone());
            }
            for n in auth.nkeys.iter_mut().filter(|n| n.permissions.is_none()) {
                n.permissions = Some(d.clone());
            }
        }
        let mut users = std::mem::take(&mut self.auth.users);
        users.append(&mut auth.users);
        let mut nkeys = std::mem::take(&mut self.auth.nkeys);
        nkeys.append(&mut auth.nkeys);
        auth.users = users;
        auth.nkeys = nkeys;
        self.auth = auth;
    }
}

/// Top-level keys nats-server knows that jetmirror accepts and ignores.
const KNOWN_UNSUPPORTED: &[&str] = &[
    "mappings",
    "maps",
    "default_sentinel",
    "gateway",
    "ocsp",
    "write_timeout",
    "operator",
    "operators",
    "roots",
    "root",
    "root_operators",
    "root_operator",
    "resolver",
    "account_resolver",
    "accounts_resolver",
    "resolver_tls",
    "resolver_preload",
    "resolver_pinned_accounts",
    "trusted",
    "trusted_keys",
    "websocket",
    "ws",
    "mqtt",
    "server_metadata",
    "feature_flags",
    "default_js_domain",
    "ocsp_cache",
    "proxies",
];

fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

/// Go's `%v` of a config value, for messages that print it.
fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::DateTime(d) => d.clone(),
        Value::Map(_) => "map[...]".to_string(),
        Value::Array(_) => "[...]".to_string(),
    }
}

/// Go's `time.Duration.String()` (`1m0s`, `10s`, `1.5s`, `250ms`).
pub fn go_duration_string(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        return "0s".to_string();
    }
    if ns < 1_000_000_000 {
        let (div, unit) = if ns < 1_000 {
            (1, "ns")
        } else if ns < 1_000_000 {
            (1_000, "µs")
        } else {
            (1_000_000, "ms")
        };
        return format!("{}{}", frac(ns, div), unit);
    }
    let h = ns / 3_600_000_000_000;
    let m = (ns / 60_000_000_000) % 60;
    let s = ns % 60_000_000_000;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{}s", frac(s, 1_000_000_000)));
    out
}

fn frac(n: u128, div: u128) -> String {
    let whole = n / div;
    let rest = n % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let f = format!("{rest:0width$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

/// Collects errors and warnings while options are built.
#[derive(Default)]
struct Cx {
    errors: Vec<ConfigError>,
    warnings: Vec<String>,
    unsupported: Vec<String>,
}

fn pos(v: &Spanned<Value>) -> String {
    format!("{}:{}:{}", v.file, v.line, v.col)
}

impl Cx {
    fn err(&mut self, key: &str, v: &Spanned<Value>, msg: String) {
        self.errors.push(ConfigError::Value {
            file: v.file.to_string(),
            line: v.line,
            col: v.col,
            key: key.to_string(),
            msg,
        });
    }

    fn unknown(&mut self, key: &str, v: &Spanned<Value>) {
        if v.used_variable {
            return;
        }
        self.errors.push(ConfigError::UnknownField {
            file: v.file.to_string(),
            line: v.line,
            col: v.col,
            key: key.to_string(),
        });
    }

    fn unsupported(&mut self, key: &str, v: &Spanned<Value>) {
        self.unsupported.push(format!(
            "{}: {key:?} is not supported by jetmirror and is ignored",
            pos(v)
        ));
    }

    fn warn(&mut self, field: &str, v: &Spanned<Value>, reason: String) {
        self.warnings.push(format!(
            "{}: invalid use of field {field:?}: {reason}",
            pos(v)
        ));
    }

    /// Go's failed type assertion, as nats-server reports it.
    fn type_err(&mut self, key: &str, v: &Spanned<Value>, want: &str) {
        let msg = format!(
            "interface conversion: interface {{}} is {}, not {want}",
            v.value.type_name()
        );
        self.err(key, v, msg);
    }

    fn string(&mut self, key: &str, v: &Spanned<Value>) -> Option<String> {
        match &v.value {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.type_err(key, v, "string");
                None
            }
        }
    }

    fn int(&mut self, key: &str, v: &Spanned<Value>) -> Option<i64> {
        match &v.value {
            Value::Int(i) => Some(*i),
            _ => {
                self.type_err(key, v, "int64");
                None
            }
        }
    }

    /// An int stored in a Go `int`, range-checked to i32 for our fields.
    fn int32(&mut self, key: &str, v: &Spanned<Value>) -> Option<i32> {
        let n = self.int(key, v)?;
        match i32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                self.err(key, v, format!("{key} value {n} is out of range"));
                None
            }
        }
    }

    fn bool(&mut self, key: &str, v: &Spanned<Value>) -> Option<bool> {
        match &v.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.type_err(key, v, "bool");
                None
            }
        }
    }

    fn map<'m>(&mut self, key: &str, v: &'m Spanned<Value>) -> Option<&'m Map> {
        match &v.value {
            Value::Map(m) => Some(m),
            _ => {
                self.type_err(key, v, "map[string]interface {}");
                None
            }
        }
    }

    /// A string or an array of strings.
    fn strings(&mut self, key: &str, v: &Spanned<Value>) -> Option<Vec<String>> {
        match &v.value {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for e in a {
                    out.push(self.string(key, e)?);
                }
                Some(out)
            }
            _ => {
                self.type_err(key, v, "string");
                None
            }
        }
    }

    /// server/opts.go `parseDuration`: a Go duration string, or an integer
    /// number of seconds with a warning.
    fn duration(&mut self, field: &str, key: &str, v: &Spanned<Value>) -> Option<Duration> {
        match &v.value {
            Value::String(s) => match parse_go_duration(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.err(key, v, format!("error parsing {field}: {e}"));
                    None
                }
            },
            Value::Int(n) => {
                self.warn(
                    field,
                    v,
                    format!("{field} should be converted to a duration"),
                );
                Some(Duration::from_secs(u64::try_from(*n).unwrap_or(0)))
            }
            _ => {
                self.type_err(key, v, "int64");
                None
            }
        }
    }

    /// Auth/TLS `timeout`: seconds as int or float, or a duration string.
    /// Authorization timeouts above 60 s warn (`what` names the block in
    /// errors: `error parsing tls config, 'timeout'`).
    fn seconds(&mut self, what: &str, key: &str, v: &Spanned<Value>) -> Option<Duration> {
        let secs = match &v.value {
            Value::Int(n) => *n as f64,
            Value::Float(f) => *f,
            Value::String(s) => match parse_go_duration(s) {
                Ok(d) => d.as_secs_f64(),
                Err(e) => {
                    self.err(key, v, format!("{what} {e}"));
                    return None;
                }
            },
            _ => {
                self.err(key, v, format!("{what} wrong type"));
                return None;
            }
        };
        if secs > 60.0 && what.contains("authorization") {
            let reason = format!(
                "timeout of {} ({secs:.6} seconds) is high, consider keeping it under 60 seconds. possibly caused by unquoted duration; use '1m' instead of 1m, for example",
                display_value(&v.value)
            );
            self.warn(key, v, reason);
        }
        Duration::try_from_secs_f64(secs.max(0.0)).ok()
    }

    fn storage_size(&mut self, v: &Spanned<Value>) -> Result<i64, String> {
        match &v.value {
            Value::Int(n) => Ok(*n),
            Value::String(s) => storage_size(s),
            _ => Err("must be int64 or string".to_string()),
        }
    }

    /// server/opts.go `parseListen`: a port, or `host:port`.
    fn listen(&mut self, key: &str, v: &Spanned<Value>) -> Option<(Option<String>, i32)> {
        match &v.value {
            Value::Int(n) => match i32::try_from(*n) {
                Ok(p) => Some((None, p)),
                Err(_) => {
                    self.err(key, v, format!("could not parse port \"{n}\""));
                    None
                }
            },
            Value::String(s) => match split_host_port(s) {
                Some((h, p)) => match p.parse::<i32>() {
                    Ok(p) => Some((Some(h), p)),
                    Err(_) => {
                        self.err(key, v, format!("could not parse port {p:?}"));
                        None
                    }
                },
                None => {
                    self.err(key, v, format!("could not parse address string {s:?}"));
                    None
                }
            },
            other => {
                self.err(
                    key,
                    v,
                    format!("expected port or host:port, got {}", other.type_name()),
                );
                None
            }
        }
    }

    fn tls(&mut self, key: &str, v: &Spanned<Value>) -> Option<TlsOptions> {
        let m = self.map(key, v)?;
        let mut t = TlsOptions::default();
        for (mk, mv) in m.iter() {
            match mk.to_ascii_lowercase().as_str() {
                "cert_file" => t.cert_file = self.string(mk, mv).map(PathBuf::from),
                "key_file" => t.key_file = self.string(mk, mv).map(PathBuf::from),
                "ca_file" => t.ca_file = self.string(mk, mv).map(PathBuf::from),
                "insecure" => set(&mut t.insecure, self.bool(mk, mv)),
                "verify" => set(&mut t.verify, self.bool(mk, mv)),
                "verify_and_map" => {
                    if let Some(b) = self.bool(mk, mv) {
                        t.verify_and_map = b;
                        if b {
                            t.verify = true;
                        }
                    }
                }
                "timeout" => set(
                    &mut t.timeout,
                    self.seconds("error parsing tls config, 'timeout'", mk, mv),
                ),
                "cipher_suites" => set(&mut t.cipher_suites, self.strings(mk, mv)),
                "curve_preferences" => set(&mut t.curve_preferences, self.strings(mk, mv)),
                "pinned_certs" => set(&mut t.pinned_certs, self.strings(mk, mv)),
                "min_version" => t.min_version = self.string(mk, mv),
                "handshake_first" | "first" | "immediate" => match &mv.value {
                    Value::Bool(b) => {
                        t.handshake_first = if *b {
                            HandshakeFirst::On
                        } else {
                            HandshakeFirst::Off
                        }
                    }
                    Value::String(s) => match s.to_ascii_lowercase().as_str() {
                        "true" | "on" => t.handshake_first = HandshakeFirst::On,
                        "false" | "off" => t.handshake_first = HandshakeFirst::Off,
                        "auto" | "auto_fallback" => {
                            t.handshake_first = HandshakeFirst::Fallback(Duration::from_millis(50))
                        }
                        _ => match parse_go_duration(s) {
                            Ok(d) => t.handshake_first = HandshakeFirst::Fallback(d),
                            Err(_) => {
                                self.err(mk, mv, format!("field {mk:?}'s value {s:?} is invalid"))
                            }
                        },
                    },
                    other => self.err(
                        mk,
                        mv,
                        format!(
                            "field {mk:?} should be a boolean or a string, got {}",
                            other.type_name()
                        ),
                    ),
                },
                "verify_cert_and_check_known_urls"
                | "allow_insecure_cipher_suites"
                | "connection_rate_limit"
                | "cert_store"
                | "cert_match_by"
                | "cert_match"
                | "ca_certs_match"
                | "cert_match_skip_invalid"
                | "ocsp_peer"
                | "certs"
                | "certificates" => self.unsupported(mk, mv),
                _ => self.err(
                    mk,
                    mv,
                    format!("error parsing tls config, unknown field {mk:?}"),
                ),
            }
        }
        // GenTLSConfig (server/opts.go): the pair must be complete and load.
        let problem = match (&t.cert_file, &t.key_file) {
            (Some(_), None) => Some("missing 'key_file' in TLS configuration".to_string()),
            (None, Some(_)) => Some("missing 'cert_file' in TLS configuration".to_string()),
            (Some(c), Some(k)) => [c, k].into_iter().find_map(|f| {
                std::fs::metadata(f).err().map(|e| {
                    format!(
                        "error parsing X509 certificate/key pair: open {}: {}",
                        f.display(),
                        crate::error::go_io_reason(&e)
                    )
                })
            }),
            (None, None) => None,
        };
        if let Some(msg) = problem {
            self.err(key, v, msg);
            return None;
        }
        Some(t)
    }

    fn cluster(&mut self, key: &str, v: &Spanned<Value>) -> Option<ClusterOptions> {
        let Value::Map(m) = &v.value else {
            self.err(
                key,
                v,
                format!(
                    "Expected map to define cluster, got {}",
                    v.value.type_name()
                ),
            );
            return None;
        };
        let mut c = ClusterOptions::default();
        for (mk, mv) in m.iter() {
            match mk.to_ascii_lowercase().as_str() {
                "name" => {
                    if let Some(n) = self.string(mk, mv) {
                        if n.contains(' ') {
                            self.err(mk, mv, "cluster name cannot contain spaces".to_string());
                        } else {
                            c.name = Some(n);
                        }
                    }
                }
                "listen" => {
                    if let Some((h, p)) = self.listen(mk, mv) {
                        c.host = h.unwrap_or_default();
                        c.port = p;
                    }
                }
                "port" => set(&mut c.port, self.int32(mk, mv)),
                "host" | "net" => set(&mut c.host, self.string(mk, mv)),
                "authorization" => {
                    let Some(am) = self.map(mk, mv) else { continue };
                    for (ak, av) in am.iter() {
                        match ak.to_ascii_lowercase().as_str() {
                            "user" | "username" => c.user = self.string(ak, av),
                            "pass" | "password" => c.password = self.string(ak, av),
                            "timeout" => {
                                c.auth_timeout = self.seconds(
                                    "error parsing authorization config, 'timeout'",
                                    ak,
                                    av,
                                )
                            }
                            "users" => self.err(
                                ak,
                                av,
                                "Cluster authorization does not allow multiple users".to_string(),
                            ),
                            "token" => self.err(
                                ak,
                                av,
                                "Cluster authorization does not support tokens".to_string(),
                            ),
                            "permissions" | "default_permissions" | "default_permission" => {
                                self.permissions(ak, av);
                            }
                            _ => self.unknown(ak, av),
                        }
                    }
                }
                "routes" => set(&mut c.routes, self.strings(mk, mv)),
                "tls" => c.tls = self.tls(mk, mv),
                "cluster_advertise" | "advertise" => c.advertise = self.string(mk, mv),
                "no_advertise" => set(&mut c.no_advertise, self.bool(mk, mv)),
                "connect_retries" => set(&mut c.connect_retries, self.int(mk, mv)),
                "pool_size" => c.pool_size = self.int(mk, mv),
                "ping_interval" => c.ping_interval = self.duration(mk, mk, mv),
                "ping_max" => {
                    self.int(mk, mv);
                }
                "write_deadline" => {
                    self.duration(mk, mk, mv);
                }
                "connect_backoff" | "permissions" | "accounts" | "compression"
                | "write_timeout" => self.unsupported(mk, mv),
                _ => self.unknown(mk, mv),
            }
        }
        Some(c)
    }

    fn leafnodes(&mut self, key: &str, v: &Spanned<Value>) -> Option<LeafNodeOptions> {
        let Value::Map(m) = &v.value else {
            self.err(
                key,
                v,
                format!(
                    "Expected map to define a leafnode, got {}",
                    v.value.type_name()
                ),
            );
            return None;
        };
        let mut l = LeafNodeOptions {
            host: "0.0.0.0".to_string(),
            ..Default::default()
        };
        for (mk, mv) in m.iter() {
            match mk.to_ascii_lowercase().as_str() {
                "listen" => {
                    if let Some((h, p)) = self.listen(mk, mv) {
                        if let Some(h) = h {
                            l.host = h;
                        }
                        l.port = p;
                    }
                }
                "port" => set(&mut l.port, self.int32(mk, mv)),
                "host" | "net" => set(&mut l.host, self.string(mk, mv)),
                "tls" => l.tls = self.tls(mk, mv),
                "reconnect" | "reconnect_delay" | "reconnect_interval" => {
                    l.reconnect = self.duration(mk, mk, mv)
                }
                "remotes" => {
                    let Value::Array(a) = &mv.value else {
                        self.err(
                            mk,
                            mv,
                            format!(
                                "Expected remotes field to be an array, got {}",
                                mv.value.type_name()
                            ),
                        );
                        continue;
                    };
                    for r in a {
                        if let Some(r) = self.remote_leaf(r) {
                            l.remotes.push(r);
                        }
                    }
                }
                "authorization"
                | "dial_timeout"
                | "leafnode_advertise"
                | "advertise"
                | "no_advertise"
                | "min_version"
                | "minimum_version"
                | "compression"
                | "isolate_leafnode_interest"
                | "isolate"
                | "write_deadline"
                | "write_timeout" => self.unsupported(mk, mv),
                _ => self.unknown(mk, mv),
            }
        }
        Some(l)
    }

    fn remote_leaf(&mut self, r: &Spanned<Value>) -> Option<RemoteLeafOptions> {
        let Value::Map(m) = &r.value else {
            self.err(
                "remotes",
                r,
                format!(
                    "Expected remote leafnode entry to be a map/struct, got {}",
                    display_value(&r.value)
                ),
            );
            return None;
        };
        let mut out = RemoteLeafOptions::default();
        for (k, v) in m.iter() {
            match k.to_ascii_lowercase().as_str() {
                "url" | "urls" => set(&mut out.urls, self.strings(k, v)),
                "account" | "local" => out.account = self.string(k, v),
                "creds" | "credentials" => out.credentials = self.string(k, v).map(PathBuf::from),
                "tls" => out.tls = self.tls(k, v),
                "no_randomize"
                | "dont_randomize"
                | "nkey"
                | "seed"
                | "hub"
                | "deny_imports"
                | "deny_import"
                | "deny_exports"
                | "deny_export"
                | "ws_compress"
                | "ws_compression"
                | "websocket_compress"
                | "websocket_compression"
                | "ws_no_masking"
                | "websocket_no_masking"
                | "jetstream_cluster_migrate"
                | "js_cluster_migrate"
                | "isolate_leafnode_interest"
                | "isolate"
                | "request_isolation"
                | "compression"
                | "first_info_timeout"
                | "dial_timeout"
                | "disabled"
                | "proxy"
                | "ignore_discovered_servers" => self.unsupported(k, v),
                _ => self.unknown(k, v),
            }
        }
        Some(out)
    }

    /// jetmirror's `upstream { ... }` (spec Part Z).
    fn upstream(&mut self, key: &str, v: &Spanned<Value>) -> Option<UpstreamOptions> {
        let m = self.map(key, v)?;
        let mut u = UpstreamOptions::default();
        for (mk, mv) in m.iter() {
            match mk.to_ascii_lowercase().as_str() {
                "url" | "urls" => {
                    if let Some(list) = self.strings(mk, mv) {
                        u.urls.extend(list);
                    }
                }
                "user" | "username" => u.user = self.string(mk, mv),
                "pass" | "password" => u.password = self.string(mk, mv),
                "token" => u.token = self.string(mk, mv),
                "name" => u.name = self.string(mk, mv),
                "creds" | "credentials" => u.credentials = self.string(mk, mv).map(PathBuf::from),
                "nkey" | "seed" => u.nkey = self.string(mk, mv),
                "tls" => u.tls = self.tls(mk, mv),
                _ => self.unknown(mk, mv),
            }
        }
        if u.urls.is_empty() {
            self.err(key, v, "upstream requires a url or urls".to_string());
            return None;
        }
        Some(u)
    }

    /// server/opts.go `parseUsers`.
    fn users(
        &mut self,
        key: &str,
        v: &Spanned<Value>,
        account: Option<&str>,
    ) -> (Vec<User>, Vec<NkeyUser>) {
        let mut users = Vec::new();
        let mut nkeys = Vec::new();
        let Value::Array(a) = &v.value else {
            self.err(
                key,
                v,
                format!(
                    "Expected users field to be an array, got {}",
                    display_value(&v.value)
                ),
            );
            return (users, nkeys);
        };
        for e in a {
            let Value::Map(m) = &e.value else {
                self.err(
                    key,
                    e,
                    format!(
                        "Expected user entry to be a map/struct, got {}",
                        display_value(&e.value)
                    ),
                );
                continue;
            };
            let mut user: Option<String> = None;
            let mut pass: Option<String> = None;
            let mut nkey: Option<String> = None;
            let mut perms = None;
            let mut types = Vec::new();
            for (k, uv) in m.iter() {
                match k.to_ascii_lowercase().as_str() {
                    "nkey" => nkey = self.string(k, uv),
                    "user" | "username" => user = self.string(k, uv),
                    "pass" | "password" => pass = self.string(k, uv),
                    "permission" | "permissions" | "authorization" => {
                        perms = self.permissions(k, uv)
                    }
                    "allowed_connection_types" | "connection_types" | "clients" => {
                        set(&mut types, self.strings(k, uv))
                    }
                    "proxy_required" => {
                        self.bool(k, uv);
                    }
                    _ => self.unknown(k, uv),
                }
            }
            if let Some(nk) = nkey {
                // nats-server's `nkeys.IsValidPublicUserKey`: a checksummed `U…` public key.
                let user_prefix = 20 << 3;
                if !nkeys::from_public_key(&nk).is_ok_and(|(prefix, _)| prefix == user_prefix) {
                    self.err(key, e, "Not a valid public nkey for a user".to_string());
                    continue;
                }
                if user.is_some() || pass.is_some() {
                    self.err(
                        key,
                        e,
                        "Nkey users do not take usernames or passwords".to_string(),
                    );
                    continue;
                }
                nkeys.push(NkeyUser {
                    nkey: nk,
                    permissions: perms,
                    account: account.map(str::to_string),
                    allowed_connection_types: types,
                });
            } else {
                let Some(u) = user.filter(|u| !u.is_empty()) else {
                    self.err(key, e, "User entry requires a user".to_string());
                    continue;
                };
                users.push(User {
                    user: u,
                    password: pass,
                    permissions: perms,
                    account: account.map(str::to_string),
                    allowed_connection_types: types,
                });
            }
        }
        (users, nkeys)
    }

    /// server/opts.go `parseUserPermissions`.
    fn permissions(&mut self, key: &str, v: &Spanned<Value>) -> Option<Permissions> {
        let Value::Map(m) = &v.value else {
            self.err(
                key,
                v,
                format!(
                    "Expected permissions to be a map/struct, got {}",
                    display_value(&v.value)
                ),
            );
            return None;
        };
        let mut p = Permissions::default();
        for (k, pv) in m.iter() {
            match k.to_ascii_lowercase().as_str() {
                "pub" | "publish" | "import" => p.publish = self.subject_permission(k, pv, false),
                "sub" | "subscribe" | "export" => {
                    p.subscribe = self.subject_permission(k, pv, true)
                }
                "publish_allow_responses" | "allow_responses" => match &pv.value {
                    Value::Bool(true) => p.allow_responses = Some(ResponsePermission::default()),
                    Value::Bool(false) => {}
                    Value::Map(rm) => {
                        let mut rp = ResponsePermission::default();
                        for (rk, rv) in rm.iter() {
                            match rk.to_ascii_lowercase().as_str() {
                                "max" | "max_msgs" | "max_messages" | "max_responses" => {
                                    set(&mut rp.max, self.int(rk, rv))
                                }
                                "expires" | "expiration" | "ttl" => match &rv.value {
                                    Value::String(s) => match parse_go_duration(s) {
                                        Ok(d) => rp.expires = d,
                                        Err(e) => {
                                            self.err(rk, rv, format!("error parsing expires: {e}"))
                                        }
                                    },
                                    _ => self.type_err(rk, rv, "string"),
                                },
                                _ => self.err(
                                    rk,
                                    rv,
                                    format!("Unknown field {rk:?} parsing permissions"),
                                ),
                            }
                        }
                        p.allow_responses = Some(rp);
                    }
                    _ => self.type_err(k, pv, "bool"),
                },
                _ => {
                    if !pv.used_variable {
                        self.err(k, pv, format!("Unknown field {k:?} parsing permissions"))
                    }
                }
            }
        }
        Some(p)
    }

    /// `parseVariablePermissions`: `{allow, deny}` or a string/array (allow).
    fn subject_permission(
        &mut self,
        key: &str,
        v: &Spanned<Value>,
        queue_ok: bool,
    ) -> Option<SubjectPermission> {
        let mut sp = SubjectPermission::default();
        match &v.value {
            Value::Map(m) => {
                for (k, sv) in m.iter() {
                    match k.to_ascii_lowercase().as_str() {
                        "allow" => sp.allow = self.subjects(k, sv, queue_ok)?,
                        "deny" => sp.deny = self.subjects(k, sv, queue_ok)?,
                        _ => self.err(
                            k,
                            sv,
                            format!(
                                "Unknown field name {k:?} parsing subject permissions, only 'allow' or 'deny' are permitted"
                            ),
                        ),
                    }
                }
            }
            _ => sp.allow = self.subjects(key, v, queue_ok)?,
        }
        Some(sp)
    }

    fn subjects(&mut self, key: &str, v: &Spanned<Value>, queue_ok: bool) -> Option<Vec<String>> {
        let list = self.strings(key, v)?;
        for s in &list {
            let subject = if queue_ok {
                s.split_whitespace().next().unwrap_or("")
            } else {
                s.as_str()
            };
            let queue_form = queue_ok && s.split_whitespace().count() == 2;
            if !is_valid_subject(if queue_form { subject } else { s }) {
                self.err(key, v, format!("subject {s:?} is not a valid subject"));
                return None;
            }
        }
        Some(list)
    }

    /// server/opts.go `parseAccounts` (map form; the old array-of-names form too).
    fn accounts(&mut self, key: &str, v: &Spanned<Value>) -> Vec<Account> {
        let mut out: Vec<Account> = Vec::new();
        match &v.value {
            Value::Array(a) => {
                for e in a {
                    if let Some(n) = self.string(key, e) {
                        out.push(Account {
                            name: n,
                            ..Default::default()
                        });
                    }
                }
            }
            Value::Map(m) => {
                for (name, av) in m.iter() {
                    if name == "$G" {
                        self.err(name, av, format!("{name:?} is a Reserved Account"));
                        continue;
                    }
                    let mut acc = Account {
                        name: name.clone(),
                        ..Default::default()
                    };
                    let Value::Map(am) = &av.value else {
                        self.err(
                            name,
                            av,
                            format!(
                                "Expected map entries for accounts, got {}",
                                av.value.type_name()
                            ),
                        );
                        continue;
                    };
                    for (k, x) in am.iter() {
                        match k.to_ascii_lowercase().as_str() {
                            "users" => {
                                let (u, n) = self.users(k, x, Some(name));
                                acc.users = u;
                                acc.nkeys = n;
                            }
                            "jetstream" => acc.jetstream = self.account_jetstream(k, x),
                            "exports" => acc.exports = self.exports(k, x),
                            "imports" => acc.imports = self.imports(k, x),
                            "default_permissions" => {
                                acc.default_permissions = self.permissions(k, x)
                            }
                            "nkey" | "mappings" | "maps" | "limits" | "msg_trace"
                            | "trace_dest" => self.unsupported(k, x),
                            _ => self.unknown(k, x),
                        }
                    }
                    if let Some(d) = &acc.default_permissions {
                        for u in acc.users.iter_mut().filter(|u| u.permissions.is_none()) {
                            u.permissions = Some(d.clone());
                        }
                        for n in acc.nkeys.iter_mut().filter(|n| n.permissions.is_none()) {
                            n.permissions = Some(d.clone());
                        }
                    }
                    out.push(acc);
                }
            }
            other => self.err(
                key,
                v,
                format!("Expected map to define accounts, got {}", other.type_name()),
            ),
        }
        for msg in check_imports(&out) {
            self.err(key, v, msg);
        }
        out
    }

    fn account_jetstream(&mut self, key: &str, v: &Spanned<Value>) -> Option<AccountJetStream> {
        match &v.value {
            Value::Bool(true) => Some(AccountJetStream::default()),
            Value::Bool(false) => None,
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "enabled" | "enable" => Some(AccountJetStream::default()),
                "disabled" | "disable" => None,
                _ => {
                    self.err(
                        key,
                        v,
                        format!("Expected 'enabled' or 'disabled' for string value, got '{s}'"),
                    );
                    None
                }
            },
            Value::Map(m) => {
                let mut js = AccountJetStream::default();
                for (k, x) in m.iter() {
                    match k.to_ascii_lowercase().as_str() {
                        "max_memory" | "max_mem" | "mem" | "memory" => match self.storage_size(x) {
                            Ok(n) => js.max_memory = n,
                            Err(e) => self.err(k, x, format!("{k} {e}")),
                        },
                        "max_file" | "max_store" | "file" | "store" | "max_disk" | "disk" => {
                            match self.storage_size(x) {
                                Ok(n) => js.max_file = n,
                                Err(e) => self.err(k, x, format!("{k} {e}")),
                            }
                        }
                        "max_streams" | "streams" => set(&mut js.max_streams, self.int(k, x)),
                        "max_consumers" | "consumers" => set(&mut js.max_consumers, self.int(k, x)),
                        "max_ack_pending" => set(&mut js.max_ack_pending, self.int(k, x)),
                        _ => self.unsupported(k, x),
                    }
                }
                Some(js)
            }
            other => {
                self.err(
                    key,
                    v,
                    format!(
                        "Expected map, bool or string to define JetStream, got {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    fn exports(&mut self, key: &str, v: &Spanned<Value>) -> Vec<Export> {
        let mut out = Vec::new();
        let Value::Array(a) = &v.value else {
            self.type_err(key, v, "[]interface {}");
            return out;
        };
        for e in a {
            let Some(m) = self.map(key, e) else { continue };
            let mut kind = None;
            let mut subject = String::new();
            let mut accounts = Vec::new();
            let mut response_type = None;
            for (k, x) in m.iter() {
                match k.to_ascii_lowercase().as_str() {
                    "stream" | "service" => {
                        kind = Some(if k.eq_ignore_ascii_case("stream") {
                            ExportKind::Stream
                        } else {
                            ExportKind::Service
                        });
                        set(&mut subject, self.string(k, x));
                    }
                    "accounts" => set(&mut accounts, self.strings(k, x)),
                    "response" | "response_type" => response_type = self.string(k, x),
                    _ => self.unsupported(k, x),
                }
            }
            match kind {
                Some(kind) => out.push(Export {
                    kind,
                    subject,
                    accounts,
                    response_type,
                }),
                None => self.err(key, e, "Expected a stream or service export".to_string()),
            }
        }
        out
    }

    fn imports(&mut self, key: &str, v: &Spanned<Value>) -> Vec<Import> {
        let mut out = Vec::new();
        let Value::Array(a) = &v.value else {
            self.type_err(key, v, "[]interface {}");
            return out;
        };
        for e in a {
            let Some(m) = self.map(key, e) else { continue };
            let mut imp: Option<Import> = None;
            let mut to = None;
            let mut prefix = None;
            for (k, x) in m.iter() {
                match k.to_ascii_lowercase().as_str() {
                    "stream" | "service" => {
                        let kind = if k.eq_ignore_ascii_case("stream") {
                            ExportKind::Stream
                        } else {
                            ExportKind::Service
                        };
                        let Some(src) = self.map(k, x) else { continue };
                        let mut account = String::new();
                        let mut subject = String::new();
                        for (sk, sv) in src.iter() {
                            match sk.to_ascii_lowercase().as_str() {
                                "account" => set(&mut account, self.string(sk, sv)),
                                "subject" => set(&mut subject, self.string(sk, sv)),
                                _ => self.unsupported(sk, sv),
                            }
                        }
                        imp = Some(Import {
                            kind,
                            account,
                            subject,
                            to: None,
                            prefix: None,
                        });
                    }
                    "to" => to = self.string(k, x),
                    "prefix" => prefix = self.string(k, x),
                    _ => self.unsupported(k, x),
                }
            }
            match imp {
                Some(mut i) => {
                    i.to = to;
                    i.prefix = prefix;
                    out.push(i);
                }
                None => self.err(key, e, "Expected a stream or service import".to_string()),
            }
        }
        out
    }
}

/// The checks nats-server makes once every account is parsed (opts.go `parseAccounts`):
/// export `accounts` lists name defined accounts, and every import names a defined account
/// that exports a subject covering it to the importer. Stream exports, service exports,
/// stream imports, then service imports, as nats-server reports them.
fn check_imports(accounts: &[Account]) -> Vec<String> {
    let mut errors = Vec::new();
    let defined = |n: &str| accounts.iter().find(|a| a.name == n);
    for kind in [ExportKind::Stream, ExportKind::Service] {
        let what = match kind {
            ExportKind::Stream => "stream",
            ExportKind::Service => "service",
        };
        for a in accounts {
            for e in a.exports.iter().filter(|e| e.kind == kind) {
                for n in &e.accounts {
                    if defined(n).is_none() {
                        errors.push(format!("{n:?} account not defined for {what} export"));
                    }
                }
            }
        }
    }
    for kind in [ExportKind::Stream, ExportKind::Service] {
        let what = match kind {
            ExportKind::Stream => "stream",
            ExportKind::Service => "service",
        };
        for a in accounts {
            for i in a.imports.iter().filter(|i| i.kind == kind) {
                let Some(exporter) = defined(&i.account) else {
                    errors.push(format!(
                        "{:?} account not defined for {what} import",
                        i.account
                    ));
                    continue;
                };
                let ok = exporter.exports.iter().any(|e| {
                    e.kind == kind
                        && jetmirror_subject::subject_is_subset(&i.subject, &e.subject)
                        && (e.accounts.is_empty() || e.accounts.contains(&a.name))
                });
                if !ok {
                    errors.push(format!(
                        "Error adding {what} import {:?}: {what} import not authorized",
                        i.subject
                    ));
                }
            }
        }
    }
    errors
}

/// nats-server's `isBcrypt`: `^\$2[abxy]\$\d{2}\$.*`.
pub fn is_bcrypt(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() >= 7
        && b.first() == Some(&b'$')
        && b.get(1) == Some(&b'2')
        && matches!(b.get(2), Some(b'a' | b'b' | b'x' | b'y'))
        && b.get(3) == Some(&b'$')
        && b.get(4).is_some_and(u8::is_ascii_digit)
        && b.get(5).is_some_and(u8::is_ascii_digit)
        && b.get(6) == Some(&b'$')
}

/// nats-server's `IsValidSubject`.
pub fn is_valid_subject(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut fwc = false;
    for t in s.split('.') {
        if t.is_empty() || fwc {
            return false;
        }
        if t.len() > 1 {
            if t.contains(['\t', '\n', '\x0c', '\r', ' ']) {
                return false;
            }
            continue;
        }
        match t {
            ">" => fwc = true,
            " " | "\t" | "\n" | "\r" | "\x0c" => return false,
            _ => {}
        }
    }
    true
}

/// Go's `net.SplitHostPort` for the common forms (`h:p`, `[v6]:p`, `:p`).
pub(crate) fn split_host_port(s: &str) -> Option<(String, String)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        if port.contains(':') {
            return None;
        }
        return Some((host.to_string(), port.to_string()));
    }
    let (host, port) = s.rsplit_once(':')?;
    if host.contains(':') || host.contains('[') || host.contains(']') {
        return None;
    }
    Some((host.to_string(), port.to_string()))
}
