//! The JetStream service of one account: it owns the account's streams (through
//! `jetmirror_stream::Account`), listens in that account's subject space on the `$JS.API`
//! subjects, on stream subjects, on `$JS.ACK.>` and `$JS.FC.>`, applies the matching
//! commands, and publishes the effects. Each account with JetStream has its own service
//! task and store directory; accounts without it get nats-server's 10039 answers (see
//! [`disabled`]). The account's limits (`max_streams`, `max_consumers`, `max_file`,
//! `max_mem`) are checked here with nats-server's error codes.
//!
//! One task serves everything, in batches: it takes what has queued up, applies it, and
//! hands the batch to the commit pipeline (`commit`), which makes the written streams
//! durable with one flush (group commit, the default; with `sync_interval` the store syncs
//! on its own schedule instead), persists changed stream metadata, and only then publishes
//! replies, acks and deliveries, so an acknowledged message is always on disk; the task
//! applies the next batch meanwhile. Time reaches the state machine only through commands: a tick
//! every 100 ms drives redeliveries, pull expiry, heartbeats, max_age, message TTLs and
//! pause ends. Each batch also copies what is new in the source streams of sourcing
//! streams (`sources`) and in the origins of same-node mirrors.
//!
//! On disk: `<store_dir>/jetstream/<account>/streams/<stream>/` holds each stream's segments
//! and `<store_dir>/jetstream/<account>/meta/<stream>.json` its metadata (config, consumers and their
//! state, the dedupe window), written atomically.

mod api;
mod commit;
pub mod disabled;
pub mod jsz;
mod limits;
mod local_mirror;
mod mirror;
mod mirror_health;
mod persist;
mod sources;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use jetmirror_config::SyncInterval;
use jetmirror_mirror::{MirrorHandle, SinkOp, StoreError, StoreState, UpstreamClient};
use jetmirror_store::SyncPolicy;
use jetmirror_stream::{Account, AckKind, AckSubject, Command, Effect, Outcome};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::accounts::{AccountState, GLOBAL};
use crate::internal::{ChannelHandler, InternalMsg};
use crate::router::Sub;
use crate::server::ServerState;

/// How many queued messages one batch takes at most.
const BATCH_MAX: usize = 1024;
/// How often changed consumer state is saved at most (a crash may redeliver messages
/// acknowledged within this window: at-least-once, as with nats-server).
const LAZY_PERSIST: Duration = Duration::from_secs(1);
/// The tick that drives time-based consumer and stream work.
const TICK: Duration = Duration::from_millis(100);

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Runs a blocking call (an fsync) without stalling the runtime's other tasks: on the
/// multi-threaded runtime the worker hands its queue to another thread first.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Whether a header block carries `Nats-Msg-Id` (the dedupe window is metadata).
fn has_msg_id(headers: &Bytes) -> bool {
    !headers.is_empty()
        && jetmirror_protocol::headers::HeaderMap::parse(headers)
            .map(|h| h.get("Nats-Msg-Id").is_some())
            .unwrap_or(false)
}

/// A unique advisory id: the server id's prefix and a counter.
fn advisory_id(server_id: &str, seq: u64) -> String {
    let prefix: String = server_id.chars().take(14).collect();
    format!("{prefix}{seq:08}")
}

/// What the batch will publish once its writes are durable.
struct Outgoing {
    subject: String,
    /// The message's own subject when it is delivered to a consumer.
    wire_subject: Option<String>,
    reply: Option<String>,
    headers: Option<Bytes>,
    payload: Bytes,
}

