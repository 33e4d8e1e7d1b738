//! Mirrors of streams on the upstream nats-server: one `jetmirror_mirror` driver per
//! mirror stream. The driver's sink hands each batch of stores and skips to the
//! JetStream task ([`MirrorBatch`]), which applies them as `MirrorStore` / `MirrorSkip`
//! commands in its own batches (flushed like publishes) and answers once they are
//! applied (the flush follows in the commit pipeline; the driver never waits for it). Also the mirror-side hooks of the JetStream service: create checks, the
//! `mirror` block of StreamInfo, health ticks, `mirror_direct`.

use jetmirror_config::UpstreamOptions;
use jetmirror_mirror::{
    MirrorConfig, MirrorSink, MirrorSnapshot, SinkFuture, SinkOp, StoreError, StoreState,
    UpstreamClient, UpstreamConfig, UpstreamTls,
};
use jetmirror_stream::api::stream::{ExternalStream, StreamConfig, StreamSourceInfo};
use jetmirror_stream::ApiError;
use tokio::sync::{mpsc, oneshot};

/// One batch of a mirror's writes for the JetStream task.
pub(super) struct MirrorBatch {
    pub stream: String,
    pub ops: Vec<SinkOp>,
    pub done: oneshot::Sender<Result<(), StoreError>>,
}

/// The sink of one mirror driver: it hands each batch to the JetStream task and waits
/// (asynchronously) until it is applied.
pub(super) struct ServiceSink {
    pub stream: String,
    pub state: StoreState,
    pub tx: mpsc::Sender<MirrorBatch>,
}

impl MirrorSink for ServiceSink {
    fn state(&self) -> StoreState {
        self.state
    }

    fn apply(&mut self, ops: Vec<SinkOp>) -> SinkFuture<'_> {
        Box::pin(async move {
            let seq = match ops.first() {
                Some(SinkOp::Store(m)) => m.seq,
                Some(SinkOp::SkipTo(s)) => *s,
                None => return Ok(()),
            };
            let (done, rx) = oneshot::channel();
            let batch = MirrorBatch {
                stream: self.stream.clone(),
                ops,
                done,
            };
            if self.tx.send(batch).await.is_err() {
                return Err(StoreError::Other { seq });
            }
            let r = rx.await.unwrap_or(Err(StoreError::Other { seq }));
            if let Err(StoreError::LastSeqMismatch { last_seq, .. }) = &r {
                self.state.last_seq = *last_seq;
            }
            r
        })
    }
}

/// The upstream client's configuration from `upstream { … }`.
pub(super) fn upstream_config(opts: &UpstreamOptions, server_name: &str) -> UpstreamConfig {
    let mut cfg = UpstreamConfig::new(opts.urls.iter().cloned());
    // A frozen upstream node (its TCP connection open, nothing answered) must be left
    // within ~2–3 s so that a mirror heals within 4 s: PING every second, dead after
    // two unanswered.
    cfg.ping_interval = std::time::Duration::from_secs(1);
    cfg.max_pings_out = 2;
    cfg.connect_timeout = std::time::Duration::from_secs(1);
    cfg.user = opts.user.clone();
    cfg.password = opts.password.clone();
    cfg.token = opts.token.clone();
    cfg.credentials = opts.credentials.clone();
    cfg.nkey = opts.nkey.clone();
    cfg.tls = opts.tls.as_ref().map(|t| UpstreamTls {
        ca_file: t.ca_file.clone(),
        cert_file: t.cert_file.clone(),
        key_file: t.key_file.clone(),
        insecure: t.insecure,
        handshake_first: !matches!(t.handshake_first, jetmirror_config::HandshakeFirst::Off),
    });
    cfg.name = opts
        .name
        .clone()
        .or_else(|| Some(format!("jetmirror {server_name}")));
    cfg
}

/// Connects to the upstream (the client reconnects on its own).
pub(super) fn connect(
    opts: &UpstreamOptions,
    server_name: &str,
) -> Result<UpstreamClient, ApiError> {
    UpstreamClient::connect(upstream_config(opts, server_name))
        .map_err(|e| ApiError::mirror_consumer_setup_failed(format!("upstream: {e}")))
}

