//! The sans-IO mirror ingest core: one [`MirrorIngest`] per mirror stream.
//!
//! It reproduces nats-server's mirror consumer (mirror.md §4–§7; nats-server
//! `server/stream.go`, funcs setupMirrorConsumer, processInboundMirrorMsg,
//! retryMirrorConsumer, scheduleSetupMirrorConsumerRetry) without doing any IO:
//!
//! ```text
//!   shell (tokio, UpstreamClient, stream layer)              core
//!   ─────────────────────────────────────────────             ────
//!   upstream connected / lost       ── on_connected / on_disconnected ──▶
//!   create reply / timeout          ── on_create_reply ──────────────────▶  state
//!   message on the deliver subject  ── on_message ───────────────────────▶  change
//!   STREAM.INFO of the origin       ── on_origin_info ───────────────────▶
//!   timer fired (poll_timeout)      ── on_timer ─────────────────────────▶
//!   store reports a seq mismatch    ── on_store_error ───────────────────▶
//!                                   ◀── poll_effect: Subscribe, Unsubscribe,
//!                                       SendConsumerCreate, Publish, Store,
//!                                       SkipTo, RequestOriginInfo, Retry, Error
//! ```
//!
//! With `mirror.consumer` (durable sourcing, API level 4) the mirror makes no consumer
//! of its own: the setup is an empty `CONSUMER.RESET` of the origin's durable consumer
//! (back to its ack floor), its reply must show `ack_policy: flow_control` (else
//! 400/10214 in `mirror.error`, retried with the back-off), deliveries come on the
//! configured deliver subject, and flow-control replies, which acknowledge that
//! consumer up to their `Nats-Last-Stream`, go out as [`Effect::PublishAfterStore`].
//!
//! Time arrives with every event (`now`); randomness (deliver subject, jitter) comes
//! from a seeded RNG so tests are deterministic. The stream layer is reached only
//! through [`Effect::Store`] and [`Effect::SkipTo`] (and reports back through
//! [`MirrorIngest::on_store_error`] / [`MirrorIngest::on_store_state`]).
//!
//! Differences from nats-server, on purpose (a mirror must never go silently stale):
//! - stall detection fires after [`backoff::STALL_AFTER`] (3 missed heartbeats), not
//!   10–20 s, and the first recreate happens at once (only the jitter), then with
//!   nats-server's capped back-off;
//! - a `Nats-Consumer-Stalled` subject that is still reported after we answered it
//!   [`backoff::STALLED_HEARTBEATS_LIMIT`] heartbeats in a row recreates the consumer;
//! - a reconnect of the upstream sets up at once (the 2 s spacing is waived);
//! - lag also considers the origin's real last sequence (polled STREAM.INFO) for
//!   unfiltered mirrors, so a stalled consumer never shows lag 0; and while nothing
//!   confirms that the mirror is current (no delivery, heartbeat or idle origin
//!   STREAM.INFO for longer than the origin's recent message spacing allows), the lag
//!   is at least the number of messages the origin would have produced at its recent
//!   rate ([`MirrorIngest::info`]), and an origin STREAM.INFO is asked at once;
//! - an origin whose last sequence falls below the mirror's (deleted and recreated)
//!   shows an error in `mirror.error` until it catches up again;
//! - an origin that answers STREAM.INFO again while consumer setups fail is retried
//!   at once, not after the back-off.

pub mod ack;
pub mod backoff;
pub mod config;
pub mod request;
pub mod transform;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;
use jetmirror_protocol::HeaderMap;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use tracing::{debug, info, warn};

pub use ack::{parse_ack_reply, AckInfo};
pub use config::{DurableConsumer, External, MirrorConfig, SubjectTransform};
pub use request::{build_create_request, consumer_base_name, CreateRequest};

use backoff::{
    retry_delay, CREATE_REPLY_TIMEOUT, JITTER_MIN, JITTER_SPAN, ORIGIN_INFO_INTERVAL,
    RESET_REPLY_TIMEOUT, SILENCE_GRACE, STALLED_HEARTBEATS_LIMIT, STALL_AFTER,
};

/// What a STREAM.INFO request to the origin told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginState {
    /// The origin exists; its `state.last_seq`.
    LastSeq(u64),
    /// The upstream answered: no such stream.
    NotFound,
    /// No answer (timeout, disconnect, unparsable).
    Unknown,
    /// A CONSUMER.INFO of the mirror's consumer: its `num_pending`.
    ConsumerPending(u64),
}

/// An idle origin's consumer sends a heartbeat every [`backoff::IDLE_HEARTBEAT`]; none
/// for this long means the mirror cannot tell whether it is current.
const IDLE_SILENCE: Duration = Duration::from_millis(1500);

/// Deliveries count as quiet (the origin's STREAM.INFO is asked) this long plus two
/// of the origin's recent message spacings after the mirror was last known current.
const SILENCE_POLL: Duration = Duration::from_millis(10);

/// How soon an origin seen below the mirror is asked again before it is reported.
const REGRESSION_RECHECK: Duration = Duration::from_millis(500);

/// Shortest origin message spacing the lag estimate assumes (10,000 msgs/s).
const MIN_ORIGIN_SPACING: Duration = Duration::from_micros(100);

/// Most effects queued before the shell drains them. Beyond it, inbound deliveries
/// are refused as if lost in transit (the next one shows a consumer-sequence gap and
/// the consumer is recreated from the last stored sequence + 1), so the queue stays
/// bounded without ever dropping an effect.
pub const MAX_QUEUED_EFFECTS: usize = 65_536;

/// What the mirror's store holds, as the stream layer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreState {
    pub messages: u64,
    /// 0 only for a store that never held anything.
    pub first_seq: u64,
    pub last_seq: u64,
}

/// One message to store, exactly as the origin holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreMsg {
    /// The ORIGIN sequence. If the store never held anything its first_seq becomes
    /// this; otherwise it must be last_seq + 1, else the store reports
    /// [`StoreError::LastSeqMismatch`].
    pub seq: u64,
    /// The ORIGIN timestamp, Unix nanoseconds.
    pub ts_ns: i64,
    /// The original subject (after the mirror's subject transforms).
    pub subject: Bytes,
    /// The origin's header block minus `Nats-Expected-*` / `Nats-Batch-*` lines,
    /// otherwise byte for byte; `None` when nothing is left.
    pub headers: Option<Bytes>,
    pub payload: Bytes,
}

