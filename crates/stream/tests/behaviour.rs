//! Publish checks, pull/push delivery, acks, redelivery and retention.
#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use jetmirror_stream::api::stream::{PurgeRequest, StreamConfig};
use jetmirror_stream::{AckKind, AckSubject, Command, Effect, Outcome};

const SEC: i64 = 1_000_000_000;

fn err_code(o: &Outcome) -> u16 {
    match o {
        Outcome::Failed(e) => e.err_code,
        _ => 0,
    }
}

#[test]
fn publish_header_checks_and_dedupe() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    assert_eq!(
        reply_text(&publish(&mut s, "t1.a", b"", b"1", T0)),
        r#"{"stream":"T1","seq":1}"#
    );
    let h = |k: &str, v: &str| format!("NATS/1.0\r\n{k}: {v}\r\n\r\n").into_bytes();
    let a = publish(
        &mut s,
        "t1.a",
        &h("Nats-Expected-Stream", "OTHER"),
        b"x",
        T0,
    );
    assert_eq!(
        reply_text(&a),
        r#"{"error":{"code":400,"err_code":10060,"description":"expected stream does not match"},"stream":"T1","seq":0}"#
    );
    assert_eq!(
        err_code(
            &publish(
                &mut s,
                "t1.a",
                &h("Nats-Expected-Last-Sequence", "5"),
                b"x",
                T0
            )
            .outcome
        ),
        10071
    );
    assert_eq!(
        reply_text(&publish(
            &mut s,
            "t1.a",
            &h("Nats-Expected-Last-Sequence", "1"),
            b"x",
            T0
        )),
        r#"{"stream":"T1","seq":2}"#
    );
    let a = publish(
        &mut s,
        "t1.b",
        &h("Nats-Expected-Last-Subject-Sequence", "2"),
        b"x",
        T0,
    );
    assert!(reply_text(&a).contains("wrong last sequence: 0"));
    assert_eq!(
        reply_text(&publish(
            &mut s,
            "t1.b",
            &h("Nats-Expected-Last-Subject-Sequence", "0"),
            b"x",
            T0
        )),
        r#"{"stream":"T1","seq":3}"#
    );
    assert_eq!(
        err_code(
            &publish(
                &mut s,
                "t1.b",
                &h("Nats-Expected-Last-Subject-Sequence-Subject", "t1.a"),
                b"x",
                T0
            )
            .outcome
        ),
        10193
    );
    assert_eq!(
        err_code(&publish(&mut s, "t1.b", &h("Nats-TTL", "1s"), b"x", T0).outcome),
        10166
    );
    assert_eq!(
        err_code(&publish(&mut s, "t1.b", &h("Nats-Stream-Source", "X"), b"x", T0).outcome),
        10227
    );
    // Dedupe inside the window, then accepted again after it.
    assert_eq!(
        reply_text(&publish(&mut s, "t1.c", &h("Nats-Msg-Id", "id1"), b"x", T0)),
        r#"{"stream":"T1","seq":4}"#
    );
    assert_eq!(
        reply_text(&publish(
            &mut s,
            "t1.c",
            &h("Nats-Msg-Id", "id1"),
            b"x",
            T0 + SEC
        )),
        r#"{"stream":"T1","seq":4,"duplicate": true}"#
    );
    assert_eq!(
        err_code(
            &publish(
                &mut s,
                "t1.c",
                &h("Nats-Expected-Last-Msg-Id", "nope"),
                b"x",
                T0
            )
            .outcome
        ),
        10070
    );
    assert_eq!(
        reply_text(&publish(
            &mut s,
            "t1.c",
            &h("Nats-Expected-Last-Msg-Id", "id1"),
            b"x",
            T0
        )),
        r#"{"stream":"T1","seq":5}"#
    );
    assert_eq!(
        reply_text(&publish(
            &mut s,
            "t1.c",
            &h("Nats-Msg-Id", "id1"),
            b"x",
            T0 + 121 * SEC
        )),
        r#"{"stream":"T1","seq":6}"#
    );
    assert_eq!(s.state(false, None).messages, 6);
}

#[test]
fn limits_discard_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T1","subjects":["t1.>"],"max_msgs":2,"discard":"new","max_msg_size":10}"#,
    );
    publish(&mut s, "t1.a", b"", b"1", T0);
    publish(&mut s, "t1.a", b"", b"2", T0);
    let a = publish(&mut s, "t1.a", b"", b"3", T0);
    assert_eq!(
        reply_text(&a),
        r#"{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"},"stream":"T1","seq":0}"#
    );
    assert_eq!(
        err_code(&publish(&mut s, "t1.a", b"", b"01234567890", T0).outcome),
        10054
    );
    let dir2 = tempfile::tempdir().unwrap();
    let mut s2 = new_stream(
        dir2.path(),
        r#"{"name":"T2","subjects":["t2.>"],"max_msgs_per_subject":1}"#,
    );
    for i in 0..3 {
        publish(&mut s2, "t2.a", b"", b"x", T0 + i);
    }
    let st = s2.state(false, None);
    assert_eq!((st.messages, st.first_seq, st.last_seq), (1, 3, 3));
}

