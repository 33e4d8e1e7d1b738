//! Property: encoding a sequence of valid ops and decoding the bytes, fragmented
//! arbitrarily, gives the same ops back (both directions).

use bytes::{Bytes, BytesMut};
use jetmirror_protocol::{ClientOp, ClientOpDecoder, Limits, ServerOp, ServerOpDecoder};
use proptest::prelude::*;

fn bytes_of(s: String) -> Bytes {
    Bytes::from(s.into_bytes())
}

fn subject() -> impl Strategy<Value = Bytes> {
    prop::collection::vec("[a-zA-Z0-9_$-]{1,6}|\\*|>", 1..5).prop_map(|t| bytes_of(t.join(".")))
}

fn token() -> impl Strategy<Value = Bytes> {
    "[a-zA-Z0-9_]{1,8}".prop_map(bytes_of)
}

fn payload() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..80).prop_map(Bytes::from)
}

fn json() -> impl Strategy<Value = Bytes> {
    "\\{[a-z\":,0-9 ]{0,30}\\}".prop_map(bytes_of)
}

fn client_op() -> impl Strategy<Value = ClientOp> {
    prop_oneof![
        json().prop_map(ClientOp::Connect),
        json().prop_map(ClientOp::Info),
        (subject(), prop::option::of(subject()), payload()).prop_map(
            |(subject, reply, payload)| ClientOp::Pub {
                subject,
                reply,
                payload
            }
        ),
        (subject(), prop::option::of(subject()), payload(), payload()).prop_map(
            |(subject, reply, headers, payload)| {
                ClientOp::HPub {
                    subject,
                    reply,
                    headers,
                    payload,
                }
            }
        ),
        (subject(), prop::option::of(token()), token()).prop_map(|(subject, queue, sid)| {
            ClientOp::Sub {
                subject,
                queue,
                sid,
            }
        }),
        (token(), prop::option::of(0u64..=999_999_999))
            .prop_map(|(sid, max)| ClientOp::Unsub { sid, max }),
        Just(ClientOp::Ping),
        Just(ClientOp::Pong),
        Just(ClientOp::Ok),
        "'[a-zA-Z ]{0,20}'".prop_map(|t| ClientOp::Err(bytes_of(t))),
    ]
}

fn server_op() -> impl Strategy<Value = ServerOp> {
    prop_oneof![
        json().prop_map(ServerOp::Info),
        (subject(), token(), prop::option::of(subject()), payload()).prop_map(
            |(subject, sid, reply, payload)| {
                ServerOp::Msg {
                    subject,
                    sid,
                    reply,
                    payload,
                }
            }
        ),
        (
            subject(),
            token(),
            prop::option::of(subject()),
            payload(),
            payload()
        )
            .prop_map(|(subject, sid, reply, headers, payload)| ServerOp::HMsg {
                subject,
                sid,
                reply,
                headers,
                payload,
            }),
        Just(ServerOp::Ok),
        Just(ServerOp::Ping),
        Just(ServerOp::Pong),
        "[a-zA-Z][a-zA-Z ]{0,20}[a-zA-Z]|".prop_map(|t| ServerOp::Err(bytes_of(t))),
    ]
}

/// Cuts `bytes` into chunks whose lengths cycle through `lens`.
fn fragments(bytes: &[u8], lens: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = lens
            .get(i % lens.len().max(1))
            .copied()
            .unwrap_or(rest.len())
            .clamp(1, rest.len());
        let (a, b) = rest.split_at(n);
        out.push(a.to_vec());
        rest = b;
        i += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn client_ops_roundtrip(ops in prop::collection::vec(client_op(), 1..12), lens in prop::collection::vec(1usize..40, 0..8)) {
        let mut wire = BytesMut::new();
        for op in &ops {
            op.encode(&mut wire);
        }
        let mut dec = ClientOpDecoder::new(Limits::default());
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for chunk in fragments(&wire, &lens) {
            buf.extend_from_slice(&chunk);
            while let Some(op) = dec.decode(&mut buf).map_err(|e| TestCaseError::fail(format!("{e}")))? {
                got.push(op);
            }
        }
        prop_assert_eq!(got, ops);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn server_ops_roundtrip(ops in prop::collection::vec(server_op(), 1..12), lens in prop::collection::vec(1usize..40, 0..8)) {
        let mut wire = BytesMut::new();
        for op in &ops {
            op.encode(&mut wire);
        }
        let mut dec = ServerOpDecoder::new(Limits::default());
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for chunk in fragments(&wire, &lens) {
            buf.extend_from_slice(&chunk);
            while let Some(op) = dec.decode(&mut buf).map_err(|e| TestCaseError::fail(format!("{e}")))? {
                got.push(op);
            }
        }
        prop_assert_eq!(got, ops);
        prop_assert!(buf.is_empty());
    }
}

fn header_map() -> impl Strategy<Value = jetmirror_protocol::HeaderMap> {
    let entry = ("[A-Za-z][A-Za-z0-9-]{0,10}", "([!-~]([ -~]{0,10}[!-~])?)?");
    let desc = prop::option::of("[!-~]([ -~]{0,10}[!-~])?");
    (
        prop::option::of((100u16..=999, desc)),
        prop::collection::vec(entry, 0..6),
    )
        .prop_map(|(status, entries)| {
            let mut h = match status {
                Some((code, d)) => jetmirror_protocol::HeaderMap::with_status(code, d.as_deref()),
                None => jetmirror_protocol::HeaderMap::new(),
            };
            for (k, v) in entries {
                h.append(&k, &v);
            }
            h
        })
}

proptest! {
    #[test]
    fn header_map_roundtrip(h in header_map()) {
        prop_assert_eq!(jetmirror_protocol::HeaderMap::parse(&h.to_bytes()), Ok(h));
    }
}
