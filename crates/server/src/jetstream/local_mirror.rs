//! Same-node mirrors: a mirror with neither `external.api` nor `domain` copies a stream
//! of this node, inside the JetStream task (no consumer, no network hop), with the
//! observable results of nats-server's mirror consumer within one domain
//! (server/stream.go, setupMirrorConsumer and processInboundMirrorMsg):
//! - the origin's sequences, timestamps, subjects and headers (minus `Nats-Expected-*`
//!   and `Nats-Batch-*`), payloads;
//! - the first copy starts at `opt_start_seq`, else at the first message at or after
//!   `opt_start_time`, else at the origin's first message; a mirror that already holds
//!   anything resumes at its last sequence + 1;
//! - origin sequences that are gone (deleted, expired) or filtered out between two
//!   copied messages become deleted sequences of the mirror; after the last matching
//!   message the mirror's last sequence stays where it is;
//! - an origin that is missing shows `stream not found` in `mirror.error`; one that
//!   went back (deleted and recreated) is copied again from the mirror's last
//!   sequence + 1, as nats-server resumes its consumer there.
//! - a `mirror.consumer` (a durable consumer of the origin to follow) is not copied:
//!   nats-server resets that consumer through `CONSUMER.RESET` and acknowledges it by
//!   flow control (`ack_policy: flow_control`), which this node's consumers do not
//!   offer; `mirror.error` says so (500/10029) instead of a copy that would ignore the
//!   consumer.
//!
//! The copy runs at every batch end and tick, in passes of at most [`PASS_BUDGET`]
//! messages per mirror for at most [`SYNC_TIME_BUDGET`] (at a tick
//! [`TICK_SYNC_TIME_BUDGET`]), so that a large catch-up never holds up publishers for
//! long.

use std::time::Instant;

use jetmirror_mirror::core::clean_headers;
use jetmirror_mirror::core::config::SubjectTransform;
use jetmirror_mirror::core::transform::Transforms;
use jetmirror_stream::api::stream::MsgGetRequest;
use jetmirror_stream::api::stream::{StreamConfig, StreamSourceInfo};
use jetmirror_stream::{ApiError, Command, Outcome};
use tracing::{debug, info};

use super::{now_ns, Service};

/// Most messages one mirror copies in one pass.
pub(super) const PASS_BUDGET: usize = 2048;
/// Passes over the same-node mirrors at a batch end stop after this long (the rest
/// waits for the next batch end or tick).
const SYNC_TIME_BUDGET: std::time::Duration = std::time::Duration::from_millis(5);
/// The same at a tick.
pub(super) const TICK_SYNC_TIME_BUDGET: std::time::Duration = std::time::Duration::from_millis(50);

/// One same-node mirror's progress.
#[derive(Debug)]
pub(super) struct LocalMirror {
    origin: String,
    /// Origin subjects copied; empty = all.
    filters: Vec<String>,
    transforms: Transforms,
    opt_start_seq: u64,
    opt_start_time: Option<i64>,
    /// Set once the start position was decided.
    started: bool,
    /// Last origin sequence handled.
    sseq: u64,
    last_activity: Option<Instant>,
    lag: u64,
    error: Option<ApiError>,
    /// `mirror.consumer.name`: such a mirror is refused (see the module doc).
    durable: Option<String>,
}

impl LocalMirror {
    /// The same-node mirror of `cfg`, or `None` when `cfg` is not one.
    pub fn of(cfg: &StreamConfig) -> Option<LocalMirror> {
        let m = cfg.mirror.as_ref()?;
        if m.external
            .as_ref()
            .is_some_and(|e| !e.api_prefix.is_empty())
        {
            return None;
        }
        let mut filters: Vec<String> = m
            .subject_transforms
            .iter()
            .map(|t| t.source.clone())
            .collect();
        if !m.filter_subject.is_empty() {
            filters.push(m.filter_subject.clone());
        }
        if filters.iter().any(|f| f == ">") {
            filters.clear();
        }
        Some(LocalMirror {
            origin: m.name.clone(),
            filters,
            transforms: Transforms::new(
                &m.subject_transforms
                    .iter()
                    .map(|t| SubjectTransform {
                        src: t.source.clone(),
                        dest: t.destination.clone(),
                    })
                    .collect::<Vec<_>>(),
            ),
            opt_start_seq: m.opt_start_seq,
            opt_start_time: m.opt_start_time,
            started: false,
            sseq: 0,
            last_activity: None,
            lag: 0,
            error: None,
            durable: m.consumer.as_ref().map(|c| c.name.clone()),
        })
    }

