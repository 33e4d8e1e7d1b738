//! Mirror health: whether each mirror stream makes progress, the stall and recovery
//! advisories (jetmirror's own `$JS.EVENT.ADVISORY.STREAM.MIRROR_STALLED.<stream>` and
//! `…MIRROR_RECOVERED.<stream>`), the `/healthz` verdict, store errors of mirrored
//! writes (shown in `mirror.error`), and `mirror_direct` subscriptions.
//!
//! A mirror is healthy at a tick when it is current (lag 0 and a contact with its
//! origin less than [`STALL_THRESHOLD`] ago) or when its last sequence moved since the
//! previous tick. One that has been neither for [`STALL_THRESHOLD`] is stalled: behind
//! an origin that advances, or out of contact with it (then nobody can tell whether it
//! is current, which an operator must know as well).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use jetmirror_stream::api::stream::StreamSourceInfo;
use jetmirror_stream::ApiError;
use serde_json::{json, Value};
use tracing::{info, warn};

use crate::router::Sub;

/// A mirror that neither is current nor makes progress this long is stalled.
/// `JETMIRROR_MIRROR_STALL_THRESHOLD_MS` overrides it (tests, operators).
pub(super) const STALL_THRESHOLD: Duration = Duration::from_secs(10);

/// nats-server's `dgetCaughtUpThresh`: a `mirror_direct` mirror starts answering
/// direct gets for its origin once fewer messages than this are pending.
pub(super) const DIRECT_CAUGHT_UP: u64 = 10;

/// Type of the stall advisory.
pub(super) const STALLED_TYPE: &str = "io.jetmirror.advisory.v1.mirror_stalled";
/// Type of the recovery advisory.
pub(super) const RECOVERED_TYPE: &str = "io.jetmirror.advisory.v1.mirror_recovered";

fn stall_threshold() -> Duration {
    std::env::var("JETMIRROR_MIRROR_STALL_THRESHOLD_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(STALL_THRESHOLD)
}

#[derive(Debug)]
struct Health {
    last_seq: u64,
    /// Last tick at which the mirror was current or had moved.
    ok_at: Instant,
    /// Set while stalled: when the stall was declared.
    stalled: Option<Instant>,
}

/// What a tick found about one mirror.
pub(super) struct Observation<'a> {
    pub stream: &'a str,
    pub info: &'a StreamSourceInfo,
    pub last_seq: u64,
}

/// An advisory to publish: subject and JSON body (without the id, added by the caller).
pub(super) struct MirrorAdvisory {
    pub subject: String,
    pub body: Value,
}

/// Mirror health state of the JetStream service.
pub(super) struct MirrorOps {
    threshold: Duration,
    health: HashMap<String, Health>,
    /// Last refused mirrored write per mirror (cleared by the next accepted one).
    store_errors: HashMap<String, ApiError>,
    /// `mirror_direct` subscriptions per mirror stream.
    pub direct_subs: HashMap<String, Vec<Sub>>,
}

impl Default for MirrorOps {
    fn default() -> Self {
        MirrorOps {
            threshold: stall_threshold(),
            health: HashMap::new(),
            store_errors: HashMap::new(),
            direct_subs: HashMap::new(),
        }
    }
}

impl MirrorOps {
    /// A mirrored write of `stream` was refused (limits with discard new, message too
    /// large, …) or accepted (`None`).
    pub fn store_result(&mut self, stream: &str, err: Option<ApiError>) {
        match err {
            Some(e) => {
                if self.store_errors.get(stream) != Some(&e) {
                    warn!(stream, error = %e.description, "mirrored message refused by the mirror's own limits");
                }
                self.store_errors.insert(stream.to_string(), e);
            }
            None => {
                self.store_errors.remove(stream);
            }
        }
    }

    /// The refused-write error of `stream`, if its last write was refused.
    pub fn store_error(&self, stream: &str) -> Option<&ApiError> {
        self.store_errors.get(stream)
    }

