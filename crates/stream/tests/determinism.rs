//! The seam's promise: the same command log gives the same effects and state on two fresh
//! streams (two directories), and publish + limits agree with a simple model.
#![allow(clippy::unwrap_used)]
mod common;
use bytes::Bytes;
use common::*;
use jetmirror_stream::api::consumer::{ConsumerAction, ConsumerConfig, NextRequest};
use jetmirror_stream::api::stream::PurgeRequest;
use jetmirror_stream::{AckKind, Command, Stream};
use proptest::prelude::*;

const SUBJECTS: [&str; 4] = ["t.a", "t.b", "t.c.x", "t.c.y"];
const CONSUMERS: [&str; 3] = ["C0", "C1", "C2"];

#[derive(Debug, Clone)]
enum Op {
    Publish {
        subj: usize,
        len: usize,
        msg_id: Option<u8>,
    },
    Tick {
        advance_ms: i64,
    },
    Create {
        c: usize,
        ack: usize,
        filter: Option<usize>,
        push: bool,
        max_deliver: i64,
    },
    Delete {
        c: usize,
    },
    Pull {
        c: usize,
        batch: i64,
        no_wait: bool,
        expires_ms: i64,
    },
    Ack {
        c: usize,
        seq: u64,
        kind: usize,
    },
    Interest {
        c: usize,
        active: bool,
    },
    Purge {
        filter: Option<usize>,
        keep: u64,
    },
    DeleteMsg {
        seq: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4usize, 0..40usize, proptest::option::of(0..4u8)).prop_map(|(subj, len, msg_id)| Op::Publish { subj, len, msg_id }),
        2 => (0..3000i64).prop_map(|advance_ms| Op::Tick { advance_ms }),
        1 => (0..3usize, 0..3usize, proptest::option::of(0..4usize), any::<bool>(), -1..4i64)
            .prop_map(|(c, ack, filter, push, max_deliver)| Op::Create { c, ack, filter, push, max_deliver }),
        1 => (0..3usize).prop_map(|c| Op::Delete { c }),
        2 => (0..3usize, 1..4i64, any::<bool>(), 0..2000i64).prop_map(|(c, batch, no_wait, expires_ms)| Op::Pull { c, batch, no_wait, expires_ms }),
        3 => (0..3usize, 0..20u64, 0..4usize).prop_map(|(c, seq, kind)| Op::Ack { c, seq, kind }),
        1 => (0..3usize, any::<bool>()).prop_map(|(c, active)| Op::Interest { c, active }),
        1 => (proptest::option::of(0..4usize), 0..3u64).prop_map(|(filter, keep)| Op::Purge { filter, keep }),
        1 => (0..20u64).prop_map(|seq| Op::DeleteMsg { seq }),
    ]
}

fn to_command(op: &Op, now: &mut i64) -> Command {
    let now_ns = *now;
    match op {
        Op::Publish { subj, len, msg_id } => Command::Publish {
            subject: SUBJECTS[*subj].into(),
            reply: Some("_R".into()),
            headers: msg_id
                .map(|m| Bytes::from(format!("NATS/1.0\r\nNats-Msg-Id: {m}\r\n\r\n")))
                .unwrap_or_default(),
            payload: Bytes::from(vec![b'x'; *len]),
            now_ns,
        },
        Op::Tick { advance_ms } => {
            *now += advance_ms * 1_000_000;
            Command::Tick { now_ns: *now }
        }
        Op::Create {
            c,
            ack,
            filter,
            push,
            max_deliver,
        } => {
            let config = ConsumerConfig {
                durable_name: CONSUMERS[*c].into(),
                ack_policy: [
                    jetmirror_stream::api::consumer::AckPolicy::None,
                    jetmirror_stream::api::consumer::AckPolicy::All,
                    jetmirror_stream::api::consumer::AckPolicy::Explicit,
                ][*ack],
                ack_wait: 1_000_000_000,
                filter_subject: filter.map(|f| SUBJECTS[f].to_string()).unwrap_or_default(),
                deliver_subject: if *push {
                    format!("dlv.{c}")
                } else {
                    String::new()
                },
                max_deliver: *max_deliver,
                ..Default::default()
            };
            Command::CreateConsumer {
                config,
                action: ConsumerAction::CreateOrUpdate,
                pedantic: false,
                generated_name: String::new(),
                now_ns,
            }
        }
        Op::Delete { c } => Command::DeleteConsumer {
            name: CONSUMERS[*c].into(),
            now_ns,
        },
        Op::Pull {
            c,
            batch,
            no_wait,
            expires_ms,
        } => Command::Pull {
            consumer: CONSUMERS[*c].into(),
            reply: format!("_P.{now_ns}"),
            request: NextRequest {
                batch: *batch,
                no_wait: *no_wait,
                expires: expires_ms * 1_000_000,
                ..Default::default()
            },
            now_ns,
        },
        Op::Ack { c, seq, kind } => Command::Ack {
            consumer: CONSUMERS[*c].into(),
            stream_seq: *seq,
            consumer_seq: *seq,
            kind: [
                AckKind::Ack,
                AckKind::Nak {
                    delay_ns: 500_000_000,
                },
                AckKind::Progress,
                AckKind::Term {
                    reason: String::new(),
                },
            ][*kind]
                .clone(),
            reply: Some("_AA".into()),
            now_ns,
        },
        Op::Interest { c, active } => Command::PushInterest {
            consumer: CONSUMERS[*c].into(),
            active: *active,
            now_ns,
        },
        Op::Purge { filter, keep } => Command::Purge {
            request: PurgeRequest {
                filter: filter.map(|f| SUBJECTS[f].to_string()).unwrap_or_default(),
                seq: 0,
                keep: *keep,
            },
            now_ns,
        },
        Op::DeleteMsg { seq } => Command::DeleteMsg {
            seq: *seq,
            no_erase: seq % 2 == 0,
            now_ns,
        },
    }
}

