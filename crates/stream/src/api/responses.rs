//! API response envelopes: every reply starts with `"type"`, then either `"error"` or the
//! success fields (paged replies keep `total/offset/limit` after an error, as nats-server
//! does). Also account info and the NAMES/LIST paging constants.

use serde::Serialize;

use super::consumer::ConsumerInfo;
use super::stream::{ApiStoredMsg, StreamConfig, StreamInfo, StreamState};
use super::time::rfc3339;
use super::{json, ApiError};

/// The `"type"` strings (prefix `io.nats.jetstream.api.v1.`).
pub mod types {
    pub const ACCOUNT_INFO: &str = "io.nats.jetstream.api.v1.account_info_response";
    pub const STREAM_CREATE: &str = "io.nats.jetstream.api.v1.stream_create_response";
    pub const STREAM_UPDATE: &str = "io.nats.jetstream.api.v1.stream_update_response";
    pub const STREAM_DELETE: &str = "io.nats.jetstream.api.v1.stream_delete_response";
    pub const STREAM_INFO: &str = "io.nats.jetstream.api.v1.stream_info_response";
    pub const STREAM_LIST: &str = "io.nats.jetstream.api.v1.stream_list_response";
    pub const STREAM_NAMES: &str = "io.nats.jetstream.api.v1.stream_names_response";
    pub const STREAM_PURGE: &str = "io.nats.jetstream.api.v1.stream_purge_response";
    pub const STREAM_MSG_GET: &str = "io.nats.jetstream.api.v1.stream_msg_get_response";
    pub const STREAM_MSG_DELETE: &str = "io.nats.jetstream.api.v1.stream_msg_delete_response";
    pub const STREAM_LEADER_STEPDOWN: &str =
        "io.nats.jetstream.api.v1.stream_leader_stepdown_response";
    pub const STREAM_REMOVE_PEER: &str = "io.nats.jetstream.api.v1.stream_remove_peer_response";
    pub const CONSUMER_CREATE: &str = "io.nats.jetstream.api.v1.consumer_create_response";
    pub const CONSUMER_INFO: &str = "io.nats.jetstream.api.v1.consumer_info_response";
    pub const CONSUMER_LIST: &str = "io.nats.jetstream.api.v1.consumer_list_response";
    pub const CONSUMER_NAMES: &str = "io.nats.jetstream.api.v1.consumer_names_response";
    pub const CONSUMER_DELETE: &str = "io.nats.jetstream.api.v1.consumer_delete_response";
    pub const CONSUMER_LEADER_STEPDOWN: &str =
        "io.nats.jetstream.api.v1.consumer_leader_stepdown_response";
    pub const STREAM_ACTION_ADVISORY: &str = "io.nats.jetstream.advisory.v1.stream_action";
    pub const CONSUMER_ACTION_ADVISORY: &str = "io.nats.jetstream.advisory.v1.consumer_action";
    pub const MAX_DELIVER_ADVISORY: &str = "io.nats.jetstream.advisory.v1.max_deliver";
    pub const NAK_ADVISORY: &str = "io.nats.jetstream.advisory.v1.nak";
    pub const TERMINATED_ADVISORY: &str = "io.nats.jetstream.advisory.v1.terminated";
}

/// `JSApiNamesLimit` / `JSApiListLimit`.
pub const NAMES_LIMIT: usize = 1024;
pub const LIST_LIMIT: usize = 256;
/// JetStream API level served (`_nats.level`).
pub const API_LEVEL: u32 = 5;
/// Server version reported in `_nats.ver`.
pub const SERVER_VERSION: &str = "2.15.1";

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    error: &'a ApiError,
}

#[derive(Serialize)]
struct PagedErrorEnvelope<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    error: &'a ApiError,
    total: u64,
    offset: u64,
    limit: u64,
}

/// `{"type":…,<body fields>}`.
pub fn success<T: Serialize>(kind: &str, body: &T) -> Vec<u8> {
    json::encode(&Envelope { kind, body })
}

/// `{"type":…,"error":{…}}`.
pub fn error(kind: &str, err: &ApiError) -> Vec<u8> {
    json::encode(&ErrorEnvelope { kind, error: err })
}

/// `{"type":…,"error":{…},"total":0,"offset":0,"limit":0}` (INFO, NAMES, LIST).
pub fn paged_error(kind: &str, err: &ApiError) -> Vec<u8> {
    json::encode(&PagedErrorEnvelope {
        kind,
        error: err,
        total: 0,
        offset: 0,
        limit: 0,
    })
}

