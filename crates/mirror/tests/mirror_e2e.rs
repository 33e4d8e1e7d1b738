//! End to end: a JetStream stream on a real nats-server, mirrored by the driver
//! (`MirrorIngest` + `UpstreamClient`) into an in-memory sink that applies
//! `SinkOp`s with the stream layer's semantics. The sink's content must equal the
//! origin's messages (`$JS.API.STREAM.MSG.GET`): sequence, subject, headers
//! (minus `Nats-Expected-*`), payload and timestamp; deleted origin messages must
//! become gaps; a restarted mirror resumes at last_seq + 1.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use jetmirror_mirror::core::clean_headers;
use jetmirror_mirror::{
    spawn_mirror, MirrorConfig, MirrorSink, SinkFuture, SinkOp, StoreError, StoreMsg, StoreState,
    UpstreamClient, UpstreamConfig,
};
use jetmirror_testkit::{Server, ServerSpec};
use serde_json::{json, Value};

/// The in-memory "stream layer". Fault model: none; it enforces the contract of
/// `Effect::Store` / `Effect::SkipTo` and records every op.
#[derive(Default)]
struct MemStore {
    msgs: BTreeMap<u64, StoreMsg>,
    deleted: BTreeSet<u64>,
    first_seq: u64,
    last_seq: u64,
    ops: Vec<SinkOp>,
}

#[derive(Clone, Default)]
struct MemSink(Arc<Mutex<MemStore>>);

impl MirrorSink for MemSink {
    fn state(&self) -> StoreState {
        let s = self.0.lock().expect("lock");
        StoreState {
            messages: s.msgs.len() as u64,
            first_seq: s.first_seq,
            last_seq: s.last_seq,
        }
    }

    fn apply(&mut self, ops: Vec<SinkOp>) -> SinkFuture<'_> {
        let r = self.apply_now(ops);
        Box::pin(std::future::ready(r))
    }
}

impl MemSink {
    fn apply_now(&self, ops: Vec<SinkOp>) -> Result<(), StoreError> {
        let mut s = self.0.lock().expect("lock");
        for op in ops {
            s.ops.push(op.clone());
            match op {
                SinkOp::Store(m) => {
                    if s.first_seq == 0 {
                        s.first_seq = m.seq;
                    } else if m.seq != s.last_seq + 1 {
                        return Err(StoreError::LastSeqMismatch {
                            seq: m.seq,
                            last_seq: s.last_seq,
                        });
                    }
                    s.last_seq = m.seq;
                    s.msgs.insert(m.seq, m);
                }
                SinkOp::SkipTo(seq) => {
                    if seq <= s.last_seq {
                        continue;
                    }
                    if s.msgs.is_empty() {
                        s.first_seq = seq + 1;
                    } else {
                        let from = s.last_seq + 1;
                        s.deleted.extend(from..=seq);
                    }
                    s.last_seq = seq;
                }
            }
        }
        Ok(())
    }
}

fn b64decode(s: &str) -> Result<Vec<u8>> {
    let val = |c: u8| -> Result<u32> {
        Ok(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("bad base64 char {c}"),
        })
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| *c != b'=') {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// RFC 3339 UTC (`2026-11-23T16:20:00.123456789Z`) → Unix nanoseconds.
fn rfc3339_ns(t: &str) -> Result<i64> {
    let t = t.strip_suffix('Z').ok_or_else(|| anyhow!("not UTC: {t}"))?;
    let (date, time) = t.split_once('T').ok_or_else(|| anyhow!("no T: {t}"))?;
    let d: Vec<i64> = date.split('-').map(str::parse).collect::<Result<_, _>>()?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let h: Vec<i64> = hms.split(':').map(str::parse).collect::<Result<_, _>>()?;
    let (y, m, day) = (d[0], d[1], d[2]);
    // days from civil (Howard Hinnant)
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let frac_ns: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse()?
    };
    Ok(((days * 86_400 + h[0] * 3600 + h[1] * 60 + h[2]) * 1_000_000_000) + frac_ns)
}

struct OriginMsg {
    seq: u64,
    subject: String,
    headers: Option<Bytes>,
    payload: Bytes,
    ts_ns: i64,
}

async fn api(client: &UpstreamClient, subject: &str, body: Value) -> Result<Value> {
    let m = client
        .request(
            subject,
            Bytes::from(body.to_string()),
            Duration::from_secs(5),
        )
        .await
        .with_context(|| format!("request {subject}"))?;
    let v: Value = serde_json::from_slice(&m.payload)?;
    if v.get("error").is_some() {
        bail!("{subject}: {v}");
    }
    Ok(v)
}

