//! TLS and nkey/JWT authentication of the upstream connection: the rustls client
//! configuration built from `upstream { tls { ca_file, cert_file, key_file, insecure,
//! handshake_first } }`, the socket type that is either plain or TLS, and the CONNECT
//! fields of `nkey` (a seed) and `credentials` (a `.creds` file: user JWT plus seed) auth,
//! which sign the server's nonce as the NATS clients do.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// `upstream { tls { ... } }`: how to verify the upstream and which certificate to show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpstreamTls {
    /// CAs the upstream's certificate must chain to; the system's roots when unset.
    pub ca_file: Option<PathBuf>,
    /// Client certificate and key, for upstreams that verify clients.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// Skip verification of the upstream's certificate (as nats-server's `insecure`).
    pub insecure: bool,
    /// Start the TLS handshake before reading INFO (the upstream has `handshake_first`).
    pub handshake_first: bool,
}

/// Why the TLS configuration or the credentials could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("upstream tls: cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("upstream tls: no PEM certificate in {0}")]
    NoCertificate(String),
    #[error("upstream tls: no PEM private key in {0}")]
    NoKey(String),
    #[error("upstream tls: 'cert_file' and 'key_file' go together")]
    HalfPair,
    #[error("upstream tls: {0}")]
    Rustls(String),
    #[error("upstream credentials: {0}")]
    Credentials(String),
}

