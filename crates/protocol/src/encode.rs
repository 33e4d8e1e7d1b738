//! Encoders: each appends one complete op, byte-exact as nats-server writes it, to
//! a `BytesMut`. They do not validate their inputs (a subject with a space makes a
//! frame the peer will misparse); callers pass validated subjects and sids.

use bytes::{BufMut, BytesMut};

pub const PING: &[u8] = b"PING\r\n";
pub const PONG: &[u8] = b"PONG\r\n";
pub const OK: &[u8] = b"+OK\r\n";
const CRLF: &[u8] = b"\r\n";

/// Appends the decimal digits of `n` without allocating.
fn put_decimal(buf: &mut BytesMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if let Some(s) = digits.get(start..) {
        buf.put_slice(s);
    }
}

fn put_usize(buf: &mut BytesMut, n: usize) {
    put_decimal(buf, n as u64);
}

/// Length of the decimal form of `n`, for `reserve`.
fn decimal_len(n: usize) -> usize {
    let mut len = 1;
    let mut n = n / 10;
    while n > 0 {
        len += 1;
        n /= 10;
    }
    len
}

/// The shape shared by MSG, HMSG, PUB and HPUB:
/// `<verb> <subject> [sid] [reply] [<#header bytes>] <#total bytes>\r\n[headers]<payload>\r\n`.
#[inline]
fn put_message(
    buf: &mut BytesMut,
    verb: &[u8],
    subject: &[u8],
    sid: Option<&[u8]>,
    reply: Option<&[u8]>,
    headers: Option<&[u8]>,
    payload: &[u8],
) {
    let header_len = headers.map_or(0, <[u8]>::len);
    let total = header_len + payload.len();
    buf.reserve(
        verb.len()
            + 1
            + subject.len()
            + sid.map_or(0, |s| s.len() + 1)
            + reply.map_or(0, |r| r.len() + 1)
            + headers.map_or(0, |_| decimal_len(header_len) + 1)
            + 1
            + decimal_len(total)
            + 2
            + total
            + 2,
    );
    buf.put_slice(verb);
    buf.put_u8(b' ');
    buf.put_slice(subject);
    for token in [sid, reply].into_iter().flatten() {
        buf.put_u8(b' ');
        buf.put_slice(token);
    }
    if headers.is_some() {
        buf.put_u8(b' ');
        put_usize(buf, header_len);
    }
    buf.put_u8(b' ');
    put_usize(buf, total);
    buf.put_slice(CRLF);
    if let Some(h) = headers {
        buf.put_slice(h);
    }
    buf.put_slice(payload);
    buf.put_slice(CRLF);
}

/// `MSG <subject> <sid> [reply] <#bytes>\r\n<payload>\r\n`
pub fn encode_msg(
    buf: &mut BytesMut,
    subject: &[u8],
    sid: &[u8],
    reply: Option<&[u8]>,
    payload: &[u8],
) {
    put_message(buf, b"MSG", subject, Some(sid), reply, None, payload);
}

/// `HMSG <subject> <sid> [reply] <#header bytes> <#total bytes>\r\n<headers><payload>\r\n`
pub fn encode_hmsg(
    buf: &mut BytesMut,
    subject: &[u8],
    sid: &[u8],
    reply: Option<&[u8]>,
    headers: &[u8],
    payload: &[u8],
) {
    put_message(
        buf,
        b"HMSG",
        subject,
        Some(sid),
        reply,
        Some(headers),
        payload,
    );
}

/// `PUB <subject> [reply] <#bytes>\r\n<payload>\r\n`
pub fn encode_pub(buf: &mut BytesMut, subject: &[u8], reply: Option<&[u8]>, payload: &[u8]) {
    put_message(buf, b"PUB", subject, None, reply, None, payload);
}

/// `HPUB <subject> [reply] <#header bytes> <#total bytes>\r\n<headers><payload>\r\n`
pub fn encode_hpub(
    buf: &mut BytesMut,
    subject: &[u8],
    reply: Option<&[u8]>,
    headers: &[u8],
    payload: &[u8],
) {
    put_message(buf, b"HPUB", subject, None, reply, Some(headers), payload);
}

/// `SUB <subject> [queue] <sid>\r\n`
pub fn encode_sub(buf: &mut BytesMut, subject: &[u8], queue: Option<&[u8]>, sid: &[u8]) {
    buf.reserve(4 + subject.len() + queue.map_or(0, |q| q.len() + 1) + 1 + sid.len() + 2);
    buf.put_slice(b"SUB ");
    buf.put_slice(subject);
    if let Some(q) = queue {
        buf.put_u8(b' ');
        buf.put_slice(q);
    }
    buf.put_u8(b' ');
    buf.put_slice(sid);
    buf.put_slice(CRLF);
}