async fn origin_msg(client: &UpstreamClient, seq: u64) -> Result<Option<OriginMsg>> {
    let m = client
        .request(
            "$JS.API.STREAM.MSG.GET.ORIG",
            Bytes::from(json!({ "seq": seq }).to_string()),
            Duration::from_secs(5),
        )
        .await?;
    let v: Value = serde_json::from_slice(&m.payload)?;
    if v.get("error").is_some() {
        return Ok(None);
    }
    let msg = &v["message"];
    Ok(Some(OriginMsg {
        seq: msg["seq"].as_u64().context("seq")?,
        subject: msg["subject"].as_str().context("subject")?.to_owned(),
        headers: match msg.get("hdrs").and_then(Value::as_str) {
            Some(h) => Some(Bytes::from(b64decode(h)?)),
            None => None,
        },
        payload: Bytes::from(b64decode(
            msg.get("data").and_then(Value::as_str).unwrap_or(""),
        )?),
        ts_ns: rfc3339_ns(msg["time"].as_str().context("time")?)?,
    }))
}

async fn publish_js(
    client: &UpstreamClient,
    subject: &str,
    hdr: Option<&'static str>,
    payload: String,
) -> Result<u64> {
    let m = client
        .request_with_headers(
            subject,
            hdr.map(|h| Bytes::from_static(h.as_bytes())),
            Bytes::from(payload),
            Duration::from_secs(5),
        )
        .await?;
    let v: Value = serde_json::from_slice(&m.payload)?;
    v["seq"].as_u64().ok_or_else(|| anyhow!("bad pub ack {v}"))
}