#[test]
fn max_age_expires_on_tick_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T1","subjects":["t1.>"],"max_age":1000000000}"#,
    );
    assert_eq!(s.config().duplicate_window, SEC);
    publish(&mut s, "t1.a", b"", b"1", T0);
    publish(&mut s, "t1.a", b"", b"2", T0 + SEC / 2);
    s.apply(Command::Tick { now_ns: T0 + SEC });
    assert_eq!(s.state(false, None).messages, 1);
    s.apply(Command::Tick {
        now_ns: T0 + 2 * SEC,
    });
    let st = s.state(false, None);
    assert_eq!((st.messages, st.first_seq, st.last_seq), (0, 3, 2));
}

#[test]
fn rollup_sealed_deny_flags_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T1","subjects":["t1.>"],"allow_rollup_hdrs":true,"deny_delete":true}"#,
    );
    for i in 0..3 {
        publish(&mut s, "t1.a", b"", b"x", T0 + i);
        publish(&mut s, "t1.b", b"", b"x", T0 + i);
    }
    publish(
        &mut s,
        "t1.a",
        b"NATS/1.0\r\nNats-Rollup: sub\r\n\r\n",
        b"x",
        T0 + 9,
    );
    assert_eq!(s.store().subject_counts("t1.a").get("t1.a"), Some(&1));
    assert_eq!(s.state(false, None).messages, 4);
    assert_eq!(
        err_code(
            &publish(
                &mut s,
                "t1.a",
                b"NATS/1.0\r\nNats-Rollup: bad\r\n\r\n",
                b"x",
                T0
            )
            .outcome
        ),
        10111
    );
    assert_eq!(
        err_code(
            &s.apply(Command::DeleteMsg {
                seq: 7,
                no_erase: false,
                now_ns: T0
            })
            .outcome
        ),
        10057
    );
    let a = s.apply(Command::Purge {
        request: PurgeRequest {
            filter: "t1.b".into(),
            seq: 0,
            keep: 1,
        },
        now_ns: T0,
    });
    assert_eq!(a.outcome, Outcome::Purged { purged: 2 });
    assert_eq!(
        err_code(
            &s.apply(Command::Purge {
                request: PurgeRequest {
                    filter: String::new(),
                    seq: 2,
                    keep: 1
                },
                now_ns: T0
            })
            .outcome
        ),
        10003
    );
    publish(
        &mut s,
        "t1.c",
        b"NATS/1.0\r\nNats-Rollup: all\r\n\r\n",
        b"x",
        T0 + 10,
    );
    assert_eq!(s.state(false, None).messages, 1);
    // Seal through an update: publishes and purges are refused afterwards.
    let mut cfg: StreamConfig = s.config().clone();
    cfg.sealed = true;
    assert_eq!(
        s.apply(Command::UpdateConfig {
            config: cfg,
            pedantic: false,
            now_ns: T0
        })
        .outcome,
        Outcome::ConfigUpdated
    );
    assert!(s.config().deny_purge && !s.config().allow_rollup_hdrs);
    assert_eq!(
        err_code(&publish(&mut s, "t1.a", b"", b"x", T0).outcome),
        10109
    );
    assert_eq!(
        err_code(
            &s.apply(Command::Purge {
                request: PurgeRequest::default(),
                now_ns: T0
            })
            .outcome
        ),
        10109
    );
}

#[test]
fn msg_delete_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    for i in 0..3 {
        publish(&mut s, "t1.a", b"", b"x", T0 + i);
    }
    assert_eq!(
        s.apply(Command::DeleteMsg {
            seq: 2,
            no_erase: false,
            now_ns: T0
        })
        .outcome,
        Outcome::MsgDeleted
    );
    match s
        .apply(Command::DeleteMsg {
            seq: 2,
            no_erase: false,
            now_ns: T0,
        })
        .outcome
    {
        Outcome::Failed(e) => assert_eq!(
            (e.code, e.err_code, e.description.as_str()),
            (400, 10043, "sequence 2 not found")
        ),
        o => panic!("{o:?}"),
    }
    match s
        .apply(Command::DeleteMsg {
            seq: 99,
            no_erase: true,
            now_ns: T0,
        })
        .outcome
    {
        Outcome::Failed(e) => assert_eq!(
            (e.code, e.err_code, e.description.as_str()),
            (500, 10057, "stream store EOF")
        ),
        o => panic!("{o:?}"),
    }
}