fn read(path: &Path) -> Result<Vec<u8>, SetupError> {
    std::fs::read(path).map_err(|e| SetupError::Read {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, SetupError> {
    let bytes = read(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(SetupError::NoCertificate(path.display().to_string()));
    }
    Ok(certs)
}

/// Builds the rustls client configuration.
pub fn client_config(t: &UpstreamTls) -> Result<Arc<ClientConfig>, SetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError::Rustls(e.to_string()))?;
    let builder = if t.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        let mut roots = RootCertStore::empty();
        match &t.ca_file {
            Some(ca) => {
                for c in certs(ca)? {
                    roots
                        .add(c)
                        .map_err(|e| SetupError::Rustls(format!("{}: {e}", ca.display())))?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                for c in native.certs {
                    let _ = roots.add(c);
                }
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match (&t.cert_file, &t.key_file) {
        (Some(cert), Some(key)) => {
            let chain = certs(cert)?;
            let key = PrivateKeyDer::from_pem_slice(&read(key)?)
                .map_err(|_| SetupError::NoKey(key.display().to_string()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| SetupError::Rustls(e.to_string()))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(SetupError::HalfPair),
    };
    Ok(Arc::new(config))
}

/// The name the upstream's certificate is checked against: the URL's host.
pub fn server_name(host: &str) -> Result<ServerName<'static>, SetupError> {
    ServerName::try_from(host.to_owned())
        .map_err(|e| SetupError::Rustls(format!("bad server name {host:?}: {e}")))
}

/// `insecure: true`: accepts any certificate (signatures are still checked).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The upstream socket, before or after the TLS upgrade.
#[derive(Debug)]
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The CONNECT fields that answer the server's nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedAuth {
    /// The user JWT (credentials auth).
    pub jwt: Option<String>,
    /// The user's public nkey (nkey auth).
    pub nkey: Option<String>,
    /// base64url (no padding) of the ed25519 signature of the nonce.
    pub sig: String,
}

/// The JWT and seed of a `.creds` file: the first and second blocks framed by
/// `-----BEGIN ...-----` / `------END ...------` lines (as the NATS clients read them).
pub fn parse_creds(text: &str) -> Result<(String, String), SetupError> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line.starts_with("---") && line.contains("BEGIN") {
            if let Some(value) = lines.by_ref().find(|l| !l.is_empty()) {
                blocks.push(value.to_owned());
            }
        }
    }
    let mut it = blocks.into_iter();
    match (it.next(), it.next()) {
        (Some(jwt), Some(seed)) => Ok((jwt, seed)),
        _ => Err(SetupError::Credentials(
            "no user JWT and nkey seed found".to_owned(),
        )),
    }
}

fn sign(seed: &str, nonce: &[u8]) -> Result<(String, String), SetupError> {
    let kp = nkeys::KeyPair::from_seed(seed.trim())
        .map_err(|e| SetupError::Credentials(format!("bad nkey seed: {e}")))?;
    let sig = kp
        .sign(nonce)
        .map_err(|e| SetupError::Credentials(format!("cannot sign the nonce: {e}")))?;
    Ok((
        kp.public_key(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig),
    ))
}

/// A seed given inline (`SU...`) or as the path of a file holding it.
fn seed_text(nkey: &str) -> Result<String, SetupError> {
    let trimmed = nkey.trim();
    if trimmed.starts_with('S') && !trimmed.contains(['/', '.']) {
        return Ok(trimmed.to_owned());
    }
    let text = String::from_utf8(read(Path::new(trimmed))?)
        .map_err(|_| SetupError::Credentials(format!("{trimmed}: not text")))?;
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with('S'))
        .map(str::to_owned)
        .ok_or_else(|| SetupError::Credentials(format!("{trimmed}: no nkey seed")))
}

/// Signs `nonce` with the configured credentials (a `.creds` file wins over an nkey).
/// The file is read on every connect, so a rotated file is picked up.
pub fn signed_auth(
    credentials: Option<&Path>,
    nkey: Option<&str>,
    nonce: &[u8],
) -> Result<Option<SignedAuth>, SetupError> {
    if let Some(path) = credentials {
        let text = String::from_utf8(read(path)?)
            .map_err(|_| SetupError::Credentials(format!("{}: not text", path.display())))?;
        let (jwt, seed) = parse_creds(&text)?;
        let (_, sig) = sign(&seed, nonce)?;
        return Ok(Some(SignedAuth {
            jwt: Some(jwt),
            nkey: None,
            sig,
        }));
    }
    if let Some(nkey) = nkey {
        let (public, sig) = sign(&seed_text(nkey)?, nonce)?;
        return Ok(Some(SignedAuth {
            jwt: None,
            nkey: Some(public),
            sig,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDS: &str = "-----BEGIN NATS USER JWT-----\neyJhbGciOi.payload.sig\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n\n-----BEGIN USER NKEY SEED-----\nSUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4\n------END USER NKEY SEED------\n";

    #[test]
    fn creds_files_give_jwt_and_seed() {
        let (jwt, seed) = parse_creds(CREDS).expect("parses");
        assert_eq!(jwt, "eyJhbGciOi.payload.sig");
        assert!(seed.starts_with("SU"));
        assert!(parse_creds("nothing here").is_err());
    }

    #[test]
    fn nonce_signatures_verify_with_the_public_key() {
        let kp = nkeys::KeyPair::new_user();
        let seed = kp.seed().expect("seed");
        let auth = signed_auth(None, Some(&seed), b"nonce-123")
            .expect("signs")
            .expect("some");
        assert_eq!(auth.nkey.as_deref(), Some(kp.public_key().as_str()));
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(auth.sig)
            .expect("base64url");
        kp.verify(b"nonce-123", &sig).expect("valid signature");
        assert!(signed_auth(None, Some("SXBAD"), b"n").is_err());
        assert_eq!(signed_auth(None, None, b"n"), Ok(None));
    }

    #[test]
    fn creds_sign_with_their_seed() {
        let kp = nkeys::KeyPair::new_user();
        let seed = kp.seed().expect("seed");
        let dir = std::env::temp_dir().join(format!("jm-creds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("u.creds");
        let text = CREDS.replace(
            "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4",
            &seed,
        );
        std::fs::write(&path, text).expect("write");
        let auth = signed_auth(Some(&path), None, b"abc")
            .expect("signs")
            .expect("some");
        assert_eq!(auth.jwt.as_deref(), Some("eyJhbGciOi.payload.sig"));
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(auth.sig)
            .expect("base64url");
        kp.verify(b"abc", &sig).expect("valid signature");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
