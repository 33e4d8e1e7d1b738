//! ClientOpDecoder against every rule of spec §2 and the spec's examples, each
//! checked whole, split at every byte position, and one byte at a time.

use bytes::{Bytes, BytesMut};
use jetmirror_protocol::{ClientOp, ClientOpDecoder, Limits, ProtocolError};

type Outcome = (Vec<ClientOp>, Option<ProtocolError>);

/// Feeds `chunks` one after another, decoding as far as possible after each.
fn decode_chunks(limits: Limits, chunks: &[&[u8]]) -> Outcome {
    let mut dec = ClientOpDecoder::new(limits);
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

/// Decodes `input` whole, at every two-way split and byte by byte; asserts all agree.
fn decode_with(limits: Limits, input: &[u8]) -> Outcome {
    let whole = decode_chunks(limits, &[input]);
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(
            decode_chunks(limits, &[a, b]),
            whole,
            "split at {i} of {input:?}"
        );
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(
        decode_chunks(limits, &bytes),
        whole,
        "byte by byte: {input:?}"
    );
    whole
}

fn decode(input: &[u8]) -> Outcome {
    decode_with(Limits::default(), input)
}

fn ok(input: &[u8]) -> Vec<ClientOp> {
    let (ops, err) = decode(input);
    assert_eq!(err, None, "unexpected error for {input:?}");
    ops
}

fn err(input: &[u8]) -> ProtocolError {
    match decode(input).1 {
        Some(e) => e,
        None => panic!("expected an error for {input:?}"),
    }
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn publ(subject: &str, reply: Option<&str>, payload: &str) -> ClientOp {
    ClientOp::Pub {
        subject: b(subject),
        reply: reply.map(b),
        payload: b(payload),
    }
}

fn sub(subject: &str, queue: Option<&str>, sid: &str) -> ClientOp {
    ClientOp::Sub {
        subject: b(subject),
        queue: queue.map(b),
        sid: b(sid),
    }
}

#[test]
fn spec_split_sequence() {
    let chunks: [&[u8]; 7] = [
        b"SU",
        b"B foo 1\r\nPUB fo",
        b"o 5\r\nhel",
        b"lo",
        b"\r",
        b"\nPI",
        b"NG\r\n",
    ];
    let expected = vec![
        sub("foo", None, "1"),
        publ("foo", None, "hello"),
        ClientOp::Ping,
    ];
    assert_eq!(
        decode_chunks(Limits::default(), &chunks),
        (expected.clone(), None)
    );
    assert_eq!(ok(&chunks.concat()), expected);
}

#[test]
fn spec_hpub_example() {
    assert_eq!(
        ok(b"HPUB foo rep 18 23\r\nNATS/1.0\r\nA: b\r\n\r\nhello\r\n"),
        vec![ClientOp::HPub {
            subject: b("foo"),
            reply: Some(b("rep")),
            headers: b("NATS/1.0\r\nA: b\r\n\r\n"),
            payload: b("hello"),
        }]
    );
    // Header block not validated; header size 0 is fine.
    assert_eq!(
        ok(b"HPUB foo 7 9\r\nFOO\r\n\r\nhi\r\n"),
        vec![ClientOp::HPub {
            subject: b("foo"),
            reply: None,
            headers: b("FOO\r\n\r\n"),
            payload: b("hi"),
        }]
    );
    assert_eq!(
        ok(b"HPUB foo 0 2\r\nhi\r\n"),
        vec![ClientOp::HPub {
            subject: b("foo"),
            reply: None,
            headers: Bytes::new(),
            payload: b("hi"),
        }]
    );
}

#[test]
fn verbs_are_case_insensitive() {
    assert_eq!(
        ok(b"connect {}\r\nsub foo 1\r\npub foo 2\r\nhi\r\nPuB foo 0\r\n\r\nhPuB foo 0 0\r\n\r\nunsub 1\r\nping\r\npong\r\n+ok\r\n"),
        vec![
            ClientOp::Connect(b("{}")),
            sub("foo", None, "1"),
            publ("foo", None, "hi"),
            publ("foo", None, ""),
            ClientOp::HPub {
                subject: b("foo"),
                reply: None,
                headers: Bytes::new(),
                payload: Bytes::new()
            },
            ClientOp::Unsub { sid: b("1"), max: None },
            ClientOp::Ping,
            ClientOp::Pong,
            ClientOp::Ok,
        ]
    );
}

#[test]
fn separators_are_runs_of_spaces_and_tabs() {
    assert_eq!(
        ok(b"SUB\tfoo \t q1\t 7\r\n"),
        vec![sub("foo", Some("q1"), "7")]
    );
    assert_eq!(
        ok(b"PUB  \t foo\t\trep  3 \r\nabc\r\n"),
        vec![publ("foo", Some("rep"), "abc")]
    );
    assert_eq!(
        ok(b"UNSUB \t 7 \t 10\t\r\n"),
        vec![ClientOp::Unsub {
            sid: b("7"),
            max: Some(10)
        }]
    );
}

#[test]
fn bare_newline_ends_lines() {
    assert_eq!(
        ok(b"SUB foo 1\nPUB foo 3\nabc\r\nPING\n"),
        vec![
            sub("foo", None, "1"),
            publ("foo", None, "abc"),
            ClientOp::Ping
        ]
    );
}

#[test]
fn ping_pong_ok_ignore_junk_to_newline() {
    assert_eq!(
        ok(b"PINGxyz\r\nPONG junk\n+OKwhatever\r\nPING\r\n"),
        vec![ClientOp::Ping, ClientOp::Pong, ClientOp::Ok, ClientOp::Ping]
    );
    let mut long = b"PING".to_vec();
    long.extend(std::iter::repeat_n(b'x', 5000));
    long.extend_from_slice(b"\r\n");
    assert_eq!(
        decode_chunks(Limits::default(), &[&long]),
        (vec![ClientOp::Ping], None)
    );
}

#[test]
fn ping_junk_is_discarded_not_buffered() {
    let mut dec = ClientOpDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"PING"[..]);
    assert_eq!(dec.decode(&mut buf), Ok(None));
    let junk = vec![b'j'; 64 * 1024];
    for _ in 0..100 {
        buf.extend_from_slice(&junk);
        assert_eq!(dec.decode(&mut buf), Ok(None));
        assert!(
            buf.is_empty(),
            "junk must be consumed, {} bytes left",
            buf.len()
        );
    }
    buf.extend_from_slice(b"junk\r\nPONG\r\n");
    assert_eq!(dec.decode(&mut buf), Ok(Some(ClientOp::Ping)));
    assert_eq!(dec.decode(&mut buf), Ok(Some(ClientOp::Pong)));
    assert!(buf.is_empty());
}

#[test]
fn separator_required_after_pub_hpub_sub_unsub_err() {
    for input in [
        &b"PUBfoo 1\r\nx\r\n"[..],
        b"HPUBfoo 0 0\r\n\r\n",
        b"SUBfoo 1\r\n",
        b"UNSUB\r\n",
        b"UNSUB1\r\n",
        b"-ERR'x'\r\n",
        b"PUB\r\n",
    ] {
        assert_eq!(err(input), ProtocolError::UnknownOp, "{input:?}");
    }
}

#[test]
fn connect_and_info_need_no_separator() {
    assert_eq!(
        ok(b"CONNECT{\"verbose\":false}\r\nINFO{}\r\nINFO   {\"a\":1} \r\n"),
        vec![
            ClientOp::Connect(b("{\"verbose\":false}")),
            ClientOp::Info(b("{}")),
            ClientOp::Info(b("{\"a\":1}")),
        ]
    );
}

#[test]
fn client_err_closes_with_its_text() {
    assert_eq!(ok(b"-ERR 'oops'\r\n"), vec![ClientOp::Err(b("'oops'"))]);
}

#[test]
fn unknown_verbs_and_msg_from_client() {
    for input in [
        &b"MSG foo 1 5\r\nhello\r\n"[..],
        b"HMSG foo 1 0 0\r\n\r\n",
        b"FOO\r\n",
        b"\r\n",
        b"\n",
        b" PING\r\n",
        b"PX\r\n",
        b"RS+ foo\r\n",
        b"LS+ foo\r\n",
        b"A+ foo\r\n",
        b"CONECT {}\r\n",
    ] {
        assert_eq!(err(input), ProtocolError::UnknownOp, "{input:?}");
    }
    // The error is reported as soon as the bad byte arrives.
    let mut dec = ClientOpDecoder::new(Limits::default());
    assert_eq!(
        dec.decode(&mut BytesMut::from(&b"PX"[..])),
        Err(ProtocolError::UnknownOp)
    );
    let mut dec = ClientOpDecoder::new(Limits::default());
    assert_eq!(
        dec.decode(&mut BytesMut::from(&b"M"[..])),
        Err(ProtocolError::UnknownOp)
    );
}

#[test]
fn max_control_line_on_complete_lines() {
    let limits = Limits {
        max_control_line: 10,
        ..Limits::default()
    };
    // Exactly 10 argument bytes (after "SUB " and before CRLF) is fine.
    assert_eq!(
        decode_with(limits, b"SUB abcdefg 12\r\n"),
        (vec![sub("abcdefg", None, "12")], None)
    );
    assert_eq!(
        decode_with(limits, b"SUB abcdefgh 12\r\n").1,
        Some(ProtocolError::MaxControlLine)
    );
    assert_eq!(
        decode_with(limits, b"CONNECT {\"a\":12345}\r\n").1,
        Some(ProtocolError::MaxControlLine)
    );
    // Junk after PING is not a control line.
    assert_eq!(
        decode_with(limits, b"PING 0123456789abcdef\r\n"),
        (vec![ClientOp::Ping], None)
    );
    let default_line = format!("SUB {} 1\r\n", "a".repeat(4094));
    assert_eq!(ok(default_line.as_bytes()).len(), 1);
    let too_long = format!("SUB {} 1\r\n", "a".repeat(4095));
    assert_eq!(err(too_long.as_bytes()), ProtocolError::MaxControlLine);
}

#[test]
fn max_control_line_fails_fast_on_endless_line() {
    let mut dec = ClientOpDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"PUB "[..]);
    let chunk = vec![b'a'; 1024];
    let mut fed = 0usize;
    let result = loop {
        buf.extend_from_slice(&chunk);
        fed += chunk.len();
        match dec.decode(&mut buf) {
            Ok(None) if fed < 100 * 1024 * 1024 => continue,
            other => break other,
        }
    };
    assert_eq!(result, Err(ProtocolError::MaxControlLine));
    assert!(fed <= 4096 + 1024, "failed only after {fed} bytes");
    // Whitespace between verb and arguments is consumed, never buffered.
    let mut dec = ClientOpDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"SUB"[..]);
    for _ in 0..1000 {
        buf.extend_from_slice(&[b' '; 1024]);
        assert_eq!(dec.decode(&mut buf), Ok(None));
        assert!(buf.is_empty());
    }
    buf.extend_from_slice(b"foo 1\r\n");
    assert_eq!(dec.decode(&mut buf), Ok(Some(sub("foo", None, "1"))));
}

