//! The check shared by the decoder fuzz targets: decoding the same bytes whole, in the
//! fragments the input chooses and byte by byte gives the same ops and the same error;
//! buffering stays bounded; every decoded op re-encodes and re-decodes to itself with
//! nothing left over. `decoder_check!(Op, Decoder)` expands to the `fuzz_target!`.

/// Small limits (from the first input byte) so the limit paths are reachable.
pub fn limits(byte: u8) -> jetmirror_protocol::Limits {
    jetmirror_protocol::Limits {
        max_control_line: 8 + usize::from(byte & 0x3f),
        max_payload: usize::from(byte >> 2),
    }
}

/// Limits no generated op reaches, for the re-decoding of encoded ops.
pub const ROOMY: jetmirror_protocol::Limits = jetmirror_protocol::Limits {
    max_control_line: 1 << 20,
    max_payload: 1 << 20,
};

/// Splits the input into (limits byte, chunk lengths, stream).
pub fn split(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&lim, rest) = data.split_first()?;
    let (&nsplit, rest) = rest.split_first()?;
    let nsplit = usize::from(nsplit % 16).min(rest.len());
    let (chunk_lens, stream) = rest.split_at(nsplit);
    Some((lim, chunk_lens, stream))
}

#[macro_export]
macro_rules! decoder_check {
    ($op:ty, $decoder:ty) => {
        fn decode(
            limits: jetmirror_protocol::Limits,
            stream: &[u8],
            chunk_lens: &[u8],
        ) -> (Vec<$op>, Option<jetmirror_protocol::ProtocolError>) {
            let mut dec = <$decoder>::new(limits);
            let mut buf = bytes::BytesMut::new();
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
                assert!(
                    buf.len() <= 16 + limits.max_control_line + limits.max_payload + 2 + 4,
                    "buffered {}",
                    buf.len()
                );
            }
            (ops, None)
        }

        libfuzzer_sys::fuzz_target!(|data: &[u8]| {
            let Some((lim, chunk_lens, stream)) = common::split(data) else {
                return;
            };
            let limits = common::limits(lim);
            let whole = decode(limits, stream, &[]);
            assert_eq!(whole, decode(limits, stream, chunk_lens));
            assert_eq!(whole, decode(limits, stream, &[1]));
            for op in &whole.0 {
                let mut buf = bytes::BytesMut::new();
                op.encode(&mut buf);
                let mut dec = <$decoder>::new(common::ROOMY);
                assert_eq!(dec.decode(&mut buf), Ok(Some(op.clone())), "{op:?}");
                assert!(buf.is_empty(), "{op:?} left {:?}", buf);
            }
        });
    };
}
