//! Mirror fault matrix: an origin stream on a real nats-server 2.15.1 (JetStream domain
//! `hub`), mirrored by jetmirror through `external.api = "$JS.hub.API"`, under the
//! faults operators meet: the upstream killed (-9) and restarted, frozen (SIGSTOP) for
//! 30 s, jetmirror itself killed mid-ingest, the origin deleted and recreated, the
//! mirror filled past its own limits, and a three-node upstream cluster losing its
//! stream leader or freezing the node the mirror is connected to. Each test ends with
//! the origin's exact sequence set on the mirror (every sequence compared by
//! STREAM.MSG.GET: subject, headers, data, time) or with the error the mirror reports,
//! and says which.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use bytes::Bytes;
use futures::StreamExt;
use jetmirror_testkit::{http_get, nats_cluster, Kind, Server, ServerSpec};
use serde_json::{json, Value};

// ----------------------------------------------------------------------------- setup

/// A hub nats-server (JetStream domain `hub`) and jetmirror (HTTP monitoring on) whose
/// upstream is the hub.
fn hub_and_mirror() -> (Server, Server) {
    let hub = Server::start(ServerSpec {
        config: "server_name: hub\n".into(),
        jetstream: true,
        jetstream_domain: Some("hub".into()),
        http: true,
        ..ServerSpec::new(Kind::NatsServer)
    })
    .expect("start hub");
    let side = jetmirror_on(&[hub.client_url()]);
    (hub, side)
}

/// jetmirror (server name `side`, domain `leaf`, HTTP on) with these upstream URLs.
fn jetmirror_on(urls: &[String]) -> Server {
    let list = urls
        .iter()
        .map(|u| format!("{u:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    Server::start(ServerSpec {
        config: format!("server_name: side\nupstream {{\n  urls: [{list}]\n}}\n"),
        jetstream: true,
        jetstream_domain: Some("leaf".into()),
        http: true,
        ..ServerSpec::new(Kind::Jetmirror)
    })
    .expect("start jetmirror")
}

async fn connect(url: &str) -> async_nats::Client {
    async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connect(url)
        .await
        .expect("connect")
}