#[test]
fn max_payload_detected_from_control_line() {
    let limits = Limits {
        max_payload: 4,
        ..Limits::default()
    };
    assert_eq!(
        decode_with(limits, b"PUB foo 4\r\nabcd\r\n"),
        (vec![publ("foo", None, "abcd")], None)
    );
    // No payload bytes needed to detect it.
    assert_eq!(
        decode_with(limits, b"PUB foo 5\r\n").1,
        Some(ProtocolError::MaxPayload)
    );
    assert_eq!(
        decode_with(limits, b"HPUB foo 2 5\r\n").1,
        Some(ProtocolError::MaxPayload)
    );
    assert_eq!(err(b"PUB foo 1048577\r\n"), ProtocolError::MaxPayload);
}

#[test]
fn payload_must_end_in_crlf() {
    for input in [
        &b"PUB foo 3\r\nabcd\r\n"[..],
        b"PUB foo 3\r\nabc\n",
        b"PUB foo 3\r\nabc\rX",
        b"HPUB foo 0 1\r\nab\r\n",
    ] {
        assert_eq!(err(input), ProtocolError::UnknownOp, "{input:?}");
    }
    // Detected on the first wrong byte, before the whole CRLF is there.
    let mut dec = ClientOpDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"PUB foo 3\r\nabcd"[..]);
    assert_eq!(dec.decode(&mut buf), Err(ProtocolError::UnknownOp));
}

