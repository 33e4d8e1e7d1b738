//! The tokio shell around one [`MirrorIngest`]: it executes the core's effects on an
//! [`UpstreamClient`], feeds it deliveries, replies, connection events and timers,
//! and hands stores and skips to the stream layer through [`MirrorSink`], in
//! batches, from a writer task.
//!
//! Backpressure: the upstream socket is never held back by the sink. Deliveries wait
//! in the subscription's bounded queue (`UpstreamConfig::subscription_capacity`);
//! batches wait in a bounded channel ([`MAX_PENDING_BATCHES`]) for the writer. When
//! the sink is slower than the origin for long enough, the subscription queue
//! overflows, the client drops deliveries, and the core sees a consumer-sequence gap
//! and recreates the consumer from the last stored sequence + 1: slower, never stale
//! and never wrong.
//!
//! Flow-control replies that acknowledge a durable consumer (`mirror.consumer`,
//! [`Effect::PublishAfterStore`]) ride with the writer's batches and are published by
//! the writer once everything queued before them is applied; after a failed write
//! they are dropped, so the origin redelivers from its ack floor.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, info, warn};

use crate::core::{
    CreateReply, Effect, Inbound, InfoClock, MirrorConfig, MirrorIngest, OriginState, StoreError,
    StoreMsg, StoreState,
};
use crate::upstream::{ConnectionEvent, RequestError, Status, Subscription, UpstreamClient};

/// Batches queued for the writer before the driver waits.
pub const MAX_PENDING_BATCHES: usize = 16;
/// Most deliveries taken from the subscription in one go (one batch).
pub const MAX_BATCH_MESSAGES: usize = 1024;
/// Most operations the writer joins from queued batches into one sink call.
pub const MAX_WRITE_OPS: usize = 16 * MAX_BATCH_MESSAGES;

/// One write for the stream layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkOp {
    /// See [`Effect::Store`].
    Store(StoreMsg),
    /// See [`Effect::SkipTo`].
    SkipTo(u64),
}

/// What [`MirrorSink::apply`] returns: the batch's result once it is applied.
pub type SinkFuture<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// The stream layer as the mirror sees it. Awaited on the driver's writer task: an
/// implementation hands the work to whoever writes (it must not block the thread).
pub trait MirrorSink: Send + 'static {
    /// The store's current state (read once at start).
    fn state(&self) -> StoreState;
    /// Applies `ops` in order; on the first failure returns it (the rest of the
    /// batch is not applied).
    fn apply(&mut self, ops: Vec<SinkOp>) -> SinkFuture<'_>;
}

/// What the driver publishes about its mirror (for StreamInfo `mirror`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MirrorSnapshot {
    pub lag: u64,
    /// Nanoseconds since the last contact, -1 if none.
    pub active_ns: i64,
    pub error: Option<Value>,
    /// Last origin sequence handled.
    pub last_seq: u64,
    pub consumer: String,
    /// `lag` and `active_ns` as functions of time ([`MirrorHandle::snapshot`]
    /// evaluates them when asked).
    pub clock: InfoClock,
}

