//! One consumer's delivery and ack state, and the pure parts of its protocol: the ack reply
//! subject (`$JS.ACK.…`), ack bodies (`+ACK`, `-NAK`, `+WPI`, `+NXT`, `+TERM`), waiting pull
//! requests and the status messages sent to them.
//!
//! The state that must survive a restart is [`ConsumerState`] (serde, see
//! [`crate::stream::StreamMeta`]); waiting pull requests and push interest are transient, as
//! in nats-server.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::api::consumer::{AckPolicy, ConsumerConfig, NextRequest};

/// One delivered-but-unacked message (keyed by stream sequence in [`ConsumerState::pending`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Consumer sequence of the FIRST delivery (nats-server 2.15.1 keeps it across
    /// redeliveries; the ack floor moves by it: observed floor 1/1 after acking a message
    /// first delivered as 1 and redelivered as 3).
    pub consumer_seq: u64,
    /// Number of deliveries so far (the ack subject's delivery count token).
    pub deliveries: u64,
    /// Time of the latest delivery, ns.
    pub delivered_ns: i64,
    /// When the message becomes due for redelivery, ns (ack wait / backoff / nak delay).
    pub deadline_ns: i64,
}

/// Persistent consumer state (nats-server's `ConsumerState`, plus redelivery deadlines).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConsumerState {
    /// Last delivered (consumer seq, stream seq).
    pub delivered_consumer_seq: u64,
    pub delivered_stream_seq: u64,
    pub last_delivered_ns: Option<i64>,
    /// Ack floor (consumer seq, stream seq): everything at or below is acked.
    pub ack_floor_consumer_seq: u64,
    pub ack_floor_stream_seq: u64,
    pub last_ack_ns: Option<i64>,
    pub pending: BTreeMap<u64, Pending>,
    /// Stream seq → delivery count of messages delivered more than once (nats-server `rdc`;
    /// `num_redelivered` is its size). Kept for messages dropped at max_deliver.
    #[serde(default)]
    pub redelivered: BTreeMap<u64, u64>,
    /// For deliver last_per_subject: stream sequences still to deliver first.
    pub lss: VecDeque<u64>,
    /// Last activity (delivery, ack, pull request, interest), for inactive_threshold.
    pub last_activity_ns: i64,
}

/// A waiting pull request (transient).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingRequest {
    pub reply: String,
    pub batch_left: i64,
    /// 0 = unlimited.
    pub max_bytes_left: i64,
    pub max_bytes: i64,
    /// 0 = never.
    pub expires_at_ns: i64,
    pub no_wait: bool,
    pub heartbeat_ns: i64,
    pub last_heartbeat_ns: i64,
    pub delivered: u64,
    /// Priority group request fields (`min_pending`, `min_ack_pending`, pin `id`,
    /// `priority`); zero/empty when not given.
    pub min_pending: i64,
    pub min_ack_pending: i64,
    pub pin_id: String,
    pub priority: i64,
}

/// A consumer: config, creation time, persistent state and transient delivery state.
#[derive(Debug, Clone)]
pub struct Consumer {
    pub name: String,
    pub config: ConsumerConfig,
    pub created_ns: i64,
    pub state: ConsumerState,
    pub waiting: VecDeque<WaitingRequest>,
    /// Push consumers: the deliver subject has interest (told by the server).
    pub push_active: bool,
    /// Push consumers: last time anything was sent to the deliver subject.
    pub last_push_ns: i64,
    /// Push flow control (transient, as in nats-server).
    pub fc: FlowControl,
    /// Cached `num_pending` (messages matching the filters after the delivered stream
    /// sequence), kept up to date on publish and delivery and dropped after removals, so
    /// the ack subject's pending token costs no scan (nats-server keeps `npc` likewise).
    pub num_pending_cache: std::cell::Cell<Option<u64>>,
    /// No pending message is due for redelivery before this time (ns): a lower bound on
    /// the earliest `deadline_ns` in `state.pending`, so a delivery does not scan every
    /// pending message for a due one. 0 = unknown (scan). Whoever sets a `deadline_ns`
    /// lowers it with [`Consumer::deadline_set`].
    pub redeliver_hint_ns: std::cell::Cell<i64>,
    /// `pinned_client`: the current pin (transient, as in nats-server).
    pub pin: Pin,
    /// A pause was seen in force; its end sends the unpause advisory.
    pub pause_armed: bool,
}