#[test]
fn sizes_are_decimal_only() {
    for input in [
        &b"PUB foo -1\r\n"[..],
        b"PUB foo 0x10\r\n",
        b"PUB foo +1\r\n",
        b"PUB foo 1a\r\n",
        b"PUB foo 1234567890\r\n",
        b"PUB foo 99999999999999999999999\r\n",
        b"HPUB foo x 2\r\n",
        b"HPUB foo 1 y\r\n",
    ] {
        assert!(
            matches!(err(input), ProtocolError::Malformed(_)),
            "{input:?}"
        );
    }
    assert_eq!(
        ok(b"PUB foo 005\r\nhello\r\n"),
        vec![publ("foo", None, "hello")]
    );
    assert_eq!(
        ok(b"PUB foo 000000000\r\n\r\n"),
        vec![publ("foo", None, "")]
    );
}

#[test]
fn argument_counts() {
    for input in [
        &b"PUB foo\r\n"[..],
        b"PUB foo a b 5\r\n",
        b"PUB \r\n",
        b"HPUB foo 5\r\n",
        b"HPUB foo a b 1 2\r\n",
        b"SUB foo\r\n",
        b"SUB foo q 1 x\r\n",
        b"UNSUB 1 2 3\r\n",
        b"UNSUB \r\n",
    ] {
        assert!(
            matches!(err(input), ProtocolError::Malformed(_)),
            "{input:?}"
        );
    }
}