/// The running JetStream service.
pub struct Service {
    state: Arc<ServerState>,
    /// The account served: its subject space and limits.
    acc: Arc<AccountState>,
    limits: jetmirror_config::AccountJetStream,
    account: Account,
    flush_each_batch: bool,
    handler: Arc<ChannelHandler>,
    api_subs: Vec<Sub>,
    stream_subs: HashMap<String, Vec<Sub>>,
    push_active: HashMap<(String, String), bool>,
    /// Every push consumer: (stream, consumer, deliver subject); rebuilt on each tick and
    /// when consumers are created or deleted, watched on the router.
    push_consumers: Vec<(String, String, String)>,
    /// The push consumer list must be rebuilt before the next interest check.
    push_consumers_stale: bool,
    /// Interest in a deliver subject may have changed: check before the batch is committed.
    interest_dirty: bool,
    /// The router's interest epoch last acted on.
    interest_epoch: u64,
    /// The router's removal count when waiting pull requests were last checked for interest.
    seen_removals: u64,
    api_total: u64,
    api_errors: u64,
    written: BTreeSet<String>,
    /// Streams whose metadata changed in a way that must be durable before the batch's
    /// replies (config, consumers created or deleted, a dedupe id, purges and deletes).
    dirty: BTreeSet<String>,
    /// Streams whose consumer state (deliveries, acks) changed: saved at most every
    /// [`LAZY_PERSIST`], as nats-server writes consumer state lazily.
    lazy_dirty: BTreeSet<String>,
    last_lazy_persist: std::time::Instant,
    out: Vec<Outgoing>,
    /// Effects of mirror streams (deliveries to a mirror's consumers, their flow control,
    /// heartbeats, advisories): published at the end of the batch without waiting for any
    /// flush. The origin holds those messages durably, and a mirror that loses its
    /// unsynced tail in a crash fetches the same sequences again, as nats-server's mirror
    /// (which does not fsync at all) relies on. Everything a mirror's consumer sends goes
    /// this way, so its messages stay in order. API answers still wait for their flush.
    free_out: Vec<Outgoing>,
    advisory_seq: u64,
    /// The upstream connection shared by every mirror (made on first use).
    upstream: Option<UpstreamClient>,
    /// Running mirror drivers by stream.
    mirrors: HashMap<String, MirrorHandle>,
    /// Where mirror drivers send their batches.
    mirror_tx: mpsc::Sender<mirror::MirrorBatch>,
    /// Answers to mirror batches, sent once the batch is durable.
    /// Same-node mirrors (copied in this task) by stream.
    local_mirrors: HashMap<String, local_mirror::LocalMirror>,
    /// Mirror health, advisories, refused writes, `mirror_direct` subscriptions.
    mirror_ops: mirror_health::MirrorOps,
    /// Makes finished batches durable and publishes them, in order.
    commits: commit::Pipeline,
}

/// Starts JetStream when it is configured: with no accounts configured, in `$G`; otherwise
/// in every account whose block enables it, while the others answer the API with
/// nats-server's "not enabled for account" error.
pub fn start(state: Arc<ServerState>) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let opts = state.opts();
    let Some(js) = opts.jetstream.clone() else {
        return Ok(Vec::new());
    };
    let base = js
        .store_dir
        .clone()
        .or_else(|| opts.store_dir.clone())
        .unwrap_or_else(|| std::env::temp_dir().join("nats"));
    info!(
        "Starting JetStream; store directory: {}",
        base.join("jetstream").display()
    );
    let global_only = state.accounts.global_only();
    let mut tasks = Vec::new();
    let mut without = Vec::new();
    for acc in state.accounts.all() {
        let limits = if global_only && acc.name == GLOBAL {
            Some(jetmirror_config::AccountJetStream::default())
        } else if global_only {
            None
        } else {
            acc.jetstream.clone()
        };
        match limits {
            Some(limits) => tasks.push(start_account(&state, &acc, limits, &base, &js)?),
            None if !acc.is_system => without.push(acc),
            None => {}
        }
    }
    disabled::install(&without, js.domain.as_deref().unwrap_or_default());
    state.jetstream_enabled.store(true, Ordering::Relaxed);
    Ok(tasks)
}

