//! The deterministic stream state machine: a [`Stream`] owns one store, its config, the
//! duplicate window, the last msg id and its consumers; [`Stream::apply`] takes a
//! [`Command`] (time inside it) and returns an [`Applied`]: the command's result plus the
//! [`Effect`]s (messages to publish) it caused.
//!
//! Nothing here reads a clock, draws a random number or does IO except through the store,
//! so applying the same command log to two fresh streams gives the same effects and state.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use bytes::Bytes;
use jetmirror_protocol::HeaderMap;
use jetmirror_store::{
    Discard, PurgeRequest as StorePurge, Store, StoreConfig, StoreError, SyncPolicy, WriteError,
};
use serde::{Deserialize, Serialize};
use tracing::debug;

use crate::api::consumer::{
    AckPolicy, ConsumerAction, ConsumerConfig, ConsumerInfo, DeliverPolicy, NextRequest,
    PriorityGroupState, PriorityPolicy, SequenceInfo,
};
use crate::api::responses::types;
use crate::api::stream::{
    DiscardPolicy, MsgGetRequest, PubAck, PurgeRequest, RetentionPolicy, StorageType, StreamConfig,
    StreamInfo, StreamState,
};
use crate::api::{json, ApiError};
use crate::consumer::{ack_reply, AckKind, Consumer, ConsumerState, Pending, WaitingRequest};
use crate::memstore::{Backend, MemStore};
use crate::source::{self as sourcing, Source, SourcePlan, SourceProgress};
use crate::ttl::{self, MessageTtl};
use crate::validate;
use jetmirror_subject::SubjectTransform;

/// Why a stream could not be opened or a store operation failed outright.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("stream {stream}: {source}")]
    Store {
        stream: String,
        #[source]
        source: StoreError,
    },
}

/// A command: every change to a stream. Time arrives inside (`now_ns`, ns since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// A message published on one of the stream's subjects. `headers` is the raw header
    /// block (empty when none). The PubAck goes to `reply` as an [`Effect::Reply`].
    Publish {
        subject: String,
        reply: Option<String>,
        headers: Bytes,
        payload: Bytes,
        now_ns: i64,
    },
    /// `STREAM.MSG.DELETE`.
    DeleteMsg {
        seq: u64,
        no_erase: bool,
        now_ns: i64,
    },
    /// `STREAM.PURGE`.
    Purge { request: PurgeRequest, now_ns: i64 },
    /// `STREAM.UPDATE` (the config is checked here against the current one).
    UpdateConfig {
        config: StreamConfig,
        pedantic: bool,
        now_ns: i64,
    },
    /// `CONSUMER.CREATE` / `DURABLE.CREATE` once the API layer has resolved the name rules.
    /// `generated_name` is used when the config has neither `durable_name` nor `name`
    /// (the shell draws it, keeping this machine free of randomness).
    CreateConsumer {
        config: ConsumerConfig,
        action: ConsumerAction,
        pedantic: bool,
        generated_name: String,
        now_ns: i64,
    },
    /// `CONSUMER.DELETE`.
    DeleteConsumer { name: String, now_ns: i64 },
    /// A message on `$JS.ACK.…` for this stream, already parsed.
    /// `stream_seq` and `consumer_seq` are the ack subject's tokens ([`crate::AckSubject`]).
    Ack {
        consumer: String,
        stream_seq: u64,
        consumer_seq: u64,
        kind: AckKind,
        reply: Option<String>,
        now_ns: i64,
    },
    /// `CONSUMER.MSG.NEXT`.
    Pull {
        consumer: String,
        reply: String,
        request: NextRequest,
        now_ns: i64,
    },
    /// The requester of a waiting pull request went away (no interest in its reply subject
    /// any more); the request is dropped silently, as nats-server does.
    CancelPull {
        consumer: String,
        reply: String,
        now_ns: i64,
    },
    /// A reply on `$JS.FC.<stream>.<consumer>.<id>` (push flow control).
    FlowControlReply {
        consumer: String,
        subject: String,
        now_ns: i64,
    },
    /// A push consumer's deliver subject gained or lost interest.
    PushInterest {
        consumer: String,
        active: bool,
        now_ns: i64,
    },
    /// One message read by the shell from a source stream (`sources`): stored under a new
    /// sequence with `Nats-Stream-Source`, the source's subject transforms and the
    /// stream's own. A `source_seq` not past what was copied is ignored.
    SourceStore {
        index_name: String,
        /// The source stream's creation time (its identity goes into the header).
        source_created_ns: i64,
        source_seq: u64,
        subject: String,
        /// Raw header block, empty when none.
        headers: Bytes,
        payload: Bytes,
        now_ns: i64,
    },
    /// `CONSUMER.PAUSE`: pause delivery until `pause_until` (ns; `None` resumes).
    PauseConsumer {
        name: String,
        pause_until: Option<i64>,
        now_ns: i64,
    },
    /// `CONSUMER.UNPIN`: drop the pinned client of `group`.
    UnpinConsumer {
        name: String,
        group: String,
        now_ns: i64,
    },
    /// `CONSUMER.RESET`: start delivering again at stream sequence `seq` (0: just past
    /// the ack floor), forgetting what was delivered and pending.
    ResetConsumer { name: String, seq: u64, now_ns: i64 },
    /// Time passed: max_age and TTL expiry, duplicate window, redelivery, pull expiry,
    /// heartbeats, inactive_threshold, pause ends, pin timeouts.
    Tick { now_ns: i64 },
    /// A mirror stores one origin message at the ORIGIN sequence and timestamp. On a store
    /// without messages `seq` becomes first_seq (anything above last_seq); otherwise it
    /// must be last_seq + 1, else [`Outcome::MirrorSeqMismatch`]. The mirror's own
    /// limits apply; consumers of the mirror are fed as by a publish.
    MirrorStore {
        seq: u64,
        ts_ns: i64,
        subject: String,
        /// Raw header block, empty when none.
        headers: Bytes,
        payload: Bytes,
        now_ns: i64,
    },
    /// A mirror learned that the origin has nothing up to and including `seq`: on a store
    /// without messages this is a purge to `seq + 1`, otherwise the sequences after
    /// last_seq up to `seq` become deleted ones. A `seq` not above last_seq is a no-op.
    MirrorSkip { seq: u64, now_ns: i64 },
}

/// Something to publish, produced by a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A message to publish as is: a reply (PubAck, ack-ack, pull status such as
    /// `404 No Messages`) or a republished message (`republish`).
    Reply {
        subject: String,
        headers: Option<Bytes>,
        payload: Bytes,
    },
    /// A message for a consumer: `subject` is where to send it (deliver subject or pull
    /// reply), `msg_subject` the original subject, `reply` the `$JS.ACK…` subject.
    Deliver {
        subject: String,
        msg_subject: String,
        reply: Option<String>,
        headers: Option<Bytes>,
        payload: Bytes,
    },
    /// An advisory on `$JS.EVENT.ADVISORY.…`; the shell adds `id` with [`Advisory::encode`].
    Advisory(Advisory),
    /// A consumer went away (explicit delete, inactivity); the shell drops its subscriptions.
    ConsumerDeleted { name: String },
}

/// An advisory, encoded by the shell with its own unique id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    pub subject: String,
    pub kind: &'static str,
    pub timestamp_ns: i64,
    /// The fields after `type, id, timestamp`, in order.
    pub fields: Vec<(&'static str, serde_json::Value)>,
}

impl Advisory {
    /// `{"type":…,"id":…,"timestamp":…,<fields>}`.
    pub fn encode(&self, id: &str) -> Vec<u8> {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), self.kind.into());
        m.insert("id".into(), id.into());
        m.insert(
            "timestamp".into(),
            crate::api::time::format_rfc3339(self.timestamp_ns).into(),
        );
        for (k, v) in &self.fields {
            m.insert((*k).into(), v.clone());
        }
        json::encode(&m)
    }
}

/// The result of a command, for the API layer to turn into its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to answer (ack, tick, interest, publish: its PubAck is an effect).
    Done,
    Published {
        seq: u64,
        duplicate: bool,
    },
    MsgDeleted,
    Purged {
        purged: u64,
    },
    ConfigUpdated,
    ConsumerCreated(Box<ConsumerInfo>),
    ConsumerDeleted,
    /// `CONSUMER.RESET` applied: the consumer's info afterwards and the sequence it
    /// delivers next.
    ConsumerReset {
        info: Box<ConsumerInfo>,
        reset_seq: u64,
    },
    /// `CONSUMER.PAUSE` applied.
    ConsumerPaused {
        paused: bool,
        /// ns, 0 when not paused.
        pause_until: i64,
        pause_remaining: i64,
    },
    /// `MirrorStore` / `MirrorSkip` applied; `last_seq` is the store's last sequence now.
    Mirrored {
        last_seq: u64,
    },
    /// `MirrorStore` at a sequence the store cannot take next.
    MirrorSeqMismatch {
        seq: u64,
        last_seq: u64,
    },
    Failed(ApiError),
}

/// What applying a command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub outcome: Outcome,
    pub effects: Vec<Effect>,
}

/// A consumer as persisted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerRecord {
    pub name: String,
    pub config: ConsumerConfig,
    pub created_ns: i64,
    pub state: ConsumerState,
}

/// Everything besides the messages that a stream needs after a restart; the server writes it
/// (e.g. as JSON) next to the store after each applied command or on shutdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamMeta {
    pub config: StreamConfig,
    pub created_ns: i64,
    pub domain: String,
    pub last_msg_id: String,
    /// msg id → (seq, ts_ns) within the duplicate window.
    pub dedupe: BTreeMap<String, (u64, i64)>,
    pub consumers: Vec<ConsumerRecord>,
}

/// Status headers sent to pull requesters.
fn status(code: u16, desc: &str, extra: &[(&str, String)]) -> Bytes {
    let mut h = HeaderMap::with_status(code, Some(desc));
    for (k, v) in extra {
        h.append(k, v);
    }
    h.to_bytes()
}

fn store_config(cfg: &StreamConfig) -> StoreConfig {
    StoreConfig {
        max_msgs: cfg.max_msgs,
        max_bytes: cfg.max_bytes,
        // max_age is enforced by `Tick` so that expiry follows command time, not the clock.
        max_age: std::time::Duration::ZERO,
        max_msgs_per_subject: cfg.max_msgs_per_subject,
        // Checked here first with nats-server's error; the store need not check again.
        max_msg_size: -1,
        discard: match cfg.discard {
            DiscardPolicy::Old => Discard::Old,
            DiscardPolicy::New => Discard::New,
        },
        discard_new_per_subject: cfg.discard_new_per_subject,
        ..StoreConfig::default()
    }
}

/// One stream: config, store, dedupe window and consumers.
pub struct Stream {
    config: StreamConfig,
    created_ns: i64,
    domain: String,
    store: Backend,
    last_msg_id: String,
    dedupe: BTreeMap<String, (u64, i64)>,
    consumers: BTreeMap<String, Consumer>,
    sync: SyncPolicy,
    /// `sources`, compiled, and how far each was copied (by index name).
    sources: Vec<Source>,
    source_progress: BTreeMap<String, SourceProgress>,
    /// `subject_transform`, applied to each published subject before anything else.
    input_transform: Option<SubjectTransform>,
    /// `republish`, applied to each stored message.
    republish: Option<SubjectTransform>,
    /// Messages with a `Nats-TTL`, by (expiry ns, seq); rebuilt from the store on open.
    ttls: BTreeSet<(i64, u64)>,
    /// max_age with TTLs: messages below this sequence were examined already.
    age_scan_seq: u64,
}

/// The stream's subject transform and republish transform; config checks made sure both
/// build, so a failure here leaves the feature off rather than failing the stream.
fn transforms_of(cfg: &StreamConfig) -> (Option<SubjectTransform>, Option<SubjectTransform>) {
    let input = cfg.subject_transform.as_ref().and_then(|t| {
        SubjectTransform::new(&t.source, &t.destination)
            .ok()
            .flatten()
    });
    let republish = cfg.republish.as_ref().and_then(|r| {
        let src = if r.source.is_empty() { ">" } else { &r.source };
        let dest = if r.destination.is_empty() {
            ">"
        } else {
            &r.destination
        };
        SubjectTransform::new(src, dest).ok().flatten()
    });
    (input, republish)
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("name", &self.config.name)
            .field("consumers", &self.consumers.len())
            .finish()
    }
}

impl Stream {
    /// Creates a stream in `dir` from a config already checked by
    /// [`validate::check_stream_create`].
    pub fn create(
        dir: &Path,
        config: StreamConfig,
        created_ns: i64,
        domain: &str,
    ) -> Result<Stream, StreamError> {
        Stream::create_with_sync(dir, config, created_ns, domain, SyncPolicy::Always)
    }

    /// [`Stream::create`] with another store sync policy.
    pub fn create_with_sync(
        dir: &Path,
        config: StreamConfig,
        created_ns: i64,
        domain: &str,
        sync: SyncPolicy,
    ) -> Result<Stream, StreamError> {
        let meta = StreamMeta {
            config,
            created_ns,
            domain: domain.to_string(),
            last_msg_id: String::new(),
            dedupe: BTreeMap::new(),
            consumers: Vec::new(),
        };
        Stream::open_with_sync(dir, meta, sync)
    }

    /// Opens the stream in `dir` with the metadata persisted earlier (store sync policy:
    /// group commit, every write fsynced).
    pub fn open(dir: &Path, meta: StreamMeta) -> Result<Stream, StreamError> {
        Stream::open_with_sync(dir, meta, SyncPolicy::Always)
    }