    /// Forgets everything about a stream that is no longer a mirror (or is gone).
    pub fn forget(&mut self, stream: &str) -> Vec<Sub> {
        self.health.remove(stream);
        self.store_errors.remove(stream);
        self.direct_subs.remove(stream).unwrap_or_default()
    }

    /// One tick's observation of a mirror; returns an advisory when it turns stalled
    /// or recovers.
    pub fn observe(
        &mut self,
        o: &Observation<'_>,
        domain: &str,
        now: Instant,
        now_ns: i64,
    ) -> Option<MirrorAdvisory> {
        let threshold = self.threshold;
        let h = self
            .health
            .entry(o.stream.to_string())
            .or_insert_with(|| Health {
                last_seq: o.last_seq,
                ok_at: now,
                stalled: None,
            });
        let threshold_ns = i64::try_from(threshold.as_nanos()).unwrap_or(i64::MAX);
        let current = o.info.lag == 0 && (0..threshold_ns).contains(&o.info.active);
        let moved = o.last_seq != h.last_seq;
        h.last_seq = o.last_seq;
        if current || moved {
            h.ok_at = now;
            if let Some(since) = h.stalled.take() {
                info!(stream = %o.stream, upstream = %o.info.name, seq = o.last_seq, lag = o.info.lag, stalled_for = ?now.saturating_duration_since(since), "mirror recovered");
                return Some(advisory(
                    RECOVERED_TYPE,
                    "MIRROR_RECOVERED",
                    o,
                    domain,
                    now_ns,
                ));
            }
            return None;
        }
        if h.stalled.is_none() && now.saturating_duration_since(h.ok_at) >= threshold {
            h.stalled = Some(now);
            warn!(stream = %o.stream, upstream = %o.info.name, seq = o.last_seq, lag = o.info.lag, active_ns = o.info.active, "mirror stalled: no progress while not current");
            return Some(advisory(STALLED_TYPE, "MIRROR_STALLED", o, domain, now_ns));
        }
        None
    }

    /// `/healthz` error texts of the stalled mirrors among `infos`, sorted by stream.
    pub fn stalled(
        &self,
        account: &str,
        infos: &[(String, StreamSourceInfo)],
        now: Instant,
    ) -> Vec<String> {
        let mut out: Vec<(String, String)> = infos
            .iter()
            .filter_map(|(stream, info)| {
                let h = self.health.get(stream)?;
                h.stalled?;
                Some((
                    stream.clone(),
                    stall_text(
                        account,
                        stream,
                        info,
                        now.saturating_duration_since(h.ok_at),
                    ),
                ))
            })
            .collect();
        out.sort();
        out.into_iter().map(|(_, t)| t).collect()
    }
}

/// `JetStream stream '$G > MIR' mirror of 'ORIGIN' stalled: …` (nats-server's healthz
/// names a stream as `'<account> > <stream>'`).
fn stall_text(account: &str, stream: &str, info: &StreamSourceInfo, for_: Duration) -> String {
    let contact = if info.active < 0 {
        "no contact with the origin yet".to_string()
    } else {
        format!(
            "last contact with the origin {:.1}s ago",
            Duration::from_nanos(u64::try_from(info.active).unwrap_or(0)).as_secs_f64()
        )
    };
    let mut text = format!(
        "JetStream stream '{account} > {stream}' mirror of '{}' stalled: no progress for {:.1}s, lag {}, {contact}",
        info.name,
        for_.as_secs_f64(),
        info.lag,
    );
    if let Some(e) = &info.error {
        text.push_str(&format!(", error: {}", e.description));
    }
    text
}