/// Opens one account's store and starts its service.
fn start_account(
    state: &Arc<ServerState>,
    acc: &Arc<AccountState>,
    limits: jetmirror_config::AccountJetStream,
    base: &std::path::Path,
    js: &jetmirror_config::JetStreamOptions,
) -> anyhow::Result<JoinHandle<()>> {
    let opts = state.opts();
    let account_dir = base.join("jetstream").join(&acc.name);
    let streams_dir = account_dir.join("streams");
    let meta_dir = account_dir.join("meta");
    std::fs::create_dir_all(&streams_dir)?;
    std::fs::create_dir_all(&meta_dir)?;
    let (sync, flush_each_batch) = match js.sync_interval {
        None | Some(SyncInterval::Always) => (SyncPolicy::Never, true),
        Some(SyncInterval::Every(d)) => (SyncPolicy::Interval(d), false),
    };
    let metas = persist::load_metas(&meta_dir)?;
    let domain = js.domain.clone().unwrap_or_default();
    let account = Account::open(&streams_dir, &domain, sync, metas).map_err(|e| {
        anyhow::anyhow!("recovering JetStream streams of account {}: {e}", acc.name)
    })?;
    let (handler, rx) = ChannelHandler::new("jetstream", 65_536);
    let (mirror_tx, mirror_rx) = mpsc::channel(64);
    let mut service = Service {
        state: state.clone(),
        acc: acc.clone(),
        limits,
        account,
        flush_each_batch,
        handler,
        api_subs: Vec::new(),
        stream_subs: HashMap::new(),
        push_active: HashMap::new(),
        push_consumers: Vec::new(),
        push_consumers_stale: true,
        interest_dirty: true,
        interest_epoch: 0,
        seen_removals: 0,
        api_total: 0,
        api_errors: 0,
        written: BTreeSet::new(),
        dirty: BTreeSet::new(),
        lazy_dirty: BTreeSet::new(),
        last_lazy_persist: std::time::Instant::now(),
        out: Vec::new(),
        free_out: Vec::new(),
        advisory_seq: 0,
        upstream: None,
        mirrors: HashMap::new(),
        mirror_tx,
        local_mirrors: HashMap::new(),
        mirror_ops: mirror_health::MirrorOps::default(),
        commits: commit::Pipeline::start(acc.clone(), meta_dir),
    };
    service.subscribe_api(&domain);
    if opts.upstream.is_some() && acc.name == GLOBAL {
        // Connect at start: mirrors created later find the connection up.
        if let Err(e) = service.upstream_client() {
            warn!(error = %e, "cannot connect to the upstream");
        }
    }
    let names: Vec<String> = service
        .account
        .metas()
        .into_iter()
        .map(|m| m.config.name)
        .collect();
    for name in &names {
        service.subscribe_stream(name);
        if let Err(e) = service.start_mirror(name) {
            warn!(stream = %name, error = %e, "mirror not started");
        }
    }
    info!(
        account = %acc.name,
        "JetStream ready: {} stream(s) recovered",
        names.len()
    );
    let (jsz_tx, jsz_rx) = mpsc::channel(16);
    state.jsz_queries.lock().insert(acc.name.clone(), jsz_tx);
    Ok(tokio::spawn(service.run(rx, mirror_rx, jsz_rx)))
}

impl Service {
    fn subscribe(&mut self, subject: &str, sid: &str) -> Option<Sub> {
        match self
            .acc
            .subscribe_internal(subject, None, sid, self.handler.clone())
        {
            Ok(s) => Some(s),
            Err(_) => {
                warn!(subject, "cannot subscribe the JetStream service");
                None
            }
        }
    }

    fn subscribe_api(&mut self, domain: &str) {
        let mut prefixes = vec!["$JS.API".to_string()];
        if !domain.is_empty() {
            prefixes.push(format!("$JS.{domain}.API"));
        }
        let handler = Arc::new(api::ApiHandler(self.handler.clone()));
        for p in prefixes {
            match self
                .acc
                .subscribe_internal(&format!("{p}.>"), None, "api", handler.clone())
            {
                Ok(s) => self.api_subs.push(s),
                Err(_) => warn!(prefix = %p, "cannot subscribe the JetStream API"),
            }
        }
        for (subject, sid) in [("$JS.ACK.>", "ack"), ("$JS.FC.>", "fc")] {
            if let Some(s) = self.subscribe(subject, sid) {
                self.api_subs.push(s);
            }
        }
    }