    /// The origin's name.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `lag`, `active`, `error` for StreamInfo's `mirror` block.
    pub fn fill(&self, info: &mut StreamSourceInfo, now: Instant) {
        info.lag = self.lag;
        info.active = self.last_activity.map_or(-1, |t| {
            i64::try_from(now.saturating_duration_since(t).as_nanos()).unwrap_or(i64::MAX)
        });
        info.error = self.error.clone();
    }

    /// Last origin sequence handled.
    pub fn last_seq(&self) -> u64 {
        self.sseq
    }
}

/// One message read from the origin.
struct Copy {
    seq: u64,
    ts_ns: i64,
    subject: String,
    headers: bytes::Bytes,
    payload: bytes::Bytes,
}

impl Service {
    /// Starts tracking stream `name` when it is a same-node mirror.
    pub(super) fn start_local_mirror(&mut self, name: &str) -> bool {
        let Some(stream) = self.account.stream(name) else {
            return false;
        };
        let Some(lm) = LocalMirror::of(stream.config()) else {
            return false;
        };
        info!(stream = %name, origin = %lm.origin, "starting same-node mirror");
        self.local_mirrors.insert(name.to_string(), lm);
        true
    }

    /// Copies what the origins of all same-node mirrors gained since the last pass.
    pub(super) fn sync_local_mirrors(&mut self) {
        self.sync_local_mirrors_within(SYNC_TIME_BUDGET);
    }

    /// [`Self::sync_local_mirrors`] with another time budget (the tick, when no
    /// publisher waits, gives catch-ups more).
    pub(super) fn sync_local_mirrors_within(&mut self, budget: std::time::Duration) {
        if self.local_mirrors.is_empty() {
            return;
        }
        let started = Instant::now();
        let names: Vec<String> = self.local_mirrors.keys().cloned().collect();
        // A catch-up takes several passes; keep going for a bounded time so that
        // publishers are not held up for long.
        let mut busy = names;
        while !busy.is_empty() {
            busy.retain(|name| {
                let Some(mut lm) = self.local_mirrors.remove(name) else {
                    return false;
                };
                let more = self.copy_pass(name, &mut lm);
                self.local_mirrors.insert(name.to_string(), lm);
                more
            });
            if started.elapsed() >= budget {
                break;
            }
        }
    }

