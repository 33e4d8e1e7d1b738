//! Signals as nats-server takes them: SIGUSR2 puts the node in lame duck mode (clients are
//! told with `ldm: true` and move to another server), SIGHUP reloads the configuration (a
//! changed password takes effect for new and existing connections, and the log level
//! follows), SIGUSR1 opens the log file again after a rotation.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use futures::StreamExt;
use jetmirror_testkit::Server;
use jetmirror_tests::jetmirror;

fn read_until(sock: &mut TcpStream, needle: &str, within: Duration) -> String {
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && !String::from_utf8_lossy(&seen).contains(needle) {
        match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn lame_duck_moves_clients_to_the_other_server() {
    let config = "lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"1s\"";
    let mut a = jetmirror(config);
    let b = jetmirror(config);

    // A raw protocol-1 client sees the lame duck INFO.
    let mut raw = TcpStream::connect(("127.0.0.1", a.port())).unwrap();
    raw.write_all(b"CONNECT {\"verbose\":false,\"protocol\":1}\r\nPING\r\n")
        .unwrap();
    read_until(&mut raw, "PONG", Duration::from_secs(5));

    let client = async_nats::ConnectOptions::new()
        .retain_servers_order()
        .connect(
            [a.client_url(), b.client_url()]
                .iter()
                .map(|u| u.parse::<async_nats::ServerAddr>().unwrap())
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    assert_eq!(client.server_info().port, a.port());
    let mut sub = client.subscribe("moved").await.unwrap();
    client.flush().await.unwrap();

    a.signal(libc::SIGUSR2);
    let info = read_until(&mut raw, "\"ldm\":true", Duration::from_secs(5));
    assert!(info.contains("\"ldm\":true"), "lame duck INFO: {info}");

    // New connections are refused by the lame duck.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(TcpStream::connect(("127.0.0.1", a.port())).is_err());

    // The client ends up on B and its subscription works there.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if client.server_info().port == b.port() {
            let _ = client.publish("moved", "here".into()).await;
            let _ = client.flush().await;
            if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(300), sub.next()).await
            {
                assert_eq!(m.payload, "here");
                break;
            }
        }
        assert!(Instant::now() < deadline, "client did not move to B");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A exits by itself once its clients are gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(format!("/proc/{}", a.pid())).is_ok()
        && std::fs::read_to_string(format!("/proc/{}/stat", a.pid()))
            .map(|s| !s.contains(") Z"))
            .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "lame duck server still running");
        std::thread::sleep(Duration::from_millis(100));
    }
    a.kill();
}

fn login(server: &Server, pass: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    s.write_all(
        format!("CONNECT {{\"verbose\":false,\"user\":\"alice\",\"pass\":\"{pass}\"}}\r\nPING\r\n")
            .as_bytes(),
    )
    .unwrap();
    let text = read_until(&mut s, "\r\n", Duration::from_secs(3));
    let more = read_until(&mut s, "\r\n", Duration::from_millis(500));
    format!("{text}{more}")
}

#[test]
fn reload_applies_a_changed_password() {
    let server = jetmirror("authorization { users: [ {user: alice, password: one} ] }");
    assert!(login(&server, "one").contains("PONG"));
    let mut old = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    old.write_all(b"CONNECT {\"verbose\":false,\"user\":\"alice\",\"pass\":\"one\"}\r\nPING\r\n")
        .unwrap();
    assert!(read_until(&mut old, "PONG", Duration::from_secs(3)).contains("PONG"));

    let conf = server.dir().join("server.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, text.replace("password: one", "password: two")).unwrap();
    server.signal(libc::SIGHUP);
    std::thread::sleep(Duration::from_millis(500));

    assert!(login(&server, "two").contains("PONG"), "new password works");
    assert!(
        login(&server, "one").contains("Authorization Violation"),
        "old password refused"
    );
    let seen = read_until(&mut old, "Authorization Violation", Duration::from_secs(3));
    assert!(seen.contains("-ERR 'Authorization Violation'"), "{seen}");
}

fn wait_for_text(path: &std::path::Path, needle: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if std::fs::read_to_string(path).is_ok_and(|t| t.contains(needle)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn log_reopen_and_level_reload_follow_signals_like_nats_server() {
    use jetmirror_testkit::{Kind, ServerSpec};
    for kind in [Kind::NatsServer, Kind::Jetmirror] {
        let logs = tempfile::tempdir().unwrap();
        let log = logs.path().join("node.log");
        let mut spec = ServerSpec::new(kind);
        spec.config = format!("logfile: {:?}\ndebug: false\n", log.display().to_string());
        let server = Server::start(spec).unwrap_or_else(|e| panic!("start {kind:?}: {e:#}"));
        assert!(
            wait_for_text(
                &log,
                "Listening for client connections",
                Duration::from_secs(5)
            ),
            "{kind:?}: no listening line in the log file"
        );

        // Rotation: the file is moved away, SIGUSR1 opens a new one; the node lives on.
        let rotated = logs.path().join("node.log.1");
        std::fs::rename(&log, &rotated).unwrap();
        server.signal(libc::SIGUSR1);
        assert!(
            wait_for_text(&log, "File log re-opened", Duration::from_secs(5)),
            "{kind:?}: the log was not opened again"
        );
        let mut c = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        c.write_all(b"CONNECT {\"verbose\":false}\r\nPING\r\n")
            .unwrap();
        assert!(
            read_until(&mut c, "PONG", Duration::from_secs(3)).contains("PONG"),
            "{kind:?}: alive after SIGUSR1"
        );
        drop(c);
        std::thread::sleep(Duration::from_millis(200));
        let before = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            !before.contains("[DBG]"),
            "{kind:?}: debug lines before -D: {before}"
        );

        // Reload with debug on: a new connection is logged at debug level.
        let conf = server.dir().join("server.conf");
        let text = std::fs::read_to_string(&conf).unwrap();
        std::fs::write(&conf, text.replace("debug: false", "debug: true")).unwrap();
        server.signal(libc::SIGHUP);
        std::thread::sleep(Duration::from_millis(500));
        let mut c = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        c.write_all(b"CONNECT {\"verbose\":false}\r\nPING\r\n")
            .unwrap();
        assert!(read_until(&mut c, "PONG", Duration::from_secs(3)).contains("PONG"));
        assert!(
            wait_for_text(&log, "[DBG]", Duration::from_secs(3)),
            "{kind:?}: no debug line after the reload"
        );
    }
}
