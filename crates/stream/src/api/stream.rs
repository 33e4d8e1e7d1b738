//! Stream types: `StreamConfig` (nats-server `server/stream.go`, type StreamConfig), its
//! sub-objects, `StreamInfo`, the API `StreamState`, `PubAck`, and the purge, msg get and
//! msg delete request/response bodies. Field order is Go's; see the spec §3.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::time::{rfc3339, rfc3339_opt};
use super::{is_false, is_zero_i32, is_zero_i64, is_zero_u64, ApiError};

/// `retention`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RetentionPolicy {
    #[default]
    #[serde(rename = "limits")]
    Limits,
    #[serde(rename = "interest")]
    Interest,
    #[serde(rename = "workqueue")]
    WorkQueue,
}

/// `discard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DiscardPolicy {
    #[default]
    #[serde(rename = "old")]
    Old,
    #[serde(rename = "new")]
    New,
}

/// `storage`. nats-server's zero value is file storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum StorageType {
    #[default]
    #[serde(rename = "file")]
    File,
    #[serde(rename = "memory")]
    Memory,
}

/// `compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Compression {
    #[default]
    #[serde(rename = "none")]
    None,
    #[serde(rename = "s2")]
    S2,
}

/// `persist_mode` (omitted when default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PersistMode {
    #[default]
    #[serde(rename = "default")]
    Default,
    #[serde(rename = "async")]
    Async,
}

impl PersistMode {
    fn is_default(&self) -> bool {
        *self == PersistMode::Default
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Placement {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub preferred: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SubjectTransformConfig {
    #[serde(rename = "src", default)]
    pub source: String,
    #[serde(rename = "dest", default)]
    pub destination: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RePublish {
    #[serde(rename = "src", default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(rename = "dest", default)]
    pub destination: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub headers_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExternalStream {
    #[serde(rename = "api", default)]
    pub api_prefix: String,
    #[serde(rename = "deliver", default)]
    pub deliver_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StreamConsumerSource {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub deliver_subject: String,
}

/// A mirror or source (`StreamSource`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StreamSource {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub opt_start_seq: u64,
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub opt_start_time: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filter_subject: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_transforms: Vec<SubjectTransformConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalStream>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer: Option<StreamConsumerSource>,
}

/// `consumer_limits` (always present, `{}` when empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StreamConsumerLimits {
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub inactive_threshold: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_ack_pending: i64,
}

/// nats-server's `StreamConfig`. Deserializing accepts any subset (missing = Go zero value);
/// [`crate::validate::check_stream_config`] fills the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StreamConfig {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub subjects: Vec<String>,
    #[serde(default)]
    pub retention: RetentionPolicy,
    #[serde(default)]
    pub max_consumers: i64,
    #[serde(default)]
    pub max_msgs: i64,
    #[serde(default)]
    pub max_bytes: i64,
    /// ns
    #[serde(default)]
    pub max_age: i64,
    #[serde(default)]
    pub max_msgs_per_subject: i64,
    #[serde(default, skip_serializing_if = "is_zero_i32")]
    pub max_msg_size: i32,
    #[serde(default)]
    pub discard: DiscardPolicy,
    #[serde(default)]
    pub storage: StorageType,
    #[serde(default)]
    pub num_replicas: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_ack: bool,
    /// ns
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub duplicate_window: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror: Option<StreamSource>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub sources: Vec<StreamSource>,
    #[serde(default)]
    pub compression: Compression,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub first_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_transform: Option<SubjectTransformConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub republish: Option<RePublish>,
    #[serde(default)]
    pub allow_direct: bool,
    #[serde(default)]
    pub mirror_direct: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub discard_new_per_subject: bool,
    #[serde(default)]
    pub sealed: bool,
    #[serde(default)]
    pub deny_delete: bool,
    #[serde(default)]
    pub deny_purge: bool,
    #[serde(default)]
    pub allow_rollup_hdrs: bool,
    #[serde(default)]
    pub consumer_limits: StreamConsumerLimits,
    #[serde(default)]
    pub allow_msg_ttl: bool,
    /// ns
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub subject_delete_marker_ttl: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_msg_counter: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_atomic: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_msg_schedules: bool,
    #[serde(default, skip_serializing_if = "PersistMode::is_default")]
    pub persist_mode: PersistMode,
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_batched: bool,
    /// Go maps serialize with sorted keys, hence a `BTreeMap`.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub metadata: BTreeMap<String, String>,
}

/// Go decodes `null` into a slice/map as "leave it zero".
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `STREAM.CREATE`/`UPDATE` body: the config plus `pedantic`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct StreamCreateRequest {
    #[serde(flatten)]
    pub config: StreamConfig,
    #[serde(default)]
    pub pedantic: bool,
}

/// The API form of the stream state (nats-server `server/store.go`, type StreamState).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StreamState {
    pub messages: u64,
    pub bytes: u64,
    pub first_seq: u64,
    #[serde(with = "rfc3339", rename = "first_ts")]
    pub first_ts: i64,
    pub last_seq: u64,
    #[serde(with = "rfc3339", rename = "last_ts")]
    pub last_ts: i64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub num_subjects: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subjects: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub num_deleted: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost: Option<LostStreamData>,
    pub consumer_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LostStreamData {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub msgs: Vec<u64>,
    pub bytes: u64,
}

/// `cluster` in StreamInfo / ConsumerInfo.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ClusterInfo {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub leader: String,
}

/// `mirror` / `sources[]` in StreamInfo (filled by the mirror crate later).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StreamSourceInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalStream>,
    pub lag: u64,
    /// The last source sequence copied (nats-server 2.15 shows it when not zero).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub seq: u64,
    /// ns since last contact, -1 when never.
    pub active: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filter_subject: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subject_transforms: Vec<SubjectTransformConfig>,
}

/// nats-server's `StreamInfo` (without the response envelope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub config: StreamConfig,
    #[serde(with = "rfc3339")]
    pub created: i64,
    pub state: StreamState,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub domain: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror: Option<StreamSourceInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<StreamSourceInfo>,
    #[serde(rename = "ts", with = "rfc3339")]
    pub ts: i64,
}