    /// (Re)subscribes a stream's subjects, and its DIRECT.GET subjects when allowed.
    fn subscribe_stream(&mut self, name: &str) {
        self.unsubscribe_stream(name);
        let Some(stream) = self.account.stream(name) else {
            return;
        };
        let cfg = stream.config().clone();
        let mut subs = Vec::new();
        for subject in &cfg.subjects {
            if let Some(s) = self.subscribe(subject, "pub") {
                subs.push(s);
            }
        }
        if cfg.allow_direct {
            let domain = self.account.domain().to_string();
            let mut prefixes = vec!["$JS.API".to_string()];
            if !domain.is_empty() {
                prefixes.push(format!("$JS.{domain}.API"));
            }
            for p in prefixes {
                for subject in [
                    format!("{p}.DIRECT.GET.{name}"),
                    format!("{p}.DIRECT.GET.{name}.>"),
                ] {
                    if let Some(s) =
                        self.subscribe_queue(&subject, mirror::DIRECT_GET_QUEUE, "direct")
                    {
                        subs.push(s);
                    }
                }
            }
        }
        self.stream_subs.insert(name.to_string(), subs);
    }

    fn unsubscribe_stream(&mut self, name: &str) {
        if let Some(subs) = self.stream_subs.remove(name) {
            for s in subs {
                self.acc.unsubscribe_internal(&s);
            }
        }
    }

    /// Starts the mirror driver of stream `name` when it is a mirror (a no-op
    /// otherwise, or when it runs already).
    fn start_mirror(&mut self, name: &str) -> Result<(), jetmirror_stream::ApiError> {
        if self.mirrors.contains_key(name)
            || self.local_mirrors.contains_key(name)
            || self.start_local_mirror(name)
        {
            return Ok(());
        }
        let Some(stream) = self.account.stream(name) else {
            return Ok(());
        };
        if stream.config().mirror.is_none() {
            return Ok(());
        }
        let cfg = mirror::mirror_config(stream.config(), self.account.domain())?;
        let st = stream.state(false, None);
        let state = StoreState {
            messages: st.messages,
            first_seq: st.first_seq,
            last_seq: st.last_seq,
        };
        let client = self.upstream_client()?;
        let sink = mirror::ServiceSink {
            stream: name.to_string(),
            state,
            tx: self.mirror_tx.clone(),
        };
        info!(stream = %name, origin = %cfg.origin, api = %cfg.api_prefix(), "starting mirror");
        let handle = jetmirror_mirror::spawn_mirror(client, cfg, sink);
        self.mirrors.insert(name.to_string(), handle);
        Ok(())
    }

    /// The shared upstream client, connecting on first use.
    fn upstream_client(&mut self) -> Result<UpstreamClient, jetmirror_stream::ApiError> {
        if let Some(c) = &self.upstream {
            return Ok(c.clone());
        }
        let opts = self.state.opts();
        let Some(up) = opts.upstream.as_ref() else {
            return Err(jetmirror_stream::ApiError::mirror_consumer_setup_failed(
                "no upstream configured: mirrors need `upstream { url: … }` or --upstream",
            ));
        };
        let c = mirror::connect(up, &self.state.server_name)?;
        self.upstream = Some(c.clone());
        Ok(c)
    }

    /// Stops the mirror driver of stream `name`, if any.
    fn stop_mirror(&mut self, name: &str) {
        // Dropping the handle stops the driver.
        self.mirrors.remove(name);
        self.forget_mirror(name);
    }

