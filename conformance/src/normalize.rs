//! Normalisation: the one place that decides which parts of what a client observes are
//! volatile and how they are replaced before reference and candidate are compared.
//!
//! Rules (keep this list and `VOLATILE_KEYS` in step):
//! - JSON text (INFO lines, JetStream API replies, JSON payloads) is kept as the bytes the
//!   server wrote: key order, spacing (`"duplicate": true`) and number formats are
//!   compared. Only string escapes are canonicalised (Go writes `\u003e` for `>`; a decoder
//!   sees the same string).
//! - The value of a key in [`VOLATILE_KEYS`] is replaced by `"<key>"`, whatever its type, so
//!   presence and position still count but the value does not: ids, nonces, keys, versions,
//!   build info, ports, times and durations that change from run to run.
//! - Any string that looks like an RFC 3339 timestamp becomes `"<time>"`.
//! - Inbox subjects (`_INBOX.` followed by tokens) become `<inbox>` wherever they occur.
//! - In `$JS.ACK.` reply subjects the nanosecond timestamp token becomes `<ts>`.
//! - Header values that are timestamps (`Nats-Time-Stamp`) become `<time>`.
//! - Raw protocol text: each `INFO {json} \r\n` line has its JSON normalised as above; all
//!   other bytes are compared as they are.

/// Keys whose values change between runs or builds (see the module doc).
pub const VOLATILE_KEYS: &[&str] = &[
    // INFO
    "server_id",
    "version",
    "go",
    "git_commit",
    "port",
    "client_id",
    "nonce",
    "xkey",
    "connect_urls",
    // JetStream and monitoring
    "created",
    "ts",
    "time",
    "now",
    "start",
    "uptime",
    "first_ts",
    "last_ts",
    "last_active",
    "leader_since",
    // mirror/source info: nanoseconds since the last contact
    "active",
    "_nats.ver",
];

/// Normalises JSON text without re-serialising it: the bytes stay as the server wrote them
/// (key order, spacing, escapes), only volatile values are replaced (see the module doc).
/// Text that is not valid JSON only has its inboxes replaced.
pub fn json_text(raw: &str) -> String {
    if serde_json::from_str::<serde_json::Value>(raw).is_err() {
        return inboxes(raw);
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    // The key whose value is to be replaced next.
    let mut pending: Option<String> = None;
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'"' => {
                let end = string_end(bytes, index);
                let token = raw.get(index..end).unwrap_or_default();
                let decoded: String = serde_json::from_str(token).unwrap_or_default();
                let mut next = end;
                while bytes.get(next).is_some_and(u8::is_ascii_whitespace) {
                    next += 1;
                }
                if bytes.get(next) == Some(&b':') {
                    out.push_str(&canonical_string(&decoded));
                    if VOLATILE_KEYS.contains(&decoded.as_str()) {
                        pending = Some(decoded);
                    }
                } else if let Some(key) = pending.take() {
                    out.push_str(&format!("\"<{key}>\""));
                } else if looks_like_timestamp(&decoded) {
                    out.push_str("\"<time>\"");
                } else {
                    out.push_str(&canonical_string(&inboxes(&decoded)));
                }
                index = end;
            }
            b'{' | b'[' if pending.is_some() => {
                let key = pending.take().unwrap_or_default();
                out.push_str(&format!("\"<{key}>\""));
                index = balanced_end(bytes, index);
            }
            b'-' | b'0'..=b'9' | b't' | b'f' if pending.is_some() => {
                let key = pending.take().unwrap_or_default();
                out.push_str(&format!("\"<{key}>\""));
                while bytes
                    .get(index)
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    index += 1;
                }
            }
            b'n' if pending.is_some() => {
                // null stays null: the absence of a value is not volatile.
                pending = None;
                out.push_str("null");
                index += 4;
            }
            _ => {
                // Structural bytes and whitespace; multi-byte UTF-8 only occurs in strings.
                let end = index + 1;
                out.push_str(raw.get(index..end).unwrap_or_default());
                index = end;
            }
        }
    }
    out
}