#[test]
fn pull_batch_ack_subjects_and_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    for i in 0..3 {
        publish(&mut s, "t1.a", b"", b"hello", T0 + i);
    }
    consumer(
        &mut s,
        r#"{"durable_name":"C1","ack_policy":"explicit"}"#,
        T0,
    );
    let a = pull(&mut s, "C1", "_INBOX.1", r#"{"batch":2}"#, T0 + 10);
    let d = deliveries(&a);
    assert_eq!(d.len(), 2);
    assert_eq!(
        d[0],
        ("t1.a".to_string(), format!("$JS.ACK.T1.C1.1.1.1.{}.2", T0))
    );
    assert_eq!(d[1].1, format!("$JS.ACK.T1.C1.1.2.2.{}.1", T0 + 1));
    let i = s.consumer_info("C1", T0 + 11).unwrap();
    assert_eq!(
        (
            i.delivered.consumer_seq,
            i.delivered.stream_seq,
            i.num_ack_pending,
            i.num_pending
        ),
        (2, 2, 2, 1)
    );
    // no_wait with one left: one message then 404.
    let a = pull(
        &mut s,
        "C1",
        "_INBOX.2",
        r#"{"batch":5,"no_wait":true}"#,
        T0 + 12,
    );
    assert_eq!(deliveries(&a).len(), 1);
    assert_eq!(statuses(&a), vec!["NATS/1.0 404 No Messages||".to_string()]);
    // expires: 408 with pending counts.
    let a = pull(
        &mut s,
        "C1",
        "_INBOX.3",
        r#"{"batch":5,"expires":300000000}"#,
        T0 + 20,
    );
    assert!(a.effects.is_empty());
    assert_eq!(s.consumer_info("C1", T0).unwrap().num_waiting, 1);
    let a = s.apply(Command::Tick {
        now_ns: T0 + 20 + 300_000_000,
    });
    assert_eq!(
        statuses(&a),
        vec![
            "NATS/1.0 408 Request Timeout|Nats-Pending-Messages: 5|Nats-Pending-Bytes: 0||"
                .to_string()
        ]
    );
    // max_bytes smaller than the next message.
    publish(&mut s, "t1.a", b"", b"hello", T0 + 30);
    let a = pull(
        &mut s,
        "C1",
        "_INBOX.4",
        r#"{"batch":5,"max_bytes":3}"#,
        T0 + 31,
    );
    assert_eq!(statuses(&a), vec!["NATS/1.0 409 Message Size Exceeds MaxBytes|Nats-Pending-Messages: 5|Nats-Pending-Bytes: 3||".to_string()]);
    // Acks move the floor; ack-all style floor with a gap.
    let ack = |s: &mut jetmirror_stream::Stream, seq: u64| {
        s.apply(Command::Ack {
            consumer: "C1".into(),
            stream_seq: seq,
            consumer_seq: 0,
            kind: AckKind::Ack,
            reply: Some("_INBOX.aa".into()),
            now_ns: T0 + 40,
        })
    };
    let a = ack(&mut s, 2);
    assert_eq!(
        a.effects,
        vec![Effect::Reply {
            subject: "_INBOX.aa".into(),
            headers: None,
            payload: bytes::Bytes::new()
        }]
    );
    assert_eq!(s.consumer_info("C1", T0).unwrap().ack_floor.stream_seq, 0);
    ack(&mut s, 1);
    let i = s.consumer_info("C1", T0).unwrap();
    assert_eq!(
        (
            i.ack_floor.stream_seq,
            i.ack_floor.consumer_seq,
            i.num_ack_pending
        ),
        (2, 2, 1)
    );
    let push = pull(&mut s, "C9", "_INBOX.5", "", T0);
    assert!(matches!(push.outcome, Outcome::Failed(ref e) if e.err_code == 10014));
}

#[test]
fn redelivery_nak_term_and_max_deliver() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    publish(&mut s, "t1.a", b"", b"x", T0);
    publish(&mut s, "t1.b", b"", b"y", T0);
    consumer(
        &mut s,
        r#"{"durable_name":"C1","ack_policy":"explicit","ack_wait":1000000000,"max_deliver":2}"#,
        T0,
    );
    assert_eq!(deliveries(&pull(&mut s, "C1", "_I.1", "2", T0)).len(), 2);
    // Nothing due yet.
    pull(
        &mut s,
        "C1",
        "_I.2",
        r#"{"batch":10,"expires":60000000000}"#,
        T0 + 1,
    );
    assert!(deliveries(&s.apply(Command::Tick {
        now_ns: T0 + SEC / 2
    }))
    .is_empty());
    // -NAK with delay on seq 2; ack_wait elapses for seq 1 → redelivered with count 2.
    s.apply(Command::Ack {
        consumer: "C1".into(),
        stream_seq: 2,
        consumer_seq: 0,
        kind: AckKind::Nak { delay_ns: 5 * SEC },
        reply: None,
        now_ns: T0 + SEC / 2,
    });
    let a = s.apply(Command::Tick { now_ns: T0 + SEC });
    let d = deliveries(&a);
    assert_eq!(d.len(), 1);
    let p = AckSubject::parse(&d[0].1).unwrap();
    assert_eq!((p.deliveries, p.stream_seq, p.consumer_seq), (2, 1, 3));
    assert_eq!(s.consumer_info("C1", T0).unwrap().num_redelivered, 1);
    // Past max_deliver: advisory and dropped from pending.
    let a = s.apply(Command::Tick {
        now_ns: T0 + 2 * SEC + 10,
    });
    assert_eq!(
        advisories(&a),
        vec!["$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.T1.C1".to_string()]
    );
    // Seq 2 due after its nak delay; +TERM stops it.
    let a = s.apply(Command::Tick {
        now_ns: T0 + 6 * SEC,
    });
    assert_eq!(deliveries(&a).len(), 1);
    let a = s.apply(Command::Ack {
        consumer: "C1".into(),
        stream_seq: 2,
        consumer_seq: 0,
        kind: AckKind::Term {
            reason: "bad".into(),
        },
        reply: None,
        now_ns: T0 + 6 * SEC,
    });
    assert_eq!(
        advisories(&a),
        vec!["$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.T1.C1".to_string()]
    );
    let i = s.consumer_info("C1", T0).unwrap();
    assert_eq!((i.num_ack_pending, i.ack_floor.stream_seq), (0, 2));
}

