//! The JetStream API data model: serde types whose JSON matches nats-server 2.15.1 byte for
//! byte (Go struct order = Rust field order, `omitempty` = `skip_serializing_if`, durations
//! as integer nanoseconds, times as RFC 3339 UTC), plus the error table.
//!
//! Parts: [`time`] (Go `time.Time` JSON), [`json`] (Go-compatible encoder), [`stream`]
//! (StreamConfig, StreamInfo, StreamState, PubAck, purge, msg get/delete), [`consumer`]
//! (ConsumerConfig, ConsumerInfo, create request, pull request), [`responses`] (envelopes and
//! `"type"` strings, paging, account info), `error_table` (every `ApiError` constructor).

pub mod consumer;
mod error_table;
pub mod go_json;
pub mod json;
pub mod responses;
pub mod stream;
pub mod time;

use serde::{Deserialize, Serialize};

/// nats-server's `ApiError`: `code` is HTTP-like, `err_code` the JetStream error code.
/// Constructors for every entry of nats-server's `server/errors.json` are generated in
/// `error_table.rs` (e.g. [`ApiError::stream_not_found`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{description} ({code}/{err_code})")]
pub struct ApiError {
    pub code: u16,
    #[serde(default, skip_serializing_if = "is_zero_u16")]
    pub err_code: u16,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

fn is_zero_u16(v: &u16) -> bool {
    *v == 0
}

impl ApiError {
    pub fn new(code: u16, err_code: u16, description: String) -> ApiError {
        ApiError {
            code,
            err_code,
            description,
        }
    }
}

/// `true` for Go's zero values, used by `skip_serializing_if` to mirror `omitempty`.
pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}
pub(crate) fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}
pub(crate) fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}
pub(crate) fn is_zero_i32(v: &i32) -> bool {
    *v == 0
}
