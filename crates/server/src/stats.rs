//! Message and byte counters, kept per connection and per server with relaxed atomics.

use std::sync::atomic::{AtomicU64, Ordering};

/// In/out message and byte counters.
#[derive(Debug, Default)]
pub struct Counters {
    pub in_msgs: AtomicU64,
    pub in_bytes: AtomicU64,
    pub out_msgs: AtomicU64,
    pub out_bytes: AtomicU64,
}

impl Counters {
    pub fn add_in(&self, bytes: usize) {
        self.in_msgs.fetch_add(1, Ordering::Relaxed);
        self.in_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn add_out(&self, bytes: usize) {
        self.out_msgs.fetch_add(1, Ordering::Relaxed);
        self.out_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            in_msgs: self.in_msgs.load(Ordering::Relaxed),
            in_bytes: self.in_bytes.load(Ordering::Relaxed),
            out_msgs: self.out_msgs.load(Ordering::Relaxed),
            out_bytes: self.out_bytes.load(Ordering::Relaxed),
        }
    }
}

/// A point-in-time copy of [`Counters`].
#[derive(Debug, Default, Clone, Copy)]
pub struct CounterSnapshot {
    pub in_msgs: u64,
    pub in_bytes: u64,
    pub out_msgs: u64,
    pub out_bytes: u64,
}

/// Server-wide counters beyond messages and bytes.
#[derive(Debug, Default)]
pub struct ServerCounters {
    pub msgs: Counters,
    pub total_connections: AtomicU64,
    pub slow_consumers: AtomicU64,
    pub stale_connections: AtomicU64,
}
