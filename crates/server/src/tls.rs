//! TLS on the client port, as nats-server does it: the rustls server configuration built
//! from `tls { cert_file, key_file, ca_file, verify, timeout, handshake_first, min_version,
//! cipher_suites }` (or `--tls*` flags), and the accept path of a connection:
//!
//! - normal flow: INFO goes out in plaintext, then the server performs the TLS handshake
//!   (the client upgrades on seeing `tls_required`), then CONNECT arrives over TLS;
//! - `handshake_first: true`: the TLS handshake comes first, INFO follows over TLS;
//! - `handshake_first: "300ms"` (or `"auto"`, 50 ms): wait that long for the client's
//!   first bytes; if some arrive, TLS first; else send INFO and continue the normal flow;
//! - `allow_non_tls`: after INFO, the first byte tells a TLS ClientHello (0x16) from a
//!   plaintext CONNECT.
//!
//! A handshake that fails or does not finish within `timeout` closes the connection
//! ("TLS Handshake Failure" in `/connz?state=closed`), logged at debug level for probes
//! (plaintext or silent peers) and at error level otherwise, as nats-server logs it.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::{Buf, Bytes};
use jetmirror_config::{HandshakeFirst, TlsOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, error};

use crate::server::ServerState;

/// Why the TLS configuration could not be built (texts follow nats-server's
/// `GenTLSConfig` errors).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("missing 'cert_file' or 'key_file' in TLS configuration")]
    MissingPair,
    #[error("error parsing X509 certificate/key pair: open {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("error parsing X509 certificate/key pair: {path}: failed to find any PEM data in certificate input")]
    NoCertificate { path: PathBuf },
    #[error(
        "error parsing X509 certificate/key pair: {path}: failed to find any PEM data in key input"
    )]
    NoKey { path: PathBuf },
    #[error("failed to parse root ca certificate from {path}: {reason}")]
    Ca { path: PathBuf, reason: String },
    #[error("error parsing tls config: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("error parsing tls config: unsupported TLS version {0:?}")]
    MinVersion(String),
    #[error(
        "error parsing tls config: client verification needs a 'ca_file' (no system roots found)"
    )]
    VerifyWithoutCa,
    #[error("error parsing tls config: {0}")]
    Verifier(String),
}

/// The client port's TLS, built once at start and again on each reload.
pub struct ServerTls {
    pub acceptor: TlsAcceptor,
    /// The same certificate without client verification, for `https_port` (nats-server's
    /// monitoring TLS never asks for a client certificate).
    pub https_acceptor: TlsAcceptor,
    /// Clients must present a certificate signed by `ca_file` (INFO `tls_verify`).
    pub verify: bool,
    pub timeout: Duration,
    pub handshake_first: HandshakeFirst,
    /// The server certificate's expiry, RFC 3339 (`/varz` `tls_cert_not_after`).
    pub cert_not_after: Option<String>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("verify", &self.verify)
            .field("timeout", &self.timeout)
            .field("handshake_first", &self.handshake_first)
            .finish_non_exhaustive()
    }
}

/// The crypto provider every TLS configuration of the node uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads every certificate of a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let bytes = std::fs::read(path).map_err(|source| TlsSetupError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// Reads the first private key (PKCS#8, PKCS#1 or SEC1) of a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    let bytes = std::fs::read(path).map_err(|source| TlsSetupError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| TlsSetupError::NoKey {
        path: path.to_path_buf(),
    })
}