#[test]
fn nak_delay_shorter_than_ack_wait_redelivers_on_time() {
    // Deliveries with a long ack_wait, then a -NAK with a short delay: the nak'd message
    // is due long before anything else pending and must come back first, on time.
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    for i in 0..4 {
        publish(&mut s, &format!("t1.{i}"), b"", b"x", T0);
    }
    consumer(
        &mut s,
        r#"{"durable_name":"C1","ack_policy":"explicit","ack_wait":60000000000}"#,
        T0,
    );
    assert_eq!(deliveries(&pull(&mut s, "C1", "_I.1", "2", T0)).len(), 2);
    // Nothing due: the next pull gets seq 3.
    let d = deliveries(&pull(&mut s, "C1", "_I.2", "1", T0 + SEC));
    assert_eq!(AckSubject::parse(&d[0].1).unwrap().stream_seq, 3);
    s.apply(Command::Ack {
        consumer: "C1".into(),
        stream_seq: 2,
        consumer_seq: 0,
        kind: AckKind::Nak { delay_ns: SEC },
        reply: None,
        now_ns: T0 + SEC,
    });
    // Before the delay: new message 4.
    let d = deliveries(&pull(&mut s, "C1", "_I.3", "1", T0 + SEC + SEC / 2));
    assert_eq!(AckSubject::parse(&d[0].1).unwrap().stream_seq, 4);
    // After it: seq 2 again, delivery count 2.
    let d = deliveries(&pull(&mut s, "C1", "_I.4", "1", T0 + 2 * SEC + 1));
    let p = AckSubject::parse(&d[0].1).unwrap();
    assert_eq!((p.stream_seq, p.deliveries), (2, 2));
    // +WPI on seq 1 moves its deadline later; seq 3 (delivered at T0 + 1 s) falls due
    // first.
    s.apply(Command::Ack {
        consumer: "C1".into(),
        stream_seq: 1,
        consumer_seq: 0,
        kind: AckKind::Progress,
        reply: None,
        now_ns: T0 + 30 * SEC,
    });
    let d = deliveries(&pull(&mut s, "C1", "_I.5", "1", T0 + 61 * SEC + 1));
    assert_eq!(AckSubject::parse(&d[0].1).unwrap().stream_seq, 3);
    let d = deliveries(&pull(&mut s, "C1", "_I.6", "1", T0 + 90 * SEC + 1));
    assert_eq!(AckSubject::parse(&d[0].1).unwrap().stream_seq, 1);
}