/// The pinned client of a `pinned_client` consumer: its id (`Nats-Pin-Id`), when it was
/// pinned, and when the pin lapses without pulls (`priority_timeout`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pin {
    pub id: String,
    pub pinned_ns: i64,
    pub deadline_ns: i64,
}

/// Push flow control window (nats-server consumer `pbytes`, `maxpb`, `fcid`, `fcsz`): the
/// window starts at 2 MiB (32 MiB / 16) and doubles with each answered request up to 32 MiB;
/// a request goes out once half the window is in flight and delivery stalls when it is full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowControl {
    pub limit: i64,
    pub max_pending_bytes: i64,
    pub pending_bytes: i64,
    /// Reply subject of the outstanding request, `$JS.FC.<stream>.<consumer>.<4 chars>`.
    pub outstanding: Option<String>,
    pub outstanding_bytes: i64,
    /// Makes the 4-character suffix without randomness.
    pub counter: u64,
}

/// nats-server `JsFlowControlMaxPending`.
pub const FLOW_CONTROL_MAX_PENDING: i64 = 32 * 1024 * 1024;

impl Default for FlowControl {
    fn default() -> Self {
        FlowControl {
            limit: FLOW_CONTROL_MAX_PENDING,
            max_pending_bytes: FLOW_CONTROL_MAX_PENDING / 16,
            pending_bytes: 0,
            outstanding: None,
            outstanding_bytes: 0,
            counter: 0,
        }
    }
}

impl FlowControl {
    /// Delivery must wait for the client to answer.
    pub fn stalled(&self) -> bool {
        self.pending_bytes > self.max_pending_bytes
    }

    /// Account a delivery of `size` bytes; returns the reply subject of a flow control
    /// request to send now, if one is needed (`needFlowControl` + `sendFlowControl`).
    pub fn on_delivery(&mut self, size: i64, stream: &str, consumer: &str) -> Option<String> {
        self.pending_bytes += size;
        if self.outstanding.is_none() && self.pending_bytes > self.max_pending_bytes / 2 {
            const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
            self.counter += 1;
            let mut n = self.counter;
            let mut suffix = String::with_capacity(4);
            for _ in 0..4 {
                suffix.push(char::from(
                    DIGITS.get((n % 62) as usize).copied().unwrap_or(b'0'),
                ));
                n /= 62;
            }
            let reply = format!("$JS.FC.{stream}.{consumer}.{suffix}");
            self.outstanding = Some(reply.clone());
            self.outstanding_bytes = self.pending_bytes;
            return Some(reply);
        }
        if self.outstanding.is_some()
            && self.pending_bytes - self.outstanding_bytes >= self.max_pending_bytes
        {
            self.outstanding_bytes += size;
        }
        None
    }

    /// The client answered `subject`; `false` if it is not the outstanding request.
    pub fn on_reply(&mut self, subject: &str) -> bool {
        if self.outstanding.as_deref() != Some(subject) {
            return false;
        }
        if self.max_pending_bytes < self.limit {
            self.max_pending_bytes = (self.max_pending_bytes * 2).min(self.limit);
        }
        self.pending_bytes = (self.pending_bytes - self.outstanding_bytes).max(0);
        self.outstanding = None;
        self.outstanding_bytes = 0;
        true
    }
}

impl Consumer {
    /// Records that a pending message's deadline became `deadline_ns`.
    pub fn deadline_set(&self, deadline_ns: i64) {
        if deadline_ns < self.redeliver_hint_ns.get() {
            self.redeliver_hint_ns.set(deadline_ns);
        }
    }

    /// `pause_until` is still ahead.
    pub fn paused(&self, now_ns: i64) -> bool {
        self.config.pause_until.is_some_and(|p| p > now_ns)
    }

