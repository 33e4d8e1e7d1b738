//! `upstream { url | urls, user, password, token, name, credentials, nkey, tls }` and the
//! client's timing knobs, plus parsing of server URLs (`nats://user:pass@host:port`,
//! `tls://host:port`, `host:port`).

use std::path::PathBuf;
use std::time::Duration;

use super::tls::{SetupError, UpstreamTls};

/// How to reach the upstream nats-server and how eagerly to watch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamConfig {
    /// Configured server URLs, tried in order; `connect_urls` learned from INFO are
    /// appended.
    pub urls: Vec<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    /// Connection name sent in CONNECT.
    pub name: Option<String>,
    /// A `.creds` file (user JWT and nkey seed): CONNECT carries the JWT and the signed
    /// nonce.
    pub credentials: Option<PathBuf>,
    /// An nkey seed (or the path of a file holding one): CONNECT carries the public key
    /// and the signed nonce.
    pub nkey: Option<String>,
    /// TLS to the upstream; also used when the URL is `tls://` or the upstream's INFO
    /// requires TLS (then with the system's roots if this is unset).
    pub tls: Option<UpstreamTls>,
    /// A PING is sent this often.
    pub ping_interval: Duration,
    /// The connection is declared dead when this many PINGs are unanswered at the
    /// next tick (detection within `ping_interval × (max_pings_out + 1)`).
    pub max_pings_out: u32,
    /// TCP connect plus INFO/CONNECT/PING/PONG handshake must finish within this.
    pub connect_timeout: Duration,
    /// Back-off after a full pass over the server list failed: base × 2^passes,
    /// capped, plus up to `reconnect_jitter`.
    pub reconnect_backoff_base: Duration,
    pub reconnect_backoff_cap: Duration,
    pub reconnect_jitter: Duration,
    /// Messages buffered per subscription before new ones are dropped (a slow
    /// consumer; the mirror core notices the gap and recreates its consumer).
    pub subscription_capacity: usize,
    /// Bytes queued for the socket before publishers wait.
    pub max_pending_bytes: usize,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        UpstreamConfig {
            urls: vec!["nats://127.0.0.1:4222".to_owned()],
            user: None,
            password: None,
            token: None,
            name: None,
            credentials: None,
            nkey: None,
            tls: None,
            ping_interval: Duration::from_secs(2),
            max_pings_out: 2,
            connect_timeout: Duration::from_secs(2),
            // A refused connection costs nothing: retry fast so that a restarted
            // upstream is found within half a second of accepting again.
            reconnect_backoff_base: Duration::from_millis(100),
            reconnect_backoff_cap: Duration::from_millis(400),
            reconnect_jitter: Duration::from_millis(100),
            subscription_capacity: 65_536,
            max_pending_bytes: 64 * 1024 * 1024,
        }
    }
}

impl UpstreamConfig {
    /// Default knobs for these URLs.
    pub fn new<S: Into<String>>(urls: impl IntoIterator<Item = S>) -> UpstreamConfig {
        UpstreamConfig {
            urls: urls.into_iter().map(Into::into).collect(),
            ..UpstreamConfig::default()
        }
    }
}

/// One server of the list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerAddr {
    pub host: String,
    pub port: u16,
    /// Credentials embedded in the URL (`nats://user:pass@` or `nats://token@`).
    pub user: Option<String>,
    pub password: Option<String>,
    /// True when learned from INFO `connect_urls`.
    pub learned: bool,
    /// The URL's scheme is `tls://`: TLS even if the server does not require it.
    pub tls: bool,
}

impl ServerAddr {
    /// `host:port`.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// `nats://host:port` or `tls://host:port` (no credentials).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "tls" } else { "nats" };
        format!("{scheme}://{}", self.authority())
    }
}

/// Why a URL was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("unsupported scheme in upstream url {0:?} (nats:// or tls://)")]
    Scheme(String),
    #[error("bad port in upstream url {0:?}")]
    Port(String),
    #[error("empty host in upstream url {0:?}")]
    Host(String),
    /// The TLS files or credentials could not be loaded.
    #[error(transparent)]
    Setup(#[from] SetupError),
}

/// Parses `nats://[user[:pass]@]host[:port]`, `tls://...` or `host[:port]` (port 4222
/// default).
pub fn parse_url(url: &str) -> Result<ServerAddr, UrlError> {
    let trimmed = url.trim();
    let (rest, tls) = match trimmed.split_once("://") {
        Some(("nats", rest)) => (rest, false),
        Some(("tls", rest)) => (rest, true),
        Some((_, _)) => return Err(UrlError::Scheme(url.to_owned())),
        None => (trimmed, false),
    };
    let rest = rest.trim_end_matches('/');
    let (creds, hostport) = match rest.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, rest),
    };
    let (user, password) = match creds {
        Some(c) => match c.split_once(':') {
            Some((u, p)) => (Some(u.to_owned()), Some(p.to_owned())),
            None => (Some(c.to_owned()), None),
        },
        None => (None, None),
    };
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        let (h, p) = h
            .split_once(']')
            .ok_or_else(|| UrlError::Host(url.to_owned()))?;
        (h, p.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::Host(url.to_owned()));
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| UrlError::Port(url.to_owned()))?,
        None => 4222,
    };
    Ok(ServerAddr {
        host: host.to_owned(),
        port,
        user,
        password,
        learned: false,
        tls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let a = parse_url("nats://u:p@127.0.0.1:4333").expect("parses");
        assert_eq!((a.host.as_str(), a.port), ("127.0.0.1", 4333));
        assert_eq!(
            (a.user.as_deref(), a.password.as_deref()),
            (Some("u"), Some("p"))
        );
        let b = parse_url("localhost").expect("parses");
        assert_eq!((b.host.as_str(), b.port, b.user), ("localhost", 4222, None));
        let c = parse_url("[::1]:5000").expect("parses");
        assert_eq!((c.host.as_str(), c.port), ("::1", 5000));
        assert_eq!(c.authority(), "[::1]:5000");
        let d = parse_url("nats://tok@h").expect("parses");
        assert_eq!((d.user.as_deref(), d.password), (Some("tok"), None));
        let e = parse_url("tls://h:1").expect("parses");
        assert!(e.tls);
        assert_eq!(e.url(), "tls://h:1");
        assert!(matches!(parse_url("ws://h:1"), Err(UrlError::Scheme(_))));
        assert!(matches!(parse_url("h:xx"), Err(UrlError::Port(_))));
        assert!(matches!(parse_url("nats://:1"), Err(UrlError::Host(_))));
    }
}