#[test]
fn hpub_header_larger_than_total_is_malformed() {
    assert!(matches!(
        err(b"HPUB foo 5 2\r\n"),
        ProtocolError::Malformed(_)
    ));
}

#[test]
fn unsub_max() {
    assert_eq!(
        ok(b"UNSUB 1\r\nUNSUB 1 2\r\nUNSUB 1 x\r\nUNSUB 1 0\r\nUNSUB 1 007\r\n"),
        vec![
            ClientOp::Unsub {
                sid: b("1"),
                max: None
            },
            ClientOp::Unsub {
                sid: b("1"),
                max: Some(2)
            },
            ClientOp::Unsub {
                sid: b("1"),
                max: Some(0)
            },
            ClientOp::Unsub {
                sid: b("1"),
                max: Some(0)
            },
            ClientOp::Unsub {
                sid: b("1"),
                max: Some(7)
            },
        ]
    );
}

#[test]
fn payload_may_contain_protocol_bytes() {
    assert_eq!(
        ok(b"PUB foo 12\r\nPING\r\nPUB \r\n\r\nPING\r\n"),
        vec![publ("foo", None, "PING\r\nPUB \r\n"), ClientOp::Ping]
    );
}

#[test]
fn decoded_bytes_share_the_input_buffer() {
    let mut dec = ClientOpDecoder::new(Limits::default());
    let mut buf = BytesMut::with_capacity(1024);
    buf.extend_from_slice(b"PUB foo 5\r\nhello\r\nPUB bar 3\r\n");
    let start = buf.as_ptr() as usize;
    let end = start + buf.capacity();
    let Ok(Some(ClientOp::Pub {
        subject, payload, ..
    })) = dec.decode(&mut buf)
    else {
        panic!("expected a PUB");
    };
    for part in [&subject, &payload] {
        let p = part.as_ptr() as usize;
        assert!(p >= start && p < end, "not a slice of the input buffer");
    }
    // Split payload: control line kept, payload completes later.
    assert_eq!(dec.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"abc\r\n");
    assert_eq!(dec.decode(&mut buf), Ok(Some(publ("bar", None, "abc"))));
    assert!(buf.is_empty());
}
