//! Side-by-side mirror benchmarks against nats-server, same run, loopback.
//!
//! Topology ([`jetmirror_testkit::upstream_pair`]): a hub nats-server 2.15.1 in JetStream
//! domain `hub` holds the origin stream `ORIGIN` (R1, file storage, subject `origin.data`);
//! the side server is either a nats-server leaf node in its own domain `leaf` or jetmirror
//! with `upstream { url: <hub> }`. On the side, the mirror is created with
//! `$JS.API.STREAM.CREATE.MIR` and `{"name":"MIR","mirror":{"name":"ORIGIN",
//! "external":{"api":"$JS.hub.API"}}}`, the same request for both.
//!
//! - catch-up: the origin is preloaded with N messages (128 B and 1 KiB), then the mirror is
//!   created; msgs/s from the create request to the first STREAM.INFO of the mirror (polled
//!   every 50 ms) that shows `last_seq` = N, and `messages` = N is checked.
//! - live lag: with an empty mirror caught up, a publisher on the hub sends 128 B messages
//!   at a steady rate (core publishes, paced every millisecond), each carrying its send time;
//!   an ordered push consumer on the side's mirror (deliver new) receives them. Lag of a
//!   message = receive time − send time (same clock). Reported: p50, p90, p99, max, and
//!   that every message arrived.
//!
//! Usage: `mirror-compare [N128 [N1K [LAG_SECS [LAG_RATE [ROUNDS]]]]]` (defaults 1000000
//! 1000000 20 10000 1; a 0 skips that part). Env: `MIRROR_ONLY` (`catchup` or `lag`),
//! `MIRROR_TIMEOUT_SECS` (catch-up bound per cell, 900). Rounds repeat every cell; all
//! rounds are printed, and the table shows each round. jetmirror is taken from
//! `$JETMIRROR_BIN`, else built in release mode by the kit.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use async_nats::jetstream::{self, consumer};
use bytes::Bytes;
use futures::StreamExt;
use jetmirror_testkit::{upstream_pair, Kind, Server};
use serde_json::{json, Value};

const ORIGIN: &str = "ORIGIN";
const MIRROR: &str = "MIR";
const SUBJECT: &str = "origin.data";
const PUBLISH_WINDOW: usize = 256;
const POLL: Duration = Duration::from_millis(50);

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::NatsServer => "nats-server",
        Kind::Jetmirror => "jetmirror",
    }
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

async fn connect(server: &Server) -> Result<async_nats::Client> {
    async_nats::ConnectOptions::new()
        .request_timeout(Some(Duration::from_secs(10)))
        .connect(server.client_url())
        .await
        .with_context(|| format!("connecting to {}", server.client_url()))
}

/// A `$JS.API` request; an `error` in the answer is an error here.
async fn api(client: &async_nats::Client, subject: &str, body: Value) -> Result<Value> {
    let m = client
        .request(subject.to_string(), Bytes::from(body.to_string()))
        .await
        .map_err(|e| anyhow!("{subject}: {e}"))?;
    let v: Value = serde_json::from_slice(&m.payload).context("API answer is not JSON")?;
    if let Some(e) = v.get("error") {
        bail!("{subject}: {e}");
    }
    Ok(v)
}

/// (messages, last_seq) of a stream.
async fn stream_state(client: &async_nats::Client, stream: &str) -> Result<(u64, u64)> {
    let v = api(client, &format!("$JS.API.STREAM.INFO.{stream}"), json!({})).await?;
    let n = |k: &str| v["state"][k].as_u64().unwrap_or(0);
    Ok((n("messages"), n("last_seq")))
}

async fn create_origin(hub: &async_nats::Client) -> Result<()> {
    api(
        hub,
        &format!("$JS.API.STREAM.CREATE.{ORIGIN}"),
        json!({"name": ORIGIN, "subjects": [SUBJECT], "storage": "file", "num_replicas": 1}),
    )
    .await
    .map(|_| ())
}

async fn create_mirror(side: &async_nats::Client) -> Result<()> {
    api(
        side,
        &format!("$JS.API.STREAM.CREATE.{MIRROR}"),
        json!({"name": MIRROR, "storage": "file",
               "mirror": {"name": ORIGIN, "external": {"api": "$JS.hub.API"}}}),
    )
    .await
    .map(|_| ())
}

