//! Renderings that match Go's, for the monitoring endpoints: RFC 3339 times with nanoseconds,
//! `time.Duration.String()`, and nats-server's uptime format.

use std::time::{Duration, SystemTime};

/// RFC 3339 in UTC with nanoseconds, trailing zeros of the fraction trimmed (Go's
/// `time.RFC3339Nano`), e.g. `2026-11-23T14:08:27.093719204Z`.
pub fn rfc3339_nanos(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    let nanos = dt.timestamp_subsec_nanos();
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    if nanos == 0 {
        format!("{base}Z")
    } else {
        let frac = format!("{nanos:09}");
        format!("{base}.{}Z", frac.trim_end_matches('0'))
    }
}

/// Go's `time.Duration.String()`: `0s`, `345µs`, `1.5s`, `2m8s`, `1h2m3s`.
pub fn go_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_string();
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", trim_frac(nanos as f64 / 1_000.0));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", trim_frac(nanos as f64 / 1_000_000.0));
    }
    let total_secs = d.as_secs();
    let frac_nanos = d.subsec_nanos();
    let hours = total_secs / 3600;
    let minutes = (total_secs % 3600) / 60;
    let secs = total_secs % 60;
    let secs_str = if frac_nanos == 0 {
        format!("{secs}")
    } else {
        let frac = format!("{frac_nanos:09}");
        format!("{secs}.{}", frac.trim_end_matches('0'))
    };
    if hours > 0 {
        format!("{hours}h{minutes}m{secs_str}s")
    } else if minutes > 0 {
        format!("{minutes}m{secs_str}s")
    } else {
        format!("{secs_str}s")
    }
}

fn trim_frac(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// nats-server's uptime format (func `myUptime`): `0s`, `2m8s`, `1h2m3s`, `1d2h3m4s`,
/// `1y2d3h4m5s`, whole seconds only.
pub fn uptime(d: Duration) -> String {
    let mut secs = d.as_secs();
    let years = secs / (365 * 86400);
    secs %= 365 * 86400;
    let days = secs / 86400;
    secs %= 86400;
    let hours = secs / 3600;
    secs %= 3600;
    let minutes = secs / 60;
    secs %= 60;
    if years > 0 {
        format!("{years}y{days}d{hours}h{minutes}m{secs}s")
    } else if days > 0 {
        format!("{days}d{hours}h{minutes}m{secs}s")
    } else if hours > 0 {
        format!("{hours}h{minutes}m{secs}s")
    } else if minutes > 0 {
        format!("{minutes}m{secs}s")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_micros(345)), "345µs");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_secs(128)), "2m8s");
        assert_eq!(go_duration(Duration::from_secs(3723)), "1h2m3s");
        assert_eq!(go_duration(Duration::from_nanos(1_234_567)), "1.235ms");
    }

    #[test]
    fn uptimes() {
        assert_eq!(uptime(Duration::from_secs(0)), "0s");
        assert_eq!(uptime(Duration::from_secs(128)), "2m8s");
        assert_eq!(uptime(Duration::from_secs(86400 + 7384)), "1d2h3m4s");
    }

    #[test]
    fn rfc3339() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 93_719_200);
        assert_eq!(rfc3339_nanos(t), "2023-11-14T22:13:20.0937192Z");
        assert_eq!(
            rfc3339_nanos(SystemTime::UNIX_EPOCH + Duration::from_secs(1)),
            "1970-01-01T00:00:01Z"
        );
    }
}