/// Why the consumer is being recreated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryReason {
    /// First setup of the mirror.
    Start,
    /// No data, heartbeat or flow control for [`backoff::STALL_AFTER`].
    Stalled,
    /// A heartbeat's `Nats-Last-Consumer` differs from our delivered sequence.
    HeartbeatGap,
    /// The consumer sequence jumped (messages lost in transit).
    ConsumerSeqGap,
    /// The origin keeps reporting `Nats-Consumer-Stalled` after we answered.
    FlowControlUnanswered,
    /// The store refused a message (sequence mismatch).
    StoreMismatch,
    /// The store refused a message for another reason (the mirror's own limits).
    StoreRefused,
    /// The create request failed, timed out or was refused.
    CreateFailed,
    /// The upstream connection came back.
    Reconnected,
}

/// What the shell must do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Subscribe to the new consumer's deliver subject on the upstream and feed every
    /// message to [`MirrorIngest::on_message`] with this `deliver_subject`.
    Subscribe { deliver_subject: String },
    /// Drop the subscription to an old deliver subject.
    Unsubscribe { deliver_subject: String },
    /// Send a request on the upstream; report the outcome with
    /// [`MirrorIngest::on_create_reply`] and this `request_id`.
    SendConsumerCreate {
        request_id: u64,
        subject: String,
        headers: Option<Bytes>,
        payload: Bytes,
        timeout: Duration,
    },
    /// Publish on the upstream (flow-control replies, stalled-heartbeat answers).
    Publish {
        subject: String,
        headers: Option<Bytes>,
        payload: Bytes,
    },
    /// Publish on the upstream once every [`Effect::Store`] / [`Effect::SkipTo`] queued
    /// before it is applied: a flow-control reply that acknowledges the origin's
    /// durable consumer (`ack_policy: flow_control`) up to its `Nats-Last-Stream`, so
    /// a reset of that consumer never starts past what the mirror holds.
    PublishAfterStore {
        subject: String,
        headers: Option<Bytes>,
    },
    /// Store a message (batched by the shell; never block the upstream on disk).
    Store(StoreMsg),
    /// Origin sequences `last_seq + 1 ..= seq` do not exist in the mirror: a store
    /// holding no messages moves to first_seq = seq + 1, last_seq = seq (a purge);
    /// otherwise they are recorded as deleted (nats-server `skipMsgs`).
    SkipTo { seq: u64 },
    /// Request the origin's STREAM.INFO and report `state.last_seq` with
    /// [`MirrorIngest::on_origin_info`].
    RequestOriginInfo { subject: String, timeout: Duration },
    /// The consumer will be recreated after `after` (informational; the core's own
    /// timer does it).
    Retry {
        after: Duration,
        reason: RetryReason,
    },
    /// `mirror.error` changed to this API error object (for logs and StreamInfo);
    /// `Value::Null` when a successful setup cleared it.
    Error(Value),
}

/// The outcome of a create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateReply {
    /// The reply payload (a `consumer_create_response`).
    Response(Bytes),
    Timeout,
    NoResponders,
    /// The upstream connection was lost while waiting.
    Disconnected,
}

/// What the stream layer could not do with a [`Effect::Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The message's seq was not last_seq + 1 of a non-empty store.
    #[error("store of origin seq {seq} refused: store last_seq is {last_seq}")]
    LastSeqMismatch { seq: u64, last_seq: u64 },
    /// Any other failure (limits, IO); the message is dropped and only logged.
    #[error("store of origin seq {seq} failed")]
    Other { seq: u64 },
}

/// One message received on a deliver subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The deliver subject of the subscription it arrived on.
    pub deliver_subject: String,
    /// The subject on the MSG/HMSG line (the original subject for data).
    pub subject: Bytes,
    pub reply: Option<Bytes>,
    pub headers: Option<Bytes>,
    pub payload: Bytes,
}

/// `mirror` in StreamInfo (mirror.md §7), minus the config echoes.
#[derive(Debug, Clone, PartialEq)]
pub struct MirrorInfo {
    pub lag: u64,
    /// Nanoseconds since the last contact, -1 if none yet.
    pub active_ns: i64,
    pub error: Option<Value>,
}

/// `lag` and `active` as functions of time: what the core knew at its last event,
/// evaluated when StreamInfo is asked (so a silent mirror's `active` keeps growing and
/// its estimated lag keeps rising between events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InfoClock {
    /// [`MirrorIngest::lag`] at the last event.
    pub lag: u64,
    pub last_activity: Option<Instant>,
    /// Last moment something showed the mirror current.
    pub confirmed_at: Option<Instant>,
    /// The origin's recent message spacing; `None` when last seen idle.
    pub origin_spacing: Option<Duration>,
}

impl InfoClock {
    /// The known lag plus the messages the origin probably produced since the mirror
    /// was last known current; for an idle origin whose heartbeats are overdue, at
    /// least 1.
    pub fn lag_at(&self, now: Instant) -> u64 {
        let estimate = self.estimated_lag(now);
        match self.origin_spacing {
            Some(_) => self.lag.saturating_add(estimate),
            None => self.lag.max(estimate),
        }
    }

    /// Nanoseconds since the last contact, -1 if none.
    pub fn active_ns_at(&self, now: Instant) -> i64 {
        self.last_activity.map_or(-1, |t| {
            i64::try_from(now.saturating_duration_since(t).as_nanos()).unwrap_or(i64::MAX)
        })
    }

