//! The memory store agrees with the file store on random operations (bytes aside: memory
//! counts `subject + headers + payload + 16`).
#![allow(clippy::unwrap_used)]
mod common;
use jetmirror_store::{Discard, PurgeRequest, Store, StoreConfig, SyncPolicy};
use jetmirror_stream::memstore::{mem_msg_size, MemStore};
use proptest::prelude::*;

const SUBJECTS: [&str; 4] = ["a", "b.x", "b.y", "c"];
const FILTERS: [&str; 5] = [">", "a", "b.*", "b.x", "zzz"];

#[derive(Debug, Clone)]
enum Op {
    Append(usize, usize, bool),
    Delete(u64),
    Skip(u64),
    Purge(Option<usize>, u64, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..4usize, 0..30usize, any::<bool>()).prop_map(|(s, l, h)| Op::Append(s, l, h)),
        2 => (0..40u64).prop_map(Op::Delete),
        1 => (0..4u64).prop_map(Op::Skip),
        1 => (proptest::option::of(0..5usize), 0..30u64, 0..4u64).prop_map(|(f, seq, keep)| Op::Purge(f, if seq % 3 == 0 { seq } else { 0 }, keep)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn memory_store_matches_file_store(max_msgs in prop_oneof![Just(-1i64), 1..10i64], per in prop_oneof![Just(-1i64), 1..3i64], new in any::<bool>(), ops in proptest::collection::vec(op(), 1..80)) {
        let cfg = StoreConfig { max_msgs, max_msgs_per_subject: per, discard: if new { Discard::New } else { Discard::Old }, sync: SyncPolicy::Never, ..Default::default() };
        let dir = tempfile::tempdir().unwrap();
        let (file, _) = Store::open(dir.path(), cfg.clone()).unwrap();
        let mut mem = MemStore::new(cfg);
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Append(s, len, hdr) => {
                    let h: &[u8] = if *hdr { b"NATS/1.0\r\nK: v\r\n\r\n" } else { b"" };
                    let payload = vec![b'p'; *len];
                    let a = file.append(SUBJECTS[*s], h, &payload, i as i64 + 1).map_err(|e| e.to_string());
                    let b = mem.append(SUBJECTS[*s], h, &payload, i as i64 + 1).map_err(|e| e.to_string());
                    prop_assert_eq!(a, b);
                }
                Op::Delete(seq) => {
                    let a = file.delete(*seq, false).map_err(|e| e.to_string());
                    let b = mem.delete(*seq).map_err(|e| e.to_string());
                    prop_assert_eq!(a, b);
                }
                Op::Skip(n) => {
                    let to = file.state(false).last_seq + n;
                    let a = file.skip_to(to).map_err(|e| e.to_string());
                    let b = mem.skip_to(to).map_err(|e| e.to_string());
                    prop_assert_eq!(a, b);
                }
                Op::Purge(f, seq, keep) => {
                    let req = PurgeRequest { subject: f.map(|f| FILTERS[f].to_string()), up_to_seq: (*seq > 0).then_some(*seq), keep: (*keep > 0).then_some(*keep) };
                    prop_assert_eq!(file.purge(req.clone()).unwrap(), mem.purge(&req), "purge {:?}", req);
                }
            }
            let (mut a, mut b) = (file.state(true), mem.state(true));
            let live: Vec<_> = (a.first_seq..=a.last_seq).filter_map(|s| file.get(s).unwrap()).collect();
            prop_assert_eq!(b.bytes, live.iter().map(|m| mem_msg_size(&m.subject, &m.headers, &m.payload)).sum::<u64>());
            a.bytes = 0;
            b.bytes = 0;
            prop_assert_eq!(&a, &b, "after {:?}", op);
            for s in a.first_seq.saturating_sub(1)..=a.last_seq + 1 {
                prop_assert_eq!(file.get(s).unwrap(), mem.get(s));
            }
            for f in FILTERS {
                prop_assert_eq!(file.subject_counts(f), mem.subject_counts(f));
                prop_assert_eq!(file.last_for_subject(f).unwrap(), mem.last_for_subject(f));
                for start in [0, a.first_seq + 1, a.last_seq] {
                    prop_assert_eq!(file.num_pending(start, f), mem.num_pending(start, f), "num_pending({}, {})", start, f);
                    prop_assert_eq!(file.next_matching(start, f).unwrap(), mem.next_matching(start, f));
                }
            }
        }
    }
}

#[test]
fn memory_stream_bytes_and_max_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = common::new_stream(
        dir.path(),
        r#"{"name":"M","subjects":["m.>"],"storage":"memory","max_bytes":50}"#,
    );
    for i in 0..6 {
        common::publish(&mut s, "m.ab", b"", b"xy", common::T0 + i);
    }
    // 4 + 2 + 16 = 22 bytes each; 50 bytes hold two.
    let st = s.state(false, None);
    assert_eq!(
        (st.messages, st.bytes, st.first_seq, st.last_seq),
        (2, 44, 5, 6)
    );
    assert!(
        std::fs::read_dir(dir.path())
            .map(|mut d| d.next().is_none())
            .unwrap_or(true),
        "memory streams write nothing"
    );
}

#[test]
fn memory_stream_restarts_empty_with_fresh_consumers() {
    use jetmirror_stream::Command;
    let dir = tempfile::tempdir().unwrap();
    let mut s = common::new_stream(
        dir.path(),
        r#"{"name":"M","subjects":["m.>"],"storage":"memory"}"#,
    );
    for i in 0..3 {
        common::publish(&mut s, "m.a", b"", b"x", common::T0 + i);
    }
    common::consumer(
        &mut s,
        r#"{"durable_name":"C","ack_policy":"explicit"}"#,
        common::T0,
    );
    common::pull(&mut s, "C", "_I", "2", common::T0);
    let meta = s.meta();
    drop(s);
    let mut s = jetmirror_stream::Stream::open(dir.path(), meta).unwrap();
    assert_eq!(common::floors(&s, "C"), (0, 0, 0, 0, 0, 0, 0));
    common::publish(&mut s, "m.a", b"", b"x", common::T0 + 9);
    let a = s.apply(Command::Pull {
        consumer: "C".into(),
        reply: "_I".into(),
        request: Default::default(),
        now_ns: common::T0 + 9,
    });
    assert_eq!(common::deliveries(&a).len(), 1);
}
