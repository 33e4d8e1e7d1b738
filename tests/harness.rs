//! jetmirror started exactly as the official NATS client test harnesses start
//! nats-server: `jetmirror -p -1 -l LOG -P PID --store_dir DIR -c CONF` (CONF with
//! `jetstream {}`), the port read from the log line `Listening for client connections on
//! HOST:PORT`; then a client does core pub/sub and JetStream, the server is killed and
//! started again on the same port and store dir, and the client must reconnect by itself
//! and find its stream intact. Also the `--tls --tlscert --tlskey` (and `--tlsverify
//! --tlscacert`) flags start a TLS server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures::StreamExt;
use jetmirror_testkit::{generate_certs, jetmirror_bin};

/// A jetmirror child process, killed and reaped on drop.
struct Proc(Child);

impl Proc {
    fn spawn(args: &[&str], paths: &[(&str, &Path)]) -> Proc {
        let mut cmd = Command::new(jetmirror_bin());
        cmd.args(args);
        for (flag, path) in paths {
            cmd.arg(flag).arg(path);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn jetmirror");
        Proc(child)
    }

    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The port of the `Listening for client connections on HOST:PORT` line written to `log`
/// after `skip` earlier such lines.
fn wait_for_port(log: &Path, skip: usize) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let port = text
            .lines()
            .filter(|l| l.contains("Listening for client connections on"))
            .nth(skip)
            .and_then(|l| l.rsplit(':').next())
            .and_then(|p| p.trim().parse().ok());
        if let Some(port) = port {
            return port;
        }
        assert!(
            Instant::now() < deadline,
            "no listening line in the log: {text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Harness {
    dir: tempfile::TempDir,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        // Loopback only; the rest is what harnesses write.
        std::fs::write(
            dir.path().join("server.conf"),
            "host: 127.0.0.1\njetstream {}\n",
        )
        .expect("conf");
        Harness { dir }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn start(&self, port: &str) -> Proc {
        let (log, pid, store, conf) = (
            self.path("server.log"),
            self.path("server.pid"),
            self.path("store"),
            self.path("server.conf"),
        );
        Proc::spawn(
            &["-p", port],
            &[
                ("-l", &log),
                ("-P", &pid),
                ("--store_dir", &store),
                ("-c", &conf),
            ],
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_start_pubsub_jetstream_kill_restart_reconnect() {
    let h = Harness::new();
    let mut server = h.start("-1");
    let port = wait_for_port(&h.path("server.log"), 0);
    assert_ne!(port, 0);
    let pid: u32 = std::fs::read_to_string(h.path("server.pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    assert_eq!(pid, server.0.id());

    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let client = async_nats::ConnectOptions::new()
        .reconnect_delay_callback(|_| Duration::from_millis(100))
        .event_callback(move |e| {
            let tx = events_tx.clone();
            async move {
                let _ = tx.send(e.to_string());
            }
        })
        .connect(format!("nats://127.0.0.1:{port}"))
        .await
        .expect("connect");

    // Core pub/sub.
    let mut sub = client.subscribe("harness.core").await.expect("sub");
    client.flush().await.expect("flush");
    client
        .publish("harness.core", Bytes::from_static(b"one"))
        .await
        .expect("pub");
    let m = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("in time")
        .expect("msg");
    assert_eq!(&m.payload[..], b"one");

    // JetStream: a stream, publishes, a pull consumer fetch.
    let js = jetstream::new(client.clone());
    let s = js
        .create_stream(stream::Config {
            name: "H".into(),
            subjects: vec!["h.>".into()],
            ..Default::default()
        })
        .await
        .expect("create stream");
    for i in 0..5 {
        js.publish(format!("h.{i}"), Bytes::from(format!("m{i}")))
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    let c = s
        .create_consumer(consumer::pull::Config {
            durable_name: Some("D".into()),
            ..Default::default()
        })
        .await
        .expect("consumer");
    let mut batch = c
        .fetch()
        .max_messages(5)
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .expect("fetch");
    let mut got = Vec::new();
    while let Some(m) = batch.next().await {
        let m = m.expect("message");
        got.push(String::from_utf8_lossy(&m.payload).into_owned());
        m.ack().await.expect("ack");
    }
    assert_eq!(got, ["m0", "m1", "m2", "m3", "m4"]);

    // Kill it (as harnesses do) and start it again on the same port and store dir.
    server.kill();
    let mut saw_disconnect = false;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !saw_disconnect && Instant::now() < deadline {
        if let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
            saw_disconnect = e.contains("disconnected");
        }
    }
    assert!(saw_disconnect, "the client did not notice the kill");
    let _server = h.start(&port.to_string());
    assert_eq!(wait_for_port(&h.path("server.log"), 1), port);

    // The client reconnects by itself.
    let deadline = Instant::now() + Duration::from_secs(15);
    while client.connection_state() != async_nats::connection::State::Connected {
        assert!(Instant::now() < deadline, "client did not reconnect");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The stream kept its messages; new publishes work; the subscription was restored.
    let mut s = js.get_stream("H").await.expect("stream after restart");
    let info = s.info().await.expect("info");
    assert_eq!(info.state.messages, 5);
    let ack = js
        .publish("h.new", Bytes::from_static(b"after"))
        .await
        .expect("publish")
        .await
        .expect("ack");
    assert_eq!(ack.sequence, 6);
    client
        .publish("harness.core", Bytes::from_static(b"two"))
        .await
        .expect("pub");
    let m = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("in time")
        .expect("msg");
    assert_eq!(&m.payload[..], b"two");
    // The durable consumer survived; acks of the last second before a crash may be
    // redelivered (its state is saved lazily, as nats-server's), so what it delivers now
    // is a tail of the old messages followed by the new one.
    let c: consumer::PullConsumer = s.get_consumer("D").await.expect("consumer kept");
    let mut batch = c
        .fetch()
        .max_messages(6)
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .expect("fetch");
    let mut got = Vec::new();
    while let Some(m) = batch.next().await {
        let m = m.expect("message");
        got.push(String::from_utf8_lossy(&m.payload).into_owned());
        m.ack().await.expect("ack");
    }
    let old = ["m0", "m1", "m2", "m3", "m4", "after"];
    assert!(
        !got.is_empty() && old.ends_with(&got.iter().map(String::as_str).collect::<Vec<_>>()),
        "after restart the consumer delivered {got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_flags_start_a_tls_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = generate_certs(dir.path(), "").expect("certs");
    let log = dir.path().join("tls.log");
    let _server = Proc::spawn(
        &["-p", "-1", "-a", "127.0.0.1", "--tls"],
        &[
            ("-l", &log),
            ("--tlscert", &certs.server_cert),
            ("--tlskey", &certs.server_key),
        ],
    );
    let port = wait_for_port(&log, 0);
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("TLS required for client connections"),
        "{text}"
    );
    let client = async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(certs.ca.clone())
        .connect(format!("tls://127.0.0.1:{port}"))
        .await
        .expect("TLS connect");
    let mut sub = client.subscribe("flags").await.expect("sub");
    client.flush().await.expect("flush");
    client
        .publish("flags", Bytes::from_static(b"x"))
        .await
        .expect("pub");
    let m = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("in time")
        .expect("msg");
    assert_eq!(&m.payload[..], b"x");

    // --tlsverify --tlscacert: mutual TLS.
    let log2 = dir.path().join("verify.log");
    let _verify = Proc::spawn(
        &["-p", "-1", "-a", "127.0.0.1", "--tlsverify"],
        &[
            ("-l", &log2),
            ("--tlscert", &certs.server_cert),
            ("--tlskey", &certs.server_key),
            ("--tlscacert", &certs.ca),
        ],
    );
    let port2 = wait_for_port(&log2, 0);
    let url = format!("tls://127.0.0.1:{port2}");
    let without = async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(certs.ca.clone())
        .connection_timeout(Duration::from_secs(3))
        .connect(url.clone())
        .await;
    assert!(without.is_err(), "connected without a client certificate");
    async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(certs.ca.clone())
        .add_client_certificate(certs.client_cert.clone(), certs.client_key.clone())
        .connect(url)
        .await
        .expect("mutual TLS connect");
}