    pub(crate) fn ack_wait_for(&self, deliveries: u64) -> i64 {
        let bo = &self.config.backoff;
        if bo.is_empty() {
            return self.config.ack_wait;
        }
        let i = usize::try_from(deliveries.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(bo.len() - 1);
        bo.get(i).copied().unwrap_or(self.config.ack_wait)
    }

    pub(crate) fn filters(&self) -> Vec<String> {
        self.config.filters()
    }

    pub(crate) fn matches(&self, subject: &str) -> bool {
        let f = self.filters();
        f.is_empty() || f.iter().any(|f| jetmirror_subject::matches(f, subject))
    }

    pub(crate) fn acks(&self) -> bool {
        self.config.ack_policy != AckPolicy::None
    }

    /// Has this consumer acknowledged (or has no interest in) `seq` on `subject`?
    pub(crate) fn is_done_with(&self, seq: u64, subject: &str) -> bool {
        if !self.matches(subject) {
            return true;
        }
        if seq > self.state.delivered_stream_seq {
            return false;
        }
        !self.acks() || !self.state.pending.contains_key(&seq)
    }

    /// nats-server `moveAckFloor`: with nothing pending the floor is the delivered point;
    /// otherwise it moves only when the acked message sat right at the floor, up to just
    /// below the next pending one.
    pub(crate) fn move_ack_floor(&mut self, dseq: u64, sseq: u64) {
        let s = &mut self.state;
        if s.pending.is_empty() {
            s.ack_floor_consumer_seq = s.delivered_consumer_seq;
            s.ack_floor_stream_seq = s.delivered_stream_seq;
        } else if dseq == s.ack_floor_consumer_seq + 1 {
            s.ack_floor_consumer_seq = dseq;
            s.ack_floor_stream_seq = sseq;
            if let Some((ss, p)) = s.pending.range(sseq + 1..).next() {
                if p.consumer_seq > 0 {
                    s.ack_floor_consumer_seq = p.consumer_seq - 1;
                    s.ack_floor_stream_seq = ss - 1;
                }
            }
        }
        let floor = s.ack_floor_stream_seq;
        s.redelivered.retain(|seq, _| *seq > floor);
    }

    /// An explicit ack (also `+TERM` and "message gone"): returns the pending entry removed.
    pub(crate) fn ack_one(&mut self, sseq: u64) -> Option<Pending> {
        let p = self.state.pending.remove(&sseq);
        if let Some(p) = &p {
            self.move_ack_floor(p.consumer_seq, sseq);
        }
        self.state.redelivered.remove(&sseq);
        p
    }

    /// Ack policy all: everything up to (`dseq`, `sseq`) is acked; returns the stream
    /// sequences removed from pending.
    pub(crate) fn ack_all(&mut self, dseq: u64, sseq: u64) -> Vec<u64> {
        let s = &mut self.state;
        if dseq <= s.ack_floor_consumer_seq || sseq <= s.ack_floor_stream_seq {
            return Vec::new();
        }
        s.ack_floor_consumer_seq = dseq;
        s.ack_floor_stream_seq = sseq;
        let removed: Vec<u64> = s.pending.range(..=sseq).map(|(k, _)| *k).collect();
        for k in &removed {
            s.pending.remove(k);
        }
        s.redelivered.retain(|k, _| *k > sseq);
        removed
    }

    /// nats-server consumer `purge`: `first` is the stream's first sequence afterwards.
    pub(crate) fn purge_to(&mut self, first: u64) {
        let s = &mut self.state;
        if s.delivered_stream_seq + 1 < first {
            s.delivered_stream_seq = first - 1;
        }
        if s.ack_floor_stream_seq + 1 < first {
            s.ack_floor_stream_seq = first - 1;
            let gone: Vec<u64> = s.pending.range(..first).map(|(k, _)| *k).collect();
            for k in gone {
                if let Some(p) = s.pending.remove(&k) {
                    s.ack_floor_consumer_seq = s.ack_floor_consumer_seq.max(p.consumer_seq);
                }
                s.redelivered.remove(&k);
            }
        }
        if s.ack_floor_consumer_seq > s.delivered_consumer_seq {
            s.delivered_consumer_seq = s.ack_floor_consumer_seq;
        }
        if s.pending.is_empty() {
            s.redelivered.clear();
            s.ack_floor_consumer_seq = s.delivered_consumer_seq;
            s.ack_floor_stream_seq = s.delivered_stream_seq;
        }
        s.lss.retain(|k| *k >= first);
    }
}

/// Builds the v1 ack reply subject:
/// `$JS.ACK.<stream>.<consumer>.<delivery count>.<stream seq>.<consumer seq>.<timestamp>.<pending>`.
pub fn ack_reply(
    stream: &str,
    consumer: &str,
    deliveries: u64,
    stream_seq: u64,
    consumer_seq: u64,
    ts_ns: i64,
    pending: u64,
) -> String {
    // Built once per delivered message: appended by hand, without the formatter.
    let mut s = String::with_capacity(8 + stream.len() + consumer.len() + 7 + 5 * 20);
    let mut buf = itoa::Buffer::new();
    s.push_str("$JS.ACK.");
    s.push_str(stream);
    s.push('.');
    s.push_str(consumer);
    for n in [deliveries, stream_seq, consumer_seq] {
        s.push('.');
        s.push_str(buf.format(n));
    }
    s.push('.');
    s.push_str(buf.format(ts_ns));
    s.push('.');
    s.push_str(buf.format(pending));
    s
}

/// The parsed tokens of an ack reply subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckSubject {
    pub domain: Option<String>,
    pub stream: String,
    pub consumer: String,
    pub deliveries: u64,
    pub stream_seq: u64,
    pub consumer_seq: u64,
    pub ts_ns: i64,
    pub pending: u64,
}