    /// How far the origin has probably moved since the mirror was last known to be
    /// current: the time since then (minus a grace of two message spacings and
    /// [`SILENCE_GRACE`]) divided by the origin's recent message spacing; 0 while the
    /// origin was last seen idle. A frozen upstream therefore never shows lag 0 for
    /// long while its origin advances.
    ///
    /// An origin last seen idle has no spacing to go by: once its idle heartbeats are
    /// overdue ([`IDLE_SILENCE`]) the estimate is 1, "behind by an unknown amount".
    pub fn estimated_lag(&self, now: Instant) -> u64 {
        let Some(confirmed) = self.confirmed_at else {
            return 0;
        };
        let silent = now.saturating_duration_since(confirmed);
        let Some(spacing) = self.origin_spacing else {
            return u64::from(silent > IDLE_SILENCE);
        };
        let grace = spacing.saturating_mul(2) + SILENCE_GRACE;
        if silent <= grace {
            return 0;
        }
        let late = silent - grace;
        let spacing_ns = spacing.as_nanos().max(1);
        u64::try_from(late.as_nanos() / spacing_ns + 1).unwrap_or(u64::MAX)
    }
}

#[derive(Debug, Clone)]
struct InFlight {
    id: u64,
    deadline: Instant,
    deliver_subject: String,
    /// True for the legacy resend (no `sourcing`).
    legacy: bool,
    /// True for a durable consumer's reset to the store's last sequence + 1.
    rewind: bool,
}

/// One mirror's ingest state machine.
#[derive(Debug)]
pub struct MirrorIngest {
    cfg: MirrorConfig,
    /// `cfg.subject_transforms`, compiled.
    transforms: transform::Transforms,
    rng: StdRng,
    store: StoreState,
    connected: bool,
    /// Current consumer name (from the create reply), empty when none.
    cname: String,
    /// Current deliver subject, while a consumer is set up.
    deliver: Option<String>,
    sseq: u64,
    dseq: u64,
    pending_lag: u64,
    origin_last_seq: Option<u64>,
    last_activity: Option<Instant>,
    error: Option<Value>,
    fails: u32,
    last_request: Option<Instant>,
    in_flight: Option<InFlight>,
    next_request_id: u64,
    requests_sent: u64,
    setup_at: Option<Instant>,
    next_origin_info: Option<Instant>,
    origin_info_in_flight: bool,
    stalled_fc: Option<(String, u32)>,
    /// The origin refused to reset the durable consumer below its ack floor: later
    /// resets go to the ack floor only (nats-server's behaviour).
    rewind_refused: bool,
    /// The durable consumer's deliver subject, listened to while its reset goes
    /// unanswered (the consumer may not exist yet): the first delivery on it sets up
    /// again at once (nats-server startProbeSubscription).
    probe: Option<String>,
    /// Last moment something showed the mirror current (a delivery, an idle
    /// heartbeat, an origin STREAM.INFO at or below what we hold).
    confirmed_at: Option<Instant>,
    /// The origin's recent message spacing (EWMA of origin timestamp deltas); `None`
    /// when the origin was last seen idle.
    origin_spacing: Option<Duration>,
    last_origin_ts: Option<i64>,
    /// An origin STREAM.INFO was asked because deliveries went silent.
    silence_poll_sent: bool,
    /// The origin's last sequence fell below the mirror's (recreated origin).
    regressed: Option<u64>,
    /// The last STREAM.INFO showed the origin below the mirror (awaiting confirmation).
    below_seen: bool,
    /// The origin's last sequence at the previous STREAM.INFO answer, and when.
    last_poll: Option<(u64, Instant)>,
    effects: VecDeque<Effect>,
}

/// Removes header lines starting with `prefix` like nats-server's
/// `removeHeaderIfPrefixPresent`: case-sensitive, only at a line start; an empty
/// block left over becomes `None`.
fn remove_header_prefix(hdr: Bytes, prefix: &[u8]) -> Option<Bytes> {
    const EMPTY_HDR_LINE_LEN: usize = b"NATS/1.0\r\n\r\n".len();
    let found = hdr
        .windows(prefix.len() + 1)
        .any(|w| w.first() == Some(&b'\n') && w.get(1..) == Some(prefix));
    if !found {
        return Some(hdr);
    }
    let mut out = Vec::with_capacity(hdr.len());
    let mut rest: &[u8] = &hdr;
    let mut first = true;
    while !rest.is_empty() {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(rest.len(), |i| i + 2);
        let (line, next) = rest.split_at(end);
        let drop = !first && line.starts_with(prefix) && line.ends_with(b"\r\n");
        if !drop {
            out.extend_from_slice(line);
        }
        first = false;
        rest = next;
    }
    if out.len() <= EMPTY_HDR_LINE_LEN {
        return None;
    }
    Some(Bytes::from(out))
}

/// The header block a mirror stores: `Nats-Expected-*` and `Nats-Batch-*` removed.
pub fn clean_headers(hdr: Option<Bytes>) -> Option<Bytes> {
    let hdr = hdr.filter(|h| !h.is_empty())?;
    let hdr = remove_header_prefix(hdr, b"Nats-Expected-")?;
    remove_header_prefix(hdr, b"Nats-Batch-")
}

fn is_control(headers: Option<&Bytes>, payload: &Bytes) -> bool {
    payload.is_empty() && headers.is_some_and(|h| h.starts_with(b"NATS/1.0 100 "))
}

impl MirrorIngest {
    /// A mirror whose store is in `store` state; the first setup is scheduled
    /// 100–200 ms after `now` and happens once the upstream is connected.
    pub fn new(cfg: MirrorConfig, store: StoreState, now: Instant) -> MirrorIngest {
        MirrorIngest::with_seed(cfg, store, now, rand::random())
    }

    /// [`MirrorIngest::new`] with a fixed RNG seed (tests).
    pub fn with_seed(
        cfg: MirrorConfig,
        store: StoreState,
        now: Instant,
        seed: u64,
    ) -> MirrorIngest {
        let mut m = MirrorIngest {
            transforms: transform::Transforms::new(&cfg.subject_transforms),
            cfg,
            rng: StdRng::seed_from_u64(seed),
            store,
            connected: false,
            cname: String::new(),
            deliver: None,
            sseq: store.last_seq,
            dseq: 0,
            pending_lag: 0,
            origin_last_seq: None,
            last_activity: None,
            error: None,
            fails: 0,
            last_request: None,
            in_flight: None,
            next_request_id: 1,
            requests_sent: 0,
            setup_at: None,
            next_origin_info: None,
            origin_info_in_flight: false,
            stalled_fc: None,
            rewind_refused: false,
            probe: None,
            confirmed_at: None,
            origin_spacing: None,
            last_origin_ts: None,
            silence_poll_sent: false,
            regressed: None,
            below_seen: false,
            last_poll: None,
            effects: VecDeque::new(),
        };
        let jitter = m.jitter();
        m.setup_at = Some(now + jitter);
        m
    }

