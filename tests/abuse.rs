//! Abuse: idle unauthenticated sockets, garbage streams and readers that never read must not
//! grow the server's memory past its limits, and other clients keep being served. Memory is
//! measured as the server process's resident set (VmRSS).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use jetmirror_testkit::Server;
use jetmirror_tests::jetmirror;

fn rss_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

fn ping_pong(server: &Server, connect: &str) {
    let mut s = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("{connect}\r\nPING\r\n").as_bytes())
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("PONG") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn idle_unauthenticated_sockets_are_dropped_after_the_auth_timeout() {
    let server = jetmirror("authorization { user: a, password: b, timeout: 1 }");
    let before = rss_kib(&server);
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(TcpStream::connect(("127.0.0.1", server.port())).unwrap());
    }
    // Others are served meanwhile.
    ping_pong(
        &server,
        "CONNECT {\"verbose\":false,\"user\":\"a\",\"pass\":\"b\"}",
    );
    let during = rss_kib(&server);
    std::thread::sleep(Duration::from_millis(2500));
    // Every idle socket got the timeout error and EOF.
    let mut closed = 0;
    for s in &mut idle {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
        if String::from_utf8_lossy(&all).contains("-ERR 'Authentication Timeout'") {
            closed += 1;
        }
    }
    assert_eq!(closed, 1000);
    println!("RSS before {before} KiB, with 1000 idle sockets {during} KiB");
    assert!(
        during < before + 64 * 1024,
        "1000 idle sockets cost {} KiB",
        during - before
    );
}

#[test]
fn a_100_mb_garbage_stream_is_cut_off_early() {
    let server = jetmirror("");
    let before = rss_kib(&server);
    // Without newlines: the control-line limit stops it after a few KiB.
    let mut s = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let chunk = vec![b'x'; 1 << 20];
    let started = Instant::now();
    let mut sent = 0usize;
    while sent < 100 << 20 {
        match s.write(&chunk) {
            Ok(n) => sent += n,
            Err(_) => break,
        }
    }
    assert!(
        sent < 100 << 20,
        "the server kept reading garbage ({sent} bytes)"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // With newlines: the first line is an unknown op.
    let mut s2 = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    s2.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s2.write_all(&b"garbage\r\n".repeat(1000));
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s2.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => all.extend_from_slice(&buf[..n]),
        }
    }
    assert!(String::from_utf8_lossy(&all).contains("-ERR 'Unknown Protocol Operation'"));
    ping_pong(&server, "CONNECT {\"verbose\":false}");
    let after = rss_kib(&server);
    println!("RSS before {before} KiB, after garbage {after} KiB");
    assert!(
        after < before + 32 * 1024,
        "garbage grew RSS by {} KiB",
        after - before
    );
}

#[test]
fn readers_that_never_read_stay_within_max_pending() {
    // Ten subscribers that never read; a publisher floods 200 MB at them. Each is cut off at
    // max_pending (1 MiB here), so the server's memory stays far below what was published.
    let server = jetmirror("max_pending: 1048576");
    let before = rss_kib(&server);
    let mut readers = Vec::new();
    for _ in 0..10 {
        let mut s = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        s.write_all(b"CONNECT {\"verbose\":false}\r\nSUB flood 1\r\n")
            .unwrap();
        readers.push(s);
    }
    ping_pong(&server, "CONNECT {\"verbose\":false}");
    let mut publisher = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    publisher
        .write_all(b"CONNECT {\"verbose\":false}\r\n")
        .unwrap();
    let mut one = b"PUB flood 65536\r\n".to_vec();
    one.extend_from_slice(&vec![b'z'; 65536]);
    one.extend_from_slice(b"\r\n");
    let mut peak = before;
    for i in 0..3200 {
        publisher.write_all(&one).unwrap();
        if i % 200 == 0 {
            peak = peak.max(rss_kib(&server));
        }
    }
    ping_pong(&server, "CONNECT {\"verbose\":false}");
    peak = peak.max(rss_kib(&server));
    println!("RSS before {before} KiB, peak while flooding {peak} KiB");
    assert!(
        peak < before + 96 * 1024,
        "flooding grew RSS by {} KiB",
        peak - before
    );
}
