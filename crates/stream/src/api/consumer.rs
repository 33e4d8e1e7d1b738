//! Consumer types: `ConsumerConfig` (nats-server `server/consumer.go`, type ConsumerConfig),
//! `ConsumerInfo`, `SequenceInfo`, the create request and the pull (`MSG.NEXT`) request.
//! Field order is Go's; see the spec §4.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::stream::{null_as_default, ClusterInfo};
use super::time::{rfc3339, rfc3339_opt};
use super::{is_false, is_zero_i64, is_zero_u64};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DeliverPolicy {
    #[default]
    #[serde(rename = "all", alias = "undefined")]
    All,
    #[serde(rename = "last")]
    Last,
    #[serde(rename = "new")]
    New,
    #[serde(rename = "by_start_sequence")]
    ByStartSequence,
    #[serde(rename = "by_start_time")]
    ByStartTime,
    #[serde(rename = "last_per_subject")]
    LastPerSubject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AckPolicy {
    #[default]
    #[serde(rename = "none")]
    None,
    #[serde(rename = "all")]
    All,
    #[serde(rename = "explicit")]
    Explicit,
    #[serde(rename = "flow_control")]
    FlowControl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReplayPolicy {
    #[default]
    #[serde(rename = "instant")]
    Instant,
    #[serde(rename = "original")]
    Original,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PriorityPolicy {
    #[default]
    #[serde(rename = "none", alias = "")]
    None,
    #[serde(rename = "overflow")]
    Overflow,
    #[serde(rename = "pinned_client")]
    PinnedClient,
    #[serde(rename = "prioritized")]
    Prioritized,
}

impl PriorityPolicy {
    fn is_none(&self) -> bool {
        *self == PriorityPolicy::None
    }
}

/// nats-server's `ConsumerConfig`. Missing keys decode to Go zero values;
/// [`crate::validate::set_consumer_defaults`] fills the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ConsumerConfig {
    #[serde(
        rename = "durable_name",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub durable_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub deliver_policy: DeliverPolicy,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub opt_start_seq: u64,
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub opt_start_time: Option<i64>,
    #[serde(default)]
    pub ack_policy: AckPolicy,
    /// ns
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub ack_wait: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_deliver: i64,
    /// ns each
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub backoff: Vec<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filter_subject: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub filter_subjects: Vec<String>,
    #[serde(default)]
    pub replay_policy: ReplayPolicy,
    #[serde(
        rename = "rate_limit_bps",
        default,
        skip_serializing_if = "is_zero_u64"
    )]
    pub rate_limit: u64,
    #[serde(
        rename = "sample_freq",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub sample_frequency: String,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_waiting: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_ack_pending: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub flow_control: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub headers_only: bool,
    #[serde(rename = "max_batch", default, skip_serializing_if = "is_zero_i64")]
    pub max_request_batch: i64,
    /// ns
    #[serde(rename = "max_expires", default, skip_serializing_if = "is_zero_i64")]
    pub max_request_expires: i64,
    #[serde(rename = "max_bytes", default, skip_serializing_if = "is_zero_i64")]
    pub max_request_max_bytes: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub deliver_subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub deliver_group: String,
    /// ns
    #[serde(
        rename = "idle_heartbeat",
        default,
        skip_serializing_if = "is_zero_i64"
    )]
    pub heartbeat: i64,
    /// ns
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub inactive_threshold: i64,
    #[serde(rename = "num_replicas", default)]
    pub replicas: i64,
    #[serde(rename = "mem_storage", default, skip_serializing_if = "is_false")]
    pub memory_storage: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub direct: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub sourcing: bool,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub metadata: BTreeMap<String, String>,
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub pause_until: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub priority_groups: Vec<String>,
    #[serde(default, skip_serializing_if = "PriorityPolicy::is_none")]
    pub priority_policy: PriorityPolicy,
    /// ns
    #[serde(
        rename = "priority_timeout",
        default,
        skip_serializing_if = "is_zero_i64"
    )]
    pub pinned_ttl: i64,
}

impl ConsumerConfig {
    /// The subject filters, `filter_subject` or `filter_subjects` (empty = everything).
    pub fn filters(&self) -> Vec<String> {
        if !self.filter_subject.is_empty() {
            vec![self.filter_subject.clone()]
        } else {
            self.filter_subjects.clone()
        }
    }

