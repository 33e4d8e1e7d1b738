//! ServerOpDecoder (the client side, e.g. the mirror's upstream connection): decoding the same bytes whole and in arbitrary fragments gives
//! the same ops and the same error; every decoded op re-encodes and re-decodes to
//! itself with nothing left over.
#![no_main]

use bytes::BytesMut;
use jetmirror_protocol::{ServerOp, ServerOpDecoder, Limits, ProtocolError};
use libfuzzer_sys::fuzz_target;

/// Small limits (from the first input byte) so the limit paths are reachable.
fn limits(byte: u8) -> Limits {
    Limits {
        max_control_line: 8 + usize::from(byte & 0x3f),
        max_payload: usize::from(byte >> 2),
    }
}

fn decode(limits: Limits, stream: &[u8], chunk_lens: &[u8]) -> (Vec<ServerOp>, Option<ProtocolError>) {
    let mut dec = ServerOpDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut ops = Vec::new();
    let mut rest = stream;
    let mut lens = chunk_lens.iter().cycle();
    while !rest.is_empty() {
        let n = match lens.next() {
            Some(&l) => usize::from(l).clamp(1, rest.len()),
            None => rest.len(),
        };
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        buf.extend_from_slice(chunk);
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(op)) => ops.push(op),
                Ok(None) => break,
                Err(e) => return (ops, Some(e)),
            }
        }
        // Bounded buffering: never more than a control line plus a payload.
        assert!(buf.len() <= 16 + limits.max_control_line + limits.max_payload + 2 + 4, "buffered {}", buf.len());
    }
    (ops, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&lim, rest)) = data.split_first() else { return };
    let Some((&nsplit, rest)) = rest.split_first() else { return };
    let nsplit = usize::from(nsplit % 16).min(rest.len());
    let (chunk_lens, stream) = rest.split_at(nsplit);
    let limits = limits(lim);

    let whole = decode(limits, stream, &[]);
    let fragmented = decode(limits, stream, chunk_lens);
    assert_eq!(whole, fragmented);
    let bytewise = decode(limits, stream, &[1]);
    assert_eq!(whole, bytewise);

    let roomy = Limits {
        max_control_line: 1 << 20,
        max_payload: 1 << 20,
    };
    for op in &whole.0 {
        let mut buf = BytesMut::new();
        op.encode(&mut buf);
        let mut dec = ServerOpDecoder::new(roomy);
        assert_eq!(dec.decode(&mut buf), Ok(Some(op.clone())), "{op:?}");
        assert!(buf.is_empty(), "{op:?} left {:?}", buf);
    }
});
