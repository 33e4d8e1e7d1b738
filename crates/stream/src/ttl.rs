//! Per-message TTLs and subject delete markers, as nats-server's `server/stream.go`
//! (`getMessageTTL`, `parseMessageTTL`) and `server/filestore.go` (`expireMsgs`,
//! `handleRemovalOrSdm`) define them: the `Nats-TTL` header forms, Go's duration syntax,
//! the marker headers, and the raw header edits the publish path makes.

use crate::api::ApiError;

/// `Nats-TTL`.
pub const TTL_HEADER: &str = "Nats-TTL";
/// `Nats-Marker-Reason`.
pub const MARKER_REASON_HEADER: &str = "Nats-Marker-Reason";

/// What a `Nats-TTL` value asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageTtl {
    /// No TTL (header absent).
    None,
    /// Expire this many seconds after the message's timestamp.
    Seconds(i64),
    /// `never`: not even max_age removes the message.
    Never,
}

impl MessageTtl {
    /// nats-server's integer form: seconds, 0 for none, -1 for never.
    pub fn as_seconds(self) -> i64 {
        match self {
            MessageTtl::None => 0,
            MessageTtl::Seconds(s) => s,
            MessageTtl::Never => -1,
        }
    }
}

/// `parseMessageTTL`: `never` (any case), a Go duration of at least one second, or a
/// whole number of seconds. Anything else is `invalid per-message TTL` (10165).
pub fn parse_message_ttl(ttl: &str) -> Result<MessageTtl, ApiError> {
    if ttl.eq_ignore_ascii_case("never") {
        return Ok(MessageTtl::Never);
    }
    if let Some(ns) = parse_go_duration(ttl) {
        if ns < 1_000_000_000 {
            return Err(ApiError::message_ttl_invalid());
        }
        return Ok(MessageTtl::Seconds(ns / 1_000_000_000));
    }
    // nats-server's parseInt64: digits only, -1 (an error) otherwise.
    if ttl.is_empty() || !ttl.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::message_ttl_invalid());
    }
    let mut n: i64 = 0;
    for b in ttl.bytes() {
        n = n.wrapping_mul(10).wrapping_add(i64::from(b - b'0'));
    }
    if n < 0 {
        return Err(ApiError::message_ttl_invalid());
    }
    Ok(if n == 0 {
        MessageTtl::None
    } else {
        MessageTtl::Seconds(n)
    })
}

/// `getMessageTTL` on a raw header block: [`MessageTtl::None`] when the header is absent.
pub fn message_ttl(headers: &[u8]) -> Result<MessageTtl, ApiError> {
    match raw_header(headers, TTL_HEADER) {
        Some(v) if !v.is_empty() => parse_message_ttl(v),
        _ => Ok(MessageTtl::None),
    }
}

/// Go's `time.ParseDuration`, in ns; `None` where Go returns an error.
pub fn parse_go_duration(s: &str) -> Option<i64> {
    let mut rest = s;
    let neg = if let Some(r) = rest.strip_prefix('-') {
        rest = r;
        true
    } else {
        if let Some(r) = rest.strip_prefix('+') {
            rest = r;
        }
        false
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let (num, after) = rest.split_at(num_len);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let unit_len = after
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(after.len(), |(i, _)| i);
        let (unit, after) = after.split_at(unit_len);
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        let v: f64 = num.parse().ok()?;
        total += v * scale;
        rest = after;
    }
    if total > i64::MAX as f64 {
        return None;
    }
    let ns = total as i64;
    Some(if neg { -ns } else { ns })
}

/// Go's `time.Duration.String` for a whole number of seconds (`1s`, `1m0s`, `1h0m0s`).
pub fn go_duration_secs(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// `getHeader`: the value of the first `key:` line (exact case), trimmed of spaces.
pub fn raw_header<'a>(headers: &'a [u8], key: &str) -> Option<&'a str> {
    let text = std::str::from_utf8(headers).ok()?;
    for line in text.split("\r\n").skip(1) {
        if let Some(v) = line.strip_prefix(key).and_then(|r| r.strip_prefix(':')) {
            return Some(v.trim_matches(|c| c == ' ' || c == '\t'));
        }
    }
    None
}