    /// Applies one batch of a mirror driver and answers it at once: the driver's next
    /// batch never waits for this one's fsync (the origin holds the messages durably; a
    /// crash before the flush refetches the same sequences from the store's last one).
    fn mirror_batch(&mut self, b: mirror::MirrorBatch) {
        let now = now_ns();
        let mut result = Ok(());
        for op in b.ops {
            let (cmd, seq) = match op {
                SinkOp::Store(m) => (
                    Command::MirrorStore {
                        seq: m.seq,
                        ts_ns: m.ts_ns,
                        subject: String::from_utf8_lossy(&m.subject).into_owned(),
                        headers: m.headers.unwrap_or_default(),
                        payload: m.payload,
                        now_ns: now,
                    },
                    m.seq,
                ),
                SinkOp::SkipTo(seq) => (Command::MirrorSkip { seq, now_ns: now }, seq),
            };
            match self.apply(&b.stream, cmd) {
                Some(Outcome::Mirrored { .. }) => self.mirror_ops.store_result(&b.stream, None),
                Some(Outcome::MirrorSeqMismatch { seq, last_seq }) => {
                    result = Err(StoreError::LastSeqMismatch { seq, last_seq });
                    break;
                }
                Some(Outcome::Failed(e)) => {
                    warn!(stream = %b.stream, seq, error = %e, "mirror store failed");
                    self.mirror_ops.store_result(&b.stream, Some(e));
                    result = Err(StoreError::Other { seq });
                    break;
                }
                _ => {
                    result = Err(StoreError::Other { seq });
                    break;
                }
            }
        }
        let _ = b.done.send(result);
    }

