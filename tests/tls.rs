//! TLS on the client port and to the upstream, each step run against jetmirror and
//! nats-server 2.15.1 with the same configuration and compared: INFO's `tls_*` fields,
//! `/varz`, server-only TLS, mutual TLS (a client without a certificate is refused),
//! `handshake_first` (on, and with a fallback delay), `allow_non_tls`, a plaintext client
//! on a TLS port, a reload with new certificates; then mirrors through a TLS upstream
//! (with a client certificate) and through an upstream with nkey auth, and a nats-py
//! TLS client. Certificates are generated at test time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use bytes::Bytes;
use futures::StreamExt;
use jetmirror_testkit::{generate_certs, http_get, Kind, Server, ServerSpec, TestCerts};
use jetmirror_tests::run_python;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KINDS: [Kind; 2] = [Kind::NatsServer, Kind::Jetmirror];

struct Pki {
    dir: tempfile::TempDir,
    certs: TestCerts,
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().expect("tempdir");
    let certs = generate_certs(dir.path(), "").expect("certs");
    Pki { dir, certs }
}

fn start(kind: Kind, config: String, http: bool) -> Server {
    Server::start(ServerSpec {
        config,
        http,
        ..ServerSpec::new(kind)
    })
    .unwrap_or_else(|e| panic!("cannot start {kind:?}: {e:#}"))
}

fn tls_url(server: &Server) -> String {
    format!("tls://127.0.0.1:{}", server.port())
}

/// async-nats over TLS trusting `ca`; with `client` a client certificate.
async fn tls_connect(
    server: &Server,
    ca: &Path,
    client: Option<(&Path, &Path)>,
    tls_first: bool,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let mut opts = async_nats::ConnectOptions::new()
        .require_tls(true)
        .add_root_certificates(ca.to_path_buf())
        .connection_timeout(Duration::from_secs(5));
    if let Some((cert, key)) = client {
        opts = opts.add_client_certificate(cert.to_path_buf(), key.to_path_buf());
    }
    if tls_first {
        opts = opts.tls_first();
    }
    opts.connect(tls_url(server)).await
}

/// A round trip through the server: subscribe, publish, receive.
async fn round_trip(client: &async_nats::Client, subject: &str) {
    let mut sub = client.subscribe(subject.to_string()).await.expect("sub");
    client.flush().await.expect("flush");
    client
        .publish(subject.to_string(), Bytes::from_static(b"over tls"))
        .await
        .expect("pub");
    let m = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("message in time")
        .expect("message");
    assert_eq!(&m.payload[..], b"over tls");
}

/// What a raw TCP client sees: the first line (INFO) within `info_wait`, then after
/// sending `send`, everything until the server closes (or `wait` passes).
struct Transcript {
    info: Option<Value>,
    after: Vec<u8>,
    closed: bool,
    closed_after: Duration,
}

async fn plaintext(port: u16, info_wait: Duration, send: &[u8], wait: Duration) -> Transcript {
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("tcp connect");
    let started = Instant::now();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let info_deadline = Instant::now() + info_wait;
    let mut closed = false;
    while !buf.windows(2).any(|w| w == b"\r\n") {
        let left = info_deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => break,
        }
    }
    let line_end = buf.windows(2).position(|w| w == b"\r\n");
    let info = line_end.and_then(|end| {
        let line = std::str::from_utf8(&buf[..end]).ok()?;
        serde_json::from_str(line.strip_prefix("INFO ")?).ok()
    });
    let mut after = line_end.map(|e| buf[e + 2..].to_vec()).unwrap_or_default();
    if !closed {
        let _ = s.write_all(send).await;
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, s.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    closed = true;
                    break;
                }
                Ok(Ok(n)) => after.extend_from_slice(&chunk[..n]),
                Err(_) => break,
            }
        }
    }
    Transcript {
        info,
        after,
        closed,
        closed_after: started.elapsed(),
    }
}

