//! A JSON encoder that writes what Go's `encoding/json` writes: compact, struct fields in
//! declaration order, and `<`, `>`, `&`, U+2028, U+2029 escaped as `\u003c`, `\u003e`,
//! `\u0026`, `\u2028`, `\u2029` (observed on nats-server: `"subjects":["t1.\u003e"]`).
//!
//! Those characters can only occur inside JSON strings, so escaping them after serde_json
//! has written the document is exact.

use serde::Serialize;

/// Encodes `value` as Go would; serialization of our own types cannot fail, but a map with
/// non-string keys would, so the error is passed on.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let raw = serde_json::to_vec(value)?;
    Ok(go_escape(raw))
}

/// Like [`to_vec`] for callers that know the value serializes (our API types all do);
/// falls back to `{}` rather than panicking.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

fn go_escape(raw: Vec<u8>) -> Vec<u8> {
    let needs = raw.iter().any(|b| matches!(b, b'<' | b'>' | b'&' | 0xE2));
    if !needs {
        return raw;
    }
    let mut out = Vec::with_capacity(raw.len() + 16);
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            0xE2 if raw.get(i + 1) == Some(&0x80)
                && matches!(raw.get(i + 2), Some(0xA8) | Some(0xA9)) =>
            {
                out.extend_from_slice(if raw.get(i + 2) == Some(&0xA8) {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 2;
            }
            _ => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_html_chars_like_go() {
        let v = serde_json::json!({"subjects": ["t1.>", "a<b&c", "x\u{2028}"]});
        assert_eq!(
            String::from_utf8(super::encode(&v)).unwrap_or_default(),
            r#"{"subjects":["t1.\u003e","a\u003cb\u0026c","x\u2028"]}"#
        );
    }
}
