//! nats-server's command line (server/opts.go `ConfigureOptions`, main.go),
//! parsed with Go `flag` package conventions, plus jetmirror's `--upstream`.
//!
//! Go's `flag` rules: `-x` and `--x` are the same; a value follows as
//! `-p 4222` or `-p=4222`; booleans take no separate argument (`-js`,
//! `-js=false`); `-DV` is one flag name, not a bundle; parsing stops at the
//! first non-flag argument or `--`. The config file is applied first and the
//! flags on top of it, as nats-server re-parses its flags after reading the
//! file.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::options::split_host_port;
use crate::{ConfigError, HandshakeFirst, Options, TlsOptions, UpstreamOptions};

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Run(Box<Options>),
    /// `-v`, `--version` (or the positional command `version`)
    Version,
    /// `-h`, `--help` (or the positional command `help`)
    Help,
    /// `--help_tls`
    HelpTls,
    /// `-sl`/`--signal ldm|stop|quit|term|reopen|reload[=PID or PID file]`
    Signal {
        signal: String,
        pid: Option<String>,
    },
    /// `-t` with `-c`: the config file is valid and has no warnings. As in
    /// nats-server these are the file's options (flags are not applied); the
    /// binary prints `nats-server: configuration file <file> is valid` and
    /// exits 0.
    TestConfig(Box<Options>),
}

/// Command-line errors. The Display texts are nats-server's. On
/// [`CliError::UnknownFlag`] and [`CliError::InvalidValue`] nats-server also
/// prints the usage text to stdout; 2.15.1 then exits 0 (its usage function
/// calls `os.Exit(0)`), plain Go programs exit 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("flag provided but not defined: -{0}")]
    UnknownFlag(String),
    #[error("bad flag syntax: {0}")]
    BadSyntax(String),
    #[error("invalid value \"{value}\" for flag -{flag}: {reason}")]
    InvalidValue {
        flag: String,
        value: String,
        reason: String,
    },
    #[error("invalid boolean value \"{value}\" for -{flag}: parse error")]
    InvalidBool { flag: String, value: String },
    #[error("flag needs an argument: -{0}")]
    MissingValue(String),
    /// An argument that is not valid UTF-8.
    #[error("invalid argument {0:?}")]
    NotUtf8(OsString),
    /// A positional argument other than `version` or `help`.
    #[error("unrecognized command: \"{0}\"")]
    UnrecognizedCommand(String),
    /// `-t` without `-c`.
    #[error("must specify [-c, --config] option to check configuration file syntax")]
    TestWithoutConfig,
    /// Other semantic problems (`solicited routes require cluster capabilities, e.g. --cluster`).
    #[error("{0}")]
    Invalid(String),
    /// The config file failed to parse or has bad values.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `-t` and the config file has warnings: nats-server fails the check.
    #[error("{}", .0.join("\n"))]
    Warnings(Vec<String>),
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    Int,
    Str,
}

fn kind(name: &str) -> Option<Kind> {
    use Kind::*;
    Some(match name {
        "h" | "help" | "D" | "debug" | "V" | "VV" | "trace" | "DV" | "DVV" | "T" | "logtime"
        | "logtime_utc" | "t" | "s" | "syslog" | "version" | "v" | "no_advertise" | "help_tls"
        | "tls" | "tlsverify" | "js" | "jetstream" => Bool,
        "port" | "p" | "m" | "http_port" | "ms" | "https_port" | "profile" | "connect_retries"
        | "max_traced_msg_len" | "log_size_limit" => Int,
        "n" | "name" | "server_name" | "addr" | "a" | "net" | "client_advertise" | "user"
        | "pass" | "auth" | "c" | "config" | "sl" | "signal" | "P" | "pid" | "ports_file_dir"
        | "l" | "log" | "r" | "remote_syslog" | "routes" | "cluster" | "cluster_listen"
        | "cluster_advertise" | "cluster_name" | "tlscert" | "tlskey" | "tlscacert" | "sd"
        | "store_dir" | "upstream" => Str,
        _ => return None,
    })
}

