//! The `/jsz` snapshot: the monitor asks each account's JetStream task (which owns the
//! account's streams) through the channels in `ServerState::jsz_queries`, and gets the
//! account totals and per-stream details back.

use jetmirror_stream::api::stream::ClusterInfo;
use serde_json::{Map, Value};
use tokio::sync::oneshot;

use crate::server::ServerState;

use super::{now_ns, Service};

/// What `/jsz` asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct JszOptions {
    /// Include `stream_detail` (else only the account totals).
    pub streams: bool,
    /// Include `consumer_detail` in each stream.
    pub consumers: bool,
    /// Include stream and consumer `config`.
    pub config: bool,
}

/// One request to the JetStream task.
pub struct JszQuery {
    pub opts: JszOptions,
    pub reply: oneshot::Sender<JszSnapshot>,
}

/// The JetStream task's answer.
#[derive(Debug, Clone, Default)]
pub struct JszSnapshot {
    pub memory: u64,
    pub storage: u64,
    pub streams: u64,
    pub consumers: u64,
    pub messages: u64,
    pub bytes: u64,
    pub api_level: u32,
    pub api_total: u64,
    pub api_errors: u64,
    /// The account's `max_mem` / `max_file` limits (-1: none), shown as its reservations.
    pub max_memory: i64,
    pub max_storage: i64,
    /// `stream_detail[]` entries, in nats-server's key order, sorted by name.
    pub stream_detail: Vec<Value>,
    /// `/healthz` errors of mirrors that stalled, sorted by stream.
    pub stalled_mirrors: Vec<String>,
}

/// Asks every account's JetStream service for a snapshot, by account name (sorted); empty
/// when none runs (JetStream disabled, or shutting down).
pub async fn query(state: &ServerState, opts: JszOptions) -> Vec<(String, JszSnapshot)> {
    let services: Vec<_> = state
        .jsz_queries
        .lock()
        .iter()
        .map(|(n, tx)| (n.clone(), tx.clone()))
        .collect();
    let mut out = Vec::new();
    for (name, tx) in services {
        let (reply, rx) = oneshot::channel();
        if tx.send(JszQuery { opts, reply }).await.is_err() {
            continue;
        }
        if let Ok(snap) = rx.await {
            out.push((name, snap));
        }
    }
    out
}

fn take(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    map.remove(key)
}

impl Service {
    pub(super) fn jsz(&self, q: JszQuery) {
        let now = now_ns();
        let acc = self.account.info();
        let mut snap = JszSnapshot {
            memory: acc.memory,
            storage: acc.storage,
            streams: acc.streams,
            consumers: acc.consumers,
            api_level: acc.api.level,
            api_total: self.api_total,
            api_errors: self.api_errors,
            max_memory: self.limits.max_memory,
            max_storage: self.limits.max_file,
            stalled_mirrors: self.stalled_mirrors(),
            ..Default::default()
        };
        let mut names = self.stream_names();
        names.sort();
        for name in names {
            let Some(s) = self.account.stream(&name) else {
                continue;
            };
            let mut info = s.info(now, false, None);
            snap.messages += info.state.messages;
            snap.bytes += info.state.bytes;
            if !q.opts.streams {
                continue;
            }
            info.mirror = self.mirror_info(&info.config);
            let Ok(Value::Object(mut m)) = serde_json::to_value(&info) else {
                continue;
            };
            let mut d = Map::new();
            d.insert("name".into(), Value::String(name.clone()));
            d.insert(
                "created".into(),
                take(&mut m, "created").unwrap_or(Value::Null),
            );
            let cluster = ClusterInfo {
                name: self.state.cluster_name(),
                leader: self.state.server_name.clone(),
            };
            d.insert(
                "cluster".into(),
                serde_json::to_value(&cluster).unwrap_or(Value::Null),
            );
            if q.opts.config {
                if let Some(c) = take(&mut m, "config") {
                    d.insert("config".into(), c);
                }
            }
            d.insert("state".into(), take(&mut m, "state").unwrap_or(Value::Null));
            if q.opts.consumers {
                let mut cnames = s.consumer_names();
                cnames.sort();
                let list: Vec<Value> = cnames
                    .iter()
                    .filter_map(|c| s.consumer_info(c, now))
                    .map(|mut ci| {
                        if !q.opts.config {
                            ci.config = None;
                        }
                        serde_json::to_value(&ci).unwrap_or(Value::Null)
                    })
                    .collect();
                if !list.is_empty() {
                    d.insert("consumer_detail".into(), Value::Array(list));
                }
            }
            if let Some(mirror) = take(&mut m, "mirror") {
                d.insert("mirror".into(), mirror);
            }
            if let Some(Value::Array(sources)) = take(&mut m, "sources") {
                if !sources.is_empty() {
                    d.insert("sources".into(), Value::Array(sources));
                }
            }
            snap.stream_detail.push(Value::Object(d));
        }
        let _ = q.reply.send(snap);
    }
}