/// The driver configuration of mirror stream `cfg`, or why it cannot run here.
pub(super) fn mirror_config(
    cfg: &StreamConfig,
    local_domain: &str,
) -> Result<MirrorConfig, ApiError> {
    let Some(m) = cfg.mirror.as_ref() else {
        return Err(ApiError::bad_request());
    };
    let api = m
        .external
        .as_ref()
        .map(|e| e.api_prefix.as_str())
        .unwrap_or("");
    if api.is_empty() {
        // Without external.api it is a same-node mirror (local_mirror), never a driver.
        return Err(ApiError::mirror_consumer_setup_failed(
            "a mirror without external.api is a same-node mirror, not an upstream one",
        ));
    }
    let mut mc = MirrorConfig::new(&cfg.name, &m.name);
    mc.local_domain = (!local_domain.is_empty()).then(|| local_domain.to_owned());
    mc.opt_start_seq = m.opt_start_seq;
    mc.opt_start_time = m
        .opt_start_time
        .map(jetmirror_stream::api::time::format_rfc3339);
    mc.filter_subject = (!m.filter_subject.is_empty()).then(|| m.filter_subject.clone());
    mc.subject_transforms = m
        .subject_transforms
        .iter()
        .map(|t| jetmirror_mirror::core::config::SubjectTransform {
            src: t.source.clone(),
            dest: t.destination.clone(),
        })
        .collect();
    mc.external = m
        .external
        .as_ref()
        .map(|e| jetmirror_mirror::core::config::External {
            api: e.api_prefix.clone(),
            deliver: e.deliver_prefix.clone(),
        });
    mc.consumer = m
        .consumer
        .as_ref()
        .map(|c| jetmirror_mirror::core::DurableConsumer {
            name: c.name.clone(),
            deliver_subject: c.deliver_subject.clone(),
        });
    Ok(mc)
}

/// StreamInfo's `mirror` block from the stream's config and the driver's snapshot.
pub(super) fn source_info(
    cfg: &StreamConfig,
    snap: Option<&MirrorSnapshot>,
) -> Option<StreamSourceInfo> {
    let m = cfg.mirror.as_ref()?;
    let external = m.external.as_ref().map(|e| ExternalStream {
        api_prefix: e.api_prefix.clone(),
        deliver_prefix: e.deliver_prefix.clone(),
    });
    Some(StreamSourceInfo {
        name: m.name.clone(),
        external,
        lag: snap.map_or(0, |s| s.lag),
        active: snap.map_or(-1, |s| s.active_ns),
        error: snap
            .and_then(|s| s.error.clone())
            .and_then(|e| serde_json::from_value(e).ok()),
        filter_subject: m.filter_subject.clone(),
        subject_transforms: m.subject_transforms.clone(),
        ..Default::default()
    })
}

impl super::Service {
    /// Checks and completes a mirror's config before it is created: a same-node mirror
    /// (no `external.api`) needs no upstream and inherits `mirror_direct` from a local
    /// origin's `allow_direct` (nats-server's checkStreamCfg); an upstream mirror must
    /// be runnable here.
    pub(super) fn prepare_mirror_create(
        &mut self,
        config: &mut StreamConfig,
    ) -> Result<(), ApiError> {
        if config.mirror.is_none() || self.account.stream(&config.name).is_some() {
            return Ok(());
        }
        if let Some(lm) = super::local_mirror::LocalMirror::of(config) {
            if let Some(origin) = self.account.stream(lm.origin()) {
                config.mirror_direct = origin.config().allow_direct;
            }
            return Ok(());
        }
        mirror_config(config, self.account.domain())?;
        self.upstream_client()?;
        Ok(())
    }

    /// StreamInfo's `mirror` block of mirror stream `cfg`: the driver's (or the
    /// same-node copier's) lag, active and error; a refused mirrored write shows as the
    /// error when nothing else does.
    pub(super) fn mirror_block(&self, cfg: &StreamConfig) -> Option<StreamSourceInfo> {
        let snap = self.mirrors.get(&cfg.name).map(|h| h.snapshot());
        let mut info = source_info(cfg, snap.as_ref())?;
        if let (Some(snap), Some(stream)) = (&snap, self.account.stream(&cfg.name)) {
            // Received but not yet written (batches on their way to the store) is
            // lag too: the driver's lag counts from what it received.
            let stored = stream.store().state(false).last_seq;
            info.lag = info
                .lag
                .saturating_add(snap.last_seq.saturating_sub(stored));
        }
        if let Some(lm) = self.local_mirrors.get(&cfg.name) {
            lm.fill(&mut info, std::time::Instant::now());
        }
        if info.error.is_none() {
            info.error = self.mirror_ops.store_error(&cfg.name).cloned();
        }
        Some(info)
    }

