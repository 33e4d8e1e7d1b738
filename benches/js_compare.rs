//! Side-by-side JetStream throughput against nats-server, same run, loopback, R1 file storage:
//!
//! - publish: one async-nats client publishes N messages to a file stream with a window of
//!   outstanding acks (a bounded FIFO of ack futures, `WINDOW` in flight); msgs/s from the
//!   first publish to the last ack;
//! - fetch: a durable pull consumer with explicit acks (as `nats bench js consume` /
//!   `nats bench --js --pull`: every message is acked, fire-and-forget) fetches all N in
//!   batches of `BATCH`; msgs/s from the first fetch to the last message.
//!
//! Two pairings: each server's default (jetmirror: durable group commit; nats-server: lazy
//! fsync every 2 minutes) and both with `sync_interval: always` (nats-server fsyncs every
//! write; jetmirror's group commit is already durable per batch, so it behaves as its
//! default). Payloads 128 B and 1 KiB. Prints a Markdown table with the ratio
//! (jetmirror / nats-server).
//!
//! Usage: `cargo run --release -p jetmirror-benches --bin js-compare [-- N128 N1K [ROUNDS]]`
//! (defaults 200000 100000 1; best of ROUNDS per cell). Env: `JS_WINDOW` (256), `JS_BATCH`
//! (500), `JS_ALWAYS_N_DIV` (1: divides N for the `sync_interval: always` pairing, where
//! nats-server fsyncs every write), `JS_ONLY` (`default` or `always`: one pairing only),
//! `JS_PUBLISH_ONLY` (set: skip the fetch phase, for profiling the publish path).
//! jetmirror is taken from `$JETMIRROR_BIN`, else built in release mode by the kit.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use jetmirror_testkit::{Kind, Server, ServerSpec};