/// `removeHeaderIfPresent` then `genHeader`: `key: value` replaces any earlier line and
/// goes last.
pub fn set_raw_header(headers: &[u8], key: &str, value: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(headers);
    let mut out = String::from("NATS/1.0\r\n");
    let mut lines = text.split("\r\n");
    if let Some(first) = lines.next() {
        if first.starts_with("NATS/") {
            out = format!("{first}\r\n");
        }
    }
    for line in lines {
        if line.is_empty() {
            continue;
        }
        let same_key = line.strip_prefix(key).is_some_and(|r| r.starts_with(':'));
        if !same_key {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("{key}: {value}\r\n\r\n"));
    out.into_bytes()
}

/// `isSubjectDeleteMarker`: a `Nats-Marker-Reason` header is present.
pub fn is_subject_delete_marker(headers: &[u8]) -> bool {
    !headers.is_empty() && raw_header(headers, MARKER_REASON_HEADER).is_some()
}

/// The marker `handleRemovalOrSdm` publishes when max_age or a TTL removes the last
/// message of a subject.
pub fn delete_marker_headers(marker_ttl_secs: i64) -> Vec<u8> {
    format!(
        "NATS/1.0\r\n{MARKER_REASON_HEADER}: MaxAge\r\n{TTL_HEADER}: {}\r\nNats-Rollup: sub\r\n\r\n",
        go_duration_secs(marker_ttl_secs)
    )
    .into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ttl_forms() {
        assert_eq!(parse_message_ttl("1s"), Ok(MessageTtl::Seconds(1)));
        assert_eq!(parse_message_ttl("1m30s"), Ok(MessageTtl::Seconds(90)));
        assert_eq!(parse_message_ttl("1.9s"), Ok(MessageTtl::Seconds(1)));
        assert_eq!(parse_message_ttl("5"), Ok(MessageTtl::Seconds(5)));
        assert_eq!(parse_message_ttl("never"), Ok(MessageTtl::Never));
        assert_eq!(parse_message_ttl("NEVER"), Ok(MessageTtl::Never));
        let invalid = Err(ApiError::message_ttl_invalid());
        assert_eq!(parse_message_ttl("0"), invalid);
        assert_eq!(parse_message_ttl("500ms"), invalid);
        assert_eq!(parse_message_ttl("-1"), invalid);
        assert_eq!(parse_message_ttl("abc"), invalid);
        assert_eq!(parse_message_ttl("1x"), invalid);
        assert_eq!(parse_message_ttl(""), invalid);
        assert_eq!(parse_message_ttl("00"), Ok(MessageTtl::None));
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h2m3s"), Some(3_723_000_000_000));
        assert_eq!(parse_go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_go_duration("-2s"), Some(-2_000_000_000));
        assert_eq!(parse_go_duration("2"), None);
        assert_eq!(parse_go_duration("s"), None);
        assert_eq!(go_duration_secs(1), "1s");
        assert_eq!(go_duration_secs(60), "1m0s");
        assert_eq!(go_duration_secs(3661), "1h1m1s");
    }

    #[test]
    fn raw_headers() {
        let h = b"NATS/1.0\r\nA: 1\r\nNats-TTL: 1s\r\nB: 2\r\n\r\n";
        assert_eq!(message_ttl(h), Ok(MessageTtl::Seconds(1)));
        assert_eq!(
            set_raw_header(h, "Nats-TTL", "5"),
            b"NATS/1.0\r\nA: 1\r\nB: 2\r\nNats-TTL: 5\r\n\r\n".to_vec()
        );
        assert!(!is_subject_delete_marker(h));
        let m = delete_marker_headers(60);
        assert!(is_subject_delete_marker(&m));
        assert_eq!(message_ttl(&m), Ok(MessageTtl::Seconds(60)));
    }
}