#[test]
fn push_consumer_delivers_on_interest_and_heartbeats() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    publish(&mut s, "t1.a", b"NATS/1.0\r\nA: b\r\n\r\n", b"hello", T0);
    consumer(
        &mut s,
        r#"{"durable_name":"P","deliver_subject":"dlv","ack_policy":"none","headers_only":true,"idle_heartbeat":1000000000}"#,
        T0,
    );
    let a = s.apply(Command::PushInterest {
        consumer: "P".into(),
        active: true,
        now_ns: T0 + 1,
    });
    match &a.effects[..] {
        [Effect::Deliver {
            subject,
            msg_subject,
            headers: Some(h),
            payload,
            ..
        }] => {
            assert_eq!((subject.as_str(), msg_subject.as_str()), ("dlv", "t1.a"));
            assert_eq!(&h[..], b"NATS/1.0\r\nA: b\r\nNats-Msg-Size: 5\r\n\r\n");
            assert!(payload.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let a = s.apply(Command::Tick {
        now_ns: T0 + 1 + SEC,
    });
    match &a.effects[..] {
        [Effect::Deliver {
            headers: Some(h), ..
        }] => assert_eq!(
            &h[..],
            b"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 1\r\nNats-Last-Stream: 1\r\n\r\n"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(err_code(&pull(&mut s, "P", "_I", "", T0).outcome), 0);
}

#[test]
fn workqueue_and_interest_retention() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"W","subjects":["w.>"],"retention":"workqueue"}"#,
    );
    assert_eq!(
        err_code(&consumer(&mut s, r#"{"durable_name":"A"}"#, T0).outcome),
        10084
    );
    assert_eq!(
        err_code(
            &consumer(
                &mut s,
                r#"{"durable_name":"A","ack_policy":"explicit","deliver_policy":"last"}"#,
                T0
            )
            .outcome
        ),
        10101
    );
    consumer(
        &mut s,
        r#"{"durable_name":"A","ack_policy":"explicit","filter_subject":"w.a"}"#,
        T0,
    );
    assert_eq!(
        err_code(
            &consumer(
                &mut s,
                r#"{"durable_name":"B","ack_policy":"explicit"}"#,
                T0
            )
            .outcome
        ),
        10099
    );
    assert_eq!(
        err_code(
            &consumer(
                &mut s,
                r#"{"durable_name":"B","ack_policy":"explicit","filter_subject":"w.*"}"#,
                T0
            )
            .outcome
        ),
        10100
    );
    publish(&mut s, "w.a", b"", b"x", T0);
    let d = deliveries(&pull(&mut s, "A", "_I", "1", T0));
    assert_eq!(d.len(), 1);
    s.apply(Command::Ack {
        consumer: "A".into(),
        stream_seq: 1,
        consumer_seq: 0,
        kind: AckKind::Ack,
        reply: None,
        now_ns: T0,
    });
    assert_eq!(s.state(false, None).messages, 0);

    let dir2 = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir2.path(),
        r#"{"name":"I","subjects":["i.>"],"retention":"interest"}"#,
    );
    // No consumers: sequence used, nothing stored.
    assert_eq!(
        reply_text(&publish(&mut s, "i.a", b"", b"x", T0)),
        r#"{"stream":"I","seq":1}"#
    );
    assert_eq!(s.state(false, None).messages, 0);
    consumer(
        &mut s,
        r#"{"durable_name":"A","ack_policy":"explicit"}"#,
        T0,
    );
    consumer(
        &mut s,
        r#"{"durable_name":"B","ack_policy":"explicit","filter_subject":"i.b"}"#,
        T0,
    );
    assert_eq!(
        reply_text(&publish(&mut s, "i.a", b"", b"x", T0)),
        r#"{"stream":"I","seq":2}"#
    );
    publish(&mut s, "i.b", b"", b"x", T0);
    pull(&mut s, "A", "_I", "2", T0);
    pull(&mut s, "B", "_I", "1", T0);
    s.apply(Command::Ack {
        consumer: "A".into(),
        stream_seq: 2,
        consumer_seq: 0,
        kind: AckKind::Ack,
        reply: None,
        now_ns: T0,
    });
    s.apply(Command::Ack {
        consumer: "A".into(),
        stream_seq: 3,
        consumer_seq: 0,
        kind: AckKind::Ack,
        reply: None,
        now_ns: T0,
    });
    assert_eq!(s.state(false, None).messages, 1, "i.b still wanted by B");
    s.apply(Command::Ack {
        consumer: "B".into(),
        stream_seq: 3,
        consumer_seq: 0,
        kind: AckKind::Ack,
        reply: None,
        now_ns: T0,
    });
    assert_eq!(s.state(false, None).messages, 0);
}

#[test]
fn ephemeral_inactivity_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    let a = consumer(&mut s, r#"{}"#, T0);
    assert!(matches!(&a.outcome, Outcome::ConsumerCreated(i) if i.name == "GEN"));
    assert!(s
        .apply(Command::Tick {
            now_ns: T0 + 4 * SEC
        })
        .effects
        .is_empty());
    let a = s.apply(Command::Tick {
        now_ns: T0 + 5 * SEC,
    });
    assert!(a
        .effects
        .contains(&Effect::ConsumerDeleted { name: "GEN".into() }));
    assert_eq!(
        advisories(&a),
        vec!["$JS.EVENT.ADVISORY.CONSUMER.DELETED.T1.GEN".to_string()]
    );
    assert_eq!(
        err_code(
            &s.apply(Command::DeleteConsumer {
                name: "GEN".into(),
                now_ns: T0
            })
            .outcome
        ),
        10014
    );
}

#[test]
fn consumer_create_actions_and_updates() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    consumer(
        &mut s,
        r#"{"durable_name":"C","ack_policy":"explicit"}"#,
        T0,
    );
    let mk = |json: &str, action| Command::CreateConsumer {
        config: serde_json::from_str(json).unwrap(),
        action,
        pedantic: false,
        generated_name: String::new(),
        now_ns: T0 + 5,
    };
    use jetmirror_stream::api::consumer::ConsumerAction::*;
    match s
        .apply(mk(
            r#"{"durable_name":"C","ack_policy":"explicit"}"#,
            Create,
        ))
        .outcome
    {
        Outcome::ConsumerCreated(i) => assert_eq!(i.created, T0, "identical create keeps created"),
        o => panic!("{o:?}"),
    }
    assert_eq!(
        err_code(
            &s.apply(mk(
                r#"{"durable_name":"C","ack_policy":"explicit","max_deliver":3}"#,
                Create
            ))
            .outcome
        ),
        10148
    );
    assert_eq!(
        err_code(
            &s.apply(mk(
                r#"{"durable_name":"D","ack_policy":"explicit"}"#,
                Update
            ))
            .outcome
        ),
        10149
    );
    match s
        .apply(mk(
            r#"{"durable_name":"C","ack_policy":"explicit","deliver_policy":"new"}"#,
            CreateOrUpdate,
        ))
        .outcome
    {
        Outcome::Failed(e) => assert_eq!(
            (e.code, e.err_code, e.description.as_str()),
            (500, 10012, "deliver policy can not be updated")
        ),
        o => panic!("{o:?}"),
    }
    assert!(matches!(
        s.apply(mk(
            r#"{"durable_name":"C","ack_policy":"explicit","max_deliver":3}"#,
            Update
        ))
        .outcome,
        Outcome::ConsumerCreated(_)
    ));
}

#[test]
fn state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let meta = {
        let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
        for i in 0..4 {
            publish(
                &mut s,
                "t1.a",
                b"NATS/1.0\r\nNats-Msg-Id: m\r\n\r\n",
                b"x",
                T0 + i,
            );
            publish(&mut s, "t1.b", b"", b"x", T0 + i);
        }
        consumer(
            &mut s,
            r#"{"durable_name":"C","ack_policy":"explicit"}"#,
            T0,
        );
        pull(&mut s, "C", "_I", "3", T0);
        s.apply(Command::Ack {
            consumer: "C".into(),
            stream_seq: 1,
            consumer_seq: 0,
            kind: AckKind::Ack,
            reply: None,
            now_ns: T0,
        });
        let m = s.meta();
        serde_json::to_string(&m).unwrap()
    };
    let meta: jetmirror_stream::StreamMeta = serde_json::from_str(&meta).unwrap();
    let mut s = jetmirror_stream::Stream::open(dir.path(), meta).unwrap();
    let i = s.consumer_info("C", T0).unwrap();
    // Seqs: 1 t1.a (id m), 2 t1.b, then the duplicates of m are dropped: 3 t1.b, 4 t1.b.
    assert_eq!(
        (
            i.delivered.stream_seq,
            i.ack_floor.stream_seq,
            i.num_ack_pending
        ),
        (3, 1, 2)
    );
    // The dedupe window survived too.
    let a = publish(
        &mut s,
        "t1.a",
        b"NATS/1.0\r\nNats-Msg-Id: m\r\n\r\n",
        b"x",
        T0 + 10,
    );
    assert_eq!(
        reply_text(&a),
        r#"{"stream":"T1","seq":1,"duplicate": true}"#
    );
}