    /// [`Stream::open`] with another store sync policy (tests and benches use `Never`).
    pub fn open_with_sync(
        dir: &Path,
        meta: StreamMeta,
        sync: SyncPolicy,
    ) -> Result<Stream, StreamError> {
        let mut scfg = store_config(&meta.config);
        scfg.sync = sync;
        let mut store = if meta.config.storage == StorageType::Memory {
            Backend::Memory(MemStore::new(scfg))
        } else {
            let (store, report) = Store::open(dir, scfg).map_err(|source| StreamError::Store {
                stream: meta.config.name.clone(),
                source,
            })?;
            debug!(stream = %meta.config.name, replayed = report.records_replayed, "stream opened");
            Backend::File(store)
        };
        if meta.config.first_seq > 1 && store.state(false).last_seq == 0 {
            let _ = store.skip_to(meta.config.first_seq);
        }
        let consumers = meta
            .consumers
            .into_iter()
            .map(|r| {
                let c = Consumer {
                    name: r.name.clone(),
                    config: r.config,
                    created_ns: r.created_ns,
                    state: r.state,
                    waiting: VecDeque::new(),
                    push_active: false,
                    last_push_ns: 0,
                    fc: Default::default(),
                    num_pending_cache: Default::default(),
                    pin: Default::default(),
                    pause_armed: false,
                    redeliver_hint_ns: Default::default(),
                };
                (r.name, c)
            })
            .collect();
        let memory = meta.config.storage == StorageType::Memory;
        let (input_transform, republish) = transforms_of(&meta.config);
        let mut stream = Stream {
            config: meta.config,
            created_ns: meta.created_ns,
            domain: meta.domain,
            store,
            last_msg_id: meta.last_msg_id,
            dedupe: meta.dedupe,
            consumers,
            sync,
            input_transform,
            republish,
            ttls: BTreeSet::new(),
            age_scan_seq: 0,
            sources: Vec::new(),
            source_progress: BTreeMap::new(),
        };
        stream.rebuild_ttls();
        stream.rebuild_sources();
        if memory {
            // A memory stream comes back empty: its consumers and dedupe window start over.
            stream.last_msg_id.clear();
            stream.dedupe.clear();
            let names = stream.consumer_names();
            for n in names {
                let fresh = stream
                    .consumers
                    .get(&n)
                    .map(|c| stream.initial_state(&c.config, c.state.last_activity_ns));
                if let (Some(c), Some(st)) = (stream.consumers.get_mut(&n), fresh) {
                    c.state = st;
                    c.redeliver_hint_ns.set(0);
                }
            }
        }
        Ok(stream)
    }

    /// The metadata to persist (see [`StreamMeta`]).
    pub fn meta(&self) -> StreamMeta {
        StreamMeta {
            config: self.config.clone(),
            created_ns: self.created_ns,
            domain: self.domain.clone(),
            last_msg_id: self.last_msg_id.clone(),
            dedupe: self.dedupe.clone(),
            consumers: self
                .consumers
                .values()
                .map(|c| ConsumerRecord {
                    name: c.name.clone(),
                    config: c.config.clone(),
                    created_ns: c.created_ns,
                    state: c.state.clone(),
                })
                .collect(),
        }
    }

    /// One consumer's persistent state.
    pub fn consumer_state_snapshot(&self, name: &str) -> Option<ConsumerState> {
        self.consumers.get(name).map(|c| c.state.clone())
    }

    /// When the stream was created (ns).
    pub fn created_ns(&self) -> i64 {
        self.created_ns
    }

    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn store(&self) -> &Backend {
        &self.store
    }

    /// Every waiting pull request as (consumer, reply subject).
    pub fn waiting_pulls(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.consumers.iter().flat_map(|(name, c)| {
            c.waiting
                .iter()
                .map(move |w| (name.as_str(), w.reply.as_str()))
        })
    }

    /// Does consumer `name` take acks (ack policy `explicit` or `all`)? Only those have ack
    /// subjects on nats-server.
    pub fn consumer_takes_acks(&self, name: &str) -> bool {
        self.consumers
            .get(name)
            .is_some_and(|c| matches!(c.config.ack_policy, AckPolicy::Explicit | AckPolicy::All))
    }

    /// Whether consumer `name` exists.
    pub fn has_consumer(&self, name: &str) -> bool {
        self.consumers.contains_key(name)
    }

    pub fn consumer_names(&self) -> Vec<String> {
        self.consumers.keys().cloned().collect()
    }

    /// The API stream state; `subjects_filter` fills `subjects`.
    pub fn state(&self, deleted_details: bool, subjects_filter: Option<&str>) -> StreamState {
        let s = self.store.state(deleted_details);
        StreamState {
            messages: s.messages,
            bytes: s.bytes,
            first_seq: s.first_seq,
            first_ts: s.first_ts,
            last_seq: s.last_seq,
            last_ts: s.last_ts,
            num_subjects: s.num_subjects,
            subjects: subjects_filter
                .map(|f| self.store.subject_counts(f))
                .unwrap_or_default(),
            num_deleted: s.num_deleted,
            deleted: s.deleted,
            lost: s.lost.map(|l| crate::api::stream::LostStreamData {
                msgs: l.msgs,
                bytes: l.bytes,
            }),
            consumer_count: self.consumers.len() as u64,
        }
    }

    /// StreamInfo at `now_ns` (no cluster block; the server adds it for STREAM.INFO).
    pub fn info(
        &self,
        now_ns: i64,
        deleted_details: bool,
        subjects_filter: Option<&str>,
    ) -> StreamInfo {
        StreamInfo {
            config: self.config_with_metadata(true),
            created: self.created_ns,
            state: self.state(deleted_details, subjects_filter),
            domain: String::new(),
            cluster: None,
            mirror: None,
            sources: Vec::new(),
            ts: now_ns,
        }
    }

    /// The config with `_nats.*` metadata: stored `_nats.req.level`, plus `_nats.ver` and
    /// `_nats.level` when `with_server` (create/info replies; LIST shows only the stored key).
    pub fn config_with_metadata(&self, with_server: bool) -> StreamConfig {
        let mut c = self.config.clone();
        c.metadata
            .insert("_nats.req.level".into(), required_api_level(&c).to_string());
        if with_server {
            c.metadata.insert(
                "_nats.ver".into(),
                crate::api::responses::SERVER_VERSION.into(),
            );
            c.metadata.insert(
                "_nats.level".into(),
                crate::api::responses::API_LEVEL.to_string(),
            );
        }
        c
    }

    /// ConsumerInfo for `name` at `now_ns`.
    pub fn consumer_info(&self, name: &str, now_ns: i64) -> Option<ConsumerInfo> {
        let c = self.consumers.get(name)?;
        Some(self.info_of(c, now_ns, true))
    }

    /// ConsumerInfo as `CONSUMER.LIST` shows it (config metadata without the server's
    /// `_nats.ver` / `_nats.level`).
    pub fn consumer_list_info(&self, name: &str, now_ns: i64) -> Option<ConsumerInfo> {
        let c = self.consumers.get(name)?;
        Some(self.info_of(c, now_ns, false))
    }

    fn info_of(&self, c: &Consumer, now_ns: i64, with_server: bool) -> ConsumerInfo {
        let mut cfg = c.config.clone();
        // nats-server's setStaticConsumerMetadata: pause and priority groups need API level 1.
        let needs_level_1 = cfg.pause_until.is_some_and(|p| p != 0)
            || cfg.priority_policy != PriorityPolicy::None
            || cfg.pinned_ttl != 0
            || !cfg.priority_groups.is_empty();
        // Set whatever `_nats.req.level` the request carried, as nats-server does.
        let level = if cfg.ack_policy == AckPolicy::FlowControl {
            "4"
        } else if needs_level_1 {
            "1"
        } else {
            "0"
        };
        cfg.metadata.insert("_nats.req.level".into(), level.into());
        if with_server {
            cfg.metadata.insert(
                "_nats.ver".into(),
                crate::api::responses::SERVER_VERSION.into(),
            );
            cfg.metadata.insert(
                "_nats.level".into(),
                crate::api::responses::API_LEVEL.to_string(),
            );
        }
        let s = &c.state;
        ConsumerInfo {
            stream: self.config.name.clone(),
            name: c.name.clone(),
            created: c.created_ns,
            config: Some(cfg),
            delivered: SequenceInfo {
                consumer_seq: s.delivered_consumer_seq,
                stream_seq: s.delivered_stream_seq,
                last_active: s.last_delivered_ns,
            },
            ack_floor: SequenceInfo {
                consumer_seq: s.ack_floor_consumer_seq,
                stream_seq: s.ack_floor_stream_seq,
                last_active: s.last_ack_ns,
            },
            num_ack_pending: s.pending.len() as u64,
            num_redelivered: s.redelivered.len() as u64,
            num_waiting: c.waiting.len() as u64,
            num_pending: self.num_pending(c),
            cluster: None,
            push_bound: c.config.is_push() && c.push_active,
            paused: c.paused(now_ns),
            pause_remaining: match c.config.pause_until {
                Some(p) if p > now_ns => p - now_ns,
                _ => 0,
            },
            ts: now_ns,
            priority_groups: c
                .config
                .priority_groups
                .first()
                .map(|g| PriorityGroupState {
                    group: g.clone(),
                    pinned_client_id: c.pin.id.clone(),
                    pinned_ts: c.pin.pinned_ns,
                })
                .into_iter()
                .collect(),
        }
    }

    fn num_pending(&self, c: &Consumer) -> u64 {
        if !c.state.lss.is_empty() {
            c.num_pending_cache.set(None);
            return c.state.lss.len() as u64;
        }
        if let Some(v) = c.num_pending_cache.get() {
            return v;
        }
        let start = c.state.delivered_stream_seq + 1;
        let filters = c.filters();
        let v = if filters.is_empty() {
            self.store.num_pending(start, ">")
        } else {
            filters
                .iter()
                .map(|f| self.store.num_pending(start, f))
                .sum()
        };
        c.num_pending_cache.set(Some(v));
        v
    }

