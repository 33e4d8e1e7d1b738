//! Decoder and encoder throughput: a 64 KiB-style read buffer of many small ops,
//! as the server's connection loop sees it.

use bytes::BytesMut;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use jetmirror_protocol::{encode_hpub, encode_msg, encode_pub, ClientOp, ClientOpDecoder, Limits};

const OPS: usize = 10_000;

fn pub_stream(payload_len: usize) -> Vec<u8> {
    let payload = vec![b'x'; payload_len];
    let mut buf = BytesMut::new();
    for i in 0..OPS {
        let reply = if i % 4 == 0 {
            Some(&b"_INBOX.abcdef.1"[..])
        } else {
            None
        };
        encode_pub(&mut buf, b"orders.eu.new", reply, &payload);
    }
    buf.to_vec()
}

fn hpub_stream(payload_len: usize) -> Vec<u8> {
    let payload = vec![b'x'; payload_len];
    let headers = b"NATS/1.0\r\nNats-Msg-Id: 0123456789\r\n\r\n";
    let mut buf = BytesMut::new();
    for _ in 0..OPS {
        encode_hpub(
            &mut buf,
            b"orders.eu.new",
            Some(b"_INBOX.abcdef.1"),
            headers,
            &payload,
        );
    }
    buf.to_vec()
}

/// Decodes `stream` fed in 64 KiB reads, returning the op count.
fn decode_all(stream: &[u8]) -> usize {
    let mut dec = ClientOpDecoder::new(Limits::default());
    let mut buf = BytesMut::with_capacity(128 * 1024);
    let mut n = 0;
    for chunk in stream.chunks(64 * 1024) {
        buf.extend_from_slice(chunk);
        while let Ok(Some(op)) = dec.decode(&mut buf) {
            if let ClientOp::Pub { payload, .. } | ClientOp::HPub { payload, .. } = &op {
                black_box(payload.len());
            }
            n += 1;
        }
    }
    n
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, stream) in [
        ("pub_16B", pub_stream(16)),
        ("pub_1KiB", pub_stream(1024)),
        ("hpub_16B", hpub_stream(16)),
    ] {
        for (unit, throughput) in [
            ("msgs", Throughput::Elements(OPS as u64)),
            ("bytes", Throughput::Bytes(stream.len() as u64)),
        ] {
            group.throughput(throughput);
            group.bench_with_input(BenchmarkId::new(name, unit), &stream, |b, s| {
                b.iter(|| assert_eq!(decode_all(s), OPS));
            });
        }
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode_msg");
    for payload_len in [16usize, 1024] {
        let payload = vec![b'x'; payload_len];
        group.throughput(Throughput::Elements(OPS as u64));
        group.bench_function(BenchmarkId::new("msgs", payload_len), |b| {
            let mut buf = BytesMut::with_capacity(OPS * (payload_len + 64));
            b.iter(|| {
                buf.clear();
                for _ in 0..OPS {
                    encode_msg(
                        &mut buf,
                        b"orders.eu.new",
                        b"42",
                        Some(b"_INBOX.abcdef.1"),
                        &payload,
                    );
                }
                black_box(buf.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
