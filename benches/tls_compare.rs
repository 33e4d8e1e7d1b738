//! Side-by-side core pub/sub throughput over TLS: the raw-socket publisher and subscriber
//! of `pubsub-compare`, each on a TLS connection (rustls client, TLS 1.3), against
//! nats-server and jetmirror configured with the same generated certificate, for 16 B and
//! 1 KiB payloads. Prints a Markdown table with the ratio.
//!
//! Usage: `cargo run --release -p jetmirror-benches --bin tls-compare [-- ROUNDS]`
//! (jetmirror is taken from `$JETMIRROR_BIN`, else built in release mode by the kit).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use jetmirror_testkit::{generate_certs, Kind, Server, ServerSpec, TestCerts};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

type Tls = StreamOwned<ClientConnection, TcpStream>;

fn client_config(certs: &TestCerts) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&certs.ca).context("CA file")? {
        roots.add(c.context("CA pem")?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

/// Reads the plaintext INFO line, then upgrades and sends `hello` (CONNECT ... PING) and
/// waits for PONG.
fn connect(port: u16, config: &Arc<ClientConfig>, hello: &[u8]) -> Result<Tls> {
    let mut tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut byte = [0u8; 1];
    let mut line = Vec::new();
    while !line.ends_with(b"\r\n") {
        if tcp.read(&mut byte)? == 0 {
            bail!("closed before INFO");
        }
        line.push(byte[0]);
    }
    let name = ServerName::try_from("127.0.0.1").map_err(|e| anyhow!("{e}"))?;
    let conn = ClientConnection::new(config.clone(), name)?;
    let mut tls = StreamOwned::new(conn, tcp);
    tls.write_all(hello)?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(6).any(|w| w == b"PONG\r\n") {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            bail!("server closed the connection");
        }
        seen.extend_from_slice(&buf[..n]);
    }
    Ok(tls)
}

fn run_once(port: u16, config: &Arc<ClientConfig>, size: usize, count: usize) -> Result<f64> {
    let mut sub = connect(
        port,
        config,
        b"CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":true}\r\nSUB bench 1\r\nPING\r\n",
    )?;
    let mut publisher = connect(
        port,
        config,
        b"CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":true}\r\nPING\r\n",
    )?;
    let payload = vec![b'x'; size];
    let mut one = format!("PUB bench {size}\r\n").into_bytes();
    one.extend_from_slice(&payload);
    one.extend_from_slice(b"\r\n");
    let per_write = (64 * 1024 / one.len()).max(1);
    let batch: Vec<u8> = one.repeat(per_write);
    let msg_len = format!("MSG bench 1 {size}\r\n").len() + size + 2;
    let expected = msg_len * count;

    let reader = std::thread::spawn(move || -> Result<Instant> {
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0usize;
        while got < expected {
            let n = sub.read(&mut buf).context("subscriber read")?;
            if n == 0 {
                bail!("subscriber closed after {got} of {expected} bytes");
            }
            got += n;
        }
        Ok(Instant::now())
    });
    let start = Instant::now();
    let mut sent = 0;
    while sent < count {
        let n = per_write.min(count - sent);
        publisher.write_all(&batch[..n * one.len()])?;
        sent += n;
    }
    publisher.write_all(b"PING\r\n")?;
    publisher.flush()?;
    let end = match reader.join() {
        Ok(r) => r?,
        Err(_) => bail!("reader thread panicked"),
    };
    Ok(count as f64 / end.duration_since(start).as_secs_f64())
}

fn best_of(
    server: &Server,
    config: &Arc<ClientConfig>,
    size: usize,
    count: usize,
    rounds: usize,
) -> Result<f64> {
    let mut best: f64 = 0.0;
    for _ in 0..rounds {
        best = best.max(run_once(server.port(), config, size, count)?);
    }
    Ok(best)
}

fn start(kind: Kind, certs: &TestCerts) -> Result<Server> {
    let mut spec = ServerSpec::new(kind);
    spec.config = certs.server_tls_block("");
    Server::start(spec)
}

fn main() -> Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir()?;
    let certs = generate_certs(dir.path(), "")?;
    let config = client_config(&certs)?;
    let reference = start(Kind::NatsServer, &certs)?;
    let candidate = start(Kind::Jetmirror, &certs)?;
    println!("| payload | messages | nats-server msgs/s | jetmirror msgs/s | ratio |");
    println!("|---|---|---|---|---|");
    for (size, count) in [(16usize, 1_000_000usize), (1024, 300_000)] {
        let r = best_of(&reference, &config, size, count, rounds)?;
        let c = best_of(&candidate, &config, size, count, rounds)?;
        println!(
            "| {size} B | {count} | {:.0} | {:.0} | {:.2}x |",
            r,
            c,
            c / r
        );
    }
    Ok(())
}