    /// Checks internal invariants (for tests): every consumer's cached num_pending equals a
    /// recount, pending entries lie in (ack floor, delivered], floors do not pass delivered.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        for c in self.consumers.values() {
            let st = &c.state;
            if st.ack_floor_stream_seq > st.delivered_stream_seq {
                return Err(format!(
                    "{}: ack floor {} above delivered {}",
                    c.name, st.ack_floor_stream_seq, st.delivered_stream_seq
                ));
            }
            if let Some(s) = st
                .pending
                .keys()
                .find(|s| **s > st.delivered_stream_seq || **s <= st.ack_floor_stream_seq)
            {
                return Err(format!(
                    "{}: pending {s} outside ({}, {}]",
                    c.name, st.ack_floor_stream_seq, st.delivered_stream_seq
                ));
            }
            if let Some(cached) = c.num_pending_cache.get() {
                c.num_pending_cache.set(None);
                let fresh = self.num_pending(c);
                c.num_pending_cache.set(Some(cached));
                if fresh != cached {
                    return Err(format!(
                        "{}: cached num_pending {cached} != {fresh}",
                        c.name
                    ));
                }
            }
        }
        Ok(())
    }

    fn invalidate_num_pending(&self) {
        for c in self.consumers.values() {
            c.num_pending_cache.set(None);
        }
    }

    /// `STREAM.MSG.GET` (single message forms, nats-server `jsMsgGetRequest`): `seq`,
    /// `last_by_subj`, `next_by_subj` (+ `seq`), `start_time`. Batch fields → 400/10003.
    pub fn get_msg(&self, req: &MsgGetRequest) -> Result<jetmirror_store::StoredMsg, ApiError> {
        if req.batch > 0 || req.max_bytes > 0 {
            return Err(ApiError::bad_request());
        }
        if conflicting(req)
            || (req.seq == 0
                && req.last_by_subj.is_empty()
                && req.next_by_subj.is_empty()
                && req.start_time.is_none())
        {
            return Err(ApiError::bad_request());
        }
        self.lookup(req).ok_or_else(ApiError::no_message_found)
    }

    fn lookup(&self, req: &MsgGetRequest) -> Option<jetmirror_store::StoredMsg> {
        let seq = match req.start_time {
            Some(t) => self.first_seq_at_or_after(t),
            None => req.seq,
        };
        if !req.next_by_subj.is_empty() {
            self.store
                .next_matching(seq.max(1), &req.next_by_subj)
                .ok()
                .flatten()
        } else if seq > 0 {
            self.store.get(seq).ok().flatten()
        } else {
            self.store
                .last_for_subject(&req.last_by_subj)
                .ok()
                .flatten()
        }
    }

    /// `DIRECT.GET` replies (header block, payload), in order, for a JSON body, or for the
    /// subject form `$JS.API.DIRECT.GET.<stream>.<subject>` when `last_by_subject` is given.
    /// As nats-server's `processDirectGetRequest` / `getDirectRequest` / `getDirectMulti`:
    /// 408 Empty Request / Malformed Request / Bad Request, 404 Message Not Found; a `batch`
    /// or `multi_last` request answers with one reply per message (with `Nats-Num-Pending`
    /// and `Nats-Last-Sequence`) and a closing `204 EOB`, or `404 No Results` /
    /// `413 Too Many Results`. `max_pending` is the byte budget when the request sets no
    /// `max_bytes` (nats-server uses its `max_pending`).
    // The conflict checks are kept one per line, as nats-server lists them.
    #[allow(clippy::nonminimal_bool)]
    pub fn direct_get(
        &self,
        body: &[u8],
        last_by_subject: Option<&str>,
        max_pending: usize,
    ) -> Vec<(Bytes, Bytes)> {
        let one = |code, desc| vec![(status(code, desc, &[]), Bytes::new())];
        let parse = |body: &[u8]| -> Option<MsgGetRequest> {
            let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
            if v.is_null() {
                v = serde_json::Value::Object(Default::default());
            }
            crate::account::strip_nulls(&mut v);
            serde_json::from_value(v).ok()
        };
        let req = match last_by_subject {
            Some(subj) => {
                let mut req = if body.is_empty() {
                    MsgGetRequest::default()
                } else {
                    match parse(body) {
                        Some(r) => r,
                        None => return one(408, "Malformed Request"),
                    }
                };
                if subj.is_empty() {
                    return one(408, "Bad Request");
                }
                if !req.last_by_subj.is_empty()
                    || !req.next_by_subj.is_empty()
                    || !req.multi_last.is_empty()
                    || req.seq != 0
                    || req.batch != 0
                    || req.start_time.is_some()
                    || req.up_to_seq != 0
                    || req.up_to_time.is_some()
                {
                    return one(408, "Bad Request");
                }
                req.last_by_subj = subj.to_string();
                req
            }
            None => {
                if body.is_empty() {
                    return one(408, "Empty Request");
                }
                match parse(body) {
                    Some(r) => r,
                    None => return one(408, "Malformed Request"),
                }
            }
        };
        let (seq_set, last, next, start) = (
            req.seq > 0,
            !req.last_by_subj.is_empty(),
            !req.next_by_subj.is_empty(),
            req.start_time.is_some(),
        );
        if !seq_set && !last && !next && !start && req.multi_last.is_empty() {
            return one(408, "Empty Request");
        }
        if (seq_set && last)
            || (seq_set && start)
            || (start && last)
            || (last && next)
            || (last && req.batch > 0)
            || (last && !req.multi_last.is_empty())
            || (next && !req.multi_last.is_empty())
            || (req.up_to_seq > 0 && req.up_to_time.is_some())
        {
            return one(408, "Bad Request");
        }
        let max_bytes = if req.max_bytes != 0 {
            req.max_bytes.max(0) as usize
        } else {
            max_pending
        };
        if !req.multi_last.is_empty() {
            return self.direct_get_multi(&req, max_bytes);
        }
        self.direct_get_batch(&req, max_bytes)
    }

    /// Single and `batch` direct gets (nats-server `getDirectRequest`).
    fn direct_get_batch(&self, req: &MsgGetRequest, max_bytes: usize) -> Vec<(Bytes, Bytes)> {
        let name = &self.config.name;
        let mut seq = match req.start_time {
            Some(t) => self.first_seq_at_or_after(t),
            None => req.seq,
        };
        let is_batch = req.batch != 0;
        let batch = if is_batch { req.batch } else { 1 };
        let mut np = if is_batch {
            self.store.num_pending(seq, &req.next_by_subj)
        } else {
            0
        };
        let mut out = Vec::new();
        let (mut lseq, mut sent_bytes) = (0u64, 0usize);
        for i in 0..batch.max(0) {
            let found = if seq > 0 && req.next_by_subj.is_empty() {
                let m = if i == 0 && !is_batch {
                    self.store.get(seq).ok().flatten()
                } else {
                    self.store.next_matching(seq, ">").ok().flatten()
                };
                if let Some(m) = &m {
                    seq = m.seq;
                }
                seq += 1;
                m
            } else if !req.next_by_subj.is_empty() {
                let m = self
                    .store
                    .next_matching(seq.max(1), &req.next_by_subj)
                    .ok()
                    .flatten();
                if let Some(m) = &m {
                    seq = m.seq;
                }
                seq += 1;
                m
            } else {
                self.store
                    .last_for_subject(&req.last_by_subj)
                    .ok()
                    .flatten()
            };
            let Some(m) = found else {
                if batch > 1 && i > 0 {
                    break;
                }
                return vec![(status(404, "Message Not Found", &[]), Bytes::new())];
            };
            let headers = if req.no_hdr {
                Bytes::new()
            } else if is_batch {
                np = np.saturating_sub(1);
                direct_get_headers_with(name, &m, Some((np, lseq)))
            } else {
                direct_get_headers(name, &m)
            };
            lseq = m.seq;
            sent_bytes += m.subject.len() + m.headers.len() + m.payload.len();
            out.push((headers, m.payload));
            if sent_bytes >= max_bytes {
                break;
            }
        }
        if is_batch {
            out.push(end_of_batch(np, lseq, None));
        }
        out
    }

    /// `multi_last` direct gets (nats-server `getDirectMulti`): the last message of every
    /// subject matching the filters, at or below `up_to_seq` / before `up_to_time`, from
    /// `seq` on, in sequence order.
    fn direct_get_multi(&self, req: &MsgGetRequest, max_bytes: usize) -> Vec<(Bytes, Bytes)> {
        const MAX_ALLOWED: usize = 1024;
        let name = &self.config.name;
        let st = self.store.state(false);
        let mut up_to = req.up_to_seq;
        if let Some(t) = req.up_to_time {
            up_to = self.first_seq_at_or_after(t);
            if up_to <= st.first_seq {
                return vec![(status(404, "No Results", &[]), Bytes::new())];
            }
            up_to -= 1;
        }
        if up_to == 0 {
            up_to = st.last_seq;
        }
        let mut seqs = std::collections::BTreeSet::new();
        for filter in &req.multi_last {
            for (subject, count) in self.store.subject_counts(filter) {
                let Some(last) = self.store.last_for_subject(&subject).ok().flatten() else {
                    continue;
                };
                if last.seq <= up_to {
                    seqs.insert(last.seq);
                } else if count > 1 {
                    let mut at = 1;
                    let mut best = None;
                    while let Some(m) = self.store.next_matching(at, &subject).ok().flatten() {
                        if m.seq > up_to {
                            break;
                        }
                        best = Some(m.seq);
                        at = m.seq + 1;
                    }
                    seqs.extend(best);
                }
            }
            if seqs.len() > MAX_ALLOWED {
                return vec![(status(413, "Too Many Results", &[]), Bytes::new())];
            }
        }
        if seqs.is_empty() {
            return vec![(status(404, "No Results", &[]), Bytes::new())];
        }
        let total = seqs.len() as u64;
        let mut np = total;
        let mut out = Vec::new();
        let (mut lseq, mut sent_bytes, mut sent) = (0u64, 0usize, 0i64);
        for seq in seqs {
            np = np.saturating_sub(1);
            if seq < req.seq {
                continue;
            }
            let Some(m) = self.store.get(seq).ok().flatten() else {
                return vec![(status(404, "Message Not Found", &[]), Bytes::new())];
            };
            let headers = direct_get_headers_with(name, &m, Some((np, lseq)));
            lseq = m.seq;
            sent_bytes += m.subject.len() + m.headers.len() + m.payload.len();
            out.push((headers, m.payload));
            if sent_bytes >= max_bytes {
                break;
            }
            sent += 1;
            if req.batch > 0 && sent >= req.batch {
                break;
            }
        }
        out.push(end_of_batch(np, lseq, Some(up_to)));
        out
    }

    /// `$JS.EVENT.ADVISORY.STREAM.<CREATED|UPDATED|DELETED>.<stream>` for `action`
    /// `create`, `update` or `delete` (emitted by the server, which owns stream lifetimes).
    pub fn stream_action_advisory(&self, action: &str, now_ns: i64) -> Advisory {
        let verb = match action {
            "create" => "CREATED",
            "update" => "UPDATED",
            _ => "DELETED",
        };
        let mut fields = vec![
            ("stream", self.config.name.clone().into()),
            ("action", action.into()),
        ];
        if !self.domain.is_empty() {
            fields.push(("domain", self.domain.clone().into()));
        }
        Advisory {
            subject: format!("$JS.EVENT.ADVISORY.STREAM.{verb}.{}", self.config.name),
            kind: types::STREAM_ACTION_ADVISORY,
            timestamp_ns: now_ns,
            fields,
        }
    }

    /// Deleting the stream: the consumers go first (CONSUMER.DELETED advisories and 409 to
    /// waiting pulls), then the server removes the directory.
    pub fn delete_all_consumers(&mut self, now_ns: i64) -> Vec<Effect> {
        let mut fx = Vec::new();
        for name in self.consumer_names() {
            self.delete_consumer(&name, now_ns, &mut fx);
        }
        fx
    }

    /// Applies one command.
    pub fn apply(&mut self, cmd: Command) -> Applied {
        let mut fx = Vec::new();
        let outcome = match cmd {
            Command::Publish {
                subject,
                reply,
                headers,
                payload,
                now_ns,
            } => self.publish(&subject, reply, headers, payload, now_ns, false, &mut fx),
            Command::DeleteMsg {
                seq,
                no_erase,
                now_ns,
            } => self.delete_msg(seq, no_erase, now_ns),
            Command::Purge { request, now_ns } => self.purge(&request, now_ns),
            Command::UpdateConfig {
                config,
                pedantic,
                now_ns,
            } => self.update_config(&config, pedantic, now_ns, &mut fx),
            Command::CreateConsumer {
                config,
                action,
                pedantic,
                generated_name,
                now_ns,
            } => self.create_consumer(config, action, pedantic, generated_name, now_ns, &mut fx),
            Command::DeleteConsumer { name, now_ns } => {
                self.delete_consumer(&name, now_ns, &mut fx)
            }
            Command::Ack {
                consumer,
                stream_seq,
                consumer_seq,
                kind,
                reply,
                now_ns,
            } => self.ack(
                &consumer,
                stream_seq,
                consumer_seq,
                kind,
                reply,
                now_ns,
                &mut fx,
            ),
            Command::Pull {
                consumer,
                reply,
                request,
                now_ns,
            } => self.pull(&consumer, reply, request, now_ns, &mut fx),
            Command::PushInterest {
                consumer,
                active,
                now_ns,
            } => {
                if let Some(c) = self.consumers.get_mut(&consumer) {
                    c.push_active = active;
                    c.state.last_activity_ns = now_ns;
                }
                if active {
                    self.pump(&consumer, now_ns, &mut fx);
                }
                Outcome::Done
            }
            Command::CancelPull {
                consumer,
                reply,
                now_ns: _,
            } => {
                if let Some(c) = self.consumers.get_mut(&consumer) {
                    c.waiting.retain(|w| w.reply != reply);
                }
                Outcome::Done
            }
            Command::FlowControlReply {
                consumer,
                subject,
                now_ns,
            } => {
                let ok = self
                    .consumers
                    .get_mut(&consumer)
                    .is_some_and(|c| c.fc.on_reply(&subject));
                if ok {
                    self.pump(&consumer, now_ns, &mut fx);
                }
                Outcome::Done
            }
            Command::Tick { now_ns } => {
                self.tick(now_ns, &mut fx);
                Outcome::Done
            }
            Command::SourceStore {
                index_name,
                source_created_ns,
                source_seq,
                subject,
                headers,
                payload,
                now_ns,
            } => self.source_store(
                &index_name,
                source_created_ns,
                source_seq,
                &subject,
                &headers,
                payload,
                now_ns,
                &mut fx,
            ),
            Command::PauseConsumer {
                name,
                pause_until,
                now_ns,
            } => self.pause_consumer(&name, pause_until, now_ns, &mut fx),
            Command::UnpinConsumer {
                name,
                group,
                now_ns,
            } => self.unpin_consumer(&name, &group, now_ns, &mut fx),
            Command::ResetConsumer { name, seq, now_ns } => {
                self.reset_consumer(&name, seq, now_ns, &mut fx)
            }
            Command::MirrorStore {
                seq,
                ts_ns,
                subject,
                headers,
                payload,
                now_ns,
            } => self.mirror_store(seq, ts_ns, &subject, &headers, &payload, now_ns, &mut fx),
            Command::MirrorSkip { seq, now_ns } => self.mirror_skip(seq, now_ns, &mut fx),
        };
        Applied {
            outcome,
            effects: fx,
        }
    }

    // ---------------------------------------------------------------- publish

    /// `sourced`: a message copied from a source stream (no TTL-disabled or
    /// `Nats-Stream-Source` refusal, as nats-server).
    #[allow(clippy::too_many_arguments)]
    fn publish(
        &mut self,
        subject: &str,
        reply: Option<String>,
        headers: Bytes,
        payload: Bytes,
        now_ns: i64,
        sourced: bool,
        fx: &mut Vec<Effect>,
    ) -> Outcome {
        let reply = reply.filter(|r| !r.is_empty() && !self.config.no_ack);
        let name = self.config.name.clone();
        let fail = |e: ApiError, fx: &mut Vec<Effect>| {
            if let Some(r) = &reply {
                fx.push(Effect::Reply {
                    subject: r.clone(),
                    headers: None,
                    payload: Bytes::from(PubAck::encode_error(&name, &e)),
                });
            }
            Outcome::Failed(e)
        };
        if self.config.sealed {
            return fail(ApiError::stream_sealed(), fx);
        }
        if self.config.mirror.is_some() {
            // A mirror has no subjects; only its mirror writes to it.
            return fail(
                ApiError::stream_store_failed("stream is a mirror: publishing not allowed"),
                fx,
            );
        }
        // The input transform comes first; a subject it does not match stays as it is.
        let transformed = self.input_transform.as_ref().and_then(|t| {
            let mut random = || now_ns as u32;
            t.matches_with(subject, &mut random).ok()
        });
        let subject = transformed.as_deref().unwrap_or(subject);
        let mut headers = headers;
        let hdr = if headers.is_empty() {
            None
        } else {
            HeaderMap::parse(&headers).ok()
        };
        let get = |k: &str| hdr.as_ref().and_then(|h| h.get(k)).map(str::to_string);
        if let Some(es) = get("Nats-Expected-Stream") {
            if es != self.config.name {
                return fail(ApiError::stream_not_match(), fx);
            }
        }
        let msg_ttl = ttl::message_ttl(&headers);
        if !sourced
            && matches!(msg_ttl, Ok(t) if t != MessageTtl::None)
            && !self.config.allow_msg_ttl
        {
            return fail(ApiError::message_ttl_disabled(), fx);
        }
        let state = self.store.state(false);
        match (
            get("Nats-Expected-Last-Subject-Sequence"),
            get("Nats-Expected-Last-Subject-Sequence-Subject"),
        ) {
            (Some(v), subj) => {
                let want: u64 = v.trim().parse().unwrap_or(0);
                let s = subj.unwrap_or_else(|| subject.to_string());
                let have = self
                    .store
                    .last_for_subject(&s)
                    .ok()
                    .flatten()
                    .map(|m| m.seq)
                    .unwrap_or(0);
                if want != have {
                    return fail(ApiError::stream_wrong_last_sequence(have), fx);
                }
            }
            (None, Some(_)) => {
                return fail(ApiError::stream_expected_last_seq_per_subject_invalid(), fx)
            }
            (None, None) => {}
        }
        if let Some(v) = get("Nats-Expected-Last-Sequence") {
            let want: u64 = v.trim().parse().unwrap_or(0);
            if want != state.last_seq {
                return fail(ApiError::stream_wrong_last_sequence(state.last_seq), fx);
            }
        }
        if !sourced && get("Nats-Stream-Source").is_some() {
            return fail(ApiError::message_source_hdr_not_allowed(), fx);
        }
        let msg_id = get("Nats-Msg-Id").unwrap_or_default();
        if !msg_id.is_empty() {
            self.expire_dedupe(now_ns);
            if let Some((seq, _)) = self.dedupe.get(&msg_id) {
                let seq = *seq;
                if let Some(r) = &reply {
                    let ack = PubAck {
                        stream: name.clone(),
                        seq,
                        domain: self.domain.clone(),
                        duplicate: true,
                    };
                    fx.push(Effect::Reply {
                        subject: r.clone(),
                        headers: None,
                        payload: Bytes::from(ack.encode()),
                    });
                }
                return Outcome::Published {
                    seq,
                    duplicate: true,
                };
            }
        }
        if let Some(v) = get("Nats-Expected-Last-Msg-Id") {
            if v != self.last_msg_id {
                return fail(ApiError::stream_wrong_last_msg_id(&self.last_msg_id), fx);
            }
        }
        let mut rollup_sub = false;
        let mut rollup_all = false;
        if let Some(r) = get("Nats-Rollup") {
            // A copied message keeps its rollup header; the rollup itself happens only
            // where this stream allows rollups (nats-server `allowRollupPurge`).
            let allowed = self.config.allow_rollup_hdrs && !self.config.deny_purge;
            if !allowed && !sourced {
                return fail(ApiError::stream_rollup_failed("rollup not permitted"), fx);
            }
            match r.as_str() {
                "sub" => rollup_sub = allowed,
                "all" => rollup_all = allowed,
                other => {
                    return fail(
                        ApiError::stream_rollup_failed(format!("rollup value invalid: {other:?}")),
                        fx,
                    )
                }
            }
        }
        let max = i64::from(self.config.max_msg_size);
        if max >= 0
            && (headers.len() as i64 > max || payload.len() as i64 > max - headers.len() as i64)
        {
            return fail(ApiError::stream_message_exceeds_maximum(), fx);
        }
        if headers.len() > usize::from(u16::MAX) {
            return fail(ApiError::stream_header_exceeds_maximum(), fx);
        }
        let mut msg_ttl = match msg_ttl {
            Ok(t) => t,
            Err(e) => return fail(e, fx),
        };
        // With delete markers a TTL is at least the marker TTL (else a marker could be
        // missed), except with one message per subject.
        let marker_ttl_secs = self.config.subject_delete_marker_ttl / 1_000_000_000;
        if let MessageTtl::Seconds(secs) = msg_ttl {
            if marker_ttl_secs > 0
                && self.config.max_msgs_per_subject != 1
                && secs < marker_ttl_secs
            {
                msg_ttl = MessageTtl::Seconds(marker_ttl_secs);
                headers = Bytes::from(ttl::set_raw_header(
                    &headers,
                    ttl::TTL_HEADER,
                    &marker_ttl_secs.to_string(),
                ));
            }
        }
        // Republish: the transformed subject, and the subject's previous sequence.
        let republish_to = self.republish.as_ref().and_then(|t| {
            let mut random = || now_ns as u32;
            t.matches_with(subject, &mut random)
                .ok()
                .filter(|s| jetmirror_subject::is_valid_publish_subject(s))
        });
        let republish_last_seq = match &republish_to {
            Some(_) => self
                .store
                .last_for_subject(subject)
                .ok()
                .flatten()
                .map_or(0, |m| m.seq),
            None => 0,
        };
        // Interest retention with nobody interested: the sequence is used but nothing kept.
        let no_interest = self.config.retention == RetentionPolicy::Interest
            && !self.consumers.values().any(|c| c.matches(subject));
        let seq = if no_interest {
            let next = state.last_seq + 1;
            match self.store.skip_to(next + 1) {
                Ok(()) => next,
                Err(e) => return fail(ApiError::stream_store_failed(write_error_text(&e)), fx),
            }
        } else {
            match self.store.append(subject, &headers, &payload, now_ns) {
                Ok(seq) => {
                    let after = self.store.state(false);
                    if after.messages == state.messages + 1
                        && (state.messages == 0 || after.first_seq == state.first_seq)
                    {
                        for c in self.consumers.values() {
                            if c.state.lss.is_empty() && c.matches(subject) {
                                if let Some(v) = c.num_pending_cache.get() {
                                    c.num_pending_cache.set(Some(v + 1));
                                }
                            }
                        }
                    } else {
                        // Limits dropped something: recount lazily.
                        self.invalidate_num_pending();
                    }
                    seq
                }
                Err(e) => return fail(ApiError::stream_store_failed(write_error_text(&e)), fx),
            }
        };
        self.last_msg_id = msg_id.clone();
        if !msg_id.is_empty() {
            self.dedupe.insert(msg_id, (seq, now_ns));
        }
        if let (MessageTtl::Seconds(secs), false, true) =
            (msg_ttl, no_interest, self.config.allow_msg_ttl)
        {
            self.ttls.insert((
                now_ns.saturating_add(secs.saturating_mul(1_000_000_000)),
                seq,
            ));
        }
        if rollup_sub {
            let _ = self.store.purge(StorePurge {
                subject: Some(subject.to_string()),
                up_to_seq: None,
                keep: Some(1),
            });
            self.after_removal();
        } else if rollup_all {
            let _ = self.store.purge(StorePurge {
                subject: None,
                up_to_seq: None,
                keep: Some(1),
            });
            self.after_removal();
        }
        if let Some(to) = republish_to {
            let headers_only = self
                .config
                .republish
                .as_ref()
                .is_some_and(|r| r.headers_only);
            fx.push(republished(
                &name,
                to,
                subject,
                seq,
                now_ns,
                republish_last_seq,
                &headers,
                &payload,
                headers_only,
            ));
        }
        if let Some(r) = &reply {
            let ack = PubAck {
                stream: name,
                seq,
                domain: self.domain.clone(),
                duplicate: false,
            };
            fx.push(Effect::Reply {
                subject: r.clone(),
                headers: None,
                payload: Bytes::from(ack.encode()),
            });
        }
        let names: Vec<String> = self.consumers.keys().cloned().collect();
        for n in names {
            self.pump(&n, now_ns, fx);
        }
        Outcome::Published {
            seq,
            duplicate: false,
        }
    }

    // ---------------------------------------------------------------- mirror

    #[allow(clippy::too_many_arguments)]
    fn mirror_store(
        &mut self,
        seq: u64,
        ts_ns: i64,
        subject: &str,
        headers: &[u8],
        payload: &[u8],
        now_ns: i64,
        fx: &mut Vec<Effect>,
    ) -> Outcome {
        if self.config.mirror.is_none() {
            return Outcome::Failed(ApiError::stream_store_failed("stream is not a mirror"));
        }
        let state = self.store.state(false);
        if seq <= state.last_seq || (state.messages > 0 && seq != state.last_seq + 1) {
            return Outcome::MirrorSeqMismatch {
                seq,
                last_seq: state.last_seq,
            };
        }
        let max = i64::from(self.config.max_msg_size);
        if max >= 0 && (headers.len() + payload.len()) as i64 > max {
            return Outcome::Failed(ApiError::stream_message_exceeds_maximum());
        }
        if let Err(e) = self.store.store_at(seq, ts_ns, subject, headers, payload) {
            return match e {
                WriteError::SequenceMismatch { seq, last_seq } => {
                    Outcome::MirrorSeqMismatch { seq, last_seq }
                }
                e => Outcome::Failed(ApiError::stream_store_failed(write_error_text(&e))),
            };
        }
        // A mirrored rollup purges here too when the mirror allows rollups, as the origin
        // did (nats-server stores mirrored messages through its publish path).
        if self.config.allow_rollup_hdrs && !self.config.deny_purge && !headers.is_empty() {
            let rollup = HeaderMap::parse(headers)
                .ok()
                .and_then(|h| h.get("Nats-Rollup").map(str::to_string));
            let purge = match rollup.as_deref() {
                Some("sub") => Some(Some(subject.to_string())),
                Some("all") => Some(None),
                _ => None,
            };
            if let Some(subject) = purge {
                let _ = self.store.purge(StorePurge {
                    subject,
                    up_to_seq: None,
                    keep: Some(1),
                });
                self.after_removal();
            }
        }
        self.after_mirror_write(now_ns, fx)
    }

    fn mirror_skip(&mut self, seq: u64, now_ns: i64, fx: &mut Vec<Effect>) -> Outcome {
        if self.config.mirror.is_none() {
            return Outcome::Failed(ApiError::stream_store_failed("stream is not a mirror"));
        }
        let state = self.store.state(false);
        if seq <= state.last_seq {
            return Outcome::Mirrored {
                last_seq: state.last_seq,
            };
        }
        if let Err(e) = self.store.skip_to(seq.saturating_add(1)) {
            return Outcome::Failed(ApiError::stream_store_failed(write_error_text(&e)));
        }
        if state.messages == 0 {
            // Like a purge: consumers move past the new first sequence.
            self.after_removal();
        }
        self.after_mirror_write(now_ns, fx)
    }

    fn after_mirror_write(&mut self, now_ns: i64, fx: &mut Vec<Effect>) -> Outcome {
        self.invalidate_num_pending();
        let names: Vec<String> = self.consumers.keys().cloned().collect();
        for n in names {
            self.pump(&n, now_ns, fx);
        }
        Outcome::Mirrored {
            last_seq: self.store.state(false).last_seq,
        }
    }

    // ---------------------------------------------------------------- sources

    /// Compiles `sources` and finds how far each was copied from the `Nats-Stream-Source`
    /// headers in the stream (nats-server does the same on recovery).
    fn rebuild_sources(&mut self) {
        self.sources = self.config.sources.iter().map(Source::new).collect();
        self.source_progress.clear();
        if self.sources.is_empty() {
            return;
        }
        let mut seq = self.store.state(false).first_seq;
        while let Ok(Some(m)) = self.store.next_matching(seq, ">") {
            seq = m.seq + 1;
            let Some((iname, sseq)) = ttl::raw_header(&m.headers, sourcing::SOURCE_HEADER)
                .and_then(sourcing::parse_source_header)
            else {
                continue;
            };
            let p = self.source_progress.entry(iname).or_default();
            p.seq = p.seq.max(sseq);
        }
    }

    /// Where the shell should read each source from (sources in this account only;
    /// `external` sources are not copied).
    pub fn source_plans(&self) -> Vec<SourcePlan> {
        self.sources
            .iter()
            .filter(|s| s.config.external.is_none())
            .map(|s| SourcePlan {
                index_name: s.index_name.clone(),
                stream: s.config.name.clone(),
                next_seq: self
                    .source_progress
                    .get(&s.index_name)
                    .map_or(0, |p| p.seq + 1),
                opt_start_seq: s.config.opt_start_seq,
                opt_start_time: s.config.opt_start_time,
                filters: s.filters(),
            })
            .collect()
    }

    /// The `sources[]` blocks of StreamInfo; `lag` gives each source's lag and error by
    /// index name.
    pub fn source_infos(
        &self,
        now_ns: i64,
        lag: &dyn Fn(&str) -> (u64, Option<ApiError>),
    ) -> Vec<crate::api::stream::StreamSourceInfo> {
        self.sources
            .iter()
            .map(|s| {
                let p = self
                    .source_progress
                    .get(&s.index_name)
                    .copied()
                    .unwrap_or_default();
                let (lag, error) = lag(&s.index_name);
                sourcing::source_info(s, p, lag, error, now_ns)
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn source_store(
        &mut self,
        index_name: &str,
        source_created_ns: i64,
        source_seq: u64,
        subject: &str,
        headers: &[u8],
        payload: Bytes,
        now_ns: i64,
        fx: &mut Vec<Effect>,
    ) -> Outcome {
        let Some(source) = self.sources.iter().find(|s| s.index_name == index_name) else {
            return Outcome::Failed(ApiError::stream_store_failed(format!(
                "stream {} has no source {index_name:?}",
                self.config.name
            )));
        };
        let progress = self
            .source_progress
            .get(index_name)
            .copied()
            .unwrap_or_default();
        if progress.seq >= source_seq {
            return Outcome::Done;
        }
        let identity = sourcing::stream_identity(source_created_ns);
        let header = sourcing::source_header(index_name, source_seq, subject, &identity);
        let headers = Bytes::from(sourcing::sourced_headers(headers, &header));
        let stored_subject = source.transform(subject, now_ns);
        self.source_progress.insert(
            index_name.to_string(),
            SourceProgress {
                seq: source_seq,
                last_ns: now_ns,
            },
        );
        self.publish(&stored_subject, None, headers, payload, now_ns, true, fx)
    }

    fn marker_ttl_secs(&self) -> i64 {
        self.config.subject_delete_marker_ttl / 1_000_000_000
    }

    /// Finds the messages with a `Nats-TTL` again after a restart.
    fn rebuild_ttls(&mut self) {
        self.ttls.clear();
        if !self.config.allow_msg_ttl {
            return;
        }
        let mut seq = self.store.state(false).first_seq;
        while let Ok(Some(m)) = self.store.next_matching(seq, ">") {
            seq = m.seq + 1;
            if let Ok(MessageTtl::Seconds(secs)) = ttl::message_ttl(&m.headers) {
                self.ttls.insert((
                    m.ts_ns.saturating_add(secs.saturating_mul(1_000_000_000)),
                    m.seq,
                ));
            }
        }
    }

    /// Removes the messages whose TTL has passed.
    fn expire_ttls(&mut self, now_ns: i64, fx: &mut Vec<Effect>) {
        while let Some(&(expires_ns, seq)) = self.ttls.first() {
            if expires_ns > now_ns {
                break;
            }
            self.ttls.pop_first();
            self.remove_or_mark(seq, now_ns, fx);
        }
    }

    /// Removes one expired message, or, when delete markers are on and it is the last
    /// message of its subject (and not a marker itself), publishes a marker that rolls the
    /// subject up (nats-server's `handleRemovalOrSdm`).
    fn remove_or_mark(&mut self, seq: u64, now_ns: i64, fx: &mut Vec<Effect>) {
        let Ok(Some(m)) = self.store.get(seq) else {
            return;
        };
        let marker_ttl = self.marker_ttl_secs();
        if marker_ttl > 0 && !ttl::is_subject_delete_marker(&m.headers) {
            let last = self
                .store
                .last_for_subject(&m.subject)
                .ok()
                .flatten()
                .is_some_and(|l| l.seq == seq);
            let first = self
                .store
                .next_matching(0, &m.subject)
                .ok()
                .flatten()
                .is_some_and(|f| f.seq == seq);
            if last && first {
                debug!(stream = %self.config.name, subject = %m.subject, seq, "subject delete marker");
                self.publish(
                    &m.subject,
                    None,
                    Bytes::from(ttl::delete_marker_headers(marker_ttl)),
                    Bytes::new(),
                    now_ns,
                    false,
                    fx,
                );
                return;
            }
        }
        if let Ok(true) = self.store.delete(seq, false) {
            self.after_removal_of(Some(&[seq]));
        }
    }

    fn expire_dedupe(&mut self, now_ns: i64) {
        let window = self.config.duplicate_window;
        self.dedupe
            .retain(|_, (_, ts)| now_ns.saturating_sub(*ts) < window);
    }

    // ---------------------------------------------------------------- admin

    fn delete_msg(&mut self, seq: u64, no_erase: bool, _now_ns: i64) -> Outcome {
        if self.config.sealed {
            return Outcome::Failed(ApiError::stream_sealed());
        }
        if self.config.deny_delete {
            return Outcome::Failed(ApiError::stream_msg_delete_failed(
                "message delete not permitted",
            ));
        }
        match self.store.delete(seq, !no_erase) {
            Ok(true) => {
                self.after_removal_of(Some(&[seq]));
                Outcome::MsgDeleted
            }
            Ok(false) => Outcome::Failed(ApiError::sequence_not_found(seq)),
            Err(e) => Outcome::Failed(ApiError::stream_msg_delete_failed(e)),
        }
    }

    fn purge(&mut self, req: &PurgeRequest, _now_ns: i64) -> Outcome {
        // nats-server's order: bad combination, sealed, deny_purge.
        if req.seq > 0 && req.keep > 0 {
            return Outcome::Failed(ApiError::bad_request());
        }
        if self.config.sealed {
            return Outcome::Failed(ApiError::stream_sealed());
        }
        if self.config.deny_purge {
            return Outcome::Failed(ApiError::stream_purge_failed("stream purge not permitted"));
        }
        let sp = StorePurge {
            subject: (!req.filter.is_empty()).then(|| req.filter.clone()),
            up_to_seq: (req.seq > 0).then_some(req.seq),
            keep: (req.keep > 0).then_some(req.keep),
        };
        match self.store.purge(sp) {
            Ok(n) => {
                self.after_removal();
                Outcome::Purged { purged: n }
            }
            Err(e) => Outcome::Failed(ApiError::stream_purge_failed(e)),
        }
    }

    /// After messages were removed (purge, delete, rollup, expiry): consumers drop pending
    /// entries for messages that are gone and move past the new first sequence.
    fn after_removal(&mut self) {
        self.after_removal_of(None);
    }

    /// `removed`: the sequences known to be gone (single deletes), so the check costs no
    /// store reads; `None` after bulk removals (purge with filter, rollup), which checks each
    /// pending message below the new first sequence or missing from the store.
    fn after_removal_of(&mut self, removed: Option<&[u64]>) {
        self.invalidate_num_pending();
        let st = self.store.state(false);
        let first = if st.messages == 0 {
            st.last_seq + 1
        } else {
            st.first_seq
        };
        for c in self.consumers.values_mut() {
            // Below the new first sequence: nats-server's consumer purge.
            c.purge_to(first);
            // Interior removals of pending messages: terminated, as nats-server's
            // `decStreamPending` → `processTerm` does.
            let gone: Vec<u64> = match removed {
                Some(seqs) => c
                    .state
                    .pending
                    .keys()
                    .copied()
                    .filter(|s| seqs.contains(s))
                    .collect(),
                None => c
                    .state
                    .pending
                    .keys()
                    .copied()
                    .filter(|s| self.store.get(*s).ok().flatten().is_none())
                    .collect(),
            };
            for s in gone {
                c.ack_one(s);
            }
        }
    }

    fn update_config(
        &mut self,
        new: &StreamConfig,
        pedantic: bool,
        _now_ns: i64,
        _fx: &mut [Effect],
    ) -> Outcome {
        let cfg =
            match validate::check_stream_update(&self.config, new, pedantic, std::iter::empty()) {
                Ok(c) => c,
                Err(e) => return Outcome::Failed(e),
            };
        let lim = &cfg.consumer_limits;
        let bad: Vec<&str> = self
            .consumers
            .values()
            .filter(|c| {
                (lim.inactive_threshold > 0 && c.config.inactive_threshold > lim.inactive_threshold)
                    || (lim.max_ack_pending > 0 && c.config.max_ack_pending > lim.max_ack_pending)
            })
            .map(|c| c.name.as_str())
            .collect();
        if !bad.is_empty() {
            return Outcome::Failed(ApiError::stream_update(format!(
                "change to limits violates consumers: {}",
                bad.join(", ")
            )));
        }
        let mut scfg = store_config(&cfg);
        scfg.sync = self.sync;
        if let Err(e) = self.store.update_config(scfg) {
            return Outcome::Failed(ApiError::stream_update(e));
        }
        let ttl_was_on = self.config.allow_msg_ttl;
        self.config = cfg;
        (self.input_transform, self.republish) = transforms_of(&self.config);
        self.sources = self.config.sources.iter().map(Source::new).collect();
        if self.config.allow_msg_ttl && !ttl_was_on {
            self.rebuild_ttls();
        }
        self.after_removal();
        Outcome::ConfigUpdated
    }

    // ---------------------------------------------------------------- consumers

    fn create_consumer(
        &mut self,
        mut config: ConsumerConfig,
        action: ConsumerAction,
        pedantic: bool,
        generated_name: String,
        now_ns: i64,
        fx: &mut Vec<Effect>,
    ) -> Outcome {
        if let Err(e) = validate::set_consumer_defaults(&mut config, &self.config, pedantic) {
            return Outcome::Failed(e);
        }
        if let Err(e) = validate::check_consumer_config(&config, &self.config) {
            return Outcome::Failed(e);
        }
        let name = if config.is_durable() {
            config.durable_name.clone()
        } else if !config.name.is_empty() {
            config.name.clone()
        } else {
            generated_name
        };
        if !config.is_durable() && config.name.is_empty() {
            config.name = name.clone();
        }
        if config.is_durable() && config.name.is_empty() {
            config.name = name.clone();
        }
        if self.consumers.contains_key(&name) {
            let existing = self
                .consumers
                .get(&name)
                .map(|c| c.config.clone())
                .unwrap_or_default();
            // Only CONSUMER.PAUSE changes the pause of an existing consumer.
            config.pause_until = existing.pause_until;
            if action == ConsumerAction::Create
                && strip_nats_meta(&existing) != strip_nats_meta(&config)
            {
                return Outcome::Failed(ApiError::consumer_already_exists());
            }
            if self.config.retention == RetentionPolicy::WorkQueue
                && !self.partition_unique(&name, &config.filters())
            {
                return Outcome::Failed(ApiError::consumer_wq_consumer_not_unique());
            }
            if let Err(e) = validate::check_consumer_update(&existing, &config) {
                return Outcome::Failed(e);
            }
            if let Some(c) = self.consumers.get_mut(&name) {
                c.config = config;
                c.num_pending_cache.set(None);
                c.pause_armed = c.paused(now_ns);
            }
            self.pump(&name, now_ns, fx);
            self.paused_after_create(&name, now_ns, fx);
            return match self.consumer_info(&name, now_ns) {
                Some(i) => Outcome::ConsumerCreated(Box::new(i)),
                None => Outcome::Failed(ApiError::consumer_not_found()),
            };
        }
        if action == ConsumerAction::Update {
            return Outcome::Failed(ApiError::consumer_does_not_exist());
        }
        if self.config.max_consumers > 0 && self.consumers.len() as i64 >= self.config.max_consumers
        {
            return Outcome::Failed(ApiError::maximum_consumers_limit());
        }
        if self.config.retention == RetentionPolicy::WorkQueue && !config.direct {
            if config.ack_policy != AckPolicy::Explicit
                && config.ack_policy != AckPolicy::FlowControl
            {
                return Outcome::Failed(ApiError::consumer_wq_requires_explicit_ack());
            }
            if config.deliver_policy != DeliverPolicy::All {
                return Outcome::Failed(ApiError::consumer_wq_consumer_not_deliver_all());
            }
            if !self.consumers.is_empty() {
                let f = config.filters();
                if f.is_empty() {
                    return Outcome::Failed(ApiError::consumer_wq_multiple_unfiltered());
                }
                if !self.partition_unique(&name, &f) {
                    return Outcome::Failed(ApiError::consumer_wq_consumer_not_unique());
                }
            }
        }
        if name.len() > validate::MAX_NAME_LEN {
            return Outcome::Failed(ApiError::consumer_name_too_long(validate::MAX_NAME_LEN));
        }
        if !validate::is_valid_asset_name(&name) {
            return Outcome::Failed(ApiError::consumer_bad_durable_name());
        }
        let state = self.initial_state(&config, now_ns);
        let c = Consumer {
            name: name.clone(),
            config,
            created_ns: now_ns,
            state,
            waiting: VecDeque::new(),
            push_active: false,
            last_push_ns: now_ns,
            fc: Default::default(),
            num_pending_cache: Default::default(),
            pin: Default::default(),
            pause_armed: false,
            redeliver_hint_ns: Default::default(),
        };
        self.consumers.insert(name.clone(), c);
        fx.push(Effect::Advisory(Advisory {
            subject: format!(
                "$JS.EVENT.ADVISORY.CONSUMER.CREATED.{}.{}",
                self.config.name, name
            ),
            kind: types::CONSUMER_ACTION_ADVISORY,
            timestamp_ns: now_ns,
            fields: self.consumer_action_fields(&name, "create"),
        }));
        self.pump(&name, now_ns, fx);
        self.paused_after_create(&name, now_ns, fx);
        match self.consumer_info(&name, now_ns) {
            Some(i) => Outcome::ConsumerCreated(Box::new(i)),
            None => Outcome::Failed(ApiError::consumer_not_found()),
        }
    }

    fn consumer_action_fields(
        &self,
        name: &str,
        action: &str,
    ) -> Vec<(&'static str, serde_json::Value)> {
        let mut f = vec![
            ("stream", self.config.name.clone().into()),
            ("consumer", name.into()),
            ("action", action.into()),
        ];
        if !self.domain.is_empty() {
            f.push(("domain", self.domain.clone().into()));
        }
        f
    }

    /// Workqueue: no other consumer's filters may overlap `filters`.
    fn partition_unique(&self, name: &str, filters: &[String]) -> bool {
        for c in self.consumers.values() {
            if c.name == name {
                continue;
            }
            let other = c.filters();
            if other.is_empty() || filters.is_empty() {
                return false;
            }
            if filters.iter().any(|f| {
                other
                    .iter()
                    .any(|g| jetmirror_subject::filters_overlap(f, g))
            }) {
                return false;
            }
        }
        true
    }

    fn initial_state(&self, config: &ConsumerConfig, now_ns: i64) -> ConsumerState {
        let st = self.store.state(false);
        let first = if st.messages == 0 {
            st.last_seq + 1
        } else {
            st.first_seq.max(1)
        };
        let filters = config.filters();
        let all = if filters.is_empty() {
            vec![">".to_string()]
        } else {
            filters
        };
        let mut lss = VecDeque::new();
        let start = match config.deliver_policy {
            DeliverPolicy::All => first,
            DeliverPolicy::New => st.last_seq + 1,
            DeliverPolicy::Last => all
                .iter()
                .filter_map(|f| self.store.last_for_subject(f).ok().flatten().map(|m| m.seq))
                .max()
                .unwrap_or(st.last_seq + 1),
            DeliverPolicy::ByStartSequence => config.opt_start_seq.max(1),
            DeliverPolicy::ByStartTime => {
                self.first_seq_at_or_after(config.opt_start_time.unwrap_or(0))
            }
            DeliverPolicy::LastPerSubject => {
                let mut seqs: Vec<u64> = Vec::new();
                for f in &all {
                    for subj in self.store.subject_counts(f).keys() {
                        if let Ok(Some(m)) = self.store.last_for_subject(subj) {
                            seqs.push(m.seq);
                        }
                    }
                }
                seqs.sort_unstable();
                seqs.dedup();
                lss = seqs.into_iter().collect();
                lss.front().copied().unwrap_or(st.last_seq + 1)
            }
        };
        let floor = start.saturating_sub(1);
        ConsumerState {
            redelivered: BTreeMap::new(),
            delivered_consumer_seq: 0,
            delivered_stream_seq: floor,
            last_delivered_ns: None,
            ack_floor_consumer_seq: 0,
            ack_floor_stream_seq: floor,
            last_ack_ns: None,
            pending: BTreeMap::new(),
            lss,
            last_activity_ns: now_ns,
        }
    }

    /// First sequence whose timestamp is at or after `ts` (binary search; timestamps follow
    /// sequence order).
    pub fn first_seq_at_or_after(&self, ts: i64) -> u64 {
        let st = self.store.state(false);
        let (mut lo, mut hi) = (st.first_seq.max(1), st.last_seq + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.store.next_matching(mid, ">").ok().flatten() {
                Some(m) if m.ts_ns < ts => lo = m.seq + 1,
                Some(_) => hi = mid,
                None => hi = mid,
            }
        }
        lo
    }

    fn delete_consumer(&mut self, name: &str, now_ns: i64, fx: &mut Vec<Effect>) -> Outcome {
        let Some(mut c) = self.consumers.remove(name) else {
            return Outcome::Failed(ApiError::consumer_not_found());
        };
        for w in c.waiting.drain(..) {
            fx.push(Effect::Reply {
                subject: w.reply,
                headers: Some(status(409, "Consumer Deleted", &[])),
                payload: Bytes::new(),
            });
        }
        fx.push(Effect::Advisory(Advisory {
            subject: format!(
                "$JS.EVENT.ADVISORY.CONSUMER.DELETED.{}.{}",
                self.config.name, name
            ),
            kind: types::CONSUMER_ACTION_ADVISORY,
            timestamp_ns: now_ns,
            fields: self.consumer_action_fields(name, "delete"),
        }));
        fx.push(Effect::ConsumerDeleted {
            name: name.to_string(),
        });
        // Interest retention: messages only this consumer held back may go now.
        if self.config.retention == RetentionPolicy::Interest {
            self.sweep_interest(0);
        }
        Outcome::ConsumerDeleted
    }

    /// Interest retention: of `seqs` (just acked or delivered), remove those every
    /// interested consumer is done with. Costs one read per candidate, not a scan.
    fn sweep_interest_seqs(&mut self, seqs: &[u64]) {
        let mut removed = Vec::new();
        for seq in seqs {
            let Ok(Some(m)) = self.store.get(*seq) else {
                continue;
            };
            if self
                .consumers
                .values()
                .all(|c| c.is_done_with(m.seq, &m.subject))
                && self.store.delete(m.seq, false).unwrap_or(false)
            {
                removed.push(m.seq);
            }
        }
        if !removed.is_empty() {
            self.after_removal_of(Some(&removed));
        }
    }

    /// Interest/workqueue: remove messages at or below `upto` (0 = all) that every
    /// interested consumer is done with.
    fn sweep_interest(&mut self, upto: u64) {
        let st = self.store.state(false);
        if st.messages == 0 {
            return;
        }
        let end = if upto == 0 {
            st.last_seq
        } else {
            upto.min(st.last_seq)
        };
        let mut seq = st.first_seq;
        let mut removed = Vec::new();
        while seq <= end {
            let Ok(Some(m)) = self.store.next_matching(seq, ">") else {
                break;
            };
            if m.seq > end {
                break;
            }
            if self
                .consumers
                .values()
                .all(|c| c.is_done_with(m.seq, &m.subject))
                && self.store.delete(m.seq, false).unwrap_or(false)
            {
                removed.push(m.seq);
            }
            seq = m.seq + 1;
        }
        if !removed.is_empty() {
            self.after_removal_of(Some(&removed));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn ack(
        &mut self,
        name: &str,
        sseq: u64,
        dseq: u64,
        kind: AckKind,
        reply: Option<String>,
        now_ns: i64,
        fx: &mut Vec<Effect>,
    ) -> Outcome {
        let stream = self.config.name.clone();
        let retention = self.config.retention;
        let domain = self.domain.clone();
        let Some(c) = self.consumers.get_mut(name) else {
            return Outcome::Done;
        };
        c.state.last_activity_ns = now_ns;
        let mut removed: Vec<u64> = Vec::new();
        let mut next: Option<NextRequest> = None;
        let event = |kind: &'static str,
                     what: &str,
                     p_dseq: u64,
                     deliveries: u64,
                     reason: Option<String>| {
            let mut f = vec![
                ("stream", stream.clone().into()),
                ("consumer", name.into()),
                ("consumer_seq", p_dseq.into()),
                ("stream_seq", sseq.into()),
                ("deliveries", deliveries.into()),
            ];
            if let Some(r) = reason.filter(|r| !r.is_empty()) {
                f.push(("reason", r.into()));
            }
            if !domain.is_empty() {
                f.push(("domain", domain.clone().into()));
            }
            Effect::Advisory(Advisory {
                subject: format!("$JS.EVENT.ADVISORY.CONSUMER.{what}.{stream}.{name}"),
                kind,
                timestamp_ns: now_ns,
                fields: f,
            })
        };
        // Acks for messages not delivered yet are ignored (nats-server processAckMsg).
        let in_range = sseq <= c.state.delivered_stream_seq;
        // nats-server does not answer an ack (or term) for a message not delivered yet.
        let skip_reply =
            !in_range && matches!(kind, AckKind::Ack | AckKind::Next(_) | AckKind::Term { .. });
        match kind {
            AckKind::Ack | AckKind::Next(_) => {
                if let AckKind::Next(r) = kind {
                    next = Some(r);
                }
                if in_range {
                    match c.config.ack_policy {
                        AckPolicy::All | AckPolicy::FlowControl => removed = c.ack_all(dseq, sseq),
                        AckPolicy::Explicit => removed.extend(c.ack_one(sseq).map(|_| sseq)),
                        AckPolicy::None => {}
                    }
                }
            }
            AckKind::Term { reason } => {
                if in_range && c.acks() {
                    let p = c.ack_one(sseq);
                    let deliveries = p.as_ref().map_or(1, |p| p.deliveries);
                    if p.is_some() {
                        removed.push(sseq);
                    }
                    fx.push(event(
                        types::TERMINATED_ADVISORY,
                        "MSG_TERMINATED",
                        dseq,
                        deliveries,
                        Some(reason),
                    ));
                }
            }
            AckKind::Nak { delay_ns } => {
                if let Some(p) = c.state.pending.get_mut(&sseq) {
                    p.deadline_ns = now_ns.saturating_add(delay_ns.max(0));
                    let deadline = p.deadline_ns;
                    let deliveries = p.deliveries;
                    c.deadline_set(deadline);
                    fx.push(event(
                        types::NAK_ADVISORY,
                        "MSG_NAKED",
                        dseq,
                        deliveries,
                        None,
                    ));
                }
            }
            AckKind::Progress => {
                let wait = c.ack_wait_for(
                    c.state
                        .pending
                        .get(&sseq)
                        .map(|p| p.deliveries)
                        .unwrap_or(1),
                );
                if let Some(p) = c.state.pending.get_mut(&sseq) {
                    p.deadline_ns = now_ns.saturating_add(wait);
                    c.deadline_set(now_ns.saturating_add(wait));
                }
            }
        }
        if !removed.is_empty() {
            c.state.last_ack_ns = Some(now_ns);
        }
        if let Some(r) = &reply {
            if next.is_none() && !skip_reply {
                fx.push(Effect::Reply {
                    subject: r.clone(),
                    headers: None,
                    payload: Bytes::new(),
                });
            }
        }
        if !removed.is_empty() {
            match retention {
                RetentionPolicy::WorkQueue => {
                    for s in &removed {
                        let _ = self.store.delete(*s, false);
                    }
                    self.after_removal_of(Some(&removed));
                }
                RetentionPolicy::Interest => self.sweep_interest_seqs(&removed),
                RetentionPolicy::Limits => {}
            }
        }
        match (next, reply) {
            (Some(req), Some(r)) => return self.pull(name, r, req, now_ns, fx),
            _ => self.pump(name, now_ns, fx),
        }
        Outcome::Done
    }

    fn pull(
        &mut self,
        name: &str,
        reply: String,
        req: NextRequest,
        now_ns: i64,
        fx: &mut Vec<Effect>,
    ) -> Outcome {
        let Some(c) = self.consumers.get_mut(name) else {
            return Outcome::Failed(ApiError::consumer_not_found());
        };
        c.state.last_activity_ns = now_ns;
        let deny = |fx: &mut Vec<Effect>, code: u16, desc: String| {
            fx.push(Effect::Reply {
                subject: reply.clone(),
                headers: Some(status(code, &desc, &[])),
                payload: Bytes::new(),
            });
            Outcome::Done
        };
        if c.config.is_push() {
            return deny(fx, 409, "Consumer is push based".into());
        }
        let cfg = &c.config;
        if cfg.max_request_batch > 0 && req.batch > cfg.max_request_batch {
            return deny(
                fx,
                409,
                format!("Exceeded MaxRequestBatch of {}", cfg.max_request_batch),
            );
        }
        if cfg.max_request_expires > 0 && req.expires > cfg.max_request_expires {
            return deny(
                fx,
                409,
                format!(
                    "Exceeded MaxRequestExpires of {}",
                    crate::consumer::go_duration(cfg.max_request_expires)
                ),
            );
        }
        if cfg.max_request_max_bytes > 0 && req.max_bytes > cfg.max_request_max_bytes {
            return deny(
                fx,
                409,
                format!(
                    "Exceeded MaxRequestMaxBytes of {}",
                    cfg.max_request_max_bytes
                ),
            );
        }
        if req.json {
            let policy = cfg.priority_policy;
            if (req.min_pending != 0 || req.min_ack_pending != 0)
                && policy != PriorityPolicy::Overflow
            {
                return deny(
                    fx,
                    400,
                    "Bad Request - Not a Overflow Priority consumer".into(),
                );
            }
            if !req.id.is_empty() && policy != PriorityPolicy::PinnedClient {
                return deny(
                    fx,
                    400,
                    "Bad Request - Not a Pinned Client Priority consumer".into(),
                );
            }
            if !(0..=9).contains(&req.priority) {
                return deny(
                    fx,
                    400,
                    "Bad Request - Priority must be between 0 and 9".into(),
                );
            }
            if policy != PriorityPolicy::None {
                if req.group.is_empty() {
                    return deny(fx, 400, "Bad Request - Priority Group missing".into());
                }
                if !cfg.priority_groups.contains(&req.group) {
                    return deny(fx, 400, "Bad Request - Invalid Priority Group".into());
                }
                if !c.pin.id.is_empty() {
                    if req.id == c.pin.id {
                        c.pin.deadline_ns = now_ns.saturating_add(cfg.pinned_ttl);
                    } else if !req.id.is_empty() {
                        return deny(fx, 423, "Nats-Pin-Id mismatch".into());
                    }
                }
            }
        }
        let cfg = &c.config;
        if cfg.max_waiting > 0 && c.waiting.len() as i64 >= cfg.max_waiting {
            return deny(fx, 409, "Exceeded MaxWaiting".into());
        }
        let expires_at = if req.expires > 0 {
            now_ns.saturating_add(req.expires)
        } else {
            0
        };
        let w = WaitingRequest {
            reply: reply.clone(),
            batch_left: req.batch.max(1),
            max_bytes_left: req.max_bytes.max(0),
            max_bytes: req.max_bytes.max(0),
            expires_at_ns: expires_at,
            no_wait: req.no_wait,
            heartbeat_ns: req.idle_heartbeat,
            last_heartbeat_ns: now_ns,
            delivered: 0,
            min_pending: req.min_pending,
            min_ack_pending: req.min_ack_pending,
            pin_id: req.id.clone(),
            priority: req.priority,
        };
        if c.config.priority_policy == PriorityPolicy::Prioritized {
            // Lower numbers first; first come first served within a priority.
            let at = c
                .waiting
                .iter()
                .position(|o| o.priority > w.priority)
                .unwrap_or(c.waiting.len());
            c.waiting.insert(at, w);
        } else {
            c.waiting.push_back(w);
        }
        self.pump(name, now_ns, fx);
        // no_wait: what could not be served now gets 404 at once, unless the request also
        // has an expiry and got nothing yet; that one waits for its 408 (nats-server
        // processWaiting).
        if let Some(c) = self.consumers.get_mut(name) {
            if let Some(pos) = c.waiting.iter().position(|w| {
                w.reply == reply && w.no_wait && (w.expires_at_ns == 0 || w.delivered > 0)
            }) {
                if let Some(w) = c.waiting.remove(pos) {
                    fx.push(Effect::Reply {
                        subject: w.reply,
                        headers: Some(status(404, "No Messages", &[])),
                        payload: Bytes::new(),
                    });
                }
            }
        }
        Outcome::Done
    }

    /// The next message for consumer `c`: a redelivery that is due, else the next new one.
    /// Returns (stream seq, is_redelivery).
    fn next_for(&self, c: &Consumer, now_ns: i64) -> Option<Next> {
        if now_ns >= c.redeliver_hint_ns.get() {
            let mut earliest = i64::MAX;
            for (sseq, p) in &c.state.pending {
                if p.deadline_ns <= now_ns {
                    return Some(match self.store.get(*sseq) {
                        Ok(Some(m)) => Next::Msg(m, true),
                        // Removed by limits, purge or delete meanwhile: nothing to redeliver.
                        _ => Next::Gone(*sseq),
                    });
                }
                earliest = earliest.min(p.deadline_ns);
            }
            c.redeliver_hint_ns.set(earliest);
        }
        if c.acks()
            && c.config.max_ack_pending > 0
            && c.state.pending.len() as i64 >= c.config.max_ack_pending
        {
            return None;
        }
        if let Some(s) = c.state.lss.front() {
            return Some(match self.store.get(*s).ok().flatten() {
                Some(m) => Next::Msg(m, false),
                None => Next::GoneLss(*s),
            });
        }
        let start = c.state.delivered_stream_seq + 1;
        let filters = c.filters();
        if filters.is_empty() {
            return self
                .store
                .next_matching(start, ">")
                .ok()
                .flatten()
                .map(|m| Next::Msg(m, false));
        }
        filters
            .iter()
            .filter_map(|f| self.store.next_matching(start, f).ok().flatten())
            .min_by_key(|m| m.seq)
            .map(|m| Next::Msg(m, false))
    }

    /// Delivers what consumer `name` can deliver now.
    fn pump(&mut self, name: &str, now_ns: i64, fx: &mut Vec<Effect>) {
        let stream = self.config.name.clone();
        let mut guard = 0usize;
        loop {
            guard += 1;
            if guard > 100_000 {
                break;
            }
            let Some(c) = self.consumers.get(name) else {
                return;
            };
            let push = c.config.is_push();
            if push && (!c.push_active || (c.config.flow_control && c.fc.stalled())) {
                return;
            }
            if !push && c.waiting.is_empty() {
                return;
            }
            if c.paused(now_ns) {
                return;
            }
            let next = self.next_for(c, now_ns);
            let max_deliver = c.config.max_deliver;
            let Some(c) = self.consumers.get_mut(name) else {
                return;
            };
            let (msg, redelivery) = match next {
                None => return,
                Some(Next::Msg(m, r)) => (m, r),
                Some(Next::Gone(seq)) => {
                    c.ack_one(seq);
                    continue;
                }
                Some(Next::GoneLss(seq)) => {
                    c.state.lss.retain(|s| *s != seq);
                    continue;
                }
            };
            let deliveries = if redelivery {
                c.state
                    .pending
                    .get(&msg.seq)
                    .map(|p| p.deliveries + 1)
                    .unwrap_or(1)
            } else {
                1
            };
            if redelivery && max_deliver > 0 && deliveries > max_deliver as u64 {
                // Max deliveries reached: stop redelivering and tell the world. The ack
                // floor stays (observed on 2.15.1) and the redelivered count keeps it.
                c.state.pending.remove(&msg.seq);
                fx.push(Effect::Advisory(Advisory {
                    subject: format!("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{name}"),
                    kind: types::MAX_DELIVER_ADVISORY,
                    timestamp_ns: now_ns,
                    fields: vec![
                        ("stream", stream.clone().into()),
                        ("consumer", name.into()),
                        ("stream_seq", msg.seq.into()),
                        ("deliveries", (deliveries - 1).into()),
                    ],
                }));
                continue;
            }
            // Everything the delivery needs is computed before any state changes, so that a
            // pull request refused for max_bytes leaves the consumer as it was.
            let dseq = c.state.delivered_consumer_seq + 1;
            let pending_after = if !c.state.lss.is_empty() {
                c.num_pending_cache.set(None);
                c.state.lss.iter().filter(|s| **s != msg.seq).count() as u64
            } else {
                let now_pending = match c.num_pending_cache.get() {
                    Some(v) => v,
                    None => {
                        let start = c.state.delivered_stream_seq + 1;
                        let f = c.filters();
                        let v = if f.is_empty() {
                            self.store.num_pending(start, ">")
                        } else {
                            f.iter().map(|f| self.store.num_pending(start, f)).sum()
                        };
                        c.num_pending_cache.set(Some(v));
                        v
                    }
                };
                if redelivery {
                    now_pending
                } else {
                    now_pending.saturating_sub(1)
                }
            };
            // Ack none consumers get the ack subject too (nats-server always sends it).
            let reply = ack_reply(
                &stream,
                name,
                deliveries,
                msg.seq,
                dseq,
                msg.ts_ns,
                pending_after,
            );
            let (headers, payload) = if c.config.headers_only {
                let mut h = if msg.headers.is_empty() {
                    HeaderMap::new()
                } else {
                    HeaderMap::parse(&msg.headers).unwrap_or_default()
                };
                h.append("Nats-Msg-Size", &msg.payload.len().to_string());
                (Some(h.to_bytes()), Bytes::new())
            } else {
                (
                    (!msg.headers.is_empty()).then(|| msg.headers.clone()),
                    msg.payload.clone(),
                )
            };
            // nats-server's pull size: subject + ack reply + headers + payload.
            let size = (msg.subject.len()
                + reply.len()
                + headers.as_ref().map_or(0, Bytes::len)
                + payload.len()) as i64;
            let pending_before = if redelivery {
                pending_after
            } else {
                pending_after + 1
            };
            let mut idx = 0;
            let target = if push {
                c.config.deliver_subject.clone()
            } else {
                let Some(i) = select_request(c, &stream, name, pending_before, now_ns, fx) else {
                    return;
                };
                idx = i;
                let Some(w) = c.waiting.get_mut(idx) else {
                    return;
                };
                if w.max_bytes > 0 && size > w.max_bytes_left {
                    let extra = [
                        ("Nats-Pending-Messages", w.batch_left.to_string()),
                        ("Nats-Pending-Bytes", w.max_bytes_left.to_string()),
                    ];
                    let reply = w.reply.clone();
                    fx.push(Effect::Reply {
                        subject: reply,
                        headers: Some(status(409, "Message Size Exceeds MaxBytes", &extra)),
                        payload: Bytes::new(),
                    });
                    c.waiting.remove(idx);
                    continue;
                }
                w.reply.clone()
            };
            let headers = if !push && !c.pin.id.is_empty() {
                Some(Bytes::from(append_raw_header(
                    headers.as_deref().unwrap_or_default(),
                    "Nats-Pin-Id",
                    &c.pin.id,
                )))
            } else {
                headers
            };
            if !redelivery {
                c.state.delivered_stream_seq = msg.seq;
                if c.state.lss.front() == Some(&msg.seq) {
                    c.state.lss.pop_front();
                    if let Some(next) = c.state.lss.front() {
                        c.state.delivered_stream_seq = next.saturating_sub(1).max(msg.seq);
                    }
                }
                if c.state.lss.is_empty() {
                    c.num_pending_cache.set(Some(pending_after));
                }
            }
            c.state.delivered_consumer_seq = dseq;
            c.state.last_delivered_ns = Some(now_ns);
            c.state.last_activity_ns = now_ns;
            let acks = c.acks();
            if acks {
                let wait = c.ack_wait_for(deliveries);
                let first_dseq = c
                    .state
                    .pending
                    .get(&msg.seq)
                    .map_or(dseq, |p| p.consumer_seq);
                c.state.pending.insert(
                    msg.seq,
                    Pending {
                        consumer_seq: first_dseq,
                        deliveries,
                        delivered_ns: now_ns,
                        deadline_ns: now_ns.saturating_add(wait),
                    },
                );
                c.deadline_set(now_ns.saturating_add(wait));
                if deliveries > 1 {
                    c.state.redelivered.insert(msg.seq, deliveries);
                }
            } else {
                c.state.ack_floor_stream_seq = c.state.delivered_stream_seq;
                c.state.ack_floor_consumer_seq = dseq;
            }
            let psz = (target.len()
                + reply.len()
                + headers.as_ref().map_or(0, Bytes::len)
                + payload.len()) as i64;
            fx.push(Effect::Deliver {
                subject: target.clone(),
                msg_subject: msg.subject.clone(),
                reply: Some(reply),
                headers,
                payload,
            });
            if push {
                c.last_push_ns = now_ns;
                if c.config.flow_control {
                    if let Some(fc_reply) = c.fc.on_delivery(psz, &stream, name) {
                        fx.push(Effect::Deliver {
                            subject: target.clone(),
                            msg_subject: target,
                            reply: Some(fc_reply),
                            headers: Some(Bytes::from_static(
                                b"NATS/1.0 100 FlowControl Request\r\n\r\n",
                            )),
                            payload: Bytes::new(),
                        });
                    }
                }
            } else if let Some(w) = c.waiting.get_mut(idx) {
                w.batch_left -= 1;
                w.delivered += 1;
                w.last_heartbeat_ns = now_ns;
                if w.max_bytes > 0 {
                    w.max_bytes_left -= size;
                }
                let bytes_filled = w.max_bytes > 0 && w.max_bytes_left <= 0;
                if w.batch_left <= 0 || bytes_filled {
                    if !bytes_filled && w.max_bytes > 0 {
                        // Batch done with bytes to spare: say so (nats-server "Batch Completed").
                        let extra = [
                            ("Nats-Pending-Messages", "0".to_string()),
                            ("Nats-Pending-Bytes", w.max_bytes_left.to_string()),
                        ];
                        fx.push(Effect::Reply {
                            subject: w.reply.clone(),
                            headers: Some(status(409, "Batch Completed", &extra)),
                            payload: Bytes::new(),
                        });
                    }
                    c.waiting.remove(idx);
                }
            }
            // Ack none on interest/workqueue: delivered = done.
            if !acks && self.config.retention != RetentionPolicy::Limits {
                let seq = msg.seq;
                if self.config.retention == RetentionPolicy::WorkQueue {
                    let _ = self.store.delete(seq, false);
                    self.after_removal_of(Some(&[seq]));
                } else {
                    self.sweep_interest_seqs(&[seq]);
                }
            }
        }
    }

    /// After a create or update through the API a paused consumer says so (nats-server's
    /// `jsConsumerCreateRequest` sends the pause advisory).
    fn paused_after_create(&mut self, name: &str, now_ns: i64, fx: &mut Vec<Effect>) {
        if let Some(c) = self.consumers.get_mut(name) {
            c.pause_armed = c.paused(now_ns);
            if c.pause_armed {
                fx.push(pause_advisory(
                    &self.config.name,
                    name,
                    c.config.pause_until,
                    now_ns,
                ));
            }
        }
    }

    /// `CONSUMER.PAUSE`: a changed `pause_until` sends the pause advisory.
    fn pause_consumer(
        &mut self,
        name: &str,
        pause_until: Option<i64>,
        now_ns: i64,
        fx: &mut Vec<Effect>,
    ) -> Outcome {
        let stream = self.config.name.clone();
        let Some(c) = self.consumers.get_mut(name) else {
            return Outcome::Failed(ApiError::consumer_not_found());
        };
        let until = pause_until.filter(|p| *p != 0);
        if c.config.pause_until.filter(|p| *p != 0) != until {
            c.config.pause_until = until;
            fx.push(pause_advisory(&stream, name, until, now_ns));
        }
        c.pause_armed = c.paused(now_ns);
        let paused = c.paused(now_ns);
        self.pump(name, now_ns, fx);
        let until = until.unwrap_or(0);
        Outcome::ConsumerPaused {
            paused,
            pause_until: until,
            pause_remaining: if paused { until - now_ns } else { 0 },
        }
    }

    /// `CONSUMER.UNPIN`: the group must be one of the consumer's.
    fn unpin_consumer(
        &mut self,
        name: &str,
        group: &str,
        now_ns: i64,
        fx: &mut Vec<Effect>,
    ) -> Outcome {
        let stream = self.config.name.clone();
        let Some(c) = self.consumers.get_mut(name) else {
            return Outcome::Failed(ApiError::consumer_not_found());
        };
        if !c.config.priority_groups.iter().any(|g| g == group) {
            return Outcome::Failed(ApiError::consumer_invalid_priority_group());
        }
        c.pin = Default::default();
        fx.push(unpinned_advisory(&stream, name, group, "admin", now_ns));
        self.pump(name, now_ns, fx);
        Outcome::Done
    }

    /// nats-server `resetStartingSeqLocked`: 0 means just past the ack floor; any other
    /// sequence is allowed for deliver-all consumers, and for by-start-sequence/time ones
    /// when not before their start.
    fn reset_consumer(
        &mut self,
        name: &str,
        seq: u64,
        now_ns: i64,
        fx: &mut Vec<Effect>,
    ) -> Outcome {
        let Some(c) = self.consumers.get(name) else {
            return Outcome::Failed(ApiError::consumer_not_found());
        };
        let seq = if seq == 0 {
            c.state.ack_floor_stream_seq + 1
        } else {
            match c.config.deliver_policy {
                DeliverPolicy::All => seq,
                DeliverPolicy::ByStartSequence if seq < c.config.opt_start_seq => {
                    return Outcome::Failed(ApiError::consumer_invalid_reset("below start seq"));
                }
                DeliverPolicy::ByStartSequence => seq,
                DeliverPolicy::ByStartTime => {
                    let first = self.first_seq_at_or_after(c.config.opt_start_time.unwrap_or(0));
                    if seq < first {
                        return Outcome::Failed(ApiError::consumer_invalid_reset(
                            "below start time",
                        ));
                    }
                    seq
                }
                _ => return Outcome::Failed(ApiError::consumer_invalid_reset("not allowed")),
            }
        }
        .max(1);
        let Some(c) = self.consumers.get_mut(name) else {
            return Outcome::Failed(ApiError::consumer_not_found());
        };
        let st = &mut c.state;
        st.pending.clear();
        st.redelivered.clear();
        st.lss.clear();
        st.delivered_consumer_seq = 0;
        st.delivered_stream_seq = seq - 1;
        st.ack_floor_consumer_seq = 0;
        st.ack_floor_stream_seq = seq - 1;
        st.last_delivered_ns = None;
        st.last_ack_ns = None;
        c.num_pending_cache.set(None);
        c.redeliver_hint_ns.set(0);
        self.pump(name, now_ns, fx);
        match self.consumer_info(name, now_ns) {
            Some(info) => Outcome::ConsumerReset {
                info: Box::new(info),
                reset_seq: seq,
            },
            None => Outcome::Failed(ApiError::consumer_not_found()),
        }
    }

    fn tick(&mut self, now_ns: i64, fx: &mut Vec<Effect>) {
        self.expire_dedupe(now_ns);
        let stream = self.config.name.clone();
        for (name, c) in self.consumers.iter_mut() {
            // The end of a pause is announced once, as nats-server's pause timer does.
            if c.paused(now_ns) {
                c.pause_armed = true;
            } else if c.pause_armed {
                c.pause_armed = false;
                fx.push(pause_advisory(&stream, name, c.config.pause_until, now_ns));
            }
            if !c.pin.id.is_empty() && c.config.pinned_ttl > 0 && now_ns >= c.pin.deadline_ns {
                c.pin = Default::default();
                let group = c
                    .config
                    .priority_groups
                    .first()
                    .cloned()
                    .unwrap_or_default();
                fx.push(unpinned_advisory(&stream, name, &group, "timeout", now_ns));
            }
        }
        self.expire_ttls(now_ns, fx);
        if self.config.max_age > 0 && (self.config.allow_msg_ttl || self.marker_ttl_secs() > 0) {
            // Per message: `Nats-TTL: never` survives max_age, and the last message of a
            // subject may leave a delete marker.
            let cutoff = now_ns.saturating_sub(self.config.max_age);
            let st = self.store.state(false);
            let mut expired = Vec::new();
            // What is left below `age_scan_seq` was kept on purpose (`never`): not read again.
            let mut seq = st.first_seq.max(self.age_scan_seq);
            while let Ok(Some(m)) = self.store.next_matching(seq, ">") {
                if m.ts_ns > cutoff {
                    break;
                }
                seq = m.seq + 1;
                if ttl::message_ttl(&m.headers) != Ok(MessageTtl::Never) {
                    expired.push(m.seq);
                }
            }
            self.age_scan_seq = seq;
            for seq in expired {
                self.remove_or_mark(seq, now_ns, fx);
            }
        } else if self.config.max_age > 0 {
            let cutoff = now_ns.saturating_sub(self.config.max_age);
            let st = self.store.state(false);
            let mut cut = 0u64;
            let mut seq = st.first_seq;
            while let Ok(Some(m)) = self.store.next_matching(seq, ">") {
                if m.ts_ns > cutoff {
                    break;
                }
                cut = m.seq + 1;
                seq = m.seq + 1;
            }
            if cut > 0 {
                let _ = self.store.purge(StorePurge {
                    subject: None,
                    up_to_seq: Some(cut),
                    keep: None,
                });
                self.after_removal_of(Some(&[]));
            }
        }
        let names: Vec<String> = self.consumers.keys().cloned().collect();
        for name in names {
            let stream = self.config.name.clone();
            let Some(c) = self.consumers.get_mut(&name) else {
                continue;
            };
            // Expired pull requests: 408 with what was left.
            let mut keep = VecDeque::new();
            for mut w in c.waiting.drain(..) {
                if w.expires_at_ns > 0 && now_ns >= w.expires_at_ns {
                    let extra = [
                        ("Nats-Pending-Messages", w.batch_left.to_string()),
                        ("Nats-Pending-Bytes", w.max_bytes_left.to_string()),
                    ];
                    fx.push(Effect::Reply {
                        subject: w.reply,
                        headers: Some(status(408, "Request Timeout", &extra)),
                        payload: Bytes::new(),
                    });
                    continue;
                }
                if w.heartbeat_ns > 0
                    && now_ns.saturating_sub(w.last_heartbeat_ns) >= w.heartbeat_ns
                {
                    w.last_heartbeat_ns = now_ns;
                    let extra = [
                        (
                            "Nats-Last-Consumer",
                            c.state.delivered_consumer_seq.to_string(),
                        ),
                        ("Nats-Last-Stream", c.state.delivered_stream_seq.to_string()),
                    ];
                    fx.push(Effect::Reply {
                        subject: w.reply.clone(),
                        headers: Some(status(100, "Idle Heartbeat", &extra)),
                        payload: Bytes::new(),
                    });
                }
                keep.push_back(w);
            }
            c.waiting = keep;
            // Push idle heartbeats.
            if c.config.is_push()
                && c.push_active
                && c.config.heartbeat > 0
                && now_ns.saturating_sub(c.last_push_ns) >= c.config.heartbeat
            {
                c.last_push_ns = now_ns;
                let mut extra = vec![
                    (
                        "Nats-Last-Consumer",
                        c.state.delivered_consumer_seq.to_string(),
                    ),
                    ("Nats-Last-Stream", c.state.delivered_stream_seq.to_string()),
                ];
                if let Some(fc) = &c.fc.outstanding {
                    extra.push(("Nats-Consumer-Stalled", fc.clone()));
                }
                fx.push(Effect::Deliver {
                    subject: c.config.deliver_subject.clone(),
                    msg_subject: c.config.deliver_subject.clone(),
                    reply: None,
                    headers: Some(status(100, "Idle Heartbeat", &extra)),
                    payload: Bytes::new(),
                });
            }
            // Inactive threshold (ephemerals, or durables with one set).
            let idle = c.config.inactive_threshold > 0
                && c.waiting.is_empty()
                && !(c.config.is_push() && c.push_active)
                && now_ns.saturating_sub(c.state.last_activity_ns) >= c.config.inactive_threshold;
            if idle {
                let _ = stream;
                self.delete_consumer(&name, now_ns, fx);
                continue;
            }
            self.pump(&name, now_ns, fx);
        }
    }
}

/// `seq`, `last_by_subj` and `start_time` exclude each other; `next_by_subj` goes with
/// `seq` or `start_time` only.
fn conflicting(req: &MsgGetRequest) -> bool {
    let n = [
        req.seq > 0,
        !req.last_by_subj.is_empty(),
        req.start_time.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    n > 1 || (!req.last_by_subj.is_empty() && !req.next_by_subj.is_empty())
}

/// What a consumer delivers next.
enum Next {
    /// A message, and whether it is a redelivery.
    Msg(jetmirror_store::StoredMsg, bool),
    /// A pending message that is no longer in the stream.
    Gone(u64),
    /// A last-per-subject sequence that is no longer in the stream.
    GoneLss(u64),
}

/// The `204 EOB` reply closing a direct get batch: messages still pending, the last
/// sequence sent and, for `multi_last`, the sequence the batch stopped at.
fn end_of_batch(pending: u64, last_seq: u64, up_to: Option<u64>) -> (Bytes, Bytes) {
    let mut extra = vec![
        ("Nats-Num-Pending", pending.to_string()),
        ("Nats-Last-Sequence", last_seq.to_string()),
    ];
    if let Some(up_to) = up_to {
        extra.push(("Nats-UpTo-Sequence", up_to.to_string()));
    }
    (status(204, "EOB", &extra), Bytes::new())
}

/// The DIRECT.GET header block: the stored headers, then `Nats-Stream`, `Nats-Subject`,
/// `Nats-Sequence`, `Nats-Time-Stamp` (nats-server `getDirectRequest`).
pub fn direct_get_headers(stream: &str, m: &jetmirror_store::StoredMsg) -> Bytes {
    direct_get_headers_with(stream, m, None)
}

/// [`direct_get_headers`], plus `Nats-Num-Pending` and `Nats-Last-Sequence` for the replies
/// of a batch (`pending`, previous sequence sent).
fn direct_get_headers_with(
    stream: &str,
    m: &jetmirror_store::StoredMsg,
    batch: Option<(u64, u64)>,
) -> Bytes {
    use std::fmt::Write as _;
    let ts = crate::api::time::format_rfc3339(m.ts_ns);
    let mut extra = format!(
        "Nats-Stream: {stream}\r\nNats-Subject: {}\r\nNats-Sequence: {}\r\nNats-Time-Stamp: {ts}\r\n",
        m.subject, m.seq
    );
    if let Some((np, lseq)) = batch {
        let _ = write!(
            extra,
            "Nats-Num-Pending: {np}\r\nNats-Last-Sequence: {lseq}\r\n"
        );
    }
    extra.push_str("\r\n");
    let mut out = Vec::with_capacity(m.headers.len() + extra.len() + 12);
    if m.headers.is_empty() {
        out.extend_from_slice(b"NATS/1.0\r\n");
    } else {
        let h = m.headers.strip_suffix(b"\r\n").unwrap_or(&m.headers);
        out.extend_from_slice(h);
    }
    out.extend_from_slice(extra.as_bytes());
    Bytes::from(out)
}

/// nats-server's setStaticStreamMetadata: the API level the stream's features need (set at
/// every create and update, whatever `_nats.req.level` the request carried).
fn required_api_level(c: &StreamConfig) -> u8 {
    let mut level = 0;
    if c.allow_msg_ttl || c.subject_delete_marker_ttl > 0 {
        level = 1;
    }
    if c.allow_msg_counter
        || c.allow_atomic
        || c.allow_msg_schedules
        || c.persist_mode == crate::api::stream::PersistMode::Async
    {
        level = 2;
    }
    if c.allow_batched {
        level = 4;
    }
    level
}

fn strip_nats_meta(c: &ConsumerConfig) -> ConsumerConfig {
    let mut c = c.clone();
    c.metadata.retain(|k, _| !k.starts_with("_nats."));
    c
}

fn write_error_text(e: &WriteError) -> String {
    match e {
        WriteError::Store(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// The message `republish` sends for a stored one: the original headers (if any) plus
/// `Nats-Stream`, `Nats-Subject`, `Nats-Sequence`, `Nats-Time-Stamp`,
/// `Nats-Last-Sequence` (and `Nats-Msg-Size` without the payload when `headers_only`).
#[allow(clippy::too_many_arguments)]
fn republished(
    stream: &str,
    to: String,
    subject: &str,
    seq: u64,
    ts_ns: i64,
    last_seq: u64,
    headers: &[u8],
    payload: &Bytes,
    headers_only: bool,
) -> Effect {
    let mut h = if headers.len() > 2 {
        headers
            .get(..headers.len() - 2)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    } else {
        b"NATS/1.0\r\n".to_vec()
    };
    h.extend_from_slice(
        format!(
            "Nats-Stream: {stream}\r\nNats-Subject: {subject}\r\nNats-Sequence: {seq}\r\nNats-Time-Stamp: {}\r\nNats-Last-Sequence: {last_seq}\r\n",
            crate::api::time::format_rfc3339(ts_ns)
        )
        .as_bytes(),
    );
    if headers_only {
        h.extend_from_slice(format!("Nats-Msg-Size: {}\r\n", payload.len()).as_bytes());
    }
    h.extend_from_slice(b"\r\n");
    Effect::Reply {
        subject: to,
        headers: Some(Bytes::from(h)),
        payload: if headers_only {
            Bytes::new()
        } else {
            payload.clone()
        },
    }
}

/// Appends `key: value` to a raw header block (nats-server's `genHeader`).
fn append_raw_header(headers: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut h = if headers.len() > 2 {
        headers
            .get(..headers.len() - 2)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    } else {
        b"NATS/1.0\r\n".to_vec()
    };
    h.extend_from_slice(format!("{key}: {value}\r\n\r\n").as_bytes());
    h
}

/// A `Nats-Pin-Id`: 22 base62 characters like a nuid, drawn from the command's time and
/// the consumer so that replicas applying the same log pick the same id.
fn pin_id(stream: &str, consumer: &str, now_ns: i64) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x: u64 = 0xcbf2_9ce4_8422_2325;
    for b in stream.bytes().chain([b'.']).chain(consumer.bytes()) {
        x ^= u64::from(b);
        x = x.wrapping_mul(0x0000_0100_0000_01b3);
    }
    x ^= now_ns as u64;
    (0..22)
        .map(|_| {
            // splitmix64
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            char::from(CHARS.get((z % 62) as usize).copied().unwrap_or(b'0'))
        })
        .collect()
}

/// nats-server's `nextWaiting` for priority groups: which waiting pull request gets the
/// next message. `pinned_client` pins the first request without an id (a new pin id and
/// an advisory), answers requests with a stale id `423 Nats-Wrong-Pin-Id`, and skips
/// requests without the pin; `overflow` skips requests whose `min_pending` /
/// `min_ack_pending` are not reached. `pending` counts the message about to go out.
fn select_request(
    c: &mut Consumer,
    stream: &str,
    consumer: &str,
    pending: u64,
    now_ns: i64,
    fx: &mut Vec<Effect>,
) -> Option<usize> {
    let policy = c.config.priority_policy;
    let mut i = 0;
    while i < c.waiting.len() {
        let w = c.waiting.get(i)?;
        if policy == PriorityPolicy::PinnedClient {
            if c.pin.id.is_empty() {
                if w.pin_id.is_empty() {
                    let group = c
                        .config
                        .priority_groups
                        .first()
                        .cloned()
                        .unwrap_or_default();
                    c.pin = crate::consumer::Pin {
                        id: pin_id(stream, consumer, now_ns),
                        pinned_ns: now_ns,
                        deadline_ns: now_ns.saturating_add(c.config.pinned_ttl),
                    };
                    fx.push(Effect::Advisory(Advisory {
                        subject: format!("$JS.EVENT.ADVISORY.CONSUMER.PINNED.{stream}.{consumer}"),
                        kind: "io.nats.jetstream.advisory.v1.consumer_group_pinned",
                        timestamp_ns: now_ns,
                        fields: vec![
                            ("account", GLOBAL_ACCOUNT.into()),
                            ("stream", stream.into()),
                            ("consumer", consumer.into()),
                            ("group", group.into()),
                            ("pinned_id", c.pin.id.clone().into()),
                        ],
                    }));
                    return Some(i);
                }
                wrong_pin(c, i, fx);
                continue;
            }
            if w.pin_id == c.pin.id {
                return Some(i);
            }
            if w.pin_id.is_empty() {
                i += 1;
                continue;
            }
            wrong_pin(c, i, fx);
            continue;
        }
        if policy == PriorityPolicy::Overflow
            && (w.min_pending > 0 || w.min_ack_pending > 0)
            && !((w.min_pending > 0 && w.min_pending as u64 <= pending)
                || (w.min_ack_pending > 0
                    && w.min_ack_pending as u64 <= c.state.pending.len() as u64))
        {
            i += 1;
            continue;
        }
        return Some(i);
    }
    None
}

/// `423 Nats-Wrong-Pin-Id` for waiting request `i`, which is dropped.
fn wrong_pin(c: &mut Consumer, i: usize, fx: &mut Vec<Effect>) {
    if let Some(w) = c.waiting.remove(i) {
        let extra = [
            ("Nats-Pending-Messages", w.batch_left.to_string()),
            ("Nats-Pending-Bytes", w.max_bytes_left.to_string()),
        ];
        fx.push(Effect::Reply {
            subject: w.reply,
            headers: Some(status(423, "Nats-Wrong-Pin-Id", &extra)),
            payload: Bytes::new(),
        });
    }
}

/// The account the pinned/unpinned advisories name (streams live in the global account).
const GLOBAL_ACCOUNT: &str = "$G";

/// `$JS.EVENT.ADVISORY.CONSUMER.PAUSE.<stream>.<consumer>`.
fn pause_advisory(stream: &str, consumer: &str, until: Option<i64>, now_ns: i64) -> Effect {
    let until = until.unwrap_or(0);
    Effect::Advisory(Advisory {
        subject: format!("$JS.EVENT.ADVISORY.CONSUMER.PAUSE.{stream}.{consumer}"),
        kind: "io.nats.jetstream.advisory.v1.consumer_pause",
        timestamp_ns: now_ns,
        fields: vec![
            ("stream", stream.into()),
            ("consumer", consumer.into()),
            ("paused", (until > now_ns).into()),
            (
                "pause_until",
                crate::api::time::format_rfc3339(until).into(),
            ),
        ],
    })
}

/// `$JS.EVENT.ADVISORY.CONSUMER.UNPINNED.<stream>.<consumer>` (reason `admin` or `timeout`).
fn unpinned_advisory(
    stream: &str,
    consumer: &str,
    group: &str,
    reason: &str,
    now_ns: i64,
) -> Effect {
    Effect::Advisory(Advisory {
        subject: format!("$JS.EVENT.ADVISORY.CONSUMER.UNPINNED.{stream}.{consumer}"),
        kind: "io.nats.jetstream.advisory.v1.consumer_group_unpinned",
        timestamp_ns: now_ns,
        fields: vec![
            ("account", GLOBAL_ACCOUNT.into()),
            ("stream", stream.into()),
            ("consumer", consumer.into()),
            ("group", group.into()),
            ("reason", reason.into()),
        ],
    })
}
