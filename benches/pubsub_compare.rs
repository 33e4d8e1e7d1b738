//! Side-by-side core pub/sub throughput: one publisher and one subscriber on raw sockets (so
//! the client is never the bottleneck), against nats-server and jetmirror started in the same
//! run on loopback, for 16 B and 1 KiB payloads. Prints a Markdown table with the ratio.
//!
//! Usage: `cargo run --release -p jetmirror-benches --bin pubsub-compare [-- ROUNDS]`
//! (jetmirror is taken from `$JETMIRROR_BIN`, else built in release mode by the kit).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use jetmirror_testkit::{Kind, Server, ServerSpec};

fn wait_pong(sock: &mut TcpStream) -> Result<()> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    while !seen.windows(6).any(|w| w == b"PONG\r\n") {
        let n = sock.read(&mut buf)?;
        if n == 0 {
            bail!("server closed the connection");
        }
        seen.extend_from_slice(&buf[..n]);
    }
    Ok(())
}

/// Sends `count` messages of `size` bytes and returns messages per second as the subscriber
/// saw them (first publish to last byte received).
fn run_once(port: u16, size: usize, count: usize) -> Result<f64> {
    let mut sub = TcpStream::connect(("127.0.0.1", port))?;
    sub.set_nodelay(true)?;
    sub.write_all(b"CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB bench 1\r\nPING\r\n")?;
    wait_pong(&mut sub)?;
    let mut publisher = TcpStream::connect(("127.0.0.1", port))?;
    publisher.set_nodelay(true)?;
    publisher.write_all(b"CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n")?;
    wait_pong(&mut publisher)?;

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
        sub.set_read_timeout(Some(Duration::from_secs(30)))?;
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
    let end = match reader.join() {
        Ok(r) => r?,
        Err(_) => bail!("reader thread panicked"),
    };
    Ok(count as f64 / end.duration_since(start).as_secs_f64())
}

fn best_of(server: &Server, size: usize, count: usize, rounds: usize) -> Result<f64> {
    let mut best: f64 = 0.0;
    for _ in 0..rounds {
        best = best.max(run_once(server.port(), size, count)?);
    }
    Ok(best)
}

fn start(kind: Kind) -> Result<Server> {
    let mut spec = ServerSpec::new(kind);
    spec.config = String::new();
    Server::start(spec)
}

fn main() -> Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let reference = start(Kind::NatsServer)?;
    let candidate = start(Kind::Jetmirror)?;
    println!("| payload | messages | nats-server msgs/s | jetmirror msgs/s | ratio |");
    println!("|---|---|---|---|---|");
    for (size, count) in [(16usize, 2_000_000usize), (1024, 500_000)] {
        // Interleave to share the machine's state fairly.
        let r = best_of(&reference, size, count, rounds)?;
        let c = best_of(&candidate, size, count, rounds)?;
        println!(
            "| {size} B | {count} | {:.0} | {:.0} | {:.2}x |",
            r,
            c,
            c / r
        );
    }
    Ok(())
}