/// `{"type":…,"error":{…},"purged":0}` (PURGE errors keep the non-omitempty `purged`).
pub fn purge_error(err: &ApiError) -> Vec<u8> {
    #[derive(Serialize)]
    struct E<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        error: &'a ApiError,
        purged: u64,
    }
    json::encode(&E {
        kind: types::STREAM_PURGE,
        error: err,
        purged: 0,
    })
}

/// `{"success":true}` bodies (stream/consumer delete, msg delete).
#[derive(Debug, Clone, Serialize)]
pub struct Success {
    pub success: bool,
}

/// `STREAM.PURGE` body.
#[derive(Debug, Clone, Serialize)]
pub struct PurgeResponse {
    pub success: bool,
    pub purged: u64,
}

/// `STREAM.CREATE` body.
#[derive(Debug, Clone, Serialize)]
pub struct StreamCreateResponse<'a> {
    #[serde(flatten)]
    pub info: &'a StreamInfo,
    pub did_create: bool,
}

/// `STREAM.INFO` body: paging header then the info.
#[derive(Debug, Clone, Serialize)]
pub struct StreamInfoResponse<'a> {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    #[serde(flatten)]
    pub info: &'a StreamInfo,
}

#[derive(Debug, Clone, Serialize)]
pub struct StreamNamesResponse {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    /// `null` when empty: nats-server leaves this slice nil (unlike the other lists).
    #[serde(serialize_with = "null_if_empty")]
    pub streams: Vec<String>,
}

fn null_if_empty<S: serde::Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
    if v.is_empty() {
        s.serialize_none()
    } else {
        s.collect_seq(v)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StreamListResponse {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub streams: Vec<StreamInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsumerNamesResponse {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub consumers: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsumerListResponse {
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub consumers: Vec<ConsumerInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MsgGetResponse {
    pub message: ApiStoredMsg,
}

/// `$JS.API.INFO` body (nats-server `JetStreamAccountStats`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct AccountInfo {
    pub memory: u64,
    pub storage: u64,
    pub reserved_memory: u64,
    pub reserved_storage: u64,
    pub streams: u64,
    pub consumers: u64,
    pub limits: AccountLimits,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    pub api: ApiStats,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountLimits {
    pub max_memory: i64,
    pub max_storage: i64,
    pub max_streams: i64,
    pub max_consumers: i64,
    pub max_ack_pending: i64,
    pub memory_max_stream_bytes: i64,
    pub storage_max_stream_bytes: i64,
    pub max_bytes_required: bool,
}

impl Default for AccountLimits {
    fn default() -> Self {
        AccountLimits {
            max_memory: -1,
            max_storage: -1,
            max_streams: -1,
            max_consumers: -1,
            max_ack_pending: -1,
            memory_max_stream_bytes: -1,
            storage_max_stream_bytes: -1,
            max_bytes_required: false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiStats {
    pub level: u32,
    pub total: u64,
    pub errors: u64,
}

impl Default for ApiStats {
    fn default() -> Self {
        ApiStats {
            level: API_LEVEL,
            total: 0,
            errors: 0,
        }
    }
}

/// Paging over a sorted list: the window at `offset` (clamped like nats-server) of at most
/// `limit` items, plus the header values.
pub fn page<T: Clone>(items: &[T], offset: i64, limit: usize) -> (Vec<T>, u64, u64, u64) {
    let total = items.len();
    let off = usize::try_from(offset.max(0))
        .unwrap_or(usize::MAX)
        .min(total);
    let end = off.saturating_add(limit).min(total);
    let window = items.get(off..end).map(<[T]>::to_vec).unwrap_or_default();
    (window, total as u64, off as u64, limit as u64)
}

/// `$JS.EVENT.ADVISORY.STREAM.<action>.<stream>` body.
#[derive(Debug, Clone, Serialize)]
pub struct StreamActionAdvisory<'a> {
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub id: &'a str,
    #[serde(with = "rfc3339")]
    pub timestamp: i64,
    pub stream: &'a str,
    pub action: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub domain: &'a str,
}

/// Config and state of a stream as seen in a restore request (kept for the server's use).
#[derive(Debug, Clone, Serialize)]
pub struct StreamRestoreBody<'a> {
    pub config: &'a StreamConfig,
    pub state: &'a StreamState,
}
