//! The binary as scripts and client test harnesses use it: nats-server's flags, the startup
//! log line with the port, the pid file, SIGTERM for a graceful stop, and errors for bad flags
//! and bad configuration values.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jetmirror_testkit::jetmirror_bin;

/// Reads the port from `Listening for client connections on HOST:PORT` in the log file.
fn wait_for_port(log: &std::path::Path) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = text
            .lines()
            .find(|l| l.contains("Listening for client connections on"))
        {
            let port = line.rsplit(':').next().and_then(|p| p.trim().parse().ok());
            if let Some(port) = port {
                return port;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no listening line in the log: {text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn harness_style_start_then_sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let pid_file = dir.path().join("server.pid");
    let conf = dir.path().join("server.conf");
    std::fs::write(&conf, "server_name: harness\nmax_payload: 2048\n").unwrap();
    let mut child = Command::new(jetmirror_bin())
        .args(["-p", "-1", "-a", "127.0.0.1", "-l"])
        .arg(&log)
        .arg("-P")
        .arg(&pid_file)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let port = wait_for_port(&log);
    assert_ne!(port, 0);

    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(pid, child.id());

    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 4096];
    let n = sock.read(&mut buf).unwrap();
    let info = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(info.contains("\"server_name\":\"harness\""), "{info}");
    assert!(info.contains("\"max_payload\":2048"), "{info}");
    sock.write_all(b"CONNECT {\"verbose\":false}\r\nPING\r\n")
        .unwrap();
    let n = sock.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"PONG\r\n");

    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "graceful stop exits 0: {status:?}");
    // The client saw its connection closed.
    let closed = matches!(sock.read(&mut buf), Ok(0) | Err(_));
    assert!(closed);
    assert!(
        !pid_file.exists(),
        "the pid file is removed on a clean stop"
    );
}

#[test]
fn unknown_flag_fails_like_nats_server() {
    let out = Command::new(jetmirror_bin())
        .arg("--bogus")
        .output()
        .unwrap();
    // nats-server 2.15.1 prints the error and the usage, and exits 0.
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("flag provided but not defined: -bogus"),
        "{err}"
    );
}

#[test]
fn bad_config_value_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(&conf, "server_name: x\n\nmax_payload: \"lots\"\n").unwrap();
    let out = Command::new(jetmirror_bin())
        .arg("-c")
        .arg(&conf)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3:", conf.display())),
        "error names file:line: {err}"
    );
}

#[test]
fn version_flag() {
    let out = Command::new(jetmirror_bin()).arg("-v").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("2.15.1"));
}