/// The roots of a CA file.
pub fn load_roots(path: &Path) -> Result<RootCertStore, TlsSetupError> {
    let certs = load_certs(path).map_err(|e| TlsSetupError::Ca {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut roots = RootCertStore::empty();
    for c in certs {
        roots.add(c).map_err(|e| TlsSetupError::Ca {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    Ok(roots)
}

/// The protocol versions allowed by `min_version` (rustls speaks 1.2 and 1.3 only;
/// nats-server's default minimum is 1.2).
fn versions(
    min: Option<&str>,
) -> Result<&'static [&'static rustls::SupportedProtocolVersion], TlsSetupError> {
    static BOTH: &[&rustls::SupportedProtocolVersion] =
        &[&rustls::version::TLS13, &rustls::version::TLS12];
    static ONLY13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
    match min.map(str::trim) {
        None | Some("") | Some("1.2") | Some("TLS12") => Ok(BOTH),
        Some("1.3") | Some("TLS13") => Ok(ONLY13),
        Some(other) => Err(TlsSetupError::MinVersion(other.to_string())),
    }
}

/// The provider with `cipher_suites` applied: the listed TLS 1.2 suites (by their IANA
/// names, as nats-server takes them); TLS 1.3 suites are always on (Go does not let them
/// be configured either).
fn provider_with_suites(suites: &[String]) -> Arc<rustls::crypto::CryptoProvider> {
    let mut p = rustls::crypto::ring::default_provider();
    if !suites.is_empty() {
        p.cipher_suites.retain(|s| {
            s.version() == &rustls::version::TLS13
                || suites
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(&format!("{:?}", s.suite())))
        });
    }
    Arc::new(p)
}

/// Builds the client port's TLS from the options.
pub fn server_tls(o: &TlsOptions) -> Result<ServerTls, TlsSetupError> {
    let (Some(cert), Some(key)) = (&o.cert_file, &o.key_file) else {
        return Err(TlsSetupError::MissingPair);
    };
    let chain = load_certs(cert)?;
    let key = load_key(key)?;
    let cert_not_after = chain.first().and_then(|c| cert_not_after(c.as_ref()));
    let provider = provider_with_suites(&o.cipher_suites);
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions(o.min_version.as_deref())?)?;
    let https = builder
        .clone()
        .with_no_client_auth()
        .with_single_cert(chain.clone(), key.clone_key())?;
    let builder = if o.verify {
        // Without `ca_file`, Go verifies clients against the system's roots.
        let roots = match &o.ca_file {
            Some(ca) => load_roots(ca)?,
            None => {
                let mut roots = RootCertStore::empty();
                for c in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(c);
                }
                if roots.is_empty() {
                    return Err(TlsSetupError::VerifyWithoutCa);
                }
                roots
            }
        };
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| TlsSetupError::Verifier(e.to_string()))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        // As nats-server: a `ca_file` without `verify` loads the CAs but asks for no
        // client certificate.
        if let Some(ca) = &o.ca_file {
            load_roots(ca)?;
        }
        builder.with_no_client_auth()
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols.clear();
    Ok(ServerTls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        https_acceptor: TlsAcceptor::from(Arc::new(https)),
        verify: o.verify,
        timeout: if o.timeout.is_zero() {
            Duration::from_secs(2)
        } else {
            o.timeout
        },
        // A zero fallback delay is plain TLS first (nats-server falls back only for > 0).
        handshake_first: match o.handshake_first {
            HandshakeFirst::Fallback(d) if d.is_zero() => HandshakeFirst::On,
            ref other => other.clone(),
        },
        cert_not_after,
    })
}

/// A stream that first replays bytes already read from it (the sniffed first bytes).
#[derive(Debug)]
pub struct Prefixed<S> {
    prefix: Bytes,
    inner: S,
}