    // ----- accessors -------------------------------------------------------------

    pub fn config(&self) -> &MirrorConfig {
        &self.cfg
    }

    /// Last origin sequence handled (stored or skipped).
    pub fn last_seq(&self) -> u64 {
        self.sseq
    }

    /// Last consumer delivery sequence handled.
    pub fn delivered_seq(&self) -> u64 {
        self.dseq
    }

    /// The current origin consumer's name (empty when none).
    pub fn consumer_name(&self) -> &str {
        &self.cname
    }

    /// The current deliver subject, while a consumer is set up.
    pub fn deliver_subject(&self) -> Option<&str> {
        self.deliver.as_deref()
    }

    /// The core's view of the store.
    pub fn store_state(&self) -> StoreState {
        self.store
    }

    /// Consecutive failed setups.
    pub fn fails(&self) -> u32 {
        self.fails
    }

    /// Lag: `pending - 1` of the last data message; for unfiltered mirrors at least
    /// the distance to the origin's polled last sequence.
    pub fn lag(&self) -> u64 {
        let handled = self.sseq.max(self.store.last_seq);
        match self.origin_last_seq {
            Some(last) if !self.cfg.is_filtered() => {
                self.pending_lag.max(last.saturating_sub(handled))
            }
            _ => self.pending_lag,
        }
    }

    /// `lag`, `active`, `error` for StreamInfo. The lag is [`Self::lag`] plus
    /// [`Self::estimated_lag`] ([`InfoClock::lag_at`]).
    pub fn info(&self, now: Instant) -> MirrorInfo {
        let error = self.error.clone().or_else(|| {
            self.regressed.map(|origin_last| {
                serde_json::json!({
                    "code": 500,
                    "err_code": 10052,
                    "description": format!(
                        "origin stream '{}' went back to last sequence {origin_last}, below the mirror's {}: it was recreated; the mirror continues at {}",
                        self.cfg.origin,
                        self.store.last_seq,
                        self.store.last_seq + 1
                    ),
                })
            })
        });
        let clock = self.clock();
        MirrorInfo {
            lag: clock.lag_at(now),
            active_ns: clock.active_ns_at(now),
            error,
        }
    }

    /// The time-dependent part of [`Self::info`], to evaluate at any later moment.
    pub fn clock(&self) -> InfoClock {
        InfoClock {
            lag: self.lag(),
            last_activity: self.last_activity,
            confirmed_at: self.confirmed_at,
            origin_spacing: self.origin_spacing,
        }
    }

    /// See [`InfoClock::estimated_lag`].
    pub fn estimated_lag(&self, now: Instant) -> u64 {
        self.clock().estimated_lag(now)
    }

    /// When deliveries count as silent (an origin STREAM.INFO is then asked at once).
    fn silence_deadline(&self) -> Option<Instant> {
        if self.deliver.is_none() || self.silence_poll_sent || self.origin_info_in_flight {
            return None;
        }
        // Asked a little before the estimate starts (SILENCE_POLL < SILENCE_GRACE), so
        // that a healthy upstream confirms an origin that merely went quiet before any
        // lag shows.
        let quiet = match self.origin_spacing {
            Some(spacing) => spacing.saturating_mul(2) + SILENCE_POLL,
            None => IDLE_SILENCE,
        };
        Some(self.confirmed_at? + quiet)
    }

