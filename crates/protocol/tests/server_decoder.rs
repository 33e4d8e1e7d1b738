//! ServerOpDecoder (client side: the mirror's upstream connection) on frames a
//! nats-server 2.15.1 sends, byte-exact from the spec.

use bytes::{Bytes, BytesMut};
use jetmirror_protocol::{Limits, ProtocolError, ServerOp, ServerOpDecoder};

fn decode_chunks(chunks: &[&[u8]]) -> (Vec<ServerOp>, Option<ProtocolError>) {
    let mut dec = ServerOpDecoder::new(Limits::default());
    let mut buf = BytesMut::new();
    let mut ops = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(op)) => ops.push(op),
                Ok(None) => break,
                Err(e) => return (ops, Some(e)),
            }
        }
    }
    (ops, None)
}

fn decode(input: &[u8]) -> (Vec<ServerOp>, Option<ProtocolError>) {
    let whole = decode_chunks(&[input]);
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(decode_chunks(&[a, b]), whole, "split at {i}");
    }
    whole
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

#[test]
fn info_with_trailing_space_then_pong_and_async_info() {
    let (ops, err) = decode(
        b"INFO {\"server_id\":\"N\",\"proto\":1} \r\nPONG\r\nINFO {\"connect_info\":true} \r\n",
    );
    assert_eq!(err, None);
    assert_eq!(
        ops,
        vec![
            ServerOp::Info(b("{\"server_id\":\"N\",\"proto\":1}")),
            ServerOp::Pong,
            ServerOp::Info(b("{\"connect_info\":true}")),
        ]
    );
}

#[test]
fn msg_and_hmsg() {
    let (ops, err) = decode(
        b"MSG foo 1 5\r\nhello\r\nMSG foo 1 005\r\nhello\r\nHMSG foo 1 rep 18 23\r\nNATS/1.0\r\nA: b\r\n\r\nhello\r\n\
          HMSG _INBOX.x.1 1 37 37\r\nNATS/1.0 503\r\nNats-Subject: svc.a\r\n\r\n\r\n",
    );
    assert_eq!(err, None);
    let hello = ServerOp::Msg {
        subject: b("foo"),
        sid: b("1"),
        reply: None,
        payload: b("hello"),
    };
    assert_eq!(
        ops,
        vec![
            hello.clone(),
            hello,
            ServerOp::HMsg {
                subject: b("foo"),
                sid: b("1"),
                reply: Some(b("rep")),
                headers: b("NATS/1.0\r\nA: b\r\n\r\n"),
                payload: b("hello"),
            },
            ServerOp::HMsg {
                subject: b("_INBOX.x.1"),
                sid: b("1"),
                reply: None,
                headers: b("NATS/1.0 503\r\nNats-Subject: svc.a\r\n\r\n"),
                payload: Bytes::new(),
            },
        ]
    );
}

#[test]
fn err_text_is_between_quotes() {
    let (ops, err) = decode(b"-ERR 'Stale Connection'\r\n-ERR 'Permissions Violation for Subscription to \"foo\"'\r\n+OK\r\nPING\r\n");
    assert_eq!(err, None);
    assert_eq!(
        ops,
        vec![
            ServerOp::Err(b("Stale Connection")),
            ServerOp::Err(b("Permissions Violation for Subscription to \"foo\"")),
            ServerOp::Ok,
            ServerOp::Ping,
        ]
    );
}

#[test]
fn client_ops_from_a_server_are_unknown() {
    for input in [
        &b"PUB foo 1\r\nx\r\n"[..],
        b"SUB foo 1\r\n",
        b"CONNECT {}\r\n",
        b"HPUB foo 0 0\r\n\r\n",
        b"UNSUB 1\r\n",
    ] {
        assert_eq!(decode(input).1, Some(ProtocolError::UnknownOp), "{input:?}");
    }
}

#[test]
fn msg_argument_counts_and_sizes() {
    for input in [
        &b"MSG foo 5\r\n"[..],
        b"MSG foo 1 a b 5\r\n",
        b"HMSG foo 1 5\r\n",
        b"HMSG foo 1 3 2\r\n",
        b"MSG foo 1 -5\r\n",
    ] {
        assert!(
            matches!(decode(input).1, Some(ProtocolError::Malformed(_))),
            "{input:?}"
        );
    }
    assert_eq!(decode(b"MSGfoo 1 5\r\n").1, Some(ProtocolError::UnknownOp));
    assert_eq!(
        decode(b"MSG foo 1 2\r\nabc\r\n").1,
        Some(ProtocolError::UnknownOp)
    );
}
