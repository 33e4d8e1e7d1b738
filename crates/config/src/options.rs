//! Typed server options with nats-server's defaults (server/opts.go).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{ConfigError, Map};

/// All options the server uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The config file these options came from, if any.
    pub config_file: Option<PathBuf>,
    pub server_name: Option<String>,
    pub host: String,
    pub port: i32,
    pub client_advertise: Option<String>,
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
    /// Variables (`$X`) defined at top level but never used, etc.: warnings
    /// `file:line:col: ...` the server logs with `tracing::warn`.
    pub warnings: Vec<String>,
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
    /// `prefix` (stream) or `to` (service) as written.
    pub to: Option<String>,
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
        todo!()
    }
}

impl Options {
    /// Build options from a parsed config, type-checking every known key.
    pub fn from_map(map: &Map) -> Result<Options, ConfigError> {
        todo!()
    }

    /// Parse a file and build options from it.
    pub fn from_file(path: &Path) -> Result<Options, ConfigError> {
        todo!()
    }
}

#[allow(dead_code)]
type Unused = BTreeMap<String, String>;
