//! Starts, restarts and drops real nats-server processes; checks that none is left behind.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use jetmirror_testkit::{upstream_pair, Kind, Server, ServerSpec};

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn ping(server: &Server) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port()))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"CONNECT {\"verbose\":false}\r\nPING\r\n")?;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains("PONG\r\n") {
        let n = stream.read(&mut buf)?;
        anyhow::ensure!(n > 0, "closed");
        got.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    Ok(String::from_utf8_lossy(&got).into_owned())
}

#[test]
fn start_restart_drop_nats_server() -> anyhow::Result<()> {
    let mut server = Server::start(ServerSpec {
        jetstream: true,
        http: true,
        ..ServerSpec::new(Kind::NatsServer)
    })?;
    let port = server.port();
    let first_pid = server.pid();
    assert!(alive(first_pid));
    assert!(ping(&server)?.starts_with("INFO {"));
    assert!(server.client_url().ends_with(&format!(":{port}")));
    assert!(server.http_port().is_some());

    server.restart()?;
    assert_eq!(server.port(), port, "restart keeps the port");
    assert!(!alive(first_pid), "the old process is gone");
    assert!(ping(&server)?.contains("\"jetstream\":true"));
    assert!(server.store_dir().join("jetstream").is_dir());

    let pid = server.pid();
    let dir = server.dir().to_path_buf();
    drop(server);
    assert!(!alive(pid), "drop kills and reaps");
    assert!(!dir.exists(), "drop removes the temp dir");
    Ok(())
}

#[test]
fn stop_and_kill_leave_nothing() -> anyhow::Result<()> {
    let mut a = Server::start(ServerSpec::new(Kind::NatsServer))?;
    let mut b = Server::start(ServerSpec::new(Kind::NatsServer))?;
    assert_ne!(a.port(), b.port());
    let (pa, pb) = (a.pid(), b.pid());
    a.stop();
    b.kill();
    assert!(!alive(pa) && !alive(pb));
    assert!(a.log().contains("Server is ready"));
    Ok(())
}

#[test]
fn failed_start_is_an_error() {
    let result = Server::start(ServerSpec {
        config: "this is { not a config".into(),
        ..ServerSpec::new(Kind::NatsServer)
    });
    assert!(result.is_err());
}

#[test]
fn reference_upstream_pair() -> anyhow::Result<()> {
    let (hub, side) = upstream_pair(Kind::NatsServer)?;
    assert!(ping(&hub)?.contains("\"domain\":\"hub\""));
    assert!(ping(&side)?.contains("\"domain\":\"leaf\""));
    Ok(())
}

#[test]
fn jetmirror_bin_builds_the_binary() {
    let bin = jetmirror_testkit::jetmirror_bin();
    assert!(bin.is_file(), "{} missing", bin.display());
    assert!(bin.ends_with("jetmirror"));
}