    /// Mirror streams running here and the last origin sequence each handled.
    fn running_mirrors(&self) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = self
            .mirrors
            .iter()
            .map(|(n, h)| (n.clone(), h.snapshot().last_seq))
            .collect();
        out.extend(
            self.local_mirrors
                .iter()
                .map(|(n, lm)| (n.clone(), lm.last_seq())),
        );
        out.sort();
        out
    }

    /// Per tick: stall/recovery advisories, and `mirror_direct` subscriptions for
    /// mirrors that have caught up.
    pub(super) fn mirror_tick(&mut self) {
        self.sync_local_mirrors_within(super::local_mirror::TICK_SYNC_TIME_BUDGET);
        let now = std::time::Instant::now();
        let domain = self.account.domain().to_string();
        for (name, last_seq) in self.running_mirrors() {
            let Some(cfg) = self.account.stream(&name).map(|s| s.config().clone()) else {
                continue;
            };
            let Some(info) = self.mirror_block(&cfg) else {
                continue;
            };
            let o = super::mirror_health::Observation {
                stream: &name,
                info: &info,
                last_seq,
            };
            if let Some(adv) = self.mirror_ops.observe(&o, &domain, now, super::now_ns()) {
                self.advisory_seq += 1;
                let id = super::advisory_id(&self.state.server_id, self.advisory_seq);
                let (subject, payload) = super::mirror_health::encode(adv, &id);
                self.out.push(super::Outgoing {
                    subject,
                    wire_subject: None,
                    reply: None,
                    headers: None,
                    payload,
                });
            }
            if cfg.mirror_direct
                && !self.mirror_ops.direct_subs.contains_key(&name)
                && info.active >= 0
                && info.lag < super::mirror_health::DIRECT_CAUGHT_UP
            {
                self.subscribe_mirror_direct(&name, &info.name);
            }
        }
    }

    /// `/healthz` error texts of stalled mirrors.
    pub(super) fn stalled_mirrors(&self) -> Vec<String> {
        let infos: Vec<(String, StreamSourceInfo)> = self
            .running_mirrors()
            .into_iter()
            .filter_map(|(name, _)| {
                let s = self.account.stream(&name)?;
                Some((name, self.mirror_block(s.config())?))
            })
            .collect();
        self.mirror_ops
            .stalled(&self.acc.name, &infos, std::time::Instant::now())
    }

    /// Subscribes `subject` in queue group `queue` for the JetStream task.
    pub(super) fn subscribe_queue(
        &mut self,
        subject: &str,
        queue: &str,
        sid: &str,
    ) -> Option<crate::router::Sub> {
        match self
            .state
            .subscribe_internal(subject, Some(queue), sid, self.handler.clone())
        {
            Ok(s) => Some(s),
            Err(_) => {
                tracing::warn!(subject, "cannot subscribe the JetStream service");
                None
            }
        }
    }

    /// nats-server's subscribeToMirrorDirect: the mirror answers direct gets for its
    /// ORIGIN's name, in the `_sys_` queue group shared with the origin's own
    /// direct-get subscribers.
    fn subscribe_mirror_direct(&mut self, mirror: &str, origin: &str) {
        let mut prefixes = vec!["$JS.API".to_string()];
        let domain = self.account.domain().to_string();
        if !domain.is_empty() {
            prefixes.push(format!("$JS.{domain}.API"));
        }
        let sid = format!("mdirect.{mirror}");
        let mut subs = Vec::new();
        for p in prefixes {
            for subject in [
                format!("{p}.DIRECT.GET.{origin}"),
                format!("{p}.DIRECT.GET.{origin}.>"),
            ] {
                if let Some(s) = self.subscribe_queue(&subject, DIRECT_GET_QUEUE, &sid) {
                    subs.push(s);
                }
            }
        }
        tracing::info!(stream = %mirror, origin = %origin, "mirror serves direct gets for its origin");
        self.mirror_ops.direct_subs.insert(mirror.to_string(), subs);
    }

    /// A direct get for the origin, answered from mirror `sid` = `mdirect.<mirror>`.
    pub(super) fn mirror_direct_get(&mut self, m: crate::internal::InternalMsg) {
        let Some(mirror) = std::str::from_utf8(&m.sid)
            .ok()
            .and_then(|s| s.strip_prefix("mdirect."))
            .map(str::to_string)
        else {
            return;
        };
        let Some(s) = self.account.stream(&mirror) else {
            return;
        };
        // `$JS[.<domain>].API.DIRECT.GET.<origin>[.<subject>]`
        let tokens: Vec<&str> = m.subject.split('.').collect();
        let Some(at) = tokens.iter().position(|t| *t == "DIRECT") else {
            return;
        };
        let rest = tokens.get(at + 3..).unwrap_or_default();
        let subject = rest.join(".");
        let last = (!rest.is_empty()).then_some(subject.as_str());
        let max_pending = usize::try_from(self.state.opts().max_pending).unwrap_or(0);
        let replies = s.direct_get(&m.payload, last, max_pending);
        if let Some(to) = m.reply {
            for (headers, payload) in replies {
                self.out.push(super::Outgoing {
                    subject: to.clone(),
                    wire_subject: None,
                    reply: None,
                    headers: Some(headers),
                    payload,
                });
            }
        }
    }

    /// Stops every mirror-side activity of stream `name` (deleted, promoted).
    pub(super) fn forget_mirror(&mut self, name: &str) {
        self.local_mirrors.remove(name);
        for s in self.mirror_ops.forget(name) {
            self.state.unsubscribe_internal(&s);
        }
    }
}

/// nats-server's `dgetGroup`: direct-get subscribers of a stream and of its
/// `mirror_direct` mirrors share it, so one of them answers each request.
pub(super) const DIRECT_GET_QUEUE: &str = "_sys_";