/// A running mirror. Dropping it stops the driver.
pub struct MirrorHandle {
    snapshot: watch::Receiver<MirrorSnapshot>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl MirrorHandle {
    /// The latest snapshot, with `lag` and `active_ns` evaluated now.
    pub fn snapshot(&self) -> MirrorSnapshot {
        let mut s = self.snapshot.borrow().clone();
        let now = Instant::now();
        s.lag = s.clock.lag_at(now);
        s.active_ns = s.clock.active_ns_at(now);
        s
    }

    /// A receiver of snapshot changes.
    pub fn watch(&self) -> watch::Receiver<MirrorSnapshot> {
        self.snapshot.clone()
    }

    /// Stops the driver and waits for it (the sink has applied every batch).
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MirrorHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

enum Input {
    CreateReply(u64, CreateReply),
    OriginInfo(OriginState),
    StoreFailed(StoreError),
}

/// Starts the driver for `cfg` on `client`, writing into `sink`.
pub fn spawn_mirror<S: MirrorSink>(
    client: UpstreamClient,
    cfg: MirrorConfig,
    sink: S,
) -> MirrorHandle {
    let (snap_tx, snapshot) = watch::channel(MirrorSnapshot {
        active_ns: -1,
        ..MirrorSnapshot::default()
    });
    let (stop, stop_rx) = oneshot::channel();
    let task = tokio::spawn(run(client, cfg, sink, snap_tx, stop_rx));
    MirrorHandle {
        snapshot,
        stop: Some(stop),
        task: Some(task),
    }
}

/// One job for the writer: operations to apply, then publishes that must follow them
/// ([`Effect::PublishAfterStore`]).
struct WriteJob {
    ops: Vec<SinkOp>,
    after: Vec<(String, Option<Bytes>)>,
}

async fn writer<S: MirrorSink>(
    mut sink: S,
    mut rx: mpsc::Receiver<WriteJob>,
    back: mpsc::Sender<Input>,
    client: UpstreamClient,
) {
    while let Some(job) = rx.recv().await {
        let WriteJob {
            ops: mut batch,
            mut after,
        } = job;
        // Batches that queued up while the previous one was being made durable go in one
        // write: one flush for all of them, so a fast origin is not paced by fsyncs.
        while batch.len() < MAX_WRITE_OPS {
            match rx.try_recv() {
                Ok(more) => {
                    batch.extend(more.ops);
                    after.extend(more.after);
                }
                Err(_) => break,
            }
        }
        let result = if batch.is_empty() {
            Ok(())
        } else {
            sink.apply(batch).await
        };
        match result {
            Ok(()) => {
                for (subject, headers) in after {
                    if let Err(e) = client.publish(&subject, None, headers, Bytes::new()).await {
                        debug!(error = %e, "mirror flow control reply failed");
                    }
                }
            }
            Err(e) => {
                // Nothing past the failure is acknowledged: the consumer redelivers it.
                let _ = back.send(Input::StoreFailed(e)).await;
            }
        }
    }
}

/// The origin's state from a STREAM.INFO reply (its last sequence, "not found"
/// (err_code 10059), or unknown) or from a CONSUMER.INFO reply (`num_pending`).
fn origin_state(reply: &Result<crate::upstream::Message, RequestError>) -> OriginState {
    let Ok(m) = reply.as_ref() else {
        return OriginState::Unknown;
    };
    let Ok(v) = serde_json::from_slice::<Value>(&m.payload) else {
        return OriginState::Unknown;
    };
    if v.pointer("/error/err_code").and_then(Value::as_u64) == Some(10059) {
        return OriginState::NotFound;
    }
    if v.get("type").and_then(Value::as_str)
        == Some("io.nats.jetstream.api.v1.consumer_info_response")
    {
        return v
            .get("num_pending")
            .and_then(Value::as_u64)
            .map_or(OriginState::Unknown, OriginState::ConsumerPending);
    }
    v.pointer("/state/last_seq")
        .and_then(Value::as_u64)
        .map_or(OriginState::Unknown, OriginState::LastSeq)
}

async fn run<S: MirrorSink>(
    client: UpstreamClient,
    cfg: MirrorConfig,
    sink: S,
    snap_tx: watch::Sender<MirrorSnapshot>,
    mut stop_rx: oneshot::Receiver<()>,
) {
    let stream = cfg.stream.clone();
    let mut core = MirrorIngest::new(cfg, sink.state(), Instant::now());
    let (status, mut events) = client.events_with_status();
    if matches!(status, Status::Connected { .. }) {
        core.on_connected(Instant::now());
    }
    let (in_tx, mut in_rx) = mpsc::channel::<Input>(256);
    let (batch_tx, batch_rx) = mpsc::channel::<WriteJob>(MAX_PENDING_BATCHES);
    let writer_task = tokio::spawn(writer(sink, batch_rx, in_tx.clone(), client.clone()));
    let mut current: Option<(String, Subscription)> = None;
    let mut batch: Vec<SinkOp> = Vec::new();
    let mut after: Vec<(String, Option<Bytes>)> = Vec::new();
    loop {
        // Execute everything the core asked for.
        while let Some(effect) = core.poll_effect() {
            match effect {
                Effect::Subscribe { deliver_subject } => {
                    match client.subscribe(&deliver_subject).await {
                        Ok(sub) => current = Some((deliver_subject, sub)),
                        Err(e) => {
                            warn!(stream = %stream, error = %e, "cannot subscribe to deliver subject")
                        }
                    }
                }
                Effect::Unsubscribe { deliver_subject } => {
                    if current.as_ref().is_some_and(|(d, _)| *d == deliver_subject) {
                        current = None;
                    }
                }
                Effect::SendConsumerCreate {
                    request_id,
                    subject,
                    headers,
                    payload,
                    timeout,
                } => {
                    let (client, tx) = (client.clone(), in_tx.clone());
                    tokio::spawn(async move {
                        let reply = match client
                            .request_with_headers(&subject, headers, payload, timeout)
                            .await
                        {
                            Ok(m) => CreateReply::Response(m.payload),
                            Err(RequestError::NoResponders(_)) => CreateReply::NoResponders,
                            Err(RequestError::Timeout(_)) => CreateReply::Timeout,
                            Err(_) => CreateReply::Disconnected,
                        };
                        let _ = tx.send(Input::CreateReply(request_id, reply)).await;
                    });
                }
                Effect::Publish {
                    subject,
                    headers,
                    payload,
                } => {
                    if let Err(e) = client.publish(&subject, None, headers, payload).await {
                        debug!(stream = %stream, error = %e, "mirror control publish failed");
                    }
                }
                Effect::PublishAfterStore { subject, headers } => {
                    after.push((subject, headers));
                }
                // (A publish sent after later stores too acknowledges nothing more than
                // its own headers say.)
                Effect::Store(m) => batch.push(SinkOp::Store(m)),
                Effect::SkipTo { seq } => batch.push(SinkOp::SkipTo(seq)),
                Effect::RequestOriginInfo { subject, timeout } => {
                    let (client, tx) = (client.clone(), in_tx.clone());
                    tokio::spawn(async move {
                        let reply = client.request(&subject, Bytes::new(), timeout).await;
                        let _ = tx.send(Input::OriginInfo(origin_state(&reply))).await;
                    });
                }
                Effect::Retry { after, reason } => {
                    debug!(stream = %stream, ?after, ?reason, "mirror consumer retry");
                }
                Effect::Error(e) => {
                    if !e.is_null() {
                        warn!(stream = %stream, error = %e, "mirror error");
                    }
                }
            }
        }
        if (!batch.is_empty() || !after.is_empty())
            && batch_tx
                .send(WriteJob {
                    ops: std::mem::take(&mut batch),
                    after: std::mem::take(&mut after),
                })
                .await
                .is_err()
        {
            warn!(stream = %stream, "mirror writer gone; stopping");
            break;
        }
        let now = Instant::now();
        let info = core.info(now);
        snap_tx.send_if_modified(|s| {
            let next = MirrorSnapshot {
                lag: info.lag,
                active_ns: info.active_ns,
                error: info.error,
                last_seq: core.last_seq(),
                consumer: core.consumer_name().to_owned(),
                clock: core.clock(),
            };
            let changed = *s != next;
            *s = next;
            changed
        });

        let deadline = core.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            _ = &mut stop_rx => break,
            input = in_rx.recv() => match input {
                Some(Input::CreateReply(id, r)) => core.on_create_reply(id, r, Instant::now()),
                Some(Input::OriginInfo(state)) => core.on_origin_state(state, Instant::now()),
                Some(Input::StoreFailed(e)) => core.on_store_error(e, Instant::now()),
                None => break,
            },
            ev = events.recv() => match ev {
                Ok(ConnectionEvent::Connected { url, .. }) => {
                    info!(stream = %stream, upstream = %url, "upstream up, recreating mirror consumer");
                    current = None;
                    core.on_disconnected(Instant::now());
                    core.on_connected(Instant::now());
                }
                Ok(ConnectionEvent::Disconnected { .. }) => {
                    current = None;
                    core.on_disconnected(Instant::now());
                }
                Ok(ConnectionEvent::Closed) => break,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    core.on_disconnected(Instant::now());
                    if matches!(client.status(), Status::Connected { .. }) {
                        core.on_connected(Instant::now());
                    }
                }
                Err(_) => break,
            },
            msg = async {
                match current.as_mut() {
                    Some((_, sub)) => sub.next().await,
                    None => std::future::pending().await,
                }
            } => {
                let Some((deliver, sub)) = current.as_mut() else { continue };
                let deliver = deliver.clone();
                let mut next = msg;
                let mut n = 0;
                while let Some(m) = next {
                    let inbound = Inbound {
                        deliver_subject: deliver.clone(),
                        subject: m.subject,
                        reply: m.reply,
                        headers: m.headers,
                        payload: m.payload,
                    };
                    core.on_message(inbound, Instant::now());
                    n += 1;
                    if n >= MAX_BATCH_MESSAGES {
                        break;
                    }
                    next = sub.try_next();
                }
            },
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => core.on_timer(Instant::now()),
        }
    }
    drop(batch_tx);
    let _ = writer_task.await;
}