    /// One pass of at most [`PASS_BUDGET`] messages; true when more are waiting.
    fn copy_pass(&mut self, name: &str, lm: &mut LocalMirror) -> bool {
        let now = Instant::now();
        if let Some(durable) = &lm.durable {
            if lm.error.is_none() {
                info!(stream = %name, origin = %lm.origin, consumer = %durable, "same-node mirror with a durable consumer is not copied");
                lm.error = Some(ApiError::mirror_consumer_setup_failed(format!(
                    "stream mirror consumer '{durable}' of '{}' on the same node is not supported: this node's consumers have no flow control ack policy",
                    lm.origin
                )));
            }
            return false;
        }
        let Some(mirror) = self.account.stream(name) else {
            return false;
        };
        let mst = mirror.store().state(false);
        let Some(origin) = self.account.stream(&lm.origin) else {
            if lm.error.is_none() {
                debug!(stream = %name, origin = %lm.origin, "origin of same-node mirror not found");
            }
            lm.error = Some(ApiError::stream_not_found());
            lm.started = false;
            return false;
        };
        lm.error = None;
        lm.last_activity = Some(now);
        if !lm.started {
            lm.started = true;
            lm.sseq = mst.last_seq;
            if mst.messages == 0 && mst.first_seq == 0 {
                // A mirror that never held anything: the configured start applies.
                let start = if lm.opt_start_seq > 0 {
                    lm.opt_start_seq
                } else if let Some(t) = lm.opt_start_time {
                    let req = MsgGetRequest {
                        start_time: Some(t),
                        ..Default::default()
                    };
                    origin
                        .get_msg(&req)
                        .map(|m| m.seq)
                        .unwrap_or(origin.store().state(false).last_seq + 1)
                } else {
                    0
                };
                lm.sseq = start.saturating_sub(1);
                if lm.sseq > 0 {
                    // nats-server purges the empty mirror up to its consumer's start.
                    let cmd = Command::MirrorSkip {
                        seq: lm.sseq,
                        now_ns: now_ns(),
                    };
                    let _ = self.apply(name, cmd);
                }
            }
        }
        let Some(origin) = self.account.stream(&lm.origin) else {
            return false;
        };
        let ost = origin.store().state(false);
        if mst.messages > 0 && ost.last_seq < mst.last_seq {
            // Deleted and recreated: as nats-server, copying resumes once the origin
            // passes the mirror's last sequence; meanwhile the mirror says so.
            lm.error = Some(ApiError::new(
                500,
                10052,
                format!(
                    "origin stream '{}' went back to last sequence {}, below the mirror's {}: it was recreated; the mirror continues at {}",
                    lm.origin,
                    ost.last_seq,
                    mst.last_seq,
                    mst.last_seq + 1
                ),
            ));
        }
        // Read the next batch from the origin.
        let mut copies = Vec::new();
        let mut cursor = lm.sseq;
        while copies.len() < PASS_BUDGET && cursor < ost.last_seq {
            let next = if lm.filters.is_empty() {
                origin.store().next_matching(cursor + 1, ">").ok().flatten()
            } else {
                lm.filters
                    .iter()
                    .filter_map(|f| origin.store().next_matching(cursor + 1, f).ok().flatten())
                    .min_by_key(|m| m.seq)
            };
            let Some(m) = next else { break };
            cursor = m.seq;
            copies.push(Copy {
                seq: m.seq,
                ts_ns: m.ts_ns,
                subject: m.subject,
                headers: m.headers,
                payload: m.payload,
            });
        }
        let drained = copies.len() < PASS_BUDGET;
        let mut held = mst.messages;
        let mut last = mst.last_seq;
        for c in copies {
            if held > 0 && c.seq > last + 1 {
                // Gone or filtered-out origin sequences in between.
                match self.apply(
                    name,
                    Command::MirrorSkip {
                        seq: c.seq - 1,
                        now_ns: now_ns(),
                    },
                ) {
                    Some(Outcome::Mirrored { .. }) => {}
                    _ => break,
                }
            }
            let subject = lm.transforms.apply(&c.subject).unwrap_or(c.subject);
            let headers = clean_headers(Some(c.headers)).unwrap_or_default();
            let outcome = self.apply(
                name,
                Command::MirrorStore {
                    seq: c.seq,
                    ts_ns: c.ts_ns,
                    subject,
                    headers,
                    payload: c.payload,
                    now_ns: now_ns(),
                },
            );
            match outcome {
                Some(Outcome::Mirrored { last_seq }) => {
                    self.mirror_ops.store_result(name, None);
                    held += 1;
                    last = last_seq;
                    lm.sseq = c.seq;
                }
                Some(Outcome::Failed(e)) => {
                    // Refused by the mirror's own limits: stay here, retried next pass.
                    self.mirror_ops.store_result(name, Some(e));
                    break;
                }
                Some(Outcome::MirrorSeqMismatch { last_seq, .. }) => {
                    // The mirror moved on its own (it cannot: it takes no publishes);
                    // resume after what it holds.
                    lm.sseq = last_seq;
                    break;
                }
                _ => break,
            }
        }
        let complete = lm.sseq >= cursor;
        lm.lag = if drained && complete {
            0
        } else {
            ost.last_seq.saturating_sub(lm.sseq)
        };
        // More to copy only when the pass was cut by its budget (not by a refusal).
        !drained && complete
    }
}