#[derive(Debug, Clone)]
enum FlagValue {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// Go's `strconv.ParseBool`.
fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, then `0x`/`0o`/`0b`/`0` prefixes
/// and `_` separators after a prefix. Errors are Go's "parse error" and
/// "value out of range".
fn go_parse_int(s: &str) -> Result<i64, &'static str> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    let digits = if prefixed {
        if digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
            return Err("parse error");
        }
        digits.replace('_', "")
    } else {
        digits
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err("parse error");
    }
    let mag = u128::from_str_radix(&digits, radix).map_err(|_| "value out of range")?;
    let v: i128 = if neg { -(mag as i128) } else { mag as i128 };
    i64::try_from(v).map_err(|_| "value out of range")
}

/// Flags as given, in order: (name without dashes, value).
type Flags = Vec<(String, FlagValue)>;

/// The flags as given, in order, and the positional arguments after them.
fn scan(args: Vec<String>) -> Result<(Flags, Vec<String>), CliError> {
    let mut flags = Vec::new();
    let mut it = args.into_iter().peekable();
    while let Some(s) = it.next() {
        if s.len() < 2 || !s.starts_with('-') {
            let mut rest = vec![s];
            rest.extend(it);
            return Ok((flags, rest));
        }
        let dashes = if s.starts_with("--") { 2 } else { 1 };
        if dashes == 2 && s.len() == 2 {
            return Ok((flags, it.collect()));
        }
        let name = &s[dashes..];
        if name.is_empty() || name.starts_with('-') || name.starts_with('=') {
            return Err(CliError::BadSyntax(s));
        }
        let (name, value) = match name.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (name.to_string(), None),
        };
        let Some(k) = kind(&name) else {
            return Err(CliError::UnknownFlag(name));
        };
        let v = match k {
            Kind::Bool => match value {
                None => FlagValue::Bool(true),
                Some(v) => match go_parse_bool(&v) {
                    Some(b) => FlagValue::Bool(b),
                    None => {
                        return Err(CliError::InvalidBool {
                            flag: name,
                            value: v,
                        })
                    }
                },
            },
            Kind::Int | Kind::Str => {
                let v = match value.or_else(|| it.next()) {
                    Some(v) => v,
                    None => return Err(CliError::MissingValue(name)),
                };
                if k == Kind::Int {
                    match go_parse_int(&v) {
                        Ok(n) => FlagValue::Int(n),
                        Err(reason) => {
                            return Err(CliError::InvalidValue {
                                flag: name,
                                value: v,
                                reason: reason.to_string(),
                            })
                        }
                    }
                } else {
                    FlagValue::Str(v)
                }
            }
        };
        flags.push((name, v));
    }
    Ok((flags, Vec::new()))
}

fn last<'a>(flags: &'a [(String, FlagValue)], names: &[&str]) -> Option<&'a FlagValue> {
    flags
        .iter()
        .rev()
        .find(|(n, _)| names.contains(&n.as_str()))
        .map(|(_, v)| v)
}

