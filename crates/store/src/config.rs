//! Store configuration: stream limits (nats-server's names and meanings) and the sync policy.

use std::time::Duration;

/// What to do when a limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Discard {
    /// Remove the oldest messages to make room (nats-server `discard: old`).
    #[default]
    Old,
    /// Refuse the new message (nats-server `discard: new`).
    New,
}

/// When appended data is made durable with fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncPolicy {
    /// Group commit (default): a write returns only after an fsync that covers it; concurrent
    /// writers share one fsync.
    #[default]
    Always,
    /// Write returns at once; a background thread fsyncs every interval (nats-server's
    /// `sync_interval`, whose default is 2 minutes).
    Interval(Duration),
    /// Never fsync except on `flush` and close.
    Never,
}

/// Limits and tuning for one store. `-1` (or any value `<= 0`) means unlimited for the
/// integer limits, `Duration::ZERO` for `max_age`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub max_msgs: i64,
    pub max_bytes: i64,
    pub max_age: Duration,
    pub max_msgs_per_subject: i64,
    pub max_msg_size: i32,
    pub discard: Discard,
    pub discard_new_per_subject: bool,
    /// A segment is sealed once it would grow past this many bytes (capped at 2 GiB).
    pub segment_size: u64,
    pub sync: SyncPolicy,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            max_msgs: -1,
            max_bytes: -1,
            max_age: Duration::ZERO,
            max_msgs_per_subject: -1,
            max_msg_size: -1,
            discard: Discard::Old,
            discard_new_per_subject: false,
            segment_size: 64 * 1024 * 1024,
            sync: SyncPolicy::Always,
        }
    }
}

impl StoreConfig {
    pub(crate) fn effective_segment_size(&self) -> u64 {
        self.segment_size.clamp(4096, 1 << 31)
    }
}