impl AckSubject {
    /// Parses v1 (9 tokens) and v2 (`$JS.ACK.<domain>.<acc hash>.…`, 11 or 12 tokens).
    pub fn parse(subject: &str) -> Option<AckSubject> {
        // Every delivered message is acked through here: tokens go on the stack.
        let mut tokens = [""; 12];
        let mut len = 0;
        for token in subject.split('.') {
            *tokens.get_mut(len)? = token;
            len += 1;
        }
        let t = tokens.get(..len)?;
        if t.first() != Some(&"$JS") || t.get(1) != Some(&"ACK") {
            return None;
        }
        let (domain, rest) = match t.len() {
            9 => (None, t.get(2..)?),
            11 | 12 => {
                let d = *t.get(2)?;
                (
                    if d == "_" { None } else { Some(d.to_string()) },
                    t.get(4..11)?,
                )
            }
            _ => return None,
        };
        let n = |i: usize| rest.get(i).and_then(|s| s.parse::<u64>().ok());
        Some(AckSubject {
            domain,
            stream: (*rest.first()?).to_string(),
            consumer: (*rest.get(1)?).to_string(),
            deliveries: n(2)?,
            stream_seq: n(3)?,
            consumer_seq: n(4)?,
            ts_ns: rest.get(5)?.parse().ok()?,
            pending: n(6)?,
        })
    }
}

/// What an ack body asks for (nats-server `processAck`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AckKind {
    /// empty, `+ACK`, `+OK`
    Ack,
    /// `-NAK`, `-NAK {"delay":ns}`, `-NAK <go duration>`
    Nak { delay_ns: i64 },
    /// `+WPI`
    Progress,
    /// `+NXT [pull request]`
    Next(NextRequest),
    /// `+TERM [reason]`
    Term { reason: String },
}

impl AckKind {
    /// Parses an ack body; unknown bodies are treated as a plain ack, as nats-server does.
    pub fn parse(body: &[u8]) -> AckKind {
        let text = String::from_utf8_lossy(body);
        let t = text.trim_start();
        if let Some(rest) = t.strip_prefix("-NAK") {
            let rest = rest.trim();
            let delay_ns = if rest.starts_with('{') {
                #[derive(Deserialize)]
                struct D {
                    #[serde(default)]
                    delay: i64,
                }
                serde_json::from_str::<D>(rest)
                    .map(|d| d.delay)
                    .unwrap_or(0)
            } else {
                parse_go_duration(rest).unwrap_or(0)
            };
            return AckKind::Nak { delay_ns };
        }
        if t.starts_with("+WPI") {
            return AckKind::Progress;
        }
        if let Some(rest) = t.strip_prefix("+NXT") {
            return AckKind::Next(NextRequest::parse(rest.trim().as_bytes()).unwrap_or(
                NextRequest {
                    batch: 1,
                    ..Default::default()
                },
            ));
        }
        if let Some(rest) = t.strip_prefix("+TERM") {
            return AckKind::Term {
                reason: rest.trim().to_string(),
            };
        }
        AckKind::Ack
    }
}