const STREAM: &str = "BENCH";
const SUBJECT: &str = "bench.js";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A server with its own `jetstream { }` block (the kit's block has no `sync_interval`), its
/// store in `store` (kept alive as long as the server).
struct Bench {
    server: Server,
    _store: tempfile::TempDir,
}

fn start(kind: Kind, always: bool) -> Result<Bench> {
    let store = tempfile::Builder::new()
        .prefix("jetmirror-js-bench-")
        .tempdir()
        .context("creating the store dir")?;
    let mut block = format!("jetstream {{\n  store_dir: {:?}\n", store.path());
    if always {
        block.push_str("  sync_interval: always\n");
    }
    block.push_str("}\n");
    let mut spec = ServerSpec::new(kind);
    spec.config = block;
    spec.jetstream = false;
    let server = Server::start(spec).with_context(|| format!("starting {kind:?}"))?;
    Ok(Bench {
        server,
        _store: store,
    })
}

struct Figures {
    publish: f64,
    fetch: f64,
}

async fn run_once(
    url: &str,
    size: usize,
    count: usize,
    window: usize,
    batch: usize,
) -> Result<Figures> {
    let client = async_nats::connect(url).await.context("connect")?;
    let js = jetstream::new(client.clone());
    let _ = js.delete_stream(STREAM).await;
    js.create_stream(stream::Config {
        name: STREAM.into(),
        subjects: vec![SUBJECT.into()],
        storage: stream::StorageType::File,
        num_replicas: 1,
        ..Default::default()
    })
    .await
    .map_err(|e| anyhow!("create stream: {e}"))?;

    // Publish with a bounded FIFO of outstanding acks.
    let payload = bytes::Bytes::from(vec![b'x'; size]);
    let mut inflight = VecDeque::with_capacity(window);
    let start = Instant::now();
    for _ in 0..count {
        if inflight.len() >= window {
            let ack: jetstream::context::PublishAckFuture =
                inflight.pop_front().expect("non-empty window");
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
    let publish = count as f64 / start.elapsed().as_secs_f64();

    let info = js
        .get_stream(STREAM)
        .await
        .map_err(|e| anyhow!("get stream: {e}"))?
        .info()
        .await
        .map_err(|e| anyhow!("stream info: {e}"))?
        .clone();
    if info.state.messages != count as u64 {
        bail!(
            "stream holds {} messages, expected {count}",
            info.state.messages
        );
    }

    if std::env::var_os("JS_PUBLISH_ONLY").is_some() {
        let _ = js.delete_stream(STREAM).await;
        return Ok(Figures {
            publish,
            fetch: f64::NAN,
        });
    }

    // Fetch all with a durable pull consumer, explicit acks.
    let stream = js
        .get_stream(STREAM)
        .await
        .map_err(|e| anyhow!("get stream: {e}"))?;
    let consumer: consumer::PullConsumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some("bench".into()),
            ack_policy: consumer::AckPolicy::Explicit,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow!("create consumer: {e}"))?;
    let mut got = 0usize;
    let mut empty = 0;
    let start = Instant::now();
    while got < count {
        let mut msgs = consumer
            .fetch()
            .max_messages(batch)
            .messages()
            .await
            .map_err(|e| anyhow!("fetch: {e}"))?;
        let before = got;
        while let Some(msg) = msgs.next().await {
            let msg = msg.map_err(|e| anyhow!("fetch message: {e}"))?;
            if msg.payload.len() != size {
                bail!("payload of {} bytes, expected {size}", msg.payload.len());
            }
            msg.ack().await.map_err(|e| anyhow!("ack: {e}"))?;
            got += 1;
        }
        if got == before {
            empty += 1;
            if empty > 100 {
                bail!("fetch stalled at {got} of {count}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let fetch = count as f64 / start.elapsed().as_secs_f64();
    client.flush().await.context("flush")?;
    let _ = js.delete_stream(STREAM).await;
    Ok(Figures { publish, fetch })
}

fn best_of(
    rt: &tokio::runtime::Runtime,
    bench: &Bench,
    size: usize,
    count: usize,
    rounds: usize,
) -> Result<Figures> {
    let window = env_usize("JS_WINDOW", 256);
    let batch = env_usize("JS_BATCH", 500);
    let url = bench.server.client_url();
    let mut best = Figures {
        publish: 0.0,
        fetch: 0.0,
    };
    for _ in 0..rounds {
        let f = rt.block_on(run_once(&url, size, count, window, batch))?;
        best.publish = best.publish.max(f.publish);
        best.fetch = best.fetch.max(f.fetch);
    }
    Ok(best)
}

fn main() -> Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().map_err(|_| anyhow!("bad argument {a:?}")))
        .collect::<Result<_>>()?;
    let n128 = args.first().copied().unwrap_or(200_000);
    let n1k = args.get(1).copied().unwrap_or(100_000);
    let rounds = args.get(2).copied().unwrap_or(1).max(1);
    let div = env_usize("JS_ALWAYS_N_DIV", 1).max(1);
    let only = std::env::var("JS_ONLY").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    let mut rows = Vec::new();
    for (pairing, always) in [
        (
            "default (jetmirror group commit / nats-server lazy fsync)",
            false,
        ),
        ("sync_interval: always (both)", true),
    ] {
        if (only == "default" && always) || (only == "always" && !always) {
            continue;
        }
        let reference = start(Kind::NatsServer, always)?;
        let candidate = start(Kind::Jetmirror, always)?;
        for (size, count) in [(128usize, n128), (1024, n1k)] {
            let count = if always { (count / div).max(1) } else { count };
            // Back to back per cell, so both share the machine's state.
            let r = best_of(&rt, &reference, size, count, rounds)?;
            let c = best_of(&rt, &candidate, size, count, rounds)?;
            eprintln!(
                "{pairing} {size} B x {count}: publish {:.0} vs {:.0}, fetch {:.0} vs {:.0}",
                r.publish, c.publish, r.fetch, c.fetch
            );
            rows.push((pairing, size, count, "publish", r.publish, c.publish));
            rows.push((pairing, size, count, "fetch", r.fetch, c.fetch));
        }
    }
    println!(
        "| pairing | payload | messages | op | nats-server msgs/s | jetmirror msgs/s | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (pairing, size, count, op, r, c) in rows {
        println!(
            "| {pairing} | {size} B | {count} | {op} | {r:.0} | {c:.0} | {:.2}x |",
            c / r
        );
    }
    Ok(())
}
