//! Error types: `StoreError` for storage failures, `WriteError` for refused or failed writes.
//!
//! `WriteError`'s limit variants carry nats-server's texts exactly, so the JetStream layer can
//! map them onto API codes (10054 for `MsgTooLarge`, 10077 "stream store failed" for the rest).

use std::path::PathBuf;

/// A storage failure, naming what was done to which file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("segment {path} offset {offset}: {reason}")]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error("store is poisoned after a failed fsync: {0}")]
    Poisoned(String),
    #[error("sequence {seq} not found")]
    NotFound { seq: u64 },
    #[error("stream store EOF")]
    Eof,
    #[error("snapshot: {0}")]
    Snapshot(String),
    #[error("restore target {path} is not empty")]
    NotEmpty { path: PathBuf },
    #[error("invalid argument: {0}")]
    Invalid(String),
}

impl StoreError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// Why a write (append, store_at, skip_to) was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// discard new, `max_msgs` reached (nats `ErrMaxMsgs`).
    #[error("maximum messages exceeded")]
    MaxMsgs,
    /// discard new, `max_bytes` reached (nats `ErrMaxBytes`).
    #[error("maximum bytes exceeded")]
    MaxBytes,
    /// discard new per subject, `max_msgs_per_subject` reached (nats `ErrMaxMsgsPerSubject`).
    #[error("maximum messages per subject exceeded")]
    MaxMsgsPerSubject,
    /// headers + payload larger than `max_msg_size` (JetStream error 10054).
    #[error("message size exceeds maximum allowed")]
    MsgTooLarge,
    /// `store_at`/`skip_to` at a sequence not above the last one (nats `ErrSequenceMismatch`).
    #[error("expected sequence does not match store: got {seq}, last_seq {last_seq}")]
    SequenceMismatch { seq: u64, last_seq: u64 },
    #[error("invalid message: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}