/// Parses a Go duration string (`1.5s`, `300ms`, `2m`, `1h30m`); `None` if malformed.
pub fn parse_go_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(0);
    }
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest.get(..num_end)?.parse().ok()?;
        rest = rest.get(num_end..)?;
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest.get(..unit_end)?;
        rest = rest.get(unit_end..)?;
        let mult = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += num * mult;
    }
    let v = total as i64;
    Some(if neg { -v } else { v })
}

/// Go's `time.Duration.String()` for error texts (e.g. `5s`, `1m0s`, `1.5s`).
pub fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let s = if u < 1_000 {
        format!("{u}ns")
    } else if u < 1_000_000 {
        frac(u, 1_000, "µs")
    } else if u < 1_000_000_000 {
        frac(u, 1_000_000, "ms")
    } else {
        let h = u / 3_600_000_000_000;
        let m = (u / 60_000_000_000) % 60;
        let secs = frac(u % 60_000_000_000, 1_000_000_000, "s");
        if h > 0 {
            format!("{h}h{m}m{secs}")
        } else if m > 0 {
            format!("{m}m{secs}")
        } else {
            secs
        }
    };
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

fn frac(v: u64, unit: u64, suffix: &str) -> String {
    let whole = v / unit;
    let rem = v % unit;
    if rem == 0 {
        return format!("{whole}{suffix}");
    }
    let width = unit.ilog10() as usize;
    let f = format!("{rem:0width$}");
    format!("{whole}.{}{suffix}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_subject_round_trip() {
        let s = ack_reply("T1", "C1", 1, 3, 2, 1_795_442_590_888_714_985, 3);
        assert_eq!(s, "$JS.ACK.T1.C1.1.3.2.1795442590888714985.3");
        let p = AckSubject::parse(&s);
        assert_eq!(
            p.as_ref()
                .map(|p| (p.stream_seq, p.consumer_seq, p.pending)),
            Some((3, 2, 3))
        );
        let v2 = AckSubject::parse("$JS.ACK.hub.ABCDEFGH.T1.C1.1.3.2.17.3.rand");
        assert_eq!(
            v2.map(|p| (p.domain, p.stream)),
            Some((Some("hub".into()), "T1".into()))
        );
        assert_eq!(AckSubject::parse("$JS.ACK.T1.C1.x.3.2.1.3"), None);
    }

    #[test]
    fn ack_bodies() {
        assert_eq!(AckKind::parse(b""), AckKind::Ack);
        assert_eq!(AckKind::parse(b"+ACK"), AckKind::Ack);
        assert_eq!(AckKind::parse(b"-NAK"), AckKind::Nak { delay_ns: 0 });
        assert_eq!(
            AckKind::parse(br#"-NAK {"delay":2000000000}"#),
            AckKind::Nak {
                delay_ns: 2_000_000_000
            }
        );
        assert_eq!(
            AckKind::parse(b"-NAK 1.5s"),
            AckKind::Nak {
                delay_ns: 1_500_000_000
            }
        );
        assert_eq!(AckKind::parse(b"+WPI"), AckKind::Progress);
        assert_eq!(
            AckKind::parse(b"+TERM bad data"),
            AckKind::Term {
                reason: "bad data".into()
            }
        );
        assert!(matches!(AckKind::parse(br#"+NXT {"batch":5}"#), AckKind::Next(r) if r.batch == 5));
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(5_000_000_000), "5s");
        assert_eq!(go_duration(90_000_000_000), "1m30s");
        assert_eq!(go_duration(1_500_000_000), "1.5s");
        assert_eq!(go_duration(100_000_000), "100ms");
        assert_eq!(parse_go_duration("1h30m"), Some(5_400_000_000_000));
    }
}