fn tls_fields(info: &Value) -> Vec<(String, Value)> {
    ["tls_required", "tls_verify", "tls_available"]
        .iter()
        .map(|k| (k.to_string(), info.get(*k).cloned().unwrap_or(Value::Null)))
        .collect()
}

fn varz(server: &Server) -> serde_json::Map<String, Value> {
    let port = server.http_port().expect("http port");
    let body = http_get(port, "/varz").expect("/varz");
    let start = body.find('{').expect("json body");
    match serde_json::from_str(&body[start..]).expect("varz json") {
        Value::Object(m) => m,
        other => panic!("varz: {other}"),
    }
}

/// The reasons of `/connz?state=closed`, once there are `want` of them (the server records
/// a close just after the socket closes) or 3 s have passed.
async fn closed_reasons(server: &Server, want: usize) -> Vec<String> {
    let port = server.http_port().expect("http port");
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let body = http_get(port, "/connz?state=closed").expect("/connz");
        let start = body.find('{').expect("json body");
        let closed: Value = serde_json::from_str(&body[start..]).expect("connz json");
        let reasons: Vec<String> = closed["connections"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["reason"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if reasons.len() >= want || Instant::now() > deadline {
            return reasons;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_tls_info_varz_and_pubsub_match_nats_server() {
    let pki = pki();
    let c = &pki.certs;
    let mut infos = Vec::new();
    let mut varzs = Vec::new();
    for kind in KINDS {
        let server = start(kind, c.server_tls_block("timeout: 3"), true);
        let t = plaintext(server.port(), Duration::from_secs(5), b"", Duration::ZERO).await;
        let info = t
            .info
            .unwrap_or_else(|| panic!("{kind:?}: no INFO in plaintext"));
        assert_eq!(info["tls_required"], true, "{kind:?}: {info}");
        infos.push(tls_fields(&info));

        let client = tls_connect(&server, &c.ca, None, false)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: TLS connect: {e}"));
        round_trip(&client, "tls.one").await;
        // A client that trusts another CA is refused by its own verification.
        let other = generate_certs(pki.dir.path(), "other-").expect("other certs");
        assert!(
            tls_connect(&server, &other.ca, None, false).await.is_err(),
            "{kind:?}: a client trusting another CA connected"
        );
        varzs.push(varz(&server));
    }
    assert_eq!(infos[0], infos[1], "INFO tls fields differ");
    let (ns, jm) = (&varzs[0], &varzs[1]);
    for k in [
        "tls_required",
        "tls_verify",
        "tls_timeout",
        "tls_cert_not_after",
        "auth_timeout",
    ] {
        assert_eq!(ns.get(k), jm.get(k), "/varz {k}: nats-server vs jetmirror");
    }
    assert_eq!(jm["tls_timeout"], json!(3));
    assert!(jm.contains_key("tls_cert_not_after"), "{jm:?}");
    // Key order: the keys both have come in the same order.
    let common = |a: &serde_json::Map<String, Value>, b: &serde_json::Map<String, Value>| {
        a.keys()
            .filter(|k| b.contains_key(*k))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(common(ns, jm), common(jm, ns), "/varz key order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_refuses_clients_without_a_certificate() {
    let pki = pki();
    let c = &pki.certs;
    let mut infos = Vec::new();
    for kind in KINDS {
        let server = start(kind, c.server_tls_block("verify: true"), true);
        let t = plaintext(server.port(), Duration::from_secs(5), b"", Duration::ZERO).await;
        let info = t.info.expect("INFO");
        assert_eq!(info["tls_verify"], true, "{kind:?}: {info}");
        infos.push(tls_fields(&info));

        let with_cert = tls_connect(&server, &c.ca, Some((&c.client_cert, &c.client_key)), false)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: mutual TLS connect: {e}"));
        round_trip(&with_cert, "mtls").await;

        let without = tls_connect(&server, &c.ca, None, false).await;
        assert!(
            without.is_err(),
            "{kind:?}: a client without a certificate connected"
        );

        // A certificate from a CA the server does not trust is refused too.
        let other = generate_certs(pki.dir.path(), "rogue-").expect("rogue certs");
        let rogue = tls_connect(
            &server,
            &c.ca,
            Some((&other.client_cert, &other.client_key)),
            false,
        )
        .await;
        assert!(
            rogue.is_err(),
            "{kind:?}: a foreign client certificate connected"
        );

        let reasons = closed_reasons(&server, 2).await;
        assert!(
            reasons.iter().any(|r| r == "TLS Handshake Failure"),
            "{kind:?}: closed reasons {reasons:?}"
        );
        let v = varz(&server);
        assert_eq!(v.get("tls_verify"), Some(&json!(true)), "{kind:?}");
    }
    assert_eq!(infos[0], infos[1], "INFO tls fields differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_first_sends_no_plaintext_info() {
    let pki = pki();
    let c = &pki.certs;
    let mut seen = Vec::new();
    for kind in KINDS {
        let server = start(kind, c.server_tls_block("handshake_first: true"), false);
        let client = tls_connect(&server, &c.ca, None, true)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: TLS-first connect: {e}"));
        round_trip(&client, "first").await;
        // A client that waits for INFO gets none; the server gives up after the TLS
        // timeout (2 s) and closes.
        let t = plaintext(
            server.port(),
            Duration::from_millis(800),
            b"",
            Duration::from_secs(4),
        )
        .await;
        assert!(
            t.info.is_none(),
            "{kind:?}: plaintext INFO sent with handshake_first"
        );
        assert!(t.closed, "{kind:?}: not closed");
        assert!(
            t.after.is_empty(),
            "{kind:?}: {:?}",
            String::from_utf8_lossy(&t.after)
        );
        assert!(
            t.closed_after >= Duration::from_millis(1500),
            "{kind:?}: closed after {:?}",
            t.closed_after
        );
        // A client that does not do TLS first (INFO, then upgrade) fails too.
        let normal = tls_connect(&server, &c.ca, None, false).await;
        seen.push(normal.is_ok());
    }
    assert_eq!(
        seen[0], seen[1],
        "non-TLS-first client: nats-server vs jetmirror"
    );
    assert!(!seen[1], "a non-TLS-first client connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_first_with_fallback_serves_both_kinds_of_client() {
    let pki = pki();
    let c = &pki.certs;
    let mut infos = Vec::new();
    for kind in KINDS {
        let server = start(
            kind,
            c.server_tls_block("handshake_first: \"300ms\""),
            false,
        );
        let first = tls_connect(&server, &c.ca, None, true)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: TLS-first connect: {e}"));
        round_trip(&first, "fb.first").await;
        // A client that waits for INFO gets it after the fallback delay, then upgrades.
        let started = Instant::now();
        let normal = tls_connect(&server, &c.ca, None, false)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: INFO-first connect: {e}"));
        assert!(started.elapsed() >= Duration::from_millis(250), "{kind:?}");
        round_trip(&normal, "fb.normal").await;
        let t = plaintext(server.port(), Duration::from_secs(3), b"", Duration::ZERO).await;
        let info = t
            .info
            .unwrap_or_else(|| panic!("{kind:?}: no INFO after the fallback"));
        infos.push(tls_fields(&info));
    }
    assert_eq!(infos[0], infos[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_non_tls_serves_plaintext_and_tls_clients() {
    let pki = pki();
    let c = &pki.certs;
    let mut infos = Vec::new();
    for kind in KINDS {
        let config = format!("allow_non_tls: true\n{}", c.server_tls_block(""));
        let server = start(kind, config, true);
        let t = plaintext(server.port(), Duration::from_secs(5), b"", Duration::ZERO).await;
        let info = t.info.expect("INFO");
        assert_eq!(info["tls_available"], true, "{kind:?}: {info}");
        infos.push(tls_fields(&info));
        let plain = async_nats::connect(server.client_url())
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: plaintext connect: {e}"));
        round_trip(&plain, "mixed.plain").await;
        let secure = tls_connect(&server, &c.ca, None, false)
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: TLS connect: {e}"));
        round_trip(&secure, "mixed.tls").await;
        assert!(!varz(&server).contains_key("tls_required"), "{kind:?}");
    }
    assert_eq!(infos[0], infos[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_client_on_a_tls_port_is_closed_as_by_nats_server() {
    let pki = pki();
    let c = &pki.certs;
    let mut talking = Vec::new();
    let mut silent = Vec::new();
    for kind in KINDS {
        let server = start(kind, c.server_tls_block(""), true);
        // A client that ignores tls_required and sends CONNECT in plaintext: INFO, then
        // the connection is closed at once (no -ERR: the server is in its handshake).
        let t = plaintext(
            server.port(),
            Duration::from_secs(5),
            b"CONNECT {\"verbose\":false}\r\nPING\r\n",
            Duration::from_secs(5),
        )
        .await;
        assert!(t.info.is_some(), "{kind:?}");
        assert!(t.closed, "{kind:?}: not closed");
        assert!(
            t.closed_after < Duration::from_secs(1),
            "{kind:?}: {:?}",
            t.closed_after
        );
        talking.push(String::from_utf8_lossy(&t.after).into_owned());
        // A client that sends nothing: closed when the TLS timeout (2 s) passes.
        let t = plaintext(
            server.port(),
            Duration::from_secs(5),
            b"",
            Duration::from_secs(5),
        )
        .await;
        assert!(t.closed, "{kind:?}: silent client not closed");
        assert!(
            t.closed_after >= Duration::from_millis(1500)
                && t.closed_after < Duration::from_secs(4),
            "{kind:?}: silent client closed after {:?}",
            t.closed_after
        );
        silent.push(String::from_utf8_lossy(&t.after).into_owned());
        let reasons = closed_reasons(&server, 2).await;
        assert_eq!(
            reasons,
            vec!["TLS Handshake Failure".to_string(); 2],
            "{kind:?}"
        );
    }
    assert_eq!(
        talking[0], talking[1],
        "after-INFO bytes, plaintext CONNECT"
    );
    assert_eq!(silent[0], silent[1], "after-INFO bytes, silent client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_applies_new_certificates_to_new_connections() {
    let pki = pki();
    let c = &pki.certs;
    let server = start(Kind::Jetmirror, c.server_tls_block(""), false);
    let before = tls_connect(&server, &c.ca, None, false)
        .await
        .expect("connect");
    round_trip(&before, "reload.before").await;

    // Replace the certificate and key files with ones from a new CA, then SIGHUP.
    let next = generate_certs(pki.dir.path(), "next-").expect("next certs");
    std::fs::copy(&next.server_cert, &c.server_cert).expect("copy cert");
    std::fs::copy(&next.server_key, &c.server_key).expect("copy key");
    server.signal(libc::SIGHUP);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if tls_connect(&server, &next.ca, None, false).await.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "new certificate not served: {}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        tls_connect(&server, &c.ca, None, false).await.is_err(),
        "the old certificate is still served"
    );
    // The connection made before the reload keeps working.
    round_trip(&before, "reload.after").await;
}

// ---- upstream ----

/// The hub (nats-server, JetStream domain `hub`) with `config`.
fn hub(config: String) -> Server {
    Server::start(ServerSpec {
        config: format!("server_name: hub\n{config}"),
        jetstream: true,
        jetstream_domain: Some("hub".into()),
        http: true,
        ..ServerSpec::new(Kind::NatsServer)
    })
    .expect("hub")
}

fn side(upstream: String) -> Server {
    Server::start(ServerSpec {
        config: format!("server_name: leaf\nupstream {{\n{upstream}\n}}\n"),
        jetstream: true,
        jetstream_domain: Some("leaf".into()),
        ..ServerSpec::new(Kind::Jetmirror)
    })
    .expect("jetmirror")
}

async fn api(client: &async_nats::Client, subject: &str, body: Value) -> Value {
    let m = client
        .request(subject.to_string(), Bytes::from(body.to_string()))
        .await
        .unwrap_or_else(|e| panic!("{subject}: {e}"));
    serde_json::from_slice(&m.payload).expect("json")
}

/// Creates ORIGIN on the hub with `n` messages, mirrors it on the side, and checks every
/// message arrives with its subject and data.
async fn mirror_through(hub: &async_nats::Client, side: &async_nats::Client, n: usize) {
    let js = jetstream::new(hub.clone());
    js.create_stream(stream::Config {
        name: "ORIGIN".into(),
        subjects: vec!["orig.>".into()],
        ..Default::default()
    })
    .await
    .expect("create ORIGIN");
    for i in 0..n {
        js.publish(format!("orig.{i}"), Bytes::from(format!("m{i}")))
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    let created = api(
        side,
        "$JS.API.STREAM.CREATE.MIR",
        json!({"name":"MIR","mirror":{"name":"ORIGIN","external":{"api":"$JS.hub.API"}}}),
    )
    .await;
    assert!(created.get("error").is_none(), "{created}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = api(side, "$JS.API.STREAM.INFO.MIR", json!({})).await;
        if info["state"]["messages"].as_u64() == Some(n as u64) {
            break;
        }
        assert!(Instant::now() < deadline, "mirror did not catch up: {info}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for seq in 1..=n as u64 {
        let v = api(side, "$JS.API.STREAM.MSG.GET.MIR", json!({ "seq": seq })).await;
        let i = seq - 1;
        assert_eq!(v["message"]["subject"], format!("orig.{i}"), "{v}");
        let data = v["message"]["data"].as_str().expect("data");
        use base64::Engine;
        let data = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64");
        assert_eq!(data, format!("m{i}").as_bytes());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_through_a_mutual_tls_upstream() {
    let pki = pki();
    let c = &pki.certs;
    let hub_server = hub(c.server_tls_block("verify: true"));
    let side_server = side(format!(
        "  url: \"tls://127.0.0.1:{}\"\n  tls {{\n    ca_file: {:?}\n    cert_file: {:?}\n    key_file: {:?}\n  }}",
        hub_server.port(),
        c.ca,
        c.client_cert,
        c.client_key
    ));
    let hub_client = tls_connect(
        &hub_server,
        &c.ca,
        Some((&c.client_cert, &c.client_key)),
        false,
    )
    .await
    .expect("hub connect");
    let side_client = async_nats::connect(side_server.client_url())
        .await
        .expect("side connect");
    mirror_through(&hub_client, &side_client, 10).await;
    // The upstream connection is TLS on the hub's side.
    let body = http_get(hub_server.http_port().expect("http"), "/connz").expect("connz");
    assert!(body.contains("\"tls_version\""), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_through_a_tls_first_upstream() {
    let pki = pki();
    let c = &pki.certs;
    let hub_server = hub(c.server_tls_block("handshake_first: true"));
    let side_server = side(format!(
        "  url: \"nats://127.0.0.1:{}\"\n  tls {{\n    ca_file: {:?}\n    handshake_first: true\n  }}",
        hub_server.port(),
        c.ca
    ));
    let hub_client = tls_connect(&hub_server, &c.ca, None, true)
        .await
        .expect("hub connect");
    let side_client = async_nats::connect(side_server.client_url())
        .await
        .expect("side connect");
    mirror_through(&hub_client, &side_client, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_tls_without_a_trusted_ca_does_not_connect() {
    let pki = pki();
    let c = &pki.certs;
    let other = generate_certs(pki.dir.path(), "other-").expect("other");
    let hub_server = hub(c.server_tls_block(""));
    // nats:// URL, the hub requires TLS: the upgrade happens after INFO, and fails
    // because the configured CA did not sign the hub's certificate.
    let side_server = side(format!(
        "  url: \"nats://127.0.0.1:{}\"\n  tls {{ ca_file: {:?} }}",
        hub_server.port(),
        other.ca
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let connz = http_get(hub_server.http_port().expect("http"), "/connz").expect("connz");
    assert!(connz.contains("\"num_connections\": 0"), "{connz}");
    let log = side_server.log();
    assert!(
        log.contains("no upstream server reachable") && log.contains("tls"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_through_an_upstream_with_nkey_auth() {
    let user = nkeys::KeyPair::new_user();
    let seed = user.seed().expect("seed");
    let hub_server = hub(format!(
        "authorization {{ users: [ {{ nkey: {:?} }} ] }}\n",
        user.public_key()
    ));
    // The seed given in a file, as an operator would keep it.
    let dir = tempfile::tempdir().expect("tempdir");
    let seed_file: PathBuf = dir.path().join("upstream.nk");
    std::fs::write(&seed_file, format!("{seed}\n")).expect("seed file");
    let side_server = side(format!(
        "  url: \"nats://127.0.0.1:{}\"\n  nkey: {:?}",
        hub_server.port(),
        seed_file
    ));
    let hub_client = async_nats::ConnectOptions::with_nkey(seed.clone())
        .connect(hub_server.client_url())
        .await
        .expect("hub connect");
    let side_client = async_nats::connect(side_server.client_url())
        .await
        .expect("side connect");
    mirror_through(&hub_client, &side_client, 5).await;

    // A wrong key is refused by the hub: the upstream never connects.
    let stranger = nkeys::KeyPair::new_user().seed().expect("seed");
    let refused = side(format!(
        "  url: \"nats://127.0.0.1:{}\"\n  nkey: {stranger:?}",
        hub_server.port()
    ));
    let c = async_nats::connect(refused.client_url())
        .await
        .expect("connect");
    let v = api(
        &c,
        "$JS.API.STREAM.CREATE.MIR2",
        json!({"name":"MIR2","mirror":{"name":"ORIGIN","external":{"api":"$JS.hub.API"}}}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let info = api(&c, "$JS.API.STREAM.INFO.MIR2", json!({})).await;
    assert_eq!(
        info["state"]["messages"].as_u64().unwrap_or(0),
        0,
        "create {v} info {info}"
    );
    let closed =
        http_get(hub_server.http_port().expect("http"), "/connz?state=closed").expect("connz");
    assert!(closed.contains("Authentication Failure"), "{closed}");
}

// ---- nats-py ----

const PY_SMOKE: &str = r#"
import asyncio, ssl, sys
import nats

async def main(url, ca):
    ctx = ssl.create_default_context(cafile=ca)
    nc = await nats.connect(url, tls=ctx, allow_reconnect=False, connect_timeout=5)
    sub = await nc.subscribe("py.tls")
    await nc.publish("py.tls", b"hello from nats-py")
    msg = await sub.next_msg(timeout=5)
    print("got", msg.subject, msg.data.decode())
    print("tls_required", nc._server_info.get("tls_required"))
    await nc.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_py_connects_over_tls() {
    let pki = pki();
    let c = &pki.certs;
    let script = pki.dir.path().join("smoke.py");
    std::fs::write(&script, PY_SMOKE).expect("script");
    let mut outputs = Vec::new();
    for kind in KINDS {
        let server = start(kind, c.server_tls_block(""), false);
        let url = tls_url(&server);
        let out = run_python(
            &format!("{kind:?}"),
            &script,
            &[url.as_ref(), c.ca.as_os_str()],
            Duration::from_secs(30),
        )
        .await;
        outputs.push(String::from_utf8_lossy(&out).into_owned());
    }
    assert_eq!(outputs[0], outputs[1]);
    assert!(
        outputs[1].contains("got py.tls hello from nats-py"),
        "{}",
        outputs[1]
    );
}

// ---- upstream credentials (operator mode) ----

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A NATS JWT: `nats` claims about `subject`, issued and signed by `issuer`.
fn jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: Value) -> String {
    let header = b64url(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = json!({
        "jti": format!("JTI{}{}", name.to_uppercase(), iat),
        "iat": iat,
        "iss": issuer.public_key(),
        "name": name,
        "sub": subject,
        "nats": nats,
    });
    let payload = b64url(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{payload}");
    let sig = issuer.sign(signing_input.as_bytes()).expect("sign");
    format!("{signing_input}.{}", b64url(&sig))
}

fn creds_file(user_jwt: &str, seed: &str) -> String {
    format!(
        "-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n\
         ************************* IMPORTANT *************************\n\
         NKEY Seed printed below can be used to sign and prove identity.\n\n\
         -----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_through_an_upstream_with_credentials() {
    let operator = nkeys::KeyPair::new_operator();
    let account = nkeys::KeyPair::new_account();
    let system = nkeys::KeyPair::new_account();
    let user = nkeys::KeyPair::new_user();
    let op_jwt = jwt(
        &operator,
        &operator.public_key(),
        "op",
        json!({"type": "operator", "version": 2}),
    );
    let limits = json!({
        "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
        "wildcards": true, "conn": -1, "leaf": -1,
        "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1
    });
    let acc_jwt = jwt(
        &operator,
        &account.public_key(),
        "acc",
        json!({"limits": limits, "type": "account", "version": 2}),
    );
    let sys_jwt = jwt(
        &operator,
        &system.public_key(),
        "sys",
        json!({"type": "account", "version": 2}),
    );
    let user_jwt = jwt(
        &account,
        &user.public_key(),
        "u",
        json!({"pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1, "type": "user", "version": 2}),
    );
    let hub_server = hub(format!(
        "operator: {op_jwt:?}\nsystem_account: {:?}\nresolver: MEMORY\nresolver_preload: {{\n  {}: {acc_jwt:?}\n  {}: {sys_jwt:?}\n}}\n",
        system.public_key(),
        account.public_key(),
        system.public_key(),
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    let creds = dir.path().join("user.creds");
    let creds_text = creds_file(&user_jwt, &user.seed().expect("seed"));
    std::fs::write(&creds, &creds_text).expect("creds");
    let side_server = side(format!(
        "  url: \"nats://127.0.0.1:{}\"\n  credentials: {:?}",
        hub_server.port(),
        creds
    ));
    let hub_client = async_nats::ConnectOptions::with_credentials(&creds_text)
        .expect("creds")
        .connect(hub_server.client_url())
        .await
        .expect("hub connect");
    let side_client = async_nats::connect(side_server.client_url())
        .await
        .expect("side connect");
    mirror_through(&hub_client, &side_client, 5).await;
}

// ---- https monitoring ----

const PY_HTTPS_GET: &str = r#"
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
with urllib.request.urlopen(sys.argv[1], context=ctx, timeout=10) as r:
    print(json.dumps(json.loads(r.read())))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_monitoring_uses_the_tls_certificate_without_client_auth() {
    let pki = pki();
    let c = &pki.certs;
    let script = pki.dir.path().join("https_get.py");
    std::fs::write(&script, PY_HTTPS_GET).expect("script");
    let mut varzs = Vec::new();
    for kind in KINDS {
        let https_port = jetmirror_testkit::free_port().expect("port");
        let config = format!(
            "https_port: {https_port}\n{}",
            c.server_tls_block("verify: true")
        );
        let _server = start(kind, config, false);
        let url = format!("https://127.0.0.1:{https_port}/varz");
        let out = run_python(
            &format!("{kind:?}"),
            &script,
            &[url.as_ref(), c.ca.as_os_str()],
            Duration::from_secs(30),
        )
        .await;
        let v: Value = serde_json::from_slice(&out).expect("varz json");
        assert_eq!(v["https_port"], https_port, "{kind:?}");
        varzs.push(v);
    }
    for k in ["tls_required", "tls_verify", "tls_timeout", "http_port"] {
        assert_eq!(varzs[0].get(k), varzs[1].get(k), "/varz {k}");
    }
}