async fn api(client: &async_nats::Client, subject: &str, body: Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout(
            Duration::from_secs(2),
            client.request(subject.to_string(), Bytes::from(body.to_string())),
        )
        .await
        {
            Ok(Ok(m)) => return serde_json::from_slice(&m.payload).expect("json"),
            other => {
                assert!(Instant::now() < deadline, "{subject}: {other:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn info(client: &async_nats::Client, stream: &str) -> Value {
    api(client, &format!("$JS.API.STREAM.INFO.{stream}"), json!({})).await
}

fn state_of(v: &Value) -> (u64, u64, u64) {
    let s = &v["state"];
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    (n("messages"), n("first_seq"), n("last_seq"))
}

async fn create_origin(hub: &async_nats::Client, replicas: u64) {
    let v = api(
        hub,
        "$JS.API.STREAM.CREATE.ORIGIN",
        json!({"name":"ORIGIN","subjects":["orig.>"],"num_replicas":replicas}),
    )
    .await;
    assert!(v.get("error").is_none(), "{v}");
}

async fn create_mirror(side: &async_nats::Client, name: &str, extra: Value) -> Value {
    let mut cfg =
        json!({"name": name, "mirror": {"name":"ORIGIN","external":{"api":"$JS.hub.API"}}});
    if let (Some(c), Some(e)) = (cfg.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            c.insert(k.clone(), v.clone());
        }
    }
    let v = api(side, &format!("$JS.API.STREAM.CREATE.{name}"), cfg).await;
    assert!(v.get("error").is_none(), "{v}");
    v
}

/// Publishes `n` messages (subjects, headers, binary and empty payloads vary) and waits
/// for every ack.
async fn publish_batch(hub: &async_nats::Client, from: u64, n: u64) -> u64 {
    let js = jetstream::new(hub.clone());
    let mut last = 0;
    for i in from..from + n {
        let (subject, headers, payload) = message(i);
        let ack = js
            .publish_with_headers(subject, headers, payload)
            .await
            .expect("publish")
            .await
            .expect("ack");
        last = ack.sequence;
    }
    last
}

fn message(i: u64) -> (String, async_nats::HeaderMap, Bytes) {
    let subject = format!("orig.{}", ["a", "b.c", "d"][(i % 3) as usize]);
    let mut h = async_nats::HeaderMap::new();
    if i.is_multiple_of(2) {
        h.insert("X-Index", i.to_string().as_str());
    }
    let payload = match i % 4 {
        0 => Bytes::new(),
        1 => Bytes::from(
            (0..=255u8)
                .cycle()
                .take(100 + (i % 50) as usize)
                .collect::<Vec<u8>>(),
        ),
        _ => Bytes::from(format!("payload-{i}")),
    };
    (subject, h, payload)
}

/// A steady publisher (about `rate` messages a second, each ack awaited with a 1 s
/// timeout; failures are counted and the publisher carries on).
struct Publisher {
    stop: Arc<AtomicBool>,
    /// Highest acked origin sequence.
    acked: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<(u64, u64)>,
}

impl Publisher {
    fn start(client: async_nats::Client, rate: u64, from: u64) -> Publisher {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicU64::new(0));
        let (s, a) = (stop.clone(), acked.clone());
        let task = tokio::spawn(async move {
            let js = jetstream::new(client);
            let (mut ok, mut failed) = (0u64, 0u64);
            let mut i = from;
            let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !s.load(Ordering::Relaxed) {
                tick.tick().await;
                let (subject, headers, payload) = message(i);
                i += 1;
                let r = tokio::time::timeout(Duration::from_secs(1), async {
                    js.publish_with_headers(subject, headers, payload)
                        .await?
                        .await
                        .map_err(|e| async_nats::Error::from(e.to_string()))
                })
                .await;
                match r {
                    Ok(Ok(ack)) => {
                        ok += 1;
                        a.fetch_max(ack.sequence, Ordering::Relaxed);
                    }
                    _ => failed += 1,
                }
            }
            (ok, failed)
        });
        Publisher { stop, acked, task }
    }

    /// Waits for an ack of a sequence above `seq`; returns it.
    async fn acked_above(&self, seq: u64, within: Duration) -> u64 {
        let deadline = Instant::now() + within;
        loop {
            let a = self.acked.load(Ordering::Relaxed);
            if a > seq {
                return a;
            }
            assert!(Instant::now() < deadline, "no publish acked above {seq}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.expect("publisher")
    }
}

/// `STREAM.MSG.GET` of `seq`: the message, or None when the sequence is absent.
async fn get(client: &async_nats::Client, stream: &str, seq: u64) -> Option<Value> {
    let v = api(
        client,
        &format!("$JS.API.STREAM.MSG.GET.{stream}"),
        json!({ "seq": seq }),
    )
    .await;
    if let Some(e) = v.get("error") {
        assert_eq!(e["err_code"], 10037, "{stream} seq {seq}: {v}");
        return None;
    }
    Some(v["message"].clone())
}

/// Every sequence in `seqs` of `stream` on `a` and of `mirror` on `b`: both absent,
/// or equal in seq, subject, headers, data and time. Returns how many were present.
async fn compare_range(
    a: &async_nats::Client,
    stream: &str,
    b: &async_nats::Client,
    mirror: &str,
    seqs: std::ops::RangeInclusive<u64>,
) -> u64 {
    let pairs: Vec<(u64, Option<Value>, Option<Value>)> = futures::stream::iter(seqs)
        .map(|seq| async move { (seq, get(a, stream, seq).await, get(b, mirror, seq).await) })
        .buffered(32)
        .collect()
        .await;
    let mut present = 0;
    for (seq, o, m) in pairs {
        match (o, m) {
            (Some(o), Some(m)) => {
                for k in ["seq", "subject", "hdrs", "data", "time"] {
                    assert_eq!(o.get(k), m.get(k), "seq {seq} field {k}: {o} vs {m}");
                }
                present += 1;
            }
            (None, None) => {}
            (o, m) => panic!("seq {seq}: {stream} {o:?} {mirror} {m:?}"),
        }
    }
    present
}

/// Waits until `mirror` (on `side`) has the origin's state, then compares every
/// sequence: the origin's exact sequence set, no loss, no duplicates.
async fn assert_mirror_equals_origin(
    hub: &async_nats::Client,
    side: &async_nats::Client,
    mirror: &str,
) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    let (origin, mirror_state) = loop {
        let o = state_of(&info(hub, "ORIGIN").await);
        let m = state_of(&info(side, mirror).await);
        if o == m {
            break (o, m);
        }
        assert!(
            Instant::now() < deadline,
            "mirror not in sync: origin {o:?} mirror {m:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let present = compare_range(hub, "ORIGIN", side, mirror, origin.1.max(1)..=origin.2).await;
    assert_eq!(present, mirror_state.0, "messages present vs state");
    present
}

/// The tests here measure heal and resume times and freeze processes for seconds: they
/// run one at a time so that they do not slow each other down on a small machine.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits (up to 3 s) for `mirror`'s `lag` to read 0, as it must once a caught-up
/// mirror's origin is quiet (the origin's STREAM.INFO confirms it); returns its info.
async fn wait_lag_zero(side: &async_nats::Client, mirror: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let m = info(side, mirror).await;
        if m["mirror"]["lag"] == 0 {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "lag stays above 0: {}",
            m["mirror"]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn block<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

// ----------------------------------------------------------------------------- a

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_killed_and_restarted_during_publishing() {
    let _serial = SERIAL.lock().await;
    let (mut hub_server, side_server) = hub_and_mirror();
    let hub = connect(&hub_server.client_url()).await;
    let side = connect(&side_server.client_url()).await;
    create_origin(&hub, 1).await;
    create_mirror(&side, "MIR", json!({})).await;
    let publisher = Publisher::start(hub.clone(), 200, 0);
    publisher.acked_above(100, Duration::from_secs(10)).await;
    block(|| hub_server.kill_and_restart()).expect("restart hub");
    let before = publisher.acked.load(Ordering::Relaxed);
    publisher
        .acked_above(before + 100, Duration::from_secs(20))
        .await;
    let (ok, failed) = publisher.stop().await;
    eprintln!("publisher: {ok} acked, {failed} failed");
    let n = assert_mirror_equals_origin(&hub, &side, "MIR").await;
    assert!(n >= 200, "{n}");
    let m = wait_lag_zero(&side, "MIR").await;
    assert!(m["mirror"].get("error").is_none(), "{m}");
}

// ----------------------------------------------------------------------------- b + health

/// `/healthz` of jetmirror: (status code 200 or 503, body).
fn healthz(server: &Server, query: &str) -> (u16, Value) {
    let port = server.http_port().expect("http");
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect http");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(s, "GET /healthz{query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let (head, body) = out.split_once("\r\n\r\n").expect("http answer");
    let code: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status code");
    (code, serde_json::from_str(body).expect("healthz json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_frozen_30s_then_resumed_reports_stall_and_recovers() {
    let _serial = SERIAL.lock().await;
    let (hub_server, side_server) = hub_and_mirror();
    let hub = connect(&hub_server.client_url()).await;
    let side = connect(&side_server.client_url()).await;
    let mut stalled = side
        .subscribe("$JS.EVENT.ADVISORY.STREAM.MIRROR_STALLED.MIR")
        .await
        .expect("sub");
    let mut recovered = side
        .subscribe("$JS.EVENT.ADVISORY.STREAM.MIRROR_RECOVERED.MIR")
        .await
        .expect("sub");
    create_origin(&hub, 1).await;
    create_mirror(&side, "MIR", json!({})).await;
    let publisher = Publisher::start(hub.clone(), 100, 0);
    publisher.acked_above(100, Duration::from_secs(10)).await;
    assert_eq!(block(|| healthz(&side_server, "")).0, 200);

    hub_server.signal(libc::SIGSTOP);
    let frozen_at = Instant::now();
    // The stall shows up after the threshold (10 s) while the upstream is frozen:
    // an advisory, and /healthz 503 in nats-server's format.
    let adv = tokio::time::timeout(Duration::from_secs(20), stalled.next())
        .await
        .expect("stall advisory within 20 s")
        .expect("advisory");
    let took = frozen_at.elapsed();
    eprintln!("stall advisory {took:?} after the freeze");
    assert!(took >= Duration::from_secs(9), "{took:?}");
    let adv: Value = serde_json::from_slice(&adv.payload).expect("json");
    assert_eq!(
        adv["type"], "io.jetmirror.advisory.v1.mirror_stalled",
        "{adv}"
    );
    assert_eq!(adv["stream"], "MIR", "{adv}");
    assert_eq!(adv["mirror"]["name"], "ORIGIN", "{adv}");
    assert!(
        adv["mirror"]["active"].as_i64().unwrap_or(0) > 9_000_000_000,
        "{adv}"
    );
    assert_eq!(adv["domain"], "leaf", "{adv}");
    let (code, body) = block(|| healthz(&side_server, ""));
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["status"], "unavailable", "{body}");
    let err = body["error"].as_str().expect("error text");
    assert!(
        err.starts_with("JetStream stream '$G > MIR' mirror of 'ORIGIN' stalled"),
        "{err}"
    );
    let (code, body) = block(|| healthz(&side_server, "?details=true"));
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["errors"][0]["type"], "STREAM", "{body}");
    assert_eq!(body["errors"][0]["stream"], "MIR", "{body}");
    // JetStream itself is fine: the narrower checks stay healthy.
    assert_eq!(
        block(|| healthz(&side_server, "?js-enabled-only=true")).0,
        200
    );
    assert_eq!(
        block(|| healthz(&side_server, "?js-server-only=true")).0,
        200
    );
    // While frozen the mirror is not reported current.
    let m = info(&side, "MIR").await;
    assert!(
        m["mirror"]["active"].as_i64().unwrap_or(0) > 9_000_000_000,
        "{m}"
    );

    let rest = Duration::from_secs(30).saturating_sub(frozen_at.elapsed());
    tokio::time::sleep(rest).await;
    hub_server.signal(libc::SIGCONT);
    let thawed = Instant::now();
    let adv = tokio::time::timeout(Duration::from_secs(10), recovered.next())
        .await
        .expect("recovery advisory")
        .expect("advisory");
    eprintln!("recovery advisory {:?} after SIGCONT", thawed.elapsed());
    let adv: Value = serde_json::from_slice(&adv.payload).expect("json");
    assert_eq!(
        adv["type"], "io.jetmirror.advisory.v1.mirror_recovered",
        "{adv}"
    );
    let before = publisher.acked.load(Ordering::Relaxed);
    publisher
        .acked_above(before + 100, Duration::from_secs(20))
        .await;
    let (ok, failed) = publisher.stop().await;
    eprintln!("publisher: {ok} acked, {failed} failed");
    assert_mirror_equals_origin(&hub, &side, "MIR").await;
    assert_eq!(block(|| healthz(&side_server, "")).0, 200);
}

// ----------------------------------------------------------------------------- c

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetmirror_killed_mid_ingest_resumes_without_loss_or_duplicates() {
    let _serial = SERIAL.lock().await;
    let (hub_server, mut side_server) = hub_and_mirror();
    let hub = connect(&hub_server.client_url()).await;
    create_origin(&hub, 1).await;
    // A backlog large enough that the kill lands mid-ingest.
    const BACKLOG: u64 = 60_000;
    for i in 0..BACKLOG {
        let (subject, headers, payload) = message(i);
        hub.publish_with_headers(subject, headers, payload)
            .await
            .expect("publish");
    }
    hub.flush().await.expect("flush");
    let deadline = Instant::now() + Duration::from_secs(30);
    while state_of(&info(&hub, "ORIGIN").await).2 < BACKLOG {
        assert!(Instant::now() < deadline, "origin not filled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let side = connect(&side_server.client_url()).await;
    create_mirror(&side, "MIR", json!({})).await;
    let publisher = Publisher::start(hub.clone(), 100, BACKLOG);
    let deadline = Instant::now() + Duration::from_secs(30);
    let at_kill = loop {
        let m = state_of(&info(&side, "MIR").await).2;
        if m >= 1_000 {
            break m;
        }
        assert!(Instant::now() < deadline, "mirror does not ingest");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    drop(side);
    block(|| side_server.kill_and_restart()).expect("restart jetmirror");
    eprintln!("jetmirror killed with about {at_kill} of {BACKLOG}+ mirrored");
    assert!(
        at_kill < BACKLOG,
        "the kill did not land mid-ingest ({at_kill})"
    );
    let before = publisher.acked.load(Ordering::Relaxed);
    publisher
        .acked_above(before + 50, Duration::from_secs(20))
        .await;
    publisher.stop().await;
    let side = connect(&side_server.client_url()).await;
    let n = assert_mirror_equals_origin(&hub, &side, "MIR").await;
    assert!(n > BACKLOG, "{n}");
}

// ----------------------------------------------------------------------------- d

/// nats-server's mirror does not notice that its origin was recreated: it resumes at
/// its own last sequence + 1 and ignores the new origin's messages below that
/// (mirror.md §8). jetmirror keeps that data behaviour and tells the truth meanwhile:
/// `stream not found` while the origin is gone, then an error saying the origin went
/// back, until the origin passes the mirror's last sequence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_deleted_and_recreated_resumes_after_the_mirrors_last_sequence() {
    let _serial = SERIAL.lock().await;
    let (hub_server, side_server) = hub_and_mirror();
    let hub = connect(&hub_server.client_url()).await;
    let side = connect(&side_server.client_url()).await;
    create_origin(&hub, 1).await;
    create_mirror(&side, "MIR", json!({})).await;
    publish_batch(&hub, 0, 10).await;
    assert_mirror_equals_origin(&hub, &side, "MIR").await;
    let mut old = Vec::new();
    for seq in 1..=10 {
        old.push(get(&hub, "ORIGIN", seq).await.expect("old origin message"));
    }

    let v = api(&hub, "$JS.API.STREAM.DELETE.ORIGIN", json!({})).await;
    assert_eq!(v["success"], true, "{v}");
    let wait_error = |want: &'static str| {
        let side = side.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let m = info(&side, "MIR").await;
                let e = &m["mirror"]["error"];
                if e.to_string().contains(want) {
                    return m;
                }
                assert!(Instant::now() < deadline, "no mirror error {want:?}: {m}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let m = wait_error("stream not found").await;
    assert_eq!(m["mirror"]["error"]["err_code"], 10059, "{m}");

    create_origin(&hub, 1).await;
    publish_batch(&hub, 100, 5).await;
    let m = wait_error("went back").await;
    eprintln!("mirror info while the origin is behind: {}", m["mirror"]);
    assert_eq!(state_of(&m), (10, 1, 10), "{m}");
    // Nothing the recreated origin holds is ahead of the mirror.
    assert!(m["mirror"]["lag"].as_u64().is_some_and(|l| l <= 1), "{m}");

    // The new origin passes the mirror's last sequence: 11.. are mirrored, the error
    // clears; 1..10 stay the OLD origin's messages.
    let last = publish_batch(&hub, 200, 8).await;
    assert_eq!(last, 13);
    let deadline = Instant::now() + Duration::from_secs(20);
    let m = loop {
        let m = info(&side, "MIR").await;
        if state_of(&m) == (13, 1, 13) && m["mirror"].get("error").is_none() {
            break m;
        }
        assert!(Instant::now() < deadline, "mirror did not resume: {m}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(m["mirror"].get("error").is_none(), "{m}");
    wait_lag_zero(&side, "MIR").await;
    for (i, o) in old.iter().enumerate() {
        let seq = i as u64 + 1;
        let got = get(&side, "MIR", seq).await.expect("kept");
        for k in ["seq", "subject", "hdrs", "data", "time"] {
            assert_eq!(o.get(k), got.get(k), "old seq {seq} {k}");
        }
    }
    assert_eq!(
        compare_range(&hub, "ORIGIN", &side, "MIR", 11..=13).await,
        3
    );
}

// ----------------------------------------------------------------------------- e

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_past_its_own_limits_discard_old_keeps_newest_discard_new_reports() {
    let _serial = SERIAL.lock().await;
    let (hub_server, side_server) = hub_and_mirror();
    let hub = connect(&hub_server.client_url()).await;
    let side = connect(&side_server.client_url()).await;
    create_origin(&hub, 1).await;
    let mut stalled = side
        .subscribe("$JS.EVENT.ADVISORY.STREAM.MIRROR_STALLED.*")
        .await
        .expect("sub");
    create_mirror(&side, "MOLD", json!({"max_msgs": 50, "discard": "old"})).await;
    create_mirror(&side, "MNEW", json!({"max_msgs": 50, "discard": "new"})).await;
    create_mirror(
        &side,
        "MBYTES",
        json!({"max_bytes": 4096, "discard": "old"}),
    )
    .await;
    publish_batch(&hub, 0, 200).await;

    // discard old: the newest 50, current, and keeping up with live traffic.
    let wait_state = |name: &'static str, want: (u64, u64, u64)| {
        let side = side.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let m = info(&side, name).await;
                if state_of(&m) == want {
                    return m;
                }
                assert!(Instant::now() < deadline, "{name} not at {want:?}: {m}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    wait_state("MOLD", (50, 151, 200)).await;
    let m = wait_lag_zero(&side, "MOLD").await;
    assert!(m["mirror"].get("error").is_none(), "{m}");
    assert_eq!(
        compare_range(&hub, "ORIGIN", &side, "MOLD", 151..=200).await,
        50
    );
    publish_batch(&hub, 200, 30).await;
    wait_state("MOLD", (50, 181, 230)).await;
    assert_eq!(
        compare_range(&hub, "ORIGIN", &side, "MOLD", 181..=230).await,
        50
    );
    let b = info(&side, "MBYTES").await;
    assert!(
        b["state"]["bytes"].as_u64().unwrap_or(u64::MAX) <= 4096,
        "{b}"
    );
    let (n, first, last) = state_of(&b);
    assert_eq!(last, 230, "{b}");
    assert_eq!(n, last - first + 1, "{b}");
    assert_eq!(
        compare_range(&hub, "ORIGIN", &side, "MBYTES", first..=last).await,
        n
    );

    // discard new: the first 50 stay, the rest is refused; nats-server only logs
    // this and shows a frozen lag; jetmirror shows the store error and the real lag.
    let deadline = Instant::now() + Duration::from_secs(20);
    let m = loop {
        let m = info(&side, "MNEW").await;
        if m["mirror"].get("error").is_some() && m["mirror"]["lag"].as_u64() == Some(180) {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "MNEW shows no error/lag: {}",
            m["mirror"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("discard new mirror: {}", m["mirror"]);
    assert_eq!(state_of(&m), (50, 1, 50), "{m}");
    assert_eq!(m["mirror"]["error"]["code"], 503, "{m}");
    assert_eq!(m["mirror"]["error"]["err_code"], 10077, "{m}");
    assert_eq!(
        compare_range(&hub, "ORIGIN", &side, "MNEW", 1..=50).await,
        50
    );

    // It cannot make progress while its origin is ahead: after the threshold (10 s)
    // it is reported stalled (advisory, /healthz 503); the others are not.
    let adv = tokio::time::timeout(Duration::from_secs(25), stalled.next())
        .await
        .expect("stall advisory")
        .expect("advisory");
    let adv: Value = serde_json::from_slice(&adv.payload).expect("json");
    assert_eq!(adv["stream"], "MNEW", "{adv}");
    assert_eq!(adv["mirror"]["lag"], 180, "{adv}");
    assert_eq!(adv["mirror"]["error"]["err_code"], 10077, "{adv}");
    let (code, body) = block(|| healthz(&side_server, ""));
    assert_eq!(code, 503, "{body}");
    let err = body["error"].as_str().unwrap_or_default();
    assert!(err.contains("'$G > MNEW'"), "{err}");
    assert!(err.contains("lag 180"), "{err}");
    assert!(err.ends_with("error: maximum messages exceeded"), "{err}");
    let (_, details) = block(|| healthz(&side_server, "?details=true"));
    assert_eq!(
        details["errors"].as_array().map(Vec::len),
        Some(1),
        "{details}"
    );
}

// ----------------------------------------------------------------------------- f

/// From the upstream's port accepting again (after kill -9) to a message published
/// after the restart being readable on the mirror.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_upstream_restart_is_under_one_second() {
    let _serial = SERIAL.lock().await;
    let (mut hub_server, side_server) = hub_and_mirror();
    let hub = connect(&hub_server.client_url()).await;
    let side = connect(&side_server.client_url()).await;
    create_origin(&hub, 1).await;
    create_mirror(&side, "MIR", json!({})).await;
    publish_batch(&hub, 0, 10).await;
    assert_mirror_equals_origin(&hub, &side, "MIR").await;
    drop(hub);
    let port = hub_server.port();
    let mut figures = Vec::new();
    for round in 0..3u64 {
        block(|| hub_server.kill());
        // Down long enough for the mirror's client to be in its back-off.
        tokio::time::sleep(Duration::from_millis(1500 + 500 * round)).await;
        let watcher = std::thread::spawn(move || loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Instant::now();
            }
            std::thread::sleep(Duration::from_millis(1));
        });
        block(|| hub_server.start_again()).expect("restart hub");
        let accepting = watcher.join().expect("watcher");
        let hub = connect(&hub_server.client_url()).await;
        let seq = loop {
            let (subject, headers, payload) = message(1000 + round);
            let js = jetstream::new(hub.clone());
            match js.publish_with_headers(subject, headers, payload).await {
                Ok(f) => match f.await {
                    Ok(ack) => break ack.sequence,
                    Err(_) => continue,
                },
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        };
        let published = accepting.elapsed();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let m = api(&side, "$JS.API.STREAM.MSG.GET.MIR", json!({"seq": seq})).await;
            if m.get("message").is_some() {
                break;
            }
            assert!(Instant::now() < deadline, "seq {seq} never mirrored");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let resumed = accepting.elapsed();
        eprintln!("round {round}: upstream accepting -> published {published:?} -> on the mirror {resumed:?}");
        figures.push(resumed);
    }
    eprintln!("resume times: {figures:?}");
    let hub = connect(&hub_server.client_url()).await;
    assert_mirror_equals_origin(&hub, &side, "MIR").await;
    for f in figures {
        assert!(f < Duration::from_secs(1), "resume took {f:?}");
    }
}

// ----------------------------------------------------------------------------- g

/// Which node of `nodes` holds jetmirror's upstream connection (by its client name);
/// `None` unless exactly one does.
fn node_of_jetmirror(nodes: &[Server]) -> Option<usize> {
    let on: Vec<usize> = (0..nodes.len())
        .filter(|i| {
            nodes[*i]
                .http_port()
                .and_then(|p| http_get(p, "/connz").ok())
                .is_some_and(|body| body.contains("\"name\": \"jetmirror side\""))
        })
        .collect();
    match on.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

async fn stream_leader(admin: &async_nats::Client) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = info(admin, "ORIGIN").await;
        if let Some(l) = v.pointer("/cluster/leader").and_then(Value::as_str) {
            if let Ok(i) = l.trim_start_matches('n').parse::<usize>() {
                return i - 1;
            }
        }
        assert!(Instant::now() < deadline, "no stream leader: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `(origin acked seq, mirror last_seq, mirror lag)`.
type LagSample = (u64, u64, u64);

/// Samples the mirror's STREAM.INFO every ~100 ms until stopped; returns every sample
/// `(origin acked seq, mirror last_seq, mirror lag)` where the lag read 0 while the
/// mirror was more than 20 messages behind what the origin had acked.
fn sample_lag(
    side: async_nats::Client,
    acked: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<(u64, Vec<LagSample>)> {
    tokio::spawn(async move {
        let mut bad = Vec::new();
        let mut samples = 0;
        while !stop.load(Ordering::Relaxed) {
            let origin = acked.load(Ordering::Relaxed);
            if let Ok(Ok(m)) = tokio::time::timeout(
                Duration::from_secs(1),
                side.request("$JS.API.STREAM.INFO.MIR", Bytes::new()),
            )
            .await
            {
                let v: Value = serde_json::from_slice(&m.payload).unwrap_or(Value::Null);
                let last = state_of(&v).2;
                let lag = v["mirror"]["lag"].as_u64().unwrap_or(0);
                samples += 1;
                if lag == 0 && origin > last + 20 {
                    if bad.is_empty() {
                        eprintln!(
                            "first lag-0 sample: origin {origin}, mirror {}",
                            v["mirror"]
                        );
                    }
                    bad.push((origin, last, lag));
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (samples, bad)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r3_upstream_step_down_and_frozen_node_heal_within_4s_and_lag_stays_truthful() {
    let _serial = SERIAL.lock().await;
    let nodes = block(|| nats_cluster(3, Some("hub"))).expect("cluster");
    let urls: Vec<String> = nodes.iter().map(Server::client_url).collect();
    let admin = connect(&urls[0]).await;
    create_origin(&admin, 3).await;
    // jetmirror starts on a node that is not the stream leader; the other nodes are
    // learned from INFO connect_urls.
    let leader = stream_leader(&admin).await;
    let start = (leader + 1) % 3;
    let side_server = jetmirror_on(&[urls[start].clone()]);
    let side = connect(&side_server.client_url()).await;
    create_mirror(&side, "MIR", json!({})).await;
    // The publisher sits on the third node, so neither fault below touches it.
    let pub_node = (leader + 2) % 3;
    let publisher_client = connect(&urls[pub_node]).await;
    let publisher = Publisher::start(publisher_client.clone(), 150, 0);
    publisher.acked_above(150, Duration::from_secs(15)).await;
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_lag(side.clone(), publisher.acked.clone(), stop.clone());

    let wait_mirror_at = |seq: u64| {
        let side = side.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if state_of(&info(&side, "MIR").await).2 >= seq {
                    return;
                }
                assert!(Instant::now() < deadline, "mirror never reached {seq}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };

    // 1. Origin leader step-down during publishing.
    let t = Instant::now();
    let v = api(
        &publisher_client,
        "$JS.API.STREAM.LEADER.STEPDOWN.ORIGIN",
        json!({}),
    )
    .await;
    assert_eq!(v["success"], true, "{v}");
    let after = publisher.acked.load(Ordering::Relaxed);
    let fresh = publisher.acked_above(after, Duration::from_secs(10)).await;
    wait_mirror_at(fresh).await;
    let stepdown_heal = t.elapsed();
    eprintln!(
        "step-down: mirror has seq {fresh} (acked after the step-down) {stepdown_heal:?} after it"
    );
    assert!(stepdown_heal < Duration::from_secs(4), "{stepdown_heal:?}");

    // 2. SIGSTOP the node jetmirror is connected to (made sure it is not the stream
    //    leader, and not the publisher's node), 8 s.
    let frozen = node_of_jetmirror(&nodes).expect("jetmirror's upstream node");
    assert_ne!(frozen, pub_node);
    let deadline = Instant::now() + Duration::from_secs(20);
    while stream_leader(&admin).await == frozen {
        assert!(Instant::now() < deadline, "leader stays on the frozen node");
        let _ = api(
            &publisher_client,
            "$JS.API.STREAM.LEADER.STEPDOWN.ORIGIN",
            json!({}),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Publishing runs steadily again (a step-down pauses it) before the freeze: an
    // origin that was idle gives the mirror no rate to estimate from, and it learns
    // of the frozen link only when the idle heartbeats are overdue (1.5 s).
    let settled = publisher.acked.load(Ordering::Relaxed);
    publisher
        .acked_above(settled + 150, Duration::from_secs(15))
        .await;
    nodes[frozen].signal(libc::SIGSTOP);
    let t = Instant::now();
    let after = publisher.acked.load(Ordering::Relaxed);
    let fresh = publisher.acked_above(after, Duration::from_secs(10)).await;
    wait_mirror_at(fresh).await;
    let freeze_heal = t.elapsed();
    eprintln!("frozen node: mirror has seq {fresh} {freeze_heal:?} after SIGSTOP");
    assert!(freeze_heal < Duration::from_secs(4), "{freeze_heal:?}");
    assert_ne!(
        node_of_jetmirror(&nodes),
        Some(frozen),
        "still on the frozen node"
    );
    tokio::time::sleep(Duration::from_secs(8).saturating_sub(t.elapsed())).await;
    nodes[frozen].signal(libc::SIGCONT);

    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let (samples, bad) = sampler.await.expect("sampler");
    let (ok, failed) = publisher.stop().await;
    eprintln!("publisher {ok} acked / {failed} failed; {samples} lag samples");
    assert!(samples > 50, "{samples}");
    if !bad.is_empty() {
        for line in side_server.log().lines().filter(|l| !l.contains("[DBG]")) {
            eprintln!("LOG {line}");
        }
    }
    assert!(
        bad.is_empty(),
        "lag 0 while > 20 behind (origin, mirror last, lag): {bad:?}"
    );
    let admin = connect(&urls[pub_node]).await;
    assert_mirror_equals_origin(&admin, &side, "MIR").await;
}
