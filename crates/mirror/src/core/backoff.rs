//! Timing constants of a mirror consumer and the retry back-off (mirror.md §6;
//! nats-server `server/stream.go`: sourceHealthHB, sourceConsumerRetryThreshold,
//! retryBackOff, retryMaximum, srcConsumerWaitTime, func calculateRetryBackoff).

use std::time::Duration;

/// Idle heartbeat the mirror consumer asks for (`idle_heartbeat`).
pub const IDLE_HEARTBEAT: Duration = Duration::from_secs(1);
/// The origin deletes the consumer this long after the mirror stops listening
/// (`inactive_threshold`).
pub const INACTIVE_THRESHOLD: Duration = Duration::from_secs(10);
/// Ack wait sent in the create request (22 h).
pub const ACK_WAIT: Duration = Duration::from_secs(22 * 3600);
/// jetmirror's stall threshold: nothing (data, heartbeat, flow control) for three
/// heartbeat intervals recreates the consumer. nats-server waits 10–20 s; a mirror
/// must never go silently stale, so we use 3 missed heartbeats.
pub const STALL_AFTER: Duration = Duration::from_secs(3);
/// Minimum spacing between two consumer-create requests.
pub const RETRY_THRESHOLD: Duration = Duration::from_secs(2);
/// Back-off base.
pub const RETRY_BACKOFF: Duration = Duration::from_secs(5);
/// Back-off cap.
pub const RETRY_MAXIMUM: Duration = Duration::from_secs(120);
/// How long a create request waits for its reply.
pub const CREATE_REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the answer to a durable consumer's reset is awaited (nats-server
/// `srcDurableConsumerWaitTime`): nothing has to be created.
pub const RESET_REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// First setup after the mirror starts: uniform jitter in [100 ms, 200 ms).
pub const JITTER_MIN: Duration = Duration::from_millis(100);
/// Width of the jitter window.
pub const JITTER_SPAN: Duration = Duration::from_millis(100);
/// How often the origin's STREAM.INFO is polled for the lag.
pub const ORIGIN_INFO_INTERVAL: Duration = Duration::from_secs(2);
/// The lag estimate starts this long plus two of the origin's recent message spacings
/// after the mirror was last known current.
pub const SILENCE_GRACE: Duration = Duration::from_millis(50);
/// Heartbeats in a row that report the same `Nats-Consumer-Stalled` subject after we
/// answered it before the flow control counts as unanswered and the consumer is
/// recreated.
pub const STALLED_HEARTBEATS_LIMIT: u32 = 3;

/// `min(5 s × 2 × fails, 2 min)`: 0, 10 s, 20 s, … 120 s.
pub fn retry_backoff(fails: u32) -> Duration {
    RETRY_BACKOFF
        .saturating_mul(fails.saturating_mul(2))
        .min(RETRY_MAXIMUM)
}

/// The delay before the next setup: the rest of the 2 s spacing since the last
/// request, plus the back-off for `fails`, plus `jitter` (drawn by the caller in
/// [`JITTER_MIN`], `JITTER_MIN + JITTER_SPAN`).
pub fn retry_delay(since_last_request: Option<Duration>, fails: u32, jitter: Duration) -> Duration {
    let spacing = since_last_request
        .map(|since| RETRY_THRESHOLD.saturating_sub(since))
        .unwrap_or_default();
    spacing + retry_backoff(fails) + jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_like_nats_server() {
        let secs: Vec<u64> = (0..15).map(|f| retry_backoff(f).as_secs()).collect();
        assert_eq!(
            secs,
            vec![0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 120, 120]
        );
        assert_eq!(retry_backoff(u32::MAX), RETRY_MAXIMUM);
    }

    #[test]
    fn delay_includes_spacing_backoff_and_jitter() {
        let j = Duration::from_millis(150);
        assert_eq!(retry_delay(None, 0, j), j);
        assert_eq!(
            retry_delay(Some(Duration::from_millis(500)), 1, j),
            Duration::from_millis(1500 + 10_000 + 150)
        );
        assert_eq!(
            retry_delay(Some(Duration::from_secs(9)), 2, j),
            Duration::from_millis(20_150)
        );
    }
}