#[test]
fn msg_get_and_direct_get() {
    use jetmirror_stream::api::stream::MsgGetRequest;
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T1","subjects":["t1.>"],"allow_direct":true}"#,
    );
    publish(&mut s, "t1.a", b"", b"one", T0);
    publish(
        &mut s,
        "t1.c",
        b"NATS/1.0\r\nFoo: bar\r\n\r\n",
        b"two",
        T0 + 5,
    );
    let m = s
        .get_msg(&MsgGetRequest {
            last_by_subj: "t1.c".into(),
            ..Default::default()
        })
        .unwrap();
    let body = jetmirror_stream::api::responses::success(
        jetmirror_stream::api::responses::types::STREAM_MSG_GET,
        &jetmirror_stream::api::responses::MsgGetResponse {
            message: jetmirror_stream::api::stream::ApiStoredMsg::from_stored(&m),
        },
    );
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"type":"io.nats.jetstream.api.v1.stream_msg_get_response","message":{"subject":"t1.c","seq":2,"hdrs":"TkFUUy8xLjANCkZvbzogYmFyDQoNCg==","data":"dHdv","time":"2026-11-23T14:01:54.621459094Z"}}"#
    );
    assert_eq!(
        s.get_msg(&MsgGetRequest {
            seq: 9,
            ..Default::default()
        })
        .unwrap_err()
        .err_code,
        10037
    );
    assert_eq!(
        s.get_msg(&MsgGetRequest {
            seq: 1,
            last_by_subj: "x".into(),
            ..Default::default()
        })
        .unwrap_err()
        .err_code,
        10003
    );
    assert_eq!(
        s.get_msg(&MsgGetRequest {
            next_by_subj: "t1.c".into(),
            seq: 1,
            ..Default::default()
        })
        .unwrap()
        .seq,
        2
    );
    let one = |body: &[u8], last: Option<&str>| {
        let mut r = s.direct_get(body, last, 1 << 20);
        assert_eq!(r.len(), 1, "one reply");
        r.remove(0)
    };
    let (h, p) = one(b"", Some("t1.c"));
    assert_eq!(&h[..], b"NATS/1.0\r\nFoo: bar\r\nNats-Stream: T1\r\nNats-Subject: t1.c\r\nNats-Sequence: 2\r\nNats-Time-Stamp: 2026-11-23T14:01:54.621459094Z\r\n\r\n");
    assert_eq!(&p[..], b"two");
    let (h, _) = one(br#"{"seq":1}"#, None);
    assert!(
        h.starts_with(b"NATS/1.0\r\nNats-Stream: T1\r\nNats-Subject: t1.a\r\nNats-Sequence: 1\r\n")
    );
    assert_eq!(&one(b"", None).0[..], b"NATS/1.0 408 Empty Request\r\n\r\n");
    assert_eq!(
        &one(b"{bad", None).0[..],
        b"NATS/1.0 408 Malformed Request\r\n\r\n"
    );
    assert_eq!(
        &one(br#"{"seq":7}"#, None).0[..],
        b"NATS/1.0 404 Message Not Found\r\n\r\n"
    );
}

#[test]
fn pending_for_messages_dropped_by_limits_is_released() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(
        dir.path(),
        r#"{"name":"T1","subjects":["t1.>"],"max_msgs":2}"#,
    );
    consumer(
        &mut s,
        r#"{"durable_name":"C","ack_policy":"explicit","ack_wait":1000000000,"max_ack_pending":2}"#,
        T0,
    );
    publish(&mut s, "t1.a", b"", b"x", T0);
    publish(&mut s, "t1.a", b"", b"x", T0);
    assert_eq!(deliveries(&pull(&mut s, "C", "_I", "5", T0)).len(), 2);
    publish(&mut s, "t1.a", b"", b"x", T0);
    publish(&mut s, "t1.a", b"", b"x", T0);
    // Seqs 1 and 2 are gone; once due they leave pending and 3, 4 can flow.
    let a = s.apply(Command::Tick { now_ns: T0 + SEC });
    let d = deliveries(&a);
    assert_eq!(d.len(), 2, "{d:?}");
    let i = s.consumer_info("C", T0).unwrap();
    assert_eq!(
        (
            i.num_ack_pending,
            i.ack_floor.stream_seq,
            i.delivered.stream_seq
        ),
        (2, 2, 4)
    );
}