fn last_bool(flags: &[(String, FlagValue)], names: &[&str]) -> Option<bool> {
    match last(flags, names) {
        Some(FlagValue::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn last_str(flags: &[(String, FlagValue)], names: &[&str]) -> Option<String> {
    match last(flags, names) {
        Some(FlagValue::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Parse nats-server's command line (without the program name).
pub fn parse_args<I: IntoIterator<Item = OsString>>(args: I) -> Result<Command, CliError> {
    let args = args
        .into_iter()
        .map(|a| a.into_string().map_err(CliError::NotUtf8))
        .collect::<Result<Vec<_>, _>>()?;
    let (flags, positional) = scan(args)?;

    if last_bool(&flags, &["version", "v"]) == Some(true) {
        return Ok(Command::Version);
    }
    if last_bool(&flags, &["h", "help"]) == Some(true) {
        return Ok(Command::Help);
    }
    if last_bool(&flags, &["help_tls"]) == Some(true) {
        return Ok(Command::HelpTls);
    }
    if let Some(cmd) = positional.first() {
        return match cmd.to_ascii_lowercase().as_str() {
            "version" => Ok(Command::Version),
            "help" => Ok(Command::Help),
            _ => Err(CliError::UnrecognizedCommand(cmd.clone())),
        };
    }
    if let Some(sig) = last_str(&flags, &["sl", "signal"]).filter(|s| !s.is_empty()) {
        let parts: Vec<&str> = sig.split('=').collect();
        if parts.len() > 2 {
            return Err(CliError::Invalid(format!(
                "invalid signal parameters: [{}]",
                parts.get(2..).unwrap_or_default().join(" ")
            )));
        }
        let signal = parts.first().copied().unwrap_or_default().to_string();
        if !matches!(
            signal.as_str(),
            "ldm" | "stop" | "quit" | "term" | "reopen" | "reload"
        ) {
            return Err(CliError::Invalid(format!("unknown signal {signal:?}")));
        }
        return Ok(Command::Signal {
            signal,
            pid: parts.get(1).map(|p| p.to_string()),
        });
    }

    let check = last_bool(&flags, &["t"]) == Some(true);
    let config = last_str(&flags, &["c", "config"]).filter(|c| !c.is_empty());
    let mut opts = match &config {
        Some(path) => {
            let mut o = Options::from_file_raw(std::path::Path::new(path))?;
            if check {
                o.apply_baseline();
                if !o.warnings.is_empty() {
                    return Err(CliError::Warnings(o.warnings));
                }
                return Ok(Command::TestConfig(Box::new(o)));
            }
            o
        }
        None if check => return Err(CliError::TestWithoutConfig),
        None => Options::unresolved(),
    };
    apply_flags(&mut opts, &flags)?;
    opts.apply_baseline();
    Ok(Command::Run(Box::new(opts)))
}

/// Apply the flags over options read from a file (or the defaults).
fn apply_flags(o: &mut Options, flags: &[(String, FlagValue)]) -> Result<(), CliError> {
    let mut upstream_from_flags = false;
    let mut routes_given: Option<String> = None;
    let mut cluster_listen: Option<String> = None;
    for (name, v) in flags {
        let s = || match v {
            FlagValue::Str(s) => s.clone(),
            _ => String::new(),
        };
        let b = matches!(v, FlagValue::Bool(true));
        let n = match v {
            FlagValue::Int(n) => *n,
            _ => 0,
        };
        let port = |n: i64| {
            i32::try_from(n).map_err(|_| CliError::InvalidValue {
                flag: name.clone(),
                value: n.to_string(),
                reason: "value out of range".to_string(),
            })
        };
        match name.as_str() {
            "port" | "p" => o.port = port(n)?,
            "n" | "name" | "server_name" => o.server_name = Some(s()).filter(|s| !s.is_empty()),
            "addr" | "a" | "net" => o.host = s(),
            "client_advertise" => o.client_advertise = Some(s()).filter(|s| !s.is_empty()),
            "D" | "debug" => o.debug = b,
            "V" | "trace" => o.trace = b,
            "T" | "logtime" => o.logtime = b,
            "logtime_utc" => o.logtime_utc = b,
            "user" => o.auth.user = Some(s()).filter(|s| !s.is_empty()),
            "pass" => o.auth.password = Some(s()).filter(|s| !s.is_empty()),
            "auth" => o.auth.token = Some(s()).filter(|s| !s.is_empty()),
            "m" | "http_port" => o.http_port = Some(port(n)?),
            "ms" | "https_port" => o.https_port = Some(port(n)?),
            "P" | "pid" => {
                o.pid_file = Some(PathBuf::from(s())).filter(|p| !p.as_os_str().is_empty())
            }
            "ports_file_dir" => {
                o.ports_file_dir = Some(PathBuf::from(s())).filter(|p| !p.as_os_str().is_empty())
            }
            "l" | "log" => {
                o.logfile = Some(PathBuf::from(s())).filter(|p| !p.as_os_str().is_empty())
            }
            "log_size_limit" => o.log_size_limit = n,
            "s" | "syslog" => o.syslog = b,
            "r" | "remote_syslog" => o.remote_syslog = Some(s()).filter(|s| !s.is_empty()),
            "profile" => o.prof_port = Some(port(n)?),
            "routes" => routes_given = Some(s()),
            "cluster" | "cluster_listen" => cluster_listen = Some(s()),
            "cluster_advertise" => {
                o.cluster.get_or_insert_with(Default::default).advertise =
                    Some(s()).filter(|s| !s.is_empty())
            }
            "no_advertise" => o.cluster.get_or_insert_with(Default::default).no_advertise = b,
            "connect_retries" => {
                o.cluster
                    .get_or_insert_with(Default::default)
                    .connect_retries = n
            }
            "cluster_name" => {
                o.cluster.get_or_insert_with(Default::default).name =
                    Some(s()).filter(|s| !s.is_empty())
            }
            "max_traced_msg_len" => o.max_traced_msg_len = n,
            "js" | "jetstream" => {
                if b {
                    if o.jetstream.is_none() {
                        o.jetstream = Some(Default::default());
                    }
                } else {
                    o.jetstream = None;
                }
            }
            "sd" | "store_dir" => {
                let dir = Some(PathBuf::from(s())).filter(|p| !p.as_os_str().is_empty());
                o.store_dir = dir.clone();
                if let Some(js) = o.jetstream.as_mut() {
                    js.store_dir = dir;
                }
            }
            "upstream" => {
                let urls: Vec<String> = s()
                    .split(',')
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .map(str::to_string)
                    .collect();
                let up = o.upstream.get_or_insert_with(UpstreamOptions::default);
                if !upstream_from_flags {
                    up.urls.clear();
                    upstream_from_flags = true;
                }
                up.urls.extend(urls);
            }
            // Handled after the loop, or not options at all.
            _ => {}
        }
    }
    // JetStream enabled by a flag takes the store dir given anywhere.
    if let Some(js) = o.jetstream.as_mut() {
        if js.store_dir.is_none() {
            js.store_dir = o.store_dir.clone();
        }
    }
    // Go visits these in lexicographic order after parsing: DV, DVV, VV.
    if let Some(v) = last_bool(flags, &["DV"]) {
        o.debug = v;
        o.trace = v;
    }
    if let Some(v) = last_bool(flags, &["DVV"]) {
        o.debug = v;
        o.trace = v;
        o.trace_verbose = v;
    }
    if let Some(v) = last_bool(flags, &["VV"]) {
        o.trace = v;
        o.trace_verbose = v;
    }
    if let Some(listen) = cluster_listen {
        override_cluster(o, &listen)?;
    }
    if let Some(r) = &routes_given {
        let c = o.cluster.get_or_insert_with(Default::default);
        c.routes = if r.is_empty() {
            Vec::new()
        } else {
            r.split(',').map(|s| s.trim().to_string()).collect()
        };
    }
    apply_tls_flags(o, flags)?;
    if routes_given.as_deref().is_some_and(|r| !r.is_empty())
        && o.cluster.as_ref().is_none_or(|c| c.port == 0)
    {
        return Err(CliError::Invalid(
            "solicited routes require cluster capabilities, e.g. --cluster".to_string(),
        ));
    }
    Ok(())
}

/// server/opts.go `overrideCluster`: `nats://[user:pass@]host:port`, port
/// `-1` for random.
fn override_cluster(o: &mut Options, listen: &str) -> Result<(), CliError> {
    let c = o.cluster.get_or_insert_with(Default::default);
    if listen.is_empty() {
        c.port = 0;
        return Ok(());
    }
    let bad = |why: &str| CliError::Invalid(why.to_string());
    let Some((_scheme, rest)) = listen.split_once("://") else {
        // Go's url.Parse: `host:port` reads as scheme `host`, no host part.
        let scheme_like = listen.split_once(':').is_some_and(|(s, _)| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        if scheme_like {
            return Err(bad("missing port in address"));
        }
        return Err(bad(&format!(
            "parse {listen:?}: first path segment in URL cannot contain colon"
        )));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let Some((host, port)) = split_host_port(hostport) else {
        return Err(bad("missing port in address"));
    };
    let port: i32 = port.parse().map_err(|_| bad("invalid port"))?;
    c.host = host;
    c.port = port;
    match userinfo {
        Some(u) => {
            let Some((user, pass)) = u.split_once(':') else {
                return Err(CliError::Invalid(
                    "expected cluster password to be set".to_string(),
                ));
            };
            c.user = Some(user.to_string());
            c.password = Some(pass.to_string());
        }
        None => {
            c.user = None;
            c.password = None;
        }
    }
    Ok(())
}

/// The `--tls*` flags (server/opts.go `overrideTLS`), visited in
/// lexicographic order like Go's `fs.Visit`.
fn apply_tls_flags(o: &mut Options, flags: &[(String, FlagValue)]) -> Result<(), CliError> {
    let mut names: Vec<&str> = flags
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.starts_with("tls"))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort_unstable();
    names.dedup();
    let mut disabled = false;
    let mut override_tls = false;
    for n in names {
        if n == "tls" {
            if last_bool(flags, &["tls"]) != Some(true) {
                o.tls = None;
                disabled = true;
                override_tls = false;
                continue;
            }
            override_tls = true;
        } else if !disabled {
            override_tls = true;
        }
    }
    if !override_tls {
        return Ok(());
    }
    let Some(cert) = last_str(flags, &["tlscert"]).filter(|s| !s.is_empty()) else {
        return Err(CliError::Invalid(
            "TLS Server certificate must be present and valid".into(),
        ));
    };
    let Some(key) = last_str(flags, &["tlskey"]).filter(|s| !s.is_empty()) else {
        return Err(CliError::Invalid(
            "TLS Server private key must be present and valid".into(),
        ));
    };
    for f in [&cert, &key] {
        if let Err(e) = std::fs::metadata(f) {
            return Err(CliError::Invalid(format!(
                "error parsing X509 certificate/key pair: open {f}: {}",
                crate::error::go_io_reason(&e)
            )));
        }
    }
    o.tls = Some(TlsOptions {
        cert_file: Some(cert.into()),
        key_file: Some(key.into()),
        ca_file: last_str(flags, &["tlscacert"])
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
        verify: last_bool(flags, &["tlsverify"]).unwrap_or(false),
        handshake_first: HandshakeFirst::Off,
        ..TlsOptions::default()
    });
    Ok(())
}

/// The usage text (main.go `usageStr`), plus jetmirror's `--upstream`.
pub fn usage() -> &'static str {
    USAGE
}

const USAGE: &str = r#"
Usage: jetmirror [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222)
    -n, --name
        --server_name <server_name>  Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -ms,--https_port <port>          Use port for https monitoring
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to the server process (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file (e.g. /var/run/nats-server.pid)
        --client_advertise <string>  Client URL to advertise to other servers
        --ports_file_dir <dir>       Creates a ports file in the specified directory (<executable_name>_<pid>.ports).

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
    -s, --syslog                     Log to syslog or windows event log
    -r, --remote_syslog <addr>       Syslog server addr (udp://localhost:514)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -VV                              Verbose trace (traces system account as well)
    -DV                              Debug and trace
    -DVV                             Debug and verbose trace (traces system account as well)
        --log_size_limit <limit>     Logfile size limit (default: auto)
        --max_traced_msg_len <len>   Maximum printable length for traced messages (default: unlimited)

JetStream Options:
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory

Mirror Options:
        --upstream <url[,url]>       Upstream nats-server holding the origin streams (repeatable)

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes
        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
        --no_advertise <bool>        Do not advertise known cluster information to clients
        --cluster_advertise <string> Cluster URL to advertise to other servers
        --connect_retries <number>   For implicit routes, number of connect retries
        --cluster_listen <url>       Cluster url from which members can solicit routes

Profiling Options:
        --profile <port>             Profiling HTTP port

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
        --help_tls                   TLS help
"#;