/// Publishes `count` messages of `size` bytes to the origin with a window of outstanding
/// acks.
async fn preload(hub: &async_nats::Client, size: usize, count: u64) -> Result<()> {
    let js = jetstream::new(hub.clone());
    let payload = Bytes::from(vec![b'x'; size]);
    let mut inflight = VecDeque::with_capacity(PUBLISH_WINDOW);
    for _ in 0..count {
        if inflight.len() >= PUBLISH_WINDOW {
            let ack: jetstream::context::PublishAckFuture =
                inflight.pop_front().context("non-empty window")?;
            ack.await.map_err(|e| anyhow!("publish ack: {e}"))?;
        }
        let ack = js
            .publish(SUBJECT, payload.clone())
            .await
            .map_err(|e| anyhow!("publish: {e}"))?;
        inflight.push_back(ack);
    }
    while let Some(ack) = inflight.pop_front() {
        ack.await.map_err(|e| anyhow!("publish ack: {e}"))?;
    }
    Ok(())
}

/// One catch-up cell: msgs/s of the mirror from create to caught up.
async fn catch_up(kind: Kind, size: usize, count: u64) -> Result<f64> {
    let (hub_server, side_server) = upstream_pair(kind).context("starting the topology")?;
    let hub = connect(&hub_server).await?;
    let side = connect(&side_server).await?;
    create_origin(&hub).await?;
    let loaded = Instant::now();
    preload(&hub, size, count).await?;
    let (n, last) = stream_state(&hub, ORIGIN).await?;
    if n != count || last != count {
        bail!("origin holds {n} messages up to {last}, expected {count}");
    }
    eprintln!(
        "  {} preloaded {count} x {size} B in {:.1}s",
        kind_name(kind),
        loaded.elapsed().as_secs_f64()
    );
    let timeout = Duration::from_secs(env_u64("MIRROR_TIMEOUT_SECS", 900));
    let start = Instant::now();
    create_mirror(&side).await?;
    loop {
        // The mirror may not answer at once while it is busy; a slow answer is part of
        // what is measured.
        if let Ok((n, last)) = stream_state(&side, MIRROR).await {
            if last >= count {
                let elapsed = start.elapsed();
                if n != count {
                    bail!("mirror caught up to {last} with {n} messages, expected {count}");
                }
                return Ok(count as f64 / elapsed.as_secs_f64());
            }
        }
        if start.elapsed() > timeout {
            bail!("{} mirror not caught up after {timeout:?}", kind_name(kind));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Lag percentiles in microseconds.
#[derive(Debug, Clone, Copy)]
struct Lag {
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
    count: usize,
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0)
}

/// One live-lag cell.
async fn live_lag(kind: Kind, secs: u64, rate: u64) -> Result<Lag> {
    let (hub_server, side_server) = upstream_pair(kind).context("starting the topology")?;
    let hub = connect(&hub_server).await?;
    let side = connect(&side_server).await?;
    create_origin(&hub).await?;
    create_mirror(&side).await?;
    // The mirror's consumer is up once a first message has come through.
    hub.publish(SUBJECT, Bytes::from_static(b"warm-up"))
        .await
        .map_err(|e| anyhow!("publish: {e}"))?;
    hub.flush().await.map_err(|e| anyhow!("flush: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while stream_state(&side, MIRROR).await.map(|s| s.1).unwrap_or(0) < 1 {
        if Instant::now() > deadline {
            bail!("{} mirror did not start", kind_name(kind));
        }
        tokio::time::sleep(POLL).await;
    }

    let js = jetstream::new(side.clone());
    let stream = js
        .get_stream(MIRROR)
        .await
        .map_err(|e| anyhow!("get mirror stream: {e}"))?;
    let consumer = stream
        .create_consumer(consumer::push::OrderedConfig {
            deliver_subject: side.new_inbox(),
            deliver_policy: consumer::DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("create ordered consumer: {e}"))?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| anyhow!("ordered consumer messages: {e}"))?;

    let total = secs * rate;
    let publisher = {
        let hub = hub.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let mut sent = 0u64;
            let mut buf = vec![b'x'; 128];
            while sent < total {
                let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
                while sent < due.min(total) {
                    if let Some(ts) = buf.get_mut(..8) {
                        ts.copy_from_slice(&now_ns().to_le_bytes());
                    }
                    hub.publish(SUBJECT, Bytes::copy_from_slice(&buf))
                        .await
                        .map_err(|e| anyhow!("publish: {e}"))?;
                    sent += 1;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            hub.flush().await.map_err(|e| anyhow!("flush: {e}"))?;
            anyhow::Ok(sent)
        })
    };

    let mut lags = Vec::with_capacity(total as usize);
    let end = Instant::now() + Duration::from_secs(secs + 30);
    while lags.len() < total as usize {
        let left = end.saturating_duration_since(Instant::now());
        let next = tokio::time::timeout(left, messages.next()).await;
        let msg = match next {
            Err(_) => bail!(
                "{}: {} of {total} messages arrived on the mirror",
                kind_name(kind),
                lags.len()
            ),
            Ok(None) => bail!("ordered consumer ended"),
            Ok(Some(m)) => m.map_err(|e| anyhow!("ordered consumer: {e}"))?,
        };
        let got = now_ns();
        let Some(ts) = msg.payload.get(..8) else {
            continue;
        };
        let mut b = [0u8; 8];
        b.copy_from_slice(ts);
        let lag = got.saturating_sub(u64::from_le_bytes(b)) / 1000;
        if std::env::var_os("MIRROR_LAG_TRACE").is_some() && lag > 20_000 {
            eprintln!(
                "  {} msg {} lag {lag} us at {}",
                kind_name(kind),
                lags.len(),
                got / 1_000_000 % 100_000
            );
        }
        lags.push(lag);
    }
    let sent = publisher.await.map_err(|e| anyhow!("publisher: {e}"))??;
    if sent != total {
        bail!("published {sent}, expected {total}");
    }
    lags.sort_unstable();
    Ok(Lag {
        p50: percentile(&lags, 0.50),
        p90: percentile(&lags, 0.90),
        p99: percentile(&lags, 0.99),
        max: lags.last().copied().unwrap_or(0),
        count: lags.len(),
    })
}

fn main() -> Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().map_err(|_| anyhow!("bad argument {a:?}")))
        .collect::<Result<_>>()?;
    let n128 = args.first().copied().unwrap_or(1_000_000);
    let n1k = args.get(1).copied().unwrap_or(1_000_000);
    let lag_secs = args.get(2).copied().unwrap_or(20);
    let lag_rate = args.get(3).copied().unwrap_or(10_000);
    let rounds = args.get(4).copied().unwrap_or(1).max(1);
    let only = std::env::var("MIRROR_ONLY").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    let mut catchup_rows = Vec::new();
    let mut lag_rows = Vec::new();
    for round in 1..=rounds {
        if only != "lag" {
            for (size, count) in [(128usize, n128), (1024, n1k)] {
                if count == 0 {
                    continue;
                }
                let r = rt.block_on(catch_up(Kind::NatsServer, size, count))?;
                let c = rt.block_on(catch_up(Kind::Jetmirror, size, count))?;
                eprintln!(
                    "round {round} catch-up {size} B x {count}: nats-server {r:.0} msgs/s, \
                     jetmirror {c:.0} msgs/s, {:.2}x",
                    c / r
                );
                catchup_rows.push((round, size, count, r, c));
            }
        }
        if only != "catchup" && lag_secs > 0 && lag_rate > 0 {
            let r = rt.block_on(live_lag(Kind::NatsServer, lag_secs, lag_rate))?;
            let c = rt.block_on(live_lag(Kind::Jetmirror, lag_secs, lag_rate))?;
            eprintln!("round {round} live lag: nats-server {r:?}, jetmirror {c:?}");
            lag_rows.push((round, r, c));
        }
    }
    if !catchup_rows.is_empty() {
        println!(
            "| round | payload | messages | nats-server mirror msgs/s | jetmirror msgs/s | ratio |"
        );
        println!("|---|---|---|---|---|---|");
        for (round, size, count, r, c) in catchup_rows {
            println!(
                "| {round} | {size} B | {count} | {r:.0} | {c:.0} | {:.2}x |",
                c / r
            );
        }
    }
    if !lag_rows.is_empty() {
        println!();
        println!(
            "| round | messages ({lag_secs} s at {lag_rate}/s, 128 B) | server | p50 µs | p90 µs | p99 µs | max µs |"
        );
        println!("|---|---|---|---|---|---|---|");
        for (round, r, c) in lag_rows {
            for (name, l) in [("nats-server", r), ("jetmirror", c)] {
                println!(
                    "| {round} | {} | {name} | {} | {} | {} | {} |",
                    l.count, l.p50, l.p90, l.p99, l.max
                );
            }
        }
    }
    Ok(())
}
