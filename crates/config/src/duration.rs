//! Go's `time.ParseDuration`, which nats-server uses for duration strings.

use std::time::Duration;

/// Parse a Go duration string (`"1m30s"`, `"250ms"`, `"2h"`). Negative
/// durations are rejected (nats-server has none that make sense).
pub fn parse_go_duration(s: &str) -> Result<Duration, String> {
    todo!()
}