async fn wait_last_seq(sink: &MemSink, seq: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while sink.state().last_seq < seq {
        if Instant::now() > deadline {
            bail!("mirror stuck at {:?}, want last_seq {seq}", sink.state());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

async fn assert_equal_to_origin(client: &UpstreamClient, sink: &MemSink, last: u64) -> Result<()> {
    for seq in 1..=last {
        let origin = origin_msg(client, seq).await?;
        let s = sink.0.lock().expect("lock");
        match origin {
            Some(o) => {
                let m = s
                    .msgs
                    .get(&seq)
                    .with_context(|| format!("mirror lacks seq {seq}"))?;
                assert_eq!(m.seq, o.seq);
                assert_eq!(&m.subject[..], o.subject.as_bytes(), "seq {seq}");
                assert_eq!(m.headers, clean_headers(o.headers.clone()), "seq {seq}");
                assert_eq!(m.payload, o.payload, "seq {seq}");
                assert_eq!(m.ts_ns, o.ts_ns, "seq {seq}: origin timestamp");
            }
            None => {
                assert!(
                    !s.msgs.contains_key(&seq),
                    "seq {seq} deleted on the origin"
                );
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_copies_origin_byte_for_byte_with_gaps_and_resume() -> Result<()> {
    let server = Server::start(ServerSpec {
        jetstream: true,
        ..ServerSpec::default()
    })?;
    let client = UpstreamClient::connect(UpstreamConfig {
        ping_interval: Duration::from_secs(1),
        ..UpstreamConfig::new([server.client_url()])
    })?;
    client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    api(
        &client,
        "$JS.API.STREAM.CREATE.ORIG",
        json!({"name":"ORIG","subjects":["orig.>"],"storage":"memory"}),
    )
    .await?;

    let msg_id =
        Some("NATS/1.0\r\nNats-Msg-Id: abc\r\nNats-Expected-Stream: ORIG\r\nX-Keep: 1\r\n\r\n");
    let headers = [
        None,
        Some("NATS/1.0\r\nNats-Expected-Stream: ORIG\r\nX-Keep: 1\r\n\r\n"),
        Some("NATS/1.0\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n"),
    ];
    for i in 1..=10u64 {
        // Nats-Msg-Id only once: the origin de-duplicates.
        let hdr = if i == 2 {
            msg_id
        } else {
            headers[(i % 3) as usize]
        };
        let seq = publish_js(
            &client,
            &format!("orig.s{}", i % 4),
            hdr,
            format!("payload-{i}"),
        )
        .await?;
        assert_eq!(seq, i);
    }
    // Deleted before the mirror ever sees them: a gap in the middle.
    for seq in [3u64, 4] {
        api(
            &client,
            "$JS.API.STREAM.MSG.DELETE.ORIG",
            json!({"seq": seq}),
        )
        .await?;
    }

    let sink = MemSink::default();
    let mirror = spawn_mirror(
        client.clone(),
        MirrorConfig::new("MIR", "ORIG"),
        sink.clone(),
    );
    wait_last_seq(&sink, 10).await?;
    assert_equal_to_origin(&client, &sink, 10).await?;
    {
        let s = sink.0.lock().expect("lock");
        assert_eq!(s.deleted, BTreeSet::from([3, 4]));
        assert_eq!((s.first_seq, s.last_seq, s.msgs.len()), (1, 10, 8));
        assert!(s.ops.contains(&SinkOp::SkipTo(4)));
    }

    // Live traffic, then a gap created while the mirror runs: delete before the
    // mirror consumer could deliver is racy, so check live delivery first.
    for i in 11..=12u64 {
        publish_js(&client, "orig.live", None, format!("live-{i}")).await?;
    }
    wait_last_seq(&sink, 12).await?;
    let snap = mirror.snapshot();
    assert!(snap.consumer.starts_with("JS_MIRROR_L9fwEMNd"), "{snap:?}");
    assert!(snap.active_ns >= 0);
    mirror.stop().await;

    // While the mirror is down: more messages, two of them deleted; a resumed
    // mirror starts at 13 and records the gap.
    for i in 13..=17u64 {
        publish_js(&client, "orig.later", headers[1], format!("later-{i}")).await?;
    }
    for seq in [14u64, 15] {
        api(
            &client,
            "$JS.API.STREAM.MSG.DELETE.ORIG",
            json!({"seq": seq}),
        )
        .await?;
    }
    let ops_before = sink.0.lock().expect("lock").ops.len();
    let mirror = spawn_mirror(
        client.clone(),
        MirrorConfig::new("MIR", "ORIG"),
        sink.clone(),
    );
    wait_last_seq(&sink, 17).await?;
    assert_equal_to_origin(&client, &sink, 17).await?;
    {
        let s = sink.0.lock().expect("lock");
        assert_eq!(s.deleted, BTreeSet::from([3, 4, 14, 15]));
        let resumed: Vec<&SinkOp> = s.ops.iter().skip(ops_before).collect();
        match resumed.first() {
            Some(SinkOp::Store(m)) => assert_eq!(m.seq, 13, "resume at last_seq + 1"),
            other => bail!("resume started with {other:?}"),
        }
    }
    // Lag reaches 0 against the origin's real last sequence (polled STREAM.INFO).
    let deadline = Instant::now() + Duration::from_secs(6);
    while mirror.snapshot().lag != 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mirror.snapshot().lag, 0);
    mirror.stop().await;
    client.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_heals_after_upstream_restart() -> Result<()> {
    let mut server = Server::start(ServerSpec {
        jetstream: true,
        ..ServerSpec::default()
    })?;
    let client = UpstreamClient::connect(UpstreamConfig {
        ping_interval: Duration::from_secs(1),
        ..UpstreamConfig::new([server.client_url()])
    })?;
    client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    api(
        &client,
        "$JS.API.STREAM.CREATE.ORIG",
        json!({"name":"ORIG","subjects":["orig.>"],"storage":"file"}),
    )
    .await?;
    for i in 1..=5u64 {
        publish_js(&client, "orig.a", None, format!("before-{i}")).await?;
    }
    let sink = MemSink::default();
    let mirror = spawn_mirror(
        client.clone(),
        MirrorConfig::new("MIR", "ORIG"),
        sink.clone(),
    );
    wait_last_seq(&sink, 5).await?;
    let first_consumer = mirror.snapshot().consumer;

    let mut server = tokio::task::spawn_blocking(move || -> Result<Server> {
        server.restart()?;
        Ok(server)
    })
    .await??;
    let restarted = Instant::now();
    client
        .wait_connected(Duration::from_secs(10))
        .await
        .context("no reconnect")?;
    // Publish as soon as JetStream answers again.
    let mut i = 6u64;
    let deadline = Instant::now() + Duration::from_secs(10);
    while i <= 8 {
        match publish_js(&client, "orig.a", None, format!("after-{i}")).await {
            Ok(seq) => {
                assert_eq!(seq, i);
                i += 1;
            }
            Err(e) if Instant::now() < deadline => {
                eprintln!("publish after restart: {e:#}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e),
        }
    }
    wait_last_seq(&sink, 8).await?;
    eprintln!(
        "mirror healed {:?} after the upstream restart",
        restarted.elapsed()
    );
    assert_equal_to_origin(&client, &sink, 8).await?;
    let snap = mirror.snapshot();
    assert!(
        !snap.consumer.is_empty() && snap.consumer != first_consumer,
        "{snap:?} vs {first_consumer}"
    );
    mirror.stop().await;
    client.close().await;
    server.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_origin_consumer_is_recreated_after_three_missed_heartbeats() -> Result<()> {
    let server = Server::start(ServerSpec {
        jetstream: true,
        ..ServerSpec::default()
    })?;
    let client = UpstreamClient::connect(UpstreamConfig {
        ping_interval: Duration::from_secs(1),
        ..UpstreamConfig::new([server.client_url()])
    })?;
    client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    api(
        &client,
        "$JS.API.STREAM.CREATE.ORIG",
        json!({"name":"ORIG","subjects":["orig.>"],"storage":"memory"}),
    )
    .await?;
    publish_js(&client, "orig.a", None, "1".into()).await?;
    let sink = MemSink::default();
    let mirror = spawn_mirror(
        client.clone(),
        MirrorConfig::new("MIR", "ORIG"),
        sink.clone(),
    );
    wait_last_seq(&sink, 1).await?;
    let consumer = mirror.snapshot().consumer;
    // The origin loses the consumer while the connection stays up: no more
    // heartbeats; the mirror must notice on its own.
    api(
        &client,
        &format!("$JS.API.CONSUMER.DELETE.ORIG.{consumer}"),
        json!({}),
    )
    .await?;
    let deleted_at = Instant::now();
    publish_js(&client, "orig.a", None, "2".into()).await?;
    wait_last_seq(&sink, 2).await?;
    let took = deleted_at.elapsed();
    eprintln!("mirror recreated its consumer {took:?} after it vanished");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert_ne!(mirror.snapshot().consumer, consumer);
    assert_equal_to_origin(&client, &sink, 2).await?;
    mirror.stop().await;
    client.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_reaches_origin_through_a_domain_api_prefix() -> Result<()> {
    let server = Server::start(ServerSpec {
        jetstream: true,
        jetstream_domain: Some("hub".into()),
        ..ServerSpec::default()
    })?;
    let client = UpstreamClient::connect(UpstreamConfig::new([server.client_url()]))?;
    client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    api(
        &client,
        "$JS.hub.API.STREAM.CREATE.ORIG",
        json!({"name":"ORIG","subjects":["orig.>"],"storage":"memory"}),
    )
    .await?;
    for i in 1..=3u64 {
        publish_js(&client, "orig.d", None, format!("d-{i}")).await?;
    }
    let sink = MemSink::default();
    let cfg = MirrorConfig::new("MIR", "ORIG").with_origin_domain("hub");
    let mirror = spawn_mirror(client.clone(), cfg, sink.clone());
    wait_last_seq(&sink, 3).await?;
    assert_equal_to_origin(&client, &sink, 3).await?;
    // Lag is polled through $JS.hub.API.STREAM.INFO.ORIG: 0 once caught up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mirror.snapshot().lag, 0);
    mirror.stop().await;
    client.close().await;
    Ok(())
}

/// The liveness promise, end to end: a 3-node JetStream cluster holds an R3
/// origin; the mirror's upstream connection sits on a node that is not the stream
/// leader; that node is SIGSTOPped (TCP stays open). The client must move to another
/// node and the mirror must recreate its consumer there and catch up within 4 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_heals_within_4s_while_its_upstream_node_is_frozen() -> Result<()> {
    let routes: Vec<u16> = (0..3)
        .map(|_| jetmirror_testkit::free_port())
        .collect::<Result<_>>()?;
    let route_list = routes
        .iter()
        .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut nodes = Vec::new();
    for (i, port) in routes.iter().enumerate() {
        nodes.push(Server::start(ServerSpec {
            config: format!(
                "server_name: n{i}\ncluster {{\n  name: c1\n  listen: 127.0.0.1:{port}\n  routes: [{route_list}]\n}}\n"
            ),
            jetstream: true,
            ..ServerSpec::default()
        })?);
    }
    let urls: Vec<String> = nodes.iter().map(Server::client_url).collect();
    let admin = UpstreamClient::connect(UpstreamConfig::new(urls.clone()))?;
    admin
        .wait_connected(Duration::from_secs(5))
        .await
        .context("admin not connected")?;
    // Wait for the JetStream meta layer, then create an R3 origin.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match api(
            &admin,
            "$JS.API.STREAM.CREATE.ORIG",
            json!({"name":"ORIG","subjects":["orig.>"],"storage":"file","num_replicas":3}),
        )
        .await
        {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline => {
                eprintln!("stream create: {e:#}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e),
        }
    }
    let leader = loop {
        let info = api(&admin, "$JS.API.STREAM.INFO.ORIG", json!({})).await?;
        if let Some(l) = info.pointer("/cluster/leader").and_then(Value::as_str) {
            break l.to_owned();
        }
        if Instant::now() > deadline {
            bail!("no stream leader: {info}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let leader_idx: usize = leader.trim_start_matches('n').parse()?;
    let frozen_idx = (leader_idx + 1) % 3;
    for i in 1..=5u64 {
        publish_js(&admin, "orig.a", None, format!("before-{i}")).await?;
    }

    // The mirror's client starts on the node that will freeze.
    let mut mirror_urls = vec![urls[frozen_idx].clone()];
    mirror_urls.extend(
        urls.iter()
            .enumerate()
            .filter(|(i, _)| *i != frozen_idx)
            .map(|(_, u)| u.clone()),
    );
    let client = UpstreamClient::connect(UpstreamConfig {
        ping_interval: Duration::from_secs(1),
        max_pings_out: 2,
        connect_timeout: Duration::from_secs(1),
        ..UpstreamConfig::new(mirror_urls)
    })?;
    let url = client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    assert_eq!(url, urls[frozen_idx]);
    let sink = MemSink::default();
    let mirror = spawn_mirror(
        client.clone(),
        MirrorConfig::new("MIR", "ORIG"),
        sink.clone(),
    );
    wait_last_seq(&sink, 5).await?;

    // Keep the admin off the frozen node.
    let admin_ok = UpstreamClient::connect(UpstreamConfig::new([urls[leader_idx].clone()]))?;
    admin_ok
        .wait_connected(Duration::from_secs(5))
        .await
        .context("admin2")?;
    nodes[frozen_idx].signal(libc::SIGSTOP);
    let frozen_at = Instant::now();
    for i in 6..=8u64 {
        publish_js(&admin_ok, "orig.a", None, format!("during-{i}")).await?;
    }
    let healed = wait_last_seq(&sink, 8).await;
    let took = frozen_at.elapsed();
    eprintln!(
        "mirror healed {took:?} after its upstream node froze (connected to {:?})",
        client.status()
    );
    nodes[frozen_idx].signal(libc::SIGCONT);
    healed?;
    assert!(took < Duration::from_secs(4), "healed after {took:?}");
    {
        let s = sink.0.lock().expect("lock");
        let seqs: Vec<u64> = s.msgs.keys().copied().collect();
        assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
    }
    mirror.stop().await;
    client.close().await;
    admin_ok.close().await;
    admin.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_control_is_answered_so_large_backlogs_flow_without_recreate() -> Result<()> {
    let server = Server::start(ServerSpec {
        jetstream: true,
        ..ServerSpec::default()
    })?;
    let client = UpstreamClient::connect(UpstreamConfig::new([server.client_url()]))?;
    client
        .wait_connected(Duration::from_secs(5))
        .await
        .context("not connected")?;
    api(
        &client,
        "$JS.API.STREAM.CREATE.ORIG",
        json!({"name":"ORIG","subjects":["orig.>"],"storage":"memory"}),
    )
    .await?;
    // 8 MiB of backlog: far beyond the origin's first 2 MiB flow-control window.
    let big = "x".repeat(100 * 1024);
    for i in 1..=80u64 {
        publish_js(&client, "orig.big", None, format!("{i}:{big}")).await?;
    }
    let sink = MemSink::default();
    let mirror = spawn_mirror(
        client.clone(),
        MirrorConfig::new("MIR", "ORIG"),
        sink.clone(),
    );
    let started = Instant::now();
    wait_last_seq(&sink, 1).await?;
    let consumer = mirror.snapshot().consumer;
    wait_last_seq(&sink, 80).await?;
    let took = started.elapsed();
    eprintln!("8 MiB backlog mirrored in {took:?}");
    assert_eq!(
        mirror.snapshot().consumer,
        consumer,
        "no recreate: every flow control was answered"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_equal_to_origin(&client, &sink, 80).await?;
    mirror.stop().await;
    client.close().await;
    Ok(())
}
