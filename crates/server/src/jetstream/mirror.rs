//! Mirrors of streams on the upstream nats-server: one `jetmirror_mirror` driver per
//! mirror stream. The driver's sink hands each batch of stores and skips to the
//! JetStream task ([`MirrorBatch`]), which applies them as `MirrorStore` / `MirrorSkip`
//! commands in its own batches (flushed like publishes) and answers once they are
//! durable.

use jetmirror_config::UpstreamOptions;
use jetmirror_mirror::{
    MirrorConfig, MirrorSink, MirrorSnapshot, SinkOp, StoreError, StoreState, UpstreamClient,
    UpstreamConfig,
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

/// The sink of one mirror driver: it runs on a blocking thread and waits for the
/// JetStream task to apply (and make durable) each batch.
pub(super) struct ServiceSink {
    pub stream: String,
    pub state: StoreState,
    pub tx: mpsc::Sender<MirrorBatch>,
}

impl MirrorSink for ServiceSink {
    fn state(&self) -> StoreState {
        self.state
    }

    fn apply(&mut self, ops: Vec<SinkOp>) -> Result<(), StoreError> {
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
        if self.tx.blocking_send(batch).is_err() {
            return Err(StoreError::Other { seq });
        }
        let r = rx.blocking_recv().unwrap_or(Err(StoreError::Other { seq }));
        if let Err(StoreError::LastSeqMismatch { last_seq, .. }) = &r {
            self.state.last_seq = *last_seq;
        }
        r
    }
}

/// The upstream client's configuration from `upstream { … }`.
pub(super) fn upstream_config(opts: &UpstreamOptions, server_name: &str) -> UpstreamConfig {
    let mut cfg = UpstreamConfig::new(opts.urls.iter().cloned());
    cfg.user = opts.user.clone();
    cfg.password = opts.password.clone();
    cfg.token = opts.token.clone();
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
        return Err(ApiError::mirror_consumer_setup_failed(
            "jetmirror mirrors streams on its upstream only: the mirror needs external.api \
             (or domain) naming the upstream's JetStream API",
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