const CONFIGS: [&str; 5] = [
    r#"{"name":"T","subjects":["t.>"],"storage":"memory","retention":"interest","max_msgs_per_subject":3}"#,
    r#"{"name":"T","subjects":["t.>"]}"#,
    r#"{"name":"T","subjects":["t.>"],"retention":"interest","max_msgs":10}"#,
    r#"{"name":"T","subjects":["t.>"],"retention":"workqueue","max_age":2000000000}"#,
    r#"{"name":"T","subjects":["t.>"],"max_msgs_per_subject":2,"max_bytes":600,"discard":"new"}"#,
];

fn snapshot(s: &Stream) -> String {
    let st = s.state(true, Some(">"));
    format!("{}|{:?}", serde_json::to_string(&s.meta()).unwrap(), st)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn same_log_same_effects_and_state(cfg in 0..5usize, ops in proptest::collection::vec(op(), 1..120)) {
        let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut a = new_stream(d1.path(), CONFIGS[cfg]);
        let mut b = new_stream(d2.path(), CONFIGS[cfg]);
        let mut now = T0;
        for op in &ops {
            let cmd = to_command(op, &mut now);
            let ra = a.apply(cmd.clone());
            let rb = b.apply(cmd);
            prop_assert_eq!(ra, rb);
            if let Err(e) = a.check_invariants() {
                prop_assert!(false, "after {:?}: {}", op, e);
            }
        }
        prop_assert_eq!(snapshot(&a), snapshot(&b));
    }

    /// Publish into a limits stream (discard old) and compare with a deque model.
    #[test]
    fn limits_agree_with_model(max_msgs in 1..8i64, per_subject in prop_oneof![Just(-1i64), 1..3i64], pubs in proptest::collection::vec((0..4usize, 0..20usize), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = format!(r#"{{"name":"T","subjects":["t.>"],"max_msgs":{max_msgs},"max_msgs_per_subject":{per_subject}}}"#);
        let mut s = new_stream(dir.path(), &cfg);
        let mut model: std::collections::VecDeque<(u64, usize, usize)> = Default::default();
        for (i, (subj, len)) in pubs.iter().enumerate() {
            let seq = i as u64 + 1;
            let a = publish(&mut s, SUBJECTS[*subj], b"", &vec![b'y'; *len], T0 + i as i64);
            prop_assert_eq!(reply_text(&a), format!(r#"{{"stream":"T","seq":{seq}}}"#));
            model.push_back((seq, *subj, *len));
            if per_subject > 0 {
                while model.iter().filter(|m| m.1 == *subj).count() as i64 > per_subject {
                    let pos = model.iter().position(|m| m.1 == *subj).unwrap();
                    model.remove(pos);
                }
            }
            while model.len() as i64 > max_msgs {
                model.pop_front();
            }
        }
        let st = s.state(false, None);
        let bytes: u64 = model.iter().map(|m| (22 + SUBJECTS[m.1].len() + m.2 + 8) as u64).sum();
        prop_assert_eq!(st.messages, model.len() as u64);
        prop_assert_eq!(st.bytes, bytes);
        prop_assert_eq!(st.last_seq, pubs.len() as u64);
        prop_assert_eq!(st.first_seq, model.front().map(|m| m.0).unwrap_or(pubs.len() as u64 + 1));
    }
}