/// `UNSUB <sid> [max_msgs]\r\n`. nats-server parses at most 9 digits of `max_msgs`;
/// a larger value reads back as "remove now".
pub fn encode_unsub(buf: &mut BytesMut, sid: &[u8], max: Option<u64>) {
    buf.reserve(6 + sid.len() + 21 + 2);
    buf.put_slice(b"UNSUB ");
    buf.put_slice(sid);
    if let Some(m) = max {
        buf.put_u8(b' ');
        put_decimal(buf, m);
    }
    buf.put_slice(CRLF);
}

/// `CONNECT <json>\r\n`
pub fn encode_connect(buf: &mut BytesMut, json: &[u8]) {
    buf.reserve(8 + json.len() + 2);
    buf.put_slice(b"CONNECT ");
    buf.put_slice(json);
    buf.put_slice(CRLF);
}

/// `INFO <json> \r\n`, with the space before CRLF that nats-server always writes.
pub fn encode_info(buf: &mut BytesMut, json: &[u8]) {
    buf.reserve(5 + json.len() + 3);
    buf.put_slice(b"INFO ");
    buf.put_slice(json);
    buf.put_slice(b" \r\n");
}

/// `-ERR '<text>'\r\n`
pub fn encode_err(buf: &mut BytesMut, text: &str) {
    encode_err_bytes(buf, text.as_bytes());
}

pub(crate) fn encode_err_bytes(buf: &mut BytesMut, text: &[u8]) {
    buf.reserve(6 + text.len() + 3);
    buf.put_slice(b"-ERR '");
    buf.put_slice(text);
    buf.put_slice(b"'\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
        let mut b = BytesMut::new();
        f(&mut b);
        b.to_vec()
    }

    #[test]
    fn byte_exact_frames() {
        assert_eq!(
            enc(|b| encode_msg(b, b"foo", b"1", None, b"hello")),
            b"MSG foo 1 5\r\nhello\r\n"
        );
        assert_eq!(
            enc(|b| encode_msg(b, b"foo", b"1", Some(b"rep"), b"")),
            b"MSG foo 1 rep 0\r\n\r\n"
        );
        assert_eq!(
            enc(|b| encode_hmsg(
                b,
                b"foo",
                b"1",
                Some(b"rep"),
                b"NATS/1.0\r\nA: b\r\n\r\n",
                b"hello"
            )),
            b"HMSG foo 1 rep 18 23\r\nNATS/1.0\r\nA: b\r\n\r\nhello\r\n"
        );
        assert_eq!(
            enc(|b| encode_hmsg(
                b,
                b"_INBOX.x.1",
                b"1",
                None,
                b"NATS/1.0 503\r\nNats-Subject: svc.a\r\n\r\n",
                b""
            )),
            b"HMSG _INBOX.x.1 1 37 37\r\nNATS/1.0 503\r\nNats-Subject: svc.a\r\n\r\n\r\n"
        );
        assert_eq!(
            enc(|b| encode_pub(b, b"orders.new", Some(b"_INBOX.abc"), b"hello")),
            b"PUB orders.new _INBOX.abc 5\r\nhello\r\n"
        );
        assert_eq!(
            enc(|b| encode_hpub(
                b,
                b"foo",
                Some(b"rep"),
                b"NATS/1.0\r\nA: b\r\n\r\n",
                b"hello"
            )),
            b"HPUB foo rep 18 23\r\nNATS/1.0\r\nA: b\r\n\r\nhello\r\n"
        );
        assert_eq!(
            enc(|b| encode_sub(b, b"foo", Some(b"q"), b"7")),
            b"SUB foo q 7\r\n"
        );
        assert_eq!(enc(|b| encode_sub(b, b"foo", None, b"7")), b"SUB foo 7\r\n");
        assert_eq!(enc(|b| encode_unsub(b, b"7", Some(10))), b"UNSUB 7 10\r\n");
        assert_eq!(enc(|b| encode_unsub(b, b"7", None)), b"UNSUB 7\r\n");
        assert_eq!(enc(|b| encode_connect(b, b"{}")), b"CONNECT {}\r\n");
        assert_eq!(
            enc(|b| encode_info(b, b"{\"a\":1}")),
            b"INFO {\"a\":1} \r\n"
        );
        assert_eq!(
            enc(|b| encode_err(b, "Stale Connection")),
            b"-ERR 'Stale Connection'\r\n"
        );
        assert_eq!(enc(|b| put_decimal(b, 0)), b"0");
        assert_eq!(enc(|b| put_decimal(b, u64::MAX)), b"18446744073709551615");
    }
}
