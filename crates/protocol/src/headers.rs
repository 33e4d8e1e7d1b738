//! The header block of HPUB/HMSG (spec §5.2, §5.3):
//!
//! ```text
//! NATS/1.0[ SSS[ description]]\r\n
//! Key: value\r\n      (zero or more; order, case and repeats preserved)
//! \r\n
//! ```
//!
//! nats-server relays blocks unparsed; this module is for the places that need a
//! header (JetStream, the mirror's flow control and heartbeats, no-responders).

use bytes::{BufMut, Bytes, BytesMut};

const VERSION: &[u8] = b"NATS/1.0";

/// Why a header block could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("header block does not start with NATS/1.0")]
    BadVersion,
    #[error("invalid status code in header version line")]
    BadStatus,
    #[error("header line {0} has no ':' or an invalid key")]
    BadLine(usize),
    #[error("header block is not valid UTF-8")]
    NotUtf8,
}

/// A parsed header block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeaderMap {
    /// Status code from the version line, e.g. 503, 100, 408.
    pub status: Option<u16>,
    /// Description after the status code, e.g. "Idle Heartbeat".
    pub description: Option<String>,
    entries: Vec<(String, String)>,
}

/// Splits `block` into lines ending in `\n` (an optional `\r` before it is
/// dropped); a last line without `\n` is returned too.
fn lines(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = block;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (
                rest.get(..i).unwrap_or_default(),
                rest.get(i + 1..).unwrap_or_default(),
            ),
            None => (rest, &[][..]),
        };
        rest = next;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    })
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

impl HeaderMap {
    pub fn new() -> Self {
        HeaderMap::default()
    }

    /// A block with a status line, e.g. `with_status(503, None)` for no-responders.
    pub fn with_status(code: u16, description: Option<&str>) -> Self {
        HeaderMap {
            status: Some(code),
            description: description.map(str::to_owned),
            entries: Vec::new(),
        }
    }