impl<S> Prefixed<S> {
    pub fn new(prefix: Bytes, inner: S) -> Self {
        Prefixed { prefix, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            if let Some(head) = self.prefix.get(..n) {
                buf.put_slice(head);
            }
            self.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Reads whatever arrives within `wait` (at most 8 bytes). `None` when the peer closed
/// or the read failed.
async fn sniff(tcp: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut buf = [0u8; 8];
    match tokio::time::timeout(wait, tcp.read(&mut buf)).await {
        Err(_) => Some(Vec::new()),
        Ok(Ok(0)) | Ok(Err(_)) => None,
        Ok(Ok(n)) => Some(buf.get(..n).map(<[u8]>::to_vec).unwrap_or_default()),
    }
}

/// A plaintext or a failed first record: what load balancers and non-TLS clients cause,
/// which nats-server logs at debug level only.
fn is_probe(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::UnexpectedEof {
        return true;
    }
    matches!(
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::InvalidMessage(_))
    )
}

/// Serves one accepted connection on a node with client TLS: sends INFO and runs the
/// handshake in nats-server's order, then hands the stream to [`crate::client`].
pub async fn accept(
    state: Arc<ServerState>,
    tls: Arc<ServerTls>,
    mut tcp: TcpStream,
    addr: SocketAddr,
) {
    let cid = state.next_cid();
    let start = SystemTime::now();
    let opts = state.opts();
    let nonce = crate::client::connection_nonce(&state);
    let mut info = state.client_info_doc(cid, &addr, false, crate::accounts::GLOBAL, &nonce);
    let configured_required = info.tls_required;
    let mut tls_first = !matches!(tls.handshake_first, HandshakeFirst::Off);
    if tls_first {
        // TLS first always requires TLS (even with allow_non_tls).
        info.tls_required = true;
    }
    // Whether the handshake must happen; captured before a fallback, as nats-server.
    let mut tls_required = info.tls_required;
    let mut pre: Vec<u8> = Vec::new();
    let mut info_sent = false;
    let write_deadline = state.write_deadline();

    if let HandshakeFirst::Fallback(delay) = tls.handshake_first {
        match sniff(&mut tcp, delay).await {
            None => {
                state.record_handshake_failure(cid, addr, start);
                return;
            }
            Some(bytes) if !bytes.is_empty() => pre = bytes,
            Some(_) => {
                // Nothing came: the client waits for INFO, so send it (with the
                // configured `tls_required`) and go on as without TLS first.
                info.tls_required = configured_required;
                if send_info(&mut tcp, &info.to_json(), write_deadline)
                    .await
                    .is_err()
                {
                    state.record_handshake_failure(cid, addr, start);
                    return;
                }
                info_sent = true;
                tls_first = false;
            }
        }
    }
    if !tls_first && !info_sent {
        if send_info(&mut tcp, &info.to_json(), write_deadline)
            .await
            .is_err()
        {
            state.record_handshake_failure(cid, addr, start);
            return;
        }
        info_sent = true;
    }
    if !tls_first && opts.allow_non_tls {
        match sniff(&mut tcp, tls.timeout).await {
            None => {
                state.record_handshake_failure(cid, addr, start);
                return;
            }
            Some(bytes) => {
                tls_required = bytes.first() == Some(&0x16);
                pre = bytes;
            }
        }
    }

    if !tls_required {
        let stream = Prefixed::new(Bytes::from(pre), tcp);
        crate::client::serve_accepted(state, stream, addr, cid, None, nonce).await;
        return;
    }
    debug!("{addr} - cid:{cid} - Starting TLS client connection handshake");
    let deadline = tokio::time::Instant::now() + tls.timeout;
    if pre.is_empty() {
        let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
        match sniff(&mut tcp, wait).await {
            Some(bytes) if bytes.is_empty() => {
                debug!("{addr} - cid:{cid} - TLS handshake error: read tcp {addr}: i/o timeout");
                state.record_handshake_failure(cid, addr, start);
                return;
            }
            Some(bytes) => pre = bytes,
            None => {
                error!("{addr} - cid:{cid} - TLS handshake error: EOF");
                state.record_handshake_failure(cid, addr, start);
                return;
            }
        }
    }
    if !looks_like_tls(&pre) {
        // As Go's crypto/tls: no alert for a peer that does not speak TLS at all.
        debug!("{addr} - cid:{cid} - TLS handshake error: tls: first record does not look like a TLS handshake");
        state.record_handshake_failure(cid, addr, start);
        return;
    }
    let stream = Prefixed::new(Bytes::from(pre), tcp);
    let result = match tokio::time::timeout_at(deadline, tls.acceptor.accept(stream)).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "i/o timeout")),
    };
    match result {
        Ok(tls_stream) => {
            {
                let (_, conn) = tls_stream.get_ref();
                debug!("{addr} - cid:{cid} - TLS handshake complete");
                if let (Some(v), Some(s)) =
                    (conn.protocol_version(), conn.negotiated_cipher_suite())
                {
                    debug!(
                        "{addr} - cid:{cid} - TLS version {v:?}, cipher suite {:?}",
                        s.suite()
                    );
                }
            }
            // With TLS first the INFO goes out now, over TLS.
            let first_info = (!info_sent).then(|| info.to_json());
            crate::client::serve_accepted(state, tls_stream, addr, cid, first_info, nonce).await;
        }
        Err(e) => {
            if is_probe(&e) {
                debug!("{addr} - cid:{cid} - TLS handshake error: {e}");
            } else {
                error!("{addr} - cid:{cid} - TLS handshake error: {e}");
            }
            state.record_handshake_failure(cid, addr, start);
        }
    }
}

/// The first record header of a TLS peer: a handshake (or alert) record with a sane
/// version (Go's crypto/tls test for "first record does not look like a TLS handshake").
fn looks_like_tls(first: &[u8]) -> bool {
    let typ_ok = matches!(first.first(), Some(0x15) | Some(0x16));
    let version_ok = first.get(1).is_none_or(|major| *major < 0x10);
    typ_ok && version_ok
}