/// A string as serde_json writes it: Go's encoder writes `\u003e` for `>` (and `<`, `&`),
/// which any JSON decoder reads as the same string, so escapes are not compared.
fn canonical_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// Index just past the closing quote of the string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut index = start + 1;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'\\' => index += 2,
            b'"' => return index + 1,
            _ => index += 1,
        }
    }
    bytes.len()
}

/// Index just past the object or array starting at `start`.
fn balanced_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut index = start;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'"' => {
                index = string_end(bytes, index);
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return index + 1;
                }
            }
            _ => {}
        }
        index += 1;
    }
    bytes.len()
}

/// Normalises a payload: JSON text through [`json_text`], anything else only has inboxes
/// replaced.
pub fn payload(text: &str) -> String {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return json_text(text);
    }
    inboxes(text)
}

/// Normalises raw protocol text received by a raw client: the JSON of every INFO line.
pub fn protocol(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.strip_prefix("INFO ") {
            Some(rest) => {
                let (body, tail) = split_json_tail(rest);
                out.push_str("INFO ");
                out.push_str(&json_text(body));
                out.push_str(tail);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Splits `{...} \r\n` into the JSON and what follows its closing brace.
fn split_json_tail(rest: &str) -> (&str, &str) {
    match rest.rfind('}') {
        Some(end) => rest.split_at(end + 1),
        None => (rest, ""),
    }
}

/// `2026-11-23T15:14:00.123456789Z` and friends.
fn looks_like_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 20
        && bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && bytes.get(10) == Some(&b'T')
        && bytes.get(13) == Some(&b':')
        && bytes.get(16) == Some(&b':')
        && bytes.iter().take(4).all(u8::is_ascii_digit)
}

/// Normalises a subject: inboxes, and the timestamp token of JetStream ack subjects
/// (`$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`: any token of
/// 16 or more digits becomes `<ts>`).
pub fn subject(text: &str) -> String {
    let text = inboxes(text);
    if !text.starts_with("$JS.ACK.") {
        return text;
    }
    text.split('.')
        .map(|token| {
            if token.len() >= 16 && token.bytes().all(|b| b.is_ascii_digit()) {
                "<ts>"
            } else {
                token
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Normalises a header value: a timestamp becomes `<time>`, else as [`payload`].
pub fn header_value(text: &str) -> String {
    if looks_like_timestamp(text) {
        return "<time>".to_string();
    }
    payload(text)
}

/// Replaces every `_INBOX.<tokens>` with `<inbox>`.
pub fn inboxes(text: &str) -> String {
    const PREFIX: &str = "_INBOX.";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(PREFIX) {
        out.push_str(&rest[..at]);
        out.push_str("<inbox>");
        let after = &rest[at + PREFIX.len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_line_keeps_order_and_hides_volatile_values() {
        let raw = "INFO {\"server_id\":\"NABC\",\"server_name\":\"S1\",\"version\":\"2.15.1\",\"proto\":1,\"port\":4222,\"client_id\":5} \r\nPONG\r\n";
        assert_eq!(
            protocol(raw),
            "INFO {\"server_id\":\"<server_id>\",\"server_name\":\"S1\",\"version\":\"<version>\",\"proto\":1,\"port\":\"<port>\",\"client_id\":\"<client_id>\"} \r\nPONG\r\n"
        );
    }

    #[test]
    fn payload_times_and_inboxes() {
        assert_eq!(
            payload("{\"b\":1,\"a\":\"2026-11-23T15:14:00.5Z\",\"r\":\"_INBOX.abc.1\"}"),
            "{\"b\":1,\"a\":\"<time>\",\"r\":\"<inbox>\"}"
        );
        assert_eq!(inboxes("x _INBOX.a.b y"), "x <inbox> y");
        assert_eq!(
            json_text(r#"{"stream":"T","seq":2,"duplicate": true}"#),
            r#"{"stream":"T","seq":2,"duplicate": true}"#
        );
        assert_eq!(
            json_text(r#"{"created":{"a":[1,"}"]},"port":-12,"ts":null,"x":"\u003c"}"#),
            r#"{"created":"<created>","port":"<port>","ts":null,"x":"<"}"#
        );
    }
}