    pub fn is_durable(&self) -> bool {
        !self.durable_name.is_empty()
    }

    pub fn is_push(&self) -> bool {
        !self.deliver_subject.is_empty()
    }
}

/// `action` in the create request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ConsumerAction {
    #[default]
    #[serde(rename = "")]
    CreateOrUpdate,
    #[serde(rename = "create")]
    Create,
    #[serde(rename = "update")]
    Update,
}

/// `CONSUMER.CREATE` / `DURABLE.CREATE` body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct CreateConsumerRequest {
    #[serde(rename = "stream_name", default)]
    pub stream: String,
    #[serde(default)]
    pub config: Option<ConsumerConfig>,
    #[serde(default)]
    pub action: ConsumerAction,
    #[serde(default)]
    pub pedantic: bool,
}

/// `delivered` / `ack_floor`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SequenceInfo {
    pub consumer_seq: u64,
    pub stream_seq: u64,
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub last_active: Option<i64>,
}

/// nats-server's `ConsumerInfo` (without the response envelope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerInfo {
    #[serde(rename = "stream_name")]
    pub stream: String,
    pub name: String,
    #[serde(with = "rfc3339")]
    pub created: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ConsumerConfig>,
    pub delivered: SequenceInfo,
    pub ack_floor: SequenceInfo,
    pub num_ack_pending: u64,
    pub num_redelivered: u64,
    pub num_waiting: u64,
    pub num_pending: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterInfo>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub push_bound: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub paused: bool,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub pause_remaining: i64,
    #[serde(with = "rfc3339")]
    pub ts: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority_groups: Vec<PriorityGroupState>,
}

/// `priority_groups[]` in ConsumerInfo (nats-server `PriorityGroupState`; `pinned_ts` is a
/// Go `time.Time`, so it is always present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityGroupState {
    pub group: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pinned_client_id: String,
    #[serde(with = "rfc3339")]
    pub pinned_ts: i64,
}

/// `CONSUMER.PAUSE` request body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct PauseRequest {
    #[serde(default, with = "rfc3339_opt")]
    pub pause_until: Option<i64>,
}

/// `CONSUMER.PAUSE` answer (after the `type`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PauseResponse {
    pub paused: bool,
    #[serde(with = "rfc3339")]
    pub pause_until: i64,
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub pause_remaining: i64,
}

/// `CONSUMER.UNPIN` request body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct UnpinRequest {
    #[serde(default)]
    pub group: String,
}

/// A pull request (`CONSUMER.MSG.NEXT` body): empty = batch 1, a bare integer = batch N,
/// or this JSON (nats-server `JSApiConsumerGetNextRequest`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NextRequest {
    /// ns
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub expires: i64,
    #[serde(default)]
    pub batch: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_bytes: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_wait: bool,
    /// ns
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub idle_heartbeat: i64,
    /// Priority group fields (nats-server `PriorityGroup`, embedded).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub min_pending: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub min_ack_pending: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub priority: i64,
    /// The body was a JSON object: nats-server then checks the priority group fields.
    #[serde(skip)]
    pub json: bool,
}

impl NextRequest {
    /// Parses a `MSG.NEXT` body the way nats-server's `nextReqFromMsg` does. The error text is
    /// what goes after `400 Bad Request - `.
    pub fn parse(body: &[u8]) -> Result<NextRequest, String> {
        let text = std::str::from_utf8(body).map_err(|e| e.to_string())?.trim();
        if text.is_empty() {
            return Ok(NextRequest {
                batch: 1,
                ..Default::default()
            });
        }
        if text.starts_with('{') {
            // Go leaves a field at its zero value for `null` (async-nats sends nulls).
            let mut v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
            crate::account::strip_nulls(&mut v);
            let mut r: NextRequest = serde_json::from_value(v).map_err(|e| e.to_string())?;
            if r.idle_heartbeat > 0 && r.idle_heartbeat.saturating_mul(2) > r.expires {
                return Err("heartbeat value too large".to_string());
            }
            if r.batch <= 0 {
                r.batch = 1;
            }
            r.json = true;
            return Ok(r);
        }
        match text.parse::<i64>() {
            Ok(n) => Ok(NextRequest {
                batch: n,
                ..Default::default()
            }),
            Err(_) => Ok(NextRequest {
                batch: 1,
                ..Default::default()
            }),
        }
    }
}