    /// The next queued effect.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// When [`MirrorIngest::on_timer`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let stall = match (&self.deliver, self.last_activity) {
            (Some(_), Some(last)) if self.connected => Some(last + STALL_AFTER),
            _ => None,
        };
        let setup = self.setup_at.filter(|_| self.connected);
        let info = self.next_origin_info.filter(|_| self.connected);
        let silence = self.silence_deadline().filter(|_| self.connected);
        [
            setup,
            self.in_flight.as_ref().map(|f| f.deadline),
            stall,
            info,
            silence,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- inputs ------------------------------------------------------------------

    /// The upstream connection is (again) up: set up at once, fails reset.
    pub fn on_connected(&mut self, now: Instant) {
        self.connected = true;
        self.fails = 0;
        // A new connection is a reason of its own: do not wait out the 2 s spacing.
        self.last_request = None;
        self.next_origin_info = Some(now);
        self.origin_info_in_flight = false;
        self.silence_poll_sent = false;
        if self.requests_sent == 0 {
            // A brand-new mirror: first setup 100–200 ms from now.
            let jitter = self.jitter();
            self.setup_at = Some(now + jitter);
            return;
        }
        self.retry(now, RetryReason::Reconnected);
    }

    /// The upstream connection is gone: the consumer is lost with it (its deliver
    /// subscription died); wait for [`MirrorIngest::on_connected`].
    pub fn on_disconnected(&mut self, _now: Instant) {
        self.connected = false;
        self.cancel();
        self.probe = None;
        self.in_flight = None;
        self.origin_info_in_flight = false;
    }

    /// The store's real state (at start, after a local purge, ...).
    pub fn on_store_state(&mut self, state: StoreState) {
        self.store = state;
        if self.cname.is_empty() {
            self.sseq = state.last_seq;
        }
    }

    /// The stream layer refused a [`Effect::Store`].
    pub fn on_store_error(&mut self, err: StoreError, now: Instant) {
        match err {
            StoreError::LastSeqMismatch { seq, last_seq } => {
                warn!(stream = %self.cfg.stream, seq, last_seq, "mirror store sequence mismatch, recreating consumer");
                self.store.last_seq = last_seq;
                self.retry(now, RetryReason::StoreMismatch);
            }
            StoreError::Other { seq } => {
                // Refused by the mirror's own limits (discard new) or failed: nothing
                // from `seq` on was stored. Unlike nats-server (which drops it, then
                // trips over the sequence mismatch and retries every few seconds with
                // a frozen lag), stop the consumer, keep the lag truthful, and try
                // again with the back-off.
                warn!(stream = %self.cfg.stream, seq, "mirror store refused; retrying with back-off");
                let held = seq.saturating_sub(1).min(self.store.last_seq);
                self.store.last_seq = held;
                self.sseq = held;
                self.fails = self.fails.saturating_add(1);
                self.cancel();
                if self.in_flight.is_none() {
                    self.schedule_retry(now, RetryReason::StoreRefused);
                }
            }
        }
    }

    /// The origin's STREAM.INFO `state.last_seq` (or `None` when the request failed).
    pub fn on_origin_info(&mut self, last_seq: Option<u64>, now: Instant) {
        let state = last_seq.map_or(OriginState::Unknown, OriginState::LastSeq);
        self.on_origin_state(state, now);
    }

    /// What the origin's STREAM.INFO told: the origin's real last sequence (for the
    /// lag), whether the mirror is current (an origin at or below what we hold is
    /// idle), whether it went back (recreated), and, when consumer setups have been
    /// failing, that the origin is back: set up again at once.
    pub fn on_origin_state(&mut self, state: OriginState, now: Instant) {
        self.origin_info_in_flight = false;
        self.next_origin_info = Some(now + ORIGIN_INFO_INTERVAL);
        let last = match state {
            OriginState::LastSeq(last) => last,
            OriginState::NotFound => {
                // No origin, nothing produced: no estimate (mirror.error tells why).
                self.note_idle(now);
                return;
            }
            OriginState::Unknown => return,
            OriginState::ConsumerPending(0) => {
                self.note_idle(now);
                return;
            }
            OriginState::ConsumerPending(pending) => {
                self.pending_lag = pending;
                self.confirmed_at = Some(now);
                return;
            }
        };
        self.origin_last_seq = Some(last);
        let held = self.store.last_seq;
        let handled = self.sseq.max(held);
        // (A filtered mirror cannot tell from the origin's last sequence how much of
        // it matches: only deliveries and heartbeats speak for it.)
        if last >= handled && !self.cfg.is_filtered() {
            // The origin's real position: the lag up to it is known from here on
            // ([`Self::lag`]), the estimate restarts, at the rate the origin showed
            // since the previous answer. Nothing new since then (or nothing beyond
            // what we hold) means an idle origin. (An answer BELOW what we handled
            // comes from a replica that is behind, or a recreated origin: it
            // confirms nothing.)
            let idle = last == handled || self.last_poll.is_some_and(|(prev, _)| prev == last);
            if idle {
                self.note_idle(now);
            } else {
                if let Some((prev, at)) = self.last_poll.filter(|(prev, _)| last > *prev) {
                    let count = u32::try_from(last - prev).unwrap_or(u32::MAX);
                    let spacing = now.saturating_duration_since(at) / count;
                    self.origin_spacing =
                        Some(spacing.clamp(MIN_ORIGIN_SPACING, ORIGIN_INFO_INTERVAL));
                }
                self.confirmed_at = Some(now);
            }
            self.last_poll = Some((last, now));
        }
        // (A mirror that holds nothing yet may sit past an origin that has not reached
        // its opt_start_seq: that is no regression.)
        let below = (last < held && self.store.messages > 0).then_some(last);
        // Reported once seen twice in a row: a lagging replica answering one STREAM.INFO
        // (e.g. right after a leader change) is not a recreated origin.
        let regressed = match below {
            Some(l) if self.below_seen => Some(l),
            Some(_) => {
                self.below_seen = true;
                self.next_origin_info = Some(now + REGRESSION_RECHECK);
                self.regressed
            }
            None => None,
        };
        if below.is_none() {
            self.below_seen = false;
        }
        if regressed != self.regressed {
            match regressed {
                Some(l) => {
                    warn!(stream = %self.cfg.stream, upstream = %self.cfg.origin, seq = held, origin_last_seq = l, "origin stream went back below the mirror's last sequence (recreated?)");
                }
                None => {
                    info!(stream = %self.cfg.stream, upstream = %self.cfg.origin, seq = held, origin_last_seq = last, "origin stream caught up with the mirror again");
                }
            }
            self.regressed = regressed;
        }
        if self.regressed.is_some() {
            // Whatever the recreated origin produces below our last sequence is not
            // ours to copy: nothing to estimate.
            self.note_idle(now);
        }
        if self.error.is_some() && self.deliver.is_none() && self.in_flight.is_none() {
            // Setups failed (e.g. the origin did not exist) but the origin answers now.
            self.fails = 0;
            let earliest = self
                .last_request
                .map_or(now, |t| t + backoff::RETRY_THRESHOLD)
                .max(now);
            if self.setup_at.is_none_or(|t| t > earliest) {
                info!(stream = %self.cfg.stream, upstream = %self.cfg.origin, "origin answers again, setting up the mirror consumer");
                self.setup_at = Some(earliest);
            }
        }
    }

    /// Timers: scheduled setup, create-reply timeout, stall check, origin info poll.
    pub fn on_timer(&mut self, now: Instant) {
        if !self.connected {
            return;
        }
        if let Some(f) = &self.in_flight {
            if now >= f.deadline {
                let id = f.id;
                self.on_create_reply(id, CreateReply::Timeout, now);
            }
        }
        if self.setup_at.is_some_and(|t| now >= t) {
            self.setup_at = None;
            self.setup(now);
        }
        if self.deliver.is_some() {
            if let Some(last) = self.last_activity {
                if now.saturating_duration_since(last) >= STALL_AFTER {
                    info!(stream = %self.cfg.stream, upstream = %self.cfg.origin, seq = self.sseq, "mirror consumer stalled, recreating");
                    self.retry(now, RetryReason::Stalled);
                }
            }
        }
        let silent = self.silence_deadline().is_some_and(|t| now >= t);
        if silent {
            self.silence_poll_sent = true;
        }
        if !self.origin_info_in_flight
            && (silent || self.next_origin_info.is_some_and(|t| now >= t))
        {
            self.origin_info_in_flight = true;
            self.next_origin_info = None;
            // A filtered mirror gone quiet asks its consumer how much is pending (the
            // origin's last sequence says nothing about matching messages).
            let subject = if silent && self.cfg.is_filtered() && !self.cname.is_empty() {
                format!(
                    "{}.CONSUMER.INFO.{}.{}",
                    self.cfg.api_prefix(),
                    self.cfg.origin,
                    self.cname
                )
            } else {
                format!("{}.STREAM.INFO.{}", self.cfg.api_prefix(), self.cfg.origin)
            };
            self.push(Effect::RequestOriginInfo {
                subject,
                timeout: Duration::from_secs(5),
            });
        }
    }

    /// The outcome of the create request `request_id` (stale ids are ignored).
    pub fn on_create_reply(&mut self, request_id: u64, reply: CreateReply, now: Instant) {
        let Some(flight) = self.in_flight.take_if(|f| f.id == request_id) else {
            debug!(stream = %self.cfg.stream, request_id, "stale consumer create reply ignored");
            return;
        };
        let body = match reply {
            CreateReply::Response(body) => body,
            CreateReply::Timeout | CreateReply::NoResponders | CreateReply::Disconnected => {
                let text = match reply {
                    CreateReply::Timeout => "consumer create request timed out",
                    CreateReply::NoResponders => "no responders for consumer create request",
                    _ => "upstream disconnected during consumer create",
                };
                warn!(stream = %self.cfg.stream, upstream = %self.cfg.origin, "{text}");
                self.fail(now, None);
                if matches!(reply, CreateReply::Timeout | CreateReply::NoResponders) {
                    self.start_probe();
                }
                return;
            }
        };
        let parsed: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => {
                self.fail(
                    now,
                    Some(serde_json::json!({"code":400,"err_code":10025,"description":"invalid JSON"})),
                );
                return;
            }
        };
        if let Some(err) = parsed.get("error").filter(|e| !e.is_null()) {
            let code = err.get("code").and_then(Value::as_u64);
            let err_code = err.get("err_code").and_then(Value::as_u64);
            let old_origin = matches!(
                (code, err_code),
                (Some(412), Some(10185)) | (Some(400), Some(10025))
            );
            if old_origin && !flight.legacy && self.cfg.consumer.is_none() {
                info!(stream = %self.cfg.stream, upstream = %self.cfg.origin, "origin below API level 4, resending without sourcing");
                self.send_create(now, true);
                return;
            }
            if flight.rewind {
                warn!(stream = %self.cfg.stream, upstream = %self.cfg.origin, seq = self.store.last_seq + 1, error = %err, "origin refused to reset the mirror consumer to the mirror's next sequence");
                self.rewind_refused = true;
            }
            self.fail(now, Some(err.clone()));
            return;
        }
        let Some(config) = parsed.get("config").filter(|c| c.is_object()) else {
            self.fail(
                now,
                Some(serde_json::json!({"code":400,"err_code":10025,"description":"invalid JSON"})),
            );
            return;
        };
        if self.cfg.consumer.is_some()
            && config.get("ack_policy").and_then(Value::as_str) != Some("flow_control")
        {
            // nats-server: JSMirrorConsumerRequiresAckFCErr, retried like a failed setup.
            let consumer = parsed
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            warn!(stream = %self.cfg.stream, upstream = %self.cfg.origin, consumer, "mirror consumer does not use the flow control ack policy");
            self.fail(
                now,
                Some(serde_json::json!({
                    "code": 400,
                    "err_code": 10214,
                    "description": "stream mirror consumer requires flow control ack policy",
                })),
            );
            return;
        }
        // A durable consumer is followed on the configured deliver subject.
        let deliver = match self.cfg.consumer {
            Some(_) => flight.deliver_subject.clone(),
            None => config
                .get("deliver_subject")
                .and_then(Value::as_str)
                .unwrap_or(&flight.deliver_subject)
                .to_owned(),
        };
        let name = parsed
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let delivered_stream = parsed
            .pointer("/delivered/stream_seq")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let held_any = self.store.messages > 0 || self.store.first_seq > 0;
        if self.cfg.consumer.is_some()
            && !flight.rewind
            && !self.rewind_refused
            && held_any
            && delivered_stream > self.store.last_seq
        {
            // The durable consumer's ack floor is past what the store holds (acks of
            // writes that never reached the disk, e.g. after a kill -9). nats-server
            // would skip the difference; resetting the consumer to the mirror's next
            // sequence loses nothing.
            warn!(stream = %self.cfg.stream, upstream = %self.cfg.origin, seq = self.store.last_seq, ack_floor = delivered_stream, "durable mirror consumer is past the mirror's last sequence, resetting it back");
            let seq = self.store.last_seq + 1;
            if let Some(c) = self.cfg.consumer.clone() {
                self.send_reset(now, c, Some(seq));
            }
            return;
        }
        // The new consumer's backlog is what the mirror is behind by, as of now.
        if let Some(pending) = parsed.get("num_pending").and_then(Value::as_u64) {
            self.pending_lag = pending;
        }
        self.confirmed_at = Some(now);
        if self.error.take().is_some() {
            self.push(Effect::Error(Value::Null));
        }
        self.fails = 0;
        self.probe = None;
        self.push(Effect::Subscribe {
            deliver_subject: deliver.clone(),
        });
        if self.store.last_seq < delivered_stream {
            self.push(Effect::SkipTo {
                seq: delivered_stream,
            });
            self.apply_skip(delivered_stream);
        }
        info!(stream = %self.cfg.stream, upstream = %self.cfg.origin, consumer = %name, seq = self.store.last_seq, "mirror consumer created");
        self.cname = name;
        self.deliver = Some(deliver);
        self.dseq = 0;
        self.sseq = delivered_stream.max(self.store.last_seq);
        self.last_activity = Some(now);
        self.stalled_fc = None;
    }

    /// A message from the current (or an old) deliver subscription.
    pub fn on_message(&mut self, msg: Inbound, now: Instant) {
        if self.deliver.is_none() && self.probe.as_deref() == Some(msg.deliver_subject.as_str()) {
            // The durable consumer delivers: it exists now. A reset still waiting was
            // sent before it existed and will not be answered: reset it again at once,
            // not after the back-off (a late answer to the old one is ignored).
            // The probe goes first: without interest the consumer holds its
            // deliveries until the subscription made after the reset's answer.
            if let Some(probe) = self.probe.take() {
                self.push(Effect::Unsubscribe {
                    deliver_subject: probe,
                });
            }
            self.last_activity = Some(now);
            self.fails = 0;
            self.in_flight = None;
            self.last_request = None;
            info!(stream = %self.cfg.stream, upstream = %self.cfg.origin, "durable mirror consumer delivers, resetting it now");
            self.setup_at = None;
            self.setup(now);
            return;
        }
        if self.deliver.as_deref() != Some(msg.deliver_subject.as_str()) {
            return; // old subscription
        }
        if self.effects.len() >= MAX_QUEUED_EFFECTS {
            warn!(stream = %self.cfg.stream, seq = self.sseq, "mirror effect queue full; delivery dropped");
            return;
        }
        self.last_activity = Some(now);
        let headers = clean_headers(msg.headers);
        if is_control(headers.as_ref(), &msg.payload) {
            self.on_control(headers, msg.reply, now);
            return;
        }
        let Some(reply) = msg
            .reply
            .as_deref()
            .and_then(|r| std::str::from_utf8(r).ok())
        else {
            warn!(stream = %self.cfg.stream, "mirror message without ack reply ignored");
            return;
        };
        let Some(ack) = parse_ack_reply(reply) else {
            warn!(stream = %self.cfg.stream, reply, "mirror message with unparsable ack reply ignored");
            return;
        };
        if self.cname.is_empty() || ack.consumer != self.cname || ack.delivered > 1 {
            return;
        }
        let (sseq, dseq) = (ack.stream_seq, ack.consumer_seq);
        if sseq <= self.sseq {
            // Already have it (a duplicate after a resume).
            if dseq == self.dseq + 1 {
                self.dseq += 1;
            }
            return;
        } else if sseq == self.sseq + 1 {
            self.dseq = dseq;
            self.sseq += 1;
        } else if dseq == self.dseq + 1 {
            // The origin skipped (deleted, expired or filtered-out messages).
            self.push(Effect::SkipTo { seq: sseq - 1 });
            self.apply_skip(sseq - 1);
            self.dseq += 1;
            self.sseq = sseq;
        } else {
            warn!(stream = %self.cfg.stream, seq = sseq, dseq, expected_dseq = self.dseq + 1, "mirror consumer sequence gap, recreating");
            self.retry(now, RetryReason::ConsumerSeqGap);
            return;
        }
        self.pending_lag = ack.pending.saturating_sub(1);
        self.note_delivery(ack.timestamp_ns, now);
        let subject = match std::str::from_utf8(&msg.subject)
            .ok()
            .and_then(|s| self.transforms.apply(s))
        {
            Some(t) => Bytes::from(t),
            None => msg.subject,
        };
        self.apply_store(sseq);
        self.push(Effect::Store(StoreMsg {
            seq: sseq,
            ts_ns: ack.timestamp_ns,
            subject,
            headers,
            payload: msg.payload,
        }));
    }

    // ----- internals ---------------------------------------------------------------

    fn on_control(&mut self, headers: Option<Bytes>, reply: Option<Bytes>, now: Instant) {
        if let Some(reply) = reply.filter(|r| !r.is_empty()) {
            let Ok(subject) = String::from_utf8(reply.to_vec()) else {
                return;
            };
            let hdr = format!(
                "NATS/1.0\r\nNats-Last-Consumer: {}\r\nNats-Last-Stream: {}\r\n\r\n",
                self.dseq, self.sseq
            );
            if self.cfg.consumer.is_some() {
                // This reply acknowledges the durable consumer: only once stored.
                self.push(Effect::PublishAfterStore {
                    subject,
                    headers: Some(Bytes::from(hdr)),
                });
            } else {
                self.push(Effect::Publish {
                    subject,
                    headers: Some(Bytes::from(hdr)),
                    payload: Bytes::new(),
                });
            }
            return;
        }
        let Some(map) = headers.as_deref().and_then(|h| HeaderMap::parse(h).ok()) else {
            return;
        };
        let last_consumer = map
            .get("Nats-Last-Consumer")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        if last_consumer > 0 && last_consumer != self.dseq {
            warn!(stream = %self.cfg.stream, seq = self.sseq, dseq = self.dseq, last_consumer, "heartbeat shows missed messages, recreating");
            self.retry(now, RetryReason::HeartbeatGap);
            return;
        }
        // An idle heartbeat: the consumer has nothing pending, the origin is idle.
        self.note_idle(now);
        match map.get("Nats-Consumer-Stalled").filter(|s| !s.is_empty()) {
            Some(fc) => {
                let count = match &self.stalled_fc {
                    Some((subj, n)) if subj == fc => n + 1,
                    _ => 1,
                };
                if count > STALLED_HEARTBEATS_LIMIT {
                    warn!(stream = %self.cfg.stream, seq = self.sseq, "flow control stays unanswered, recreating");
                    self.retry(now, RetryReason::FlowControlUnanswered);
                    return;
                }
                self.stalled_fc = Some((fc.to_owned(), count));
                self.push(Effect::Publish {
                    subject: fc.to_owned(),
                    headers: None,
                    payload: Bytes::new(),
                });
            }
            None => self.stalled_fc = None,
        }
    }

    /// The origin was seen idle and the mirror current: no estimate until deliveries
    /// show the origin's spacing again (the idle gap itself is not one).
    fn note_idle(&mut self, now: Instant) {
        self.confirmed_at = Some(now);
        self.origin_spacing = None;
        self.last_origin_ts = None;
        self.silence_poll_sent = false;
    }

    /// A delivery confirms the mirror is moving; origin timestamps give the origin's
    /// message spacing (for [`Self::estimated_lag`]).
    fn note_delivery(&mut self, ts_ns: i64, now: Instant) {
        // (See note_idle: after an idle spell the first delivery only sets the mark.)
        if let Some(prev) = self.last_origin_ts {
            if let Ok(delta) = u64::try_from(ts_ns.saturating_sub(prev)) {
                let delta =
                    Duration::from_nanos(delta).clamp(MIN_ORIGIN_SPACING, ORIGIN_INFO_INTERVAL);
                // Quick to follow a faster origin, slow to believe a slower one: an
                // estimate that is too low is the one that hides a stall.
                self.origin_spacing = Some(match self.origin_spacing {
                    Some(mean) if delta < mean => (mean + delta) / 2,
                    Some(mean) => (mean * 7 + delta) / 8,
                    None => delta,
                });
            }
        }
        self.last_origin_ts = Some(ts_ns);
        self.confirmed_at = Some(now);
        self.silence_poll_sent = false;
    }

    fn apply_store(&mut self, seq: u64) {
        if self.store.first_seq == 0 {
            self.store.first_seq = seq;
        }
        self.store.last_seq = seq;
        self.store.messages += 1;
    }

    fn apply_skip(&mut self, seq: u64) {
        if seq <= self.store.last_seq {
            return;
        }
        if self.store.messages == 0 {
            self.store.first_seq = seq + 1;
        }
        self.store.last_seq = seq;
    }

    fn push(&mut self, e: Effect) {
        self.effects.push_back(e);
    }

    fn jitter(&mut self) -> Duration {
        let span = u64::try_from(JITTER_SPAN.as_nanos()).unwrap_or(1).max(1);
        JITTER_MIN + Duration::from_nanos(self.rng.gen_range(0..span))
    }

    /// After an unanswered reset of a durable consumer: listen on its deliver subject.
    fn start_probe(&mut self) {
        let Some(c) = &self.cfg.consumer else {
            return;
        };
        if self.probe.is_none() && self.connected {
            self.probe = Some(c.deliver_subject.clone());
            self.push(Effect::Subscribe {
                deliver_subject: c.deliver_subject.clone(),
            });
        }
    }

    /// Forget the current consumer (nats-server cancelMirrorConsumer).
    fn cancel(&mut self) {
        if let Some(d) = self.deliver.take() {
            self.push(Effect::Unsubscribe { deliver_subject: d });
        }
        self.cname.clear();
        self.stalled_fc = None;
    }

    /// Cancel and set up again (nats-server retryMirrorConsumer).
    fn retry(&mut self, now: Instant, reason: RetryReason) {
        self.cancel();
        if self.in_flight.is_some() {
            return; // its reply or timeout will continue
        }
        self.setup_at = None;
        self.setup_with_reason(now, reason);
    }

    fn setup(&mut self, now: Instant) {
        self.setup_with_reason(now, RetryReason::Start);
    }

    fn setup_with_reason(&mut self, now: Instant, reason: RetryReason) {
        if !self.connected || self.in_flight.is_some() {
            return;
        }
        if let Some(last) = self.last_request {
            if now.saturating_duration_since(last) < backoff::RETRY_THRESHOLD {
                self.schedule_retry(now, reason);
                return;
            }
        }
        self.cancel();
        if reason != RetryReason::Start {
            self.push(Effect::Retry {
                after: Duration::ZERO,
                reason,
            });
        }
        self.send_create(now, false);
    }

    fn schedule_retry(&mut self, now: Instant, reason: RetryReason) {
        let jitter = self.jitter();
        let since = self.last_request.map(|t| now.saturating_duration_since(t));
        let after = retry_delay(since, self.fails, jitter);
        self.setup_at = Some(now + after);
        self.push(Effect::Retry { after, reason });
    }

    fn fail(&mut self, now: Instant, err: Option<Value>) {
        if let Some(e) = err {
            self.error = Some(e.clone());
            self.push(Effect::Error(e));
        }
        self.fails = self.fails.saturating_add(1);
        self.cancel();
        self.schedule_retry(now, RetryReason::CreateFailed);
    }

    fn send_create(&mut self, now: Instant, legacy: bool) {
        self.sseq = self.store.last_seq;
        self.dseq = 0;
        if let Some(c) = self.cfg.consumer.clone() {
            self.send_reset(now, c, None);
            return;
        }
        let token = request::random_token(&mut self.rng, 8);
        let deliver = format!("{}.{token}", self.cfg.deliver_prefix());
        let legacy_suffix = legacy.then(|| request::random_token(&mut self.rng, 8));
        let req = build_create_request(&self.cfg, &self.store, &deliver, legacy_suffix.as_deref());
        let id = self.next_request_id;
        self.next_request_id += 1;
        self.requests_sent += 1;
        self.last_request = Some(now);
        self.in_flight = Some(InFlight {
            id,
            deadline: now + CREATE_REPLY_TIMEOUT,
            deliver_subject: deliver,
            legacy,
            rewind: false,
        });
        debug!(stream = %self.cfg.stream, upstream = %self.cfg.origin, seq = self.store.last_seq + 1, subject = %req.subject, "sending mirror consumer create");
        self.push(Effect::SendConsumerCreate {
            request_id: id,
            subject: req.subject,
            headers: req.headers,
            payload: req.payload,
            timeout: CREATE_REPLY_TIMEOUT,
        });
    }

    /// `mirror.consumer`: instead of a create, an empty `CONSUMER.RESET` of the
    /// origin's durable consumer (nats-server setupMirrorConsumer): it goes back to its
    /// ack floor + 1, which the mirror holds (acks only follow stores), and delivers
    /// to the configured deliver subject. The reply is a consumer info. `seq` resets
    /// it to that stream sequence instead (`{"seq":N}`).
    fn send_reset(&mut self, now: Instant, c: config::DurableConsumer, seq: Option<u64>) {
        let subject = format!(
            "{}.CONSUMER.RESET.{}.{}",
            self.cfg.api_prefix(),
            self.cfg.origin,
            c.name
        );
        let id = self.next_request_id;
        self.next_request_id += 1;
        self.requests_sent += 1;
        self.last_request = Some(now);
        self.in_flight = Some(InFlight {
            id,
            deadline: now + RESET_REPLY_TIMEOUT,
            deliver_subject: c.deliver_subject,
            legacy: false,
            rewind: seq.is_some(),
        });
        debug!(stream = %self.cfg.stream, upstream = %self.cfg.origin, consumer = %c.name, seq = self.store.last_seq, %subject, "sending mirror consumer reset");
        self.push(Effect::SendConsumerCreate {
            request_id: id,
            subject,
            headers: None,
            payload: seq.map_or_else(Bytes::new, |seq| {
                Bytes::from(serde_json::json!({ "seq": seq }).to_string())
            }),
            timeout: RESET_REPLY_TIMEOUT,
        });
    }
}

#[cfg(test)]
mod tests;