#[test]
fn push_flow_control_stalls_until_answered() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    let big = vec![b'z'; 600 * 1024];
    for i in 0..8 {
        publish(&mut s, "t1.a", b"", &big, T0 + i);
    }
    consumer(
        &mut s,
        r#"{"name":"O","deliver_subject":"dlv","flow_control":true,"idle_heartbeat":5000000000,"mem_storage":true}"#,
        T0,
    );
    let a = s.apply(Command::PushInterest {
        consumer: "O".into(),
        active: true,
        now_ns: T0,
    });
    let fc: Vec<String> = a
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Deliver {
                headers: Some(h),
                reply: Some(r),
                ..
            } if h.starts_with(b"NATS/1.0 100 FlowControl Request") => Some(r.clone()),
            _ => None,
        })
        .collect();
    // Window 2 MiB: request after > 1 MiB, stall once > 2 MiB in flight.
    assert_eq!(deliveries(&a).len(), 4);
    assert_eq!(fc.len(), 1);
    assert!(fc[0].starts_with("$JS.FC.T1.O."), "{}", fc[0]);
    assert!(deliveries(&s.apply(Command::Tick { now_ns: T0 + 1 })).is_empty());
    let hb = s.apply(Command::Tick {
        now_ns: T0 + 5 * SEC,
    });
    assert!(
        matches!(&hb.effects[..], [Effect::Deliver { headers: Some(h), .. }] if String::from_utf8_lossy(h).contains(&format!("Nats-Consumer-Stalled: {}", fc[0])))
    );
    let a = s.apply(Command::FlowControlReply {
        consumer: "O".into(),
        subject: fc[0].clone(),
        now_ns: T0 + 6 * SEC,
    });
    assert_eq!(deliveries(&a).len(), 4);
}

/// The ack floor, redelivered and pending counts as nats-server 2.15.1 reports them
/// (captured: explicit acks out of order, redelivery, max_deliver, ack all).
#[test]
fn ack_floors_match_nats_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    for i in 0..4 {
        publish(&mut s, "t1.a", b"", b"hello", T0 + i);
    }
    consumer(
        &mut s,
        r#"{"durable_name":"A","ack_policy":"explicit"}"#,
        T0,
    );
    let r: Vec<String> = deliveries(&pull(&mut s, "A", "_I", "3", T0))
        .into_iter()
        .map(|d| d.1)
        .collect();
    assert_eq!(r[0], format!("$JS.ACK.T1.A.1.1.1.{T0}.3"));
    ack_via(&mut s, &r[1], b"+ACK", T0);
    assert_eq!(floors(&s, "A"), (3, 3, 0, 0, 2, 0, 1));
    ack_via(&mut s, &r[0], b"+ACK", T0);
    assert_eq!(floors(&s, "A"), (3, 3, 2, 2, 1, 0, 1));

    consumer(
        &mut s,
        r#"{"durable_name":"B","ack_policy":"explicit","ack_wait":300000000}"#,
        T0,
    );
    deliveries(&pull(&mut s, "B", "_I", "2", T0));
    let r2: Vec<String> = deliveries(&pull(&mut s, "B", "_I", "2", T0 + SEC / 2))
        .into_iter()
        .map(|d| d.1)
        .collect();
    assert_eq!(r2[0], format!("$JS.ACK.T1.B.2.1.3.{T0}.2"));
    assert_eq!(r2[1], format!("$JS.ACK.T1.B.2.2.4.{}.2", T0 + 1));
    assert_eq!(floors(&s, "B"), (4, 2, 0, 0, 2, 2, 2));
    ack_via(&mut s, &r2[0], b"+ACK", T0);
    assert_eq!(floors(&s, "B"), (4, 2, 1, 1, 1, 1, 2));
    ack_via(&mut s, &r2[1], b"+ACK", T0);
    assert_eq!(floors(&s, "B"), (4, 2, 4, 2, 0, 0, 2));

    consumer(
        &mut s,
        r#"{"durable_name":"C","ack_policy":"explicit","ack_wait":300000000,"max_deliver":1}"#,
        T0,
    );
    pull(&mut s, "C", "_I", "1", T0);
    let a = pull(&mut s, "C", "_I", "1", T0 + SEC / 2);
    let r3: Vec<String> = deliveries(&a).into_iter().map(|d| d.1).collect();
    assert_eq!(r3, vec![format!("$JS.ACK.T1.C.1.2.2.{}.2", T0 + 1)]);
    assert_eq!(
        advisories(&a),
        vec!["$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.T1.C".to_string()]
    );
    assert_eq!(floors(&s, "C"), (2, 2, 0, 0, 1, 0, 2));
    ack_via(&mut s, &r3[0], b"+ACK", T0);
    assert_eq!(floors(&s, "C"), (2, 2, 2, 2, 0, 0, 2));

    consumer(&mut s, r#"{"durable_name":"D","ack_policy":"all"}"#, T0);
    let r4: Vec<String> = deliveries(&pull(&mut s, "D", "_I", "3", T0))
        .into_iter()
        .map(|d| d.1)
        .collect();
    ack_via(&mut s, &r4[1], b"+ACK", T0);
    assert_eq!(floors(&s, "D"), (3, 3, 2, 2, 1, 0, 1));
}