    async fn run(
        mut self,
        mut rx: mpsc::Receiver<InternalMsg>,
        mut mirror_rx: mpsc::Receiver<mirror::MirrorBatch>,
        mut jsz_rx: mpsc::Receiver<jsz::JszQuery>,
    ) {
        let shutdown = self.state.shutdown_token().clone();
        let acc = self.acc.clone();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                m = rx.recv() => {
                    let Some(m) = m else { break };
                    // A subscription made before this message was sent is seen first
                    // (a client's SUB then its CONSUMER.INFO, or a publish).
                    if acc.router.interest_epoch() != self.interest_epoch {
                        self.check_push_interest(now_ns());
                    }
                    self.drop_abandoned_pulls();
                    self.handle(m);
                    let mut n = 1;
                    while n < BATCH_MAX {
                        match rx.try_recv() {
                            Ok(m) => {
                                self.drop_abandoned_pulls();
                                self.handle(m);
                            }
                            Err(_) => break,
                        }
                        n += 1;
                    }
                    self.finish_batch();
                }
                b = mirror_rx.recv() => {
                    let Some(b) = b else { continue };
                    self.drop_abandoned_pulls();
                    self.mirror_batch(b);
                    while let Ok(b) = mirror_rx.try_recv() {
                        self.mirror_batch(b);
                    }
                    self.finish_batch();
                }
                _ = acc.router.interest_changed() => {
                    self.interest_dirty = true;
                    self.finish_batch();
                }
                _ = tick.tick() => {
                    self.drop_abandoned_pulls();
                    self.tick();
                    self.mirror_tick();
                    self.finish_batch();
                }
                q = jsz_rx.recv() => {
                    if let Some(q) = q {
                        self.jsz(q);
                    }
                }
            }
        }
        self.state.jsz_queries.lock().remove(&self.acc.name);
        jsz_rx.close();
        // Mirror drivers stop first; batches still queued are refused.
        self.mirrors.clear();
        mirror_rx.close();
        while let Ok(b) = mirror_rx.try_recv() {
            let seq = match b.ops.first() {
                Some(SinkOp::Store(m)) => m.seq,
                Some(SinkOp::SkipTo(s)) => *s,
                None => 0,
            };
            let _ = b.done.send(Err(StoreError::Other { seq }));
        }
        // Shutting down: everything written is flushed and every stream's metadata saved.
        for name in self.stream_names() {
            self.written.insert(name.clone());
            self.dirty.insert(name);
        }
        self.lazy_dirty.clear();
        self.finish_batch();
        // Everything handed to the pipeline is durable and published before we stop.
        blocking(|| self.commits.close());
        for s in std::mem::take(&mut self.api_subs) {
            self.acc.unsubscribe_internal(&s);
        }
        info!("JetStream stopped");
    }

    fn stream_names(&self) -> Vec<String> {
        self.account
            .metas()
            .into_iter()
            .map(|m| m.config.name)
            .collect()
    }

    fn handle(&mut self, m: InternalMsg) {
        match m.sid.as_ref() {
            b"pub" => self.publish(m),
            b"ack" => self.ack(m),
            b"fc" => self.flow_control(m),
            b"api" | b"direct" => self.api(m),
            s if s.starts_with(b"mdirect.") => self.mirror_direct_get(m),
            _ => {}
        }
    }

    /// Applies `cmd` to stream `name`, queues its effects, and returns the outcome.
    fn apply(&mut self, name: &str, cmd: Command) -> Option<Outcome> {
        let writes = matches!(
            cmd,
            Command::Publish { .. }
                | Command::Purge { .. }
                | Command::DeleteMsg { .. }
                | Command::MirrorStore { .. }
                | Command::MirrorSkip { .. }
        );
        let urgent = match &cmd {
            Command::Publish { headers, .. } => has_msg_id(headers),
            Command::Ack { .. }
            | Command::Pull { .. }
            | Command::Tick { .. }
            | Command::FlowControlReply { .. }
            | Command::PushInterest { .. }
            | Command::MirrorStore { .. }
            | Command::MirrorSkip { .. } => false,
            _ => true,
        };
        let lazy = matches!(cmd, Command::Ack { .. });
        let consumers_change = matches!(
            cmd,
            Command::CreateConsumer { .. } | Command::DeleteConsumer { .. }
        );
        let stream = self.account.stream_mut(name)?;
        let applied = stream.apply(cmd);
        if consumers_change {
            // A created (or updated) consumer starts without interest: check it afresh.
            if let Outcome::ConsumerCreated(info) = &applied.outcome {
                self.push_active
                    .remove(&(name.to_string(), info.name.clone()));
            }
            self.push_consumers_stale = true;
        }
        // Sets of stream names: checked before inserting, so the per-message path does not
        // allocate a name it already has.
        if writes && !self.written.contains(name) {
            self.written.insert(name.to_string());
        }
        if urgent {
            if !self.dirty.contains(name) {
                self.dirty.insert(name.to_string());
            }
        } else if (lazy
            || applied
                .effects
                .iter()
                .any(|e| matches!(e, Effect::Deliver { .. })))
            && !self.lazy_dirty.contains(name)
        {
            self.lazy_dirty.insert(name.to_string());
        }
        self.effects(name, applied.effects);
        Some(applied.outcome)
    }

    fn effects(&mut self, stream: &str, effects: Vec<Effect>) {
        if effects.is_empty() {
            return;
        }
        // What a mirror's consumers send depends on no local flush (see `free_out`).
        let free = self
            .account
            .stream(stream)
            .is_some_and(|s| s.config().mirror.is_some());
        let out = if free {
            &mut self.free_out
        } else {
            &mut self.out
        };
        for e in effects {
            match e {
                Effect::Reply {
                    subject,
                    headers,
                    payload,
                } => out.push(Outgoing {
                    subject,
                    wire_subject: None,
                    reply: None,
                    headers,
                    payload,
                }),
                Effect::Deliver {
                    subject,
                    msg_subject,
                    reply,
                    headers,
                    payload,
                } => out.push(Outgoing {
                    subject,
                    wire_subject: Some(msg_subject),
                    reply,
                    headers,
                    payload,
                }),
                Effect::Advisory(a) => {
                    self.advisory_seq += 1;
                    let id = advisory_id(&self.state.server_id, self.advisory_seq);
                    out.push(Outgoing {
                        subject: a.subject.clone(),
                        wire_subject: None,
                        reply: None,
                        headers: None,
                        payload: Bytes::from(a.encode(&id)),
                    });
                }
                Effect::ConsumerDeleted { name } => {
                    self.push_active.remove(&(stream.to_string(), name));
                    self.push_consumers_stale = true;
                }
            }
        }
    }

    fn publish(&mut self, m: InternalMsg) {
        let Some(name) = self
            .account
            .stream_for_subject(&m.subject)
            .map(str::to_string)
        else {
            return;
        };
        let storage = self.account.stream(&name).map(|s| s.config().storage);
        if let Some(storage) = storage {
            let headers = m.headers.as_deref().unwrap_or_default();
            if self.would_exceed(storage, &m.subject, headers, &m.payload) {
                warn!(account = %self.acc.name, stream = %name, subject = %m.subject, "account storage limit reached; message refused");
                if let Some(reply) = m.reply {
                    let err = jetmirror_stream::ApiError::account_resources_exceeded();
                    self.out.push(Outgoing {
                        subject: reply,
                        wire_subject: None,
                        reply: None,
                        headers: None,
                        payload: Bytes::from(jetmirror_stream::api::stream::PubAck::encode_error(
                            &name, &err,
                        )),
                    });
                }
                return;
            }
        }
        self.apply(
            &name,
            Command::Publish {
                subject: m.subject,
                reply: m.reply,
                headers: m.headers.unwrap_or_default(),
                payload: m.payload,
                now_ns: now_ns(),
            },
        );
    }

    fn ack(&mut self, m: InternalMsg) {
        let parsed = AckSubject::parse(&m.subject);
        let exists = match &parsed {
            Some(ack) => self.takes_acks(&ack.stream, &ack.consumer),
            None => {
                let t: Vec<&str> = m.subject.split('.').collect();
                match t.len() {
                    9 => self.takes_acks(t[2], t[3]),
                    n if n >= 11 => self.takes_acks(t[4], t[5]),
                    _ => false,
                }
            }
        };
        if !exists {
            // A nats-server consumer that takes acks subscribes its own
            // `$JS.ACK.<stream>.<consumer>.*.*.*.*.*` (and the `$JS.ACK.<domain>.<hash>.…`
            // form): any other ack subject has no responders.
            if let (Some(reply), true) = (m.reply.clone(), m.no_responders) {
                self.no_responders(&m.subject, reply);
            }
            return;
        }
        let Some(ack) = parsed else {
            return;
        };
        let kind = AckKind::parse(&m.payload);
        self.apply(
            &ack.stream,
            Command::Ack {
                consumer: ack.consumer.clone(),
                stream_seq: ack.stream_seq,
                consumer_seq: ack.consumer_seq,
                kind,
                reply: m.reply,
                now_ns: now_ns(),
            },
        );
    }

    fn takes_acks(&self, stream: &str, consumer: &str) -> bool {
        self.account
            .stream(stream)
            .is_some_and(|s| s.consumer_takes_acks(consumer))
    }

    fn flow_control(&mut self, m: InternalMsg) {
        // $JS.FC.<stream>.<consumer>.<id>
        let tokens: Vec<&str> = m.subject.split('.').collect();
        let (Some(stream), Some(consumer)) = (tokens.get(2), tokens.get(3)) else {
            return;
        };
        let (stream, consumer) = (stream.to_string(), consumer.to_string());
        self.apply(
            &stream,
            Command::FlowControlReply {
                consumer,
                subject: m.subject,
                now_ns: now_ns(),
            },
        );
    }

    /// Drops waiting pull requests whose reply subject lost its last subscriber (the
    /// requester unsubscribed or went away), before anything is delivered to them: nats-server
    /// checks this interest when it picks a waiting request and when it reports
    /// `num_waiting`. Only looked at after some subscription was removed.
    fn drop_abandoned_pulls(&mut self) {
        let removals = self.acc.router.removals();
        if removals == self.seen_removals {
            return;
        }
        self.seen_removals = removals;
        let mut gone = Vec::new();
        for s in self.account.streams() {
            for (consumer, reply) in s.waiting_pulls() {
                if self.acc.router.matches(reply).is_empty() {
                    let stream = s.config().name.clone();
                    gone.push((stream, consumer.to_string(), reply.to_string()));
                }
            }
        }
        let now = now_ns();
        for (stream, consumer, reply) in gone {
            debug!(%stream, %consumer, %reply, "waiting pull request dropped: no interest");
            self.apply(
                &stream,
                Command::CancelPull {
                    consumer,
                    reply,
                    now_ns: now,
                },
            );
        }
    }

    /// Time-driven work, and push consumers' interest in their deliver subjects.
    fn tick(&mut self) {
        let now = now_ns();
        self.check_push_interest(now);
        for name in self.stream_names() {
            if let Some(stream) = self.account.stream_mut(&name) {
                let applied = stream.apply(Command::Tick { now_ns: now });
                if !applied.effects.is_empty() {
                    self.lazy_dirty.insert(name.clone());
                    self.written.insert(name.clone());
                }
                self.effects(&name, applied.effects);
            }
        }
    }

    /// Rebuilds the push consumer list (when stale) and tells each push consumer whose
    /// deliver subject gained or lost its subscribers (nats-server follows this interest
    /// with a sublist notification: delivery starts as soon as the client subscribes).
    fn check_push_interest(&mut self, now: i64) {
        if self.push_consumers_stale {
            self.push_consumers_stale = false;
            let mut list = Vec::new();
            for name in self.stream_names() {
                let Some(s) = self.account.stream(&name) else {
                    continue;
                };
                for c in s.consumer_names() {
                    let deliver = s
                        .consumer_info(&c, now)
                        .and_then(|i| i.config)
                        .map(|cfg| cfg.deliver_subject)
                        .unwrap_or_default();
                    if !deliver.is_empty() {
                        list.push((name.clone(), c, deliver));
                    }
                }
            }
            let mut watched: Vec<String> = list.iter().map(|(_, _, d)| d.clone()).collect();
            watched.sort_unstable();
            watched.dedup();
            self.acc.router.watch(watched);
            self.push_consumers = list;
        }
        self.interest_dirty = false;
        self.interest_epoch = self.acc.router.interest_epoch();
        for i in 0..self.push_consumers.len() {
            let Some((name, consumer, deliver)) = self.push_consumers.get(i) else {
                break;
            };
            let active = !self.acc.router.matches(deliver).is_empty();
            let key = (name.clone(), consumer.clone());
            if self.push_active.get(&key) != Some(&active) {
                self.push_active.insert(key, active);
                let (name, consumer) = (name.clone(), consumer.clone());
                self.apply(
                    &name,
                    Command::PushInterest {
                        consumer,
                        active,
                        now_ns: now,
                    },
                );
            }
        }
    }

    /// Hands the batch to the commit pipeline: it makes the batch's writes and metadata
    /// durable, then publishes what the batch produced.
    fn finish_batch(&mut self) {
        if self.interest_dirty || self.push_consumers_stale {
            self.check_push_interest(now_ns());
        }
        self.sync_local_mirrors();
        self.pump_sources();
        let mut c = commit::Commit::default();
        for name in std::mem::take(&mut self.written) {
            if !self.flush_each_batch {
                continue;
            }
            if let Some(s) = self.account.stream(&name) {
                if let jetmirror_stream::memstore::Backend::File(store) = s.store() {
                    c.flush.push((name, store.flusher()));
                }
            }
        }
        if self.last_lazy_persist.elapsed() >= LAZY_PERSIST {
            self.last_lazy_persist = std::time::Instant::now();
            let lazy = std::mem::take(&mut self.lazy_dirty);
            self.dirty.extend(lazy);
        }
        for name in std::mem::take(&mut self.dirty) {
            let meta = self.account.stream(&name).map(|s| s.meta());
            c.metas.push((name, meta));
        }
        if !self.free_out.is_empty() {
            self.commits.publish_now(std::mem::take(&mut self.free_out));
        }
        c.out = std::mem::take(&mut self.out);
        self.commits.submit(c);
    }
}