    /// Parses a whole block (as found in `ClientOp::HPub::headers`). Lenient where
    /// clients differ: bare `\n` line ends and a missing final empty line are
    /// accepted; keys and values are trimmed of spaces/TABs.
    pub fn parse(block: &[u8]) -> Result<HeaderMap, HeaderError> {
        let text = std::str::from_utf8(block).map_err(|_| HeaderError::NotUtf8)?;
        let mut it = lines(text.as_bytes());
        let first = it.next().ok_or(HeaderError::BadVersion)?;
        let rest = first.strip_prefix(VERSION).ok_or(HeaderError::BadVersion)?;
        let mut map = HeaderMap::new();
        if let Some(&b) = rest.first() {
            if !is_blank(b) {
                return Err(HeaderError::BadVersion);
            }
            let status_line = trim(std::str::from_utf8(rest).map_err(|_| HeaderError::NotUtf8)?);
            if !status_line.is_empty() {
                let (code, desc) = match status_line.find([' ', '\t']) {
                    Some(i) => (
                        status_line.get(..i).unwrap_or(""),
                        trim(status_line.get(i..).unwrap_or("")),
                    ),
                    None => (status_line, ""),
                };
                if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(HeaderError::BadStatus);
                }
                map.status = Some(code.parse().map_err(|_| HeaderError::BadStatus)?);
                if !desc.is_empty() {
                    map.description = Some(desc.to_owned());
                }
            }
        }
        for (n, line) in it.enumerate() {
            if line.is_empty() {
                break;
            }
            let line = std::str::from_utf8(line).map_err(|_| HeaderError::NotUtf8)?;
            let (key, value) = line.split_once(':').ok_or(HeaderError::BadLine(n + 1))?;
            let key = trim(key);
            if key.is_empty() || key.bytes().any(|b| b.is_ascii_whitespace()) {
                return Err(HeaderError::BadLine(n + 1));
            }
            map.entries.push((key.to_owned(), trim(value).to_owned()));
        }
        Ok(map)
    }

    /// Appends the block in wire form (a description is written only with a status).
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(VERSION);
        if let Some(code) = self.status {
            buf.put_u8(b' ');
            buf.put_slice(format!("{code:03}").as_bytes());
            if let Some(d) = &self.description {
                buf.put_u8(b' ');
                buf.put_slice(d.as_bytes());
            }
        }
        buf.put_slice(b"\r\n");
        for (k, v) in &self.entries {
            buf.put_slice(k.as_bytes());
            buf.put_slice(b": ");
            buf.put_slice(v.as_bytes());
            buf.put_slice(b"\r\n");
        }
        buf.put_slice(b"\r\n");
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::new();
        self.encode(&mut buf);
        buf.freeze()
    }

    /// The first value for `key`, compared case-insensitively.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every value for `key` (case-insensitive), in order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Replaces every value for `key` with one `value` (at the first one's place).
    pub fn insert(&mut self, key: &str, value: &str) {
        match self
            .entries
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some(i) => {
                if let Some(e) = self.entries.get_mut(i) {
                    *e = (key.to_owned(), value.to_owned());
                }
                let mut idx = 0;
                self.entries.retain(|(k, _)| {
                    let keep = idx <= i || !k.eq_ignore_ascii_case(key);
                    idx += 1;
                    keep
                });
            }
            None => self.append(key, value),
        }
    }

    /// Adds a value for `key` after any existing ones.
    pub fn append(&mut self, key: &str, value: &str) {
        self.entries.push((key.to_owned(), value.to_owned()));
    }

    /// Removes every value for `key` (case-insensitive).
    pub fn remove(&mut self, key: &str) {
        self.entries.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
    }

    /// `(key, value)` pairs in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True if there are no key/value entries (status may still be set).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of key/value entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_responders_block() {
        let h =
            HeaderMap::parse(b"NATS/1.0 503\r\nNats-Subject: svc.a\r\n\r\n").unwrap_or_default();
        assert_eq!(h.status, Some(503));
        assert_eq!(h.description, None);
        assert_eq!(h.get("Nats-Subject"), Some("svc.a"));
        assert_eq!(h.get("nats-subject"), Some("svc.a"));
        assert_eq!(h.len(), 1);
        let mut expected = HeaderMap::with_status(503, None);
        expected.append("Nats-Subject", "svc.a");
        assert_eq!(h, expected);
        assert_eq!(
            &expected.to_bytes()[..],
            b"NATS/1.0 503\r\nNats-Subject: svc.a\r\n\r\n"
        );
    }

    #[test]
    fn idle_heartbeat_block() {
        let block = b"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 12\r\nNats-Last-Stream: 40\r\nNats-Consumer-Stalled: $JS.FC.x.y\r\n\r\n";
        let h = HeaderMap::parse(block);
        let Ok(h) = h else { panic!("{h:?}") };
        assert_eq!(h.status, Some(100));
        assert_eq!(h.description.as_deref(), Some("Idle Heartbeat"));
        assert_eq!(h.get("Nats-Last-Consumer"), Some("12"));
        assert_eq!(h.get("NATS-LAST-STREAM"), Some("40"));
        assert_eq!(h.get("Nats-Consumer-Stalled"), Some("$JS.FC.x.y"));
        assert_eq!(&h.to_bytes()[..], &block[..]);
    }

    #[test]
    fn request_timeout_block() {
        let h =
            HeaderMap::parse(b"NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\n\r\n");
        let Ok(h) = h else { panic!("{h:?}") };
        assert_eq!(h.status, Some(408));
        assert_eq!(h.description.as_deref(), Some("Request Timeout"));
        assert_eq!(h.get("Nats-Pending-Messages"), Some("1"));
        assert_eq!(h.get("Nats-Pending-Bytes"), None);
    }

    #[test]
    fn plain_block_with_repeats_order_and_case() {
        let h = HeaderMap::parse(b"NATS/1.0\r\nA: b\r\nX-Multi: 1\r\nx-multi: 2\r\nEmpty:\r\n\r\n");
        let Ok(mut h) = h else { panic!("{h:?}") };
        assert_eq!(h.status, None);
        assert_eq!(h.get("a"), Some("b"));
        assert_eq!(h.get_all("X-MULTI").collect::<Vec<_>>(), vec!["1", "2"]);
        assert_eq!(h.get("Empty"), Some(""));
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            vec![
                ("A", "b"),
                ("X-Multi", "1"),
                ("x-multi", "2"),
                ("Empty", "")
            ]
        );
        h.insert("x-multi", "3");
        assert_eq!(h.get_all("X-Multi").collect::<Vec<_>>(), vec!["3"]);
        assert_eq!(h.iter().nth(1), Some(("x-multi", "3")));
        h.remove("A");
        assert_eq!(h.get("A"), None);
        h.insert("New", "v");
        assert_eq!(h.iter().last(), Some(("New", "v")));
        assert_eq!(
            &h.to_bytes()[..],
            b"NATS/1.0\r\nx-multi: 3\r\nEmpty: \r\nNew: v\r\n\r\n"
        );
        assert!(!h.is_empty());
        assert!(HeaderMap::new().is_empty());
        assert_eq!(&HeaderMap::new().to_bytes()[..], b"NATS/1.0\r\n\r\n");
    }

    #[test]
    fn lenient_and_rejected_blocks() {
        let bare = HeaderMap::parse(b"NATS/1.0\nA: b\n\n");
        assert_eq!(
            bare.map(|h| h.get("A").map(str::to_owned)),
            Ok(Some("b".to_owned()))
        );
        assert_eq!(
            HeaderMap::parse(b"NATS/1.0 404 No Messages\r\n").map(|h| h.status),
            Ok(Some(404))
        );
        assert_eq!(
            HeaderMap::parse(b"FOO\r\n\r\n"),
            Err(HeaderError::BadVersion)
        );
        assert_eq!(HeaderMap::parse(b""), Err(HeaderError::BadVersion));
        assert_eq!(
            HeaderMap::parse(b"NATS/1.01\r\n\r\n"),
            Err(HeaderError::BadVersion)
        );
        assert_eq!(
            HeaderMap::parse(b"NATS/1.0 5x3\r\n\r\n"),
            Err(HeaderError::BadStatus)
        );
        assert_eq!(
            HeaderMap::parse(b"NATS/1.0 5030\r\n\r\n"),
            Err(HeaderError::BadStatus)
        );
        assert_eq!(
            HeaderMap::parse(b"NATS/1.0\r\nnocolon\r\n\r\n"),
            Err(HeaderError::BadLine(1))
        );
        assert_eq!(
            HeaderMap::parse(b"NATS/1.0\r\nbad key: v\r\n\r\n"),
            Err(HeaderError::BadLine(1))
        );
        assert_eq!(
            HeaderMap::parse(b"NATS/1.0\r\nA: \xff\r\n\r\n"),
            Err(HeaderError::NotUtf8)
        );
    }
}