#[test]
fn pull_no_wait_with_expires_heartbeats_and_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    consumer(
        &mut s,
        r#"{"durable_name":"C","ack_policy":"explicit"}"#,
        T0,
    );
    // no_wait + expires with nothing available waits for its 408.
    let a = pull(
        &mut s,
        "C",
        "_I.1",
        r#"{"batch":2,"no_wait":true,"expires":1000000000}"#,
        T0,
    );
    assert!(a.effects.is_empty());
    assert_eq!(
        statuses(&s.apply(Command::Tick { now_ns: T0 + SEC })),
        vec![
            "NATS/1.0 408 Request Timeout|Nats-Pending-Messages: 2|Nats-Pending-Bytes: 0||"
                .to_string()
        ]
    );
    assert_eq!(
        statuses(&pull(
            &mut s,
            "C",
            "_I.2",
            r#"{"batch":2,"no_wait":true}"#,
            T0
        )),
        vec!["NATS/1.0 404 No Messages||".to_string()]
    );
    // Heartbeats carry the last sequences.
    assert_eq!(
        pull(
            &mut s,
            "C",
            "_I.3",
            r#"{"batch":2,"expires":10000000000,"idle_heartbeat":1000000000}"#,
            T0
        )
        .effects,
        vec![]
    );
    assert_eq!(
        statuses(&s.apply(Command::Tick { now_ns: T0 + SEC })),
        vec!["NATS/1.0 100 Idle Heartbeat|Nats-Last-Consumer: 0|Nats-Last-Stream: 0||".to_string()]
    );
    assert_eq!(
        jetmirror_stream::api::consumer::NextRequest::parse(
            br#"{"expires":1000000000,"idle_heartbeat":1000000000}"#
        ),
        Err("heartbeat value too large".to_string())
    );
    s.apply(Command::CancelPull {
        consumer: "C".into(),
        reply: "_I.3".into(),
        now_ns: T0,
    });
    assert_eq!(s.consumer_info("C", T0).unwrap().num_waiting, 0);
}

#[test]
fn pull_max_bytes_counts_the_ack_reply_like_nats_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = new_stream(dir.path(), r#"{"name":"T1","subjects":["t1.>"]}"#);
    for i in 0..3 {
        publish(&mut s, "t1.a", b"", b"hello", T0 + i);
    }
    consumer(&mut s, r#"{"durable_name":"C2","ack_policy":"none"}"#, T0);
    // Captured on 2.15.1: 30 bytes cannot hold subject + ack reply + payload.
    let a = pull(&mut s, "C2", "_I", r#"{"batch":5,"max_bytes":30}"#, T0);
    assert_eq!(statuses(&a), vec!["NATS/1.0 409 Message Size Exceeds MaxBytes|Nats-Pending-Messages: 5|Nats-Pending-Bytes: 30||".to_string()]);
    let a = pull(&mut s, "C2", "_I", r#"{"batch":1,"max_bytes":1000}"#, T0);
    let d = deliveries(&a);
    let size = 4 + d[0].1.len() + 5;
    assert_eq!(
        statuses(&a),
        vec![format!(
            "NATS/1.0 409 Batch Completed|Nats-Pending-Messages: 0|Nats-Pending-Bytes: {}||",
            1000 - size
        )]
    );
}

fn mirror_store(s: &mut jetmirror_stream::Stream, seq: u64, subject: &str) -> Outcome {
    s.apply(Command::MirrorStore {
        seq,
        ts_ns: T0 + seq as i64,
        subject: subject.into(),
        headers: bytes::Bytes::new(),
        payload: bytes::Bytes::from(format!("m{seq}")),
        now_ns: T0,
    })
    .outcome
}

#[test]
fn mirror_store_and_skip_keep_origin_sequences() {
    for storage in ["file", "memory"] {
        let dir = tempfile::tempdir().unwrap();
        let mut s = new_stream(
            dir.path(),
            &format!(r#"{{"name":"M","storage":"{storage}","mirror":{{"name":"O"}}}}"#),
        );
        // Ordinary publishes are refused.
        assert!(matches!(
            publish(&mut s, "x", b"", b"1", T0).outcome,
            Outcome::Failed(_)
        ));
        // An empty store: skip acts as a purge, the first store sets first_seq.
        assert_eq!(
            s.apply(Command::MirrorSkip { seq: 4, now_ns: T0 }).outcome,
            Outcome::Mirrored { last_seq: 4 }
        );
        assert_eq!(
            mirror_store(&mut s, 5, "a"),
            Outcome::Mirrored { last_seq: 5 }
        );
        assert_eq!(
            mirror_store(&mut s, 7, "a"),
            Outcome::MirrorSeqMismatch {
                seq: 7,
                last_seq: 5
            }
        );
        assert_eq!(
            s.apply(Command::MirrorSkip { seq: 7, now_ns: T0 }).outcome,
            Outcome::Mirrored { last_seq: 7 }
        );
        assert_eq!(
            mirror_store(&mut s, 8, "b"),
            Outcome::Mirrored { last_seq: 8 }
        );
        let st = s.state(false, None);
        assert_eq!(
            (st.messages, st.first_seq, st.last_seq),
            (2, 5, 8),
            "{storage}"
        );
        assert_eq!(st.num_deleted, 2, "{storage}");
        let m = s
            .get_msg(&serde_json::from_str(r#"{"seq":8}"#).unwrap())
            .unwrap();
        assert_eq!((m.seq, m.ts_ns, m.subject.as_str()), (8, T0 + 8, "b"));
        // A consumer of the mirror is fed like by a publish.
        consumer(
            &mut s,
            r#"{"durable_name":"C","ack_policy":"explicit"}"#,
            T0,
        );
        let a = pull(&mut s, "C", "_INBOX.p", r#"{"batch":5,"no_wait":true}"#, T0);
        let n = a
            .effects
            .iter()
            .filter(|e| matches!(e, Effect::Deliver { .. }))
            .count();
        assert_eq!(n, 2, "{storage}");
    }
}