/// The `https_port` listener: TCP accepts with each TLS handshake in a task of its own
/// (a slow or silent peer holds up nobody), handing finished connections to the HTTP
/// server.
pub struct HttpsListener {
    ready: tokio::sync::mpsc::Receiver<(tokio_rustls::server::TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl HttpsListener {
    pub fn new(
        listener: tokio::net::TcpListener,
        tls: Arc<ServerTls>,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> HttpsListener {
        let local = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let (tx, ready) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    a = listener.accept() => a,
                };
                let (tcp, addr) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        debug!(error = %e, "https accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let (tx, tls) = (tx.clone(), tls.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(tls.timeout, tls.https_acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, addr)).await;
                        }
                        Ok(Err(e)) => debug!("{addr} - https TLS handshake error: {e}"),
                        Err(_) => debug!("{addr} - https TLS handshake timeout"),
                    }
                });
            }
        });
        HttpsListener { ready, local }
    }
}

impl axum::serve::Listener for HttpsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept task ended (shutdown): nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

async fn send_info(tcp: &mut TcpStream, info: &[u8], deadline: Duration) -> io::Result<()> {
    let mut out = bytes::BytesMut::with_capacity(info.len() + 8);
    jetmirror_protocol::encode_info(&mut out, info);
    match tokio::time::timeout(deadline, tcp.write_all(&out)).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "write deadline")),
    }
}

/// The `notAfter` of an X.509 certificate (DER), as RFC 3339 (`2027-01-02T03:04:05Z`).
pub fn cert_not_after(der: &[u8]) -> Option<String> {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
    //   serialNumber INTEGER, signature SEQUENCE, issuer SEQUENCE,
    //   validity SEQUENCE { notBefore Time, notAfter Time }, ... } ... }
    let (_, cert, _) = der_item(der)?;
    let (_, tbs, _) = der_item(cert)?;
    let mut rest = tbs;
    let (tag, _, next) = der_item(rest)?;
    if tag == 0xa0 {
        rest = next;
    }
    for _ in 0..3 {
        let (_, _, next) = der_item(rest)?;
        rest = next;
    }
    let (_, validity, _) = der_item(rest)?;
    let (_, _, after_not_before) = der_item(validity)?;
    let (tag, time, _) = der_item(after_not_before)?;
    let text = std::str::from_utf8(time).ok()?;
    let text = text.strip_suffix('Z')?;
    let (year, rest) = match tag {
        // UTCTime: YYMMDDHHMMSS
        0x17 => {
            let yy: u32 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        // GeneralizedTime: YYYYMMDDHHMMSS
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    if rest.len() < 10 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!(
        "{year:04}-{}-{}T{}:{}:{}Z",
        rest.get(0..2)?,
        rest.get(2..4)?,
        rest.get(4..6)?,
        rest.get(6..8)?,
        rest.get(8..10)?
    ))
}

/// One DER item: (tag, contents, the bytes after it).
fn der_item(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    Some((tag, b.get(header..end)?, b.get(end..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_are_bounded() {
        assert!(der_item(&[]).is_none());
        assert!(der_item(&[0x30]).is_none());
        assert!(der_item(&[0x30, 0x05, 1, 2]).is_none());
        assert!(der_item(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert_eq!(
            der_item(&[0x02, 0x01, 7, 9]),
            Some((0x02, &[7u8][..], &[9u8][..]))
        );
        assert!(cert_not_after(b"not a certificate").is_none());
    }

    #[test]
    fn first_records_are_sniffed_as_go_does() {
        assert!(looks_like_tls(&[0x16, 0x03, 0x01, 0x02, 0x00]));
        assert!(looks_like_tls(&[0x16]));
        assert!(!looks_like_tls(b"CONNECT {}"));
        assert!(!looks_like_tls(&[0x16, 0x10, 0x00]));
        assert!(!looks_like_tls(&[]));
    }

    #[test]
    fn versions_follow_min_version() {
        assert_eq!(versions(None).map(<[_]>::len).ok(), Some(2));
        assert_eq!(versions(Some("1.3")).map(<[_]>::len).ok(), Some(1));
        assert!(versions(Some("1.1")).is_err());
    }
}
