//! Normalisation: the one place that decides which parts of what a client observes are
//! volatile and how they are replaced before reference and candidate are compared.
//!
//! Rules (keep this list and `VOLATILE_KEYS` in step):
//! - JSON objects (INFO lines, JetStream API replies, JSON payloads) keep their key order
//!   (`serde_json` with `preserve_order`): nats-server's order is part of compatibility.
//! - The value of a key in [`VOLATILE_KEYS`] is replaced by `"<key>"`, whatever its type, so
//!   presence and position still count but the value does not: ids, nonces, keys, versions,
//!   build info, ports, times and durations that change from run to run.
//! - Any string that looks like an RFC 3339 timestamp becomes `"<time>"`.
//! - Inbox subjects (`_INBOX.` followed by tokens) become `<inbox>` wherever they occur.
//! - Raw protocol text: each `INFO {json} \r\n` line has its JSON normalised as above; all
//!   other bytes are compared as they are.

use serde_json::Value;

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
    "_nats.ver",
];

/// Normalises a JSON value in place.
pub fn json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if VOLATILE_KEYS.contains(&key.as_str()) && !item.is_null() {
                    *item = Value::String(format!("<{key}>"));
                } else {
                    json(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json),
        Value::String(text) => {
            if looks_like_timestamp(text) {
                *text = "<time>".to_string();
            } else {
                *text = inboxes(text);
            }
        }
        _ => {}
    }
}

/// Normalises a text that may be JSON: JSON objects and arrays are normalised and
/// re-serialised compactly in their original key order; other text only has inboxes
/// replaced.
pub fn payload(text: &str) -> String {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(mut value) = serde_json::from_str::<Value>(text) {
            json(&mut value);
            return value.to_string();
        }
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
                match serde_json::from_str::<Value>(body) {
                    Ok(mut value) => {
                        json(&mut value);
                        out.push_str("INFO ");
                        out.push_str(&value.to_string());
                        out.push_str(tail);
                    }
                    Err(_) => out.push_str(line),
                }
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
    }
}