fn advisory(
    kind: &str,
    event: &str,
    o: &Observation<'_>,
    domain: &str,
    now_ns: i64,
) -> MirrorAdvisory {
    let mut body = json!({
        "type": kind,
        "id": "",
        "timestamp": jetmirror_stream::api::time::format_rfc3339(now_ns),
        "stream": o.stream,
        "mirror": serde_json::to_value(o.info).unwrap_or(Value::Null),
        "last_seq": o.last_seq,
    });
    if !domain.is_empty() {
        if let Some(m) = body.as_object_mut() {
            m.insert("domain".into(), Value::String(domain.to_string()));
        }
    }
    MirrorAdvisory {
        subject: format!("$JS.EVENT.ADVISORY.STREAM.{event}.{}", o.stream),
        body,
    }
}

/// The advisory's payload with its id filled in.
pub(super) fn encode(mut a: MirrorAdvisory, id: &str) -> (String, Bytes) {
    if let Some(m) = a.body.as_object_mut() {
        m.insert("id".into(), Value::String(id.to_string()));
    }
    (a.subject, Bytes::from(a.body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(lag: u64, active: i64) -> StreamSourceInfo {
        StreamSourceInfo {
            name: "ORIGIN".into(),
            external: None,
            lag,
            active,
            error: None,
            filter_subject: String::new(),
            subject_transforms: Vec::new(),
            ..Default::default()
        }
    }

    fn o(info: &StreamSourceInfo, last_seq: u64) -> Observation<'_> {
        Observation {
            stream: "MIR",
            info,
            last_seq,
        }
    }

    fn ops() -> MirrorOps {
        MirrorOps {
            threshold: Duration::from_secs(10),
            ..MirrorOps::default()
        }
    }

    #[test]
    fn stalls_after_the_threshold_without_progress_and_recovers_on_progress() {
        let mut m = ops();
        let t0 = Instant::now();
        let behind = &info(40, 200_000_000);
        assert!(m.observe(&o(behind, 5), "", t0, 0).is_none());
        // Behind and not moving: nothing before 10 s, the advisory at 10 s, once.
        assert!(m
            .observe(&o(behind, 5), "", t0 + Duration::from_secs(9), 0)
            .is_none());
        let a = m
            .observe(&o(behind, 5), "hub", t0 + Duration::from_secs(10), 0)
            .expect("stalled");
        assert_eq!(a.subject, "$JS.EVENT.ADVISORY.STREAM.MIRROR_STALLED.MIR");
        assert_eq!(a.body["type"], STALLED_TYPE);
        assert_eq!(a.body["mirror"]["lag"], 40);
        assert_eq!(a.body["domain"], "hub");
        assert!(m
            .observe(&o(behind, 5), "", t0 + Duration::from_secs(11), 0)
            .is_none());
        let stalled = m.stalled(
            "$G",
            &[("MIR".into(), behind.clone())],
            t0 + Duration::from_secs(11),
        );
        assert_eq!(stalled.len(), 1);
        assert!(
            stalled[0].starts_with("JetStream stream '$G > MIR' mirror of 'ORIGIN' stalled"),
            "{}",
            stalled[0]
        );
        // Progress: recovered.
        let a = m
            .observe(&o(behind, 6), "", t0 + Duration::from_secs(12), 0)
            .expect("recovered");
        assert_eq!(a.subject, "$JS.EVENT.ADVISORY.STREAM.MIRROR_RECOVERED.MIR");
        assert!(m
            .stalled(
                "$G",
                &[("MIR".into(), behind.clone())],
                t0 + Duration::from_secs(12)
            )
            .is_empty());
    }

    #[test]
    fn a_current_mirror_never_stalls_and_lost_contact_does() {
        let mut m = ops();
        let t0 = Instant::now();
        let current = &info(0, 500_000_000);
        for s in 0..30 {
            assert!(m
                .observe(&o(current, 9), "", t0 + Duration::from_secs(s), 0)
                .is_none());
        }
        // lag 0 but no contact for 12 s: nobody can tell it is current.
        let silent = &info(0, 12_000_000_000);
        assert!(m
            .observe(&o(silent, 9), "", t0 + Duration::from_secs(31), 0)
            .is_none());
        assert!(m
            .observe(&o(silent, 9), "", t0 + Duration::from_secs(41), 0)
            .is_some());
    }
}