/// `STREAM.INFO` request body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct StreamInfoRequest {
    #[serde(default)]
    pub deleted_details: bool,
    #[serde(default)]
    pub subjects_filter: String,
    #[serde(default)]
    pub offset: i64,
}

/// `STREAM.PURGE` request body (`seq` exclusive upper bound, `keep` newest N).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PurgeRequest {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub filter: String,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub seq: u64,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub keep: u64,
}

/// `STREAM.MSG.DELETE` request body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MsgDeleteRequest {
    #[serde(default)]
    pub seq: u64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_erase: bool,
}

/// `STREAM.MSG.GET` / `DIRECT.GET` request body (nats-server `JSApiMsgGetRequest`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MsgGetRequest {
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub seq: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_by_subj: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub next_by_subj: String,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub batch: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_bytes: i64,
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub multi_last: Vec<String>,
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub up_to_seq: u64,
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub up_to_time: Option<i64>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_hdr: bool,
}

/// A stored message in `STREAM.MSG.GET` replies (nats-server `StoredMsg`): `hdrs` and `data`
/// are base64, `hdrs` omitted when empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiStoredMsg {
    pub subject: String,
    pub seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hdrs: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(with = "rfc3339")]
    pub time: i64,
}

impl ApiStoredMsg {
    pub fn from_stored(m: &jetmirror_store::StoredMsg) -> ApiStoredMsg {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        ApiStoredMsg {
            subject: m.subject.clone(),
            seq: m.seq,
            hdrs: (!m.headers.is_empty()).then(|| b64.encode(&m.headers)),
            data: (!m.payload.is_empty()).then(|| b64.encode(&m.payload)),
            time: m.ts_ns,
        }
    }
}

/// The publish acknowledgement. Success and duplicate replies are built as text by
/// [`PubAck::encode`], as nats-server builds them (note `"duplicate": true` with a space);
/// the error form goes through the JSON encoder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubAck {
    pub stream: String,
    pub seq: u64,
    pub domain: String,
    pub duplicate: bool,
}

impl PubAck {
    /// `{"stream":"T1","seq":1}`, `{"stream":"T1","domain":"D","seq":1}`,
    /// `{"stream":"T1","seq":2,"duplicate": true}`.
    pub fn encode(&self) -> Vec<u8> {
        let stream = String::from_utf8(super::json::encode(&self.stream)).unwrap_or_default();
        let mut s = if self.domain.is_empty() {
            format!("{{\"stream\":{stream},\"seq\":{}", self.seq)
        } else {
            let domain = String::from_utf8(super::json::encode(&self.domain)).unwrap_or_default();
            format!(
                "{{\"stream\":{stream},\"domain\":{domain},\"seq\":{}",
                self.seq
            )
        };
        if self.duplicate {
            s.push_str(",\"duplicate\": true}");
        } else {
            s.push('}');
        }
        s.into_bytes()
    }

    /// `{"error":{…},"stream":"T1","seq":0}`.
    pub fn encode_error(stream: &str, err: &ApiError) -> Vec<u8> {
        #[derive(Serialize)]
        struct E<'a> {
            error: &'a ApiError,
            stream: &'a str,
            seq: u64,
        }
        super::json::encode(&E {
            error: err,
            stream,
            seq: 0,
        })
    }
}
